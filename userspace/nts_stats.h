/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What NTS did, for /metrics: key exchanges by outcome, NTS requests by
 * outcome and reason (finer than the socket path's requests_total rows),
 * and cookies issued.  Counted by the key-exchange threads and the socket
 * workers at once, so each thread adds to a shard of its own (no cache
 * line bounces on the NTP path); a scrape sums the shards.
 */
#ifndef NTPD_NTS_STATS_H
#define NTPD_NTS_STATS_H

#include <stdint.h>
#include <stdio.h>

/* X(name, family, outcome, reason) */
#define NTS_STATS(X)								\
	X(KE_COMPLETED,        KE,  "completed",  "cookies")			\
	X(KE_NO_PROTOCOL,      KE,  "completed",  "no_common_protocol")		\
	X(KE_NO_AEAD,          KE,  "completed",  "no_common_aead")		\
	X(KE_ERR_CRITICAL,     KE,  "error_sent", "unrecognized_critical")	\
	X(KE_ERR_BAD_REQUEST,  KE,  "error_sent", "bad_request")		\
	X(KE_ERR_INTERNAL,     KE,  "error_sent", "internal")			\
	X(KE_TLS_FAILED,       KE,  "failed",     "tls_handshake")		\
	X(KE_CLOSED,           KE,  "failed",     "connection")			\
	X(KE_TIMEOUT_TLS,      KE,  "timed_out",  "tls_handshake")		\
	X(KE_TIMEOUT_REQUEST,  KE,  "timed_out",  "request")			\
	X(KE_TIMEOUT_ANSWER,   KE,  "timed_out",  "answer")			\
	X(KE_REFUSED_BUSY,     KE,  "refused",    "busy")			\
	X(REQ_ANSWERED,        REQ, "answered",   "authenticated")		\
	X(REQ_NAK_UNKNOWN_KEY, REQ, "nak",        "unknown_key")		\
	X(REQ_NAK_BAD_COOKIE,  REQ, "nak",        "cookie_not_opened")		\
	X(REQ_NAK_SEAL_FAILED, REQ, "nak",        "seal_failed")		\
	X(REQ_BAD_AUTH,        REQ, "dropped",    "bad_authenticator")		\
	X(REQ_TRUNCATED,       REQ, "dropped",    "truncated")			\
	X(REQ_BAD_FIELD_LEN,   REQ, "dropped",    "bad_field_length")		\
	X(REQ_DUPLICATE,       REQ, "dropped",    "duplicate_field")		\
	X(REQ_AFTER_AUTH,      REQ, "dropped",    "field_after_authenticator")	\
	X(REQ_SHORT_FIELD,     REQ, "dropped",    "short_field")		\
	X(REQ_MISSING,         REQ, "dropped",    "missing_field")		\
	X(COOKIES_KE,          COOKIES, "",       "key_exchange")		\
	X(COOKIES_NTP,         COOKIES, "",       "ntp")

enum nts_stat {
#define NTS_STAT_ENUM(name, fam, outcome, reason) NTS_STAT_##name,
	NTS_STATS(NTS_STAT_ENUM)
#undef NTS_STAT_ENUM
	NTS_STAT_MAX
};

void nts_stats_add(enum nts_stat s, uint64_t n);
uint64_t nts_stats_get(enum nts_stat s);
/* Key-exchange connections now being served, and waiting for a thread. */
void nts_stats_set_ke_load(int serving, int queued);

/* The NTS families in Prometheus text (nothing while NTS was never on). */
void nts_stats_write(FILE *out);

#endif /* NTPD_NTS_STATS_H */
