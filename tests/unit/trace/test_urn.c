/* test_urn.c - canonical Digital Link -> EPC URN (src/trace/urn.c) with the
 * shipped GCP-length table data/gs1/gcp-length.txt: every URN in the table
 * below parses to its canonical Digital Link (trace_id_parse) and comes
 * back as the same URN; a prefix the table does not list, or a key kind
 * without a URN mapping here, is PL_ENOTFOUND (keep the Digital Link); a
 * malformed table is refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "trace/trace.h"

static struct trace_gcp *load(void)
{
	FILE *f = fopen("data/gs1/gcp-length.txt", "rb");
	char buf[8192];
	cr_assert_not_null(f, "data/gs1/gcp-length.txt (run from the repository root)");
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	struct trace_gcp *t = NULL;
	cr_assert_eq(trace_gcp_parse(buf, &t), 0);
	return t;
}

Test(urn, round_trips_through_the_canonical_digital_link)
{
	static const char *const urns[] = {
		"urn:epc:id:sgtin:0614141.107346.2017",
		"urn:epc:id:sgtin:0614141.812345.6789AB",
		"urn:epc:class:lgtin:0614141.107346.LOT1",
		"urn:epc:id:sscc:0614141.1234567890",
		"urn:epc:id:sgln:0614141.00777.0",
		"urn:epc:id:sgln:0614141.00888.1",
		"urn:epc:id:pgln:0614141.00002",
		"urn:epc:id:grai:0614141.12345.400",
		"urn:epc:id:sgtin:6901234.000001.V0001",
	};
	struct trace_gcp *t = load();
	for (size_t i = 0; i < sizeof(urns) / sizeof(urns[0]); i++) {
		struct trace_id id;
		char back[TRACE_ID_MAX];
		cr_assert_eq(trace_id_parse(urns[i], &id, NULL), 0, "%s", urns[i]);
		cr_expect_eq(trace_id_to_urn(t, id.canon, back), 0, "%s (%s)", urns[i], id.canon);
		cr_expect_str_eq(back, urns[i], "%s via %s", urns[i], id.canon);
	}
	trace_gcp_free(t);
}

Test(urn, unknown_prefixes_and_kinds_keep_the_digital_link)
{
	static const struct {
		const char *in;
		int rc;
	} cases[] = {
		{ "urn:epc:id:sgtin:9999999.012345.1", PL_ENOTFOUND },  /* prefix not listed */
		{ "urn:epc:id:giai:0614141.12345400", PL_ENOTFOUND },   /* no mapping here */
	};
	struct trace_gcp *t = load();
	char out[TRACE_ID_MAX];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct trace_id id;
		cr_assert_eq(trace_id_parse(cases[i].in, &id, NULL), 0, "%s", cases[i].in);
		cr_expect_eq(trace_id_to_urn(t, id.canon, out), cases[i].rc, "%s", cases[i].in);
	}
	cr_expect_eq(trace_id_to_urn(t, "urn:epc:id:sgtin:0614141.107346.2017", out), PL_EINVAL);
	trace_gcp_free(t);
}

Test(urn, malformed_tables_are_refused)
{
	static const char *const bad[] = { "0614141\n", "06x4141 7\n", "0614141 3\n",
					   "0614141 13\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trace_gcp *t = NULL;
		cr_expect_eq(trace_gcp_parse(bad[i], &t), PL_EINVAL, "%s", bad[i]);
		cr_expect_null(t);
	}
}
