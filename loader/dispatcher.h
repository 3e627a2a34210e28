/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What libxdp's dispatcher probe said, in one line of ours.  On a kernel
 * that refuses the dispatcher, libbpf prints a program load failure and a
 * hint to raise `ulimit -l` on every attach, although libxdp then attaches
 * our program alone and all is well: a new user reads that as a failure.
 */
#ifndef NTPD_DISPATCHER_H
#define NTPD_DISPATCHER_H

/* From here to dispatcher_capture_end, libbpf's and libxdp's messages go
 * to debug level (-d) and the first load failure among them is kept. */
void dispatcher_capture_begin(void);
void dispatcher_capture_end(void);

/* The kernel's own message about the attach just captured, or NULL */
const char *dispatcher_kernel_msg(void);

/* After an attach: one line saying we are alone on `ifname` and why, when
 * libxdp attached without its dispatcher. */
void dispatcher_report(const char *ifname, int ifindex);

#endif /* NTPD_DISPATCHER_H */
