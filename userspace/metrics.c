// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "metrics.h"
#include "kclock.h"
#include "log.h"
#include "ntp_proto.h"
#include "refstate.h"
#include "reqlog.h"
#include "stats.h"
#include "status.h"
#include "testhook.h"
#include "version.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct metrics_server {
	struct MHD_Daemon *httpd;
	struct metrics_sources src;
	struct ntpd_endpoint listen;
	int fd;			/* bound, not yet handed to libmicrohttpd; else -1 */
};

static void write_counters(FILE *out, const char *path, const char *iface,
			   const struct ntpd_counters *c)
{
	int i;

	for (i = 0; i < NTPD_CNT_MAX; i++)
		fprintf(out, "xdp_ntpd_requests_total{path=\"%s\",interface=\"%s\","
			"outcome=\"%s\",reason=\"%s\"} %llu\n", path, iface,
			stats_counter_outcome(i), stats_counter_reason(i),
			(unsigned long long)c->packets[i]);
}

/* The processing-time histogram of one path: cumulative buckets, le in seconds. */
static void write_latency(FILE *out, const char *path, const char *iface,
			  const struct ntpd_counters *c)
{
	__u64 cum = 0;
	int k;

	for (k = 0; k < NTPD_LAT_BUCKETS - 1; k++) {
		cum += c->latency[k];
		fprintf(out, "xdp_ntpd_request_processing_seconds_bucket{path=\"%s\",interface=\"%s\","
			"le=\"%.9g\"} %llu\n", path, iface,
			(double)(1ULL << (k + NTPD_LAT_SHIFT)) / 1e9, (unsigned long long)cum);
	}
	cum += c->latency[NTPD_LAT_BUCKETS - 1];
	fprintf(out, "xdp_ntpd_request_processing_seconds_bucket{path=\"%s\",interface=\"%s\","
		"le=\"+Inf\"} %llu\n", path, iface, (unsigned long long)cum);
	fprintf(out, "xdp_ntpd_request_processing_seconds_sum{path=\"%s\",interface=\"%s\"} %.9f\n",
		path, iface, (double)c->latency_sum_ns / 1e9);
	fprintf(out, "xdp_ntpd_request_processing_seconds_count{path=\"%s\",interface=\"%s\"} %llu\n",
		path, iface, (unsigned long long)cum);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_upstreams(FILE *out, struct agent *agent)
{
	int n = agent_source_count(agent), i;
	struct agent_source_status st[NTPD_MAX_UPSTREAMS];

	for (i = 0; i < n; i++)
		if (agent_source_status(agent, i, &st[i])) {
			n = i;	/* replaced meanwhile: the next scrape sees the new set */
			break;
		}
#define PER_UPSTREAM(metric, type, help, fmt, expr)					\
	do {										\
		family(out, metric, type, help);					\
		for (i = 0; i < n; i++)							\
			fprintf(out, metric "{upstream=\"%s\"} " fmt "\n", st[i].name, expr); \
	} while (0)
	PER_UPSTREAM("xdp_ntpd_upstream_reachable", "gauge",
		     "1 if the upstream answered within the last missed-poll limit.", "%d",
		     st[i].reachable);
	PER_UPSTREAM("xdp_ntpd_upstream_offset_seconds", "gauge",
		     "Upstream clock minus ours, best sample of the clock filter.", "%.9f",
		     st[i].offset);
	PER_UPSTREAM("xdp_ntpd_upstream_delay_seconds", "gauge",
		     "Round-trip delay of the best sample.", "%.9f", st[i].delay);
	PER_UPSTREAM("xdp_ntpd_upstream_dispersion_seconds", "gauge",
		     "Dispersion of the best sample.", "%.9f", st[i].dispersion);
	PER_UPSTREAM("xdp_ntpd_upstream_stratum", "gauge", "Stratum the upstream reports.", "%u",
		     st[i].stratum);
	PER_UPSTREAM("xdp_ntpd_upstream_poll_seconds", "gauge", "Current polling interval.",
		     "%g", (double)(1u << st[i].poll));
	PER_UPSTREAM("xdp_ntpd_upstream_samples_total", "counter", "Valid samples received.",
		     "%llu", (unsigned long long)st[i].samples);
	PER_UPSTREAM("xdp_ntpd_upstream_bad_responses_total", "counter",
		     "Responses rejected (origin mismatch, bad mode, stratum, LI=3).", "%llu",
		     (unsigned long long)st[i].bad_responses);
#undef PER_UPSTREAM
	family(out, "xdp_ntpd_upstream_state", "gauge",
	       "Selection state of each upstream (1 for the current state).");
	for (i = 0; i < n; i++)
		for (int s = SOURCE_UNREACHABLE; s <= SOURCE_DENIED; s++)
			fprintf(out, "xdp_ntpd_upstream_state{upstream=\"%s\",state=\"%s\"} %d\n",
				st[i].name, agent_source_state_name((enum source_state)s),
				st[i].state == (enum source_state)s);
	family(out, "xdp_ntpd_upstream_kod_received_total", "counter",
	       "Kiss-o'-death packets received, by code.");
	for (i = 0; i < n; i++)
		fprintf(out, "xdp_ntpd_upstream_kod_received_total{upstream=\"%s\",code=\"RATE\"} %llu\n"
			     "xdp_ntpd_upstream_kod_received_total{upstream=\"%s\",code=\"DENY\"} %llu\n",
			st[i].name, (unsigned long long)st[i].kod_rate,
			st[i].name, (unsigned long long)st[i].kod_deny);
}

static void write_served(FILE *out, const struct ntpd_ref_buffer *served, struct agent *agent)
{
	struct ntpd_ref_state st;
	__u64 now = refstate_tai_now_ns();
	const __u8 *r;

	if (refstate_read(served, &st))
		return;
	r = (const __u8 *)&st.refid;
	family(out, "xdp_ntpd_served_stratum", "gauge", "Stratum served (16: unsynchronised).");
	fprintf(out, "xdp_ntpd_served_stratum %u\n", st.stratum);
	family(out, "xdp_ntpd_served_leap", "gauge",
	       "Leap indicator served (0 none, 1 insert, 2 delete, 3 unsynchronised).");
	fprintf(out, "xdp_ntpd_served_leap %u\n", st.leap);
	family(out, "xdp_ntpd_served_root_delay_seconds", "gauge", "Root delay served.");
	fprintf(out, "xdp_ntpd_served_root_delay_seconds %.9f\n", st.root_delay / 65536.0);
	family(out, "xdp_ntpd_served_root_dispersion_seconds", "gauge",
	       "Root dispersion served, as published (it grows by 15 ppm per second since).");
	fprintf(out, "xdp_ntpd_served_root_dispersion_seconds %.9f\n", st.root_dispersion / 65536.0);
	family(out, "xdp_ntpd_served_refid_info", "gauge", "Reference id served.");
	fprintf(out, "xdp_ntpd_served_refid_info{refid=\"%u.%u.%u.%u\"} 1\n", r[0], r[1], r[2], r[3]);
	family(out, "xdp_ntpd_reference_age_seconds", "gauge", "Time since the state was published.");
	fprintf(out, "xdp_ntpd_reference_age_seconds %.3f\n", (double)(now - st.update_tai_ns) / 1e9);
	family(out, "xdp_ntpd_tai_offset_seconds", "gauge", "Kernel TAI-UTC offset in use.");
	fprintf(out, "xdp_ntpd_tai_offset_seconds %.0f\n", (double)st.tai_offset_ns / 1e9);
	family(out, "xdp_ntpd_correction_seconds", "gauge",
	       "Correction added to the kernel clock (corrected clock model).");
	fprintf(out, "xdp_ntpd_correction_seconds %.9f\n", (double)st.correction_ns / 1e9);
	family(out, "xdp_ntpd_clock_model_info", "gauge", "Clock model in use.");
	fprintf(out, "xdp_ntpd_clock_model_info{model=\"%s\"} 1\n",
		agent_clock_model(agent) == CLOCK_MODEL_SYSTEM ? "system" : "corrected");
}

static void write_health(FILE *out, const struct watchdog *w)
{
	int t, c;

	family(out, "xdp_ntpd_thread_healthy", "gauge",
	       "1 while the thread beats its heartbeat, 0 once the watchdog found it dead or stuck.");
	for (t = 0; t < WATCHDOG_N_THREADS; t++)
		fprintf(out, "xdp_ntpd_thread_healthy{thread=\"%s\"} %d\n",
			watchdog_thread_name((enum watchdog_thread)t),
			watchdog_healthy(w, (enum watchdog_thread)t));
	family(out, "xdp_ntpd_watchdog_fired_total", "counter",
	       "Times the watchdog found a thread dead or stuck.");
	for (t = 0; t < WATCHDOG_N_THREADS; t++)
		fprintf(out, "xdp_ntpd_watchdog_fired_total{thread=\"%s\"} %llu\n",
			watchdog_thread_name((enum watchdog_thread)t),
			(unsigned long long)watchdog_fired(w, (enum watchdog_thread)t));
	family(out, "xdp_ntpd_kernel_clock_errors_total", "counter",
	       "Failed reads of the kernel clock state, by call (each makes the state served LI=3).");
	for (c = 0; c < KCLOCK_N_CALLS; c++)
		fprintf(out, "xdp_ntpd_kernel_clock_errors_total{call=\"%s\"} %llu\n",
			kclock_call_name((enum kclock_call)c),
			(unsigned long long)kclock_errors((enum kclock_call)c));
}

static char *render(const struct metrics_server *m, size_t *len)
{
	struct reqlog_stats rs;
	struct ntpd_counters c;
	char *text = NULL;
	FILE *out;
	int i;

	out = open_memstream(&text, len);
	if (!out)
		return NULL;
	fprintf(out, "# HELP xdp_ntpd_build_info Version of the running xdp-ntpd.\n"
		     "# TYPE xdp_ntpd_build_info gauge\n"
		     "xdp_ntpd_build_info{version=\"%s\"} 1\n", NTPD_VERSION);
	fprintf(out, "# HELP xdp_ntpd_xdp_attached XDP attach mode per interface (1 = attached in that mode).\n"
		     "# TYPE xdp_ntpd_xdp_attached gauge\n");
	for (i = 0; i < m->src.n_att; i++)
		fprintf(out, "xdp_ntpd_xdp_attached{interface=\"%s\",mode=\"%s\"} %d\n",
			m->src.att[i].ifname, m->src.att[i].generic ? "generic" : "native",
			m->src.att[i].attached);
	fprintf(out, "# HELP xdp_ntpd_requests_total NTP packets seen, by path that saw them, outcome and reason.\n"
		     "# TYPE xdp_ntpd_requests_total counter\n");
	for (i = 0; i < m->src.n_att; i++) {
		const struct ntpd_attachment *att = &m->src.att[i];

		if (!att->attached || loader_read_counters(att->counters_fd, &c))
			continue;
		write_counters(out, att->generic ? "xdp_generic" : "xdp_native", att->ifname, &c);
	}
	socket_server_counters(m->src.sockets, &c);
	write_counters(out, "socket", "", &c);
	family(out, "xdp_ntpd_request_processing_seconds", "histogram",
	       "Receive to transmit timestamp of answered requests, by path.");
	for (i = 0; i < m->src.n_att; i++) {
		const struct ntpd_attachment *att = &m->src.att[i];
		struct ntpd_counters xc;

		if (att->attached && !loader_read_counters(att->counters_fd, &xc))
			write_latency(out, att->generic ? "xdp_generic" : "xdp_native", att->ifname, &xc);
	}
	write_latency(out, "socket", "", &c);
	family(out, "xdp_ntpd_rate_table_entries", "gauge",
	       "Clients in the XDP rate-limit table (an LRU: at capacity it evicts the coldest).");
	family(out, "xdp_ntpd_rate_table_capacity", "gauge", "Size of the XDP rate-limit table.");
	for (i = 0; i < m->src.n_att; i++) {
		__u32 entries, capacity;

		if (m->src.att[i].attached &&
		    !loader_rate_table_fill(&m->src.att[i], &entries, &capacity))
			fprintf(out, "xdp_ntpd_rate_table_entries{interface=\"%s\"} %u\n"
				     "xdp_ntpd_rate_table_capacity{interface=\"%s\"} %u\n",
				m->src.att[i].ifname, entries, m->src.att[i].ifname, capacity);
	}
	reqlog_stats(&rs, m->src.att, m->src.n_att);
	family(out, "xdp_ntpd_request_log_events_total", "counter",
	       "Sampled requests for the request log: logged, held back by its rate cap, "
	       "or lost to a full ring buffer.");
	fprintf(out, "xdp_ntpd_request_log_events_total{result=\"logged\"} %llu\n"
		     "xdp_ntpd_request_log_events_total{result=\"suppressed\"} %llu\n"
		     "xdp_ntpd_request_log_events_total{result=\"lost\"} %llu\n",
		(unsigned long long)rs.logged, (unsigned long long)rs.suppressed,
		(unsigned long long)rs.lost);
	write_served(out, m->src.served, m->src.agent);
	write_health(out, m->src.watchdog);
	write_upstreams(out, m->src.agent);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

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

static enum MHD_Result manage(struct metrics_server *m, struct MHD_Connection *conn,
			      const char *url, const char *method, const struct upload *up)
{
	struct mgmt_reply r;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	mgmt_handle(m->src.mgmt, method, url,
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

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct upload *up = *con_cls;

	(void)cls; (void)conn; (void)code;
	if (up) {
		free(up->data);
		free(up);
		*con_cls = NULL;
	}
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_size, void **con_cls)
{
	static const char *const json = "application/json";
	struct metrics_server *m = cls;
	bool reading = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	char stamp[64];
	size_t len = 0;
	char *body;

	(void)version;
	testhook_network_input("http");
	if (mgmt_is_resource(url) && !reading) {
		/* first call: headers only; then the body in pieces; then an empty call */
		if (!*con_cls) {
			*con_cls = calloc(1, sizeof(struct upload));
			return *con_cls ? MHD_YES : MHD_NO;
		}
		if (*upload_size)
			return receive_body(*con_cls, upload_data, upload_size);
		return manage(m, conn, url, method, *con_cls);
	}
	if (!reading)
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			       strdup("read-only endpoint: GET or HEAD\n"), 0, NULL);
	if (mgmt_is_resource(url))
		return manage(m, conn, url, method, NULL);
	if (!strcmp(url, "/metrics")) {
		body = render(m, &len);
		return respond(conn, body ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR,
			       "text/plain; version=0.0.4; charset=utf-8",
			       body ? body : strdup("cannot render metrics\n"), len, NULL);
	}
	if (!strcmp(url, "/status"))
		return respond(conn, MHD_HTTP_OK, json, status_json(&m->src), 0, NULL);
	if (!strcmp(url, "/version"))
		return respond(conn, MHD_HTTP_OK, json, status_version_json(), 0, NULL);
	if (!strcmp(url, "/time"))
		return respond(conn, MHD_HTTP_OK, json, status_time_json(&m->src), 0, NULL);
	if (!strcmp(url, "/.well-known/time")) {
		/* the Time-over-HTTPS convention: the answer is the header */
		if (!status_served_time(&m->src, stamp, sizeof(stamp)))
			return respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
				       strdup("no time to serve yet\n"), 0, NULL);
		return respond(conn, MHD_HTTP_NO_CONTENT, "text/plain", strdup(""), 0, stamp);
	}
	return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain",
		       strdup("not found: /metrics /status /version /time /.well-known/time "
			      "/upstreams /ratelimit /acl\n"), 0, NULL);
}

int metrics_open(struct metrics_server **out, const struct ntpd_endpoint *where)
{
	const struct sockaddr *sa = (const struct sockaddr *)&where->addr;
	socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						    sizeof(struct sockaddr_in);
	struct metrics_server *m;
	int one = 1, err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->listen = *where;
	m->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->fd, sa, len) || listen(m->fd, 64)) {
		err = -errno;
		pr_warn("metrics: cannot listen on %s port %u: %s\n", where->host, where->port,
			strerror(-err));
		metrics_stop(m);
		return err;
	}
	*out = m;
	return 0;
}

int metrics_run(struct metrics_server *m, const struct metrics_sources *src)
{
	const struct ntpd_endpoint *listen = &m->listen;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	m->src = *src;
	if (listen->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->httpd = MHD_start_daemon(flags, listen->port, NULL, NULL, handle, m,
				    MHD_OPTION_LISTEN_SOCKET, m->fd,
				    MHD_OPTION_CONNECTION_LIMIT, 64U,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10U,
				    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
				    MHD_OPTION_END);
	if (!m->httpd) {
		pr_warn("metrics: cannot serve on %s port %u\n", listen->host, listen->port);
		return -EIO;
	}
	m->fd = -1;	/* libmicrohttpd's now: it closes it */
	pr_info("metrics on http://%s%s%s:%u/metrics\n",
		listen->addr.ss_family == AF_INET6 ? "[" : "", listen->host,
		listen->addr.ss_family == AF_INET6 ? "]" : "", listen->port);
	return 0;
}

int metrics_start(struct metrics_server **out, const struct ntpd_endpoint *listen,
		  const struct metrics_sources *src)
{
	int err = metrics_open(out, listen);

	if (!err) {
		err = metrics_run(*out, src);
		if (err) {
			metrics_stop(*out);
			*out = NULL;
		}
	}
	return err;
}

void metrics_stop(struct metrics_server *m)
{
	if (!m)
		return;
	if (m->httpd)
		MHD_stop_daemon(m->httpd);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}
