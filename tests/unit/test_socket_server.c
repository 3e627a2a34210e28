// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The socket server (userspace/socket_server.c) doing what the verdict
 * ladder (bpf/ntp_verdict.h) says, end to end over loopback: one worker on
 * 127.0.0.1, clients on other 127/8 addresses, the policy in this process
 * (socket mode, no BPF).  A request's outcome is read from the counter that
 * moved and from what came back.
 *
 * "Nothing came back" is shown without a timeout: after the request's
 * counter moved, a request from another client is answered; the worker
 * sends each batch's replies before it reads the next batch, so by then a
 * reply to the first would be there.  Every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "client_policy.h"
#include "kclock.h"
#include "ntp_proto.h"
#include "refstate.h"
#include "socket_server.h"

#define WAIT_MS		5000	/* any wait: far beyond a loopback round trip */
#define SERVER		"127.0.0.1"
#define DENIED		"127.0.0.2"
#define REQ_XMT_TS	0x0123456789abcdefULL

struct fixture {
	struct ntpd_ref_buffer ref;
	struct client_policy *policy;
	struct socket_server *srv;
	struct sockaddr_in addr;	/* the server's */
	int denied_fd;			/* a socket bound to DENIED */
	int probes;			/* probe clients used so far */
};

static __u64 mono_ms(void)
{
	__u64 ns;

	kclock_now_ns(CLOCK_MONOTONIC, &ns);
	return ns / 1000000;
}

/* A UDP socket on `addr` port 0.  Asserting. */
static int client_socket(const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* A free port on SERVER: the kernel's choice for a socket closed again
 * (the server binds with SO_REUSEPORT, nothing else here takes ports). */
static __be16 free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = client_socket(SERVER);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return sin.sin_port;
}

/*
 * Start a server whose policy denies DENIED with kod-deny, every client a
 * bucket of 2 that does not refill during the test (1 per 1000 s), one in
 * 4 limited requests leaking.
 */
static int setup(void **state)
{
	static struct fixture f;
	struct ntpd_ref_state st = { .stratum = 2, .precision = -20 };
	struct socket_server_params p = { .threads4 = 1 };
	struct ntpd_policy pol;

	memset(&f, 0, sizeof(f));
	policy_defaults(&pol);
	policy_set_rate(&pol, POLICY_RATE_MIN, 2);
	pol.rate.leak_shift = 2;
	pol.rate.kod_deny = 1;
	pol.table_size = 64;
	assert_int_equal(policy_add_acl(&pol, DENIED "/32", NTPD_ACL_DENY), 0);
	assert_int_equal(client_policy_open(&f.policy, &pol, NULL), 0);

	/* the kernel's own offset: the server turns its REALTIME receive
	 * stamps into TAI with the state's */
	assert_int_equal(kclock_tai_offset_ns(&st.tai_offset_ns), 0);
	st.update_tai_ns = refstate_tai_now_ns();
	refstate_publish(&f.ref, &st);
	f.addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = free_port() };
	inet_pton(AF_INET, SERVER, &f.addr.sin_addr);
	memcpy(&p.listen4, &f.addr, sizeof(f.addr));
	p.cfg = (struct ntpd_config){
		.max_state_age_ns = NTPD_MAX_STATE_AGE_NS_DEFAULT,
		.poll_min = NTP_POLL_MIN_DEFAULT, .poll_max = NTP_POLL_MAX_DEFAULT,
	};
	p.ref = &f.ref;
	p.policy = f.policy;
	assert_int_equal(socket_server_start(&f.srv, &p), 0);
	f.denied_fd = client_socket(DENIED);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->denied_fd);
	socket_server_stop(f->srv);
	client_policy_close(f->policy);
	return 0;
}

static __u64 total(const struct ntpd_counters *c)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < NTPD_CNT_MAX; i++)
		n += c->packets[i];
	return n;
}

/* Send one client request from fd and wait (bounded) until the server has
 * counted it; the counter that moved.  Asserting exactly one moved. */
static int send_counted(struct fixture *f, int fd)
{
	struct ntp_packet req = { .li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT), .poll = 6,
				  .transmit_ts = htobe64(REQ_XMT_TS) };
	struct ntpd_counters before, after;
	__u64 deadline = mono_ms() + WAIT_MS;
	const struct timespec tick = { .tv_nsec = 1000000 };
	int i, moved = -1;

	socket_server_counters(f->srv, &before);
	assert_int_equal(sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&f->addr,
				sizeof(f->addr)), sizeof(req));
	do {
		socket_server_counters(f->srv, &after);
		if (total(&after) != total(&before))
			break;
		nanosleep(&tick, NULL);		/* polling a condition, bounded */
	} while (mono_ms() < deadline);
	assert_int_equal(total(&after) - total(&before), 1);
	for (i = 0; i < NTPD_CNT_MAX; i++)
		if (after.packets[i] != before.packets[i])
			moved = i;
	return moved;
}

/* A reply on fd within WAIT_MS: its length, the packet in *pkt; 0 if none. */
static ssize_t recv_reply(int fd, struct ntp_packet *pkt, int wait_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	__u8 buf[128];
	ssize_t n;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return 0;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n >= (ssize_t)sizeof(*pkt))
		memcpy(pkt, buf, sizeof(*pkt));
	return n < 0 ? 0 : n;
}

/* Nothing came back on fd: shown by a fresh client's answer arriving after. */
static void assert_no_reply(struct fixture *f, int fd)
{
	char addr[INET_ADDRSTRLEN];
	struct ntp_packet pkt;
	int probe;

	assert_true(f->probes < 250);
	f->probes++;
	assert_true(snprintf(addr, sizeof(addr), "127.0.1.%u", (unsigned int)(__u8)f->probes) <
		    (int)sizeof(addr));
	probe = client_socket(addr);
	assert_int_equal(send_counted(f, probe), NTPD_CNT_ANSWERED_V4);
	assert_int_equal(recv_reply(probe, &pkt, WAIT_MS), NTP_PACKET_LEN);
	close(probe);
	assert_int_equal(recv_reply(fd, &pkt, 0), 0);
}

static void assert_deny_kiss(int fd)
{
	struct ntp_packet pkt;

	assert_int_equal(recv_reply(fd, &pkt, WAIT_MS), NTP_PACKET_LEN);
	assert_int_equal(pkt.li_vn_mode, NTP_LI_VN_MODE(NTP_LEAP_UNSYNC, 4, NTP_MODE_SERVER));
	assert_int_equal(pkt.stratum, 0);
	assert_memory_equal(&pkt.refid, "DENY", 4);
	assert_int_equal(be64toh(pkt.origin_ts), REQ_XMT_TS);
}

/*
 * A denied client with kod-deny: a DENY kiss for each request its bucket
 * of 2 takes, then nothing for limited requests 1-3 (denied,
 * kod_rate_limited) and a kiss again for the 4th, the leak.  Never the
 * time: an over-limit denied request once went on to a full answer,
 * because the socket server judged "dropped" by a list of counters that
 * lacked this one.
 */
static void test_denied_client_over_its_bucket_gets_nothing(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(send_counted(f, f->denied_fd), NTPD_CNT_DENIED_KOD);
		assert_deny_kiss(f->denied_fd);
	}
	for (i = 1; i <= 3; i++) {
		assert_int_equal(send_counted(f, f->denied_fd), NTPD_CNT_DENIED_LIMITED);
		assert_no_reply(f, f->denied_fd);
	}
	assert_int_equal(send_counted(f, f->denied_fd), NTPD_CNT_DENIED_KOD);
	assert_deny_kiss(f->denied_fd);
}

/* An allowed client: the time twice, then dropped until the leak. */
static void test_allowed_client_limited_then_leaks(void **state)
{
	struct fixture *f = *state;
	struct ntp_packet pkt;
	int fd = client_socket("127.0.0.3"), i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(send_counted(f, fd), NTPD_CNT_ANSWERED_V4);
		assert_int_equal(recv_reply(fd, &pkt, WAIT_MS), NTP_PACKET_LEN);
		assert_int_equal(pkt.stratum, 2);
		assert_int_equal(be64toh(pkt.origin_ts), REQ_XMT_TS);
	}
	for (i = 1; i <= 3; i++) {
		assert_int_equal(send_counted(f, fd), NTPD_CNT_RATE_DROPPED);
		assert_no_reply(f, fd);
	}
	assert_int_equal(send_counted(f, fd), NTPD_CNT_RATE_LEAKED);
	assert_int_equal(recv_reply(fd, &pkt, WAIT_MS), NTP_PACKET_LEN);
	assert_int_equal(pkt.stratum, 2);
	close(fd);
}

/* each socket's receive buffer as the kernel reports it (twice what it holds) */
static int rcvbuf_of(int fd, void *arg)
{
	socklen_t len = sizeof(int);

	return getsockopt(fd, SOL_SOCKET, SO_RCVBUF, arg, &len) ? -errno : 0;
}

/*
 * The receive buffer asked for is the one the sockets get, beyond the
 * kernel's 208 KiB default: requests queue there while the scheduler holds
 * a thread off (at 15k/s on a loaded 2-core host the default overflowed).
 */
static void test_sockets_get_the_receive_buffer_asked_for(void **state)
{
	struct socket_server_params p = { .threads4 = 2, .rcvbuf_bytes = 8192 * 1024 };
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = free_port() };
	struct socket_server *srv = NULL;
	int got = 0;

	(void)state;
	inet_pton(AF_INET, SERVER, &addr.sin_addr);
	memcpy(&p.listen4, &addr, sizeof(addr));
	assert_int_equal(socket_server_open(&srv, &p), 0);
	assert_int_equal(socket_server_each_fd(srv, rcvbuf_of, &got), 0);
	/* past net.core.rmem_max (4 MiB here): SO_RCVBUFFORCE, as root */
	assert_true(got / 2 >= 8192 * 1024);
	socket_server_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_denied_client_over_its_bucket_gets_nothing),
		cmocka_unit_test(test_allowed_client_limited_then_leaks),
		cmocka_unit_test(test_sockets_get_the_receive_buffer_asked_for),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
