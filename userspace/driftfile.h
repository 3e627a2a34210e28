/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The drift file: our clock's estimated frequency error against the
 * upstreams, kept across restarts (chrony's driftfile, ntpd's
 * /var/lib/ntp/drift), so a restarted daemon does not begin from 0 ppm.
 * chrony's format: one line, "FREQ_PPM SKEW_PPM", frequency positive when
 * our clock runs slow against the upstreams.
 */
#ifndef NTPD_DRIFTFILE_H
#define NTPD_DRIFTFILE_H

/* A frequency beyond this is a broken file, not a slow clock (ppm). */
#define DRIFTFILE_MAX_PPM 500.0

/* Read freq and skew (s/s).  0, -errno from open/read, or -EINVAL for a
 * file that does not hold two numbers in range. */
int driftfile_load(const char *path, double *freq, double *skew);

/* Write them atomically (a temporary beside it, fsync, rename): a crash
 * leaves the old file or the new one, never half of one.  0 or -errno. */
int driftfile_save(const char *path, double freq, double skew);

#endif /* NTPD_DRIFTFILE_H */
