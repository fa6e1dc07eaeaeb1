#include "prepared.h"
#include "sqltext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The intern table is process-wide: the event loop is single-threaded. */
#define PSTMT_BUCKETS 4096
static sg_pstmt_t *pstmt_table[PSTMT_BUCKETS];
static size_t pstmt_live;
static uint32_t pstmt_epoch;

uint64_t sg_pstmt_content_hash(const wire_parse_msg_t *m)
{
	/* FNV-1a over the text and the type OIDs, then a final mix so the
	 * bucket index uses well-spread bits. */
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)m->query; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (i = 0; i < (size_t)m->nparams * 4; i++)
		h = (h ^ m->param_types[i]) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static bool pstmt_equal(const sg_pstmt_t *st, const wire_parse_msg_t *m)
{
	if (st->nparams != m->nparams || strcmp(st->query, m->query) != 0)
		return false;
	return m->nparams == 0 || memcmp(st->types, m->param_types, (size_t)m->nparams * 4) == 0;
}

sg_pstmt_t *sg_pstmt_intern(const wire_parse_msg_t *m)
{
	uint64_t h = sg_pstmt_content_hash(m);
	sg_pstmt_t *st;
	size_t b;

	/* Two different texts with one hash would share a backend name; on
	 * that (astronomically rare) collision perturb the hash until free. */
	for (;;) {
		b = h % PSTMT_BUCKETS;
		for (st = pstmt_table[b]; st != NULL; st = st->next)
			if (st->hash == h)
				break;
		if (st == NULL)
			break;
		if (pstmt_equal(st, m)) {
			st->refs++;
			return st;
		}
		h++;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->query = strdup(m->query);
	st->types = m->nparams > 0 ? malloc((size_t)m->nparams * 4) : NULL;
	if (st->query == NULL || (m->nparams > 0 && st->types == NULL)) {
		free(st->query);
		free(st->types);
		free(st);
		return NULL;
	}
	if (m->nparams > 0)
		memcpy(st->types, m->param_types, (size_t)m->nparams * 4);
	st->nparams = m->nparams;
	st->is_set = sql_is_session_set(st->query);
	st->hash = h;
	sg_pstmt_key_name(h, st->gname);
	st->kkey_epoch = UINT32_MAX; /* computed by the first sg_pstmt_kept_key */
	st->refs = 1;
	st->next = pstmt_table[b];
	pstmt_table[b] = st;
	pstmt_live++;
	return st;
}

void sg_pstmt_unref(sg_pstmt_t *st)
{
	sg_pstmt_t **pp;

	if (st == NULL || --st->refs > 0)
		return;
	/* Backends that parsed it keep it until they close; a later intern of
	 * the same text gets the same name back, so that is harmless. */
	for (pp = &pstmt_table[st->hash % PSTMT_BUCKETS]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	}
	pstmt_live--;
	free(st->query);
	free(st->types);
	free(st);
}

size_t sg_pstmt_count(void)
{
	return pstmt_live;
}

void sg_pstmt_key_name(uint64_t key, char name[20])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	/* On the hot path (every Bind of a translated statement): no printf. */
	memcpy(name, "sg_", 3);
	for (i = 0; i < 16; i++)
		name[3 + i] = hex[(key >> (60 - 4 * i)) & 0xf];
	name[19] = '\0';
}

uint64_t sg_pstmt_kept_key_of(uint64_t hash)
{
	/* Mixed with the epoch (plus one, so that epoch 0 differs from the
	 * content hash a named use of the same text has) and finalised again. */
	uint64_t k = hash ^ (((uint64_t)pstmt_epoch + 1) * 0x9E3779B97F4A7C15ULL);

	k ^= k >> 31;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 29;
	return k ? k : 1; /* 0 means "no statement" in the server's op queue */
}

uint64_t sg_pstmt_kept_key(sg_pstmt_t *st)
{
	uint64_t k;

	if (st->kkey_epoch == pstmt_epoch)
		return st->kkey;
	k = sg_pstmt_kept_key_of(st->hash);
	st->kkey = k;
	st->kkey_epoch = pstmt_epoch;
	return k;
}

void sg_pstmt_epoch_bump(void)
{
	pstmt_epoch++;
	if (pstmt_epoch == UINT32_MAX)
		pstmt_epoch = 0; /* UINT32_MAX marks "never computed" */
}

uint32_t sg_pstmt_epoch(void)
{
	return pstmt_epoch;
}

static sg_pmap_entry_t *pmap_find(const sg_pmap_t *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->items[i].name, name) == 0)
			return &m->items[i];
	return NULL;
}

int sg_pmap_put(sg_pmap_t *m, const char *name, sg_pstmt_t *st)
{
	sg_pmap_entry_t *e = pmap_find(m, name);
	sg_pmap_entry_t *items;
	char *copy;

	if (e != NULL) {
		sg_pstmt_unref(e->st);
		e->st = st;
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		items = realloc(m->items, cap * sizeof(*items));
		if (items == NULL)
			goto fail;
		m->items = items;
		m->cap = cap;
	}
	copy = strdup(name);
	if (copy == NULL)
		goto fail;
	m->items[m->n].name = copy;
	m->items[m->n].st = st;
	m->n++;
	return 0;
fail:
	sg_pstmt_unref(st);
	return SG_ENOMEM;
}

sg_pstmt_t *sg_pmap_get(const sg_pmap_t *m, const char *name)
{
	sg_pmap_entry_t *e = pmap_find(m, name);

	return e ? e->st : NULL;
}

void sg_pmap_del(sg_pmap_t *m, const char *name)
{
	sg_pmap_entry_t *e = pmap_find(m, name);

	if (e == NULL)
		return;
	free(e->name);
	sg_pstmt_unref(e->st);
	*e = m->items[--m->n];
}

void sg_pmap_free(sg_pmap_t *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->items[i].name);
		sg_pstmt_unref(m->items[i].st);
	}
	free(m->items);
	memset(m, 0, sizeof(*m));
}

static sg_pset_entry_t *pset_find(const sg_pset_t *s, uint64_t h)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].key == h)
			return &s->e[i];
	return NULL;
}

bool sg_pset_has(const sg_pset_t *s, uint64_t h)
{
	return pset_find(s, h) != NULL;
}

bool sg_pset_use(sg_pset_t *s, uint64_t h)
{
	sg_pset_entry_t *e = pset_find(s, h);

	if (e == NULL)
		return false;
	e->used = ++s->clock;
	return true;
}

int sg_pset_add(sg_pset_t *s, uint64_t h)
{
	sg_pset_entry_t *p;

	if (sg_pset_use(s, h))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		p = realloc(s->e, cap * sizeof(*p));
		if (p == NULL)
			return SG_ENOMEM;
		s->e = p;
		s->cap = cap;
	}
	s->e[s->n].key = h;
	s->e[s->n].used = ++s->clock;
	s->n++;
	return 0;
}

void sg_pset_del(sg_pset_t *s, uint64_t h)
{
	sg_pset_entry_t *e = pset_find(s, h);

	if (e != NULL)
		*e = s->e[--s->n];
}

uint64_t sg_pset_lru(const sg_pset_t *s, uint64_t before)
{
	const sg_pset_entry_t *best = NULL;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].used < before && (best == NULL || s->e[i].used < best->used))
			best = &s->e[i];
	return best ? best->key : 0;
}

void sg_pset_free(sg_pset_t *s)
{
	uint64_t clock = s->clock; /* ticks never go back: callers keep them */

	free(s->e);
	memset(s, 0, sizeof(*s));
	s->clock = clock;
}
