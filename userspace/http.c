// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "http.h"
#include "dashboard.h"
#include "kclock.h"
#include "log.h"
#include "mgmt_api.h"
#include "status.h"
#include "testhook.h"
#include "webntp.h"
#include "websocket.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum http_role {
	HTTP_ROLE_ALL,		/* metrics listener without --api-listen */
	HTTP_ROLE_READS,	/* metrics listener with --api-listen */
	HTTP_ROLE_API,		/* --api-listen: the management resources only */
};

struct http_listener {
	struct http_server *srv;
	struct MHD_Daemon *daemon;
	enum http_role role;
	__u16 port;
	const struct ntpd_endpoint *ep;
	unsigned int limit;
	int fd;			/* bound by http_open, libmicrohttpd's once running; else -1 */
};

/* One open connection, for the whole-request deadline. */
struct tracked_conn {
	struct tracked_conn *prev, *next;
	int fd;
	__u64 since_ns;		/* CLOCK_MONOTONIC: opened, or its last request ended */
	bool cut;
	bool upgraded;		/* a WebSocket now: websocket.c's idle timeout rules it */
};

struct http_server {
	struct http_listener listeners[2];
	int n_listeners;
	struct metrics *metrics;
	struct metrics_sources src;
	struct http_counters counters;
	char *extra_hosts;
	bool cross_origin;		/* --allow-cross-origin */
	__u64 max_state_age_ns;
	struct webntp *webntp;
	struct ws_hub *ws;
	struct dashboard *dashboard;
	pthread_mutex_t lock;		/* the tracked list and `stopping` */
	pthread_cond_t wake;
	struct tracked_conn *tracked;
	bool stopping;
	bool sweeper_running;
	pthread_t sweeper;
};

static __u64 mono_ns(void)
{
	__u64 now = 0;

	kclock_now_ns(CLOCK_MONOTONIC, &now);
	return now;
}

/* ---- Host header ------------------------------------------------------ */

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const __u8 *a = s6->sin6_addr.s6_addr;

	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family != AF_INET6)
		return false;
	return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
	       (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && a[12] == 127);
}

/* The literal names the local address (an IPv4 one also as v4-mapped IPv6). */
static bool is_local_literal(const char *name, const struct sockaddr_storage *local)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)local;
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, name, &a4) == 1) {
		if (local->ss_family == AF_INET)
			return ((const struct sockaddr_in *)local)->sin_addr.s_addr == a4.s_addr;
		return local->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		       !memcmp(&s6->sin6_addr.s6_addr[12], &a4, 4);
	}
	return inet_pton(AF_INET6, name, &a6) == 1 && local->ss_family == AF_INET6 &&
	       !memcmp(&s6->sin6_addr, &a6, sizeof(a6));
}

static bool in_name_list(const char *name, size_t len, const char *list)
{
	size_t n;

	while (list && *list) {
		n = strcspn(list, ",");
		if (n == len && !strncasecmp(list, name, len))
			return true;
		list += n + (list[n] == ',');
	}
	return false;
}

bool http_host_allowed(const char *host, const struct sockaddr_storage *local, __u16 port,
		       const char *extra_names)
{
	bool bracketed = host && host[0] == '[';
	struct in6_addr a6;
	char name[256], *end;
	const char *colon;
	size_t len;
	long want;

	if (!host || !*host)
		return false;
	if (bracketed) {
		end = strchr(host, ']');
		if (!end)
			return false;
		host++;
		len = (size_t)(end - host);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return false;
	} else {
		colon = strchr(host, ':');
		/* an IPv6 literal without brackets is no Host (RFC 9110 7.2) */
		if (colon && strchr(colon + 1, ':'))
			return false;
		len = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (!len || len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	/* brackets hold an IPv6 literal and nothing else (RFC 3986 3.2.2) */
	if (bracketed && inet_pton(AF_INET6, name, &a6) != 1)
		return false;
	/* configured names are for proxies and port forwards: any port */
	if (!bracketed && in_name_list(name, len, extra_names))
		return true;
	if (colon) {
		want = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || want != port)
			return false;
	}
	if (!bracketed && !strcasecmp(name, "localhost"))
		return is_loopback(local);
	return is_local_literal(name, local);
}

/* ---- answers ---------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       const char *type, char *body, size_t len, const char *time_header)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!body)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len ? len : strlen(body), body,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (time_header)
		MHD_add_response_header(resp, "X-HTTPSTIME", time_header);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
				    const char *text)
{
	return respond(conn, status, "text/plain", strdup(text), 0, NULL);
}

/* A request body being received; bounded, the excess only remembered. */
struct upload {
	char *data;
	size_t len;
	bool too_large;
};

static enum MHD_Result receive_body(struct upload *up, const char *data, size_t *size)
{
	char *grown;

	if (up->len + *size > MGMT_MAX_BODY) {
		up->too_large = true;
	} else {
		grown = realloc(up->data, up->len + *size + 1);
		if (!grown)
			return MHD_NO;
		memcpy(grown + up->len, data, *size);
		up->data = grown;
		up->len += *size;
		up->data[up->len] = '\0';
	}
	*size = 0;
	return MHD_YES;
}

static enum MHD_Result manage(struct http_server *h, struct MHD_Connection *conn,
			      const char *url, const char *method, const struct upload *up)
{
	struct mgmt_reply r;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	mgmt_handle(h->src.mgmt, method, url,
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
		    up && up->data ? up->data : "", up ? (up->too_large ? MGMT_MAX_BODY + 1 : up->len) : 0,
		    &r);
	if (!r.body)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(r.body), r.body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(r.body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r.want_auth)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"xdp-ntpd\"");
	ret = MHD_queue_response(conn, r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The webntp answers' headers: the Time-over-HTTPS stamp, whether it is
 * synchronised, and with --allow-cross-origin what lets a page read them. */
static void time_headers(struct http_server *h, struct MHD_Response *resp,
			 const struct webntp_answer *a)
{
	char stamp[32];

	webntp_stamp(a->st_ns, stamp, sizeof(stamp));
	MHD_add_response_header(resp, "X-HTTPSTIME", stamp);
	MHD_add_response_header(resp, WEBNTP_SYNC_HEADER, a->synchronised ? "yes" : "no");
	if (a->leap_expired)
		MHD_add_response_header(resp, WEBNTP_LEAP_HEADER, "expired");
	if (h->cross_origin) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
		MHD_add_response_header(resp, "Access-Control-Expose-Headers",
					"X-HTTPSTIME, " WEBNTP_SYNC_HEADER ", " WEBNTP_LEAP_HEADER);
	}
}

/* webntp's query is the whole of it ("/?1489217288.328757"): MHD parses
 * that as one argument without a value. */
static enum MHD_Result first_argument(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	const char **first = cls;

	(void)kind;
	*first = value ? "" : key;
	return MHD_NO;
}

/* GET / (webntp JSON), HEAD / and /.well-known/time (204 and the stamp). */
static enum MHD_Result serve_time(struct http_server *h, struct MHD_Connection *conn,
				  bool json)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *query = NULL;
	struct webntp_answer a;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	__s64 it = 0;
	char *body;
	int len;

	if (json) {
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, first_argument, &query);
		if (query && webntp_parse_stamp(query, strlen(query), &it))
			return respond_text(conn, MHD_HTTP_BAD_REQUEST,
					    "bad request: the query is the client's unix time, "
					    "e.g. /?1489217288.328757\n");
	}
	if (webntp_answer(h->webntp, host, it, &a))
		return respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no time to serve yet\n");
	body = malloc(WEBNTP_ANSWER_MAX);
	len = body && json ? webntp_format(&a, body, WEBNTP_ANSWER_MAX) : 0;
	if (!body || len < 0) {
		free(body);
		return MHD_NO;
	}
	resp = MHD_create_response_from_buffer((size_t)len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
				json ? "application/json; charset=utf-8" : "text/plain");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store");
	time_headers(h, resp, &a);
	ret = MHD_queue_response(conn, json ? MHD_HTTP_OK : MHD_HTTP_NO_CONTENT, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A WebSocket on /: once the 101 is queued the sweeper's whole-request
 * deadline no longer applies (websocket.c's idle timeout does); a refused
 * handshake stays an HTTP request under it. */
static enum MHD_Result serve_websocket(struct http_server *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct tracked_conn *t = ci ? ci->socket_context : NULL;
	bool upgrading = false;
	enum MHD_Result ret;

	ret = ws_accept(h->ws, conn, h->cross_origin ? "Access-Control-Allow-Origin" : NULL, "*",
			&upgrading);
	if (t && upgrading) {
		pthread_mutex_lock(&h->lock);
		t->upgraded = true;
		pthread_mutex_unlock(&h->lock);
	}
	return ret;
}

static enum MHD_Result serve_dashboard(struct http_server *h, struct MHD_Connection *conn,
				       const char *url)
{
	struct dashboard_reply r;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (dashboard_serve(h->dashboard, &h->src, url, &r))
		return MHD_NO;
	resp = MHD_create_response_from_buffer(r.len, r.body, r.borrowed ? MHD_RESPMEM_PERSISTENT :
									   MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		if (!r.borrowed)
			free(r.body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", r.type);
	MHD_add_response_header(resp, "Cache-Control", r.cacheable ? "max-age=3600" : "no-store");
	/* the page runs our script and Chart.js, both from here, nothing else */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; script-src 'self' 'unsafe-inline'; "
				"style-src 'unsafe-inline'; img-src data:");
	ret = MHD_queue_response(conn, r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result serve_read(struct http_server *h, struct MHD_Connection *conn,
				  const char *url, const char *method)
{
	static const char json[] = "application/json";
	bool head = !strcmp(method, "HEAD");
	size_t len = 0;
	char *body;

	if (!strcmp(url, "/")) {
		if (!head && ws_is_upgrade(conn))
			return serve_websocket(h, conn);
		return serve_time(h, conn, !head);
	}
	/* the Time-over-HTTPS convention: the answer is the header */
	if (!strcmp(url, "/.well-known/time"))
		return serve_time(h, conn, false);
	if (dashboard_owns(url))
		return serve_dashboard(h, conn, url);
	if (!strcmp(url, "/metrics")) {
		body = metrics_render(h->metrics, &len);
		return respond(conn, body ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR,
			       "text/plain; version=0.0.4; charset=utf-8",
			       body ? body : strdup("cannot render metrics\n"), len, NULL);
	}
	if (!strcmp(url, "/status"))
		return respond(conn, MHD_HTTP_OK, json, status_json(&h->src), 0, NULL);
	if (!strcmp(url, "/version"))
		return respond(conn, MHD_HTTP_OK, json, status_version_json(), 0, NULL);
	if (!strcmp(url, "/time"))
		return respond(conn, MHD_HTTP_OK, json, status_time_json(&h->src), 0, NULL);
	return respond_text(conn, MHD_HTTP_NOT_FOUND,
			    "not found: / /metrics /status /version /time /.well-known/time /dashboard "
			    "/upstreams /ratelimit /acl\n");
}

/* ---- the router ------------------------------------------------------- */

static void count(__u64 *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Misdirected (a foreign Host) or refused by this listener's role: the answer, else 0. */
static unsigned int screen(struct http_listener *l, struct MHD_Connection *conn,
			   const char *url, const char *version, bool reading, const char **why)
{
	const union MHD_ConnectionInfo *ci;
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);

	/* Browsers always send Host, so an HTTP/1.0 request without one is not
	 * a DNS-rebinding page; HTTP/1.1 must have one (RFC 9112 3.2). */
	if (!host && strcmp(version, MHD_HTTP_VERSION_1_0)) {
		*why = "bad request: HTTP/1.1 needs a Host header\n";
		return MHD_HTTP_BAD_REQUEST;
	}
	if (host) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)&local, &local_len) ||
		    !http_host_allowed(host, &local, l->port, l->srv->extra_hosts)) {
			count(&l->srv->counters.host_refused);
			*why = "misdirected request: Host names neither this listener's address "
			       "nor an --http-host name\n";
			return MHD_HTTP_MISDIRECTED_REQUEST;
		}
	}
	if (l->role == HTTP_ROLE_API && !mgmt_is_resource(url)) {
		*why = "not found: the API listener serves /upstreams /ratelimit /acl\n";
		return MHD_HTTP_NOT_FOUND;
	}
	if (l->role == HTTP_ROLE_READS && !reading && mgmt_is_resource(url)) {
		count(&l->srv->counters.writes_refused);
		*why = "changes go to the --api-listen address; this listener only reads\n";
		return MHD_HTTP_FORBIDDEN;
	}
	return 0;
}

static enum MHD_Result route(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version,
			     const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_listener *l = cls;
	bool reading = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	const char *why = NULL;
	unsigned int refused;

	/* the first call has the headers only: screen there, before any body */
	if (!*con_cls) {
		testhook_network_input("http");
		refused = screen(l, conn, url, version, reading, &why);
		if (refused)
			return respond_text(conn, refused, why);
	}
	if (mgmt_is_resource(url) && !reading) {
		/* first call: headers only; then the body in pieces; then an empty call */
		if (!*con_cls) {
			*con_cls = calloc(1, sizeof(struct upload));
			return *con_cls ? MHD_YES : MHD_NO;
		}
		if (*upload_size)
			return receive_body(*con_cls, upload_data, upload_size);
		return manage(l->srv, conn, url, method, *con_cls);
	}
	if (!reading)
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "read-only endpoint: GET or HEAD\n");
	if (mgmt_is_resource(url))
		return manage(l->srv, conn, url, method, NULL);
	return serve_read(l->srv, conn, url, method);
}

/* ---- connections and the deadline -------------------------------------- */

static struct tracked_conn *tracked_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct http_server *h = cls;
	struct upload *up = *con_cls;
	struct tracked_conn *t = tracked_of(conn);

	(void)code;
	if (up) {
		free(up->data);
		free(up);
		*con_cls = NULL;
	}
	/* a kept-alive connection's next request gets a deadline of its own */
	if (t) {
		pthread_mutex_lock(&h->lock);
		t->since_ns = mono_ns();
		pthread_mutex_unlock(&h->lock);
	}
}

static void connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	struct http_server *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct tracked_conn *t = *socket_context;

	pthread_mutex_lock(&h->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		t = ci ? calloc(1, sizeof(*t)) : NULL;
		if (t) {
			t->fd = ci->connect_fd;
			t->since_ns = mono_ns();
			t->next = h->tracked;
			if (h->tracked)
				h->tracked->prev = t;
			h->tracked = t;
		}
		*socket_context = t;
	} else if (t) {
		/* MHD tells us before it closes the fd: the sweeper never sees a reused one */
		if (t->prev)
			t->prev->next = t->next;
		else
			h->tracked = t->next;
		if (t->next)
			t->next->prev = t->prev;
		free(t);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&h->lock);
}

/* Once a second: shut down connections past the deadline; MHD sees the end
 * of the stream on its own thread and cleans up as for any closed peer. */
static void *sweep(void *arg)
{
	struct http_server *h = arg;
	const __u64 deadline_ns = HTTP_REQUEST_DEADLINE_S * 1000000000ULL;
	struct timespec until;
	struct tracked_conn *t;
	__u64 now;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&h->wake, &h->lock, &until);
		now = mono_ns();
		for (t = h->tracked; t; t = t->next) {
			if (t->cut || t->upgraded || now - t->since_ns < deadline_ns)
				continue;
			shutdown(t->fd, SHUT_RDWR);
			t->cut = true;
			count(&h->counters.deadline_cut);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- start and stop ---------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	/* under a connection flood MHD says so per connection: the counters
	 * and limits speak for it, its lines only at debug level */
	vsnprintf(line, sizeof(line), fmt, ap);
	pr_debug("http: %s", line);
}

static unsigned int open_fds(void)
{
	struct dirent *e;
	unsigned int n = 0;
	DIR *dir = opendir("/proc/self/fd");

	if (!dir)
		return 64;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* Connections per listener so the fd table never runs out: half of what is
 * free now, shared by the listeners, at most HTTP_MAX_CONNECTIONS. */
static unsigned int connection_budget(int n_listeners)
{
	struct rlimit rl;
	unsigned long long spare, budget;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 1024;
	spare = rl.rlim_cur > open_fds() ? rl.rlim_cur - open_fds() : 0;
	budget = spare / 2 / (unsigned int)n_listeners;
	if (budget > HTTP_MAX_CONNECTIONS)
		budget = HTTP_MAX_CONNECTIONS;
	return budget < 16 ? 16 : (unsigned int)budget;
}

static unsigned int pool_size(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return cores < 1 ? 1 : cores > 8 ? 8 : (unsigned int)cores;
}

/* Bind the listener's socket (the port may be privileged: before the drop),
 * with the backlog libmicrohttpd would give it (SOMAXCONN). */
static int bind_listener(struct http_server *h, struct http_listener *l,
			 const struct ntpd_endpoint *ep, enum http_role role, unsigned int limit)
{
	const struct sockaddr *sa = (const struct sockaddr *)&ep->addr;
	socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						    sizeof(struct sockaddr_in);
	int one = 1;

	l->srv = h;
	l->role = role;
	l->port = ep->port;
	l->ep = ep;
	l->limit = limit;
	l->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l->fd, sa, len) || listen(l->fd, SOMAXCONN)) {
		pr_warn("%s: cannot listen on %s port %u (in use or not an address here): %s\n",
			role == HTTP_ROLE_API ? "api-listen" : "metrics", ep->host, ep->port,
			strerror(errno));
		return -EADDRINUSE;
	}
	return 0;
}

/* Serve the bound socket: libmicrohttpd's threads, after the drop. */
static int listen_on(struct http_server *h, struct http_listener *l)
{
	const struct ntpd_endpoint *ep = l->ep;
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE;

	if (ep->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	l->daemon = MHD_start_daemon(flags, ep->port, NULL, NULL, route, l,
				     MHD_OPTION_LISTEN_SOCKET, l->fd,
				     MHD_OPTION_THREAD_POOL_SIZE, pool_size(),
				     MHD_OPTION_CONNECTION_LIMIT, l->limit,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT_S,
				     MHD_OPTION_NOTIFY_COMPLETED, request_done, h,
				     MHD_OPTION_NOTIFY_CONNECTION, connection_event, h,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_END);
	if (!l->daemon) {
		pr_warn("%s: cannot serve on %s port %u\n",
			l->role == HTTP_ROLE_API ? "api-listen" : "metrics", ep->host, ep->port);
		return -EIO;
	}
	l->fd = -1;	/* libmicrohttpd closes it */
	pr_info("http: %s on http://%s%s%s:%u/ (%u connections, %u per address)\n",
		l->role == HTTP_ROLE_API ? "management API" :
		l->role == HTTP_ROLE_READS ? "metrics and status, read-only" :
					     "metrics, status and API",
		ep->addr.ss_family == AF_INET6 ? "[" : "", ep->host,
		ep->addr.ss_family == AF_INET6 ? "]" : "", ep->port, l->limit, HTTP_PER_IP_LIMIT);
	return 0;
}

int http_open(struct http_server **out, const struct http_params *params)
{
	bool api = params->api_listen && params->api_listen->host[0];
	pthread_condattr_t cattr;
	struct http_server *h;
	unsigned int limit;
	int err = -ENOMEM;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->listeners[0].fd = h->listeners[1].fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	/* the sweeper's timed wait must not jump with the wall clock */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &cattr);
	pthread_condattr_destroy(&cattr);
	if (params->extra_hosts && !(h->extra_hosts = strdup(params->extra_hosts)))
		goto cleanup;
	h->cross_origin = params->allow_cross_origin;
	h->max_state_age_ns = params->max_state_age_ns ? params->max_state_age_ns :
							  NTPD_MAX_STATE_AGE_NS_DEFAULT;
	/* Chart.js and the leap list from /usr/share: before a chroot hides them */
	webntp_load_leap_list();
	err = dashboard_open(&h->dashboard, DASHBOARD_CHART_JS);
	if (err)
		goto cleanup;
	limit = connection_budget(api ? 2 : 1);
	err = bind_listener(h, &h->listeners[h->n_listeners++], params->metrics_listen,
			    api ? HTTP_ROLE_READS : HTTP_ROLE_ALL, limit);
	if (!err && api)
		err = bind_listener(h, &h->listeners[h->n_listeners++], params->api_listen,
				    HTTP_ROLE_API, limit);
	if (err)
		goto cleanup;
	*out = h;
	return 0;
cleanup:
	http_stop(h);
	return err;
}

int http_run(struct http_server *h, const struct metrics_sources *src)
{
	int i, err;

	h->src = *src;
	h->src.http = &h->counters;
	err = metrics_open(&h->metrics, &h->src);
	if (!err)
		err = webntp_open(&h->webntp, h->src.served, h->max_state_age_ns);
	if (!err)
		err = ws_hub_open(&h->ws, webntp_message, h->webntp);
	if (err)
		return err;
	err = -pthread_create(&h->sweeper, NULL, sweep, h);
	if (err)
		return err;
	h->sweeper_running = true;
	for (i = 0; !err && i < h->n_listeners; i++)
		err = listen_on(h, &h->listeners[i]);
	return err;
}

void http_stop(struct http_server *h)
{
	int i;

	if (!h)
		return;
	/* upgraded sockets first: MHD wants them closed before it stops */
	ws_hub_stop(h->ws);
	for (i = 0; i < h->n_listeners; i++) {
		if (h->listeners[i].daemon)
			MHD_stop_daemon(h->listeners[i].daemon);
		if (h->listeners[i].fd >= 0)
			close(h->listeners[i].fd);
	}
	if (h->sweeper_running) {
		pthread_mutex_lock(&h->lock);
		h->stopping = true;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->sweeper, NULL);
	}
	metrics_close(h->metrics);
	ws_hub_free(h->ws);
	dashboard_close(h->dashboard);
	webntp_close(h->webntp);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h->extra_hosts);
	free(h);
}
