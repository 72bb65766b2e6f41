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
 *
 * NOTES ON THE FAST PATH
 * 1. Most traffic is NDATA/DDATA of scalar metrics by alias (alias,
 *    timestamp, maybe datatype, one scalar value), and the generic
 *    protobuf-c unpacker spent ~21 % of the ingest worker on them (a scan
 *    pass, a ScannedMember per field, a struct and a descriptor lookup per
 *    metric). fast_decode reads that subset of the wire format by hand into
 *    one allocation (payload, metrics, a string arena) and DECLINES
 *    everything else: unknown, extension or repeated fields, a second value
 *    field, datasets, templates, properties, metadata, body, groups, tags
 *    of more than 2 bytes, length prefixes of more than 3, unterminated
 *    varints, payloads over FAST_LEN_MAX. A declined payload goes through
 *    protobuf-c as before, so the fast path never has to be complete, only
 *    right for what it takes.
 * 2. Where it takes a payload it must give exactly protobuf-c's result:
 *    varints as protobuf-c 1.4 reads them (at most 10 bytes, bits past 64
 *    dropped, uint32 fields the low 32 bits, bool true when any payload
 *    bit is set), strings copied and NUL-terminated (so an embedded NUL
 *    cuts them as strlen() does there), empty bytes as NULL/0; then the
 *    same checks (metric_check) in the same order. tests/unit/mqtt/
 *    test_fastpb.c and fuzz/fuzz_sparkplug.c compare the two decoders
 *    field by field (mqtt__sp_decode_with) and accept only "identical" or
 *    "fast path declined".
 * 3. FAST_LEN_MAX keeps the memory verdict identical too: below 64 KiB
 *    protobuf-c cannot reach MQTT_SP_DECODE_MEM_MAX (at most 32 Ki metrics
 *    of ~200 bytes), so the fast path never accepts what the capped
 *    decoder would refuse; larger payloads take the capped path.
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
	PbPayload *msg;           /* lives in chunks; NULL for JSON and the fast path */
	json_t *doc;              /* JSON payloads: the document strings borrow */
	bool metrics_inline;      /* fast path: pub.metrics lives in this allocation */
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
	if (!d->metrics_inline)
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

static int metric_check(const struct mqtt_sp_metric *m, long idx, struct mqtt_sp_error *err);

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
	return metric_check(m, idx, err);
}

/* The decode-level rules of one metric (see mqtt_sp_decode), shared by
 * both decoders so that they give the same verdict (NOTES 2). */
static int metric_check(const struct mqtt_sp_metric *m, long idx, struct mqtt_sp_error *err)
{
	const struct mqtt_sp_raw *r = &m->raw;

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

/* The payload-level rule both decoders apply before the metrics'. */
static int uuid_check(const char *uuid, struct mqtt_sp_error *err)
{
	if (uuid && !mqtt__utf8_valid((const uint8_t *)uuid, strlen(uuid))) {
		set_err(err, -1, "payload uuid is not UTF-8");
		return PL_EINVAL;
	}
	return 0;
}

/* The general decoder: protobuf-c on the capped region allocator. */
static int pbc_decode(const void *buf, size_t len, struct mqtt_sp_payload **out,
		      struct mqtt_sp_error *err)
{
	struct decoded *d = NULL;
	int rc = 0;

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
	if ((rc = uuid_check(p->uuid, err)))
		goto out;
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

/* ------------------------------------------------ the fast path (NOTES 1-3) */

#define FAST_LEN_MAX (64u * 1024)
#define FAST_DECLINE PL_EUNSUPPORTED

/* The fast path's one allocation: the payload, then its metrics, then an
 * arena for the strings and bytes it copies (each copy of n bytes takes
 * n + 1 there and at least n + 2 on the wire, so len bytes suffice). */
struct fast_decoded {
	struct decoded d;                 /* first: mqtt_sp_payload_free */
	struct mqtt_sp_metric metrics[];
};

/* A varint as protobuf-c 1.4 reads it: at most 10 bytes, bits past 64
 * dropped. *any: a payload bit was set (protobuf-c's bool). false when
 * unterminated within 10 bytes or the input (the caller declines). */
static inline bool fp_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out, bool *any)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	unsigned bits = 0;

	if (p < end && !(*p & 0x80)) { /* the common one-byte case */
		*out = *p;
		*any = *p != 0;
		*pp = p + 1;
		return true;
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (end - p >= 8) { /* 2..8 bytes (a timestamp takes 6) without a loop */
		uint64_t w;
		memcpy(&w, p, 8);
		uint64_t stop = ~w & UINT64_C(0x8080808080808080);
		if (stop) {
			unsigned len = ((unsigned)__builtin_ctzll(stop) + 1) / 8; /* with the last byte */
			uint64_t x = len == 8 ? w : w & ((UINT64_C(1) << (8 * len)) - 1);
			v = (x & 0x7f) | (x >> 1 & UINT64_C(0x7f) << 7) | (x >> 2 & UINT64_C(0x7f) << 14) |
			    (x >> 3 & UINT64_C(0x7f) << 21) | (x >> 4 & UINT64_C(0x7f) << 28) |
			    (x >> 5 & UINT64_C(0x7f) << 35) | (x >> 6 & UINT64_C(0x7f) << 42) |
			    (x >> 7 & UINT64_C(0x7f) << 49);
			*out = v;
			*any = v != 0; /* at most 56 payload bits: none dropped */
			*pp = p + len;
			return true;
		}
	}
#endif
	for (unsigned i = 0; i < 10 && p < end; i++) {
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		bits |= b & 0x7fu;
		if (!(b & 0x80)) {
			*out = v;
			*any = bits != 0;
			*pp = p;
			return true;
		}
	}
	return false;
}

/* A field tag of one or two minimal bytes (fields 1..2047). */
static inline bool fp_tag(const uint8_t **pp, const uint8_t *end, uint32_t *field, unsigned *wt)
{
	const uint8_t *p = *pp;
	uint32_t t = p[0]; /* the caller checked p < end */

	if (t & 0x80) {
		if (end - p < 2 || p[1] == 0 || (p[1] & 0x80))
			return false;
		t = (t & 0x7f) | (uint32_t)p[1] << 7;
		p += 2;
	} else {
		p++;
	}
	*field = t >> 3;
	*wt = t & 7;
	*pp = p;
	return true;
}

/* A length prefix of at most 3 bytes and the n bytes it announces. */
static inline bool fp_len(const uint8_t **pp, const uint8_t *end, size_t *n)
{
	const uint8_t *p = *pp;
	uint64_t v;
	bool any;

	if (!fp_varint(&p, end, &v, &any) || p - *pp > 3 || v > (uint64_t)(end - p))
		return false;
	*n = (size_t)v;
	*pp = p;
	return true;
}

/* Copies n wire bytes into the arena as a C string (protobuf-c's string). */
static inline char *fp_str(char **arena, const uint8_t *p, size_t n)
{
	char *s = *arena;
	memcpy(s, p, n);
	s[n] = '\0';
	*arena += n + 1;
	return s;
}

/* Metric field numbers that carry the value oneof. */
#define FP_VALUE_FIELDS (0x3fu << 10 | 1u << 16 | 0x7u << 17)

/* One Metric submessage p[0..end) into *m, which the caller zeroed (one
 * memset for all of them: a memset per metric was a third of the fast
 * path): 0, or FAST_DECLINE. */
static int fp_metric(const uint8_t *p, const uint8_t *end, struct mqtt_sp_metric *m, char **arena)
{
	struct mqtt_sp_raw *r = &m->raw;
	uint32_t seen = 0;

	while (p < end) {
		uint32_t f;
		unsigned wt;
		uint64_t v;
		bool any;
		size_t n;

		if (!fp_tag(&p, end, &f, &wt) || f >= 32 || (seen & (1u << f)))
			return FAST_DECLINE; /* unknown or repeated: protobuf-c decides */
		seen |= 1u << f;
		switch (f) {
		case 2: case 3: case 4: case 5: case 6: case 7: case 10: case 11: case 14:
			if (wt != 0 || !fp_varint(&p, end, &v, &any))
				return FAST_DECLINE;
			switch (f) {
			case 2: m->has_alias = true; m->alias = v; break;
			case 3: m->has_timestamp = true; m->timestamp = v; break;
			case 4: m->has_datatype = true; m->datatype = (uint32_t)v; break;
			case 5: m->is_historical = any; break;
			case 6: m->is_transient = any; break;
			case 7: m->is_null = any; break;
			case 10: r->field = MQTT_SP_F_INT; r->u = (uint32_t)v; break;
			case 11: r->field = MQTT_SP_F_LONG; r->u = v; break;
			default: r->field = MQTT_SP_F_BOOL; r->b = any; break;
			}
			break;
		case 12: case 13: { /* float: fixed32, double: fixed64, little-endian */
			size_t w = f == 12 ? 4 : 8;
			if (wt != (f == 12 ? 5u : 1u) || (size_t)(end - p) < w)
				return FAST_DECLINE;
			r->field = f == 12 ? MQTT_SP_F_FLOAT : MQTT_SP_F_DOUBLE;
			memcpy(f == 12 ? (void *)&r->f : (void *)&r->d, p, w);
			p += w;
			break;
		}
		case 1: case 15: case 16:
			if (wt != 2 || !fp_len(&p, end, &n))
				return FAST_DECLINE;
			if (f == 1) {
				m->name = fp_str(arena, p, n);
			} else if (f == 15) {
				r->field = MQTT_SP_F_STRING;
				r->p = (const uint8_t *)fp_str(arena, p, n);
				r->n = strlen((const char *)r->p);
			} else {
				r->field = MQTT_SP_F_BYTES;
				r->n = n;
				if (n) { /* protobuf-c leaves empty bytes NULL */
					r->p = (const uint8_t *)*arena;
					memcpy(*arena, p, n);
					*arena += n;
				}
			}
			p += n;
			break;
		default: /* metadata, properties, dataset, template, extension, unknown */
			return FAST_DECLINE;
		}
	}
	uint32_t vf = seen & FP_VALUE_FIELDS;
	if (vf & (vf - 1)) /* two value fields: protobuf-c keeps the last */
		return FAST_DECLINE;
	return 0;
}

/* The Payload fields the fast path takes, checking the top-level framing;
 * with pay NULL it only counts the metrics into *nm. 0 or FAST_DECLINE. */
static int fp_payload(const uint8_t *p, const uint8_t *end, struct mqtt_sp_payload *pay,
		      size_t *nm, char **arena)
{
	uint32_t seen = 0;
	size_t k = 0;

	while (p < end) {
		uint32_t f;
		unsigned wt;
		uint64_t v;
		bool any;
		size_t n;

		if (!fp_tag(&p, end, &f, &wt))
			return FAST_DECLINE;
		if (f == 1 || f == 3) { /* timestamp, seq */
			if (wt != 0 || (seen & (1u << f)) || !fp_varint(&p, end, &v, &any))
				return FAST_DECLINE;
			seen |= 1u << f;
			if (pay && f == 1) {
				pay->has_timestamp = true;
				pay->timestamp = v;
			} else if (pay) {
				pay->has_seq = true;
				pay->seq = v;
			}
		} else if (f == 2 || f == 4) { /* metrics, uuid */
			if (wt != 2 || (f == 4 && (seen & (1u << f))) || !fp_len(&p, end, &n))
				return FAST_DECLINE;
			seen |= 1u << f;
			if (f == 2 && pay && fp_metric(p, p + n, &pay->metrics[k], arena))
				return FAST_DECLINE;
			if (f == 2)
				k++;
			else if (pay)
				pay->uuid = fp_str(arena, p, n);
			p += n;
		} else { /* body, extensions, unknown: protobuf-c decides */
			return FAST_DECLINE;
		}
	}
	*nm = k;
	return 0;
}

/* The fast path: 0 with *out set, a decode error exactly as pbc_decode
 * would give it, or FAST_DECLINE (nothing allocated, err untouched). */
static int fast_decode(const void *buf, size_t len, struct mqtt_sp_payload **out,
		       struct mqtt_sp_error *err)
{
	const uint8_t *p = buf, *end = p + len;
	size_t n = 0;
	int rc;

	if (len > FAST_LEN_MAX || fp_payload(p, end, NULL, &n, NULL))
		return FAST_DECLINE;
	struct fast_decoded *fd = pl_malloc(sizeof(*fd) + n * sizeof(fd->metrics[0]) + len + 1);
	struct decoded *d = &fd->d;
	memset(d, 0, sizeof(*d));
	d->metrics_inline = true;
	struct mqtt_sp_payload *pay = &d->pub;
	pay->pb__ = d;
	pay->metrics = n ? fd->metrics : NULL;
	memset(fd->metrics, 0, n * sizeof(fd->metrics[0])); /* fp_metric fills them */
	char *arena = (char *)&fd->metrics[n];
	if (fp_payload(p, end, pay, &pay->n_metrics, &arena)) {
		decoded_free(d);
		return FAST_DECLINE;
	}
	/* the same checks as pbc_decode, in the same order (NOTES 2) */
	if ((rc = uuid_check(pay->uuid, err)))
		goto fail;
	for (size_t i = 0; i < pay->n_metrics; i++)
		if ((rc = metric_check(&pay->metrics[i], (long)i, err)))
			goto fail;
	*out = pay;
	return 0;
fail:
	decoded_free(d);
	return rc;
}

int mqtt__sp_decode_with(enum mqtt__decoder which, const void *buf, size_t len,
			 struct mqtt_sp_payload **out, struct mqtt_sp_error *err)
{
	int rc;

	*out = NULL;
	if ((rc = payload__start(len, err)))
		return rc;
	if (which != MQTT__DEC_PBC) {
		rc = fast_decode(buf, len, out, err);
		if (rc != FAST_DECLINE || which == MQTT__DEC_FAST)
			return rc;
	}
	return pbc_decode(buf, len, out, err);
}

int mqtt_sp_decode(const void *buf, size_t len, struct mqtt_sp_payload **out,
		   struct mqtt_sp_error *err)
{
	return mqtt__sp_decode_with(MQTT__DEC_AUTO, buf, len, out, err);
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

/* ------------------------------------------- decoder comparison (NOTES 2) */

static bool same_str(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0);
}

static const char *metric_diff(const struct mqtt_sp_metric *x, const struct mqtt_sp_metric *y)
{
	const struct mqtt_sp_raw *a = &x->raw, *b = &y->raw;

	if (!same_str(x->name, y->name))
		return "name";
	if (x->has_alias != y->has_alias || x->alias != y->alias)
		return "alias";
	if (x->has_timestamp != y->has_timestamp || x->timestamp != y->timestamp)
		return "timestamp";
	if (x->has_datatype != y->has_datatype || x->datatype != y->datatype)
		return "datatype";
	if (x->is_historical != y->is_historical || x->is_transient != y->is_transient ||
	    x->is_null != y->is_null)
		return "flags";
	if (x->tmpl_is_definition != y->tmpl_is_definition || !same_str(x->tmpl_ref, y->tmpl_ref))
		return "template";
	if (a->field != b->field || a->u != b->u || a->b != b->b)
		return "value field, integer or bool";
	/* bit patterns, so NaNs compare */
	if (memcmp(&a->f, &b->f, sizeof(a->f)) || memcmp(&a->d, &b->d, sizeof(a->d)))
		return "float or double";
	if (a->n != b->n || (a->p == NULL) != (b->p == NULL) || (a->n && memcmp(a->p, b->p, a->n)))
		return "string or bytes";
	return NULL;
}

bool mqtt__sp_payload_same(const struct mqtt_sp_payload *a, const struct mqtt_sp_payload *b,
			   char *why, size_t whysz)
{
	const char *d = NULL;

	if (a->has_timestamp != b->has_timestamp || a->timestamp != b->timestamp)
		d = "payload timestamp";
	else if (a->has_seq != b->has_seq || a->seq != b->seq)
		d = "seq";
	else if (!same_str(a->uuid, b->uuid))
		d = "uuid";
	else if (a->n_metrics != b->n_metrics)
		d = "metric count";
	if (d) {
		snprintf(why, whysz, "%s differs", d);
		return false;
	}
	for (size_t i = 0; i < a->n_metrics; i++)
		if ((d = metric_diff(&a->metrics[i], &b->metrics[i]))) {
			snprintf(why, whysz, "metric %zu: %s differs", i, d);
			return false;
		}
	return true;
}
