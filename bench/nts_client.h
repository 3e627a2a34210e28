/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * An NTS client, for the load generator and the tests: the key exchange
 * (TLS 1.3, ALPN ntske/1, RFC 8915 4) takes the two keys and eight
 * cookies, then requests are built and answers checked as a client must
 * (RFC 8915 5.7): mode 4, our origin timestamp, our Unique Identifier, the
 * authenticator opening under S2C over all before it, and the cookies in
 * it taken for the next requests.
 */
#ifndef NTPD_BENCH_NTS_CLIENT_H
#define NTPD_BENCH_NTS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define NTS_CLIENT_COOKIES	8
#define NTS_CLIENT_COOKIE_MAX	256
#define NTS_CLIENT_UID_LEN	32

struct nts_session {
	uint8_t c2s[32], s2c[32];
	uint8_t cookies[NTS_CLIENT_COOKIES][NTS_CLIENT_COOKIE_MAX];
	uint16_t cookie_len[NTS_CLIENT_COOKIES];
	int n_cookies;
	char server[256];		/* Server Negotiation, "" none */
	uint16_t port;			/* Port Negotiation, 0 none */
};

/* Key exchange with addr:port (a literal), trusting ca_file; 0 or -errno
 * with the reason in err. */
int nts_client_ke(const char *addr, uint16_t port, const char *ca_file, struct nts_session *s,
		  char *err, size_t errlen);

/* Key exchange sending req (records, as they are: for tests of a server's
 * refusals), the answer's records up to End of Message into ans.  0 or
 * -errno with the reason in err. */
int nts_client_ke_raw(const char *addr, uint16_t port, const char *ca_file, const uint8_t *req,
		      size_t req_len, uint8_t *ans, size_t cap, size_t *ans_len, char *err,
		      size_t errlen);

/* One request using the session's last cookie, with `placeholders`
 * placeholders; the UID and transmit timestamp it carries.  Its length. */
size_t nts_client_request(struct nts_session *s, uint8_t *pkt, size_t cap, int placeholders,
			  uint8_t uid[NTS_CLIENT_UID_LEN], uint64_t xmt);

/* The same, with the caller's UID and cookie (its index), the session left
 * as it is: for a load generator that derives each UID from a sequence
 * number and reuses cookies.  Thread-safe on one session.  Its length. */
size_t nts_client_seal(const struct nts_session *s, int cookie, uint8_t *pkt, size_t cap,
		       int placeholders, const uint8_t uid[NTS_CLIENT_UID_LEN], uint64_t xmt);

enum nts_check {
	NTS_ANSWER_OK = 0,
	NTS_ANSWER_NAK = 1,		/* kiss NTSN with our UID */
	NTS_ANSWER_BAD = -1,		/* anything a client must discard */
};

/* Check an answer to the request with uid and xmt; OK adds its cookies to
 * the session (when add_cookies) and says how many in *n_cookies. */
enum nts_check nts_client_check(struct nts_session *s, const uint8_t *pkt, size_t len,
				const uint8_t uid[NTS_CLIENT_UID_LEN], uint64_t xmt,
				int add_cookies, int *n_cookies);

#endif /* NTPD_BENCH_NTS_CLIENT_H */
