// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nts_probe: an NTS client for the tests (bench/nts_client.c does the
 * protocol).  Key exchange (or a session saved by an earlier run), then N
 * NTS requests, each answer checked as a client checks it, one line each:
 *
 *	answer req=R resp=A cookies=C stratum=S li=L offset=SECONDS
 *	nak req=R resp=A		(kiss NTSN: the cookie did not open)
 *	none req=R			(no answer within -w ms)
 *	bad req=R resp=A		(an answer a client must discard)
 *
 * -m tamper-request flips the last byte of each request's transmit
 * timestamp after it was authenticated; -m truncate cuts 4 bytes off the
 * authenticator; -m replay sends each request twice; -m tamper-answer
 * flips each byte of each answer in turn and prints how many of those a
 * client would have accepted ("tampered accepted=K of M").
 * -R HEX sends the key-exchange request HEX (records, as they are) and
 * prints the answer's records, one line each: "record type=T critical=C
 * len=L", and "error code=N" for an Error record (for tests of the
 * server's refusals; no NTP follows).
 * Exit 3 when an answer was longer than its request, 1 on a failed key
 * exchange, 2 on bad usage.
 */
#include "nts_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NTP_UNIX_OFFSET 2208988800ull

static uint64_t ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET) << 32 |
	       (uint64_t)(((double)ts.tv_nsec / 1e9) * 4294967296.0);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static double ts_diff(uint64_t a, uint64_t b)
{
	return (double)(int64_t)(a - b) / 4294967296.0;
}

static int udp_socket(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof(*sin);
	int fd;

	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send and wait; the answer's length, 0 for none. */
static ssize_t exchange(int fd, const uint8_t *req, size_t len, uint8_t *ans, size_t cap,
			int wait_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (send(fd, req, len, 0) != (ssize_t)len)
		return -1;
	if (poll(&pfd, 1, wait_ms) != 1)
		return 0;
	n = recv(fd, ans, cap, 0);
	return n < 0 ? 0 : n;
}

struct probe {
	struct nts_session s;
	const char *mode;
	int fd, wait_ms, placeholders;
	int longer;		/* answers longer than their request */
};

static void one(struct probe *p)
{
	uint8_t req[1024], ans[2048], copy[2048], uid[NTS_CLIENT_UID_LEN];
	uint64_t t1 = ntp_now(), t4;
	size_t len = nts_client_request(&p->s, req, sizeof(req), p->placeholders, uid, t1);
	int sends = !strcmp(p->mode, "replay") ? 2 : 1, n_cookies;
	ssize_t got;

	if (!len) {
		printf("nocookie\n");
		return;
	}
	if (!strcmp(p->mode, "tamper-request"))
		req[47] ^= 1;
	if (!strcmp(p->mode, "truncate"))
		len -= 4;
	for (int k = 0; k < sends; k++) {
		got = exchange(p->fd, req, len, ans, sizeof(ans), p->wait_ms);
		t4 = ntp_now();
		if (got <= 0) {
			printf("none req=%zu\n", len);
			continue;
		}
		if ((size_t)got > len)
			p->longer++;
		if (!strcmp(p->mode, "tamper-answer")) {
			int accepted = 0;

			for (ssize_t i = 0; i < got; i++) {
				memcpy(copy, ans, (size_t)got);
				copy[i] ^= 0x01;
				accepted += nts_client_check(&p->s, copy, (size_t)got, uid, t1, 0,
							     &n_cookies) == NTS_ANSWER_OK;
			}
			printf("tampered accepted=%d of %zd\n", accepted, got);
		}
		switch (nts_client_check(&p->s, ans, (size_t)got, uid, t1, k == 0, &n_cookies)) {
		case NTS_ANSWER_OK:
			printf("answer req=%zu resp=%zd cookies=%d stratum=%u li=%u offset=%.6f\n",
			       len, got, n_cookies, ans[1], ans[0] >> 6,
			       (ts_diff(get64(ans + 32), t1) + ts_diff(get64(ans + 40), t4)) / 2);
			break;
		case NTS_ANSWER_NAK:
			printf("nak req=%zu resp=%zd\n", len, got);
			break;
		default:
			printf("bad req=%zu resp=%zd\n", len, got);
		}
	}
}

/*
 * -m load: RATE requests/s for SECONDS over the one session (the cookie is
 * reused: the server keeps no state, and each request is still sealed
 * anew with its own transmit timestamp), answers drained as they come;
 * prints "load offered=N/s answered=N/s loss=P%".  A load generator for
 * bench/nts-bench, not a client.
 */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void load_run(struct probe *p, double rate, double seconds)
{
	uint8_t req[1024], ans[2048], uid[NTS_CLIENT_UID_LEN];
	uint64_t start = mono_ns(), end = start + (uint64_t)(seconds * 1e9), now, sent = 0, got = 0;
	uint64_t drain_until;
	ssize_t n;
	size_t len;

	while ((now = mono_ns()) < end) {
		/* the schedule: request k leaves at start + k / rate */
		while (sent < (uint64_t)((double)(now - start) * rate / 1e9)) {
			p->s.n_cookies = 1;	/* the same cookie each time */
			len = nts_client_request(&p->s, req, sizeof(req), 0, uid,
						 (uint64_t)0x4e545300 << 32 | sent);
			if (!len || send(p->fd, req, len, MSG_DONTWAIT) < 0)
				break;
			sent++;
		}
		while ((n = recv(p->fd, ans, sizeof(ans), MSG_DONTWAIT)) > 0)
			if (n >= 48 && (ans[0] & 7) == 4 && ans[24] == 0x4e && ans[25] == 0x54)
				got++;
	}
	drain_until = mono_ns() + 200000000ull;	/* answers in flight at the end */
	while (mono_ns() < drain_until)
		while ((n = recv(p->fd, ans, sizeof(ans), MSG_DONTWAIT)) > 0)
			if (n >= 48 && (ans[0] & 7) == 4)
				got++;
	printf("load offered=%.0f/s answered=%.0f/s loss=%.2f%% sent=%llu got=%llu\n",
	       (double)sent / seconds, (double)got / seconds,
	       sent ? 100.0 * (double)(sent - got) / (double)sent : 0.0,
	       (unsigned long long)sent, (unsigned long long)got);
}

static int raw_ke(const char *addr, uint16_t port, const char *ca, const char *hex)
{
	uint8_t req[1024], ans[4096];
	size_t len = strlen(hex) / 2, n, off, body;
	char err[256];
	unsigned int byte;

	if (strlen(hex) % 2 || len > sizeof(req)) {
		fprintf(stderr, "nts_probe: -R wants an even number of hex digits, at most 2048\n");
		return 2;
	}
	for (off = 0; off < len; off++) {
		if (sscanf(hex + 2 * off, "%2x", &byte) != 1) {
			fprintf(stderr, "nts_probe: -R: not hex at %zu\n", 2 * off);
			return 2;
		}
		req[off] = (uint8_t)byte;
	}
	if (nts_client_ke_raw(addr, port, ca, req, len, ans, sizeof(ans), &n, err, sizeof(err))) {
		printf("ke failed: %s\n", err);
		return 1;
	}
	for (off = 0; off + 4 <= n; off += 4 + body) {
		uint16_t type = (uint16_t)(ans[off] << 8 | ans[off + 1]);

		body = (size_t)(ans[off + 2] << 8 | ans[off + 3]);
		printf("record type=%u critical=%u len=%zu\n", type & 0x7fff, type >> 15, body);
		if ((type & 0x7fff) == 2 && body == 2)
			printf("error code=%u\n", ans[off + 4] << 8 | ans[off + 5]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct probe p = { .mode = "normal", .wait_ms = 1000 };
	const char *ke_addr = NULL, *ca = NULL, *ntp_addr = NULL, *save = NULL, *load = NULL;
	const char *raw = NULL;
	int opt, n = 1, ke_port = 4460, ntp_port = 0;
	double rate = 1000, seconds = 1;
	char err[256];
	FILE *f;

	/* a server that closes at once (refused/busy) must show as a failed
	 * key exchange, not kill us on the ClientHello's write */
	signal(SIGPIPE, SIG_IGN);

	while ((opt = getopt(argc, argv, "k:p:c:s:u:n:P:m:S:L:w:r:T:R:")) != -1) {
		switch (opt) {
		case 'k': ke_addr = optarg; break;
		case 'p': ke_port = atoi(optarg); break;
		case 'c': ca = optarg; break;
		case 's': ntp_addr = optarg; break;
		case 'u': ntp_port = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'P': p.placeholders = atoi(optarg); break;
		case 'm': p.mode = optarg; break;
		case 'S': save = optarg; break;
		case 'L': load = optarg; break;
		case 'w': p.wait_ms = atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'T': seconds = atof(optarg); break;
		case 'R': raw = optarg; break;
		default:
			fprintf(stderr, "usage: nts_probe -k ADDR -c CA.pem [-p PORT] [-s NTPADDR] "
					"[-u NTPPORT] [-n N] [-P N] [-m MODE] [-S|-L FILE] [-w MS] [-R HEX]\n");
			return 2;
		}
	}
	if (raw)
		return ke_addr && ca ? raw_ke(ke_addr, (uint16_t)ke_port, ca, raw) : 2;
	if (load) {
		f = fopen(load, "rb");
		if (!f || fread(&p.s, sizeof(p.s), 1, f) != 1) {
			fprintf(stderr, "nts_probe: cannot read %s\n", load);
			return 1;
		}
		fclose(f);
	} else {
		if (!ke_addr || !ca)
			return 2;
		if (nts_client_ke(ke_addr, (uint16_t)ke_port, ca, &p.s, err, sizeof(err))) {
			printf("ke failed: %s\n", err);
			return 1;
		}
		printf("ke cookies=%d server=%s port=%u\n", p.s.n_cookies,
		       p.s.server[0] ? p.s.server : "-", p.s.port);
	}
	if (save) {
		f = fopen(save, "wb");
		if (!f || fwrite(&p.s, sizeof(p.s), 1, f) != 1)
			return 1;
		fclose(f);
	}
	if (!ntp_addr)
		ntp_addr = p.s.server[0] ? p.s.server : ke_addr;
	if (!ntp_port)
		ntp_port = p.s.port ? p.s.port : 123;
	p.fd = udp_socket(ntp_addr, (uint16_t)ntp_port);
	if (p.fd < 0) {
		fprintf(stderr, "nts_probe: cannot reach %s\n", ntp_addr);
		return 2;
	}
	if (!strcmp(p.mode, "load")) {
		int buf = 4 << 20;

		setsockopt(p.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		load_run(&p, rate, seconds > 30 ? 30 : seconds);	/* bounded */
		return 0;
	}
	for (int i = 0; i < n; i++)
		one(&p);
	fflush(stdout);
	return p.longer ? 3 : 0;
}
