/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The request log (--log-requests RATE, -d): sampled request events from
 * the XDP program's ring buffer and from the socket server, one line each,
 * at most RATE lines a second (a token bucket, burst RATE), so a flood
 * cannot flood the log.  What the cap holds back is counted and said once a
 * second; what found the ring full is counted too.
 */
#ifndef NTPD_REQLOG_H
#define NTPD_REQLOG_H

#include <stdbool.h>

#include "loader.h"
#include "ntpd_shared.h"

struct reqlog_stats {
	__u64 logged, suppressed, lost;
};

/* Start logging at `lines_per_s` (0: off) and consume the ring buffers of
 * the attached programs.  0 or -errno. */
int reqlog_start(unsigned int lines_per_s, const struct ntpd_attachment *att, int n_att);
void reqlog_stop(void);

/* One event (any thread).  No-op when off. */
void reqlog_event(const struct ntpd_request_event *ev);

void reqlog_stats(struct reqlog_stats *out, const struct ntpd_attachment *att, int n_att);

/* 1 in `sample` requests -> the threshold a 32-bit random number is held to. */
__u64 reqlog_threshold(unsigned int sample);

#endif /* NTPD_REQLOG_H */
