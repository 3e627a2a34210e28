// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The address watch's resynchronisation on crafted netlink dumps and real
 * (unattached) BPF maps: VLAN devices learnt from IFLA_LINK + IFLA_VLAN_ID,
 * each address keyed by its VLAN path, IPv4 subnet broadcasts flagged,
 * tentative and DAD-failed IPv6 addresses not served, and after an overrun
 * the maps made exactly what the dump says (an address removed meanwhile is
 * removed).  Needs root for the maps, like the BPF tests.
 */
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

#define ETH0		2
#define ETH0_100	5	/* eth0.100 */
#define ETH0_100_200	6	/* eth0.100.200: QinQ */
#define OTHER		7	/* another interface: none of ours */

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

static void links(struct dump *d)
{
	put_link(d, ETH0, 0, 0, MAC0);
	put_link(d, ETH0_100, ETH0, 100, MAC100);
	put_link(d, ETH0_100_200, ETH0_100, 200, MAC100);
	put_link(d, OTHER, 0, 0, MAC0);
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

static int map_entries(int fd, size_t key_size)
{
	__u8 key[32], next[32];
	void *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static void sync_with(const struct dump *links_dump, const struct dump *addrs)
{
	struct addrwatch_sync *s = addrwatch_sync_new(&att, 1);

	assert_non_null(s);
	addrwatch_sync_feed(s, links_dump->buf, links_dump->len);
	addrwatch_sync_feed(s, addrs->buf, addrs->len);
	assert_int_equal(addrwatch_sync_commit(s), 0);
	addrwatch_sync_free(s);
}

static void vlans_broadcasts_and_tentative(void **state)
{
	static struct dump l, a;
	struct ntpd_link link;
	__u32 zero = 0, path;

	(void)state;
	l.len = a.len = 0;
	links(&l);
	put_addr(&a, ETH0, "192.0.2.10", 24, IFA_F_PERMANENT);
	put_addr(&a, ETH0, "2001:db8::10", 64, IFA_F_PERMANENT);
	put_addr(&a, ETH0, "2001:db8::12", 64, IFA_F_TENTATIVE);
	put_addr(&a, ETH0, "2001:db8::13", 64, IFA_F_DADFAILED | IFA_F_TENTATIVE);
	put_addr(&a, ETH0, "192.0.2.77", 31, 0);		/* RFC 3021: no broadcast */
	put_addr(&a, ETH0_100, "198.51.100.1", 24, 0);
	put_addr(&a, ETH0_100_200, "203.0.113.1", 28, 0);
	put_addr(&a, OTHER, "10.0.0.1", 8, 0);
	sync_with(&l, &a);

	assert_int_equal(flags_of("192.0.2.10", 0), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("192.0.2.255", 0), NTPD_LOCAL_BROADCAST);
	assert_int_equal(flags_of("2001:db8::10", 0), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("2001:db8::12", 0), NTPD_LOCAL_TENTATIVE);
	assert_int_equal(flags_of("2001:db8::13", 0), NTPD_LOCAL_TENTATIVE);
	assert_int_equal(flags_of("192.0.2.77", 0), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("198.51.100.1", 100), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("198.51.100.255", 100), NTPD_LOCAL_BROADCAST);
	assert_int_equal(flags_of("198.51.100.1", 0), -1);	/* only on its VLAN */
	assert_int_equal(flags_of("203.0.113.1", NTPD_VLAN_PATH(100, 200)), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("203.0.113.15", NTPD_VLAN_PATH(100, 200)), NTPD_LOCAL_BROADCAST);
	assert_int_equal(flags_of("10.0.0.1", 0), -1);		/* another interface's */
	assert_int_equal(map_entries(att.local_addrs_fd, sizeof(struct ntpd_local_addr)), 10);

	assert_int_equal(bpf_map_lookup_elem(att.link_fd, &zero, &link), 0);
	assert_int_equal(link.mac_known, 1);
	assert_memory_equal(link.mac, MAC0, 6);
	path = 100;
	assert_int_equal(bpf_map_lookup_elem(att.vlans_fd, &path, &link), 0);
	assert_int_equal(link.ifindex, ETH0_100);
	assert_memory_equal(link.mac, MAC100, 6);
	path = NTPD_VLAN_PATH(100, 200);
	assert_int_equal(bpf_map_lookup_elem(att.vlans_fd, &path, &link), 0);
	assert_int_equal(link.ifindex, ETH0_100_200);
	assert_int_equal(map_entries(att.vlans_fd, 4), 2);

	/* DAD done: the next dump has it without the flag, and it is served */
	a.len = 0;
	put_addr(&a, ETH0, "2001:db8::12", 64, IFA_F_PERMANENT);
	sync_with(&l, &a);
	assert_int_equal(flags_of("2001:db8::12", 0), NTPD_LOCAL_SERVE);
}

/*
 * After an overrun the notifications of what changed are lost.  The dump
 * that follows no longer lists 192.0.2.10 (removed meanwhile) nor the
 * QinQ device: both must leave the maps, with their broadcast, while what
 * is still there stays.  (Before, the overrun's dump only added entries.)
 */
static void overrun_resync_removes_what_is_gone(void **state)
{
	static struct dump l, a;

	(void)state;
	l.len = a.len = 0;
	links(&l);
	put_addr(&a, ETH0, "192.0.2.10", 24, 0);
	put_addr(&a, ETH0, "192.0.2.11", 24, 0);
	put_addr(&a, ETH0_100_200, "203.0.113.1", 28, 0);
	sync_with(&l, &a);
	assert_int_equal(flags_of("192.0.2.10", 0), NTPD_LOCAL_SERVE);

	l.len = a.len = 0;
	put_link(&l, ETH0, 0, 0, MAC0);
	put_link(&l, ETH0_100, ETH0, 100, MAC100);
	put_addr(&a, ETH0, "192.0.2.11", 24, 0);
	sync_with(&l, &a);
	assert_int_equal(flags_of("192.0.2.10", 0), -1);
	assert_int_equal(flags_of("192.0.2.11", 0), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("192.0.2.255", 0), NTPD_LOCAL_BROADCAST);
	assert_int_equal(flags_of("203.0.113.1", NTPD_VLAN_PATH(100, 200)), -1);
	assert_int_equal(map_entries(att.local_addrs_fd, sizeof(struct ntpd_local_addr)), 2);
	assert_int_equal(map_entries(att.vlans_fd, 4), 1);

	/* and the last address of a subnet takes its broadcast with it */
	a.len = 0;
	sync_with(&l, &a);
	assert_int_equal(map_entries(att.local_addrs_fd, sizeof(struct ntpd_local_addr)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(vlans_broadcasts_and_tentative, setup, teardown),
		cmocka_unit_test_setup_teardown(overrun_resync_removes_what_is_gone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
