// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "pins.h"
#include "log.h"
#include "ntpd_shared.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* kernel map names hold BPF_OBJ_NAME_LEN - 1 characters */
#define MAP_NAME_MAX 15

static bool owned_by_us(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* NTPD_PIN_ROOT's parent (the bpffs root, /sys/fs/bpf) and its own name */
static int split_pin_root(char *parent, size_t len, const char **leaf)
{
	const char *slash = strrchr(NTPD_PIN_ROOT, '/');

	if (!slash || (size_t)(slash - NTPD_PIN_ROOT) >= len)
		return -EINVAL;
	memcpy(parent, NTPD_PIN_ROOT, (size_t)(slash - NTPD_PIN_ROOT));
	parent[slash - NTPD_PIN_ROOT] = '\0';
	*leaf = slash + 1;
	return 0;
}

/*
 * The bpffs root may be open to others (bpffs's own default is 1777) only
 * with the sticky bit: without it anyone could rename our directory away
 * and put theirs, or a link, in its place between two of our calls.
 */
static int check_bpffs_root(int fd, const char *path)
{
	struct statfs sfs;
	struct stat st;

	if (fstat(fd, &st) || fstatfs(fd, &sfs))
		return -errno;
	if (sfs.f_type != BPF_FS_MAGIC) {
		pr_warn("%s: not a BPF filesystem: refusing to pin maps there\n", path);
		return -EPERM;
	}
	if (!owned_by_us(&st)) {
		pr_warn("%s: belongs to uid %u, not root: refusing to pin maps there\n", path,
			(unsigned)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		pr_warn("%s: mode %04o is writable by others without the sticky bit, so anyone "
			"could replace the pin directories in it: refusing to pin maps there "
			"(mount it with mode=0700, or 1777)\n", path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/*
 * One directory under `parent_fd`, opened without following a link and
 * checked on the descriptor we hold (not on the name, which could change
 * between the check and the use).  `any_owner`: the per-interface
 * directories sit in NTPD_PIN_ROOT, which only root can write to, and a
 * daemon started with -u hands its own to that user; NTPD_PIN_ROOT itself
 * must be root's.
 */
static int open_checked_dir(int parent_fd, const char *path, const char *name, bool any_owner,
			    int *out_fd)
{
	struct stat named, held;
	int fd, err;

	if (fstatat(parent_fd, name, &named, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (S_ISLNK(named.st_mode)) {
		pr_warn("%s: is a symbolic link, not a directory: refusing to pin maps there "
			"(remove it)\n", path);
		return -EPERM;
	}
	if (!S_ISDIR(named.st_mode)) {
		pr_warn("%s: is not a directory: refusing to pin maps there (remove it)\n", path);
		return -EPERM;
	}
	fd = openat(parent_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = fstat(fd, &held) ? -errno : 0;
	if (err)
		goto cleanup;
	err = -EPERM;
	if (held.st_dev != named.st_dev || held.st_ino != named.st_ino)
		pr_warn("%s: was replaced while being checked: refusing to pin maps there\n",
			path);
	else if (!any_owner && !owned_by_us(&held))
		pr_warn("%s: belongs to uid %u, not root: refusing to pin maps there "
			"(remove it)\n", path, (unsigned)held.st_uid);
	else if (held.st_mode & (S_IRWXG | S_IRWXO))
		pr_warn("%s: has mode %04o, not 0700 (group or others may use it): refusing "
			"to pin maps there\n", path, (unsigned)(held.st_mode & 07777));
	else
		err = 0;
cleanup:
	if (err)
		close(fd);
	else
		*out_fd = fd;
	return err;
}

/* mkdir that accepts an existing entry: open_checked_dir judges what it is */
static int make_dir(int parent_fd, const char *name)
{
	return mkdirat(parent_fd, name, 0700) && errno != EEXIST ? -errno : 0;
}

int pins_open(const char *ifname, bool create, int *root_fd, int *dir_fd)
{
	char bpffs[64], path[128];
	const char *leaf;
	int bpffs_fd, err;

	*root_fd = *dir_fd = -1;
	err = split_pin_root(bpffs, sizeof(bpffs), &leaf);
	if (err)
		return err;
	bpffs_fd = open(bpffs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bpffs_fd < 0)
		return -errno;
	err = check_bpffs_root(bpffs_fd, bpffs);
	if (!err && create)
		err = make_dir(bpffs_fd, leaf);
	if (!err)
		err = open_checked_dir(bpffs_fd, NTPD_PIN_ROOT, leaf, false, root_fd);
	if (err)
		goto cleanup;
	snprintf(path, sizeof(path), "%s/%s", NTPD_PIN_ROOT, ifname);
	if (create)
		err = make_dir(*root_fd, ifname);
	if (!err)
		err = open_checked_dir(*root_fd, path, ifname, true, dir_fd);
cleanup:
	close(bpffs_fd);
	if (err && *root_fd >= 0) {
		close(*root_fd);
		*root_fd = -1;
	}
	return err;
}

/* 1 when `name` holds a pinned object, 0 when absent, -EPERM (logged) else */
static int pinned_object(int dir_fd, const char *ifname, const char *name)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	/* bpffs shows a pinned map or program as a regular file */
	if (S_ISREG(st.st_mode))
		return 1;
	pr_warn("%s/%s/%s: is %s, not a map we pinned: refusing to pin maps there "
		"(remove it)\n", NTPD_PIN_ROOT, ifname, name,
		S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory" :
								  "something else");
	return -EPERM;
}

int pins_check_names(int dir_fd, const char *ifname, const char *const *names, size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = pinned_object(dir_fd, ifname, names[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* A path through the directory we hold: /proc resolves it to that very
 * directory, whatever its name leads to by now. */
static void fd_path(char *buf, size_t len, int dir_fd, const char *name)
{
	snprintf(buf, len, "/proc/self/fd/%d/%s", dir_fd, name);
}

int pins_pin(int dir_fd, const char *ifname, const char *name, int obj_fd)
{
	char path[64];
	int ret;

	ret = pinned_object(dir_fd, ifname, name);
	if (ret < 0)
		return ret;
	/* left by a daemon that died without cleaning up */
	if (ret && unlinkat(dir_fd, name, 0) && errno != ENOENT)
		return -errno;
	fd_path(path, sizeof(path), dir_fd, name);
	return bpf_obj_pin(obj_fd, path) ? -errno : 0;
}

int pins_get(int dir_fd, const char *ifname, const char *name)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[64];
	int fd, ret;

	ret = pinned_object(dir_fd, ifname, name);
	if (ret <= 0)
		return ret ? ret : -ENOENT;
	fd_path(path, sizeof(path), dir_fd, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/* a map under our name that is not ours would get our program's writes */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || strncmp(info.name, name, MAP_NAME_MAX)) {
		pr_warn("%s/%s/%s: is not the map of that name\n", NTPD_PIN_ROOT, ifname, name);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int pins_chown(int dir_fd, const char *const *names, size_t n, uid_t uid, gid_t gid)
{
	size_t i;

	/* the files first: once the directory is the user's (mode 0700), root
	 * without CAP_DAC_OVERRIDE can no longer reach into it */
	for (i = 0; i < n; i++)
		if (fchownat(dir_fd, names[i], uid, gid, AT_SYMLINK_NOFOLLOW))
			return -errno;
	if (fchownat(dir_fd, "", uid, gid, AT_EMPTY_PATH))
		return -errno;
	return 0;
}

void pins_remove(int root_fd, int dir_fd, const char *ifname, const char *const *names, size_t n)
{
	size_t i;

	if (dir_fd < 0)
		return;
	/* relative to descriptors opened while we could still walk
	 * NTPD_PIN_ROOT: after -u we may no longer be allowed to */
	for (i = 0; i < n; i++)
		unlinkat(dir_fd, names[i], 0);
	if (root_fd >= 0)
		unlinkat(root_fd, ifname, AT_REMOVEDIR);
}
