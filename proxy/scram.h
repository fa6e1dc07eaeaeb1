/* scram.h — SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL speaks it,
 * both sides: the server side authenticates clients to shardgate, the
 * client side authenticates shardgate to backends. No channel binding
 * (gs2 header "n,,"; "y,," is accepted from clients, "p=" is refused).
 * Messages are exchanged as byte strings; outputs go into caller buffers
 * and are NUL-terminated (out_cap must leave room for the NUL). Any error
 * ends an exchange, and keys are wiped when it ends.
 * Never log anything held in these structs. */
#ifndef SG_SCRAM_H
#define SG_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define SCRAM_KEY_LEN            32
#define SCRAM_SALT_MAX           64
#define SCRAM_NONCE_MAX          128
#define SCRAM_MSG_MAX            1024
#define SCRAM_DEFAULT_ITERATIONS 4096

/* A stored verifier: what PostgreSQL keeps in pg_authid.rolpassword. */
typedef struct scram_secret {
	int iterations;
	uint8_t salt[SCRAM_SALT_MAX];
	size_t salt_len;
	uint8_t stored_key[SCRAM_KEY_LEN];
	uint8_t server_key[SCRAM_KEY_LEN];
} scram_secret_t;

/* Derives a verifier from a plain password (SASLprep is applied for ASCII
 * as the identity; non-ASCII passwords are used as raw UTF-8 bytes, which
 * is what PostgreSQL does when SASLprep fails). */
int scram_secret_from_password(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
                               scram_secret_t *out) SG_WUR;
/* Parses "SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>". */
int scram_secret_parse(const char *verifier, scram_secret_t *out) SG_WUR;
bool scram_is_verifier(const char *s);

/* ---- server side: shardgate verifies a client ---- */
typedef struct scram_server {
	int state; /* internal */
	scram_secret_t secret;
	char nonce[SCRAM_NONCE_MAX]; /* client nonce + server nonce */
	char client_first_bare[SCRAM_MSG_MAX];
	char server_first[SCRAM_MSG_MAX];
	const char *test_server_nonce; /* tests only: fixed server nonce part */
} scram_server_t;

void scram_server_init(scram_server_t *s, const scram_secret_t *secret);
/* Takes client-first-message, writes server-first-message into out. */
int scram_server_first(scram_server_t *s, const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                       size_t *out_len) SG_WUR;
/* Takes client-final-message, checks the proof (SG_EAUTH if wrong), writes
 * server-final-message ("v=...") into out. */
int scram_server_final(scram_server_t *s, const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                       size_t *out_len) SG_WUR;

/* ---- client side: shardgate authenticates to a backend ---- */
typedef struct scram_client {
	int state; /* internal */
	char password[256];
	char client_nonce[SCRAM_NONCE_MAX];
	char client_first_bare[SCRAM_MSG_MAX];
	uint8_t salted_password[SCRAM_KEY_LEN];
	char auth_message[3 * SCRAM_MSG_MAX];
} scram_client_t;

/* nonce NULL → random 18 bytes base64; tests pass the RFC's nonce. */
int scram_client_init(scram_client_t *c, const char *password, const char *nonce) SG_WUR;
/* Writes client-first-message "n,,n=,r=<nonce>". */
int scram_client_first(scram_client_t *c, char *out, size_t out_cap, size_t *out_len) SG_WUR;
/* Takes server-first-message, writes client-final-message. */
int scram_client_final(scram_client_t *c, const uint8_t *in, size_t in_len, char *out, size_t out_cap,
                       size_t *out_len) SG_WUR;
/* Takes server-final-message; SG_EAUTH if the server signature is wrong. */
int scram_client_verify(scram_client_t *c, const uint8_t *in, size_t in_len) SG_WUR;
/* True once the server's signature was verified: a backend that says
 * AuthenticationOk before that has not proven it knows the password. */
bool scram_client_done(const scram_client_t *c);
/* Wipes secrets. */
void scram_client_clear(scram_client_t *c);
void scram_server_clear(scram_server_t *s);

/* ---- md5 (PostgreSQL's "md5" method) ---- */
/* out = "md5" + hex(md5(hex(md5(password || user)) || salt)), NUL-terminated. */
void md5_password_response(const char *user, const char *password, const uint8_t salt[4], char out[36]);
/* Checks a client's response; `stored` is a plain password or an
 * "md5<32 hex>" hash of password||user. Constant-time compare. */
bool md5_password_check(const char *user, const char *stored, const uint8_t salt[4], const char *response);

/* base64 helpers (standard alphabet, padded). Return SG_EPROTO/SG_ERANGE. */
int b64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap, size_t *out_len) SG_WUR;
int b64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len) SG_WUR;

#endif
