// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_ke.h"
#include "kclock.h"
#include "log.h"
#include "nts_records.h"
#include "nts_stats.h"
#include "testhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/* last: maps the OpenSSL names above to the lazily loaded library */
#include "openssl_lazy.h"

/* RFC 8915 5.1: the exporter's label, and its context is the protocol id,
 * the AEAD id and 0x00 for client-to-server, 0x01 for server-to-client */
#define EXPORTER_LABEL	"EXPORTER-network-time-security"
static const unsigned char alpn_ntske[] = "\x07ntske/1";
#define IDLE_WAKE_MS	1000	/* a thread checks for stop this often */

/* A connection accepted; its deadline runs from here, waiting included. */
struct pending {
	int fd;
	int64_t accepted_ms;
};

struct nts_ke {
	struct nts_ke_params p;
	pthread_mutex_t ctx_lock;	/* guards ctx: SIGHUP swaps it */
	SSL_CTX *ctx;
	int fds[2];
	int n_fds;
	pthread_t threads[NTS_KE_THREADS_MAX];
	int n_started;
	pthread_t acceptor;
	bool acceptor_started;
	pthread_mutex_t q_lock;		/* guards the queue, serving and stopping */
	pthread_cond_t q_cond;
	struct pending queue[NTS_KE_THREADS_MAX];	/* accepted, not yet served */
	int q_head, q_len, serving;
	volatile bool stopping;
};

static int64_t mono_ms(void)
{
	__u64 ns;

	kclock_now_ns(CLOCK_MONOTONIC, &ns);
	return (int64_t)(ns / 1000000);
}

static void log_tls_error(const char *what, const char *file)
{
	char text[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, text, sizeof(text));
	pr_err("nts: %s %s: %s\n", what, file, e ? text : "failed");
	ERR_clear_error();
}

/* RFC 8915 4: a server must not speak NTS-KE to a client that did not ask */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto((unsigned char **)out, outlen, alpn_ntske,
				  sizeof(alpn_ntske) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

/* A client offering no ALPN at all never reaches select_alpn: refused here,
 * with the alert RFC 7301 3.2 names, before any key is exported */
static int require_alpn(SSL *ssl, int *alert, void *arg)
{
	const unsigned char *ext;
	size_t len;

	(void)arg;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation,
				      &ext, &len) == 1)
		return SSL_CLIENT_HELLO_SUCCESS;
	*alert = SSL_AD_NO_APPLICATION_PROTOCOL;
	return SSL_CLIENT_HELLO_ERROR;
}

static SSL_CTX *make_ctx(const char *cert_file, const char *key_file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		log_tls_error("creating the TLS context for", cert_file);
		return NULL;
	}
	/* TLS 1.3 only (RFC 8915 3); no tickets: a client resumes nothing */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_num_tickets(ctx, 0)) {
		log_tls_error("configuring TLS 1.3 for", cert_file);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		log_tls_error("reading the certificate", cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		log_tls_error("reading the private key", key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		log_tls_error("the key does not match the certificate", cert_file);
		goto fail;
	}
	SSL_CTX_set_client_hello_cb(ctx, require_alpn, NULL);
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int open_listener(const struct sockaddr_storage *addr)
{
	socklen_t len = addr->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						      sizeof(struct sockaddr_in6);
	char text[INET6_ADDRSTRLEN] = "?";
	int one = 1, fd, err;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (addr->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)addr, len) || listen(fd, 128)) {
		err = -errno;
		inet_ntop(addr->ss_family,
			  addr->ss_family == AF_INET ?
				  (const void *)&((const struct sockaddr_in *)addr)->sin_addr :
				  (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr,
			  text, sizeof(text));
		pr_err("nts: cannot listen on %s TCP port %u: %s\n", text,
		       ntohs(((const struct sockaddr_in *)addr)->sin_port), strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

/* Wait for the socket to be ready for what OpenSSL asked: 0, -ETIMEDOUT at
 * the deadline, -EPROTO for a TLS failure, -ECONNRESET for a closed peer. */
static int tls_wait(SSL *ssl, int fd, int ret, int64_t deadline)
{
	int e = SSL_get_error(ssl, ret);
	struct pollfd pfd = { .fd = fd };
	int64_t left = deadline - mono_ms();

	if (e == SSL_ERROR_WANT_READ)
		pfd.events = POLLIN;
	else if (e == SSL_ERROR_WANT_WRITE)
		pfd.events = POLLOUT;
	else
		return e == SSL_ERROR_SSL ? -EPROTO : -ECONNRESET;
	return left > 0 && poll(&pfd, 1, (int)left) == 1 ? 0 : -ETIMEDOUT;
}

static int export_keys(SSL *ssl, struct nts_client_keys *k)
{
	unsigned char context[5] = { 0, NTS_PROTOCOL_NTPV4, 0, NTS_AEAD_AES_SIV_CMAC_256, 0 };

	if (SSL_export_keying_material(ssl, k->c2s, sizeof(k->c2s), EXPORTER_LABEL,
				       strlen(EXPORTER_LABEL), context, sizeof(context), 1) != 1)
		return -EIO;
	context[4] = 1;
	if (SSL_export_keying_material(ssl, k->s2c, sizeof(k->s2c), EXPORTER_LABEL,
				       strlen(EXPORTER_LABEL), context, sizeof(context), 1) != 1)
		return -EIO;
	return 0;
}

/* The cookies of one answer: the keys exported once, at the first. */
struct sealing {
	struct nts_ke *ke;
	SSL *ssl;
	struct nts_client_keys keys;
	bool exported;
};

static int seal_one(void *arg, uint8_t *out)
{
	struct sealing *s = arg;
	int err;

	if (!s->exported) {
		err = export_keys(s->ssl, &s->keys);
		if (err)
			return err;
		s->exported = true;
	}
	return nts_cookie_seal(s->ke->p.ring, &s->keys, out);
}

static const enum nts_stat reply_stat[] = {
	[NTS_KE_REPLY_COOKIES] = NTS_STAT_KE_COMPLETED,
	[NTS_KE_REPLY_NO_PROTOCOL] = NTS_STAT_KE_NO_PROTOCOL,
	[NTS_KE_REPLY_NO_AEAD] = NTS_STAT_KE_NO_AEAD,
};
static const enum nts_stat error_stat[] = {
	[NTS_KE_ERR_UNRECOGNIZED_CRITICAL] = NTS_STAT_KE_ERR_CRITICAL,
	[NTS_KE_ERR_BAD_REQUEST] = NTS_STAT_KE_ERR_BAD_REQUEST,
	[NTS_KE_ERR_INTERNAL] = NTS_STAT_KE_ERR_INTERNAL,
};

/* The answer to a parsed request into out; its length, *outcome what it says. */
static int build_answer(struct nts_ke *ke, SSL *ssl, const struct nts_ke_request *req,
			uint8_t *out, size_t size, enum nts_stat *outcome)
{
	uint8_t cookies[NTS_KE_COOKIES][128];
	struct nts_ke_answer a = {
		.req = req, .cookie_len = NTS_COOKIE_LEN,
		.server = ke->p.ntp_server, .port = ke->p.ntp_port,
	};
	struct sealing sealing = { .ke = ke, .ssl = ssl };
	struct nts_ke_request sent;
	enum nts_ke_reply kind;
	int len;

	len = nts_ke_build_answer(&a, cookies, seal_one, &sealing, out, size, &sent);
	OPENSSL_cleanse(&sealing.keys, sizeof(sealing.keys));
	kind = nts_ke_reply_kind(&sent);
	*outcome = kind == NTS_KE_REPLY_ERROR ? error_stat[sent.error] : reply_stat[kind];
	if (sent.error == NTS_KE_ERR_INTERNAL && req->error != NTS_KE_ERR_INTERNAL)
		pr_warn("nts: sealing cookies failed: the client gets an internal error\n");
	return len;
}

/* The request, read until End of Message; 0 with *req, or -errno. */
static int read_request(SSL *ssl, int fd, int64_t deadline, struct nts_ke_request *req)
{
	uint8_t buf[NTS_KE_MAX_REQUEST];
	int ret, err, parsed = NTS_KE_INCOMPLETE;
	size_t have = 0, n;

	while (parsed == NTS_KE_INCOMPLETE) {
		ret = SSL_read_ex(ssl, buf + have, sizeof(buf) - have, &n);
		if (ret == 1) {
			have += n;
			parsed = nts_ke_parse_request(buf, have, req);
			if (parsed == NTS_KE_INCOMPLETE && have == sizeof(buf))
				parsed = -EMSGSIZE;
		} else if ((err = tls_wait(ssl, fd, ret, deadline))) {
			return err;
		}
	}
	/* no End of Message within the bound: not a request we understand */
	if (parsed < 0)
		*req = (struct nts_ke_request){ .error = NTS_KE_ERR_BAD_REQUEST };
	return 0;
}

/* One connection, start to end, before the deadline: how it ended. */
static enum nts_stat serve_connection(struct nts_ke *ke, SSL *ssl, int fd, int64_t deadline)
{
	uint8_t answer[2048];
	struct nts_ke_request req;
	enum nts_stat outcome;
	size_t n, sent = 0;
	int ret, len, err;

	while ((ret = SSL_accept(ssl)) != 1)
		if ((err = tls_wait(ssl, fd, ret, deadline)))
			return err == -ETIMEDOUT ? NTS_STAT_KE_TIMEOUT_TLS : NTS_STAT_KE_TLS_FAILED;
	err = read_request(ssl, fd, deadline, &req);
	if (err)
		return err == -ETIMEDOUT ? NTS_STAT_KE_TIMEOUT_REQUEST : NTS_STAT_KE_CLOSED;
	len = build_answer(ke, ssl, &req, answer, sizeof(answer), &outcome);
	if (len < 0)
		return NTS_STAT_KE_ERR_INTERNAL;	/* cannot happen: 2048 holds it all */
	while (sent < (size_t)len) {
		ret = SSL_write_ex(ssl, answer + sent, (size_t)len - sent, &n);
		if (ret == 1)
			sent += n;
		else if ((err = tls_wait(ssl, fd, ret, deadline)))
			return err == -ETIMEDOUT ? NTS_STAT_KE_TIMEOUT_ANSWER : NTS_STAT_KE_CLOSED;
	}
	/* the client closes after End of Message; our close_notify, once */
	SSL_shutdown(ssl);
	if (outcome == NTS_STAT_KE_COMPLETED)
		nts_stats_add(NTS_STAT_COOKIES_KE, NTS_KE_COOKIES);
	return outcome;
}

static SSL *new_session(struct nts_ke *ke, int fd)
{
	SSL *ssl;

	pthread_mutex_lock(&ke->ctx_lock);
	ssl = SSL_new(ke->ctx);		/* the session holds its own reference */
	pthread_mutex_unlock(&ke->ctx_lock);
	if (ssl && SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		ssl = NULL;
	}
	return ssl;
}

static void handle_one(struct nts_ke *ke, const struct pending *c)
{
	SSL *ssl = new_session(ke, c->fd);
	enum nts_stat outcome;

	outcome = ssl ? serve_connection(ke, ssl, c->fd, c->accepted_ms + NTS_KE_TIMEOUT_MS) :
			NTS_STAT_KE_CLOSED;
	nts_stats_add(outcome, 1);
	SSL_free(ssl);
	ERR_clear_error();
	close(c->fd);
}

static void publish_load(struct nts_ke *ke)
{
	nts_stats_set_ke_load(ke->serving, ke->q_len);
}

/* A worker: the oldest waiting connection, served to its end, and again. */
static void *ke_thread(void *arg)
{
	struct nts_ke *ke = arg;
	struct pending c;

	testhook_network_input("nts-ke");
	pthread_mutex_lock(&ke->q_lock);
	for (;;) {
		while (!ke->stopping && !ke->q_len)
			pthread_cond_wait(&ke->q_cond, &ke->q_lock);
		if (ke->stopping)
			break;
		c = ke->queue[ke->q_head];
		ke->q_head = (ke->q_head + 1) % NTS_KE_THREADS_MAX;
		ke->q_len--;
		ke->serving++;
		publish_load(ke);
		pthread_mutex_unlock(&ke->q_lock);
		handle_one(ke, &c);
		pthread_mutex_lock(&ke->q_lock);
		ke->serving--;
		publish_load(ke);
	}
	pthread_mutex_unlock(&ke->q_lock);
	return NULL;
}

/*
 * Accept, and hand to a worker; with every worker busy and as many more
 * waiting, the connection is closed at once (counted refused/busy): a
 * flood of handshakes costs us an accept, not a TLS handshake, and a
 * client sees a refusal, not a long wait.
 */
static void accept_one(struct nts_ke *ke, int listen_fd)
{
	struct pending c = { .fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK) };
	bool queued = false;

	if (c.fd < 0)
		return;
	c.accepted_ms = mono_ms();
	pthread_mutex_lock(&ke->q_lock);
	/* counted with those served: a burst the workers have not yet taken
	 * up waits, it is not refused */
	if (ke->serving + ke->q_len < 2 * ke->n_started && ke->q_len < NTS_KE_THREADS_MAX) {
		ke->queue[(ke->q_head + ke->q_len) % NTS_KE_THREADS_MAX] = c;
		ke->q_len++;
		queued = true;
		publish_load(ke);
		pthread_cond_signal(&ke->q_cond);
	}
	pthread_mutex_unlock(&ke->q_lock);
	if (!queued) {
		nts_stats_add(NTS_STAT_KE_REFUSED_BUSY, 1);
		close(c.fd);
	}
}

static void *acceptor_thread(void *arg)
{
	struct nts_ke *ke = arg;
	struct pollfd pfd[2];
	int i;

	testhook_network_input("nts-ke");
	for (i = 0; i < ke->n_fds; i++)
		pfd[i] = (struct pollfd){ .fd = ke->fds[i], .events = POLLIN };
	while (!ke->stopping) {
		if (poll(pfd, (nfds_t)ke->n_fds, IDLE_WAKE_MS) <= 0)
			continue;
		for (i = 0; i < ke->n_fds; i++)
			if (pfd[i].revents & POLLIN)
				accept_one(ke, ke->fds[i]);
	}
	return NULL;
}

int nts_ke_open(struct nts_ke **out, const struct nts_ke_params *p)
{
	const struct sockaddr_storage *addrs[2] = { &p->listen4, &p->listen6 };
	struct nts_ke *ke = calloc(1, sizeof(*ke));
	int fd, i, err = 0;

	if (!ke)
		return -ENOMEM;
	ke->p = *p;
	pthread_mutex_init(&ke->ctx_lock, NULL);
	pthread_mutex_init(&ke->q_lock, NULL);
	pthread_cond_init(&ke->q_cond, NULL);
	ke->ctx = make_ctx(p->cert_file, p->key_file);
	if (!ke->ctx) {
		err = -EINVAL;
		goto cleanup;
	}
	for (i = 0; i < 2; i++) {
		if (!addrs[i]->ss_family)
			continue;
		fd = open_listener(addrs[i]);
		if (fd < 0) {
			err = fd;
			goto cleanup;
		}
		ke->fds[ke->n_fds++] = fd;
	}
	*out = ke;
	return 0;
cleanup:
	nts_ke_close(ke);
	return err;
}

int nts_ke_run(struct nts_ke *ke)
{
	int i, err;

	for (i = 0; i < ke->p.threads && i < NTS_KE_THREADS_MAX; i++) {
		err = -pthread_create(&ke->threads[i], NULL, ke_thread, ke);
		if (err)
			return err;
		ke->n_started++;
	}
	err = -pthread_create(&ke->acceptor, NULL, acceptor_thread, ke);
	if (err)
		return err;
	ke->acceptor_started = true;
	publish_load(ke);
	pr_info("nts: key exchange on TCP port %u, %d threads\n",
		ntohs(((const struct sockaddr_in *)(ke->p.listen4.ss_family ? &ke->p.listen4 :
									     &ke->p.listen6))->sin_port),
		ke->n_started);
	return 0;
}

int nts_ke_check_files(const char *cert_file, const char *key_file)
{
	SSL_CTX *ctx = make_ctx(cert_file, key_file);

	SSL_CTX_free(ctx);
	return ctx ? 0 : -EINVAL;
}

int nts_ke_reload(struct nts_ke *ke, const char *cert_file, const char *key_file)
{
	SSL_CTX *fresh = make_ctx(cert_file, key_file), *old;

	if (!fresh)
		return -EINVAL;
	pthread_mutex_lock(&ke->ctx_lock);
	old = ke->ctx;
	ke->ctx = fresh;
	pthread_mutex_unlock(&ke->ctx_lock);
	SSL_CTX_free(old);	/* sessions in flight hold their own reference */
	return 0;
}

void nts_ke_close(struct nts_ke *ke)
{
	int i;

	if (!ke)
		return;
	pthread_mutex_lock(&ke->q_lock);
	ke->stopping = true;
	pthread_cond_broadcast(&ke->q_cond);
	pthread_mutex_unlock(&ke->q_lock);
	if (ke->acceptor_started)
		pthread_join(ke->acceptor, NULL);
	for (i = 0; i < ke->n_started; i++)
		pthread_join(ke->threads[i], NULL);
	for (i = 0; i < ke->q_len; i++)
		close(ke->queue[(ke->q_head + i) % NTS_KE_THREADS_MAX].fd);
	for (i = 0; i < ke->n_fds; i++)
		close(ke->fds[i]);
	SSL_CTX_free(ke->ctx);
	pthread_cond_destroy(&ke->q_cond);
	pthread_mutex_destroy(&ke->q_lock);
	pthread_mutex_destroy(&ke->ctx_lock);
	free(ke);
}
