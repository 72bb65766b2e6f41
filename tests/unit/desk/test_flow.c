/* test_flow.c - the 工单 state machine: every state x every action x every
 * role against a specification written here independently of flow.c's
 * table (by name, as docs/desk.md shows it), the error texts of illegal
 * transitions, and whole stories walked through the machine. */
#include <criterion/criterion.h>
#include "desk/desk.h"

/* The workflow as docs/desk.md states it: from, action, roles, to. */
struct spec_row {
	const char *from, *action, *roles, *to;
};
static const struct spec_row spec[] = {
	{ "received", "dispatch", "park_admin system", "dispatched" },
	{ "received", "withdraw", "enterprise park_admin", "closed" },
	{ "dispatched", "accept", "specialist", "accepted" },
	{ "dispatched", "dispatch", "park_admin system", "dispatched" },
	{ "dispatched", "escalate", "park_admin system", "escalated" },
	{ "dispatched", "withdraw", "enterprise park_admin", "closed" },
	{ "accepted", "start", "specialist", "in_progress" },
	{ "accepted", "transfer", "specialist park_admin", "transferred" },
	{ "accepted", "request_extension", "specialist", "extension_requested" },
	{ "accepted", "escalate", "park_admin system", "escalated" },
	{ "accepted", "withdraw", "enterprise park_admin", "closed" },
	{ "accepted", "await_enterprise", "specialist", "waiting_enterprise" },
	{ "in_progress", "transfer", "specialist park_admin", "transferred" },
	{ "in_progress", "request_extension", "specialist", "extension_requested" },
	{ "in_progress", "escalate", "park_admin system", "escalated" },
	{ "in_progress", "resolve", "specialist", "resolved" },
	{ "in_progress", "await_enterprise", "specialist", "waiting_enterprise" },
	{ "waiting_enterprise", "supplement", "enterprise specialist", "in_progress" },
	{ "waiting_enterprise", "withdraw", "enterprise park_admin", "closed" },
	{ "transferred", "return", "department", "in_progress" },
	{ "transferred", "resolve", "department", "resolved" },
	{ "transferred", "escalate", "park_admin system", "escalated" },
	{ "extension_requested", "approve_extension", "park_admin", "in_progress" },
	{ "extension_requested", "reject_extension", "park_admin", "in_progress" },
	{ "extension_requested", "escalate", "park_admin system", "escalated" },
	{ "escalated", "start", "specialist", "in_progress" },
	{ "escalated", "transfer", "specialist park_admin", "transferred" },
	{ "escalated", "resolve", "specialist department", "resolved" },
	{ "escalated", "dispatch", "park_admin", "dispatched" },
	{ "resolved", "rate_satisfied", "enterprise", "rated" },
	{ "resolved", "rate_basic", "enterprise", "rated" },
	{ "resolved", "rate_unsatisfied", "enterprise", "reopened" },
	{ "resolved", "close", "park_admin system", "closed" },
	{ "rated", "close", "park_admin system", "closed" },
	{ "reopened", "accept", "specialist", "accepted" },
	{ "reopened", "dispatch", "park_admin system", "dispatched" },
	{ "reopened", "escalate", "park_admin system", "escalated" },
};
#define NSPEC (sizeof(spec) / sizeof(spec[0]))

static bool word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

static const struct spec_row *spec_find(enum desk_state s, enum desk_action a)
{
	for (size_t i = 0; i < NSPEC; i++)
		if (strcmp(spec[i].from, desk_state_name(s)) == 0 &&
		    strcmp(spec[i].action, desk_action_name(a)) == 0)
			return &spec[i];
	return NULL;
}

Test(desk_flow, spec_names_are_known)
{
	for (size_t i = 0; i < NSPEC; i++) {
		enum desk_state s;
		enum desk_action a;
		cr_assert_eq(desk_state_parse(spec[i].from, &s), 0, "%s", spec[i].from);
		cr_assert_eq(desk_state_parse(spec[i].to, &s), 0, "%s", spec[i].to);
		cr_assert_eq(desk_action_parse(spec[i].action, &a), 0, "%s", spec[i].action);
	}
	size_t n;
	desk_transition_table(&n);
	cr_expect_eq(n, NSPEC, "flow.c has %zu rules, the spec %zu", n, NSPEC);
}

Test(desk_flow, every_state_action_role)
{
	int legal = 0, conflict = 0, forbidden = 0;

	for (int s = 0; s < DESK_ST_COUNT; s++) {
		unsigned want_allowed = 0;
		for (int a = 0; a < DESK_ACT_COUNT; a++)
			if (spec_find((enum desk_state)s, (enum desk_action)a))
				want_allowed |= 1u << a;
		cr_expect_eq(desk_actions_allowed((enum desk_state)s, DESK_ROLE_COUNT),
			     want_allowed, "allowed in %s", desk_state_name((enum desk_state)s));

		for (int a = 0; a < DESK_ACT_COUNT; a++) {
			const struct spec_row *row = spec_find((enum desk_state)s, (enum desk_action)a);
			for (int r = 0; r < DESK_ROLE_COUNT; r++) {
				enum desk_state next = DESK_ST_COUNT;
				struct desk_flow_error err;
				const char *sn = desk_state_name((enum desk_state)s);
				const char *an = desk_action_name((enum desk_action)a);
				const char *rn = desk_role_name((enum desk_role)r);
				int rc = desk_transition((enum desk_state)s, (enum desk_action)a,
							 (enum desk_role)r, &next, &err);

				if (row && word_in(row->roles, rn)) {
					cr_expect_eq(rc, 0, "%s --%s(%s)--> rc %d: %s", sn, an, rn, rc, err.text);
					cr_expect_str_eq(desk_state_name(next), row->to, "%s --%s(%s)", sn, an, rn);
					legal++;
					continue;
				}
				cr_expect_eq(next, DESK_ST_COUNT, "next written on error");
				if (row) {
					cr_expect_eq(rc, PL_EFORBIDDEN, "%s --%s(%s)--> rc %d", sn, an, rn, rc);
					cr_expect(strstr(err.text, rn) && strstr(err.text, an),
						  "text '%s'", err.text);
					forbidden++;
					continue;
				}
				cr_expect_eq(rc, PL_ECONFLICT, "%s --%s(%s)--> rc %d", sn, an, rn, rc);
				cr_expect_eq(err.allowed, want_allowed, "%s", sn);
				cr_expect(strstr(err.text, sn) != NULL, "'%s' lacks the state", err.text);
				cr_expect(strstr(err.text, desk_state_zh((enum desk_state)s)) != NULL,
					  "'%s' lacks the state's Chinese name", err.text);
				for (int b = 0; b < DESK_ACT_COUNT; b++)
					if (want_allowed & (1u << b))
						cr_expect(strstr(err.text, desk_action_name((enum desk_action)b)),
							  "'%s' lacks allowed action %s", err.text,
							  desk_action_name((enum desk_action)b));
				if (!want_allowed)
					cr_expect(strstr(err.text, "allowed actions: none"), "%s", err.text);
				conflict++;
			}
		}
	}
	/* Every combination was visited exactly once. */
	cr_expect_eq(legal + conflict + forbidden, DESK_ST_COUNT * DESK_ACT_COUNT * DESK_ROLE_COUNT);
	cr_expect_gt(legal, 0);
	cr_expect_gt(forbidden, 0);
}

Test(desk_flow, one_rule_per_state_action)
{
	size_t n;
	const struct desk_transition_rule *t = desk_transition_table(&n);
	for (size_t i = 0; i < n; i++) {
		cr_expect_neq(t[i].roles, 0u, "rule %zu has no roles", i);
		cr_expect_neq(t[i].from, DESK_ST_CLOSED, "closed is final");
		for (size_t j = i + 1; j < n; j++)
			cr_expect(!(t[i].from == t[j].from && t[i].action == t[j].action),
				  "rules %zu and %zu share (from, action)", i, j);
	}
}

Test(desk_flow, out_of_range)
{
	enum desk_state next;
	struct desk_flow_error err;
	cr_expect_eq(desk_transition(DESK_ST_COUNT, DESK_ACT_ACCEPT, DESK_ROLE_SPECIALIST, &next, &err), PL_EINVAL);
	cr_expect_eq(desk_transition(DESK_ST_RECEIVED, DESK_ACT_COUNT, DESK_ROLE_SPECIALIST, &next, &err), PL_EINVAL);
	cr_expect_eq(desk_transition(DESK_ST_RECEIVED, DESK_ACT_DISPATCH, DESK_ROLE_COUNT, &next, NULL), PL_EINVAL);
	cr_expect_eq(desk_transition(DESK_ST_CLOSED, DESK_ACT_CLOSE, DESK_ROLE_SYSTEM, &next, NULL), PL_ECONFLICT);
	cr_expect_eq(desk_transition(DESK_ST_RESOLVED, DESK_ACT_RATE_SATISFIED, DESK_ROLE_SPECIALIST, &next, NULL), PL_EFORBIDDEN);
	cr_expect_eq(desk_actions_allowed(DESK_ST_COUNT, DESK_ROLE_COUNT), 0u);
}

struct name_case {
	const char *name;
	int ok;
};

Test(desk_flow, names_round_trip)
{
	for (int s = 0; s < DESK_ST_COUNT; s++) {
		enum desk_state back;
		cr_expect_eq(desk_state_parse(desk_state_name((enum desk_state)s), &back), 0);
		cr_expect_eq((int)back, s);
	}
	for (int a = 0; a < DESK_ACT_COUNT; a++) {
		enum desk_action back;
		cr_expect_eq(desk_action_parse(desk_action_name((enum desk_action)a), &back), 0);
		cr_expect_eq((int)back, a);
	}
	for (int r = 0; r < DESK_ROLE_COUNT; r++) {
		enum desk_role back;
		cr_expect_eq(desk_role_parse(desk_role_name((enum desk_role)r), &back), 0);
		cr_expect_eq((int)back, r);
	}
	static const char *const junk[] = { "", "Received", "dispatch ", "auditor", NULL };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		enum desk_state s;
		enum desk_action a;
		enum desk_role r;
		cr_expect_eq(desk_state_parse(junk[i], &s), PL_EINVAL);
		cr_expect_eq(desk_action_parse(junk[i], &a), PL_EINVAL);
		cr_expect_eq(desk_role_parse(junk[i], &r), PL_EINVAL);
	}
	cr_expect_str_eq(desk_state_name(DESK_ST_COUNT), "?");
}

Test(desk_flow, actions_needing_text)
{
	static const char *const need[] = { "return", "request_extension", "reject_extension",
					    "resolve", "rate_unsatisfied", "await_enterprise",
					    "supplement" };
	for (int a = 0; a < DESK_ACT_COUNT; a++) {
		bool want = false;
		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			want |= strcmp(need[i], desk_action_name((enum desk_action)a)) == 0;
		cr_expect_eq(desk_action_needs_text((enum desk_action)a), want, "%s",
			     desk_action_name((enum desk_action)a));
	}
}

/* Stories: each step is "role action -> state", walked from received. */
struct step {
	enum desk_role role;
	enum desk_action action;
	enum desk_state want;
};

static void walk(const char *story, const struct step *steps, size_t n)
{
	enum desk_state s = DESK_ST_RECEIVED;
	for (size_t i = 0; i < n; i++) {
		struct desk_flow_error err;
		enum desk_state next;
		int rc = desk_transition(s, steps[i].action, steps[i].role, &next, &err);
		cr_assert_eq(rc, 0, "%s step %zu: %s", story, i, err.text);
		cr_assert_eq(next, steps[i].want, "%s step %zu: got %s", story, i, desk_state_name(next));
		s = next;
	}
}

#define WALK(name, ...) do { \
	static const struct step st_[] = { __VA_ARGS__ }; \
	walk(name, st_, sizeof(st_) / sizeof(st_[0])); \
} while (0)

Test(desk_flow, stories)
{
	WALK("happy path",
	     { DESK_ROLE_SYSTEM, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_ACCEPT, DESK_ST_ACCEPTED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_START, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_RESOLVE, DESK_ST_RESOLVED },
	     { DESK_ROLE_ENTERPRISE, DESK_ACT_RATE_SATISFIED, DESK_ST_RATED },
	     { DESK_ROLE_SYSTEM, DESK_ACT_CLOSE, DESK_ST_CLOSED });
	WALK("unsatisfied, replaced, satisfied",
	     { DESK_ROLE_SYSTEM, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_ACCEPT, DESK_ST_ACCEPTED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_START, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_RESOLVE, DESK_ST_RESOLVED },
	     { DESK_ROLE_ENTERPRISE, DESK_ACT_RATE_UNSATISFIED, DESK_ST_REOPENED },
	     { DESK_ROLE_PARK_ADMIN, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_ACCEPT, DESK_ST_ACCEPTED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_START, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_RESOLVE, DESK_ST_RESOLVED },
	     { DESK_ROLE_ENTERPRISE, DESK_ACT_RATE_SATISFIED, DESK_ST_RATED },
	     { DESK_ROLE_PARK_ADMIN, DESK_ACT_CLOSE, DESK_ST_CLOSED });
	WALK("transfer, return, transfer, department resolves",
	     { DESK_ROLE_PARK_ADMIN, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_ACCEPT, DESK_ST_ACCEPTED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_TRANSFER, DESK_ST_TRANSFERRED },
	     { DESK_ROLE_DEPARTMENT, DESK_ACT_RETURN, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_TRANSFER, DESK_ST_TRANSFERRED },
	     { DESK_ROLE_DEPARTMENT, DESK_ACT_RESOLVE, DESK_ST_RESOLVED },
	     { DESK_ROLE_ENTERPRISE, DESK_ACT_RATE_BASIC, DESK_ST_RATED });
	WALK("extension, then overdue and supervised",
	     { DESK_ROLE_SYSTEM, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_ACCEPT, DESK_ST_ACCEPTED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_START, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_REQUEST_EXTENSION, DESK_ST_EXTENSION },
	     { DESK_ROLE_PARK_ADMIN, DESK_ACT_APPROVE_EXTENSION, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SYSTEM, DESK_ACT_ESCALATE, DESK_ST_ESCALATED },
	     { DESK_ROLE_PARK_ADMIN, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_ACCEPT, DESK_ST_ACCEPTED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_START, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_RESOLVE, DESK_ST_RESOLVED },
	     { DESK_ROLE_SYSTEM, DESK_ACT_CLOSE, DESK_ST_CLOSED });
	WALK("withdrawn",
	     { DESK_ROLE_SYSTEM, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_ENTERPRISE, DESK_ACT_WITHDRAW, DESK_ST_CLOSED });
	WALK("补充材料 twice, answered by the enterprise and by phone",
	     { DESK_ROLE_SYSTEM, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_ACCEPT, DESK_ST_ACCEPTED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_AWAIT, DESK_ST_WAITING },
	     { DESK_ROLE_ENTERPRISE, DESK_ACT_SUPPLEMENT, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_AWAIT, DESK_ST_WAITING },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_SUPPLEMENT, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_RESOLVE, DESK_ST_RESOLVED });
	WALK("withdrawn while waiting on the enterprise",
	     { DESK_ROLE_SYSTEM, DESK_ACT_DISPATCH, DESK_ST_DISPATCHED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_ACCEPT, DESK_ST_ACCEPTED },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_START, DESK_ST_IN_PROGRESS },
	     { DESK_ROLE_SPECIALIST, DESK_ACT_AWAIT, DESK_ST_WAITING },
	     { DESK_ROLE_ENTERPRISE, DESK_ACT_WITHDRAW, DESK_ST_CLOSED });
}

/* The 409 text is what the API answers; pin one exactly. */
Test(desk_flow, conflict_text)
{
	struct desk_flow_error err;
	enum desk_state next;
	cr_assert_eq(desk_transition(DESK_ST_RATED, DESK_ACT_TRANSFER, DESK_ROLE_SPECIALIST, &next, &err),
		     PL_ECONFLICT);
	cr_expect_str_eq(err.text, "the request is rated (评价), which does not allow transfer (转办); allowed actions: close");
	cr_assert_eq(desk_transition(DESK_ST_TRANSFERRED, DESK_ACT_RESOLVE, DESK_ROLE_SPECIALIST, &next, &err),
		     PL_EFORBIDDEN);
	cr_expect_str_eq(err.text, "a specialist may not resolve a request that is transferred; roles allowed: department; actions allowed to a specialist here: none");
}
