/*
 * green.c - measuring a green-channel (绿色通道, 全程代办) project: how many
 * working days each approval step took against its statutory limit, and
 * what the project saved.
 *
 * The article's claim is "half a year of procedures in one month"; the
 * park must be able to show it from data. Statutory limits are working
 * days (行政许可法 Art. 42: 20 days unless a law says otherwise; Art. 82:
 * counted in working days, public holidays excluded), so both the limit
 * and the actual time are counted on the working calendar, from the day
 * after 受理 (the first day is not counted) to the day of the decision.
 * Steps often run in parallel, so the sum of step days overstates the
 * wall-clock time; the summary reports the elapsed span as well.
 */
#include "desk.h"

int desk_green_measure(const struct desk_green_step *steps, size_t n,
		       const struct desk_calendar *cal, int64_t as_of_ms,
		       struct desk_green_step_result *results,
		       struct desk_green_summary *out)
{
	struct desk_green_summary s = { .steps = n, .elapsed_days = -1 };
	int64_t first = DESK_NEVER, last = DESK_NEVER;
	int rc;

	if ((n && !steps) || !cal)
		return PL_EINVAL;
	if (n > DESK_GREEN_STEPS_MAX)
		return PL_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		const struct desk_green_step *st = &steps[i];
		if (st->statutory_days < 1 || st->statutory_days > DESK_WORKDAYS_MAX ||
		    st->promised_days < 0 || st->promised_days > DESK_WORKDAYS_MAX ||
		    (st->decided_at != DESK_NEVER &&
		     (st->accepted_at == DESK_NEVER || st->decided_at < st->accepted_at)))
			return PL_EINVAL;
	}
	s.complete = true;
	for (size_t i = 0; i < n; i++) {
		const struct desk_green_step *st = &steps[i];
		struct desk_green_step_result r = { 0 };

		s.statutory_sum += st->statutory_days;
		if (st->accepted_at == DESK_NEVER) {
			s.complete = false;
			if (results)
				results[i] = r;
			continue;
		}
		r.done = st->decided_at != DESK_NEVER;
		int64_t end = r.done ? st->decided_at : as_of_ms;
		if (end < st->accepted_at)
			end = st->accepted_at; /* as_of before 受理: nothing elapsed */
		rc = desk_calendar_workdays_between(cal, desk_day_from_ms(st->accepted_at),
						    desk_day_from_ms(end), &r.actual_days);
		if (rc)
			return rc;
		r.saved_days = st->statutory_days - r.actual_days;
		r.over_statutory = r.actual_days > st->statutory_days;
		r.over_promised = st->promised_days > 0 && r.actual_days > st->promised_days;
		if (r.done) {
			s.done++;
			s.actual_sum += r.actual_days;
			s.saved_sum += r.saved_days;
		} else {
			s.complete = false;
		}
		if (first == DESK_NEVER || st->accepted_at < first)
			first = st->accepted_at;
		if (last == DESK_NEVER || end > last)
			last = end;
		if (results)
			results[i] = r;
	}
	if (n == 0)
		s.complete = false;
	if (first != DESK_NEVER) {
		if (!s.complete && as_of_ms > last)
			last = as_of_ms;
		rc = desk_calendar_workdays_between(cal, desk_day_from_ms(first),
						    desk_day_from_ms(last), &s.elapsed_days);
		if (rc)
			return rc;
		s.elapsed_calendar_days = desk_day_from_ms(last) - desk_day_from_ms(first);
	}
	*out = s;
	return 0;
}

/* ------------------------------------------------------------ templates
 * The park's usual approval chains for an enterprise project, with the
 * statutory limits in working days that the park's green channel measures
 * against (the same figures the demo project uses). The limits are the
 * park's working figures, 20 working days being 行政许可法 Art. 42's general
 * limit; local rules differ, so they are data to review, not law. */
static const struct desk_green_tpl_step green__new_plant[] = {
	{ "立项备案", "发展和改革局", 20 },
	{ "用地规划许可", "规划和自然资源局", 20 },
	{ "工程规划许可", "规划和自然资源局", 20 },
	{ "环评审批", "生态环境局", 30 },
	{ "施工许可", "住房和城乡建设委员会", 15 },
	{ "消防设计审查", "住房和城乡建设委员会", 15 },
	{ "竣工验收备案", "住房和城乡建设委员会", 12 },
};
static const struct desk_green_tpl_step green__expansion[] = {
	{ "立项备案", "发展和改革局", 20 },
	{ "工程规划许可", "规划和自然资源局", 20 },
	{ "环评审批", "生态环境局", 30 },
	{ "施工许可", "住房和城乡建设委员会", 15 },
	{ "竣工验收备案", "住房和城乡建设委员会", 12 },
};
static const struct desk_green_tpl_step green__fitout[] = {
	{ "消防设计审查", "住房和城乡建设委员会", 15 },
	{ "施工许可", "住房和城乡建设委员会", 15 },
	{ "消防验收", "住房和城乡建设委员会", 15 },
};

#define GREEN_N(a) (sizeof(a) / sizeof((a)[0]))
static const struct desk_green_template green__templates[] = {
	{ "new_plant", "新建厂房", "New plant", green__new_plant, GREEN_N(green__new_plant) },
	{ "expansion", "改扩建", "Expansion", green__expansion, GREEN_N(green__expansion) },
	{ "fit_out", "厂房装修改造", "Fit-out", green__fitout, GREEN_N(green__fitout) },
};

const struct desk_green_template *desk_green_templates(size_t *n)
{
	*n = GREEN_N(green__templates);
	return green__templates;
}

const struct desk_green_template *desk_green_template_find(const char *id)
{
	for (size_t i = 0; id && i < GREEN_N(green__templates); i++)
		if (!strcmp(green__templates[i].id, id))
			return &green__templates[i];
	return NULL;
}
