/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of exactly 16 bytes: a keyed
 * hash, so whoever picks the addresses hashed cannot pick which ones
 * collide without knowing the key.  Words are little endian, as the
 * reference code reads them on any host.
 */
#ifndef NTPD_SIPHASH_H
#define NTPD_SIPHASH_H

#include <endian.h>
#include <linux/types.h>
#include <string.h>

#define SIPHASH_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPHASH_ROUND(v0, v1, v2, v3)					\
	do {								\
		v0 += v1; v1 = SIPHASH_ROTL(v1, 13); v1 ^= v0;		\
		v0 = SIPHASH_ROTL(v0, 32);				\
		v2 += v3; v3 = SIPHASH_ROTL(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = SIPHASH_ROTL(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = SIPHASH_ROTL(v1, 17); v1 ^= v2;		\
		v2 = SIPHASH_ROTL(v2, 32);				\
	} while (0)

static inline __u64 siphash24_16(const __u8 key[16], const __u8 in[16])
{
	__u64 k0, k1, m[2], v0, v1, v2, v3, b = 16ULL << 56;	/* length byte */
	int i;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	memcpy(m, in, 16);
	k0 = le64toh(k0);
	k1 = le64toh(k1);
	v0 = k0 ^ 0x736f6d6570736575ULL;	/* "somepseudorandomlygeneratedbytes" */
	v1 = k1 ^ 0x646f72616e646f6dULL;
	v2 = k0 ^ 0x6c7967656e657261ULL;
	v3 = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i < 2; i++) {
		__u64 w = le64toh(m[i]);

		v3 ^= w;
		SIPHASH_ROUND(v0, v1, v2, v3);
		SIPHASH_ROUND(v0, v1, v2, v3);
		v0 ^= w;
	}
	v3 ^= b;
	SIPHASH_ROUND(v0, v1, v2, v3);
	SIPHASH_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		SIPHASH_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif /* NTPD_SIPHASH_H */
