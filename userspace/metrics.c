// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "metrics.h"
#include "mgmt_api.h"
#include "kclock.h"
#include "log.h"
#include "ntp_proto.h"
#include "nts_stats.h"
#include "refstate.h"
#include "reqlog.h"
#include "stats.h"
#include "status.h"
#include "version.h"
#include "xdp_runstats.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the kernel's "operation not supported" for a map type, not in the uapi headers */
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

/* The rate-table occupancy of one attachment, as the census last counted it. */
struct census_count {
	__u32 entries;
	__u32 capacity;
	__u64 counted_mono_ns;	/* 0: no pass finished yet */
};

struct metrics {
	struct metrics_sources src;
	pthread_mutex_t lock;		/* counts[] and stopping */
	pthread_cond_t wake;
	struct census_count counts[NTPD_MAX_IFACES];
	bool stopping;
	bool census_running;
	pthread_t census;
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

/* The processing-time histogram of one path: cumulative buckets, le in seconds.
 * Only the socket path's: an XDP answer is stamped once (T3 = T2), its
 * handler's time is write_xdp_run_time()'s. */
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

/* The XDP handler's own time per interface, from the kernel's BPF
 * statistics (userspace/xdp_runstats.h): its sum and its runs. */
static void write_xdp_run_time(FILE *out, const struct metrics_sources *src)
{
	struct xdp_run_stats rs[NTPD_MAX_IFACES];
	bool have[NTPD_MAX_IFACES];
	int i, n = src->n_att < NTPD_MAX_IFACES ? src->n_att : NTPD_MAX_IFACES;

	for (i = 0; i < n; i++)
		have[i] = !xdp_run_stats_of(&src->att[i], &rs[i]);
	family(out, "xdp_ntpd_bpf_stats_enabled", "gauge",
	       "kernel.bpf_stats_enabled: while 0 (and no process holds BPF_ENABLE_STATS) "
	       "the XDP run-time counters stand still.");
	fprintf(out, "xdp_ntpd_bpf_stats_enabled %d\n", xdp_run_stats_sysctl() == 1);
	family(out, "xdp_ntpd_xdp_run_time_seconds_total", "counter",
	       "Time the XDP program ran, from the kernel's BPF statistics (0 while they are off).");
	for (i = 0; i < n; i++)
		if (have[i])
			fprintf(out, "xdp_ntpd_xdp_run_time_seconds_total{interface=\"%s\"} %.9f\n",
				src->att[i].ifname, (double)rs[i].run_time_ns / 1e9);
	family(out, "xdp_ntpd_xdp_run_count_total", "counter",
	       "Runs of the XDP program (every frame it saw) counted while the BPF statistics were on.");
	for (i = 0; i < n; i++)
		if (have[i])
			fprintf(out, "xdp_ntpd_xdp_run_count_total{interface=\"%s\"} %llu\n",
				src->att[i].ifname, (unsigned long long)rs[i].run_cnt);
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

static void write_rate_table(FILE *out, struct metrics *m);
static void write_http(FILE *out, const struct http_counters *h);

char *metrics_render(struct metrics *m, size_t *len)
{
	struct reqlog_stats rs;
	struct ntpd_counters c, rc;
	__u64 ring_drops;
	char *text = NULL;
	FILE *out;
	int i;

	out = open_memstream(&text, len);
	if (!out)
		return NULL;
	fprintf(out, "# HELP xdp_ntpd_build_info Version of the running xdp-ntpd.\n"
		     "# TYPE xdp_ntpd_build_info gauge\n"
		     "xdp_ntpd_build_info{version=\"%s\"} 1\n", NTPD_VERSION);
	fprintf(out, "# HELP xdp_ntpd_serving 0 while POST /control has stopped answering NTP on every path.\n"
		     "# TYPE xdp_ntpd_serving gauge\n"
		     "xdp_ntpd_serving %d\n", !serving_stopped(mgmt_serving(m->src.mgmt)));
	fprintf(out, "# HELP xdp_ntpd_xdp_attached XDP attach mode per interface (1 = attached in that mode).\n"
		     "# TYPE xdp_ntpd_xdp_attached gauge\n");
	for (i = 0; i < m->src.n_att; i++)
		fprintf(out, "xdp_ntpd_xdp_attached{interface=\"%s\",mode=\"%s\"} %d\n",
			m->src.att[i].ifname, m->src.att[i].generic ? "generic" : "native",
			m->src.att[i].attached && !serving_stopped(mgmt_serving(m->src.mgmt)));
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
	socket_server_ring_counters(m->src.sockets, &rc, &ring_drops);
	if (socket_server_has_ring(m->src.sockets))
		write_counters(out, "socket_ring", "", &rc);
	family(out, "xdp_ntpd_request_processing_seconds", "histogram",
	       "Receive to transmit timestamp of requests the socket path answered "
	       "(XDP answers carry one stamp as both: see xdp_ntpd_xdp_run_time_seconds_total).");
	write_latency(out, "socket", "", &c);
	if (socket_server_has_ring(m->src.sockets)) {
		write_latency(out, "socket_ring", "", &rc);
		family(out, "xdp_ntpd_socket_ring_drops_total", "counter",
		       "Requests the kernel dropped before the packet ring: every block of it full.");
		fprintf(out, "xdp_ntpd_socket_ring_drops_total %llu\n",
			(unsigned long long)ring_drops);
	}
	write_xdp_run_time(out, &m->src);
	write_rate_table(out, m);
	reqlog_stats(&rs, m->src.att, m->src.n_att);
	family(out, "xdp_ntpd_request_log_events_total", "counter",
	       "Sampled requests for the request log: logged, held back by its rate cap, "
	       "or lost to a full ring buffer.");
	fprintf(out, "xdp_ntpd_request_log_events_total{result=\"logged\"} %llu\n"
		     "xdp_ntpd_request_log_events_total{result=\"suppressed\"} %llu\n"
		     "xdp_ntpd_request_log_events_total{result=\"lost\"} %llu\n",
		(unsigned long long)rs.logged, (unsigned long long)rs.suppressed,
		(unsigned long long)rs.lost);
	family(out, "xdp_ntpd_socket_send_errors_total", "counter",
	       "Answers the socket server built (and counted answered) that the kernel refused to send.");
	fprintf(out, "xdp_ntpd_socket_send_errors_total %llu\n",
		(unsigned long long)socket_server_send_errors(m->src.sockets));
	write_served(out, m->src.served, m->src.agent);
	write_health(out, m->src.watchdog);
	write_upstreams(out, m->src.agent);
	write_http(out, m->src.http);
	nts_stats_write(out);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}


/* ---- the rate-table census --------------------------------------------- */

static void write_rate_table(FILE *out, struct metrics *m)
{
	struct census_count cc[NTPD_MAX_IFACES];
	__u64 now = 0;
	int i;

	pthread_mutex_lock(&m->lock);
	memcpy(cc, m->counts, sizeof(cc));
	pthread_mutex_unlock(&m->lock);
	kclock_now_ns(CLOCK_MONOTONIC, &now);
	family(out, "xdp_ntpd_rate_table_entries", "gauge",
	       "Clients in the XDP rate-limit table (an LRU: at capacity it evicts the coldest), "
	       "as the background census last counted them.");
	family(out, "xdp_ntpd_rate_table_capacity", "gauge", "Size of the XDP rate-limit table.");
	family(out, "xdp_ntpd_rate_table_count_age_seconds", "gauge",
	       "Time since the census finished the count in xdp_ntpd_rate_table_entries.");
	for (i = 0; i < m->src.n_att && i < NTPD_MAX_IFACES; i++) {
		/* no sample before the first pass: a 0 would be a lie */
		if (!m->src.att[i].attached || !cc[i].counted_mono_ns)
			continue;
		fprintf(out, "xdp_ntpd_rate_table_entries{interface=\"%s\"} %u\n"
			     "xdp_ntpd_rate_table_capacity{interface=\"%s\"} %u\n"
			     "xdp_ntpd_rate_table_count_age_seconds{interface=\"%s\"} %.3f\n",
			m->src.att[i].ifname, cc[i].entries, m->src.att[i].ifname, cc[i].capacity,
			m->src.att[i].ifname, (double)(now - cc[i].counted_mono_ns) / 1e9);
	}
}

static void write_http(FILE *out, const struct http_counters *h)
{
	if (!h)
		return;
	family(out, "xdp_ntpd_http_connections_cut_total", "counter",
	       "HTTP connections shut down at the whole-request deadline (slow or trickling clients).");
	fprintf(out, "xdp_ntpd_http_connections_cut_total %llu\n",
		(unsigned long long)__atomic_load_n(&h->deadline_cut, __ATOMIC_RELAXED));
	family(out, "xdp_ntpd_http_requests_refused_total", "counter",
	       "HTTP requests refused before routing, by reason.");
	fprintf(out, "xdp_ntpd_http_requests_refused_total{reason=\"foreign_host\"} %llu\n"
		     "xdp_ntpd_http_requests_refused_total{reason=\"write_on_read_listener\"} %llu\n",
		(unsigned long long)__atomic_load_n(&h->host_refused, __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&h->writes_refused, __ATOMIC_RELAXED));
}

/* The slow path for kernels without batch lookups on the map: one key per call. */
static int count_by_keys(int fd, __u32 max_entries, __u32 *entries)
{
	struct ntpd_rate_key key, next;
	void *prev = NULL;
	__u32 n = 0;

	/* bounded: under churn, evictions can restart the walk */
	while (n < 2 * max_entries && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	*entries = n < max_entries ? n : max_entries;
	return 0;
}

int metrics_count_map(int fd, __u32 *entries, __u32 *capacity,
		      bool (*pause_fn)(void *arg), void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), batch, n = 0, token = 0;
	void *keys = NULL, *values = NULL;
	bool first = true;
	int err = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*capacity = info.max_entries;
	keys = calloc(METRICS_CENSUS_BATCH, info.key_size);
	values = calloc(METRICS_CENSUS_BATCH, info.value_size);
	if (!keys || !values) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* a batch walks whole buckets in the kernel: one call per 1024 entries
	 * instead of one per entry, and evictions do not restart it */
	for (;;) {
		batch = METRICS_CENSUS_BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, values,
					   &batch, &opts);
		err = err ? -errno : 0;
		if (!err || err == -ENOENT)
			n += batch;
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		/* ENOSPC: a bucket larger than a batch; the old walk copes */
		if (err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP || err == -ENOSPC) {
			err = count_by_keys(fd, info.max_entries, &n);
			break;
		}
		if (err)
			goto cleanup;
		first = false;
		if (pause_fn && pause_fn(arg)) {
			err = -ECANCELED;
			goto cleanup;
		}
	}
	*entries = n < info.max_entries ? n : info.max_entries;
cleanup:
	free(keys);
	free(values);
	return err;
}

/* Between batches: sleep, and say whether the daemon is stopping. */
static bool census_pause(void *arg)
{
	struct metrics *m = arg;
	struct timespec until;
	bool stopping;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += METRICS_CENSUS_PAUSE_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m->lock);
	if (!m->stopping)
		pthread_cond_timedwait(&m->wake, &m->lock, &until);
	stopping = m->stopping;
	pthread_mutex_unlock(&m->lock);
	return stopping;
}

static void *census(void *arg)
{
	struct metrics *m = arg;
	struct census_count cc;
	struct timespec until;
	int i, err;

	pthread_setname_np(pthread_self(), "ntpd-census");
	for (;;) {
		for (i = 0; i < m->src.n_att && i < NTPD_MAX_IFACES; i++) {
			if (!m->src.att[i].attached)
				continue;
			err = metrics_count_map(m->src.att[i].rate_fd, &cc.entries, &cc.capacity,
						census_pause, m);
			if (err == -ECANCELED)
				return NULL;
			if (err) {
				pr_debug("%s: counting the rate table: %s\n", m->src.att[i].ifname,
					 strerror(-err));
				continue;
			}
			kclock_now_ns(CLOCK_MONOTONIC, &cc.counted_mono_ns);
			pthread_mutex_lock(&m->lock);
			m->counts[i] = cc;
			pthread_mutex_unlock(&m->lock);
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += METRICS_CENSUS_INTERVAL_S;
		pthread_mutex_lock(&m->lock);
		if (!m->stopping)
			pthread_cond_timedwait(&m->wake, &m->lock, &until);
		if (m->stopping) {
			pthread_mutex_unlock(&m->lock);
			return NULL;
		}
		pthread_mutex_unlock(&m->lock);
	}
}

int metrics_open(struct metrics **out, const struct metrics_sources *src)
{
	pthread_condattr_t cattr;
	struct metrics *m;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->src = *src;
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &cattr);
	pthread_condattr_destroy(&cattr);
	/* socket mode has no rate table to count */
	if (src->n_att) {
		err = -pthread_create(&m->census, NULL, census, m);
		if (err) {
			pr_warn("metrics: cannot start the rate-table census: %s\n", strerror(-err));
			metrics_close(m);
			return err;
		}
		m->census_running = true;
	}
	*out = m;
	return 0;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	if (m->census_running) {
		pthread_mutex_lock(&m->lock);
		m->stopping = true;
		pthread_cond_broadcast(&m->wake);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->census, NULL);
	}
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
