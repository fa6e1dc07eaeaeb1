#include "outq.h"

static void outq_write_cb(uv_write_t *req, int status);

void sg_outq_init(sg_outq_t *q, uv_stream_t *stream, sg_outq_cb on_done, void *owner)
{
	wbuf_init(&q->pending);
	wbuf_init(&q->inflight);
	q->stream = stream;
	q->writing = false;
	q->on_done = on_done;
	q->owner = owner;
}

void sg_outq_free(sg_outq_t *q)
{
	wbuf_free(&q->pending);
	wbuf_free(&q->inflight);
}

void sg_outq_trim(sg_outq_t *q)
{
	if (!q->writing && q->pending.len == 0) {
		wbuf_free(&q->pending);
		wbuf_free(&q->inflight);
	}
}

int sg_outq_flush(sg_outq_t *q)
{
	wbuf_t tmp;
	uv_buf_t buf;
	int n, err;

	if (q->writing)
		return 0; /* the write callback continues */
	if (q->pending.oom)
		return SG_ENOMEM;
	if (q->pending.len == 0) {
		wbuf_release(&q->pending);
		return 0;
	}
	buf = uv_buf_init((char *)q->pending.data, (unsigned int)q->pending.len);
	n = uv_try_write(q->stream, &buf, 1);
	if (n == UV_EAGAIN)
		n = 0;
	if (n < 0)
		return n;
	wbuf_consume(&q->pending, (size_t)n);
	if (q->pending.len == 0) {
		/* Keep a small buffer for the next reply; drop a large one. */
		if (q->pending.cap > 65536)
			wbuf_free(&q->pending);
		return 0;
	}
	/* Hand the rest to libuv: swap so appenders get an empty buffer. */
	tmp = q->inflight;
	q->inflight = q->pending;
	q->pending = tmp;
	wbuf_reset(&q->pending);
	buf = uv_buf_init((char *)q->inflight.data, (unsigned int)q->inflight.len);
	q->req.data = q;
	err = uv_write(&q->req, q->stream, &buf, 1, outq_write_cb);
	if (err != 0)
		return err;
	q->writing = true;
	return 0;
}

static void outq_write_cb(uv_write_t *req, int status)
{
	sg_outq_t *q = req->data;
	int err;

	q->writing = false;
	wbuf_reset(&q->inflight);
	if (q->inflight.cap > 65536)
		wbuf_free(&q->inflight);
	if (status < 0) {
		if (status != UV_ECANCELED)
			q->on_done(q, status);
		return;
	}
	if (q->pending.len > 0) {
		err = sg_outq_flush(q);
		if (err != 0)
			q->on_done(q, err);
		else if (!q->writing)
			q->on_done(q, 0);
		return;
	}
	q->on_done(q, 0);
}
