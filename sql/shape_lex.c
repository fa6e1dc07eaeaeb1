/* shape_lex.c — the first pass of sql_shape_of (see shape.h, shape_lex.h).
 *
 * Splits a query text into tokens following PostgreSQL's lexical rules
 * (scan.l in the server): identifiers and key words, quoted identifiers,
 * string literals in their four spellings, dollar-quoted strings, numbers,
 * $n parameters, operators and single characters, with the whitespace and
 * comments between them reduced to a "gap" flag. On the way it records
 * the highest $n, which the shaper (shape.c) needs before it numbers
 * anything; it also decodes a literal's value for the shaper
 * (shape_lex_str_scan with a buffer).
 *
 * Assumes standard_conforming_strings = on (PostgreSQL's default since
 * 9.1): backslashes are plain characters in '...'. */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "shape_lex.h"

/* PostgreSQL itself refuses parameter numbers beyond what Bind can carry:
 * a text with a larger $n is not normalised. */
#define SHAPE_MAX_PARAM 65535

void shape_lex_buf_add(shape_lex_buf_t *b, const char *src, size_t n)
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

void shape_lex_buf_addc(shape_lex_buf_t *b, char c)
{
	shape_lex_buf_add(b, &c, 1);
}

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

bool shape_lex_is_ident_cont(unsigned char c)
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
static bool utf8_add(shape_lex_buf_t *v, unsigned long cp)
{
	char b[4];

	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return false;
	if (cp < 0x80) {
		shape_lex_buf_addc(v, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		shape_lex_buf_add(v, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		shape_lex_buf_add(v, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		shape_lex_buf_add(v, b, 4);
	}
	return true;
}

/* One backslash escape of an E'' string at s[i] == '\\'. Returns how many
 * bytes it spans. With v, appends its value; *unsure is set for escapes
 * whose bytes could be invalid text (NUL, a lone byte >= 0x80). */
static int esc_decode(const char *s, int i, shape_lex_buf_t *v, bool *unsure)
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
			shape_lex_buf_addc(v, (char)cp);
		return 1 + n;
	}
	if (c == 'x' && hex_val((unsigned char)s[i + 2]) >= 0) {
		while (n < 2 && hex_val((unsigned char)s[i + 2 + n]) >= 0)
			cp = cp * 16 + (unsigned long)hex_val((unsigned char)s[i + 2 + n++]);
		if (v != NULL && (cp == 0 || cp >= 0x80))
			*unsure = true;
		else if (v != NULL)
			shape_lex_buf_addc(v, (char)cp);
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
			shape_lex_buf_addc(v, '\b');
			break;
		case 'f':
			shape_lex_buf_addc(v, '\f');
			break;
		case 'n':
			shape_lex_buf_addc(v, '\n');
			break;
		case 'r':
			shape_lex_buf_addc(v, '\r');
			break;
		case 't':
			shape_lex_buf_addc(v, '\t');
			break;
		default:
			shape_lex_buf_addc(v, (char)c);
			break;
		}
	}
	return 2;
}

/* Scans the quoted constant whose opening quote is s[i], through any
 * continuation segments. Returns the index after the last closing quote,
 * or -1 if unterminated. `esc`: backslash escapes (E''). With v, appends
 * the value (doubled quotes undone, escapes decoded). */
int shape_lex_str_scan(const char *s, int i, bool esc, shape_lex_buf_t *v, bool *unsure)
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
				shape_lex_buf_addc(v, '\'');
			i += 2;
		} else if (s[i] == '\'') {
			next = str_continuation(s, i + 1);
			if (next < 0)
				return i + 1;
			i = next + 1;
		} else {
			if (v != NULL)
				shape_lex_buf_addc(v, s[i]);
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

static int tok_push(shape_lex_t *lx, shape_lex_kind_t kind, int start, int end, bool gap)
{
	shape_lex_tok_t *nt;
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
static int skip_gap(shape_lex_t *lx)
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
static int num_scan(const char *s, int i, shape_lex_kind_t *kind)
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
	*kind = SHAPE_LEX_NUM;
	if (shape_lex_is_ident_cont((unsigned char)s[i])) {
		*kind = SHAPE_LEX_OPAQUE;
		while (shape_lex_is_ident_cont((unsigned char)s[i]))
			i++;
	}
	return i;
}

/* '$' at s[i]: a parameter, a dollar quote, or a stray character. */
static int dollar_scan(shape_lex_t *lx, int i, shape_lex_kind_t *kind)
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
		*kind = SHAPE_LEX_PARAM;
		if (shape_lex_is_ident_cont((unsigned char)s[j])) {
			*kind = SHAPE_LEX_OPAQUE;
			while (shape_lex_is_ident_cont((unsigned char)s[j]))
				j++;
		}
		return j;
	}
	if (s[j] != '$' && !is_ident_start((unsigned char)s[j])) {
		*kind = SHAPE_LEX_CHAR;
		return j;
	}
	while (s[j] != '$' && shape_lex_is_ident_cont((unsigned char)s[j]))
		j++;
	if (s[j] != '$') {
		*kind = SHAPE_LEX_CHAR;
		return i + 1;
	}
	taglen = j + 1 - i;
	for (j++; s[j] != '\0'; j++)
		if (s[j] == '$' && strncmp(s + j, s + i, (size_t)taglen) == 0) {
			*kind = SHAPE_LEX_VERBATIM;
			return j + taglen;
		}
	return -1;
}

/* An operator at s[i]. It stops where a comment starts, and, as in
 * PostgreSQL, a multi-character operator made only of characters SQL's
 * own operators use does not end in '+' or '-': "=-5" is '=' then '-' 5
 * (a sign), while "@-" or "!=-" stay one operator. */
static int op_scan(const char *s, int i, shape_lex_kind_t *kind)
{
	int j = i;
	bool odd = false;

	*kind = SHAPE_LEX_OP;
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
static int tok_scan(shape_lex_t *lx, shape_lex_kind_t *kind)
{
	const char *s = lx->s;
	int i = lx->pos;
	unsigned char c = (unsigned char)s[i], c1 = (unsigned char)s[i + 1];

	if ((c == 'e' || c == 'E') && c1 == '\'') {
		*kind = SHAPE_LEX_ESTR;
		return shape_lex_str_scan(s, i + 1, true, NULL, NULL);
	}
	if ((c == 'b' || c == 'B' || c == 'x' || c == 'X') && c1 == '\'') {
		*kind = SHAPE_LEX_VERBATIM;
		return shape_lex_str_scan(s, i + 1, false, NULL, NULL);
	}
	if ((c == 'u' || c == 'U') && c1 == '&' && (s[i + 2] == '\'' || s[i + 2] == '"')) {
		*kind = s[i + 2] == '"' ? SHAPE_LEX_QIDENT : SHAPE_LEX_VERBATIM;
		return s[i + 2] == '"' ? qident_scan(s, i + 2)
		                       : shape_lex_str_scan(s, i + 2, false, NULL, NULL);
	}
	if (is_ident_start(c)) {
		*kind = SHAPE_LEX_WORD;
		while (shape_lex_is_ident_cont((unsigned char)s[i]))
			i++;
		return i;
	}
	if (is_digit(c) || (c == '.' && is_digit(c1)))
		return num_scan(s, i, kind);
	if (c == '\'') {
		*kind = SHAPE_LEX_STR;
		return shape_lex_str_scan(s, i, false, NULL, NULL);
	}
	if (c == '"') {
		*kind = SHAPE_LEX_QIDENT;
		return qident_scan(s, i);
	}
	if (c == '$')
		return dollar_scan(lx, i, kind);
	if (is_op_char(c))
		return op_scan(s, i, kind);
	*kind = SHAPE_LEX_CHAR;
	return i + (c == ':' && c1 == ':' ? 2 : 1);
}

/* 0, SHAPE_LEX_AS_IS (unterminated quote or comment, absurd $n) or SG_ENOMEM. */
int shape_lex_run(shape_lex_t *lx)
{
	shape_lex_kind_t kind;
	int gap, end, rc;

	for (;;) {
		gap = skip_gap(lx);
		if (gap < 0)
			return SHAPE_LEX_AS_IS;
		if (lx->s[lx->pos] == '\0')
			return 0;
		end = tok_scan(lx, &kind);
		if (end < 0)
			return SHAPE_LEX_AS_IS;
		rc = tok_push(lx, kind, lx->pos, end, gap > 0);
		if (rc != 0)
			return rc;
		lx->pos = end;
	}
}
