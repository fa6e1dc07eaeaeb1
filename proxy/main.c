/* main.c — command line, listeners, signals, and the event loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "client.h"
#include "config.h"
#include "fanout.h"
#include "log.h"
#include "merge.h"
#include "pool.h"
#include "proxy.h"
#include "router.h"
#include "worker.h"

void auth_cache_free(void);

static void usage(FILE *f)
{
	fprintf(f, "usage: shardgate -c FILE [--check]\n"
	           "  -c, --config FILE  YAML configuration file\n"
	           "      --check        validate the configuration and exit (0 ok, 1 invalid)\n"
	           "  -V, --version      print the version\n");
}

/* Enough descriptors for every client plus every backend connection. */
static void raise_nofile(const config_t *cfg)
{
	rlim_t want = (rlim_t)cfg->listen.max_client_connections + (rlim_t)cfg->pool.size * cfg->nshards + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		sg_log(LOG_WARN,
		       "event=nofile_limit wanted=%llu got=%llu reason=\"hard limit too low for "
		       "listen.max_client_connections\"",
		       (unsigned long long)want, (unsigned long long)rl.rlim_cur);
	else
		sg_log(LOG_INFO, "event=nofile_limit raised_to=%llu", (unsigned long long)rl.rlim_cur);
}

static void on_client_conn(uv_stream_t *server, int status)
{
	if (status < 0) {
		sg_log(LOG_WARN, "event=accept_failed error=\"%s\"", uv_strerror(status));
		return;
	}
	if (server == (uv_stream_t *)&sg_px->admin_listener)
		client_accept(server, SG_VIA_ADMIN);
	else if (server == (uv_stream_t *)&sg_px->unix_listener.pipe)
		client_accept(server, SG_VIA_UNIX);
	else
		client_accept(server, SG_VIA_TCP);
}

/* The single process accepts its own clients (workers get theirs from
 * the supervisor). */
static int listen_clients(sg_proxy_t *px)
{
	int err;

	px->listening = true;
	err = sg_listen_tcp(px->loop, &px->listener, px->cfg, on_client_conn);
	if (err == 0)
		err = sg_listen_unix(px->loop, &px->unix_listener, px->cfg, on_client_conn);
	return err;
}

/* The admin socket's directory exists and belongs to us. */
static int admin_dir_make(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sg_log(LOG_ERROR, "event=admin_failed dir=%s error=\"%s\"", dir, strerror(errno));
		return SG_EIO;
	}
	if (stat(dir, &st) != 0 || st.st_uid != getuid()) {
		sg_log(LOG_ERROR, "event=admin_failed dir=%s error=\"directory not owned by this user\"",
		       dir);
		return SG_EIO;
	}
	return 0;
}

/* The admin console is a Unix socket only, mode 0600, in a directory we
 * own; the peer's uid is checked again on every connection.
 * Worker 0 (or the single process) listens in admin.socket_dir, worker
 * k > 0 in its subdirectory worker<k>, so each worker's state can be
 * looked at: psql "host=<socket_dir>/worker1 port=<port> dbname=admin". */
static int listen_admin(sg_proxy_t *px)
{
	char sub[sizeof(px->admin_path) - sizeof("/.s.PGSQL.65535")];
	const char *dir = px->cfg->admin.socket_dir;
	int err;

	err = admin_dir_make(dir);
	if (err == 0 && sg_worker_index > 0) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/worker%d", dir, sg_worker_index) >= sizeof(sub)) {
			sg_log(LOG_ERROR, "event=admin_failed dir=%s error=\"path too long\"", dir);
			return SG_ERANGE;
		}
		dir = sub;
		err = admin_dir_make(dir);
	}
	if (err != 0)
		return err;
	snprintf(px->admin_path, sizeof(px->admin_path), "%s/.s.PGSQL.%d", dir, px->cfg->admin.port);
	unlink(px->admin_path); /* a stale socket from a previous run */
	uv_pipe_init(px->loop, &px->admin_listener, 0);
	px->admin_listening = true;
	err = uv_pipe_bind(&px->admin_listener, px->admin_path);
	if (err == 0 && chmod(px->admin_path, 0600) != 0)
		err = SG_EIO;
	if (err == 0)
		err = uv_listen((uv_stream_t *)&px->admin_listener, 64, on_client_conn);
	if (err != 0) {
		sg_log(LOG_ERROR, "event=admin_failed path=%s error=\"%s\"", px->admin_path,
		       sg_strerror(err));
		return err;
	}
	sg_log(LOG_INFO, "event=admin_listening path=%s", px->admin_path);
	return 0;
}

static int start_router(sg_proxy_t *px)
{
	char err[512];

	if (router_new(px->cfg, router_now_us(), &px->router, err, sizeof(err)) != 0) {
		sg_log(LOG_ERROR, "event=router_failed error=\"%s\"", err);
		return SG_ECONFIG;
	}
	return 0;
}

static void on_signal(uv_signal_t *h, int signum)
{
	sg_proxy_t *px = h->data;
	char err[512];

	if (signum == SIGHUP)
		(void)sg_proxy_reload(px, err, sizeof(err));
	else
		sg_proxy_shutdown(px, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int load_config(const char *path, config_t **cfg)
{
	config_error_t cerr;
	char msg[1024];

	if (config_load_file(path, cfg, &cerr) != 0) {
		config_error_format(&cerr, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	return 0;
}

static void proxy_init(sg_proxy_t *px, config_t *cfg)
{
	memset(px, 0, sizeof(*px));
	px->loop = uv_default_loop();
	px->cfg = cfg;
	sg_px = px;
	px->started_ms = sg_now_ms();
	sg_list_init(&px->clients);
	sg_list_init(&px->retired_pools);
	sg_list_init(&px->paused_clients);
	sg_px = px;
	sg_log_level = (int)cfg->log.level;
}

static void proxy_start_handles(sg_proxy_t *px)
{
	uv_timer_init(px->loop, &px->tick);
	px->tick.data = px;
	uv_timer_start(&px->tick, sg_proxy_tick, 100, 100);
	uv_signal_init(px->loop, &px->sighup);
	uv_signal_init(px->loop, &px->sigterm);
	uv_signal_init(px->loop, &px->sigint);
	px->sighup.data = px->sigterm.data = px->sigint.data = px;
	uv_signal_start(&px->sighup, on_signal, SIGHUP);
	uv_signal_start(&px->sigterm, on_signal, SIGTERM);
	uv_signal_start(&px->sigint, on_signal, SIGINT);
}

static void proxy_free(sg_proxy_t *px)
{
	size_t i;

	for (i = 0; i < px->npools; i++)
		sg_pool_free(px->pools[i]);
	free(px->pools);
	if (px->admin_path[0])
		unlink(px->admin_path);
	router_unref(px->router);
	config_unref(px->cfg);
	auth_cache_free();
	wbuf_cache_drain();
	fanout_plans_free();
	merge_collations_free();
	uv_loop_close(px->loop);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"check", no_argument, NULL, 'k'},
	                                     {"version", no_argument, NULL, 'V'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *path = NULL;
	bool check = false;
	sg_proxy_t px;
	config_t *cfg;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'V':
			printf("shardgate 0.1.0\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	if (load_config(path, &cfg) != 0)
		return 1;
	if (check) {
		printf("%s: configuration ok (%zu shards, %zu tables)\n", path, cfg->nshards, cfg->ntables);
		config_unref(cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	sg_log_level = (int)cfg->log.level;
	raise_nofile(cfg);
	/* Before any event loop exists: the workers each make their own. */
	if (cfg->listen.workers > 1) {
		int code = 1;
		int rc = sg_supervisor_run(cfg, &code);
		if (rc != 0) {
			config_unref(cfg);
			return rc == 1 ? code : 1;
		}
	}
	proxy_init(&px, cfg);
	if (start_router(&px) != 0 || sg_proxy_pools_sync(&px) != 0 ||
	    (sg_worker_index >= 0 ? sg_worker_attach(&px) : listen_clients(&px)) != 0 ||
	    listen_admin(&px) != 0) {
		px.exit_code = 1;
		sg_proxy_shutdown(&px, "startup failed");
	}
	proxy_start_handles(&px);
	if (px.shutting_down)
		sg_proxy_maybe_exit(&px);
	sg_log(LOG_INFO, "event=started version=0.1.0 pid=%d mode=%s shards=%zu", (int)getpid(),
	       config_pool_mode_name(cfg->pool.mode), cfg->nshards);
	uv_run(px.loop, UV_RUN_DEFAULT);
	sg_log(LOG_INFO, "event=exit code=%d", px.exit_code);
	proxy_free(&px);
	return px.exit_code;
}
