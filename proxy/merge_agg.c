/* merge_agg.c — the accumulators of the GROUPED merge: folding a shard's
 * partial aggregate (as it came off the wire) or another group's state
 * into a state, and encoding the final value in text or binary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_grp.h"

static int read_int(const merge_type_t *t, const uint8_t *v, int32_t len, int64_t *out)
{
	int rc = merge_value_to_int64(t, v, len, out);

	return rc == SG_ENOTSUP ? SG_EPROTO : rc;
}

static int read_bool(const merge_type_t *t, const uint8_t *v, int32_t len, bool *out)
{
	if (t->format) {
		if (len != 1)
			return SG_EPROTO;
		*out = v[0] != 0;
		return 0;
	}
	if (len == 1 && (v[0] == 't' || v[0] == 'f')) {
		*out = v[0] == 't';
		return 0;
	}
	return SG_EPROTO;
}

static int mm_store(acc_state_t *st, const uint8_t *v, int32_t len)
{
	uint8_t *p = malloc(len ? (size_t)len : 1);

	if (p == NULL)
		return SG_ENOMEM;
	if (len)
		memcpy(p, v, (size_t)len);
	free(st->u.mm.val);
	st->u.mm.val = p;
	st->u.mm.len = len;
	st->has = true;
	return 0;
}

/* min/max: keep v when it beats the state. */
static int mm_offer(const gcol_t *c, acc_state_t *st, const uint8_t *v, int32_t len)
{
	int cmp, rc;

	if (!st->has)
		return mm_store(st, v, len);
	rc = merge_value_cmp(&c->in, v, len, st->u.mm.val, st->u.mm.len, &cmp);
	if (rc)
		return rc;
	if ((c->kind == ACC_MIN && cmp < 0) || (c->kind == ACC_MAX && cmp > 0))
		return mm_store(st, v, len);
	return 0;
}

static int dec_offer(merge_group_t *g, acc_state_t *st, const merge_dec_t *d)
{
	if (!st->has) {
		merge_dec_init(&st->u.dsum);
		st->has = true;
		return merge_dec_copy(&st->u.dsum, d);
	}
	return merge_dec_add(&st->u.dsum, &st->u.dsum, d);
}

int grp_acc_add(merge_group_t *g, const gcol_t *c, acc_state_t *st, const uint8_t *v, int32_t len,
                const uint8_t *v2, int32_t len2)
{
	int64_t i;
	double f;
	bool b;
	int rc = 0;

	/* AVG's count partial first: it is counted even if the sum is NULL (then 0) */
	if (c->kind == ACC_AVG_INT || c->kind == ACC_AVG_DEC || c->kind == ACC_AVG_FLOAT) {
		if (len2 >= 0) {
			rc = read_int(&c->in2, v2, len2, &i);
			if (rc)
				return rc;
			st->count += i;
		}
	}
	if (len < 0)
		return 0; /* NULL partials are skipped */
	switch (c->kind) {
	case ACC_COUNT:
		rc = read_int(&c->in, v, len, &i);
		if (rc == 0)
			st->count += i;
		return rc;
	case ACC_SUM_INT:
	case ACC_AVG_INT:
		rc = read_int(&c->in, v, len, &i);
		if (rc == 0) {
			st->u.isum += i;
			st->has = true;
		}
		return rc;
	case ACC_SUM_DEC:
	case ACC_AVG_DEC:
		rc = merge_value_to_dec(&c->in, v, len, &g->tmpdec);
		return rc ? rc : dec_offer(g, st, &g->tmpdec);
	case ACC_SUM_FLOAT:
	case ACC_AVG_FLOAT:
		rc = merge_value_to_double(&c->in, v, len, &f);
		if (rc == 0) {
			st->u.fsum = st->has ? st->u.fsum + f : f;
			st->has = true;
		}
		return rc;
	case ACC_MIN:
	case ACC_MAX:
		return mm_offer(c, st, v, len);
	case ACC_BOOL_AND:
	case ACC_BOOL_OR:
		rc = read_bool(&c->in, v, len, &b);
		if (rc == 0) {
			if (!st->has)
				st->u.b = b;
			else
				st->u.b = c->kind == ACC_BOOL_AND ? (st->u.b && b) : (st->u.b || b);
			st->has = true;
		}
		return rc;
	default:
		return 0;
	}
}

int grp_acc_fold(merge_group_t *g, const gcol_t *c, acc_state_t *dst, acc_state_t *src)
{
	switch (c->kind) {
	case ACC_COUNT:
		dst->count += src->count;
		return 0;
	case ACC_SUM_INT:
	case ACC_AVG_INT:
		dst->count += src->count;
		if (src->has) {
			dst->u.isum += src->u.isum;
			dst->has = true;
		}
		return 0;
	case ACC_SUM_DEC:
	case ACC_AVG_DEC:
		dst->count += src->count;
		return src->has ? dec_offer(g, dst, &src->u.dsum) : 0;
	case ACC_SUM_FLOAT:
	case ACC_AVG_FLOAT:
		dst->count += src->count;
		if (src->has) {
			dst->u.fsum = dst->has ? dst->u.fsum + src->u.fsum : src->u.fsum;
			dst->has = true;
		}
		return 0;
	case ACC_MIN:
	case ACC_MAX:
		return src->has ? mm_offer(c, dst, src->u.mm.val, src->u.mm.len) : 0;
	case ACC_BOOL_AND:
	case ACC_BOOL_OR:
		if (src->has) {
			if (!dst->has)
				dst->u.b = src->u.b;
			else
				dst->u.b = c->kind == ACC_BOOL_AND ? (dst->u.b && src->u.b)
				                                   : (dst->u.b || src->u.b);
			dst->has = true;
		}
		return 0;
	default:
		return 0;
	}
}

void grp_acc_free(const gcol_t *c, acc_state_t *st)
{
	switch (c->kind) {
	case ACC_SUM_DEC:
	case ACC_AVG_DEC:
		if (st->has)
			merge_dec_free(&st->u.dsum);
		break;
	case ACC_MIN:
	case ACC_MAX:
		free(st->u.mm.val);
		st->u.mm.val = NULL;
		break;
	default:
		break;
	}
	st->has = false;
}

/* ---- encoding ---- */

static void put_int(const merge_type_t *t, int64_t v, wbuf_t *out)
{
	char buf[24];
	int n;

	if (t->format == 0) {
		n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
		wbuf_put(out, buf, (size_t)n);
		return;
	}
	if (t->oid == MERGE_OID_INT8) {
		wbuf_put_i32(out, (int32_t)(uint32_t)((uint64_t)v >> 32));
		wbuf_put_i32(out, (int32_t)(uint32_t)v);
	} else if (t->oid == MERGE_OID_INT4) {
		wbuf_put_i32(out, (int32_t)v);
	} else {
		wbuf_put_i16(out, (int16_t)v);
	}
}

static void put_double(const merge_type_t *t, double v, wbuf_t *out)
{
	if (t->oid == MERGE_OID_FLOAT4) {
		float f = (float)v;
		uint32_t u;

		if (t->format == 0) {
			merge_float4_write_text(f, out);
			return;
		}
		memcpy(&u, &f, 4);
		wbuf_put_i32(out, (int32_t)u);
		return;
	}
	if (t->format == 0) {
		merge_float8_write_text(v, out);
	} else {
		uint64_t u;

		memcpy(&u, &v, 8);
		wbuf_put_i32(out, (int32_t)(uint32_t)(u >> 32));
		wbuf_put_i32(out, (int32_t)(uint32_t)u);
	}
}

static void put_dec(const merge_type_t *t, const merge_dec_t *d, wbuf_t *out)
{
	if (t->format == 0)
		merge_dec_write_text(d, out);
	else
		merge_dec_write_binary(d, out);
}

static int put_int_sum(const gcol_t *c, __int128 v, wbuf_t *out, char *err, size_t errlen)
{
	__int128 lo = c->out.oid == MERGE_OID_INT8   ? INT64_MIN
	              : c->out.oid == MERGE_OID_INT4 ? INT32_MIN
	                                             : INT16_MIN;
	__int128 hi = c->out.oid == MERGE_OID_INT8   ? INT64_MAX
	              : c->out.oid == MERGE_OID_INT4 ? INT32_MAX
	                                             : INT16_MAX;

	if (v < lo || v > hi) {
		snprintf(err, errlen, "%s out of range",
		         c->out.oid == MERGE_OID_INT8   ? "bigint"
		         : c->out.oid == MERGE_OID_INT4 ? "integer"
		                                        : "smallint");
		return SG_ERANGE;
	}
	put_int(&c->out, (int64_t)v, out);
	return 0;
}

static int put_avg_dec(merge_group_t *g, const gcol_t *c, const acc_state_t *st, wbuf_t *out)
{
	merge_dec_t q;
	int rc;

	merge_dec_init(&q);
	if (c->kind == ACC_AVG_INT)
		rc = merge_dec_from_int128(&q, st->u.isum);
	else
		rc = merge_dec_copy(&q, &st->u.dsum);
	if (rc == 0)
		rc = merge_dec_div_int64(&q, &q, st->count);
	if (rc == 0)
		put_dec(&c->out, &q, out);
	merge_dec_free(&q);
	return rc;
}

int grp_acc_encode(merge_group_t *g, const gcol_t *c, const acc_state_t *st, wbuf_t *out, int32_t *len,
                   char *err, size_t errlen)
{
	size_t start = out->len;
	int rc = 0;

	*len = -1;
	switch (c->kind) {
	case ACC_COUNT:
	case ACC_COUNT_DISTINCT:
		put_int(&c->out, st->count, out);
		break;
	case ACC_SUM_INT:
		if (!st->has)
			return 0;
		rc = put_int_sum(c, st->u.isum, out, err, errlen);
		break;
	case ACC_SUM_DEC:
		if (!st->has)
			return 0;
		put_dec(&c->out, &st->u.dsum, out);
		break;
	case ACC_SUM_FLOAT:
		if (!st->has)
			return 0;
		put_double(&c->out, st->u.fsum, out);
		break;
	case ACC_AVG_INT:
	case ACC_AVG_DEC:
		if (!st->has || st->count == 0)
			return 0;
		rc = put_avg_dec(g, c, st, out);
		break;
	case ACC_AVG_FLOAT:
		if (!st->has || st->count == 0)
			return 0;
		put_double(&c->out, st->u.fsum / (double)st->count, out);
		break;
	case ACC_BOOL_AND:
	case ACC_BOOL_OR:
		if (!st->has)
			return 0;
		if (c->out.format)
			wbuf_put_u8(out, st->u.b ? 1 : 0);
		else
			wbuf_put_u8(out, st->u.b ? 't' : 'f');
		break;
	case ACC_MIN:
	case ACC_MAX:
		if (!st->has)
			return 0;
		wbuf_put(out, st->u.mm.val, (size_t)st->u.mm.len);
		break;
	default:
		return SG_EPROTO;
	}
	if (rc == 0)
		rc = wbuf_status(out);
	if (rc == 0 && out->len - start > INT32_MAX)
		rc = SG_ERANGE;
	if (rc == 0)
		*len = (int32_t)(out->len - start);
	return rc;
}
