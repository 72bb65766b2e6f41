/*
 * fuzz_desk_sla.c - libFuzzer target for desk_sla_parse (src/desk/sla.c),
 * the reader of the park's SLA override file.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   1. all-or-nothing: a rejected file leaves the table as it was;
 *   2. an error says something and names a line (line >= 1) unless the
 *      whole file was too big;
 *   3. every cell of an accepted table is a valid duration that formats
 *      and parses back to itself.
 */
#include "desk/desk.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct desk_sla_table t, orig;
	struct desk_cal_error err;
	int rc;

	desk_sla_defaults(&t);
	orig = t;
	rc = desk_sla_parse(&t, (const char *)data, size, "fuzz.conf", &err);
	if (rc) {
		FUZZ_CHECK(err.text[0] != '\0');
		FUZZ_CHECK(err.line >= 1 || size > DESK_SLA_FILE_MAX);
		FUZZ_CHECK(memcmp(&t, &orig, sizeof(t)) == 0);
		return 0;
	}
	for (int c = 0; c < DESK_CAT_COUNT; c++)
		for (int u = 0; u < DESK_URG_COUNT; u++)
			for (int k = 0; k < DESK_CLK_COUNT; k++) {
				struct desk_duration d = t.cell[c][u][k], back;
				char s[16];
				desk_duration_format(d, s);
				FUZZ_CHECK(desk_duration_parse(s, &back) == 0);
				FUZZ_CHECK(back.unit == d.unit && back.amount == d.amount);
			}
	return 0;
}
