/* test_sla.c - durations, the default SLA table (cells pinned to the
 * domain note's limits), and the override file parser with its
 * line-numbered errors. */
#include <criterion/criterion.h>
#include "desk/desk.h"

struct dur_case {
	const char *in;
	int rc;
	enum desk_unit unit;
	int32_t amount;
	const char *back; /* desk_duration_format of the result */
};
static const struct dur_case dur_cases[] = {
	{ "30m", 0, DESK_UNIT_MINUTES, 30, "30m" },
	{ "90m", 0, DESK_UNIT_MINUTES, 90, "90m" },
	{ "120m", 0, DESK_UNIT_MINUTES, 120, "2h" },
	{ "2h", 0, DESK_UNIT_MINUTES, 120, "2h" },
	{ "24h", 0, DESK_UNIT_MINUTES, 1440, "24h" },
	{ "8784h", 0, DESK_UNIT_MINUTES, 527040, "8784h" },
	{ "5wd", 0, DESK_UNIT_WORKDAYS, 5, "5wd" },
	{ "366wd", 0, DESK_UNIT_WORKDAYS, 366, "366wd" },
	{ "8785h", PL_EINVAL, 0, 0, NULL },
	{ "367wd", PL_EINVAL, 0, 0, NULL },
	{ "0m", PL_EINVAL, 0, 0, NULL },
	{ "0wd", PL_EINVAL, 0, 0, NULL },
	{ "h", PL_EINVAL, 0, 0, NULL },
	{ "5", PL_EINVAL, 0, 0, NULL },
	{ "5d", PL_EINVAL, 0, 0, NULL },
	{ "5 h", PL_EINVAL, 0, 0, NULL },
	{ "-1h", PL_EINVAL, 0, 0, NULL },
	{ "5wdx", PL_EINVAL, 0, 0, NULL },
	{ "99999999999h", PL_EINVAL, 0, 0, NULL },
	{ "", PL_EINVAL, 0, 0, NULL },
};

Test(desk_sla, durations)
{
	for (size_t i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
		const struct dur_case *c = &dur_cases[i];
		struct desk_duration d = { DESK_UNIT_MINUTES, -1 };
		int rc = desk_duration_parse(c->in, &d);
		cr_expect_eq(rc, c->rc, "'%s': rc %d", c->in, rc);
		if (rc) {
			cr_expect_eq(d.amount, -1, "'%s': written on error", c->in);
			continue;
		}
		char out[16];
		cr_expect_eq(d.unit, c->unit, "'%s'", c->in);
		cr_expect_eq(d.amount, c->amount, "'%s'", c->in);
		desk_duration_format(d, out);
		cr_expect_str_eq(out, c->back, "'%s'", c->in);
	}
	cr_expect_eq(desk_duration_parse(NULL, &(struct desk_duration){ 0 }), PL_EINVAL);
}

/* Pinned defaults: the limits docs/desk.md promises, with their sources. */
struct cell_case {
	enum desk_category cat;
	enum desk_urgency urg;
	enum desk_clock clk;
	const char *want;
};
static const struct cell_case default_cells[] = {
	{ DESK_CAT_HELP, DESK_URG_NORMAL, DESK_CLK_RESOLVE, "5wd" },      /* Zhongshan */
	{ DESK_CAT_COMPLAINT, DESK_URG_NORMAL, DESK_CLK_RESOLVE, "5wd" },
	{ DESK_CAT_CONSULT, DESK_URG_NORMAL, DESK_CLK_RESOLVE, "3wd" },   /* 12345 咨询 */
	{ DESK_CAT_SUGGESTION, DESK_URG_NORMAL, DESK_CLK_RESOLVE, "13wd" }, /* 12345 建议 */
	{ DESK_CAT_UTILITY, DESK_URG_NORMAL, DESK_CLK_RESOLVE, "24h" },   /* Beijing 水电气热 */
	{ DESK_CAT_HELP, DESK_URG_NORMAL, DESK_CLK_CONTACT, "1h" },       /* Zhongshan */
	{ DESK_CAT_HELP, DESK_URG_NORMAL, DESK_CLK_SIGN, "2h" },          /* Beijing intake */
	{ DESK_CAT_HELP, DESK_URG_CRITICAL, DESK_CLK_SIGN, "10m" },       /* Dadukou */
	{ DESK_CAT_UTILITY, DESK_URG_CRITICAL, DESK_CLK_RESOLVE, "2h" },  /* emergencies */
	{ DESK_CAT_COMPLAINT, DESK_URG_URGENT, DESK_CLK_RESOLVE, "24h" },
};

Test(desk_sla, defaults)
{
	struct desk_sla_table t;
	desk_sla_defaults(&t);
	for (size_t i = 0; i < sizeof(default_cells) / sizeof(default_cells[0]); i++) {
		const struct cell_case *c = &default_cells[i];
		char got[16];
		desk_duration_format(t.cell[c->cat][c->urg][c->clk], got);
		cr_expect_str_eq(got, c->want, "%s %s %s", desk_category_name(c->cat),
				 desk_urgency_name(c->urg), desk_clock_name(c->clk));
	}
	/* Every cell is set, and critical is never slower than normal. */
	for (int c = 0; c < DESK_CAT_COUNT; c++)
		for (int u = 0; u < DESK_URG_COUNT; u++)
			for (int k = 0; k < DESK_CLK_COUNT; k++)
				cr_expect_gt(t.cell[c][u][k].amount, 0);
	for (int c = 0; c < DESK_CAT_COUNT; c++)
		for (int k = 0; k < DESK_CLK_COUNT; k++) {
			struct desk_duration crit = t.cell[c][DESK_URG_CRITICAL][k];
			cr_expect_eq(crit.unit, DESK_UNIT_MINUTES, "critical clocks run around the clock");
		}
}

Test(desk_sla, overrides)
{
	struct desk_sla_table t;
	struct desk_cal_error err;
	const char *text =
		"# park overrides\n"
		"\n"
		"* critical resolve 90m\n"
		"complaint normal resolve 3wd\r\n"
		"  utility\t*  sign  20m\n";
	desk_sla_defaults(&t);
	cr_assert_eq(desk_sla_parse(&t, text, strlen(text), "sla.conf", &err), 0, "%s", err.text);
	for (int c = 0; c < DESK_CAT_COUNT; c++) {
		cr_expect_eq(t.cell[c][DESK_URG_CRITICAL][DESK_CLK_RESOLVE].amount, 90);
		cr_expect_eq(t.cell[c][DESK_URG_CRITICAL][DESK_CLK_RESOLVE].unit, DESK_UNIT_MINUTES);
	}
	cr_expect_eq(t.cell[DESK_CAT_COMPLAINT][DESK_URG_NORMAL][DESK_CLK_RESOLVE].amount, 3);
	cr_expect_eq(t.cell[DESK_CAT_COMPLAINT][DESK_URG_NORMAL][DESK_CLK_RESOLVE].unit, DESK_UNIT_WORKDAYS);
	for (int u = 0; u < DESK_URG_COUNT; u++)
		cr_expect_eq(t.cell[DESK_CAT_UTILITY][u][DESK_CLK_SIGN].amount, 20);
	/* Untouched cells keep their defaults. */
	cr_expect_eq(t.cell[DESK_CAT_HELP][DESK_URG_NORMAL][DESK_CLK_RESOLVE].amount, 5);
}

struct sla_bad {
	const char *text;
	int rc, line;
	const char *needle;
};
static const struct sla_bad sla_bad_cases[] = {
	{ "help normal resolve\n", PL_EPARSE, 1, "expected '<category|*>" },
	{ "help normal resolve 5wd extra\n", PL_EPARSE, 1, "expected" },
	{ "# ok\nhelpdesk normal resolve 5wd\n", PL_EINVAL, 2, "unknown category 'helpdesk'" },
	{ "help soon resolve 5wd\n", PL_EINVAL, 1, "unknown urgency 'soon'" },
	{ "help normal close 5wd\n", PL_EINVAL, 1, "unknown clock 'close'" },
	{ "help normal resolve 5d\n", PL_EINVAL, 1, "bad duration '5d'" },
	{ "* * * 1h\nhelp normal resolve 0h\n", PL_EINVAL, 2, "bad duration" },
};

Test(desk_sla, parse_errors_are_all_or_nothing)
{
	for (size_t i = 0; i < sizeof(sla_bad_cases) / sizeof(sla_bad_cases[0]); i++) {
		const struct sla_bad *c = &sla_bad_cases[i];
		struct desk_sla_table t, orig;
		struct desk_cal_error err;
		desk_sla_defaults(&t);
		orig = t;
		int rc = desk_sla_parse(&t, c->text, strlen(c->text), "s.conf", &err);
		cr_expect_eq(rc, c->rc, "case %zu: rc %d (%s)", i, rc, err.text);
		cr_expect_eq(err.line, c->line, "case %zu: line %d", i, err.line);
		cr_expect(strstr(err.text, c->needle) != NULL, "case %zu: '%s' lacks '%s'", i,
			  err.text, c->needle);
		cr_expect(memcmp(&t, &orig, sizeof(t)) == 0, "case %zu: table changed", i);
	}
	struct desk_sla_table t;
	struct desk_cal_error err;
	char line[200];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	desk_sla_defaults(&t);
	cr_expect_eq(desk_sla_parse(&t, line, strlen(line), "s", &err), PL_ETOOBIG);
	cr_expect_eq(desk_sla_parse(&t, line, DESK_SLA_FILE_MAX + 1, "s", &err), PL_ETOOBIG);
	cr_expect_eq(desk_sla_parse(&t, "help\0 normal", 12, "s", &err), PL_EPARSE);
}

Test(desk_sla, names)
{
	for (int c = 0; c < DESK_CAT_COUNT; c++) {
		enum desk_category back;
		cr_expect_eq(desk_category_parse(desk_category_name((enum desk_category)c), &back), 0);
		cr_expect_eq((int)back, c);
	}
	for (int u = 0; u < DESK_URG_COUNT; u++) {
		enum desk_urgency back;
		cr_expect_eq(desk_urgency_parse(desk_urgency_name((enum desk_urgency)u), &back), 0);
		cr_expect_eq((int)back, u);
	}
	for (int k = 0; k < DESK_CLK_COUNT; k++) {
		enum desk_clock back;
		cr_expect_eq(desk_clock_parse(desk_clock_name((enum desk_clock)k), &back), 0);
		cr_expect_eq((int)back, k);
	}
	enum desk_category c;
	cr_expect_eq(desk_category_parse("Help", &c), PL_EINVAL);
	cr_expect_eq(desk_category_parse(NULL, &c), PL_EINVAL);
}

Test(desk_sla, due_times)
{
	struct desk_sla_table t;
	struct desk_calendar cal;
	struct desk_cal_error err;
	const char *root = getenv("PL_ROOT");
	char dir[512];
	int64_t due;
	int32_t day;

	snprintf(dir, sizeof(dir), "%s/data/calendar", root ? root : ".");
	desk_calendar_init(&cal);
	cr_assert_eq(desk_calendar_load_dir(&cal, dir, &err), 0, "%s", err.text);
	desk_sla_defaults(&t);
	cr_assert_eq(desk_day_from_ymd(2025, 9, 30, &day), 0);
	int64_t start = desk_day_start_ms(day) + 15 * 3600 * 1000LL;
	/* A complaint signed for the day before 国庆: 5 working days. */
	cr_expect_eq(desk_sla_due(&t, DESK_CAT_COMPLAINT, DESK_URG_NORMAL, DESK_CLK_RESOLVE, start,
				  &cal, NULL, 0, &due), 0);
	cr_assert_eq(desk_day_from_ymd(2025, 10, 15, &day), 0);
	cr_expect_eq(due, desk_day_start_ms(day));
	/* A gas leak the same afternoon: 2 hours, holiday or not. */
	cr_expect_eq(desk_sla_due(&t, DESK_CAT_UTILITY, DESK_URG_CRITICAL, DESK_CLK_RESOLVE, start,
				  &cal, NULL, 0, &due), 0);
	cr_expect_eq(due, start + 2 * 3600 * 1000LL);
	cr_expect_eq(desk_sla_due(&t, DESK_CAT_COUNT, DESK_URG_NORMAL, DESK_CLK_RESOLVE, start,
				  &cal, NULL, 0, &due), PL_EINVAL);
	cr_expect_eq(desk_sla_due(&t, DESK_CAT_HELP, DESK_URG_NORMAL, DESK_CLK_COUNT, start,
				  &cal, NULL, 0, &due), PL_EINVAL);
	desk_calendar_release(&cal);
}
