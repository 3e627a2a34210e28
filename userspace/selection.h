/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Turning samples into one answer (RFC 5905 10-11): a clock filter per
 * source, then the intersection algorithm across sources so falsetickers are
 * rejected, then a combination of the survivors.  Pure functions on plain
 * structs, so the unit tests drive them with recorded sample sets.
 */
#ifndef NTPD_SELECTION_H
#define NTPD_SELECTION_H

#include <stdbool.h>

#include "ntp_client.h"

#define CLOCK_FILTER_SAMPLES 8

struct clock_filter {
	struct ntp_sample sample[CLOCK_FILTER_SAMPLES];
	int count;
	int next;
};

void clock_filter_add(struct clock_filter *f, const struct ntp_sample *s);
void clock_filter_reset(struct clock_filter *f);

/* The lowest-delay sample, its dispersion aged to `now` (s, CLOCK_TAI), and
 * the RMS jitter of the others' offsets around it.  false when empty. */
bool clock_filter_best(const struct clock_filter *f, double now, struct ntp_sample *best,
		       double *jitter);

/* A source as the selection sees it. */
struct sel_candidate {
	struct ntp_sample sample;	/* filtered */
	double jitter;
	double root_distance;		/* filled by selection_run */
	bool truechimer;		/* out: survived the intersection */
};

/* Root distance (RFC 5905 11.2): half the total delay plus all dispersions. */
double selection_root_distance(const struct sel_candidate *c);

struct sel_result {
	int n_truechimers;
	int system_peer;	/* index into the candidates, or -1 */
	double offset;		/* combined, s */
	double delay;		/* system peer's root delay + delay */
	double dispersion;	/* system peer's root dispersion + combined dispersion */
	double jitter;
	__u8 leap;		/* majority of the truechimers */
};

/*
 * Intersection (Marzullo as in RFC 5905 11.2.1): find the smallest interval
 * that contains the midpoints of a majority, mark the rest falsetickers, and
 * combine the survivors weighted by 1/root distance.  Returns false when no
 * majority agrees (then nothing may be served as synchronised).
 */
bool selection_run(struct sel_candidate *c, int n, struct sel_result *out);

#endif /* NTPD_SELECTION_H */
