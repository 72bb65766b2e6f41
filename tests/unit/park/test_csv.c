/*
 * test_csv.c - the park's RFC 4180 reader and writer (src/park/csv.c):
 * a table of inputs with the records they must give, or the error and the
 * record it names; the writer's quoting and a write/read round trip.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "park/park.h"

struct csv_case {
	const char *name;
	const char *in;
	size_t len;          /* 0: strlen(in) */
	int rc;
	const char *want;    /* records joined: fields by '|', records by ';' */
	size_t err_row;
};

static const struct csv_case cases[] = {
	{ "plain LF", "a,b\n1,2\n", 0, 0, "a|b;1|2", 0 },
	{ "CRLF", "a,b\r\n1,2\r\n", 0, 0, "a|b;1|2", 0 },
	{ "no final newline", "a,b\r\n1,2", 0, 0, "a|b;1|2", 0 },
	{ "BOM", "\xEF\xBB\xBF" "a,b\n1,2\n", 0, 0, "a|b;1|2", 0 },
	{ "quoted comma", "a,b\n\"x,y\",2\n", 0, 0, "a|b;x,y|2", 0 },
	{ "doubled quote", "a\n\"say \"\"hi\"\"\"\n", 0, 0, "a;say \"hi\"", 0 },
	{ "embedded CRLF", "a,b\r\n\"l1\r\nl2\",2\r\n", 0, 0, "a|b;l1\r\nl2|2", 0 },
	{ "empty fields", "a,b,c\n,,\n", 0, 0, "a|b|c;||", 0 },
	{ "trailing comma at EOF", "a,b\n1,", 0, 0, "a|b;1|", 0 },
	{ "blank lines skipped", "a\n\n1\n\r\n", 0, 0, "a;1", 0 },
	{ "UTF-8 Chinese", "名称\n重庆太极\n", 0, 0, "名称;重庆太极", 0 },
	{ "lone CR ends a record", "a\r1\r", 0, 0, "a;1", 0 },
	{ "bare quote in field", "a\nx\"y\n", 0, PL_EPARSE, NULL, 2 },
	{ "text after closing quote", "a\n\"x\"y\n", 0, PL_EPARSE, NULL, 2 },
	{ "unterminated quote", "a\n1\n\"open\n", 0, PL_EPARSE, NULL, 3 },
	{ "invalid UTF-8", "a\n\xC3\x28\n", 0, PL_EPARSE, NULL, 2 },
	{ "overlong UTF-8", "a\n\xC0\xAF\n", 0, PL_EPARSE, NULL, 2 },
	{ "surrogate", "a\n\xED\xA0\x80\n", 0, PL_EPARSE, NULL, 2 },
	{ "NUL byte", "a\nx\0y\n", 6, PL_EPARSE, NULL, 2 },
	{ "33 fields", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
		       "27,28,29,30,31,32,33\n", 0, PL_ETOOBIG, NULL, 1 },
};

static void joined(const struct park_csv *c, char *out, size_t outsz)
{
	struct pl_buf b;
	pl_buf_init(&b, outsz - 1);
	for (size_t i = 0; i < c->n; i++) {
		if (i)
			pl_buf_puts(&b, ";");
		for (size_t j = 0; j < c->rec[i].n; j++) {
			if (j)
				pl_buf_puts(&b, "|");
			pl_buf_puts(&b, c->rec[i].f[j]);
		}
	}
	pl_strlcpy(out, b.data ? b.data : "", outsz);
	pl_buf_release(&b);
}

Test(park_csv, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct csv_case *t = &cases[i];
		struct park_csv c;
		struct park_csv_error err = { 0, "" };
		size_t len = t->len ? t->len : strlen(t->in);
		int rc = park_csv_parse(t->in, len, &c, &err);
		cr_expect_eq(rc, t->rc, "%s: rc %d, want %d (%s)", t->name, rc, t->rc, err.text);
		if (rc == 0 && t->want) {
			char got[512];
			joined(&c, got, sizeof(got));
			cr_expect_str_eq(got, t->want, "%s", t->name);
		} else if (t->rc) {
			cr_expect_eq(err.row, t->err_row, "%s: row %zu, want %zu", t->name, err.row,
				     t->err_row);
			cr_expect(err.text[0], "%s: no reason", t->name);
		}
		park_csv_release(&c);
	}
}

Test(park_csv, field_cap)
{
	struct pl_buf b;
	struct park_csv c;
	struct park_csv_error err;
	pl_buf_init(&b, 10000);
	pl_buf_puts(&b, "a\n");
	for (int i = 0; i < PARK_CSV_MAX_FIELD + 1; i++)
		pl_buf_puts(&b, "x");
	cr_expect_eq(park_csv_parse(b.data, b.len, &c, &err), PL_ETOOBIG);
	cr_expect_eq(err.row, 2);
	park_csv_release(&c);
	pl_buf_release(&b);
}

Test(park_csv, quoting_and_round_trip)
{
	static const char *const fields[] = { "plain", "a,b", "say \"hi\"", "l1\r\nl2", " pad",
					      "重庆,涪陵", "", "\xEF\xBB\xBF" "bom" };
	static const char *const quoted[] = { "plain", "\"a,b\"", "\"say \"\"hi\"\"\"",
					      "\"l1\r\nl2\"", "\" pad\"", "\"重庆,涪陵\"", "",
					      "\"\xEF\xBB\xBF" "bom\"" };
	struct pl_buf b;
	struct park_csv c;
	struct park_csv_error err;
	size_t n = sizeof(fields) / sizeof(fields[0]);

	for (size_t i = 0; i < n; i++) {
		pl_buf_init(&b, 100);
		cr_assert_eq(park_csv_put(&b, fields[i]), 0);
		cr_expect_str_eq(b.data ? b.data : "", quoted[i]);
		pl_buf_release(&b);
	}
	pl_buf_init(&b, 1000);
	for (int r = 0; r < 2; r++) {
		for (size_t i = 0; i < n; i++) {
			if (i)
				pl_buf_puts(&b, ",");
			park_csv_put(&b, fields[i]);
		}
		pl_buf_puts(&b, "\r\n");
	}
	cr_assert_eq(park_csv_parse(b.data, b.len, &c, &err), 0, "%s", err.text);
	cr_assert_eq(c.n, 2);
	for (size_t r = 0; r < 2; r++) {
		cr_assert_eq(c.rec[r].n, n);
		for (size_t i = 0; i < n; i++)
			cr_expect_str_eq(c.rec[r].f[i], fields[i]);
	}
	park_csv_release(&c);
	pl_buf_release(&b);
}
