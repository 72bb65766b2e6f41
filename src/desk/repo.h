/*
 * repo.h - the service desk on the store (prefix desk_). The pure core in
 * desk.h decides (state table, deadlines,
 * scores, the replacement rule); these functions load what it needs from
 * the store, apply its decision and write the result, the request's
 * history and the audit row in the caller's transaction. The HTTP handlers
 * in src/http/api_desk.c are thin wrappers around them, and the unit tests
 * (tests/unit/desk/test_repo.c) call them directly on SQLite and
 * PostgreSQL.
 *
 * Conventions for every function here:
 *  - c is a connection the caller owns; writers expect the caller to have
 *    called store_begin and to commit on 0 (or roll back on any error: a
 *    rejected call may have written part of its change).
 *  - now_ms is the clock, passed in so tests and the overdue job can
 *    inject one.
 *  - json_t results are new references the caller must json_decref.
 *  - err (may be NULL) gets one English sentence for a problem+json detail
 *    on any error; for PL_ECONFLICT from a workflow action, err->allowed
 *    and err->state also describe the state machine's answer.
 *  - Tenancy: an object the caller may not see answers exactly as a
 *    missing one (PL_ENOTFOUND, or PL_EINVAL naming the field when the id
 *    came in a body), as everywhere in Parkline (auth.h).
 */
#ifndef PL_DESK_REPO_H
#define PL_DESK_REPO_H

#include "desk/desk.h"
#include "store/store.h"
#include "auth/auth.h"

/* What the desk needs at run time: the working calendar and the SLA table.
 * Read-only after desk_svc_new, so one is shared by all threads. */
struct desk_svc;

/* Loads every YYYY.txt calendar in calendar_dir (NULL or "": none, so
 * working-day clocks give no due time) and, when sla_file is not
 * NULL or "", applies the SLA override file on top of the defaults.
 * err (>= 200 bytes recommended) names the file and line on failure.
 * Errors: those of desk_calendar_load_dir and desk_sla_parse, PL_EIO. */
int desk_svc_new(const char *calendar_dir, const char *sla_file, struct desk_svc **out,
		 char *err, size_t errsz);
void desk_svc_free(struct desk_svc *s);  /* NULL is a no-op */
/* Where attachments are kept (copied; call before sharing svc between
 * threads). Until set, the attachment calls answer PL_EBUSY. PL_EINVAL for
 * an empty dir. */
int desk_svc_set_attachments_dir(struct desk_svc *svc, const char *dir);

/* Who acts: a principal (borrowed), or NULL for Parkline's own jobs
 * ("system"). request_id and ip go into audit rows (may be NULL). */
struct desk_actor {
	const struct auth_principal *p;
	const char *request_id;
	const char *ip;
};

struct desk_err {
	char text[400];
	unsigned allowed;        /* PL_ECONFLICT on an action: allowed actions mask */
	char state[32];          /* ... and the current state's name ("" otherwise) */
};

#define DESK_TITLE_MAX 200
#define DESK_DESCRIPTION_MAX 4000
#define DESK_NOTE_MAX 2000
#define DESK_LIST_MAX 500

/* A new request. enterprise_id: required for park admins and specialists
 * (who must be assigned to it); enterprise callers may omit it (their own)
 * and may not name another. channel: phone, wechat, sms, web, visit;
 * category and urgency: desk_category_parse / desk_urgency_parse names. */
struct desk_request_new {
	const char *enterprise_id;
	const char *channel;
	const char *category;
	const char *urgency;
	const char *title;        /* 1..DESK_TITLE_MAX bytes */
	const char *description;  /* 1..DESK_DESCRIPTION_MAX bytes */
};

/* Records a request (受理) numbered GD<Beijing date>-NNNN and, when the
 * enterprise has a current specialist, dispatches it to them (派单) with
 * the SLA sign clock running. Audited as desk.request.create. *out is the
 * request as desk_request_get returns it. Errors: PL_EINVAL (a field, named
 * in err; an unknown or invisible enterprise), PL_EFORBIDDEN, PL_EDB. */
int desk_request_create(const struct desk_svc *svc, struct store_conn *c,
			const struct desk_actor *a, const struct desk_request_new *in,
			int64_t now_ms, json_t **out, struct desk_err *err);

/* 园区共性问题 (a road to repair, a gas price to negotiate): a request of
 * the park's, raised by a park admin, linking enterprise_ids (a JSON
 * array, borrowed, 2 to DESK_PARK_WIDE_MAX distinct enterprise ids;
 * in->enterprise_id must be NULL) and dispatched to specialist_id (an
 * active specialist), who may transfer it to a department as usual. Every
 * linked enterprise's users read it (no other enterprise does, and they
 * see how many enterprises are linked, not which); none of them acts on it
 * or rates it: the park admin closes it. Same checks, numbering, history
 * and audit as desk_request_create. Errors: PL_EFORBIDDEN (not a park
 * admin), PL_EINVAL (a field, named in err), PL_EDB. */
#define DESK_PARK_WIDE_MAX 500
int desk_request_create_park_wide(const struct desk_svc *svc, struct store_conn *c,
				  const struct desk_actor *a, const struct desk_request_new *in,
				  const json_t *enterprise_ids, const char *specialist_id,
				  int64_t now_ms, json_t **out, struct desk_err *err);

struct desk_list_query {
	const char *state;          /* NULL: any; else a desk_state name */
	const char *enterprise_id;  /* NULL: any visible */
	const char *q;              /* NULL: none; substring of number or title */
	int64_t limit, offset;      /* 1..DESK_LIST_MAX, >= 0 */
};
/* {"items":[summary...],"total":n} of the requests p may see, newest
 * first; each summary has "overdue" computed at now_ms. Errors: PL_EINVAL
 * (bad state or enterprise id, in err), PL_EFORBIDDEN, PL_EDB. */
int desk_request_list(struct store_conn *c, const struct auth_principal *p,
		      const struct desk_list_query *q, int64_t now_ms, json_t **out,
		      struct desk_err *err);

/* One request with "history" (oldest first), "allowed_actions" (the
 * actions p may take now) and "rating" (the latest, or null).
 * PL_ENOTFOUND when missing or not visible to p. */
int desk_request_get(struct store_conn *c, const struct auth_principal *p,
		     const char *id, int64_t now_ms, json_t **out, struct desk_err *err);

/* A workflow action. action: a desk_action name, or "rate" with rating
 * satisfied / basic (alias basically_satisfied) / unsatisfied. note is the
 * reason for return, request_extension, reject_extension; resolution for
 * resolve (note accepted too); comment for a rating (required for
 * unsatisfied); department (a departments.id) for transfer. */
struct desk_action_in {
	const char *action;
	const char *note;
	const char *department;
	const char *resolution;
	const char *rating;
	const char *comment;
	const char *due_at;       /* request_extension: the new deadline, RFC 3339 */
};
/* 补充材料 (await_enterprise) pauses the handling clock (a request_pauses
 * row) and 补正 (supplement) ends the pause and moves due_at by the
 * paused working time (desk_due_after_pause). 延期: request_extension
 * needs due_at later than the current deadline and is refused with
 * PL_ECONFLICT once the deadline has passed; the deadline moves to the
 * asked one only when an admin approves (approve_extension), and stays on
 * reject_extension. Both are recorded in request_extensions. */
/* Applies the action through desk_transition for the caller's role on this
 * request (the request's specialist, its department's staff, its
 * enterprise's users, park admins; NULL principal: system), updates the
 * clocks, records the history and the rating, and audits it as
 * desk.request.<action>. *out is the updated request (as _get).
 * Errors: PL_ENOTFOUND, PL_EINVAL (missing text, bad department),
 * PL_EFORBIDDEN (the state allows it, but not for this caller),
 * PL_ECONFLICT (the state does not allow it: err names the state and the
 * allowed actions; also a concurrent change or no specialist to dispatch
 * to), PL_EDB. */
int desk_request_act(const struct desk_svc *svc, struct store_conn *c,
		     const struct desk_actor *a, const char *id,
		     const struct desk_action_in *in, int64_t now_ms, json_t **out,
		     struct desk_err *err);

/* The leaderboard over the last days (1..3650) before now_ms:
 * {"days","from","to","items":[{specialist_id,name,rated,satisfied,basic,
 * unsatisfied,share}]} ordered as desk_score_board orders it; share is a
 * fraction (0..1), null when nothing was rated. Reads at most 200000
 * ratings (PL_ETOOBIG past that). */
int desk_scores(struct store_conn *c, int64_t days, int64_t now_ms, json_t **out,
		struct desk_err *err);

/* Asks for a new specialist for enterprise_id (enterprise callers: their
 * own, may be NULL). Allowed only when the latest rating of the current
 * relationship is 不满意 and no request is pending (PL_ECONFLICT
 * otherwise). Due in 3 working days. Audited as desk.replacement.create. */
int desk_replacement_create(const struct desk_svc *svc, struct store_conn *c,
			    const struct desk_actor *a, const char *enterprise_id,
			    const char *reason, int64_t now_ms, json_t **out,
			    struct desk_err *err);
/* {"items":[...],"total":n}: the replacement requests p may see, pending
 * first, oldest first. */
int desk_replacement_list(struct store_conn *c, const struct auth_principal *p,
			  json_t **out, struct desk_err *err);
/* Carries out replacement id: specialist_id must be an active specialist
 * the rule allows (desk_replacement_check: PL_ECONFLICT with the reason).
 * Ends the current assignment (ended_at, end_reason), opens the new one,
 * re-dispatches the enterprise's reopened and undispatched requests to the
 * new specialist, and marks the replacement done. */
int desk_replacement_assign(const struct desk_svc *svc, struct store_conn *c,
			    const struct desk_actor *a, const char *id,
			    const char *specialist_id, int64_t now_ms, json_t **out,
			    struct desk_err *err);
/* A park admin's plain (re)assignment of enterprise_id to specialist_id,
 * outside the replacement cycle; reason is recorded. PL_ECONFLICT when the
 * specialist is already the current one. *out: the assignment history. */
int desk_assign(const struct desk_svc *svc, struct store_conn *c,
		const struct desk_actor *a, const char *enterprise_id,
		const char *specialist_id, const char *reason, int64_t now_ms,
		json_t **out, struct desk_err *err);
/* {"items":[{id,specialist_id,specialist_name,started_at,ended_at,reason,
 * end_reason}]}: enterprise_id's assignment history, newest first.
 * PL_ENOTFOUND when the enterprise is missing or invisible to p. */
int desk_assignments(struct store_conn *c, const struct auth_principal *p,
		     const char *enterprise_id, json_t **out, struct desk_err *err);

/* The overdue job (督办): every open request whose current clock (sign
 * while dispatched, resolve after 签收) ran out before now_ms and that was
 * never escalated is escalated by "system" (history + audit). *n gets the
 * number escalated. At most 1000 per call; call it again for more. */
int desk_escalate_overdue(struct store_conn *c, int64_t now_ms, int *n);

/* The overdue job's thread: runs desk_escalate_overdue (one transaction,
 * wall clock) every interval_ms until desk_job_stop. st and log are
 * borrowed and must outlive the job. Failures are logged and retried at
 * the next tick. desk_job_stop wakes the thread, joins it and frees the
 * job (NULL is a no-op); it waits at most for one running tick. */
struct desk_job;
int desk_job_start(struct store *st, struct pl_log *log, int64_t interval_ms,
		   struct desk_job **out);
void desk_job_stop(struct desk_job *j);

/* Demo content for `serve --demo`, idempotent (nothing is done when any
 * request exists): a second specialist assigned to demo enterprise 2,
 * requests in various states, ratings, a pending replacement. Prints one
 * line to print_to (may be NULL). */
int desk_demo_seed(struct auth *au, const struct desk_svc *svc, FILE *print_to);

/* ========================================================== attachments
 * Files attached to a request (src/desk/attach.c; desk.h has the content
 * rules). Tenancy is the request's: adding needs desk.request.act on it,
 * listing and downloading desk.request.read. */

/* Attaches data[0..len) (borrowed) named filename, declared as declared
 * (the Content-Type; may be NULL) to request id: checks it
 * (desk_attach_check), stores the file under the service's attachments
 * directory, records the row and a history event, and audits it as
 * desk.request.attach. *out: the attachment {id, request_id, filename,
 * type, size, sha256, uploader_id, uploader_name, created_at}.
 * Errors: PL_ENOTFOUND (no such request for this caller), PL_EFORBIDDEN,
 * PL_EINVAL / PL_ETOOBIG / PL_EUNSUPPORTED (the file; err says why),
 * PL_ECONFLICT (the request is closed, or has DESK_ATTACH_PER_REQUEST
 * files already), PL_EBUSY (no attachments directory configured),
 * PL_EIO, PL_EDB. */
int desk_attach_add(const struct desk_svc *svc, struct store_conn *c,
		    const struct desk_actor *a, const char *id, const char *filename,
		    const char *declared, const uint8_t *data, size_t len, int64_t now_ms,
		    json_t **out, struct desk_err *err);

/* {"items":[attachment...]} of request id, oldest first. PL_ENOTFOUND
 * when the request is missing or invisible to p. */
int desk_attach_list(struct store_conn *c, const struct auth_principal *p, const char *id,
		     json_t **out, struct desk_err *err);

/* Attachment aid of request id: *meta (as in the list) and the verified
 * content (*data malloc'd, caller frees). PL_ENOTFOUND (request or
 * attachment missing or invisible), PL_EBUSY (not configured), PL_EIO (the
 * file is missing or no longer matches its checksum). */
int desk_attach_fetch(const struct desk_svc *svc, struct store_conn *c,
		      const struct auth_principal *p, const char *id, const char *aid,
		      json_t **meta, uint8_t **data, size_t *len, struct desk_err *err);

/* ======================================================== green channel
 * 绿色通道 / 全程代办 on the store (src/desk/
 * green_repo.c, HTTP in src/http/api_green.c). A project is an
 * enterprise's approval chain (立项备案, 用地规划许可, ...) that its agent,
 * a specialist, runs on its behalf; each step has a statutory limit in
 * working days and the times it was accepted (started) and decided
 * (finished). Reads measure the steps with desk_green_measure on the
 * service's working calendar. Tenancy: desk.green.read / desk.green.write
 * (the enterprise reads its own; the park admin and the assigned
 * specialist write). Same conventions as above. */
#define DESK_GREEN_NAME_MAX 200       /* project name, bytes */
#define DESK_GREEN_STEP_TEXT_MAX 100  /* step name and department, bytes */
#define DESK_GREEN_DAYS_MAX 3650      /* statutory_days upper bound */
#define DESK_GREEN_LIST_MAX 200       /* projects one list answers with */
#define DESK_GREEN_STEPS_NEW_MAX 64   /* steps one project may have */

/* The service's working calendar (borrowed; lives as long as svc). Defined
 * in repo.c, where struct desk_svc is. */
const struct desk_calendar *desk_svc_calendar(const struct desk_svc *svc);

/* The service's base SLA table (defaults plus the --sla-file overrides;
 * borrowed, lives as long as svc). desk_sla_load overlays the stored cells
 * on it; GET/PUT /desk/sla should use it as their base. */
const struct desk_sla_table *desk_svc_sla(const struct desk_svc *svc);

/* {"items":[{id, enterprise_id, enterprise_name, name, agent_id,
 * agent_name, status, started_at, steps_total, steps_done, statutory_days,
 * actual_days, days_saved, elapsed_days, elapsed_calendar_days}], "total",
 * "summary":{projects, days_saved}} over the projects p may see, newest
 * first, at most DESK_GREEN_LIST_MAX; the summary counts the same items.
 * statutory_days is the sum of the step limits, actual_days and days_saved
 * the sums over the finished steps, elapsed_* the span from the first
 * start (null when the calendar cannot measure the project). */
int desk_green_list(const struct desk_svc *svc, struct store_conn *c,
		    const struct auth_principal *p, int64_t now_ms, json_t **out,
		    struct desk_err *err);

/* One project as in the list plus "steps":[{seq, name, department,
 * statutory_days, started_at, finished_at, done, actual_days, saved_days,
 * over_statutory}] in order. PL_ENOTFOUND when missing or invisible. */
int desk_green_get(const struct desk_svc *svc, struct store_conn *c,
		   const struct auth_principal *p, const char *id, int64_t now_ms,
		   json_t **out, struct desk_err *err);

/* Opens a project for enterprise_id (required; must be one p may write
 * for) with steps, a JSON array of 1..DESK_GREEN_STEPS_NEW_MAX objects
 * {name, department, statutory_days} (borrowed). The agent is the caller
 * when a specialist, else the enterprise's current specialist (none:
 * null). Audited as desk.green.create. *out as desk_green_get.
 * Errors: PL_EINVAL (a field, named in err), PL_EFORBIDDEN, PL_EDB. */
int desk_green_create(const struct desk_svc *svc, struct store_conn *c,
		      const struct desk_actor *a, const char *enterprise_id, const char *name,
		      const json_t *steps, int64_t now_ms, json_t **out, struct desk_err *err);

/* Starts (受理) or finishes (decision) step seq of project id at at_ms
 * (DESK_NEVER: now_ms). A step starts once, after every earlier step has
 * started (steps may overlap, 并联审批, but not jump the chain), and
 * finishes once, after it started; anything else is PL_ECONFLICT naming
 * the step's state. at may not lie in the future nor before the step's
 * start (PL_EINVAL). The project is "done" when its last step finishes.
 * Audited as desk.green.start / desk.green.finish. *out as _get. */
int desk_green_step_act(const struct desk_svc *svc, struct store_conn *c,
			const struct desk_actor *a, const char *id, int64_t seq,
			const char *action, int64_t at_ms, int64_t now_ms, json_t **out,
			struct desk_err *err);

/* Demo for `serve --demo`, idempotent (nothing when any project exists):
 * for demo enterprise 1, a finished 新建厂房 chain done in about a month
 * against about six months statutory, and a running expansion. */
int desk_green_demo_seed(struct auth *au, const struct desk_svc *svc, FILE *print_to);

#endif /* PL_DESK_REPO_H */
