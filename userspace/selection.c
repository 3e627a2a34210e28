// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "selection.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


double selection_root_distance(const struct sel_candidate *c)
{
	const struct ntp_sample *s = &c->sample;

	double delay = s->root_delay + s->delay;

	return (delay > SEL_MINDISP ? delay : SEL_MINDISP) / 2 + s->root_dispersion +
	       s->dispersion + c->jitter;
}

struct interval_edge {
	double value;
	int type;	/* -1 lower edge, +1 upper edge */
};

static int cmp_edge(const void *a, const void *b)
{
	const struct interval_edge *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->type - y->type;
}

/*
 * Allow f falsetickers, f < n/2: the interval that n - f correctness
 * intervals share.  Edges only, as ntpd since 4.2.6 and chrony do: the
 * RFC's count of midpoints outside the intersection calls a source false
 * whose wide interval overlaps it but whose midpoint does not.  The edges
 * are sorted; false when no majority agrees.
 */
static bool intersect(const struct interval_edge *ep, int n_ep, int n, double *low, double *high)
{
	int i, f, chime;

	for (f = 0; 2 * f < n; f++) {
		bool have_low = false, have_high = false;

		chime = 0;
		for (i = 0; i < n_ep && !have_low; i++) {
			chime -= ep[i].type;
			if (chime >= n - f) {
				*low = ep[i].value;
				have_low = true;
			}
		}
		chime = 0;
		for (i = n_ep - 1; i >= 0 && !have_high; i--) {
			chime += ep[i].type;
			if (chime >= n - f) {
				*high = ep[i].value;
				have_high = true;
			}
		}
		if (have_low && have_high && *low <= *high)
			return true;
	}
	return false;
}

bool selection_run(struct sel_candidate *c, int n, struct sel_result *out)
{
	struct interval_edge ep[2 * SEL_MAX_CANDIDATES];
	double low = 0, high = 0, wsum = 0, osum = 0, dsum = 0, jsum = 0, fsum = 0, fsdsum = 0;
	double ssum = 0, msum = 0;
	int i, n_ep = 0, leap_votes[4] = { 0 };

	memset(out, 0, sizeof(*out));
	out->system_peer = -1;
	if (n <= 0 || n > SEL_MAX_CANDIDATES)
		return false;
	for (i = 0; i < n; i++) {
		double o = c[i].sample.offset;

		c[i].root_distance = selection_root_distance(&c[i]);
		c[i].truechimer = false;
		ep[n_ep++] = (struct interval_edge){ o - c[i].root_distance, -1 };
		ep[n_ep++] = (struct interval_edge){ o + c[i].root_distance, +1 };
	}
	qsort(ep, (size_t)n_ep, sizeof(ep[0]), cmp_edge);

	if (!intersect(ep, n_ep, n, &low, &high))
		return false;

	for (i = 0; i < n; i++) {
		/* RFC 5905 11.2.1: a source whose interval reaches the intersection
		 * agrees with the majority, whether or not its midpoint is in it */
		if (c[i].sample.offset + c[i].root_distance < low ||
		    c[i].sample.offset - c[i].root_distance > high)
			continue;
		c[i].truechimer = true;
		out->n_truechimers++;
		leap_votes[c[i].sample.leap & 3]++;
		/* system peer: lowest stratum, then shortest root distance */
		if (out->system_peer < 0 ||
		    c[i].sample.stratum < c[out->system_peer].sample.stratum ||
		    (c[i].sample.stratum == c[out->system_peer].sample.stratum &&
		     c[i].root_distance < c[out->system_peer].root_distance))
			out->system_peer = i;
		wsum += 1 / c[i].root_distance;
		osum += c[i].sample.offset / c[i].root_distance;
		dsum += c[i].sample.dispersion / c[i].root_distance;
		jsum += c[i].jitter * c[i].jitter / c[i].root_distance;
		fsum += c[i].freq / c[i].root_distance;
		fsdsum += c[i].freq_sd / c[i].root_distance;
		msum += c[i].miss_rate / c[i].root_distance;
	}
	if (out->system_peer < 0)
		return false;

	const struct ntp_sample *sp = &c[out->system_peer].sample;

	out->offset = osum / wsum;
	out->freq = fsum / wsum;
	out->freq_sd = fsdsum / wsum;
	out->miss_rate = msum / wsum;
	/* RFC 5905 11.2.3: system jitter = the peers' own and how far the
	 * survivors' offsets spread about the combination */
	for (i = 0; i < n; i++)
		if (c[i].truechimer)
			ssum += pow(c[i].sample.offset - out->offset, 2) / c[i].root_distance;
	out->jitter = sqrt(jsum / wsum + ssum / wsum);
	out->delay = sp->root_delay + sp->delay;
	/* a source's own jitter is already in its prediction's error (the
	 * candidates' dispersion carries it); what the combination adds is
	 * how far the survivors disagree */
	out->dispersion = sp->root_dispersion + dsum / wsum + sqrt(ssum / wsum);
	out->leap = NTP_LEAP_NONE;
	for (i = 1; i < 3; i++)
		if (2 * leap_votes[i] > out->n_truechimers)
			out->leap = (__u8)i;
	return true;
}
