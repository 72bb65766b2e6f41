/* test_hash.c - the CBV 2.0 event hash against every published vector in
 * $PL_SHARED/data/epcis/hash-vectors (PL_SHARED defaults to ../shared,
 * relative to the repository root where `make check` runs the tests): the
 * pre-hash strings are compared first (a mismatch shows exactly where the
 * canonical form differs), then the ni: hashes. Table-driven unit cases
 * cover the canonicalisation rules the vectors do not reach. */
#include <criterion/criterion.h>
#include "trace/trace.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
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

static const char *shared_dir(void)
{
	const char *s = getenv("PL_SHARED");
	return s && *s ? s : "../shared";
}

/* Splits text into lines in place; returns the count (max 64). */
static size_t lines(char *text, char **out)
{
	size_t n = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\r\n", &save); l && n < 64;
	     l = strtok_r(NULL, "\r\n", &save))
		if (*l)
			out[n++] = l;
	return n;
}

static const char *const vector_sets[] = {
	"ReferenceEventHashAlgorithm", "ReferenceEventHashAlgorithm2",
	"epcisDocWithSingleEvent", "TimeStampRoundOff",
};

Test(trace_hash, published_vectors)
{
	size_t total = 0;

	for (size_t s = 0; s < sizeof(vector_sets) / sizeof(vector_sets[0]); s++) {
		char path[512], *doc_text, *pre_text, *hash_text;
		char *pre_lines[64], *hash_lines[64];
		size_t len, np, nh;
		json_t *doc = NULL;
		struct pl_json_error jerr;
		const json_t *events;

		snprintf(path, sizeof(path), "%s/data/epcis/hash-vectors/%s.jsonld",
			 shared_dir(), vector_sets[s]);
		doc_text = read_file(path, &len);
		cr_assert_eq(pl_json_parse(doc_text, len, PL_JSON_DEPTH_MAX, &doc, &jerr),
			     0, "%s: %s", path, jerr.text);
		snprintf(path, sizeof(path), "%s/data/epcis/hash-vectors/%s.prehashes",
			 shared_dir(), vector_sets[s]);
		pre_text = read_file(path, &len);
		snprintf(path, sizeof(path), "%s/data/epcis/hash-vectors/%s.hashes",
			 shared_dir(), vector_sets[s]);
		hash_text = read_file(path, &len);
		np = lines(pre_text, pre_lines);
		nh = lines(hash_text, hash_lines);
		events = trace_doc_events(doc);
		cr_assert(json_is_array(events), "%s: no eventList", vector_sets[s]);
		cr_assert_eq(json_array_size(events), np, "%s: %zu events, %zu prehashes",
			     vector_sets[s], json_array_size(events), np);
		cr_assert_eq(np, nh);
		for (size_t i = 0; i < np; i++) {
			char *pre = NULL, hash[TRACE_HASH_STRLEN];
			const json_t *ev = json_array_get(events, i);
			cr_assert_eq(trace_event_prehash(ev, json_object_get(doc, "@context"),
							 &pre), 0);
			cr_expect_str_eq(pre, pre_lines[i], "%s event %zu prehash\n got: %s\nwant: %s",
					 vector_sets[s], i, pre, pre_lines[i]);
			cr_assert_eq(trace_event_hash(ev, json_object_get(doc, "@context"),
						      hash), 0);
			cr_expect_str_eq(hash, hash_lines[i], "%s event %zu hash",
					 vector_sets[s], i);
			free(pre);
			total++;
		}
		json_decref(doc);
		free(doc_text);
		free(pre_text);
		free(hash_text);
	}
	cr_expect_eq(total, 6, "all six vector events checked, got %zu", total);
}

/* One event (as JSON text) and the pre-hash it must produce. */
struct pre_case {
	const char *event;
	const char *want;
};

#define EV(body) "{\"type\":\"ObjectEvent\",\"eventTime\":\"2020-01-01T00:00:00Z\"," \
	"\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\"" body "}"
#define HEAD "eventType=ObjectEventeventTime=2020-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00"

static const struct pre_case pre_cases[] = {
	/* rule 1: dropped fields */
	{ EV(",\"eventID\":\"urn:uuid:1\",\"recordTime\":\"2021-01-01T00:00:00Z\","
	     "\"errorDeclaration\":{\"declarationTime\":\"2021-01-01T00:00:00Z\"}"),
	  HEAD "action=OBSERVE" },
	/* rule 3: list order never matters, empty lists emit nothing */
	{ EV(",\"epcList\":[\"urn:x:b\",\"urn:x:a\"],\"childEPCs\":[]"),
	  HEAD "epcListepc=urn:x:aepc=urn:x:baction=OBSERVE" },
	/* rule 4: times to UTC ms, rounding half up with carry */
	{ "{\"type\":\"ObjectEvent\",\"eventTime\":\"2020-12-31T23:59:59.9996+00:00\"}",
	  "eventType=ObjectEventeventTime=2021-01-01T00:00:00.000Z" },
	{ "{\"type\":\"ObjectEvent\",\"eventTime\":\"2020-03-01T00:30:00.1234+01:00\"}",
	  "eventType=ObjectEventeventTime=2020-02-29T23:30:00.123Z" },
	/* rule 5: numbers as Python float -> str */
	{ EV(",\"quantityList\":[{\"epcClass\":\"urn:x:c\",\"quantity\":150.0,\"uom\":\"KGM\"}]"),
	  HEAD "quantityListquantityElementepcClass=urn:x:cquantity=150uom=KGMaction=OBSERVE" },
	{ EV(",\"ex:a\":\"007\",\"ex:b\":\"12.10\",\"ex:c\":\"0.00001\",\"ex:d\":\"1e3\",\"ex:e\":\"-0.0\""),
	  HEAD "action=OBSERVEex:a=7ex:b=12.1ex:c=1e-05ex:d=1000ex:e=0" },
	/* rule 6: vocabulary, bare and URN */
	{ EV(",\"bizStep\":\"urn:epcglobal:cbv:bizstep:receiving\",\"disposition\":\"recalled\""),
	  HEAD "action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-receiving"
	  "disposition=https://ref.gs1.org/cbv/Disp-recalled" },
	/* rule 6: unknown bare word is not expanded */
	{ EV(",\"bizStep\":\"transforming\""), HEAD "action=OBSERVEbizStep=transforming" },
	/* rule 7: identifiers, URN and Digital Link forms hash equal */
	{ EV(",\"epcList\":[\"https://example.com/a/01/4012345111118/10/L1/21/9876?x=1\"]"),
	  HEAD "epcListepc=https://id.gs1.org/01/04012345111118/21/9876action=OBSERVE" },
	{ EV(",\"parentID\":\"urn:epc:id:grai:4012345.00001.T7\""),
	  "eventType=ObjectEventeventTime=2020-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00"
	  "parentID=https://id.gs1.org/8003/04012345000016T7action=OBSERVE" },
	/* rule 8: extension with undeclared prefix kept, declared expanded */
	{ "{\"type\":\"ObjectEvent\",\"ex:f\":{\"ex:g\":[\"2\",\"1\"]},\"ilmd\":{\"cbvmda:lotNumber\":\"L1\"}}",
	  "eventType=ObjectEventilmd{urn:epcglobal:cbv:mda:}lotNumber=L1ex:fex:g=1ex:g=2" },
	/* typed pairs: type first, items sorted */
	{ EV(",\"sourceList\":[{\"type\":\"location\",\"source\":\"urn:x:2\"},"
	     "{\"type\":\"owning_party\",\"source\":\"urn:x:1\"}]"),
	  HEAD "action=OBSERVEsourceListtype=https://ref.gs1.org/cbv/SDT-locationsource=urn:x:2"
	  "type=https://ref.gs1.org/cbv/SDT-owning_partysource=urn:x:1" },
	/* readPoint extensions follow the id */
	{ EV(",\"readPoint\":{\"ex:z\":\"1\",\"id\":\"urn:x:rp\"}"),
	  HEAD "action=OBSERVEreadPointid=urn:x:rpex:z=1" },
};

Test(trace_hash, canonicalisation_rules)
{
	json_t *ctx = json_pack("[s,{s:s}]", "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
				"other", "https://other.example/");
	for (size_t i = 0; i < sizeof(pre_cases) / sizeof(pre_cases[0]); i++) {
		json_t *ev = NULL;
		struct pl_json_error jerr;
		char *pre = NULL;
		cr_assert_eq(pl_json_parse(pre_cases[i].event, strlen(pre_cases[i].event), 8, &ev,
					   &jerr), 0, "case %zu: %s", i, jerr.text);
		cr_assert_eq(trace_event_prehash(ev, ctx, &pre), 0, "case %zu", i);
		cr_expect_str_eq(pre, pre_cases[i].want, "case %zu\n got: %s\nwant: %s", i, pre,
				 pre_cases[i].want);
		free(pre);
		json_decref(ev);
	}
	json_decref(ctx);
}

Test(trace_hash, same_event_different_syntax_same_hash)
{
	static const char *const a =
		"{\"type\":\"ObjectEvent\",\"eventTime\":\"2020-03-04T11:00:30+01:00\","
		"\"eventTimeZoneOffset\":\"+01:00\",\"action\":\"OBSERVE\",\"bizStep\":\"shipping\","
		"\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.2017\",\"urn:epc:id:sscc:4012345.0000000111\"]}";
	static const char *const b =
		"{\"epcList\":[\"https://id.gs1.org/00/040123450000001112\","
		"\"https://brand.example/01/10614141073464/21/2017\"],\"action\":\"OBSERVE\","
		"\"bizStep\":\"https://ref.gs1.org/cbv/BizStep-shipping\",\"eventTimeZoneOffset\":\"+01:00\","
		"\"eventTime\":\"2020-03-04T10:00:30.000Z\",\"type\":\"ObjectEvent\","
		"\"eventID\":\"urn:uuid:0\",\"recordTime\":\"2024-01-01T00:00:00Z\"}";
	char ha[TRACE_HASH_STRLEN], hb[TRACE_HASH_STRLEN];
	json_t *ea = json_loads(a, 0, NULL), *eb = json_loads(b, 0, NULL);

	cr_assert(ea && eb);
	cr_assert_eq(trace_event_hash(ea, NULL, ha), 0);
	cr_assert_eq(trace_event_hash(eb, NULL, hb), 0);
	cr_expect_str_eq(ha, hb);
	cr_expect_eq(strncmp(ha, "ni:///sha-256;", 14), 0);
	cr_expect_eq(strlen(ha), 89);
	json_decref(ea);
	json_decref(eb);
}

Test(trace_hash, rejects_non_events)
{
	char *pre = (char *)1;
	json_t *v = json_pack("{s:i}", "eventTime", 1);
	cr_expect_eq(trace_event_prehash(v, NULL, &pre), PL_EINVAL);
	cr_expect_null(pre);
	json_decref(v);
	v = json_array();
	cr_expect_eq(trace_event_prehash(v, NULL, &pre), PL_EINVAL);
	json_decref(v);
}
