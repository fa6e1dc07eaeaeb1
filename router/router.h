/* router.h — where a statement goes. This first version knows only the
 * default shard; the routing issue adds hash, region and time tiers. */
#ifndef SG_ROUTER_H
#define SG_ROUTER_H

#include "config.h"

/* Index into cfg->shards of the default shard. */
int router_default_shard(const config_t *cfg);

#endif
