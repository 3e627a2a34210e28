// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The service manager's notification protocol as sd_notify(3) gives it: one
 * datagram per call to the AF_UNIX socket $NOTIFY_SOCKET names, a path or
 * '@' for the abstract namespace, and nothing at all without the variable.
 * A socket of the test's own stands in for systemd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "notify.h"

/* A datagram socket bound to name (abstract when it starts with '@'). */
static int listener(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memcpy(sun.sun_path, name, len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	else
		alen++;
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, alen), 0);
	return fd;
}

/* The next datagram, or "" when none is queued (the send is synchronous). */
static const char *received(int fd)
{
	static char buf[600];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void to_a_path_and_to_the_abstract_namespace(void **state)
{
	char path[64], abstract[64];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_notify.%d.sock", getpid());
	unlink(path);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	notify_ready("serving from 192.0.2.1");
	assert_string_equal(received(fd), "READY=1\nSTATUS=serving from 192.0.2.1");
	notify_stopping();
	assert_string_equal(received(fd), "STOPPING=1");
	close(fd);
	unlink(path);

	snprintf(abstract, sizeof(abstract), "@test_notify.%d", getpid());
	fd = listener(abstract);
	setenv("NOTIFY_SOCKET", abstract, 1);
	notify_status("unsynchronised");
	assert_string_equal(received(fd), "STATUS=unsynchronised");
	notify_reloading();
	assert_memory_equal(received(fd), "RELOADING=1\nMONOTONIC_USEC=", 26);
	close(fd);
}

static void nothing_without_a_socket(void **state)
{
	char abstract[64];
	int fd;

	(void)state;
	snprintf(abstract, sizeof(abstract), "@test_notify_none.%d", getpid());
	fd = listener(abstract);
	unsetenv("NOTIFY_SOCKET");
	notify_ready("x");
	/* a relative name is no socket address systemd gives: ignored */
	setenv("NOTIFY_SOCKET", "relative.sock", 1);
	notify_ready("x");
	assert_string_equal(received(fd), "");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(to_a_path_and_to_the_abstract_namespace),
		cmocka_unit_test(nothing_without_a_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
