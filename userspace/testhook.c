// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "testhook.h"
#include "kclock.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
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
static bool log_input;

int testhook_init(void)
{
	const char *spec = getenv("XDP_NTPD_TEST_FAULT");
	const char *colon;
	char *end;
	unsigned long s;
	__u64 now;
	size_t i;

	log_input = getenv("XDP_NTPD_TEST_LOG_INPUT") != NULL;
	if (log_input)
		pr_warn("TEST HOOK armed (XDP_NTPD_TEST_LOG_INPUT): threads log their credentials "
			"at their first network input\n");
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

/* The fields of /proc/thread-self/status that say what the thread may do. */
static const char *const cred_fields[] = {
	"Uid:", "CapEff:", "CapPrm:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:",
};

void testhook_network_input(const char *thread)
{
	static __thread bool logged;
	char line[128], creds[256] = "";
	size_t i, used = 0;
	FILE *f;

	if (!log_input || logged)
		return;
	logged = true;
	f = fopen("/proc/thread-self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		for (i = 0; i < sizeof(cred_fields) / sizeof(cred_fields[0]); i++) {
			char value[32];
			int n;

			if (strncmp(line, cred_fields[i], strlen(cred_fields[i])) ||
			    sscanf(line + strlen(cred_fields[i]), "%31s", value) != 1)
				continue;
			n = snprintf(creds + used, sizeof(creds) - used, " %.*s=%s",
				     (int)strlen(cred_fields[i]) - 1, cred_fields[i], value);
			if (n > 0 && (size_t)n < sizeof(creds) - used)
				used += (size_t)n;
		}
	if (f)
		fclose(f);
	pr_info("TEST HOOK network input: %s:%s\n", thread, used ? creds : " unreadable");
}
