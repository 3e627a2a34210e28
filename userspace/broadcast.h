/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The broadcast server (RFC 5905 mode 5), opt-in: `broadcast ADDR
 * [INTERVAL] [key ID]` sends our time to an IPv4 broadcast or an IPv4/IPv6
 * multicast address every INTERVAL seconds (default 64), from the socket
 * path, and only while we serve synchronised time: an unsynchronised
 * server announces nothing rather than LI=3 to clients that cannot ask
 * back.  With a key, each packet carries its MAC (our symmetric keys).
 */
#ifndef NTPD_BROADCAST_H
#define NTPD_BROADCAST_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "ntp_auth.h"
#include "ntpd_shared.h"

#define BROADCAST_MAX			8
#define BROADCAST_INTERVAL_DEFAULT	64
#define BROADCAST_INTERVAL_MAX		86400

struct broadcast_target {
	struct sockaddr_storage addr;	/* port 123; an IPv6 link-local group with its scope */
	char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];	/* as given, for logs */
	unsigned int interval_s;
	__u32 keyid;			/* 0: unsigned */
};

struct broadcast_list {
	struct broadcast_target target[BROADCAST_MAX];
	int n;
};

/*
 * One directive's words: ADDR [INTERVAL] [key ID], ADDR an IPv4 broadcast
 * or multicast address, or an IPv6 multicast one (ff02::101%eth0 names the
 * interface of a link-scope group).  0, or -EINVAL / -ENOSPC with the
 * reason in err.
 */
int broadcast_parse(struct broadcast_list *list, int argc, char **argv, char *err,
		    size_t errlen);

/* Every named key is in `keys`: 0, or -EINVAL after saying which is not
 * (for --check too). */
int broadcast_check_keys(const struct broadcast_list *list, const struct ntp_keyring *keys);

struct broadcaster;

/*
 * Open a socket per target (before the privilege drop and the system call
 * filter) and check each key is in `keys`.  0, or -errno with a message
 * naming the target.  An empty list opens nothing (*out NULL).
 */
int broadcast_open(struct broadcaster **out, const struct broadcast_list *list,
		   const struct ntp_keyring *keys, const struct ntpd_config *cfg);
/* Start sending from `ref`.  0 or -errno. */
int broadcast_run(struct broadcaster *b, const struct ntpd_ref_buffer *ref);
void broadcast_stop(struct broadcaster *b);

#endif /* NTPD_BROADCAST_H */
