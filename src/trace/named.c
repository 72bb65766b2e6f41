/*
 * named.c - named EPCIS queries (/epcis/queries): a query
 * definition stored under a name and run later through
 * GET /epcis/queries/{name}/events, as the EPCIS 2.0 REST binding's
 * "Queries are like views" describes.
 *
 * NOTES ON THE DESIGN
 *  1. A definition is the JSON object the standard shows,
 *     {"EQ_bizStep": ["shipping", "receiving"], "eventType": ["ObjectEvent"],
 *     "GE_eventTime": "..."}: each member is one REST query parameter, an
 *     array meaning its pipe-delimited list. It is turned into the same
 *     parameter list GET /epcis/events gets and checked by the same
 *     trace_query_parse, so a stored query is valid exactly when the
 *     equivalent URL is, and errors name the parameter the same way. The
 *     definition is stored as given (not canonicalised), and parsed again
 *     at each run; parsing is microseconds.
 *  2. Paging is the run's, not the definition's: perPage and nextPageToken
 *     in a definition are refused, and a run takes them from its URL.
 *  3. Ownership: a query belongs to the enterprise whose user created it
 *     (owner = enterprise id) and only that enterprise sees, runs or
 *     deletes it, with that enterprise's visibility. Park admins and
 *     auditors (trace.read/trace.subscribe scope "any") share one park
 *     namespace, owner '*', whose queries run across enterprises. A name
 *     is unique per owner, so two enterprises may both have "shipments".
 */
#include "trace_int.h"

#include <stdarg.h>
#include <string.h>

#define NAMED_PARK_OWNER "*"
#define NAMED_NUM_MAX 32 /* a number member as text */

static const char *named__owner(const char *tenant)
{
	return tenant ? tenant : NAMED_PARK_OWNER;
}

bool trace_query_name_valid(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++) {
		char ch = name[n];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return false;
	}
	return n >= 1 && n <= TRACE_QUERY_NAME_MAX;
}

static int named__err(struct trace_query_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int named__err(struct trace_query_error *err, const char *fmt, ...)
{
	va_list ap;

	err->exception = "QueryParameterException";
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return PL_EINVAL;
}

int trace_named_params(const json_t *def, struct pl_arena *a,
		       struct trace_query_param **out, size_t *n,
		       struct trace_query_error *err)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (!json_is_object(def))
		return named__err(err, "%s: must be an object of query parameters", "query");
	if (json_object_size(def) > TRACE_QUERY_PARAMS_MAX)
		return named__err(err, "%s: too many parameters", "query");
	*out = pl_arena_alloc(a, (json_object_size(def) + 1) * sizeof(**out));
	if (!*out)
		return named__err(err, "%s: too large", "query");
	json_object_foreach((json_t *)def, k, v) {
		struct pl_buf b;
		if (!strcmp(k, "perPage") || !strcmp(k, "nextPageToken"))
			return named__err(err, "%s: paging belongs to the run's URL, not to a named "
					  "query", k);
		pl_buf_init(&b, TRACE_QUERY_VALUES_MAX * TRACE_ID_MAX);
		if (json_is_string(v)) {
			pl_buf_puts(&b, json_string_value(v));
		} else if (json_is_integer(v)) {
			pl_buf_printf(&b, "%lld", (long long)json_integer_value(v));
		} else if (json_is_array(v) && json_array_size(v) > 0) {
			size_t j;
			json_t *item;
			json_array_foreach(v, j, item) {
				const char *s = json_string_value(item);
				if (!s || strchr(s, '|')) {
					pl_buf_release(&b);
					return named__err(err, "%s: list items must be strings without '|'",
							  k);
				}
				if (j)
					pl_buf_puts(&b, "|");
				pl_buf_puts(&b, s);
			}
		} else {
			pl_buf_release(&b);
			return named__err(err, "%s: must be a string, an integer or a non-empty list "
					  "of strings", k);
		}
		(*out)[i].name = pl_arena_strdup(a, k);
		(*out)[i].value = b.data ? pl_arena_strdup(a, b.data) : "";
		pl_buf_release(&b);
		if (!(*out)[i].name || !(*out)[i].value)
			return named__err(err, "%s: too large", k);
		i++;
	}
	*n = i;
	return 0;
}

int trace_named_create(struct store_conn *c, const char *tenant, const char *actor,
		       const char *name, const json_t *def,
		       const unsigned char key[TRACE_TOKEN_KEY_BYTES],
		       struct trace_query_error *err)
{
	struct pl_arena *a = pl_arena_new(1u << 20);
	struct trace_query_param *params;
	struct trace_query q;
	char now[PL_TIME_STRLEN];
	char *js = NULL;
	size_t n;
	int rc;

	memset(err, 0, sizeof(*err));
	if (!trace_query_name_valid(name)) {
		rc = named__err(err, "name: 1 to 64 letters, digits, '_', '-' or '.'");
		goto out;
	}
	if ((rc = trace_named_params(def, a, &params, &n, err)) ||
	    (rc = trace_query_parse(params, n, key, a, &q, err)))
		goto out;
	js = pl_json_dump(def);
	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = { SP_TEXT(named__owner(tenant)), SP_TEXT(name), SP_TEXT(js),
				   actor ? SP_TEXT(actor) : SP_NULL, SP_TEXT(now) };
	rc = store_exec(c, "INSERT INTO trace_queries (owner, name, query_json, created_by, "
			   "created_at) VALUES (?, ?, ?, ?, ?)", p, STORE_NP(p), NULL);
out:
	free(js);
	pl_arena_free(a);
	return rc;
}

static json_t *named__row_json(json_t *row)
{
	return json_pack("{s:O, s:O, s:O}", "name", json_object_get(row, "name"),
			 "query", json_object_get(row, "query_json"),
			 "createdAt", json_object_get(row, "created_at"));
}

int trace_named_list(struct store_conn *c, const char *tenant, json_t **out)
{
	json_t *rows = NULL;
	struct store_param p[] = { SP_TEXT(named__owner(tenant)) };
	int rc;

	*out = NULL;
	rc = store_query_json(c, "SELECT name, query_json, created_at FROM trace_queries "
				 "WHERE owner = ? ORDER BY name", p, 1, 1000, &rows);
	if (rc)
		return rc;
	*out = json_array();
	for (size_t i = 0; i < json_array_size(rows); i++)
		json_array_append_new(*out, named__row_json(json_array_get(rows, i)));
	json_decref(rows);
	return 0;
}

int trace_named_get(struct store_conn *c, const char *tenant, const char *name, json_t **out)
{
	json_t *row = NULL;
	struct store_param p[] = { SP_TEXT(named__owner(tenant)), SP_TEXT(name) };
	int rc;

	*out = NULL;
	rc = store_query_one(c, "SELECT name, query_json, created_at FROM trace_queries "
				"WHERE owner = ? AND name = ?", p, 2, &row);
	if (rc)
		return rc;
	*out = named__row_json(row);
	json_decref(row);
	return *out ? 0 : PL_EINTERNAL;
}

int trace_named_delete(struct store_conn *c, const char *tenant, const char *name)
{
	struct store_param p[] = { SP_TEXT(named__owner(tenant)), SP_TEXT(name) };
	int64_t changes = 0;
	int rc = store_begin(c);

	/* its subscriptions go with it, in the same transaction */
	if (rc == 0)
		rc = store_exec(c, "DELETE FROM trace_subscriptions WHERE owner = ? AND "
				   "query_name = ?", p, 2, NULL);
	if (rc == 0)
		rc = store_exec(c, "DELETE FROM trace_queries WHERE owner = ? AND name = ?", p, 2,
				&changes);
	if (rc == 0)
		rc = store_commit(c);
	if (rc)
		store_rollback(c);
	return rc ? rc : changes ? 0 : PL_ENOTFOUND;
}
