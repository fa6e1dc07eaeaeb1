/* md5auth.c — PostgreSQL's "md5" password method.
 *
 * The client sends "md5" + hex(md5(hex(md5(password || user)) || salt)).
 * The inner hash is what PostgreSQL stores in pg_authid ("md5" + 32 hex),
 * so a stored hash is as good as the password for this method; both forms
 * are accepted as `stored`. A SCRAM verifier cannot answer an md5
 * challenge (PostgreSQL refuses too), so it never matches. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "scram.h"

#define MD5_LEN          16
#define MD5_HEX_LEN      32
#define MD5_PREFIX_LEN   3                              /* "md5" */
#define MD5_RESPONSE_LEN (MD5_PREFIX_LEN + MD5_HEX_LEN) /* 35 */

static void md5_hex(const uint8_t digest[MD5_LEN], char out[MD5_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < MD5_LEN; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[MD5_HEX_LEN] = '\0';
}

/* md5 over two concatenated parts, hex-encoded. Returns false only if
 * OpenSSL refuses MD5 (e.g. a FIPS-only configuration). */
static bool md5_hex_of(const void *a, size_t a_len, const void *b, size_t b_len, char out[MD5_HEX_LEN + 1])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t digest[MD5_LEN];
	unsigned int dlen = 0;
	bool ok = false;

	if (!ctx)
		goto fail;
	if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 || EVP_DigestUpdate(ctx, a, a_len) != 1 ||
	    EVP_DigestUpdate(ctx, b, b_len) != 1 || EVP_DigestFinal_ex(ctx, digest, &dlen) != 1 ||
	    dlen != MD5_LEN)
		goto fail;
	md5_hex(digest, out);
	ok = true;
fail:
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(digest, sizeof(digest));
	return ok;
}

/* PostgreSQL's test for a stored md5 hash: "md5" followed by exactly 32
 * lowercase hex digits. Anything else is a plain password. */
static bool md5_is_stored_hash(const char *s)
{
	if (strncmp(s, "md5", MD5_PREFIX_LEN) != 0 || strlen(s) != MD5_RESPONSE_LEN)
		return false;
	return strspn(s + MD5_PREFIX_LEN, "0123456789abcdef") == MD5_HEX_LEN;
}

/* Outer step: "md5" + hex(md5(inner_hex || salt)) into out[36]. */
static bool md5_salted_response(const char inner_hex[MD5_HEX_LEN], const uint8_t salt[4], char out[36])
{
	char outer[MD5_HEX_LEN + 1];

	if (!md5_hex_of(inner_hex, MD5_HEX_LEN, salt, 4, outer))
		return false;
	memcpy(out, "md5", MD5_PREFIX_LEN);
	memcpy(out + MD5_PREFIX_LEN, outer, MD5_HEX_LEN + 1);
	OPENSSL_cleanse(outer, sizeof(outer));
	return true;
}

void md5_password_response(const char *user, const char *password, const uint8_t salt[4], char out[36])
{
	char inner[MD5_HEX_LEN + 1];

	/* On an OpenSSL failure out is left empty: no valid response is
	 * empty, so a server will reject it rather than accept garbage. */
	if (!md5_hex_of(password, strlen(password), user, strlen(user), inner) ||
	    !md5_salted_response(inner, salt, out))
		out[0] = '\0';
	OPENSSL_cleanse(inner, sizeof(inner));
}

bool md5_password_check(const char *user, const char *stored, const uint8_t salt[4], const char *response)
{
	char inner[MD5_HEX_LEN + 1];
	char expected[36];
	bool ok = false;

	/* The response length is public (it is on the wire), so checking it
	 * first leaks nothing; the content comparison is constant-time. */
	if (strnlen(response, MD5_RESPONSE_LEN + 1) != MD5_RESPONSE_LEN)
		return false;
	if (scram_is_verifier(stored))
		return false;
	if (md5_is_stored_hash(stored))
		memcpy(inner, stored + MD5_PREFIX_LEN, MD5_HEX_LEN + 1);
	else if (!md5_hex_of(stored, strlen(stored), user, strlen(user), inner))
		goto fail;
	if (!md5_salted_response(inner, salt, expected))
		goto fail;
	ok = CRYPTO_memcmp(expected, response, MD5_RESPONSE_LEN) == 0;
fail:
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(expected, sizeof(expected));
	return ok;
}
