/* test_core.c - table-driven tests for core: time, ids, buffers, arena,
 * JSON parsing and field checks, configuration layering. */
#include <criterion/criterion.h>
#include "core/core.h"

struct time_case { const char *in; int64_t ms; int rc; };
static const struct time_case time_cases[] = {
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "1970-01-01T00:00:00.001Z", 1, 0 },
	{ "2026-11-25T17:45:56.123Z", 1795628756123LL, 0 },
	{ "2026-11-26T01:45:56.123+08:00", 1795628756123LL, 0 },
	{ "2005-07-11T11:30:47.0+00:00", 1121081447000LL, 0 },
	{ "2019-10-07T15:00:00.000+02:00", 1570453200000LL, 0 },
	{ "2024-02-29T00:00:00Z", 1709164800000LL, 0 },
	{ "1969-12-31T23:59:59.999Z", -1, 0 },
	{ "2023-02-29T00:00:00Z", 0, PL_EINVAL },
	{ "2026-13-01T00:00:00Z", 0, PL_EINVAL },
	{ "2026-11-25T24:00:00Z", 0, PL_EINVAL },
	{ "2026-11-25T17:45:56", 0, PL_EINVAL },
	{ "2026-11-25", 0, PL_EINVAL },
	{ "2026-11-25T17:45:56.Z", 0, PL_EINVAL },
	{ "2026-11-25T17:45:56Zjunk", 0, PL_EINVAL },
	{ "", 0, PL_EINVAL },
};

Test(core_time, parse_table)
{
	for (size_t i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		int64_t ms = 0;
		int rc = pl_time_parse(time_cases[i].in, &ms);
		cr_expect_eq(rc, time_cases[i].rc, "case %zu '%s': rc %d", i, time_cases[i].in, rc);
		if (rc == 0)
			cr_expect_eq(ms, time_cases[i].ms, "case %zu '%s': got %lld", i,
				     time_cases[i].in, (long long)ms);
	}
}

Test(core_time, format_round_trips)
{
	static const int64_t vals[] = { 0, 1, -1, 1795628756123LL, 253402300799999LL };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char s[PL_TIME_STRLEN];
		int64_t back = 0;
		pl_time_format(vals[i], s);
		cr_assert_eq(pl_time_parse(s, &back), 0, "%s", s);
		cr_expect_eq(back, vals[i], "%s", s);
	}
	char s[PL_TIME_STRLEN];
	pl_time_format(1795628756123LL, s);
	cr_expect_str_eq(s, "2026-11-25T17:45:56.123Z");
}

Test(core_id, unique_valid_sortable)
{
	char a[PL_ID_LEN + 1], b[PL_ID_LEN + 1];
	pl_id_new(a);
	cr_expect(pl_id_valid(a), "%s", a);
	for (int i = 0; i < 1000; i++) {
		pl_id_new(b);
		cr_assert(strcmp(a, b) != 0);
		cr_expect(strncmp(a, b, 10) <= 0, "time prefix went backwards");
	}
	cr_expect(!pl_id_valid("not-an-id"));
	cr_expect(!pl_id_valid("01ARZ3NDEKTSV4RRFFQ69G5FAU")); /* U not in alphabet */
	cr_expect(pl_id_valid("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
}

/* pl_id_after: each id sorts after the one before, within a millisecond
 * too; the successor carries (cases: prev -> the id after it when the
 * clock has not moved on). */
Test(core_id, after_keeps_order)
{
	static const struct { const char *prev, *next; } cases[] = {
		{ "7ZZZZZZZZZ000000000000000A", "7ZZZZZZZZZ000000000000000B" },
		{ "7ZZZZZZZZZ000000000000000Z", "7ZZZZZZZZZ0000000000000010" },
		{ "7ZZZZZZZZZ0ZZZZZZZZZZZZZZZ", "7ZZZZZZZZZ1000000000000000" },
		{ "7ZZZZZZZZZ00000000000000H9", "7ZZZZZZZZZ00000000000000HA" },
	};
	char ids[2000][PL_ID_LEN + 1];

	/* far-future prevs: the fresh id sorts before them, so prev + 1 */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[PL_ID_LEN + 1];
		pl_id_after(cases[i].prev, out);
		cr_expect_str_eq(out, cases[i].next);
		cr_expect(pl_id_valid(out), "%s", out);
	}
	/* 2,000 in a row: many share a millisecond, all in order */
	for (int i = 0; i < 2000; i++)
		pl_id_after(i ? ids[i - 1] : NULL, ids[i]);
	for (int i = 1; i < 2000; i++)
		cr_assert(strcmp(ids[i - 1], ids[i]) < 0, "%s then %s", ids[i - 1], ids[i]);
}

Test(core_buf, cap_holds)
{
	struct pl_buf b;
	pl_buf_init(&b, 10);
	cr_expect_eq(pl_buf_puts(&b, "hello"), 0);
	cr_expect_eq(pl_buf_printf(&b, "%d", 12345), 0);
	cr_expect_eq(b.len, 10u);
	cr_expect_eq(pl_buf_puts(&b, "!"), PL_ETOOBIG);
	cr_expect_str_eq(b.data, "hello12345");
	char *s = pl_buf_steal(&b);
	cr_expect_str_eq(s, "hello12345");
	free(s);
	cr_expect_eq(b.len, 0u);
	pl_buf_release(&b);
}

Test(core_arena, cap_and_alignment)
{
	struct pl_arena *a = pl_arena_new(100000);
	for (int i = 0; i < 100; i++) {
		void *p = pl_arena_alloc(a, (size_t)i + 1);
		cr_assert_not_null(p);
		cr_expect_eq((uintptr_t)p % 16, 0u);
	}
	cr_expect_null(pl_arena_alloc(a, 200000));
	char *s = pl_arena_printf(a, "%s-%d", "x", 7);
	cr_expect_str_eq(s, "x-7");
	pl_arena_free(a);
}

struct json_case { const char *in; int depth; int rc; const char *needle; };
static const struct json_case json_cases[] = {
	{ "{\"a\":1}", 4, 0, NULL },
	{ "[[[[1]]]]", 4, 0, NULL },
	{ "[[[[[1]]]]]", 4, PL_EPARSE, "deeper than 4" },
	{ "[\"[[[[[[\"]", 2, 0, NULL },
	{ "{\"a\":1,\"a\":2}", 4, PL_EPARSE, "duplicate" },
	{ "{\"a\":}", 4, PL_EPARSE, "column 6" },
	{ "{\"a\":1} x", 4, PL_EPARSE, "malformed" },
	{ "\"\xff\"", 4, PL_EPARSE, "malformed" },
	{ "", 4, PL_EPARSE, "malformed" },
};

Test(core_json, parse_table)
{
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct json_case *c = &json_cases[i];
		struct pl_json_error err = { 0 };
		json_t *v = NULL;
		int rc = pl_json_parse(c->in, strlen(c->in), c->depth, &v, &err);
		cr_expect_eq(rc, c->rc, "case %zu: rc %d (%s)", i, rc, err.text);
		if (c->needle)
			cr_expect(strstr(err.text, c->needle), "case %zu: '%s'", i, err.text);
		json_decref(v);
	}
}

Test(core_json, field_check_names_field)
{
	static const struct pl_json_field spec[] = {
		{ "name", PL_JT_STRING, true, 8 },
		{ "count", PL_JT_INTEGER, false, 0 },
		{ NULL, 0, false, 0 },
	};
	struct { const char *in; int rc; const char *field; } cases[] = {
		{ "{\"name\":\"ok\"}", 0, "" },
		{ "{\"name\":\"ok\",\"count\":3}", 0, "" },
		{ "{}", PL_EINVAL, "name" },
		{ "{\"name\":null}", PL_EINVAL, "name" },
		{ "{\"name\":\"ok\",\"extra\":1}", PL_EINVAL, "extra" },
		{ "{\"name\":5}", PL_EINVAL, "name" },
		{ "{\"name\":\"ok\",\"count\":1.5}", PL_EINVAL, "count" },
		{ "{\"name\":\"too long name\"}", PL_EINVAL, "name" },
		{ "[]", PL_EINVAL, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pl_json_error err = { 0 };
		json_t *v = json_loads(cases[i].in, 0, NULL);
		cr_assert_not_null(v);
		cr_expect_eq(pl_json_check(v, spec, &err), cases[i].rc, "case %zu", i);
		cr_expect_str_eq(err.field, cases[i].field, "case %zu: %s", i, err.text);
		json_decref(v);
	}
}

static const struct pl_config_key keys[] = {
	{ "listen", "127.0.0.1:8080", "address" },
	{ "db", "parkline.db", "store" },
	{ NULL, NULL, NULL },
};

Test(core_config, layering_and_errors)
{
	struct pl_config cfg;
	struct pl_json_error err = { 0 };
	char *env[] = { "PARKLINE_DB=env.db", "OTHER=1", NULL };
	const char good[] = "# comment\nlisten = 0.0.0.0:9000\n\ndb = \"file.db\"\n";
	const char bad[] = "listen = 1\nnope = 2\n";

	pl_config_init(&cfg, keys);
	cr_expect_eq(pl_config_parse(&cfg, good, strlen(good), "t.conf", &err), 0, "%s", err.text);
	pl_config_load_env(&cfg, env);
	cr_expect_str_eq(pl_config_get(&cfg, "listen"), "0.0.0.0:9000");
	cr_expect_str_eq(pl_config_get(&cfg, "db"), "env.db");
	pl_config_set(&cfg, "db", "flag.db", PL_CFG_FLAG, NULL);
	pl_config_load_env(&cfg, env); /* env must not override a flag */
	cr_expect_str_eq(pl_config_get(&cfg, "db"), "flag.db");
	/* a bad file changes nothing and names its line */
	cr_expect_eq(pl_config_parse(&cfg, bad, strlen(bad), "b.conf", &err), PL_EINVAL);
	cr_expect(strstr(err.text, "b.conf:2"), "%s", err.text);
	cr_expect_str_eq(pl_config_get(&cfg, "listen"), "0.0.0.0:9000");
	cr_expect_eq(pl_config_set(&cfg, "unknown", "x", PL_CFG_FLAG, NULL), PL_ENOTFOUND);
	pl_config_release(&cfg);
}

Test(core_misc, parse_i64_and_strerror)
{
	int64_t v;
	cr_expect_eq(pl_parse_i64("42", 0, 100, &v), 0);
	cr_expect_eq(v, 42);
	cr_expect_eq(pl_parse_i64("101", 0, 100, &v), PL_EINVAL);
	cr_expect_eq(pl_parse_i64("4x", 0, 100, &v), PL_EINVAL);
	cr_expect_eq(pl_parse_i64(" 4", 0, 100, &v), PL_EINVAL);
	cr_expect_str_eq(pl_strerror(PL_ENOTFOUND), "not found");
	cr_expect_str_eq(pl_strerror(-999), "unknown error");
}
