/*
 * xml.c - the EPCIS XML binding, capture direction (first cut): an EPCIS
 * XML EPCISDocument or EPCISQueryDocument is converted into the JSON-LD
 * document the rest of the module works on, so XML capture goes through
 * the same validation, hash and normaliser as JSON-LD. The point of doing
 * it this way is the hash: one event must hash equal in either syntax, and
 * one canonicaliser guarantees it.
 *
 * Mapping (EPCIS 2.0 section 9 XML binding <-> JSON-LD binding):
 *   - root epcis:EPCISDocument / epcisq:EPCISQueryDocument (any namespace
 *     URI: xsd:1 and xsd:2 documents both occur) -> "type"; its
 *     schemaVersion and creationDate attributes become members;
 *   - EPCISBody/EventList/<XxxEvent> -> epcisBody.eventList[]; the 1.x
 *     wrappers <extension> (around TransformationEvent, and inside events)
 *     and <baseExtension> (around eventID, errorDeclaration) are unwrapped;
 *   - lists: <epcList><epc>..</epc></epcList> -> ["..."], quantity lists ->
 *     [{epcClass, quantity (number), uom}], <bizTransaction type="t">v</..>
 *     -> {type, bizTransaction}, source/destination likewise, sensor
 *     metadata and reports from their attributes (numbers and booleans
 *     typed), persistentDisposition set/unset lists, correctiveEventIDs;
 *   - CBV values written as URNs (urn:epcglobal:cbv:bizstep:shipping) or
 *     web URIs (https://ref.gs1.org/cbv/BizStep-shipping), and GS1
 *     vocabulary as gs1:Temperature, become the JSON-LD bare words;
 *   - elements in any other namespace are extensions: key "prefix:local"
 *     (the prefix declared in the generated @context), value the text, or
 *     an object of the children; repeated children become arrays.
 *     Attributes on extension elements have no JSON-LD place and are
 *     dropped (e.g. cbvmda:netWeight's measurementUnitCode).
 *   - elements with no namespace that EPCIS does not define keep their
 *     name, so validation reports them as unknown fields by path.
 * Not yet: the EPCISHeader (SBDH and master data) is skipped. The reverse
 * direction (JSON-LD -> XML, for Accept: application/xml) is xmlout.c.
 *
 * Safety: the body is capped before parsing; DTD declarations are refused
 * (so no entities at all: no XXE, no billion laughs; a bare <!DOCTYPE x>
 * passes);
 * the network is never touched (XML_PARSE_NONET); element nesting is
 * capped at TRACE_DOC_DEPTH_MAX while converting. libxml2 must have been
 * initialised (xmlInitParser) before threads start; this file calls it
 * too, which is enough for single-threaded callers such as the tests.
 */
#include "trace_int.h"

#include <math.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

struct xctx {
	struct trace_errors *errs;
	json_t *ns_map;   /* namespace URI -> prefix used in @context */
	json_t *prefixes; /* prefix -> namespace URI (to avoid clashes) */
	int err;          /* first error */
};

static void xerr(struct xctx *x, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void xerr(struct xctx *x, int rc, const char *fmt, ...)
{
	struct trace_errors *e = x->errs;
	struct pl_buf b;
	va_list ap;

	if (!x->err)
		x->err = rc;
	if (e->n >= TRACE_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	pl_buf_init(&b, 1024);
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

static bool is_el(const xmlNode *n)
{
	return n && n->type == XML_ELEMENT_NODE;
}

static bool name_is(const xmlNode *n, const char *name)
{
	return is_el(n) && strcmp((const char *)n->name, name) == 0;
}

/* An EPCIS standard element: no namespace (the binding's local elements
 * are unqualified). */
static bool is_std(const xmlNode *n)
{
	return is_el(n) && !n->ns;
}

/* Trimmed text content as a new JSON string. */
static json_t *text_of(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	const char *e;
	json_t *v;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	v = json_stringn(s, (size_t)(e - s));
	if (!v) /* not UTF-8: libxml2 converts input to UTF-8, so a bug */
		v = json_string("");
	xmlFree(t);
	return v;
}

static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s = v ? pl_strdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

/* A CBV or GS1 vocabulary value as the JSON-LD bare word when it is one,
 * otherwise unchanged. */
static json_t *vocab_word(const char *s, const struct trace__vocab *voc)
{
	static const struct { const char *urn; const char *field; } urns[] = {
		{ "urn:epcglobal:cbv:bizstep:", "bizStep" },
		{ "urn:epcglobal:cbv:disp:", "disposition" },
		{ "urn:epcglobal:cbv:btt:", "bizTransaction type" },
		{ "urn:epcglobal:cbv:sdt:", "source/destination type" },
		{ "urn:epcglobal:cbv:er:", "error reason" },
	};
	const char *w = NULL;
	size_t pl = strlen(voc->prefix);

	for (size_t i = 0; i < sizeof(urns) / sizeof(urns[0]); i++)
		if (strcmp(urns[i].field, voc->field) == 0 &&
		    strncmp(s, urns[i].urn, strlen(urns[i].urn)) == 0)
			w = s + strlen(urns[i].urn);
	if (!w && strncmp(s, voc->prefix, pl) == 0)
		w = s + pl;
	if (!w && strncmp(s, "gs1:", 4) == 0 && strcmp(voc->prefix, "https://gs1.org/voc/") == 0)
		w = s + 4;
	if (!w && strncmp(s, "cbv:", 4) == 0 &&
	    strncmp(voc->prefix, "https://ref.gs1.org/cbv/", 24) == 0 &&
	    strncmp(s + 4, voc->prefix + 24, pl - 24) == 0)
		w = s + 4 + (pl - 24);
	if (w && trace__vocab_has(voc, w))
		return json_string(w);
	return json_string(s);
}

static json_t *vocab_text(const xmlNode *n, const struct trace__vocab *voc)
{
	json_t *t = text_of(n);
	json_t *v = vocab_word(json_string_value(t), voc);
	json_decref(t);
	return v;
}

/* The @context prefix for a namespace, registering it on first use. */
static const char *ns_prefix(struct xctx *x, const xmlNs *ns)
{
	const char *href = (const char *)ns->href;
	const json_t *have = json_object_get(x->ns_map, href);
	char gen[32];
	const char *p;

	if (have)
		return json_string_value(have);
	p = ns->prefix ? (const char *)ns->prefix : NULL;
	/* A prefix already bound to another URI (or none at all) gets a
	 * generated one, so keys stay unambiguous. */
	if (!p || json_object_get(x->prefixes, p)) {
		for (int i = 1;; i++) {
			snprintf(gen, sizeof(gen), "ns%d", i);
			if (!json_object_get(x->prefixes, gen))
				break;
		}
		p = gen;
	}
	json_object_set_new(x->prefixes, p, json_string(href));
	json_object_set_new(x->ns_map, href, json_string(p));
	return json_string_value(json_object_get(x->ns_map, href));
}

/* Adds key -> v to obj; a repeated key turns the member into an array. */
static void add_member(json_t *obj, const char *key, json_t *v)
{
	json_t *old = json_object_get(obj, key);

	if (!old) {
		json_object_set_new(obj, key, v);
	} else if (json_is_array(old)) {
		json_array_append_new(old, v);
	} else {
		json_t *arr = json_array();
		json_array_append(arr, old);
		json_array_append_new(arr, v);
		json_object_set_new(obj, key, arr);
	}
}

static void member_key(struct xctx *x, const xmlNode *n, char *key, size_t sz)
{
	if (n->ns)
		snprintf(key, sz, "%s:%s", ns_prefix(x, n->ns), (const char *)n->name);
	else
		snprintf(key, sz, "%s", (const char *)n->name);
}

/* An extension element's value: an object of its element children, or
 * its text. */
static json_t *ext_value(struct xctx *x, const xmlNode *n, int depth)
{
	json_t *obj = NULL;
	char key[256];

	if (depth > TRACE_DOC_DEPTH_MAX) {
		xerr(x, PL_EPARSE, "XML nested deeper than %d elements", TRACE_DOC_DEPTH_MAX);
		return json_null();
	}
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (!is_el(c))
			continue;
		if (!obj)
			obj = json_object();
		member_key(x, c, key, sizeof(key));
		add_member(obj, key, ext_value(x, c, depth + 1));
	}
	return obj ? obj : text_of(n);
}

/* Adds extension attributes (namespaced ones) of n to obj. */
static void ext_attrs(struct xctx *x, const xmlNode *n, json_t *obj)
{
	char key[256];

	for (const xmlAttr *a = n->properties; a; a = a->next) {
		xmlChar *v;
		if (!a->ns || (a->ns->href && strcmp((const char *)a->ns->href,
				"http://www.w3.org/2001/XMLSchema-instance") == 0))
			continue;
		snprintf(key, sizeof(key), "%s:%s", ns_prefix(x, a->ns), (const char *)a->name);
		v = xmlNodeGetContent((const xmlNode *)a);
		json_object_set_new(obj, key, json_string(v ? (const char *)v : ""));
		xmlFree(v);
	}
}

/* <list><item>..</item>...</list> -> array of texts. */
static json_t *text_list(const xmlNode *n, const char *item)
{
	json_t *arr = json_array();

	for (const xmlNode *c = n->children; c; c = c->next)
		if (name_is(c, item))
			json_array_append_new(arr, text_of(c));
	return arr;
}

/* An xsd:decimal / xsd:double lexical value as a JSON number; anything
 * else (hex, inf, nan, blanks) stays a string, which validation then
 * reports as "must be a number" with its path. */
static json_t *number_or_text(const char *s)
{
	char *end;
	double d;

	if (!s)
		return NULL;
	if (!*s || strspn(s, "+-0123456789.eE") != strlen(s))
		return json_string(s);
	d = strtod(s, &end);
	if (end != s && *end == '\0' && isfinite(d))
		return json_real(d);
	return json_string(s);
}

static json_t *quantity_list(const xmlNode *n)
{
	json_t *arr = json_array();

	for (const xmlNode *q = n->children; q; q = q->next) {
		json_t *e;
		if (!name_is(q, "quantityElement"))
			continue;
		e = json_object();
		for (const xmlNode *c = q->children; c; c = c->next) {
			if (name_is(c, "epcClass") || name_is(c, "uom")) {
				json_object_set_new(e, (const char *)c->name, text_of(c));
			} else if (name_is(c, "quantity")) {
				json_t *t = text_of(c);
				/* <quantity xsi:nil="true"/> means no quantity. */
				if (json_string_length(t))
					json_object_set_new(e, "quantity",
							    number_or_text(json_string_value(t)));
				json_decref(t);
			}
		}
		json_array_append_new(arr, e);
	}
	return arr;
}

static json_t *pair_list(const xmlNode *n, const char *item,
			 const struct trace__vocab *voc)
{
	json_t *arr = json_array();

	for (const xmlNode *c = n->children; c; c = c->next) {
		json_t *e;
		char *type;
		if (!name_is(c, item))
			continue;
		e = json_object();
		type = attr(c, "type");
		if (type)
			json_object_set_new(e, "type", vocab_word(type, voc));
		free(type);
		json_object_set_new(e, item, text_of(c));
		json_array_append_new(arr, e);
	}
	return arr;
}

/* Sensor metadata / report attributes with their JSON types. */
static json_t *sensor_attrs(struct xctx *x, const xmlNode *n, bool report)
{
	static const char *const nums[] = {
		"value", "minValue", "maxValue", "meanValue", "sDev", "percRank",
		"percValue", NULL,
	};
	json_t *obj = json_object();

	for (const xmlAttr *a = n->properties; a; a = a->next) {
		const char *name = (const char *)a->name;
		xmlChar *raw;
		const char *v;
		json_t *jv;
		bool num = false;

		if (a->ns)
			continue; /* extension attributes below */
		raw = xmlNodeGetContent((const xmlNode *)a);
		v = raw ? (const char *)raw : "";
		for (const char *const *p = nums; report && *p; p++)
			num |= strcmp(*p, name) == 0;
		if (num)
			jv = number_or_text(v);
		else if (report && strcmp(name, "booleanValue") == 0)
			jv = strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ? json_true() :
			     strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ? json_false() :
									  json_string(v);
		else if (report && strcmp(name, "type") == 0)
			jv = vocab_word(v, &trace__voc_meas);
		else if (report && strcmp(name, "exception") == 0)
			jv = vocab_word(v, &trace__voc_alert);
		else if (report && strcmp(name, "component") == 0)
			jv = vocab_word(v, &trace__voc_comp);
		else
			jv = json_string(v);
		json_object_set_new(obj, name, jv);
		xmlFree(raw);
	}
	ext_attrs(x, n, obj);
	return obj;
}

static json_t *sensor_list(struct xctx *x, const xmlNode *n, int depth)
{
	json_t *arr = json_array();
	char key[256];

	for (const xmlNode *se = n->children; se; se = se->next) {
		json_t *el, *reports;
		if (!name_is(se, "sensorElement"))
			continue;
		el = json_object();
		reports = json_array();
		for (const xmlNode *c = se->children; c; c = c->next) {
			if (!is_el(c))
				continue;
			if (is_std(c) && strcmp((const char *)c->name, "sensorMetadata") == 0) {
				json_object_set_new(el, "sensorMetadata", sensor_attrs(x, c, false));
			} else if (is_std(c) && strcmp((const char *)c->name, "sensorReport") == 0) {
				json_array_append_new(reports, sensor_attrs(x, c, true));
			} else {
				member_key(x, c, key, sizeof(key));
				add_member(el, key, ext_value(x, c, depth + 1));
			}
		}
		json_object_set_new(el, "sensorReport", reports);
		json_array_append_new(arr, el);
	}
	return arr;
}

static json_t *location(struct xctx *x, const xmlNode *n, int depth)
{
	json_t *obj = json_object();
	char key[256];

	for (const xmlNode *c = n->children; c; c = c->next) {
		if (!is_el(c))
			continue;
		if (name_is(c, "id") && !c->ns) {
			json_object_set_new(obj, "id", text_of(c));
		} else if (name_is(c, "extension") && !c->ns) {
			/* 1.x wrapper around extension elements */
			for (const xmlNode *g = c->children; g; g = g->next)
				if (is_el(g)) {
					member_key(x, g, key, sizeof(key));
					add_member(obj, key, ext_value(x, g, depth + 2));
				}
		} else {
			member_key(x, c, key, sizeof(key));
			add_member(obj, key, ext_value(x, c, depth + 1));
		}
	}
	return obj;
}

static json_t *error_declaration(struct xctx *x, const xmlNode *n, int depth)
{
	json_t *obj = json_object();
	char key[256];

	for (const xmlNode *c = n->children; c; c = c->next) {
		if (!is_el(c))
			continue;
		if (is_std(c) && strcmp((const char *)c->name, "declarationTime") == 0)
			json_object_set_new(obj, "declarationTime", text_of(c));
		else if (is_std(c) && strcmp((const char *)c->name, "reason") == 0)
			json_object_set_new(obj, "reason", vocab_text(c, &trace__voc_er));
		else if (is_std(c) && strcmp((const char *)c->name, "correctiveEventIDs") == 0)
			json_object_set_new(obj, "correctiveEventIDs",
					    text_list(c, "correctiveEventID"));
		else {
			member_key(x, c, key, sizeof(key));
			add_member(obj, key, ext_value(x, c, depth + 1));
		}
	}
	return obj;
}

/* Converts the children of an event element (recursing through the 1.x
 * <extension>/<baseExtension> wrappers) into members of ev. */
static void event_members(struct xctx *x, const xmlNode *parent, json_t *ev,
			  int depth)
{
	char key[256];

	if (depth > TRACE_DOC_DEPTH_MAX) {
		xerr(x, PL_EPARSE, "XML nested deeper than %d elements", TRACE_DOC_DEPTH_MAX);
		return;
	}
	for (const xmlNode *c = parent->children; c; c = c->next) {
		const char *nm = (const char *)c->name;
		if (!is_el(c))
			continue;
		if (!is_std(c)) {
			member_key(x, c, key, sizeof(key));
			add_member(ev, key, ext_value(x, c, depth + 1));
		} else if (!strcmp(nm, "extension") || !strcmp(nm, "baseExtension")) {
			event_members(x, c, ev, depth + 1);
		} else if (!strcmp(nm, "epcList") || !strcmp(nm, "childEPCs") ||
			   !strcmp(nm, "inputEPCList") || !strcmp(nm, "outputEPCList")) {
			json_object_set_new(ev, nm, text_list(c, "epc"));
		} else if (strstr(nm, "uantityList")) {
			json_object_set_new(ev, nm, quantity_list(c));
		} else if (!strcmp(nm, "bizStep")) {
			json_object_set_new(ev, nm, vocab_text(c, &trace__voc_bizstep));
		} else if (!strcmp(nm, "disposition")) {
			json_object_set_new(ev, nm, vocab_text(c, &trace__voc_disp));
		} else if (!strcmp(nm, "readPoint") || !strcmp(nm, "bizLocation")) {
			json_object_set_new(ev, nm, location(x, c, depth + 1));
		} else if (!strcmp(nm, "bizTransactionList")) {
			json_object_set_new(ev, nm, pair_list(c, "bizTransaction", &trace__voc_btt));
		} else if (!strcmp(nm, "sourceList")) {
			json_object_set_new(ev, nm, pair_list(c, "source", &trace__voc_sdt));
		} else if (!strcmp(nm, "destinationList")) {
			json_object_set_new(ev, nm, pair_list(c, "destination", &trace__voc_sdt));
		} else if (!strcmp(nm, "sensorElementList")) {
			json_object_set_new(ev, nm, sensor_list(x, c, depth + 1));
		} else if (!strcmp(nm, "persistentDisposition")) {
			json_t *pd = json_object();
			for (const xmlNode *s = c->children; s; s = s->next)
				if (name_is(s, "set") || name_is(s, "unset"))
					add_member(pd, (const char *)s->name,
						   vocab_text(s, &trace__voc_disp));
			/* set/unset are always lists in JSON-LD */
			for (int i = 0; i < 2; i++) {
				const char *k = i ? "unset" : "set";
				json_t *v = json_object_get(pd, k);
				if (v && !json_is_array(v)) {
					json_t *arr = json_array();
					json_array_append(arr, v);
					json_object_set_new(pd, k, arr);
				}
			}
			json_object_set_new(ev, nm, pd);
		} else if (!strcmp(nm, "ilmd")) {
			json_t *obj = json_object();
			for (const xmlNode *g = c->children; g; g = g->next)
				if (is_el(g)) {
					if (name_is(g, "extension") && !g->ns) {
						for (const xmlNode *h = g->children; h; h = h->next)
							if (is_el(h)) {
								member_key(x, h, key, sizeof(key));
								add_member(obj, key, ext_value(x, h, depth + 3));
							}
						continue;
					}
					member_key(x, g, key, sizeof(key));
					add_member(obj, key, ext_value(x, g, depth + 2));
				}
			json_object_set_new(ev, nm, obj);
		} else if (!strcmp(nm, "errorDeclaration")) {
			json_object_set_new(ev, nm, error_declaration(x, c, depth + 1));
		} else {
			/* eventTime, recordTime, eventTimeZoneOffset, eventID,
			 * action, parentID, transformationID, certificationInfo
			 * and anything unknown (which validation reports). */
			add_member(ev, nm, text_of(c));
		}
	}
}

static json_t *event(struct xctx *x, const xmlNode *n)
{
	json_t *ev = json_object();
	char *ci = attr(n, "certificationInfo");

	json_object_set_new(ev, "type", json_string((const char *)n->name));
	if (ci)
		json_object_set_new(ev, "certificationInfo", json_string(ci));
	free(ci);
	ext_attrs(x, n, ev);
	event_members(x, n, ev, 3);
	return ev;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (name_is(c, name))
			return c;
	return NULL;
}

static json_t *event_list(struct xctx *x, const xmlNode *list)
{
	json_t *arr = json_array();

	for (const xmlNode *c = list ? list->children : NULL; c; c = c->next) {
		if (!is_el(c))
			continue;
		if (name_is(c, "extension")) {
			for (const xmlNode *g = c->children; g; g = g->next)
				if (is_el(g))
					json_array_append_new(arr, event(x, g));
			continue;
		}
		json_array_append_new(arr, event(x, c));
	}
	return arr;
}

/* Collects every namespace used so far into the document's @context. */
static json_t *context_of(struct xctx *x)
{
	json_t *ctx = json_array(), *decl = json_object();
	const char *k;
	json_t *v;

	json_array_append_new(ctx, json_string(
		"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"));
	json_object_foreach(x->prefixes, k, v)
		json_object_set(decl, k, v);
	if (json_object_size(decl))
		json_array_append_new(ctx, decl);
	else
		json_decref(decl);
	return ctx;
}

int trace_xml_to_doc(const char *buf, size_t len, json_t **out,
		     struct trace_errors *errs)
{
	struct xctx x = { errs, json_object(), json_object(), 0 };
	xmlParserCtxtPtr pc = NULL;
	xmlDocPtr xd = NULL;
	const xmlNode *root, *body;
	json_t *doc = NULL, *jbody, *events = NULL;
	char *a;
	bool query;
	int rc;

	*out = NULL;
	if (len > TRACE_DOC_MAX_BYTES) {
		xerr(&x, PL_ETOOBIG, "document: is %zu bytes; the limit is %u", len,
		     TRACE_DOC_MAX_BYTES);
		goto out;
	}
	if (len > INT32_MAX) { /* libxml2 takes an int length */
		xerr(&x, PL_ETOOBIG, "document: too large");
		goto out;
	}
	xmlInitParser();
	pc = xmlNewParserCtxt();
	xd = xmlCtxtReadMemory(pc, buf, (int)len, NULL, NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!xd) {
		const xmlError *e = xmlCtxtGetLastError(pc);
		xerr(&x, PL_EPARSE, "document: malformed XML at line %d: %.120s",
		     e ? e->line : 0, e && e->message ? e->message : "parse error");
		goto out;
	}
	/* A bare <!DOCTYPE x> (GS1's own examples carry one) is harmless;
	 * any declaration or external reference is refused. */
	if (xd->extSubset || (xd->intSubset &&
	    (xd->intSubset->children || xd->intSubset->entities ||
	     xd->intSubset->pentities || xd->intSubset->ExternalID ||
	     xd->intSubset->SystemID))) {
		xerr(&x, PL_EPARSE, "document: DTD declarations are not accepted in EPCIS capture");
		goto out;
	}
	root = xmlDocGetRootElement(xd);
	query = name_is(root, "EPCISQueryDocument");
	if (!root || (!query && !name_is(root, "EPCISDocument"))) {
		xerr(&x, PL_EINVAL, "type: root element must be EPCISDocument or EPCISQueryDocument");
		goto out;
	}
	doc = json_object();
	json_object_set_new(doc, "type", json_string(query ? "EPCISQueryDocument" : "EPCISDocument"));
	if ((a = attr(root, "schemaVersion")))
		json_object_set_new(doc, "schemaVersion", json_string(a));
	free(a);
	if ((a = attr(root, "creationDate")))
		json_object_set_new(doc, "creationDate", json_string(a));
	free(a);
	body = child(root, "EPCISBody");
	if (!body) {
		xerr(&x, PL_EINVAL, "epcisBody: is required (EPCISBody element)");
		goto out;
	}
	jbody = json_object();
	json_object_set_new(doc, "epcisBody", jbody);
	if (query) {
		const xmlNode *qr = child(body, "QueryResults");
		json_t *jqr = json_object(), *rb = json_object();
		const xmlNode *q;
		json_object_set_new(jbody, "queryResults", jqr);
		if ((q = child(qr, "queryName")))
			json_object_set_new(jqr, "queryName", text_of(q));
		if ((q = child(qr, "subscriptionID")))
			json_object_set_new(jqr, "subscriptionID", text_of(q));
		json_object_set_new(jqr, "resultsBody", rb);
		if ((q = child(child(qr, "resultsBody"), "EventList")))
			events = event_list(&x, q);
		if (events)
			json_object_set_new(rb, "eventList", events);
	} else {
		const xmlNode *el = child(body, "EventList");
		if (el)
			json_object_set_new(jbody, "eventList", event_list(&x, el));
	}
	/* Last, so it holds every namespace the events used. */
	json_object_set_new(doc, "@context", context_of(&x));
out:
	rc = x.err;
	if (xd)
		xmlFreeDoc(xd);
	if (pc)
		xmlFreeParserCtxt(pc);
	json_decref(x.ns_map);
	json_decref(x.prefixes);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
