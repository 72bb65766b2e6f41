/*
 * http.h - Parkline's HTTP server (prefix http_): libmicrohttpd in
 * thread-pool + epoll mode, one route table, a per-request arena, body-size
 * caps per route, content-type checks, RFC 9457 problem+json errors with
 * stable types, X-Request-Id in and out, an access log line per request,
 * /healthz /readyz /metrics, server-sent events, static files for the web
 * UI and the OpenAPI document.
 *
 * The server is an object the caller owns (no globals): cli/serve.c makes
 * one with http_server_new, waits for SIGTERM/SIGINT, then calls
 * http_server_shutdown (stop accepting, drain in-flight requests) and
 * http_server_free.
 *
 * Two functions work without a server, so the fuzz targets can reach the
 * same code the daemon runs: http_query_parse (query strings) and
 * http_body_validate (the JSON body checks every route applies).
 */
#ifndef PL_HTTP_H
#define PL_HTTP_H

#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"

/* ----------------------------------------------------------- the server */
struct http_server; /* opaque: MHD daemon, metrics, SSE hub, OpenAPI doc */
struct desk_svc;    /* src/desk/repo.h */
struct desk_notify; /* src/desk/notify.h */
struct desk_wechat_cfg; /* src/desk/wechat_repo.h */

struct http_options {
	const char *listen;        /* "ADDR:PORT", "[v6]:PORT" or ":PORT"; port 0 picks a free one */
	int threads;               /* MHD thread pool size; 0: 4 */
	const char *web_root;      /* built web UI (index.html...); may be NULL */
	const char *openapi_path;  /* docs/api/openapi.yaml; NULL or missing: 404 */
	int sse_heartbeat_ms;      /* comment line on idle SSE streams; 0: 15000 */
	int sse_poll_ms;           /* how often the SSE hub looks for new audit rows; 0: 500 */
	bool secure_cookies;       /* add Secure to Set-Cookie (behind TLS) */
	struct store *store;       /* borrowed; must outlive the server */
	struct auth *auth;         /* borrowed; must outlive the server */
	/* desk: calendar and SLA table for the desk routes
	 * (src/desk/repo.h); borrowed, may be NULL (desk routes answer 503) */
	const struct desk_svc *desk;
	/* notifier settings (src/desk/notify.h) for the inbound
	 * SMS webhook's secret; borrowed, may be NULL (inbound SMS answers 503) */
	const struct desk_notify *notify;
	/* the WeChat callback's token and AES key
	 * (src/desk/wechat_repo.h); borrowed, may be NULL (the callback
	 * answers 503) */
	const struct desk_wechat_cfg *wechat;
	/* line-ingest: more Prometheus text appended to /metrics (the MQTT
	 * ingest counters, src/mqtt/client.h). Called from HTTP threads, so it
	 * must be thread-safe; returns 0 or a PL_E code. NULL: nothing added. */
	int (*metrics_extra)(void *ctx, struct pl_buf *b);
	void *metrics_extra_ctx;   /* borrowed; must outlive the server */
	struct pl_log *log;        /* borrowed; may be NULL */
};

/* Starts listening and serving. The options' pointers are borrowed for the
 * server's lifetime. Errors: PL_EINVAL (bad listen address or options),
 * PL_EIO (cannot bind or start threads). */
int http_server_new(const struct http_options *opt, struct http_server **out);
/* The bound TCP port (useful after asking for port 0). */
uint16_t http_server_port(const struct http_server *s);
/* Stops accepting new connections, ends SSE streams, and waits up to
 * drain_ms for in-flight requests to finish. Returns the number of requests
 * still running when it gave up (0 when drained). Call once. */
int http_server_shutdown(struct http_server *s, int drain_ms);
/* Stops the daemon (closing whatever is left) and frees everything. */
void http_server_free(struct http_server *s);

/* true when listen is an address http_server_new accepts ("ADDR:PORT",
 * "[v6]:PORT", ":PORT"), so the CLI can refuse it before opening a store. */
bool http_listen_valid(const char *listen);

/* publishes one live event (e.g. "line" tiles, "alarm"
 * changes; data one line of JSON, copied) to every SSE stream of
 * /api/v1/live whose caller may see enterprise_id (http__sse_publish).
 * Thread-safe; never blocks on a client. */
void http_server_publish(struct http_server *s, const char *event, const char *enterprise_id,
			 const char *data);

/* Writes the route table as JSON lines {"method","path","action"} (for
 * `parkline serve --print-routes`, the auth route x role walk and the
 * OpenAPI comparison). */
void http_routes_print(FILE *out);

/* ------------------------------------------------------- query strings */
#define HTTP_QUERY_MAX_PAIRS 64    /* more pairs than this: PL_ETOOBIG */
#define HTTP_QUERY_MAX_LEN 4096    /* raw query string bytes: PL_ETOOBIG */

struct http_query_pair {
	const char *key;    /* decoded, NUL-terminated, arena-owned */
	const char *value;  /* decoded, NUL-terminated ("" for "k" or "k="), arena-owned */
	size_t value_len;   /* strlen(value): %00 is rejected, so no embedded NULs */
};
struct http_query {
	struct http_query_pair *pairs; /* arena-owned, in order of appearance */
	size_t n;
};

/* Parses a raw query string (without the '?') of len bytes: pairs split on
 * '&', key and value on the first '=', '+' is a space, %XX is decoded.
 * Repeated keys are kept in order. Everything is allocated from a (freed
 * with it). Errors (err names the position): PL_ETOOBIG (longer than
 * HTTP_QUERY_MAX_LEN or more than HTTP_QUERY_MAX_PAIRS pairs), PL_EINVAL
 * (bad %-escape, %00, invalid UTF-8 after decoding, empty key), PL_ETOOBIG
 * also when the arena cap is hit. On error *out is empty. */
int http_query_parse(const char *qs, size_t len, struct pl_arena *a,
		     struct http_query *out, struct pl_json_error *err);
/* First value for key, or NULL. Borrowed from the query's arena. */
const char *http_query_get(const struct http_query *q, const char *key);

/* --------------------------------------------------- problem details */
/* The pieces of an RFC 9457 body; type is "urn:parkline:problem:<slug>". */
struct http_problem {
	int status;         /* HTTP status, 0 when the body was accepted */
	char slug[40];      /* "malformed-json", "validation", ... */
	char detail[240];   /* names the offending field or byte position */
};

/* Runs exactly the checks the daemon applies to a request body before the
 * handler sees it, for the route method+path: route lookup (404/405), the
 * route's body cap (413), Content-Type (415), JSON syntax and depth (400
 * malformed-json, naming the byte) and the route's field table (400
 * validation, naming the field). Returns 0 when the body would reach the
 * handler, or the PL_E code with *out filled. No server, no I/O. */
int http_body_validate(const char *method, const char *path,
		       const char *content_type, const void *body, size_t len,
		       struct http_problem *out);

#endif /* PL_HTTP_H */
