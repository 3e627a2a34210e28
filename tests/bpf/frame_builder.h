/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Crafted frames for the BPF tests and the micro-benchmark: Ethernet, up to
 * two VLAN tags, IPv4 (options, fragment bits, any protocol) or IPv6 (with
 * an optional hop-by-hop header), UDP, and an NTP payload of any length.
 * Checksums come from the plain byte-wise RFC 1071 routine here, deliberately
 * not from bpf/csum.h: the tests check the program against it.
 */
#ifndef NTPD_TEST_FRAME_BUILDER_H
#define NTPD_TEST_FRAME_BUILDER_H

#include <arpa/inet.h>
#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ntpd_shared.h"

enum udp_csum_kind { CSUM_VALID, CSUM_ZERO, CSUM_BAD };

struct frame_spec {
	int family;			/* AF_INET or AF_INET6 */
	int n_tags;			/* 0..3 */
	uint16_t tpid[3];		/* 0x8100 / 0x88a8 */
	uint16_t vid[3];
	const char *src, *dst;		/* addresses as text */
	uint16_t sport, dport;
	uint8_t ip_proto;		/* IPPROTO_UDP unless testing others */
	int ipv4_options;		/* bytes of NOP options (multiple of 4) */
	uint16_t frag;			/* IPv4 frag_off field, host order */
	bool ipv6_hop_by_hop;
	int payload_len;		/* NTP bytes (48 normally) */
	uint8_t li_vn_mode;
	int8_t poll;
	uint64_t transmit_ts;		/* as on the wire */
	enum udp_csum_kind csum;
	uint8_t ttl;
};

static const uint8_t FB_CLIENT_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t FB_SERVER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static inline struct frame_spec fb_default(int family)
{
	return (struct frame_spec){
		.family = family,
		.src = family == AF_INET ? "198.51.100.7" : "2001:db8:1::7",
		.dst = family == AF_INET ? "192.0.2.10" : "2001:db8::10",
		.sport = 40123, .dport = 123, .ip_proto = IPPROTO_UDP,
		.payload_len = NTP_PACKET_LEN,
		.li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT),
		.poll = 6,
		.transmit_ts = htobe64(0xdeadbeef12345678ULL),
		.ttl = 57,
	};
}

static inline uint32_t fb_sum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t fb_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline void fb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Offsets into a frame, found by walking it as a receiver would. */
struct frame_layout {
	size_t l3, l4, payload;
	size_t len;
};

/* UDP checksum over pseudo-header + UDP header + payload: 0xffff when valid. */
static inline uint16_t fb_udp_sum(int family, const uint8_t *l3, const uint8_t *udp, size_t udp_len)
{
	uint32_t sum;

	if (family == AF_INET)
		sum = fb_sum(l3 + 12, 8, 0);
	else
		sum = fb_sum(l3 + 8, 32, 0);
	sum += IPPROTO_UDP + (uint32_t)udp_len;
	return fb_fold(fb_sum(udp, udp_len, sum));
}

static inline size_t fb_build(const struct frame_spec *s, uint8_t *f, struct frame_layout *lay)
{
	size_t off = 12, ip_len, udp_len = 8 + (size_t)s->payload_len;
	uint8_t *ip, *udp;
	int i;

	memcpy(f, FB_SERVER_MAC, 6);
	memcpy(f + 6, FB_CLIENT_MAC, 6);
	for (i = 0; i < s->n_tags; i++) {
		fb_put16(f + off, s->tpid[i]);
		fb_put16(f + off + 2, s->vid[i]);
		off += 4;
	}
	fb_put16(f + off, s->family == AF_INET ? 0x0800 : 0x86dd);
	off += 2;
	lay->l3 = off;
	ip = f + off;
	if (s->family == AF_INET) {
		size_t ihl = 20 + (size_t)s->ipv4_options;

		memset(ip, 0, ihl);
		ip[0] = (uint8_t)(0x40 | ihl / 4);
		fb_put16(ip + 2, (uint16_t)(ihl + udp_len));
		fb_put16(ip + 4, 0x1234);
		fb_put16(ip + 6, s->frag);
		ip[8] = s->ttl;
		ip[9] = s->ip_proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		memset(ip + 20, 0x01, (size_t)s->ipv4_options);
		fb_put16(ip + 10, (uint16_t)~fb_fold(fb_sum(ip, ihl, 0)));
		ip_len = ihl;
	} else {
		size_t ext = s->ipv6_hop_by_hop ? 8 : 0;

		memset(ip, 0, 40 + ext);
		ip[0] = 0x60;
		fb_put16(ip + 4, (uint16_t)(ext + udp_len));
		ip[6] = s->ipv6_hop_by_hop ? 0 : s->ip_proto;
		ip[7] = s->ttl;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		if (ext) {
			ip[40] = s->ip_proto;	/* next header; length 0 = 8 bytes, PadN */
			ip[42] = 1;
			ip[43] = 4;
		}
		ip_len = 40 + ext;
	}
	lay->l4 = off + ip_len;
	udp = f + lay->l4;
	memset(udp, 0, udp_len);
	fb_put16(udp, s->sport);
	fb_put16(udp + 2, s->dport);
	fb_put16(udp + 4, (uint16_t)udp_len);
	lay->payload = lay->l4 + 8;
	if (s->payload_len >= 1)
		udp[8] = s->li_vn_mode;
	if (s->payload_len >= 3)
		udp[10] = (uint8_t)s->poll;
	if (s->payload_len >= 48)
		memcpy(udp + 8 + 40, &s->transmit_ts, 8);
	if (s->csum != CSUM_ZERO) {
		uint16_t c = (uint16_t)~fb_udp_sum(s->family, ip, udp, udp_len);

		if (s->csum == CSUM_BAD)
			c ^= 0x0101;
		fb_put16(udp + 6, c ? c : 0xffff);
	}
	lay->len = lay->l4 + udp_len;
	return lay->len;
}

#endif /* NTPD_TEST_FRAME_BUILDER_H */
