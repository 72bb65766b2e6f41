/*
 * problem.c - RFC 9457 problem details. Every error the API returns is an
 * application/problem+json body {type, title, status, detail, instance,
 * request_id} whose type is "urn:parkline:problem:<slug>". Slugs are stable:
 * clients and tests switch on them, so a slug is never renamed, only added.
 * Each PL_E code maps to exactly one status and a default slug; handlers
 * pick a more specific slug (invalid-credentials, csrf...) through
 * http_fail.
 */
#include "http/http_int.h"

struct problem_map {
	int code;
	int status;
	const char *slug;
	const char *title;
};

static const struct problem_map problem__map[] = {
	{ PL_EINVAL, 400, "validation", "The request is not valid" },
	{ PL_EPARSE, 400, "malformed-json", "The request body is not well-formed" },
	{ PL_EAUTH, 401, "unauthenticated", "Credentials are missing or not valid" },
	{ PL_EFORBIDDEN, 403, "forbidden", "Not allowed" },
	{ PL_ENOTFOUND, 404, "not-found", "Not found" },
	{ PL_EEXIST, 409, "conflict", "Already exists" },
	{ PL_ECONFLICT, 409, "conflict", "The current state does not allow this" },
	{ PL_ETOOBIG, 413, "payload-too-large", "The request is too large" },
	{ PL_EUNSUPPORTED, 415, "unsupported-media-type", "Unsupported media type" },
	{ PL_ETHROTTLED, 429, "throttled", "Too many attempts" },
	{ PL_EIO, 500, "internal", "Internal error" },
	{ PL_EINTERNAL, 500, "internal", "Internal error" },
	{ PL_EDB, 503, "unavailable", "The store is unavailable" },
	{ PL_EBUSY, 503, "unavailable", "The server is busy" },
	{ PL_ETIMEOUT, 504, "timeout", "The request timed out" },
};

/* Slugs whose title differs from the code's default. */
static const struct { const char *slug; const char *title; } problem__titles[] = {
	{ "invalid-credentials", "Invalid username or password" },
	{ "csrf", "Missing or wrong CSRF token" },
	{ "method-not-allowed", "Method not allowed" },
	{ "uri-too-long", "The request path is too long" },
	{ "bad-query", "The query string is not valid" },
};

int http__status_for(int code, const char **slug, const char **title)
{
	for (size_t i = 0; i < sizeof(problem__map) / sizeof(problem__map[0]); i++)
		if (problem__map[i].code == code) {
			if (slug)
				*slug = problem__map[i].slug;
			if (title)
				*title = problem__map[i].title;
			return problem__map[i].status;
		}
	if (slug)
		*slug = "internal";
	if (title)
		*title = "Internal error";
	return 500;
}

static void problem__vset(struct http_problem *p, int code, const char *slug,
			  const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void problem__vset(struct http_problem *p, int code, const char *slug,
			  const char *fmt, va_list ap)
{
	const char *def;
	p->status = http__status_for(code, &def, NULL);
	pl_strlcpy(p->slug, slug ? slug : def, sizeof(p->slug));
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
}

void http__problem_set(struct http_problem *p, int code, const char *slug,
		       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	problem__vset(p, code, slug, fmt, ap);
	va_end(ap);
}

int http_fail(struct http_req *r, int code, const char *slug, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	problem__vset(&r->problem, code, slug, fmt, ap);
	va_end(ap);
	/* 405 and 414 have no PL_E code of their own */
	if (slug && strcmp(slug, "method-not-allowed") == 0)
		r->problem.status = 405;
	else if (slug && strcmp(slug, "uri-too-long") == 0)
		r->problem.status = 414;
	return code;
}

int http__reply_problem(struct http_req *r, int code)
{
	const char *slug, *title;
	int status = http__status_for(code, &slug, &title);
	const char *detail = title;
	json_t *o;
	char type[80];

	if (r->problem.status) {
		status = r->problem.status;
		slug = r->problem.slug;
		detail = r->problem.detail[0] ? r->problem.detail : title;
		for (size_t i = 0; i < sizeof(problem__titles) / sizeof(problem__titles[0]); i++)
			if (strcmp(problem__titles[i].slug, slug) == 0)
				title = problem__titles[i].title;
	}
	pl_fmt(type, sizeof(type), "urn:parkline:problem:%s", slug);
	o = json_object();
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "title", json_string(title));
	json_object_set_new(o, "status", json_integer(status));
	/* detail may quote client bytes; jansson rejects invalid UTF-8, so fall
	 * back to the title rather than lose the whole body */
	json_t *d = json_string(detail);
	json_object_set_new(o, "detail", d ? d : json_string(title));
	json_t *inst = json_string(r->path ? r->path : "");
	json_object_set_new(o, "instance", inst ? inst : json_string(""));
	json_object_set_new(o, "request_id", json_string(r->request_id));
	char *s = pl_json_dump(o);
	json_decref(o);
	return http_reply_buf(r, status, "application/problem+json", s, strlen(s));
}
