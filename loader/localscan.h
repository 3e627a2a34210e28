/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The scanned copy of the local-address set (struct ntpd_local_scan in
 * bpf/ntpd_shared.h): built from the same entries as the hash, written so
 * that the XDP program never trusts a half-written one.
 */
#ifndef NTPD_LOCALSCAN_H
#define NTPD_LOCALSCAN_H

#include "ntpd_shared.h"

/* Add one entry (as the hash holds it) to lists made empty by memset:
 * a family past NTPD_LOCAL_SCAN_MAX entries is marked too many, which
 * sends the program to the hash for it.  seq is left alone. */
void localscan_add(struct ntpd_local_scan *s, const struct ntpd_local_addr *key, __u8 flags);

/* Write `next` into the map `fd` (one entry): seq made odd, the lists
 * rewritten, seq made even.  On failure the seq is left odd where it can
 * be, so the program keeps asking the hash.  0 or -errno. */
int localscan_publish(int fd, const struct ntpd_local_scan *next);

#endif /* NTPD_LOCALSCAN_H */
