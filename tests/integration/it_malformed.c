/* it_malformed.c — hostile bytes on shardgate's client port.
 *
 * Each case writes something no real client would send straight to
 * SG_PORT and then requires, within 5 s: either an ErrorResponse with
 * SQLSTATE 08P01 (protocol_violation) followed by the connection closing,
 * or the connection simply closing — never a hang and never any other
 * answer. Afterwards the proxy process must still be alive and a normal
 * libpq client must still get a query through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "it_common.h"

#define DEADLINE_MS 5000

static void expect_rejected(int fd, const char *what)
{
	it_raw_result_t res;

	it_raw_read_outcome(fd, DEADLINE_MS, &res);
	if (res.outcome == IT_RAW_ERROR) {
		it_raw_result_t after;

		if (strcmp(res.sqlstate, "08P01") != 0) {
			close(fd);
			fail_msg("%s: expected SQLSTATE 08P01, got %s (%s)", what, res.sqlstate, res.message);
		}
		/* a protocol violation is fatal: the connection must go too */
		it_raw_read_outcome(fd, DEADLINE_MS, &after);
		if (after.outcome != IT_RAW_CLOSED) {
			close(fd);
			fail_msg("%s: connection still open 5 s after the ErrorResponse", what);
		}
	}
	close(fd);
	if (res.outcome == IT_RAW_TIMEOUT)
		fail_msg("%s: neither an ErrorResponse nor a close within 5 s (%d messages seen)", what,
		         res.nmessages);
}

static void expect_proxy_healthy(void)
{
	PGconn *c;

	if (kill((pid_t)it_env_int("SG_PID"), 0) != 0)
		fail_msg("shardgate (pid %s) is gone", it_env("SG_PID"));
	c = it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
	it_expect_scalar(c, "SELECT 'alive'", "alive");
	it_finish(c);
}

static void send_expect_rejected(const void *buf, size_t len, const char *what)
{
	int fd = it_raw_connect();

	it_raw_send(fd, buf, len, DEADLINE_MS);
	expect_rejected(fd, what);
	expect_proxy_healthy();
}

static void send_length_only(uint32_t len, const char *what)
{
	uint8_t buf[4];

	it_put_u32(buf, len);
	send_expect_rejected(buf, sizeof(buf), what);
}

static void test_length_zero(void **state)
{
	send_length_only(0, "startup length 0");
}

static void test_length_three(void **state)
{
	send_length_only(3, "startup length 3");
}

static void test_length_2g(void **state)
{
	send_length_only(0x80000000u, "startup length 2^31");
}

static void test_length_all_ones(void **state)
{
	send_length_only(0xFFFFFFFFu, "startup length 0xFFFFFFFF");
}

static void test_typed_message_before_startup(void **state)
{
	static const char sql[] = "SELECT 1";
	uint8_t buf[5 + sizeof(sql)];

	buf[0] = 'Q';
	it_put_u32(buf + 1, (uint32_t)(4 + sizeof(sql)));
	memcpy(buf + 5, sql, sizeof(sql));
	send_expect_rejected(buf, sizeof(buf), "'Q' before the startup packet");
}

/* The server asked for SASL; a cleartext PasswordMessage is not a valid
 * SASLInitialResponse (no known mechanism, no length word). */
static void test_password_when_sasl_expected(void **state)
{
	static const char junk[] = "not-a-sasl-message";
	uint8_t buf[512];
	char type = 0;
	int fd = it_raw_connect(), n;
	size_t len = it_raw_startup(buf, sizeof(buf), it_env("SG_USER"), it_env("SG_DB"));

	assert_int_equal(it_raw_send(fd, buf, len, DEADLINE_MS), len);
	n = it_raw_read_msg(fd, DEADLINE_MS, &type, buf, sizeof(buf));
	if (n < 4 || type != 'R' || it_get_u32(buf) != 10) {
		close(fd);
		fail_msg("expected AuthenticationSASL, got '%c' (%d bytes)", type, n);
	}
	buf[0] = 'p';
	it_put_u32(buf + 1, (uint32_t)(4 + sizeof(junk)));
	memcpy(buf + 5, junk, sizeof(junk));
	assert_int_equal(it_raw_send(fd, buf, 5 + sizeof(junk), DEADLINE_MS), 5 + sizeof(junk));
	expect_rejected(fd, "PasswordMessage instead of SASLInitialResponse");
	expect_proxy_healthy();
}

static void test_startup_unterminated_string(void **state)
{
	static const char body[] = "user\0app\0database"; /* no NUL after "database", no final NUL */
	uint8_t buf[8 + sizeof(body) - 1];

	it_put_u32(buf, (uint32_t)sizeof(buf));
	it_put_u32(buf + 4, 196608);
	memcpy(buf + 8, body, sizeof(body) - 1);
	send_expect_rejected(buf, sizeof(buf), "startup packet with an unterminated string");
}

/* A well-formed startup packet, one byte over shardgate's 10000-byte cap
 * (WIRE_STARTUP_MAX). PostgreSQL applies its 10000 to the length minus the
 * length word, so it accepts up to 10004 bytes: against PostgreSQL itself
 * (SG_DIRECT=1) the packet is made one byte over that instead. */
static void test_startup_too_long(void **state)
{
	static uint8_t buf[10005];
	uint32_t len = it_direct() ? 10005 : 10001;
	size_t n = 8;

	it_put_u32(buf, len);
	it_put_u32(buf + 4, 196608);
	memcpy(buf + n, "user\0app\0application_name", 26);
	n += 26;
	memset(buf + n, 'x', len - n - 2);
	buf[len - 2] = 0;
	buf[len - 1] = 0;
	send_expect_rejected(buf, len, "oversized startup packet");
}

/* xorshift32 with a fixed seed: the same megabyte on every run. */
static void test_random_megabyte(void **state)
{
	enum { LEN = 1 << 20 };
	static uint8_t buf[LEN];
	uint32_t x = 0x5eed1234u;

	for (size_t i = 0; i < LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	send_expect_rejected(buf, LEN, "1 MiB of random bytes");
}

/* After a normal login, a typed message whose length word is 3 (below the
 * minimum of 4) written straight onto libpq's socket. */
static void test_bad_length_after_auth(void **state)
{
	PGconn *c = it_connect_proxy(it_env("SG_USER"), it_env("SG_PASSWORD"));
	uint8_t buf[5];
	int fd;

	it_expect_scalar(c, "SELECT 'logged in'", "logged in");
	fd = dup(PQsocket(c));
	assert_true(fd >= 0);
	buf[0] = 'Q';
	it_put_u32(buf + 1, 3);
	assert_int_equal(it_raw_send(fd, buf, sizeof(buf), DEADLINE_MS), sizeof(buf));
	expect_rejected(fd, "message with length 3 after authentication");
	it_finish(c);
	expect_proxy_healthy();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_length_zero, it_teardown),
	        cmocka_unit_test_teardown(test_length_three, it_teardown),
	        cmocka_unit_test_teardown(test_length_2g, it_teardown),
	        cmocka_unit_test_teardown(test_length_all_ones, it_teardown),
	        cmocka_unit_test_teardown(test_typed_message_before_startup, it_teardown),
	        cmocka_unit_test_teardown(test_password_when_sasl_expected, it_teardown),
	        cmocka_unit_test_teardown(test_startup_unterminated_string, it_teardown),
	        cmocka_unit_test_teardown(test_startup_too_long, it_teardown),
	        cmocka_unit_test_teardown(test_random_megabyte, it_teardown),
	        cmocka_unit_test_teardown(test_bad_length_after_auth, it_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
