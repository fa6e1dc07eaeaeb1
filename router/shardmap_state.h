/* shardmap_state.h — the shard map's persistent state in cfg->state_dir
 * (router/ internal; callers use shardmap.h).
 *
 *   slots       one line per contiguous slot range: "first last shard"
 *   watermarks  one line per tier boundary: "table tier_index microseconds"
 *
 * Lines starting with '#' and blank lines are ignored. Files are replaced
 * atomically (temp file, fsync, rename, fsync of the directory). */
#ifndef SG_SHARDMAP_STATE_H
#define SG_SHARDMAP_STATE_H

#include <stddef.h>

#include "shardmap.h"

/* Loads the persisted slot map and watermarks into a freshly built map
 * (whose defaults are the first-start values), or persists those defaults
 * when nothing is stored yet. State that does not fit the configuration
 * is an error (SG_ECONFIG, reason in err), never silently replaced.
 * Only what the configuration uses is touched: the slot map when there is
 * a hash table, watermarks when there is a time table. */
int shardmap_state_sync(sg_shardmap_t *m, char *err, size_t errlen);

/* Formats a failure into err (if given) and returns rc. */
int shardmap_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#endif
