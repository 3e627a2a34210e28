// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Read-only NTP control messages (mode6.h).  The message format is RFC
 * 9327's (RFC 1305 appendix B): a 12-byte header, then text data,
 * "name=value" pairs joined by ", ", padded to 32 bits.  The variables and
 * their formats are ntpd's, as NTPsec's ntpq parses them: milliseconds for
 * delays and offsets, 32.32 timestamps as "0xSSSSSSSS.FFFFFFFF", reach in
 * hex.  What the system variables say about the served time comes from
 * ntp_fill_response() itself, so ntpq reads exactly what a client gets.
 */
#include "mode6.h"
#include "agent.h"
#include "ntp_proto.h"
#include "version.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* RFC 9327 table 1, the opcodes, and 3.2's error codes */
#define CTL_OP_READSTAT		1
#define CTL_OP_READVAR		2
#define CTL_RESPONSE		0x80
#define CTL_ERROR		0x40
#define CTL_MORE		0x20
#define CTL_OP_MASK		0x1f
#define CTL_ERR_PERMISSION	1
#define CTL_ERR_BADFMT		2
#define CTL_ERR_BADOP		3
#define CTL_ERR_BADASSOC	4
#define CTL_ERR_UNKNOWNVAR	5

/* the peer status word's select field (RFC 9327 table 7) and flags */
#define CTL_PST_CONFIG		0x80
#define CTL_PST_REACH		0x10
#define CTL_PST_SEL_REJECT	0
#define CTL_PST_SEL_FALSETICK	1
#define CTL_PST_SEL_CANDIDATE	4
#define CTL_PST_SEL_SYSPEER	6
/* the system status word's clock source */
#define CTL_SST_TS_UNSPEC	0
#define CTL_SST_TS_LOCAL	5
#define CTL_SST_TS_NTP		6

#define VARS_MAX	24
#define VAR_VALUE_MAX	80

struct mode6 {
	struct mode6_allow allow;
	mode6_source_fn source;
	void *source_ctx;
	pthread_mutex_t lock;		/* the shared bucket */
	struct ntpd_rate_config rate;
	__u64 tat_ns;
};

struct var {
	const char *name;
	char value[VAR_VALUE_MAX];
};

struct varset {
	struct var v[VARS_MAX];
	int n;
};

/* What a request asks, read before the response overwrites it. */
struct query {
	__u8 version, opcode;
	__u16 sequence, assoc;		/* host order */
	char names[MODE6_DATA_MAX + 1];	/* READVAR's list, NUL-terminated; "" all */
};

struct reply {
	__u8 error;			/* CTL_ERR_*, 0 none */
	__u16 status;
	__u8 data[MODE6_DATA_MAX];
	size_t len;
};

int mode6_allow_add(struct mode6_allow *list, const char *cidr)
{
	static struct ntpd_policy scratch;	/* 5 KiB: not on the stack */

	if (list->n == MODE6_ALLOW_MAX)
		return -ENOSPC;
	scratch.n_acl = 0;
	if (policy_add_acl(&scratch, cidr, NTPD_ACL_ALLOW))
		return -EINVAL;
	list->rule[list->n++] = scratch.acl[0];
	return 0;
}

int mode6_open(struct mode6 **out, const struct mode6_allow *allow)
{
	struct mode6 *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	if (allow)
		m->allow = *allow;
	m->rate.cost_ns = NSEC_PER_SEC_U64 / MODE6_RATE;
	m->rate.burst_ns = m->rate.cost_ns * MODE6_BURST;
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return 0;
}

void mode6_set_sources(struct mode6 *m, mode6_source_fn fn, void *ctx)
{
	m->source = fn;
	m->source_ctx = ctx;
}

int mode6_agent_sources(void *agent, int i, struct agent_source_status *out)
{
	return agent_source_status(agent, i, out);
}

void mode6_close(struct mode6 *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static bool prefix_match(const __u8 *a, const __u8 *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)bytes))
		return false;
	return !rest || ((a[bytes] ^ b[bytes]) & (__u8)(0xff << (8 - rest))) == 0;
}

/* Loopback, or a --allow-query prefix.  Loopback cannot come off the wire:
 * the kernel drops it as a martian before any socket. */
static bool allowed(const struct mode6 *m, int family, const void *saddr)
{
	const __u8 *a = saddr;
	int i;

	if (family == AF_INET && a[0] == 127)
		return true;
	if (family == AF_INET6 && IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)saddr))
		return true;
	for (i = 0; i < m->allow.n; i++)
		if (m->allow.rule[i].family == family &&
		    prefix_match(m->allow.rule[i].addr, a, m->allow.rule[i].prefixlen))
			return true;
	return false;
}

/* One bucket for every asker: what mode 6 may send in total is bounded. */
static bool take_token(struct mode6 *m, __u64 now)
{
	__u64 new_tat;
	bool ok;

	pthread_mutex_lock(&m->lock);
	ok = ntp_rate_conforms(m->tat_ns, now, &m->rate, &new_tat);
	if (ok)
		m->tat_ns = new_tat;
	pthread_mutex_unlock(&m->lock);
	return ok;
}

/* The header and READVAR's names; false for what is no request of ours to
 * answer (a response, a fragment, counts that do not add up). */
static bool parse_query(const __u8 *req, size_t len, struct query *q)
{
	__u16 offset, count;

	if (len < MODE6_HEADER_LEN)
		return false;
	q->version = NTP_VN(req[0]);
	q->opcode = req[1] & CTL_OP_MASK;
	q->sequence = (__u16)(req[2] << 8 | req[3]);
	q->assoc = (__u16)(req[6] << 8 | req[7]);
	offset = (__u16)(req[8] << 8 | req[9]);
	count = (__u16)(req[10] << 8 | req[11]);
	if (q->version < NTP_VERSION_MIN || q->version > NTP_VERSION_MAX ||
	    (req[1] & (CTL_RESPONSE | CTL_MORE)) || offset != 0 || count > MODE6_DATA_MAX ||
	    count > len - MODE6_HEADER_LEN)
		return false;
	memcpy(q->names, req + MODE6_HEADER_LEN, count);
	q->names[count] = '\0';
	return true;
}

static void var_add(struct varset *s, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void var_add(struct varset *s, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (s->n == VARS_MAX)
		return;
	s->v[s->n].name = name;
	va_start(ap, fmt);
	vsnprintf(s->v[s->n].value, VAR_VALUE_MAX, fmt, ap);
	va_end(ap);
	s->n++;
}

static void var_lfp(struct varset *s, const char *name, __u64 ts)
{
	var_add(s, name, "0x%08x.%08x", (unsigned int)(ts >> 32), (unsigned int)ts);
}

/* Append "name=value" to the data, ", " between; false when it no longer
 * fits: the answer stops at a whole variable, never mid-way. */
static bool put_var(struct reply *r, const struct var *v)
{
	int n = snprintf((char *)r->data + r->len, sizeof(r->data) - r->len, "%s%s=%s",
			 r->len ? ", " : "", v->name, v->value);

	if (n < 0 || (size_t)n >= sizeof(r->data) - r->len)
		return false;
	r->len += (size_t)n;
	return true;
}

/* All variables, or those `names` lists (ntpq's "rv 0 offset,stratum");
 * an unknown name is the error ntpd gives for it. */
static void put_vars(struct reply *r, const struct varset *s, char *names)
{
	char *save = NULL, *tok, *eq;
	int i;

	if (!names[strspn(names, " \t\r\n,")]) {
		for (i = 0; i < s->n && put_var(r, &s->v[i]); i++)
			;
		return;
	}
	for (tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " \t\r\n");
		eq = tok + strcspn(tok, "= \t\r\n");
		*eq = '\0';
		if (!*tok)
			continue;
		for (i = 0; i < s->n && strcmp(s->v[i].name, tok); i++)
			;
		if (i == s->n) {
			r->error = CTL_ERR_UNKNOWNVAR;
			return;
		}
		if (!put_var(r, &s->v[i]))
			return;
	}
}

static double ms(double s)
{
	return s * 1e3;
}

static double short_ms(__u32 v)
{
	return v / 65.536;	/* 16.16 seconds -> ms */
}

/* "a.b.c.d", or the ASCII code of a stratum 0/1 refid (RFC 5905 7.3) */
static void refid_text(__be32 refid, __u8 stratum, char *buf, size_t len)
{
	const __u8 *b = (const __u8 *)&refid;
	int i;

	if (stratum > 1) {
		snprintf(buf, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		return;
	}
	for (i = 0; i < 4 && b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != ','; i++)
		buf[i] = (char)b[i];
	buf[i] = '\0';
}

static __u8 peer_select(const struct agent_source_status *s)
{
	switch (s->state) {
	case SOURCE_SYSTEM_PEER:
		return CTL_PST_SEL_SYSPEER;
	case SOURCE_SELECTED:
		return CTL_PST_SEL_CANDIDATE;
	case SOURCE_FALSETICKER:
		return CTL_PST_SEL_FALSETICK;
	default:
		return CTL_PST_SEL_REJECT;
	}
}

/* RFC 9327 3.1.2's peer status word: every upstream is configured. */
static __u16 peer_status(const struct agent_source_status *s)
{
	return (__u16)((CTL_PST_CONFIG | (s->reach ? CTL_PST_REACH : 0) | peer_select(s)) << 8);
}

static int source_at(const struct mode6 *m, int i, struct agent_source_status *s)
{
	return m->source ? m->source(m->source_ctx, i, s) : -ENOENT;
}

/* The answer a client would get now: leap, stratum, refid, root delay
 * and dispersion, reference and receive time, decided by the one
 * builder both serving paths use. */
static void served_header(const struct ntpd_ref_state *st, int fresh, __u64 now,
			  struct ntp_packet *pkt)
{
	const struct ntpd_config cfg = { .poll_min = NTP_POLL_MIN_DEFAULT,
					 .poll_max = NTP_POLL_MAX_DEFAULT };

	memset(pkt, 0, sizeof(*pkt));
	pkt->li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT);
	ntp_fill_response(pkt, st, &cfg, now, fresh);
}

static void system_vars(const struct mode6 *m, const struct ntp_packet *pkt,
			const struct ntpd_ref_state *st, struct varset *s, __u16 *status)
{
	struct agent_source_status src;
	__u8 leap = NTP_LI(pkt->li_vn_mode), stratum = pkt->stratum, source;
	int i, peer = 0;
	char refid[16];

	/* no system peer while we serve unsynchronised, whatever the agent chose */
	for (i = 0; leap != NTP_LEAP_UNSYNC && !peer && source_at(m, i, &src) == 0; i++)
		if (src.state == SOURCE_SYSTEM_PEER)
			peer = i + 1;
	source = leap == NTP_LEAP_UNSYNC ? CTL_SST_TS_UNSPEC :
		 peer ? CTL_SST_TS_NTP : CTL_SST_TS_LOCAL;
	*status = (__u16)(leap << 14 | source << 8);
	refid_text(pkt->refid, stratum, refid, sizeof(refid));
	var_add(s, "version", "\"xdp-ntpd %s\"", NTPD_VERSION);
	var_add(s, "leap", "%u", leap);
	/* ntpd's convention: 16 is unsynchronised (the wire's 0) */
	var_add(s, "stratum", "%u", stratum ? stratum : 16);
	var_add(s, "precision", "%d", pkt->precision);
	var_add(s, "rootdelay", "%.6f", short_ms(ntohl(pkt->root_delay)));
	var_add(s, "rootdisp", "%.6f", short_ms(ntohl(pkt->root_dispersion)));
	var_add(s, "refid", "%s", refid);
	var_lfp(s, "reftime", be64toh(pkt->reference_ts));
	var_lfp(s, "clock", be64toh(pkt->receive_ts));
	var_add(s, "peer", "%d", peer);
	if (peer && source_at(m, peer - 1, &src) == 0) {
		var_add(s, "tc", "%d", src.poll);
		var_add(s, "offset", "%.6f", ms(src.offset));
		var_add(s, "sys_jitter", "%.6f", ms(src.jitter));
		var_add(s, "frequency", "%.3f", src.freq * 1e6);
	}
	var_add(s, "tai", "%lld", (long long)(st->tai_offset_ns / (__s64)NSEC_PER_SEC_U64));
}

/* "host:port" or "[v6]:port" (endpoint_format) into its two halves */
static void split_name(const char *name, char *host, size_t len, unsigned int *port)
{
	const char *colon = strrchr(name, ':');
	size_t n = colon ? (size_t)(colon - name) : strlen(name);

	*port = colon ? (unsigned int)strtoul(colon + 1, NULL, 10) : NTP_PORT_DEFAULT;
	if (name[0] == '[' && n >= 2 && name[n - 1] == ']') {
		name++;
		n -= 2;
	}
	snprintf(host, len, "%.*s", (int)n, name);
}

static void peer_vars(const struct agent_source_status *src, struct varset *s)
{
	char host[sizeof(src->name)];
	unsigned int port;

	split_name(src->name, host, sizeof(host), &port);
	var_add(s, "srcadr", "%.*s", VAR_VALUE_MAX - 1, host);
	var_add(s, "srcport", "%u", port);
	var_add(s, "hmode", "%u", NTP_MODE_CLIENT);
	var_add(s, "pmode", "%u", NTP_MODE_SERVER);
	var_add(s, "stratum", "%u", src->stratum ? src->stratum : 16);
	var_add(s, "hpoll", "%d", src->poll);
	var_add(s, "ppoll", "%d", src->poll);
	var_add(s, "reach", "0x%02x", src->reach);
	var_add(s, "delay", "%.6f", ms(src->delay));
	var_add(s, "offset", "%.6f", ms(src->offset));
	var_add(s, "jitter", "%.6f", ms(src->jitter));
	var_add(s, "dispersion", "%.6f", ms(src->dispersion));
}

/* READSTAT of association 0: every association's ID and status word. */
static void read_status(const struct mode6 *m, struct query *q, struct reply *r)
{
	struct agent_source_status src;
	int i;

	if (q->assoc) {
		if (source_at(m, q->assoc - 1, &src))
			r->error = CTL_ERR_BADASSOC;
		else
			r->status = peer_status(&src);
		return;
	}
	for (i = 0; r->len + 4 <= sizeof(r->data) && source_at(m, i, &src) == 0; i++) {
		__u16 id = (__u16)(i + 1), st = peer_status(&src);

		r->data[r->len++] = (__u8)(id >> 8);
		r->data[r->len++] = (__u8)id;
		r->data[r->len++] = (__u8)(st >> 8);
		r->data[r->len++] = (__u8)st;
	}
}

static void read_vars(const struct mode6 *m, struct query *q, const struct ntp_packet *pkt,
		      const struct ntpd_ref_state *st, struct reply *r)
{
	struct agent_source_status src;
	struct varset s = { .n = 0 };

	if (!q->assoc) {
		system_vars(m, pkt, st, &s, &r->status);
	} else if (source_at(m, q->assoc - 1, &src)) {
		r->error = CTL_ERR_BADASSOC;
		return;
	} else {
		r->status = peer_status(&src);
		peer_vars(&src, &s);
	}
	put_vars(r, &s, q->names);
	if (r->error)
		r->len = 0;
}

/* The datagram: header, data padded to 32 bits (RFC 9327 4). */
static size_t encode(const struct query *q, const struct reply *r, __u8 leap, __u8 *out)
{
	size_t len = r->error ? 0 : r->len;
	__u16 status = r->error ? (__u16)(r->error << 8) : r->status;

	memset(out, 0, MODE6_HEADER_LEN);
	out[0] = NTP_LI_VN_MODE(leap, q->version, NTP_MODE_CONTROL);
	out[1] = (__u8)(CTL_RESPONSE | (r->error ? CTL_ERROR : 0) | q->opcode);
	out[2] = (__u8)(q->sequence >> 8);
	out[3] = (__u8)q->sequence;
	out[4] = (__u8)(status >> 8);
	out[5] = (__u8)status;
	out[6] = (__u8)(q->assoc >> 8);
	out[7] = (__u8)q->assoc;
	out[10] = (__u8)(len >> 8);
	out[11] = (__u8)len;
	memcpy(out + MODE6_HEADER_LEN, r->data, len);
	while (len & 3)
		out[MODE6_HEADER_LEN + len++] = 0;
	return MODE6_HEADER_LEN + len;
}

__u32 mode6_answer(struct mode6 *m, int family, const void *saddr, const __u8 *req, size_t len,
		   const struct ntpd_ref_state *st, int fresh, __u64 now_tai_ns, __u8 *out,
		   size_t *out_len)
{
	static const struct ntpd_ref_state unreadable = { .stratum = NTP_STRATUM_UNSYNC_WIRE };
	struct ntp_packet pkt;
	struct query q;
	struct reply r;

	*out_len = 0;
	if (!allowed(m, family, saddr))
		return NTPD_CNT_DROP_MODE_CONTROL;
	if (!parse_query(req, len, &q))
		return NTPD_CNT_CONTROL_MALFORMED;
	if (!take_token(m, now_tai_ns))
		return NTPD_CNT_CONTROL_LIMITED;

	memset(&r, 0, sizeof(r));
	served_header(st ? st : &unreadable, st ? fresh : 0, now_tai_ns, &pkt);
	if (q.opcode == CTL_OP_READSTAT) {
		system_vars(m, &pkt, st ? st : &unreadable, &(struct varset){ .n = 0 }, &r.status);
		read_status(m, &q, &r);
	} else if (q.opcode == CTL_OP_READVAR) {
		read_vars(m, &q, &pkt, st ? st : &unreadable, &r);
	} else {
		/* writes, configuration, the MRU list: never from here */
		r.error = q.opcode == 3 || q.opcode == 5 || q.opcode == 8 ? CTL_ERR_PERMISSION :
									   CTL_ERR_BADOP;
	}
	*out_len = encode(&q, &r, NTP_LI(pkt.li_vn_mode), out);
	return NTPD_CNT_CONTROL_ANSWERED;
}
