/* test_routes.c - table-driven tests for src/http/routes.c: pattern
 * matching with {param} segments, 404 vs 405 with the Allow list, HEAD as
 * GET, and that every route declares a known action and a handler. */
#include <criterion/criterion.h>
#include "http/http_int.h"

struct r_case {
	const char *method, *path;
	enum http_match want;
	const char *pattern; /* on OK */
	const char *param0;  /* on OK with a parameter */
	const char *allow;   /* on METHOD */
};

static const struct r_case r_cases[] = {
	{ "GET", "/healthz", HTTP_MATCH_OK, "/healthz", NULL, NULL },
	{ "HEAD", "/healthz", HTTP_MATCH_OK, "/healthz", NULL, NULL },
	{ "GET", "/healthz/", HTTP_MATCH_NONE, NULL, NULL, NULL },
	{ "GET", "/healthzz", HTTP_MATCH_NONE, NULL, NULL, NULL },
	{ "GET", "/", HTTP_MATCH_NONE, NULL, NULL, NULL },
	{ "GET", "/api/v1/enterprises", HTTP_MATCH_OK, "/api/v1/enterprises", NULL, NULL },
	{ "POST", "/api/v1/enterprises", HTTP_MATCH_OK, "/api/v1/enterprises", NULL, NULL },
	{ "PUT", "/api/v1/enterprises", HTTP_MATCH_METHOD, NULL, NULL, "GET, HEAD, POST" },
	{ "GET", "/api/v1/enterprises/ABC", HTTP_MATCH_OK, "/api/v1/enterprises/{id}", "ABC", NULL },
	{ "PATCH", "/api/v1/enterprises/ABC", HTTP_MATCH_OK, "/api/v1/enterprises/{id}", "ABC", NULL },
	{ "DELETE", "/api/v1/enterprises/ABC", HTTP_MATCH_METHOD, NULL, NULL, "GET, HEAD, PATCH" },
	{ "GET", "/api/v1/enterprises//", HTTP_MATCH_NONE, NULL, NULL, NULL },
	{ "GET", "/api/v1/enterprises/ABC/x", HTTP_MATCH_NONE, NULL, NULL, NULL },
	{ "DELETE", "/api/v1/tokens/T1", HTTP_MATCH_OK, "/api/v1/tokens/{id}", "T1", NULL },
	{ "GET", "/api/v1/tokens/T1", HTTP_MATCH_METHOD, NULL, NULL, "DELETE" },
	{ "DELETE", "/api/v1/me", HTTP_MATCH_METHOD, NULL, NULL, "GET, HEAD" },
	{ "POST", "/api/v1/auth/login", HTTP_MATCH_OK, "/api/v1/auth/login", NULL, NULL },
	{ "GET", "/api/v1/auth/login", HTTP_MATCH_METHOD, NULL, NULL, "POST" },
};

Test(http_routes, match_table)
{
	for (size_t i = 0; i < sizeof(r_cases) / sizeof(r_cases[0]); i++) {
		const struct r_case *c = &r_cases[i];
		struct pl_arena *a = pl_arena_new(1 << 16);
		const struct http_route *rt = NULL;
		const char *params[HTTP_MAX_PARAMS] = { 0 };
		size_t np = 0;
		char allow[128] = "";
		enum http_match m = http__route_find(c->method, c->path, a, &rt, params, &np,
						     allow, sizeof(allow));
		cr_expect_eq(m, c->want, "case %zu %s %s: match %d", i, c->method, c->path, m);
		if (m == HTTP_MATCH_OK && c->want == HTTP_MATCH_OK) {
			cr_expect_str_eq(rt->pattern, c->pattern, "case %zu", i);
			if (c->param0) {
				cr_expect_eq(np, 1, "case %zu: %zu params", i, np);
				cr_expect_str_eq(params[0], c->param0, "case %zu", i);
			} else {
				cr_expect_eq(np, 0, "case %zu: %zu params", i, np);
			}
		}
		if (m == HTTP_MATCH_METHOD && c->allow)
			cr_expect_str_eq(allow, c->allow, "case %zu: Allow '%s'", i, allow);
		pl_arena_free(a);
	}
}

Test(http_routes, table_is_well_formed)
{
	for (size_t i = 0; i < http__nroutes; i++) {
		const struct http_route *rt = &http__routes[i];
		cr_expect(rt->fn, "%s %s has no handler", rt->method, rt->pattern);
		cr_expect_neq(strcmp(auth_action_name(rt->action), "unknown"), 0,
			      "%s %s has an unknown action", rt->method, rt->pattern);
		cr_expect(rt->pattern[0] == '/', "%s must start with /", rt->pattern);
		/* a JSON body spec implies a body cap, and vice versa for JSON routes */
		if (rt->body_spec)
			cr_expect(rt->body_max > 0, "%s %s: spec without a cap", rt->method, rt->pattern);
		for (size_t j = 0; j < i; j++)
			cr_expect(strcmp(rt->method, http__routes[j].method) ||
				  strcmp(rt->pattern, http__routes[j].pattern),
				  "duplicate route %s %s", rt->method, rt->pattern);
	}
}
