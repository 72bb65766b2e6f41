/* test_state.c - machine state derivation from counters, flags and state
 * codes, with the time spent in each state, as a scripted table. */
#include <criterion/criterion.h>
#include "line/line.h"

#define S 1000
enum op { FEED, TICK };
struct st_step {
	enum op op;
	struct line_state_sample s; /* for TICK only s.t is used */
	int rc;
	enum line_state want;
	bool changed;
};
#define CNT(sec, n) { .t = (sec) * S, .has_counter = true, .counter = (n) }

static const struct st_step counter_script[] = {
	{ FEED, CNT(0, 100), 0, LINE_ST_UNKNOWN, false },
	{ FEED, CNT(10, 105), 0, LINE_ST_RUNNING, true },
	{ FEED, CNT(20, 110), 0, LINE_ST_RUNNING, false },
	{ FEED, CNT(50, 110), 0, LINE_ST_RUNNING, false },   /* 30 s of silence < 60 s */
	{ TICK, { .t = 79 * S }, 0, LINE_ST_RUNNING, false },
	{ TICK, { .t = 85 * S }, 0, LINE_ST_IDLE, true },     /* idle from 80 s */
	{ FEED, CNT(90, 111), 0, LINE_ST_RUNNING, true },
	{ FEED, { .t = 95 * S, .has_fault = true, .fault = true }, 0, LINE_ST_DOWN, true },
	{ FEED, { .t = 100 * S, .has_fault = true, .fault = true, .has_counter = true, .counter = 112 },
	  0, LINE_ST_DOWN, false },                           /* fault outranks counting */
	{ FEED, { .t = 130 * S, .has_fault = true, .fault = false }, 0, LINE_ST_IDLE, true },
	{ FEED, CNT(140, 113), 0, LINE_ST_RUNNING, true },
	{ FEED, { .t = 150 * S, .has_blocked = true, .blocked = true }, 0, LINE_ST_BLOCKED, true },
	{ FEED, { .t = 160 * S, .has_blocked = true, .blocked = false, .has_counter = true, .counter = 114 },
	  0, LINE_ST_RUNNING, true },
	{ FEED, { .t = 170 * S, .has_starved = true, .starved = true }, 0, LINE_ST_STARVED, true },
	{ FEED, { .t = 175 * S, .has_starved = true, .starved = false, .has_counter = true, .counter = 5 },
	  0, LINE_ST_RUNNING, true },                         /* counter reset counts as movement */
	{ FEED, CNT(100, 6), PL_EINVAL, LINE_ST_RUNNING, false }, /* older sample */
	{ FEED, CNT(180, 6), 0, LINE_ST_RUNNING, false },
};

static const struct st_step code_script[] = {
	{ FEED, { .t = 0, .has_code = true, .code = 1 }, 0, LINE_ST_RUNNING, true },
	{ FEED, { .t = 5 * S, .has_code = true, .code = 3 }, 0, LINE_ST_DOWN, true },
	{ FEED, { .t = 6 * S, .has_code = true, .code = 9 }, 0, LINE_ST_DOWN, false }, /* unmapped */
	{ FEED, { .t = 7 * S, .has_code = true, .code = -1 }, 0, LINE_ST_DOWN, false },
	{ FEED, { .t = 8 * S, .has_code = true, .code = 4 }, 0, LINE_ST_STARVED, true },
	{ FEED, { .t = 9 * S, .has_code = true, .code = 1, .has_fault = true, .fault = true },
	  0, LINE_ST_DOWN, true },
	{ FEED, { .t = 10 * S, .has_code = true, .code = 2 }, 0, LINE_ST_IDLE, true },
};

static void run(const char *name, const struct st_step *st, size_t n, struct line_state_machine *m)
{
	struct line_state_config cfg = { .idle_after_ms = 60 * S };
	cfg.code_map[1] = LINE_ST_RUNNING;
	cfg.code_map[2] = LINE_ST_IDLE;
	cfg.code_map[3] = LINE_ST_DOWN;
	cfg.code_map[4] = LINE_ST_STARVED;
	line_state_init(m, &cfg);
	for (size_t i = 0; i < n; i++) {
		bool ch = !st[i].changed;
		int rc = 0;
		if (st[i].op == FEED)
			rc = line_state_feed(m, &st[i].s, &ch);
		else
			line_state_tick(m, st[i].s.t, &ch);
		cr_expect_eq(rc, st[i].rc, "%s step %zu: rc %d", name, i, rc);
		cr_expect_eq(m->state, st[i].want, "%s step %zu: %s", name, i, line_state_name(m->state));
		cr_expect_eq(ch, st[i].changed, "%s step %zu: changed", name, i);
	}
}

Test(line_state, counters_and_flags)
{
	struct line_state_machine m;
	run("counter", counter_script, sizeof(counter_script) / sizeof(counter_script[0]), &m);
	/* Closed intervals: unknown 0-10; running 10-80, 90-95, 140-150,
	 * 160-170; idle 80-90, 130-140; down 95-130; blocked 150-160;
	 * starved 170-175; running since 175 still open. */
	cr_expect_eq(m.dur_ms[LINE_ST_UNKNOWN], 10 * S);
	cr_expect_eq(m.dur_ms[LINE_ST_RUNNING], (70 + 5 + 10 + 10) * S);
	cr_expect_eq(m.dur_ms[LINE_ST_IDLE], 20 * S);
	cr_expect_eq(m.dur_ms[LINE_ST_DOWN], 35 * S);
	cr_expect_eq(m.dur_ms[LINE_ST_BLOCKED], 10 * S);
	cr_expect_eq(m.dur_ms[LINE_ST_STARVED], 5 * S);
	cr_expect_eq(m.since, 175 * S);
}

Test(line_state, state_codes)
{
	struct line_state_machine m;
	run("code", code_script, sizeof(code_script) / sizeof(code_script[0]), &m);
	cr_expect_eq(m.dur_ms[LINE_ST_RUNNING], 5 * S);
	cr_expect_eq(m.dur_ms[LINE_ST_DOWN], 3 * S + 1 * S);
	cr_expect_str_eq(line_state_name(LINE_ST_BLOCKED), "blocked");
}
