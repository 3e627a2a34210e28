// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The knob table and its reader.  A new setting is one row here (and a field
 * in struct ntpd_options, and its lines in the two man pages, which
 * tests/cli/test_manpages.sh demands); options.c and config.c need no change.
 */
#include "knobs.h"
#include "acl_chrony.h"
#include "config.h"
#include "errbuf.h"
#include "endpoint.h"
#include "number.h"
#include "pool.h"
#include "packet_ring.h"
#include "socket_server.h"
#include "nts_ke.h"
#include "nts_server.h"
#include "version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIELD(member) \
	.offset = offsetof(struct ntpd_options, member), \
	.size = sizeof(((struct ntpd_options *)0)->member)

/* rsntp's convention for the local chronyd it takes its time from */
#define NTPD_UPSTREAM_DEFAULT "127.0.0.1:11123"
/* --help's column of flags: a longer one pushes its text two blanks on */
#define USAGE_FLAG_WIDTH	22

static void *field(const struct knob *k, struct ntpd_options *o)
{
	return (char *)o + k->offset;
}

/* ---- enumerations: one table of names per enum -------------------------- */

static const struct knob_name xdp_mode_names[] = {
	{ "auto", NTPD_XDP_AUTO }, { "native", NTPD_XDP_NATIVE },
	{ "generic", NTPD_XDP_GENERIC }, { "socket", NTPD_XDP_SOCKET }, { NULL, 0 },
};

static const struct knob_name clock_model_names[] = {
	{ "system", CLOCK_MODEL_SYSTEM }, { "corrected", CLOCK_MODEL_CORRECTED },
	{ "auto", CLOCK_MODEL_AUTO }, { NULL, 0 },
};

static const struct knob_name stale_action_names[] = {
	{ "unsync", NTPD_STALE_UNSYNC }, { "pass", NTPD_STALE_PASS }, { NULL, 0 },
};

static const struct knob_name seccomp_names[] = {
	{ "on", SECCOMP_KILL }, { "log", SECCOMP_LOG }, { "off", SECCOMP_OFF }, { NULL, 0 },
};

static const struct knob_name anycast_gate_names[] = {
	{ "health", ANYCAST_GATE_HEALTH }, { "off", ANYCAST_GATE_OFF }, { NULL, 0 },
};

static int enum_lookup(const struct knob_name *names, const char *text, int *value)
{
	for (; names->name; names++) {
		if (!strcmp(names->name, text)) {
			*value = names->value;
			return 0;
		}
	}
	return -EINVAL;
}

/* "a, b or c" (last_sep " or "), or "a, b, c" (last_sep ", ") */
static void enum_list(const struct knob_name *names, const char *last_sep, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i].name && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i == 0 ? "" : names[i + 1].name ? ", " : last_sep,
					 names[i].name);
}

/* ---- storing a typed value --------------------------------------------- */

static void store_uint(void *p, size_t size, unsigned long long v)
{
	switch (size) {
	case 1: *(__u8 *)p = (__u8)v; break;
	case 2: *(__u16 *)p = (__u16)v; break;
	case 4: *(__u32 *)p = (__u32)v; break;
	default: *(__u64 *)p = (__u64)v; break;
	}
}

static int store_string(const char **slot, const char *text)
{
	char *copy = strdup(text);

	if (!copy)
		return -ENOMEM;
	free((char *)*slot);
	*slot = copy;
	return 0;
}

static int parse_endpoint(const struct knob *k, const char *what, const char *text,
			  __u16 default_port, struct ntpd_endpoint *out, char *err, size_t errlen)
{
	struct ntpd_endpoint ep;

	/* the listeners bind what they are given: a literal, with a port */
	if (endpoint_parse(text, default_port, &ep) || !ep.resolved || !ep.port ||
	    (k->family != AF_UNSPEC && ep.addr.ss_family != k->family))
		return errbuf_fail(err, errlen, "%s: '%s' is not %s", what, text,
				  k->family == AF_INET ? "an IPv4 ADDR:PORT" :
				  k->family == AF_INET6 ? "an IPv6 [ADDR]:PORT" : "ADDR:PORT");
	*out = ep;
	return 0;
}

static int apply_typed(const struct knob *k, struct ntpd_options *o, const char *what,
		       const char *text, char *err, size_t errlen)
{
	void *p = field(k, o);
	char names[128];
	long v;
	int e;

	switch (k->type) {
	case KNOB_BOOL:
		*(bool *)p = true;	/* bool and __u8 alike: one byte */
		return 0;
	case KNOB_INT:
		if (number_parse_long(text, k->min, k->max, &v))
			return errbuf_fail(err, errlen, "%s: '%s' is not a number in [%ld, %ld]",
					  what, text, k->min, k->max);
		store_uint(p, k->size, (unsigned long long)v * (k->scale ? k->scale : 1));
		return 0;
	case KNOB_STRING:
		if (store_string(p, text)) {
			snprintf(err, errlen, "%s: %s", what, strerror(ENOMEM));
			return -ENOMEM;
		}
		return 0;
	case KNOB_ENDPOINT:
		/* no port given: the one the field has (the default, or the file's) */
		return parse_endpoint(k, what, text, ((struct ntpd_endpoint *)p)->port, p, err,
				      errlen);
	case KNOB_ENUM:
		if (enum_lookup(k->names, text, &e)) {
			enum_list(k->names, " or ", names, sizeof(names));
			return errbuf_fail(err, errlen, "%s: '%s' is not %s", what, text, names);
		}
		store_uint(p, k->size, (unsigned long long)(unsigned int)e);
		return 0;
	case KNOB_CALL:
		break;
	}
	return errbuf_fail(err, errlen, "%s: not a typed knob", what);
}

/* ---- the knobs a type cannot say: lists, words, rate limits ------------ */

/* The first -s (or -i) on the command line starts the list afresh: flags
 * replace the file's servers rather than adding to them. */
static bool cli_starts_list(const struct knob *k, struct knob_src *src)
{
	size_t i = (size_t)(k - knob_table);
	unsigned char bit = (unsigned char)(1u << (i % 8));

	if (src->from_file || !(k->flags & KNOB_CLI_REPLACES) || (src->cli_started[i / 8] & bit))
		return false;
	src->cli_started[i / 8] |= bit;
	return true;
}

/*
 * The words after a server's or pool's name, chrony's: one row per option,
 * so an option is one line here.  `min > max`: the option takes no value.
 */
struct server_option {
	const char *word;
	long min, max;
	const char *noun;	/* what the value is, for the message */
	int (*set)(struct ntpd_endpoint *ep, long value);
};

/* every upstream starts with a burst of 4 polls: chrony's iburst is ours */
static int opt_iburst(struct ntpd_endpoint *ep, long value)
{
	(void)ep, (void)value;
	return 0;
}

static int opt_minpoll(struct ntpd_endpoint *ep, long value)
{
	ep->has_min_poll = true;
	ep->min_poll = (__s8)value;
	return 0;
}

static int opt_maxpoll(struct ntpd_endpoint *ep, long value)
{
	ep->has_max_poll = true;
	ep->max_poll = (__s8)value;
	return 0;
}

/* back through the one endpoint parser, so the address keeps the port */
static int opt_port(struct ntpd_endpoint *ep, long value)
{
	struct ntpd_endpoint keep = *ep;
	char buf[ENDPOINT_TEXT_MAX];

	ep->port = (__u16)value;
	if (endpoint_format(ep, buf, sizeof(buf)) < 0 || endpoint_parse(buf, NTP_PORT_DEFAULT, ep))
		return -EINVAL;
	ep->has_min_poll = keep.has_min_poll;
	ep->has_max_poll = keep.has_max_poll;
	ep->min_poll = keep.min_poll;
	ep->max_poll = keep.max_poll;
	ep->key_id = keep.key_id;
	return 0;
}

/* requests signed with it, replies checked (the key file and trustedkey
 * are checked against it once loaded: main.c) */
static int opt_key(struct ntpd_endpoint *ep, long value)
{
	ep->key_id = (__u32)value;
	return 0;
}

/* poll bounds: --upstream-min-poll's range */
static const struct server_option server_options[] = {
	{ "iburst", 1, 0, NULL, opt_iburst },
	{ "minpoll", 0, 17, "a number", opt_minpoll },
	{ "maxpoll", 0, 17, "a number", opt_maxpoll },
	{ "port", 1, 65535, "a number", opt_port },
	{ "key", 1, 0xffffffffL, "a key ID", opt_key },
};

#define SERVER_OPTION_WORDS "iburst, minpoll N, maxpoll N, port N or key ID"

static const struct server_option *server_option_find(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(server_options) / sizeof(server_options[0]); i++)
		if (!strcmp(server_options[i].word, word))
			return &server_options[i];
	return NULL;
}

/*
 * argv[0] is HOST[:PORT], then options; a pool's `maxsources N` goes to
 * *maxsources (NULL: not a pool).  0 or -EINVAL with the reason in err.
 */
static int parse_server_words(const char *what, int argc, char **argv, struct ntpd_endpoint *ep,
			      long *maxsources, char *err, size_t errlen)
{
	const struct server_option *opt;
	long value = 0;
	int i, e;

	if (endpoint_parse(argv[0], NTP_PORT_DEFAULT, ep))
		return errbuf_fail(err, errlen, "%s: '%s' is not HOST[:PORT]", what, argv[0]);
	for (i = 1; i < argc; i++) {
		if (maxsources && !strcmp(argv[i], "maxsources")) {
			if (i + 1 == argc || number_parse_long(argv[i + 1], 1, NTPD_MAX_UPSTREAMS,
							       maxsources))
				return errbuf_fail(err, errlen, "%s maxsources: needs a number in "
						  "[1, %d]", what, NTPD_MAX_UPSTREAMS);
			i++;
			continue;
		}
		opt = server_option_find(argv[i]);
		if (!opt)
			return errbuf_fail(err, errlen, "%s: unexpected '%s' (options: %s%s)", what,
					  argv[i], SERVER_OPTION_WORDS, maxsources ? ", maxsources N" : "");
		if (opt->min <= opt->max) {
			if (i + 1 == argc)
				return errbuf_fail(err, errlen, "%s: '%s' needs a value", what, opt->word);
			if (number_parse_long(argv[++i], opt->min, opt->max, &value))
				return errbuf_fail(err, errlen, "%s %s: '%s' is not %s in [%ld, %ld]",
						  what, opt->word, argv[i], opt->noun, opt->min,
						  opt->max);
		}
		if (opt->set == opt_port && endpoint_text_has_port(argv[0]))
			return errbuf_fail(err, errlen, "%s: '%s' already names a port", what, argv[0]);
		e = opt->set(ep, value);
		if (e)
			return errbuf_fail(err, errlen, "%s: '%s' %s %ld is not HOST PORT", what, argv[0],
					  opt->word, value);
	}
	if (ep->has_min_poll && ep->has_max_poll && ep->min_poll > ep->max_poll)
		return errbuf_fail(err, errlen, "%s: minpoll %d is above maxpoll %d", what,
				  ep->min_poll, ep->max_poll);
	return 0;
}

/* -s HOST[:PORT]; server HOST[:PORT] [iburst] [minpoll N] [maxpoll N] [port N] [key ID] */
static int set_server(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
		      int argc, char **argv, char *err, size_t errlen)
{
	const char *what = src->from_file ? k->directive : "-s";
	int e;

	if (cli_starts_list(k, src))
		o->n_upstreams = 0;
	if (o->n_upstreams == NTPD_MAX_UPSTREAMS)
		return errbuf_fail(err, errlen, "%s: at most %d servers", what, NTPD_MAX_UPSTREAMS);
	e = parse_server_words(what, argc, argv, &o->upstream[o->n_upstreams], NULL, err, errlen);
	if (e)
		return e;
	o->n_upstreams++;
	return 0;
}

/* pool NAME [options] [maxsources N]: see pool.h */
static int set_pool(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
		    int argc, char **argv, char *err, size_t errlen)
{
	const char *what = src->from_file ? k->directive : "--pool";
	struct ntpd_pool *pool;
	long maxsources = NTPD_MAX_UPSTREAMS;
	int e;

	if (o->n_pools == NTPD_MAX_POOLS)
		return errbuf_fail(err, errlen, "%s: at most %d pools", what, NTPD_MAX_POOLS);
	pool = &o->pools[o->n_pools];
	memset(pool, 0, sizeof(*pool));
	e = parse_server_words(what, argc, argv, &pool->proto, &maxsources, err, errlen);
	if (e)
		return e;
	pool->maxsources = (int)maxsources;
	e = pool_expand(pool, o->upstream, &o->n_upstreams, NTPD_MAX_UPSTREAMS);
	if (e == -ENOSPC)
		return errbuf_fail(err, errlen, "%s %s: at most %d servers in all", what, argv[0],
				  NTPD_MAX_UPSTREAMS);
	o->n_pools++;
	return e;
}

/* --trusted-key ID[,LO-HI...]; trustedkey ID|LO-HI ... */
static int set_trusted_key(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
			   int argc, char **argv, char *err, size_t errlen)
{
	const char *what = src->from_file ? k->directive : "--trusted-key";
	int i, e;

	for (i = 0; i < argc; i++) {
		e = ntp_trust_parse(argv[i], &o->trusted_keys);
		if (e == -ENOSPC)
			return errbuf_fail(err, errlen, "%s: at most %d IDs and ranges", what,
					  NTP_TRUST_MAX);
		if (e)
			return errbuf_fail(err, errlen, "%s: '%s' is not a key ID or LO-HI range "
					  "in [1, 4294967295]", what, argv[i]);
	}
	return 0;
}

/* interface IFACE [mode M]: one mode for all, as the loader takes a single one */
static int interface_mode(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
			  int argc, char **argv, char *err, size_t errlen)
{
	char names[128];
	int mode;

	if (strcmp(argv[1], "mode"))
		return errbuf_fail(err, errlen, "%s: expected 'mode', not '%s'", k->directive, argv[1]);
	if (argc == 2)
		return errbuf_fail(err, errlen, "%s: 'mode' needs a value", k->directive);
	if (enum_lookup(xdp_mode_names, argv[2], &mode)) {
		enum_list(xdp_mode_names, ", ", names, sizeof(names));
		return errbuf_fail(err, errlen, "%s: mode '%s' is not one of %s", k->directive,
				  argv[2], names);
	}
	if (src->mode_line && (enum ntpd_xdp_mode)mode != o->xdp_mode)
		return errbuf_fail(err, errlen, "%s: mode %s differs from mode %s on line %u; "
				  "one XDP mode applies to all interfaces", k->directive, argv[2],
				  loader_mode_name(o->xdp_mode), src->mode_line);
	o->xdp_mode = (enum ntpd_xdp_mode)mode;
	src->mode_line = src->line;
	return 0;
}

/* -i IFACE; interface IFACE [mode M] */
static int set_interface(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
			 int argc, char **argv, char *err, size_t errlen)
{
	const char *what = src->from_file ? k->directive : "-i";
	int i, e;

	if (cli_starts_list(k, src)) {
		while (o->n_ifaces)
			free((char *)o->ifaces[--o->n_ifaces]);
	}
	if (o->n_ifaces == NTPD_MAX_IFACES)
		return errbuf_fail(err, errlen, "%s: at most %d interfaces", what, NTPD_MAX_IFACES);
	if (!*argv[0] || strlen(argv[0]) >= IF_NAMESIZE)
		return errbuf_fail(err, errlen, "%s: '%s' is not an interface name", what, argv[0]);
	for (i = 0; i < o->n_ifaces; i++)
		if (!strcmp(o->ifaces[i], argv[0]))
			return errbuf_fail(err, errlen, "%s: '%s' given twice", what, argv[0]);
	if (argc > 1) {
		e = interface_mode(k, o, src, argc, argv, err, errlen);
		if (e)
			return e;
	}
	o->ifaces[o->n_ifaces] = NULL;
	if (store_string(&o->ifaces[o->n_ifaces], argv[0])) {
		snprintf(err, errlen, "%s: %s", what, strerror(ENOMEM));
		return -ENOMEM;
	}
	o->n_ifaces++;
	return 0;
}

static int add_acl(struct ntpd_options *o, const char *what, const char *text, __u8 action,
		   bool override, char *err, size_t errlen)
{
	char cidr[64];
	int e;

	if (o->policy.n_acl == POLICY_MAX_ACL)
		return errbuf_fail(err, errlen, "%s: at most %d allow and deny rules", what,
				  POLICY_MAX_ACL);
	e = acl_chrony_subnet(text, cidr, sizeof(cidr));
	if (!e)
		e = override ? acl_add_override(&o->policy, cidr, action) :
			       policy_add_acl(&o->policy, cidr, action);
	if (e)
		return errbuf_fail(err, errlen, "%s: '%s' is not an address or CIDR", what, text);
	return 0;
}

/*
 * --allow CIDR; allow [all] [SUBNET], chrony's: no subnet is every address
 * of both families, `all` also drops the earlier rules inside the subnet
 * (chrony: "deny all 10/8" overrides an earlier "allow 10.1.2.3").
 */
static int set_acl(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
		   int argc, char **argv, __u8 action, char *err, size_t errlen)
{
	const char *what = src->from_file ? k->directive :
			   action == NTPD_ACL_ALLOW ? "--allow" : "--deny";
	bool override = argc > 0 && !strcmp(argv[0], "all");
	int e;

	if (override) {
		argc--;
		argv++;
	}
	if (argc > 1)
		return errbuf_fail(err, errlen, "%s: unexpected '%s' (usage: %s)", what, argv[1],
				  k->usage);
	if (argc == 1)
		return add_acl(o, what, argv[0], action, override, err, errlen);
	e = add_acl(o, what, "0.0.0.0/0", action, override, err, errlen);
	return e ? e : add_acl(o, what, "::/0", action, override, err, errlen);
}

static int set_allow(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
		     int argc, char **argv, char *err, size_t errlen)
{
	return set_acl(k, o, src, argc, argv, NTPD_ACL_ALLOW, err, errlen);
}

static int set_deny(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
		    int argc, char **argv, char *err, size_t errlen)
{
	return set_acl(k, o, src, argc, argv, NTPD_ACL_DENY, err, errlen);
}

static int set_allow_query(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
			   int argc, char **argv, char *err, size_t errlen)
{
	const char *what = src->from_file ? k->directive : "--allow-query";
	int e = mode6_allow_add(&o->allow_query, argv[0]);

	(void)argc;
	if (e == -ENOSPC)
		return errbuf_fail(err, errlen, "%s: at most %d prefixes", what, MODE6_ALLOW_MAX);
	if (e)
		return errbuf_fail(err, errlen, "%s: '%s' is not an address or CIDR", what, argv[0]);
	return 0;
}

/* broadcast ADDR [INTERVAL] [key ID]; the flag's one value holds the words */
static int set_broadcast(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
			 int argc, char **argv, char *err, size_t errlen)
{
	const char *what = src->from_file ? k->directive : "--broadcast";
	char copy[256], *words[8], *save = NULL, *w, reason[200];
	int n = 0;

	if (!src->from_file) {
		snprintf(copy, sizeof(copy), "%s", argv[0]);
		for (w = strtok_r(copy, " \t", &save); w && n < 8; w = strtok_r(NULL, " \t", &save))
			words[n++] = w;
		argc = n;
		argv = words;
	}
	if (broadcast_parse(&o->broadcast, argc, argv, reason, sizeof(reason)))
		return errbuf_fail(err, errlen, "%s: %s", what, reason);
	return 0;
}

/* chrony's ratelimit defaults: one answer per 2^3 s, bursts of 8, 1 in 4 leaked */
#define CHRONY_RATE_INTERVAL	"3"
#define CHRONY_RATE_BURST	"8"
#define CHRONY_RATE_LEAK	"2"
/* 2^-9 requests/s is the lowest rate policy takes above 0.001; 2^-19 s its
 * highest below 1e6 */
#define CHRONY_INTERVAL_MIN	-19
#define CHRONY_INTERVAL_MAX	9

/*
 * ratelimit rate R burst B [leak L], ours, or chrony's ratelimit [interval I]
 * [burst B] [leak L] (rate 2^-I requests/s, chrony's defaults for what is
 * left out), or ratelimit off; the words in any order.
 */
static int ratelimit_words(const struct knob *k, struct ntpd_options *o, int argc, char **argv,
			   char *err, size_t errlen)
{
	const struct knob *leak_knob = knob_find("rate-leak");
	const char *rate = NULL, *burst = NULL, *leak = NULL, *interval = NULL;
	long shift = o->policy.rate.leak_shift, ilog;
	char buf[128], rate_text[32];
	int i, n;

	for (i = 0; i < argc; i += 2) {
		const char **slot = !strcmp(argv[i], "rate") ? &rate :
				    !strcmp(argv[i], "burst") ? &burst :
				    !strcmp(argv[i], "leak") ? &leak :
				    !strcmp(argv[i], "interval") ? &interval : NULL;

		if (!slot)
			return errbuf_fail(err, errlen, "%s: unexpected '%s' (rate, interval, burst, "
					  "leak or off)", k->directive, argv[i]);
		if (*slot)
			return errbuf_fail(err, errlen, "%s: '%s' given twice", k->directive, argv[i]);
		if (i + 1 == argc)
			return errbuf_fail(err, errlen, "%s: '%s' needs a value", k->directive, argv[i]);
		*slot = argv[i + 1];
	}
	if (rate && interval)
		return errbuf_fail(err, errlen, "%s: 'rate' or chrony's 'interval', not both",
				  k->directive);
	if (!rate) {	/* chrony's form */
		if (number_parse_long(interval ? interval : CHRONY_RATE_INTERVAL, CHRONY_INTERVAL_MIN,
				      CHRONY_INTERVAL_MAX, &ilog))
			return errbuf_fail(err, errlen, "%s interval: '%s' is not a number in [%d, %d] "
					  "(log2 s between answers)", k->directive, interval,
					  CHRONY_INTERVAL_MIN, CHRONY_INTERVAL_MAX);
		snprintf(rate_text, sizeof(rate_text), "%.17g", ldexp(1, (int)-ilog));
		rate = rate_text;
		burst = burst ? burst : CHRONY_RATE_BURST;
		leak = leak ? leak : CHRONY_RATE_LEAK;
	} else if (!burst) {
		return errbuf_fail(err, errlen, "%s: needs both 'rate R' and 'burst B' (or 'off')",
				  k->directive);
	}
	if (leak && number_parse_long(leak, leak_knob->min, leak_knob->max, &shift))
		return errbuf_fail(err, errlen, "%s leak: '%s' is not a number in [%ld, %ld]",
				  k->directive, leak, leak_knob->min, leak_knob->max);
	/* policy_parse_rate leaves the policy alone when it refuses */
	n = snprintf(buf, sizeof(buf), "%s/%s", rate, burst);
	if (n < 0 || (size_t)n >= sizeof(buf) || policy_parse_rate(&o->policy, buf))
		return errbuf_fail(err, errlen, "%s: rate '%s' burst '%s' is not a rate in "
				  "[0.001, 1e6] requests/s and a whole burst in [1, 100000]",
				  k->directive, rate, burst);
	o->policy.rate.leak_shift = (__u8)shift;
	return 0;
}

/* --rate-limit RATE/BURST|off; ratelimit rate R burst B [leak L] | off */
static int set_ratelimit(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
			 int argc, char **argv, char *err, size_t errlen)
{
	if (argc > 0 && !strcmp(argv[0], "off")) {
		if (argc > 1)
			return errbuf_fail(err, errlen, "%s: unexpected '%s' after 'off'",
					  k->directive, argv[1]);
		return policy_parse_rate(&o->policy, "off");
	}
	if (src->from_file)
		return ratelimit_words(k, o, argc, argv, err, errlen);
	if (policy_parse_rate(&o->policy, argv[0]))
		return errbuf_fail(err, errlen, "--rate-limit: '%s' is not RATE/BURST or off",
				  argv[0]);
	return 0;
}

/* --anycast ADDR/32|ADDR/128; anycast ADDR/32|ADDR/128 */
static int set_anycast(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
		       int argc, char **argv, char *err, size_t errlen)
{
	const char *what = src->from_file ? k->directive : "--anycast";
	int e = anycast_parse_addr(&o->anycast, argv[0]);

	(void)argc;
	if (e == -ENOSPC)
		return errbuf_fail(err, errlen, "%s: at most %d addresses", what, ANYCAST_MAX_ADDRS);
	if (e)
		return errbuf_fail(err, errlen, "%s: '%s' is not ADDR/32 or ADDR/128", what, argv[0]);
	return 0;
}

/* Positive: the command is handled, nothing more to parse or run. */
static int show_help(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
		     int argc, char **argv, char *err, size_t errlen)
{
	(void)k, (void)o, (void)src, (void)argc, (void)argv, (void)err, (void)errlen;
	knob_usage(stdout);
	return 1;
}

static int show_version(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
			int argc, char **argv, char *err, size_t errlen)
{
	(void)k, (void)o, (void)src, (void)argc, (void)argv, (void)err, (void)errlen;
	printf("xdp-ntpd %s\n", NTPD_VERSION);
	return 1;
}

/* ---- the table ---------------------------------------------------------- */

#define SECONDS_TO_NS	1000000000ULL

const struct knob knob_table[] = {
	{ .short_flag = 'a', .directive = "listen", .type = KNOB_ENDPOINT, FIELD(listen4),
	  .family = AF_INET, .arg = "ADDR:PORT",
	  .help = "IPv4 listen address (default 0.0.0.0:123): the socket\n"
		  "server's, and XDP answers only that address and port" },
	{ .short_flag = 'b', .directive = "listen6", .type = KNOB_ENDPOINT, FIELD(listen6),
	  .family = AF_INET6, .arg = "[ADDR]:PORT",
	  .help = "IPv6 listen address (default [::]:123), the same" },
	{ .short_flag = 's', .directive = "server", .type = KNOB_CALL, .set = set_server,
	  .flags = KNOB_REPEATABLE | KNOB_CLI_REPLACES, .max_words = CONFIG_MAX_WORDS - 1,
	  .usage = "server HOST[:PORT] [iburst] [minpoll N] [maxpoll N] [port N] [key ID]",
	  .arg = "HOST[:PORT]",
	  .help = "upstream server, repeatable (default " NTPD_UPSTREAM_DEFAULT ")" },
	{ .long_flag = "pool", .directive = "pool", .type = KNOB_CALL, .set = set_pool,
	  .flags = KNOB_REPEATABLE, .max_words = CONFIG_MAX_WORDS - 1,
	  .usage = "pool NAME [iburst] [minpoll N] [maxpoll N] [port N] [maxsources N]",
	  .arg = "NAME",
	  .help = "every address NAME resolves to is an upstream; looked up\n"
		  "again when they are all lost" },
	{ .short_flag = '4', .directive = "threads", .type = KNOB_INT, FIELD(threads4),
	  .min = 0, .max = 1024, .arg = "N",
	  .help = "socket threads per family (default: one per core; 0 = off,\n"
		  "in XDP as well)" },
	{ .short_flag = '6', .directive = "threads6", .type = KNOB_INT, FIELD(threads6),
	  .min = 0, .max = 1024, .arg = "N" },
	{ .long_flag = "socket-batch-wait", .directive = "socket-batch-wait", .type = KNOB_INT,
	  FIELD(socket_batch_wait_us), .min = 0, .max = 1000, .arg = "US",
	  .help = "under traffic, let datagrams gather US microseconds\n"
		  "before each socket read (default 0: off; at rest never)" },
	{ .long_flag = "socket-busy-poll", .directive = "socket-busy-poll", .type = KNOB_INT,
	  FIELD(socket_busy_poll_us), .min = 0, .max = 1000, .arg = "US",
	  .help = "SO_BUSY_POLL on the sockets: spin up to US\n"
		  "microseconds per read (default 0: off; costs a core)" },
	{ .long_flag = "socket-ring", .directive = "socket-ring", .type = KNOB_INT,
	  FIELD(socket_ring_ms), .min = 0, .max = PACKET_RING_MS_MAX, .arg = "MS",
	  .help = "read plain IPv4 requests on the interface (-i, one) from\n"
		  "AF_PACKET rings, a wake-up per block of up to MS ms\n"
		  "(default 0: off; CAP_NET_RAW; no BPF needed)" },
	{ .long_flag = "socket-rcvbuf", .directive = "socket-rcvbuf", .type = KNOB_INT,
	  FIELD(socket_rcvbuf_kib), .min = 0, .max = 65536, .arg = "KIB",
	  .help = "receive buffer per socket in KiB (default 2048; 0: the\n"
		  "kernel's): requests queue there while a thread is held off" },
	{ .short_flag = 'u', .directive = "user", .type = KNOB_STRING, FIELD(user),
	  .arg = "USER", .help = "drop privileges to USER after start-up" },
	{ .short_flag = 'r', .directive = "chroot", .type = KNOB_STRING, FIELD(chroot_dir),
	  .arg = "DIR", .help = "chroot to DIR after start-up (with -u)" },
	{ .long_flag = "interface", .short_flag = 'i', .directive = "interface",
	  .type = KNOB_CALL, .set = set_interface, .flags = KNOB_REPEATABLE | KNOB_CLI_REPLACES,
	  .max_words = 3, .usage = "interface IFACE [mode native|generic|socket|auto]",
	  .arg = "IFACE", .help = "attach XDP to IFACE, repeatable (default lo)" },
	{ .long_flag = "xdp-mode", .type = KNOB_ENUM, FIELD(xdp_mode), .names = xdp_mode_names,
	  .arg = "MODE", .help = "auto|native|generic|socket (default auto: native, then\n"
				 "generic, then socket mode, each failure logged)" },
	{ .long_flag = "replace", .directive = "replace", .type = KNOB_BOOL, FIELD(replace),
	  .help = "replace an xdp-ntpd program already on the interface:\n"
		  "in place on its pinned maps when it can (no gap)" },
	{ .long_flag = "keep-attached", .directive = "keep-attached", .type = KNOB_BOOL,
	  FIELD(keep_attached),
	  .help = "on SIGTERM leave XDP attached and the maps pinned, for a\n"
		  "restart with --replace to take over without a gap" },
	{ .long_flag = "detach", .type = KNOB_BOOL, FIELD(detach_only),
	  .help = "with -i: remove a program left attached, and exit" },
	{ .long_flag = "metrics-listen", .directive = "metrics-listen", .type = KNOB_ENDPOINT,
	  FIELD(metrics_listen), .family = AF_UNSPEC, .arg = "ADDR:PORT",
	  .help = "metrics HTTP endpoint (default 127.0.0.1:9978)" },
	{ .long_flag = "api-listen", .directive = "api-listen", .type = KNOB_ENDPOINT,
	  FIELD(api_listen), .family = AF_UNSPEC, .arg = "ADDR:PORT",
	  .help = "serve the management API's changes only here; the\n"
		  "metrics listener then only reads (default: off)" },
	{ .long_flag = "http-host", .directive = "http-host", .type = KNOB_STRING,
	  FIELD(http_hosts), .arg = "NAMES",
	  .help = "names, comma-separated, accepted in the Host header\n"
		  "besides the listen address (default: none)" },
	{ .long_flag = "allow-cross-origin", .directive = "allow-cross-origin", .type = KNOB_BOOL,
	  FIELD(allow_cross_origin),
	  .help = "CORS headers on the webntp and Time-over-HTTPS answers,\n"
		  "so pages from other origins can read the time" },
	{ .long_flag = "api-token-file", .directive = "api-token-file", .type = KNOB_STRING,
	  FIELD(api_token_file), .arg = "FILE",
	  .help = "bearer token that PUT/DELETE on /upstreams,\n"
		  "/ratelimit, /acl need; without it the API is read-only" },
	{ .long_flag = "local-stratum", .directive = "local", .keyword = "stratum",
	  .type = KNOB_INT, FIELD(local_stratum), .min = 1, .max = NTP_STRATUM_MAX, .arg = "N",
	  .help = "with no upstream usable, serve the system clock at\n"
		  "stratum N (default: serve unsynchronised, LI=3)" },
	{ .long_flag = "clock", .directive = "clock", .type = KNOB_ENUM, FIELD(clock_model),
	  .names = clock_model_names, .arg = "MODEL",
	  .help = "system|corrected|auto: serve the kernel clock as it is\n"
		  "(disciplined by chronyd/ntpd), or with our correction\n"
		  "from the upstreams; auto asks adjtimex (default)" },
	{ .long_flag = "upstream-min-poll", .directive = "upstream-min-poll", .type = KNOB_INT,
	  FIELD(upstream_min_poll), .min = 0, .max = 17, .arg = "N",
	  .help = "upstream poll interval\n"
		  "bounds, log2 s (default 4, 10; loopback: every second)" },
	{ .long_flag = "upstream-max-poll", .directive = "upstream-max-poll", .type = KNOB_INT,
	  FIELD(upstream_max_poll), .min = 0, .max = 17, .arg = "N" },
	{ .long_flag = "drift-file", .directive = "driftfile", .type = KNOB_STRING,
	  FIELD(drift_file), .arg = "FILE",
	  .help = "our clock's frequency error, read at start and\n"
		  "written hourly and on stop (corrected clock model)" },
	{ .long_flag = "state-file", .directive = "statefile", .type = KNOB_STRING,
	  FIELD(state_file), .arg = "FILE",
	  .help = "what the management API changed, kept across restarts\n"
		  "(the package: /var/lib/xdp-ntpd/state.json; default: none)" },
	{ .long_flag = "leap-smear", .directive = "leapsmear", .type = KNOB_BOOL,
	  FIELD(leap_smear),
	  .help = "smear leap seconds over 24 h (noon to noon UTC)\n"
		  "instead of announcing them; LI stays 0" },
	{ .long_flag = "max-missed", .directive = "max-missed", .type = KNOB_INT,
	  FIELD(max_missed), .min = 1, .max = 64, .arg = "N",
	  .help = "polls without answer before an upstream is\nunreachable (default 8)" },
	/* beyond 1000 s a state says nothing about the time, and the
	 * division-free dispersion growth covers 2^40 ns */
	{ .long_flag = "max-age", .directive = "max-age", .type = KNOB_INT,
	  FIELD(cfg.max_state_age_ns), .min = 1, .max = 1000, .scale = SECONDS_TO_NS,
	  .arg = "SEC", .help = "reference state older than this is stale (default 10)" },
	{ .long_flag = "stale-action", .directive = "stale-action", .type = KNOB_ENUM,
	  FIELD(cfg.stale_action), .names = stale_action_names, .arg = "unsync|pass",
	  .help = "answer stale state as unsynchronised (LI=3)\n"
		  "or pass requests to the socket server (default unsync)" },
	{ .long_flag = "min-poll", .directive = "min-poll", .type = KNOB_INT, FIELD(cfg.poll_min),
	  .min = -7, .max = 17, .arg = "N", .help = "clamp the poll we echo (default 4, 17)" },
	{ .long_flag = "max-poll", .directive = "max-poll", .type = KNOB_INT, FIELD(cfg.poll_max),
	  .min = -7, .max = 17, .arg = "N" },
	{ .long_flag = "dscp", .directive = "dscp", .type = KNOB_INT, FIELD(cfg.dscp), .min = 0,
	  .max = NTPD_DSCP_MAX, .arg = "N",
	  .help = "DSCP of every answer, 0..63 (default 0); ECN never echoed" },
	{ .long_flag = "keys", .directive = "keyfile", .type = KNOB_STRING, FIELD(keys_file),
	  .arg = "FILE",
	  .help = "symmetric keys (ntpd/chrony format: ID TYPE KEY; MD5,\n"
		  "SHA1, AES128CMAC), readable by its owner only: signed\n"
		  "requests get signed answers, unknown keys a crypto-NAK" },
	{ .long_flag = "trusted-key", .directive = "trustedkey", .type = KNOB_CALL,
	  .set = set_trusted_key, .flags = KNOB_REPEATABLE, .max_words = NTP_TRUST_MAX,
	  .usage = "trustedkey ID|LO-HI ...", .arg = "ID[,LO-HI...]",
	  .help = "only these keys sign answers and authenticate\n"
		  "upstreams (default: every key of --keys)" },
	{ .long_flag = "nts-cert", .directive = "ntsservercert", .type = KNOB_STRING,
	  FIELD(nts_cert), .arg = "FILE",
	  .help = "NTS (RFC 8915): the key exchange's TLS certificate\n"
		  "chain (PEM); with --nts-key turns NTS on; SIGHUP re-reads" },
	{ .long_flag = "nts-key", .directive = "ntsserverkey", .type = KNOB_STRING,
	  FIELD(nts_key), .arg = "FILE", .help = "the certificate's private key (PEM)" },
	{ .long_flag = "nts-port", .directive = "ntsport", .type = KNOB_INT, FIELD(nts_port),
	  .min = 0, .max = 65535, .arg = "N",
	  .help = "NTS-KE TCP port (default 4460; 0: no key exchange,\n"
		  "NTS answers from the shared key file only)" },
	{ .long_flag = "nts-dump-dir", .directive = "ntsdumpdir", .type = KNOB_STRING,
	  FIELD(nts_dump_dir), .arg = "DIR",
	  .help = "keep the cookie keys in DIR/ntskeys (0600): a\n"
		  "restart keeps clients' cookies, a fleet shares it" },
	{ .long_flag = "nts-rotate", .directive = "ntsrotate", .type = KNOB_INT,
	  FIELD(nts_rotate), .min = 0, .max = 365 * 86400, .arg = "SEC",
	  .help = "new cookie key every SEC s (default 604800; 0: never,\n"
		  "follow the key file another server writes)" },
	{ .long_flag = "nts-threads", .directive = "ntsprocesses", .type = KNOB_INT,
	  FIELD(nts_threads), .min = 1, .max = 64, .arg = "N",
	  .help = "NTS key exchanges served at once (default 4)" },
	{ .long_flag = "nts-ntp-server", .directive = "ntsntpserver", .type = KNOB_STRING,
	  FIELD(nts_ntp_server), .arg = "HOST",
	  .help = "send NTS clients to HOST for NTP (Server\n"
		  "Negotiation record: an anycast address; default: us)" },
	{ .long_flag = "rate-limit", .directive = "ratelimit", .type = KNOB_CALL,
	  .set = set_ratelimit, .max_words = 6, .flags = KNOB_WORDS_OPTIONAL,
	  .usage = "ratelimit rate R burst B [leak L] | ratelimit [interval I] [burst B] "
		   "[leak L] | ratelimit off", .arg = "RATE/BURST|off",
	  .help = "per-client limit: average requests/s and\n"
		  "bucket size (default 2/16)" },
	{ .long_flag = "rate-leak", .type = KNOB_INT, FIELD(policy.rate.leak_shift), .min = 0,
	  .max = 16, .arg = "N",
	  .help = "answer 1 in 2^N requests over the limit (default 2; 0: none)" },
	{ .long_flag = "rate-prefix4", .directive = "rate-prefix4", .type = KNOB_INT,
	  FIELD(policy.rate.prefix4), .min = 1, .max = 32, .arg = "N",
	  .help = "bits that name a client (default 32, 64)" },
	{ .long_flag = "rate-prefix6", .directive = "rate-prefix6", .type = KNOB_INT,
	  FIELD(policy.rate.prefix6), .min = 1, .max = 128, .arg = "N" },
	{ .long_flag = "rate-table-size", .directive = "rate-table-size", .type = KNOB_INT,
	  FIELD(policy.table_size), .min = 64, .max = 16 * 1024 * 1024, .arg = "N",
	  .help = "clients tracked (LRU, default 65536; 96 bytes each)" },
	{ .long_flag = "kod", .directive = "kod", .type = KNOB_BOOL, FIELD(policy.rate.kod),
	  .help = "answer over the limit with kiss-o'-death RATE (leaked ones)" },
	{ .long_flag = "allow", .directive = "allow", .type = KNOB_CALL, .set = set_allow,
	  .flags = KNOB_REPEATABLE | KNOB_WORDS_OPTIONAL, .max_words = 2,
	  .usage = "allow [all] [CIDR]", .arg = "CIDR",
	  .help = "access lists, repeatable; most specific wins;\ndefault allow" },
	{ .long_flag = "deny", .directive = "deny", .type = KNOB_CALL, .set = set_deny,
	  .flags = KNOB_REPEATABLE | KNOB_WORDS_OPTIONAL, .max_words = 2,
	  .usage = "deny [all] [CIDR]", .arg = "CIDR" },
	{ .long_flag = "kod-deny", .directive = "kod-deny", .type = KNOB_BOOL,
	  FIELD(policy.rate.kod_deny),
	  .help = "denied clients get kiss-o'-death DENY instead of nothing" },
	{ .long_flag = "allow-query", .directive = "allow-query", .type = KNOB_CALL,
	  .set = set_allow_query, .flags = KNOB_REPEATABLE, .max_words = 1,
	  .usage = "allow-query CIDR", .arg = "CIDR",
	  .help = "who may read status with ntpq (mode 6), repeatable;\n"
		  "loopback always may (default: loopback only)" },
	{ .long_flag = "broadcast", .directive = "broadcast", .type = KNOB_CALL,
	  .set = set_broadcast, .flags = KNOB_REPEATABLE, .max_words = 4,
	  .usage = "broadcast ADDR [INTERVAL] [key ID]", .arg = "'ADDR [S] [key ID]'",
	  .help = "send mode-5 broadcasts to ADDR (IPv4 broadcast, IPv4/IPv6\n"
		  "multicast) every S seconds (default 64) while synchronised,\n"
		  "signed with key ID of --keys if given; repeatable" },
	{ .long_flag = "stats", .type = KNOB_BOOL, FIELD(stats_only),
	  .help = "print the XDP counters of the -i interfaces and exit" },
	{ .long_flag = "config", .short_flag = 'c', .type = KNOB_STRING, FIELD(config_file),
	  .flags = KNOB_CONFIG_FILE, .arg = "FILE",
	  .help = "read directives from FILE (see xdp-ntpd.conf.example);\n"
		  "flags given as well override it" },
	{ .long_flag = "check", .type = KNOB_BOOL, FIELD(check_only),
	  .help = "check the file and flags, print \"config OK\", exit" },
	{ .long_flag = "debug", .short_flag = 'd', .type = KNOB_BOOL, FIELD(debug),
	  .help = "debug logging, and the request log at 10 lines/s" },
	{ .long_flag = "log-requests", .directive = "log-requests", .type = KNOB_INT,
	  FIELD(log_requests), .min = 0, .max = 1000000, .arg = "RATE",
	  .help = "log sampled requests (client, version, mode,\n"
		  "outcome), at most RATE lines/s; 0 off (default)" },
	{ .long_flag = "log-sample", .directive = "log-sample", .type = KNOB_INT,
	  FIELD(log_sample), .min = 1, .max = 1000000, .arg = "N",
	  .help = "consider 1 in N requests for the log (default 1)" },
	{ .long_flag = "syslog", .directive = "syslog", .type = KNOB_BOOL, FIELD(syslog),
	  .help = "log to syslog (facility daemon) instead of stderr" },
	{ .long_flag = "log-file", .directive = "logfile", .type = KNOB_STRING, FIELD(log_file),
	  .arg = "PATH",
	  .help = "log (the request log too) to this file instead;\n"
		  "SIGUSR1 reopens it (after logrotate moved it)" },
	{ .long_flag = "seccomp", .directive = "seccomp", .type = KNOB_ENUM, FIELD(seccomp),
	  .names = seccomp_names, .arg = "on|log|off",
	  .help = "system call filter after start-up: a call outside\n"
		  "it kills the daemon (on), or is logged (log); default off" },
	{ .long_flag = "anycast", .directive = "anycast", .type = KNOB_CALL, .set = set_anycast,
	  .flags = KNOB_REPEATABLE, .max_words = 1, .usage = "anycast ADDR/32|ADDR/128",
	  .arg = "ADDR/LEN",
	  .help = "service address, repeatable: on --anycast-interface\n"
		  "only while healthy (synchronised, fresh, serving), for a\n"
		  "routing daemon to announce; served in XDP (default none)" },
	{ .long_flag = "anycast-interface", .directive = "anycast-interface", .type = KNOB_STRING,
	  FIELD(anycast.ifname), .arg = "IFACE",
	  .help = "where the anycast addresses go; a dummy is made if\n"
		  "it does not exist (default lo)" },
	{ .long_flag = "anycast-hold-down", .directive = "anycast-hold-down", .type = KNOB_INT,
	  FIELD(anycast.hold_down_s), .min = 0, .max = 3600, .arg = "SEC",
	  .help = "healthy this long before the addresses come back\n"
		  "(default 30); they go at once when not" },
	{ .long_flag = "anycast-gate", .directive = "anycast-gate", .type = KNOB_ENUM,
	  FIELD(anycast.gate), .names = anycast_gate_names, .arg = "health|off",
	  .help = "off: keep the addresses while running, whatever\n"
		  "the health (default health)" },
	{ .long_flag = "help", .short_flag = 'h', .type = KNOB_CALL, .set = show_help,
	  .flags = KNOB_INFO, .help = "this help" },
	{ .long_flag = "version", .type = KNOB_CALL, .set = show_version, .flags = KNOB_INFO,
	  .help = "print the version" },
};

const size_t knob_count = sizeof(knob_table) / sizeof(knob_table[0]);

/* cli_starts_list keeps a bit per knob */
_Static_assert(sizeof(knob_table) / sizeof(knob_table[0]) <= KNOB_TABLE_MAX, "knob_src.cli_started bits");

const struct knob *knob_find(const char *name)
{
	size_t i;

	for (i = 0; i < knob_count; i++)
		if ((knob_table[i].long_flag && !strcmp(knob_table[i].long_flag, name)) ||
		    (knob_table[i].directive && !strcmp(knob_table[i].directive, name)))
			return &knob_table[i];
	return NULL;
}

const struct knob *knob_find_short(int c)
{
	size_t i;

	for (i = 0; i < knob_count; i++)
		if (c && knob_table[i].short_flag == c)
			return &knob_table[i];
	return NULL;
}

const struct knob *knob_find_directive(const char *name)
{
	size_t i;

	for (i = 0; i < knob_count; i++)
		if (knob_table[i].directive && !strcmp(knob_table[i].directive, name))
			return &knob_table[i];
	return NULL;
}

int knob_apply(const struct knob *k, struct ntpd_options *o, struct knob_src *src,
	       const char *what, int argc, char **argv, char *err, size_t errlen)
{
	char with_keyword[64];

	if (k->type == KNOB_CALL)
		return k->set(k, o, src, argc, argv, err, errlen);
	/* "local stratum N": the keyword first, then the value */
	if (src->from_file && k->keyword) {
		if (strcmp(argv[0], k->keyword))
			return errbuf_fail(err, errlen, "%s: expected '%s', not '%s'", what,
					  k->keyword, argv[0]);
		snprintf(with_keyword, sizeof(with_keyword), "%s %s", what, k->keyword);
		what = with_keyword;
		argc--;
		argv++;
	}
	return apply_typed(k, o, what, argc ? argv[0] : NULL, err, errlen);
}

static const char *knob_label(const struct knob *k)
{
	return k->long_flag ? k->long_flag : k->directive;
}

int knob_check(const struct knob *k, const char *value, char *err, size_t errlen)
{
	struct knob_src src = { 0 };
	struct ntpd_options *scratch;
	char what[64], *argv[2] = { (char *)value, NULL };
	int e;

	if (k->flags & (KNOB_INFO | KNOB_CONFIG_FILE))
		return errbuf_fail(err, errlen, "%s: not a setting", knob_label(k));
	if (k->type == KNOB_BOOL) {
		if (strcmp(value, "true") && strcmp(value, "false"))
			return errbuf_fail(err, errlen, "%s: '%s' is not true or false",
					  knob_label(k), value);
		return 0;
	}
	scratch = calloc(1, sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	e = knob_defaults(scratch);
	if (!e) {
		snprintf(what, sizeof(what), "%s%s", k->long_flag ? "--" : "", knob_label(k));
		e = knob_apply(k, scratch, &src, what, 1, argv, err, errlen);
	}
	knob_free_strings(scratch);
	free(scratch);
	return e > 0 ? 0 : e;
}

int knob_defaults(struct ntpd_options *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	if (endpoint_parse("0.0.0.0:123", NTP_PORT_DEFAULT, &o->listen4) ||
	    endpoint_parse("[::]:123", NTP_PORT_DEFAULT, &o->listen6) ||
	    endpoint_parse("127.0.0.1", NTPD_METRICS_PORT_DEFAULT, &o->metrics_listen))
		return -EINVAL;
	o->threads4 = o->threads6 = cores > 0 ? (int)cores : 1;
	o->xdp_mode = NTPD_XDP_AUTO;
	o->clock_model = CLOCK_MODEL_AUTO;
	o->upstream_min_poll = 4;
	o->upstream_max_poll = 10;
	o->max_missed = 8;
	o->anycast.hold_down_s = ANYCAST_HOLD_DOWN_DEFAULT_S;
	o->log_sample = 1;
	o->nts_port = NTS_KE_PORT_DEFAULT;
	o->nts_rotate = NTS_ROTATE_DEFAULT;
	o->nts_threads = NTS_THREADS_DEFAULT;
	o->socket_rcvbuf_kib = SOCKET_RCVBUF_KIB_DEFAULT;
	policy_defaults(&o->policy);
	o->cfg.max_state_age_ns = NTPD_MAX_STATE_AGE_NS_DEFAULT;
	o->cfg.poll_min = NTP_POLL_MIN_DEFAULT;
	o->cfg.poll_max = NTP_POLL_MAX_DEFAULT;
	o->cfg.stale_action = NTPD_STALE_UNSYNC;
	o->cfg.verify_udp_csum = 1;
	return 0;
}

/* "-i, --interface IFACE", "-a ADDR:PORT", "    --kod" */
static void flag_text(const struct knob *k, bool first, char *buf, size_t len)
{
	const char *arg_sep = k->arg ? " " : "", *arg = k->arg ? k->arg : "";

	if (k->short_flag && k->long_flag)
		snprintf(buf, len, "-%c, --%s%s%s", k->short_flag, k->long_flag, arg_sep, arg);
	else if (k->short_flag)
		snprintf(buf, len, "-%c%s%s", k->short_flag, arg_sep, arg);
	else
		snprintf(buf, len, "%s--%s%s%s", first ? "    " : "", k->long_flag, arg_sep, arg);
}

void knob_usage(FILE *out)
{
	char flags[160], one[80];
	const char *line, *nl;
	size_t i, j;

	fputs("Usage: xdp-ntpd [OPTIONS]\n"
	      "Answer NTP client requests in XDP, before the kernel's network stack, with a\n"
	      "multi-threaded UDP socket server for everything XDP passes or cannot handle.\n\n",
	      out);
	for (i = 0; i < knob_count; i = j) {
		/* rows without help share this one's: "-4 N, -6 N" */
		flag_text(&knob_table[i], true, flags, sizeof(flags));
		for (j = i + 1; j < knob_count && !knob_table[j].help; j++) {
			flag_text(&knob_table[j], false, one, sizeof(one));
			snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), ", %s", one);
		}
		if (strlen(flags) < USAGE_FLAG_WIDTH)
			fprintf(out, "  %-*s", USAGE_FLAG_WIDTH, flags);
		else
			fprintf(out, "  %s  ", flags);
		for (line = knob_table[i].help; line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			fprintf(out, "%s%.*s\n", line == knob_table[i].help ? "" : "                        ",
				(int)(nl ? nl - line : (long)strlen(line)), line);
		}
	}
}

void knob_free_strings(struct ntpd_options *o)
{
	size_t i;

	for (i = 0; i < knob_count; i++) {
		const char **slot;

		if (knob_table[i].type != KNOB_STRING)
			continue;
		slot = (const char **)field(&knob_table[i], o);
		free((char *)*slot);
		*slot = NULL;
	}
	while (o->n_ifaces > 0)
		free((char *)o->ifaces[--o->n_ifaces]);
}
