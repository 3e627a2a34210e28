// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "privileges.h"
#include "log.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* libc has no capset wrapper; libcap for three bits is not worth a dependency */
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

int privileges_drop(const char *user, uid_t uid, gid_t gid, const char *chroot_dir,
		    bool keep_net_admin)
{
	__u64 keep = keep_net_admin ? 1ULL << CAP_NET_ADMIN : 0;
	int err;

	if (chroot_dir && (chroot(chroot_dir) || chdir("/"))) {
		err = -errno;
		pr_warn("-r: chroot to %s: %s\n", chroot_dir, strerror(-err));
		return err;
	}
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
		err = -errno;
		goto fail;
	}
	/* glibc applies these to every thread of the process */
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		err = -errno;
		goto fail;
	}
	err = set_caps(keep);
	if (err)
		goto fail;
	if (keep)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	pr_info("running as %s%s%s%s\n", user, chroot_dir ? " in " : "",
		chroot_dir ? chroot_dir : "", keep ? " with CAP_NET_ADMIN only" : ", no capabilities");
	return 0;
fail:
	pr_warn("-u: dropping privileges to %s: %s\n", user, strerror(-err));
	return err;
}
