// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The management API's JSON bodies: first byte picks the parser
 * (0 /upstreams, 1 /ratelimit, 2 /acl), the rest is the body.  A parser
 * either accepts, leaving values inside the ranges the command line allows,
 * or refuses with a message and leaves the running policy untouched.
 * A first byte of 0xf0 or more fuzzes the HTTP Host check instead: what it
 * lets through names our address, localhost on loopback, or a listed name.
 */
#include <errno.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "fuzz_util.h"
#include "http.h"
#include "mgmt_api.h"

static struct ntpd_policy before, p;

static void fuzz_host(const uint8_t *data, size_t size)
{
	struct sockaddr_storage local = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&local;
	char host[300];
	size_t len = size < sizeof(host) - 1 ? size : sizeof(host) - 1;
	const char *colon;
	bool allowed;

	memcpy(host, data, len);
	host[len] = '\0';
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &s4->sin_addr);
	allowed = http_host_allowed(host, &local, 9978, "metrics.example");
	if (!allowed)
		return;
	/* through only as ourselves: 127.0.0.1, localhost or the listed name */
	colon = strchr(host, ':');
	len = colon ? (size_t)(colon - host) : strlen(host);
	FUZZ_CHECK((len == 9 && !strncmp(host, "127.0.0.1", 9)) ||
		   (len == 9 && !strncasecmp(host, "localhost", 9)) ||
		   (len == 15 && !strncasecmp(host, "metrics.example", 15)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	char err[256] = "";
	int n = -1, ret, i;

	if (size < 1)
		return 0;
	if (data[0] >= 0xf0) {
		fuzz_host(data + 1, size - 1);
		return 0;
	}
	policy_defaults(&before);
	policy_add_acl(&before, "192.0.2.0/24", NTPD_ACL_DENY);
	p = before;
	switch (data[0] % 3) {
	case 0:
		ret = mgmt_parse_upstreams((const char *)data + 1, size - 1, eps, &n, err,
					   sizeof(err));
		FUZZ_CHECK(ret == 0 || ret == -EINVAL);
		if (!ret) {
			FUZZ_CHECK(n >= 1 && n <= NTPD_MAX_UPSTREAMS);
			for (i = 0; i < n; i++)
				FUZZ_CHECK(eps[i].port > 0 && memchr(eps[i].host, 0, sizeof(eps[i].host)));
		}
		break;
	case 1:
		ret = mgmt_parse_ratelimit((const char *)data + 1, size - 1, &p, err, sizeof(err));
		FUZZ_CHECK(ret == 0 || ret == -EINVAL);
		if (!ret) {
			FUZZ_CHECK(p.rate.cost_ns >= 1000 && p.rate.cost_ns <= 1000ULL * NSEC_PER_SEC_U64);
			FUZZ_CHECK(p.rate.burst_ns >= p.rate.cost_ns);
			FUZZ_CHECK(p.rate.leak_shift <= 16);
			FUZZ_CHECK(p.rate.prefix4 >= 1 && p.rate.prefix4 <= 32);
			FUZZ_CHECK(p.rate.prefix6 >= 1 && p.rate.prefix6 <= 128);
			FUZZ_CHECK(p.n_acl == before.n_acl);
		}
		break;
	default:
		ret = mgmt_parse_acl((const char *)data + 1, size - 1, &p, err, sizeof(err));
		FUZZ_CHECK(ret == 0 || ret == -EINVAL);
		if (!ret) {
			FUZZ_CHECK(p.n_acl >= 0 && p.n_acl <= POLICY_MAX_ACL);
			FUZZ_CHECK(!memcmp(&p.rate.cost_ns, &before.rate.cost_ns, sizeof(p.rate.cost_ns)));
		}
		break;
	}
	/* a refusal explains itself and changes nothing */
	if (ret) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(!memcmp(&p, &before, sizeof(p)));
	}
	return 0;
}
