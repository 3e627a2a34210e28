// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The XDP program attached by xdp-ntpd; the logic lives in xdp_ntpd.h. */
#include "xdp_ntpd.h"
#include <xdp/xdp_helpers.h>

/* libxdp dispatcher: run before ordinary programs (lower runs first) and let
 * the next program see whatever we pass. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_ntpd);

SEC("xdp")
int xdp_ntpd(struct xdp_md *ctx)
{
	return ntpd_handle(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
