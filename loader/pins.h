/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pinned maps' directories, NTPD_PIN_ROOT and NTPD_PIN_ROOT/<ifname>,
 * walked by descriptor: root does mkdir, pin, chown and unlink there, so no
 * path component may be a symbolic link or a directory someone else could
 * have swapped in (on a bpffs mounted 1777 anyone may create entries).
 */
#ifndef NTPD_PINS_H
#define NTPD_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Check (and, with `create`, make) NTPD_PIN_ROOT and its <ifname>
 * directory: real directories, closed to group and others, NTPD_PIN_ROOT
 * root's (or ours), on a bpffs root others cannot write to unless it is
 * sticky.  *root_fd and *dir_fd are O_PATH descriptors of the two.
 * 0; -ENOENT when absent and not `create`; -EPERM when refused (logged,
 * naming the path and what is wrong); else -errno.
 */
int pins_open(const char *ifname, bool create, int *root_fd, int *dir_fd);

/* Refuse names in the directory that are anything but a pinned object
 * (a symbolic link planted there, a directory).  0 or -EPERM, logged. */
int pins_check_names(int dir_fd, const char *ifname, const char *const *names, size_t n);

/* Pin `obj_fd` as `name` in the directory, replacing a stale pin a daemon
 * that died left there.  0 or -errno. */
int pins_pin(int dir_fd, const char *ifname, const char *name, int obj_fd);

/* The map pinned as `name` in the directory, checked to be a map of that
 * name: its fd, -ENOENT when not pinned, or -errno. */
int pins_get(int dir_fd, const char *ifname, const char *name);

/* Hand the directory and the pins to uid:gid, never following a link. */
int pins_chown(int dir_fd, const char *const *names, size_t n, uid_t uid, gid_t gid);

/* Unpin `names` and remove the directory (the latter fails harmlessly
 * once we may no longer write to NTPD_PIN_ROOT). */
void pins_remove(int root_fd, int dir_fd, const char *ifname, const char *const *names, size_t n);

#endif /* NTPD_PINS_H */
