/*
 * xmlout.c - the EPCIS XML binding, query direction (first cut): a JSON-LD
 * EPCISDocument or EPCISQueryDocument written as EPCIS 2.0 XML, for
 * "Accept: application/xml". It is the inverse of xml.c, and the pair is
 * tested as a round trip: every GS1 example document, written as XML and
 * read back, gives events with the same CBV 2.0 hashes - the hash being
 * the standard's own definition of "the same event".
 *
 * Choices (see xml.c for the reading side):
 *   - root epcis:EPCISDocument (urn:epcglobal:epcis:xsd:2) or
 *     epcisq:EPCISQueryDocument (urn:epcglobal:epcis-query:xsd:2); every
 *     prefix of the @context becomes an xmlns declaration on the root;
 *   - event members in the order of the EPCIS 2.0 XSD as far as it is
 *     known here (readers, ours included, accept any order);
 *   - CBV words are written as their URNs (urn:epcglobal:cbv:bizstep:x),
 *     as XML producers do; sensor types and exceptions as gs1: CURIEs;
 *     components as web URIs;
 *   - extension members become elements of their namespace; a key that is
 *     a full URI gets its namespace declared on the element itself;
 *     extension members of sensorMetadata / sensorReport become
 *     attributes, so only scalar values survive there (objects are
 *     dropped - the one lossy corner);
 *   - numbers are written in the shortest form that reads back as the
 *     same double (15 to 17 significant digits).
 * Text that XML 1.0 cannot carry (control characters other than tab, CR,
 * LF) is refused with PL_EINVAL rather than silently altered.
 */
#include "trace_int.h"

struct wctx {
	struct pl_buf *out;
	const json_t *context;
	int err;
	int gen; /* counter for generated namespace prefixes */
};

static void w_put(struct wctx *w, const char *s)
{
	if (!w->err)
		w->err = pl_buf_puts(w->out, s);
}

static void w_putn(struct wctx *w, const char *s, size_t n)
{
	if (!w->err)
		w->err = pl_buf_append(w->out, s, n);
}

/* Escaped text or attribute value. */
static void w_esc(struct wctx *w, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		case '\t': rep = "&#9;"; break;
		case '\n': rep = "&#10;"; break;
		case '\r': rep = "&#13;"; break;
		default:
			if (c < 0x20 && !w->err)
				w->err = PL_EINVAL; /* not representable in XML 1.0 */
			break;
		}
		if (rep) {
			w_putn(w, run, (size_t)(s - run));
			w_put(w, rep);
			run = s + 1;
		}
	}
	w_putn(w, run, (size_t)(s - run));
}

/* A scalar JSON value as text: strings as is, numbers round-trip exact. */
static void w_scalar(struct wctx *w, const json_t *v)
{
	char num[64];

	if (json_is_string(v)) {
		w_esc(w, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		w_put(w, num);
	} else if (json_is_real(v)) {
		/* Shortest form that reads back as the same double. */
		double d = json_real_value(v);
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(num, sizeof(num), "%.*g", prec, d);
			if (strtod(num, NULL) == d)
				break;
		}
		w_put(w, num);
	} else if (json_is_true(v)) {
		w_put(w, "true");
	} else if (json_is_false(v)) {
		w_put(w, "false");
	}
}

static void w_text_el(struct wctx *w, const char *name, const json_t *v)
{
	if (!v || json_is_null(v))
		return;
	w_put(w, "<");
	w_put(w, name);
	w_put(w, ">");
	w_scalar(w, v);
	w_put(w, "</");
	w_put(w, name);
	w_put(w, ">");
}

static const struct { const char *field, *urn; } w_urns[] = {
	{ "bizStep", "urn:epcglobal:cbv:bizstep:" },
	{ "disposition", "urn:epcglobal:cbv:disp:" },
	{ "bizTransaction type", "urn:epcglobal:cbv:btt:" },
	{ "source/destination type", "urn:epcglobal:cbv:sdt:" },
	{ "error reason", "urn:epcglobal:cbv:er:" },
};

/* A vocabulary value: bare CBV words as URNs (or gs1:/web URIs for the
 * sensor vocabularies), anything else unchanged. */
static void w_vocab(struct wctx *w, const char *s, const struct trace__vocab *voc)
{
	if (trace__vocab_has(voc, s)) {
		if (voc == &trace__voc_meas || voc == &trace__voc_alert) {
			w_put(w, "gs1:");
		} else if (voc == &trace__voc_comp) {
			w_put(w, voc->prefix);
		} else {
			for (size_t i = 0; i < sizeof(w_urns) / sizeof(w_urns[0]); i++)
				if (strcmp(w_urns[i].field, voc->field) == 0)
					w_put(w, w_urns[i].urn);
		}
	}
	w_esc(w, s);
}

static void w_vocab_el(struct wctx *w, const char *name, const json_t *v,
		       const struct trace__vocab *voc)
{
	if (!json_is_string(v))
		return;
	w_put(w, "<");
	w_put(w, name);
	w_put(w, ">");
	w_vocab(w, json_string_value(v), voc);
	w_put(w, "</");
	w_put(w, name);
	w_put(w, ">");
}

/* Writes the start of an extension element for key (without the closing
 * '>'); qname gets the qualified name the end tag needs. */
static void w_ext_open(struct wctx *w, const char *key, char *qname, size_t qsz)
{
	const char *local = NULL, *cut = NULL;
	const char *colon = strchr(key, ':');
	char decl[32];

	if (colon && colon[1] != '/' && strncmp(key, "urn:", 4) != 0 &&
	    trace__ns_lookup(w->context, key, &local)) {
		/* Declared (or standard) prefix: declared on the root. */
		snprintf(qname, qsz, "%s", key);
		w_put(w, "<");
		w_put(w, qname);
		return;
	}
	/* A full URI key: namespace up to the last '/', '#' or ':'. */
	for (const char *p = key; *p; p++)
		if (*p == '/' || *p == '#' || *p == ':')
			cut = p;
	if (!cut || !cut[1]) {
		snprintf(qname, qsz, "%s", key); /* validation rejects these */
		w_put(w, "<");
		w_put(w, qname);
		return;
	}
	snprintf(qname, qsz, "x%d:%s", ++w->gen, cut + 1);
	w_put(w, "<");
	w_put(w, qname);
	snprintf(decl, sizeof(decl), " xmlns:x%d=\"", w->gen);
	w_put(w, decl);
	w_putn(w, key, (size_t)(cut - key) + 1);
	w_put(w, "\"");
}

static void w_ext(struct wctx *w, const char *key, const json_t *v, int depth)
{
	char qname[300];
	size_t i;
	const char *k;
	json_t *e;

	if (depth > TRACE_DOC_DEPTH_MAX) {
		if (!w->err)
			w->err = PL_ETOOBIG;
		return;
	}
	if (json_is_null(v))
		return;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			w_ext(w, key, e, depth + 1);
		return;
	}
	w_ext_open(w, key, qname, sizeof(qname));
	w_put(w, ">");
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			w_ext(w, k, e, depth + 1);
	} else {
		w_scalar(w, v);
	}
	w_put(w, "</");
	w_put(w, qname);
	w_put(w, ">");
}

/* Extension members of obj (those not in known) as elements. */
static void w_exts(struct wctx *w, const json_t *obj, const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		bool std = false;
		for (const char *const *q = known; !std && *q; q++)
			std = strcmp(*q, k) == 0;
		if (!std)
			w_ext(w, k, v, 1);
	}
}

static void w_list(struct wctx *w, const char *name, const char *item,
		   const json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return;
	w_put(w, "<");
	w_put(w, name);
	w_put(w, ">");
	json_array_foreach(v, i, e)
		w_text_el(w, item, e);
	w_put(w, "</");
	w_put(w, name);
	w_put(w, ">");
}

static void w_qty(struct wctx *w, const char *name, const json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return;
	w_put(w, "<");
	w_put(w, name);
	w_put(w, ">");
	json_array_foreach(v, i, e) {
		w_put(w, "<quantityElement>");
		w_text_el(w, "epcClass", json_object_get(e, "epcClass"));
		w_text_el(w, "quantity", json_object_get(e, "quantity"));
		w_text_el(w, "uom", json_object_get(e, "uom"));
		w_put(w, "</quantityElement>");
	}
	w_put(w, "</");
	w_put(w, name);
	w_put(w, ">");
}

static void w_pairs(struct wctx *w, const char *list, const char *item,
		    const json_t *v, const struct trace__vocab *voc)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return;
	w_put(w, "<");
	w_put(w, list);
	w_put(w, ">");
	json_array_foreach(v, i, e) {
		const char *type = pl_json_str(e, "type");
		w_put(w, "<");
		w_put(w, item);
		if (type) {
			w_put(w, " type=\"");
			w_vocab(w, type, voc);
			w_put(w, "\"");
		}
		w_put(w, ">");
		w_scalar(w, json_object_get(e, item));
		w_put(w, "</");
		w_put(w, item);
		w_put(w, ">");
	}
	w_put(w, "</");
	w_put(w, list);
	w_put(w, ">");
}

static void w_location(struct wctx *w, const char *name, const json_t *v)
{
	static const char *const known[] = { "id", NULL };

	if (!json_is_object(v))
		return;
	w_put(w, "<");
	w_put(w, name);
	w_put(w, ">");
	w_text_el(w, "id", json_object_get(v, "id"));
	w_exts(w, v, known);
	w_put(w, "</");
	w_put(w, name);
	w_put(w, ">");
}

/* sensorMetadata / sensorReport: every scalar member as an attribute. */
static void w_sensor_attrs(struct wctx *w, const char *name, const json_t *v,
			   bool report)
{
	const char *k;
	json_t *x;

	w_put(w, "<");
	w_put(w, name);
	json_object_foreach((json_t *)v, k, x) {
		/* Objects and lists have no attribute form, and a full-URI
		 * key is not an XML attribute name. */
		if (json_is_object(x) || json_is_array(x) || json_is_null(x) ||
		    strchr(k, '/'))
			continue;
		w_put(w, " ");
		w_put(w, k);
		w_put(w, "=\"");
		if (report && json_is_string(x) && strcmp(k, "type") == 0)
			w_vocab(w, json_string_value(x), &trace__voc_meas);
		else if (report && json_is_string(x) && strcmp(k, "exception") == 0)
			w_vocab(w, json_string_value(x), &trace__voc_alert);
		else if (report && json_is_string(x) && strcmp(k, "component") == 0)
			w_vocab(w, json_string_value(x), &trace__voc_comp);
		else
			w_scalar(w, x);
		w_put(w, "\"");
	}
	w_put(w, "/>");
}

static void w_sensors(struct wctx *w, const json_t *v)
{
	static const char *const known[] = { "sensorMetadata", "sensorReport", NULL };
	size_t i, j;
	json_t *e, *r;

	if (!json_is_array(v))
		return;
	w_put(w, "<sensorElementList>");
	json_array_foreach(v, i, e) {
		w_put(w, "<sensorElement>");
		if (json_is_object(json_object_get(e, "sensorMetadata")))
			w_sensor_attrs(w, "sensorMetadata", json_object_get(e, "sensorMetadata"), false);
		json_array_foreach(json_object_get(e, "sensorReport"), j, r)
			if (json_is_object(r))
				w_sensor_attrs(w, "sensorReport", r, true);
		w_exts(w, e, known);
		w_put(w, "</sensorElement>");
	}
	w_put(w, "</sensorElementList>");
}

static void w_error_decl(struct wctx *w, const json_t *v)
{
	static const char *const known[] = {
		"declarationTime", "reason", "correctiveEventIDs", NULL,
	};

	if (!json_is_object(v))
		return;
	w_put(w, "<errorDeclaration>");
	w_text_el(w, "declarationTime", json_object_get(v, "declarationTime"));
	w_vocab_el(w, "reason", json_object_get(v, "reason"), &trace__voc_er);
	w_list(w, "correctiveEventIDs", "correctiveEventID",
	       json_object_get(v, "correctiveEventIDs"));
	w_exts(w, v, known);
	w_put(w, "</errorDeclaration>");
}

static void w_persistent(struct wctx *w, const json_t *v)
{
	static const char *const parts[] = { "set", "unset" };
	size_t i;
	json_t *e;

	if (!json_is_object(v))
		return;
	w_put(w, "<persistentDisposition>");
	for (int p = 0; p < 2; p++)
		json_array_foreach(json_object_get(v, parts[p]), i, e)
			w_vocab_el(w, parts[p], e, &trace__voc_disp);
	w_put(w, "</persistentDisposition>");
}

/* Members in XSD order per event type; the common head is written first
 * for every type. */
static const char *const w_order[][18] = {
	{ "ObjectEvent", "epcList", "action", "bizStep", "disposition",
	  "persistentDisposition", "readPoint", "bizLocation", "bizTransactionList",
	  "quantityList", "sourceList", "destinationList", "sensorElementList",
	  "ilmd", NULL },
	{ "AggregationEvent", "parentID", "childEPCs", "action", "bizStep",
	  "disposition", "readPoint", "bizLocation", "bizTransactionList",
	  "childQuantityList", "sourceList", "destinationList",
	  "sensorElementList", NULL },
	{ "TransactionEvent", "bizTransactionList", "parentID", "epcList",
	  "action", "bizStep", "disposition", "readPoint", "bizLocation",
	  "quantityList", "sourceList", "destinationList", "sensorElementList",
	  NULL },
	{ "TransformationEvent", "inputEPCList", "inputQuantityList",
	  "outputEPCList", "outputQuantityList", "transformationID", "bizStep",
	  "disposition", "persistentDisposition", "readPoint", "bizLocation",
	  "bizTransactionList", "sourceList", "destinationList",
	  "sensorElementList", "ilmd", NULL },
	{ "AssociationEvent", "parentID", "childEPCs", "childQuantityList",
	  "action", "bizStep", "disposition", "readPoint", "bizLocation",
	  "bizTransactionList", "sourceList", "destinationList",
	  "sensorElementList", NULL },
};

static const char *const w_head[] = {
	"eventTime", "recordTime", "eventTimeZoneOffset", "certificationInfo",
	"eventID", "errorDeclaration", NULL,
};

static void w_member(struct wctx *w, const char *k, const json_t *v)
{
	if (!strcmp(k, "epcList") || !strcmp(k, "childEPCs") ||
	    !strcmp(k, "inputEPCList") || !strcmp(k, "outputEPCList"))
		w_list(w, k, "epc", v);
	else if (strstr(k, "uantityList"))
		w_qty(w, k, v);
	else if (!strcmp(k, "bizStep"))
		w_vocab_el(w, k, v, &trace__voc_bizstep);
	else if (!strcmp(k, "disposition"))
		w_vocab_el(w, k, v, &trace__voc_disp);
	else if (!strcmp(k, "persistentDisposition"))
		w_persistent(w, v);
	else if (!strcmp(k, "readPoint") || !strcmp(k, "bizLocation"))
		w_location(w, k, v);
	else if (!strcmp(k, "bizTransactionList"))
		w_pairs(w, k, "bizTransaction", v, &trace__voc_btt);
	else if (!strcmp(k, "sourceList"))
		w_pairs(w, k, "source", v, &trace__voc_sdt);
	else if (!strcmp(k, "destinationList"))
		w_pairs(w, k, "destination", v, &trace__voc_sdt);
	else if (!strcmp(k, "sensorElementList"))
		w_sensors(w, v);
	else if (!strcmp(k, "ilmd")) {
		static const char *const none[] = { NULL };
		w_put(w, "<ilmd>");
		if (json_is_object(v))
			w_exts(w, v, none);
		w_put(w, "</ilmd>");
	} else if (!strcmp(k, "errorDeclaration"))
		w_error_decl(w, v);
	else if (!strcmp(k, "certificationInfo") && json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
			w_text_el(w, k, e);
	} else
		w_text_el(w, k, v);
}

static void w_event(struct wctx *w, const json_t *ev)
{
	const char *type = pl_json_str(ev, "type");
	const char *const *order = NULL;
	const char *k;
	json_t *v;

	if (!type || !json_is_object(ev)) {
		if (!w->err)
			w->err = PL_EINVAL;
		return;
	}
	for (size_t i = 0; i < sizeof(w_order) / sizeof(w_order[0]); i++)
		if (strcmp(w_order[i][0], type) == 0)
			order = &w_order[i][1];
	if (!order) {
		/* An extension event type has no XML binding of its own. */
		if (!w->err)
			w->err = PL_EUNSUPPORTED;
		return;
	}
	w_put(w, "<");
	w_put(w, type);
	w_put(w, ">");
	for (const char *const *h = w_head; *h; h++)
		if ((v = json_object_get(ev, *h)))
			w_member(w, *h, v);
	for (const char *const *o = order; *o; o++)
		if ((v = json_object_get(ev, *o)))
			w_member(w, *o, v);
	json_object_foreach((json_t *)ev, k, v) {
		bool std = !strcmp(k, "type") || !strcmp(k, "@context");
		for (const char *const *h = w_head; !std && *h; h++)
			std = !strcmp(*h, k);
		for (const char *const *o = order; !std && *o; o++)
			std = !strcmp(*o, k);
		if (!std)
			w_ext(w, k, v, 1);
	}
	w_put(w, "</");
	w_put(w, type);
	w_put(w, ">");
}

/* xmlns declarations for every prefix the @context declares, plus the
 * standard ones extension keys may use without declaring. */
static void w_namespaces(struct wctx *w)
{
	/* The standard EPCIS context's prefixes, which extension keys may
	 * use without declaring them (as trace__ns_lookup accepts) - all but
	 * "epcis", which names the document element's own namespace here. */
	static const char *const std[][2] = {
		{ "gs1", "https://gs1.org/voc/" },
		{ "cbvmda", "urn:epcglobal:cbv:mda:" },
		{ "cbv", "https://ref.gs1.org/cbv/" },
		{ "rdfs", "http://www.w3.org/2000/01/rdf-schema#" },
		{ "owl", "http://www.w3.org/2002/07/owl#" },
		{ "xsd", "http://www.w3.org/2001/XMLSchema#" },
		{ "dcterms", "http://purl.org/dc/terms/" },
	};
	const json_t *ctx = w->context;
	json_t *seen = json_object();
	const char *key;
	size_t i;
	json_t *e;

	for (i = 0; i < (json_is_array(ctx) ? json_array_size(ctx) : 1); i++) {
		const json_t *obj = json_is_array(ctx) ? json_array_get(ctx, i) : ctx;
		const char *k;
		json_t *v;
		if (!json_is_object(obj))
			continue;
		json_object_foreach((json_t *)obj, k, v) {
			const char *uri = json_is_string(v) ? json_string_value(v) :
					  pl_json_str(v, "@id");
			if (!uri || strchr(k, ':') || k[0] == '@')
				continue;
			json_object_set_new(seen, k, json_string(uri));
		}
	}
	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (!json_object_get(seen, std[i][0]))
			json_object_set_new(seen, std[i][0], json_string(std[i][1]));
	json_object_foreach(seen, key, e) {
		w_put(w, " xmlns:");
		w_put(w, key);
		w_put(w, "=\"");
		w_esc(w, json_string_value(e));
		w_put(w, "\"");
	}
	json_decref(seen);
}

int trace_doc_to_xml(const json_t *doc, struct pl_buf *out)
{
	struct wctx w = { out, json_object_get(doc, "@context"), 0, 0 };
	const char *type = pl_json_str(doc, "type");
	const json_t *events = trace_doc_events(doc), *qr, *v;
	bool query = type && strcmp(type, "EPCISQueryDocument") == 0;
	size_t i;
	json_t *ev;

	if (!type || (!query && strcmp(type, "EPCISDocument") != 0))
		return PL_EINVAL;
	w_put(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	w_put(&w, query ? "<epcisq:EPCISQueryDocument xmlns:epcisq=\"urn:epcglobal:epcis-query:xsd:2\""
			: "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\"");
	w_namespaces(&w);
	if ((v = json_object_get(doc, "schemaVersion")) && json_is_string(v)) {
		w_put(&w, " schemaVersion=\"");
		w_esc(&w, json_string_value(v));
		w_put(&w, "\"");
	}
	if ((v = json_object_get(doc, "creationDate")) && json_is_string(v)) {
		w_put(&w, " creationDate=\"");
		w_esc(&w, json_string_value(v));
		w_put(&w, "\"");
	}
	w_put(&w, "><EPCISBody>");
	if (query) {
		qr = json_object_get(json_object_get(doc, "epcisBody"), "queryResults");
		w_put(&w, "<epcisq:QueryResults>");
		w_text_el(&w, "queryName", json_object_get(qr, "queryName"));
		w_text_el(&w, "subscriptionID", json_object_get(qr, "subscriptionID"));
		w_put(&w, "<resultsBody>");
	}
	w_put(&w, "<EventList>");
	json_array_foreach(events, i, ev)
		w_event(&w, ev);
	w_put(&w, "</EventList>");
	if (query)
		w_put(&w, "</resultsBody></epcisq:QueryResults>");
	w_put(&w, query ? "</EPCISBody></epcisq:EPCISQueryDocument>\n"
			: "</EPCISBody></epcis:EPCISDocument>\n");
	return w.err;
}
