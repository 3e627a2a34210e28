/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `xdp-ntpd status ...`: a chronyc-like view of a running daemon, read from
 * its /status endpoint.  argv[0] is "status".  Returns the exit code.
 */
#ifndef NTPD_CTL_H
#define NTPD_CTL_H

int ctl_main(int argc, char **argv);

#endif /* NTPD_CTL_H */
