// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Pass-through program for the far end of a veth pair in tests and benches:
 * veth only delivers frames another end sent with XDP_TX when the receiving
 * end has an XDP program of its own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
