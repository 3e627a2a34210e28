/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP NTP responder: maps and the per-packet handler.  Kept in a header
 * so the benchmark object (bench/) runs the very same code.
 *
 * Path of a request: Ethernet [+ up to 2 VLAN tags] -> IPv4 (IHL 5, not a
 * fragment) or IPv6 (no extension header) -> UDP to our port, 48-byte
 * payload -> destination is one of this interface's addresses -> sane source
 * -> NTP client mode -> valid UDP checksum -> answer in place, XDP_TX.
 * Anything else is counted and passed (or dropped where answering or passing
 * would only serve reflection).
 */
#ifndef XDP_NTPD_H
#define XDP_NTPD_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ntpd_shared.h"
#include "ntp_verdict.h"	/* and ntp_proto.h under it */
#include "csum.h"
#include "parse.h"

/* Written by userspace through mmap(), read here: see ntpd_ref_read(). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ntpd_ref_buffer);
} ntpd_ref SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ntpd_counters);
} ntpd_counters SEC(".maps");

/* This interface's own addresses, kept current from netlink by the daemon. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NTPD_LOCAL_ADDR_MAX);
	__type(key, struct ntpd_local_addr);
	__type(value, __u8);
} ntpd_local SEC(".maps");

/* The same addresses as short lists, scanned: see struct ntpd_local_scan. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ntpd_local_scan);
} ntpd_local_scan SEC(".maps");

/* The interface's own MAC address (IEEE 802: the stack drops frames for
 * another unicast address, PACKET_OTHERHOST), learnt from netlink. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ntpd_link);
} ntpd_link SEC(".maps");

/* The VLAN devices on this interface, by NTPD_VLAN_PATH, each with its MAC:
 * a tagged frame is answered only for a VLAN the host has (the kernel hands
 * any other to no one), learnt from netlink (RTM_NEWLINK, IFLA_LINK and
 * IFLA_VLAN_ID). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NTPD_VLAN_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct ntpd_link);
} ntpd_vlans SEC(".maps");

/* Rate limits and list switches: changed by the daemon while serving. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ntpd_rate_config);
} ntpd_rate_cfg SEC(".maps");

/* One bucket per client prefix; LRU so its memory is bounded (the daemon
 * sets max_entries from --rate-table-size before load). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NTPD_RATE_TABLE_DEFAULT);
	__type(key, struct ntpd_rate_key);
	__type(value, struct ntpd_rate_entry);
} ntpd_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NTPD_ACL_MAX_ENTRIES);
	__type(key, struct ntpd_acl4_key);
	__type(value, __u8);
} ntpd_acl4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NTPD_ACL_MAX_ENTRIES);
	__type(key, struct ntpd_acl6_key);
	__type(value, __u8);
} ntpd_acl6 SEC(".maps");

const volatile struct ntpd_config ntpd_cfg = {
	.max_state_age_ns = NTPD_MAX_STATE_AGE_NS_DEFAULT,
	.ntp_port = bpf_htons(NTP_PORT_DEFAULT),
	.ntp_port6 = bpf_htons(NTP_PORT_DEFAULT),
	.poll_min = NTP_POLL_MIN_DEFAULT,
	.poll_max = NTP_POLL_MAX_DEFAULT,
	.stale_action = NTPD_STALE_UNSYNC,
	.verify_udp_csum = 1,
	.allow_loopback_src = 0,
};

/* Sampled request events for the agent's request log (--log-requests). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NTPD_EVENTS_RING_BYTES);
} ntpd_events SEC(".maps");

/* Events that found the ring full (the agent reports them as lost). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ntpd_events_lost SEC(".maps");

/*
 * One event for a sampled request.  With logging off (log_threshold 0, a
 * load-time constant) the verifier drops this code: the fast path pays
 * nothing; on, an unsampled request costs one random number.
 */
NTPD_INLINE void log_request(const void *saddr, __be16 sport, int v6, __u8 li_vn_mode,
			      __u32 outcome)
{
	struct ntpd_request_event *ev;

	if (!ntpd_cfg.log_threshold || bpf_get_prandom_u32() >= ntpd_cfg.log_threshold)
		return;
	ev = bpf_ringbuf_reserve(&ntpd_events, sizeof(*ev), 0);
	if (!ev) {
		__u32 zero = 0;
		__u64 *lost = bpf_map_lookup_elem(&ntpd_events_lost, &zero);

		if (lost)
			__sync_fetch_and_add(lost, 1);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	if (v6) {
		__builtin_memcpy(ev->addr, saddr, 16);
	} else {
		ev->addr[10] = 0xff;
		ev->addr[11] = 0xff;
		__builtin_memcpy(&ev->addr[12], saddr, 4);
	}
	ev->outcome = (__u16)outcome;
	ev->port = sport;
	ev->version = NTP_VN(li_vn_mode);
	ev->mode = NTP_MODE(li_vn_mode);
	ev->path = NTPD_PATH_XDP;
	bpf_ringbuf_submit(ev, 0);
}

/*
 * MAC addresses as three 16-bit words: six byte moves (what a copy of an
 * unaligned u8[6] compiles to) become one load each.  A frame starts at
 * least 2-byte aligned (NET_IP_ALIGN is 0 or 2), so these loads pass the
 * verifier's alignment check even where it is strict.
 */
typedef __u16 __attribute__((may_alias)) ntpd_mac_word;

NTPD_INLINE void swap_mac(struct ethhdr *eth)
{
	ntpd_mac_word *w = (ntpd_mac_word *)eth;	/* h_dest, then h_source */
	__u16 d0 = w[0], d1 = w[1], d2 = w[2];

	w[0] = w[3];
	w[1] = w[4];
	w[2] = w[5];
	w[3] = d0;
	w[4] = d1;
	w[5] = d2;
}

/* The most specific allow/deny entry's action for a source; 0 (no entry)
 * means allowed.  Out of line: with the lists empty no request runs it. */
NTPD_COLD __u8 acl_lookup(int v6, const void *saddr)
{
	struct ntpd_acl6_key k6 = { .prefixlen = 128 };
	struct ntpd_acl4_key k4 = { .prefixlen = 32 };
	__u8 *action;

	if (!v6) {
		__builtin_memcpy(k4.addr, saddr, 4);
		action = bpf_map_lookup_elem(&ntpd_acl4, &k4);
	} else {
		__builtin_memcpy(k6.addr, saddr, 16);
		action = bpf_map_lookup_elem(&ntpd_acl6, &k6);
	}
	return action ? *action : 0;
}

NTPD_INLINE __u8 acl_action(const struct ntpd_rate_config *cfg, int v6, const void *saddr)
{
	if (!(v6 ? cfg->acl6_enabled : cfg->acl4_enabled))
		return 0;
	return acl_lookup(v6, saddr);
}

/*
 * Charge one request to its client's bucket: 1 if it conforms, 0 if over
 * the limit with *limited the client's count of limited requests.
 *
 * Several CPUs may serve one client at once: the new arrival time is
 * installed with compare-and-swap; losing the race twice in a row lets the
 * request through, never more than one CPU's worth.  Inline, unlike the
 * other policy paths: the limiter is on by default, and out of line it
 * cost answers more than it saved (docs/performance.md, "The in-situ
 * figure").
 */
NTPD_INLINE int bucket_take(const struct ntpd_rate_config *cfg, __u64 now, int v6,
			    const void *saddr, __u32 *limited)
{
	struct ntpd_rate_entry *e, fresh = {};
	struct ntpd_rate_key key;
	__u64 tat, new_tat;

	ntp_rate_key(&key, v6, saddr, cfg);
	e = bpf_map_lookup_elem(&ntpd_rate, &key);
	if (!e) {
		/* a new client starts with a full bucket, less this request */
		fresh.tat_ns = now + cfg->cost_ns;
		bpf_map_update_elem(&ntpd_rate, &key, &fresh, BPF_NOEXIST);
		return 1;
	}
	tat = e->tat_ns;
	if (ntp_rate_conforms(tat, now, cfg, &new_tat)) {
		if (__sync_val_compare_and_swap(&e->tat_ns, tat, new_tat) == tat)
			return 1;
		tat = e->tat_ns;
		if (ntp_rate_conforms(tat, now, cfg, &new_tat)) {
			__sync_val_compare_and_swap(&e->tat_ns, tat, new_tat);
			return 1;
		}
	}
	*limited = __sync_fetch_and_add(&e->limited, 1) + 1;
	return 0;
}

/* Access list, then the client's token bucket: the facts for the shared
 * ladder (bpf/ntp_verdict.h), which decides. */
NTPD_INLINE struct ntp_verdict police(__u64 now, int v6, const void *saddr)
{
	struct ntpd_rate_config *cfg;
	__u32 zero = 0, limited = 0;
	int over_limit = 0;
	__u8 acl;

	cfg = bpf_map_lookup_elem(&ntpd_rate_cfg, &zero);
	if (NTPD_UNLIKELY(!cfg))
		return NTP_VERDICT(NTP_ACT_ANSWER, NTP_REQ_ANSWER);
	acl = acl_action(cfg, v6, saddr);
	if (ntp_policy_charges(cfg, acl))
		over_limit = !bucket_take(cfg, now, v6, saddr, &limited);
	return ntp_policy_verdict(cfg, acl, over_limit, limited);
}

/* A kiss-o'-death in place of the answer (ntp_fill_kod()), out of line:
 * only a client over its limit or denied gets one. */
NTPD_COLD void fill_kod(struct ntp_packet *ntp, const struct ntpd_ref_state *st, __u64 now,
			__be32 kiss)
{
	ntp_fill_kod(ntp, st, (const struct ntpd_config *)&ntpd_cfg, now, kiss);
}

/*
 * Answer the request at `ntp` in place.  `hdr_sum` is the checksum sum of the
 * pseudo-header and UDP header, which swapping addresses and ports does not
 * change.  Returns the counter to bump; *action is set to XDP_TX for an
 * answer, to XDP_DROP when the policy refuses one.
 *
 * One clock read serves as both receive and transmit time: a read costs
 * about as much as the rest of the handler, and T3 - T2 of an XDP answer is
 * the handler's own ~100 ns, far below what a client resolves (docs/time.md,
 * "One clock read").  It is taken once the request is known to be a
 * checksummed NTP request for us, so other traffic pays no read.  With
 * receive and transmit time the same reading, T3 - T2 is 0 by construction:
 * the processing-time histogram is the socket path's alone, and the
 * handler's own time is the kernel's BPF statistics' (docs/metrics.md).
 */
NTPD_INLINE __u32 answer(struct ntp_packet *ntp, struct udphdr *udp, __u64 hdr_sum,
			 int v6, const void *saddr, int *action)
{
	__u64 now;
	struct ntpd_ref_buffer *buf;
	struct ntpd_ref_state st;
	struct ntp_verdict v;
	__u32 zero = 0;
	__be32 kiss;
	__u16 check;
	int state_read, fresh;

	/* RFC 768: zero means the sender did not compute one (IPv4 only). */
	if (NTPD_UNLIKELY(ntpd_cfg.verify_udp_csum && (udp->check || v6) &&
			  csum_fold64(hdr_sum + csum_ntp_packet(ntp) + udp->check) != 0xffff))
		return NTPD_CNT_PASS_BAD_CSUM;

	/* Every reason to pass the request up comes before the bucket: the
	 * socket server polices what it answers, so charging here too would
	 * halve the burst of a client XDP did not answer. */
	now = bpf_ktime_get_tai_ns();
	buf = bpf_map_lookup_elem(&ntpd_ref, &zero);
	state_read = buf && !ntpd_ref_read(buf, &st);
	fresh = state_read && ntp_state_fresh(&st, now, ntpd_cfg.max_state_age_ns);
	v = ntp_state_verdict(state_read, fresh, ntpd_cfg.stale_action == NTPD_STALE_PASS);
	if (NTPD_UNLIKELY(v.action == NTP_ACT_PASS))
		return v.counter;

	v = police(now, v6, saddr);
	if (NTPD_UNLIKELY(v.action == NTP_ACT_DROP)) {
		*action = XDP_DROP;
		return v.counter;
	}

	kiss = ntp_verdict_kiss(v);
	if (NTPD_UNLIKELY(kiss))
		fill_kod(ntp, &st, now, kiss);
	else
		ntp_fill_response(ntp, &st, (const struct ntpd_config *)&ntpd_cfg, now, fresh);
	/* the same reading, so the same served timestamp: no second conversion */
	ntp->transmit_ts = ntp->receive_ts;

	__u16 sport = udp->source;
	udp->source = udp->dest;
	udp->dest = sport;
	check = ~csum_fold64(hdr_sum + csum_ntp_packet(ntp));
	udp->check = check ? check : 0xffff;	/* RFC 768: 0 would mean "none" */

	*action = XDP_TX;
	return ntp_answer_counter(v, NTP_ANSWER_PLAIN, fresh, v6);
}

/* NTS (RFC 8915): its clients (chronyd, NTPsec, ntpd-rs) put the Unique
 * Identifier field (type 0x0104) first; counted apart, answered above us */
NTPD_INLINE int ntp_is_nts(const struct hdr_cursor *c)
{
	const __u8 *ef = c->pos + NTP_PACKET_LEN;

	return (void *)(ef + 2) <= c->end && ef[0] == 0x01 && ef[1] == 0x04;
}

NTPD_INLINE __u32 handle_udp(struct hdr_cursor *c, __u16 ip_payload_len, __be16 port,
			     struct udphdr **udp_out, struct ntp_packet **ntp_out)
{
	struct udphdr *udp = cursor_pull(c, sizeof(*udp));

	if (NTPD_UNLIKELY(!udp))
		return NTPD_CNT_PASS_TRUNCATED;
	if (NTPD_UNLIKELY(udp->dest != port))
		return NTPD_CNT_PASS_OTHER_PORT;
	/* Extension fields and MACs make it longer; the socket server owns those. */
	if (NTPD_UNLIKELY(udp->len != bpf_htons(sizeof(*udp) + NTP_PACKET_LEN) ||
			  ip_payload_len != sizeof(*udp) + NTP_PACKET_LEN))
		return ntp_is_nts(c) ? NTPD_CNT_PASS_NTS : NTPD_CNT_PASS_LENGTH;
	*ntp_out = cursor_pull(c, NTP_PACKET_LEN);
	if (NTPD_UNLIKELY(!*ntp_out))
		return NTPD_CNT_PASS_TRUNCATED;
	*udp_out = udp;
	return NTP_REQ_ANSWER;
}

/* The link-layer verdict once the link is known (NULL: not learnt yet). */
NTPD_INLINE __u32 check_link_dest(const struct ethhdr *eth, const struct ntpd_link *link)
{
	const ntpd_mac_word *got = (const ntpd_mac_word *)eth->h_dest;
	const ntpd_mac_word *want;

	if (NTPD_UNLIKELY(eth->h_dest[0] & 1))
		return NTPD_CNT_PASS_LINK_DEST;
	if (NTPD_UNLIKELY(!link || !link->mac_known))
		return NTP_REQ_ANSWER;
	want = (const ntpd_mac_word *)link->mac;
	if (NTPD_UNLIKELY((got[0] ^ want[0]) | (got[1] ^ want[1]) | (got[2] ^ want[2])))
		return NTPD_CNT_PASS_LINK_DEST;
	return NTP_REQ_ANSWER;
}

/* check_link() for a tagged frame, out of line: its VLAN device's entry. */
NTPD_COLD __u32 check_vlan_link(const struct ethhdr *eth, __u32 vlan)
{
	const struct ntpd_link *link = bpf_map_lookup_elem(&ntpd_vlans, &vlan);

	if (!link)
		return NTPD_CNT_PASS_VLAN_UNKNOWN;
	return check_link_dest(eth, link);
}

/*
 * The link layer of a request to our port.  A group (multicast/broadcast)
 * source address is forged (IEEE 802 8.2: the I/G bit of a source is 0):
 * dropped, as a bridge would.  A group destination, or a unicast one that
 * is not ours (promiscuous mode, a bridge port): passed, not answered, so
 * the stack applies its own rules (it drops PACKET_OTHERHOST, and a bridge
 * or macvlan above us still gets its frames).  A tagged frame is ours only
 * for a VLAN device the host has on this interface.
 */
NTPD_INLINE __u32 check_link(const struct ethhdr *eth, __u32 vlan)
{
	__u32 zero = 0;

	if (NTPD_UNLIKELY(eth->h_source[0] & 1))
		return NTPD_CNT_DROP_LINK_SOURCE;
	if (NTPD_UNLIKELY(vlan))
		return check_vlan_link(eth, vlan);
	return check_link_dest(eth, bpf_map_lookup_elem(&ntpd_link, &zero));
}

/*
 * The scanned lists' answer for `key` (see struct ntpd_local_scan): 1 with
 * *flags set when listed, 0 when not, -1 when the lists cannot be trusted
 * now and the hash must answer.  A bounded loop that stops at the count:
 * a few compares, no helper call, no hashing.
 */
NTPD_INLINE int local_scan(const struct ntpd_local_addr *key, int v6, __u32 *flags)
{
	const struct ntpd_local_scan *s;
	__u32 zero = 0, seq, n, i;
	__u64 want[2];
	__be32 want4;
	int found = 0;

	s = bpf_map_lookup_elem(&ntpd_local_scan, &zero);
	if (NTPD_UNLIKELY(!s))
		return -1;
	seq = NTPD_LOAD_ONCE(s->seq);
	if (NTPD_UNLIKELY(!seq || (seq & 1)))
		return -1;
	NTPD_READ_BARRIER();
	n = v6 ? s->n6 : s->n4;
	if (NTPD_UNLIKELY(n > NTPD_LOCAL_SCAN_MAX))
		return -1;
	if (!v6) {
		__builtin_memcpy(&want4, &key->addr[12], 4);
		for (i = 0; i < NTPD_LOCAL_SCAN_MAX && i < n; i++) {
			if (s->addr4[i] == want4 && s->vlan4[i] == key->vlan) {
				*flags = s->flags4[i];
				found = 1;
				break;
			}
		}
	} else {
		__builtin_memcpy(want, key->addr, 16);
		for (i = 0; i < NTPD_LOCAL_SCAN_MAX && i < n; i++) {
			const struct ntpd_local_scan6 *e = &s->v6[i];

			if (e->addr[0] == want[0] && e->addr[1] == want[1] &&
			    e->vlan == key->vlan) {
				*flags = e->flags;
				found = 1;
				break;
			}
		}
	}
	NTPD_READ_BARRIER();
	return NTPD_LOAD_ONCE(s->seq) == seq ? found : -1;
}

/* The flags of our own address `key`, or -1 when it is not one of ours. */
NTPD_INLINE int local_flags(const struct ntpd_local_addr *key, int v6)
{
	__u32 flags = 0;
	__u8 *hit;
	int listed = local_scan(key, v6, &flags);

	if (listed >= 0)
		return listed ? (int)flags : -1;
	hit = bpf_map_lookup_elem(&ntpd_local, key);
	return hit ? *hit : -1;
}

/* RFC 791 3.1: the header's 16-bit one's complement sum is all ones. */
NTPD_INLINE int ipv4_csum_ok(const struct iphdr *iph)
{
	const __u32 *w = (const __u32 *)iph;

	return csum_fold64((__u64)w[0] + w[1] + w[2] + w[3] + w[4]) == 0xffff;
}

NTPD_INLINE __u32 handle_ipv4(struct hdr_cursor *c, const struct ethhdr *eth, __u32 vlan,
			      int *action)
{
	struct ntpd_local_addr key = { .addr = { [10] = 0xff, [11] = 0xff }, .vlan = vlan };
	struct ntp_packet *ntp = NULL;
	struct udphdr *udp = NULL;
	struct iphdr *iph;
	__u16 old_word, new_word;
	__u64 hdr_sum;
	__u32 ret;
	__be32 saddr;
	int flags;
	__u8 req_lvm;
	__be16 req_sport;

	iph = cursor_pull(c, sizeof(*iph));
	if (NTPD_UNLIKELY(!iph))
		return NTPD_CNT_PASS_TRUNCATED;
	if (NTPD_UNLIKELY(*(__u8 *)iph != 0x45))	/* version 4, IHL 5 */
		return NTPD_CNT_PASS_IP_OPTIONS;
	if (NTPD_UNLIKELY(iph->protocol != IPPROTO_UDP_))
		return NTPD_CNT_PASS_NOT_UDP;
	if (NTPD_UNLIKELY(iph->frag_off & bpf_htons(IP_MF_ | IP_OFFSET_)))
		return NTPD_CNT_PASS_FRAGMENT;
	ret = handle_udp(c, bpf_ntohs(iph->tot_len) - sizeof(*iph), ntpd_cfg.ntp_port, &udp, &ntp);
	if (NTPD_UNLIKELY(ret != NTP_REQ_ANSWER))
		return ret;
	if (NTPD_UNLIKELY(!udp || !ntp))
		return NTPD_CNT_PASS_TRUNCATED;
	if (NTPD_UNLIKELY(ntpd_cfg.off4))
		return NTPD_CNT_PASS_NOT_LISTENING;
	/* the stack checks it before anything else (ip_rcv_core); so do we */
	if (NTPD_UNLIKELY(!ipv4_csum_ok(iph)))
		return NTPD_CNT_PASS_BAD_IP_CSUM;
	ret = check_link(eth, vlan);
	if (NTPD_UNLIKELY(ret != NTP_REQ_ANSWER))
		return ret;

	__builtin_memcpy(&key.addr[12], &iph->daddr, 4);
	flags = local_flags(&key, 0);
	if (NTPD_UNLIKELY(flags < 0 || !(flags & NTPD_LOCAL_SERVE)))
		return NTPD_CNT_PASS_NOT_LOCAL;
	if (NTPD_UNLIKELY(ntpd_cfg.listen4 && iph->daddr != ntpd_cfg.listen4))
		return NTPD_CNT_PASS_NOT_LISTENING;
	if (NTPD_UNLIKELY(ntp_bad_source_v4(iph->saddr, ntpd_cfg.allow_loopback_src) || udp->source == 0))
		return NTPD_CNT_DROP_BAD_SOURCE;
	/* From one of our own addresses or a subnet broadcast of ours: forged
	 * (the stack refuses both as martians, RFC 1812 5.3.7); the answer
	 * would go to ourselves or to the whole subnet.  On loopback our own
	 * addresses are the only genuine sources. */
	if (!ntpd_cfg.allow_loopback_src) {
		__builtin_memcpy(&key.addr[12], &iph->saddr, 4);
		if (NTPD_UNLIKELY(local_flags(&key, 0) >= 0))
			return NTPD_CNT_DROP_SOURCE_LOCAL;
	}
	req_lvm = ntp->li_vn_mode;
	req_sport = udp->source;	/* the answer swaps the ports */
	ret = ntp_classify_request_port(req_lvm, udp->source);
	if (NTPD_UNLIKELY(ret != NTP_REQ_ANSWER)) {
		log_request(&iph->saddr, req_sport, 0, req_lvm, ret);
		return ret;
	}

	hdr_sum = (__u64)iph->saddr + iph->daddr + bpf_htons(IPPROTO_UDP_) + udp->len +
		  udp->source + udp->dest + udp->len;
	ret = answer(ntp, udp, hdr_sum, 0, &iph->saddr, action);
	log_request(&iph->saddr, req_sport, 0, req_lvm, ret);
	if (NTPD_UNLIKELY(*action != XDP_TX))
		return ret;

	saddr = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = saddr;
	/* memcpy, not a __u16 pointer: the byte store below must be seen by the
	 * second read (type-based alias analysis would otherwise reuse the first) */
	__builtin_memcpy(&old_word, &iph->ttl, 2);
	iph->ttl = NTPD_TTL_RESPONSE;
	__builtin_memcpy(&new_word, &iph->ttl, 2);
	iph->check = csum_replace16(iph->check, old_word, new_word);
	/* our DSCP, and ECN 0 whatever the request carried (a CE mark too) */
	__builtin_memcpy(&old_word, iph, 2);
	iph->tos = ntp_reply_tos(ntpd_cfg.dscp);
	__builtin_memcpy(&new_word, iph, 2);
	iph->check = csum_replace16(iph->check, old_word, new_word);
	return ret;
}

NTPD_INLINE int ipv6_is_listen_addr(const struct in6_addr *daddr)
{
	/* volatile loads: a plain copy of a const volatile global would let
	 * the compiler fold in the initializer's zeros (offset 32: aligned) */
	const volatile __u64 *w = (const volatile __u64 *)ntpd_cfg.listen6;
	__u64 want[2] = { w[0], w[1] }, got[2];

	if (!(want[0] | want[1]))
		return 1;
	__builtin_memcpy(got, daddr, 16);
	return got[0] == want[0] && got[1] == want[1];
}

NTPD_INLINE __u32 handle_ipv6(struct hdr_cursor *c, const struct ethhdr *eth, __u32 vlan,
			      int *action)
{
	struct ntpd_local_addr key = { .vlan = vlan };
	struct ntp_packet *ntp = NULL;
	struct udphdr *udp = NULL;
	struct in6_addr saddr;
	struct ipv6hdr *ip6h;
	const __u32 *a;
	__u8 *b, tc;
	int flags;
	__u64 hdr_sum;
	__u32 ret;
	__u8 req_lvm;
	__be16 req_sport;

	ip6h = cursor_pull(c, sizeof(*ip6h));
	if (NTPD_UNLIKELY(!ip6h))
		return NTPD_CNT_PASS_TRUNCATED;
	if (NTPD_UNLIKELY(ip6h->nexthdr != IPPROTO_UDP_))
		return is_ipv6_extension(ip6h->nexthdr) ? NTPD_CNT_PASS_IPV6_EXTHDR :
							  NTPD_CNT_PASS_NOT_UDP;
	ret = handle_udp(c, bpf_ntohs(ip6h->payload_len),
			 ntpd_cfg.ntp_port6 ? ntpd_cfg.ntp_port6 : ntpd_cfg.ntp_port, &udp, &ntp);
	if (NTPD_UNLIKELY(ret != NTP_REQ_ANSWER))
		return ret;
	if (NTPD_UNLIKELY(!udp || !ntp))
		return NTPD_CNT_PASS_TRUNCATED;
	if (NTPD_UNLIKELY(ntpd_cfg.off6))
		return NTPD_CNT_PASS_NOT_LISTENING;
	ret = check_link(eth, vlan);
	if (NTPD_UNLIKELY(ret != NTP_REQ_ANSWER))
		return ret;

	__builtin_memcpy(key.addr, &ip6h->daddr, 16);
	flags = local_flags(&key, 1);
	if (NTPD_UNLIKELY(flags < 0 || !(flags & NTPD_LOCAL_SERVE)))
		return NTPD_CNT_PASS_NOT_LOCAL;
	if (NTPD_UNLIKELY(!ipv6_is_listen_addr(&ip6h->daddr)))
		return NTPD_CNT_PASS_NOT_LISTENING;
	/* RFC 8200 8.1: a zero UDP checksum is invalid over IPv6 and the
	 * receiver discards it; passing it up would only make the stack do so */
	if (NTPD_UNLIKELY(!udp->check))
		return NTPD_CNT_DROP_ZERO_CSUM6;
	if (ntp_bad_source_v6(ip6h->saddr.in6_u.u6_addr8, ntpd_cfg.allow_loopback_src) ||
	    udp->source == 0)
		return NTPD_CNT_DROP_BAD_SOURCE;
	if (!ntpd_cfg.allow_loopback_src) {
		__builtin_memcpy(key.addr, &ip6h->saddr, 16);
		if (NTPD_UNLIKELY(local_flags(&key, 1) >= 0))
			return NTPD_CNT_DROP_SOURCE_LOCAL;
	}
	req_lvm = ntp->li_vn_mode;
	req_sport = udp->source;	/* the answer swaps the ports */
	ret = ntp_classify_request_port(req_lvm, udp->source);
	if (NTPD_UNLIKELY(ret != NTP_REQ_ANSWER)) {
		log_request(&ip6h->saddr, req_sport, 1, req_lvm, ret);
		return ret;
	}

	a = (const __u32 *)&ip6h->saddr;	/* saddr and daddr are contiguous */
	hdr_sum = (__u64)a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7] +
		  bpf_htons(IPPROTO_UDP_) + udp->len +
		  udp->source + udp->dest + udp->len;
	ret = answer(ntp, udp, hdr_sum, 1, &ip6h->saddr, action);
	log_request(&ip6h->saddr, req_sport, 1, req_lvm, ret);
	if (NTPD_UNLIKELY(*action != XDP_TX))
		return ret;

	saddr = ip6h->saddr;
	ip6h->saddr = ip6h->daddr;
	ip6h->daddr = saddr;
	ip6h->hop_limit = NTPD_TTL_RESPONSE;
	/* traffic class: the low nibble of byte 0 and the high one of byte 1
	 * (RFC 8200 3), the flow label around it kept */
	b = (__u8 *)ip6h;
	tc = ntp_reply_tos(ntpd_cfg.dscp);
	b[0] = (__u8)(0x60 | tc >> 4);
	b[1] = (__u8)(tc << 4 | (b[1] & 0x0f));
	return ret;
}

NTPD_INLINE int ntpd_handle(struct xdp_md *ctx)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct ntpd_counters *counters;
	int action = XDP_PASS;
	struct ethhdr *eth;
	__u32 zero = 0;
	__u32 reason, vlan;
	__be16 proto;

	proto = parse_ethernet(&c, &eth, &vlan, &reason);
	if (NTPD_LIKELY(proto == bpf_htons(ETH_P_IP_) && eth))
		reason = handle_ipv4(&c, eth, vlan, &action);
	else if (proto == bpf_htons(ETH_P_IPV6_) && eth)
		reason = handle_ipv6(&c, eth, vlan, &action);

	/* the policy's drops come with XDP_DROP already (the verdict says so);
	 * these are the checks before it that refuse rather than pass */
	if (NTPD_LIKELY(action == XDP_TX && eth))
		swap_mac(eth);
	else if (reason == NTPD_CNT_DROP_MODE_SERVER || reason == NTPD_CNT_DROP_MODE_CONTROL ||
		 reason == NTPD_CNT_DROP_BAD_SOURCE || reason == NTPD_CNT_DROP_LINK_SOURCE ||
		 reason == NTPD_CNT_DROP_SOURCE_LOCAL || reason == NTPD_CNT_DROP_ZERO_CSUM6 ||
		 reason == NTPD_CNT_DROP_V1_PORT123)
		action = XDP_DROP;

	counters = bpf_map_lookup_elem(&ntpd_counters, &zero);
	if (NTPD_LIKELY(counters && reason < NTPD_CNT_MAX))
		counters->packets[reason]++;
	return action;
}

#endif /* XDP_NTPD_H */
