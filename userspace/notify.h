/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Telling systemd (Type=notify) where the daemon is: ready once it answers,
 * reloading around SIGHUP, stopping, and a one-line status, by the
 * protocol sd_notify(3) documents; without $NOTIFY_SOCKET every call does
 * nothing.
 */
#ifndef NTPD_NOTIFY_H
#define NTPD_NOTIFY_H

void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *status);

#endif /* NTPD_NOTIFY_H */
