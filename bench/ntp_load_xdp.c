// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ntp-load -X: the userspace half of the XDP answer counter. */
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "ntp_load_rx.h"
#include "bench/ntp_load_rx.skel.h"

static struct ntp_load_rx_bpf *skel;
static int rx_ifindex;
static int old_prog_fd = -1;	/* what was attached before us, put back at the end */
static bool attached;
static uint64_t *sent_map;
static uint8_t *seen_map;

static void *map_shared(struct bpf_map *map, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);

	return p == MAP_FAILED ? NULL : p;
}

int load_rx_open(int ifindex, uint32_t magic, bool ipv6, const uint8_t *server,
		 uint16_t port_be, bool kiss_invalid, uint64_t **sent_ns, uint8_t **seen)
{
	__u32 old_id = 0;
	int err;

	skel = ntp_load_rx_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->magic = magic;
	skel->rodata->server_port = port_be;
	skel->rodata->family6 = ipv6;
	skel->rodata->kiss_invalid = kiss_invalid;
	memcpy((void *)skel->rodata->server_addr, server, ipv6 ? 16 : 4);
	err = ntp_load_rx_bpf__load(skel);
	if (err)
		goto fail;
	*sent_ns = sent_map = map_shared(skel->maps.sent_ns, LOAD_SEQ_RING * sizeof(uint64_t));
	*seen = seen_map = map_shared(skel->maps.seen, LOAD_SEQ_RING / 8);
	if (!sent_map || !seen_map) {
		err = -errno;
		goto fail;
	}
	/* hold the program there now (bench/run's pass-through, say): once
	 * replaced, nothing else keeps it loaded */
	if (!bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &old_id) && old_id)
		old_prog_fd = bpf_prog_get_fd_by_id(old_id);
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.ntp_load_rx),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		goto fail;
	rx_ifindex = ifindex;
	attached = true;
	return 0;
fail:
	fprintf(stderr, "ntp-load: XDP answer counter: %s\n", strerror(-err));
	load_rx_close();
	return err;
}

void load_rx_set_step(uint64_t first_seq)
{
	__atomic_store_n(&skel->bss->step_first_seq, first_seq, __ATOMIC_RELEASE);
}

int load_rx_read(struct load_rx_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), c, i;
	struct load_rx_stats *per;
	__u32 zero = 0;

	if (ncpu <= 0)
		return -EINVAL;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &zero, per)) {
		free(per);
		return -errno;
	}
	for (c = 0; c < ncpu; c++) {
		sum->answered += per[c].answered;
		sum->late += per[c].late;
		sum->invalid += per[c].invalid;
		sum->duplicate += per[c].duplicate;
		sum->kiss += per[c].kiss;
		for (i = 0; i < LOAD_LAT_SLOTS; i++)
			sum->hist[i] += per[c].hist[i];
	}
	free(per);
	return 0;
}

void load_rx_close(void)
{
	if (attached) {
		if (old_prog_fd >= 0)
			bpf_xdp_attach(rx_ifindex, old_prog_fd, XDP_FLAGS_DRV_MODE, NULL);
		else
			bpf_xdp_detach(rx_ifindex, XDP_FLAGS_DRV_MODE, NULL);
		attached = false;
	}
	if (old_prog_fd >= 0)
		close(old_prog_fd);
	old_prog_fd = -1;
	if (sent_map)
		munmap(sent_map, LOAD_SEQ_RING * sizeof(uint64_t));
	if (seen_map)
		munmap(seen_map, LOAD_SEQ_RING / 8);
	sent_map = NULL;
	seen_map = NULL;
	ntp_load_rx_bpf__destroy(skel);
	skel = NULL;
}
