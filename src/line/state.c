/*
 * state.c - machine state (running, idle, down, blocked, starved) derived
 * from whatever a machine publishes: a state code, fault/blocked/starved
 * flags, or only a production counter. The priority order and the idle
 * rule are in line.h. A state entered through a flag (DOWN, BLOCKED,
 * STARVED) holds until a sample reports that flag false; then the machine
 * is IDLE until its counter moves again - a cleared fault is not yet
 * production. Time in each state accumulates for the availability figure.
 */
#include "line/line.h"

#include <string.h>

static const char *const state_names[LINE_ST_COUNT] = {
	"unknown", "running", "idle", "down", "blocked", "starved",
};

const char *line_state_name(enum line_state s)
{
	return (unsigned)s < LINE_ST_COUNT ? state_names[s] : "?";
}

void line_state_init(struct line_state_machine *m, const struct line_state_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->state = LINE_ST_UNKNOWN;
	m->last_t = INT64_MIN;
	m->since = INT64_MIN;
}

static void enter(struct line_state_machine *m, enum line_state s, int64_t at, bool *changed)
{
	if (s == m->state)
		return;
	if (at < m->since)
		at = m->since;
	if (m->since != INT64_MIN)
		m->dur_ms[m->state] += at - m->since;
	m->state = s;
	m->since = at;
	if (changed)
		*changed = true;
}

/* The idle rule: when did the counter's silence become idleness? */
static bool idle_due(const struct line_state_machine *m, int64_t now, int64_t *at)
{
	if (!m->has_counter || m->cfg.idle_after_ms <= 0)
		return false;
	if (now - m->counter_moved_t < m->cfg.idle_after_ms)
		return false;
	*at = m->counter_moved_t + m->cfg.idle_after_ms;
	return true;
}

int line_state_feed(struct line_state_machine *m, const struct line_state_sample *s,
		    bool *changed)
{
	bool moved = false;
	int64_t at;

	if (changed)
		*changed = false;
	if (s->t < m->last_t)
		return PL_EINVAL;
	if (m->since == INT64_MIN)
		m->since = s->t;
	m->last_t = s->t;
	if (s->has_counter) {
		if (!m->has_counter) {
			m->has_counter = true;
			m->counter_moved_t = s->t; /* silence is measured from here */
		} else if (s->counter != m->counter) {
			moved = true; /* up, or down after a reset/rollover */
			m->counter_moved_t = s->t;
		}
		m->counter = s->counter;
	}

	enum line_state next = m->state;
	at = s->t;
	if (s->has_fault && s->fault)
		next = LINE_ST_DOWN;
	else if (s->has_code && s->code >= 0 && s->code < 16 &&
		 m->cfg.code_map[s->code] != LINE_ST_UNKNOWN)
		next = m->cfg.code_map[s->code];
	else if (s->has_blocked && s->blocked)
		next = LINE_ST_BLOCKED;
	else if (s->has_starved && s->starved)
		next = LINE_ST_STARVED;
	else if (moved)
		next = LINE_ST_RUNNING;
	else if ((m->state == LINE_ST_DOWN && s->has_fault) ||
		 (m->state == LINE_ST_BLOCKED && s->has_blocked) ||
		 (m->state == LINE_ST_STARVED && s->has_starved))
		next = LINE_ST_IDLE; /* the flag that held it cleared */
	else if ((m->state == LINE_ST_RUNNING || m->state == LINE_ST_UNKNOWN) &&
		 idle_due(m, s->t, &at))
		next = LINE_ST_IDLE;
	enter(m, next, at, changed);
	return 0;
}

void line_state_tick(struct line_state_machine *m, int64_t now, bool *changed)
{
	int64_t at;
	if (changed)
		*changed = false;
	if (now < m->last_t)
		return;
	if ((m->state == LINE_ST_RUNNING || m->state == LINE_ST_UNKNOWN) &&
	    idle_due(m, now, &at))
		enter(m, LINE_ST_IDLE, at, changed);
}
