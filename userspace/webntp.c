// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "webntp.h"
#include "ntp_proto.h"
#include "refstate.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct webntp {
	const struct ntpd_ref_buffer *served;
	__u64 max_state_age_ns;
};

/* go-webntp's fields from where now falls in the list: the next leap, or
 * the last one once none is ahead, with TAI-UTC before it. */
static void leap_fields_at(const struct leap_list_pos *pos, int *leap, __s64 *next_s, int *step)
{
	*leap = 0;
	*next_s = 0;
	*step = 0;
	if (pos->next_s) {
		*leap = pos->tai_utc;
		*next_s = pos->next_s;
		*step = pos->next_sign;
	} else if (pos->last_s) {
		*leap = pos->tai_utc - pos->last_sign;
		*next_s = pos->last_s;
		*step = pos->last_sign;
	}
}

void webntp_leap_fields(const struct leap_list *l, double now, int *leap, __s64 *next_s,
			int *step)
{
	struct leap_list_pos pos;

	leap_list_position(l, now, &pos);
	leap_fields_at(&pos, leap, next_s, step);
}

static bool is_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int webntp_parse_stamp(const char *text, size_t len, __s64 *us)
{
	char buf[64], *end;
	const char *dot;
	size_t int_len, skip;
	double v;

	/* webntp trims spaces around the WebSocket message */
	while (len && (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n'))
		text++, len--;
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' ||
		       text[len - 1] == '\n'))
		len--;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	/* the common form exactly, without a double's rounding: [+-]digits[.digits] */
	skip = buf[0] == '-' || buf[0] == '+';
	dot = memchr(buf, '.', len);
	int_len = dot ? (size_t)(dot - buf) - skip : len - skip;
	if (int_len && int_len <= 12 && is_digits(buf + skip, int_len) &&
	    (!dot || (dot[1] && is_digits(dot + 1, len - (size_t)(dot + 1 - buf))))) {
		__s64 sec = strtoll(buf + skip, NULL, 10), frac = 0;
		int k;

		for (k = 0; k < 6; k++)
			frac = frac * 10 + (dot && dot + 1 + k < buf + len ? dot[1 + k] - '0' : 0);
		/* the seventh digit rounds, as webntp rounds to the microsecond */
		if (dot && dot + 7 < buf + len && dot[7] >= '5')
			frac++;
		*us = (sec * 1000000 + frac) * (buf[0] == '-' ? -1 : 1);
		return 0;
	}
	v = strtod(buf, &end);
	if (*end || !isfinite(v) || fabs(v) > 1e12)
		return -EINVAL;
	*us = llround(v * 1e6);
	return 0;
}

static int put_stamp(char *buf, size_t size, __s64 us)
{
	const char *sign = us < 0 ? "-" : "";
	__u64 a = us < 0 ? (__u64)-us : (__u64)us;

	return snprintf(buf, size, "%s%llu.%06llu", sign, (unsigned long long)(a / 1000000),
			(unsigned long long)(a % 1000000));
}

void webntp_stamp(__u64 unix_ns, char *buf, size_t size)
{
	put_stamp(buf, size, (__s64)((unix_ns + 500) / 1000));
}

int webntp_format(const struct webntp_answer *a, char *buf, size_t size)
{
	char it[32], st[32], next[32];
	int n;

	put_stamp(it, sizeof(it), a->it_us);
	webntp_stamp(a->st_ns, st, sizeof(st));
	put_stamp(next, sizeof(next), a->next_s * 1000000);
	n = snprintf(buf, size,
		     "{\"id\":\"%s\",\"it\":%s,\"st\":%s,\"time\":%s,\"leap\":%d,\"next\":%s,"
		     "\"step\":%d%s}\n", a->id, it, st, st, a->leap, next, a->step,
		     a->synchronised ? "" : ",\"synchronised\":false");
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* The Host as asked, for "id": the characters a host and port are made of
 * (http.c has already held it against our names), so no JSON escaping. */
static void copy_id(char *id, const char *host)
{
	size_t i, n = 0;

	for (i = 0; host && host[i] && n < WEBNTP_ID_MAX; i++) {
		char c = host[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(".:[]_-", c))
			id[n++] = c;
	}
	id[n] = '\0';
}

int webntp_open(struct webntp **out, const struct ntpd_ref_buffer *served,
		__u64 max_state_age_ns)
{
	struct webntp *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->served = served;
	w->max_state_age_ns = max_state_age_ns;
	*out = w;
	return 0;
}

void webntp_close(struct webntp *w)
{
	free(w);
}

/* The leap fields from the list, then from a leap the state has pending
 * that the list does not name (an upstream's announcement). */
static void leap_answer(const struct ntpd_ref_state *st, double now, struct webntp_answer *a)
{
	struct leap_list list, *l = &list;
	struct leap_list_pos pos;
	__s64 pending_s;

	leap_list_current(now, l);
	leap_list_position(l, now, &pos);
	leap_fields_at(&pos, &a->leap, &a->next_s, &a->step);
	a->leap_expired = l->n && now + (double)NTP_UNIX_EPOCH_DELTA >= (double)l->expires_ntp_s;
	if (st->leap_sign && st->leap_tai_ns != ~0ULL) {
		pending_s = llround((double)ntp_linear_unix_ns(st, st->leap_tai_ns) / 1e9);
		if (pending_s != a->next_s) {
			a->leap = pos.tai_utc;
			a->next_s = pending_s;
			a->step = st->leap_sign;
		}
	}
}

int webntp_answer(struct webntp *w, const char *host, __s64 it_us, struct webntp_answer *a)
{
	struct ntpd_ref_state st;
	__u64 now_tai;

	memset(a, 0, sizeof(*a));
	if (refstate_read(w->served, &st))
		return -EAGAIN;
	now_tai = refstate_tai_now_ns();
	a->st_ns = ntp_served_unix_ns(&st, now_tai);
	a->it_us = it_us;
	copy_id(a->id, host);
	/* what an NTP client would be told: LI=3 and stratum 16 when stale */
	a->synchronised = ntp_state_fresh(&st, now_tai, w->max_state_age_ns) &&
			  st.leap != NTP_LEAP_UNSYNC && st.stratum && st.stratum <= NTP_STRATUM_MAX;
	leap_answer(&st, (double)a->st_ns / 1e9, a);
	return 0;
}

int webntp_message(void *ctx, const char *host, const char *msg, size_t len, char *out,
		   size_t size)
{
	struct webntp_answer a;
	__s64 it;

	if (webntp_parse_stamp(msg, len, &it))
		return -EINVAL;
	if (webntp_answer(ctx, host, it, &a))
		return -EAGAIN;
	return webntp_format(&a, out, size);
}

void webntp_load_leap_list(void)
{
	struct leap_list list;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	leap_list_current((double)now.tv_sec, &list);
}

json_t *webntp_leap_status_json(void)
{
	struct leap_list list, *l = &list;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	leap_list_current((double)now.tv_sec, l);
	return json_pack("{s:s, s:s, s:I}", "path", LEAP_SECONDS_LIST, "state",
		      !l->n ? "missing" : now.tv_sec + NTP_UNIX_EPOCH_DELTA >= (__u64)l->expires_ntp_s ?
			      "expired" : "ok",
		      "expires", (json_int_t)(l->n ? l->expires_ntp_s - (__s64)NTP_UNIX_EPOCH_DELTA : 0));
}
