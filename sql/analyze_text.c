/* analyze_text.c — what the parse tree does not say about the text:
 * routing hints in leading comments, where each VALUES row of an INSERT
 * sits (so the router can cut a multi-row INSERT into per-shard INSERTs
 * by copying bytes), and a bound on the tree's depth taken before
 * parsing. Rows and depth use libpg_query's own lexer (at most one scan
 * of the whole text per call, only when needed), so strings, dollar
 * quotes and comments holding parentheses are never mistaken for
 * structure. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze_int.h"
#include "errors.h"

/* ---- hints ---- */

/* "shard: europe", "sharding_key = '42'" → key and value; 0 if the
 * comment body is not a hint. */
static int hint_parse(const char *b, size_t n, char **shard, char **key)
{
	static const char *const names[] = {"sharding_key", "shard"};
	const char *end = b + n, *v;
	char **dst;
	size_t i, len = 0;

	while (b < end && isspace((unsigned char)*b))
		b++;
	for (i = 0; i < 2; i++) {
		len = strlen(names[i]);
		if ((size_t)(end - b) > len && strncasecmp(b, names[i], len) == 0)
			break;
	}
	if (i == 2)
		return 0;
	dst = i == 0 ? key : shard;
	v = b + len;
	while (v < end && isspace((unsigned char)*v))
		v++;
	if (v == end || (*v != ':' && *v != '='))
		return 0;
	v++;
	while (v < end && (isspace((unsigned char)*v) || *v == '\'' || *v == '"'))
		v++;
	while (end > v && (isspace((unsigned char)end[-1]) || end[-1] == '\'' || end[-1] == '"'))
		end--;
	if (end == v || *dst != NULL)
		return 0; /* empty, or a second hint of the same kind: the first wins */
	*dst = strndup(v, (size_t)(end - v));
	return *dst == NULL ? SG_ENOMEM : 0;
}

int sqa_hints(const char *sql, char **shard, char **key)
{
	const char *p = sql, *body, *e;
	int depth, rc;

	*shard = *key = NULL;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			body = p + 2;
			e = body + strcspn(body, "\r\n");
			p = e;
		} else if (p[0] == '/' && p[1] == '*') {
			/* block comments nest in PostgreSQL */
			body = e = p + 2;
			for (depth = 1; *e != '\0'; e++) {
				if (e[0] == '/' && e[1] == '*')
					depth++, e++;
				else if (e[0] == '*' && e[1] == '/' && --depth == 0)
					break;
				else if (e[0] == '*' && e[1] == '/')
					e++;
			}
			if (*e == '\0')
				return 0; /* unterminated: not a comment PostgreSQL accepts */
			p = e + 2;
		} else {
			return 0;
		}
		rc = hint_parse(body, (size_t)(e - body), shard, key);
		if (rc != 0)
			return rc;
	}
}

/* ---- INSERT rows ---- */

/* The location of an expression node, -1 if it has none. */
static int node_location(const PgQuery__Node *n)
{
	const ProtobufCFieldDescriptor *f;
	const ProtobufCMessage *inner;

	if (n == NULL || n->node_case == PG_QUERY__NODE__NODE__NOT_SET)
		return -1;
	f = protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, (unsigned)n->node_case);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return -1;
	inner = *(const ProtobufCMessage *const *)((const char *)n + f->offset);
	if (inner == NULL)
		return -1;
	f = protobuf_c_message_descriptor_get_field_by_name(inner->descriptor, "location");
	if (f == NULL || f->type != PROTOBUF_C_TYPE_INT32)
		return -1;
	return *(const int32_t *)((const char *)inner + f->offset);
}

static bool is_comment(const PgQuery__ScanToken *t)
{
	return t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT;
}

/* Rows "( ... ) , ( ... )" from token k on; 0 rows if the text there is
 * not that. */
static size_t rows_at(const PgQuery__ScanResult *sr, size_t k, sql_insert_row_t *rows, size_t max)
{
	size_t n = 0;
	int depth;

	for (;;) {
		while (k < sr->n_tokens && is_comment(sr->tokens[k]))
			k++;
		if (k >= sr->n_tokens || sr->tokens[k]->token != PG_QUERY__TOKEN__ASCII_40 || n == max)
			return 0;
		rows[n].start = sr->tokens[k]->start;
		for (depth = 0; k < sr->n_tokens; k++) {
			depth += sr->tokens[k]->token == PG_QUERY__TOKEN__ASCII_40;
			depth -= sr->tokens[k]->token == PG_QUERY__TOKEN__ASCII_41;
			if (depth == 0)
				break;
		}
		if (k == sr->n_tokens)
			return 0;
		rows[n++].end = sr->tokens[k++]->end;
		while (k < sr->n_tokens && is_comment(sr->tokens[k]))
			k++;
		if (k >= sr->n_tokens || sr->tokens[k]->token != PG_QUERY__TOKEN__ASCII_44)
			return n;
		k++;
	}
}

/* Every value of every row must lie inside that row's parentheses. */
static bool rows_match(const PgQuery__SelectStmt *v, const sql_insert_row_t *rows)
{
	size_t i, j;
	int loc;

	for (i = 0; i < v->n_values_lists; i++) {
		const PgQuery__List *row = v->values_lists[i]->list;
		for (j = 0; j < row->n_items; j++) {
			loc = node_location(row->items[j]);
			if (loc >= 0 && (loc <= rows[i].start || loc >= rows[i].end))
				return false;
		}
	}
	return true;
}

/* The VALUES keyword after the target and column list, then its rows
 * (a column or alias may itself be named "values": each candidate is
 * checked against the tree). */
int sqa_insert_rows_locate(sqa_ctx_t *c, const PgQuery__InsertStmt *s, const PgQuery__SelectStmt *v)
{
	const PgQuery__ScanResult *sr;
	sql_stmt_t *st = c->st;
	sql_insert_row_t *tmp;
	int after, end = st->start + st->len;
	size_t k, i;

	st->values_start = st->values_end = -1;
	if (!c->scanned && sqa_scan(c) != 0)
		return SG_ENOMEM;
	sr = c->scan;
	if (sr == NULL || st->nrows == 0 || s->relation == NULL)
		return 0;
	tmp = calloc(st->nrows, sizeof(*tmp));
	if (tmp == NULL)
		return SG_ENOMEM;
	after = s->relation->location;
	for (i = 0; i < s->n_cols; i++)
		if (node_location(s->cols[i]) > after)
			after = node_location(s->cols[i]);
	for (k = 0; k < sr->n_tokens && sr->tokens[k]->start < end; k++) {
		if (sr->tokens[k]->token != PG_QUERY__TOKEN__VALUES || sr->tokens[k]->start <= after)
			continue;
		if (rows_at(sr, k + 1, tmp, st->nrows) != st->nrows || !rows_match(v, tmp))
			continue;
		for (i = 0; i < st->nrows; i++) {
			st->rows[i].start = tmp[i].start;
			st->rows[i].end = tmp[i].end;
		}
		st->values_start = st->rows[0].start;
		st->values_end = st->rows[st->nrows - 1].end;
		break;
	}
	free(tmp);
	return 0;
}

/* ---- the nesting guard ---- */

/* libpg_query's protobuf output, protobuf-c's unpack and our walk all
 * recurse once per tree level, and `1+1+...+1` nests one level per
 * operator: a long enough chain would overflow the stack. This bound on
 * the tree depth is read from the tokens before parsing: each open
 * parenthesis adds a level, and within one, every operator-like token
 * may nest (',', AND and OR separate flat siblings; UNION/INTERSECT/
 * EXCEPT/JOIN nest across commas). */
static bool nests_expr(PgQuery__Token t)
{
	switch (t) {
	case PG_QUERY__TOKEN__ASCII_37:
	case PG_QUERY__TOKEN__ASCII_42:
	case PG_QUERY__TOKEN__ASCII_43:
	case PG_QUERY__TOKEN__ASCII_45:
	case PG_QUERY__TOKEN__ASCII_47:
	case PG_QUERY__TOKEN__ASCII_60:
	case PG_QUERY__TOKEN__ASCII_61:
	case PG_QUERY__TOKEN__ASCII_62:
	case PG_QUERY__TOKEN__ASCII_91:
	case PG_QUERY__TOKEN__ASCII_94:
	case PG_QUERY__TOKEN__Op:
	case PG_QUERY__TOKEN__TYPECAST:
	case PG_QUERY__TOKEN__LESS_EQUALS:
	case PG_QUERY__TOKEN__GREATER_EQUALS:
	case PG_QUERY__TOKEN__NOT_EQUALS:
	case PG_QUERY__TOKEN__NOT:
	case PG_QUERY__TOKEN__IS:
	case PG_QUERY__TOKEN__ISNULL:
	case PG_QUERY__TOKEN__NOTNULL:
	case PG_QUERY__TOKEN__LIKE:
	case PG_QUERY__TOKEN__ILIKE:
	case PG_QUERY__TOKEN__SIMILAR:
	case PG_QUERY__TOKEN__BETWEEN:
	case PG_QUERY__TOKEN__IN_P:
	case PG_QUERY__TOKEN__COLLATE:
	case PG_QUERY__TOKEN__AT:
	case PG_QUERY__TOKEN__CASE:
	case PG_QUERY__TOKEN__OPERATOR:
	case PG_QUERY__TOKEN__OVERLAPS:
		return true;
	default:
		return false;
	}
}

typedef struct nest_level {
	int base, structural, expr;
} nest_level_t;

int sqa_depth_bound(const PgQuery__ScanResult *sr)
{
	nest_level_t *stack = NULL, cur = {0, 0, 0};
	size_t k, top = 0, cap = 0;
	int max = 0, d;

	for (k = 0; k < sr->n_tokens; k++) {
		switch (sr->tokens[k]->token) {
		case PG_QUERY__TOKEN__ASCII_40:
			if (top == cap) {
				nest_level_t *ns = realloc(stack, (cap ? cap * 2 : 16) * sizeof(*ns));
				if (ns == NULL) {
					free(stack);
					return SG_ENOMEM;
				}
				stack = ns;
				cap = cap ? cap * 2 : 16;
			}
			stack[top++] = cur;
			cur = (nest_level_t){cur.base + cur.structural + cur.expr + 1, 0, 0};
			break;
		case PG_QUERY__TOKEN__ASCII_41:
			if (top > 0)
				cur = stack[--top];
			break;
		case PG_QUERY__TOKEN__ASCII_44:
		case PG_QUERY__TOKEN__AND:
		case PG_QUERY__TOKEN__OR:
			cur.expr = 0;
			break;
		case PG_QUERY__TOKEN__ASCII_59:
			top = 0;
			cur = (nest_level_t){0, 0, 0};
			break;
		case PG_QUERY__TOKEN__UNION:
		case PG_QUERY__TOKEN__INTERSECT:
		case PG_QUERY__TOKEN__EXCEPT:
		case PG_QUERY__TOKEN__JOIN:
			cur.structural++;
			break;
		default:
			cur.expr += nests_expr(sr->tokens[k]->token);
			break;
		}
		d = cur.base + cur.structural + cur.expr;
		if (d > max)
			max = d;
	}
	free(stack);
	return max;
}

int sqa_scan(sqa_ctx_t *c)
{
	PgQueryScanResult scan = pg_query_scan(c->sql);
	int rc = 0;

	c->scanned = true;
	if (scan.error == NULL) {
		c->scan = pg_query__scan_result__unpack(NULL, scan.pbuf.len, (const uint8_t *)scan.pbuf.data);
		rc = c->scan == NULL ? SG_ENOMEM : 0;
	}
	pg_query_free_scan_result(scan);
	return rc;
}

void sqa_scan_free(sqa_ctx_t *c)
{
	if (c->scan != NULL)
		pg_query__scan_result__free_unpacked(c->scan, NULL);
	c->scan = NULL;
}
