/* config_tree.h — YAML text → a tree of nodes carrying source marks.
 *
 * libyaml's event stream is folded into mapping, sequence and scalar nodes
 * so the loader can look keys up by name and every error can point at a
 * line:column. While the tree is built:
 *   - ${VAR} in a scalar value (never in a key) is replaced by the
 *     environment variable VAR; an unset VAR is an error at the reference;
 *   - aliases, a second document, non-scalar keys, duplicate keys and
 *     nesting deeper than CONFIG_DEPTH_MAX are errors.
 * Mapping pairs keep their order in the file. */
#ifndef SG_CONFIG_TREE_H
#define SG_CONFIG_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "errors.h"

typedef enum { CFG_SCALAR = 0, CFG_MAP, CFG_SEQ } cfg_kind_t;

typedef struct cfg_node {
	cfg_kind_t kind;
	int line, column; /* 1-based, of the node's first character */
	/* SCALAR: a plain (unquoted) empty, "~" or "null" value. The loader
	 * treats it as absent, so `listen:` alone means "all defaults". */
	bool null;
	char *str; /* SCALAR: the value after ${VAR} substitution (owned) */
	size_t n;  /* MAP: complete pairs; SEQ: items */
	size_t cap;
	struct cfg_node **keys; /* MAP: scalar key nodes (owned) */
	struct cfg_node **vals; /* MAP: values; SEQ: items (owned) */
} cfg_node_t;

/* config_tree_parse parses one YAML document. On success *root is the
 * tree's root (NULL for a stream with no document); on failure *root is
 * NULL, err's place and message are set (not err->file) and the return
 * is SG_ECONFIG or SG_ENOMEM. */
int config_tree_parse(const char *yaml, size_t len, cfg_node_t **root, config_error_t *err) SG_WUR;
void config_tree_free(cfg_node_t *n);
/* config_tree_get returns the value under `key` in a mapping, or NULL when
 * the key is absent or `map` is NULL or not a mapping. */
const cfg_node_t *config_tree_get(const cfg_node_t *map, const char *key);
/* config_tree_key returns the key node itself (for errors about the key). */
const cfg_node_t *config_tree_key(const cfg_node_t *map, const char *key);
/* config_tree_item returns item i of a sequence, or NULL. */
const cfg_node_t *config_tree_item(const cfg_node_t *seq, size_t i);
/* config_tree_kind_name: "a mapping", "a list", "a scalar". */
const char *config_tree_kind_name(cfg_kind_t k);

#endif
