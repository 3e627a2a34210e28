/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Publishing the served reference state into the double buffer that the XDP
 * program and the socket server read (struct ntpd_ref_buffer in
 * bpf/ntpd_shared.h).  One writer at a time; any number of readers.
 */
#ifndef NTPD_REFSTATE_H
#define NTPD_REFSTATE_H

#include "ntpd_shared.h"

/* Write *st into the inactive slot, then make it the active one. */
void refstate_publish(struct ntpd_ref_buffer *buf, const struct ntpd_ref_state *st);

/* Read the current state, retrying while the writer laps the reader.
 * Returns 0 or -EAGAIN after too many laps (only under a runaway writer). */
int refstate_read(const struct ntpd_ref_buffer *buf, struct ntpd_ref_state *out);

/* Map a BPF_F_MMAPABLE single-entry array map holding a ntpd_ref_buffer.
 * Returns the mapping or NULL with errno set. */
struct ntpd_ref_buffer *refstate_mmap(int map_fd);
void refstate_munmap(struct ntpd_ref_buffer *buf);

/* CLOCK_TAI in nanoseconds: the clock bpf_ktime_get_tai_ns() reads; 0 when
 * it cannot be read (logged once by kclock), which no freshness check passes. */
__u64 refstate_tai_now_ns(void);

/*
 * The reference used until an upstream-disciplined one exists: the host's
 * own clock served at a configured stratum (like chrony's `local stratum`).
 * Leap and TAI offset come from the kernel (adjtimex); root dispersion is the
 * kernel's maximum error estimate.  Returns 0 or -errno; on an error *st is
 * all zero and must not be served (refstate_unsynchronised instead).
 */
int refstate_from_system_clock(struct ntpd_ref_state *st, __u8 stratum);

/*
 * The unsynchronised state (LI=3, stratum 16, refid "INIT", published at
 * now_tai_ns), every other field zero.  Precision 0: the clock's own.  Its
 * TAI offset is the kernel's, or estimated when adjtimex cannot be read,
 * so even these answers carry UTC timestamps.
 */
void refstate_unsynchronised(struct ntpd_ref_state *st, __u64 now_tai_ns, __s8 precision);

#endif /* NTPD_REFSTATE_H */
