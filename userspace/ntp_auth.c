// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "ntp_auth.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
/* last: maps the OpenSSL names above to the lazily loaded library */
#include "openssl_lazy.h"

/* Longest key-file line, comment included; a longer one is an error, not a
 * key silently cut in two (the config file's limit, config.h). */
#define NTP_KEYS_MAX_LINE	1024

static const struct {
	const char *name;
	enum ntp_key_type type;
} type_names[] = {
	{ "MD5", NTP_KEY_MD5 },
	{ "M", NTP_KEY_MD5 },		/* ntpd's old spelling */
	{ "SHA1", NTP_KEY_SHA1 },
	{ "AES128CMAC", NTP_KEY_AES128_CMAC },	/* ntpd */
	{ "AES128", NTP_KEY_AES128_CMAC },	/* chrony */
	{ "AES-128-CMAC", NTP_KEY_AES128_CMAC },
};

size_t ntp_auth_digest_len(enum ntp_key_type type)
{
	return type == NTP_KEY_MD5 || type == NTP_KEY_AES128_CMAC ? 16 : 20;
}

static int parse_hex(const char *s, __u8 *out, size_t *len)
{
	size_t n = strlen(s), i;

	if (n == 0 || n % 2 || n / 2 > NTP_KEY_MAX_LEN)
		return -1;
	for (i = 0; i < n; i += 2) {
		unsigned int byte;

		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]) ||
		    sscanf(s + i, "%2x", &byte) != 1)
			return -1;
		out[i / 2] = (__u8)byte;
	}
	*len = n / 2;
	return 0;
}

static int parse_key(const char *text, struct ntp_key *k)
{
	if (!strncmp(text, "HEX:", 4))
		return parse_hex(text + 4, k->key, &k->key_len);
	if (!strncmp(text, "ASCII:", 6))
		text += 6;
	else if (strlen(text) > 20 && !parse_hex(text, k->key, &k->key_len))
		return 0;	/* ntpd: keys longer than 20 characters are hex */
	if (!*text || strlen(text) > NTP_KEY_MAX_LEN)
		return -1;
	k->key_len = strlen(text);
	memcpy(k->key, text, k->key_len);
	return 0;
}

static void *prepare(const struct ntp_key *k);
static void unprepare(struct ntp_key *k);

static int bad_line(const char *path, int line, const char *what, struct ntp_keyring *ring)
{
	pr_err("%s:%d: %s\n", path, line, what);
	ntp_keys_free(ring);
	return -EINVAL;
}

/* As ssh does with a private key: a secret the group or others may read
 * (or replace) is no secret, and a server signing with it proves nothing. */
static int check_private(const char *path, FILE *f)
{
	struct stat st;

	if (fstat(fileno(f), &st)) {
		pr_err("%s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		pr_err("%s: readable or writable by group or others (mode %04o): "
		       "keys must be the owner's only (chmod 600 %s)\n", path,
		       (unsigned int)(st.st_mode & 07777), path);
		return -EACCES;
	}
	return 0;
}

int ntp_keys_load(const char *path, struct ntp_keyring *out)
{
	/* the line, its '\n' and the NUL: a line that fills it is too long */
	char buf[NTP_KEYS_MAX_LINE + 2], *tok[4], *save, *p;
	struct ntp_keyring ring = { 0 };
	int line = 0, n;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		n = -errno;
		pr_err("%s: %s\n", path, strerror(-n));
		return n;
	}
	n = check_private(path, f);
	if (n) {
		fclose(f);
		return n;
	}
	while (fgets(buf, sizeof(buf), f)) {
		struct ntp_key k = { 0 };
		unsigned long id;
		size_t i;

		line++;
		if (!strchr(buf, '\n') && strlen(buf) > NTP_KEYS_MAX_LINE) {
			fclose(f);
			return bad_line(path, line, "line longer than 1024 characters", &ring);
		}
		if ((p = strchr(buf, '#')))
			*p = '\0';
		n = 0;
		for (p = strtok_r(buf, " \t\r\n", &save); p && n < 4; p = strtok_r(NULL, " \t\r\n", &save))
			tok[n++] = p;
		if (n == 0)
			continue;
		if (n > 3 || n < 2) {
			fclose(f);
			return bad_line(path, line, "expected 'ID [TYPE] KEY'", &ring);
		}
		id = strtoul(tok[0], &p, 10);
		if (*p || id == 0 || id > 0xffffffffUL) {
			fclose(f);
			return bad_line(path, line, "key ID must be 1 to 4294967295", &ring);
		}
		k.id = (__u32)id;
		k.type = NTP_KEY_MD5;
		if (n == 3) {
			for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
				if (!strcasecmp(tok[1], type_names[i].name))
					break;
			if (i == sizeof(type_names) / sizeof(type_names[0])) {
				fclose(f);
				return bad_line(path, line, "unknown key type (MD5, SHA1, AES128CMAC)",
						&ring);
			}
			k.type = type_names[i].type;
		}
		if (parse_key(tok[n - 1], &k)) {
			fclose(f);
			return bad_line(path, line, "bad key (ASCII:text, HEX:digits or bare text)", &ring);
		}
		if (k.type == NTP_KEY_AES128_CMAC && k.key_len != 16) {
			fclose(f);
			return bad_line(path, line, "AES128 keys are exactly 128 bits (32 hex digits)",
					&ring);
		}
		if (ntp_keys_find(&ring, k.id)) {
			fclose(f);
			return bad_line(path, line, "duplicate key ID", &ring);
		}
		struct ntp_key *grown = realloc(ring.keys, sizeof(*grown) * (size_t)(ring.n + 1));

		if (!grown) {
			fclose(f);
			ntp_keys_free(&ring);
			return -ENOMEM;
		}
		ring.keys = grown;
		ring.keys[ring.n++] = k;
	}
	fclose(f);
	for (n = 0; n < ring.n; n++) {
		ring.keys[n].prepared = prepare(&ring.keys[n]);
		if (!ring.keys[n].prepared) {
			pr_err("%s: key %u: the crypto library refuses it\n", path,
				ring.keys[n].id);
			ntp_keys_free(&ring);
			return -EIO;
		}
	}
	*out = ring;
	return 0;
}

void ntp_keys_free(struct ntp_keyring *ring)
{
	int i;

	for (i = 0; ring->keys && i < ring->n; i++)
		unprepare(&ring->keys[i]);
	if (ring->keys)
		OPENSSL_cleanse(ring->keys, sizeof(*ring->keys) * (size_t)ring->n);
	free(ring->keys);
	ring->keys = NULL;
	ring->n = 0;
}

const struct ntp_key *ntp_keys_find(const struct ntp_keyring *ring, __u32 id)
{
	int i;

	for (i = 0; ring && i < ring->n; i++)
		if (ring->keys[i].id == id)
			return &ring->keys[i];
	return NULL;
}

const struct ntp_key *ntp_keys_trusted(const struct ntp_keyring *ring, __u32 id)
{
	const struct ntp_key *k = ntp_keys_find(ring, id);

	return k && !k->untrusted ? k : NULL;
}

static bool trust_covers(const struct ntp_trust *t, int i, __u32 id)
{
	return id >= t->lo[i] && id <= t->hi[i];
}

int ntp_keys_trust(struct ntp_keyring *ring, const struct ntp_trust *trust, const char *path)
{
	int i, j, found;

	for (i = 0; i < trust->n; i++) {
		for (j = 0, found = 0; j < ring->n && !found; j++)
			found = trust_covers(trust, i, ring->keys[j].id);
		if (found)
			continue;
		if (!path)
			pr_err("trustedkey: no key file to trust keys of (--keys, keyfile)\n");
		else if (trust->lo[i] == trust->hi[i])
			pr_err("trustedkey %u: no such key in %s\n", trust->lo[i], path);
		else
			pr_err("trustedkey %u-%u: no key in that range in %s\n", trust->lo[i],
			       trust->hi[i], path);
		return -EINVAL;
	}
	for (j = 0; trust->n && j < ring->n; j++) {
		for (i = 0, found = 0; i < trust->n && !found; i++)
			found = trust_covers(trust, i, ring->keys[j].id);
		ring->keys[j].untrusted = !found;
	}
	return 0;
}

int ntp_keys_load_trusted(const char *path, const struct ntp_trust *trust,
			  struct ntp_keyring *out)
{
	int err;

	*out = (struct ntp_keyring){ 0 };
	if (path) {
		err = ntp_keys_load(path, out);
		if (err)
			return err;
	}
	err = ntp_keys_trust(out, trust, path);
	if (err)
		ntp_keys_free(out);
	return err;
}

static int parse_key_id(const char *s, char **end, __u32 *id)
{
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno || v == 0 || v > 0xffffffffUL)
		return -EINVAL;
	*id = (__u32)v;
	return 0;
}

int ntp_trust_parse(const char *text, struct ntp_trust *trust)
{
	const char *p = text;
	char *end;
	__u32 lo, hi;

	do {
		if (parse_key_id(p, &end, &lo))
			return -EINVAL;
		hi = lo;
		if (*end == '-' && parse_key_id(end + 1, &end, &hi))
			return -EINVAL;
		if ((*end && *end != ',') || lo > hi)
			return -EINVAL;
		if (trust->n == NTP_TRUST_MAX)
			return -ENOSPC;
		trust->lo[trust->n] = lo;
		trust->hi[trust->n++] = hi;
		p = end + 1;
	} while (*end);
	return 0;
}

static const EVP_MD *md_of(enum ntp_key_type type)
{
	return type == NTP_KEY_MD5 ? EVP_md5() : EVP_sha1();
}

/* A context keyed with k, ready for the packet: see struct ntp_key. */
static void *prepare(const struct ntp_key *k)
{
	if (k->type == NTP_KEY_AES128_CMAC) {
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
							 (char *)"AES-128-CBC", 0),
			OSSL_PARAM_construct_end(),
		};
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
		EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

		/* the context holds its own reference to the algorithm */
		EVP_MAC_free(mac);
		if (ctx && !EVP_MAC_init(ctx, k->key, k->key_len, params)) {
			EVP_MAC_CTX_free(ctx);
			ctx = NULL;
		}
		return ctx;
	}
	/* RFC 5905 legacy MAC: digest(key || packet), so the key goes in first */
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx && !(EVP_DigestInit_ex(ctx, md_of(k->type), NULL) &&
		     EVP_DigestUpdate(ctx, k->key, k->key_len))) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static void unprepare(struct ntp_key *k)
{
	if (k->type == NTP_KEY_AES128_CMAC)
		EVP_MAC_CTX_free(k->prepared);
	else
		EVP_MD_CTX_free(k->prepared);
	k->prepared = NULL;
}

int ntp_auth_digest(const struct ntp_key *key, const void *data, size_t len, __u8 *digest)
{
	void *own = key->prepared ? NULL : prepare(key);
	const void *base = key->prepared ? key->prepared : own;
	__u8 full[EVP_MAX_MD_SIZE];
	size_t want = ntp_auth_digest_len(key->type), out_len = 0;
	int ok = 0;

	if (!base)
		return -EIO;
	if (key->type == NTP_KEY_AES128_CMAC) {
		EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(base);

		ok = ctx && EVP_MAC_update(ctx, data, len) &&
		     EVP_MAC_final(ctx, digest, &out_len, want) && out_len == want;
		EVP_MAC_CTX_free(ctx);
	} else {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		unsigned int full_len = 0;

		ok = ctx && EVP_MD_CTX_copy_ex(ctx, base) && EVP_DigestUpdate(ctx, data, len) &&
		     EVP_DigestFinal_ex(ctx, full, &full_len) && full_len >= want;
		EVP_MD_CTX_free(ctx);
		if (ok)
			memcpy(digest, full, want);
	}
	if (own) {
		struct ntp_key tmp = *key;

		tmp.prepared = own;
		unprepare(&tmp);
	}
	return ok ? 0 : -EIO;
}

enum ntp_auth_verdict ntp_auth_lookup(const struct ntp_keyring *ring, const __u8 *pkt,
				      size_t len, const struct ntp_key **key)
{
	size_t mac_len = len - NTP_PACKET_LEN;
	__be32 keyid;

	*key = NULL;
	if (len == NTP_PACKET_LEN)
		return NTP_AUTH_NONE;
	/* a MAC alone is 4 + 16 or 4 + 20 bytes; anything else has extension
	 * fields (RFC 7822), which we do not parse yet */
	if (len < NTP_PACKET_LEN || (mac_len != 20 && mac_len != 24))
		return NTP_AUTH_UNSUPPORTED;
	memcpy(&keyid, pkt + NTP_PACKET_LEN, 4);
	/* an untrusted key is answered as an unknown one: a crypto-NAK */
	*key = ntp_keys_trusted(ring, ntohl(keyid));
	if (!*key)
		return NTP_AUTH_UNKNOWN_KEY;
	if (ntp_auth_digest_len((*key)->type) != mac_len - 4)
		return NTP_AUTH_BAD_MAC;
	return NTP_AUTH_OK;
}

enum ntp_auth_verdict ntp_auth_verify(const struct ntp_key *key, const __u8 *pkt, size_t len)
{
	__u8 digest[NTP_MAC_MAX_DIGEST];
	size_t dlen = ntp_auth_digest_len(key->type);

	if (len != NTP_PACKET_LEN + 4 + dlen || ntp_auth_digest(key, pkt, NTP_PACKET_LEN, digest) ||
	    CRYPTO_memcmp(digest, pkt + NTP_PACKET_LEN + 4, dlen))
		return NTP_AUTH_BAD_MAC;
	return NTP_AUTH_OK;
}

enum ntp_auth_verdict ntp_auth_check(const struct ntp_keyring *ring, const __u8 *pkt,
				     size_t len, const struct ntp_key **key)
{
	enum ntp_auth_verdict v = ntp_auth_lookup(ring, pkt, len, key);

	return v == NTP_AUTH_OK ? ntp_auth_verify(*key, pkt, len) : v;
}

size_t ntp_auth_sign(const struct ntp_key *key, __u8 *pkt)
{
	__be32 keyid = htonl(key->id);

	memcpy(pkt + NTP_PACKET_LEN, &keyid, 4);
	if (ntp_auth_digest(key, pkt, NTP_PACKET_LEN, pkt + NTP_PACKET_LEN + 4))
		return 0;
	return NTP_PACKET_LEN + 4 + ntp_auth_digest_len(key->type);
}
