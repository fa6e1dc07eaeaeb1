/* prepared.h — protocol-level prepared statements in transaction mode.
 *
 * A client's named statement may have to run on any backend connection.
 * Statements are interned by content (query text + parameter types): every
 * client that prepares the same text shares one sg_pstmt_t whose backend
 * name is "sg_<16 hex digits>". Each client maps its own names to interned
 * statements (sg_pmap_t); each server remembers which interned statements
 * it has parsed (sg_pset_t), so a Bind on a server that lacks one gets a
 * Parse injected first. */
#ifndef SG_PREPARED_H
#define SG_PREPARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "types.h"
#include "wire.h"

struct sg_pstmt {
	uint64_t hash;
	char gname[20];   /* backend name, "sg_" + hex(hash) */
	char *query;      /* owned */
	uint16_t nparams; /* as on the wire: 0..65535 */
	uint8_t *types;   /* owned, nparams * 4 bytes network order */
	int refs;         /* client map entries holding it */
	sg_pstmt_t *next; /* intern table chain */
};

/* Returns the interned statement with one more reference, or NULL (ENOMEM). */
sg_pstmt_t *sg_pstmt_intern(const wire_parse_msg_t *m);
void sg_pstmt_unref(sg_pstmt_t *st);
size_t sg_pstmt_count(void);

typedef struct sg_pmap_entry {
	char *name;     /* owned */
	sg_pstmt_t *st; /* one reference */
} sg_pmap_entry_t;

typedef struct sg_pmap {
	sg_pmap_entry_t *items;
	size_t n, cap;
} sg_pmap_t;

/* Takes over the caller's reference to st (also on failure). Replaces an
 * existing mapping of the same name. */
int sg_pmap_put(sg_pmap_t *m, const char *name, sg_pstmt_t *st) SG_WUR;
sg_pstmt_t *sg_pmap_get(const sg_pmap_t *m, const char *name);
void sg_pmap_del(sg_pmap_t *m, const char *name);
void sg_pmap_free(sg_pmap_t *m);

typedef struct sg_pset {
	uint64_t *h;
	size_t n, cap;
} sg_pset_t;

bool sg_pset_has(const sg_pset_t *s, uint64_t h);
int sg_pset_add(sg_pset_t *s, uint64_t h) SG_WUR;
void sg_pset_del(sg_pset_t *s, uint64_t h);
void sg_pset_free(sg_pset_t *s);

#endif
