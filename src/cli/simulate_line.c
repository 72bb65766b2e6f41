/*
 * simulate_line.c - `parkline simulate line`: a Sparkplug B 3.0 edge-node
 * publisher for demos and tests. Each simulated production line is one
 * edge node (group --group, node ids fill-1, pack-1, fill-2, pack-2, ...,
 * so the first two are the lines `serve --demo` seeds) with its own MQTT
 * session on a real broker (libmosquitto), so each has its own NDEATH Will.
 *
 * NOTES ON THE DESIGN
 * 1. Threads: libmosquitto runs one network thread per node
 *    (mosquitto_loop_start). Its callbacks only set atomic flags
 *    (connected -> send a birth; Rebirth NCMD -> send a birth; PUBACK of
 *    the NDEATH -> may disconnect); the main thread does every publish, so
 *    seq, counters and the random state need no lock.
 * 2. Timing and signals: SIGINT/SIGTERM are blocked before any thread
 *    starts and the main thread waits for the next tick in sigtimedwait,
 *    which is both the rate limiter and the clean-stop path (no signal
 *    handler, no global flag).
 * 3. Sparkplug rules kept: NBIRTH carries bdSeq, Node Control/Rebirth
 *    (false) and every metric with name, alias, datatype and timestamp;
 *    NDATA uses aliases only; seq is 0 on NBIRTH and wraps 255 -> 0; the
 *    Will (NDEATH, QoS 1) carries the same bdSeq as the NBIRTH. bdSeq is
 *    chosen once per run (from the clock, 0..255) and kept across
 *    libmosquitto's automatic reconnects, because the Will registered at
 *    the first connect is the one the broker holds for later ones too.
 *    On a clean stop we publish the NDEATH ourselves (a clean DISCONNECT
 *    does not fire the Will) and wait for its PUBACK, at most 2 s.
 * 4. Metrics per line (names are the series names the ingest stores):
 *    state (Int32: 1 running, 2 idle, 3 down, 4 blocked, 5 starved),
 *    good and reject (Int64 counters that grow with speed), speed (Double,
 *    units/min), temperature (Double, degC). The counters start at 0 like
 *    a PLC's after power-on, so a restarted simulator reads as a counter
 *    reset that counts only what it made since (live.c: a drop is a
 *    reset); started anywhere else, the start value itself counted as
 *    production and a restart showed OEE performance over 1,000 %. A
 *    running line goes down now and then for 10..40 s, or blocked/starved
 *    for 3..10 s, then runs again; the sequence is a pure function of
 *    --seed.
 * 5. The pharma filling line (--vision FILE): the first line's good and
 *    reject counts are not simulated but read, every tick, from the
 *    status.json of a line-side inspection node (`parkline inspect run`,
 *    SPOOL/status.json), so the reject counts and their reasons are the
 *    vision verdicts. That line also publishes Reject/<class> for every
 *    inspection class (the reject-reason Pareto). Its counters keep the
 *    names good / reject: the control room reads `good` or `Counts/Good`
 *    as one counter and would count a line that sent both twice (see
 *    docs/line.md, metric names). Its speed is the rate
 *    the counts grow (units/min, smoothed) and it is starved while no
 *    vial arrived for 10 s. The node and the simulator share nothing but
 *    that file, written atomically by the node (rename).
 * 6. HTTP mode (--http URL --token-file F), for a demo without a broker:
 *    no MQTT session at all; every tick each line's values go as one batch
 *    to POST /api/v1/lines/{id}/ingest (src/http/api_line.c) with that
 *    line's device token (Authorization: Bearer), same metric names as the
 *    Sparkplug metrics, so the control room reads both alike. F holds one
 *    "LINE_ID TOKEN" pair per text line, in node order (fill-1, pack-1,
 *    ...); a device token is bound to one line id. A refused or failed POST
 *    is reported and the tick's points are dropped (the series is live
 *    data, the next tick carries newer values); the counters still grow.
 *
 * The entry point cli_simulate_line() is dispatched from simulate.c.
 */
#include "cli/cli.h"
#include "cli/cli_curl.h"
#include "mqtt/client.h"
#include "mqtt/mqtt.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

int cli_simulate_line(int argc, char **argv, char **envp);

#define SIM_LINES_MAX 64
#define SIM_PAYLOAD_MAX 4096 /* an NBIRTH of 7 metrics is ~250 bytes */

enum sim_code { SIM_RUNNING = 1, SIM_IDLE, SIM_DOWN, SIM_BLOCKED, SIM_STARVED };

/* Aliases of the data metrics (birth order). */
enum { A_STATE = 1, A_GOOD, A_REJECT, A_SPEED, A_TEMP, A_COUNT = A_TEMP };
/* The vision-fed line's extra metrics (NOTES 5): alias A_REASON0 + i for
 * vision_reasons[i]. */
enum { A_REASON0 = A_COUNT + 1 };
static const char *const vision_reasons[] = {
	"particle", "fibre", "fill_low", "fill_high", "cap_missing", "cap_misaligned",
	"glass_crack", "glass_scratch", "cosmetic", "uninspectable",
};
#define VISION_NR (sizeof(vision_reasons) / sizeof(vision_reasons[0]))
#define VISION_N VISION_NR
#define VISION_STATUS_MAX 65536 /* bytes of the node's status.json we read */
#define SIM_TOKEN_MAX 512        /* bytes of one device token (NOTES 6) */
#define SIM_TOKEN_FILE_MAX 65536 /* bytes of the --token-file we read */

static const char line_usage[] =
	"usage: parkline simulate line --mqtt mqtt://HOST:PORT [options]\n"
	"       parkline simulate line --http http://HOST:PORT --token-file F [options]\n"
	"\n"
	"Publishes Sparkplug B 3.0 data for N production lines, one edge node each\n"
	"(GROUP/fill-1, GROUP/pack-1, GROUP/fill-2, ...): NBIRTH with bdSeq, NDATA at\n"
	"--rate with state, good, reject, speed and temperature, occasional faults;\n"
	"answers a Rebirth NCMD. Stops on SIGINT/SIGTERM (sending NDEATH) or after\n"
	"--count NDATA messages per line.\n"
	"\n"
	"options:\n"
	"  --mqtt URL          broker, mqtt://HOST[:PORT] (this or --http is required)\n"
	"  --http URL          no broker: POST each tick's values to the daemon's\n"
	"                      /api/v1/lines/{id}/ingest (HTTP batch ingest)\n"
	"  --token-file F      with --http: one 'LINE_ID DEVICE_TOKEN' per text line,\n"
	"                      in node order (fill-1, pack-1, fill-2, ...)\n"
	"  --group G           Sparkplug group id (default taiji)\n"
	"  --lines N           lines (edge nodes), 1..64 (default 2)\n"
	"  --rate HZ           NDATA per second per line, 0.1..100 (default 1)\n"
	"  --seed S            random seed (default 1); same seed, same data\n"
	"  --count K           stop after K NDATA per line (default: run until signalled)\n"
	"  --fault-at K        force the first line down from its K-th NDATA on (for tests)\n"
	"  --vision FILE       the first line is a pharma filling line whose good and\n"
	"                      reject counts (and Reject/<class>) come from the status.json\n"
	"                      of a 'parkline inspect run' node (its SPOOL/status.json)\n";

/* xorshift64*: the per-line random stream (no global state). */
static uint64_t sim_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}
static double sim_unit(uint64_t *s) /* [0, 1) */
{
	return (double)(sim_rand(s) >> 11) / 9007199254740992.0;
}

struct sim_node {
	char id[32];
	char t_birth[MQTT_SP_TOPIC_MAX + 1], t_data[MQTT_SP_TOPIC_MAX + 1];
	char t_death[MQTT_SP_TOPIC_MAX + 1], t_cmd[MQTT_SP_TOPIC_MAX + 1];
	struct mosquitto *mosq;  /* owned */
	atomic_bool need_birth;  /* set by on_connect and a Rebirth NCMD */
	atomic_bool connected;
	atomic_int done_mid;     /* highest mid libmosquitto reported done */
	bool born;               /* an NBIRTH went out on this connection */
	unsigned seq;            /* next seq, 0..255 */
	uint64_t rng;
	int64_t sent;            /* NDATA published */
	/* the simulated machine */
	int code;
	double until_s;          /* the current non-running state ends at this sim time */
	double nominal, speed, temp, good_f, reject_f;
	/* NOTES 5: counts from the inspection node (vision lines only) */
	bool vision;
	int64_t v_reason[VISION_NR];
	double v_total, v_changed_s; /* last total seen, sim time it changed */
	bool v_seen;                 /* a total was read: speed is its growth */
	char metric_names[VISION_N][48]; /* "Reject/particle"... for the birth */
	/* NOTES 6: HTTP mode only */
	char line_id[64];
	char token[SIM_TOKEN_MAX];
};

struct sim {
	struct sim_node nodes[SIM_LINES_MAX];
	int n;
	int64_t bdseq;
	int64_t fault_at;        /* 0: none */
	const char *vision;      /* --vision FILE (borrowed from argv), or NULL */
	double period_s, t_s;    /* sim clock in seconds since start */
	const char *http;        /* --http URL (borrowed from argv), or NULL: MQTT mode */
	CURL *curl;              /* owned; HTTP mode only */
};

static void sim__on_connect(struct mosquitto *m, void *ud, int rc)
{
	struct sim_node *nd = ud;
	if (rc != 0)
		return; /* refused: libmosquitto retries */
	/* NCMD for us: Rebirth requests (tck-id-operational-behavior-data-commands-ncmd-rebirth-*) */
	mosquitto_subscribe(m, NULL, nd->t_cmd, 1);
	atomic_store(&nd->connected, true);
	atomic_store(&nd->need_birth, true);
}

static void sim__on_disconnect(struct mosquitto *m, void *ud, int rc)
{
	(void)m;
	(void)rc;
	struct sim_node *nd = ud;
	atomic_store(&nd->connected, false);
}

static void sim__on_publish(struct mosquitto *m, void *ud, int mid)
{
	(void)m;
	struct sim_node *nd = ud;
	/* mids grow, and the NDEATH is the last publish: once the done mid
	 * reaches it, everything before it went out too */
	int cur = atomic_load(&nd->done_mid);
	while (mid > cur && !atomic_compare_exchange_weak(&nd->done_mid, &cur, mid))
		;
}

/* Bounded work: decode one small payload, set a flag. */
static void sim__on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	(void)m;
	struct sim_node *nd = ud;
	struct mqtt_sp_payload *p = NULL;
	if (mqtt_sp_decode(msg->payload, (size_t)msg->payloadlen, &p, NULL))
		return;
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct mqtt_sp_metric *mt = &p->metrics[i];
		if (mt->name && !strcmp(mt->name, "Node Control/Rebirth") &&
		    mt->raw.field == MQTT_SP_F_BOOL && mt->raw.b)
			atomic_store(&nd->need_birth, true);
	}
	mqtt_sp_payload_free(p);
}

/* NOTES 5: the vision-fed line's counts from the node's status.json. An
 * absent or unreadable file (node not started yet, or mid-rename) keeps
 * the last values: counts never go backwards. */
static void vision_step(struct sim *s, struct sim_node *nd, double dt, bool forced)
{
	json_error_t jerr;
	struct stat st;
	json_t *j = NULL, *c;
	double now = s->t_s;

	if (stat(s->vision, &st) == 0 && st.st_size <= VISION_STATUS_MAX)
		j = json_load_file(s->vision, 0, &jerr);
	c = json_object_get(j, "counts");
	if (json_is_object(c)) {
		double good = (double)json_integer_value(json_object_get(c, "good"));
		double rej = (double)json_integer_value(json_object_get(c, "reject"));
		if (good >= nd->good_f && rej >= nd->reject_f) {
			nd->good_f = good;
			nd->reject_f = rej;
			for (size_t i = 0; i < VISION_NR; i++) {
				char k[64];
				snprintf(k, sizeof(k), "reject/%s", vision_reasons[i]);
				int64_t v = json_integer_value(json_object_get(c, k));
				if (v > nd->v_reason[i])
					nd->v_reason[i] = v;
			}
		}
	}
	json_decref(j);
	double total = nd->good_f + nd->reject_f;
	if (!nd->v_seen && total > 0) {
		nd->v_seen = true; /* counts the node had before we started are no speed */
		nd->v_total = total;
	}
	double inst = dt > 0 ? (total - nd->v_total) / dt * 60.0 : 0;
	if (total != nd->v_total)
		nd->v_changed_s = now;
	nd->v_total = total;
	nd->speed = 0.7 * nd->speed + 0.3 * inst; /* units/min, smoothed over a few ticks */
	if (forced)
		nd->code = SIM_DOWN;
	else
		nd->code = now - nd->v_changed_s <= 10 ? SIM_RUNNING : SIM_STARVED;
	if (nd->code != SIM_RUNNING)
		nd->speed = 0;
	double target = nd->code == SIM_RUNNING ? 65.0 : 25.0;
	nd->temp += (target - nd->temp) * (1 - exp(-dt / 60.0)) + 0.2 * (sim_unit(&nd->rng) - 0.5);
}

/* Advances one line's machine by dt seconds of sim time. */
static void sim_step(struct sim *s, struct sim_node *nd, double dt)
{
	double now = s->t_s;
	bool forced = s->fault_at > 0 && nd == &s->nodes[0] && nd->sent + 1 >= s->fault_at;

	if (nd->vision) {
		vision_step(s, nd, dt, forced);
		return;
	}

	if (forced) {
		nd->code = SIM_DOWN;
	} else if (nd->code != SIM_RUNNING && now >= nd->until_s) {
		nd->code = SIM_RUNNING;
	} else if (nd->code == SIM_RUNNING) {
		/* per second: 1/300 down, 1/400 blocked, 1/400 starved, 1/900 idle */
		double r = sim_unit(&nd->rng) / dt;
		if (r < 1.0 / 300) {
			nd->code = SIM_DOWN;
			nd->until_s = now + 10 + 30 * sim_unit(&nd->rng);
		} else if (r < 1.0 / 300 + 1.0 / 400) {
			nd->code = SIM_BLOCKED;
			nd->until_s = now + 3 + 7 * sim_unit(&nd->rng);
		} else if (r < 1.0 / 300 + 2.0 / 400) {
			nd->code = SIM_STARVED;
			nd->until_s = now + 3 + 7 * sim_unit(&nd->rng);
		} else if (r < 1.0 / 300 + 2.0 / 400 + 1.0 / 900) {
			nd->code = SIM_IDLE;
			nd->until_s = now + 5 + 10 * sim_unit(&nd->rng);
		}
	}
	if (nd->code == SIM_RUNNING) {
		nd->speed = nd->nominal * (0.92 + 0.1 * sim_unit(&nd->rng));
		double made = nd->speed * dt / 60.0;
		double rej = made * (0.005 + 0.02 * sim_unit(&nd->rng));
		nd->good_f += made - rej;
		nd->reject_f += rej;
	} else {
		nd->speed = 0;
	}
	/* first-order heating/cooling towards 65 / 25 degC, time constant 60 s */
	double target = nd->code == SIM_RUNNING ? 65.0 : 25.0;
	nd->temp += (target - nd->temp) * (1 - exp(-dt / 60.0)) + 0.2 * (sim_unit(&nd->rng) - 0.5);
}

static void metric_set(struct mqtt_sp_metric *m, const char *name, uint64_t alias,
		       uint32_t dt, int64_t ts)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	if (alias) {
		m->has_alias = true;
		m->alias = alias;
	}
	m->has_datatype = name != NULL; /* births carry datatypes; data need not */
	m->datatype = dt;
	m->has_timestamp = true;
	m->timestamp = (uint64_t)ts;
}

/* Fills m[0..A_COUNT) with the line's values; with names and datatypes
 * for a birth. */
static void fill_values(const struct sim_node *nd, bool birth, int64_t ts,
			struct mqtt_sp_metric *m)
{
	metric_set(&m[0], birth ? "state" : NULL, A_STATE, MQTT_SP_DT_INT32, ts);
	m[0].raw.field = MQTT_SP_F_INT;
	m[0].raw.u = (uint32_t)nd->code;
	metric_set(&m[1], birth ? "good" : NULL, A_GOOD, MQTT_SP_DT_INT64, ts);
	m[1].raw.field = MQTT_SP_F_LONG;
	m[1].raw.u = (uint64_t)nd->good_f;
	metric_set(&m[2], birth ? "reject" : NULL, A_REJECT, MQTT_SP_DT_INT64, ts);
	m[2].raw.field = MQTT_SP_F_LONG;
	m[2].raw.u = (uint64_t)nd->reject_f;
	metric_set(&m[3], birth ? "speed" : NULL, A_SPEED, MQTT_SP_DT_DOUBLE, ts);
	m[3].raw.field = MQTT_SP_F_DOUBLE;
	m[3].raw.d = round(nd->speed * 10) / 10;
	metric_set(&m[4], birth ? "temperature" : NULL, A_TEMP, MQTT_SP_DT_DOUBLE, ts);
	m[4].raw.field = MQTT_SP_F_DOUBLE;
	m[4].raw.d = round(nd->temp * 100) / 100;
}

/* The vision-fed line's extra metrics into m[0..VISION_N) (NOTES 5). */
static void fill_vision(struct sim_node *nd, bool birth, int64_t ts, struct mqtt_sp_metric *m)
{
	for (size_t i = 0; i < VISION_NR; i++) {
		snprintf(nd->metric_names[i], sizeof(nd->metric_names[i]), "Reject/%s",
			 vision_reasons[i]);
		metric_set(&m[i], birth ? nd->metric_names[i] : NULL, A_REASON0 + i,
			   MQTT_SP_DT_INT64, ts);
		m[i].raw.field = MQTT_SP_F_LONG;
		m[i].raw.u = (uint64_t)nd->v_reason[i];
	}
}

/* Encodes and publishes one message. *mid (may be NULL) gets its id. */
static int sim_publish(struct sim_node *nd, const char *topic, const struct mqtt_sp_payload *p,
		       int qos, int *mid)
{
	struct pl_buf b;
	int rc;
	pl_buf_init(&b, SIM_PAYLOAD_MAX);
	rc = mqtt_sp_encode(p, &b);
	if (rc)
		goto out;
	if (mosquitto_publish(nd->mosq, mid, topic, (int)b.len, b.data, qos, false) != MOSQ_ERR_SUCCESS)
		rc = PL_EIO;
out:
	pl_buf_release(&b);
	return rc;
}

static void bdseq_metric(struct mqtt_sp_metric *m, int64_t bdseq, int64_t ts)
{
	metric_set(m, "bdSeq", 0, MQTT_SP_DT_INT64, ts);
	m->raw.field = MQTT_SP_F_LONG;
	m->raw.u = (uint64_t)bdseq;
}

static int sim_birth(struct sim *s, struct sim_node *nd, int64_t now)
{
	struct mqtt_sp_metric m[2 + A_COUNT + VISION_N];
	struct mqtt_sp_payload p = { .has_timestamp = true, .timestamp = (uint64_t)now,
				     .has_seq = true, .seq = 0,
				     .n_metrics = 2 + A_COUNT + (nd->vision ? VISION_N : 0),
				     .metrics = m };
	bdseq_metric(&m[0], s->bdseq, now);
	metric_set(&m[1], "Node Control/Rebirth", 0, MQTT_SP_DT_BOOLEAN, now);
	m[1].raw.field = MQTT_SP_F_BOOL;
	m[1].raw.b = false;
	fill_values(nd, true, now, &m[2]);
	if (nd->vision)
		fill_vision(nd, true, now, &m[2 + A_COUNT]);
	nd->seq = 1; /* NBIRTH took 0 */
	return sim_publish(nd, nd->t_birth, &p, 0, NULL);
}

static int sim_data(struct sim_node *nd, int64_t now)
{
	struct mqtt_sp_metric m[A_COUNT + VISION_N];
	struct mqtt_sp_payload p = { .has_timestamp = true, .timestamp = (uint64_t)now,
				     .has_seq = true, .seq = nd->seq,
				     .n_metrics = A_COUNT + (nd->vision ? VISION_N : 0), .metrics = m };
	fill_values(nd, false, now, m);
	if (nd->vision)
		fill_vision(nd, false, now, &m[A_COUNT]);
	nd->seq = (nd->seq + 1) & 0xff;
	return sim_publish(nd, nd->t_data, &p, 0, NULL);
}

static int sim_node_init(struct sim *s, int i, const char *group, const char *host, int port,
			 uint64_t seed, char *why, size_t whysz)
{
	struct sim_node *nd = &s->nodes[i];
	struct mqtt_sp_topic t = { 0 };
	struct mqtt_sp_metric dm;
	struct mqtt_sp_payload death = { .has_timestamp = true, .n_metrics = 1, .metrics = &dm };
	struct pl_buf b;
	char client_id[64];
	int rc = PL_EINVAL;

	snprintf(nd->id, sizeof(nd->id), "%s-%d", i % 2 ? "pack" : "fill", i / 2 + 1);
	atomic_init(&nd->need_birth, false);
	atomic_init(&nd->connected, false);
	atomic_init(&nd->done_mid, 0);
	nd->rng = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i * 0xBF58476D1CE4E5B9ULL + 1;
	nd->code = SIM_RUNNING;
	nd->nominal = i % 2 ? 60 : 120; /* packing runs at half the filler's rate */
	nd->temp = 40 + 10 * sim_unit(&nd->rng);
	nd->speed = nd->nominal; /* the NBIRTH reports a running line */
	/* NOTES 4: counters count from the run's start; the draw that once
	 * chose a start value is kept so each seed's runs stay as they were */
	(void)sim_unit(&nd->rng);
	nd->good_f = 0;
	if (i == 0 && s->vision) {
		/* NOTES 5: counts start at the node's, read on the first tick */
		nd->vision = true;
		nd->good_f = 0;
		nd->speed = 0;
	}
	snprintf(t.group, sizeof(t.group), "%s", group);
	snprintf(t.node, sizeof(t.node), "%s", nd->id);
	static const struct { enum mqtt_sp_msg type; size_t off; } topics[] = {
		{ MQTT_SP_NBIRTH, offsetof(struct sim_node, t_birth) },
		{ MQTT_SP_NDATA, offsetof(struct sim_node, t_data) },
		{ MQTT_SP_NDEATH, offsetof(struct sim_node, t_death) },
		{ MQTT_SP_NCMD, offsetof(struct sim_node, t_cmd) },
	};
	for (size_t k = 0; k < sizeof(topics) / sizeof(topics[0]); k++) {
		t.type = topics[k].type;
		if (mqtt_sp_topic_format(&t, (char *)nd + topics[k].off, MQTT_SP_TOPIC_MAX + 1)) {
			snprintf(why, whysz, "--group '%s' is not a valid Sparkplug id", group);
			return PL_EINVAL;
		}
	}
	if (s->http)
		return 0; /* NOTES 6: no broker session */
	snprintf(client_id, sizeof(client_id), "parkline-sim-%s-%s", group, nd->id);
	nd->mosq = mosquitto_new(client_id, true, nd);
	if (!nd->mosq) {
		snprintf(why, whysz, "mosquitto_new failed");
		return PL_EIO;
	}
	mosquitto_connect_callback_set(nd->mosq, sim__on_connect);
	mosquitto_disconnect_callback_set(nd->mosq, sim__on_disconnect);
	mosquitto_message_callback_set(nd->mosq, sim__on_message);
	mosquitto_publish_callback_set(nd->mosq, sim__on_publish);
	mosquitto_reconnect_delay_set(nd->mosq, 1, 10, true);
	/* The Will: NDEATH with our bdSeq, QoS 1 (tck-id-payloads-ndeath-will-message-qos) */
	bdseq_metric(&dm, s->bdseq, pl_time_now_ms());
	death.timestamp = dm.timestamp;
	pl_buf_init(&b, SIM_PAYLOAD_MAX);
	if (mqtt_sp_encode(&death, &b) ||
	    mosquitto_will_set(nd->mosq, nd->t_death, (int)b.len, b.data, 1, false) != MOSQ_ERR_SUCCESS) {
		snprintf(why, whysz, "cannot set the NDEATH will");
		rc = PL_EIO;
		goto out;
	}
	/* connect_async + loop: a broker that starts later is fine */
	int crc = mosquitto_connect_async(nd->mosq, host, port, 30);
	if (crc != MOSQ_ERR_SUCCESS && crc != MOSQ_ERR_ERRNO) {
		snprintf(why, whysz, "connect %s:%d: %s", host, port, mosquitto_strerror(crc));
		rc = PL_EIO;
		goto out;
	}
	if (mosquitto_loop_start(nd->mosq) != MOSQ_ERR_SUCCESS) {
		snprintf(why, whysz, "cannot start the network thread");
		rc = PL_EIO;
		goto out;
	}
	rc = 0;
out:
	pl_buf_release(&b);
	return rc;
}

/* Clean stop of one node: NDEATH (QoS 1) if it was born, wait for its
 * PUBACK (bounded), disconnect, join the network thread. */
static void sim_node_stop(struct sim *s, struct sim_node *nd)
{
	if (!nd->mosq)
		return;
	if (nd->born && atomic_load(&nd->connected)) {
		struct mqtt_sp_metric dm;
		int64_t now = pl_time_now_ms();
		struct mqtt_sp_payload death = { .has_timestamp = true, .timestamp = (uint64_t)now,
						 .n_metrics = 1, .metrics = &dm };
		int mid = 0;
		bdseq_metric(&dm, s->bdseq, now);
		if (!sim_publish(nd, nd->t_death, &death, 1, &mid)) {
			/* at most 2 s: 200 x 10 ms polls of an atomic set by the network thread */
			for (int k = 0; k < 200 && atomic_load(&nd->done_mid) < mid; k++) {
				struct timespec ts = { 0, 10 * 1000 * 1000 };
				nanosleep(&ts, NULL);
			}
		}
	}
	mosquitto_disconnect(nd->mosq);
	mosquitto_loop_stop(nd->mosq, false);
	mosquitto_destroy(nd->mosq);
	nd->mosq = NULL;
}

/* NOTES 6: reads "LINE_ID TOKEN" pairs into the first s->n nodes. */
static int sim_tokens_load(struct sim *s, const char *path, char *why, size_t whysz)
{
	FILE *f = fopen(path, "r");
	char buf[1024];
	int n = 0, rc = PL_EINVAL;
	long total = 0;

	if (!f) {
		snprintf(why, whysz, "--token-file %s: %s", path, strerror(errno));
		return PL_EIO;
	}
	while (n < s->n && fgets(buf, sizeof(buf), f)) {
		char id[64], tok[SIM_TOKEN_MAX];
		total += (long)strlen(buf);
		if (total > SIM_TOKEN_FILE_MAX) {
			snprintf(why, whysz, "--token-file %s is over %d bytes", path, SIM_TOKEN_FILE_MAX);
			goto out;
		}
		if (buf[0] == '#' || strspn(buf, " \t\r\n") == strlen(buf))
			continue;
		if (sscanf(buf, "%63s %511s", id, tok) != 2 || !pl_id_valid(id)) {
			snprintf(why, whysz, "--token-file %s: line %d is not 'LINE_ID TOKEN'", path, n + 1);
			goto out;
		}
		snprintf(s->nodes[n].line_id, sizeof(s->nodes[n].line_id), "%s", id);
		snprintf(s->nodes[n].token, sizeof(s->nodes[n].token), "%s", tok);
		n++;
	}
	if (n < s->n) {
		snprintf(why, whysz, "--token-file %s has %d line(s) for %d simulated line(s)", path, n, s->n);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* NOTES 6: one tick's values of one line as one ingest batch. */
static int sim_http_post(struct sim *s, struct sim_node *nd, int64_t now)
{
	struct mqtt_sp_metric m[A_COUNT + VISION_N];
	size_t nm = A_COUNT + (nd->vision ? VISION_N : 0);
	json_t *pts = json_array(), *body;
	struct curl_slist *hdr = NULL;
	struct pl_buf rep;
	char url[1024], auth[SIM_TOKEN_MAX + 32];
	char *post;
	long status = 0;
	int rc = PL_EIO;

	fill_values(nd, true, now, m); /* with names: the series names */
	if (nd->vision)
		fill_vision(nd, true, now, &m[A_COUNT]);
	for (size_t i = 0; i < nm; i++) {
		double v = m[i].raw.field == MQTT_SP_F_DOUBLE ? m[i].raw.d : (double)m[i].raw.u;
		json_array_append_new(pts, json_pack("{s:s, s:I, s:f}", "metric", m[i].name,
						     "t", (json_int_t)now, "value", v));
	}
	body = json_pack("{s:o}", "points", pts);
	post = pl_json_dump(body);
	json_decref(body);
	pl_buf_init(&rep, 1u << 16);
	snprintf(url, sizeof(url), "%s/api/v1/lines/%s/ingest", s->http, nd->line_id);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", nd->token);
	hdr = curl_slist_append(hdr, auth);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_reset(s->curl);
	cli_curl_prepare(s->curl, url, hdr, &rep, 5000L, post);
	CURLcode cc = curl_easy_perform(s->curl);
	if (cc != CURLE_OK) {
		fprintf(stderr, "parkline simulate line: %s: %s\n", nd->id, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		fprintf(stderr, "parkline simulate line: %s: ingest answered %ld %.300s\n", nd->id,
			status, rep.data ? rep.data : "");
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(hdr);
	pl_buf_release(&rep);
	free(post);
	return rc;
}

int cli_simulate_line(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *url = NULL, *group = "taiji";
	int64_t lines = 2, seed = 1, count = 0, fault_at = 0;
	const char *vision = NULL, *http = NULL, *token_file = NULL;
	double rate = 1;
	char host[256], why[512];
	int port = 0, rc = 1;
	struct sim *s = NULL;
	sigset_t sigs;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(line_usage, stdout);
			return 0;
		}
		if (!v)
			return cli_usage_error("simulate line", line_usage, "%s needs a value", a);
		i++;
		if (!strcmp(a, "--mqtt")) {
			url = v;
		} else if (!strcmp(a, "--group")) {
			group = v;
		} else if (!strcmp(a, "--lines")) {
			if (pl_parse_i64(v, 1, SIM_LINES_MAX, &lines))
				return cli_usage_error("simulate line", line_usage, "--lines must be 1..64");
		} else if (!strcmp(a, "--rate")) {
			if (cli_parse_double(v, 0.1, 100, &rate))
				return cli_usage_error("simulate line", line_usage, "--rate must be 0.1..100");
		} else if (!strcmp(a, "--seed")) {
			if (pl_parse_i64(v, 0, INT64_MAX, &seed))
				return cli_usage_error("simulate line", line_usage, "--seed must be a non-negative integer");
		} else if (!strcmp(a, "--count")) {
			if (pl_parse_i64(v, 1, INT64_MAX, &count))
				return cli_usage_error("simulate line", line_usage, "--count must be a positive integer");
		} else if (!strcmp(a, "--vision")) {
			vision = v;
		} else if (!strcmp(a, "--http")) {
			if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) || strlen(v) > 512)
				return cli_usage_error("simulate line", line_usage, "--http: expected http://HOST:PORT, got '%s'", v);
			http = v;
		} else if (!strcmp(a, "--token-file")) {
			token_file = v;
		} else if (!strcmp(a, "--fault-at")) {
			if (pl_parse_i64(v, 1, INT64_MAX, &fault_at))
				return cli_usage_error("simulate line", line_usage, "--fault-at must be a positive integer");
		} else {
			return cli_usage_error("simulate line", line_usage, "unknown option '%s'", a);
		}
	}
	if (!url == !http)
		return cli_usage_error("simulate line", line_usage, "one of --mqtt URL and --http URL is required");
	if (http && !token_file)
		return cli_usage_error("simulate line", line_usage, "--http needs --token-file F");
	if (!http && token_file)
		return cli_usage_error("simulate line", line_usage, "--token-file goes with --http");
	if (http)
		snprintf(host, sizeof(host), "%s", http);
	else if (mqtt_ingest_url_parse(url, host, sizeof(host), &port))
		return cli_usage_error("simulate line", line_usage, "--mqtt: expected mqtt://HOST[:PORT], got '%s'", url);
	{
		struct mqtt_sp_topic t = { .type = MQTT_SP_NBIRTH };
		char tmp[MQTT_SP_TOPIC_MAX + 1];
		snprintf(t.group, sizeof(t.group), "%s", group);
		snprintf(t.node, sizeof(t.node), "fill-1");
		if (strlen(group) > MQTT_SP_ID_MAX || mqtt_sp_topic_format(&t, tmp, sizeof(tmp)))
			return cli_usage_error("simulate line", line_usage, "--group '%s' is not a valid Sparkplug id", group);
	}

	/* NOTES 2: block before any thread exists, so only sigtimedwait sees them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	mosquitto_lib_init();
	s = pl_calloc(1, sizeof(*s));
	s->n = (int)lines;
	s->bdseq = (pl_time_now_ms() / 1000) & 0xff;
	s->fault_at = fault_at;
	s->vision = vision;
	s->period_s = 1.0 / rate;
	s->http = http;
	if (http) {
		if (sim_tokens_load(s, token_file, why, sizeof(why))) {
			fprintf(stderr, "parkline simulate line: %s\n", why);
			goto out;
		}
		if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(s->curl = curl_easy_init())) {
			fprintf(stderr, "parkline simulate line: libcurl did not initialise\n");
			goto out;
		}
	}
	for (int i = 0; i < s->n; i++)
		if (sim_node_init(s, i, group, host, port, (uint64_t)seed, why, sizeof(why))) {
			fprintf(stderr, "parkline simulate line: %s\n", why);
			goto out;
		}
	if (http)
		fprintf(stderr, "parkline simulate line: %d line(s) to %s (HTTP ingest) at %g Hz\n",
			s->n, http, rate);
	else
		fprintf(stderr, "parkline simulate line: %d line(s) of group %s to %s:%d at %g Hz\n",
			s->n, group, host, port, rate);

	int64_t period_ns = (int64_t)(s->period_s * 1e9);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		int64_t now = pl_time_now_ms();
		bool all_done = count > 0;
		for (int i = 0; i < s->n; i++) {
			struct sim_node *nd = &s->nodes[i];
			if (s->http) { /* NOTES 6 */
				if (count > 0 && nd->sent >= count)
					continue;
				sim_step(s, nd, s->period_s);
				if (sim_http_post(s, nd, now) == 0)
					nd->sent++;
				if (count == 0 || nd->sent < count)
					all_done = false;
				continue;
			}
			if (!atomic_load(&nd->connected)) {
				nd->born = false;
				all_done = false;
				continue;
			}
			if (atomic_exchange(&nd->need_birth, false)) {
				if (sim_birth(s, nd, now) == 0)
					nd->born = true;
				/* NDATA waits for the next tick: stamped with the birth's
				 * time it would not be newer than the birth's points */
				all_done = false;
				continue;
			}
			if (!nd->born) {
				all_done = false;
				continue;
			}
			if (count > 0 && nd->sent >= count)
				continue;
			sim_step(s, nd, s->period_s);
			if (sim_data(nd, now) == 0)
				nd->sent++;
			if (count == 0 || nd->sent < count)
				all_done = false;
		}
		s->t_s += s->period_s;
		if (all_done)
			break;
		/* wait for the next tick, or a signal (NOTES 2) */
		next.tv_nsec += period_ns % 1000000000;
		next.tv_sec += period_ns / 1000000000 + next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		struct timespec cur, wait;
		clock_gettime(CLOCK_MONOTONIC, &cur);
		int64_t left = (next.tv_sec - cur.tv_sec) * 1000000000LL + (next.tv_nsec - cur.tv_nsec);
		if (left < 0)
			left = 0;
		wait.tv_sec = left / 1000000000;
		wait.tv_nsec = left % 1000000000;
		int sig = sigtimedwait(&sigs, NULL, &wait);
		if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	rc = 0;
out:
	for (int i = 0; s && i < s->n; i++)
		sim_node_stop(s, &s->nodes[i]);
	if (s && rc == 0) /* a run that started */
		for (int i = 0; i < s->n; i++)
			fprintf(stderr, "parkline simulate line: %s sent %lld %s\n", s->nodes[i].id,
				(long long)s->nodes[i].sent, s->http ? "batches" : "NDATA");
	if (s && s->curl) {
		curl_easy_cleanup(s->curl);
		curl_global_cleanup();
	}
	free(s);
	return rc;
}
