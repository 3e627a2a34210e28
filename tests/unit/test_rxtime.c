// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel receive timestamps (userspace/rxtime.c), the one copy the socket
 * server and the agent use: a real datagram over loopback carries a stamp
 * between the clock read before sending and after receiving; the stamp is
 * found behind another control message; a datagram without one says so;
 * the two TAI conversions add the offset they are given.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "kclock.h"
#include "rxtime.h"

static __u64 realtime_ns(void)
{
	__u64 ns;

	assert_int_equal(kclock_now_ns(CLOCK_REALTIME, &ns), 0);
	return ns;
}

struct rx {
	int fd;
	struct msghdr msg;
	struct iovec iov;
	char data[64];
	union {
		char buf[RXTIME_CMSG_SPACE + CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctrl;
	__u64 rt_before, rt_after;	/* CLOCK_REALTIME around the exchange */
};

/* One datagram to ourselves on 127.0.0.1, with stamps (and IP_PKTINFO too
 * when `pktinfo`, so the stamp is not the only control message). */
static void loopback_datagram(struct rx *r, int pktinfo)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(rxtime_enable(r->fd), 0);
	if (pktinfo)
		assert_int_equal(setsockopt(r->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)), 0);
	r->rt_before = realtime_ns();
	assert_int_equal(sendto(r->fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)), 1);
	r->iov = (struct iovec){ .iov_base = r->data, .iov_len = sizeof(r->data) };
	r->msg = (struct msghdr){ .msg_iov = &r->iov, .msg_iovlen = 1,
				  .msg_control = r->ctrl.buf, .msg_controllen = sizeof(r->ctrl.buf) };
	/* blocking: the datagram is already queued on loopback */
	assert_int_equal(recvmsg(r->fd, &r->msg, 0), 1);
	r->rt_after = realtime_ns();
	assert_int_equal(r->msg.msg_flags & MSG_CTRUNC, 0);
}

static void test_stamp_within_the_exchange(void **state)
{
	struct rx r;
	__u64 rt;

	(void)state;
	loopback_datagram(&r, 0);
	assert_int_equal(rxtime_realtime_ns(&r.msg, &rt), 0);
	assert_true(rt >= r.rt_before && rt <= r.rt_after);
	close(r.fd);
}

static void test_stamp_behind_pktinfo(void **state)
{
	struct cmsghdr *first;
	struct rx r;
	__u64 rt;

	(void)state;
	loopback_datagram(&r, 1);
	first = CMSG_FIRSTHDR(&r.msg);
	assert_non_null(first);
	assert_non_null(CMSG_NXTHDR(&r.msg, first));	/* two messages: the loop walks */
	assert_int_equal(rxtime_realtime_ns(&r.msg, &rt), 0);
	assert_true(rt >= r.rt_before && rt <= r.rt_after);
	close(r.fd);
}

static void test_no_stamp(void **state)
{
	char data[1];
	struct iovec iov = { .iov_base = data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	__u64 rt = 12345;

	(void)state;
	assert_int_equal(rxtime_realtime_ns(&msg, &rt), -ENOENT);
	assert_int_equal(rt, 12345);
}

/* TAI = REALTIME + the offset: the state's for the socket server, the
 * kernel's for the agent (the same here, no leap pending). */
static void test_tai_conversions(void **state)
{
	struct ntpd_ref_state st = { .leap_sign = 0, .leap_tai_ns = NTPD_LEAP_NONE_TAI };
	struct rx r;
	__u64 rt;

	(void)state;
	assert_int_equal(kclock_tai_offset_ns(&st.tai_offset_ns), 0);
	loopback_datagram(&r, 1);
	assert_int_equal(rxtime_realtime_ns(&r.msg, &rt), 0);
	assert_int_equal(rxtime_tai_ns(&r.msg, &st), rt + (__u64)st.tai_offset_ns);
	assert_int_equal(rxtime_tai_ns_kernel(&r.msg), rt + (__u64)st.tai_offset_ns);
	close(r.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamp_within_the_exchange),
		cmocka_unit_test(test_stamp_behind_pktinfo),
		cmocka_unit_test(test_no_stamp),
		cmocka_unit_test(test_tai_conversions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
