// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The socket server's packet ring, its two pure functions
 * (userspace/packet_ring.c): packet_frame_parse takes exactly the frames
 * the ring's classic BPF filter takes (untagged IPv4 without options, not
 * a fragment, UDP carrying a bare 48-byte header) and nothing else, and
 * reports the request's ends; packet_frame_answer builds the whole reply
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

/* A client's request as the wire brings it: the NTP bytes 0x30.. so that a
 * copy from the wrong place shows, IP id and TTL that the answer must not
 * keep, both checksums right. */
static void build_request(__u8 *f)
{
	__u8 *ip = f + ETH_LEN, *udp = ip + 20;
	int i;

	memset(f, 0, REQ_LEN + 16);
	memcpy(f, srv_mac, 6);
	memcpy(f + 6, cli_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0x10;
	put16(ip + 2, 20 + 8 + 48);
	put16(ip + 4, 0x1234);		/* id */
	put16(ip + 6, 0);		/* frag_off */
	ip[8] = 7;			/* TTL: a client far away */
	ip[9] = IPPROTO_UDP;
	put32(ip + 12, CLI_IP);
	put32(ip + 16, SRV_IP);
	put16(ip + 10, (~ones_sum(ip, 20, 0)) & 0xffff);
	put16(udp, CLI_PORT);
	put16(udp + 2, SRV_PORT);
	put16(udp + 4, 8 + 48);
	for (i = 0; i < 48; i++)
		udp[8 + i] = (__u8)(0x30 + i);
	udp[8] = 0x23;			/* v4 client */
	put16(udp + 6, (~udp_sum(f)) & 0xffff);
}

/* --- packet_frame_parse, one row a frame ------------------------------ */

struct parse_case {
	const char *name;
	unsigned int at;	/* byte to change (from the Ethernet header) */
	unsigned int width;	/* 0: nothing changed, 1 or 2 bytes */
	unsigned int value;
	int len_delta;		/* the frame's length against REQ_LEN */
	int want;		/* 0 or -EINVAL */
};

static const struct parse_case parse_cases[] = {
	{ "a plain request", 0, 0, 0, 0, 0 },
	{ "Ethernet padding after the datagram", 0, 0, 0, 6, 0 },
	{ "DF set (not a fragment)", ETH_LEN + 6, 2, 0x4000, 0, 0 },
	{ "IPv6 ethertype", 12, 2, 0x86dd, 0, -EINVAL },
	{ "an 802.1Q tag's ethertype", 12, 2, 0x8100, 0, -EINVAL },
	{ "ARP ethertype", 12, 2, 0x0806, 0, -EINVAL },
	{ "IHL 6 (options)", ETH_LEN, 1, 0x46, 0, -EINVAL },
	{ "IP version 6 in an IPv4 frame", ETH_LEN, 1, 0x65, 0, -EINVAL },
	{ "TCP, not UDP", ETH_LEN + 9, 1, IPPROTO_TCP, 0, -EINVAL },
	{ "MF set (a first fragment)", ETH_LEN + 6, 2, 0x2000, 0, -EINVAL },
	{ "fragment offset 8 bytes", ETH_LEN + 6, 2, 0x0001, 0, -EINVAL },
	{ "the last fragment (offset, no MF)", ETH_LEN + 6, 2, 0x00b9, 0, -EINVAL },
	{ "UDP length 57", ETH_LEN + 20 + 4, 2, 57, 0, -EINVAL },
	{ "UDP length 55", ETH_LEN + 20 + 4, 2, 55, 0, -EINVAL },
	{ "IP total length 77", ETH_LEN + 2, 2, 77, 0, -EINVAL },
	{ "IP total length 75", ETH_LEN + 2, 2, 75, 0, -EINVAL },
	{ "too short by one byte", 0, 0, 0, -1, -EINVAL },
	{ "only the headers", 0, 0, 0, -48, -EINVAL },
};

static void test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		__u8 f[REQ_LEN + 16];
		struct packet_request req, untouched;
		int rc;

		build_request(f);
		if (c->width == 1)
			f[c->at] = (__u8)c->value;
		else if (c->width == 2)
			put16(f + c->at, c->value);
		memset(&req, 0xa5, sizeof(req));
		memcpy(&untouched, &req, sizeof(req));
		rc = packet_frame_parse(f, (unsigned int)(REQ_LEN + c->len_delta), &req);
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
		assert_int_equal(req.payload_len, 48);
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
	__u8 f[REQ_LEN + 16], out[REQ_LEN + 32], payload[48];
	unsigned int len;

	(void)state;
	build_request(f);
	fill(payload, sizeof(payload), 0x24);
	memset(out, 0xee, sizeof(out));
	len = packet_frame_answer(out, f, payload, sizeof(payload), 0xb8);
	check_answer(out, len, payload, sizeof(payload), 0xb8);
	/* the request is read, never written */
	{
		__u8 again[REQ_LEN + 16];

		build_request(again);
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
		__u8 f[REQ_LEN + 16], out[HDRS_LEN + 469 + 16], payload[469];
		unsigned int len;

		build_request(f);
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
	__u8 f[REQ_LEN + 16], out[HDRS_LEN + 468 + 16], payload[468];
	unsigned int len;

	(void)state;
	build_request(f);
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
	__u8 f[REQ_LEN + 16], out[REQ_LEN + 32], payload[48];
	unsigned int len, rest;

	(void)state;
	build_request(f);
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
	__u8 f[REQ_LEN + 16], out[REQ_LEN + 32];
	struct packet_request req;
	unsigned int len;

	(void)state;
	build_request(f);
	assert_int_equal(packet_frame_parse(f, REQ_LEN, &req), 0);
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
