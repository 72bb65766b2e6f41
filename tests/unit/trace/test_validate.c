/* test_validate.c - EPCIS document validation: every GS1 example document
 * in $PL_SHARED/data/epcis/examples validates (and every event in it
 * hashes), and one small negative document per rule is rejected with the
 * message naming the event index and field. PL_SHARED defaults to
 * ../shared relative to the repository root, where the tests run. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sys/stat.h>
#include "trace/trace.h"

static const char *shared_dir(void)
{
	const char *s = getenv("PL_SHARED");
	return s && *s ? s : "../shared";
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert(f, "cannot open %s (set PL_SHARED to the shared data folder)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = pl_malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Validates every *.jsonld under dir (one level of subfolders). */
static void validate_tree(const char *dir, int depth, size_t *docs, size_t *events)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	cr_assert(d, "cannot open %s (set PL_SHARED to the shared data folder)", dir);
	while ((de = readdir(d))) {
		char path[1024];
		struct stat st;
		size_t n = strlen(de->d_name), len;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		cr_assert_eq(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode) && depth < 2) {
			validate_tree(path, depth + 1, docs, events);
			continue;
		}
		if (n < 7 || strcmp(de->d_name + n - 7, ".jsonld") != 0)
			continue;
		char *text = slurp(path, &len);
		struct trace_errors errs;
		json_t *doc = NULL;
		trace_errors_init(&errs);
		int rc = trace_doc_validate(text, len, &doc, &errs);
		cr_expect_eq(rc, 0, "%s: rc %d, first error: %s", path, rc,
			     errs.n ? errs.msg[0] : "(none)");
		if (rc == 0) {
			const json_t *evs = trace_doc_events(doc);
			size_t i;
			json_t *ev;
			cr_assert(evs, "%s: no events", path);
			json_array_foreach(evs, i, ev) {
				char h[TRACE_HASH_STRLEN];
				cr_expect_eq(trace_event_hash(ev, json_object_get(doc, "@context"), h),
					     0, "%s event %zu does not hash", path, i);
				(*events)++;
			}
		}
		(*docs)++;
		json_decref(doc);
		trace_errors_release(&errs);
		free(text);
	}
	closedir(d);
}

Test(trace_validate, every_gs1_example_validates)
{
	char dir[512];
	size_t docs = 0, events = 0;

	snprintf(dir, sizeof(dir), "%s/data/epcis/examples", shared_dir());
	validate_tree(dir, 0, &docs, &events);
	/* The domain note counts 47 documents with 56 events. */
	cr_expect_eq(docs, 47, "documents: %zu", docs);
	cr_expect_eq(events, 56, "events: %zu", events);
}

#define DOC_HEAD "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"," \
	"{\"example\":\"https://ns.example.com/epcis/\"}],\"type\":\"EPCISDocument\"," \
	"\"schemaVersion\":\"2.0\",\"creationDate\":\"2024-05-01T08:00:00Z\",\"epcisBody\":{\"eventList\":["
#define DOC_TAIL "]}}"
/* A valid ObjectEvent to put first, so failures are at index 1. */
#define OK_EV "{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T08:00:00+08:00\"," \
	"\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"OBSERVE\",\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.2017\"]}"
#define EV(fields) "{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T08:00:00+08:00\"," \
	"\"eventTimeZoneOffset\":\"+08:00\"" fields "}"
#define P "epcisBody.eventList[1]."

struct neg_case {
	const char *doc;     /* whole document */
	int rc;
	const char *msg;     /* expected first error, exactly */
};

static const struct neg_case neg_cases[] = {
	/* action enum */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"UPDATE\",\"epcList\":[]") DOC_TAIL, PL_EINVAL,
	  P "action: must be ADD, OBSERVE or DELETE" },
	/* action required */
	{ DOC_HEAD OK_EV "," EV(",\"epcList\":[]") DOC_TAIL, PL_EINVAL,
	  P "action: is required (ADD, OBSERVE or DELETE)" },
	/* eventTime required / format */
	{ DOC_HEAD OK_EV ",{\"type\":\"ObjectEvent\",\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"ADD\",\"epcList\":[]}" DOC_TAIL,
	  PL_EINVAL, P "eventTime: is required" },
	{ DOC_HEAD OK_EV ",{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01 08:00\",\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"ADD\",\"epcList\":[]}" DOC_TAIL,
	  PL_EINVAL, P "eventTime: must be an RFC 3339 date-time with a time zone, e.g. 2024-05-01T08:30:00.000+08:00, got '2024-05-01 08:00'" },
	{ DOC_HEAD OK_EV ",{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-02-30T08:00:00Z\",\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"ADD\",\"epcList\":[]}" DOC_TAIL,
	  PL_EINVAL, P "eventTime: must be an RFC 3339 date-time with a time zone, e.g. 2024-05-01T08:30:00.000+08:00, got '2024-02-30T08:00:00Z'" },
	/* time zone offset pattern */
	{ DOC_HEAD OK_EV ",{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventTimeZoneOffset\":\"+15:00\",\"action\":\"ADD\",\"epcList\":[]}" DOC_TAIL,
	  PL_EINVAL, P "eventTimeZoneOffset: must be a UTC offset from -14:00 to +14:00 like +08:00, got '+15:00'" },
	/* event type */
	{ DOC_HEAD OK_EV ",{\"type\":\"MoveEvent\"}" DOC_TAIL, PL_EINVAL,
	  P "type: 'MoveEvent' is not an EPCIS event type (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent or an extension URI)" },
	/* format: uri on EPCs */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[\"vial 7\"]") DOC_TAIL, PL_EINVAL,
	  P "epcList[0]: must be a URI, got 'vial 7'" },
	/* check digits in a Digital Link */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[\"https://id.gs1.org/01/10614141073465/21/1\"]") DOC_TAIL,
	  PL_EINVAL, P "epcList[0]: invalid identifier 'https://id.gs1.org/01/10614141073465/21/1': GTIN must be 8, 12, 13 or 14 digits with a valid check digit" },
	/* malformed EPC URN */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[\"urn:epc:id:sgtin:0614141.10734.1\"]") DOC_TAIL,
	  PL_EINVAL, P "epcList[0]: invalid identifier 'urn:epc:id:sgtin:0614141.10734.1': SGTIN needs CompanyPrefix.IndicatorItemRef.Serial with 13 digits before the serial" },
	/* uniqueItems */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[\"urn:x:1\",\"urn:x:1\"]") DOC_TAIL,
	  PL_EINVAL, P "epcList[1]: duplicate of item 0" },
	/* uniqueItems in a list long enough to be checked through a hash
	 * table (validate.c, DUP_SCAN_MAX): the first earlier equal item is
	 * named, a non-string item in between is skipped */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[\"urn:x:0\",\"urn:x:1\",\"urn:x:2\","
	  "\"urn:x:3\",\"urn:x:4\",\"urn:x:5\",\"urn:x:6\",\"urn:x:7\",\"urn:x:8\",\"urn:x:9\",\"urn:x:10\","
	  "\"urn:x:11\",\"urn:x:12\",\"urn:x:13\",\"urn:x:14\",\"urn:x:15\",\"urn:x:16\",\"urn:x:17\","
	  "\"urn:x:3\",\"urn:x:3\"]") DOC_TAIL,
	  PL_EINVAL, P "epcList[18]: duplicate of item 3" },
	/* CBV vocabulary: bare non-CBV word, and the old URN form */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"bizStep\":\"transforming\"") DOC_TAIL,
	  PL_EINVAL, P "bizStep: 'transforming' is not a CBV bizStep; use a CBV word (e.g. accepting) or a full URI" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"disposition\":\"in_transport\"") DOC_TAIL,
	  PL_EINVAL, P "disposition: 'in_transport' is not a CBV disposition; use a CBV word (e.g. active) or a full URI" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"bizStep\":\"urn:epcglobal:cbv:bizstep:shipping\"") DOC_TAIL,
	  PL_EINVAL, P "bizStep: 'urn:epcglobal:cbv:bizstep:shipping': CBV terms must be bare words in JSON-LD" },
	/* quantity element rules */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"quantityList\":[{\"quantity\":1}]") DOC_TAIL,
	  PL_EINVAL, P "quantityList[0].epcClass: is required" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"quantityList\":[{\"epcClass\":\"urn:x:c\",\"quantity\":\"5\"}]") DOC_TAIL,
	  PL_EINVAL, P "quantityList[0].quantity: must be a number" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"quantityList\":[{\"epcClass\":\"urn:x:c\",\"uom\":\"kg\"}]") DOC_TAIL,
	  PL_EINVAL, P "quantityList[0].uom: must be a UN/ECE Rec 20 unit code of 2 or 3 upper-case letters or digits, like KGM" },
	/* ObjectEvent needs what */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\"") DOC_TAIL, PL_EINVAL,
	  P "epcList: an ObjectEvent needs epcList, a non-empty quantityList, or sensorElementList with readPoint" },
	/* ilmd only with ADD, and namespaced */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"OBSERVE\",\"epcList\":[],\"ilmd\":{\"example:lot\":\"1\"}") DOC_TAIL,
	  PL_EINVAL, P "ilmd: only allowed when action is ADD" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"ilmd\":{\"lot\":\"1\"}") DOC_TAIL,
	  PL_EINVAL, P "ilmd.lot: unknown field (extensions need a namespace prefix, e.g. example:lot, declared in @context)" },
	/* extension prefixes must be declared */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"acme:grade\":\"A\"") DOC_TAIL,
	  PL_EINVAL, P "acme:grade: namespace prefix 'acme' is not declared in @context" },
	/* a member of another event type */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"childEPCs\":[]") DOC_TAIL,
	  PL_EINVAL, P "childEPCs: not allowed in ObjectEvent" },
	{ DOC_HEAD OK_EV ",{\"type\":\"TransformationEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"ADD\",\"inputEPCList\":[\"urn:x:1\"],\"outputEPCList\":[\"urn:x:2\"]}" DOC_TAIL,
	  PL_EINVAL, P "action: not allowed in TransformationEvent" },
	/* TransformationEvent inputs/outputs */
	{ DOC_HEAD OK_EV ",{\"type\":\"TransformationEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"inputEPCList\":[\"urn:x:1\"]}" DOC_TAIL,
	  PL_EINVAL, P "inputEPCList: a TransformationEvent needs inputs and outputs, or either one with a transformationID" },
	/* AggregationEvent children */
	{ DOC_HEAD OK_EV ",{\"type\":\"AggregationEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"ADD\",\"parentID\":\"urn:epc:id:grai:4012345.00001.T7\",\"childEPCs\":[]}" DOC_TAIL,
	  PL_EINVAL, P "childEPCs: needs at least one child EPC or childQuantityList item (only DELETE may omit both)" },
	/* AssociationEvent parentID */
	{ DOC_HEAD OK_EV ",{\"type\":\"AssociationEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"ADD\",\"childEPCs\":[\"urn:x:1\"]}" DOC_TAIL,
	  PL_EINVAL, P "parentID: is required in an AssociationEvent" },
	/* TransactionEvent bizTransactionList */
	{ DOC_HEAD OK_EV ",{\"type\":\"TransactionEvent\",\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"ADD\",\"epcList\":[]}" DOC_TAIL,
	  PL_EINVAL, P "bizTransactionList: is required in a TransactionEvent" },
	/* source/destination */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"sourceList\":[{\"source\":\"urn:x:1\"}]") DOC_TAIL,
	  PL_EINVAL, P "sourceList[0].type: is required" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"destinationList\":[{\"type\":\"owner\",\"destination\":\"urn:x:1\"}]") DOC_TAIL,
	  PL_EINVAL, P "destinationList[0].type: 'owner' is not a CBV source/destination type; use a CBV word (e.g. owning_party) or a full URI" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"bizTransactionList\":[{\"type\":\"po\"}]") DOC_TAIL,
	  PL_EINVAL, P "bizTransactionList[0].bizTransaction: is required" },
	/* readPoint */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"readPoint\":{}") DOC_TAIL,
	  PL_EINVAL, P "readPoint.id: is required" },
	/* persistentDisposition */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"persistentDisposition\":{\"set\":[]}") DOC_TAIL,
	  PL_EINVAL, P "persistentDisposition.set: must have at least 1 item" },
	/* sensor elements */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"sensorElementList\":[{\"sensorMetadata\":{}}]") DOC_TAIL,
	  PL_EINVAL, P "sensorElementList[0].sensorReport: is required (at least one report)" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"sensorElementList\":[{\"sensorReport\":[{\"type\":\"Temperature\",\"value\":\"hot\"}]}]") DOC_TAIL,
	  PL_EINVAL, P "sensorElementList[0].sensorReport[0].value: must be a number" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"sensorElementList\":[{\"sensorReport\":[{\"type\":\"Warmth\"}]}]") DOC_TAIL,
	  PL_EINVAL, P "sensorElementList[0].sensorReport[0].type: 'Warmth' is not a CBV measurement type; use a CBV word (e.g. AbsoluteHumidity) or a full URI" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"sensorElementList\":[{\"sensorMetadata\":{\"time\":\"yesterday\"},\"sensorReport\":[{\"type\":\"Temperature\"}]}]") DOC_TAIL,
	  PL_EINVAL, P "sensorElementList[0].sensorMetadata.time: must be an RFC 3339 date-time with a time zone, e.g. 2024-05-01T08:30:00.000+08:00, got 'yesterday'" },
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"sensorElementList\":[{\"sensorReport\":[{\"type\":\"Temperature\",\"hexBinaryValue\":\"xyz\"}]}]") DOC_TAIL,
	  PL_EINVAL, P "sensorElementList[0].sensorReport[0].hexBinaryValue: must be a non-empty hexadecimal string" },
	/* errorDeclaration */
	{ DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":[],\"errorDeclaration\":{\"reason\":\"incorrect_data\"}") DOC_TAIL,
	  PL_EINVAL, P "errorDeclaration.declarationTime: is required" },
	/* duplicate eventIDs in one document */
	{ DOC_HEAD EV(",\"eventID\":\"urn:uuid:1\",\"action\":\"ADD\",\"epcList\":[]") ","
	  EV(",\"eventID\":\"urn:uuid:1\",\"action\":\"ADD\",\"epcList\":[]") DOC_TAIL,
	  PL_EINVAL, P "eventID: 'urn:uuid:1' appears more than once in the document" },
	/* document level */
	{ "{\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"2024-05-01T08:00:00Z\",\"epcisBody\":{\"eventList\":[]}}",
	  PL_EINVAL, "@context: is required" },
	{ "{\"@context\":\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\",\"type\":\"EPCISDocument\",\"creationDate\":\"2024-05-01T08:00:00Z\",\"epcisBody\":{\"eventList\":[]}}",
	  PL_EINVAL, "schemaVersion: is required" },
	{ "{\"@context\":\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\",\"type\":\"EPCISDoc\"}",
	  PL_EINVAL, "type: must be EPCISDocument or EPCISQueryDocument" },
	{ "{\"@context\":\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"2024-05-01T08:00:00Z\",\"epcisBody\":{}}",
	  PL_EINVAL, "epcisBody.eventList: is required" },
	{ "{\"@context\":\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\",\"type\":\"EPCISQueryDocument\",\"epcisBody\":{\"queryResults\":{\"resultsBody\":{\"eventList\":[]}}}}",
	  PL_EINVAL, "epcisBody.queryResults.queryName: is required" },
	/* syntax and nesting */
	{ "{\"type\":", PL_EPARSE, NULL },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	  PL_EPARSE, "document: JSON nested deeper than 32 levels at byte 32" },
};

Test(trace_validate, one_negative_case_per_rule)
{
	for (size_t i = 0; i < sizeof(neg_cases) / sizeof(neg_cases[0]); i++) {
		struct trace_errors errs;
		json_t *doc = (json_t *)1;
		const struct neg_case *c = &neg_cases[i];
		int rc;

		trace_errors_init(&errs);
		rc = trace_doc_validate(c->doc, strlen(c->doc), &doc, &errs);
		cr_expect_eq(rc, c->rc, "case %zu: rc %d, want %d (first error: %s)", i, rc, c->rc,
			     errs.n ? errs.msg[0] : "(none)");
		cr_expect_null(doc, "case %zu: all or nothing", i);
		cr_expect_geq(errs.n, 1, "case %zu: no message", i);
		if (c->msg && errs.n)
			cr_expect_str_eq(errs.msg[0], c->msg, "case %zu\n got: %s\nwant: %s", i,
					 errs.msg[0], c->msg);
		trace_errors_release(&errs);
	}
}

Test(trace_validate, collects_every_error_with_its_index)
{
	static const char doc[] = DOC_HEAD
		EV(",\"action\":\"NOPE\",\"epcList\":[]") "," OK_EV ","
		EV(",\"action\":\"ADD\",\"epcList\":[],\"bizStep\":\"frobbing\"") DOC_TAIL;
	struct trace_errors errs;
	json_t *out = NULL;

	trace_errors_init(&errs);
	cr_assert_eq(trace_doc_validate(doc, sizeof(doc) - 1, &out, &errs), PL_EINVAL);
	cr_assert_eq(errs.n, 2);
	cr_expect_str_eq(errs.msg[0], "epcisBody.eventList[0].action: must be ADD, OBSERVE or DELETE");
	cr_expect(strncmp(errs.msg[1], "epcisBody.eventList[2].bizStep: ", 32) == 0, "%s", errs.msg[1]);
	trace_errors_release(&errs);
}

/* A long list (hash-table duplicate check): every bad item is reported,
 * items that are not URIs are never compared, and only an exact repeat
 * is a duplicate ("urn:x:1" is not "urn:x:10"). */
Test(trace_validate, long_list_duplicates_and_bad_items)
{
	static const char doc[] = DOC_HEAD OK_EV "," EV(",\"action\":\"ADD\",\"epcList\":["
		"\"urn:x:0\",\"urn:x:1\",\"urn:x:2\",\"urn:x:3\",\"urn:x:4\",\"urn:x:5\",\"urn:x:6\","
		"\"urn:x:7\",\"urn:x:8\",\"urn:x:9\",\"urn:x:10\",\"urn:x:11\",\"urn:x:12\",\"urn:x:13\","
		"\"urn:x:14\",\"urn:x:15\",\"urn:x:16\",7,\"urn:x: 1\",\"urn:x:16\",\"urn:x:1\"]") DOC_TAIL;
	static const char *const want[] = {
		P "epcList[17]: must be a string",
		P "epcList[18]: must be a URI, got 'urn:x: 1'",
		P "epcList[19]: duplicate of item 16",
		P "epcList[20]: duplicate of item 1",
	};
	struct trace_errors errs;
	json_t *doc_out = NULL;

	trace_errors_init(&errs);
	cr_assert_eq(trace_doc_validate(doc, strlen(doc), &doc_out, &errs), PL_EINVAL);
	cr_assert_null(doc_out);
	cr_assert_eq(errs.n, sizeof(want) / sizeof(want[0]), "%zu errors", errs.n);
	for (size_t i = 0; i < errs.n; i++)
		cr_expect_str_eq(errs.msg[i], want[i], "error %zu", i);
	trace_errors_release(&errs);
}

Test(trace_validate, size_and_count_caps)
{
	struct trace_errors errs;
	json_t *out = NULL;
	struct pl_buf b;

	trace_errors_init(&errs);
	cr_expect_eq(trace_doc_validate("{}", (size_t)TRACE_DOC_MAX_BYTES + 1, &out, &errs),
		     PL_ETOOBIG);
	trace_errors_release(&errs);

	pl_buf_init(&b, 4u << 20);
	pl_buf_puts(&b, DOC_HEAD);
	for (int i = 0; i <= TRACE_DOC_MAX_EVENTS; i++)
		pl_buf_puts(&b, i ? ",{}" : "{}");
	pl_buf_puts(&b, DOC_TAIL);
	trace_errors_init(&errs);
	cr_expect_eq(trace_doc_validate(b.data, b.len, &out, &errs), PL_ETOOBIG);
	cr_expect_null(out);
	trace_errors_release(&errs);
	pl_buf_release(&b);
}

Test(trace_validate, error_list_is_capped)
{
	struct pl_buf b;
	struct trace_errors errs;
	json_t *out = NULL;

	pl_buf_init(&b, 1u << 20);
	pl_buf_puts(&b, DOC_HEAD);
	for (int i = 0; i < 150; i++)
		pl_buf_puts(&b, i ? ",{\"type\":\"X\"}" : "{\"type\":\"X\"}");
	pl_buf_puts(&b, DOC_TAIL);
	trace_errors_init(&errs);
	cr_expect_eq(trace_doc_validate(b.data, b.len, &out, &errs), PL_EINVAL);
	cr_expect_eq(errs.n, TRACE_ERRORS_MAX);
	cr_expect_eq(errs.dropped, 50);
	cr_expect(strncmp(errs.msg[99], "epcisBody.eventList[99].type: ", 30) == 0, "%s",
		  errs.msg[99]);
	trace_errors_release(&errs);
	pl_buf_release(&b);
}
