/*
 * payload.c - the Sparkplug B protobuf payload, decoded into the plain
 * structs of mqtt.h and encoded back, over protobuf-c (the generated code
 * lives in build/gen/mqtt/sparkplug_b.pb-c.c; this is the only file that
 * includes it). Also the host's JSON STATE message.
 *
 * Memory: protobuf-c allocates one struct per decoded element, so a
 * metric that takes 2 bytes on the wire costs ~200 bytes decoded. The
 * decoder therefore runs protobuf-c on a region allocator (chunks owned by
 * the payload) that counts and refuses past MQTT_SP_DECODE_MEM_MAX: input
 * can make decoding fail, never exhaust memory. Everything a decoded
 * payload points at is owned by it and freed in one mqtt_sp_payload_free.
 */
#include "mqtt/mqtt_int.h"

#include <assert.h>
#include <string.h>
#include <protobuf-c/protobuf-c.h>

#include "mqtt/sparkplug_b.pb-c.h"

typedef Org__Eclipse__Tahu__Protobuf__Payload PbPayload;
typedef Org__Eclipse__Tahu__Protobuf__Payload__Metric PbMetric;

/* protobuf-c allocates from chunks of this payload's own region, freed in
 * one go (h2o's per-request pool idea): a decode is one malloc per chunk
 * instead of one per element, and free_unpacked is never needed. */
struct chunk {
	struct chunk *next;
	size_t cap, used;         /* bytes in data[], bytes handed out */
	max_align_t data[];
};

/* A decoded payload and what it needs to free itself. pub comes first so
 * a struct mqtt_sp_payload * from the caller converts back. */
struct decoded {
	struct mqtt_sp_payload pub;
	ProtobufCAllocator alloc; /* region allocator, data = this */
	struct chunk *chunks;     /* owned; newest first */
	size_t used;              /* bytes of chunks so far (the cap counts these) */
	size_t next_cap;          /* size of the next chunk */
	bool capped;              /* an allocation was refused */
	PbPayload *msg;           /* lives in chunks; NULL for JSON */
	json_t *doc;              /* JSON payloads: the document strings borrow */
};

static void *cap_alloc(void *data, size_t size)
{
	struct decoded *d = data;
	struct chunk *c = d->chunks;
	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!c || c->cap - c->used < size) {
		size_t cap = d->next_cap > size ? d->next_cap : size;
		if (cap > MQTT_SP_DECODE_MEM_MAX - d->used) {
			d->capped = true;
			return NULL; /* protobuf-c turns this into an unpack failure */
		}
		d->used += cap;
		if (d->next_cap < (1u << 20))
			d->next_cap *= 2;
		c = pl_malloc(sizeof(*c) + cap);
		c->next = d->chunks;
		c->cap = cap;
		c->used = 0;
		d->chunks = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

static void cap_free(void *data, void *p)
{
	(void)data;
	(void)p; /* the region goes in one piece (decoded_free) */
}

static void decoded_free(struct decoded *d)
{
	struct chunk *c = d->chunks;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(d->pub.metrics);
	json_decref(d->doc);
	free(d);
}

static void set_err(struct mqtt_sp_error *err, long metric, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(struct mqtt_sp_error *err, long metric, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	err->metric = metric;
}

/* Fills our view of one protobuf-c metric and checks the decode-level
 * rules (see mqtt_sp_decode). */
static int metric_from_pb(const PbMetric *pm, long idx, struct mqtt_sp_metric *m,
			  struct mqtt_sp_error *err)
{
	memset(m, 0, sizeof(*m));
	m->name = pm->name;
	m->has_alias = pm->has_alias;
	m->alias = pm->alias;
	m->has_timestamp = pm->has_timestamp;
	m->timestamp = pm->timestamp;
	m->has_datatype = pm->has_datatype;
	m->datatype = pm->datatype;
	m->is_historical = pm->has_is_historical && pm->is_historical;
	m->is_transient = pm->has_is_transient && pm->is_transient;
	m->is_null = pm->has_is_null && pm->is_null;

	struct mqtt_sp_raw *r = &m->raw;
	switch (pm->value_case) {
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE__NOT_SET:
		r->field = MQTT_SP_F_NONE;
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_INT_VALUE:
		r->field = MQTT_SP_F_INT;
		r->u = pm->int_value;
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_LONG_VALUE:
		r->field = MQTT_SP_F_LONG;
		r->u = pm->long_value;
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_FLOAT_VALUE:
		r->field = MQTT_SP_F_FLOAT;
		r->f = pm->float_value;
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE:
		r->field = MQTT_SP_F_DOUBLE;
		r->d = pm->double_value;
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE:
		r->field = MQTT_SP_F_BOOL;
		r->b = pm->boolean_value;
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_STRING_VALUE:
		r->field = MQTT_SP_F_STRING;
		r->p = (const uint8_t *)pm->string_value;
		r->n = strlen(pm->string_value);
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BYTES_VALUE:
		r->field = MQTT_SP_F_BYTES;
		r->p = pm->bytes_value.data;
		r->n = pm->bytes_value.len;
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DATASET_VALUE:
		r->field = MQTT_SP_F_DATASET;
		break;
	case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_TEMPLATE_VALUE:
		r->field = MQTT_SP_F_TEMPLATE;
		m->tmpl_is_definition = pm->template_value->has_is_definition &&
					pm->template_value->is_definition;
		m->tmpl_ref = pm->template_value->template_ref;
		break;
	default:
		r->field = MQTT_SP_F_EXTENSION;
		break;
	}

	if (m->name && !mqtt__utf8_valid((const uint8_t *)m->name, strlen(m->name))) {
		set_err(err, idx, "metric %ld: name is not UTF-8", idx);
		return PL_EINVAL;
	}
	/* tck-id-operational-behavior-data-publish-nbirth-values: a null
	 * metric carries no value, and a metric without a value is null. */
	if (m->is_null && r->field != MQTT_SP_F_NONE) {
		set_err(err, idx, "metric %ld: is_null with a value", idx);
		return PL_EINVAL;
	}
	if (!m->is_null && r->field == MQTT_SP_F_NONE) {
		set_err(err, idx, "metric %ld: no value and not is_null", idx);
		return PL_EINVAL;
	}
	if (!m->has_datatype)
		return 0; /* DATA may omit it: the birth's datatype applies */
	if (m->datatype == MQTT_SP_DT_UNKNOWN || m->datatype > MQTT_SP_DT_MAX ||
	    m->datatype == MQTT_SP_DT_PROPERTYSET ||
	    m->datatype == MQTT_SP_DT_PROPERTYSETLIST) {
		set_err(err, idx, "metric %ld: datatype %u is not a metric datatype",
			idx, m->datatype);
		return PL_EINVAL;
	}
	struct mqtt_sp_value v;
	if (mqtt_sp_value_from_raw(m->datatype, r, &v)) {
		set_err(err, idx, "metric %ld: value does not suit datatype %s",
			idx, mqtt_sp_dt_name(m->datatype));
		return PL_EINVAL;
	}
	size_t cnt;
	if (v.kind == MQTT_SP_V_BYTES && m->datatype >= MQTT_SP_DT_INT8_ARRAY &&
	    mqtt_sp_array_count(m->datatype, r->p, r->n, &cnt)) {
		set_err(err, idx, "metric %ld: malformed %s", idx,
			mqtt_sp_dt_name(m->datatype));
		return PL_EINVAL;
	}
	return 0;
}

/* The prologue both decoders share: clear *err and apply the payload cap
 * before anything is allocated. */
static int payload__start(size_t len, struct mqtt_sp_error *err)
{
	if (err) {
		err->text[0] = '\0';
		err->metric = -1;
	}
	if (len > MQTT_SP_PAYLOAD_MAX) {
		set_err(err, -1, "payload of %zu bytes is over the %u-byte cap",
			len, MQTT_SP_PAYLOAD_MAX);
		return PL_ETOOBIG;
	}
	return 0;
}

int mqtt_sp_decode(const void *buf, size_t len, struct mqtt_sp_payload **out,
		   struct mqtt_sp_error *err)
{
	struct decoded *d = NULL;
	int rc = 0;

	*out = NULL;
	if ((rc = payload__start(len, err)))
		return rc;
	d = pl_calloc(1, sizeof(*d));
	d->alloc = (ProtobufCAllocator){ cap_alloc, cap_free, d };
	/* decoded structs take roughly 8x the wire bytes */
	d->next_cap = len < 512 ? 4096 : (len < (1u << 17) ? 8 * len : (1u << 20));
	d->msg = org__eclipse__tahu__protobuf__payload__unpack(&d->alloc, len, buf);
	if (!d->msg) {
		rc = d->capped ? PL_ETOOBIG : PL_EPARSE;
		if (d->capped)
			set_err(err, -1, "payload needs more than %u bytes to decode",
				MQTT_SP_DECODE_MEM_MAX);
		else
			set_err(err, -1, "not a valid Sparkplug B protobuf");
		goto out;
	}
	struct mqtt_sp_payload *p = &d->pub;
	p->pb__ = d;
	p->has_timestamp = d->msg->has_timestamp;
	p->timestamp = d->msg->timestamp;
	p->has_seq = d->msg->has_seq;
	p->seq = d->msg->seq;
	p->uuid = d->msg->uuid;
	if (p->uuid && !mqtt__utf8_valid((const uint8_t *)p->uuid, strlen(p->uuid))) {
		set_err(err, -1, "payload uuid is not UTF-8");
		rc = PL_EINVAL;
		goto out;
	}
	p->n_metrics = d->msg->n_metrics;
	if (p->n_metrics) {
		p->metrics = pl_calloc(p->n_metrics, sizeof(*p->metrics));
		for (size_t i = 0; i < p->n_metrics; i++)
			if ((rc = metric_from_pb(d->msg->metrics[i], (long)i,
						 &p->metrics[i], err)))
				goto out;
	}
	*out = p;
	d = NULL;
out:
	if (d)
		decoded_free(d);
	return rc;
}

void mqtt_sp_payload_free(struct mqtt_sp_payload *p)
{
	if (!p)
		return;
	struct decoded *d = p->pb__;
	assert(d == (struct decoded *)p); /* only decoded payloads are freed here */
	decoded_free(d);
}

/* ---------------------------------------------------------------- encoding */

int mqtt_sp_encode(const struct mqtt_sp_payload *p, struct pl_buf *out)
{
	PbPayload msg = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__INIT;
	PbMetric *ms = NULL, **mp = NULL;
	uint8_t *bytes = NULL;
	int rc = 0;

	msg.has_timestamp = p->has_timestamp;
	msg.timestamp = p->timestamp;
	msg.has_seq = p->has_seq;
	msg.seq = p->seq;
	msg.uuid = (char *)p->uuid;
	if (p->n_metrics) {
		ms = pl_calloc(p->n_metrics, sizeof(*ms));
		mp = pl_calloc(p->n_metrics, sizeof(*mp));
	}
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct mqtt_sp_metric *m = &p->metrics[i];
		PbMetric *pm = &ms[i];
		org__eclipse__tahu__protobuf__payload__metric__init(pm);
		mp[i] = pm;
		pm->name = (char *)m->name;
		pm->has_alias = m->has_alias;
		pm->alias = m->alias;
		pm->has_timestamp = m->has_timestamp;
		pm->timestamp = m->timestamp;
		pm->has_datatype = m->has_datatype;
		pm->datatype = m->datatype;
		/* Send the flags only when set: smaller, and what Tahu does. */
		pm->has_is_historical = pm->is_historical = m->is_historical;
		pm->has_is_transient = pm->is_transient = m->is_transient;
		pm->has_is_null = pm->is_null = m->is_null;
		const struct mqtt_sp_raw *r = &m->raw;
		switch (r->field) {
		case MQTT_SP_F_NONE:
			break;
		case MQTT_SP_F_INT:
			if (r->u > UINT32_MAX) {
				rc = PL_EINVAL;
				goto out;
			}
			pm->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_INT_VALUE;
			pm->int_value = (uint32_t)r->u;
			break;
		case MQTT_SP_F_LONG:
			pm->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_LONG_VALUE;
			pm->long_value = r->u;
			break;
		case MQTT_SP_F_FLOAT:
			pm->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_FLOAT_VALUE;
			pm->float_value = r->f;
			break;
		case MQTT_SP_F_DOUBLE:
			pm->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE;
			pm->double_value = r->d;
			break;
		case MQTT_SP_F_BOOL:
			pm->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
			pm->boolean_value = r->b;
			break;
		case MQTT_SP_F_STRING:
			/* protobuf-c sends strlen(): p must be a C string. */
			if (!r->p || r->p[r->n] != '\0') {
				rc = PL_EINVAL;
				goto out;
			}
			pm->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_STRING_VALUE;
			pm->string_value = (char *)r->p;
			break;
		case MQTT_SP_F_BYTES:
			pm->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BYTES_VALUE;
			pm->bytes_value.data = (uint8_t *)r->p;
			pm->bytes_value.len = r->n;
			break;
		default:
			rc = PL_EINVAL; /* DataSet/Template/extension: not encoded */
			goto out;
		}
	}
	msg.n_metrics = p->n_metrics;
	msg.metrics = mp;
	size_t n = org__eclipse__tahu__protobuf__payload__get_packed_size(&msg);
	bytes = pl_malloc(n ? n : 1);
	size_t w = org__eclipse__tahu__protobuf__payload__pack(&msg, bytes);
	assert(w == n);
	rc = pl_buf_append(out, bytes, w);
out:
	free(bytes);
	free(mp);
	free(ms);
	return rc;
}

int mqtt_sp_rebirth_encode(int64_t now_ms, struct pl_buf *out)
{
	struct mqtt_sp_metric m = {
		.name = "Node Control/Rebirth",
		.has_timestamp = true, .timestamp = (uint64_t)now_ms,
		.has_datatype = true, .datatype = MQTT_SP_DT_BOOLEAN,
		.raw = { .field = MQTT_SP_F_BOOL, .b = true },
	};
	struct mqtt_sp_payload p = {
		.has_timestamp = true, .timestamp = (uint64_t)now_ms,
		.n_metrics = 1, .metrics = &m,
	};
	if (now_ms < 0)
		return PL_EINVAL;
	return mqtt_sp_encode(&p, out);
}

/* ------------------------------------------------------------------- STATE */

int mqtt_sp_state_parse(const void *buf, size_t len, bool *online, int64_t *ts)
{
	static const struct pl_json_field spec[] = {
		{ "online", PL_JT_BOOL, true, 0 },
		{ "timestamp", PL_JT_INTEGER, true, 0 },
		{ NULL, 0, false, 0 },
	};
	json_t *doc = NULL;
	struct pl_json_error jerr;
	int rc;

	/* Pre-3.0 hosts: plain text. */
	if (len == 6 && memcmp(buf, "ONLINE", 6) == 0) {
		*online = true;
		*ts = -1;
		return 0;
	}
	if (len == 7 && memcmp(buf, "OFFLINE", 7) == 0) {
		*online = false;
		*ts = -1;
		return 0;
	}
	if (len > 1024)
		return PL_ETOOBIG; /* two fields never need more */
	if ((rc = pl_json_parse(buf, len, 2, &doc, &jerr)))
		return PL_EINVAL;
	if (!json_is_object(doc) || pl_json_check(doc, spec, &jerr)) {
		rc = PL_EINVAL;
		goto out;
	}
	json_int_t t = json_integer_value(json_object_get(doc, "timestamp"));
	if (t < 0) {
		rc = PL_EINVAL;
		goto out;
	}
	*online = json_is_true(json_object_get(doc, "online"));
	*ts = t;
out:
	json_decref(doc);
	return rc;
}

int mqtt_sp_state_format(bool online, int64_t ts, char *out, size_t outsz)
{
	if (ts < 0)
		return PL_EINVAL;
	int n = snprintf(out, outsz, "{\"online\":%s,\"timestamp\":%lld}",
			 online ? "true" : "false", (long long)ts);
	if (n < 0 || (size_t)n >= outsz)
		return PL_ETOOBIG;
	return 0;
}

/* -------------------------------------------------------------------- JSON
 * The same payload as JSON, in the shape Eclipse Tahu prints and the spec
 * examples use: {"timestamp", "seq", "uuid", "metrics": [{"name", "alias",
 * "timestamp", "dataType", "value", "is_null", "is_historical",
 * "is_transient"}]}. For gateways that cannot speak protobuf. */

/* Datatype from a name ("Int8") or number (1). 0 when neither. */
static uint32_t json_dt(const json_t *v)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		return i >= 1 && i <= MQTT_SP_DT_MAX ? (uint32_t)i : 0;
	}
	if (json_is_string(v))
		for (uint32_t dt = 1; dt <= MQTT_SP_DT_MAX; dt++)
			if (strcmp(json_string_value(v), mqtt_sp_dt_name(dt)) == 0)
				return dt;
	return 0;
}

/* One JSON scalar as a value for datatype dt (an array element's dt for
 * arrays). */
static int json_scalar(uint32_t dt, const json_t *j, struct mqtt_sp_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (dt) {
	case MQTT_SP_DT_INT8: case MQTT_SP_DT_INT16: case MQTT_SP_DT_INT32:
	case MQTT_SP_DT_INT64: case MQTT_SP_DT_DATETIME:
	case MQTT_SP_DT_UINT8: case MQTT_SP_DT_UINT16: case MQTT_SP_DT_UINT32:
	case MQTT_SP_DT_UINT64:
		if (!json_is_integer(j))
			return PL_EINVAL;
		v->kind = MQTT_SP_V_INT; /* to_raw checks sign and width */
		v->i = json_integer_value(j);
		return 0;
	case MQTT_SP_DT_FLOAT: case MQTT_SP_DT_DOUBLE:
		if (!json_is_number(j))
			return PL_EINVAL;
		v->kind = MQTT_SP_V_REAL;
		v->d = json_number_value(j);
		return 0;
	case MQTT_SP_DT_BOOLEAN:
		if (!json_is_boolean(j))
			return PL_EINVAL;
		v->kind = MQTT_SP_V_BOOL;
		v->b = json_is_true(j);
		return 0;
	case MQTT_SP_DT_STRING: case MQTT_SP_DT_TEXT: case MQTT_SP_DT_UUID:
		if (!json_is_string(j))
			return PL_EINVAL;
		v->kind = MQTT_SP_V_STRING;
		v->s = json_string_value(j);
		v->n = json_string_length(j);
		return 0;
	default:
		return PL_EUNSUPPORTED;
	}
}

/* Element datatype of an *Array type (the scalar its JSON elements use). */
static uint32_t array_elem_dt(uint32_t dt)
{
	static const uint32_t elem[] = {
		MQTT_SP_DT_INT8, MQTT_SP_DT_INT16, MQTT_SP_DT_INT32, MQTT_SP_DT_INT64,
		MQTT_SP_DT_UINT8, MQTT_SP_DT_UINT16, MQTT_SP_DT_UINT32, MQTT_SP_DT_UINT64,
		MQTT_SP_DT_FLOAT, MQTT_SP_DT_DOUBLE, MQTT_SP_DT_BOOLEAN, MQTT_SP_DT_STRING,
		MQTT_SP_DT_DATETIME,
	};
	return elem[dt - MQTT_SP_DT_INT8_ARRAY];
}

static int json_metric(struct decoded *d, const json_t *jm, long idx,
		       struct mqtt_sp_metric *m, struct mqtt_sp_error *err)
{
	static const struct pl_json_field spec[] = {
		{ "name", PL_JT_STRING, false, 4096 },
		{ "alias", PL_JT_INTEGER, false, 0 },
		{ "timestamp", PL_JT_INTEGER, false, 0 },
		{ "dataType", PL_JT_ANY, true, 0 },
		{ "value", PL_JT_ANY, false, 0 },
		{ "is_null", PL_JT_BOOL, false, 0 },
		{ "is_historical", PL_JT_BOOL, false, 0 },
		{ "is_transient", PL_JT_BOOL, false, 0 },
		{ NULL, 0, false, 0 },
	};
	struct pl_json_error jerr;
	json_t *jv;
	int rc;

	memset(m, 0, sizeof(*m));
	if (pl_json_check(jm, spec, &jerr)) {
		set_err(err, idx, "metric %ld: %s", idx, jerr.text);
		return PL_EINVAL;
	}
	m->name = pl_json_str(jm, "name");
	if ((jv = json_object_get(jm, "alias")) && !json_is_null(jv)) {
		if (json_integer_value(jv) < 0)
			goto bad_num;
		m->has_alias = true;
		m->alias = (uint64_t)json_integer_value(jv);
	}
	if ((jv = json_object_get(jm, "timestamp")) && !json_is_null(jv)) {
		if (json_integer_value(jv) < 0)
			goto bad_num;
		m->has_timestamp = true;
		m->timestamp = (uint64_t)json_integer_value(jv);
	}
	m->is_historical = json_is_true(json_object_get(jm, "is_historical"));
	m->is_transient = json_is_true(json_object_get(jm, "is_transient"));
	m->datatype = json_dt(json_object_get(jm, "dataType"));
	if (m->datatype == 0) {
		set_err(err, idx, "metric %ld: dataType is not a Sparkplug datatype name", idx);
		return PL_EINVAL;
	}
	m->has_datatype = true;
	jv = json_object_get(jm, "value");
	if (!jv || json_is_null(jv) || json_is_true(json_object_get(jm, "is_null"))) {
		if (jv && !json_is_null(jv)) {
			set_err(err, idx, "metric %ld: is_null with a value", idx);
			return PL_EINVAL;
		}
		m->is_null = true;
		return 0;
	}
	struct mqtt_sp_value v;
	if (m->datatype >= MQTT_SP_DT_INT8_ARRAY) {
		/* An array: encode its elements into bytes_value, kept in
		 * the payload's region. */
		size_t n = json_array_size(jv);
		if (!json_is_array(jv) || n > MQTT_SP_ARRAY_MAX) {
			set_err(err, idx, "metric %ld: %s value must be an array of at most %u",
				idx, mqtt_sp_dt_name(m->datatype), MQTT_SP_ARRAY_MAX);
			return PL_EINVAL;
		}
		struct mqtt_sp_value *vals = pl_calloc(n ? n : 1, sizeof(*vals));
		struct pl_buf b;
		pl_buf_init(&b, MQTT_SP_PAYLOAD_MAX);
		uint32_t edt = array_elem_dt(m->datatype);
		rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = json_scalar(edt, json_array_get(jv, i), &vals[i]);
		if (rc == 0)
			rc = mqtt_sp_array_encode(m->datatype, vals, n, &b);
		uint8_t *bytes = NULL;
		if (rc == 0 && !(bytes = cap_alloc(d, b.len ? b.len : 1)))
			rc = PL_ETOOBIG;
		if (rc == 0 && b.len)
			memcpy(bytes, b.data, b.len);
		m->raw = (struct mqtt_sp_raw){ .field = MQTT_SP_F_BYTES, .p = bytes, .n = b.len };
		pl_buf_release(&b);
		free(vals);
		if (rc) {
			set_err(err, idx, "metric %ld: an element does not fit %s", idx,
				mqtt_sp_dt_name(m->datatype));
			return rc == PL_ETOOBIG ? rc : PL_EINVAL;
		}
		return 0;
	}
	rc = json_scalar(m->datatype, jv, &v);
	if (rc == PL_EUNSUPPORTED) {
		set_err(err, idx, "metric %ld: %s values are not accepted as JSON", idx,
			mqtt_sp_dt_name(m->datatype));
		return rc;
	}
	if (rc || mqtt_sp_value_to_raw(m->datatype, &v, &m->raw)) {
		set_err(err, idx, "metric %ld: value is not a valid %s", idx,
			mqtt_sp_dt_name(m->datatype));
		return PL_EINVAL;
	}
	return 0;
bad_num:
	set_err(err, idx, "metric %ld: alias and timestamp must not be negative", idx);
	return PL_EINVAL;
}

int mqtt_sp_from_json(const char *buf, size_t len, struct mqtt_sp_payload **out,
		      struct mqtt_sp_error *err)
{
	static const struct pl_json_field spec[] = {
		{ "timestamp", PL_JT_INTEGER, false, 0 },
		{ "seq", PL_JT_INTEGER, false, 0 },
		{ "uuid", PL_JT_STRING, false, 256 },
		{ "metrics", PL_JT_ARRAY, false, 0 },
		{ NULL, 0, false, 0 },
	};
	struct pl_json_error jerr;
	struct decoded *d = NULL;
	json_t *jv;
	int rc = 0;

	*out = NULL;
	if ((rc = payload__start(len, err)))
		return rc;
	d = pl_calloc(1, sizeof(*d));
	d->next_cap = 4096;
	if ((rc = pl_json_parse(buf, len, 4, &d->doc, &jerr))) {
		set_err(err, -1, "%s", jerr.text);
		rc = PL_EPARSE;
		goto out;
	}
	if (pl_json_check(d->doc, spec, &jerr)) {
		set_err(err, -1, "%s", jerr.text);
		rc = PL_EINVAL;
		goto out;
	}
	struct mqtt_sp_payload *p = &d->pub;
	p->pb__ = d;
	if ((jv = json_object_get(d->doc, "timestamp")) && !json_is_null(jv)) {
		if (json_integer_value(jv) < 0)
			goto bad;
		p->has_timestamp = true;
		p->timestamp = (uint64_t)json_integer_value(jv);
	}
	if ((jv = json_object_get(d->doc, "seq")) && !json_is_null(jv)) {
		if (json_integer_value(jv) < 0)
			goto bad;
		p->has_seq = true;
		p->seq = (uint64_t)json_integer_value(jv);
	}
	p->uuid = pl_json_str(d->doc, "uuid");
	jv = json_object_get(d->doc, "metrics");
	p->n_metrics = json_array_size(jv);
	if (p->n_metrics) {
		p->metrics = pl_calloc(p->n_metrics, sizeof(*p->metrics));
		for (size_t i = 0; i < p->n_metrics; i++)
			if ((rc = json_metric(d, json_array_get(jv, i), (long)i,
					      &p->metrics[i], err)))
				goto out;
	}
	*out = p;
	d = NULL;
	goto out;
bad:
	set_err(err, -1, "timestamp and seq must not be negative");
	rc = PL_EINVAL;
out:
	if (d)
		decoded_free(d);
	return rc;
}
