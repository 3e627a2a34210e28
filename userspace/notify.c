// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The notification protocol itself (sd_notify(3), "Notes": one datagram of
 * newline-separated assignments to the AF_UNIX socket $NOTIFY_SOCKET names,
 * '@' for the abstract namespace), written here rather than linking
 * libsystemd: that library and the compression and crypto libraries it
 * pulls in were a quarter of the daemon's resident memory, for four calls.
 */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Send text to $NOTIFY_SOCKET: 0, 0 without one (not under systemd), or
 * -errno.  A socket per message: four messages in a daemon's life. */
static int notify_send(const char *text)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	socklen_t alen;
	int fd, err = 0;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* the abstract namespace: not NUL-terminated */
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&sun, alen) < 0)
		err = -errno;
	close(fd);
	return err;
}

__attribute__((format(printf, 1, 2)))
static void notifyf(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	notify_send(text);
}

void notify_ready(const char *status)
{
	notifyf("READY=1\nSTATUS=%s", status);
}

void notify_reloading(void)
{
	struct timespec ts;

	/* systemd 253+ wants the monotonic time with RELOADING=1; older ignore it */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
		(unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void notify_status(const char *status)
{
	notifyf("STATUS=%s", status);
}
