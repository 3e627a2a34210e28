// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ntp_fakeserver: a deliberately bad upstream for the agent's tests.  It
 * answers NTP client requests with its clock shifted by -o seconds, a chosen
 * stratum and leap indicator, or a kiss-o'-death code.  Bounded: it exits
 * after -n answers or -T seconds, whichever comes first.
 *
 * It is also a known clock for tests of served time against truth: with
 * -r PPM its clock runs at (1 + PPM * 1e-6) against the host's,
 *   time = host_t0 + offset + (host_now - host_t0) * (1 + PPM * 1e-6),
 * where host_t0 is the host's CLOCK_REALTIME at start, printed on the
 * "listening" line.  Every namespace shares the host's kernel clock, so
 * a test knows exactly what this server's time is at any host instant.
 * -G makes it a good stratum 1 (refid GPS, root delay 0, root dispersion
 * 2^-16 s), so that the bound a daemon advertises is its own, not ours.
 *
 * For the client's hardening tests: -L prints each request's source port and
 * transmit timestamp; -X sends, before each real answer, a spoofed
 * kiss-o'-death DENY from the right address and port whose origin timestamp
 * is not the request's (what an off-path attacker who guessed the port sends).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ntp_proto.h"

static void usage(void)
{
	fprintf(stderr, "usage: ntp_fakeserver -a ADDR -p PORT [-o OFFSET_S] [-s STRATUM] "
		"[-l LEAP] [-k RATE|DENY|RSTR] [-m MODE] [-n MAX_ANSWERS] [-T MAX_SECONDS] "
		"[-r PPM] [-G] [-v] [-L] [-X]\n"
		"  -m MODE  answer in this NTP mode instead of 4 (a broken server)\n"
		"  -r PPM   our clock runs PPM parts per million fast against the host's\n"
		"  -G       a good stratum 1: refid GPS, root delay 0, root dispersion 2^-16 s\n"
		"  -v       print the host time of every answer\n"
		"  -L       print every request's source port and transmit timestamp\n"
		"  -X       before each answer, a KoD DENY with a wrong origin timestamp\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *kiss = NULL;
	long max_answers = 100000, max_seconds = 600;
	double offset = 0, ppm = 0;
	int port = 0, stratum = 2, leap = 0, answer_mode = NTP_MODE_SERVER, c, fd, one = 1;
	int good = 0, verbose = 0, log_requests = 0, spoof = 0;
	struct sockaddr_storage ss = { 0 };
	struct timespec t0;
	socklen_t ss_len;
	time_t start = time(NULL);
	__s64 t0_ns;

	clock_gettime(CLOCK_REALTIME, &t0);
	t0_ns = (__s64)t0.tv_sec * (__s64)NSEC_PER_SEC_U64 + t0.tv_nsec;
	while ((c = getopt(argc, argv, "a:p:o:s:l:k:n:T:m:r:GvLX")) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'o': offset = atof(optarg); break;
		case 's': stratum = atoi(optarg); break;
		case 'l': leap = atoi(optarg); break;
		case 'k': kiss = optarg; break;
		case 'n': max_answers = atol(optarg); break;
		case 'T': max_seconds = atol(optarg); break;
		case 'm': answer_mode = atoi(optarg) & 7; break;
		case 'r': ppm = atof(optarg); break;
		case 'G': good = 1; stratum = 1; break;
		case 'v': verbose = 1; break;
		case 'L': log_requests = 1; break;
		case 'X': spoof = 1; break;
		default: usage();
		}
	}
	if (!addr || port <= 0 || (kiss && strlen(kiss) != 4))
		usage();
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		ss_len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		ss_len = sizeof(struct sockaddr_in6);
	} else {
		usage();
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, ss_len)) {
		perror("bind");
		return 1;
	}
	/* tests parse host_t0: seconds.nanoseconds of CLOCK_REALTIME */
	printf("listening host_t0=%lld.%09ld offset=%.9f ppm=%.6f\n", (long long)t0.tv_sec,
	       t0.tv_nsec, offset, ppm);
	fflush(stdout);

	while (max_answers > 0 && time(NULL) - start < max_seconds) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		struct ntp_packet pkt;
		struct timespec now;
		__s64 now_ns;
		ssize_t n;
		__u64 ns;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = recvfrom(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&peer, &peer_len);
		if (n != NTP_PACKET_LEN || NTP_MODE(pkt.li_vn_mode) != NTP_MODE_CLIENT)
			continue;
		if (log_requests) {
			/* both families keep the port at the same offset */
			printf("request port=%u xmt=%016llx\n",
			       ntohs(((struct sockaddr_in *)&peer)->sin_port),
			       (unsigned long long)be64toh(pkt.transmit_ts));
			fflush(stdout);
		}
		if (spoof) {
			struct ntp_packet kod = pkt;

			kod.origin_ts = pkt.transmit_ts ^ htobe64(1);	/* not what was sent */
			kod.li_vn_mode = NTP_LI_VN_MODE(NTP_LEAP_UNSYNC, 4, NTP_MODE_SERVER);
			kod.stratum = 0;
			memcpy(&kod.refid, "DENY", 4);
			sendto(fd, &kod, sizeof(kod), 0, (struct sockaddr *)&peer, peer_len);
		}
		clock_gettime(CLOCK_REALTIME, &now);
		now_ns = (__s64)now.tv_sec * (__s64)NSEC_PER_SEC_U64 + now.tv_nsec;
		/* the drift term in double: 1e12 ns x 100 ppm is 1e8, exact to well under 1 ns */
		ns = (__u64)(now_ns + (__s64)(offset * 1e9) +
			     (__s64)llround((double)(now_ns - t0_ns) * ppm * 1e-6));
		pkt.origin_ts = pkt.transmit_ts;
		pkt.li_vn_mode = NTP_LI_VN_MODE(kiss ? NTP_LEAP_UNSYNC : leap, 4, answer_mode);
		pkt.stratum = kiss ? 0 : (__u8)stratum;
		pkt.poll = 4;
		pkt.precision = -20;
		pkt.root_delay = htonl(good ? 0 : 0x00000100);	/* ~4 ms */
		pkt.root_dispersion = htonl(good ? 0x00000001 : 0x00000100);
		if (kiss)
			memcpy(&pkt.refid, kiss, 4);
		else
			memcpy(&pkt.refid, good ? "GPS\0" : "FAKE", 4);
		pkt.reference_ts = bpf_cpu_to_be64(ntp_ts_from_unix_ns(ns - NSEC_PER_SEC_U64));
		pkt.receive_ts = bpf_cpu_to_be64(ntp_ts_from_unix_ns(ns));
		pkt.transmit_ts = pkt.receive_ts;
		sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&peer, peer_len);
		max_answers--;
		if (verbose) {
			printf("answer host=%lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
			fflush(stdout);
		}
	}
	return 0;
}
