// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "status.h"
#include "ntp_proto.h"
#include "refstate.h"
#include "stats.h"
#include "version.h"
#include "webntp.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

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

static json_t *tracking_json(const struct metrics_sources *src, const struct ntpd_ref_state *st)
{
	const __u8 *r = (const __u8 *)&st->refid;
	__u64 now = refstate_tai_now_ns();
	char refid[16];

	snprintf(refid, sizeof(refid), "%u.%u.%u.%u", r[0], r[1], r[2], r[3]);
	return json_pack("{s:i, s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:s, s:b}",
			 "stratum", st->stratum, "refid", refid, "leap", st->leap,
			 "root_delay", st->root_delay / 65536.0,
			 "root_dispersion", st->root_dispersion / 65536.0,
			 "reference_age", (double)(now - st->update_tai_ns) / 1e9,
			 "correction", (double)st->correction_ns / 1e9,
			 "tai_offset", (double)st->tai_offset_ns / 1e9,
			 "clock_model",
			 agent_clock_model(src->agent) == CLOCK_MODEL_SYSTEM ? "system" : "corrected",
			 "synchronised", st->leap != NTP_LEAP_UNSYNC && st->stratum <= NTP_STRATUM_MAX);
}

static json_t *sources_json(struct agent *agent)
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
		json_array_append_new(arr, o);
	}
	return arr;
}

char *status_json(const struct metrics_sources *src)
{
	struct ntpd_ref_state st;
	struct ntpd_counters c;
	json_t *root, *stats, *xdp;
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
	root = json_pack("{s:o, s:o, s:o}", "tracking", tracking_json(src, &st),
			 "sources", sources_json(src->agent), "serverstats", stats);
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
