// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_cookie.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COOKIE_PLAIN_LEN	(2 + 2 * NTS_SIV_KEY_LEN)
#define COOKIE_SEALED_LEN	(4 + NTS_COOKIE_NONCE_LEN + NTS_SIV_TAG_LEN + COOKIE_PLAIN_LEN)
_Static_assert(COOKIE_SEALED_LEN <= NTS_COOKIE_LEN && NTS_COOKIE_LEN % 4 == 0,
	       "a cookie fits its padded length");
#define FILE_MAGIC		"xdp-ntpd-nts-keys 1"

int nts_cookie_ring_init(struct nts_cookie_ring *r, const char *dir)
{
	memset(r, 0, sizeof(*r));
	if (dir) {
		size_t len = strlen(dir) + sizeof("/" NTS_KEYS_FILE);

		r->path = malloc(len);
		if (!r->path)
			return -ENOMEM;
		snprintf(r->path, len, "%s/%s", dir, NTS_KEYS_FILE);
	}
	return -pthread_rwlock_init(&r->lock, NULL);
}

void nts_cookie_ring_free(struct nts_cookie_ring *r)
{
	OPENSSL_cleanse(r->keys, sizeof(r->keys));
	pthread_rwlock_destroy(&r->lock);
	free(r->path);
	r->path = NULL;
}

static int parse_hex(const char *s, uint8_t *out, size_t len)
{
	size_t i;

	if (strlen(s) != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -EINVAL;
	return 0;
}

/* "ID CREATED HEXKEY" lines, newest first, after the magic line */
static int read_keys(FILE *f, const char *path, struct nts_master_key *keys, int *n)
{
	char line[256], hex[2 * NTS_SIV_KEY_LEN + 2];
	unsigned int id;
	long long created;
	int lineno = 1;

	if (!fgets(line, sizeof(line), f) || strncmp(line, FILE_MAGIC "\n", sizeof(FILE_MAGIC))) {
		pr_err("nts: %s: not an NTS key file (first line not \"%s\")\n", path, FILE_MAGIC);
		return -EINVAL;
	}
	*n = 0;
	while (fgets(line, sizeof(line), f) && *n < NTS_COOKIE_KEYS) {
		lineno++;
		if (sscanf(line, "%x %lld %65s", &id, &created, hex) != 3 ||
		    parse_hex(hex, keys[*n].key, NTS_SIV_KEY_LEN)) {
			pr_err("nts: %s:%d: expected \"ID CREATED KEY\" (hex id, "
			       "Unix seconds, 64 hex digits)\n", path, lineno);
			return -EINVAL;
		}
		keys[*n].id = id;
		keys[*n].created = created;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

int nts_cookie_ring_load(struct nts_cookie_ring *r)
{
	struct nts_master_key keys[NTS_COOKIE_KEYS];
	struct stat sb;
	int n = 0, err;
	FILE *f;

	if (!r->path)
		return -ENOENT;
	f = fopen(r->path, "re");
	if (!f)
		return -errno;
	err = fstat(fileno(f), &sb) ? -errno : 0;
	if (!err && (sb.st_mode & 077)) {
		pr_err("nts: %s: readable or writable by group or others (mode %o): refused\n",
		       r->path, (unsigned int)(sb.st_mode & 0777));
		err = -EPERM;
	}
	if (!err)
		err = read_keys(f, r->path, keys, &n);
	fclose(f);
	if (!err) {
		pthread_rwlock_wrlock(&r->lock);
		memcpy(r->keys, keys, sizeof(keys));
		r->n = n;
		r->file_mtime = sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
		pthread_rwlock_unlock(&r->lock);
	}
	OPENSSL_cleanse(keys, sizeof(keys));
	return err;
}

static int save_keys(struct nts_cookie_ring *r)
{
	char tmp[4096];
	struct stat sb;
	int fd, i, k, err = 0;
	FILE *f;

	if (!r->path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", r->path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	fprintf(f, "%s\n", FILE_MAGIC);
	for (i = 0; i < r->n; i++) {
		fprintf(f, "%08x %lld ", r->keys[i].id, (long long)r->keys[i].created);
		for (k = 0; k < NTS_SIV_KEY_LEN; k++)
			fprintf(f, "%02x", r->keys[i].key[k]);
		fputc('\n', f);
	}
	if (fflush(f) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, r->path))
		err = -errno;
	if (!err && !stat(r->path, &sb))
		r->file_mtime = sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
cleanup:
	if (err) {
		unlink(tmp);
		pr_err("nts: writing %s: %s\n", r->path, strerror(-err));
	}
	return err;
}

static int ring_has_id(const struct nts_cookie_ring *r, uint32_t id)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->keys[i].id == id)
			return 1;
	return 0;
}

int nts_cookie_ring_rotate(struct nts_cookie_ring *r, int64_t now)
{
	struct nts_master_key fresh = { .created = now };
	int err;

	if (RAND_priv_bytes(fresh.key, sizeof(fresh.key)) != 1 ||
	    RAND_bytes((unsigned char *)&fresh.id, sizeof(fresh.id)) != 1)
		return -EIO;
	pthread_rwlock_wrlock(&r->lock);
	/* a new id never names an older key still in the ring */
	while (ring_has_id(r, fresh.id))
		fresh.id++;
	memmove(&r->keys[1], &r->keys[0], sizeof(r->keys[0]) * (NTS_COOKIE_KEYS - 1));
	r->keys[0] = fresh;
	if (r->n < NTS_COOKIE_KEYS)
		r->n++;
	err = save_keys(r);
	pthread_rwlock_unlock(&r->lock);
	OPENSSL_cleanse(&fresh, sizeof(fresh));
	return err;
}

int nts_cookie_ring_due(struct nts_cookie_ring *r, int64_t now, int64_t period)
{
	int due;

	pthread_rwlock_rdlock(&r->lock);
	due = !r->n || now - r->keys[0].created >= period;
	pthread_rwlock_unlock(&r->lock);
	return due;
}

int nts_cookie_seal(struct nts_cookie_ring *r, const struct nts_client_keys *k, uint8_t *out)
{
	uint8_t plain[COOKIE_PLAIN_LEN] = { 0, NTS_AEAD_AES_SIV_CMAC_256 };
	uint8_t *nonce = out + 4;
	int err = -ENOKEY;

	memcpy(plain + 2, k->c2s, NTS_SIV_KEY_LEN);
	memcpy(plain + 2 + NTS_SIV_KEY_LEN, k->s2c, NTS_SIV_KEY_LEN);
	if (RAND_bytes(nonce, NTS_COOKIE_NONCE_LEN) != 1)
		return -EIO;
	pthread_rwlock_rdlock(&r->lock);
	if (r->n) {
		out[0] = r->keys[0].id >> 24;
		out[1] = (r->keys[0].id >> 16) & 0xff;
		out[2] = (r->keys[0].id >> 8) & 0xff;
		out[3] = r->keys[0].id & 0xff;
		err = nts_siv_seal(r->keys[0].key, out, 4, nonce, NTS_COOKIE_NONCE_LEN, plain,
				   sizeof(plain), out + 4 + NTS_COOKIE_NONCE_LEN);
	}
	pthread_rwlock_unlock(&r->lock);
	memset(out + COOKIE_SEALED_LEN, 0, NTS_COOKIE_LEN - COOKIE_SEALED_LEN);
	OPENSSL_cleanse(plain, sizeof(plain));
	return err;
}

int nts_cookie_open(struct nts_cookie_ring *r, const uint8_t *cookie, size_t len,
		    struct nts_client_keys *k)
{
	uint8_t plain[COOKIE_PLAIN_LEN];
	uint32_t id;
	int i, err = -ENOKEY;

	if (len != NTS_COOKIE_LEN)
		return -EINVAL;
	id = (uint32_t)cookie[0] << 24 | (uint32_t)cookie[1] << 16 | cookie[2] << 8 | cookie[3];
	pthread_rwlock_rdlock(&r->lock);
	for (i = 0; i < r->n; i++) {
		if (r->keys[i].id != id)
			continue;
		err = nts_siv_open(r->keys[i].key, cookie, 4, cookie + 4, NTS_COOKIE_NONCE_LEN,
				   cookie + 4 + NTS_COOKIE_NONCE_LEN,
				   COOKIE_SEALED_LEN - 4 - NTS_COOKIE_NONCE_LEN, plain);
		break;
	}
	pthread_rwlock_unlock(&r->lock);
	if (!err && (plain[0] || plain[1] != NTS_AEAD_AES_SIV_CMAC_256))
		err = -EINVAL;
	if (!err) {
		memcpy(k->c2s, plain + 2, NTS_SIV_KEY_LEN);
		memcpy(k->s2c, plain + 2 + NTS_SIV_KEY_LEN, NTS_SIV_KEY_LEN);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return err;
}
