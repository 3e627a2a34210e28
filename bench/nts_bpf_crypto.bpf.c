// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What AES costs inside XDP through the kernel's bpf_crypto kfuncs (6.10
 * and later), for the design note on answering NTS in XDP (docs/nts.md):
 * a syscall program makes an skcipher context ("ecb(aes)" or "cbc(aes)"),
 * an XDP program encrypts the frame's first `len` bytes with it per run.
 * Not built by make: it needs the host's BTF as a header and a clang that
 * emits the BTF type tag "kptr" (15 or later; Debian 12's clang 14 does not,
 * and the verifier then refuses the context in the map: "R1 has no valid
 * kptr").  By hand:
 *   bpftool btf dump file /sys/kernel/btf/vmlinux format c > build/bench/vmlinux_host.h
 *   clang -target bpf -O2 -g -Ibuild/bench -c bench/nts_bpf_crypto.bpf.c -o build/bench/nts_bpf_crypto.bpf.o
 *   bpftool gen skeleton build/bench/nts_bpf_crypto.bpf.o name nts_bpf_crypto > build/bench/nts_bpf_crypto.skel.h
 *   gcc -O2 -Ibuild/bench bench/nts_bpf_crypto.c -o build/bench/nts-bpf-crypto -lbpf
 */
#include "vmlinux_host.h"
#include <bpf/bpf_helpers.h>

extern struct bpf_crypto_ctx *bpf_crypto_ctx_create(const struct bpf_crypto_params *params,
						    u32 params__sz, int *err) __ksym;
extern void bpf_crypto_ctx_release(struct bpf_crypto_ctx *ctx) __ksym;
extern int bpf_crypto_encrypt(struct bpf_crypto_ctx *ctx, const struct bpf_dynptr *src,
			      const struct bpf_dynptr *dst, const struct bpf_dynptr *siv__nullable) __ksym;
extern int bpf_dynptr_from_xdp(struct xdp_md *xdp, u64 flags, struct bpf_dynptr *ptr) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, u32 start, u32 end) __ksym;

struct ctx_value {
	struct bpf_crypto_ctx __attribute__((btf_type_tag("kptr"))) *ctx;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, int);
	__type(value, struct ctx_value);
	__uint(max_entries, 1);
} crypto_ctx SEC(".maps");

char algo[128] = "ecb(aes)";
__u32 len = 16;			/* bytes encrypted per run, a multiple of 16 */
int status;
__u8 dst[2048];

SEC("syscall")
int crypto_setup(void *args)
{
	struct bpf_crypto_params params = {
		.type = "skcipher",
		.key_len = 16,
	};
	struct bpf_crypto_ctx *c;
	struct ctx_value *v;
	int err = 0, zero = 0;

	__builtin_memcpy(params.algo, algo, sizeof(algo));
	c = bpf_crypto_ctx_create(&params, sizeof(params), &err);
	if (!c) {
		status = err;
		return 0;
	}
	v = bpf_map_lookup_elem(&crypto_ctx, &zero);
	if (!v) {
		bpf_crypto_ctx_release(c);
		status = -2;
		return 0;
	}
	c = bpf_kptr_xchg(&v->ctx, c);
	if (c)
		bpf_crypto_ctx_release(c);
	status = 0;
	return 0;
}

SEC("xdp")
int crypto_run(struct xdp_md *xdp)
{
	struct bpf_dynptr src, out;
	struct ctx_value *v;
	int zero = 0;

	v = bpf_map_lookup_elem(&crypto_ctx, &zero);
	if (!v || !v->ctx) {
		status = -3;
		return XDP_DROP;
	}
	bpf_dynptr_from_xdp(xdp, 0, &src);
	bpf_dynptr_adjust(&src, 0, len);
	bpf_dynptr_from_mem(dst, len > sizeof(dst) ? sizeof(dst) : len, 0, &out);
	status = bpf_crypto_encrypt(v->ctx, &src, &out, NULL);
	return XDP_DROP;
}

/* the same program without the call: what the harness itself costs */
SEC("xdp")
int crypto_none(struct xdp_md *xdp)
{
	struct bpf_dynptr src;
	struct ctx_value *v;
	int zero = 0;

	v = bpf_map_lookup_elem(&crypto_ctx, &zero);
	if (!v)
		return XDP_DROP;
	bpf_dynptr_from_xdp(xdp, 0, &src);
	bpf_dynptr_adjust(&src, 0, len);
	status = 0;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
