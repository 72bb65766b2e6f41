/* test_rows.c - the event normaliser on the line's own vocabulary (issue 4,
 * "the line's vocabulary"): loading vials onto a tray, raw lots into a
 * batch, a shipment with a customs declaration. Checks that identifiers
 * come out canonical whatever form they were captured in, CBV words come
 * out as URIs, and that a full arena is PL_ETOOBIG, never a crash. */
#include <criterion/criterion.h>
#include "trace/trace.h"

static json_t *parse(const char *s)
{
	json_error_t je;
	json_t *v = json_loads(s, 0, &je);
	cr_assert(v, "test JSON: %s", je.text);
	return v;
}

Test(trace_rows, tray_loading_aggregation)
{
	json_t *ev = parse(
		"{\"type\":\"AggregationEvent\",\"eventTime\":\"2024-05-01T08:00:00.1235+08:00\","
		"\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"ADD\",\"bizStep\":\"loading\","
		"\"parentID\":\"urn:epc:id:grai:0614141.12345.T42\","
		"\"childEPCs\":[\"urn:epc:id:sgtin:0614141.107346.2017\","
		"\"https://pharma.example/01/10614141073464/21/2018\"],"
		"\"readPoint\":{\"id\":\"urn:epc:id:sgln:0614141.12345.ST1\"}}");
	struct pl_arena *a = pl_arena_new(1 << 16);
	struct trace_rows r;
	char hash[TRACE_HASH_STRLEN];

	cr_assert_eq(trace_event_rows(ev, NULL, a, &r), 0);
	cr_assert_eq(trace_event_hash(ev, NULL, hash), 0);
	cr_expect_str_eq(r.hash, hash);
	cr_expect_str_eq(r.event_id, hash, "no eventID: the hash is the id");
	cr_expect_str_eq(r.type, "AggregationEvent");
	cr_expect_str_eq(r.action, "ADD");
	/* 08:00:00.1235+08:00 -> 00:00:00.124Z */
	cr_expect_eq(r.event_time_ms, 1714521600124LL);
	cr_expect_str_eq(r.biz_step, "https://ref.gs1.org/cbv/BizStep-loading");
	cr_expect_null(r.disposition);
	cr_expect_str_eq(r.read_point, "https://id.gs1.org/414/0614141123452/254/ST1");
	cr_assert_eq(r.n_epcs, 3);
	cr_expect_eq(r.epcs[0].role, TRACE_ROLE_PARENT);
	cr_expect_str_eq(r.epcs[0].epc, "https://id.gs1.org/8003/00614141123452T42");
	cr_expect_eq(r.epcs[1].role, TRACE_ROLE_CHILD);
	cr_expect_str_eq(r.epcs[1].epc, "https://id.gs1.org/01/10614141073464/21/2017");
	cr_expect_str_eq(r.epcs[2].epc, "https://id.gs1.org/01/10614141073464/21/2018");
	cr_expect_eq(r.n_qtys, 0);
	cr_expect_eq(r.n_pairs, 0);
	pl_arena_free(a);
	json_decref(ev);
}

Test(trace_rows, raw_lots_into_batch_transformation)
{
	json_t *ev = parse(
		"{\"type\":\"TransformationEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\","
		"\"eventTimeZoneOffset\":\"+08:00\",\"eventID\":\"urn:uuid:11111111-2222-3333-4444-555555555555\","
		"\"transformationID\":\"urn:epc:id:gdti:0614141.12345.WO7\","
		"\"inputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:4012345.012345.RAW1\",\"quantity\":12.5,\"uom\":\"KGM\"},"
		"{\"epcClass\":\"https://id.gs1.org/01/04012345123456/10/RAW2\",\"quantity\":3}],"
		"\"outputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:4012345.012345.B1\"}]}");
	struct pl_arena *a = pl_arena_new(1 << 16);
	struct trace_rows r;

	cr_assert_eq(trace_event_rows(ev, NULL, a, &r), 0);
	cr_expect_str_eq(r.event_id, "urn:uuid:11111111-2222-3333-4444-555555555555");
	cr_expect_null(r.action);
	cr_expect_str_eq(r.transformation_id, "https://id.gs1.org/253/0614141123452WO7");
	cr_assert_eq(r.n_qtys, 3);
	cr_expect_eq(r.qtys[0].role, TRACE_ROLE_INPUT);
	cr_expect_str_eq(r.qtys[0].epc_class, "https://id.gs1.org/01/04012345123456/10/RAW1");
	cr_expect(r.qtys[0].has_quantity && r.qtys[0].quantity == 12.5);
	cr_expect_str_eq(r.qtys[0].uom, "KGM");
	cr_expect_str_eq(r.qtys[1].epc_class, "https://id.gs1.org/01/04012345123456/10/RAW2");
	cr_expect_null(r.qtys[1].uom);
	cr_expect_eq(r.qtys[2].role, TRACE_ROLE_OUTPUT);
	cr_expect_not(r.qtys[2].has_quantity);
	pl_arena_free(a);
	json_decref(ev);
}

Test(trace_rows, shipment_with_customs_declaration)
{
	json_t *ev = parse(
		"{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventTimeZoneOffset\":\"+08:00\","
		"\"action\":\"OBSERVE\",\"bizStep\":\"shipping\",\"disposition\":\"in_transit\","
		"\"epcList\":[\"urn:epc:id:sscc:0614141.1234567890\"],"
		"\"bizTransactionList\":[{\"type\":\"desadv\",\"bizTransaction\":\"urn:epc:id:gdti:0614141.12345.C1\"},"
		"{\"bizTransaction\":\"https://customs.example.cn/decl/123\"}],"
		"\"sourceList\":[{\"type\":\"owning_party\",\"source\":\"urn:epc:id:pgln:0614141.12345\"}],"
		"\"destinationList\":[{\"type\":\"location\",\"destination\":\"urn:epc:id:sgln:0614141.12345.0\"}]}");
	struct pl_arena *a = pl_arena_new(1 << 16);
	struct trace_rows r;

	cr_assert_eq(trace_event_rows(ev, NULL, a, &r), 0);
	cr_expect_str_eq(r.disposition, "https://ref.gs1.org/cbv/Disp-in_transit");
	cr_assert_eq(r.n_epcs, 1);
	cr_expect_str_eq(r.epcs[0].epc, "https://id.gs1.org/00/106141412345678908");
	cr_assert_eq(r.n_pairs, 4);
	cr_expect_eq(r.pairs[0].dir, 'b');
	cr_expect_str_eq(r.pairs[0].type, "https://ref.gs1.org/cbv/BTT-desadv");
	cr_expect_str_eq(r.pairs[0].value, "https://id.gs1.org/253/0614141123452C1");
	cr_expect_null(r.pairs[1].type);
	cr_expect_str_eq(r.pairs[1].value, "https://customs.example.cn/decl/123");
	cr_expect_eq(r.pairs[2].dir, 's');
	cr_expect_str_eq(r.pairs[2].type, "https://ref.gs1.org/cbv/SDT-owning_party");
	cr_expect_str_eq(r.pairs[2].value, "https://id.gs1.org/417/0614141123452");
	cr_expect_eq(r.pairs[3].dir, 'd');
	cr_expect_str_eq(r.pairs[3].value, "https://id.gs1.org/414/0614141123452");
	pl_arena_free(a);
	json_decref(ev);
}

struct bad_case {
	const char *event;
	size_t arena;
	int rc;
};

static const struct bad_case bad_cases[] = {
	{ "{\"eventTime\":\"2024-05-01T08:00:00Z\"}", 1 << 16, PL_EINVAL },
	{ "{\"type\":\"ObjectEvent\"}", 1 << 16, PL_EINVAL },
	{ "{\"type\":\"ObjectEvent\",\"eventTime\":\"noon\"}", 1 << 16, PL_EINVAL },
	{ "{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\",\"action\":\"ADD\","
	  "\"epcList\":[\"urn:x:1\",\"urn:x:2\",\"urn:x:3\",\"urn:x:4\",\"urn:x:5\"]}", 64, PL_ETOOBIG },
};

Test(trace_rows, bad_events_and_full_arena)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		json_t *ev = parse(bad_cases[i].event);
		struct pl_arena *a = pl_arena_new(bad_cases[i].arena);
		struct trace_rows r;
		cr_expect_eq(trace_event_rows(ev, NULL, a, &r), bad_cases[i].rc, "case %zu", i);
		cr_expect_eq(r.n_epcs, 0, "case %zu: rows cleared on failure", i);
		pl_arena_free(a);
		json_decref(ev);
	}
}
