// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * NTS cookies and their master keys (userspace/nts_cookie.c): a sealed
 * cookie opens to the keys it carries; after a rotation it still opens,
 * after NTS_COOKIE_KEYS rotations it does not (-ENOKEY); a changed byte
 * never opens; the key file is 0600, a second ring (a fleet's other
 * server, or a restart) reading it opens the first one's cookies, a file
 * open to others is refused.
 */
#include <errno.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opens_what_it_sealed),
		cmocka_unit_test(any_changed_byte_refuses),
		cmocka_unit_test(rotation_keeps_the_last_keys),
		cmocka_unit_test(key_file_shared),
		cmocka_unit_test(key_file_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
