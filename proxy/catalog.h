/* catalog.h — facts shardgate reads from a shard's catalog (catalog.c). */
#ifndef SG_CATALOG_H
#define SG_CATALOG_H

#include "errors.h"
#include "types.h"

/* The column order of config table `table` must be read before c's
 * statement can be routed: starts the lookup unless one is running, and
 * routes c's buffered input again (client_process) when it ends. */
int catalog_wait_layout(sg_client_t *c, int table) SG_WUR;

#endif
