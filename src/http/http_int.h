/*
 * http_int.h - what the files of the http module share (not for other
 * modules). The request lifecycle lives in server.c; routes.c holds the
 * route table and matching; problem.c maps PL_E codes to problem+json;
 * metrics.c, sse.c, static.c the auxiliary endpoints; api_*.c the JSON API
 * handlers.
 *
 * A handler gets a struct http_req with the route matched, the caller
 * authenticated (if credentials came), CSRF checked for cookie writes, and
 * the JSON body parsed and checked against the route's field table. It
 * answers with one http_reply_* call (returning 0), or returns a negative
 * PL_E code, normally via http_fail, which becomes a problem+json response.
 * Everything a handler allocates for the request comes from r->arena.
 */
#ifndef PL_HTTP_INT_H
#define PL_HTTP_INT_H

#include <microhttpd.h>
#include <stdatomic.h>

#include "http/http.h"

#define HTTP_MAX_PARAMS 4               /* {param} segments per pattern */
#define HTTP_ARENA_CAP (4u << 20)       /* per-request arena cap */
#define HTTP_JSON_BODY_MAX (64u << 10)  /* default cap for JSON bodies */
#define HTTP_MAX_HEADERS_OUT 8          /* extra response headers per request */
#define HTTP_PATH_MAX 2048              /* longer request paths: 414 */

struct http_req;
typedef int (*http_handler_fn)(struct http_req *r);

/* Route flags. */
enum {
	HTTP_RF_NO_CSRF = 1u << 0,  /* a write that needs no CSRF (login) */
	HTTP_RF_RAW_BODY = 1u << 1, /* body is not JSON; handler reads r->body */
};

struct http_route {
	const char *method;    /* "GET", "POST", "PATCH", "DELETE", "PUT" */
	const char *pattern;   /* "/api/v1/enterprises/{id}" */
	enum auth_action action; /* declared for --print-routes and auth_authorize */
	http_handler_fn fn;
	size_t body_max;       /* bytes; 0: the route takes no body */
	const struct pl_json_field *body_spec; /* JSON object fields; NULL: none */
	unsigned flags;        /* HTTP_RF_* */
};

/* The table (routes.c); immutable, so it is no mutable global. */
extern const struct http_route http__routes[];
extern const size_t http__nroutes;

enum http_match { HTTP_MATCH_OK, HTTP_MATCH_NONE, HTTP_MATCH_METHOD };
/* Matches method+path. On OK, *route is set and params[0..*np) point to
 * segment copies allocated from a (non-NULL). On METHOD, allow (allowsz
 * bytes) gets the "Allow" header value. HEAD matches GET routes. Visits
 * every route once: O(routes x segments). */
enum http_match http__route_find(const char *method, const char *path,
				 struct pl_arena *a, const struct http_route **route,
				 const char **params, size_t *np,
				 char *allow, size_t allowsz);

/* ------------------------------------------------------------ metrics */
#define HTTP_NSTATUS 18   /* distinct status codes tracked; the last is "other" */
#define HTTP_NBUCKETS 12  /* latency buckets, plus +Inf */
struct http_metrics {
	size_t nslots;            /* routes + static + unmatched */
	_Atomic uint64_t *count;  /* [slot][status] */
	_Atomic uint64_t *bucket; /* [slot][HTTP_NBUCKETS + 1], non-cumulative */
	_Atomic uint64_t *sum_us; /* [slot] */
};
#define HTTP_SLOT_STATIC(m) ((m)->nslots - 2)
#define HTTP_SLOT_UNMATCHED(m) ((m)->nslots - 1)
void http__metrics_init(struct http_metrics *m, size_t nroutes);
void http__metrics_release(struct http_metrics *m);
void http__metrics_observe(struct http_metrics *m, size_t slot, int status,
			   int64_t dur_ns);
/* Renders the Prometheus text exposition into b. */
int http__metrics_render(struct http_server *s, struct pl_buf *b);

/* ---------------------------------------------------------------- SSE */
struct http_sse_hub;
int http__sse_hub_new(struct http_server *s, struct http_sse_hub **out);
/* Ends every stream and waits (bounded) for them to close. */
void http__sse_hub_stop(struct http_sse_hub *h);
void http__sse_hub_free(struct http_sse_hub *h);
size_t http__sse_clients(struct http_sse_hub *h);
/* The SSE helper for live feeds: queues "id: <id>\nevent: <event>\ndata:
 * <data>\n\n" (id may be NULL; data one line of JSON, copied) to every open
 * stream whose caller may see objects of enterprise_id under AUTH_A_LIVE
 * (NULL: only callers with scope ANY), and wakes those streams now. conn
 * (may be NULL) is used for specialists' assignment lookups. A stream whose
 * queue is full is ended (it reconnects). Never blocks on a client. */
void http__sse_publish(struct http_sse_hub *h, struct store_conn *conn, const char *event,
		       const char *id, const char *enterprise_id, const char *data);

/* ------------------------------------------------------------- server */
struct http_server {
	struct MHD_Daemon *d;
	struct http_options opt;     /* copied; pointers borrowed */
	char *web_root;              /* owned realpath, NULL when none */
	char *openapi;               /* owned JSON text, NULL when not loaded */
	size_t openapi_len;
	char openapi_etag[24];
	struct http_metrics metrics;
	struct http_sse_hub *hub;    /* owned */
	uint16_t port;
	atomic_int in_flight;        /* requests between first call and completion */
	atomic_bool stopping;
	pthread_mutex_t drain_mu;    /* with drain_cv: shutdown waits for in_flight == 0 */
	pthread_cond_t drain_cv;
	int64_t started_ms;
};

struct http_hdr { const char *name, *value; };

struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;     /* borrowed from MHD for the request */
	struct pl_arena *arena;          /* owned; freed when the request completes */
	const struct http_route *route;  /* NULL for static files and unmatched */
	size_t slot;                     /* metrics slot */
	const char *method;              /* MHD's copy, valid for the request */
	const char *path;                /* decoded path (arena) */
	const char *raw_query;           /* raw query string or NULL (arena) */
	struct http_query query;         /* parsed on demand by http_query */
	bool query_parsed;
	const char *params[HTTP_MAX_PARAMS];
	size_t nparams;
	char request_id[65];
	char ip[64];
	struct auth_principal principal; /* valid when authed */
	bool authed;
	struct pl_buf body;              /* raw body, capped at the route's body_max */
	bool body_too_big;
	json_t *json;                    /* parsed body (owned) or NULL */
	int64_t start_ns;
	int phase;                       /* 0 headers, 1 body, 2 responded */
	int status;                      /* status queued, for log and metrics */
	struct http_hdr hdr[HTTP_MAX_HEADERS_OUT]; /* extra response headers */
	size_t nhdr;
	struct http_problem problem;     /* set by http_fail */
};

/* Handler helpers. All return 0 after queuing the response (PL_EIO when
 * MHD refuses it). Ownership: http_reply_json steals the reference to
 * body; http_reply_buf takes a malloc'd buffer and frees it. */
int http_reply_json(struct http_req *r, int status, json_t *body);
int http_reply_empty(struct http_req *r, int status);
int http_reply_buf(struct http_req *r, int status, const char *ctype,
		   char *data, size_t len);
int http_reply_response(struct http_req *r, int status, struct MHD_Response *resp);
/* Adds a response header; name and value are copied to the arena. */
void http_header_add(struct http_req *r, const char *name, const char *value);
/* Records the problem for a failure and returns code. slug NULL: the
 * default slug for code. */
int http_fail(struct http_req *r, int code, const char *slug, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Queues the problem+json response for code (using r->problem when set). */
int http__reply_problem(struct http_req *r, int code);
/* The HTTP status and default slug/title for a PL_E code. */
int http__status_for(int code, const char **slug, const char **title);
/* Fills a problem without a request (used by http_body_validate). */
void http__problem_set(struct http_problem *p, int code, const char *slug,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The parsed query (parse errors become a 400 via the return code). */
int http_query_of(struct http_req *r, const struct http_query **out);
/* Integer query parameter in [min,max], def when absent. */
int http_query_int(struct http_req *r, const char *key, int64_t min, int64_t max,
		   int64_t def, int64_t *out);
/* Refuses query parameters other than the NULL-terminated known keys (a
 * typo is a 400 bad-query naming list, not silently ignored) and, when
 * max_len > 0, values longer than max_len bytes. Returns 0, or the code of
 * the problem it recorded (PL_EINVAL; a query that does not parse: as
 * http_query_of). known and list are borrowed. */
int http_query_known(struct http_req *r, const char *const *known, const char *list,
		     size_t max_len);
/* Request header value or NULL (MHD-owned, valid for the request). */
const char *http_header(struct http_req *r, const char *name);

/* Takes a store connection and begins a transaction; on failure records
 * the problem (503) and returns its code with *out NULL. The handler
 * commits and always store_conn_put()s (which rolls back what is open). */
int http_store_begin(struct http_req *r, struct store_conn **out);
/* Takes a store connection without a transaction (reads). */
int http_store_get(struct http_req *r, struct store_conn **out);
/* Ends a handler that ran on connection c (NULL when none was taken):
 * rc 0 commits an open transaction and answers status with body (stolen);
 * any error (rc or the commit) rolls back, so a rejected request changes
 * nothing, drops body and fails with why (pl_strerror(rc) when why is NULL
 * or empty). Does not put c back. Returns what http_reply_json or
 * http_fail return: 0 once the reply is queued, else the failure's code. */
int http_store_finish(struct http_req *r, struct store_conn *c, int rc, int status,
		      json_t *body, const char *why);
/* Checks a user-supplied text field: valid UTF-8 is given (jansson), so
 * this refuses empty/blank text and control characters, naming field. */
int http_text_check(struct http_req *r, const char *field, const char *v);

/* The request context the auth module records in its audit rows. */
void http_auth_req(struct http_req *r, struct auth_req *rq);

/* Fills the actor, request id and ip of an audit record from the request. */
void http_audit_from(struct http_req *r, struct store_audit *a);

/* The body checks shared by the server and http_body_validate: content
 * type, then JSON syntax, then fields. *json gets the parsed body. */
int http__body_check(const struct http_route *rt, const char *content_type,
		     const char *body, size_t len, json_t **json,
		     struct http_problem *pr);

/* Static files and the OpenAPI document (static.c). */
int http__openapi_load(struct http_server *s, const char *path);
int http__static_serve(struct http_req *r);

/* Handlers (api_*.c, metrics.c, sse.c, static.c). */
int http__h_healthz(struct http_req *r);
int http__h_readyz(struct http_req *r);
int http__h_metrics(struct http_req *r);
int http__h_openapi(struct http_req *r);
int http__h_live(struct http_req *r);
int http__h_login(struct http_req *r);
int http__h_logout(struct http_req *r);
int http__h_me(struct http_req *r);
int http__h_ent_list(struct http_req *r);
int http__h_ent_create(struct http_req *r);
int http__h_ent_get(struct http_req *r);
int http__h_ent_patch(struct http_req *r);
int http__h_user_list(struct http_req *r);
int http__h_user_create(struct http_req *r);
int http__h_user_patch(struct http_req *r);
int http__h_token_list(struct http_req *r);
int http__h_token_create(struct http_req *r);
int http__h_token_revoke(struct http_req *r);
int http__h_audit_list(struct http_req *r);
/* desk (api_desk.c) */
int http__h_desk_req_list(struct http_req *r);
int http__h_desk_req_create(struct http_req *r);
int http__h_desk_req_get(struct http_req *r);
int http__h_desk_req_act(struct http_req *r);
int http__h_desk_scores(struct http_req *r);
int http__h_desk_repl_list(struct http_req *r);
int http__h_desk_repl_create(struct http_req *r);
int http__h_desk_repl_assign(struct http_req *r);
int http__h_desk_assign_list(struct http_req *r);
int http__h_desk_assign_create(struct http_req *r);
/* the outbox and inbound SMS (api_notify.c) */
int http__h_notify_list(struct http_req *r);
int http__h_notify_inbound_sms(struct http_req *r);
/* desk: the WeChat callback and bindings (api_wechat.c) */
int http__h_wechat_verify(struct http_req *r);
int http__h_wechat_inbound(struct http_req *r);
int http__h_wechat_bind_create(struct http_req *r);
int http__h_wechat_bind_list(struct http_req *r);
int http__h_wechat_bind_delete(struct http_req *r);
int http__h_desk_attach_add(struct http_req *r);
int http__h_desk_attach_list(struct http_req *r);
int http__h_desk_attach_get(struct http_req *r);
int http__h_green_templates(struct http_req *r);
/* green channel (api_green.c) */
int http__h_green_list(struct http_req *r);
int http__h_green_create(struct http_req *r);
int http__h_green_get(struct http_req *r);
int http__h_green_step(struct http_req *r);
/* desk reports and SLA settings (api_desk_report.c) */
int http__h_desk_report_kpi(struct http_req *r);
int http__h_desk_sla_get(struct http_req *r);
int http__h_desk_sla_put(struct http_req *r);
/* trace: api_epcis.c, api_trace.c */
int http__h_epcis_capture(struct http_req *r);
int http__h_epcis_job(struct http_req *r);
int http__h_epcis_events(struct http_req *r);
int http__h_epcis_event(struct http_req *r);
int http__h_epcis_event_types(struct http_req *r);
int http__h_epcis_queries_create(struct http_req *r);
int http__h_epcis_queries_list(struct http_req *r);
int http__h_epcis_query_get(struct http_req *r);
int http__h_epcis_query_delete(struct http_req *r);
int http__h_epcis_query_events(struct http_req *r);
int http__h_epcis_subs_create(struct http_req *r);
int http__h_epcis_subs_list(struct http_req *r);
int http__h_epcis_sub_delete(struct http_req *r);
int http__h_trace_backward(struct http_req *r);
int http__h_trace_forward(struct http_req *r);
int http__h_trace_recall(struct http_req *r);
int http__h_trace_party_add(struct http_req *r);
int http__h_trace_party_list(struct http_req *r);
/* park: registry, import/export, indicators, logistics (api_park.c) */
int http__h_park_indicators(struct http_req *r);
int http__h_park_indicator_rows(struct http_req *r);
int http__h_park_ent_list(struct http_req *r);
int http__h_park_ent_get(struct http_req *r);
int http__h_park_import(struct http_req *r);
int http__h_park_export(struct http_req *r);
int http__h_park_logistics(struct http_req *r);
/* park: supplier matching (api_park_match.c) */
int http__h_park_catalog_get(struct http_req *r);
int http__h_park_catalog_put(struct http_req *r);
int http__h_park_match(struct http_req *r);
int http__h_park_introduce(struct http_req *r);
/* park: production sharing (api_park_share.c) */
int http__h_park_sharing_get(struct http_req *r);
int http__h_park_sharing_put(struct http_req *r);
/* park: the logistics baseline setting (api_park_logistics.c) */
int http__h_park_baseline_get(struct http_req *r);
int http__h_park_baseline_put(struct http_req *r);
/* line (api_line.c) */
int http__h_line_list(struct http_req *r);
int http__h_line_metrics(struct http_req *r);
int http__h_line_series(struct http_req *r);
/* line (api_line.c, api_alarm.c) */
int http__h_line_live(struct http_req *r);
int http__h_line_oee(struct http_req *r);
int http__h_line_ingest(struct http_req *r);
int http__h_line_alarms(struct http_req *r);
int http__h_line_alarm_create(struct http_req *r);
int http__h_alarm_list(struct http_req *r);
int http__h_alarm_ack(struct http_req *r);
int http__h_alarm_shelve(struct http_req *r);
int http__h_alarm_unshelve(struct http_req *r);
/* Loads line id for action (another tenant's line answers 404, as a
 * missing one; a device token only reaches its own line). *out is a new
 * reference on 0; on error the problem is recorded (api_line.c). */
int http__line_load(struct http_req *r, struct store_conn *c, const char *id,
		    enum auth_action action, json_t **out);
/* Opens the urgent desk requests of safety alarms that became active and
 * publishes each alarm change and the tiles of their lines (api_line.c). */
void http__line_events(struct http_req *r, struct store_conn *c, json_t *events);
/* The tenant whose events the caller may touch under action: *tenant is
 * the caller's enterprise for OWN scopes, NULL for ANY (api_epcis.c). */
int http__trace_tenant(struct http_req *r, enum auth_action action, const char **tenant);
/* Writes an audit row for a cross-enterprise read by an auditor (a no-op
 * for everyone else): what = "trace.query", ...; subject names it. */
int http__trace_audit_read(struct http_req *r, const char *what, const char *subject);

/* Authentication of a request from its cookie or bearer token (api_auth.c):
 * 0 with r->authed set, 0 with r->authed false when no credentials came,
 * PL_EAUTH for credentials that do not check out. */
int http__authenticate(struct http_req *r);

/* ---------------------------------------------- scale: cross-process relay
 * relay.c (docs/scaling.md): live events through PostgreSQL LISTEN/NOTIFY
 * so that every `parkline serve` process on one database delivers them. */
struct http_relay;
/* Starts the listener for hub h when st is PostgreSQL; *out stays NULL on
 * SQLite (one process: nothing to relay). Errors: PL_EIO (thread/pipe). */
int http__relay_new(struct http_sse_hub *h, struct store *st, struct pl_log *log,
		    struct http_relay **out);
/* Sends one event to the other processes (pg_notify); conn (may be NULL:
 * one is taken from the pool) is the caller's. r NULL or stopped: no-op.
 * Never fails the caller: a failure is counted and the event stays local. */
void http__relay_send(struct http_relay *r, struct store_conn *conn, const char *event,
		      const char *id, const char *enterprise_id, const char *data);
/* Ends the listener (joins it); idempotent. free also stops. NULL: no-op. */
void http__relay_stop(struct http_relay *r);
void http__relay_free(struct http_relay *r);
/* sse.c: delivers to this process's streams only (what http__sse_publish
 * does before relaying); the relay's listener calls it. */
void http__sse_deliver(struct http_sse_hub *h, struct store_conn *conn, const char *event,
		       const char *id, const char *enterprise_id, const char *data);

#endif /* PL_HTTP_INT_H */
