/*
 * metrics.c - the operational endpoints: /healthz (the process answers),
 * /readyz (the store answers) and /metrics (Prometheus text format 0.0.4).
 *
 * Counters are lock-free atomics indexed by [route slot][status], so a
 * request's bookkeeping costs a few relaxed increments and no lock. Slots
 * are the route table's entries plus "static" and "unmatched", so label
 * cardinality is bounded by the table, never by client-chosen paths.
 */
#include "http/http_int.h"

static const int metrics__status[HTTP_NSTATUS - 1] = {
	200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 414, 415, 429,
	500, 503, 504,
};
/* Upper bounds in seconds; the last bucket is +Inf. */
static const double metrics__le[HTTP_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

void http__metrics_init(struct http_metrics *m, size_t nroutes)
{
	m->nslots = nroutes + 2;
	m->count = pl_calloc(m->nslots * HTTP_NSTATUS, sizeof(*m->count));
	m->bucket = pl_calloc(m->nslots * (HTTP_NBUCKETS + 1), sizeof(*m->bucket));
	m->sum_us = pl_calloc(m->nslots, sizeof(*m->sum_us));
}

void http__metrics_release(struct http_metrics *m)
{
	free(m->count);
	free(m->bucket);
	free(m->sum_us);
	memset(m, 0, sizeof(*m));
}

void http__metrics_observe(struct http_metrics *m, size_t slot, int status,
			   int64_t dur_ns)
{
	size_t si = HTTP_NSTATUS - 1, bi = HTTP_NBUCKETS;
	double sec = (double)dur_ns / 1e9;

	if (slot >= m->nslots)
		slot = m->nslots - 1;
	for (size_t i = 0; i < HTTP_NSTATUS - 1; i++)
		if (metrics__status[i] == status) {
			si = i;
			break;
		}
	for (size_t i = 0; i < HTTP_NBUCKETS; i++)
		if (sec <= metrics__le[i]) {
			bi = i;
			break;
		}
	atomic_fetch_add_explicit(&m->count[slot * HTTP_NSTATUS + si], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bucket[slot * (HTTP_NBUCKETS + 1) + bi], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us[slot], (uint64_t)(dur_ns > 0 ? dur_ns / 1000 : 0),
				  memory_order_relaxed);
}

static void metrics__labels(size_t slot, const struct http_metrics *m,
			    const char **method, const char **route)
{
	if (slot < http__nroutes) {
		*method = http__routes[slot].method;
		*route = http__routes[slot].pattern;
	} else if (slot == HTTP_SLOT_STATIC(m)) {
		*method = "GET";
		*route = "(static)";
	} else {
		*method = "*";
		*route = "(unmatched)";
	}
}

int http__metrics_render(struct http_server *s, struct pl_buf *b)
{
	struct http_metrics *m = &s->metrics;
	int size = 0, in_use = 0;
	uint64_t waits = 0;
	const char *method, *route;

	pl_buf_puts(b, "# HELP parkline_http_requests_total HTTP requests by route pattern and status.\n"
		       "# TYPE parkline_http_requests_total counter\n");
	for (size_t slot = 0; slot < m->nslots; slot++) {
		metrics__labels(slot, m, &method, &route);
		for (size_t si = 0; si < HTTP_NSTATUS; si++) {
			uint64_t n = atomic_load_explicit(&m->count[slot * HTTP_NSTATUS + si],
							  memory_order_relaxed);
			char st[8];
			if (!n)
				continue;
			if (si < HTTP_NSTATUS - 1)
				pl_fmt(st, sizeof(st), "%d", metrics__status[si]);
			else
				pl_strlcpy(st, "other", sizeof(st));
			pl_buf_printf(b, "parkline_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n",
				      method, route, st, (unsigned long long)n);
		}
	}
	pl_buf_puts(b, "# HELP parkline_http_request_duration_seconds Time from request line to response completion.\n"
		       "# TYPE parkline_http_request_duration_seconds histogram\n");
	for (size_t slot = 0; slot < m->nslots; slot++) {
		uint64_t cum = 0;
		_Atomic uint64_t *bk = &m->bucket[slot * (HTTP_NBUCKETS + 1)];
		uint64_t total = 0;
		for (size_t i = 0; i <= HTTP_NBUCKETS; i++)
			total += atomic_load_explicit(&bk[i], memory_order_relaxed);
		if (!total)
			continue;
		metrics__labels(slot, m, &method, &route);
		for (size_t i = 0; i <= HTTP_NBUCKETS; i++) {
			cum += atomic_load_explicit(&bk[i], memory_order_relaxed);
			if (i < HTTP_NBUCKETS)
				pl_buf_printf(b, "parkline_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
					      method, route, metrics__le[i], (unsigned long long)cum);
			else
				pl_buf_printf(b, "parkline_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
					      method, route, (unsigned long long)cum);
		}
		pl_buf_printf(b, "parkline_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
			      method, route,
			      (double)atomic_load_explicit(&m->sum_us[slot], memory_order_relaxed) / 1e6);
		pl_buf_printf(b, "parkline_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
			      method, route, (unsigned long long)cum);
	}
	store_pool_stats(s->opt.store, &size, &in_use, &waits);
	pl_buf_printf(b,
		"# HELP parkline_http_requests_in_flight Requests being handled now.\n"
		"# TYPE parkline_http_requests_in_flight gauge\n"
		"parkline_http_requests_in_flight %d\n"
		"# HELP parkline_sse_clients Open server-sent-event streams.\n"
		"# TYPE parkline_sse_clients gauge\n"
		"parkline_sse_clients %zu\n"
		"# HELP parkline_store_pool_size Store connections in the pool.\n"
		"# TYPE parkline_store_pool_size gauge\n"
		"parkline_store_pool_size{driver=\"%s\"} %d\n"
		"# HELP parkline_store_pool_in_use Store connections taken now.\n"
		"# TYPE parkline_store_pool_in_use gauge\n"
		"parkline_store_pool_in_use{driver=\"%s\"} %d\n"
		"# HELP parkline_store_pool_waits_total Times a request waited for a store connection.\n"
		"# TYPE parkline_store_pool_waits_total counter\n"
		"parkline_store_pool_waits_total{driver=\"%s\"} %llu\n"
		"# HELP parkline_uptime_seconds Seconds since the server started.\n"
		"# TYPE parkline_uptime_seconds gauge\n"
		"parkline_uptime_seconds %.3f\n",
		atomic_load(&s->in_flight), http__sse_clients(s->hub),
		store_kind_name(s->opt.store), size, store_kind_name(s->opt.store), in_use,
		store_kind_name(s->opt.store), (unsigned long long)waits,
		(double)(pl_time_now_ms() - s->started_ms) / 1e3);
	if (s->opt.metrics_extra) /* line-ingest: the MQTT ingest counters */
		return s->opt.metrics_extra(s->opt.metrics_extra_ctx, b);
	return 0;
}

int http__h_healthz(struct http_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return PL_EIO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return http_reply_response(r, 200, resp);
}

int http__h_readyz(struct http_req *r)
{
	int rc = store_ping(r->srv->opt.store);
	if (rc)
		return http_fail(r, PL_EDB, NULL, "the store does not answer: %s",
				 pl_strerror(rc));
	if (atomic_load(&r->srv->stopping))
		return http_fail(r, PL_EBUSY, NULL, "the server is shutting down");
	return http_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ready",
						 "store", store_kind_name(r->srv->opt.store)));
}

int http__h_metrics(struct http_req *r)
{
	struct pl_buf b;
	int rc;

	pl_buf_init(&b, 4u << 20);
	rc = http__metrics_render(r->srv, &b);
	if (rc) {
		pl_buf_release(&b);
		return http_fail(r, rc, NULL, "metrics could not be rendered");
	}
	size_t n = b.len;
	return http_reply_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8",
			      pl_buf_steal(&b), n);
}
