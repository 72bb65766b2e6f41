/*
 * fuzz_park_csv.c - libFuzzer target for park_csv_parse (src/park/csv.c),
 * the reader behind every park CSV import (POST /api/v1/park/import/...).
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   1. a rejection is PL_EPARSE or PL_ETOOBIG with a reason and a record
 *      number no larger than the records seen plus one;
 *   2. an accepted file has records of 1..PARK_CSV_MAX_FIELDS fields, each
 *      at most PARK_CSV_MAX_FIELD bytes, NUL-free, numbered 1, 2, 3...;
 *   3. writing the records back with park_csv_put and reading them again
 *      gives the same records (what export writes, import reads).
 */
#include "park/park.h"

#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct park_csv c, c2;
	struct park_csv_error err = { 0, "" };
	struct pl_buf b;
	int rc;

	if (size > 64 * 1024)
		size = 64 * 1024;
	rc = park_csv_parse((const char *)data, size, &c, &err);
	if (rc) {
		FUZZ_CHECK(rc == PL_EPARSE || rc == PL_ETOOBIG);
		FUZZ_CHECK(err.text[0] != '\0');
		FUZZ_CHECK(err.row >= 1 && err.row <= c.n + 1);
		park_csv_release(&c);
		return 0;
	}
	pl_buf_init(&b, 1u << 22);
	for (size_t i = 0; i < c.n; i++) {
		FUZZ_CHECK(c.rec[i].row == i + 1);
		FUZZ_CHECK(c.rec[i].n >= 1 && c.rec[i].n <= PARK_CSV_MAX_FIELDS);
		for (size_t j = 0; j < c.rec[i].n; j++) {
			FUZZ_CHECK(strlen(c.rec[i].f[j]) <= PARK_CSV_MAX_FIELD);
			if (j)
				FUZZ_CHECK(pl_buf_puts(&b, ",") == 0);
			FUZZ_CHECK(park_csv_put(&b, c.rec[i].f[j]) == 0);
		}
		FUZZ_CHECK(pl_buf_puts(&b, "\r\n") == 0);
	}
	rc = park_csv_parse(b.data ? b.data : "", b.len, &c2, &err);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(c2.n == c.n);
	for (size_t i = 0; i < c.n && i < c2.n; i++) {
		FUZZ_CHECK(c2.rec[i].n == c.rec[i].n);
		for (size_t j = 0; j < c.rec[i].n && j < c2.rec[i].n; j++)
			FUZZ_CHECK(strcmp(c.rec[i].f[j], c2.rec[i].f[j]) == 0);
	}
	park_csv_release(&c2);
	park_csv_release(&c);
	pl_buf_release(&b);
	return 0;
}
