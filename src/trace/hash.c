/*
 * hash.c - the CBV 2.0 event hash ID: a canonical pre-hash string for one
 * EPCIS event, and its SHA-256 as an RFC 6920 "ni:" URI. Two systems that
 * capture the same event (as JSON-LD or XML, with URNs or Digital Links,
 * in any time zone) compute the same ID, which is how a retried capture
 * deduplicates instead of duplicating.
 *
 * NOTES ON THE DESIGN (canonicalisation rules; numbers are referred to in
 * comments below as "rule N"):
 *
 *  1. What is dropped: eventID, recordTime, errorDeclaration (a declared
 *     error hashes like the original), @context, rdfs:comment and comment.
 *     JSON null, empty strings and empty lists emit nothing.
 *
 *  2. Field order: "eventType=<type>", then eventTime, eventTimeZoneOffset,
 *     certificationInfo, parentID, epcList, inputEPCList, childEPCs,
 *     quantityList, childQuantityList, inputQuantityList, outputEPCList,
 *     outputQuantityList, action, transformationID, bizStep, disposition,
 *     persistentDisposition (set, unset), readPoint (id), bizLocation (id),
 *     bizTransactionList, sourceList, destinationList, sensorElementList,
 *     ilmd, then user extensions. This follows the published vectors, not
 *     the reference README (which puts parentID after epcList and omits
 *     certificationInfo).
 *
 *  3. Shape: a leaf is "key=value"; a container name is written once, bare,
 *     then its contents: "epcListepc=..epc=..", "readPointid=..",
 *     "quantityListquantityElementepcClass=..quantity=..uom=..". Repeated
 *     items (each epc, quantityElement, sensorElement, sensorReport, pair,
 *     certificationInfo, set/unset value) are built as separate strings and
 *     sorted by byte value (strcmp) before joining, so list order never
 *     matters. Nothing separates the parts.
 *
 *  4. Times (eventTime and the sensor time/startTime/endTime) become UTC
 *     "YYYY-MM-DDTHH:MM:SS.mmmZ". Milliseconds are the first three fraction
 *     digits, rounded half up on the fourth (.1415 -> .142, .1414 -> .141,
 *     .9996 -> the next second), in integer arithmetic with the carry
 *     propagating through the date. The Python reference goes through
 *     float round() and so rounds some exact ties to even; the domain note
 *     fixes half-up, and the vectors agree. A time that does not parse is
 *     kept as written (validation rejects it before it gets here).
 *
 *  5. Numbers follow the reference implementation's Python float -> str,
 *     applied to every leaf that parses as a decimal number (JSON numbers
 *     and numeric strings alike, "007" -> "7"): integral values print as
 *     exact integers ("1.0" -> "1", "1e3" -> "1000"), others in Python's
 *     shortest round-trip repr ("12.10" -> "12.1", "0.00001" -> "1e-05").
 *     Not mirrored: Python also accepts "1_000", "inf" and "nan"; those are
 *     kept as written here.
 *
 *  6. Vocabulary: a bare CBV word in its field expands to its web URI
 *     (bizStep -> https://ref.gs1.org/cbv/BizStep-x, disposition Disp-,
 *     bizTransaction type BTT-, source/destination type SDT-, component
 *     Comp-; sensorReport type and exception -> https://gs1.org/voc/x);
 *     urn:epcglobal:cbv:{bizstep,disp,btt,sdt,er}:x anywhere become the
 *     same web URIs; value CURIEs gs1:x and cbv:x are expanded.
 *
 *  7. Identifiers: every value that is a GS1 key (EPC URN, class or
 *     pattern URN, or Digital Link on any host) becomes its canonical
 *     Digital Link (trace_id_canon_gs1 in id.c). Other URIs are kept.
 *
 *  8. Extensions (event level, in ilmd, and inside readPoint, bizLocation,
 *     sensorElement, sensorMetadata and sensorReport): a key "p:local" is
 *     written "{ns}local" with ns from the @context (the standard EPCIS
 *     context's prefixes as fallback); an object writes its name then its
 *     sorted children; a list repeats the name per item (then sorted); a
 *     leaf is "name=value" with rules 5-7. Inside standard elements the
 *     sorted extensions follow that element's standard fields.
 *
 *  9. eventID = "ni:///sha-256;" + lower-case hex SHA-256 of the UTF-8
 *     pre-hash + "?ver=CBV2.0" (OpenSSL's SHA-256, EVP_Digest).
 *
 * Limits: the pre-hash string is capped at TRACE_PREHASH_MAX (PL_ETOOBIG);
 * recursion into extensions is bounded by the JSON depth cap the parser
 * enforced (PL_JSON_DEPTH_MAX), checked again here.
 */
#include "trace_int.h"

#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>

/* A builder with a sticky error: the first failed append is remembered and
 * later appends do nothing, so call sites stay short and check once. */
struct hb {
	struct pl_buf buf;
	int err;
};

static void hb_init(struct hb *h)
{
	pl_buf_init(&h->buf, TRACE_PREHASH_MAX);
	h->err = 0;
}

static void hb_put(struct hb *h, const char *s, size_t n)
{
	if (!h->err)
		h->err = pl_buf_append(&h->buf, s, n);
}

static void hb_puts(struct hb *h, const char *s)
{
	hb_put(h, s, strlen(s));
}

/* A list of owned strings to be sorted and joined (rule 3). */
struct strlist {
	char **v;
	size_t n, cap;
};

static void sl_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Takes ownership of h's text (when non-empty) and of its error. */
static void sl_take(struct strlist *l, struct hb *h, int *err)
{
	if (h->err && !*err)
		*err = h->err;
	if (h->err || h->buf.len == 0) {
		pl_buf_release(&h->buf);
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = pl_realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = pl_buf_steal(&h->buf);
}

static int sl_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the list, appends it to h and releases it. */
static void sl_emit(struct strlist *l, struct hb *h)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), sl_cmp);
	for (size_t i = 0; i < l->n; i++)
		hb_puts(h, l->v[i]);
	sl_release(l);
}

struct hctx {
	const json_t *context; /* document @context, borrowed, may be NULL */
	int err;               /* first error seen */
};

static void hctx_err(struct hctx *c, int err)
{
	if (err && !c->err)
		c->err = err;
}

enum vk {
	VK_PLAIN, VK_TIME, VK_BIZSTEP, VK_DISP, VK_BTT, VK_SDT, VK_MEAS,
	VK_ALERT, VK_COMP,
};

static const struct trace__vocab *vk_vocab(enum vk k)
{
	switch (k) {
	case VK_BIZSTEP: return &trace__voc_bizstep;
	case VK_DISP: return &trace__voc_disp;
	case VK_BTT: return &trace__voc_btt;
	case VK_SDT: return &trace__voc_sdt;
	case VK_MEAS: return &trace__voc_meas;
	case VK_ALERT: return &trace__voc_alert;
	case VK_COMP: return &trace__voc_comp;
	case VK_PLAIN:
	case VK_TIME:
		break;
	}
	return NULL;
}

/* ------------------------------------------------------------ numbers */

/* The decimal grammar Python's float() accepts, less "inf", "nan" and
 * digit-group underscores (rule 5): [+-]? (d+ (. d*)? | . d+) ([eE][+-]?d+)? */
static bool num_is_decimal(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* Python's str(float) for a finite double after the reference's
 * "int(x) == x -> int" step (rule 5). out must hold 400 bytes: the exact
 * expansion of DBL_MAX has 309 digits. */
static void num_py(double d, char out[400])
{
	char tmp[40], digits[24];
	int exp10, nd = 0;
	const char *p;

	if (d == trunc(d)) {
		if (fabs(d) < 9e18)
			snprintf(out, 400, "%lld", (long long)d);
		else
			snprintf(out, 400, "%.0f", d); /* exact in glibc */
		if (strcmp(out, "-0") == 0)
			pl_strlcpy(out, "0", 400);
		return;
	}
	/* Shortest precision that round-trips, as Python's repr does. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	p = tmp;
	if (*p == '-')
		p++;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	exp10 = (int)strtol(p + 1, NULL, 10);

	struct pl_buf b;
	pl_buf_init(&b, 399);
	if (d < 0)
		pl_buf_puts(&b, "-");
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 < 0) {
			pl_buf_puts(&b, "0.");
			for (int i = -1; i > exp10; i--)
				pl_buf_puts(&b, "0");
			pl_buf_puts(&b, digits);
		} else {
			/* Non-integral, so there are digits after the point. */
			pl_buf_append(&b, digits, (size_t)exp10 + 1 <= (size_t)nd ?
				      (size_t)exp10 + 1 : (size_t)nd);
			for (int i = nd; i < exp10 + 1; i++)
				pl_buf_puts(&b, "0");
			pl_buf_puts(&b, ".");
			pl_buf_puts(&b, nd > exp10 + 1 ? digits + exp10 + 1 : "0");
		}
	} else {
		pl_buf_append(&b, digits, 1);
		if (nd > 1) {
			pl_buf_puts(&b, ".");
			pl_buf_puts(&b, digits + 1);
		}
		pl_buf_printf(&b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	}
	pl_strlcpy(out, b.data ? b.data : "", 400);
	pl_buf_release(&b);
}

/* ------------------------------------------------------------- values */

static const struct {
	const char *urn, *web;
} cbv__urns[] = {
	{ "urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-" },
	{ "urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-" },
	{ "urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-" },
	{ "urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-" },
	{ "urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-" },
};

/* Appends the canonical text of one string value (rules 4-7). */
static void canon_str(const char *raw, enum vk k, struct hb *out)
{
	const struct trace__vocab *voc = vk_vocab(k);
	const char *s = raw, *e;
	char small[256], *t;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n == 0)
		return;
	/* Most values are short identifiers: trim into the stack then. */
	if (n < sizeof(small)) {
		memcpy(small, s, n);
		small[n] = '\0';
		t = small;
	} else {
		t = pl_strndup(s, n);
	}

	if (k == VK_TIME) {
		int64_t secs;
		int f4;
		char iso[32];
		if (trace__time_parse(t, &secs, &f4)) {
			int ms = f4 / 10 + (f4 % 10 >= 5);
			if (ms == 1000) {
				ms = 0;
				secs++;
			}
			if (trace__time_format(secs, ms, iso)) {
				hb_puts(out, iso);
				goto out;
			}
		}
		hb_puts(out, t);
		goto out;
	}
	if (voc && trace__vocab_has(voc, t)) {
		hb_puts(out, voc->prefix);
		hb_puts(out, t);
		goto out;
	}
	for (size_t i = 0; i < sizeof(cbv__urns) / sizeof(cbv__urns[0]); i++) {
		size_t ul = strlen(cbv__urns[i].urn);
		if (strncmp(t, cbv__urns[i].urn, ul) == 0) {
			hb_puts(out, cbv__urns[i].web);
			hb_puts(out, t + ul);
			goto out;
		}
	}
	if (strncmp(t, "gs1:", 4) == 0 && t[4]) {
		hb_puts(out, "https://gs1.org/voc/");
		hb_puts(out, t + 4);
		goto out;
	}
	if (strncmp(t, "cbv:", 4) == 0 && t[4]) {
		hb_puts(out, "https://ref.gs1.org/cbv/");
		hb_puts(out, t + 4);
		goto out;
	}
	if (num_is_decimal(t)) {
		double d = strtod(t, NULL);
		if (isfinite(d)) {
			char num[400];
			num_py(d, num);
			hb_puts(out, num);
			goto out;
		}
	}
	if (n < TRACE_ID_MAX) {
		char id[TRACE_ID_MAX];
		if (trace_id_canon_gs1(t, id, sizeof(id)) == 0) {
			hb_puts(out, id);
			goto out;
		}
	}
	hb_puts(out, t);
out:
	if (t != small)
		free(t);
}

/* Appends the canonical text of a scalar JSON value; objects, arrays and
 * null append nothing. */
static void canon_value(const json_t *v, enum vk k, struct hb *out)
{
	char num[400];

	if (json_is_string(v)) {
		canon_str(json_string_value(v), k, out);
	} else if (json_is_integer(v)) {
		/* Python: int -> str -> float -> (int) -> str, rule 5. */
		num_py((double)json_integer_value(v), num);
		hb_puts(out, num);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		if (isfinite(d)) {
			num_py(d, num);
			hb_puts(out, num);
		}
	} else if (json_is_true(v)) {
		hb_puts(out, "true");
	} else if (json_is_false(v)) {
		hb_puts(out, "false");
	}
}

/* "name=value" into h when the value's canonical text is non-empty. */
static void put_leaf(struct hctx *c, struct hb *h, const char *name,
		     const json_t *v, enum vk k)
{
	size_t mark, before;

	if (!v || h->err)
		return;
	/* Written in place and rolled back when the value is empty: no
	 * temporary buffer per leaf on this, the hottest path. */
	mark = h->buf.len;
	hb_puts(h, name);
	hb_puts(h, "=");
	before = h->buf.len;
	canon_value(v, k, h);
	if (!h->err && h->buf.len == before) {
		h->buf.len = mark;
		if (h->buf.data)
			h->buf.data[mark] = '\0';
	}
	hctx_err(c, h->err);
}

/* A leaf that may be a list: each item "name=value", sorted (rule 3). */
static void put_leaf_list(struct hctx *c, struct hb *h, const char *name,
			  const json_t *v, enum vk k)
{
	struct strlist l = { 0 };
	size_t i;
	const json_t *e;

	if (!json_is_array(v)) {
		put_leaf(c, h, name, v, k);
		return;
	}
	json_array_foreach(v, i, e) {
		struct hb item;
		hb_init(&item);
		put_leaf(c, &item, name, e, k);
		sl_take(&l, &item, &c->err);
	}
	sl_emit(&l, h);
}

/* "listName" + sorted "epc=..." items. */
static void put_epc_list(struct hctx *c, struct hb *h, const char *list,
			 const json_t *v)
{
	struct hb items;

	if (!json_is_array(v))
		return;
	hb_init(&items);
	put_leaf_list(c, &items, "epc", v, VK_PLAIN);
	hctx_err(c, items.err);
	if (items.buf.len) {
		hb_puts(h, list);
		hb_put(h, items.buf.data, items.buf.len);
	}
	pl_buf_release(&items.buf);
}

/* Writes the sorted list of item strings under a bare container name, or
 * nothing when every item was empty. */
static void put_container(struct hb *h, const char *name, struct strlist *l)
{
	if (l->n == 0)
		return;
	hb_puts(h, name);
	sl_emit(l, h);
}

static void put_qty_list(struct hctx *c, struct hb *h, const char *list,
			 const json_t *v)
{
	struct strlist l = { 0 };
	size_t i;
	const json_t *e;

	if (!json_is_array(v))
		return;
	json_array_foreach(v, i, e) {
		struct hb item, body;
		if (!json_is_object(e))
			continue;
		hb_init(&body);
		put_leaf(c, &body, "epcClass", json_object_get(e, "epcClass"), VK_PLAIN);
		put_leaf(c, &body, "quantity", json_object_get(e, "quantity"), VK_PLAIN);
		put_leaf(c, &body, "uom", json_object_get(e, "uom"), VK_PLAIN);
		hb_init(&item);
		if (body.buf.len) {
			hb_puts(&item, "quantityElement");
			hb_put(&item, body.buf.data, body.buf.len);
		}
		hctx_err(c, body.err);
		pl_buf_release(&body.buf);
		sl_take(&l, &item, &c->err);
	}
	put_container(h, list, &l);
}

/* ---------------------------------------------------------- extensions */

static bool key_dropped(const char *k)
{
	return strcmp(k, "rdfs:comment") == 0 || strcmp(k, "comment") == 0 ||
	       strcmp(k, "#text") == 0;
}

/* Writes an extension key per rule 8. */
static void put_key(struct hctx *c, struct hb *h, const char *key)
{
	const char *local = NULL;
	const char *ns = trace__ns_lookup(c->context, key, &local);

	if (ns) {
		hb_puts(h, "{");
		hb_puts(h, ns);
		hb_puts(h, "}");
		hb_puts(h, local);
	} else {
		hb_puts(h, key);
	}
}

static void ext_collect(struct hctx *c, const char *key, const json_t *v,
			struct strlist *out, int depth);

/* name + sorted children of an object; the children of a nested list
 * (a list inside a list) are named "" as in the reference. */
static void ext_object(struct hctx *c, struct hb *item, const json_t *v,
		       int depth)
{
	struct strlist kids = { 0 };
	const char *k;
	const json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			if (!key_dropped(k))
				ext_collect(c, k, x, &kids, depth + 1);
	} else {
		json_array_foreach(v, i, x)
			ext_collect(c, "", x, &kids, depth + 1);
	}
	sl_emit(&kids, item);
}

static void ext_collect(struct hctx *c, const char *key, const json_t *v,
			struct strlist *out, int depth)
{
	struct hb item;
	size_t i;
	const json_t *e;

	if (depth > PL_JSON_DEPTH_MAX) {
		hctx_err(c, PL_ETOOBIG);
		return;
	}
	if (json_is_null(v))
		return;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (json_is_array(e)) {
				hb_init(&item);
				put_key(c, &item, key);
				ext_object(c, &item, e, depth);
				sl_take(out, &item, &c->err);
			} else {
				ext_collect(c, key, e, out, depth + 1);
			}
		}
		return;
	}
	hb_init(&item);
	put_key(c, &item, key);
	if (json_is_object(v)) {
		ext_object(c, &item, v, depth);
	} else {
		struct hb val;
		hb_init(&val);
		canon_value(v, VK_PLAIN, &val);
		hctx_err(c, val.err);
		if (val.buf.len) {
			hb_puts(&item, "=");
			hb_put(&item, val.buf.data, val.buf.len);
		}
		pl_buf_release(&val.buf);
	}
	sl_take(out, &item, &c->err);
}

/* Appends the sorted extensions of obj: every member not in `known`
 * (a NULL-terminated list) and not dropped. */
static void put_extensions(struct hctx *c, struct hb *h, const json_t *obj,
			   const char *const *known)
{
	struct strlist l = { 0 };
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		bool std = key_dropped(k);
		for (const char *const *q = known; !std && *q; q++)
			std = strcmp(*q, k) == 0;
		if (!std)
			ext_collect(c, k, v, &l, 1);
	}
	sl_emit(&l, h);
}

/* ------------------------------------------------------ standard parts */

/* readPoint / bizLocation: "name" + "id=..." + sorted extensions. */
static void put_location(struct hctx *c, struct hb *h, const char *name,
			 const json_t *v)
{
	static const char *const known[] = { "id", NULL };
	struct hb body;

	if (!json_is_object(v))
		return;
	hb_init(&body);
	put_leaf(c, &body, "id", json_object_get(v, "id"), VK_PLAIN);
	put_extensions(c, &body, v, known);
	hctx_err(c, body.err);
	if (body.buf.len) {
		hb_puts(h, name);
		hb_put(h, body.buf.data, body.buf.len);
	}
	pl_buf_release(&body.buf);
}

/* bizTransactionList / sourceList / destinationList: typed pairs. */
static void put_pairs(struct hctx *c, struct hb *h, const char *list,
		      const char *valkey, enum vk typek, const json_t *v)
{
	struct strlist l = { 0 };
	size_t i;
	const json_t *e;

	if (!json_is_array(v))
		return;
	json_array_foreach(v, i, e) {
		struct hb item;
		if (!json_is_object(e))
			continue;
		hb_init(&item);
		put_leaf(c, &item, "type", json_object_get(e, "type"), typek);
		put_leaf(c, &item, valkey, json_object_get(e, valkey), VK_PLAIN);
		sl_take(&l, &item, &c->err);
	}
	put_container(h, list, &l);
}

struct field {
	const char *name;
	enum vk k;
};

static const struct field meta_fields[] = {
	{ "time", VK_TIME }, { "startTime", VK_TIME }, { "endTime", VK_TIME },
	{ "deviceID", VK_PLAIN }, { "deviceMetadata", VK_PLAIN },
	{ "rawData", VK_PLAIN }, { "dataProcessingMethod", VK_PLAIN },
	{ "bizRules", VK_PLAIN }, { NULL, VK_PLAIN },
};
static const char *const meta_known[] = {
	"time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData",
	"dataProcessingMethod", "bizRules", NULL,
};
static const struct field report_fields[] = {
	{ "type", VK_MEAS }, { "exception", VK_ALERT }, { "deviceID", VK_PLAIN },
	{ "deviceMetadata", VK_PLAIN }, { "rawData", VK_PLAIN },
	{ "dataProcessingMethod", VK_PLAIN }, { "time", VK_TIME },
	{ "microorganism", VK_PLAIN }, { "chemicalSubstance", VK_PLAIN },
	{ "value", VK_PLAIN }, { "component", VK_COMP },
	{ "stringValue", VK_PLAIN }, { "booleanValue", VK_PLAIN },
	{ "hexBinaryValue", VK_PLAIN }, { "uriValue", VK_PLAIN },
	{ "minValue", VK_PLAIN }, { "maxValue", VK_PLAIN },
	{ "meanValue", VK_PLAIN }, { "sDev", VK_PLAIN }, { "percRank", VK_PLAIN },
	{ "percValue", VK_PLAIN }, { "uom", VK_PLAIN },
	{ "coordinateReferenceSystem", VK_PLAIN }, { NULL, VK_PLAIN },
};
static const char *const report_known[] = {
	"type", "exception", "deviceID", "deviceMetadata", "rawData",
	"dataProcessingMethod", "time", "microorganism", "chemicalSubstance",
	"value", "component", "stringValue", "booleanValue", "hexBinaryValue",
	"uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank",
	"percValue", "uom", "coordinateReferenceSystem", NULL,
};
static const char *const element_known[] = {
	"sensorMetadata", "sensorReport", NULL,
};

/* "name" + ordered fields + sorted extensions, or nothing when empty. */
static void put_struct(struct hctx *c, struct hb *h, const char *name,
		       const json_t *obj, const struct field *fields,
		       const char *const *known)
{
	struct hb body;

	if (!json_is_object(obj))
		return;
	hb_init(&body);
	for (const struct field *f = fields; f->name; f++)
		put_leaf(c, &body, f->name, json_object_get(obj, f->name), f->k);
	put_extensions(c, &body, obj, known);
	hctx_err(c, body.err);
	if (body.buf.len) {
		hb_puts(h, name);
		hb_put(h, body.buf.data, body.buf.len);
	}
	pl_buf_release(&body.buf);
}

static void put_sensors(struct hctx *c, struct hb *h, const json_t *v)
{
	struct strlist elems = { 0 };
	size_t i, j;
	const json_t *e, *r;

	if (!json_is_array(v))
		return;
	json_array_foreach(v, i, e) {
		struct hb body, item;
		struct strlist reports = { 0 };
		if (!json_is_object(e))
			continue;
		hb_init(&body);
		put_struct(c, &body, "sensorMetadata", json_object_get(e, "sensorMetadata"),
			   meta_fields, meta_known);
		json_array_foreach(json_object_get(e, "sensorReport"), j, r) {
			struct hb rep;
			hb_init(&rep);
			put_struct(c, &rep, "sensorReport", r, report_fields, report_known);
			sl_take(&reports, &rep, &c->err);
		}
		sl_emit(&reports, &body);
		put_extensions(c, &body, e, element_known);
		hctx_err(c, body.err);
		hb_init(&item);
		if (body.buf.len) {
			hb_puts(&item, "sensorElement");
			hb_put(&item, body.buf.data, body.buf.len);
		}
		pl_buf_release(&body.buf);
		sl_take(&elems, &item, &c->err);
	}
	put_container(h, "sensorElementList", &elems);
}

static void put_persistent(struct hctx *c, struct hb *h, const json_t *v)
{
	struct hb body;

	if (!json_is_object(v))
		return;
	hb_init(&body);
	put_leaf_list(c, &body, "set", json_object_get(v, "set"), VK_DISP);
	put_leaf_list(c, &body, "unset", json_object_get(v, "unset"), VK_DISP);
	hctx_err(c, body.err);
	if (body.buf.len) {
		hb_puts(h, "persistentDisposition");
		hb_put(h, body.buf.data, body.buf.len);
	}
	pl_buf_release(&body.buf);
}

static void put_ilmd(struct hctx *c, struct hb *h, const json_t *v)
{
	static const char *const none[] = { NULL };
	struct hb body;

	if (!json_is_object(v))
		return;
	hb_init(&body);
	put_extensions(c, &body, v, none);
	hctx_err(c, body.err);
	if (body.buf.len) {
		hb_puts(h, "ilmd");
		hb_put(h, body.buf.data, body.buf.len);
	}
	pl_buf_release(&body.buf);
}

/* Every event member that is not an extension (rules 1 and 2). */
static const char *const event_known[] = {
	"type", "eventTime", "eventTimeZoneOffset", "certificationInfo",
	"parentID", "epcList", "inputEPCList", "childEPCs", "quantityList",
	"childQuantityList", "inputQuantityList", "outputEPCList",
	"outputQuantityList", "action", "transformationID", "bizStep",
	"disposition", "persistentDisposition", "readPoint", "bizLocation",
	"bizTransactionList", "sourceList", "destinationList",
	"sensorElementList", "ilmd",
	/* dropped */
	"eventID", "recordTime", "errorDeclaration", "@context", NULL,
};

int trace_event_prehash(const json_t *ev, const json_t *context, char **out)
{
	struct hctx c = { context, 0 };
	struct hb h;
	const char *type = pl_json_str(ev, "type");

	*out = NULL;
	if (!json_is_object(ev) || !type)
		return PL_EINVAL;
	hb_init(&h);
	hb_puts(&h, "eventType=");
	hb_puts(&h, type);
	put_leaf(&c, &h, "eventTime", json_object_get(ev, "eventTime"), VK_TIME);
	put_leaf(&c, &h, "eventTimeZoneOffset",
		 json_object_get(ev, "eventTimeZoneOffset"), VK_PLAIN);
	put_leaf_list(&c, &h, "certificationInfo",
		      json_object_get(ev, "certificationInfo"), VK_PLAIN);
	put_leaf(&c, &h, "parentID", json_object_get(ev, "parentID"), VK_PLAIN);
	put_epc_list(&c, &h, "epcList", json_object_get(ev, "epcList"));
	put_epc_list(&c, &h, "inputEPCList", json_object_get(ev, "inputEPCList"));
	put_epc_list(&c, &h, "childEPCs", json_object_get(ev, "childEPCs"));
	put_qty_list(&c, &h, "quantityList", json_object_get(ev, "quantityList"));
	put_qty_list(&c, &h, "childQuantityList",
		     json_object_get(ev, "childQuantityList"));
	put_qty_list(&c, &h, "inputQuantityList",
		     json_object_get(ev, "inputQuantityList"));
	put_epc_list(&c, &h, "outputEPCList", json_object_get(ev, "outputEPCList"));
	put_qty_list(&c, &h, "outputQuantityList",
		     json_object_get(ev, "outputQuantityList"));
	put_leaf(&c, &h, "action", json_object_get(ev, "action"), VK_PLAIN);
	put_leaf(&c, &h, "transformationID",
		 json_object_get(ev, "transformationID"), VK_PLAIN);
	put_leaf(&c, &h, "bizStep", json_object_get(ev, "bizStep"), VK_BIZSTEP);
	put_leaf(&c, &h, "disposition", json_object_get(ev, "disposition"), VK_DISP);
	put_persistent(&c, &h, json_object_get(ev, "persistentDisposition"));
	put_location(&c, &h, "readPoint", json_object_get(ev, "readPoint"));
	put_location(&c, &h, "bizLocation", json_object_get(ev, "bizLocation"));
	put_pairs(&c, &h, "bizTransactionList", "bizTransaction", VK_BTT,
		  json_object_get(ev, "bizTransactionList"));
	put_pairs(&c, &h, "sourceList", "source", VK_SDT,
		  json_object_get(ev, "sourceList"));
	put_pairs(&c, &h, "destinationList", "destination", VK_SDT,
		  json_object_get(ev, "destinationList"));
	put_sensors(&c, &h, json_object_get(ev, "sensorElementList"));
	put_ilmd(&c, &h, json_object_get(ev, "ilmd"));
	put_extensions(&c, &h, ev, event_known);

	hctx_err(&c, h.err);
	if (c.err) {
		pl_buf_release(&h.buf);
		return c.err;
	}
	*out = pl_buf_steal(&h.buf);
	return 0;
}

int trace_event_hash(const json_t *event, const json_t *context,
		     char out[TRACE_HASH_STRLEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *pre = NULL;
	int rc;

	out[0] = '\0';
	rc = trace_event_prehash(event, context, &pre);
	if (rc)
		goto out;
	/* OpenSSL's SHA-256 uses the CPU's SHA instructions where there are
	 * some: 0.46 against libsodium's 1.1 us for a line event's pre-hash
	 * on the benchmark machine, a few percent of capture (issue 4) */
	if (!EVP_Digest(pre, strlen(pre), md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		rc = PL_EINTERNAL;
		goto out;
	}
	pl_hex(md, mdlen, hex);
	pl_fmt(out, TRACE_HASH_STRLEN, "ni:///sha-256;%s?ver=CBV2.0", hex);
out:
	free(pre);
	return rc;
}
