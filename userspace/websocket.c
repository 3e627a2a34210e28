// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "websocket.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

/* RFC 6455 5.2 opcodes and 7.4.1 close codes */
enum { WS_OP_CONT = 0, WS_OP_TEXT = 1, WS_OP_BINARY = 2, WS_OP_CLOSE = 8, WS_OP_PING = 9,
       WS_OP_PONG = 10 };
enum { WS_CLOSE_NORMAL = 1000, WS_CLOSE_GOING_AWAY = 1001, WS_CLOSE_PROTOCOL = 1002,
       WS_CLOSE_BAD_DATA = 1007, WS_CLOSE_TOO_BIG = 1009 };
/* RFC 6455 1.3: what the client's key is hashed with */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/* a control frame's payload is at most 125 bytes (5.5) */
#define WS_CONTROL_MAX 125
#define WS_HOST_MAX 256
#define WS_THREAD_STACK (256u << 10)

struct ws_session {
	struct ws_session *prev, *next;
	struct ws_hub *hub;
	struct MHD_UpgradeResponseHandle *urh;
	int fd;
	char host[WS_HOST_MAX];
	/* bytes MHD read past the request's headers: the stream's start */
	char *early;
	size_t early_len, early_off;
};

struct ws_hub {
	ws_answer_fn answer;
	void *ctx;
	pthread_mutex_t lock;		/* the list, the count, stopping */
	pthread_cond_t gone;		/* a session ended */
	struct ws_session *sessions;
	unsigned int n;			/* sessions in the list */
	bool stopping;
};

int ws_accept_key(const char *key, char *out, size_t size)
{
	/* nettle's SHA-1, not OpenSSL's: a handshake may come at any time and
	 * OpenSSL is loaded only for NTS and key files (openssl_lazy.h) */
	__u8 digest[SHA1_DIGEST_SIZE];
	struct sha1_ctx ctx;
	size_t klen = strlen(key);

	/* a key is 16 random bytes in base64: 24 characters (4.1) */
	if (klen != 24 || size < BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE) + 1)
		return -EINVAL;
	sha1_init(&ctx);
	sha1_update(&ctx, klen, (const __u8 *)key);
	sha1_update(&ctx, sizeof(ws_guid) - 1, (const __u8 *)ws_guid);
	sha1_digest(&ctx, sizeof(digest), digest);
	base64_encode_raw(out, sizeof(digest), digest);
	out[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE)] = '\0';
	return 0;
}

/* ---- the stream --------------------------------------------------------- */

static int read_exact(struct ws_session *s, void *dst, size_t n)
{
	char *p = dst;
	size_t take;
	ssize_t got;

	if (s->early_off < s->early_len) {
		take = s->early_len - s->early_off < n ? s->early_len - s->early_off : n;
		memcpy(p, s->early + s->early_off, take);
		s->early_off += take;
		p += take;
		n -= take;
	}
	while (n) {
		got = recv(s->fd, p, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EPIPE;	/* closed, reset, idle timeout or shut down */
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int send_frame(struct ws_session *s, int opcode, const void *payload, size_t len)
{
	unsigned char hdr[4];
	size_t hlen = 2, off = 0, total;
	char frame[4 + WS_MESSAGE_MAX];
	ssize_t sent;

	if (len > WS_MESSAGE_MAX)
		return -EMSGSIZE;
	hdr[0] = (unsigned char)(0x80 | opcode);	/* FIN: never fragmented */
	if (len < 126) {
		hdr[1] = (unsigned char)len;
	} else {
		hdr[1] = 126;
		hdr[2] = (unsigned char)(len >> 8);
		hdr[3] = (unsigned char)len;
		hlen = 4;
	}
	memcpy(frame, hdr, hlen);
	memcpy(frame + hlen, payload, len);
	total = hlen + len;
	while (off < total) {
		sent = send(s->fd, frame + off, total - off, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0)
			return -EPIPE;
		off += (size_t)sent;
	}
	return 0;
}

static void send_close(struct ws_session *s, int code)
{
	unsigned char body[2] = { (unsigned char)(code >> 8), (unsigned char)code };

	send_frame(s, WS_OP_CLOSE, body, sizeof(body));
}

/* ---- one frame ------------------------------------------------------------ */

struct ws_frame {
	bool fin;
	int opcode;
	size_t len;
};

/* The header and mask; the payload is read by the caller.  0, -EPIPE, or a
 * positive close code for a frame RFC 6455 forbids. */
static int read_header(struct ws_session *s, struct ws_frame *f, unsigned char mask[4])
{
	unsigned char h[2], ext[8];
	__u64 len;
	int i;

	if (read_exact(s, h, 2))
		return -EPIPE;
	f->fin = h[0] & 0x80;
	f->opcode = h[0] & 0x0f;
	len = h[1] & 0x7f;
	/* no extension was negotiated: RSV bits set are an error (5.2);
	 * a client's frames are masked (5.1) */
	if ((h[0] & 0x70) || !(h[1] & 0x80))
		return WS_CLOSE_PROTOCOL;
	if (len >= 126) {
		int n = len == 126 ? 2 : 8;

		if (read_exact(s, ext, (size_t)n))
			return -EPIPE;
		for (len = 0, i = 0; i < n; i++)
			len = len << 8 | ext[i];
	}
	if ((f->opcode & 8) && (!f->fin || len > WS_CONTROL_MAX))
		return WS_CLOSE_PROTOCOL;
	if (len > WS_MESSAGE_MAX)
		return WS_CLOSE_TOO_BIG;
	f->len = (size_t)len;
	return read_exact(s, mask, 4) ? -EPIPE : 0;
}

static int read_payload(struct ws_session *s, char *dst, size_t len, const unsigned char mask[4])
{
	size_t i;

	if (read_exact(s, dst, len))
		return -EPIPE;
	for (i = 0; i < len; i++)
		dst[i] ^= (char)mask[i & 3];
	return 0;
}

/* A finished message: the answer, or a close code. */
static int answer_message(struct ws_session *s, const char *msg, size_t len)
{
	char out[WS_MESSAGE_MAX + 1];
	int n = s->hub->answer(s->hub->ctx, s->host, msg, len, out, sizeof(out));

	if (n < 0)
		return WS_CLOSE_BAD_DATA;
	return send_frame(s, WS_OP_TEXT, out, (size_t)n) ? -EPIPE : 0;
}

/* Frames until the end: 0 closed cleanly or by the peer, a close code to
 * send, or -EPIPE. */
static int session_loop(struct ws_session *s)
{
	char msg[WS_MESSAGE_MAX], ctl[WS_CONTROL_MAX];
	size_t msg_len = 0;
	bool in_message = false;
	unsigned char mask[4];
	struct ws_frame f;
	int err;

	for (;;) {
		err = read_header(s, &f, mask);
		if (err)
			return err;
		if (f.opcode & 8) {
			if (read_payload(s, ctl, f.len, mask))
				return -EPIPE;
			if (f.opcode == WS_OP_CLOSE) {
				/* echo the peer's code (5.5.1) */
				send_frame(s, WS_OP_CLOSE, ctl, f.len >= 2 ? 2 : 0);
				return 0;
			}
			if (f.opcode == WS_OP_PING && send_frame(s, WS_OP_PONG, ctl, f.len))
				return -EPIPE;
			if (f.opcode != WS_OP_PING && f.opcode != WS_OP_PONG)
				return WS_CLOSE_PROTOCOL;
			continue;
		}
		/* a continuation only inside a message, a new message only outside */
		if ((f.opcode == WS_OP_CONT) != in_message ||
		    (f.opcode != WS_OP_CONT && f.opcode != WS_OP_TEXT && f.opcode != WS_OP_BINARY))
			return WS_CLOSE_PROTOCOL;
		if (msg_len + f.len > WS_MESSAGE_MAX)
			return WS_CLOSE_TOO_BIG;
		if (read_payload(s, msg + msg_len, f.len, mask))
			return -EPIPE;
		msg_len += f.len;
		in_message = !f.fin;
		if (in_message)
			continue;
		err = answer_message(s, msg, msg_len);
		if (err)
			return err;
		msg_len = 0;
	}
}

/* ---- sessions ------------------------------------------------------------ */

static void session_unlink(struct ws_hub *hub, struct ws_session *s)
{
	pthread_mutex_lock(&hub->lock);
	if (s->prev)
		s->prev->next = s->next;
	else if (hub->sessions == s)
		hub->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	hub->n--;
	pthread_cond_broadcast(&hub->gone);
	pthread_mutex_unlock(&hub->lock);
}

static void *session_run(void *arg)
{
	struct ws_session *s = arg;
	struct ws_hub *hub = s->hub;
	struct timeval idle = { .tv_sec = WS_IDLE_TIMEOUT_S };
	int flags, end;

	/* MHD hands the socket over non-blocking; this thread blocks on it */
	flags = fcntl(s->fd, F_GETFL);
	if (flags >= 0)
		fcntl(s->fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof(idle));
	end = session_loop(s);
	if (end > 0)
		send_close(s, end);
	else if (end < 0 && __atomic_load_n(&hub->stopping, __ATOMIC_RELAXED))
		send_close(s, WS_CLOSE_GOING_AWAY);
	MHD_upgrade_action(s->urh, MHD_UPGRADE_ACTION_CLOSE);
	session_unlink(hub, s);
	free(s->early);
	free(s);
	return NULL;
}

static struct ws_session *reserve(struct ws_hub *hub, struct MHD_Connection *conn)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	struct ws_session *s = NULL;

	pthread_mutex_lock(&hub->lock);
	if (!hub->stopping && hub->n < WS_MAX_SESSIONS && (s = calloc(1, sizeof(*s)))) {
		hub->n++;
		s->hub = hub;
		s->fd = -1;	/* until set below: ws_hub_close() shuts nothing */
		snprintf(s->host, sizeof(s->host), "%s", host ? host : "");
		s->next = hub->sessions;
		if (hub->sessions)
			hub->sessions->prev = s;
		hub->sessions = s;
	}
	pthread_mutex_unlock(&hub->lock);
	return s;
}

/* MHD: the 101 has gone out; the socket is ours until MHD_upgrade_action.
 * Sessions are counted from here, so a 101 that never reached the client
 * holds nothing. */
static void upgraded(void *cls, struct MHD_Connection *conn, void *con_cls,
		     const char *extra_in, size_t extra_in_size, MHD_socket sock,
		     struct MHD_UpgradeResponseHandle *urh)
{
	struct ws_hub *hub = cls;
	struct ws_session *s;
	pthread_attr_t attr;
	pthread_t tid;
	int err = 0;

	(void)con_cls;
	s = reserve(hub, conn);
	if (!s) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	/* ws_hub_stop() shuts the sessions it finds; one that comes in after
	 * it began is shut here */
	pthread_mutex_lock(&hub->lock);
	s->fd = sock;
	s->urh = urh;
	if (hub->stopping)
		shutdown(sock, SHUT_RDWR);
	pthread_mutex_unlock(&hub->lock);
	if (extra_in_size && !(s->early = malloc(extra_in_size)))
		err = -ENOMEM;
	if (s->early) {
		memcpy(s->early, extra_in, extra_in_size);
		s->early_len = extra_in_size;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* a session needs a few KiB of frames: no 8 MiB default per client */
	pthread_attr_setstacksize(&attr, WS_THREAD_STACK);
	if (!err)
		err = -pthread_create(&tid, &attr, session_run, s);
	pthread_attr_destroy(&attr);
	if (err) {
		pr_warn("websocket: cannot start a session: %s\n", strerror(-err));
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		session_unlink(hub, s);
		free(s->early);
		free(s);
	}
}

/* ---- the handshake -------------------------------------------------------- */

/* A comma-separated header value holds the token (case-insensitive). */
static bool has_token(const char *value, const char *token)
{
	size_t tlen = strlen(token), n;

	while (value && *value) {
		value += strspn(value, " \t,");
		n = strcspn(value, " \t,");
		if (n == tlen && !strncasecmp(value, token, tlen))
			return true;
		value += n;
	}
	return false;
}

bool ws_is_upgrade(struct MHD_Connection *conn)
{
	return has_token(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade"),
			 "websocket");
}

static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned int status, const char *why)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(why), (void *)why,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	if (status == MHD_HTTP_UPGRADE_REQUIRED)
		MHD_add_response_header(r, "Sec-WebSocket-Version", "13");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* RFC 6455 4.2.1: what a server must check before it answers 101. */
static const char *bad_handshake(struct MHD_Connection *conn, const char **key)
{
	const char *version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							  "Sec-WebSocket-Version");

	*key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	if (!has_token(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection"),
		       "upgrade"))
		return "bad websocket handshake: Connection must include Upgrade\n";
	if (!*key || strlen(*key) != 24)
		return "bad websocket handshake: Sec-WebSocket-Key missing or malformed\n";
	if (!version || strcmp(version, "13"))
		return "";	/* the version answer, 426 */
	return NULL;
}

enum MHD_Result ws_accept(struct ws_hub *hub, struct MHD_Connection *conn,
			  const char *extra_header, const char *extra_value, bool *upgrading)
{
	const char *key, *why = bad_handshake(conn, &key), *proto;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char accept[32];

	*upgrading = false;
	if (why)
		return *why ? refuse(conn, MHD_HTTP_BAD_REQUEST, why) :
			      refuse(conn, MHD_HTTP_UPGRADE_REQUIRED, "websocket version 13 only\n");
	if (ws_accept_key(key, accept, sizeof(accept)))
		return refuse(conn, MHD_HTTP_BAD_REQUEST, "bad Sec-WebSocket-Key\n");
	if (ws_hub_sessions(hub) >= WS_MAX_SESSIONS)
		return refuse(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "too many websocket sessions\n");
	r = MHD_create_response_for_upgrade(upgraded, hub);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
	MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
	proto = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Protocol");
	if (has_token(proto, WS_WEBNTP_SUBPROTOCOL))
		MHD_add_response_header(r, "Sec-WebSocket-Protocol", WS_WEBNTP_SUBPROTOCOL);
	if (extra_header)
		MHD_add_response_header(r, extra_header, extra_value);
	ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
	MHD_destroy_response(r);
	*upgrading = ret == MHD_YES;
	return ret;
}

/* ---- the hub ---------------------------------------------------------------- */

int ws_hub_open(struct ws_hub **out, ws_answer_fn answer, void *ctx)
{
	struct ws_hub *hub = calloc(1, sizeof(*hub));

	if (!hub)
		return -ENOMEM;
	hub->answer = answer;
	hub->ctx = ctx;
	pthread_mutex_init(&hub->lock, NULL);
	pthread_cond_init(&hub->gone, NULL);
	*out = hub;
	return 0;
}

unsigned int ws_hub_sessions(struct ws_hub *hub)
{
	unsigned int n;

	pthread_mutex_lock(&hub->lock);
	n = hub->n;
	pthread_mutex_unlock(&hub->lock);
	return n;
}

void ws_hub_stop(struct ws_hub *hub)
{
	struct ws_session *s;

	if (!hub)
		return;
	pthread_mutex_lock(&hub->lock);
	hub->stopping = true;
	for (s = hub->sessions; s; s = s->next)
		if (s->fd >= 0)
			shutdown(s->fd, SHUT_RDWR);
	while (hub->sessions)
		pthread_cond_wait(&hub->gone, &hub->lock);
	pthread_mutex_unlock(&hub->lock);
}

void ws_hub_free(struct ws_hub *hub)
{
	if (!hub)
		return;
	pthread_cond_destroy(&hub->gone);
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}
