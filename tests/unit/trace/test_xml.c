/* test_xml.c - the XML binding, both directions. The four published
 * hash-vector documents are written here as their EPCIS XML twins (in the
 * forms XML producers really use: CBV URNs, gs1: CURIEs, 1.2 namespace and
 * <extension> wrappers, attributes for sensor data); converting them must
 * validate and give exactly the published hashes read from
 * the .hashes files in $PL_SHARED/data/epcis/hash-vectors - the same event hashes
 * equal in XML and JSON-LD. Then bad XML, one case per failure; then every
 * GS1 example written as XML and read back keeps every event's hash, and
 * table cases for the writer. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sys/stat.h>
#include "trace/trace.h"

static const char *shared_dir(void)
{
	const char *s = getenv("PL_SHARED");
	return s && *s ? s : "../shared";
}

/* Reads the published hashes of one vector set, one per line. */
static size_t read_hashes(const char *set, char out[8][TRACE_HASH_STRLEN])
{
	char path[512], line[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/data/epcis/hash-vectors/%s.hashes", shared_dir(), set);
	f = fopen(path, "r");
	cr_assert(f, "cannot open %s (set PL_SHARED to the shared data folder)", path);
	while (n < 8 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (*line)
			pl_strlcpy(out[n++], line, TRACE_HASH_STRLEN);
	}
	fclose(f);
	return n;
}

#define HEAD2 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\" " \
	"creationDate=\"2022-02-17T11:30:47.0Z\""

struct twin {
	const char *set;   /* vector set whose .hashes the events must match */
	const char *xml;
};

static const struct twin twins[] = {
	{ "ReferenceEventHashAlgorithm", HEAD2 " xmlns:example=\"https://ns.example.com/epcis/\">"
	  "<EPCISBody><EventList><ObjectEvent>"
	  "<eventTime>2020-03-04T11:00:30.000+01:00</eventTime>"
	  "<recordTime>2020-03-04T11:00:30.999+01:00</recordTime>"
	  "<eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
	  "<epcList><epc>urn:epc:id:sscc:4012345.0000000333</epc>"
	  "<epc>urn:epc:id:sscc:4012345.0000000111</epc>\n<epc>urn:epc:id:sscc:4012345.0000000222</epc></epcList>"
	  "<action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:departing</bizStep>"
	  "<readPoint><id>urn:epc:id:sgln:4012345.00011.987</id></readPoint>"
	  "<example:myField1><example:mySubField1>2</example:mySubField1>"
	  "<example:mySubField2>5</example:mySubField2></example:myField1>"
	  "<example:myField2>0</example:myField2>"
	  "<example:myField3><example:mySubField3>3</example:mySubField3>"
	  "<example:mySubField3>1</example:mySubField3></example:myField3>"
	  "</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>" },
	{ "ReferenceEventHashAlgorithm2", HEAD2 " xmlns:gs1=\"https://gs1.org/voc/\">"
	  "<EPCISBody><EventList><ObjectEvent>"
	  "<eventTime>2020-04-01T15:00:00+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
	  "<epcList><epc>https://id.gs1.org/01/04012345111118/21/9876</epc></epcList>"
	  "<action>OBSERVE</action><bizStep>https://ref.gs1.org/cbv/BizStep-inspecting</bizStep>"
	  "<readPoint><id>urn:epc:id:sgln:4012345.00005.0</id></readPoint>"
	  "<sensorElementList><sensorElement>"
	  "<sensorMetadata deviceID=\"urn:epc:id:giai:4000001.111\" deviceMetadata=\"https://id.gs1.org/8004/4000001111\"/>"
	  "<sensorReport type=\"gs1:Temperature\" value=\"26.0\" sDev=\"0.1\" uom=\"CEL\"/>"
	  "<sensorReport type=\"gs1:AbsoluteHumidity\" value=\"12.1\" uom=\"A93\"/>"
	  "<sensorReport type=\"Dimensionless\" microorganism=\"https://www.ncbi.nlm.nih.gov/taxonomy/1126011\" value=\"0.05\" uom=\"C35\"/>"
	  "<sensorReport type=\"https://gs1.org/voc/Dimensionless\" chemicalSubstance=\"https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N\" value=\"0.18\" uom=\"C35\"/>"
	  "</sensorElement></sensorElementList>"
	  "</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>" },
	/* EPCIS 1.2 namespace and style */
	{ "epcisDocWithSingleEvent", "<?xml version=\"1.0\"?>"
	  "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:1\" schemaVersion=\"1.2\" creationDate=\"2022-02-17T11:30:47.0Z\">"
	  "<EPCISBody><EventList><ObjectEvent>"
	  "<eventTime>2022-02-16T20:33:31.116000-06:00</eventTime><eventTimeZoneOffset>-06:00</eventTimeZoneOffset>"
	  "<epcList><epc>urn:epc:id:sgtin:0614141.107346.2018</epc><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList>"
	  "<action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"
	  "<disposition>urn:epcglobal:cbv:disp:in_transit</disposition>"
	  "<readPoint><id>urn:epc:id:sgln:0614141.07346.1234</id></readPoint>"
	  "<bizTransactionList><bizTransaction type=\"urn:epcglobal:cbv:btt:po\">http://transaction.acme.com/po/12345678</bizTransaction></bizTransactionList>"
	  "</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>" },
	{ "TimeStampRoundOff", HEAD2 ">"
	  "<EPCISBody><EventList>"
	  "<ObjectEvent><eventTime>2023-02-02T11:04:03.1415Z</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
	  "<epcList><epc>https://id.gs1.de/00/040123451111111110</epc></epcList><action>OBSERVE</action>"
	  "<bizStep>shipping</bizStep><disposition>in_transit</disposition>"
	  "<readPoint><id>https://id.gs1.de/414/4012345000115</id></readPoint></ObjectEvent>"
	  "<ObjectEvent><eventTime>2023-02-02T11:04:03.1414Z</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
	  "<epcList><epc>https://id.gs1.de/00/040123451111111110</epc></epcList><action>OBSERVE</action>"
	  "<bizStep>urn:epcglobal:cbv:bizstep:transporting</bizStep>"
	  "<readPoint><id>geo:50.947573340894124,6.922120147375441</id></readPoint></ObjectEvent>"
	  "<ObjectEvent certificationInfo=\"https://accreditation-council.example.org/certificate/ABC12345\">"
	  "<eventTime>2023-02-12T11:04:03.1415Z</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
	  "<epcList><epc>https://id.gs1.de/01/04012345999990/21/XYZ-1234</epc></epcList><action>OBSERVE</action>"
	  "<bizStep>urn:epcglobal:cbv:bizstep:receiving</bizStep><disposition>urn:epcglobal:cbv:disp:in_progress</disposition>"
	  "<readPoint><id>https://id.gs1.de/414/4012345000115</id></readPoint>"
	  "<extension><sensorElementList><sensorElement>"
	  "<sensorMetadata time=\"2023-02-12T11:04:03.1007Z\" bizRules=\"https://id.example.com/253/4012345000054987\"/>"
	  "<sensorReport type=\"gs1:Dimensionless\" exception=\"gs1:ALARM_CONDITION\" coordinateReferenceSystem=\"http://www.opengis.net/def/crs/EPSG/0/27700\"/>"
	  "</sensorElement></sensorElementList></extension></ObjectEvent>"
	  "</EventList></EPCISBody></epcis:EPCISDocument>" },
};

Test(trace_xml, twins_of_the_hash_vectors_hash_equal)
{
	size_t total = 0;

	for (size_t t = 0; t < sizeof(twins) / sizeof(twins[0]); t++) {
		char want[8][TRACE_HASH_STRLEN];
		size_t nh = read_hashes(twins[t].set, want), i;
		struct trace_errors errs;
		json_t *doc = NULL, *ev;
		const json_t *events;
		int rc;

		trace_errors_init(&errs);
		rc = trace_xml_to_doc(twins[t].xml, strlen(twins[t].xml), &doc, &errs);
		cr_assert_eq(rc, 0, "%s: rc %d: %s", twins[t].set, rc, errs.n ? errs.msg[0] : "");
		rc = trace_doc_check(doc, &errs);
		cr_expect_eq(rc, 0, "%s: does not validate: %s", twins[t].set,
			     errs.n ? errs.msg[0] : "");
		events = trace_doc_events(doc);
		cr_assert_eq(json_array_size(events), nh, "%s", twins[t].set);
		json_array_foreach(events, i, ev) {
			char h[TRACE_HASH_STRLEN], *pre = NULL;
			cr_assert_eq(trace_event_hash(ev, json_object_get(doc, "@context"), h), 0);
			trace_event_prehash(ev, json_object_get(doc, "@context"), &pre);
			cr_expect_str_eq(h, want[i], "%s event %zu\nprehash: %s", twins[t].set, i, pre);
			free(pre);
			total++;
		}
		json_decref(doc);
		trace_errors_release(&errs);
	}
	cr_expect_eq(total, 6);
}

Test(trace_xml, mapping_details)
{
	static const char xml[] = HEAD2 " xmlns:ex=\"https://ex.example/a/\">"
		"<EPCISBody><EventList><extension><TransformationEvent>"
		"<eventTime>2024-05-01T08:00:00+08:00</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>"
		"<baseExtension><eventID>urn:uuid:1</eventID><errorDeclaration>"
		"<declarationTime>2024-05-02T08:00:00Z</declarationTime><reason>urn:epcglobal:cbv:er:incorrect_data</reason>"
		"<correctiveEventIDs><correctiveEventID>urn:uuid:2</correctiveEventID></correctiveEventIDs>"
		"</errorDeclaration></baseExtension>"
		"<inputQuantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.RAW1</epcClass>"
		"<quantity xsi:nil=\"true\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/></quantityElement></inputQuantityList>"
		"<outputQuantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.B1</epcClass>"
		"<quantity>452.0</quantity><uom>KGM</uom></quantityElement></outputQuantityList>"
		"<persistentDisposition><set>urn:epcglobal:cbv:disp:completeness_verified</set></persistentDisposition>"
		"<ilmd><ex:lot>L1</ex:lot><ex:lot>L2</ex:lot></ilmd>"
		"<ex:grade xmlns:ex=\"https://other.example/b/\">A</ex:grade>"
		"</TransformationEvent></extension></EventList></EPCISBody></epcis:EPCISDocument>";
	struct trace_errors errs;
	json_t *doc = NULL;
	const json_t *ev;
	char *dump;

	trace_errors_init(&errs);
	cr_assert_eq(trace_xml_to_doc(xml, sizeof(xml) - 1, &doc, &errs), 0);
	cr_expect_eq(trace_doc_check(doc, &errs), 0, "%s", errs.n ? errs.msg[0] : "");
	ev = json_array_get(trace_doc_events(doc), 0);
	dump = json_dumps(ev, JSON_SORT_KEYS | JSON_COMPACT);
	cr_expect_str_eq(dump,
		"{\"errorDeclaration\":{\"correctiveEventIDs\":[\"urn:uuid:2\"],"
		"\"declarationTime\":\"2024-05-02T08:00:00Z\",\"reason\":\"incorrect_data\"},"
		"\"eventID\":\"urn:uuid:1\",\"eventTime\":\"2024-05-01T08:00:00+08:00\","
		"\"eventTimeZoneOffset\":\"+08:00\","
		"\"ilmd\":{\"ex:lot\":[\"L1\",\"L2\"]},"
		"\"inputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:4012345.012345.RAW1\"}],"
		"\"ns1:grade\":\"A\","
		"\"outputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:4012345.012345.B1\",\"quantity\":452.0,\"uom\":\"KGM\"}],"
		"\"persistentDisposition\":{\"set\":[\"completeness_verified\"]},"
		"\"type\":\"TransformationEvent\"}", "got %s", dump);
	free(dump);
	dump = json_dumps(json_object_get(doc, "@context"), JSON_SORT_KEYS | JSON_COMPACT);
	cr_expect_str_eq(dump, "[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
			 "{\"ex\":\"https://ex.example/a/\",\"ns1\":\"https://other.example/b/\"}]",
			 "got %s", dump);
	free(dump);
	json_decref(doc);
	trace_errors_release(&errs);
}

struct bad_xml {
	const char *xml;
	int conv_rc;        /* from trace_xml_to_doc */
	const char *msg;    /* first error, from conversion or trace_doc_check */
};

static const struct bad_xml bad[] = {
	{ "<EPCISDocument><EPCISBody>", PL_EPARSE, NULL },
	{ "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
	  "<EPCISDocument><EPCISBody/></EPCISDocument>", PL_EPARSE,
	  "document: DTD declarations are not accepted in EPCIS capture" },
	{ "<!DOCTYPE d SYSTEM \"file:///etc/passwd\"><EPCISDocument/>", PL_EPARSE,
	  "document: DTD declarations are not accepted in EPCIS capture" },
	{ "<Invoice/>", PL_EINVAL, "type: root element must be EPCISDocument or EPCISQueryDocument" },
	{ "<EPCISDocument schemaVersion=\"2.0\" creationDate=\"2024-05-01T00:00:00Z\"/>", PL_EINVAL,
	  "epcisBody: is required (EPCISBody element)" },
	/* converts, then validation names the event and field */
	{ HEAD2 "><EPCISBody><EventList><ObjectEvent><eventTime>2024-05-01T00:00:00Z</eventTime>"
	  "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>MOVE</action>"
	  "</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>", 0,
	  "epcisBody.eventList[0].action: must be ADD, OBSERVE or DELETE" },
	{ HEAD2 "><EPCISBody><EventList><ObjectEvent><eventTime>2024-05-01T00:00:00Z</eventTime>"
	  "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>ADD</action>"
	  "<bizstep>shipping</bizstep></ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>", 0,
	  "epcisBody.eventList[0].bizstep: unknown field (extensions need a namespace prefix, "
	  "e.g. example:bizstep, declared in @context)" },
	{ HEAD2 "><EPCISBody><EventList><ObjectEvent><eventTime>2024-05-01T00:00:00Z</eventTime>"
	  "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>ADD</action>"
	  "<quantityList><quantityElement><epcClass>urn:x:1</epcClass><quantity>lots</quantity>"
	  "</quantityElement></quantityList></ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>", 0,
	  "epcisBody.eventList[0].quantityList[0].quantity: must be a number" },
	{ HEAD2 "><EPCISBody><EventList><ObjectEvent><eventTime>2024-05-01T00:00:00Z</eventTime>"
	  "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>ADD</action>"
	  "<sensorElementList><sensorElement><sensorReport type=\"gs1:Temperature\" value=\"nan\"/>"
	  "</sensorElement></sensorElementList></ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>", 0,
	  "epcisBody.eventList[0].sensorElementList[0].sensorReport[0].value: must be a number" },
};

Test(trace_xml, bad_documents)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trace_errors errs;
		json_t *doc = NULL;
		int rc;

		trace_errors_init(&errs);
		rc = trace_xml_to_doc(bad[i].xml, strlen(bad[i].xml), &doc, &errs);
		cr_expect_eq(rc, bad[i].conv_rc, "case %zu: rc %d (%s)", i, rc,
			     errs.n ? errs.msg[0] : "");
		if (rc == 0) {
			cr_expect_eq(trace_doc_check(doc, &errs), PL_EINVAL, "case %zu", i);
			json_decref(doc);
		} else {
			cr_expect_null(doc, "case %zu", i);
		}
		cr_expect_geq(errs.n, 1, "case %zu", i);
		if (bad[i].msg && errs.n)
			cr_expect_str_eq(errs.msg[0], bad[i].msg, "case %zu\n got: %s\nwant: %s", i,
					 errs.msg[0], bad[i].msg);
		trace_errors_release(&errs);
	}
}

Test(trace_xml, nesting_is_capped)
{
	struct pl_buf b;
	struct trace_errors errs;
	json_t *doc = NULL;

	pl_buf_init(&b, 1 << 20);
	pl_buf_puts(&b, HEAD2 " xmlns:e=\"urn:e\"><EPCISBody><EventList><ObjectEvent>");
	for (int i = 0; i < 60; i++)
		pl_buf_puts(&b, "<e:x>");
	for (int i = 0; i < 60; i++)
		pl_buf_puts(&b, "</e:x>");
	pl_buf_puts(&b, "</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>");
	trace_errors_init(&errs);
	cr_expect_eq(trace_xml_to_doc(b.data, b.len, &doc, &errs), PL_EPARSE);
	cr_expect_null(doc);
	trace_errors_release(&errs);
	pl_buf_release(&b);
}

/* ------------------------------------------------- JSON-LD -> XML -> JSON-LD */

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

/* JSON-LD -> XML -> JSON-LD must keep every event's hash: the standard's
 * definition of "the same event". */
static void round_trip(const char *path, size_t *events)
{
	size_t len, i;
	char *text = slurp(path, &len);
	struct trace_errors errs;
	json_t *doc = NULL, *back = NULL, *ev;
	struct pl_buf xml;

	trace_errors_init(&errs);
	pl_buf_init(&xml, 16u << 20);
	cr_assert_eq(trace_doc_validate(text, len, &doc, &errs), 0, "%s", path);
	cr_assert_eq(trace_doc_to_xml(doc, &xml), 0, "%s: to XML", path);
	cr_assert_eq(trace_xml_to_doc(xml.data, xml.len, &back, &errs), 0, "%s: from XML: %s",
		     path, errs.n ? errs.msg[0] : "");
	cr_expect_eq(trace_doc_check(back, &errs), 0, "%s: XML form invalid: %s", path,
		     errs.n ? errs.msg[0] : "");
	cr_assert_eq(json_array_size(trace_doc_events(back)),
		     json_array_size(trace_doc_events(doc)), "%s", path);
	json_array_foreach(trace_doc_events(doc), i, ev) {
		char h1[TRACE_HASH_STRLEN], h2[TRACE_HASH_STRLEN];
		cr_assert_eq(trace_event_hash(ev, json_object_get(doc, "@context"), h1), 0);
		cr_assert_eq(trace_event_hash(json_array_get(trace_doc_events(back), i),
					      json_object_get(back, "@context"), h2), 0);
		cr_expect_str_eq(h1, h2, "%s event %zu changed in the round trip", path, i);
		(*events)++;
	}
	pl_buf_release(&xml);
	json_decref(doc);
	json_decref(back);
	trace_errors_release(&errs);
	free(text);
}

static void round_trip_tree(const char *dir, int depth, size_t *docs, size_t *events)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	cr_assert(d, "cannot open %s (set PL_SHARED to the shared data folder)", dir);
	while ((de = readdir(d))) {
		char path[1024];
		struct stat st;
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		cr_assert_eq(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode) && depth < 2)
			round_trip_tree(path, depth + 1, docs, events);
		else if (n > 7 && strcmp(de->d_name + n - 7, ".jsonld") == 0) {
			round_trip(path, events);
			(*docs)++;
		}
	}
	closedir(d);
}

Test(trace_xml, every_gs1_example_round_trips_with_equal_hashes)
{
	char dir[512];
	size_t docs = 0, events = 0;

	snprintf(dir, sizeof(dir), "%s/data/epcis/examples", shared_dir());
	round_trip_tree(dir, 0, &docs, &events);
	cr_expect_eq(docs, 47, "documents: %zu", docs);
	cr_expect_eq(events, 56, "events: %zu", events);
}

struct out_case {
	const char *doc;
	int rc;
	const char *needle; /* a piece the XML must contain (rc == 0) */
};

#define JDOC(ev) "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"," \
	"{\"ex\":\"https://ex.example/\"}],\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\"," \
	"\"creationDate\":\"2024-05-01T00:00:00Z\",\"epcisBody\":{\"eventList\":[" ev "]}}"
#define JEV(f) "{\"type\":\"ObjectEvent\",\"eventTime\":\"2024-05-01T00:00:00Z\"," \
	"\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\",\"epcList\":[]" f "}"

static const struct out_case out_cases[] = {
	{ JDOC(JEV(",\"bizStep\":\"shipping\"")), 0,
	  "<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>" },
	{ JDOC(JEV(",\"ex:note\":\"a<b & \\\"c\\\"\"")), 0,
	  "<ex:note>a&lt;b &amp; &quot;c&quot;</ex:note>" },
	{ JDOC(JEV(",\"https://full.example/ns#grade\":\"A\"")), 0,
	  "<x1:grade xmlns:x1=\"https://full.example/ns#\">A</x1:grade>" },
	{ JDOC(JEV(",\"sensorElementList\":[{\"sensorReport\":[{\"type\":\"Temperature\",\"value\":26.2}]}]")), 0,
	  "<sensorReport type=\"gs1:Temperature\" value=\"26.2\"/>" },
	{ JDOC(JEV(",\"ex:bad\":\"bell\\u0007\"")), PL_EINVAL, NULL },
	/* standard-context prefixes are declared even when @context omits them */
	{ JDOC(JEV(",\"rdfs:seeAlso\":\"x\"")), 0,
	  "xmlns:rdfs=\"http://www.w3.org/2000/01/rdf-schema#\"" },
	{ JDOC("{\"type\":\"https://ex.example/MyEvent\",\"eventTime\":\"2024-05-01T00:00:00Z\","
	       "\"eventTimeZoneOffset\":\"+00:00\"}"), PL_EUNSUPPORTED, NULL },
};

Test(trace_xml, writer_cases)
{
	for (size_t i = 0; i < sizeof(out_cases) / sizeof(out_cases[0]); i++) {
		json_error_t je;
		json_t *doc = json_loads(out_cases[i].doc, 0, &je);
		struct pl_buf xml;
		int rc;

		cr_assert(doc, "case %zu: %s", i, je.text);
		pl_buf_init(&xml, 1 << 20);
		rc = trace_doc_to_xml(doc, &xml);
		cr_expect_eq(rc, out_cases[i].rc, "case %zu: rc %d", i, rc);
		if (rc == 0 && out_cases[i].needle)
			cr_expect(strstr(xml.data, out_cases[i].needle), "case %zu: %s not in\n%s", i,
				  out_cases[i].needle, xml.data);
		pl_buf_release(&xml);
		json_decref(doc);
	}
}
