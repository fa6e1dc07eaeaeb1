#include "wbuf.h"

#include <stdlib.h>
#include <string.h>

void wbuf_init(wbuf_t *b)
{
	memset(b, 0, sizeof(*b));
}

void wbuf_free(wbuf_t *b)
{
	free(b->data);
	wbuf_init(b);
}

void wbuf_reset(wbuf_t *b)
{
	b->len = 0;
	b->oom = 0;
}

void wbuf_release(wbuf_t *b)
{
	if (b->len == 0)
		wbuf_free(b);
}

int wbuf_reserve(wbuf_t *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (b->oom)
		return SG_ENOMEM;
	if (extra > SIZE_MAX - b->len)
		goto fail;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->oom = 1;
	return SG_ENOMEM;
}

void wbuf_put(wbuf_t *b, const void *p, size_t n)
{
	if (n == 0 || wbuf_reserve(b, n) != 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void wbuf_put_u8(wbuf_t *b, uint8_t v)
{
	wbuf_put(b, &v, 1);
}

void wbuf_put_i16(wbuf_t *b, int16_t v)
{
	uint8_t x[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
	wbuf_put(b, x, 2);
}

void wbuf_put_i32(wbuf_t *b, int32_t v)
{
	uint32_t u = (uint32_t)v;
	uint8_t x[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
	wbuf_put(b, x, 4);
}

void wbuf_put_cstr(wbuf_t *b, const char *s)
{
	wbuf_put(b, s, strlen(s) + 1);
}

void wbuf_consume(wbuf_t *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

size_t wbuf_msg_begin(wbuf_t *b, uint8_t type)
{
	size_t mark;

	if (type != 0)
		wbuf_put_u8(b, type);
	mark = b->len;
	wbuf_put_i32(b, 0);
	return mark;
}

void wbuf_msg_end(wbuf_t *b, size_t mark)
{
	uint32_t n;

	if (b->oom || mark + 4 > b->len)
		return;
	n = (uint32_t)(b->len - mark);
	b->data[mark] = (uint8_t)(n >> 24);
	b->data[mark + 1] = (uint8_t)(n >> 16);
	b->data[mark + 2] = (uint8_t)(n >> 8);
	b->data[mark + 3] = (uint8_t)n;
}

#define WBUF_CACHE_MAX 64
static uint8_t *wbuf_cache[WBUF_CACHE_MAX];
static int wbuf_ncache;

void wbuf_take_cached(wbuf_t *b)
{
	if (b->data != NULL || wbuf_ncache == 0)
		return;
	b->data = wbuf_cache[--wbuf_ncache];
	b->cap = WBUF_CACHED_SIZE;
	b->len = 0;
	b->oom = 0;
}

void wbuf_recycle(wbuf_t *b)
{
	if (b->data != NULL && b->cap == WBUF_CACHED_SIZE && wbuf_ncache < WBUF_CACHE_MAX) {
		wbuf_cache[wbuf_ncache++] = b->data;
		wbuf_init(b);
		return;
	}
	wbuf_free(b);
}

void wbuf_cache_drain(void)
{
	while (wbuf_ncache > 0)
		free(wbuf_cache[--wbuf_ncache]);
}
