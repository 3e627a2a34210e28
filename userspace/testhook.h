/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Test hooks: faults the end-to-end tests inject to prove the watchdog
 * (docs/testing.md).  Off unless XDP_NTPD_TEST_FAULT=NAME:SECONDS is in the
 * environment at start; then, SECONDS after start, the named thread fails:
 *
 *   agent-exit       the agent thread leaves its loop, as on a poll error
 *   agent-hang       the agent thread blocks forever holding its lock
 *   socket-exit      the first socket worker leaves its loop
 *   publisher-stall  the main thread stops publishing (it still takes signals)
 *   slow-lookup      every upstream name lookup from then on takes 10 s
 *   acl-write-fail   every policy change of 2 or more list rules fails with
 *                    EIO after writing half of them (to prove the rollback)
 *
 * And, with XDP_NTPD_TEST_LOG_INPUT=1, each thread that reads the network
 * logs, once, before its first read, who it is then: uid, capability sets,
 * seccomp mode (tests/e2e/test_privileges.sh checks that no network input
 * is read before the privilege drop and the filter).
 */
#ifndef NTPD_TESTHOOK_H
#define NTPD_TESTHOOK_H

#include <stdbool.h>

enum testhook_fault {
	TESTHOOK_NONE,
	TESTHOOK_AGENT_EXIT,
	TESTHOOK_AGENT_HANG,
	TESTHOOK_SOCKET_EXIT,
	TESTHOOK_PUBLISHER_STALL,
	TESTHOOK_SLOW_LOOKUP,
	TESTHOOK_ACL_WRITE_FAIL,
};

#define TESTHOOK_SLOW_LOOKUP_S 10

/* Read the environment, once, before any thread starts.  0 or -EINVAL. */
int testhook_init(void);

/* Fault f is armed and its time has come. */
bool testhook_due(enum testhook_fault f);

/* The calling thread, named `thread`, is about to read network input: log
 * its credentials once per thread when XDP_NTPD_TEST_LOG_INPUT=1. */
void testhook_network_input(const char *thread);

/* Block the calling thread for good (SIGKILL still ends the process). */
void testhook_hang(void) __attribute__((noreturn));

#endif /* NTPD_TESTHOOK_H */
