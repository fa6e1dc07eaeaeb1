/* shape.c — the lexer pass behind sql_shape_of (see shape.h).
 *
 * Two passes over the text. The first splits it into tokens following
 * PostgreSQL's lexical rules (scan.l in the server): identifiers and key
 * words, quoted identifiers, string literals in their four spellings,
 * dollar-quoted strings, numbers, $n parameters, operators and single
 * characters, with the whitespace and comments between them reduced to a
 * "gap" flag. The second pass writes `norm`: tokens verbatim, one space
 * per gap, and a $n in place of each literal that stands where a
 * parameter may stand. It needs the highest $n of the whole text before
 * it numbers anything, hence two passes.
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
 * Assumes standard_conforming_strings = on (PostgreSQL's default since
 * 9.1): backslashes are plain characters in '...'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "shape.h"

/* Past this a text is not normalised: offsets are ints, and PostgreSQL
 * itself refuses parameter numbers beyond what Bind can carry. */
#define SHAPE_MAX_TEXT  (1 << 30)
#define SHAPE_MAX_PARAM 65535

/* Internal result beside 0 / SG_ENOMEM: give up and keep the text. */
#define SHAPE_AS_IS 1

typedef enum tok_kind {
	TK_WORD,     /* identifier or key word, unquoted */
	TK_QIDENT,   /* "..." or U&"..." */
	TK_NUM,      /* 42, 1.5, .5, 1e-3 */
	TK_STR,      /* '...' (with continuation lines) */
	TK_ESTR,     /* E'...' */
	TK_VERBATIM, /* $tag$...$tag$, U&'...', B'...', X'...': never replaced */
	TK_PARAM,    /* $n */
	TK_OPAQUE,   /* a number or $n with trailing junk: an error in PostgreSQL 15 */
	TK_OP,       /* a run of operator characters */
	TK_CHAR,     /* ( ) [ ] , ; : . :: and anything else */
} tok_kind_t;

typedef struct tok {
	int start, len;
	tok_kind_t kind;
	bool gap; /* whitespace or a comment before it */
} tok_t;

typedef struct lexer {
	const char *s;
	int pos;
	tok_t *toks; /* owned until handed to the shaper */
	size_t ntoks, cap;
	int max_param;
} lexer_t;

/* A growable byte string; `oom` latches the first failed allocation. */
typedef struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
} sbuf_t;

static void sbuf_add(sbuf_t *b, const char *src, size_t n)
{
	char *np;
	size_t ncap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sbuf_addc(sbuf_t *b, char c)
{
	sbuf_add(b, &c, 1);
}

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_cont(unsigned char c)
{
	return is_ident_start(c) || is_digit(c) || c == '$';
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_op_char(unsigned char c)
{
	return c != '\0' && strchr("+-*/<>=~!@#%^&|`?", c) != NULL;
}

static int hex_val(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- string literals ---- */

/* PostgreSQL joins 'a'<newline>'b' into one constant: between the
 * segments only spaces and -- comments, and at least one newline (a block
 * comment ends the constant). Returns the next segment's quote or -1. */
static int str_continuation(const char *s, int i)
{
	bool newline = false;

	for (;;) {
		if (s[i] == '\n' || s[i] == '\r') {
			newline = true;
			i++;
		} else if (is_space((unsigned char)s[i])) {
			i++;
		} else if (s[i] == '-' && s[i + 1] == '-') {
			while (s[i] != '\0' && s[i] != '\n' && s[i] != '\r')
				i++;
		} else {
			break;
		}
	}
	return newline && s[i] == '\'' ? i : -1;
}

/* Appends a code point as UTF-8; false for what PostgreSQL would refuse
 * or we cannot be sure of (NUL, surrogates, out of range). */
static bool utf8_add(sbuf_t *v, unsigned long cp)
{
	char b[4];

	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return false;
	if (cp < 0x80) {
		sbuf_addc(v, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(v, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(v, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(v, b, 4);
	}
	return true;
}

/* One backslash escape of an E'' string at s[i] == '\\'. Returns how many
 * bytes it spans. With v, appends its value; *unsure is set for escapes
 * whose bytes could be invalid text (NUL, a lone byte >= 0x80). */
static int esc_decode(const char *s, int i, sbuf_t *v, bool *unsure)
{
	unsigned char c = (unsigned char)s[i + 1];
	unsigned long cp = 0;
	int n = 0, want;

	if (c >= '0' && c <= '7') {
		while (n < 3 && s[i + 1 + n] >= '0' && s[i + 1 + n] <= '7')
			cp = cp * 8 + (unsigned long)(s[i + 1 + n++] - '0');
		if (v != NULL && ((cp & 0xFF) == 0 || (cp & 0xFF) >= 0x80))
			*unsure = true;
		else if (v != NULL)
			sbuf_addc(v, (char)cp);
		return 1 + n;
	}
	if (c == 'x' && hex_val((unsigned char)s[i + 2]) >= 0) {
		while (n < 2 && hex_val((unsigned char)s[i + 2 + n]) >= 0)
			cp = cp * 16 + (unsigned long)hex_val((unsigned char)s[i + 2 + n++]);
		if (v != NULL && (cp == 0 || cp >= 0x80))
			*unsure = true;
		else if (v != NULL)
			sbuf_addc(v, (char)cp);
		return 2 + n;
	}
	if (c == 'u' || c == 'U') {
		want = c == 'u' ? 4 : 8;
		while (n < want && hex_val((unsigned char)s[i + 2 + n]) >= 0)
			cp = cp * 16 + (unsigned long)hex_val((unsigned char)s[i + 2 + n++]);
		if (v != NULL && (n < want || !utf8_add(v, cp)))
			*unsure = true;
		return 2 + n;
	}
	if (v != NULL) {
		switch (c) {
		case 'b':
			sbuf_addc(v, '\b');
			break;
		case 'f':
			sbuf_addc(v, '\f');
			break;
		case 'n':
			sbuf_addc(v, '\n');
			break;
		case 'r':
			sbuf_addc(v, '\r');
			break;
		case 't':
			sbuf_addc(v, '\t');
			break;
		default:
			sbuf_addc(v, (char)c);
			break;
		}
	}
	return 2;
}

/* Scans the quoted constant whose opening quote is s[i], through any
 * continuation segments. Returns the index after the last closing quote,
 * or -1 if unterminated. `esc`: backslash escapes (E''). With v, appends
 * the value (doubled quotes undone, escapes decoded). */
static int str_scan(const char *s, int i, bool esc, sbuf_t *v, bool *unsure)
{
	int next;

	for (i++;;) {
		if (s[i] == '\0')
			return -1;
		if (esc && s[i] == '\\') {
			if (s[i + 1] == '\0')
				return -1;
			i += esc_decode(s, i, v, unsure);
		} else if (s[i] == '\'' && s[i + 1] == '\'') {
			if (v != NULL)
				sbuf_addc(v, '\'');
			i += 2;
		} else if (s[i] == '\'') {
			next = str_continuation(s, i + 1);
			if (next < 0)
				return i + 1;
			i = next + 1;
		} else {
			if (v != NULL)
				sbuf_addc(v, s[i]);
			i++;
		}
	}
}

/* "..." with "" for a quote; -1 if unterminated. */
static int qident_scan(const char *s, int i)
{
	for (i++;; i++) {
		if (s[i] == '\0')
			return -1;
		if (s[i] == '"' && s[i + 1] == '"')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
}

/* ---- the lexer ---- */

static int tok_push(lexer_t *lx, tok_kind_t kind, int start, int end, bool gap)
{
	tok_t *nt;
	size_t ncap;

	if (lx->ntoks == lx->cap) {
		ncap = lx->cap ? lx->cap * 2 : 32;
		nt = realloc(lx->toks, ncap * sizeof(*nt));
		if (nt == NULL)
			return SG_ENOMEM;
		lx->toks = nt;
		lx->cap = ncap;
	}
	lx->toks[lx->ntoks].start = start;
	lx->toks[lx->ntoks].len = end - start;
	lx->toks[lx->ntoks].kind = kind;
	lx->toks[lx->ntoks].gap = gap;
	lx->ntoks++;
	return 0;
}

/* Skips whitespace and comments (block comments nest, as in PostgreSQL).
 * Returns whether anything was skipped, or -1 for an unterminated block
 * comment. */
static int skip_gap(lexer_t *lx)
{
	const char *s = lx->s;
	int i = lx->pos, depth;

	for (;;) {
		if (is_space((unsigned char)s[i])) {
			i++;
		} else if (s[i] == '-' && s[i + 1] == '-') {
			while (s[i] != '\0' && s[i] != '\n' && s[i] != '\r')
				i++;
		} else if (s[i] == '/' && s[i + 1] == '*') {
			for (depth = 1, i += 2; depth > 0; i++) {
				if (s[i] == '\0')
					return -1;
				if (s[i] == '/' && s[i + 1] == '*')
					depth++, i++;
				else if (s[i] == '*' && s[i + 1] == '/')
					depth--, i++;
			}
		} else {
			break;
		}
	}
	depth = i > lx->pos;
	lx->pos = i;
	return depth;
}

/* A number at s[i] (a digit, or '.' then a digit). 1..5 is 1 then '..'
 * (PostgreSQL's rule); an exponent needs digits. */
static int num_scan(const char *s, int i, tok_kind_t *kind)
{
	while (is_digit((unsigned char)s[i]))
		i++;
	if (s[i] == '.' && s[i + 1] != '.') {
		i++;
		while (is_digit((unsigned char)s[i]))
			i++;
	}
	if ((s[i] == 'e' || s[i] == 'E') &&
	    (is_digit((unsigned char)s[i + 1]) ||
	     ((s[i + 1] == '+' || s[i + 1] == '-') && is_digit((unsigned char)s[i + 2])))) {
		i += 2;
		while (is_digit((unsigned char)s[i]))
			i++;
	}
	*kind = TK_NUM;
	if (is_ident_cont((unsigned char)s[i])) {
		*kind = TK_OPAQUE;
		while (is_ident_cont((unsigned char)s[i]))
			i++;
	}
	return i;
}

/* '$' at s[i]: a parameter, a dollar quote, or a stray character. */
static int dollar_scan(lexer_t *lx, int i, tok_kind_t *kind)
{
	const char *s = lx->s;
	int j = i + 1, taglen, n = 0;

	if (is_digit((unsigned char)s[j])) {
		for (; is_digit((unsigned char)s[j]); j++)
			n = n < SHAPE_MAX_PARAM + 1 ? n * 10 + (s[j] - '0') : n;
		if (n > SHAPE_MAX_PARAM)
			return -1;
		if (n > lx->max_param)
			lx->max_param = n;
		*kind = TK_PARAM;
		if (is_ident_cont((unsigned char)s[j])) {
			*kind = TK_OPAQUE;
			while (is_ident_cont((unsigned char)s[j]))
				j++;
		}
		return j;
	}
	if (s[j] != '$' && !is_ident_start((unsigned char)s[j])) {
		*kind = TK_CHAR;
		return j;
	}
	while (s[j] != '$' && is_ident_cont((unsigned char)s[j]))
		j++;
	if (s[j] != '$') {
		*kind = TK_CHAR;
		return i + 1;
	}
	taglen = j + 1 - i;
	for (j++; s[j] != '\0'; j++)
		if (s[j] == '$' && strncmp(s + j, s + i, (size_t)taglen) == 0) {
			*kind = TK_VERBATIM;
			return j + taglen;
		}
	return -1;
}

/* An operator at s[i]. It stops where a comment starts, and, as in
 * PostgreSQL, a multi-character operator made only of characters SQL's
 * own operators use does not end in '+' or '-': "=-5" is '=' then '-' 5
 * (a sign), while "@-" or "!=-" stay one operator. */
static int op_scan(const char *s, int i, tok_kind_t *kind)
{
	int j = i;
	bool odd = false;

	*kind = TK_OP;
	while (is_op_char((unsigned char)s[j]) && !(s[j] == '-' && s[j + 1] == '-') &&
	       !(s[j] == '/' && s[j + 1] == '*')) {
		odd = odd || strchr("~!@#^&|`?%", s[j]) != NULL;
		j++;
	}
	if (!odd)
		while (j - i > 1 && (s[j - 1] == '+' || s[j - 1] == '-'))
			j--;
	return j;
}

/* One token at lx->pos. Returns its end, or -1 for an unterminated one. */
static int tok_scan(lexer_t *lx, tok_kind_t *kind)
{
	const char *s = lx->s;
	int i = lx->pos;
	unsigned char c = (unsigned char)s[i], c1 = (unsigned char)s[i + 1];

	if ((c == 'e' || c == 'E') && c1 == '\'') {
		*kind = TK_ESTR;
		return str_scan(s, i + 1, true, NULL, NULL);
	}
	if ((c == 'b' || c == 'B' || c == 'x' || c == 'X') && c1 == '\'') {
		*kind = TK_VERBATIM;
		return str_scan(s, i + 1, false, NULL, NULL);
	}
	if ((c == 'u' || c == 'U') && c1 == '&' && (s[i + 2] == '\'' || s[i + 2] == '"')) {
		*kind = s[i + 2] == '"' ? TK_QIDENT : TK_VERBATIM;
		return s[i + 2] == '"' ? qident_scan(s, i + 2) : str_scan(s, i + 2, false, NULL, NULL);
	}
	if (is_ident_start(c)) {
		*kind = TK_WORD;
		while (is_ident_cont((unsigned char)s[i]))
			i++;
		return i;
	}
	if (is_digit(c) || (c == '.' && is_digit(c1)))
		return num_scan(s, i, kind);
	if (c == '\'') {
		*kind = TK_STR;
		return str_scan(s, i, false, NULL, NULL);
	}
	if (c == '"') {
		*kind = TK_QIDENT;
		return qident_scan(s, i);
	}
	if (c == '$')
		return dollar_scan(lx, i, kind);
	if (is_op_char(c))
		return op_scan(s, i, kind);
	*kind = TK_CHAR;
	return i + (c == ':' && c1 == ':' ? 2 : 1);
}

/* 0, SHAPE_AS_IS (unterminated quote or comment, absurd $n) or SG_ENOMEM. */
static int shape_lex(lexer_t *lx)
{
	tok_kind_t kind;
	int gap, end, rc;

	for (;;) {
		gap = skip_gap(lx);
		if (gap < 0)
			return SHAPE_AS_IS;
		if (lx->s[lx->pos] == '\0')
			return 0;
		end = tok_scan(lx, &kind);
		if (end < 0)
			return SHAPE_AS_IS;
		rc = tok_push(lx, kind, lx->pos, end, gap > 0);
		if (rc != 0)
			return rc;
		lx->pos = end;
	}
}

/* ---- the shaper: writes norm ---- */

typedef struct shaper {
	const char *s;
	const tok_t *toks;
	sbuf_t out;
	sql_lit_t *lits;
	size_t nlits, cap;
	int base;
	int depth;
	int keep_depth; /* inside a type modifier or EXTRACT(): literals stay; -1 if not */
	int list_depth; /* depth of an ORDER BY/GROUP BY/DISTINCT ON list; -1 if none */
} shaper_t;

static bool word_is(const char *s, const tok_t *t, const char *kw)
{
	return t->kind == TK_WORD && strlen(kw) == (size_t)t->len &&
	       strncasecmp(s + t->start, kw, t->len) == 0;
}

static bool word_in(const char *s, const tok_t *t, const char *const *list)
{
	for (; *list != NULL; list++)
		if (word_is(s, t, *list))
			return true;
	return false;
}

static bool char_is(const char *s, const tok_t *t, const char *c)
{
	return t->kind == TK_CHAR && (size_t)t->len == strlen(c) && strncmp(s + t->start, c, t->len) == 0;
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

static bool sign_is(const char *s, const tok_t *t, char c)
{
	return t->kind == TK_OP && t->len == 1 && s[t->start] == c;
}

/* A bare number at token i of an ORDER BY / GROUP BY / DISTINCT ON list
 * is a column position. */
static bool positional(const shaper_t *sh, size_t i)
{
	const tok_t *prev = &sh->toks[i - 1];

	return sh->list_depth == sh->depth &&
	       (word_is(sh->s, prev, "by") || char_is(sh->s, prev, ",") || char_is(sh->s, prev, "("));
}

/* BETWEEN at token i is the operator when an expression ends before it
 * (NOT skipped): `x BETWEEN -5`, not the column of `SELECT between - 5`. */
static bool between_is_op(const shaper_t *sh, size_t i)
{
	const tok_t *prev;

	if (i > 0 && word_is(sh->s, &sh->toks[i - 1], "not"))
		i--;
	if (i == 0)
		return false;
	prev = &sh->toks[i - 1];
	switch (prev->kind) {
	case TK_OP:
		return false;
	case TK_CHAR:
		return char_is(sh->s, prev, ")") || char_is(sh->s, prev, "]");
	case TK_WORD:
		return !word_in(sh->s, prev, value_words) && !word_in(sh->s, prev, expr_lead_words);
	default:
		return true;
	}
}

/* Whether a literal at token i stands where a parameter may, judged by
 * the token before it; `num`: a number (or the sign of one). */
static bool value_position(const shaper_t *sh, size_t i, bool num)
{
	const tok_t *prev;

	if (i == 0 || sh->keep_depth >= 0)
		return false;
	if (num && positional(sh, i))
		return false;
	prev = &sh->toks[i - 1];
	switch (prev->kind) {
	case TK_OP:
		return true;
	case TK_CHAR:
		return char_is(sh->s, prev, "(") || char_is(sh->s, prev, ",") || char_is(sh->s, prev, "[") ||
		       char_is(sh->s, prev, ":");
	case TK_WORD:
		return word_in(sh->s, prev, value_words);
	default:
		return false;
	}
}

static bool lit_replaceable(const shaper_t *sh, size_t i)
{
	const tok_t *sign = i >= 2 ? &sh->toks[i - 1] : NULL;

	if (sh->toks[i].kind == TK_NUM && sign != NULL &&
	    (sign_is(sh->s, sign, '-') || sign_is(sh->s, sign, '+'))) {
		/* ORDER BY -1 is a (bad) position to PostgreSQL too */
		if (sign_is(sh->s, sign, '-') && positional(sh, i - 1))
			return false;
		/* WHERE -5 is one constant, kept like the 5 of WHERE 5 = a */
		if (word_in(sh->s, &sh->toks[i - 2], expr_lead_words))
			return false;
	}
	return value_position(sh, i, sh->toks[i].kind == TK_NUM);
}

/* Whether token i is a sign to fold into the number after it. PostgreSQL's
 * grammar folds a unary minus over a numeric constant into one negative
 * constant (what routing must see), so "-5" becomes one parameter with
 * value "-5"; a unary plus is dropped the same way (value "5"). A sign is
 * unary where a literal could stand; before "::" it applies to the cast
 * (-(5::int)), so it stays an operator there. */
static bool sign_folds(const shaper_t *sh, size_t i, size_t ntoks)
{
	const tok_t *prev;

	if (!sign_is(sh->s, &sh->toks[i], '-') && !sign_is(sh->s, &sh->toks[i], '+'))
		return false;
	if (i + 1 >= ntoks || sh->toks[i + 1].kind != TK_NUM ||
	    (i + 2 < ntoks && char_is(sh->s, &sh->toks[i + 2], "::")))
		return false;
	if (!value_position(sh, i, true))
		return false;
	prev = &sh->toks[i - 1];
	return !word_is(sh->s, prev, "between") || between_is_op(sh, i - 1);
}

/* Records token i as the next literal, with the sign token before it
 * folded in when `sign` is set. SHAPE_AS_IS if its value cannot be
 * trusted (then it is copied verbatim), or SG_ENOMEM. */
static int lit_add(shaper_t *sh, size_t i, const tok_t *sign)
{
	const tok_t *t = &sh->toks[i];
	int start = sign != NULL ? sign->start : t->start;
	sbuf_t v = {0};
	bool unsure = false;
	sql_lit_t *nl;
	size_t ncap;

	if (sign != NULL && sh->s[sign->start] == '-')
		sbuf_addc(&v, '-');
	if (t->kind == TK_NUM)
		sbuf_add(&v, sh->s + t->start, (size_t)t->len);
	else
		(void)str_scan(sh->s, t->start + (t->kind == TK_ESTR), t->kind == TK_ESTR, &v, &unsure);
	if (!v.oom && v.p == NULL)
		sbuf_add(&v, "", 0);
	if (v.oom || unsure) {
		free(v.p);
		return v.oom ? SG_ENOMEM : SHAPE_AS_IS;
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
	nl->is_string = t->kind != TK_NUM;
	nl->value = v.p;
	nl->param = sh->base + (int)sh->nlits;
	return 0;
}

/* Paren depth and the keep/list regions, updated after token i. */
static void shaper_track(shaper_t *sh, size_t i)
{
	const char *s = sh->s;
	const tok_t *t = &sh->toks[i], *prev = i > 0 ? &sh->toks[i - 1] : NULL;

	if (char_is(s, t, "(")) {
		sh->depth++;
		if (prev != NULL && sh->keep_depth < 0 &&
		    (word_in(s, prev, keep_words) || ((prev->kind == TK_WORD || prev->kind == TK_QIDENT) &&
		                                      i >= 2 && char_is(s, &sh->toks[i - 2], "::"))))
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

/* 0, SHAPE_AS_IS (a statement that is not normalised) or SG_ENOMEM. */
static int shaper_run(shaper_t *sh, size_t ntoks)
{
	bool stmt_start = true, after_param = false, replaced;
	const tok_t *t;
	char num[16];
	size_t i;
	int rc;

	for (i = 0; i < ntoks; i++) {
		t = &sh->toks[i];
		if (stmt_start && word_in(sh->s, t, as_is_words))
			return SHAPE_AS_IS;
		stmt_start = char_is(sh->s, t, ";");
		/* No space where there was none, except to keep a $n from
		 * running into a following word ($1abc is one bad token). */
		if (sh->out.len > 0 &&
		    (t->gap || (after_param && is_ident_cont((unsigned char)sh->s[t->start]))))
			sbuf_addc(&sh->out, ' ');
		after_param = false;
		replaced = false;
		if (sign_folds(sh, i, ntoks)) {
			/* numbers are always taken: rc is 0 or SG_ENOMEM */
			rc = lit_add(sh, i + 1, t);
			if (rc != 0)
				return rc;
			shaper_track(sh, i++);
			replaced = true;
		} else if ((t->kind == TK_NUM || t->kind == TK_STR || t->kind == TK_ESTR) &&
		           lit_replaceable(sh, i)) {
			rc = lit_add(sh, i, NULL);
			if (rc == SG_ENOMEM)
				return rc;
			replaced = rc == 0;
		}
		if (replaced) {
			if (sh->out.len > 0 && is_ident_cont((unsigned char)sh->out.p[sh->out.len - 1]))
				sbuf_addc(&sh->out, ' ');
			snprintf(num, sizeof(num), "$%d", sh->lits[sh->nlits - 1].param);
			sbuf_add(&sh->out, num, strlen(num));
			after_param = true;
		} else {
			sbuf_add(&sh->out, sh->s + t->start, (size_t)t->len);
		}
		shaper_track(sh, i);
	}
	if (sh->out.p == NULL)
		sbuf_add(&sh->out, "", 0);
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
	lexer_t lx = {.s = sql};
	shaper_t sh = {.s = sql, .keep_depth = -1, .list_depth = -1};
	size_t n = strlen(sql);
	int rc = SHAPE_AS_IS;

	memset(out, 0, sizeof(*out));
	if (n < SHAPE_MAX_TEXT)
		rc = shape_lex(&lx);
	if (rc == SG_ENOMEM)
		goto fail;
	if (rc == 0) {
		sh.toks = lx.toks;
		sh.base = lx.max_param;
		rc = shaper_run(&sh, lx.ntoks);
		if (rc == SG_ENOMEM)
			goto fail;
	}
	if (rc == SHAPE_AS_IS) {
		/* Not normalised: the text is its own shape. */
		lits_free(sh.lits, sh.nlits);
		sh.lits = NULL;
		sh.nlits = 0;
		free(sh.out.p);
		sh.out = (sbuf_t){0};
		sbuf_add(&sh.out, sql, n);
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
