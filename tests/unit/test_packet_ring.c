// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The socket server's packet ring, its two pure functions
 * (userspace/packet_ring.c): packet_frame_parse takes exactly the frames
 * the ring's classic BPF filter takes (untagged IPv4 without options, not
 * a fragment, UDP) whose lengths agree and whose checksums are right, as
 * ip_rcv and the UDP receive would (the UDP one unless the driver vouched
 * for it), and reports the request's ends and its UDP payload, as long as
 * the UDP length says; packet_frame_answer builds the whole reply
 * frame, every byte of which is checked here against the request, with
 * both checksums verified by a summation of the test's own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "packet_ring.h"

#define ETH_LEN		14
#define HDRS_LEN	(14 + 20 + 8)	/* Ethernet, IPv4 without options, UDP */
#define REQ_LEN		(HDRS_LEN + 48)

static const __u8 srv_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const __u8 cli_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
#define SRV_IP	0xc0000201u	/* 192.0.2.1 */
#define CLI_IP	0xc6120a0bu	/* 198.18.10.11 */
#define SRV_PORT 123
#define CLI_PORT 40123

static void put16(__u8 *p, unsigned int v) { p[0] = (__u8)(v >> 8); p[1] = (__u8)v; }
static void put32(__u8 *p, __u32 v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }
static unsigned int get16(const __u8 *p) { return (unsigned int)p[0] << 8 | p[1]; }
static __u32 get32(const __u8 *p) { return (__u32)get16(p) << 16 | get16(p + 2); }

/* One's complement sum of 16-bit big-endian words (an odd tail padded with
 * zero), folded: a header whose checksum is right sums to 0xffff. */
static unsigned int ones_sum(const __u8 *p, size_t len, __u32 sum)
{
	size_t i;

	for (i = 0; i < len; i++)
		sum += (i & 1) ? p[i] : (__u32)p[i] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The UDP checksum's sum over the pseudo-header (RFC 768), header and data
 * of the IPv4 frame f. */
static unsigned int udp_sum(const __u8 *f)
{
	unsigned int udp_len = get16(f + ETH_LEN + 20 + 4);
	__u8 pseudo[12];

	memcpy(pseudo, f + ETH_LEN + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	put16(pseudo + 10, udp_len);
	return ones_sum(f + ETH_LEN + 20, udp_len, ones_sum(pseudo, sizeof(pseudo), 0));
}

/* Both checksums of the IPv4 frame f computed again over its current
 * bytes (the UDP one over the UDP length the header gives). */
static void resum(__u8 *f)
{
	__u8 *ip = f + ETH_LEN, *udp = ip + 20;

	put16(ip + 10, 0);
	put16(ip + 10, (~ones_sum(ip, 20, 0)) & 0xffff);
	put16(udp + 6, 0);
	put16(udp + 6, (~udp_sum(f)) & 0xffff);
}

/* A client's request as the wire brings it, with plen bytes of NTP data
 * (0x30.. so that a copy from the wrong place shows), IP id and TTL that
 * the answer must not keep, both checksums right.  f has room for
 * FRAME_ROOM bytes; returns the frame's length. */
#define FRAME_ROOM	(HDRS_LEN + 128 + 16)
static unsigned int build_request(__u8 *f, unsigned int plen)
{
	__u8 *ip = f + ETH_LEN, *udp = ip + 20;
	unsigned int i;

	memset(f, 0, FRAME_ROOM);
	memcpy(f, srv_mac, 6);
	memcpy(f + 6, cli_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0x10;
	put16(ip + 2, 20 + 8 + plen);
	put16(ip + 4, 0x1234);		/* id */
	put16(ip + 6, 0);		/* frag_off */
	ip[8] = 7;			/* TTL: a client far away */
	ip[9] = IPPROTO_UDP;
	put32(ip + 12, CLI_IP);
	put32(ip + 16, SRV_IP);
	put16(udp, CLI_PORT);
	put16(udp + 2, SRV_PORT);
	put16(udp + 4, 8 + plen);
	for (i = 0; i < plen; i++)
		udp[8 + i] = (__u8)(0x30 + i);
	if (plen)
		udp[8] = 0x23;		/* v4 client */
	resum(f);
	return HDRS_LEN + plen;
}

/* --- packet_frame_parse, one row a frame ------------------------------ */

enum { KEEP_SUMS, RESUM };

struct parse_case {
	const char *name;
	unsigned int plen;	/* the request's NTP bytes */
	unsigned int at;	/* byte to change (from the Ethernet header) */
	unsigned int width;	/* 0: nothing changed, 1 or 2 bytes */
	unsigned int value;
	int sums;		/* RESUM: both checksums right again after the change */
	int len_delta;		/* the frame's length against the datagram's */
	bool sum_trusted;
	int want;		/* 0, -EINVAL, -EPROTO or -EBADMSG */
	unsigned int want_len;	/* the payload's length when parsed */
};

#define UDP_LEN_AT	(ETH_LEN + 20 + 4)
#define UDP_SUM_AT	(ETH_LEN + 20 + 6)
#define IP_LEN_AT	(ETH_LEN + 2)
#define FRAG_AT		(ETH_LEN + 6)
#define IP_SUM_AT	(ETH_LEN + 10)

static const struct parse_case parse_cases[] = {
	{ "a plain 48-byte request", 48, 0, 0, 0, KEEP_SUMS, 0, false, 0, 48 },
	{ "a signed request (48 + key id + SHA1)", 72, 0, 0, 0, KEEP_SUMS, 0, false, 0, 72 },
	{ "a 12-byte mode-6 request, padded to 60 bytes", 12, 0, 0, 0, KEEP_SUMS, 6, false, 0, 12 },
	{ "Ethernet padding after the datagram", 48, 0, 0, 0, KEEP_SUMS, 6, false, 0, 48 },
	{ "DF set (not a fragment)", 48, FRAG_AT, 2, 0x4000, RESUM, 0, false, 0, 48 },
	{ "no UDP checksum (0: allowed in IPv4)", 48, UDP_SUM_AT, 2, 0, KEEP_SUMS, 0, false, 0, 48 },
	{ "UDP length 55 inside IP's 56: the UDP length rules", 48, UDP_LEN_AT, 2, 55, RESUM, 0,
	  false, 0, 47 },
	{ "IPv6 ethertype", 48, 12, 2, 0x86dd, KEEP_SUMS, 0, false, -EINVAL, 0 },
	{ "an 802.1Q tag's ethertype", 48, 12, 2, 0x8100, KEEP_SUMS, 0, false, -EINVAL, 0 },
	{ "IHL 6 (options)", 48, ETH_LEN, 1, 0x46, RESUM, 0, false, -EINVAL, 0 },
	{ "IP version 6 in an IPv4 frame", 48, ETH_LEN, 1, 0x65, KEEP_SUMS, 0, false, -EINVAL, 0 },
	{ "TCP, not UDP", 48, ETH_LEN + 9, 1, IPPROTO_TCP, RESUM, 0, false, -EINVAL, 0 },
	{ "MF set (a first fragment)", 48, FRAG_AT, 2, 0x2000, RESUM, 0, false, -EINVAL, 0 },
	{ "fragment offset 8 bytes", 48, FRAG_AT, 2, 0x0001, RESUM, 0, false, -EINVAL, 0 },
	{ "the last fragment (offset, no MF)", 48, FRAG_AT, 2, 0x00b9, RESUM, 0, false, -EINVAL, 0 },
	{ "UDP length 57, past the IP payload", 48, UDP_LEN_AT, 2, 57, RESUM, 0, false, -EINVAL, 0 },
	{ "UDP length 7", 48, UDP_LEN_AT, 2, 7, RESUM, 0, false, -EINVAL, 0 },
	{ "IP total length 77, past the frame", 48, IP_LEN_AT, 2, 77, RESUM, 0, false, -EINVAL, 0 },
	{ "IP total length 75, short of the UDP length", 48, IP_LEN_AT, 2, 75, RESUM, 0, false,
	  -EINVAL, 0 },
	{ "IP total length 27", 48, IP_LEN_AT, 2, 27, RESUM, 0, false, -EINVAL, 0 },
	{ "too short by one byte", 48, 0, 0, 0, KEEP_SUMS, -1, false, -EINVAL, 0 },
	{ "shorter than the headers", 0, 0, 0, 0, KEEP_SUMS, -1, false, -EINVAL, 0 },
	{ "a wrong IP header checksum", 48, IP_SUM_AT, 2, 0x1111, KEEP_SUMS, 0, false, -EPROTO, 0 },
	{ "  ... even when the UDP sum is trusted", 48, IP_SUM_AT, 2, 0x1111, KEEP_SUMS, 0, true,
	  -EPROTO, 0 },
	{ "a wrong UDP checksum", 48, UDP_SUM_AT, 2, 0x1111, KEEP_SUMS, 0, false, -EBADMSG, 0 },
	{ "  ... a changed payload byte under a right-looking sum", 48, HDRS_LEN + 40, 1, 0xff,
	  KEEP_SUMS, 0, false, -EBADMSG, 0 },
	{ "  ... taken when the driver vouched for it (sum_trusted)", 48, UDP_SUM_AT, 2, 0x1111,
	  KEEP_SUMS, 0, true, 0, 48 },
};

static void test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		__u8 f[FRAME_ROOM];
		struct packet_request req, untouched;
		unsigned int len = build_request(f, c->plen);
		int rc;

		if (c->width == 1)
			f[c->at] = (__u8)c->value;
		else if (c->width == 2)
			put16(f + c->at, c->value);
		if (c->sums == RESUM)
			resum(f);
		memset(&req, 0xa5, sizeof(req));
		memcpy(&untouched, &req, sizeof(req));
		rc = packet_frame_parse(f, (unsigned int)((int)len + c->len_delta), c->sum_trusted,
					&req);
		print_message("# parse: %s: %d\n", c->name, rc);
		assert_int_equal(rc, c->want);
		if (rc) {
			/* a refused frame leaves nothing half written */
			assert_memory_equal(&req, &untouched, sizeof(req));
			continue;
		}
		assert_int_equal(req.peer.sin_family, AF_INET);
		assert_int_equal(ntohl(req.peer.sin_addr.s_addr), CLI_IP);
		assert_int_equal(ntohs(req.peer.sin_port), CLI_PORT);
		assert_memory_equal(req.peer.sin_zero, "\0\0\0\0\0\0\0\0", 8);
		assert_int_equal(ntohl(req.dst.s_addr), SRV_IP);
		assert_ptr_equal(req.payload, f + HDRS_LEN);
		assert_int_equal(req.payload_len, c->want_len);
	}
}

/* --- packet_frame_answer ---------------------------------------------- */

/* Every byte of an answer to build_request's frame, with payload_len bytes
 * of payload equal to want_payload, and nothing written past it. */
static void check_answer(const __u8 *out, unsigned int len, const __u8 *want_payload,
			 unsigned int payload_len, __u8 tos)
{
	const __u8 *ip = out + ETH_LEN, *udp = ip + 20;
	unsigned int i;

	assert_int_equal(len, HDRS_LEN + payload_len);
	/* Ethernet: back to the client's MAC, from the one it was sent to */
	assert_memory_equal(out, cli_mac, 6);
	assert_memory_equal(out + 6, srv_mac, 6);
	assert_int_equal(get16(out + 12), 0x0800);
	/* IPv4: a fresh header, not the request's */
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], tos);
	assert_int_equal(get16(ip + 2), 20 + 8 + payload_len);
	assert_int_equal(get16(ip + 4), 0);		/* id: DF, never fragmented */
	assert_int_equal(get16(ip + 6), 0x4000);	/* DF, offset 0 */
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], IPPROTO_UDP);
	assert_int_equal(get32(ip + 12), SRV_IP);
	assert_int_equal(get32(ip + 16), CLI_IP);
	assert_int_equal(ones_sum(ip, 20, 0), 0xffff);
	/* UDP: ports swapped, the length and a checksum that verifies */
	assert_int_equal(get16(udp), SRV_PORT);
	assert_int_equal(get16(udp + 2), CLI_PORT);
	assert_int_equal(get16(udp + 4), 8 + payload_len);
	assert_int_not_equal(get16(udp + 6), 0);	/* 0 would say "no checksum" */
	assert_int_equal(udp_sum(out), 0xffff);
	assert_memory_equal(udp + 8, want_payload, payload_len);
	for (i = len; i < len + 16; i++)
		assert_int_equal(out[i], 0xee);
}

static void fill(__u8 *p, unsigned int n, __u8 seed)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (__u8)(seed + i * 7);
}

static void test_answer_48(void **state)
{
	__u8 f[FRAME_ROOM], out[REQ_LEN + 32], payload[48];
	unsigned int len;

	(void)state;
	build_request(f, 48);
	fill(payload, sizeof(payload), 0x24);
	memset(out, 0xee, sizeof(out));
	len = packet_frame_answer(out, f, payload, sizeof(payload), 0xb8);
	check_answer(out, len, payload, sizeof(payload), 0xb8);
	/* the request is read, never written */
	{
		__u8 again[FRAME_ROOM];

		build_request(again, 48);
		assert_memory_equal(f, again, sizeof(f));
	}
}

/* A mode-6 answer is longer than the request: lengths and the UDP checksum
 * cover all of it (an odd length too: the last byte padded with zero). */
static void test_answer_long_payloads(void **state)
{
	static const unsigned int lens[] = { 68, 468, 469, 1 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		__u8 f[FRAME_ROOM], out[HDRS_LEN + 469 + 16], payload[469];
		unsigned int len;

		build_request(f, 48);
		fill(payload, lens[i], (__u8)(0x11 * (i + 1)));
		memset(out, 0xee, sizeof(out));
		len = packet_frame_answer(out, f, payload, lens[i], 0);
		print_message("# answer with a %u-byte payload: %u bytes\n", lens[i], len);
		check_answer(out, len, payload, lens[i], 0);
	}
}

/* The answer built over the request's own buffer, its payload already at
 * out + 42 (the server writes the NTP answer there first). */
static void test_answer_in_place(void **state)
{
	__u8 f[FRAME_ROOM], out[HDRS_LEN + 468 + 16], payload[468];
	unsigned int len;

	(void)state;
	build_request(f, 48);
	fill(payload, sizeof(payload), 0x5a);
	memset(out, 0xee, sizeof(out));
	memcpy(out + HDRS_LEN, payload, sizeof(payload));
	len = packet_frame_answer(out, f, out + HDRS_LEN, sizeof(payload), 0x20);
	check_answer(out, len, payload, sizeof(payload), 0x20);
}

/* RFC 768: a checksum that computes to zero goes out as 0xffff.  The last
 * payload word is chosen so that the sum over the rest is cancelled. */
static void test_answer_checksum_zero_is_ffff(void **state)
{
	__u8 f[FRAME_ROOM], out[REQ_LEN + 32], payload[48];
	unsigned int len, rest;

	(void)state;
	build_request(f, 48);
	fill(payload, sizeof(payload), 0x42);
	payload[46] = payload[47] = 0;
	memset(out, 0xee, sizeof(out));
	len = packet_frame_answer(out, f, payload, sizeof(payload), 0);
	/* the sum without the checksum field and the last word */
	put16(out + ETH_LEN + 20 + 6, 0);
	rest = udp_sum(out);
	put16(payload + 46, (~rest) & 0xffff);
	memset(out, 0xee, sizeof(out));
	len = packet_frame_answer(out, f, payload, sizeof(payload), 0);
	assert_int_equal(get16(out + ETH_LEN + 20 + 6), 0xffff);
	check_answer(out, len, payload, sizeof(payload), 0);
}

/* What parses answers: the pair as the server uses it, slot to frame. */
static void test_parse_then_answer(void **state)
{
	__u8 f[FRAME_ROOM], out[REQ_LEN + 32];
	struct packet_request req;
	unsigned int len;

	(void)state;
	build_request(f, 48);
	assert_int_equal(packet_frame_parse(f, REQ_LEN, false, &req), 0);
	memset(out, 0xee, sizeof(out));
	len = packet_frame_answer(out, f, req.payload, req.payload_len, 0);
	check_answer(out, len, f + HDRS_LEN, 48, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_answer_48),
		cmocka_unit_test(test_answer_long_payloads),
		cmocka_unit_test(test_answer_in_place),
		cmocka_unit_test(test_answer_checksum_zero_is_ffff),
		cmocka_unit_test(test_parse_then_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
