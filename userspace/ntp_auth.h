/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NTP symmetric-key authentication (RFC 5905 7.3 MAC, RFC 8573 AES-CMAC),
 * with keys in the ntpd/chrony key file format.  The digests come from
 * OpenSSL's libcrypto; nothing cryptographic is written here.
 */
#ifndef NTPD_NTP_AUTH_H
#define NTPD_NTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "ntpd_shared.h"

#define NTP_KEY_MAX_LEN		64
#define NTP_MAC_MAX_DIGEST	20	/* SHA1; MD5 and AES-CMAC give 16 */

enum ntp_key_type {
	NTP_KEY_MD5,
	NTP_KEY_SHA1,
	NTP_KEY_AES128_CMAC,
};

struct ntp_key {
	__u32 id;
	enum ntp_key_type type;
	__u8 key[NTP_KEY_MAX_LEN];
	size_t key_len;
	/*
	 * Prepared once by ntp_keys_load (an EVP_MAC_CTX keyed for CMAC, an
	 * EVP_MD_CTX that has digested the key for MD5/SHA1) and copied per
	 * use: fetching an algorithm from a provider per packet costs more
	 * than the digest.  NULL (a key built by hand): prepared per use.
	 * Read-only after loading, so threads share it.
	 */
	void *prepared;
	/* not on the trustedkey list: known, but neither answered nor used
	 * for an upstream (false by default: a key built by hand is trusted) */
	bool untrusted;
};

/*
 * trustedkey ID|LO-HI ... (ntpd's): only these keys sign answers and
 * authenticate upstreams.  n 0: every key of the file is trusted (chrony's
 * way, and ours before the list existed).
 */
#define NTP_TRUST_MAX		32
struct ntp_trust {
	__u32 lo[NTP_TRUST_MAX], hi[NTP_TRUST_MAX];
	int n;
};

struct ntp_keyring {
	struct ntp_key *keys;
	int n;
};

/*
 * Load "ID [TYPE] KEY" lines (TYPE MD5 by default; KEY plain ASCII, "ASCII:",
 * "HEX:", or ntpd's bare hex for keys over 20 characters).  Comments start
 * with '#'.  Returns 0, or -EINVAL after printing "FILE:LINE: problem".
 */
int ntp_keys_load(const char *path, struct ntp_keyring *out);
void ntp_keys_free(struct ntp_keyring *ring);
/* Any key of the ring with this ID, trusted or not (NULL: none). */
const struct ntp_key *ntp_keys_find(const struct ntp_keyring *ring, __u32 id);
/* The key with this ID if it is trusted, else NULL: the one to sign with. */
const struct ntp_key *ntp_keys_trusted(const struct ntp_keyring *ring, __u32 id);

/*
 * Mark the keys outside `trust` untrusted (nothing when trust->n is 0).
 * Every ID and range listed must name a key of the ring: a trustedkey for
 * a key the file lacks is a typo, not a policy.  0, or -EINVAL after
 * printing "trustedkey ID: no such key in PATH".
 */
int ntp_keys_trust(struct ntp_keyring *ring, const struct ntp_trust *trust, const char *path);

/* ntp_keys_load of `path` (NULL: an empty ring) and ntp_keys_trust: the
 * daemon's keys.  0, or -errno after printing why. */
int ntp_keys_load_trusted(const char *path, const struct ntp_trust *trust,
			  struct ntp_keyring *out);

/* Parse "ID", "LO-HI" or a comma-separated list of them into *trust
 * (added to it).  0, -EINVAL (not IDs 1..4294967295, LO > HI), -ENOSPC. */
int ntp_trust_parse(const char *text, struct ntp_trust *trust);

/* Digest length on the wire for a key type. */
size_t ntp_auth_digest_len(enum ntp_key_type type);

/* MAC of `len` bytes into `digest` (ntp_auth_digest_len bytes). 0 or -EIO. */
int ntp_auth_digest(const struct ntp_key *key, const void *data, size_t len, __u8 *digest);

enum ntp_auth_verdict {
	NTP_AUTH_NONE,		/* plain 48-byte packet */
	NTP_AUTH_OK,		/* MAC verified with *key */
	NTP_AUTH_UNKNOWN_KEY,	/* answer with a crypto-NAK only (untrusted keys too) */
	NTP_AUTH_BAD_MAC,	/* known key, wrong digest: no answer */
	NTP_AUTH_UNSUPPORTED,	/* extension fields or odd lengths: no answer */
};

/* Judge the trailer of a client packet of `len` bytes. */
enum ntp_auth_verdict ntp_auth_check(const struct ntp_keyring *ring, const __u8 *pkt,
				     size_t len, const struct ntp_key **key);

/*
 * ntp_auth_check in two steps, so the cheap one can come before the rate
 * limit and the digest after it: ntp_auth_lookup judges lengths and finds
 * the key, no cryptography (NTP_AUTH_OK here means "a MAC to verify with
 * *key"); ntp_auth_verify then says NTP_AUTH_OK or NTP_AUTH_BAD_MAC.
 */
enum ntp_auth_verdict ntp_auth_lookup(const struct ntp_keyring *ring, const __u8 *pkt,
				      size_t len, const struct ntp_key **key);
enum ntp_auth_verdict ntp_auth_verify(const struct ntp_key *key, const __u8 *pkt, size_t len);

/* Append keyid + MAC over the 48-byte header at `pkt`; returns the new
 * length, or 0 on a crypto failure. */
size_t ntp_auth_sign(const struct ntp_key *key, __u8 *pkt);

#endif /* NTPD_NTP_AUTH_H */
