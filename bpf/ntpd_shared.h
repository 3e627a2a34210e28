/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one header shared by the XDP program and userspace: the NTP wire
 * layout, the constants both sides must agree on, and every struct that
 * lives in a BPF map.  Fixed-width fields only; every layout is pinned down
 * with _Static_assert so the two compilers (clang -target bpf, gcc) can never
 * disagree silently.
 */
#ifndef NTPD_SHARED_H
#define NTPD_SHARED_H

#ifdef __bpf__
#include "vmlinux.h"
#else
#include <linux/types.h>
#include <stddef.h>
#endif

#define NTP_PORT_DEFAULT	123
#define NTP_PACKET_LEN		48	/* header without extension fields or MAC */
#define NTP_UNIX_EPOCH_DELTA	2208988800ULL	/* 1900-01-01 to 1970-01-01, s */
#define NSEC_PER_SEC_U64	1000000000ULL

#define NTP_MODE_RESERVED	0
#define NTP_MODE_SYM_ACTIVE	1
#define NTP_MODE_SYM_PASSIVE	2
#define NTP_MODE_CLIENT		3
#define NTP_MODE_SERVER		4
#define NTP_MODE_BROADCAST	5
#define NTP_MODE_CONTROL	6
#define NTP_MODE_PRIVATE	7

#define NTP_VERSION_MIN		1
#define NTP_VERSION_MAX		4

#define NTP_LEAP_NONE		0
#define NTP_LEAP_INSERT		1
#define NTP_LEAP_DELETE		2
#define NTP_LEAP_UNSYNC		3

/* RFC 5905 7.3: stratum 16 (unsynchronised) travels as 0 on the wire. */
#define NTP_STRATUM_UNSYNC_WIRE	0
#define NTP_STRATUM_MAX		15

/* RFC 5905 minpoll/maxpoll bounds, log2 seconds. */
#define NTP_POLL_MIN_DEFAULT	4
#define NTP_POLL_MAX_DEFAULT	17

/* RFC 5905 PHI: frequency tolerance, 15 ppm, used to grow dispersion. */
#define NTP_PHI_PPM		15

/* Refuse to serve a reference state older than this by default: the agent
 * publishes at least once a second, so 10 s means it has missed ten. */
#define NTPD_MAX_STATE_AGE_NS_DEFAULT	(10ULL * NSEC_PER_SEC_U64)

#define NTPD_TTL_RESPONSE	64

#define NTP_LI_VN_MODE(li, vn, mode) \
	((__u8)((((li) & 3) << 6) | (((vn) & 7) << 3) | ((mode) & 7)))
#define NTP_LI(x)	(((x) >> 6) & 3)
#define NTP_VN(x)	(((x) >> 3) & 7)
#define NTP_MODE(x)	((x) & 7)

/* RFC 5905 figure 8, without extension fields.  Multi-byte fields are big
 * endian on the wire; the 64-bit timestamps are 32.32 fixed point seconds
 * since 1900 (era 0), the 32-bit root delay and dispersion 16.16. */
struct ntp_packet {
	__u8 li_vn_mode;
	__u8 stratum;
	__s8 poll;
	__s8 precision;
	__be32 root_delay;
	__be32 root_dispersion;
	__be32 refid;
	__be64 reference_ts;
	__be64 origin_ts;
	__be64 receive_ts;
	__be64 transmit_ts;
};

_Static_assert(sizeof(struct ntp_packet) == NTP_PACKET_LEN, "ntp_packet size");
_Static_assert(__builtin_offsetof(struct ntp_packet, refid) == 12, "ntp refid offset");
_Static_assert(__builtin_offsetof(struct ntp_packet, reference_ts) == 16, "ntp ref_ts offset");
_Static_assert(__builtin_offsetof(struct ntp_packet, transmit_ts) == 40, "ntp xmt offset");

/*
 * What the server says about its own clock.  Written by the agent, read per
 * packet by the XDP program and the socket server.
 *
 * Served UTC time = CLOCK_TAI - tai_offset_ns + correction_ns + the drift
 * at freq_scaled since update_tai_ns, minus leap_sign s from leap_tai_ns on.
 * CLOCK_TAI is what bpf_ktime_get_tai_ns() returns; it is the only wall
 * clock XDP can read, and it never steps at a leap.
 */
struct ntpd_ref_state {
	__u64 update_tai_ns;	/* CLOCK_TAI when published; 0 = never */
	__u64 reference_ts;	/* NTP 32.32, host order: last clock update */
	__s64 tai_offset_ns;	/* kernel TAI - UTC offset */
	__s64 correction_ns;	/* added to kernel time (corrected clock model) */
	__u32 root_delay;	/* NTP 16.16, host order */
	__u32 root_dispersion;	/* NTP 16.16, host order, as of update_tai_ns */
	__be32 refid;		/* exactly the four bytes sent on the wire */
	__u8 leap;		/* NTP_LEAP_* announced before leap_tai_ns */
	__u8 stratum;		/* 1..15, or 16 for unsynchronised */
	__s8 precision;		/* log2 seconds */
	/* +1 insertion, -1 deletion, 0 none (leap_tai_ns then means nothing,
	 * so a zeroed state has no leap) */
	__s8 leap_sign;
	/* Derived by refstate_publish(), so the per-packet path needs no
	 * division: the served NTP timestamp at CLOCK_TAI base_tai_ns. */
	__u64 base_tai_ns;
	__u64 base_ntp;
	/*
	 * How fast correction_ns moves (corrected clock model): 2^-32 ns per ns
	 * since update_tai_ns, so the served time follows the estimated
	 * frequency between publications instead of stepping once a second.
	 * |freq| <= 500 ppm fits in 22 bits.
	 */
	__s32 freq_scaled;
	/*
	 * The leap CLOCK_REALTIME takes at leap_tai_ns, +1/-1 (the host's
	 * disciplining daemon set STA_INS/STA_DEL), 0 none: the kernel's
	 * receive stamps are TAI - tai_offset_ns before that instant and
	 * leap_kernel s less from it on.  Only the socket server reads it; a
	 * smearing server sets it with leap_sign 0, its served time not leaping.
	 */
	__s8 leap_kernel;
	__u8 reserved2[3];
	/*
	 * The CLOCK_TAI reading from which the served time has taken the leap:
	 * from it on the served time is leap_sign seconds less than the line
	 * above (an insertion repeats 23:59:59, as the kernel does) and LI is
	 * 0.  ~0ULL when no leap is pending.  Chosen per packet, so the leap
	 * is exact to the nanosecond although the state is published only
	 * once a second.
	 */
	__u64 leap_tai_ns;
};

#define NTPD_FREQ_SHIFT		32
#define NTPD_LEAP_NONE_TAI	(~0ULL)

_Static_assert(sizeof(struct ntpd_ref_state) == 80, "ntpd_ref_state size");
_Static_assert(sizeof(struct ntpd_ref_state) % 8 == 0, "ntpd_ref_state keeps u64 alignment");
_Static_assert(__builtin_offsetof(struct ntpd_ref_state, leap_sign) == 47, "leap_sign offset");
_Static_assert(__builtin_offsetof(struct ntpd_ref_state, base_tai_ns) == 48, "base_tai offset");
_Static_assert(__builtin_offsetof(struct ntpd_ref_state, freq_scaled) == 64, "freq offset");
_Static_assert(__builtin_offsetof(struct ntpd_ref_state, leap_kernel) == 68, "leap_kernel offset");
_Static_assert(__builtin_offsetof(struct ntpd_ref_state, leap_tai_ns) == 72, "leap_tai offset");

/*
 * Double buffer with a per-slot sequence count.  The writer fills the
 * inactive slot (seq odd while writing) and then flips `active`; a reader
 * that still holds the old slot sees its seq change if the writer comes
 * round to it again, and retries or passes the packet.  Torn reads are
 * therefore detectable, never served.
 */
struct ntpd_ref_slot {
	__u32 seq;
	__u32 reserved;
	struct ntpd_ref_state state;
};

struct ntpd_ref_buffer {
	__u32 active;		/* 0 or 1 */
	__u32 reserved;
	struct ntpd_ref_slot slot[2];
};

_Static_assert(sizeof(struct ntpd_ref_slot) == 88, "ntpd_ref_slot size");
_Static_assert(sizeof(struct ntpd_ref_buffer) == 184, "ntpd_ref_buffer size");
_Static_assert(__builtin_offsetof(struct ntpd_ref_buffer, slot) == 8, "ref slot offset");

enum ntpd_stale_action {
	NTPD_STALE_UNSYNC = 0,	/* answer with LI=3, stratum 16 */
	NTPD_STALE_PASS = 1,	/* hand the request to the socket server */
};

/*
 * Knobs fixed at load time (a const volatile global in the BPF object, so the
 * verifier prunes what a setting disables).  Knobs that change while serving
 * live in maps instead.
 */
struct ntpd_config {
	__u64 max_state_age_ns;
	__be16 ntp_port;	/* network order: compared with the raw header; IPv4 */
	__s8 poll_min;
	__s8 poll_max;
	__u8 stale_action;	/* enum ntpd_stale_action */
	__u8 verify_udp_csum;	/* 0 only on loopback: CHECKSUM_PARTIAL skbs */
	__u8 allow_loopback_src; /* 1 only when attached to a loopback device */
	/* RFC 2474 DSCP of every answer, 0..63 (chrony's `dscp`); the ECN
	 * bits of an answer are always 0: RFC 3168 6.1.1 lets only an
	 * ECN-capable transport set them, and a request's CE mark says
	 * nothing about the path back */
	__u8 dscp;
	/* request log: an event for a request when a 32-bit random number is
	 * below this (2^32 / N for one in N; 0 = off, and the verifier then
	 * removes the logging code entirely) */
	__u64 log_threshold;
	/* The socket listen settings (-a, -b, -4 0, -6 0) bind XDP too: it
	 * answers only what the socket server would have been asked. */
	__be16 ntp_port6;	/* IPv6 port; 0: the same as ntp_port */
	__u8 off4;		/* 1: no IPv4 service (-4 0): XDP passes it */
	__u8 off6;
	__be32 listen4;		/* -a address; 0 (0.0.0.0): any of ours */
	__u8 listen6[16];	/* -b address; all zero (::): any of ours */
};

_Static_assert(sizeof(struct ntpd_config) == 48, "ntpd_config size");
_Static_assert(__builtin_offsetof(struct ntpd_config, dscp) == 15, "ntpd_config dscp offset");
_Static_assert(__builtin_offsetof(struct ntpd_config, ntp_port6) == 24, "ntpd_config port6 offset");
_Static_assert(__builtin_offsetof(struct ntpd_config, listen6) == 32, "ntpd_config listen6 offset");

#define NTPD_DSCP_MAX		63

/*
 * Key of the local-address map: IPv6, or IPv4 mapped as ::ffff:a.b.c.d, and
 * the VLAN it belongs to, so an address of eth0.100 is served only to frames
 * tagged 100 (the kernel would deliver nothing else to that interface).
 */
struct ntpd_local_addr {
	__u8 addr[16];
	__u32 vlan;		/* NTPD_VLAN_PATH; 0: the interface itself */
};

_Static_assert(sizeof(struct ntpd_local_addr) == 20, "ntpd_local_addr size");

/*
 * The VLAN path of a frame, host order: the VIDs outermost first, 16 bits
 * each, VID 0 (an IEEE 802.1p priority tag, which the kernel takes as
 * untagged) left out.  One tag 100: 100; QinQ 100 then 200: 100 << 16 | 200.
 * A VLAN device eth0.100.200 (802.1Q on eth0.100, 802.1ad on eth0) has the
 * same path.
 */
#define NTPD_VLAN_PATH(parent_path, vid) ((__u32)(parent_path) << 16 | (__u32)(vid))
#define NTPD_VLAN_VID_MASK	0x0fff

/* Value of the local-address map: flags.  Any entry is one of our own
 * addresses (a request from it is forged: dropped); only SERVE ones are
 * answered as destinations. */
#define NTPD_LOCAL_SERVE	0x01	/* a valid unicast address: answer on it */
#define NTPD_LOCAL_BROADCAST	0x02	/* IPv4 subnet broadcast of one of ours */
#define NTPD_LOCAL_TENTATIVE	0x04	/* IPv6 DAD not done (or failed): not yet ours to serve */

/*
 * What the program knows of the link a frame came in on: the interface
 * (ntpd_link, one entry) or one of its VLAN devices (ntpd_vlans, keyed by
 * NTPD_VLAN_PATH).  Kept current from netlink by the daemon.
 */
struct ntpd_link {
	__u8 mac[6];		/* the device's own unicast address */
	__u8 mac_known;		/* 0: not learnt yet, only group addresses are refused */
	__u8 reserved;
	__u32 ifindex;		/* of the VLAN device (0 for ntpd_link) */
};

_Static_assert(sizeof(struct ntpd_link) == 12, "ntpd_link size");

#define NTPD_VLAN_MAX_ENTRIES	256

#define NTPD_LOCAL_ADDR_MAX	256

/*
 * The same local addresses again, as short lists the XDP program scans
 * instead of hashing a 20-byte key: an interface has a few addresses, and
 * the two lookups per answer (destination ours, source not ours) were half
 * of the handler's time.  The hash (ntpd_local) stays the whole truth and
 * is written first; this copy is used only when it can be trusted whole:
 * seq even and not 0 (0: never written) and the same after the scan, and
 * the family's count at most NTPD_LOCAL_SCAN_MAX.  Anything else: the hash.
 * Written by loader/localscan.c in three steps (seq made odd, lists
 * rewritten, seq made even), each one bpf_map_update_elem().
 */
#define NTPD_LOCAL_SCAN_MAX	8

struct ntpd_local_scan6 {
	__u64 addr[2];		/* network order, as the packet carries it */
	__u32 vlan;		/* NTPD_VLAN_PATH */
	__u32 flags;		/* NTPD_LOCAL_* */
};

struct ntpd_local_scan {
	__u32 seq;		/* odd while being rewritten; 0: never written */
	__u32 n4;		/* entries in the lists; above NTPD_LOCAL_SCAN_MAX */
	__u32 n6;		/* the family has too many: ask the hash */
	__u32 reserved;
	__be32 addr4[NTPD_LOCAL_SCAN_MAX];
	__u32 vlan4[NTPD_LOCAL_SCAN_MAX];
	__u8 flags4[NTPD_LOCAL_SCAN_MAX];
	struct ntpd_local_scan6 v6[NTPD_LOCAL_SCAN_MAX];
};

_Static_assert(sizeof(struct ntpd_local_scan) == 16 + 32 + 32 + 8 + 8 * 24, "ntpd_local_scan size");

/*
 * Per-client rate limiting (a token bucket kept as a time, so a request
 * costs a precomputed number of nanoseconds and no division is needed per
 * packet) and access control.  Changeable while serving: the
 * config lives in a map, not in the load-time config.
 */
#define NTPD_RATE_DEFAULT_PER_S		2	/* average requests per second */
#define NTPD_RATE_DEFAULT_BURST		16
#define NTPD_RATE_DEFAULT_LEAK		2	/* 1 in 2^2 limited answered */
#define NTPD_RATE_TABLE_DEFAULT		65536
#define NTPD_RATE_PREFIX4_DEFAULT	32
#define NTPD_RATE_PREFIX6_DEFAULT	64

struct ntpd_rate_config {
	__u64 cost_ns;		/* credit one request costs: 1e9 / rate */
	__u64 burst_ns;		/* bucket capacity: burst * cost_ns */
	__u8 enabled;
	__u8 leak_shift;	/* answer 1 in 2^leak_shift limited requests */
	__u8 kod;		/* answers over the limit are KoD RATE */
	__u8 kod_deny;		/* denied clients get KoD DENY instead of a drop */
	__u8 prefix4;		/* bits of an IPv4 source that name a client */
	__u8 prefix6;
	__u8 acl4_enabled;	/* skip the trie lookups when the lists are empty */
	__u8 acl6_enabled;
};

_Static_assert(sizeof(struct ntpd_rate_config) == 24, "ntpd_rate_config size");

/* Key of the rate table: the client's prefix, IPv4 mapped into IPv6. */
struct ntpd_rate_key {
	__u8 addr[16];
};

/*
 * GCRA (the token bucket as one number, so CPUs update it with a single
 * compare-and-swap: LRU maps cannot hold a bpf_spin_lock): the theoretical
 * arrival time of the client's next request.  A request at `now` conforms
 * when tat - now <= burst_ns - cost_ns, and moves tat to max(tat, now) + cost.
 */
struct ntpd_rate_entry {
	__u64 tat_ns;		/* CLOCK_TAI */
	__u32 limited;		/* requests over the limit so far: drives the leak */
	__u32 reserved;
};

_Static_assert(sizeof(struct ntpd_rate_entry) == 16, "ntpd_rate_entry size");

/* LPM trie keys of the allow/deny lists. */
struct ntpd_acl4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct ntpd_acl6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

enum ntpd_acl_action {
	NTPD_ACL_ALLOW = 1,
	NTPD_ACL_DENY = 2,
};

#define NTPD_ACL_MAX_ENTRIES	4096

/*
 * Every outcome of the XDP program, one per-CPU counter each.
 * X(enum suffix, outcome label, reason label)
 */
#define NTPD_COUNTER_LIST(X)						\
	X(ANSWERED_V4,       "answered",  "ipv4")			\
	X(ANSWERED_V6,       "answered",  "ipv6")			\
	X(ANSWERED_UNSYNC,   "stale",     "unsynchronised_reply")	\
	X(PASS_STALE,        "stale",     "passed")			\
	X(PASS_STATE_BUSY,   "passed",    "state_busy")		\
	X(PASS_NOT_IP,       "passed",    "not_ip")			\
	X(PASS_VLAN_DEPTH,   "passed",    "vlan_depth")		\
	X(PASS_NOT_UDP,      "passed",    "not_udp")			\
	X(PASS_OTHER_PORT,   "passed",    "other_port")		\
	X(PASS_IP_OPTIONS,   "passed",    "ip_options")		\
	X(PASS_FRAGMENT,     "passed",    "fragment")			\
	X(PASS_IPV6_EXTHDR,  "passed",    "ipv6_extension_header")	\
	X(PASS_NOT_LOCAL,    "passed",    "not_local")		\
	X(PASS_LENGTH,       "passed",    "length")			\
	X(PASS_VERSION,      "passed",    "version")			\
	X(PASS_MODE,         "passed",    "mode")			\
	X(PASS_BAD_CSUM,     "passed",    "bad_checksum")		\
	X(PASS_TRUNCATED,    "malformed", "truncated")		\
	X(DROP_MODE_SERVER,  "dropped",   "mode_server")		\
	X(DROP_MODE_CONTROL, "dropped",   "mode_control")		\
	X(DROP_BAD_SOURCE,   "dropped",   "bad_source")		\
	X(ANSWERED_AUTH,     "answered",  "authenticated")		\
	X(ANSWERED_NAK,      "refused",   "crypto_nak")		\
	X(DROP_BAD_MAC,      "dropped",   "bad_mac")			\
	X(RATE_DROPPED,      "rate_limited_dropped", "over_limit")	\
	X(RATE_LEAKED,       "answered",  "rate_limit_leak")		\
	X(RATE_KOD,          "kod",       "rate")			\
	X(DENIED_DROPPED,    "denied",    "dropped")			\
	X(DENIED_KOD,        "kod",       "deny")				\
	X(DENIED_LIMITED,    "denied",    "kod_rate_limited")		\
	X(DROP_LINK_SOURCE,  "dropped",   "link_source_group")		\
	X(PASS_LINK_DEST,    "passed",    "link_destination")		\
	X(PASS_VLAN_UNKNOWN, "passed",    "vlan_not_served")		\
	X(PASS_NOT_LISTENING, "passed",   "not_listening")		\
	X(PASS_BAD_IP_CSUM,  "passed",    "bad_ip_checksum")		\
	X(DROP_SOURCE_LOCAL, "dropped",   "source_local")		\
	X(DROP_ZERO_CSUM6,   "dropped",   "ipv6_zero_checksum")		\
	X(DROP_V1_PORT123,   "dropped",   "v1_mode0_from_port_123")	\
	X(CONTROL_ANSWERED,  "control",   "answered")			\
	X(CONTROL_LIMITED,   "control",   "rate_limited")		\
	X(CONTROL_MALFORMED, "control",   "malformed")	\
	X(PASS_NTS,          "passed",    "nts")			\
	X(ANSWERED_NTS,      "answered",  "nts")			\
	X(NTS_NAK,           "refused",   "nts_nak")			\
	X(DROP_NTS_AUTH,     "dropped",   "nts_bad_auth")		\
	X(NTS_MALFORMED,     "malformed", "nts")

#define NTPD_COUNTER_ENUM(name, outcome, reason) NTPD_CNT_##name,
enum ntpd_counter {
	NTPD_COUNTER_LIST(NTPD_COUNTER_ENUM)
	NTPD_CNT_MAX
};
#undef NTPD_COUNTER_ENUM

/*
 * Processing time (receive to transmit timestamp) of answered requests, as
 * a log2 histogram: bucket k counts times below 2^(k + NTPD_LAT_SHIFT) ns
 * (and at least the previous bound), the last one everything longer.
 * 64 ns to 2^29 ns (0.5 s) covers an XDP answer and a late socket thread.
 */
#define NTPD_LAT_SHIFT		6
#define NTPD_LAT_BUCKETS	24

/* Value of the single-entry per-CPU counter map: one lookup per packet. */
struct ntpd_counters {
	__u64 packets[NTPD_CNT_MAX];
	__u64 latency[NTPD_LAT_BUCKETS];
	__u64 latency_sum_ns;
};

/*
 * One sampled request, from the XDP program (ring buffer) or the socket
 * server, for the request log (--log-requests).
 */
struct ntpd_request_event {
	__u8 addr[16];		/* client: IPv6, or IPv4 mapped as ::ffff:a.b.c.d */
	__u16 outcome;		/* enum ntpd_counter */
	__be16 port;		/* client's UDP port, network order */
	__u8 version;		/* of the request */
	__u8 mode;
	__u8 path;		/* enum ntpd_event_path */
	__u8 reserved;
};

_Static_assert(sizeof(struct ntpd_request_event) == 24, "ntpd_request_event size");

enum ntpd_event_path {
	NTPD_PATH_XDP = 0,
	NTPD_PATH_SOCKET = 1,
	NTPD_PATH_SOCKET_RING = 2,	/* the socket server's packet ring */
};

#define NTPD_EVENTS_RING_BYTES	(256 * 1024)	/* ~10,000 events between two reads */

/* Names of the pinned maps, under /sys/fs/bpf/xdp-ntpd/<ifname>/. */
#define NTPD_PIN_ROOT		"/sys/fs/bpf/xdp-ntpd"
#define NTPD_MAP_REF_STATE	"ntpd_ref"
#define NTPD_MAP_COUNTERS	"ntpd_counters"
#define NTPD_MAP_LOCAL_ADDRS	"ntpd_local"
#define NTPD_MAP_LOCAL_SCAN	"ntpd_local_scan"
#define NTPD_MAP_RATE_CONFIG	"ntpd_rate_cfg"
#define NTPD_MAP_RATE_TABLE	"ntpd_rate"
#define NTPD_MAP_ACL4		"ntpd_acl4"
#define NTPD_MAP_ACL6		"ntpd_acl6"
#define NTPD_MAP_LINK		"ntpd_link"
#define NTPD_MAP_VLANS		"ntpd_vlans"

#endif /* NTPD_SHARED_H */
