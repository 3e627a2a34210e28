/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * WebSocket (RFC 6455) on libmicrohttpd's protocol upgrade: MHD does the
 * HTTP side (the request, the 101 answer), we the handshake key and the
 * framing, which for a request-answer protocol like webntp's is small: text
 * or binary messages of at most WS_MESSAGE_MAX bytes in, one text message
 * out per message, ping answered, close echoed.  docs/design.md says why
 * not libwebsockets.
 *
 * Each session is a thread of its own (MHD's upgrade handler must not
 * block), at most WS_MAX_SESSIONS at once; a session idle for
 * WS_IDLE_TIMEOUT_S is closed (webntp's read deadline), and ws_hub_stop()
 * ends them all before MHD stops.
 */
#ifndef NTPD_WEBSOCKET_H
#define NTPD_WEBSOCKET_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* webntp's read limit: a timestamp is some twenty bytes */
#define WS_MESSAGE_MAX 1024
/* Sessions at once over all listeners: each holds a thread, a few per
 * client is plenty (the per-address HTTP limit holds one client to 8). */
#define WS_MAX_SESSIONS 64
#define WS_IDLE_TIMEOUT_S 60
/* The subprotocol webntp's clients may ask for, echoed when they do. */
#define WS_WEBNTP_SUBPROTOCOL "webntp.shogo82148.com"

/* One message in, the answer's text out (NUL-terminated in out[size]):
 * its length, or -errno to close the session. */
typedef int (*ws_answer_fn)(void *ctx, const char *host, const char *msg, size_t len,
			    char *out, size_t size);

struct ws_hub;

int ws_hub_open(struct ws_hub **out, ws_answer_fn answer, void *ctx);
/* Shut every session down, wait for their threads, refuse new ones: before
 * MHD_stop_daemon (MHD wants upgraded sockets closed first).  ws_hub_free
 * after it, when no upgrade can come in any more. */
void ws_hub_stop(struct ws_hub *hub);
void ws_hub_free(struct ws_hub *hub);

/* The request asks for a WebSocket: GET with Upgrade: websocket. */
bool ws_is_upgrade(struct MHD_Connection *conn);

/*
 * Answer an upgrade request: 101 and a session, or 400 (a bad handshake),
 * 426 (a version other than 13) or 503 (WS_MAX_SESSIONS busy).
 * extra_header/value: one more header for the answer (CORS), may be NULL.
 * *upgrading: the 101 is queued (the connection becomes a session).
 */
enum MHD_Result ws_accept(struct ws_hub *hub, struct MHD_Connection *conn,
			  const char *extra_header, const char *extra_value, bool *upgrading);

/* Sessions open now (metrics, tests). */
unsigned int ws_hub_sessions(struct ws_hub *hub);

/* The Sec-WebSocket-Accept value of a key (RFC 6455 4.2.2): base64 of the
 * SHA-1 of key + the protocol's GUID.  out: at least 29 bytes.  0 or -errno. */
int ws_accept_key(const char *key, char *out, size_t size);

#endif /* NTPD_WEBSOCKET_H */
