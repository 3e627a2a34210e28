// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's public calls are reentrant across agents: two agents whose
 * upstream sets are replaced at once from two threads each end with their
 * own set, every time.  agent_set_upstreams once built the next set in a
 * function-local static buffer shared by every agent, so one agent could
 * take over the other's upstreams.  The upstreams are 127.0.0.1 ports
 * nothing listens on: their polls never leave loopback and are never
 * answered.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent.h"
#include "log.h"

#define SET_SIZE	4
#define ROUNDS		20000	/* replacements per agent: enough for the two to overlap */

struct contender {
	struct agent *a;
	struct ntpd_endpoint eps[SET_SIZE];
	__u16 first_port;
	int wrong;		/* sources seen that belong to the other agent's set */
	int failed;		/* calls that did not return 0 */
};

static void endpoints(struct contender *c, __u16 first_port)
{
	int i;

	c->first_port = first_port;
	for (i = 0; i < SET_SIZE; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&c->eps[i].addr;
		__u16 port = (__u16)(first_port + i);

		snprintf(c->eps[i].host, sizeof(c->eps[i].host), "127.0.0.1");
		c->eps[i].port = port;
		c->eps[i].resolved = true;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
}

/* Replace the set ROUNDS times, alternating its order, and check after
 * each that every source is one of ours.  No asserts off the main thread. */
static void *contend(void *arg)
{
	struct contender *c = arg;
	struct ntpd_endpoint eps[SET_SIZE];
	struct agent_source_status st;
	int r, i, n;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < SET_SIZE; i++)
			eps[i] = c->eps[(i + r) % SET_SIZE];
		if (agent_set_upstreams(c->a, eps, SET_SIZE)) {
			c->failed++;
			continue;
		}
		n = agent_source_count(c->a);
		for (i = 0; i < n; i++) {
			unsigned int port;

			if (agent_source_status(c->a, i, &st) ||
			    sscanf(st.name, "127.0.0.1:%u", &port) != 1)
				c->failed++;
			else if (port < c->first_port || port >= c->first_port + (unsigned int)SET_SIZE)
				c->wrong++;
		}
	}
	return NULL;
}

static void test_two_agents_replace_upstreams_at_once(void **state)
{
	struct agent_config cfg = { .min_poll = 4, .max_poll = 6, .max_missed = 3,
				    .model = CLOCK_MODEL_CORRECTED };
	struct contender c[2];
	pthread_t t[2];
	int k;

	(void)state;
	log_set_level(LOG_LVL_WARN);	/* each replacement logs its set at info */
	memset(c, 0, sizeof(c));
	endpoints(&c[0], 41000);
	endpoints(&c[1], 42000);
	for (k = 0; k < 2; k++) {
		cfg.upstreams = c[k].eps;
		cfg.n_upstreams = SET_SIZE;
		assert_int_equal(agent_start(&c[k].a, &cfg), 0);
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, contend, &c[k]), 0);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	for (k = 0; k < 2; k++) {
		assert_int_equal(agent_source_count(c[k].a), SET_SIZE);
		agent_stop(c[k].a);
		print_message("# agent %d: %d foreign sources seen, %d failed calls\n", k,
			      c[k].wrong, c[k].failed);
		assert_int_equal(c[k].failed, 0);
		assert_int_equal(c[k].wrong, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_agents_replace_upstreams_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
