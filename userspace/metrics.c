// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "metrics.h"
#include "log.h"
#include "stats.h"
#include "version.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics_server {
	struct MHD_Daemon *httpd;
	const struct ntpd_attachment *att;
	int n_att;
	const struct socket_server *sockets;
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

static char *render(const struct metrics_server *m, size_t *len)
{
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
	for (i = 0; i < m->n_att; i++)
		fprintf(out, "xdp_ntpd_xdp_attached{interface=\"%s\",mode=\"%s\"} %d\n",
			m->att[i].ifname, m->att[i].generic ? "generic" : "native",
			m->att[i].attached);
	fprintf(out, "# HELP xdp_ntpd_requests_total NTP packets seen, by path that saw them, outcome and reason.\n"
		     "# TYPE xdp_ntpd_requests_total counter\n");
	for (i = 0; i < m->n_att; i++) {
		if (!m->att[i].attached || loader_read_counters(m->att[i].counters_fd, &c))
			continue;
		write_counters(out, m->att[i].generic ? "xdp_generic" : "xdp_native",
			       m->att[i].ifname, &c);
	}
	socket_server_counters(m->sockets, &c);
	write_counters(out, "socket", "", &c);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct metrics_server *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	char *body;
	size_t len = 0;

	(void)version; (void)upload_data; (void)upload_size; (void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = strdup("method not allowed\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (!strcmp(url, "/metrics")) {
		body = render(m, &len);
	} else {
		body = strdup("not found; try /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
	}
	if (!body)
		return MHD_NO;
	if (!len)
		len = strlen(body);
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", status == MHD_HTTP_OK ?
				"text/plain; version=0.0.4; charset=utf-8" : "text/plain");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

int metrics_start(struct metrics_server **out, const struct ntpd_endpoint *listen,
		  const struct ntpd_attachment *att, int n_att,
		  const struct socket_server *sockets)
{
	struct metrics_server *m;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->att = att;
	m->n_att = n_att;
	m->sockets = sockets;
	if (listen->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->httpd = MHD_start_daemon(flags, listen->port, NULL, NULL, handle, m,
				    MHD_OPTION_SOCK_ADDR, &listen->addr,
				    MHD_OPTION_CONNECTION_LIMIT, 64U,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10U,
				    MHD_OPTION_END);
	if (!m->httpd) {
		pr_warn("metrics: cannot listen on %s port %u (in use or not an address here)\n",
			listen->host, listen->port);
		free(m);
		return -EADDRINUSE;
	}
	pr_info("metrics on http://%s%s%s:%u/metrics\n",
		listen->addr.ss_family == AF_INET6 ? "[" : "", listen->host,
		listen->addr.ss_family == AF_INET6 ? "]" : "", listen->port);
	*out = m;
	return 0;
}

void metrics_stop(struct metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->httpd);
	free(m);
}
