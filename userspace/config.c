// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The configuration file: a table of directives, each a small function that
 * checks its words and hands the value to the parser the command line uses
 * (options_parse_endpoint, policy_parse_rate, policy_add_acl,
 * loader_parse_mode).  The numeric ranges are those of options.c.
 */
#include "config.h"
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct config_ctx {
	const char *path;
	unsigned int line;
	struct ntpd_options *o;
	unsigned int mode_line;		/* line whose interface set xdp_mode; 0: none */
};

struct directive {
	const char *name;
	int min_words, max_words;	/* after the name */
	const char *usage;
	int (*apply)(struct config_ctx *c, int argc, char **argv);
};

__attribute__((format(printf, 2, 3)))
static int cfg_error(const struct config_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", c->path, c->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

static int cfg_long(const struct config_ctx *c, const char *what, const char *text,
		    long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return cfg_error(c, "%s: '%s' is not a number in [%ld, %ld]", what, text,
				 min, max);
	*out = v;
	return 0;
}

/* Strings the options point at live as long as the process; they are kept
 * here so config_release() can free them (tests, a future reload). */
static char **kept_strings;
static size_t n_kept;

void config_release(void)
{
	while (n_kept)
		free(kept_strings[--n_kept]);
	free(kept_strings);
	kept_strings = NULL;
}

static int cfg_strdup(const struct config_ctx *c, const char *what, const char *text,
		      const char **out)
{
	char **grown = realloc(kept_strings, sizeof(*kept_strings) * (n_kept + 1));
	char *copy = strdup(text);

	if (!copy || !grown) {
		free(copy);
		if (grown)
			kept_strings = grown;
		fprintf(stderr, "%s:%u: %s: %s\n", c->path, c->line, what, strerror(ENOMEM));
		return -ENOMEM;
	}
	kept_strings = grown;
	kept_strings[n_kept++] = copy;
	*out = copy;
	return 0;
}

/* An explicit port in "HOST:PORT" or "[V6]:PORT" (a bare IPv6 has several ':'). */
static bool has_port(const char *text)
{
	const char *p;

	if (text[0] == '[')
		return (p = strchr(text, ']')) && p[1] == ':';
	return (p = strchr(text, ':')) && !strchr(p + 1, ':');
}

static int do_server(struct config_ctx *c, int argc, char **argv)
{
	struct ntpd_options *o = c->o;
	struct ntpd_endpoint *ep = &o->upstream[o->n_upstreams];
	char buf[sizeof(ep->host) + 16];
	long port;
	int n;

	if (o->n_upstreams == NTPD_MAX_UPSTREAMS)
		return cfg_error(c, "server: at most %d servers", NTPD_MAX_UPSTREAMS);
	if (options_parse_endpoint(argv[1], NTP_PORT_DEFAULT, ep))
		return cfg_error(c, "server: '%s' is not HOST[:PORT]", argv[1]);
	if (argc > 2) {
		if (strcmp(argv[2], "port"))
			return cfg_error(c, "server: expected 'port', not '%s'", argv[2]);
		if (argc == 3)
			return cfg_error(c, "server: 'port' needs a value");
		if (has_port(argv[1]))
			return cfg_error(c, "server: '%s' already names a port", argv[1]);
		if (cfg_long(c, "server port", argv[3], 1, 65535, &port))
			return -EINVAL;
		/* back through the one endpoint parser, so the address keeps the port */
		n = snprintf(buf, sizeof(buf), strchr(ep->host, ':') ? "[%s]:%ld" : "%s:%ld",
			     ep->host, port);
		if (n < 0 || (size_t)n >= sizeof(buf) ||
		    options_parse_endpoint(buf, NTP_PORT_DEFAULT, ep))
			return cfg_error(c, "server: '%s' port %ld is not HOST PORT", argv[1], port);
	}
	o->n_upstreams++;
	return 0;
}

static int do_interface(struct config_ctx *c, int argc, char **argv)
{
	struct ntpd_options *o = c->o;
	enum ntpd_xdp_mode mode;
	int i;

	if (o->n_ifaces == NTPD_MAX_IFACES)
		return cfg_error(c, "interface: at most %d interfaces", NTPD_MAX_IFACES);
	if (!*argv[1] || strlen(argv[1]) >= IF_NAMESIZE)
		return cfg_error(c, "interface: '%s' is not an interface name", argv[1]);
	for (i = 0; i < o->n_ifaces; i++)
		if (!strcmp(o->ifaces[i], argv[1]))
			return cfg_error(c, "interface: '%s' given twice", argv[1]);
	if (argc > 2) {
		if (strcmp(argv[2], "mode"))
			return cfg_error(c, "interface: expected 'mode', not '%s'", argv[2]);
		if (argc == 3)
			return cfg_error(c, "interface: 'mode' needs a value");
		if (loader_parse_mode(argv[3], &mode))
			return cfg_error(c, "interface: mode '%s' is not one of auto, native, "
					 "generic, socket", argv[3]);
		/* one mode for every interface: the loader takes a single one */
		if (c->mode_line && mode != o->xdp_mode)
			return cfg_error(c, "interface: mode %s differs from mode %s on line %u; "
					 "one XDP mode applies to all interfaces", argv[3],
					 loader_mode_name(o->xdp_mode), c->mode_line);
		o->xdp_mode = mode;
		c->mode_line = c->line;
	}
	if (cfg_strdup(c, "interface", argv[1], &o->ifaces[o->n_ifaces]))
		return -ENOMEM;
	o->n_ifaces++;
	return 0;
}

static int listen_family(struct config_ctx *c, const char *what, const char *text,
			 int family, struct ntpd_endpoint *ep)
{
	struct ntpd_endpoint tmp;

	if (options_parse_endpoint(text, NTP_PORT_DEFAULT, &tmp) || !tmp.resolved ||
	    tmp.addr.ss_family != family)
		return cfg_error(c, "%s: '%s' is not an %s", what, text,
				 family == AF_INET ? "IPv4 ADDR:PORT" : "IPv6 [ADDR]:PORT");
	*ep = tmp;
	return 0;
}

static int do_listen(struct config_ctx *c, int argc, char **argv)
{
	(void)argc;
	return listen_family(c, "listen", argv[1], AF_INET, &c->o->listen4);
}

static int do_listen6(struct config_ctx *c, int argc, char **argv)
{
	(void)argc;
	return listen_family(c, "listen6", argv[1], AF_INET6, &c->o->listen6);
}

static int do_threads(struct config_ctx *c, int argc, char **argv)
{
	bool v6 = !strcmp(argv[0], "threads6");
	long v;

	(void)argc;
	if (cfg_long(c, argv[0], argv[1], 0, 1024, &v))
		return -EINVAL;
	*(v6 ? &c->o->threads6 : &c->o->threads4) = (int)v;
	return 0;
}

static int do_acl(struct config_ctx *c, int argc, char **argv)
{
	bool allow = !strcmp(argv[0], "allow");

	(void)argc;
	if (c->o->policy.n_acl == POLICY_MAX_ACL)
		return cfg_error(c, "%s: at most %d allow and deny rules", argv[0],
				 POLICY_MAX_ACL);
	if (policy_add_acl(&c->o->policy, argv[1], allow ? NTPD_ACL_ALLOW : NTPD_ACL_DENY))
		return cfg_error(c, "%s: '%s' is not an address or CIDR", argv[0], argv[1]);
	return 0;
}

/* ratelimit rate R burst B [leak L] | ratelimit off; the words in any order */
static int do_ratelimit(struct config_ctx *c, int argc, char **argv)
{
	const char *rate = NULL, *burst = NULL, *leak = NULL;
	struct ntpd_policy *p = &c->o->policy;
	char buf[128];
	long shift = p->rate.leak_shift;
	int i, n;

	if (!strcmp(argv[1], "off")) {
		if (argc > 2)
			return cfg_error(c, "ratelimit: unexpected '%s' after 'off'", argv[2]);
		return policy_parse_rate(p, "off");
	}
	for (i = 1; i < argc; i += 2) {
		const char **slot = !strcmp(argv[i], "rate") ? &rate :
				    !strcmp(argv[i], "burst") ? &burst :
				    !strcmp(argv[i], "leak") ? &leak : NULL;

		if (!slot)
			return cfg_error(c, "ratelimit: unexpected '%s' (rate, burst, leak or off)",
					 argv[i]);
		if (*slot)
			return cfg_error(c, "ratelimit: '%s' given twice", argv[i]);
		if (i + 1 == argc)
			return cfg_error(c, "ratelimit: '%s' needs a value", argv[i]);
		*slot = argv[i + 1];
	}
	if (!rate || !burst)
		return cfg_error(c, "ratelimit: needs both 'rate R' and 'burst B' (or 'off')");
	if (leak && cfg_long(c, "ratelimit leak", leak, 0, 16, &shift))
		return -EINVAL;
	/* policy_parse_rate leaves *p alone when it refuses */
	n = snprintf(buf, sizeof(buf), "%s/%s", rate, burst);
	if (n < 0 || (size_t)n >= sizeof(buf) || policy_parse_rate(p, buf))
		return cfg_error(c, "ratelimit: rate '%s' burst '%s' is not a rate in "
				 "[0.001, 1e6] requests/s and a whole burst in [1, 100000]",
				 rate, burst);
	p->rate.leak_shift = (__u8)shift;
	return 0;
}

static int do_flag(struct config_ctx *c, int argc, char **argv)
{
	struct ntpd_options *o = c->o;

	(void)argc;
	if (!strcmp(argv[0], "kod"))
		o->policy.rate.kod = 1;
	else if (!strcmp(argv[0], "kod-deny"))
		o->policy.rate.kod_deny = 1;
	else if (!strcmp(argv[0], "leapsmear"))
		o->leap_smear = true;
	else if (!strcmp(argv[0], "replace"))
		o->replace = true;
	else if (!strcmp(argv[0], "syslog"))
		o->syslog = true;
	else if (!strcmp(argv[0], "keep-attached"))
		o->keep_attached = true;
	else
		return cfg_error(c, "%s: not a flag", argv[0]);
	return 0;
}

static int do_rate_table_size(struct config_ctx *c, int argc, char **argv)
{
	long v;

	(void)argc;
	if (cfg_long(c, argv[0], argv[1], 64, 16 * 1024 * 1024, &v))
		return -EINVAL;
	c->o->policy.table_size = (__u32)v;
	return 0;
}

static int do_rate_prefix(struct config_ctx *c, int argc, char **argv)
{
	bool v6 = !strcmp(argv[0], "rate-prefix6");
	long v;

	(void)argc;
	if (cfg_long(c, argv[0], argv[1], 1, v6 ? 128 : 32, &v))
		return -EINVAL;
	*(v6 ? &c->o->policy.rate.prefix6 : &c->o->policy.rate.prefix4) = (__u8)v;
	return 0;
}

static int do_local(struct config_ctx *c, int argc, char **argv)
{
	long v;

	(void)argc;
	if (strcmp(argv[1], "stratum"))
		return cfg_error(c, "local: expected 'stratum', not '%s'", argv[1]);
	if (cfg_long(c, "local stratum", argv[2], 1, NTP_STRATUM_MAX, &v))
		return -EINVAL;
	c->o->local_stratum = (__u8)v;
	return 0;
}

static int do_clock(struct config_ctx *c, int argc, char **argv)
{
	(void)argc;
	if (!strcmp(argv[1], "auto"))
		c->o->clock_model = CLOCK_MODEL_AUTO;
	else if (!strcmp(argv[1], "system"))
		c->o->clock_model = CLOCK_MODEL_SYSTEM;
	else if (!strcmp(argv[1], "corrected"))
		c->o->clock_model = CLOCK_MODEL_CORRECTED;
	else
		return cfg_error(c, "clock: '%s' is not system, corrected or auto", argv[1]);
	return 0;
}

static int do_metrics_listen(struct config_ctx *c, int argc, char **argv)
{
	struct ntpd_endpoint tmp;

	(void)argc;
	/* the default port is whatever the defaults put there */
	if (options_parse_endpoint(argv[1], c->o->metrics_listen.port, &tmp) || !tmp.resolved)
		return cfg_error(c, "metrics-listen: '%s' is not ADDR:PORT", argv[1]);
	c->o->metrics_listen = tmp;
	return 0;
}

static int do_api_listen(struct config_ctx *c, int argc, char **argv)
{
	struct ntpd_endpoint tmp;

	(void)argc;
	if (options_parse_endpoint(argv[1], NTPD_METRICS_PORT_DEFAULT, &tmp) || !tmp.resolved)
		return cfg_error(c, "api-listen: '%s' is not ADDR:PORT", argv[1]);
	c->o->api_listen = tmp;
	return 0;
}

static int do_string(struct config_ctx *c, int argc, char **argv)
{
	struct ntpd_options *o = c->o;
	const char **slot = !strcmp(argv[0], "keyfile") ? &o->keys_file :
			    !strcmp(argv[0], "api-token-file") ? &o->api_token_file :
			    !strcmp(argv[0], "driftfile") ? &o->drift_file :
			    !strcmp(argv[0], "http-host") ? &o->http_hosts :
			    !strcmp(argv[0], "user") ? &o->user : &o->chroot_dir;

	(void)argc;
	return cfg_strdup(c, argv[0], argv[1], slot);
}

static int do_seccomp(struct config_ctx *c, int argc, char **argv)
{
	(void)argc;
	if (seccomp_parse_mode(argv[1], &c->o->seccomp))
		return cfg_error(c, "seccomp: '%s' is not on, log or off", argv[1]);
	return 0;
}

static int do_log(struct config_ctx *c, int argc, char **argv)
{
	long v;

	(void)argc;
	if (cfg_long(c, argv[0], argv[1], strcmp(argv[0], "log-requests") ? 1 : 0, 1000000, &v))
		return -EINVAL;
	*(strcmp(argv[0], "log-requests") ? &c->o->log_sample : &c->o->log_requests) =
		(unsigned int)v;
	return 0;
}

static int do_max_age(struct config_ctx *c, int argc, char **argv)
{
	long v;

	(void)argc;
	/* as --max-age: beyond 1000 s a state says nothing about the time */
	if (cfg_long(c, argv[0], argv[1], 1, 1000, &v))
		return -EINVAL;
	c->o->cfg.max_state_age_ns = (__u64)v * NSEC_PER_SEC_U64;
	return 0;
}

static int do_stale_action(struct config_ctx *c, int argc, char **argv)
{
	(void)argc;
	if (!strcmp(argv[1], "unsync"))
		c->o->cfg.stale_action = NTPD_STALE_UNSYNC;
	else if (!strcmp(argv[1], "pass"))
		c->o->cfg.stale_action = NTPD_STALE_PASS;
	else
		return cfg_error(c, "stale-action: '%s' is not unsync or pass", argv[1]);
	return 0;
}

/* chrony's `dscp`: the DSCP of every answer, on both paths */
static int do_dscp(struct config_ctx *c, int argc, char **argv)
{
	long v;

	(void)argc;
	if (cfg_long(c, argv[0], argv[1], 0, NTPD_DSCP_MAX, &v))
		return -EINVAL;
	c->o->cfg.dscp = (__u8)v;
	return 0;
}

static int do_poll(struct config_ctx *c, int argc, char **argv)
{
	bool max = !strcmp(argv[0], "max-poll");
	long v;

	(void)argc;
	if (cfg_long(c, argv[0], argv[1], -7, 17, &v))
		return -EINVAL;
	*(max ? &c->o->cfg.poll_max : &c->o->cfg.poll_min) = (__s8)v;
	return 0;
}

static int do_upstream_poll(struct config_ctx *c, int argc, char **argv)
{
	bool max = !strcmp(argv[0], "upstream-max-poll");
	long v;

	(void)argc;
	if (cfg_long(c, argv[0], argv[1], 0, 17, &v))
		return -EINVAL;
	*(max ? &c->o->upstream_max_poll : &c->o->upstream_min_poll) = (int)v;
	return 0;
}

static int do_max_missed(struct config_ctx *c, int argc, char **argv)
{
	long v;

	(void)argc;
	if (cfg_long(c, argv[0], argv[1], 1, 64, &v))
		return -EINVAL;
	c->o->max_missed = (int)v;
	return 0;
}

static const struct directive directives[] = {
	{ "server",		1, 3, "server HOST[:PORT] [port N]",	do_server },
	{ "interface",		1, 3, "interface IFACE [mode native|generic|socket|auto]",
	  do_interface },
	{ "listen",		1, 1, "listen ADDR:PORT",		do_listen },
	{ "listen6",		1, 1, "listen6 [ADDR]:PORT",		do_listen6 },
	{ "threads",		1, 1, "threads N",			do_threads },
	{ "threads6",		1, 1, "threads6 N",			do_threads },
	{ "allow",		1, 1, "allow CIDR",			do_acl },
	{ "deny",		1, 1, "deny CIDR",			do_acl },
	{ "ratelimit",		1, 6, "ratelimit rate R burst B [leak L] | ratelimit off",
	  do_ratelimit },
	{ "kod",		0, 0, "kod",				do_flag },
	{ "kod-deny",		0, 0, "kod-deny",			do_flag },
	{ "rate-table-size",	1, 1, "rate-table-size N",		do_rate_table_size },
	{ "rate-prefix4",	1, 1, "rate-prefix4 N",			do_rate_prefix },
	{ "rate-prefix6",	1, 1, "rate-prefix6 N",			do_rate_prefix },
	{ "local",		2, 2, "local stratum N",		do_local },
	{ "clock",		1, 1, "clock system|corrected|auto",	do_clock },
	{ "metrics-listen",	1, 1, "metrics-listen ADDR:PORT",	do_metrics_listen },
	{ "keyfile",		1, 1, "keyfile FILE",			do_string },
	{ "api-token-file",	1, 1, "api-token-file FILE",		do_string },
	{ "api-listen",		1, 1, "api-listen ADDR:PORT",		do_api_listen },
	{ "http-host",		1, 1, "http-host NAMES",		do_string },
	{ "leapsmear",		0, 0, "leapsmear",			do_flag },
	{ "driftfile",		1, 1, "driftfile FILE",			do_string },
	{ "user",		1, 1, "user NAME",			do_string },
	{ "chroot",		1, 1, "chroot DIR",			do_string },
	{ "max-age",		1, 1, "max-age SECONDS",		do_max_age },
	{ "stale-action",	1, 1, "stale-action unsync|pass",	do_stale_action },
	{ "dscp",		1, 1, "dscp N",				do_dscp },
	{ "min-poll",		1, 1, "min-poll N",			do_poll },
	{ "max-poll",		1, 1, "max-poll N",			do_poll },
	{ "upstream-min-poll",	1, 1, "upstream-min-poll N",		do_upstream_poll },
	{ "upstream-max-poll",	1, 1, "upstream-max-poll N",		do_upstream_poll },
	{ "max-missed",		1, 1, "max-missed N",			do_max_missed },
	{ "replace",		0, 0, "replace",			do_flag },
	{ "syslog",		0, 0, "syslog",				do_flag },
	{ "keep-attached",	0, 0, "keep-attached",			do_flag },
	{ "seccomp",		1, 1, "seccomp on|log|off",		do_seccomp },
	{ "log-requests",	1, 1, "log-requests RATE",		do_log },
	{ "log-sample",		1, 1, "log-sample N",			do_log },
};

/* One line, comment already cut: split into words and run its directive. */
static int config_line(struct config_ctx *c, char *text)
{
	char *argv[CONFIG_MAX_WORDS + 1], *save = NULL, *w;
	int argc = 0;
	size_t i;

	for (w = strtok_r(text, " \t\r\v\f", &save); w; w = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (argc == CONFIG_MAX_WORDS)
			return cfg_error(c, "%s: unexpected '%s'", argv[0], w);
		argv[argc++] = w;
	}
	if (!argc)
		return 0;
	argv[argc] = NULL;
	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		const struct directive *d = &directives[i];

		if (strcmp(argv[0], d->name))
			continue;
		if (argc - 1 > d->max_words)
			return cfg_error(c, "%s: unexpected '%s' (usage: %s)", d->name,
					 argv[d->max_words + 1], d->usage);
		if (argc - 1 < d->min_words)
			return cfg_error(c, "%s: missing value (usage: %s)", d->name, d->usage);
		return d->apply(c, argc, argv);
	}
	return cfg_error(c, "unknown directive '%s'", argv[0]);
}

int config_load(const char *path, struct ntpd_options *o)
{
	struct config_ctx c = { .path = path, .o = o };
	char *buf = NULL, *hash;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(-err));
		return err;
	}
	while ((len = getline(&buf, &cap, f)) >= 0) {
		c.line++;
		if (len && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len > CONFIG_MAX_LINE) {
			err = cfg_error(&c, "line longer than %d characters", CONFIG_MAX_LINE);
			goto out;
		}
		/* a NUL would hide the rest of the line from the parser */
		if (strlen(buf) != (size_t)len) {
			err = cfg_error(&c, "NUL byte in line");
			goto out;
		}
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		err = config_line(&c, buf);
		if (err)
			goto out;
	}
	if (ferror(f)) {
		err = -EIO;
		fprintf(stderr, "%s:%u: read error\n", path, c.line + 1);
	}
out:
	free(buf);
	fclose(f);
	return err;
}
