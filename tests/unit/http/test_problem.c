/* test_problem.c - table-driven tests for src/http/problem.c: each PL_E
 * code maps to one HTTP status and a stable problem slug (clients switch
 * on the slugs, so a change here is an API change). */
#include <criterion/criterion.h>
#include "http/http_int.h"

struct p_case { int code; int status; const char *slug; };

static const struct p_case p_cases[] = {
	{ PL_EINVAL, 400, "validation" },
	{ PL_EPARSE, 400, "malformed-json" },
	{ PL_EAUTH, 401, "unauthenticated" },
	{ PL_EFORBIDDEN, 403, "forbidden" },
	{ PL_ENOTFOUND, 404, "not-found" },
	{ PL_EEXIST, 409, "conflict" },
	{ PL_ECONFLICT, 409, "conflict" },
	{ PL_ETOOBIG, 413, "payload-too-large" },
	{ PL_EUNSUPPORTED, 415, "unsupported-media-type" },
	{ PL_ETHROTTLED, 429, "throttled" },
	{ PL_EIO, 500, "internal" },
	{ PL_EINTERNAL, 500, "internal" },
	{ PL_EDB, 503, "unavailable" },
	{ PL_EBUSY, 503, "unavailable" },
	{ PL_ETIMEOUT, 504, "timeout" },
	{ -999, 500, "internal" }, /* unknown codes are a bug, reported as 500 */
};

Test(http_problem, status_table)
{
	for (size_t i = 0; i < sizeof(p_cases) / sizeof(p_cases[0]); i++) {
		const char *slug = NULL, *title = NULL;
		int st = http__status_for(p_cases[i].code, &slug, &title);
		cr_expect_eq(st, p_cases[i].status, "code %d: status %d", p_cases[i].code, st);
		cr_expect_str_eq(slug, p_cases[i].slug, "code %d: slug %s", p_cases[i].code, slug);
		cr_expect(title && *title, "code %d: no title", p_cases[i].code);
	}
}

Test(http_problem, set_overrides_slug_and_truncates_detail)
{
	struct http_problem p;
	char long_text[600];

	http__problem_set(&p, PL_EAUTH, "invalid-credentials", "wrong %s", "password");
	cr_expect_eq(p.status, 401);
	cr_expect_str_eq(p.slug, "invalid-credentials");
	cr_expect_str_eq(p.detail, "wrong password");
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	http__problem_set(&p, PL_EINVAL, NULL, "%s", long_text);
	cr_expect_eq(strlen(p.detail), sizeof(p.detail) - 1, "detail must be capped, not overflow");
	cr_expect_str_eq(p.slug, "validation");
}
