/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The upstream agent: polls every -s server from its own thread, filters and
 * selects, and tells the publisher what reference state to serve.
 */
#ifndef NTPD_AGENT_H
#define NTPD_AGENT_H

#include <stdbool.h>

#include "options.h"
#include "reference.h"
#include "tracking.h"

enum source_state {
	SOURCE_UNREACHABLE,
	SOURCE_CANDIDATE,	/* has samples, not (yet) in a selection */
	SOURCE_SELECTED,	/* truechimer */
	SOURCE_SYSTEM_PEER,
	SOURCE_FALSETICKER,
	SOURCE_DENIED,		/* KoD DENY/RSTR: never used again */
};

struct agent_config {
	const struct ntpd_endpoint *upstreams;
	int n_upstreams;
	int min_poll;		/* log2 s */
	int max_poll;
	int max_missed;		/* polls without answer before unreachable */
	__u8 local_stratum;	/* 0: none; serve unsynchronised without upstreams */
	enum clock_model model;
	const struct ntp_keyring *keys;	/* for upstreams with "key ID"; read-only */
	bool leap_smear;	/* 24 h linear smear instead of announcing leaps */
	double initial_freq;	/* our clock's frequency error as last estimated
				 * (the drift file), used until the upstreams give one */
	double initial_freq_sd;	/* how well it is known */
	bool have_initial_freq;
	/* called from the agent's thread after a host clock step was taken
	 * into account: publish now rather than at the next period */
	void (*on_clock_step)(void *ctx);
	void *on_clock_step_ctx;
};

/* chrony's activity counts for one source: replies used, replies refused
 * (kiss-o'-death, unsynchronised, malformed), replies not to our request,
 * polls without a reply. */
struct agent_activity {
	__u64 ok, failed, bogus, timeout;
};

/* What a source looks like from outside, for logs, metrics and tests. */
struct agent_source_status {
	char name[300];
	enum source_state state;
	bool reachable;
	__u8 reach;		/* shift register of the last 8 polls */
	int poll;
	__u8 stratum;
	double offset, delay, dispersion, jitter;
	double freq, skew;	/* our clock against it: estimate and standard error */
	int samples_used;	/* in its regression */
	const char *unusable;	/* why selection cannot use it, or NULL */
	__u64 kod_rate, kod_deny, samples, bad_responses;
	struct agent_activity activity;
	double last_rx;		/* s since its newest good reply; -1: none yet */
};

struct agent;

int agent_start(struct agent **out, const struct agent_config *cfg);
void agent_stop(struct agent *a);

/*
 * The state to publish now (CLOCK_TAI `now_tai_ns`) into *st, always a
 * state fit to serve; `*why` says where the time comes from for logs
 * ("upstream", "local", "unsynchronised", "kernel clock unreadable",
 * "agent not responding").  Returns 0; -errno when the kernel's clock state
 * cannot be read (*st is then unsynchronised); -ETIMEDOUT when the agent
 * thread held its lock too long (*st unsynchronised: the caller decides
 * whether to publish it or let the last state age).
 */
int agent_reference_state(struct agent *a, __u64 now_tai_ns, struct ntpd_ref_state *st,
			  const char **why);

/* CLOCK_MONOTONIC ns of the agent thread's latest pass (at least one a
 * second while it runs): the watchdog's view of it. */
__u64 agent_heartbeat_ns(const struct agent *a);

/*
 * Replace the upstream set while serving (SIGHUP, PUT /upstreams).  An
 * upstream in both sets keeps its samples; the others start afresh with a
 * burst.  0, -EINVAL (n outside 1..NTPD_MAX_UPSTREAMS) or -ETIMEDOUT (the
 * agent thread is stuck holding its lock).
 */
int agent_set_upstreams(struct agent *a, const struct ntpd_endpoint *eps, int n);

/*
 * The host clock was stepped by step_s seconds (positive: it now reads
 * later).  Every stored offset is against the old clock: move them, the
 * fit and the sample times with it, so the corrected model keeps serving
 * the same time, and poll again at once.  The agent's thread calls this
 * when the kernel reports a clock set; tests call it directly.
 */
void agent_host_clock_stepped(struct agent *a, double step_s);

/*
 * Tests only: behave as if synchronised to upstream 0 with this combined
 * offset (s) and frequency, the fit anchored at CLOCK_TAI t0 (s).
 */
void agent_assume_synced(struct agent *a, double offset, double freq, double t0);

/* The frequency the served clock runs at against the host's, and whether
 * it is an estimate worth keeping (for the drift file). */
bool agent_frequency(struct agent *a, double *freq, double *skew);

int agent_source_count(struct agent *a);
/* 0, or -ENOENT when source i no longer exists (the set was replaced), or
 * -ETIMEDOUT when the agent thread is stuck (agent_source_count says 0). */
int agent_source_status(struct agent *a, int i, struct agent_source_status *out);
const char *agent_source_state_name(enum source_state s);
/* 0, or -ETIMEDOUT when the agent thread is stuck. */
int agent_tracking(struct agent *a, struct agent_tracking *out);
enum clock_model agent_clock_model(const struct agent *a);

/* refid of an upstream address: IPv4 itself, else MD5(IPv6)[0..3] (RFC 5905). */
__be32 agent_refid_for(const struct sockaddr_storage *addr);

#endif /* NTPD_AGENT_H */
