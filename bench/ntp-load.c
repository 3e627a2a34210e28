// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ntp-load: many simulated NTP clients as raw frames, in steps of
 * geometrically rising rate, each step timed, every answer validated.
 *
 * Like ntpperf it writes whole Ethernet frames (AF_PACKET, sendmmsg) from a
 * range of source addresses and reads the answers off the same interface,
 * so the server needs a route back to that range through our side.  Unlike
 * ntpperf it speaks IPv6 too.  Bounded in packets and seconds, and it refuses
 * destinations outside the ranges our test namespaces use.
 *
 * Per step: offered rate, answered rate, loss %, invalid %, and response
 * time percentiles (frame sent to answer read, both on this host).
 *
 * -N CA.pem: NTS (RFC 8915).  A key exchange with the server first (our
 * own client, bench/nts_client.c) takes the keys and eight cookies; then
 * every request is sealed anew (its own nonce, its own transmit timestamp,
 * a Unique Identifier made of our magic and its sequence number, one of
 * the eight cookies in turn) and every answer is verified as a client
 * would: its authenticator opened under S2C.  Only verified answers count
 * as answered; a NAK or an answer that does not verify is invalid.
 *
 * -N with -Z COUNT: pre-sealed NTS.  Sealing each request anew and opening
 * each answer costs the generator more than a server spends answering, on
 * the same cores: the load then measures the generator.  After the key
 * exchange, COUNT requests (each its own UID and transmit timestamp, the
 * cookies in turn) are sealed once into whole frames; the steps send them
 * round-robin, and the XDP counter (-X, implied) counts the answers by
 * their origin timestamp without opening them.  The servers keep no state
 * per request (RFC 8915 leaves replay to the client), so a request sent
 * again is answered again.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "ntp_load_rx.h"
#include "nts_client.h"

#define BATCH		64
#define FRAME_MAX	512	/* an NTS request with its cookie: 232 bytes of NTP */
#define MAX_SENDERS	16
#define SEQ_RING	LOAD_SEQ_RING	/* send times kept for latency */
/* -Z at most: 128 MiB of frames, and well inside the XDP counter's ring */
#define PRESEALED_MAX	(1u << 18)

struct cfg {
	const char *ifname;
	uint8_t dst_mac[6];
	int family;
	uint8_t dst[16];
	uint8_t prefix[16];
	int prefix_len;
	unsigned int clients;
	uint16_t port;
	double rate_start, rate_max, factor, step_s;
	uint64_t max_packets;
	double max_seconds;
	bool malformed;		/* -M: every frame broken, in turn, one of four ways */
	const char *nts_ca;	/* -N: NTS, trusting this CA for the key exchange */
	uint16_t nts_port;	/* -K: the key exchange's port */
	unsigned int presealed;	/* -Z: NTS requests sealed once, sent round-robin; 0 off */
};

static struct {
	struct cfg cfg;
	int fd;
	uint8_t src_mac[6];
	uint32_t magic;
	uint64_t *sent_ns;		/* by seq % SEQ_RING */
	uint8_t *seen;			/* bitmap by seq % SEQ_RING */
	volatile uint64_t answered, invalid, late;
	volatile uint64_t duplicate;	/* answered twice (counted in invalid too) */
	volatile uint64_t answered_total, invalid_total;	/* over all steps */
	volatile uint64_t step_first_seq;
	volatile bool stop;
	uint64_t hist[LOAD_LAT_SLOTS];	/* by load_lat_slot() */
	pthread_mutex_t hist_lock;
	struct nts_session nts;		/* -N: keys and cookies, read-only after the exchange */
	volatile uint64_t nts_naks, nts_unverified;	/* over all steps */
	uint8_t (*sealed)[FRAME_MAX];	/* -Z: the pre-sealed frames, by sequence % COUNT */
	uint16_t *sealed_len;
} g;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Only what our namespaces use: TEST-NET-1, the benchmarking /15, 2001:db8::/32. */
static bool destination_allowed(int family, const uint8_t *a)
{
	if (family == AF_INET)
		return (a[0] == 192 && a[1] == 0 && a[2] == 2) ||
		       (a[0] == 198 && (a[1] & 0xfe) == 18);
	return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8;
}

static void client_addr(unsigned int i, uint8_t *out)
{
	size_t alen = g.cfg.family == AF_INET ? 4 : 16;
	uint32_t v;

	memcpy(out, g.cfg.prefix, alen);
	/* the client index goes into the last 32 bits of the prefix */
	memcpy(&v, out + alen - 4, 4);
	v = htonl(ntohl(v) + i + 1);
	memcpy(out + alen - 4, &v, 4);
}

/* The request's UID under -N: our magic and its sequence number, so an
 * answer is checked without keeping anything per request. */
static void nts_uid(uint64_t seq, uint8_t uid[NTS_CLIENT_UID_LEN])
{
	memset(uid, 0, NTS_CLIENT_UID_LEN);
	memcpy(uid, &g.magic, sizeof(g.magic));
	memcpy(uid + 8, &seq, sizeof(seq));
}

/* The NTP part of a frame: 48 bytes, or an NTS request sealed now. */
static size_t build_ntp(uint8_t *pkt, size_t cap, uint64_t seq)
{
	uint64_t xmt = (uint64_t)g.magic << 32 | (uint32_t)seq;	/* stateless validation */
	struct ntp_packet *ntp = (struct ntp_packet *)pkt;
	uint8_t uid[NTS_CLIENT_UID_LEN];

	if (g.cfg.nts_ca) {
		nts_uid(seq, uid);
		return nts_client_seal(&g.nts, (int)(seq % (uint64_t)g.nts.n_cookies), pkt, cap, 0,
				       uid, xmt);
	}
	memset(pkt, 0, NTP_PACKET_LEN);
	ntp->li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT);
	/* -M: a control request (mode 6), version 0, source port 0, and (below)
	 * a bad UDP checksum: each must be dropped or passed, never answered */
	if (g.cfg.malformed && seq % 4 == 0)
		ntp->li_vn_mode = NTP_LI_VN_MODE(0, 2, 6);
	else if (g.cfg.malformed && seq % 4 == 1)
		ntp->li_vn_mode = NTP_LI_VN_MODE(0, 0, NTP_MODE_CLIENT);
	ntp->poll = 6;
	ntp->transmit_ts = htobe64(xmt);
	return NTP_PACKET_LEN;
}

/* A whole frame, f having FRAME_MAX bytes; its length, 0 when the NTP
 * part could not be made (an NTS seal that failed). */
static size_t build_frame(uint8_t *f, unsigned int client, uint64_t seq)
{
	size_t alen = g.cfg.family == AF_INET ? 4 : 16, off = 14;
	size_t udp_off = off + (g.cfg.family == AF_INET ? 20 : 40), ntp_len;
	uint8_t src[16], *udp = f + udp_off;
	uint16_t v;
	uint32_t sum;

	ntp_len = build_ntp(udp + 8, FRAME_MAX - udp_off - 8, seq);
	if (!ntp_len)
		return 0;
	client_addr(client, src);
	memcpy(f, g.cfg.dst_mac, 6);
	memcpy(f + 6, g.src_mac, 6);
	v = htons(g.cfg.family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	memcpy(f + 12, &v, 2);
	if (g.cfg.family == AF_INET) {
		memset(f + off, 0, 20);
		f[off] = 0x45; f[off + 6] = 0x40; f[off + 8] = 64;
		v = htons((uint16_t)(20 + 8 + ntp_len)); memcpy(f + off + 2, &v, 2);
		f[off + 9] = IPPROTO_UDP;
		memcpy(f + off + 12, src, 4);
		memcpy(f + off + 16, g.cfg.dst, 4);
		v = htons((uint16_t)~fold(sum16(f + off, 20, 0)));
		memcpy(f + off + 10, &v, 2);
	} else {
		memset(f + off, 0, 40);
		f[off] = 0x60; f[off + 6] = IPPROTO_UDP; f[off + 7] = 64;
		v = htons((uint16_t)(8 + ntp_len)); memcpy(f + off + 4, &v, 2);
		memcpy(f + off + 8, src, 16);
		memcpy(f + off + 24, g.cfg.dst, 16);
	}
	v = htons((uint16_t)(20000 + client % 40000)); memcpy(udp, &v, 2);
	v = htons(g.cfg.port); memcpy(udp + 2, &v, 2);
	v = htons((uint16_t)(8 + ntp_len)); memcpy(udp + 4, &v, 2);
	memset(udp + 6, 0, 2);
	if (g.cfg.malformed && seq % 4 == 2)
		memset(udp, 0, 2);
	sum = sum16(src, alen, 0);
	sum = sum16(g.cfg.dst, alen, sum);
	sum += IPPROTO_UDP + 8 + (uint32_t)ntp_len;
	/* an odd length: the last byte padded with zero (RFC 768) */
	if (ntp_len % 2)
		sum += (uint32_t)udp[8 + ntp_len - 1] << 8;
	v = htons((uint16_t)~fold(sum16(udp, 8 + ntp_len, sum)));
	if (g.cfg.malformed && seq % 4 == 3)
		v ^= 0x5a5a;
	memcpy(udp + 6, v ? &v : &(uint16_t){ 0xffff }, 2);
	return udp_off + 8 + ntp_len;
}

static void record_latency(uint64_t ns)
{
	pthread_mutex_lock(&g.hist_lock);
	g.hist[load_lat_slot(ns)]++;
	pthread_mutex_unlock(&g.hist_lock);
}

static double percentile_us(double p)
{
	uint64_t total = 0, acc = 0;
	int i;

	for (i = 0; i < LOAD_LAT_SLOTS; i++)
		total += g.hist[i];
	if (!total)
		return NAN;
	for (i = 0; i < LOAD_LAT_SLOTS; i++) {
		acc += g.hist[i];
		if (acc >= p * total) {
			int b = i / LOAD_LAT_SUB, sub = i % LOAD_LAT_SUB;

			return b >= 3 ? (double)((8 + sub) << (b - 3)) : sub;
		}
	}
	return NAN;
}

/* Under -N, an answer counts only once verified as a client verifies it:
 * our UID and origin, the authenticator opened under S2C.  True without -N. */
static bool nts_verified(const uint8_t *udp, const uint8_t *end, uint64_t seq)
{
	uint8_t uid[NTS_CLIENT_UID_LEN];
	size_t udp_len = (size_t)(udp[4] << 8 | udp[5]);
	int n_cookies;

	if (!g.cfg.nts_ca)
		return true;
	if (udp_len < 8 + NTP_PACKET_LEN || udp + udp_len > end) {
		g.nts_unverified++;
		return false;
	}
	nts_uid(seq, uid);
	switch (nts_client_check(&g.nts, udp + 8, udp_len - 8, uid,
				 (uint64_t)g.magic << 32 | (uint32_t)seq, 0, &n_cookies)) {
	case NTS_ANSWER_OK:
		return true;
	case NTS_ANSWER_NAK:
		g.nts_naks++;
		return false;
	default:
		g.nts_unverified++;
		return false;
	}
}

/* One frame off the wire: ours if it is UDP from the server's port. */
static void check_frame(const uint8_t *f, size_t len, uint64_t t)
{
	size_t off = 14, alen = g.cfg.family == AF_INET ? 4 : 16;
	const uint8_t *ip = f + off, *udp, *src;
	const struct ntp_packet *ntp;
	uint64_t origin, seq;

	if (len < 14 + 8 + NTP_PACKET_LEN)
		return;
	if (g.cfg.family == AF_INET) {
		if (f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_UDP)
			return;
		udp = ip + (ip[0] & 15) * 4;
		src = ip + 12;
	} else {
		if (f[12] != 0x86 || f[13] != 0xdd || ip[6] != IPPROTO_UDP)
			return;
		udp = ip + 40;
		src = ip + 8;
	}
	if ((size_t)(udp - f) + 8 + NTP_PACKET_LEN > len || memcmp(src, g.cfg.dst, alen) ||
	    (udp[0] << 8 | udp[1]) != g.cfg.port)
		return;	/* our own requests, or other traffic */
	ntp = (const struct ntp_packet *)(udp + 8);
	origin = be64toh(ntp->origin_ts);
	seq = origin & 0xffffffffu;
	/* another generator's answer on the same interface: not ours to judge
	 * (an answer of ours with a mangled origin shows up as loss) */
	if ((origin >> 32) != g.magic)
		return;
	if (NTP_MODE(ntp->li_vn_mode) != NTP_MODE_SERVER || !nts_verified(udp, f + len, seq)) {
		g.invalid++;
		g.invalid_total++;
		return;
	}
	/* atomic: the sender clears bits of the same byte for new sequence
	 * numbers; a plain |= here could write back bits it had just cleared
	 * (from the previous lap of the ring) and flag a first answer twice */
	if (__atomic_fetch_or(&g.seen[(seq % SEQ_RING) / 8], (uint8_t)(1u << (seq % 8)),
			      __ATOMIC_RELAXED) & (1u << (seq % 8))) {
		g.duplicate++;
		g.invalid++;
		g.invalid_total++;
		return;
	}
	if (seq < g.step_first_seq) {
		g.late++;	/* answer to an earlier step */
		return;
	}
	g.answered++;
	g.answered_total++;
	record_latency(t - g.sent_ns[seq % SEQ_RING]);
}

static void *receiver(void *arg)
{
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int i, n;

	(void)arg;
	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (!g.stop) {
		struct pollfd p = { .fd = g.fd, .events = POLLIN };

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvmmsg(g.fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		uint64_t t = now_ns();

		for (i = 0; i < n; i++)
			check_frame(bufs[i], msgs[i].msg_len, t);
	}
	return NULL;
}

static int parse_prefix(const char *s, struct cfg *c)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	c->prefix_len = atoi(slash + 1);
	return inet_pton(c->family, buf, c->prefix) == 1 ? 0 : -1;
}

/* One sender's share of a step: every frame with seq = first + k * stride,
 * paced to rate, for step_s seconds.  Each sender has its own socket, so
 * several can run on different cores without sharing a lock in the kernel. */
struct sender {
	pthread_t thread;
	int fd;
	uint64_t first, stride;	/* sequence numbers this sender owns */
	double rate, step_s;
	uint64_t sent;
	uint8_t frames[BATCH][FRAME_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
};

static void *send_step(void *arg)
{
	struct sender *s = arg;
	uint64_t step_start = now_ns(), target, seq;
	double elapsed;
	int i;

	s->sent = 0;
	while (!g.stop) {
		elapsed = (double)(now_ns() - step_start) / 1e9;
		/* the step's last frames go at its end: rate x length in all */
		target = (uint64_t)llround(s->rate * (elapsed < s->step_s ? elapsed : s->step_s));
		if ((elapsed >= s->step_s && s->sent >= target) || elapsed > s->step_s + 0.1)
			break;	/* all sent, or a full queue kept refusing them */
		if (s->sent >= target) {
			struct timespec nap = { 0, 20000 };

			nanosleep(&nap, NULL);
			continue;
		}
		int n = target - s->sent > BATCH ? BATCH : (int)(target - s->sent);
		uint64_t t = now_ns();

		for (i = 0; i < n; i++) {
			seq = s->first + (s->sent + (uint64_t)i) * s->stride;
			if (g.cfg.presealed) {
				/* the frame's own sequence number is what its answer's
				 * origin carries back to the counter */
				seq %= g.cfg.presealed;
				s->iov[i] = (struct iovec){ g.sealed[seq], g.sealed_len[seq] };
			} else {
				size_t len = build_frame(s->frames[i],
							 (unsigned int)(seq % g.cfg.clients), seq);

				if (!len) {
					fprintf(stderr, "ntp-load: an NTS request could not be sealed\n");
					g.stop = true;
					n = i;	/* those built so far still go */
					break;
				}
				s->iov[i] = (struct iovec){ s->frames[i], len };
			}
			s->msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &s->iov[i], .msg_iovlen = 1 } };
			g.sent_ns[seq % SEQ_RING] = t;
			__atomic_fetch_and(&g.seen[(seq % SEQ_RING) / 8],
					   (uint8_t)~(1u << (seq % 8)), __ATOMIC_RELAXED);
		}
		int done = sendmmsg(s->fd, s->msgs, (unsigned int)n, 0);

		if (done < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;	/* the queue is full: that is loss at the sender */
			perror("ntp-load: sendmmsg");
			g.stop = true;
			break;
		}
		s->sent += (uint64_t)done;
	}
	return NULL;
}

/* A send-only packet socket (protocol 0: it receives nothing) on ifindex. */
static int open_sender(int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW, 0), one = 1;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("ntp-load: sender socket");
		return -1;
	}
	/* straight to the driver: the qdisc would be the bottleneck, not the server */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	return fd;
}

static void usage(void)
{
	fprintf(stderr,
"usage: ntp-load -i IFACE -m SERVER_MAC -d SERVER_IP -s CLIENT_PREFIX [options]\n"
"  -c N          distinct clients (source addresses) (default 1024)\n"
"  -p PORT       server port (default 123)\n"
"  -r RATE       first step, requests/s (default 10000)\n"
"  -R RATE       stop after the step at this rate (default 2000000)\n"
"  -f FACTOR     rate factor per step (default 1.5)\n"
"  -t SECONDS    step length (default 2)\n"
"  -n PACKETS    total packets at most (default 50000000)\n"
"  -T SECONDS    total run time at most (default 300)\n"
"  -P THREADS    sender threads, each with its own socket (default 1)\n"
"  -X            validate and count answers in an XDP program on IFACE (in\n"
"                place of what is attached there, put back at the end)\n"
"                rather than through a packet socket: no sk_buff per answer\n"
"  -M            malformed frames only (mode 6, version 0, source port 0, bad\n"
"                UDP checksum, in turn): none should be answered\n"
"  -N CA.pem     NTS: a key exchange with SERVER_IP first (trusting CA.pem),\n"
"                then every request sealed anew and every answer's\n"
"                authenticator opened; only verified answers count\n"
"  -K PORT       the NTS key exchange's TCP port (default 4460; needs -N)\n"
"  -Z COUNT      with -N: COUNT requests sealed once after the key exchange\n"
"                (own UIDs, the cookies in turn) and sent round-robin; answers\n"
"                counted in XDP (-X implied) by their origin, NOT verified.\n"
"                COUNT / rate must exceed the slowest answer's time, or that\n"
"                answer counts for the request's next send (1-%u)\n"
"Stops after two consecutive steps above 1%% loss.\n", PRESEALED_MAX);
	exit(2);
}

/* A flag that cannot work: said, naming it, and exit status 2. */
static int __attribute__((format(printf, 1, 2))) flag_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ntp-load: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* NTS flags that cannot work, refused before anything is sent. */
static int check_nts_flags(const struct cfg *c, bool xdp_rx)
{
	FILE *f;

	if (!c->nts_ca && c->presealed)
		return flag_error("-Z %u: pre-sealed requests need -N CA.pem", c->presealed);
	if (!c->nts_ca)
		return c->nts_port ? flag_error("-K %u: the key exchange port needs -N CA.pem",
						c->nts_port) : 0;
	if (xdp_rx && !c->presealed)
		return flag_error("-N with -X: NTS answers are verified here, by opening their "
				  "authenticator, which the XDP counter cannot do (-Z COUNT: "
				  "pre-sealed requests, answers counted unverified)");
	if (c->malformed)
		return flag_error("-N with -M: the malformed frames are plain NTP");
	f = fopen(c->nts_ca, "r");
	if (!f)
		return flag_error("-N %s: cannot read the CA file", c->nts_ca);
	fclose(f);
	return 0;
}

/* -Z: every request sealed once, into a whole frame; 0 or -errno. */
static int preseal(void)
{
	unsigned int k;
	size_t len;

	g.sealed = calloc(g.cfg.presealed, sizeof(*g.sealed));
	g.sealed_len = calloc(g.cfg.presealed, sizeof(*g.sealed_len));
	if (!g.sealed || !g.sealed_len)
		return -ENOMEM;
	for (k = 0; k < g.cfg.presealed; k++) {
		len = build_frame(g.sealed[k], k % g.cfg.clients, k);
		if (!len) {
			fprintf(stderr, "ntp-load: pre-sealed request %u could not be sealed\n", k);
			return -EINVAL;
		}
		g.sealed_len[k] = (uint16_t)len;
	}
	printf("nts: %u requests pre-sealed, sent round-robin; answers counted in XDP, "
	       "not verified\n", g.cfg.presealed);
	return 0;
}

/* Keys and cookies from the server's key exchange, to the address we load. */
static int nts_key_exchange(const char *dst)
{
	char err[256];
	uint16_t port = g.cfg.nts_port ? g.cfg.nts_port : 4460;

	if (nts_client_ke(dst, port, g.cfg.nts_ca, &g.nts, err, sizeof(err))) {
		fprintf(stderr, "ntp-load: NTS key exchange with %s port %u: %s\n", dst, port, err);
		return -1;
	}
	if (g.nts.server[0] || g.nts.port)
		fprintf(stderr, "ntp-load: the key exchange names NTP server %s port %u; "
			"loading %s port %u as asked\n", g.nts.server[0] ? g.nts.server : dst,
			g.nts.port ? g.nts.port : g.cfg.port, dst, g.cfg.port);
	printf("nts: key exchange with %s port %u: %d cookies of %u bytes\n", dst, port,
	       g.nts.n_cookies, g.nts.cookie_len[0]);
	return 0;
}

int main(int argc, char **argv)
{
	struct cfg *c = &g.cfg;
	const char *dst = NULL, *prefix = NULL;
	static struct sender senders[MAX_SENDERS];
	struct sockaddr_ll sll = { 0 };
	struct ifreq ifr = { 0 };
	pthread_t rx;
	uint64_t seq = 0, total_sent = 0, run_start;
	double rate, best_rate = 0;
	int opt, i, over = 0, nsenders = 1;
	bool xdp_rx = false;
	struct load_rx_stats rx0, rx1;

	*c = (struct cfg){ .clients = 1024, .port = 123, .rate_start = 10000, .rate_max = 2e6,
			   .factor = 1.5, .step_s = 2, .max_packets = 50000000, .max_seconds = 300 };
	while ((opt = getopt(argc, argv, "i:m:d:s:c:p:r:R:f:t:n:T:MP:XN:K:Z:")) != -1) {
		switch (opt) {
		case 'i': c->ifname = optarg; break;
		case 'm':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &c->dst_mac[0], &c->dst_mac[1],
				   &c->dst_mac[2], &c->dst_mac[3], &c->dst_mac[4], &c->dst_mac[5]) != 6)
				usage();
			break;
		case 'd': dst = optarg; break;
		case 's': prefix = optarg; break;
		case 'c': c->clients = (unsigned int)atoi(optarg); break;
		case 'M': c->malformed = true; break;
		case 'P': nsenders = atoi(optarg); break;
		case 'X': xdp_rx = true; break;
		case 'p': c->port = (uint16_t)atoi(optarg); break;
		case 'r': c->rate_start = atof(optarg); break;
		case 'R': c->rate_max = atof(optarg); break;
		case 'f': c->factor = atof(optarg); break;
		case 't': c->step_s = atof(optarg); break;
		case 'n': c->max_packets = strtoull(optarg, NULL, 10); break;
		case 'T': c->max_seconds = atof(optarg); break;
		case 'N': c->nts_ca = optarg; break;
		case 'K':
			if (parse_port(optarg, &c->nts_port))
				return flag_error("-K %s: not a TCP port (1-65535)", optarg);
			break;
		case 'Z': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (!*optarg || *end || *optarg == '-' || v < 1 || v > PRESEALED_MAX)
				return flag_error("-Z %s: not a count of requests (1-%u)", optarg,
						  PRESEALED_MAX);
			c->presealed = (unsigned int)v;
			break;
		}
		default: usage();
		}
	}
	if (!c->ifname || !dst || !prefix || c->clients == 0 || c->factor <= 1 || c->step_s <= 0 ||
	    nsenders < 1 || nsenders > MAX_SENDERS)
		usage();
	c->family = strchr(dst, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, dst, c->dst) != 1 || parse_prefix(prefix, c))
		usage();
	if (!destination_allowed(c->family, c->dst) || !destination_allowed(c->family, c->prefix)) {
		fprintf(stderr, "ntp-load: %s or %s is outside the test ranges (192.0.2.0/24, "
			"198.18.0.0/15, 2001:db8::/32): refusing\n", dst, prefix);
		return 2;
	}
	if (check_nts_flags(c, xdp_rx))
		return 2;
	/* pre-sealed answers are not opened: counting them in XDP costs less */
	if (c->presealed)
		xdp_rx = true;
	/* with -X the answers are counted in XDP: this socket then only names
	 * the interface (protocol 0 receives nothing) */
	uint16_t capture = xdp_rx ? 0 : htons(ETH_P_ALL);

	g.fd = socket(AF_PACKET, SOCK_RAW, capture);
	if (g.fd < 0) {
		perror("ntp-load: socket(AF_PACKET)");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->ifname);
	if (ioctl(g.fd, SIOCGIFHWADDR, &ifr)) {
		perror(c->ifname);
		return 1;
	}
	memcpy(g.src_mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = capture;
	sll.sll_ifindex = (int)if_nametoindex(c->ifname);
	if (bind(g.fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("ntp-load: bind");
		return 1;
	}
	int rcvbuf = 32 << 20, one = 1;

	for (i = 0; i < nsenders; i++)
		if ((senders[i].fd = open_sender(sll.sll_ifindex)) < 0)
			return 1;
	if (capture) {
		/* our own requests would come back to an ETH_P_ALL socket: half
		 * the receive work, and CPU charged to every server alike */
		setsockopt(g.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
		setsockopt(g.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	}
	if (getrandom(&g.magic, sizeof(g.magic), 0) != sizeof(g.magic))
		return 1;
	if (c->nts_ca && nts_key_exchange(dst))
		return 1;
	if (c->presealed && preseal())
		return 1;
	if (xdp_rx) {
		if (load_rx_open(sll.sll_ifindex, g.magic, c->family == AF_INET6, c->dst,
				 htons(c->port), c->presealed != 0, &g.sent_ns, &g.seen))
			return 1;
	} else {
		g.sent_ns = calloc(SEQ_RING, sizeof(*g.sent_ns));
		g.seen = calloc(SEQ_RING / 8, 1);
		if (!g.sent_ns || !g.seen)
			return 1;
	}
	pthread_mutex_init(&g.hist_lock, NULL);
	if (!xdp_rx)
		pthread_create(&rx, NULL, receiver, NULL);

	printf("| offered/s | answered/s | loss %% | invalid %% | p50 us | p99 us | p99.9 us |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	run_start = now_ns();
	for (rate = c->rate_start; rate <= c->rate_max * 1.0001; rate *= c->factor) {
		uint64_t step_start, step_first = seq, sent = 0, answered, invalid;
		double elapsed;

		if (total_sent + (uint64_t)(rate * c->step_s) > c->max_packets ||
		    (now_ns() - run_start) / 1e9 + c->step_s > c->max_seconds)
			break;
		memset(g.hist, 0, sizeof(g.hist));
		g.step_first_seq = step_first;
		g.answered = g.invalid = 0;
		if (xdp_rx) {
			/* pre-sealed sequence numbers repeat: none is of an earlier step */
			load_rx_set_step(c->presealed ? 0 : step_first);
			if (load_rx_read(&rx0))
				break;
		}
		step_start = now_ns();
		for (i = 0; i < nsenders; i++) {
			senders[i].first = seq + (uint64_t)i;
			senders[i].stride = (uint64_t)nsenders;
			senders[i].rate = rate / nsenders;
			senders[i].step_s = c->step_s;
			pthread_create(&senders[i].thread, NULL, send_step, &senders[i]);
		}
		/* a sender that fell behind leaves a gap in its stride: the next
		 * step starts past the furthest sequence number any of them used */
		uint64_t most = 0;

		for (i = 0; i < nsenders; i++) {
			pthread_join(senders[i].thread, NULL);
			sent += senders[i].sent;
			if (senders[i].sent > most)
				most = senders[i].sent;
		}
		seq += most * (uint64_t)nsenders;
		total_sent += sent;
		/* let the last answers arrive: bounded, 200 ms */
		struct timespec drain = { 0, 200000000 };

		nanosleep(&drain, NULL);
		elapsed = (now_ns() - step_start) / 1e9 - 0.2;
		if (xdp_rx && !load_rx_read(&rx1)) {
			g.answered = rx1.answered - rx0.answered;
			g.invalid = rx1.invalid - rx0.invalid;
			for (i = 0; i < LOAD_LAT_SLOTS; i++)
				g.hist[i] = rx1.hist[i] - rx0.hist[i];
			g.answered_total = rx1.answered;
			g.invalid_total = rx1.invalid;
			g.late = rx1.late;
			g.duplicate = rx1.duplicate;
			g.nts_naks = rx1.kiss;
		}
		answered = g.answered;
		invalid = g.invalid;
		double loss = sent ? 100.0 * (1 - (double)answered / sent) : 100;

		printf("| %.0f | %.0f | %.2f | %.3f | %.0f | %.0f | %.0f |\n", sent / elapsed,
		       answered / elapsed, loss < 0 ? 0 : loss, sent ? 100.0 * invalid / sent : 0,
		       percentile_us(0.5), percentile_us(0.99), percentile_us(0.999));
		fflush(stdout);
		if (loss < 1) {
			if (answered / elapsed > best_rate)
				best_rate = answered / elapsed;
			over = 0;
		} else if (++over == 2) {
			break;
		}
	}
	g.stop = true;
	if (xdp_rx)
		load_rx_close();
	else
		pthread_join(rx, NULL);
	printf("\nmax answered rate at <1%% loss: %.0f/s\n", best_rate);
	/* exact counts, for scripts that need them rather than rates */
	printf("total: sent %llu answered %llu invalid %llu late %llu duplicate %llu\n",
	       (unsigned long long)total_sent, (unsigned long long)g.answered_total,
	       (unsigned long long)g.invalid_total, (unsigned long long)g.late,
	       (unsigned long long)g.duplicate);
	if (c->presealed)
		printf("nts: pre-sealed, not verified: answered %llu kiss %llu\n",
		       (unsigned long long)g.answered_total, (unsigned long long)g.nts_naks);
	else if (c->nts_ca)
		printf("nts: verified %llu naks %llu unverified %llu\n",
		       (unsigned long long)g.answered_total, (unsigned long long)g.nts_naks,
		       (unsigned long long)g.nts_unverified);
	return 0;
}
