// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "leap.h"
#include "log.h"
#include "ntp_proto.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS		((__s64)NSEC_PER_SEC_U64)
#define DAY_S		86400LL
#define HALF_DAY_S	43200LL

static bool utc_date_is(double now, int mon, int mday)
{
	time_t s = (time_t)floor(now);
	struct tm tm;

	return gmtime_r(&s, &tm) && tm.tm_mon == mon && tm.tm_mday == mday;
}

bool leap_announce_window(double now)
{
	/* tm_mon counts from 0: 30 June and 31 December */
	return utc_date_is(now, 5, 30) || utc_date_is(now, 11, 31);
}

static void leap_clear(struct leap_tracker *t)
{
	t->instant = 0;
	t->sign = 0;
	t->stepped = false;
	t->have_offset = false;
}

void leap_observe(struct leap_tracker *t, __u8 li, double now)
{
	double instant;
	int sign;

	/* Before the instant the upstreams decide, and may cancel.  From the
	 * instant on the leap has happened: upstreams drop LI at midnight, and
	 * that must not undo the step or cut the smear short.  `now` is the
	 * host's unleaped clock, on which the smear after an insertion ends a
	 * second after noon (86401 s from noon to noon): keep it that long. */
	if (t->instant && now >= t->instant && now < t->instant + LEAP_SMEAR_WINDOW_S / 2 + 1)
		return;
	/* RFC 5905 lets LI be set all month; chrony and ntpd believe it only on
	 * the day a leap can end (a stray bit on 3 March is no leap) */
	if ((li != NTP_LEAP_INSERT && li != NTP_LEAP_DELETE) || !leap_announce_window(now)) {
		leap_clear(t);
		return;
	}
	instant = (floor(now / 86400.0) + 1) * 86400.0;
	sign = li == NTP_LEAP_INSERT ? 1 : -1;
	/* the same leap announced again keeps what we know about it */
	if (t->instant == instant && t->sign == sign)
		return;
	leap_clear(t);
	t->instant = instant;
	t->sign = sign;
}

__u8 leap_li_combine(__u8 upstream_li, const struct leap_tracker *t, double now)
{
	double next = 0, midnight = (floor(now / 86400.0) + 1) * 86400.0;
	int tai_utc, sign = 0;

	if (t->list_ok && leap_announce_window(now) &&
	    leap_list_lookup(&t->list, now, &tai_utc, &next, &sign) == 0 && next == midnight &&
	    sign)
		return sign > 0 ? NTP_LEAP_INSERT : NTP_LEAP_DELETE;
	return upstream_li == NTP_LEAP_INSERT || upstream_li == NTP_LEAP_DELETE ? upstream_li :
										  NTP_LEAP_NONE;
}

/* ---- leap-seconds.list ---------------------------------------------------- */

/* One decimal number at *p, skipping blanks before it. */
static int parse_num(const char **p, long long *v)
{
	char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoll(*p, &end, 10);
	if (errno)
		return -EINVAL;
	*p = end;
	return 0;
}

/* Nothing but blanks, then the end of the line or a comment. */
static bool rest_is_comment(const char *p, const char *eol)
{
	while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p == eol || *p == '#';
}

int leap_list_parse(const char *text, struct leap_list *out, int *bad_line)
{
	const char *line = text, *eol, *p;
	long long a, b;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	*bad_line = 0;
	for (; *line; line = *eol ? eol + 1 : eol) {
		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		lineno++;
		p = line;
		while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == eol)
			continue;
		if (p[0] == '#' && p + 1 < eol && p[1] == '@') {
			p += 2;
			if (parse_num(&p, &a) || p > eol || !rest_is_comment(p, eol))
				goto bad;
			out->expires_ntp_s = a;
			continue;
		}
		if (*p == '#')
			continue;
		if (parse_num(&p, &a) || p > eol || parse_num(&p, &b) || p > eol ||
		    !rest_is_comment(p, eol))
			goto bad;
		/* IERS entries start at a UTC midnight, in order, one second apart */
		if (a % DAY_S || b < 0 || b > 1000 ||
		    (out->n && (a <= out->ntp_s[out->n - 1] ||
				llabs(b - out->tai_utc[out->n - 1]) != 1)))
			goto bad;
		if (out->n == LEAP_LIST_MAX)
			return -E2BIG;
		out->ntp_s[out->n] = a;
		out->tai_utc[out->n] = (int)b;
		out->n++;
	}
	return out->n && out->expires_ntp_s ? 0 : -ENODATA;
bad:
	*bad_line = lineno;
	return -EINVAL;
}

void leap_list_position(const struct leap_list *l, double now, struct leap_list_pos *pos)
{
	double now_ntp = now + (double)NTP_UNIX_EPOCH_DELTA;
	int i;

	memset(pos, 0, sizeof(*pos));
	if (!l->n)
		return;
	/* i: how many entries are at or before now */
	for (i = 0; i < l->n && (double)l->ntp_s[i] <= now_ntp; i++)
		;
	pos->tai_utc = l->tai_utc[i ? i - 1 : 0];
	if (i < 1)
		i = 1;		/* before the table its first leap is next */
	if (i < l->n) {
		pos->next_s = l->ntp_s[i] - (__s64)NTP_UNIX_EPOCH_DELTA;
		pos->next_sign = l->tai_utc[i] - l->tai_utc[i - 1];
	}
	if (i >= 2) {
		pos->last_s = l->ntp_s[i - 1] - (__s64)NTP_UNIX_EPOCH_DELTA;
		pos->last_sign = l->tai_utc[i - 1] - l->tai_utc[i - 2];
	}
}

int leap_list_lookup(const struct leap_list *l, double now, int *tai_utc, double *next,
		     int *next_sign)
{
	struct leap_list_pos pos;

	*next = 0;
	*next_sign = 0;
	*tai_utc = l->n ? l->tai_utc[0] : 0;
	if (now + (double)NTP_UNIX_EPOCH_DELTA >= (double)l->expires_ntp_s)
		return -ESTALE;
	leap_list_position(l, now, &pos);
	*tai_utc = pos.tai_utc;
	*next = (double)pos.next_s;
	*next_sign = pos.next_sign;
	return 0;
}

/* The file, whole (it is a few kilobytes), NUL-terminated.  0 or -errno. */
static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;
	int err = 0;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	if (ferror(f))
		err = -EIO;
	else if (!feof(f))
		err = -EFBIG;
	fclose(f);
	buf[n] = '\0';
	return err;
}

/* The file read and parsed into *l; *read_failed says which of the two refused. */
static int read_list(const char *path, struct leap_list *l, int *line, bool *read_failed)
{
	enum { LIST_TEXT_MAX = 64 * 1024 };	/* tzdata's is 10 KiB */
	char *text = malloc(LIST_TEXT_MAX);
	int err;

	*read_failed = true;
	if (!text)
		return -ENOMEM;
	err = read_text(path, text, LIST_TEXT_MAX);
	if (!err) {
		*read_failed = false;
		err = leap_list_parse(text, l, line);
	}
	free(text);
	return err;
}

int leap_tracker_load_list(struct leap_tracker *t, const char *path, double now)
{
	struct leap_list l;
	bool read_failed;
	double next;
	int err, line, tai_utc, sign;
	bool was_ok = t->list_ok, first = !t->list_checked;

	/* tzdata updates it twice a year at most: once a day is plenty */
	if (t->list_checked && now - t->list_checked < 86400.0)
		return t->list_ok ? 0 : -ESTALE;
	t->list_checked = now;
	err = read_list(path, &l, &line, &read_failed);
	if (err && read_failed) {
		if (first || was_ok)
			pr_info("leap seconds: cannot read %s: %s; leaps come from the upstreams "
				"only\n", path, strerror(-err));
		t->list_ok = false;
		return err;
	}
	if (err) {
		if (first || was_ok) {
			if (err == -EINVAL)
				pr_warn("leap seconds: %s line %d: not a leap-seconds.list entry; "
					"file ignored\n", path, line);
			else
				pr_warn("leap seconds: %s: %s; file ignored\n", path,
					err == -E2BIG ? "too many entries" : "no entries or no expiry line");
		}
		t->list_ok = false;
		return err;
	}
	t->list = l;
	if (leap_list_lookup(&l, now, &tai_utc, &next, &sign) == -ESTALE) {
		if (!t->list_warned)
			pr_warn("leap seconds: %s expired %.0f days ago: no leap is announced "
				"from it until tzdata updates it (webntp's TAI-UTC still comes "
				"from its past entries, marked expired)\n", path,
				(now + (double)NTP_UNIX_EPOCH_DELTA - (double)l.expires_ntp_s) / 86400.0);
		t->list_warned = true;
		t->list_ok = false;
		return -ESTALE;
	}
	t->list_warned = false;
	t->list_ok = true;
	if (first || !was_ok)
		pr_info("leap seconds: %s: TAI-UTC %d s, %s, good for %.0f more days\n", path,
			tai_utc, next ? (sign > 0 ? "next leap an insertion" :
					 "next leap a deletion") : "no leap scheduled",
			((double)l.expires_ntp_s - now - (double)NTP_UNIX_EPOCH_DELTA) / 86400.0);
	return 0;
}

/* One copy of the host's list for the whole process: the publisher and the
 * HTTP threads read the same file, loaded and logged once, under a lock
 * (HTTP threads answer in parallel with the agent). */
static pthread_mutex_t host_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct leap_tracker host_list;

int leap_list_current(double now, struct leap_list *out)
{
	int err;

	pthread_mutex_lock(&host_list_lock);
	err = leap_tracker_load_list(&host_list, LEAP_SECONDS_LIST, now);
	*out = host_list.list;
	pthread_mutex_unlock(&host_list_lock);
	return err;
}

/* ---- the served clock ------------------------------------------------------- */

__u64 leap_tai_for_unix(const struct ntpd_ref_state *st, __u64 unix_ns)
{
	/* the line without its drift first, then Newton: the slope is within
	 * 0.1 % of 1 (|freq| < 2^-10), so each round gains three digits and
	 * five reach the nanosecond from a day away; the last loops settle on
	 * the first nanosecond at or past the target (the drift's floor makes
	 * the line flat for a nanosecond now and then) */
	__u64 t = unix_ns + (__u64)st->tai_offset_ns - (__u64)st->correction_ns;
	int i;

	for (i = 0; i < 8; i++) {
		__s64 err = (__s64)(unix_ns - ntp_linear_unix_ns(st, t));

		if (!err)
			break;
		t += (__u64)err;
	}
	for (i = 0; i < 64 && (__s64)(ntp_linear_unix_ns(st, t) - unix_ns) < 0; i++)
		t++;
	for (i = 0; i < 64 && (__s64)(ntp_linear_unix_ns(st, t - 1) - unix_ns) >= 0; i++)
		t--;
	return t;
}

static void no_leap(struct ntpd_ref_state *st)
{
	st->leap_tai_ns = NTPD_LEAP_NONE_TAI;
	st->leap_sign = 0;
	st->leap_kernel = 0;
}

/*
 * The smear, on the unleaped line U (the served line as if no leap had been
 * taken): from U = noon UTC before the leap, over 86400 + sign seconds, the
 * served time falls behind U linearly by sign seconds, so it reads noon UTC
 * again at the end; every smeared second is 1/86400 longer (insertion) or
 * shorter.  `u` is U at the publication; returns the smear in ns and its
 * slope per ns of U in *slope.
 */
static __s64 smear_at(__s64 instant_ns, int sign, __u64 u, double *slope)
{
	__s64 start = instant_ns - HALF_DAY_S * NS;
	__s64 len = (DAY_S + sign) * NS;
	__s64 x = (__s64)(u - (__u64)start);

	*slope = 0;
	if (x <= 0)
		return 0;
	if (x >= len)
		return -sign * NS;
	*slope = -(double)sign / (double)(DAY_S + sign);
	/* x * 1e9 passes 2^63 past 106 days: 128 bits */
	return -(__s64)(((__int128)x * NS * sign + (sign > 0 ? len / 2 : -len / 2)) / len);
}

int leap_state_apply(struct ntpd_ref_state *st, struct leap_tracker *t,
		     const struct leap_clock *c)
{
	struct ntpd_ref_state pre;
	__s64 instant_ns, edge_ns, sign_ns;
	bool kernel, kernel_taken, base_leaped;
	__u64 now = st->update_tai_ns, edge_tai;
	int step = 0;

	no_leap(st);
	st->leap = NTP_LEAP_NONE;
	if (!t->instant || !t->sign)
		return 0;
	sign_ns = t->sign * NS;
	instant_ns = (__s64)t->instant * NS;
	/* the kernel's choice of second: an insertion repeats 23:59:59 from
	 * midnight on, a deletion skips 23:59:59 (kernel/time/ntp.c) */
	edge_ns = instant_ns - (t->sign < 0 ? NS : 0);

	/* the kernel's offset before the leap, from the first state that knew
	 * of it: announced hours ahead, so it is the old one */
	if (!t->have_offset) {
		t->tai_offset_before_ns = st->tai_offset_ns;
		t->have_offset = true;
	}
	kernel = c->kernel_sign == t->sign;
	kernel_taken = kernel && st->tai_offset_ns == t->tai_offset_before_ns + sign_ns;
	/* a system clock that does not leap is its discipliner's business: we
	 * serve it as it is (see docs/time.md) */
	if (!kernel && !c->corrected) {
		if (!c->smear && (__s64)ntp_linear_unix_ns(st, now) < edge_ns)
			st->leap = t->sign > 0 ? NTP_LEAP_INSERT : NTP_LEAP_DELETE;
		return 0;
	}
	/* does the line in st already include the leap (kernel offset moved,
	 * or our correction stepped)?  `pre` is the line without it */
	base_leaped = kernel ? kernel_taken : t->stepped;
	pre = *st;
	if (base_leaped)
		pre.correction_ns += sign_ns;
	edge_tai = leap_tai_for_unix(&pre, (__u64)edge_ns);

	/* the corrected clock steps in the first state from the instant on */
	if (!kernel && !t->stepped && now >= edge_tai) {
		st->correction_ns -= sign_ns;
		t->stepped = true;
		base_leaped = true;
		step = t->sign;
	}

	if (c->smear) {
		double slope;
		__s64 smear = smear_at(instant_ns, t->sign, ntp_linear_unix_ns(&pre, now), &slope);

		/* what the line lacks of the smear line, and its slope per TAI
		 * ns: (1 + freq) U ns pass per TAI ns */
		st->correction_ns += smear + (base_leaped ? sign_ns : 0);
		st->freq_scaled += (__s32)llround(slope * (4294967296.0 + st->freq_scaled));
		/* the served time does not leap (leap_sign stays 0), but the
		 * socket server must still read the kernel's stamps right: the
		 * kernel leaps when its own REALTIME reaches the edge */
		if (kernel && !kernel_taken) {
			st->leap_tai_ns = (__u64)(edge_ns + t->tai_offset_before_ns);
			st->leap_kernel = (__s8)t->sign;
		}
		return step;
	}
	if (now < edge_tai)
		st->leap = t->sign > 0 ? NTP_LEAP_INSERT : NTP_LEAP_DELETE;
	if (!base_leaped) {
		st->leap_tai_ns = edge_tai;
		st->leap_sign = (__s8)t->sign;
		st->leap_kernel = kernel ? (__s8)t->sign : 0;
	}
	return step;
}

/* The noons a smear can start or end at: 30 June, 1 July, 31 Dec, 1 Jan. */
static bool smear_noon(__s64 day)
{
	time_t s = (time_t)(day * DAY_S);
	struct tm tm;

	if (!gmtime_r(&s, &tm))
		return false;
	return (tm.tm_mon == 5 && tm.tm_mday == 30) || (tm.tm_mon == 6 && tm.tm_mday == 1) ||
	       (tm.tm_mon == 11 && tm.tm_mday == 31) || (tm.tm_mon == 0 && tm.tm_mday == 1);
}

__u64 leap_next_kink(const struct ntpd_ref_state *st)
{
	__s64 served = (__s64)ntp_served_unix_ns(st, st->update_tai_ns);
	__s64 day = served / (DAY_S * NS), noon = 0;
	int i;

	if (!st->update_tai_ns)
		return ~0ULL;
	for (i = 0; i <= 190 && !noon; i++, day++)
		if (smear_noon(day) && (day * DAY_S + HALF_DAY_S) * NS > served)
			noon = (day * DAY_S + HALF_DAY_S) * NS;
	if (!noon)
		return ~0ULL;
	/* a microsecond late: the state published then must already have the
	 * new slope; 1 us of the old one is 12 ps of smear */
	return leap_tai_for_unix(st, (__u64)noon) + 1000;
}

__u64 leap_realtime_to_tai(const struct ntpd_ref_state *st, __u64 rt_ns, __u64 now_tai_ns)
{
	__u64 before = rt_ns + (__u64)st->tai_offset_ns;
	__u64 after = before + (__u64)((__s64)st->leap_kernel * NS);

	if (!st->leap_kernel)
		return before;
	/* Insertion: the repeated second's stamps fit both readings, and only
	 * the after one can be in the past and past the instant.  Deletion:
	 * REALTIME 23:59:59 only shows up before the kernel's tick applies the
	 * leap, and the after reading of it falls before the instant. */
	return after >= st->leap_tai_ns && after <= now_tai_ns ? after : before;
}
