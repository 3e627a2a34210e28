// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nts-bpf-crypto: time one bpf_crypto_encrypt() call inside XDP
 * (BPF_PROG_TEST_RUN, REPEAT runs, the kernel's own average per run) for
 * ecb(aes) and cbc(aes) over 16..1024 bytes, less the same program without
 * the call; check the output against OpenSSL under the FIPS-197 key; and
 * show that the verifier refuses bpf_crypto_ctx_create in XDP and TC.
 * The figures behind docs/nts.md's note on answering NTS in XDP.
 * Needs a kernel with the bpf_crypto kfuncs (6.10+) and root.
 * Usage: nts-bpf-crypto [REPEAT [ROUNDS]]; exits 1 on a wrong answer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <openssl/evp.h>

#include "nts_bpf_crypto.skel.h"

#define MAX_LEN 1024
#define MAX_ROUNDS 31

#include "fips197.h"

static unsigned char pkt[MAX_LEN + 64];
static int quiet_libbpf;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (quiet_libbpf || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int run_avg(int prog_fd, __u32 repeat, __u32 *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = repeat);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	*ns = opts.duration;
	return err;
}

/* What OpenSSL makes of pkt's first len bytes, IV zero: the known answer. */
static int reference(const char *algo, int len, unsigned char *out)
{
	const EVP_CIPHER *cipher = strcmp(algo, "cbc(aes)") ? EVP_aes_128_ecb() : EVP_aes_128_cbc();
	static const unsigned char zero_iv[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = c && EVP_EncryptInit_ex(c, cipher, NULL, fips_key, zero_iv) &&
	     EVP_CIPHER_CTX_set_padding(c, 0) && EVP_EncryptUpdate(c, out, &n, pkt, len) &&
	     n == len;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EIO;
}

static int check_answer(struct nts_bpf_crypto_bpf *skel, const char *algo)
{
	static unsigned char want[MAX_LEN];
	__u32 ns;

	if (reference(algo, MAX_LEN, want) || memcmp(want, fips_cipher, 16)) {
		fprintf(stderr, "nts-bpf-crypto: OpenSSL misses the FIPS-197 vector\n");
		return -EIO;
	}
	skel->data->len = MAX_LEN;
	memset(skel->bss->iv, 0, sizeof(skel->bss->iv));
	memset(skel->bss->dst, 0, sizeof(skel->bss->dst));
	if (run_avg(bpf_program__fd(skel->progs.crypto_run), 1, &ns) || skel->bss->status) {
		fprintf(stderr, "nts-bpf-crypto: %s: encrypt: %d\n", algo, skel->bss->status);
		return -EIO;
	}
	if (memcmp(skel->bss->dst, want, MAX_LEN)) {
		fprintf(stderr, "nts-bpf-crypto: %s: wrong ciphertext\n", algo);
		return -EIO;
	}
	printf("# %s: %d bytes under the FIPS-197 key match OpenSSL\n", algo, MAX_LEN);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Alternate the two programs ROUNDS times; min and median of each. */
static int time_len(struct nts_bpf_crypto_bpf *skel, __u32 repeat, int rounds, __u32 res[4])
{
	__u32 with[MAX_ROUNDS], without[MAX_ROUNDS];
	int r;

	for (r = 0; r < rounds; r++) {
		if (run_avg(bpf_program__fd(skel->progs.crypto_run), repeat, &with[r]) ||
		    skel->bss->status ||
		    run_avg(bpf_program__fd(skel->progs.crypto_none), repeat, &without[r]))
			return -EIO;
	}
	qsort(with, rounds, sizeof(with[0]), cmp_u32);
	qsort(without, rounds, sizeof(without[0]), cmp_u32);
	res[0] = with[0];
	res[1] = without[0];
	res[2] = with[rounds / 2];
	res[3] = without[rounds / 2];
	return 0;
}

static int bench_algo(struct nts_bpf_crypto_bpf *skel, const char *algo, __u32 repeat, int rounds)
{
	static const __u32 lens[] = { 16, 64, 256, 1024 };
	LIBBPF_OPTS(bpf_test_run_opts, setup);
	double call[4];
	__u32 res[4];
	size_t l;
	int err;

	snprintf(skel->data->algo, sizeof(skel->data->algo), "%s", algo);
	skel->bss->iv_len = strcmp(algo, "cbc(aes)") ? 0 : 16;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.crypto_setup), &setup);
	if (err || skel->bss->status) {
		fprintf(stderr, "nts-bpf-crypto: %s: context: %d\n", algo,
			err ? err : skel->bss->status);
		return -EIO;
	}
	err = check_answer(skel, algo);
	if (err)
		return err;
	for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		skel->data->len = lens[l];
		if (time_len(skel, repeat, rounds, res)) {
			fprintf(stderr, "nts-bpf-crypto: %s %u: status %d\n", algo, lens[l],
				skel->bss->status);
			return -EIO;
		}
		call[l] = (double)res[0] - res[1];
		printf("%-9s %5u %8u %8u %8.0f %8u %8u %8.0f\n", algo, lens[l], res[0], res[1],
		       call[l], res[2], res[3], (double)res[2] - res[3]);
	}
	/* a line through 16 and 1024 bytes: a fixed part per call, a part per block */
	printf("# %s: per 16-byte block %.1f ns, fixed per call %.1f ns (min figures)\n", algo,
	       (call[3] - call[0]) / 63, call[0] - (call[3] - call[0]) / 63);
	return 0;
}

/* Load one "?" program alone; the verifier should refuse it. */
static int check_refused(const char *name)
{
	static char log[65536];
	struct nts_bpf_crypto_bpf *skel = nts_bpf_crypto_bpf__open();
	struct bpf_program *prog, *p;
	char *line, *why = NULL;
	int err;

	if (!skel)
		return -errno;
	prog = bpf_object__find_program_by_name(skel->obj, name);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == prog);
	bpf_program__set_log_buf(prog, log, sizeof(log));
	bpf_program__set_log_level(prog, 1);
	quiet_libbpf = 1;
	err = nts_bpf_crypto_bpf__load(skel);
	quiet_libbpf = 0;
	nts_bpf_crypto_bpf__destroy(skel);
	if (!err) {
		printf("# %s: bpf_crypto_ctx_create LOADED (the note says it cannot)\n", name);
		return -EPERM;
	}
	for (line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "kernel function") || strstr(line, "sleepable"))
			why = line;
	printf("# %s: bpf_crypto_ctx_create refused by the verifier: %s\n", name,
	       why ? why : "(no reason in the log)");
	return 0;
}

int main(int argc, char **argv)
{
	static const char *algos[] = { "ecb(aes)", "cbc(aes)" };
	__u32 repeat = argc > 1 ? (__u32)atoi(argv[1]) : 200000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	struct nts_bpf_crypto_bpf *skel;
	int err = 0;
	size_t i;

	if (!repeat || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: nts-bpf-crypto [REPEAT [ROUNDS (1-%d)]]\n", MAX_ROUNDS);
		return 2;
	}
	libbpf_set_print(print_libbpf);
	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = fips_plain[i % 16];
	skel = nts_bpf_crypto_bpf__open();
	if (!skel) {
		fprintf(stderr, "nts-bpf-crypto: open: %s\n", strerror(errno));
		return 1;
	}
	memcpy(skel->bss->key, fips_key, sizeof(fips_key));
	err = nts_bpf_crypto_bpf__load(skel);
	if (err) {
		fprintf(stderr, "nts-bpf-crypto: load: %s (a kernel without bpf_crypto?)\n",
			strerror(-err));
		goto cleanup;
	}
	printf("# XDP test run, %u repeats per run, %d rounds; ns per run (kernel's average)\n",
	       repeat, rounds);
	printf("# algo   bytes   min:with  without     call  med:with  without     call\n");
	for (i = 0; i < 2 && !err; i++)
		err = bench_algo(skel, algos[i], repeat, rounds);
	if (!err)
		err = check_refused("create_in_xdp");
	if (!err)
		err = check_refused("create_in_tc");
cleanup:
	nts_bpf_crypto_bpf__destroy(skel);
	return err ? 1 : 0;
}
