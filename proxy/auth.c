/* auth.c — authenticating clients to shardgate (SCRAM-SHA-256, md5 or
 * trust against the users in the YAML file) and greeting them. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "proxy.h"
#include "router.h"
#include "scram.h"
#include "server.h"
#include "sqltext.h"

enum client_auth_step { AUTH_STEP_SASL_INIT, AUTH_STEP_SASL_FINAL, AUTH_STEP_MD5 };

struct client_auth {
	enum client_auth_step step;
	uint8_t salt[4];
	bool user_known; /* false: run the exchange anyway, then fail */
	scram_server_t scram;
};

/* Deriving a SCRAM verifier from a plain password costs 4096 HMAC
 * rounds; remember it per (user, password) for the process lifetime. */
typedef struct auth_secret_cache {
	char *user;
	char *password;
	scram_secret_t secret;
	struct auth_secret_cache *next;
} auth_secret_cache_t;

static auth_secret_cache_t *secret_cache;

static int auth_secret_for(const cfg_user_t *u, scram_secret_t *out)
{
	auth_secret_cache_t *e;
	uint8_t salt[16];
	int err;

	if (scram_is_verifier(u->password))
		return scram_secret_parse(u->password, out);
	for (e = secret_cache; e != NULL; e = e->next) {
		if (strcmp(e->user, u->name) == 0 && strcmp(e->password, u->password) == 0) {
			*out = e->secret;
			return 0;
		}
	}
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return SG_EIO;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return SG_ENOMEM;
	err = scram_secret_from_password(u->password, salt, sizeof(salt), SCRAM_DEFAULT_ITERATIONS,
	                                 &e->secret);
	e->user = strdup(u->name);
	e->password = strdup(u->password);
	if (err != 0 || e->user == NULL || e->password == NULL) {
		free(e->user);
		free(e->password);
		free(e);
		return err ? err : SG_ENOMEM;
	}
	e->next = secret_cache;
	secret_cache = e;
	*out = e->secret;
	return 0;
}

void auth_cache_free(void)
{
	auth_secret_cache_t *e;

	while ((e = secret_cache) != NULL) {
		secret_cache = e->next;
		OPENSSL_cleanse(e->password, strlen(e->password));
		OPENSSL_cleanse(&e->secret, sizeof(e->secret));
		free(e->user);
		free(e->password);
		free(e);
	}
}

static int auth_fail(sg_client_t *c)
{
	sg_px->stats.auth_failures++;
	log_client(c, LOG_WARN, "authentication failed user=%s addr=%s", c->user, c->addr);
	client_send_error(c, "FATAL", "28P01", "password authentication failed for user \"%s\"", c->user);
	return 0; /* handled: the connection closes after the error is sent */
}

/* Greets the client once a pool has told us the server's parameters. */
static int auth_login_done(sg_client_t *c)
{
	sg_pool_t *pool = sg_proxy_pool(sg_px, router_default_shard(sg_px->cfg));

	client_auth_free(c);
	log_client(c, LOG_INFO, "login ok user=%s database=%s addr=%s", c->user, c->database, c->addr);
	if (pool == NULL) {
		client_send_error(c, "FATAL", "08006", "no pool for the default shard");
		return 0;
	}
	c->pool = pool;
	if (sg_px->cfg->pool.mode == POOL_MODE_SESSION && !c->admin) {
		/* Session mode: the client's server is its backend for good, so it
		 * gets that backend's real BackendKeyData (pg_terminate_backend,
		 * cancel by PID work as with PostgreSQL). */
		sg_server_t *s;
		c->login_via_checkout = true;
		client_set_state(c, CL_WELCOME);
		s = sg_pool_checkout(pool, c);
		if (s != NULL)
			client_server_ready(c, s);
		return 0;
	}
	if (pool->have_welcome) {
		client_set_state(c, CL_IDLE);
		return client_send_welcome(c);
	}
	client_set_state(c, CL_WELCOME);
	sg_pool_need_welcome(pool);
	return 0;
}

int client_auth_start(sg_client_t *c)
{
	const config_t *cfg = sg_px->cfg;
	const cfg_user_t *u = config_user_find(cfg, c->user);
	struct client_auth *a;
	scram_secret_t secret;
	int err;

	if (cfg->auth.method == AUTH_TRUST) {
		if (u == NULL && cfg->auth.nusers > 0)
			return auth_fail(c);
		return auth_login_done(c);
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return SG_ENOMEM;
	c->auth = a;
	a->user_known = u != NULL;
	if (cfg->auth.method == AUTH_MD5 && (u == NULL || !scram_is_verifier(u->password))) {
		if (RAND_bytes(a->salt, sizeof(a->salt)) != 1)
			return SG_EIO;
		a->step = AUTH_STEP_MD5;
		return wire_write_auth_md5(&c->out.pending, a->salt);
	}
	/* SCRAM; also md5 for users stored as SCRAM verifiers (as PostgreSQL
	 * does). An unknown user gets a random verifier so the exchange looks
	 * the same and fails at the proof. */
	if (u != NULL) {
		err = auth_secret_for(u, &secret);
		if (err != 0)
			return err;
	} else {
		memset(&secret, 0, sizeof(secret));
		secret.iterations = SCRAM_DEFAULT_ITERATIONS;
		secret.salt_len = 16;
		if (RAND_bytes(secret.salt, 16) != 1 ||
		    RAND_bytes(secret.stored_key, sizeof(secret.stored_key)) != 1 ||
		    RAND_bytes(secret.server_key, sizeof(secret.server_key)) != 1)
			return SG_EIO;
	}
	scram_server_init(&a->scram, &secret);
	OPENSSL_cleanse(&secret, sizeof(secret));
	a->step = AUTH_STEP_SASL_INIT;
	return wire_write_auth_sasl(&c->out.pending, "SCRAM-SHA-256");
}

static int auth_sasl_init(sg_client_t *c, const wire_frame_t *f)
{
	struct client_auth *a = c->auth;
	char out[SCRAM_MSG_MAX];
	const uint8_t *data;
	const char *mech;
	size_t len, n;
	int err;

	err = wire_sasl_initial_parse(f, &mech, &data, &len);
	if (err != 0)
		return err;
	if (strcmp(mech, "SCRAM-SHA-256") != 0) {
		client_send_error(c, "FATAL", "28000",
		                  "client selected an invalid SASL authentication mechanism");
		return 0;
	}
	err = scram_server_first(&a->scram, data, len, out, sizeof(out), &n);
	if (err != 0) {
		if (err == SG_ENOTSUP)
			client_send_error(
			        c, "FATAL", "0A000",
			        "SCRAM channel binding and authorization identities are not supported");
		else
			client_send_error(c, "FATAL", "08P01", "malformed SCRAM client-first-message");
		return 0;
	}
	a->step = AUTH_STEP_SASL_FINAL;
	return wire_write_auth_sasl_continue(&c->out.pending, out, n);
}

static int auth_sasl_final(sg_client_t *c, const wire_frame_t *f)
{
	struct client_auth *a = c->auth;
	char out[SCRAM_MSG_MAX];
	const uint8_t *data;
	size_t len, n;
	int err;

	err = wire_sasl_response_parse(f, &data, &len);
	if (err != 0)
		return err;
	err = scram_server_final(&a->scram, data, len, out, sizeof(out), &n);
	if (err == SG_EAUTH || (err == 0 && !a->user_known))
		return auth_fail(c);
	if (err != 0) {
		client_send_error(c, "FATAL", "08P01", "malformed SCRAM message");
		return 0;
	}
	err = wire_write_auth_sasl_final(&c->out.pending, out, n);
	if (err != 0)
		return err;
	return auth_login_done(c);
}

static int auth_md5(sg_client_t *c, const wire_frame_t *f)
{
	struct client_auth *a = c->auth;
	const cfg_user_t *u = config_user_find(sg_px->cfg, c->user);
	const char *pw;
	int err;

	err = wire_password_parse(f, &pw);
	if (err != 0)
		return err;
	if (!a->user_known || u == NULL || !md5_password_check(c->user, u->password, a->salt, pw))
		return auth_fail(c);
	return auth_login_done(c);
}

int client_auth_message(sg_client_t *c, const wire_frame_t *f)
{
	if (c->auth == NULL)
		return SG_EPROTO;
	switch (c->auth->step) {
	case AUTH_STEP_SASL_INIT:
		return auth_sasl_init(c, f);
	case AUTH_STEP_SASL_FINAL:
		return auth_sasl_final(c, f);
	case AUTH_STEP_MD5:
		return auth_md5(c, f);
	}
	abort();
}

void client_auth_free(sg_client_t *c)
{
	if (c->auth == NULL)
		return;
	scram_server_clear(&c->auth->scram);
	free(c->auth);
	c->auth = NULL;
}

/* What an admin console reports: it has no backend to ask. */
static const char *const admin_params[][2] = {
        {"server_version", "15.0 (shardgate admin)"},
        {"server_encoding", "UTF8"},
        {"client_encoding", "UTF8"},
        {"DateStyle", "ISO, MDY"},
        {"integer_datetimes", "on"},
        {"standard_conforming_strings", "on"},
        {"TimeZone", "UTC"},
        {"IntervalStyle", "postgres"},
        {"is_superuser", "off"},
};

static void welcome_params(sg_client_t *c)
{
	const sg_params_t *w = &c->pool->welcome_raw;
	char raw[512];
	size_t i;

	for (i = 0; i < w->n; i++) {
		const char *lit = sg_params_get(&c->params, w->names[i]);
		const char *v = w->values[i];
		/* A setting the client asked for at startup is reported with the
		 * client's value, as PostgreSQL would after applying it. */
		if (lit != NULL && sql_unliteral(lit, raw, sizeof(raw)) == 0)
			v = raw;
		(void)wire_write_param_status(&c->out.pending, w->names[i], v);
	}
}

int client_send_welcome(sg_client_t *c)
{
	uint32_t r[2];
	size_t i;

	(void)wire_write_auth_ok(&c->out.pending);
	if (c->admin) {
		for (i = 0; i < sizeof(admin_params) / sizeof(admin_params[0]); i++)
			(void)wire_write_param_status(&c->out.pending, admin_params[i][0],
			                              admin_params[i][1]);
	} else {
		welcome_params(c);
	}
	/* Our own cancel key: CancelRequest is mapped to whichever backend
	 * serves the client at that moment. In session mode it is the
	 * backend's own. */
	if (c->server != NULL && c->login_via_checkout) {
		c->key_pid = c->server->backend_pid;
		c->key_secret = c->server->backend_key;
	} else {
		if (RAND_bytes((uint8_t *)r, sizeof(r)) != 1)
			return SG_EIO;
		c->key_pid = (int32_t)(r[0] & 0x7fffffff);
		c->key_secret = (int32_t)r[1];
	}
	(void)wire_write_backend_key(&c->out.pending, c->key_pid, c->key_secret);
	return wire_write_ready(&c->out.pending, 'I');
}
