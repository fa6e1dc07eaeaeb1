/* shardmap.c — the runtime shard map: slot → shard, region value →
 * shard, time tier → shard plus the tier watermarks.
 *
 * Built once per configuration (start and every reload) and never changed
 * afterwards, so lookups need no locks. The persistent parts (slot map,
 * watermarks) are loaded or created by shardmap_state.c. */
#include "shardmap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "shardmap_state.h"

/* Shard sets are 64-bit bitmaps (route.h). */
#define SM_MAX_SHARDS 64

/* Byte-wise ASCII case folding: the same rule as strcasecmp in config
 * validation, so two values validation calls distinct never collide. */
static unsigned char sm_fold(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

/* Compares a value (any case) with a lower-cased entry. */
static int sm_fold_cmp(const char *value, const char *lower)
{
	const unsigned char *a = (const unsigned char *)value, *b = (const unsigned char *)lower;

	for (;; a++, b++) {
		unsigned char ca = sm_fold(*a);

		if (ca != *b)
			return ca < *b ? -1 : 1;
		if (ca == '\0')
			return 0;
	}
}

static int sm_region_sort_cmp(const void *x, const void *y)
{
	const sm_region_entry_t *a = x, *b = y;

	return sm_fold_cmp(a->value, b->value);
}

static int sm_region_find_cmp(const void *key, const void *elem)
{
	const sm_region_entry_t *e = elem;

	return sm_fold_cmp(key, e->value);
}

static int sm_build_regions(const config_t *cfg, const cfg_table_t *ct, sm_table_t *t, char *err,
                            size_t errlen)
{
	size_t n = 0, k = 0;

	t->default_shard = ct->default_shard ? config_shard_index(cfg, ct->default_shard) : -1;
	for (size_t r = 0; r < ct->nregions; r++)
		n += ct->regions[r].nvalues;
	if (n == 0)
		return 0;
	t->regions = calloc(n, sizeof(*t->regions));
	if (t->regions == NULL)
		return SG_ENOMEM;
	t->nregions = n;
	for (size_t r = 0; r < ct->nregions; r++) {
		int shard = config_shard_index(cfg, ct->regions[r].shard);

		if (shard < 0)
			return shardmap_fail(err, errlen, SG_ECONFIG,
			                     "tables.%s: region shard '%s' is not one of the shards",
			                     ct->name, ct->regions[r].shard);
		for (size_t v = 0; v < ct->regions[r].nvalues; v++, k++) {
			char *s = strdup(ct->regions[r].values[v]);

			if (s == NULL)
				return SG_ENOMEM;
			for (char *p = s; *p != '\0'; p++)
				*p = (char)sm_fold((unsigned char)*p);
			t->regions[k].value = s;
			t->regions[k].shard = shard;
		}
	}
	qsort(t->regions, n, sizeof(*t->regions), sm_region_sort_cmp);
	return 0;
}

static int sm_build_tiers(const config_t *cfg, const cfg_table_t *ct, sm_table_t *t, int64_t now_us,
                          char *err, size_t errlen)
{
	t->tier_shard = calloc(ct->ntiers, sizeof(*t->tier_shard));
	if (t->tier_shard == NULL)
		return SG_ENOMEM;
	for (size_t k = 0; k < ct->ntiers; k++) {
		t->tier_shard[k] = config_shard_index(cfg, ct->tiers[k].shard);
		if (t->tier_shard[k] < 0)
			return shardmap_fail(err, errlen, SG_ECONFIG,
			                     "tables.%s: tier shard '%s' is not one of the shards", ct->name,
			                     ct->tiers[k].shard);
	}
	t->nwm = ct->ntiers - 1;
	if (t->nwm == 0)
		return 0;
	t->wm = calloc(t->nwm, sizeof(*t->wm));
	if (t->wm == NULL)
		return SG_ENOMEM;
	/* First-start values; shardmap_state replaces them with the
	 * persisted ones when there are any. */
	for (size_t k = 0; k < t->nwm; k++)
		t->wm[k] = now_us - ct->tiers[k].max_age_ms * 1000;
	return 0;
}

/* Default slot map: equal contiguous ranges in shard order. */
static void sm_default_slots(sg_shardmap_t *m, size_t nshards)
{
	for (uint32_t s = 0; s < m->nslots; s++)
		m->slot_shard[s] = (uint16_t)((uint64_t)s * nshards / m->nslots);
}

static void sm_free(sg_shardmap_t *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; m->tables != NULL && m->cfg != NULL && i < m->cfg->ntables; i++) {
		sm_table_t *t = &m->tables[i];

		for (size_t k = 0; k < t->nregions; k++)
			free(t->regions[k].value);
		free(t->regions);
		free(t->wm);
		free(t->tier_shard);
	}
	free(m->tables);
	free(m->slot_shard);
	if (m->cfg != NULL)
		config_unref(m->cfg);
	free(m);
}

int shardmap_build(config_t *cfg, int64_t now_us, sg_shardmap_t **out, char *err, size_t errlen)
{
	sg_shardmap_t *m = NULL;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg->nshards == 0 || cfg->nshards > SM_MAX_SHARDS)
		return shardmap_fail(err, errlen, SG_ECONFIG,
		                     "%zu shards configured: shardgate supports 1 to %d", cfg->nshards,
		                     SM_MAX_SHARDS);
	if (cfg->hash.slots < 1)
		return shardmap_fail(err, errlen, SG_ECONFIG, "hash.slots must be at least 1, got %d",
		                     cfg->hash.slots);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return SG_ENOMEM;
	m->refs = 1;
	m->cfg = config_ref(cfg);
	m->default_shard = config_shard_index(cfg, cfg->default_shard);
	if (m->default_shard < 0) {
		rc = shardmap_fail(err, errlen, SG_ECONFIG, "default_shard '%s' is not one of the shards",
		                   cfg->default_shard ? cfg->default_shard : "(none)");
		goto fail;
	}
	m->nslots = (uint32_t)cfg->hash.slots;
	m->slot_shard = calloc(m->nslots, sizeof(*m->slot_shard));
	m->tables = cfg->ntables ? calloc(cfg->ntables, sizeof(*m->tables)) : NULL;
	rc = SG_ENOMEM;
	if (m->slot_shard == NULL || (cfg->ntables && m->tables == NULL))
		goto fail;
	sm_default_slots(m, cfg->nshards);
	for (size_t i = 0; i < cfg->ntables; i++) {
		const cfg_table_t *ct = &cfg->tables[i];
		sm_table_t *t = &m->tables[i];

		t->cfg = ct;
		t->default_shard = -1;
		rc = 0;
		if (ct->by == SHARD_BY_REGION)
			rc = sm_build_regions(cfg, ct, t, err, errlen);
		else if (ct->by == SHARD_BY_TIME && ct->ntiers > 0)
			rc = sm_build_tiers(cfg, ct, t, now_us, err, errlen);
		if (rc != 0)
			goto fail;
	}
	rc = shardmap_state_sync(m, err, errlen);
	if (rc != 0)
		goto fail;
	for (uint32_t s = 0; s < m->nslots; s++)
		m->slot_shards |= UINT64_C(1) << m->slot_shard[s];
	*out = m;
	return 0;
fail:
	if (rc == SG_ENOMEM && err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "out of memory building the shard map");
	sm_free(m);
	return rc;
}

sg_shardmap_t *shardmap_ref(sg_shardmap_t *m)
{
	if (m != NULL)
		m->refs++;
	return m;
}

void shardmap_unref(sg_shardmap_t *m)
{
	if (m != NULL && --m->refs == 0)
		sm_free(m);
}

int shardmap_slot_shard(const sg_shardmap_t *m, uint32_t slot)
{
	return slot < m->nslots ? m->slot_shard[slot] : -1;
}

static const sm_table_t *sm_table(const sg_shardmap_t *m, int table, shard_by_t by)
{
	if (table < 0 || (size_t)table >= m->cfg->ntables || m->tables[table].cfg->by != by)
		return NULL;
	return &m->tables[table];
}

int shardmap_region_shard(const sg_shardmap_t *m, int table, const char *value)
{
	const sm_table_t *t = sm_table(m, table, SHARD_BY_REGION);
	const sm_region_entry_t *e;

	if (t == NULL || value == NULL || t->nregions == 0)
		return -1;
	e = bsearch(value, t->regions, t->nregions, sizeof(*t->regions), sm_region_find_cmp);
	return e ? e->shard : -1;
}

/* Tier k holds [wm[k], wm[k-1]): tier 0 has no upper bound (rows from
 * the future stay in the newest tier), the last tier no lower bound. */
int shardmap_tier_of(const sg_shardmap_t *m, int table, int64_t ts_us)
{
	const sm_table_t *t = sm_table(m, table, SHARD_BY_TIME);
	size_t k = 0;

	if (t == NULL)
		return -1;
	while (k < t->nwm && ts_us < t->wm[k])
		k++;
	return (int)k;
}
