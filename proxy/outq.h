/* outq.h — the write side of one connection.
 *
 * Appenders write into `pending`; sg_outq_flush tries a non-blocking write
 * first (the common case finishes there, with no request allocated) and
 * hands the rest to uv_write. While a uv_write is in flight its bytes live
 * in `inflight`, which nobody touches until the callback. Both buffers are
 * owned and released when empty so an idle connection holds no memory. */
#ifndef SG_OUTQ_H
#define SG_OUTQ_H

#include <stdbool.h>
#include <uv.h>

#include "wbuf.h"

typedef struct sg_outq sg_outq_t;
/* Called once everything queued has been written (status 0), or when a
 * write failed (status < 0). */
typedef void (*sg_outq_cb)(sg_outq_t *q, int status);

struct sg_outq {
	uv_stream_t *stream; /* borrowed: the connection's handle */
	wbuf_t pending;
	wbuf_t inflight;
	uv_write_t req;
	bool writing;
	sg_outq_cb on_done; /* owner's callback; q->req.data is free for the owner */
	void *owner;
};

void sg_outq_init(sg_outq_t *q, uv_stream_t *stream, sg_outq_cb on_done, void *owner);
void sg_outq_free(sg_outq_t *q);
/* Starts writing what is pending. Returns 0 or a UV_E* / SG_ENOMEM code. */
int sg_outq_flush(sg_outq_t *q) SG_WUR;
/* Frees both buffers if nothing is queued: an idle connection holds no
 * write memory. */
void sg_outq_trim(sg_outq_t *q);
/* Bytes not yet handed to the kernel. */
static inline size_t sg_outq_size(const sg_outq_t *q)
{
	return q->pending.len + q->inflight.len;
}

#endif
