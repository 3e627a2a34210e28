// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "dispatcher.h"
#include "log.h"

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <xdp/libxdp.h>

/* The print hooks are process-wide and take no context; attaching through
 * libxdp happens on the main thread only (a relink uses netlink). */
static struct {
	libbpf_print_fn_t libbpf_prev;
	libxdp_print_fn_t libxdp_prev;
	/* why libxdp's dispatcher probe failed; kept for the process's life,
	 * as libxdp keeps the probe's result and does not say it again */
	char refusal[128];
	char kernel_msg[128];	/* the kernel's extack of this attach, if any */
} capture;

/* The text after `marker` in `line`, to its end of line, into buf */
static void keep_after(const char *line, const char *marker, char *buf, size_t len)
{
	const char *found = strstr(line, marker);

	if (!found)
		return;
	snprintf(buf, len, "%s", found + strlen(marker));
	buf[strcspn(buf, "\n")] = '\0';
}

static void captured(bool debug, const char *fmt, va_list ap)
{
	char line[256];

	/* the libraries' debug chatter is never shown, as log.c does */
	if (debug)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	pr_debug("%s", line);
	/* libxdp 1.3's words for the probe; libbpf's "Kernel error message: " */
	keep_after(line, "Compatibility check for dispatcher program failed: ", capture.refusal,
		   sizeof(capture.refusal));
	keep_after(line, "Kernel error message: ", capture.kernel_msg, sizeof(capture.kernel_msg));
}

static int capture_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	captured(level == LIBBPF_DEBUG, fmt, ap);
	return 0;
}

static int capture_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	captured(level == LIBXDP_DEBUG, fmt, ap);
	return 0;
}

void dispatcher_capture_begin(void)
{
	capture.kernel_msg[0] = '\0';
	capture.libbpf_prev = libbpf_set_print(capture_libbpf);
	capture.libxdp_prev = libxdp_set_print(capture_libxdp);
}

void dispatcher_capture_end(void)
{
	libbpf_set_print(capture.libbpf_prev);
	libxdp_set_print(capture.libxdp_prev);
}

const char *dispatcher_kernel_msg(void)
{
	return capture.kernel_msg[0] ? capture.kernel_msg : NULL;
}

void dispatcher_report(const char *ifname, int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	bool alone = mp && !libxdp_get_error(mp) && xdp_multiprog__is_legacy(mp);

	if (mp && !libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	if (!alone)
		return;
	if (capture.refusal[0])
		pr_info("%s: the multi-program dispatcher is unavailable (the kernel refused to "
			"load it: %s), attached as a single program: other XDP programs cannot "
			"share %s (details with -d)\n", ifname, capture.refusal, ifname);
	else
		pr_info("%s: attached as a single program, without libxdp's multi-program "
			"dispatcher: other XDP programs cannot share %s\n", ifname, ifname);
}
