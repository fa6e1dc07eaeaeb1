/* sql_arena.c — see sql_arena.h. */
#include <stdlib.h>
#include <string.h>

#include "sql_arena.h"

struct sql_arena_block {
	struct sql_arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

#define SQL_ARENA_BLOCK 8192

void *sql_arena_alloc(sql_arena_t *a, size_t n)
{
	struct sql_arena_block *b = a->head;
	size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	void *p;

	if (b == NULL || b->cap - b->used < need) {
		size_t cap = need > SQL_ARENA_BLOCK ? need : SQL_ARENA_BLOCK;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	memset(p, 0, n);
	return p;
}

char *sql_arena_strndup(sql_arena_t *a, const char *s, size_t n)
{
	char *p = sql_arena_alloc(a, n + 1);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void sql_arena_free(sql_arena_t *a)
{
	struct sql_arena_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}
