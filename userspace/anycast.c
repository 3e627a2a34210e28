// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "anycast.h"
#include "addrwatch.h"
#include "agent.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSEC_PER_S	1000000000ULL

int anycast_parse_addr(struct anycast_config *cfg, const char *text)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct anycast_addr a = { 0 };
	unsigned long plen;

	if (cfg->n == ANYCAST_MAX_ADDRS)
		return -ENOSPC;
	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash++ = '\0';
	plen = strtoul(slash, &end, 10);
	if (*end || end == slash)
		return -EINVAL;
	if (inet_pton(AF_INET, buf, a.addr) == 1 && plen == 32)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a.addr) == 1 && plen == 128)
		a.family = AF_INET6;
	else
		return -EINVAL;
	cfg->addrs[cfg->n++] = a;
	return 0;
}

/* ---- health ----------------------------------------------------------------- */

const char *health_judge(const struct health_input *in)
{
	if (in->stopping)
		return "stopping";
	if (in->dead_thread)
		return "watchdog: a thread is dead or stuck";
	if (!in->synchronised)
		return "unsynchronised";
	if (in->stale)
		return "stale: no selected upstream answered its last polls";
	if (in->path_down)
		return "not serving in XDP on an interface";
	return NULL;
}

int health_upstreams_stale(struct agent *ag, bool *stale)
{
	const __u8 recent = (1u << ANYCAST_STALE_POLLS) - 1;
	struct agent_source_status st;
	int i, n, err;

	*stale = true;
	n = agent_source_count(ag);
	for (i = 0; i < n; i++) {
		err = agent_source_status(ag, i, &st);
		if (err == -ETIMEDOUT)
			return err;
		if (err)
			continue;
		if ((st.state == SOURCE_SYSTEM_PEER || st.state == SOURCE_SELECTED) &&
		    (st.reach & recent))
			*stale = false;
	}
	return 0;
}

static __u64 mono_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * NSEC_PER_S + (__u64)t.tv_nsec;
}

const char *health_path_down(const struct ntpd_attachment *att, int n_att,
			     const char *const *ifaces, int n_ifaces)
{
	int i, j;

	for (i = 0; i < n_ifaces; i++) {
		for (j = 0; j < n_att; j++)
			if (att[j].attached && att[j].ifindex && !strcmp(att[j].ifname, ifaces[i]))
				break;
		if (j == n_att)
			return ifaces[i];
	}
	return NULL;
}

/* Written by the publisher, read by the HTTP threads. */
static struct {
	pthread_mutex_t lock;
	bool known;
	const char *why_not;
	char detail[IF_NAMESIZE];
	__u64 at_ns;		/* CLOCK_MONOTONIC of the finding */
} health = { .lock = PTHREAD_MUTEX_INITIALIZER };

void health_publish_at(const char *why_not, const char *detail, __u64 now_ns)
{
	pthread_mutex_lock(&health.lock);
	health.known = true;
	health.why_not = why_not;
	health.at_ns = now_ns;
	snprintf(health.detail, sizeof(health.detail), "%s", detail ? detail : "");
	pthread_mutex_unlock(&health.lock);
}

void health_publish(const char *why_not, const char *detail)
{
	health_publish_at(why_not, detail, mono_now_ns());
}

bool health_read_at(char *buf, size_t len, __u64 now_ns)
{
	bool ok, old;

	pthread_mutex_lock(&health.lock);
	/* "stopping" stays: nothing publishes after it */
	old = health.known && now_ns > health.at_ns &&
	      now_ns - health.at_ns > HEALTH_MAX_AGE_NS &&
	      !(health.why_not && !strcmp(health.why_not, "stopping"));
	ok = health.known && !health.why_not && !old;
	if (!health.known)
		snprintf(buf, len, "starting");
	else if (old)
		snprintf(buf, len, "publisher stuck: no finding for %llu s",
			 (unsigned long long)((now_ns - health.at_ns) / NSEC_PER_S));
	else if (ok)
		snprintf(buf, len, "ok");
	else
		snprintf(buf, len, "%s%s%s", health.why_not, health.detail[0] ? ": " : "",
			 health.detail);
	pthread_mutex_unlock(&health.lock);
	return ok;
}

bool health_read(char *buf, size_t len)
{
	return health_read_at(buf, len, mono_now_ns());
}

/* ---- the gate ------------------------------------------------------------------ */

void anycast_gate_init(struct anycast_gate *g, __u64 hold_down_ns, enum anycast_gate_mode mode)
{
	memset(g, 0, sizeof(*g));
	g->hold_down_ns = hold_down_ns;
	g->mode = mode;
}

enum anycast_action anycast_gate_step(struct anycast_gate *g, bool healthy, __u64 now_ns)
{
	if (g->mode == ANYCAST_GATE_OFF)
		healthy = true;
	if (!healthy) {
		g->healthy_since_ns = 0;
		/* at once: every moment announced while sick draws clients to
		 * a server about to answer LI=3 */
		return g->announced ? ANYCAST_WITHDRAW : ANYCAST_KEEP;
	}
	if (!g->healthy_since_ns)
		g->healthy_since_ns = now_ns ? now_ns : 1;
	if (!g->announced && now_ns - g->healthy_since_ns >= g->hold_down_ns)
		return ANYCAST_ANNOUNCE;
	return ANYCAST_KEEP;
}

void anycast_gate_done(struct anycast_gate *g, enum anycast_action done)
{
	if (done == ANYCAST_ANNOUNCE)
		g->announced = true;
	else if (done == ANYCAST_WITHDRAW)
		g->announced = false;
}

/* ---- netlink ------------------------------------------------------------------ */

struct anycast {
	struct anycast_config cfg;
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;		/* found at start: no ioctl under the filter */
	struct anycast_gate gate;
	struct mnl_socket *nl;
	unsigned int seq;
};

/* One request, its acknowledgement awaited: 0 or the kernel's -errno. */
static int nl_talk(struct anycast *a, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t len;
	int ret;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++a->seq;
	if (mnl_socket_sendto(a->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	len = mnl_socket_recvfrom(a->nl, buf, sizeof(buf));
	if (len < 0)
		return -errno;
	ret = mnl_cb_run(buf, (size_t)len, a->seq, mnl_socket_get_portid(a->nl), NULL, NULL);
	return ret < 0 ? -errno : 0;
}

static int addr_request(struct anycast *a, const struct anycast_addr *ad, __u16 type)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t alen = ad->family == AF_INET ? 4 : 16;

	nlh->nlmsg_type = type;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (__u8)ad->family;
	ifa->ifa_prefixlen = (__u8)(alen * 8);
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = a->ifindex;
	/* one host, nobody else's to probe for: DAD would only keep it
	 * tentative (unserved) for a second */
	ifa->ifa_flags = ad->family == AF_INET6 ? IFA_F_NODAD : 0;
	mnl_attr_put(nlh, IFA_LOCAL, alen, ad->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, ad->addr);
	return nl_talk(a, nlh);
}

static const char *addr_text(const struct anycast_addr *ad, char *buf, size_t len)
{
	return inet_ntop(ad->family, ad->addr, buf, (socklen_t)len) ? buf : "?";
}

/* Every address added (or every one removed).  0 or the first -errno. */
static int set_all(struct anycast *a, bool present, bool quiet)
{
	char text[INET6_ADDRSTRLEN];
	int i, e, err = 0;

	for (i = 0; i < a->cfg.n; i++) {
		e = addr_request(a, &a->cfg.addrs[i], present ? RTM_NEWADDR : RTM_DELADDR);
		/* removing one that is not there is what we wanted */
		if (!present && (e == -EADDRNOTAVAIL || e == -ENOENT || e == -ESRCH))
			e = 0;
		if (e && !quiet)
			pr_warn("anycast: %s %s on %s: %s\n", present ? "adding" : "removing",
				addr_text(&a->cfg.addrs[i], text, sizeof(text)), a->ifname,
				strerror(-e));
		err = err ?: e;
	}
	return err;
}

/* A dummy device of that name, up: where the addresses are to live. */
static int create_dummy(struct anycast *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *info;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, a->ifname);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "dummy");
	mnl_attr_nest_end(nlh, info);
	return nl_talk(a, nlh);
}

int anycast_open(struct anycast **out, const struct anycast_config *cfg)
{
	struct anycast *a;
	int i, err;

	*out = NULL;
	if (!cfg->n)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	a->cfg.ifname = NULL;	/* the options own the string: ours is a->ifname */
	snprintf(a->ifname, sizeof(a->ifname), "%s", cfg->ifname ? cfg->ifname : ANYCAST_IFNAME_DEFAULT);
	anycast_gate_init(&a->gate, (__u64)cfg->hold_down_s * NSEC_PER_S, cfg->gate);
	a->seq = (unsigned int)time(NULL);
	a->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!a->nl || mnl_socket_bind(a->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pr_err("anycast: netlink socket: %s\n", strerror(-err));
		goto cleanup;
	}
	if (!if_nametoindex(a->ifname)) {
		err = create_dummy(a);
		if (err) {
			pr_err("anycast-interface %s: does not exist, and a dummy device of that "
			       "name cannot be made: %s\n", a->ifname, strerror(-err));
			goto cleanup;
		}
		pr_info("anycast: dummy device %s created\n", a->ifname);
	}
	a->ifindex = if_nametoindex(a->ifname);
	if (!a->ifindex) {
		err = -ENODEV;
		pr_err("anycast-interface %s: %s\n", a->ifname, strerror(-err));
		goto cleanup;
	}
	/* a run that was killed leaves them: not announced until we are healthy */
	err = set_all(a, false, false);
	if (err)
		goto cleanup;
	for (i = 0; i < cfg->n; i++) {
		err = addrwatch_serve_anywhere(cfg->addrs[i].family, cfg->addrs[i].addr);
		if (err)
			goto cleanup;
	}
	pr_info("anycast: %d address%s on %s while healthy (hold-down %u s%s)\n", cfg->n,
		cfg->n == 1 ? "" : "es", a->ifname, cfg->hold_down_s,
		cfg->gate == ANYCAST_GATE_OFF ? ", health gate OFF" : "");
	*out = a;
	return 0;

cleanup:
	anycast_close(a);
	return err;
}

void anycast_update(struct anycast *a, bool healthy)
{
	enum anycast_action act;

	if (!a)
		return;
	act = anycast_gate_step(&a->gate, healthy, mono_now_ns());
	if (act == ANYCAST_KEEP)
		return;
	/* a failed add is tried again at the next publication; a failed
	 * removal too, the gate still saying announced */
	if (set_all(a, act == ANYCAST_ANNOUNCE, false) && act == ANYCAST_ANNOUNCE) {
		set_all(a, false, true);
		return;
	}
	anycast_gate_done(&a->gate, act);
	pr_info("anycast: %s on %s\n", act == ANYCAST_ANNOUNCE ?
		"healthy through the hold-down: addresses added" :
		"not healthy: addresses removed", a->ifname);
}

void anycast_close(struct anycast *a)
{
	if (!a)
		return;
	if (a->nl && a->ifindex) {
		if (a->gate.announced)
			pr_info("anycast: stopping: addresses removed from %s\n", a->ifname);
		set_all(a, false, !a->gate.announced);
	}
	if (a->nl)
		mnl_socket_close(a->nl);
	free(a);
}
