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

/*
 * RFC 5905 MINDISP: a root distance is never taken as less than half of it
 * in selection (root_dist() there floors the delay at MINDISP).  Without a
 * floor, two good sources a few microseconds apart with microsecond
 * intervals would not overlap, and one would be called a falseticker.
 */
#define SEL_MINDISP	0.01
/* chrony's maxdistance: a source whose root distance is larger tells too
 * little about the time to be selected at all. */
#define SEL_MAX_DISTANCE 3.0
#define SEL_MAX_CANDIDATES 16

/* A source as the selection sees it. */
struct sel_candidate {
	struct ntp_sample sample;	/* offset predicted now; dispersion includes the
					 * prediction's own error */
	double jitter;
	double freq;			/* our clock against this source */
	double freq_sd;
	double miss_rate;		/* how fast its predictions were seen to go wrong */
	double root_distance;		/* filled by selection_run */
	bool truechimer;		/* out: survived the intersection */
};

/* Root distance (RFC 5905 11.2): half the total delay (at least MINDISP)
 * plus all dispersions and the jitter. */
double selection_root_distance(const struct sel_candidate *c);

struct sel_result {
	int n_truechimers;
	int system_peer;	/* index into the candidates, or -1 */
	double offset;		/* combined, s */
	double freq;		/* combined frequency of our clock against them */
	double freq_sd;
	double miss_rate;
	double delay;		/* system peer's root delay + delay */
	double dispersion;	/* system peer's root dispersion + combined dispersion
				 * + the survivors' spread about the combination */
	double jitter;
	__u8 leap;		/* majority of the truechimers */
};

/*
 * Intersection (Marzullo as in RFC 5905 11.2.1): find the smallest interval
 * that the correctness intervals (offset +/- root distance) of a majority
 * share; a source whose interval reaches it is a truechimer, the rest are
 * falsetickers; combine the truechimers weighted by 1/root distance.
 * Returns false when no majority agrees (then nothing may be served as
 * synchronised from this round).
 */
bool selection_run(struct sel_candidate *c, int n, struct sel_result *out);

#endif /* NTPD_SELECTION_H */
