/* worker.c — a worker's end of the supervisor channel (see worker.h).
 * Owns the channel pipe and its partial-frame buffer; both live as long
 * as the process (one channel per worker). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "prepared.h"
#include "router.h"
#include "worker.h"

int sg_worker_index = -1;
int sg_worker_fd = -1;
int sg_worker_count = 1;
sg_worker_counters_t *sg_worker_slots;

static uv_pipe_t wk_pipe;
static bool wk_open;
static uint8_t wk_in[sizeof(sg_wk_frame_t) * 64];
static size_t wk_len;

/* Each SG_WK_CONN frame was sent together with its socket, so the socket
 * is pending by the time the frame is read. */
static void worker_take_conn(void)
{
	uv_handle_type type = UV_UNKNOWN_HANDLE;

	if (uv_pipe_pending_count(&wk_pipe) > 0)
		type = uv_pipe_pending_type(&wk_pipe);
	if (type == UV_TCP)
		client_accept((uv_stream_t *)&wk_pipe, SG_VIA_TCP);
	else if (type == UV_NAMED_PIPE) /* from listen.unix_socket_dir */
		client_accept((uv_stream_t *)&wk_pipe, SG_VIA_UNIX);
	else
		sg_log(LOG_WARN, "event=worker_channel error=\"connection frame without a socket\"");
}

/* What another worker's admin socket or client asked of every worker:
 * done here as if asked here, and not passed on again. */
static void worker_apply(const sg_wk_frame_t *f)
{
	char err[512];

	switch (f->type) {
	case SG_WK_CONN:
		worker_take_conn();
		break;
	case SG_WK_CANCEL:
		(void)sg_client_cancel_key(f->a, f->b, 0);
		break;
	case SG_WK_RELOAD:
		(void)sg_proxy_reload(sg_px, err, sizeof(err));
		break;
	case SG_WK_PAUSE:
		sg_px->paused = true;
		sg_log(LOG_INFO, "event=pause from=supervisor");
		break;
	case SG_WK_RESUME:
		sg_proxy_resume(sg_px);
		break;
	default:
		sg_log(LOG_WARN, "event=worker_channel error=\"unknown frame type %u\"", f->type);
		break;
	}
}

static void worker_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init((char *)wk_in + wk_len, (unsigned int)(sizeof(wk_in) - wk_len));
}

static void worker_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	sg_wk_frame_t f;
	size_t off = 0;

	(void)buf;
	if (nread < 0) {
		/* The supervisor is gone: nobody hands us clients any more. */
		sg_log(LOG_ERROR, "event=worker_channel_closed error=\"%s\"", uv_strerror((int)nread));
		sg_worker_detach();
		sg_proxy_shutdown(sg_px, "supervisor gone");
		return;
	}
	(void)st;
	wk_len += (size_t)nread;
	while (wk_len - off >= sizeof(f)) {
		memcpy(&f, wk_in + off, sizeof(f));
		off += sizeof(f);
		worker_apply(&f);
		if (!wk_open)
			return;
	}
	memmove(wk_in, wk_in + off, wk_len - off);
	wk_len -= off;
}

int sg_worker_attach(sg_proxy_t *px)
{
	int err;

	if (sg_worker_fd < 0)
		return SG_EIO;
	err = uv_pipe_init(px->loop, &wk_pipe, 1);
	if (err == 0)
		err = uv_pipe_open(&wk_pipe, sg_worker_fd);
	if (err == 0) {
		wk_open = true;
		err = uv_read_start((uv_stream_t *)&wk_pipe, worker_alloc_cb, worker_read_cb);
	}
	if (err != 0) {
		sg_log(LOG_ERROR, "event=worker_channel error=\"%s\"", uv_strerror(err));
		return err;
	}
	sg_log(LOG_INFO, "event=worker_started pid=%d", (int)getpid());
	return 0;
}

void sg_worker_detach(void)
{
	if (!wk_open)
		return;
	wk_open = false;
	uv_close((uv_handle_t *)&wk_pipe, NULL);
}

static void worker_notify_cb(uv_write_t *req, int status)
{
	if (status < 0)
		sg_log(LOG_WARN, "event=worker_notify_failed error=\"%s\"", uv_strerror(status));
	free(req);
}

void sg_worker_notify(uint32_t type, int32_t a, int32_t b)
{
	struct {
		uv_write_t req;
		sg_wk_frame_t f;
	} * w;
	uv_buf_t buf;

	if (!wk_open)
		return;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return;
	w->f.type = type;
	w->f.a = a;
	w->f.b = b;
	buf = uv_buf_init((char *)&w->f, sizeof(w->f));
	/* req is the first member: worker_notify_cb frees the whole. */
	if (uv_write(&w->req, (uv_stream_t *)&wk_pipe, &buf, 1, worker_notify_cb) != 0)
		free(w);
}

size_t sg_worker_client_limit(const config_t *cfg)
{
	size_t n = (size_t)cfg->listen.max_client_connections;
	size_t w = (size_t)sg_worker_count;

	return (n + w - 1) / w;
}

void sg_worker_counters_fill(const sg_proxy_t *px, sg_worker_counters_t *out)
{
	sql_plan_cache_stats_t pc;

	memset(out, 0, sizeof(*out));
	out->stats = px->stats;
	out->clients_connected = px->nclients;
	out->prepared_statements = sg_pstmt_count();
	if (px->router == NULL)
		return; /* startup failed before the router was built; the tick still runs */
	sql_plan_cache_stats(px->router->plans, &pc);
	out->plan_hits = pc.hits;
	out->plan_misses = pc.misses;
	out->plan_entries = pc.entries;
	out->sql_parses = px->router->analyzed;
}

void sg_worker_counters_publish(const sg_proxy_t *px)
{
	sg_worker_counters_t now;

	if (sg_worker_slots == NULL || sg_worker_index < 0)
		return;
	sg_worker_counters_fill(px, &now);
	sg_worker_slots[sg_worker_index] = now;
}

/* The structs are nothing but uint64_t fields: summed as an array. */
static void counters_add(sg_worker_counters_t *sum, const sg_worker_counters_t *add)
{
	uint64_t *d = (uint64_t *)sum, v;
	const uint8_t *s = (const uint8_t *)add;
	size_t i;

	_Static_assert(sizeof(sg_worker_counters_t) % sizeof(uint64_t) == 0, "uint64_t fields only");
	for (i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++) {
		memcpy(&v, s + i * sizeof(v), sizeof(v));
		d[i] += v;
	}
}

int sg_worker_counters_add_others(sg_worker_counters_t *sum)
{
	int k, n = 0;

	if (sg_worker_slots == NULL || sg_worker_index < 0)
		return 0;
	for (k = 0; k < sg_worker_count; k++) {
		if (k == sg_worker_index)
			continue;
		counters_add(sum, &sg_worker_slots[k]);
		n++;
	}
	return n;
}
