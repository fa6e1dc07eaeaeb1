/* scram.c — SCRAM-SHA-256 (RFC 5802, RFC 7677) the way PostgreSQL speaks it.
 *
 * PostgreSQL differences from the RFC that we match:
 *  - the user name in "n=" is ignored (PostgreSQL takes it from the
 *    startup packet), and our client sends it empty;
 *  - no channel binding: "n,," from our client; from clients we accept
 *    "n,," and "y,," (we never advertise SCRAM-SHA-256-PLUS, so "y" is not
 *    a downgrade), refuse "p=" with SG_ENOTSUP;
 *  - an authzid ("a=") is refused with SG_ENOTSUP, a mandatory extension
 *    ("m=") is a protocol error;
 *  - the verifier text format is PostgreSQL's pg_authid one.
 *
 * All input messages arrive as byte strings that are NOT NUL-terminated;
 * every reader works on a (pointer, remaining length) cursor. A message
 * longer than SCRAM_MSG_MAX - 1 bytes or containing a NUL is malformed.
 *
 * Any error ends an exchange: the state machine moves to *_FAILED, later
 * calls return SG_EPROTO, and key material in the struct is wiped. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "scram.h"

#define SCRAM_RAW_NONCE_LEN         18 /* PostgreSQL's size; 24 chars in base64 */
#define SCRAM_B64_NONCE_LEN         24
#define SCRAM_CLIENT_MAX_ITERATIONS 10000000
#define SCRAM_VERIFIER_PREFIX       "SCRAM-SHA-256$"
/* base64 of a key (44 chars) plus NUL, rounded up. */
#define SCRAM_KEY_B64_CAP  48
#define SCRAM_SALT_B64_CAP ((SCRAM_SALT_MAX + 2) / 3 * 4 + 1)

enum scram_server_state {
	SCRAM_SERVER_INIT = 1,     /* waiting for client-first */
	SCRAM_SERVER_WAIT_FINAL_N, /* sent server-first; client's gs2 flag was 'n' */
	SCRAM_SERVER_WAIT_FINAL_Y, /* sent server-first; client's gs2 flag was 'y' */
	SCRAM_SERVER_DONE,         /* proof verified, server-final written */
	SCRAM_SERVER_FAILED,       /* any error; the exchange is over */
};

enum scram_client_state {
	SCRAM_CLIENT_INIT = 1,   /* nonce chosen, client-first not yet written */
	SCRAM_CLIENT_SENT_FIRST, /* waiting for server-first */
	SCRAM_CLIENT_SENT_FINAL, /* waiting for server-final */
	SCRAM_CLIENT_DONE,       /* server signature verified */
	SCRAM_CLIENT_FAILED,     /* any error; the exchange is over */
};

/* ---- bounded message cursor ---- */

typedef struct scram_cursor {
	const char *p; /* borrowed: points into the caller's message */
	size_t n;      /* bytes left */
} scram_cursor_t;

/* Reads "<name>=<value>" at the cursor. want == 0 accepts any ASCII
 * letter as the name. The value runs to the next ',' or the end and the
 * cursor is left on that ',' (or at the end). */
static int scram_attr_take(scram_cursor_t *c, char want, char *name, const char **val, size_t *len)
{
	const char *comma;
	char ch;

	if (c->n < 2 || c->p[1] != '=')
		return SG_EPROTO;
	ch = c->p[0];
	if (want ? ch != want : !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
		return SG_EPROTO;
	if (name)
		*name = ch;
	*val = c->p + 2;
	comma = memchr(*val, ',', c->n - 2);
	*len = comma ? (size_t)(comma - *val) : c->n - 2;
	c->p += 2 + *len;
	c->n -= 2 + *len;
	return 0;
}

/* Consumes one ',' if the cursor is on one. */
static bool scram_cursor_comma(scram_cursor_t *c)
{
	if (c->n == 0 || c->p[0] != ',')
		return false;
	c->p++;
	c->n--;
	return true;
}

/* RFC 5802 "printable": 0x21-0x7E except ','. Nonces must be non-empty. */
static bool scram_nonce_valid(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x21 || ch > 0x7e || ch == ',')
			return false;
	}
	return true;
}

/* Common gate for every received message: bounded, and no NUL so that
 * copies into our string buffers stay faithful. */
static int scram_msg_check(const uint8_t *in, size_t in_len)
{
	if (!in || in_len == 0 || in_len >= SCRAM_MSG_MAX)
		return SG_EPROTO;
	if (memchr(in, '\0', in_len))
		return SG_EPROTO;
	return 0;
}

/* Copies a finished message (and a NUL) into the caller's buffer. */
static int scram_out_put(const char *msg, size_t len, char *out, size_t out_cap, size_t *out_len)
{
	if (!out || len >= out_cap)
		return SG_ERANGE;
	memcpy(out, msg, len);
	out[len] = '\0';
	if (out_len)
		*out_len = len;
	return 0;
}

/* ---- primitives ---- */

static int scram_sha256(const void *in, size_t n, uint8_t out[SCRAM_KEY_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(in, n, out, &len, EVP_sha256(), NULL) != 1 || len != SCRAM_KEY_LEN)
		return SG_EIO;
	return 0;
}

static int scram_hmac(const uint8_t key[SCRAM_KEY_LEN], const void *in, size_t n, uint8_t out[SCRAM_KEY_LEN])
{
	unsigned int len = 0;

	if (!HMAC(EVP_sha256(), key, SCRAM_KEY_LEN, in, n, out, &len) || len != SCRAM_KEY_LEN)
		return SG_EIO;
	return 0;
}

/* Hi(password, salt, i) is PBKDF2-HMAC-SHA-256 with a 32-byte output. */
static int scram_salted_password(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
                                 uint8_t out[SCRAM_KEY_LEN])
{
	size_t plen = strlen(password);

	if (plen > INT_MAX || salt_len > INT_MAX || iterations < 1)
		return SG_ERANGE;
	if (PKCS5_PBKDF2_HMAC(password, (int)plen, salt, (int)salt_len, iterations, EVP_sha256(),
	                      SCRAM_KEY_LEN, out) != 1)
		return SG_EIO;
	return 0;
}

static int scram_client_key(const uint8_t salted[SCRAM_KEY_LEN], uint8_t out[SCRAM_KEY_LEN])
{
	return scram_hmac(salted, "Client Key", strlen("Client Key"), out);
}

static int scram_server_key(const uint8_t salted[SCRAM_KEY_LEN], uint8_t out[SCRAM_KEY_LEN])
{
	return scram_hmac(salted, "Server Key", strlen("Server Key"), out);
}

/* 18 random bytes in base64, as PostgreSQL does: printable, no ','. */
static int scram_nonce_random(char out[SCRAM_B64_NONCE_LEN + 1])
{
	uint8_t raw[SCRAM_RAW_NONCE_LEN];
	int rc;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return SG_EIO;
	rc = b64_encode(raw, sizeof(raw), out, SCRAM_B64_NONCE_LEN + 1, NULL);
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

/* Decodes a base64 attribute that must hold exactly one key. */
static int scram_key_decode(const char *b64, size_t n, uint8_t out[SCRAM_KEY_LEN])
{
	size_t len = 0;

	if (b64_decode(b64, n, out, SCRAM_KEY_LEN, &len) != 0 || len != SCRAM_KEY_LEN)
		return SG_EPROTO;
	return 0;
}

/* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
static int scram_auth_message(const char *bare, const char *server_first, const char *final_wp,
                              size_t final_wp_len, char *out, size_t out_cap, size_t *out_len)
{
	int n;

	if (final_wp_len > INT_MAX)
		return SG_ERANGE;
	n = snprintf(out, out_cap, "%s,%s,%.*s", bare, server_first, (int)final_wp_len, final_wp);
	if (n < 0 || (size_t)n >= out_cap)
		return SG_ERANGE;
	*out_len = (size_t)n;
	return 0;
}

/* ---- verifiers ---- */

int scram_secret_from_password(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
                               scram_secret_t *out)
{
	uint8_t salted[SCRAM_KEY_LEN];
	uint8_t client_key[SCRAM_KEY_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!password || !salt || salt_len == 0 || salt_len > SCRAM_SALT_MAX || iterations < 1)
		return SG_ERANGE;
	rc = scram_salted_password(password, salt, salt_len, iterations, salted);
	if (rc == 0)
		rc = scram_client_key(salted, client_key);
	if (rc == 0)
		rc = scram_sha256(client_key, SCRAM_KEY_LEN, out->stored_key);
	if (rc == 0)
		rc = scram_server_key(salted, out->server_key);
	if (rc != 0)
		goto fail;
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	out->iterations = iterations;
fail:
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	if (rc != 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

/* Strict positive decimal int: digits only, no sign, no overflow. */
static int scram_parse_int(const char *s, size_t n, long max, int *out)
{
	long v = 0;

	if (n == 0)
		return SG_EPROTO;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SG_EPROTO;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return SG_EPROTO;
	}
	if (v < 1)
		return SG_EPROTO;
	*out = (int)v;
	return 0;
}

int scram_secret_parse(const char *verifier, scram_secret_t *out)
{
	const char *iter, *salt, *stored, *server;
	size_t salt_len = 0;
	int rc = SG_EPROTO;

	memset(out, 0, sizeof(*out));
	if (!verifier || strncmp(verifier, SCRAM_VERIFIER_PREFIX, strlen(SCRAM_VERIFIER_PREFIX)) != 0)
		goto fail;
	iter = verifier + strlen(SCRAM_VERIFIER_PREFIX);
	salt = strchr(iter, ':');
	if (!salt)
		goto fail;
	stored = strchr(++salt, '$');
	if (!stored)
		goto fail;
	server = strchr(++stored, ':');
	if (!server)
		goto fail;
	server++;
	if (scram_parse_int(iter, (size_t)(salt - 1 - iter), INT_MAX, &out->iterations) != 0)
		goto fail;
	/* Separators cannot occur inside strict base64, so a stray '$' or
	 * ':' in a field makes its decode fail below. */
	if (b64_decode(salt, (size_t)(stored - 1 - salt), out->salt, SCRAM_SALT_MAX, &salt_len) != 0 ||
	    salt_len == 0)
		goto fail;
	out->salt_len = salt_len;
	if (scram_key_decode(stored, (size_t)(server - 1 - stored), out->stored_key) != 0 ||
	    scram_key_decode(server, strlen(server), out->server_key) != 0)
		goto fail;
	rc = 0;
fail:
	if (rc != 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

/* PostgreSQL also classifies a password as SCRAM only if it fully parses. */
bool scram_is_verifier(const char *s)
{
	scram_secret_t tmp;
	bool ok = s && scram_secret_parse(s, &tmp) == 0;

	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return ok;
}

/* ---- server side ---- */

void scram_server_init(scram_server_t *s, const scram_secret_t *secret)
{
	memset(s, 0, sizeof(*s));
	s->secret = *secret;
	s->state = SCRAM_SERVER_INIT;
}

void scram_server_clear(scram_server_t *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

/* Ends the exchange: keys are no longer needed once it is decided. */
static int scram_server_finish(scram_server_t *s, int rc)
{
	s->state = rc == 0 ? SCRAM_SERVER_DONE : SCRAM_SERVER_FAILED;
	OPENSSL_cleanse(&s->secret, sizeof(s->secret));
	return rc;
}

/* client-first-message = gs2-header client-first-message-bare, where
 *   gs2-header = ("n" / "y" / "p=" name) "," [ "a=" authzid ] ","
 *   bare       = [ "m=" ext "," ] "n=" user "," "r=" nonce [ "," extensions ]
 * On success *flag is 'n' or 'y' and the nonce points into m. */
static int scram_server_parse_first(const char *m, size_t n, char *flag, const char **nonce,
                                    size_t *nonce_len)
{
	scram_cursor_t c;
	const char *val;
	size_t len;
	char name;

	if (m[0] == 'p')
		return n >= 2 && m[1] == '=' ? SG_ENOTSUP : SG_EPROTO;
	if ((m[0] != 'n' && m[0] != 'y') || n < 2 || m[1] != ',')
		return SG_EPROTO;
	*flag = m[0];
	if (n >= 4 && m[2] == 'a' && m[3] == '=')
		return SG_ENOTSUP;
	if (n < 3 || m[2] != ',')
		return SG_EPROTO;
	c.p = m + 3;
	c.n = n - 3;
	/* The first attribute must be n=, so a mandatory extension ("m="),
	 * which we cannot honour, fails here as a protocol error. */
	if (scram_attr_take(&c, 'n', NULL, &val, &len) != 0 || !scram_cursor_comma(&c))
		return SG_EPROTO;
	if (scram_attr_take(&c, 'r', NULL, nonce, nonce_len) != 0 || !scram_nonce_valid(*nonce, *nonce_len))
		return SG_EPROTO;
	while (c.n > 0) {
		if (!scram_cursor_comma(&c) || scram_attr_take(&c, 0, &name, &val, &len) != 0)
			return SG_EPROTO;
	}
	return 0;
}

static int scram_server_write_first(scram_server_t *s, const char *cnonce, size_t cnonce_len)
{
	char snonce_buf[SCRAM_B64_NONCE_LEN + 1];
	char salt_b64[SCRAM_SALT_B64_CAP];
	const char *snonce = s->test_server_nonce;
	size_t snonce_len;
	int n, rc;

	if (s->secret.iterations < 1 || s->secret.salt_len == 0 || s->secret.salt_len > SCRAM_SALT_MAX)
		return SG_ERANGE;
	if (!snonce) {
		rc = scram_nonce_random(snonce_buf);
		if (rc != 0)
			return rc;
		snonce = snonce_buf;
	}
	snonce_len = strlen(snonce);
	if (!scram_nonce_valid(snonce, snonce_len))
		return SG_EPROTO;
	if (cnonce_len + snonce_len >= sizeof(s->nonce))
		return SG_EPROTO; /* the client's nonce is unreasonably long */
	memcpy(s->nonce, cnonce, cnonce_len);
	memcpy(s->nonce + cnonce_len, snonce, snonce_len + 1);
	rc = b64_encode(s->secret.salt, s->secret.salt_len, salt_b64, sizeof(salt_b64), NULL);
	if (rc != 0)
		return rc;
	n = snprintf(s->server_first, sizeof(s->server_first), "r=%s,s=%s,i=%d", s->nonce, salt_b64,
	             s->secret.iterations);
	if (n < 0 || (size_t)n >= sizeof(s->server_first))
		return SG_ERANGE;
	return 0;
}

int scram_server_first(scram_server_t *s, const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                       size_t *out_len)
{
	const char *m = (const char *)in;
	const char *cnonce = NULL;
	size_t cnonce_len = 0;
	char flag = 0;
	int rc;

	if (s->state != SCRAM_SERVER_INIT)
		return scram_server_finish(s, SG_EPROTO);
	rc = scram_msg_check(in, in_len);
	if (rc == 0)
		rc = scram_server_parse_first(m, in_len, &flag, &cnonce, &cnonce_len);
	if (rc != 0)
		return scram_server_finish(s, rc);
	/* The gs2 header is exactly 3 bytes once an authzid is refused. */
	memcpy(s->client_first_bare, m + 3, in_len - 3);
	s->client_first_bare[in_len - 3] = '\0';
	rc = scram_server_write_first(s, cnonce, cnonce_len);
	if (rc == 0)
		rc = scram_out_put(s->server_first, strlen(s->server_first), out, out_cap, out_len);
	if (rc != 0)
		return scram_server_finish(s, rc);
	s->state = flag == 'y' ? SCRAM_SERVER_WAIT_FINAL_Y : SCRAM_SERVER_WAIT_FINAL_N;
	return 0;
}

/* client-final-message = "c=" b64(gs2-header) "," "r=" nonce [ "," extensions ] "," "p=" proof
 * On success *wp_len is the length of client-final-message-without-proof. */
static int scram_server_parse_final(const scram_server_t *s, const char *m, size_t n,
                                    uint8_t proof[SCRAM_KEY_LEN], size_t *wp_len)
{
	const char *expect_cb = s->state == SCRAM_SERVER_WAIT_FINAL_Y ? "eSws" : "biws"; /* "y,," / "n,," */
	scram_cursor_t c = {m, n};
	const char *val;
	size_t len;
	char name = 0;

	if (scram_attr_take(&c, 'c', NULL, &val, &len) != 0 || len != 4 || memcmp(val, expect_cb, 4) != 0)
		return SG_EPROTO;
	if (!scram_cursor_comma(&c) || scram_attr_take(&c, 'r', NULL, &val, &len) != 0)
		return SG_EPROTO;
	if (len != strlen(s->nonce) || CRYPTO_memcmp(val, s->nonce, len) != 0)
		return SG_EPROTO;
	/* Skip extensions; the proof must be the last attribute. */
	while (name != 'p') {
		*wp_len = (size_t)(c.p - m);
		if (!scram_cursor_comma(&c) || scram_attr_take(&c, 0, &name, &val, &len) != 0)
			return SG_EPROTO;
	}
	if (c.n != 0)
		return SG_EPROTO;
	return scram_key_decode(val, len, proof);
}

/* Checks the proof and computes the server signature. */
static int scram_server_verify(const scram_server_t *s, const char *auth, size_t auth_len,
                               const uint8_t proof[SCRAM_KEY_LEN], uint8_t server_sig[SCRAM_KEY_LEN])
{
	uint8_t client_sig[SCRAM_KEY_LEN];
	uint8_t client_key[SCRAM_KEY_LEN];
	uint8_t stored[SCRAM_KEY_LEN];
	int rc;

	rc = scram_hmac(s->secret.stored_key, auth, auth_len, client_sig);
	if (rc != 0)
		goto fail;
	for (int i = 0; i < SCRAM_KEY_LEN; i++)
		client_key[i] = proof[i] ^ client_sig[i];
	rc = scram_sha256(client_key, SCRAM_KEY_LEN, stored);
	if (rc != 0)
		goto fail;
	if (CRYPTO_memcmp(stored, s->secret.stored_key, SCRAM_KEY_LEN) != 0) {
		rc = SG_EAUTH;
		goto fail;
	}
	rc = scram_hmac(s->secret.server_key, auth, auth_len, server_sig);
fail:
	OPENSSL_cleanse(client_sig, sizeof(client_sig));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	OPENSSL_cleanse(stored, sizeof(stored));
	return rc;
}

int scram_server_final(scram_server_t *s, const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                       size_t *out_len)
{
	char auth[3 * SCRAM_MSG_MAX];
	uint8_t proof[SCRAM_KEY_LEN];
	uint8_t server_sig[SCRAM_KEY_LEN];
	char msg[2 + SCRAM_KEY_B64_CAP] = "v=";
	size_t auth_len = 0, wp_len = 0, sig_len = 0;
	int rc;

	if (s->state != SCRAM_SERVER_WAIT_FINAL_N && s->state != SCRAM_SERVER_WAIT_FINAL_Y)
		return scram_server_finish(s, SG_EPROTO);
	rc = scram_msg_check(in, in_len);
	if (rc == 0)
		rc = scram_server_parse_final(s, (const char *)in, in_len, proof, &wp_len);
	if (rc == 0)
		rc = scram_auth_message(s->client_first_bare, s->server_first, (const char *)in, wp_len, auth,
		                        sizeof(auth), &auth_len);
	if (rc == 0)
		rc = scram_server_verify(s, auth, auth_len, proof, server_sig);
	if (rc == 0)
		rc = b64_encode(server_sig, SCRAM_KEY_LEN, msg + 2, sizeof(msg) - 2, &sig_len);
	if (rc == 0)
		rc = scram_out_put(msg, 2 + sig_len, out, out_cap, out_len);
	OPENSSL_cleanse(proof, sizeof(proof));
	OPENSSL_cleanse(server_sig, sizeof(server_sig));
	return scram_server_finish(s, rc);
}

/* ---- client side ---- */

int scram_client_init(scram_client_t *c, const char *password, const char *nonce)
{
	size_t plen;
	int rc;

	memset(c, 0, sizeof(*c));
	c->state = SCRAM_CLIENT_FAILED;
	if (!password)
		return SG_EPROTO;
	plen = strlen(password);
	if (plen >= sizeof(c->password))
		return SG_ERANGE;
	if (nonce) {
		size_t nlen = strlen(nonce);

		if (nlen >= sizeof(c->client_nonce))
			return SG_ERANGE;
		if (!scram_nonce_valid(nonce, nlen))
			return SG_EPROTO;
		memcpy(c->client_nonce, nonce, nlen + 1);
	} else {
		rc = scram_nonce_random(c->client_nonce);
		if (rc != 0)
			return rc;
	}
	memcpy(c->password, password, plen + 1);
	c->state = SCRAM_CLIENT_INIT;
	return 0;
}

void scram_client_clear(scram_client_t *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

/* Ends the exchange and wipes what a later memory dump could exploit. */
static int scram_client_finish(scram_client_t *c, int rc)
{
	c->state = rc == 0 ? SCRAM_CLIENT_DONE : SCRAM_CLIENT_FAILED;
	OPENSSL_cleanse(c->password, sizeof(c->password));
	OPENSSL_cleanse(c->salted_password, sizeof(c->salted_password));
	return rc;
}

int scram_client_first(scram_client_t *c, char *out, size_t out_cap, size_t *out_len)
{
	char msg[3 + SCRAM_MSG_MAX];
	int n, rc;

	if (c->state != SCRAM_CLIENT_INIT)
		return scram_client_finish(c, SG_EPROTO);
	n = snprintf(c->client_first_bare, sizeof(c->client_first_bare), "n=,r=%s", c->client_nonce);
	if (n < 0 || (size_t)n >= sizeof(c->client_first_bare))
		return scram_client_finish(c, SG_ERANGE);
	n = snprintf(msg, sizeof(msg), "n,,%s", c->client_first_bare);
	rc = scram_out_put(msg, (size_t)n, out, out_cap, out_len);
	if (rc != 0)
		return scram_client_finish(c, rc);
	c->state = SCRAM_CLIENT_SENT_FIRST;
	return 0;
}

/* server-first-message = "r=" nonce "," "s=" salt "," "i=" iterations
 * (PostgreSQL sends nothing else, and its client rejects anything more). */
static int scram_client_parse_first(const scram_client_t *c, const char *m, size_t n, const char **nonce,
                                    size_t *nonce_len, uint8_t *salt, size_t *salt_len, int *iterations)
{
	scram_cursor_t cur = {m, n};
	size_t cn_len = strlen(c->client_nonce);
	const char *val;
	size_t len;

	if (scram_attr_take(&cur, 'r', NULL, nonce, nonce_len) != 0 || !scram_cursor_comma(&cur))
		return SG_EPROTO;
	/* The server must extend our nonce, not replace or merely echo it. */
	if (*nonce_len <= cn_len || memcmp(*nonce, c->client_nonce, cn_len) != 0 ||
	    !scram_nonce_valid(*nonce, *nonce_len))
		return SG_EPROTO;
	if (scram_attr_take(&cur, 's', NULL, &val, &len) != 0 || !scram_cursor_comma(&cur))
		return SG_EPROTO;
	if (b64_decode(val, len, salt, SCRAM_SALT_MAX, salt_len) != 0 || *salt_len == 0)
		return SG_EPROTO;
	if (scram_attr_take(&cur, 'i', NULL, &val, &len) != 0 || cur.n != 0)
		return SG_EPROTO;
	return scram_parse_int(val, len, SCRAM_CLIENT_MAX_ITERATIONS, iterations);
}

/* Derives the keys and the proof for AuthMessage (already in c). */
static int scram_client_proof(scram_client_t *c, const uint8_t *salt, size_t salt_len, int iterations,
                              size_t auth_len, uint8_t proof[SCRAM_KEY_LEN])
{
	uint8_t client_key[SCRAM_KEY_LEN];
	uint8_t stored[SCRAM_KEY_LEN];
	uint8_t sig[SCRAM_KEY_LEN];
	int rc;

	rc = scram_salted_password(c->password, salt, salt_len, iterations, c->salted_password);
	if (rc == 0)
		rc = scram_client_key(c->salted_password, client_key);
	if (rc == 0)
		rc = scram_sha256(client_key, SCRAM_KEY_LEN, stored);
	if (rc == 0)
		rc = scram_hmac(stored, c->auth_message, auth_len, sig);
	if (rc == 0) {
		for (int i = 0; i < SCRAM_KEY_LEN; i++)
			proof[i] = client_key[i] ^ sig[i];
	}
	OPENSSL_cleanse(client_key, sizeof(client_key));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(sig, sizeof(sig));
	return rc;
}

int scram_client_final(scram_client_t *c, const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                       size_t *out_len)
{
	char server_first[SCRAM_MSG_MAX];
	char final[SCRAM_MSG_MAX + 64];
	uint8_t salt[SCRAM_SALT_MAX];
	uint8_t proof[SCRAM_KEY_LEN];
	char proof_b64[SCRAM_KEY_B64_CAP];
	const char *nonce = NULL;
	size_t nonce_len = 0, salt_len = 0, auth_len = 0;
	int iterations = 0, n, wp_len, rc;

	if (c->state != SCRAM_CLIENT_SENT_FIRST)
		return scram_client_finish(c, SG_EPROTO);
	rc = scram_msg_check(in, in_len);
	if (rc == 0)
		rc = scram_client_parse_first(c, (const char *)in, in_len, &nonce, &nonce_len, salt,
		                              &salt_len, &iterations);
	if (rc != 0)
		goto fail;
	memcpy(server_first, in, in_len);
	server_first[in_len] = '\0';
	rc = SG_ERANGE;
	wp_len = snprintf(final, sizeof(final), "c=biws,r=%.*s", (int)nonce_len, nonce);
	if (wp_len < 0 || (size_t)wp_len >= sizeof(final))
		goto fail;
	rc = scram_auth_message(c->client_first_bare, server_first, final, (size_t)wp_len, c->auth_message,
	                        sizeof(c->auth_message), &auth_len);
	if (rc == 0)
		rc = scram_client_proof(c, salt, salt_len, iterations, auth_len, proof);
	if (rc == 0)
		rc = b64_encode(proof, SCRAM_KEY_LEN, proof_b64, sizeof(proof_b64), NULL);
	if (rc != 0)
		goto fail;
	rc = SG_ERANGE;
	n = snprintf(final + wp_len, sizeof(final) - (size_t)wp_len, ",p=%s", proof_b64);
	if (n < 0 || (size_t)n >= sizeof(final) - (size_t)wp_len)
		goto fail;
	rc = scram_out_put(final, (size_t)wp_len + (size_t)n, out, out_cap, out_len);
fail:
	OPENSSL_cleanse(proof, sizeof(proof));
	if (rc != 0)
		return scram_client_finish(c, rc);
	c->state = SCRAM_CLIENT_SENT_FINAL;
	return 0;
}

/* server-final-message = "v=" signature, or "e=" error → SG_EAUTH. */
int scram_client_verify(scram_client_t *c, const uint8_t *in, size_t in_len)
{
	scram_cursor_t cur = {(const char *)in, in_len};
	uint8_t got[SCRAM_KEY_LEN];
	uint8_t server_key[SCRAM_KEY_LEN];
	uint8_t want[SCRAM_KEY_LEN];
	const char *val;
	size_t len;
	int rc;

	if (c->state != SCRAM_CLIENT_SENT_FINAL)
		return scram_client_finish(c, SG_EPROTO);
	rc = scram_msg_check(in, in_len);
	if (rc != 0)
		return scram_client_finish(c, rc);
	if (in_len >= 2 && in[0] == 'e' && in[1] == '=')
		return scram_client_finish(c, SG_EAUTH);
	rc = SG_EPROTO;
	if (scram_attr_take(&cur, 'v', NULL, &val, &len) != 0 || cur.n != 0 ||
	    scram_key_decode(val, len, got) != 0)
		goto fail;
	rc = scram_server_key(c->salted_password, server_key);
	if (rc == 0)
		rc = scram_hmac(server_key, c->auth_message, strlen(c->auth_message), want);
	if (rc == 0 && CRYPTO_memcmp(got, want, SCRAM_KEY_LEN) != 0)
		rc = SG_EAUTH;
fail:
	OPENSSL_cleanse(server_key, sizeof(server_key));
	OPENSSL_cleanse(want, sizeof(want));
	return scram_client_finish(c, rc);
}

bool scram_client_done(const scram_client_t *c)
{
	return c->state == SCRAM_CLIENT_DONE;
}
