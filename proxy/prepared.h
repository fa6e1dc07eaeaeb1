/* prepared.h — protocol-level prepared statements in transaction mode.
 *
 * A client's named statement may have to run on any backend connection.
 * Statements are interned by content (query text + parameter types): every
 * client that prepares the same text shares one sg_pstmt_t whose backend
 * name is "sg_<16 hex digits>". Each client maps its own names to interned
 * statements (sg_pmap_t); each server remembers which interned statements
 * it has parsed (sg_pset_t), so a Bind on a server that lacks one gets a
 * Parse injected first.
 *
 * An unnamed statement shardgate keeps prepared on the backend on the
 * client's behalf (pool.cache_unnamed_statements) has a second backend
 * identity, its "kept" key, derived from the content hash and a
 * process-wide epoch: after a schema change the epoch moves on and kept
 * statements are parsed afresh under new names, because PostgreSQL refuses
 * to run a prepared statement whose result columns changed, and the client
 * never asked for a prepared statement. A client's own named statements
 * keep PostgreSQL's behaviour (the error). Kept names of older epochs stay
 * on backends until evicted (sg_pset_lru) or the connection closes. */
#ifndef SG_PREPARED_H
#define SG_PREPARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "types.h"
#include "wire.h"

struct sg_pstmt {
	uint64_t hash;  /* of the content; unique among live statements */
	char gname[20]; /* backend name, "sg_" + hex(hash) */
	uint64_t kkey;  /* kept key in kkey_epoch: see sg_pstmt_kept_key */
	uint32_t kkey_epoch;
	char *query;      /* owned */
	uint16_t nparams; /* as on the wire: 0..65535 */
	uint8_t *types;   /* owned, nparams * 4 bytes network order */
	int refs;         /* client map entries holding it */
	bool is_set;      /* SET/RESET/DISCARD ALL/DEALLOCATE ALL: tracked at its Bind */
	sg_pstmt_t *next; /* intern table chain */
};

/* The digest of a statement's text and parameter types. */
uint64_t sg_pstmt_content_hash(const wire_parse_msg_t *m);
/* The kept key of a content hash in the current epoch (never 0). */
uint64_t sg_pstmt_kept_key_of(uint64_t hash);
/* Returns the interned statement with one more reference, or NULL (ENOMEM). */
sg_pstmt_t *sg_pstmt_intern(const wire_parse_msg_t *m);
void sg_pstmt_unref(sg_pstmt_t *st);
size_t sg_pstmt_count(void);
/* The kept statement's key in the current epoch (never 0, never a content
 * hash of this epoch's statements in practice); cached per epoch. */
uint64_t sg_pstmt_kept_key(sg_pstmt_t *st);
/* The backend name of a key ("sg_" + 16 hex digits), into name[20]. */
void sg_pstmt_key_name(uint64_t key, char name[20]);
/* A schema change was seen: every kept statement gets a new backend name. */
void sg_pstmt_epoch_bump(void);
uint32_t sg_pstmt_epoch(void);

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

/* Statement keys parsed on one backend, each with the tick of its last
 * use, so the least recently used one can be closed when the backend
 * holds as many as pool.max_server_statements allows. */
typedef struct sg_pset_entry {
	uint64_t key;
	uint64_t used; /* sg_pset_t.clock at the last use */
} sg_pset_entry_t;

typedef struct sg_pset {
	sg_pset_entry_t *e;
	size_t n, cap;
	uint64_t clock; /* bumped by every add and use */
} sg_pset_t;

bool sg_pset_has(const sg_pset_t *s, uint64_t h);
/* Marks h used now; false if it is not in the set. */
bool sg_pset_use(sg_pset_t *s, uint64_t h);
int sg_pset_add(sg_pset_t *s, uint64_t h) SG_WUR;
void sg_pset_del(sg_pset_t *s, uint64_t h);
/* The least recently used key last used before tick `before`, or 0. */
uint64_t sg_pset_lru(const sg_pset_t *s, uint64_t before);
void sg_pset_free(sg_pset_t *s);

#endif
