// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nts-bpf-aes-ct: what a constant-time AES costs against a T-table one, in
 * native code, for docs/nts.md's note on answering NTS inside XDP.  The BPF
 * prototype (bench/nts_bpf_aes.bpf.c) uses T-tables, whose look-ups leak
 * the key to cache timing; a server would need a bitsliced AES.  BearSSL
 * ships both kinds behind one API (aes_big: T-tables; aes_ct64: bitsliced
 * over 64-bit words, four blocks at once, no table), so their ratio,
 * applied to the BPF T-table figure, estimates a constant-time AES in BPF.
 * Per block in CBC (sequential, as CMAC is within one string) and CTR
 * (independent blocks), over 1024 bytes; per key schedule.  Thread CPU
 * time, min and median over ROUNDS.  Usage: nts-bpf-aes-ct [ROUNDS];
 * exits 1 if either implementation misses the known answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>
#include <openssl/evp.h>

#define LEN 1024
#define BLOCKS (LEN / 16)
#define MAX_ROUNDS 31
#define RUNS 20000		/* 1024-byte passes per measurement */
#define INITS 200000		/* key schedules per measurement */

#include "fips197.h"

struct impl {
	const char *name;
	void (*cbc_init)(void *ctx, const void *key, size_t len);
	void (*cbc_run)(const void *ctx, void *iv, void *data, size_t len);
	void (*ctr_init)(void *ctx, const void *key, size_t len);
	uint32_t (*ctr_run)(const void *ctx, const void *iv, uint32_t cc, void *data, size_t len);
};

/* BearSSL's own function types take typed contexts; the casts only erase them */
static const struct impl impls[] = {
	{ "aes_big (T-tables)", (void *)br_aes_big_cbcenc_init, (void *)br_aes_big_cbcenc_run,
	  (void *)br_aes_big_ctr_init, (void *)br_aes_big_ctr_run },
	{ "aes_ct64 (bitsliced)", (void *)br_aes_ct64_cbcenc_init, (void *)br_aes_ct64_cbcenc_run,
	  (void *)br_aes_ct64_ctr_init, (void *)br_aes_ct64_ctr_run },
};

union any_ctx {
	br_aes_big_cbcenc_keys big_cbc;
	br_aes_big_ctr_keys big_ctr;
	br_aes_ct64_cbcenc_keys ct64_cbc;
	br_aes_ct64_ctr_keys ct64_ctr;
};

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* OpenSSL's CTR over iv || 32-bit big-endian counter from 0: the reference */
static int ctr_reference(const unsigned char *iv12, unsigned char *data)
{
	unsigned char iv[16] = { 0 };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	memcpy(iv, iv12, 12);
	ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, fips_key, iv) &&
	     EVP_EncryptUpdate(c, data, &n, data, LEN) && n == LEN;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EIO;
}

static int check(const struct impl *im)
{
	static const unsigned char iv12[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	unsigned char iv[16] = { 0 }, block[16], got[LEN], want[LEN];
	union any_ctx ctx;
	int i;

	memcpy(block, fips_plain, 16);
	im->cbc_init(&ctx, fips_key, 16);
	im->cbc_run(&ctx, iv, block, 16);	/* CBC of one block, zero IV: ECB */
	if (memcmp(block, fips_cipher, 16)) {
		fprintf(stderr, "nts-bpf-aes-ct: %s: FIPS-197 C.1: wrong ciphertext\n", im->name);
		return -EIO;
	}
	for (i = 0; i < LEN; i++)
		got[i] = want[i] = (unsigned char)(i * 7);
	im->ctr_init(&ctx, fips_key, 16);
	im->ctr_run(&ctx, iv12, 0, got, LEN);
	if (ctr_reference(iv12, want) || memcmp(got, want, LEN)) {
		fprintf(stderr, "nts-bpf-aes-ct: %s: CTR differs from OpenSSL\n", im->name);
		return -EIO;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum { CBC, CTR, INIT, KINDS };

/* ns per block (CBC, CTR) and per key schedule, one round */
static void measure(const struct impl *im, double ns[KINDS])
{
	static unsigned char data[LEN], iv[16];
	static const unsigned char iv12[12];
	union any_ctx ctx;
	double t;
	int i;

	im->cbc_init(&ctx, fips_key, 16);
	t = thread_ns();
	for (i = 0; i < RUNS; i++)
		im->cbc_run(&ctx, iv, data, LEN);
	ns[CBC] = (thread_ns() - t) / RUNS / BLOCKS;
	im->ctr_init(&ctx, fips_key, 16);
	t = thread_ns();
	for (i = 0; i < RUNS; i++)
		im->ctr_run(&ctx, iv12, 0, data, LEN);
	ns[CTR] = (thread_ns() - t) / RUNS / BLOCKS;
	t = thread_ns();
	for (i = 0; i < INITS; i++) {
		data[i & 15] ^= 1;	/* a different key each time, as per request */
		im->cbc_init(&ctx, data, 16);
	}
	ns[INIT] = (thread_ns() - t) / INITS;
	__asm__ volatile("" : : "r"(&ctx) : "memory");
}

int main(int argc, char **argv)
{
	static const char *kind[KINDS] = { "CBC ns/block", "CTR ns/block", "key schedule ns" };
	int rounds = argc > 1 ? atoi(argv[1]) : 7, i, k, r;
	double ns[2][KINDS][MAX_ROUNDS], one[KINDS], min[2][KINDS];

	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: nts-bpf-aes-ct [ROUNDS (1-%d)]\n", MAX_ROUNDS);
		return 2;
	}
	for (i = 0; i < 2; i++)
		if (check(&impls[i]))
			return 1;
	printf("# BearSSL, native, thread CPU time; FIPS-197 C.1 and 1024 bytes of CTR match "
	       "OpenSSL for both\n");
	for (r = 0; r < rounds; r++)
		for (i = 0; i < 2; i++) {
			measure(&impls[i], one);
			for (k = 0; k < KINDS; k++)
				ns[i][k][r] = one[k];
		}
	printf("# %-22s %-16s %8s %8s\n", "implementation", "what", "min", "median");
	for (i = 0; i < 2; i++)
		for (k = 0; k < KINDS; k++) {
			qsort(ns[i][k], rounds, sizeof(double), cmp_double);
			min[i][k] = ns[i][k][0];
			printf("  %-22s %-16s %8.1f %8.1f\n", impls[i].name, kind[k], min[i][k],
			       ns[i][k][rounds / 2]);
		}
	printf("# bitsliced / T-tables (min): CBC %.2fx, CTR %.2fx, key schedule %.2fx\n",
	       min[1][CBC] / min[0][CBC], min[1][CTR] / min[0][CTR], min[1][INIT] / min[0][INIT]);
	return 0;
}
