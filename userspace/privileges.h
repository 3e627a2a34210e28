/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NTPD_PRIVILEGES_H
#define NTPD_PRIVILEGES_H

#include <stdbool.h>

/*
 * After sockets are bound and XDP attached: optionally chroot, then become
 * `user`.  With XDP attached we keep only what detaching and map updates
 * need (CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN for pre-5.8 kernels); in
 * socket mode, nothing.  Returns 0 or -errno with a message.
 */
int privileges_drop(const char *user, const char *chroot_dir, bool keep_bpf);

#endif /* NTPD_PRIVILEGES_H */
