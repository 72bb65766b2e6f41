/*
 * subscribe.c - subscriptions to named EPCIS queries (
 * /epcis/queries/{name}/subscriptions): the repository pushes the query's
 * new results as EPCISQueryDocuments to the subscriber's webhook (dest),
 * on a schedule or as a stream, signed, with retries.
 *
 * NOTES ON THE DESIGN
 *  1. A cursor, not a clock: each subscription remembers the last event it
 *     delivered as (record_time_ms, row id) - the repository's own page
 *     order (repo.c note 4) - and each run asks for the events after it,
 *     1,000 at a time, ascending. The cursor moves only after the webhook
 *     answered 2xx, in the same UPDATE that records the delivery, so a
 *     failed delivery is retried from the same place: nothing is skipped,
 *     and nothing is sent twice unless the daemon dies between the 2xx and
 *     that UPDATE (at-least-once at that one point).
 *  2. Settling: an event is offered only once its recordTime is
 *     TRACE_SUB_SETTLE_MS old. On PostgreSQL two capture transactions can
 *     commit out of recordTime order; an event that became visible after
 *     the cursor passed its time would otherwise be skipped for ever. On
 *     SQLite (one writer) the lag only delays streaming by that much.
 *  3. Streaming subscriptions are polled every TRACE_SUB_POLL_MS (and again
 *     at once while a run filled a whole page); scheduled ones run at the
 *     next time their schedule matches (UTC, note 5).
 *  4. Claiming: a worker takes a due subscription by moving its next_run_ms
 *     ahead by a lease in a conditional UPDATE (WHERE next_run_ms = the
 *     value read); a second daemon's worker finds the row changed and skips
 *     it. The run then sets the real next time.
 *  5. Schedule: the EPCIS QuerySchedule fields second, minute, hour,
 *     dayOfMonth, month, dayOfWeek (1 = Monday .. 7), each a comma list of
 *     numbers or ranges ("5", "1,15", "1-5" or "[1-5]"). A field left out
 *     matches any value when a finer field is given and its minimum
 *     otherwise, so {"hour": "1", "minute": "5"} is 01:05:00 every day and
 *     {"minute": "5"} is every hour at :05:00 - as cron reads them. Times
 *     are UTC.
 *  6. Retries: a failed delivery (connection refused, timeout, non-2xx) is
 *     retried after 1 s, 2 s, 4 s ... capped at TRACE_SUB_BACKOFF_MAX_MS;
 *     the attempt count and last error are shown by the GET of the list.
 *  7. Signature: with a signatureToken, each POST carries
 *     GS1-Signature: HMAC-SHA256(signatureToken, body) as lower-case hex,
 *     so the receiver can check the push came from us and is intact.
 */
#include "trace_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#define SUB_PAGE 1000
#define SUB_LEASE_MS 60000
#define SUB_YEARS_AHEAD 5 /* a schedule with no match within this is refused */

/* ------------------------------------------------------------- schedule */

struct sub_sched {
	uint64_t f[6]; /* second, minute, hour, dayOfMonth, month, dayOfWeek bit sets */
};

static const struct {
	const char *name;
	int lo, hi;
} sched__fields[6] = {
	{ "second", 0, 59 }, { "minute", 0, 59 }, { "hour", 0, 23 },
	{ "dayOfMonth", 1, 31 }, { "month", 1, 12 }, { "dayOfWeek", 1, 7 },
};

static bool sched__num(const char **p, int *out)
{
	int v = 0, n = 0;
	while (**p >= '0' && **p <= '9' && n < 3) {
		v = v * 10 + (*(*p)++ - '0');
		n++;
	}
	*out = v;
	return n > 0;
}

/* One field's value ("1,5", "[1-5]", "1-5,30") into a bit set. */
static bool sched__field(const char *s, int lo, int hi, uint64_t *set)
{
	const char *p = s;

	*set = 0;
	for (;;) {
		int a, b;
		bool br = *p == '[';
		if (br)
			p++;
		if (!sched__num(&p, &a))
			return false;
		b = a;
		if (*p == '-') {
			p++;
			if (!sched__num(&p, &b))
				return false;
		}
		if (br && *p++ != ']')
			return false;
		if (a < lo || b > hi || a > b)
			return false;
		for (int i = a; i <= b; i++)
			*set |= 1ull << i;
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

static int trace__sub_sched(const json_t *sched, struct sub_sched *out,
			    struct trace_query_error *err)
{
	const char *k;
	json_t *v;
	int finest = -1;

	memset(out, 0, sizeof(*out));
	err->exception = "SubscriptionControlsException";
	if (!json_is_object(sched) || json_object_size(sched) == 0) {
		pl_strlcpy(err->text, "schedule: must be an object with at least one field",
			   sizeof(err->text));
		return PL_EINVAL;
	}
	json_object_foreach((json_t *)sched, k, v) {
		int i = 0;
		while (i < 6 && strcmp(k, sched__fields[i].name))
			i++;
		if (i == 6) {
			snprintf(err->text, sizeof(err->text), "schedule.%.40s: not a schedule field", k);
			return PL_EINVAL;
		}
		if (!json_is_string(v) || !sched__field(json_string_value(v), sched__fields[i].lo,
							 sched__fields[i].hi, &out->f[i])) {
			snprintf(err->text, sizeof(err->text), "schedule.%s: a list of numbers or "
				 "ranges within %d..%d", k, sched__fields[i].lo, sched__fields[i].hi);
			return PL_EINVAL;
		}
		if (i < 3 && (finest < 0 || i < finest))
			finest = i;
	}
	for (int i = 0; i < 6; i++) {
		if (json_object_get(sched, sched__fields[i].name))
			continue;
		/* note 5: finer than the finest given -> its minimum; else any */
		if (i < 3 && (finest < 0 || i < finest))
			out->f[i] = 1ull << sched__fields[i].lo;
		else
			for (int b = sched__fields[i].lo; b <= sched__fields[i].hi; b++)
				out->f[i] |= 1ull << b;
	}
	return 0;
}

/* Civil date of days since 1970-01-01 (H. Hinnant's algorithm). */
static void sched__civil(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t sched__next(const struct sub_sched *s, int64_t after_ms)
{
	int64_t t = after_ms / 1000 + 1, limit = t + SUB_YEARS_AHEAD * 366 * 86400LL;

	while (t < limit) {
		int64_t days = t / 86400, sod = t % 86400;
		int y, mo, d, h = (int)(sod / 3600), mi = (int)(sod / 60 % 60), se = (int)(sod % 60);
		int dow = (int)((days + 3) % 7) + 1; /* 1970-01-01 was a Thursday (4) */
		sched__civil(days, &y, &mo, &d);
		if (!(s->f[4] >> mo & 1) || !(s->f[3] >> d & 1) || !(s->f[5] >> dow & 1)) {
			t = (days + 1) * 86400;
			continue;
		}
		if (!(s->f[2] >> h & 1)) {
			t = t - sod % 3600 + 3600;
			continue;
		}
		if (!(s->f[1] >> mi & 1)) {
			t = t - se + 60;
			continue;
		}
		if (!(s->f[0] >> se & 1)) {
			t++;
			continue;
		}
		return t * 1000;
	}
	return -1;
}

/* --------------------------------------------------------- the records */

static const char *sub__owner(const char *tenant)
{
	return tenant ? tenant : "*";
}

int trace_sub_create(struct store_conn *c, const char *tenant, const char *actor,
		     const char *query_name, const json_t *body, json_t **out,
		     struct trace_query_error *err)
{
	const char *dest = pl_json_str(body, "dest"), *tok = pl_json_str(body, "signatureToken");
	const char *irt = pl_json_str(body, "initialRecordTime");
	const json_t *sched = json_object_get(body, "schedule");
	bool stream = json_is_true(json_object_get(body, "stream"));
	bool rie = json_is_true(json_object_get(body, "reportIfEmpty"));
	struct sub_sched s;
	char id[PL_ID_LEN + 1], now[PL_TIME_STRLEN];
	int64_t now_ms = pl_time_now_ms(), cursor = now_ms, next;
	json_t *q = NULL;
	char *sched_s = NULL;
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	err->exception = "SubscriptionControlsException";
	if (!dest || (strncmp(dest, "http://", 7) && strncmp(dest, "https://", 8)) ||
	    strlen(dest) > 2000 || strpbrk(dest, " \r\n\t")) {
		pl_strlcpy(err->text, "dest: an http:// or https:// URL", sizeof(err->text));
		return PL_EINVAL;
	}
	if (!!sched == stream) {
		pl_strlcpy(err->text, "give either schedule or stream: true, not both, not neither",
			   sizeof(err->text));
		return PL_EINVAL;
	}
	if (sched && (rc = trace__sub_sched(sched, &s, err)))
		return rc;
	if (irt && pl_time_parse(irt, &cursor)) {
		pl_strlcpy(err->text, "initialRecordTime: an RFC 3339 date-time", sizeof(err->text));
		return PL_EINVAL;
	}
	if (tok && strlen(tok) > 256) {
		pl_strlcpy(err->text, "signatureToken: at most 256 bytes", sizeof(err->text));
		return PL_EINVAL;
	}
	next = sched ? sched__next(&s, now_ms) : now_ms;
	if (next < 0) {
		pl_strlcpy(err->text, "schedule: never matches", sizeof(err->text));
		return PL_EINVAL;
	}
	if ((rc = trace_named_get(c, tenant, query_name, &q)))
		return rc;
	json_decref(q);
	pl_id_new(id);
	pl_time_format(now_ms, now);
	sched_s = sched ? pl_json_dump(sched) : NULL;
	/* a cursor just before initialRecordTime: events at that ms are included */
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(sub__owner(tenant)), SP_TEXT(query_name), SP_TEXT(dest),
		SP_TEXT(tok), SP_INT(rie), SP_INT(stream), SP_TEXT(sched_s), SP_TEXT(irt),
		SP_INT(irt ? cursor - 1 : cursor), SP_INT(next), actor ? SP_TEXT(actor) : SP_NULL,
		SP_TEXT(now),
	};
	rc = store_exec(c, "INSERT INTO trace_subscriptions (id, owner, query_name, dest, "
			   "signature_token, report_if_empty, stream, schedule_json, "
			   "initial_record_time, cursor_ms, cursor_row, next_run_ms, attempts, "
			   "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '~', ?, 0, ?, ?)",
			p, STORE_NP(p), NULL);
	free(sched_s);
	if (rc)
		return rc;
	*out = json_pack("{s:s, s:s}", "subscriptionID", id, "createdAt", now);
	return 0;
}

static json_t *sub__row_json(json_t *row)
{
	json_t *o = json_pack("{s:O, s:O, s:b, s:O, s:O, s:O, s:O, s:O}",
			      "subscriptionID", json_object_get(row, "id"),
			      "dest", json_object_get(row, "dest"),
			      "reportIfEmpty",
			      json_integer_value(json_object_get(row, "report_if_empty")) != 0,
			      "initialRecordTime", json_object_get(row, "initial_record_time"),
			      "createdAt", json_object_get(row, "created_at"),
			      "lastDeliveryAt", json_object_get(row, "last_delivery_at"),
			      "failedAttempts", json_object_get(row, "attempts"),
			      "lastError", json_object_get(row, "last_error"));
	if (json_integer_value(json_object_get(row, "stream")))
		json_object_set_new(o, "stream", json_true());
	else
		json_object_set(o, "schedule", json_object_get(row, "schedule_json"));
	return o;
}

int trace_sub_list(struct store_conn *c, const char *tenant, const char *query_name,
		   json_t **out)
{
	json_t *rows = NULL, *q = NULL;
	struct store_param p[] = { SP_TEXT(sub__owner(tenant)), SP_TEXT(query_name) };
	int rc;

	*out = NULL;
	if ((rc = trace_named_get(c, tenant, query_name, &q)))
		return rc;
	json_decref(q);
	rc = store_query_json(c, "SELECT id, dest, report_if_empty, stream, schedule_json, "
				 "initial_record_time, created_at, last_delivery_at, attempts, "
				 "last_error FROM trace_subscriptions WHERE owner = ? AND "
				 "query_name = ? ORDER BY id", p, 2, 1000, &rows);
	if (rc)
		return rc;
	*out = json_array();
	for (size_t i = 0; i < json_array_size(rows); i++)
		json_array_append_new(*out, sub__row_json(json_array_get(rows, i)));
	json_decref(rows);
	return 0;
}

int trace_sub_delete(struct store_conn *c, const char *tenant, const char *query_name,
		     const char *id)
{
	struct store_param p[] = { SP_TEXT(id), SP_TEXT(sub__owner(tenant)), SP_TEXT(query_name) };
	int64_t changes = 0;
	int rc = store_exec(c, "DELETE FROM trace_subscriptions WHERE id = ? AND owner = ? AND "
			       "query_name = ?", p, 3, &changes);
	return rc ? rc : changes ? 0 : PL_ENOTFOUND;
}

/* ------------------------------------------------------------- delivery */

static size_t sub__discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

/* POSTs body to dest; 0 on a 2xx, else PL_EIO with why filled in. */
static int sub__post(const char *dest, const char *token, const char *body, char why[200])
{
	struct curl_slist *hl = NULL;
	CURL *h = curl_easy_init();
	long status = 0;
	int rc = PL_EIO;

	why[0] = '\0';
	if (!h) {
		pl_strlcpy(why, "curl_easy_init failed", 200);
		return PL_EIO;
	}
	hl = curl_slist_append(hl, "Content-Type: application/ld+json");
	hl = curl_slist_append(hl, "GS1-EPCIS-Version: 2.0.0");
	hl = curl_slist_append(hl, "Expect:");
	if (token && *token) {
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		crypto_auth_hmacsha256_state st;
		char hex[2 * sizeof(mac) + 1], hdr[32 + sizeof(hex)];
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)token, strlen(token));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
		crypto_auth_hmacsha256_final(&st, mac);
		pl_hex(mac, sizeof(mac), hex);
		pl_fmt(hdr, sizeof(hdr), "GS1-Signature: %s", hex);
		hl = curl_slist_append(hl, hdr);
	}
	curl_easy_setopt(h, CURLOPT_URL, dest);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TRACE_SUB_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)TRACE_SUB_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sub__discard);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "parkline-epcis/1");
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(why, 200, "%s", curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300)
			rc = 0;
		else
			snprintf(why, 200, "the webhook answered HTTP %ld", status);
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return rc;
}

/* One due subscription (row): runs its query after the cursor, delivers,
 * moves the cursor or schedules a retry (notes 1, 3, 6). */
static int sub__run(struct store_conn *c, json_t *row, int64_t now_ms)
{
	const char *id = pl_json_str(row, "id"), *owner = pl_json_str(row, "owner");
	const char *tenant = strcmp(owner, "*") ? owner : NULL;
	const char *name = pl_json_str(row, "query_name");
	struct pl_arena *a = pl_arena_new(4u << 20);
	struct trace_query_param *params;
	struct trace_query_error qe = { .exception = NULL };
	struct trace_query q;
	unsigned char key[TRACE_TOKEN_KEY_BYTES];
	json_t *def = NULL, *events = NULL, *contexts = NULL, *doc = NULL;
	char *body = NULL, why[200] = "", last_row[PL_ID_LEN + 2];
	int64_t last_ms = json_integer_value(json_object_get(row, "cursor_ms")), next;
	bool more = false, stream = json_integer_value(json_object_get(row, "stream")) != 0;
	size_t n;
	int rc;

	pl_strlcpy(last_row, pl_json_str(row, "cursor_row"), sizeof(last_row));
	if ((rc = trace_named_get(c, tenant, name, &def)) ||
	    (rc = trace_repo_token_key(c, key)) ||
	    (rc = trace_named_params(json_object_get(def, "query"), a, &params, &n, &qe)) ||
	    (rc = trace_query_parse(params, n, key, a, &q, &qe)))
		goto out;
	/* the cursor's order (note 1), whatever the definition asked for */
	q.order_by = TRACE_ORDER_NONE;
	q.order_desc = false;
	q.event_count_limit = q.max_event_count = 0;
	q.per_page = SUB_PAGE;
	q.has_page_token = true;
	q.after_record_time_ms = last_ms;
	pl_strlcpy(q.after_event_id, last_row, sizeof(q.after_event_id));
	int64_t settled = now_ms - TRACE_SUB_SETTLE_MS; /* note 2 */
	if (!q.has_lt_record_time || q.lt_record_time_ms > settled) {
		q.has_lt_record_time = true;
		q.lt_record_time_ms = settled;
	}
	if ((rc = trace__repo_query_cursor(c, tenant, &q, a, &events, &contexts, &last_ms,
					   last_row, &more)))
		goto out;
	if (json_array_size(events) == 0 && !json_integer_value(json_object_get(row, "report_if_empty")))
		goto schedule;
	doc = trace_query_doc(events, contexts, name);
	events = contexts = NULL;
	body = pl_json_dump(doc);
	if (sub__post(pl_json_str(row, "dest"), pl_json_str(row, "signature_token"), body, why)) {
		int64_t attempts = json_integer_value(json_object_get(row, "attempts")) + 1;
		int64_t back = 1000;
		for (int64_t i = 1; i < attempts && back < TRACE_SUB_BACKOFF_MAX_MS; i++)
			back *= 2;
		if (back > TRACE_SUB_BACKOFF_MAX_MS)
			back = TRACE_SUB_BACKOFF_MAX_MS;
		struct store_param p[] = { SP_INT(attempts), SP_TEXT(why), SP_INT(now_ms + back),
					   SP_TEXT(id) };
		rc = store_exec(c, "UPDATE trace_subscriptions SET attempts = ?, last_error = ?, "
				   "next_run_ms = ? WHERE id = ?", p, STORE_NP(p), NULL);
		goto out;
	}
	{
		char at[PL_TIME_STRLEN];
		pl_time_format(pl_time_now_ms(), at);
		next = more ? now_ms : 0;
		if (!more) {
			json_t *sj = json_object_get(row, "schedule_json");
			struct sub_sched s;
			if (stream || trace__sub_sched(sj, &s, &qe))
				next = now_ms + TRACE_SUB_POLL_MS;
			else
				next = sched__next(&s, now_ms);
		}
		struct store_param p[] = { SP_INT(last_ms), SP_TEXT(last_row), SP_TEXT(at),
					   SP_INT(next < 0 ? INT64_MAX / 2 : next), SP_TEXT(id) };
		rc = store_exec(c, "UPDATE trace_subscriptions SET cursor_ms = ?, cursor_row = ?, "
				   "attempts = 0, last_error = NULL, last_delivery_at = ?, "
				   "next_run_ms = ? WHERE id = ?", p, STORE_NP(p), NULL);
		goto out;
	}
schedule:
	{
		json_t *sj = json_object_get(row, "schedule_json");
		struct sub_sched s;
		next = now_ms + TRACE_SUB_POLL_MS;
		if (!stream && trace__sub_sched(sj, &s, &qe) == 0)
			next = sched__next(&s, now_ms);
		struct store_param p[] = { SP_INT(next < 0 ? INT64_MAX / 2 : next), SP_TEXT(id) };
		rc = store_exec(c, "UPDATE trace_subscriptions SET next_run_ms = ? WHERE id = ?", p,
				STORE_NP(p), NULL);
	}
out:
	if (rc && rc != PL_EDB && rc != PL_EBUSY) {
		/* the query itself broke (deleted, no longer parses): park it */
		struct store_param p[] = { SP_TEXT(qe.text[0] ? qe.text : pl_strerror(rc)),
					   SP_INT(now_ms + TRACE_SUB_BACKOFF_MAX_MS), SP_TEXT(id) };
		store_exec(c, "UPDATE trace_subscriptions SET last_error = ?, next_run_ms = ? "
			      "WHERE id = ?", p, STORE_NP(p), NULL);
	}
	free(body);
	json_decref(doc);
	json_decref(events);
	json_decref(contexts);
	json_decref(def);
	pl_arena_free(a);
	return rc;
}

int trace_sub_run_due(struct store_conn *c, int *ran)
{
	json_t *rows = NULL;
	int64_t now_ms = pl_time_now_ms();
	struct store_param p[] = { SP_INT(now_ms) };
	int rc;

	*ran = 0;
	rc = store_query_json(c, "SELECT id, owner, query_name, dest, signature_token, "
				"report_if_empty, stream, schedule_json, cursor_ms, cursor_row, "
				"next_run_ms, attempts FROM trace_subscriptions WHERE next_run_ms <= ? "
				"ORDER BY next_run_ms", p, 1, 100, &rows);
	for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++) {
		json_t *row = json_array_get(rows, i);
		int64_t changes = 0;
		/* note 4: the claim */
		struct store_param pc[] = { SP_INT(now_ms + SUB_LEASE_MS), SP_TEXT(pl_json_str(row, "id")),
					    SP_INT(json_integer_value(json_object_get(row, "next_run_ms"))) };
		rc = store_exec(c, "UPDATE trace_subscriptions SET next_run_ms = ? WHERE id = ? AND "
				   "next_run_ms = ?", pc, STORE_NP(pc), &changes);
		if (rc || !changes)
			continue;
		int r = sub__run(c, row, now_ms);
		if (r == PL_EDB || r == PL_EBUSY)
			rc = r;
		(*ran)++;
	}
	json_decref(rows);
	return rc;
}
