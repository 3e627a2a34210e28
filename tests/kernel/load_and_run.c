// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Static test loader run as PID 1's child inside a throwaway VM by
 * tests/kernel/verify-6.1.sh: proves the BPF objects pass the verifier of
 * the kernel it runs on, then runs xdp_ntpd once with BPF_PROG_TEST_RUN on
 * a crafted IPv4 NTP client request and expects XDP_TX.
 *
 *   load_and_run XDP_NTPD_OBJ [EXTRA_OBJ...]
 *
 * Prints "KERNEL <release>", "LOAD <obj> OK|FAIL", "VERDICT <n>".  Exit 0
 * only if every object loaded and the verdict is XDP_TX.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ntpd_shared.h"

static int verbose;

/* Warnings only, unless a load failed and we retry with everything. */
static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose && level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static struct bpf_object *open_and_load(const char *path)
{
	struct bpf_object *obj;
	int err;

	for (int attempt = 0; attempt < 2; attempt++) {
		verbose = attempt;	/* second attempt: all levels, full log */
		obj = bpf_object__open_file(path, NULL);
		if (!obj) {
			fprintf(stderr, "open %s: %s\n", path, strerror(errno));
			continue;
		}
		err = bpf_object__load(obj);
		if (!err)
			return obj;
		fprintf(stderr, "load %s: %s (%d)%s\n", path, strerror(-err), err,
			attempt ? "" : "; retrying with full libbpf log");
		bpf_object__close(obj);
	}
	return NULL;
}

/* RFC 1071 sum of big-endian 16-bit words. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#define FRAME_LEN (14 + 20 + 8 + NTP_PACKET_LEN)
static const uint8_t SRC_IP[4] = { 198, 51, 100, 7 };
static const uint8_t DST_IP[4] = { 192, 0, 2, 10 };

/* Ethernet + IPv4 (IHL 5) + UDP 40123 -> 123 + NTPv4 mode 3, checksums valid. */
static void build_frame(uint8_t *f)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint8_t *ip = f + 14, *udp = ip + 20, *ntp = udp + 8;
	uint16_t c;

	memset(f, 0, FRAME_LEN);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0800);

	ip[0] = 0x45;
	put16(ip + 2, 20 + 8 + NTP_PACKET_LEN);
	put16(ip + 4, 0x1234);
	ip[8] = 57;			/* TTL */
	ip[9] = 17;			/* UDP */
	memcpy(ip + 12, SRC_IP, 4);
	memcpy(ip + 16, DST_IP, 4);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));

	put16(udp, 40123);
	put16(udp + 2, NTP_PORT_DEFAULT);
	put16(udp + 4, 8 + NTP_PACKET_LEN);
	ntp[0] = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT);
	ntp[2] = 6;			/* poll */
	memcpy(ntp + 40, "\xde\xad\xbe\xef\x12\x34\x56\x78", 8);	/* transmit ts */
	c = (uint16_t)~fold(sum16(udp, 8 + NTP_PACKET_LEN,
				  sum16(ip + 12, 8, 17 + 8 + NTP_PACKET_LEN)));
	put16(udp + 6, c ? c : 0xffff);
}

static int run_ntpd(struct bpf_object *obj)
{
	struct ntpd_local_addr key = { .addr = { [10] = 0xff, [11] = 0xff } };
	struct ntpd_ref_buffer ref = { 0 };
	struct bpf_program *prog;
	struct bpf_map *local, *refmap;
	uint8_t in[FRAME_LEN], out[FRAME_LEN + 64];
	struct timespec ts;
	__u8 one = 1;
	__u32 zero = 0;
	int err;

	prog = bpf_object__find_program_by_name(obj, "xdp_ntpd");
	local = bpf_object__find_map_by_name(obj, NTPD_MAP_LOCAL_ADDRS);
	refmap = bpf_object__find_map_by_name(obj, NTPD_MAP_REF_STATE);
	if (!prog || !local || !refmap) {
		fprintf(stderr, "program xdp_ntpd or maps %s/%s missing\n",
			NTPD_MAP_LOCAL_ADDRS, NTPD_MAP_REF_STATE);
		return -1;
	}

	memcpy(&key.addr[12], DST_IP, 4);
	if (bpf_map_update_elem(bpf_map__fd(local), &key, &one, BPF_ANY)) {
		perror("update " NTPD_MAP_LOCAL_ADDRS);
		return -1;
	}

	clock_gettime(CLOCK_TAI, &ts);
	ref.active = 0;
	ref.slot[0].seq = 2;
	ref.slot[0].state.update_tai_ns = (__u64)ts.tv_sec * NSEC_PER_SEC_U64 + (__u64)ts.tv_nsec;
	ref.slot[0].state.reference_ts = ((__u64)ts.tv_sec + NTP_UNIX_EPOCH_DELTA) << 32;
	ref.slot[0].state.refid = 0x0100007f;	/* 127.0.0.1, any four bytes do */
	ref.slot[0].state.leap = NTP_LEAP_NONE;
	ref.slot[0].state.stratum = 2;
	ref.slot[0].state.precision = -20;
	if (bpf_map_update_elem(bpf_map__fd(refmap), &zero, &ref, BPF_ANY)) {
		perror("update " NTPD_MAP_REF_STATE);
		return -1;
	}

	build_frame(in);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = sizeof(in),
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err) {
		fprintf(stderr, "BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		return -1;
	}
	printf("VERDICT %u (%s)\n", opts.retval, opts.retval == XDP_TX ? "XDP_TX" : "not XDP_TX");
	if (opts.data_size_out == FRAME_LEN) {
		const uint8_t *n = out + 14 + 20 + 8;

		printf("REPLY li_vn_mode=0x%02x stratum=%u precision=%d udp_sum=%s ip_sum=%s\n",
		       n[0], n[1], (int8_t)n[3],
		       fold(sum16(out + 34, 8 + NTP_PACKET_LEN,
				  sum16(out + 26, 8, 17 + 8 + NTP_PACKET_LEN))) == 0xffff ? "ok" : "BAD",
		       fold(sum16(out + 14, 20, 0)) == 0xffff ? "ok" : "BAD");
	}
	return opts.retval == XDP_TX ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct utsname u;
	int fail = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: %s XDP_NTPD_OBJ [EXTRA_OBJ...]\n", argv[0]);
		return 2;
	}
	uname(&u);
	printf("KERNEL %s\n", u.release);
	libbpf_set_print(print_fn);

	for (int i = 1; i < argc; i++) {
		struct bpf_object *obj = open_and_load(argv[i]);

		printf("LOAD %s %s\n", argv[i], obj ? "OK" : "FAIL");
		if (!obj) {
			fail = 1;
			continue;
		}
		if (i == 1 && run_ntpd(obj))
			fail = 1;
		bpf_object__close(obj);
	}
	return fail;
}
