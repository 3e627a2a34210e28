// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nts-bpf-aes: AES-128 in plain BPF inside XDP (bench/nts_bpf_aes.bpf.c),
 * checked against FIPS-197 appendix C.1 and against OpenSSL over 64 blocks
 * under a random key, then timed by BPF_PROG_TEST_RUN (the kernel's average
 * per run): one key expansion and one block, each less a run doing
 * neither.  The figures behind docs/nts.md's note on answering NTS in XDP.
 * Usage: nts-bpf-aes [REPEAT [ROUNDS]]; exits 1 on a wrong answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "nts_bpf_aes.skel.h"

#define MAX_BLOCKS 64		/* as in the BPF program */
#define MAX_ROUNDS 31

#include "fips197.h"

/* the frame: key, then the blocks */
static unsigned char pkt[16 + MAX_BLOCKS * 16];

static unsigned char xtime(unsigned char x)
{
	return (unsigned char)(x << 1 ^ (x & 0x80 ? 0x1b : 0));
}

static unsigned char rotl8(unsigned char x, int n)
{
	return (unsigned char)(x << n | x >> (8 - n));
}

/*
 * The S-box by its definition (FIPS-197 5.1.1: the inverse in GF(2^8), then
 * the affine map), walking p through the powers of 3 and q through those of
 * its inverse; the T-tables from it (5.2.1's MixColumns column 2,1,1,3).
 */
static void make_tables(struct nts_bpf_aes_bpf *skel)
{
	unsigned char p = 1, q = 1, s, *sbox = (unsigned char *)skel->rodata->sbox;
	__u32 *te[4] = { (__u32 *)skel->rodata->te0, (__u32 *)skel->rodata->te1,
			 (__u32 *)skel->rodata->te2, (__u32 *)skel->rodata->te3 };
	int x, t;

	do {
		p = p ^ xtime(p);
		q ^= q << 1;
		q ^= q << 2;
		q ^= q << 4;
		if (q & 0x80)
			q ^= 0x09;
		sbox[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63;
	} while (p != 1);
	sbox[0] = 0x63;
	for (x = 0; x < 256; x++) {
		__u32 w;

		s = sbox[x];
		w = (__u32)xtime(s) << 24 | (__u32)s << 16 | (__u32)s << 8 | (xtime(s) ^ s);
		for (t = 0; t < 4; t++)
			te[t][x] = t ? w >> (8 * t) | w << (32 - 8 * t) : w;
	}
}

static int run_avg(int prog_fd, __u32 repeat, __u32 *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = repeat);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	*ns = opts.duration;
	if (!err && opts.retval != 1 /* XDP_DROP */)
		err = -EINVAL;
	return err;
}

static int run_mode(struct nts_bpf_aes_bpf *skel, __u32 expand, __u32 nblocks, __u32 repeat,
		    __u32 *ns)
{
	skel->data->expand = expand;
	skel->data->nblocks = nblocks;
	return run_avg(bpf_program__fd(skel->progs.aes_run), repeat, ns);
}

static int check_answers(struct nts_bpf_aes_bpf *skel)
{
	unsigned char want[MAX_BLOCKS * 16];
	EVP_CIPHER_CTX *c;
	int n = 0, ok;
	__u32 ns;

	memcpy(pkt, fips_key, 16);
	memcpy(pkt + 16, fips_plain, 16);
	if (run_mode(skel, 1, 1, 1, &ns) || memcmp(skel->bss->out, fips_cipher, 16)) {
		fprintf(stderr, "nts-bpf-aes: FIPS-197 C.1: wrong ciphertext\n");
		return -EIO;
	}
	if (RAND_bytes(pkt, sizeof(pkt)) != 1)
		return -EIO;
	c = EVP_CIPHER_CTX_new();
	ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, pkt, NULL) &&
	     EVP_CIPHER_CTX_set_padding(c, 0) &&
	     EVP_EncryptUpdate(c, want, &n, pkt + 16, sizeof(want)) && n == sizeof(want);
	EVP_CIPHER_CTX_free(c);
	if (!ok || run_mode(skel, 1, MAX_BLOCKS, 1, &ns) ||
	    memcmp(skel->bss->out, want, sizeof(want))) {
		fprintf(stderr, "nts-bpf-aes: %d blocks under a random key differ from OpenSSL\n",
			MAX_BLOCKS);
		return -EIO;
	}
	printf("# FIPS-197 C.1 and %d random blocks under a random key match OpenSSL\n",
	       MAX_BLOCKS);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

enum { EMPTY, EXPAND, BLOCK1, BLOCKS, EXPAND_BLOCK1, MODES };

static int bench(struct nts_bpf_aes_bpf *skel, __u32 repeat, int rounds)
{
	static const __u32 mode_expand[MODES] = { 0, 1, 0, 0, 1 };
	static const __u32 mode_blocks[MODES] = { 0, 0, 1, MAX_BLOCKS, 1 };
	static const char *mode_name[MODES] = { "neither", "key expansion", "1 block",
						"64 blocks", "key expansion + 1 block" };
	__u32 ns[MODES][MAX_ROUNDS], min[MODES], med[MODES];
	int m, r;

	for (r = 0; r < rounds; r++)
		for (m = 0; m < MODES; m++)
			if (run_mode(skel, mode_expand[m], mode_blocks[m], repeat, &ns[m][r]))
				return -EIO;
	printf("# XDP test run, %u repeats per run, %d rounds; ns per run (kernel's average)\n",
	       repeat, rounds);
	printf("# %-24s %6s %6s\n", "run", "min", "median");
	for (m = 0; m < MODES; m++) {
		qsort(ns[m], rounds, sizeof(ns[m][0]), cmp_u32);
		min[m] = ns[m][0];
		med[m] = ns[m][rounds / 2];
		printf("  %-24s %6u %6u\n", mode_name[m], min[m], med[m]);
	}
	printf("# per key expansion %.1f ns, per block %.1f ns (64 blocks), "
	       "expansion + 1 block %.1f ns (min figures; medians %.1f, %.1f, %.1f)\n",
	       (double)min[EXPAND] - min[EMPTY], ((double)min[BLOCKS] - min[EMPTY]) / MAX_BLOCKS,
	       (double)min[EXPAND_BLOCK1] - min[EMPTY], (double)med[EXPAND] - med[EMPTY],
	       ((double)med[BLOCKS] - med[EMPTY]) / MAX_BLOCKS,
	       (double)med[EXPAND_BLOCK1] - med[EMPTY]);
	return 0;
}

int main(int argc, char **argv)
{
	__u32 repeat = argc > 1 ? (__u32)atoi(argv[1]) : 200000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	struct nts_bpf_aes_bpf *skel;
	int err;

	if (!repeat || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: nts-bpf-aes [REPEAT [ROUNDS (1-%d)]]\n", MAX_ROUNDS);
		return 2;
	}
	skel = nts_bpf_aes_bpf__open();
	if (!skel) {
		fprintf(stderr, "nts-bpf-aes: open: %s\n", strerror(errno));
		return 1;
	}
	make_tables(skel);
	err = nts_bpf_aes_bpf__load(skel);
	if (err) {
		fprintf(stderr, "nts-bpf-aes: load: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("# program: %u BPF instructions\n",
	       (unsigned)bpf_program__insn_cnt(skel->progs.aes_run));
	err = check_answers(skel);
	if (!err)
		err = bench(skel, repeat, rounds);
cleanup:
	nts_bpf_aes_bpf__destroy(skel);
	return err ? 1 : 0;
}
