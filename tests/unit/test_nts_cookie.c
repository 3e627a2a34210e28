// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * NTS cookies and their master keys (userspace/nts_cookie.c): a sealed
 * cookie opens to the keys it carries; after a rotation it still opens,
 * after NTS_COOKIE_KEYS rotations it does not (-ENOKEY); a changed byte
 * never opens; the key file is 0600, a second ring (a fleet's other
 * server, or a restart) reading it opens the first one's cookies, a file
 * open to others is refused; a cookie sealed under a rotated-in key opens
 * after later rotations; a key file that brings an id back with other
 * bytes is used, not the old key's schedule kept by the thread; nonces
 * differ over many seals; seal and open stay right in threads while
 * another rotates (no lock on their path).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "nts_cookie.h"

static const struct nts_client_keys keys = {
	.c2s = { 0xc2, 0x5, 1 }, .s2c = { 0x52, 0xc, 2 },
};

static void opens_what_it_sealed(void **state)
{
	struct nts_cookie_ring r;
	struct nts_client_keys got;
	uint8_t c1[NTS_COOKIE_LEN], c2[NTS_COOKIE_LEN];

	(void)state;
	assert_int_equal(nts_cookie_ring_init(&r, NULL), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, c1), -ENOKEY);	/* no key yet */
	assert_int_equal(nts_cookie_ring_rotate(&r, 1000), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, c1), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, c2), 0);
	/* a fresh nonce each time: two cookies for one client are unlinkable */
	assert_memory_not_equal(c1 + 4, c2 + 4, NTS_COOKIE_LEN - 4);
	assert_int_equal(nts_cookie_open(&r, c1, sizeof(c1), &got), 0);
	assert_memory_equal(&got, &keys, sizeof(keys));
	assert_int_equal(nts_cookie_open(&r, c1, sizeof(c1) - 4, &got), -EINVAL);
	nts_cookie_ring_free(&r);
}

static void any_changed_byte_refuses(void **state)
{
	struct nts_cookie_ring r;
	struct nts_client_keys got;
	uint8_t c[NTS_COOKIE_LEN];
	size_t i;
	int err;

	(void)state;
	assert_int_equal(nts_cookie_ring_init(&r, NULL), 0);
	assert_int_equal(nts_cookie_ring_rotate(&r, 1000), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, c), 0);
	/* the sealed part: key id, nonce, tag, text (102 bytes; the pad is not) */
	for (i = 0; i < 102; i++) {
		c[i] ^= 0x40;
		err = nts_cookie_open(&r, c, sizeof(c), &got);
		if (err != (i < 4 ? -ENOKEY : -EBADMSG))
			fail_msg("byte %zu changed: %d", i, err);
		c[i] ^= 0x40;
	}
	nts_cookie_ring_free(&r);
}

static void rotation_keeps_the_last_keys(void **state)
{
	struct nts_cookie_ring r;
	struct nts_client_keys got;
	uint8_t old[NTS_COOKIE_LEN];
	int i;

	(void)state;
	assert_int_equal(nts_cookie_ring_init(&r, NULL), 0);
	assert_int_equal(nts_cookie_ring_rotate(&r, 1000), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, old), 0);
	assert_false(nts_cookie_ring_due(&r, 1000 + 99, 100));
	assert_true(nts_cookie_ring_due(&r, 1000 + 100, 100));
	for (i = 1; i < NTS_COOKIE_KEYS; i++) {
		assert_int_equal(nts_cookie_ring_rotate(&r, 1000 + 100 * i), 0);
		assert_int_equal(nts_cookie_open(&r, old, sizeof(old), &got), 0);
	}
	assert_int_equal(nts_cookie_ring_rotate(&r, 1000 + 100 * i), 0);
	assert_int_equal(nts_cookie_open(&r, old, sizeof(old), &got), -ENOKEY);
	nts_cookie_ring_free(&r);
}

static void key_file_shared(void **state)
{
	char dir[] = "/tmp/xdp-ntpd-nts-XXXXXX", path[128];
	struct nts_cookie_ring a, b;
	struct nts_client_keys got;
	uint8_t c[NTS_COOKIE_LEN];
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, NTS_KEYS_FILE);
	assert_int_equal(nts_cookie_ring_init(&a, dir), 0);
	assert_int_equal(nts_cookie_ring_load(&a), -ENOENT);
	assert_int_equal(nts_cookie_ring_rotate(&a, 1000), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(nts_cookie_seal(&a, &keys, c), 0);
	/* another server (or the next start) reads the same keys */
	assert_int_equal(nts_cookie_ring_init(&b, dir), 0);
	assert_int_equal(nts_cookie_ring_load(&b), 0);
	assert_int_equal(nts_cookie_open(&b, c, sizeof(c), &got), 0);
	assert_memory_equal(&got, &keys, sizeof(keys));
	/* the writer rotates; the reader, re-reading, still opens the old cookie */
	assert_int_equal(nts_cookie_ring_rotate(&a, 2000), 0);
	assert_int_equal(nts_cookie_ring_load(&b), 0);
	assert_int_equal(nts_cookie_ring_keys(&b), 2);
	assert_int_equal(nts_cookie_open(&b, c, sizeof(c), &got), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(nts_cookie_ring_load(&b), -EPERM);
	nts_cookie_ring_free(&a);
	nts_cookie_ring_free(&b);
	unlink(path);
	rmdir(dir);
}

static void key_file_malformed(void **state)
{
	char dir[] = "/tmp/xdp-ntpd-nts-XXXXXX", path[128];
	struct nts_cookie_ring r;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, NTS_KEYS_FILE);
	assert_int_equal(nts_cookie_ring_init(&r, dir), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "xdp-ntpd-nts-keys 1\n0000abcd 1000 00112233\n");	/* a short key */
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(nts_cookie_ring_load(&r), -EINVAL);
	assert_int_equal(nts_cookie_ring_keys(&r), 0);
	nts_cookie_ring_free(&r);
	unlink(path);
	rmdir(dir);
}

static uint32_t cookie_id(const uint8_t *c)
{
	return (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
}

/* The newest key seals; its cookies open after it is no longer newest. */
static void rotated_in_key_opens_after_rotation(void **state)
{
	struct nts_cookie_ring r;
	struct nts_client_keys got;
	uint8_t c1[NTS_COOKIE_LEN], c2[NTS_COOKIE_LEN];
	int i;

	(void)state;
	assert_int_equal(nts_cookie_ring_init(&r, NULL), 0);
	assert_int_equal(nts_cookie_ring_rotate(&r, 1000), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, c1), 0);	/* schedules key 1 here */
	assert_int_equal(nts_cookie_ring_rotate(&r, 2000), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, c2), 0);
	assert_int_not_equal(cookie_id(c1), cookie_id(c2));	/* under the new key */
	for (i = 0; i < NTS_COOKIE_KEYS - 2; i++) {
		assert_int_equal(nts_cookie_open(&r, c1, sizeof(c1), &got), 0);
		assert_memory_equal(&got, &keys, sizeof(keys));
		assert_int_equal(nts_cookie_open(&r, c2, sizeof(c2), &got), 0);
		assert_memory_equal(&got, &keys, sizeof(keys));
		assert_int_equal(nts_cookie_ring_rotate(&r, 3000 + i), 0);
	}
	assert_int_equal(nts_cookie_open(&r, c2, sizeof(c2), &got), 0);
	nts_cookie_ring_free(&r);
}

static void write_key_file(const char *path, const char *hexkey)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "xdp-ntpd-nts-keys 1\n00000001 1000 %s\n", hexkey);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

/*
 * A fleet's file can bring key id 1 back with other bytes: what is then
 * sealed is under the new bytes (a ring reading only the new file opens
 * it), not under the schedule this thread kept for the old id-1 key.
 */
static void same_id_new_bytes_uses_new_key(void **state)
{
	static const char kx[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	static const char ky[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
	char dir[] = "/tmp/xdp-ntpd-nts-XXXXXX", path[128];
	struct nts_cookie_ring r, y;
	struct nts_client_keys got;
	uint8_t cx[NTS_COOKIE_LEN], cy[NTS_COOKIE_LEN];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, NTS_KEYS_FILE);
	assert_int_equal(nts_cookie_ring_init(&r, dir), 0);
	write_key_file(path, kx);
	assert_int_equal(nts_cookie_ring_load(&r), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, cx), 0);
	write_key_file(path, ky);
	assert_int_equal(nts_cookie_ring_load(&r), 0);
	assert_int_equal(nts_cookie_seal(&r, &keys, cy), 0);
	assert_int_equal(cookie_id(cx), 1);
	assert_int_equal(cookie_id(cy), 1);
	assert_int_equal(nts_cookie_ring_init(&y, dir), 0);
	assert_int_equal(nts_cookie_ring_load(&y), 0);
	assert_int_equal(nts_cookie_open(&y, cy, sizeof(cy), &got), 0);
	assert_int_equal(nts_cookie_open(&y, cx, sizeof(cx), &got), -EBADMSG);
	assert_int_equal(nts_cookie_open(&r, cx, sizeof(cx), &got), -EBADMSG);
	nts_cookie_ring_free(&r);
	nts_cookie_ring_free(&y);
	unlink(path);
	rmdir(dir);
}

static int cmp_nonce(const void *a, const void *b)
{
	return memcmp(a, b, NTS_COOKIE_NONCE_LEN);
}

#define SEALS	50000

/* SEALS cookies, SEALS nonces: none twice (each under the same key) */
static void cookie_nonces_distinct(void **state)
{
	uint8_t *nonces = malloc((size_t)SEALS * NTS_COOKIE_NONCE_LEN), c[NTS_COOKIE_LEN];
	struct nts_cookie_ring r;
	int i;

	(void)state;
	assert_non_null(nonces);
	assert_int_equal(nts_cookie_ring_init(&r, NULL), 0);
	assert_int_equal(nts_cookie_ring_rotate(&r, 1000), 0);
	for (i = 0; i < SEALS; i++) {
		assert_int_equal(nts_cookie_seal(&r, &keys, c), 0);
		memcpy(nonces + (size_t)i * NTS_COOKIE_NONCE_LEN, c + 4, NTS_COOKIE_NONCE_LEN);
	}
	qsort(nonces, SEALS, NTS_COOKIE_NONCE_LEN, cmp_nonce);
	for (i = 1; i < SEALS; i++)
		assert_true(memcmp(nonces + (size_t)(i - 1) * NTS_COOKIE_NONCE_LEN,
				   nonces + (size_t)i * NTS_COOKIE_NONCE_LEN, NTS_COOKIE_NONCE_LEN));
	nts_cookie_ring_free(&r);
	free(nonces);
}

#define WORKER_ROUNDS	20000
#define ROTATIONS	300

struct worker {
	struct nts_cookie_ring *r;
	int opened, rotated_out, wrong;
};

/*
 * Seal then open at once, as a socket worker does per request, while the
 * main thread rotates: a cookie opens to its keys, or (a few rotations
 * came between) is -ENOKEY; nothing else, and under ASan no freed set is
 * read (the sanitizer suite runs this too).
 */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct nts_client_keys got;
	uint8_t c[NTS_COOKIE_LEN];
	int i, err;

	for (i = 0; i < WORKER_ROUNDS; i++) {
		err = nts_cookie_seal(w->r, &keys, c);
		if (!err)
			err = nts_cookie_open(w->r, c, sizeof(c), &got);
		if (!err && !memcmp(&got, &keys, sizeof(keys)))
			w->opened++;
		else if (err == -ENOKEY)
			w->rotated_out++;
		else
			w->wrong++;
	}
	return NULL;
}

static void readers_while_rotating(void **state)
{
	struct nts_cookie_ring r;
	struct worker w[2] = { { .r = &r }, { .r = &r } };
	pthread_t t[2];
	int i;

	(void)state;
	assert_int_equal(nts_cookie_ring_init(&r, NULL), 0);
	assert_int_equal(nts_cookie_ring_rotate(&r, 1), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	for (i = 0; i < ROTATIONS; i++)
		assert_int_equal(nts_cookie_ring_rotate(&r, 2 + i), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].wrong, 0);
		assert_int_equal(w[i].opened + w[i].rotated_out, WORKER_ROUNDS);
		assert_true(w[i].opened > 0);
	}
	nts_cookie_ring_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opens_what_it_sealed),
		cmocka_unit_test(any_changed_byte_refuses),
		cmocka_unit_test(rotation_keeps_the_last_keys),
		cmocka_unit_test(key_file_shared),
		cmocka_unit_test(key_file_malformed),
		cmocka_unit_test(rotated_in_key_opens_after_rotation),
		cmocka_unit_test(same_id_new_bytes_uses_new_key),
		cmocka_unit_test(cookie_nonces_distinct),
		cmocka_unit_test(readers_while_rotating),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
