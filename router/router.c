#include "router.h"

int router_default_shard(const config_t *cfg)
{
	int i = config_shard_index(cfg, cfg->default_shard);

	return i < 0 ? 0 : i;
}
