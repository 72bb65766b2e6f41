/* test_query.c - EPCIS REST query parameters: canonicalisation (URN and
 * Digital Link query the same rows, CBV words become URIs), the
 * contradictions and bad values the standard names, one case per rule,
 * and the sealed nextPageToken (round trip, tampering, foreign keys). */
#include <criterion/criterion.h>
#include "trace/trace.h"

static const unsigned char key[TRACE_TOKEN_KEY_BYTES] = "0123456789abcdef0123456789abcde";

/* Splits "a=b&c=d" (no URL decoding: the HTTP layer does that) into
 * params; returns the count. */
static size_t split(char *qs, struct trace_query_param *p, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *kv = strtok_r(qs, "&", &save); kv && n < max; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		p[n].name = kv;
		p[n].value = eq ? eq + 1 : "";
		if (eq)
			*eq = '\0';
		n++;
	}
	return n;
}

struct qcase {
	const char *qs;
	int rc;
	const char *exception; /* when rc != 0 */
	const char *text;      /* when rc != 0: exact message */
};

static const struct qcase qcases[] = {
	{ "eventType=ObjectEvent|AggregationEvent&EQ_action=ADD|DELETE&perPage=10", 0, NULL, NULL },
	{ "EQ_action=MOVE", PL_EINVAL, "QueryParameterException",
	  "EQ_action: 'MOVE' is not a valid action" },
	{ "eventType=MoveEvent", PL_EINVAL, "QueryParameterException",
	  "eventType: 'MoveEvent' is not a valid event type" },
	{ "EQ_action=urn:x:add", PL_EINVAL, "QueryParameterException",
	  "EQ_action: must be ADD, OBSERVE or DELETE" },
	{ "EQ_bizStep=transforming", PL_EINVAL, "QueryParameterException",
	  "EQ_bizStep: 'transforming' is neither a CBV word nor a URI" },
	{ "MATCH_epc=urn:epc:id:sgtin:0614141.10734.1", PL_EINVAL, "QueryParameterException",
	  "MATCH_epc: 'urn:epc:id:sgtin:0614141.10734.1': SGTIN needs CompanyPrefix.IndicatorItemRef.Serial with 13 digits before the serial" },
	{ "MATCH_epc=vial7", PL_EINVAL, "QueryParameterException", "MATCH_epc: 'vial7' is not a URI" },
	{ "MATCH_epc=", PL_EINVAL, "QueryParameterException", "MATCH_epc: needs at least one value" },
	{ "MATCH_epc=urn:x:1||urn:x:2", PL_EINVAL, "QueryParameterException",
	  "MATCH_epc: empty or overlong value" },
	{ "MATCH_epc=urn:x:1&MATCH_epc=urn:x:2", PL_EINVAL, "QueryParameterException",
	  "MATCH_epc: given more than once" },
	{ "GE_eventTime=yesterday", PL_EINVAL, "QueryParameterException",
	  "GE_eventTime: 'yesterday' is not an RFC 3339 date-time with a time zone" },
	{ "GE_eventTime=2024-05-02T00:00:00Z&LT_eventTime=2024-05-01T00:00:00Z", PL_EINVAL,
	  "QueryParameterException", "GE_eventTime must be before LT_eventTime" },
	{ "GE_recordTime=2024-05-01T00:00:00Z&LT_recordTime=2024-05-01T08:00:00+08:00", PL_EINVAL,
	  "QueryParameterException", "GE_recordTime must be before LT_recordTime" },
	{ "eventCountLimit=5&maxEventCount=9&orderBy=eventTime", PL_EINVAL, "QueryParameterException",
	  "eventCountLimit and maxEventCount are mutually exclusive" },
	{ "eventCountLimit=5", PL_EINVAL, "QueryParameterException", "eventCountLimit needs orderBy" },
	{ "eventCountLimit=0&orderBy=eventTime", PL_EINVAL, "QueryParameterException",
	  "eventCountLimit: must be a whole number from 1 to 2147483647" },
	{ "perPage=5000", PL_EINVAL, "QueryParameterException",
	  "perPage: must be a whole number from 1 to 1000" },
	{ "orderDirection=UP", PL_EINVAL, "QueryParameterException", "orderDirection: must be ASC or DESC" },
	{ "orderBy=ex:weight", PL_EUNSUPPORTED, "ImplementationException",
	  "orderBy: only eventTime and recordTime are supported" },
	{ "EQ_bizTransaction_order=urn:x:1", PL_EINVAL, "QueryParameterException",
	  "EQ_bizTransaction_order: 'order' is neither a CBV bizTransaction type nor a URI" },
	{ "EXISTS_errorDeclaration=true", PL_EUNSUPPORTED, "ImplementationException",
	  "EXISTS_errorDeclaration: this query parameter is not supported yet" },
	{ "colour=red", PL_EINVAL, "QueryParameterException", "colour: unknown query parameter" },
	{ "nextPageToken=AAAA", PL_EINVAL, "ValidationException",
	  "nextPageToken: malformed, expired or not issued by this server" },
};

Test(trace_query, rules_table)
{
	for (size_t i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++) {
		char qs[512];
		struct trace_query_param p[16];
		struct trace_query q;
		struct trace_query_error err;
		struct pl_arena *a = pl_arena_new(1 << 16);
		size_t n;
		int rc;

		pl_strlcpy(qs, qcases[i].qs, sizeof(qs));
		n = split(qs, p, 16);
		rc = trace_query_parse(p, n, key, a, &q, &err);
		cr_expect_eq(rc, qcases[i].rc, "case %zu '%s': rc %d (%s)", i, qcases[i].qs, rc,
			     rc ? err.text : "");
		if (rc && qcases[i].rc) {
			cr_expect_str_eq(err.exception, qcases[i].exception, "case %zu", i);
			cr_expect_str_eq(err.text, qcases[i].text, "case %zu\n got: %s\nwant: %s", i,
					 err.text, qcases[i].text);
		}
		pl_arena_free(a);
	}
}

Test(trace_query, values_are_canonical)
{
	char qs[] = "MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017|https://brand.example/01/10614141073464/21/2018"
		"&EQ_bizStep=shipping|https://example.com/steps/bottling&EQ_action=OBSERVE"
		"&EQ_bizTransaction_po=urn:epc:id:gdti:0614141.12345.C1"
		"&EQ_source_https://ex.example/sdt/port=urn:epc:id:sgln:0614141.12345.0"
		"&GE_eventTime=2024-05-01T08:00:00.1235+08:00&orderBy=eventTime&orderDirection=ASC";
	struct trace_query_param p[16];
	struct trace_query q;
	struct trace_query_error err;
	struct pl_arena *a = pl_arena_new(1 << 16);
	size_t n = split(qs, p, 16);

	cr_assert_eq(trace_query_parse(p, n, key, a, &q, &err), 0, "%s", err.text);
	cr_assert_eq(q.match_epc.n, 2);
	cr_expect_str_eq(q.match_epc.v[0], "https://id.gs1.org/01/10614141073464/21/2017");
	cr_expect_str_eq(q.match_epc.v[1], "https://id.gs1.org/01/10614141073464/21/2018");
	cr_assert_eq(q.eq_biz_step.n, 2);
	cr_expect_str_eq(q.eq_biz_step.v[0], "https://ref.gs1.org/cbv/BizStep-shipping");
	cr_expect_str_eq(q.eq_biz_step.v[1], "https://example.com/steps/bottling");
	cr_expect_eq(q.actions, TRACE_ACTION_OBSERVE);
	cr_assert_eq(q.eq_biz_transaction.n, 1);
	cr_expect_str_eq(q.eq_biz_transaction.type[0], "https://ref.gs1.org/cbv/BTT-po");
	cr_expect_str_eq(q.eq_biz_transaction.values[0].v[0], "https://id.gs1.org/253/0614141123452C1");
	cr_assert_eq(q.eq_source.n, 1);
	cr_expect_str_eq(q.eq_source.type[0], "https://ex.example/sdt/port");
	cr_expect_str_eq(q.eq_source.values[0].v[0], "https://id.gs1.org/414/0614141123452");
	cr_expect(q.has_ge_event_time);
	cr_expect_eq(q.ge_event_time_ms, 1714521600124LL);
	cr_expect_eq(q.order_by, TRACE_ORDER_EVENT_TIME);
	cr_expect_not(q.order_desc);
	cr_expect_eq(q.per_page, TRACE_PER_PAGE_DEFAULT);
	pl_arena_free(a);
}

Test(trace_query, page_token_round_trip_and_tamper)
{
	static const unsigned char other[TRACE_TOKEN_KEY_BYTES] = "another key, another server....";
	char tok[TRACE_TOKEN_MAX], id[TRACE_ID_MAX];
	int64_t ms = 0;

	cr_assert_eq(trace_page_token_encode(key, 1714521600124LL,
					     "ni:///sha-256;abc?ver=CBV2.0", tok), 0);
	cr_assert_eq(trace_page_token_decode(key, tok, &ms, id), 0);
	cr_expect_eq(ms, 1714521600124LL);
	cr_expect_str_eq(id, "ni:///sha-256;abc?ver=CBV2.0");
	/* Opaque: the id is not readable in the token. */
	cr_expect_null(strstr(tok, "sha-256"));
	cr_expect_eq(trace_page_token_decode(other, tok, &ms, id), PL_EINVAL, "foreign key");
	for (size_t i = 0; tok[i]; i++) {
		char t2[TRACE_TOKEN_MAX];
		pl_strlcpy(t2, tok, sizeof(t2));
		t2[i] = t2[i] == 'A' ? 'B' : 'A';
		cr_expect_eq(trace_page_token_decode(key, t2, &ms, id), PL_EINVAL,
			     "tampered at %zu accepted", i);
	}
	cr_expect_eq(trace_page_token_decode(key, "", &ms, id), PL_EINVAL);
	cr_expect_eq(trace_page_token_decode(key, "!!!", &ms, id), PL_EINVAL);
	cr_expect_eq(trace_page_token_encode(key, 1, "", tok), PL_EINVAL);

	/* And through the query parser. */
	struct trace_query_param p = { "nextPageToken", NULL };
	struct trace_query q;
	struct trace_query_error err;
	struct pl_arena *a = pl_arena_new(1 << 16);
	cr_assert_eq(trace_page_token_encode(key, 42, "urn:uuid:1", tok), 0);
	p.value = tok;
	cr_assert_eq(trace_query_parse(&p, 1, key, a, &q, &err), 0, "%s", err.text);
	cr_expect(q.has_page_token);
	cr_expect_eq(q.after_record_time_ms, 42);
	cr_expect_str_eq(q.after_event_id, "urn:uuid:1");
	pl_arena_free(a);
}
