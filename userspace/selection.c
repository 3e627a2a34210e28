// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "selection.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PHI (NTP_PHI_PPM * 1e-6)

void clock_filter_reset(struct clock_filter *f)
{
	memset(f, 0, sizeof(*f));
}

void clock_filter_add(struct clock_filter *f, const struct ntp_sample *s)
{
	f->sample[f->next] = *s;
	f->next = (f->next + 1) % CLOCK_FILTER_SAMPLES;
	if (f->count < CLOCK_FILTER_SAMPLES)
		f->count++;
}

bool clock_filter_best(const struct clock_filter *f, double now, struct ntp_sample *best,
		       double *jitter)
{
	double sum = 0;
	int i, b = -1;

	for (i = 0; i < f->count; i++)
		if (b < 0 || f->sample[i].delay < f->sample[b].delay)
			b = i;
	if (b < 0)
		return false;
	*best = f->sample[b];
	/* RFC 5905 10: dispersion grows at PHI from the moment of measurement */
	if (now > best->local_rx)
		best->dispersion += PHI * (now - best->local_rx);
	for (i = 0; i < f->count; i++)
		if (i != b)
			sum += pow(f->sample[i].offset - best->offset, 2);
	*jitter = f->count > 1 ? sqrt(sum / (f->count - 1)) : 0;
	return true;
}

double selection_root_distance(const struct sel_candidate *c)
{
	const struct ntp_sample *s = &c->sample;

	double d = (s->root_delay + s->delay) / 2 + s->root_dispersion + s->dispersion + c->jitter;

	/* a floor keeps the 1/distance weights finite for a perfect-looking source */
	return d > 1e-6 ? d : 1e-6;
}

struct endpoint {
	double value;
	int type;	/* -1 lower edge, 0 midpoint, +1 upper edge */
};

static int cmp_endpoint(const void *a, const void *b)
{
	const struct endpoint *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->type - y->type;
}

bool selection_run(struct sel_candidate *c, int n, struct sel_result *out)
{
	struct endpoint ep[3 * 16];
	double low = 0, high = 0, wsum = 0, osum = 0, dsum = 0, jsum = 0;
	int i, f, found, chime, n_ep = 0, leap_votes[4] = { 0 };
	bool agreed = false;

	memset(out, 0, sizeof(*out));
	out->system_peer = -1;
	if (n <= 0 || n > 16)
		return false;
	for (i = 0; i < n; i++) {
		double o = c[i].sample.offset;

		c[i].root_distance = selection_root_distance(&c[i]);
		c[i].truechimer = false;
		ep[n_ep++] = (struct endpoint){ o - c[i].root_distance, -1 };
		ep[n_ep++] = (struct endpoint){ o, 0 };
		ep[n_ep++] = (struct endpoint){ o + c[i].root_distance, +1 };
	}
	qsort(ep, (size_t)n_ep, sizeof(ep[0]), cmp_endpoint);

	/* allow f falsetickers, f < n/2: a majority must agree */
	for (f = 0; 2 * f < n; f++) {
		found = 0;
		chime = 0;
		for (i = 0; i < n_ep; i++) {
			chime -= ep[i].type;
			if (chime >= n - f) {
				low = ep[i].value;
				break;
			}
			if (ep[i].type == 0)
				found++;
		}
		chime = 0;
		for (i = n_ep - 1; i >= 0; i--) {
			chime += ep[i].type;
			if (chime >= n - f) {
				high = ep[i].value;
				break;
			}
			if (ep[i].type == 0)
				found++;
		}
		if (found <= f && low <= high) {
			agreed = true;
			break;
		}
	}
	if (!agreed)
		return false;

	for (i = 0; i < n; i++) {
		if (c[i].sample.offset < low || c[i].sample.offset > high)
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
	}
	if (out->system_peer < 0)
		return false;

	const struct ntp_sample *sp = &c[out->system_peer].sample;

	out->offset = osum / wsum;
	out->jitter = sqrt(jsum / wsum);
	out->delay = sp->root_delay + sp->delay;
	out->dispersion = sp->root_dispersion + dsum / wsum + out->jitter;
	out->leap = NTP_LEAP_NONE;
	for (i = 1; i < 3; i++)
		if (2 * leap_votes[i] > out->n_truechimers)
			out->leap = (__u8)i;
	return true;
}
