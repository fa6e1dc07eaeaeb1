/* pghash.h — PostgreSQL's hash functions, bit for bit, so that a row's
 * slot can be checked inside PostgreSQL itself (a table PARTITION BY HASH
 * with modulus = hash.slots puts the row in partition = its slot).
 *
 * PostgreSQL computes a hash partition key as
 *   row = hash_combine64(0, <type>_hash_extended(value, HASH_PARTITION_SEED))
 *   partition = row % modulus
 * with hashint8extended for int2/int4/int8 alike (values that fit in
 * int4 hash as int4 does), hash_bytes_extended over the bytes for text
 * and varchar (deterministic collations), and over the 16 bytes for uuid. */
#ifndef SG_PGHASH_H
#define SG_PGHASH_H

#include <stddef.h>
#include <stdint.h>

#define PGHASH_PARTITION_SEED UINT64_C(0x7A5B22367996DCFD)

uint64_t pghash_bytes_extended(const uint8_t *k, size_t len, uint64_t seed);
uint64_t pghash_uint32_extended(uint32_t k, uint64_t seed);
uint64_t pghash_int8_extended(int64_t v, uint64_t seed);
uint64_t pghash_combine64(uint64_t a, uint64_t b);

/* Row hashes of a single-column partition key. */
uint64_t pghash_row_int(int64_t v);
uint64_t pghash_row_text(const char *s, size_t len);
uint64_t pghash_row_uuid(const uint8_t uuid[16]);
/* Parses a uuid as PostgreSQL's uuid_in accepts it (hex digits, optional
 * hyphens after groups of four, optional surrounding braces). 0 or SG_EPROTO. */
int pghash_uuid_parse(const char *s, uint8_t out[16]);

#endif
