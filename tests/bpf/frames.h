/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Frames for the XDP tests and the micro-benchmark: Ethernet, 0-3 VLAN tags,
 * IPv4 (options, fragment bits, any protocol) or IPv6 (optionally behind a
 * hop-by-hop header), UDP, and a payload of any length.
 *
 * The checksums come from the plain byte-wise RFC 1071 routine below, on
 * purpose not from bpf/csum.h: the tests judge the program's word-wise,
 * incremental arithmetic against this one, so they must not share code.
 * Header-only, everything static: the test and the bench each include it.
 */
#ifndef NTPD_TEST_FRAMES_H
#define NTPD_TEST_FRAMES_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* glibc's netinet/in.h first: the uapi headers then skip their own copies
 * of struct in6_addr and friends (linux/libc-compat.h) */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#define FRAME_MAX	512	/* bytes; every frame the tests build fits */
#define FRAME_VLAN_MAX	3	/* one more than the program parses */
#define FRAME_HBH_LEN	8	/* smallest hop-by-hop header: one PadN option */

enum frame_udp_csum {
	FRAME_CSUM_VALID,	/* correct, 0 sent as 0xffff (RFC 768) */
	FRAME_CSUM_ZERO,	/* 0: "not computed", legal for IPv4 only */
	FRAME_CSUM_BAD,		/* correct value with bits flipped */
};

struct frame_spec {
	uint8_t dst_mac[ETH_ALEN];
	uint8_t src_mac[ETH_ALEN];
	int n_vlan;			/* 0..FRAME_VLAN_MAX, outermost first */
	uint16_t vlan_tpid[FRAME_VLAN_MAX];	/* ETH_P_8021Q or ETH_P_8021AD */
	uint16_t vlan_tci[FRAME_VLAN_MAX];
	int family;			/* AF_INET or AF_INET6 */
	uint8_t saddr[16];		/* IPv4: the first 4 bytes */
	uint8_t daddr[16];
	uint8_t ttl;			/* TTL or hop limit */
	uint8_t tos;			/* IPv4 TOS or IPv6 traffic class: DSCP << 2 | ECN */
	/* Protocol after IP (and after the hop-by-hop header).  For anything
	 * but UDP the UDP header and payload still follow, as opaque bytes:
	 * the program must reject them on the protocol alone. */
	uint8_t l4_proto;
	size_t ipv4_opt_len;		/* multiple of 4, at most 40 */
	uint16_t ipv4_frag;		/* flags and offset, host order */
	bool ipv6_hbh;
	uint16_t sport, dport;
	enum frame_udp_csum csum;
	const uint8_t *payload;
	size_t payload_len;
	size_t trailer;			/* zero bytes after the IP packet (padding) */
};

/* Where the headers of a frame start; len is the whole frame. */
struct frame_layout {
	int family;
	int n_vlan;
	size_t l3, l3_len;		/* IP header, with options / ext. header */
	size_t l4;			/* UDP header */
	size_t payload, payload_len;
	size_t len;
};

static inline void frame_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t frame_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 4.1, literally: big-endian 16-bit words, an odd last byte padded
 * with a zero on the right.  32-bit accumulator: frames here are < 64 KiB. */
static inline uint32_t frame_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t frame_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The value for the IPv4 header checksum field (the field itself counted
 * as zero, whatever it holds). */
static inline uint16_t frame_ipv4_csum(const uint8_t *ip, size_t ihl_bytes)
{
	uint32_t sum = frame_csum_add(0, ip, 10);

	sum = frame_csum_add(sum, ip + 12, ihl_bytes - 12);
	return (uint16_t)~frame_csum_fold(sum);
}

/* RFC 768 / RFC 8200 8.1 pseudo-header, then the UDP header (checksum
 * field counted as zero) and payload.  Returns the field's value, with a
 * computed 0 sent as 0xffff. */
static inline uint16_t frame_udp_csum(int family, const uint8_t *l3, const uint8_t *udp,
				      size_t udp_len)
{
	uint32_t sum;
	uint16_t c;

	if (family == AF_INET)
		sum = frame_csum_add(0, l3 + 12, 8);	/* saddr, daddr */
	else
		sum = frame_csum_add(0, l3 + 8, 32);
	sum += IPPROTO_UDP + (uint32_t)udp_len;
	sum = frame_csum_add(sum, udp, 6);
	sum = frame_csum_add(sum, udp + 8, udp_len - 8);
	c = (uint16_t)~frame_csum_fold(sum);
	return c ? c : 0xffff;
}

/* An NTP header (RFC 5905 fig. 8) in `len` bytes: first byte, poll and the
 * transmit timestamp set, the rest zero (as SNTP clients send it); what does
 * not fit in a short payload is left out. */
static inline void frame_ntp_request(uint8_t *p, size_t len, uint8_t li_vn_mode, int8_t poll,
				     uint64_t xmt_ts)
{
	uint8_t full[48] = { li_vn_mode, 0, (uint8_t)poll };
	int i;

	for (i = 0; i < 8; i++)
		full[40 + i] = (uint8_t)(xmt_ts >> (56 - 8 * i));
	memset(p, 0, len);
	memcpy(p, full, len < sizeof(full) ? len : sizeof(full));
}

/*
 * Build the frame `s` describes into buf.  Returns its length, or -EINVAL
 * for a spec that cannot be encoded, -ENOSPC when it does not fit.
 */
static inline int frame_build(const struct frame_spec *s, uint8_t *buf, size_t cap,
			      struct frame_layout *lay)
{
	size_t udp_len = sizeof(struct udphdr) + s->payload_len;
	size_t off = 2 * ETH_ALEN, ip_len, ext;
	uint8_t *ip, *udp;
	int i;

	if (s->n_vlan < 0 || s->n_vlan > FRAME_VLAN_MAX || s->ipv4_opt_len % 4 ||
	    s->ipv4_opt_len > 40 || (s->family != AF_INET && s->family != AF_INET6) ||
	    udp_len > 0xffff)
		return -EINVAL;
	ext = s->family == AF_INET6 && s->ipv6_hbh ? FRAME_HBH_LEN : 0;
	ip_len = s->family == AF_INET ? sizeof(struct iphdr) + s->ipv4_opt_len :
					sizeof(struct ipv6hdr) + ext;
	if (off + 4 * (size_t)s->n_vlan + 2 + ip_len + udp_len + s->trailer > cap)
		return -ENOSPC;

	memset(lay, 0, sizeof(*lay));
	memcpy(buf, s->dst_mac, ETH_ALEN);
	memcpy(buf + ETH_ALEN, s->src_mac, ETH_ALEN);
	for (i = 0; i < s->n_vlan; i++, off += 4) {
		frame_put16(buf + off, s->vlan_tpid[i]);
		frame_put16(buf + off + 2, s->vlan_tci[i]);
	}
	frame_put16(buf + off, s->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	off += 2;

	ip = buf + off;
	memset(ip, 0, ip_len);
	if (s->family == AF_INET) {
		ip[0] = (uint8_t)(0x40 | ip_len / 4);
		ip[1] = s->tos;
		frame_put16(ip + 2, (uint16_t)(ip_len + udp_len));
		frame_put16(ip + 4, 0x4d2e);		/* identification */
		frame_put16(ip + 6, s->ipv4_frag);
		ip[8] = s->ttl;
		ip[9] = s->l4_proto;
		memcpy(ip + 12, s->saddr, 4);
		memcpy(ip + 16, s->daddr, 4);
		/* options: NOPs, then End of Option List */
		memset(ip + 20, IPOPT_NOOP, s->ipv4_opt_len);
		if (s->ipv4_opt_len)
			ip[ip_len - 1] = IPOPT_END;
		frame_put16(ip + 10, frame_ipv4_csum(ip, ip_len));
	} else {
		ip[0] = (uint8_t)(0x60 | s->tos >> 4);
		ip[1] = (uint8_t)(s->tos << 4 | 0x0a);	/* 0x0a: flow label, kept verbatim */
		frame_put16(ip + 4, (uint16_t)(ext + udp_len));
		ip[6] = ext ? IPPROTO_HOPOPTS : s->l4_proto;
		ip[7] = s->ttl;
		memcpy(ip + 8, s->saddr, 16);
		memcpy(ip + 24, s->daddr, 16);
		if (ext) {
			ip[40] = s->l4_proto;		/* next header */
			ip[41] = 0;			/* (0 + 1) * 8 bytes */
			ip[42] = 1;			/* PadN, 4 bytes of padding */
			ip[43] = 4;
		}
	}

	udp = ip + ip_len;
	frame_put16(udp, s->sport);
	frame_put16(udp + 2, s->dport);
	frame_put16(udp + 4, (uint16_t)udp_len);
	frame_put16(udp + 6, 0);
	if (s->payload_len)
		memcpy(udp + 8, s->payload, s->payload_len);
	if (s->csum != FRAME_CSUM_ZERO) {
		uint16_t c = frame_udp_csum(s->family, ip, udp, udp_len);

		uint16_t bad = (uint16_t)(c ^ 0x0110);

		/* a flip that lands on 0 would read as "not computed", which
		 * IPv4 accepts: flip other bits then */
		if (!bad)
			bad = (uint16_t)(c ^ 0x1001);
		frame_put16(udp + 6, s->csum == FRAME_CSUM_BAD ? bad : c);
	}
	memset(udp + udp_len, 0, s->trailer);

	lay->family = s->family;
	lay->n_vlan = s->n_vlan;
	lay->l3 = off;
	lay->l3_len = ip_len;
	lay->l4 = off + ip_len;
	lay->payload = lay->l4 + sizeof(struct udphdr);
	lay->payload_len = s->payload_len;
	lay->len = lay->l4 + udp_len + s->trailer;
	return (int)lay->len;
}

/*
 * Walk a frame as a receiver would: any number of VLAN tags (up to
 * FRAME_VLAN_MAX), IPv4 with options, IPv6 with one hop-by-hop header, UDP.
 * Returns 0, -EPROTO for a frame that is not UDP over IP, -EMSGSIZE when
 * the lengths in the headers disagree with the frame.
 */
static inline int frame_parse(const uint8_t *buf, size_t len, struct frame_layout *lay)
{
	size_t off = 2 * ETH_ALEN, udp_len;
	uint16_t proto;
	uint8_t next;

	memset(lay, 0, sizeof(*lay));
	if (len < ETH_HLEN)
		return -EMSGSIZE;
	proto = frame_get16(buf + off);
	while (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		if (lay->n_vlan == FRAME_VLAN_MAX)
			return -EPROTO;
		if (off + 6 > len)
			return -EMSGSIZE;
		off += 4;
		lay->n_vlan++;
		proto = frame_get16(buf + off);
	}
	off += 2;
	lay->l3 = off;
	if (proto == ETH_P_IP) {
		if (off + sizeof(struct iphdr) > len || buf[off] >> 4 != 4)
			return -EMSGSIZE;
		lay->family = AF_INET;
		lay->l3_len = (size_t)(buf[off] & 0xf) * 4;
		next = buf[off + 9];
		if (lay->l3_len < sizeof(struct iphdr) || off + frame_get16(buf + off + 2) > len ||
		    frame_get16(buf + off + 2) < lay->l3_len)
			return -EMSGSIZE;
	} else if (proto == ETH_P_IPV6) {
		if (off + sizeof(struct ipv6hdr) > len || buf[off] >> 4 != 6)
			return -EMSGSIZE;
		lay->family = AF_INET6;
		lay->l3_len = sizeof(struct ipv6hdr);
		next = buf[off + 6];
		if (next == IPPROTO_HOPOPTS) {
			if (off + lay->l3_len + 2 > len)
				return -EMSGSIZE;
			next = buf[off + lay->l3_len];
			lay->l3_len += ((size_t)buf[off + lay->l3_len + 1] + 1) * 8;
		}
		if (off + sizeof(struct ipv6hdr) + frame_get16(buf + off + 4) > len)
			return -EMSGSIZE;
	} else {
		return -EPROTO;
	}
	if (next != IPPROTO_UDP)
		return -EPROTO;
	lay->l4 = off + lay->l3_len;
	if (lay->l4 + sizeof(struct udphdr) > len)
		return -EMSGSIZE;
	udp_len = frame_get16(buf + lay->l4 + 4);
	if (udp_len < sizeof(struct udphdr) || lay->l4 + udp_len > len)
		return -EMSGSIZE;
	lay->payload = lay->l4 + sizeof(struct udphdr);
	lay->payload_len = udp_len - sizeof(struct udphdr);
	lay->len = len;
	return 0;
}

/*
 * Check both checksums of a UDP frame.  Returns 0 when the IPv4 header
 * checksum (IPv4) and the UDP checksum are right, -ENODATA for an IPv4 UDP
 * checksum of 0 ("none"; the caller decides), -EBADMSG when either is
 * wrong, or frame_parse()'s error.
 */
static inline int frame_verify_csums(const uint8_t *buf, size_t len)
{
	struct frame_layout lay;
	const uint8_t *ip, *udp;
	size_t udp_len;
	int err = frame_parse(buf, len, &lay);

	if (err)
		return err;
	ip = buf + lay.l3;
	udp = buf + lay.l4;
	udp_len = sizeof(struct udphdr) + lay.payload_len;
	/* a correct header sums to all ones, checksum field included */
	if (lay.family == AF_INET && frame_csum_fold(frame_csum_add(0, ip, lay.l3_len)) != 0xffff)
		return -EBADMSG;
	if (frame_get16(udp + 6) == 0)
		return lay.family == AF_INET ? -ENODATA : -EBADMSG;
	/* pseudo-header + whole datagram, checksum included: all ones */
	if (frame_csum_fold(frame_csum_add(
		    frame_csum_add(IPPROTO_UDP + (uint32_t)udp_len,
				   ip + (lay.family == AF_INET ? 12 : 8),
				   lay.family == AF_INET ? 8 : 32),
		    udp, udp_len)) != 0xffff)
		return -EBADMSG;
	return 0;
}

/* Recompute both checksums in place after editing a frame (what the
 * expected answer is built with).  Returns 0 or frame_parse()'s error. */
static inline int frame_fix_csums(uint8_t *buf, size_t len)
{
	struct frame_layout lay;
	int err = frame_parse(buf, len, &lay);

	if (err)
		return err;
	if (lay.family == AF_INET)
		frame_put16(buf + lay.l3 + 10, frame_ipv4_csum(buf + lay.l3, lay.l3_len));
	frame_put16(buf + lay.l4 + 6,
		    frame_udp_csum(lay.family, buf + lay.l3, buf + lay.l4,
				   sizeof(struct udphdr) + lay.payload_len));
	return 0;
}

#endif /* NTPD_TEST_FRAMES_H */
