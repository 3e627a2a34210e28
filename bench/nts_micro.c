// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nts-micro: the crypto of one NTS answer on one core, in the code the
 * socket server runs (nts_ef_authenticate + nts_ef_finish: open the
 * cookie, verify the request, seal N fresh cookies and the answer), for 1
 * and 8 cookies; a cookie sealed and opened alone, and by two threads at
 * once on one ring (what the key ring's locking costs); a 16-byte nonce from
 * RAND_bytes and from our nonce stream; and one AES-128 block through
 * OpenSSL's EVP (what an AES-SIV built from block calls would pay per
 * block).  ITER rounds each.  Times are the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), not the wall clock: on a shared machine the
 * time other processes hold the core is not ours.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nts_ef.h"
#include "nts_wire.h"
#include "ntpd_shared.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static size_t request(struct nts_cookie_ring *r, const struct nts_client_keys *k, uint8_t *pkt,
		      int placeholders)
{
	uint8_t uid[32] = { 1 }, cookie[NTS_COOKIE_LEN], auth[36] = { 0, 16, 0, 16, 7 };
	size_t off = NTP_PACKET_LEN;

	memset(pkt, 0, NTP_PACKET_LEN);
	pkt[0] = 0x23;
	nts_cookie_seal(r, k, cookie);
	off += nts_ef_put(pkt + off, NTS_EF_UNIQUE_ID, uid, sizeof(uid));
	off += nts_ef_put(pkt + off, NTS_EF_COOKIE, cookie, sizeof(cookie));
	for (int i = 0; i < placeholders; i++)
		off += nts_ef_put(pkt + off, NTS_EF_COOKIE_PLACEHOLDER, NULL, NTS_COOKIE_LEN);
	nts_siv_seal(k->c2s, pkt, off, auth + 4, 16, NULL, 0, auth + 20);
	off += nts_ef_put(pkt + off, NTS_EF_AUTHENTICATOR, auth, sizeof(auth));
	return off;
}

struct pair_run {
	struct nts_cookie_ring *ring;
	int iter;
	double ns;			/* per seal + open, this thread's CPU */
};

static void *seal_open(void *arg)
{
	static const struct nts_client_keys k = { .c2s = { 1 }, .s2c = { 2 } };
	struct pair_run *p = arg;
	struct nts_client_keys got;
	uint8_t c[NTS_COOKIE_LEN];
	double t0 = now_ns();

	p->ns = -1;
	for (int i = 0; i < p->iter; i++)
		if (nts_cookie_seal(p->ring, &k, c) || nts_cookie_open(p->ring, c, sizeof(c), &got))
			return NULL;
	p->ns = (now_ns() - t0) / p->iter;
	return NULL;
}

/* two threads sealing and opening on one ring at once */
static int two_threads(struct nts_cookie_ring *ring, int iter)
{
	struct pair_run p[2] = { { ring, iter, 0 }, { ring, iter, 0 } };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, seal_open, &p[i]))
			return -1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (p[0].ns < 0 || p[1].ns < 0)
		return -1;
	printf("cookie seal+open, 2 threads on one ring: %.0f ns\n", (p[0].ns + p[1].ns) / 2);
	return 0;
}

int main(int argc, char **argv)
{
	int iter = argc > 1 ? atoi(argv[1]) : 100000, ph, i, n;
	static const struct nts_client_keys k = { .c2s = { 1 }, .s2c = { 2 } };
	struct nts_cookie_ring ring;
	uint8_t pkt[1024], copy[1024], key[16] = { 3 }, blk[16] = { 0 }, out[32];
	struct nts_ef_request r;
	struct nts_ef_reply rep;
	EVP_CIPHER_CTX *ecb = EVP_CIPHER_CTX_new();
	size_t len;
	double t0;

	if (nts_cookie_ring_init(&ring, NULL) || nts_cookie_ring_rotate(&ring, 1))
		return 1;
	for (ph = 0; ph <= 7; ph += 7) {
		len = request(&ring, &k, pkt, ph);
		t0 = now_ns();
		for (i = 0; i < iter; i++) {
			memcpy(copy, pkt, len);
			if (nts_ef_parse(copy, len, &r) || nts_ef_authenticate(&ring, copy, len, &r, &rep) ||
			    rep.nak || !nts_ef_finish(&ring, copy, &rep))
				return 2;
		}
		printf("nts answer, %d cookie(s), %zu bytes: %.0f ns\n", ph + 1, len,
		       (now_ns() - t0) / iter);
	}
	t0 = now_ns();
	for (i = 0; i < iter; i++)
		if (nts_cookie_seal(&ring, &k, copy))
			return 3;
	printf("cookie seal: %.0f ns\n", (now_ns() - t0) / iter);
	t0 = now_ns();
	for (i = 0; i < iter; i++)
		if (nts_cookie_open(&ring, copy, NTS_COOKIE_LEN, &rep.keys))
			return 4;
	printf("cookie open: %.0f ns\n", (now_ns() - t0) / iter);
	if (two_threads(&ring, iter))
		return 5;
	t0 = now_ns();
	for (i = 0; i < iter; i++)
		RAND_bytes(out, 16);
	printf("16-byte nonce, RAND_bytes: %.0f ns\n", (now_ns() - t0) / iter);
#ifdef NTS_SIV_NONCE_LEN
	t0 = now_ns();
	for (i = 0; i < iter; i++)
		nts_siv_nonce(out);
	printf("16-byte nonce, nts_siv_nonce: %.0f ns\n", (now_ns() - t0) / iter);
#endif
	EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), NULL, key, NULL);
	EVP_CIPHER_CTX_set_padding(ecb, 0);
	t0 = now_ns();
	for (i = 0; i < iter * 10; i++)
		EVP_EncryptUpdate(ecb, out, &n, blk, 16);
	printf("one AES-128 block, one EVP call: %.1f ns\n", (now_ns() - t0) / (iter * 10));
	nts_cookie_ring_free(&ring);
	return 0;
}
