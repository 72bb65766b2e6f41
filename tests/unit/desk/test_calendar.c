/* test_calendar.c - the working calendar: the shipped 2025 and 2026 files
 * (every 调休 day, yearly working-day totals), the file parser's errors
 * with their lines, Beijing day arithmetic, and SLA deadlines with 调休 edge
 * cases and pauses. The shipped files are read from $PL_ROOT/data/calendar
 * (the test step runs from the repository root, so "." is the fallback). */
#include <criterion/criterion.h>
#include <unistd.h>
#include "desk/desk.h"

#define HOUR_MS (3600LL * 1000)
#define MIN_MS (60LL * 1000)

static int64_t bj(int y, int mo, int d, int h, int mi)
{
	int32_t day;
	cr_assert_eq(desk_day_from_ymd(y, mo, d, &day), 0, "%d-%d-%d", y, mo, d);
	return desk_day_start_ms(day) + h * HOUR_MS + mi * MIN_MS;
}

static int32_t dayof(int y, int mo, int d)
{
	int32_t day;
	cr_assert_eq(desk_day_from_ymd(y, mo, d, &day), 0);
	return day;
}

static void load(struct desk_calendar *cal, int year)
{
	const char *root = getenv("PL_ROOT");
	char path[512];
	struct desk_cal_error err;
	snprintf(path, sizeof(path), "%s/data/calendar/%d.txt", root ? root : ".", year);
	cr_assert_eq(desk_calendar_load_file(cal, path, &err), 0, "%s: %s", path, err.text);
}

static void load_both(struct desk_calendar *cal)
{
	desk_calendar_init(cal);
	load(cal, 2025);
	load(cal, 2026);
}

/* ------------------------------------------------------------ day math */

Test(desk_calendar, day_arithmetic)
{
	static const struct { int y, m, d, wd; } days[] = {
		{ 1970, 1, 1, 4 }, { 2000, 2, 29, 2 }, { 2025, 1, 1, 3 }, { 2025, 10, 1, 3 },
		{ 2026, 2, 17, 2 }, { 2026, 11, 25, 3 }, { 2100, 3, 1, 1 }, { 1969, 12, 31, 3 },
	};
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		int32_t day;
		int y, m, d;
		cr_assert_eq(desk_day_from_ymd(days[i].y, days[i].m, days[i].d, &day), 0);
		cr_expect_eq(desk_day_weekday(day), days[i].wd, "%d-%d-%d", days[i].y, days[i].m, days[i].d);
		desk_day_to_ymd(day, &y, &m, &d);
		cr_expect(y == days[i].y && m == days[i].m && d == days[i].d);
	}
	/* Every day of 1999..2101 round-trips. */
	int32_t a = dayof(1999, 1, 1), b = dayof(2101, 12, 31);
	for (int32_t day = a; day <= b; day++) {
		int y, m, d;
		int32_t back;
		desk_day_to_ymd(day, &y, &m, &d);
		cr_assert_eq(desk_day_from_ymd(y, m, d, &back), 0);
		cr_assert_eq(back, day);
	}
	static const int bad[][3] = { { 2025, 2, 29 }, { 2025, 13, 1 }, { 2025, 0, 1 },
				      { 2025, 4, 31 }, { 0, 1, 1 }, { 10000, 1, 1 }, { 2025, 1, 0 } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int32_t day;
		cr_expect_eq(desk_day_from_ymd(bad[i][0], bad[i][1], bad[i][2], &day), PL_EINVAL);
	}
	/* The Beijing day turns at 16:00 UTC. */
	int64_t midnight = desk_day_start_ms(dayof(2025, 10, 1));
	cr_expect_eq(midnight, 1759248000000LL); /* 2025-09-30T16:00:00Z */
	cr_expect_eq(desk_day_from_ms(midnight), dayof(2025, 10, 1));
	cr_expect_eq(desk_day_from_ms(midnight - 1), dayof(2025, 9, 30));
}

/* ------------------------------------------------------- shipped files */

struct wd_case {
	int y, m, d;
	int rc;
	bool work;
	const char *why;
};
static const struct wd_case wd_cases[] = {
	{ 2025, 1, 1, 0, false, "元旦 (Wed)" },
	{ 2025, 1, 2, 0, true, "plain Thursday" },
	{ 2025, 1, 4, 0, false, "plain Saturday" },
	{ 2025, 1, 26, 0, true, "春节 make-up Sunday" },
	{ 2025, 1, 27, 0, true, "Monday before 除夕" },
	{ 2025, 1, 28, 0, false, "除夕" },
	{ 2025, 2, 4, 0, false, "last day of 春节" },
	{ 2025, 2, 5, 0, true, "back to work" },
	{ 2025, 2, 8, 0, true, "春节 make-up Saturday" },
	{ 2025, 2, 9, 0, false, "Sunday after it" },
	{ 2025, 4, 4, 0, false, "清明 (Fri)" },
	{ 2025, 4, 27, 0, true, "劳动节 make-up Sunday" },
	{ 2025, 5, 5, 0, false, "劳动节 Monday" },
	{ 2025, 6, 2, 0, false, "端午 Monday" },
	{ 2025, 9, 28, 0, true, "国庆 make-up Sunday" },
	{ 2025, 9, 30, 0, true, "day before 国庆" },
	{ 2025, 10, 1, 0, false, "国庆" },
	{ 2025, 10, 6, 0, false, "中秋 inside 国庆" },
	{ 2025, 10, 8, 0, false, "last day of 国庆" },
	{ 2025, 10, 9, 0, true, "back to work" },
	{ 2025, 10, 11, 0, true, "国庆 make-up Saturday" },
	{ 2025, 10, 12, 0, false, "Sunday" },
	{ 2026, 1, 2, 0, false, "元旦 Friday" },
	{ 2026, 1, 4, 0, true, "元旦 make-up Sunday" },
	{ 2026, 2, 14, 0, true, "春节 make-up Saturday" },
	{ 2026, 2, 16, 0, false, "除夕 2026" },
	{ 2026, 2, 23, 0, false, "last day of 春节" },
	{ 2026, 2, 24, 0, true, "back to work" },
	{ 2026, 2, 28, 0, true, "春节 make-up Saturday" },
	{ 2026, 5, 9, 0, true, "劳动节 make-up Saturday" },
	{ 2026, 6, 19, 0, false, "端午 Friday" },
	{ 2026, 9, 20, 0, true, "国庆 make-up Sunday" },
	{ 2026, 9, 25, 0, false, "中秋 Friday" },
	{ 2026, 10, 7, 0, false, "last day of 国庆" },
	{ 2026, 10, 10, 0, true, "国庆 make-up Saturday" },
	{ 2024, 12, 31, PL_ENOTFOUND, false, "2024 not loaded" },
	{ 2027, 1, 4, PL_ENOTFOUND, false, "2027 not loaded" },
};

Test(desk_calendar, shipped_days)
{
	struct desk_calendar cal;
	load_both(&cal);
	for (size_t i = 0; i < sizeof(wd_cases) / sizeof(wd_cases[0]); i++) {
		const struct wd_case *c = &wd_cases[i];
		bool w = !c->work;
		int rc = desk_calendar_is_workday(&cal, dayof(c->y, c->m, c->d), &w);
		cr_expect_eq(rc, c->rc, "%d-%02d-%02d (%s): rc %d", c->y, c->m, c->d, c->why, rc);
		if (rc == 0)
			cr_expect_eq(w, c->work, "%d-%02d-%02d (%s)", c->y, c->m, c->d, c->why);
	}
	desk_calendar_release(&cal);
}

/* 365 days - 104 weekend days - 18 (2025) / 19 (2026) weekday holidays +
 * 5 / 6 make-up days: 248 working days each year, as published. */
Test(desk_calendar, yearly_totals)
{
	struct desk_calendar cal;
	int32_t n = 0;
	load_both(&cal);
	cr_expect_eq(desk_calendar_workdays_between(&cal, dayof(2024, 12, 31), dayof(2025, 12, 31), &n), 0);
	cr_expect_eq(n, 248);
	cr_expect_eq(desk_calendar_workdays_between(&cal, dayof(2025, 12, 31), dayof(2026, 12, 31), &n), 0);
	cr_expect_eq(n, 248);
	/* October 2025: 23 weekdays - 6 holidays + 1 make-up Saturday. */
	cr_expect_eq(desk_calendar_workdays_between(&cal, dayof(2025, 9, 30), dayof(2025, 10, 31), &n), 0);
	cr_expect_eq(n, 18);
	cr_expect_eq(desk_calendar_workdays_between(&cal, dayof(2025, 5, 1), dayof(2025, 5, 1), &n), 0);
	cr_expect_eq(n, 0);
	cr_expect_eq(desk_calendar_workdays_between(&cal, dayof(2026, 12, 30), dayof(2027, 1, 5), &n),
		     PL_ENOTFOUND);
	desk_calendar_release(&cal);
}

/* ----------------------------------------------------------- parser */

struct parse_case {
	const char *text;
	int rc;
	int line;
	const char *needle;
};
#define HDR "year 2025\nsource test\n"
static const struct parse_case parse_cases[] = {
	{ HDR "holiday 2025-01-01 元旦\n", 0, 0, "" },
	{ "# comment\n\n" HDR "\tholiday  2025-01-01   元旦  \r\n", 0, 0, "" },
	{ HDR "holiday 2025-01-01 a", 0, 0, "" }, /* no final newline */
	{ "year 2025\r\nsource s\r\nworkday 2025-01-26 调休\r\n", 0, 0, "" },
	{ "", PL_EPARSE, 0, "no 'year YYYY' line" },
	{ "holiday 2025-01-01 a\n", PL_EPARSE, 1, "first line must be 'year YYYY'" },
	{ "year 2025\n", PL_EPARSE, 0, "no 'source' line" },
	{ "year 25\n", PL_EPARSE, 1, "expected 'year YYYY'" },
	{ "year 2025 x\n", PL_EPARSE, 1, "expected 'year YYYY'" },
	{ "year 1066\n", PL_EPARSE, 1, "not a year in" },
	{ "year 2025\nyear 2026\n", PL_EPARSE, 2, "second year line" },
	{ HDR "source again\n", PL_EPARSE, 3, "second source line" },
	{ "year 2025\nsource\n", PL_EPARSE, 2, "needs the notice" },
	{ HDR "vacation 2025-01-01 a\n", PL_EPARSE, 3, "unknown keyword 'vacation'" },
	{ HDR "holiday 2025-01-01\n", PL_EPARSE, 3, "needs a date and a name" },
	{ HDR "holiday 2025-13-01 a\n", PL_EPARSE, 3, "expected a date" },
	{ HDR "holiday 2025-02-29 a\n", PL_EPARSE, 3, "expected a date" },
	{ HDR "holiday 2025/01/01 a\n", PL_EPARSE, 3, "expected a date" },
	{ HDR "holiday 2025-01-01..2025-01-0x a\n", PL_EPARSE, 3, "bad date" },
	{ HDR "holiday 2025-01-01--2025-01-03 a\n", PL_EPARSE, 3, "expected YYYY-MM-DD or" },
	{ HDR "workday 2025-01-25..2025-01-26 a\n", PL_EPARSE, 3, "expected a date" },
	{ HDR "workday 2025-01-27 a\n", PL_EINVAL, 3, "not a Saturday or Sunday" },
	{ HDR "holiday 2025-01-01 a\nholiday 2025-01-01 b\n", PL_EINVAL, 4, "2025-01-01 is declared twice" },
	{ HDR "holiday 2025-01-25..2025-01-26 a\nworkday 2025-01-26 b\n", PL_EINVAL, 4, "declared twice" },
	{ HDR "holiday 2026-01-01 a\n", PL_EINVAL, 3, "outside year 2025" },
	{ HDR "holiday 2024-12-31 a\n", PL_EINVAL, 3, "outside year 2025" },
	{ HDR "workday 2024-12-28 a\n", PL_EINVAL, 3, "outside year 2025" },
	{ "year 2024\nsource s\nholiday 2023-12-30..2024-01-01 元旦\n", 0, 0, "" },
	{ HDR "holiday 2025-02-04..2025-01-28 a\n", PL_EINVAL, 3, "ends before it starts" },
	{ HDR "holiday 2025-01-01..2025-03-01 a\n", PL_EINVAL, 3, "longer than 31 days" },
	{ HDR "holiday 2025-01-01 a\0b\n", PL_EPARSE, 3, "NUL byte" },
};

Test(desk_calendar, parse_table)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct desk_calendar cal;
		struct desk_cal_error err;
		/* Length from the literal, so the NUL case keeps its tail. */
		size_t len = strlen(c->text);
		if (strstr(c->needle, "NUL"))
			len = strlen(c->text) + 3;
		desk_calendar_init(&cal);
		int rc = desk_calendar_parse(&cal, c->text, len, "t.txt", &err);
		cr_expect_eq(rc, c->rc, "case %zu: rc %d (%s)", i, rc, err.text);
		if (rc) {
			cr_expect_eq(err.line, c->line, "case %zu: line %d (%s)", i, err.line, err.text);
			cr_expect(strstr(err.text, c->needle) != NULL, "case %zu: '%s' lacks '%s'", i,
				  err.text, c->needle);
			cr_expect(strncmp(err.text, "t.txt:", 6) == 0, "case %zu: %s", i, err.text);
			cr_expect_eq(cal.n, 0u, "case %zu: nothing added", i);
			cr_expect_eq(cal.nyears, 0u, "case %zu", i);
		}
		desk_calendar_release(&cal);
	}
}

Test(desk_calendar, caps_and_all_or_nothing)
{
	struct desk_calendar cal;
	struct desk_cal_error err;
	load_both(&cal);
	size_t n = cal.n;

	/* A year already loaded, and a file with a late error, add nothing. */
	cr_expect_eq(desk_calendar_parse(&cal, HDR, strlen(HDR), "dup", &err), PL_EINVAL);
	cr_expect(strstr(err.text, "already loaded"), "%s", err.text);
	const char *late = "year 2027\nsource s\nholiday 2027-01-01 a\nholiday 2027-01-01 b\n";
	cr_expect_eq(desk_calendar_parse(&cal, late, strlen(late), "late", &err), PL_EINVAL);
	cr_expect_eq(cal.n, n);
	cr_expect_eq(cal.nyears, 2u);
	/* Loading 2026 a second time is refused as well. */
	const char *cross = "year 2026\nsource s\n";
	cr_expect_eq(desk_calendar_parse(&cal, cross, strlen(cross), "x", &err), PL_EINVAL);

	char line[DESK_CAL_LINE_MAX + 40];
	memset(line, '#', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	cr_expect_eq(desk_calendar_parse(&cal, line, strlen(line), "long", &err), PL_ETOOBIG);
	cr_expect_eq(err.line, 1);

	char *big = malloc(DESK_CAL_FILE_MAX + 2);
	memset(big, '\n', DESK_CAL_FILE_MAX + 1);
	cr_expect_eq(desk_calendar_parse(&cal, big, DESK_CAL_FILE_MAX + 1, "big", &err), PL_ETOOBIG);
	free(big);

	cr_expect_eq(desk_calendar_load_file(&cal, "/nonexistent/2030.txt", &err), PL_EIO);
	cr_expect(strstr(err.text, "cannot open"), "%s", err.text);
	cr_expect_eq(cal.n, n);
	desk_calendar_release(&cal);
}

/* ------------------------------------------------------------ deadlines */

struct dl_case {
	const char *why;
	int64_t start;
	const char *dur;
	struct desk_pause pauses[4];
	size_t np;
	int rc;
	int64_t due;
};

Test(desk_calendar, deadlines)
{
	const struct dl_case cases[] = {
		{ "day before 国庆, 5 working days: Oct 9, 10, 11 (make-up Sat), 13, 14",
		  bj(2025, 9, 30, 15, 0), "5wd", { { 0 } }, 0, 0, bj(2025, 10, 15, 0, 0) },
		{ "on the make-up Sunday before 国庆, 1 working day",
		  bj(2025, 9, 28, 9, 0), "1wd", { { 0 } }, 0, 0, bj(2025, 9, 30, 0, 0) },
		{ "on the make-up Sunday before 国庆, 3 working days jump the holiday",
		  bj(2025, 9, 28, 9, 0), "3wd", { { 0 } }, 0, 0, bj(2025, 10, 10, 0, 0) },
		{ "Friday before 春节: make-up Sunday counts, then the holiday",
		  bj(2025, 1, 24, 10, 0), "3wd", { { 0 } }, 0, 0, bj(2025, 2, 6, 0, 0) },
		{ "Thursday after 春节, 2 working days: Friday and the make-up Saturday",
		  bj(2025, 2, 6, 23, 59), "2wd", { { 0 } }, 0, 0, bj(2025, 2, 9, 0, 0) },
		{ "New Year's Eve into 2026: Jan 1-3 off, make-up Sunday Jan 4",
		  bj(2025, 12, 31, 10, 0), "1wd", { { 0 } }, 0, 0, bj(2026, 1, 5, 0, 0) },
		{ "on make-up Saturday before 春节 2026: next working day after the holiday",
		  bj(2026, 2, 14, 10, 0), "1wd", { { 0 } }, 0, 0, bj(2026, 2, 25, 0, 0) },
		{ "13 working days over 劳动节 2026 with its make-up Saturday",
		  bj(2026, 4, 24, 18, 0), "13wd", { { 0 } }, 0, 0, bj(2026, 5, 16, 0, 0) },
		{ "start 23:59 counts from the next day",
		  bj(2025, 3, 3, 23, 59), "1wd", { { 0 } }, 0, 0, bj(2025, 3, 5, 0, 0) },
		{ "start 00:00 still skips the start day",
		  bj(2025, 3, 3, 0, 0), "1wd", { { 0 } }, 0, 0, bj(2025, 3, 5, 0, 0) },
		{ "hour clocks ignore holidays",
		  bj(2025, 10, 1, 10, 0), "2h", { { 0 } }, 0, 0, bj(2025, 10, 1, 12, 0) },
		{ "10 minutes across midnight",
		  bj(2025, 10, 1, 23, 55), "10m", { { 0 } }, 0, 0, bj(2025, 10, 2, 0, 5) },
		{ "pause inside an hour clock",
		  bj(2025, 3, 3, 10, 0), "60m", { { bj(2025, 3, 3, 10, 30), bj(2025, 3, 3, 11, 0) } }, 1,
		  0, bj(2025, 3, 3, 11, 30) },
		{ "pause begun before the start only counts after it",
		  bj(2025, 3, 3, 10, 0), "1h", { { bj(2025, 3, 3, 9, 0), bj(2025, 3, 3, 10, 15) } }, 1,
		  0, bj(2025, 3, 3, 11, 15) },
		{ "overlapping pauses count once, given out of order",
		  bj(2025, 3, 3, 10, 0), "1h",
		  { { bj(2025, 3, 3, 10, 45), bj(2025, 3, 3, 11, 15) },
		    { bj(2025, 3, 3, 10, 30), bj(2025, 3, 3, 11, 0) } }, 2,
		  0, bj(2025, 3, 3, 11, 45) },
		{ "pause after the due time changes nothing",
		  bj(2025, 3, 3, 10, 0), "1h", { { bj(2025, 3, 3, 12, 0), bj(2025, 3, 3, 13, 0) } }, 1,
		  0, bj(2025, 3, 3, 11, 0) },
		{ "due exactly where a pause starts",
		  bj(2025, 3, 3, 10, 0), "1h", { { bj(2025, 3, 3, 11, 0), bj(2025, 3, 3, 13, 0) } }, 1,
		  0, bj(2025, 3, 3, 11, 0) },
		{ "open pause stops the clock",
		  bj(2025, 3, 3, 10, 0), "1h", { { bj(2025, 3, 3, 10, 30), DESK_OPEN } }, 1,
		  0, DESK_NO_DUE },
		{ "open pause after the due time does not",
		  bj(2025, 3, 3, 10, 0), "1h", { { bj(2025, 3, 3, 11, 30), DESK_OPEN } }, 1,
		  0, bj(2025, 3, 3, 11, 0) },
		{ "a working day paused from noon to noon adds one working day",
		  bj(2025, 3, 3, 10, 0), "2wd", { { bj(2025, 3, 4, 12, 0), bj(2025, 3, 5, 12, 0) } }, 1,
		  0, bj(2025, 3, 7, 0, 0) },
		{ "a weekend pause adds nothing",
		  bj(2025, 3, 7, 10, 0), "1wd", { { bj(2025, 3, 8, 0, 0), bj(2025, 3, 10, 0, 0) } }, 1,
		  0, bj(2025, 3, 11, 0, 0) },
		{ "two hours paused on the last day spill into the next working day",
		  bj(2025, 3, 7, 10, 0), "1wd", { { bj(2025, 3, 10, 9, 0), bj(2025, 3, 10, 11, 0) } }, 1,
		  0, bj(2025, 3, 11, 2, 0) },
		{ "a pause on the uncounted start day adds nothing",
		  bj(2025, 3, 3, 10, 0), "1wd", { { bj(2025, 3, 3, 11, 0), bj(2025, 3, 3, 15, 0) } }, 1,
		  0, bj(2025, 3, 5, 0, 0) },
		{ "a paused holiday adds nothing",
		  bj(2025, 9, 30, 15, 0), "1wd", { { bj(2025, 10, 2, 0, 0), bj(2025, 10, 5, 0, 0) } }, 1,
		  0, bj(2025, 10, 10, 0, 0) },
		{ "open pause on working days",
		  bj(2025, 3, 3, 10, 0), "5wd", { { bj(2025, 3, 5, 8, 0), DESK_OPEN } }, 1,
		  0, DESK_NO_DUE },
		{ "walk past the loaded years",
		  bj(2026, 12, 20, 10, 0), "10wd", { { 0 } }, 0, PL_ENOTFOUND, 0 },
		{ "start before the loaded years",
		  bj(2024, 12, 31, 10, 0), "1wd", { { 0 } }, 0, 0, bj(2025, 1, 3, 0, 0) },
		{ "pause with from == to",
		  bj(2025, 3, 3, 10, 0), "1h", { { bj(2025, 3, 3, 11, 0), bj(2025, 3, 3, 11, 0) } }, 1,
		  PL_EINVAL, 0 },
		{ "negative start",
		  -1, "1h", { { 0 } }, 0, PL_EINVAL, 0 },
	};
	struct desk_calendar cal;
	load_both(&cal);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dl_case *c = &cases[i];
		struct desk_duration d;
		int64_t due = -7;
		char got[PL_TIME_STRLEN], want[PL_TIME_STRLEN];
		cr_assert_eq(desk_duration_parse(c->dur, &d), 0, "%s", c->dur);
		int rc = desk_deadline_add(c->start, d, &cal, c->pauses, c->np, &due);
		cr_expect_eq(rc, c->rc, "case %zu (%s): rc %d", i, c->why, rc);
		if (rc || c->rc)
			continue;
		pl_time_format(due == DESK_NO_DUE ? 0 : due, got);
		pl_time_format(c->due == DESK_NO_DUE ? 0 : c->due, want);
		cr_expect_eq(due, c->due, "case %zu (%s): due %s, want %s", i, c->why,
			     due == DESK_NO_DUE ? "none" : got, c->due == DESK_NO_DUE ? "none" : want);
	}
	desk_calendar_release(&cal);
}

Test(desk_calendar, deadline_bad_input)
{
	struct desk_calendar cal;
	struct desk_pause many[DESK_PAUSES_MAX + 1];
	int64_t due;
	int64_t t = bj(2025, 3, 3, 10, 0);
	load_both(&cal);
	for (size_t i = 0; i < DESK_PAUSES_MAX + 1; i++)
		many[i] = (struct desk_pause){ t + (int64_t)i * 2 * MIN_MS, t + (int64_t)i * 2 * MIN_MS + MIN_MS };
	struct desk_duration h1 = { DESK_UNIT_MINUTES, 60 };
	cr_expect_eq(desk_deadline_add(t, h1, NULL, many, DESK_PAUSES_MAX + 1, &due), PL_ETOOBIG);
	/* 64 one-minute pauses every two minutes: 60 minutes run out at 10:00 +
	 * 60 run minutes + 60 paused minutes = 12:00. */
	cr_expect_eq(desk_deadline_add(t, h1, NULL, many, DESK_PAUSES_MAX, &due), 0);
	cr_expect_eq(due, t + 120 * MIN_MS);
	struct desk_duration wd = { DESK_UNIT_WORKDAYS, 1 };
	cr_expect_eq(desk_deadline_add(t, wd, NULL, NULL, 0, &due), PL_EINVAL);
	struct desk_duration zero = { DESK_UNIT_MINUTES, 0 };
	cr_expect_eq(desk_deadline_add(t, zero, &cal, NULL, 0, &due), PL_EINVAL);
	struct desk_duration huge = { DESK_UNIT_WORKDAYS, DESK_WORKDAYS_MAX + 1 };
	cr_expect_eq(desk_deadline_add(t, huge, &cal, NULL, 0, &due), PL_EINVAL);
	struct desk_duration odd = { (enum desk_unit)7, 1 };
	cr_expect_eq(desk_deadline_add(t, odd, &cal, NULL, 0, &due), PL_EINVAL);
	struct desk_pause back = { t + HOUR_MS, t };
	cr_expect_eq(desk_deadline_add(t, h1, &cal, &back, 1, &due), PL_EINVAL);
	cr_expect_eq(desk_deadline_add(t, h1, &cal, NULL, 1, &due), PL_EINVAL);
	desk_calendar_release(&cal);
}

/* ------------------------------------------------------------ load_dir */

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

Test(desk_calendar, load_dir)
{
	const char *root = getenv("PL_ROOT");
	char dir[512];
	struct desk_calendar cal;
	struct desk_cal_error err;

	snprintf(dir, sizeof(dir), "%s/data/calendar", root ? root : ".");
	desk_calendar_init(&cal);
	cr_assert_eq(desk_calendar_load_dir(&cal, dir, &err), 0, "%s", err.text);
	cr_expect_eq(cal.nyears, 2u);
	cr_expect_eq(cal.years[0], 2025, "loaded in year order");
	cr_expect_eq(cal.years[1], 2026);
	desk_calendar_release(&cal);

	cr_expect_eq(desk_calendar_load_dir(&cal, "/nonexistent-dir", &err), PL_EIO);

	char tmpl[] = "/tmp/desk-cal-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	write_file(tmpl, "README", "not a calendar\n");
	write_file(tmpl, "2025.txt.bak", "not a calendar\n");
	cr_expect_eq(desk_calendar_load_dir(&cal, tmpl, &err), PL_ENOTFOUND, "%s", err.text);
	write_file(tmpl, "2030.txt", "year 2030\nsource s\nholiday 2030-01-01 元旦\n");
	write_file(tmpl, "2031.txt", "year 2031\nsource s\nworkday 2031-01-06 bad\n");
	desk_calendar_init(&cal);
	cr_expect_eq(desk_calendar_load_dir(&cal, tmpl, &err), PL_EINVAL);
	cr_expect_str_eq(err.name, "2031.txt");
	cr_expect_eq(err.line, 3);
	cr_expect_eq(cal.nyears, 1u, "2030 stays loaded");
	desk_calendar_release(&cal);
	remove_file(tmpl, "README");
	remove_file(tmpl, "2025.txt.bak");
	remove_file(tmpl, "2030.txt");
	remove_file(tmpl, "2031.txt");
	cr_expect_eq(rmdir(tmpl), 0);
}
