/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The socket server's side of rate limiting and access lists: the same
 * decisions as the XDP program's police(), from the XDP program's own maps
 * when they exist (so mixing paths does not double a client's allowance),
 * else from a table of its own: set-associative, least recently used
 * replaced, placed by a hash keyed at random per start.
 */
#ifndef NTPD_CLIENT_POLICY_H
#define NTPD_CLIENT_POLICY_H

#include "loader.h"
#include "ntp_verdict.h"	/* and ntp_proto.h under it */
#include "policy.h"

struct client_policy;

/* `att` may be NULL (socket mode): then the policy lives in this process. */
int client_policy_open(struct client_policy **out, const struct ntpd_policy *p,
		       const struct ntpd_attachment *att);
void client_policy_close(struct client_policy *cp);

/* New limits and lists while serving (socket mode keeps its own copy; with
 * BPF the maps were already written and this only mirrors them). */
void client_policy_update(struct client_policy *cp, const struct ntpd_policy *p);

/*
 * Charge one request to its client and say what to do with it.  Call it
 * exactly once for each request the socket path may answer: every call
 * takes from the client's bucket.
 *
 * The verdict is the XDP program's, from the same ladder
 * (ntp_policy_verdict() in bpf/ntp_verdict.h): NTP_ACT_DROP means no
 * answer (counter RATE_DROPPED, DENIED_DROPPED or DENIED_LIMITED);
 * NTP_ACT_ANSWER a normal answer (counter NTP_REQ_ANSWER, or RATE_LEAKED);
 * NTP_ACT_KOD_RATE / NTP_ACT_KOD_DENY a kiss, ntp_verdict_kiss() its code.
 * A denied client with kod-deny goes through its bucket and the leak like
 * any other: its KoD DENY when the request conforms or leaks, else dropped
 * (DENIED_LIMITED).
 */
struct ntp_verdict client_policy_check(struct client_policy *cp, int family, const void *saddr,
				      __u64 now_tai_ns);

/*
 * For tests of the socket-mode table: replace the random SipHash key, and
 * the set a client's prefix lands in (-EOPNOTSUPP with BPF maps).  Not
 * while serving.
 */
void client_policy_set_hash_key(struct client_policy *cp, const __u8 key[16]);
long client_policy_set_of(struct client_policy *cp, int family, const void *saddr);

#endif /* NTPD_CLIENT_POLICY_H */
