/*
 * fuzz_time.c - libFuzzer target for pl_time_parse (src/core/time.c), the
 * RFC 3339 reader every timestamp from outside goes through (API bodies,
 * EPCIS eventTime, query filters).
 *
 * Beyond "no crash, no sanitizer report" it checks one property: a time
 * that parses formats to a string that parses back to the same instant
 * (within the years pl_time_format can write, 0000..9999). That catches
 * parse/format disagreements - offsets, leap days, fractions - that never
 * crash.
 */
#include "core/core.h"

#include "fuzz.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in ms. */
#define FUZZ_TIME_MIN (-62167219200000LL)
#define FUZZ_TIME_MAX (253402300799999LL)
/* RFC 3339 strings are short; longer inputs only repeat fraction digits. */
#define FUZZ_TIME_INPUT_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[PL_TIME_STRLEN];
	int64_t ms = 0, back = 0;
	char *s;

	if (size > FUZZ_TIME_INPUT_MAX)
		return 0;
	/* pl_time_parse takes a C string: give it exactly the fuzz bytes,
	 * NUL-terminated, in a heap block ASan can fence. */
	s = pl_strndup((const char *)data, size);
	if (pl_time_parse(s, &ms) == 0 && ms >= FUZZ_TIME_MIN &&
	    ms <= FUZZ_TIME_MAX) {
		pl_time_format(ms, out);
		if (pl_time_parse(out, &back) != 0 || back != ms) {
			fprintf(stderr, "round trip failed: '%s' -> %lld -> '%s'\n",
				s, (long long)ms, out);
			FUZZ_CHECK(!"a parsed time formats and parses back");
		}
	}
	free(s);
	return 0;
}
