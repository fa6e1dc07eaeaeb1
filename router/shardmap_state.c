/* shardmap_state.c — persistence of the slot map and the tier watermarks.
 *
 * Routing must keep finding rows where they were written: across a
 * restart or reload the slot map and watermarks are read back, never
 * recomputed. State that no longer fits the configuration (slot count
 * changed, a shard that owns slots removed, tiers added or removed) is an
 * error for the operator to resolve, because silently starting over would
 * route reads away from existing rows. Watermark lines of tables that are
 * no longer time-sharded are kept, so taking a table out of the
 * configuration and back does not lose its boundaries. */
#include "shardmap_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

#define ST_FILE_MAX ((size_t)16 * 1024 * 1024)
#define ST_PATH_MAX 4096

typedef struct st_buf {
	char *p; /* owned */
	size_t len, cap;
} st_buf_t;

typedef struct st_wm_line {
	char *table; /* borrowed from the file buffer */
	uint32_t idx;
	int64_t us;
	bool used;
} st_wm_line_t;

int shardmap_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int st_printf(st_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int st_printf(st_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return SG_EIO;
		if (b->p != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return 0;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *p;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return SG_ENOMEM;
		b->p = p;
		b->cap = cap;
	}
}

/* mkdir -p, mode 0700 for what it creates (the state is ours alone). */
static int st_mkdir_p(const char *dir)
{
	char path[ST_PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return errno;
		path[i] = dir[i];
	}
	return 0;
}

/* Reads a whole file, NUL-terminated. SG_ENOENT if it does not exist. */
static int st_read(const char *path, char **out, char *err, size_t errlen)
{
	st_buf_t b = {0};
	FILE *f = fopen(path, "rb");
	size_t got;
	int rc = 0;

	*out = NULL;
	if (f == NULL)
		return errno == ENOENT ? SG_ENOENT
		                       : shardmap_fail(err, errlen, SG_EIO, "%s: %s", path, strerror(errno));
	do {
		if (b.cap - b.len < 2) {
			char *p = realloc(b.p, b.cap ? b.cap * 2 : 4096);

			if (p == NULL) {
				rc = SG_ENOMEM;
				goto fail;
			}
			b.p = p;
			b.cap = b.cap ? b.cap * 2 : 4096;
		}
		got = fread(b.p + b.len, 1, b.cap - b.len - 1, f);
		b.len += got;
		if (b.len > ST_FILE_MAX) {
			rc = shardmap_fail(err, errlen, SG_ECONFIG, "%s is larger than %zu bytes", path,
			                   ST_FILE_MAX);
			goto fail;
		}
	} while (got > 0);
	if (ferror(f)) {
		rc = shardmap_fail(err, errlen, SG_EIO, "%s: read error", path);
		goto fail;
	}
	b.p[b.len] = '\0';
	if (memchr(b.p, '\0', b.len) != NULL) {
		rc = shardmap_fail(err, errlen, SG_ECONFIG, "%s contains a NUL byte", path);
		goto fail;
	}
	fclose(f);
	*out = b.p;
	return 0;
fail:
	fclose(f);
	free(b.p);
	return rc;
}

/* Replaces dir/name atomically: a crash leaves the old or the new file,
 * never a torn one. */
static int st_write(const char *dir, const char *name, const st_buf_t *b, char *err, size_t errlen)
{
	char tmp[ST_PATH_MAX], path[ST_PATH_MAX];
	size_t off = 0;
	int fd = -1, dfd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return shardmap_fail(err, errlen, SG_ECONFIG, "state_dir path is too long: %s", dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return shardmap_fail(err, errlen, SG_EIO, "cannot create a file in %s: %s", dir,
		                     strerror(errno));
	while (off < b->len) {
		ssize_t n = write(fd, b->p + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	/* Make the rename itself durable. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	shardmap_fail(err, errlen, SG_EIO, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return SG_EIO;
}

/* Next line of a mutable buffer, NUL-terminated in place; NULL at the end. */
static char *st_line(char **cur)
{
	char *s = *cur, *nl;

	if (s == NULL || *s == '\0')
		return NULL;
	nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*cur = nl + 1;
	} else {
		*cur = s + strlen(s);
	}
	return s;
}

static bool st_skip(const char *line)
{
	return line[0] == '\0' || line[0] == '#';
}

/* Unsigned decimal, digits only, at most UINT32_MAX. */
static int st_u32(const char **p, uint32_t *v)
{
	uint64_t n = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return SG_EPROTO;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return SG_ERANGE;
	}
	*p = s;
	*v = (uint32_t)n;
	return 0;
}

static int st_i64(const char *s, int64_t *v)
{
	bool neg = *s == '-';
	uint64_t n = 0, lim;

	s += neg;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (*s == '\0')
		return SG_EPROTO;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || n > (lim - (uint64_t)(*s - '0')) / 10)
			return SG_EPROTO;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = neg ? (int64_t)(0 - n) : (int64_t)n;
	return 0;
}

static bool st_has(const config_t *c, shard_by_t by)
{
	for (size_t i = 0; i < c->ntables; i++)
		if (c->tables[i].by == by)
			return true;
	return false;
}

/* ---- slots ---- */

#define ST_SLOTS_FIXED ": the slot count cannot change once rows are placed by it"
#define ST_GAP         "%s:%d: slot ranges must be contiguous from 0: expected a range starting at %u, got %u..%u"

/* Parses a slots file into out[nslots]: contiguous ranges from slot 0
 * covering exactly nslots slots, each naming a configured shard. */
static int st_slots_parse(const sg_shardmap_t *m, const char *path, char *buf, uint16_t *out, char *err,
                          size_t errlen)
{
	uint32_t next = 0, first, last;
	char *cur = buf, *line;
	int lineno = 0, shard;

	while ((line = st_line(&cur)) != NULL) {
		const char *p = line;

		lineno++;
		if (st_skip(line))
			continue;
		if (st_u32(&p, &first) != 0 || *p++ != ' ' || st_u32(&p, &last) != 0 || *p++ != ' ' ||
		    *p == '\0')
			return shardmap_fail(err, errlen, SG_ECONFIG,
			                     "%s:%d: expected \"first last shard\", got '%.64s'", path,
			                     lineno, line);
		if (first != next || last < first)
			return shardmap_fail(err, errlen, SG_ECONFIG, ST_GAP, path, lineno, next, first,
			                     last);
		if (last >= m->nslots)
			return shardmap_fail(err, errlen, SG_ECONFIG,
			                     "%s:%d: assigns slot %u but hash.slots is %u" ST_SLOTS_FIXED,
			                     path, lineno, last, m->nslots);
		shard = config_shard_index(m->cfg, p);
		if (shard < 0)
			return shardmap_fail(
			        err, errlen, SG_ECONFIG,
			        "%s:%d: shard '%.64s' owns slots %u..%u but is not in the configuration: a "
			        "shard that holds rows cannot be removed",
			        path, lineno, p, first, last);
		for (uint32_t s = first; s <= last; s++)
			out[s] = (uint16_t)shard;
		next = last + 1;
	}
	if (next != m->nslots)
		return shardmap_fail(err, errlen, SG_ECONFIG,
		                     "%s covers %u slots but hash.slots is %u" ST_SLOTS_FIXED, path, next,
		                     m->nslots);
	return 0;
}

static int st_slots_format(const sg_shardmap_t *m, st_buf_t *b, char *err, size_t errlen)
{
	uint32_t first = 0;
	int rc = st_printf(b, "# shardgate slot map: first last shard (hash.slots = %u)\n", m->nslots);

	for (uint32_t s = 1; rc == 0 && s <= m->nslots; s++) {
		if (s < m->nslots && m->slot_shard[s] == m->slot_shard[first])
			continue;
		const char *name = m->cfg->shards[m->slot_shard[first]].name;

		if (strchr(name, '\n') != NULL)
			return shardmap_fail(err, errlen, SG_ECONFIG,
			                     "shard name with a newline cannot be persisted");
		rc = st_printf(b, "%u %u %s\n", first, s - 1, name);
		first = s;
	}
	return rc;
}

static int st_slots_sync(sg_shardmap_t *m, const char *dir, char *err, size_t errlen)
{
	char path[ST_PATH_MAX];
	char *buf = NULL;
	uint16_t *tmp = NULL;
	st_buf_t out = {0};
	int rc;

	snprintf(path, sizeof(path), "%s/slots", dir);
	rc = st_read(path, &buf, err, errlen);
	if (rc == SG_ENOENT) {
		rc = st_slots_format(m, &out, err, errlen);
		if (rc == 0)
			rc = st_write(dir, "slots", &out, err, errlen);
		goto done;
	}
	if (rc != 0)
		goto done;
	tmp = malloc(m->nslots * sizeof(*tmp));
	rc = SG_ENOMEM;
	if (tmp == NULL)
		goto done;
	rc = st_slots_parse(m, path, buf, tmp, err, errlen);
	if (rc == 0)
		memcpy(m->slot_shard, tmp, m->nslots * sizeof(*tmp));
done:
	free(out.p);
	free(tmp);
	free(buf);
	return rc;
}

/* ---- watermarks ---- */

static int st_wm_parse(const char *path, char *buf, st_wm_line_t **out, size_t *nout, char *err,
                       size_t errlen)
{
	st_wm_line_t *lines = NULL;
	size_t n = 0, cap = 0;
	char *cur = buf, *line;
	int lineno = 0, rc = 0;

	while ((line = st_line(&cur)) != NULL) {
		char *sp2 = strrchr(line, ' '), *sp1;
		const char *p;
		st_wm_line_t w = {0};

		lineno++;
		if (st_skip(line))
			continue;
		/* The table name may hold spaces: the numbers are the last two fields. */
		*(sp2 ? sp2 : line) = '\0';
		sp1 = sp2 ? strrchr(line, ' ') : NULL;
		if (sp1 != NULL)
			*sp1 = '\0';
		p = sp1 ? sp1 + 1 : "";
		if (sp1 == NULL || sp1 == line || st_u32(&p, &w.idx) != 0 || *p != '\0' ||
		    st_i64(sp2 + 1, &w.us) != 0) {
			rc = shardmap_fail(err, errlen, SG_ECONFIG,
			                   "%s:%d: expected \"table tier_index microseconds\"", path, lineno);
			goto fail;
		}
		w.table = line;
		if (n == cap) {
			st_wm_line_t *p2 = realloc(lines, (cap = cap ? cap * 2 : 16) * sizeof(*lines));

			if (p2 == NULL) {
				rc = SG_ENOMEM;
				goto fail;
			}
			lines = p2;
		}
		lines[n++] = w;
	}
	*out = lines;
	*nout = n;
	return 0;
fail:
	free(lines);
	return rc;
}

/* Takes one table's persisted boundaries if they fit its tiers; *found
 * is false when the file has none for it. */
static int st_wm_apply(sm_table_t *t, const char *path, st_wm_line_t *lines, size_t n, bool *found, char *err,
                       size_t errlen)
{
	const char *name = t->cfg->name;
	size_t count = 0;
	int64_t *wm = t->wm;

	for (size_t i = 0; i < n; i++)
		count += strcmp(lines[i].table, name) == 0;
	*found = count > 0;
	if (count == 0)
		return 0;
	if (count != t->nwm)
		return shardmap_fail(
		        err, errlen, SG_ECONFIG,
		        "%s: table %s has %zu tier boundaries stored but %zu tiers configured (%zu "
		        "boundaries): tiers cannot be added or removed while rows are placed by the "
		        "watermarks",
		        path, name, count, t->cfg->ntiers, t->nwm);
	for (size_t k = 0; k < t->nwm; k++) {
		size_t hits = 0;

		for (size_t i = 0; i < n; i++) {
			if (strcmp(lines[i].table, name) != 0 || lines[i].idx != k)
				continue;
			wm[k] = lines[i].us;
			lines[i].used = true;
			hits++;
		}
		if (hits != 1)
			return shardmap_fail(err, errlen, SG_ECONFIG,
			                     "%s: table %s needs exactly one line for tier %zu", path, name,
			                     k);
		if (k > 0 && wm[k] > wm[k - 1])
			return shardmap_fail(err, errlen, SG_ECONFIG,
			                     "%s: table %s: tier %zu's watermark is newer than tier %zu's",
			                     path, name, k, k - 1);
	}
	return 0;
}

static int st_wm_format(const sg_shardmap_t *m, const st_wm_line_t *lines, size_t n, st_buf_t *b, char *err,
                        size_t errlen)
{
	int rc = st_printf(b, "# shardgate tier watermarks: table tier_index lower_bound_microseconds_utc\n");

	for (size_t i = 0; rc == 0 && i < m->cfg->ntables; i++) {
		const sm_table_t *t = &m->tables[i];

		if (t->cfg->by != SHARD_BY_TIME)
			continue;
		if (strchr(t->cfg->name, '\n') != NULL)
			return shardmap_fail(err, errlen, SG_ECONFIG,
			                     "table name with a newline cannot be persisted");
		for (size_t k = 0; rc == 0 && k < t->nwm; k++)
			rc = st_printf(b, "%s %zu %lld\n", t->cfg->name, k, (long long)t->wm[k]);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!lines[i].used)
			rc = st_printf(b, "%s %u %lld\n", lines[i].table, lines[i].idx,
			               (long long)lines[i].us);
	}
	return rc;
}

static int st_wm_sync(sg_shardmap_t *m, const char *dir, char *err, size_t errlen)
{
	char path[ST_PATH_MAX];
	char *buf = NULL;
	st_wm_line_t *lines = NULL;
	size_t n = 0;
	st_buf_t out = {0};
	bool dirty = false, found;
	int rc;

	snprintf(path, sizeof(path), "%s/watermarks", dir);
	rc = st_read(path, &buf, err, errlen);
	if (rc == SG_ENOENT)
		dirty = true;
	else if (rc == 0)
		rc = st_wm_parse(path, buf, &lines, &n, err, errlen);
	if (rc != 0 && rc != SG_ENOENT)
		goto done;
	rc = 0;
	for (size_t i = 0; rc == 0 && i < m->cfg->ntables; i++) {
		sm_table_t *t = &m->tables[i];

		if (t->cfg->by != SHARD_BY_TIME)
			continue;
		rc = st_wm_apply(t, path, lines, n, &found, err, errlen);
		/* A new time table starts from its first-start boundaries. */
		dirty = dirty || (!found && t->nwm > 0);
	}
	if (rc == 0 && dirty) {
		rc = st_wm_format(m, lines, n, &out, err, errlen);
		if (rc == 0)
			rc = st_write(dir, "watermarks", &out, err, errlen);
	}
done:
	free(out.p);
	free(lines);
	free(buf);
	return rc;
}

int shardmap_state_sync(sg_shardmap_t *m, char *err, size_t errlen)
{
	const char *dir = m->cfg->state_dir;
	bool slots = st_has(m->cfg, SHARD_BY_HASH), wm = st_has(m->cfg, SHARD_BY_TIME);
	int rc;

	if (!slots && !wm)
		return 0;
	if (dir == NULL || dir[0] == '\0')
		return shardmap_fail(err, errlen, SG_ECONFIG, "state_dir is not set");
	rc = st_mkdir_p(dir);
	if (rc != 0)
		return shardmap_fail(err, errlen, SG_EIO, "cannot create state_dir %s: %s", dir,
		                     strerror(rc));
	rc = slots ? st_slots_sync(m, dir, err, errlen) : 0;
	if (rc == 0 && wm)
		rc = st_wm_sync(m, dir, err, errlen);
	return rc;
}
