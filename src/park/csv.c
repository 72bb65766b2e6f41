/*
 * csv.c - the RFC 4180 reader and writer behind the park's imports and
 * exports. Spreadsheets write CSV with small variations (Excel adds a
 * UTF-8 byte-order mark and CRLF; others write LF and omit the final line
 * break), so the reader accepts those and nothing looser: a quote inside
 * an unquoted field or text after a closing quote is an error naming the
 * record, because guessing would import a different value than the one
 * the user typed.
 *
 * Work limits: one pass over the input; every field is copied once; the
 * limits in park.h (bytes, fields per record, bytes per field, records)
 * are checked before growing anything.
 */
#include "park/park.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t csv__utf8_len(const unsigned char *p, size_t n)
{
	size_t k;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		k = 2, cp = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		k = 3, cp = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		k = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	/* overlongs, surrogates and past U+10FFFF */
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return k;
}

static void csv__err(struct park_csv_error *err, size_t row, const char *text)
{
	if (!err)
		return;
	err->row = row;
	pl_strlcpy(err->text, text, sizeof(err->text));
}

/* The record being built: fields as capped buffers. */
struct csv__cur {
	char *f[PARK_CSV_MAX_FIELDS];
	size_t n;
	struct pl_buf field;
};

static int csv__end_field(struct csv__cur *cur)
{
	if (cur->n >= PARK_CSV_MAX_FIELDS)
		return PL_ETOOBIG;
	cur->f[cur->n++] = pl_buf_steal(&cur->field);
	return 0;
}

/* Moves the current record into out (skipping a blank line). */
static int csv__end_record(struct csv__cur *cur, struct park_csv *out, size_t row)
{
	if (cur->n == 1 && cur->f[0][0] == '\0') { /* blank line */
		free(cur->f[0]);
		cur->n = 0;
		return 0;
	}
	if (out->n >= PARK_CSV_MAX_RECORDS)
		return PL_ETOOBIG;
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 64, bytes;
		if (!pl_size_mul(cap, sizeof(*out->rec), &bytes))
			return PL_ETOOBIG;
		out->rec = pl_realloc(out->rec, bytes);
		out->cap = cap;
	}
	struct park_csv_record *r = &out->rec[out->n++];
	r->row = row;
	r->n = cur->n;
	r->f = pl_malloc(cur->n * sizeof(char *));
	memcpy(r->f, cur->f, cur->n * sizeof(char *));
	cur->n = 0;
	return 0;
}

int park_csv_parse(const char *buf, size_t len, struct park_csv *out,
		   struct park_csv_error *err)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;
	struct csv__cur cur = { .n = 0 };
	size_t row = 1;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	pl_buf_init(&cur.field, PARK_CSV_MAX_FIELD);
	if (len > PARK_CSV_MAX_BYTES) {
		csv__err(err, 1, "the file is larger than 8 MiB");
		rc = PL_ETOOBIG;
		goto out;
	}
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		p += 3;
	while (p < end) {
		/* one field */
		if (*p == '"') {
			p++;
			for (;;) {
				if (p >= end) {
					csv__err(err, row, "a quoted field is not closed");
					rc = PL_EPARSE;
					goto out;
				}
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						p += 2;
						if ((rc = pl_buf_append(&cur.field, "\"", 1)))
							goto toobig_field;
						continue;
					}
					p++;
					break;
				}
				size_t k = *p ? csv__utf8_len(p, (size_t)(end - p)) : 0;
				if (!k)
					goto bad_byte;
				if ((rc = pl_buf_append(&cur.field, p, k)))
					goto toobig_field;
				p += k;
			}
			if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
				csv__err(err, row, "text follows a closing quote; quote the whole field");
				rc = PL_EPARSE;
				goto out;
			}
		} else {
			while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
				if (*p == '"') {
					csv__err(err, row, "a quote inside an unquoted field; "
						 "quote the field and double the quote");
					rc = PL_EPARSE;
					goto out;
				}
				size_t k = *p ? csv__utf8_len(p, (size_t)(end - p)) : 0;
				if (!k)
					goto bad_byte;
				if ((rc = pl_buf_append(&cur.field, p, k)))
					goto toobig_field;
				p += k;
			}
		}
		if ((rc = csv__end_field(&cur))) {
			csv__err(err, row, "more than 32 fields in a record");
			goto out;
		}
		if (p >= end)
			break;
		if (*p == ',') {
			p++;
			if (p == end && (rc = csv__end_field(&cur))) { /* "a," at EOF */
				csv__err(err, row, "more than 32 fields in a record");
				goto out;
			}
			continue;
		}
		/* record end: \r\n, \n or a lone \r */
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		p++;
		if ((rc = csv__end_record(&cur, out, row))) {
			csv__err(err, row, "more than 100000 records");
			goto out;
		}
		row = out->n + 1;
	}
	if (cur.n && (rc = csv__end_record(&cur, out, row)))
		csv__err(err, row, "more than 100000 records");
	goto out;
bad_byte:
	csv__err(err, row, "invalid UTF-8 or a NUL byte; save the file as UTF-8");
	rc = PL_EPARSE;
	goto out;
toobig_field:
	csv__err(err, row, "a field is longer than 4096 bytes");
out:
	for (size_t i = 0; i < cur.n; i++)
		free(cur.f[i]);
	pl_buf_release(&cur.field);
	return rc;
}

void park_csv_release(struct park_csv *c)
{
	for (size_t i = 0; i < c->n; i++) {
		for (size_t j = 0; j < c->rec[i].n; j++)
			free(c->rec[i].f[j]);
		free(c->rec[i].f);
	}
	free(c->rec);
	memset(c, 0, sizeof(*c));
}

int park_csv_put(struct pl_buf *b, const char *s)
{
	size_t n = strlen(s);
	/* a leading U+FEFF would read back as a byte-order mark at the start
	 * of a file, so such a field is quoted too */
	bool quote = n && (s[0] == ' ' || s[n - 1] == ' ' || !strncmp(s, "\xEF\xBB\xBF", 3));
	int rc;

	if (!quote)
		quote = strpbrk(s, ",\"\r\n") != NULL;
	if (!quote)
		return pl_buf_append(b, s, n);
	if ((rc = pl_buf_append(b, "\"", 1)))
		return rc;
	for (const char *q = s; *q; q++)
		if ((rc = pl_buf_append(b, q, 1)) || (*q == '"' && (rc = pl_buf_append(b, "\"", 1))))
			return rc;
	return pl_buf_append(b, "\"", 1);
}
