/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The webntp protocol (go-webntp, after NICT's http/https time service):
 * `GET /?<client unix time>` answers one JSON object, the same object per
 * WebSocket message (websocket.c), and `HEAD /` the Time-over-HTTPS header.
 *
 *   {"id":"host:port","it":<echoed>,"st":<served>,"time":<served>,
 *    "leap":<TAI-UTC before next>,"next":<unix s of the next or last leap>,
 *    "step":<+1 insertion, -1 deletion>}
 *
 * Times are printed as webntp prints them, seconds with six decimals.  The
 * served time is the NTP paths' own: the published reference state read
 * through refstate_read() and ntp_served_unix_ns(), judged fresh by
 * ntp_state_fresh() as the socket server judges it; a leap that state has
 * pending wins over the file.  The leap fields come from tzdata's
 * leap-seconds.list (leap.c's parser and reload policy: once a day while
 * missing or expired), one copy per process.
 *
 * Unsynchronised (LI=3, stratum 16 or a stale state) the object gains
 * "synchronised": false, a key webntp never sends, so a client reading only
 * webntp's keys still gets a well-formed answer while one that looks is
 * told; WEBNTP_SYNC_HEADER is the matching header.  An expired list keeps
 * webntp's keys (its last entries are still the best known) and says so in
 * WEBNTP_LEAP_HEADER and in /status.
 */
#ifndef NTPD_WEBNTP_H
#define NTPD_WEBNTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "leap.h"
#include "ntpd_shared.h"

/* The header every webntp and Time-over-HTTPS answer carries: yes or no. */
#define WEBNTP_SYNC_HEADER "X-Time-Synchronised"
/* With an expired leap-seconds.list: "expired". */
#define WEBNTP_LEAP_HEADER "X-Leap-Seconds-List"
/* Room for one answer: the id is at most WEBNTP_ID_MAX. */
#define WEBNTP_ID_MAX 255
#define WEBNTP_ANSWER_MAX 512

struct webntp;

struct webntp_answer {
	char id[WEBNTP_ID_MAX + 1];
	__s64 it_us;		/* the client's stamp, microseconds */
	__u64 st_ns;		/* served unix time */
	int leap;		/* TAI - UTC before `next` */
	__s64 next_s;		/* unix s of the next (or last) leap, 0 none known */
	int step;
	bool synchronised;
	bool leap_expired;	/* the list is past its #@ expiry */
};

/* The leap fields as webntp gives them, from a list at unix time now: the
 * first leap after now, else the last one; all 0 without a leap listed. */
void webntp_leap_fields(const struct leap_list *l, double now, int *leap, __s64 *next_s,
			int *step);

/*
 * The client's timestamp as webntp reads it: decimal seconds, optional sign
 * and fraction, or any finite float (1.5e9).  0, or -EINVAL.
 */
int webntp_parse_stamp(const char *text, size_t len, __s64 *us);

/* The answer as JSON text, NUL-terminated; its length or -ENOSPC. */
int webntp_format(const struct webntp_answer *a, char *buf, size_t size);

/* The answer's X-HTTPSTIME value: "<s>.<us>". */
void webntp_stamp(__u64 unix_ns, char *buf, size_t size);

/* served: the state the NTP paths serve; max_state_age_ns: --max-state-age,
 * past which they call it stale. */
int webntp_open(struct webntp **out, const struct ntpd_ref_buffer *served,
		__u64 max_state_age_ns);
void webntp_close(struct webntp *w);

/*
 * Fill an answer from the state being served now.  host: the Host the client
 * asked (NULL: none; only [A-Za-z0-9.:[]_-] are kept), it_us its stamp.
 * 0, or -EAGAIN when no state can be read.
 */
int webntp_answer(struct webntp *w, const char *host, __s64 it_us, struct webntp_answer *a);

/* One WebSocket message (a client stamp) to its answer's text, for
 * websocket.c's ws_answer_fn (ctx: the struct webntp).  Length or -errno. */
int webntp_message(void *ctx, const char *host, const char *msg, size_t len, char *out,
		   size_t size);

/* Read leap-seconds.list now: at start, before a chroot hides it (later
 * daily reloads that cannot read it keep what was read). */
void webntp_load_leap_list(void);

/* The leap list for /status: {"path", "state": ok|expired|missing,
 * "expires": unix s (0 when missing)}. */
json_t *webntp_leap_status_json(void);

#endif /* NTPD_WEBNTP_H */
