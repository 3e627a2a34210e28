// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "sourcestats.h"

#include <math.h>
#include <string.h>

#define PHI (NTP_PHI_PPM * 1e-6)

/* A sample whose round trip is longer than the shortest seen can be off by
 * half the excess (the queueing was on one leg only): that is its error,
 * and it weighs accordingly.  The floor is the timestamps' own resolution. */
#define SST_MIN_SD 1e-6

static double sample_sd(const struct sourcestats *ss, const struct ntp_sample *s)
{
	return SST_MIN_SD + (s->delay - ss->min_delay) / 2;
}

static void refit(struct sourcestats *ss)
{
	double x[SST_MAX_SAMPLES], y[SST_MAX_SAMPLES], w[SST_MAX_SAMPLES];
	int i;

	ss->min_delay = ss->sample[0].delay;
	for (i = 1; i < ss->n; i++)
		if (ss->sample[i].delay < ss->min_delay)
			ss->min_delay = ss->sample[i].delay;
	for (i = 0; i < ss->n; i++) {
		double sd = sample_sd(ss, &ss->sample[i]);

		x[i] = ss->sample[i].local_rx;
		y[i] = ss->sample[i].offset;
		w[i] = 1 / (sd * sd);
	}
	ss->have_fit = regress_best(x, y, w, ss->n, &ss->fit) == 0;
}

void sst_reset(struct sourcestats *ss)
{
	memset(ss, 0, sizeof(*ss));
}

static double line_at(const struct sourcestats *ss, double t)
{
	if (ss->have_fit)
		return ss->fit.offset + ss->fit.slope * (t - ss->fit.x_ref);
	return ss->sample[ss->n - 1].offset;
}

static void append(struct sourcestats *ss, const struct ntp_sample *s)
{
	if (ss->n == SST_MAX_SAMPLES) {
		memmove(ss->sample, ss->sample + 1, sizeof(ss->sample[0]) * (SST_MAX_SAMPLES - 1));
		ss->n--;
	}
	ss->sample[ss->n++] = *s;
}

/* The newest samples whose residuals say whether the line is behind. */
#define SST_BIAS_SAMPLES 3

/* Each sample the observed miss rate keeps this much of its old value: a
 * burst of wander is remembered for a few polls, not for ever. */
#define SST_MISS_DECAY 0.5

int sst_add(struct sourcestats *ss, const struct ntp_sample *s)
{
	double miss, dt;

	/* measured before the newest: a reordered reply tells nothing new */
	if (ss->n && s->local_rx <= ss->sample[ss->n - 1].local_rx)
		return 0;
	if (ss->n && fabs(s->offset - line_at(ss, s->local_rx)) > SST_STEP_THRESHOLD) {
		/* two in a row that agree with each other: the source jumped */
		if (ss->have_pending &&
		    fabs(s->offset - ss->pending.offset) <= SST_STEP_THRESHOLD) {
			ss->n = 0;
			append(ss, &ss->pending);
			append(ss, s);
			ss->have_pending = false;
			ss->restarts++;
			ss->miss_rate = 0;
			refit(ss);
			return 1;
		}
		ss->pending = *s;
		ss->have_pending = true;
		return 0;
	}
	ss->have_pending = false;
	dt = ss->n ? s->local_rx - ss->sample[ss->n - 1].local_rx : 0;
	if (ss->have_fit && dt > 0) {
		/* only what the line's own statistics did not foresee (three
		 * standard errors of the prediction, and the sample's own) */
		double t = s->local_rx - ss->fit.x_ref;
		double sd = sqrt(ss->fit.var_offset + ss->fit.var_slope * t * t);

		miss = fabs(s->offset - line_at(ss, s->local_rx)) - 3 * sd - sample_sd(ss, s);
		miss = miss > 0 ? miss / dt : 0;
		ss->miss_rate = miss > ss->miss_rate * SST_MISS_DECAY ? miss :
								   ss->miss_rate * SST_MISS_DECAY;
	}
	append(ss, s);
	refit(ss);
	return 0;
}

bool sst_estimate(const struct sourcestats *ss, double now, double prior_freq,
		  double prior_freq_sd, struct sst_estimate *out)
{
	const struct ntp_sample *nw;
	int i;

	memset(out, 0, sizeof(*out));
	if (!ss->n)
		return false;
	nw = &ss->sample[ss->n - 1];
	out->newest = *nw;
	out->age = now > nw->local_rx ? now - nw->local_rx : 0;
	/* RFC 5905 10: a sample's dispersion grows at PHI from its measurement */
	out->dispersion = nw->dispersion + PHI * out->age;
	out->miss_rate = ss->miss_rate;
	if (ss->have_fit) {
		const struct regress_fit *f = &ss->fit;
		double dt = now - f->x_ref;

		out->offset = f->offset + f->slope * dt;
		out->offset_sd = sqrt(f->var_offset + f->var_slope * dt * dt);
		out->freq = f->slope;
		out->freq_sd = sqrt(f->var_slope);
		out->jitter = f->sd;
		out->n = f->n;
		/* residuals are white about a true line; when the newest ones
		 * all lie to one side the line is behind the oscillator, by
		 * about that much, and its standard error does not say so */
		for (i = ss->n - 1; i >= 0 && i >= ss->n - SST_BIAS_SAMPLES; i--) {
			double r = ss->sample[i].offset - line_at(ss, ss->sample[i].local_rx);

			if (fabs(r) - sample_sd(ss, &ss->sample[i]) > out->bias)
				out->bias = fabs(r) - sample_sd(ss, &ss->sample[i]);
		}
		out->delay = nw->delay;
		for (i = f->first; i < ss->n; i++)
			if (ss->sample[i].delay < out->delay)
				out->delay = ss->sample[i].delay;
		return true;
	}
	/* too few for a line: the newest sample, carried at the prior rate, and
	 * no claim to know that rate better than the prior is known */
	out->offset = nw->offset + prior_freq * out->age;
	out->freq = prior_freq;
	out->freq_sd = prior_freq_sd;
	out->offset_sd = prior_freq_sd * out->age;
	out->delay = nw->delay;
	out->n = ss->n;
	for (i = 0; i + 1 < ss->n; i++)
		out->jitter += fabs(ss->sample[i].offset - nw->offset) / (ss->n - 1);
	return true;
}

void sst_move(struct sourcestats *ss, double d_offset, double d_time)
{
	int i;

	for (i = 0; i < ss->n; i++) {
		ss->sample[i].offset += d_offset;
		ss->sample[i].local_rx += d_time;
	}
	if (ss->have_fit) {
		ss->fit.offset += d_offset;
		ss->fit.x_ref += d_time;
	}
}
