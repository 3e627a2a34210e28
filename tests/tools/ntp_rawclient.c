// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ntp_rawclient: send one NTP client request as a raw Ethernet frame
 * (optionally with one 802.1Q tag or an 802.1ad+802.1Q pair) and validate the
 * answer.  This is how the end-to-end tests drive VLAN paths on a kernel
 * without the 8021q module: nothing here needs a VLAN interface.
 *
 * Exit 0: a valid answer (mode 4, origin = our transmit, both checksums
 * right, tags kept, TTL/hop limit 64) arrived within the timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <endian.h>
#include <math.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ntpd_shared.h"
#include "ntp_proto.h"

struct args {
	const char *ifname;
	uint8_t dst_mac[6];
	int family;
	uint8_t src[16], dst[16];
	int vlan_outer, vlan_inner;	/* -1: absent */
	int timeout_ms;
	uint16_t port;
	int accept_unsync;	/* -u: an LI=3 / stratum 0 answer is still valid */
	int samples;		/* -n: measure offsets over this many exchanges */
	int ip_options;		/* -O: 4 bytes of IPv4 NOP options (IHL 6) */
	int stream;		/* -S: one line per exchange, paced every -w ms */
	int interval_ms;
	int sport;		/* -P: UDP source port (0 allowed); -1: random */
	int req_mode;		/* -M: the request's NTP mode (3) */
	int ext_len;		/* -E: one RFC 7822 extension field of this many bytes */
	long long keyid;	/* -K: a MAC trailer, key id + 16 zero bytes; -1: none */
};

static struct ntp_packet last_reply;
static size_t last_reply_len;		/* the answer's UDP payload */
static uint32_t last_reply_keyid;	/* the 4 bytes after the header, if any */

/* request payload: header, then the extension field, then the MAC */
static size_t payload_len(const struct args *a)
{
	return NTP_PACKET_LEN + (size_t)a->ext_len + (a->keyid >= 0 ? 4 + 16 : 0);
}

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* one's complement sum of the UDP pseudo-header, header and payload */
static uint16_t udp_sum(int family, const uint8_t *src, const uint8_t *dst,
			const uint8_t *udp, size_t udp_len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t sum = 0;

	sum = sum16(src, alen, sum);
	sum = sum16(dst, alen, sum);
	sum += IPPROTO_UDP + (uint32_t)udp_len;
	return fold(sum16(udp, udp_len, sum));
}

static int parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
		      &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static size_t build(const struct args *a, const uint8_t *src_mac, uint16_t sport,
		    uint64_t xmt, uint8_t *f)
{
	size_t off = 12, ip_off, udp_off;
	uint16_t v;

	memcpy(f, a->dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	if (a->vlan_outer >= 0) {
		v = htons(a->vlan_inner >= 0 ? ETH_P_8021AD : ETH_P_8021Q);
		memcpy(f + off, &v, 2);
		v = htons((uint16_t)a->vlan_outer);
		memcpy(f + off + 2, &v, 2);
		off += 4;
	}
	if (a->vlan_inner >= 0) {
		v = htons(ETH_P_8021Q);
		memcpy(f + off, &v, 2);
		v = htons((uint16_t)a->vlan_inner);
		memcpy(f + off + 2, &v, 2);
		off += 4;
	}
	v = htons(a->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	memcpy(f + off, &v, 2);
	ip_off = off + 2;
	if (a->family == AF_INET) {
		uint8_t *ip = f + ip_off;

		size_t ihl = a->ip_options ? 24 : 20;

		memset(ip, 0, ihl);
		ip[0] = (uint8_t)(0x40 | ihl / 4);
		v = htons((uint16_t)(ihl + 8 + payload_len(a)));
		memcpy(ip + 2, &v, 2);
		ip[6] = 0x40;		/* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, a->src, 4);
		memcpy(ip + 16, a->dst, 4);
		if (a->ip_options)
			memset(ip + 20, 0x01, 4);	/* NOP: harmless, but not IHL 5 */
		v = htons((uint16_t)~fold(sum16(ip, ihl, 0)));
		memcpy(ip + 10, &v, 2);
		udp_off = ip_off + ihl;
	} else {
		uint8_t *ip = f + ip_off;

		memset(ip, 0, 40);
		ip[0] = 0x60;
		v = htons((uint16_t)(8 + payload_len(a)));
		memcpy(ip + 4, &v, 2);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, a->src, 16);
		memcpy(ip + 24, a->dst, 16);
		udp_off = ip_off + 40;
	}
	uint8_t *udp = f + udp_off;
	struct ntp_packet *ntp = (struct ntp_packet *)(udp + 8);

	size_t plen = payload_len(a);
	uint8_t *trailer = udp + 8 + NTP_PACKET_LEN;

	memset(udp, 0, 8 + plen);
	v = htons(sport); memcpy(udp, &v, 2);
	v = htons(a->port); memcpy(udp + 2, &v, 2);
	v = htons((uint16_t)(8 + plen)); memcpy(udp + 4, &v, 2);
	ntp->li_vn_mode = NTP_LI_VN_MODE(0, 4, a->req_mode);
	ntp->poll = 6;
	ntp->transmit_ts = xmt;
	if (a->ext_len) {
		/* RFC 7822: type, length of the whole field; the value zeros */
		v = htons(0x0104); memcpy(trailer, &v, 2);
		v = htons((uint16_t)a->ext_len); memcpy(trailer + 2, &v, 2);
		trailer += a->ext_len;
	}
	if (a->keyid >= 0) {
		uint32_t k = htonl((uint32_t)a->keyid);

		memcpy(trailer, &k, 4);	/* a digest of zeros: no key would verify it */
	}
	v = htons((uint16_t)~udp_sum(a->family, a->src, a->dst, udp, 8 + plen));
	if (!v)
		v = 0xffff;
	memcpy(udp + 6, &v, 2);
	return udp_off + 8 + plen;
}

/* Validate a received frame; the outermost tag arrives in auxdata. */
static int check_reply(const struct args *a, const uint8_t *f, size_t len,
		       const struct tpacket_auxdata *aux, uint16_t sport, uint64_t xmt)
{
	size_t off = 12, alen = a->family == AF_INET ? 4 : 16;
	int outer_seen = aux && (aux->tp_status & TP_STATUS_VLAN_VALID);
	int expect_tags = (a->vlan_outer >= 0) + (a->vlan_inner >= 0);
	const uint8_t *ip, *udp, *saddr, *daddr;
	const struct ntp_packet *ntp;
	size_t udp_len;
	uint16_t type;

	int tags[2] = { a->vlan_outer, a->vlan_inner }, t = 0;

	/* the kernel moves the outermost tag into auxdata before we see it */
	if (outer_seen) {
		if (!expect_tags || (aux->tp_vlan_tci & 0xfff) != (uint16_t)tags[0])
			return 0;
		t = 1;
	}
	for (; t < expect_tags; t++) {
		if (len < off + 6 || !(f[off] == 0x81 || f[off] == 0x88) ||
		    ((f[off + 2] << 8 | f[off + 3]) & 0xfff) != tags[t])
			return 0;
		off += 4;
	}
	type = (uint16_t)(f[off] << 8 | f[off + 1]);
	if (type != (a->family == AF_INET ? ETH_P_IP : ETH_P_IPV6))
		return 0;
	ip = f + off + 2;
	if (a->family == AF_INET) {
		if (len < (size_t)(ip - f) + 20 + 8 + NTP_PACKET_LEN || ip[9] != IPPROTO_UDP)
			return 0;
		saddr = ip + 12; daddr = ip + 16; udp = ip + 20;
	} else {
		if (len < (size_t)(ip - f) + 40 + 8 + NTP_PACKET_LEN || ip[6] != IPPROTO_UDP)
			return 0;
		saddr = ip + 8; daddr = ip + 24; udp = ip + 40;
	}
	if ((udp[0] << 8 | udp[1]) != a->port || (udp[2] << 8 | udp[3]) != sport)
		return 0;	/* not the answer to us (e.g. our own request) */
	udp_len = (size_t)(udp[4] << 8 | udp[5]);
	if (udp_len < 8 + NTP_PACKET_LEN || (size_t)(udp - f) + udp_len > len) {
		fprintf(stderr, "reply UDP length %zu does not fit\n", udp_len);
		return -1;
	}
	if (memcmp(saddr, a->dst, alen) || memcmp(daddr, a->src, alen)) {
		fprintf(stderr, "reply addresses not swapped\n");
		return -1;
	}
	if (a->family == AF_INET && (fold(sum16(ip, 20, 0)) != 0xffff || ip[8] != 64)) {
		fprintf(stderr, "bad IPv4 header checksum or TTL %u\n", ip[8]);
		return -1;
	}
	if (a->family == AF_INET6 && ip[7] != 64) {
		fprintf(stderr, "hop limit %u, want 64\n", ip[7]);
		return -1;
	}
	if (udp_sum(a->family, saddr, daddr, udp, udp_len) != 0xffff) {
		fprintf(stderr, "bad UDP checksum\n");
		return -1;
	}
	if (memcmp(f + 6, a->dst_mac, 6)) {
		fprintf(stderr, "reply source MAC is not the server's\n");
		return -1;
	}
	ntp = (const struct ntp_packet *)(udp + 8);
	memcpy(&last_reply, ntp, sizeof(last_reply));
	last_reply_len = udp_len - 8;
	last_reply_keyid = 0;
	if (last_reply_len >= NTP_PACKET_LEN + 4)
		last_reply_keyid = (uint32_t)udp[8 + 48] << 24 | (uint32_t)udp[8 + 49] << 16 |
				   (uint32_t)udp[8 + 50] << 8 | udp[8 + 51];
	/* a symmetric active request is answered in symmetric passive mode */
	if (NTP_MODE(ntp->li_vn_mode) != (a->req_mode == NTP_MODE_SYM_ACTIVE ? NTP_MODE_SYM_PASSIVE :
									  NTP_MODE_SERVER) ||
	    NTP_VN(ntp->li_vn_mode) != 4 ||
	    ntp->origin_ts != xmt || ntp->transmit_ts == 0 ||
	    (!a->accept_unsync && (NTP_LI(ntp->li_vn_mode) == NTP_LEAP_UNSYNC || ntp->stratum == 0))) {
		fprintf(stderr, "bad NTP reply: li_vn_mode %#x stratum %u origin ok %d\n",
			ntp->li_vn_mode, ntp->stratum, ntp->origin_ts == xmt);
		return -1;
	}
	return 1;
}

static double ts_to_unix(uint64_t be_ts)
{
	uint64_t ts = be64toh(be_ts);

	return (double)(ts >> 32) - 2208988800.0 + (double)(ts & 0xffffffffu) / 4294967296.0;
}

/*
 * One request, one validated reply.  *t1 is CLOCK_REALTIME just before the
 * frame is handed to the kernel, *t4 the kernel's receive stamp of the reply
 * (SO_TIMESTAMPNS): both NULL-able.  Returns 0, or 1 on no/invalid reply.
 */
static int exchange_ns(int fd, const struct args *a, const uint8_t *src_mac,
		       int64_t *t1, int64_t *t4)
{
	char ctrl[CMSG_SPACE(sizeof(struct tpacket_auxdata)) + CMSG_SPACE(sizeof(struct timespec))];
	uint8_t frame[1600], buf[2048];
	struct timespec start, now, sent;
	uint16_t sport;
	uint64_t xmt;
	size_t len;
	int ret;

	if (getrandom(&xmt, sizeof(xmt), 0) != sizeof(xmt) ||
	    getrandom(&sport, sizeof(sport), 0) != sizeof(sport))
		return 1;
	sport = a->sport >= 0 ? (uint16_t)a->sport : (uint16_t)(20000 + sport % 40000);
	len = build(a, src_mac, sport, xmt, frame);
	clock_gettime(CLOCK_REALTIME, &sent);
	if (send(fd, frame, len, 0) != (ssize_t)len) {
		perror("send");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
		struct tpacket_auxdata *aux = NULL;
		struct timespec rx = { 0 };
		struct cmsghdr *cm;
		long waited;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= a->timeout_ms || poll(&p, 1, (int)(a->timeout_ms - waited)) <= 0) {
			fprintf(stderr, "no reply within %d ms\n", a->timeout_ms);
			return 1;
		}
		n = recvmsg(fd, &msg, 0);
		if (n <= 0)
			continue;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA)
				aux = (struct tpacket_auxdata *)CMSG_DATA(cm);
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
				memcpy(&rx, CMSG_DATA(cm), sizeof(rx));
		}
		ret = check_reply(a, buf, (size_t)n, aux, sport, xmt);
		if (ret < 0)
			return 1;
		if (ret > 0) {
			if (t1)
				*t1 = (int64_t)sent.tv_sec * 1000000000 + sent.tv_nsec;
			if (t4)
				*t4 = (int64_t)rx.tv_sec * 1000000000 + rx.tv_nsec;
			return 0;
		}
	}
}

static int exchange(int fd, const struct args *a, const uint8_t *src_mac, double *t1, double *t4)
{
	int64_t n1, n4;
	int ret = exchange_ns(fd, a, src_mac, &n1, &n4);

	if (!ret && t1)
		*t1 = n1 / 1e9;
	if (!ret && t4)
		*t4 = n4 / 1e9;
	return ret;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/*
 * -n N: N exchanges, then the median and 99th percentile of |offset| in
 * microseconds.  Client and server share one kernel clock here, so the true
 * offset is 0 and what is measured is the server's error (plus the constant
 * bias of taking t1 in userspace, the same for every server measured).
 */
static int measure_offsets(int fd, const struct args *a, const uint8_t *src_mac, const char *dst)
{
	double *off = calloc((size_t)a->samples, sizeof(*off)), t1, t4;
	int i, n = 0;

	if (!off)
		return 1;
	for (i = 0; i < a->samples; i++) {
		if (exchange(fd, a, src_mac, &t1, &t4))
			continue;
		double t2 = ts_to_unix(last_reply.receive_ts), t3 = ts_to_unix(last_reply.transmit_ts);

		off[n++] = fabs(((t2 - t1) + (t3 - t4)) / 2) * 1e6;
	}
	if (!n) {
		free(off);
		return 1;
	}
	qsort(off, (size_t)n, sizeof(*off), cmp_double);
	printf("offsets from %s: %d samples, median %.1f us, p99 %.1f us\n", dst, n,
	       off[n / 2], off[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
	free(off);
	return 0;
}

/* an answer's timestamp in Unix ns, its era taken from our own clock */
static int64_t reply_ns(uint64_t be_ts, int64_t near_ns)
{
	return ntp_ts_to_unix_ns(be64toh(be_ts), near_ns / 1000000000);
}

/*
 * -S: -n exchanges, one every -w ms on a fixed schedule (the workload, not
 * a wait for anything), one line each, in integer nanoseconds so nothing
 * is lost to a double holding Unix time:
 *   sample MID_S OFFSET_S DELAY_S ROOTDELAY_S ROOTDISP_S LI STRATUM
 * MID is the host time halfway between our transmit and the kernel's
 * receive stamp, OFFSET the server's clock minus ours (RFC 5905 theta),
 * DELAY the round trip less the server's hold (delta).  An exchange without
 * a valid answer prints "lost MID_S".
 */
static int stream_offsets(int fd, const struct args *a, const uint8_t *src_mac)
{
	struct timespec next;
	int i, answered = 0;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < a->samples; i++) {
		int64_t t1, t2, t3, t4, mid;

		if (exchange_ns(fd, a, src_mac, &t1, &t4)) {
			struct timespec now;

			clock_gettime(CLOCK_REALTIME, &now);
			printf("lost %lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
		} else {
			t2 = reply_ns(last_reply.receive_ts, t1);
			t3 = reply_ns(last_reply.transmit_ts, t1);
			mid = t1 + (t4 - t1) / 2;
			printf("sample %lld.%09lld %.9f %.9f %.9f %.9f %u %u\n",
			       (long long)(mid / 1000000000), (long long)(mid % 1000000000),
			       ((double)(t2 - t1) + (double)(t3 - t4)) / 2e9,
			       (double)((t4 - t1) - (t3 - t2)) / 1e9,
			       ntohl(last_reply.root_delay) / 65536.0,
			       ntohl(last_reply.root_dispersion) / 65536.0,
			       NTP_LI(last_reply.li_vn_mode), last_reply.stratum);
			answered++;
		}
		fflush(stdout);
		next.tv_nsec += (long)a->interval_ms * 1000000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		if (i + 1 < a->samples)
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return answered ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: ntp_rawclient -i IFACE -m SERVER_MAC -s SRC_IP -d DST_IP "
		"[-o OUTER_VLAN [-v INNER_VLAN]] [-p PORT] [-t TIMEOUT_MS] [-u] [-O]\n"
		"  -O  add IPv4 options (XDP passes those to the socket server)\n"
		"  -n N  N exchanges; print median and p99 |offset| in microseconds\n"
		"  -S    with -n: one line per exchange (host time, offset, delay, root\n"
		"        delay and dispersion, LI, stratum), one exchange every -w MS (1000)\n"
		"  -u  accept unsynchronised answers (LI=3, stratum 0)\n"
		"  -P PORT  UDP source port (0 allowed; default random)\n"
		"  -M MODE  the request's NTP mode (default 3)\n"
		"  -E LEN   append one RFC 7822 extension field of LEN bytes (16..1024, 4n)\n"
		"  -K KEYID append a MAC: KEYID and 16 zero bytes (no key verifies it)\n"
		"On success prints the answer's li, stratum, refid, root delay and dispersion.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct args a = { .vlan_outer = -1, .vlan_inner = -1, .timeout_ms = 2000, .port = 123,
			  .interval_ms = 1000, .sport = -1, .req_mode = NTP_MODE_CLIENT, .keyid = -1 };
	uint8_t src_mac[6];
	struct sockaddr_ll sll = { 0 };
	const char *src = NULL, *dst = NULL;
	struct ifreq ifr = { 0 };
	int c, fd, one = 1, ret;

	while ((c = getopt(argc, argv, "i:m:s:d:o:v:p:t:uOn:Sw:P:M:E:K:")) != -1) {
		switch (c) {
		case 'i': a.ifname = optarg; break;
		case 'm': if (parse_mac(optarg, a.dst_mac)) usage(); break;
		case 's': src = optarg; break;
		case 'd': dst = optarg; break;
		case 'o': a.vlan_outer = atoi(optarg); break;
		case 'v': a.vlan_inner = atoi(optarg); break;
		case 'p': a.port = (uint16_t)atoi(optarg); break;
		case 't': a.timeout_ms = atoi(optarg); break;
		case 'u': a.accept_unsync = 1; break;
		case 'O': a.ip_options = 1; break;
		case 'n': a.samples = atoi(optarg); break;
		case 'S': a.stream = 1; break;
		case 'w': a.interval_ms = atoi(optarg); break;
		case 'P': a.sport = atoi(optarg); break;
		case 'M': a.req_mode = atoi(optarg) & 7; break;
		case 'E': a.ext_len = atoi(optarg); break;
		case 'K': a.keyid = atoll(optarg); break;
		default: usage();
		}
	}
	if (!a.ifname || !src || !dst || (a.vlan_inner >= 0 && a.vlan_outer < 0) ||
	    a.sport > 65535 || (a.ext_len && (a.ext_len < 16 || a.ext_len > 1024 || a.ext_len % 4)) ||
	    a.keyid > 0xffffffffLL)
		usage();
	a.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, src, a.src) != 1 || inet_pton(a.family, dst, a.dst) != 1)
		usage();

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", a.ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		perror(a.ifname);
		return 1;
	}
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(a.ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("bind");
		return 1;
	}
	if (a.samples > 0 && a.stream)
		return stream_offsets(fd, &a, src_mac);
	if (a.samples > 0)
		return measure_offsets(fd, &a, src_mac, dst);
	ret = exchange(fd, &a, src_mac, NULL, NULL);
	if (ret)
		return ret;

	const uint8_t *r = (const uint8_t *)&last_reply.refid;

	printf("valid reply from %s%s li=%u stratum=%u refid=%u.%u.%u.%u "
	       "rootdelay=%.6f rootdisp=%.6f vn=%u mode=%u poll=%d precision=%d "
	       "reftime=%016llx len=%zu keyid=%u\n", dst,
	       a.vlan_inner >= 0 ? " (QinQ)" : a.vlan_outer >= 0 ? " (VLAN)" : "",
	       NTP_LI(last_reply.li_vn_mode), last_reply.stratum, r[0], r[1], r[2], r[3],
	       ntohl(last_reply.root_delay) / 65536.0,
	       ntohl(last_reply.root_dispersion) / 65536.0,
	       NTP_VN(last_reply.li_vn_mode), NTP_MODE(last_reply.li_vn_mode),
	       last_reply.poll, last_reply.precision,
	       (unsigned long long)be64toh(last_reply.reference_ts), last_reply_len,
	       last_reply_keyid);
	return 0;
}
