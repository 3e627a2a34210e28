// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What AES costs inside XDP through the kernel's bpf_crypto kfuncs (6.10
 * and later), for the design note on answering NTS in XDP (docs/nts.md):
 * a syscall program makes an skcipher context ("ecb(aes)" or "cbc(aes)")
 * under `key`, an XDP program encrypts the frame's first `len` bytes with
 * it per run, into `dst`.  Built by `make bench-bpf-crypto` with clang 16:
 * the context lives in a map as a kptr, and clang 14 (Debian 12's default)
 * emits no BTF type tag "kptr" (the verifier then refuses the context:
 * "R1 has no valid kptr").  The header is the host's BTF (bpftool btf dump),
 * since the kfuncs' types are those of the running kernel.
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
__u8 key[16];
__u32 len = 16;			/* bytes encrypted per run, a multiple of 16 */
__u32 iv_len;			/* 16 for cbc(aes): its IV, 0 for ecb(aes) */
int status;
__u8 iv[16];			/* chained on by each cbc call, as CBC-MAC needs */
__u8 dst[2048];

SEC("syscall")
int crypto_setup(void *args)
{
	struct bpf_crypto_params params = {
		.type = "skcipher",
		.key_len = sizeof(key),
	};
	struct bpf_crypto_ctx *c;
	struct ctx_value *v;
	int err = 0, zero = 0;

	__builtin_memcpy(params.algo, algo, sizeof(algo));
	__builtin_memcpy(params.key, key, sizeof(key));
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
	struct bpf_dynptr src, out, ivp;
	struct bpf_crypto_ctx *c;
	struct ctx_value *v;
	int zero = 0;

	v = bpf_map_lookup_elem(&crypto_ctx, &zero);
	if (!v)
		return XDP_DROP;
	c = v->ctx;
	if (!c) {
		status = -3;
		return XDP_DROP;
	}
	bpf_dynptr_from_xdp(xdp, 0, &src);
	bpf_dynptr_adjust(&src, 0, len);
	bpf_dynptr_from_mem(dst, len > sizeof(dst) ? sizeof(dst) : len, 0, &out);
	if (iv_len) {
		bpf_dynptr_from_mem(iv, sizeof(iv), 0, &ivp);
		status = bpf_crypto_encrypt(c, &src, &out, &ivp);
	} else {
		status = bpf_crypto_encrypt(c, &src, &out, NULL);
	}
	return XDP_DROP;
}

/* the same program without the call: what the harness itself costs */
SEC("xdp")
int crypto_none(struct xdp_md *xdp)
{
	struct bpf_dynptr src, out, ivp;
	struct ctx_value *v;
	int zero = 0;

	v = bpf_map_lookup_elem(&crypto_ctx, &zero);
	if (!v)
		return XDP_DROP;
	if (!v->ctx) {
		status = -3;
		return XDP_DROP;
	}
	bpf_dynptr_from_xdp(xdp, 0, &src);
	bpf_dynptr_adjust(&src, 0, len);
	bpf_dynptr_from_mem(dst, len > sizeof(dst) ? sizeof(dst) : len, 0, &out);
	if (iv_len)
		bpf_dynptr_from_mem(iv, sizeof(iv), 0, &ivp);
	status = 0;
	return XDP_DROP;
}

/*
 * Not loaded with the rest ("?"): the harness loads each alone to show the
 * verifier refuses a context made where a request is seen.  An NTS answer's
 * C2S/S2C keys come out of each request's cookie, so XDP would have to key
 * a cipher per packet; bpf_crypto_ctx_create is KF_SLEEPABLE and registered
 * for BPF_PROG_TYPE_SYSCALL only.
 */
static int create_here(void)
{
	struct bpf_crypto_params params = {
		.type = "skcipher",
		.algo = "ecb(aes)",
		.key_len = 16,
	};
	struct bpf_crypto_ctx *c;
	int err = 0;

	c = bpf_crypto_ctx_create(&params, sizeof(params), &err);
	if (c)
		bpf_crypto_ctx_release(c);
	return err;
}

SEC("?xdp")
int create_in_xdp(struct xdp_md *xdp)
{
	status = create_here();
	return XDP_DROP;
}

SEC("?tc")
int create_in_tc(struct __sk_buff *skb)
{
	status = create_here();
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
