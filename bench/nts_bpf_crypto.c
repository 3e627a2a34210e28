// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nts-bpf-crypto: time one bpf_crypto_encrypt() call inside XDP
 * (BPF_PROG_TEST_RUN, REPEAT runs, the kernel's own average) for ecb(aes)
 * and cbc(aes) over 16..1024 bytes, less the same program without the
 * call.  The figures behind docs/nts.md's estimate of AES-SIV in XDP.
 * Needs a kernel with the bpf_crypto kfuncs (6.10+) and root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nts_bpf_crypto.skel.h"

static int run_avg(int prog_fd, __u32 repeat, __u32 *ns)
{
	static unsigned char pkt[1100];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = repeat);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	*ns = opts.duration;
	return err;
}

int main(int argc, char **argv)
{
	static const char *algos[] = { "ecb(aes)", "cbc(aes)" };
	static const __u32 lens[] = { 16, 64, 256, 1024 };
	__u32 repeat = argc > 1 ? (__u32)atoi(argv[1]) : 200000, with, without;
	struct nts_bpf_crypto *skel = nts_bpf_crypto__open_and_load();
	LIBBPF_OPTS(bpf_test_run_opts, setup);
	size_t a, l;

	if (!skel) {
		fprintf(stderr, "nts-bpf-crypto: loading: %s (a kernel without bpf_crypto?)\n",
			strerror(errno));
		return 1;
	}
	printf("# algo bytes ns_per_call (XDP test run, %u repeats, less %s)\n", repeat,
	       "the program without the call");
	for (a = 0; a < 2; a++) {
		snprintf(skel->data->algo, sizeof(skel->data->algo), "%s", algos[a]);
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.crypto_setup), &setup) ||
		    skel->bss->status) {
			fprintf(stderr, "nts-bpf-crypto: %s: context: %d\n", algos[a],
				skel->bss->status);
			continue;
		}
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			skel->data->len = lens[l];
			if (run_avg(bpf_program__fd(skel->progs.crypto_run), repeat, &with) ||
			    skel->bss->status ||
			    run_avg(bpf_program__fd(skel->progs.crypto_none), repeat, &without)) {
				fprintf(stderr, "nts-bpf-crypto: %s %u: status %d\n", algos[a],
					lens[l], skel->bss->status);
				continue;
			}
			printf("%s %u %u\n", algos[a], lens[l], with - without);
		}
	}
	nts_bpf_crypto__destroy(skel);
	return 0;
}
