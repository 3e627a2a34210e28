// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "testhook.h"
#include "kclock.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const names[] = {
	[TESTHOOK_AGENT_EXIT] = "agent-exit",
	[TESTHOOK_AGENT_HANG] = "agent-hang",
	[TESTHOOK_SOCKET_EXIT] = "socket-exit",
	[TESTHOOK_PUBLISHER_STALL] = "publisher-stall",
	[TESTHOOK_SLOW_LOOKUP] = "slow-lookup",
	[TESTHOOK_ACL_WRITE_FAIL] = "acl-write-fail",
};

/* written once by testhook_init before the threads exist */
static enum testhook_fault armed;
static __u64 due_mono_ns;

int testhook_init(void)
{
	const char *spec = getenv("XDP_NTPD_TEST_FAULT");
	const char *colon;
	char *end;
	unsigned long s;
	__u64 now;
	size_t i;

	if (!spec || !*spec)
		return 0;
	colon = strchr(spec, ':');
	if (!colon)
		goto bad;
	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == (size_t)(colon - spec) &&
		    !strncmp(spec, names[i], (size_t)(colon - spec)))
			break;
	errno = 0;
	s = strtoul(colon + 1, &end, 10);
	if (i == sizeof(names) / sizeof(names[0]) || errno || *end || end == colon + 1 || s > 86400)
		goto bad;
	if (kclock_now_ns(CLOCK_MONOTONIC, &now))
		goto bad;
	armed = (enum testhook_fault)i;
	due_mono_ns = now + s * 1000000000ULL;
	/* loud: a hook left set in production must not go unnoticed */
	pr_warn("TEST HOOK armed (XDP_NTPD_TEST_FAULT): %s in %lu s\n", names[i], s);
	return 0;
bad:
	pr_warn("XDP_NTPD_TEST_FAULT=%s: want NAME:SECONDS, NAME one of agent-exit, agent-hang, "
		"socket-exit, publisher-stall, slow-lookup, acl-write-fail\n", spec);
	return -EINVAL;
}

bool testhook_due(enum testhook_fault f)
{
	__u64 now;

	if (armed != f || f == TESTHOOK_NONE)
		return false;
	return !kclock_now_ns(CLOCK_MONOTONIC, &now) && now >= due_mono_ns;
}

void testhook_hang(void)
{
	for (;;)
		poll(NULL, 0, -1);
}
