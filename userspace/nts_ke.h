/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The NTS-KE server (RFC 8915 4): TLS 1.3 over TCP with ALPN "ntske/1".
 * One thread accepts and hands each connection to a fixed pool of
 * workers, which bounds the handshakes in flight; as many again may wait
 * for a worker, and past that a connection is closed at once (counted
 * refused/busy).  Each connection has one deadline for the whole exchange,
 * waiting included, so a client that trickles bytes cannot hold a worker
 * longer.  None of this runs on the NTP path: the socket workers only
 * open the cookies these threads seal.
 */
#ifndef NTPD_NTS_KE_H
#define NTPD_NTS_KE_H

#include <stdint.h>
#include <sys/socket.h>

#include "nts_cookie.h"

#define NTS_KE_PORT_DEFAULT	4460
#define NTS_KE_TIMEOUT_MS	2000	/* handshake, request and answer, in all */
#define NTS_KE_THREADS_MAX	64

struct nts_ke;

struct nts_ke_params {
	const char *cert_file;		/* PEM chain, leaf first */
	const char *key_file;		/* PEM private key */
	struct sockaddr_storage listen4;	/* ss_family 0: none */
	struct sockaddr_storage listen6;
	int threads;			/* handshakes at once */
	const char *ntp_server;		/* Server Negotiation record; NULL: none */
	uint16_t ntp_port;		/* Port Negotiation record; 0: none */
	struct nts_cookie_ring *ring;	/* seals the cookies handed out */
};

/* Read the certificate and key, bind and listen (privileged).  0 or -errno
 * after a message naming the file or address. */
int nts_ke_open(struct nts_ke **out, const struct nts_ke_params *p);
int nts_ke_run(struct nts_ke *ke);
/* Do the certificate and key load, and match?  0 or -EINVAL (logged). */
int nts_ke_check_files(const char *cert_file, const char *key_file);
/* Read the certificate and key again (SIGHUP): new handshakes use them,
 * ones in flight finish with the old; on failure the old are kept. */
int nts_ke_reload(struct nts_ke *ke, const char *cert_file, const char *key_file);
void nts_ke_close(struct nts_ke *ke);

#endif /* NTPD_NTS_KE_H */
