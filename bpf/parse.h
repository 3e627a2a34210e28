/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bounds-checked header cursor for the XDP program.  Each pull either yields
 * a pointer to a complete header or NULL; nothing past data_end is touched,
 * and the verifier sees exactly one bounds check per header.
 */
#ifndef NTPD_PARSE_H
#define NTPD_PARSE_H

#include "ntp_proto.h"

#define ETH_ALEN_	6
#define ETH_P_IP_	0x0800
#define ETH_P_IPV6_	0x86DD
#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88A8
#define IPPROTO_UDP_	17
#define IP_MF_		0x2000
#define IP_OFFSET_	0x1FFF
#define NTPD_VLAN_MAX	2	/* 802.1Q, or 802.1ad outer + 802.1Q inner */

struct hdr_cursor {
	void *pos;
	void *end;
};

struct vlan_tag {
	__be16 tci;
	__be16 encapsulated_proto;
};

NTPD_INLINE void *cursor_pull(struct hdr_cursor *c, __u32 len)
{
	void *hdr = c->pos;

	if (NTPD_UNLIKELY(hdr + len > c->end))
		return NULL;
	c->pos = hdr + len;
	return hdr;
}

NTPD_INLINE int is_vlan_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q_) || proto == bpf_htons(ETH_P_8021AD_);
}

/*
 * The VLAN tags after the Ethernet header, whose EtherType `proto` is a tag's:
 * the inner EtherType, or 0 with *fail_reason set as parse_ethernet() says.
 * Out of line: an untagged request never runs it.
 */
NTPD_COLD __be16 parse_vlan_tags(struct hdr_cursor *c, __be16 proto, __u32 *vlan,
				 __u32 *fail_reason)
{
	struct vlan_tag *tag;
	__u32 vid;
	int i;

	*fail_reason = NTPD_CNT_PASS_TRUNCATED;
#pragma unroll
	for (i = 0; i < NTPD_VLAN_MAX; i++) {
		if (!is_vlan_proto(proto))
			break;
		tag = cursor_pull(c, sizeof(*tag));
		if (!tag)
			return 0;
		/* IEEE 802.1Q 9.6: VID 0 only carries a priority */
		vid = bpf_ntohs(tag->tci) & NTPD_VLAN_VID_MASK;
		if (vid)
			*vlan = NTPD_VLAN_PATH(*vlan, vid);
		proto = tag->encapsulated_proto;
	}
	if (is_vlan_proto(proto)) {
		*fail_reason = NTPD_CNT_PASS_VLAN_DEPTH;
		return 0;
	}
	*fail_reason = NTPD_CNT_PASS_NOT_IP;
	return proto;
}

/*
 * Ethernet plus up to NTPD_VLAN_MAX tags.  Returns the inner EtherType, or 0
 * with *fail_reason set (an NTPD_CNT_* counter) when the frame is truncated
 * or carries more tags than we parse.  *vlan is the frame's NTPD_VLAN_PATH.
 */
NTPD_INLINE __be16 parse_ethernet(struct hdr_cursor *c, struct ethhdr **eth, __u32 *vlan,
				  __u32 *fail_reason)
{
	__be16 proto;

	*vlan = 0;
	*fail_reason = NTPD_CNT_PASS_TRUNCATED;
	*eth = cursor_pull(c, sizeof(struct ethhdr));
	if (NTPD_UNLIKELY(!*eth))
		return 0;
	proto = (*eth)->h_proto;
	*fail_reason = NTPD_CNT_PASS_NOT_IP;
	if (NTPD_UNLIKELY(is_vlan_proto(proto)))
		return parse_vlan_tags(c, proto, vlan, fail_reason);
	return proto;
}

/* RFC 8200 4 and the IANA list: headers that may sit before UDP. */
NTPD_INLINE int is_ipv6_extension(__u8 nexthdr)
{
	return nexthdr == 0 || nexthdr == 43 || nexthdr == 44 || nexthdr == 60 ||
	       nexthdr == 51 || nexthdr == 50 || nexthdr == 135 || nexthdr == 139 ||
	       nexthdr == 140;
}

#endif /* NTPD_PARSE_H */
