/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Leap seconds as the served clock sees them.  Upstreams announce a leap in
 * LI during its last day (RFC 5905), tzdata's leap-seconds.list long before;
 * the leap happens at the following UTC midnight.  Everything but the file
 * loader is a pure function of an injectable "now" (or of the state's own
 * publication time), so tests sample it at any instant without waiting for
 * one.
 *
 * Time axis: CLOCK_TAI, which never steps at a leap.  The served time is a
 * straight line on it (ntp_linear_unix_ns) minus the leap from the TAI
 * instant at which that line reaches the leap (ntp_served_unix_ns).
 */
#ifndef NTPD_LEAP_H
#define NTPD_LEAP_H

#include <stdbool.h>

#include "ntpd_shared.h"

#define LEAP_SMEAR_WINDOW_S 86400.0	/* 24 h, noon to noon UTC, linear */
#define LEAP_SECONDS_LIST "/usr/share/zoneinfo/leap-seconds.list"
#define LEAP_LIST_MAX 64		/* 28 entries in 2024: room for decades */

/*
 * tzdata's leap-seconds.list (IERS): from each NTP-epoch second on, TAI - UTC
 * is the given number of seconds; the list is good until `expires`.
 */
struct leap_list {
	int n;
	__s64 ntp_s[LEAP_LIST_MAX];	/* ascending */
	int tai_utc[LEAP_LIST_MAX];
	__s64 expires_ntp_s;		/* the #@ line */
};

struct leap_tracker {
	double instant;		/* Unix s of the announced leap (a UTC midnight); 0: none */
	int sign;		/* +1 insertion, -1 deletion */
	bool stepped;		/* the corrected clock has taken the step */
	bool have_offset;	/* tai_offset_before_ns is known */
	__s64 tai_offset_before_ns;	/* the kernel's TAI offset before the leap */
	/* the leap-seconds.list, once loaded (leap_tracker_load_list) */
	struct leap_list list;
	bool list_ok;		/* parsed and not expired when last checked */
	bool list_warned;	/* the expiry has been logged */
	double list_checked;	/* Unix s of the last load attempt; 0 never */
};

/* How the served clock relates to the kernel's, for leap_state_apply(). */
struct leap_clock {
	bool corrected;		/* corrected model: we step our own correction */
	bool smear;		/* --leap-smear */
	int kernel_sign;	/* +1 STA_INS, -1 STA_DEL, 0 neither (adjtimex status) */
};

/* True in the last 24 h before the end of 30 June or 31 December UTC: the
 * only days an upstream's LI is believed (as chrony and ntpd do). */
bool leap_announce_window(double now);

/* Feed the majority LI of the selected upstreams at Unix time `now`.  An
 * announcement outside the window above counts as none. */
void leap_observe(struct leap_tracker *t, __u8 li, double now);

/* The upstreams' majority LI, or the list's when it has a leap at the end of
 * the announcement window `now` is in (the list wins a disagreement: it is
 * the published schedule). */
__u8 leap_li_combine(__u8 upstream_li, const struct leap_tracker *t, double now);

/*
 * Parse a leap-seconds.list.  0, or -EINVAL with *bad_line (1-based) set for
 * a line that is neither a comment, "#@ <expiry>" nor "<NTP s> <TAI-UTC>",
 * or for entries out of order; -E2BIG past LEAP_LIST_MAX; -ENODATA without
 * an expiry line or entries.
 */
int leap_list_parse(const char *text, struct leap_list *out, int *bad_line);

/* Where a Unix time falls in a leap list: what one walk of it tells.  The
 * first entry (1972, TAI-UTC 10) starts the table; each one after it is a
 * leap. */
struct leap_list_pos {
	int tai_utc;		/* TAI - UTC in force (the first entry's before the table, 0 if empty) */
	__s64 next_s;		/* Unix s of the first leap after the time; 0: none listed */
	int next_sign;		/* its step: +1 insertion, -1 deletion; 0: none */
	__s64 last_s;		/* Unix s of the latest leap at or before the time; 0: none */
	int last_sign;
};

/* One walk of the list for Unix time `now`, whether or not it has expired. */
void leap_list_position(const struct leap_list *l, double now, struct leap_list_pos *pos);

/* TAI - UTC at Unix time `now`, and the next leap after it (Unix s of the
 * midnight, 0 if none listed) with its sign.  0, or -ESTALE once the list
 * has expired (its last entries may be missing a leap announced since). */
int leap_list_lookup(const struct leap_list *l, double now, int *tai_utc, double *next,
		     int *next_sign);

/* Load (or reload, once a day while missing or expired) the list at path
 * into the tracker, logging what is wrong with it.  Returns 0 or -errno. */
int leap_tracker_load_list(struct leap_tracker *t, const char *path, double now);

/*
 * The host's list (LEAP_SECONDS_LIST) as leap_tracker_load_list keeps it,
 * one copy per process for every reader, copied into *out: the last list
 * read (n = 0 if none ever was).  0 while it is good, -ESTALE once expired,
 * else why it could not be read.
 */
int leap_list_current(double now, struct leap_list *out);

/*
 * The CLOCK_TAI reading at which st's straight line (ntp_linear_unix_ns)
 * first reaches unix_ns: the inverse of the served time, exact to the
 * nanosecond, correction and frequency included.
 */
__u64 leap_tai_for_unix(const struct ntpd_ref_state *st, __u64 unix_ns);

/*
 * Put the tracked leap into a state whose update_tai_ns, tai_offset_ns,
 * correction_ns and freq_scaled are filled (the publication time is
 * update_tai_ns): leap_tai_ns, leap_sign, leap_kernel and LI, or, smearing,
 * the smear's offset in correction_ns and its slope in freq_scaled.
 *
 * The leap is taken when the served line reaches 00:00:00 (insertion) or
 * 23:59:59 (deletion) of the leap day.  A clock we correct ourselves takes
 * it in the first state published from that instant on: the step is then in
 * correction_ns, no leap is pending, and the return value is the step
 * (+1/-1) the caller must apply to its own model; otherwise 0.  When the
 * kernel takes it (STA_INS/STA_DEL) the leap stays pending until the
 * kernel's TAI offset has moved.
 */
int leap_state_apply(struct ntpd_ref_state *st, struct leap_tracker *t,
		     const struct leap_clock *c);

/*
 * When a smearing publisher must publish next at the latest: the CLOCK_TAI
 * reading at which st's served time reaches the next noon UTC that can start
 * or end a smear (30 June, 1 July, 31 December, 1 January), where the smear's
 * slope changes, plus a microsecond so the state published then is already
 * on the far side.  ~0ULL when st has never been published.
 */
__u64 leap_next_kink(const struct ntpd_ref_state *st);

/*
 * The CLOCK_TAI of a kernel receive stamp (CLOCK_REALTIME, rt_ns) under
 * state st, now_tai_ns being a CLOCK_TAI reading taken after the receive.
 * When the kernel takes the state's leap, REALTIME is TAI - tai_offset_ns
 * before it and leap_sign s less after it: an insertion's repeated second
 * reads the same REALTIME twice.  The after-leap reading is the answer when
 * it is at or past the instant and not later than now; else the before one.
 */
__u64 leap_realtime_to_tai(const struct ntpd_ref_state *st, __u64 rt_ns, __u64 now_tai_ns);

#endif /* NTPD_LEAP_H */
