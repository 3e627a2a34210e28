/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Weighted linear regression of offsets against time, with the runs test
 * that decides how many of the newest samples still lie on one line (the
 * method of chrony's regress.c).  Too few samples and the frequency is
 * noise; too many and an oscillator that wandered bends the line: when the
 * residuals of a fit come in long runs of one sign, the oldest samples are
 * no longer on it and are dropped.  Pure arithmetic, no state.
 */
#ifndef NTPD_REGRESS_H
#define NTPD_REGRESS_H

#define REGRESS_MIN_SAMPLES 3

struct regress_fit {
	int first;		/* index of the oldest sample the fit uses */
	int n;			/* samples used */
	double x_ref;		/* weighted mean of x: where offset is best known */
	double offset;		/* fitted y at x_ref */
	double slope;		/* dy/dx: the frequency */
	double var_offset;	/* variance of offset at x_ref */
	double var_slope;	/* variance of the slope (its square is the skew) */
	double sd;		/* weighted standard deviation of the residuals */
};

/*
 * Fit y = offset + slope * (x - x_ref) over samples [first, n), weights w
 * (1 / variance of each y, up to a common factor).  x ascending.
 * Returns 0, or -1 with fewer than REGRESS_MIN_SAMPLES or a degenerate x.
 */
int regress_fit(const double *x, const double *y, const double *w, int first, int n,
		struct regress_fit *out);

/*
 * The fit over the longest run of newest samples whose residuals pass the
 * runs test (at least REGRESS_MIN_SAMPLES).  Returns 0 or -1 as regress_fit.
 */
int regress_best(const double *x, const double *y, const double *w, int n,
		 struct regress_fit *out);

/* Number of runs of equal sign in r[0..n). */
int regress_runs(const double *r, int n);

#endif /* NTPD_REGRESS_H */
