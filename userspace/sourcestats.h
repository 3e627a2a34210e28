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
};

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
	int n;			/* samples behind the estimate */
	struct ntp_sample newest;	/* the newest sample itself */
};

void sst_reset(struct sourcestats *ss);
void sst_add(struct sourcestats *ss, const struct ntp_sample *s);

/*
 * The estimate at `now`.  Before there are enough samples for a line, the
 * newest sample carried forward at `prior_freq` (the drift file's, or the
 * served clock's frequency).  false when there are no samples.
 */
bool sst_estimate(const struct sourcestats *ss, double now, double prior_freq,
		  struct sst_estimate *out);

/* Upstream time moved by d_offset against ours and our readings by d_time
 * (a host clock step, a leap the corrected clock takes). */
void sst_move(struct sourcestats *ss, double d_offset, double d_time);

#endif /* NTPD_SOURCESTATS_H */
