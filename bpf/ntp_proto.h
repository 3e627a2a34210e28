/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The NTP response builder, written once.  Compiled by clang for the XDP
 * program and by gcc for the socket server and the unit tests, so the two
 * paths cannot disagree on a single field.  Everything here is branch-light
 * static inline arithmetic on registers: no loops, no allocation, no calls.
 */
#ifndef NTP_PROTO_H
#define NTP_PROTO_H

#include "ntpd_shared.h"
#include <bpf/bpf_endian.h>

#ifdef __bpf__
#include <bpf/bpf_helpers.h>
#define NTPD_INLINE static __always_inline
/* Code no answer runs by default (VLAN tags, the access lists, a
 * kiss-o'-death, a state older than the fast conversion's window): a
 * BPF-to-BPF call, which the JIT gives an image of its own, so an answer's
 * path crosses fewer cache lines; on live traffic the caches are cold
 * between packets (docs/performance.md, "The in-situ figure") */
#define NTPD_COLD static __attribute__((noinline))
/* BPF has no load-acquire before v4 ISA; on the JITs we run on (x86 TSO,
 * arm64 with the sequence re-check) a compiler barrier keeps the order. */
#define NTPD_LOAD_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define NTPD_READ_BARRIER()	asm volatile("" ::: "memory")
#else
#define NTPD_INLINE static inline __attribute__((always_inline))
#define NTPD_COLD static inline
#define NTPD_LOAD_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define NTPD_READ_BARRIER()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
/* Marks the answer's path as the fall-through one, so clang lays it out
 * straight and the refusals aside: on live traffic the branch predictors
 * and caches are cold between packets, and straight code is what they
 * handle best (docs/performance.md, "The in-situ figure"). */
#define NTPD_LIKELY(x)		__builtin_expect(!!(x), 1)
#define NTPD_UNLIKELY(x)	__builtin_expect(!!(x), 0)

/* Unix nanoseconds -> NTP 32.32 timestamp.  The seconds wrap modulo 2^32,
 * which is exactly the era-0/era-1 encoding RFC 5905 6 prescribes. */
NTPD_INLINE __u64 ntp_ts_from_unix_ns(__u64 unix_ns)
{
	__u64 sec = unix_ns / NSEC_PER_SEC_U64;
	__u64 nsec = unix_ns - sec * NSEC_PER_SEC_U64;
	/* nsec < 2^30, so the shift cannot overflow */
	__u64 frac = (nsec << 32) / NSEC_PER_SEC_U64;

	return ((sec + NTP_UNIX_EPOCH_DELTA) << 32) | frac;
}

/*
 * NTP 32.32 timestamp -> Unix nanoseconds, choosing the era that puts the
 * result within 68 years of pivot_unix_sec (RFC 5905 6, "era" ambiguity).
 */
NTPD_INLINE __s64 ntp_ts_to_unix_ns(__u64 ts, __s64 pivot_unix_sec)
{
	__s64 pivot_ntp = pivot_unix_sec + (__s64)NTP_UNIX_EPOCH_DELTA;
	/* signed 32-bit distance from the pivot's position in its era */
	__s32 delta = (__s32)((__u32)(ts >> 32) - (__u32)pivot_ntp);
	__s64 sec = pivot_unix_sec + delta;
	__u64 frac_ns = ((ts & 0xffffffffULL) * NSEC_PER_SEC_U64 + (1ULL << 31)) >> 32;

	return sec * (__s64)NSEC_PER_SEC_U64 + (__s64)frac_ns;
}

/* Nanoseconds -> NTP short format (16.16 seconds), saturating. */
NTPD_INLINE __u32 ntp_short_from_ns(__u64 ns)
{
	__u64 units;

	if (ns >= 65536ULL * NSEC_PER_SEC_U64)
		return 0xffffffffU;
	units = (ns << 16) / NSEC_PER_SEC_U64 + (((ns << 16) % NSEC_PER_SEC_U64) != 0);
	/* rounding up just below 65536 s would wrap to 0 */
	return units > 0xffffffffULL ? 0xffffffffU : (__u32)units;
}

/*
 * RFC 5905 dispersion growth: PHI (15 ppm) of the time since the reference
 * was last updated, rounded up, saturating at the 16.16 maximum.
 * 15e-6 * 2^16 / 1e9 per ns is done as a multiply and a shift, not a
 * division (per packet, in XDP): NTPD_PHI_MULT = ceil(15e-6 * 2^16 * 2^52 / 1e9),
 * which rounds up by at most one unit of 2^-16 s.
 */
#define NTPD_PHI_MULT 4427219ULL
#define NTPD_PHI_SHIFT 52

NTPD_INLINE __u32 ntp_dispersion_grow(__u32 dispersion, __u64 age_ns)
{
	/* 2^40 ns (18 min) keeps age * NTPD_PHI_MULT inside 64 bits; a state
	 * that old is stale long before, so the clamp never changes an answer. */
	__u64 age = age_ns < (1ULL << 40) ? age_ns : (1ULL << 40);
	__u64 grown = (age * NTPD_PHI_MULT + (1ULL << NTPD_PHI_SHIFT) - 1) >> NTPD_PHI_SHIFT;
	__u64 sum = (__u64)dispersion + grown;

	return sum > 0xffffffffULL ? 0xffffffffU : (__u32)sum;
}

/*
 * What the correction has moved since the state was published, in ns:
 * elapsed * freq.  Both factors are clamped so the product fits in 62 bits
 * whatever the map holds: elapsed to 2^40 ns (18 min; a state that old is
 * stale and served unsynchronised anyway), freq to 2^22 (977 ppm, twice what
 * the agent ever publishes).
 */
#define NTPD_FREQ_SCALED_LIMIT	(1 << 22)

NTPD_INLINE __s64 ntp_freq_drift_ns(const struct ntpd_ref_state *st, __u64 elapsed_ns)
{
	__s64 d = (__s64)(elapsed_ns < (1ULL << 40) ? elapsed_ns : (1ULL << 40));
	__s64 f = st->freq_scaled;

	f = f > NTPD_FREQ_SCALED_LIMIT ? NTPD_FREQ_SCALED_LIMIT : f;
	f = f < -NTPD_FREQ_SCALED_LIMIT ? -NTPD_FREQ_SCALED_LIMIT : f;
	return (d * f) >> NTPD_FREQ_SHIFT;
}

/*
 * All ones when a >= b, else 0, without a branch: the borrow of a - b
 * (Hacker's Delight 2-12), so the per-packet leap costs a few ALU ops.
 */
NTPD_INLINE __u64 ntp_ge_mask(__u64 a, __u64 b)
{
	__u64 borrow = ((~a & b) | (~(a ^ b) & (a - b))) >> 63;

	return borrow - 1;
}

/*
 * Whether the served time has taken the state's leap at CLOCK_TAI tai_ns:
 * all ones from leap_tai_ns on when a leap is pending, else 0.  A zero
 * leap_sign means no leap whatever leap_tai_ns says, so a zeroed state
 * (tests, the never-published map) has none.
 */
NTPD_INLINE __u64 ntp_leap_mask(const struct ntpd_ref_state *st, __u64 tai_ns)
{
	return ntp_ge_mask(tai_ns, st->leap_tai_ns) & -(__u64)(st->leap_sign != 0);
}

/* The leap in served nanoseconds for a reading whose ntp_leap_mask() is
 * leap_mask: sign s from the instant on, else 0. */
NTPD_INLINE __s64 ntp_leap_ns_masked(const struct ntpd_ref_state *st, __u64 leap_mask)
{
	return (__s64)(leap_mask & (__u64)((__s64)st->leap_sign * (__s64)NSEC_PER_SEC_U64));
}

/* The leap in served nanoseconds at tai_ns. */
NTPD_INLINE __s64 ntp_leap_ns(const struct ntpd_ref_state *st, __u64 tai_ns)
{
	return ntp_leap_ns_masked(st, ntp_leap_mask(st, tai_ns));
}

/* The served UTC time before any leap: the state's straight line. */
NTPD_INLINE __u64 ntp_linear_unix_ns(const struct ntpd_ref_state *st, __u64 tai_ns)
{
	__u64 since = tai_ns > st->update_tai_ns ? tai_ns - st->update_tai_ns : 0;

	return tai_ns - (__u64)st->tai_offset_ns + (__u64)st->correction_ns +
	       (__u64)ntp_freq_drift_ns(st, since);
}

/* The UTC time we serve for a kernel CLOCK_TAI reading. */
NTPD_INLINE __u64 ntp_served_unix_ns(const struct ntpd_ref_state *st, __u64 tai_ns)
{
	return ntp_linear_unix_ns(st, tai_ns) - (__u64)ntp_leap_ns(st, tai_ns);
}

/* ntp_served_ts_masked() outside its fast window: the exact conversion,
 * with its two divisions (a state unpublished for over 4.3 s, or tests). */
NTPD_COLD __u64 ntp_served_ts_exact(const struct ntpd_ref_state *st, __u64 tai_ns,
				     __u64 leap_mask)
{
	return ntp_ts_from_unix_ns(ntp_linear_unix_ns(st, tai_ns) -
				   (__u64)ntp_leap_ns_masked(st, leap_mask));
}

/*
 * The served NTP timestamp for a kernel CLOCK_TAI reading.  Within 2^32 ns
 * (4.3 s) of the state's base, which the publisher refreshes every second,
 * it is the base plus the elapsed nanoseconds (and the correction's drift
 * over them) scaled to 2^-32 s by a multiply and shift: ns * 2^32 / 1e9 =
 * 4 ns + ns * 0.294967296, the fraction being 1266874890 / 2^32: within one
 * 2^-32 s (0.23 ns) of exact.  Outside that window, the exact conversion
 * with its two divisions.  Either way a leap the state carries is taken
 * at exactly leap_tai_ns: the base is on the straight line, and whole
 * seconds are the top 32 bits of an NTP timestamp.  leap_mask is
 * ntp_leap_mask(st, tai_ns).
 */
NTPD_INLINE __u64 ntp_served_ts_masked(const struct ntpd_ref_state *st, __u64 tai_ns,
					__u64 leap_mask)
{
	__u64 d = tai_ns - st->base_tai_ns;

	if (NTPD_LIKELY(d < (1ULL << 32))) {
		__u64 leap = leap_mask & ((__u64)(__s64)st->leap_sign << 32);

		/* |drift| < 2^32 * 2^-10: d stays well inside 2^33, the product in 2^64 */
		d += (__u64)ntp_freq_drift_ns(st, d);
		return st->base_ntp + (d << 2) + ((d * 1266874890ULL) >> 32) - leap;
	}
	return ntp_served_ts_exact(st, tai_ns, leap_mask);
}

/* The same for a reading whose leap mask the caller does not need itself
 * (ntp_fill_answer() needs it twice and computes it once). */
NTPD_INLINE __u64 ntp_served_ts(const struct ntpd_ref_state *st, __u64 tai_ns)
{
	return ntp_served_ts_masked(st, tai_ns, ntp_leap_mask(st, tai_ns));
}

/* What refstate_publish() derives: the base for ntp_served_ts(), on the
 * straight line (the leap is subtracted per reading). */
NTPD_INLINE void ntp_state_set_base(struct ntpd_ref_state *st)
{
	st->base_tai_ns = st->update_tai_ns;
	st->base_ntp = st->update_tai_ns ?
		ntp_ts_from_unix_ns(ntp_linear_unix_ns(st, st->update_tai_ns)) : 0;
}

/*
 * A reader may take its receive time just before the writer publishes, and
 * then read the new state: that state is "from the future" by the length of
 * a read.  Up to this much is normal; more means the clock stepped back.
 */
#define NTPD_STATE_FUTURE_SLACK_NS NSEC_PER_SEC_U64

/*
 * A state is fresh when it was published at most max_age ago (and at most
 * the slack above in the future).  Unsigned arithmetic on purpose: a
 * never-published state (0) or one from further in the future both come out
 * as a huge age, i.e. stale.
 */
NTPD_INLINE int ntp_state_fresh(const struct ntpd_ref_state *st, __u64 now_tai_ns,
				__u64 max_age_ns)
{
	return st->update_tai_ns != 0 &&
	       now_tai_ns + NTPD_STATE_FUTURE_SLACK_NS - st->update_tai_ns <=
		       max_age_ns + NTPD_STATE_FUTURE_SLACK_NS;
}

/*
 * Read the published state without ever seeing a half-written one.
 * Returns 0, or -1 when the writer lapped us (the caller passes the packet
 * on rather than spin: the socket server answers it).
 */
NTPD_INLINE int ntpd_ref_read(const struct ntpd_ref_buffer *buf,
			      struct ntpd_ref_state *out)
{
	__u32 idx = NTPD_LOAD_ONCE(buf->active) & 1;
	const struct ntpd_ref_slot *slot = &buf->slot[idx];
	__u32 seq = NTPD_LOAD_ONCE(slot->seq);

	NTPD_READ_BARRIER();
	__builtin_memcpy(out, (const void *)&slot->state, sizeof(*out));
	NTPD_READ_BARRIER();
	/* still the active slot too: a reader that picked a slot just before
	 * the writer refilled it would otherwise return a state the writer has
	 * not published yet, and then an older one (time going backwards) */
	if (NTPD_UNLIKELY((seq & 1) || *(const volatile __u32 *)&slot->seq != seq ||
			  (*(const volatile __u32 *)&buf->active & 1) != idx))
		return -1;
	return 0;
}

/*
 * Never answer a source that cannot be a real unicast client: the answer
 * would go to a victim (reflection) or nowhere.  Loopback sources are only
 * genuine on a loopback device, where the caller allows them.
 */
NTPD_INLINE int ntp_bad_source_v4(__be32 saddr, int allow_loopback)
{
	__u32 first_octet = bpf_ntohl(saddr) >> 24;

	return first_octet == 0 || first_octet >= 224 ||	/* this-net, multicast, class E, broadcast */
	       (first_octet == 127 && !allow_loopback);
}

NTPD_INLINE int ntp_bad_source_v6(const __u8 *saddr, int allow_loopback)
{
	const __u32 *w = (const __u32 *)saddr;

	if (saddr[0] == 0xff)					/* multicast */
		return 1;
	if ((w[0] | w[1]) != 0)
		return 0;
	if (w[2] == bpf_htonl(0x0000ffff))			/* v4-mapped */
		return 1;
	if (w[2] != 0)
		return 0;
	return w[3] == 0 ||					/* unspecified */
	       (w[3] == bpf_htonl(1) && !allow_loopback);
}

/*
 * GCRA step for one request at CLOCK_TAI `now` (see struct ntpd_rate_entry):
 * returns 1 and the new theoretical arrival time when the request conforms,
 * 0 when it is over the limit (and tat must not move).
 */
NTPD_INLINE int ntp_rate_conforms(__u64 tat, __u64 now, const struct ntpd_rate_config *cfg,
				  __u64 *new_tat)
{
	__u64 base = tat > now ? tat : now;
	__u64 tolerance = cfg->burst_ns > cfg->cost_ns ? cfg->burst_ns - cfg->cost_ns : 0;

	if (base - now > tolerance)
		return 0;
	*new_tat = base + cfg->cost_ns;
	return 1;
}

/* Over the limit, one request in 2^leak_shift is still let through (leak 0:
 * none), so a flood spoofing a client's address cannot cut that client off
 * entirely.  `limited` counts the over-limit requests, this one included. */
NTPD_INLINE int ntp_rate_leaks(__u32 limited, const struct ntpd_rate_config *cfg)
{
	return cfg->leak_shift && (limited & ((1U << (cfg->leak_shift & 31)) - 1)) == 0;
}

/* The rate table key of a client: its address cut to the configured prefix
 * (IPv4 as ::ffff:a.b.c.d, cut within its 32 bits). */
NTPD_INLINE void ntp_rate_key_v4(struct ntpd_rate_key *key, __be32 saddr, __u8 prefix)
{
	__u32 mask = prefix >= 32 ? 0xffffffffU : prefix ? ~0U << (32 - prefix) : 0;
	__be32 cut = saddr & bpf_htonl(mask);
	__u32 *w = (__u32 *)key->addr;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0x0000ffff);
	w[3] = cut;
}

NTPD_INLINE void ntp_rate_key_v6(struct ntpd_rate_key *key, const __u8 *saddr, __u8 prefix)
{
	__u64 hi, lo, mhi, mlo;

	__builtin_memcpy(&hi, saddr, 8);
	__builtin_memcpy(&lo, saddr + 8, 8);
	mhi = prefix >= 64 ? ~0ULL : prefix ? ~0ULL << (64 - prefix) : 0;
	mlo = prefix >= 128 ? ~0ULL : prefix > 64 ? ~0ULL << (128 - prefix) : 0;
	hi &= bpf_cpu_to_be64(mhi);
	lo &= bpf_cpu_to_be64(mlo);
	__builtin_memcpy(key->addr, &hi, 8);
	__builtin_memcpy(key->addr + 8, &lo, 8);
}

/* Verdict on a 48-byte NTP payload's first byte. */
enum ntp_request_class {
	NTP_REQ_ANSWER = NTPD_CNT_MAX,	/* not a counter: answer it */
};

/*
 * Which requests we answer: versions 1-4 in client mode, version 1 mode 0
 * (RFC 1059 clients did not set a mode), and symmetric active (mode 1), as
 * chronyd does: statelessly, in symmetric passive mode, the same 48 bytes
 * a client gets (a Windows w32tm without ",0x8", an ntpd `peer` line).  No
 * association is made, so a mode-1 flood costs no memory.  Server-mode
 * packets and mode 7 traffic sent to our port are dropped: answering them
 * is what reflection and amplification attacks need.  Mode 6 (ntpq's
 * control messages) and everything else is passed up so the kernel and
 * the socket server can have their say (the socket server answers mode 6
 * to the hosts --allow-query names, and nobody else).
 * Returns NTP_REQ_ANSWER or the counter that records why not.
 */
NTPD_INLINE __u32 ntp_classify_request(__u8 li_vn_mode)
{
	__u8 vn = NTP_VN(li_vn_mode);
	__u8 mode = NTP_MODE(li_vn_mode);

	if (NTPD_UNLIKELY(mode == NTP_MODE_SERVER))
		return NTPD_CNT_DROP_MODE_SERVER;
	if (NTPD_UNLIKELY(mode == NTP_MODE_PRIVATE))
		return NTPD_CNT_DROP_MODE_CONTROL;
	if (NTPD_UNLIKELY(vn < NTP_VERSION_MIN || vn > NTP_VERSION_MAX))
		return NTPD_CNT_PASS_VERSION;
	if (NTPD_LIKELY(mode == NTP_MODE_CLIENT) || mode == NTP_MODE_SYM_ACTIVE ||
	    (vn == 1 && mode == NTP_MODE_RESERVED))
		return NTP_REQ_ANSWER;
	return NTPD_CNT_PASS_MODE;
}

/* The mode of our answer to a request that ntp_classify_request() lets
 * through: symmetric passive to symmetric active, else server. */
NTPD_INLINE __u8 ntp_reply_mode(__u8 li_vn_mode)
{
	return NTP_MODE(li_vn_mode) == NTP_MODE_SYM_ACTIVE ? NTP_MODE_SYM_PASSIVE :
							     NTP_MODE_SERVER;
}

/*
 * The same with the source port: a version 1 packet in mode 0 from port 123
 * is not answered (chrony's rule: RFC 1059 told its modes apart by the
 * ports, so a mode-0 packet from 123 is one server talking to another, and
 * two servers answering each other's would loop).
 */
NTPD_INLINE __u32 ntp_classify_request_port(__u8 li_vn_mode, __be16 sport)
{
	if (NTPD_UNLIKELY(NTP_VN(li_vn_mode) == 1 && NTP_MODE(li_vn_mode) == NTP_MODE_RESERVED &&
			  sport == bpf_htons(NTP_PORT_DEFAULT)))
		return NTPD_CNT_DROP_V1_PORT123;
	return ntp_classify_request(li_vn_mode);
}

/*
 * The IPv4 TOS / IPv6 traffic class byte of an answer: the configured DSCP
 * (RFC 2474) and ECN 0 (RFC 3168 6.1.1: not ECN-capable; the request's ECN
 * bits, a CE mark included, are never echoed).
 */
NTPD_INLINE __u8 ntp_reply_tos(__u8 dscp)
{
	return (__u8)((dscp & NTPD_DSCP_MAX) << 2);
}

/* refid of a state that was synchronised and no longer is */
#define NTP_REFID_LOST	bpf_htonl(0x4c4f5354)	/* "LOST" */

/*
 * The one answer builder: turn the packet at pkt into a `mode` packet from
 * the state at CLOCK_TAI rx_tai_ns, in place, all fields but the transmit
 * timestamp (set last, by ntp_set_transmit, as late as possible); the
 * version and poll are the packet's own.  `fresh` comes from
 * ntp_state_fresh(): a stale state is announced as unsynchronised (LI=3,
 * stratum 16) so no client trusts it.
 */
NTPD_INLINE void ntp_fill_answer(struct ntp_packet *pkt, const struct ntpd_ref_state *st,
				 const struct ntpd_config *cfg, __u64 rx_tai_ns, int fresh,
				 __u8 mode)
{
	__u8 vn = NTP_VN(pkt->li_vn_mode);
	__s8 poll = pkt->poll;
	/* one leap mask for both its uses: the LI below and the receive time */
	__u64 leap_mask = ntp_leap_mask(st, rx_tai_ns);
	/* the announcement ends with the leap: a client asking after the
	 * instant must not expect another one at the next midnight */
	__u8 done = (__u8)(leap_mask & (st->leap != NTP_LEAP_UNSYNC));
	/* stale, or a state that is itself unsynchronised: LI=3 and stratum 0
	 * together, never one without the other */
	int synced = fresh && st->stratum <= NTP_STRATUM_MAX;
	__u8 leap = synced ? (done ? NTP_LEAP_NONE : st->leap) : NTP_LEAP_UNSYNC;
	__u8 stratum = synced ? st->stratum : NTP_STRATUM_UNSYNC_WIRE;
	/* RFC 5905 7.3: a stratum-0 answer carries an ASCII code in refid,
	 * never an address (82.65.84.69 reads as "RATE"): an unsynchronised
	 * state has its own (INIT, LOST); a synchronised one gone stale says
	 * LOST */
	__be32 refid = synced || st->stratum > NTP_STRATUM_MAX ? st->refid : NTP_REFID_LOST;
	/* a state published after our receive time has not aged at all */
	__u64 age = rx_tai_ns > st->update_tai_ns ? rx_tai_ns - st->update_tai_ns : 0;

	if (poll < cfg->poll_min)
		poll = cfg->poll_min;
	if (poll > cfg->poll_max)
		poll = cfg->poll_max;

	pkt->li_vn_mode = NTP_LI_VN_MODE(leap, vn, mode);
	pkt->stratum = stratum;
	pkt->poll = poll;
	pkt->precision = st->precision;
	pkt->root_delay = bpf_htonl(st->root_delay);
	pkt->root_dispersion = bpf_htonl(ntp_dispersion_grow(st->root_dispersion, age));
	pkt->refid = refid;
	pkt->reference_ts = bpf_cpu_to_be64(st->reference_ts);
	/* RFC 5905 8: origin echoes the client's transmit timestamp verbatim */
	pkt->origin_ts = pkt->transmit_ts;
	pkt->receive_ts = bpf_cpu_to_be64(ntp_served_ts_masked(st, rx_tai_ns, leap_mask));
}

/* Our answer to a client request (in place): symmetric passive to
 * symmetric active, else server mode; see ntp_fill_answer(). */
NTPD_INLINE void ntp_fill_response(struct ntp_packet *pkt,
				   const struct ntpd_ref_state *st,
				   const struct ntpd_config *cfg,
				   __u64 rx_tai_ns, int fresh)
{
	ntp_fill_answer(pkt, st, cfg, rx_tai_ns, fresh, ntp_reply_mode(pkt->li_vn_mode));
}

/*
 * Kiss-o'-death (RFC 5905 7.4): an unsynchronised answer (LI=3, stratum 0)
 * whose refid is the kiss code, same size as the request, origin echoed so
 * the client accepts it as the answer to its request.
 */
NTPD_INLINE void ntp_fill_kod(struct ntp_packet *pkt, const struct ntpd_ref_state *st,
			      const struct ntpd_config *cfg, __u64 rx_tai_ns, __be32 code)
{
	ntp_fill_response(pkt, st, cfg, rx_tai_ns, 0);
	pkt->root_delay = 0;
	pkt->root_dispersion = 0;
	pkt->refid = code;
	pkt->reference_ts = 0;
}

/*
 * A broadcast packet (mode 5) from the served state at CLOCK_TAI tai_ns,
 * all fields but the transmit timestamp (ntp_set_transmit): an answer's,
 * with no request to echo (origin and receive 0, as ntpd's broadcast
 * server sends them) and `poll` the sending interval's log2.  Returns
 * whether it may be sent: only what a client would be told synchronised
 * (LI != 3), since a broadcast client cannot ask whether we are.
 */
NTPD_INLINE int ntp_fill_broadcast(struct ntp_packet *pkt, const struct ntpd_ref_state *st,
				   const struct ntpd_config *cfg, __u64 tai_ns, int fresh,
				   __s8 poll)
{
	__builtin_memset(pkt, 0, sizeof(*pkt));
	pkt->li_vn_mode = NTP_LI_VN_MODE(0, NTP_VERSION_MAX, 0);
	ntp_fill_answer(pkt, st, cfg, tai_ns, fresh, NTP_MODE_BROADCAST);
	pkt->poll = poll;
	pkt->origin_ts = 0;
	pkt->receive_ts = 0;
	return NTP_LI(pkt->li_vn_mode) != NTP_LEAP_UNSYNC;
}

#define NTP_KISS_RATE	bpf_htonl(0x52415445)	/* "RATE" */
#define NTP_KISS_DENY	bpf_htonl(0x44454e59)	/* "DENY" */

NTPD_INLINE void ntp_set_transmit(struct ntp_packet *pkt,
				  const struct ntpd_ref_state *st, __u64 tx_tai_ns)
{
	pkt->transmit_ts = bpf_cpu_to_be64(ntp_served_ts(st, tx_tai_ns));
}

/* The processing-time bucket of `ns` (see NTPD_LAT_SHIFT): its log2,
 * found in five halving steps, no loop and no count-leading-zeros. */
NTPD_INLINE __u32 ntp_latency_bucket(__u64 ns)
{
	__u64 v = ns >> NTPD_LAT_SHIFT;
	__u32 b = 0;

	if (v >> 16) { v >>= 16; b += 16; }
	if (v >> 8) { v >>= 8; b += 8; }
	if (v >> 4) { v >>= 4; b += 4; }
	if (v >> 2) { v >>= 2; b += 2; }
	if (v >> 1) { b += 1; }
	b += v != 0;	/* below 2^NTPD_LAT_SHIFT ns: bucket 0 */
	return b < NTPD_LAT_BUCKETS ? b : NTPD_LAT_BUCKETS - 1;
}

/* Add one processing time to a counter block. */
NTPD_INLINE void ntp_latency_add(struct ntpd_counters *c, __u64 ns)
{
	c->latency[ntp_latency_bucket(ns)]++;
	c->latency_sum_ns += ns;
}

#ifndef __bpf__
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * The socket path's half of ntp_reply_tos(): the same byte on every answer
 * the socket `fd` of `family` sends.  Returns fd, or -errno having closed it
 * (a negative fd is handed back as it is), so a caller can write
 * fd = ntp_socket_set_dscp(open(...), ...).
 */
static inline int ntp_socket_set_dscp(int fd, int family, __u8 dscp)
{
	int tos = ntp_reply_tos(dscp), err;

	if (fd < 0)
		return fd;
	if (!setsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
			family == AF_INET ? IP_TOS : IPV6_TCLASS, &tos, sizeof(tos)))
		return fd;
	err = -errno;
	close(fd);
	return err;
}
#endif

#endif /* NTP_PROTO_H */
