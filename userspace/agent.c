// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "agent.h"
#include "clockstep.h"
#include "kclock.h"
#include "leap.h"
#include "log.h"
#include "ntp_proto.h"
#include "refstate.h"
#include "rxtime.h"
#include "testhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <nettle/md5.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

_Static_assert(NTPD_MAX_UPSTREAMS <= SEL_MAX_CANDIDATES, "every upstream fits a selection");

#define POLL_TARGET_SAMPLES 8	/* in the regression before polling less often */
#define BURST_COUNT	4	/* iburst: samples at start-up */
#define REPLY_TIMEOUT_S	1.0

struct source {
	struct ntpd_endpoint ep;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool resolved;
	bool loopback;
	struct sourcestats stats;
	int fd;			/* in flight when >= 0 */
	__u64 nonce;
	__u64 t1_tai;
	double deadline;	/* monotonic s */
	double next_poll;
	int poll;
	int min_poll, max_poll;	/* its own (server ... minpoll/maxpoll) or the global */
	int burst_left;
	int good_in_row;
	int missed;
	__u8 reach;
	bool denied;
	bool lookup_wanted;	/* for the resolver thread */
	enum source_state state;
	__u64 kod_rate, kod_deny, samples, bad_responses;
	struct agent_activity activity;	/* ok, failed, bogus, timeout: /status */
	double last_rx;		/* monotonic s of the newest good reply; 0 none */
	struct sst_estimate est;	/* at the last selection round */
	bool have_est;
	const char *unusable;		/* why the last round could not use it */
	__u8 last_leap;		/* LI of the newest sample: leap news is not filtered */
	enum source_state logged_state;	/* as last reported in the log */
	enum ntp_response_verdict auth_logged;	/* last authentication failure logged, or OK */
};

struct agent {
	struct agent_config cfg;
	struct source src[NTPD_MAX_UPSTREAMS];
	/* agent_set_upstreams' next set, built under the lock: owned here, so
	 * two agents (tests, a restart) never share a buffer */
	struct source next[NTPD_MAX_UPSTREAMS];
	int n;
	pthread_t thread;
	bool thread_started;
	pthread_t resolver;
	bool resolver_started;
	pthread_cond_t lookup_cond;	/* with lock: a source wants a lookup, or stop */
	int wake_fd;		/* eventfd: stop, or look at a new upstream set now */
	pthread_mutex_t lock;	/* guards everything below and the sources' status */
	bool stopping;
	unsigned int generation;	/* bumped when the upstream set is replaced */
	int logged_peer;		/* system peer as last logged, -1 none */
	bool logged_holdover;
	bool selected_once;		/* a selection has found a majority */
	unsigned int logged_generation;
	enum clock_model model;
	struct reference ref;	/* selection, hold-over, the served correction */
	__s8 precision;
	struct clock_step_watch step_watch;
	__u64 heartbeat_ns;	/* CLOCK_MONOTONIC of the thread's latest pass, atomic */
	struct agent_tracking tracking;	/* last offset, RMS, update interval */
};

static double mono_now(void)
{
	__u64 ns;

	kclock_now_ns(CLOCK_MONOTONIC, &ns);
	return (double)ns / 1e9;
}

/*
 * Other threads (publisher, HTTP, SIGHUP) wait this long at most for the
 * agent's lock: a stuck agent thread must not take them down with it, the
 * publisher least of all, which then publishes LI=3 itself.
 */
#define LOCK_WAIT_NS	(250 * 1000 * 1000LL)

static int lock_bounded(struct agent *a)
{
	struct timespec deadline;
	__u64 ns;

	kclock_now_ns(CLOCK_MONOTONIC, &ns);
	ns += LOCK_WAIT_NS;
	deadline.tv_sec = (time_t)(ns / NSEC_PER_SEC_U64);
	deadline.tv_nsec = (long)(ns % NSEC_PER_SEC_U64);
	return -pthread_mutex_clocklock(&a->lock, CLOCK_MONOTONIC, &deadline);
}

__be32 agent_refid_for(const struct sockaddr_storage *addr)
{
	struct md5_ctx ctx;
	__be32 refid;

	if (addr->ss_family == AF_INET)
		return ((const struct sockaddr_in *)addr)->sin_addr.s_addr;
	/* RFC 5905 7.3: the first four octets of the MD5 of the IPv6 address;
	 * nettle's MD5: upstreams come and go by the API at any time, and
	 * OpenSSL is loaded only for NTS and key files (openssl_lazy.h) */
	md5_init(&ctx);
	md5_update(&ctx, 16, (const __u8 *)&((const struct sockaddr_in6 *)addr)->sin6_addr);
	md5_digest(&ctx, sizeof(refid), (__u8 *)&refid);
	return refid;
}

static bool is_loopback_addr(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

static void source_bounds(struct source *s, const struct ntpd_endpoint *ep,
			  const struct agent_config *cfg)
{
	s->min_poll = ep->has_min_poll ? ep->min_poll : cfg->min_poll;
	s->max_poll = ep->has_max_poll ? ep->max_poll : cfg->max_poll;
	if (s->max_poll < s->min_poll)	/* one bound given, past the other's default */
		s->max_poll = s->min_poll;
	s->poll = s->poll < s->min_poll ? s->min_poll : s->poll > s->max_poll ? s->max_poll : s->poll;
}

static void source_init(struct source *s, const struct ntpd_endpoint *ep,
			const struct agent_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->ep = *ep;
	s->fd = -1;
	source_bounds(s, ep, cfg);
	s->poll = s->min_poll;
	s->burst_left = BURST_COUNT;
	s->state = SOURCE_UNREACHABLE;
}

static bool same_endpoint(const struct ntpd_endpoint *a, const struct ntpd_endpoint *b)
{
	/* another key: samples taken under the old one are not kept */
	return a->port == b->port && a->key_id == b->key_id && !strcmp(a->host, b->host);
}

/*
 * An upstream's address.  A name lookup may take seconds (a dead DNS
 * server): callers hold no lock over it, since the publisher needs the
 * agent's lock every second.  0 or -ENOENT.
 */
static int lookup(const struct ntpd_endpoint *ep, struct sockaddr_storage *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char port[8];
	int err;

	if (ep->resolved) {
		*out = ep->addr;
		return 0;
	}
	snprintf(port, sizeof(port), "%u", ep->port);
	if (testhook_due(TESTHOOK_SLOW_LOOKUP)) {
		pr_warn("agent: test hook: looking up %s takes %d s\n", ep->host,
			TESTHOOK_SLOW_LOOKUP_S);
		sleep(TESTHOOK_SLOW_LOOKUP_S);
	}
	err = getaddrinfo(ep->host, port, &hints, &res);
	if (err || !res) {
		pr_warn("upstream %s: cannot resolve: %s\n", ep->host, gai_strerror(err));
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static void set_address(struct source *s, const struct sockaddr_storage *addr)
{
	s->addr = *addr;
	s->addr_len = s->addr.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						     sizeof(struct sockaddr_in6);
	s->resolved = true;
	s->loopback = is_loopback_addr(&s->addr);
}

/* A poll that could not be sent counts as missed. */
static void missed_poll(struct agent *a, struct source *s)
{
	s->missed++;
	s->reach <<= 1;
	if (s->ep.resolved == false && s->missed >= a->cfg.max_missed)
		s->resolved = false;	/* names move: look it up again */
}

/* log2 of the interval to the next poll, with the burst and loopback rules */
static double poll_interval(const struct source *s)
{
	/* rsntp's habit: a local chronyd is asked every second */
	if (s->loopback)
		return 1.0;
	if (s->burst_left > 0)
		return s->min_poll < 1 ? ldexp(1, s->min_poll) : 2.0;
	return ldexp(1, s->poll);
}

static void close_request(struct source *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void send_request(struct agent *a, struct source *s, double now)
{
	__u8 req[NTP_PACKET_LEN + 4 + NTP_MAC_MAX_DIGEST];
	size_t len = NTP_PACKET_LEN;

	s->next_poll = now + poll_interval(s);
	if (s->burst_left > 0)
		s->burst_left--;
	/* a fresh socket each time: a fresh random source port (RFC 9109), and
	 * connect() makes the kernel drop anything not from the server's
	 * address and port */
	s->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		goto missed;
	/* without stamps the receive time is read after poll() returns */
	rxtime_enable(s->fd);
	if (connect(s->fd, (struct sockaddr *)&s->addr, s->addr_len))
		goto fail;
	if (getrandom(&s->nonce, sizeof(s->nonce), 0) != sizeof(s->nonce))
		goto fail;
	ntp_client_build_request((struct ntp_packet *)req, s->nonce);
	if (s->ep.key_id)
		len = ntp_client_sign_request(a->cfg.keys, s->ep.key_id, req);
	if (!len) {
		errno = ENOKEY;
		goto fail;
	}
	s->t1_tai = refstate_tai_now_ns();
	if (send(s->fd, req, len, 0) != (ssize_t)len)
		goto fail;
	s->deadline = now + REPLY_TIMEOUT_S;
	return;
fail:
	pr_debug("upstream %s: sending: %s\n", s->ep.host, strerror(errno));
	close_request(s);
missed:
	missed_poll(a, s);
}

/*
 * What operators want in the log, once per change and never per poll: the
 * system peer changing, and a source becoming or ceasing to be a
 * falseticker.  Called with the lock held, after each selection.
 */
static void log_selection_changes(struct agent *a)
{
	int i;

	for (i = 0; i < a->n; i++) {
		struct source *s = &a->src[i];
		bool was_false = s->logged_state == SOURCE_FALSETICKER;

		if ((s->state == SOURCE_FALSETICKER) != was_false)
			pr_info("upstream %s port %u: %s\n", s->ep.host, s->ep.port, was_false ?
				"agrees with the others again" :
				"falseticker: its time disagrees with the majority, not used");
		s->logged_state = s->state;
	}
	if (a->ref.holdover != a->logged_holdover)
		pr_warn(a->ref.holdover ? "selection found no majority: holding over on the last "
					  "system peer, the error bound growing\n" :
					  "selection agrees again\n");
	a->logged_holdover = a->ref.holdover;
	if (a->ref.sys_peer == a->logged_peer && a->generation == a->logged_generation)
		return;
	if (a->ref.sys_peer >= 0)
		pr_info("system peer: %s port %u (stratum %u, offset %+.6f s)\n",
			a->src[a->ref.sys_peer].ep.host, a->src[a->ref.sys_peer].ep.port,
			a->ref.peer_stratum, a->ref.result.offset);
	else if (a->logged_peer >= 0)
		pr_warn("no system peer: no upstream survives selection\n");
	a->logged_peer = a->ref.sys_peer;
	a->logged_generation = a->generation;
}

/*
 * A clock update, as chronyc counts them: a selecting round on a new sample
 * of the system peer (rounds run on every source's replies and timeouts;
 * those of the others refine, they do not update).  What it left to
 * correct is upstream minus served.  Lock held.
 */
static void track_update(struct agent *a)
{
	const struct source *peer;
	double served = 0;

	if (!a->ref.synced || a->ref.holdover || a->ref.sys_peer < 0)
		return;
	peer = &a->src[a->ref.sys_peer];
	if (!peer->have_est)
		return;
	if (a->model == CLOCK_MODEL_CORRECTED) {
		/* before the first publication there is no served line: it steps */
		if (!a->ref.servo.valid) {
			tracking_note(&a->tracking, peer->est.newest.local_rx);
			return;
		}
		served = (double)servo_correction_at(&a->ref.servo, a->ref.update_tai_ns) / 1e9;
	}
	tracking_update(&a->tracking, peer->est.newest.local_rx, a->ref.result.offset - served);
}

/* Re-run selection over the usable sources.  Called with the lock held. */
static void reselect(struct agent *a)
{
	struct ref_source rs[NTPD_MAX_UPSTREAMS];
	double now = (double)refstate_tai_now_ns() / 1e9;
	int i;

	for (i = 0; i < a->n; i++) {
		struct source *s = &a->src[i];

		ref_source_fill(&rs[i], &s->stats, !s->denied && s->missed < a->cfg.max_missed,
				now, &a->ref, s->resolved ? agent_refid_for(&s->addr) : 0, s->last_leap);
		s->have_est = rs[i].usable;
		s->est = rs[i].est;
	}
	/* the first selection waits for every source's first answer (or its
	 * second miss): else the quickest to answer, a falseticker perhaps, is
	 * a majority of one and serves until the others arrive; an answer
	 * refused (unsynchronised, malformed) counts as a miss, or a source
	 * that only ever refuses would hold the first selection off for ever */
	for (i = 0; !a->selected_once && i < a->n; i++)
		if (!a->src[i].denied && a->src[i].samples == 0 &&
		    a->src[i].missed + a->src[i].activity.failed < 2)
			break;
	if (a->selected_once || i == a->n)
		a->selected_once |= reference_select(&a->ref, rs, a->n, now);
	track_update(a);
	for (i = 0; i < a->n; i++) {
		struct source *s = &a->src[i];

		s->unusable = rs[i].unusable;
		if (s->denied)
			s->state = SOURCE_DENIED;
		else if (!s->have_est)
			s->state = SOURCE_UNREACHABLE;
		else if (rs[i].unusable || !a->selected_once)
			s->state = SOURCE_CANDIDATE;	/* not judged (yet) */
		else if (i == a->ref.sys_peer)
			s->state = SOURCE_SYSTEM_PEER;
		else if (a->ref.holdover && s->state != SOURCE_FALSETICKER)
			s->state = SOURCE_CANDIDATE;	/* nothing was decided this round */
		else if (a->ref.holdover)
			;				/* a falseticker stays one */
		else
			s->state = rs[i].truechimer ? SOURCE_SELECTED : SOURCE_FALSETICKER;
	}
	log_selection_changes(a);
}

/* An authenticated upstream's replies failing their check, or passing it
 * again: logged when that changes, not per poll. */
static void log_auth_change(struct source *s, enum ntp_response_verdict v)
{
	bool auth_failure = ntp_response_auth_failed(v);

	if (!s->ep.key_id || v == NTP_RESP_BAD_LENGTH || v == s->auth_logged ||
	    (!auth_failure && s->auth_logged == NTP_RESP_OK))
		return;
	if (auth_failure)
		pr_warn("upstream %s port %u: reply rejected, key %u: %s\n", s->ep.host,
			s->ep.port, s->ep.key_id, ntp_response_verdict_why(v));
	else
		pr_info("upstream %s port %u: replies authenticated with key %u again\n",
			s->ep.host, s->ep.port, s->ep.key_id);
	s->auth_logged = auth_failure ? v : NTP_RESP_OK;
}

/* A reply is ready on s->fd.  Called with the lock held. */
static void receive_reply(struct agent *a, struct source *s)
{
	char ctrl[RXTIME_CMSG_SPACE];
	__u8 buf[1024];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
	enum ntp_response_verdict v;
	struct ntp_sample sample;
	__s64 tai_offset;
	ssize_t n;

	n = recvmsg(s->fd, &msg, 0);
	if (n < 0)
		return;	/* ICMP error or spurious wake-up: the deadline handles it */
	/* no TAI offset, no sample: its times would be 37 s off (logged by kclock) */
	if (kclock_tai_offset_ns(&tai_offset)) {
		close_request(s);
		return;
	}
	v = ntp_client_parse_response(buf, (size_t)n, s->nonce, s->t1_tai, rxtime_tai_ns_kernel(&msg),
				      tai_offset, a->precision, &sample);
	if (v == NTP_RESP_BAD_ORIGIN) {
		s->bad_responses++;
		s->activity.bogus++;
		return;	/* not ours: keep waiting for the real one */
	}
	close_request(s);
	if (s->ep.key_id && v != NTP_RESP_BAD_LENGTH)
		v = ntp_client_check_auth(a->cfg.keys, s->ep.key_id, buf, (size_t)n, v);
	log_auth_change(s, v);
	switch (v) {
	case NTP_RESP_OK:
		pr_debug("upstream %s: offset %+.9f s delay %.6f s at %.6f\n", s->ep.host,
			 sample.offset, sample.delay, sample.local_rx);
		s->samples++;
		s->activity.ok++;
		s->last_rx = mono_now();
		s->missed = 0;
		s->reach = (__u8)(s->reach << 1 | 1);
		if (sst_add(&s->stats, &sample))
			pr_warn("upstream %s: its time jumped by %+.6f s against its history: "
				"starting its estimate again\n", s->ep.host,
				sample.offset - s->est.offset);
		s->last_leap = sample.leap;
		/*
		 * chrony's polltarget: a longer interval, one step at a time,
		 * once the line rests on enough samples; a shorter one when the
		 * runs test keeps only a few (the oscillator wanders faster than
		 * samples this far apart can follow).
		 */
		if (s->stats.have_fit && s->stats.fit.n >= POLL_TARGET_SAMPLES &&
		    ++s->good_in_row >= 4 && s->poll < s->max_poll) {
			s->poll++;
			s->good_in_row = 0;
		} else if (s->stats.have_fit && s->stats.fit.n <= REGRESS_MIN_SAMPLES &&
			   s->stats.n >= POLL_TARGET_SAMPLES && s->poll > s->min_poll) {
			s->poll--;
			s->good_in_row = 0;
		}
		break;
	case NTP_RESP_KOD_RATE:
		/* RFC 5905 7.4: reduce the rate; we double the interval twice */
		s->kod_rate++;
		s->activity.failed++;
		s->poll = s->poll + 2 < s->max_poll ? s->poll + 2 : s->max_poll;
		s->burst_left = 0;
		s->next_poll = mono_now() + ldexp(1, s->poll);
		pr_warn("upstream %s: kiss-o'-death RATE, polling every %g s\n", s->ep.host,
			ldexp(1, s->poll));
		break;
	case NTP_RESP_KOD_DENY:
	case NTP_RESP_KOD_RSTR:
		s->kod_deny++;
		s->activity.failed++;
		s->denied = true;
		pr_warn("upstream %s: kiss-o'-death %s, no longer used\n", s->ep.host,
			v == NTP_RESP_KOD_DENY ? "DENY" : "RSTR");
		break;
	default:
		s->bad_responses++;
		s->activity.failed++;
		/* a reply that is not authentic is no answer at all: without
		 * this, one forged or unsigned every poll would hold the first
		 * selection waiting for the source's first sample for ever */
		if (ntp_response_auth_failed(v))
			missed_poll(a, s);
		else
			s->reach <<= 1;
		pr_debug("upstream %s: response rejected: %s\n", s->ep.host,
			 ntp_response_verdict_name(v));
		break;
	}
	reselect(a);
}

/*
 * Upstream time moved by d_offset seconds against ours, and our clock's
 * readings by d_time (a leap taken by the corrected clock: -sign and 0; the
 * host clock stepped by s: -s and +s).  Every stored offset, sample time and
 * the fit move with it, so the filter keeps comparing like with like and the
 * correction stays what it should be.  Called with the lock held.
 */
static void move_sources(void *ctx, double d_offset, double d_time)
{
	struct agent *a = ctx;
	int i;

	for (i = 0; i < a->n; i++) {
		sst_move(&a->src[i].stats, d_offset, d_time);
		a->src[i].est.offset += d_offset;
	}
	tracking_move(&a->tracking, d_time);
}

static void move_clock(struct agent *a, double d_offset, double d_time)
{
	move_sources(a, d_offset, d_time);
	reference_move(&a->ref, d_offset, d_time);
}

/* Below this a "step" is a clock set to about where it was: nothing to move. */
#define HOST_STEP_IGNORE_S	1e-6

void agent_host_clock_stepped(struct agent *a, double step)
{
	int i;

	if (fabs(step) < HOST_STEP_IGNORE_S)
		return;
	pthread_mutex_lock(&a->lock);
	move_clock(a, -step, step);
	/* an exchange in flight began on the old clock: its sample would be
	 * off by the step; ask again instead */
	for (i = 0; i < a->n; i++) {
		if (a->src[i].fd >= 0) {
			close_request(&a->src[i]);
			a->src[i].next_poll = mono_now();
		}
	}
	pthread_mutex_unlock(&a->lock);
	if (a->model == CLOCK_MODEL_CORRECTED)
		pr_warn("host clock stepped by %+.6f s: the correction moved with it, "
			"the served time did not\n", step);
	else
		pr_warn("host clock stepped by %+.6f s: the served time follows the host "
			"clock (system clock model)\n", step);
}

void agent_assume_synced(struct agent *a, double offset, double freq, double t0)
{
	pthread_mutex_lock(&a->lock);
	a->ref.synced = true;
	a->ref.sys_peer = 0;
	a->ref.result.offset = offset;
	a->ref.result.freq = freq;
	a->ref.selected_at = t0;
	a->ref.update_tai_ns = (__u64)(t0 * 1e9);
	pthread_mutex_unlock(&a->lock);
}

/*
 * The resolver thread: name lookups (which may take seconds with a dead
 * DNS server) happen here, without the lock the publisher needs every
 * second and away from the agent thread, which keeps polling the sources
 * that have addresses (and beating for the watchdog).  Results are kept
 * only for the source still there: the set may have been replaced.
 */
static void *resolver_thread(void *arg)
{
	struct agent *a = arg;
	struct sockaddr_storage addr;
	struct ntpd_endpoint ep;
	unsigned int generation;
	__u64 one = 1;
	int i, err;

	testhook_network_input("resolver");
	pthread_mutex_lock(&a->lock);
	for (;;) {
		for (i = 0; i < a->n && !a->src[i].lookup_wanted; i++)
			;
		if (a->stopping)
			break;
		if (i == a->n) {
			pthread_cond_wait(&a->lookup_cond, &a->lock);
			continue;
		}
		a->src[i].lookup_wanted = false;
		ep = a->src[i].ep;
		generation = a->generation;
		pthread_mutex_unlock(&a->lock);
		err = lookup(&ep, &addr);
		pthread_mutex_lock(&a->lock);
		if (generation != a->generation || i >= a->n || a->src[i].resolved ||
		    !same_endpoint(&a->src[i].ep, &ep))
			continue;
		if (err) {
			missed_poll(a, &a->src[i]);
			continue;
		}
		set_address(&a->src[i], &addr);
		a->src[i].next_poll = mono_now();
		/* poll it now, not at the agent's next wake-up */
		if (write(a->wake_fd, &one, sizeof(one)) != sizeof(one))
			pr_debug("agent: cannot wake the poller\n");
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/*
 * A source whose reply did not come by its deadline: a missed poll, the
 * minimum interval again, and after max_missed its history dropped.
 * Called with the lock held.
 */
static void reply_timed_out(struct agent *a, struct source *s)
{
	close_request(s);
	s->activity.timeout++;
	s->reach <<= 1;
	s->good_in_row = 0;
	s->poll = s->min_poll;
	if (++s->missed == a->cfg.max_missed) {
		if (s->ep.key_id)	/* chronyd drops what it cannot verify, silently */
			pr_warn("upstream %s port %u: unreachable after %d missed polls; our "
				"requests are signed with key %u: a server without that key, "
				"or with another secret for it, does not answer\n", s->ep.host,
				s->ep.port, s->missed, s->ep.key_id);
		else
			pr_warn("upstream %s: unreachable after %d missed polls\n", s->ep.host,
				s->missed);
		/* what it said before going away is no evidence now */
		sst_reset(&s->stats);
	}
	if (!s->ep.resolved && s->missed >= a->cfg.max_missed)
		s->resolved = false;
	reselect(a);
}

/*
 * One pass over the sources at monotonic `now`: time out, look up or poll
 * what is due, and list the sockets in flight in fds (their sources in
 * idx).  Returns how many; *wake is the earliest deadline or poll, at most
 * a second away.  Called with the lock held.
 */
static int poll_sources(struct agent *a, double now, struct pollfd *fds, int *idx, double *wake)
{
	int i, n = 0;

	*wake = now + 1.0;
	for (i = 0; i < a->n; i++) {
		struct source *s = &a->src[i];

		if (s->denied)
			continue;
		if (s->fd >= 0 && now >= s->deadline)
			reply_timed_out(a, s);
		if (s->fd < 0 && now >= s->next_poll && !s->resolved) {
			/* the resolver thread looks it up; polled once found */
			s->lookup_wanted = true;
			pthread_cond_signal(&a->lookup_cond);
			s->next_poll = now + poll_interval(s);
		} else if (s->fd < 0 && now >= s->next_poll) {
			send_request(a, s, now);
		}
		if (s->fd >= 0) {
			fds[n] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
			idx[n++] = i;
			if (s->deadline < *wake)
				*wake = s->deadline;
		} else if (s->next_poll < *wake) {
			*wake = s->next_poll;
		}
	}
	return n;
}

static void *agent_thread(void *arg)
{
	struct agent *a = arg;
	struct pollfd fds[NTPD_MAX_UPSTREAMS + 2];
	int idx[NTPD_MAX_UPSTREAMS];
	unsigned int generation;
	double now, wake;
	int i, n, timeout_ms;
	__u64 events;
	__s64 step_ns;

	testhook_network_input("agent");
	for (;;) {
		now = mono_now();
		__atomic_store_n(&a->heartbeat_ns, (__u64)(now * 1e9), __ATOMIC_RELAXED);
		if (testhook_due(TESTHOOK_AGENT_EXIT)) {
			pr_warn("agent: test hook: the agent thread stops\n");
			break;
		}
		if (testhook_due(TESTHOOK_AGENT_HANG)) {
			pr_warn("agent: test hook: the agent thread hangs holding its lock\n");
			pthread_mutex_lock(&a->lock);
			testhook_hang();
		}
		pthread_mutex_lock(&a->lock);
		n = poll_sources(a, now, fds, idx, &wake);
		generation = a->generation;
		pthread_mutex_unlock(&a->lock);
		fds[n] = (struct pollfd){ .fd = a->wake_fd, .events = POLLIN };
		fds[n + 1] = (struct pollfd){ .fd = a->step_watch.fd, .events = POLLIN };
		timeout_ms = (int)ceil((wake - now) * 1000);
		if (poll(fds, (nfds_t)n + 2, timeout_ms > 0 ? timeout_ms : 0) < 0 && errno != EINTR) {
			pr_warn("agent: poll: %s: the agent thread stops\n", strerror(errno));
			break;
		}
		/* every pass (at least one a second), so slewing never adds up */
		if (clockstep_check(&a->step_watch, &step_ns)) {
			agent_host_clock_stepped(a, (double)step_ns / 1e9);
			if (a->cfg.on_clock_step)
				a->cfg.on_clock_step(a->cfg.on_clock_step_ctx);
		}
		if (fds[n].revents && read(a->wake_fd, &events, sizeof(events)) < 0)
			events = 0;	/* EAGAIN: someone else drained it; nothing lost */
		pthread_mutex_lock(&a->lock);
		if (a->stopping) {
			pthread_mutex_unlock(&a->lock);
			break;
		}
		/* a replaced upstream set closed these sockets: the fds mean nothing now */
		for (i = 0; i < n && generation == a->generation; i++)
			if (fds[i].revents)
				receive_reply(a, &a->src[idx[i]]);
		pthread_mutex_unlock(&a->lock);
	}
	return NULL;
}

static __s8 clock_precision(void)
{
	struct ntpd_ref_state st;

	return refstate_from_system_clock(&st, 1) ? -20 : st.precision;
}

int agent_start(struct agent **out, const struct agent_config *cfg)
{
	struct sockaddr_storage addr;
	struct kclock kc;
	struct agent *a;
	int i, err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	a->wake_fd = -1;
	a->step_watch.fd = -1;
	a->logged_peer = -1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->lookup_cond, NULL);
	a->precision = clock_precision();
	a->model = cfg->model;
	if (a->model == CLOCK_MODEL_AUTO) {
		/* an unreadable clock state is no sign that someone disciplines it */
		err = kclock_read(&kc);
		a->model = !err && kc.synchronised ? CLOCK_MODEL_SYSTEM : CLOCK_MODEL_CORRECTED;
		if (err)
			pr_info("clock model: corrected (the kernel's clock state cannot be read: "
				"adjtimex: %s)\n", strerror(-err));
		else
			pr_info("clock model: %s (the kernel says the clock is %ssynchronised)\n",
				a->model == CLOCK_MODEL_SYSTEM ? "system" : "corrected",
				a->model == CLOCK_MODEL_SYSTEM ? "" : "not ");
	}
	reference_init(&a->ref, a->model, a->precision, cfg->initial_freq,
		       cfg->have_initial_freq ? cfg->initial_freq_sd : -1);
	a->n = cfg->n_upstreams;
	for (i = 0; i < a->n; i++) {
		source_init(&a->src[i], &cfg->upstreams[i], cfg);
		/* no thread yet, no lock to hold: a failure is retried at each poll */
		if (!lookup(&a->src[i].ep, &addr))
			set_address(&a->src[i], &addr);
	}
	a->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->wake_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* without it (no timerfd) a host step is only seen at the next poll */
	err = clockstep_open(&a->step_watch);
	if (err)
		pr_warn("agent: cannot watch the host clock for steps: %s\n", strerror(-err));
	a->heartbeat_ns = (__u64)(mono_now() * 1e9);
	err = -pthread_create(&a->resolver, NULL, resolver_thread, a);
	if (err)
		goto cleanup;
	a->resolver_started = true;
	err = -pthread_create(&a->thread, NULL, agent_thread, a);
	if (err)
		goto cleanup;
	a->thread_started = true;
	*out = a;
	return 0;
cleanup:
	agent_stop(a);
	return err;
}

void agent_stop(struct agent *a)
{
	__u64 one = 1;
	int i;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_broadcast(&a->lookup_cond);
	pthread_mutex_unlock(&a->lock);
	if (a->thread_started) {
		if (write(a->wake_fd, &one, sizeof(one)) != sizeof(one))
			pr_warn("agent: cannot signal stop\n");
		pthread_join(a->thread, NULL);
	}
	if (a->resolver_started)
		pthread_join(a->resolver, NULL);
	for (i = 0; i < a->n; i++)
		close_request(&a->src[i]);
	if (a->wake_fd >= 0)
		close(a->wake_fd);
	clockstep_close(&a->step_watch);
	pthread_cond_destroy(&a->lookup_cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int agent_reference_state(struct agent *a, __u64 now_tai_ns, struct ntpd_ref_state *st,
			  const char **why)
{
	struct kclock kc;
	int err;

	refstate_unsynchronised(st, now_tai_ns, a->precision);
	*why = "unsynchronised";
	err = lock_bounded(a);
	if (err) {
		*why = "agent not responding";
		return err;
	}
	/* no TAI offset, no leap warning, no word on who disciplines the clock:
	 * nothing but LI=3 is honest (docs/time.md) */
	err = kclock_read(&kc);
	if (err) {
		*why = "kernel clock unreadable";
	} else if (a->ref.synced) {
		struct leap_clock clk = { .corrected = a->model == CLOCK_MODEL_CORRECTED,
					  .smear = a->cfg.leap_smear,
					  .kernel_sign = kc.leap == NTP_LEAP_INSERT ? 1 :
							 kc.leap == NTP_LEAP_DELETE ? -1 : 0 };

		reference_publish(&a->ref, now_tai_ns, kc.tai_offset_ns, &clk, move_sources, a, st);
		*why = "upstream";
	} else if (a->cfg.local_stratum) {
		err = refstate_from_system_clock(st, a->cfg.local_stratum);
		if (err) {
			refstate_unsynchronised(st, now_tai_ns, a->precision);
			*why = "kernel clock unreadable";
		} else {
			st->update_tai_ns = now_tai_ns;
			*why = "local";
		}
	}
	pthread_mutex_unlock(&a->lock);
	return err;
}

__u64 agent_heartbeat_ns(const struct agent *a)
{
	return __atomic_load_n(&a->heartbeat_ns, __ATOMIC_RELAXED);
}

int agent_set_upstreams(struct agent *a, const struct ntpd_endpoint *eps, int n)
{
	struct source *next = a->next;	/* only under the lock */
	bool kept[NTPD_MAX_UPSTREAMS] = { false };
	__u64 one = 1;
	int i, j;

	if (n < 1 || n > NTPD_MAX_UPSTREAMS)
		return -EINVAL;
	if (lock_bounded(a))
		return -ETIMEDOUT;
	for (i = 0; i < n; i++) {
		/* an upstream in both sets keeps its samples and poll state */
		for (j = 0; j < a->n; j++)
			if (!kept[j] && same_endpoint(&a->src[j].ep, &eps[i]))
				break;
		if (j < a->n) {
			kept[j] = true;
			next[i] = a->src[j];
			next[i].ep = eps[i];	/* its options may have changed */
			source_bounds(&next[i], &eps[i], &a->cfg);
		} else {
			source_init(&next[i], &eps[i], &a->cfg);
		}
	}
	for (j = 0; j < a->n; j++)
		if (!kept[j])
			close_request(&a->src[j]);
	memcpy(a->src, next, sizeof(next[0]) * (size_t)n);
	a->n = n;
	a->generation++;
	reselect(a);
	pthread_mutex_unlock(&a->lock);
	/* poll the newcomers now, not at the next wake-up */
	if (write(a->wake_fd, &one, sizeof(one)) != sizeof(one))
		pr_warn("agent: cannot wake the poller\n");
	for (i = 0; i < n; i++)
		pr_info("upstream set: %s port %u\n", eps[i].host, eps[i].port);
	return 0;
}

/* Good enough to keep: a line through real samples, not the prior carried on. */
#define DRIFT_KEEP_MAX_SKEW 1e-6

bool agent_frequency(struct agent *a, double *freq, double *skew)
{
	bool good;

	if (lock_bounded(a))
		return false;
	/* and a line through enough samples that its skew means something: a
	 * few samples can claim a skew their spread does not bear out */
	good = a->model == CLOCK_MODEL_CORRECTED && a->ref.synced && !a->ref.holdover &&
	       a->ref.result.freq_sd > 0 && a->ref.result.freq_sd < DRIFT_KEEP_MAX_SKEW &&
	       a->ref.sys_peer >= 0 && a->src[a->ref.sys_peer].stats.have_fit &&
	       a->src[a->ref.sys_peer].stats.fit.n >= POLL_TARGET_SAMPLES;
	*freq = a->ref.result.freq;
	*skew = a->ref.result.freq_sd;
	pthread_mutex_unlock(&a->lock);
	return good;
}

int agent_source_count(struct agent *a)
{
	int n;

	if (!a || lock_bounded(a))
		return 0;
	n = a->n;
	pthread_mutex_unlock(&a->lock);
	return n;
}

enum clock_model agent_clock_model(const struct agent *a)
{
	return a->model;
}

const char *agent_source_state_name(enum source_state s)
{
	static const char *const names[] = {
		[SOURCE_UNREACHABLE] = "unreachable", [SOURCE_CANDIDATE] = "candidate",
		[SOURCE_SELECTED] = "selected", [SOURCE_SYSTEM_PEER] = "system_peer",
		[SOURCE_FALSETICKER] = "falseticker", [SOURCE_DENIED] = "denied",
	};
	return names[s];
}

int agent_source_status(struct agent *a, int i, struct agent_source_status *out)
{
	const struct source *s = &a->src[i];

	memset(out, 0, sizeof(*out));
	if (lock_bounded(a))
		return -ETIMEDOUT;
	if (i >= a->n) {	/* the set shrank since the caller counted */
		pthread_mutex_unlock(&a->lock);
		return -ENOENT;
	}
	/* host and port: several upstreams may share a host (labels must differ) */
	endpoint_format(&s->ep, out->name, sizeof(out->name));
	out->state = s->state;
	out->reach = s->reach;
	out->reachable = s->reach != 0 && !s->denied;
	out->poll = s->loopback ? 0 : s->poll;
	out->stratum = s->have_est ? s->est.newest.stratum : 0;
	out->offset = s->est.offset;
	out->delay = s->est.delay;
	out->dispersion = s->est.dispersion;
	out->jitter = s->est.jitter;
	out->freq = s->est.freq;
	out->skew = s->est.freq_sd;
	out->samples_used = s->est.n;
	out->unusable = s->unusable;
	out->kod_rate = s->kod_rate;
	out->kod_deny = s->kod_deny;
	out->samples = s->samples;
	out->bad_responses = s->bad_responses;
	out->activity = s->activity;
	out->last_rx = s->last_rx ? mono_now() - s->last_rx : -1;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

int agent_tracking(struct agent *a, struct agent_tracking *out)
{
	const struct reference *r = &a->ref;

	if (lock_bounded(a))
		return -ETIMEDOUT;
	*out = a->tracking;
	out->synced = r->synced;
	out->freq = r->result.freq;
	out->skew = r->result.freq_sd;
	/* what the system peer's own line says, against the frequency in use */
	out->residual_freq = r->synced && r->sys_peer >= 0 && a->src[r->sys_peer].have_est ?
			     a->src[r->sys_peer].est.freq - r->result.freq : 0;
	pthread_mutex_unlock(&a->lock);
	return 0;
}
