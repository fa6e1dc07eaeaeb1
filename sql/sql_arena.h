/* sql_arena.h — a bump allocator for the temporaries of one SQL call.
 *
 * The analyzer (analyze.c) and the merge planner (merge_plan*.c) each own
 * one arena per call: everything allocated from it is zeroed, aligned for
 * any type, and freed together by sql_arena_free(). A zeroed sql_arena_t
 * is an empty arena. */
#ifndef SG_SQL_ARENA_H
#define SG_SQL_ARENA_H

#include <stddef.h>

typedef struct sql_arena {
	struct sql_arena_block *head;
} sql_arena_t;

/* n zeroed bytes, or NULL on ENOMEM. */
void *sql_arena_alloc(sql_arena_t *a, size_t n);
/* A NUL-terminated copy of s[0..n), or NULL on ENOMEM. */
char *sql_arena_strndup(sql_arena_t *a, const char *s, size_t n);
/* Frees every block; the arena is empty again. */
void sql_arena_free(sql_arena_t *a);

#endif
