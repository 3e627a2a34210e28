// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "dashboard.h"
#include "log.h"
#include "ntp_proto.h"
#include "refstate.h"
#include "stats.h"
#include "xdp_runstats.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The page, NUL-terminated, built in from userspace/dashboard.html: one
 * file a designer can open in a browser, no generated C to keep in sync. */
__asm__(".section .rodata\n"
	".global ntpd_dashboard_html\n"
	"ntpd_dashboard_html:\n"
	".incbin \"userspace/dashboard.html\"\n"
	".byte 0\n"
	".previous\n");
extern const char ntpd_dashboard_html[];

/* Chart.js is ~200 KiB; anything far larger is not the file we expect. */
#define DASHBOARD_ASSET_MAX (4u << 20)

struct dashboard {
	char *chart_js;		/* NULL: not installed */
	size_t chart_len;
};

/*
 * Mapped, not read: the file's pages are resident only while /dashboard is
 * being served (and reclaimable), not ~200 KiB of heap for the life of a
 * daemon whose dashboard may never be opened.  Mapped at start-up, before a
 * chroot could hide the path.  dpkg replaces the file by a rename, so the
 * mapping keeps the old inode and never shrinks under us.
 */
static char *read_whole(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *map;

	if (fd < 0)
		return NULL;
	map = MAP_FAILED;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= DASHBOARD_ASSET_MAX)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	return map;
}

int dashboard_open(struct dashboard **out, const char *chart_js)
{
	struct dashboard *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->chart_js = read_whole(chart_js, &d->chart_len);
	if (!d->chart_js)
		pr_info("dashboard: cannot read %s (Debian: libjs-chart.js); /dashboard "
			"will say so instead of drawing\n", chart_js);
	*out = d;
	return 0;
}

void dashboard_close(struct dashboard *d)
{
	if (!d)
		return;
	if (d->chart_js)
		munmap(d->chart_js, d->chart_len);
	free(d);
}

bool dashboard_owns(const char *url)
{
	return !strcmp(url, "/dashboard") || !strcmp(url, "/dashboard/") ||
	       !strcmp(url, "/dashboard/chart.min.js") || !strcmp(url, "/dashboard/data.json");
}

/* ---- data.json ------------------------------------------------------------ */

/* One path's counters by outcome (answered, rate_limited_dropped, denied, ...)
 * and its processing-time histogram, bucket k below 2^(k + NTPD_LAT_SHIFT) ns. */
static json_t *path_json(const char *name, const char *iface, const struct ntpd_counters *c)
{
	json_t *outcomes = json_object(), *hist = json_array();
	int i;

	for (i = 0; i < NTPD_CNT_MAX; i++) {
		const char *o = stats_counter_outcome(i);
		json_t *v = json_object_get(outcomes, o);

		json_object_set_new(outcomes, o, json_integer((v ? json_integer_value(v) : 0) +
							      (json_int_t)c->packets[i]));
	}
	for (i = 0; i < NTPD_LAT_BUCKETS; i++)
		json_array_append_new(hist, json_integer((json_int_t)c->latency[i]));
	/* the two the page draws, by reason: a KoD can be a limit's or a deny's */
	return json_pack("{s:s, s:s, s:o, s:I, s:I, s:o}", "path", name, "interface", iface,
			 "outcomes", outcomes,
			 "rate_limited", (json_int_t)(c->packets[NTPD_CNT_RATE_DROPPED] +
						      c->packets[NTPD_CNT_RATE_KOD]),
			 "denied", (json_int_t)(c->packets[NTPD_CNT_DENIED_DROPPED] +
						c->packets[NTPD_CNT_DENIED_KOD] +
						c->packets[NTPD_CNT_DENIED_LIMITED]),
			 "latency", hist);
}

static json_t *sources_json(struct agent *agent)
{
	struct agent_source_status s;
	json_t *arr = json_array();
	int i;

	for (i = 0; agent && agent_source_status(agent, i, &s) == 0; i++)
		json_array_append_new(arr, json_pack("{s:s, s:b, s:f, s:f}", "name", s.name,
						     "reachable", s.reachable, "offset", s.offset,
						     "delay", s.delay));
	return arr;
}

char *dashboard_data_json(const struct metrics_sources *src)
{
	json_t *paths = json_array(), *le = json_array(), *root;
	struct ntpd_ref_state st;
	struct ntpd_counters c;
	bool synced = false;
	char *text;
	int i;

	for (i = 0; i < src->n_att; i++) {
		const struct ntpd_attachment *att = &src->att[i];

		json_t *p;

		if (!att->attached || loader_read_counters(att->counters_fd, &c))
			continue;
		p = path_json(att->generic ? "xdp_generic" : "xdp_native", att->ifname, &c);
		xdp_run_stats_json(p, att);	/* the handler's time: not in its histogram */
		json_array_append_new(paths, p);
	}
	if (src->sockets) {
		socket_server_counters(src->sockets, &c);
		json_array_append_new(paths, path_json("socket", "", &c));
	}
	if (socket_server_has_ring(src->sockets)) {
		__u64 drops;

		socket_server_ring_counters(src->sockets, &c, &drops);
		json_array_append_new(paths, path_json("socket_ring", "", &c));
	}
	for (i = 0; i < NTPD_LAT_BUCKETS - 1; i++)
		json_array_append_new(le, json_real((double)(1ULL << (i + NTPD_LAT_SHIFT)) / 1e9));
	if (!refstate_read(src->served, &st))
		synced = st.leap != NTP_LEAP_UNSYNC && st.stratum <= NTP_STRATUM_MAX;
	root = json_pack("{s:b, s:i, s:o, s:o, s:o, s:b}", "synchronised", synced, "stratum",
			 synced ? st.stratum : 16, "latency_le_seconds", le,
			 "paths", paths, "sources", sources_json(src->agent),
			 "bpf_stats_enabled", xdp_run_stats_sysctl() == 1);
	text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	return text;
}

/* ---- answers ---------------------------------------------------------------- */

int dashboard_serve(struct dashboard *d, const struct metrics_sources *src, const char *url,
		    struct dashboard_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	if (!strcmp(url, "/dashboard/data.json")) {
		r->type = "application/json";
		r->body = dashboard_data_json(src);
	} else if (!strcmp(url, "/dashboard/chart.min.js")) {
		if (!d->chart_js) {
			r->status = 404;
			r->type = "text/plain";
			r->body = strdup("Chart.js is not installed (" DASHBOARD_CHART_JS ")\n");
		} else {
			r->type = "application/javascript";
			r->body = d->chart_js;
			r->len = d->chart_len;
			r->borrowed = r->cacheable = true;
		}
	} else {
		r->type = "text/html; charset=utf-8";
		r->body = (char *)ntpd_dashboard_html;
		r->borrowed = r->cacheable = true;
	}
	if (!r->body)
		return -ENOMEM;
	if (!r->len)
		r->len = strlen(r->body);
	return 0;
}
