// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor of any UDP socket server on this path: answers every datagram
 * with its own bytes (mode set to server) and does nothing else: no clock
 * read, no parsing, no policy.  bench/run measures its CPU time per answer
 * beside socket mode's and chronyd's, so the part of their cost that is the
 * kernel's receive and send path, which no socket server can avoid, is
 * measured rather than guessed.  Never a server: it answers anything.
 *
 *   udp-floor ADDR PORT [-s] [-T]
 *     -s  send each batch with one sendmmsg (default: a sendmsg per reply,
 *         as socket mode does)
 *     -T  ask for kernel receive stamps (SO_TIMESTAMPNS), as socket mode does
 * Runs until SIGTERM / SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUF_LEN 1024

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int open_socket(const char *addr, int port, int stamps)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, on = 1;

	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "udp-floor: %s: not an address\n", addr);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || (stamps && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on))) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "udp-floor: %s port %d: %s\n", addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static char buf[BATCH][BUF_LEN], ctrl[BATCH][64];
	static struct sockaddr_storage peer[BATCH];
	static struct mmsghdr msg[BATCH];
	static struct iovec iov[BATCH];
	int fd, i, n, opt, batched = 0, stamps = 0;

	while ((opt = getopt(argc, argv, "sT")) != -1) {
		if (opt == 's')
			batched = 1;
		else if (opt == 'T')
			stamps = 1;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: udp-floor ADDR PORT [-s] [-T]\n");
		return 2;
	}
	fd = open_socket(argv[optind], atoi(argv[optind + 1]), stamps);
	if (fd < 0)
		return 1;
	/* no SA_RESTART: the blocking recvmmsg returns EINTR and the loop ends */
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	for (i = 0; i < BATCH; i++)
		iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = BUF_LEN };
	while (!stopping) {
		for (i = 0; i < BATCH; i++)
			msg[i].msg_hdr = (struct msghdr){
				.msg_name = &peer[i], .msg_namelen = sizeof(peer[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = ctrl[i], .msg_controllen = sizeof(ctrl[i]),
			};
		n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++) {
			buf[i][0] = (char)((buf[i][0] & 0xf8) | 4);	/* mode 4: answer */
			iov[i].iov_len = msg[i].msg_len;
			msg[i].msg_hdr.msg_control = NULL;
			msg[i].msg_hdr.msg_controllen = 0;
			if (!batched)
				sendmsg(fd, &msg[i].msg_hdr, 0);
		}
		if (batched)
			sendmmsg(fd, msg, n, 0);
		for (i = 0; i < n; i++)
			iov[i].iov_len = BUF_LEN;
	}
	close(fd);
	return 0;
}
