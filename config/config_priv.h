/* config_priv.h — declarations shared by the config_*.c files only.
 *
 * Not part of the module's interface: callers include config.h. */
#ifndef SG_CONFIG_PRIV_H
#define SG_CONFIG_PRIV_H

#include "config.h"
#include "config_tree.h"
#include "errors.h"

/* Hard limits on what the loader accepts; they keep fuzzed or hostile files
 * from costing unbounded time or memory. */
#define CONFIG_FILE_MAX   ((size_t)16 * 1024 * 1024)
#define CONFIG_DEPTH_MAX  64
#define CONFIG_MS_PER_DAY (24LL * 60 * 60 * 1000)

/* config_error_at fills err->line/column from `at` (0 when at is NULL),
 * formats the message and returns SG_ECONFIG, so callers can write
 * `return config_error_at(...)`. err->file is left alone. */
int config_error_at(config_error_t *err, const cfg_node_t *at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* config_error_mark is config_error_at with an explicit 1-based place. */
int config_error_mark(config_error_t *err, int line, int column, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* config_free releases a config and everything it owns, whatever its refs;
 * it tolerates a partly built config (NULL fields, counts covering
 * zero-filled entries). */
void config_free(config_t *c);

/* config_load_tree turns a parsed tree into a config with every default
 * applied. Single-field rules (types, bounds, enums, required keys, unknown
 * keys) are checked here; cross-field rules are config_validate's. */
int config_load_tree(const cfg_node_t *root, config_t **out, config_error_t *err) SG_WUR;

/* config_validate applies the cross-field rules. The tree is the one the
 * config was loaded from: it supplies the line:column of each error. */
int config_validate(const config_t *c, const cfg_node_t *root, config_error_t *err) SG_WUR;

/* config_size_parse reads "64MB"-style sizes: an integer with an optional
 * B, kB, KB, MB or GB suffix (powers of 1024). */
int config_size_parse(const char *s, int64_t *bytes) SG_WUR;
/* config_duration_format writes ms in the largest unit that divides it. */
void config_duration_format(int64_t ms, char *buf, size_t n);
/* config_size_format writes bytes in the largest unit that divides it. */
void config_size_format(int64_t bytes, char *buf, size_t n);

#endif
