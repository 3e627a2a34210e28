// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp-ntpd: attach the XDP responder (or fall back to sockets), keep the
 * served reference state fresh, serve until SIGINT/SIGTERM, detach cleanly.
 */
#include "addrwatch.h"
#include "agent.h"
#include "anycast.h"
#include "loader.h"
#include "log.h"
#include "http.h"
#include "metrics.h"
#include "mgmt_api.h"
#include "pool.h"
#include "serving.h"
#include "statefile.h"
#include "notify.h"
#include "ntp_auth.h"
#include "client_policy.h"
#include "ctl.h"
#include "options.h"
#include "policy.h"
#include "privileges.h"
#include "driftfile.h"
#include "leap.h"
#include "seccomp_filter.h"
#include "nts_server.h"
#include "openssl_lazy.h"
#include "refstate.h"
#include "reqlog.h"
#include "socket_server.h"
#include "stats.h"
#include "testhook.h"
#include "version.h"
#include "watchdog.h"

#include <errno.h>
#include <net/if.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Exit codes: 0 clean stop, 1 runtime failure, 2 bad command line. */
enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct daemon {
	struct ntpd_options opts;
	int argc;
	char **argv;			/* kept for SIGHUP: the file is re-read under the same flags */
	struct ntpd_attachment att[NTPD_MAX_IFACES];
	int n_att;
	/* served state when no XDP map exists (socket mode) */
	struct ntpd_ref_buffer mem_ref;
	struct addrwatch *addrwatch;
	struct socket_server *sockets;
	struct http_server *http;
	struct agent *agent;
	struct ntp_keyring keys;
	struct client_policy *policy;
	struct mode6 *mode6;		/* ntpq's read-only view */
	struct broadcaster *broadcaster;	/* --broadcast; NULL: none */
	struct mgmt_api *mgmt;
	struct statefile *state;	/* --state-file; NULL without */
	struct pool_watch *pools;	/* pool lines looked up again when lost */
	struct serving *serving;	/* POST /control */
	struct watchdog *watchdog;
	struct anycast *anycast;	/* the health-gated service addresses */
	struct nts_server *nts;		/* NULL: NTS off */
	const char *serving_from;	/* last reference source logged */
	bool served_synchronised;	/* ever published LI != 3: a loss is "LOST", not "INIT" */
	/*
	 * What may change while serving (SIGHUP in the main thread, the
	 * management API in the HTTP thread): opts.policy and the upstream set.
	 */
	pthread_mutex_t config_lock;
	struct ntpd_endpoint upstreams[NTPD_MAX_UPSTREAMS];
	int n_upstreams;
	bool inherited;		/* serving a replaced daemon's state until ours is ready */
	pthread_t main_thread;	/* takes the signals, publishes */
	__u64 drift_saved_ns;	/* CLOCK_TAI of the last drift file write */
	struct agent_config drift;	/* the drift file's frequency, read before the drop */
};

static const struct ntpd_ref_buffer *served_buffer(struct daemon *d);

/*
 * After a replace in place, the state the previous daemon published is
 * still being served.  While our agent has no selection of its own yet
 * (its first polls take seconds), that state is better than ours: keep it
 * until the agent is synchronised or the old state is half way to stale.
 */
static bool keep_inherited(struct daemon *d, const char *why, __u64 now)
{
	struct ntpd_ref_state old;

	if (!d->inherited)
		return false;
	if (!strcmp(why, "upstream") || refstate_read(served_buffer(d), &old) ||
	    now - old.update_tai_ns > d->opts.cfg.max_state_age_ns / 2) {
		d->inherited = false;
		pr_info("the previous daemon's reference state is %s: publishing our own\n",
			!strcmp(why, "upstream") ? "superseded" : "getting old");
		return false;
	}
	return true;
}

/*
 * How often the state is published.  Between publications every answer's
 * root dispersion grows at RFC 5905's 15 ppm from the publication, far
 * faster than our clock's own error grows (about 1 ppm): four a second keep
 * that growth under 4 us, and the bound clients see tight, for the cost of
 * a 184-byte copy.
 */
#define PUBLISH_PERIOD_NS	(NSEC_PER_SEC_U64 / 4)

/* The health of what is about to be published (anycast.h): /healthz's
 * answer, and whether the anycast addresses stay. */
static void judge_health(struct daemon *d, const struct ntpd_ref_state *st,
			 enum watchdog_thread dead)
{
	struct health_input in = {
		.synchronised = st->leap != NTP_LEAP_UNSYNC,
		.dead_thread = dead != WATCHDOG_N_THREADS ? watchdog_thread_name(dead) : NULL,
	};
	const char *why;

	/* asked only when it could matter: a stuck agent would hold the
	 * publisher for its lock timeout per source */
	if (in.synchronised && !in.dead_thread && health_upstreams_stale(d->agent, &in.stale))
		return;		/* the agent is busy: no finding this time */
	if (d->opts.xdp_mode != NTPD_XDP_SOCKET)
		in.path_down = health_path_down(d->att, d->n_att, d->opts.ifaces, d->opts.n_ifaces);
	why = health_judge(&in);
	health_publish(why, !why ? NULL : in.dead_thread ? in.dead_thread : in.path_down);
	anycast_update(d->anycast, !why);
}

/* Publish, and say when the next publication is due (CLOCK_TAI): a second
 * on, or sooner when a smear's slope changes before then. */
static __u64 publish_reference(struct daemon *d)
{
	const char *why = "unsynchronised";
	struct ntpd_ref_state st;
	enum watchdog_thread dead;
	__u64 now = refstate_tai_now_ns(), due = now + PUBLISH_PERIOD_NS, kink;
	int i, err;

	watchdog_publisher_beat(d->watchdog);
	dead = watchdog_check(d->watchdog);
	err = agent_reference_state(d->agent, now, &st, &why);
	if (dead == WATCHDOG_AGENT)
		why = "unsynchronised: the agent thread is dead or stuck";
	else if (dead == WATCHDOG_SOCKET)
		why = "unsynchronised: a socket worker is dead or stuck";
	else if (err == -ETIMEDOUT)
		return due;	/* the agent is busy: the last state ages until the watchdog decides */
	if (dead != WATCHDOG_N_THREADS)
		refstate_unsynchronised(&st, now, st.precision);
	if (!now)
		why = "unsynchronised: CLOCK_TAI unreadable";
	if (keep_inherited(d, why, now))
		return due;
	/* a refid says why there is no time to serve (docs/time.md) */
	if (st.leap != NTP_LEAP_UNSYNC)
		d->served_synchronised = true;
	else if (d->served_synchronised)
		memcpy(&st.refid, "LOST", 4);
	if (why != d->serving_from) {
		char status[96];

		pr_info("serving time from: %s (stratum %u)\n", why, st.stratum);
		snprintf(status, sizeof(status), "serving time from %s, stratum %u", why,
			 st.stratum);
		notify_status(status);
		d->serving_from = why;
	}
	judge_health(d, &st, dead);
	refstate_publish(&d->mem_ref, &st);
	for (i = 0; i < d->n_att; i++)
		if (d->att[i].attached)
			refstate_publish(d->att[i].ref, &st);
	/* between publications the served time follows the state's line: where
	 * the smear line bends, a state must start at the bend */
	kink = d->opts.leap_smear ? leap_next_kink(&st) : ~0ULL;
	return kink < due ? kink : due;
}

/*
 * The agent saw the host clock stepped and moved its correction: publish
 * it now, not at the next period, so XDP serves the step uncorrected for
 * microseconds rather than up to a second.  serve() takes SIGUSR2.
 */
static void wake_publisher(void *ctx)
{
	struct daemon *d = ctx;

	pthread_kill(d->main_thread, SIGUSR2);
}

/* Until a frequency this old is confirmed it is only a start: it may have
 * drifted since (temperature, ageing), so it counts as known to 1 ppm at best. */
#define DRIFT_MIN_SKEW 1e-6

static void load_drift(struct daemon *d, struct agent_config *cfg)
{
	double freq, skew;
	int err;

	if (!d->opts.drift_file)
		return;
	err = driftfile_load(d->opts.drift_file, &freq, &skew);
	if (err == -ENOENT) {
		pr_info("drift file %s: none yet, starting from an unknown frequency\n",
			d->opts.drift_file);
		return;
	}
	if (err) {
		pr_warn("drift file %s: %s; starting from an unknown frequency\n", d->opts.drift_file,
			err == -EINVAL ? "not two numbers in ppm within +/-500" : strerror(-err));
		return;
	}
	cfg->initial_freq = freq;
	cfg->initial_freq_sd = skew > DRIFT_MIN_SKEW ? skew : DRIFT_MIN_SKEW;
	cfg->have_initial_freq = true;
	pr_info("drift file %s: starting from %+.3f ppm\n", d->opts.drift_file, freq * 1e6);
}

/* As soon as the agent has a frequency worth keeping, then hourly and on stop. */
#define DRIFT_SAVE_PERIOD_NS	(3600ULL * NSEC_PER_SEC_U64)

static void save_drift(struct daemon *d, bool now)
{
	double freq, skew;
	__u64 t = refstate_tai_now_ns();
	int err;

	if (!d->opts.drift_file || !d->agent ||
	    (!now && d->drift_saved_ns && t - d->drift_saved_ns < DRIFT_SAVE_PERIOD_NS))
		return;
	if (!agent_frequency(d->agent, &freq, &skew))
		return;
	d->drift_saved_ns = t;
	err = driftfile_save(d->opts.drift_file, freq, skew);
	if (err)
		pr_warn("drift file %s: cannot write: %s\n", d->opts.drift_file, strerror(-err));
	else
		pr_debug("drift file %s: %+.3f ppm\n", d->opts.drift_file, freq * 1e6);
}

/* After the privilege drop: the agent reads upstream answers and names. */
static int start_agent(struct daemon *d)
{
	struct agent_config cfg = {
		.upstreams = d->upstreams,	/* the state file's, else the configured */
		.n_upstreams = d->n_upstreams,
		.min_poll = d->opts.upstream_min_poll,
		.max_poll = d->opts.upstream_max_poll,
		.max_missed = d->opts.max_missed,
		.local_stratum = d->opts.local_stratum,
		.model = d->opts.clock_model,
		.leap_smear = d->opts.leap_smear,
		.keys = &d->keys,
		.on_clock_step = wake_publisher,
		.on_clock_step_ctx = d,
	};

	cfg.initial_freq = d->drift.initial_freq;
	cfg.initial_freq_sd = d->drift.initial_freq_sd;
	cfg.have_initial_freq = d->drift.have_initial_freq;
	return agent_start(&d->agent, &cfg);
}

static int attach_all(struct daemon *d)
{
	struct ntpd_options *o = &d->opts;
	int i, err;

	if (o->xdp_mode == NTPD_XDP_SOCKET) {
		pr_info("socket mode requested: XDP not attached\n");
		return 0;
	}
	for (i = 0; i < o->n_ifaces; i++) {
		err = loader_attach(&d->att[d->n_att], o->ifaces[i], o->xdp_mode, &o->cfg,
				    o->replace, o->policy.table_size);
		if (!err) {
			struct ntpd_attachment *att = &d->att[d->n_att++];

			err = policy_apply(&o->policy, att->rate_cfg_fd, att->acl4_fd, att->acl6_fd);
			if (err) {
				pr_warn("%s: writing rate limits and access lists: %s\n", att->ifname,
					strerror(-err));
				return err;
			}
			continue;
		}
		/* refusing to double-attach is a decision, not a failure to fall back from */
		if (o->xdp_mode != NTPD_XDP_AUTO || err == -EEXIST || err == -ENODEV) {
			pr_warn("%s: XDP %s mode unavailable, stopping\n", o->ifaces[i],
				loader_mode_name(o->xdp_mode));
			return err;
		}
		pr_warn("%s: XDP unavailable (%s): falling back to socket mode\n",
			o->ifaces[i], strerror(-err));
	}
	return 0;
}

/*
 * The program a relink attaches, loaded now, while that needs no more than
 * start-up holds: after the drop a relink is then one netlink request
 * (CAP_NET_ADMIN), no program load.  Without it the interface's XDP does
 * not come back under -u, which is worth a warning, not a refusal to serve.
 */
static void prepare_relinks(struct daemon *d)
{
	int i, err;

	for (i = 0; i < d->n_att; i++) {
		err = loader_prepare_relink(&d->att[i]);
		if (err)
			pr_warn("%s: loading the program a relink would attach: %s; if the "
				"interface is re-created, XDP will not come back without a "
				"restart\n", d->att[i].ifname, strerror(-err));
	}
}

static const struct ntpd_ref_buffer *served_buffer(struct daemon *d)
{
	int i;

	for (i = 0; i < d->n_att; i++)
		if (d->att[i].attached)
			return d->att[i].ref;
	return &d->mem_ref;
}

/* Replaced in place over a daemon that was serving synchronised time? */
static bool inherits_synchronised_state(struct daemon *d)
{
	struct ntpd_ref_state st;
	int i;

	for (i = 0; i < d->n_att; i++)
		if (d->att[i].adopted && !refstate_read(d->att[i].ref, &st) &&
		    st.stratum <= NTP_STRATUM_MAX && st.leap != NTP_LEAP_UNSYNC &&
		    refstate_tai_now_ns() - st.update_tai_ns < d->opts.cfg.max_state_age_ns / 2) {
			pr_info("%s: serving the previous daemon's state (stratum %u) until ours "
				"is ready\n", d->att[i].ifname, st.stratum);
			return true;
		}
	return false;
}

/*
 * Bound before XDP is attached and before the drop (port 123); their threads
 * start after it.  Bound first, so that a restart over a program that cannot
 * be swapped in place (behind libxdp's dispatcher: detached, then attached)
 * has port 123 open through the gap: what arrives then waits in the sockets
 * with its kernel receive time, and is answered once the threads run.
 */
static int open_sockets(struct daemon *d)
{
	struct socket_server_params p = {
		.threads4 = d->opts.threads4,
		.threads6 = d->opts.threads6,
		.batch_wait_us = d->opts.socket_batch_wait_us,
		.busy_poll_us = d->opts.socket_busy_poll_us,
		.rcvbuf_bytes = d->opts.socket_rcvbuf_kib * 1024,
		.ring_block_ms = d->opts.socket_ring_ms,
		.cfg = d->opts.cfg,
		.keys = &d->keys,
		.listen4 = d->opts.listen4.addr,
		.listen6 = d->opts.listen6.addr,
	};
	int err = mode6_open(&d->mode6, &d->opts.allow_query);

	if (!err && p.ring_block_ms) {
		p.ring_ifindex = (int)if_nametoindex(d->opts.ifaces[0]);
		p.ring_loopback = !strcmp(d->opts.ifaces[0], "lo");
		if (!p.ring_ifindex) {
			err = -errno;
			pr_warn("--socket-ring: %s: %s\n", d->opts.ifaces[0], strerror(-err));
		}
	}
	p.mode6 = d->mode6;
	return err ?: socket_server_open(&d->sockets, &p);
}

/* The socket server's state and policy: the XDP program's maps, if any. */
static int connect_sockets(struct daemon *d)
{
	const struct ntpd_attachment *xdp = NULL;
	int err, i;

	for (i = 0; i < d->n_att && !xdp; i++)
		if (d->att[i].attached)
			xdp = &d->att[i];
	err = client_policy_open(&d->policy, &d->opts.policy, xdp);
	if (err)
		return err;
	socket_server_serve_from(d->sockets, served_buffer(d), d->policy);
	return 0;
}

static int print_pinned_stats(const struct ntpd_options *o)
{
	struct ntpd_counters c;
	int i, fd, err, ret = 0;

	for (i = 0; i < o->n_ifaces; i++) {
		fd = loader_open_pinned_counters(o->ifaces[i]);
		if (fd < 0) {
			fprintf(stderr, "xdp-ntpd: %s: no pinned counters under %s/%s: %s\n",
				o->ifaces[i], NTPD_PIN_ROOT, o->ifaces[i], strerror(-fd));
			ret = EXIT_RUNTIME;
			continue;
		}
		err = loader_read_counters(fd, &c);
		close(fd);
		if (err) {
			fprintf(stderr, "xdp-ntpd: %s: reading counters: %s\n", o->ifaces[i],
				strerror(-err));
			ret = EXIT_RUNTIME;
			continue;
		}
		for (int k = 0; k < NTPD_CNT_MAX; k++)
			printf("%s %s %s %llu\n", o->ifaces[i], stats_counter_outcome(k),
			       stats_counter_reason(k), (unsigned long long)c.packets[k]);
	}
	return ret;
}

static int drop_privileges(struct daemon *d)
{
	uid_t uid;
	gid_t gid;
	int i, err;

	if (!d->opts.user)
		return 0;
	err = privileges_lookup(d->opts.user, &uid, &gid);
	if (err)
		return err;
	for (i = 0; i < d->n_att; i++) {
		err = loader_chown_pins(&d->att[i], uid, gid);
		if (err) {
			pr_warn("%s: handing the pinned maps to %s: %s\n", d->att[i].ifname,
				d->opts.user, strerror(-err));
			return err;
		}
	}
	return privileges_drop(d->opts.user, uid, gid, d->opts.chroot_dir,
			       privileges_needed(d->n_att, !d->opts.keep_attached) |
			       (d->anycast ? 1ULL << CAP_NET_ADMIN : 0));
}

/* New limits and lists into every attachment's maps and the socket server.
 * Called with config_lock held. */
static int apply_policy(struct daemon *d, const struct ntpd_policy *p)
{
	int i, err, ret = 0;

	for (i = 0; i < d->n_att; i++) {
		struct ntpd_attachment *att = &d->att[i];

		if (!att->attached)
			continue;
		err = policy_apply(p, att->rate_cfg_fd, att->acl4_fd, att->acl6_fd);
		if (err) {
			pr_warn("%s: applying limits and lists: %s\n", att->ifname, strerror(-err));
			/* all or nothing: the attachments done go back to the policy in force */
			while (--i >= 0)
				if (d->att[i].attached)
					policy_apply(&d->opts.policy, d->att[i].rate_cfg_fd,
						     d->att[i].acl4_fd, d->att[i].acl6_fd);
			return err;
		}
	}
	client_policy_update(d->policy, p);
	d->opts.policy = *p;
	return ret;
}

/* Called with config_lock held. */
static int apply_upstreams(struct daemon *d, const struct ntpd_endpoint *eps, int n)
{
	int err = agent_set_upstreams(d->agent, eps, n);

	if (err)
		return err;
	memcpy(d->upstreams, eps, sizeof(eps[0]) * (size_t)n);
	d->n_upstreams = n;
	return 0;
}

static bool same_upstreams(const struct daemon *d, const struct ntpd_options *next)
{
	int i;

	if (d->n_upstreams != next->n_upstreams)
		return false;
	for (i = 0; i < next->n_upstreams; i++)
		if (strcmp(d->upstreams[i].host, next->upstream[i].host) ||
		    d->upstreams[i].port != next->upstream[i].port)
			return false;
	return true;
}

/*
 * SIGHUP: read the config file again (under the same flags) and apply what
 * can change while serving: upstreams, rate limits and access lists.  XDP
 * stays attached throughout; a file that does not parse changes nothing.
 */
static void reload(struct daemon *d)
{
	struct ntpd_options *now = &d->opts, *next;

	if (!now->config_file) {
		nts_server_reload(d->nts, now);	/* renewed certificate files, same names */
		pr_info("SIGHUP: no config file (-c) to re-read\n");
		return;
	}
	next = malloc(sizeof(*next));	/* a whole option set, kilobytes */
	if (!next) {
		pr_err("SIGHUP: out of memory, the running configuration is kept\n");
		return;
	}
	/* options_parse has logged why (pr_err: syslog too) */
	if (options_parse(next, d->argc, d->argv)) {
		pr_err("SIGHUP: %s rejected, the running configuration is kept\n",
		       now->config_file);
		free(next);
		return;
	}
	/* the key file is not re-read: a new "key ID" must name a loaded key */
	if (ntp_client_check_keys(&d->keys, next->upstream, next->n_upstreams)) {
		pr_err("SIGHUP: %s rejected, the running configuration is kept\n",
		       now->config_file);
		options_free(next);
		free(next);
		return;
	}
	nts_server_reload(d->nts, next);
	pthread_mutex_lock(&d->config_lock);
	if (next->policy.table_size != now->policy.table_size)
		pr_warn("SIGHUP: a new rate table size takes effect at the next restart\n");
	next->policy.table_size = now->policy.table_size;
	apply_policy(d, &next->policy);
	if (!same_upstreams(d, next) && apply_upstreams(d, next->upstream, next->n_upstreams))
		pr_warn("SIGHUP: the new upstream set was not applied\n");
	else
		statefile_forget_api(d->state);	/* the file is in force again */
	/* DELETE /upstreams goes back to what the file says now */
	memcpy(now->upstream, next->upstream, sizeof(next->upstream));
	now->n_upstreams = next->n_upstreams;
	pr_info("SIGHUP: %s reloaded (%d upstreams, %d list entries, rate limit %s)\n",
		now->config_file, d->n_upstreams, now->policy.n_acl,
		now->policy.rate.enabled ? "on" : "off");
	pthread_mutex_unlock(&d->config_lock);
	options_free(next);
	free(next);
}

/* ---- the management API's view of the daemon (HTTP thread) ---- */

static int mgmt_set_upstreams(void *ctx, const struct ntpd_endpoint *eps, int n)
{
	struct daemon *d = ctx;
	int err;

	pthread_mutex_lock(&d->config_lock);
	err = apply_upstreams(d, eps, n);
	pthread_mutex_unlock(&d->config_lock);
	return err;
}

static int mgmt_reset_upstreams(void *ctx)
{
	struct daemon *d = ctx;
	int err;

	pthread_mutex_lock(&d->config_lock);
	err = apply_upstreams(d, d->opts.upstream, d->opts.n_upstreams);
	pthread_mutex_unlock(&d->config_lock);
	return err;
}

static void mgmt_get_upstreams(void *ctx, struct ntpd_endpoint *eps, int *n)
{
	struct daemon *d = ctx;

	pthread_mutex_lock(&d->config_lock);
	memcpy(eps, d->upstreams, sizeof(eps[0]) * (size_t)d->n_upstreams);
	*n = d->n_upstreams;
	pthread_mutex_unlock(&d->config_lock);
}

static void mgmt_get_policy(void *ctx, struct ntpd_policy *out)
{
	struct daemon *d = ctx;

	pthread_mutex_lock(&d->config_lock);
	*out = d->opts.policy;
	pthread_mutex_unlock(&d->config_lock);
}

static int mgmt_set_policy(void *ctx, const struct ntpd_policy *p)
{
	struct daemon *d = ctx;
	int err;

	pthread_mutex_lock(&d->config_lock);
	err = apply_policy(d, p);
	pthread_mutex_unlock(&d->config_lock);
	return err;
}

static int start_mgmt(struct daemon *d)
{
	const struct mgmt_ops ops = {
		.ctx = d,
		.set_upstreams = mgmt_set_upstreams,
		.reset_upstreams = mgmt_reset_upstreams,
		.get_upstreams = mgmt_get_upstreams,
		.get_policy = mgmt_get_policy,
		.set_policy = mgmt_set_policy,
		.state = d->state,
	};

	return mgmt_open(&d->mgmt, d->opts.api_token_file, &ops);
}

static void serve(struct daemon *d, const sigset_t *sigs)
{
	__u64 due = refstate_tai_now_ns() + PUBLISH_PERIOD_NS, now;
	struct timespec wait;
	siginfo_t info;
	int sig;

	for (;;) {
		/* the publish period doubles as the signal wait: no extra thread */
		now = refstate_tai_now_ns();
		wait.tv_sec = due > now ? (time_t)((due - now) / NSEC_PER_SEC_U64) : 0;
		wait.tv_nsec = due > now ? (long)((due - now) % NSEC_PER_SEC_U64) : 0;
		sig = sigtimedwait(sigs, &info, &wait);
		if (sig < 0) {
			if (errno == EAGAIN && !testhook_due(TESTHOOK_PUBLISHER_STALL)) {
				due = publish_reference(d);
				save_drift(d, false);
			}
			continue;
		}
		if (sig == SIGUSR2) {
			due = publish_reference(d);
			continue;
		}
		if (sig == SIGUSR1) {
			log_reopen_file();
			continue;
		}
		if (sig == SIGHUP) {
			notify_reloading();
			reload(d);
			notify_ready("reloaded");
			continue;
		}
		notify_stopping();
		pr_info("%s: shutting down\n", strsignal(sig));
		return;
	}
}

static void shutdown_daemon(struct daemon *d)
{
	int i;

	/* first: the routes go while we still answer */
	health_publish("stopping", NULL);
	anycast_close(d->anycast);
	d->anycast = NULL;
	http_stop(d->http);
	/* before the threads it watches stop, or it would report them dead */
	watchdog_stop(d->watchdog);
	mgmt_close(d->mgmt);
	serving_close(d->serving);
	statefile_close(d->state);
	broadcast_stop(d->broadcaster);
	socket_server_stop(d->sockets);
	mode6_close(d->mode6);
	nts_server_close(d->nts);	/* after the workers that open its cookies */
	reqlog_stop();
	client_policy_close(d->policy);
	addrwatch_stop(d->addrwatch);
	for (i = 0; i < d->n_att; i++) {
		if (d->opts.keep_attached)
			loader_release(&d->att[i]);
		else
			loader_detach(&d->att[i]);
	}
	save_drift(d, true);
	pool_watch_stop(d->pools);
	agent_stop(d->agent);
	ntp_keys_free(&d->keys);
}

/*
 * What needs root: the files only root may read (the token, the drift
 * file outside a chroot), XDP loaded and attached, the maps pinned, port
 * 123 and the HTTP port bound.  No thread exists yet, none reads anything
 * from the network: the privilege drop that follows is the only one, and
 * every thread started after it inherits its reduced sets.
 */
static int start_privileged(struct daemon *d)
{
	int err;

	/* the token file may be readable by root only */
	err = start_mgmt(d);
	if (!err)
		load_drift(d, &d->drift);
	if (!err)
		err = open_sockets(d);
	if (!err)
		err = nts_server_open(&d->nts, &d->opts);
	if (!err)
		err = attach_all(d);
	if (!err)
		prepare_relinks(d);
	if (!err)
		err = anycast_open(&d->anycast, &d->opts.anycast);
	if (!err)
		err = connect_sockets(d);
	if (!err)
		err = serving_open(&d->serving, d->att, d->n_att, d->sockets);
	if (!err)
		mgmt_set_serving(d->mgmt, d->serving);
	if (!err)
		err = broadcast_open(&d->broadcaster, &d->opts.broadcast, &d->keys, &d->opts.cfg);
	if (!err) {
		const struct http_params hp = {
			.metrics_listen = &d->opts.metrics_listen,
			.api_listen = &d->opts.api_listen,
			.extra_hosts = d->opts.http_hosts,
			.allow_cross_origin = d->opts.allow_cross_origin,
			.max_state_age_ns = d->opts.cfg.max_state_age_ns,
		};

		err = http_open(&d->http, &hp);
	}
	return err;
}

/* After the drop and under the filter: every thread, in the order each
 * needs the one before. */
static int start_unprivileged(struct daemon *d)
{
	struct watchdog_params wp = {
		.bound_ns = watchdog_bound_ns(d->opts.cfg.max_state_age_ns),
	};
	struct metrics_sources msrc = {
		.att = d->att, .n_att = d->n_att, .mgmt = d->mgmt,
	};
	int err;

	err = start_agent(d);
	if (!err) {
		const struct pool_ops pops = { .ctx = d, .get_upstreams = mgmt_get_upstreams,
					       .set_upstreams = mgmt_set_upstreams };

		err = pool_watch_start(&d->pools, d->opts.pools, d->opts.n_pools, d->agent, &pops);
	}
	if (err)
		return err;
	mode6_set_sources(d->mode6, mode6_agent_sources, d->agent);
	d->inherited = inherits_synchronised_state(d);
	publish_reference(d);
	/* the packet ring answers only for the host's addresses, which the
	 * watch publishes (local_addrs.h), attachments or none */
	if (d->n_att || socket_server_has_ring(d->sockets)) {
		err = addrwatch_start(&d->addrwatch, d->att, d->n_att);
		if (err)
			return err;
	}
	err = reqlog_start(d->opts.log_requests, d->att, d->n_att);
	if (!err)
		err = socket_server_run(d->sockets);
	if (!err)
		err = broadcast_run(d->broadcaster, served_buffer(d));
	if (!err)
		err = nts_server_run(d->nts);
	if (err)
		return err;
	wp.agent = d->agent;
	wp.sockets = d->sockets;
	err = watchdog_start(&d->watchdog, &wp);
	if (err)
		return err;
	msrc.sockets = d->sockets;
	msrc.agent = d->agent;
	msrc.served = served_buffer(d);
	msrc.watchdog = d->watchdog;
	return http_run(d->http, &msrc);
}

/*
 * OpenSSL is opened only when the configuration uses it: NTS (libssl) or a
 * key file (libcrypto).  Neither is read again by a SIGHUP without being
 * configured at start, so this one load covers reloads too; it runs before
 * the privilege drop and the seccomp filter, which may refuse dlopen.
 */
static int load_openssl(const struct ntpd_options *o)
{
	if (o->nts_cert || o->nts_key)
		return openssl_lazy_load(OPENSSL_LIB_SSL);
	if (o->keys_file)
		return openssl_lazy_load(OPENSSL_LIB_CRYPTO);
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	sigset_t sigs;
	int err, i;

	if (argc >= 2 && !strcmp(argv[1], "status"))
		return ctl_main(argc - 1, argv + 1);
	d.argc = argc;
	d.argv = argv;
	err = options_parse(&d.opts, argc, argv);
	if (err)
		return err > 0 ? 0 : EXIT_USAGE;
	log_set_level(d.opts.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	log_route_libraries();
	if (d.opts.syslog && d.opts.log_file) {
		pr_err("--syslog and --log-file: choose one place for the log\n");
		return EXIT_USAGE;
	}
	if (d.opts.syslog && !d.opts.check_only && !d.opts.stats_only)
		log_use_syslog();
	if (d.opts.log_file && !d.opts.check_only && !d.opts.stats_only &&
	    log_use_file(d.opts.log_file))
		return EXIT_USAGE;
	if (load_openssl(&d.opts))
		return EXIT_RUNTIME;	/* named the library */
	if (d.opts.check_only) {
		/* the key file is configuration too: a bad one fails the check */
		if (ntp_keys_load_trusted(d.opts.keys_file, &d.opts.trusted_keys, &d.keys) ||
		    ntp_client_check_keys(&d.keys, d.opts.upstream, d.opts.n_upstreams))
			return EXIT_USAGE;
		if (broadcast_check_keys(&d.opts.broadcast, &d.keys))
			return EXIT_USAGE;
		if (nts_server_check(&d.opts))	/* certificate, key, key file */
			return EXIT_USAGE;
		ntp_keys_free(&d.keys);
		if (d.opts.api_token_file && start_mgmt(&d))
			return EXIT_USAGE;
		mgmt_close(d.mgmt);
		printf("config OK\n");
		return 0;
	}
	if (d.opts.stats_only)
		return print_pinned_stats(&d.opts);
	if (d.opts.detach_only) {
		err = 0;
		for (i = 0; i < d.opts.n_ifaces; i++)
			if (loader_detach_left(d.opts.ifaces[i]))
				err = EXIT_RUNTIME;
		return err;
	}
	if (ntp_keys_load_trusted(d.opts.keys_file, &d.opts.trusted_keys, &d.keys) ||
	    ntp_client_check_keys(&d.keys, d.opts.upstream, d.opts.n_upstreams))
		return EXIT_USAGE;
	if (testhook_init())
		return EXIT_USAGE;

	/* every thread inherits the mask; only serve() takes these signals */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGUSR1);	/* logrotate's postrotate: reopen the log file */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	d.main_thread = pthread_self();

	pr_info("xdp-ntpd %s starting\n", NTPD_VERSION);
	pthread_mutex_init(&d.config_lock, NULL);
	memcpy(d.upstreams, d.opts.upstream, sizeof(d.upstreams));
	d.n_upstreams = d.opts.n_upstreams;
	err = statefile_start(&d.state, d.opts.state_file, d.upstreams, &d.n_upstreams,
			      &d.opts.policy);
	if (!err)
		err = start_privileged(&d);
	if (err)
		goto cleanup;
	err = drop_privileges(&d);
	if (err)
		goto cleanup;
	err = seccomp_filter_install(d.opts.seccomp);
	if (err)
		goto cleanup;
	/* only now anything that reads the network */
	err = start_unprivileged(&d);
	if (err)
		goto cleanup;
	for (i = 0; i < d.n_att; i++)
		pr_info("%s: serving NTP in XDP (%s), maps pinned in %s\n", d.att[i].ifname,
			d.att[i].generic ? "generic" : "native", d.att[i].pin_dir);
	pr_info("serving on UDP port %u\n", d.opts.listen4.port);
	notify_ready(d.n_att ? "serving in XDP and on sockets" : "serving on sockets");
	serve(&d, &sigs);

cleanup:
	shutdown_daemon(&d);
	options_free(&d.opts);
	return err ? EXIT_RUNTIME : 0;
}
