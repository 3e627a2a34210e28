/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NTS as a whole, for main.c: the cookie keys (loaded, rotated, shared by
 * file), the key-exchange server, and what the socket workers ask for an
 * NTS request.  Off unless ntsservercert and ntsserverkey are set.
 */
#ifndef NTPD_NTS_SERVER_H
#define NTPD_NTS_SERVER_H

#include "nts_cookie.h"
#include "options.h"

#define NTS_ROTATE_DEFAULT	604800	/* a week, chrony's ntsrotate */
#define NTS_THREADS_DEFAULT	4

struct nts_server;

/* Privileged part: read the certificate, key and key file, bind the
 * key-exchange port.  *out NULL (and 0) when NTS is not configured. */
int nts_server_open(struct nts_server **out, const struct ntpd_options *o);
/* --check: the certificate and key load and match, the key file (if any)
 * reads; 0, or -errno after a message naming the file. */
int nts_server_check(const struct ntpd_options *o);
/* Start the key-exchange and key-rotation threads; from then on the
 * socket server answers NTS requests. */
int nts_server_run(struct nts_server *s);
/* SIGHUP: the certificate and key files again, and the key file. */
void nts_server_reload(struct nts_server *s, const struct ntpd_options *next);
void nts_server_close(struct nts_server *s);

/* The cookie keys the socket workers open and seal with; NULL while NTS is
 * off (requests with NTS fields are then passed/length, as before). */
struct nts_cookie_ring *nts_server_ring(void);

#endif /* NTPD_NTS_SERVER_H */
