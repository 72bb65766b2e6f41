/*
 * fuzz_desk_calendar.c - libFuzzer target for desk_calendar_parse
 * (src/desk/calendar.c), the reader of the yearly holiday files in
 * data/calendar/, and for the deadline walk over what it accepted.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   1. all-or-nothing: a rejected file leaves the calendar as it was;
 *   2. an error always says something (err.text is non-empty);
 *   3. an accepted file adds one year and keeps the days sorted and unique,
 *      and the same file a second time is refused (year already loaded);
 *   4. a working-day deadline started in the loaded year is after its
 *      start, or the walk reports the missing next year.
 */
#include "desk/desk.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct desk_calendar cal;
	struct desk_cal_error err;
	const char *text = (const char *)data;
	int rc;

	desk_calendar_init(&cal);
	rc = desk_calendar_parse(&cal, text, size, "fuzz.txt", &err);
	if (rc) {
		FUZZ_CHECK(err.text[0] != '\0');
		FUZZ_CHECK(cal.n == 0 && cal.nyears == 0);
		goto out;
	}
	FUZZ_CHECK(cal.nyears == 1);
	for (size_t i = 1; i < cal.n; i++)
		FUZZ_CHECK(cal.days[i - 1].day < cal.days[i].day);
	{
		size_t n = cal.n;
		rc = desk_calendar_parse(&cal, text, size, "again.txt", &err);
		FUZZ_CHECK(rc == PL_EINVAL);
		FUZZ_CHECK(cal.n == n && cal.nyears == 1);
	}
	{
		int32_t day;
		int64_t due;
		struct desk_duration d = { DESK_UNIT_WORKDAYS, 1 + (int32_t)(size % 20) };
		FUZZ_CHECK(desk_day_from_ymd(cal.years[0], 6, 30, &day) == 0);
		int64_t start = desk_day_start_ms(day) + (int64_t)(size % 24) * 3600 * 1000;
		rc = desk_deadline_add(start, d, &cal, NULL, 0, &due);
		FUZZ_CHECK(rc == 0 || rc == PL_ENOTFOUND);
		if (rc == 0)
			FUZZ_CHECK(due > start);
	}
out:
	desk_calendar_release(&cal);
	return 0;
}
