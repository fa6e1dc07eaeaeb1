/* test_scram.c — SCRAM-SHA-256, md5 and base64 (proxy/scram.h).
 *
 * Expected values come from outside this code: RFC 4648 and RFC 7677, and
 * constants computed with python3's hashlib/hmac (see the comment above
 * each) or produced by libpq 15's PQencryptPasswordConn. Every message is
 * handed over in a malloc'd buffer of its exact length, without a NUL, so
 * ASan catches any read past in_len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scram.h"

#define RFC_CLIENT_NONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_NONCE        RFC_CLIENT_NONCE RFC_SERVER_NONCE
#define RFC_SALT_B64     "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_SERVER_FIRST "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=4096"
#define RFC_CLIENT_FIRST "n,,n=user,r=" RFC_CLIENT_NONCE
#define RFC_CLIENT_FINAL "c=biws,r=" RFC_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* python3: keys for "pencil" with the RFC salt and 4096 iterations. */
#define PENCIL_VERIFIER                                                                                      \
	"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"          \
	"wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
/* python3: the same exchange with PostgreSQL's empty user name ("n=,"). */
#define PG_CLIENT_FINAL "c=biws,r=" RFC_NONCE ",p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k="
#define PG_SERVER_FINAL "v=3HO6Qt1M4MKJrmlKaoOqLAI0/0TV0HZe7J9H3MBtSOg="

#define OUT_CAP 2048

/* ---- helpers ---- */

/* An exact-length heap copy without a NUL: overreads hit ASan. */
static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	assert_non_null(b);
	if (n)
		memcpy(b, p, n);
	return b;
}

static int srv_first(scram_server_t *s, const void *msg, size_t n, char *out)
{
	uint8_t *b = dup_exact(msg, n);
	size_t len = 0;
	int rc = scram_server_first(s, b, n, out, OUT_CAP, &len);

	if (rc == 0)
		assert_int_equal(len, strlen(out));
	free(b);
	return rc;
}

static int srv_final(scram_server_t *s, const void *msg, size_t n, char *out)
{
	uint8_t *b = dup_exact(msg, n);
	size_t len = 0;
	int rc = scram_server_final(s, b, n, out, OUT_CAP, &len);

	if (rc == 0)
		assert_int_equal(len, strlen(out));
	free(b);
	return rc;
}

static int cli_final(scram_client_t *c, const void *msg, size_t n, char *out)
{
	uint8_t *b = dup_exact(msg, n);
	size_t len = 0;
	int rc = scram_client_final(c, b, n, out, OUT_CAP, &len);

	if (rc == 0)
		assert_int_equal(len, strlen(out));
	free(b);
	return rc;
}

static int cli_verify(scram_client_t *c, const void *msg, size_t n)
{
	uint8_t *b = dup_exact(msg, n);
	int rc = scram_client_verify(c, b, n);

	free(b);
	return rc;
}

static void rfc_salt(uint8_t salt[16])
{
	size_t n = 0;

	assert_int_equal(b64_decode(RFC_SALT_B64, strlen(RFC_SALT_B64), salt, 16, &n), 0);
	assert_int_equal(n, 16);
}

static scram_secret_t pencil_secret(int iterations)
{
	scram_secret_t sec;
	uint8_t salt[16];

	rfc_salt(salt);
	assert_int_equal(scram_secret_from_password("pencil", salt, sizeof(salt), iterations, &sec), 0);
	return sec;
}

/* A server that has answered client-first `cf` with a fixed nonce. */
static void server_after_first(scram_server_t *s, const scram_secret_t *sec, const char *cf,
                               const char *snonce)
{
	char out[OUT_CAP];

	scram_server_init(s, sec);
	s->test_server_nonce = snonce;
	assert_int_equal(srv_first(s, cf, strlen(cf), out), 0);
}

/* A client that has written client-first with nonce `cn`. */
static void client_after_first(scram_client_t *c, const char *password, const char *cn)
{
	char out[OUT_CAP];
	size_t len = 0;

	assert_int_equal(scram_client_init(c, password, cn), 0);
	assert_int_equal(scram_client_first(c, out, sizeof(out), &len), 0);
}

static void b64_key(const char *b64, uint8_t key[SCRAM_KEY_LEN])
{
	size_t n = 0;

	assert_int_equal(b64_decode(b64, strlen(b64), key, SCRAM_KEY_LEN, &n), 0);
	assert_int_equal(n, SCRAM_KEY_LEN);
}

/* ---- base64 ---- */

static void test_b64_rfc4648_vectors(void **state)
{
	static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const uint8_t bin[] = {0xfb, 0xff, 0x00};
	char out[16];
	uint8_t dec[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		n = 99;
		assert_int_equal(
		        b64_encode((const uint8_t *)plain[i], strlen(plain[i]), out, sizeof(out), &n), 0);
		assert_string_equal(out, enc[i]);
		assert_int_equal(n, strlen(enc[i]));
		n = 99;
		assert_int_equal(b64_decode(enc[i], strlen(enc[i]), dec, sizeof(dec), &n), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(dec, plain[i], n);
	}
	/* The two non-alphanumeric symbols. */
	assert_int_equal(b64_encode(bin, 3, out, sizeof(out), &n), 0);
	assert_string_equal(out, "+/8A");
	assert_int_equal(b64_decode("+/8A", 4, dec, sizeof(dec), &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(dec, bin, 3);
}

static void test_b64_rejects(void **state)
{
	static const char *bad[] = {
	        "Zg=",      /* not a multiple of 4 */
	        "Zg",       /* missing padding */
	        "Z===",     /* three pads */
	        "====",     /* only padding */
	        "Zg==Zg==", /* padding before the end */
	        "Zm9v\n",   /* whitespace */
	        "Zm 9",     /* whitespace */
	        "Z*==",     /* outside the alphabet */
	        "-_8A",     /* URL-safe alphabet */
	        "Zh==",     /* non-zero pad bits (canonical is Zg==) */
	        "Zm9=",     /* non-zero pad bits (canonical is Zm8=) */
	        "Zg=a",     /* data after padding */
	        "A=A=",     /* pad inside a quantum */
	};
	uint8_t dec[16];
	size_t n = 1234;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(b64_decode(bad[i], strlen(bad[i]), dec, sizeof(dec), &n), SG_EPROTO);
	assert_int_equal(n, 1234); /* untouched on failure */
	/* An embedded NUL is just a bad symbol. */
	assert_int_equal(b64_decode("Zm\0v", 4, dec, sizeof(dec), &n), SG_EPROTO);
}

static void test_b64_overflow(void **state)
{
	char out[8];
	uint8_t dec[4];
	size_t n = 0;

	(void)state;
	/* Encoding needs room for the NUL too. */
	assert_int_equal(b64_encode((const uint8_t *)"foo", 3, out, 4, &n), SG_ERANGE);
	assert_int_equal(b64_encode((const uint8_t *)"foo", 3, out, 5, &n), 0);
	assert_string_equal(out, "Zm9v");
	assert_int_equal(b64_decode("Zm9v", 4, dec, 2, &n), SG_ERANGE);
	assert_int_equal(b64_decode("Zm9vYg==", 8, dec, 3, &n), SG_ERANGE);
	assert_int_equal(b64_decode("Zm9vYg==", 8, dec, 4, &n), 0);
	assert_int_equal(n, 4);
}

/* ---- md5 ---- */

/* python3: "md5" + md5(md5(b"secret" + b"postgres").hexdigest().encode()
 * + bytes([1, 2, 3, 4])).hexdigest(); the stored form also matches libpq's
 * PQencryptPasswordConn(conn, "secret", "postgres", "md5"). */
#define MD5_RESPONSE "md5bb41a296aab6baccb36ff243a562abff"
#define MD5_STORED   "md553f48b7c4b76a86ce72276c5755f217d"

static void test_md5_response(void **state)
{
	const uint8_t salt[4] = {1, 2, 3, 4};
	char out[36];

	(void)state;
	md5_password_response("postgres", "secret", salt, out);
	assert_string_equal(out, MD5_RESPONSE);
}

static void test_md5_check(void **state)
{
	const uint8_t salt[4] = {1, 2, 3, 4};
	const uint8_t salt2[4] = {1, 2, 3, 5};
	char other[36];

	(void)state;
	assert_true(md5_password_check("postgres", "secret", salt, MD5_RESPONSE));
	assert_true(md5_password_check("postgres", MD5_STORED, salt, MD5_RESPONSE));
	/* A stored hash is only valid for its own user (user is salted in). */
	assert_false(md5_password_check("other", "secret", salt, MD5_RESPONSE));
	assert_false(md5_password_check("postgres", "secret", salt2, MD5_RESPONSE));
	md5_password_response("postgres", "wrong", salt, other);
	assert_false(md5_password_check("postgres", "secret", salt, other));
	assert_false(md5_password_check("postgres", MD5_STORED, salt, other));
	/* Malformed responses. */
	assert_false(md5_password_check("postgres", "secret", salt, ""));
	assert_false(md5_password_check("postgres", "secret", salt, "md5bb41a296aab6baccb36ff243a562abf"));
	assert_false(md5_password_check("postgres", "secret", salt, MD5_RESPONSE "0"));
	assert_false(md5_password_check("postgres", "secret", salt, "MD5BB41A296AAB6BACCB36FF243A562ABFF"));
	/* "md5" + 32 chars that are not lowercase hex is a plain password,
	 * so the hash spelled in uppercase is not accepted as a hash. */
	assert_false(
	        md5_password_check("postgres", "md553F48B7C4B76A86CE72276C5755F217D", salt, MD5_RESPONSE));
	/* Only the last character differs. */
	strcpy(other, MD5_RESPONSE);
	other[34] = 'e';
	assert_false(md5_password_check("postgres", "secret", salt, other));
	/* A SCRAM verifier cannot answer an md5 challenge, not even when the
	 * client uses the verifier text as its password. */
	assert_false(md5_password_check("postgres", PENCIL_VERIFIER, salt, MD5_RESPONSE));
	md5_password_response("postgres", PENCIL_VERIFIER, salt, other);
	assert_false(md5_password_check("postgres", PENCIL_VERIFIER, salt, other));
}

/* "md5" + 32 characters that are not lowercase hex is a plain password. */
static void test_md5_check_plain_lookalikes(void **state)
{
	static const char *plain[] = {
	        "md5zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "md553F48B7C4B76A86CE72276C5755F217D",
	        "md553f48b7c4b76a86ce72276c5755f217", "md553f48b7c4b76a86ce72276c5755f217d0"};
	const uint8_t salt[4] = {9, 8, 7, 6};
	char resp[36];

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		md5_password_response("postgres", plain[i], salt, resp);
		assert_true(md5_password_check("postgres", plain[i], salt, resp));
	}
}

/* ---- verifiers ---- */

static void assert_secret_matches(const scram_secret_t *s, int iterations, const char *salt_b64,
                                  const char *stored_b64, const char *server_b64)
{
	uint8_t salt[SCRAM_SALT_MAX];
	uint8_t key[SCRAM_KEY_LEN];
	size_t n = 0;

	assert_int_equal(s->iterations, iterations);
	assert_int_equal(b64_decode(salt_b64, strlen(salt_b64), salt, sizeof(salt), &n), 0);
	assert_int_equal(s->salt_len, n);
	assert_memory_equal(s->salt, salt, n);
	b64_key(stored_b64, key);
	assert_memory_equal(s->stored_key, key, SCRAM_KEY_LEN);
	b64_key(server_b64, key);
	assert_memory_equal(s->server_key, key, SCRAM_KEY_LEN);
}

static void test_secret_from_password_python(void **state)
{
	scram_secret_t s = pencil_secret(4096);
	scram_secret_t s2;
	static const uint8_t salt2[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

	(void)state;
	assert_secret_matches(&s, 4096, RFC_SALT_B64, "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
	                      "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
	/* python3: non-ASCII (already NFKC, so SASLprep is the identity). */
	assert_int_equal(
	        scram_secret_from_password("p\xc3\xa4ssw\xc3\xb6rd", salt2, sizeof(salt2), 10000, &s2), 0);
	assert_secret_matches(&s2, 10000,
	                      "AQIDBAUGBwgJCgsMDQ4PEA==", "VnuXqSzjrGlzckeXD5Ns8ySEuPuiQrcTEfbvNDzFOz8=",
	                      "pzGJLtlXeEQuMTG5ZtHJ3yAs+iGPouWbzDNRM8zC9JQ=");
	assert_int_equal(scram_secret_from_password("pencil", salt2, 0, 4096, &s2), SG_ERANGE);
	assert_int_equal(scram_secret_from_password("pencil", salt2, SCRAM_SALT_MAX + 1, 4096, &s2),
	                 SG_ERANGE);
	assert_int_equal(scram_secret_from_password("pencil", salt2, sizeof(salt2), 0, &s2), SG_ERANGE);
}

static void test_secret_parse_python(void **state)
{
	scram_secret_t parsed;
	scram_secret_t derived = pencil_secret(4096);

	(void)state;
	assert_int_equal(scram_secret_parse(PENCIL_VERIFIER, &parsed), 0);
	assert_memory_equal(&parsed, &derived, sizeof(parsed));
	assert_true(scram_is_verifier(PENCIL_VERIFIER));
}

/* Verifiers generated by libpq 15's PQencryptPasswordConn (random salts):
 * recomputing them from the password proves the formats agree. */
static void test_secret_parse_libpq(void **state)
{
	static const struct {
		const char *password;
		const char *verifier;
	} cases[] = {
	        {"pencil",
	         "SCRAM-SHA-256$4096:lTLmdY5B5KwE2xEXzTFC8Q==$hJwvexp1qmIPMXbfmAozDOE0yQLPfGpnE4eIJr1zJVU=:"
	         "YtdScdm0oL6czcueTey0lKHwtu6kjvf0G/0bX4iDyp0="},
	        {"p\xc3\xa4sswd \xe2\x82\xac!",
	         "SCRAM-SHA-256$4096:3UIpT7qZcQ/Fvqa/qzMUaQ==$fCZHq8gmW++2Fg62gY2H5GEVOKWlCO0LX4p+KNN+MnM=:"
	         "t+dMP20gZLeX++dXeyvDxbwQcMea5Z8RssCT6N2jjOc="},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scram_secret_t parsed, derived;

		assert_int_equal(scram_secret_parse(cases[i].verifier, &parsed), 0);
		assert_int_equal(parsed.iterations, 4096);
		assert_int_equal(parsed.salt_len, 16);
		assert_int_equal(scram_secret_from_password(cases[i].password, parsed.salt, parsed.salt_len,
		                                            parsed.iterations, &derived),
		                 0);
		assert_memory_equal(&parsed, &derived, sizeof(parsed));
	}
}

static void test_secret_round_trip(void **state)
{
	static const uint8_t salt[SCRAM_SALT_MAX] = {0xff, 0x00, 0x7f, 0x80};
	scram_secret_t s, back;
	char salt_b64[128], stored_b64[64], server_b64[64], text[512];

	(void)state;
	assert_int_equal(scram_secret_from_password("correct horse", salt, sizeof(salt), 7, &s), 0);
	assert_int_equal(b64_encode(s.salt, s.salt_len, salt_b64, sizeof(salt_b64), NULL), 0);
	assert_int_equal(b64_encode(s.stored_key, SCRAM_KEY_LEN, stored_b64, sizeof(stored_b64), NULL), 0);
	assert_int_equal(b64_encode(s.server_key, SCRAM_KEY_LEN, server_b64, sizeof(server_b64), NULL), 0);
	snprintf(text, sizeof(text), "SCRAM-SHA-256$%d:%s$%s:%s", s.iterations, salt_b64, stored_b64,
	         server_b64);
	assert_int_equal(scram_secret_parse(text, &back), 0);
	assert_memory_equal(&s, &back, sizeof(s));
}

static void test_secret_parse_rejects(void **state)
{
	static const char *keys =
	        "$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
	static const char *bad[] = {
	        "",
	        "SCRAM-SHA-256$",
	        "SCRAM-SHA-256",
	        "md553f48b7c4b76a86ce72276c5755f217d",
	        "pencil",
	        "SCRAM-SHA-1$4096:W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "scram-sha-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "SCRAM-SHA-256$-1:W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "SCRAM-SHA-256$+4096:W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "SCRAM-SHA-256$4096x:W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "SCRAM-SHA-256$:W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "SCRAM-SHA-256$99999999999:W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "SCRAM-SHA-256$4096W22ZaJ0SNY7soEsUEjb6gQ==%s",
	        "SCRAM-SHA-256$4096:%s",
	        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ=%s",
	        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==:x%s",
	        /* 66 bytes of salt: over SCRAM_SALT_MAX */
	        "SCRAM-SHA-256$4096:"
	        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%s",
	        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
	        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:",
	        /* 31-byte and 33-byte keys */
	        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4g==:"
	        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
	        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dUAAA==",
	        /* trailing garbage, extra field */
	        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==%s ",
	        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==%s$x",
	};
	char text[512];
	scram_secret_t s;

	(void)state;
	/* Sanity: the template with valid parts parses. */
	snprintf(text, sizeof(text), "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==%s", keys);
	assert_int_equal(scram_secret_parse(text, &s), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), bad[i], keys);
		assert_int_equal(scram_secret_parse(text, &s), SG_EPROTO);
		assert_false(scram_is_verifier(text));
	}
	assert_false(scram_is_verifier(NULL));
}

/* ---- RFC 7677 exchange ---- */

/* The RFC's exact bytes (with "n=user") against our server. */
static void test_rfc7677_server_exact(void **state)
{
	scram_secret_t sec = pencil_secret(4096);
	scram_server_t s;
	char out[OUT_CAP];

	(void)state;
	scram_server_init(&s, &sec);
	s.test_server_nonce = RFC_SERVER_NONCE;
	assert_int_equal(srv_first(&s, RFC_CLIENT_FIRST, strlen(RFC_CLIENT_FIRST), out), 0);
	assert_string_equal(out, RFC_SERVER_FIRST);
	assert_int_equal(srv_final(&s, RFC_CLIENT_FINAL, strlen(RFC_CLIENT_FINAL), out), 0);
	assert_string_equal(out, RFC_SERVER_FINAL);
	/* The exchange is over. */
	assert_int_equal(srv_final(&s, RFC_CLIENT_FINAL, strlen(RFC_CLIENT_FINAL), out), SG_EPROTO);
	scram_server_clear(&s);
}

/* Our client against our server with the RFC nonces; PostgreSQL's empty
 * user name changes AuthMessage, so proof/signature come from python3. */
static void test_rfc7677_client_server(void **state)
{
	scram_secret_t sec = pencil_secret(4096);
	scram_server_t s;
	scram_client_t c;
	char cf[OUT_CAP], sf[OUT_CAP], cfin[OUT_CAP], sfin[OUT_CAP];
	size_t len = 0;

	(void)state;
	assert_int_equal(scram_client_init(&c, "pencil", RFC_CLIENT_NONCE), 0);
	assert_int_equal(scram_client_first(&c, cf, sizeof(cf), &len), 0);
	assert_string_equal(cf, "n,,n=,r=" RFC_CLIENT_NONCE);
	assert_int_equal(len, strlen(cf));
	scram_server_init(&s, &sec);
	s.test_server_nonce = RFC_SERVER_NONCE;
	assert_int_equal(srv_first(&s, cf, len, sf), 0);
	assert_string_equal(sf, RFC_SERVER_FIRST);
	assert_int_equal(cli_final(&c, sf, strlen(sf), cfin), 0);
	assert_string_equal(cfin, PG_CLIENT_FINAL);
	assert_int_equal(srv_final(&s, cfin, strlen(cfin), sfin), 0);
	assert_string_equal(sfin, PG_SERVER_FINAL);
	assert_int_equal(cli_verify(&c, sfin, strlen(sfin)), 0);
	/* Once decided, neither side keeps key material around. */
	{
		static const uint8_t zero[SCRAM_KEY_LEN];

		assert_memory_equal(s.secret.stored_key, zero, SCRAM_KEY_LEN);
		assert_memory_equal(s.secret.server_key, zero, SCRAM_KEY_LEN);
		assert_memory_equal(c.salted_password, zero, SCRAM_KEY_LEN);
		assert_int_equal(c.password[0], 0);
	}
	scram_client_clear(&c);
	scram_server_clear(&s);
}

static void test_random_nonces(void **state)
{
	scram_secret_t sec = pencil_secret(64);
	scram_server_t s;
	scram_client_t c, c2;
	char cf[OUT_CAP], sf[OUT_CAP], cfin[OUT_CAP], sfin[OUT_CAP];
	size_t len = 0;

	(void)state;
	assert_int_equal(scram_client_init(&c, "pencil", NULL), 0);
	assert_int_equal(scram_client_init(&c2, "pencil", NULL), 0);
	assert_int_equal(strlen(c.client_nonce), 24);
	assert_string_not_equal(c.client_nonce, c2.client_nonce);
	assert_int_equal(scram_client_first(&c, cf, sizeof(cf), &len), 0);
	scram_server_init(&s, &sec);
	assert_int_equal(srv_first(&s, cf, len, sf), 0);
	assert_int_equal(strlen(s.nonce), 48);
	assert_memory_equal(s.nonce, c.client_nonce, 24);
	assert_int_equal(cli_final(&c, sf, strlen(sf), cfin), 0);
	assert_int_equal(srv_final(&s, cfin, strlen(cfin), sfin), 0);
	assert_int_equal(cli_verify(&c, sfin, strlen(sfin)), 0);
	scram_client_clear(&c);
	scram_client_clear(&c2);
	scram_server_clear(&s);
}

static void test_wrong_password(void **state)
{
	scram_secret_t sec = pencil_secret(4096);
	scram_server_t s;
	scram_client_t c;
	char sf[OUT_CAP], cfin[OUT_CAP], out[OUT_CAP];

	(void)state;
	server_after_first(&s, &sec, "n,,n=,r=" RFC_CLIENT_NONCE, RFC_SERVER_NONCE);
	client_after_first(&c, "pencil2", RFC_CLIENT_NONCE);
	assert_int_equal(cli_final(&c, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), cfin), 0);
	assert_int_equal(srv_final(&s, cfin, strlen(cfin), out), SG_EAUTH);
	assert_int_equal(srv_final(&s, cfin, strlen(cfin), out), SG_EPROTO);
	/* The right proof after a failure is still refused. */
	assert_int_equal(srv_final(&s, PG_CLIENT_FINAL, strlen(PG_CLIENT_FINAL), out), SG_EPROTO);
	/* A proof one bit off. */
	server_after_first(&s, &sec, "n,,n=,r=" RFC_CLIENT_NONCE, RFC_SERVER_NONCE);
	strcpy(sf, PG_CLIENT_FINAL);
	sf[strlen("c=biws,r=" RFC_NONCE ",p=")] = 'p'; /* was 'q' */
	assert_int_equal(srv_final(&s, sf, strlen(sf), out), SG_EAUTH);
}

static void test_client_checks_server(void **state)
{
	static const char *finals[] = {
	        "e=invalid-proof",
	        "e=",
	        "v=3HO6Qt1M4MKJrmlKaoOqLAI0/0TV0HZe7J9H3MBtSOh=", /* wrong pad bits */
	        "v=3HO6Qt1M4MKJrmlKaoOqLAI0/0TV0HZe7J9H3MBtSOw=", /* different signature */
	        "v=" RFC_SERVER_FINAL,                            /* garbage */
	        "v=3HO6Qt1M4MKJrmlKaoOqLAI0/0TV0HZe7J9H3MBtSOg=,x=1",
	        "v=",
	        "x=3HO6Qt1M4MKJrmlKaoOqLAI0/0TV0HZe7J9H3MBtSOg=",
	};
	static const int want[] = {SG_EAUTH,  SG_EAUTH,  SG_EPROTO, SG_EAUTH,
	                           SG_EPROTO, SG_EPROTO, SG_EPROTO, SG_EPROTO};
	scram_client_t c;
	char cfin[OUT_CAP];

	(void)state;
	for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		client_after_first(&c, "pencil", RFC_CLIENT_NONCE);
		assert_int_equal(cli_final(&c, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), cfin), 0);
		assert_int_equal(cli_verify(&c, finals[i], strlen(finals[i])), want[i]);
		/* Failed for good. */
		assert_int_equal(cli_verify(&c, PG_SERVER_FINAL, strlen(PG_SERVER_FINAL)), SG_EPROTO);
	}
}

static void test_tampered_nonce(void **state)
{
	static const char *server_firsts[] = {
	        "r=XOprNGfwEbeRWgbNEkqO%hvY,s=" RFC_SALT_B64 ",i=4096",  /* not our prefix */
	        "r=" RFC_CLIENT_NONCE ",s=" RFC_SALT_B64 ",i=4096",      /* nothing added */
	        "r=" RFC_CLIENT_NONCE "a\x7f,s=" RFC_SALT_B64 ",i=4096", /* not printable */
	        "r=rOprNGfwEbeRWgbNEkq,s=" RFC_SALT_B64 ",i=4096",       /* shorter */
	};
	scram_secret_t sec = pencil_secret(4096);
	scram_server_t s;
	scram_client_t c;
	char out[OUT_CAP], msg[OUT_CAP];

	(void)state;
	/* Server: one changed character in r=, a missing one, an extra one. */
	server_after_first(&s, &sec, "n,,n=,r=" RFC_CLIENT_NONCE, RFC_SERVER_NONCE);
	strcpy(msg, PG_CLIENT_FINAL);
	msg[12] = 'X';
	assert_int_equal(srv_final(&s, msg, strlen(msg), out), SG_EPROTO);
	server_after_first(&s, &sec, "n,,n=,r=" RFC_CLIENT_NONCE, RFC_SERVER_NONCE);
	snprintf(msg, sizeof(msg),
	         "c=biws,r=%.49s,p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=", RFC_NONCE);
	assert_int_equal(srv_final(&s, msg, strlen(msg), out), SG_EPROTO);
	server_after_first(&s, &sec, "n,,n=,r=" RFC_CLIENT_NONCE, RFC_SERVER_NONCE);
	snprintf(msg, sizeof(msg), "c=biws,r=%sA,p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=", RFC_NONCE);
	assert_int_equal(srv_final(&s, msg, strlen(msg), out), SG_EPROTO);
	/* Client. */
	for (size_t i = 0; i < sizeof(server_firsts) / sizeof(server_firsts[0]); i++) {
		client_after_first(&c, "pencil", RFC_CLIENT_NONCE);
		assert_int_equal(cli_final(&c, server_firsts[i], strlen(server_firsts[i]), out), SG_EPROTO);
	}
}

static void test_server_gs2_and_first(void **state)
{
	static const struct {
		const char *msg;
		int rc;
	} cases[] = {
	        {"n,,n=,r=abc", 0},
	        {"y,,n=,r=abc", 0},
	        {"n,,n=someone,r=abc", 0},
	        {"n,,n=,r=abc,x=1,y=2", 0},
	        {"n,,n=,r=abc,x=1,yz=2", SG_EPROTO},
	        {"p=tls-server-end-point,,n=,r=abc", SG_ENOTSUP},
	        {"p", SG_EPROTO},
	        {"n,a=user,n=,r=abc", SG_ENOTSUP},
	        {"n,,m=ext,n=,r=abc", SG_EPROTO},
	        {"x,,n=,r=abc", SG_EPROTO},
	        {"n,n=,r=abc", SG_EPROTO},
	        {"n,,r=abc", SG_EPROTO},
	        {"n,,n=,r=", SG_EPROTO},
	        {"n,,n=,r=a b", SG_EPROTO},
	        {"n,,n=,r=ab\x01", SG_EPROTO},
	        {"n,,n=,r=ab\xc3\xa4", SG_EPROTO},
	        {"n,,n=,r=abc,", SG_EPROTO},
	        {"n,,n=,r=abc,1=x", SG_EPROTO},
	        {"n,,n=,r=abc,x", SG_EPROTO},
	        {"n,,n=,x=abc", SG_EPROTO},
	        {"n,,n=,,r=abc", SG_EPROTO},
	};
	scram_secret_t sec = pencil_secret(16);
	scram_server_t s;
	char out[OUT_CAP];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scram_server_init(&s, &sec);
		s.test_server_nonce = "SRV";
		assert_int_equal(srv_first(&s, cases[i].msg, strlen(cases[i].msg), out), cases[i].rc);
		if (cases[i].rc == 0)
			assert_string_equal(out, "r=abcSRV,s=" RFC_SALT_B64 ",i=16");
	}
	/* An embedded NUL, an empty message, an over-long one. */
	scram_server_init(&s, &sec);
	assert_int_equal(srv_first(&s, "n,,n=a\0c,r=abc", 14, out), SG_EPROTO);
	scram_server_init(&s, &sec);
	assert_int_equal(srv_first(&s, "", 0, out), SG_EPROTO);
	{
		char big[SCRAM_MSG_MAX + 1];

		memset(big, 'a', sizeof(big));
		memcpy(big, "n,,n=,r=", 8);
		scram_server_init(&s, &sec);
		assert_int_equal(srv_first(&s, big, SCRAM_MSG_MAX, out), SG_EPROTO);
		/* Length cap: the longest acceptable message is SCRAM_MSG_MAX - 1
		 * bytes (here mostly user name, which is ignored). */
		memset(big, 'a', sizeof(big));
		memcpy(big, "n,,n=", 5);
		memcpy(big + SCRAM_MSG_MAX - 7, ",r=abc", 6);
		scram_server_init(&s, &sec);
		assert_int_equal(srv_first(&s, big, SCRAM_MSG_MAX - 1, out), 0);
		memset(big, 'a', sizeof(big));
		memcpy(big, "n,,n=", 5);
		memcpy(big + SCRAM_MSG_MAX - 6, ",r=abc", 6);
		scram_server_init(&s, &sec);
		assert_int_equal(srv_first(&s, big, SCRAM_MSG_MAX, out), SG_EPROTO);
		memset(big, 'a', sizeof(big));
		memcpy(big, "n,,n=,r=", 8);
		/* A client nonce that leaves no room for ours in s->nonce. */
		scram_server_init(&s, &sec);
		assert_int_equal(srv_first(&s, big, 8 + SCRAM_NONCE_MAX - 24, out), SG_EPROTO);
		scram_server_init(&s, &sec);
		assert_int_equal(srv_first(&s, big, 8 + SCRAM_NONCE_MAX - 25, out), 0);
	}
	/* Output that does not fit. */
	scram_server_init(&s, &sec);
	{
		size_t len = 0;
		const char *cf = "n,,n=,r=abc";

		s.test_server_nonce = "SRV";
		assert_int_equal(scram_server_first(&s, (const uint8_t *)cf, strlen(cf), out, 10, &len),
		                 SG_ERANGE);
	}
}

/* "y,," must be echoed as c=eSws; the rest as for "n,,". Proof and
 * signature from python3 with AuthMessage
 * "n=,r=abcdefgh,r=abcdefghSERVERNONCE,s=...,i=4096,c=eSws,r=abcdefghSERVERNONCE". */
static void test_server_y_flag_and_extensions(void **state)
{
	scram_secret_t sec = pencil_secret(4096);
	scram_server_t s;
	char out[OUT_CAP];
	const char *y_final = "c=eSws,r=abcdefghSERVERNONCE,p=Lwgo++/s4g/geMmWzmMEoHdlKDrkgaIhYoz8yuzq2GQ=";
	const char *n_final = "c=biws,r=abcdefghSERVERNONCE,p=Lwgo++/s4g/geMmWzmMEoHdlKDrkgaIhYoz8yuzq2GQ=";
	const char *ext_final =
	        "c=biws,r=abcdefghSERVERNONCE,z=ext,p=e6hFHAcoTDesKpCKWRG8OPFdwmMEnH7enKpcz5RJtG0=";

	(void)state;
	server_after_first(&s, &sec, "y,,n=,r=abcdefgh", "SERVERNONCE");
	assert_int_equal(srv_final(&s, y_final, strlen(y_final), out), 0);
	assert_string_equal(out, "v=8+ziqyXIqQy9iuMD50Xa4hofP6WOgoBI9Q6+9sJMA6o=");
	server_after_first(&s, &sec, "y,,n=,r=abcdefgh", "SERVERNONCE");
	assert_int_equal(srv_final(&s, n_final, strlen(n_final), out), SG_EPROTO);
	server_after_first(&s, &sec, "n,,n=,r=abcdefgh", "SERVERNONCE");
	assert_int_equal(srv_final(&s, y_final, strlen(y_final), out), SG_EPROTO);
	/* Extensions in both client messages are part of AuthMessage. */
	server_after_first(&s, &sec, "n,,n=,r=abcdefgh,x=1", "SERVERNONCE");
	assert_int_equal(srv_final(&s, ext_final, strlen(ext_final), out), 0);
	assert_string_equal(out, "v=VwkQj25Ix3sL84oyOjGdtVQ8M9glYdoiT6UqWS2CqAw=");
}

static void test_server_final_malformed(void **state)
{
	static const char *bad[] = {
	        "",
	        "c=biws",
	        "c=biws,r=" RFC_NONCE,
	        "c=biws,r=" RFC_NONCE ",",
	        "c=biws,r=" RFC_NONCE ",p=",
	        "c=biws,r=" RFC_NONCE ",p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=,x=1",
	        "c=biws,r=" RFC_NONCE ",p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k",
	        "c=biws,r=" RFC_NONCE ",p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9kAAAA",
	        "c=biws,p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=",
	        "r=" RFC_NONCE ",c=biws,p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=",
	        "c=biwsx,r=" RFC_NONCE ",p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=",
	        "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCws,r=" RFC_NONCE
	        ",p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=",
	        "c=biws,r=" RFC_NONCE ",,p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=",
	};
	scram_secret_t sec = pencil_secret(4096);
	scram_server_t s;
	char out[OUT_CAP];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		server_after_first(&s, &sec, "n,,n=,r=" RFC_CLIENT_NONCE, RFC_SERVER_NONCE);
		assert_int_equal(srv_final(&s, bad[i], strlen(bad[i]), out), SG_EPROTO);
	}
	/* Sanity: the untampered message passes. */
	server_after_first(&s, &sec, "n,,n=,r=" RFC_CLIENT_NONCE, RFC_SERVER_NONCE);
	assert_int_equal(srv_final(&s, PG_CLIENT_FINAL, strlen(PG_CLIENT_FINAL), out), 0);
}

static void test_client_server_first_malformed(void **state)
{
	static const char *bad[] = {
	        "",
	        "r=" RFC_NONCE,
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64,
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=",
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=0",
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=-1",
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=10000001",
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=99999999999999999999",
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=4096x",
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=4096,x=1",
	        "r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=4096,",
	        "r=" RFC_NONCE ",s=,i=4096",
	        "r=" RFC_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096",
	        "r=" RFC_NONCE ",i=4096,s=" RFC_SALT_B64,
	        "m=x,r=" RFC_NONCE ",s=" RFC_SALT_B64 ",i=4096",
	        "e=other-error",
	};
	scram_client_t c;
	char out[OUT_CAP];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		client_after_first(&c, "pencil", RFC_CLIENT_NONCE);
		assert_int_equal(cli_final(&c, bad[i], strlen(bad[i]), out), SG_EPROTO);
	}
	/* Output that does not fit. */
	client_after_first(&c, "pencil", RFC_CLIENT_NONCE);
	{
		size_t len = 0;

		assert_int_equal(scram_client_final(&c, (const uint8_t *)RFC_SERVER_FIRST,
		                                    strlen(RFC_SERVER_FIRST), out, strlen(PG_CLIENT_FINAL),
		                                    &len),
		                 SG_ERANGE);
	}
}

static void test_client_init_limits(void **state)
{
	scram_client_t c;
	char pw[300];
	char out[8];
	size_t len = 0;

	(void)state;
	memset(pw, 'x', sizeof(pw));
	pw[255] = '\0';
	assert_int_equal(scram_client_init(&c, pw, "abc"), 0);
	pw[255] = 'x';
	pw[256] = '\0';
	assert_int_equal(scram_client_init(&c, pw, "abc"), SG_ERANGE);
	assert_int_equal(scram_client_init(&c, "pencil", "a,b"), SG_EPROTO);
	assert_int_equal(scram_client_init(&c, "pencil", ""), SG_EPROTO);
	assert_int_equal(scram_client_init(&c, "pencil", "a b"), SG_EPROTO);
	/* A failed init leaves a client that refuses to run. */
	assert_int_equal(scram_client_first(&c, out, sizeof(out), &len), SG_EPROTO);
	/* client-first "n,,n=,r=abc" is 11 bytes + NUL. */
	assert_int_equal(scram_client_init(&c, "pencil", "abc"), 0);
	assert_int_equal(scram_client_first(&c, out, sizeof(out), &len), SG_ERANGE);
}

static void test_out_of_order(void **state)
{
	scram_secret_t sec = pencil_secret(16);
	scram_server_t s;
	scram_client_t c;
	char out[OUT_CAP];
	size_t len = 0;
	const char *cf = "n,,n=,r=abc";

	(void)state;
	scram_server_init(&s, &sec);
	assert_int_equal(srv_final(&s, PG_CLIENT_FINAL, strlen(PG_CLIENT_FINAL), out), SG_EPROTO);
	assert_int_equal(srv_first(&s, cf, strlen(cf), out), SG_EPROTO); /* failed for good */
	scram_server_init(&s, &sec);
	assert_int_equal(srv_first(&s, cf, strlen(cf), out), 0);
	assert_int_equal(srv_first(&s, cf, strlen(cf), out), SG_EPROTO);
	/* A cleared (zeroed) server refuses everything. */
	scram_server_init(&s, &sec);
	scram_server_clear(&s);
	assert_int_equal(srv_first(&s, cf, strlen(cf), out), SG_EPROTO);

	assert_int_equal(scram_client_init(&c, "pencil", "abc"), 0);
	assert_int_equal(cli_final(&c, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), out), SG_EPROTO);
	assert_int_equal(scram_client_init(&c, "pencil", "abc"), 0);
	assert_int_equal(cli_verify(&c, PG_SERVER_FINAL, strlen(PG_SERVER_FINAL)), SG_EPROTO);
	assert_int_equal(scram_client_init(&c, "pencil", "abc"), 0);
	assert_int_equal(scram_client_first(&c, out, sizeof(out), &len), 0);
	assert_int_equal(scram_client_first(&c, out, sizeof(out), &len), SG_EPROTO);
	client_after_first(&c, "pencil", "abc");
	assert_int_equal(cli_verify(&c, PG_SERVER_FINAL, strlen(PG_SERVER_FINAL)), SG_EPROTO);
}

/* ---- truncation and garbage ---- */

static void test_server_every_prefix(void **state)
{
	scram_secret_t sec = pencil_secret(4096);
	scram_server_t s, after_first;
	char out[OUT_CAP];
	const char *cf = "n,,n=,r=" RFC_CLIENT_NONCE;
	const size_t nonce_at = strlen("n,,n=,r=");

	(void)state;
	/* Any prefix that cuts into the nonce is itself a valid, shorter
	 * client-first; every shorter one is an error. */
	for (size_t n = 0; n <= strlen(cf); n++) {
		scram_server_init(&s, &sec);
		s.test_server_nonce = RFC_SERVER_NONCE;
		assert_int_equal(srv_first(&s, cf, n, out), n > nonce_at ? 0 : SG_EPROTO);
	}
	/* No strict prefix of client-final is acceptable. */
	server_after_first(&after_first, &sec, cf, RFC_SERVER_NONCE);
	for (size_t n = 0; n < strlen(PG_CLIENT_FINAL); n++) {
		s = after_first;
		assert_int_not_equal(srv_final(&s, PG_CLIENT_FINAL, n, out), 0);
	}
	s = after_first;
	assert_int_equal(srv_final(&s, PG_CLIENT_FINAL, strlen(PG_CLIENT_FINAL), out), 0);
}

static void test_client_every_prefix(void **state)
{
	scram_client_t c, after_first, after_final;
	char out[OUT_CAP];
	const size_t iter_at = strlen(RFC_SERVER_FIRST) - strlen("4096");

	(void)state;
	/* Prefixes ending inside "4096" are valid smaller counts. */
	client_after_first(&after_first, "pencil", RFC_CLIENT_NONCE);
	for (size_t n = 0; n <= strlen(RFC_SERVER_FIRST); n++) {
		c = after_first;
		assert_int_equal(cli_final(&c, RFC_SERVER_FIRST, n, out), n > iter_at ? 0 : SG_EPROTO);
	}
	after_final = after_first;
	assert_int_equal(cli_final(&after_final, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), out), 0);
	for (size_t n = 0; n < strlen(PG_SERVER_FINAL); n++) {
		c = after_final;
		assert_int_not_equal(cli_verify(&c, PG_SERVER_FINAL, n), 0);
	}
	c = after_final;
	assert_int_equal(cli_verify(&c, PG_SERVER_FINAL, strlen(PG_SERVER_FINAL)), 0);
}

static uint32_t rng_state = 0x12345678u;

static uint32_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Random messages biased towards SCRAM's own syntax. */
static size_t rng_message(char *buf, size_t cap)
{
	static const char alphabet[] = "nyparcsiv,,,===biwsAZ09+/";
	size_t n = rng_next() % cap;

	for (size_t i = 0; i < n; i++) {
		uint32_t r = rng_next();

		buf[i] = r % 4 == 0 ? (char)(r >> 8) : alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
	}
	return n;
}

static bool rc_is_error_code(int rc)
{
	return rc == SG_EPROTO || rc == SG_ENOTSUP || rc == SG_EAUTH || rc == SG_ERANGE;
}

static void test_garbage(void **state)
{
	scram_secret_t sec = pencil_secret(16);
	scram_server_t s, srv_ready;
	scram_client_t c, cli_ready, cli_final_ready;
	char out[OUT_CAP], buf[300];
	const char *cf = "n,,n=,r=abc";
	const char *sf = "r=abcSRV,s=" RFC_SALT_B64 ",i=16";

	(void)state;
	server_after_first(&srv_ready, &sec, cf, "SRV");
	client_after_first(&cli_ready, "pencil", "abc");
	cli_final_ready = cli_ready;
	assert_int_equal(cli_final(&cli_final_ready, sf, strlen(sf), out), 0);
	for (int i = 0; i < 20000; i++) {
		size_t n = rng_message(buf, sizeof(buf));
		int rc;

		scram_server_init(&s, &sec);
		s.test_server_nonce = "SRV";
		rc = srv_first(&s, buf, n, out);
		assert_true(rc == 0 || rc_is_error_code(rc));
		s = srv_ready;
		assert_true(rc_is_error_code(srv_final(&s, buf, n, out)));
		c = cli_ready;
		rc = cli_final(&c, buf, n, out);
		assert_true(rc == 0 || rc_is_error_code(rc));
		c = cli_final_ready;
		assert_true(rc_is_error_code(cli_verify(&c, buf, n)));
	}
}

/* Every single-byte change of a valid client-final or server-final must
 * be refused. */
static void test_mutations(void **state)
{
	scram_secret_t sec = pencil_secret(4096);
	scram_server_t s, srv_ready;
	scram_client_t c, cli_ready;
	char out[OUT_CAP], msg[OUT_CAP];
	const char *cf = "n,,n=,r=" RFC_CLIENT_NONCE;

	(void)state;
	server_after_first(&srv_ready, &sec, cf, RFC_SERVER_NONCE);
	client_after_first(&cli_ready, "pencil", RFC_CLIENT_NONCE);
	assert_int_equal(cli_final(&cli_ready, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), out), 0);
	for (size_t pos = 0; pos < strlen(PG_CLIENT_FINAL); pos++) {
		for (int delta = 1; delta < 256; delta += 7) {
			strcpy(msg, PG_CLIENT_FINAL);
			msg[pos] = (char)((unsigned char)msg[pos] + delta);
			s = srv_ready;
			assert_true(rc_is_error_code(srv_final(&s, msg, strlen(PG_CLIENT_FINAL), out)));
		}
	}
	for (size_t pos = 0; pos < strlen(PG_SERVER_FINAL); pos++) {
		for (int delta = 1; delta < 256; delta += 7) {
			strcpy(msg, PG_SERVER_FINAL);
			msg[pos] = (char)((unsigned char)msg[pos] + delta);
			c = cli_ready;
			assert_true(rc_is_error_code(cli_verify(&c, msg, strlen(PG_SERVER_FINAL))));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_b64_rfc4648_vectors),
	        cmocka_unit_test(test_b64_rejects),
	        cmocka_unit_test(test_b64_overflow),
	        cmocka_unit_test(test_md5_response),
	        cmocka_unit_test(test_md5_check),
	        cmocka_unit_test(test_md5_check_plain_lookalikes),
	        cmocka_unit_test(test_secret_from_password_python),
	        cmocka_unit_test(test_secret_parse_python),
	        cmocka_unit_test(test_secret_parse_libpq),
	        cmocka_unit_test(test_secret_round_trip),
	        cmocka_unit_test(test_secret_parse_rejects),
	        cmocka_unit_test(test_rfc7677_server_exact),
	        cmocka_unit_test(test_rfc7677_client_server),
	        cmocka_unit_test(test_random_nonces),
	        cmocka_unit_test(test_wrong_password),
	        cmocka_unit_test(test_client_checks_server),
	        cmocka_unit_test(test_tampered_nonce),
	        cmocka_unit_test(test_server_gs2_and_first),
	        cmocka_unit_test(test_server_y_flag_and_extensions),
	        cmocka_unit_test(test_server_final_malformed),
	        cmocka_unit_test(test_client_server_first_malformed),
	        cmocka_unit_test(test_client_init_limits),
	        cmocka_unit_test(test_out_of_order),
	        cmocka_unit_test(test_server_every_prefix),
	        cmocka_unit_test(test_client_every_prefix),
	        cmocka_unit_test(test_garbage),
	        cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
