// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "privileges.h"
#include "log.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAP_BIT(c) (1ULL << (c))

/* libc has no capset wrapper; libcap for a few bits is not worth a dependency */
static int set_caps(__u64 caps)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	data[0].effective = data[0].permitted = (__u32)caps;
	data[1].effective = data[1].permitted = (__u32)(caps >> 32);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int privileges_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		pr_warn("-u: no such user '%s'\n", user);
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* The relink's need covers the detach's today; they stay apart so that a
 * relink needing nothing (a bpf_link) leaves only the detach's. */
__u64 privileges_needed(int n_attached, bool detach_at_stop)
{
	__u64 caps = 0;

	if (n_attached)
		caps |= CAP_BIT(CAP_NET_ADMIN);		/* relink: the netlink attach */
	if (n_attached && detach_at_stop)
		caps |= CAP_BIT(CAP_NET_ADMIN);
	return caps;
}

const char *privileges_describe(__u64 caps, char *buf, size_t len)
{
	static const struct { int cap; const char *name; } names[] = {
		{ CAP_BPF, "CAP_BPF" }, { CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_PERFMON, "CAP_PERFMON" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && used < len; i++)
		if (caps & CAP_BIT(names[i].cap))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
						 names[i].name);
	return buf[0] ? buf : "no capabilities";
}

/*
 * Out of the bounding set goes everything not kept, so that not even an
 * exec (which the filter forbids anyway) could bring it back; the kernel
 * says where the list ends (EINVAL past its last capability).
 */
static int limit_bounding_set(__u64 keep)
{
	int cap;

	for (cap = 0; cap < 64; cap++) {
		if (keep & CAP_BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break;		/* past the kernel's last capability */
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;	/* EPERM: CAP_SETPCAP was not ours */
	}
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) ? -errno : 0;
}

int privileges_drop(const char *user, uid_t uid, gid_t gid, const char *chroot_dir, __u64 keep)
{
	char kept[64];
	int err;

	if (chroot_dir && (chroot(chroot_dir) || chdir("/"))) {
		err = -errno;
		pr_warn("-r: chroot to %s: %s\n", chroot_dir, strerror(-err));
		return err;
	}
	err = limit_bounding_set(keep);
	if (err)
		goto fail;
	/* without it setuid() empties the permitted set as it leaves uid 0 */
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
		err = -errno;
		goto fail;
	}
	/* glibc applies these to every thread of the process (there is one) */
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		err = -errno;
		goto fail;
	}
	err = set_caps(keep);
	if (err)
		goto fail;
	if (keep && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)) {
		err = -errno;
		goto fail;
	}
	/* a uid 0 we could get back would undo all of the above */
	if (uid != 0 && setuid(0) == 0) {
		err = -EPERM;
		goto fail;
	}
	pr_info("running as %s%s%s, with %s\n", user, chroot_dir ? " in " : "",
		chroot_dir ? chroot_dir : "", privileges_describe(keep, kept, sizeof(kept)));
	return 0;
fail:
	pr_warn("-u: dropping privileges to %s: %s\n", user, strerror(-err));
	return err;
}
