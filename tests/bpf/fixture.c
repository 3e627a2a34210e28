// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "localscan.h"
#include "refstate.h"

int fixture_open(struct xdp_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->prog_fd = f->counters_fd = -1;
	f->skel = xdp_ntpd_bpf__open();
	if (!f->skel) {
		int err = -errno;

		fprintf(stderr, "fixture: opening xdp_ntpd: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

int fixture_load(struct xdp_fixture *f)
{
	int err = xdp_ntpd_bpf__load(f->skel);

	if (err) {
		fprintf(stderr, "fixture: loading xdp_ntpd: %s\n", strerror(-err));
		return err;
	}
	f->prog_fd = bpf_program__fd(f->skel->progs.xdp_ntpd);
	f->counters_fd = bpf_map__fd(f->skel->maps.ntpd_counters);
	f->ref = refstate_mmap(bpf_map__fd(f->skel->maps.ntpd_ref));
	if (!f->ref) {
		err = -errno;
		fprintf(stderr, "fixture: mapping ntpd_ref: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

int fixture_load_serving(struct xdp_fixture *f, struct ntpd_ref_state *st)
{
	int err = fixture_load(f);

	err = err ?: fixture_add_local(f, AF_INET, FIXTURE_SERVER4, 0, NTPD_LOCAL_SERVE);
	err = err ?: fixture_add_local(f, AF_INET6, FIXTURE_SERVER6, 0, NTPD_LOCAL_SERVE);
	if (err)
		return err;
	st->update_tai_ns = refstate_tai_now_ns();
	refstate_publish(f->ref, st);
	return 0;
}

void fixture_close(struct xdp_fixture *f)
{
	if (f->ref)
		refstate_munmap(f->ref);
	xdp_ntpd_bpf__destroy(f->skel);
	memset(f, 0, sizeof(*f));
}

int fixture_add_local(const struct xdp_fixture *f, int family, const char *text, __u32 vlan,
		      __u8 flags)
{
	struct ntpd_local_addr k = { .vlan = vlan };

	if (family == AF_INET) {
		k.addr[10] = k.addr[11] = 0xff;
		if (inet_pton(AF_INET, text, &k.addr[12]) != 1)
			return -EINVAL;
	} else if (inet_pton(AF_INET6, text, k.addr) != 1) {
		return -EINVAL;
	}
	if (bpf_map_update_elem(bpf_map__fd(f->skel->maps.ntpd_local), &k, &flags, BPF_ANY))
		return -errno;
	return fixture_publish_scan(f);
}

int fixture_publish_scan(const struct xdp_fixture *f)
{
	int local_fd = bpf_map__fd(f->skel->maps.ntpd_local);
	struct ntpd_local_addr key, next;
	struct ntpd_local_scan scan = { 0 };
	void *prev = NULL;
	__u8 flags;

	while (bpf_map_get_next_key(local_fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(local_fd, &next, &flags))
			return -errno;
		localscan_add(&scan, &next, flags);
		key = next;
		prev = &key;
	}
	return localscan_publish(bpf_map__fd(f->skel->maps.ntpd_local_scan), &scan);
}

int fixture_set_rate(const struct xdp_fixture *f, const struct ntpd_rate_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(f->skel->maps.ntpd_rate_cfg), &zero, cfg,
				   BPF_ANY) ? -errno : 0;
}

int fixture_run(const struct xdp_fixture *f, const uint8_t *in, size_t len, struct fixture_run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .repeat = 1);
	int err;

	r->tai_before = refstate_tai_now_ns();
	err = bpf_prog_test_run_opts(f->prog_fd, &opts);
	r->tai_after = refstate_tai_now_ns();
	if (err)
		return err;
	r->verdict = (int)opts.retval;
	r->out_len = opts.data_size_out;
	return 0;
}

int fixture_read_counters(const struct xdp_fixture *f, struct ntpd_counters *sum)
{
	return loader_read_counters(f->counters_fd, sum);
}

int fixture_counter_moved(const struct ntpd_counters *before, const struct ntpd_counters *after)
{
	int i, which = -1;

	for (i = 0; i < NTPD_CNT_MAX; i++) {
		if (after->packets[i] == before->packets[i])
			continue;
		if (which >= 0 || after->packets[i] != before->packets[i] + 1)
			return -2;
		which = i;
	}
	return which;
}

int fixture_run_counted(const struct xdp_fixture *f, const uint8_t *in, size_t len,
			struct fixture_run *r, int *moved)
{
	struct ntpd_counters before, after;
	int err;

	err = fixture_read_counters(f, &before);
	err = err ?: fixture_run(f, in, len, r);
	err = err ?: fixture_read_counters(f, &after);
	if (!err)
		*moved = fixture_counter_moved(&before, &after);
	return err;
}
