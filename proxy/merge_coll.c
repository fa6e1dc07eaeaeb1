/* merge_coll.c — text collations by name, opened once and cached for the
 * process. One event-loop thread uses the cache, so it has no lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

#define COLL_CACHE_MAX 64

typedef struct coll_entry {
	char name[64];
	merge_coll_t coll;
} coll_entry_t;

static coll_entry_t coll_cache[COLL_CACHE_MAX];
static int coll_cache_n;

static bool is_c_name(const char *name)
{
	return strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0 || strcmp(name, "ucs_basic") == 0;
}

/* newlocale with PostgreSQL's spellings: "en_US" is "en_US.UTF-8" here. */
static locale_t open_locale(const char *name)
{
	static const char *const suffixes[] = {"", ".UTF-8", ".utf8"};
	char buf[96];
	locale_t loc;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (i > 0 && strchr(name, '.') != NULL)
			break;
		if ((size_t)snprintf(buf, sizeof(buf), "%s%s", name, suffixes[i]) >= sizeof(buf))
			return (locale_t)0;
		loc = newlocale(LC_COLLATE_MASK, buf, (locale_t)0);
		if (loc != (locale_t)0)
			return loc;
	}
	return (locale_t)0;
}

int merge_coll_open(const char *name, const merge_coll_t *dflt, merge_coll_t *out)
{
	locale_t loc;

	if (name == NULL || strcmp(name, "default") == 0 || name[0] == 0) {
		if (dflt == NULL)
			return SG_ENOTSUP;
		*out = *dflt;
		return 0;
	}
	if (is_c_name(name)) {
		*out = (merge_coll_t){.bytewise = true, .loc = (locale_t)0};
		return 0;
	}
	if (strstr(name, "-x-icu") != NULL || strlen(name) >= sizeof(coll_cache[0].name))
		return SG_ENOTSUP; /* ICU collations: not reproducible with strcoll */
	for (int i = 0; i < coll_cache_n; i++) {
		if (strcmp(coll_cache[i].name, name) == 0) {
			*out = coll_cache[i].coll;
			return 0;
		}
	}
	if (coll_cache_n == COLL_CACHE_MAX)
		return SG_ENOTSUP;
	loc = open_locale(name);
	if (loc == (locale_t)0)
		return SG_ENOTSUP;
	strcpy(coll_cache[coll_cache_n].name, name);
	coll_cache[coll_cache_n].coll = (merge_coll_t){.bytewise = false, .loc = loc};
	*out = coll_cache[coll_cache_n++].coll;
	return 0;
}

void merge_collations_free(void)
{
	for (int i = 0; i < coll_cache_n; i++)
		freelocale(coll_cache[i].coll.loc);
	coll_cache_n = 0;
}
