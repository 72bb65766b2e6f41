/* test_alarm.c - alarm rules and the ISA-18.2 life cycle as scripts: each
 * step is an operator action, a sample or a tick, with the event and the
 * state expected after it. */
#include <criterion/criterion.h>
#include <math.h>
#include "line/line.h"

enum act { SAMPLE, TICK, ACK, SHELVE, UNSHELVE };
struct al_step {
	enum act act;
	int64_t t;
	double v;        /* SAMPLE: value; SHELVE: until */
	int rc;
	enum line_alarm_event ev;
	enum line_alarm_state st;
};

static void run(const char *name, const struct line_alarm_rule *r, const struct al_step *s, size_t n)
{
	struct line_alarm a;
	cr_assert_eq(line_alarm_init(&a, r, 0), 0, "%s", name);
	for (size_t i = 0; i < n; i++) {
		enum line_alarm_event ev = LINE_AE_CLEARED + 100;
		int rc = 0;
		switch (s[i].act) {
		case SAMPLE: rc = line_alarm_sample(&a, s[i].t, s[i].v, &ev); break;
		case TICK: line_alarm_tick(&a, s[i].t, &ev); break;
		case ACK: rc = line_alarm_ack(&a, s[i].t, &ev); break;
		case SHELVE: rc = line_alarm_shelve(&a, s[i].t, (int64_t)s[i].v, &ev); break;
		case UNSHELVE: rc = line_alarm_unshelve(&a, s[i].t, &ev); break;
		}
		cr_expect_eq(rc, s[i].rc, "%s step %zu: rc %d", name, i, rc);
		cr_expect_eq(ev, s[i].ev, "%s step %zu: event %s", name, i, line_alarm_event_name(ev));
		cr_expect_eq(a.state, s[i].st, "%s step %zu: state %s", name, i,
			     line_alarm_state_name(a.state));
	}
}
#define N(x) (sizeof(x) / sizeof(x[0]))

Test(line_alarm, high_threshold_life_cycle)
{
	struct line_alarm_rule r = { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 2, 80, 2, 0 };
	static const struct al_step s[] = {
		{ SAMPLE, 1, 79, 0, LINE_AE_NONE, LINE_AS_NORMAL },
		{ SAMPLE, 2, 80, 0, LINE_AE_NONE, LINE_AS_NORMAL },      /* at the limit: not above */
		{ SAMPLE, 3, 81, 0, LINE_AE_RAISED, LINE_AS_UNACK },
		{ SAMPLE, 4, 79, 0, LINE_AE_NONE, LINE_AS_UNACK },       /* inside the deadband */
		{ SAMPLE, 5, 77.9, 0, LINE_AE_RETURNED, LINE_AS_RTN_UNACK },
		{ SAMPLE, 6, 82, 0, LINE_AE_RAISED, LINE_AS_UNACK },
		{ ACK, 7, 0, 0, LINE_AE_ACKED, LINE_AS_ACKED },
		{ ACK, 8, 0, PL_ECONFLICT, LINE_AE_NONE, LINE_AS_ACKED },
		{ SAMPLE, 9, 90, 0, LINE_AE_NONE, LINE_AS_ACKED },
		{ SAMPLE, 10, 77, 0, LINE_AE_CLEARED, LINE_AS_NORMAL },
		{ ACK, 11, 0, PL_ECONFLICT, LINE_AE_NONE, LINE_AS_NORMAL },
		{ SAMPLE, 12, 85, 0, LINE_AE_RAISED, LINE_AS_UNACK },
		{ SAMPLE, 13, 70, 0, LINE_AE_RETURNED, LINE_AS_RTN_UNACK },
		{ ACK, 14, 0, 0, LINE_AE_ACKED, LINE_AS_NORMAL },         /* RTN ack -> normal */
		{ SAMPLE, 13, 99, PL_EINVAL, LINE_AE_NONE, LINE_AS_NORMAL }, /* not after last */
		{ SAMPLE, 15, NAN, PL_EINVAL, LINE_AE_NONE, LINE_AS_NORMAL },
	};
	run("high", &r, s, N(s));
}

Test(line_alarm, low_threshold)
{
	struct line_alarm_rule r = { LINE_ALARM_LOW, LINE_ALARM_EQUIPMENT, 3, 10, 1, 0 };
	static const struct al_step s[] = {
		{ SAMPLE, 1, 9, 0, LINE_AE_RAISED, LINE_AS_UNACK },
		{ ACK, 2, 0, 0, LINE_AE_ACKED, LINE_AS_ACKED },
		{ SAMPLE, 3, 10.5, 0, LINE_AE_NONE, LINE_AS_ACKED },
		{ SAMPLE, 4, 11.5, 0, LINE_AE_CLEARED, LINE_AS_NORMAL },
	};
	run("low", &r, s, N(s));
}

Test(line_alarm, rate_of_change)
{
	/* 5 units per second */
	struct line_alarm_rule r = { LINE_ALARM_ROC, LINE_ALARM_PROCESS, 2, 5, 0, 0 };
	static const struct al_step s[] = {
		{ SAMPLE, 0, 50, 0, LINE_AE_NONE, LINE_AS_NORMAL },      /* first: no rate yet */
		{ SAMPLE, 1000, 52, 0, LINE_AE_NONE, LINE_AS_NORMAL },   /* 2/s */
		{ SAMPLE, 2000, 60, 0, LINE_AE_RAISED, LINE_AS_UNACK },  /* 8/s */
		{ SAMPLE, 2500, 57, 0, LINE_AE_NONE, LINE_AS_UNACK },    /* -6/s: magnitude */
		{ SAMPLE, 3500, 58, 0, LINE_AE_RETURNED, LINE_AS_RTN_UNACK },
		{ ACK, 3600, 0, 0, LINE_AE_ACKED, LINE_AS_NORMAL },
	};
	run("roc", &r, s, N(s));
}

Test(line_alarm, stale_data)
{
	struct line_alarm_rule r = { LINE_ALARM_STALE, LINE_ALARM_EQUIPMENT, 1, 0, 0, 30000 };
	static const struct al_step s[] = {
		{ TICK, 29999, 0, 0, LINE_AE_NONE, LINE_AS_NORMAL },
		{ TICK, 30000, 0, 0, LINE_AE_RAISED, LINE_AS_UNACK },   /* never reported */
		{ SAMPLE, 31000, 1, 0, LINE_AE_RETURNED, LINE_AS_RTN_UNACK },
		{ ACK, 31500, 0, 0, LINE_AE_ACKED, LINE_AS_NORMAL },
		{ TICK, 60999, 0, 0, LINE_AE_NONE, LINE_AS_NORMAL },
		{ TICK, 61000, 0, 0, LINE_AE_RAISED, LINE_AS_UNACK },
		{ ACK, 61001, 0, 0, LINE_AE_ACKED, LINE_AS_ACKED },
		{ SAMPLE, 62000, 2, 0, LINE_AE_CLEARED, LINE_AS_NORMAL },
	};
	run("stale", &r, s, N(s));
}

Test(line_alarm, shelving)
{
	struct line_alarm_rule r = { LINE_ALARM_HIGH, LINE_ALARM_QUALITY, 4, 80, 0, 0 };
	static const struct al_step s[] = {
		{ SAMPLE, 1, 90, 0, LINE_AE_RAISED, LINE_AS_UNACK },
		{ SHELVE, 2, 1002, 0, LINE_AE_SHELVED, LINE_AS_SHELVED },
		{ SAMPLE, 3, 95, 0, LINE_AE_NONE, LINE_AS_SHELVED },
		{ SAMPLE, 4, 70, 0, LINE_AE_NONE, LINE_AS_SHELVED },     /* tracked silently */
		{ TICK, 1001, 0, 0, LINE_AE_NONE, LINE_AS_SHELVED },
		{ TICK, 1002, 0, 0, LINE_AE_UNSHELVED, LINE_AS_NORMAL }, /* condition false by then */
		{ SHELVE, 1003, 2000, 0, LINE_AE_SHELVED, LINE_AS_SHELVED },
		{ SAMPLE, 1004, 95, 0, LINE_AE_NONE, LINE_AS_SHELVED },
		{ ACK, 1005, 0, PL_ECONFLICT, LINE_AE_NONE, LINE_AS_SHELVED },
		{ UNSHELVE, 1006, 0, 0, LINE_AE_UNSHELVED, LINE_AS_UNACK }, /* still true: annunciate */
		{ UNSHELVE, 1007, 0, PL_ECONFLICT, LINE_AE_NONE, LINE_AS_UNACK },
		{ SHELVE, 1008, 1008, PL_EINVAL, LINE_AE_NONE, LINE_AS_UNACK },
	};
	run("shelve", &r, s, N(s));
}

Test(line_alarm, rules_and_categories)
{
	struct { struct line_alarm_rule r; int rc; } c[] = {
		{ { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 1, 80, 0, 0 }, 0 },
		{ { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 0, 80, 0, 0 }, PL_EINVAL },
		{ { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 5, 80, 0, 0 }, PL_EINVAL },
		{ { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 1, INFINITY, 0, 0 }, PL_EINVAL },
		{ { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 1, 80, -1, 0 }, PL_EINVAL },
		{ { LINE_ALARM_STALE, LINE_ALARM_PROCESS, 1, 0, 0, 0 }, PL_EINVAL },
		{ { LINE_ALARM_ROC, LINE_ALARM_PROCESS, 1, 0, 0, 0 }, PL_EINVAL },
		{ { LINE_ALARM_ROC, LINE_ALARM_GAS, 1, 0.5, 0, 0 }, 0 },
		{ { (enum line_alarm_kind)9, LINE_ALARM_PROCESS, 1, 1, 0, 0 }, PL_EINVAL },
	};
	for (size_t i = 0; i < N(c); i++) {
		struct line_alarm a;
		cr_expect_eq(line_alarm_rule_check(&c[i].r), c[i].rc, "rule %zu", i);
		cr_expect_eq(line_alarm_init(&a, &c[i].r, 0), c[i].rc, "rule %zu", i);
	}
	cr_expect(line_alarm_category_is_safety(LINE_ALARM_FIRE));
	cr_expect(line_alarm_category_is_safety(LINE_ALARM_SMOKE));
	cr_expect(line_alarm_category_is_safety(LINE_ALARM_GAS));
	cr_expect_not(line_alarm_category_is_safety(LINE_ALARM_PROCESS));
	cr_expect_not(line_alarm_category_is_safety(LINE_ALARM_QUALITY));
}
