/*
 * repo.c - the service desk on the store (the
 * contract is repo.h). Requests, their history, ratings, replacements and
 * assignments live in the tables of migration 2 (src/store/migrations.c);
 * every decision is the pure core's (desk.h): which action a role may take
 * in which state (desk_transition), when a clock runs out (desk_sla_due),
 * the leaderboard (desk_score_board) and whom a replacement may not be
 * (desk_replacement_state / _check).
 *
 * NOTES ON THE DESIGN
 *  1. One transaction per call, owned by the caller: a function writes the
 *     row change, the history event and the audit row, and the caller
 *     commits all of it or nothing.
 *  2. A request's state is changed with "UPDATE ... WHERE id = ? AND
 *     state = ?": if another writer moved it first (PostgreSQL runs
 *     concurrent transactions), nothing is updated and the caller gets
 *     PL_ECONFLICT instead of a lost update. request_events has UNIQUE
 *     (request_id, seq), which catches the same race for the history.
 *  3. Times are RFC 3339 text (store.h), which sorts as time, so "overdue"
 *     is a string comparison against now.
 *  4. The caller's desk role on a request is derived per request: a
 *     specialist is DESK_ROLE_SPECIALIST only on requests dispatched to
 *     them, department staff only on what sits with their department, an
 *     enterprise user only on their enterprise's requests. Visibility is
 *     wider (a specialist sees every request of an assigned enterprise).
 *  5. A clock the calendar cannot compute (a year without a calendar file)
 *     leaves the due time NULL and logs nothing here: refusing the request
 *     would be worse than a request without a deadline; the calendar
 *     files are checked at start (desk_svc_new).
 */
#include "desk/repo_int.h"
#include "desk/notify.h"
#include "desk/report.h"

#include <errno.h>
#include <string.h>
#include <time.h>

struct desk_svc {
	struct desk_calendar cal;
	struct desk_sla_table sla;
	char *attach_dir;  /* owned; NULL: attachments are not configured */
};

#define REQ_COLS \
	"r.id, r.no, r.title, r.description, r.enterprise_id, e.name_zh AS enterprise_name, " \
	"r.category, r.urgency, r.channel, r.state, r.specialist_id, " \
	"u.display_name AS specialist_name, r.department, r.sign_due_at, r.contact_due_at, " \
	"r.due_at, r.dispatched_at, r.accepted_at, r.escalated_at, r.created_at, r.updated_at, " \
	"r.resolved_at, r.resolution, r.park_wide, r.reopened, r.returned"
#define REQ_FROM \
	" FROM requests r LEFT JOIN enterprises e ON e.id = r.enterprise_id" \
	" LEFT JOIN users u ON u.id = r.specialist_id"

static const char *const desk__channels[] = { "phone", "wechat", "sms", "web", "visit" };

static void desk__err(struct desk_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void desk__err(struct desk_err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

/* Records text for a store failure and passes the code on. */
static int desk__db(struct desk_err *e, int rc, const char *what)
{
	desk__err(e, "%s failed: %s", what, pl_strerror(rc));
	return rc;
}

static struct store_param sp_opt(const char *s)
{
	return s && *s ? SP_TEXT(s) : SP_NULL;
}

static bool nonempty(const char *s)
{
	return s && *s;
}

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ------------------------------------------------------------ service */

int desk_svc_new(const char *calendar_dir, const char *sla_file, struct desk_svc **out,
		 char *err, size_t errsz)
{
	struct desk_svc *s = pl_calloc(1, sizeof(*s));
	struct desk_cal_error ce = { .text = "" };
	char *text = NULL;
	int rc;

	*out = NULL;
	desk_calendar_init(&s->cal);
	desk_sla_defaults(&s->sla);
	rc = nonempty(calendar_dir) ? desk_calendar_load_dir(&s->cal, calendar_dir, &ce) : 0;
	if (rc) {
		snprintf(err, errsz, "calendar %s: %s", calendar_dir,
			 ce.text[0] ? ce.text : pl_strerror(rc));
		goto out;
	}
	if (nonempty(sla_file)) {
		FILE *f = fopen(sla_file, "rb");
		size_t n;
		if (!f) {
			snprintf(err, errsz, "cannot read SLA file %s", sla_file);
			rc = PL_EIO;
			goto out;
		}
		text = pl_malloc(DESK_SLA_FILE_MAX + 1);
		n = fread(text, 1, DESK_SLA_FILE_MAX + 1, f);
		fclose(f);
		rc = desk_sla_parse(&s->sla, text, n, sla_file, &ce);
		if (rc) {
			snprintf(err, errsz, "%s", ce.text[0] ? ce.text : pl_strerror(rc));
			goto out;
		}
	}
	*out = s;
	s = NULL;
out:
	free(text);
	desk_svc_free(s);
	return rc;
}

/* For green_repo.c, which measures approval steps on the
 * same calendar. */
const struct desk_calendar *desk_svc_calendar(const struct desk_svc *svc)
{
	return &svc->cal;
}

int desk_svc_set_attachments_dir(struct desk_svc *svc, const char *dir)
{
	if (!nonempty(dir))
		return PL_EINVAL;
	free(svc->attach_dir);
	svc->attach_dir = pl_strdup(dir);
	return 0;
}

const char *desk__attach_dir(const struct desk_svc *svc)
{
	return svc ? svc->attach_dir : NULL;
}

void desk_svc_free(struct desk_svc *s)
{
	if (!s)
		return;
	free(s->attach_dir);
	desk_calendar_release(&s->cal);
	free(s);
}

/* ------------------------------------------------------------ helpers */

static void desk__time(int64_t ms, char out[PL_TIME_STRLEN])
{
	pl_time_format(ms, out);
}

/* The SLA table in force: the service's base (defaults plus --sla-file)
 * overlaid with the cells the park admin stored (desk_sla, migration 12).
 * Read inside the caller's transaction, so a deadline is computed from the
 * table as it was when the transition committed, never a stale copy. */
static int desk__sla(const struct desk_svc *svc, struct store_conn *c, struct desk_sla_table *t)
{
	return desk_sla_load(c, &svc->sla, t);
}

const struct desk_sla_table *desk_svc_sla(const struct desk_svc *svc)
{
	return &svc->sla;
}

/* Due time of one SLA clock of table t started at start_ms into out, or ""
 * when the calendar cannot compute it (note 5). */
static void desk__due(const struct desk_svc *svc, const struct desk_sla_table *t,
		      const char *category, const char *urgency, enum desk_clock k,
		      int64_t start_ms, char out[PL_TIME_STRLEN])
{
	enum desk_category cat;
	enum desk_urgency urg;
	int64_t due;

	out[0] = '\0';
	if (desk_category_parse(category, &cat) || desk_urgency_parse(urgency, &urg))
		return;
	if (desk_sla_due(t, cat, urg, k, start_ms, &svc->cal, NULL, 0, &due) == 0 &&
	    due != DESK_NO_DUE)
		desk__time(due, out);
}

static void desk__actor_ids(const struct desk_actor *a, const char **id, const char **name)
{
	const struct auth_principal *p = a ? a->p : NULL;
	*id = !p ? "system" : p->user_id[0] ? p->user_id : p->token_id;
	*name = !p ? "system" : p->name;
}

int desk__audit(struct store_conn *c, const struct desk_actor *a, const char *action,
		       const char *entity, const char *entity_id, const char *enterprise_id,
		       const json_t *before, const json_t *after)
{
	struct store_audit au = { 0 };
	desk__actor_ids(a, &au.actor_id, &au.actor_name);
	au.action = action;
	au.entity = entity;
	au.entity_id = entity_id;
	au.enterprise_id = nonempty(enterprise_id) ? enterprise_id : NULL;
	au.before = before;
	au.after = after;
	au.request_id = a ? a->request_id : NULL;
	au.ip = a ? a->ip : NULL;
	return store_audit(c, &au);
}

/* The specialist currently assigned to enterprise_id into out ("" when
 * none). */
static int desk__current_specialist(struct store_conn *c, const char *enterprise_id,
				    char out[PL_ID_LEN + 1])
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(enterprise_id) };
	int rc;

	out[0] = '\0';
	rc = store_query(c, "SELECT specialist_id FROM assignments WHERE enterprise_id = ? "
			 "AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1", p, 1, &r);
	if (rc == 0 && (rc = store_rows_next(r)) == 1)
		pl_strlcpy(out, store_rows_text(r, 0), PL_ID_LEN + 1);
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* Appends one history event with the next sequence number. */
int desk__event(struct store_conn *c, const struct desk_actor *a, const char *req_id,
		       const char *at, const char *action, const char *from, const char *to,
		       const char *note)
{
	struct store_rows *r = NULL;
	const char *aid, *aname;
	char id[PL_ID_LEN + 1];
	int64_t seq = 1;
	int rc;

	struct store_param q[] = { SP_TEXT(req_id) };
	rc = store_query(c, "SELECT COALESCE(MAX(seq), 0) FROM request_events WHERE request_id = ?",
			 q, 1, &r);
	if (rc == 0 && (rc = store_rows_next(r)) == 1)
		seq = store_rows_int(r, 0) + 1;
	store_rows_free(r);
	if (rc < 0)
		return rc;
	desk__actor_ids(a, &aid, &aname);
	pl_id_new(id);
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(req_id), SP_INT(seq), SP_TEXT(at), SP_TEXT(aid),
		SP_TEXT(aname), SP_TEXT(action), sp_opt(from), SP_TEXT(to), sp_opt(note),
	};
	rc = store_exec(c, "INSERT INTO request_events (id, request_id, seq, at, actor_id, "
			"actor_name, action, from_state, to_state, note) VALUES "
			"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", p, STORE_NP(p), NULL);
	/* queue this event's notifications in the same transaction */
	return rc ? rc : desk_outbox_on_event(c, req_id, seq, action, at);
}

/* Loads request id with its joined names; PL_ENOTFOUND when missing. */
int desk__load(struct store_conn *c, const char *id, json_t **out)
{
	*out = NULL;
	if (!pl_id_valid(id))
		return PL_ENOTFOUND;
	struct store_param p[] = { SP_TEXT(id) };
	return store_query_one(c, "SELECT " REQ_COLS REQ_FROM " WHERE r.id = ?", p, 1, out);
}

/* Whether p may do action on request row req (note 4): 0, PL_ENOTFOUND
 * (not visible), PL_EFORBIDDEN (the role never may), PL_EDB. */
int desk__visible(struct store_conn *c, const struct auth_principal *p,
			 enum auth_action action, const json_t *req)
{
	const char *ent = pl_json_str(req, "enterprise_id");
	bool yes = false;
	int rc;

	if (!p)
		return 0;
	switch (auth_scope_of(p->role, action)) {
	case AUTH_SCOPE_DENY:
		return PL_EFORBIDDEN;
	case AUTH_SCOPE_ANY:
		return 0;
	case AUTH_SCOPE_OWN:
		if (streq(ent, p->enterprise_id))
			return 0;
		if (!ent && json_integer_value(json_object_get(req, "park_wide")) &&
		    nonempty(p->enterprise_id) && action == AUTH_A_DESK_REQUEST_READ) {
			/* 园区共性问题: linked enterprises read it, nothing more */
			json_t *l = NULL;
			struct store_param q[] = { SP_TEXT(pl_json_str(req, "id")),
						   SP_TEXT(p->enterprise_id) };
			rc = store_query_one(c, "SELECT request_id FROM request_links WHERE "
					     "request_id = ? AND enterprise_id = ?", q, 2, &l);
			json_decref(l);
			return rc;
		}
		return PL_ENOTFOUND;
	case AUTH_SCOPE_ASSIGNED:
		if (streq(pl_json_str(req, "specialist_id"), p->user_id))
			return 0;
		rc = auth_is_assigned(c, p->user_id, ent, &yes);
		if (rc)
			return rc;
		return yes ? 0 : PL_ENOTFOUND;
	case AUTH_SCOPE_DEPARTMENT:
		return streq(pl_json_str(req, "department"), p->department) ? 0 : PL_ENOTFOUND;
	}
	return PL_EINTERNAL;
}

/* The caller's desk role on req (note 4); false when it has none. */
static bool desk__role(const struct auth_principal *p, const json_t *req, enum desk_role *out)
{
	if (!p) {
		*out = DESK_ROLE_SYSTEM;
		return true;
	}
	switch (p->role) {
	case AUTH_ROLE_PARK_ADMIN:
		*out = DESK_ROLE_PARK_ADMIN;
		return true;
	case AUTH_ROLE_SPECIALIST:
		*out = DESK_ROLE_SPECIALIST;
		return nonempty(p->user_id) && streq(pl_json_str(req, "specialist_id"), p->user_id);
	case AUTH_ROLE_DEPARTMENT:
		*out = DESK_ROLE_DEPARTMENT;
		return nonempty(p->department) && streq(pl_json_str(req, "department"), p->department);
	case AUTH_ROLE_ENTERPRISE:
		*out = DESK_ROLE_ENTERPRISE;
		return nonempty(p->enterprise_id) &&
		       streq(pl_json_str(req, "enterprise_id"), p->enterprise_id);
	default:
		return false;
	}
}

/* A JSON array of the names of the actions in mask. */
static json_t *desk__action_names(unsigned mask)
{
	json_t *a = json_array();
	for (int i = 0; i < DESK_ACT_COUNT; i++)
		if (mask & (1u << i))
			json_array_append_new(a, json_string(desk_action_name((enum desk_action)i)));
	return a;
}

static bool desk__open_state(const char *state)
{
	/* waiting_enterprise: the clock is paused, nothing runs out */
	return state && strcmp(state, "resolved") && strcmp(state, "rated") &&
	       strcmp(state, "closed") && strcmp(state, "reopened") &&
	       strcmp(state, "waiting_enterprise");
}

/* Shapes a loaded row for the API: booleans, "overdue". */
static void desk__shape(json_t *req, const char *now)
{
	const char *due = pl_json_str(req, "due_at");
	if (!due)
		due = pl_json_str(req, "sign_due_at");
	json_object_set_new(req, "overdue", json_boolean(due && desk__open_state(
		pl_json_str(req, "state")) && strcmp(due, now) < 0));
	json_t *pw = json_object_get(req, "park_wide");
	json_object_set_new(req, "park_wide", json_boolean(json_integer_value(pw) != 0));
}

/* The full view of request id for p (desk_request_get's body). */
static int desk__view(struct store_conn *c, const struct auth_principal *p, const char *id,
		      int64_t now_ms, json_t **out)
{
	char now[PL_TIME_STRLEN];
	json_t *req = NULL, *hist = NULL, *rating = NULL, *ext = NULL, *pauses = NULL;
	enum desk_role role;
	enum desk_state st;
	int rc;

	*out = NULL;
	if ((rc = desk__load(c, id, &req)))
		return rc;
	struct store_param q[] = { SP_TEXT(id) };
	if ((rc = store_query_json(c, "SELECT seq, at, actor_id, actor_name, action, from_state, "
				   "to_state, note FROM request_events WHERE request_id = ? "
				   "ORDER BY seq LIMIT 1000", q, 1, 1000, &hist)))
		goto out;
	rc = store_query_one(c, "SELECT rating, comment, at, round, specialist_id FROM ratings "
			     "WHERE request_id = ? ORDER BY round DESC LIMIT 1", q, 1, &rating);
	if (rc && rc != PL_ENOTFOUND)
		goto out;
	if ((rc = store_query_json(c, "SELECT reason, old_due_at, new_due_at, state, requested_at, "
				   "decided_at, decision_note FROM request_extensions WHERE "
				   "request_id = ? ORDER BY requested_at LIMIT 100", q, 1, 100, &ext)) ||
	    (rc = store_query_json(c, "SELECT from_at, to_at, reason FROM request_pauses WHERE "
				   "request_id = ? ORDER BY from_at LIMIT 100", q, 1, 100, &pauses)))
		goto out;
	desk__time(now_ms, now);
	desk__shape(req, now);
	json_object_set_new(req, "extensions", ext);
	json_object_set_new(req, "pauses", pauses);
	ext = pauses = NULL;
	if (json_is_true(json_object_get(req, "park_wide"))) {
		/* the linked enterprises: their number for everyone, their
		 * names only for the park's side (an enterprise learns of no
		 * other enterprise) */
		json_t *links = NULL;
		if ((rc = store_query_json(c, "SELECT l.enterprise_id, e.name_zh AS enterprise_name "
					   "FROM request_links l JOIN enterprises e ON e.id = "
					   "l.enterprise_id WHERE l.request_id = ? ORDER BY e.name_zh, "
					   "l.enterprise_id", q, 1, DESK_PARK_WIDE_MAX, &links)))
			goto out;
		json_object_set_new(req, "linked_count", json_integer((json_int_t)json_array_size(links)));
		if (p && p->role == AUTH_ROLE_ENTERPRISE)
			json_decref(links);
		else
			json_object_set_new(req, "links", links);
	}
	json_object_set_new(req, "history", hist);
	hist = NULL;
	json_object_set_new(req, "rating", rating ? rating : json_null());
	rating = NULL;
	unsigned allowed = 0;
	if (desk_state_parse(pl_json_str(req, "state"), &st) == 0 && desk__role(p, req, &role))
		allowed = desk_actions_allowed(st, role);
	json_object_set_new(req, "allowed_actions", desk__action_names(allowed));
	*out = req;
	req = NULL;
out:
	json_decref(req);
	json_decref(hist);
	json_decref(rating);
	json_decref(ext);
	json_decref(pauses);
	return rc;
}

/* Resolves the enterprise a write names for caller p under action:
 * enterprise users get their own (and may not name another), everyone else
 * must name one they may see. out borrows from given or p. */
static int desk__enterprise_for(struct store_conn *c, const struct auth_principal *p,
				enum auth_action action, const char *given, const char **out,
				struct desk_err *err)
{
	struct auth_target t;
	json_t *row = NULL;
	int rc;

	*out = NULL;
	if (p && p->role == AUTH_ROLE_ENTERPRISE && !nonempty(given))
		given = p->enterprise_id;
	if (!nonempty(given)) {
		desk__err(err, "field 'enterprise_id' is required");
		return PL_EINVAL;
	}
	if (pl_id_valid(given)) {
		struct store_param q[] = { SP_TEXT(given) };
		rc = store_query_one(c, "SELECT id FROM enterprises WHERE id = ?", q, 1, &row);
		json_decref(row);
		if (rc && rc != PL_ENOTFOUND)
			return desk__db(err, rc, "reading the enterprise");
		if (rc == 0) {
			if ((rc = auth_target_for(c, p, given, &t)))
				return desk__db(err, rc, "checking the assignment");
			rc = p ? auth_authorize(p, action, &t) : 0;
			if (rc == 0) {
				*out = given;
				return 0;
			}
			if (rc != PL_ENOTFOUND) {
				desk__err(err, "you may not do %s", auth_action_name(action));
				return rc;
			}
		}
	}
	desk__err(err, "field 'enterprise_id': no enterprise %.40s", given);
	return PL_EINVAL;
}

/* -------------------------------------------------------------- create */

/* Next number for the Beijing day of now: GDYYYYMMDD-NNNN. */
static int desk__number(struct store_conn *c, int64_t now_ms, char out[32])
{
	struct store_rows *r = NULL;
	char prefix[20], like[24];
	int y, m, d, rc;
	int64_t next = 1;

	desk_day_to_ymd(desk_day_from_ms(now_ms), &y, &m, &d);
	pl_fmt(prefix, sizeof(prefix), "GD%04d%02d%02d-", y, m, d);
	pl_fmt(like, sizeof(like), "%s%%", prefix);
	struct store_param p[] = { SP_TEXT(like) };
	rc = store_query(c, "SELECT no FROM requests WHERE no LIKE ? ORDER BY length(no) DESC, "
			 "no DESC LIMIT 1", p, 1, &r);
	if (rc == 0 && (rc = store_rows_next(r)) == 1) {
		int64_t last;
		if (pl_parse_i64(store_rows_text(r, 0) + strlen(prefix), 0, INT32_MAX, &last) == 0)
			next = last + 1;
	}
	store_rows_free(r);
	if (rc < 0)
		return rc;
	snprintf(out, 32, "%s%04lld", prefix, (long long)next);
	return 0;
}

/* Dispatches request row req to specialist spec by actor a in desk role
 * role: state, clock, history. */
static int desk__dispatch(const struct desk_svc *svc, struct store_conn *c,
			  const struct desk_actor *a, enum desk_role role, const json_t *req,
			  const char *spec, int64_t now_ms, const char *note)
{
	const char *id = pl_json_str(req, "id"), *from = pl_json_str(req, "state");
	char now[PL_TIME_STRLEN], sign[PL_TIME_STRLEN];
	struct desk_sla_table t;
	enum desk_state s, next;
	int64_t changes = 0;
	int rc;

	if (desk_state_parse(from, &s))
		return PL_EINTERNAL;
	if ((rc = desk_transition(s, DESK_ACT_DISPATCH, role, &next, NULL)))
		return rc;
	if ((rc = desk__sla(svc, c, &t)))
		return rc;
	desk__time(now_ms, now);
	desk__due(svc, &t, pl_json_str(req, "category"), pl_json_str(req, "urgency"),
		  DESK_CLK_SIGN, now_ms, sign);
	struct store_param p[] = {
		SP_TEXT(desk_state_name(next)), SP_TEXT(spec), SP_TEXT(now), sp_opt(sign),
		SP_TEXT(now), SP_TEXT(id), SP_TEXT(from),
	};
	rc = store_exec(c, "UPDATE requests SET state = ?, specialist_id = ?, dispatched_at = ?, "
			"sign_due_at = ?, department = NULL, accepted_at = NULL, due_at = NULL, "
			"contact_due_at = NULL, updated_at = ? WHERE id = ? AND state = ?",
			p, STORE_NP(p), &changes);
	if (rc)
		return rc;
	if (changes != 1)
		return PL_ECONFLICT;
	return desk__event(c, a, id, now, "dispatch", from, desk_state_name(next), note);
}

static int desk__check_text(const char *field, const char *v, size_t max, bool required,
			    struct desk_err *err)
{
	if (!v) {
		if (!required)
			return 0;
		desk__err(err, "field '%s' is required", field);
		return PL_EINVAL;
	}
	if (!*v || strlen(v) > max) {
		desk__err(err, "field '%s' must be 1 to %zu bytes", field, max);
		return PL_EINVAL;
	}
	return 0;
}

static int desk__view(struct store_conn *c, const struct auth_principal *p, const char *id,
		      int64_t now_ms, json_t **out);

/* Checks the fields every request has: channel, category, urgency, title,
 * description. */
static int desk__check_new(const struct desk_request_new *in, struct desk_err *err)
{
	enum desk_category cat;
	enum desk_urgency urg;
	bool channel_ok = false;
	int rc;

	for (size_t i = 0; in->channel && i < sizeof(desk__channels) / sizeof(desk__channels[0]); i++)
		channel_ok |= !strcmp(in->channel, desk__channels[i]);
	if (!channel_ok) {
		desk__err(err, "field 'channel' must be one of phone, wechat, sms, web, visit");
		return PL_EINVAL;
	}
	if (desk_category_parse(in->category, &cat)) {
		desk__err(err, "field 'category' must be one of consult, help, complaint, "
			  "suggestion, utility");
		return PL_EINVAL;
	}
	if (desk_urgency_parse(in->urgency, &urg)) {
		desk__err(err, "field 'urgency' must be one of normal, urgent, critical");
		return PL_EINVAL;
	}
	if ((rc = desk__check_text("title", in->title, DESK_TITLE_MAX, true, err)) ||
	    (rc = desk__check_text("description", in->description, DESK_DESCRIPTION_MAX, true, err)))
		return rc;
	return 0;
}

int desk_request_create_park_wide(const struct desk_svc *svc, struct store_conn *c,
				  const struct desk_actor *a, const struct desk_request_new *in,
				  const json_t *enterprise_ids, const char *specialist_id,
				  int64_t now_ms, json_t **out, struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	const char *aid, *aname;
	char id[PL_ID_LEN + 1], no[32], now[PL_TIME_STRLEN];
	json_t *row = NULL, *after = NULL, *v;
	size_t n = json_array_size(enterprise_ids), i;
	int rc;

	*out = NULL;
	if (p && p->role != AUTH_ROLE_PARK_ADMIN) {
		desk__err(err, "park-wide requests (园区共性问题) are raised by the park admin");
		return PL_EFORBIDDEN;
	}
	if ((rc = desk__check_new(in, err)))
		return rc;
	if (nonempty(in->enterprise_id)) {
		desk__err(err, "field 'enterprise_id' is not used by a park-wide request; name the "
			  "enterprises in 'enterprise_ids'");
		return PL_EINVAL;
	}
	if (!json_is_array(enterprise_ids) || n < 2 || n > DESK_PARK_WIDE_MAX) {
		desk__err(err, "field 'enterprise_ids' must list 2 to %d enterprises",
			  DESK_PARK_WIDE_MAX);
		return PL_EINVAL;
	}
	json_array_foreach(enterprise_ids, i, v) {
		const char *e = json_string_value(v);
		if (!e || !pl_id_valid(e)) {
			desk__err(err, "field 'enterprise_ids[%zu]' is not an enterprise id", i);
			return PL_EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (streq(json_string_value(json_array_get(enterprise_ids, k)), e)) {
				desk__err(err, "field 'enterprise_ids[%zu]' repeats %s", i, e);
				return PL_EINVAL;
			}
		struct store_param q[] = { SP_TEXT(e) };
		rc = store_query_one(c, "SELECT id FROM enterprises WHERE id = ?", q, 1, &row);
		json_decref(row);
		row = NULL;
		if (rc == PL_ENOTFOUND) {
			desk__err(err, "field 'enterprise_ids[%zu]': no enterprise %.40s", i, e);
			return PL_EINVAL;
		}
		if (rc)
			return desk__db(err, rc, "reading the enterprises");
	}
	if (!nonempty(specialist_id)) {
		desk__err(err, "field 'specialist_id' is required for a park-wide request: who "
			  "handles it");
		return PL_EINVAL;
	}
	if (pl_id_valid(specialist_id)) {
		struct store_param q[] = { SP_TEXT(specialist_id) };
		rc = store_query_one(c, "SELECT id FROM users WHERE id = ? AND role = 'specialist' "
				     "AND disabled = 0", q, 1, &row);
		json_decref(row);
		row = NULL;
	} else {
		rc = PL_ENOTFOUND;
	}
	if (rc == PL_ENOTFOUND) {
		desk__err(err, "field 'specialist_id': no active specialist %.40s", specialist_id);
		return PL_EINVAL;
	}
	if (rc)
		return desk__db(err, rc, "reading the specialist");
	if ((rc = desk__number(c, now_ms, no)))
		return desk__db(err, rc, "numbering the request");
	pl_id_new(id);
	desk__time(now_ms, now);
	desk__actor_ids(a, &aid, &aname);
	struct store_param ip[] = {
		SP_TEXT(id), SP_TEXT(no), SP_TEXT(in->title), SP_TEXT(in->description),
		SP_TEXT(in->channel), SP_TEXT(in->category), SP_TEXT(in->urgency),
		SP_TEXT(desk_state_name(DESK_ST_RECEIVED)), SP_TEXT(aid), SP_TEXT(now), SP_TEXT(now),
	};
	rc = store_exec(c, "INSERT INTO requests (id, no, park_wide, title, description, channel, "
			"category, urgency, state, created_by, created_at, updated_at) VALUES "
			"(?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ip, STORE_NP(ip), NULL);
	if (rc == PL_EEXIST) {
		desk__err(err, "another request took number %s at the same moment; retry", no);
		return PL_EBUSY;
	}
	if (rc || (rc = desk__event(c, a, id, now, "create", NULL, "received", NULL)))
		return desk__db(err, rc, "recording the request");
	json_array_foreach(enterprise_ids, i, v) {
		struct store_param lp[] = { SP_TEXT(id), SP_TEXT(json_string_value(v)) };
		if ((rc = store_exec(c, "INSERT INTO request_links (request_id, enterprise_id) "
				     "VALUES (?, ?)", lp, 2, NULL)))
			return desk__db(err, rc, "linking the enterprises");
	}
	if ((rc = desk__load(c, id, &row)) ||
	    (rc = desk__dispatch(svc, c, a, p ? DESK_ROLE_PARK_ADMIN : DESK_ROLE_SYSTEM, row,
				 specialist_id, now_ms, "park-wide")) ||
	    (rc = desk__view(c, p, id, now_ms, &after)) ||
	    (rc = desk__audit(c, a, "desk.request.create", "request", id, NULL, NULL, after)))
		goto out;
	*out = after;
	after = NULL;
out:
	if (rc)
		desk__db(err, rc, "recording the request");
	json_decref(row);
	json_decref(after);
	return rc;
}

int desk_request_create(const struct desk_svc *svc, struct store_conn *c,
			const struct desk_actor *a, const struct desk_request_new *in,
			int64_t now_ms, json_t **out, struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	enum desk_category cat;
	enum desk_urgency urg;
	const char *ent = NULL, *aid, *aname;
	char id[PL_ID_LEN + 1], no[32], now[PL_TIME_STRLEN], spec[PL_ID_LEN + 1];
	json_t *row = NULL, *after = NULL;
	bool channel_ok = false;
	int rc;

	*out = NULL;
	for (size_t i = 0; in->channel && i < sizeof(desk__channels) / sizeof(desk__channels[0]); i++)
		channel_ok |= !strcmp(in->channel, desk__channels[i]);
	if (!channel_ok) {
		desk__err(err, "field 'channel' must be one of phone, wechat, sms, web, visit");
		return PL_EINVAL;
	}
	if (desk_category_parse(in->category, &cat)) {
		desk__err(err, "field 'category' must be one of consult, help, complaint, "
			  "suggestion, utility");
		return PL_EINVAL;
	}
	if (desk_urgency_parse(in->urgency, &urg)) {
		desk__err(err, "field 'urgency' must be one of normal, urgent, critical");
		return PL_EINVAL;
	}
	if ((rc = desk__check_text("title", in->title, DESK_TITLE_MAX, true, err)) ||
	    (rc = desk__check_text("description", in->description, DESK_DESCRIPTION_MAX, true, err)))
		return rc;
	if ((rc = desk__enterprise_for(c, p, AUTH_A_DESK_REQUEST_CREATE, in->enterprise_id, &ent,
				       err)))
		return rc;
	if ((rc = desk__number(c, now_ms, no)))
		return desk__db(err, rc, "numbering the request");
	pl_id_new(id);
	desk__time(now_ms, now);
	desk__actor_ids(a, &aid, &aname);
	struct store_param ip[] = {
		SP_TEXT(id), SP_TEXT(no), SP_TEXT(ent), SP_TEXT(in->title), SP_TEXT(in->description),
		SP_TEXT(in->channel), SP_TEXT(desk_category_name(cat)), SP_TEXT(desk_urgency_name(urg)),
		SP_TEXT(desk_state_name(DESK_ST_RECEIVED)), SP_TEXT(aid), SP_TEXT(now), SP_TEXT(now),
	};
	rc = store_exec(c, "INSERT INTO requests (id, no, enterprise_id, title, description, channel, "
			"category, urgency, state, created_by, created_at, updated_at) VALUES "
			"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ip, STORE_NP(ip), NULL);
	if (rc == PL_EEXIST) {
		desk__err(err, "another request took number %s at the same moment; retry", no);
		return PL_EBUSY;
	}
	if (rc || (rc = desk__event(c, a, id, now, "create", NULL, "received", NULL)) ||
	    (rc = desk__current_specialist(c, ent, spec)))
		return desk__db(err, rc, "recording the request");
	if (spec[0]) {
		if ((rc = desk__load(c, id, &row)) ||
		    (rc = desk__dispatch(svc, c, NULL, DESK_ROLE_SYSTEM, row, spec, now_ms,
					    "auto-dispatch")))
			goto out;
	}
	if ((rc = desk__view(c, p, id, now_ms, &after)) ||
	    (rc = desk__audit(c, a, "desk.request.create", "request", id, ent, NULL, after)))
		goto out;
	*out = after;
	after = NULL;
out:
	if (rc)
		desk__db(err, rc, "recording the request");
	json_decref(row);
	json_decref(after);
	return rc;
}

/* ---------------------------------------------------------------- read */

static char *desk__like(const char *q)
{
	struct pl_buf b;
	pl_buf_init(&b, 1024);
	pl_buf_puts(&b, "%");
	for (const char *s = q; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			pl_buf_puts(&b, "\\");
		if (pl_buf_append(&b, s, 1))
			break;
	}
	pl_buf_puts(&b, "%");
	return pl_buf_steal(&b);
}

/* The tenancy condition for p reading requests (note 4), as one or two
 * disjoint branches whose union is what p may see. A scope that is an OR of
 * two index-friendly conditions (a specialist: the requests it holds, or of
 * the enterprises assigned to it; an enterprise: its own, or park-wide ones
 * linked to it) is split, and the second branch excludes the first's rows.
 * An OR kept in one WHERE stops both engines from reading an index in
 * created_at order (SQLite ORs two index scans and sorts every candidate,
 * PostgreSQL scans the table), which made a specialist's first page cost
 * ~100 ms at a million requests; each branch alone is an index range. */
struct desk__branch {
	const char *cond;             /* " AND ..." over alias r */
	struct store_param prm[2];
	size_t np;
};

static int desk__list_scope(const struct auth_principal *p, struct desk__branch b[2],
			    size_t *nb)
{
	memset(b, 0, 2 * sizeof(*b));
	*nb = 1;
	b[0].cond = "";
	switch (auth_scope_of(p->role, AUTH_A_DESK_REQUEST_READ)) {
	case AUTH_SCOPE_DENY:
		return PL_EFORBIDDEN;
	case AUTH_SCOPE_ANY:
		return 0;
	case AUTH_SCOPE_OWN:
		*nb = 2;
		b[0].cond = " AND r.enterprise_id = ?";
		b[0].prm[b[0].np++] = SP_TEXT(p->enterprise_id);
		b[1].cond = " AND r.id IN (SELECT request_id FROM request_links WHERE "
			    "enterprise_id = ?) AND (r.enterprise_id IS NULL OR r.enterprise_id <> ?)";
		b[1].prm[b[1].np++] = SP_TEXT(p->enterprise_id);
		b[1].prm[b[1].np++] = SP_TEXT(p->enterprise_id);
		return 0;
	case AUTH_SCOPE_ASSIGNED:
		*nb = 2;
		b[0].cond = " AND r.specialist_id = ?";
		b[0].prm[b[0].np++] = SP_TEXT(p->user_id);
		b[1].cond = " AND r.enterprise_id IN (SELECT enterprise_id FROM assignments WHERE "
			    "specialist_id = ? AND ended_at IS NULL) AND (r.specialist_id IS NULL OR "
			    "r.specialist_id <> ?)";
		b[1].prm[b[1].np++] = SP_TEXT(p->user_id);
		b[1].prm[b[1].np++] = SP_TEXT(p->user_id);
		return 0;
	case AUTH_SCOPE_DEPARTMENT:
		b[0].cond = " AND r.department = ?";
		b[0].prm[b[0].np++] = SP_TEXT(p->department);
		return 0;
	}
	return PL_EINTERNAL;
}

/* Appends, for each branch i < nb, its parameters then the filter's f[0..nf)
 * to prm (the order the SQL names them in). */
static size_t desk__list_params(const struct desk__branch *b, size_t nb,
				const struct store_param *f, size_t nf, struct store_param *prm)
{
	size_t n = 0;
	for (size_t i = 0; i < nb; i++) {
		for (size_t j = 0; j < b[i].np; j++)
			prm[n++] = b[i].prm[j];
		for (size_t j = 0; j < nf; j++)
			prm[n++] = f[j];
	}
	return n;
}

int desk_request_list(struct store_conn *c, const struct auth_principal *p,
		      const struct desk_list_query *q, int64_t now_ms, json_t **out,
		      struct desk_err *err)
{
	struct desk__branch b[2];
	struct store_param f[4], prm[2 * (2 + 4)];
	size_t nb = 0, nf = 0, np;
	struct pl_buf w, s;
	enum desk_state st;
	char now[PL_TIME_STRLEN], *like = NULL, *sql = NULL;
	json_t *items = NULL, *total = NULL;
	int rc;

	*out = NULL;
	pl_buf_init(&w, 2048);
	pl_buf_init(&s, 8192);
	if ((rc = desk__list_scope(p, b, &nb))) {
		desk__err(err, "you may not list requests");
		goto out;
	}
	if (q->state) {
		if (desk_state_parse(q->state, &st)) {
			desk__err(err, "query parameter 'state': unknown state '%.40s'", q->state);
			rc = PL_EINVAL;
			goto out;
		}
		f[nf++] = SP_TEXT(desk_state_name(st));
		pl_buf_puts(&w, " AND r.state = ?");
	}
	if (q->enterprise_id) {
		if (!pl_id_valid(q->enterprise_id)) {
			desk__err(err, "query parameter 'enterprise_id' is not an id");
			rc = PL_EINVAL;
			goto out;
		}
		f[nf++] = SP_TEXT(q->enterprise_id);
		pl_buf_puts(&w, " AND r.enterprise_id = ?");
	}
	if (nonempty(q->q)) {
		like = desk__like(q->q);
		f[nf++] = SP_TEXT(like);
		f[nf++] = SP_TEXT(like);
		pl_buf_puts(&w, " AND (lower(r.title) LIKE lower(?) ESCAPE '\\' OR "
			    "r.no LIKE upper(?) ESCAPE '\\')");
	}
	np = desk__list_params(b, nb, f, nf, prm);
	const char *fw = w.data ? w.data : ""; /* NULL until the first filter */
	if (nb == 1)
		pl_buf_printf(&s, "SELECT count(*) AS n FROM requests r WHERE 1 = 1%s%s", b[0].cond,
			      fw);
	else
		pl_buf_printf(&s, "SELECT (SELECT count(*) FROM requests r WHERE 1 = 1%s%s) + "
			      "(SELECT count(*) FROM requests r WHERE 1 = 1%s%s) AS n", b[0].cond,
			      fw, b[1].cond, fw);
	sql = pl_buf_steal(&s);
	if ((rc = store_query_one(c, sql, prm, np, &total))) {
		desk__db(err, rc, "counting requests");
		goto out;
	}
	free(sql);
	if (nb == 1)
		pl_buf_printf(&s, "SELECT " REQ_COLS REQ_FROM " WHERE 1 = 1%s%s ORDER BY "
			      "r.created_at DESC, r.id DESC LIMIT %lld OFFSET %lld", b[0].cond,
			      fw, (long long)q->limit, (long long)q->offset);
	else {
		/* Each branch's first offset+limit rows in page order; the page
		 * is the top of their union. The first branch walks its index
		 * in created_at order. The second is usually a handful of rows
		 * (requests of my enterprises that someone else holds), but
		 * PostgreSQL cannot know that and would walk requests_created_idx
		 * over the whole table looking for them (2.6 s at a million);
		 * ordering it by the expression created_at || '' (the same
		 * order: created_at is fixed-width text) leaves no index that
		 * gives the order, so both engines read migration 14's covering
		 * index per assigned enterprise and sort what passes. */
		long long k = (long long)(q->limit + q->offset);
		pl_buf_printf(&s, "SELECT " REQ_COLS REQ_FROM " JOIN (SELECT id FROM (SELECT r.id "
			      "FROM requests r WHERE 1 = 1%s%s ORDER BY r.created_at DESC, r.id DESC "
			      "LIMIT %lld) k1 UNION ALL SELECT id FROM (SELECT r.id FROM requests r "
			      "WHERE 1 = 1%s%s ORDER BY r.created_at || '' DESC, r.id DESC LIMIT %lld) "
			      "k2) k "
			      "ON k.id = r.id ORDER BY r.created_at DESC, r.id DESC LIMIT %lld "
			      "OFFSET %lld", b[0].cond, fw, k, b[1].cond, fw, k,
			      (long long)q->limit, (long long)q->offset);
	}
	sql = pl_buf_steal(&s);
	if ((rc = store_query_json(c, sql, prm, np, DESK_LIST_MAX, &items))) {
		desk__db(err, rc, "listing requests");
		goto out;
	}
	desk__time(now_ms, now);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		json_object_del(it, "description");
		json_object_del(it, "resolution");
		desk__shape(it, now);
	}
	*out = json_pack("{s:o, s:O}", "items", items, "total", json_object_get(total, "n"));
	items = NULL;
out:
	json_decref(items);
	json_decref(total);
	free(sql);
	free(like);
	pl_buf_release(&w);
	pl_buf_release(&s);
	return rc;
}

int desk_request_get(struct store_conn *c, const struct auth_principal *p,
		     const char *id, int64_t now_ms, json_t **out, struct desk_err *err)
{
	json_t *req = NULL;
	int rc = desk__load(c, id, &req);

	*out = NULL;
	if (rc == 0)
		rc = desk__visible(c, p, AUTH_A_DESK_REQUEST_READ, req);
	json_decref(req);
	if (rc == PL_ENOTFOUND || rc == PL_EFORBIDDEN) {
		desk__err(err, "no request %.40s", id);
		return PL_ENOTFOUND;
	}
	if (rc || (rc = desk__view(c, p, id, now_ms, out)))
		return desk__db(err, rc, "reading the request");
	return 0;
}

/* ---------------------------------------------------------------- act */

/* Maps the body's action (and rating) to a desk action. */
static int desk__parse_action(const struct desk_action_in *in, enum desk_action *out,
			      struct desk_err *err)
{
	if (streq(in->action, "rate")) {
		if (streq(in->rating, "satisfied"))
			*out = DESK_ACT_RATE_SATISFIED;
		else if (streq(in->rating, "basic") || streq(in->rating, "basically_satisfied"))
			*out = DESK_ACT_RATE_BASIC;
		else if (streq(in->rating, "unsatisfied"))
			*out = DESK_ACT_RATE_UNSATISFIED;
		else {
			desk__err(err, "field 'rating' must be satisfied, basic (basically_satisfied) "
				  "or unsatisfied");
			return PL_EINVAL;
		}
		return 0;
	}
	if (!in->action || desk_action_parse(in->action, out)) {
		desk__err(err, "field 'action': unknown action '%.40s'; actions: dispatch, accept, "
			  "start, transfer, return, request_extension, approve_extension, "
			  "reject_extension, escalate, resolve, rate, close, withdraw, "
			  "await_enterprise, supplement",
			  in->action ? in->action : "");
		return PL_EINVAL;
	}
	return 0;
}

/* The text the action carries, and the field it came from. */
static const char *desk__text_for(enum desk_action act, const struct desk_action_in *in,
				  const char **field)
{
	switch (act) {
	case DESK_ACT_RESOLVE:
		*field = "resolution";
		return in->resolution ? in->resolution : in->note;
	case DESK_ACT_RATE_SATISFIED:
	case DESK_ACT_RATE_BASIC:
	case DESK_ACT_RATE_UNSATISFIED:
		*field = "comment";
		return in->comment ? in->comment : in->note;
	default:
		*field = "note";
		return in->note;
	}
}

/* 延期 (repo.h): records an application, or decides the pending one. For
 * approve_extension due gets the deadline to set. Errors with err set:
 * PL_EINVAL (due_at missing, not a time, not after the current deadline),
 * PL_ECONFLICT (the deadline has passed), PL_EDB. */
static int desk__extension(struct store_conn *c, const struct desk_actor *a,
			   const json_t *req, enum desk_action act, const char *due_at,
			   const char *note, int64_t now_ms, char due[PL_TIME_STRLEN],
			   struct desk_err *err)
{
	const char *id = pl_json_str(req, "id"), *cur = pl_json_str(req, "due_at");
	const char *aid, *aname;
	char now[PL_TIME_STRLEN], xid[PL_ID_LEN + 1];
	int64_t want, cur_ms = 0;
	json_t *x = NULL;
	int rc;

	desk__time(now_ms, now);
	desk__actor_ids(a, &aid, &aname);
	if (cur && pl_time_parse(cur, &cur_ms))
		cur = NULL;
	if (act == DESK_ACT_REQUEST_EXTENSION) {
		if (cur && now_ms > cur_ms) {
			desk__err(err, "the deadline passed at %s; 延期 must be asked for before the "
				  "deadline", cur);
			return PL_ECONFLICT;
		}
		if (!nonempty(due_at) || pl_time_parse(due_at, &want)) {
			desk__err(err, "field 'due_at' is required for request_extension: the new "
				  "deadline as an RFC 3339 time");
			return PL_EINVAL;
		}
		if (want <= now_ms || (cur && want <= cur_ms)) {
			desk__err(err, "field 'due_at' must be later than the current deadline%s%s",
				  cur ? " " : "", cur ? cur : "");
			return PL_EINVAL;
		}
		desk__time(want, due);
		pl_id_new(xid);
		struct store_param p[] = {
			SP_TEXT(xid), SP_TEXT(id), SP_TEXT(note), sp_opt(cur), SP_TEXT(due),
			SP_TEXT(aid), SP_TEXT(now),
		};
		if ((rc = store_exec(c, "INSERT INTO request_extensions (id, request_id, reason, "
				     "old_due_at, new_due_at, state, requested_by, requested_at) VALUES "
				     "(?, ?, ?, ?, ?, 'pending', ?, ?)", p, STORE_NP(p), NULL)))
			return desk__db(err, rc, "recording the extension");
		return 0;
	}
	struct store_param q[] = { SP_TEXT(id) };
	rc = store_query_one(c, "SELECT id, new_due_at FROM request_extensions WHERE request_id = ? "
			     "AND state = 'pending' ORDER BY requested_at DESC LIMIT 1", q, 1, &x);
	if (rc == PL_ENOTFOUND) {
		/* a request put in 延期 before applications were recorded: the
		 * deadline stays (reject) or is left as it is (approve) */
		pl_strlcpy(due, cur ? cur : "", PL_TIME_STRLEN);
		return 0;
	}
	if (rc)
		return desk__db(err, rc, "reading the extension");
	pl_strlcpy(due, pl_json_str(x, "new_due_at"), PL_TIME_STRLEN);
	struct store_param u[] = {
		SP_TEXT(act == DESK_ACT_APPROVE_EXTENSION ? "approved" : "rejected"), SP_TEXT(aid),
		SP_TEXT(now), sp_opt(note), SP_TEXT(pl_json_str(x, "id")),
	};
	rc = store_exec(c, "UPDATE request_extensions SET state = ?, decided_by = ?, decided_at = ?, "
			"decision_note = ? WHERE id = ? AND state = 'pending'", u, STORE_NP(u), NULL);
	json_decref(x);
	return rc ? desk__db(err, rc, "deciding the extension") : 0;
}

/* 补充材料 / 补正 (repo.h): opens a pause, or closes the open one and puts
 * the moved deadline in due (unchanged when there is none or the calendar
 * cannot move it). */
static int desk__pause(const struct desk_svc *svc, struct store_conn *c, const json_t *req,
		       enum desk_action act, const char *note, int64_t now_ms,
		       char due[PL_TIME_STRLEN], struct desk_err *err)
{
	const char *id = pl_json_str(req, "id"), *cur = pl_json_str(req, "due_at");
	char now[PL_TIME_STRLEN], pid[PL_ID_LEN + 1];
	enum desk_category cat;
	enum desk_urgency urg;
	int64_t from_ms, cur_ms, moved;
	struct desk_sla_table t;
	json_t *pz = NULL;
	int rc;

	desk__time(now_ms, now);
	pl_strlcpy(due, cur ? cur : "", PL_TIME_STRLEN);
	if (act == DESK_ACT_AWAIT) {
		pl_id_new(pid);
		struct store_param p[] = { SP_TEXT(pid), SP_TEXT(id), SP_TEXT(now), SP_TEXT(note) };
		rc = store_exec(c, "INSERT INTO request_pauses (id, request_id, from_at, reason) "
				"VALUES (?, ?, ?, ?)", p, STORE_NP(p), NULL);
		return rc ? desk__db(err, rc, "pausing the clock") : 0;
	}
	struct store_param q[] = { SP_TEXT(id) };
	rc = store_query_one(c, "SELECT id, from_at FROM request_pauses WHERE request_id = ? AND "
			     "to_at IS NULL ORDER BY from_at DESC LIMIT 1", q, 1, &pz);
	if (rc == PL_ENOTFOUND)
		return 0; /* nothing paused: the deadline stays */
	if (rc)
		return desk__db(err, rc, "reading the pause");
	if (pl_time_parse(pl_json_str(pz, "from_at"), &from_ms))
		from_ms = now_ms;
	struct store_param u[] = { SP_TEXT(now), SP_TEXT(pl_json_str(pz, "id")) };
	struct store_param w[] = { SP_INT(now_ms > from_ms ? now_ms - from_ms : 0), SP_TEXT(id) };
	if ((rc = store_exec(c, "UPDATE request_pauses SET to_at = ? WHERE id = ?", u,
			     STORE_NP(u), NULL)) ||
	    (rc = store_exec(c, "UPDATE requests SET paused_ms = paused_ms + ? WHERE id = ?", w,
			     STORE_NP(w), NULL))) {
		json_decref(pz);
		return desk__db(err, rc, "ending the pause");
	}
	json_decref(pz);
	/* The resolve clock's unit decides how the paused span counts. */
	if ((rc = desk__sla(svc, c, &t)))
		return desk__db(err, rc, "reading the SLA table");
	if (cur && pl_time_parse(cur, &cur_ms) == 0 &&
	    desk_category_parse(pl_json_str(req, "category"), &cat) == 0 &&
	    desk_urgency_parse(pl_json_str(req, "urgency"), &urg) == 0 &&
	    desk_due_after_pause(&svc->cal, t.cell[cat][urg][DESK_CLK_RESOLVE].unit,
				 cur_ms, from_ms, now_ms, &moved) == 0)
		desk__time(moved, due);
	return 0;
}

int desk_request_act(const struct desk_svc *svc, struct store_conn *c,
		     const struct desk_actor *a, const char *id,
		     const struct desk_action_in *in, int64_t now_ms, json_t **out,
		     struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	char now[PL_TIME_STRLEN], due[PL_TIME_STRLEN], contact[PL_TIME_STRLEN];
	char spec[PL_ID_LEN + 1], audit_action[64];
	struct desk_flow_error fe = { .text = "" };
	const char *text, *field;
	enum desk_action act;
	enum desk_state st, next;
	enum desk_role role;
	json_t *before = NULL, *after = NULL;
	int rc;

	*out = NULL;
	if (err) {
		err->allowed = 0;
		err->state[0] = '\0';
	}
	if ((rc = desk__parse_action(in, &act, err)))
		return rc;
	rc = desk__load(c, id, &before);
	if (rc == 0)
		rc = desk__visible(c, p, AUTH_A_DESK_REQUEST_ACT, before);
	if (rc == PL_ENOTFOUND) {
		desk__err(err, "no request %.40s", id);
		goto out;
	}
	if (rc == PL_EFORBIDDEN) {
		desk__err(err, "you may not act on requests");
		goto out;
	}
	if (rc) {
		desk__db(err, rc, "reading the request");
		goto out;
	}
	if (desk_state_parse(pl_json_str(before, "state"), &st)) {
		rc = PL_EINTERNAL;
		desk__err(err, "the request has an unknown state");
		goto out;
	}
	if (!desk__role(p, before, &role)) {
		/* No role on this request: the state's answer comes first, so a
		 * caller learns the same as anyone would about an illegal action. */
		if (desk_actions_allowed(st, DESK_ROLE_COUNT) & (1u << act)) {
			desk__err(err, "only the request's own specialist, department or enterprise "
				  "may %s this request", desk_action_name(act));
			rc = PL_EFORBIDDEN;
			goto out;
		}
		role = DESK_ROLE_PARK_ADMIN; /* any role: the state refuses first */
	}
	rc = desk_transition(st, act, role, &next, &fe);
	if (rc) {
		desk__err(err, "%s", fe.text);
		if (rc == PL_ECONFLICT && err) {
			err->allowed = fe.allowed;
			pl_strlcpy(err->state, desk_state_name(st), sizeof(err->state));
		}
		goto out;
	}
	text = desk__text_for(act, in, &field);
	if (desk_action_needs_text(act) && !nonempty(text)) {
		desk__err(err, "field '%s' is required for %s", field, desk_action_name(act));
		rc = PL_EINVAL;
		goto out;
	}
	if (text && strlen(text) > DESK_NOTE_MAX) {
		desk__err(err, "field '%s' is longer than %d bytes", field, DESK_NOTE_MAX);
		rc = PL_EINVAL;
		goto out;
	}

	desk__time(now_ms, now);
	const char *req_ent = pl_json_str(before, "enterprise_id");
	const char *cat = pl_json_str(before, "category"), *urg = pl_json_str(before, "urgency");
	const char *from = desk_state_name(st), *to = desk_state_name(next);
	struct store_param sp[4];
	const char *set = "";
	size_t n = 0;

	switch (act) {
	case DESK_ACT_DISPATCH:
		if ((rc = desk__current_specialist(c, req_ent, spec)))
			goto db;
		if (!spec[0]) {
			desk__err(err, "the enterprise has no specialist assigned; assign one first");
			rc = PL_ECONFLICT;
			goto out;
		}
		if ((rc = desk__dispatch(svc, c, a, role, before, spec, now_ms, text)))
			goto db;
		goto audit;
	case DESK_ACT_ACCEPT: {
		struct desk_sla_table t;
		if ((rc = desk__sla(svc, c, &t)))
			goto db;
		desk__due(svc, &t, cat, urg, DESK_CLK_CONTACT, now_ms, contact);
		desk__due(svc, &t, cat, urg, DESK_CLK_RESOLVE, now_ms, due);
		set = ", accepted_at = ?, contact_due_at = ?, due_at = ?";
		sp[n++] = SP_TEXT(now);
		sp[n++] = sp_opt(contact);
		sp[n++] = sp_opt(due);
		break;
	}
	case DESK_ACT_TRANSFER: {
		json_t *d = NULL;
		struct store_param dq[] = { SP_TEXT(in->department ? in->department : "") };
		rc = store_query_one(c, "SELECT id FROM departments WHERE id = ?", dq, 1, &d);
		json_decref(d);
		if (rc == PL_ENOTFOUND) {
			desk__err(err, "field 'department': %s; departments: construction, transport, "
				  "energy, tax, market, hr", in->department ? "no such department"
				  : "required for transfer");
			rc = PL_EINVAL;
			goto out;
		}
		if (rc)
			goto db;
		set = ", department = ?";
		sp[n++] = SP_TEXT(in->department);
		break;
	}
	case DESK_ACT_RETURN:
		set = ", department = NULL, returned = returned + 1";
		break;
	case DESK_ACT_REQUEST_EXTENSION:
	case DESK_ACT_APPROVE_EXTENSION:
	case DESK_ACT_REJECT_EXTENSION:
		if ((rc = desk__extension(c, a, before, act, in->due_at, text, now_ms, due, err)))
			goto out;
		if (act == DESK_ACT_APPROVE_EXTENSION) {
			set = ", due_at = ?";
			sp[n++] = sp_opt(due);
		}
		break;
	case DESK_ACT_AWAIT:
	case DESK_ACT_SUPPLEMENT:
		if ((rc = desk__pause(svc, c, before, act, text, now_ms, due, err)))
			goto out;
		if (act == DESK_ACT_SUPPLEMENT) {
			set = ", due_at = ?";
			sp[n++] = sp_opt(due);
		}
		break;
	case DESK_ACT_ESCALATE:
		set = ", escalated_at = ?";
		sp[n++] = SP_TEXT(now);
		break;
	case DESK_ACT_RESOLVE:
		set = ", resolved_at = ?, resolution = ?";
		sp[n++] = SP_TEXT(now);
		sp[n++] = SP_TEXT(text);
		break;
	case DESK_ACT_RATE_SATISFIED:
	case DESK_ACT_RATE_BASIC:
	case DESK_ACT_RATE_UNSATISFIED: {
		static const char *const grade[] = {
			[DESK_ACT_RATE_SATISFIED] = "satisfied",
			[DESK_ACT_RATE_BASIC] = "basic",
			[DESK_ACT_RATE_UNSATISFIED] = "unsatisfied",
		};
		char rid[PL_ID_LEN + 1];
		pl_id_new(rid);
		struct store_param rp[] = {
			SP_TEXT(rid), SP_TEXT(id),
			SP_INT(json_integer_value(json_object_get(before, "reopened"))),
			SP_TEXT(req_ent), sp_opt(pl_json_str(before, "specialist_id")),
			SP_TEXT(grade[act]), sp_opt(text), SP_TEXT(now),
		};
		rc = store_exec(c, "INSERT INTO ratings (id, request_id, round, enterprise_id, "
				"specialist_id, rating, comment, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				rp, STORE_NP(rp), NULL);
		if (rc == PL_EEXIST) {
			desk__err(err, "this request has already been rated");
			rc = PL_ECONFLICT;
			goto out;
		}
		if (rc)
			goto db;
		if (act == DESK_ACT_RATE_UNSATISFIED)
			set = ", reopened = reopened + 1";
		break;
	}
	default:
		break;
	}
	{
		struct pl_buf sql;
		int64_t changes = 0;
		struct store_param up[8];
		size_t un = 0;
		up[un++] = SP_TEXT(to);
		up[un++] = SP_TEXT(now);
		for (size_t i = 0; i < n; i++)
			up[un++] = sp[i];
		up[un++] = SP_TEXT(id);
		up[un++] = SP_TEXT(from);
		pl_buf_init(&sql, 1024);
		pl_buf_printf(&sql, "UPDATE requests SET state = ?, updated_at = ?%s WHERE id = ? "
			      "AND state = ?", set);
		rc = store_exec(c, sql.data, up, un, &changes);
		pl_buf_release(&sql);
		if (rc)
			goto db;
		if (changes != 1) {
			desk__err(err, "the request changed while this action was taken; reload it");
			rc = PL_ECONFLICT;
			goto out;
		}
		if ((rc = desk__event(c, a, id, now, desk_action_name(act), from, to,
				      act == DESK_ACT_TRANSFER ? in->department : text)))
			goto db;
	}
audit:
	if ((rc = desk__view(c, p, id, now_ms, &after)))
		goto db;
	pl_fmt(audit_action, sizeof(audit_action), "desk.request.%s", desk_action_name(act));
	if ((rc = desk__audit(c, a, audit_action, "request", id, req_ent, before, after)))
		goto db;
	*out = after;
	after = NULL;
	goto out;
db:
	if (rc == PL_ECONFLICT)
		desk__err(err, "the request changed while this action was taken; reload it");
	else
		desk__db(err, rc, "updating the request");
out:
	json_decref(before);
	json_decref(after);
	return rc;
}

/* -------------------------------------------------------------- scores */

#define DESK_SCORE_ROWS_MAX 200000

int desk_scores(struct store_conn *c, int64_t days, int64_t now_ms, json_t **out,
		struct desk_err *err)
{
	char from[PL_TIME_STRLEN], to[PL_TIME_STRLEN];
	int64_t from_ms = now_ms - days * 86400000;
	struct desk_rating *rt = NULL;
	struct desk_board_row *rows = NULL, *rel = NULL;
	size_t nrows = 0, nrel = 0, n;
	json_t *data = NULL, *items = NULL;
	int rc;

	*out = NULL;
	if (days < 1 || days > 3650) {
		desk__err(err, "query parameter 'days' must be 1 to 3650");
		return PL_EINVAL;
	}
	desk__time(from_ms, from);
	desk__time(now_ms, to);
	struct store_param p[] = { SP_TEXT(from), SP_TEXT(to) };
	rc = store_query_json(c, "SELECT x.enterprise_id, x.specialist_id, x.at, x.rating, "
			      "u.display_name AS name FROM ratings x JOIN users u ON u.id = "
			      "x.specialist_id WHERE x.at >= ? AND x.at < ? LIMIT 200001",
			      p, 2, DESK_SCORE_ROWS_MAX, &data);
	if (rc)
		return desk__db(err, rc, "reading ratings");
	n = json_array_size(data);
	rt = pl_calloc(n ? n : 1, sizeof(*rt));
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(data, i);
		const char *g = pl_json_str(o, "rating");
		rt[i].enterprise_id = pl_json_str(o, "enterprise_id");
		rt[i].specialist_id = pl_json_str(o, "specialist_id");
		if (pl_time_parse(pl_json_str(o, "at"), &rt[i].at_ms))
			rt[i].at_ms = from_ms;
		rt[i].grade = streq(g, "satisfied") ? DESK_GRADE_SATISFIED
			      : streq(g, "basic") ? DESK_GRADE_BASIC : DESK_GRADE_UNSATISFIED;
	}
	rc = desk_score_board(rt, n, from_ms, now_ms + 1, false, &rows, &nrows, &rel, &nrel);
	if (rc) {
		desk__err(err, "computing the leaderboard failed: %s", pl_strerror(rc));
		goto out;
	}
	items = json_array();
	for (size_t i = 0; i < nrows; i++) {
		const char *name = "";
		for (size_t j = 0; j < n; j++)
			if (streq(rt[j].specialist_id, rows[i].specialist_id)) {
				name = pl_json_str(json_array_get(data, j), "name");
				break;
			}
		const struct desk_score *s = &rows[i].score;
		json_array_append_new(items, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o}",
			"specialist_id", rows[i].specialist_id, "name", name ? name : "",
			"rated", (json_int_t)s->rated, "satisfied", (json_int_t)s->satisfied,
			"basic", (json_int_t)s->basic, "unsatisfied", (json_int_t)s->unsatisfied,
			"share", s->share_bp < 0 ? json_null() : json_real(s->share_bp / 10000.0)));
	}
	*out = json_pack("{s:I, s:s, s:s, s:o}", "days", (json_int_t)days, "from", from,
			 "to", to, "items", items);
out:
	free(rows);
	free(rel);
	free(rt);
	json_decref(data);
	return rc;
}

/* -------------------------------------------------------- replacements */

/* The replacement rule's state for ent at now (desk_replacement_state),
 * with its inputs kept in *hold (the strings are borrowed from there). */
static int desk__rule(struct store_conn *c, const char *ent, int64_t now_ms,
		      struct desk_replacement *st, json_t **hold, struct desk_err *err)
{
	json_t *as = NULL, *rs = NULL;
	struct desk_assignment *av = NULL;
	struct desk_rating *rv = NULL;
	size_t na, nr;
	int rc;

	*hold = NULL;
	struct store_param p[] = { SP_TEXT(ent) };
	if ((rc = store_query_json(c, "SELECT specialist_id, started_at, ended_at FROM assignments "
				   "WHERE enterprise_id = ? ORDER BY started_at LIMIT 10001",
				   p, 1, 10000, &as)) ||
	    (rc = store_query_json(c, "SELECT specialist_id, at, rating FROM ratings WHERE "
				   "enterprise_id = ? AND specialist_id IS NOT NULL ORDER BY at "
				   "LIMIT 100001", p, 1, 100000, &rs))) {
		desk__db(err, rc, "reading the assignment history");
		goto out;
	}
	na = json_array_size(as);
	nr = json_array_size(rs);
	av = pl_calloc(na ? na : 1, sizeof(*av));
	rv = pl_calloc(nr ? nr : 1, sizeof(*rv));
	for (size_t i = 0; i < na; i++) {
		json_t *o = json_array_get(as, i);
		av[i].enterprise_id = ent;
		av[i].specialist_id = pl_json_str(o, "specialist_id");
		av[i].to_ms = DESK_OPEN;
		if (pl_time_parse(pl_json_str(o, "started_at"), &av[i].from_ms) ||
		    (pl_json_str(o, "ended_at") &&
		     pl_time_parse(pl_json_str(o, "ended_at"), &av[i].to_ms))) {
			rc = PL_EINTERNAL;
			desk__err(err, "an assignment of this enterprise has a bad time");
			goto out;
		}
	}
	for (size_t i = 0; i < nr; i++) {
		json_t *o = json_array_get(rs, i);
		const char *g = pl_json_str(o, "rating");
		rv[i].enterprise_id = ent;
		rv[i].specialist_id = pl_json_str(o, "specialist_id");
		pl_time_parse(pl_json_str(o, "at"), &rv[i].at_ms);
		rv[i].grade = streq(g, "satisfied") ? DESK_GRADE_SATISFIED
			      : streq(g, "basic") ? DESK_GRADE_BASIC : DESK_GRADE_UNSATISFIED;
	}
	rc = desk_replacement_state(av, na, rv, nr, ent, now_ms, st);
	if (rc)
		desk__err(err, "the assignment history is inconsistent: %s", pl_strerror(rc));
out:
	free(av);
	free(rv);
	if (rc) {
		json_decref(as);
		json_decref(rs);
	} else {
		*hold = json_pack("[o, o]", as, rs);
	}
	return rc;
}

static int desk__replacement_load(struct store_conn *c, const char *id, json_t **out)
{
	*out = NULL;
	if (!pl_id_valid(id))
		return PL_ENOTFOUND;
	struct store_param p[] = { SP_TEXT(id) };
	return store_query_one(c, "SELECT x.id, x.enterprise_id, e.name_zh AS enterprise_name, "
			       "x.requested_by, x.reason, x.state, x.due_at, x.old_specialist_id, "
			       "x.new_specialist_id, x.created_at, x.done_at FROM replacements x "
			       "JOIN enterprises e ON e.id = x.enterprise_id WHERE x.id = ?",
			       p, 1, out);
}

int desk_replacement_create(const struct desk_svc *svc, struct store_conn *c,
			    const struct desk_actor *a, const char *enterprise_id,
			    const char *reason, int64_t now_ms, json_t **out,
			    struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	struct desk_replacement st;
	struct desk_duration three = { DESK_UNIT_WORKDAYS, 3 };
	char id[PL_ID_LEN + 1], now[PL_TIME_STRLEN], due[PL_TIME_STRLEN];
	const char *ent, *aid, *aname;
	json_t *hold = NULL, *pend = NULL, *after = NULL;
	int64_t due_ms;
	int rc;

	*out = NULL;
	if ((rc = desk__check_text("reason", reason, DESK_NOTE_MAX, true, err)) ||
	    (rc = desk__enterprise_for(c, p, AUTH_A_DESK_REPLACE_REQUEST, enterprise_id, &ent, err)) ||
	    (rc = desk__rule(c, ent, now_ms, &st, &hold, err)))
		goto out;
	if (!st.may_request) {
		desk__err(err, "a new specialist can be asked for only after rating the current "
			  "specialist's work unsatisfied (不满意)");
		rc = PL_ECONFLICT;
		goto out;
	}
	struct store_param q[] = { SP_TEXT(ent) };
	rc = store_query_one(c, "SELECT id FROM replacements WHERE enterprise_id = ? AND "
			     "state = 'pending' LIMIT 1", q, 1, &pend);
	if (rc == 0) {
		desk__err(err, "a replacement request for this enterprise is already pending (%s)",
			  pl_json_str(pend, "id"));
		rc = PL_ECONFLICT;
		goto out;
	}
	if (rc != PL_ENOTFOUND) {
		desk__db(err, rc, "reading replacements");
		goto out;
	}
	if (desk_deadline_add(now_ms, three, &svc->cal, NULL, 0, &due_ms))
		due_ms = now_ms + 3 * 86400000LL; /* no calendar for the year: plain days */
	pl_id_new(id);
	desk__time(now_ms, now);
	desk__time(due_ms, due);
	desk__actor_ids(a, &aid, &aname);
	struct store_param ip[] = {
		SP_TEXT(id), SP_TEXT(ent), SP_TEXT(aid), SP_TEXT(reason), SP_TEXT(due),
		sp_opt(st.current), SP_TEXT(now),
	};
	if ((rc = store_exec(c, "INSERT INTO replacements (id, enterprise_id, requested_by, reason, "
			     "state, due_at, old_specialist_id, created_at) VALUES "
			     "(?, ?, ?, ?, 'pending', ?, ?, ?)", ip, STORE_NP(ip), NULL)) ||
	    (rc = desk__replacement_load(c, id, &after)) ||
	    (rc = desk__audit(c, a, "desk.replacement.create", "replacement", id, ent, NULL, after))) {
		desk__db(err, rc, "recording the replacement request");
		goto out;
	}
	*out = after;
	after = NULL;
out:
	json_decref(hold);
	json_decref(pend);
	json_decref(after);
	return rc;
}

int desk_replacement_list(struct store_conn *c, const struct auth_principal *p,
			  json_t **out, struct desk_err *err)
{
	struct store_param prm[2];
	size_t np = 0;
	struct pl_buf w;
	json_t *items = NULL;
	char *sql = NULL;
	int rc;

	*out = NULL;
	pl_buf_init(&w, 4096);
	pl_buf_puts(&w, " WHERE 1 = 1");
	if ((rc = auth_tenant_filter(p, AUTH_A_DESK_REPLACE_READ, "x.enterprise_id", &w, prm, &np))) {
		desk__err(err, "you may not read replacement requests");
		goto out;
	}
	struct pl_buf s;
	pl_buf_init(&s, 8192);
	pl_buf_printf(&s, "SELECT x.id, x.enterprise_id, e.name_zh AS enterprise_name, "
		      "x.requested_by, x.reason, x.state, x.due_at, x.old_specialist_id, "
		      "uo.display_name AS old_specialist_name, x.new_specialist_id, "
		      "un.display_name AS new_specialist_name, x.created_at, x.done_at "
		      "FROM replacements x JOIN enterprises e ON e.id = x.enterprise_id "
		      "LEFT JOIN users uo ON uo.id = x.old_specialist_id "
		      "LEFT JOIN users un ON un.id = x.new_specialist_id%s "
		      "ORDER BY x.state DESC, x.created_at LIMIT %d", w.data, DESK_LIST_MAX);
	sql = pl_buf_steal(&s);
	if ((rc = store_query_json(c, sql, prm, np, DESK_LIST_MAX, &items))) {
		desk__db(err, rc, "listing replacements");
		goto out;
	}
	*out = json_pack("{s:O, s:I}", "items", items, "total", (json_int_t)json_array_size(items));
out:
	json_decref(items);
	free(sql);
	pl_buf_release(&w);
	return rc;
}

/* Checks that id is an active specialist. */
static int desk__is_specialist(struct store_conn *c, const char *id, struct desk_err *err)
{
	json_t *u = NULL;
	int rc = PL_ENOTFOUND;

	if (pl_id_valid(id)) {
		struct store_param p[] = { SP_TEXT(id) };
		rc = store_query_one(c, "SELECT id FROM users WHERE id = ? AND role = 'specialist' "
				     "AND disabled = 0", p, 1, &u);
		json_decref(u);
	}
	if (rc == PL_ENOTFOUND) {
		desk__err(err, "field 'specialist_id': no active specialist %.40s", id ? id : "");
		return PL_EINVAL;
	}
	return rc ? desk__db(err, rc, "reading the specialist") : 0;
}

/* Ends ent's current assignment and opens one to spec, then re-dispatches
 * the enterprise's requests that wait for a specialist. */
static int desk__reassign(const struct desk_svc *svc, struct store_conn *c,
			  const struct desk_actor *a, const char *ent, const char *spec,
			  const char *reason, int64_t now_ms, struct desk_err *err)
{
	char id[PL_ID_LEN + 1], now[PL_TIME_STRLEN];
	json_t *waiting = NULL, *after = NULL;
	int rc;

	desk__time(now_ms, now);
	pl_id_new(id);
	struct store_param e[] = { SP_TEXT(now), SP_TEXT(reason), SP_TEXT(ent) };
	struct store_param n[] = { SP_TEXT(id), SP_TEXT(ent), SP_TEXT(spec), SP_TEXT(now),
				   SP_TEXT(reason) };
	struct store_param w[] = { SP_TEXT(ent) };
	if ((rc = store_exec(c, "UPDATE assignments SET ended_at = ?, end_reason = ? WHERE "
			     "enterprise_id = ? AND ended_at IS NULL", e, STORE_NP(e), NULL)) ||
	    (rc = store_exec(c, "INSERT INTO assignments (id, enterprise_id, specialist_id, "
			     "started_at, reason) VALUES (?, ?, ?, ?, ?)", n, STORE_NP(n), NULL)))
		goto out;
	after = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "enterprise_id", ent,
			  "specialist_id", spec, "started_at", now, "reason", reason);
	if ((rc = desk__audit(c, a, "assignment.create", "assignment", id, ent, NULL, after)) ||
	    (rc = store_query_json(c, "SELECT " REQ_COLS REQ_FROM " WHERE r.enterprise_id = ? AND "
				   "r.state IN ('received', 'reopened') LIMIT 1001", w, 1, 1000,
				   &waiting)))
		goto out;
	size_t i;
	json_t *rq;
	json_array_foreach(waiting, i, rq) {
		if ((rc = desk__dispatch(svc, c, a, DESK_ROLE_SYSTEM, rq, spec, now_ms,
					 "new specialist")))
			goto out;
	}
out:
	if (rc)
		desk__db(err, rc, "changing the assignment");
	json_decref(waiting);
	json_decref(after);
	return rc;
}

int desk_replacement_assign(const struct desk_svc *svc, struct store_conn *c,
			    const struct desk_actor *a, const char *id,
			    const char *specialist_id, int64_t now_ms, json_t **out,
			    struct desk_err *err)
{
	struct desk_replacement st;
	char now[PL_TIME_STRLEN], why[200], reason[300];
	json_t *before = NULL, *after = NULL, *hold = NULL;
	const char *ent;
	int rc;

	*out = NULL;
	rc = desk__replacement_load(c, id, &before);
	if (rc == PL_ENOTFOUND) {
		desk__err(err, "no replacement request %.40s", id);
		goto out;
	}
	if (rc) {
		desk__db(err, rc, "reading the replacement request");
		goto out;
	}
	if (!streq(pl_json_str(before, "state"), "pending")) {
		desk__err(err, "replacement request %s is already done", id);
		rc = PL_ECONFLICT;
		goto out;
	}
	ent = pl_json_str(before, "enterprise_id");
	if ((rc = desk__is_specialist(c, specialist_id, err)) ||
	    (rc = desk__rule(c, ent, now_ms, &st, &hold, err)))
		goto out;
	if ((rc = desk_replacement_check(&st, specialist_id, why, sizeof(why)))) {
		desk__err(err, "%s", why);
		goto out;
	}
	snprintf(reason, sizeof(reason), "replacement %s: %s", id, pl_json_str(before, "reason"));
	if ((rc = desk__reassign(svc, c, a, ent, specialist_id, reason, now_ms, err)))
		goto out;
	desk__time(now_ms, now);
	struct store_param u[] = { SP_TEXT(specialist_id), SP_TEXT(now), SP_TEXT(id) };
	if ((rc = store_exec(c, "UPDATE replacements SET state = 'done', new_specialist_id = ?, "
			     "done_at = ? WHERE id = ? AND state = 'pending'", u, STORE_NP(u), NULL)) ||
	    (rc = desk__replacement_load(c, id, &after)) ||
	    (rc = desk__audit(c, a, "desk.replacement.assign", "replacement", id, ent, before,
			      after)) ||
	    (rc = desk_outbox_on_replacement(c, id, ent, specialist_id, now))) {
		desk__db(err, rc, "recording the replacement");
		goto out;
	}
	*out = after;
	after = NULL;
out:
	json_decref(before);
	json_decref(after);
	json_decref(hold);
	return rc;
}

int desk_assignments(struct store_conn *c, const struct auth_principal *p,
		     const char *enterprise_id, json_t **out, struct desk_err *err)
{
	struct auth_target t;
	json_t *e = NULL, *items = NULL;
	int rc = PL_ENOTFOUND;

	*out = NULL;
	if (pl_id_valid(enterprise_id)) {
		struct store_param q[] = { SP_TEXT(enterprise_id) };
		rc = store_query_one(c, "SELECT id FROM enterprises WHERE id = ?", q, 1, &e);
		json_decref(e);
		if (rc == 0 && (rc = auth_target_for(c, p, enterprise_id, &t)) == 0 && p)
			rc = auth_authorize(p, AUTH_A_DESK_REPLACE_READ, &t);
	}
	if (rc == PL_ENOTFOUND) {
		desk__err(err, "no enterprise %.40s", enterprise_id);
		return rc;
	}
	if (rc == PL_EFORBIDDEN) {
		desk__err(err, "you may not read assignments");
		return rc;
	}
	if (rc)
		return desk__db(err, rc, "reading the enterprise");
	struct store_param q[] = { SP_TEXT(enterprise_id) };
	rc = store_query_json(c, "SELECT a.id, a.specialist_id, u.display_name AS specialist_name, "
			      "a.started_at, a.ended_at, a.reason, a.end_reason FROM assignments a "
			      "LEFT JOIN users u ON u.id = a.specialist_id WHERE a.enterprise_id = ? "
			      "ORDER BY a.started_at DESC, a.id DESC LIMIT 1001", q, 1, 1000, &items);
	if (rc)
		return desk__db(err, rc, "reading the assignments");
	*out = json_pack("{s:s, s:o}", "enterprise_id", enterprise_id, "items", items);
	return 0;
}

int desk_assign(const struct desk_svc *svc, struct store_conn *c,
		const struct desk_actor *a, const char *enterprise_id,
		const char *specialist_id, const char *reason, int64_t now_ms,
		json_t **out, struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	char cur[PL_ID_LEN + 1];
	const char *ent;
	int rc;

	*out = NULL;
	if ((rc = desk__check_text("reason", reason, DESK_NOTE_MAX, true, err)) ||
	    (rc = desk__enterprise_for(c, p, AUTH_A_DESK_REPLACE_ASSIGN, enterprise_id, &ent, err)))
		return rc;
	if ((rc = desk__is_specialist(c, specialist_id, err)))
		return rc;
	if ((rc = desk__current_specialist(c, ent, cur)))
		return desk__db(err, rc, "reading the assignment");
	if (streq(cur, specialist_id)) {
		desk__err(err, "specialist %s is already assigned to this enterprise", specialist_id);
		return PL_ECONFLICT;
	}
	if ((rc = desk__reassign(svc, c, a, ent, specialist_id, reason, now_ms, err)))
		return rc;
	return desk_assignments(c, p, ent, out, err);
}

/* ------------------------------------------------------------ overdue job */

int desk_escalate_overdue(struct store_conn *c, int64_t now_ms, int *n)
{
	char now[PL_TIME_STRLEN];
	json_t *rows = NULL, *after = NULL;
	int rc;

	*n = 0;
	desk__time(now_ms, now);
	struct store_param p[] = { SP_TEXT(now), SP_TEXT(now) };
	rc = store_query_json(c, "SELECT " REQ_COLS REQ_FROM " WHERE r.escalated_at IS NULL AND ("
			      "(r.state = 'dispatched' AND r.sign_due_at < ?) OR "
			      "(r.state IN ('accepted', 'in_progress', 'transferred', "
			      "'extension_requested') AND r.due_at < ?)) ORDER BY r.created_at "
			      "LIMIT 1000", p, 2, 1000, &rows);
	if (rc)
		return rc;
	size_t i;
	json_t *rq;
	json_array_foreach(rows, i, rq) {
		enum desk_state st, next;
		int64_t changes = 0;
		const char *id = pl_json_str(rq, "id"), *from = pl_json_str(rq, "state");
		if (desk_state_parse(from, &st) ||
		    desk_transition(st, DESK_ACT_ESCALATE, DESK_ROLE_SYSTEM, &next, NULL))
			continue;
		struct store_param u[] = { SP_TEXT(desk_state_name(next)), SP_TEXT(now), SP_TEXT(now),
					   SP_TEXT(id), SP_TEXT(from) };
		if ((rc = store_exec(c, "UPDATE requests SET state = ?, escalated_at = ?, updated_at = ? "
				     "WHERE id = ? AND state = ?", u, STORE_NP(u), &changes)))
			goto out;
		if (changes != 1)
			continue;
		if ((rc = desk__event(c, NULL, id, now, "escalate", from, desk_state_name(next),
				      "overdue")))
			goto out;
		after = json_pack("{s:s, s:s, s:s}", "id", id, "state", desk_state_name(next),
				  "escalated_at", now);
		rc = desk__audit(c, NULL, "desk.request.escalate", "request", id,
				 pl_json_str(rq, "enterprise_id"), rq, after);
		json_decref(after);
		after = NULL;
		if (rc)
			goto out;
		(*n)++;
	}
out:
	json_decref(rows);
	return rc;
}

/* ------------------------------------------------------------------ demo */

/* A principal for demo user username (looked up by name). */
static int desk__demo_principal(struct auth *au, const char *username,
				struct auth_principal *out)
{
	json_t *u = NULL;
	enum auth_role role;
	int rc = auth_user_get(au, username, &u);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	pl_strlcpy(out->user_id, pl_json_str(u, "id"), sizeof(out->user_id));
	pl_strlcpy(out->name, username, sizeof(out->name));
	if (auth_role_parse(pl_json_str(u, "role"), &role) == 0)
		out->role = role;
	if (pl_json_str(u, "enterprise_id"))
		pl_strlcpy(out->enterprise_id, pl_json_str(u, "enterprise_id"),
			   sizeof(out->enterprise_id));
	if (pl_json_str(u, "department"))
		pl_strlcpy(out->department, pl_json_str(u, "department"), sizeof(out->department));
	json_decref(u);
	return 0;
}

/* One demo request: raised by who, then the listed actions, each an hour
 * after the previous one, starting age_h hours ago. */
struct desk__demo_step { int who; const char *action, *text, *extra; };
struct desk__demo_req {
	int who;                 /* index into the principals */
	const char *category, *urgency, *channel, *title, *description;
	int age_h;
	struct desk__demo_step steps[6];
};

enum { DM_ADMIN, DM_SPEC1, DM_SPEC2, DM_TAX, DM_ENT1, DM_ENT2, DM_N };

static const struct desk__demo_req desk__demo_reqs[] = {
	{ DM_ENT1, "help", "normal", "phone", "厂区东侧路灯损坏",
	  "东门到仓库的三盏路灯不亮，夜班车辆进出有安全隐患。", 240,
	  { { DM_SPEC1, "accept", NULL, NULL }, { DM_SPEC1, "start", NULL, NULL },
	    { DM_SPEC1, "resolve", "已协调园区物业更换灯具，当晚恢复照明。", NULL },
	    { DM_ENT1, "rate", "处理很快，谢谢。", "satisfied" } } },
	{ DM_ENT1, "consult", "normal", "wechat", "增值税留抵退税政策咨询",
	  "想了解今年留抵退税的申请条件和材料。", 50,
	  { { DM_SPEC1, "accept", NULL, NULL }, { DM_SPEC1, "transfer", NULL, "tax" } } },
	{ DM_ENT1, "help", "normal", "web", "厂区绿化带施工",
	  "厂区北侧绿化带施工进度慢，影响货车通行。", 120,
	  { { DM_SPEC1, "accept", NULL, NULL }, { DM_SPEC1, "start", NULL, NULL },
	    { DM_SPEC1, "resolve", "已联系施工单位。", NULL },
	    { DM_ENT1, "rate", "施工仍未完成，问题没有解决。", "unsatisfied" } } },
	{ DM_ENT2, "consult", "normal", "phone", "新建厂房施工许可咨询",
	  "二期厂房准备开工，施工许可需要哪些前置手续？", 1, { { 0 } } },
	{ DM_ENT2, "utility", "urgent", "sms", "冷库用电增容",
	  "新增两台冷库机组，需要把变压器容量从800kVA增至1250kVA。", 5,
	  { { DM_SPEC2, "accept", NULL, NULL }, { DM_SPEC2, "start", NULL, NULL } } },
};

int desk_demo_seed(struct auth *au, const struct desk_svc *svc, FILE *print_to)
{
	static const char *const names[DM_N] = { "admin", "specialist1", "specialist2",
						   "dept_tax", "ent1", "ent2" };
	struct auth_principal pr[DM_N];
	struct store_conn *c = NULL;
	struct desk_err err = { .text = "" };
	json_t *row = NULL, *out = NULL;
	int64_t now = pl_time_now_ms();
	size_t made = 0;
	int rc;

	/* specialist2 serves demo enterprise 2 (specialist1 has enterprise 1) */
	struct auth_user_new nu = {
		.username = "specialist2", .password = AUTH_DEMO_PASSWORD,
		.display_name = "服务专员 Specialist Two", .role = "specialist",
	};
	char uid[PL_ID_LEN + 1];
	rc = auth_user_add(au, NULL, &nu, NULL, uid, NULL);
	if (rc && rc != PL_EEXIST)
		return rc;
	for (int i = 0; i < DM_N; i++)
		if ((rc = desk__demo_principal(au, names[i], &pr[i])))
			return rc;
	if ((rc = store_conn_get(auth_store(au), &c)))
		return rc;
	if ((rc = store_query_one(c, "SELECT count(*) AS n FROM requests", NULL, 0, &row)))
		goto out;
	if (json_integer_value(json_object_get(row, "n")) > 0)
		goto out; /* seeded before: leave the park as it is */
	if ((rc = store_begin(c)))
		goto out;
	/* auth's demo assignments start at seeding time; date them back so the
	 * requests below (raised days ago) fall inside the relationship */
	{
		char back[PL_TIME_STRLEN];
		desk__time(now - 30 * 86400000LL, back);
		struct store_param bp[] = { SP_TEXT(back) };
		if ((rc = store_exec(c, "UPDATE assignments SET started_at = ? WHERE reason = 'demo' "
				     "AND ended_at IS NULL", bp, 1, NULL)))
			goto out;
	}
	struct desk_actor admin = { .p = &pr[DM_ADMIN] };
	rc = desk_assign(svc, c, &admin, pr[DM_ENT2].enterprise_id, pr[DM_SPEC2].user_id,
			 "demo", now - 400 * 3600000LL, &out, &err);
	json_decref(out);
	out = NULL;
	if (rc && rc != PL_ECONFLICT)
		goto out;
	for (size_t i = 0; i < sizeof(desk__demo_reqs) / sizeof(desk__demo_reqs[0]); i++) {
		const struct desk__demo_req *d = &desk__demo_reqs[i];
		struct desk_actor who = { .p = &pr[d->who] };
		int64_t at = now - d->age_h * 3600000LL;
		struct desk_request_new in = {
			.channel = d->channel, .category = d->category, .urgency = d->urgency,
			.title = d->title, .description = d->description,
		};
		char id[PL_ID_LEN + 1];
		if ((rc = desk_request_create(svc, c, &who, &in, at, &out, &err)))
			goto out;
		pl_strlcpy(id, pl_json_str(out, "id"), sizeof(id));
		json_decref(out);
		out = NULL;
		for (size_t k = 0; k < 6 && d->steps[k].action; k++) {
			const struct desk__demo_step *s = &d->steps[k];
			struct desk_actor by = { .p = &pr[s->who] };
			bool rate = !strcmp(s->action, "rate");
			struct desk_action_in act = {
				.action = s->action,
				.resolution = !strcmp(s->action, "resolve") ? s->text : NULL,
				.comment = rate ? s->text : NULL,
				.rating = rate ? s->extra : NULL,
				.department = !strcmp(s->action, "transfer") ? s->extra : NULL,
			};
			at += 3600000LL * (d->age_h > 24 ? 8 : 1) / 2;
			if ((rc = desk_request_act(svc, c, &by, id, &act, at, &out, &err)))
				goto out;
			json_decref(out);
			out = NULL;
		}
		made++;
	}
	/* enterprise 1 rated 不满意: it asks for a new specialist (admin's queue) */
	struct desk_actor ent1 = { .p = &pr[DM_ENT1] };
	if ((rc = desk_replacement_create(svc, c, &ent1, NULL, "绿化带问题反复未解决，希望更换服务专员。",
					  now - 3600000LL, &out, &err)))
		goto out;
	json_decref(out);
	out = NULL;
	if ((rc = store_commit(c)))
		goto out;
	if (print_to)
		fprintf(print_to, "Desk demo: %zu requests, 2 ratings, 1 pending replacement "
			"(account specialist2, password %s, serves enterprise 2)\n", made,
			AUTH_DEMO_PASSWORD);
out:
	if (rc && print_to)
		fprintf(print_to, "desk demo seed failed: %s (%s)\n", pl_strerror(rc), err.text);
	json_decref(row);
	json_decref(out);
	store_conn_put(c);
	return rc;
}

/* ------------------------------------------------------------ the job thread */

struct desk_job {
	struct store *st;          /* borrowed */
	struct pl_log *log;        /* borrowed */
	int64_t interval_ms;
	pthread_t thread;
	pthread_mutex_t mu;        /* with cv: stop wakes the sleeping thread */
	pthread_cond_t cv;
	bool stop;                 /* under mu */
};

static void desk__job_tick(struct desk_job *j)
{
	struct store_conn *c = NULL;
	int n = 0, rc = store_conn_get(j->st, &c);

	if (rc == 0 && (rc = store_begin(c)) == 0 &&
	    (rc = desk_escalate_overdue(c, pl_time_now_ms(), &n)) == 0)
		rc = store_commit(c);
	if (rc)
		pl_warn(j->log, "desk", "overdue scan failed: %s", pl_strerror(rc));
	else if (n)
		pl_info(j->log, "desk", "escalated %d overdue request(s) (督办)", n);
	store_conn_put(c);
}

static void *desk__job_main(void *arg)
{
	struct desk_job *j = arg;

	pthread_mutex_lock(&j->mu);
	while (!j->stop) {
		struct timespec ts;
		pthread_mutex_unlock(&j->mu);
		desk__job_tick(j);
		pthread_mutex_lock(&j->mu);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(j->interval_ms / 1000);
		ts.tv_nsec += (long)(j->interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!j->stop && pthread_cond_timedwait(&j->cv, &j->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

int desk_job_start(struct store *st, struct pl_log *log, int64_t interval_ms,
		   struct desk_job **out)
{
	struct desk_job *j = pl_calloc(1, sizeof(*j));
	pthread_condattr_t ca;

	*out = NULL;
	if (interval_ms < 1000)
		interval_ms = 1000;
	j->st = st;
	j->log = log;
	j->interval_ms = interval_ms;
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&j->thread, NULL, desk__job_main, j)) {
		pthread_cond_destroy(&j->cv);
		pthread_mutex_destroy(&j->mu);
		free(j);
		return PL_EIO;
	}
	*out = j;
	return 0;
}

void desk_job_stop(struct desk_job *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}
