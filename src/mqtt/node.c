/*
 * node.c - the host side of one Sparkplug edge node session: the birth
 * certificate (metric names, aliases, datatypes per node and device), the
 * bdSeq that pairs NBIRTH with NDEATH, the shared 0..255 seq counter, and
 * the verdict for every message (apply, request rebirth, mark stale). The
 * rules and their reasons are the NOTES ON THE DESIGN in mqtt.h; TCK ids
 * are named where a rule is checked.
 *
 * Layout: entries[] holds every metric of the current births; two index
 * arrays sort it by alias and by (device, name) for O(log n) lookups, and
 * when the aliases are dense (the usual 0..n-1 numbering) a direct table
 * maps an alias to its entry in one load (alias_slots). Births are rare,
 * so indexes are simply rebuilt (O(n log n)) on each.
 */
#include "mqtt/mqtt_int.h"

#include <assert.h>
#include <string.h>

#define REBIRTH_METRIC "Node Control/Rebirth"

struct entry {
	char *name;        /* owned */
	uint32_t dev;      /* 0: node-level; else devices[dev - 1] */
	bool has_alias;
	uint64_t alias;
	uint32_t datatype;
};

struct device {
	char *id;   /* owned */
	bool born;  /* a DBIRTH since the last NBIRTH/DDEATH */
};

struct mqtt_sp_node {
	char group[MQTT_SP_ID_MAX + 1];
	char node[MQTT_SP_ID_MAX + 1];
	int64_t rebirth_interval_ms;
	int64_t max_future_ms;
	int64_t last_rebirth_ms;   /* INT64_MIN: never asked */
	bool born;                 /* NBIRTH seen and not yet NDEATH'd */
	int64_t bdseq;             /* of the current NBIRTH; -1 before the first */
	unsigned last_seq;         /* seq of the previous message (0..255) */
	struct entry *e;           /* owned; n used, cap allocated */
	size_t n, cap;
	uint32_t *by_alias;        /* indexes into e of aliased entries, by alias */
	uint32_t *alias_slot;      /* alias -> index into e + 1 (0: none), when
				    * the aliases are dense enough (DENSE_SLOTS);
				    * else NULL and find_alias searches by_alias */
	size_t n_alias_slot;       /* entries in alias_slot: max alias + 1 */
	size_t n_alias;
	uint32_t *by_name;         /* indexes into e, by (dev, name) */
	struct device *dev;        /* owned; ndev used, devcap allocated */
	size_t ndev, devcap;
	uint64_t gen;              /* bumped whenever entries may move */
	/* what check_data resolved for the last DATA message, handed to the
	 * caller through the verdict (one resolution per metric) */
	struct mqtt_sp_binding *bind; /* owned; bind_cap allocated */
	struct mqtt_sp_value *vals;   /* owned; likewise */
	size_t bind_cap;
};

static const char *const cause_names[MQTT_SP_C_COUNT] = {
	[MQTT_SP_C_OK] = "ok",
	[MQTT_SP_C_SEQ_GAP] = "seq_gap",
	[MQTT_SP_C_DUPLICATE] = "duplicate",
	[MQTT_SP_C_NO_BIRTH] = "no_birth",
	[MQTT_SP_C_UNKNOWN_METRIC] = "unknown_metric",
	[MQTT_SP_C_BAD_BIRTH] = "bad_birth",
	[MQTT_SP_C_BAD_DATA] = "bad_data",
	[MQTT_SP_C_MISSING_SEQ] = "missing_seq",
	[MQTT_SP_C_OLD_DEATH] = "old_death",
	[MQTT_SP_C_COMMAND] = "command",
	[MQTT_SP_C_WRONG_NODE] = "wrong_node",
	[MQTT_SP_C_FUTURE_TIME] = "future_time",
};

const char *mqtt_sp_cause_name(enum mqtt_sp_cause c)
{
	return (unsigned)c < MQTT_SP_C_COUNT ? cause_names[c] : "?";
}

int mqtt_sp_node_new(const char *group, const char *node,
		     const struct mqtt_sp_node_options *opt, struct mqtt_sp_node **out)
{
	*out = NULL;
	if (!group || !node || !mqtt__id_valid(group, strlen(group)) ||
	    !mqtt__id_valid(node, strlen(node)))
		return PL_EINVAL;
	struct mqtt_sp_node *n = pl_calloc(1, sizeof(*n));
	pl_strlcpy(n->group, group, sizeof(n->group));
	pl_strlcpy(n->node, node, sizeof(n->node));
	n->rebirth_interval_ms = opt && opt->rebirth_interval_ms > 0 ?
				 opt->rebirth_interval_ms : 5000;
	n->max_future_ms = opt && opt->max_future_ms > 0 ? opt->max_future_ms : 300000;
	n->last_rebirth_ms = INT64_MIN;
	n->bdseq = -1;
	*out = n;
	return 0;
}

/* Drops entries of device dev (0: every entry) and compacts. */
static void drop_entries(struct mqtt_sp_node *n, uint32_t dev)
{
	size_t w = 0;
	for (size_t r = 0; r < n->n; r++) {
		if (dev == 0 || n->e[r].dev == dev) {
			free(n->e[r].name);
			continue;
		}
		n->e[w++] = n->e[r];
	}
	n->n = w;
	n->gen++;
	free(n->alias_slot); /* entries moved: by_alias until the reindex */
	n->alias_slot = NULL;
	n->n_alias_slot = 0;
}

void mqtt_sp_node_free(struct mqtt_sp_node *n)
{
	if (!n)
		return;
	drop_entries(n, 0);
	for (size_t i = 0; i < n->ndev; i++)
		free(n->dev[i].id);
	free(n->dev);
	free(n->by_name);
	free(n->by_alias);
	free(n->alias_slot);
	free(n->e);
	free(n->bind);
	free(n->vals);
	free(n);
}

/* ------------------------------------------------------------- indexes */

static int cmp_alias(const void *a, const void *b, void *ctx)
{
	const struct entry *e = ctx;
	uint64_t x = e[*(const uint32_t *)a].alias, y = e[*(const uint32_t *)b].alias;
	return x < y ? -1 : x > y;
}

static int cmp_name(const void *a, const void *b, void *ctx)
{
	const struct entry *e = ctx;
	const struct entry *x = &e[*(const uint32_t *)a], *y = &e[*(const uint32_t *)b];
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The direct alias table of a clean index (no alias twice), when the
 * largest alias is below DENSE_SLOTS(aliases): edge nodes number their
 * aliases 0..n-1 or close to it, and a lookup per DATA metric is then one
 * load instead of a binary search (most of resolve_dev's time). Sparse
 * aliases keep the search, so the table is at most ~4 words per alias. */
#define DENSE_SLOTS(k) (4 * (uint64_t)(k) + 64)
static void alias_slots(struct mqtt_sp_node *n)
{
	if (n->n_alias == 0)
		return;
	uint64_t max = n->e[n->by_alias[n->n_alias - 1]].alias; /* sorted */
	if (max >= DENSE_SLOTS(n->n_alias))
		return;
	n->n_alias_slot = (size_t)max + 1;
	n->alias_slot = pl_calloc(n->n_alias_slot, sizeof(uint32_t));
	for (size_t i = 0; i < n->n_alias; i++)
		n->alias_slot[n->e[n->by_alias[i]].alias] = n->by_alias[i] + 1;
}

/* Rebuilds both indexes; returns false (with what clashed in why) when an
 * alias repeats anywhere in the node (tck-id-payloads-alias-uniqueness) or
 * a name repeats within one device. */
static bool reindex(struct mqtt_sp_node *n, char *why, size_t whysz)
{
	n->gen++; /* entry indexes (mqtt_sp_binding.index) may have changed */
	free(n->by_alias);
	free(n->by_name);
	free(n->alias_slot);
	n->alias_slot = NULL;
	n->n_alias_slot = 0;
	n->by_alias = pl_calloc(n->n ? n->n : 1, sizeof(uint32_t));
	n->by_name = pl_calloc(n->n ? n->n : 1, sizeof(uint32_t));
	n->n_alias = 0;
	for (size_t i = 0; i < n->n; i++) {
		n->by_name[i] = (uint32_t)i;
		if (n->e[i].has_alias)
			n->by_alias[n->n_alias++] = (uint32_t)i;
	}
	qsort_r(n->by_alias, n->n_alias, sizeof(uint32_t), cmp_alias, n->e);
	qsort_r(n->by_name, n->n, sizeof(uint32_t), cmp_name, n->e);
	for (size_t i = 1; i < n->n_alias; i++)
		if (n->e[n->by_alias[i]].alias == n->e[n->by_alias[i - 1]].alias) {
			snprintf(why, whysz, "alias %llu is used twice",
				 (unsigned long long)n->e[n->by_alias[i]].alias);
			return false;
		}
	for (size_t i = 1; i < n->n; i++)
		if (cmp_name(&n->by_name[i], &n->by_name[i - 1], n->e) == 0) {
			snprintf(why, whysz, "metric '%s' is defined twice",
				 n->e[n->by_name[i]].name);
			return false;
		}
	alias_slots(n);
	return true;
}

static const struct entry *find_alias(const struct mqtt_sp_node *n, uint64_t alias)
{
	if (n->alias_slot) /* every alias is below n_alias_slot */
		return alias < n->n_alias_slot && n->alias_slot[alias] ?
		       &n->e[n->alias_slot[alias] - 1] : NULL;
	size_t lo = 0, hi = n->n_alias;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct entry *e = &n->e[n->by_alias[mid]];
		if (e->alias == alias)
			return e;
		if (e->alias < alias)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct entry *find_name(const struct mqtt_sp_node *n, uint32_t dev,
				     const char *name)
{
	size_t lo = 0, hi = n->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct entry *e = &n->e[n->by_name[mid]];
		int c = e->dev != dev ? (e->dev < dev ? -1 : 1) : strcmp(e->name, name);
		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Device slot number (1-based) of id, 0 when unknown. Linear: a node has
 * at most MQTT_SP_NODE_DEVICES_MAX devices and typically a handful. */
static uint32_t find_device(const struct mqtt_sp_node *n, const char *id)
{
	for (size_t i = 0; i < n->ndev; i++)
		if (strcmp(n->dev[i].id, id) == 0)
			return (uint32_t)(i + 1);
	return 0;
}

/* ------------------------------------------------------------- verdicts */

static void verdict(struct mqtt_sp_verdict *v, enum mqtt_sp_cause c,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void verdict(struct mqtt_sp_verdict *v, enum mqtt_sp_cause c,
		    const char *fmt, ...)
{
	va_list ap;
	v->cause = c;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
}

/* Rate-limited rebirth request (NOTES 2). */
static bool want_rebirth(struct mqtt_sp_node *n, int64_t now_ms)
{
	if (n->last_rebirth_ms != INT64_MIN &&
	    now_ms - n->last_rebirth_ms < n->rebirth_interval_ms)
		return false;
	n->last_rebirth_ms = now_ms;
	return true;
}

/* The value of a bdSeq metric: Int64 per the spec's NBIRTH and the TCK,
 * UInt64 in its NDEATH example (trap 3); both travel in long_value. */
static bool bdseq_value(const struct mqtt_sp_payload *p, int64_t *out)
{
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct mqtt_sp_metric *m = &p->metrics[i];
		if (!m->name || strcmp(m->name, "bdSeq") != 0)
			continue;
		if (m->has_datatype && m->datatype != MQTT_SP_DT_INT64 &&
		    m->datatype != MQTT_SP_DT_UINT64)
			return false;
		if (m->raw.field != MQTT_SP_F_LONG || m->raw.u > 255)
			return false;
		*out = (int64_t)m->raw.u;
		return true;
	}
	return false;
}

/* Adds the metrics of a birth for device slot dev (0: node) and checks the
 * birth rules (NOTES 6). On failure the new entries are dropped again and
 * why says what was wrong. */
static bool add_birth(struct mqtt_sp_node *n, uint32_t dev,
		      const struct mqtt_sp_payload *p, char *why, size_t whysz)
{
	bool rebirth_seen = false;

	if (n->n + p->n_metrics > MQTT_SP_NODE_METRICS_MAX) {
		snprintf(why, whysz, "more than %d metrics", MQTT_SP_NODE_METRICS_MAX);
		return false;
	}
	if (!p->has_timestamp) { /* tck-id-payloads-nbirth-timestamp, -dbirth- */
		snprintf(why, whysz, "no payload timestamp");
		return false;
	}
	size_t first = n->n;
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct mqtt_sp_metric *m = &p->metrics[i];
		/* tck-id-topics-nbirth-metrics, tck-id-payloads-metric-datatype-req,
		 * tck-id-payloads-name-birth-data-requirement */
		if (!m->name || !m->name[0] || !m->has_datatype || !m->has_timestamp) {
			snprintf(why, whysz, "metric %zu lacks a name, datatype or timestamp", i);
			goto fail;
		}
		if (m->raw.field == MQTT_SP_F_TEMPLATE && m->tmpl_is_definition && dev) {
			/* tck-id-payloads-template-definition-nbirth-only */
			snprintf(why, whysz, "template definition '%s' outside NBIRTH", m->name);
			goto fail;
		}
		if (dev == 0 && strcmp(m->name, REBIRTH_METRIC) == 0) {
			/* tck-id-operational-behavior-data-commands-rebirth-name-aliases,
			 * -rebirth-datatype, -rebirth-value */
			if (m->has_alias || m->datatype != MQTT_SP_DT_BOOLEAN ||
			    m->raw.field != MQTT_SP_F_BOOL || m->raw.b) {
				snprintf(why, whysz, REBIRTH_METRIC
					 " must be Boolean false without an alias");
				goto fail;
			}
			rebirth_seen = true;
		}
		if (n->n == n->cap) {
			n->cap = n->cap ? n->cap * 2 : 64;
			n->e = pl_realloc(n->e, n->cap * sizeof(*n->e));
		}
		n->e[n->n++] = (struct entry){
			.name = pl_strdup(m->name), .dev = dev,
			.has_alias = m->has_alias, .alias = m->alias,
			.datatype = m->datatype,
		};
	}
	if (dev == 0 && !rebirth_seen) { /* tck-id-payloads-nbirth-rebirth-req */
		snprintf(why, whysz, "no " REBIRTH_METRIC " metric");
		goto fail;
	}
	if (!reindex(n, why, whysz))
		goto fail;
	return true;
fail:
	for (size_t i = first; i < n->n; i++)
		free(n->e[i].name);
	n->n = first;
	reindex(n, why + strlen(why), whysz - strlen(why)); /* old set was clean */
	return false;
}

static int resolve_dev(const struct mqtt_sp_node *n, uint32_t dev,
		       const struct mqtt_sp_metric *m, struct mqtt_sp_binding *out);

/* Checks that every metric of a DATA message for device slot dev (0:
 * node) resolves and its value suits the birth's datatype (NOTES 4),
 * keeping each binding and converted value in n->bind / n->vals for the
 * verdict: the caller applies them without resolving again. */
static bool check_data(struct mqtt_sp_node *n, uint32_t dev,
		       const struct mqtt_sp_payload *p, struct mqtt_sp_verdict *v)
{
	if (p->n_metrics > n->bind_cap) {
		n->bind_cap = p->n_metrics > 2 * n->bind_cap ? p->n_metrics : 2 * n->bind_cap;
		free(n->bind);
		free(n->vals);
		n->bind = pl_malloc(n->bind_cap * sizeof(*n->bind));
		n->vals = pl_malloc(n->bind_cap * sizeof(*n->vals));
	}
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct mqtt_sp_metric *m = &p->metrics[i];
		/* resolved straight into the verdict's arrays: a copy from the
		 * stack read back fields just written one by one (a store
		 * forwarding stall, most of this function's time) */
		struct mqtt_sp_binding *bp = &n->bind[i];
		struct mqtt_sp_value *valp = &n->vals[i];
		if (resolve_dev(n, dev, m, bp)) {
			if (m->has_alias)
				verdict(v, MQTT_SP_C_UNKNOWN_METRIC, "metric %zu: unknown alias %llu",
					i, (unsigned long long)m->alias);
			else
				verdict(v, MQTT_SP_C_UNKNOWN_METRIC, "metric %zu: unknown name '%.60s'",
					i, m->name ? m->name : "");
			return false;
		}
		if ((m->has_datatype && m->datatype != bp->datatype) ||
		    mqtt_sp_value_from_raw(bp->datatype, &m->raw, valp)) {
			verdict(v, MQTT_SP_C_BAD_DATA, "metric %zu ('%.60s'): value is not a %s",
				i, bp->name, mqtt_sp_dt_name(bp->datatype));
			return false;
		}
		size_t cnt;
		if (valp->kind == MQTT_SP_V_BYTES && bp->datatype >= MQTT_SP_DT_INT8_ARRAY &&
		    mqtt_sp_array_count(bp->datatype, m->raw.p, m->raw.n, &cnt)) {
			verdict(v, MQTT_SP_C_BAD_DATA, "metric %zu ('%.60s'): malformed %s",
				i, bp->name, mqtt_sp_dt_name(bp->datatype));
			return false;
		}
	}
	v->bindings = n->bind;
	v->values = n->vals;
	return true;
}

/* NOTES 5a: the latest timestamp a DATA message may carry. */
static bool from_future(const struct mqtt_sp_node *n, const struct mqtt_sp_payload *p,
			int64_t now_ms, struct mqtt_sp_verdict *v)
{
	uint64_t limit = now_ms + n->max_future_ms < 0 ? 0 : (uint64_t)(now_ms + n->max_future_ms);
	if (p->has_timestamp && p->timestamp > limit) {
		verdict(v, MQTT_SP_C_FUTURE_TIME, "payload timestamp %llu is %lld ms ahead",
			(unsigned long long)p->timestamp, (long long)(p->timestamp - (uint64_t)now_ms));
		return true;
	}
	for (size_t i = 0; i < p->n_metrics; i++)
		if (p->metrics[i].has_timestamp && p->metrics[i].timestamp > limit) {
			verdict(v, MQTT_SP_C_FUTURE_TIME, "metric %zu timestamp %llu is in the future",
				i, (unsigned long long)p->metrics[i].timestamp);
			return true;
		}
	return false;
}

static void feed_nbirth(struct mqtt_sp_node *n, const struct mqtt_sp_payload *p,
			int64_t now_ms, struct mqtt_sp_verdict *v)
{
	char why[120] = "";
	int64_t bd;

	/* Every NBIRTH starts the session over: births of devices follow. */
	drop_entries(n, 0);
	for (size_t i = 0; i < n->ndev; i++)
		n->dev[i].born = false;
	n->born = false;
	reindex(n, why, sizeof(why));
	/* tck-id-payloads-nbirth-seq: present, 0..255 (we accept any, NOTES 1) */
	if (!p->has_seq || p->seq > 255) {
		verdict(v, MQTT_SP_C_MISSING_SEQ, "NBIRTH without a seq in 0..255");
		goto bad;
	}
	/* tck-id-payloads-nbirth-bdseq */
	if (!bdseq_value(p, &bd)) {
		verdict(v, MQTT_SP_C_BAD_BIRTH, "NBIRTH without a valid bdSeq metric");
		goto bad;
	}
	if (!add_birth(n, 0, p, why, sizeof(why))) {
		verdict(v, MQTT_SP_C_BAD_BIRTH, "NBIRTH: %s", why);
		goto bad;
	}
	n->born = true;
	n->bdseq = bd;
	n->last_seq = (unsigned)p->seq;
	v->apply = true;
	return;
bad:
	v->rebirth = want_rebirth(n, now_ms);
}

static void feed_ndeath(struct mqtt_sp_node *n, const struct mqtt_sp_payload *p,
			int64_t now_ms, struct mqtt_sp_verdict *v)
{
	int64_t bd;
	/* tck-id-topics-ndeath-payload: one metric, bdSeq. A seq on it breaks
	 * tck-id-payloads-ndeath-seq but says nothing about the session: we
	 * do not reject the death for it. */
	if (!bdseq_value(p, &bd)) {
		verdict(v, MQTT_SP_C_BAD_DATA, "NDEATH without a valid bdSeq metric");
		return;
	}
	if (!n->born || bd != n->bdseq) {
		verdict(v, MQTT_SP_C_OLD_DEATH, "NDEATH bdSeq %lld does not match NBIRTH %lld",
			(long long)bd, (long long)n->bdseq);
		return;
	}
	/* tck-id-operational-behavior-edge-node-termination-host-action-ndeath-* */
	n->born = false;
	for (size_t i = 0; i < n->ndev; i++)
		n->dev[i].born = false;
	v->stale = MQTT_SP_STALE_NODE;
	v->stale_at_ms = now_ms;
}

int mqtt_sp_node_feed(struct mqtt_sp_node *n, const struct mqtt_sp_topic *t,
		      const struct mqtt_sp_payload *p, int64_t now_ms,
		      struct mqtt_sp_verdict *v)
{
	char why[120] = "";
	bool gap = false;

	memset(v, 0, sizeof(*v));
	if (t->type == MQTT_SP_STATE || strcmp(t->group, n->group) != 0 ||
	    strcmp(t->node, n->node) != 0) {
		if (t->type == MQTT_SP_STATE) {
			verdict(v, MQTT_SP_C_COMMAND, "STATE is host traffic");
			return 0;
		}
		verdict(v, MQTT_SP_C_WRONG_NODE, "topic is for %s/%s, not %s/%s",
			t->group, t->node, n->group, n->node);
		return PL_EINVAL;
	}
	if (t->type == MQTT_SP_NCMD || t->type == MQTT_SP_DCMD) {
		verdict(v, MQTT_SP_C_COMMAND, "%s is host traffic", mqtt_sp_msg_name(t->type));
		return 0;
	}
	if (!p) { /* undecodable: our view may be wrong, ask for all of it */
		verdict(v, MQTT_SP_C_BAD_DATA, "%s payload did not decode",
			mqtt_sp_msg_name(t->type));
		if (t->type != MQTT_SP_NDEATH)
			v->rebirth = want_rebirth(n, now_ms);
		return 0;
	}
	if (t->type == MQTT_SP_NBIRTH) {
		feed_nbirth(n, p, now_ms, v);
		return 0;
	}
	if (t->type == MQTT_SP_NDEATH) {
		feed_ndeath(n, p, now_ms, v);
		return 0;
	}

	/* DBIRTH, NDATA, DDATA, DDEATH: need a node birth (NOTES 3). */
	if (!n->born) {
		verdict(v, MQTT_SP_C_NO_BIRTH, "%s before NBIRTH", mqtt_sp_msg_name(t->type));
		v->rebirth = want_rebirth(n, now_ms);
		return 0;
	}
	/* tck-id-payloads-sequence-num-always-included, -incrementing */
	if (!p->has_seq || p->seq > 255) {
		verdict(v, MQTT_SP_C_MISSING_SEQ, "%s without a seq in 0..255",
			mqtt_sp_msg_name(t->type));
		v->rebirth = want_rebirth(n, now_ms);
		return 0;
	}
	unsigned seq = (unsigned)p->seq;
	if (seq == n->last_seq) {
		verdict(v, MQTT_SP_C_DUPLICATE, "%s repeats seq %u",
			mqtt_sp_msg_name(t->type), seq);
		return 0;
	}
	if (seq != ((n->last_seq + 1) & 255u)) {
		gap = true;
		snprintf(why, sizeof(why), "seq %u after %u", seq, n->last_seq);
	}
	n->last_seq = seq;

	uint32_t dev = 0;
	if (t->type != MQTT_SP_NDATA) {
		dev = find_device(n, t->device);
		if (dev == 0 && t->type == MQTT_SP_DBIRTH) {
			if (n->ndev == MQTT_SP_NODE_DEVICES_MAX) {
				verdict(v, MQTT_SP_C_BAD_BIRTH, "more than %d devices",
					MQTT_SP_NODE_DEVICES_MAX);
				goto rebirth;
			}
			if (n->ndev == n->devcap) {
				n->devcap = n->devcap ? n->devcap * 2 : 8;
				n->dev = pl_realloc(n->dev, n->devcap * sizeof(*n->dev));
			}
			n->dev[n->ndev++] = (struct device){ .id = pl_strdup(t->device) };
			dev = (uint32_t)n->ndev;
		}
		if (t->type != MQTT_SP_DBIRTH && (dev == 0 || !n->dev[dev - 1].born)) {
			verdict(v, MQTT_SP_C_NO_BIRTH, "%s for device '%s' before its DBIRTH",
				mqtt_sp_msg_name(t->type), t->device);
			goto rebirth;
		}
	}

	switch (t->type) {
	case MQTT_SP_DBIRTH: {
		char bwhy[120] = "";
		/* A repeated DBIRTH replaces the device's metrics. */
		n->dev[dev - 1].born = false;
		drop_entries(n, dev);
		reindex(n, bwhy, sizeof(bwhy));
		if (!add_birth(n, dev, p, bwhy, sizeof(bwhy))) {
			verdict(v, MQTT_SP_C_BAD_BIRTH, "DBIRTH '%s': %s", t->device, bwhy);
			goto rebirth;
		}
		n->dev[dev - 1].born = true;
		break;
	}
	case MQTT_SP_NDATA:
	case MQTT_SP_DDATA:
		if (from_future(n, p, now_ms, v))
			return 0; /* dropped, no rebirth (NOTES 5a) */
		if (!check_data(n, dev, p, v))
			goto rebirth;
		break;
	case MQTT_SP_DDEATH:
		/* tck-id-operational-behavior-device-ddeath: the device's
		 * metrics go stale at the DDEATH's own timestamp. */
		n->dev[dev - 1].born = false;
		v->stale = MQTT_SP_STALE_DEVICE;
		v->stale_at_ms = p->has_timestamp ? (int64_t)p->timestamp : now_ms;
		break;
	default:
		assert(!"unreachable message type");
		break;
	}
	v->apply = t->type != MQTT_SP_DDEATH;
	if (gap) {
		verdict(v, MQTT_SP_C_SEQ_GAP, "%s: %s", mqtt_sp_msg_name(t->type), why);
		v->rebirth = want_rebirth(n, now_ms);
	}
	return 0;
rebirth:
	v->apply = false;
	v->bindings = NULL;
	v->values = NULL;
	v->rebirth = want_rebirth(n, now_ms);
	return 0;
}

int mqtt_sp_node_resolve(const struct mqtt_sp_node *n, const char *device,
			 const struct mqtt_sp_metric *m, struct mqtt_sp_binding *out)
{
	uint32_t dev = 0;

	if (device && device[0] && (dev = find_device(n, device)) == 0)
		return PL_ENOTFOUND;
	return resolve_dev(n, dev, m, out);
}

/* mqtt_sp_node_resolve once the device slot is known. */
static int resolve_dev(const struct mqtt_sp_node *n, uint32_t dev,
		       const struct mqtt_sp_metric *m, struct mqtt_sp_binding *out)
{
	const struct entry *e;

	if (m->has_alias)
		e = find_alias(n, m->alias);
	else if (m->name)
		e = find_name(n, dev, m->name);
	else
		return PL_ENOTFOUND;
	if (!e || e->dev != dev)
		return PL_ENOTFOUND;
	out->name = e->name;
	out->device = dev ? n->dev[dev - 1].id : "";
	out->datatype = e->datatype;
	out->index = (uint32_t)(e - n->e);
	return 0;
}

uint64_t mqtt_sp_node_generation(const struct mqtt_sp_node *n)
{
	return n->gen;
}

bool mqtt_sp_node_online(const struct mqtt_sp_node *n)
{
	return n->born;
}

int64_t mqtt_sp_node_bdseq(const struct mqtt_sp_node *n)
{
	return n->bdseq;
}

bool mqtt_sp_node_device_online(const struct mqtt_sp_node *n, const char *device)
{
	uint32_t d = find_device(n, device);
	return n->born && d && n->dev[d - 1].born;
}

size_t mqtt_sp_node_metric_count(const struct mqtt_sp_node *n)
{
	return n->n;
}
