/* test_json.c - Sparkplug payloads as JSON (mqtt_sp_from_json), driven by
 * the spec's own examples (tests/unit/mqtt/spec_examples/, copied from
 * shared/data/sparkplug/spec_examples): each is read, its topic parsed,
 * its JSON turned into a payload, the payload encoded to protobuf and
 * decoded back, and the whole set fed through one host session in the
 * order an edge node sends them. Then a table of malformed JSON. */
#include <criterion/criterion.h>
#include <string.h>
#include "mqtt/mqtt.h"

struct example {
	const char *file;
	enum mqtt_sp_msg type;
	size_t n_metrics;
	int64_t seq;  /* trap 4: the examples' seqs are illustrations; renumbered */
	enum mqtt_sp_cause cause;
	bool apply;
	enum mqtt_sp_stale stale;
};
static const struct example examples[] = {
	{ "01_NBIRTH.txt", MQTT_SP_NBIRTH, 10, 0, MQTT_SP_C_OK, true, MQTT_SP_STALE_NONE },
	{ "02_DBIRTH.txt", MQTT_SP_DBIRTH, 14, 1, MQTT_SP_C_OK, true, MQTT_SP_STALE_NONE },
	{ "03_NDATA.txt", MQTT_SP_NDATA, 1, 2, MQTT_SP_C_OK, true, MQTT_SP_STALE_NONE },
	{ "04_DDATA.txt", MQTT_SP_DDATA, 2, 3, MQTT_SP_C_OK, true, MQTT_SP_STALE_NONE },
	{ "05_NCMD.txt", MQTT_SP_NCMD, 1, -1, MQTT_SP_C_COMMAND, false, MQTT_SP_STALE_NONE },
	{ "06_DCMD.txt", MQTT_SP_DCMD, 2, -1, MQTT_SP_C_COMMAND, false, MQTT_SP_STALE_NONE },
	{ "08_DDEATH.txt", MQTT_SP_DDEATH, 0, 4, MQTT_SP_C_OK, false, MQTT_SP_STALE_DEVICE },
	/* trap 3: NDEATH's bdSeq is UInt64 here, Int64 in the NBIRTH */
	{ "07_NDEATH.txt", MQTT_SP_NDEATH, 1, -1, MQTT_SP_C_OK, false, MQTT_SP_STALE_NODE },
};

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	const char *root = getenv("PL_ROOT");
	snprintf(path, sizeof(path), "%s/tests/unit/mqtt/spec_examples/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	struct pl_buf b;
	pl_buf_init(&b, 1 << 16);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cr_assert_eq(pl_buf_append(&b, chunk, n), 0);
	fclose(f);
	*len = b.len;
	return pl_buf_steal(&b);
}

Test(mqtt_json, spec_examples_session)
{
	struct mqtt_sp_node *node;
	cr_assert_eq(mqtt_sp_node_new("Sparkplug B Devices", "Raspberry Pi", NULL, &node), 0);
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		const struct example *e = &examples[i];
		size_t len;
		char *text = slurp(e->file, &len);
		/* "topic: <topic>\n\n<json>" */
		cr_assert(strncmp(text, "topic: ", 7) == 0, "%s", e->file);
		char *nl = strchr(text, '\n');
		cr_assert_not_null(nl);
		struct mqtt_sp_topic t;
		cr_assert_eq(mqtt_sp_topic_parse(text + 7, (size_t)(nl - text - 7), &t), 0, "%s", e->file);
		cr_expect_eq(t.type, e->type, "%s", e->file);
		/* The published examples are indented with U+00A0 in places
		 * (01, 03): not JSON whitespace. Strict parsing refuses them;
		 * the test then normalises them to spaces, as a reader would. */
		char *json = nl + 1;
		size_t jlen = len - (size_t)(json - text);
		struct mqtt_sp_payload *p;
		struct mqtt_sp_error err;
		bool nbsp = strstr(json, "\xc2\xa0") != NULL;
		if (nbsp) {
			cr_expect_eq(mqtt_sp_from_json(json, jlen, &p, &err), PL_EPARSE, "%s", e->file);
			for (char *q = strstr(json, "\xc2\xa0"); q; q = strstr(q, "\xc2\xa0"))
				q[0] = ' ', q[1] = ' ';
		}
		cr_assert_eq(mqtt_sp_from_json(json, jlen, &p, &err), 0, "%s: %s", e->file, err.text);
		cr_expect_eq(p->n_metrics, e->n_metrics, "%s", e->file);
		cr_expect(p->has_timestamp && p->timestamp == 1486144502122u, "%s", e->file);
		if (e->seq >= 0)
			p->seq = (uint64_t)e->seq, p->has_seq = true;

		/* JSON -> protobuf -> decoded: the same metrics */
		struct pl_buf b;
		pl_buf_init(&b, 1 << 16);
		cr_assert_eq(mqtt_sp_encode(p, &b), 0, "%s", e->file);
		struct mqtt_sp_payload *q;
		cr_assert_eq(mqtt_sp_decode(b.data, b.len, &q, &err), 0, "%s: %s", e->file, err.text);
		cr_assert_eq(q->n_metrics, p->n_metrics);
		for (size_t k = 0; k < p->n_metrics; k++) {
			cr_expect_str_eq(q->metrics[k].name, p->metrics[k].name, "%s", e->file);
			cr_expect_eq(q->metrics[k].datatype, p->metrics[k].datatype, "%s", e->file);
			cr_expect_eq(q->metrics[k].raw.field, p->metrics[k].raw.field, "%s", e->file);
			cr_expect_eq(q->metrics[k].raw.u, p->metrics[k].raw.u, "%s", e->file);
		}

		struct mqtt_sp_verdict v;
		cr_expect_eq(mqtt_sp_node_feed(node, &t, q, 1486144503000, &v), 0, "%s", e->file);
		cr_expect_eq(v.cause, e->cause, "%s: %s (%s)", e->file, mqtt_sp_cause_name(v.cause), v.detail);
		cr_expect_eq(v.apply, e->apply, "%s: apply (%s)", e->file, v.detail);
		cr_expect_eq(v.stale, e->stale, "%s: stale", e->file);
		if (e->type == MQTT_SP_NDATA) {
			struct mqtt_sp_binding bd;
			cr_expect_eq(mqtt_sp_node_resolve(node, "", &q->metrics[0], &bd), 0);
			cr_expect_str_eq(bd.name, "Supply Voltage");
			cr_expect_eq(bd.datatype, MQTT_SP_DT_FLOAT);
			cr_expect_eq(q->metrics[0].raw.f, 12.3f);
		}
		if (e->type == MQTT_SP_DDATA)
			cr_expect(q->metrics[1].raw.b, "Inputs/C true");
		mqtt_sp_payload_free(q);
		mqtt_sp_payload_free(p);
		pl_buf_release(&b);
		free(text);
	}
	cr_expect_not(mqtt_sp_node_online(node));
	mqtt_sp_node_free(node);
}

struct bad_json {
	const char *why;
	const char *in;
	int rc;
	long metric;
};
static const struct bad_json bad[] = {
	{ "not JSON", "{", PL_EPARSE, -1 },
	{ "top level array", "[]", PL_EINVAL, -1 },
	{ "unknown top-level field", "{\"metrics\":[],\"body\":\"x\"}", PL_EINVAL, -1 },
	{ "negative seq", "{\"seq\":-1}", PL_EINVAL, -1 },
	{ "negative timestamp", "{\"timestamp\":-5}", PL_EINVAL, -1 },
	{ "dataType missing", "{\"metrics\":[{\"name\":\"a\",\"value\":1}]}", PL_EINVAL, 0 },
	{ "dataType unknown", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"Int7\",\"value\":1}]}", PL_EINVAL, 0 },
	{ "dataType 35", "{\"metrics\":[{\"name\":\"a\",\"dataType\":35,\"value\":1}]}", PL_EINVAL, 0 },
	{ "Int8 200 does not fit", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"Int8\",\"value\":200}]}", PL_EINVAL, 0 },
	{ "UInt16 -1", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"UInt16\",\"value\":-1}]}", PL_EINVAL, 0 },
	{ "Boolean as 1", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"Boolean\",\"value\":1}]}", PL_EINVAL, 0 },
	{ "String as number", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"String\",\"value\":1}]}", PL_EINVAL, 0 },
	{ "Bytes not accepted", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"Bytes\",\"value\":\"AA==\"}]}",
	  PL_EUNSUPPORTED, 0 },
	{ "is_null with a value", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"Int8\",\"value\":1,\"is_null\":true}]}",
	  PL_EINVAL, 0 },
	{ "array element out of range",
	  "{\"metrics\":[{\"name\":\"ok\",\"dataType\":\"Int8\",\"value\":1},{\"name\":\"a\",\"dataType\":\"Int8Array\",\"value\":[1,300]}]}",
	  PL_EINVAL, 1 },
	{ "array not an array", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"Int8Array\",\"value\":1}]}", PL_EINVAL, 0 },
	{ "metric field unknown", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"Int8\",\"value\":1,\"properties\":{}}]}",
	  PL_EINVAL, 0 },
	{ "too deep", "{\"metrics\":[{\"name\":\"a\",\"dataType\":\"Int8Array\",\"value\":[[[1]]]}]}", PL_EPARSE, -1 },
};

Test(mqtt_json, malformed)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mqtt_sp_payload *p = (void *)1;
		struct mqtt_sp_error err;
		int rc = mqtt_sp_from_json(bad[i].in, strlen(bad[i].in), &p, &err);
		cr_expect_eq(rc, bad[i].rc, "%s: rc %d (%s)", bad[i].why, rc, err.text);
		cr_expect_null(p, "%s", bad[i].why);
		cr_expect_eq(err.metric, bad[i].metric, "%s: metric %ld", bad[i].why, err.metric);
		cr_expect_neq(err.text[0], '\0', "%s", bad[i].why);
	}
}

Test(mqtt_json, arrays_and_nulls)
{
	const char *in = "{\"timestamp\":1,\"seq\":7,\"metrics\":["
		"{\"alias\":5,\"timestamp\":2,\"dataType\":\"Int16Array\",\"value\":[-30000,30000]},"
		"{\"name\":\"b\",\"dataType\":\"BooleanArray\",\"value\":[false,false,true,true,false,true,false,false,true,true,false,true]},"
		"{\"name\":\"s\",\"dataType\":\"StringArray\",\"value\":[\"ABC\",\"hello\"]},"
		"{\"name\":\"n\",\"dataType\":\"Double\",\"value\":null},"
		"{\"name\":\"m\",\"dataType\":10,\"is_null\":true},"
		"{\"name\":\"i\",\"dataType\":\"Int8\",\"value\":-1}]}";
	struct mqtt_sp_payload *p;
	struct mqtt_sp_error err;
	cr_assert_eq(mqtt_sp_from_json(in, strlen(in), &p, &err), 0, "%s", err.text);
	cr_assert_eq(p->n_metrics, 6u);
	cr_expect(p->has_seq && p->seq == 7);
	cr_expect(p->metrics[0].has_alias && p->metrics[0].alias == 5 && !p->metrics[0].name);
	char hex[64];
	pl_hex(p->metrics[0].raw.p, p->metrics[0].raw.n, hex);
	cr_expect_str_eq(hex, "d08a3075");
	pl_hex(p->metrics[1].raw.p, p->metrics[1].raw.n, hex);
	cr_expect_str_eq(hex, "0c00000034d0");
	pl_hex(p->metrics[2].raw.p, p->metrics[2].raw.n, hex);
	cr_expect_str_eq(hex, "4142430068656c6c6f00");
	cr_expect(p->metrics[3].is_null && p->metrics[3].raw.field == MQTT_SP_F_NONE);
	cr_expect(p->metrics[4].is_null && p->metrics[4].datatype == MQTT_SP_DT_DOUBLE);
	cr_expect_eq(p->metrics[5].raw.u, 255u, "Int8 -1 goes out in 8-bit form");
	mqtt_sp_payload_free(p);
}
