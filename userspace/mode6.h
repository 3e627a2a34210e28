/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NTP control messages (mode 6, RFC 1305 appendix B, RFC 9327), read-only:
 * READSTAT and READVAR for the system and each upstream, enough for
 * `ntpq -p` and `ntpq -c rv`.  Nothing is ever written, configured or
 * listed from the MRU table.
 *
 * Mode 6 is an amplifier (a 12-byte request can draw hundreds of bytes), so
 * it is answered only to loopback and to the --allow-query prefixes, only
 * in one datagram of at most MODE6_REPLY_MAX bytes per request, and at most
 * MODE6_RATE answers per second (burst MODE6_BURST) for all askers
 * together.  Everything else is dropped and counted (docs/security.md).
 */
#ifndef NTPD_MODE6_H
#define NTPD_MODE6_H

#include <stddef.h>

#include "ntpd_shared.h"
#include "policy.h"

#define MODE6_HEADER_LEN	12
/* RFC 9327 / ntpd's CTL_MAX_DATA_LEN: the data of one fragment */
#define MODE6_DATA_MAX		468
#define MODE6_REPLY_MAX		(MODE6_HEADER_LEN + MODE6_DATA_MAX)
#define MODE6_RATE		50	/* answers per second, all askers */
#define MODE6_BURST		100
#define MODE6_ALLOW_MAX		32

/* --allow-query: who may ask besides loopback. */
struct mode6_allow {
	struct acl_rule rule[MODE6_ALLOW_MAX];
	int n;
};

/* "ADDR/LEN" or an address, appended.  0, -EINVAL, or -ENOSPC (full). */
int mode6_allow_add(struct mode6_allow *list, const char *cidr);

struct agent_source_status;
/* Source i's status (agent_source_status()): 0, or nonzero past the end. */
typedef int (*mode6_source_fn)(void *ctx, int i, struct agent_source_status *out);

/* The daemon's: ctx is its struct agent. */
int mode6_agent_sources(void *agent, int i, struct agent_source_status *out);

struct mode6;

int mode6_open(struct mode6 **out, const struct mode6_allow *allow);
/* Where the upstreams are read from; before the socket threads start. */
void mode6_set_sources(struct mode6 *m, mode6_source_fn fn, void *ctx);
void mode6_close(struct mode6 *m);

/*
 * One control message `req` (`len` bytes) from `saddr` of `family`, at
 * CLOCK_TAI now_tai_ns, with the served state `st` (NULL: unreadable) and
 * whether it is fresh (ntp_state_fresh()).
 * The response goes to `out` (room for MODE6_REPLY_MAX bytes; may be req
 * itself), its length in *out_len, 0 when nothing is to be sent.  Returns
 * the counter: CONTROL_ANSWERED, DROP_MODE_CONTROL (not an allowed asker),
 * CONTROL_LIMITED or CONTROL_MALFORMED.  Thread-safe.
 */
__u32 mode6_answer(struct mode6 *m, int family, const void *saddr, const __u8 *req, size_t len,
		   const struct ntpd_ref_state *st, int fresh, __u64 now_tai_ns, __u8 *out,
		   size_t *out_len);

#endif /* NTPD_MODE6_H */
