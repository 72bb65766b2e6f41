/* test_query.c - table-driven tests for src/http/query.c: the query-string
 * parser (decoding, '+', repeated keys, caps, bad escapes) and
 * http_body_validate, the same body checks the daemon runs before a
 * handler (route, size, content type, JSON syntax, fields). */
#include <criterion/criterion.h>
#include "http/http.h"

struct q_case {
	const char *in;
	int rc;
	size_t n;
	const char *k0, *v0, *k1, *v1; /* first two pairs when rc == 0 */
};

static const struct q_case q_cases[] = {
	{ "", 0, 0, NULL, NULL, NULL, NULL },
	{ "a=1", 0, 1, "a", "1", NULL, NULL },
	{ "a=1&b=2", 0, 2, "a", "1", "b", "2" },
	{ "q=hello+world", 0, 1, "q", "hello world", NULL, NULL },
	{ "q=%E5%A4%AA%E6%9E%81", 0, 1, "q", "太极", NULL, NULL },
	{ "a=1&a=2", 0, 2, "a", "1", "a", "2" },           /* repeated keys kept in order */
	{ "flag", 0, 1, "flag", "", NULL, NULL },           /* no '=' */
	{ "k=", 0, 1, "k", "", NULL, NULL },
	{ "&&a=1&&", 0, 1, "a", "1", NULL, NULL },          /* empty pieces skipped */
	{ "a=b=c", 0, 1, "a", "b=c", NULL, NULL },          /* split on the first '=' */
	{ "%61%62=%2B", 0, 1, "ab", "+", NULL, NULL },
	{ "a=%zz", PL_EINVAL, 0, NULL, NULL, NULL, NULL },
	{ "a=%4", PL_EINVAL, 0, NULL, NULL, NULL, NULL },    /* truncated escape */
	{ "a=%", PL_EINVAL, 0, NULL, NULL, NULL, NULL },
	{ "a=%00", PL_EINVAL, 0, NULL, NULL, NULL, NULL },   /* no embedded NUL */
	{ "=1", PL_EINVAL, 0, NULL, NULL, NULL, NULL },      /* empty key */
	{ "a=%C3%28", PL_EINVAL, 0, NULL, NULL, NULL, NULL },/* invalid UTF-8 */
	{ "a=%ED%A0%80", PL_EINVAL, 0, NULL, NULL, NULL, NULL }, /* surrogate */
	{ "a=%C0%AF", PL_EINVAL, 0, NULL, NULL, NULL, NULL },/* overlong '/' */
};

Test(http_query, parse_table)
{
	for (size_t i = 0; i < sizeof(q_cases) / sizeof(q_cases[0]); i++) {
		const struct q_case *c = &q_cases[i];
		struct pl_arena *a = pl_arena_new(1 << 20);
		struct http_query q;
		struct pl_json_error err = { .text = "" };
		int rc = http_query_parse(c->in, strlen(c->in), a, &q, &err);
		cr_expect_eq(rc, c->rc, "case %zu '%s': rc %d (%s)", i, c->in, rc, err.text);
		if (rc == 0) {
			cr_expect_eq(q.n, c->n, "case %zu '%s': %zu pairs", i, c->in, q.n);
			if (c->k0 && q.n > 0) {
				cr_expect_str_eq(q.pairs[0].key, c->k0, "case %zu key0", i);
				cr_expect_str_eq(q.pairs[0].value, c->v0, "case %zu value0", i);
				cr_expect_eq(q.pairs[0].value_len, strlen(c->v0), "case %zu len0", i);
			}
			if (c->k1 && q.n > 1) {
				cr_expect_str_eq(q.pairs[1].key, c->k1, "case %zu key1", i);
				cr_expect_str_eq(q.pairs[1].value, c->v1, "case %zu value1", i);
			}
		} else {
			cr_expect_eq(q.n, 0, "case %zu: pairs left on error", i);
			cr_expect(err.text[0], "case %zu: error text empty", i);
		}
		pl_arena_free(a);
	}
}

Test(http_query, get_returns_first)
{
	struct pl_arena *a = pl_arena_new(1 << 20);
	struct http_query q;
	cr_assert_eq(http_query_parse("x=1&y=2&x=3", 11, a, &q, NULL), 0);
	cr_expect_str_eq(http_query_get(&q, "x"), "1");
	cr_expect_str_eq(http_query_get(&q, "y"), "2");
	cr_expect_null(http_query_get(&q, "z"));
	pl_arena_free(a);
}

Test(http_query, caps)
{
	struct pl_arena *a = pl_arena_new(1 << 20);
	struct http_query q;
	struct pl_json_error err;
	char buf[HTTP_QUERY_MAX_LEN + 2];
	struct pl_buf b;

	/* one byte over the length cap */
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	cr_expect_eq(http_query_parse(buf, strlen(buf), a, &q, &err), PL_ETOOBIG);
	/* exactly the pair cap passes, one more fails */
	pl_buf_init(&b, 1 << 16);
	for (int i = 0; i < HTTP_QUERY_MAX_PAIRS; i++)
		pl_buf_printf(&b, "%sk%d=v", i ? "&" : "", i);
	cr_expect_eq(http_query_parse(b.data, b.len, a, &q, &err), 0, "%s", err.text);
	cr_expect_eq(q.n, HTTP_QUERY_MAX_PAIRS);
	pl_buf_puts(&b, "&one=more");
	cr_expect_eq(http_query_parse(b.data, b.len, a, &q, &err), PL_ETOOBIG);
	pl_buf_release(&b);
	/* an arena too small for the pairs is a clean PL_ETOOBIG, not a crash */
	struct pl_arena *tiny = pl_arena_new(16);
	cr_expect_eq(http_query_parse("a=1&b=2&c=3", 11, tiny, &q, &err), PL_ETOOBIG);
	pl_arena_free(tiny);
	pl_arena_free(a);
}

struct b_case {
	const char *method, *path, *ctype, *body;
	int rc;
	int status;
	const char *slug;
	const char *detail_has;
};

static const struct b_case b_cases[] = {
	{ "POST", "/api/v1/enterprises", "application/json", "{\"name_zh\":\"x\"}", 0, 0, "", NULL },
	{ "POST", "/api/v1/enterprises", "application/json; charset=UTF-8", "{\"name_zh\":\"x\"}", 0, 0, "", NULL },
	{ "POST", "/api/v1/enterprises", "Application/JSON", "{\"name_zh\":\"x\"}", 0, 0, "", NULL },
	{ "POST", "/api/v1/enterprises", "application/json; charset=latin1", "{\"name_zh\":\"x\"}",
	  PL_EUNSUPPORTED, 415, "unsupported-media-type", "latin1" },
	{ "POST", "/api/v1/enterprises", "text/plain", "{}", PL_EUNSUPPORTED, 415, "unsupported-media-type", "text/plain" },
	{ "POST", "/api/v1/enterprises", NULL, "{}", PL_EUNSUPPORTED, 415, "unsupported-media-type", "(none)" },
	{ "POST", "/api/v1/enterprises", "application/jsonx", "{}", PL_EUNSUPPORTED, 415, "unsupported-media-type", NULL },
	{ "POST", "/api/v1/enterprises", "application/json", "{\"name_zh\":", PL_EPARSE, 400, "malformed-json", "byte" },
	{ "POST", "/api/v1/enterprises", "application/json", "", PL_EPARSE, 400, "malformed-json", "byte 0" },
	{ "POST", "/api/v1/enterprises", "application/json", "{\"name_zh\":\"x\"} x", PL_EPARSE, 400, "malformed-json", NULL },
	{ "POST", "/api/v1/enterprises", "application/json", "{\"a\":1,\"a\":2}", PL_EPARSE, 400, "malformed-json", NULL },
	{ "POST", "/api/v1/enterprises", "application/json", "{\"name_zh\":\"x\",\"z\":1}", PL_EINVAL, 400, "validation", "'z'" },
	{ "POST", "/api/v1/enterprises", "application/json", "{\"name_en\":\"x\"}", PL_EINVAL, 400, "validation", "'name_zh'" },
	{ "POST", "/api/v1/enterprises", "application/json", "{\"name_zh\":1}", PL_EINVAL, 400, "validation", "must be a string" },
	{ "POST", "/api/v1/enterprises", "application/json", "[]", PL_EINVAL, 400, "validation", "object" },
	{ "POST", "/api/v1/auth/login", "application/json", "{\"username\":\"a\",\"password\":\"b\"}", 0, 0, "", NULL },
	{ "POST", "/api/v1/auth/logout", "application/json", "{}", PL_ETOOBIG, 413, "payload-too-large", "takes no request body" },
	{ "GET", "/api/v1/me", NULL, "", 0, 0, "", NULL },
	{ "HEAD", "/api/v1/me", NULL, "", 0, 0, "", NULL },
	{ "GET", "/api/v1/nope", NULL, "", PL_ENOTFOUND, 404, "not-found", NULL },
	{ "DELETE", "/api/v1/me", NULL, "", PL_ENOTFOUND, 405, "method-not-allowed", NULL },
	{ "PATCH", "/api/v1/enterprises/01M89XVGGR5RW1ERNF9HFE3S3M", "application/json", "{\"name_en\":null}", 0, 0, "", NULL },
	{ "PATCH", "/api/v1/enterprises/", "application/json", "{}", PL_ENOTFOUND, 404, "not-found", NULL },
	{ "PATCH", "/api/v1/users/x", "application/json", "{\"disabled\":\"no\"}", PL_EINVAL, 400, "validation", "boolean" },
};

Test(http_body, validate_table)
{
	for (size_t i = 0; i < sizeof(b_cases) / sizeof(b_cases[0]); i++) {
		const struct b_case *c = &b_cases[i];
		struct http_problem pr;
		int rc = http_body_validate(c->method, c->path, c->ctype, c->body,
					    strlen(c->body), &pr);
		cr_expect_eq(rc, c->rc, "case %zu %s %s: rc %d (%s)", i, c->method, c->path, rc, pr.detail);
		cr_expect_eq(pr.status, c->status, "case %zu: status %d", i, pr.status);
		cr_expect_str_eq(pr.slug, c->slug, "case %zu: slug %s", i, pr.slug);
		if (c->detail_has)
			cr_expect(strstr(pr.detail, c->detail_has), "case %zu: detail '%s' lacks '%s'",
				  i, pr.detail, c->detail_has);
	}
}

Test(http_body, size_cap)
{
	/* 64 KiB is the enterprise body cap: the cap itself passes the size
	 * check (and fails JSON), one more byte is 413 */
	size_t cap = 64u << 10;
	char *big = malloc(cap + 2);
	struct http_problem pr;
	memset(big, ' ', cap + 1);
	big[0] = '{';
	big[cap - 1] = '}';
	big[cap + 1] = '\0';
	cr_expect_eq(http_body_validate("POST", "/api/v1/enterprises", "application/json", big, cap, &pr),
		     PL_EINVAL, "%s", pr.detail);
	cr_expect_eq(http_body_validate("POST", "/api/v1/enterprises", "application/json", big, cap + 1, &pr),
		     PL_ETOOBIG);
	cr_expect_eq(pr.status, 413);
	free(big);
}
