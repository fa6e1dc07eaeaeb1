/* shape_lex.h — the token pass behind sql_shape_of (not a public API).
 *
 * Shared by shape_lex.c, which splits a query text into tokens following
 * PostgreSQL's lexical rules, and shape.c, which writes the normalised
 * text from those tokens. Tokens are spans of the caller's text: nothing
 * here copies or owns the text itself. */
#ifndef SG_SQL_SHAPE_LEX_H
#define SG_SQL_SHAPE_LEX_H

#include <stdbool.h>
#include <stddef.h>

/* Result beside 0 / SG_ENOMEM, of the lexer and of the shaper alike:
 * give up and keep the text as it is. */
#define SHAPE_LEX_AS_IS 1

typedef enum shape_lex_kind {
	SHAPE_LEX_WORD,     /* identifier or key word, unquoted */
	SHAPE_LEX_QIDENT,   /* "..." or U&"..." */
	SHAPE_LEX_NUM,      /* 42, 1.5, .5, 1e-3 */
	SHAPE_LEX_STR,      /* '...' (with continuation lines) */
	SHAPE_LEX_ESTR,     /* E'...' */
	SHAPE_LEX_VERBATIM, /* $tag$...$tag$, U&'...', B'...', X'...': never replaced */
	SHAPE_LEX_PARAM,    /* $n */
	SHAPE_LEX_OPAQUE,   /* a number or $n with trailing junk: an error in PostgreSQL 15 */
	SHAPE_LEX_OP,       /* a run of operator characters */
	SHAPE_LEX_CHAR,     /* ( ) [ ] , ; : . :: and anything else */
} shape_lex_kind_t;

typedef struct shape_lex_tok {
	int start, len;
	shape_lex_kind_t kind;
	bool gap; /* whitespace or a comment before it */
} shape_lex_tok_t;

typedef struct shape_lex {
	const char *s; /* borrowed: the NUL-terminated text */
	int pos;
	shape_lex_tok_t *toks; /* owned by the caller once filled: free() it, even on failure */
	size_t ntoks, cap;
	int max_param; /* highest $n seen */
} shape_lex_t;

/* A growable byte string; `oom` latches the first failed allocation. */
typedef struct shape_lex_buf {
	char *p; /* owned, NUL-terminated once anything was added */
	size_t len, cap;
	bool oom;
} shape_lex_buf_t;

void shape_lex_buf_add(shape_lex_buf_t *b, const char *src, size_t n);
void shape_lex_buf_addc(shape_lex_buf_t *b, char c);

/* Whether c may continue an unquoted identifier (letters, digits, _, $,
 * and any byte >= 0x80). */
bool shape_lex_is_ident_cont(unsigned char c);

/* Scans the quoted constant whose opening quote is s[i], through any
 * continuation segments. Returns the index after the last closing quote,
 * or -1 if unterminated. `esc`: backslash escapes (E''). With v, appends
 * the value (doubled quotes undone, escapes decoded) and sets *unsure for
 * escapes whose bytes could be invalid text (NUL, a lone byte >= 0x80). */
int shape_lex_str_scan(const char *s, int i, bool esc, shape_lex_buf_t *v, bool *unsure);

/* Tokenizes lx->s from lx->pos into lx->toks. 0, SHAPE_LEX_AS_IS
 * (unterminated quote or comment, absurd $n) or SG_ENOMEM. */
int shape_lex_run(shape_lex_t *lx);

#endif
