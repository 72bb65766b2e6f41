/*
 * outbox.c - the durable notification outbox (notify_outbox, migration 8),
 * its sender thread, and the inbound SMS path (notify.h; docs/notify.md).
 *
 * NOTES ON THE DESIGN
 *  1. Rows are written by desk_outbox_on_event inside the transaction of
 *     the desk event that causes them, so an event and its notifications
 *     commit or roll back together: no notification for an event that did
 *     not happen, none lost for one that did.
 *  2. dedupe_key = request id : event seq : recipient kind : recipient id :
 *     channel, UNIQUE in the table; INSERT ... ON CONFLICT DO NOTHING makes
 *     the hook idempotent without aborting a PostgreSQL transaction.
 *  3. A pass claims due rows with a conditional UPDATE (pending and due, or
 *     'sending' with a lease that ran out) and commits the claim BEFORE
 *     sending, so no transaction is held across the network. Marking the
 *     result is conditional on our own lease_until, so a sender that
 *     overran its lease cannot overwrite the outcome of the sender that
 *     took the row over.
 *  4. A crash between the send and the mark leaves the row 'sending'; when
 *     its lease runs out it is sent again with the same dedupe key, which
 *     the provider uses to drop the duplicate (notify.h). A crash before
 *     the send loses nothing either: the row is still pending or claimed.
 *  5. Failures: RETRY goes back to pending with next_at = now + backoff
 *     (desk_outbox_backoff_ms, jittered so a provider outage does not end
 *     in a thundering herd), PERMANENT or max_attempts reached is 'dead',
 *     a channel with no driver configured is 'skipped'. Dead and skipped
 *     rows stay for the admin's view (GET /api/v1/desk/notifications).
 */
#include "desk/notify_int.h"
#include "desk/repo.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------- the hook */

/* What an event notifies: event name and recipient kind. */
static const struct {
	const char *action, *event, *kind;
} outbox__rules[] = {
	{ "dispatch", "request.dispatched", "specialist" },
	{ "resolve", "request.resolved", "enterprise" },
	{ "escalate", "request.escalated", "leader" },
};

/* One row; ON CONFLICT keeps the first (note 2). */
static int outbox__put(struct store_conn *c, const char *req_id, int64_t seq, const char *ent,
		       const char *event, const char *kind, const char *rid, const char *channel,
		       const char *address, const char *params, const char *at)
{
	char id[PL_ID_LEN + 1], key[200];
	snprintf(key, sizeof(key), "%s:%lld:%s:%s:%s", req_id, (long long)seq, kind,
		 rid ? rid : "", channel);
	pl_id_new(id);
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(key), SP_TEXT(req_id), ent && *ent ? SP_TEXT(ent) : SP_NULL,
		SP_TEXT(event), SP_TEXT(channel), SP_TEXT(kind), rid && *rid ? SP_TEXT(rid) : SP_NULL,
		SP_TEXT(address), SP_TEXT(params), SP_TEXT(at), SP_TEXT(at),
	};
	return store_exec(c, "INSERT INTO notify_outbox (id, dedupe_key, request_id, enterprise_id, "
			  "event, channel, recipient_kind, recipient_id, address, params_json, state, "
			  "attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			  "'pending', 0, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
			  p, STORE_NP(p), NULL);
}

/* The phone (normalised; "" when none or unusable) and openid of a user. */
static int outbox__user_addr(struct store_conn *c, const char *uid, char phone[DESK_PHONE_MAX],
			     char *openid, size_t oidsz, char *leader, size_t lsz)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(uid) };
	int rc;

	phone[0] = openid[0] = '\0';
	if (leader)
		leader[0] = '\0';
	rc = store_query(c, "SELECT phone, wechat_openid, leader_id FROM notify_contacts "
			 "WHERE user_id = ?", p, 1, &r);
	if (rc == 0 && (rc = store_rows_next(r)) == 1) {
		if (desk_phone_normalize(store_rows_text(r, 0), phone, NULL, 0))
			phone[0] = '\0';
		pl_strlcpy(openid, store_rows_text(r, 1), oidsz);
		if (leader)
			pl_strlcpy(leader, store_rows_text(r, 2), lsz);
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

int desk_outbox_on_event(struct store_conn *c, const char *req_id, int64_t seq,
			 const char *action, const char *at)
{
	const char *event = NULL, *kind = NULL;
	char phone[DESK_PHONE_MAX], openid[200], rid[PL_ID_LEN + 1] = "", leader[PL_ID_LEN + 1];
	json_t *req = NULL, *params = NULL;
	char *ptext = NULL;
	int rc = 0;

	for (size_t i = 0; i < sizeof(outbox__rules) / sizeof(outbox__rules[0]); i++)
		if (!strcmp(action, outbox__rules[i].action)) {
			event = outbox__rules[i].event;
			kind = outbox__rules[i].kind;
		}
	if (!event)
		return 0;
	struct store_param q[] = { SP_TEXT(req_id) };
	if ((rc = store_query_one(c, "SELECT r.id, r.no, r.title, r.enterprise_id, "
				  "r.specialist_id, e.contact_phone FROM requests r LEFT JOIN "
				  "enterprises e ON e.id = r.enterprise_id WHERE r.id = ?",
				  q, 1, &req)))
		goto out;
	const char *ent = pl_json_str(req, "enterprise_id");
	const char *spec = pl_json_str(req, "specialist_id");
	phone[0] = openid[0] = '\0';
	if (!strcmp(kind, "specialist")) {
		if (!spec)
			goto out;
		pl_strlcpy(rid, spec, sizeof(rid));
		rc = outbox__user_addr(c, rid, phone, openid, sizeof(openid), NULL, 0);
	} else if (!strcmp(kind, "leader")) {
		if (!spec)
			goto out;
		char p2[DESK_PHONE_MAX], o2[200];
		if ((rc = outbox__user_addr(c, spec, p2, o2, sizeof(o2), leader, sizeof(leader))))
			goto out;
		if (!leader[0])
			goto out; /* nobody to escalate to: documented, nothing queued */
		pl_strlcpy(rid, leader, sizeof(rid));
		rc = outbox__user_addr(c, rid, phone, openid, sizeof(openid), NULL, 0);
	} else {
		if (!ent)
			goto out;
		pl_strlcpy(rid, ent, sizeof(rid));
		const char *cp = pl_json_str(req, "contact_phone");
		if (!cp || desk_phone_normalize(cp, phone, NULL, 0))
			phone[0] = '\0';
	}
	if (rc)
		goto out;
	params = json_pack("{s:s, s:s}", "no", pl_json_str(req, "no"), "title",
			   pl_json_str(req, "title"));
	ptext = pl_json_dump(params);
	if (phone[0] && (rc = outbox__put(c, req_id, seq, ent, event, kind, rid, "sms", phone,
					   ptext, at)))
		goto out;
	if (openid[0] && (rc = outbox__put(c, req_id, seq, ent, event, kind, rid, "wechat", openid,
					    ptext, at)))
		goto out;
	rc = outbox__put(c, req_id, seq, ent, event, kind, rid, "webhook", "", ptext, at);
out:
	free(ptext);
	json_decref(params);
	json_decref(req);
	return rc;
}

int desk_outbox_on_replacement(struct store_conn *c, const char *repl_id, const char *ent,
			       const char *specialist_id, const char *at)
{
	char phone[DESK_PHONE_MAX], id[PL_ID_LEN + 1], key[200];
	json_t *row = NULL, *params = NULL;
	char *ptext = NULL;
	int rc;

	struct store_param q[] = { SP_TEXT(specialist_id), SP_TEXT(ent) };
	if ((rc = store_query_one(c, "SELECT (SELECT display_name FROM users WHERE id = ?) AS name, "
				  "contact_phone FROM enterprises WHERE id = ?", q, 2, &row)))
		goto out;
	const char *name = pl_json_str(row, "name");
	params = json_pack("{s:s}", "specialist", name ? name : "");
	ptext = pl_json_dump(params);
	const char *cp = pl_json_str(row, "contact_phone");
	if (!cp || desk_phone_normalize(cp, phone, NULL, 0))
		phone[0] = '\0';
	static const char *const chans[] = { "sms", "webhook" };
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		if (i == 0 && !phone[0])
			continue;
		snprintf(key, sizeof(key), "replacement:%s:enterprise:%s:%s", repl_id, ent, chans[i]);
		pl_id_new(id);
		struct store_param p[] = {
			SP_TEXT(id), SP_TEXT(key), SP_TEXT(ent), SP_TEXT(chans[i]), SP_TEXT(ent),
			SP_TEXT(i == 0 ? phone : ""), SP_TEXT(ptext), SP_TEXT(at), SP_TEXT(at),
		};
		rc = store_exec(c, "INSERT INTO notify_outbox (id, dedupe_key, request_id, "
				"enterprise_id, event, channel, recipient_kind, recipient_id, address, "
				"params_json, state, attempts, next_at, created_at) VALUES (?, ?, NULL, ?, "
				"'enterprise.reassigned', ?, 'enterprise', ?, ?, ?, 'pending', 0, ?, ?) "
				"ON CONFLICT (dedupe_key) DO NOTHING", p, STORE_NP(p), NULL);
	}
out:
	free(ptext);
	json_decref(params);
	json_decref(row);
	return rc;
}

int desk_notify_contact_set(struct store_conn *c, const char *user_id, const char *phone,
			    const char *wechat_openid, const char *leader_id)
{
	char e164[DESK_PHONE_MAX], now[PL_TIME_STRLEN];
	if (phone && *phone && desk_phone_normalize(phone, e164, NULL, 0))
		return PL_EINVAL;
	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = {
		SP_TEXT(user_id), phone && *phone ? SP_TEXT(e164) : SP_NULL,
		wechat_openid && *wechat_openid ? SP_TEXT(wechat_openid) : SP_NULL,
		leader_id && *leader_id ? SP_TEXT(leader_id) : SP_NULL, SP_TEXT(now),
	};
	return store_exec(c, "INSERT INTO notify_contacts (user_id, phone, wechat_openid, leader_id, "
			  "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
			  "phone = excluded.phone, wechat_openid = excluded.wechat_openid, "
			  "leader_id = excluded.leader_id, updated_at = excluded.updated_at",
			  p, STORE_NP(p), NULL);
}

/* ------------------------------------------------------------- backoff */

int64_t desk_outbox_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, double jitter)
{
	int64_t d = base_ms;
	if (attempt < 1)
		attempt = 1;
	for (int i = 1; i < attempt && d < max_ms; i++)
		d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
	if (d > max_ms)
		d = max_ms;
	if (jitter < 0)
		jitter = 0;
	if (jitter > 1)
		jitter = 1;
	/* "equal jitter": keep half, randomise the other half */
	return d / 2 + (int64_t)((double)(d - d / 2) * jitter);
}

/* ---------------------------------------------------------------- pass */

#define OUTBOX_COLS "id, dedupe_key, request_id, enterprise_id, event, channel, " \
	"recipient_kind, recipient_id, address, params_json, state, attempts, next_at, " \
	"lease_until, created_at, sent_at, provider_id, last_error"

/* Claims up to pol->limit due rows in one transaction; *out: the claimed
 * rows as JSON (new reference), all with lease_until = lease. */
static int outbox__claim(struct store_conn *c, const struct desk_outbox_policy *pol,
			 const char *now, const char *lease, json_t **out)
{
	json_t *cand = NULL, *got = json_array();
	size_t i;
	json_t *row;
	int rc;

	*out = NULL;
	if ((rc = store_begin(c)))
		goto out;
	struct store_param q[] = { SP_TEXT(now), SP_TEXT(now), SP_INT(pol->limit) };
	if ((rc = store_query_json(c, "SELECT id FROM notify_outbox WHERE (state = 'pending' AND "
				   "next_at <= ?) OR (state = 'sending' AND lease_until < ?) "
				   "ORDER BY next_at LIMIT ?", q, 3, (size_t)pol->limit, &cand)))
		goto out;
	json_array_foreach(cand, i, row) {
		int64_t ch = 0;
		const char *id = pl_json_str(row, "id");
		struct store_param u[] = { SP_TEXT(lease), SP_TEXT(id), SP_TEXT(now), SP_TEXT(now) };
		if ((rc = store_exec(c, "UPDATE notify_outbox SET state = 'sending', lease_until = ?, "
				     "attempts = attempts + 1 WHERE id = ? AND ((state = 'pending' "
				     "AND next_at <= ?) OR (state = 'sending' AND lease_until < ?))",
				     u, STORE_NP(u), &ch)))
			goto out;
		if (ch == 1) {
			json_t *full = NULL;
			struct store_param g[] = { SP_TEXT(id) };
			if ((rc = store_query_one(c, "SELECT " OUTBOX_COLS " FROM notify_outbox "
						  "WHERE id = ?", g, 1, &full)))
				goto out;
			json_array_append_new(got, full);
		}
	}
	if ((rc = store_commit(c)))
		goto out;
	*out = got;
	got = NULL;
out:
	if (rc && store_in_tx(c))
		store_rollback(c);
	json_decref(cand);
	json_decref(got);
	return rc;
}

/* Records the outcome of one send, only if the row is still ours. */
static int outbox__mark(struct store_conn *c, const json_t *row, const char *lease,
			const char *state, const char *next_at, const char *sent_at,
			const char *provider_id, const char *error)
{
	struct store_param p[] = {
		SP_TEXT(state), SP_TEXT(next_at), sent_at ? SP_TEXT(sent_at) : SP_NULL,
		provider_id && *provider_id ? SP_TEXT(provider_id) : SP_NULL,
		error && *error ? SP_TEXT(error) : SP_NULL,
		SP_TEXT(pl_json_str(row, "id")), SP_TEXT(lease),
	};
	return store_exec(c, "UPDATE notify_outbox SET state = ?, next_at = ?, lease_until = NULL, "
			  "sent_at = ?, provider_id = ?, last_error = ? WHERE id = ? AND "
			  "state = 'sending' AND lease_until = ?", p, STORE_NP(p), NULL);
}

/* The webhook body: what happened, to whom, through which channel. */
static char *outbox__payload(const json_t *row, const json_t *params)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:s, s:O}",
			      "id", pl_json_str(row, "id"), "dedupe_key", pl_json_str(row, "dedupe_key"),
			      "event", pl_json_str(row, "event"),
			      "request_id", pl_json_str(row, "request_id"),
			      "enterprise_id", pl_json_str(row, "enterprise_id"),
			      "recipient_kind", pl_json_str(row, "recipient_kind"),
			      "recipient_id", pl_json_str(row, "recipient_id"),
			      "created_at", pl_json_str(row, "created_at"),
			      "params", params ? params : json_null());
	char *s = o ? pl_json_dump(o) : pl_strdup("{}");
	json_decref(o);
	return s;
}

int desk_outbox_pass(struct store *st, const struct desk_notify *n,
		     const struct desk_outbox_policy *pol, int64_t now_ms, int *sent, int *failed)
{
	struct store_conn *c = NULL;
	char now[PL_TIME_STRLEN], lease[PL_TIME_STRLEN];
	json_t *rows = NULL, *row;
	size_t i;
	int rc, ok = 0, bad = 0;

	pl_time_format(now_ms, now);
	pl_time_format(now_ms + pol->lease_ms, lease);
	if ((rc = store_conn_get(st, &c)))
		goto out;
	if ((rc = outbox__claim(c, pol, now, lease, &rows)))
		goto out;
	/* the claim is committed; hand the connection back while we talk to
	 * providers, so a slow gateway never holds a pool slot */
	store_conn_put(c);
	c = NULL;
	json_array_foreach(rows, i, row) {
		const struct desk_notifier_ops *ops = NULL;
		void *ctx = NULL;
		const char *state;
		char at[PL_TIME_STRLEN], next[PL_TIME_STRLEN];
		json_t *params = json_object_get(row, "params_json");
		struct desk_notify_msg m = {
			.dedupe_key = pl_json_str(row, "dedupe_key"),
			.channel = pl_json_str(row, "channel"),
			.address = pl_json_str(row, "address"),
			.template_name = pl_json_str(row, "event"),
			.params = json_is_object(params) ? params : NULL,
		};
		char *payload = outbox__payload(row, m.params);
		json_t *empty = json_object();
		int attempts = (int)json_integer_value(json_object_get(row, "attempts"));

		if (!m.params)
			m.params = empty;
		if (!m.address)
			m.address = "";
		m.payload = payload;
		enum desk_notify_result res = DESK_NOTIFY_PERMANENT;
		if (desk_notify_driver(n, m.channel ? m.channel : "", &ops, &ctx)) {
			state = "skipped";
			pl_strlcpy(m.error, "channel not configured", sizeof(m.error));
		} else {
			res = ops->send(ctx, &m);
			state = res == DESK_NOTIFY_OK ? "sent"
				: res == DESK_NOTIFY_RETRY && attempts < pol->max_attempts ? "pending"
				: "dead";
		}
		int64_t done_ms = pl_time_now_ms();
		pl_time_format(done_ms, at);
		double jitter;
		{
			uint32_t r32;
			pl_random(&r32, sizeof(r32));
			jitter = (double)r32 / 4294967295.0;
		}
		pl_time_format(done_ms + desk_outbox_backoff_ms(attempts, pol->backoff_base_ms,
							       pol->backoff_max_ms, jitter), next);
		if (!strcmp(state, "sent"))
			ok++;
		else
			bad++;
		if ((rc = store_conn_get(st, &c)) == 0) {
			rc = outbox__mark(c, row, lease, state, !strcmp(state, "pending") ? next : at,
					  !strcmp(state, "sent") ? at : NULL, m.provider_id, m.error);
			store_conn_put(c);
			c = NULL;
		}
		json_decref(empty);
		free(payload);
		if (rc)
			goto out; /* the row stays claimed; its lease runs out and it is retried */
	}
out:
	if (c)
		store_conn_put(c);
	json_decref(rows);
	if (sent)
		*sent = ok;
	if (failed)
		*failed = bad;
	return rc;
}

/* ---------------------------------------------------------------- list */

int desk_outbox_list(struct store_conn *c, const char *state, const char *request_id,
		     int64_t limit, int64_t offset, json_t **out)
{
	static const char *const states[] = { "pending", "sending", "sent", "dead", "skipped" };
	json_t *items = NULL, *cnt = NULL;
	bool ok = !state;
	int rc;

	*out = NULL;
	for (size_t i = 0; state && i < sizeof(states) / sizeof(states[0]); i++)
		ok |= !strcmp(state, states[i]);
	if (!ok || limit < 1 || limit > 500 || offset < 0)
		return PL_EINVAL;
	struct store_param p[] = {
		SP_TEXT(state), SP_TEXT(state), SP_TEXT(request_id), SP_TEXT(request_id),
		SP_INT(limit), SP_INT(offset),
	};
	const char *where = " FROM notify_outbox WHERE (? IS NULL OR state = ?) AND "
			    "(? IS NULL OR request_id = ?)";
	char sql[600];
	snprintf(sql, sizeof(sql), "SELECT " OUTBOX_COLS "%s ORDER BY created_at DESC, id DESC "
		 "LIMIT ? OFFSET ?", where);
	if ((rc = store_query_json(c, sql, p, 6, (size_t)limit, &items)))
		goto out;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) AS n%s", where);
	if ((rc = store_query_one(c, sql, p, 4, &cnt)))
		goto out;
	*out = json_pack("{s:O, s:O}", "items", items, "total", json_object_get(cnt, "n"));
out:
	json_decref(items);
	json_decref(cnt);
	return rc;
}

/* -------------------------------------------------------------- sender */

struct desk_notify_sender {
	struct store *st;            /* borrowed */
	const struct desk_notify *n; /* borrowed */
	struct pl_log *log;          /* borrowed */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* signalled by stop */
	bool stop;                   /* guarded by mu */
};

static void *outbox__sender_main(void *arg)
{
	struct desk_notify_sender *s = arg;
	struct desk_outbox_policy pol;
	int64_t poll_ms;

	desk__notify_policy(s->n, &pol, &poll_ms);
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		pthread_mutex_unlock(&s->mu);
		int sent = 0, failed = 0;
		int rc = desk_outbox_pass(s->st, s->n, &pol, pl_time_now_ms(), &sent, &failed);
		if (rc)
			pl_warn(s->log, "notify", "outbox pass failed: %s", pl_strerror(rc));
		else if (sent || failed)
			pl_info(s->log, "notify", "outbox: %d sent, %d not sent", sent, failed);
		pthread_mutex_lock(&s->mu);
		/* a full batch means more may be due: go again at once */
		if (rc == 0 && sent + failed >= pol.limit)
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += poll_ms / 1000;
		ts.tv_nsec += (poll_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int desk_notify_sender_start(struct store *st, const struct desk_notify *n,
			     struct pl_log *log, struct desk_notify_sender **out)
{
	struct desk_notify_sender *s = pl_calloc(1, sizeof(*s));
	s->st = st;
	s->n = n;
	s->log = log;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, outbox__sender_main, s)) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		*out = NULL;
		return PL_EIO;
	}
	*out = s;
	return 0;
}

void desk_notify_sender_stop(struct desk_notify_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* ------------------------------------------------------------- inbound */

#define INBOUND_TEXT_MAX 1000
#define INBOUND_ID_MAX 128

static int outbox__inbound_record(struct store_conn *c, const char *provider, const char *mid,
				  const char *phone, const char *ent, const char *req,
				  const char *result, const char *text, const char *now)
{
	int64_t ch = 0;
	struct store_param p[] = {
		SP_TEXT(provider), SP_TEXT(mid), SP_TEXT(phone), ent ? SP_TEXT(ent) : SP_NULL,
		req ? SP_TEXT(req) : SP_NULL, SP_TEXT(result), SP_TEXT(text), SP_TEXT(now),
	};
	int rc = store_exec(c, "INSERT INTO notify_inbound (provider, message_id, phone, "
			    "enterprise_id, request_id, result, text, received_at) VALUES "
			    "(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, message_id) DO NOTHING",
			    p, STORE_NP(p), &ch);
	/* a concurrent twin got there first: roll back, and its retry
	 * answers "duplicate" */
	return rc ? rc : ch == 1 ? 0 : PL_EBUSY;
}

/* The enterprise whose contact number (or an enterprise user's notify
 * phone) is phone, into ent ("" when none). */
static int outbox__enterprise_by_phone(struct store_conn *c, const char *phone,
				       char ent[PL_ID_LEN + 1])
{
	struct store_rows *r = NULL;
	char like[32], e164[DESK_PHONE_MAX];
	size_t len = strlen(phone);
	int rc;

	ent[0] = '\0';
	/* stored numbers may be in any accepted spelling: narrow by the last
	 * eight digits, then compare normalised forms */
	snprintf(like, sizeof(like), "%%%s", len > 8 ? phone + len - 8 : phone);
	struct store_param p[] = { SP_TEXT(like) };
	rc = store_query(c, "SELECT id, contact_phone FROM enterprises WHERE contact_phone LIKE ? "
			 "ORDER BY id LIMIT 50", p, 1, &r);
	while (rc == 0 && (rc = store_rows_next(r)) == 1) {
		if (desk_phone_normalize(store_rows_text(r, 1), e164, NULL, 0) == 0 &&
		    !strcmp(e164, phone)) {
			pl_strlcpy(ent, store_rows_text(r, 0), PL_ID_LEN + 1);
			break;
		}
	}
	store_rows_free(r);
	r = NULL;
	if (rc < 0 || ent[0])
		return rc < 0 ? rc : 0;
	struct store_param q[] = { SP_TEXT(phone) };
	rc = store_query(c, "SELECT u.enterprise_id FROM notify_contacts nc JOIN users u ON "
			 "u.id = nc.user_id WHERE nc.phone = ? AND u.role = 'enterprise' AND "
			 "u.disabled = 0 AND u.enterprise_id IS NOT NULL ORDER BY u.id LIMIT 1",
			 q, 1, &r);
	if (rc == 0 && (rc = store_rows_next(r)) == 1)
		pl_strlcpy(ent, store_rows_text(r, 0), PL_ID_LEN + 1);
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* A title from the message: its first line, cut at 60 bytes on a UTF-8
 * character boundary. */
static void outbox__title(const char *text, char *out, size_t outsz)
{
	size_t n = strcspn(text, "\r\n");
	if (n > 60)
		n = 60;
	while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--; /* do not split a character */
	if (n + 1 > outsz)
		n = outsz - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

int desk_notify_inbound_sms(const struct desk_svc *svc, struct store_conn *c,
			    const char *provider, const char *message_id, const char *from,
			    const char *text, int64_t now_ms, json_t **out, char *err, size_t errsz)
{
	char phone[DESK_PHONE_MAX], ent[PL_ID_LEN + 1], now[PL_TIME_STRLEN], since[PL_TIME_STRLEN];
	char title[80], why[160] = "";
	json_t *prev = NULL, *open = NULL, *made = NULL;
	const char *result, *req = NULL;
	int rc;

	*out = NULL;
	err[0] = '\0';
	if (!message_id || !*message_id || strlen(message_id) > INBOUND_ID_MAX) {
		snprintf(err, errsz, "field 'message_id' must be 1 to %d bytes", INBOUND_ID_MAX);
		return PL_EINVAL;
	}
	if (!from || desk_phone_normalize(from, phone, why, sizeof(why))) {
		snprintf(err, errsz, "field 'from': %s", why[0] ? why : "required");
		return PL_EINVAL;
	}
	if (!text || !*text || strlen(text) > INBOUND_TEXT_MAX) {
		snprintf(err, errsz, "field 'text' must be 1 to %d bytes", INBOUND_TEXT_MAX);
		return PL_EINVAL;
	}
	bool blank = true;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f) {
			snprintf(err, errsz, "field 'text' contains a control character");
			return PL_EINVAL;
		}
		blank &= *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t';
	}
	if (blank) {
		snprintf(err, errsz, "field 'text' must not be empty");
		return PL_EINVAL;
	}
	struct store_param d[] = { SP_TEXT(provider), SP_TEXT(message_id) };
	rc = store_query_one(c, "SELECT result, request_id FROM notify_inbound WHERE provider = ? "
			     "AND message_id = ?", d, 2, &prev);
	if (rc == 0) {
		*out = json_pack("{s:s, s:O, s:s}", "result", "duplicate", "request_id",
				 json_object_get(prev, "request_id"), "first_result",
				 pl_json_str(prev, "result"));
		goto out;
	}
	if (rc != PL_ENOTFOUND)
		goto out;
	pl_time_format(now_ms, now);
	if ((rc = outbox__enterprise_by_phone(c, phone, ent)))
		goto out;
	if (!ent[0]) {
		result = "unknown_sender";
	} else {
		pl_time_format(now_ms - 24 * 3600 * 1000LL, since);
		struct store_param o[] = { SP_TEXT(ent), SP_TEXT(since) };
		rc = store_query_one(c, "SELECT id FROM requests WHERE enterprise_id = ? AND "
				     "channel = 'sms' AND created_at >= ? AND state NOT IN "
				     "('resolved', 'rated', 'closed') ORDER BY created_at DESC, id DESC "
				     "LIMIT 1", o, 2, &open);
		if (rc == 0) {
			result = "appended";
			req = pl_json_str(open, "id");
		} else if (rc == PL_ENOTFOUND) {
			struct desk_err de = { .text = "" };
			outbox__title(text, title, sizeof(title));
			struct desk_request_new in = {
				.enterprise_id = ent, .channel = "sms", .category = "consult",
				.urgency = "normal", .title = title[0] ? title : "短信", .description = text,
			};
			if ((rc = desk_request_create(svc, c, NULL, &in, now_ms, &made, &de))) {
				snprintf(err, errsz, "%s", de.text);
				goto out;
			}
			result = "created";
			req = pl_json_str(made, "id");
		} else {
			goto out;
		}
	}
	if ((rc = outbox__inbound_record(c, provider, message_id, phone, ent[0] ? ent : NULL, req,
					 result, text, now)))
		goto out;
	*out = json_pack("{s:s, s:s?, s:s?}", "result", result, "request_id", req,
			 "enterprise_id", ent[0] ? ent : NULL);
out:
	if (rc && !err[0])
		snprintf(err, errsz, "recording the message failed: %s", pl_strerror(rc));
	json_decref(prev);
	json_decref(open);
	json_decref(made);
	return rc;
}
