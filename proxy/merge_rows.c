/* merge_rows.c — RowDescription and DataRow, parsed (bounded: never past
 * body_len) and written. */
#include <string.h>

#include "merge_int.h"

int merge_row_desc_parse(const wire_frame_t *f, merge_field_t *fields, int max, int *n)
{
	wire_rd_t rd;
	int16_t count;

	if (f->type != 'T')
		return SG_EPROTO;
	wire_rd_init(&rd, f->body, f->body_len);
	count = wire_rd_i16(&rd);
	if (rd.err || count < 0 || count > max)
		return SG_EPROTO;
	for (int i = 0; i < count; i++) {
		merge_field_t *fd = &fields[i];
		const char *name = wire_rd_cstr(&rd);

		if (name == NULL || strlen(name) >= sizeof(fd->name))
			return SG_EPROTO; /* longer than NAMEDATALEN - 1: never truncate silently */
		strcpy(fd->name, name);
		fd->table_oid = (uint32_t)wire_rd_i32(&rd);
		fd->attnum = wire_rd_i16(&rd);
		fd->type_oid = (uint32_t)wire_rd_i32(&rd);
		fd->typlen = wire_rd_i16(&rd);
		fd->typmod = wire_rd_i32(&rd);
		fd->format = wire_rd_i16(&rd);
		if (rd.err)
			return SG_EPROTO;
		if (fd->format != 0 && fd->format != 1)
			return SG_EPROTO;
	}
	if (rd.left != 0)
		return SG_EPROTO;
	*n = count;
	return 0;
}

void merge_field_write(wbuf_t *out, const merge_field_t *fd)
{
	wbuf_put(out, fd->name, strnlen(fd->name, sizeof(fd->name) - 1));
	wbuf_put_u8(out, 0);
	wbuf_put_i32(out, (int32_t)fd->table_oid);
	wbuf_put_i16(out, fd->attnum);
	wbuf_put_i32(out, (int32_t)fd->type_oid);
	wbuf_put_i16(out, fd->typlen);
	wbuf_put_i32(out, fd->typmod);
	wbuf_put_i16(out, fd->format);
}

int merge_row_desc_write(wbuf_t *out, const merge_field_t *fields, int n)
{
	size_t mark;

	if (n < 0 || n > MERGE_MAX_COLS)
		return SG_ERANGE;
	mark = wbuf_msg_begin(out, 'T');
	wbuf_put_i16(out, (int16_t)n);
	for (int i = 0; i < n; i++)
		merge_field_write(out, &fields[i]);
	wbuf_msg_end(out, mark);
	return wbuf_status(out);
}

int merge_data_row_parse(const wire_frame_t *f, int n, const uint8_t **vals, int32_t *lens)
{
	wire_rd_t rd;
	int16_t count;

	if (f->type != 'D')
		return SG_EPROTO;
	wire_rd_init(&rd, f->body, f->body_len);
	count = wire_rd_i16(&rd);
	if (rd.err || count != n)
		return SG_EPROTO;
	for (int i = 0; i < n; i++) {
		int32_t len = wire_rd_i32(&rd);

		if (rd.err || len < -1)
			return SG_EPROTO;
		lens[i] = len;
		vals[i] = NULL;
		if (len >= 0) {
			vals[i] = wire_rd_bytes(&rd, (size_t)len);
			if (vals[i] == NULL)
				return SG_EPROTO;
		}
	}
	return rd.left == 0 ? 0 : SG_EPROTO;
}

int merge_data_row_write(wbuf_t *out, int n, const uint8_t *const *vals, const int32_t *lens)
{
	size_t mark, total = 6;

	if (n < 0 || n > MERGE_MAX_COLS)
		return SG_ERANGE;
	for (int i = 0; i < n; i++) {
		if (lens[i] < -1)
			return SG_ERANGE;
		total += 4 + (lens[i] > 0 ? (size_t)lens[i] : 0);
		if (total > INT32_MAX)
			return SG_ERANGE;
	}
	mark = wbuf_msg_begin(out, 'D');
	wbuf_put_i16(out, (int16_t)n);
	for (int i = 0; i < n; i++) {
		wbuf_put_i32(out, lens[i]);
		if (lens[i] > 0)
			wbuf_put(out, vals[i], (size_t)lens[i]);
	}
	wbuf_msg_end(out, mark);
	return wbuf_status(out);
}
