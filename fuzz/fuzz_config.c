/* fuzz_config.c — libFuzzer target for the YAML configuration loader.
 *
 * Any input must either load or fail with a placed error; never crash,
 * leak or read out of bounds. Not built by CMake:
 *   clang -g -fsanitize=fuzzer,address,undefined -Iconfig -Iproxy fuzz/fuzz_config.c config/config*.c \
 *     proxy/errors.c proxy/wbuf.c $(pkg-config --cflags --libs yaml-0.1 libuv)
 *   ./a.out -dict=fuzz/config.dict fuzz/corpus/config */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "errors.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Give ${VAR} something to find besides the ambient environment. */
	setenv("SG_FUZZ_VAR", "fuzz-value", 1);
	return 0;
}

static void fuzz_config_walk(const config_t *c)
{
	/* Lookups over everything loaded: ASan checks every pointer is sound. */
	for (size_t i = 0; i < c->nshards; i++) {
		if (config_shard_find(c, c->shards[i].name) == NULL)
			abort();
	}
	for (size_t i = 0; i < c->ntables; i++) {
		const cfg_table_t *t = config_table_find(c, c->tables[i].name);

		if (t == NULL || config_shard_by_name(t->by) == NULL)
			abort();
	}
	for (size_t i = 0; i < c->auth.nusers; i++) {
		if (config_user_find(c, c->auth.users[i].name) == NULL)
			abort();
	}
	if (config_shard_index(c, c->default_shard) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config_error_t err;
	config_t *c = NULL;
	char buf[1024];
	int rc = config_load_string((const char *)data, size, "fuzz.yaml", &c, &err);

	if (rc == 0) {
		fuzz_config_walk(c);
		config_ref(c);
		config_unref(c);
		config_unref(c);
		return 0;
	}
	if (c != NULL || (rc != SG_ECONFIG && rc != SG_ENOMEM) ||
	    memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
		abort();
	config_error_format(&err, buf, sizeof(buf));
	return 0;
}
