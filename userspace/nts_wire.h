/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NTS's wire integers and extension fields (RFC 8915, RFC 7822): 16-bit
 * network-order fields and the type-length-body layout every NTS extension
 * field has.  Header-only: the server (nts_ef.c, nts_records.c), the bench
 * client, the fuzz targets and the tests write them the one way.
 */
#ifndef NTPD_NTS_WIRE_H
#define NTPD_NTS_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NTS_EF_HDR_LEN	4	/* field type, field length (header included) */

static inline uint16_t nts_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void nts_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)(v & 0xff);
}

/* An extension field of `type` at p: its header, then len bytes of body
 * (zeros when body is NULL, as a Cookie Placeholder's).  Returns its size;
 * the caller has made sure p has room and len keeps it a multiple of 4. */
static inline size_t nts_ef_put(uint8_t *p, uint16_t type, const uint8_t *body, size_t len)
{
	nts_put16(p, type);
	nts_put16(p + 2, (uint16_t)(len + NTS_EF_HDR_LEN));
	if (body)
		memcpy(p + NTS_EF_HDR_LEN, body, len);
	else
		memset(p + NTS_EF_HDR_LEN, 0, len);
	return len + NTS_EF_HDR_LEN;
}

#endif /* NTPD_NTS_WIRE_H */
