#include "sqltext.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int sql_literal(const char *value, char *out, size_t cap)
{
	bool esc = strchr(value, '\\') != NULL;
	size_t n = 0, need = 3 + (esc ? 1 : 0); /* quotes, NUL, E */
	const char *p;

	for (p = value; *p; p++)
		need += (*p == '\'' || (esc && *p == '\\')) ? 2 : 1;
	if (need > cap)
		return SG_ERANGE;
	/* E'' keeps backslashes literal whatever standard_conforming_strings is. */
	if (esc)
		out[n++] = 'E';
	out[n++] = '\'';
	for (p = value; *p; p++) {
		if (*p == '\'' || (esc && *p == '\\'))
			out[n++] = *p;
		out[n++] = *p;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return 0;
}

int sql_unliteral(const char *lit, char *out, size_t cap)
{
	bool esc = lit[0] == 'E';
	const char *p = lit + (esc ? 1 : 0);
	size_t n = 0;

	if (cap == 0)
		return SG_ERANGE;
	if (*p++ != '\'')
		return SG_EPROTO;
	for (; *p; p++) {
		if (*p == '\'' && p[1] == '\0')
			break;
		if ((*p == '\'' && p[1] == '\'') || (esc && *p == '\\' && p[1] == '\\'))
			p++;
		if (n + 1 >= cap)
			return SG_ERANGE;
		out[n++] = *p;
	}
	if (*p != '\'')
		return SG_EPROTO;
	out[n] = '\0';
	return 0;
}

int sql_is_setting_name(const char *name)
{
	size_t i;

	if (!(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return 0;
	for (i = 1; name[i]; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == '.') || i >= 63)
			return 0;
	return 1;
}

/* Lexer: one pass, yielding identifiers (unquoted ones lower-cased,
 * quoted ones as written), ';' and '.'; skipping whitespace, comments
 * (nested), string literals (with E'' backslash escapes), dollar-quoted
 * bodies, numbers and other punctuation. Never reads past the NUL. */
enum sql_tok { TOK_END, TOK_IDENT, TOK_SEMI, TOK_DOT, TOK_OTHER };

typedef struct sql_lex {
	const char *p;
	char tok[64];
	bool quoted; /* "..." — a name, never a keyword */
} sql_lex_t;

static const char *lex_skip_string(const char *p, bool esc)
{
	char q = *p++;

	while (*p) {
		if (esc && *p == '\\' && p[1] != '\0') {
			p += 2;
		} else if (*p == q && p[1] == q) {
			p += 2;
		} else if (*p == q) {
			return p + 1;
		} else {
			p++;
		}
	}
	return p;
}

static const char *lex_skip_dollar(const char *p)
{
	const char *end = p + 1, *q;
	size_t taglen;

	while (isalnum((unsigned char)*end) || *end == '_')
		end++;
	if (*end != '$')
		return p + 1; /* a lone '$' (e.g. a parameter $1) */
	taglen = (size_t)(end - p) + 1;
	for (q = end + 1; *q; q++)
		if (*q == '$' && strncmp(q, p, taglen) == 0)
			return q + taglen;
	return q;
}

static const char *lex_skip_comment(const char *p)
{
	int depth = 1;

	p += 2;
	while (*p && depth > 0) {
		if (p[0] == '/' && p[1] == '*') {
			depth++;
			p += 2;
		} else if (p[0] == '*' && p[1] == '/') {
			depth--;
			p += 2;
		} else {
			p++;
		}
	}
	return p;
}

static void lex_copy_ident(sql_lex_t *lx, const char *from, size_t n, bool lower)
{
	size_t i, m = n < sizeof(lx->tok) - 1 ? n : sizeof(lx->tok) - 1;

	for (i = 0; i < m; i++)
		lx->tok[i] = lower ? (char)tolower((unsigned char)from[i]) : from[i];
	lx->tok[m] = '\0';
}

static enum sql_tok lex_next(sql_lex_t *lx)
{
	const char *p = lx->p, *e;
	size_t n;

	for (;;) {
		if (*p == '\0') {
			lx->p = p;
			return TOK_END;
		}
		if (isspace((unsigned char)*p)) {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			p = lex_skip_comment(p);
		} else if ((p[0] == 'e' || p[0] == 'E') && p[1] == '\'') {
			p = lex_skip_string(p + 1, true);
		} else if (*p == '\'') {
			p = lex_skip_string(p, false);
		} else if (*p == '"') {
			e = lex_skip_string(p, false);
			n = (size_t)(e - p);
			lex_copy_ident(lx, p + 1, n >= 2 ? n - 2 : 0, false);
			lx->p = e;
			lx->quoted = true;
			return TOK_IDENT;
		} else if (*p == '$') {
			p = lex_skip_dollar(p);
		} else if (isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
			for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '$' ||
			            (unsigned char)p[n] >= 0x80;
			     n++)
				;
			lex_copy_ident(lx, p, n, true);
			lx->p = p + n;
			lx->quoted = false;
			return TOK_IDENT;
		} else if (isdigit((unsigned char)*p)) {
			while (isalnum((unsigned char)*p) || *p == '.' || *p == '_')
				p++;
		} else {
			lx->p = p + 1;
			return *p == ';' ? TOK_SEMI : *p == '.' ? TOK_DOT : TOK_OTHER;
		}
	}
}

static bool tok_is(const char *tok, const char *kw)
{
	return strcmp(tok, kw) == 0;
}

static bool tok_is_advisory_lock(const char *t)
{
	return tok_is(t, "pg_advisory_lock") || tok_is(t, "pg_advisory_lock_shared") ||
	       tok_is(t, "pg_try_advisory_lock") || tok_is(t, "pg_try_advisory_lock_shared");
}

static char lex_peek_char(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return *p;
}

/* Every pinning statement contains one of these words (case-insensitive):
 * one cheap pass rules out most queries before the lexer runs. */
static bool pin_words_present(const char *sql)
{
	static const struct {
		const char *w;
		size_t n;
	} words[] = {{"listen", 6}, {"prepare", 7}, {"advisory", 8}, {"temp", 4}, {"hold", 4}};
	const char *p;
	size_t i;

	for (p = sql; *p; p++) {
		char ch = (char)tolower((unsigned char)*p);
		if (ch != 'l' && ch != 'p' && ch != 'a' && ch != 't' && ch != 'h')
			continue;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (words[i].w[0] == ch && strncasecmp(p, words[i].w, words[i].n) == 0)
				return true;
	}
	return false;
}

/* Per statement: `idx` counts its tokens; `first` is its first keyword;
 * `prev` the previous identifier (empty after punctuation). */
const char *sql_pin_reason(const char *sql)
{
	sql_lex_t lx = {.p = sql};
	char first[64] = "", prev[64] = "";
	enum sql_tok t;
	int idx = 0;

	if (!pin_words_present(sql))
		return NULL;
	while ((t = lex_next(&lx)) != TOK_END) {
		if (t == TOK_SEMI) {
			idx = 0;
			first[0] = prev[0] = '\0';
			continue;
		}
		if (t != TOK_IDENT) {
			/* "pg_temp." as a schema in CREATE */
			if (t == TOK_DOT && tok_is(first, "create") && tok_is(prev, "pg_temp"))
				return "temporary table";
			prev[0] = '\0';
			idx++;
			continue;
		}
		/* A quoted name may be a function (pg_advisory_lock) but never a
		 * keyword: remember it as punctuation-like for the keyword rules.
		 * The lock functions count only when called. */
		if (tok_is_advisory_lock(lx.tok) && lex_peek_char(lx.p) == '(')
			return "session advisory lock";
		if (lx.quoted) {
			prev[0] = '\0';
			if (idx++ == 0)
				first[0] = '\0';
			continue;
		}
		if (idx == 0) {
			memcpy(first, lx.tok, sizeof(first)); /* both 64, tok NUL-terminated */
			if (tok_is(lx.tok, "listen"))
				return "LISTEN";
		} else if (idx == 1 && tok_is(first, "prepare") && !tok_is(lx.tok, "transaction")) {
			return "SQL PREPARE";
		}
		/* CREATE [GLOBAL|LOCAL|OR REPLACE] TEMP ...; SELECT ... INTO TEMP */
		if ((tok_is(lx.tok, "temp") || tok_is(lx.tok, "temporary")) &&
		    ((tok_is(first, "create") && (tok_is(prev, "create") || tok_is(prev, "global") ||
		                                  tok_is(prev, "local") || tok_is(prev, "replace"))) ||
		     (tok_is(first, "select") && tok_is(prev, "into"))))
			return "temporary table";
		if (tok_is(prev, "with") && tok_is(lx.tok, "hold"))
			return "WITH HOLD cursor";
		memcpy(prev, lx.tok, sizeof(prev));
		idx++;
	}
	return NULL;
}

/* ---- SET / RESET recognition ---- */

static const char *skip_space_comments(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			if (e == NULL)
				return p + strlen(p);
			p = e + 2;
		} else {
			return p;
		}
	}
}

/* Matches a keyword followed by a non-identifier character. */
static bool match_kw(const char **pp, const char *kw)
{
	size_t n = strlen(kw);
	const char *p = *pp;

	if (strncasecmp(p, kw, n) != 0 || isalnum((unsigned char)p[n]) || p[n] == '_')
		return false;
	*pp = skip_space_comments(p + n);
	return true;
}

/* Copies a setting name ([A-Za-z0-9_.]); false if none or too long. */
static bool take_name(const char **pp, char *name, size_t ncap)
{
	const char *p = *pp;
	size_t n = 0;

	while (isalnum((unsigned char)*p) || *p == '_' || *p == '.') {
		if (n + 1 >= ncap)
			return false;
		name[n++] = *p++;
	}
	name[n] = '\0';
	*pp = skip_space_comments(p);
	return n > 0 && sql_is_setting_name(name);
}

/* The rest of the statement, trimmed; refuses a second statement. A ';'
 * inside quotes would be refused too, which only costs tracking. */
static bool take_value(const char *p, char *value, size_t vcap)
{
	size_t n = strlen(p);

	while (n > 0 && (isspace((unsigned char)p[n - 1]) || p[n - 1] == ';'))
		n--;
	if (n == 0 || n >= vcap || memchr(p, ';', n) != NULL)
		return false;
	memcpy(value, p, n);
	value[n] = '\0';
	return true;
}

static bool at_end(const char *p)
{
	while (isspace((unsigned char)*p) || *p == ';')
		p++;
	return *p == '\0';
}

sql_set_kind_t sql_parse_set(const char *sql, char *name, size_t ncap, char *value, size_t vcap)
{
	const char *p = skip_space_comments(sql);

	if (match_kw(&p, "reset")) {
		if (match_kw(&p, "all"))
			return at_end(p) ? SQL_SET_RESET_ALL : SQL_SET_NONE;
		return take_name(&p, name, ncap) && at_end(p) ? SQL_SET_RESET : SQL_SET_NONE;
	}
	if (match_kw(&p, "discard"))
		return match_kw(&p, "all") && at_end(p) ? SQL_SET_DISCARD : SQL_SET_NONE;
	if (match_kw(&p, "deallocate")) {
		(void)match_kw(&p, "prepare");
		return match_kw(&p, "all") && at_end(p) ? SQL_SET_DEALLOCATE_ALL : SQL_SET_NONE;
	}
	if (!match_kw(&p, "set"))
		return SQL_SET_NONE;
	if (match_kw(&p, "local") || match_kw(&p, "transaction") || match_kw(&p, "role") ||
	    match_kw(&p, "constraints"))
		return SQL_SET_NONE;
	if (match_kw(&p, "session") &&
	    (match_kw(&p, "authorization") || match_kw(&p, "characteristics") || match_kw(&p, "role")))
		return SQL_SET_NONE;
	if (match_kw(&p, "time")) {
		if (!match_kw(&p, "zone") || ncap < sizeof("TimeZone"))
			return SQL_SET_NONE;
		strcpy(name, "TimeZone");
	} else {
		if (!take_name(&p, name, ncap))
			return SQL_SET_NONE;
		if (*p == '=')
			p = skip_space_comments(p + 1);
		else if (!match_kw(&p, "to"))
			return SQL_SET_NONE;
	}
	if (match_kw(&p, "default"))
		return at_end(p) ? SQL_SET_RESET : SQL_SET_NONE;
	if (strncasecmp(p, "local", 5) == 0 && at_end(p + 5) && strcmp(name, "TimeZone") == 0)
		return SQL_SET_RESET; /* SET TIME ZONE LOCAL */
	return take_value(p, value, vcap) ? SQL_SET_VALUE : SQL_SET_NONE;
}

bool sql_is_session_set(const char *sql)
{
	char name[64], value[512];

	return sql_parse_set(sql, name, sizeof(name), value, sizeof(value)) != SQL_SET_NONE;
}

int sql_parse_deallocate(const char *sql, char *name, size_t ncap)
{
	const char *p = skip_space_comments(sql);
	size_t n = 0;

	if (!match_kw(&p, "deallocate"))
		return 0;
	(void)match_kw(&p, "prepare");
	if (*p == '"') {
		for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
			if (*p == '"')
				p++;
			if (n + 1 >= ncap)
				return 0;
			name[n++] = *p;
		}
		if (*p != '"')
			return 0;
		p++;
	} else {
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '$') {
			if (n + 1 >= ncap)
				return 0;
			name[n++] = (char)tolower((unsigned char)*p++);
		}
	}
	name[n] = '\0';
	if (n == 0 || strcmp(name, "all") == 0)
		return 0;
	return at_end(p);
}

/* ---- statement classes for backend statement caching ---- */

bool sql_can_keep_prepared(const char *sql)
{
	const char *p = skip_space_comments(sql);

	/* A leading '(' is a parenthesised SELECT. TABLE t is SELECT * FROM t. */
	if (*p != '(' && !match_kw(&p, "select") && !match_kw(&p, "insert") && !match_kw(&p, "update") &&
	    !match_kw(&p, "delete") && !match_kw(&p, "merge") && !match_kw(&p, "with") &&
	    !match_kw(&p, "values"))
		return false;
	return !sql_may_expand_star(sql);
}

/* A '*' expands to columns ("SELECT *", "t.*", "RETURNING *", ", *") or
 * multiplies ("a * b"), or is an aggregate's argument ("count(*)"). Numbers
 * and parameters are not tokens here, so "SELECT 2 * 3" reads as an
 * expansion: the answer errs on the side of "yes". */
static bool star_follows_expansion_point(enum sql_tok prev, const sql_lex_t *lx, char prev_punct)
{
	switch (prev) {
	case TOK_END:
	case TOK_DOT:
		return true;
	case TOK_OTHER:
		return prev_punct == ',' || prev_punct == ')';
	case TOK_IDENT:
		return !lx->quoted && (tok_is(lx->tok, "select") || tok_is(lx->tok, "distinct") ||
		                       tok_is(lx->tok, "all") || tok_is(lx->tok, "returning"));
	default:
		return false;
	}
}

bool sql_may_expand_star(const char *sql)
{
	sql_lex_t lx = {.p = sql};
	enum sql_tok t, prev = TOK_END;
	char punct = 0, prev_punct = 0;

	if (strchr(sql, '*') == NULL)
		return false;
	while ((t = lex_next(&lx)) != TOK_END) {
		if (t == TOK_OTHER) {
			punct = lx.p[-1];
			if (punct == '*' && star_follows_expansion_point(prev, &lx, prev_punct))
				return true;
			prev_punct = punct;
		}
		if (t == TOK_SEMI)
			t = TOK_END; /* a new statement starts */
		prev = t;            /* for an identifier, lx.tok keeps it until the next one */
	}
	return false;
}

bool sql_changes_schema(const char *sql)
{
	const char *p = skip_space_comments(sql);

	if (match_kw(&p, "alter") || match_kw(&p, "drop"))
		return true;
	return match_kw(&p, "create") && match_kw(&p, "or") && match_kw(&p, "replace");
}
