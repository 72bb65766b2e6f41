/*
 * validate.c - EPCIS 2.0 document validation: the rules of the EPCIS 2.0
 * JSON schema (shared/data/epcis/schema/EPCIS-JSON-Schema.json) written
 * out in C, plus what the schema cannot say. A document is all or nothing:
 * every error is collected (up to TRACE_ERRORS_MAX) with the path of the
 * offending member, e.g.
 *     epcisBody.eventList[3].action: must be ADD, OBSERVE or DELETE
 * so a capture client can fix every problem in one round trip.
 *
 * Why hand-written rather than a generic JSON Schema engine: no draft-07
 * validator is packaged for Debian 12 in C, most validators skip
 * "format: uri" (which the CBV vocabulary rules depend on: a bare word that
 * is not a CBV term is only rejected because it is not a URI), and the
 * schema's anyOf/if-then messages would not name the field the way a
 * person fixing a document needs.
 *
 * Beyond the schema:
 *   - GS1 keys (EPC URNs, Digital Links) in URI fields must be well formed
 *     with correct check digits (trace_id_parse);
 *   - extension keys that are CURIEs need their prefix declared in the
 *     document's @context (or be a prefix of the standard EPCIS context);
 *   - ilmd only on ObjectEvent ADD (the schema says so with anyOf; we say
 *     it plainly) and TransformationEvent;
 *   - eventIDs are unique within a document.
 * Work limits: the body is capped before parsing (TRACE_DOC_MAX_BYTES), the
 * parser caps nesting (TRACE_DOC_DEPTH_MAX) and the event count is capped
 * (TRACE_DOC_MAX_EVENTS) before any event is looked at.
 */
#include "trace_int.h"

#include <ctype.h>

void trace_errors_init(struct trace_errors *e)
{
	e->msg = NULL;
	e->n = e->cap = e->dropped = 0;
}

void trace_errors_release(struct trace_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	trace_errors_init(e);
}

struct vctx {
	struct trace_errors *errs;
	const json_t *context; /* document @context, borrowed */
	json_t *seen_ids;      /* eventIDs seen so far (a set), owned */
	size_t nerr;           /* errors found, kept or not */
};

static void verr(struct vctx *v, const char *path, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records "path.field: message" (or "path: message" without a field). */
static void verr(struct vctx *v, const char *path, const char *field,
		 const char *fmt, ...)
{
	struct trace_errors *e = v->errs;
	struct pl_buf b;
	va_list ap;

	v->nerr++;
	if (e->n >= TRACE_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	pl_buf_init(&b, 1024);
	if (*path && field)
		pl_buf_printf(&b, "%s.%s: ", path, field);
	else
		pl_buf_printf(&b, "%s: ", *path ? path : field ? field : "document");
	va_start(ap, fmt);
	if (pl_buf_vprintf(&b, fmt, ap) == PL_ETOOBIG)
		pl_buf_puts(&b, "...");
	va_end(ap);
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->msg = pl_realloc(e->msg, e->cap * sizeof(*e->msg));
	}
	e->msg[e->n++] = pl_buf_steal(&b);
}

/* Path building runs for every list item and structured field of every
 * event, so it is plain copying rather than snprintf (which cost more than
 * the checks themselves). A path that does not fit ends in "...": paths
 * are for people, and 256 bytes is far deeper than EPCIS goes. */
static void path__put(char *out, size_t n, size_t at, const char *s, size_t len)
{
	if (at >= n)
		return;
	if (len >= n - at) {
		memcpy(out + at, s, n - at - 1);
		out[n - 1] = '\0';
		if (n >= 4)
			memcpy(out + n - 4, "...", 3);
		return;
	}
	memcpy(out + at, s, len);
	out[at + len] = '\0';
}

/* path + "." + field into out. */
static void subpath(char *out, size_t n, const char *path, const char *field)
{
	size_t pl = strlen(path);

	path__put(out, n, 0, path, pl);
	if (pl && pl + 1 < n) {
		path__put(out, n, pl, ".", 1);
		pl++;
	}
	path__put(out, n, pl, field, strlen(field));
}

/* path + "[i]" into out. */
static void subidx(char *out, size_t n, const char *path, size_t i)
{
	char num[24];
	size_t pl = strlen(path), k = sizeof(num);

	num[--k] = ']';
	do {
		num[--k] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	num[--k] = '[';
	path__put(out, n, 0, path, pl);
	path__put(out, n, pl, num + k, sizeof(num) - k);
}

#define PATH_MAX_LEN 256

/* ------------------------------------------------------------- scalars */

static bool v_string(struct vctx *v, const char *path, const char *f,
		     const json_t *x)
{
	if (json_is_string(x))
		return true;
	verr(v, path, f, "must be a string");
	return false;
}

/* A URI; GS1 keys must also be well formed with correct check digits. */
static bool v_uri(struct vctx *v, const char *path, const char *f,
		  const json_t *x)
{
	struct trace_id id;
	const char *why = "";
	const char *s;
	int rc;

	if (!v_string(v, path, f, x))
		return false;
	s = json_string_value(x);
	if (!trace__is_uri(s)) {
		verr(v, path, f, "must be a URI, got '%.80s'", s);
		return false;
	}
	rc = trace_id_parse(s, &id, &why);
	if (rc == PL_EINVAL || rc == PL_ETOOBIG) {
		verr(v, path, f, "invalid identifier '%.80s': %s", s, why);
		return false;
	}
	return true;
}

static bool v_time(struct vctx *v, const char *path, const char *f,
		   const json_t *x)
{
	int64_t secs;
	int frac;

	if (!v_string(v, path, f, x))
		return false;
	if (!trace__time_parse(json_string_value(x), &secs, &frac)) {
		verr(v, path, f, "must be an RFC 3339 date-time with a time zone, "
		     "e.g. 2024-05-01T08:30:00.000+08:00, got '%.60s'",
		     json_string_value(x));
		return false;
	}
	return true;
}

static bool v_tzoffset(struct vctx *v, const char *path, const char *f,
		       const json_t *x)
{
	const char *s;

	if (!v_string(v, path, f, x))
		return false;
	s = json_string_value(x);
	/* ^[+-]((0\d|1[0-3]):[0-5]\d|14:00)$ */
	if (strlen(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    s[4] >= '0' && s[4] <= '5' && isdigit((unsigned char)s[5]) &&
	    ((s[1] == '0') || (s[1] == '1' && s[2] <= '3') ||
	     strcmp(s + 1, "14:00") == 0))
		return true;
	verr(v, path, f, "must be a UTC offset from -14:00 to +14:00 like +08:00, got '%.20s'", s);
	return false;
}

/* A CBV field: one of the bare words, or any URI that is not an old
 * urn:epcglobal:cbv / ns.gs1.org form (vocab-other-uri). */
static void v_vocab(struct vctx *v, const char *path, const char *f,
		    const json_t *x, const struct trace__vocab *voc)
{
	const char *s;

	if (!v_string(v, path, f, x))
		return;
	s = json_string_value(x);
	if (trace__vocab_has(voc, s))
		return;
	if (!trace__is_uri(s)) {
		verr(v, path, f, "'%.60s' is not a CBV %s; use a CBV word (e.g. %s) or a full URI",
		     s, voc->field, voc->words[0]);
		return;
	}
	if (voc == &trace__voc_meas || voc == &trace__voc_alert) {
		if (!strncmp(s, "https://gs1.org/voc/", 20) || !strncmp(s, "http://gs1.org/voc/", 19) ||
		    !strncmp(s, "https://www.gs1.org/voc/", 24) || !strncmp(s, "http://www.gs1.org/voc/", 23))
			verr(v, path, f, "GS1 vocabulary terms must be written as bare words, not '%.80s'", s);
		return;
	}
	if (!strncmp(s, "urn:epcglobal:cbv", 17) || !strncmp(s, "https://ns.gs1.org/cbv/", 23) ||
	    !strncmp(s, "http://ns.gs1.org/cbv/", 22))
		verr(v, path, f, "'%.80s': CBV terms must be bare words in JSON-LD", s);
}

/* Extension member names: a URI, and a CURIE's prefix must be declared. */
static void v_extkey(struct vctx *v, const char *path, const char *key)
{
	const char *local;
	const char *colon = strchr(key, ':');

	if (!colon || !trace__is_uri(key)) {
		verr(v, path, key, "unknown field (extensions need a namespace prefix, "
		     "e.g. example:%.40s, declared in @context)", key);
		return;
	}
	/* Absolute URIs (http://..., urn:...) need no declaration. */
	if (colon[1] == '/' || strncmp(key, "urn:", 4) == 0)
		return;
	if (!trace__ns_lookup(v->context, key, &local))
		verr(v, path, key, "namespace prefix '%.*s' is not declared in @context",
		     (int)(colon - key), key);
}

static bool in_list(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(*list, k) == 0)
			return true;
	return false;
}

/* Checks every member of obj that is not in `known` is an extension. */
static void v_extensions(struct vctx *v, const char *path, const json_t *obj,
			 const char *const *known)
{
	const char *k;
	json_t *x;

	json_object_foreach((json_t *)obj, k, x)
		if (!in_list(k, known))
			v_extkey(v, path, k);
}

static bool v_object(struct vctx *v, const char *path, const char *f,
		     const json_t *x)
{
	if (json_is_object(x))
		return true;
	verr(v, path, f, "must be an object");
	return false;
}

static bool v_array(struct vctx *v, const char *path, const char *f,
		    const json_t *x, size_t min)
{
	if (!json_is_array(x)) {
		verr(v, path, f, "must be an array");
		return false;
	}
	if (json_array_size(x) < min) {
		verr(v, path, f, "must have at least %zu item%s", min, min == 1 ? "" : "s");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------- structures */

/* The first earlier item equal to string item i of x, or SIZE_MAX. Lists
 * up to DUP_SCAN_MAX items are scanned pairwise; longer ones (a filling
 * TransformationEvent lists every vial of a batch: 550 in the benchmark's
 * documents, 150,000 comparisons pairwise) go through an open-addressing
 * table of first indexes keyed by the string (tab: cap slots, 0 = empty,
 * else index + 1). Only strings are compared: an item that is not a valid
 * URI never gets here, and json_equal of a string and a non-string is
 * false, so both ways find the same item. */
#define DUP_SCAN_MAX 16

static size_t dup_find(const json_t *x, size_t i, size_t *tab, size_t cap)
{
	const json_t *e = json_array_get(x, i);
	const char *s = json_string_value(e);
	size_t len = json_string_length(e);
	uint64_t h = 1469598103934665603ULL;

	if (!tab) {
		for (size_t j = 0; j < i; j++)
			if (json_equal(json_array_get(x, j), e))
				return j;
		return SIZE_MAX;
	}
	for (size_t k = 0; k < len; k++)
		h = (h ^ (unsigned char)s[k]) * 1099511628211ULL;
	for (size_t slot = (size_t)h & (cap - 1);; slot = (slot + 1) & (cap - 1)) {
		if (!tab[slot]) {
			tab[slot] = i + 1;
			return SIZE_MAX;
		}
		const json_t *o = json_array_get(x, tab[slot] - 1);
		if (json_string_length(o) == len && !memcmp(json_string_value(o), s, len))
			return tab[slot] - 1;
	}
}

static void v_epc_list(struct vctx *v, const char *path, const char *f,
		       const json_t *x)
{
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
	size_t i, j, cap = 0, *tab = NULL;
	json_t *e;

	if (!v_array(v, path, f, x, 0))
		return;
	if (json_array_size(x) > DUP_SCAN_MAX) {
		for (cap = 64; cap < 2 * json_array_size(x); cap *= 2)
			;
		tab = pl_calloc(cap, sizeof(*tab));
	}
	subpath(p, sizeof(p), path, f);
	json_array_foreach(x, i, e) {
		subidx(q, sizeof(q), p, i);
		if (!v_uri(v, q, NULL, e))
			continue;
		if ((j = dup_find(x, i, tab, cap)) != SIZE_MAX)
			verr(v, q, NULL, "duplicate of item %zu", j);
	}
	free(tab);
}

static void v_quantity_list(struct vctx *v, const char *path, const char *f,
			    const json_t *x)
{
	static const char *const known[] = { "epcClass", "quantity", "uom", NULL };
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
	size_t i;
	json_t *e, *m;
	const char *k;

	if (!v_array(v, path, f, x, 0))
		return;
	subpath(p, sizeof(p), path, f);
	json_array_foreach(x, i, e) {
		subidx(q, sizeof(q), p, i);
		if (!v_object(v, q, NULL, e))
			continue;
		json_object_foreach(e, k, m)
			if (!in_list(k, known))
				verr(v, q, k, "not allowed in a quantity element (epcClass, quantity, uom only)");
		if (!json_object_get(e, "epcClass"))
			verr(v, q, "epcClass", "is required");
		else
			v_uri(v, q, "epcClass", json_object_get(e, "epcClass"));
		m = json_object_get(e, "quantity");
		if (m && !json_is_number(m))
			verr(v, q, "quantity", "must be a number");
		m = json_object_get(e, "uom");
		if (m) {
			const char *u = json_string_value(m);
			size_t n = u ? strlen(u) : 0;
			bool ok = u && (n == 2 || n == 3);
			for (size_t c = 0; ok && c < n; c++)
				ok = isupper((unsigned char)u[c]) || isdigit((unsigned char)u[c]);
			if (!ok)
				verr(v, q, "uom", "must be a UN/ECE Rec 20 unit code of 2 or 3 upper-case letters or digits, like KGM");
		}
	}
}

static void v_location(struct vctx *v, const char *path, const char *f,
		       const json_t *x)
{
	static const char *const known[] = { "id", NULL };
	char p[PATH_MAX_LEN];

	if (!v_object(v, path, f, x))
		return;
	subpath(p, sizeof(p), path, f);
	if (!json_object_get(x, "id"))
		verr(v, p, "id", "is required");
	else
		v_uri(v, p, "id", json_object_get(x, "id"));
	v_extensions(v, p, x, known);
}

static void v_pairs(struct vctx *v, const char *path, const char *f,
		    const json_t *x, const char *valkey, bool type_required,
		    const struct trace__vocab *voc, size_t min)
{
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
	size_t i;
	json_t *e, *m;
	const char *k;

	if (!v_array(v, path, f, x, min))
		return;
	subpath(p, sizeof(p), path, f);
	json_array_foreach(x, i, e) {
		subidx(q, sizeof(q), p, i);
		if (!v_object(v, q, NULL, e))
			continue;
		json_object_foreach(e, k, m)
			if (strcmp(k, "type") != 0 && strcmp(k, valkey) != 0)
				verr(v, q, k, "not allowed here (type and %s only)", valkey);
		m = json_object_get(e, "type");
		if (m)
			v_vocab(v, q, "type", m, voc);
		else if (type_required)
			verr(v, q, "type", "is required");
		m = json_object_get(e, valkey);
		if (!m)
			verr(v, q, valkey, "is required");
		else
			v_uri(v, q, valkey, m);
	}
}

static void v_persistent(struct vctx *v, const char *path, const char *f,
			 const json_t *x)
{
	static const char *const parts[] = { "set", "unset" };
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN], r[PATH_MAX_LEN];
	const char *k;
	json_t *m;

	if (!v_object(v, path, f, x))
		return;
	subpath(p, sizeof(p), path, f);
	json_object_foreach((json_t *)x, k, m)
		if (strcmp(k, "set") != 0 && strcmp(k, "unset") != 0)
			verr(v, p, k, "not allowed here (set and unset only)");
	if (!json_object_get(x, "set") && !json_object_get(x, "unset"))
		verr(v, p, NULL, "needs set or unset");
	for (size_t s = 0; s < 2; s++) {
		size_t i, j;
		json_t *e;
		m = json_object_get(x, parts[s]);
		if (!m || !v_array(v, p, parts[s], m, 1))
			continue;
		subpath(q, sizeof(q), p, parts[s]);
		json_array_foreach(m, i, e) {
			subidx(r, sizeof(r), q, i);
			v_vocab(v, r, NULL, e, &trace__voc_disp);
			for (j = 0; j < i; j++)
				if (json_equal(json_array_get(m, j), e)) {
					verr(v, r, NULL, "duplicate of item %zu", j);
					break;
				}
		}
	}
}

static void v_number_field(struct vctx *v, const char *path, const char *f,
			   const json_t *x)
{
	if (!json_is_number(x))
		verr(v, path, f, "must be a number");
}

static void v_sensor_report(struct vctx *v, const char *path, const json_t *r)
{
	static const char *const uris[] = {
		"deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
		"bizRules", "microorganism", "chemicalSubstance",
		"coordinateReferenceSystem", "uriValue", NULL,
	};
	static const char *const nums[] = {
		"value", "minValue", "maxValue", "meanValue", "sDev", "percRank",
		"percValue", NULL,
	};
	static const char *const known[] = {
		"type", "exception", "deviceID", "deviceMetadata", "rawData",
		"dataProcessingMethod", "bizRules", "time", "microorganism",
		"chemicalSubstance", "coordinateReferenceSystem", "value",
		"component", "stringValue", "booleanValue", "hexBinaryValue",
		"uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank",
		"percValue", "uom", NULL,
	};
	const json_t *m;

	if (!v_object(v, path, NULL, r))
		return;
	if (!json_object_get(r, "type"))
		verr(v, path, "type", "is required (a measurement type such as Temperature)");
	else
		v_vocab(v, path, "type", json_object_get(r, "type"), &trace__voc_meas);
	if ((m = json_object_get(r, "exception")))
		v_vocab(v, path, "exception", m, &trace__voc_alert);
	if ((m = json_object_get(r, "component")))
		v_vocab(v, path, "component", m, &trace__voc_comp);
	for (const char *const *u = uris; *u; u++)
		if ((m = json_object_get(r, *u)))
			v_uri(v, path, *u, m);
	for (const char *const *n = nums; *n; n++)
		if ((m = json_object_get(r, *n)))
			v_number_field(v, path, *n, m);
	if ((m = json_object_get(r, "time")))
		v_time(v, path, "time", m);
	if ((m = json_object_get(r, "stringValue")))
		v_string(v, path, "stringValue", m);
	if ((m = json_object_get(r, "uom")))
		v_string(v, path, "uom", m);
	if ((m = json_object_get(r, "booleanValue")) && !json_is_boolean(m))
		verr(v, path, "booleanValue", "must be true or false");
	if ((m = json_object_get(r, "hexBinaryValue"))) {
		const char *h = json_string_value(m);
		bool ok = h && *h;
		for (; ok && *h; h++)
			ok = isxdigit((unsigned char)*h);
		if (!ok)
			verr(v, path, "hexBinaryValue", "must be a non-empty hexadecimal string");
	}
	v_extensions(v, path, r, known);
}

static void v_sensors(struct vctx *v, const char *path, const char *f,
		      const json_t *x)
{
	static const char *const el_known[] = { "sensorMetadata", "sensorReport", NULL };
	static const char *const md_known[] = {
		"time", "deviceID", "deviceMetadata", "rawData", "startTime",
		"endTime", "dataProcessingMethod", "bizRules", NULL,
	};
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN], r[PATH_MAX_LEN], s[PATH_MAX_LEN];
	size_t i, j;
	json_t *e, *md, *rep, *m;

	if (!v_array(v, path, f, x, 0))
		return;
	subpath(p, sizeof(p), path, f);
	json_array_foreach(x, i, e) {
		subidx(q, sizeof(q), p, i);
		if (!v_object(v, q, NULL, e))
			continue;
		if ((md = json_object_get(e, "sensorMetadata")) &&
		    v_object(v, q, "sensorMetadata", md)) {
			subpath(r, sizeof(r), q, "sensorMetadata");
			for (size_t t = 0; md_known[t]; t++) {
				if (!(m = json_object_get(md, md_known[t])))
					continue;
				if (strstr(md_known[t], "ime"))
					v_time(v, r, md_known[t], m);
				else
					v_uri(v, r, md_known[t], m);
			}
			v_extensions(v, r, md, md_known);
		}
		rep = json_object_get(e, "sensorReport");
		if (!rep) {
			verr(v, q, "sensorReport", "is required (at least one report)");
		} else if (v_array(v, q, "sensorReport", rep, 1)) {
			subpath(r, sizeof(r), q, "sensorReport");
			json_array_foreach(rep, j, m) {
				subidx(s, sizeof(s), r, j);
				v_sensor_report(v, s, m);
			}
		}
		v_extensions(v, q, e, el_known);
	}
}

static void v_error_declaration(struct vctx *v, const char *path, const char *f,
				const json_t *x)
{
	static const char *const known[] = {
		"declarationTime", "reason", "correctiveEventIDs", NULL,
	};
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
	const json_t *m;
	size_t i;
	json_t *e;

	if (!v_object(v, path, f, x))
		return;
	subpath(p, sizeof(p), path, f);
	if (!(m = json_object_get(x, "declarationTime")))
		verr(v, p, "declarationTime", "is required");
	else
		v_time(v, p, "declarationTime", m);
	if ((m = json_object_get(x, "reason")))
		v_vocab(v, p, "reason", m, &trace__voc_er);
	if ((m = json_object_get(x, "correctiveEventIDs")) &&
	    v_array(v, p, "correctiveEventIDs", m, 0)) {
		subpath(q, sizeof(q), p, "correctiveEventIDs");
		json_array_foreach(m, i, e) {
			char r[PATH_MAX_LEN];
			subidx(r, sizeof(r), q, i);
			v_uri(v, r, NULL, e);
		}
	}
	v_extensions(v, p, x, known);
}

static void v_ilmd(struct vctx *v, const char *path, const char *f,
		   const json_t *x)
{
	static const char *const none[] = { NULL };
	char p[PATH_MAX_LEN];

	if (!v_object(v, path, f, x))
		return;
	subpath(p, sizeof(p), path, f);
	v_extensions(v, p, x, none);
}

/* --------------------------------------------------------------- events */

enum evt { EV_OBJECT, EV_AGGREGATION, EV_TRANSACTION, EV_TRANSFORMATION,
	   EV_ASSOCIATION, EV_EXTENDED };

static const char *const ev_names[] = {
	"ObjectEvent", "AggregationEvent", "TransactionEvent",
	"TransformationEvent", "AssociationEvent",
};

static const char *const common_keys[] = {
	"@context", "type", "eventTime", "recordTime", "eventTimeZoneOffset",
	"eventID", "certificationInfo", "errorDeclaration", NULL,
};

/* Per type, the members the schema allows besides the common ones. */
static const char *const ev_keys[5][16] = {
	{ "action", "epcList", "quantityList", "bizStep", "disposition",
	  "persistentDisposition", "readPoint", "bizLocation", "bizTransactionList",
	  "sourceList", "destinationList", "sensorElementList", "ilmd", NULL },
	{ "parentID", "childEPCs", "childQuantityList", "action", "bizStep",
	  "disposition", "readPoint", "bizLocation", "bizTransactionList",
	  "sourceList", "destinationList", "sensorElementList", NULL },
	{ "bizTransactionList", "parentID", "epcList", "quantityList", "action",
	  "bizStep", "disposition", "readPoint", "bizLocation", "sourceList",
	  "destinationList", "sensorElementList", NULL },
	{ "inputEPCList", "inputQuantityList", "outputEPCList",
	  "outputQuantityList", "transformationID", "bizStep", "disposition",
	  "persistentDisposition", "readPoint", "bizLocation", "bizTransactionList",
	  "sourceList", "destinationList", "sensorElementList", "ilmd", NULL },
	{ "parentID", "childEPCs", "childQuantityList", "action", "bizStep",
	  "disposition", "readPoint", "bizLocation", "bizTransactionList",
	  "sourceList", "destinationList", "sensorElementList", NULL },
};

/* Every standard member name of any event type: one of these in the
 * wrong event type is "not allowed", not an unknown extension. */
static const char *const all_std_keys[] = {
	"action", "epcList", "quantityList", "bizStep", "disposition",
	"persistentDisposition", "readPoint", "bizLocation", "bizTransactionList",
	"sourceList", "destinationList", "sensorElementList", "ilmd", "parentID",
	"childEPCs", "childQuantityList", "inputEPCList", "inputQuantityList",
	"outputEPCList", "outputQuantityList", "transformationID", NULL,
};

static size_t arr_len(const json_t *ev, const char *k)
{
	const json_t *a = json_object_get(ev, k);
	return json_is_array(a) ? json_array_size(a) : 0;
}

/* Validates one member of a standard event by its name. */
static void v_member(struct vctx *v, const char *path, const char *k,
		     const json_t *m)
{
	if (!strcmp(k, "eventTime") || !strcmp(k, "recordTime"))
		v_time(v, path, k, m);
	else if (!strcmp(k, "eventTimeZoneOffset"))
		v_tzoffset(v, path, k, m);
	else if (!strcmp(k, "eventID") || !strcmp(k, "parentID") ||
		 !strcmp(k, "transformationID"))
		v_uri(v, path, k, m);
	else if (!strcmp(k, "certificationInfo")) {
		if (json_is_array(m)) {
			char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
			size_t i;
			json_t *e;
			subpath(p, sizeof(p), path, k);
			json_array_foreach(m, i, e) {
				subidx(q, sizeof(q), p, i);
				v_uri(v, q, NULL, e);
			}
		} else {
			v_uri(v, path, k, m);
		}
	} else if (!strcmp(k, "errorDeclaration"))
		v_error_declaration(v, path, k, m);
	else if (!strcmp(k, "action")) {
		const char *a = json_string_value(m);
		if (!a || (strcmp(a, "ADD") && strcmp(a, "OBSERVE") && strcmp(a, "DELETE")))
			verr(v, path, k, "must be ADD, OBSERVE or DELETE");
	} else if (!strcmp(k, "epcList") || !strcmp(k, "childEPCs") ||
		   !strcmp(k, "inputEPCList") || !strcmp(k, "outputEPCList"))
		v_epc_list(v, path, k, m);
	else if (strstr(k, "uantityList"))
		v_quantity_list(v, path, k, m);
	else if (!strcmp(k, "bizStep"))
		v_vocab(v, path, k, m, &trace__voc_bizstep);
	else if (!strcmp(k, "disposition"))
		v_vocab(v, path, k, m, &trace__voc_disp);
	else if (!strcmp(k, "persistentDisposition"))
		v_persistent(v, path, k, m);
	else if (!strcmp(k, "readPoint") || !strcmp(k, "bizLocation"))
		v_location(v, path, k, m);
	else if (!strcmp(k, "bizTransactionList"))
		v_pairs(v, path, k, m, "bizTransaction", false, &trace__voc_btt, 0);
	else if (!strcmp(k, "sourceList"))
		v_pairs(v, path, k, m, "source", true, &trace__voc_sdt, 0);
	else if (!strcmp(k, "destinationList"))
		v_pairs(v, path, k, m, "destination", true, &trace__voc_sdt, 0);
	else if (!strcmp(k, "sensorElementList"))
		v_sensors(v, path, k, m);
	else if (!strcmp(k, "ilmd"))
		v_ilmd(v, path, k, m);
	/* "@context" and "type" are checked by the caller. */
}

static void v_event(struct vctx *v, const char *path, const json_t *ev)
{
	const char *type, *k, *action;
	enum evt t = EV_EXTENDED;
	const json_t *m;

	if (!v_object(v, path, NULL, ev))
		return;
	m = json_object_get(ev, "type");
	if (!m) {
		verr(v, path, "type", "is required (ObjectEvent, AggregationEvent, "
		     "TransactionEvent, TransformationEvent or AssociationEvent)");
		return;
	}
	if (!v_string(v, path, "type", m))
		return;
	type = json_string_value(m);
	for (int i = 0; i < 5; i++)
		if (strcmp(type, ev_names[i]) == 0)
			t = (enum evt)i;
	if (t == EV_EXTENDED && !trace__is_uri(type)) {
		verr(v, path, "type", "'%.60s' is not an EPCIS event type "
		     "(ObjectEvent, AggregationEvent, TransactionEvent, "
		     "TransformationEvent, AssociationEvent or an extension URI)", type);
		return;
	}
	if (!json_object_get(ev, "eventTime"))
		verr(v, path, "eventTime", "is required");
	if (!json_object_get(ev, "eventTimeZoneOffset"))
		verr(v, path, "eventTimeZoneOffset", "is required");

	json_object_foreach((json_t *)ev, k, m) {
		if (in_list(k, common_keys) || (t != EV_EXTENDED && in_list(k, ev_keys[t])))
			v_member(v, path, k, m);
		else if (t != EV_EXTENDED && in_list(k, all_std_keys))
			verr(v, path, k, "not allowed in %s", type);
		else
			v_extkey(v, path, k);
	}

	/* Duplicate eventIDs within one document. */
	m = json_object_get(ev, "eventID");
	if (json_is_string(m)) {
		if (json_object_get(v->seen_ids, json_string_value(m)))
			verr(v, path, "eventID", "'%.80s' appears more than once in the document",
			     json_string_value(m));
		else
			json_object_set_new(v->seen_ids, json_string_value(m), json_true());
	}

	if (t == EV_EXTENDED)
		return;
	action = pl_json_str(ev, "action");
	if (t != EV_TRANSFORMATION && !json_object_get(ev, "action"))
		verr(v, path, "action", "is required (ADD, OBSERVE or DELETE)");
	switch (t) {
	case EV_OBJECT:
		if (!json_object_get(ev, "epcList") && arr_len(ev, "quantityList") == 0 &&
		    !(arr_len(ev, "sensorElementList") > 0 && json_object_get(ev, "readPoint")))
			verr(v, path, "epcList", "an ObjectEvent needs epcList, a non-empty "
			     "quantityList, or sensorElementList with readPoint");
		if (json_object_get(ev, "ilmd") && action && strcmp(action, "ADD") != 0)
			verr(v, path, "ilmd", "only allowed when action is ADD");
		break;
	case EV_AGGREGATION:
	case EV_ASSOCIATION:
		if (t == EV_ASSOCIATION && !json_object_get(ev, "parentID"))
			verr(v, path, "parentID", "is required in an AssociationEvent");
		if (arr_len(ev, "childEPCs") == 0 && arr_len(ev, "childQuantityList") == 0 &&
		    !(action && strcmp(action, "DELETE") == 0))
			verr(v, path, "childEPCs", "needs at least one child EPC or "
			     "childQuantityList item (only DELETE may omit both)");
		break;
	case EV_TRANSACTION:
		if (!json_object_get(ev, "bizTransactionList"))
			verr(v, path, "bizTransactionList", "is required in a TransactionEvent");
		else if (arr_len(ev, "bizTransactionList") == 0)
			verr(v, path, "bizTransactionList", "must have at least 1 item");
		if (!json_object_get(ev, "epcList") && arr_len(ev, "quantityList") == 0 &&
		    !(action && strcmp(action, "DELETE") == 0))
			verr(v, path, "epcList", "a TransactionEvent needs epcList or a "
			     "non-empty quantityList (only DELETE may omit both)");
		break;
	case EV_TRANSFORMATION: {
		bool in = arr_len(ev, "inputEPCList") || arr_len(ev, "inputQuantityList");
		bool outp = arr_len(ev, "outputEPCList") || arr_len(ev, "outputQuantityList");
		if (!(in && outp) && !((in || outp) && json_object_get(ev, "transformationID")))
			verr(v, path, "inputEPCList", "a TransformationEvent needs inputs and "
			     "outputs, or either one with a transformationID");
		break;
	}
	case EV_EXTENDED:
		break;
	}
}

/* ------------------------------------------------------------- document */

const json_t *trace_doc_events(const json_t *doc)
{
	const json_t *body = json_object_get(doc, "epcisBody");
	const char *type = pl_json_str(doc, "type");
	const json_t *l;

	if (type && strcmp(type, "EPCISQueryDocument") == 0)
		body = json_object_get(json_object_get(body, "queryResults"), "resultsBody");
	l = json_object_get(body, "eventList");
	return json_is_array(l) ? l : NULL;
}

static void v_context(struct vctx *v, const json_t *c)
{
	size_t i;
	json_t *e;

	if (!c) {
		verr(v, "", "@context", "is required");
		return;
	}
	if (json_is_string(c) || json_is_object(c)) {
		if (json_is_string(c))
			v_uri(v, "", "@context", c);
		return;
	}
	if (!json_is_array(c)) {
		verr(v, "", "@context", "must be a URI, an object or an array of them");
		return;
	}
	json_array_foreach(c, i, e) {
		char p[PATH_MAX_LEN];
		subidx(p, sizeof(p), "@context", i);
		if (json_is_string(e))
			v_uri(v, p, NULL, e);
		else if (!json_is_object(e))
			verr(v, p, NULL, "must be a URI or an object");
	}
}

static void v_version(struct vctx *v, const char *f, const json_t *x)
{
	const char *s = json_string_value(x);
	bool ok = s && isdigit((unsigned char)*s);

	for (const char *p = s; ok && *p; p++)
		ok = isdigit((unsigned char)*p) ||
		     (*p == '.' && isdigit((unsigned char)p[1]));
	if (!ok)
		verr(v, "", f, "must be a version like 2.0");
}

static int v_document(struct vctx *v, const json_t *doc)
{
	static const char *const doc_known[] = {
		"@context", "id", "type", "schemaVersion", "creationDate",
		"instanceIdentifier", "sender", "receiver", "epcisHeader",
		"epcisBody", NULL,
	};
	static const char *const qdoc_known[] = {
		"@context", "id", "type", "schemaVersion", "creationDate",
		"epcisBody", NULL,
	};
	const char *type;
	const json_t *m, *body, *events;
	const char *path = "epcisBody.eventList";
	bool query;
	size_t i;
	json_t *e;

	if (!json_is_object(doc)) {
		verr(v, "", "document", "must be a JSON object");
		return PL_EINVAL;
	}
	type = pl_json_str(doc, "type");
	if (!type || (strcmp(type, "EPCISDocument") && strcmp(type, "EPCISQueryDocument"))) {
		verr(v, "", "type", "must be EPCISDocument or EPCISQueryDocument");
		return PL_EINVAL;
	}
	query = strcmp(type, "EPCISQueryDocument") == 0;
	v->context = json_object_get(doc, "@context");
	v_context(v, v->context);
	v_extensions(v, "", doc, query ? qdoc_known : doc_known);
	if ((m = json_object_get(doc, "schemaVersion")))
		v_version(v, "schemaVersion", m);
	else if (!query)
		verr(v, "", "schemaVersion", "is required");
	if ((m = json_object_get(doc, "creationDate")))
		v_time(v, "", "creationDate", m);
	else if (!query)
		verr(v, "", "creationDate", "is required");
	if ((m = json_object_get(doc, "id")))
		v_uri(v, "", "id", m);
	static const char *const strs[] = { "instanceIdentifier", "sender", "receiver", NULL };
	for (const char *const *s = strs; *s; s++)
		if ((m = json_object_get(doc, *s)))
			v_string(v, "", *s, m);
	if ((m = json_object_get(doc, "epcisHeader")) && v_object(v, "", "epcisHeader", m)) {
		static const char *const hk[] = { "epcisMasterData", NULL };
		v_extensions(v, "epcisHeader", m, hk);
	}

	body = json_object_get(doc, "epcisBody");
	if (!body) {
		verr(v, "", "epcisBody", "is required");
		return PL_EINVAL;
	}
	if (!v_object(v, "", "epcisBody", body))
		return PL_EINVAL;
	if (query) {
		static const char *const qk[] = { "queryResults", NULL };
		static const char *const rk[] = { "queryName", "subscriptionID", "resultsBody", NULL };
		static const char *const bk[] = { "eventList", "vocabularyList", NULL };
		const json_t *qr = json_object_get(body, "queryResults");
		v_extensions(v, "epcisBody", body, qk);
		if (!qr) {
			verr(v, "epcisBody", "queryResults", "is required");
			return PL_EINVAL;
		}
		if (!v_object(v, "epcisBody", "queryResults", qr))
			return PL_EINVAL;
		v_extensions(v, "epcisBody.queryResults", qr, rk);
		if (!(m = json_object_get(qr, "queryName")))
			verr(v, "epcisBody.queryResults", "queryName", "is required");
		else
			v_string(v, "epcisBody.queryResults", "queryName", m);
		if ((m = json_object_get(qr, "subscriptionID")))
			v_string(v, "epcisBody.queryResults", "subscriptionID", m);
		body = json_object_get(qr, "resultsBody");
		if (!body) {
			verr(v, "epcisBody.queryResults", "resultsBody", "is required");
			return PL_EINVAL;
		}
		if (!v_object(v, "epcisBody.queryResults", "resultsBody", body))
			return PL_EINVAL;
		v_extensions(v, "epcisBody.queryResults.resultsBody", body, bk);
		path = "epcisBody.queryResults.resultsBody.eventList";
	} else {
		static const char *const bk[] = { "eventList", NULL };
		v_extensions(v, "epcisBody", body, bk);
	}
	events = json_object_get(body, "eventList");
	if (!events) {
		verr(v, path, NULL, "is required");
		return PL_EINVAL;
	}
	if (!json_is_array(events)) {
		verr(v, path, NULL, "must be an array");
		return PL_EINVAL;
	}
	if (json_array_size(events) > TRACE_DOC_MAX_EVENTS) {
		verr(v, path, NULL, "has %zu events; the limit is %d per document",
		     json_array_size(events), TRACE_DOC_MAX_EVENTS);
		return PL_ETOOBIG;
	}
	json_array_foreach(events, i, e) {
		char p[PATH_MAX_LEN];
		subidx(p, sizeof(p), path, i);
		v_event(v, p, e);
	}
	return v->nerr ? PL_EINVAL : 0;
}

/* Offset where nesting first exceeds max, or len: brackets inside strings
 * do not count. Linear, allocation-free, and run before jansson builds
 * anything, so a deep document costs nothing. */
static size_t doc__depth_scan(const char *buf, size_t len, int max)
{
	int depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return i;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return len;
}

/* Like pl_json_parse, with one difference: duplicate member names are
 * accepted and the last one wins. GS1's own example
 * AssociationEvent/AssociationEvent-h.jsonld repeats "eventID", and the
 * JSON-LD processors and schema validators EPCIS is specified against all
 * take the last value; rejecting it would refuse documents other EPCIS
 * repositories accept. (pl_json_parse always rejects duplicates; when core
 * grows a flag for this, use it and drop this copy of the depth scan.) */
static int doc__parse(const char *buf, size_t len, json_t **out,
		      struct pl_json_error *err)
{
	json_error_t je;
	size_t at = doc__depth_scan(buf, len, TRACE_DOC_DEPTH_MAX);

	*out = NULL;
	if (at < len) {
		snprintf(err->text, sizeof(err->text),
			 "JSON nested deeper than %d levels at byte %zu",
			 TRACE_DOC_DEPTH_MAX, at);
		return PL_EPARSE;
	}
	*out = json_loadb(buf, len, JSON_DECODE_ANY, &je);
	if (!*out) {
		snprintf(err->text, sizeof(err->text),
			 "malformed JSON at line %d, column %d (byte %d): %.120s",
			 je.line, je.column, je.position, je.text);
		return PL_EPARSE;
	}
	return 0;
}

int trace_doc_validate(const char *buf, size_t len, json_t **out_doc,
		       struct trace_errors *errs)
{
	struct vctx v = { errs, NULL, NULL, 0 };
	struct pl_json_error jerr;
	json_t *doc = NULL;
	int rc;

	*out_doc = NULL;
	if (len > TRACE_DOC_MAX_BYTES) {
		verr(&v, "", "document", "is %zu bytes; the limit is %u", len,
		     TRACE_DOC_MAX_BYTES);
		return PL_ETOOBIG;
	}
	rc = doc__parse(buf, len, &doc, &jerr);
	if (rc) {
		verr(&v, "", "document", "%s", jerr.text);
		return rc;
	}
	rc = trace_doc_check(doc, errs);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out_doc = doc;
	return 0;
}

int trace_doc_check(const json_t *doc, struct trace_errors *errs)
{
	struct vctx v = { errs, NULL, json_object(), 0 };
	int rc = v_document(&v, doc);

	if (rc == 0 && v.nerr)
		rc = PL_EINVAL;
	json_decref(v.seen_ids);
	return rc;
}

int trace_doc_readable(const char *buf, size_t len, bool xml, struct trace_errors *errs)
{
	struct vctx v = { errs, NULL, NULL, 0 };
	struct pl_json_error jerr;
	json_t *doc = NULL;
	int rc;

	if (len > TRACE_DOC_MAX_BYTES) {
		verr(&v, "", "document", "is %zu bytes; the limit is %u", len,
		     TRACE_DOC_MAX_BYTES);
		return PL_ETOOBIG;
	}
	if (xml) {
		/* Well-formed XML that is not an EPCIS document (PL_EINVAL) is a
		 * rule violation the job reports, as a JSON body of the wrong
		 * type is; only unreadable XML is refused here. */
		rc = trace_xml_to_doc(buf, len, &doc, errs);
		if (rc == PL_EINVAL) {
			for (size_t i = 0; i < errs->n; i++)
				free(errs->msg[i]);
			errs->n = errs->dropped = 0;
			rc = 0;
		}
	} else {
		rc = doc__parse(buf, len, &doc, &jerr);
		if (rc)
			verr(&v, "", "document", "%s", jerr.text);
	}
	if (rc == 0 && json_array_size(trace_doc_events(doc)) > TRACE_DOC_MAX_EVENTS) {
		verr(&v, "epcisBody", "eventList", "has %zu events; the limit is %d",
		     json_array_size(trace_doc_events(doc)), TRACE_DOC_MAX_EVENTS);
		rc = PL_ETOOBIG;
	}
	json_decref(doc);
	return rc;
}
