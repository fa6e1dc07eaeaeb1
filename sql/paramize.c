/* paramize.c — see paramize.h. One lexer pass (shape_lex.c), then a walk
 * over the tokens that picks the constants to replace and writes the new
 * text. */
#include "paramize.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "shape_lex.h"

/* Bounds on one rewrite: equal constants are found by a linear scan, so a
 * text with thousands of constants (a long IN list) would cost the event
 * loop quadratic time; such a text runs as it is. */
#define PARAMIZE_MAX_PARAMS 256
#define PARAMIZE_MAX_SPANS  1024

static bool tok_is(const char *s, const shape_lex_tok_t *t, const char *text)
{
	size_t n = strlen(text);

	return (size_t)t->len == n && strncmp(s + t->start, text, n) == 0;
}

static bool tok_is_word(const char *s, const shape_lex_tok_t *t, const char *word)
{
	size_t n = strlen(word);

	return t->kind == SHAPE_LEX_WORD && (size_t)t->len == n && strncasecmp(s + t->start, word, n) == 0;
}

/* An operator after which the next constant is an ordinary operand. */
static bool tok_is_operand_op(const char *s, const shape_lex_tok_t *t)
{
	static const char *const ops[] = {"=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%"};
	size_t i;

	if (t->kind != SHAPE_LEX_OP)
		return false;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (tok_is(s, t, ops[i]))
			return true;
	return false;
}

/* int4 if the digits (no leading zero) fit, else int8 if they fit, else 0.
 * A unary minus stays an operator here (-$1), while PostgreSQL types the
 * negated value: that differs only for 2147483648 (-2147483648 is an int4),
 * which is left alone (0), as is everything beyond int8. */
static uint32_t int_type(const char *p, int len)
{
	if (len < 10 || (len == 10 && strncmp(p, "2147483647", 10) <= 0))
		return SQL_OID_INT4;
	if (len == 10 && strncmp(p, "2147483648", 10) == 0)
		return 0;
	if (len < 19 || (len == 19 && strncmp(p, "9223372036854775807", 19) <= 0))
		return SQL_OID_INT8;
	return 0;
}

/* The type PostgreSQL 15's lexer and make_const give the constant, or 0 to
 * leave it alone: digits only → int_type; a decimal point or exponent →
 * numeric, except in a statement that matches expressions against each
 * other (GROUP BY, DISTINCT, windows), where 1.5 and 1.50e0 would be equal
 * constants but different parameters, so they stay constants. *p and *len
 * are moved past leading zeros, so that equal integers have equal text
 * (one parameter for `a + 01` and `a + 1`). */
static uint32_t num_type(const char **p, int *len, bool matches_exprs)
{
	int i;

	for (i = 0; i < *len; i++)
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return matches_exprs ? 0 : SQL_OID_NUMERIC;
	while (*len > 1 && (*p)[0] == '0') {
		(*p)++;
		(*len)--;
	}
	return int_type(*p, *len);
}

/* Is toks[i] (a number) a whole item of an IN list: `IN (` or `,` before
 * it inside one, `,` or `)` after it? `in_list` holds the paren depth of
 * the innermost IN list (0: none). */
static bool in_list_item(const shape_lex_t *lx, size_t i, int depth, int in_list)
{
	const char *s = lx->s;
	const shape_lex_tok_t *prev = &lx->toks[i - 1];

	if (in_list == 0 || depth != in_list || i + 1 >= lx->ntoks)
		return false;
	if (!tok_is(s, prev, "(") && !tok_is(s, prev, ","))
		return false;
	return tok_is(s, &lx->toks[i + 1], ",") || tok_is(s, &lx->toks[i + 1], ")");
}

/* The whole text qualifies: ASCII without backslashes, one statement (a
 * final ';' allowed), no $n, no malformed number. */
static bool text_qualifies(const shape_lex_t *lx)
{
	const unsigned char *p;
	size_t i;

	/* A backslash may escape a quote when standard_conforming_strings is
	 * off, which the lexer does not follow: such text is left alone. */
	for (p = (const unsigned char *)lx->s; *p; p++)
		if (*p >= 0x80 || *p == '\\')
			return false;
	for (i = 0; i < lx->ntoks; i++) {
		const shape_lex_tok_t *t = &lx->toks[i];
		if (t->kind == SHAPE_LEX_PARAM || t->kind == SHAPE_LEX_OPAQUE)
			return false;
		if (tok_is(lx->s, t, ";") && i + 1 != lx->ntoks)
			return false;
	}
	return true;
}

/* ---- building the result ---- */

typedef struct paramize_build {
	shape_lex_buf_t text, vals;
	size_t *voff; /* offset of each parameter's value in vals */
	uint32_t *types;
	sql_param_span_t *spans;
	size_t nparams, nspans, cap_params, cap_spans;
	bool oom;
} paramize_build_t;

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	void *np;
	size_t ncap;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (np == NULL)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

/* The parameter number for constant `c` (len bytes) of type `type`: an
 * equal constant seen before shares its number. 0 when out of numbers. */
static size_t param_for(paramize_build_t *b, const char *c, int len, uint32_t type)
{
	size_t k, cap;

	for (k = 0; k < b->nparams; k++) {
		const char *v = b->vals.p + b->voff[k];
		if (b->types[k] == type && strncmp(v, c, (size_t)len) == 0 && v[len] == '\0')
			return k + 1;
	}
	if (b->nparams == PARAMIZE_MAX_PARAMS)
		return 0;
	cap = b->cap_params;
	if (!grow((void **)&b->voff, &cap, b->nparams + 1, sizeof(*b->voff)) ||
	    !grow((void **)&b->types, &b->cap_params, b->nparams + 1, sizeof(*b->types))) {
		b->oom = true;
		return 0;
	}
	b->voff[b->nparams] = b->vals.len;
	b->types[b->nparams] = type;
	shape_lex_buf_add(&b->vals, c, (size_t)len);
	shape_lex_buf_addc(&b->vals, '\0');
	return ++b->nparams;
}

static void emit_param(paramize_build_t *b, const shape_lex_tok_t *t, size_t num)
{
	char digits[8];
	int n = 0, i;
	size_t v = num;

	if (!grow((void **)&b->spans, &b->cap_spans, b->nspans + 1, sizeof(*b->spans))) {
		b->oom = true;
		return;
	}
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	b->spans[b->nspans].orig_start = t->start;
	b->spans[b->nspans].orig_len = t->len;
	b->spans[b->nspans].norm_start = (int)b->text.len;
	b->spans[b->nspans].norm_len = n + 1;
	b->nspans++;
	shape_lex_buf_addc(&b->text, '$');
	for (i = n - 1; i >= 0; i--)
		shape_lex_buf_addc(&b->text, digits[i]);
}

static void paramize_build_free(paramize_build_t *b)
{
	free(b->text.p);
	free(b->vals.p);
	free(b->voff);
	free(b->types);
	free(b->spans);
}

/* Moves what b built into out (1), or frees it (0 / SG_ENOMEM). */
static int paramize_finish(paramize_build_t *b, sql_paramized_t *out)
{
	size_t k;

	if (b->oom || b->text.oom || b->vals.oom) {
		paramize_build_free(b);
		return SG_ENOMEM;
	}
	out->values = b->nparams > 0 ? malloc(b->nparams * sizeof(char *)) : NULL;
	if (b->nparams > 0 && out->values == NULL) {
		b->oom = true;
		return paramize_finish(b, out);
	}
	for (k = 0; k < b->nparams; k++)
		out->values[k] = b->vals.p + b->voff[k];
	free(b->voff);
	out->text = b->text.p;
	out->text_len = b->text.len;
	out->nparams = (uint16_t)b->nparams;
	out->types = b->types;
	out->vbuf = b->vals.p;
	out->spans = b->spans;
	out->nspans = b->nspans;
	return 1;
}

/* Does the text compare expressions with each other (GROUP BY, DISTINCT,
 * window clauses)? Then num_type is told so. */
static bool matches_exprs(const shape_lex_t *lx)
{
	size_t i;

	for (i = 0; i < lx->ntoks; i++)
		if (tok_is_word(lx->s, &lx->toks[i], "group") ||
		    tok_is_word(lx->s, &lx->toks[i], "distinct") ||
		    tok_is_word(lx->s, &lx->toks[i], "over") || tok_is_word(lx->s, &lx->toks[i], "window"))
			return true;
	return false;
}

/* Writes the new text from the tokens: what lay between tokens (spaces,
 * comments) is kept byte for byte, so unreplaced text is unchanged.
 * SHAPE_LEX_AS_IS when the text has too many constants: leaving some of
 * them as constants would break expression matching (GROUP BY a + 1). */
static int paramize_build(const shape_lex_t *lx, paramize_build_t *b)
{
	const char *s = lx->s, *c;
	int depth = 0, in_list = 0, copied = 0, clen;
	bool matching = matches_exprs(lx);
	size_t i, num;

	for (i = 0; i < lx->ntoks; i++) {
		const shape_lex_tok_t *t = &lx->toks[i];
		uint32_t type;

		if (tok_is(s, t, "(")) {
			depth++;
			if (i > 0 && tok_is_word(s, &lx->toks[i - 1], "in"))
				in_list = depth;
		} else if (tok_is(s, t, ")")) {
			if (depth == in_list)
				in_list = 0;
			depth--;
		}
		if (t->kind != SHAPE_LEX_NUM || i == 0)
			continue;
		if (!tok_is_operand_op(s, &lx->toks[i - 1]) && !in_list_item(lx, i, depth, in_list))
			continue;
		c = s + t->start;
		clen = t->len;
		type = num_type(&c, &clen, matching);
		if (type == 0)
			continue;
		if (b->nspans == PARAMIZE_MAX_SPANS || (num = param_for(b, c, clen, type)) == 0)
			return b->oom ? SG_ENOMEM : SHAPE_LEX_AS_IS;
		shape_lex_buf_add(&b->text, s + copied, (size_t)(t->start - copied));
		emit_param(b, t, num);
		copied = t->start + t->len;
	}
	shape_lex_buf_add(&b->text, s + copied, strlen(s + copied));
	return b->oom ? SG_ENOMEM : 0;
}

int sql_paramize(const char *sql, sql_paramized_t *out)
{
	shape_lex_t lx = {.s = sql};
	paramize_build_t b;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	rc = shape_lex_run(&lx);
	if (rc == SHAPE_LEX_AS_IS || (rc == 0 && !text_qualifies(&lx))) {
		free(lx.toks);
		return 0;
	}
	if (rc == 0)
		rc = paramize_build(&lx, &b);
	free(lx.toks);
	if (rc == SHAPE_LEX_AS_IS) {
		paramize_build_free(&b);
		return 0;
	}
	if (rc != 0)
		b.oom = true;
	return paramize_finish(&b, out);
}

void sql_paramized_free(sql_paramized_t *p)
{
	free(p->text);
	free(p->types);
	free(p->values);
	free(p->vbuf);
	free(p->spans);
	memset(p, 0, sizeof(*p));
}

int sql_paramized_orig_pos(const sql_paramized_t *p, int pos)
{
	int at = pos - 1, shift = 0; /* 0-based; ASCII, so characters are bytes */
	size_t k;

	if (pos < 1 || (size_t)pos > p->text_len + 1)
		return 0; /* not a place in the text (the backend's word, unchecked) */
	for (k = 0; k < p->nspans; k++) {
		const sql_param_span_t *sp = &p->spans[k];
		if (at < sp->norm_start)
			break;
		if (at < sp->norm_start + sp->norm_len)
			return sp->orig_start + 1; /* inside a $n: its constant */
		shift += sp->orig_len - sp->norm_len;
	}
	return pos + shift;
}
