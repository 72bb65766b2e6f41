/*
 * genealogy.c - backward and forward traces and recalls over the stored
 * EPCIS events (trace-api): GET /api/v1/trace/{code}/backward|forward and
 * GET /api/v1/trace/recall.
 *
 * NOTES ON THE DESIGN
 *  1. The walk is a breadth-first search over work items (node, time
 *     window [lo, hi], the unit the item speaks for). The root's window is
 *     unbounded. For each item we read the events that name the node (as an
 *     EPC in any role, or as an EPC class in a quantity list) whose
 *     eventTime lies in the window, oldest first.
 *  2. Containment is time-bounded. An AggregationEvent (or
 *     AssociationEvent) ADD of child C to parent P at time t opens an
 *     interval that the first later DELETE of C from P - or a DELETE of P
 *     with no children, which empties it - closes. P then becomes an item
 *     with window [t, t_delete] speaking for C: a station's OBSERVE of the
 *     tray inside that window is where the vial was; the same tray's
 *     observations while it carried other vials are not. This is why a
 *     tray reused for many vials does not smear every vial's history into
 *     every other's. Containers nest (vial -> case -> pallet) the same way.
 *  3. A container reached through containment never hands its other
 *     children to the walk (they are siblings of the unit, not part of its
 *     chain). Only when the root itself is a container are its children
 *     listed (and, walking forward, followed).
 *  4. TransformationEvents connect lots and units: forward, a node among
 *     the inputs (EPC or class) reaches every output from the event's time
 *     on; backward, a node among the outputs reaches every input up to the
 *     event's time. Outputs are new units; a recall lists the serialised
 *     ones (SGTINs and China drug codes) among everything reached.
 *  5. ObjectEvents and TransactionEvents add to the timeline only; the
 *     latest event per unit with a bizLocation (else a readPoint) is its
 *     last known location, the latest with a disposition its disposition.
 *  6. Work is bounded: at most TRACE_WALK_MAX_NODES nodes,
 *     TRACE_WALK_MAX_DEPTH hops from the root, TRACE_WALK_MAX_EVENTS
 *     events, and 1000 events per node; past any bound the answer says
 *     "truncated": true instead of growing. Each (node, window, unit) item
 *     is visited once, so cycles (a lot reworked into itself) end.
 *  7. Tenancy: every read carries the tenant filter, so an enterprise's
 *     walk stops at its own events; auditors and park admins walk all.
 */
#include "trace/trace.h"

#include <stdlib.h>
#include <string.h>

#define WALK_EVENTS_PER_NODE 1000
#define WALK_INF INT64_MAX
#define WALK_NINF INT64_MIN

struct walk_item {
	char *node;    /* canonical id (owned) */
	char *unit;    /* the unit this item speaks for (owned) */
	int64_t lo, hi;
	int depth;
	bool root;
};

struct walk {
	struct store_conn *c;
	const char *tenant;           /* borrowed; NULL: all tenants */
	enum trace_walk_dir dir;
	json_t *nodes;                /* id -> node object */
	json_t *node_list;            /* array of the same objects, in order */
	json_t *edges;                /* array */
	json_t *edge_seen;            /* "from|to|event" -> true */
	json_t *events;               /* row id -> event body */
	json_t *timeline;             /* array of {time_ms, ...} */
	json_t *units;                /* unit id -> {location, ...} (recall) */
	json_t *visited;              /* "node|lo|hi" -> true */
	struct walk_item *q;          /* queue (owned) */
	size_t qn, qhead, qcap;
	bool truncated;
};

static const char *walk__kind(const char *id)
{
	struct trace_id t;
	if (trace_id_parse(id, &t, NULL) != 0)
		return "other";
	switch (t.kind) {
	case TRACE_ID_SGTIN: case TRACE_ID_CNDRUG: return "unit";
	case TRACE_ID_LGTIN: return "lot";
	case TRACE_ID_GTIN: return "product";
	case TRACE_ID_SSCC: return "logistic_unit";
	case TRACE_ID_GRAI: case TRACE_ID_GIAI: return "asset";
	case TRACE_ID_SGLN: return "location";
	default: return "other";
	}
}

static void walk__node(struct walk *w, const char *id)
{
	static const char gs1[] = "https://id.gs1.org/";
	if (json_object_get(w->nodes, id))
		return;
	if (json_array_size(w->node_list) >= TRACE_WALK_MAX_NODES) {
		w->truncated = true;
		return;
	}
	const char *label = strncmp(id, gs1, sizeof(gs1) - 1) ? id : id + sizeof(gs1) - 1;
	json_t *n = json_pack("{s:s, s:s, s:s}", "id", id, "kind", walk__kind(id), "label", label);
	json_object_set(w->nodes, id, n);
	json_array_append_new(w->node_list, n);
}

static void walk__edge(struct walk *w, const char *from, const char *to, const char *kind,
		       const char *event_id, int64_t t)
{
	char tm[PL_TIME_STRLEN];
	struct pl_buf k;

	pl_buf_init(&k, 3 * TRACE_ID_MAX + 16);
	pl_buf_printf(&k, "%s|%s|%s", from, to, event_id);
	if (k.data && !json_object_get(w->edge_seen, k.data)) {
		json_object_set_new(w->edge_seen, k.data, json_true());
		pl_time_format(t, tm);
		json_array_append_new(w->edges, json_pack("{s:s, s:s, s:s, s:s, s:s}", "from", from,
							  "to", to, "kind", kind,
							  "event_id", event_id, "time", tm));
	}
	pl_buf_release(&k);
}

static void walk__push(struct walk *w, const char *node, const char *unit, int64_t lo,
		       int64_t hi, int depth, bool root)
{
	char key[3 * TRACE_ID_MAX];

	/* The unit is part of the key: a case reached from two of its vials
	 * is walked once per vial, so each learns where the case went. */
	if (lo > hi)
		return;
	if (depth > TRACE_WALK_MAX_DEPTH) {
		w->truncated = true;
		return;
	}
	pl_fmt(key, sizeof(key), "%.500s|%lld|%lld|%.500s", node, (long long)lo, (long long)hi,
	       unit);
	if (json_object_get(w->visited, key))
		return;
	json_object_set_new(w->visited, key, json_true());
	walk__node(w, node);
	if (!json_object_get(w->nodes, node))
		return; /* node cap reached */
	if (w->qn == w->qcap) {
		w->qcap = w->qcap ? 2 * w->qcap : 64;
		w->q = pl_realloc(w->q, w->qcap * sizeof(*w->q));
	}
	w->q[w->qn++] = (struct walk_item){ pl_strdup(node), pl_strdup(unit), lo, hi, depth, root };
}

/* Updates the unit's last known location / disposition (note 5). */
static void walk__unit_see(struct walk *w, const char *unit, const json_t *ev)
{
	json_t *u = json_object_get(w->units, unit);
	int64_t t = json_integer_value(json_object_get(ev, "event_time_ms"));
	const char *loc = pl_json_str(ev, "biz_location");
	const char *disp = pl_json_str(ev, "disposition");
	char tm[PL_TIME_STRLEN];

	if (!loc)
		loc = pl_json_str(ev, "read_point");
	if (!u) {
		u = json_pack("{s:n, s:n, s:n, s:n, s:I, s:I}", "location", "location_time",
			      "disposition", "disposition_time", "loc_ms", (json_int_t)WALK_NINF,
			      "disp_ms", (json_int_t)WALK_NINF);
		json_object_set_new(w->units, unit, u);
	}
	pl_time_format(t, tm);
	if (loc && t >= json_integer_value(json_object_get(u, "loc_ms"))) {
		json_object_set_new(u, "location", json_string(loc));
		json_object_set_new(u, "location_time", json_string(tm));
		json_object_set_new(u, "loc_ms", json_integer(t));
	}
	if (disp && t >= json_integer_value(json_object_get(u, "disp_ms"))) {
		json_object_set_new(u, "disposition", json_string(disp));
		json_object_set_new(u, "disposition_time", json_string(tm));
		json_object_set_new(u, "disp_ms", json_integer(t));
	}
}

/* End of the containment of child in parent opened at t (note 2). */
static int walk__contained_until(struct walk *w, const char *type, const char *parent,
				 const char *child, int64_t t, int64_t *out)
{
	json_t *row = NULL;
	struct store_param p[] = { SP_TEXT(parent), SP_TEXT(type), SP_INT(t), SP_TEXT(w->tenant),
				   SP_TEXT(w->tenant), SP_TEXT(child) };
	int rc = store_query_one(w->c,
		"SELECT min(e.event_time_ms) AS t FROM trace_events e WHERE e.parent_id = ? "
		"AND e.type = ? AND e.action = 'DELETE' AND e.event_time_ms >= ? "
		"AND (? IS NULL OR e.enterprise_id = ?) "
		"AND (EXISTS (SELECT 1 FROM trace_event_epcs x WHERE x.event_row = e.id "
		"AND x.role = 'child' AND x.epc = ?) OR NOT EXISTS (SELECT 1 FROM "
		"trace_event_epcs x WHERE x.event_row = e.id AND x.role = 'child'))",
		p, STORE_NP(p), &row);
	if (rc)
		return rc;
	json_t *v = json_object_get(row, "t");
	*out = json_is_integer(v) ? json_integer_value(v) : WALK_INF;
	json_decref(row);
	return 0;
}

static void walk__timeline(struct walk *w, const json_t *ev, const char *node,
			   const struct walk_item *it)
{
	const char *rid = pl_json_str(ev, "id");
	char tm[PL_TIME_STRLEN];
	int64_t t = json_integer_value(json_object_get(ev, "event_time_ms"));

	walk__unit_see(w, it->unit, ev);
	if (json_object_get(w->events, rid))
		return; /* each event once on the timeline */
	if (json_object_size(w->events) >= TRACE_WALK_MAX_EVENTS) {
		w->truncated = true;
		return;
	}
	json_object_set(w->events, rid, json_object_get(ev, "body_json"));
	pl_time_format(t, tm);
	json_t *e = json_pack("{s:I, s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:s}",
			      "time_ms", (json_int_t)t, "time", tm, "event_id", pl_json_str(ev, "event_id"),
			      "type", json_object_get(ev, "type"), "action", json_object_get(ev, "action"),
			      "biz_step", json_object_get(ev, "biz_step"),
			      "disposition", json_object_get(ev, "disposition"),
			      "read_point", json_object_get(ev, "read_point"),
			      "biz_location", json_object_get(ev, "biz_location"),
			      "node", node, "unit", it->unit);
	json_t *body = json_object_get(ev, "body_json");
	/* Inspection verdicts carry their evidence as extension members;
	 * pass the event's own body so the UI can show images and classes. */
	if (body)
		json_object_set(e, "event", body);
	json_array_append_new(w->timeline, e);
}

static int walk__item(struct walk *w, const struct walk_item *it)
{
	json_t *evs = NULL;
	struct store_param p[] = { SP_TEXT(it->node), SP_TEXT(it->node), SP_INT(it->lo),
				   SP_INT(it->hi), SP_TEXT(w->tenant), SP_TEXT(w->tenant) };
	int rc = store_query_json(w->c,
		"SELECT e.id, e.event_id, e.type, e.action, e.event_time_ms, e.biz_step, "
		"e.disposition, e.read_point, e.biz_location, e.parent_id, e.body_json "
		"FROM trace_events e WHERE e.id IN (SELECT event_row FROM trace_event_epcs "
		"WHERE epc = ? UNION SELECT event_row FROM trace_event_qty WHERE epc_class = ?) "
		"AND e.event_time_ms >= ? AND e.event_time_ms <= ? "
		"AND (? IS NULL OR e.enterprise_id = ?) ORDER BY e.event_time_ms, e.id LIMIT 1001",
		p, STORE_NP(p), WALK_EVENTS_PER_NODE + 1, &evs);

	if (rc == PL_ETOOBIG || json_array_size(evs) > WALK_EVENTS_PER_NODE) {
		w->truncated = true;
		if (rc == PL_ETOOBIG)
			return 0;
	}
	for (size_t i = 0; rc == 0 && i < json_array_size(evs) && i < WALK_EVENTS_PER_NODE; i++) {
		json_t *ev = json_array_get(evs, i), *mem = NULL;
		const char *type = pl_json_str(ev, "type"), *action = pl_json_str(ev, "action");
		const char *eid = pl_json_str(ev, "event_id"), *parent = pl_json_str(ev, "parent_id");
		int64_t t = json_integer_value(json_object_get(ev, "event_time_ms"));
		bool as_child = false, as_parent = false, as_in = false, as_out = false;
		bool containment = type && (!strcmp(type, "AggregationEvent") ||
					    !strcmp(type, "AssociationEvent"));

		struct store_param pm[] = { SP_TEXT(pl_json_str(ev, "id")), SP_TEXT(pl_json_str(ev, "id")) };
		rc = store_query_json(w->c, "SELECT role, epc FROM trace_event_epcs WHERE event_row = ? "
				      "UNION ALL SELECT role, epc_class FROM trace_event_qty "
				      "WHERE event_row = ?", pm, 2, 100000, &mem);
		if (rc)
			break;
		for (size_t j = 0; j < json_array_size(mem); j++) {
			const json_t *m = json_array_get(mem, j);
			if (strcmp(pl_json_str(m, "epc"), it->node))
				continue;
			const char *role = pl_json_str(m, "role");
			as_child |= !strcmp(role, "child");
			as_parent |= !strcmp(role, "parent");
			as_in |= !strcmp(role, "input");
			as_out |= !strcmp(role, "output");
		}
		walk__timeline(w, ev, it->node, it);
		if (containment && as_child && parent && action && !strcmp(action, "ADD")) {
			int64_t until;
			rc = walk__contained_until(w, type, parent, it->node, t, &until);
			if (rc)
				break;
			walk__edge(w, it->node, parent, !strcmp(type, "AggregationEvent")
				   ? "contained_in" : "associated_with", eid, t);
			walk__push(w, parent, it->unit, t > it->lo ? t : it->lo,
				   until < it->hi ? until : it->hi, it->depth + 1, false);
		} else if (containment && as_parent && it->root && action && !strcmp(action, "ADD")) {
			for (size_t j = 0; j < json_array_size(mem); j++) {
				const json_t *m = json_array_get(mem, j);
				const char *ch = pl_json_str(m, "epc");
				if (strcmp(pl_json_str(m, "role"), "child"))
					continue;
				walk__node(w, ch);
				walk__edge(w, ch, it->node, "contained_in", eid, t);
				if (w->dir == TRACE_WALK_FORWARD)
					walk__push(w, ch, ch, t, it->hi, it->depth + 1, false);
			}
		} else if (type && !strcmp(type, "TransformationEvent")) {
			bool fwd = w->dir == TRACE_WALK_FORWARD;
			if ((fwd && as_in) || (!fwd && as_out)) {
				const char *want = fwd ? "output" : "input";
				for (size_t j = 0; j < json_array_size(mem); j++) {
					const json_t *m = json_array_get(mem, j);
					const char *o = pl_json_str(m, "epc");
					if (strcmp(pl_json_str(m, "role"), want) || !strcmp(o, it->node))
						continue;
					walk__node(w, o);
					if (fwd) {
						walk__edge(w, it->node, o, "transformed_into", eid, t);
						walk__push(w, o, o, t, WALK_INF, it->depth + 1, false);
					} else {
						walk__edge(w, o, it->node, "transformed_into", eid, t);
						walk__push(w, o, o, WALK_NINF, t, it->depth + 1, false);
					}
				}
			}
		}
		json_decref(mem);
	}
	json_decref(evs);
	return rc;
}

static int walk__cmp_time(const void *a, const void *b)
{
	int64_t x = json_integer_value(json_object_get(*(json_t *const *)a, "time_ms"));
	int64_t y = json_integer_value(json_object_get(*(json_t *const *)b, "time_ms"));
	return x < y ? -1 : x > y;
}

/* Runs the walk from code; on success w holds the graph. */
static int walk__run(struct walk *w, struct store_conn *c, const char *tenant,
		     const char *code, enum trace_walk_dir dir, char root[TRACE_ID_MAX])
{
	struct trace_id id;
	int rc;

	memset(w, 0, sizeof(*w));
	w->c = c;
	w->tenant = tenant;
	w->dir = dir;
	w->nodes = json_object();
	w->node_list = json_array();
	w->edges = json_array();
	w->edge_seen = json_object();
	w->events = json_object();
	w->timeline = json_array();
	w->units = json_object();
	w->visited = json_object();
	rc = trace_id_parse(code, &id, NULL);
	if (rc == PL_ENOTFOUND) {
		if (strlen(code) >= TRACE_ID_MAX)
			return PL_EINVAL;
		pl_strlcpy(id.canon, code, sizeof(id.canon));
	} else if (rc) {
		return PL_EINVAL;
	}
	pl_strlcpy(root, id.canon, TRACE_ID_MAX);
	walk__push(w, root, root, WALK_NINF, WALK_INF, 0, true);
	for (; w->qhead < w->qn; w->qhead++) {
		rc = walk__item(w, &w->q[w->qhead]);
		if (rc)
			return rc;
	}
	if (json_object_size(w->events) == 0)
		return PL_ENOTFOUND;
	/* Timeline in time order; the sort key is internal. */
	size_t n = json_array_size(w->timeline);
	json_t **v = pl_calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(w->timeline, i));
	qsort(v, n, sizeof(*v), walk__cmp_time);
	json_array_clear(w->timeline);
	for (size_t i = 0; i < n; i++) {
		json_object_del(v[i], "time_ms");
		json_array_append_new(w->timeline, v[i]);
	}
	free(v);
	return 0;
}

static void walk__release(struct walk *w)
{
	for (size_t i = 0; i < w->qn; i++) {
		free(w->q[i].node);
		free(w->q[i].unit);
	}
	free(w->q);
	json_decref(w->nodes);
	json_decref(w->node_list);
	json_decref(w->edges);
	json_decref(w->edge_seen);
	json_decref(w->events);
	json_decref(w->timeline);
	json_decref(w->units);
	json_decref(w->visited);
}

int trace_walk(struct store_conn *c, const char *tenant, const char *code,
	       enum trace_walk_dir dir, json_t **out)
{
	struct walk w;
	char root[TRACE_ID_MAX];
	int rc = walk__run(&w, c, tenant, code, dir, root);

	*out = NULL;
	if (rc == 0) {
		json_t *evs = json_array(), *v;
		const char *k;
		json_object_foreach(w.events, k, v)
			json_array_append(evs, v);
		*out = json_pack("{s:s, s:s, s:O, s:O, s:o, s:O, s:b}", "root", root,
				 "direction", dir == TRACE_WALK_FORWARD ? "forward" : "backward",
				 "nodes", w.node_list, "edges", w.edges, "events", evs,
				 "timeline", w.timeline, "truncated", w.truncated);
	}
	walk__release(&w);
	return rc;
}

int trace_recall(struct store_conn *c, const char *tenant, const char *code, json_t **out)
{
	struct walk w;
	char root[TRACE_ID_MAX];
	int rc = walk__run(&w, c, tenant, code, TRACE_WALK_FORWARD, root);

	*out = NULL;
	if (rc == 0) {
		json_t *units = json_array(), *by_loc = json_object();
		for (size_t i = 0; i < json_array_size(w.node_list); i++) {
			const json_t *n = json_array_get(w.node_list, i);
			const char *id = pl_json_str(n, "id");
			if (strcmp(pl_json_str(n, "kind"), "unit") || !strcmp(id, root))
				continue;
			json_t *u = json_object_get(w.units, id);
			const char *loc = u ? pl_json_str(u, "location") : NULL;
			json_array_append_new(units, json_pack(
				"{s:s, s:O, s:o, s:o, s:o, s:o}", "id", id,
				"label", json_object_get(n, "label"),
				"location", u ? json_incref(json_object_get(u, "location")) : json_null(),
				"location_time", u ? json_incref(json_object_get(u, "location_time")) : json_null(),
				"disposition", u ? json_incref(json_object_get(u, "disposition")) : json_null(),
				"disposition_time", u ? json_incref(json_object_get(u, "disposition_time")) : json_null()));
			const char *key = loc ? loc : "unknown";
			json_object_set_new(by_loc, key, json_integer(
				json_integer_value(json_object_get(by_loc, key)) + 1));
		}
		*out = json_pack("{s:s, s:I, s:o, s:o, s:b}", "root", root,
				 "total", (json_int_t)json_array_size(units), "units", units,
				 "by_location", by_loc, "truncated", w.truncated);
	}
	walk__release(&w);
	return rc;
}
