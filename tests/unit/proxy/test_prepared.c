/* test_prepared.c — the prepared statement intern table, the client-side
 * name map and the server-side set. The intern table is process-wide,
 * so every test gives back all its references and checks the live count
 * is zero again (ASan's leak check covers what the count cannot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prepared.h"

static const uint8_t type_int4[4] = {0, 0, 0, 23};
static const uint8_t type_text[4] = {0, 0, 0, 25};
static const uint8_t type_unspecified[4] = {0, 0, 0, 0};

static wire_parse_msg_t msg(const char *stmt, const char *query, uint16_t nparams, const uint8_t *types)
{
	wire_parse_msg_t m = {.stmt = stmt, .query = query, .nparams = nparams, .param_types = types};

	return m;
}

static sg_pstmt_t *intern(const char *query, uint16_t nparams, const uint8_t *types)
{
	wire_parse_msg_t m = msg("", query, nparams, types);
	sg_pstmt_t *st = sg_pstmt_intern(&m);

	assert_non_null(st);
	return st;
}

static void assert_gname_format(const sg_pstmt_t *st)
{
	char want[32];
	size_t i;

	assert_int_equal(strlen(st->gname), 19);
	assert_memory_equal(st->gname, "sg_", 3);
	for (i = 3; i < 19; i++)
		if (!((st->gname[i] >= '0' && st->gname[i] <= '9') ||
		      (st->gname[i] >= 'a' && st->gname[i] <= 'f')))
			fail_msg("gname \"%s\" has a non-hex digit at %zu", st->gname, i);
	snprintf(want, sizeof(want), "sg_%016llx", (unsigned long long)st->hash);
	assert_string_equal(st->gname, want);
}

/* ---- intern ---- */

static void test_intern_dedupe(void **state)
{
	char text[] = "SELECT * FROM t WHERE id = $1";
	char text2[] = "SELECT * FROM t WHERE id = $1";
	wire_parse_msg_t m1 = msg("a", text, 1, type_int4);
	wire_parse_msg_t m2 = msg("b", text2, 1, type_int4);
	sg_pstmt_t *st1, *st2;

	(void)state;
	assert_int_equal(sg_pstmt_count(), 0);
	st1 = sg_pstmt_intern(&m1);
	assert_non_null(st1);
	assert_int_equal(st1->refs, 1);
	assert_int_equal(st1->nparams, 1);
	assert_string_equal(st1->query, text);
	assert_ptr_not_equal(st1->query, text);
	assert_non_null(st1->types);
	assert_ptr_not_equal(st1->types, type_int4);
	assert_memory_equal(st1->types, type_int4, 4);
	assert_int_equal(sg_pstmt_count(), 1);

	/* Same text and types under another client name, from another
	 * buffer: the same object, one more reference. */
	st2 = sg_pstmt_intern(&m2);
	assert_ptr_equal(st2, st1);
	assert_int_equal(st1->refs, 2);
	assert_int_equal(sg_pstmt_count(), 1);

	/* The text was copied: changing the message buffer changes nothing. */
	text[0] = 'X';
	assert_string_equal(st1->query, "SELECT * FROM t WHERE id = $1");

	sg_pstmt_unref(st2);
	assert_int_equal(st1->refs, 1);
	assert_int_equal(sg_pstmt_count(), 1);
	sg_pstmt_unref(st1);
	assert_int_equal(sg_pstmt_count(), 0);
}

static void test_intern_types_distinguish(void **state)
{
	sg_pstmt_t *a, *b, *c, *d, *e, *a2;

	(void)state;
	a = intern("SELECT $1", 1, type_int4);
	b = intern("SELECT $1", 1, type_text);
	c = intern("SELECT $1", 1, type_unspecified);
	d = intern("SELECT $1", 0, NULL);
	e = intern("SELECT $1 ", 1, type_int4);
	assert_ptr_not_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_ptr_not_equal(a, d);
	assert_ptr_not_equal(a, e);
	assert_ptr_not_equal(b, c);
	assert_ptr_not_equal(c, d);
	assert_string_not_equal(a->gname, b->gname);
	assert_string_not_equal(a->gname, c->gname);
	assert_string_not_equal(c->gname, d->gname);
	assert_string_not_equal(a->gname, e->gname);
	assert_int_equal(d->nparams, 0);
	assert_null(d->types);
	assert_int_equal(sg_pstmt_count(), 5);

	a2 = intern("SELECT $1", 1, type_int4);
	assert_ptr_equal(a2, a);
	assert_int_equal(a->refs, 2);
	assert_int_equal(b->refs, 1);
	assert_int_equal(sg_pstmt_count(), 5);

	sg_pstmt_unref(a);
	sg_pstmt_unref(a2);
	sg_pstmt_unref(b);
	sg_pstmt_unref(c);
	sg_pstmt_unref(d);
	sg_pstmt_unref(e);
	assert_int_equal(sg_pstmt_count(), 0);
}

static void test_intern_multiple_types(void **state)
{
	uint8_t t1[12] = {0, 0, 0, 23, 0, 0, 0, 25, 0, 0, 0, 16};
	uint8_t t2[12] = {0, 0, 0, 23, 0, 0, 0, 25, 0, 0, 0, 16};
	sg_pstmt_t *a, *b, *c;

	(void)state;
	a = intern("INSERT INTO t VALUES ($1, $2, $3)", 3, t1);
	b = intern("INSERT INTO t VALUES ($1, $2, $3)", 3, t2);
	assert_ptr_equal(a, b);
	assert_memory_equal(a->types, t1, 12);
	/* Only the last type differs. */
	t2[11] = 17;
	c = intern("INSERT INTO t VALUES ($1, $2, $3)", 3, t2);
	assert_ptr_not_equal(c, a);
	assert_memory_equal(c->types, t2, 12);
	assert_memory_equal(a->types, t1, 12);
	sg_pstmt_unref(a);
	sg_pstmt_unref(b);
	sg_pstmt_unref(c);
	assert_int_equal(sg_pstmt_count(), 0);
}

static void test_gname_format(void **state)
{
	sg_pstmt_t *a, *b;
	char name[20];

	(void)state;
	a = intern("SELECT 1", 0, NULL);
	b = intern("SELECT $1", 1, type_int4);
	assert_gname_format(a);
	assert_gname_format(b);
	/* FNV-1a over text, 0xff, types, then the 64-bit finaliser, computed
	 * independently: names must not change between runs. */
	assert_string_equal(a->gname, "sg_bea511eaeb8b98d2");
	assert_int_equal(a->hash, 0xbea511eaeb8b98d2ULL);
	assert_string_equal(b->gname, "sg_9f3aea0f327d2e2e");

	/* Freed and interned again: the same backend name comes back (a
	 * backend that parsed it may still have it). */
	strcpy(name, a->gname);
	sg_pstmt_unref(a);
	assert_int_equal(sg_pstmt_count(), 1);
	a = intern("SELECT 1", 0, NULL);
	assert_string_equal(a->gname, name);
	assert_int_equal(a->refs, 1);
	sg_pstmt_unref(a);
	sg_pstmt_unref(b);
	assert_int_equal(sg_pstmt_count(), 0);
}

static void test_unref_frees_at_zero(void **state)
{
	sg_pstmt_t *st, *again;

	(void)state;
	sg_pstmt_unref(NULL); /* allowed: a map slot that never got one */
	st = intern("SELECT now()", 0, NULL);
	assert_ptr_equal(intern("SELECT now()", 0, NULL), st);
	assert_ptr_equal(intern("SELECT now()", 0, NULL), st);
	assert_int_equal(st->refs, 3);
	sg_pstmt_unref(st);
	sg_pstmt_unref(st);
	assert_int_equal(st->refs, 1);
	assert_int_equal(sg_pstmt_count(), 1);
	sg_pstmt_unref(st); /* freed here; ASan reports any later use */
	assert_int_equal(sg_pstmt_count(), 0);

	again = intern("SELECT now()", 0, NULL);
	assert_int_equal(again->refs, 1);
	assert_int_equal(sg_pstmt_count(), 1);
	sg_pstmt_unref(again);
	assert_int_equal(sg_pstmt_count(), 0);
}

/* Two statements in one hash bucket: freeing either leaves the other
 * reachable. The hash is deterministic, so searching for a bucket
 * collision gives the same pair on every run. */
static void test_unref_shared_bucket(void **state)
{
	enum { N = 4200 }; /* more than the 4096 buckets: a collision exists */
	static sg_pstmt_t *sts[N];
	char q[32];
	size_t i, j, first = 0, second = 0;
	bool found = false;

	(void)state;
	for (i = 0; i < N && !found; i++) {
		snprintf(q, sizeof(q), "SELECT %zu", i);
		sts[i] = intern(q, 0, NULL);
		for (j = 0; j < i; j++) {
			if (sts[j]->hash % 4096 == sts[i]->hash % 4096) {
				first = j;
				second = i;
				found = true;
				break;
			}
		}
	}
	assert_true(found);
	/* Everything but the colliding pair goes back. */
	for (j = 0; j <= second; j++)
		if (j != first && j != second)
			sg_pstmt_unref(sts[j]);
	assert_int_equal(sg_pstmt_count(), 2);

	/* The first one sits deeper in the chain; drop it, then find the
	 * second again, and the other way round. */
	sg_pstmt_unref(sts[first]);
	snprintf(q, sizeof(q), "SELECT %zu", second);
	assert_ptr_equal(intern(q, 0, NULL), sts[second]);
	assert_int_equal(sts[second]->refs, 2);
	snprintf(q, sizeof(q), "SELECT %zu", first);
	sts[first] = intern(q, 0, NULL);
	assert_int_equal(sts[first]->refs, 1);
	assert_int_equal(sg_pstmt_count(), 2);
	sg_pstmt_unref(sts[second]);
	sg_pstmt_unref(sts[second]);
	assert_int_equal(sg_pstmt_count(), 1);
	assert_ptr_equal(intern(q, 0, NULL), sts[first]);
	sg_pstmt_unref(sts[first]);
	sg_pstmt_unref(sts[first]);
	assert_int_equal(sg_pstmt_count(), 0);
}

/* ---- 65535 parameters (the most a Parse can declare) ---- */

/* n distinct big-endian OIDs using all four bytes, exact-size heap block. */
static uint8_t *oids_make(size_t n)
{
	uint8_t *t = malloc(n * 4);
	uint32_t v;

	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		v = (uint32_t)i * 2654435761u + 1;
		t[4 * i] = (uint8_t)(v >> 24);
		t[4 * i + 1] = (uint8_t)(v >> 16);
		t[4 * i + 2] = (uint8_t)(v >> 8);
		t[4 * i + 3] = (uint8_t)v;
	}
	return t;
}

/* Writes a Parse and parses it back from b, as the relay sees it. */
static wire_parse_msg_t parse_via_wire(wbuf_t *b, const char *stmt, const char *query, uint16_t n,
                                       const uint8_t *types)
{
	wire_parse_msg_t m;
	wire_frame_t f;

	wbuf_reset(b);
	assert_int_equal(wire_write_parse(b, stmt, query, n, types), 0);
	assert_int_equal(wire_frame_read(b->data, b->len, 1u << 20, &f), 0);
	assert_int_equal(wire_parse_parse(&f, &m), 0);
	assert_int_equal(m.nparams, n);
	return m;
}

static void test_intern_max_params(void **state)
{
	const char *q = "INSERT INTO t VALUES ($1, ..., $65535)";
	uint8_t *oids = oids_make(65535), *oids2 = oids_make(65535);
	wire_parse_msg_t m, m2;
	sg_pstmt_t *a, *a2, *c, *d;
	wbuf_t b, b2, out;

	(void)state;
	wbuf_init(&b);
	wbuf_init(&b2);
	wbuf_init(&out);
	m = parse_via_wire(&b, "s1", q, 65535, oids);
	a = sg_pstmt_intern(&m);
	assert_non_null(a);
	assert_int_equal(a->nparams, 65535);
	assert_string_equal(a->query, q);
	assert_ptr_not_equal(a->types, m.param_types);
	assert_memory_equal(a->types, oids, (size_t)65535 * 4);
	assert_gname_format(a);
	/* FNV-1a over text, 0xff and all 262140 type bytes, then the
	 * finaliser, computed independently. */
	assert_string_equal(a->gname, "sg_ede8c23d78d2dc1f");

	/* Another client, another buffer, same statement: shared. */
	m2 = parse_via_wire(&b2, "other", q, 65535, oids2);
	a2 = sg_pstmt_intern(&m2);
	assert_ptr_equal(a2, a);
	assert_int_equal(a->refs, 2);

	/* Only the last of 65535 types differs; or only the count (32768,
	 * which a signed 16-bit count would have read as negative). */
	oids2[65535 * 4 - 1] ^= 1;
	m2 = parse_via_wire(&b2, "other", q, 65535, oids2);
	c = sg_pstmt_intern(&m2);
	assert_ptr_not_equal(c, a);
	assert_memory_equal(c->types, oids2, (size_t)65535 * 4);
	m2 = parse_via_wire(&b2, "other", q, 32768, oids);
	d = sg_pstmt_intern(&m2);
	assert_ptr_not_equal(d, a);
	assert_ptr_not_equal(d, c);
	assert_int_equal(d->nparams, 32768);
	assert_memory_equal(d->types, oids, (size_t)32768 * 4);
	assert_int_equal(sg_pstmt_count(), 3);

	/* The Parse injected on a backend that lacks it carries all 65535. */
	m = parse_via_wire(&out, a->gname, a->query, a->nparams, a->types);
	assert_string_equal(m.stmt, a->gname);
	assert_string_equal(m.query, q);
	assert_memory_equal(m.param_types, oids, (size_t)65535 * 4);
	assert_int_equal(out.len, 5 + strlen(a->gname) + 1 + strlen(q) + 1 + 2 + (size_t)65535 * 4);

	sg_pstmt_unref(a);
	sg_pstmt_unref(a2);
	sg_pstmt_unref(c);
	sg_pstmt_unref(d);
	assert_int_equal(sg_pstmt_count(), 0);
	free(oids);
	free(oids2);
	wbuf_free(&b);
	wbuf_free(&b2);
	wbuf_free(&out);
}

/* ---- sg_pmap ---- */

static void test_pmap_put_get_replace_del(void **state)
{
	sg_pmap_t m = {0};
	sg_pstmt_t *s1, *s2;
	char name[] = "stmt_a";

	(void)state;
	s1 = intern("SELECT 1", 0, NULL);
	s2 = intern("SELECT 2", 0, NULL);
	assert_int_equal(sg_pmap_put(&m, name, s1), 0); /* takes s1's reference */
	assert_int_equal(sg_pmap_put(&m, "stmt_b", s2), 0);
	assert_int_equal(m.n, 2);
	assert_ptr_equal(sg_pmap_get(&m, "stmt_a"), s1);
	assert_ptr_equal(sg_pmap_get(&m, "stmt_b"), s2);
	assert_null(sg_pmap_get(&m, "stmt_c"));
	assert_null(sg_pmap_get(&m, "STMT_A")); /* statement names are case-sensitive */
	assert_null(sg_pmap_get(&m, ""));
	/* The name was copied. */
	name[0] = 'X';
	assert_ptr_equal(sg_pmap_get(&m, "stmt_a"), s1);
	assert_null(sg_pmap_get(&m, name));

	/* Replacing gives back the old reference: s1 is freed (refs 1 -> 0). */
	s2->refs++; /* hold an extra reference to watch the count */
	assert_int_equal(sg_pmap_put(&m, "stmt_a", s2), 0);
	assert_int_equal(m.n, 2);
	assert_ptr_equal(sg_pmap_get(&m, "stmt_a"), s2);
	assert_int_equal(s2->refs, 2);
	assert_int_equal(sg_pstmt_count(), 1);

	sg_pmap_del(&m, "stmt_b");
	assert_int_equal(m.n, 1);
	assert_null(sg_pmap_get(&m, "stmt_b"));
	assert_ptr_equal(sg_pmap_get(&m, "stmt_a"), s2);
	assert_int_equal(s2->refs, 1);
	sg_pmap_del(&m, "stmt_b"); /* already gone: no-op */
	sg_pmap_del(&m, "nothing");
	assert_int_equal(m.n, 1);
	assert_int_equal(s2->refs, 1);

	sg_pmap_del(&m, "stmt_a");
	assert_int_equal(m.n, 0);
	assert_int_equal(sg_pstmt_count(), 0);
	sg_pmap_free(&m);
	assert_null(m.items);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.cap, 0);
}

static void test_pmap_replace_same_statement(void **state)
{
	sg_pmap_t m = {0};
	sg_pstmt_t *st;

	(void)state;
	/* The unnamed statement parsed twice with the same text: the second
	 * intern returns the same object, and the map keeps one reference. */
	st = intern("SELECT 1", 0, NULL);
	assert_int_equal(sg_pmap_put(&m, "", st), 0);
	st = intern("SELECT 1", 0, NULL);
	assert_int_equal(st->refs, 2);
	assert_int_equal(sg_pmap_put(&m, "", st), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(st->refs, 1);
	assert_int_equal(sg_pstmt_count(), 1);
	sg_pmap_free(&m);
	assert_int_equal(sg_pstmt_count(), 0);
}

static void test_pmap_grow_and_free(void **state)
{
	sg_pmap_t m = {0};
	sg_pstmt_t *shared;
	char name[16];
	size_t i;

	(void)state;
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		if (i % 2 == 0)
			shared = intern("SELECT shared", 0, NULL);
		else
			shared = intern(name, 0, NULL); /* a statement of its own */
		assert_int_equal(sg_pmap_put(&m, name, shared), 0);
	}
	assert_int_equal(m.n, 40);
	assert_true(m.cap >= 40);
	/* 20 entries share one statement, 20 have their own. */
	assert_int_equal(sg_pstmt_count(), 21);
	assert_int_equal(sg_pmap_get(&m, "p0")->refs, 20);
	assert_string_equal(sg_pmap_get(&m, "p39")->query, "p39");
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		assert_non_null(sg_pmap_get(&m, name));
	}
	/* Deleting from the middle keeps every other mapping. */
	sg_pmap_del(&m, "p10");
	sg_pmap_del(&m, "p11");
	assert_int_equal(m.n, 38);
	assert_null(sg_pmap_get(&m, "p10"));
	assert_null(sg_pmap_get(&m, "p11"));
	assert_string_equal(sg_pmap_get(&m, "p13")->query, "p13");
	assert_string_equal(sg_pmap_get(&m, "p39")->query, "p39");
	assert_int_equal(sg_pmap_get(&m, "p0")->refs, 19);
	assert_int_equal(sg_pstmt_count(), 20);

	sg_pmap_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.items);
	assert_int_equal(sg_pstmt_count(), 0);
	sg_pmap_free(&m); /* a freed map is an empty map */
}

/* ---- sg_pset ---- */

static void test_pset(void **state)
{
	sg_pset_t s = {0};
	uint64_t i;

	(void)state;
	assert_false(sg_pset_has(&s, 1));
	assert_int_equal(sg_pset_add(&s, 0x1111), 0);
	assert_int_equal(sg_pset_add(&s, 0x2222), 0);
	assert_int_equal(s.n, 2);
	assert_true(sg_pset_has(&s, 0x1111));
	assert_true(sg_pset_has(&s, 0x2222));
	assert_false(sg_pset_has(&s, 0x3333));

	/* A second add is a no-op. */
	assert_int_equal(sg_pset_add(&s, 0x1111), 0);
	assert_int_equal(s.n, 2);

	sg_pset_del(&s, 0x1111);
	assert_int_equal(s.n, 1);
	assert_false(sg_pset_has(&s, 0x1111));
	assert_true(sg_pset_has(&s, 0x2222));
	sg_pset_del(&s, 0x1111); /* absent: no-op */
	sg_pset_del(&s, 0x9999);
	assert_int_equal(s.n, 1);

	/* Grow past the first allocation. */
	for (i = 1; i <= 100; i++)
		assert_int_equal(sg_pset_add(&s, i << 32), 0);
	assert_int_equal(s.n, 101);
	for (i = 1; i <= 100; i++)
		assert_true(sg_pset_has(&s, i << 32));
	assert_false(sg_pset_has(&s, 101ULL << 32));
	for (i = 1; i <= 100; i += 2)
		sg_pset_del(&s, i << 32);
	assert_int_equal(s.n, 51);
	for (i = 1; i <= 100; i++)
		assert_int_equal(sg_pset_has(&s, i << 32), i % 2 == 0);
	assert_true(sg_pset_has(&s, 0x2222));

	sg_pset_free(&s);
	assert_null(s.e);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.cap, 0);
	assert_false(sg_pset_has(&s, 0x2222));
	assert_int_equal(sg_pset_add(&s, 7), 0); /* usable again after free */
	assert_true(sg_pset_has(&s, 7));
	sg_pset_free(&s);
}

/* The server set holds statement hashes: interned statements go in by
 * st->hash and come out again when dropped. */
static void test_pset_with_statements(void **state)
{
	sg_pset_t s = {0};
	sg_pstmt_t *a = intern("SELECT 1", 0, NULL), *b = intern("SELECT 2", 0, NULL);

	(void)state;
	assert_int_equal(sg_pset_add(&s, a->hash), 0);
	assert_true(sg_pset_has(&s, a->hash));
	assert_false(sg_pset_has(&s, b->hash));
	sg_pset_free(&s);
	sg_pstmt_unref(a);
	sg_pstmt_unref(b);
	assert_int_equal(sg_pstmt_count(), 0);
}

/* The least recently used key goes first; keys used since `before`
 * (this batch) are never offered. */
static void test_pset_lru(void **state)
{
	sg_pset_t s = {0};
	uint64_t batch;

	(void)state;
	assert_int_equal(sg_pset_lru(&s, UINT64_MAX), 0); /* empty */
	assert_int_equal(sg_pset_add(&s, 0xa), 0);
	assert_int_equal(sg_pset_add(&s, 0xb), 0);
	assert_int_equal(sg_pset_add(&s, 0xc), 0);
	assert_int_equal(sg_pset_lru(&s, UINT64_MAX), 0xa);
	assert_true(sg_pset_use(&s, 0xa));
	assert_false(sg_pset_use(&s, 0xd));
	assert_int_equal(sg_pset_lru(&s, UINT64_MAX), 0xb);
	/* A re-add counts as a use. */
	assert_int_equal(sg_pset_add(&s, 0xb), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(sg_pset_lru(&s, UINT64_MAX), 0xc);

	/* A batch starts: everything used from here on is protected. */
	batch = s.clock + 1;
	assert_true(sg_pset_use(&s, 0xc));
	assert_int_equal(sg_pset_lru(&s, batch), 0xa);
	assert_true(sg_pset_use(&s, 0xa));
	assert_true(sg_pset_use(&s, 0xb));
	assert_int_equal(sg_pset_lru(&s, batch), 0); /* all used by this batch */

	/* Deleting keeps the others' order. */
	sg_pset_del(&s, 0xc);
	assert_int_equal(sg_pset_lru(&s, UINT64_MAX), 0xa);
	/* Ticks survive a free: a batch started before it stays protected. */
	batch = s.clock + 1;
	sg_pset_free(&s);
	assert_int_equal(sg_pset_add(&s, 0xe), 0);
	assert_int_equal(sg_pset_lru(&s, batch), 0);
	assert_int_equal(sg_pset_lru(&s, UINT64_MAX), 0xe);
	sg_pset_free(&s);
}

/* A kept statement's key differs from its content hash (the name a
 * named use of the same text gets); each schema epoch gives every kept
 * statement a new key and name, the same for every holder, while the
 * named identity never changes. */
static void test_key_epochs(void **state)
{
	sg_pstmt_t *a = intern("SELECT 1", 0, NULL), *b = intern("SELECT 2", 0, NULL);
	uint64_t ka, kb, ka2, kb2;
	char name[20], first[20], named[20], kname[20];

	(void)state;
	strcpy(named, a->gname);
	ka = sg_pstmt_kept_key(a);
	kb = sg_pstmt_kept_key(b);
	assert_true(ka != 0 && kb != 0 && ka != kb);
	assert_true(ka != a->hash && kb != b->hash);
	sg_pstmt_key_name(ka, kname);
	sg_pstmt_key_name(a->hash, name);
	assert_string_equal(name, a->gname);
	assert_string_not_equal(kname, a->gname);
	strcpy(first, kname);

	sg_pstmt_epoch_bump();
	ka2 = sg_pstmt_kept_key(a);
	kb2 = sg_pstmt_kept_key(b);
	assert_true(ka2 != ka && kb2 != kb && ka2 != kb2);
	sg_pstmt_key_name(ka2, kname);
	assert_string_not_equal(kname, first);
	assert_int_equal(strlen(kname), 19);
	assert_int_equal(strncmp(kname, "sg_", 3), 0);
	assert_int_equal(sg_pstmt_kept_key(a), ka2); /* stable within an epoch */
	assert_string_equal(a->gname, named);        /* named identity unchanged */

	/* A statement interned after the bump gets this epoch's key at once. */
	sg_pstmt_unref(a);
	a = intern("SELECT 1", 0, NULL);
	assert_int_equal(sg_pstmt_kept_key(a), ka2);
	assert_string_equal(a->gname, named);
	sg_pstmt_unref(a);
	sg_pstmt_unref(b);
	assert_int_equal(sg_pstmt_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_intern_dedupe),
	        cmocka_unit_test(test_intern_types_distinguish),
	        cmocka_unit_test(test_intern_multiple_types),
	        cmocka_unit_test(test_gname_format),
	        cmocka_unit_test(test_unref_frees_at_zero),
	        cmocka_unit_test(test_unref_shared_bucket),
	        cmocka_unit_test(test_intern_max_params),
	        cmocka_unit_test(test_pmap_put_get_replace_del),
	        cmocka_unit_test(test_pmap_replace_same_statement),
	        cmocka_unit_test(test_pmap_grow_and_free),
	        cmocka_unit_test(test_pset),
	        cmocka_unit_test(test_pset_with_statements),
	        cmocka_unit_test(test_pset_lru),
	        cmocka_unit_test(test_key_epochs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
