/* fuzz_paramize.c — the simple-Query rewrite (sql/paramize.c).
 *
 * The input (up to the first NUL, at most 64 KiB) is one Query's text.
 * Whatever sql_paramize rewrites must keep its contract, or the target
 * traps:
 *  - every span's $n stands in the new text where the span says, with n
 *    in 1..nparams, and spans are in order without overlap;
 *  - putting each span's original bytes back gives the original text
 *    exactly (nothing else was changed);
 *  - each parameter's value is its constant's text (leading zeros
 *    dropped), typed int4/int8/numeric;
 *  - error positions map back: a position inside a $n maps to its
 *    constant's first byte, one after the last span maps by the total
 *    length difference. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "paramize.h"

#define MAX_INPUT 65536

static void check(const char *sql, const sql_paramized_t *p)
{
	size_t len = strlen(sql), k, out = 0, in = 0;
	char *rebuilt = malloc(len + 1);

	if (rebuilt == NULL)
		return;
	if (p->text == NULL || strlen(p->text) != p->text_len || p->nparams > p->nspans + (p->nspans == 0))
		__builtin_trap();
	for (k = 0; k < p->nspans; k++) {
		const sql_param_span_t *sp = &p->spans[k];
		long num;
		char *end;

		if (sp->norm_start < (int)out || (size_t)(sp->norm_start + sp->norm_len) > p->text_len ||
		    p->text[sp->norm_start] != '$')
			__builtin_trap();
		num = strtol(p->text + sp->norm_start + 1, &end, 10);
		if (end != p->text + sp->norm_start + sp->norm_len || num < 1 || num > p->nparams)
			__builtin_trap();
		if (p->types[num - 1] != SQL_OID_INT4 && p->types[num - 1] != SQL_OID_INT8 &&
		    p->types[num - 1] != SQL_OID_NUMERIC)
			__builtin_trap();
		/* the text between spans is the original's */
		if ((size_t)sp->norm_start - out != (size_t)sp->orig_start - in)
			__builtin_trap();
		memcpy(rebuilt + in, p->text + out, (size_t)sp->norm_start - out);
		memcpy(rebuilt + sp->orig_start, sql + sp->orig_start, (size_t)sp->orig_len);
		in = (size_t)(sp->orig_start + sp->orig_len);
		out = (size_t)(sp->norm_start + sp->norm_len);
		if (sql_paramized_orig_pos(p, sp->norm_start + 2) != sp->orig_start + 1)
			__builtin_trap();
		/* the value is the constant without leading zeros */
		{
			const char *v = p->values[num - 1], *o = sql + sp->orig_start;
			size_t ol = (size_t)sp->orig_len, d = 0;
			while (d < ol && o[d] >= '0' && o[d] <= '9')
				d++;
			while (d == (size_t)sp->orig_len && ol > 1 && o[0] == '0') {
				o++;
				ol--;
			}
			if (strlen(v) != ol || memcmp(v, o, ol) != 0)
				__builtin_trap();
		}
	}
	if (p->text_len - out != len - in)
		__builtin_trap();
	memcpy(rebuilt + in, p->text + out, p->text_len - out);
	rebuilt[len] = '\0';
	if (memcmp(rebuilt, sql, len) != 0)
		__builtin_trap();
	if (p->text_len > 0 && sql_paramized_orig_pos(p, (int)p->text_len + 1) != (int)len + 1)
		__builtin_trap();
	free(rebuilt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size < MAX_INPUT ? size : MAX_INPUT;
	char *sql = malloc(n + 1);
	sql_paramized_t p;

	if (sql == NULL)
		return 0;
	memcpy(sql, data, n);
	sql[n] = '\0';
	if (sql_paramize(sql, &p) == 1) {
		check(sql, &p);
		sql_paramized_free(&p);
	}
	free(sql);
	return 0;
}
