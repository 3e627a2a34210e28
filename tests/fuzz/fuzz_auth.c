// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Symmetric-key authentication.  First byte even: the rest is a client
 * packet judged by ntp_auth_check against a fixed keyring.  Odd: the rest
 * is a key file for ntp_keys_load (through a memfd), and every key it
 * yields must sign a packet that ntp_auth_check then accepts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "ntp_auth.h"
#include "ntp_proto.h"

static struct ntp_key fixed_keys[] = {
	{ .id = 1, .type = NTP_KEY_MD5, .key = "md5secret", .key_len = 9 },
	{ .id = 2, .type = NTP_KEY_SHA1, .key = "sha1secret", .key_len = 10 },
	{ .id = 3, .type = NTP_KEY_AES128_CMAC,
	  .key = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff },
	  .key_len = 16 },
	{ .id = 0xffffffff, .type = NTP_KEY_SHA1, .key = "max", .key_len = 3 },
};
static const struct ntp_keyring fixed_ring = { fixed_keys, 4 };

static int key_fd = -1;
static char key_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	key_fd = memfd_create("fuzz-keys", 0);
	if (key_fd < 0) {
		perror("memfd_create");
		abort();
	}
	/* ntp_keys_load refuses a key file others may read; a memfd is 0777 */
	if (fchmod(key_fd, 0600)) {
		perror("fchmod");
		abort();
	}
	snprintf(key_path, sizeof(key_path), "/proc/self/fd/%d", key_fd);
	return 0;
}

static void check_packet(const __u8 *data, size_t len)
{
	const struct ntp_key *key = (const struct ntp_key *)1;
	enum ntp_auth_verdict v;
	__u8 *pkt = malloc(len ? len : 1);	/* exact size: ASan bounds */

	if (!pkt)
		return;
	if (len)
		memcpy(pkt, data, len);
	v = ntp_auth_check(&fixed_ring, pkt, len, &key);
	FUZZ_CHECK((v == NTP_AUTH_NONE) == (len == NTP_PACKET_LEN));
	FUZZ_CHECK(v <= NTP_AUTH_UNSUPPORTED);
	if (v == NTP_AUTH_OK || v == NTP_AUTH_BAD_MAC) {
		__be32 id;

		FUZZ_CHECK(key != NULL);
		memcpy(&id, pkt + NTP_PACKET_LEN, 4);
		FUZZ_CHECK(key == ntp_keys_find(&fixed_ring, ntohl(id)));
	} else {
		FUZZ_CHECK(key == NULL);
	}
	if (v == NTP_AUTH_OK) {
		__u8 digest[NTP_MAC_MAX_DIGEST];

		FUZZ_CHECK(len == NTP_PACKET_LEN + 4 + ntp_auth_digest_len(key->type));
		FUZZ_CHECK(!ntp_auth_digest(key, pkt, NTP_PACKET_LEN, digest));
		FUZZ_CHECK(!memcmp(digest, pkt + NTP_PACKET_LEN + 4, ntp_auth_digest_len(key->type)));
	}
	free(pkt);
}

static void check_key_file(const __u8 *data, size_t len)
{
	struct ntp_keyring ring = { 0 };
	int i;

	if (ftruncate(key_fd, 0) || (len && pwrite(key_fd, data, len, 0) != (ssize_t)len))
		abort();
	if (ntp_keys_load(key_path, &ring))
		return;
	for (i = 0; i < ring.n; i++) {
		const struct ntp_key *k = &ring.keys[i], *found;
		__u8 buf[NTP_PACKET_LEN + 4 + NTP_MAC_MAX_DIGEST + 8];
		size_t n;

		FUZZ_CHECK(k->id != 0);
		FUZZ_CHECK(k->key_len >= 1 && k->key_len <= NTP_KEY_MAX_LEN);
		FUZZ_CHECK(k->type != NTP_KEY_AES128_CMAC || k->key_len == 16);
		FUZZ_CHECK(ntp_keys_find(&ring, k->id) == k);	/* IDs are unique */
		/* sign and verify round trip, nothing written past the MAC */
		memset(buf, 0xa5, sizeof(buf));
		memset(buf, 0, NTP_PACKET_LEN);
		buf[0] = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT);
		n = ntp_auth_sign(k, buf);
		FUZZ_CHECK(n == NTP_PACKET_LEN + 4 + ntp_auth_digest_len(k->type));
		for (size_t j = n; j < sizeof(buf); j++)
			FUZZ_CHECK(buf[j] == 0xa5);
		FUZZ_CHECK(ntp_auth_check(&ring, buf, n, &found) == NTP_AUTH_OK && found == k);
		buf[NTP_PACKET_LEN + 4] ^= 1;
		FUZZ_CHECK(ntp_auth_check(&ring, buf, n, &found) == NTP_AUTH_BAD_MAC);
	}
	ntp_keys_free(&ring);
	FUZZ_CHECK(ring.keys == NULL && ring.n == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		check_key_file(data + 1, size - 1);
	else
		check_packet(data + 1, size - 1);
	return 0;
}
