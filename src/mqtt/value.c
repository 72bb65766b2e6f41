/*
 * value.c - Sparkplug B datatypes: which Metric field each type travels in,
 * the signed-integer trap (negative Int8/16/32 arrive either sign-extended
 * to 32 bits, as Tahu Java sends them, or as value + 2^N, as Tahu Python
 * does; both must read back as the same negative number), and the packed
 * *Array encodings in bytes_value. Golden bytes in the tests are computed
 * from the rules in shared/docs/domain/sparkplug.md section 6, never copied
 * from the spec's (partly wrong) examples.
 */
#include "mqtt/mqtt_int.h"

#include <string.h>

static const char *const dt_names[] = {
	"Unknown", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
	"UInt32", "UInt64", "Float", "Double", "Boolean", "String", "DateTime",
	"Text", "UUID", "DataSet", "Bytes", "File", "Template", "PropertySet",
	"PropertySetList", "Int8Array", "Int16Array", "Int32Array",
	"Int64Array", "UInt8Array", "UInt16Array", "UInt32Array",
	"UInt64Array", "FloatArray", "DoubleArray", "BooleanArray",
	"StringArray", "DateTimeArray",
};

const char *mqtt_sp_dt_name(uint32_t dt)
{
	return dt <= MQTT_SP_DT_MAX ? dt_names[dt] : "?";
}

/* The Metric field a datatype travels in; F_NONE for Unknown and the
 * PropertySet types, which are not Metric datatypes. */
static enum mqtt_sp_field dt_field(uint32_t dt)
{
	switch (dt) {
	case MQTT_SP_DT_INT8: case MQTT_SP_DT_INT16: case MQTT_SP_DT_INT32:
	case MQTT_SP_DT_UINT8: case MQTT_SP_DT_UINT16: case MQTT_SP_DT_UINT32:
		return MQTT_SP_F_INT;
	case MQTT_SP_DT_INT64: case MQTT_SP_DT_UINT64: case MQTT_SP_DT_DATETIME:
		return MQTT_SP_F_LONG;
	case MQTT_SP_DT_FLOAT:
		return MQTT_SP_F_FLOAT;
	case MQTT_SP_DT_DOUBLE:
		return MQTT_SP_F_DOUBLE;
	case MQTT_SP_DT_BOOLEAN:
		return MQTT_SP_F_BOOL;
	case MQTT_SP_DT_STRING: case MQTT_SP_DT_TEXT: case MQTT_SP_DT_UUID:
		return MQTT_SP_F_STRING;
	case MQTT_SP_DT_DATASET:
		return MQTT_SP_F_DATASET;
	case MQTT_SP_DT_TEMPLATE:
		return MQTT_SP_F_TEMPLATE;
	case MQTT_SP_DT_BYTES: case MQTT_SP_DT_FILE:
		return MQTT_SP_F_BYTES;
	default:
		if (dt >= MQTT_SP_DT_INT8_ARRAY && dt <= MQTT_SP_DT_DATETIME_ARRAY)
			return MQTT_SP_F_BYTES;
		return MQTT_SP_F_NONE;
	}
}

/* Bit width of the integer types, 0 for the others. */
static unsigned int_bits(uint32_t dt)
{
	switch (dt) {
	case MQTT_SP_DT_INT8: case MQTT_SP_DT_UINT8: return 8;
	case MQTT_SP_DT_INT16: case MQTT_SP_DT_UINT16: return 16;
	case MQTT_SP_DT_INT32: case MQTT_SP_DT_UINT32: return 32;
	case MQTT_SP_DT_INT64: case MQTT_SP_DT_UINT64: case MQTT_SP_DT_DATETIME: return 64;
	default: return 0;
	}
}

static bool dt_signed(uint32_t dt)
{
	return dt == MQTT_SP_DT_INT8 || dt == MQTT_SP_DT_INT16 ||
	       dt == MQTT_SP_DT_INT32 || dt == MQTT_SP_DT_INT64 ||
	       dt == MQTT_SP_DT_DATETIME;
}

/* Low `bits` bits of u, sign-extended. Done on unsigned values so no
 * shift is ever undefined. */
static int64_t sign_extend(uint64_t u, unsigned bits)
{
	if (bits >= 64)
		return (int64_t)u;
	uint64_t m = (uint64_t)1 << (bits - 1);
	u &= ((uint64_t)1 << bits) - 1;
	return (int64_t)((u ^ m) - m);
}

int mqtt_sp_value_from_raw(uint32_t dt, const struct mqtt_sp_raw *raw,
			   struct mqtt_sp_value *out)
{
	struct mqtt_sp_value v = { .kind = MQTT_SP_V_NULL };
	enum mqtt_sp_field want = dt_field(dt);

	if (want == MQTT_SP_F_NONE)
		return PL_EINVAL;
	if (raw->field == MQTT_SP_F_NONE) {
		*out = v; /* no value: null */
		return 0;
	}
	if (raw->field == MQTT_SP_F_EXTENSION) {
		v.kind = MQTT_SP_V_OTHER; /* vendor extension: opaque */
		*out = v;
		return 0;
	}
	if (raw->field != want)
		return PL_EINVAL;
	unsigned bits = int_bits(dt);
	switch (want) {
	case MQTT_SP_F_INT:
	case MQTT_SP_F_LONG:
		if (dt_signed(dt)) {
			/* The trap: accept Java's 32-bit sign extension and
			 * Python's +2^N alike by reading the low N bits. Any
			 * higher bits that are neither all-zero nor a
			 * sign-extension are garbage. */
			int64_t i = sign_extend(raw->u, bits);
			if (bits < 32) {
				uint32_t u32 = (uint32_t)raw->u;
				uint32_t hi = u32 >> bits;
				uint32_t ext = (uint32_t)i >> bits;
				if (hi != 0 && hi != ext)
					return PL_EINVAL;
			}
			v.kind = MQTT_SP_V_INT;
			v.i = i;
		} else {
			if (bits < 64 && (raw->u >> bits) != 0)
				return PL_EINVAL;
			v.kind = MQTT_SP_V_UINT;
			v.u = raw->u;
		}
		break;
	case MQTT_SP_F_FLOAT:
		v.kind = MQTT_SP_V_REAL;
		v.d = raw->f;
		break;
	case MQTT_SP_F_DOUBLE:
		v.kind = MQTT_SP_V_REAL;
		v.d = raw->d;
		break;
	case MQTT_SP_F_BOOL:
		v.kind = MQTT_SP_V_BOOL;
		v.b = raw->b;
		break;
	case MQTT_SP_F_STRING:
		if (!raw->p || !mqtt__utf8_valid(raw->p, raw->n) ||
		    memchr(raw->p, '\0', raw->n))
			return PL_EINVAL;
		v.kind = MQTT_SP_V_STRING;
		v.s = (const char *)raw->p;
		v.n = raw->n;
		break;
	case MQTT_SP_F_BYTES:
		v.kind = MQTT_SP_V_BYTES;
		v.s = (const char *)raw->p;
		v.n = raw->n;
		break;
	default: /* DataSet, Template */
		v.kind = MQTT_SP_V_OTHER;
		break;
	}
	*out = v;
	return 0;
}

/* Integer value of v as int64 or uint64, checked to fit dt's width. */
static int int_to_raw(uint32_t dt, const struct mqtt_sp_value *v, uint64_t *out)
{
	unsigned bits = int_bits(dt);
	if (dt_signed(dt)) {
		int64_t i;
		if (v->kind == MQTT_SP_V_INT)
			i = v->i;
		else if (v->kind == MQTT_SP_V_UINT && v->u <= INT64_MAX)
			i = (int64_t)v->u;
		else
			return PL_EINVAL;
		if (bits < 64) {
			int64_t lo = -((int64_t)1 << (bits - 1));
			int64_t hi = ((int64_t)1 << (bits - 1)) - 1;
			if (i < lo || i > hi)
				return PL_EINVAL;
			*out = (uint64_t)i & (((uint64_t)1 << bits) - 1);
		} else {
			*out = (uint64_t)i;
		}
		return 0;
	}
	uint64_t u;
	if (v->kind == MQTT_SP_V_UINT)
		u = v->u;
	else if (v->kind == MQTT_SP_V_INT && v->i >= 0)
		u = (uint64_t)v->i;
	else
		return PL_EINVAL;
	if (bits < 64 && (u >> bits) != 0)
		return PL_EINVAL;
	*out = u;
	return 0;
}

int mqtt_sp_value_to_raw(uint32_t dt, const struct mqtt_sp_value *v,
			 struct mqtt_sp_raw *out)
{
	struct mqtt_sp_raw r = { .field = dt_field(dt) };
	int rc = 0;

	if (r.field == MQTT_SP_F_NONE)
		return PL_EINVAL;
	if (v->kind == MQTT_SP_V_NULL) {
		*out = (struct mqtt_sp_raw){ .field = MQTT_SP_F_NONE };
		return 0;
	}
	switch (r.field) {
	case MQTT_SP_F_INT:
	case MQTT_SP_F_LONG:
		rc = int_to_raw(dt, v, &r.u);
		break;
	case MQTT_SP_F_FLOAT:
		if (v->kind != MQTT_SP_V_REAL)
			return PL_EINVAL;
		r.f = (float)v->d;
		break;
	case MQTT_SP_F_DOUBLE:
		if (v->kind != MQTT_SP_V_REAL)
			return PL_EINVAL;
		r.d = v->d;
		break;
	case MQTT_SP_F_BOOL:
		if (v->kind != MQTT_SP_V_BOOL)
			return PL_EINVAL;
		r.b = v->b;
		break;
	case MQTT_SP_F_STRING:
		if (v->kind != MQTT_SP_V_STRING || !v->s ||
		    !mqtt__utf8_valid((const uint8_t *)v->s, v->n) ||
		    memchr(v->s, '\0', v->n) || v->s[v->n] != '\0')
			return PL_EINVAL;
		r.p = (const uint8_t *)v->s;
		r.n = v->n;
		break;
	case MQTT_SP_F_BYTES:
		if (v->kind != MQTT_SP_V_BYTES || (!v->s && v->n))
			return PL_EINVAL;
		r.p = (const uint8_t *)v->s;
		r.n = v->n;
		break;
	default:
		return PL_EINVAL; /* DataSet/Template: not encoded from a value */
	}
	if (rc == 0)
		*out = r;
	return rc;
}

int mqtt_sp_value_to_double(const struct mqtt_sp_value *v, double *out)
{
	switch (v->kind) {
	case MQTT_SP_V_INT: *out = (double)v->i; return 0;
	case MQTT_SP_V_UINT: *out = (double)v->u; return 0;
	case MQTT_SP_V_REAL: *out = v->d; return 0;
	case MQTT_SP_V_BOOL: *out = v->b ? 1.0 : 0.0; return 0;
	default: return PL_EINVAL;
	}
}

/* ------------------------------------------------------------------ arrays */

/* Element datatype and byte width of a fixed-width array type (0 width for
 * Boolean/String arrays). */
static bool array_elem(uint32_t dt, uint32_t *elem, size_t *width)
{
	static const struct { uint32_t elem; size_t width; } tab[] = {
		[MQTT_SP_DT_INT8_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_INT8, 1 },
		[MQTT_SP_DT_INT16_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_INT16, 2 },
		[MQTT_SP_DT_INT32_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_INT32, 4 },
		[MQTT_SP_DT_INT64_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_INT64, 8 },
		[MQTT_SP_DT_UINT8_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_UINT8, 1 },
		[MQTT_SP_DT_UINT16_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_UINT16, 2 },
		[MQTT_SP_DT_UINT32_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_UINT32, 4 },
		[MQTT_SP_DT_UINT64_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_UINT64, 8 },
		[MQTT_SP_DT_FLOAT_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_FLOAT, 4 },
		[MQTT_SP_DT_DOUBLE_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_DOUBLE, 8 },
		[MQTT_SP_DT_BOOLEAN_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_BOOLEAN, 0 },
		[MQTT_SP_DT_STRING_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_STRING, 0 },
		[MQTT_SP_DT_DATETIME_ARRAY - MQTT_SP_DT_INT8_ARRAY] = { MQTT_SP_DT_DATETIME, 8 },
	};
	if (dt < MQTT_SP_DT_INT8_ARRAY || dt > MQTT_SP_DT_DATETIME_ARRAY)
		return false;
	*elem = tab[dt - MQTT_SP_DT_INT8_ARRAY].elem;
	*width = tab[dt - MQTT_SP_DT_INT8_ARRAY].width;
	return true;
}

static uint64_t get_le(const uint8_t *p, size_t w)
{
	uint64_t u = 0;
	for (size_t k = 0; k < w; k++)
		u |= (uint64_t)p[k] << (8 * k);
	return u;
}

/* Walks the array once; when vals is non-NULL also decodes into it. */
static int array_walk(uint32_t dt, const uint8_t *p, size_t n,
		      struct mqtt_sp_value *vals, size_t max, size_t *count)
{
	uint32_t elem;
	size_t width, cnt = 0;

	if (!array_elem(dt, &elem, &width) || (!p && n))
		return PL_EINVAL;
	if (dt == MQTT_SP_DT_BOOLEAN_ARRAY) {
		if (n < 4)
			return PL_EINVAL;
		uint64_t c = get_le(p, 4);
		if (c > MQTT_SP_ARRAY_MAX)
			return PL_ETOOBIG;
		if (n != 4 + (c + 7) / 8)
			return PL_EINVAL;
		cnt = (size_t)c;
		if (vals && cnt > max)
			return PL_ETOOBIG;
		for (size_t i = 0; vals && i < cnt; i++) {
			vals[i] = (struct mqtt_sp_value){ .kind = MQTT_SP_V_BOOL };
			vals[i].b = (p[4 + i / 8] >> (7 - i % 8)) & 1;
		}
	} else if (dt == MQTT_SP_DT_STRING_ARRAY) {
		if (n && p[n - 1] != '\0')
			return PL_EINVAL;
		if (!mqtt__utf8_valid(p, n))
			return PL_EINVAL;
		size_t i = 0;
		while (i < n) {
			const uint8_t *z = memchr(p + i, '\0', n - i);
			size_t sl = (size_t)(z - (p + i));
			if (cnt == MQTT_SP_ARRAY_MAX)
				return PL_ETOOBIG;
			if (vals) {
				if (cnt >= max)
					return PL_ETOOBIG;
				vals[cnt] = (struct mqtt_sp_value){
					.kind = MQTT_SP_V_STRING,
					.s = (const char *)p + i, .n = sl };
			}
			cnt++;
			i += sl + 1;
		}
	} else {
		if (n % width)
			return PL_EINVAL;
		if (n / width > MQTT_SP_ARRAY_MAX)
			return PL_ETOOBIG;
		cnt = n / width;
		if (vals && cnt > max)
			return PL_ETOOBIG;
		for (size_t i = 0; vals && i < cnt; i++) {
			uint64_t u = get_le(p + i * width, width);
			struct mqtt_sp_value v = { .kind = MQTT_SP_V_NULL };
			if (elem == MQTT_SP_DT_FLOAT) {
				uint32_t u32 = (uint32_t)u;
				float f;
				memcpy(&f, &u32, sizeof(f));
				v.kind = MQTT_SP_V_REAL;
				v.d = f;
			} else if (elem == MQTT_SP_DT_DOUBLE) {
				double d;
				memcpy(&d, &u, sizeof(d));
				v.kind = MQTT_SP_V_REAL;
				v.d = d;
			} else if (dt_signed(elem)) {
				v.kind = MQTT_SP_V_INT;
				v.i = sign_extend(u, (unsigned)(width * 8));
			} else {
				v.kind = MQTT_SP_V_UINT;
				v.u = u;
			}
			vals[i] = v;
		}
	}
	*count = cnt;
	return 0;
}

int mqtt_sp_array_count(uint32_t dt, const uint8_t *p, size_t n, size_t *count)
{
	return array_walk(dt, p, n, NULL, 0, count);
}

int mqtt_sp_array_decode(uint32_t dt, const uint8_t *p, size_t n,
			 struct mqtt_sp_value *vals, size_t max, size_t *count)
{
	return array_walk(dt, p, n, vals, max, count);
}

static int put_le(struct pl_buf *out, uint64_t u, size_t w)
{
	uint8_t b[8];
	for (size_t k = 0; k < w; k++)
		b[k] = (uint8_t)(u >> (8 * k));
	return pl_buf_append(out, b, w);
}

int mqtt_sp_array_encode(uint32_t dt, const struct mqtt_sp_value *vals,
			 size_t count, struct pl_buf *out)
{
	uint32_t elem;
	size_t width;
	int rc = 0;

	if (!array_elem(dt, &elem, &width) || count > MQTT_SP_ARRAY_MAX)
		return PL_EINVAL;
	if (dt == MQTT_SP_DT_BOOLEAN_ARRAY) {
		if ((rc = put_le(out, count, 4)))
			return rc;
		for (size_t i = 0; i < count; i += 8) {
			uint8_t byte = 0;
			for (size_t k = 0; k < 8 && i + k < count; k++) {
				if (vals[i + k].kind != MQTT_SP_V_BOOL)
					return PL_EINVAL;
				if (vals[i + k].b)
					byte |= (uint8_t)(0x80 >> k);
			}
			if ((rc = pl_buf_append(out, &byte, 1)))
				return rc;
		}
		return 0;
	}
	for (size_t i = 0; i < count; i++) {
		const struct mqtt_sp_value *v = &vals[i];
		if (dt == MQTT_SP_DT_STRING_ARRAY) {
			if (v->kind != MQTT_SP_V_STRING || (!v->s && v->n) ||
			    (v->n && memchr(v->s, '\0', v->n)) ||
			    !mqtt__utf8_valid((const uint8_t *)v->s, v->n))
				return PL_EINVAL;
			if ((rc = pl_buf_append(out, v->s, v->n)) ||
			    (rc = pl_buf_append(out, "", 1)))
				return rc;
			continue;
		}
		uint64_t u;
		if (elem == MQTT_SP_DT_FLOAT) {
			if (v->kind != MQTT_SP_V_REAL)
				return PL_EINVAL;
			float f = (float)v->d;
			uint32_t u32;
			memcpy(&u32, &f, sizeof(u32));
			u = u32;
		} else if (elem == MQTT_SP_DT_DOUBLE) {
			if (v->kind != MQTT_SP_V_REAL)
				return PL_EINVAL;
			memcpy(&u, &v->d, sizeof(u));
		} else if ((rc = int_to_raw(elem, v, &u))) {
			return rc;
		}
		if ((rc = put_le(out, u, width)))
			return rc;
	}
	return 0;
}
