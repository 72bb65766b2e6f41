/*
 * green_repo.c - the green channel (绿色通道, 全程代办) on the store
 * (contract in repo.h). A specialist acts as the
 * enterprise's agent through a chain of approvals (立项备案, 用地规划许可,
 * 工程规划许可, 施工许可, 竣工验收 ...); each step's statutory limit is
 * recorded with the times it was accepted and decided, and every read
 * measures the chain with the pure desk_green_measure on the working
 * calendar, so the figures never go stale and there is one definition of
 * "days saved" (docs/desk.md section 8).
 *
 * Work limits: a list answers at most DESK_GREEN_LIST_MAX projects and
 * reads each one's steps (at most DESK_GREEN_STEPS_NEW_MAX) with one query
 * per project; a project is read with two queries.
 */
#include "desk/repo.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GP_COLS \
	"g.id, g.enterprise_id, e.name_zh AS enterprise_name, g.name, g.agent_id, " \
	"u.display_name AS agent_name, g.status, g.started_at"
#define GP_FROM \
	" FROM green_projects g LEFT JOIN enterprises e ON e.id = g.enterprise_id" \
	" LEFT JOIN users u ON u.id = g.agent_id"

static void green__err(struct desk_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void green__err(struct desk_err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static int green__db(struct desk_err *e, int rc, const char *what)
{
	green__err(e, "%s failed: %s", what, pl_strerror(rc));
	return rc;
}

static bool green__streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Whether p may do action on project row g: 0, PL_ENOTFOUND (invisible),
 * PL_EFORBIDDEN (the role never may), PL_EDB. NULL p: the system. */
static int green__allowed(struct store_conn *c, const struct auth_principal *p,
			  enum auth_action action, const json_t *g)
{
	const char *ent = pl_json_str(g, "enterprise_id");
	bool yes = false;
	int rc;

	if (!p)
		return 0;
	switch (auth_scope_of(p->role, action)) {
	case AUTH_SCOPE_ANY:
		return 0;
	case AUTH_SCOPE_OWN:
		return green__streq(ent, p->enterprise_id) ? 0 : PL_ENOTFOUND;
	case AUTH_SCOPE_ASSIGNED:
		if (green__streq(pl_json_str(g, "agent_id"), p->user_id))
			return 0;
		if ((rc = auth_is_assigned(c, p->user_id, ent, &yes)))
			return rc;
		return yes ? 0 : PL_ENOTFOUND;
	case AUTH_SCOPE_DENY:
	case AUTH_SCOPE_DEPARTMENT: /* projects are not routed to departments */
		break;
	}
	return PL_EFORBIDDEN;
}

static int64_t green__ms(const json_t *row, const char *key)
{
	int64_t ms;
	const char *s = pl_json_str(row, key);
	return s && pl_time_parse(s, &ms) == 0 ? ms : DESK_NEVER;
}

/* Measures project g (its "steps" array already attached) and adds the
 * project and per-step figures. A calendar that lacks a year the steps
 * span leaves the figures null rather than failing the read: the times
 * themselves are still worth showing. */
static void green__measure(const struct desk_svc *svc, json_t *g, int64_t now_ms)
{
	struct desk_green_step in[DESK_GREEN_STEPS_NEW_MAX];
	struct desk_green_step_result res[DESK_GREEN_STEPS_NEW_MAX];
	struct desk_green_summary sum;
	json_t *steps = json_object_get(g, "steps");
	size_t n = json_array_size(steps), i;
	json_t *s;
	int32_t statutory = 0;

	if (n > DESK_GREEN_STEPS_NEW_MAX)
		n = DESK_GREEN_STEPS_NEW_MAX; /* create refuses more: cannot happen */
	for (i = 0; i < n; i++) {
		s = json_array_get(steps, i);
		in[i].statutory_days = (int32_t)json_integer_value(json_object_get(s, "statutory_days"));
		in[i].promised_days = 0;
		in[i].accepted_at = green__ms(s, "started_at");
		in[i].decided_at = green__ms(s, "finished_at");
		statutory += in[i].statutory_days;
		json_object_set_new(s, "done", json_boolean(in[i].decided_at != DESK_NEVER));
	}
	json_object_set_new(g, "steps_total", json_integer((json_int_t)n));
	json_object_set_new(g, "statutory_days", json_integer(statutory));
	if (desk_green_measure(in, n, desk_svc_calendar(svc), now_ms, res, &sum) != 0) {
		size_t done = 0;
		for (i = 0; i < n; i++)
			done += in[i].decided_at != DESK_NEVER;
		json_object_set_new(g, "steps_done", json_integer((json_int_t)done));
		json_object_set_new(g, "actual_days", json_null());
		json_object_set_new(g, "days_saved", json_null());
		json_object_set_new(g, "elapsed_days", json_null());
		json_object_set_new(g, "elapsed_calendar_days", json_null());
		return;
	}
	json_array_foreach(steps, i, s) {
		if (i >= n)
			break;
		bool started = in[i].accepted_at != DESK_NEVER;
		json_object_set_new(s, "actual_days", started ? json_integer(res[i].actual_days)
							     : json_null());
		json_object_set_new(s, "saved_days", res[i].done ? json_integer(res[i].saved_days)
							       : json_null());
		json_object_set_new(s, "over_statutory", json_boolean(res[i].over_statutory));
	}
	json_object_set_new(g, "steps_done", json_integer((json_int_t)sum.done));
	json_object_set_new(g, "actual_days", json_integer(sum.actual_sum));
	json_object_set_new(g, "days_saved", json_integer(sum.saved_sum));
	json_object_set_new(g, "elapsed_days", sum.elapsed_days < 0 ? json_null()
					       : json_integer(sum.elapsed_days));
	json_object_set_new(g, "elapsed_calendar_days", sum.elapsed_days < 0 ? json_null()
							: json_integer(sum.elapsed_calendar_days));
}

static int green__steps(struct store_conn *c, const char *project_id, json_t **out)
{
	struct store_param p[] = { SP_TEXT(project_id) };
	return store_query_json(c, "SELECT seq, name, department, statutory_days, started_at, "
				"finished_at FROM green_steps WHERE project_id = ? ORDER BY seq",
				p, 1, DESK_GREEN_STEPS_NEW_MAX, out);
}

/* Project id with its steps, unmeasured; PL_ENOTFOUND when missing. */
static int green__load(struct store_conn *c, const char *id, json_t **out)
{
	json_t *steps = NULL;
	int rc;

	*out = NULL;
	if (!pl_id_valid(id))
		return PL_ENOTFOUND;
	struct store_param p[] = { SP_TEXT(id) };
	if ((rc = store_query_one(c, "SELECT " GP_COLS GP_FROM " WHERE g.id = ?", p, 1, out)))
		return rc;
	if ((rc = green__steps(c, id, &steps))) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	json_object_set_new(*out, "steps", steps);
	return 0;
}

int desk_green_list(const struct desk_svc *svc, struct store_conn *c,
		    const struct auth_principal *p, int64_t now_ms, json_t **out,
		    struct desk_err *err)
{
	struct store_param prm[2];
	size_t np = 0, i;
	const char *where = "";
	json_t *items = NULL, *total = NULL, *g, *steps;
	char sql[1024];
	json_int_t saved = 0;
	int rc = 0;

	*out = NULL;
	switch (auth_scope_of(p->role, AUTH_A_DESK_GREEN_READ)) {
	case AUTH_SCOPE_ANY:
		break;
	case AUTH_SCOPE_OWN:
		prm[np++] = SP_TEXT(p->enterprise_id);
		where = " WHERE g.enterprise_id = ?";
		break;
	case AUTH_SCOPE_ASSIGNED:
		prm[np++] = SP_TEXT(p->user_id);
		prm[np++] = SP_TEXT(p->user_id);
		where = " WHERE (g.agent_id = ? OR g.enterprise_id IN (SELECT enterprise_id FROM "
			"assignments WHERE specialist_id = ? AND ended_at IS NULL))";
		break;
	default:
		green__err(err, "you may not list green-channel projects");
		return PL_EFORBIDDEN;
	}
	pl_fmt(sql, sizeof(sql), "SELECT count(*) AS n FROM green_projects g%s", where);
	if ((rc = store_query_one(c, sql, prm, np, &total))) {
		green__db(err, rc, "counting projects");
		goto out;
	}
	pl_fmt(sql, sizeof(sql), "SELECT " GP_COLS GP_FROM "%s ORDER BY g.started_at DESC, "
	       "g.id DESC LIMIT %d", where, DESK_GREEN_LIST_MAX);
	if ((rc = store_query_json(c, sql, prm, np, DESK_GREEN_LIST_MAX, &items))) {
		green__db(err, rc, "listing projects");
		goto out;
	}
	json_array_foreach(items, i, g) {
		if ((rc = green__steps(c, pl_json_str(g, "id"), &steps))) {
			green__db(err, rc, "reading steps");
			goto out;
		}
		json_object_set_new(g, "steps", steps);
		green__measure(svc, g, now_ms);
		saved += json_integer_value(json_object_get(g, "days_saved"));
		json_object_del(g, "steps"); /* the list shows figures, _get the steps */
	}
	*out = json_pack("{s:O, s:O, s:{s:I, s:I}}", "items", items, "total",
			 json_object_get(total, "n"), "summary", "projects",
			 (json_int_t)json_array_size(items), "days_saved", saved);
out:
	json_decref(items);
	json_decref(total);
	return rc;
}

int desk_green_get(const struct desk_svc *svc, struct store_conn *c,
		   const struct auth_principal *p, const char *id, int64_t now_ms,
		   json_t **out, struct desk_err *err)
{
	json_t *g = NULL;
	int rc = green__load(c, id, &g);

	*out = NULL;
	if (rc == 0)
		rc = green__allowed(c, p, AUTH_A_DESK_GREEN_READ, g);
	if (rc == PL_ENOTFOUND || rc == PL_EFORBIDDEN) {
		green__err(err, "no green-channel project %.40s", id);
		rc = PL_ENOTFOUND;
	} else if (rc) {
		green__db(err, rc, "reading the project");
	}
	if (rc) {
		json_decref(g);
		return rc;
	}
	green__measure(svc, g, now_ms);
	*out = g;
	return 0;
}

/* A step's name or department: 1..DESK_GREEN_STEP_TEXT_MAX bytes, no
 * control characters, not blank. */
static bool green__text_ok(const char *s, size_t max)
{
	bool blank = true;
	if (!s || !*s || strlen(s) > max)
		return false;
	for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
		if (*q < 0x20 || *q == 0x7f)
			return false;
		blank &= *q == ' ';
	}
	return !blank;
}

static int green__audit(struct store_conn *c, const struct desk_actor *a, const char *action,
			const char *id, const char *ent, const json_t *before, const json_t *after)
{
	const struct auth_principal *p = a ? a->p : NULL;
	struct store_audit au = {
		.actor_id = !p ? "system" : p->user_id[0] ? p->user_id : p->token_id,
		.actor_name = !p ? "system" : p->name,
		.action = action, .entity = "green_project", .entity_id = id,
		.enterprise_id = ent, .before = before, .after = after,
		.request_id = a ? a->request_id : NULL, .ip = a ? a->ip : NULL,
	};
	return store_audit(c, &au);
}

int desk_green_create(const struct desk_svc *svc, struct store_conn *c,
		      const struct desk_actor *a, const char *enterprise_id, const char *name,
		      const json_t *steps, int64_t now_ms, json_t **out, struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	char id[PL_ID_LEN + 1], sid[PL_ID_LEN + 1], at[PL_TIME_STRLEN];
	char agent[PL_ID_LEN + 1] = "";
	struct auth_target t;
	json_t *row = NULL, *s;
	size_t i, n;
	int rc;

	*out = NULL;
	if (!enterprise_id || !*enterprise_id) {
		green__err(err, "field 'enterprise_id' is required");
		return PL_EINVAL;
	}
	if (!green__text_ok(name, DESK_GREEN_NAME_MAX)) {
		green__err(err, "field 'name' must be 1..%d bytes of text", DESK_GREEN_NAME_MAX);
		return PL_EINVAL;
	}
	n = json_array_size(steps);
	if (!json_is_array(steps) || n < 1 || n > DESK_GREEN_STEPS_NEW_MAX) {
		green__err(err, "field 'steps' must list 1..%d steps", DESK_GREEN_STEPS_NEW_MAX);
		return PL_EINVAL;
	}
	json_array_foreach(steps, i, s) {
		json_t *d = json_object_get(s, "statutory_days");
		if (!json_is_object(s) ||
		    !green__text_ok(pl_json_str(s, "name"), DESK_GREEN_STEP_TEXT_MAX) ||
		    !green__text_ok(pl_json_str(s, "department"), DESK_GREEN_STEP_TEXT_MAX)) {
			green__err(err, "steps[%zu]: 'name' and 'department' must be 1..%d bytes "
				   "of text", i, DESK_GREEN_STEP_TEXT_MAX);
			return PL_EINVAL;
		}
		if (!json_is_integer(d) || json_integer_value(d) < 1 ||
		    json_integer_value(d) > DESK_GREEN_DAYS_MAX) {
			green__err(err, "steps[%zu].statutory_days must be an integer 1..%d "
				   "(working days)", i, DESK_GREEN_DAYS_MAX);
			return PL_EINVAL;
		}
	}
	/* the enterprise: unknown and invisible answer alike (repo.h) */
	if (pl_id_valid(enterprise_id)) {
		struct store_param q[] = { SP_TEXT(enterprise_id) };
		rc = store_query_one(c, "SELECT id FROM enterprises WHERE id = ?", q, 1, &row);
		json_decref(row);
		row = NULL;
		if (rc && rc != PL_ENOTFOUND)
			return green__db(err, rc, "reading the enterprise");
		if (rc == 0) {
			if ((rc = auth_target_for(c, p, enterprise_id, &t)))
				return green__db(err, rc, "checking the assignment");
			rc = p ? auth_authorize(p, AUTH_A_DESK_GREEN_WRITE, &t) : 0;
			if (rc && rc != PL_ENOTFOUND) {
				green__err(err, "you may not open green-channel projects");
				return rc;
			}
		}
	} else {
		rc = PL_ENOTFOUND;
	}
	if (rc) {
		green__err(err, "field 'enterprise_id': no enterprise %.40s", enterprise_id);
		return PL_EINVAL;
	}
	/* the agent: the specialist acting, else the enterprise's own */
	if (p && p->role == AUTH_ROLE_SPECIALIST) {
		pl_strlcpy(agent, p->user_id, sizeof(agent));
	} else {
		struct store_param q[] = { SP_TEXT(enterprise_id) };
		rc = store_query_one(c, "SELECT specialist_id FROM assignments WHERE enterprise_id = ? "
				     "AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1", q, 1, &row);
		if (rc == 0 && pl_json_str(row, "specialist_id"))
			pl_strlcpy(agent, pl_json_str(row, "specialist_id"), sizeof(agent));
		json_decref(row);
		row = NULL;
		if (rc && rc != PL_ENOTFOUND)
			return green__db(err, rc, "reading the assignment");
	}
	pl_id_new(id);
	pl_time_format(now_ms, at);
	struct store_param gp[] = {
		SP_TEXT(id), SP_TEXT(enterprise_id), SP_TEXT(name),
		agent[0] ? SP_TEXT(agent) : SP_NULL, SP_TEXT(at),
	};
	if ((rc = store_exec(c, "INSERT INTO green_projects (id, enterprise_id, name, agent_id, "
			     "started_at, status) VALUES (?, ?, ?, ?, ?, 'running')", gp,
			     STORE_NP(gp), NULL)))
		return green__db(err, rc, "saving the project");
	json_array_foreach(steps, i, s) {
		pl_id_new(sid);
		struct store_param sp[] = {
			SP_TEXT(sid), SP_TEXT(id), SP_INT((int64_t)i + 1),
			SP_TEXT(pl_json_str(s, "name")), SP_TEXT(pl_json_str(s, "department")),
			SP_INT(json_integer_value(json_object_get(s, "statutory_days"))),
		};
		if ((rc = store_exec(c, "INSERT INTO green_steps (id, project_id, seq, name, "
				     "department, statutory_days) VALUES (?, ?, ?, ?, ?, ?)", sp,
				     STORE_NP(sp), NULL)))
			return green__db(err, rc, "saving a step");
	}
	if ((rc = green__load(c, id, &row)))
		return green__db(err, rc, "reading the project back");
	if ((rc = green__audit(c, a, "desk.green.create", id, enterprise_id, NULL, row))) {
		json_decref(row);
		return green__db(err, rc, "auditing");
	}
	green__measure(svc, row, now_ms);
	*out = row;
	return 0;
}

int desk_green_step_act(const struct desk_svc *svc, struct store_conn *c,
			const struct desk_actor *a, const char *id, int64_t seq,
			const char *action, int64_t at_ms, int64_t now_ms, json_t **out,
			struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	json_t *g = NULL, *after = NULL, *st, *s;
	bool start;
	char at[PL_TIME_STRLEN];
	size_t i;
	int rc;

	*out = NULL;
	if (green__streq(action, "start")) {
		start = true;
	} else if (green__streq(action, "finish")) {
		start = false;
	} else {
		green__err(err, "field 'action' must be 'start' or 'finish'");
		return PL_EINVAL;
	}
	if (at_ms == DESK_NEVER)
		at_ms = now_ms;
	if (at_ms > now_ms) {
		green__err(err, "field 'at' lies in the future");
		return PL_EINVAL;
	}
	rc = green__load(c, id, &g);
	if (rc == 0)
		rc = green__allowed(c, p, AUTH_A_DESK_GREEN_READ, g);
	if (rc == PL_ENOTFOUND || rc == PL_EFORBIDDEN) {
		green__err(err, "no green-channel project %.40s", id);
		rc = PL_ENOTFOUND;
		goto out;
	}
	if (rc) {
		green__db(err, rc, "reading the project");
		goto out;
	}
	if ((rc = green__allowed(c, p, AUTH_A_DESK_GREEN_WRITE, g))) {
		green__err(err, "only the park admin and the enterprise's specialist run its steps");
		rc = PL_EFORBIDDEN;
		goto out;
	}
	st = json_array_get(json_object_get(g, "steps"), (size_t)(seq - 1));
	if (seq < 1 || !st) {
		green__err(err, "the project has no step %lld", (long long)seq);
		rc = PL_ENOTFOUND;
		goto out;
	}
	bool started = pl_json_str(st, "started_at") != NULL;
	bool finished = pl_json_str(st, "finished_at") != NULL;
	if (start && started) {
		green__err(err, "step %lld was already started", (long long)seq);
		rc = PL_ECONFLICT;
		goto out;
	}
	if (!start && (!started || finished)) {
		green__err(err, "step %lld is %s; only a started step can finish", (long long)seq,
			   finished ? "finished" : "not started");
		rc = PL_ECONFLICT;
		goto out;
	}
	if (start) {
		json_array_foreach(json_object_get(g, "steps"), i, s) {
			if ((int64_t)i + 1 >= seq)
				break;
			if (!pl_json_str(s, "started_at")) {
				green__err(err, "step %zu (%.100s) has not started; steps start in "
					   "order", i + 1, pl_json_str(s, "name"));
				rc = PL_ECONFLICT;
				goto out;
			}
		}
	} else if (at_ms < green__ms(st, "started_at")) {
		green__err(err, "field 'at' lies before the step started");
		rc = PL_EINVAL;
		goto out;
	}
	pl_time_format(at_ms, at);
	struct store_param up[] = { SP_TEXT(at), SP_TEXT(pl_json_str(g, "id")), SP_INT(seq) };
	if ((rc = store_exec(c, start ? "UPDATE green_steps SET started_at = ? WHERE project_id = ? "
				       "AND seq = ? AND started_at IS NULL"
				     : "UPDATE green_steps SET finished_at = ? WHERE project_id = ? "
				       "AND seq = ? AND finished_at IS NULL",
			     up, STORE_NP(up), NULL))) {
		green__db(err, rc, "saving the step");
		goto out;
	}
	struct store_param dp[] = { SP_TEXT(pl_json_str(g, "id")) };
	if ((rc = store_exec(c, "UPDATE green_projects SET status = 'done' WHERE id = ? AND NOT "
			     "EXISTS (SELECT 1 FROM green_steps WHERE project_id = green_projects.id "
			     "AND finished_at IS NULL)", dp, 1, NULL))) {
		green__db(err, rc, "closing the project");
		goto out;
	}
	if ((rc = green__load(c, pl_json_str(g, "id"), &after))) {
		green__db(err, rc, "reading the project back");
		goto out;
	}
	if ((rc = green__audit(c, a, start ? "desk.green.start" : "desk.green.finish",
			       pl_json_str(g, "id"), pl_json_str(g, "enterprise_id"), g, after))) {
		green__db(err, rc, "auditing");
		goto out;
	}
	green__measure(svc, after, now_ms);
	*out = after;
	after = NULL;
out:
	json_decref(after);
	json_decref(g);
	return rc;
}

/* ------------------------------------------------------------------ demo */

/* The article's story: a plant whose procedures take about six months by
 * statute (132 working days) done in about a month by the agent running
 * the steps back to back. Times are calendar offsets from now. */
struct green__demo_step {
	const char *name, *department;
	int statutory_days;
	int start_d, finish_d;   /* days after the project opened; -1: not yet */
};
static const struct green__demo_step green__demo_done[] = {
	{ "立项备案", "发展和改革局", 20, 0, 3 },
	{ "用地规划许可", "规划和自然资源局", 20, 3, 7 },
	{ "工程规划许可", "规划和自然资源局", 20, 7, 11 },
	{ "环评审批", "生态环境局", 30, 11, 17 },
	{ "施工许可", "住房和城乡建设委员会", 15, 17, 21 },
	{ "消防设计审查", "住房和城乡建设委员会", 15, 21, 25 },
	{ "竣工验收备案", "住房和城乡建设委员会", 12, 25, 29 },
};
static const struct green__demo_step green__demo_running[] = {
	{ "立项备案", "发展和改革局", 20, 0, 2 },
	{ "工程规划许可", "规划和自然资源局", 20, 2, 5 },
	{ "施工许可", "住房和城乡建设委员会", 15, 5, -1 },
	{ "竣工验收备案", "住房和城乡建设委员会", 12, -1, -1 },
};

static int green__demo_project(const struct desk_svc *svc, struct store_conn *c,
			       const struct desk_actor *by, const char *ent, const char *name,
			       const struct green__demo_step *d, size_t n, int64_t opened,
			       struct desk_err *err)
{
	json_t *steps = json_array(), *out = NULL;
	char id[PL_ID_LEN + 1];
	int rc;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(steps, json_pack("{s:s, s:s, s:i}", "name", d[i].name,
						       "department", d[i].department,
						       "statutory_days", d[i].statutory_days));
	rc = desk_green_create(svc, c, by, ent, name, steps, opened, &out, err);
	json_decref(steps);
	if (rc)
		return rc;
	pl_strlcpy(id, pl_json_str(out, "id"), sizeof(id));
	json_decref(out);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			int off = k == 0 ? d[i].start_d : d[i].finish_d;
			if (off < 0)
				continue;
			int64_t at = opened + off * 86400000LL + (k == 0 ? 2 : 7) * 3600000LL;
			rc = desk_green_step_act(svc, c, by, id, (int64_t)i + 1,
						 k == 0 ? "start" : "finish", at, at, &out, err);
			if (rc)
				return rc;
			json_decref(out);
			out = NULL;
		}
	}
	return 0;
}

int desk_green_demo_seed(struct auth *au, const struct desk_svc *svc, FILE *print_to)
{
	struct auth_principal admin = { .role = AUTH_ROLE_PARK_ADMIN };
	struct store_conn *c = NULL;
	struct desk_err err = { .text = "" };
	json_t *u = NULL, *row = NULL;
	char ent[PL_ID_LEN + 1] = "";
	int64_t now = pl_time_now_ms();
	int rc;

	if ((rc = auth_user_get(au, "admin", &u)))
		return rc;
	pl_strlcpy(admin.user_id, pl_json_str(u, "id"), sizeof(admin.user_id));
	pl_strlcpy(admin.name, "admin", sizeof(admin.name));
	json_decref(u);
	if ((rc = auth_user_get(au, "ent1", &u)))
		return rc;
	if (pl_json_str(u, "enterprise_id"))
		pl_strlcpy(ent, pl_json_str(u, "enterprise_id"), sizeof(ent));
	json_decref(u);
	if ((rc = store_conn_get(auth_store(au), &c)))
		return rc;
	if ((rc = store_query_one(c, "SELECT count(*) AS n FROM green_projects", NULL, 0, &row)))
		goto out;
	if (json_integer_value(json_object_get(row, "n")) > 0)
		goto out; /* seeded before */
	if ((rc = store_begin(c)))
		goto out;
	struct desk_actor by = { .p = &admin };
	if ((rc = green__demo_project(svc, c, &by, ent, "新建厂房（一期）全程代办", green__demo_done,
				      sizeof(green__demo_done) / sizeof(green__demo_done[0]),
				      now - 60 * 86400000LL, &err)) ||
	    (rc = green__demo_project(svc, c, &by, ent, "二期扩建 全程代办", green__demo_running,
				      sizeof(green__demo_running) / sizeof(green__demo_running[0]),
				      now - 8 * 86400000LL, &err)))
		goto out;
	if ((rc = store_commit(c)))
		goto out;
	if (print_to)
		fprintf(print_to, "Green channel demo: 2 projects for enterprise 1 (one done in a "
			"month against 132 statutory working days)\n");
out:
	if (rc && store_in_tx(c))
		store_rollback(c);
	if (rc && print_to)
		fprintf(print_to, "green channel demo seed failed: %s (%s)\n", pl_strerror(rc),
			err.text);
	json_decref(row);
	store_conn_put(c);
	return rc;
}
