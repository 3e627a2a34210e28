// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The reference-state double buffer (userspace/refstate.c, the reader in
 * bpf/ntp_proto.h) on a plain in-memory struct ntpd_ref_buffer, and the
 * system-clock reference.  The concurrency test has a writer and a reader
 * thread and no sleeps or timing thresholds: every state the writer publishes
 * is derived from one counter, so any torn read is caught by the fields
 * disagreeing with each other.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <errno.h>
#include <cmocka.h>

#include "ntp_proto.h"
#include "refstate.h"

#define NS		1000000000ULL
#define NTP_DELTA	2208988800ULL	/* 1900 -> 1970, s */

/*
 * A state whose every field is a different function of n, so that a mix of
 * two states cannot pass for a third.  update_tai_ns is the key (n + 1, never
 * 0); the derived base fields are left as garbage: publish must derive them.
 */
static struct ntpd_ref_state make_state(__u64 n)
{
	struct ntpd_ref_state st;

	memset(&st, 0, sizeof(st));
	st.update_tai_ns = 1795000037000000000ULL + n * 1000003;
	st.reference_ts = n * 0x9E3779B97F4A7C15ULL;
	st.tai_offset_ns = 37 * (__s64)NS + (__s64)(n % 1000);
	st.correction_ns = -(__s64)(n * 7);
	st.root_delay = (__u32)(n * 3 + 1);
	st.root_dispersion = ~(__u32)n;
	st.refid = (__be32)(n ^ 0xA5A5A5A5U);
	st.leap = (__u8)(n & 3);
	st.stratum = (__u8)(n % 16 + 1);
	st.precision = (__s8)-(__s8)(n % 30);
	st.leap_sign = (__s8)((int)(n % 3) - 1);
	st.leap_kernel = (__s8)(n >> 8 & 1);
	st.leap_tai_ns = st.update_tai_ns + n * 997;
	st.base_tai_ns = ~n;
	st.base_ntp = n * 31;
	return st;
}

/* What a reader must see for make_state(n): the same, with the base derived */
static struct ntpd_ref_state published(__u64 n)
{
	struct ntpd_ref_state st = make_state(n);

	ntp_state_set_base(&st);
	return st;
}

/* -1 if st is not published(n) for the n its key names */
static long long state_index(const struct ntpd_ref_state *st)
{
	__u64 k = st->update_tai_ns - 1795000037000000000ULL, n = k / 1000003;
	struct ntpd_ref_state want;

	if (st->update_tai_ns < 1795000037000000000ULL || k % 1000003)
		return -1;
	want = published(n);
	return memcmp(st, &want, sizeof(want)) ? -1 : (long long)n;
}

static void publish_alternates_slots(void **state)
{
	struct ntpd_ref_buffer buf;
	struct ntpd_ref_state out, want;
	__u32 seq_before[2];
	unsigned n;

	(void)state;
	memset(&buf, 0, sizeof(buf));
	for (n = 1; n <= 6; n++) {
		struct ntpd_ref_state st = make_state(n);
		__u32 prev = buf.active;

		seq_before[0] = buf.slot[0].seq;
		seq_before[1] = buf.slot[1].seq;
		refstate_publish(&buf, &st);

		/* the other slot became active; the one readers held is intact */
		assert_int_equal(buf.active, prev ^ 1);
		assert_int_equal(buf.slot[buf.active].seq % 2, 0);
		assert_true(buf.slot[buf.active].seq > seq_before[buf.active]);
		assert_int_equal(buf.slot[prev].seq, seq_before[prev]);
		want = published(n);
		assert_memory_equal(&buf.slot[buf.active].state, &want, sizeof(want));
		if (n > 1) {
			want = published(n - 1);
			assert_memory_equal(&buf.slot[prev].state, &want, sizeof(want));
		}
		/* the caller's copy is not modified */
		want = make_state(n);
		assert_memory_equal(&st, &want, sizeof(want));

		/* the reader gets the latest */
		assert_int_equal(refstate_read(&buf, &out), 0);
		assert_int_equal(state_index(&out), n);
		assert_int_equal(ntpd_ref_read(&buf, &out), 0);
		assert_int_equal(state_index(&out), n);
	}
}

static void publish_derives_the_served_base(void **state)
{
	struct ntpd_ref_buffer buf;
	struct ntpd_ref_state st, out;

	(void)state;
	memset(&buf, 0, sizeof(buf));
	memset(&st, 0, sizeof(st));
	/* python3: TAI 1795000037.123456789 s - 37 s - 1234567 ns = unix
	 * 1795000000.122222222 s -> NTP 0xEEA805401F49F49E */
	st.update_tai_ns = 1795000037123456789ULL;
	st.tai_offset_ns = 37 * (__s64)NS;
	st.correction_ns = -1234567;
	st.base_tai_ns = 1;
	st.base_ntp = 2;
	refstate_publish(&buf, &st);
	assert_int_equal(refstate_read(&buf, &out), 0);
	assert_int_equal(out.base_tai_ns, 1795000037123456789ULL);
	assert_int_equal(out.base_ntp, 0xEEA805401F49F49EULL);
}

static void never_published_reads_as_stale(void **state)
{
	struct ntpd_ref_buffer buf;
	struct ntpd_ref_state out;

	(void)state;
	memset(&buf, 0, sizeof(buf));
	memset(&out, 0xFF, sizeof(out));
	assert_int_equal(refstate_read(&buf, &out), 0);
	assert_int_equal(out.update_tai_ns, 0);
	assert_false(ntp_state_fresh(&out, 1795000037000000000ULL, 10 * NS));
}

/* A writer stuck mid-write (odd seq) is never read through */
static void odd_sequence_is_never_served(void **state)
{
	struct ntpd_ref_buffer buf;
	struct ntpd_ref_state st = make_state(1), out;

	(void)state;
	memset(&buf, 0, sizeof(buf));
	refstate_publish(&buf, &st);
	buf.slot[buf.active].seq |= 1;
	assert_int_equal(ntpd_ref_read(&buf, &out), -1);
	assert_int_equal(refstate_read(&buf, &out), -EAGAIN);
	buf.slot[buf.active].seq += 1;	/* the write completes */
	assert_int_equal(refstate_read(&buf, &out), 0);
	assert_int_equal(state_index(&out), 1);
}

/* ---- concurrency ---------------------------------------------------------- */

#define WRITES 1000000

struct race {
	struct ntpd_ref_buffer buf;
	int reader_ready;
	int writer_done;
	/* reader's findings */
	__u64 reads, busy, torn, backwards;
	long long last_seen;
	struct ntpd_ref_state first_torn;
};

static void *writer(void *arg)
{
	struct race *r = arg;
	__u64 n;

	/* start only once the reader is spinning, so the two overlap */
	while (!__atomic_load_n(&r->reader_ready, __ATOMIC_ACQUIRE))
		;
	for (n = 1; n <= WRITES; n++) {
		struct ntpd_ref_state st = make_state(n);

		refstate_publish(&r->buf, &st);
	}
	__atomic_store_n(&r->writer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *reader(void *arg)
{
	struct race *r = arg;
	struct ntpd_ref_state out, zero;
	int done;

	memset(&zero, 0, sizeof(zero));
	__atomic_store_n(&r->reader_ready, 1, __ATOMIC_RELEASE);
	do {
		long long idx;

		done = __atomic_load_n(&r->writer_done, __ATOMIC_ACQUIRE);
		if (refstate_read(&r->buf, &out)) {
			r->busy++;	/* lapped 1000 times: allowed, never torn */
			continue;
		}
		r->reads++;
		if (out.update_tai_ns == 0)	/* before the first publish: all zero */
			idx = memcmp(&out, &zero, sizeof(out)) ? -1 : 0;
		else
			idx = state_index(&out);
		if (idx < 0) {
			if (!r->torn++)
				r->first_torn = out;
			continue;
		}
		if (idx < r->last_seen)
			r->backwards++;
		r->last_seen = idx;
	} while (!done);	/* one more full read after the writer finished */
	return NULL;
}

static void concurrent_reads_are_never_torn(void **state)
{
	static struct race r;	/* zeroed: nothing published yet */
	pthread_t w, rd;

	(void)state;
	assert_int_equal(pthread_create(&rd, NULL, reader, &r), 0);
	assert_int_equal(pthread_create(&w, NULL, writer, &r), 0);
	assert_int_equal(pthread_join(w, NULL), 0);
	assert_int_equal(pthread_join(rd, NULL), 0);

	print_message("%llu reads, %llu lapped, last seen %lld of %d\n",
		      (unsigned long long)r.reads, (unsigned long long)r.busy,
		      r.last_seen, WRITES);
	if (r.torn)
		fail_msg("%llu torn states, first with update_tai_ns %llu",
			 (unsigned long long)r.torn,
			 (unsigned long long)r.first_torn.update_tai_ns);
	assert_int_equal(r.backwards, 0);
	/* the reader's last read began after the writer finished */
	assert_int_equal(r.last_seen, WRITES);
}

/* Publish from two slots while the reader holds one: a reader that copied the
 * slot the writer comes round to must see the sequence change. */
static void reader_detects_lapping_writer(void **state)
{
	struct ntpd_ref_buffer buf;
	struct ntpd_ref_state st, out;
	__u32 idx, seq;

	(void)state;
	memset(&buf, 0, sizeof(buf));
	st = make_state(1);
	refstate_publish(&buf, &st);
	/* the reader's first half: it picks the active slot and its seq */
	idx = buf.active;
	seq = buf.slot[idx].seq;
	/* the writer publishes twice, so the second write lands in that slot */
	st = make_state(2);
	refstate_publish(&buf, &st);
	st = make_state(3);
	refstate_publish(&buf, &st);
	assert_int_equal(buf.active, idx);
	assert_int_not_equal(buf.slot[idx].seq, seq);	/* what the re-check compares */
	assert_int_equal(refstate_read(&buf, &out), 0);
	assert_int_equal(state_index(&out), 3);
}

/* ---- the system clock as a reference -------------------------------------- */

static __u64 realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * NS + (__u64)ts.tv_nsec;
}

/* NTP 32.32 of a unix ns count, by one 128-bit division */
static __u64 ref_ntp_ts(__u64 unix_ns)
{
	unsigned __int128 t = ((unsigned __int128)unix_ns << 32) / NS;

	return (__u64)t + (NTP_DELTA << 32);
}

static void system_clock_reference(void **state)
{
	struct ntpd_ref_state st;
	struct timex tx = { 0 }, tx_before = { 0 };
	__u64 before, after, rt_before, rt_after, unix_ns, want;
	int clock_state, clock_state_before;

	(void)state;
	memset(&st, 0xEE, sizeof(st));
	clock_state_before = adjtimex(&tx_before);
	rt_before = realtime_ns();
	before = refstate_tai_now_ns();
	assert_int_equal(refstate_from_system_clock(&st, 7), 0);
	after = refstate_tai_now_ns();
	rt_after = realtime_ns();
	clock_state = adjtimex(&tx);

	assert_int_equal(st.stratum, 7);
	assert_memory_equal(&st.refid, "LOCL", 4);
	assert_true(st.precision >= -30 && st.precision <= 0);	/* 1 s .. 1 ns */
	assert_in_range(st.leap, NTP_LEAP_NONE, NTP_LEAP_DELETE);	/* never "unsync" */
	assert_int_equal(st.root_delay, 0);
	assert_int_equal(st.correction_ns, 0);

	/* the update time is CLOCK_TAI, taken inside the call */
	assert_true(before <= st.update_tai_ns);
	assert_true(st.update_tai_ns <= after);

	/* whole seconds of TAI - UTC; 0 when nobody told the kernel, 37 today */
	assert_int_equal(st.tai_offset_ns % (__s64)NS, 0);
	assert_in_range(st.tai_offset_ns / (__s64)NS, 0, 100);
	assert_int_equal(st.tai_offset_ns, (__s64)tx.tai * (__s64)NS);
	/* CLOCK_TAI - offset is CLOCK_REALTIME: inside the realtime bracket */
	unix_ns = st.update_tai_ns - (__u64)st.tai_offset_ns;
	assert_true(rt_before <= unix_ns);
	assert_true(unix_ns <= rt_after);

	/* the reference timestamp is the update time, served as UTC */
	want = ref_ntp_ts(unix_ns);
	assert_true(st.reference_ts == want || st.reference_ts + 1 == want ||
		    st.reference_ts == want + 1);
	assert_int_equal(st.reference_ts >> 32, want >> 32);

	/* An unsynchronised clock is its own reference: no dispersion, rather
	 * than the kernel's 16 s "no idea".  A synchronised one: the kernel's
	 * maximum error, which only grows between our two adjtimex calls. */
	assert_true(clock_state_before >= 0 && clock_state >= 0);
	if (clock_state_before == TIME_ERROR && clock_state == TIME_ERROR) {
		assert_int_equal(st.root_dispersion, 0);
	} else if (clock_state_before != TIME_ERROR && clock_state != TIME_ERROR &&
		   tx.maxerror >= tx_before.maxerror) {
		assert_in_range(st.root_dispersion,
				ntp_short_from_ns((__u64)tx_before.maxerror * 1000),
				ntp_short_from_ns((__u64)tx.maxerror * 1000));
	}	/* else the clock changed state under us: nothing to compare */
}

/* The time a reader serves from a fresh system-clock state, published through
 * the buffer, is within a whole round of CLOCK_REALTIME. */
static void system_clock_state_serves_realtime(void **state)
{
	struct ntpd_ref_buffer buf;
	struct ntpd_ref_state st, out;
	__u64 rt_before, rt_after, tai, served_lo, served_hi, got;

	(void)state;
	memset(&buf, 0, sizeof(buf));
	assert_int_equal(refstate_from_system_clock(&st, 10), 0);
	refstate_publish(&buf, &st);
	assert_int_equal(refstate_read(&buf, &out), 0);

	rt_before = realtime_ns();
	tai = refstate_tai_now_ns();
	rt_after = realtime_ns();
	assert_true(ntp_state_fresh(&out, tai, NTPD_MAX_STATE_AGE_NS_DEFAULT));
	got = ntp_served_ts(&out, tai);
	served_lo = ref_ntp_ts(rt_before);
	served_hi = ref_ntp_ts(rt_after);
	assert_true(got + 1 >= served_lo);
	assert_true(got <= served_hi + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(publish_alternates_slots),
		cmocka_unit_test(publish_derives_the_served_base),
		cmocka_unit_test(never_published_reads_as_stale),
		cmocka_unit_test(odd_sequence_is_never_served),
		cmocka_unit_test(reader_detects_lapping_writer),
		cmocka_unit_test(concurrent_reads_are_never_torn),
		cmocka_unit_test(system_clock_reference),
		cmocka_unit_test(system_clock_state_serves_realtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
