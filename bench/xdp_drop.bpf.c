// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Drops everything: the baseline of bench/run's CPU-per-answer figure.  The
 * same offered load against this program costs the generator, the veth and
 * the XDP entry and nothing else; a server's cost is what it adds on top.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
