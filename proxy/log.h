/* log.h — one line per event, key=value fields, on stderr.
 * A disabled level costs one branch. Never pass a password or a SCRAM
 * secret to these macros. */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdint.h>

#include "config.h"

extern int sg_log_level;  /* a log_level_t */
extern int sg_log_worker; /* >= 0: every line says worker=N (listen.workers > 1) */

void sg_log_write(int level, const char *kind, uint64_t id, const char *shard, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

#define sg_log(lvl, ...)                                                                                     \
	do {                                                                                                 \
		if ((int)(lvl) <= sg_log_level)                                                              \
			sg_log_write((lvl), NULL, 0, NULL, __VA_ARGS__);                                     \
	} while (0)

/* Connection-scoped: carries the connection id (and shard for servers). */
#define log_client(c, lvl, ...)                                                                              \
	do {                                                                                                 \
		if ((int)(lvl) <= sg_log_level)                                                              \
			sg_log_write((lvl), "client", (c)->id, NULL, __VA_ARGS__);                           \
	} while (0)
#define log_server(s, lvl, ...)                                                                              \
	do {                                                                                                 \
		if ((int)(lvl) <= sg_log_level)                                                              \
			sg_log_write((lvl), "server", (s)->id, (s)->pool->shard, __VA_ARGS__);               \
	} while (0)

#endif
