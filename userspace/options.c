// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The command line: getopt_long driven by the knob table (knobs.c), the -c
 * file (config.c) read first so the flags land on top of it, then the checks
 * between fields that no single knob can make.
 */
#include "options.h"
#include "config.h"
#include "knobs.h"
#include "log.h"
#include "reqlog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rsntp's convention for the local chronyd it takes its time from */
#define NTPD_UPSTREAM_DEFAULT "127.0.0.1:11123"
/* getopt values of long-only flags: past every character */
#define LONG_ONLY_BASE		256
#define ERR_MAX			512

struct getopt_tables {
	struct option longs[64];
	char shorts[64];
};

_Static_assert(sizeof(((struct getopt_tables *)0)->longs) /
	       sizeof(((struct getopt_tables *)0)->longs[0]) >= 64, "room for every knob");

static int getopt_value(const struct knob *k)
{
	return k->short_flag ? k->short_flag : LONG_ONLY_BASE + (int)(k - knob_table);
}

/* ":" first: a missing value is ':', told apart from an unknown flag */
static void build_getopt(struct getopt_tables *t)
{
	size_t i, n = 0, s = 0;

	memset(t, 0, sizeof(*t));
	t->shorts[s++] = ':';
	for (i = 0; i < knob_count; i++) {
		const struct knob *k = &knob_table[i];
		int has_arg = k->arg ? required_argument : no_argument;

		if (k->short_flag) {
			t->shorts[s++] = k->short_flag;
			if (has_arg)
				t->shorts[s++] = ':';
		}
		if (k->long_flag)
			t->longs[n++] = (struct option){ k->long_flag, has_arg, NULL, getopt_value(k) };
	}
}

static const struct knob *knob_of(int c)
{
	if (c >= LONG_ONLY_BASE && (size_t)(c - LONG_ONLY_BASE) < knob_count)
		return &knob_table[c - LONG_ONLY_BASE];
	return knob_find_short(c);
}

/* "-4" or "--max-age": how the user spelt the knob, for the message */
static void flag_name(const struct knob *k, int c, char *buf, size_t len)
{
	if (c < LONG_ONLY_BASE && !k->long_flag)
		snprintf(buf, len, "-%c", c);
	else
		snprintf(buf, len, "--%s", k->long_flag);
}

/* The first pass: -c, and whether --help/--version make the rest moot. */
static int find_config(struct ntpd_options *o, const struct getopt_tables *t, int argc,
		       char **argv, bool *informational)
{
	const struct knob *k;
	char err[ERR_MAX];
	int c;

	optind = 0;	/* glibc: 0 resets getopt's state fully, 1 does not */
	opterr = 0;
	while ((c = getopt_long(argc, argv, t->shorts, t->longs, NULL)) != -1) {
		k = knob_of(c);
		if (k && (k->flags & KNOB_INFO))
			*informational = true;
		if (k && (k->flags & KNOB_CONFIG_FILE) &&
		    knob_apply(k, o, &(struct knob_src){ 0 }, "-c", 1, &optarg, err, sizeof(err))) {
			pr_err("%s\n", err);
			return -ENOMEM;
		}
	}
	return 0;
}

static int apply_flags(struct ntpd_options *o, const struct getopt_tables *t, int argc,
		       char **argv)
{
	struct knob_src src = { 0 };
	const struct knob *k;
	char err[ERR_MAX], what[64];
	int c, ret;

	optind = 0;	/* glibc: start afresh, the first pass permuted argv */
	while ((c = getopt_long(argc, argv, t->shorts, t->longs, NULL)) != -1) {
		if (c == ':') {
			pr_err("option '%s' needs a value\n", argv[optind - 1]);
			return -EINVAL;
		}
		k = knob_of(c);
		if (!k) {
			pr_err("unknown option '%s' (see --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
		if (k->flags & KNOB_CONFIG_FILE)
			continue;	/* loaded before this pass */
		flag_name(k, c, what, sizeof(what));
		ret = knob_apply(k, o, &src, what, optarg ? 1 : 0, &optarg, err, sizeof(err));
		if (ret < 0)
			pr_err("%s\n", err);
		if (ret)
			return ret;
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* What no single knob can check: pairs, and what follows from the rest. */
static int finish(struct ntpd_options *o)
{
	if (o->cfg.poll_min > o->cfg.poll_max) {
		pr_err("--min-poll %d is above --max-poll %d\n", o->cfg.poll_min, o->cfg.poll_max);
		return -EINVAL;
	}
	if (o->upstream_min_poll > o->upstream_max_poll) {
		pr_err("--upstream-min-poll %d is above --upstream-max-poll %d\n",
		       o->upstream_min_poll, o->upstream_max_poll);
		return -EINVAL;
	}
	if (o->chroot_dir && !o->user) {
		pr_err("-r needs -u: a chroot kept as root is no jail\n");
		return -EINVAL;
	}
	if (o->n_upstreams == 0) {
		endpoint_parse(NTPD_UPSTREAM_DEFAULT, NTP_PORT_DEFAULT, &o->upstream[0]);
		o->n_upstreams = 1;
	}
	if (o->socket_ring_ms && o->n_ifaces != 1) {
		pr_err("--socket-ring reads one interface: give it with -i (%d given)\n",
		       o->n_ifaces);
		return -EINVAL;
	}
	if (o->socket_ring_ms && (o->threads4 == 0 || !o->listen4.resolved)) {
		pr_err("--socket-ring serves IPv4, which is off (-4 0 or no IPv4 listen address)\n");
		return -EINVAL;
	}
	if (o->n_ifaces == 0 && o->xdp_mode != NTPD_XDP_SOCKET) {
		o->ifaces[0] = strdup("lo");
		if (!o->ifaces[0])
			return -ENOMEM;
		o->n_ifaces = 1;
	}
	return 0;
}

/* The XDP program's load-time view of the listen settings and the log. */
static void derive_xdp_config(struct ntpd_options *o)
{
	o->cfg.ntp_port = htons(o->listen4.port);
	o->cfg.ntp_port6 = htons(o->listen6.port);
	/* the listen settings bind XDP too: only what a socket would get */
	o->cfg.off4 = o->threads4 == 0 || !o->listen4.resolved;
	o->cfg.off6 = o->threads6 == 0 || !o->listen6.resolved;
	if (o->listen4.resolved && o->listen4.addr.ss_family == AF_INET)
		o->cfg.listen4 = ((const struct sockaddr_in *)&o->listen4.addr)->sin_addr.s_addr;
	if (o->listen6.resolved && o->listen6.addr.ss_family == AF_INET6)
		memcpy(o->cfg.listen6, &((const struct sockaddr_in6 *)&o->listen6.addr)->sin6_addr,
		       sizeof(o->cfg.listen6));
	if (o->debug && !o->log_requests)
		o->log_requests = 10;
	/* a load-time knob: with the log off, the XDP program has no log code */
	o->cfg.log_threshold = o->log_requests ? reqlog_threshold(o->log_sample) : 0;
}

int options_parse(struct ntpd_options *o, int argc, char **argv)
{
	struct getopt_tables tables;	/* 2 KiB: each parse its own, so parses may overlap */
	bool informational = false;
	char err[ERR_MAX];
	int ret;

	ret = knob_defaults(o);
	if (ret)
		return ret;
	build_getopt(&tables);
	/* the file goes under the flags: find -c before the real pass */
	ret = find_config(o, &tables, argc, argv, &informational);
	if (ret)
		goto fail;
	if (o->config_file && !informational) {
		ret = config_load(o->config_file, o, err, sizeof(err));
		if (ret) {
			pr_err("%s\n", err);
			goto fail;
		}
	}
	ret = apply_flags(o, &tables, argc, argv) ?: finish(o);
	if (ret)
		goto fail;
	derive_xdp_config(o);
	return 0;
fail:
	options_free(o);
	return ret;
}

void options_free(struct ntpd_options *o)
{
	knob_free_strings(o);
}
