/* fanout_data.h — the deterministic data set of tests/integration/it_fanout.c.
 *
 * Included by it_fanout.c only. A fixed-seed generator writes multi-row
 * INSERT statements; the test runs the very same text through shardgate
 * (which splits each statement across the shards) and on the oracle, so
 * both hold identical rows by construction.
 *
 * Times are relative to a base time (the load's wall clock, whole
 * seconds): every timestamptz of orders and events is base - k days - 12 h
 * give or take 3 h, so it lies at least 9 h away from any boundary a query
 * draws in whole days from now() (or from "@ago:N" parameters), and from
 * the 7-day and 30-day tier boundaries of events. float8 values are
 * multiples of 0.25 (exact in binary, so sums are exact in any order). */
#ifndef SG_IT_FANOUT_DATA_H
#define SG_IT_FANOUT_DATA_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
	FD_ORDERS = 3000,
	FD_SALES = 1500,
	FD_EVENTS = 1500,
	FD_BATCH = 100, /* rows per INSERT */
	FD_SQL_CAP = 64 * 1024,
};

static const char *const fd_regions[12] = {"US", "CA", "MX", "BR", "UK", "DE",
                                           "FR", "ES", "JP", "SG", "AU", "IN"};
/* events.country: the 12 regions, ZZ (a countries row no sale has) and XX
 * (no countries row at all: LEFT JOIN gives NULLs). */
static const char *const fd_countries[14] = {"US", "CA", "MX", "BR", "UK", "DE", "FR",
                                             "ES", "JP", "SG", "AU", "IN", "ZZ", "XX"};
static const char *const fd_statuses[8] = {"new",     "paid",      "shipped",  "Shipped",
                                           "SHIPPED", "cancelled", "refunded", "returned"};
static const char *const fd_kinds[5] = {"click", "view", "purchase", "signup", "logout"};
static const char *const fd_channels[4] = {"web", "store", "phone", "partner"};

typedef struct fd_gen {
	uint64_t state;
	time_t base;
} fd_gen_t;

static void fd_init(fd_gen_t *g, time_t base)
{
	g->state = UINT64_C(0x5eed0f4a20261128);
	g->base = base;
}

/* 31 pseudo-random bits (Knuth's MMIX LCG, high bits). */
static uint32_t fd_next(fd_gen_t *g)
{
	g->state = g->state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint32_t)(g->state >> 33);
}

static uint32_t fd_pick(fd_gen_t *g, uint32_t n)
{
	return fd_next(g) % n;
}

/* "YYYY-MM-DD HH:MM:SS+00" of t (UTC). */
static void fd_fmt_ts(char *out, size_t cap, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%S+00", &tm);
}

/* 'YYYY-MM-DD' of 2026-01-01 plus `days`. */
static void fd_fmt_date(char *out, size_t cap, int days)
{
	struct tm tm = {.tm_year = 126, .tm_mon = 0, .tm_mday = 1 + days};
	time_t t = timegm(&tm);

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d", &tm);
}

/* A time k days and 12 h (give or take 3 h) before the base. */
static time_t fd_time_back(fd_gen_t *g, int k)
{
	return g->base - (time_t)k * 86400 - 43200 + (time_t)fd_pick(g, 21601) - 10800;
}

/* x.yy for a multiple of 0.25 given in quarters. */
static void fd_fmt_quarters(char *out, size_t cap, uint32_t q)
{
	snprintf(out, cap, "%u.%02u", q / 4, (q % 4) * 25);
}

static void fd_fmt_cents(char *out, size_t cap, uint32_t cents)
{
	snprintf(out, cap, "%u.%02u", cents / 100, cents % 100);
}

/* 'NULL' or the quoted value. */
static const char *fd_q(char *buf, size_t cap, const char *v)
{
	if (v == NULL)
		return "NULL";
	snprintf(buf, cap, "'%s'", v);
	return buf;
}

static const char *fd_bool(fd_gen_t *g, uint32_t null_in)
{
	uint32_t r = fd_pick(g, null_in);

	return r == 0 ? "NULL" : (r % 2 ? "true" : "false");
}

static size_t fd_orders_row(fd_gen_t *g, char *p, size_t cap, int id)
{
	char amount[32], price[32], discount[40], sbuf[32], nbuf[48], note_txt[32], date[16], ts[40], ref[40];
	const char *status, *note, *paid, *region;
	uint32_t user_id, qty, w[6];

	/* One call per statement: the order of the draws is fixed. */
	user_id = 1 + fd_pick(g, 900);
	qty = 1 + fd_pick(g, 20);
	fd_fmt_cents(amount, sizeof(amount), fd_pick(g, 100000));
	fd_fmt_quarters(price, sizeof(price), fd_pick(g, 40000));
	if (fd_pick(g, 5) == 0)
		snprintf(discount, sizeof(discount), "NULL");
	else
		fd_fmt_cents(discount, sizeof(discount), fd_pick(g, 60000));
	status = fd_pick(g, 10) == 0 ? "NULL" : fd_q(sbuf, sizeof(sbuf), fd_statuses[fd_pick(g, 8)]);
	note = "NULL";
	if (fd_pick(g, 10) >= 3) {
		uint32_t kind = fd_pick(g, 7);

		snprintf(note_txt, sizeof(note_txt), kind == 0 ? "gift #%u" : "note %u", fd_pick(g, 500));
		note = fd_q(nbuf, sizeof(nbuf), note_txt);
	}
	region = fd_regions[fd_pick(g, 12)];
	fd_fmt_date(date, sizeof(date), (int)fd_pick(g, 300));
	fd_fmt_ts(ts, sizeof(ts), fd_time_back(g, (int)fd_pick(g, 91)));
	paid = fd_bool(g, 4);
	for (int i = 0; i < 6; i++)
		w[i] = fd_next(g);
	snprintf(ref, sizeof(ref), "%04x%04x-%04x-%04x-%04x-%04x%08x", w[0] & 0xffff, w[1] & 0xffff,
	         w[2] & 0xffff, w[3] & 0xffff, w[4] & 0xffff, w[5] & 0xffff, (w[0] ^ w[5]) << 1 | (w[1] & 1));
	return (size_t)snprintf(p, cap, "(%d, %u, %u, %s, %s, %s, %s, '%s', '%s', '%s', %s, '%s', %s)", id,
	                        user_id, qty, amount, price, discount, status, region, date, ts, paid, ref,
	                        note);
}

static size_t fd_sales_row(fd_gen_t *g, char *p, size_t cap, int id)
{
	char revenue[32], unit[32], date[16], cbuf[32];
	const char *region, *channel, *returned;
	uint32_t product, qty, ch;

	region = fd_regions[fd_pick(g, 12)];
	product = fd_pick(g, 30);
	qty = 1 + fd_pick(g, 50);
	fd_fmt_cents(revenue, sizeof(revenue), fd_pick(g, 200000));
	fd_fmt_quarters(unit, sizeof(unit), fd_pick(g, 2000));
	fd_fmt_date(date, sizeof(date), (int)fd_pick(g, 365));
	ch = fd_pick(g, 5);
	channel = ch == 4 ? "NULL" : fd_q(cbuf, sizeof(cbuf), fd_channels[ch]);
	returned = fd_bool(g, 5);
	return (size_t)snprintf(p, cap, "(%d, '%s', 'P%02u', %u, %s, %s, '%s', %s, %s)", id, region, product,
	                        qty, revenue, unit, date, channel, returned);
}

static size_t fd_events_row(fd_gen_t *g, char *p, size_t cap, int id)
{
	char ts[40], score[16], weight[32];
	const char *kind, *country, *ok;
	int k = (id * 7 + (int)fd_pick(g, 13)) % 91; /* every day 0..90 is used */
	uint32_t user_id;

	fd_fmt_ts(ts, sizeof(ts), fd_time_back(g, k));
	kind = fd_kinds[fd_pick(g, 5)];
	user_id = 1 + fd_pick(g, 500);
	if (fd_pick(g, 7) == 0)
		snprintf(score, sizeof(score), "NULL");
	else
		snprintf(score, sizeof(score), "%d", (int)fd_pick(g, 251) - 50);
	fd_fmt_quarters(weight, sizeof(weight), fd_pick(g, 4000));
	country = fd_countries[fd_pick(g, 14)];
	ok = fd_bool(g, 3);
	return (size_t)snprintf(p, cap, "(%d, '%s', '%s', %u, %s, %s, '%s', %s)", id, ts, kind, user_id,
	                        score, weight, country, ok);
}

typedef size_t (*fd_row_fn)(fd_gen_t *g, char *p, size_t cap, int id);

typedef struct fd_table {
	const char *insert; /* "INSERT INTO t (cols) VALUES " */
	int rows;
	fd_row_fn row;
} fd_table_t;

static const fd_table_t fd_tables[3] = {
        {"INSERT INTO orders (id, user_id, qty, amount, price, discount, status, region, order_date, "
         "created_at, paid, ref, note) VALUES ",
         FD_ORDERS, fd_orders_row},
        {"INSERT INTO sales (id, region, product, qty, revenue, unit, sold_on, channel, returned) VALUES ",
         FD_SALES, fd_sales_row},
        {"INSERT INTO events (id, created_at, kind, user_id, score, weight, country, ok) VALUES ", FD_EVENTS,
         fd_events_row},
};

/* Writes the INSERT for rows [from, from + n) of table t into sql (cap
 * FD_SQL_CAP); returns the number of rows. */
static int fd_batch(fd_gen_t *g, const fd_table_t *t, int from, char *sql)
{
	size_t len = (size_t)snprintf(sql, FD_SQL_CAP, "%s", t->insert);
	int n = 0;

	for (int id = from; id < t->rows + 1 && n < FD_BATCH; id++, n++) {
		if (n > 0)
			len += (size_t)snprintf(sql + len, FD_SQL_CAP - len, ", ");
		len += t->row(g, sql + len, FD_SQL_CAP - len, id);
	}
	return n;
}

#endif
