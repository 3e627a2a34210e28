/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * From the upstreams' estimates to the state we serve: selection at an
 * instant, hold-over when a round fails, the served correction (servo.h)
 * and the error bound that goes with it.  No sockets, no locks, no clock
 * reads: every time is passed in, so the agent and the simulation suite
 * drive exactly the same code.
 */
#ifndef NTPD_REFERENCE_H
#define NTPD_REFERENCE_H

#include <stdbool.h>

#include "leap.h"
#include "selection.h"
#include "servo.h"
#include "sourcestats.h"

enum clock_model {
	CLOCK_MODEL_AUTO,
	CLOCK_MODEL_SYSTEM,	/* the host clock is disciplined by someone else */
	CLOCK_MODEL_CORRECTED,	/* we publish a correction XDP adds to it */
};

/*
 * How fast the served clock's error may grow between clock updates beyond
 * what the frequency's own uncertainty says (wander: temperature, ageing);
 * chrony's maxclockerror default.
 */
#define REF_MAX_CLOCK_ERROR	1e-6
/* Hold-over ends, and we say we are unsynchronised, when our root distance
 * would exceed this (RFC 5905 MAXDIST). */
#define REF_MAX_HOLDOVER_DISTANCE 1.0

/* One upstream as the reference sees it at an instant (filled by the caller). */
struct ref_source {
	struct sst_estimate est;
	__be32 refid;
	__u8 leap;		/* LI of its newest reply: leap news is not filtered */
	bool usable;		/* reachable, not denied, has samples */
	const char *unusable;	/* out: why it cannot be selected, or NULL */
	bool truechimer;	/* out */
};

struct reference {
	enum clock_model model;
	__s8 precision;
	double prior_freq;	/* before a source has a line: the drift file's, then
				 * the last estimate */
	double prior_freq_sd;
	bool synced;		/* serving upstream time, maybe holding over */
	bool holdover;		/* the last round found no majority */
	int sys_peer;		/* index into the caller's sources, or -1 */
	struct sel_result result;	/* as of selected_at */
	__be32 peer_refid;
	__u8 peer_stratum;
	double selected_at;	/* CLOCK_TAI s of the round the result is from */
	__u64 update_tai_ns;	/* the last clock update: a round that selected */
	struct servo servo;
	struct leap_tracker leap;
};

/* prior_freq_sd < 0: no prior (the frequency may be anything up to the
 * servo's limit) */
void reference_init(struct reference *r, enum clock_model model, __s8 precision,
		    double prior_freq, double prior_freq_sd);

/* The frequency a source without a line of its own is carried at, and how
 * well it is known. */
double reference_prior_freq(const struct reference *r, double *sd);

/*
 * One selection round over n sources at `now` (CLOCK_TAI s).  Sets each
 * source's truechimer and unusable fields.  On success the result becomes
 * the reference; on failure a synchronised reference holds over on its last
 * result while its system peer is still usable.  Returns r->synced.
 */
bool reference_select(struct reference *r, struct ref_source *src, int n, double now);

/* The combined offset (upstream minus host) the reference estimates at `now`. */
double reference_offset_at(const struct reference *r, double now);

/* Move the caller's own sample history (see reference_move). */
typedef void (*reference_move_fn)(void *ctx, double d_offset, double d_time);

/*
 * The state to publish at CLOCK_TAI now_tai_ns while synced (call once per
 * publication: the servo moves here): zeroed, then stratum, refid, root
 * delay and dispersion, reference time, leap indicator, and in the corrected
 * model the correction and its slope; the leap (exact at its instant, see
 * leap_state_apply) or the smear.  A leap the corrected clock takes moves
 * the model afterwards (move_sources moves the caller's samples).
 * Returns the step the served correction took (s), 0 when it slewed.
 */
double reference_publish(struct reference *r, __u64 now_tai_ns, __s64 tai_offset_ns,
			 const struct leap_clock *clk, reference_move_fn move_sources, void *ctx,
			 struct ntpd_ref_state *st);

/* One source's view for reference_select, from its samples at `now`. */
void ref_source_fill(struct ref_source *rs, const struct sourcestats *ss, bool reachable,
		     double now, const struct reference *r, __be32 refid, __u8 leap);

/* Upstream time moved by d_offset against ours, our readings by d_time. */
void reference_move(struct reference *r, double d_offset, double d_time);

#endif /* NTPD_REFERENCE_H */
