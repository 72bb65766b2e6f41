/*
 * flow.c - the 工单 state machine as one data table.
 *
 * The government workflow (受理 -> 派单 -> 签收 -> 办理 -> 办结 -> 回访/评价
 * -> 归档, with 转办/退单, 延期, 督办 and 重办) is written down once, in
 * desk__rules below, as rows (from, action, roles, to). Everything else -
 * the legality check, the roles check, the "allowed actions" list an
 * illegal transition answers with, the UI's buttons, docs/desk.md's table -
 * reads that table, so there is one place to change the workflow.
 *
 * What the table does not model (the caller's job, with the store):
 * deadlines (sla/calendar), who the specialist or department is (the
 * caller checks that the acting user is the request's specialist, or staff
 * of the department it was transferred to, before mapping them to a role),
 * and the text an action needs (desk_action_needs_text).
 */
#include "desk.h"

#define E DESK_ROLE_BIT(DESK_ROLE_ENTERPRISE)
#define S DESK_ROLE_BIT(DESK_ROLE_SPECIALIST)
#define D DESK_ROLE_BIT(DESK_ROLE_DEPARTMENT)
#define A DESK_ROLE_BIT(DESK_ROLE_PARK_ADMIN)
#define Y DESK_ROLE_BIT(DESK_ROLE_SYSTEM)

/* Invariant (checked by the tests): at most one row per (from, action), so a
 * transition's target never depends on the role. CLOSED has no rows. */
static const struct desk_transition_rule desk__rules[] = {
	/* 受理: dispatched to the enterprise's specialist by the system
	 * (automatic) or an admin; the enterprise may still withdraw. */
	{ DESK_ST_RECEIVED, DESK_ACT_DISPATCH, A | Y, DESK_ST_DISPATCHED },
	{ DESK_ST_RECEIVED, DESK_ACT_WITHDRAW, E | A, DESK_ST_CLOSED },

	/* 派单: the specialist signs for it; an admin may re-dispatch
	 * (specialist away); unsigned past its limit it is escalated. */
	{ DESK_ST_DISPATCHED, DESK_ACT_ACCEPT, S, DESK_ST_ACCEPTED },
	{ DESK_ST_DISPATCHED, DESK_ACT_DISPATCH, A | Y, DESK_ST_DISPATCHED },
	{ DESK_ST_DISPATCHED, DESK_ACT_ESCALATE, A | Y, DESK_ST_ESCALATED },
	{ DESK_ST_DISPATCHED, DESK_ACT_WITHDRAW, E | A, DESK_ST_CLOSED },

	/* 签收: the handling clock runs from here. */
	{ DESK_ST_ACCEPTED, DESK_ACT_START, S, DESK_ST_IN_PROGRESS },
	{ DESK_ST_ACCEPTED, DESK_ACT_TRANSFER, S | A, DESK_ST_TRANSFERRED },
	{ DESK_ST_ACCEPTED, DESK_ACT_REQUEST_EXTENSION, S, DESK_ST_EXTENSION },
	{ DESK_ST_ACCEPTED, DESK_ACT_ESCALATE, A | Y, DESK_ST_ESCALATED },
	{ DESK_ST_ACCEPTED, DESK_ACT_WITHDRAW, E | A, DESK_ST_CLOSED },
	{ DESK_ST_ACCEPTED, DESK_ACT_AWAIT, S, DESK_ST_WAITING },

	/* 办理 */
	{ DESK_ST_IN_PROGRESS, DESK_ACT_TRANSFER, S | A, DESK_ST_TRANSFERRED },
	{ DESK_ST_IN_PROGRESS, DESK_ACT_REQUEST_EXTENSION, S, DESK_ST_EXTENSION },
	{ DESK_ST_IN_PROGRESS, DESK_ACT_ESCALATE, A | Y, DESK_ST_ESCALATED },
	{ DESK_ST_IN_PROGRESS, DESK_ACT_RESOLVE, S, DESK_ST_RESOLVED },
	{ DESK_ST_IN_PROGRESS, DESK_ACT_AWAIT, S, DESK_ST_WAITING },

	/* 待补充: the specialist asked the enterprise for materials (补充材料)
	 * and the handling clock stands still until the enterprise answers
	 * (补正; the specialist records an answer given by phone); the
	 * deadline then moves by the paused working time. Nothing can be
	 * overdue while it waits, so there is no escalation from here. */
	{ DESK_ST_WAITING, DESK_ACT_SUPPLEMENT, E | S, DESK_ST_IN_PROGRESS },
	{ DESK_ST_WAITING, DESK_ACT_WITHDRAW, E | A, DESK_ST_CLOSED },

	/* 转办: the department resolves it or sends it back (退单) with a
	 * reason, and the specialist handles it again. */
	{ DESK_ST_TRANSFERRED, DESK_ACT_RETURN, D, DESK_ST_IN_PROGRESS },
	{ DESK_ST_TRANSFERRED, DESK_ACT_RESOLVE, D, DESK_ST_RESOLVED },
	{ DESK_ST_TRANSFERRED, DESK_ACT_ESCALATE, A | Y, DESK_ST_ESCALATED },

	/* 延期: only an admin decides; either way the specialist goes on
	 * (with the new deadline when approved). Undecided past the old
	 * deadline, it is escalated. */
	{ DESK_ST_EXTENSION, DESK_ACT_APPROVE_EXTENSION, A, DESK_ST_IN_PROGRESS },
	{ DESK_ST_EXTENSION, DESK_ACT_REJECT_EXTENSION, A, DESK_ST_IN_PROGRESS },
	{ DESK_ST_EXTENSION, DESK_ACT_ESCALATE, A | Y, DESK_ST_ESCALATED },

	/* 督办: work goes on under supervision, or the leader (an admin)
	 * re-dispatches to someone else. No extension once overdue: 延期
	 * must be asked for before the deadline. */
	{ DESK_ST_ESCALATED, DESK_ACT_START, S, DESK_ST_IN_PROGRESS },
	{ DESK_ST_ESCALATED, DESK_ACT_TRANSFER, S | A, DESK_ST_TRANSFERRED },
	{ DESK_ST_ESCALATED, DESK_ACT_RESOLVE, S | D, DESK_ST_RESOLVED },
	{ DESK_ST_ESCALATED, DESK_ACT_DISPATCH, A, DESK_ST_DISPATCHED },

	/* 办结: only the enterprise rates; unrated after the rating window
	 * the system archives it. */
	{ DESK_ST_RESOLVED, DESK_ACT_RATE_SATISFIED, E, DESK_ST_RATED },
	{ DESK_ST_RESOLVED, DESK_ACT_RATE_BASIC, E, DESK_ST_RATED },
	{ DESK_ST_RESOLVED, DESK_ACT_RATE_UNSATISFIED, E, DESK_ST_REOPENED },
	{ DESK_ST_RESOLVED, DESK_ACT_CLOSE, A | Y, DESK_ST_CLOSED },

	/* 评价 -> 归档 */
	{ DESK_ST_RATED, DESK_ACT_CLOSE, A | Y, DESK_ST_CLOSED },

	/* 重办: the same specialist signs for it again, or, when the
	 * enterprise asked for a replacement, the admin dispatches it to the
	 * new specialist. */
	{ DESK_ST_REOPENED, DESK_ACT_ACCEPT, S, DESK_ST_ACCEPTED },
	{ DESK_ST_REOPENED, DESK_ACT_DISPATCH, A | Y, DESK_ST_DISPATCHED },
	{ DESK_ST_REOPENED, DESK_ACT_ESCALATE, A | Y, DESK_ST_ESCALATED },
};

#undef E
#undef S
#undef D
#undef A
#undef Y

#define DESK_NRULES (sizeof(desk__rules) / sizeof(desk__rules[0]))

static const struct {
	const char *name, *zh;
} desk__states[DESK_ST_COUNT] = {
	[DESK_ST_RECEIVED] = { "received", "受理" },
	[DESK_ST_DISPATCHED] = { "dispatched", "派单" },
	[DESK_ST_ACCEPTED] = { "accepted", "签收" },
	[DESK_ST_IN_PROGRESS] = { "in_progress", "办理" },
	[DESK_ST_TRANSFERRED] = { "transferred", "转办" },
	[DESK_ST_EXTENSION] = { "extension_requested", "延期" },
	[DESK_ST_ESCALATED] = { "escalated", "督办" },
	[DESK_ST_RESOLVED] = { "resolved", "办结" },
	[DESK_ST_RATED] = { "rated", "评价" },
	[DESK_ST_REOPENED] = { "reopened", "重办" },
	[DESK_ST_CLOSED] = { "closed", "归档" },
	[DESK_ST_WAITING] = { "waiting_enterprise", "待补充" },
};

static const struct {
	const char *name, *zh;
	bool needs_text;
} desk__actions[DESK_ACT_COUNT] = {
	[DESK_ACT_DISPATCH] = { "dispatch", "派单", false },
	[DESK_ACT_ACCEPT] = { "accept", "签收", false },
	[DESK_ACT_START] = { "start", "办理", false },
	[DESK_ACT_TRANSFER] = { "transfer", "转办", false },
	[DESK_ACT_RETURN] = { "return", "退单", true },
	[DESK_ACT_REQUEST_EXTENSION] = { "request_extension", "延期申请", true },
	[DESK_ACT_APPROVE_EXTENSION] = { "approve_extension", "延期批准", false },
	[DESK_ACT_REJECT_EXTENSION] = { "reject_extension", "延期驳回", true },
	[DESK_ACT_ESCALATE] = { "escalate", "督办", false },
	[DESK_ACT_RESOLVE] = { "resolve", "办结", true },
	[DESK_ACT_RATE_SATISFIED] = { "rate_satisfied", "满意", false },
	[DESK_ACT_RATE_BASIC] = { "rate_basic", "基本满意", false },
	[DESK_ACT_RATE_UNSATISFIED] = { "rate_unsatisfied", "不满意", true },
	[DESK_ACT_CLOSE] = { "close", "归档", false },
	[DESK_ACT_WITHDRAW] = { "withdraw", "撤回", false },
	[DESK_ACT_AWAIT] = { "await_enterprise", "补充材料", true },
	[DESK_ACT_SUPPLEMENT] = { "supplement", "补正", true },
};

static const char *const desk__roles[DESK_ROLE_COUNT] = {
	[DESK_ROLE_ENTERPRISE] = "enterprise",
	[DESK_ROLE_SPECIALIST] = "specialist",
	[DESK_ROLE_DEPARTMENT] = "department",
	[DESK_ROLE_PARK_ADMIN] = "park_admin",
	[DESK_ROLE_SYSTEM] = "system",
};

const char *desk_state_name(enum desk_state s)
{
	return (unsigned)s < DESK_ST_COUNT ? desk__states[s].name : "?";
}

const char *desk_state_zh(enum desk_state s)
{
	return (unsigned)s < DESK_ST_COUNT ? desk__states[s].zh : "?";
}

const char *desk_action_name(enum desk_action a)
{
	return (unsigned)a < DESK_ACT_COUNT ? desk__actions[a].name : "?";
}

const char *desk_action_zh(enum desk_action a)
{
	return (unsigned)a < DESK_ACT_COUNT ? desk__actions[a].zh : "?";
}

const char *desk_role_name(enum desk_role r)
{
	return (unsigned)r < DESK_ROLE_COUNT ? desk__roles[r] : "?";
}

bool desk_action_needs_text(enum desk_action a)
{
	return (unsigned)a < DESK_ACT_COUNT && desk__actions[a].needs_text;
}

int desk_state_parse(const char *s, enum desk_state *out)
{
	for (int i = 0; s && i < DESK_ST_COUNT; i++)
		if (strcmp(s, desk__states[i].name) == 0) {
			*out = (enum desk_state)i;
			return 0;
		}
	return PL_EINVAL;
}

int desk_action_parse(const char *s, enum desk_action *out)
{
	for (int i = 0; s && i < DESK_ACT_COUNT; i++)
		if (strcmp(s, desk__actions[i].name) == 0) {
			*out = (enum desk_action)i;
			return 0;
		}
	return PL_EINVAL;
}

int desk_role_parse(const char *s, enum desk_role *out)
{
	for (int i = 0; s && i < DESK_ROLE_COUNT; i++)
		if (strcmp(s, desk__roles[i]) == 0) {
			*out = (enum desk_role)i;
			return 0;
		}
	return PL_EINVAL;
}

const struct desk_transition_rule *desk_transition_table(size_t *n)
{
	*n = DESK_NRULES;
	return desk__rules;
}

unsigned desk_actions_allowed(enum desk_state s, enum desk_role role)
{
	unsigned mask = 0;

	if ((unsigned)s >= DESK_ST_COUNT || (unsigned)role > DESK_ROLE_COUNT)
		return 0;
	for (size_t i = 0; i < DESK_NRULES; i++) {
		if (desk__rules[i].from != s)
			continue;
		if (role == DESK_ROLE_COUNT || (desk__rules[i].roles & DESK_ROLE_BIT(role)))
			mask |= 1u << desk__rules[i].action;
	}
	return mask;
}

/* Appends the names in mask ("a, b, c", or "none") to b. */
static void desk__names(struct pl_buf *b, unsigned mask, bool actions)
{
	bool first = true;
	int n = actions ? DESK_ACT_COUNT : DESK_ROLE_COUNT;

	for (int i = 0; i < n; i++) {
		if (!(mask & (1u << i)))
			continue;
		pl_buf_printf(b, "%s%s", first ? "" : ", ",
			      actions ? desk__actions[i].name : desk__roles[i]);
		first = false;
	}
	if (first)
		pl_buf_puts(b, "none");
}

/* Writes the buffer into err->text, truncating; the buffer's cap is set
 * above the field size so the truncation is done here, in one place. */
static void desk__explain(struct desk_flow_error *err, struct pl_buf *b)
{
	pl_strlcpy(err->text, b->data ? b->data : "", sizeof(err->text));
	pl_buf_release(b);
}

int desk_transition(enum desk_state s, enum desk_action a, enum desk_role r,
		    enum desk_state *next, struct desk_flow_error *err)
{
	const struct desk_transition_rule *rule = NULL;
	struct pl_buf b;

	if (err) {
		err->allowed = 0;
		err->text[0] = '\0';
	}
	if ((unsigned)s >= DESK_ST_COUNT || (unsigned)a >= DESK_ACT_COUNT ||
	    (unsigned)r >= DESK_ROLE_COUNT) {
		if (err)
			pl_strlcpy(err->text, "unknown state, action or role",
				   sizeof(err->text));
		return PL_EINVAL;
	}
	for (size_t i = 0; i < DESK_NRULES; i++)
		if (desk__rules[i].from == s && desk__rules[i].action == a) {
			rule = &desk__rules[i];
			break;
		}
	if (rule && (rule->roles & DESK_ROLE_BIT(r))) {
		*next = rule->to;
		return 0;
	}
	if (!err)
		return rule ? PL_EFORBIDDEN : PL_ECONFLICT;

	err->allowed = desk_actions_allowed(s, DESK_ROLE_COUNT);
	pl_buf_init(&b, 4 * sizeof(err->text));
	if (!rule) {
		pl_buf_printf(&b, "the request is %s (%s), which does not allow %s (%s); allowed actions: ",
			      desk__states[s].name, desk__states[s].zh,
			      desk__actions[a].name, desk__actions[a].zh);
		desk__names(&b, err->allowed, true);
		desk__explain(err, &b);
		return PL_ECONFLICT;
	}
	pl_buf_printf(&b, "a %s may not %s a request that is %s; roles allowed: ",
		      desk__roles[r], desk__actions[a].name, desk__states[s].name);
	desk__names(&b, rule->roles, false);
	pl_buf_puts(&b, "; actions allowed to a ");
	pl_buf_puts(&b, desk__roles[r]);
	pl_buf_puts(&b, " here: ");
	desk__names(&b, desk_actions_allowed(s, r), true);
	desk__explain(err, &b);
	return PL_EFORBIDDEN;
}
