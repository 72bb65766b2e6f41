/*
 * policy.c - the role x action table and the one authorisation function.
 *
 * Everything in this file is pure: no I/O, no state, so the table can be
 * tested exhaustively and read at a glance. The table below is the single
 * source of truth; docs/security.md says the same in words and
 * tests/authz/table.json is its machine-readable copy (a unit test checks
 * that copy cell by cell against auth_scope_of, and the route walk test
 * checks the running server against it).
 *
 * Design notes:
 *  1. Deny by default: a cell not written below is AUTH_SCOPE_DENY (the
 *     array is zero-initialised and DENY is 0), so a new action is closed
 *     until someone opens it deliberately.
 *  2. Tenancy is reported as "not found", never "forbidden": a role that may
 *     do an action at all but not on this enterprise's object gets
 *     PL_ENOTFOUND, so probing ids tells an outsider nothing.
 *  3. A NULL target is a collection-level check (list, create): any scope
 *     but DENY passes and the handler filters rows (auth_tenant_filter).
 */
#include "auth/auth_int.h"

#include <sodium.h>

static const char *const auth__role_names[AUTH_ROLE_COUNT] = {
	[AUTH_ROLE_PARK_ADMIN] = "park_admin",
	[AUTH_ROLE_SPECIALIST] = "specialist",
	[AUTH_ROLE_DEPARTMENT] = "department",
	[AUTH_ROLE_ENTERPRISE] = "enterprise",
	[AUTH_ROLE_AUDITOR] = "auditor",
	[AUTH_ROLE_DEVICE] = "device",
};

static const char *const auth__action_names[AUTH_A_COUNT] = {
	[AUTH_A_PUBLIC] = "public",
	[AUTH_A_SELF] = "self",
	[AUTH_A_ENTERPRISE_LIST] = "enterprise.list",
	[AUTH_A_ENTERPRISE_READ] = "enterprise.read",
	[AUTH_A_ENTERPRISE_CREATE] = "enterprise.create",
	[AUTH_A_ENTERPRISE_UPDATE] = "enterprise.update",
	[AUTH_A_USER_ADMIN] = "user.admin",
	[AUTH_A_TOKEN_ADMIN] = "token.admin",
	[AUTH_A_AUDIT_READ] = "audit.read",
	[AUTH_A_METRICS] = "metrics",
	[AUTH_A_LIVE] = "live",
	[AUTH_A_TRACE_CAPTURE] = "trace.capture",
	[AUTH_A_TRACE_READ] = "trace.read",
	[AUTH_A_LINE_READ] = "line.read",
	[AUTH_A_DESK_REQUEST_READ] = "desk.request.read",
	[AUTH_A_DESK_REQUEST_CREATE] = "desk.request.create",
	[AUTH_A_DESK_REQUEST_ACT] = "desk.request.act",
	[AUTH_A_DESK_REPLACE_READ] = "desk.replace.read",
	[AUTH_A_DESK_REPLACE_REQUEST] = "desk.replace.request",
	[AUTH_A_DESK_REPLACE_ASSIGN] = "desk.replace.assign",
	[AUTH_A_DESK_SCORES] = "desk.scores",
	[AUTH_A_DESK_GREEN_READ] = "desk.green.read",
	[AUTH_A_DESK_GREEN_WRITE] = "desk.green.write",
	[AUTH_A_DESK_REPORT] = "desk.report",
	[AUTH_A_DESK_SETTINGS] = "desk.settings",
	[AUTH_A_DESK_NOTIFY_READ] = "desk.notify.read",
	[AUTH_A_TRACE_SUBSCRIBE] = "trace.subscribe",
	[AUTH_A_LINE_INGEST] = "line.ingest",
	[AUTH_A_LINE_ALARM_ACT] = "line.alarm.act",
	[AUTH_A_PARK_INDICATORS] = "park.indicators",
	[AUTH_A_PARK_DATA_READ] = "park.data.read",
	[AUTH_A_PARK_DATA_WRITE] = "park.data.write",
	[AUTH_A_PARK_MATCH] = "park.match",
};

static const char *const auth__scope_names[] = {
	[AUTH_SCOPE_DENY] = "deny",
	[AUTH_SCOPE_ANY] = "any",
	[AUTH_SCOPE_OWN] = "own",
	[AUTH_SCOPE_ASSIGNED] = "assigned",
	[AUTH_SCOPE_DEPARTMENT] = "department",
};

#define ANY  AUTH_SCOPE_ANY
#define OWN  AUTH_SCOPE_OWN
#define ASG  AUTH_SCOPE_ASSIGNED
#define DEP  AUTH_SCOPE_DEPARTMENT

/* THE TABLE. Rows are actions, columns roles in enum order:
 *                     admin specialist department enterprise auditor device */
static const enum auth_scope auth__table[AUTH_A_COUNT][AUTH_ROLE_COUNT] = {
	[AUTH_A_PUBLIC]            = { ANY, ANY, ANY, ANY, ANY, ANY },
	[AUTH_A_SELF]              = { ANY, ANY, ANY, ANY, ANY, ANY },
	/* Department staff handle requests from any enterprise and need the
	 * names; auditors read across enterprises by definition. */
	[AUTH_A_ENTERPRISE_LIST]   = { ANY, ASG, ANY, OWN, ANY },
	[AUTH_A_ENTERPRISE_READ]   = { ANY, ASG, ANY, OWN, ANY },
	[AUTH_A_ENTERPRISE_CREATE] = { ANY },
	/* An enterprise keeps its own profile (English name, contacts). */
	[AUTH_A_ENTERPRISE_UPDATE] = { ANY, 0, 0, OWN },
	[AUTH_A_USER_ADMIN]        = { ANY },
	/* Enterprise users mint device tokens for their own lines. */
	[AUTH_A_TOKEN_ADMIN]       = { ANY, 0, 0, OWN },
	[AUTH_A_AUDIT_READ]        = { ANY, 0, 0, 0, ANY },
	[AUTH_A_METRICS]           = { ANY, 0, 0, 0, ANY },
	[AUTH_A_LIVE]              = { ANY, ASG, DEP, OWN, ANY },
	/* Trace. Events belong to the enterprise that
	 * captured them; its line devices capture too. Park admins and auditors
	 * (regulators) read and trace across enterprises; auditors' reads are
	 * audited by the handlers. */
	[AUTH_A_TRACE_CAPTURE]      = { 0, 0, 0, OWN, 0, OWN },
	[AUTH_A_TRACE_READ]         = { ANY, 0, 0, OWN, ANY },
	/* Line. A line belongs to one enterprise; its
	 * specialists follow their enterprises' production, the park and
	 * auditors watch every line read-only. */
	[AUTH_A_LINE_READ]          = { ANY, ASG, 0, OWN, ANY },
	/* Desk. Specialists take phone calls for their
	 * enterprises, so they may raise requests; departments only see and
	 * act on what was transferred to them; which workflow action a caller
	 * may take is then decided by the state table in src/desk/flow.c. */
	[AUTH_A_DESK_REQUEST_READ]   = { ANY, ASG, DEP, OWN, ANY },
	[AUTH_A_DESK_REQUEST_CREATE] = { ANY, ASG, 0, OWN },
	[AUTH_A_DESK_REQUEST_ACT]    = { ANY, ASG, DEP, OWN },
	[AUTH_A_DESK_REPLACE_READ]   = { ANY, ASG, 0, OWN, ANY },
	[AUTH_A_DESK_REPLACE_REQUEST] = { ANY, 0, 0, OWN },
	[AUTH_A_DESK_REPLACE_ASSIGN] = { ANY },
	/* The leaderboard is the park's public measure of its specialists. */
	[AUTH_A_DESK_SCORES]         = { ANY, ANY, ANY, ANY, ANY },
	/* Green channel (全程代办): the enterprise's specialist runs the
	 * procedures on its behalf, so the park admin and the assigned
	 * specialist write; the enterprise follows its own projects; auditors
	 * read. */
	[AUTH_A_DESK_GREEN_READ]     = { ANY, ASG, 0, OWN, ANY },
	[AUTH_A_DESK_GREEN_WRITE]    = { ANY, ASG },
	/* KPI reports: the park and auditors see all, a specialist its own
	 * enterprises' requests, a department what was routed to it. */
	[AUTH_A_DESK_REPORT]              = { ANY, ASG, DEP, 0, ANY },
	[AUTH_A_DESK_SETTINGS]            = { ANY },
	[AUTH_A_DESK_NOTIFY_READ]         = { ANY, 0, 0, 0, ANY },
	/* Named queries and subscriptions run with their owner's visibility. */
	[AUTH_A_TRACE_SUBSCRIBE]          = { ANY, 0, 0, OWN, ANY },
	/* Gateways that cannot speak Sparkplug post batches with a line token. */
	[AUTH_A_LINE_INGEST]              = { ANY, 0, 0, 0, 0, OWN },
	[AUTH_A_LINE_ALARM_ACT]           = { ANY, ASG, 0, OWN },
	/* Park: indicators are the committee's view of the whole park and are
	 * aggregates; an enterprise reads and reports its own figures. */
	[AUTH_A_PARK_INDICATORS]          = { ANY, ANY, ANY, 0, ANY },
	[AUTH_A_PARK_DATA_READ]           = { ANY, ASG, 0, OWN, ANY },
	[AUTH_A_PARK_DATA_WRITE]          = { ANY, 0, 0, OWN },
	[AUTH_A_PARK_MATCH]               = { ANY, ASG, 0, OWN },
};

#undef ANY
#undef OWN
#undef ASG
#undef DEP

const char *auth_role_name(enum auth_role r)
{
	if ((unsigned)r >= AUTH_ROLE_COUNT)
		return "unknown";
	return auth__role_names[r];
}

int auth_role_parse(const char *s, enum auth_role *out)
{
	if (!s)
		return PL_EINVAL;
	for (int i = 0; i < AUTH_ROLE_COUNT; i++)
		if (!strcmp(s, auth__role_names[i])) {
			*out = (enum auth_role)i;
			return 0;
		}
	return PL_EINVAL;
}

const char *auth_action_name(enum auth_action a)
{
	if ((unsigned)a >= AUTH_A_COUNT)
		return "unknown";
	return auth__action_names[a];
}

int auth_action_parse(const char *s, enum auth_action *out)
{
	if (!s)
		return PL_EINVAL;
	for (int i = 0; i < AUTH_A_COUNT; i++)
		if (!strcmp(s, auth__action_names[i])) {
			*out = (enum auth_action)i;
			return 0;
		}
	return PL_EINVAL;
}

const char *auth_scope_name(enum auth_scope s)
{
	if ((unsigned)s > AUTH_SCOPE_DEPARTMENT)
		return "unknown";
	return auth__scope_names[s];
}

enum auth_scope auth_scope_of(enum auth_role r, enum auth_action a)
{
	if ((unsigned)r >= AUTH_ROLE_COUNT || (unsigned)a >= AUTH_A_COUNT)
		return AUTH_SCOPE_DENY;
	return auth__table[a][r];
}

static bool auth__nonempty(const char *s)
{
	return s && *s;
}

int auth_authorize(const struct auth_principal *p, enum auth_action a,
		   const struct auth_target *t)
{
	if ((unsigned)a >= AUTH_A_COUNT)
		return PL_EFORBIDDEN;
	if (a == AUTH_A_PUBLIC)
		return 0;
	if (!p)
		return PL_EAUTH;
	enum auth_scope sc = auth_scope_of(p->role, a);
	if (sc == AUTH_SCOPE_DENY)
		return PL_EFORBIDDEN;
	if (!t || sc == AUTH_SCOPE_ANY)
		return 0;
	switch (sc) {
	case AUTH_SCOPE_OWN:
		if (auth__nonempty(p->enterprise_id) && auth__nonempty(t->enterprise_id) &&
		    !strcmp(p->enterprise_id, t->enterprise_id))
			return 0;
		return PL_ENOTFOUND;
	case AUTH_SCOPE_ASSIGNED:
		if (auth__nonempty(t->enterprise_id) && t->assigned_to_caller)
			return 0;
		return PL_ENOTFOUND;
	case AUTH_SCOPE_DEPARTMENT:
		if (auth__nonempty(p->department) && auth__nonempty(t->department) &&
		    !strcmp(p->department, t->department))
			return 0;
		return PL_ENOTFOUND;
	case AUTH_SCOPE_DENY:
	case AUTH_SCOPE_ANY:
		break;
	}
	return PL_EINTERNAL; /* unreachable: every scope is handled above */
}

int auth_is_assigned(struct store_conn *c, const char *specialist_user_id,
		     const char *enterprise_id, bool *out)
{
	struct store_rows *r = NULL;
	int rc;

	*out = false;
	if (!auth__nonempty(specialist_user_id) || !auth__nonempty(enterprise_id))
		return 0;
	struct store_param p[] = { SP_TEXT(specialist_user_id), SP_TEXT(enterprise_id) };
	rc = store_query(c,
			 "SELECT 1 FROM assignments WHERE specialist_id = ? AND "
			 "enterprise_id = ? AND ended_at IS NULL",
			 p, STORE_NP(p), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	*out = rc == 1;
	rc = 0;
out:
	if (r)
		store_rows_free(r);
	return rc;
}

int auth_target_for(struct store_conn *c, const struct auth_principal *p,
		    const char *enterprise_id, struct auth_target *out)
{
	*out = (struct auth_target){ .enterprise_id = enterprise_id };
	if (p && p->role == AUTH_ROLE_SPECIALIST)
		return auth_is_assigned(c, p->user_id, enterprise_id, &out->assigned_to_caller);
	return 0;
}

int auth_tenant_filter(const struct auth_principal *p, enum auth_action a,
		       const char *column, struct pl_buf *sql,
		       struct store_param *params, size_t *np)
{
	if (!p)
		return a == AUTH_A_PUBLIC ? 0 : PL_EAUTH;
	switch (auth_scope_of(p->role, a)) {
	case AUTH_SCOPE_DENY:
		return PL_EFORBIDDEN;
	case AUTH_SCOPE_ANY:
		return 0;
	case AUTH_SCOPE_OWN:
		if (!auth__nonempty(p->enterprise_id))
			return pl_buf_puts(sql, " AND 1 = 0");
		params[(*np)++] = SP_TEXT(p->enterprise_id);
		return pl_buf_printf(sql, " AND %s = ?", column);
	case AUTH_SCOPE_ASSIGNED:
		params[(*np)++] = SP_TEXT(p->user_id);
		return pl_buf_printf(sql,
				     " AND %s IN (SELECT enterprise_id FROM assignments "
				     "WHERE specialist_id = ? AND ended_at IS NULL)",
				     column);
	case AUTH_SCOPE_DEPARTMENT:
		/* Enterprise-level rows are never routed to a department; the
		 * modules that route objects (desk) add their own condition. */
		return pl_buf_puts(sql, " AND 1 = 0");
	}
	return PL_EINTERNAL;
}

int auth_csrf_check(const struct auth_principal *p, const char *header)
{
	if (!p || !p->via_session)
		return 0;
	size_t n = strlen(p->csrf);
	if (!header || n == 0 || strlen(header) != n)
		return PL_EFORBIDDEN;
	return sodium_memcmp(p->csrf, header, n) == 0 ? 0 : PL_EFORBIDDEN;
}

static json_t *auth__str_or_null(const char *s)
{
	return auth__nonempty(s) ? json_string(s) : json_null();
}

json_t *auth_principal_json(const struct auth_principal *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", auth__str_or_null(p->user_id[0] ? p->user_id : p->token_id));
	json_object_set_new(o, "username", json_string(p->name));
	json_object_set_new(o, "display_name",
			    json_string(p->display_name[0] ? p->display_name : p->name));
	json_object_set_new(o, "role", json_string(auth_role_name(p->role)));
	json_object_set_new(o, "enterprise_id", auth__str_or_null(p->enterprise_id));
	json_object_set_new(o, "enterprise_name", auth__str_or_null(p->enterprise_name));
	json_object_set_new(o, "department", auth__str_or_null(p->department));
	if (p->token_id[0]) {
		json_object_set_new(o, "token_id", json_string(p->token_id));
		json_object_set_new(o, "line_id", auth__str_or_null(p->line_id));
	}
	return o;
}
