// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "reference.h"
#include "log.h"
#include "ntp_proto.h"

#include <math.h>
#include <string.h>

/* A prediction's error, in standard errors, counted into the bound: the
 * bound is a promise, not a typical value. */
#define REF_SIGMAS 3.0
#define REF_MISS_MARGIN 2.0

void reference_init(struct reference *r, enum clock_model model, __s8 precision,
		    double prior_freq, double prior_freq_sd)
{
	memset(r, 0, sizeof(*r));
	r->model = model;
	r->precision = precision;
	r->prior_freq = prior_freq_sd < 0 ? 0 : prior_freq;
	/* unknown: anything the servo would follow, taken as three sigmas */
	r->prior_freq_sd = prior_freq_sd < 0 ? SERVO_MAX_FREQ / REF_SIGMAS : prior_freq_sd;
	r->sys_peer = -1;
}

double reference_prior_freq(const struct reference *r, double *sd)
{
	/* in the system model someone else steers the host: it drifts at most
	 * by the frequency tolerance between its own corrections */
	if (r->model == CLOCK_MODEL_SYSTEM) {
		*sd = NTP_PHI_PPM * 1e-6 / REF_SIGMAS;
		return 0;
	}
	*sd = r->prior_freq_sd;
	return r->prior_freq;
}

double reference_offset_at(const struct reference *r, double now)
{
	return r->result.offset + r->result.freq * (now - r->selected_at);
}

static void candidate_from(struct sel_candidate *c, const struct sst_estimate *e, __u8 leap)
{
	memset(c, 0, sizeof(*c));
	c->sample = e->newest;
	c->sample.offset = e->offset;
	c->sample.delay = e->delay;
	c->sample.dispersion = e->dispersion + REF_SIGMAS * e->offset_sd + e->bias;
	c->sample.leap = leap;
	c->jitter = e->jitter;
	c->freq = e->freq;
	c->freq_sd = e->freq_sd;
	c->miss_rate = e->miss_rate;
}

/* The bound (root dispersion, s) the reference claims at `now`, before the
 * servo's own phase error. */
static double dispersion_at(const struct reference *r, double now)
{
	double elapsed = now > r->selected_at ? now - r->selected_at : 0;

	double rate = REF_MAX_CLOCK_ERROR + REF_SIGMAS * r->result.freq_sd;

	/* the statistics assume white noise about a line; an oscillator that
	 * wanders misses the line faster than they say, and then what was
	 * seen counts, with a margin */
	if (REF_MISS_MARGIN * r->result.miss_rate > rate)
		rate = REF_MISS_MARGIN * r->result.miss_rate;
	return r->result.dispersion + rate * elapsed;
}

bool reference_select(struct reference *r, struct ref_source *src, int n, double now)
{
	struct sel_candidate cand[SEL_MAX_CANDIDATES];
	int map[SEL_MAX_CANDIDATES], m = 0, i;
	struct sel_result res;

	for (i = 0; i < n && i < SEL_MAX_CANDIDATES; i++) {
		src[i].truechimer = false;
		src[i].unusable = NULL;
		if (!src[i].usable)
			continue;
		candidate_from(&cand[m], &src[i].est, src[i].leap);
		if (cand[m].sample.stratum >= NTP_STRATUM_MAX) {
			src[i].unusable = "stratum 15 or more: we would be unsynchronised";
			continue;
		}
		if (selection_root_distance(&cand[m]) > SEL_MAX_DISTANCE) {
			src[i].unusable = "root distance over the maximum";
			continue;
		}
		map[m++] = i;
	}
	if (m > 0 && selection_run(cand, m, &res)) {
		/* coming back from unsynchronised (answers said LI=3 meanwhile):
		 * step straight to the estimate rather than slew for minutes */
		if (!r->synced)
			r->servo.valid = false;
		for (i = 0; i < m; i++)
			src[map[i]].truechimer = cand[i].truechimer;
		r->result = res;
		r->sys_peer = map[res.system_peer];
		r->peer_refid = src[r->sys_peer].refid;
		r->peer_stratum = cand[res.system_peer].sample.stratum;
		r->selected_at = now;
		r->update_tai_ns = (__u64)llround(now * 1e9);
		r->synced = true;
		r->holdover = false;
		/* what a source that starts again is carried at until it has a line */
		if (res.freq_sd > 0 && res.freq_sd < r->prior_freq_sd) {
			r->prior_freq = res.freq;
			r->prior_freq_sd = res.freq_sd;
		} else if (res.freq_sd > 0) {
			r->prior_freq = res.freq;
		}
		return true;
	}
	/* RFC 5905 hold-over: one round without a majority does not undo what
	 * the last good one established; the bound keeps growing meanwhile */
	if (r->synced && r->sys_peer >= 0 && r->sys_peer < n && src[r->sys_peer].usable &&
	    r->result.delay / 2 + dispersion_at(r, now) < REF_MAX_HOLDOVER_DISTANCE) {
		r->holdover = true;
		return true;
	}
	r->synced = false;
	r->holdover = false;
	r->sys_peer = -1;
	return false;
}

static __u32 short_from_s(double s)
{
	return ntp_short_from_ns(s > 0 ? (__u64)(s * 1e9) : 0);
}

static double fill_upstream_fields(struct reference *r, __u64 now_tai_ns, __s64 tai_offset_ns,
				   struct ntpd_ref_state *st)
{
	double now = (double)now_tai_ns / 1e9;
	double target = reference_offset_at(r, now);
	double phase, step = 0;

	if (r->model == CLOCK_MODEL_CORRECTED) {
		step = servo_update(&r->servo, now_tai_ns, target, r->result.freq);
		st->correction_ns = r->servo.corr_ns;
		st->freq_scaled = r->servo.freq_scaled;
		/* still to be slewed away: the served clock is off by this much */
		phase = fabs(r->servo.phase_error);
	} else {
		/* we serve the host clock as it is, off by the whole offset */
		phase = fabs(target);
	}
	st->reference_ts = ntp_ts_from_unix_ns(r->update_tai_ns - (__u64)tai_offset_ns);
	st->stratum = (__u8)(r->peer_stratum + 1);
	st->refid = r->peer_refid;
	st->precision = r->precision;
	st->root_delay = short_from_s(r->result.delay);
	/* grown from the last clock update, not from this publication */
	st->root_dispersion = short_from_s(dispersion_at(r, now) + phase);
	return step;
}

double reference_publish(struct reference *r, __u64 now_tai_ns, __s64 tai_offset_ns,
			 const struct leap_clock *clk, reference_move_fn move_sources, void *ctx,
			 struct ntpd_ref_state *st)
{
	double now_utc = (double)((__s64)now_tai_ns - tai_offset_ns) / 1e9;
	double stepped;
	int step;

	r->leap.list_ok = !leap_list_current(now_utc, &r->leap.list);
	leap_observe(&r->leap, leap_li_combine(r->result.leap, &r->leap, now_utc), now_utc);
	memset(st, 0, sizeof(*st));
	st->update_tai_ns = now_tai_ns;
	st->tai_offset_ns = tai_offset_ns;
	stepped = fill_upstream_fields(r, now_tai_ns, tai_offset_ns, st);
	if (stepped)
		pr_warn("time step: the served time moved %+.6f s to the upstreams' "
			"(beyond the %.3f s a slew may take)\n", stepped, SERVO_STEP_THRESHOLD_S);
	/* leap or smear last, on the finished line, LI too */
	step = leap_state_apply(st, &r->leap, clk);
	/*
	 * The corrected clock takes the leap itself: from the instant on,
	 * upstream time is one second behind (insertion) what it was; TAI, our
	 * time axis, does not move.  leap_state_apply() has put the step into
	 * this state, the first from the instant on; the model follows, so the
	 * next publication continues from here.
	 */
	if (step) {
		move_sources(ctx, -step, 0);
		reference_move(r, -step, 0);
		pr_info("leap second: corrected clock stepped by %+d s\n", -step);
	}
	return stepped;
}

void ref_source_fill(struct ref_source *rs, const struct sourcestats *ss, bool reachable,
		     double now, const struct reference *r, __be32 refid, __u8 leap)
{
	double sd, prior = reference_prior_freq(r, &sd);

	memset(rs, 0, sizeof(*rs));
	rs->usable = reachable && sst_estimate(ss, now, prior, sd, &rs->est);
	rs->refid = refid;
	rs->leap = leap;
}

void reference_move(struct reference *r, double d_offset, double d_time)
{
	r->result.offset += d_offset;
	r->selected_at += d_time;
	r->update_tai_ns = (__u64)((__s64)r->update_tai_ns + llround(d_time * 1e9));
	servo_move(&r->servo, d_offset, d_time);
}
