/* shardmap.h — the runtime shard map built from a config_t: hash slots
 * (slot → shard), region lists (value → shard) and time-tier watermarks.
 *
 * The slot map and the watermarks persist in `state_dir` (files
 * "slots" and "watermarks", written atomically: temp file + rename):
 * routing must keep finding rows where they were written, across restarts
 * and reloads. On first start the slot map is equal contiguous ranges in
 * shard order, and each tier boundary is initialised to now - max_age.
 * A reload keeps the persisted state when it is still valid for the new
 * config (same slot count and shards still present), else it is an error.
 *
 * Immutable once built and reference-counted: a reload builds a new one
 * and work in flight keeps the old. */
#ifndef SG_SHARDMAP_H
#define SG_SHARDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct sm_region_entry {
	char *value; /* lower-cased, owned */
	int shard;
} sm_region_entry_t;

typedef struct sm_table {
	const cfg_table_t *cfg; /* borrowed from the map's config */
	/* region: sorted by value for bsearch */
	sm_region_entry_t *regions;
	size_t nregions;
	int default_shard; /* region: -1 if none */
	/* time: wm[k] is the lower bound (inclusive, microseconds UTC) of tier
	 * k; the last tier has no lower bound (ntiers - 1 watermarks). */
	int64_t *wm;
	size_t nwm;
	int *tier_shard; /* ntiers entries */
} sm_table_t;

typedef struct sg_shardmap {
	int refs;
	config_t *cfg; /* one reference */
	uint32_t nslots;
	uint16_t *slot_shard; /* nslots entries: shard index */
	uint64_t slot_shards; /* bitmap of the shards owning at least one slot */
	sm_table_t *tables;   /* cfg->ntables entries, same order */
	int default_shard;
} sg_shardmap_t;

/* Builds (and if needed initialises and persists) the map. err gets a
 * readable reason on failure. */
int shardmap_build(config_t *cfg, int64_t now_us, sg_shardmap_t **out, char *err, size_t errlen);
sg_shardmap_t *shardmap_ref(sg_shardmap_t *m);
void shardmap_unref(sg_shardmap_t *m);

int shardmap_slot_shard(const sg_shardmap_t *m, uint32_t slot);
/* -1 if the value is not listed (case-insensitive). */
int shardmap_region_shard(const sg_shardmap_t *m, int table, const char *value);
/* The tier index holding an instant. */
int shardmap_tier_of(const sg_shardmap_t *m, int table, int64_t ts_us);

#endif
