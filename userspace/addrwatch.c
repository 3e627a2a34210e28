// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "addrwatch.h"
#include "local_addrs.h"
#include "localscan.h"
#include "log.h"
#include "testhook.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct addrwatch {
	struct ntpd_attachment *att;
	int n_att;
	struct mnl_socket *monitor;
	int stop_fd;
	pthread_t thread;
	bool thread_started;
	bool dirty;		/* notifications seen since the last resync */
};

/* What one dump says: links (for VLAN devices and MACs) and addresses. */
#define AW_LINKS_MAX	1024
#define AW_ADDRS_MAX	4096

struct aw_link {
	int ifindex;
	int parent;		/* IFLA_LINK; 0: none */
	__u16 vid;		/* a VLAN device's ID; 0: not a VLAN device */
	__u8 mac[6];
	bool mac_known;
};

struct aw_addr {
	int ifindex;
	int family;
	__u8 addr[16];		/* IPv4: the first 4 bytes */
	__u8 broadcast[4];	/* IFA_BROADCAST, IPv4; zero: none given */
	__u8 prefixlen;
	bool tentative;
};

struct aw_extra {
	int family;
	__u8 addr[16];
};

/* addrwatch_serve_anywhere's list: written before the monitor thread
 * starts, read by it */
static struct aw_extra served_anywhere[ADDRWATCH_EXTRA_MAX];
static int n_served_anywhere;

struct addrwatch_sync {
	struct ntpd_attachment *att;
	int n_att;
	struct aw_extra extra[ADDRWATCH_EXTRA_MAX];
	int n_extra;
	struct aw_link links[AW_LINKS_MAX];
	int n_links;
	struct aw_addr addrs[AW_ADDRS_MAX];
	int n_addrs;
	bool overflow;
};

struct aw_entry {
	struct ntpd_local_addr key;
	__u8 flags;
};

struct addrwatch_sync *addrwatch_sync_new(struct ntpd_attachment *att, int n)
{
	struct addrwatch_sync *s = calloc(1, sizeof(*s));

	if (s) {
		s->att = att;
		s->n_att = n;
	}
	return s;
}

void addrwatch_sync_free(struct addrwatch_sync *s)
{
	free(s);
}

static int extra_add(struct aw_extra *list, int *n, int family, const void *addr)
{
	if ((family != AF_INET && family != AF_INET6) || *n == ADDRWATCH_EXTRA_MAX)
		return family == AF_INET || family == AF_INET6 ? -ENOSPC : -EAFNOSUPPORT;
	memset(&list[*n], 0, sizeof(list[*n]));
	list[*n].family = family;
	memcpy(list[*n].addr, addr, family == AF_INET ? 4 : 16);
	(*n)++;
	return 0;
}

int addrwatch_serve_anywhere(int family, const void *addr)
{
	return extra_add(served_anywhere, &n_served_anywhere, family, addr);
}

int addrwatch_sync_extra(struct addrwatch_sync *s, int family, const void *addr)
{
	return extra_add(s->extra, &s->n_extra, family, addr);
}

static bool is_extra(const struct addrwatch_sync *s, const struct aw_addr *a)
{
	int i;

	for (i = 0; i < s->n_extra; i++)
		if (s->extra[i].family == a->family &&
		    !memcmp(s->extra[i].addr, a->addr, a->family == AF_INET ? 4 : 16))
			return true;
	return false;
}

struct link_attrs {
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct nlattr *info[IFLA_INFO_MAX + 1];
	const struct nlattr *vlan[IFLA_VLAN_MAX + 1];
};

static int tb_cb(const struct nlattr *attr, void *data, int max)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= max)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int link_tb_cb(const struct nlattr *attr, void *data)
{
	return tb_cb(attr, data, IFLA_MAX);
}

static int info_tb_cb(const struct nlattr *attr, void *data)
{
	return tb_cb(attr, data, IFLA_INFO_MAX);
}

static int vlan_tb_cb(const struct nlattr *attr, void *data)
{
	return tb_cb(attr, data, IFLA_VLAN_MAX);
}

static void feed_link(struct addrwatch_sync *s, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct link_attrs a = { 0 };
	struct aw_link *l;
	const char *kind;

	if (s->n_links == AW_LINKS_MAX) {
		s->overflow = true;
		return;
	}
	l = &s->links[s->n_links];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	mnl_attr_parse(nlh, sizeof(*ifi), link_tb_cb, a.tb);
	if (a.tb[IFLA_LINK] && mnl_attr_get_payload_len(a.tb[IFLA_LINK]) == 4)
		l->parent = (int)mnl_attr_get_u32(a.tb[IFLA_LINK]);
	if (a.tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(a.tb[IFLA_ADDRESS]) == 6) {
		memcpy(l->mac, mnl_attr_get_payload(a.tb[IFLA_ADDRESS]), 6);
		l->mac_known = true;
	}
	if (a.tb[IFLA_LINKINFO]) {
		mnl_attr_parse_nested(a.tb[IFLA_LINKINFO], info_tb_cb, a.info);
		kind = a.info[IFLA_INFO_KIND] &&
		       !mnl_attr_validate(a.info[IFLA_INFO_KIND], MNL_TYPE_STRING) ?
			       mnl_attr_get_str(a.info[IFLA_INFO_KIND]) : "";
		if (!strcmp(kind, "vlan") && a.info[IFLA_INFO_DATA]) {
			mnl_attr_parse_nested(a.info[IFLA_INFO_DATA], vlan_tb_cb, a.vlan);
			if (a.vlan[IFLA_VLAN_ID] &&
			    mnl_attr_get_payload_len(a.vlan[IFLA_VLAN_ID]) == 2)
				l->vid = mnl_attr_get_u16(a.vlan[IFLA_VLAN_ID]) & NTPD_VLAN_VID_MASK;
		}
	}
	s->n_links++;
}

static int addr_tb_cb(const struct nlattr *attr, void *data)
{
	return tb_cb(attr, data, IFA_MAX);
}

static void feed_addr(struct addrwatch_sync *s, const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct nlattr *attr;
	struct aw_addr *a;
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	__u32 flags = ifa->ifa_flags;

	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return;
	if (s->n_addrs == AW_ADDRS_MAX) {
		s->overflow = true;
		return;
	}
	mnl_attr_parse(nlh, sizeof(*ifa), addr_tb_cb, tb);
	/* IFA_LOCAL is our end of a point-to-point link; IFA_ADDRESS the peer */
	attr = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!attr || mnl_attr_get_payload_len(attr) != alen)
		return;
	/* the 8-bit ifa_flags cannot hold them all: IFA_FLAGS, when there */
	if (tb[IFA_FLAGS] && mnl_attr_get_payload_len(tb[IFA_FLAGS]) == 4)
		flags = mnl_attr_get_u32(tb[IFA_FLAGS]);
	a = &s->addrs[s->n_addrs++];
	memset(a, 0, sizeof(*a));
	a->ifindex = (int)ifa->ifa_index;
	a->family = ifa->ifa_family;
	a->prefixlen = ifa->ifa_prefixlen;
	memcpy(a->addr, mnl_attr_get_payload(attr), alen);
	if (ifa->ifa_family == AF_INET && tb[IFA_BROADCAST] &&
	    mnl_attr_get_payload_len(tb[IFA_BROADCAST]) == 4)
		memcpy(a->broadcast, mnl_attr_get_payload(tb[IFA_BROADCAST]), 4);
	/* RFC 4862 5.4: a tentative address is not yet ours (DAD may still
	 * find it taken); a DAD-failed one never is */
	a->tentative = ifa->ifa_family == AF_INET6 &&
		       (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
}

static int feed_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK)
		feed_link(data, nlh);
	else if (nlh->nlmsg_type == RTM_NEWADDR)
		feed_addr(data, nlh);
	return MNL_CB_OK;
}

void addrwatch_sync_feed(struct addrwatch_sync *s, const void *buf, size_t len)
{
	mnl_cb_run(buf, len, 0, 0, feed_cb, s);
}

static const struct aw_link *find_link(const struct addrwatch_sync *s, int ifindex)
{
	int i;

	for (i = 0; i < s->n_links; i++)
		if (s->links[i].ifindex == ifindex)
			return &s->links[i];
	return NULL;
}

/* The VLAN path of `ifindex` as seen on the interface `root`: 0 for the
 * interface itself, a VLAN device on it, or one on such a device (QinQ).
 * -1 when the device is not one of those. */
static long vlan_path(const struct addrwatch_sync *s, int root, int ifindex)
{
	const struct aw_link *l, *p;

	if (ifindex == root)
		return 0;
	l = find_link(s, ifindex);
	if (!l || !l->vid || !l->parent)
		return -1;
	if (l->parent == root)
		return l->vid;
	p = find_link(s, l->parent);
	if (!p || !p->vid || p->parent != root)
		return -1;
	return (long)NTPD_VLAN_PATH(p->vid, l->vid);
}

static void want_add(struct aw_entry *want, int *n, int family, const __u8 *addr, __u32 vlan,
		     __u8 flags)
{
	struct ntpd_local_addr key = { .vlan = vlan };
	int i;

	if (family == AF_INET) {
		key.addr[10] = key.addr[11] = 0xff;
		memcpy(&key.addr[12], addr, 4);
	} else {
		memcpy(key.addr, addr, 16);
	}
	for (i = 0; i < *n; i++) {
		if (!memcmp(&want[i].key, &key, sizeof(key))) {
			/* served if any address entry says so (a duplicate
			 * that is tentative elsewhere does not unserve it) */
			want[i].flags |= flags;
			if (want[i].flags & NTPD_LOCAL_SERVE)
				want[i].flags &= (__u8)~NTPD_LOCAL_TENTATIVE;
			return;
		}
	}
	if (*n == NTPD_LOCAL_ADDR_MAX)
		return;
	want[*n].key = key;
	want[(*n)++].flags = flags;
}

/* An address served anywhere, found on another interface than att's: for
 * att untagged and on each of its VLAN paths, as a request for it may come
 * in on any of them. */
static void want_extra(const struct addrwatch_sync *s, const struct ntpd_attachment *att,
		       struct aw_entry *want, int *n, const struct aw_addr *a)
{
	__u8 flags = a->tentative ? NTPD_LOCAL_TENTATIVE : NTPD_LOCAL_SERVE;
	long path;
	int i;

	want_add(want, n, a->family, a->addr, 0, flags);
	for (i = 0; i < s->n_links; i++) {
		path = vlan_path(s, att->ifindex, s->links[i].ifindex);
		if (path > 0)
			want_add(want, n, a->family, a->addr, (__u32)path, flags);
	}
}

static bool want_has(const struct aw_entry *want, int n, const struct ntpd_local_addr *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(&want[i].key, key, sizeof(*key)))
			return true;
	return false;
}

/* The local-address map made exactly `want`: what is not in it deleted. */
static int reconcile_local(const struct ntpd_attachment *att, const struct aw_entry *want, int n)
{
	struct ntpd_local_addr key, next, stale[NTPD_LOCAL_ADDR_MAX];
	int n_stale = 0, i, err = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(att->local_addrs_fd, prev, &next) == 0) {
		if (!want_has(want, n, &next) && n_stale < NTPD_LOCAL_ADDR_MAX)
			stale[n_stale++] = next;
		key = next;
		prev = &key;
	}
	for (i = 0; i < n_stale; i++)
		if (bpf_map_delete_elem(att->local_addrs_fd, &stale[i]) && errno != ENOENT)
			err = -errno;
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(att->local_addrs_fd, &want[i].key, &want[i].flags, BPF_ANY))
			err = -errno;
	if (n_stale)
		pr_debug("%s: %d local address entries gone since the last look\n", att->ifname,
			 n_stale);
	/* after the hash: the lists are only ever a copy of it */
	if (att->local_scan_fd >= 0) {
		struct ntpd_local_scan scan = { 0 };
		int scan_err;

		for (i = 0; i < n; i++)
			localscan_add(&scan, &want[i].key, want[i].flags);
		scan_err = localscan_publish(att->local_scan_fd, &scan);
		err = err ?: scan_err;
	}
	return err;
}

static int reconcile_links(const struct addrwatch_sync *s, const struct ntpd_attachment *att)
{
	const struct aw_link *root = find_link(s, att->ifindex);
	__u32 vlans[NTPD_VLAN_MAX_ENTRIES], key, next, zero = 0, *prev = NULL;
	struct ntpd_link v = { 0 };
	int n = 0, i, err = 0;
	long path;

	if (att->link_fd < 0 || att->vlans_fd < 0)
		return 0;
	if (root && root->mac_known) {
		memcpy(v.mac, root->mac, 6);
		v.mac_known = 1;
	}
	if (bpf_map_update_elem(att->link_fd, &zero, &v, BPF_ANY))
		err = -errno;
	for (i = 0; i < s->n_links && n < NTPD_VLAN_MAX_ENTRIES; i++) {
		path = vlan_path(s, att->ifindex, s->links[i].ifindex);
		if (path <= 0)
			continue;
		memset(&v, 0, sizeof(v));
		memcpy(v.mac, s->links[i].mac, 6);
		v.mac_known = s->links[i].mac_known;
		v.ifindex = (__u32)s->links[i].ifindex;
		vlans[n++] = (__u32)path;
		if (bpf_map_update_elem(att->vlans_fd, &vlans[n - 1], &v, BPF_ANY))
			err = -errno;
	}
	while (bpf_map_get_next_key(att->vlans_fd, prev, &next) == 0) {
		for (i = 0; i < n && vlans[i] != next; i++)
			;
		key = next;
		prev = &key;
		if (i == n) {
			bpf_map_delete_elem(att->vlans_fd, &key);
			prev = NULL;	/* the walk starts again past the deleted key */
		}
	}
	return err;
}

/* Every IPv4 address of the host, for the socket server's packet ring
 * (local_addrs.h): on any interface, as the kernel delivers them. */
static void publish_local4(const struct addrwatch_sync *s)
{
	static __be32 addrs[AW_ADDRS_MAX];
	int i, n = 0;

	for (i = 0; i < s->n_addrs; i++)
		if (s->addrs[i].family == AF_INET)
			memcpy(&addrs[n++], s->addrs[i].addr, 4);
	local_addrs_publish4(addrs, n);
}

int addrwatch_sync_commit(struct addrwatch_sync *s)
{
	struct aw_entry want[NTPD_LOCAL_ADDR_MAX];	/* 6 KiB of the monitor thread's stack */
	int i, j, n, err = 0, e;
	long path;

	if (s->overflow)
		pr_warn("address watch: more links or addresses than tracked (%d, %d): some are "
			"not served by XDP\n", AW_LINKS_MAX, AW_ADDRS_MAX);
	for (i = 0; i < s->n_att; i++) {
		const struct ntpd_attachment *att = &s->att[i];

		if (!att->attached || !att->ifindex)
			continue;
		n = 0;
		for (j = 0; j < s->n_addrs; j++) {
			const struct aw_addr *a = &s->addrs[j];
			__u32 addr4, mask, bcast;

			path = vlan_path(s, att->ifindex, a->ifindex);
			if (path < 0 && is_extra(s, a))
				want_extra(s, att, want, &n, a);
			if (path < 0)
				continue;
			want_add(want, &n, a->family, a->addr, (__u32)path,
				 a->tentative ? NTPD_LOCAL_TENTATIVE : NTPD_LOCAL_SERVE);
			if (a->family != AF_INET)
				continue;
			/* the subnet broadcast the kernel itself takes as one
			 * (fib_add_ifaddr: prefixes shorter than /31; RFC 3021
			 * /31s have none), and any other given as IFA_BROADCAST */
			if (a->prefixlen < 31) {
				memcpy(&addr4, a->addr, 4);
				mask = a->prefixlen ? htonl(~0U << (32 - a->prefixlen)) : 0;
				bcast = addr4 | ~mask;
				want_add(want, &n, AF_INET, (const __u8 *)&bcast, (__u32)path,
					 NTPD_LOCAL_BROADCAST);
			}
			if (a->broadcast[0] | a->broadcast[1] | a->broadcast[2] | a->broadcast[3])
				want_add(want, &n, AF_INET, a->broadcast, (__u32)path,
					 NTPD_LOCAL_BROADCAST);
		}
		e = reconcile_local(att, want, n);
		err = err ?: e;
		e = reconcile_links(s, att);
		err = err ?: e;
		if (e || err)
			pr_warn("%s: updating the address maps: %s\n", att->ifname, strerror(-err));
	}
	publish_local4(s);
	return err;
}

static int dump_addresses(struct addrwatch *aw);

static int name_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == IFLA_IFNAME && !mnl_attr_validate(attr, MNL_TYPE_STRING))
		*(const char **)data = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/*
 * An interface we serve on deleted, or one of its name (re)created: XDP
 * went with the old one, so load it again on the same maps and attach it
 * to the new one, then learn its addresses.
 */
static void apply_link(struct addrwatch *aw, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const char *name = NULL;
	int i, err;

	mnl_attr_parse(nlh, sizeof(*ifi), name_cb, &name);
	for (i = 0; i < aw->n_att; i++) {
		struct ntpd_attachment *att = &aw->att[i];

		if (!att->attached)
			continue;
		if (nlh->nlmsg_type == RTM_DELLINK && ifi->ifi_index == att->ifindex) {
			pr_warn("%s: interface deleted: its XDP program is gone; the socket server "
				"goes on, and XDP comes back when an interface of that name does\n",
				att->ifname);
			att->ifindex = 0;
		} else if (nlh->nlmsg_type == RTM_NEWLINK && name && !strcmp(name, att->ifname) &&
			   ifi->ifi_index != att->ifindex) {
			err = loader_relink(att, ifi->ifi_index);
			if (err) {
				pr_warn("%s: interface back (index %d) but XDP cannot be attached "
					"again: %s; restart the daemon\n", att->ifname,
					ifi->ifi_index, strerror(-err));
				continue;
			}
			pr_info("%s: interface back (index %d): XDP attached again on the same "
				"maps\n", att->ifname, ifi->ifi_index);
			dump_addresses(aw);
		}
	}
}

/* A notification: the relink logic for our interfaces, and a note that
 * the maps need a resync (done once per batch of notifications). */
static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addrwatch *aw = data;

	if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK)
		apply_link(aw, nlh);
	if (nlh->nlmsg_type == RTM_NEWADDR || nlh->nlmsg_type == RTM_DELADDR ||
	    nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK)
		aw->dirty = true;
	return MNL_CB_OK;
}

/* One dump (RTM_GETLINK or RTM_GETADDR) fed to the sync.  0 or -errno. */
static int dump_into(struct addrwatch_sync *sync, __u16 type)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	unsigned int seq = (unsigned int)time(NULL), portid;
	ssize_t len;
	int ret = 0;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto cleanup;
	}
	while ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)len, seq, portid, feed_cb, sync);
		if (ret <= MNL_CB_STOP)
			break;
	}
	ret = (len < 0 || ret < 0) ? -errno : 0;
cleanup:
	mnl_socket_close(nl);
	return ret;
}

/* Links, then addresses (a VLAN device must be known before its
 * addresses), then every map made exactly that.  A dump that fails leaves
 * the maps as they were: better stale for a moment than emptied. */
static int dump_addresses(struct addrwatch *aw)
{
	struct addrwatch_sync *sync = addrwatch_sync_new(aw->att, aw->n_att);
	int err, i;

	if (!sync)
		return -ENOMEM;
	for (i = 0; i < n_served_anywhere; i++)
		addrwatch_sync_extra(sync, served_anywhere[i].family, served_anywhere[i].addr);
	err = dump_into(sync, RTM_GETLINK);
	if (!err)
		err = dump_into(sync, RTM_GETADDR);
	if (!err)
		err = addrwatch_sync_commit(sync);
	else
		pr_warn("address watch: dump: %s\n", strerror(-err));
	addrwatch_sync_free(sync);
	return err;
}

static void *monitor_thread(void *arg)
{
	struct addrwatch *aw = arg;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct pollfd fds[2] = {
		{ .fd = mnl_socket_get_fd(aw->monitor), .events = POLLIN },
		{ .fd = aw->stop_fd, .events = POLLIN },
	};
	ssize_t len;

	testhook_network_input("address watch");
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("address watch: poll: %s\n", strerror(errno));
			break;
		}
		if (fds[1].revents)
			break;
		len = mnl_socket_recvfrom(aw->monitor, buf, sizeof(buf));
		if (len < 0) {
			/* ENOBUFS: we missed events, deletions among them; the
			 * dump is reconciled with the maps, so those go too */
			if (errno == ENOBUFS) {
				pr_info("address watch: netlink overrun: resynchronising\n");
				dump_addresses(aw);
			}
			continue;
		}
		aw->dirty = false;
		mnl_cb_run(buf, (size_t)len, 0, 0, addr_cb, aw);
		if (aw->dirty)
			dump_addresses(aw);
	}
	return NULL;
}

int addrwatch_start(struct addrwatch **out, struct ntpd_attachment *att, int n)
{
	struct addrwatch *aw;
	int err;

	aw = calloc(1, sizeof(*aw));
	if (!aw)
		return -ENOMEM;
	aw->att = att;
	aw->n_att = n;
	aw->stop_fd = -1;
	aw->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (aw->stop_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* subscribe before dumping so no change slips between the two */
	aw->monitor = mnl_socket_open(NETLINK_ROUTE);
	if (!aw->monitor) {
		err = -errno;
		goto cleanup;
	}
	if (mnl_socket_bind(aw->monitor, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_LINK,
			    MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto cleanup;
	}
	err = dump_addresses(aw);
	if (err)
		goto cleanup;
	err = -pthread_create(&aw->thread, NULL, monitor_thread, aw);
	if (err)
		goto cleanup;
	aw->thread_started = true;
	*out = aw;
	return 0;

cleanup:
	pr_warn("address watch: %s\n", strerror(-err));
	addrwatch_stop(aw);
	return err;
}

void addrwatch_stop(struct addrwatch *aw)
{
	__u64 one = 1;

	if (!aw)
		return;
	if (aw->thread_started) {
		if (write(aw->stop_fd, &one, sizeof(one)) != sizeof(one))
			pr_warn("address watch: cannot signal stop\n");
		pthread_join(aw->thread, NULL);
	}
	if (aw->monitor)
		mnl_socket_close(aw->monitor);
	if (aw->stop_fd >= 0)
		close(aw->stop_fd);
	free(aw);
}
