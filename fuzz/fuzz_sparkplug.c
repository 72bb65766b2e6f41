/*
 * fuzz_sparkplug.c - libFuzzer target for the Sparkplug B payload decoder
 * (mqtt_sp_decode, src/mqtt/payload.c over protobuf-c), the arrays inside
 * bytes_value (mqtt_sp_array_*), and the host session rules
 * (mqtt_sp_node_feed) that every decoded payload goes through. The input
 * is one MQTT payload as it would arrive from the broker; inputs that
 * start with '{' also go through the JSON form (mqtt_sp_from_json).
 *
 * Properties beyond "no sanitizer report":
 *  - a decoded metric that names its datatype converts with
 *    mqtt_sp_value_from_raw (the decoder already checked it), and an array
 *    type frames with mqtt_sp_array_count;
 *  - a decoded payload whose values are all encodable re-encodes, and the
 *    re-encoding decodes to the same metrics (names, aliases, datatypes,
 *    raw values) - the round trip the simulator and the host rely on;
 *  - the session machine fed the payload as NBIRTH, DBIRTH, NDATA, DDATA,
 *    DDEATH and NDEATH never applies a message it could not resolve;
 *  - the hand-written fast-path reader (payload.c NOTES ON THE FAST PATH)
 *    either declines or gives exactly protobuf-c's verdict: the same return
 *    code and error, or the same payload field by field.
 */
#include "mqtt/mqtt_int.h"

#include <string.h>

#include "fuzz.h"

static bool raw_equal(const struct mqtt_sp_raw *a, const struct mqtt_sp_raw *b)
{
	if (a->field != b->field || a->u != b->u || a->b != b->b || a->n != b->n)
		return false;
	if (memcmp(&a->f, &b->f, sizeof(a->f)) || memcmp(&a->d, &b->d, sizeof(a->d)))
		return false;
	return a->n == 0 || memcmp(a->p, b->p, a->n) == 0;
}

static void check_round_trip(const struct mqtt_sp_payload *p)
{
	for (size_t i = 0; i < p->n_metrics; i++) {
		enum mqtt_sp_field f = p->metrics[i].raw.field;
		if (f == MQTT_SP_F_DATASET || f == MQTT_SP_F_TEMPLATE || f == MQTT_SP_F_EXTENSION)
			return; /* the encoder does not send these */
	}
	struct pl_buf b;
	pl_buf_init(&b, 2 * MQTT_SP_PAYLOAD_MAX);
	FUZZ_CHECK(mqtt_sp_encode(p, &b) == 0);
	struct mqtt_sp_payload *q = NULL;
	FUZZ_CHECK(mqtt_sp_decode(b.data, b.len, &q, NULL) == 0);
	FUZZ_CHECK(q->n_metrics == p->n_metrics);
	FUZZ_CHECK(q->has_seq == p->has_seq && q->seq == p->seq);
	FUZZ_CHECK(q->has_timestamp == p->has_timestamp && q->timestamp == p->timestamp);
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct mqtt_sp_metric *x = &p->metrics[i], *y = &q->metrics[i];
		FUZZ_CHECK((x->name == NULL) == (y->name == NULL));
		FUZZ_CHECK(!x->name || strcmp(x->name, y->name) == 0);
		FUZZ_CHECK(x->has_alias == y->has_alias && x->alias == y->alias);
		FUZZ_CHECK(x->has_datatype == y->has_datatype && x->datatype == y->datatype);
		FUZZ_CHECK(x->is_null == y->is_null);
		FUZZ_CHECK(raw_equal(&x->raw, &y->raw));
	}
	mqtt_sp_payload_free(q);
	pl_buf_release(&b);
}

static void check_session(const struct mqtt_sp_payload *p)
{
	static const enum mqtt_sp_msg order[] = {
		MQTT_SP_NBIRTH, MQTT_SP_DBIRTH, MQTT_SP_NDATA, MQTT_SP_DDATA,
		MQTT_SP_DDEATH, MQTT_SP_NDEATH,
	};
	struct mqtt_sp_node *n = NULL;
	FUZZ_CHECK(mqtt_sp_node_new("g", "e", NULL, &n) == 0);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		struct mqtt_sp_topic t = { .type = order[k], .group = "g", .node = "e" };
		bool dev = order[k] == MQTT_SP_DBIRTH || order[k] == MQTT_SP_DDATA ||
			   order[k] == MQTT_SP_DDEATH;
		if (dev)
			pl_strlcpy(t.device, "d", sizeof(t.device));
		struct mqtt_sp_verdict v;
		FUZZ_CHECK(mqtt_sp_node_feed(n, &t, p, 1000 + (int64_t)k, &v) == 0);
		if (v.apply && (order[k] == MQTT_SP_NDATA || order[k] == MQTT_SP_DDATA)) {
			for (size_t i = 0; i < p->n_metrics; i++) {
				struct mqtt_sp_binding b;
				FUZZ_CHECK(mqtt_sp_node_resolve(n, t.device, &p->metrics[i], &b) == 0);
			}
		}
	}
	mqtt_sp_node_free(n);
}

/* The JSON form (mqtt_sp_from_json) of the same payloads: what it accepts
 * must encode to protobuf, and survive the same checks. */
static void check_json(const uint8_t *data, size_t size)
{
	struct mqtt_sp_payload *p = NULL;
	struct mqtt_sp_error err;
	if (size == 0 || data[0] != '{')
		return;
	if (mqtt_sp_from_json((const char *)data, size, &p, &err) != 0) {
		FUZZ_CHECK(p == NULL && err.text[0] != '\0');
		return;
	}
	check_round_trip(p);
	check_session(p);
	mqtt_sp_payload_free(p);
}

/* The fast path against protobuf-c on the same bytes. */
static void check_fast_path(const uint8_t *data, size_t size)
{
	struct mqtt_sp_payload *f = NULL, *s = NULL;
	struct mqtt_sp_error fe, se;
	char why[96];

	int frc = mqtt__sp_decode_with(MQTT__DEC_FAST, data, size, &f, &fe);
	if (frc == PL_EUNSUPPORTED) {
		FUZZ_CHECK(f == NULL);
		return;
	}
	int src = mqtt__sp_decode_with(MQTT__DEC_PBC, data, size, &s, &se);
	FUZZ_CHECK(frc == src);
	if (frc) {
		FUZZ_CHECK(f == NULL && s == NULL && fe.metric == se.metric);
		FUZZ_CHECK(strcmp(fe.text, se.text) == 0);
		return;
	}
	FUZZ_CHECK(mqtt__sp_payload_same(f, s, why, sizeof(why)));
	mqtt_sp_payload_free(f);
	mqtt_sp_payload_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mqtt_sp_payload *p = NULL;
	struct mqtt_sp_error err;

	check_json(data, size);
	check_fast_path(data, size);
	if (mqtt_sp_decode(data, size, &p, &err) != 0) {
		FUZZ_CHECK(p == NULL && err.text[0] != '\0');
		return 0;
	}
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct mqtt_sp_metric *m = &p->metrics[i];
		struct mqtt_sp_value v;
		if (!m->has_datatype)
			continue;
		FUZZ_CHECK(mqtt_sp_value_from_raw(m->datatype, &m->raw, &v) == 0);
		if (v.kind == MQTT_SP_V_BYTES && m->datatype >= MQTT_SP_DT_INT8_ARRAY) {
			size_t cnt, got;
			FUZZ_CHECK(mqtt_sp_array_count(m->datatype, m->raw.p, m->raw.n, &cnt) == 0);
			struct mqtt_sp_value vals[64];
			int rc = mqtt_sp_array_decode(m->datatype, m->raw.p, m->raw.n, vals, 64, &got);
			FUZZ_CHECK(cnt > 64 ? rc == PL_ETOOBIG : (rc == 0 && got == cnt));
		}
	}
	check_round_trip(p);
	check_session(p);
	mqtt_sp_payload_free(p);
	return 0;
}
