/* paramize.h — a simple-protocol statement rewritten to run as a prepared
 * statement with the same meaning.
 *
 * PostgreSQL parses, analyses and plans every simple Query afresh; a
 * statement kept prepared on the backend skips all of that. The rewrite
 * replaces numeric constants by parameters only where a parameter of the
 * constant's own type means exactly what the constant meant:
 *
 *  - the operand right after a comparison or arithmetic operator
 *    (=, <>, !=, <, >, <=, >=, +, -, *, /, %): `aid = 42`, `x + -1234`
 *    (a unary sign stays an operator: -$1 is -42 of the same type);
 *  - a whole item of an IN list: `id IN (1, 2, 3)`.
 *
 * Each parameter is declared with the type PostgreSQL's lexer gives the
 * constant: int4 when it fits, int8 when it fits, numeric for decimals and
 * exponents (integers beyond int8 stay as they are). Equal constants share
 * one parameter, so `GROUP BY a + 1` still matches `SELECT a + 1`. String
 * constants, positions (ORDER BY 1), LIMIT counts, type modifiers
 * (numeric(10,2)), VALUES rows and everything else stay in the text.
 *
 * Only one statement, in ASCII (so that error positions map back byte for
 * byte), without $n of its own; the caller has checked that its result
 * columns cannot grow (sql_can_keep_prepared). Everything here is owned
 * by the result (sql_paramized_free). */
#ifndef SG_SQL_PARAMIZE_H
#define SG_SQL_PARAMIZE_H

#include <stddef.h>
#include <stdint.h>

#define SQL_OID_INT4    23u
#define SQL_OID_INT8    20u
#define SQL_OID_NUMERIC 1700u

typedef struct sql_param_span {
	int orig_start, orig_len; /* the constant in the original text */
	int norm_start, norm_len; /* its $n in the rewritten text */
} sql_param_span_t;

typedef struct sql_paramized {
	char *text; /* the rewritten statement */
	size_t text_len;
	uint16_t nparams;
	uint32_t *types; /* nparams type OIDs */
	char **values;   /* nparams constants as text (pointers into `vbuf`) */
	char *vbuf;
	sql_param_span_t *spans; /* nspans replaced constants, in text order */
	size_t nspans;
} sql_paramized_t;

/* 1: `out` holds the rewrite (free it); 0: run the text as it is (out is
 * empty), also when it has more than 256 distinct or 1024 replaceable
 * constants; SG_ENOMEM. */
int sql_paramize(const char *sql, sql_paramized_t *out);
void sql_paramized_free(sql_paramized_t *p);
/* A 1-based character position in the rewritten text (an ErrorResponse's
 * 'P' field) as a position in the original text; 0 when pos is not a place
 * in the rewritten text. */
int sql_paramized_orig_pos(const sql_paramized_t *p, int pos);

#endif
