/*
 * query.c - the EPCIS 2.0 REST query parameters (GET /events and the
 * named-query endpoints) parsed, checked and canonicalised into a struct
 * trace_query the store can run, plus the opaque nextPageToken.
 *
 * Why here and not in http: what a parameter means is EPCIS semantics.
 * Values are canonicalised exactly as rows.c canonicalises captured events
 * (identifiers to canonical Digital Links, CBV words to URIs, times to UTC
 * milliseconds rounded like the hash), so the store compares plain strings
 * and integers: MATCH_epc=urn:epc:id:sgtin:... finds an event captured
 * with a Digital Link.
 *
 * Errors carry the standard's exception name (QueryParameterException,
 * or ImplementationException for parameters we do not support yet) and a
 * sentence naming the parameter. Contradictions the standard names are
 * errors: eventCountLimit with maxEventCount, eventCountLimit without
 * orderBy, a GE_ bound not before its LT_ bound, a repeated parameter.
 *
 * Page tokens encode the last (recordTime, eventID) of a page - stable
 * under concurrent appends, since new events sort after it - sealed with a
 * keyed MAC (libsodium crypto_auth, key held by the server) so a client
 * can neither forge nor corrupt one unnoticed; base64url, no padding.
 *
 * Memory: everything in struct trace_query lives in the caller's arena.
 */
#include "trace_int.h"

#include <sodium.h>

struct qctx {
	struct pl_arena *a;
	struct trace_query_error *err;
	int rc;
};

static int qerr(struct qctx *q, int rc, const char *exc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int qerr(struct qctx *q, int rc, const char *exc, const char *fmt, ...)
{
	va_list ap;

	if (q->rc)
		return q->rc; /* the first error is the one reported */
	q->rc = rc;
	q->err->exception = exc;
	va_start(ap, fmt);
	vsnprintf(q->err->text, sizeof(q->err->text), fmt, ap);
	va_end(ap);
	return rc;
}

#define QPE "QueryParameterException"

static const char *qdup(struct qctx *q, const char *s)
{
	char *d = pl_arena_strdup(q->a, s);
	if (!d)
		qerr(q, PL_ETOOBIG, QPE, "query too large");
	return d;
}

/* Splits a pipe-delimited value into a list of canonical strings: with
 * voc, its bare words become URIs; everything else must be a URI, and GS1
 * keys (checked) become canonical Digital Links. At most
 * TRACE_QUERY_VALUES_MAX values, each shorter than TRACE_ID_MAX. */
static int q_list(struct qctx *q, const char *name, const char *value,
		  const struct trace__vocab *voc, struct trace_query_list *out)
{
	size_t n = 1, i = 0;
	const char *p, *start;

	if (out->n)
		return qerr(q, PL_EINVAL, QPE, "%s: given more than once", name);
	if (!*value)
		return qerr(q, PL_EINVAL, QPE, "%s: needs at least one value", name);
	for (p = value; *p; p++)
		n += *p == '|';
	if (n > TRACE_QUERY_VALUES_MAX)
		return qerr(q, PL_ETOOBIG, QPE, "%s: more than %d values", name,
			    TRACE_QUERY_VALUES_MAX);
	out->v = pl_arena_alloc(q->a, n * sizeof(*out->v));
	if (!out->v)
		return qerr(q, PL_ETOOBIG, QPE, "query too large");
	for (start = p = value;; p++) {
		if (*p != '|' && *p)
			continue;
		char item[TRACE_ID_MAX];
		size_t len = (size_t)(p - start);
		if (len == 0 || len >= sizeof(item))
			return qerr(q, PL_EINVAL, QPE, "%s: empty or overlong value", name);
		memcpy(item, start, len);
		item[len] = '\0';
		if (voc && trace__vocab_has(voc, item)) {
			out->v[i] = pl_arena_printf(q->a, "%s%s", voc->prefix, item);
		} else if (!trace__is_uri(item)) {
			if (voc && !*voc->prefix) /* actions, event type names */
				return qerr(q, PL_EINVAL, QPE, "%s: '%.60s' is not a valid %s",
					    name, item, voc->field);
			return qerr(q, PL_EINVAL, QPE, voc ?
				    "%s: '%.60s' is neither a CBV word nor a URI" :
				    "%s: '%.60s' is not a URI", name, item);
		} else {
			struct trace_id id;
			const char *why = "";
			int rc = trace_id_parse(item, &id, &why);
			if (rc == PL_EINVAL || rc == PL_ETOOBIG)
				return qerr(q, PL_EINVAL, QPE, "%s: '%.60s': %s", name, item, why);
			out->v[i] = qdup(q, rc == 0 ? id.canon : item);
		}
		if (!out->v[i])
			return qerr(q, PL_ETOOBIG, QPE, "query too large");
		i++;
		if (!*p)
			break;
		start = p + 1;
	}
	out->n = i;
	return 0;
}

static int q_time(struct qctx *q, const char *name, const char *value,
		  bool *has, int64_t *ms)
{
	int64_t secs;
	int f4;

	if (*has)
		return qerr(q, PL_EINVAL, QPE, "%s: given more than once", name);
	if (!trace__time_parse(value, &secs, &f4))
		return qerr(q, PL_EINVAL, QPE, "%s: '%.40s' is not an RFC 3339 date-time "
			    "with a time zone", name, value);
	*has = true;
	*ms = secs * 1000 + f4 / 10 + (f4 % 10 >= 5);
	return 0;
}

static int q_count(struct qctx *q, const char *name, const char *value,
		   int64_t max, int64_t *out)
{
	if (*out)
		return qerr(q, PL_EINVAL, QPE, "%s: given more than once", name);
	if (pl_parse_i64(value, 1, max, out) != 0)
		return qerr(q, PL_EINVAL, QPE, "%s: must be a whole number from 1 to %lld",
			    name, (long long)max);
	return 0;
}

/* EQ_bizTransaction_{type} and friends: the type part is a CBV word or a
 * URI. */
static int q_typed(struct qctx *q, const char *name, const char *type,
		   const char *value, const struct trace__vocab *voc,
		   struct trace_query_typed *t)
{
	if (t->n == TRACE_QUERY_TYPED_MAX)
		return qerr(q, PL_ETOOBIG, QPE, "%s: too many typed parameters", name);
	if (trace__vocab_has(voc, type))
		t->type[t->n] = pl_arena_printf(q->a, "%s%s", voc->prefix, type);
	else if (trace__is_uri(type))
		t->type[t->n] = qdup(q, type);
	else
		return qerr(q, PL_EINVAL, QPE, "%s: '%.60s' is neither a CBV %s nor a URI",
			    name, type, voc->field);
	for (size_t i = 0; i < t->n; i++)
		if (t->type[i] && strcmp(t->type[i], t->type[t->n]) == 0)
			return qerr(q, PL_EINVAL, QPE, "%s: given more than once", name);
	memset(&t->values[t->n], 0, sizeof(t->values[t->n]));
	if (q_list(q, name, value, NULL, &t->values[t->n]))
		return q->rc;
	t->n++;
	return 0;
}

static const char *const ev_types[] = {
	"ObjectEvent", "AggregationEvent", "TransactionEvent",
	"TransformationEvent", "AssociationEvent",
};
static const char *const actions[] = { "ADD", "OBSERVE", "DELETE" };
static const struct trace__vocab q_voc_actions = {
	"action", actions, 3, "",
};
/* Event type names as a "vocabulary" whose words expand to themselves. */
static const struct trace__vocab q_voc_types = {
	"event type", ev_types, sizeof(ev_types) / sizeof(ev_types[0]), "",
};

int trace_query_parse(const struct trace_query_param *params, size_t n,
		      const unsigned char key[TRACE_TOKEN_KEY_BYTES],
		      struct pl_arena *a, struct trace_query *out,
		      struct trace_query_error *err)
{
	struct qctx q = { a, err, 0 };
	static const struct {
		const char *name;
		size_t off;
		const struct trace__vocab *voc;
	} lists[] = {
		{ "EQ_readPoint", offsetof(struct trace_query, eq_read_point), NULL },
		{ "EQ_bizLocation", offsetof(struct trace_query, eq_biz_location), NULL },
		{ "EQ_transformationID", offsetof(struct trace_query, eq_transformation_id), NULL },
		{ "EQ_eventID", offsetof(struct trace_query, eq_event_id), NULL },
		{ "MATCH_epc", offsetof(struct trace_query, match_epc), NULL },
		{ "MATCH_parentID", offsetof(struct trace_query, match_parent_id), NULL },
		{ "MATCH_inputEPC", offsetof(struct trace_query, match_input_epc), NULL },
		{ "MATCH_outputEPC", offsetof(struct trace_query, match_output_epc), NULL },
		{ "MATCH_anyEPC", offsetof(struct trace_query, match_any_epc), NULL },
		{ "MATCH_epcClass", offsetof(struct trace_query, match_epc_class), NULL },
		{ "MATCH_inputEPCClass", offsetof(struct trace_query, match_input_epc_class), NULL },
		{ "MATCH_outputEPCClass", offsetof(struct trace_query, match_output_epc_class), NULL },
		{ "MATCH_anyEPCClass", offsetof(struct trace_query, match_any_epc_class), NULL },
		{ "EQ_bizStep", offsetof(struct trace_query, eq_biz_step), &trace__voc_bizstep },
		{ "EQ_disposition", offsetof(struct trace_query, eq_disposition), &trace__voc_disp },
	};

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	out->order_desc = true;
	out->per_page = TRACE_PER_PAGE_DEFAULT;
	if (n > TRACE_QUERY_PARAMS_MAX)
		return qerr(&q, PL_ETOOBIG, QPE, "more than %d query parameters",
			    TRACE_QUERY_PARAMS_MAX);
	for (size_t i = 0; i < n && !q.rc; i++) {
		const char *k = params[i].name, *v = params[i].value ? params[i].value : "";
		bool done = false;

		for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
			if (strcmp(k, lists[l].name) == 0) {
				q_list(&q, k, v, lists[l].voc,
				       (struct trace_query_list *)((char *)out + lists[l].off));
				done = true;
			}
		if (done)
			continue;
		if (!strcmp(k, "eventType")) {
			/* The five names, or URIs naming extension types. */
			q_list(&q, k, v, &q_voc_types, &out->event_type);
		} else if (!strcmp(k, "GE_eventTime")) {
			q_time(&q, k, v, &out->has_ge_event_time, &out->ge_event_time_ms);
		} else if (!strcmp(k, "LT_eventTime")) {
			q_time(&q, k, v, &out->has_lt_event_time, &out->lt_event_time_ms);
		} else if (!strcmp(k, "GE_recordTime")) {
			q_time(&q, k, v, &out->has_ge_record_time, &out->ge_record_time_ms);
		} else if (!strcmp(k, "LT_recordTime")) {
			q_time(&q, k, v, &out->has_lt_record_time, &out->lt_record_time_ms);
		} else if (!strcmp(k, "EQ_action")) {
			struct trace_query_list l = { 0 };
			if (out->actions)
				qerr(&q, PL_EINVAL, QPE, "EQ_action: given more than once");
			else if (q_list(&q, k, v, &q_voc_actions, &l) == 0)
				for (size_t t = 0; t < l.n; t++) {
					if (!strcmp(l.v[t], "ADD"))
						out->actions |= TRACE_ACTION_ADD;
					else if (!strcmp(l.v[t], "OBSERVE"))
						out->actions |= TRACE_ACTION_OBSERVE;
					else if (!strcmp(l.v[t], "DELETE"))
						out->actions |= TRACE_ACTION_DELETE;
					else
						qerr(&q, PL_EINVAL, QPE, "EQ_action: must be ADD, OBSERVE or DELETE");
				}
		} else if (!strncmp(k, "EQ_bizTransaction_", 18)) {
			q_typed(&q, k, k + 18, v, &trace__voc_btt, &out->eq_biz_transaction);
		} else if (!strncmp(k, "EQ_source_", 10)) {
			q_typed(&q, k, k + 10, v, &trace__voc_sdt, &out->eq_source);
		} else if (!strncmp(k, "EQ_destination_", 15)) {
			q_typed(&q, k, k + 15, v, &trace__voc_sdt, &out->eq_destination);
		} else if (!strcmp(k, "orderBy")) {
			if (out->order_by)
				qerr(&q, PL_EINVAL, QPE, "orderBy: given more than once");
			else if (!strcmp(v, "eventTime"))
				out->order_by = TRACE_ORDER_EVENT_TIME;
			else if (!strcmp(v, "recordTime"))
				out->order_by = TRACE_ORDER_RECORD_TIME;
			else
				qerr(&q, PL_EUNSUPPORTED, "ImplementationException",
				     "orderBy: only eventTime and recordTime are supported");
		} else if (!strcmp(k, "orderDirection")) {
			if (out->has_order_direction)
				qerr(&q, PL_EINVAL, QPE, "orderDirection: given more than once");
			else if (strcmp(v, "ASC") && strcmp(v, "DESC"))
				qerr(&q, PL_EINVAL, QPE, "orderDirection: must be ASC or DESC");
			out->has_order_direction = true;
			out->order_desc = strcmp(v, "ASC") != 0;
		} else if (!strcmp(k, "eventCountLimit")) {
			q_count(&q, k, v, INT32_MAX, &out->event_count_limit);
		} else if (!strcmp(k, "maxEventCount")) {
			q_count(&q, k, v, INT32_MAX, &out->max_event_count);
		} else if (!strcmp(k, "perPage")) {
			int64_t pp = 0;
			if (out->has_per_page)
				qerr(&q, PL_EINVAL, QPE, "perPage: given more than once");
			else if (q_count(&q, k, v, TRACE_PER_PAGE_MAX, &pp) == 0)
				out->per_page = (int)pp;
			out->has_per_page = true;
		} else if (!strcmp(k, "nextPageToken")) {
			if (out->has_page_token)
				qerr(&q, PL_EINVAL, QPE, "nextPageToken: given more than once");
			else if (trace_page_token_decode(key, v, &out->after_record_time_ms,
							 out->after_event_id) != 0)
				qerr(&q, PL_EINVAL, "ValidationException",
				     "nextPageToken: malformed, expired or not issued by this server");
			out->has_page_token = true;
		} else if (!strncmp(k, "EQ_", 3) || !strncmp(k, "GT_", 3) || !strncmp(k, "GE_", 3) ||
			   !strncmp(k, "LT_", 3) || !strncmp(k, "LE_", 3) ||
			   !strncmp(k, "EXISTS_", 7) || !strncmp(k, "HASATTR_", 8) ||
			   !strncmp(k, "WD_", 3) || !strncmp(k, "MATCH_", 6)) {
			qerr(&q, PL_EUNSUPPORTED, "ImplementationException",
			     "%.60s: this query parameter is not supported yet", k);
		} else {
			qerr(&q, PL_EINVAL, QPE, "%.60s: unknown query parameter", k);
		}
	}
	if (q.rc)
		return q.rc;
	/* Contradictions the standard names (8.2.7.1). */
	if (out->event_count_limit && out->max_event_count)
		return qerr(&q, PL_EINVAL, QPE, "eventCountLimit and maxEventCount are mutually exclusive");
	if (out->event_count_limit && !out->order_by)
		return qerr(&q, PL_EINVAL, QPE, "eventCountLimit needs orderBy");
	if (out->has_ge_event_time && out->has_lt_event_time &&
	    out->ge_event_time_ms >= out->lt_event_time_ms)
		return qerr(&q, PL_EINVAL, QPE, "GE_eventTime must be before LT_eventTime");
	if (out->has_ge_record_time && out->has_lt_record_time &&
	    out->ge_record_time_ms >= out->lt_record_time_ms)
		return qerr(&q, PL_EINVAL, QPE, "GE_recordTime must be before LT_recordTime");
	return 0;
}

/* ------------------------------------------------------------ page tokens */

#define TOKEN_VERSION 1
/* version + int64 + id + MAC */
#define TOKEN_RAW_MAX (1 + 8 + TRACE_ID_MAX + crypto_auth_BYTES)

int trace_page_token_encode(const unsigned char key[TRACE_TOKEN_KEY_BYTES],
			    int64_t record_time_ms, const char *event_id,
			    char out[TRACE_TOKEN_MAX])
{
	unsigned char raw[TOKEN_RAW_MAX];
	size_t idlen = strlen(event_id), n = 0;
	uint64_t t = (uint64_t)record_time_ms;

	if (idlen == 0 || idlen >= TRACE_ID_MAX)
		return PL_EINVAL;
	raw[n++] = TOKEN_VERSION;
	for (int i = 7; i >= 0; i--)
		raw[n++] = (unsigned char)(t >> (i * 8));
	memcpy(raw + n, event_id, idlen);
	n += idlen;
	crypto_auth(raw + n, raw, n, key);
	n += crypto_auth_BYTES;
	sodium_bin2base64(out, TRACE_TOKEN_MAX, raw, n,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int trace_page_token_decode(const unsigned char key[TRACE_TOKEN_KEY_BYTES],
			    const char *token, int64_t *record_time_ms,
			    char event_id[TRACE_ID_MAX])
{
	unsigned char raw[TOKEN_RAW_MAX];
	size_t n = 0, tl = strnlen(token, TRACE_TOKEN_MAX);
	uint64_t t = 0;

	if (tl == 0 || tl >= TRACE_TOKEN_MAX ||
	    sodium_base642bin(raw, sizeof(raw), token, tl, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n < 1 + 8 + 1 + crypto_auth_BYTES || raw[0] != TOKEN_VERSION ||
	    crypto_auth_verify(raw + n - crypto_auth_BYTES, raw,
			       n - crypto_auth_BYTES, key) != 0)
		return PL_EINVAL;
	for (int i = 1; i <= 8; i++)
		t = (t << 8) | raw[i];
	n -= crypto_auth_BYTES + 9;
	if (memchr(raw + 9, '\0', n))
		return PL_EINVAL;
	memcpy(event_id, raw + 9, n);
	event_id[n] = '\0';
	*record_time_ms = (int64_t)t;
	return 0;
}
