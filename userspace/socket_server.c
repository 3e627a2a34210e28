// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "socket_server.h"
#include "kclock.h"
#include "log.h"
#include "ntp_auth.h"
#include "nts_ntp.h"
#include "ntp_verdict.h"	/* and ntp_proto.h under it */
#include "local_addrs.h"
#include "packet_ring.h"
#include "refstate.h"
#include "reqlog.h"
#include "rxtime.h"
#include "stats.h"
#include "testhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32

enum reply_kind {
	REPLY_NONE,
	REPLY_PLAIN,	/* 48 bytes */
	REPLY_SIGNED,	/* 48 bytes + keyid + MAC with the request's key */
	REPLY_NAK,	/* crypto-NAK: 48 bytes + a zero keyid (RFC 5905 7.4) */
	REPLY_CONTROL,	/* a mode-6 response (mode6.c), reply_len bytes */
	REPLY_NTS,	/* NTS fields after the header (nts_ntp.c) */
};
/* room for a request with extension fields and a MAC; longer is not NTP */
#define RX_BUF_LEN 1024
/* an idle worker still wakes this often, to show the watchdog it is alive */
#define IDLE_WAKE_S 1
/* a request's control messages: its receive stamp and where it was sent */
#define RX_CTRL_LEN (RXTIME_CMSG_SPACE + CMSG_SPACE(sizeof(struct in6_pktinfo)))
/* a reply's: the address and interface it leaves from */
#define TX_CTRL_LEN CMSG_SPACE(sizeof(struct in6_pktinfo))

/* Where a request was sent: the reply leaves from there (chronyd's socket
 * per server is connected, and drops an answer from any other address). */
union dest_info {
	struct in_pktinfo v4;
	struct in6_pktinfo v6;
};

struct worker {
	struct socket_server *srv;
	pthread_t thread;
	bool started;
	int fd;
	int family;
	/* written by this thread only; read racily for stats, like per-CPU maps */
	struct ntpd_counters counters;
	__u64 send_errors;		/* answers built and counted whose sendmsg failed */
	__u64 heartbeat_ns;		/* CLOCK_MONOTONIC of the latest pass, atomic */
	__u32 rng;			/* xorshift state: request log sampling */
	__u64 pass_ns;			/* CLOCK_MONOTONIC at the start of the latest pass */
	int last_n;			/* datagrams the latest read got */
	__u64 rx_tai[BATCH];		/* receive time of each answered request */
	__u64 rx_realtime[BATCH];	/* the kernel's stamp of each; 0: none */
	/* the packet ring (--socket-ring), IPv4 workers only; ring.ready false: none */
	struct packet_ring ring;
	struct ntpd_counters ring_counters;	/* what the ring's requests came to */
	__u64 ring_drops;		/* frames the kernel dropped, every block ours */
	unsigned int ring_wakes;
	__u8 tx_frame[RX_BUF_LEN + 64];	/* a ring answer's frame */
	/* per-thread buffers: nothing is allocated per packet */
	struct mmsghdr rx[BATCH];
	struct mmsghdr tx[BATCH];
	struct iovec rx_iov[BATCH];
	struct iovec tx_iov[BATCH];
	struct sockaddr_storage peer[BATCH];
	const struct ntp_key *reply_key[BATCH];
	struct nts_ef_reply nts[BATCH];
	enum reply_kind reply[BATCH];
	size_t reply_len[BATCH];	/* REPLY_CONTROL's length */
	union dest_info dest[BATCH];
	bool have_dest[BATCH];
	__u8 buf[BATCH][RX_BUF_LEN];
	/* unions: cmsg buffers must be aligned for struct cmsghdr */
	union {
		char buf[RX_CTRL_LEN];
		struct cmsghdr align;
	} ctrl[BATCH];
	union {
		char buf[TX_CTRL_LEN];
		struct cmsghdr align;
	} tx_ctrl[BATCH];
};

struct socket_server {
	struct socket_server_params params;
	struct worker *workers;
	int n_workers;
	int n4;			/* workers[0..n4) are IPv4 */
	volatile bool stopping;
	struct packet_ring_params ring;	/* with --socket-ring */
	bool ring_subscribed;		/* to the address set's publishes */
	bool warned_no_stamps;	/* said once per server, not per socket */
	bool warned_rcvbuf;
};

static __u64 mono_ns(void)
{
	__u64 ns;

	kclock_now_ns(CLOCK_MONOTONIC, &ns);
	return ns;
}

/*
 * Busy polling: a read with nothing queued spins on the device queue for
 * up to `us` instead of sleeping (SO_PREFER_BUSY_POLL: and the queue's
 * interrupts stay off while it does).  Raising it above the
 * net.core.busy_read sysctl needs CAP_NET_ADMIN, which binding has.
 */
static int set_busy_poll(int fd, unsigned int us)
{
	int v = (int)us, one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &v, sizeof(v)) ||
	       setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one));
}

/*
 * The receive buffer asked for: SO_RCVBUFFORCE goes past net.core.rmem_max
 * (CAP_NET_ADMIN, which start-up has), else SO_RCVBUF up to it.  Less than
 * asked is worth a line, not a refusal: the socket serves either way.
 */
static void set_rcvbuf(struct socket_server *srv, int fd, unsigned int bytes)
{
	int v = (int)bytes, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	/* the kernel doubles what it is given (its own bookkeeping) */
	if (!getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) && got / 2 < v &&
	    !srv->warned_rcvbuf) {
		srv->warned_rcvbuf = true;
		pr_warn("socket server: receive buffer %d KiB, not the %u asked for "
			"(net.core.rmem_max, and no CAP_NET_ADMIN to exceed it)\n",
			got / 2 / 1024, bytes / 1024);
	}
}

static int open_socket(struct socket_server *srv, const struct sockaddr_storage *addr)
{
	socklen_t len = addr->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						      sizeof(struct sockaddr_in6);
	const struct timeval idle = { .tv_sec = IDLE_WAKE_S };
	char text[INET6_ADDRSTRLEN] = "?";
	int one = 1, fd, err;

	fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    (addr->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))))
		goto fail;
	/* each request's destination, so that its reply leaves from it and a
	 * request to a broadcast or multicast address can be told apart */
	if (addr->ss_family == AF_INET ?
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) :
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))
		goto fail;
	/* without kernel stamps (qemu-user has none) the receive time is read
	 * after recvmmsg returns: later by the batch's wait, so say so */
	err = rxtime_enable(fd);
	if (err && !srv->warned_no_stamps) {
		srv->warned_no_stamps = true;
		pr_warn("socket server: no kernel receive timestamps (SO_TIMESTAMPNS: %s); "
			"receive times are read after recvmmsg\n", strerror(-err));
	}
	if (srv->params.rcvbuf_bytes)
		set_rcvbuf(srv, fd, srv->params.rcvbuf_bytes);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)) ||
	    bind(fd, (const struct sockaddr *)addr, len))
		goto fail;
	if (srv->params.busy_poll_us && set_busy_poll(fd, srv->params.busy_poll_us))
		goto fail;
	return fd;
fail:
	err = -errno;
	inet_ntop(addr->ss_family,
		  addr->ss_family == AF_INET ?
			  (const void *)&((const struct sockaddr_in *)addr)->sin_addr :
			  (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr,
		  text, sizeof(text));
	pr_warn("socket server: cannot listen on %s port %u: %s\n", text,
		ntohs(((const struct sockaddr_in *)addr)->sin_port), strerror(-err));
	close(fd);
	return err;
}

/* The request's destination from its control messages; false without one. */
static bool rx_dest(struct msghdr *msg, union dest_info *dest)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			memcpy(&dest->v4, CMSG_DATA(cm), sizeof(dest->v4));
			return true;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&dest->v6, CMSG_DATA(cm), sizeof(dest->v6));
			return true;
		}
	}
	return false;
}

/*
 * Sent to a group, not to us: IPv4 limited broadcast or multicast, a
 * subnet broadcast (the kernel then names one of our addresses as the
 * reply's source, ipi_spec_dst, unlike ipi_addr; for a local unicast
 * destination the two are the same), or IPv6 multicast.  An answer would
 * go to every member's request at once; NTP's broadcast mode is not ours.
 */
static bool to_group(int family, const union dest_info *d)
{
	if (family == AF_INET)
		return d->v4.ipi_addr.s_addr == htonl(INADDR_BROADCAST) ||
		       IN_MULTICAST(ntohl(d->v4.ipi_addr.s_addr)) ||
		       d->v4.ipi_addr.s_addr != d->v4.ipi_spec_dst.s_addr;
	return IN6_IS_ADDR_MULTICAST(&d->v6.ipi6_addr);
}

static bool bad_peer(const struct sockaddr_storage *peer)
{
	if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;

		/* the kernel already refuses martian loopback from the wire */
		return sin->sin_port == 0 || ntp_bad_source_v4(sin->sin_addr.s_addr, 1);
	}
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)peer;

	return sin6->sin6_port == 0 || ntp_bad_source_v6(sin6->sin6_addr.s6_addr, 1);
}

static const void *peer_addr(const struct sockaddr_storage *peer)
{
	if (peer->ss_family == AF_INET)
		return &((const struct sockaddr_in *)peer)->sin_addr;
	return &((const struct sockaddr_in6 *)peer)->sin6_addr;
}

/*
 * The checks that read only the datagram, its peer and its destination.
 * NTP_REQ_ANSWER, or the counter of why not (no answer either way).
 */
static __u32 screen_datagram(struct worker *w, int i, unsigned int len)
{
	const struct ntp_packet *pkt = (const struct ntp_packet *)w->buf[i];

	if (len < NTP_PACKET_LEN)
		return NTPD_CNT_PASS_TRUNCATED;
	if (bad_peer(&w->peer[i]))
		return NTPD_CNT_DROP_BAD_SOURCE;
	/* the XDP program's reason for a destination that is not one of ours */
	if (w->have_dest[i] && to_group(w->family, &w->dest[i]))
		return NTPD_CNT_PASS_NOT_LOCAL;
	/* sin_port and sin6_port sit at the same offset */
	return ntp_classify_request_port(pkt->li_vn_mode,
					 ((const struct sockaddr_in *)&w->peer[i])->sin_port);
}

/*
 * A control message (mode 6): the same screening of peer and destination
 * as a request, then mode6.c answers it, or counts why not.
 */
static __u32 handle_control(struct worker *w, int i, unsigned int len,
			    const struct ntpd_ref_state *st, int have_state)
{
	__u64 now = refstate_tai_now_ns();

	if (!w->srv->params.mode6 || bad_peer(&w->peer[i]))
		return NTPD_CNT_DROP_MODE_CONTROL;
	if (w->have_dest[i] && to_group(w->family, &w->dest[i]))
		return NTPD_CNT_DROP_MODE_CONTROL;
	return mode6_answer(w->srv->params.mode6, w->family, peer_addr(&w->peer[i]), w->buf[i],
			    len, have_state ? st : NULL,
			    have_state && ntp_state_fresh(st, now, w->srv->params.cfg.max_state_age_ns),
			    now, w->buf[i], &w->reply_len[i]);
}

/*
 * Decide on one datagram (its bytes in w->buf[i], its source in
 * w->peer[i], its destination and receive stamp already taken out by the
 * path that read it: rx_dest / the ring); on answer it becomes the finished response in
 * place (transmit timestamp and MAC excepted: finish_reply) and
 * w->reply[i] says what kind.  Returns the counter to bump.
 *
 * The order is the cost an attacker can make us pay: checks that read only
 * the packet first, then the rate limit, and only for a request that will
 * get a real answer the MAC, so a flood of bad MACs is limited like any
 * other instead of buying a digest per packet.  The verdicts are the XDP
 * program's (bpf/ntp_verdict.h).
 */
static __u32 handle_datagram(struct worker *w, int i, unsigned int len,
			     const struct ntpd_ref_state *st, int have_state)
{
	struct ntp_packet *pkt = (struct ntp_packet *)w->buf[i];
	const struct ntpd_config *cfg = &w->srv->params.cfg;
	enum ntp_answer_kind kind;
	enum ntp_auth_verdict auth;
	struct ntp_verdict v;
	__be32 kiss;
	__u64 rx_tai;
	__u32 reason;
	int fresh;

	w->reply[i] = REPLY_NONE;
	if (len >= 1 && NTP_MODE(w->buf[i][0]) == NTP_MODE_CONTROL) {
		reason = handle_control(w, i, len, st, have_state);
		if (reason == NTPD_CNT_CONTROL_ANSWERED)
			w->reply[i] = REPLY_CONTROL;
		return reason;
	}
	reason = screen_datagram(w, i, len);
	if (reason != NTP_REQ_ANSWER)
		return reason;
	/* Never a reply larger than the request, and nothing but a crypto-NAK
	 * for a key we do not have (RFC 5905 7.4, RFC 7822). */
	auth = ntp_auth_lookup(w->srv->params.keys, w->buf[i], len, &w->reply_key[i]);
	if (auth == NTP_AUTH_UNSUPPORTED) {
		reason = nts_ntp_screen(w->buf[i], len, &w->nts[i]);
		if (reason != NTP_REQ_ANSWER)
			return reason;
	}
	/* the last stop: a stale state is answered as such, never passed on */
	v = ntp_state_verdict(have_state, 1, 0);
	if (v.action == NTP_ACT_PASS)
		return v.counter;

	rx_tai = rxtime_realtime_to_tai(w->rx_realtime[i], st);
	w->rx_tai[i] = rx_tai;
	/* the one charge for this request: XDP charges only what it answers */
	v = client_policy_check(w->srv->params.policy, w->family, peer_addr(&w->peer[i]), rx_tai);
	if (v.action == NTP_ACT_DROP)
		return v.counter;
	kiss = ntp_verdict_kiss(v);
	if (kiss) {
		/* the kiss is never signed: it is no answer a client may trust */
		ntp_fill_kod(pkt, st, cfg, rx_tai, kiss);
		w->reply[i] = REPLY_PLAIN;
		return v.counter;
	}
	if (auth == NTP_AUTH_UNSUPPORTED) {	/* NTS: its crypto after the policy */
		bool answer;

		reason = nts_ntp_answer(w->buf[i], len, &w->nts[i], st, cfg, rx_tai, &answer);
		w->reply[i] = answer ? REPLY_NTS : REPLY_NONE;
		return reason;
	}
	if (auth == NTP_AUTH_OK)
		auth = ntp_auth_verify(w->reply_key[i], w->buf[i], len);
	if (auth == NTP_AUTH_BAD_MAC)
		return NTPD_CNT_DROP_BAD_MAC;
	fresh = ntp_state_fresh(st, rx_tai, cfg->max_state_age_ns);
	ntp_fill_response(pkt, st, cfg, rx_tai, fresh);
	kind = auth == NTP_AUTH_UNKNOWN_KEY ? NTP_ANSWER_NAK :
	       auth == NTP_AUTH_OK	    ? NTP_ANSWER_SIGNED :
					      NTP_ANSWER_PLAIN;
	w->reply[i] = kind == NTP_ANSWER_NAK ? REPLY_NAK :
		      kind == NTP_ANSWER_SIGNED ? REPLY_SIGNED : REPLY_PLAIN;
	return ntp_answer_counter(v, kind, fresh, w->family == AF_INET6);
}

/*
 * Transmit timestamp last, taken for this reply alone once its request's
 * work is done (a timestamp per batch would be early by the work on the
 * replies after it), then the MAC over the finished header.
 */
static size_t finish_reply(struct worker *w, int i, const struct ntpd_ref_state *st,
			   struct ntpd_counters *counters)
{
	__u8 *pkt = w->buf[i];
	__u64 tx_tai;

	if (w->reply[i] == REPLY_CONTROL)
		return w->reply_len[i];	/* no timestamps, not an NTP answer */
	tx_tai = refstate_tai_now_ns();
	ntp_set_transmit((struct ntp_packet *)pkt, st, tx_tai);
	ntp_latency_add(counters, tx_tai - w->rx_tai[i]);
	switch (w->reply[i]) {
	case REPLY_SIGNED: {
		size_t len = ntp_auth_sign(w->reply_key[i], pkt);

		if (len)
			return len;
		/* the digest failed: a crypto-NAK is the one honest answer */
	}
	/* fall through */
	case REPLY_NAK:
		memset(pkt + NTP_PACKET_LEN, 0, 4);
		return NTP_PACKET_LEN + 4;
	case REPLY_NTS:
		return nts_ntp_finish(pkt, &w->nts[i]);
	default:
		return NTP_PACKET_LEN;
	}
}

/* The reply's source: the request's destination address and interface. */
static void set_reply_source(struct worker *w, int i, struct msghdr *msg)
{
	struct cmsghdr *cm;

	if (!w->have_dest[i])
		return;		/* the kernel's choice, as before */
	msg->msg_control = w->tx_ctrl[i].buf;
	msg->msg_controllen = sizeof(w->tx_ctrl[i].buf);
	memset(w->tx_ctrl[i].buf, 0, sizeof(w->tx_ctrl[i].buf));
	cm = CMSG_FIRSTHDR(msg);
	if (w->family == AF_INET) {
		struct in_pktinfo pi = {
			.ipi_ifindex = w->dest[i].v4.ipi_ifindex,
			.ipi_spec_dst = w->dest[i].v4.ipi_spec_dst,
		};

		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		msg->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(w->dest[i].v6));
		memcpy(CMSG_DATA(cm), &w->dest[i].v6, sizeof(w->dest[i].v6));
		msg->msg_controllen = CMSG_SPACE(sizeof(w->dest[i].v6));
	}
}

/* The request log's sample: as the XDP program's, 1 in N by a random number. */
static void maybe_log(struct worker *w, int i, __u8 li_vn_mode, __u32 verdict, __u8 path)
{
	struct ntpd_request_event ev = { .outcome = (__u16)verdict, .path = path };

	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 17;
	w->rng ^= w->rng << 5;
	if (w->rng >= w->srv->params.cfg.log_threshold)
		return;
	if (w->peer[i].ss_family == AF_INET) {
		ev.addr[10] = ev.addr[11] = 0xff;
		memcpy(&ev.addr[12], &((struct sockaddr_in *)&w->peer[i])->sin_addr, 4);
		ev.port = ((struct sockaddr_in *)&w->peer[i])->sin_port;
	} else {
		memcpy(ev.addr, &((struct sockaddr_in6 *)&w->peer[i])->sin6_addr, 16);
		ev.port = ((struct sockaddr_in6 *)&w->peer[i])->sin6_port;
	}
	ev.version = NTP_VN(li_vn_mode);
	ev.mode = NTP_MODE(li_vn_mode);
	reqlog_event(&ev);
}

/*
 * Adaptive batching.  Every wake-up costs the same whether it brings one
 * datagram or thirty; at tens of thousands a second a thread would wake for
 * almost each.  When the previous read got datagrams, did not fill the
 * batch (then more are queued already) and came less than
 * GATHER_BUSY_FACTOR waits after the one before (traffic, not a lone
 * query), sleep `wait` first so that the next read takes what arrived
 * meanwhile in one go.  At rest, and for a
 * lone query, nothing changes: no idle cost.  Served time does not move:
 * each request's receive time is the kernel's stamp, each reply's transmit
 * time is read as it is finished (finish_reply).  The added latency is at
 * most the wait plus the timer's slack (set to 1 us for these threads).
 */
#define GATHER_BUSY_FACTOR 4

static void gather(struct worker *w, __u64 now_ns)
{
	__u64 wait_ns = (__u64)w->srv->params.batch_wait_us * 1000;
	__u64 gap_ns = now_ns - w->pass_ns;	/* the latest read's wait and work */
	struct timespec ts = { .tv_nsec = (long)wait_ns };

	w->pass_ns = now_ns;
	if (!wait_ns || !w->last_n || w->last_n == BATCH || gap_ns > GATHER_BUSY_FACTOR * wait_ns)
		return;
	nanosleep(&ts, NULL);
}

/*
 * One read of the UDP socket and its answers.  flags: MSG_WAITFORONE
 * (block until one, SO_RCVTIMEO's idle wake-up) or, beside a ring whose
 * poll() said the socket is readable, MSG_DONTWAIT as well.  false when
 * the worker must stop.
 */
static bool serve_socket(struct worker *w, int flags)
{
	struct ntpd_ref_state st;
	int i, n, n_tx, have_state;
	__u32 verdict;

	for (i = 0; i < BATCH; i++) {
		w->rx[i].msg_hdr.msg_namelen = sizeof(w->peer[i]);
		w->rx[i].msg_hdr.msg_control = w->ctrl[i].buf;
		w->rx[i].msg_hdr.msg_controllen = sizeof(w->ctrl[i].buf);
	}
	n = recvmmsg(w->fd, w->rx, BATCH, flags, NULL);
	w->last_n = n > 0 ? n : 0;
	if (n <= 0) {
		/* EAGAIN: SO_RCVTIMEO's idle wake-up, or nothing after all */
		bool transient = errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;

		if (n < 0 && !transient && !w->srv->stopping)
			pr_warn("socket server: recvmmsg: %s: worker %d stops\n", strerror(errno),
				(int)(w - w->srv->workers));
		return n == 0 || transient;
	}
	have_state = refstate_read(w->srv->params.ref, &st) == 0;
	n_tx = 0;
	for (i = 0; i < n; i++) {
		__u8 req_lvm = w->buf[i][0];	/* before the answer overwrites it */

		w->have_dest[i] = rx_dest(&w->rx[i].msg_hdr, &w->dest[i]);
		if (rxtime_realtime_ns(&w->rx[i].msg_hdr, &w->rx_realtime[i]))
			w->rx_realtime[i] = 0;
		verdict = handle_datagram(w, i, w->rx[i].msg_len, &st, have_state);
		if (verdict < NTPD_CNT_MAX)
			w->counters.packets[verdict]++;
		if (w->srv->params.cfg.log_threshold && w->rx[i].msg_len >= 1)
			maybe_log(w, i, req_lvm, verdict, NTPD_PATH_SOCKET);
		if (w->reply[i] == REPLY_NONE)
			continue;
		w->tx[n_tx].msg_hdr = (struct msghdr){
			.msg_name = &w->peer[i],
			.msg_namelen = w->rx[i].msg_hdr.msg_namelen,
			.msg_iov = &w->tx_iov[n_tx],
			.msg_iovlen = 1,
		};
		set_reply_source(w, i, &w->tx[n_tx].msg_hdr);
		/* the transmit stamp, then straight out: sent with the rest
		 * of its batch (sendmmsg), a reply left after the work on
		 * every later one and their sends, its T3 early by tens of
		 * microseconds under load (p99 37 us against chronyd's 2) */
		w->tx_iov[n_tx] = (struct iovec){
			.iov_base = w->buf[i],
			.iov_len = finish_reply(w, i, &st, &w->counters),
		};
		/* counted answered already (the outcome is the request's);
		 * an answer the kernel refused is counted on its own */
		if (sendmsg(w->fd, &w->tx[n_tx].msg_hdr, 0) < 0 && !w->srv->stopping) {
			w->send_errors++;
			pr_debug("socket server: sendmsg: %s\n", strerror(errno));
		}
		n_tx++;
	}
	return true;
}

/*
 * The ring's view of a request before the shared decisions: what the
 * kernel would have refused before any UDP socket saw it.  A frame to an
 * address that is not the host's (a request routed through us for another
 * machine) and, off loopback, a source that is one of ours or 127/8 (RFC
 * 1812 5.3.7 martians, as the kernel drops them).  NTP_REQ_ANSWER or why not.
 */
static __u32 ring_screen(const struct worker *w, const struct packet_request *req)
{
	__be32 src = req->peer.sin_addr.s_addr, dst = req->dst.s_addr;

	/* lo delivers the whole of 127/8, not only the address it carries */
	if (w->ring.loopback)
		return (ntohl(dst) >> 24) == 127 || local_addrs_has4(dst) ?
			NTP_REQ_ANSWER : NTPD_CNT_PASS_NOT_LOCAL;
	if ((ntohl(dst) >> 24) == 127 || !local_addrs_has4(dst))
		return NTPD_CNT_PASS_NOT_LOCAL;
	if (ntp_bad_source_v4(src, 0))
		return NTPD_CNT_DROP_BAD_SOURCE;
	if (local_addrs_has4(src))
		return NTPD_CNT_DROP_SOURCE_LOCAL;
	return NTP_REQ_ANSWER;
}

struct ring_pass {
	struct worker *w;
	struct ntpd_ref_state st;
	int have_state;
};

/*
 * A ring answer on loopback leaves through the worker's UDP socket: a frame
 * written to lo arrives without the route a locally sent packet carries,
 * and the kernel's input routing drops it as a martian (a 127/8
 * destination, or a source that is one of the host's: every source on lo).
 */
static int ring_reply_loopback(struct worker *w, unsigned int len)
{
	struct iovec iov = { .iov_base = w->buf[0], .iov_len = len };
	struct msghdr msg = {
		.msg_name = &w->peer[0],
		.msg_namelen = sizeof(struct sockaddr_in),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	set_reply_source(w, 0, &msg);
	return sendmsg(w->fd, &msg, 0) < 0 ? -errno : 0;
}

/* One frame of the ring: the same decisions and answer as a datagram of
 * the UDP socket (slot 0 of the worker's buffers), sent as a frame. */
static void serve_frame(const struct packet_frame *f, void *arg)
{
	struct ring_pass *rp = arg;
	struct worker *w = rp->w;
	struct packet_request req;
	unsigned int len;
	__u32 verdict;
	__u8 req_lvm;
	int err;

	w->reply[0] = REPLY_NONE;
	err = packet_frame_parse(f->data, f->len, f->sum_trusted, &req);
	if (err) {
		w->ring_counters.packets[err == -EPROTO  ? NTPD_CNT_PASS_BAD_IP_CSUM :
					 err == -EBADMSG ? NTPD_CNT_PASS_BAD_CSUM :
							   NTPD_CNT_PASS_TRUNCATED]++;
		return;
	}
	/* a datagram longer than the socket's buffer is cut there, as
	 * recvmmsg would cut it (and its NTS fields then fail their bounds) */
	len = req.payload_len < RX_BUF_LEN ? req.payload_len : RX_BUF_LEN;
	req_lvm = len ? req.payload[0] : 0;
	memcpy(&w->peer[0], &req.peer, sizeof(req.peer));
	verdict = ring_screen(w, &req);
	if (verdict == NTP_REQ_ANSWER) {
		memcpy(w->buf[0], req.payload, len);
		w->dest[0].v4 = (struct in_pktinfo){ .ipi_spec_dst = req.dst, .ipi_addr = req.dst };
		w->have_dest[0] = true;
		w->rx_realtime[0] = f->realtime_ns;
		verdict = handle_datagram(w, 0, len, &rp->st, rp->have_state);
	}
	if (verdict < NTPD_CNT_MAX)
		w->ring_counters.packets[verdict]++;
	if (w->srv->params.cfg.log_threshold && len)
		maybe_log(w, 0, req_lvm, verdict, NTPD_PATH_SOCKET_RING);
	if (w->reply[0] == REPLY_NONE)
		return;
	len = (unsigned int)finish_reply(w, 0, &rp->st, &w->ring_counters);
	if (w->ring.loopback) {
		err = ring_reply_loopback(w, len);
	} else {
		len = packet_frame_answer(w->tx_frame, f->data, w->buf[0], len,
					  ntp_reply_tos(w->srv->params.cfg.dscp));
		err = packet_ring_send(&w->ring, w->tx_frame, len);
	}
	if (err && !w->srv->stopping) {
		w->send_errors++;
		pr_debug("socket server: ring send: %s\n", strerror(-err));
	}
}

/* Every block the ring has ready; the state read once per block. */
static void serve_ring(struct worker *w)
{
	struct tpacket_block_desc *bd;
	struct ring_pass rp = { .w = w };

	while ((bd = packet_ring_block(&w->ring))) {
		rp.have_state = refstate_read(w->srv->params.ref, &rp.st) == 0;
		packet_ring_each(bd, serve_frame, &rp);
		packet_ring_release(&w->ring, bd);
	}
}

static bool has_ring(const struct worker *w)
{
	return w->ring.ready;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < BATCH; i++) {
		w->rx_iov[i] = (struct iovec){ .iov_base = w->buf[i], .iov_len = RX_BUF_LEN };
		w->rx[i].msg_hdr = (struct msghdr){
			.msg_name = &w->peer[i],
			.msg_iov = &w->rx_iov[i],
			.msg_iovlen = 1,
		};
	}

	testhook_network_input("socket worker");
	while (!w->srv->stopping) {
		__u64 now_ns = mono_ns();
		struct pollfd fds[2] = {
			{ .fd = w->ring.rx_fd, .events = POLLIN },
			{ .fd = w->fd, .events = POLLIN },
		};
		int ready;

		__atomic_store_n(&w->heartbeat_ns, now_ns, __ATOMIC_RELAXED);
		if (w == &w->srv->workers[0] && testhook_due(TESTHOOK_SOCKET_EXIT)) {
			pr_warn("socket server: test hook: worker 0 stops\n");
			break;
		}
		if (!has_ring(w)) {
			gather(w, now_ns);
			if (!serve_socket(w, MSG_WAITFORONE))
				break;
			continue;
		}
		/* the ring wakes us once per block; the socket for what is not the ring's */
		ready = poll(fds, 2, IDLE_WAKE_S * 1000);
		if (ready < 0 && errno != EINTR) {
			pr_warn("socket server: poll: %s: worker %d stops\n", strerror(errno),
				(int)(w - w->srv->workers));
			break;
		}
		serve_ring(w);
		if (ready > 0 && fds[1].revents && !serve_socket(w, MSG_WAITFORONE | MSG_DONTWAIT))
			break;
		/* PACKET_STATISTICS resets as it is read: a syscall when idle
		 * and every 256th wake-up under load */
		if (ready == 0 || !(++w->ring_wakes & 255))
			w->ring_drops += packet_ring_drops(&w->ring);
	}
	return NULL;
}

/* The mirror filter on one worker's UDP socket, for the set as it is now. */
static int partition(struct socket_server *srv, struct worker *w)
{
	static __thread __be32 addrs[LOCAL_ADDRS_MAX];
	int n = local_addrs_snapshot4(addrs, LOCAL_ADDRS_MAX);
	int err = packet_ring_partition(w->fd, &srv->ring, addrs, n);

	if (err)
		pr_warn("socket server: the packet ring's filter on the UDP socket: %s\n",
			strerror(-err));
	return err;
}

/* After each publish of the host's addresses: the sockets leave the ring
 * exactly the destinations it now answers for. */
static void repartition(void *arg)
{
	struct socket_server *srv = arg;
	int i;

	for (i = 0; i < srv->n4; i++)
		partition(srv, &srv->workers[i]);
}

/* The worker's ring, and the mirror filter on its UDP socket. */
static int open_ring(struct socket_server *srv, struct worker *w)
{
	int err = packet_ring_open(&w->ring, &srv->ring);

	return err ?: partition(srv, w);
}

int socket_server_open(struct socket_server **out, const struct socket_server_params *p)
{
	struct socket_server *srv;
	int i, err = 0, n4, n6;

	n4 = p->listen4.ss_family ? p->threads4 : 0;
	n6 = p->listen6.ss_family ? p->threads6 : 0;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->params = *p;
	srv->n_workers = n4 + n6;
	srv->workers = calloc((size_t)srv->n_workers ? (size_t)srv->n_workers : 1,
			      sizeof(*srv->workers));
	if (!srv->workers) {
		free(srv);
		return -ENOMEM;
	}
	for (i = 0; i < srv->n_workers; i++)
		srv->workers[i].fd = -1;
	srv->ring = (struct packet_ring_params){
		.ifindex = p->ring_ifindex,
		.loopback = p->ring_loopback,
		.listen_addr = ((const struct sockaddr_in *)&p->listen4)->sin_addr.s_addr,
		.port = ((const struct sockaddr_in *)&p->listen4)->sin_port,
		.block_ms = p->ring_block_ms,
		/* one group per server; the kernel's ids are per network namespace */
		.fanout_id = (int)(getpid() & 0xffff),
	};
	/* gather()'s wait, not the default 50 us more: the threads inherit
	 * this thread's slack (set now, while prctl is not filtered yet) */
	if (p->batch_wait_us)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

	/* bind everything before starting anything: a clash fails start-up */
	for (i = 0; i < srv->n_workers; i++) {
		struct worker *w = &srv->workers[i];

		w->srv = srv;
		w->family = i < n4 ? AF_INET : AF_INET6;
		w->rng = 0x9e3779b9u * (__u32)(i + 1);	/* xorshift: any non-zero seed */
		w->fd = open_socket(srv, i < n4 ? &p->listen4 : &p->listen6);
		w->fd = ntp_socket_set_dscp(w->fd, w->family, p->cfg.dscp);
		if (w->fd < 0) {
			err = w->fd;
			goto cleanup;
		}
		if (i < n4 && p->ring_block_ms) {
			err = open_ring(srv, w);
			if (err)
				goto cleanup;
		}
	}
	srv->n4 = n4;
	if (p->ring_block_ms && n4) {
		local_addrs_on_publish(repartition, srv);
		srv->ring_subscribed = true;
	}
	*out = srv;
	return 0;

cleanup:
	socket_server_stop(srv);
	return err;
}

void socket_server_serve_from(struct socket_server *srv, const struct ntpd_ref_buffer *ref,
			      struct client_policy *policy)
{
	srv->params.ref = ref;
	srv->params.policy = policy;
}

int socket_server_run(struct socket_server *srv)
{
	int i, err;

	for (i = 0; i < srv->n_workers; i++) {
		srv->workers[i].heartbeat_ns = mono_ns();
		err = -pthread_create(&srv->workers[i].thread, NULL, worker_main, &srv->workers[i]);
		if (err)
			return err;
		srv->workers[i].started = true;
	}
	pr_info("socket server: %d IPv4 and %d IPv6 threads\n", srv->n4, srv->n_workers - srv->n4);
	return 0;
}

int socket_server_start(struct socket_server **out, const struct socket_server_params *p)
{
	int err = socket_server_open(out, p);

	if (!err) {
		err = socket_server_run(*out);
		if (err) {
			socket_server_stop(*out);
			*out = NULL;
		}
	}
	return err;
}

int socket_server_each_fd(const struct socket_server *srv, int (*fn)(int fd, void *arg), void *arg)
{
	int i, err;

	for (i = 0; srv && i < srv->n_workers; i++) {
		if (srv->workers[i].fd < 0)
			continue;
		err = fn(srv->workers[i].fd, arg);
		if (err)
			return err;
	}
	return 0;
}

void socket_server_stop(struct socket_server *srv)
{
	int i;

	if (!srv)
		return;
	if (srv->ring_subscribed)	/* no repartition() over what is freed below */
		local_addrs_on_publish(NULL, NULL);
	srv->stopping = true;
	/* shutdown() wakes a thread blocked in recvmmsg on a UDP socket */
	for (i = 0; i < srv->n_workers; i++)
		if (srv->workers[i].fd >= 0)
			shutdown(srv->workers[i].fd, SHUT_RDWR);
	for (i = 0; i < srv->n_workers; i++) {
		if (srv->workers[i].started)
			pthread_join(srv->workers[i].thread, NULL);
		if (srv->workers[i].fd >= 0)
			close(srv->workers[i].fd);
		packet_ring_close(&srv->workers[i].ring);
	}
	free(srv->workers);
	free(srv);
}

void socket_server_counters(const struct socket_server *srv, struct ntpd_counters *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; srv && i < srv->n_workers; i++)
		stats_add(out, &srv->workers[i].counters);
}

void socket_server_ring_counters(const struct socket_server *srv, struct ntpd_counters *out,
				 __u64 *drops)
{
	int i;

	memset(out, 0, sizeof(*out));
	*drops = 0;
	for (i = 0; srv && i < srv->n_workers; i++) {
		stats_add(out, &srv->workers[i].ring_counters);
		*drops += __atomic_load_n(&srv->workers[i].ring_drops, __ATOMIC_RELAXED);
	}
}

bool socket_server_has_ring(const struct socket_server *srv)
{
	return srv && srv->params.ring_block_ms && srv->n4;
}

__u64 socket_server_send_errors(const struct socket_server *srv)
{
	__u64 sum = 0;
	int i;

	for (i = 0; srv && i < srv->n_workers; i++)
		sum += srv->workers[i].send_errors;
	return sum;
}

int socket_server_stalest(const struct socket_server *srv, __u64 *heartbeat_ns)
{
	int i, oldest = -1;
	__u64 beat;

	for (i = 0; srv && i < srv->n_workers; i++) {
		beat = __atomic_load_n(&srv->workers[i].heartbeat_ns, __ATOMIC_RELAXED);
		if (oldest < 0 || beat < *heartbeat_ns) {
			oldest = i;
			*heartbeat_ns = beat;
		}
	}
	return oldest;
}
