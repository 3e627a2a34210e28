// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The loader's teardown: after a release (--keep-attached) or a detach,
 * every map fd the attachment handed to the other threads is -1, so a late
 * reader (a metrics scrape racing the stop, a management call) gets an
 * error instead of reading a map through an fd that is no longer ours, or
 * a number the process has since reused for something else.  The
 * attachment here holds real (unattached) maps and no program; needs root
 * for the maps, like the BPF tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "loader.h"

static struct ntpd_attachment att;
static int maps[8];

/* an attachment as a fresh attach leaves it, its eight map fds real maps */
static int setup(void **state)
{
	int *const slots[] = { &att.counters_fd, &att.local_addrs_fd, &att.rate_cfg_fd,
			       &att.rate_fd, &att.acl4_fd, &att.acl6_fd, &att.link_fd,
			       &att.vlans_fd };
	size_t i;

	(void)state;
	memset(&att, 0, sizeof(att));
	att.pin_root_fd = -1;
	att.pin_dir_fd = -1;
	att.attached = false;	/* nothing on an interface: release has nothing to detach */
	snprintf(att.ifname, sizeof(att.ifname), "t0");
	for (i = 0; i < 8; i++) {
		maps[i] = bpf_map_create(BPF_MAP_TYPE_HASH, "t_loader", 4, 4, 4, NULL);
		if (maps[i] < 0)
			return -1;
		*slots[i] = maps[i];
	}
	return 0;
}

/* the maps belong to the test, not to the attachment: closed here */
static int teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < 8; i++)
		close(maps[i]);
	return 0;
}

static void assert_every_fd_forgotten(void)
{
	__u32 entries, capacity;

	assert_int_equal(att.counters_fd, -1);
	assert_int_equal(att.local_addrs_fd, -1);
	assert_int_equal(att.local_scan_fd, -1);
	assert_int_equal(att.rate_cfg_fd, -1);
	assert_int_equal(att.rate_fd, -1);
	assert_int_equal(att.acl4_fd, -1);
	assert_int_equal(att.acl6_fd, -1);
	assert_int_equal(att.link_fd, -1);
	assert_int_equal(att.vlans_fd, -1);
	assert_int_equal(att.pin_dir_fd, -1);
	/* what /metrics asks of an attachment: an error now, not a stale map */
	assert_true(loader_rate_table_fill(&att, &entries, &capacity) < 0);
}

static void release_forgets_every_map_fd(void **state)
{
	(void)state;
	loader_release(&att);
	assert_every_fd_forgotten();
}

static void detach_forgets_every_map_fd(void **state)
{
	(void)state;
	loader_detach(&att);
	assert_every_fd_forgotten();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(release_forgets_every_map_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(detach_forgets_every_map_fd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
