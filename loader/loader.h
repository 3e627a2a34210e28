/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Attaching the XDP responder to one interface: libxdp (so we share the
 * interface with other XDP programs through its dispatcher), native mode
 * first, then generic; maps pinned under NTPD_PIN_ROOT/<ifname>/.
 */
#ifndef NTPD_LOADER_H
#define NTPD_LOADER_H

#include <net/if.h>
#include <stdbool.h>
#include <sys/types.h>

#include "ntpd_shared.h"

enum ntpd_xdp_mode {
	NTPD_XDP_AUTO,		/* native, else generic, else socket only */
	NTPD_XDP_NATIVE,
	NTPD_XDP_GENERIC,
	NTPD_XDP_SOCKET,	/* no XDP at all */
};

struct xdp_ntpd_bpf;
struct xdp_program;

struct ntpd_attachment {
	char ifname[IF_NAMESIZE];
	int ifindex;
	bool attached;
	bool generic;			/* attached in generic (skb) mode */
	bool adopted;			/* swapped in over a running program, its maps reused */
	struct ntpd_config cfg;		/* load-time knobs, for every load (attach, replace, relink) */
	__u32 rate_table_size;		/* entries of a rate table created by our load */
	struct xdp_ntpd_bpf *relinked;	/* plain XDP, on the same maps, for a relink */
	bool relink_attached;		/* relinked is the program attached now */
	struct xdp_ntpd_bpf *skel;
	struct xdp_program *prog;
	struct ntpd_ref_buffer *ref;	/* mmap of the ref-state map */
	/* the map fds below are the first object's: -1 once detached or released */
	int counters_fd;
	int local_addrs_fd;
	int local_scan_fd;		/* the same set as scanned lists (localscan.h) */
	int rate_cfg_fd;		/* rate limits and list switches */
	int rate_fd;			/* the per-client table */
	int acl4_fd, acl6_fd;
	int link_fd;			/* the interface's MAC (struct ntpd_link) */
	int vlans_fd;			/* its VLAN devices, by NTPD_VLAN_PATH */
	char pin_dir[128];		/* NTPD_PIN_ROOT/<ifname>, for messages */
	int pin_root_fd;		/* NTPD_PIN_ROOT, checked (loader/pins.h) */
	int pin_dir_fd;			/* pin_dir, checked: every pin goes through it */
};

/* "auto"/"native"/"generic"/"socket" -> mode; -EINVAL on anything else. */
int loader_parse_mode(const char *name, enum ntpd_xdp_mode *mode);
const char *loader_mode_name(enum ntpd_xdp_mode mode);

/*
 * Load and attach to `ifname` in `mode` (native or generic, or auto: native
 * then generic), pin the maps and map the reference state.  When our program
 * is already attached there, replace it if `replace`, else refuse (-EEXIST).
 * The rate table gets `rate_table_size` entries.
 * Returns 0 or -errno, having logged each attempt's reason.
 */
int loader_attach(struct ntpd_attachment *att, const char *ifname,
		  enum ntpd_xdp_mode mode, const struct ntpd_config *cfg, bool replace,
		  __u32 rate_table_size);

/*
 * Detach, unpin and free; safe on a never-attached attachment.  When our
 * program is already attached and `replace` is set, loader_attach swaps the
 * new program in over it on the same pinned maps (no gap, state and
 * counters kept), or, when that cannot be done, detaches it first.
 */
void loader_detach(struct ntpd_attachment *att);

/* Free our handles but leave the program attached and its maps pinned
 * (--keep-attached: a restart with --replace takes over without a gap). */
void loader_release(struct ntpd_attachment *att);

/* `xdp-ntpd --detach`: remove a program some earlier daemon left behind,
 * and its pins.  0, or -ENOENT/-ENODEV when there was none. */
int loader_detach_left(const char *ifname);

/*
 * The interface was deleted and one of the same name now exists at
 * `ifindex`: load the program again on the same maps (the fds every other
 * thread holds stay valid) and attach it there.  0 or -errno.
 */
int loader_relink(struct ntpd_attachment *att, int ifindex);

/*
 * Load, before the privilege drop, the program a relink will attach (plain
 * XDP type, on the same maps), so that the relink itself only attaches it:
 * CAP_NET_ADMIN, no CAP_BPF, no program load, no kernel BTF (absent under
 * -r).  One program serves every later relink.  0 or -errno.
 */
int loader_prepare_relink(struct ntpd_attachment *att);

/* Hand the pinned maps to the user we will run as, so it can unpin them. */
int loader_chown_pins(const struct ntpd_attachment *att, uid_t uid, gid_t gid);

/* Make sure a BPF filesystem is mounted at /sys/fs/bpf. 0 or -errno. */
int loader_ensure_bpffs(void);

/* Sum the per-CPU counters behind `counters_fd` into *out. 0 or -errno. */
int loader_read_counters(int counters_fd, struct ntpd_counters *out);

/* Clients in the rate table now, and its size.  0 or -errno. */
int loader_rate_table_fill(const struct ntpd_attachment *att, __u32 *entries, __u32 *capacity);

/* Open the pinned counter map of `ifname` (for --stats). fd or -errno. */
int loader_open_pinned_counters(const char *ifname);

#endif /* NTPD_LOADER_H */
