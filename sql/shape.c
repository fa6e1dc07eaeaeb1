/* shape.c — the shaper behind sql_shape_of (see shape.h).
 *
 * Two passes over the text. The first (shape_lex.c) splits it into tokens
 * following PostgreSQL's lexical rules, with the whitespace and comments
 * between them reduced to a "gap" flag. The second, here, writes `norm`:
 * tokens verbatim, one space per gap, and a $n in place of each literal
 * that stands where a parameter may stand. It needs the highest $n of the
 * whole text before it numbers anything, hence two passes.
 *
 * What makes a replacement safe is the token before the literal: an
 * operator, '(', ',', '[' or ':' (array slices), or a key word after which
 * any expression may follow (AND, THEN, LIMIT, ...). After any other word
 * the literal is part of the grammar (interval '3 days', LIKE 'x%',
 * ZONE 'UTC') and stays. Inside type modifiers (varchar(20), and after
 * EXTRACT( and CURRENT_TIMESTAMP( ) the grammar wants a bare constant,
 * and in ORDER BY / GROUP BY / DISTINCT ON lists a bare number is a
 * column position, so those stay too. Statements made of options rather
 * than expressions (SET, COPY, DDL, ...) are left alone entirely.
 *
 * A '-' in such a place is a sign, and PostgreSQL's grammar folds it into
 * the number after it (-5 is one constant, not minus 5): the shape pass
 * folds it too, so one parameter carries "-5" and the router sees the
 * constant. A '+' sign is folded the same way (value without it). Where
 * a literal stays, a signed number stays whole.
 *
 * Literal values are decoded as the lexer reads them, which assumes
 * standard_conforming_strings = on (see shape_lex.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "shape.h"
#include "shape_lex.h"

/* Past this a text is not normalised: offsets are ints. */
#define SHAPE_MAX_TEXT (1 << 30)

/* ---- the shaper: writes norm ---- */

typedef struct shaper {
	const char *s;
	const shape_lex_tok_t *toks;
	shape_lex_buf_t out;
	sql_lit_t *lits;
	size_t nlits, cap;
	int base;
	int depth;
	int keep_depth; /* inside a type modifier or EXTRACT(): literals stay; -1 if not */
	int list_depth; /* depth of an ORDER BY/GROUP BY/DISTINCT ON list; -1 if none */
} shaper_t;

static bool word_is(const char *s, const shape_lex_tok_t *t, const char *kw)
{
	return t->kind == SHAPE_LEX_WORD && strlen(kw) == (size_t)t->len &&
	       strncasecmp(s + t->start, kw, t->len) == 0;
}

static bool word_in(const char *s, const shape_lex_tok_t *t, const char *const *list)
{
	for (; *list != NULL; list++)
		if (word_is(s, t, *list))
			return true;
	return false;
}

static bool char_is(const char *s, const shape_lex_tok_t *t, const char *c)
{
	return t->kind == SHAPE_LEX_CHAR && (size_t)t->len == strlen(c) &&
	       strncmp(s + t->start, c, t->len) == 0;
}

/* Statements whose arguments are options, names or constants the grammar
 * does not let a parameter replace (SET x = 1, NOTIFY c, 'p', WITH
 * (fillfactor = 70), ...). They are rare and left as written. */
static const char *const as_is_words[] = {
        "set",     "reset",   "show",       "discard",  "listen", "notify",  "unlisten",
        "prepare", "execute", "deallocate", "copy",     "create", "alter",   "drop",
        "comment", "grant",   "revoke",     "security", "vacuum", "analyze", "analyse",
        "cluster", "reindex", "do",         "load",     "fetch",  "move",    NULL,
};

/* Key words after which any expression may follow. */
static const char *const value_words[] = {
        "and", "or", "not", "when", "then", "else", "select", "between", "symmetric", "limit", "offset", NULL,
};

/* Words whose parenthesised arguments must be bare constants. */
static const char *const keep_words[] = {
        "varchar",
        "char",
        "character",
        "varying",
        "nchar",
        "bit",
        "varbit",
        "numeric",
        "decimal",
        "dec",
        "float",
        "time",
        "timetz",
        "timestamp",
        "timestamptz",
        "interval",
        "extract",
        "current_time",
        "current_timestamp",
        "localtime",
        "localtimestamp",
        NULL,
};

/* Words that end an ORDER BY / GROUP BY list at its own depth. */
static const char *const list_end_words[] = {
        "limit", "offset", "fetch", "for",    "having", "window", "union", "intersect", "except", "returning",
        "on",    "from",   "where", "select", "values", "into",   "rows",  "range",     "groups", NULL,
};

/* Words after which an expression starts, beside value_words. A literal
 * after one of them stays (as after any word not in value_words), and so
 * does a signed number; and after one of them BETWEEN is a column name,
 * not the operator. */
static const char *const expr_lead_words[] = {
        "where", "on", "having", "by",    "returning", "distinct", "all",        "case",   "using",
        "from",  "is", "like",   "ilike", "to",        "escape",   "variadic",   "set",    "as",
        "into",  "in", "with",   "any",   "some",      "zone",     "asymmetric", "exists", NULL,
};

static bool sign_is(const char *s, const shape_lex_tok_t *t, char c)
{
	return t->kind == SHAPE_LEX_OP && t->len == 1 && s[t->start] == c;
}

/* A bare number at token i of an ORDER BY / GROUP BY / DISTINCT ON list
 * is a column position. */
static bool positional(const shaper_t *sh, size_t i)
{
	const shape_lex_tok_t *prev = &sh->toks[i - 1];

	return sh->list_depth == sh->depth &&
	       (word_is(sh->s, prev, "by") || char_is(sh->s, prev, ",") || char_is(sh->s, prev, "("));
}

/* BETWEEN at token i is the operator when an expression ends before it
 * (NOT skipped): `x BETWEEN -5`, not the column of `SELECT between - 5`. */
static bool between_is_op(const shaper_t *sh, size_t i)
{
	const shape_lex_tok_t *prev;

	if (i > 0 && word_is(sh->s, &sh->toks[i - 1], "not"))
		i--;
	if (i == 0)
		return false;
	prev = &sh->toks[i - 1];
	switch (prev->kind) {
	case SHAPE_LEX_OP:
		return false;
	case SHAPE_LEX_CHAR:
		return char_is(sh->s, prev, ")") || char_is(sh->s, prev, "]");
	case SHAPE_LEX_WORD:
		return !word_in(sh->s, prev, value_words) && !word_in(sh->s, prev, expr_lead_words);
	default:
		return true;
	}
}

/* Whether a literal at token i stands where a parameter may, judged by
 * the token before it; `num`: a number (or the sign of one). */
static bool value_position(const shaper_t *sh, size_t i, bool num)
{
	const shape_lex_tok_t *prev;

	if (i == 0 || sh->keep_depth >= 0)
		return false;
	if (num && positional(sh, i))
		return false;
	prev = &sh->toks[i - 1];
	switch (prev->kind) {
	case SHAPE_LEX_OP:
		return true;
	case SHAPE_LEX_CHAR:
		return char_is(sh->s, prev, "(") || char_is(sh->s, prev, ",") || char_is(sh->s, prev, "[") ||
		       char_is(sh->s, prev, ":");
	case SHAPE_LEX_WORD:
		return word_in(sh->s, prev, value_words);
	default:
		return false;
	}
}

static bool lit_replaceable(const shaper_t *sh, size_t i)
{
	const shape_lex_tok_t *sign = i >= 2 ? &sh->toks[i - 1] : NULL;

	if (sh->toks[i].kind == SHAPE_LEX_NUM && sign != NULL &&
	    (sign_is(sh->s, sign, '-') || sign_is(sh->s, sign, '+'))) {
		/* ORDER BY -1 is a (bad) position to PostgreSQL too */
		if (sign_is(sh->s, sign, '-') && positional(sh, i - 1))
			return false;
		/* WHERE -5 is one constant, kept like the 5 of WHERE 5 = a */
		if (word_in(sh->s, &sh->toks[i - 2], expr_lead_words))
			return false;
	}
	return value_position(sh, i, sh->toks[i].kind == SHAPE_LEX_NUM);
}

/* Whether token i is a sign to fold into the number after it. PostgreSQL's
 * grammar folds a unary minus over a numeric constant into one negative
 * constant (what routing must see), so "-5" becomes one parameter with
 * value "-5"; a unary plus is dropped the same way (value "5"). A sign is
 * unary where a literal could stand; before "::" it applies to the cast
 * (-(5::int)), so it stays an operator there. */
static bool sign_folds(const shaper_t *sh, size_t i, size_t ntoks)
{
	const shape_lex_tok_t *prev;

	if (!sign_is(sh->s, &sh->toks[i], '-') && !sign_is(sh->s, &sh->toks[i], '+'))
		return false;
	if (i + 1 >= ntoks || sh->toks[i + 1].kind != SHAPE_LEX_NUM ||
	    (i + 2 < ntoks && char_is(sh->s, &sh->toks[i + 2], "::")))
		return false;
	if (!value_position(sh, i, true))
		return false;
	prev = &sh->toks[i - 1];
	return !word_is(sh->s, prev, "between") || between_is_op(sh, i - 1);
}

/* Records token i as the next literal, with the sign token before it
 * folded in when `sign` is set. SHAPE_LEX_AS_IS if its value cannot be
 * trusted (then it is copied verbatim), or SG_ENOMEM. */
static int lit_add(shaper_t *sh, size_t i, const shape_lex_tok_t *sign)
{
	const shape_lex_tok_t *t = &sh->toks[i];
	int start = sign != NULL ? sign->start : t->start;
	shape_lex_buf_t v = {0};
	bool unsure = false;
	sql_lit_t *nl;
	size_t ncap;

	if (sign != NULL && sh->s[sign->start] == '-')
		shape_lex_buf_addc(&v, '-');
	if (t->kind == SHAPE_LEX_NUM)
		shape_lex_buf_add(&v, sh->s + t->start, (size_t)t->len);
	else
		(void)shape_lex_str_scan(sh->s, t->start + (t->kind == SHAPE_LEX_ESTR),
		                         t->kind == SHAPE_LEX_ESTR, &v, &unsure);
	if (!v.oom && v.p == NULL)
		shape_lex_buf_add(&v, "", 0);
	if (v.oom || unsure) {
		free(v.p);
		return v.oom ? SG_ENOMEM : SHAPE_LEX_AS_IS;
	}
	if (sh->nlits == sh->cap) {
		ncap = sh->cap ? sh->cap * 2 : 8;
		nl = realloc(sh->lits, ncap * sizeof(*nl));
		if (nl == NULL) {
			free(v.p);
			return SG_ENOMEM;
		}
		sh->lits = nl;
		sh->cap = ncap;
	}
	nl = &sh->lits[sh->nlits++];
	nl->start = start;
	nl->len = t->start + t->len - start;
	nl->is_string = t->kind != SHAPE_LEX_NUM;
	nl->value = v.p;
	nl->param = sh->base + (int)sh->nlits;
	return 0;
}

/* Paren depth and the keep/list regions, updated after token i. */
static void shaper_track(shaper_t *sh, size_t i)
{
	const char *s = sh->s;
	const shape_lex_tok_t *t = &sh->toks[i], *prev = i > 0 ? &sh->toks[i - 1] : NULL;

	if (char_is(s, t, "(")) {
		sh->depth++;
		if (prev != NULL && sh->keep_depth < 0 &&
		    (word_in(s, prev, keep_words) ||
		     ((prev->kind == SHAPE_LEX_WORD || prev->kind == SHAPE_LEX_QIDENT) && i >= 2 &&
		      char_is(s, &sh->toks[i - 2], "::"))))
			sh->keep_depth = sh->depth;
		if (prev != NULL && word_is(s, prev, "on") && i >= 2 &&
		    word_is(s, &sh->toks[i - 2], "distinct"))
			sh->list_depth = sh->depth;
	} else if (char_is(s, t, ")")) {
		if (sh->depth == sh->keep_depth)
			sh->keep_depth = -1;
		if (sh->depth == sh->list_depth)
			sh->list_depth = -1;
		if (sh->depth > 0)
			sh->depth--;
	} else if (char_is(s, t, ";")) {
		sh->depth = 0;
		sh->keep_depth = sh->list_depth = -1;
	} else if (word_is(s, t, "by") && prev != NULL &&
	           (word_is(s, prev, "order") || word_is(s, prev, "group"))) {
		sh->list_depth = sh->depth;
	} else if (sh->list_depth == sh->depth && word_in(s, t, list_end_words)) {
		sh->list_depth = -1;
	}
}

/* 0, SHAPE_LEX_AS_IS (a statement that is not normalised) or SG_ENOMEM. */
static int shaper_run(shaper_t *sh, size_t ntoks)
{
	bool stmt_start = true, after_param = false, replaced;
	const shape_lex_tok_t *t;
	char num[16];
	size_t i;
	int rc;

	for (i = 0; i < ntoks; i++) {
		t = &sh->toks[i];
		if (stmt_start && word_in(sh->s, t, as_is_words))
			return SHAPE_LEX_AS_IS;
		stmt_start = char_is(sh->s, t, ";");
		/* No space where there was none, except to keep a $n from
		 * running into a following word ($1abc is one bad token). */
		if (sh->out.len > 0 &&
		    (t->gap || (after_param && shape_lex_is_ident_cont((unsigned char)sh->s[t->start]))))
			shape_lex_buf_addc(&sh->out, ' ');
		after_param = false;
		replaced = false;
		if (sign_folds(sh, i, ntoks)) {
			/* numbers are always taken: rc is 0 or SG_ENOMEM */
			rc = lit_add(sh, i + 1, t);
			if (rc != 0)
				return rc;
			shaper_track(sh, i++);
			replaced = true;
		} else if ((t->kind == SHAPE_LEX_NUM || t->kind == SHAPE_LEX_STR ||
		            t->kind == SHAPE_LEX_ESTR) &&
		           lit_replaceable(sh, i)) {
			rc = lit_add(sh, i, NULL);
			if (rc == SG_ENOMEM)
				return rc;
			replaced = rc == 0;
		}
		if (replaced) {
			if (sh->out.len > 0 &&
			    shape_lex_is_ident_cont((unsigned char)sh->out.p[sh->out.len - 1]))
				shape_lex_buf_addc(&sh->out, ' ');
			snprintf(num, sizeof(num), "$%d", sh->lits[sh->nlits - 1].param);
			shape_lex_buf_add(&sh->out, num, strlen(num));
			after_param = true;
		} else {
			shape_lex_buf_add(&sh->out, sh->s + t->start, (size_t)t->len);
		}
		shaper_track(sh, i);
	}
	if (sh->out.p == NULL)
		shape_lex_buf_add(&sh->out, "", 0);
	return sh->out.oom ? SG_ENOMEM : 0;
}

static uint64_t shape_hash(const char *p, size_t n)
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static void lits_free(sql_lit_t *lits, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lits[i].value);
	free(lits);
}

int sql_shape_of(const char *sql, sql_shape_t *out)
{
	shape_lex_t lx = {.s = sql};
	shaper_t sh = {.s = sql, .keep_depth = -1, .list_depth = -1};
	size_t n = strlen(sql);
	int rc = SHAPE_LEX_AS_IS;

	memset(out, 0, sizeof(*out));
	if (n < SHAPE_MAX_TEXT)
		rc = shape_lex_run(&lx);
	if (rc == SG_ENOMEM)
		goto fail;
	if (rc == 0) {
		sh.toks = lx.toks;
		sh.base = lx.max_param;
		rc = shaper_run(&sh, lx.ntoks);
		if (rc == SG_ENOMEM)
			goto fail;
	}
	if (rc == SHAPE_LEX_AS_IS) {
		/* Not normalised: the text is its own shape. */
		lits_free(sh.lits, sh.nlits);
		sh.lits = NULL;
		sh.nlits = 0;
		free(sh.out.p);
		sh.out = (shape_lex_buf_t){0};
		shape_lex_buf_add(&sh.out, sql, n);
		if (sh.out.oom) {
			rc = SG_ENOMEM;
			goto fail;
		}
	}
	free(lx.toks);
	out->norm = sh.out.p;
	out->norm_len = sh.out.len;
	out->hash = shape_hash(out->norm, out->norm_len);
	out->base = lx.max_param;
	out->lits = sh.lits;
	out->nlits = sh.nlits;
	return 0;
fail:
	free(lx.toks);
	free(sh.out.p);
	lits_free(sh.lits, sh.nlits);
	return SG_ENOMEM;
}

void sql_shape_free(sql_shape_t *s)
{
	if (s == NULL)
		return;
	free(s->norm);
	lits_free(s->lits, s->nlits);
	memset(s, 0, sizeof(*s));
}
