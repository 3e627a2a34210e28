// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_client.h"
#include "nts_wire.h"
#include "nts_aes_siv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define EXPORTER_LABEL	"EXPORTER-network-time-security"
#define KE_TIMEOUT_S	5

static int tcp_connect(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct timeval tv = { .tv_sec = KE_TIMEOUT_S };
	socklen_t len;
	int fd;

	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* The server's records into the session; 0 at End of Message. */
static int take_records(const uint8_t *buf, size_t len, struct nts_session *s, size_t *used)
{
	size_t off = 0, body;
	uint16_t type;

	while (off + 4 <= len) {
		type = nts_get16(buf + off) & 0x7fff;
		body = nts_get16(buf + off + 2);
		if (off + 4 + body > len)
			break;
		const uint8_t *b = buf + off + 4;

		switch (type) {
		case 0:
			*used = off + 4;
			return 0;
		case 1:		/* Next Protocol: NTPv4 only */
			if (body != 2 || nts_get16(b) != 0)
				return -EPROTO;
			break;
		case 2:
			return -EPROTO;		/* an Error record */
		case 4:
			if (body != 2 || nts_get16(b) != NTS_AEAD_AES_SIV_CMAC_256)
				return -EPROTO;
			break;
		case 5:
			if (s->n_cookies < NTS_CLIENT_COOKIES && body <= NTS_CLIENT_COOKIE_MAX) {
				memcpy(s->cookies[s->n_cookies], b, body);
				s->cookie_len[s->n_cookies++] = (uint16_t)body;
			}
			break;
		case 6:
			if (body < sizeof(s->server)) {
				memcpy(s->server, b, body);
				s->server[body] = '\0';
			}
			break;
		case 7:
			if (body == 2)
				s->port = nts_get16(b);
			break;
		}
		off += 4 + body;
	}
	*used = off;
	return 1;
}

/* 0 once buf holds End of Message (*used: the bytes up to its end), else 1. */
static int take_records_all(const uint8_t *buf, size_t len, size_t *used)
{
	size_t off = 0, body;

	while (off + 4 <= len) {
		body = nts_get16(buf + off + 2);
		if (off + 4 + body > len)
			break;
		if ((nts_get16(buf + off) & 0x7fff) == 0) {
			*used = off + 4;
			return 0;
		}
		off += 4 + body;
	}
	return 1;
}

static int ke_exchange(SSL *ssl, struct nts_session *s)
{
	static const uint8_t request[] = {
		0x80, 0x01, 0x00, 0x02, 0x00, 0x00,	/* Next Protocol: NTPv4 */
		0x80, 0x04, 0x00, 0x02, 0x00, 0x0f,	/* AEAD: AES-SIV-CMAC-256 */
		0x80, 0x00, 0x00, 0x00,			/* End of Message */
	};
	uint8_t buf[4096];
	size_t have = 0, n, used;
	int ret;
	unsigned char ctx[5] = { 0, 0, 0, NTS_AEAD_AES_SIV_CMAC_256, 0 };

	if (SSL_write_ex(ssl, request, sizeof(request), &n) != 1)
		return -EIO;
	for (;;) {
		if (SSL_read_ex(ssl, buf + have, sizeof(buf) - have, &n) != 1)
			return -EIO;
		have += n;
		ret = take_records(buf, have, s, &used);
		if (ret <= 0)
			break;
		if (have == sizeof(buf))
			return -EMSGSIZE;
	}
	if (ret < 0)
		return ret;
	if (!s->n_cookies)
		return -ENODATA;
	if (SSL_export_keying_material(ssl, s->c2s, 32, EXPORTER_LABEL, strlen(EXPORTER_LABEL),
				       ctx, 5, 1) != 1)
		return -EIO;
	ctx[4] = 1;
	if (SSL_export_keying_material(ssl, s->s2c, 32, EXPORTER_LABEL, strlen(EXPORTER_LABEL),
				       ctx, 5, 1) != 1)
		return -EIO;
	return 0;
}

/* TLS 1.3 with ALPN ntske/1 to addr:port, the certificate checked against
 * ca_file and the address; 0 with *ctx_out, *ssl_out and *fd_out, or -errno. */
static int ke_connect(const char *addr, uint16_t port, const char *ca_file, SSL_CTX **ctx_out,
		      SSL **ssl_out, int *fd_out, char *err, size_t errlen)
{
	static const unsigned char alpn[] = "\x07ntske/1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	int fd = -1, ret = -EIO;

	snprintf(err, errlen, "TLS setup");
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1 ||
	    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1))
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	fd = tcp_connect(addr, port);
	if (fd < 0) {
		ret = fd;
		snprintf(err, errlen, "connect %s port %u: %s", addr, port, strerror(-fd));
		goto fail;
	}
	ssl = SSL_new(ctx);
	/* the certificate must name the address we asked */
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), addr))
		goto fail;
	if (SSL_connect(ssl) != 1) {
		snprintf(err, errlen, "TLS handshake: %s",
			 ERR_reason_error_string(ERR_peek_last_error()) ?: "failed");
		goto fail;
	}
	*ctx_out = ctx;
	*ssl_out = ssl;
	*fd_out = fd;
	return 0;
fail:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return ret;
}

static void ke_close(SSL_CTX *ctx, SSL *ssl, int fd)
{
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
}

int nts_client_ke(const char *addr, uint16_t port, const char *ca_file, struct nts_session *s,
		  char *err, size_t errlen)
{
	SSL_CTX *ctx;
	SSL *ssl;
	int fd, ret;

	memset(s, 0, sizeof(*s));
	ret = ke_connect(addr, port, ca_file, &ctx, &ssl, &fd, err, errlen);
	if (ret)
		return ret;
	ret = ke_exchange(ssl, s);
	snprintf(err, errlen, "key exchange: %s", ret ? strerror(-ret) : "ok");
	ke_close(ctx, ssl, fd);
	return ret;
}

int nts_client_ke_raw(const char *addr, uint16_t port, const char *ca_file, const uint8_t *req,
		      size_t req_len, uint8_t *ans, size_t cap, size_t *ans_len, char *err,
		      size_t errlen)
{
	struct nts_session ignored;
	SSL_CTX *ctx;
	SSL *ssl;
	size_t n, used = 0;
	int fd, ret;

	*ans_len = 0;
	ret = ke_connect(addr, port, ca_file, &ctx, &ssl, &fd, err, errlen);
	if (ret)
		return ret;
	ret = -EIO;
	snprintf(err, errlen, "sending the request");
	if (req_len && SSL_write_ex(ssl, req, req_len, &n) != 1)
		goto out;
	snprintf(err, errlen, "no End of Message in the answer");
	memset(&ignored, 0, sizeof(ignored));
	while (*ans_len < cap && SSL_read_ex(ssl, ans + *ans_len, cap - *ans_len, &n) == 1) {
		*ans_len += n;
		if (take_records_all(ans, *ans_len, &used) == 0) {
			*ans_len = used;
			ret = 0;
			snprintf(err, errlen, "ok");
			break;
		}
	}
out:
	ke_close(ctx, ssl, fd);
	return ret;
}

size_t nts_client_seal(const struct nts_session *s, int cookie, uint8_t *pkt, size_t cap,
		       int placeholders, const uint8_t uid[NTS_CLIENT_UID_LEN], uint64_t xmt)
{
	uint8_t auth[4 + 16 + 16], *nonce = auth + 4;
	size_t off = 48, clen;
	int i;

	if (cookie < 0 || cookie >= s->n_cookies)
		return 0;
	clen = s->cookie_len[cookie];
	if (48 + 36 + (placeholders + 1) * (4 + clen) + 40 > cap)
		return 0;
	memset(pkt, 0, 48);
	pkt[0] = 0x23;		/* NTPv4, client */
	for (i = 0; i < 8; i++)
		pkt[40 + i] = (uint8_t)(xmt >> (56 - 8 * i));
	if (RAND_bytes(nonce, 16) != 1)
		return 0;
	off += nts_ef_put(pkt + off, 0x0104, uid, NTS_CLIENT_UID_LEN);
	off += nts_ef_put(pkt + off, 0x0204, s->cookies[cookie], clen);
	for (i = 0; i < placeholders; i++)
		off += nts_ef_put(pkt + off, 0x0304, NULL, clen);
	nts_put16(auth, 16);
	nts_put16(auth + 2, 16);
	if (nts_siv_seal(s->c2s, pkt, off, nonce, 16, NULL, 0, auth + 20))
		return 0;
	off += nts_ef_put(pkt + off, 0x0404, auth, sizeof(auth));
	return off;
}

size_t nts_client_request(struct nts_session *s, uint8_t *pkt, size_t cap, int placeholders,
			  uint8_t uid[NTS_CLIENT_UID_LEN], uint64_t xmt)
{
	size_t len;

	if (!s->n_cookies || RAND_bytes(uid, NTS_CLIENT_UID_LEN) != 1)
		return 0;
	len = nts_client_seal(s, s->n_cookies - 1, pkt, cap, placeholders, uid, xmt);
	if (len)
		s->n_cookies--;		/* a cookie is used once (RFC 8915 5.7, unlinkability) */
	return len;
}

/* The authenticator (the last field) opened under S2C; its plaintext. */
static int open_auth(const struct nts_session *s, const uint8_t *pkt, size_t auth_off,
		     size_t len, uint8_t *plain, size_t *plain_len)
{
	size_t ef_len = nts_get16(pkt + auth_off + 2), nlen, clen;

	if (auth_off + ef_len != len || ef_len < 8)
		return -1;
	nlen = nts_get16(pkt + auth_off + 4);
	clen = nts_get16(pkt + auth_off + 6);
	if (nlen < 16 || clen < 16 || 8 + ((nlen + 3) & ~3u) + ((clen + 3) & ~3u) > ef_len)
		return -1;
	if (nts_siv_open(s->s2c, pkt, auth_off, pkt + auth_off + 8, nlen,
			 pkt + auth_off + 8 + ((nlen + 3) & ~3u), clen, plain))
		return -1;
	*plain_len = clen - 16;
	return 0;
}

enum nts_check nts_client_check(struct nts_session *s, const uint8_t *pkt, size_t len,
				const uint8_t uid[NTS_CLIENT_UID_LEN], uint64_t xmt,
				int add_cookies, int *n_cookies)
{
	uint8_t plain[2048];
	size_t off = 48, auth_off = 0, plain_len, p;
	int uid_ok = 0, i;

	*n_cookies = 0;
	if (len < 48 || (pkt[0] & 7) != 4)
		return NTS_ANSWER_BAD;
	for (i = 0; i < 8; i++)
		if (pkt[24 + i] != (uint8_t)(xmt >> (56 - 8 * i)))
			return NTS_ANSWER_BAD;
	while (off + 4 <= len) {
		uint16_t type = nts_get16(pkt + off), ef_len = nts_get16(pkt + off + 2);

		if (ef_len < 4 || off + ef_len > len)
			return NTS_ANSWER_BAD;
		if (type == 0x0104 && ef_len == 4 + NTS_CLIENT_UID_LEN &&
		    !memcmp(pkt + off + 4, uid, NTS_CLIENT_UID_LEN))
			uid_ok = 1;
		if (type == 0x0404)
			auth_off = off;
		off += ef_len;
	}
	if (!uid_ok || off != len)
		return NTS_ANSWER_BAD;
	if (!auth_off)
		return pkt[1] == 0 && !memcmp(pkt + 12, "NTSN", 4) ? NTS_ANSWER_NAK : NTS_ANSWER_BAD;
	if (open_auth(s, pkt, auth_off, len, plain, &plain_len))
		return NTS_ANSWER_BAD;
	for (p = 0; p + 4 <= plain_len;) {
		uint16_t type = nts_get16(plain + p), ef_len = nts_get16(plain + p + 2);

		if (ef_len < 4 || p + ef_len > plain_len)
			return NTS_ANSWER_BAD;
		if (type == 0x0204 && ef_len - 4u <= NTS_CLIENT_COOKIE_MAX) {
			(*n_cookies)++;
			if (add_cookies && s->n_cookies < NTS_CLIENT_COOKIES) {
				memcpy(s->cookies[s->n_cookies], plain + p + 4, ef_len - 4u);
				s->cookie_len[s->n_cookies++] = (uint16_t)(ef_len - 4);
			}
		}
		p += ef_len;
	}
	return NTS_ANSWER_OK;
}
