// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "regress.h"

#include <math.h>

int regress_fit(const double *x, const double *y, const double *w, int first, int n,
		struct regress_fit *out)
{
	double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, ss = 0, xr, yr;
	int i, m = n - first;

	if (m < REGRESS_MIN_SAMPLES)
		return -1;
	for (i = first; i < n; i++) {
		sw += w[i];
		sx += w[i] * x[i];
		sy += w[i] * y[i];
	}
	if (!(sw > 0))
		return -1;
	xr = sx / sw;
	yr = sy / sw;
	for (i = first; i < n; i++) {
		double dx = x[i] - xr;

		sxx += w[i] * dx * dx;
		sxy += w[i] * dx * (y[i] - yr);
	}
	if (!(sxx > 0))
		return -1;
	out->first = first;
	out->n = m;
	out->x_ref = xr;
	out->slope = sxy / sxx;
	out->offset = yr;
	for (i = first; i < n; i++) {
		double r = y[i] - (yr + out->slope * (x[i] - xr));

		ss += w[i] * r * r;
	}
	/* residual variance per unit weight, m - 2 degrees of freedom; the
	 * weights are relative, so the residuals give them their scale */
	ss /= m - 2 > 0 ? m - 2 : 1;
	out->sd = sqrt(ss * m / sw);
	out->var_offset = ss / sw;
	out->var_slope = ss / sxx;
	return 0;
}

int regress_runs(const double *r, int n)
{
	int i, runs = n > 0;

	for (i = 1; i < n; i++)
		if ((r[i] >= 0) != (r[i - 1] >= 0))
			runs++;
	return runs;
}

/*
 * Wald-Wolfowitz: with n1 residuals above the line and n2 below, a random
 * order gives 2 n1 n2 / n + 1 runs on average.  Far fewer (one-sided 5 %:
 * 1.645 standard deviations) means the samples curve away from the line.
 */
static int runs_acceptable(const double *r, int n)
{
	int i, n1 = 0, n2;
	double mu, var;

	for (i = 0; i < n; i++)
		n1 += r[i] >= 0;
	n2 = n - n1;
	if (n1 == 0 || n2 == 0)
		return n < 4;
	mu = 2.0 * n1 * n2 / n + 1;
	var = 2.0 * n1 * n2 * (2.0 * n1 * n2 - n) / ((double)n * n * (n - 1));
	return regress_runs(r, n) >= mu - 1.645 * sqrt(var > 0 ? var : 0);
}

#define REGRESS_MAX 64

int regress_best(const double *x, const double *y, const double *w, int n,
		 struct regress_fit *out)
{
	double r[REGRESS_MAX];
	int first, i, start = n > REGRESS_MAX ? n - REGRESS_MAX : 0;

	for (first = start; n - first >= REGRESS_MIN_SAMPLES; first++) {
		if (regress_fit(x, y, w, first, n, out))
			continue;
		/* residuals below a nanosecond are rounding, not a bend */
		if (out->sd < 1e-9)
			return 0;
		for (i = first; i < n; i++)
			r[i - first] = y[i] - (out->offset + out->slope * (x[i] - out->x_ref));
		if (runs_acceptable(r, n - first))
			return 0;
	}
	/* nothing passes: the newest few are all we can trust */
	return regress_fit(x, y, w, n - REGRESS_MIN_SAMPLES > 0 ? n - REGRESS_MIN_SAMPLES : 0,
			   n, out);
}
