/* test_merge_plan_fuzz.c — inputs found by fuzz/fuzz_merge_plan.c that
 * broke the planner's contract, kept as regressions. */
#include "merge_plan_check.h"

/* $0, and numbers that wrapped below 1 in the scanner ($2147483648),
 * deparse as `?` and `$-2147483648`: a rewritten shard statement no
 * shard can parse. They are refused whatever the mode. */
static void test_param_zero(void **state)
{
	(void)state;
	refused("SELECT id FROM orders WHERE a = $0 LIMIT $2 OFFSET 5", "parameter $0");
	refused("SELECT count(*) FROM t WHERE a = $0", "parameter $0");
	refused("SELECT id FROM t WHERE a = $0 ORDER BY 1", "parameter $0");
	refused("SELECT a FROM t UNION ALL SELECT b FROM u WHERE b = $0", "parameter $0");
	refused("SELECT a FROM t GROUP BY a HAVING count(*) > $0", "parameter $0");
	refused("SELECT id FROM t WHERE a = $2147483648 OFFSET 1", "parameter $-2147483648");
	/* $1 is still fine */
	mode_sql(plan_of("SELECT id FROM t WHERE a = $1 OFFSET 1"), SQL_MERGE_CONCAT,
	         "SELECT id FROM t WHERE a = $1");
}

/* libpg_query's deparser drops a type modifier that is not a constant,
 * an identifier or a parameter: x::um(1 + 1) came out as x::um(). */
static void test_typmod_expression(void **state)
{
	(void)state;
	refused("SELECT sum(qty * price), sty::um(qty::bigint) FROM orders",
	        "type modifiers must be simple constants or identifiers");
	refused("SELECT count(*), x::um(1 + 1) FROM t GROUP BY 2",
	        "type modifiers must be simple constants or identifiers");
	mode_sql(plan_of("SELECT count(*), x::numeric(10, 2), y::um(foo), z::um($1) FROM t GROUP BY 2, 3, 4"),
	         SQL_MERGE_GROUPED,
	         "SELECT count(*), x::numeric(10, 2), y::um(foo), z::um($1) FROM t GROUP BY 2, 3, 4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_param_zero, teardown),
	        cmocka_unit_test_teardown(test_typmod_expression, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
