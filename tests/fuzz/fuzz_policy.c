// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The command line: first byte picks the parser, the rest is its input.
 *   0: policy_parse_rate on a string  1: policy_add_acl on a string
 *   2: options_parse on an argv split at NUL bytes (at most 16 arguments)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sys/socket.h>

#include "fuzz_util.h"
#include "options.h"
#include "policy.h"

#define MAX_ARGS 16

static char *dup_string(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, data, len);
		s[len] = '\0';
	}
	return s;
}

static void check_rate(const char *text)
{
	struct ntpd_policy p;
	int err;

	policy_defaults(&p);
	err = policy_parse_rate(&p, text);
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	if (err == 0 && p.rate.enabled) {
		/* 0.001..1e6 per second: 1 ms .. 1000 s per request */
		FUZZ_CHECK(p.rate.cost_ns >= 1000 && p.rate.cost_ns <= 1000ULL * NSEC_PER_SEC_U64);
		FUZZ_CHECK(p.rate.burst_ns >= p.rate.cost_ns);
		FUZZ_CHECK(p.rate.burst_ns / p.rate.cost_ns <= 100000);
	}
}

static void check_acl(const char *text, __u8 action)
{
	struct ntpd_policy *p = malloc(sizeof(*p));
	int err;

	if (!p)
		return;
	policy_defaults(p);
	err = policy_add_acl(p, text, action);
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	if (err == 0) {
		const struct acl_rule *r = &p->acl[0];

		FUZZ_CHECK(p->n_acl == 1);
		FUZZ_CHECK(r->family == AF_INET || r->family == AF_INET6);
		FUZZ_CHECK(r->prefixlen <= (r->family == AF_INET ? 32 : 128));
		FUZZ_CHECK(r->action == action);
		FUZZ_CHECK(r->family == AF_INET ? p->rate.acl4_enabled : p->rate.acl6_enabled);
	} else {
		FUZZ_CHECK(p->n_acl == 0);
	}
	/* a full list refuses, and never writes past its end */
	p->n_acl = POLICY_MAX_ACL;
	FUZZ_CHECK(policy_add_acl(p, text, action) == -EINVAL);
	free(p);
}

static void check_options(const uint8_t *data, size_t len)
{
	static char *const reset_argv[] = { "xdp-ntpd", NULL };
	char *argv[MAX_ARGS + 2], *copy = dup_string(data, len), *p;
	struct ntpd_options *o = malloc(sizeof(*o));
	int argc = 0, err;

	if (!copy || !o)
		goto out;
	argv[argc++] = "xdp-ntpd";
	for (p = copy; argc <= MAX_ARGS && p <= copy + len; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	/* options_parse resets optind to 1, which keeps glibc's getopt state
	 * from the previous call (a pointer into the previous, freed argv);
	 * optind 0 makes glibc start afresh, as a new process would. */
	optind = 0;
	(void)getopt(1, reset_argv, "");

	err = options_parse(o, argc, argv);
	/* -EINVAL for a bad flag, -errno for a config file it cannot read (-c) */
	FUZZ_CHECK(err == 0 || err == 1 || (err < 0 && err >= -4095));
	if (err == 0) {
		FUZZ_CHECK(o->n_upstreams >= 1 && o->n_upstreams <= NTPD_MAX_UPSTREAMS);
		FUZZ_CHECK(o->n_ifaces >= 0 && o->n_ifaces <= NTPD_MAX_IFACES);
		FUZZ_CHECK(o->cfg.poll_min <= o->cfg.poll_max);
		FUZZ_CHECK(o->upstream_min_poll <= o->upstream_max_poll);
		FUZZ_CHECK(o->local_stratum <= NTP_STRATUM_MAX);
		FUZZ_CHECK(o->policy.n_acl >= 0 && o->policy.n_acl <= POLICY_MAX_ACL);
		FUZZ_CHECK(!o->chroot_dir || o->user);
		FUZZ_CHECK(o->cfg.max_state_age_ns >= NSEC_PER_SEC_U64);
		for (int i = 0; i < o->n_upstreams; i++)
			FUZZ_CHECK(memchr(o->upstream[i].host, 0, sizeof(o->upstream[i].host)));
		/* the options own their strings: the leak checker holds us to it */
		options_free(o);
	}
out:
	free(o);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
	case 1:
		s = dup_string(data + 1, size - 1);
		if (!s)
			return 0;
		if (data[0] % 3 == 0)
			check_rate(s);
		else
			check_acl(s, data[0] & 4 ? NTPD_ACL_DENY : NTPD_ACL_ALLOW);
		free(s);
		break;
	default:
		check_options(data + 1, size - 1);
		break;
	}
	return 0;
}
