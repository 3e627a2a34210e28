// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The address watch's resynchronisation on crafted netlink dumps and real
 * (unattached) BPF maps: VLAN devices learnt from IFLA_LINK + IFLA_VLAN_ID,
 * each address keyed by its VLAN path, IPv4 subnet broadcasts flagged,
 * tentative and DAD-failed IPv6 addresses not served, and after an overrun
 * the maps made exactly what the dump says (an address removed meanwhile is
 * removed).  Needs root for the maps, like the BPF tests.
 */
#include "addrwatch_fixture.h"

#define ETH0_100	5	/* eth0.100 */
#define ETH0_100_200	6	/* eth0.100.200: QinQ */
#define OTHER		7	/* another interface: none of ours */

static void links(struct dump *d)
{
	put_link(d, ETH0, 0, 0, MAC0);
	put_link(d, ETH0_100, ETH0, 100, MAC100);
	put_link(d, ETH0_100_200, ETH0_100, 200, MAC100);
	put_link(d, OTHER, 0, 0, MAC0);
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
