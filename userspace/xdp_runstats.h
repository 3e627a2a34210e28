/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP handler's own time, as the kernel counts it.  An XDP answer is
 * stamped once (T3 = T2, bpf/xdp_ntpd.h), so the processing-time histogram
 * says nothing about it; the kernel's BPF run-time statistics do: while
 * they are on (kernel.bpf_stats_enabled = 1, or a process holding
 * BPF_ENABLE_STATS) every run of a program adds its duration and one run to
 * the program's bpf_prog_info.  Two clock reads per run are their own cost,
 * which is why the kernel leaves them off by default.
 */
#ifndef NTPD_XDP_RUNSTATS_H
#define NTPD_XDP_RUNSTATS_H

#include "loader.h"

struct xdp_run_stats {
	__u64 run_time_ns;	/* summed over runs since load, while the statistics were on */
	__u64 run_cnt;
};

/* The statistics of the program behind prog_fd: 0 or -errno. */
int xdp_run_stats_of_fd(int prog_fd, struct xdp_run_stats *out);

/* The same for the program attached now through `att` (its relinked copy
 * after a relink).  -ENOENT when nothing of ours is attached. */
int xdp_run_stats_of(const struct ntpd_attachment *att, struct xdp_run_stats *out);

/* kernel.bpf_stats_enabled: 1 or 0, -errno when it cannot be read. */
int xdp_run_stats_sysctl(void);

/* For data.json: "run_time_ns" and "run_count" of att's program set in
 * the JSON object `path` (nothing when they cannot be read). */
struct json_t;
void xdp_run_stats_json(struct json_t *path, const struct ntpd_attachment *att);

#endif /* NTPD_XDP_RUNSTATS_H */
