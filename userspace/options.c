// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "options.h"
#include "reqlog.h"
#include "config.h"
#include "version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* rsntp's convention for the local chronyd it takes its time from */
#define NTPD_UPSTREAM_DEFAULT "127.0.0.1:11123"
#define NTPD_OPTSTRING ":a:b:s:4:6:u:r:i:c:dh"

enum long_only {
	OPT_XDP_MODE = 256,
	OPT_METRICS_LISTEN,
	OPT_VERSION,
	OPT_REPLACE,
	OPT_LOCAL_STRATUM,
	OPT_MAX_AGE,
	OPT_STALE_ACTION,
	OPT_MIN_POLL,
	OPT_MAX_POLL,
	OPT_STATS,
	OPT_CLOCK,
	OPT_UPSTREAM_MIN_POLL,
	OPT_UPSTREAM_MAX_POLL,
	OPT_MAX_MISSED,
	OPT_LEAP_SMEAR,
	OPT_KEYS,
	OPT_API_TOKEN_FILE,
	OPT_DRIFT_FILE,
	OPT_SYSLOG,
	OPT_KEEP_ATTACHED,
	OPT_SECCOMP,
	OPT_LOG_REQUESTS,
	OPT_LOG_SAMPLE,
	OPT_DETACH,
	OPT_RATE_LIMIT,
	OPT_RATE_LEAK,
	OPT_RATE_PREFIX4,
	OPT_RATE_PREFIX6,
	OPT_RATE_TABLE_SIZE,
	OPT_KOD,
	OPT_KOD_DENY,
	OPT_ALLOW,
	OPT_DENY,
	OPT_CHECK,
	OPT_DSCP,
	OPT_API_LISTEN,
	OPT_HTTP_HOST,
};

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "debug", no_argument, NULL, 'd' },
	{ "interface", required_argument, NULL, 'i' },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "local-stratum", required_argument, NULL, OPT_LOCAL_STRATUM },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "stale-action", required_argument, NULL, OPT_STALE_ACTION },
	{ "min-poll", required_argument, NULL, OPT_MIN_POLL },
	{ "max-poll", required_argument, NULL, OPT_MAX_POLL },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "upstream-min-poll", required_argument, NULL, OPT_UPSTREAM_MIN_POLL },
	{ "upstream-max-poll", required_argument, NULL, OPT_UPSTREAM_MAX_POLL },
	{ "max-missed", required_argument, NULL, OPT_MAX_MISSED },
	{ "leap-smear", no_argument, NULL, OPT_LEAP_SMEAR },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "api-token-file", required_argument, NULL, OPT_API_TOKEN_FILE },
	{ "drift-file", required_argument, NULL, OPT_DRIFT_FILE },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "keep-attached", no_argument, NULL, OPT_KEEP_ATTACHED },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "log-requests", required_argument, NULL, OPT_LOG_REQUESTS },
	{ "log-sample", required_argument, NULL, OPT_LOG_SAMPLE },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "rate-leak", required_argument, NULL, OPT_RATE_LEAK },
	{ "rate-prefix4", required_argument, NULL, OPT_RATE_PREFIX4 },
	{ "rate-prefix6", required_argument, NULL, OPT_RATE_PREFIX6 },
	{ "rate-table-size", required_argument, NULL, OPT_RATE_TABLE_SIZE },
	{ "kod", no_argument, NULL, OPT_KOD },
	{ "kod-deny", no_argument, NULL, OPT_KOD_DENY },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "deny", required_argument, NULL, OPT_DENY },
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "dscp", required_argument, NULL, OPT_DSCP },
	{ "api-listen", required_argument, NULL, OPT_API_LISTEN },
	{ "http-host", required_argument, NULL, OPT_HTTP_HOST },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: xdp-ntpd [OPTIONS]\n"
"Answer NTP client requests in XDP, before the kernel's network stack, with a\n"
"multi-threaded UDP socket server for everything XDP passes or cannot handle.\n"
"\n"
"  -a ADDR:PORT          IPv4 listen address (default 0.0.0.0:123): the socket\n"
"                        server's, and XDP answers only that address and port\n"
"  -b [ADDR]:PORT        IPv6 listen address (default [::]:123), the same\n"
"  -s HOST[:PORT]        upstream server, repeatable (default " NTPD_UPSTREAM_DEFAULT ")\n"
"  -4 N, -6 N            socket threads per family (default: one per core; 0 = off,\n"
"                        in XDP as well)\n"
"  -u USER               drop privileges to USER after start-up\n"
"  -r DIR                chroot to DIR after start-up (with -u)\n"
"  -i, --interface IFACE attach XDP to IFACE, repeatable (default lo)\n"
"      --xdp-mode MODE   auto|native|generic|socket (default auto: native, then\n"
"                        generic, then socket mode, each failure logged)\n"
"      --replace         replace an xdp-ntpd program already on the interface:\n"
"                        in place on its pinned maps when it can (no gap)\n"
"      --keep-attached   on SIGTERM leave XDP attached and the maps pinned, for a\n"
"                        restart with --replace to take over without a gap\n"
"      --detach          with -i: remove a program left attached, and exit\n"
"      --metrics-listen ADDR:PORT  metrics HTTP endpoint (default 127.0.0.1:%d)\n"
"      --api-token-file FILE  bearer token that PUT/DELETE on /upstreams,\n"
"                        /ratelimit, /acl need; without it the API is read-only\n"
"      --api-listen ADDR:PORT  serve those changes only here; the metrics\n"
"                        listener then only reads (default: off)\n"
"      --http-host NAMES names, comma-separated, accepted in the Host header\n"
"                        besides the listen address (default: none)\n"
"      --local-stratum N with no upstream usable, serve the system clock at\n"
"                        stratum N (default: serve unsynchronised, LI=3)\n"
"      --clock MODEL     system|corrected|auto: serve the kernel clock as it is\n"
"                        (disciplined by chronyd/ntpd), or with our correction\n"
"                        from the upstreams; auto asks adjtimex (default)\n"
"      --upstream-min-poll N, --upstream-max-poll N  upstream poll interval\n"
"                        bounds, log2 s (default 4, 10; loopback: every second)\n"
"      --drift-file FILE our clock's frequency error, read at start and\n"
"                        written hourly and on stop (corrected clock model)\n"
"      --leap-smear      smear leap seconds over 24 h (noon to noon UTC)\n"
"                        instead of announcing them; LI stays 0\n"
"      --max-missed N    polls without answer before an upstream is\n"
"                        unreachable (default 8)\n"
"      --max-age SEC     reference state older than this is stale (default 10)\n"
"      --stale-action unsync|pass  answer stale state as unsynchronised (LI=3)\n"
"                        or pass requests to the socket server (default unsync)\n"
"      --min-poll N, --max-poll N  clamp the poll we echo (default 4, 17)\n"
"      --dscp N          DSCP of every answer, 0..63 (default 0); ECN never echoed\n"
"      --keys FILE       symmetric keys (ntpd/chrony format: ID TYPE KEY; MD5,\n"
"                        SHA1, AES128CMAC): signed requests get signed\n"
"                        answers, unknown keys a crypto-NAK\n"
"      --rate-limit RATE/BURST|off  per-client limit: average requests/s and\n"
"                        bucket size (default %d/%d)\n"
"      --rate-leak N     answer 1 in 2^N requests over the limit (default %d; 0: none)\n"
"      --rate-prefix4 N, --rate-prefix6 N  bits that name a client (default %d, %d)\n"
"      --rate-table-size N  clients tracked (LRU, default %d; 96 bytes each)\n"
"      --kod             answer over the limit with kiss-o'-death RATE (leaked ones)\n"
"      --allow CIDR, --deny CIDR  access lists, repeatable; most specific wins;\n"
"                        default allow\n"
"      --kod-deny        denied clients get kiss-o'-death DENY instead of nothing\n"
"      --stats           print the XDP counters of the -i interfaces and exit\n"
"  -c, --config FILE     read directives from FILE (see xdp-ntpd.conf.example);\n"
"                        flags given as well override it\n"
"      --check           check the file and flags, print \"config OK\", exit\n"
"  -d, --debug           debug logging, and the request log at 10 lines/s\n"
"      --log-requests RATE  log sampled requests (client, version, mode,\n"
"                        outcome), at most RATE lines/s; 0 off (default)\n"
"      --log-sample N    consider 1 in N requests for the log (default 1)\n"
"      --syslog          log to syslog (facility daemon) instead of stderr\n"
"      --seccomp on|log|off  system call filter after start-up: a call outside\n"
"                        it kills the daemon (on), or is logged (log); default off\n"
"  -h, --help            this help\n"
"      --version         print the version\n",
		NTPD_METRICS_PORT_DEFAULT, NTPD_RATE_DEFAULT_PER_S, NTPD_RATE_DEFAULT_BURST,
		NTPD_RATE_DEFAULT_LEAK, NTPD_RATE_PREFIX4_DEFAULT, NTPD_RATE_PREFIX6_DEFAULT,
		NTPD_RATE_TABLE_DEFAULT);
}

static int parse_long(const char *flag, const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max) {
		fprintf(stderr, "xdp-ntpd: %s: '%s' is not a number in [%ld, %ld]\n",
			flag, text, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int options_parse_endpoint(const char *text, __u16 default_port, struct ntpd_endpoint *ep)
{
	char buf[sizeof(ep->host) + 8];
	const char *host = buf, *port = NULL;
	char *p, *end;
	long v;

	memset(ep, 0, sizeof(*ep));
	if (strlen(text) >= sizeof(ep->host) || !*text)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", text);
	if (buf[0] == '[') {			/* [v6]:port or [v6] */
		p = strchr(buf, ']');
		if (!p || (p[1] && p[1] != ':'))
			return -EINVAL;
		*p = '\0';
		host = buf + 1;
		port = p[1] ? p + 2 : NULL;
	} else if ((p = strchr(buf, ':')) && !strchr(p + 1, ':')) {
		*p = '\0';			/* host:port; a bare v6 has several */
		port = p + 1;
	}
	ep->port = default_port;
	if (port) {
		errno = 0;
		v = strtol(port, &end, 10);
		if (errno || end == port || *end || v < 1 || v > 65535)
			return -EINVAL;
		ep->port = (__u16)v;
	}
	if (!*host || strlen(host) >= sizeof(ep->host))
		return -EINVAL;
	memcpy(ep->host, host, strlen(host) + 1);

	struct sockaddr_in *sin = (struct sockaddr_in *)&ep->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep->addr;

	if (inet_pton(AF_INET, ep->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep->port);
		ep->resolved = true;
	} else if (inet_pton(AF_INET6, ep->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		ep->resolved = true;
	}
	return 0;
}

static int parse_listen(const char *flag, const char *text, int family,
			struct ntpd_endpoint *ep)
{
	if (options_parse_endpoint(text, NTP_PORT_DEFAULT, ep) || !ep->resolved ||
	    ep->addr.ss_family != family) {
		fprintf(stderr, "xdp-ntpd: %s: '%s' is not an %s ADDR:PORT\n", flag, text,
			family == AF_INET ? "IPv4" : "IPv6 [ADDR]:PORT");
		return -EINVAL;
	}
	return 0;
}

static void set_defaults(struct ntpd_options *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	options_parse_endpoint("0.0.0.0:123", NTP_PORT_DEFAULT, &o->listen4);
	options_parse_endpoint("[::]:123", NTP_PORT_DEFAULT, &o->listen6);
	options_parse_endpoint("127.0.0.1:9978", NTPD_METRICS_PORT_DEFAULT, &o->metrics_listen);
	o->threads4 = o->threads6 = cores > 0 ? (int)cores : 1;
	o->xdp_mode = NTPD_XDP_AUTO;
	o->local_stratum = 0;
	o->clock_model = 0;	/* auto */
	o->upstream_min_poll = 4;
	o->upstream_max_poll = 10;
	o->max_missed = 8;
	policy_defaults(&o->policy);
	o->cfg.max_state_age_ns = NTPD_MAX_STATE_AGE_NS_DEFAULT;
	o->cfg.poll_min = NTP_POLL_MIN_DEFAULT;
	o->cfg.poll_max = NTP_POLL_MAX_DEFAULT;
	o->cfg.stale_action = NTPD_STALE_UNSYNC;
	o->cfg.verify_udp_csum = 1;
}

int options_parse(struct ntpd_options *o, int argc, char **argv)
{
	bool cli_servers = false, cli_ifaces = false, informational = false;
	long v;
	int c, err;

	set_defaults(o);
	/* the file goes under the flags: find -c before the real pass */
	optind = 0;	/* glibc: 0 resets getopt's state fully, 1 does not */
	opterr = 0;
	while ((c = getopt_long(argc, argv, NTPD_OPTSTRING, long_options, NULL)) != -1) {
		if (c == 'c')
			o->config_file = optarg;
		else if (c == 'h' || c == OPT_VERSION)
			informational = true;
	}
	if (o->config_file && !informational) {
		err = config_load(o->config_file, o);
		if (err)
			return err;
	}
	optind = 0;	/* glibc: start afresh, the first pass permuted argv */
	while ((c = getopt_long(argc, argv, NTPD_OPTSTRING, long_options, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (parse_listen("-a", optarg, AF_INET, &o->listen4))
				return -EINVAL;
			break;
		case 'b':
			if (parse_listen("-b", optarg, AF_INET6, &o->listen6))
				return -EINVAL;
			break;
		case 's':
			if (!cli_servers) {	/* -s replaces the file's servers */
				o->n_upstreams = 0;
				cli_servers = true;
			}
			if (o->n_upstreams == NTPD_MAX_UPSTREAMS) {
				fprintf(stderr, "xdp-ntpd: -s: at most %d upstreams\n",
					NTPD_MAX_UPSTREAMS);
				return -EINVAL;
			}
			if (options_parse_endpoint(optarg, NTP_PORT_DEFAULT,
						   &o->upstream[o->n_upstreams])) {
				fprintf(stderr, "xdp-ntpd: -s: '%s' is not HOST[:PORT]\n", optarg);
				return -EINVAL;
			}
			o->n_upstreams++;
			break;
		case '4':
		case '6':
			if (parse_long(c == '4' ? "-4" : "-6", optarg, 0, 1024, &v))
				return -EINVAL;
			*(c == '4' ? &o->threads4 : &o->threads6) = (int)v;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'r':
			o->chroot_dir = optarg;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'i':
			if (!cli_ifaces) {	/* -i replaces the file's interfaces */
				o->n_ifaces = 0;
				cli_ifaces = true;
			}
			if (o->n_ifaces == NTPD_MAX_IFACES) {
				fprintf(stderr, "xdp-ntpd: -i: at most %d interfaces\n",
					NTPD_MAX_IFACES);
				return -EINVAL;
			}
			if (!*optarg || strlen(optarg) >= IF_NAMESIZE) {
				fprintf(stderr, "xdp-ntpd: -i: '%s' is not an interface name\n",
					optarg);
				return -EINVAL;
			}
			o->ifaces[o->n_ifaces++] = optarg;
			break;
		case OPT_XDP_MODE:
			if (loader_parse_mode(optarg, &o->xdp_mode)) {
				fprintf(stderr, "xdp-ntpd: --xdp-mode: '%s' is not one of "
					"auto, native, generic, socket\n", optarg);
				return -EINVAL;
			}
			break;
		case OPT_METRICS_LISTEN:
			if (options_parse_endpoint(optarg, NTPD_METRICS_PORT_DEFAULT,
						   &o->metrics_listen) || !o->metrics_listen.resolved) {
				fprintf(stderr, "xdp-ntpd: --metrics-listen: '%s' is not ADDR:PORT\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_API_LISTEN:
			if (options_parse_endpoint(optarg, NTPD_METRICS_PORT_DEFAULT,
						   &o->api_listen) || !o->api_listen.resolved) {
				fprintf(stderr, "xdp-ntpd: --api-listen: '%s' is not ADDR:PORT\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_HTTP_HOST:
			o->http_hosts = optarg;
			break;
		case OPT_REPLACE:
			o->replace = true;
			break;
		case OPT_LOCAL_STRATUM:
			if (parse_long("--local-stratum", optarg, 1, NTP_STRATUM_MAX, &v))
				return -EINVAL;
			o->local_stratum = (__u8)v;
			break;
		case OPT_MAX_AGE:
			/* beyond 1000 s a state says nothing about the time, and
			 * the division-free dispersion growth covers 2^40 ns */
			if (parse_long("--max-age", optarg, 1, 1000, &v))
				return -EINVAL;
			o->cfg.max_state_age_ns = (__u64)v * NSEC_PER_SEC_U64;
			break;
		case OPT_STALE_ACTION:
			if (!strcmp(optarg, "unsync")) {
				o->cfg.stale_action = NTPD_STALE_UNSYNC;
			} else if (!strcmp(optarg, "pass")) {
				o->cfg.stale_action = NTPD_STALE_PASS;
			} else {
				fprintf(stderr, "xdp-ntpd: --stale-action: '%s' is not unsync or pass\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_MIN_POLL:
		case OPT_MAX_POLL:
			if (parse_long(c == OPT_MIN_POLL ? "--min-poll" : "--max-poll", optarg,
				       -7, 17, &v))
				return -EINVAL;
			*(c == OPT_MIN_POLL ? &o->cfg.poll_min : &o->cfg.poll_max) = (__s8)v;
			break;
		case OPT_DSCP:
			if (parse_long("--dscp", optarg, 0, NTPD_DSCP_MAX, &v))
				return -EINVAL;
			o->cfg.dscp = (__u8)v;
			break;
		case OPT_CLOCK:
			if (!strcmp(optarg, "auto")) {
				o->clock_model = 0;
			} else if (!strcmp(optarg, "system")) {
				o->clock_model = 1;
			} else if (!strcmp(optarg, "corrected")) {
				o->clock_model = 2;
			} else {
				fprintf(stderr, "xdp-ntpd: --clock: '%s' is not system, corrected "
					"or auto\n", optarg);
				return -EINVAL;
			}
			break;
		case OPT_UPSTREAM_MIN_POLL:
		case OPT_UPSTREAM_MAX_POLL:
			if (parse_long(c == OPT_UPSTREAM_MIN_POLL ? "--upstream-min-poll" :
				       "--upstream-max-poll", optarg, 0, 17, &v))
				return -EINVAL;
			*(c == OPT_UPSTREAM_MIN_POLL ? &o->upstream_min_poll :
						       &o->upstream_max_poll) = (int)v;
			break;
		case OPT_MAX_MISSED:
			if (parse_long("--max-missed", optarg, 1, 64, &v))
				return -EINVAL;
			o->max_missed = (int)v;
			break;
		case OPT_RATE_LIMIT:
			if (policy_parse_rate(&o->policy, optarg)) {
				fprintf(stderr, "xdp-ntpd: --rate-limit: '%s' is not RATE/BURST or off\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_RATE_LEAK:
			if (parse_long("--rate-leak", optarg, 0, 16, &v))
				return -EINVAL;
			o->policy.rate.leak_shift = (__u8)v;
			break;
		case OPT_RATE_PREFIX4:
		case OPT_RATE_PREFIX6:
			if (parse_long(c == OPT_RATE_PREFIX4 ? "--rate-prefix4" : "--rate-prefix6",
				       optarg, 1, c == OPT_RATE_PREFIX4 ? 32 : 128, &v))
				return -EINVAL;
			*(c == OPT_RATE_PREFIX4 ? &o->policy.rate.prefix4 : &o->policy.rate.prefix6) =
				(__u8)v;
			break;
		case OPT_RATE_TABLE_SIZE:
			if (parse_long("--rate-table-size", optarg, 64, 16 * 1024 * 1024, &v))
				return -EINVAL;
			o->policy.table_size = (__u32)v;
			break;
		case OPT_KOD:
			o->policy.rate.kod = 1;
			break;
		case OPT_KOD_DENY:
			o->policy.rate.kod_deny = 1;
			break;
		case OPT_ALLOW:
		case OPT_DENY:
			if (policy_add_acl(&o->policy, optarg,
					   c == OPT_ALLOW ? NTPD_ACL_ALLOW : NTPD_ACL_DENY)) {
				fprintf(stderr, "xdp-ntpd: %s: '%s' is not an address or CIDR (or too many)\n",
					c == OPT_ALLOW ? "--allow" : "--deny", optarg);
				return -EINVAL;
			}
			break;
		case OPT_KEYS:
			o->keys_file = optarg;
			break;
		case OPT_API_TOKEN_FILE:
			o->api_token_file = optarg;
			break;
		case OPT_DRIFT_FILE:
			o->drift_file = optarg;
			break;
		case OPT_SYSLOG:
			o->syslog = true;
			break;
		case OPT_KEEP_ATTACHED:
			o->keep_attached = true;
			break;
		case OPT_LOG_REQUESTS:
		case OPT_LOG_SAMPLE:
			if (parse_long(c == OPT_LOG_REQUESTS ? "--log-requests" : "--log-sample",
				       optarg, c == OPT_LOG_REQUESTS ? 0 : 1, 1000000, &v))
				return -EINVAL;
			*(c == OPT_LOG_REQUESTS ? &o->log_requests : &o->log_sample) =
				(unsigned int)v;
			break;
		case OPT_SECCOMP:
			if (seccomp_parse_mode(optarg, &o->seccomp)) {
				fprintf(stderr, "xdp-ntpd: --seccomp: '%s' is not on, log or off\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_DETACH:
			o->detach_only = true;
			break;
		case OPT_LEAP_SMEAR:
			o->leap_smear = true;
			break;
		case OPT_STATS:
			o->stats_only = true;
			break;
		case 'c':		/* loaded before this pass */
			break;
		case OPT_CHECK:
			o->check_only = true;
			break;
		case OPT_VERSION:
			printf("xdp-ntpd %s\n", NTPD_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "xdp-ntpd: option '%s' needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "xdp-ntpd: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xdp-ntpd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (o->cfg.poll_min > o->cfg.poll_max) {
		fprintf(stderr, "xdp-ntpd: --min-poll %d is above --max-poll %d\n",
			o->cfg.poll_min, o->cfg.poll_max);
		return -EINVAL;
	}
	if (o->upstream_min_poll > o->upstream_max_poll) {
		fprintf(stderr, "xdp-ntpd: --upstream-min-poll %d is above --upstream-max-poll %d\n",
			o->upstream_min_poll, o->upstream_max_poll);
		return -EINVAL;
	}
	if (o->chroot_dir && !o->user) {
		fprintf(stderr, "xdp-ntpd: -r needs -u: a chroot kept as root is no jail\n");
		return -EINVAL;
	}
	if (o->n_upstreams == 0) {
		options_parse_endpoint(NTPD_UPSTREAM_DEFAULT, NTP_PORT_DEFAULT, &o->upstream[0]);
		o->n_upstreams = 1;
	}
	if (o->n_ifaces == 0 && o->xdp_mode != NTPD_XDP_SOCKET)
		o->ifaces[o->n_ifaces++] = "lo";
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
	if (!o->log_sample)
		o->log_sample = 1;
	/* a load-time knob: with the log off, the XDP program has no log code */
	o->cfg.log_threshold = o->log_requests ? reqlog_threshold(o->log_sample) : 0;
	return 0;
}
