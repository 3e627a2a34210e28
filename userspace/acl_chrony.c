// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "acl_chrony.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* "1", "1.2", "1.2.3": how many dotted decimal parts, 0 when not that shape */
static int short_parts(const char *addr)
{
	int parts = 1;
	bool digit = false;

	for (; *addr; addr++) {
		if (isdigit((unsigned char)*addr)) {
			digit = true;
		} else if (*addr == '.' && digit) {
			parts++;
			digit = false;
		} else {
			return 0;
		}
	}
	return digit ? parts : 0;
}

int acl_chrony_subnet(const char *text, char *cidr, size_t len)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
	int parts, n, i;

	if (!addr_len || addr_len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, addr_len);
	addr[addr_len] = '\0';
	parts = short_parts(addr);
	if (parts < 1 || parts > 3) {	/* a full address, IPv6, or not ours to judge */
		n = snprintf(cidr, len, "%s", text);
		return n < 0 || (size_t)n >= len ? -EINVAL : 0;
	}
	/* chrony: the missing parts are zero, the prefix what was written */
	for (i = parts; i < 4; i++)
		strcat(addr, ".0");
	if (slash)
		n = snprintf(cidr, len, "%s%s", addr, slash);
	else
		n = snprintf(cidr, len, "%s/%d", addr, parts * 8);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

/* a inside the prefix of b: b's leading b->prefixlen bits equal */
static bool rule_inside(const struct acl_rule *a, const struct acl_rule *b)
{
	unsigned int full = b->prefixlen / 8, rest = b->prefixlen % 8;
	__u8 mask = (__u8)(0xff << (8 - rest));

	if (a->family != b->family || a->prefixlen < b->prefixlen)
		return false;
	if (memcmp(a->addr, b->addr, full))
		return false;
	return !rest || ((a->addr[full] ^ b->addr[full]) & mask) == 0;
}

int acl_add_override(struct ntpd_policy *p, const char *cidr, __u8 action)
{
	struct ntpd_policy probe = { .n_acl = 0 };
	const struct acl_rule *r;
	int i, kept = 0;

	/* parsed alone first: a bad subnet removes nothing */
	if (policy_add_acl(&probe, cidr, action))
		return -EINVAL;
	r = &probe.acl[0];
	for (i = 0; i < p->n_acl; i++)
		if (!rule_inside(&p->acl[i], r))
			p->acl[kept++] = p->acl[i];
	p->n_acl = kept;
	return policy_add_acl(p, cidr, action);
}
