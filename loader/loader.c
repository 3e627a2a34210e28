// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "loader.h"
#include "dispatcher.h"
#include "log.h"
#include "pins.h"
#include "refstate.h"
#include "stats.h"
#include "xdp_ntpd.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#define NTPD_PROG_NAME "xdp_ntpd"

static const char *const mode_names[] = {
	[NTPD_XDP_AUTO] = "auto",
	[NTPD_XDP_NATIVE] = "native",
	[NTPD_XDP_GENERIC] = "generic",
	[NTPD_XDP_SOCKET] = "socket",
};

int loader_parse_mode(const char *name, enum ntpd_xdp_mode *mode)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(name, mode_names[i])) {
			*mode = (enum ntpd_xdp_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *loader_mode_name(enum ntpd_xdp_mode mode)
{
	return mode_names[mode];
}

int loader_ensure_bpffs(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_warn("no BPF filesystem at /sys/fs/bpf and mounting one failed: %s\n",
			strerror(-err));
		return err;
	}
	pr_info("mounted a BPF filesystem at /sys/fs/bpf\n");
	return 0;
}

static int xdp_err(int err, char *buf, size_t len)
{
	libxdp_strerror(err, buf, len);
	return err;
}

/* Our program already on the interface?  Detach it when asked to. */
static int find_ours(int ifindex, bool detach)
{
	struct xdp_program *prog = NULL;
	struct xdp_multiprog *mp;
	int ret = -ENOENT;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!mp || libxdp_get_error(mp))
		return -ENOENT;
	if (xdp_multiprog__is_legacy(mp)) {
		prog = xdp_multiprog__main_prog(mp);
		if (prog && !strcmp(xdp_program__name(prog), NTPD_PROG_NAME)) {
			ret = detach ? xdp_multiprog__detach(mp) : 0;
		}
		goto out;
	}
	while ((prog = xdp_multiprog__next_prog(prog, mp))) {
		if (strcmp(xdp_program__name(prog), NTPD_PROG_NAME))
			continue;
		ret = detach ? xdp_program__detach(prog, ifindex,
						   xdp_multiprog__attach_mode(mp), 0) : 0;
		break;
	}
out:
	xdp_multiprog__close(mp);
	return ret;
}

/* Every map we pin, by the name it has in the object and under pin_dir. */
static const char *const pinned_maps[] = {
	NTPD_MAP_REF_STATE, NTPD_MAP_COUNTERS, NTPD_MAP_LOCAL_ADDRS,
	NTPD_MAP_RATE_CONFIG, NTPD_MAP_RATE_TABLE, NTPD_MAP_ACL4, NTPD_MAP_ACL6,
	NTPD_MAP_LINK, NTPD_MAP_VLANS,
};
#define N_PINNED (sizeof(pinned_maps) / sizeof(pinned_maps[0]))

static int pin_maps(struct ntpd_attachment *att)
{
	struct bpf_map *map;
	size_t i;
	int err;

	for (i = 0; i < N_PINNED; i++) {
		map = bpf_object__find_map_by_name(att->skel->obj, pinned_maps[i]);
		err = map ? pins_pin(att->pin_dir_fd, att->ifname, pinned_maps[i], bpf_map__fd(map)) :
			    -ENOENT;
		if (err) {
			pr_warn("%s: pinning map %s in %s: %s\n", att->ifname, pinned_maps[i],
				att->pin_dir, strerror(-err));
			return err;
		}
	}
	return 0;
}

int loader_chown_pins(const struct ntpd_attachment *att, uid_t uid, gid_t gid)
{
	if (att->pin_dir_fd < 0)
		return 0;
	return pins_chown(att->pin_dir_fd, pinned_maps, N_PINNED, uid, gid);
}

static bool is_loopback(const char *ifname)
{
	struct ifreq ifr = { 0 };
	bool loopback = false;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		loopback = ifr.ifr_flags & IFF_LOOPBACK;
	close(fd);
	return loopback;
}

/* Where an object's maps come from. */
enum map_source {
	MAPS_NEW,	/* created by the load (libxdp's, when it attaches) */
	MAPS_PINNED,	/* the ones pinned in pin_dir: a replace in place */
	MAPS_HELD,	/* the first object's: a relink */
	MAPS_PINNED_JOIN,	/* the pinned ones, left unloaded: libxdp loads it
				 * into the dispatcher beside the running one */
};

/* Point the object's maps at the pinned ones or the first object's. */
static int reuse_maps(const struct ntpd_attachment *att, struct xdp_ntpd_bpf *skel,
		      enum map_source src)
{
	/* a relinked program also writes into the request log's ring buffer,
	 * which reqlog.c reads from the first object, and reads the scanned
	 * address lists addrwatch writes there (not pinned: a program that
	 * finds its own never written asks the hash, so an older daemon's pins
	 * still serve) */
	static const char *const unpinned[] = { "ntpd_events", "ntpd_events_lost",
						 NTPD_MAP_LOCAL_SCAN };
	size_t i, n = N_PINNED + (src == MAPS_HELD ? sizeof(unpinned) / sizeof(unpinned[0]) : 0);
	struct bpf_map *map, *held;
	const char *name;
	int fd, err;

	for (i = 0; i < n; i++) {
		name = i < N_PINNED ? pinned_maps[i] : unpinned[i - N_PINNED];
		map = bpf_object__find_map_by_name(skel->obj, name);
		if (!map)
			return -ENOENT;
		if (src == MAPS_HELD) {
			held = bpf_object__find_map_by_name(att->skel->obj, name);
			fd = held ? bpf_map__fd(held) : -ENOENT;
		} else {
			fd = pins_get(att->pin_dir_fd, att->ifname, pinned_maps[i]);
		}
		if (fd < 0)
			return fd;
		err = bpf_map__reuse_fd(map, fd);
		if (src != MAPS_HELD)
			close(fd);	/* reuse_fd keeps its own duplicate */
		if (err)
			return err;
	}
	return 0;
}

/*
 * The one place an object is made for att: opened, att->cfg written into
 * its rodata, the rate table sized; on existing maps (`src`) it is loaded
 * here too.  With MAPS_NEW it is left unloaded: libxdp loads it when it
 * attaches, as a component of its dispatcher if it can.  *why says which
 * step failed.
 */
static int open_skel(const struct ntpd_attachment *att, enum map_source src,
		     struct xdp_ntpd_bpf **out, const char **why)
{
	struct xdp_ntpd_bpf *skel;
	int err;

	*out = NULL;
	skel = xdp_ntpd_bpf__open();
	if (!skel) {
		*why = "opening the BPF object failed";
		return -errno;
	}
	skel->rodata->ntpd_cfg = att->cfg;
	err = bpf_map__set_max_entries(skel->maps.ntpd_rate, att->rate_table_size);
	*why = "sizing the rate table failed";
	if (!err && src != MAPS_NEW) {
		err = reuse_maps(att, skel, src);
		*why = src != MAPS_HELD ? "its maps are not pinned" :
					  "the maps in use cannot be reused";
		if (!err && src != MAPS_PINNED_JOIN) {
			err = xdp_ntpd_bpf__load(skel);
			*why = "the pinned maps have another layout (an upgrade that changed them?)";
		}
	}
	if (err) {
		xdp_ntpd_bpf__destroy(skel);
		return err;
	}
	*why = NULL;
	*out = skel;
	return 0;
}

static void close_program(struct ntpd_attachment *att)
{
	xdp_ntpd_bpf__destroy(att->relinked);
	att->relinked = NULL;
	att->relink_attached = false;
	xdp_program__close(att->prog);
	att->prog = NULL;
	xdp_ntpd_bpf__destroy(att->skel);
	att->skel = NULL;
}

/* Every map fd we hand out, none valid */
static void forget_map_fds(struct ntpd_attachment *att)
{
	att->counters_fd = att->local_addrs_fd = att->rate_cfg_fd = att->rate_fd = -1;
	att->acl4_fd = att->acl6_fd = att->link_fd = att->vlans_fd = -1;
	att->local_scan_fd = -1;
}

/*
 * Everything att holds, let go: the reference state's mapping, the pin
 * directories, the objects (which close the map fds handed out).  The
 * program stays attached and the pins stay: detaching and unpinning come
 * first, when wanted (loader_detach).
 */
static void teardown(struct ntpd_attachment *att)
{
	refstate_munmap(att->ref);
	att->ref = NULL;
	att->attached = false;
	if (att->pin_dir_fd >= 0)
		close(att->pin_dir_fd);
	if (att->pin_root_fd >= 0)
		close(att->pin_root_fd);
	att->pin_dir_fd = att->pin_root_fd = -1;
	att->pin_dir[0] = '\0';
	close_program(att);
	forget_map_fds(att);
}

/* A fresh object per attempt (a failed load leaves libxdp's program
 * unusable), for libxdp to load as it attaches: on new maps, or on the
 * pinned ones to join a dispatcher (MAPS_PINNED_JOIN). */
static int open_program(struct ntpd_attachment *att, enum map_source src)
{
	DECLARE_LIBBPF_OPTS(xdp_program_opts, opts, .prog_name = NTPD_PROG_NAME);
	const char *why;
	char msg[256];
	int err;

	err = open_skel(att, src, &att->skel, &why);
	if (err) {
		pr_warn("%s: %s: %s\n", att->ifname, why, strerror(-err));
		return err;
	}
	opts.obj = att->skel->obj;
	att->prog = xdp_program__create(&opts);
	err = (int)libxdp_get_error(att->prog);
	if (err) {
		att->prog = NULL;
		xdp_err(err, msg, sizeof(msg));
		pr_warn("%s: creating the XDP program: %s\n", att->ifname, msg);
		close_program(att);
	}
	return err;
}

static int try_attach(struct ntpd_attachment *att, enum xdp_attach_mode xmode)
{
	const char *what = xmode == XDP_MODE_NATIVE ? "native" : "generic";
	char msg[256];
	int err;

	err = open_program(att, MAPS_NEW);
	if (err)
		return err;
	dispatcher_capture_begin();
	err = xdp_program__attach(att->prog, att->ifindex, xmode, 0);
	if (!err)
		dispatcher_report(att->ifname, att->ifindex);
	dispatcher_capture_end();
	if (err) {
		const char *kernel = dispatcher_kernel_msg();

		xdp_err(err, msg, sizeof(msg));
		pr_warn("%s: XDP %s mode attach failed: %s%s%s%s\n", att->ifname, what, msg,
			kernel ? " (the kernel: " : "", kernel ? kernel : "", kernel ? ")" : "");
		close_program(att);
		return err;
	}
	att->generic = xmode == XDP_MODE_SKB;
	pr_info("%s: XDP attached in %s mode\n", att->ifname, what);
	return 0;
}

/* The xdp-ntpd program attached without libxdp's dispatcher: a dup of its
 * fd, and its mode.  -ENOENT when there is none, -EOPNOTSUPP behind a
 * dispatcher (its components are not swapped one by one here). */
static int find_ours_legacy(int ifindex, int *prog_fd, bool *generic)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *prog;
	int ret = -ENOENT;

	if (!mp || libxdp_get_error(mp))
		return -ENOENT;
	if (!xdp_multiprog__is_legacy(mp)) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	prog = xdp_multiprog__main_prog(mp);
	if (prog && !strcmp(xdp_program__name(prog), NTPD_PROG_NAME)) {
		*prog_fd = fcntl(xdp_program__fd(prog), F_DUPFD_CLOEXEC, 0);
		*generic = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB;
		ret = *prog_fd < 0 ? -errno : 0;
	}
out:
	xdp_multiprog__close(mp);
	return ret;
}

/* Our program with this id leaves the dispatcher: libxdp builds one without
 * it and swaps it in by netlink with XDP_FLAGS_REPLACE. */
static int leave_dispatcher(int ifindex, __u32 id, enum xdp_attach_mode mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *prog = NULL;
	int err = -ENOENT;

	if (!mp || libxdp_get_error(mp))
		return -ENOENT;
	while ((prog = xdp_multiprog__next_prog(prog, mp)))
		if (xdp_program__id(prog) == id) {
			err = xdp_program__detach(prog, ifindex, mode, 0);
			break;
		}
	xdp_multiprog__close(mp);
	return err;
}

/*
 * Behind libxdp's dispatcher (kernels where it loads, Debian 12's 6.1): the
 * new program joins the dispatcher beside the running one, on the pinned
 * maps (libxdp builds a dispatcher holding both and swaps it in with
 * XDP_FLAGS_REPLACE), then the old one leaves it the same way.  The
 * interface never goes without a program and its driver is never set up
 * afresh, as it is when one program is detached and another attached (on
 * virtio_net that lost a request).  While both are in, either answers, from
 * the same maps.
 */
static int join_dispatcher(struct ntpd_attachment *att, const char **why)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(att->ifindex);
	struct xdp_program *prog = NULL;
	enum xdp_attach_mode mode;
	__u32 old_id = 0;
	int err;

	*why = "it vanished";
	if (!mp || libxdp_get_error(mp))
		return -ENOENT;
	mode = xdp_multiprog__attach_mode(mp);
	while ((prog = xdp_multiprog__next_prog(prog, mp)))
		if (!strcmp(xdp_program__name(prog), NTPD_PROG_NAME)) {
			old_id = xdp_program__id(prog);
			break;
		}
	xdp_multiprog__close(mp);
	if (!old_id)
		return -ENOENT;
	err = open_program(att, MAPS_PINNED_JOIN);
	if (err) {
		*why = "the new program could not be made (said above)";
		return err;
	}
	err = xdp_program__attach(att->prog, att->ifindex, mode, 0);
	if (err) {
		*why = "the dispatcher would not take the new program";
		goto fail;
	}
	err = leave_dispatcher(att->ifindex, old_id, mode);
	if (err)
		pr_warn("%s: the previous xdp-ntpd program stays in the dispatcher beside ours "
			"(%s); both answer from the same maps\n", att->ifname, strerror(-err));
	att->generic = mode == XDP_MODE_SKB;
	return 0;
fail:
	close_program(att);
	return err;
}

/*
 * A restart or upgrade without a gap: load the new program on the maps the
 * running one uses (reference state, counters, rate table, lists, all kept)
 * and swap it in with one netlink request (XDP_FLAGS_REPLACE names the old
 * program, so the interface is never without one).  Fails, with a reason,
 * when there are no pins, a dispatcher is in the way, or the pinned maps
 * have another layout (an upgrade that changed them): the caller then
 * detaches and attaches afresh.
 */
static int replace_in_place(struct ntpd_attachment *att)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int old_fd = -1, err;
	bool generic = false;
	const char *why;

	err = find_ours_legacy(att->ifindex, &old_fd, &generic);
	if (err == -EOPNOTSUPP) {
		err = join_dispatcher(att, &why);
		if (err)
			goto fail;
		att->adopted = true;
		pr_info("%s: the new xdp-ntpd program took the old one's place in libxdp's "
			"dispatcher (%s mode), keeping its maps: no gap\n", att->ifname,
			att->generic ? "generic" : "native");
		return 0;
	}
	if (err) {
		why = "it vanished";
		goto fail;
	}
	err = open_skel(att, MAPS_PINNED, &att->skel, &why);
	if (err)
		goto fail;
	opts.old_prog_fd = old_fd;
	if (bpf_xdp_attach(att->ifindex, bpf_program__fd(att->skel->progs.xdp_ntpd),
			   XDP_FLAGS_REPLACE | (generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE),
			   &opts)) {
		err = -errno;
		why = "the kernel refused the swap";
		goto fail;
	}
	close(old_fd);
	att->generic = generic;
	att->adopted = true;
	pr_info("%s: replaced the running xdp-ntpd program in place (%s mode), keeping its "
		"maps: no gap\n", att->ifname, generic ? "generic" : "native");
	return 0;
fail:
	pr_info("%s: cannot replace the running program in place: %s (%s)\n", att->ifname, why,
		strerror(-err));
	if (old_fd >= 0)
		close(old_fd);
	xdp_ntpd_bpf__destroy(att->skel);
	att->skel = NULL;
	return err;
}

/* Nothing held yet; the knobs every load of this attachment writes */
static void att_init(struct ntpd_attachment *att, const char *ifname,
		     const struct ntpd_config *cfg, __u32 rate_table_size)
{
	memset(att, 0, sizeof(*att));
	att->pin_root_fd = att->pin_dir_fd = -1;
	forget_map_fds(att);
	snprintf(att->ifname, sizeof(att->ifname), "%s", ifname);
	att->cfg = *cfg;
	att->cfg.allow_loopback_src = is_loopback(ifname);
	/* loopback skbs carry CHECKSUM_PARTIAL sums and cannot be corrupted */
	att->cfg.verify_udp_csum = !att->cfg.allow_loopback_src;
	att->rate_table_size = rate_table_size;
}

/* The maps' fds for the other threads, and the reference state mapped */
static int take_maps(struct ntpd_attachment *att)
{
	att->counters_fd = bpf_map__fd(att->skel->maps.ntpd_counters);
	att->local_addrs_fd = bpf_map__fd(att->skel->maps.ntpd_local);
	att->local_scan_fd = bpf_map__fd(att->skel->maps.ntpd_local_scan);
	att->rate_cfg_fd = bpf_map__fd(att->skel->maps.ntpd_rate_cfg);
	att->rate_fd = bpf_map__fd(att->skel->maps.ntpd_rate);
	att->acl4_fd = bpf_map__fd(att->skel->maps.ntpd_acl4);
	att->acl6_fd = bpf_map__fd(att->skel->maps.ntpd_acl6);
	att->link_fd = bpf_map__fd(att->skel->maps.ntpd_link);
	att->vlans_fd = bpf_map__fd(att->skel->maps.ntpd_vlans);
	att->ref = refstate_mmap(bpf_map__fd(att->skel->maps.ntpd_ref));
	if (!att->ref) {
		int err = -errno;

		pr_warn("%s: mapping the reference state: %s\n", att->ifname, strerror(-err));
		return err;
	}
	return 0;
}

/* An xdp-ntpd program already there: -EEXIST without `replace`; else 1 when
 * swapped in place, 0 when the old one is gone for a fresh attach. */
static int take_over(struct ntpd_attachment *att, bool replace)
{
	int err;

	if (find_ours(att->ifindex, false))
		return 0;
	if (!replace) {
		pr_warn("%s: an xdp-ntpd program is already attached; stop the daemon "
			"that owns it or start with --replace\n", att->ifname);
		return -EEXIST;
	}
	if (replace_in_place(att) == 0)
		return 1;
	err = find_ours(att->ifindex, true);
	if (err) {
		pr_warn("%s: could not detach the old xdp-ntpd program: %s\n", att->ifname,
			strerror(-err));
		return err;
	}
	pr_info("%s: replaced the xdp-ntpd program that was attached\n", att->ifname);
	return 0;
}

/*
 * A load parses the kernel's BTF (several MiB) for CO-RE and libxdp's
 * dispatcher; libbpf frees it when the load is done, but the heap keeps the
 * pages, which is most of the daemon's resident memory in XDP mode.  Give
 * them back: nothing needs them until the next load.
 */
static void loader_trim_heap(void)
{
	malloc_trim(0);
}

int loader_attach(struct ntpd_attachment *att, const char *ifname,
		  enum ntpd_xdp_mode mode, const struct ntpd_config *cfg, bool replace,
		  __u32 rate_table_size)
{
	int err;

	att_init(att, ifname, cfg, rate_table_size);
	att->ifindex = (int)if_nametoindex(ifname);
	if (!att->ifindex) {
		err = -errno;
		pr_warn("%s: no such interface: %s\n", ifname, strerror(-err));
		return err;
	}
	if (mode == NTPD_XDP_SOCKET)
		return -EOPNOTSUPP;

	err = loader_ensure_bpffs();
	if (err)
		return err;
	snprintf(att->pin_dir, sizeof(att->pin_dir), "%s/%s", NTPD_PIN_ROOT, ifname);
	/* before anything is attached: a refused directory leaves the interface as it was */
	err = pins_open(ifname, true, &att->pin_root_fd, &att->pin_dir_fd);
	if (err && err != -EPERM)	/* a refusal was logged with its reason */
		pr_warn("%s: opening the pin directory %s: %s\n", ifname, att->pin_dir,
			strerror(-err));
	if (!err)
		err = pins_check_names(att->pin_dir_fd, ifname, pinned_maps, N_PINNED);
	if (!err)
		err = take_over(att, replace);
	if (err < 0) {
		teardown(att);	/* the pins, if any, are another daemon's */
		return err;
	}
	if (err == 0) {
		err = -EINVAL;
		if (mode == NTPD_XDP_NATIVE || mode == NTPD_XDP_AUTO)
			err = try_attach(att, XDP_MODE_NATIVE);
		if (mode == NTPD_XDP_GENERIC || (mode == NTPD_XDP_AUTO && err))
			err = try_attach(att, XDP_MODE_SKB);
		if (err)
			goto cleanup;
		att->attached = true;
		err = pin_maps(att);
		if (err)
			goto cleanup;
	}
	att->attached = true;
	err = take_maps(att);
	if (err)
		goto cleanup;
	loader_trim_heap();
	return 0;

cleanup:
	loader_detach(att);
	return err;
}

/*
 * After dropping privileges we hold CAP_NET_ADMIN only, and libxdp's detach
 * wants to look programs up by id (CAP_SYS_ADMIN).  Netlink with
 * XDP_FLAGS_REPLACE and our own program's fd detaches exactly ours, or fails
 * if someone replaced it meanwhile.
 */
static int detach_unprivileged(struct ntpd_attachment *att)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts,
		    .old_prog_fd = att->relink_attached ? bpf_program__fd(att->relinked->progs.xdp_ntpd) :
				   att->prog ? xdp_program__fd(att->prog) :
					       bpf_program__fd(att->skel->progs.xdp_ntpd));
	__u32 flags = XDP_FLAGS_REPLACE | (att->generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

	return bpf_xdp_detach(att->ifindex, flags, &opts) ? -errno : 0;
}

void loader_detach(struct ntpd_attachment *att)
{
	bool unpin = true;
	int err;

	if (att->attached) {
		/* an adopted program was swapped in by netlink, without libxdp */
		err = att->prog && !att->relink_attached ? xdp_program__detach(att->prog, att->ifindex,
						      att->generic ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0) :
				  -ENOENT;
		if (err)	/* libxdp cannot see programs by id without CAP_SYS_ADMIN */
			err = detach_unprivileged(att);
		att->attached = false;
		if (err) {
			/* replaced by a newer daemon (--replace): the pins are its now */
			pr_warn("%s: our XDP program is no longer attached (%s); leaving the "
				"pinned maps to whoever replaced it\n", att->ifname, strerror(-err));
			unpin = false;
		} else {
			pr_info("%s: XDP detached\n", att->ifname);
		}
	}
	if (unpin)
		pins_remove(att->pin_root_fd, att->pin_dir_fd, att->ifname, pinned_maps, N_PINNED);
	teardown(att);
}

int loader_prepare_relink(struct ntpd_attachment *att)
{
	const char *why;
	int err;

	if (att->relinked)
		return 0;
	err = open_skel(att, MAPS_HELD, &att->relinked, &why);
	if (err)
		pr_debug("%s: loading the program a relink attaches: %s\n", att->ifname, why);
	loader_trim_heap();
	return err;
}

int loader_relink(struct ntpd_attachment *att, int ifindex)
{
	/* no load here: after start-up the filter refuses one (and -u took
	 * CAP_BPF); loader_prepare_relink has logged why there is none */
	if (!att->relinked)
		return -ENOENT;
	/* the old program went with the old interface; ours is not bound to
	 * one, and the first object stays: its map fds are the ones the
	 * socket server and metrics hold */
	if (bpf_xdp_attach(ifindex, bpf_program__fd(att->relinked->progs.xdp_ntpd),
			   XDP_FLAGS_UPDATE_IF_NOEXIST |
			   (att->generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE), NULL))
		return -errno;
	att->relink_attached = true;
	att->ifindex = ifindex;
	return 0;
}

void loader_release(struct ntpd_attachment *att)
{
	if (att->attached)
		pr_info("%s: XDP left attached with its maps pinned (--keep-attached): it answers "
			"from the last state until that is stale, then unsynchronised; a new "
			"daemon with --replace takes over without a gap, `xdp-ntpd --detach -i "
			"%s` removes it\n", att->ifname, att->ifname);
	teardown(att);
}

int loader_detach_left(const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname), root_fd, dir_fd, pins, err;

	pins = pins_open(ifname, false, &root_fd, &dir_fd);
	err = ifindex ? find_ours(ifindex, true) : -ENODEV;
	if (!pins) {
		pins_remove(root_fd, dir_fd, ifname, pinned_maps, N_PINNED);
		close(dir_fd);
		close(root_fd);
	}
	if (err)
		pr_warn("%s: no xdp-ntpd program to detach (%s)\n", ifname, strerror(-err));
	else if (pins && pins != -ENOENT)
		pr_info("%s: XDP detached; its pins were left (%s)\n", ifname, strerror(-pins));
	else
		pr_info("%s: XDP detached, pins removed\n", ifname);
	return err;
}

int loader_read_counters(int counters_fd, struct ntpd_counters *out)
{
	int ncpus = libbpf_num_possible_cpus();
	struct ntpd_counters *percpu;
	__u32 zero = 0;
	int cpu, err = 0;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(counters_fd, &zero, percpu)) {
		err = -errno;
		goto cleanup;
	}
	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < ncpus; cpu++)
		stats_add(out, &percpu[cpu]);
cleanup:
	free(percpu);
	return err;
}

int loader_rate_table_fill(const struct ntpd_attachment *att, __u32 *entries, __u32 *capacity)
{
	struct ntpd_rate_key key, next;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), n = 0;
	void *prev = NULL;

	if (bpf_obj_get_info_by_fd(att->rate_fd, &info, &len))
		return -errno;
	/* a walk, bounded: under churn, evictions can restart it */
	while (n < 2 * info.max_entries && !bpf_map_get_next_key(att->rate_fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	*entries = n < info.max_entries ? n : info.max_entries;
	*capacity = info.max_entries;
	return 0;
}

int loader_open_pinned_counters(const char *ifname)
{
	int root_fd, dir_fd, fd;

	fd = pins_open(ifname, false, &root_fd, &dir_fd);
	if (fd)
		return fd;
	fd = pins_get(dir_fd, ifname, NTPD_MAP_COUNTERS);
	close(dir_fd);
	close(root_fd);
	return fd;
}
