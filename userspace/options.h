/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Command line of the xdp-ntpd daemon.  The short flags are those of rsntp
 * and gontppool so it can replace either without touching unit files.
 */
#ifndef NTPD_OPTIONS_H
#define NTPD_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>

#include "anycast.h"
#include "broadcast.h"
#include "endpoint.h"
#include "loader.h"
#include "ntp_auth.h"
#include "mode6.h"
#include "policy.h"
#include "reference.h"
#include "seccomp_filter.h"

#define NTPD_MAX_IFACES		16
#define NTPD_MAX_UPSTREAMS	16
#define NTPD_MAX_POOLS		4

/* A pool line: its name and options, and the addresses it gave the list. */
struct ntpd_pool {
	struct ntpd_endpoint proto;
	int maxsources;
	char member[NTPD_MAX_UPSTREAMS][INET6_ADDRSTRLEN];
	int n_members;
};
/* The knobs, their flags, directives, ranges and help are the table in
 * knobs.c; the fields here are what they set.  The strings are the struct's
 * own (copies): options_free() releases them. */

/* next to the node exporter's 9100 family, clear of the ones in Prometheus's
 * default-port list we know of (docs/metrics.md) */
#define NTPD_METRICS_PORT_DEFAULT 9978

struct ntpd_options {
	struct ntpd_endpoint listen4;	/* -a */
	struct ntpd_endpoint listen6;	/* -b */
	struct ntpd_endpoint upstream[NTPD_MAX_UPSTREAMS];	/* -s */
	int n_upstreams;
	struct ntpd_pool pools[NTPD_MAX_POOLS];	/* pool lines, for pool.h's watch */
	int n_pools;
	int threads4;			/* -4, default: one per core */
	int threads6;			/* -6 */
	unsigned int socket_batch_wait_us;	/* --socket-batch-wait */
	unsigned int socket_busy_poll_us;	/* --socket-busy-poll */
	unsigned int socket_rcvbuf_kib;		/* --socket-rcvbuf */
	unsigned int socket_ring_ms;		/* --socket-ring: block timeout, 0 off */
	const char *user;		/* -u */
	const char *chroot_dir;		/* -r */
	bool debug;			/* -d */
	bool syslog;			/* --syslog: log there, not to stderr */
	const char *log_file;		/* --log-file: log there (reopened on SIGUSR1) */
	enum seccomp_mode seccomp;	/* --seccomp on|log|off */
	unsigned int log_requests;	/* --log-requests: lines/s of the request log, 0 off */
	unsigned int log_sample;	/* --log-sample: 1 in N requests considered */
	const char *ifaces[NTPD_MAX_IFACES];	/* -i, owned copies */
	int n_ifaces;
	enum ntpd_xdp_mode xdp_mode;
	bool replace;
	bool keep_attached;		/* --keep-attached: SIGTERM leaves XDP on */
	bool detach_only;		/* --detach: remove what is left attached, exit */
	struct ntpd_endpoint metrics_listen;
	struct ntpd_endpoint api_listen;	/* --api-listen: the write API only there; host "" = off */
	const char *http_hosts;		/* --http-host: extra names accepted in Host, comma-separated */
	bool allow_cross_origin;	/* --allow-cross-origin: CORS on the time answers */
	__u8 local_stratum;		/* 0: none */
	enum clock_model clock_model;
	int upstream_min_poll;
	int upstream_max_poll;
	int max_missed;
	bool leap_smear;
	const char *keys_file;		/* --keys */
	struct ntp_trust trusted_keys;	/* --trusted-key, trustedkey: n 0 all */
	const char *api_token_file;	/* --api-token-file: management API may change things */
	const char *drift_file;		/* --drift-file: frequency kept across restarts */
	const char *state_file;		/* --state-file: API changes kept across restarts */
	const char *nts_cert;		/* ntsservercert: NTS on when set with nts_key */
	const char *nts_key;		/* ntsserverkey */
	const char *nts_dump_dir;	/* ntsdumpdir: the cookie key file's directory */
	const char *nts_ntp_server;	/* ntsntpserver: Server Negotiation record */
	int nts_port;			/* ntsport: key exchange TCP port, 0 none */
	int nts_rotate;			/* ntsrotate: s between cookie keys, 0 never */
	int nts_threads;		/* ntsprocesses: key exchanges at once */
	struct ntpd_policy policy;	/* --rate-limit, --allow, --deny, ... */
	struct mode6_allow allow_query;	/* --allow-query: mode 6 besides loopback */
	struct broadcast_list broadcast;	/* --broadcast: mode-5 targets */
	struct ntpd_config cfg;		/* XDP load-time knobs */
	struct anycast_config anycast;	/* --anycast, --anycast-* */
	bool stats_only;		/* --stats: print pinned counters, exit */
	const char *config_file;	/* -c, --config */
	bool check_only;		/* --check: validate file and flags, exit */
};

/*
 * Parse argv into *opts: defaults first, then the -c file (config.h), then
 * the flags, so a flag overrides the file (-s and -i replace the file's
 * server and interface lists; --allow/--deny add to its rules).  Returns 0
 * to run (the caller then owns *opts: options_free), 1 when the command was
 * fully handled (--help, --version), or -EINVAL/-errno after logging (pr_err)
 * a message that names the offending flag, FILE:LINE or value.  On anything
 * but 0 nothing is left to free.
 */
int options_parse(struct ntpd_options *opts, int argc, char **argv);

/* Free the strings *opts owns; the pointers become NULL. */
void options_free(struct ntpd_options *opts);

/* The endpoint parser's former name, for callers not yet moved to
 * endpoint_parse(). */
static inline int options_parse_endpoint(const char *text, __u16 default_port,
					 struct ntpd_endpoint *ep)
{
	return endpoint_parse(text, default_port, ep);
}

#endif /* NTPD_OPTIONS_H */
