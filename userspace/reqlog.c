// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "reqlog.h"
#include "log.h"
#include "stats.h"
#include "xdp_ntpd.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct {
	bool on;
	double rate;			/* lines per second, and the burst */
	double tokens;
	double last;			/* CLOCK_MONOTONIC s of the last refill */
	double last_summary;
	__u64 logged, suppressed, suppressed_reported;
	pthread_mutex_t lock;
	struct ring_buffer *rb;
	pthread_t thread;
	bool thread_started;
	volatile bool stopping;
} rl = { .lock = PTHREAD_MUTEX_INITIALIZER };

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__u64 reqlog_threshold(unsigned int sample)
{
	return sample ? (1ULL << 32) / sample : 0;
}

/* Once a second at most: how many lines the cap held back. */
static void summarise(double now)
{
	__u64 held = rl.suppressed - rl.suppressed_reported;

	if (!held || now - rl.last_summary < 1.0)
		return;
	pr_info("request log: %llu requests not logged (over %g lines/s)\n",
		(unsigned long long)held, rl.rate);
	rl.suppressed_reported = rl.suppressed;
	rl.last_summary = now;
}

void reqlog_event(const struct ntpd_request_event *ev)
{
	char addr[INET6_ADDRSTRLEN];
	bool v6;
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	double now;

	if (!rl.on)
		return;
	now = mono_s();
	pthread_mutex_lock(&rl.lock);
	rl.tokens += (now - rl.last) * rl.rate;
	if (rl.tokens > rl.rate)
		rl.tokens = rl.rate;
	rl.last = now;
	if (rl.tokens < 1) {
		rl.suppressed++;
		summarise(now);
		pthread_mutex_unlock(&rl.lock);
		return;
	}
	rl.tokens -= 1;
	rl.logged++;
	summarise(now);
	pthread_mutex_unlock(&rl.lock);

	/* ADDR:PORT, [V6ADDR]:PORT: as endpoints are written everywhere else */
	if (!memcmp(ev->addr, v4mapped, sizeof(v4mapped))) {
		inet_ntop(AF_INET, &ev->addr[12], addr, sizeof(addr));
		v6 = false;
	} else {
		inet_ntop(AF_INET6, ev->addr, addr, sizeof(addr));
		v6 = true;
	}
	pr_info("request: %s%s%s:%u v%u mode %u -> %s/%s (%s)\n", v6 ? "[" : "", addr,
		v6 ? "]" : "", ntohs(ev->port), ev->version, ev->mode,
		stats_counter_outcome((int)ev->outcome), stats_counter_reason((int)ev->outcome),
		ev->path == NTPD_PATH_XDP ? "xdp" :
		ev->path == NTPD_PATH_SOCKET_RING ? "socket_ring" : "socket");
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(struct ntpd_request_event))
		reqlog_event(data);
	return 0;
}

static void *consumer(void *arg)
{
	(void)arg;
	while (!rl.stopping) {
		if (ring_buffer__poll(rl.rb, 200) < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&rl.lock);
		summarise(mono_s());
		pthread_mutex_unlock(&rl.lock);
	}
	return NULL;
}

int reqlog_start(unsigned int lines_per_s, const struct ntpd_attachment *att, int n_att)
{
	int i, err;

	if (!lines_per_s)
		return 0;
	rl.rate = lines_per_s;
	rl.tokens = lines_per_s;
	rl.last = rl.last_summary = mono_s();
	rl.on = true;
	for (i = 0; i < n_att; i++) {
		int fd;

		if (!att[i].attached || !att[i].skel)
			continue;
		fd = bpf_map__fd(att[i].skel->maps.ntpd_events);
		if (!rl.rb)
			rl.rb = ring_buffer__new(fd, on_ring_event, NULL, NULL);
		else if (ring_buffer__add(rl.rb, fd, on_ring_event, NULL))
			goto fail;
		if (!rl.rb)
			goto fail;
	}
	if (rl.rb) {
		err = -pthread_create(&rl.thread, NULL, consumer, NULL);
		if (err)
			return err;
		rl.thread_started = true;
	}
	pr_info("request log: on, at most %u lines/s\n", lines_per_s);
	return 0;
fail:
	err = -errno;
	pr_warn("request log: reading the XDP ring buffer: %s\n", strerror(-err));
	return err;
}

void reqlog_stop(void)
{
	rl.stopping = true;
	if (rl.thread_started)
		pthread_join(rl.thread, NULL);
	rl.thread_started = false;
	ring_buffer__free(rl.rb);
	rl.rb = NULL;
	rl.on = false;
}

void reqlog_stats(struct reqlog_stats *out, const struct ntpd_attachment *att, int n_att)
{
	int i;

	pthread_mutex_lock(&rl.lock);
	out->logged = rl.logged;
	out->suppressed = rl.suppressed;
	pthread_mutex_unlock(&rl.lock);
	out->lost = 0;
	for (i = 0; i < n_att; i++) {
		__u32 zero = 0;
		__u64 lost = 0;

		if (att[i].attached && att[i].skel &&
		    !bpf_map_lookup_elem(bpf_map__fd(att[i].skel->maps.ntpd_events_lost), &zero, &lost))
			out->lost += lost;
	}
}
