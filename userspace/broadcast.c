// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The broadcast server (broadcast.h): one thread, one socket per target,
 * each target on its own schedule.  The packet is ntp_fill_broadcast()'s,
 * the served time of the same builder the answers use, and it is sent
 * only when that builder says a client would be told synchronised.
 *
 * Each socket is bound to the target address itself on our server port:
 * classic ntpd's broadcast client answers a first broadcast with a volley of
 * client requests to its source address and port, to measure the delay, and
 * from an ephemeral port nobody would answer them.  Bound to the broadcast
 * or group address, the socket is in no SO_REUSEPORT group of the socket
 * server's (those are the wildcard's), so it is handed no request; a filter
 * drops the copies of broadcasts it would otherwise queue unread.
 */
#include "broadcast.h"
#include "log.h"
#include "ntp_proto.h"
#include "refstate.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct broadcaster {
	struct broadcast_list list;
	const struct ntp_keyring *keys;
	struct ntpd_config cfg;
	const struct ntpd_ref_buffer *ref;
	int fd[BROADCAST_MAX];
	__u64 due_ns[BROADCAST_MAX];	/* CLOCK_MONOTONIC of the next send */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* CLOCK_MONOTONIC */
	bool stopping;
	int last[BROADCAST_MAX];	/* enum send_result of each target's last try */
};

static int fail(char *err, size_t errlen, const char *fmt, const char *word)
{
	snprintf(err, errlen, fmt, word);
	return -EINVAL;
}

/* A group or broadcast address of ours to send to, with its scope. */
static int parse_addr(const char *text, struct broadcast_target *t)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], *pct;
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->addr;

	if (strlen(text) >= sizeof(host))
		return -EINVAL;
	snprintf(host, sizeof(host), "%s", text);
	snprintf(t->text, sizeof(t->text), "%s", text);
	pct = strchr(host, '%');
	if (pct)
		*pct++ = '\0';
	if (!pct && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(NTP_PORT_DEFAULT);
		/* any IPv4 address: a subnet broadcast cannot be told from
		 * unicast without the interface, which the kernel checks
		 * (SO_BROADCAST) when sending */
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
	    !IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
		return -EINVAL;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(NTP_PORT_DEFAULT);
	if (pct) {
		sin6->sin6_scope_id = if_nametoindex(pct);
		if (!sin6->sin6_scope_id)
			return -EINVAL;
	}
	return 0;
}

int broadcast_parse(struct broadcast_list *list, int argc, char **argv, char *err,
		    size_t errlen)
{
	struct broadcast_target t = { .interval_s = BROADCAST_INTERVAL_DEFAULT };
	char *end;
	long v;
	int i = 1;

	if (list->n == BROADCAST_MAX) {
		snprintf(err, errlen, "at most %d broadcast addresses", BROADCAST_MAX);
		return -ENOSPC;
	}
	if (argc < 1 || parse_addr(argv[0], &t))
		return fail(err, errlen,
			    "'%s' is not an IPv4 or IPv6 multicast address (ff02::101%%IFACE), "
			    "or an IPv4 broadcast one", argc < 1 ? "" : argv[0]);
	if (i < argc && strcmp(argv[i], "key")) {
		v = strtol(argv[i], &end, 10);
		if (end == argv[i] || *end || v < 1 || v > BROADCAST_INTERVAL_MAX)
			return fail(err, errlen, "interval '%s' is not 1 to 86400 seconds", argv[i]);
		t.interval_s = (unsigned int)v;
		i++;
	}
	if (i < argc) {
		if (strcmp(argv[i], "key") || i + 1 >= argc)
			return fail(err, errlen, "'%s': expected key ID", argv[i]);
		v = strtol(argv[i + 1], &end, 10);
		if (end == argv[i + 1] || *end || v < 1 || v > 0x7fffffffL)
			return fail(err, errlen, "key '%s' is not a key ID", argv[i + 1]);
		t.keyid = (__u32)v;
		i += 2;
	}
	if (i < argc)
		return fail(err, errlen, "'%s': too many words", argv[i]);
	list->target[list->n++] = t;
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC_U64 + (__u64)ts.tv_nsec;
}

/* Sends from ADDR:PORT (the target's address, our server port): see the top
 * of the file.  A target that is no broadcast or group address of ours (a
 * unicast peer) cannot be bound; it keeps an ephemeral port. */
static int bind_server_port(int fd, const struct broadcast_target *t, __be16 port)
{
	struct sock_filter drop_all = BPF_STMT(BPF_RET | BPF_K, 0);
	const struct sock_fprog prog = { .len = 1, .filter = &drop_all };
	struct sockaddr_storage local = t->addr;
	socklen_t len = sizeof(struct sockaddr_in);
	int one = 1;

	if (t->addr.ss_family == AF_INET) {
		((struct sockaddr_in *)&local)->sin_port = port;
	} else {
		((struct sockaddr_in6 *)&local)->sin6_port = port;
		len = sizeof(struct sockaddr_in6);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    (t->addr.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))))
		return -errno;
	if (bind(fd, (const struct sockaddr *)&local, len))
		pr_warn("broadcast %s: cannot send from port %u (%s): from an ephemeral port, "
			"which ntpd's broadcast clients cannot calibrate against\n",
			t->text, ntohs(port), strerror(errno));
	return 0;
}

/* Allowed to broadcast, group packets kept on the link (TTL/hops 1, as
 * ntpd's default) and not looped back to our own sockets (a subnet
 * broadcast always is: the socket server counts that copy as
 * passed/not_local). */
static int open_target(const struct broadcast_target *t, const struct ntpd_config *cfg)
{
	int family = t->addr.ss_family, one = 1, zero = 0, fd, err;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET ?
		    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
			    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof(one)) ||
			    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero)) :
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero)) ||
			    (((const struct sockaddr_in6 *)&t->addr)->sin6_scope_id &&
			     setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
					&((const struct sockaddr_in6 *)&t->addr)->sin6_scope_id,
					sizeof(__u32)))) {
		err = -errno;
		close(fd);
		return err;
	}
	err = bind_server_port(fd, t, family == AF_INET || !cfg->ntp_port6 ? cfg->ntp_port :
									       cfg->ntp_port6);
	if (err) {
		close(fd);
		return err;
	}
	return ntp_socket_set_dscp(fd, family, cfg->dscp);
}

int broadcast_check_keys(const struct broadcast_list *list, const struct ntp_keyring *keys)
{
	int i;

	for (i = 0; i < list->n; i++) {
		if (list->target[i].keyid && !ntp_keys_find(keys, list->target[i].keyid)) {
			pr_err("broadcast %s: key %u is not in --keys\n", list->target[i].text,
			       list->target[i].keyid);
			return -EINVAL;
		}
	}
	return 0;
}

int broadcast_open(struct broadcaster **out, const struct broadcast_list *list,
		   const struct ntp_keyring *keys, const struct ntpd_config *cfg)
{
	struct broadcaster *b;
	pthread_condattr_t ca;
	int i, err = 0;

	*out = NULL;
	if (!list->n)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->list = *list;
	b->keys = keys;
	b->cfg = *cfg;
	for (i = 0; i < BROADCAST_MAX; i++)
		b->fd[i] = -1;
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->wake, &ca);
	pthread_condattr_destroy(&ca);
	err = broadcast_check_keys(list, keys);
	if (err)
		goto cleanup;
	for (i = 0; i < list->n; i++) {
		const struct broadcast_target *t = &list->target[i];

		b->fd[i] = open_target(t, cfg);
		if (b->fd[i] < 0) {
			err = b->fd[i];
			pr_err("broadcast %s: %s\n", t->text, strerror(-err));
			goto cleanup;
		}
	}
	*out = b;
	return 0;
cleanup:
	broadcast_stop(b);
	return err;
}

static __s8 interval_log2(unsigned int s)
{
	__s8 p = 0;

	while ((1U << (p + 1)) <= s && p < 17)
		p++;
	return p;
}

enum send_result {
	SEND_NONE,		/* not tried yet */
	SEND_SENT,
	SEND_HELD,		/* not synchronised (or the state unreadable) */
	SEND_FAILED,		/* the kernel refused it (no route?), errno saved */
};

/* One target's packet now, if we are synchronised. */
static enum send_result send_one(struct broadcaster *b, int i)
{
	const struct broadcast_target *t = &b->list.target[i];
	__u8 buf[NTP_PACKET_LEN + 4 + NTP_MAC_MAX_DIGEST];
	struct ntp_packet *pkt = (struct ntp_packet *)buf;
	struct ntpd_ref_state st;
	size_t len = NTP_PACKET_LEN;
	__u64 now = refstate_tai_now_ns();
	int fresh;

	if (refstate_read(b->ref, &st))
		return SEND_HELD;
	fresh = ntp_state_fresh(&st, now, b->cfg.max_state_age_ns);
	if (!ntp_fill_broadcast(pkt, &st, &b->cfg, now, fresh, interval_log2(t->interval_s)))
		return SEND_HELD;
	ntp_set_transmit(pkt, &st, refstate_tai_now_ns());
	if (t->keyid) {
		len = ntp_auth_sign(ntp_keys_find(b->keys, t->keyid), buf);
		if (!len) {
			/* never an unsigned packet where a signed one was asked */
			errno = EIO;
			return SEND_FAILED;
		}
	}
	if (sendto(b->fd[i], buf, len, 0, (const struct sockaddr *)&t->addr,
		   t->addr.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						  sizeof(struct sockaddr_in6)) < 0)
		return SEND_FAILED;
	return SEND_SENT;
}

/* Each change of a target's outcome logged once, never per packet. */
static void log_change(struct broadcaster *b, int i, enum send_result r, int err)
{
	const char *text = b->list.target[i].text;

	if ((int)r == b->last[i])
		return;
	if (r == SEND_SENT && b->last[i] != SEND_NONE)
		pr_info("broadcast %s: sending again\n", text);
	else if (r == SEND_HELD)
		pr_info("broadcast %s: not synchronised: holding\n", text);
	else if (r == SEND_FAILED)
		pr_warn("broadcast %s: cannot send: %s\n", text, strerror(err));
	b->last[i] = r;
}

static void due_targets(struct broadcaster *b, __u64 now)
{
	int i;

	for (i = 0; i < b->list.n; i++) {
		if (b->due_ns[i] > now)
			continue;
		enum send_result r = send_one(b, i);

		log_change(b, i, r, errno);
		b->due_ns[i] = now + b->list.target[i].interval_s * NSEC_PER_SEC_U64;
	}
}

static void *broadcast_main(void *arg)
{
	struct broadcaster *b = arg;
	struct timespec until;
	__u64 next;
	int i;

	pthread_mutex_lock(&b->lock);
	while (!b->stopping) {
		pthread_mutex_unlock(&b->lock);
		due_targets(b, mono_ns());
		for (next = ~0ULL, i = 0; i < b->list.n; i++)
			next = b->due_ns[i] < next ? b->due_ns[i] : next;
		until.tv_sec = (time_t)(next / NSEC_PER_SEC_U64);
		until.tv_nsec = (long)(next % NSEC_PER_SEC_U64);
		pthread_mutex_lock(&b->lock);
		if (!b->stopping)
			pthread_cond_timedwait(&b->wake, &b->lock, &until);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

int broadcast_run(struct broadcaster *b, const struct ntpd_ref_buffer *ref)
{
	int i, err;

	if (!b)
		return 0;
	b->ref = ref;
	for (i = 0; i < b->list.n; i++)
		pr_info("broadcast: to %s every %u s%s\n", b->list.target[i].text,
			b->list.target[i].interval_s, b->list.target[i].keyid ? ", signed" : "");
	err = -pthread_create(&b->thread, NULL, broadcast_main, b);
	b->started = !err;
	return err;
}

void broadcast_stop(struct broadcaster *b)
{
	int i;

	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
	if (b->started)
		pthread_join(b->thread, NULL);
	for (i = 0; i < BROADCAST_MAX; i++)
		if (b->fd[i] >= 0)
			close(b->fd[i]);
	pthread_cond_destroy(&b->wake);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
