/* wbuf.h — a growable byte buffer with a sticky allocation error.
 *
 * Writers append without checking every call; the first failed allocation
 * sets `oom` and later appends become no-ops, so a writer checks once at
 * the end with wbuf_status(). The buffer owns `data`. */
#ifndef SG_WBUF_H
#define SG_WBUF_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

typedef struct wbuf {
	uint8_t *data; /* owned; NULL until first append */
	size_t len;    /* bytes in use */
	size_t cap;    /* bytes allocated */
	int oom;       /* sticky: an append failed */
} wbuf_t;

void wbuf_init(wbuf_t *b);
void wbuf_free(wbuf_t *b);
/* wbuf_reset empties the buffer and clears `oom`, keeping the allocation. */
void wbuf_reset(wbuf_t *b);
/* wbuf_release frees the allocation if the buffer is empty (idle memory). */
void wbuf_release(wbuf_t *b);
int wbuf_reserve(wbuf_t *b, size_t extra) SG_WUR;
void wbuf_put(wbuf_t *b, const void *p, size_t n);
void wbuf_put_u8(wbuf_t *b, uint8_t v);
void wbuf_put_i16(wbuf_t *b, int16_t v);      /* network byte order */
void wbuf_put_i32(wbuf_t *b, int32_t v);      /* network byte order */
void wbuf_put_cstr(wbuf_t *b, const char *s); /* includes the NUL */
/* wbuf_consume drops the first n bytes. */
void wbuf_consume(wbuf_t *b, size_t n);
/* Message framing: begin writes the type byte (if type != 0) and a length
 * placeholder and returns the placeholder's offset; end patches it. */
size_t wbuf_msg_begin(wbuf_t *b, uint8_t type);
void wbuf_msg_end(wbuf_t *b, size_t mark);
/* Read buffers of busy connections are recycled through a small
 * process-wide cache instead of malloc/free per transaction (an idle
 * connection still holds none). The event loop is single-threaded. */
#define WBUF_CACHED_SIZE 16384
/* Gives b (empty, unallocated) a cached WBUF_CACHED_SIZE buffer if any. */
void wbuf_take_cached(wbuf_t *b);
/* Frees b's allocation, keeping it in the cache when it is the cached size. */
void wbuf_recycle(wbuf_t *b);
/* Frees every cached buffer (at exit). */
void wbuf_cache_drain(void);

/* wbuf_status returns 0, or SG_ENOMEM if any append failed since reset. */
static inline int wbuf_status(const wbuf_t *b)
{
	return b->oom ? SG_ENOMEM : 0;
}

#endif
