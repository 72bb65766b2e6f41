/*
 * rows.c - the event normaliser: one validated EPCIS event flattened into
 * plain C rows (struct trace_rows, see trace.h for the intended tables)
 * ready for the store to insert. Everything that queries compare is made
 * canonical here, once, at capture time: identifiers become canonical
 * Digital Links (so MATCH_epc with a URN finds events captured with a
 * Digital Link), CBV words become their full URIs (so EQ_bizStep=shipping
 * and EQ_bizStep=https://ref.gs1.org/cbv/BizStep-shipping agree), and the
 * event time becomes UTC milliseconds rounded like the hash does.
 *
 * Memory: every string and array in the result comes from the caller's
 * arena (one per capture job), so a 10,000-event document is released in
 * one go; the arena's cap turns a hostile document into PL_ETOOBIG instead
 * of exhausting memory.
 */
#include "trace_int.h"

struct rctx {
	struct pl_arena *a;
	int err; /* first error: PL_ETOOBIG when the arena is full */
};

static const char *r_dup(struct rctx *r, const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = pl_arena_strdup(r->a, s);
	if (!d && !r->err)
		r->err = PL_ETOOBIG;
	return d;
}

/* Canonical identifier (GS1 keys as Digital Links, other URIs as is). */
static const char *r_id(struct rctx *r, const json_t *v)
{
	char buf[TRACE_ID_MAX];
	const char *s = json_string_value(v);

	if (!s)
		return NULL;
	if (trace_id_canon_gs1(s, buf, sizeof(buf)) != 0) {
		if (!r->err)
			r->err = PL_EINVAL; /* validation caps URI fields below this */
		return NULL;
	}
	return r_dup(r, buf);
}

/* A CBV field: bare words expand to their URI, URIs are kept. */
static const char *r_vocab(struct rctx *r, const json_t *v,
			   const struct trace__vocab *voc)
{
	const char *s = json_string_value(v);

	if (!s)
		return NULL;
	if (trace__vocab_has(voc, s)) {
		char *d = pl_arena_printf(r->a, "%s%s", voc->prefix, s);
		if (!d && !r->err)
			r->err = PL_ETOOBIG;
		return d;
	}
	return r_dup(r, s);
}

static void *r_array(struct rctx *r, size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (n == 0)
		return NULL;
	if (!pl_size_mul(n, size, &bytes)) {
		if (!r->err)
			r->err = PL_ETOOBIG;
		return NULL;
	}
	p = pl_arena_alloc(r->a, bytes);
	if (!p && !r->err)
		r->err = PL_ETOOBIG;
	return p;
}

static size_t r_len(const json_t *ev, const char *k)
{
	const json_t *a = json_object_get(ev, k);
	return json_is_array(a) ? json_array_size(a) : 0;
}

static const struct {
	const char *key;
	enum trace_epc_role role;
} epc_lists[] = {
	{ "epcList", TRACE_ROLE_EPC }, { "childEPCs", TRACE_ROLE_CHILD },
	{ "inputEPCList", TRACE_ROLE_INPUT }, { "outputEPCList", TRACE_ROLE_OUTPUT },
}, qty_lists[] = {
	{ "quantityList", TRACE_ROLE_EPC }, { "childQuantityList", TRACE_ROLE_CHILD },
	{ "inputQuantityList", TRACE_ROLE_INPUT },
	{ "outputQuantityList", TRACE_ROLE_OUTPUT },
};

static const struct {
	const char *key, *valkey;
	char dir;
	const struct trace__vocab *voc;
} pair_lists[] = {
	{ "bizTransactionList", "bizTransaction", 'b', &trace__voc_btt },
	{ "sourceList", "source", 's', &trace__voc_sdt },
	{ "destinationList", "destination", 'd', &trace__voc_sdt },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int trace_event_rows(const json_t *ev, const json_t *context,
		     struct pl_arena *a, struct trace_rows *out)
{
	struct rctx r = { a, 0 };
	const char *type, *eid;
	const json_t *m;
	int64_t secs;
	int f4, rc, ms;
	size_t n, i, k;
	json_t *e;

	memset(out, 0, sizeof(*out));
	type = pl_json_str(ev, "type");
	if (!type || !pl_json_str(ev, "eventTime") ||
	    !trace__time_parse(pl_json_str(ev, "eventTime"), &secs, &f4))
		return PL_EINVAL;
	rc = trace_event_hash(ev, context, out->hash);
	if (rc)
		return rc;
	eid = pl_json_str(ev, "eventID");
	if (pl_strlcpy(out->event_id, eid ? eid : out->hash, sizeof(out->event_id)) >=
	    sizeof(out->event_id))
		return PL_EINVAL;
	/* Same rounding as the hash (half up on the fourth digit). */
	ms = f4 / 10 + (f4 % 10 >= 5);
	out->event_time_ms = secs * 1000 + ms;

	out->type = r_dup(&r, type);
	out->action = r_dup(&r, pl_json_str(ev, "action"));
	out->tz_offset = r_dup(&r, pl_json_str(ev, "eventTimeZoneOffset"));
	out->biz_step = r_vocab(&r, json_object_get(ev, "bizStep"), &trace__voc_bizstep);
	out->disposition = r_vocab(&r, json_object_get(ev, "disposition"), &trace__voc_disp);
	out->read_point = r_id(&r, json_object_get(json_object_get(ev, "readPoint"), "id"));
	out->biz_location = r_id(&r, json_object_get(json_object_get(ev, "bizLocation"), "id"));
	out->transformation_id = r_id(&r, json_object_get(ev, "transformationID"));
	out->has_error_declaration = json_object_get(ev, "errorDeclaration") != NULL;

	/* EPC rows: the parent first, then each list in schema order. */
	n = json_is_string(json_object_get(ev, "parentID")) ? 1 : 0;
	for (k = 0; k < NELEM(epc_lists); k++)
		n += r_len(ev, epc_lists[k].key);
	out->epcs = r_array(&r, n, sizeof(*out->epcs));
	if (json_is_string((m = json_object_get(ev, "parentID"))) && out->epcs) {
		out->epcs[out->n_epcs].role = TRACE_ROLE_PARENT;
		out->epcs[out->n_epcs++].epc = r_id(&r, m);
	}
	for (k = 0; k < NELEM(epc_lists) && out->epcs; k++)
		json_array_foreach(json_object_get(ev, epc_lists[k].key), i, e) {
			out->epcs[out->n_epcs].role = epc_lists[k].role;
			out->epcs[out->n_epcs++].epc = r_id(&r, e);
		}

	n = 0;
	for (k = 0; k < NELEM(qty_lists); k++)
		n += r_len(ev, qty_lists[k].key);
	out->qtys = r_array(&r, n, sizeof(*out->qtys));
	for (k = 0; k < NELEM(qty_lists) && out->qtys; k++)
		json_array_foreach(json_object_get(ev, qty_lists[k].key), i, e) {
			struct trace_qty_row *q = &out->qtys[out->n_qtys++];
			const json_t *qv = json_object_get(e, "quantity");
			q->role = qty_lists[k].role;
			q->epc_class = r_id(&r, json_object_get(e, "epcClass"));
			q->has_quantity = json_is_number(qv);
			q->quantity = q->has_quantity ? json_number_value(qv) : 0;
			q->uom = r_dup(&r, pl_json_str(e, "uom"));
		}

	n = 0;
	for (k = 0; k < NELEM(pair_lists); k++)
		n += r_len(ev, pair_lists[k].key);
	out->pairs = r_array(&r, n, sizeof(*out->pairs));
	for (k = 0; k < NELEM(pair_lists) && out->pairs; k++)
		json_array_foreach(json_object_get(ev, pair_lists[k].key), i, e) {
			struct trace_pair_row *p = &out->pairs[out->n_pairs++];
			p->dir = pair_lists[k].dir;
			p->type = r_vocab(&r, json_object_get(e, "type"), pair_lists[k].voc);
			p->value = r_id(&r, json_object_get(e, pair_lists[k].valkey));
		}

	if (r.err) {
		memset(out, 0, sizeof(*out));
		return r.err;
	}
	return 0;
}

int trace_rows_empties(const struct trace_rows *r)
{
	bool parent = false;

	if (!r->action || strcmp(r->action, "DELETE"))
		return 0;
	for (size_t i = 0; i < r->n_epcs; i++) {
		if (r->epcs[i].role == TRACE_ROLE_CHILD)
			return 0;
		parent = parent || r->epcs[i].role == TRACE_ROLE_PARENT;
	}
	return parent;
}
