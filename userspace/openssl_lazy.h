/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NTPD_OPENSSL_LAZY_H
#define NTPD_OPENSSL_LAZY_H

/*
 * OpenSSL, opened with dlopen when the configuration needs it (NTS, a key
 * file), never linked: linking libssl/libcrypto alone costs ~1.7 MiB of
 * resident memory (relocated data, constructors), used or not, which is
 * most of what socket mode holds above chronyd (docs/performance.md,
 * "Memory").  The precedent is systemd's dlopen-ed libraries (DLSYM_ARG and
 * its sym_ pointers).
 *
 * Include this header LAST in a file that calls OpenSSL: it includes every
 * OpenSSL header the daemon uses, then maps each function the daemon calls
 * to its pointer, so call sites keep OpenSSL's own names and prototypes:
 *
 *   #define EVP_DigestInit_ex \
 *     (*(__typeof__(EVP_DigestInit_ex) *)openssl_sym(OPENSSL_SYM_EVP_DigestInit_ex))
 *
 * A macro's own name is not expanded again inside it, so __typeof__ sees
 * the prototype; OpenSSL's function-like macros (SSL_CTX_set_min_proto_version
 * is SSL_CTX_ctrl) expand to a mapped name in turn.  A pointer is one array
 * load once loaded; the first call of a function not loaded yet loads its
 * library then (tests, tools), but the daemon loads at start-up, before the
 * privilege drop and the seccomp filter that may refuse dlopen later
 * (openssl_lazy_load, main.c).
 *
 * Tools built outside the daemon from the same files (the NTS probe, the
 * load generator) link OpenSSL directly: -DOPENSSL_LAZY_DIRECT.
 */

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

enum openssl_lib { OPENSSL_LIB_CRYPTO, OPENSSL_LIB_SSL, OPENSSL_LIB_COUNT };

/* Every OpenSSL function the daemon calls, with the library that has it;
 * a new call elsewhere fails to link (no -lcrypto) until it is named here. */
#define OPENSSL_LAZY_SYMS(X)					\
	X(CRYPTO, ERR_clear_error)				\
	X(CRYPTO, ERR_error_string_n)				\
	X(CRYPTO, ERR_get_error)				\
	X(CRYPTO, EVP_CIPHER_CTX_free)				\
	X(CRYPTO, EVP_CIPHER_CTX_new)				\
	X(CRYPTO, EVP_CIPHER_fetch)				\
	X(CRYPTO, EVP_CIPHER_free)				\
	X(CRYPTO, EVP_DigestFinal_ex)				\
	X(CRYPTO, EVP_DigestInit_ex)				\
	X(CRYPTO, EVP_DigestUpdate)				\
	X(CRYPTO, EVP_EncryptInit_ex2)				\
	X(CRYPTO, EVP_EncryptUpdate)				\
	X(CRYPTO, EVP_MAC_CTX_dup)				\
	X(CRYPTO, EVP_MAC_CTX_free)				\
	X(CRYPTO, EVP_MAC_CTX_new)				\
	X(CRYPTO, EVP_MAC_fetch)				\
	X(CRYPTO, EVP_MAC_final)				\
	X(CRYPTO, EVP_MAC_free)					\
	X(CRYPTO, EVP_MAC_init)					\
	X(CRYPTO, EVP_MAC_update)				\
	X(CRYPTO, EVP_MD_CTX_copy_ex)				\
	X(CRYPTO, EVP_MD_CTX_free)				\
	X(CRYPTO, EVP_MD_CTX_new)				\
	X(CRYPTO, EVP_md5)					\
	X(CRYPTO, EVP_sha1)					\
	X(CRYPTO, OSSL_PARAM_construct_end)			\
	X(CRYPTO, OSSL_PARAM_construct_utf8_string)		\
	X(CRYPTO, RAND_bytes)					\
	X(CRYPTO, RAND_priv_bytes)				\
	X(SSL, SSL_CTX_check_private_key)			\
	X(SSL, SSL_CTX_ctrl)					\
	X(SSL, SSL_CTX_free)					\
	X(SSL, SSL_CTX_new)					\
	X(SSL, SSL_CTX_set_alpn_select_cb)			\
	X(SSL, SSL_CTX_set_client_hello_cb)			\
	X(SSL, SSL_CTX_set_num_tickets)				\
	X(SSL, SSL_CTX_use_PrivateKey_file)			\
	X(SSL, SSL_CTX_use_certificate_chain_file)		\
	X(SSL, SSL_accept)					\
	X(SSL, SSL_client_hello_get0_ext)			\
	X(SSL, SSL_export_keying_material)			\
	X(SSL, SSL_free)					\
	X(SSL, SSL_get_error)					\
	X(SSL, SSL_new)						\
	X(SSL, SSL_read_ex)					\
	X(SSL, SSL_select_next_proto)				\
	X(SSL, SSL_set_fd)					\
	X(SSL, SSL_shutdown)					\
	X(SSL, SSL_write_ex)					\
	X(SSL, TLS_server_method)

#define OPENSSL_LAZY_ENUM(lib, name) OPENSSL_SYM_##name,
enum openssl_sym { OPENSSL_LAZY_SYMS(OPENSSL_LAZY_ENUM) OPENSSL_SYM_COUNT };
#undef OPENSSL_LAZY_ENUM

/*
 * Open `lib` (libssl opens libcrypto too) and resolve all its functions,
 * once; later calls return what the first did.  0, or -ENOENT after saying
 * which library could not be opened or lacks which function.
 */
int openssl_lazy_load(enum openssl_lib lib);

extern void *openssl_lazy_table[OPENSSL_SYM_COUNT];
/* Loads the symbol's library; aborts naming it if it cannot be opened. */
void *openssl_sym_slow(enum openssl_sym sym);

static inline void *openssl_sym(enum openssl_sym sym)
{
	/* acquire: pairs with the release that publishes each pointer */
	void *fn = __atomic_load_n(&openssl_lazy_table[sym], __ATOMIC_ACQUIRE);

	return __builtin_expect(fn != NULL, 1) ? fn : openssl_sym_slow(sym);
}

#ifndef OPENSSL_LAZY_DIRECT
#define ERR_clear_error (*(__typeof__(ERR_clear_error) *)openssl_sym(OPENSSL_SYM_ERR_clear_error))
#define ERR_error_string_n (*(__typeof__(ERR_error_string_n) *)openssl_sym(OPENSSL_SYM_ERR_error_string_n))
#define ERR_get_error (*(__typeof__(ERR_get_error) *)openssl_sym(OPENSSL_SYM_ERR_get_error))
#define EVP_CIPHER_CTX_free (*(__typeof__(EVP_CIPHER_CTX_free) *)openssl_sym(OPENSSL_SYM_EVP_CIPHER_CTX_free))
#define EVP_CIPHER_CTX_new (*(__typeof__(EVP_CIPHER_CTX_new) *)openssl_sym(OPENSSL_SYM_EVP_CIPHER_CTX_new))
#define EVP_CIPHER_fetch (*(__typeof__(EVP_CIPHER_fetch) *)openssl_sym(OPENSSL_SYM_EVP_CIPHER_fetch))
#define EVP_CIPHER_free (*(__typeof__(EVP_CIPHER_free) *)openssl_sym(OPENSSL_SYM_EVP_CIPHER_free))
#define EVP_DigestFinal_ex (*(__typeof__(EVP_DigestFinal_ex) *)openssl_sym(OPENSSL_SYM_EVP_DigestFinal_ex))
#define EVP_DigestInit_ex (*(__typeof__(EVP_DigestInit_ex) *)openssl_sym(OPENSSL_SYM_EVP_DigestInit_ex))
#define EVP_DigestUpdate (*(__typeof__(EVP_DigestUpdate) *)openssl_sym(OPENSSL_SYM_EVP_DigestUpdate))
#define EVP_EncryptInit_ex2 (*(__typeof__(EVP_EncryptInit_ex2) *)openssl_sym(OPENSSL_SYM_EVP_EncryptInit_ex2))
#define EVP_EncryptUpdate (*(__typeof__(EVP_EncryptUpdate) *)openssl_sym(OPENSSL_SYM_EVP_EncryptUpdate))
#define EVP_MAC_CTX_dup (*(__typeof__(EVP_MAC_CTX_dup) *)openssl_sym(OPENSSL_SYM_EVP_MAC_CTX_dup))
#define EVP_MAC_CTX_free (*(__typeof__(EVP_MAC_CTX_free) *)openssl_sym(OPENSSL_SYM_EVP_MAC_CTX_free))
#define EVP_MAC_CTX_new (*(__typeof__(EVP_MAC_CTX_new) *)openssl_sym(OPENSSL_SYM_EVP_MAC_CTX_new))
#define EVP_MAC_fetch (*(__typeof__(EVP_MAC_fetch) *)openssl_sym(OPENSSL_SYM_EVP_MAC_fetch))
#define EVP_MAC_final (*(__typeof__(EVP_MAC_final) *)openssl_sym(OPENSSL_SYM_EVP_MAC_final))
#define EVP_MAC_free (*(__typeof__(EVP_MAC_free) *)openssl_sym(OPENSSL_SYM_EVP_MAC_free))
#define EVP_MAC_init (*(__typeof__(EVP_MAC_init) *)openssl_sym(OPENSSL_SYM_EVP_MAC_init))
#define EVP_MAC_update (*(__typeof__(EVP_MAC_update) *)openssl_sym(OPENSSL_SYM_EVP_MAC_update))
#define EVP_MD_CTX_copy_ex (*(__typeof__(EVP_MD_CTX_copy_ex) *)openssl_sym(OPENSSL_SYM_EVP_MD_CTX_copy_ex))
#define EVP_MD_CTX_free (*(__typeof__(EVP_MD_CTX_free) *)openssl_sym(OPENSSL_SYM_EVP_MD_CTX_free))
#define EVP_MD_CTX_new (*(__typeof__(EVP_MD_CTX_new) *)openssl_sym(OPENSSL_SYM_EVP_MD_CTX_new))
#define EVP_md5 (*(__typeof__(EVP_md5) *)openssl_sym(OPENSSL_SYM_EVP_md5))
#define EVP_sha1 (*(__typeof__(EVP_sha1) *)openssl_sym(OPENSSL_SYM_EVP_sha1))
#define OSSL_PARAM_construct_end (*(__typeof__(OSSL_PARAM_construct_end) *)openssl_sym(OPENSSL_SYM_OSSL_PARAM_construct_end))
#define OSSL_PARAM_construct_utf8_string (*(__typeof__(OSSL_PARAM_construct_utf8_string) *)openssl_sym(OPENSSL_SYM_OSSL_PARAM_construct_utf8_string))
#define RAND_bytes (*(__typeof__(RAND_bytes) *)openssl_sym(OPENSSL_SYM_RAND_bytes))
#define RAND_priv_bytes (*(__typeof__(RAND_priv_bytes) *)openssl_sym(OPENSSL_SYM_RAND_priv_bytes))
#define SSL_CTX_check_private_key (*(__typeof__(SSL_CTX_check_private_key) *)openssl_sym(OPENSSL_SYM_SSL_CTX_check_private_key))
#define SSL_CTX_ctrl (*(__typeof__(SSL_CTX_ctrl) *)openssl_sym(OPENSSL_SYM_SSL_CTX_ctrl))
#define SSL_CTX_free (*(__typeof__(SSL_CTX_free) *)openssl_sym(OPENSSL_SYM_SSL_CTX_free))
#define SSL_CTX_new (*(__typeof__(SSL_CTX_new) *)openssl_sym(OPENSSL_SYM_SSL_CTX_new))
#define SSL_CTX_set_alpn_select_cb (*(__typeof__(SSL_CTX_set_alpn_select_cb) *)openssl_sym(OPENSSL_SYM_SSL_CTX_set_alpn_select_cb))
#define SSL_CTX_set_client_hello_cb (*(__typeof__(SSL_CTX_set_client_hello_cb) *)openssl_sym(OPENSSL_SYM_SSL_CTX_set_client_hello_cb))
#define SSL_CTX_set_num_tickets (*(__typeof__(SSL_CTX_set_num_tickets) *)openssl_sym(OPENSSL_SYM_SSL_CTX_set_num_tickets))
#define SSL_CTX_use_PrivateKey_file (*(__typeof__(SSL_CTX_use_PrivateKey_file) *)openssl_sym(OPENSSL_SYM_SSL_CTX_use_PrivateKey_file))
#define SSL_CTX_use_certificate_chain_file (*(__typeof__(SSL_CTX_use_certificate_chain_file) *)openssl_sym(OPENSSL_SYM_SSL_CTX_use_certificate_chain_file))
#define SSL_accept (*(__typeof__(SSL_accept) *)openssl_sym(OPENSSL_SYM_SSL_accept))
#define SSL_client_hello_get0_ext (*(__typeof__(SSL_client_hello_get0_ext) *)openssl_sym(OPENSSL_SYM_SSL_client_hello_get0_ext))
#define SSL_export_keying_material (*(__typeof__(SSL_export_keying_material) *)openssl_sym(OPENSSL_SYM_SSL_export_keying_material))
#define SSL_free (*(__typeof__(SSL_free) *)openssl_sym(OPENSSL_SYM_SSL_free))
#define SSL_get_error (*(__typeof__(SSL_get_error) *)openssl_sym(OPENSSL_SYM_SSL_get_error))
#define SSL_new (*(__typeof__(SSL_new) *)openssl_sym(OPENSSL_SYM_SSL_new))
#define SSL_read_ex (*(__typeof__(SSL_read_ex) *)openssl_sym(OPENSSL_SYM_SSL_read_ex))
#define SSL_select_next_proto (*(__typeof__(SSL_select_next_proto) *)openssl_sym(OPENSSL_SYM_SSL_select_next_proto))
#define SSL_set_fd (*(__typeof__(SSL_set_fd) *)openssl_sym(OPENSSL_SYM_SSL_set_fd))
#define SSL_shutdown (*(__typeof__(SSL_shutdown) *)openssl_sym(OPENSSL_SYM_SSL_shutdown))
#define SSL_write_ex (*(__typeof__(SSL_write_ex) *)openssl_sym(OPENSSL_SYM_SSL_write_ex))
#define TLS_server_method (*(__typeof__(TLS_server_method) *)openssl_sym(OPENSSL_SYM_TLS_server_method))

/*
 * Two OpenSSL helpers are wanted where OpenSSL may not be loaded (an NTS
 * field parsed by a server without NTS, the API token's check): glibc's
 * explicit_bzero wipes the same way OPENSSL_cleanse does, and nettle's
 * memeql_sec (nettle is in the process already, docs/design.md) compares in
 * constant time; CRYPTO_memcmp's 0 is memeql_sec's 1.
 */
#include <nettle/memops.h>
#include <string.h>
#define OPENSSL_cleanse(ptr, len) explicit_bzero((ptr), (len))
#define CRYPTO_memcmp(a, b, len) (!memeql_sec((a), (b), (len)))
#endif /* OPENSSL_LAZY_DIRECT */

#endif /* NTPD_OPENSSL_LAZY_H */
