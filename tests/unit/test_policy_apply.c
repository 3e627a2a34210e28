// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * policy_apply against real BPF maps (LPM tries as the XDP program has,
 * made small): a change applies whole, or, when a write fails half way,
 * the maps hold exactly the previous lists and the rate config is untouched.
 * The failure is the natural one: a new list that, added before the old
 * one is removed (so no rule in both is ever missing), does not fit.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"

#define TRIE_ROOM 4

struct maps {
	int rate_cfg, acl4, acl6;
};

static int make_trie(size_t key_size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);

	return bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "test_acl", (__u32)key_size, 1, TRIE_ROOM,
			      &opts);
}

static int setup(void **state)
{
	static struct maps m;

	m.rate_cfg = bpf_map_create(BPF_MAP_TYPE_ARRAY, "test_rate_cfg", 4,
				    sizeof(struct ntpd_rate_config), 1, NULL);
	m.acl4 = make_trie(sizeof(struct ntpd_acl4_key));
	m.acl6 = make_trie(sizeof(struct ntpd_acl6_key));
	if (m.rate_cfg < 0 || m.acl4 < 0 || m.acl6 < 0) {
		print_error("cannot create BPF maps (root needed): %s\n", strerror(errno));
		return -1;
	}
	*state = &m;
	return 0;
}

static int teardown(void **state)
{
	struct maps *m = *state;

	close(m->rate_cfg);
	close(m->acl4);
	close(m->acl6);
	return 0;
}

static void policy_of(struct ntpd_policy *p, const char *const *deny, double rate)
{
	policy_defaults(p);
	policy_set_rate(p, rate, 4);
	for (; *deny; deny++)
		assert_int_equal(policy_add_acl(p, *deny, NTPD_ACL_DENY), 0);
}

/* The trie's rules as "ADDR/LEN=ACTION" lines, sorted by the walk order. */
static int trie4_rules(int fd, char *out, size_t len)
{
	struct ntpd_acl4_key key, next;
	void *prev = NULL;
	char addr[INET_ADDRSTRLEN];
	size_t used = 0;
	__u8 action;
	int n = 0;

	out[0] = '\0';
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		assert_int_equal(bpf_map_lookup_elem(fd, &key, &action), 0);
		inet_ntop(AF_INET, key.addr, addr, sizeof(addr));
		used += (size_t)snprintf(out + used, len - used, "%s/%u=%u ", addr, key.prefixlen,
					 action);
		n++;
	}
	return n;
}

static void test_change_that_fits_applies(void **state)
{
	static const char *const before[] = { "192.0.2.0/24", "198.51.100.0/24", NULL };
	static const char *const after[] = { "198.51.100.0/24", "203.0.113.0/24", NULL };
	struct maps *m = *state;
	struct ntpd_policy p;
	struct ntpd_rate_config cfg;
	char rules[512];
	__u32 zero = 0;

	policy_of(&p, before, 2);
	assert_int_equal(policy_apply(&p, m->rate_cfg, m->acl4, m->acl6), 0);
	policy_of(&p, after, 8);
	assert_int_equal(policy_apply(&p, m->rate_cfg, m->acl4, m->acl6), 0);
	assert_int_equal(trie4_rules(m->acl4, rules, sizeof(rules)), 2);
	assert_non_null(strstr(rules, "198.51.100.0/24=2"));
	assert_non_null(strstr(rules, "203.0.113.0/24=2"));
	assert_null(strstr(rules, "192.0.2.0/24"));
	assert_int_equal(bpf_map_lookup_elem(m->rate_cfg, &zero, &cfg), 0);
	assert_int_equal(cfg.cost_ns, p.rate.cost_ns);
}

static void test_change_that_fails_half_way_leaves_the_previous(void **state)
{
	static const char *const before[] = { "192.0.2.0/24", "198.51.100.0/24", "10.0.0.0/8",
					      NULL };
	/* three new ones next to three old ones: the fifth write finds no room */
	static const char *const after[] = { "203.0.113.0/24", "172.16.0.0/12", "100.64.0.0/10",
					     NULL };
	struct maps *m = *state;
	struct ntpd_policy p;
	struct ntpd_rate_config cfg;
	char rules[512], expected[512];
	__u32 zero = 0;
	int err;

	policy_of(&p, before, 2);
	assert_int_equal(policy_apply(&p, m->rate_cfg, m->acl4, m->acl6), 0);
	assert_int_equal(trie4_rules(m->acl4, expected, sizeof(expected)), 3);
	policy_of(&p, after, 8);
	err = policy_apply(&p, m->rate_cfg, m->acl4, m->acl6);
	assert_true(err < 0);
	assert_int_not_equal(err, -ENOTRECOVERABLE);
	/* exactly the previous lists: none of the new rules, all of the old */
	assert_int_equal(trie4_rules(m->acl4, rules, sizeof(rules)), 3);
	assert_string_equal(rules, expected);
	/* and the previous rate: the switches are written last */
	assert_int_equal(bpf_map_lookup_elem(m->rate_cfg, &zero, &cfg), 0);
	assert_int_equal(cfg.cost_ns, 500000000ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_change_that_fits_applies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_that_fails_half_way_leaves_the_previous,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
