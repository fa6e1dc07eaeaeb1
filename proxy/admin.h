/* admin.h — shared pieces of the admin console (admin.c, admin_route.c):
 * text row sets written straight to the admin client's output. */
#ifndef SG_ADMIN_H
#define SG_ADMIN_H

#include "types.h"
#include "wbuf.h"

typedef struct admin_rows {
	wbuf_t *b;
	int ncols;
	int nrows;
} admin_rows_t;

void admin_rows_begin(admin_rows_t *r, sg_client_t *c, int ncols, const char *const *names);
void admin_rows_add(admin_rows_t *r, const char *const *values);
void admin_rows_end(admin_rows_t *r, const char *verb);

void admin_route(sg_client_t *c, const char *stmt);
void admin_show_tables(sg_client_t *c);
void admin_show_slots(sg_client_t *c);
void admin_show_tiers(sg_client_t *c);

#endif
