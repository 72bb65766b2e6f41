/*
 * alarm.c - alarm rules (threshold with deadband, rate of change, stale
 * data) and the ISA-18.2 alarm life cycle as a pure state machine:
 *
 *   NORMAL --cond--> UNACK --ack--> ACKED --!cond--> NORMAL (cleared)
 *                      |                                ^
 *                   !cond                               |
 *                      v                                |
 *                  RTN_UNACK --ack----------------------+
 *                      |--cond--> UNACK
 *   any --shelve--> SHELVED --expiry/unshelve--> UNACK if cond, else NORMAL
 *
 * While shelved the condition is still tracked, so unshelving shows the
 * truth at that moment. The caller persists events (who acknowledged,
 * when) in the store's audit log; this file keeps no history.
 */
#include "line/line.h"

#include <math.h>
#include <string.h>

static const char *const as_names[] = {
	"normal", "unacknowledged", "acknowledged", "returned_unacknowledged", "shelved",
};
static const char *const ae_names[] = {
	"none", "raised", "acknowledged", "returned", "cleared", "shelved", "unshelved",
};

const char *line_alarm_state_name(enum line_alarm_state s)
{
	return (unsigned)s < sizeof(as_names) / sizeof(as_names[0]) ? as_names[s] : "?";
}

const char *line_alarm_event_name(enum line_alarm_event e)
{
	return (unsigned)e < sizeof(ae_names) / sizeof(ae_names[0]) ? ae_names[e] : "?";
}

bool line_alarm_category_is_safety(enum line_alarm_category c)
{
	return c == LINE_ALARM_FIRE || c == LINE_ALARM_SMOKE || c == LINE_ALARM_GAS;
}

int line_alarm_rule_check(const struct line_alarm_rule *r)
{
	if ((unsigned)r->kind > LINE_ALARM_STALE || (unsigned)r->category > LINE_ALARM_GAS ||
	    r->priority < 1 || r->priority > 4 || !isfinite(r->limit) ||
	    !isfinite(r->deadband) || r->deadband < 0)
		return PL_EINVAL;
	if (r->kind == LINE_ALARM_STALE && r->stale_ms <= 0)
		return PL_EINVAL;
	if (r->kind == LINE_ALARM_ROC && r->limit <= 0)
		return PL_EINVAL;
	return 0;
}

int line_alarm_init(struct line_alarm *a, const struct line_alarm_rule *r, int64_t now)
{
	if (line_alarm_rule_check(r))
		return PL_EINVAL;
	memset(a, 0, sizeof(*a));
	a->rule = *r;
	a->state = LINE_AS_NORMAL;
	a->last_t = now; /* a series that never reports goes stale too */
	a->since = now;
	return 0;
}

static void set_state(struct line_alarm *a, enum line_alarm_state s, int64_t now)
{
	a->state = s;
	a->since = now;
}

/* Moves the life cycle for a (possibly) new condition value. */
static enum line_alarm_event step(struct line_alarm *a, bool cond, int64_t now)
{
	a->cond = cond;
	switch (a->state) {
	case LINE_AS_NORMAL:
		if (cond) {
			set_state(a, LINE_AS_UNACK, now);
			return LINE_AE_RAISED;
		}
		break;
	case LINE_AS_UNACK:
		if (!cond) {
			set_state(a, LINE_AS_RTN_UNACK, now);
			return LINE_AE_RETURNED;
		}
		break;
	case LINE_AS_ACKED:
		if (!cond) {
			set_state(a, LINE_AS_NORMAL, now);
			return LINE_AE_CLEARED;
		}
		break;
	case LINE_AS_RTN_UNACK:
		if (cond) {
			set_state(a, LINE_AS_UNACK, now);
			return LINE_AE_RAISED;
		}
		break;
	case LINE_AS_SHELVED:
		break; /* tracked, not annunciated */
	}
	return LINE_AE_NONE;
}

int line_alarm_sample(struct line_alarm *a, int64_t t, double v, enum line_alarm_event *ev)
{
	const struct line_alarm_rule *r = &a->rule;
	bool cond = a->cond;

	*ev = LINE_AE_NONE;
	if (!isfinite(v) || (a->has_last && t <= a->last_t))
		return PL_EINVAL;
	switch (r->kind) {
	case LINE_ALARM_HIGH:
		/* active above the limit; clears only below limit - deadband,
		 * so a value hovering at the limit does not chatter */
		cond = cond ? !(v < r->limit - r->deadband) : v > r->limit;
		break;
	case LINE_ALARM_LOW:
		cond = cond ? !(v > r->limit + r->deadband) : v < r->limit;
		break;
	case LINE_ALARM_ROC:
		if (a->has_last) {
			double rate = fabs(v - a->last_v) / ((double)(t - a->last_t) / 1000.0);
			cond = cond ? !(rate < r->limit - r->deadband) : rate > r->limit;
		}
		break;
	case LINE_ALARM_STALE:
		cond = false; /* a sample is fresh data */
		break;
	}
	a->has_last = true;
	a->last_t = t;
	a->last_v = v;
	*ev = step(a, cond, t);
	return 0;
}

void line_alarm_tick(struct line_alarm *a, int64_t now, enum line_alarm_event *ev)
{
	bool cond = a->cond;
	*ev = LINE_AE_NONE;
	if (a->rule.kind == LINE_ALARM_STALE)
		cond = now - a->last_t >= a->rule.stale_ms;
	if (a->state == LINE_AS_SHELVED) {
		a->cond = cond;
		if (now >= a->shelved_until) {
			set_state(a, cond ? LINE_AS_UNACK : LINE_AS_NORMAL, now);
			*ev = LINE_AE_UNSHELVED;
		}
		return;
	}
	*ev = step(a, cond, now);
}

int line_alarm_ack(struct line_alarm *a, int64_t now, enum line_alarm_event *ev)
{
	*ev = LINE_AE_NONE;
	if (a->state == LINE_AS_UNACK)
		set_state(a, LINE_AS_ACKED, now);
	else if (a->state == LINE_AS_RTN_UNACK)
		set_state(a, LINE_AS_NORMAL, now);
	else
		return PL_ECONFLICT;
	*ev = LINE_AE_ACKED;
	return 0;
}

int line_alarm_shelve(struct line_alarm *a, int64_t now, int64_t until,
		      enum line_alarm_event *ev)
{
	*ev = LINE_AE_NONE;
	if (until <= now)
		return PL_EINVAL;
	a->shelved_until = until;
	if (a->state != LINE_AS_SHELVED)
		set_state(a, LINE_AS_SHELVED, now);
	*ev = LINE_AE_SHELVED;
	return 0;
}

int line_alarm_unshelve(struct line_alarm *a, int64_t now, enum line_alarm_event *ev)
{
	*ev = LINE_AE_NONE;
	if (a->state != LINE_AS_SHELVED)
		return PL_ECONFLICT;
	set_state(a, a->cond ? LINE_AS_UNACK : LINE_AS_NORMAL, now);
	*ev = LINE_AE_UNSHELVED;
	return 0;
}
