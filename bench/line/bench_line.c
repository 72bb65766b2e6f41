/*
 * bench_line.c - `make bench-line` (bench/line/run.sh): how many metrics per
 * second go from Sparkplug B publishers through a real mosquitto into the
 * store, beside what the broker alone delivers and what the store alone
 * takes, measured in the same run on the same machine.
 *
 *   bench_line seed DB NODES          demo park + NODES lines bench/n0..
 *   bench_line raw DB SECONDS         the floor: line_repo_block_put of
 *                                     full 4096-point blocks, one commit per
 *                                     100 blocks (points/s)
 *   bench_line broker URL NODES METRICS SECONDS
 *                                     publishers + one subscriber that
 *                                     counts and discards (metrics/s, to
 *                                     the last message received); topics
 *                                     under brokeronly/, not spBv1.0/, so
 *                                     a serve that runs meanwhile (run.sh
 *                                     alternates the phases) gets none
 *   bench_line e2e DB URL NODES METRICS SECONDS
 *                                     the same publishers while `parkline
 *                                     serve --mqtt` (started by run.sh)
 *                                     ingests; metrics/s = points committed
 *                                     (sum of block counts) / time from the
 *                                     first publish to the last commit;
 *                                     NODE_BASE=K publishes as nodes nK..
 *                                     (each round its own, seeded nodes:
 *                                     a node's timestamps only move on)
 *   bench_line pace URL NODE_GROUP NODE RATE SECONDS
 *                                     one node at RATE NDATA/s with
 *                                     timestamps = now (for the latency run)
 *   bench_line decode METRICS SECONDS the publishers' NDATA decoded over and
 *                                     over by protobuf-c and by the fast
 *                                     path (src/mqtt/payload.c), SECONDS
 *                                     each; thread CPU ns per metric, so
 *                                     the neighbours' load counts less
 *
 * Publishers: 2 threads, each its own MQTT connection, running the
 * libmosquitto loop in the thread (no loop thread), so a publish waits for
 * the socket and the publisher cannot outrun the broker into unbounded
 * client queues. NDATA at QoS 0, METRICS doubles per message by alias,
 * after one NBIRTH per node (QoS 1). Not part of `make check`.
 */
#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"
#include "line/repo.h"
#include "mqtt/mqtt_int.h" /* mqtt__sp_decode_with: the decode phase compares decoders */
#include "mqtt/client.h"

#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PUB_THREADS 2
#define METRICS_MAX 64
#define NODES_MAX 1000

struct pubctx {
	char host[256];
	int port;
	int first, count;    /* nodes [first, first + count) */
	int metrics;
	int64_t until_ms;
	const char *root;    /* topic namespace: "spBv1.0", or "brokeronly" */
	const char *group;
	int base;            /* node names start at n<base> */
	uint64_t sent_msgs;  /* NDATA messages */
	double pace;         /* NDATA per second per node; 0: as fast as the broker takes them */
	int rc;
};

static double now_s(void) { return (double)pl_time_mono_ns() / 1e9; }

static int publish(struct mosquitto *m, const char *topic, const struct mqtt_sp_payload *p, int qos)
{
	struct pl_buf b;
	int rc;
	pl_buf_init(&b, 1u << 16);
	rc = mqtt_sp_encode(p, &b);
	if (rc == 0 && mosquitto_publish(m, NULL, topic, (int)b.len, b.data, qos, false) != MOSQ_ERR_SUCCESS)
		rc = PL_EIO;
	pl_buf_release(&b);
	/* drive the socket now: nothing is queued behind our back */
	while (rc == 0 && mosquitto_want_write(m))
		if (mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS)
			rc = PL_EIO;
	mosquitto_loop_read(m, 1);
	return rc;
}

static void *pub_thread(void *arg)
{
	struct pubctx *pc = arg;
	struct mosquitto *m = mosquitto_new(NULL, true, NULL);
	struct mqtt_sp_metric ms[METRICS_MAX + 2];
	char names[METRICS_MAX][16], topic[256];
	uint64_t seq[NODES_MAX] = { 0 };

	if (!m || mosquitto_connect(m, pc->host, pc->port, 60) != MOSQ_ERR_SUCCESS) {
		pc->rc = PL_EIO;
		goto out;
	}
	for (int k = 0; k < pc->metrics; k++)
		pl_fmt(names[k], sizeof(names[k]), "m%d", k);
	/* Timestamps strictly increase per node, 1 ms a round. Saturating,
	 * rounds come faster than 1 a ms (about 2 a ms here), so a phase
	 * starts in the past, far enough back (5 ms per ms of the phase) never
	 * to overtake the clock: the next phase, stamped with the clock, must
	 * not arrive as late points (it did: every point of the first paced
	 * phase was merged late). */
	int64_t t = pl_time_now_ms() - (pc->pace > 0 ? 0 : 5 * (pc->until_ms - pl_time_now_ms()));
	/* births: bdSeq, Node Control/Rebirth, then every metric with name and alias */
	for (int n = pc->first; n < pc->first + pc->count; n++) {
		memset(ms, 0, sizeof(ms));
		ms[0] = (struct mqtt_sp_metric){ .name = "bdSeq", .has_datatype = true, .datatype = MQTT_SP_DT_INT64,
						 .has_timestamp = true, .timestamp = (uint64_t)t };
		ms[0].raw.field = MQTT_SP_F_LONG;
		ms[1] = (struct mqtt_sp_metric){ .name = "Node Control/Rebirth", .has_datatype = true,
						 .datatype = MQTT_SP_DT_BOOLEAN, .has_timestamp = true,
						 .timestamp = (uint64_t)t };
		ms[1].raw.field = MQTT_SP_F_BOOL;
		for (int k = 0; k < pc->metrics; k++) {
			ms[2 + k] = (struct mqtt_sp_metric){ .name = names[k], .has_alias = true, .alias = (uint64_t)k + 1,
							     .has_datatype = true, .datatype = MQTT_SP_DT_DOUBLE,
							     .has_timestamp = true, .timestamp = (uint64_t)t };
			ms[2 + k].raw.field = MQTT_SP_F_DOUBLE;
		}
		struct mqtt_sp_payload p = { .has_timestamp = true, .timestamp = (uint64_t)t, .has_seq = true,
					     .seq = 0, .n_metrics = (size_t)pc->metrics + 2, .metrics = ms };
		pl_fmt(topic, sizeof(topic), "%s/%s/NBIRTH/n%d", pc->root, pc->group, pc->base + n);
		if ((pc->rc = publish(m, topic, &p, 1)))
			goto out;
	}
	/* data as fast as the broker takes it */
	double next = now_s();
	while (pl_time_now_ms() < pc->until_ms) {
		t++;
		if (pc->pace > 0) { /* one round of every node per 1/pace s */
			next += 1.0 / pc->pace;
			double w = next - now_s();
			if (w > 0)
				usleep((useconds_t)(w * 1e6));
			if (t < pl_time_now_ms())
				t = pl_time_now_ms();
		}
		for (int n = pc->first; n < pc->first + pc->count; n++) {
			for (int k = 0; k < pc->metrics; k++) {
				ms[k] = (struct mqtt_sp_metric){ .has_alias = true, .alias = (uint64_t)k + 1,
								 .has_timestamp = true, .timestamp = (uint64_t)t };
				ms[k].raw.field = MQTT_SP_F_DOUBLE;
				ms[k].raw.d = (double)(t % 1000) + k;
			}
			seq[n] = (seq[n] + 1) % 256;
			struct mqtt_sp_payload p = { .has_timestamp = true, .timestamp = (uint64_t)t, .has_seq = true,
						     .seq = seq[n], .n_metrics = (size_t)pc->metrics, .metrics = ms };
			pl_fmt(topic, sizeof(topic), "%s/%s/NDATA/n%d", pc->root, pc->group, pc->base + n);
			if ((pc->rc = publish(m, topic, &p, 0)))
				goto out;
			pc->sent_msgs++;
		}
	}
	mosquitto_disconnect(m);
out:
	if (m)
		mosquitto_destroy(m);
	return NULL;
}

/* Runs the publishers for seconds; returns metrics sent. */
static uint64_t run_publishers(const char *url, const char *root, const char *group, int base,
			       int nodes, int metrics, int seconds, double *elapsed)
{
	struct pubctx pc[PUB_THREADS];
	pthread_t th[PUB_THREADS];
	uint64_t msgs = 0;
	double t0 = now_s();
	for (int i = 0; i < PUB_THREADS; i++) {
		memset(&pc[i], 0, sizeof(pc[i]));
		if (mqtt_ingest_url_parse(url, pc[i].host, sizeof(pc[i].host), &pc[i].port))
			return 0;
		pc[i].first = i * nodes / PUB_THREADS;
		pc[i].count = (i + 1) * nodes / PUB_THREADS - pc[i].first;
		pc[i].metrics = metrics;
		pc[i].root = root;
		pc[i].group = group;
		pc[i].base = base;
		pc[i].until_ms = pl_time_now_ms() + seconds * 1000LL;
		const char *pace = getenv("PACE"); /* NDATA/s per node (bench/line/run.sh) */
		pc[i].pace = pace ? strtod(pace, NULL) : 0;
		pthread_create(&th[i], NULL, pub_thread, &pc[i]);
	}
	for (int i = 0; i < PUB_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (pc[i].rc)
			fprintf(stderr, "publisher %d failed: %s\n", i, pl_strerror(pc[i].rc));
		msgs += pc[i].sent_msgs;
	}
	*elapsed = now_s() - t0;
	return msgs * (uint64_t)metrics;
}

struct subctx {
	atomic_ullong msgs;
	atomic_ullong last_ns; /* when the last NDATA arrived (monotonic) */
};
static void on_msg(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	struct subctx *s = ud;
	(void)m;
	if (strstr(msg->topic, "/NDATA/")) {
		atomic_fetch_add(&s->msgs, 1); /* counted and discarded */
		atomic_store(&s->last_ns, pl_time_mono_ns());
	}
}

static int cmd_broker(const char *url, int nodes, int metrics, int seconds)
{
	char host[256];
	int port;
	struct subctx sc = { 0 };
	double el;
	if (mqtt_ingest_url_parse(url, host, sizeof(host), &port))
		return 2;
	struct mosquitto *m = mosquitto_new(NULL, true, &sc);
	mosquitto_message_callback_set(m, on_msg);
	if (mosquitto_connect(m, host, port, 60) != MOSQ_ERR_SUCCESS ||
	    mosquitto_subscribe(m, NULL, "brokeronly/benchb/#", 0) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "subscriber cannot connect\n");
		return 1;
	}
	usleep(300000); /* let the SUBACK arrive: a benchmark, not a test */
	double t0 = now_s();
	uint64_t sent = run_publishers(url, "brokeronly", "benchb", 0, nodes, metrics, seconds, &el);
	/* drain: wait until the count stops moving for 500 ms; the rate runs
	 * to the last message received, not to when the wait saw it */
	uint64_t last = (uint64_t)-1;
	while (atomic_load(&sc.msgs) != last) {
		last = atomic_load(&sc.msgs);
		usleep(500000);
	}
	double t_end = (double)atomic_load(&sc.last_ns) / 1e9;
	double got = (double)last * metrics;
	printf("broker-only: %d nodes x %d metrics, sent %llu metrics in %.1f s; subscriber got %.0f"
	       " metrics = %.0f metrics/s (%.1f%% of sent)\n", nodes, metrics, (unsigned long long)sent, el,
	       got, got / (t_end - t0), sent ? 100.0 * got / (double)sent : 0);
	mosquitto_disconnect(m);
	mosquitto_loop_stop(m, false);
	mosquitto_destroy(m);
	return 0;
}

static int64_t committed(struct store *st)
{
	struct store_conn *c = NULL;
	json_t *o = NULL;
	int64_t n = -1;
	if (store_conn_get(st, &c) == 0 &&
	    store_query_one(c, "SELECT COALESCE(sum(b.count), 0) AS n FROM line_series_blocks b"
			    " JOIN line_series s ON s.id = b.series_id JOIN lines l ON l.id = s.line_id"
			    " WHERE l.sp_group = 'bench'", NULL, 0, &o) == 0)
		n = json_integer_value(json_object_get(o, "n"));
	json_decref(o);
	store_conn_put(c);
	return n;
}

static int cmd_e2e(const char *db, const char *url, int nodes, int metrics, int seconds)
{
	struct store *st = NULL;
	double el;
	if (store_open(db, NULL, &st))
		return 1;
	int64_t before = committed(st);
	const char *base = getenv("NODE_BASE"); /* run.sh's rounds (see the top) */
	int64_t b0 = 0;
	if (base && (pl_parse_i64(base, 0, NODES_MAX - nodes, &b0))) {
		fprintf(stderr, "NODE_BASE must be 0..%d\n", NODES_MAX - nodes);
		store_free(st);
		return 2;
	}
	double t0 = now_s();
	uint64_t sent = run_publishers(url, "spBv1.0", "bench", (int)b0, nodes, metrics, seconds, &el);
	int64_t last = -1, n;
	double t_last = now_s();
	/* the ingest commits every 250 ms, but one commit of a backlog (or a
	 * checkpoint of the saturating phase's WAL) can take seconds: wait
	 * until every metric sent and each node's birth values are stored, or
	 * until 20 s pass without growth (then the shortfall is printed) */
	int64_t want = (int64_t)sent + (int64_t)nodes * metrics;
	for (;;) {
		n = committed(st);
		if (n != last) {
			last = n;
			t_last = now_s();
			if (n - before >= want)
				break;
		} else if (now_s() - t_last > 20) {
			break;
		}
		usleep(100000);
	}
	double stored = (double)(last - before);
	printf("end-to-end: %d nodes x %d metrics, sent %llu metrics in %.1f s; stored %.0f"
	       " = %.0f metrics/s (%.1f%% of sent; first publish to last commit %.1f s)\n", nodes, metrics,
	       (unsigned long long)sent, el, stored, stored / (t_last - t0),
	       sent ? 100.0 * stored / (double)sent : 0, t_last - t0);
	store_free(st);
	return 0;
}

static int cmd_raw(const char *db, int seconds)
{
	struct store *st = NULL;
	struct store_conn *c = NULL;
	struct line_point *pts = pl_malloc(LINE_BLOCK_POINTS_MAX * sizeof(*pts));
	char line[PL_ID_LEN + 1], ent[PL_ID_LEN + 1], sid[100][PL_ID_LEN + 1];
	uint64_t points = 0;
	int rc = 1;

	if (store_open(db, NULL, &st) || store_conn_get(st, &c) ||
	    line_repo_line_by_node(c, "taiji", "fill-1", line, ent))
		goto out;
	for (int i = 0; i < 100; i++) {
		char m[32];
		int64_t last;
		pl_fmt(m, sizeof(m), "raw/%d", i);
		if (line_repo_series_ensure(c, line, m, sid[i], &last))
			goto out;
	}
	int64_t t = pl_time_now_ms() - 86400000LL * 30;
	double t0 = now_s();
	while (now_s() - t0 < seconds) {
		if (store_begin(c))
			goto out;
		for (int i = 0; i < 100; i++) {
			for (int k = 0; k < LINE_BLOCK_POINTS_MAX; k++)
				pts[k] = (struct line_point){ t + k * 1000LL, (double)(k % 977) * 0.25 };
			if (line_repo_block_put(c, sid[i], pts, LINE_BLOCK_POINTS_MAX))
				goto out;
			points += LINE_BLOCK_POINTS_MAX;
		}
		if (store_commit(c))
			goto out;
		t += LINE_BLOCK_POINTS_MAX * 1000LL;
	}
	printf("raw block inserts: %llu points in %.1f s = %.0f points/s (4096-point blocks, 100 per commit)\n",
	       (unsigned long long)points, now_s() - t0, (double)points / (now_s() - t0));
	rc = 0;
out:
	free(pts);
	store_conn_put(c);
	store_free(st);
	return rc;
}

static int cmd_seed(const char *db, int nodes)
{
	struct store *st = NULL;
	struct store_conn *c = NULL;
	struct auth *a = NULL;
	char line[PL_ID_LEN + 1], ent[PL_ID_LEN + 1], now[PL_TIME_STRLEN];
	int rc = 1;

	if (store_open(db, NULL, &st) || store_migrate(st, NULL))
		goto out;
	struct auth_options ao = { .hash_cost = AUTH_HASH_MIN };
	a = auth_new(st, &ao, NULL);
	if (auth_demo_seed(a, NULL) || line_repo_demo_seed(st, NULL) || store_conn_get(st, &c) ||
	    line_repo_line_by_node(c, "taiji", "fill-1", line, ent))
		goto out;
	pl_time_format(pl_time_now_ms(), now);
	for (int i = 0; i < nodes; i++) {
		char id[PL_ID_LEN + 1], name[64], node[32];
		pl_id_new(id);
		pl_fmt(name, sizeof(name), "bench line %d", i);
		pl_fmt(node, sizeof(node), "n%d", i);
		struct store_param p[] = { SP_TEXT(id), SP_TEXT(ent), SP_TEXT(name), SP_TEXT("bench"),
					   SP_TEXT(node), SP_TEXT(now) };
		if (store_exec(c, "INSERT INTO lines (id, enterprise_id, name, sp_group, sp_node, created_at)"
			       " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sp_group, sp_node) DO NOTHING",
			       p, STORE_NP(p), NULL))
			goto out;
	}
	rc = 0;
out:
	store_conn_put(c);
	auth_free(a);
	store_free(st);
	return rc;
}

/* One node at rate NDATA/s, timestamps = now, for the latency run. */
static int cmd_pace(const char *url, const char *group, const char *node, double rate, int seconds)
{
	char host[256], topic[256];
	int port;
	if (mqtt_ingest_url_parse(url, host, sizeof(host), &port))
		return 2;
	struct mosquitto *m = mosquitto_new(NULL, true, NULL);
	if (!m || mosquitto_connect(m, host, port, 60) != MOSQ_ERR_SUCCESS)
		return 1;
	struct mqtt_sp_metric ms[3];
	int64_t t = pl_time_now_ms();
	memset(ms, 0, sizeof(ms));
	ms[0] = (struct mqtt_sp_metric){ .name = "bdSeq", .has_datatype = true, .datatype = MQTT_SP_DT_INT64,
					 .has_timestamp = true, .timestamp = (uint64_t)t };
	ms[0].raw.field = MQTT_SP_F_LONG;
	ms[1] = (struct mqtt_sp_metric){ .name = "Node Control/Rebirth", .has_datatype = true, .datatype = MQTT_SP_DT_BOOLEAN,
					 .has_timestamp = true, .timestamp = (uint64_t)t };
	ms[1].raw.field = MQTT_SP_F_BOOL;
	ms[2] = (struct mqtt_sp_metric){ .name = "speed", .has_alias = true, .alias = 1, .has_datatype = true,
					 .datatype = MQTT_SP_DT_DOUBLE, .has_timestamp = true, .timestamp = (uint64_t)t };
	ms[2].raw.field = MQTT_SP_F_DOUBLE;
	struct mqtt_sp_payload b = { .has_timestamp = true, .timestamp = (uint64_t)t, .has_seq = true, .seq = 0,
				     .n_metrics = 3, .metrics = ms };
	pl_fmt(topic, sizeof(topic), "spBv1.0/%s/NBIRTH/%s", group, node);
	if (publish(m, topic, &b, 1))
		return 1;
	pl_fmt(topic, sizeof(topic), "spBv1.0/%s/NDATA/%s", group, node);
	uint64_t seq = 0;
	int64_t end = pl_time_now_ms() + seconds * 1000LL;
	while (pl_time_now_ms() < end) {
		usleep((useconds_t)(1e6 / rate));
		t = pl_time_now_ms();
		struct mqtt_sp_metric d = { .has_alias = true, .alias = 1, .has_timestamp = true, .timestamp = (uint64_t)t };
		d.raw.field = MQTT_SP_F_DOUBLE;
		d.raw.d = 100 + (double)(t % 100) / 10;
		seq = (seq + 1) % 256;
		struct mqtt_sp_payload p = { .has_timestamp = true, .timestamp = (uint64_t)t, .has_seq = true,
					     .seq = seq, .n_metrics = 1, .metrics = &d };
		if (publish(m, topic, &p, 0))
			return 1;
	}
	mosquitto_disconnect(m);
	mosquitto_destroy(m);
	return 0;
}

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The decoders alone on the publishers' NDATA (the decode step of the
 * ingest worker, without the broker, the session or the store). */
static int cmd_decode(int metrics, int seconds)
{
	static const struct { enum mqtt__decoder which; const char *name; } dec[] = {
		{ MQTT__DEC_PBC, "protobuf-c" }, { MQTT__DEC_FAST, "fast path" },
	};
	struct mqtt_sp_metric ms[METRICS_MAX];
	int64_t t = pl_time_now_ms();
	struct pl_buf b;
	int rc = 0;

	for (int k = 0; k < metrics; k++) {
		ms[k] = (struct mqtt_sp_metric){ .has_alias = true, .alias = (uint64_t)k + 1,
						 .has_timestamp = true, .timestamp = (uint64_t)t };
		ms[k].raw.field = MQTT_SP_F_DOUBLE;
		ms[k].raw.d = (double)(t % 1000) + k;
	}
	struct mqtt_sp_payload p = { .has_timestamp = true, .timestamp = (uint64_t)t, .has_seq = true,
				     .seq = 7, .n_metrics = (size_t)metrics, .metrics = ms };
	pl_buf_init(&b, 1u << 16);
	if (mqtt_sp_encode(&p, &b))
		return 1;
	for (size_t d = 0; d < sizeof(dec) / sizeof(dec[0]) && rc == 0; d++) {
		uint64_t n = 0;
		double w0 = now_s(), c0 = thread_cpu_s();
		while (rc == 0 && now_s() - w0 < seconds) {
			for (int i = 0; i < 1000 && rc == 0; i++) {
				struct mqtt_sp_payload *q = NULL;
				rc = mqtt__sp_decode_with(dec[d].which, b.data, b.len, &q, NULL);
				mqtt_sp_payload_free(q);
			}
			n += 1000;
		}
		double cpu = thread_cpu_s() - c0;
		printf("decode (%s): %d-metric %zu-byte NDATA, %.0f ns CPU per metric = %.2f M metrics/s per core\n",
		       dec[d].name, metrics, b.len, cpu * 1e9 / ((double)n * metrics),
		       (double)n * metrics / cpu / 1e6);
	}
	pl_buf_release(&b);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	int64_t a = 0, b = 0, c = 0;
	mosquitto_lib_init();
	if (argc == 4 && !strcmp(argv[1], "seed") && !pl_parse_i64(argv[3], 0, NODES_MAX, &a))
		return cmd_seed(argv[2], (int)a);
	if (argc == 4 && !strcmp(argv[1], "raw") && !pl_parse_i64(argv[3], 1, 600, &a))
		return cmd_raw(argv[2], (int)a);
	if (argc == 6 && !strcmp(argv[1], "broker") && !pl_parse_i64(argv[3], 2, NODES_MAX, &a) &&
	    !pl_parse_i64(argv[4], 1, METRICS_MAX, &b) && !pl_parse_i64(argv[5], 1, 600, &c))
		return cmd_broker(argv[2], (int)a, (int)b, (int)c);
	if (argc == 7 && !strcmp(argv[1], "e2e") && !pl_parse_i64(argv[4], 2, NODES_MAX, &a) &&
	    !pl_parse_i64(argv[5], 1, METRICS_MAX, &b) && !pl_parse_i64(argv[6], 1, 600, &c))
		return cmd_e2e(argv[2], argv[3], (int)a, (int)b, (int)c);
	if (argc == 7 && !strcmp(argv[1], "pace") && !pl_parse_i64(argv[5], 1, 1000, &a) &&
	    !pl_parse_i64(argv[6], 1, 600, &b))
		return cmd_pace(argv[2], argv[3], argv[4], (double)a, (int)b);
	if (argc == 4 && !strcmp(argv[1], "decode") && !pl_parse_i64(argv[2], 1, METRICS_MAX, &a) &&
	    !pl_parse_i64(argv[3], 1, 600, &b))
		return cmd_decode((int)a, (int)b);
	fprintf(stderr, "usage: bench_line seed DB NODES | raw DB SECONDS | broker URL NODES METRICS SECONDS |"
		" e2e DB URL NODES METRICS SECONDS | pace URL GROUP NODE RATE SECONDS |"
		" decode METRICS SECONDS\n");
	return 2;
}
