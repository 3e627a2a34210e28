/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The fleet's health signal.  One decision, health_judge(), says whether
 * this server serves good time on every path it was configured for; two
 * consumers read it:
 *
 *  - the anycast gate: the `anycast ADDR/32|/128` addresses are on the
 *    anycast interface (lo, or a dummy) only while healthy, so a routing
 *    daemon announcing that interface's addresses (BIRD's direct protocol,
 *    docs/bird.conf) withdraws the route as soon as we are not.  Withdrawal
 *    is immediate; the addresses come back only after the health held for
 *    the hold-down, so a flapping server churns routes once per hold-down
 *    at most.
 *  - /healthz: 200 while healthy, 503 with the reason otherwise, for load
 *    balancers and routing daemons that poll.
 *
 * Both run in the publisher (the main thread), once per publication.
 */
#ifndef NTPD_ANYCAST_H
#define NTPD_ANYCAST_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#define ANYCAST_MAX_ADDRS	16
/* The interface when none is named: present on every host, always up. */
#define ANYCAST_IFNAME_DEFAULT	"lo"
#define ANYCAST_HOLD_DOWN_DEFAULT_S	30
/*
 * Stale: no selected upstream answered any of its last 3 polls.  One lost
 * packet is noise; three in a row mean the upstream is gone, and are seen
 * before --max-missed (default 8) drops it and we serve LI=3: the route is
 * withdrawn while our answers are still synchronised.
 */
#define ANYCAST_STALE_POLLS	3

enum anycast_gate_mode {
	ANYCAST_GATE_HEALTH,	/* addresses present only while healthy */
	ANYCAST_GATE_OFF,	/* present while the daemon runs, whatever its health */
};

struct anycast_addr {
	int family;		/* AF_INET or AF_INET6 */
	__u8 addr[16];		/* IPv4: the first 4 bytes */
};

struct anycast_config {
	struct anycast_addr addrs[ANYCAST_MAX_ADDRS];
	int n;
	const char *ifname;		/* --anycast-interface; NULL: the default */
	unsigned int hold_down_s;	/* --anycast-hold-down */
	enum anycast_gate_mode gate;	/* --anycast-gate */
};

/* "192.0.2.1/32" or "2001:db8::1/128" into cfg (the prefix length is
 * required: an anycast service address is one host).  0 or -EINVAL/-ENOSPC. */
int anycast_parse_addr(struct anycast_config *cfg, const char *text);

/* ---- the health decision -------------------------------------------------- */

struct health_input {
	bool synchronised;		/* the state just published says LI != 3 */
	bool stale;			/* see ANYCAST_STALE_POLLS */
	const char *dead_thread;	/* the watchdog's finding, NULL: all alive */
	const char *path_down;		/* a configured interface XDP does not serve on */
	bool stopping;
};

struct agent;
/* Whether every selected upstream missed its last ANYCAST_STALE_POLLS polls
 * (none selected: stale).  0, or -ETIMEDOUT: the agent is busy, no finding. */
int health_upstreams_stale(struct agent *ag, bool *stale);

struct ntpd_attachment;
/* The first of the -i interfaces XDP does not serve on now (fallen back to
 * sockets, or deleted), or NULL. */
const char *health_path_down(const struct ntpd_attachment *att, int n_att,
			     const char *const *ifaces, int n_ifaces);

/* NULL when healthy, else why not (a static string). */
const char *health_judge(const struct health_input *in);
/* The publisher records its finding; `why_not` NULL is healthy.  The
 * interface name of path_down, if any, is copied. */
void health_publish(const char *why_not, const char *detail);
/*
 * For /healthz: true when healthy; the reason (or "ok") in buf.  A finding
 * older than HEALTH_MAX_AGE_NS is none: the publisher, which makes them 4
 * times a second, is stuck (and cannot remove the anycast addresses
 * either: the poller has to).  health_read_at takes CLOCK_MONOTONIC now.
 */
#define HEALTH_MAX_AGE_NS	(2 * 1000000000ULL)
bool health_read(char *buf, size_t len);
bool health_read_at(char *buf, size_t len, __u64 now_ns);
/* as health_publish, at CLOCK_MONOTONIC now_ns (tests) */
void health_publish_at(const char *why_not, const char *detail, __u64 now_ns);

/* ---- the gate: when to add and remove the addresses ----------------------- */

enum anycast_action { ANYCAST_KEEP, ANYCAST_ANNOUNCE, ANYCAST_WITHDRAW };

struct anycast_gate {
	__u64 hold_down_ns;
	enum anycast_gate_mode mode;
	bool announced;
	__u64 healthy_since_ns;		/* CLOCK_MONOTONIC; 0: not healthy */
};

void anycast_gate_init(struct anycast_gate *g, __u64 hold_down_ns, enum anycast_gate_mode mode);
/* The health seen at now_ns (CLOCK_MONOTONIC): what to do with the addresses.
 * The caller reports back with anycast_gate_done() once it is done. */
enum anycast_action anycast_gate_step(struct anycast_gate *g, bool healthy, __u64 now_ns);
void anycast_gate_done(struct anycast_gate *g, enum anycast_action done);

/* ---- the addresses on the interface ------------------------------------- */

struct anycast;

/*
 * Privileged start-up: find the interface (creating a dummy of that name
 * when it does not exist), remove the addresses a previous run may have
 * left, and tell the address watch to serve them in XDP wherever they
 * appear.  With cfg->n == 0, *out is NULL and nothing happens.  0 or -errno
 * after a message.
 */
int anycast_open(struct anycast **out, const struct anycast_config *cfg);
/* The publisher: the health of this publication.  NULL-safe. */
void anycast_update(struct anycast *a, bool healthy);
/* Stopping: the addresses removed, so the routes go before we do. */
void anycast_close(struct anycast *a);

#endif /* NTPD_ANYCAST_H */
