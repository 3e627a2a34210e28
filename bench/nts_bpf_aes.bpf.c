// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * AES-128 encryption in plain BPF instructions, for docs/nts.md's note on
 * answering NTS inside XDP: the bpf_crypto kfuncs need a context made in a
 * sleepable syscall program, so they cannot take the per-request C2S/S2C
 * keys an NTS answer is sealed with; an XDP program would have to expand
 * those keys itself.  A bench prototype, never part of the product.
 *
 * The frame holds a 16-byte key, then up to MAX_BLOCKS blocks.  Per run:
 * expand the key into `round_keys` when `expand` is set, then encrypt the
 * first `nblocks` blocks into `out` (ECB, which is what CMAC and CTR are
 * built from; AES-SIV never decrypts with the block cipher).
 *
 * T-tables (FIPS-197 section 5.2.1's round as four table look-ups per
 * column): cheap in BPF, which has no rotate and no AES instruction, but
 * the look-ups' addresses depend on key and data, so a cache-timing
 * attacker sharing the core learns about the key: a real server would need
 * a bitsliced or fixed-time version, which costs more.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define MAX_BLOCKS 64
#define ROUNDS 10

/* filled by the harness before load (generated, not copied: bench/nts_bpf_aes.c) */
const volatile __u32 te0[256], te1[256], te2[256], te3[256];
const volatile __u8 sbox[256];

__u32 expand = 1;		/* key expansion in this run */
__u32 nblocks = 1;		/* blocks encrypted in this run */
__u32 round_keys[4 * (ROUNDS + 1)];
__u8 out[MAX_BLOCKS * 16];

static const __u8 rcon[ROUNDS] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36 };

static __always_inline __u32 load_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static __always_inline void store_be32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static __always_inline __u32 sub_word(__u32 w)
{
	return (__u32)sbox[(w >> 24) & 0xff] << 24 | (__u32)sbox[(w >> 16) & 0xff] << 16 |
	       (__u32)sbox[(w >> 8) & 0xff] << 8 | sbox[w & 0xff];
}

/* FIPS-197 section 5.2 for Nk = 4: 40 words from the 4 of the key */
static __always_inline void expand_key(const __u8 *key, __u32 *rk)
{
	int r;

	rk[0] = load_be32(key);
	rk[1] = load_be32(key + 4);
	rk[2] = load_be32(key + 8);
	rk[3] = load_be32(key + 12);
#pragma clang loop unroll(full)
	for (r = 0; r < ROUNDS; r++) {
		__u32 t = rk[4 * r + 3];

		t = sub_word(t << 8 | t >> 24) ^ (__u32)rcon[r] << 24;
		rk[4 * r + 4] = rk[4 * r] ^ t;
		rk[4 * r + 5] = rk[4 * r + 1] ^ rk[4 * r + 4];
		rk[4 * r + 6] = rk[4 * r + 2] ^ rk[4 * r + 5];
		rk[4 * r + 7] = rk[4 * r + 3] ^ rk[4 * r + 6];
	}
}

#define TROUND(a, b, c, d, k)                                                              \
	(te0[((a) >> 24) & 0xff] ^ te1[((b) >> 16) & 0xff] ^ te2[((c) >> 8) & 0xff] ^      \
	 te3[(d) & 0xff] ^ (k))
#define FROUND(a, b, c, d, k)                                                              \
	((__u32)sbox[((a) >> 24) & 0xff] << 24 ^ (__u32)sbox[((b) >> 16) & 0xff] << 16 ^  \
	 (__u32)sbox[((c) >> 8) & 0xff] << 8 ^ (__u32)sbox[(d) & 0xff] ^ (k))

static __always_inline void encrypt_block(const __u32 *rk, const __u8 *in, __u8 *dst)
{
	__u32 s0 = load_be32(in) ^ rk[0], s1 = load_be32(in + 4) ^ rk[1];
	__u32 s2 = load_be32(in + 8) ^ rk[2], s3 = load_be32(in + 12) ^ rk[3];
	__u32 t0, t1, t2, t3;
	int r;

#pragma clang loop unroll(full)
	for (r = 1; r < ROUNDS; r++) {
		t0 = TROUND(s0, s1, s2, s3, rk[4 * r]);
		t1 = TROUND(s1, s2, s3, s0, rk[4 * r + 1]);
		t2 = TROUND(s2, s3, s0, s1, rk[4 * r + 2]);
		t3 = TROUND(s3, s0, s1, s2, rk[4 * r + 3]);
		s0 = t0;
		s1 = t1;
		s2 = t2;
		s3 = t3;
	}
	store_be32(dst, FROUND(s0, s1, s2, s3, rk[40]));
	store_be32(dst + 4, FROUND(s1, s2, s3, s0, rk[41]));
	store_be32(dst + 8, FROUND(s2, s3, s0, s1, rk[42]));
	store_be32(dst + 12, FROUND(s3, s0, s1, s2, rk[43]));
}

SEC("xdp")
int aes_run(struct xdp_md *xdp)
{
	const __u8 *data = (const __u8 *)(long)xdp->data;
	const __u8 *end = (const __u8 *)(long)xdp->data_end;
	__u32 i;

	if (data + 16 + MAX_BLOCKS * 16 > end)
		return XDP_ABORTED;
	if (expand)
		expand_key(data, round_keys);
#pragma clang loop unroll(disable)
	for (i = 0; i < MAX_BLOCKS; i++) {
		if (i >= nblocks)
			break;
		encrypt_block(round_keys, data + 16 + i * 16, out + i * 16);
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
