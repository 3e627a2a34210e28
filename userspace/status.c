// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "status.h"
#include "mgmt_api.h"
#include "ntp_proto.h"
#include "refstate.h"
#include "stats.h"
#include "version.h"
#include "webntp.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static json_t *counters_json(const struct ntpd_counters *c)
{
	json_t *o = json_object();
	int i;

	for (i = 0; i < NTPD_CNT_MAX; i++) {
		char key[64];

		snprintf(key, sizeof(key), "%s_%s", stats_counter_outcome(i), stats_counter_reason(i));
		json_object_set_new(o, key, json_integer((json_int_t)c->packets[i]));
	}
	return o;
}

/* "2026-12-01T15:50:07.123456Z", as chronyc's Ref time (UTC) but sortable */
static void format_utc(__s64 unix_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(unix_ns / 1000000000);
	struct tm tm;

	if (unix_ns <= 0 || !gmtime_r(&sec, &tm)) {
		snprintf(buf, len, "1970-01-01T00:00:00.000000Z");	/* chrony: never updated */
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(unix_ns % 1000000000 / 1000));
}

/*
 * chronyc tracking's lines, as numbers: the reference time, how far the
 * system clock is slow of the time served (the correction; in the system
 * model the last measured offset, as nobody corrects it here), and the
 * agent's last offset, RMS offset, frequency, residual frequency, skew and
 * update interval.  ppm like chronyc; positive frequency: our clock is slow.
 */
static void add_chrony_tracking(json_t *o, const struct metrics_sources *src,
				const struct ntpd_ref_state *st)
{
	struct agent_tracking t = { 0 };
	__s64 ref_ns = 0;
	char utc[80];
	bool corrected = agent_clock_model(src->agent) == CLOCK_MODEL_CORRECTED;

	agent_tracking(src->agent, &t);
	if (st->reference_ts)
		ref_ns = ntp_ts_to_unix_ns(st->reference_ts,
					   (__s64)((st->update_tai_ns - (__u64)st->tai_offset_ns) / 1000000000));
	format_utc(ref_ns, utc, sizeof(utc));
	json_object_set_new(o, "ref_time_utc", json_string(utc));
	json_object_set_new(o, "ref_time", json_real((double)ref_ns / 1e9));
	json_object_set_new(o, "system_time", json_real(corrected ? (double)st->correction_ns / 1e9 :
							   t.last_offset));
	json_object_set_new(o, "last_offset", json_real(t.last_offset));
	json_object_set_new(o, "rms_offset", json_real(t.rms_offset));
	json_object_set_new(o, "frequency_ppm", json_real(t.freq * 1e6));
	json_object_set_new(o, "residual_freq_ppm", json_real(t.residual_freq * 1e6));
	json_object_set_new(o, "skew_ppm", json_real(t.skew * 1e6));
	json_object_set_new(o, "update_interval", json_real(t.update_interval));
	json_object_set_new(o, "updates", json_integer((json_int_t)t.updates));
}

static json_t *tracking_json(const struct metrics_sources *src, const struct ntpd_ref_state *st)
{
	const __u8 *r = (const __u8 *)&st->refid;
	__u64 now = refstate_tai_now_ns();
	char refid[16];
	json_t *o;

	snprintf(refid, sizeof(refid), "%u.%u.%u.%u", r[0], r[1], r[2], r[3]);
	o = json_pack("{s:i, s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:s, s:b}",
			 "stratum", st->stratum, "refid", refid, "leap", st->leap,
			 "root_delay", st->root_delay / 65536.0,
			 "root_dispersion", st->root_dispersion / 65536.0,
			 "reference_age", (double)(now - st->update_tai_ns) / 1e9,
			 "correction", (double)st->correction_ns / 1e9,
			 "tai_offset", (double)st->tai_offset_ns / 1e9,
			 "clock_model",
			 agent_clock_model(src->agent) == CLOCK_MODEL_SYSTEM ? "system" : "corrected",
			 "synchronised", st->leap != NTP_LEAP_UNSYNC && st->stratum <= NTP_STRATUM_MAX);
	if (o)
		add_chrony_tracking(o, src, st);
	return o;
}

static json_t *activity_json(const struct agent_activity *a)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "ok", (json_int_t)a->ok,
			 "failed", (json_int_t)a->failed, "bogus", (json_int_t)a->bogus,
			 "timeout", (json_int_t)a->timeout);
}

/* The sources, and their activity summed into *total. */
static json_t *sources_json(struct agent *agent, struct agent_activity *total)
{
	json_t *arr = json_array();
	struct agent_source_status s;
	int i;

	for (i = 0; agent_source_status(agent, i, &s) == 0; i++) {
		json_t *o = json_pack(
			"{s:s, s:s, s:b, s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:I, s:I, s:I}",
			"name", s.name, "state", agent_source_state_name(s.state),
			"reachable", s.reachable, "reach", s.reach, "stratum", s.stratum,
			"poll", s.poll, "offset", s.offset, "delay", s.delay,
			"dispersion", s.dispersion, "jitter", s.jitter,
			"frequency_ppm", s.freq * 1e6, "skew_ppm", s.skew * 1e6,
			"samples_used", s.samples_used,
			"samples", (json_int_t)s.samples, "kod_rate", (json_int_t)s.kod_rate,
			"kod_deny", (json_int_t)s.kod_deny);

		/* why selection cannot use it, when that is not plain unreachability */
		if (o && s.unusable)
			json_object_set_new(o, "unusable", json_string(s.unusable));
		/* chronyc's LastRx: seconds since its newest good reply, null before one */
		if (o) {
			json_object_set_new(o, "lastrx", s.last_rx < 0 ? json_null() :
							 json_real(s.last_rx));
			json_object_set_new(o, "activity", activity_json(&s.activity));
		}
		total->ok += s.activity.ok;
		total->failed += s.activity.failed;
		total->bogus += s.activity.bogus;
		total->timeout += s.activity.timeout;
		json_array_append_new(arr, o);
	}
	return arr;
}

/* POST /control's state: "serving" or "stopped", since when, how many actions */
static json_t *serving_json(struct serving *sv)
{
	unsigned long actions;
	double since;
	const char *state = serving_state(sv, &since, &actions);

	return json_pack("{s:s, s:f, s:I}", "state", state, "since", since,
			 "actions", (json_int_t)actions);
}

char *status_json(const struct metrics_sources *src)
{
	struct agent_activity total = { 0 };
	struct ntpd_ref_state st;
	struct ntpd_counters c;
	json_t *root, *stats, *xdp, *sources;
	char *text;
	int i;

	if (refstate_read(src->served, &st))
		return NULL;
	xdp = json_object();
	for (i = 0; i < src->n_att; i++) {
		const struct ntpd_attachment *att = &src->att[i];

		if (!att->attached || loader_read_counters(att->counters_fd, &c))
			continue;
		json_t *one = counters_json(&c);

		json_object_set_new(one, "mode", json_string(att->generic ? "generic" : "native"));
		json_object_set_new(xdp, att->ifname, one);
	}
	socket_server_counters(src->sockets, &c);
	stats = json_pack("{s:o, s:o}", "xdp", xdp, "socket", counters_json(&c));
	if (stats && socket_server_has_ring(src->sockets)) {
		__u64 drops;

		socket_server_ring_counters(src->sockets, &c, &drops);
		json_object_set_new(stats, "socket_ring", counters_json(&c));
	}
	sources = sources_json(src->agent, &total);
	root = json_pack("{s:o, s:o, s:o, s:o}", "tracking", tracking_json(src, &st),
			 "sources", sources, "activity", activity_json(&total),
			 "serverstats", stats);
	if (root && mgmt_serving(src->mgmt))
		json_object_set_new(root, "serving", serving_json(mgmt_serving(src->mgmt)));
	if (root)
		json_object_set_new(root, "leap_seconds_list", webntp_leap_status_json());
	text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	return text;
}

char *status_version_json(void)
{
	json_t *o = json_pack("{s:s}", "version", NTPD_VERSION);
	char *text = o ? json_dumps(o, 0) : NULL;

	json_decref(o);
	return text;
}

/* Unix ns of the time we serve now, and the state it comes from. */
static bool served_now(const struct metrics_sources *src, __u64 *unix_ns,
		       struct ntpd_ref_state *st)
{
	if (refstate_read(src->served, st))
		return false;
	*unix_ns = ntp_served_unix_ns(st, refstate_tai_now_ns());
	return true;
}

bool status_served_time(const struct metrics_sources *src, char *buf, size_t len)
{
	struct ntpd_ref_state st;
	__u64 ns;

	if (!served_now(src, &ns, &st))
		return false;
	snprintf(buf, len, "%llu.%06llu", (unsigned long long)(ns / NSEC_PER_SEC_U64),
		 (unsigned long long)(ns % NSEC_PER_SEC_U64 / 1000));
	return true;
}

char *status_time_json(const struct metrics_sources *src)
{
	struct ntpd_ref_state st;
	char *text;
	json_t *o;
	__u64 ns;

	if (!served_now(src, &ns, &st))
		return NULL;
	o = json_pack("{s:f, s:I, s:i, s:b, s:i}", "unix", (double)ns / 1e9,
		      "unix_ns", (json_int_t)ns, "leap", st.leap,
		      "synchronised", st.leap != NTP_LEAP_UNSYNC && st.stratum <= NTP_STRATUM_MAX,
		      "stratum", st.stratum);
	text = o ? json_dumps(o, 0) : NULL;
	json_decref(o);
	return text;
}
