// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The fleet's health signal (anycast.h): the `anycast` address syntax, the
 * health decision, what /healthz reads, the hold-down gate on a fake
 * clock, and the address watch serving an anycast address that lives on
 * another interface (lo) on every path of an attachment, only while the
 * host has it.  The last needs root for the maps, like test_addrwatch.
 */
#include <errno.h>

#include "addrwatch_fixture.h"
#include "anycast.h"

#define S	1000000000ULL

/* ---- the directive -------------------------------------------------------- */

static void addresses_are_one_host_each(void **state)
{
	static const struct { const char *text; int ok; int family; } rows[] = {
		{ "192.0.2.1/32", 1, AF_INET },
		{ "2001:db8::123/128", 1, AF_INET6 },
		{ "192.0.2.0/24", 0, 0 },		/* a subnet is not a service address */
		{ "2001:db8::/64", 0, 0 },
		{ "192.0.2.1/128", 0, 0 },		/* the length of the other family */
		{ "2001:db8::1/32", 0, 0 },
		{ "192.0.2.1", 0, 0 },			/* the length is required */
		{ "192.0.2.1/", 0, 0 },
		{ "192.0.2.1/32x", 0, 0 },
		{ "ntp.example/32", 0, 0 },		/* a literal, not a name */
		{ "", 0, 0 },
	};
	struct anycast_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		assert_int_equal(anycast_parse_addr(&cfg, rows[i].text) == 0, rows[i].ok);
		assert_int_equal(cfg.n, rows[i].ok);
		if (rows[i].ok)
			assert_int_equal(cfg.addrs[0].family, rows[i].family);
	}
	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < ANYCAST_MAX_ADDRS; i++)
		assert_int_equal(anycast_parse_addr(&cfg, "192.0.2.1/32"), 0);
	assert_int_equal(anycast_parse_addr(&cfg, "192.0.2.1/32"), -ENOSPC);
}

/* ---- the decision ------------------------------------------------------------ */

static void health_names_the_first_reason(void **state)
{
	static const struct { struct health_input in; const char *why; } rows[] = {
		{ { .synchronised = true }, NULL },
		{ { .synchronised = false }, "unsynchronised" },
		{ { .synchronised = true, .stale = true }, "stale" },
		{ { .synchronised = true, .path_down = "eth0" }, "not serving in XDP" },
		{ { .synchronised = true, .dead_thread = "agent" }, "watchdog" },
		{ { .synchronised = true, .stopping = true }, "stopping" },
		/* several at once: the one that explains the others */
		{ { .synchronised = false, .stale = true, .dead_thread = "agent" }, "watchdog" },
		{ { .synchronised = false, .stale = true }, "unsynchronised" },
	};
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		why = health_judge(&rows[i].in);
		if (!rows[i].why) {
			assert_null(why);
			continue;
		}
		assert_non_null(why);
		assert_non_null(strstr(why, rows[i].why));
	}
}

static void healthz_reads_what_was_published(void **state)
{
	char buf[128];

	(void)state;
	assert_false(health_read(buf, sizeof(buf)));	/* nothing published yet */
	assert_string_equal(buf, "starting");
	health_publish(NULL, NULL);
	assert_true(health_read(buf, sizeof(buf)));
	assert_string_equal(buf, "ok");
	health_publish("not serving in XDP on an interface", "eth1");
	assert_false(health_read(buf, sizeof(buf)));
	assert_string_equal(buf, "not serving in XDP on an interface: eth1");
	health_publish("unsynchronised", NULL);
	assert_false(health_read(buf, sizeof(buf)));
	assert_string_equal(buf, "unsynchronised");
}

/* XDP on every -i interface: one fallen back (no attachment) or deleted
 * (ifindex 0, until it comes back) is a path not served. */
static void every_interface_served_in_xdp(void **state)
{
	static struct ntpd_attachment att[2];
	const char *ifaces[] = { "eth0", "eth1" };

	(void)state;
	memset(att, 0, sizeof(att));
	snprintf(att[0].ifname, sizeof(att[0].ifname), "eth0");
	att[0].attached = true;
	att[0].ifindex = 2;
	snprintf(att[1].ifname, sizeof(att[1].ifname), "eth1");
	att[1].attached = true;
	att[1].ifindex = 3;
	assert_null(health_path_down(att, 2, ifaces, 2));
	assert_string_equal(health_path_down(att, 1, ifaces, 2), "eth1");	/* fell back */
	att[0].ifindex = 0;						/* deleted */
	assert_string_equal(health_path_down(att, 2, ifaces, 2), "eth0");
}

/* A healthy finding the publisher has not renewed is not health: it is
 * stuck.  "stopping" is the last word and stays. */
static void an_old_finding_is_none(void **state)
{
	char buf[128];

	(void)state;
	health_publish_at(NULL, NULL, 100 * S);
	assert_true(health_read_at(buf, sizeof(buf), 100 * S + HEALTH_MAX_AGE_NS));
	assert_false(health_read_at(buf, sizeof(buf), 100 * S + HEALTH_MAX_AGE_NS + 1));
	assert_non_null(strstr(buf, "publisher stuck"));
	health_publish_at(NULL, NULL, 104 * S);
	assert_true(health_read_at(buf, sizeof(buf), 104 * S + S));
	health_publish_at("stopping", NULL, 110 * S);
	assert_false(health_read_at(buf, sizeof(buf), 200 * S));
	assert_string_equal(buf, "stopping");
}

/* ---- the gate, on a fake clock ------------------------------------------------- */

static enum anycast_action step(struct anycast_gate *g, bool healthy, __u64 t)
{
	enum anycast_action a = anycast_gate_step(g, healthy, t);

	anycast_gate_done(g, a);
	return a;
}

static void withdrawn_at_once_back_after_the_hold_down(void **state)
{
	struct anycast_gate g;
	__u64 t0 = 1000 * S;

	(void)state;
	anycast_gate_init(&g, 10 * S, ANYCAST_GATE_HEALTH);
	assert_int_equal(step(&g, false, t0), ANYCAST_KEEP);		/* starting: none yet */
	assert_int_equal(step(&g, true, t0 + 1 * S), ANYCAST_KEEP);	/* healthy from here */
	assert_int_equal(step(&g, true, t0 + 10 * S), ANYCAST_KEEP);
	assert_int_equal(step(&g, true, t0 + 11 * S), ANYCAST_ANNOUNCE);
	assert_true(g.announced);
	assert_int_equal(step(&g, true, t0 + 12 * S), ANYCAST_KEEP);
	/* sick: the very first publication that says so takes them away */
	assert_int_equal(step(&g, false, t0 + 13 * S), ANYCAST_WITHDRAW);
	assert_false(g.announced);
	assert_int_equal(step(&g, false, t0 + 14 * S), ANYCAST_KEEP);
	/* a flap: healthy, sick again inside the hold-down, healthy: the
	 * hold-down starts over from the last recovery */
	assert_int_equal(step(&g, true, t0 + 15 * S), ANYCAST_KEEP);
	assert_int_equal(step(&g, false, t0 + 20 * S), ANYCAST_KEEP);
	assert_int_equal(step(&g, true, t0 + 21 * S), ANYCAST_KEEP);
	assert_int_equal(step(&g, true, t0 + 30 * S), ANYCAST_KEEP);
	assert_int_equal(step(&g, true, t0 + 31 * S), ANYCAST_ANNOUNCE);
}

static void a_failed_change_is_tried_again(void **state)
{
	struct anycast_gate g;

	(void)state;
	anycast_gate_init(&g, 0, ANYCAST_GATE_HEALTH);
	/* the add failed: not reported done, so asked again next time */
	assert_int_equal(anycast_gate_step(&g, true, 5 * S), ANYCAST_ANNOUNCE);
	assert_int_equal(anycast_gate_step(&g, true, 6 * S), ANYCAST_ANNOUNCE);
	anycast_gate_done(&g, ANYCAST_ANNOUNCE);
	assert_int_equal(anycast_gate_step(&g, false, 7 * S), ANYCAST_WITHDRAW);
	assert_int_equal(anycast_gate_step(&g, false, 8 * S), ANYCAST_WITHDRAW);
}

static void gate_off_keeps_them_whatever_the_health(void **state)
{
	struct anycast_gate g;

	(void)state;
	anycast_gate_init(&g, 2 * S, ANYCAST_GATE_OFF);
	assert_int_equal(step(&g, false, 1 * S), ANYCAST_KEEP);
	assert_int_equal(step(&g, false, 3 * S), ANYCAST_ANNOUNCE);
	assert_int_equal(step(&g, false, 4 * S), ANYCAST_KEEP);
}

/* ---- the address watch: served wherever the host has them ------------------------ */

#define ETH0_100	5	/* a VLAN device on eth0 */
#define LO		1

static const char *const anycast_addrs[] = { "198.51.100.123", "2001:db8:123::123", NULL };

static void sync_with_anycast(const struct dump *l, const struct dump *a)
{
	sync_extra(l, a, anycast_addrs);
}

static void anycast_on_lo_served_on_every_path_while_present(void **state)
{
	static struct dump l, a;

	(void)state;
	l.len = a.len = 0;
	put_link(&l, LO, 0, 0, NULL);
	put_link(&l, ETH0, 0, 0, MAC0);
	put_link(&l, ETH0_100, ETH0, 100, MAC100);
	put_addr(&a, LO, "127.0.0.1", 8, IFA_F_PERMANENT);
	put_addr(&a, LO, "198.51.100.123", 32, IFA_F_PERMANENT);
	put_addr(&a, LO, "2001:db8:123::123", 128, IFA_F_NODAD);
	put_addr(&a, LO, "198.51.100.124", 32, IFA_F_PERMANENT);	/* not an anycast one */
	put_addr(&a, ETH0, "192.0.2.1", 24, IFA_F_PERMANENT);
	sync_with_anycast(&l, &a);
	assert_int_equal(flags_of("198.51.100.123", 0), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("198.51.100.123", 100), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("2001:db8:123::123", 0), NTPD_LOCAL_SERVE);
	assert_int_equal(flags_of("2001:db8:123::123", 100), NTPD_LOCAL_SERVE);
	/* what else lo has stays another interface's, and no broadcast */
	assert_int_equal(flags_of("127.0.0.1", 0), -1);
	assert_int_equal(flags_of("198.51.100.124", 0), -1);
	assert_int_equal(flags_of("198.51.100.255", 0), -1);
	assert_int_equal(flags_of("192.0.2.1", 0), NTPD_LOCAL_SERVE);

	/* withdrawn (sick): the next dump lacks them, and XDP no longer
	 * answers for an address the host does not have */
	a.len = 0;
	put_addr(&a, LO, "127.0.0.1", 8, IFA_F_PERMANENT);
	put_addr(&a, ETH0, "192.0.2.1", 24, IFA_F_PERMANENT);
	sync_with_anycast(&l, &a);
	assert_int_equal(flags_of("198.51.100.123", 0), -1);
	assert_int_equal(flags_of("198.51.100.123", 100), -1);
	assert_int_equal(flags_of("2001:db8:123::123", 0), -1);
	assert_int_equal(flags_of("192.0.2.1", 0), NTPD_LOCAL_SERVE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_are_one_host_each),
		cmocka_unit_test(health_names_the_first_reason),
		cmocka_unit_test(healthz_reads_what_was_published),
		cmocka_unit_test(an_old_finding_is_none),
		cmocka_unit_test(every_interface_served_in_xdp),
		cmocka_unit_test(withdrawn_at_once_back_after_the_hold_down),
		cmocka_unit_test(a_failed_change_is_tried_again),
		cmocka_unit_test(gate_off_keeps_them_whatever_the_health),
		cmocka_unit_test_setup_teardown(anycast_on_lo_served_on_every_path_while_present,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
