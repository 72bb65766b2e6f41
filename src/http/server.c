/*
 * server.c - the request lifecycle on libmicrohttpd.
 *
 * NOTES ON THE DESIGN
 * 1. MHD runs an internal thread pool in epoll mode (threads x one epoll
 *    loop each). Handlers run on those threads and do bounded work: one
 *    store transaction at most. Long-lived streams (SSE) never block a
 *    thread: their reader suspends the connection and the SSE hub resumes
 *    it (sse.c).
 * 2. A request's struct http_req is created by the URI log callback (the
 *    first thing MHD reports about a request, with the raw URI before it
 *    is split and decoded), lives in *req_cls, and is freed by the
 *    completion callback, which also writes the access log line and the
 *    metrics. Everything else the request allocates comes from its arena.
 * 3. The access handler is called at least twice: once when the headers
 *    are in (phase 0: route, size and early rejections - a body larger than
 *    the route's cap is refused here from Content-Length, before any byte
 *    of it is read), then once per body chunk (phase 1: appended to a
 *    buffer capped at the route's cap; past it the rest is discarded
 *    unbuffered and the answer is 413), then once with no data (dispatch).
 * 4. Checks run in a fixed order so the status a client sees is stable:
 *    414 path, 404/405 route, 413 size, 401 credentials, 403 role, 403
 *    CSRF, 415 content type, 400 JSON syntax, 400 fields, then the handler
 *    (which does the object-level check: another tenant's object is 404).
 * 5. Shutdown: quiesce (stop accepting; the listening socket is closed),
 *    end SSE streams, wait on a condition variable until in_flight drops to
 *    zero or the drain deadline passes, then MHD_stop_daemon. Responses
 *    sent while stopping carry "Connection: close" so keep-alive clients
 *    move on.
 */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void http_header_add(struct http_req *r, const char *name, const char *value)
{
	if (r->nhdr >= HTTP_MAX_HEADERS_OUT)
		abort(); /* a handler bug: the table is sized for our own headers */
	r->hdr[r->nhdr].name = pl_arena_strdup(r->arena, name);
	r->hdr[r->nhdr].value = pl_arena_strdup(r->arena, value);
	if (!r->hdr[r->nhdr].name || !r->hdr[r->nhdr].value)
		return; /* arena full: drop the header rather than crash */
	r->nhdr++;
}

int http_reply_response(struct http_req *r, int status, struct MHD_Response *resp)
{
	enum MHD_Result ok;

	assert(r->phase != 2);
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	bool cache_set = false;
	for (size_t i = 0; i < r->nhdr; i++) {
		MHD_add_response_header(resp, r->hdr[i].name, r->hdr[i].value);
		cache_set |= strcasecmp(r->hdr[i].name, "Cache-Control") == 0;
	}
	/* API answers are per caller: never cached unless the handler says so */
	if (!cache_set && strncmp(r->path ? r->path : "", "/api/", 5) == 0)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (atomic_load(&r->srv->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ok = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->phase = 2;
	r->status = status;
	return ok == MHD_YES ? 0 : PL_EIO;
}

int http_reply_buf(struct http_req *r, int status, const char *ctype, char *data,
		   size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return PL_EIO;
	}
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	return http_reply_response(r, status, resp);
}

int http_reply_json(struct http_req *r, int status, json_t *body)
{
	char *s = pl_json_dump(body);
	json_decref(body);
	return http_reply_buf(r, status, "application/json", s, strlen(s));
}

int http_reply_empty(struct http_req *r, int status)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return PL_EIO;
	return http_reply_response(r, status, resp);
}

int http_query_of(struct http_req *r, const struct http_query **out)
{
	struct pl_json_error je = { .text = "" };
	int rc;

	if (!r->query_parsed) {
		const char *q = r->raw_query ? r->raw_query : "";
		rc = http_query_parse(q, strlen(q), r->arena, &r->query, &je);
		if (rc == PL_ETOOBIG) /* a query past its caps: the URI is too long */
			return http_fail(r, PL_EINVAL, "uri-too-long", "%s", je.text);
		if (rc)
			return http_fail(r, PL_EINVAL, "bad-query", "%s", je.text);
		r->query_parsed = true;
	}
	*out = &r->query;
	return 0;
}

int http_query_known(struct http_req *r, const char *const *known, const char *list,
		     size_t max_len)
{
	const struct http_query *q;
	int rc = http_query_of(r, &q);
	if (rc)
		return rc;
	for (size_t i = 0; i < q->n; i++) {
		bool ok = false;
		for (const char *const *k = known; *k; k++)
			ok |= !strcmp(q->pairs[i].key, *k);
		if (!ok)
			return http_fail(r, PL_EINVAL, "bad-query",
					 "unknown query parameter '%.60s'; known: %s",
					 q->pairs[i].key, list);
		if (max_len && q->pairs[i].value_len > max_len)
			return http_fail(r, PL_EINVAL, "bad-query",
					 "query parameter '%.60s' is longer than %zu bytes",
					 q->pairs[i].key, max_len);
	}
	return 0;
}

int http_query_int(struct http_req *r, const char *key, int64_t min, int64_t max,
		   int64_t def, int64_t *out)
{
	const struct http_query *q;
	const char *v;
	int rc = http_query_of(r, &q);

	if (rc)
		return rc;
	v = http_query_get(q, key);
	if (!v) {
		*out = def;
		return 0;
	}
	if (pl_parse_i64(v, min, max, out))
		return http_fail(r, PL_EINVAL, "bad-query",
				 "query parameter '%s' must be an integer from %lld to %lld",
				 key, (long long)min, (long long)max);
	return 0;
}

int http_store_get(struct http_req *r, struct store_conn **out)
{
	int rc = store_conn_get(r->srv->opt.store, out);
	if (rc) {
		*out = NULL;
		return http_fail(r, rc == PL_EBUSY ? PL_EBUSY : PL_EDB, NULL,
				 "no store connection: %s", pl_strerror(rc));
	}
	return 0;
}

int http_store_begin(struct http_req *r, struct store_conn **out)
{
	int rc = http_store_get(r, out);
	if (rc)
		return rc;
	rc = store_begin(*out);
	if (rc) {
		store_conn_put(*out);
		*out = NULL;
		return http_fail(r, PL_EDB, NULL, "cannot begin a transaction: %s",
				 pl_strerror(rc));
	}
	return 0;
}

int http_store_finish(struct http_req *r, struct store_conn *c, int rc, int status,
		      json_t *body, const char *why)
{
	if (rc == 0 && c && store_in_tx(c) && (rc = store_commit(c)))
		return json_decref(body), http_fail(r, rc, NULL, "committing failed: %s",
						    pl_strerror(rc));
	if (rc) {
		json_decref(body);
		if (c && store_in_tx(c))
			store_rollback(c);
		return http_fail(r, rc, NULL, "%s", why && why[0] ? why : pl_strerror(rc));
	}
	return http_reply_json(r, status, body);
}

int http_text_check(struct http_req *r, const char *field, const char *v)
{
	bool blank = true;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return http_fail(r, PL_EINVAL, NULL,
					 "field '%s' contains a control character", field);
		if (*p != ' ')
			blank = false;
	}
	if (blank)
		return http_fail(r, PL_EINVAL, NULL, "field '%s' must not be empty", field);
	return 0;
}

void http_auth_req(struct http_req *r, struct auth_req *rq)
{
	rq->ip = r->ip;
	rq->user_agent = http_header(r, MHD_HTTP_HEADER_USER_AGENT);
	rq->request_id = r->request_id;
}

void http_audit_from(struct http_req *r, struct store_audit *a)
{
	if (r->authed) {
		a->actor_id = r->principal.user_id[0] ? r->principal.user_id
						     : r->principal.token_id;
		a->actor_name = r->principal.name;
	}
	a->request_id = r->request_id;
	a->ip = r->ip;
}

/* X-Request-Id we accept from a client: 1..64 of [A-Za-z0-9._:-]. Anything
 * else is replaced, so log lines never carry client-chosen control bytes. */
static bool server__reqid_ok(const char *s)
{
	size_t n = 0;
	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= 64 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				 (c >= '0' && c <= '9') || c == '.' || c == '_' ||
				 c == ':' || c == '-'))
			return false;
	}
	return n > 0;
}

static void server__client_ip(struct http_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	r->ip[0] = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  r->ip, sizeof(r->ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  r->ip, sizeof(r->ip));
}

/* ---------------------------------------------------------- callbacks */

/* First sight of a request: allocate its context (design note 2). */
static void *server__uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct http_server *s = cls;
	struct http_req *r = pl_calloc(1, sizeof(*r));
	const char *q;

	(void)con;
	r->srv = s;
	r->start_ns = pl_time_mono_ns();
	r->arena = pl_arena_new(HTTP_ARENA_CAP);
	r->slot = HTTP_SLOT_UNMATCHED(&s->metrics);
	q = uri ? strchr(uri, '?') : NULL;
	if (q)
		r->raw_query = pl_arena_strdup(r->arena, q + 1);
	atomic_fetch_add(&s->in_flight, 1);
	return r;
}

static void server__completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req *r = *req_cls;
	int64_t dur_ns;

	(void)conn;
	if (!r)
		return;
	*req_cls = NULL;
	dur_ns = pl_time_mono_ns() - r->start_ns;
	http__metrics_observe(&s->metrics, r->slot, r->status, dur_ns);
	if (s->opt.log && s->opt.log->level <= PL_LOG_INFO) {
		json_t *f = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:b}",
				      "method", r->method ? r->method : "-",
				      "route", r->route ? r->route->pattern : "-",
				      "status", r->status,
				      "us", (json_int_t)(dur_ns / 1000),
				      "request_id", r->request_id,
				      "user", r->authed ? r->principal.name : "-",
				      "ip", r->ip,
				      "completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
		/* the path is client bytes: jansson refuses invalid UTF-8, so it
		 * is added only when valid */
		if (f && r->path)
			json_object_set_new(f, "path", json_string(r->path));
		pl_log_write(s->opt.log, PL_LOG_INFO, "http", f, "%s %s %d",
			     r->method ? r->method : "-",
			     r->route ? r->route->pattern
			     : r->slot == HTTP_SLOT_STATIC(&s->metrics) ? "(static)" : "(unmatched)",
			     r->status);
		json_decref(f);
	}
	json_decref(r->json);
	pl_buf_release(&r->body);
	pl_arena_free(r->arena);
	free(r);
	if (atomic_fetch_sub(&s->in_flight, 1) == 1 && atomic_load(&s->stopping)) {
		pthread_mutex_lock(&s->drain_mu);
		pthread_cond_broadcast(&s->drain_cv);
		pthread_mutex_unlock(&s->drain_mu);
	}
}

/* Phase 0 (design note 3): everything decidable from the request line and
 * headers. Returns 0 to go on reading the body, or the result of queuing
 * an early answer (phase becomes 2). */
static int server__begin(struct http_req *r, const char *url, const char *method)
{
	struct http_server *s = r->srv;
	const char *rid = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
	const char *cl;
	char allow[128];
	size_t max = 0;

	r->method = method;
	if (server__reqid_ok(rid))
		pl_strlcpy(r->request_id, rid, sizeof(r->request_id));
	else
		pl_id_new(r->request_id);
	server__client_ip(r);
	if (strlen(url) > HTTP_PATH_MAX) {
		r->path = "(too long)";
		return http__reply_problem(r, http_fail(r, PL_EINVAL, "uri-too-long",
			"the request path is longer than %d bytes", HTTP_PATH_MAX));
	}
	r->path = pl_arena_strdup(r->arena, url);
	switch (http__route_find(method, url, r->arena, &r->route, r->params,
				 &r->nparams, allow, sizeof(allow))) {
	case HTTP_MATCH_OK:
		r->slot = (size_t)(r->route - http__routes);
		max = r->route->body_max;
		break;
	case HTTP_MATCH_METHOD:
		http_header_add(r, "Allow", allow);
		return http__reply_problem(r, http_fail(r, PL_EINVAL, "method-not-allowed",
			"%s is not allowed on %s; allowed: %s", method, url, allow));
	case HTTP_MATCH_NONE:
		if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0 ||
		    (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
			if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/api") != 0) {
				http_header_add(r, "Allow", "GET, HEAD");
				return http__reply_problem(r, http_fail(r, PL_EINVAL,
					"method-not-allowed",
					"%s is not allowed on %s; allowed: GET, HEAD", method, url));
			}
			return http__reply_problem(r, http_fail(r, PL_ENOTFOUND, NULL,
				"no API route %s %s", method, url));
		}
		r->slot = HTTP_SLOT_STATIC(&s->metrics);
		break;
	}
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		int64_t n;
		if (pl_parse_i64(cl, 0, INT64_MAX, &n) == 0 && (uint64_t)n > max) {
			if (max == 0)
				return http__reply_problem(r, http_fail(r, PL_ETOOBIG, NULL,
					"%s %s takes no request body", method,
					r->route ? r->route->pattern : url));
			return http__reply_problem(r, http_fail(r, PL_ETOOBIG, NULL,
				"request body of %lld bytes is larger than the %zu allowed",
				(long long)n, max));
		}
	}
	pl_buf_init(&r->body, max);
	r->phase = 1;
	return 0;
}

/* The final call: authenticate, authorise, check the body, run the handler. */
static int server__dispatch(struct http_req *r)
{
	const struct http_route *rt = r->route;
	int rc;

	if (r->body_too_big)
		return http__reply_problem(r, http_fail(r, PL_ETOOBIG, NULL,
			"request body is larger than the %zu bytes allowed",
			rt ? rt->body_max : (size_t)0));
	if (!rt) {
		rc = http__static_serve(r);
		return r->phase == 2 ? rc : http__reply_problem(r, rc);
	}
	if (rt->action != AUTH_A_PUBLIC) {
		rc = http__authenticate(r);
		if (rc)
			return http__reply_problem(r, rc);
		rc = auth_authorize(r->authed ? &r->principal : NULL, rt->action, NULL);
		if (rc == PL_EAUTH)
			return http__reply_problem(r, http_fail(r, PL_EAUTH, NULL,
				"this route needs a session cookie or an Authorization: Bearer token"));
		if (rc == PL_EFORBIDDEN)
			return http__reply_problem(r, http_fail(r, PL_EFORBIDDEN, NULL,
				"role %s may not do %s", auth_role_name(r->principal.role),
				auth_action_name(rt->action)));
		if (rc)
			return http__reply_problem(r, rc);
		if (strcmp(rt->method, "GET") != 0 && !(rt->flags & HTTP_RF_NO_CSRF) &&
		    auth_csrf_check(&r->principal, http_header(r, "X-CSRF-Token")))
			return http__reply_problem(r, http_fail(r, PL_EFORBIDDEN, "csrf",
				"cookie-authenticated writes need the X-CSRF-Token header "
				"with the csrf_token from login or /api/v1/me"));
	}
	rc = http__body_check(rt, http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE),
			      r->body.data ? r->body.data : "", r->body.len, &r->json,
			      &r->problem);
	if (rc)
		return http__reply_problem(r, rc);
	rc = rt->fn(r);
	if (r->phase == 2)
		return 0;
	if (rc == 0) /* a handler bug: it neither answered nor failed */
		rc = http_fail(r, PL_EINTERNAL, NULL, "the handler sent no response");
	return http__reply_problem(r, rc);
}

static enum MHD_Result server__access(void *cls, struct MHD_Connection *conn,
				      const char *url, const char *method,
				      const char *version, const char *upload_data,
				      size_t *upload_data_size, void **req_cls)
{
	struct http_req *r = *req_cls;

	(void)cls;
	(void)version;
	if (!r)
		return MHD_NO; /* the URI log callback always runs first */
	r->conn = conn;
	if (r->phase == 0) {
		if (server__begin(r, url, method))
			return MHD_NO;
		return MHD_YES;
	}
	if (r->phase == 2) {
		*upload_data_size = 0; /* answered early: discard the rest */
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->body_too_big &&
		    pl_buf_append(&r->body, upload_data, *upload_data_size)) {
			r->body_too_big = true;
			pl_buf_release(&r->body); /* stop holding a body we refuse */
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return server__dispatch(r) == PL_EIO ? MHD_NO : MHD_YES;
}

/* ------------------------------------------------------------ lifecycle */

/* "ADDR:PORT", "[v6]:PORT" or ":PORT" (all IPv4 addresses). */
static int server__parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6)
{
	char host[64];
	const char *colon, *hs = s;
	size_t hl;
	int64_t port;

	memset(ss, 0, sizeof(*ss));
	if (!s)
		return PL_EINVAL;
	if (*s == '[') {
		const char *e = strchr(s, ']');
		if (!e || e[1] != ':')
			return PL_EINVAL;
		hs = s + 1;
		hl = (size_t)(e - hs);
		colon = e + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return PL_EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl >= sizeof(host) || pl_parse_i64(colon + 1, 0, 65535, &port))
		return PL_EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	*v6 = *s == '[';
	if (*v6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return PL_EINVAL;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (hl == 0)
			a4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return PL_EINVAL;
	}
	return 0;
}

bool http_listen_valid(const char *listen)
{
	struct sockaddr_storage ss;
	bool v6;
	return server__parse_listen(listen, &ss, &v6) == 0;
}

int http_server_new(const struct http_options *opt, struct http_server **out)
{
	struct http_server *s;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
	bool v6 = false;
	int threads = opt->threads > 0 ? opt->threads : 4;
	const union MHD_DaemonInfo *di;
	int rc;

	*out = NULL;
	if (!opt->store || !opt->auth || threads > 256)
		return PL_EINVAL;
	rc = server__parse_listen(opt->listen, &ss, &v6);
	if (rc)
		return rc;
	if (v6)
		flags |= MHD_USE_IPv6;
	s = pl_calloc(1, sizeof(*s));
	s->opt = *opt;
	if (!s->opt.sse_heartbeat_ms)
		s->opt.sse_heartbeat_ms = 15000;
	if (!s->opt.sse_poll_ms)
		s->opt.sse_poll_ms = 500;
	s->started_ms = pl_time_now_ms();
	atomic_init(&s->in_flight, 0);
	atomic_init(&s->stopping, false);
	pthread_mutex_init(&s->drain_mu, NULL);
	pthread_cond_init(&s->drain_cv, NULL);
	http__metrics_init(&s->metrics, http__nroutes);
	if (opt->web_root && *opt->web_root) {
		s->web_root = realpath(opt->web_root, NULL);
		if (!s->web_root)
			pl_warn(opt->log, "http", "web root %s: %s; static files are off",
				opt->web_root, strerror(errno));
	}
	if (opt->openapi_path && *opt->openapi_path &&
	    http__openapi_load(s, opt->openapi_path))
		pl_warn(opt->log, "http", "OpenAPI document %s not loaded; "
			"/api/v1/openapi.json answers 404", opt->openapi_path);
	rc = http__sse_hub_new(s, &s->hub);
	if (rc)
		goto fail;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, server__access, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_URI_LOG_CALLBACK, server__uri_log, s,
		MHD_OPTION_NOTIFY_COMPLETED, server__completed, s,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
		MHD_OPTION_END);
	if (!s->d) {
		pl_error(opt->log, "http", "cannot listen on %s: %s", opt->listen,
			 strerror(errno));
		rc = PL_EIO;
		goto fail;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	*out = s;
	return 0;
fail:
	http_server_free(s);
	return rc;
}

uint16_t http_server_port(const struct http_server *s)
{
	return s->port;
}

int http_server_shutdown(struct http_server *s, int drain_ms)
{
	struct timespec dl;
	int left;

	atomic_store(&s->stopping, true);
	if (s->d) {
		MHD_socket fd = MHD_quiesce_daemon(s->d);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	if (s->hub)
		http__sse_hub_stop(s->hub);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += drain_ms / 1000;
	dl.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->drain_mu);
	while (atomic_load(&s->in_flight) > 0)
		if (pthread_cond_timedwait(&s->drain_cv, &s->drain_mu, &dl) == ETIMEDOUT)
			break;
	left = atomic_load(&s->in_flight);
	pthread_mutex_unlock(&s->drain_mu);
	return left;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	if (s->hub)
		http__sse_hub_stop(s->hub);
	if (s->d)
		MHD_stop_daemon(s->d);
	http__sse_hub_free(s->hub);
	http__metrics_release(&s->metrics);
	pthread_cond_destroy(&s->drain_cv);
	pthread_mutex_destroy(&s->drain_mu);
	free(s->web_root);
	free(s->openapi);
	free(s);
}
