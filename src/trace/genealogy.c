/*
 * genealogy.c - backward and forward traces and recalls over the stored
 * EPCIS events: GET /api/v1/trace/{code}/backward|forward and
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
 *  6. Work is bounded: at most TRACE_WALK_MAX_NODES nodes (a recall:
 *     RECALL_MAX_NODES, so a 100,000-unit lot is listed whole),
 *     TRACE_WALK_MAX_DEPTH hops from the root, TRACE_WALK_MAX_EVENTS
 *     events, and 1000 events per node; past any bound the answer says
 *     "truncated": true instead of growing. Each (node, window, unit) item
 *     is visited once, so cycles (a lot reworked into itself) end.
 *  7. Tenancy: every read carries the tenant filter (TRACE__VISIBLE_SQL:
 *     its own events and shipments naming one of its GLNs), so an
 *     enterprise's walk stops at what it may see; auditors and park admins
 *     walk all.
 *  8. The walk is set-based (issue 4's recall goal; a recall goes further,
 *     notes 11 and 12): the queue is taken in
 *     chunks (items in queue order, up to WALK_CHUNK_NODES distinct
 *     nodes), and a chunk's reads are a few IN (...) queries of up to
 *     WALK_BATCH values each - the events naming any of its nodes inside
 *     that node's window (note 14), the member lists of the events that need
 *     them, and the childless DELETEs (emptying) of the parents reached -
 *     instead of one query per item, per event and per ADD. Items are
 *     then processed one by one in queue order against those rows, so
 *     the graph is the one the item-by-item walk gave. A containment's
 *     end (note 2) comes from the child's own events (a DELETE naming it
 *     is one of them) or from an emptying DELETE; either bound beyond the
 *     item's window is clamped to the window, so reading only inside it
 *     loses nothing. IN lists are padded to a few fixed lengths so the
 *     store's prepared-statement cache keeps them. A recall keeps no
 *     timeline, event bodies or edges (it reports units only).
 *  9. A unit's backward trace stays small (issue 4's 50 ms goal). The
 *     chunk reads carry no event bodies: the bodies of the events that
 *     joined the timeline are read once at the end, by primary key
 *     (walk__bodies), so rows outside an item's window cost no body text.
 *     And walking backward, a TransformationEvent in which a node other
 *     than the root is only an input is not applied: it is the lot's
 *     consumption into other outputs - every other vial filled from the
 *     batch - which leads forward, to the unit's siblings, gives no
 *     backward edge and is not the unit's history (note 3's rule for a
 *     container's other children). A vial late in a 100,000-vial batch
 *     no longer carries every earlier filling event (550 outputs, ~23 kB
 *     each) in its timeline. Traced backward itself, the lot still lists
 *     its consumptions.
 * 10. A recall probes each container's emptying DELETEs (note 15) once.
 *     Trays are reused all through the store, so a chunk's probe (every DELETE of
 *     its parents inside the chunk's wide window, each checked for
 *     children) read nearly all of a tray's DELETEs again in every chunk:
 *     two thirds of a 100,000-unit recall on a 720 k-event store. A
 *     recall now probes a parent the first time one of its chunks needs
 *     it, over all time, and keeps what it found for the later chunks (a
 *     unit's walk keeps the windowed probe: it enters few containers,
 *     and a probe over all time would read a reused tray's whole life).
 * 11. A recall reads set-wise (issue 4's 2 s goal). Note 8's join gave one
 *     row per (node, event) and re-read everything per chunk: a filling
 *     event once per vial it filled, a tray's ADD and DELETE once per
 *     vial on it, and a tray reused all through the store its whole life
 *     again in every chunk that held it (two chunks of the bench's
 *     100,000-vial recall read 270 k tray events, 177 k distinct). Now a
 *     recall reads each node's member rows once (walk__refs: the
 *     (epc|epc_class, time, event_row, role) indexes alone, inside the
 *     node's window: note 14), then each distinct event once (walk__rows:
 *     by primary key, in row order, without eventID or bizStep - a recall
 *     shows neither), and keeps both for the rest of the recall; a row
 *     hidden from the tenant is asked for once and marked so. A chunk's
 *     events are the kept rows inside each node's window
 *     (chunk__expand): the rows the join gave, so the graph is the same.
 *     Locations and
 *     dispositions are interned once per row read (walk__ev_intern), not
 *     once per item and event. With no tenant (auditors, park admins)
 *     the tenant filter is always true and is left out of the SQL
 *     (SQLite spent ~2 us a row evaluating it). Memory: the kept rows
 *     share one arena capped like a chunk's (WALK_ARENA_CAP; past it the
 *     recall stops, "truncated").
 * 12. A recall applies a window once. Its non-root items that share
 *     (node, lo, hi) - the vials loaded together onto a tray share the
 *     tray's containment window - see the same events. When none of them
 *     pushes or needs a member list (walk__unit_only: no ADD of the node
 *     into a parent, no transformation input), an item only moves its
 *     unit's last location and disposition, so the window is summarised
 *     once per chunk (chunk__sum: its event count, the last event with a
 *     location, the last with a disposition, whether it passes
 *     WALK_EVENTS_PER_NODE) and each item takes the summary
 *     (walk__sum_apply). That is the state event-by-event application
 *     leaves: events come in time order and replace on ">=", so the last
 *     one wins whenever any would. Windows that push are applied item by
 *     item as before. On the bench's store most tray windows are open to
 *     the end of time (a cycle's ADD and DELETE share one instant and the
 *     DELETE's row sorts first, so the containment's end is not found
 *     after the ADD - note 2 as written): 97,580 tray items walked ~17 M
 *     events; now each distinct window is walked once.
 * 13. A recall's bookkeeping is plain C: its nodes are an smap (id ->
 *     order reached) instead of a JSON object each, the queue's strings
 *     are interned (ids), smap slots keep key, length, hash and value
 *     together with the key texts in blocks, and the answer's times are
 *     formatted once per distinct instant. trace__recall_generic runs the
 *     same recall without notes 11 and 12 (the join, item by item); the
 *     tests compare the two answers on random stores.
 * 14. Reads are per node window (issue 4's goals on a 10 M-event store).
 *     A chunk's window used to be one [lo, hi] for all its nodes - the
 *     union of its items' windows, which for a chunk holding a vial (the
 *     root, unbounded) or a lot is all of time - and the member indexes
 *     had no time, so a tray reused 1,100 times cost all its ~8,800
 *     events in every vial's trace (113 ms CPU at p50) and a recall read
 *     them by primary key in every chunk (43-63 s). Migration 26 copies
 *     the event time into the member rows and indexes (id, time, row,
 *     role); each chunk node now has its own window, the union of its own
 *     items' windows (ch->nlo, nhi), and a read is one VALUES list of
 *     (node, lo, hi) joined to that index (walk__win_sql), one index range
 *     per node. A recall remembers the window each node was read over
 *     (w->rlo, rhi) and reads only what a later window adds below or
 *     above it, so every member row is still read once; the time read
 *     with it (walk__rev) lets step 2 skip the events outside a window
 *     without reading them. Clamping (note 8) is unchanged: every item's
 *     window lies inside its node's.
 * 15. An emptying DELETE (note 2) is marked when captured
 *     (trace_events.empties, migration 26: a DELETE with a parent and no
 *     childEPCs) under a partial index, so note 10's probe reads the
 *     marked rows only, not every DELETE of a tray with its member check.
 */
#include "trace_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define WALK_EVENTS_PER_NODE 1000
#define WALK_INF INT64_MAX
#define WALK_NINF INT64_MIN
#define WALK_BATCH 256              /* values per IN (...) list (note 8) */
#define WALK_CHUNK_NODES 1024       /* distinct nodes per chunk */
#define WALK_CHUNK_ITEMS 200000     /* items per chunk (bounds its memory) */
#define WALK_ARENA_CAP ((size_t)1 << 30) /* a chunk's row text; past it: truncated */
#define RECALL_MAX_NODES 250000

/* The roles a node plays in an event, as bits. */
enum { R_EPC = 1, R_CHILD = 2, R_INPUT = 4, R_OUTPUT = 8, R_PARENT = 16 };

static void *walk__grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 256;
	return pl_realloc(p, *cap * size);
}

/* A string -> index map, open addressing (a multiply-xorshift hash over
 * 8-byte words, linear probing, at most half full), keys
 * owned and length-counted (a visited key holds binary times). The walk's
 * sets reach hundreds of thousands of entries in a recall, where jansson
 * objects keyed by formatted strings cost a third of the time. A slot
 * holds the key's pointer, length, 32 bits of its hash and the value
 * together (one cache line per probe, the key text touched only on a hash
 * match), and the key texts are carved from blocks the map owns (one
 * malloc per SMAP_BLOCK bytes, not per key): note 13. */
#define SMAP_BLOCK ((size_t)64 * 1024)

struct smap_slot {
	char *key;                    /* NULL: empty */
	uint32_t len, h;              /* key length; the hash's low 32 bits */
	size_t val;
};

struct smap {
	struct smap_slot *s;
	size_t cap, n;
	char **blk;                   /* key text blocks (owned) */
	size_t nblk, blkcap, used;    /* bytes used in the last block */
};

/* The slot of key k (n bytes, hash h): its own, or the empty one it would
 * take. */
static size_t smap__slot_h(const struct smap *m, const char *k, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);
	const struct smap_slot *s;

	while ((s = &m->s[i])->key &&
	       (s->h != (uint32_t)h || s->len != n || memcmp(s->key, k, n)))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static size_t smap__slot(const struct smap *m, const char *k, size_t n)
{
	return smap__slot_h(m, k, n, pl_hash64(k, n));
}

/* Index stored for k, or SIZE_MAX. */
static size_t smap_get(const struct smap *m, const char *k, size_t n)
{
	if (!m->cap)
		return SIZE_MAX;
	size_t i = smap__slot(m, k, n);
	return m->s[i].key ? m->s[i].val : SIZE_MAX;
}

/* The map's own copy of key k (valid until smap_free), or NULL. */
static const char *smap_key(const struct smap *m, const char *k, size_t n)
{
	return m->cap ? m->s[smap__slot(m, k, n)].key : NULL;
}

/* n + 1 bytes for a key's copy, from the map's blocks. */
static char *smap__text(struct smap *m, size_t n)
{
	if (!m->nblk || m->used + n + 1 > SMAP_BLOCK) {
		size_t sz = n + 1 > SMAP_BLOCK ? n + 1 : SMAP_BLOCK;
		m->blk = walk__grow(m->blk, &m->blkcap, m->nblk, sizeof(*m->blk));
		m->blk[m->nblk++] = pl_malloc(sz);
		m->used = 0;
	}
	char *p = m->blk[m->nblk - 1] + m->used;
	m->used += n + 1;
	return p;
}

/* Doubles the slot array (keys stay where they are). */
static void smap__grow(struct smap *m)
{
	size_t cap = m->cap ? 2 * m->cap : 256;
	struct smap_slot *s = pl_calloc(cap, sizeof(*s));

	for (size_t i = 0; i < m->cap; i++) {
		if (!m->s[i].key)
			continue;
		size_t j = (size_t)m->s[i].h & (cap - 1);
		while (s[j].key)
			j = (j + 1) & (cap - 1);
		s[j] = m->s[i];
	}
	free(m->s);
	m->s = s;
	m->cap = cap;
}

/* Adds k -> v unless present; returns the index now stored for k and
 * sets *added. The key is copied. Keys are shorter than 4 GB (ids and
 * visited keys are a few hundred bytes at most). */
static size_t smap_put(struct smap *m, const char *k, size_t n, size_t v, bool *added)
{
	uint64_t h = pl_hash64(k, n);

	assert(n < UINT32_MAX);
	if (2 * (m->n + 1) > m->cap)
		smap__grow(m);
	size_t i = smap__slot_h(m, k, n, h);
	*added = !m->s[i].key;
	if (*added) {
		char *t = smap__text(m, n);
		memcpy(t, k, n);
		t[n] = 0;
		m->s[i] = (struct smap_slot){ t, (uint32_t)n, (uint32_t)h, v };
		m->n++;
	}
	return m->s[i].val;
}

static void smap_free(struct smap *m)
{
	for (size_t i = 0; i < m->nblk; i++)
		free(m->blk[i]);
	free(m->blk);
	free(m->s);
}

/* A unit's last known location and disposition (note 5); the strings are
 * interned in the walk's strs map. */
struct wunit {
	int64_t loc_ms, disp_ms;
	const char *loc, *disp;
};

struct walk_item {
	const char *node;  /* canonical id (interned in the walk's ids) */
	const char *unit;  /* the unit this item speaks for (interned in ids) */
	int64_t lo, hi;
	int depth;
	bool root;
};

/* One event naming one of a chunk's nodes (strings in the chunk arena). */
struct wev {
	size_t node;                  /* index into the chunk's nodes */
	const char *row, *event_id, *type, *action, *biz_step, *disposition;
	const char *read_point, *biz_location, *parent;
	const char *loc, *disp;       /* interned in the walk's strs (note 11) */
	int64_t t;
	unsigned roles;
};

/* A recall's member row (note 11): a node names event rev[ev] in these
 * roles; a node's rows are a list through next (SIZE_MAX ends it). */
struct wref {
	size_t ev;                    /* index into the walk's rev */
	size_t next;                  /* the node's next row in rref */
	unsigned roles;
};

/* What a recall knows of an event row (note 11): not read yet, listed for
 * this chunk's read, read and kept, or hidden from the tenant (asked once:
 * what the tenant sees does not depend on the window). */
enum { REV_UNREAD, REV_LISTED, REV_READ, REV_HIDDEN };

/* One member of an event: (row, role, id), kept in the order read. */
struct wmem {
	const char *row, *role, *id;
	size_t seq;
};

/* A childless DELETE of a parent (note 2: it empties the container). */
struct wempty {
	const char *parent, *type;
	int64_t t;
};

struct walk {
	struct store_conn *c;
	const char *tenant;           /* borrowed; NULL: all tenants */
	enum trace_walk_dir dir;
	bool recall;                  /* units only: no timeline, bodies, edges */
	bool setwise;                 /* a recall's reads and summaries (notes 11, 12) */
	size_t max_nodes;
	json_t *nodes;                /* id -> node object */
	json_t *node_list;            /* array of the same objects, in order */
	json_t *edges;                /* array */
	json_t *edge_seen;            /* "from|to|event" -> true */
	json_t *events;               /* row id -> event body */
	json_t *timeline;             /* array of {time_ms, ...} */
	struct smap units;            /* unit id -> index into unit (note 5) */
	struct wunit *unit;
	size_t unitcap;
	struct smap strs;             /* interned locations and dispositions */
	struct smap visited;          /* (node, unit, lo, hi) -> 1 */
	struct walk_item *q;          /* queue (owned) */
	struct smap ids;              /* the queue's node and unit ids, interned */
	size_t qn, qhead, qcap;
	bool truncated;
	/* a recall's emptying DELETEs (note 10): parents probed over all
	 * time, and what they gave (strings interned in strs) */
	struct smap probed;
	struct wempty *emp;
	size_t nemp, empcap;
	/* a recall's nodes (note 13): id -> index, ids in order (map keys) */
	struct smap rnodes;           /* node id -> its place in rnid */
	const char **rnid;            /* the nodes in the order reached (map keys) */
	size_t rnidcap;
	/* a recall's member and event rows, read once per recall (note 11) */
	struct pl_arena *ra;          /* their strings */
	struct smap rread;            /* nodes whose member rows were read -> index into rhead */
	size_t *rhead;                /* first of the node's rows in rref */
	int64_t *rlo, *rhi;           /* the window whose rows were read (note 14) */
	size_t rheadcap, rlocap, rhicap;
	struct wref *rref;            /* the member rows read */
	size_t nrref, rrefcap;
	struct smap rrow;             /* event row -> index into rev */
	struct wev *rev;              /* each event once (node and roles unset) */
	unsigned char *rstate;        /* REV_* per rev */
	size_t nrev, revcap, rstatecap;
};

/* What a recall's non-root item does with the events of its window
 * (node, lo, hi), worked out once per window (note 12). */
struct wsum {
	size_t n;                     /* events in it, at most WALK_EVENTS_PER_NODE */
	bool simple;                  /* every event only updates the unit record */
	bool cut;                     /* more than WALK_EVENTS_PER_NODE: truncated */
	const struct wev *loc, *disp; /* the last event with a location / disposition */
};

/* What one chunk read (note 8); everything is released by chunk__free. */
struct chunk {
	struct pl_arena *a;
	const char **nodes;           /* borrowed from the queue's items */
	int64_t *nlo, *nhi;           /* node k's window: its items' union (note 14) */
	size_t nn;
	struct smap nidx;             /* node -> index */
	struct wev *ev;
	size_t nev, evcap;
	size_t *nstart;               /* node k's events: ev[nstart[k] .. nstart[k+1]) */
	struct wmem *mem;
	size_t nmem, memcap;
	struct wempty *emp;
	size_t nemp, empcap;
	/* a recall's window summaries (note 12) */
	struct smap sumix;            /* (node index, lo, hi) -> index into sum */
	struct wsum *sum;
	size_t nsum, sumcap;
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

static const char walk__gs1[] = "https://id.gs1.org/";

/* A node's label: its id without the GS1 Digital Link host. */
static const char *walk__label(const char *id)
{
	size_t n = sizeof(walk__gs1) - 1;
	return strncmp(id, walk__gs1, n) ? id : id + n;
}

/* Is id a node of the walk? */
static bool walk__has_node(const struct walk *w, const char *id)
{
	if (w->recall)
		return smap_get(&w->rnodes, id, strlen(id)) != SIZE_MAX;
	return json_object_get(w->nodes, id) != NULL;
}

/* A recall's node (note 13): an index in rnodes, its id the map's key,
 * and whether it is a serialised unit - no JSON until the answer. */
static void walk__rnode(struct walk *w, const char *id)
{
	size_t n = strlen(id);
	bool added;

	if (smap_get(&w->rnodes, id, n) != SIZE_MAX)
		return;
	if (w->rnodes.n >= w->max_nodes) {
		w->truncated = true;
		return;
	}
	size_t i = smap_put(&w->rnodes, id, n, w->rnodes.n, &added);
	w->rnid = walk__grow(w->rnid, &w->rnidcap, i, sizeof(*w->rnid));
	w->rnid[i] = smap_key(&w->rnodes, id, n);
}

static void walk__node(struct walk *w, const char *id)
{
	if (w->recall) {
		walk__rnode(w, id);
		return;
	}
	if (json_object_get(w->nodes, id))
		return;
	if (json_array_size(w->node_list) >= w->max_nodes) {
		w->truncated = true;
		return;
	}
	const char *label = walk__label(id);
	json_t *n = json_pack("{s:s, s:s, s:s}", "id", id, "kind", walk__kind(id), "label", label);
	json_object_set(w->nodes, id, n);
	json_array_append_new(w->node_list, n);
}

static void walk__edge(struct walk *w, const char *from, const char *to, const char *kind,
		       const char *event_id, int64_t t)
{
	char tm[PL_TIME_STRLEN];
	struct pl_buf k;

	if (w->recall)
		return; /* a recall reports units, not the graph */
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

/* id interned in w->ids: a queue item's strings live as long as the walk
 * (one copy per distinct id, not two mallocs per item). */
static const char *walk__id(struct walk *w, const char *id)
{
	size_t n = strlen(id);
	bool added;

	smap_put(&w->ids, id, n, 0, &added);
	return smap_key(&w->ids, id, n);
}

static void walk__push(struct walk *w, const char *node, const char *unit, int64_t lo,
		       int64_t hi, int depth, bool root)
{
	char key[2 * TRACE_ID_MAX + 2 + 2 * sizeof(int64_t)];
	size_t nl = strnlen(node, TRACE_ID_MAX - 1), ul = strnlen(unit, TRACE_ID_MAX - 1);
	bool added;

	/* The unit is part of the key: a case reached from two of its vials
	 * is walked once per vial, so each learns where the case went. */
	if (lo > hi)
		return;
	if (depth > TRACE_WALK_MAX_DEPTH) {
		w->truncated = true;
		return;
	}
	/* node NUL unit NUL lo hi (binary; ids hold no NUL) */
	memcpy(key, node, nl);
	key[nl] = 0;
	memcpy(key + nl + 1, unit, ul);
	key[nl + 1 + ul] = 0;
	memcpy(key + nl + ul + 2, &lo, sizeof(lo));
	memcpy(key + nl + ul + 2 + sizeof(lo), &hi, sizeof(hi));
	smap_put(&w->visited, key, nl + ul + 2 + 2 * sizeof(int64_t), 1, &added);
	if (!added)
		return;
	walk__node(w, node);
	if (!walk__has_node(w, node))
		return; /* node cap reached */
	if (w->qn == w->qcap) {
		w->qcap = w->qcap ? 2 * w->qcap : 64;
		w->q = pl_realloc(w->q, w->qcap * sizeof(*w->q));
	}
	w->q[w->qn++] = (struct walk_item){ walk__id(w, node), walk__id(w, unit), lo, hi, depth,
					    root };
}

static json_t *walk__jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* s interned in w->strs: one copy of each location, disposition, parent
 * and type, valid until the walk is released; equal texts, equal
 * pointers. */
static const char *walk__intern(struct walk *w, const char *s)
{
	size_t n = strlen(s);
	bool added;

	smap_put(&w->strs, s, n, 0, &added);
	return smap_key(&w->strs, s, n);
}

/* The index of unit's record, created on first sight. */
static size_t walk__unit(struct walk *w, const char *unit)
{
	bool added;
	size_t i = smap_put(&w->units, unit, strlen(unit), w->units.n, &added);

	if (added) {
		w->unit = walk__grow(w->unit, &w->unitcap, i, sizeof(*w->unit));
		w->unit[i] = (struct wunit){ WALK_NINF, WALK_NINF, NULL, NULL };
	}
	return i;
}

/* ev->loc / ev->disp were interned when the chunk was read (note 11), so
 * an update is a pointer store. */
static void walk__unit_see(struct walk *w, size_t ui, const struct wev *ev)
{
	struct wunit *u = &w->unit[ui];

	if (ev->loc && ev->t >= u->loc_ms) {
		u->loc = ev->loc;
		u->loc_ms = ev->t;
	}
	if (ev->disp && ev->t >= u->disp_ms) {
		u->disp = ev->disp;
		u->disp_ms = ev->t;
	}
}

/* Interns an event's last-known location (bizLocation, else readPoint)
 * and disposition once per row read (note 11). */
static void walk__ev_intern(struct walk *w, struct wev *e)
{
	const char *loc = e->biz_location ? e->biz_location : e->read_point;

	e->loc = loc ? walk__intern(w, loc) : NULL;
	e->disp = e->disposition ? walk__intern(w, e->disposition) : NULL;
}

static void walk__timeline(struct walk *w, const struct wev *ev, const char *node,
			   const struct walk_item *it, size_t ui)
{
	char tm[PL_TIME_STRLEN];

	walk__unit_see(w, ui, ev);
	if (w->recall || json_object_get(w->events, ev->row))
		return; /* each event once on the timeline */
	if (json_object_size(w->events) >= TRACE_WALK_MAX_EVENTS) {
		w->truncated = true;
		return;
	}
	/* the body is read once the walk is done (walk__bodies, note 9) */
	json_object_set_new(w->events, ev->row, json_null());
	pl_time_format(ev->t, tm);
	json_t *e = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s}",
			      "time_ms", (json_int_t)ev->t, "_row", ev->row, "time", tm,
			      "event_id", ev->event_id,
			      "type", walk__jstr(ev->type), "action", walk__jstr(ev->action),
			      "biz_step", walk__jstr(ev->biz_step),
			      "disposition", walk__jstr(ev->disposition),
			      "read_point", walk__jstr(ev->read_point),
			      "biz_location", walk__jstr(ev->biz_location),
			      "node", node, "unit", it->unit);
	json_array_append_new(w->timeline, e);
}

/* ------------------------------------------------- the chunk's reads (8) */

static unsigned walk__role(const char *r)
{
	return !strcmp(r, "child") ? R_CHILD : !strcmp(r, "input") ? R_INPUT
	     : !strcmp(r, "output") ? R_OUTPUT : !strcmp(r, "parent") ? R_PARENT : R_EPC;
}

/* n padded to one of a few lengths, so each query has few SQL texts. */
static size_t walk__pad(size_t n)
{
	return n <= 1 ? 1 : n <= 16 ? 16 : WALK_BATCH;
}

static void walk__in(struct pl_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pl_buf_puts(b, i ? ",?" : "?");
}

/* Appends the tenant filter (note 7) to a WHERE clause and binds its
 * three parameters from p[at]; with no tenant (auditors, park admins)
 * the filter is always true and is left out - SQLite spends ~2 us a row
 * on it even so (note 11) - and binds nothing. */
static void walk__visible(const struct walk *w, struct pl_buf *sql, struct store_param *p,
			  size_t at)
{
	if (!w->tenant)
		return;
	pl_buf_puts(sql, " AND " TRACE__VISIBLE_SQL);
	p[at] = p[at + 1] = p[at + 2] = SP_TEXT(w->tenant);
}

/* Text of a column copied into the arena (NULL for SQL NULL); *oom set
 * when the arena is full. */
static const char *walk__col(struct pl_arena *a, struct store_rows *r, int col, bool *oom)
{
	if (store_rows_isnull(r, col))
		return NULL;
	const char *s = pl_arena_strdup(a, store_rows_text(r, col));
	if (!s)
		*oom = true;
	return s;
}

/* A node and the window its member rows are read in (note 14). */
struct wwin {
	const char *node;
	int64_t lo, hi;
};

/* Appends "WITH win (node, lo, hi) AS (VALUES ...)" of pn rows and binds
 * win[0 .. n) into p[0 .. 3 pn); the padding rows match nothing (a
 * repeated row would repeat its member rows). With "x.<id> = win.node AND
 * x.event_time_ms BETWEEN win.lo AND win.hi" each row is one range of the
 * member tables' (id, time) indexes (migration 26). */
static void walk__win_sql(struct pl_buf *sql, struct store_param *p, const struct wwin *win,
			  size_t n, size_t pn)
{
	pl_buf_puts(sql, "WITH win (node, lo, hi) AS (VALUES ");
	for (size_t i = 0; i < pn; i++) {
		pl_buf_puts(sql, i ? ", (?, CAST(? AS BIGINT), CAST(? AS BIGINT))"
				   : "(?, CAST(? AS BIGINT), CAST(? AS BIGINT))");
		p[3 * i] = SP_TEXT(i < n ? win[i].node : "");
		p[3 * i + 1] = SP_INT(i < n ? win[i].lo : 1);
		p[3 * i + 2] = SP_INT(i < n ? win[i].hi : 0);
	}
	pl_buf_puts(sql, ") ");
}

/* The join of a window list with one member table (x). */
static void walk__win_join(struct pl_buf *sql, bool qty)
{
	pl_buf_printf(sql, "win JOIN %s x ON x.%s = win.node AND x.event_time_ms >= win.lo "
		      "AND x.event_time_ms <= win.hi", qty ? "trace_event_qty" : "trace_event_epcs",
		      qty ? "epc_class" : "epc");
}

/* The events naming nodes[from .. from+n) inside each node's window,
 * appended to ch->ev (one row per node, role and event). */
static int chunk__events(struct walk *w, struct chunk *ch, size_t from, size_t n)
{
	static const char cols[] =
		"e.id, " TRACE__EVENT_ID_SQL " AS event_id, e.type, e.action, e.event_time_ms, e.biz_step, "
		"e.disposition, e.read_point, e.biz_location, e.parent_id";
	size_t pn = walk__pad(n), np = 3 * pn + (w->tenant ? 6 : 0);
	struct store_param *p = pl_calloc(3 * pn + 6, sizeof(*p));
	struct wwin *win = pl_calloc(n, sizeof(*win));
	struct store_rows *r = NULL;
	struct pl_buf sql;
	bool oom = false;
	int rc;

	for (size_t i = 0; i < n; i++)
		win[i] = (struct wwin){ ch->nodes[from + i], ch->nlo[from + i], ch->nhi[from + i] };
	pl_buf_init(&sql, 64 * 1024);
	walk__win_sql(&sql, p, win, n, pn);
	for (int part = 0; part < 2; part++) {
		pl_buf_printf(&sql, "%sSELECT win.node, x.role, %s FROM ", part ? " UNION ALL " : "",
			      cols);
		walk__win_join(&sql, part);
		pl_buf_puts(&sql, " JOIN trace_events e ON e.id = x.event_row WHERE 1 = 1");
		walk__visible(w, &sql, p, 3 * pn + 3 * (size_t)part);
	}
	rc = sql.data ? store_query(w->c, sql.data, p, np, &r) : PL_ETOOBIG;
	while (rc == 0 && (rc = store_rows_next(r)) == 1) {
		ch->ev = walk__grow(ch->ev, &ch->evcap, ch->nev, sizeof(*ch->ev));
		struct wev *e = &ch->ev[ch->nev];
		const char *node = store_rows_text(r, 0);
		size_t ix = smap_get(&ch->nidx, node, strlen(node));
		memset(e, 0, sizeof(*e));
		rc = 0;
		if (ix == SIZE_MAX)
			continue; /* cannot happen: the windows are the chunk's nodes */
		e->node = ix;
		e->roles = walk__role(store_rows_text(r, 1));
		e->row = walk__col(ch->a, r, 2, &oom);
		e->event_id = walk__col(ch->a, r, 3, &oom);
		e->type = walk__col(ch->a, r, 4, &oom);
		e->action = walk__col(ch->a, r, 5, &oom);
		e->t = store_rows_int(r, 6);
		e->biz_step = walk__col(ch->a, r, 7, &oom);
		e->disposition = walk__col(ch->a, r, 8, &oom);
		e->read_point = walk__col(ch->a, r, 9, &oom);
		e->biz_location = walk__col(ch->a, r, 10, &oom);
		e->parent = walk__col(ch->a, r, 11, &oom);
		if (oom || !e->row || !e->event_id) {
			rc = PL_ETOOBIG;
			break;
		}
		walk__ev_intern(w, e);
		ch->nev++;
	}
	rc = rc == 0 || rc == PL_ETOOBIG ? rc : PL_EDB;
	store_rows_free(r);
	pl_buf_release(&sql);
	free(win);
	free(p);
	return rc;
}

/* The recall's index of event row text, a new REV_UNREAD slot on first
 * sight (note 11). */
static size_t walk__rev(struct walk *w, const char *row, int64_t t, bool *oom)
{
	bool added;
	size_t d = smap_put(&w->rrow, row, strlen(row), w->nrev, &added);

	if (!added)
		return d;
	w->rev = walk__grow(w->rev, &w->revcap, w->nrev, sizeof(*w->rev));
	w->rstate = walk__grow(w->rstate, &w->rstatecap, w->nrev, 1);
	memset(&w->rev[d], 0, sizeof(*w->rev));
	w->rev[d].row = pl_arena_strdup(w->ra, row);
	w->rev[d].t = t; /* the member row's copy (migration 26) */
	w->rstate[d] = REV_UNREAD;
	if (!w->rev[d].row)
		*oom = true;
	w->nrev++;
	return d;
}

/* A recall's read, step 1 (notes 11 and 14): the member rows naming each
 * node of win[0 .. n) inside its window (none read before), from the
 * (epc|epc_class, time, event_row, role) indexes alone - no event row is
 * touched. */
static int walk__refs(struct walk *w, const struct wwin *win, size_t n)
{
	size_t pn = walk__pad(n);
	struct store_param *p = pl_calloc(3 * pn, sizeof(*p));
	struct store_rows *r = NULL;
	struct pl_buf sql;
	bool oom = false;
	int rc;

	pl_buf_init(&sql, 64 * 1024);
	walk__win_sql(&sql, p, win, n, pn);
	for (int part = 0; part < 2; part++) {
		pl_buf_puts(&sql, part ? " UNION ALL SELECT win.node, x.role, x.event_row, "
					 "x.event_time_ms FROM "
				       : "SELECT win.node, x.role, x.event_row, x.event_time_ms FROM ");
		walk__win_join(&sql, part);
	}
	rc = sql.data ? store_query(w->c, sql.data, p, 3 * pn, &r) : PL_ETOOBIG;
	while (rc == 0 && (rc = store_rows_next(r)) == 1) {
		const char *node = store_rows_text(r, 0);
		size_t ni = smap_get(&w->rread, node, strlen(node));
		rc = 0;
		if (ni == SIZE_MAX)
			continue; /* cannot happen: the windows are these nodes */
		size_t d = walk__rev(w, store_rows_text(r, 2), store_rows_int(r, 3), &oom);
		if (oom) {
			rc = PL_ETOOBIG;
			break;
		}
		w->rref = walk__grow(w->rref, &w->rrefcap, w->nrref, sizeof(*w->rref));
		w->rref[w->nrref] = (struct wref){ d, w->rhead[ni], walk__role(store_rows_text(r, 1)) };
		w->rhead[ni] = w->nrref++;
	}
	rc = rc == 0 || rc == PL_ETOOBIG ? rc : PL_EDB;
	store_rows_free(r);
	pl_buf_release(&sql);
	free(p);
	return rc;
}

/* The rev index among ids[0 .. n) (sorted by row, chunk__rows) whose row
 * is row, or SIZE_MAX. */
static size_t walk__rows_find(const struct walk *w, const size_t *ids, size_t n, const char *row)
{
	size_t a = 0, b = n;

	while (a < b) {
		size_t m = a + (b - a) / 2;
		int c = strcmp(w->rev[ids[m]].row, row);
		if (!c)
			return ids[m];
		if (c < 0)
			a = m + 1;
		else
			b = m;
	}
	return SIZE_MAX;
}

/* A recall's read, step 2 (note 11): the events rev[ids[0 .. n)] (sorted
 * by row, all REV_LISTED, all inside a window: note 14) by primary key;
 * those the tenant sees become REV_READ and are kept for the rest of the
 * recall, the others REV_HIDDEN. */
static int walk__rows(struct walk *w, const size_t *ids, size_t n)
{
	size_t pn = walk__pad(n);
	struct store_param *p = pl_calloc(pn + 3, sizeof(*p));
	struct store_rows *r = NULL;
	struct pl_buf sql;
	bool oom = false;
	int rc;

	pl_buf_init(&sql, 64 * 1024);
	/* no eventID, no bizStep: a recall shows neither (note 11) */
	pl_buf_puts(&sql, "SELECT e.id, e.type, e.action, e.event_time_ms, e.disposition, "
		    "e.read_point, e.biz_location, e.parent_id FROM trace_events e WHERE e.id IN (");
	walk__in(&sql, pn);
	pl_buf_puts(&sql, ")");
	walk__visible(w, &sql, p, pn);
	for (size_t i = 0; i < pn; i++)
		p[i] = SP_TEXT(w->rev[ids[i < n ? i : n - 1]].row);
	rc = sql.data ? store_query(w->c, sql.data, p, pn + (w->tenant ? 3 : 0), &r)
		      : PL_ETOOBIG;
	while (rc == 0 && (rc = store_rows_next(r)) == 1) {
		size_t d = walk__rows_find(w, ids, n, store_rows_text(r, 0));
		rc = 0;
		if (d == SIZE_MAX || w->rstate[d] != REV_LISTED)
			continue; /* cannot happen: the IN list is these rows */
		struct wev *e = &w->rev[d];
		e->event_id = e->row; /* set: the row was read (shown nowhere) */
		e->type = walk__col(w->ra, r, 1, &oom);
		e->action = walk__col(w->ra, r, 2, &oom);
		e->t = store_rows_int(r, 3);
		e->disposition = walk__col(w->ra, r, 4, &oom);
		e->read_point = walk__col(w->ra, r, 5, &oom);
		e->biz_location = walk__col(w->ra, r, 6, &oom);
		e->parent = walk__col(w->ra, r, 7, &oom);
		if (oom) {
			rc = PL_ETOOBIG;
			break;
		}
		walk__ev_intern(w, e);
		w->rstate[d] = REV_READ;
	}
	for (size_t i = 0; i < n; i++)
		if (w->rstate[ids[i]] == REV_LISTED)
			w->rstate[ids[i]] = REV_HIDDEN;
	rc = rc == 0 || rc == PL_ETOOBIG ? rc : PL_EDB;
	store_rows_free(r);
	pl_buf_release(&sql);
	free(p);
	return rc;
}

/* Orders rev indices by their event row (qsort_r: w is the context), so
 * a batch's primary-key reads go through the table in order. */
static int walk__cmp_rev(const void *a, const void *b, void *ctx)
{
	const struct walk *w = ctx;
	return strcmp(w->rev[*(const size_t *)a].row, w->rev[*(const size_t *)b].row);
}

/* Step 1 for the parts of the chunk's node windows the recall has not
 * read yet (note 14): a node's rows read so far cover one window
 * [rlo, rhi]; a new window reads what lies below and above it. */
static int chunk__refs(struct walk *w, struct chunk *ch)
{
	struct wwin *todo = pl_calloc(2 * ch->nn + 1, sizeof(*todo));
	size_t n = 0;
	int rc = 0;

	for (size_t k = 0; k < ch->nn; k++) {
		bool added;
		int64_t lo = ch->nlo[k], hi = ch->nhi[k];
		size_t ni = smap_put(&w->rread, ch->nodes[k], strlen(ch->nodes[k]), w->rread.n,
				     &added);
		if (added) {
			w->rhead = walk__grow(w->rhead, &w->rheadcap, ni, sizeof(*w->rhead));
			w->rlo = walk__grow(w->rlo, &w->rlocap, ni, sizeof(*w->rlo));
			w->rhi = walk__grow(w->rhi, &w->rhicap, ni, sizeof(*w->rhi));
			w->rhead[ni] = SIZE_MAX;
			w->rlo[ni] = lo;
			w->rhi[ni] = hi;
			todo[n++] = (struct wwin){ ch->nodes[k], lo, hi };
			continue;
		}
		if (lo < w->rlo[ni]) {
			todo[n++] = (struct wwin){ ch->nodes[k], lo, w->rlo[ni] - 1 };
			w->rlo[ni] = lo;
		}
		if (hi > w->rhi[ni]) {
			todo[n++] = (struct wwin){ ch->nodes[k], w->rhi[ni] + 1, hi };
			w->rhi[ni] = hi;
		}
	}
	for (size_t i = 0; rc == 0 && i < n; i += WALK_BATCH)
		rc = walk__refs(w, todo + i, n - i < WALK_BATCH ? n - i : WALK_BATCH);
	free(todo);
	return rc;
}

/* Step 2 for the events of the chunk's nodes not read yet inside each
 * node's window, in row order. */
static int chunk__rows(struct walk *w, struct chunk *ch)
{
	size_t *todo = NULL, n = 0, cap = 0;
	int rc = 0;

	for (size_t k = 0; k < ch->nn; k++) {
		size_t ni = smap_get(&w->rread, ch->nodes[k], strlen(ch->nodes[k]));
		for (size_t i = w->rhead[ni]; i != SIZE_MAX; i = w->rref[i].next) {
			size_t d = w->rref[i].ev;
			if (w->rstate[d] != REV_UNREAD || w->rev[d].t < ch->nlo[k] ||
			    w->rev[d].t > ch->nhi[k])
				continue;
			w->rstate[d] = REV_LISTED; /* once: walk__rows settles it */
			todo = walk__grow(todo, &cap, n, sizeof(*todo));
			todo[n++] = d;
		}
	}
	if (n)
		qsort_r(todo, n, sizeof(*todo), walk__cmp_rev, w);
	for (size_t i = 0; rc == 0 && i < n; i += WALK_BATCH)
		rc = walk__rows(w, todo + i, n - i < WALK_BATCH ? n - i : WALK_BATCH);
	free(todo);
	return rc;
}

/* Step 3: one ch->ev row per member row of a chunk node whose event the
 * tenant sees inside the node's window - the rows chunk__events' join
 * gives. */
static void chunk__expand(struct walk *w, struct chunk *ch)
{
	for (size_t k = 0; k < ch->nn; k++) {
		size_t ni = smap_get(&w->rread, ch->nodes[k], strlen(ch->nodes[k]));
		for (size_t i = w->rhead[ni]; i != SIZE_MAX; i = w->rref[i].next) {
			const struct wev *d = &w->rev[w->rref[i].ev];
			if (w->rstate[w->rref[i].ev] != REV_READ || d->t < ch->nlo[k] ||
			    d->t > ch->nhi[k])
				continue;
			ch->ev = walk__grow(ch->ev, &ch->evcap, ch->nev, sizeof(*ch->ev));
			ch->ev[ch->nev] = *d;
			ch->ev[ch->nev].node = k;
			ch->ev[ch->nev].roles = w->rref[i].roles;
			ch->nev++;
		}
	}
}

/* The chunk's events inside each node's window (notes 8 and 14): a
 * unit's walk joins member and event rows per node batch; a recall reads
 * each node's member rows and each event row once per recall, and keeps
 * them (note 11). */
static int chunk__read(struct walk *w, struct chunk *ch)
{
	int rc = 0;

	if (!w->setwise) {
		for (size_t k = 0; rc == 0 && k < ch->nn; k += WALK_BATCH)
			rc = chunk__events(w, ch, k, ch->nn - k < WALK_BATCH ? ch->nn - k : WALK_BATCH);
		return rc;
	}
	rc = chunk__refs(w, ch);
	if (rc == 0)
		rc = chunk__rows(w, ch);
	if (rc == 0)
		chunk__expand(w, ch);
	return rc;
}

static int walk__cmp_ev(const void *a, const void *b)
{
	const struct wev *x = a, *y = b;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return strcmp(x->row, y->row);
}

/* Sorts the chunk's events per node by (time, row) - the order the
 * item-by-item walk read them in - and merges one event's roles. */
static void chunk__index(struct chunk *ch)
{
	size_t out = 0;

	if (ch->nev)
		qsort(ch->ev, ch->nev, sizeof(*ch->ev), walk__cmp_ev);
	for (size_t i = 0; i < ch->nev; i++) {
		if (out && ch->ev[out - 1].node == ch->ev[i].node &&
		    !strcmp(ch->ev[out - 1].row, ch->ev[i].row)) {
			ch->ev[out - 1].roles |= ch->ev[i].roles;
			continue;
		}
		ch->ev[out++] = ch->ev[i];
	}
	ch->nev = out;
	ch->nstart = pl_calloc(ch->nn + 1, sizeof(*ch->nstart));
	for (size_t i = 0; i < ch->nev; i++)
		ch->nstart[ch->ev[i].node + 1]++;
	for (size_t k = 0; k < ch->nn; k++)
		ch->nstart[k + 1] += ch->nstart[k];
}

/* First event of node k at or after lo. */
static size_t chunk__first(const struct chunk *ch, size_t k, int64_t lo)
{
	size_t a = ch->nstart[k], b = ch->nstart[k + 1];
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (ch->ev[m].t < lo)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/* Reads the member lists of the events named in rows (row -> true). */
static int chunk__members(struct walk *w, struct chunk *ch, json_t *rows)
{
	const char **ids = pl_calloc(json_object_size(rows) + 1, sizeof(*ids));
	size_t n = 0;
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach(rows, key, v)
		ids[n++] = key;
	for (size_t from = 0; rc == 0 && from < n; from += WALK_BATCH) {
		size_t cnt = n - from < WALK_BATCH ? n - from : WALK_BATCH, pn = walk__pad(cnt);
		struct store_param *p = pl_calloc(2 * pn, sizeof(*p));
		struct store_rows *r = NULL;
		struct pl_buf sql;
		bool oom = false;

		pl_buf_init(&sql, 64 * 1024);
		pl_buf_puts(&sql, "SELECT event_row, role, epc FROM trace_event_epcs WHERE event_row IN (");
		walk__in(&sql, pn);
		pl_buf_puts(&sql, ") UNION ALL SELECT event_row, role, epc_class FROM trace_event_qty "
			    "WHERE event_row IN (");
		walk__in(&sql, pn);
		pl_buf_puts(&sql, ")");
		for (size_t i = 0; i < pn; i++)
			p[i] = p[pn + i] = SP_TEXT(ids[from + (i < cnt ? i : cnt - 1)]);
		rc = sql.data ? store_query(w->c, sql.data, p, 2 * pn, &r) : PL_ETOOBIG;
		while (rc == 0 && (rc = store_rows_next(r)) == 1) {
			ch->mem = walk__grow(ch->mem, &ch->memcap, ch->nmem, sizeof(*ch->mem));
			struct wmem *m = &ch->mem[ch->nmem];
			rc = 0;
			m->row = walk__col(ch->a, r, 0, &oom);
			m->role = walk__col(ch->a, r, 1, &oom);
			m->id = walk__col(ch->a, r, 2, &oom);
			m->seq = ch->nmem;
			if (oom || !m->row || !m->role || !m->id) {
				rc = PL_ETOOBIG;
				break;
			}
			ch->nmem++;
		}
		rc = rc == 0 || rc == PL_ETOOBIG ? rc : PL_EDB;
		store_rows_free(r);
		pl_buf_release(&sql);
		free(p);
	}
	free(ids);
	return rc;
}

static int walk__cmp_mem(const void *a, const void *b)
{
	const struct wmem *x = a, *y = b;
	int c = strcmp(x->row, y->row);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The members of event row: *n of them from the returned index. */
static size_t chunk__mem_of(const struct chunk *ch, const char *row, size_t *n)
{
	size_t a = 0, b = ch->nmem;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (strcmp(ch->mem[m].row, row) < 0)
			a = m + 1;
		else
			b = m;
	}
	size_t e = a;
	while (e < ch->nmem && !strcmp(ch->mem[e].row, row))
		e++;
	*n = e - a;
	return a;
}

/* Reads the childless DELETEs of the parents in need (parent ->
 * [lo, hi]: the times that matter), batch by batch. */
static int chunk__empties(struct walk *w, struct chunk *ch, json_t *need)
{
	const char **ids = pl_calloc(json_object_size(need) + 1, sizeof(*ids));
	size_t n = 0;
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach(need, key, v)
		ids[n++] = key;
	for (size_t from = 0; rc == 0 && from < n; from += WALK_BATCH) {
		size_t cnt = n - from < WALK_BATCH ? n - from : WALK_BATCH, pn = walk__pad(cnt);
		struct store_param *p = pl_calloc(pn + 5, sizeof(*p));
		struct store_rows *r = NULL;
		struct pl_buf sql;
		int64_t lo = WALK_INF, hi = WALK_NINF;
		bool oom = false;

		for (size_t i = 0; i < cnt; i++) {
			json_t *rg = json_object_get(need, ids[from + i]);
			int64_t l = json_integer_value(json_array_get(rg, 0));
			int64_t h = json_integer_value(json_array_get(rg, 1));
			lo = l < lo ? l : lo;
			hi = h > hi ? h : hi;
		}
		pl_buf_init(&sql, 64 * 1024);
		pl_buf_puts(&sql, "SELECT e.parent_id, e.type, e.event_time_ms FROM trace_events e "
			    "WHERE e.parent_id IN (");
		walk__in(&sql, pn);
		/* empties: a childless DELETE (migration 26, note 15) */
		pl_buf_puts(&sql, ") AND e.empties = 1 AND e.event_time_ms >= ? "
			    "AND e.event_time_ms <= ?");
		walk__visible(w, &sql, p, pn + 2);
		for (size_t i = 0; i < pn; i++)
			p[i] = SP_TEXT(ids[from + (i < cnt ? i : cnt - 1)]);
		p[pn] = SP_INT(lo);
		p[pn + 1] = SP_INT(hi);
		rc = sql.data ? store_query(w->c, sql.data, p, pn + 2 + (w->tenant ? 3 : 0), &r)
			      : PL_ETOOBIG;
		while (rc == 0 && (rc = store_rows_next(r)) == 1) {
			ch->emp = walk__grow(ch->emp, &ch->empcap, ch->nemp, sizeof(*ch->emp));
			struct wempty *m = &ch->emp[ch->nemp];
			rc = 0;
			m->parent = walk__col(ch->a, r, 0, &oom);
			m->type = walk__col(ch->a, r, 1, &oom);
			m->t = store_rows_int(r, 2);
			if (oom || !m->parent || !m->type) {
				rc = PL_ETOOBIG;
				break;
			}
			ch->nemp++;
		}
		rc = rc == 0 || rc == PL_ETOOBIG ? rc : PL_EDB;
		store_rows_free(r);
		pl_buf_release(&sql);
		free(p);
	}
	free(ids);
	return rc;
}

static int walk__cmp_emp(const void *a, const void *b)
{
	const struct wempty *x = a, *y = b;
	int c = strcmp(x->parent, y->parent);
	if (!c)
		c = strcmp(x->type, y->type);
	return c ? c : x->t < y->t ? -1 : x->t > y->t;
}

/* End of the containment of node k (the child) in parent opened at ev[j]
 * (note 2): the first later DELETE of the child from that parent (one of
 * the child's own events) or emptying of the parent; WALK_INF when none
 * inside what was read (the caller clamps to the item's window). */
static int64_t chunk__until(const struct chunk *ch, size_t k, size_t j, bool with_empties)
{
	const struct wev *add = &ch->ev[j];
	int64_t until = WALK_INF;

	for (size_t i = j; i < ch->nstart[k + 1]; i++) {
		const struct wev *d = &ch->ev[i];
		if ((d->roles & R_CHILD) && d->action && !strcmp(d->action, "DELETE") &&
		    d->parent && !strcmp(d->parent, add->parent) && !strcmp(d->type, add->type)) {
			until = d->t;
			break;
		}
	}
	if (with_empties && ch->nemp) {
		/* the first emptying of (parent, type) at or after the ADD:
		 * ch->emp is sorted by (parent, type, time) */
		struct wempty key = { add->parent, add->type, add->t };
		size_t a = 0, b = ch->nemp;
		while (a < b) {
			size_t m = a + (b - a) / 2;
			if (walk__cmp_emp(&ch->emp[m], &key) < 0)
				a = m + 1;
			else
				b = m;
		}
		if (a < ch->nemp && !strcmp(ch->emp[a].parent, add->parent) &&
		    !strcmp(ch->emp[a].type, add->type) && ch->emp[a].t < until)
			until = ch->emp[a].t;
	}
	return until;
}

static bool walk__is(const char *s, const char *want)
{
	return s && !strcmp(s, want);
}

static bool walk__containment(const struct wev *e)
{
	return walk__is(e->type, "AggregationEvent") || walk__is(e->type, "AssociationEvent");
}

/* Does event e, reached from an item, need its member list? */
static bool walk__needs_members(const struct walk *w, const struct wev *e, bool root)
{
	if (walk__containment(e))
		return (e->roles & R_PARENT) && root && walk__is(e->action, "ADD");
	if (walk__is(e->type, "TransformationEvent"))
		return w->dir == TRACE_WALK_FORWARD ? (e->roles & R_INPUT) : (e->roles & R_OUTPUT);
	return false;
}

/* Applies one event of an item: timeline, containment, transformation. */
static void walk__apply(struct walk *w, const struct chunk *ch, const struct walk_item *it,
			size_t ui, size_t k, size_t j)
{
	const struct wev *e = &ch->ev[j];
	bool containment = walk__containment(e), add = walk__is(e->action, "ADD");
	size_t mn = 0, m0 = 0;

	/* note 9: walking back, a lot's other consumptions lead to the unit's
	 * siblings; they are neither its chain nor its history */
	if (w->dir == TRACE_WALK_BACKWARD && !it->root &&
	    walk__is(e->type, "TransformationEvent") && (e->roles & R_INPUT) &&
	    !(e->roles & R_OUTPUT))
		return;
	walk__timeline(w, e, it->node, it, ui);
	if (containment && (e->roles & R_CHILD) && e->parent && add) {
		int64_t until = chunk__until(ch, k, j, true);
		walk__edge(w, it->node, e->parent, !strcmp(e->type, "AggregationEvent")
			   ? "contained_in" : "associated_with", e->event_id, e->t);
		walk__push(w, e->parent, it->unit, e->t > it->lo ? e->t : it->lo,
			   until < it->hi ? until : it->hi, it->depth + 1, false);
		return;
	}
	if (!walk__needs_members(w, e, it->root))
		return;
	m0 = chunk__mem_of(ch, e->row, &mn);
	if (containment) {
		for (size_t i = m0; i < m0 + mn; i++) {
			const char *ch_id = ch->mem[i].id;
			if (strcmp(ch->mem[i].role, "child"))
				continue;
			walk__node(w, ch_id);
			walk__edge(w, ch_id, it->node, "contained_in", e->event_id, e->t);
			if (w->dir == TRACE_WALK_FORWARD)
				walk__push(w, ch_id, ch_id, e->t, it->hi, it->depth + 1, false);
		}
		return;
	}
	bool fwd = w->dir == TRACE_WALK_FORWARD;
	const char *want = fwd ? "output" : "input";
	for (size_t i = m0; i < m0 + mn; i++) {
		const char *o = ch->mem[i].id;
		if (strcmp(ch->mem[i].role, want) || !strcmp(o, it->node))
			continue;
		walk__node(w, o);
		if (fwd) {
			walk__edge(w, it->node, o, "transformed_into", e->event_id, e->t);
			walk__push(w, o, o, e->t, WALK_INF, it->depth + 1, false);
		} else {
			walk__edge(w, o, it->node, "transformed_into", e->event_id, e->t);
			walk__push(w, o, o, WALK_NINF, e->t, it->depth + 1, false);
		}
	}
}

static void chunk__free(struct chunk *ch)
{
	free(ch->ev);
	free(ch->mem);
	free(ch->emp);
	free(ch->nstart);
	free(ch->nodes);
	free(ch->nlo);
	free(ch->nhi);
	free(ch->sum);
	smap_free(&ch->sumix);
	smap_free(&ch->nidx);
	pl_arena_free(ch->a);
}

/* A recall probes each parent's emptying DELETEs once, over all time
 * (note 10): parents already probed leave need_par, the others are probed
 * over (-inf, +inf). */
static void walk__emp_filter(struct walk *w, json_t *need_par)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(need_par, tmp, key, v) {
		bool added;
		smap_put(&w->probed, key, strlen(key), 0, &added);
		if (!added) {
			json_object_del(need_par, key);
			continue;
		}
		json_array_set_new(v, 0, json_integer(WALK_NINF));
		json_array_set_new(v, 1, json_integer(WALK_INF));
	}
}

/* Keeps what this chunk's probe found in w->emp and gives the chunk every
 * emptying DELETE the recall has found so far (note 10). */
static void walk__emp_keep(struct walk *w, struct chunk *ch)
{
	for (size_t i = 0; i < ch->nemp; i++) {
		w->emp = walk__grow(w->emp, &w->empcap, w->nemp, sizeof(*w->emp));
		w->emp[w->nemp++] = (struct wempty){ walk__intern(w, ch->emp[i].parent),
						     walk__intern(w, ch->emp[i].type),
						     ch->emp[i].t };
	}
	free(ch->emp);
	ch->emp = pl_calloc(w->nemp ? w->nemp : 1, sizeof(*ch->emp));
	if (w->nemp)
		memcpy(ch->emp, w->emp, w->nemp * sizeof(*ch->emp));
	ch->nemp = ch->empcap = w->nemp;
}

/* What item it needs before it is applied (note 8): the member lists of
 * its events that need them (need_rows), and the emptying DELETEs of the
 * parents it enters between the ADD and the child's own DELETE or the
 * window's end (need_par: parent -> [lo, hi]). */
static void chunk__need(struct walk *w, const struct chunk *ch, const struct walk_item *it,
			size_t k, json_t *need_rows, json_t *need_par)
{
	size_t j = chunk__first(ch, k, it->lo), cnt = 0;

	for (; j < ch->nstart[k + 1] && ch->ev[j].t <= it->hi && cnt < WALK_EVENTS_PER_NODE;
	     j++, cnt++) {
		const struct wev *e = &ch->ev[j];
		if (walk__needs_members(w, e, it->root))
			json_object_set_new(need_rows, e->row, json_true());
		if (!walk__containment(e) || !(e->roles & R_CHILD) || !e->parent ||
		    !walk__is(e->action, "ADD"))
			continue;
		int64_t u = chunk__until(ch, k, j, false);
		u = u < it->hi ? u : it->hi;
		json_t *rg = json_object_get(need_par, e->parent);
		if (!rg) {
			json_object_set_new(need_par, e->parent,
					    json_pack("[I, I]", (json_int_t)e->t, (json_int_t)u));
			continue;
		}
		if (e->t < json_integer_value(json_array_get(rg, 0)))
			json_array_set_new(rg, 0, json_integer(e->t));
		if (u > json_integer_value(json_array_get(rg, 1)))
			json_array_set_new(rg, 1, json_integer(u));
	}
}

/* Applies item it's events in order, at most WALK_EVENTS_PER_NODE. */
static void chunk__apply_item(struct walk *w, const struct chunk *ch, const struct walk_item *it,
			      size_t k)
{
	size_t j = chunk__first(ch, k, it->lo), cnt = 0, ui = SIZE_MAX;

	for (; j < ch->nstart[k + 1] && ch->ev[j].t <= it->hi; j++, cnt++) {
		if (cnt == WALK_EVENTS_PER_NODE) {
			w->truncated = true;
			break;
		}
		if (ui == SIZE_MAX)
			ui = walk__unit(w, it->unit);
		walk__apply(w, ch, it, ui, k, j);
	}
}

/* Does event e, applied for a recall's non-root item, only update the
 * item's unit record (note 12)? Then it pushes nothing and needs no
 * member list. */
static bool walk__unit_only(const struct walk *w, const struct wev *e)
{
	if (walk__containment(e) && (e->roles & R_CHILD) && e->parent &&
	    walk__is(e->action, "ADD"))
		return false;
	return !walk__needs_members(w, e, false);
}

/* Summary of a (node, lo, hi) window for a recall's non-root items
 * (note 12): the window's events are looked at once, not once per unit. */
static struct wsum *chunk__sum(struct walk *w, struct chunk *ch, const struct walk_item *it,
			       size_t k)
{
	unsigned char key[sizeof(k) + 2 * sizeof(int64_t)];
	bool added;

	memcpy(key, &k, sizeof(k));
	memcpy(key + sizeof(k), &it->lo, sizeof(it->lo));
	memcpy(key + sizeof(k) + sizeof(it->lo), &it->hi, sizeof(it->hi));
	size_t i = smap_put(&ch->sumix, (const char *)key, sizeof(key), ch->nsum, &added);
	if (!added)
		return &ch->sum[i];
	ch->sum = walk__grow(ch->sum, &ch->sumcap, ch->nsum, sizeof(*ch->sum));
	struct wsum *sm = &ch->sum[ch->nsum++];
	memset(sm, 0, sizeof(*sm));
	sm->simple = true;
	for (size_t j = chunk__first(ch, k, it->lo);
	     j < ch->nstart[k + 1] && ch->ev[j].t <= it->hi; j++) {
		const struct wev *e = &ch->ev[j];
		if (sm->n == WALK_EVENTS_PER_NODE) {
			sm->cut = true;
			break;
		}
		sm->n++;
		sm->simple = sm->simple && walk__unit_only(w, e);
		if (e->loc)
			sm->loc = e;
		if (e->disp)
			sm->disp = e;
	}
	return sm;
}

/* Applies a simple window's summary to item it's unit: the same record
 * as applying its events one by one, since they come in time order and
 * each takes the place of an older or equal one (note 12). */
static void walk__sum_apply(struct walk *w, const struct wsum *sm, const struct walk_item *it)
{
	if (sm->n) {
		struct wunit *u = &w->unit[walk__unit(w, it->unit)];
		if (sm->loc && sm->loc->t >= u->loc_ms) {
			u->loc = sm->loc->loc;
			u->loc_ms = sm->loc->t;
		}
		if (sm->disp && sm->disp->t >= u->disp_ms) {
			u->disp = sm->disp->disp;
			u->disp_ms = sm->disp->t;
		}
	}
	if (sm->cut)
		w->truncated = true;
}

/* The summary to use for item it, or NULL when its events must be
 * applied one by one (a unit's walk, the root, or a window that pushes). */
static const struct wsum *chunk__sum_for(struct walk *w, struct chunk *ch,
					 const struct walk_item *it, size_t k)
{
	if (!w->setwise || it->root)
		return NULL;
	const struct wsum *sm = chunk__sum(w, ch, it, k);
	return sm->simple ? sm : NULL;
}

/* The chunk's index of item it's node. */
static size_t chunk__k(const struct chunk *ch, const struct walk_item *it)
{
	return smap_get(&ch->nidx, it->node, strlen(it->node));
}

/* Processes queue items [from, to) (note 8): reads, then items in order. */
static int walk__chunk(struct walk *w, size_t from, size_t to)
{
	struct chunk ch;
	json_t *need_rows = json_object(), *need_par = json_object();
	int rc = 0;

	memset(&ch, 0, sizeof(ch));
	ch.a = pl_arena_new(WALK_ARENA_CAP);
	ch.nodes = pl_calloc(to - from, sizeof(*ch.nodes));
	ch.nlo = pl_calloc(to - from, sizeof(*ch.nlo));
	ch.nhi = pl_calloc(to - from, sizeof(*ch.nhi));
	for (size_t i = from; i < to; i++) {
		const struct walk_item *it = &w->q[i];
		bool added;
		size_t k = smap_put(&ch.nidx, it->node, strlen(it->node), ch.nn, &added);
		if (added) {
			ch.nodes[ch.nn++] = it->node;
			ch.nlo[k] = it->lo;
			ch.nhi[k] = it->hi;
			continue;
		}
		ch.nlo[k] = it->lo < ch.nlo[k] ? it->lo : ch.nlo[k];
		ch.nhi[k] = it->hi > ch.nhi[k] ? it->hi : ch.nhi[k];
	}
	rc = chunk__read(w, &ch);
	if (rc)
		goto out;
	chunk__index(&ch);
	for (size_t i = from; i < to; i++) {
		const struct walk_item *it = &w->q[i];
		size_t k = chunk__k(&ch, it);
		if (!chunk__sum_for(w, &ch, it, k))
			chunk__need(w, &ch, it, k, need_rows, need_par);
	}
	if (w->recall)
		walk__emp_filter(w, need_par);
	rc = chunk__members(w, &ch, need_rows);
	if (rc == 0)
		rc = chunk__empties(w, &ch, need_par);
	if (rc)
		goto out;
	if (w->recall)
		walk__emp_keep(w, &ch);
	if (ch.nmem)
		qsort(ch.mem, ch.nmem, sizeof(*ch.mem), walk__cmp_mem);
	if (ch.nemp)
		qsort(ch.emp, ch.nemp, sizeof(*ch.emp), walk__cmp_emp);
	for (size_t i = from; i < to; i++) {
		/* a copy: walk__apply pushes, and a push may move w->q (realloc);
		 * the strings it points to stay owned by the queue */
		struct walk_item it = w->q[i];
		size_t k = chunk__k(&ch, &it);
		const struct wsum *sm = chunk__sum_for(w, &ch, &it, k);
		if (sm)
			walk__sum_apply(w, sm, &it);
		else
			chunk__apply_item(w, &ch, &it, k);
	}
out:
	json_decref(need_rows);
	json_decref(need_par);
	chunk__free(&ch);
	return rc;
}

static int walk__cmp_time(const void *a, const void *b)
{
	int64_t x = json_integer_value(json_object_get(*(json_t *const *)a, "time_ms"));
	int64_t y = json_integer_value(json_object_get(*(json_t *const *)b, "time_ms"));
	return x < y ? -1 : x > y;
}

/* Reads the stored bodies of the events on the timeline (note 9), WALK_BATCH
 * rows a query by primary key (the rows were read through the tenant filter
 * already), into w->events and each timeline entry's "event". */
static int walk__bodies(struct walk *w)
{
	size_t n = json_object_size(w->events), k = 0, i;
	const char **rows = pl_calloc(n ? n : 1, sizeof(*rows));
	struct store_param *p = pl_calloc(WALK_BATCH, sizeof(*p));
	struct pl_buf sql;
	const char *key;
	json_t *v, *e;
	int rc = 0;

	json_object_foreach(w->events, key, v)
		rows[k++] = key;
	pl_buf_init(&sql, 16 * 1024);
	for (size_t from = 0; from < n && rc == 0; from += WALK_BATCH) {
		size_t m = n - from < WALK_BATCH ? n - from : WALK_BATCH, pn = walk__pad(m);
		struct store_rows *r = NULL;
		pl_buf_clear(&sql);
		pl_buf_puts(&sql, "SELECT id, body_json FROM trace_events WHERE id IN (");
		walk__in(&sql, pn);
		pl_buf_puts(&sql, ")");
		for (size_t j = 0; j < pn; j++)
			p[j] = SP_TEXT(rows[from + (j < m ? j : m - 1)]);
		rc = sql.data ? store_query(w->c, sql.data, p, pn, &r) : PL_ETOOBIG;
		while (rc == 0 && (rc = store_rows_next(r)) == 1) {
			const char *text = store_rows_text(r, 1);
			json_t *body = json_loads(text, JSON_DECODE_ANY, NULL);
			rc = 0;
			json_object_set_new(w->events, store_rows_text(r, 0),
					    body ? body : json_string(text));
		}
		rc = rc == 0 ? 0 : PL_EDB;
		store_rows_free(r);
	}
	/* Inspection verdicts carry their evidence as extension members;
	 * each entry carries its event's body so the UI can show images and
	 * classes. */
	json_array_foreach(w->timeline, i, e) {
		json_t *body = json_object_get(w->events, pl_json_str(e, "_row"));
		if (body && !json_is_null(body))
			json_object_set(e, "event", body);
		json_object_del(e, "_row");
	}
	pl_buf_release(&sql);
	free(p);
	free(rows);
	return rc;
}

/* Runs the walk from code; on success w holds the graph. */
static int walk__run(struct walk *w, struct store_conn *c, const char *tenant,
		     const char *code, enum trace_walk_dir dir, bool recall, bool setwise,
		     char root[TRACE_ID_MAX])
{
	struct trace_id id;
	int rc;

	memset(w, 0, sizeof(*w));
	w->c = c;
	w->tenant = tenant;
	w->dir = dir;
	w->recall = recall;
	w->setwise = recall && setwise;
	w->max_nodes = recall ? RECALL_MAX_NODES : TRACE_WALK_MAX_NODES;
	if (recall)
		w->ra = pl_arena_new(WALK_ARENA_CAP);
	w->nodes = json_object();
	w->node_list = json_array();
	w->edges = json_array();
	w->edge_seen = json_object();
	w->events = json_object();
	w->timeline = json_array();
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
	while (w->qhead < w->qn) {
		/* The chunk: items in queue order up to WALK_CHUNK_NODES
		 * distinct nodes; what they push comes after it. */
		json_t *seen = json_object();
		size_t end = w->qhead;
		while (end < w->qn && end - w->qhead < WALK_CHUNK_ITEMS) {
			const char *n = w->q[end].node;
			if (!json_object_get(seen, n)) {
				if (json_object_size(seen) == WALK_CHUNK_NODES)
					break;
				json_object_set_new(seen, n, json_true());
			}
			end++;
		}
		json_decref(seen);
		rc = walk__chunk(w, w->qhead, end);
		w->qhead = end;
		if (rc == PL_ETOOBIG) {
			w->truncated = true;
			break;
		}
		if (rc)
			return rc;
	}
	/* a recall keeps no event list: the root was seen when it has a
	 * unit record (every event read updates one) */
	if (recall ? w->units.n == 0 : json_object_size(w->events) == 0)
		return PL_ENOTFOUND;
	if (!recall && (rc = walk__bodies(w)) != 0)
		return rc;
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
	free(w->q);
	json_decref(w->nodes);
	json_decref(w->node_list);
	json_decref(w->edges);
	json_decref(w->edge_seen);
	json_decref(w->events);
	json_decref(w->timeline);
	smap_free(&w->units);
	smap_free(&w->strs);
	smap_free(&w->visited);
	smap_free(&w->probed);
	free(w->emp);
	smap_free(&w->rread);
	smap_free(&w->ids);
	smap_free(&w->rnodes);
	free(w->rnid);
	smap_free(&w->rrow);
	free(w->rhead);
	free(w->rlo);
	free(w->rhi);
	free(w->rref);
	free(w->rev);
	free(w->rstate);
	if (w->ra)
		pl_arena_free(w->ra);
	free(w->unit);
}

int trace_walk(struct store_conn *c, const char *tenant, const char *code,
	       enum trace_walk_dir dir, json_t **out)
{
	struct walk w;
	char root[TRACE_ID_MAX];
	int rc = walk__run(&w, c, tenant, code, dir, false, false, root);

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

/* A time formatted as text, kept for the next call: a recall's units share
 * few distinct times (a tray's vials, a station's pass). */
struct tcache {
	int64_t ms;
	bool set;
	char text[PL_TIME_STRLEN];
};

static json_t *recall__time(struct tcache *tc, const char *have, int64_t ms)
{
	if (!have)
		return json_null();
	if (!tc->set || tc->ms != ms) {
		pl_time_format(ms, tc->text);
		tc->ms = ms;
		tc->set = true;
	}
	return json_string(tc->text);
}

/* One unit of the answer: id, label, last known location and disposition
 * with their times (note 5); keys in the order the answer always had. */
static json_t *recall__unit(const struct walk *w, const char *id, struct tcache tc[2])
{
	size_t ui = smap_get(&w->units, id, strlen(id));
	const struct wunit *u = ui == SIZE_MAX ? NULL : &w->unit[ui];
	const char *loc = u ? u->loc : NULL, *disp = u ? u->disp : NULL;
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "label", json_string(walk__label(id)));
	json_object_set_new(o, "location", walk__jstr(loc));
	json_object_set_new(o, "location_time", recall__time(&tc[0], loc, loc ? u->loc_ms : 0));
	json_object_set_new(o, "disposition", walk__jstr(disp));
	json_object_set_new(o, "disposition_time",
			    recall__time(&tc[1], disp, disp ? u->disp_ms : 0));
	return o;
}

/* Counts one unit under its location ("unknown" when none) in by_loc. */
static void recall__count(json_t *by_loc, const char *loc)
{
	const char *key = loc ? loc : "unknown";
	json_t *v = json_object_get(by_loc, key);

	if (v)
		json_integer_set(v, json_integer_value(v) + 1);
	else
		json_object_set_new(by_loc, key, json_integer(1));
}

/* A recall, set-wise (notes 11 and 12) or item by item (tests compare the
 * two: trace__recall_generic). */
static int recall__run(struct store_conn *c, const char *tenant, const char *code, bool setwise,
		       json_t **out)
{
	struct walk w;
	char root[TRACE_ID_MAX];
	int rc = walk__run(&w, c, tenant, code, TRACE_WALK_FORWARD, true, setwise, root);

	*out = NULL;
	if (rc == 0) {
		json_t *units = json_array(), *by_loc = json_object();
		struct tcache tc[2] = { { 0 } };
		/* the recall's nodes in the order they were reached (note 13):
		 * the serialised units among them, the root left out */
		for (size_t i = 0; i < w.rnodes.n; i++) {
			const char *id = w.rnid[i];
			if (strcmp(walk__kind(id), "unit") || !strcmp(id, root))
				continue;
			json_t *unit = recall__unit(&w, id, tc);
			recall__count(by_loc, json_string_value(json_object_get(unit, "location")));
			json_array_append_new(units, unit);
		}
		*out = json_pack("{s:s, s:I, s:o, s:o, s:b}", "root", root,
				 "total", (json_int_t)json_array_size(units), "units", units,
				 "by_location", by_loc, "truncated", w.truncated);
	}
	walk__release(&w);
	return rc;
}

int trace_recall(struct store_conn *c, const char *tenant, const char *code, json_t **out)
{
	return recall__run(c, tenant, code, true, out);
}

int trace__recall_generic(struct store_conn *c, const char *tenant, const char *code,
			  json_t **out)
{
	return recall__run(c, tenant, code, false, out);
}
