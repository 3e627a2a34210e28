/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a request gets, decided once for both paths, as the response builder
 * is written once: the XDP program (bpf/xdp_ntpd.h) and the socket server
 * (userspace/client_policy.c, userspace/socket_server.c) call these with the
 * facts each looks up its own way, and do what the verdict says.  Compiled
 * by clang for BPF and by gcc for userspace, and tested once from this
 * header (tests/unit/test_ntp_verdict.c).  It builds on ntp_proto.h; the
 * response builder does not need it, so the include runs one way.
 *
 * The ladder for a request that may be answered (ntp_classify_request()
 * in ntp_proto.h has said it may: a client, or a symmetric active peer,
 * which climbs the same rungs and gets the same 48 bytes in mode 2):
 *
 *   1. the reference state: unreadable, or stale with --stale-action pass,
 *      hands the request on (ntp_state_verdict);
 *   2. the access list's action for the source (an LPM trie in XDP, the
 *      socket server's own list without BPF);
 *   3. whether the client's bucket is charged at all (ntp_policy_charges):
 *      not with rate limiting off, not for a denied client dropped anyway;
 *   4. the bucket's answer, conforms or over the limit with the client's
 *      count of limited requests (a compare-and-swap on the LRU map, or the
 *      socket-mode table), keyed by ntp_rate_key;
 *   5. the verdict: deny -> kod-deny -> conform -> leak -> kod-rate
 *      (ntp_policy_verdict);
 *   6. for what is answered, the counter (ntp_answer_counter).
 *
 * Every function is a handful of compares on registers: no loops, no calls,
 * nothing the verifier has to think about.
 */
#ifndef NTP_VERDICT_H
#define NTP_VERDICT_H

#include "ntp_proto.h"

enum ntp_action {
	NTP_ACT_ANSWER,		/* the time, as usual (a leak too) */
	NTP_ACT_KOD_RATE,	/* kiss-o'-death RATE (RFC 5905 7.4) */
	NTP_ACT_KOD_DENY,	/* kiss-o'-death DENY */
	NTP_ACT_DROP,		/* nothing at all */
	NTP_ACT_PASS,		/* not ours to answer: the stack's, the socket server's */
};

/*
 * A decision: what to do, and the counter to bump for it.  NTP_REQ_ANSWER
 * as the counter means a plain answer whose counter depends on the answer
 * (synchronised or not, signed or not, the family): ntp_answer_counter().
 */
struct ntp_verdict {
	__u32 action;		/* enum ntp_action */
	__u32 counter;		/* enum ntpd_counter, or NTP_REQ_ANSWER */
};

#define NTP_VERDICT(act, cnt)	((struct ntp_verdict){ .action = (act), .counter = (cnt) })

/*
 * Rung 1, the reference state.  `state_read`: it was read whole (a writer
 * that lapped the reader leaves a torn copy, never served); `fresh`: from
 * ntp_state_fresh(); `stale_pass`: a stale state hands the request on
 * (--stale-action pass in XDP; the socket server is the last stop, so 0).
 * Comes before the bucket, so a request passed up is charged once, where
 * it is answered.
 */
NTPD_INLINE struct ntp_verdict ntp_state_verdict(int state_read, int fresh, int stale_pass)
{
	if (!state_read)
		return NTP_VERDICT(NTP_ACT_PASS, NTPD_CNT_PASS_STATE_BUSY);
	if (!fresh && stale_pass)
		return NTP_VERDICT(NTP_ACT_PASS, NTPD_CNT_PASS_STALE);
	return NTP_VERDICT(NTP_ACT_ANSWER, NTP_REQ_ANSWER);
}

/*
 * Rung 3: whether this request is charged to its client's bucket.  `acl`
 * is the most specific access-list entry's action (0: no entry).  A denied
 * client without kod-deny is dropped whatever its bucket says, so it costs
 * no bucket; with kod-deny its kisses are answers and are charged like any.
 */
NTPD_INLINE int ntp_policy_charges(const struct ntpd_rate_config *cfg, __u8 acl)
{
	return cfg->enabled && (acl != NTPD_ACL_DENY || cfg->kod_deny);
}

/* The bucket's key for a source: its address cut to the client prefix. */
NTPD_INLINE void ntp_rate_key(struct ntpd_rate_key *key, int v6, const void *saddr,
			      const struct ntpd_rate_config *cfg)
{
	if (v6)
		ntp_rate_key_v6(key, (const __u8 *)saddr, cfg->prefix6);
	else
		ntp_rate_key_v4(key, *(const __be32 *)saddr, cfg->prefix4);
}

/*
 * Rung 5.  `over_limit`: the bucket was charged and did not conform
 * (ignored when ntp_policy_charges() said no charge); `limited`: then the
 * client's over-limit requests so far, this one included, which drives
 * the leak.
 *
 * A denied client answered with kiss-o'-death DENY (kod_deny) goes through
 * its bucket and the leak like anyone else: a KoD only when the bucket
 * conforms or the leak lets one through, else dropped (DENIED_LIMITED).  A
 * flood spoofing a denied prefix then draws no more answers than a flood
 * from an allowed one (RFC 5905 7.4 leaves the KoD rate to us; RFC 8633
 * 3.2 asks that it be limited).
 */
NTPD_INLINE struct ntp_verdict ntp_policy_verdict(const struct ntpd_rate_config *cfg, __u8 acl,
						  int over_limit, __u32 limited)
{
	int deny = acl == NTPD_ACL_DENY;

	if (deny && !cfg->kod_deny)
		return NTP_VERDICT(NTP_ACT_DROP, NTPD_CNT_DENIED_DROPPED);
	over_limit = over_limit && cfg->enabled;
	if (over_limit && !ntp_rate_leaks(limited, cfg))
		return NTP_VERDICT(NTP_ACT_DROP,
				   deny ? NTPD_CNT_DENIED_LIMITED : NTPD_CNT_RATE_DROPPED);
	if (deny)
		return NTP_VERDICT(NTP_ACT_KOD_DENY, NTPD_CNT_DENIED_KOD);
	if (!over_limit)
		return NTP_VERDICT(NTP_ACT_ANSWER, NTP_REQ_ANSWER);
	if (!cfg->kod)
		return NTP_VERDICT(NTP_ACT_ANSWER, NTPD_CNT_RATE_LEAKED);
	return NTP_VERDICT(NTP_ACT_KOD_RATE, NTPD_CNT_RATE_KOD);
}

/* The kiss code a verdict answers with, 0 for the time itself. */
NTPD_INLINE __be32 ntp_verdict_kiss(struct ntp_verdict v)
{
	if (v.action == NTP_ACT_KOD_RATE)
		return NTP_KISS_RATE;
	if (v.action == NTP_ACT_KOD_DENY)
		return NTP_KISS_DENY;
	return 0;
}

/* What an answer carries after its 48 bytes (only the socket path signs). */
enum ntp_answer_kind {
	NTP_ANSWER_PLAIN,
	NTP_ANSWER_SIGNED,	/* MAC with the request's key */
	NTP_ANSWER_NAK,		/* crypto-NAK: the request's key is not ours */
};

/*
 * Rung 6, the counter of what is sent: a kiss or a leak keeps the policy's
 * counter (a kiss is never signed); a crypto-NAK is counted as one even
 * when it leaked; then an unsynchronised answer, a signed one, and the
 * family.  Also the counter of a drop or pass verdict handed in, so a
 * caller may call it for every verdict.
 */
NTPD_INLINE __u32 ntp_answer_counter(struct ntp_verdict v, enum ntp_answer_kind kind, int fresh,
				     int v6)
{
	if (v.action != NTP_ACT_ANSWER)
		return v.counter;
	if (kind == NTP_ANSWER_NAK)
		return NTPD_CNT_ANSWERED_NAK;
	if (v.counter != NTP_REQ_ANSWER)
		return v.counter;
	if (!fresh)
		return NTPD_CNT_ANSWERED_UNSYNC;
	if (kind == NTP_ANSWER_SIGNED)
		return NTPD_CNT_ANSWERED_AUTH;
	return v6 ? NTPD_CNT_ANSWERED_V6 : NTPD_CNT_ANSWERED_V4;
}

#endif /* NTP_VERDICT_H */
