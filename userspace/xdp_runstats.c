// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "xdp_runstats.h"
#include "xdp_ntpd.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define BPF_STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

int xdp_run_stats_of_fd(int prog_fd, struct xdp_run_stats *out)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (prog_fd < 0)
		return -EBADF;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	out->run_time_ns = info.run_time_ns;
	out->run_cnt = info.run_cnt;
	return 0;
}

int xdp_run_stats_of(const struct ntpd_attachment *att, struct xdp_run_stats *out)
{
	const struct xdp_ntpd_bpf *skel = att->relink_attached ? att->relinked : att->skel;

	if (!att->attached || !skel)
		return -ENOENT;
	return xdp_run_stats_of_fd(bpf_program__fd(skel->progs.xdp_ntpd), out);
}

int xdp_run_stats_sysctl(void)
{
	FILE *f = fopen(BPF_STATS_SYSCTL, "re");
	int v = 0, err = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%d", &v) != 1)
		err = -EINVAL;
	fclose(f);
	return err ? err : v != 0;
}

void xdp_run_stats_json(json_t *path, const struct ntpd_attachment *att)
{
	struct xdp_run_stats rs;

	if (xdp_run_stats_of(att, &rs))
		return;
	json_object_set_new(path, "run_time_ns", json_integer((json_int_t)rs.run_time_ns));
	json_object_set_new(path, "run_count", json_integer((json_int_t)rs.run_cnt));
}
