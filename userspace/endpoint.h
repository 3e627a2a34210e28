/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A network endpoint as the operator writes it: "ADDR:PORT", "[V6ADDR]:PORT",
 * "HOST:PORT", or a bare host taking a default port.  Parsed and formatted
 * here only, so every flag, directive, log line, metric label and API body
 * spells an endpoint the same way.
 */
#ifndef NTPD_ENDPOINT_H
#define NTPD_ENDPOINT_H

#include <linux/types.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "[" host "]:" 5 digits and the NUL: what endpoint_format() may need */
#define ENDPOINT_TEXT_MAX	(256 + 9)

struct ntpd_endpoint {
	char host[256];			/* as given: literal address or name; "" none */
	struct sockaddr_storage addr;	/* resolved when the host is a literal */
	bool resolved;
	__u16 port;
	__u32 key_id;			/* an upstream's "key ID": sign with it, 0 none */
	/* an upstream's own poll bounds (server ... minpoll N maxpoll N), log2 s;
	 * without them the global --upstream-min-poll/--upstream-max-poll */
	bool has_min_poll, has_max_poll;
	__s8 min_poll, max_poll;
};

/* Parse `text` into *ep (zeroed first); a host literal is resolved into
 * ep->addr with the port.  Returns 0 or -EINVAL (empty, too long, port not
 * in 1..65535, unclosed bracket). */
int endpoint_parse(const char *text, __u16 default_port, struct ntpd_endpoint *ep);

/* "host:port", or "[host]:port" when the host has a ':' (IPv6), into buf.
 * Returns the length, or -ENOSPC when it did not fit (buf then holds "").
 * endpoint_parse() reads back what this writes. */
int endpoint_format(const struct ntpd_endpoint *ep, char *buf, size_t len);

/* An explicit port in "HOST:PORT" or "[V6]:PORT" (a bare IPv6 has several ':'). */
bool endpoint_text_has_port(const char *text);

#endif /* NTPD_ENDPOINT_H */
