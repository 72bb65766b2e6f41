/* test_node.c - the host's per-edge-node session rules as scripted
 * scenarios: each step feeds one message and states the verdict expected
 * (apply, rebirth, stale, cause), tagged with the TCK id it checks. */
#include <criterion/criterion.h>
#include <string.h>
#include "mqtt/mqtt.h"

/* Payload shapes the steps use. */
enum shape {
	P_NONE,        /* undecodable: feed(NULL) */
	P_NBIRTH,      /* bdSeq, Rebirth=false, Speed(alias 1, Double), Count(alias 2, Int32) */
	P_DBIRTH,      /* Temp(alias 10, Float), State(alias 11, Int8) */
	P_DATA,        /* one metric by alias `alias` with a value fitting its birth */
	P_DATA_NAME,   /* one metric by name "Speed" (no alias) */
	P_DATA_WRONG,  /* alias 1 (Double) carrying int_value */
	P_NDEATH,      /* bdSeq only, Int64 */
	P_NDEATH_U64,  /* bdSeq only, UInt64 (trap 3) */
	P_DDEATH,      /* no metrics, timestamp 777 */
	P_EMPTY,       /* no metrics at all */
	P_DATA_FUTURE, /* alias 1, metric timestamp `alias` ms past NOW */
};
/* Birth variants (bit flags). */
enum {
	V_REBIRTH_ALIASED = 1, V_REBIRTH_TRUE = 2, V_NO_REBIRTH = 4, V_NO_BDSEQ = 8,
	V_DUP_ALIAS = 16, V_NO_DATATYPE = 32, V_NODE_ALIAS_CLASH = 64, V_TEMPLATE_DEF = 128,
	V_NO_TIMESTAMP = 256,
};

struct step {
	const char *tck;
	enum mqtt_sp_msg type;
	const char *device;
	enum shape shape;
	int64_t seq;   /* -1: none */
	int64_t bdseq;
	uint64_t alias;
	unsigned variant;
	int64_t now;
	/* expected */
	bool apply, rebirth;
	enum mqtt_sp_stale stale;
	enum mqtt_sp_cause cause;
};

#define NOW 1000000
#define END { NULL, 0, NULL, 0, 0, 0, 0, 0, 0, false, false, 0, 0 }

static void metric(struct mqtt_sp_metric *m, const char *name, bool alias, uint64_t a,
		   uint32_t dt, struct mqtt_sp_raw raw)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->has_alias = alias;
	m->alias = a;
	m->has_timestamp = true;
	m->timestamp = 5;
	m->has_datatype = dt != 0;
	m->datatype = dt;
	m->raw = raw;
}
#define RB(x) ((struct mqtt_sp_raw){ .field = MQTT_SP_F_BOOL, .b = (x) })
#define RL(x) ((struct mqtt_sp_raw){ .field = MQTT_SP_F_LONG, .u = (x) })
#define RI(x) ((struct mqtt_sp_raw){ .field = MQTT_SP_F_INT, .u = (x) })
#define RD(x) ((struct mqtt_sp_raw){ .field = MQTT_SP_F_DOUBLE, .d = (x) })
#define RF(x) ((struct mqtt_sp_raw){ .field = MQTT_SP_F_FLOAT, .f = (x) })

static void build(const struct step *s, struct mqtt_sp_payload *p, struct mqtt_sp_metric *m)
{
	size_t n = 0;
	memset(p, 0, sizeof(*p));
	p->has_timestamp = !(s->variant & V_NO_TIMESTAMP);
	p->timestamp = 777;
	p->has_seq = s->seq >= 0;
	p->seq = (uint64_t)s->seq;
	switch (s->shape) {
	case P_NBIRTH:
		if (!(s->variant & V_NO_BDSEQ))
			metric(&m[n++], "bdSeq", false, 0, MQTT_SP_DT_INT64, RL((uint64_t)s->bdseq));
		if (!(s->variant & V_NO_REBIRTH))
			metric(&m[n++], "Node Control/Rebirth", s->variant & V_REBIRTH_ALIASED, 50,
			       MQTT_SP_DT_BOOLEAN, RB(s->variant & V_REBIRTH_TRUE));
		metric(&m[n++], "Speed", true, 1, MQTT_SP_DT_DOUBLE, RD(1.5));
		metric(&m[n++], "Count", true, (s->variant & V_DUP_ALIAS) ? 1 : 2,
		       (s->variant & V_NO_DATATYPE) ? 0 : MQTT_SP_DT_INT32, RI(7));
		break;
	case P_DBIRTH:
		metric(&m[n++], "Temp", true, (s->variant & V_NODE_ALIAS_CLASH) ? 2 : 10,
		       MQTT_SP_DT_FLOAT, RF(20.5f));
		metric(&m[n++], "State", true, 11, MQTT_SP_DT_INT8, RI(255));
		if (s->variant & V_TEMPLATE_DEF) {
			metric(&m[n], "Motor", false, 0, MQTT_SP_DT_TEMPLATE,
			       (struct mqtt_sp_raw){ .field = MQTT_SP_F_TEMPLATE });
			m[n++].tmpl_is_definition = true;
		}
		break;
	case P_DATA:
		switch (s->alias) {
		case 1: metric(&m[n++], NULL, true, 1, 0, RD(2.5)); break;
		case 2: metric(&m[n++], NULL, true, 2, 0, RI(0xffffffffu)); break;
		case 10: metric(&m[n++], NULL, true, 10, 0, RF(21.0f)); break;
		case 11: metric(&m[n++], NULL, true, 11, 0, RI(3)); break;
		default: metric(&m[n++], NULL, true, s->alias, 0, RI(1)); break;
		}
		break;
	case P_DATA_NAME:
		metric(&m[n++], "Speed", false, 0, 0, RD(3.5));
		break;
	case P_DATA_WRONG:
		metric(&m[n++], NULL, true, 1, 0, RI(1));
		break;
	case P_DATA_FUTURE:
		metric(&m[n], NULL, true, 1, 0, RD(1.0));
		m[n++].timestamp = NOW + s->alias;
		break;
	case P_NDEATH:
		p->has_timestamp = false;
		metric(&m[n++], "bdSeq", false, 0, MQTT_SP_DT_INT64, RL((uint64_t)s->bdseq));
		break;
	case P_NDEATH_U64:
		metric(&m[n++], "bdSeq", false, 0, MQTT_SP_DT_UINT64, RL((uint64_t)s->bdseq));
		break;
	default:
		break;
	}
	p->n_metrics = n;
	p->metrics = m;
}

static void run(const char *name, const struct step *steps)
{
	struct mqtt_sp_node *node;
	struct mqtt_sp_node_options opt = { .rebirth_interval_ms = 5000 };
	cr_assert_eq(mqtt_sp_node_new("Plant1", "Line1", &opt, &node), 0);
	for (int i = 0; steps[i].tck; i++) {
		const struct step *s = &steps[i];
		struct mqtt_sp_topic t = { .type = s->type, .group = "Plant1", .node = "Line1" };
		if (s->device)
			pl_strlcpy(t.device, s->device, sizeof(t.device));
		struct mqtt_sp_payload p;
		struct mqtt_sp_metric m[8];
		build(s, &p, m);
		struct mqtt_sp_verdict v;
		uint64_t gen = mqtt_sp_node_generation(node);
		int rc = mqtt_sp_node_feed(node, &t, s->shape == P_NONE ? NULL : &p,
					   s->now ? s->now : NOW, &v);
		/* the ingest caches series per binding index while the
		 * generation holds: data must keep it, a good birth must move it */
		if (s->type == MQTT_SP_NDATA || s->type == MQTT_SP_DDATA)
			cr_expect_eq(mqtt_sp_node_generation(node), gen, "%s step %d: data moved the table",
				     name, i);
		if ((s->type == MQTT_SP_NBIRTH || s->type == MQTT_SP_DBIRTH) && v.cause == MQTT_SP_C_OK)
			cr_expect_neq(mqtt_sp_node_generation(node), gen, "%s step %d: birth kept the generation",
				      name, i);
		cr_expect_eq(rc, 0, "%s step %d [%s]", name, i, s->tck);
		cr_expect_eq(v.cause, s->cause, "%s step %d [%s]: cause %s (%s)", name, i, s->tck,
			     mqtt_sp_cause_name(v.cause), v.detail);
		cr_expect_eq(v.apply, s->apply, "%s step %d [%s]: apply %d (%s)", name, i,
			     s->tck, v.apply, v.detail);
		cr_expect_eq(v.rebirth, s->rebirth, "%s step %d [%s]: rebirth %d (%s)", name, i,
			     s->tck, v.rebirth, v.detail);
		cr_expect_eq(v.stale, s->stale, "%s step %d [%s]: stale %d", name, i, s->tck, v.stale);
		if (v.cause != MQTT_SP_C_OK)
			cr_expect_neq(v.detail[0], '\0', "%s step %d: no detail", name, i);
		/* Every applied DATA metric resolves to its birth's name, and
		 * an applied DATA verdict carries exactly that resolution and
		 * the converted value (one resolution per metric); every other
		 * verdict carries none. */
		bool data = v.apply && (s->type == MQTT_SP_NDATA || s->type == MQTT_SP_DDATA);
		cr_expect_eq(v.bindings != NULL, data, "%s step %d: bindings", name, i);
		cr_expect_eq(v.values != NULL, data, "%s step %d: values", name, i);
		for (size_t k = 0; v.apply && k < p.n_metrics; k++) {
			struct mqtt_sp_binding b;
			struct mqtt_sp_value val;
			cr_expect_eq(mqtt_sp_node_resolve(node, t.device, &p.metrics[k], &b), 0,
				     "%s step %d metric %zu", name, i, k);
			if (!data)
				continue;
			cr_expect(v.bindings[k].name == b.name && v.bindings[k].device == b.device &&
				  v.bindings[k].datatype == b.datatype && v.bindings[k].index == b.index,
				  "%s step %d metric %zu: binding", name, i, k);
			cr_assert_eq(mqtt_sp_value_from_raw(b.datatype, &p.metrics[k].raw, &val), 0);
			cr_expect(v.values[k].kind == val.kind && v.values[k].i == val.i &&
				  v.values[k].u == val.u && v.values[k].d == val.d,
				  "%s step %d metric %zu: value", name, i, k);
		}
	}
	mqtt_sp_node_free(node);
}

#define NB(tck, seq, bd, var, apply, reb, cause) \
	{ tck, MQTT_SP_NBIRTH, NULL, P_NBIRTH, seq, bd, 0, var, 0, apply, reb, MQTT_SP_STALE_NONE, cause }
#define DB(tck, seq, var, apply, reb, cause) \
	{ tck, MQTT_SP_DBIRTH, "filler", P_DBIRTH, seq, 0, 0, var, 0, apply, reb, MQTT_SP_STALE_NONE, cause }
#define ND(tck, seq, alias, now, apply, reb, cause) \
	{ tck, MQTT_SP_NDATA, NULL, P_DATA, seq, 0, alias, 0, now, apply, reb, MQTT_SP_STALE_NONE, cause }
#define DD(tck, seq, alias, apply, reb, cause) \
	{ tck, MQTT_SP_DDATA, "filler", P_DATA, seq, 0, alias, 0, 0, apply, reb, MQTT_SP_STALE_NONE, cause }

static const struct step happy_wrap[] = {
	NB("tck-id-payloads-nbirth-seq", 254, 0, 0, true, false, MQTT_SP_C_OK),
	DB("tck-id-payloads-dbirth-seq-inc", 255, 0, true, false, MQTT_SP_C_OK),
	ND("tck-id-payloads-ndata-seq-inc (255 -> 0 wrap)", 0, 1, 0, true, false, MQTT_SP_C_OK),
	DD("tck-id-payloads-ddata-seq-inc", 1, 10, true, false, MQTT_SP_C_OK),
	DD("trap 1 via birth datatype: Int8 alias 11", 2, 11, true, false, MQTT_SP_C_OK),
	ND("tck-id-payloads-alias-data-cmd-requirement", 3, 2, 0, true, false, MQTT_SP_C_OK),
	{ "tck-id-payloads-name-requirement (no aliases)", MQTT_SP_NDATA, NULL, P_DATA_NAME, 4,
	  0, 0, 0, 0, true, false, MQTT_SP_STALE_NONE, MQTT_SP_C_OK },
	{ "trap 5 empty NDATA", MQTT_SP_NDATA, NULL, P_EMPTY, 5, 0, 0, 0, 0, true, false,
	  MQTT_SP_STALE_NONE, MQTT_SP_C_OK },
	END,
};

static const struct step gaps[] = {
	NB("tck-id-topics-nbirth-seq-num", 0, 0, 0, true, false, MQTT_SP_C_OK),
	ND("tck-id-payloads-ndata-seq-inc", 1, 1, 0, true, false, MQTT_SP_C_OK),
	ND("tck-id-payloads-sequence-num-incrementing: gap 1 -> 3", 3, 1, 0, true, true, MQTT_SP_C_SEQ_GAP),
	ND("resynced after the gap", 4, 1, 0, true, false, MQTT_SP_C_OK),
	ND("second gap inside the rebirth interval: not asked again", 6, 1, NOW + 4999,
	   true, false, MQTT_SP_C_SEQ_GAP),
	ND("gap after the interval: asked again", 9, 1, NOW + 5000, true, true, MQTT_SP_C_SEQ_GAP),
	ND("duplicate seq dropped", 9, 1, NOW + 5000, false, false, MQTT_SP_C_DUPLICATE),
	{ "tck-id-payloads-ndata-seq: missing seq", MQTT_SP_NDATA, NULL, P_DATA, -1, 0, 1, 0,
	  NOW + 20000, false, true, MQTT_SP_STALE_NONE, MQTT_SP_C_MISSING_SEQ },
	ND("seq 256 is out of range", 256, 1, NOW + 40000, false, true, MQTT_SP_C_MISSING_SEQ),
	/* tck-id-operational-behavior-data-commands-rebirth-action-2: the
	 * rebirth: same bdSeq, seq 0, then the device births */
	NB("tck-id-operational-behavior-data-commands-rebirth-action-3", 0, 0, 0, true, false, MQTT_SP_C_OK),
	DB("tck-id-payloads-dbirth-order", 1, 0, true, false, MQTT_SP_C_OK),
	END,
};

static const struct step before_birth[] = {
	ND("NOTES 3: NDATA before NBIRTH", 5, 1, 0, false, true, MQTT_SP_C_NO_BIRTH),
	DB("tck-id-payloads-dbirth-order: DBIRTH before NBIRTH", 6, 0, false, false, MQTT_SP_C_NO_BIRTH),
	{ "DDEATH before NBIRTH", MQTT_SP_DDEATH, "filler", P_DDEATH, 7, 0, 0, 0, NOW + 6000,
	  false, true, MQTT_SP_STALE_NONE, MQTT_SP_C_NO_BIRTH },
	NB("tck-id-message-flow-edge-node-birth-publish-nbirth-payload-seq", 17, 4, 0, true, false, MQTT_SP_C_OK),
	{ "tck-id-payloads-ddata-order: DDATA before DBIRTH", MQTT_SP_DDATA, "filler", P_DATA, 18, 0,
	  10, 0, NOW + 12000, false, true, MQTT_SP_STALE_NONE, MQTT_SP_C_NO_BIRTH },
	DB("DBIRTH", 19, 0, true, false, MQTT_SP_C_OK),
	DD("after DBIRTH", 20, 10, true, false, MQTT_SP_C_OK),
	END,
};

static const struct step deaths[] = {
	NB("tck-id-payloads-nbirth-bdseq", 0, 3, 0, true, false, MQTT_SP_C_OK),
	DB("DBIRTH", 1, 0, true, false, MQTT_SP_C_OK),
	{ "tck-id-payloads-ndeath-bdseq: late Will from an older session", MQTT_SP_NDEATH, NULL,
	  P_NDEATH, -1, 2, 0, 0, 0, false, false, MQTT_SP_STALE_NONE, MQTT_SP_C_OLD_DEATH },
	ND("still online after the old death", 2, 1, 0, true, false, MQTT_SP_C_OK),
	{ "tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale (UInt64 bdSeq, trap 3)",
	  MQTT_SP_NDEATH, NULL, P_NDEATH_U64, -1, 3, 0, 0, 0, false, false, MQTT_SP_STALE_NODE, MQTT_SP_C_OK },
	ND("NDATA after NDEATH", 3, 1, 0, false, true, MQTT_SP_C_NO_BIRTH),
	{ "second NDEATH: no birth to pair with", MQTT_SP_NDEATH, NULL, P_NDEATH, -1, 3, 0, 0, 0,
	  false, false, MQTT_SP_STALE_NONE, MQTT_SP_C_OLD_DEATH },
	{ "NDEATH without bdSeq", MQTT_SP_NDEATH, NULL, P_EMPTY, -1, 3, 0, 0, 0,
	  false, false, MQTT_SP_STALE_NONE, MQTT_SP_C_BAD_DATA },
	NB("tck-id-topics-nbirth-bdseq-increment: new session bdSeq 4", 0, 4, 0, true, false, MQTT_SP_C_OK),
	DB("DBIRTH again", 1, 0, true, false, MQTT_SP_C_OK),
	{ "tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-tags-stale",
	  MQTT_SP_DDEATH, "filler", P_DDEATH, 2, 0, 0,
	  0, 0, false, false, MQTT_SP_STALE_DEVICE, MQTT_SP_C_OK },
	{ "tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline: DDATA after DDEATH",
	  MQTT_SP_DDATA, "filler", P_DATA, 3, 0, 10, 0, NOW + 10000,
	  false, true, MQTT_SP_STALE_NONE, MQTT_SP_C_NO_BIRTH },
	ND("node still fine", 4, 1, 0, true, false, MQTT_SP_C_OK),
	END,
};

static const struct step bad_births[] = {
	NB("tck-id-operational-behavior-data-commands-rebirth-name-aliases", 0, 0, V_REBIRTH_ALIASED,
	   false, true, MQTT_SP_C_BAD_BIRTH),
	NB("tck-id-operational-behavior-data-commands-rebirth-value", 0, 0, V_REBIRTH_TRUE,
	   false, false, MQTT_SP_C_BAD_BIRTH), /* rate-limited */
	{ "tck-id-payloads-nbirth-rebirth-req", MQTT_SP_NBIRTH, NULL, P_NBIRTH, 0, 0, 0, V_NO_REBIRTH,
	  NOW + 5000, false, true, MQTT_SP_STALE_NONE, MQTT_SP_C_BAD_BIRTH },
	NB("tck-id-topics-nbirth-bdseq-included", 0, 0, V_NO_BDSEQ, false, false, MQTT_SP_C_BAD_BIRTH),
	NB("tck-id-payloads-alias-uniqueness", 0, 0, V_DUP_ALIAS, false, false, MQTT_SP_C_BAD_BIRTH),
	NB("tck-id-payloads-metric-datatype-req", 0, 0, V_NO_DATATYPE, false, false, MQTT_SP_C_BAD_BIRTH),
	NB("tck-id-payloads-nbirth-timestamp", 0, 0, V_NO_TIMESTAMP, false, false, MQTT_SP_C_BAD_BIRTH),
	NB("tck-id-payloads-sequence-num-req-nbirth", -1, 0, 0, false, false, MQTT_SP_C_MISSING_SEQ),
	ND("data after a refused birth", 1, 1, 0, false, false, MQTT_SP_C_NO_BIRTH),
	NB("a good birth at last", 0, 0, 0, true, false, MQTT_SP_C_OK),
	DB("tck-id-payloads-alias-uniqueness across node and device", 1, V_NODE_ALIAS_CLASH,
	   false, false, MQTT_SP_C_BAD_BIRTH),
	DB("tck-id-payloads-template-definition-nbirth-only", 2, V_TEMPLATE_DEF, false, false,
	   MQTT_SP_C_BAD_BIRTH),
	DB("good DBIRTH", 3, 0, true, false, MQTT_SP_C_OK),
	DB("repeated DBIRTH replaces the device's metrics", 4, 0, true, false, MQTT_SP_C_OK),
	DD("DDATA resolves after re-birth", 5, 11, true, false, MQTT_SP_C_OK),
	END,
};

static const struct step bad_data[] = {
	NB("birth", 0, 0, 0, true, false, MQTT_SP_C_OK),
	DB("device birth", 1, 0, true, false, MQTT_SP_C_OK),
	ND("NOTES 4: unknown alias", 2, 99, 0, false, true, MQTT_SP_C_UNKNOWN_METRIC),
	ND("a device's alias on NDATA", 3, 10, 0, false, false, MQTT_SP_C_UNKNOWN_METRIC),
	DD("a node alias on DDATA", 4, 1, false, false, MQTT_SP_C_UNKNOWN_METRIC),
	{ "value field does not suit the birth's datatype", MQTT_SP_NDATA, NULL, P_DATA_WRONG, 5, 0,
	  0, 0, 0, false, false, MQTT_SP_STALE_NONE, MQTT_SP_C_BAD_DATA },
	{ "undecodable payload", MQTT_SP_NDATA, NULL, P_NONE, 6, 0, 0, 0, NOW + 9000, false, true,
	  MQTT_SP_STALE_NONE, MQTT_SP_C_BAD_DATA },
	ND("an undecodable message has no seq: 7 after 5 is a gap (rebirth rate-limited)", 7, 1, 0,
	   true, false, MQTT_SP_C_SEQ_GAP),
	{ "tck-id-payloads-ncmd-seq: NCMD is not edge data", MQTT_SP_NCMD, NULL, P_EMPTY, -1, 0, 0,
	  0, 0, false, false, MQTT_SP_STALE_NONE, MQTT_SP_C_COMMAND },
	{ "tck-id-payloads-dcmd-seq: DCMD likewise", MQTT_SP_DCMD, "filler", P_EMPTY, -1, 0, 0, 0, 0,
	  false, false, MQTT_SP_STALE_NONE, MQTT_SP_C_COMMAND },
	ND("refused-but-decoded messages advanced seq: 8 after 7 is in order", 8, 1, 0, true, false, MQTT_SP_C_OK),
	{ "NOTES 5a: 5 min ahead is allowed", MQTT_SP_NDATA, NULL, P_DATA_FUTURE, 9, 0, 300000, 0, 0,
	  true, false, MQTT_SP_STALE_NONE, MQTT_SP_C_OK },
	{ "NOTES 5a: far in the future: dropped, no rebirth", MQTT_SP_NDATA, NULL, P_DATA_FUTURE, 10, 0,
	  300001, 0, 0, false, false, MQTT_SP_STALE_NONE, MQTT_SP_C_FUTURE_TIME },
	ND("and the stream goes on", 11, 1, 0, true, false, MQTT_SP_C_OK),
	END,
};

Test(mqtt_node, happy_path_and_wrap) { run("happy_wrap", happy_wrap); }
Test(mqtt_node, seq_gaps_and_rebirth) { run("gaps", gaps); }
Test(mqtt_node, data_before_birth) { run("before_birth", before_birth); }
Test(mqtt_node, deaths_and_stale) { run("deaths", deaths); }
Test(mqtt_node, bad_births) { run("bad_births", bad_births); }
Test(mqtt_node, bad_data) { run("bad_data", bad_data); }

Test(mqtt_node, resolve_and_state)
{
	struct mqtt_sp_node *node;
	cr_expect_eq(mqtt_sp_node_new("bad/group", "x", NULL, &node), PL_EINVAL);
	cr_assert_eq(mqtt_sp_node_new("Plant1", "Line1", NULL, &node), 0);
	cr_expect_eq(mqtt_sp_node_bdseq(node), -1);
	cr_expect_not(mqtt_sp_node_online(node));
	struct mqtt_sp_payload p;
	struct mqtt_sp_metric m[8];
	struct mqtt_sp_verdict v;
	struct step s = NB("x", 0, 7, 0, true, false, 0);
	build(&s, &p, m);
	struct mqtt_sp_topic t = { .type = MQTT_SP_NBIRTH, .group = "Plant1", .node = "Line1" };
	cr_assert_eq(mqtt_sp_node_feed(node, &t, &p, NOW, &v), 0);
	cr_expect(mqtt_sp_node_online(node));
	cr_expect_eq(mqtt_sp_node_bdseq(node), 7);
	cr_expect_eq(mqtt_sp_node_metric_count(node), 4u);
	struct mqtt_sp_metric q = { .has_alias = true, .alias = 2 };
	struct mqtt_sp_binding b;
	cr_assert_eq(mqtt_sp_node_resolve(node, "", &q, &b), 0);
	cr_expect_str_eq(b.name, "Count");
	cr_expect_str_eq(b.device, "");
	cr_expect_eq(b.datatype, MQTT_SP_DT_INT32);
	q = (struct mqtt_sp_metric){ .name = "bdSeq" };
	cr_expect_eq(mqtt_sp_node_resolve(node, "", &q, &b), 0);
	cr_expect_eq(mqtt_sp_node_resolve(node, "nodev", &q, &b), PL_ENOTFOUND);
	q = (struct mqtt_sp_metric){ .has_alias = true, .alias = 3 };
	cr_expect_eq(mqtt_sp_node_resolve(node, "", &q, &b), PL_ENOTFOUND);

	struct step d = DB("x", 1, 0, true, false, 0);
	build(&d, &p, m);
	t = (struct mqtt_sp_topic){ .type = MQTT_SP_DBIRTH, .group = "Plant1", .node = "Line1", .device = "filler" };
	cr_assert_eq(mqtt_sp_node_feed(node, &t, &p, NOW, &v), 0);
	cr_expect(mqtt_sp_node_device_online(node, "filler"));
	cr_expect_not(mqtt_sp_node_device_online(node, "capper"));
	q = (struct mqtt_sp_metric){ .has_alias = true, .alias = 11 };
	cr_assert_eq(mqtt_sp_node_resolve(node, "filler", &q, &b), 0);
	cr_expect_str_eq(b.name, "State");
	cr_expect_str_eq(b.device, "filler");
	cr_expect_eq(b.datatype, MQTT_SP_DT_INT8);

	/* a topic for another node is refused without touching this one */
	t = (struct mqtt_sp_topic){ .type = MQTT_SP_NDATA, .group = "Plant1", .node = "Line2" };
	cr_expect_eq(mqtt_sp_node_feed(node, &t, &p, NOW, &v), PL_EINVAL);
	cr_expect_eq(v.cause, MQTT_SP_C_WRONG_NODE);
	cr_expect(mqtt_sp_node_device_online(node, "filler"));

	/* NDEATH stales the node at the host's time:
	 * tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline,
	 * tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-offline,
	 * tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-tags-stale */
	struct step nd = { "x", MQTT_SP_NDEATH, NULL, P_NDEATH, -1, 7, 0, 0, 0, 0, 0, 0, 0 };
	build(&nd, &p, m);
	t = (struct mqtt_sp_topic){ .type = MQTT_SP_NDEATH, .group = "Plant1", .node = "Line1" };
	cr_assert_eq(mqtt_sp_node_feed(node, &t, &p, NOW + 1, &v), 0);
	cr_expect_eq(v.stale, MQTT_SP_STALE_NODE);
	cr_expect_eq(v.stale_at_ms, NOW + 1);
	cr_expect_not(mqtt_sp_node_online(node));
	cr_expect_not(mqtt_sp_node_device_online(node, "filler"));
	mqtt_sp_node_free(node);
}

Test(mqtt_node, long_run_wraps_seq)
{
	/* 2,000 NDATA rounds through encode, decode, feed, resolve and convert:
	 * seq wraps many times and every value arrives; the expected sum is
	 * worked out from the values sent. (Speed lives in benchmarks.) */
	struct mqtt_sp_node *node;
	cr_assert_eq(mqtt_sp_node_new("Plant1", "Line1", NULL, &node), 0);
	struct mqtt_sp_metric m[12];
	static const char *names[10] = { "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9" };
	metric(&m[0], "bdSeq", false, 0, MQTT_SP_DT_INT64, RL(0));
	metric(&m[1], "Node Control/Rebirth", false, 0, MQTT_SP_DT_BOOLEAN, RB(false));
	for (int i = 0; i < 10; i++)
		metric(&m[2 + i], names[i], true, (uint64_t)i + 1,
		       i % 2 ? MQTT_SP_DT_DOUBLE : MQTT_SP_DT_INT64,
		       i % 2 ? RD(1.5) : RL(7));
	struct mqtt_sp_payload birth = { .has_timestamp = true, .timestamp = 1, .has_seq = true,
					 .n_metrics = 12, .metrics = m };
	struct mqtt_sp_topic t = { .type = MQTT_SP_NBIRTH, .group = "Plant1", .node = "Line1" };
	struct mqtt_sp_verdict v;
	cr_assert_eq(mqtt_sp_node_feed(node, &t, &birth, NOW, &v), 0);
	cr_assert(v.apply);
	for (int i = 0; i < 10; i++) {
		m[i].name = NULL;
		m[i].has_datatype = false;
		m[i].has_alias = true;
		m[i].alias = (uint64_t)i + 1;
		m[i].raw = i % 2 ? RD(72.25 + i) : RL(100000u + (uint64_t)i);
	}
	struct mqtt_sp_payload data = { .has_timestamp = true, .timestamp = 1, .has_seq = true,
					.n_metrics = 10, .metrics = m };
	struct pl_buf b;
	pl_buf_init(&b, 4096);
	t.type = MQTT_SP_NDATA;
	const int rounds = 2000;
	double sum = 0, want = 0;
	for (int i = 0; i < 10; i++)
		want += i % 2 ? 72.25 + i : 100000.0 + i;
	want *= rounds;
	for (int r = 0; r < rounds; r++) {
		data.seq = (uint64_t)(r + 1) & 255;
		b.len = 0;
		cr_assert_eq(mqtt_sp_encode(&data, &b), 0); /* stands in for the wire */
		struct mqtt_sp_payload *p;
		cr_assert_eq(mqtt_sp_decode(b.data, b.len, &p, NULL), 0);
		cr_assert_eq(mqtt_sp_node_feed(node, &t, p, NOW, &v), 0);
		cr_assert(v.apply && v.cause == MQTT_SP_C_OK, "round %d: %s", r, v.detail);
		for (size_t k = 0; k < p->n_metrics; k++) {
			struct mqtt_sp_binding bd;
			struct mqtt_sp_value val;
			double d;
			cr_assert_eq(mqtt_sp_node_resolve(node, "", &p->metrics[k], &bd), 0);
			cr_assert_eq(mqtt_sp_value_from_raw(bd.datatype, &p->metrics[k].raw, &val), 0);
			cr_assert_eq(mqtt_sp_value_to_double(&val, &d), 0);
			sum += d;
		}
		mqtt_sp_payload_free(p);
	}
	cr_expect_float_eq(sum, want, 1e-6 * want, "sum %f, want %f", sum, want);
	pl_buf_release(&b);
	mqtt_sp_node_free(node);
}
