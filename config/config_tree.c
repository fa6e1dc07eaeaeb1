/* config_tree.c — fold libyaml's event stream into a cfg_node_t tree.
 *
 * libyaml reports marks 0-based and counts columns and indexes in
 * characters, not bytes; every mark stored here is 1-based. */
#include "config_tree.h"
#include "config_priv.h"
#include "wbuf.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* One open collection. A mapping's key waits in `key` (owned) until its
 * value arrives, so nodes only ever hold complete pairs. */
typedef struct tree_level {
	cfg_node_t *node; /* borrowed: owned by its parent or by root */
	cfg_node_t *key;  /* owned while pending */
} tree_level_t;

typedef struct tree_builder {
	const char *src; /* borrowed: the whole input, for error places */
	size_t len;
	config_error_t *err;
	cfg_node_t *root; /* owned until handed to the caller */
	tree_level_t stack[CONFIG_DEPTH_MAX];
	int depth;
	int ndocs;
} tree_builder_t;

static int tree_oom(config_error_t *err)
{
	config_error_mark(err, 0, 0, "out of memory");
	return SG_ENOMEM;
}

static cfg_node_t *tree_node_new(cfg_kind_t kind, const yaml_mark_t *m)
{
	cfg_node_t *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->column = (int)m->column + 1;
	return n;
}

void config_tree_free(cfg_node_t *n)
{
	if (n == NULL)
		return;
	/* Depth is bounded by CONFIG_DEPTH_MAX, so recursion is safe. */
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys != NULL)
			config_tree_free(n->keys[i]);
		config_tree_free(n->vals[i]);
	}
	free(n->keys);
	free(n->vals);
	free(n->str);
	free(n);
}

static int tree_node_grow(cfg_node_t *p)
{
	size_t cap;
	cfg_node_t **v, **k;

	if (p->n < p->cap)
		return 0;
	cap = p->cap ? p->cap * 2 : 4;
	v = realloc(p->vals, cap * sizeof(*v));
	if (v == NULL)
		return SG_ENOMEM;
	p->vals = v;
	if (p->kind == CFG_MAP) {
		k = realloc(p->keys, cap * sizeof(*k));
		if (k == NULL)
			return SG_ENOMEM;
		p->keys = k;
	}
	p->cap = cap;
	return 0;
}

static bool tree_expects_key(const tree_builder_t *b)
{
	const tree_level_t *top;

	if (b->depth == 0)
		return false;
	top = &b->stack[b->depth - 1];
	return top->node->kind == CFG_MAP && top->key == NULL;
}

/* tree_attach hands `n` to the open collection (or makes it the root).
 * It takes ownership of n even when it fails. */
static int tree_attach(tree_builder_t *b, cfg_node_t *n)
{
	tree_level_t *top;
	cfg_node_t *p;
	int rc;

	if (b->depth == 0) {
		/* libyaml ends a document after its root and a second document
		 * is refused, so this cannot happen; checked anyway since this
		 * pointer owns the whole tree. */
		if (b->root != NULL) {
			config_error_at(b->err, n, "only one YAML document is allowed");
			rc = SG_ECONFIG;
			goto fail;
		}
		b->root = n;
		return 0;
	}
	top = &b->stack[b->depth - 1];
	p = top->node;
	if (p->kind == CFG_MAP && top->key == NULL) {
		if (n->kind != CFG_SCALAR) {
			config_error_at(b->err, n, "mapping keys must be scalars, not %s",
			                config_tree_kind_name(n->kind));
			rc = SG_ECONFIG; /* spelled out: n is freed, callers must see failure */
			goto fail;
		}
		for (size_t i = 0; i < p->n; i++) {
			if (strcmp(p->keys[i]->str, n->str) == 0) {
				config_error_at(b->err, n, "duplicate key '%s' (first at line %d column %d)",
				                n->str, p->keys[i]->line, p->keys[i]->column);
				rc = SG_ECONFIG;
				goto fail;
			}
		}
		top->key = n;
		return 0;
	}
	if (tree_node_grow(p) != 0) {
		rc = tree_oom(b->err);
		goto fail;
	}
	if (p->kind == CFG_MAP) {
		p->keys[p->n] = top->key;
		top->key = NULL;
	}
	p->vals[p->n++] = n;
	return 0;
fail:
	config_tree_free(n);
	return rc;
}

/* tree_byte_offset maps libyaml's character index to a byte offset in
 * the (UTF-8) input. */
static size_t tree_byte_offset(const tree_builder_t *b, size_t char_index)
{
	size_t off = 0;

	for (size_t ci = 0; ci < char_index && off < b->len; ci++) {
		off++;
		while (off < b->len && ((unsigned char)b->src[off] & 0xC0) == 0x80)
			off++;
	}
	return off;
}

/* tree_advance moves a 1-based place over src[from, to). */
static void tree_advance(const tree_builder_t *b, size_t from, size_t to, int *line, int *column)
{
	for (size_t i = from; i < to && i < b->len; i++) {
		unsigned char c = (unsigned char)b->src[i];

		if (c == '\n') {
			(*line)++;
			*column = 1;
		} else if ((c & 0xC0) != 0x80) {
			(*column)++;
		}
	}
}

/* tree_ref_place finds where the nth (0-based) "${" of a scalar is in the
 * source. Escapes in quoted scalars can make the source and the value
 * disagree; then the scalar's own place is the best answer. */
static void tree_ref_place(const tree_builder_t *b, const yaml_event_t *ev, int nth, int *line, int *column)
{
	size_t from = tree_byte_offset(b, ev->start_mark.index);
	size_t to = tree_byte_offset(b, ev->end_mark.index);

	*line = (int)ev->start_mark.line + 1;
	*column = (int)ev->start_mark.column + 1;
	for (size_t i = from; i + 1 < to; i++) {
		if (b->src[i] != '$' || b->src[i + 1] != '{')
			continue;
		if (nth-- == 0) {
			tree_advance(b, from, i, line, column);
			return;
		}
	}
}

static bool tree_is_name_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return true;
	return !first && c >= '0' && c <= '9';
}

/* tree_subst copies a scalar value into *out, replacing each ${NAME} with
 * the environment variable NAME. */
static int tree_subst(tree_builder_t *b, const yaml_event_t *ev, char **out)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length, i = 0, j;
	int nref = 0, line, column, rc;
	char name[256];
	const char *v;
	wbuf_t w;

	wbuf_init(&w);
	while (i < len) {
		if (s[i] != '$' || i + 1 >= len || s[i + 1] != '{') {
			wbuf_put_u8(&w, (uint8_t)s[i++]);
			continue;
		}
		for (j = i + 2; j < len && tree_is_name_char(s[j], j == i + 2); j++)
			;
		if (j == i + 2 || j >= len || s[j] != '}' || j - i - 2 >= sizeof(name)) {
			tree_ref_place(b, ev, nref, &line, &column);
			rc = config_error_mark(
			        b->err, line, column,
			        "malformed variable reference: expected ${NAME} with NAME made of "
			        "letters, digits and '_'");
			goto fail;
		}
		memcpy(name, s + i + 2, j - i - 2);
		name[j - i - 2] = '\0';
		v = getenv(name);
		if (v == NULL) {
			tree_ref_place(b, ev, nref, &line, &column);
			rc = config_error_mark(b->err, line, column, "environment variable '%s' is not set",
			                       name);
			goto fail;
		}
		wbuf_put(&w, v, strlen(v));
		nref++;
		i = j + 1;
	}
	wbuf_put_u8(&w, 0);
	if (wbuf_status(&w) != 0) {
		rc = tree_oom(b->err);
		goto fail;
	}
	*out = (char *)w.data; /* the buffer's allocation becomes the string */
	return 0;
fail:
	wbuf_free(&w);
	return rc;
}

static bool tree_is_null(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

static int tree_scalar(tree_builder_t *b, const yaml_event_t *ev)
{
	bool is_key = tree_expects_key(b);
	cfg_node_t *n = tree_node_new(CFG_SCALAR, &ev->start_mark);
	int rc;

	if (n == NULL)
		return tree_oom(b->err);
	/* A NUL would silently cut the C string short (a password, a name). */
	if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL) {
		rc = config_error_at(b->err, n, "NUL characters are not allowed in values");
		goto fail;
	}
	n->null = tree_is_null(ev);
	if (is_key) {
		n->str = strdup((const char *)ev->data.scalar.value);
		if (n->str == NULL) {
			rc = tree_oom(b->err);
			goto fail;
		}
	} else {
		rc = tree_subst(b, ev, &n->str);
		if (rc != 0)
			goto fail;
	}
	return tree_attach(b, n);
fail:
	config_tree_free(n);
	return rc;
}

static int tree_open(tree_builder_t *b, cfg_kind_t kind, const yaml_event_t *ev)
{
	cfg_node_t *n;
	int rc;

	if (b->depth >= CONFIG_DEPTH_MAX)
		return config_error_mark(b->err, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		                         "nesting deeper than %d levels", CONFIG_DEPTH_MAX);
	n = tree_node_new(kind, &ev->start_mark);
	if (n == NULL)
		return tree_oom(b->err);
	rc = tree_attach(b, n);
	if (rc != 0)
		return rc;
	b->stack[b->depth].node = n;
	b->stack[b->depth].key = NULL;
	b->depth++;
	return 0;
}

static int tree_event(tree_builder_t *b, const yaml_event_t *ev, bool *done)
{
	int line = (int)ev->start_mark.line + 1, column = (int)ev->start_mark.column + 1;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (b->ndocs++ > 0)
			return config_error_mark(b->err, line, column, "only one YAML document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return config_error_mark(b->err, line, column, "aliases (*%s) are not supported",
		                         (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return tree_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return tree_open(b, CFG_SEQ, ev);
	case YAML_MAPPING_START_EVENT:
		return tree_open(b, CFG_MAP, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		/* libyaml only emits balanced events, but input is never trusted. */
		if (b->depth == 0)
			return config_error_mark(b->err, line, column, "unbalanced YAML collection end");
		b->depth--;
		return 0;
	default:
		return 0;
	}
}

static int tree_yaml_error(tree_builder_t *b, const yaml_parser_t *p)
{
	int line = 1, column = 1;
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return tree_oom(b->err);
	case YAML_READER_ERROR:
		/* Reader errors carry a byte offset instead of a mark. */
		tree_advance(b, 0, p->problem_offset, &line, &column);
		if (p->problem_value != -1)
			return config_error_mark(b->err, line, column, "invalid input: %s (#%X)", problem,
			                         (unsigned)p->problem_value);
		return config_error_mark(b->err, line, column, "invalid input: %s", problem);
	default:
		line = (int)p->problem_mark.line + 1;
		column = (int)p->problem_mark.column + 1;
		if (p->context != NULL)
			return config_error_mark(
			        b->err, line, column,
			        "YAML syntax error: %s (%s that started at line %d column %d)", problem,
			        p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
		return config_error_mark(b->err, line, column, "YAML syntax error: %s", problem);
	}
}

int config_tree_parse(const char *yaml, size_t len, cfg_node_t **root, config_error_t *err)
{
	tree_builder_t b;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int rc;

	*root = NULL;
	memset(&b, 0, sizeof(b));
	b.src = yaml;
	b.len = len;
	b.err = err;
	if (!yaml_parser_initialize(&parser))
		return tree_oom(err);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = tree_yaml_error(&b, &parser);
			goto fail;
		}
		rc = tree_event(&b, &ev, &done);
		yaml_event_delete(&ev);
		if (rc != 0)
			goto fail;
	}
	yaml_parser_delete(&parser);
	*root = b.root;
	return 0;
fail:
	yaml_parser_delete(&parser);
	for (int i = 0; i < b.depth; i++)
		config_tree_free(b.stack[i].key);
	config_tree_free(b.root);
	return rc;
}

const cfg_node_t *config_tree_key(const cfg_node_t *map, const char *key)
{
	if (map == NULL || map->kind != CFG_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->keys[i];
	}
	return NULL;
}

const cfg_node_t *config_tree_get(const cfg_node_t *map, const char *key)
{
	if (map == NULL || map->kind != CFG_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->vals[i];
	}
	return NULL;
}

const cfg_node_t *config_tree_item(const cfg_node_t *seq, size_t i)
{
	if (seq == NULL || seq->kind != CFG_SEQ || i >= seq->n)
		return NULL;
	return seq->vals[i];
}

const char *config_tree_kind_name(cfg_kind_t k)
{
	switch (k) {
	case CFG_MAP:
		return "a mapping";
	case CFG_SEQ:
		return "a list";
	default:
		return "a scalar";
	}
}
