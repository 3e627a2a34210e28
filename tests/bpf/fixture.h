/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The BPF suites' one fixture, as the kernel selftests' network_helpers.h
 * is theirs: open the skeleton, set its load-time knobs, load, map the
 * reference state, give the interface its addresses; run one frame
 * through BPF_PROG_TEST_RUN bracketed by CLOCK_TAI; read the per-CPU
 * counters and tell which one moved.  Used by every tests/bpf suite and by
 * the differential fuzzer.  Returns are 0 or -errno and never assert, so
 * a fuzzer or a thread may call them too.
 */
#ifndef NTPD_TEST_FIXTURE_H
#define NTPD_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "frames.h"
#include "ntpd_shared.h"
#include "xdp_ntpd.skel.h"

/* The addresses the suites' server has on the untagged interface. */
#define FIXTURE_SERVER4	"192.0.2.10"
#define FIXTURE_SERVER6	"2001:db8::10"

struct xdp_fixture {
	struct xdp_ntpd_bpf *skel;
	struct ntpd_ref_buffer *ref;	/* the mmap()ed ntpd_ref map */
	int prog_fd;
	int counters_fd;
};

/* Open the skeleton: f->skel's rodata and map sizes may be set until
 * fixture_load().  0 or -errno (f zeroed on failure). */
int fixture_open(struct xdp_fixture *f);

/* Load the program and map its reference state.  0 or -errno, with a
 * message naming the cause; the caller still calls fixture_close(). */
int fixture_load(struct xdp_fixture *f);

/* After fixture_open() (and whatever knobs): load, serve FIXTURE_SERVER4
 * and FIXTURE_SERVER6 untagged, publish `st` as fresh (its update_tai_ns
 * set to now).  0 or -errno. */
int fixture_load_serving(struct xdp_fixture *f, struct ntpd_ref_state *st);

void fixture_close(struct xdp_fixture *f);

/* One of our addresses (ntpd_local): `text` of `family` on VLAN path `vlan`
 * with NTPD_LOCAL_* `flags`, and the scanned lists rewritten from the whole
 * hash, as the daemon does.  0 or -errno. */
int fixture_add_local(const struct xdp_fixture *f, int family, const char *text, __u32 vlan,
		      __u8 flags);

/* The scanned lists (ntpd_local_scan) made the hash's content again, as
 * addrwatch writes them.  0 or -errno. */
int fixture_publish_scan(const struct xdp_fixture *f);

/* Write the live rate limits and list switches (ntpd_rate_cfg).  0 or -errno. */
int fixture_set_rate(const struct xdp_fixture *f, const struct ntpd_rate_config *cfg);

struct fixture_run {
	int verdict;			/* XDP_* */
	uint8_t out[FRAME_MAX];
	size_t out_len;
	__u64 tai_before, tai_after;	/* CLOCK_TAI bracketing the run */
};

/* One pass of the program over `in`.  0 or -errno. */
int fixture_run(const struct xdp_fixture *f, const uint8_t *in, size_t len, struct fixture_run *r);

/* The counters summed over every possible CPU.  0 or -errno. */
int fixture_read_counters(const struct xdp_fixture *f, struct ntpd_counters *sum);

/* The one packet counter that moved from `before` to `after`, by exactly
 * one; -1 when none moved, -2 when more did or one moved by more. */
int fixture_counter_moved(const struct ntpd_counters *before, const struct ntpd_counters *after);

/*
 * Run `in` and say which counter that run moved (fixture_counter_moved),
 * reading the counters around it.  0 or -errno.
 */
int fixture_run_counted(const struct xdp_fixture *f, const uint8_t *in, size_t len,
			struct fixture_run *r, int *moved);

#endif /* NTPD_TEST_FIXTURE_H */
