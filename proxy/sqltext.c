#include "sqltext.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

int sql_literal(const char *value, char *out, size_t cap)
{
	bool esc = strchr(value, '\\') != NULL;
	size_t n = 0;
	const char *p;

	/* E'' keeps backslashes literal whatever standard_conforming_strings is. */
	if (esc) {
		if (cap < 1)
			return SG_ERANGE;
		out[n++] = 'E';
	}
	if (n + 1 >= cap)
		return SG_ERANGE;
	out[n++] = '\'';
	for (p = value; *p; p++) {
		if (n + 3 >= cap)
			return SG_ERANGE;
		if (*p == '\'' || (esc && *p == '\\'))
			out[n++] = *p;
		out[n++] = *p;
	}
	if (n + 2 > cap)
		return SG_ERANGE;
	out[n++] = '\'';
	out[n] = '\0';
	return 0;
}

int sql_unliteral(const char *lit, char *out, size_t cap)
{
	bool esc = lit[0] == 'E';
	const char *p = lit + (esc ? 1 : 0);
	size_t n = 0;

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

/* Lexer: yields identifier/keyword tokens, skipping whitespace, comments,
 * string literals, quoted identifiers and dollar-quoted bodies. */
typedef struct sql_lex {
	const char *p;
	char tok[64];
} sql_lex_t;

static void lex_skip_dollar(sql_lex_t *lx)
{
	const char *tag = lx->p, *end;
	size_t taglen;

	end = strchr(tag + 1, '$');
	if (end == NULL) {
		lx->p += strlen(lx->p);
		return;
	}
	taglen = (size_t)(end - tag) + 1;
	lx->p = end + 1;
	while (*lx->p && strncmp(lx->p, tag, taglen) != 0)
		lx->p++;
	if (*lx->p)
		lx->p += taglen;
}

static bool lex_next(sql_lex_t *lx)
{
	const char *p;
	size_t n;

	for (;;) {
		p = lx->p;
		if (*p == '\0')
			return false;
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 1;
			p += 2;
			while (*p && depth > 0) {
				if (p[0] == '/' && p[1] == '*')
					depth++, p++;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p++;
				p++;
			}
		} else if (*p == '\'' || *p == '"') {
			char q = *p++;
			while (*p && !(*p == q && p[1] != q)) {
				if (*p == q)
					p++;
				p++;
			}
			if (*p)
				p++;
		} else if (*p == '$' && (isalpha((unsigned char)p[1]) || p[1] == '_' || p[1] == '$')) {
			lx->p = p;
			lex_skip_dollar(lx);
			continue;
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '$'; n++)
				if (n < sizeof(lx->tok) - 1)
					lx->tok[n] = (char)tolower((unsigned char)p[n]);
			lx->tok[n < sizeof(lx->tok) - 1 ? n : sizeof(lx->tok) - 1] = '\0';
			lx->p = p + n;
			return true;
		} else {
			p++;
		}
		lx->p = p;
	}
}

const char *sql_pin_reason(const char *sql)
{
	sql_lex_t lx = {.p = sql};
	char prev[64] = "";
	bool first = true, after_create = false;

	while (lex_next(&lx)) {
		const char *t = lx.tok;
		if (first && (strcmp(t, "listen") == 0))
			return "LISTEN";
		if (first && strcmp(t, "prepare") == 0)
			return "SQL PREPARE";
		if (strcmp(t, "pg_advisory_lock") == 0 || strcmp(t, "pg_advisory_lock_shared") == 0 ||
		    strcmp(t, "pg_try_advisory_lock") == 0 || strcmp(t, "pg_try_advisory_lock_shared") == 0)
			return "session advisory lock";
		if (after_create && (strcmp(t, "temp") == 0 || strcmp(t, "temporary") == 0))
			return "temporary table";
		if (strcmp(prev, "with") == 0 && strcmp(t, "hold") == 0)
			return "WITH HOLD cursor";
		after_create = strcmp(t, "create") == 0 ||
		               (after_create && (strcmp(t, "global") == 0 || strcmp(t, "local") == 0 ||
		                                 strcmp(t, "or") == 0 || strcmp(t, "replace") == 0));
		strcpy(prev, t);
		first = false;
	}
	/* First words of later statements in a multi-statement query (a ';'
	 * inside a string only costs a needless check). */
	{
		const char *semi = sql;
		while ((semi = strchr(semi, ';')) != NULL) {
			sql_lex_t l2 = {.p = semi + 1};
			semi++;
			if (lex_next(&l2) &&
			    (strcmp(l2.tok, "listen") == 0 || strcmp(l2.tok, "prepare") == 0))
				return strcmp(l2.tok, "listen") == 0 ? "LISTEN" : "SQL PREPARE";
		}
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
