// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ntp_fakeserver: a deliberately bad upstream for the agent's tests.  It
 * answers NTP client requests with its clock shifted by -o seconds, a chosen
 * stratum and leap indicator, or a kiss-o'-death code.  Bounded: it exits
 * after -n answers or -T seconds, whichever comes first.
 */
#include <arpa/inet.h>
#include <errno.h>
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
		"[-l LEAP] [-k RATE|DENY|RSTR] [-m MODE] [-n MAX_ANSWERS] [-T MAX_SECONDS]\n"
		"  -m MODE  answer in this NTP mode instead of 4 (a broken server)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *kiss = NULL;
	long max_answers = 100000, max_seconds = 600;
	double offset = 0;
	int port = 0, stratum = 2, leap = 0, answer_mode = NTP_MODE_SERVER, c, fd, one = 1;
	struct sockaddr_storage ss = { 0 };
	socklen_t ss_len;
	time_t start = time(NULL);

	while ((c = getopt(argc, argv, "a:p:o:s:l:k:n:T:m:")) != -1) {
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
	printf("listening\n");
	fflush(stdout);

	while (max_answers > 0 && time(NULL) - start < max_seconds) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		struct ntp_packet pkt;
		struct timespec now;
		ssize_t n;
		__u64 ns;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = recvfrom(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&peer, &peer_len);
		if (n != NTP_PACKET_LEN || NTP_MODE(pkt.li_vn_mode) != NTP_MODE_CLIENT)
			continue;
		clock_gettime(CLOCK_REALTIME, &now);
		ns = (__u64)now.tv_sec * NSEC_PER_SEC_U64 + (__u64)now.tv_nsec +
		     (__u64)(__s64)(offset * 1e9);
		pkt.origin_ts = pkt.transmit_ts;
		pkt.li_vn_mode = NTP_LI_VN_MODE(kiss ? NTP_LEAP_UNSYNC : leap, 4, answer_mode);
		pkt.stratum = kiss ? 0 : (__u8)stratum;
		pkt.poll = 4;
		pkt.precision = -20;
		pkt.root_delay = htonl(0x00000100);	/* ~4 ms */
		pkt.root_dispersion = htonl(0x00000100);
		if (kiss)
			memcpy(&pkt.refid, kiss, 4);
		else
			memcpy(&pkt.refid, "FAKE", 4);
		pkt.reference_ts = bpf_cpu_to_be64(ntp_ts_from_unix_ns(ns - NSEC_PER_SEC_U64));
		pkt.receive_ts = bpf_cpu_to_be64(ntp_ts_from_unix_ns(ns));
		pkt.transmit_ts = pkt.receive_ts;
		sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&peer, peer_len);
		max_answers--;
	}
	return 0;
}
