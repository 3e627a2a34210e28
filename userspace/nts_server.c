// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "nts_server.h"
#include "kclock.h"
#include "log.h"
#include "nts_ke.h"
#include "nts_stats.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define KEYS_CHECK_S	1	/* rotation due, or a fleet's file changed */

struct nts_server {
	struct nts_cookie_ring ring;
	struct nts_ke *ke;		/* NULL with ntsport 0: cookies only */
	int64_t rotate_s;		/* 0: never, read the file another writes */
	pthread_t keys_thread;
	bool keys_started;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
};

/* Published once the threads run; the socket workers read it per request. */
static struct nts_cookie_ring *active_ring;

struct nts_cookie_ring *nts_server_ring(void)
{
	return __atomic_load_n(&active_ring, __ATOMIC_ACQUIRE);
}

static int64_t unix_now(void)
{
	__u64 ns;

	kclock_now_ns(CLOCK_REALTIME, &ns);
	return (int64_t)(ns / 1000000000ull);
}

static int64_t file_mtime(const char *path)
{
	struct stat sb;

	if (!path || stat(path, &sb))
		return -1;
	return sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
}

/* Rotate when due; without rotation, follow the file another server writes. */
static void check_keys(struct nts_server *s)
{
	int64_t now = unix_now(), mtime;
	int err;

	if (s->rotate_s) {
		if (!nts_cookie_ring_due(&s->ring, now, s->rotate_s))
			return;
		err = nts_cookie_ring_rotate(&s->ring, now);
		if (err)
			pr_warn("nts: rotating the cookie key: %s\n", strerror(-err));
		else
			pr_info("nts: new cookie key (the %d newest are kept)\n", NTS_COOKIE_KEYS);
		return;
	}
	mtime = file_mtime(s->ring.path);
	if (mtime >= 0 && mtime != s->ring.file_mtime) {
		err = nts_cookie_ring_load(&s->ring);
		if (err)
			pr_warn("nts: re-reading %s: %s; the keys in use are kept\n", s->ring.path,
				strerror(-err));
		else
			pr_info("nts: cookie keys re-read from %s\n", s->ring.path);
	}
}

static void *keys_main(void *arg)
{
	struct nts_server *s = arg;
	struct timespec until;

	pthread_mutex_lock(&s->stop_lock);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->stop_lock);
		check_keys(s);
		pthread_mutex_lock(&s->stop_lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += KEYS_CHECK_S;
		if (!s->stopping)
			pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &until);
	}
	pthread_mutex_unlock(&s->stop_lock);
	return NULL;
}

static void ke_listen_addr(struct sockaddr_storage *out, const struct ntpd_endpoint *ep,
			   int port)
{
	*out = ep->addr;
	/* sin_port and sin6_port sit at the same offset */
	if (out->ss_family)
		((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
}

/* The keys at start: the file's, or a first one made (and written). */
static int first_keys(struct nts_server *s)
{
	int err = nts_cookie_ring_load(&s->ring);

	if (err == -ENOENT && s->rotate_s) {
		pr_info("nts: no cookie key file%s%s: a new key\n", s->ring.path ? " at " : "",
			s->ring.path ? s->ring.path : "");
		return nts_cookie_ring_rotate(&s->ring, unix_now());
	}
	if (err)
		pr_err("nts: cookie keys from %s: %s%s\n", s->ring.path ? s->ring.path : "(none)",
		       strerror(-err), s->rotate_s ? "" : " (ntsrotate 0 needs the file)");
	return err;
}

/* 1 when the options turn NTS on, 0 when off, -EINVAL (said) for half of it. */
static int nts_wanted(const struct ntpd_options *o)
{
	if (!o->nts_cert && !o->nts_key)
		return 0;
	if (!o->nts_cert || !o->nts_key) {
		pr_err("nts: ntsservercert and ntsserverkey go together\n");
		return -EINVAL;
	}
	return 1;
}

int nts_server_check(const struct ntpd_options *o)
{
	struct nts_cookie_ring ring;
	int err = nts_wanted(o);

	if (err <= 0)
		return err;
	err = nts_ke_check_files(o->nts_cert, o->nts_key);
	if (err || !o->nts_dump_dir)
		return err;
	err = nts_cookie_ring_init(&ring, o->nts_dump_dir);
	if (!err) {
		err = nts_cookie_ring_load(&ring);
		if (err == -ENOENT && o->nts_rotate)
			err = 0;	/* made at the first start */
		else if (err)
			pr_err("nts: cookie keys from %s: %s\n", ring.path, strerror(-err));
	}
	nts_cookie_ring_free(&ring);
	return err;
}

int nts_server_open(struct nts_server **out, const struct ntpd_options *o)
{
	struct nts_server *s;
	int err;

	*out = NULL;
	err = nts_wanted(o);
	if (err <= 0)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rotate_s = o->nts_rotate;
	pthread_mutex_init(&s->stop_lock, NULL);
	pthread_cond_init(&s->stop_cond, NULL);
	err = nts_cookie_ring_init(&s->ring, o->nts_dump_dir);
	if (!err)
		err = first_keys(s);
	if (!err && o->nts_port) {
		struct nts_ke_params p = {
			.cert_file = o->nts_cert, .key_file = o->nts_key,
			.threads = o->nts_threads, .ntp_server = o->nts_ntp_server,
			.ring = &s->ring,
		};

		/* clients are sent to our NTP port when it is not the default */
		if (o->listen4.port != NTP_PORT_DEFAULT)
			p.ntp_port = o->listen4.port;
		/* a family turned off (-4 0, -6 0) has no key exchange either */
		if (o->threads4)
			ke_listen_addr(&p.listen4, &o->listen4, o->nts_port);
		if (o->threads6)
			ke_listen_addr(&p.listen6, &o->listen6, o->nts_port);
		err = nts_ke_open(&s->ke, &p);
	}
	if (err) {
		nts_server_close(s);
		return err;
	}
	*out = s;
	return 0;
}

int nts_server_run(struct nts_server *s)
{
	int err;

	if (!s)
		return 0;
	err = -pthread_create(&s->keys_thread, NULL, keys_main, s);
	if (err)
		return err;
	s->keys_started = true;
	if (s->ke) {
		err = nts_ke_run(s->ke);
		if (err)
			return err;
	}
	nts_stats_set_ke_load(0, 0);	/* the NTS metrics are shown from now on */
	__atomic_store_n(&active_ring, &s->ring, __ATOMIC_RELEASE);
	return 0;
}

void nts_server_reload(struct nts_server *s, const struct ntpd_options *next)
{
	if (!s)
		return;
	if (s->ke && next->nts_cert && next->nts_key &&
	    nts_ke_reload(s->ke, next->nts_cert, next->nts_key))
		pr_err("SIGHUP: nts: the certificate in use is kept\n");
	else if (s->ke)
		pr_info("SIGHUP: nts: certificate %s reloaded\n", next->nts_cert);
	if (s->ring.path && nts_cookie_ring_load(&s->ring))
		pr_warn("SIGHUP: nts: %s not re-read; the keys in use are kept\n", s->ring.path);
}

void nts_server_close(struct nts_server *s)
{
	if (!s)
		return;
	__atomic_store_n(&active_ring, NULL, __ATOMIC_RELEASE);
	pthread_mutex_lock(&s->stop_lock);
	s->stopping = true;
	pthread_cond_signal(&s->stop_cond);
	pthread_mutex_unlock(&s->stop_lock);
	if (s->keys_started)
		pthread_join(s->keys_thread, NULL);
	nts_ke_close(s->ke);
	/* a socket worker may still hold the ring: they stop before this */
	nts_cookie_ring_free(&s->ring);
	pthread_cond_destroy(&s->stop_cond);
	pthread_mutex_destroy(&s->stop_lock);
	free(s);
}
