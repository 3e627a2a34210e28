// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "addrwatch.h"
#include "log.h"

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
};

struct addr_attrs {
	const struct nlattr *local;
	const struct nlattr *address;
};

static int collect_attr(const struct nlattr *attr, void *data)
{
	struct addr_attrs *a = data;

	if (mnl_attr_get_type(attr) == IFA_LOCAL)
		a->local = attr;
	else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
		a->address = attr;
	return MNL_CB_OK;
}

static void apply_addr(struct addrwatch *aw, const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct ntpd_local_addr key = { 0 };
	struct addr_attrs attrs = { 0 };
	const struct nlattr *attr;
	char text[INET6_ADDRSTRLEN];
	__u8 present = 1;
	int i, err;

	mnl_attr_parse(nlh, sizeof(*ifa), collect_attr, &attrs);
	/* IFA_LOCAL is our end of a point-to-point link; IFA_ADDRESS the peer */
	attr = attrs.local ? attrs.local : attrs.address;
	if (!attr)
		return;
	if (ifa->ifa_family == AF_INET && mnl_attr_get_payload_len(attr) == 4) {
		key.addr[10] = key.addr[11] = 0xff;
		memcpy(&key.addr[12], mnl_attr_get_payload(attr), 4);
	} else if (ifa->ifa_family == AF_INET6 && mnl_attr_get_payload_len(attr) == 16) {
		memcpy(key.addr, mnl_attr_get_payload(attr), 16);
	} else {
		return;
	}
	inet_ntop(ifa->ifa_family, mnl_attr_get_payload(attr), text, sizeof(text));

	for (i = 0; i < aw->n_att; i++) {
		struct ntpd_attachment *att = &aw->att[i];

		if (!att->attached || att->ifindex != (int)ifa->ifa_index)
			continue;
		if (nlh->nlmsg_type == RTM_NEWADDR)
			err = bpf_map_update_elem(att->local_addrs_fd, &key, &present, BPF_ANY);
		else
			err = bpf_map_delete_elem(att->local_addrs_fd, &key);
		if (err && !(nlh->nlmsg_type == RTM_DELADDR && errno == ENOENT))
			pr_warn("%s: updating local address %s: %s\n", att->ifname, text,
				strerror(errno));
		else
			pr_debug("%s: %s local address %s\n", att->ifname,
				 nlh->nlmsg_type == RTM_NEWADDR ? "serving" : "no longer serving",
				 text);
	}
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

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWADDR || nlh->nlmsg_type == RTM_DELADDR)
		apply_addr(data, nlh);
	else if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK)
		apply_link(data, nlh);
	return MNL_CB_OK;
}

static int dump_addresses(struct addrwatch *aw)
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
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto cleanup;
	}
	while ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)len, seq, portid, addr_cb, aw);
		if (ret <= MNL_CB_STOP)
			break;
	}
	ret = (len < 0 || ret < 0) ? -errno : 0;
cleanup:
	mnl_socket_close(nl);
	return ret;
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
			/* ENOBUFS: we missed events; a fresh dump resynchronises */
			if (errno == ENOBUFS)
				dump_addresses(aw);
			continue;
		}
		mnl_cb_run(buf, (size_t)len, 0, 0, addr_cb, aw);
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
