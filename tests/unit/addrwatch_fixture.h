/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the address-watch tests share (test_addrwatch.c, test_anycast.c):
 * netlink dumps crafted message by message, one attachment with real
 * (unattached) BPF maps, and the lookup the XDP program makes in them,
 * checked against the scanned lists wherever those answer.  Static
 * functions for a test file to include once; needs root for the maps.
 */
#ifndef NTPD_TEST_ADDRWATCH_FIXTURE_H
#define NTPD_TEST_ADDRWATCH_FIXTURE_H

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <libmnl/libmnl.h>

#include "addrwatch.h"

#define ETH0		2	/* the attachment's interface */

static const __u8 MAC0[6] = { 0x02, 0, 0, 0, 0, 0x10 };
static const __u8 MAC100[6] = { 0x02, 0, 0, 0, 1, 0x00 };

struct dump {
	char buf[16384];
	size_t len;
};

static void put_link(struct dump *d, int ifindex, int parent, __u16 vid, const __u8 *mac)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	struct ifinfomsg *ifi;
	struct nlattr *info, *data;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	if (parent)
		mnl_attr_put_u32(nlh, IFLA_LINK, (__u32)parent);
	if (vid) {
		info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vlan");
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		mnl_attr_put_u16(nlh, IFLA_VLAN_ID, vid);
		mnl_attr_nest_end(nlh, data);
		mnl_attr_nest_end(nlh, info);
	}
	d->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void put_addr(struct dump *d, int ifindex, const char *text, int prefixlen, __u32 flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	struct ifaddrmsg *ifa;
	__u8 a[16];

	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (__u8)family;
	ifa->ifa_prefixlen = (__u8)prefixlen;
	ifa->ifa_flags = (__u8)flags;
	ifa->ifa_index = (__u32)ifindex;
	assert_int_equal(inet_pton(family, text, a), 1);
	mnl_attr_put(nlh, IFA_ADDRESS, family == AF_INET ? 4 : 16, a);
	if (family == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, 4, a);
	mnl_attr_put_u32(nlh, IFA_FLAGS, flags);	/* as the kernel sends it */
	d->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct ntpd_attachment att;

static int setup(void **state)
{
	(void)state;
	memset(&att, 0, sizeof(att));
	att.attached = true;
	att.ifindex = ETH0;
	snprintf(att.ifname, sizeof(att.ifname), "eth0");
	att.local_addrs_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "t_local", sizeof(struct ntpd_local_addr),
					    1, NTPD_LOCAL_ADDR_MAX, NULL);
	att.link_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_link", 4, sizeof(struct ntpd_link), 1,
				     NULL);
	att.vlans_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "t_vlans", 4, sizeof(struct ntpd_link),
				      NTPD_VLAN_MAX_ENTRIES, NULL);
	att.local_scan_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_scan", 4,
					   sizeof(struct ntpd_local_scan), 1, NULL);
	return att.local_addrs_fd < 0 || att.link_fd < 0 || att.vlans_fd < 0 ||
	       att.local_scan_fd < 0;
}

static int teardown(void **state)
{
	(void)state;
	close(att.local_addrs_fd);
	close(att.local_scan_fd);
	close(att.link_fd);
	close(att.vlans_fd);
	return 0;
}

/* What the XDP program's scan finds for k in the lists (as local_scan() in
 * bpf/xdp_ntpd.h), or -2 when the lists send it to the hash. */
static int scan_flags(const struct ntpd_local_addr *k, int v6)
{
	struct ntpd_local_scan s;
	__u32 zero = 0, i;

	assert_int_equal(bpf_map_lookup_elem(att.local_scan_fd, &zero, &s), 0);
	assert_true(s.seq != 0 && !(s.seq & 1));	/* written, and whole */
	if ((v6 ? s.n6 : s.n4) > NTPD_LOCAL_SCAN_MAX)
		return -2;
	for (i = 0; i < (v6 ? s.n6 : s.n4); i++) {
		if (!v6 && !memcmp(&s.addr4[i], &k->addr[12], 4) && s.vlan4[i] == k->vlan)
			return s.flags4[i];
		if (v6 && !memcmp(s.v6[i].addr, k->addr, 16) && s.v6[i].vlan == k->vlan)
			return (int)s.v6[i].flags;
	}
	return -1;
}

/* The flags of (text, vlan) in the map, or -1 when it has no entry; the
 * scanned lists must say the same wherever they answer. */
static int flags_of(const char *text, __u32 vlan)
{
	struct ntpd_local_addr k = { .vlan = vlan };
	int v6 = strchr(text, ':') != NULL, scanned, hashed;
	__u8 v;

	if (v6) {
		inet_pton(AF_INET6, text, k.addr);
	} else {
		k.addr[10] = k.addr[11] = 0xff;
		inet_pton(AF_INET, text, &k.addr[12]);
	}
	hashed = bpf_map_lookup_elem(att.local_addrs_fd, &k, &v) ? -1 : v;
	scanned = scan_flags(&k, v6);
	if (scanned != -2)
		assert_int_equal(scanned, hashed);
	return hashed;
}

/* One resynchronisation from the two dumps, with the NULL-terminated list of
 * addresses (text) to serve wherever the host has them (anycast); NULL none. */
static void sync_extra(const struct dump *links_dump, const struct dump *addrs,
		       const char *const *extra)
{
	struct addrwatch_sync *s = addrwatch_sync_new(&att, 1);
	__u8 a[16];

	assert_non_null(s);
	for (; extra && *extra; extra++) {
		int family = strchr(*extra, ':') ? AF_INET6 : AF_INET;

		assert_int_equal(inet_pton(family, *extra, a), 1);
		assert_int_equal(addrwatch_sync_extra(s, family, a), 0);
	}
	addrwatch_sync_feed(s, links_dump->buf, links_dump->len);
	addrwatch_sync_feed(s, addrs->buf, addrs->len);
	assert_int_equal(addrwatch_sync_commit(s), 0);
	addrwatch_sync_free(s);
}

__attribute__((unused))
static void sync_with(const struct dump *links_dump, const struct dump *addrs)
{
	sync_extra(links_dump, addrs, NULL);
}

#endif /* NTPD_TEST_ADDRWATCH_FIXTURE_H */
