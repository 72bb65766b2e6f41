/*
 * api_alarm.c - line alarms over HTTP (src/line/live.h):
 *   GET  /api/v1/lines/{id}/alarms       the line's alarm rules with their
 *                                        ISA-18.2 state and history (line.read)
 *   POST /api/v1/lines/{id}/alarms       add a rule (line.alarm.act)
 *   GET  /api/v1/alarms                  active alarms across visible lines (line.read)
 *   POST /api/v1/alarms/{id}/ack         acknowledge (line.alarm.act)
 *   POST /api/v1/alarms/{id}/shelve      shelve for {minutes} (line.alarm.act)
 *   POST /api/v1/alarms/{id}/unshelve    (line.alarm.act)
 * Tenancy: an alarm belongs to its line's enterprise; another tenant's
 * alarm answers 404 like a missing one. Each change is audited
 * (line.alarm.<op>) and published to the SSE streams with the line's tile.
 */
#include "http/http_int.h"
#include "line/live.h"
#include "line/repo.h"

#include <math.h>
#include <string.h>

#define ALARM_LIST_MAX 500
#define SHELVE_MINUTES_MAX (7 * 24 * 60) /* a week: longer is a rule change, not a shelve */

int http__h_line_alarms(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *line = NULL, *items = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)) ||
	    (rc = http__line_load(r, c, r->params[0], AUTH_A_LINE_READ, &line)))
		goto out;
	if ((rc = line_live_alarm_list(c, r->params[0], NULL, NULL, 0, ALARM_LIST_MAX, true, &items))) {
		rc = http_fail(r, rc, NULL, "reading the alarms failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:o}", "line_id", r->params[0], "items", items));
	items = NULL;
out:
	json_decref(items);
	json_decref(line);
	store_conn_put(c);
	return rc;
}

int http__h_line_alarm_create(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *line = NULL, *out = NULL;
	struct line_alarm_def d = { 0 };
	struct store_audit au = { 0 };
	char why[200] = "";
	int rc;

	d.name = pl_json_str(r->json, "name");
	d.metric = pl_json_str(r->json, "metric");
	if ((rc = http_text_check(r, "name", d.name)) || (rc = http_text_check(r, "metric", d.metric)))
		goto out;
	if (line_alarm_kind_parse(pl_json_str(r->json, "kind"), &d.rule.kind)) {
		rc = http_fail(r, PL_EINVAL, "validation", "'kind' must be one of high, low, roc, stale");
		goto out;
	}
	if (line_alarm_category_parse(pl_json_str(r->json, "category"), &d.rule.category)) {
		rc = http_fail(r, PL_EINVAL, "validation", "'category' must be one of process, equipment,"
			       " quality, fire, smoke, gas");
		goto out;
	}
	json_t *pr = json_object_get(r->json, "priority"), *sm = json_object_get(r->json, "stale_ms");
	d.rule.priority = pr ? (int)(json_integer_value(pr) > 4 ? 5 : json_integer_value(pr)) : 3;
	d.rule.limit = json_number_value(json_object_get(r->json, "limit"));
	d.rule.deadband = json_number_value(json_object_get(r->json, "deadband"));
	d.rule.stale_ms = sm ? json_integer_value(sm) : 0;
	if (d.rule.stale_ms < 0 || d.rule.stale_ms > 7 * 86400000LL) {
		rc = http_fail(r, PL_EINVAL, "validation", "'stale_ms' must be 1..604800000");
		goto out;
	}
	if ((rc = http_store_begin(r, &c)) ||
	    (rc = http__line_load(r, c, r->params[0], AUTH_A_LINE_ALARM_ACT, &line)))
		goto out;
	if ((rc = line_live_alarm_add(c, r->params[0], &d, pl_time_now_ms(), &out, why, sizeof(why)))) {
		rc = rc == PL_EINVAL ? http_fail(r, rc, "validation", "%s", why)
				     : http_fail(r, rc, NULL, "adding the alarm failed: %s", pl_strerror(rc));
		goto out;
	}
	http_audit_from(r, &au);
	au.action = "line.alarm.create";
	au.entity = "line_alarm";
	au.entity_id = pl_json_str(out, "id");
	au.enterprise_id = pl_json_str(line, "enterprise_id");
	au.after = out;
	if ((rc = store_audit(c, &au)) || (rc = store_commit(c))) {
		rc = http_fail(r, rc, NULL, "saving the alarm failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 201, out);
	out = NULL;
out:
	json_decref(out);
	json_decref(line);
	store_conn_put(c);
	return rc;
}

int http__h_alarm_list(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct store_param p[4];
	size_t np = 0;
	struct pl_buf where;
	json_t *items = NULL;
	int rc;

	pl_buf_init(&where, 2048);
	if ((rc = auth_tenant_filter(&r->principal, AUTH_A_LINE_READ, "l.enterprise_id", &where, p, &np))) {
		rc = http_fail(r, rc, NULL, "you may not list alarms");
		goto out;
	}
	if ((rc = http_store_get(r, &c)))
		goto out;
	if ((rc = line_live_alarm_list(c, NULL, where.data ? where.data : "", p, np, ALARM_LIST_MAX,
				       false, &items))) {
		rc = http_fail(r, rc, NULL, "listing alarms failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:o}", "items", items));
	items = NULL;
out:
	json_decref(items);
	store_conn_put(c);
	pl_buf_release(&where);
	return rc;
}

/* The three operator actions share everything but the life-cycle step. */
static int alarm__op(struct http_req *r, enum line_alarm_op op, const char *verb)
{
	struct store_conn *c = NULL;
	json_t *alarm = NULL, *line = NULL, *ev = NULL, *after = NULL, *events = NULL;
	struct store_audit au = { 0 };
	int64_t now = pl_time_now_ms(), until = 0;
	char action[40];
	int rc;

	if (op == LINE_ALARM_OP_SHELVE) {
		json_t *m = json_object_get(r->json, "minutes");
		if (!json_is_integer(m) || json_integer_value(m) < 1 ||
		    json_integer_value(m) > SHELVE_MINUTES_MAX) {
			rc = http_fail(r, PL_EINVAL, "validation", "'minutes' must be 1..%d", SHELVE_MINUTES_MAX);
			goto out;
		}
		until = now + json_integer_value(m) * 60000;
	}
	if ((rc = http_store_begin(r, &c)))
		goto out;
	rc = pl_id_valid(r->params[0]) ? line_live_alarm_get(c, r->params[0], &alarm) : PL_ENOTFOUND;
	if (rc == PL_ENOTFOUND) {
		rc = http_fail(r, rc, NULL, "no alarm '%.40s'", r->params[0]);
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "reading the alarm failed: %s", pl_strerror(rc));
		goto out;
	}
	/* tenancy through the line: someone else's alarm is a missing one */
	if ((rc = http__line_load(r, c, pl_json_str(alarm, "line_id"), AUTH_A_LINE_ALARM_ACT, &line))) {
		if (rc == PL_ENOTFOUND)
			rc = http_fail(r, PL_ENOTFOUND, NULL, "no alarm '%.40s'", r->params[0]);
		goto out;
	}
	rc = line_live_alarm_op(c, r->params[0], op, now, until, r->principal.name, &ev);
	if (rc == PL_ECONFLICT) {
		rc = http_fail(r, rc, "conflict", "cannot %s an alarm that is %s", verb,
			       pl_json_str(alarm, "state"));
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "changing the alarm failed: %s", pl_strerror(rc));
		goto out;
	}
	if ((rc = line_live_alarm_get(c, r->params[0], &after)))
		goto out;
	http_audit_from(r, &au);
	pl_fmt(action, sizeof(action), "line.alarm.%s", verb);
	au.action = action;
	au.entity = "line_alarm";
	au.entity_id = r->params[0];
	au.enterprise_id = pl_json_str(alarm, "enterprise_id");
	au.before = alarm;
	au.after = after;
	if ((rc = store_audit(c, &au)) || (rc = store_commit(c))) {
		rc = http_fail(r, rc, NULL, "saving the alarm failed: %s", pl_strerror(rc));
		goto out;
	}
	events = json_pack("[O]", ev);
	http__line_events(r, c, events);
	rc = http_reply_json(r, 200, after);
	after = NULL;
out:
	json_decref(events);
	json_decref(after);
	json_decref(ev);
	json_decref(line);
	json_decref(alarm);
	store_conn_put(c);
	return rc;
}

int http__h_alarm_ack(struct http_req *r) { return alarm__op(r, LINE_ALARM_OP_ACK, "ack"); }
int http__h_alarm_shelve(struct http_req *r) { return alarm__op(r, LINE_ALARM_OP_SHELVE, "shelve"); }
int http__h_alarm_unshelve(struct http_req *r) { return alarm__op(r, LINE_ALARM_OP_UNSHELVE, "unshelve"); }
