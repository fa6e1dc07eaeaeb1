/* pghash.c — PostgreSQL's hash functions (src/common/hashfn.c,
 * src/backend/access/hash/hashfunc.c, src/include/common/hashfn.h),
 * reimplemented from the algorithm: Bob Jenkins' lookup3 mix/final over
 * 32-bit words, in the "extended" (64-bit, seeded) variant.
 *
 * PostgreSQL reads the key's words in the machine's byte order, so its
 * hash values differ between little- and big-endian servers. We always
 * assemble words little-endian: that matches PostgreSQL on x86-64 and
 * ARM64, the servers shardgate runs against. */
#include "pghash.h"

#include <stdbool.h>

#include "errors.h"

#define ROT32(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

/* lookup3's reversible mix of three words. */
static inline void pghash_mix(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*a -= *c;
	*a ^= ROT32(*c, 4);
	*c += *b;
	*b -= *a;
	*b ^= ROT32(*a, 6);
	*a += *c;
	*c -= *b;
	*c ^= ROT32(*b, 8);
	*b += *a;
	*a -= *c;
	*a ^= ROT32(*c, 16);
	*c += *b;
	*b -= *a;
	*b ^= ROT32(*a, 19);
	*a += *c;
	*c -= *b;
	*c ^= ROT32(*b, 4);
	*b += *a;
}

/* lookup3's final avalanche of (a, b, c) into c (and b). */
static inline void pghash_final(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*c ^= *b;
	*c -= ROT32(*b, 14);
	*a ^= *c;
	*a -= ROT32(*c, 11);
	*b ^= *a;
	*b -= ROT32(*a, 25);
	*c ^= *b;
	*c -= ROT32(*b, 16);
	*a ^= *c;
	*a -= ROT32(*c, 4);
	*b ^= *a;
	*b -= ROT32(*a, 14);
	*c ^= *b;
	*c -= ROT32(*b, 24);
}

/* Up to four bytes as a little-endian word (missing high bytes are 0). */
static inline uint32_t pghash_le(const uint8_t *p, size_t n)
{
	uint32_t w = 0;

	for (size_t i = 0; i < n && i < 4; i++)
		w |= (uint32_t)p[i] << (8 * i);
	return w;
}

/* The initial state; a non-zero seed is mixed in as if it were a
 * 12-byte chunk (high half, low half, zero padding). */
static void pghash_init(uint32_t len, uint64_t seed, uint32_t *a, uint32_t *b, uint32_t *c)
{
	*a = *b = *c = 0x9e3779b9u + len + 3923095u;
	if (seed != 0) {
		*a += (uint32_t)(seed >> 32);
		*b += (uint32_t)seed;
		pghash_mix(a, b, c);
	}
}

uint64_t pghash_bytes_extended(const uint8_t *k, size_t keylen, uint64_t seed)
{
	uint32_t a, b, c;
	/* PostgreSQL takes the length as an int; keys here are far shorter. */
	size_t len = keylen;

	pghash_init((uint32_t)keylen, seed, &a, &b, &c);
	while (len >= 12) {
		a += pghash_le(k, 4);
		b += pghash_le(k + 4, 4);
		c += pghash_le(k + 8, 4);
		pghash_mix(&a, &b, &c);
		k += 12;
		len -= 12;
	}
	/* The last 0..11 bytes: the low byte of c is left for the length,
	 * so c takes bytes 8..10 shifted up by one byte. */
	if (len > 8)
		c += pghash_le(k + 8, len - 8) << 8;
	if (len > 4)
		b += pghash_le(k + 4, len - 4);
	if (len > 0)
		a += pghash_le(k, len);
	pghash_final(&a, &b, &c);
	return ((uint64_t)b << 32) | c;
}

uint64_t pghash_uint32_extended(uint32_t k, uint64_t seed)
{
	uint32_t a, b, c;

	pghash_init(4, seed, &a, &b, &c);
	a += k;
	pghash_final(&a, &b, &c);
	return ((uint64_t)b << 32) | c;
}

/* hashint8extended: folding the high half into the low half (complemented
 * for negatives) makes every value that fits in int4 hash as int4 does,
 * which is why int2, int4 and int8 keys share one hash. */
uint64_t pghash_int8_extended(int64_t v, uint64_t seed)
{
	uint32_t lo = (uint32_t)(uint64_t)v;
	uint32_t hi = (uint32_t)((uint64_t)v >> 32);

	lo ^= v >= 0 ? hi : ~hi;
	return pghash_uint32_extended(lo, seed);
}

uint64_t pghash_combine64(uint64_t a, uint64_t b)
{
	a ^= b + UINT64_C(0x49a0f4dd15e5a8e3) + (a << 54) + (a >> 7);
	return a;
}

uint64_t pghash_row_int(int64_t v)
{
	return pghash_combine64(0, pghash_int8_extended(v, PGHASH_PARTITION_SEED));
}

uint64_t pghash_row_text(const char *s, size_t len)
{
	return pghash_combine64(0, pghash_bytes_extended((const uint8_t *)s, len, PGHASH_PARTITION_SEED));
}

uint64_t pghash_row_uuid(const uint8_t uuid[16])
{
	return pghash_combine64(0, pghash_bytes_extended(uuid, 16, PGHASH_PARTITION_SEED));
}

static int pghash_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* uuid_in's grammar: optional '{', 32 hex digits where a '-' may follow
 * any group of four (but not the last), optional matching '}'. */
int pghash_uuid_parse(const char *s, uint8_t out[16])
{
	uint8_t tmp[16];
	bool braces = false;

	if (s == NULL)
		return SG_EPROTO;
	if (*s == '{') {
		braces = true;
		s++;
	}
	for (int i = 0; i < 16; i++) {
		int hi = pghash_hexval(s[0]);
		int lo = hi < 0 ? -1 : pghash_hexval(s[1]);

		if (lo < 0)
			return SG_EPROTO;
		tmp[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (*s == '-' && i % 2 == 1 && i < 15)
			s++;
	}
	if (braces && *s++ != '}')
		return SG_EPROTO;
	if (*s != '\0')
		return SG_EPROTO;
	for (int i = 0; i < 16; i++)
		out[i] = tmp[i];
	return 0;
}
