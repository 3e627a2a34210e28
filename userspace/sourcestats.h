/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What one upstream's samples say, as a line: each sample keeps the time it
 * was measured, and a weighted regression over the newest ones (as many as
 * the runs test keeps, see regress.h) gives the offset *now*, the frequency
 * of our clock against that upstream, and how well both are known.  A
 * sample polls ago is never served as if it were measured now.
 * Pure: the caller passes every time in (CLOCK_TAI seconds).
 */
#ifndef NTPD_SOURCESTATS_H
#define NTPD_SOURCESTATS_H

#include <stdbool.h>

#include "ntp_client.h"
#include "regress.h"

#define SST_MAX_SAMPLES 32

struct sourcestats {
	struct ntp_sample sample[SST_MAX_SAMPLES];	/* oldest first */
	int n;
	struct regress_fit fit;
	bool have_fit;
	double min_delay;	/* over the samples held */
	/* a sample off the line by more than the step threshold: held until
	 * the next one says whether the source's time jumped (then the old
	 * samples go) or this one was a spike (then it goes) */
	struct ntp_sample pending;
	bool have_pending;
	unsigned int restarts;	/* the history was dropped for a jump */
	/* how fast the line's predictions have actually gone wrong: each new
	 * sample's distance from the line before it, per second since the
	 * newest, the largest of the recent ones (older ones fade) */
	double miss_rate;
};

/* RFC 5905 STEPT: a sample this far off the line is a jump, not noise. */
#define SST_STEP_THRESHOLD 0.128

/* The source's offset and how it moves, at one instant. */
struct sst_estimate {
	double offset;		/* upstream minus ours, s, predicted at `now` */
	double offset_sd;	/* standard error of that prediction */
	double freq;		/* d offset / dt: our clock's frequency error against it */
	double freq_sd;		/* skew */
	double jitter;		/* spread of the samples about the line */
	double delay;		/* lowest round trip of the samples used */
	double dispersion;	/* newest sample's, grown to `now` */
	double age;		/* since the newest sample, s */
	double miss_rate;	/* observed prediction error per second (s/s) */
	double bias;		/* how far the newest samples lie off the line */
	int n;			/* samples behind the estimate */
	struct ntp_sample newest;	/* the newest sample itself */
};

void sst_reset(struct sourcestats *ss);
/* Take a sample.  Returns 1 when it confirmed a jump of the source's time
 * (the older history was dropped), else 0. */
int sst_add(struct sourcestats *ss, const struct ntp_sample *s);

/*
 * The estimate at `now`.  Before there are enough samples for a line, the
 * newest sample carried forward at `prior_freq` (the drift file's, or the
 * served clock's frequency), known to `prior_freq_sd`.  false when there are no samples.
 */
bool sst_estimate(const struct sourcestats *ss, double now, double prior_freq,
		  double prior_freq_sd, struct sst_estimate *out);

/* Upstream time moved by d_offset against ours and our readings by d_time
 * (a host clock step, a leap the corrected clock takes). */
void sst_move(struct sourcestats *ss, double d_offset, double d_time);

#endif /* NTPD_SOURCESTATS_H */
