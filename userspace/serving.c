// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "serving.h"

#include "log.h"
#include "xdp_ntpd.skel.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct serving {
	struct ntpd_attachment *att;
	int n_att;
	struct socket_server *sockets;
	pthread_mutex_t lock;
	bool stopped;
	double since;
	unsigned long actions;
};

int serving_open(struct serving **out, struct ntpd_attachment *att, int n_att,
		 struct socket_server *sockets)
{
	struct serving *sv = calloc(1, sizeof(*sv));

	if (!sv)
		return -ENOMEM;
	sv->att = att;
	sv->n_att = n_att;
	sv->sockets = sockets;
	pthread_mutex_init(&sv->lock, NULL);
	*out = sv;
	return 0;
}

void serving_close(struct serving *sv)
{
	if (!sv)
		return;
	pthread_mutex_destroy(&sv->lock);
	free(sv);
}

static __u32 mode_flags(const struct ntpd_attachment *att)
{
	return att->generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* cBPF "return 0": the socket takes nothing, the port stays bound */
static int drop_all(int fd, void *arg)
{
	static struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	static const struct sock_fprog prog = { .len = 1, .filter = code };

	(void)arg;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

static int take_all(int fd, void *arg)
{
	int zero = 0;

	(void)arg;
	/* ENOENT: no filter there, which is what we want */
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)) && errno != ENOENT)
		return -errno;
	return 0;
}

/* The prepared plain-XDP program onto att, atomically over what is there
 * (replace) or only where nothing is (start). */
static int attach_prepared(struct ntpd_attachment *att, bool replace)
{
	if (!att->relinked)
		return -ENOENT;	/* loader_prepare_relink warned at start */
	if (bpf_xdp_attach(att->ifindex, bpf_program__fd(att->relinked->progs.xdp_ntpd),
			   mode_flags(att) | (replace ? 0 : XDP_FLAGS_UPDATE_IF_NOEXIST), NULL))
		return -errno;
	att->relink_attached = true;
	return 0;
}

static int stop(struct serving *sv)
{
	int i, err;

	/* sockets first: what XDP passes up from now on is not answered either */
	err = socket_server_each_fd(sv->sockets, drop_all, NULL);
	if (err) {
		pr_warn("control: stop: filtering the NTP sockets: %s\n", strerror(-err));
		socket_server_each_fd(sv->sockets, take_all, NULL);
		return err;
	}
	for (i = 0; i < sv->n_att; i++) {
		if (!sv->att[i].attached)
			continue;
		if (bpf_xdp_detach(sv->att[i].ifindex, mode_flags(&sv->att[i]), NULL)) {
			err = -errno;
			pr_warn("control: stop: %s: detaching XDP: %s\n", sv->att[i].ifname,
				strerror(errno));
			return err;
		}
		pr_info("control: %s: XDP detached\n", sv->att[i].ifname);
	}
	return 0;
}

static int start(struct serving *sv, bool replace)
{
	int i, err;

	for (i = 0; i < sv->n_att; i++) {
		if (!sv->att[i].attached)
			continue;
		err = attach_prepared(&sv->att[i], replace);
		if (err) {
			pr_warn("control: %s: attaching XDP again: %s\n", sv->att[i].ifname,
				strerror(-err));
			return err;
		}
		pr_info("control: %s: XDP attached%s\n", sv->att[i].ifname,
			replace ? " (replaced in place)" : "");
	}
	err = socket_server_each_fd(sv->sockets, take_all, NULL);
	if (err)
		pr_warn("control: the NTP sockets stay filtered: %s\n", strerror(-err));
	return err;
}

int serving_control(struct serving *sv, const char *action)
{
	struct timespec now;
	int err;

	pthread_mutex_lock(&sv->lock);
	if (!strcmp(action, "stop"))
		err = sv->stopped ? 0 : stop(sv);
	else if (!strcmp(action, "start"))
		err = sv->stopped ? start(sv, false) : 0;
	else if (!strcmp(action, "restart"))
		err = start(sv, !sv->stopped);
	else
		err = -EINVAL;
	if (!err) {
		sv->stopped = !strcmp(action, "stop");
		sv->actions++;
		clock_gettime(CLOCK_REALTIME, &now);
		sv->since = (double)now.tv_sec + now.tv_nsec / 1e9;
		pr_info("control: %s done: %s\n", action, sv->stopped ? "stopped" : "serving");
	}
	pthread_mutex_unlock(&sv->lock);
	return err;
}

const char *serving_state(struct serving *sv, double *since, unsigned long *actions)
{
	bool stopped;

	pthread_mutex_lock(&sv->lock);
	stopped = sv->stopped;
	*since = sv->since;
	*actions = sv->actions;
	pthread_mutex_unlock(&sv->lock);
	return stopped ? "stopped" : "serving";
}

bool serving_stopped(struct serving *sv)
{
	double since;
	unsigned long actions;

	return sv && !strcmp(serving_state(sv, &since, &actions), "stopped");
}
