/*
 * client.c - the Sparkplug B host application behind src/mqtt/client.h:
 * libmosquitto driven by our own network thread (NOTES 12), a bounded
 * queue, and one ingest worker that owns every session and open block.
 *
 * NOTES ON THE DESIGN
 * 1. Two threads. The network thread (NOTES 12) runs the callbacks; the
 *    message callback only copies topic and payload into a bounded queue
 *    (queue_max messages) and signals the worker, so the broker connection
 *    never waits on the database (style rule 11) for QoS 0 data, which is
 *    what Sparkplug sends NDATA as. A full queue drops a QoS 0 message and
 *    counts cause "queue_full"; the session rules then see a seq gap and
 *    ask for a rebirth, which resends the full state. QoS 1 and 2 are
 *    the exception (NOTES 10): the callback waits for room and then for
 *    the commit.
 * 2. The worker owns the mqtt_sp_node sessions, the series table and the
 *    open blocks: no locks around them. It decodes, feeds the session,
 *    acts on the verdict (rebirth NCMD, stale marking), appends applied
 *    numeric metrics to the series' open block, and commits every dirty
 *    block plus its last value in ONE transaction every flush_ms, or at
 *    once when a block fills (src/line/repo.c NOTES 1).
 * 3. An edge node feeds the line whose (sp_group, sp_node) names it; a
 *    node without a line is counted ("unknown_line") and its data dropped.
 *    The lookup is retried at most every LINE_RECHECK_MS, so an unknown
 *    node cannot make every message a query.
 * 4. Late points (not after the series' newest point, in memory or in the
 *    store) are merged, not dropped, and counted ("late": arrived late,
 *    merged). The simplest way that keeps the fast path as it is: a late
 *    point at or after the open block's first point goes INTO the open
 *    block in memory (inserted in order, or replacing the point of the
 *    same t), and the encoder is reset only when the point lands inside
 *    what it already encoded, so the next flush re-encodes that block from
 *    pts; any older late point waits in the series' `late` list and is
 *    merged into the stored blocks by line_repo_points_merge in the same
 *    flush transaction, after the open block is written (repo.c NOTES 3:
 *    the merge puts it in the block with the largest t_first <= t, never
 *    in the open block, whose t_first is newer, and never changes a
 *    block's t_first). Points the store turns out to hold newer ones than
 *    (a series seen again after a restart) take the same list. Equal t
 *    replaces (last write wins), so a re-sent QoS 1 message is idempotent.
 *    Late points are stored but not applied to live state (NOTES 8):
 *    machine state and alarms only move forward in time.
 * 5. Limits: nodes are found by linear scan, a series by its binding
 *    index (NOTES 9), else a jansson object per node; a flush visits every
 *    series once. A crash between receipt and commit loses the QoS 0
 *    messages of up to flush_ms; QoS 1 messages are acknowledged only
 *    after their commit (NOTES 10).
 * 6. Every reject cause is counted and logged once per cause (with the
 *    topic that caused it), so a noisy publisher cannot flood the log.
 * 8. Live production (src/line/live.h): after each committed flush the
 *    worker applies the flush's points of every touched line in a second
 *    transaction (machine state, alarm rules, tile), then hands each tile
 *    ("line") and alarm change ("alarm") to the publisher (the SSE hub),
 *    so a tile goes out at most once per flush (250 ms) per line. A
 *    safety alarm (fire, smoke, gas) that becomes active opens one urgent
 *    desk request for the line's enterprise. Every tick_ms the worker
 *    also runs the stale-data and shelving timers (line_live_tick). A
 *    failed live step is counted ("live_error") and never blocks ingest.
 * 9. Ingest cost (profiled with perf on `make bench-line`, see
 *    docs/benchmarks.md): (a) each series keeps an incremental encoder of
 *    its open block, so a flush encodes only the points since the last one
 *    and rewrites the block's bytes (line_repo_block_put_enc) instead of
 *    encoding the block again from its first point; an open block holding
 *    SEAL_POINTS after a flush is sealed, which bounds the bytes one flush
 *    rewrites per series; after a failed flush the encoders are rebuilt
 *    from pts; (b) a node caches binding index -> series while
 *    mqtt_sp_node_generation holds, so a point costs no key formatting or
 *    hash lookup; (c) a queued message is one allocation; (d) the live
 *    step of all lines of a flush is one transaction (one fsync instead of
 *    one per line), and line_live_apply sorts only the points it uses;
 *    (e) a small backlog is committed once the queue is idle (at most every
 *    IDLE_FLUSH_MS), a large one at flush_ms or FLUSH_POINTS; (f) payloads
 *    of scalar metrics are read by the hand-written decoder (payload.c
 *    NOTES ON THE FAST PATH), not protobuf-c's generic unpacker; (g) each
 *    DATA metric is resolved once: the session check hands its bindings
 *    and converted values to the apply step in the verdict, and a binding
 *    that is no series (control metric, non-numeric datatype) is cached as
 *    SERIES_NONE; (h) an open block starts at one page of points
 *    (FIRST_POINTS) and keeps its array across sealed blocks. Measured
 *    effect of (f)-(h): docs/benchmarks.md "Line ingest end to end".
 *    (i) What is left of a point's cost is mostly cache misses: with
 *    ~1000 series, a series' struct and the next line of its open block
 *    (the array is reused block after block, so that line was last
 *    written ~SEAL_POINTS points ago) are cold. The struct's first line
 *    holds what a point touches, ingest__apply prefetches the series
 *    PREFETCH_AHEAD metrics ahead and ingest__point the block's next
 *    line. (j) A message entry is allocated by the network thread and
 *    freed by the worker, and at ~1 KiB it is too big for glibc's
 *    per-thread cache, so each took the arena lock twice; the worker
 *    hands handled entries back under mu, which it takes once per batch
 *    anyway, and the callback reuses them (SPARE_MAX of at most
 *    SPARE_BYTES_MAX, so a burst of large payloads is not kept).
 * 7. Gateways that cannot encode protobuf publish the same messages as
 *    Tahu-style JSON (mqtt_sp_from_json) under parkline/json/<group>/
 *    <type>/<node>[/<device>]. A separate namespace, not content sniffing,
 *    so a Sparkplug topic only ever carries protobuf; the session rules are
 *    the same, and one edge node must not mix the two (they share seq).
 * 10. QoS 1 (and 2) messages are acknowledged only after they are
 *    committed, so neither a restart of serve nor of the broker loses an
 *    acknowledged message (the session is persistent, clean_session=false,
 *    so the broker redelivers what we did not acknowledge). libmosquitto
 *    2.0 has no manual acknowledgement, but in threaded mode every packet
 *    it queues (the PUBACK included) is written by the network thread
 *    after the message callback returns (NOTES 12 keeps that). So the
 *    callback gives a QoS 1 message a ticket, queues it and waits: the
 *    worker flushes at once when a ticket is waiting, and once everything
 *    it has handled is committed (pending == 0) it publishes `acked` = the
 *    last ticket handled. Messages that are rejected (bad payload,
 *    unknown line) are handled too, and acknowledged: sending them again
 *    would not help. If the ingest stops before the commit (`closing`,
 *    e.g. the store is down at shutdown), the callback shuts the socket
 *    down before returning, so the PUBACK never leaves and the broker
 *    sends the message again to the next session; a message committed and
 *    sent again is harmless (equal t replaces, NOTES 4). The cost is one
 *    commit per QoS 1 message while they come one at a time (the network
 *    thread waits), which the QoS 0 data stream does not pay;
 *    tests/line/broker.mjs checks the guarantee with kill -9 while the
 *    store is locked.
 * 11. Stored rollups (src/line/repo_rollup.c, migration 25) are written in
 *    the flush's transaction, from what the worker knows is new: after an
 *    open block is written, its points pts[n_flushed..n) - the ones since
 *    the last COMMITTED flush - are added to their 1-minute and 1-hour
 *    buckets (line_repo_rollups_add: one row per bucket touched, not per
 *    point; usually one statement per series). A late point that went
 *    into the committed part of the open block (inserted below
 *    n_flushed, or replacing such a point)
 *    widens the series' dirty span [dirty_lo, dirty_hi], whose buckets are
 *    rebuilt from the blocks after the add (exact, so a replacement is
 *    not counted twice); the late list's merge rebuilds its own buckets
 *    (line_repo_points_merge). n_flushed moves and the dirty span clears
 *    only after the commit: a failed flush rolls the rows back with the
 *    points, and its retry adds and rebuilds exactly the same again, so
 *    nothing is counted twice.
 * 12. The network thread is ours, not mosquitto_loop_start's: libmosquitto
 *    2.0's loop reads one packet per wait (for QoS 0 it takes one packet
 *    per mosquitto_loop_read), so each message cost a pselect on two
 *    sockets, the loop's locks and keepalive check, and the packet's
 *    reads. Ours polls the socket, then calls mosquitto_loop_read until
 *    the socket would block (at most NET_READ_BURST packets, and never
 *    past a queued write, so a PUBACK or a subscription leaves at once):
 *    one poll per burst, not per message. Everything else is what
 *    mosquitto_loop does, in the same order: mosquitto_threaded_set
 *    marks the handle threaded, so a packet queued in a callback or by
 *    another thread is written only here, after the callback returns
 *    (NOTES 10); a publish from another thread (a rebirth NCMD, the
 *    offline STATE) wakes the poll through wake_fd, which stands in for
 *    libmosquitto's private socket pair; mosquitto_loop_misc keeps the
 *    keepalive; a lost connection is retried with a backoff of 1 s
 *    doubling to NET_BACKOFF_MAX_MS, reset by a CONNACK. On stop the
 *    thread writes what is queued (the offline STATE, the DISCONNECT)
 *    for at most NET_CLOSE_MS and exits.
 */
#include "mqtt/client.h"
#include "mqtt/mqtt.h"
#include "line/repo.h"
#include "line/live.h"
#include "desk/repo.h"

#include <mosquitto.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#define INGEST_HOST_MAX 255
#define LINE_RECHECK_MS 5000
/* The network thread (NOTES 12): packets read per poll at most, the poll's
 * timeout (mosquitto_loop's default; the keepalive is checked at least
 * this often), the longest reconnect backoff, and how long stop waits for
 * the offline STATE and the DISCONNECT to leave. */
#define NET_READ_BURST 256
#define NET_TICK_MS 1000
#define NET_BACKOFF_MS 1000
#define NET_BACKOFF_MAX_MS 10000
#define NET_CLOSE_MS 2000
/* Pending points that force a flush before flush_ms (NOTES 9e). Each
 * flush costs per series touched (a block, a rollup and a last-value
 * upsert), so at millions of points a second a low bound multiplies that
 * cost: 200,000 meant ~18 flushes a second and a third more CPU per point
 * than the ~6 a second of this bound (docs/benchmarks.md, "Fewer, larger
 * flushes"). A flush of this many points takes ~100 ms, which the queue
 * (queue_max messages) covers many times over. */
#define FLUSH_POINTS 1000000
/* An open block holding this many points after a flush is sealed: a flush
 * rewrites each dirty open block whole, so this bounds the bytes one flush
 * writes per series at high rates (NOTES 9); slow series still fill whole
 * LINE_BLOCK_POINTS_MAX blocks over several flushes. */
#define SEAL_POINTS 1024
/* The first allocation of an open block: one 4 KiB page of points, which
 * is what the first touch costs anyway; a busy series then doubles to
 * SEAL_POINTS in two steps instead of six, and keeps its array across
 * sealed blocks (NOTES 9h). */
#define FIRST_POINTS (4096 / sizeof(struct line_point))
/* A small backlog (under IDLE_FLUSH_POINTS) is committed as soon as the
 * queue is empty, at most every IDLE_FLUSH_MS, instead of waiting for the
 * flush_ms tick: a quiet line's tile reaches the browser in ~100 ms; a busy
 * ingest keeps the fewer, larger flush_ms commits (NOTES 9). */
#define IDLE_FLUSH_POINTS 5000
#define IDLE_FLUSH_MS 100
/* ingest_node.by_index beside a series index: not looked up yet since the
 * last birth; not a series (control metric, no number, key too long;
 * NOTES 9g). */
#define SERIES_UNKNOWN (-1)
#define SERIES_NONE (-2)
/* Spare message entries kept for reuse, and the largest kept (NOTES 9j):
 * at most 4 MiB held. */
#define SPARE_MAX 256
#define SPARE_BYTES_MAX 16384
/* Points per cache line of an open block, and how many metrics ahead
 * ingest__apply fetches a series (NOTES 9i). */
#define PREFETCH_POINTS (64 / sizeof(struct line_point))
#define PREFETCH_AHEAD 4
/* The plain JSON topic format (NOTES 7): JSON_PREFIX + "<group>/<type>/<node>[/<device>]" */
#define JSON_PREFIX "parkline/json/"

/* Our reject causes beyond the session causes of mqtt.h. */
enum {
	IC_TOPIC = MQTT_SP_C_COUNT, /* topic outside the namespace or malformed */
	IC_DECODE,                  /* payload not a valid Sparkplug protobuf */
	IC_UNKNOWN_LINE,            /* edge node feeds no line */
	IC_QUEUE_FULL,              /* worker behind: message dropped */
	IC_LATE,                    /* point not after the series' newest: merged (NOTES 4) */
	IC_BAD_VALUE,               /* timestamp out of range */
	IC_DB,                      /* a flush failed; retried next time */
	IC_LIVE,                    /* live state / alarms could not be updated */
	IC_COUNT,
};
static const char *const ic_names[] = {
	[IC_TOPIC] = "bad_topic", [IC_DECODE] = "bad_payload",
	[IC_UNKNOWN_LINE] = "unknown_line", [IC_QUEUE_FULL] = "queue_full",
	[IC_LATE] = "late", [IC_BAD_VALUE] = "bad_value", [IC_DB] = "db_error", [IC_LIVE] = "live_error",
};

struct ingest_msg {
	struct ingest_msg *next;
	uint64_t ticket;      /* QoS 1/2: acknowledged once acked >= ticket (NOTES 10); 0: QoS 0 */
	char *topic;          /* NUL-terminated; in the same allocation */
	size_t tlen;
	void *payload;        /* in the same allocation, after the topic */
	size_t plen;
	size_t cap;           /* bytes allocated after the struct (NOTES 9j) */
};

struct ingest_series {
	/* what every point touches first, in the struct's first cache line
	 * (NOTES 9i) */
	int64_t last_t;            /* newest accepted point; INT64_MIN: none */
	struct line_point *pts;    /* owned: the open block, grown to at most
				    * LINE_BLOCK_POINTS_MAX (64 KiB) */
	size_t n;                  /* points in the open block */
	size_t cap;                /* points allocated in pts */
	char *metric;              /* owned: "name" or "device/name" */
	char line_id[PL_ID_LEN + 1];
	char id[PL_ID_LEN + 1];    /* valid when has_id */
	bool has_id;               /* the row exists (committed) */
	size_t n_flushed;          /* of which committed */
	struct line_block_enc enc; /* pts[0..enc.count) encoded (NOTES 9) */
	struct line_point *late;   /* owned: late points older than the open
				    * block, merged at the next flush (NOTES 4) */
	size_t nlate, late_cap;
	int64_t dirty_lo, dirty_hi; /* late points inside the committed part of the
				     * open block since the last commit; their
				     * rollup buckets are rebuilt (NOTES 11);
				     * lo > hi: none */
};

struct ingest_node {
	char group[MQTT_SP_ID_MAX + 1], node[MQTT_SP_ID_MAX + 1];
	struct mqtt_sp_node *sp;   /* owned */
	bool has_line;
	char line_id[PL_ID_LEN + 1];
	int64_t line_checked_ms;   /* last lookup; INT64_MIN: never */
	json_t *series;            /* metric -> index into mqtt_ingest.series */
	int32_t *by_index;         /* binding index -> series index, or SERIES_* (NOTES 9) */
	size_t n_by_index;
	uint64_t by_index_gen;     /* mqtt_sp_node_generation when by_index was filled */
};

struct mqtt_ingest {
	struct mqtt_ingest_options opt;   /* copied; pointers borrowed */
	char host[INGEST_HOST_MAX + 1];
	int port;
	char host_id[MQTT_SP_ID_MAX + 1];
	char state_topic[MQTT_SP_TOPIC_MAX + 1];
	int64_t birth_ms;                 /* STATE birth and Will timestamp */
	struct mosquitto *mosq;           /* owned */
	pthread_t net;                    /* the network thread (NOTES 12) */
	bool net_started;
	int wake_fd;                      /* eventfd: wakes the network thread's poll */
	atomic_bool net_stop;             /* stop: write what is queued, then exit */
	atomic_bool net_reset;            /* a CONNACK came: the backoff starts over */
	atomic_bool unreachable_logged;   /* a failed connect was logged since the last CONNACK */

	pthread_mutex_t mu;               /* guards the queue, the spares, stop and the ack state */
	pthread_cond_t cv;
	struct ingest_msg *head, *tail;
	size_t queued;
	struct ingest_msg *spare;         /* handled messages for reuse (NOTES 9j) */
	size_t nspare;
	bool stop;
	/* NOTES 10: the last ticket given out (network thread), the last one
	 * committed (worker), and whether waiting callbacks must give up */
	pthread_cond_t ack_cv;
	uint64_t tickets, acked;
	bool closing;
	pthread_t worker;
	bool worker_started;

	/* worker-owned */
	struct ingest_node **nodes;
	size_t nnodes;
	struct ingest_series **series;
	size_t nseries;
	size_t pending;                   /* points not yet committed */
	uint64_t handled;                 /* the last ticket handled (NOTES 10) */
	struct pl_buf blk;                /* a block's bytes, reused by every flush */

	/* counters (any thread) */
	_Atomic uint64_t rejects[IC_COUNT];
	atomic_bool logged[IC_COUNT];
	_Atomic uint64_t messages, points, rebirths, flushes;
	atomic_bool connected;

	pthread_mutex_t pub_mu;           /* guards publish/pub_ctx */
	mqtt_ingest_publish_fn publish;
	void *pub_ctx;
};

int mqtt_ingest_url_parse(const char *url, char *host, size_t hostsz, int *port)
{
	const char *h, *colon;
	int64_t p = 1883;
	size_t hl;

	if (!strncmp(url, "mqtt://", 7))
		h = url + 7;
	else if (!strncmp(url, "tcp://", 6))
		h = url + 6;
	else
		return PL_EINVAL;
	colon = strrchr(h, ':');
	hl = colon ? (size_t)(colon - h) : strlen(h);
	if (hl == 0 || hl >= hostsz || hl > INGEST_HOST_MAX || memchr(h, '/', hl))
		return PL_EINVAL;
	if (colon && pl_parse_i64(colon + 1, 1, 65535, &p))
		return PL_EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

/* Counts a reject and logs the first of each cause. */
static void ingest__reject(struct mqtt_ingest *g, int cause, const char *topic, const char *detail)
{
	atomic_fetch_add(&g->rejects[cause], 1);
	if (cause == MQTT_SP_C_COMMAND || atomic_exchange(&g->logged[cause], true))
		return;
	pl_warn(g->opt.log, "mqtt", "ingest: %s from %s: %s (logged once per cause; see /metrics)",
		cause < MQTT_SP_C_COUNT ? mqtt_sp_cause_name((enum mqtt_sp_cause)cause) : ic_names[cause],
		topic, detail && *detail ? detail : "-");
}

/* ------------------------------------------------ network thread callbacks */

static void ingest__on_connect(struct mosquitto *m, void *ud, int rc)
{
	struct mqtt_ingest *g = ud;
	char state[64];

	if (rc != 0) {
		pl_warn(g->opt.log, "mqtt", "broker refused the connection: %s",
			mosquitto_connack_string(rc));
		return;
	}
	atomic_store(&g->connected, true);
	atomic_store(&g->net_reset, true);
	atomic_store(&g->unreachable_logged, false);
	mosquitto_subscribe(m, NULL, MQTT_SP_NAMESPACE "/#", 1);
	mosquitto_subscribe(m, NULL, JSON_PREFIX "#", 1);
	mqtt_sp_state_format(true, g->birth_ms, state, sizeof(state));
	mosquitto_publish(m, NULL, g->state_topic, (int)strlen(state), state, 1, true);
	pl_info(g->opt.log, "mqtt", "connected to %s:%d as host %s", g->host, g->port, g->host_id);
}

static void ingest__on_disconnect(struct mosquitto *m, void *ud, int rc)
{
	struct mqtt_ingest *g = ud;
	(void)m;
	/* once per outage: a broker that is down fails every reconnect too */
	if (atomic_exchange(&g->connected, false)) {
		if (rc != 0)
			pl_warn(g->opt.log, "mqtt", "lost the broker connection; reconnecting");
	} else if (!atomic_exchange(&g->unreachable_logged, true)) {
		pl_warn(g->opt.log, "mqtt", "cannot reach the broker at %s:%d; retrying (every %d s at most)",
			g->host, g->port, NET_BACKOFF_MAX_MS / 1000);
	}
}

/* A copy of msg in one allocation: entry, topic, payload (NOTES 9c), in
 * a spare entry the worker handed back when the first one is big enough
 * (NOTES 9j); the caller holds mu. */
static struct ingest_msg *ingest__msg_new_locked(struct mqtt_ingest *g,
						 const struct mosquitto_message *msg)
{
	size_t tlen = strlen(msg->topic), plen = (size_t)msg->payloadlen;
	size_t need = tlen + 1 + plen;
	struct ingest_msg *e = g->spare;

	if (e) {
		g->spare = e->next;
		g->nspare--;
		if (e->cap < need) {
			free(e);
			e = NULL;
		}
	}
	if (!e) {
		e = pl_malloc(sizeof(*e) + need);
		e->cap = need;
	}
	e->next = NULL;
	e->ticket = 0;
	e->tlen = tlen;
	e->topic = (char *)(e + 1);
	memcpy(e->topic, msg->topic, tlen + 1);
	e->plen = plen;
	e->payload = e->topic + tlen + 1;
	if (plen)
		memcpy(e->payload, msg->payload, plen);
	return e;
}

/* Appends e to the queue and wakes the worker; the caller holds mu. */
static void ingest__enqueue_locked(struct mqtt_ingest *g, struct ingest_msg *e)
{
	if (g->tail)
		g->tail->next = e;
	else
		g->head = e;
	g->tail = e;
	g->queued++;
	pthread_cond_signal(&g->cv);
}

/* A QoS 1/2 message (NOTES 10): waits for room rather than dropping it,
 * queues it with a ticket and returns only once it is committed; when the
 * ingest closes first, shuts the socket so that no PUBACK leaves. */
static void ingest__enqueue_acked(struct mqtt_ingest *g, struct mosquitto *m,
				  const struct mosquitto_message *msg)
{
	bool committed;

	pthread_mutex_lock(&g->mu);
	while (g->queued >= g->opt.queue_max && !g->closing)
		pthread_cond_wait(&g->ack_cv, &g->mu);
	struct ingest_msg *e = ingest__msg_new_locked(g, msg);
	e->ticket = ++g->tickets;
	ingest__enqueue_locked(g, e); /* closing: the worker's last flush may still commit it */
	uint64_t ticket = e->ticket;  /* e belongs to the worker from here */
	while (g->acked < ticket && !g->closing)
		pthread_cond_wait(&g->ack_cv, &g->mu);
	committed = g->acked >= ticket;
	pthread_mutex_unlock(&g->mu);
	if (!committed)
		shutdown(mosquitto_socket(m), SHUT_RDWR);
}

/* Copy and enqueue (NOTES 1); bounded work for QoS 0. */
static void ingest__on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	struct mqtt_ingest *g = ud;

	atomic_fetch_add(&g->messages, 1);
	if (msg->payloadlen < 0 || (size_t)msg->payloadlen > MQTT_SP_PAYLOAD_MAX) {
		ingest__reject(g, IC_DECODE, msg->topic, "payload over the size cap");
		return;
	}
	if (msg->qos > 0) {
		ingest__enqueue_acked(g, m, msg);
		return;
	}
	pthread_mutex_lock(&g->mu);
	if (g->queued >= g->opt.queue_max) {
		pthread_mutex_unlock(&g->mu);
		ingest__reject(g, IC_QUEUE_FULL, msg->topic, "ingest worker is behind");
		return;
	}
	ingest__enqueue_locked(g, ingest__msg_new_locked(g, msg));
	pthread_mutex_unlock(&g->mu);
}

/* ------------------------------------------------------ the network thread */

/* Wakes the network thread's poll, after another thread queued a packet
 * (NOTES 12). */
static void ingest__wake(struct mqtt_ingest *g)
{
	uint64_t one = 1;

	if (write(g->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pl_warn(g->opt.log, "mqtt", "waking the network thread: %s", strerror(errno));
}

/* Reads packets while the socket has them (NOTES 12): at most
 * NET_READ_BURST, and no further once a packet waits to be written. A
 * packet__read that would block returns success with errno EAGAIN, which
 * is how the burst knows the socket is drained; errno is cleared first
 * because a successful read leaves it as it was. */
static int ingest__net_read(struct mqtt_ingest *g)
{
	for (int i = 0; i < NET_READ_BURST; i++) {
		errno = 0;
		int rc = mosquitto_loop_read(g->mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			return rc;
		if (errno == EAGAIN || errno == EWOULDBLOCK || mosquitto_socket(g->mosq) < 0 ||
		    mosquitto_want_write(g->mosq))
			break;
	}
	return MOSQ_ERR_SUCCESS;
}

/* Empties the wake fd; its count does not matter, and EAGAIN means it was
 * empty already. */
static void ingest__wake_drain(struct mqtt_ingest *g)
{
	uint64_t n;
	ssize_t got = read(g->wake_fd, &n, sizeof(n));

	(void)got;
}

/* Waits up to ms for the wake fd (stop, or a packet queued). */
static void ingest__net_wait(struct mqtt_ingest *g, int ms)
{
	struct pollfd p = { .fd = g->wake_fd, .events = POLLIN };

	if (poll(&p, 1, ms) > 0)
		ingest__wake_drain(g);
}

/* One turn on a connected socket, as mosquitto_loop does it: wait for
 * data, a writable socket when something is queued, or the wake fd; read
 * a burst; write when the socket is writable or a packet was queued from
 * elsewhere; check the keepalive. A libmosquitto error has closed the
 * socket (and called on_disconnect) by the time it returns, which is all
 * the caller needs to know; an interrupted poll is simply the next turn. */
static void ingest__net_turn(struct mqtt_ingest *g, int sock)
{
	struct pollfd p[2] = {
		{ .fd = sock, .events = POLLIN },
		{ .fd = g->wake_fd, .events = POLLIN },
	};
	bool write_now;
	int rc = MOSQ_ERR_SUCCESS;

	if (mosquitto_want_write(g->mosq))
		p[0].events |= POLLOUT;
	if (poll(p, 2, NET_TICK_MS) < 0)
		return;
	write_now = (p[0].revents & POLLOUT) != 0;
	if (p[1].revents & POLLIN) {
		ingest__wake_drain(g);
		write_now = true;
	}
	if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
		rc = ingest__net_read(g);
	if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(g->mosq) >= 0 &&
	    (write_now || mosquitto_want_write(g->mosq)))
		rc = mosquitto_loop_write(g->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(g->mosq) >= 0)
		mosquitto_loop_misc(g->mosq);
}

/* The network thread (NOTES 12): turns while connected, reconnects with a
 * backoff while not, and on stop writes what is queued and exits. */
static void *ingest__net(void *arg)
{
	struct mqtt_ingest *g = arg;
	int backoff = NET_BACKOFF_MS;
	int64_t close_by = 0;

	for (;;) {
		int sock = mosquitto_socket(g->mosq);
		if (atomic_load(&g->net_stop)) {
			if (!close_by)
				close_by = pl_time_now_ms() + NET_CLOSE_MS;
			/* not connected: no DISCONNECT to send, the Will says offline */
			if (sock < 0 || !atomic_load(&g->connected) || pl_time_now_ms() >= close_by)
				break;
		}
		if (atomic_exchange(&g->net_reset, false))
			backoff = NET_BACKOFF_MS;
		if (sock >= 0) {
			ingest__net_turn(g, sock);
			continue;
		}
		ingest__net_wait(g, backoff);
		if (atomic_load(&g->net_stop))
			continue;
		backoff = backoff * 2 > NET_BACKOFF_MAX_MS ? NET_BACKOFF_MAX_MS : backoff * 2;
		mosquitto_reconnect_async(g->mosq); /* a refusal leaves no socket: back off again */
	}
	return NULL;
}

/* ------------------------------------------------------------ the worker */

static void ingest__msg_free(struct ingest_msg *e)
{
	free(e); /* topic and payload live in the same allocation */
}

/* Hands the handled messages of a batch (a list) back as spares, up to
 * SPARE_MAX of at most SPARE_BYTES_MAX each, and frees the rest (NOTES
 * 9j); the caller holds mu, and frees *drop after unlocking. */
static void ingest__spare_locked(struct mqtt_ingest *g, struct ingest_msg *done,
				 struct ingest_msg **drop)
{
	while (done) {
		struct ingest_msg *e = done;
		done = e->next;
		if (g->nspare < SPARE_MAX && e->cap <= SPARE_BYTES_MAX) {
			e->next = g->spare;
			g->spare = e;
			g->nspare++;
		} else {
			e->next = *drop;
			*drop = e;
		}
	}
}

static struct ingest_node *ingest__node(struct mqtt_ingest *g, const struct mqtt_sp_topic *t)
{
	for (size_t i = 0; i < g->nnodes; i++)
		if (!strcmp(g->nodes[i]->group, t->group) && !strcmp(g->nodes[i]->node, t->node))
			return g->nodes[i];
	struct ingest_node *n = pl_calloc(1, sizeof(*n));
	struct mqtt_sp_node_options so = { 0 };
	if (mqtt_sp_node_new(t->group, t->node, &so, &n->sp)) {
		free(n); /* cannot happen: the topic parser checked the ids */
		return NULL;
	}
	pl_strlcpy(n->group, t->group, sizeof(n->group));
	pl_strlcpy(n->node, t->node, sizeof(n->node));
	n->line_checked_ms = INT64_MIN;
	n->series = json_object();
	g->nodes = pl_realloc(g->nodes, (g->nnodes + 1) * sizeof(*g->nodes));
	g->nodes[g->nnodes++] = n;
	return n;
}

/* Looks the node's line up (rate-limited, NOTES 3). */
static bool ingest__node_line(struct mqtt_ingest *g, struct ingest_node *n, int64_t now)
{
	struct store_conn *c = NULL;
	char ent[PL_ID_LEN + 1];

	if (n->has_line)
		return true;
	if (n->line_checked_ms != INT64_MIN && now - n->line_checked_ms < LINE_RECHECK_MS)
		return false;
	n->line_checked_ms = now;
	if (store_conn_get(g->opt.store, &c))
		return false;
	if (line_repo_line_by_node(c, n->group, n->node, n->line_id, ent) == 0)
		n->has_line = true;
	store_conn_put(c);
	return n->has_line;
}

static void ingest__publish(struct mqtt_ingest *g, const char *event, const char *enterprise_id,
			    json_t *data)
{
	char *text = pl_json_dump(data);
	pthread_mutex_lock(&g->pub_mu);
	if (g->publish)
		g->publish(g->pub_ctx, event, enterprise_id, text);
	pthread_mutex_unlock(&g->pub_mu);
	free(text);
}

void mqtt_ingest_set_publisher(struct mqtt_ingest *g, mqtt_ingest_publish_fn fn, void *ctx)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->pub_mu);
	g->publish = fn;
	g->pub_ctx = ctx;
	pthread_mutex_unlock(&g->pub_mu);
}

/* Opens the urgent desk request of a safety alarm that became active
 * (NOTES 8) and remembers it on the alarm, in one transaction. */
static void ingest__safety_request(struct mqtt_ingest *g, struct store_conn *c, json_t *ev)
{
	json_t *req = NULL, *line = NULL;
	struct desk_err err = { .text = "" };
	char title[DESK_TITLE_MAX + 1], desc[600];
	int rc;

	if (!g->opt.desk || !json_is_true(json_object_get(ev, "needs_request")))
		return;
	if ((rc = line_repo_line_get(c, pl_json_str(ev, "line_id"), &line)))
		goto out;
	pl_fmt(title, sizeof(title), "[安全告警 Safety alarm] %.60s: %.80s", pl_json_str(line, "name"),
	       pl_json_str(ev, "name"));
	pl_fmt(desc, sizeof(desc), "产线 %s 的 %s 类告警于 %s 触发 (alarm %s, category %s), 请立即处置。",
	       pl_json_str(line, "name"), pl_json_str(ev, "category"), pl_json_str(ev, "at"),
	       pl_json_str(ev, "alarm_id"), pl_json_str(ev, "category"));
	struct desk_actor a = { .p = NULL, .request_id = NULL, .ip = NULL };
	struct desk_request_new in = {
		.enterprise_id = pl_json_str(ev, "enterprise_id"), .channel = "web",
		.category = "help", .urgency = "critical", .title = title, .description = desc,
	};
	if ((rc = store_begin(c)))
		goto out;
	if ((rc = desk_request_create(g->opt.desk, c, &a, &in, pl_time_now_ms(), &req, &err)) ||
	    (rc = line_live_alarm_set_request(c, pl_json_str(ev, "alarm_id"), pl_json_str(req, "id"))) ||
	    (rc = store_commit(c)))
		goto out;
	json_object_set_new(ev, "desk_request_id", json_string(pl_json_str(req, "id")));
out:
	if (rc) {
		if (store_in_tx(c))
			store_rollback(c);
		ingest__reject(g, IC_LIVE, "desk", *err.text ? err.text : pl_strerror(rc));
	}
	json_decref(req);
	json_decref(line);
}

/* Publishes alarm events, opening desk requests first (NOTES 8). */
static void ingest__events(struct mqtt_ingest *g, struct store_conn *c, json_t *events)
{
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		ingest__safety_request(g, c, ev);
		ingest__publish(g, "alarm", pl_json_str(ev, "enterprise_id"), ev);
	}
}

/* Applies one line's points of a committed flush (NOTES 8); retried once
 * when an operator changed an alarm at the same moment. */
static void ingest__live_line(struct mqtt_ingest *g, struct store_conn *c, const char *line_id,
			      const struct line_live_point *pts, size_t n)
{
	json_t *tile = NULL, *events = NULL;
	int rc = PL_ECONFLICT;

	for (int attempt = 0; attempt < 2 && rc == PL_ECONFLICT; attempt++) {
		if ((rc = store_begin(c)))
			break;
		rc = line_live_apply(c, line_id, pts, n, pl_time_now_ms(), &tile, &events);
		if (rc == 0)
			rc = store_commit(c);
		if (rc) {
			if (store_in_tx(c))
				store_rollback(c);
			json_decref(tile);
			json_decref(events);
			tile = events = NULL;
		}
	}
	if (rc) {
		ingest__reject(g, IC_LIVE, line_id, c ? store_conn_errmsg(c) : pl_strerror(rc));
		return;
	}
	ingest__events(g, c, events);
	ingest__publish(g, "line", pl_json_str(tile, "enterprise_id"), tile);
	json_decref(tile);
	json_decref(events);
}

/* Gathers the points of the last flush of the line of series i (not yet
 * done) into *pts (grown as needed), marking its series done; returns the
 * count. first[j] is where series j's newly committed points begin. */
static size_t ingest__line_points(struct mqtt_ingest *g, const size_t *first, bool *done, size_t i,
				  struct line_live_point **pts, size_t *cap)
{
	const char *line_id = g->series[i]->line_id;
	size_t n = 0;

	for (size_t j = i; j < g->nseries; j++) {
		struct ingest_series *s = g->series[j];
		if (done[j] || strcmp(s->line_id, line_id))
			continue;
		done[j] = true;
		for (size_t k = first[j]; k < s->n && n < LINE_LIVE_POINTS_MAX; k++) {
			if (n == *cap) {
				*cap = *cap ? 2 * *cap : 64;
				*pts = pl_realloc(*pts, *cap * sizeof(**pts));
			}
			(*pts)[n++] = (struct line_live_point){ s->metric, s->pts[k].t, s->pts[k].v };
		}
	}
	return n;
}

/* The points of the last flush, per line, into live state (NOTES 8).
 * first[i] is where series i's newly committed points begin. All touched
 * lines go into ONE transaction (NOTES 9: a commit is an fsync, and one
 * per line per flush was most of the worker's wall time); when any line
 * fails there (an operator changed an alarm at the same moment), it is
 * rolled back and every line is applied on its own, with its retry. */
static void ingest__live(struct mqtt_ingest *g, const size_t *first)
{
	struct store_conn *c = NULL;
	struct line_live_point *pts = NULL;
	size_t cap = 0;
	bool *done = pl_calloc(g->nseries ? g->nseries : 1, sizeof(*done));
	json_t *tiles = json_array(), *evs = json_array();
	int rc;

	if (store_conn_get(g->opt.store, &c))
		goto out;
	if ((rc = store_begin(c)) == 0) {
		int64_t now = pl_time_now_ms();
		for (size_t i = 0; i < g->nseries && rc == 0; i++) {
			json_t *tile = NULL, *events = NULL;
			if (done[i] || g->series[i]->n == first[i])
				continue;
			size_t n = ingest__line_points(g, first, done, i, &pts, &cap);
			rc = line_live_apply(c, g->series[i]->line_id, pts, n, now, &tile, &events);
			if (rc == 0) {
				json_array_append_new(tiles, tile);
				json_array_append_new(evs, events);
			}
		}
		if (rc == 0)
			rc = store_commit(c);
		if (rc && store_in_tx(c))
			store_rollback(c);
	}
	if (rc == 0) {
		size_t k;
		json_t *t;
		json_array_foreach(tiles, k, t) {
			ingest__events(g, c, json_array_get(evs, k));
			ingest__publish(g, "line", pl_json_str(t, "enterprise_id"), t);
		}
		goto out;
	}
	/* the slow path: one transaction per line */
	memset(done, 0, (g->nseries ? g->nseries : 1) * sizeof(*done));
	for (size_t i = 0; i < g->nseries; i++) {
		if (done[i] || g->series[i]->n == first[i])
			continue;
		size_t n = ingest__line_points(g, first, done, i, &pts, &cap);
		ingest__live_line(g, c, g->series[i]->line_id, pts, n);
	}
out:
	json_decref(tiles);
	json_decref(evs);
	free(pts);
	free(done);
	store_conn_put(c);
}

/* The stale-data and shelving timers (NOTES 8), and the tiles of lines
 * whose alarms changed. */
static void ingest__tick(struct mqtt_ingest *g)
{
	struct store_conn *c = NULL;
	json_t *events = NULL, *lines = json_object();
	int rc;

	if (store_conn_get(g->opt.store, &c))
		goto out;
	if ((rc = store_begin(c)) == 0) {
		rc = line_live_tick(c, pl_time_now_ms(), &events);
		if (rc == 0)
			rc = store_commit(c);
		if (rc && store_in_tx(c))
			store_rollback(c);
	}
	if (rc) {
		if (rc != PL_ECONFLICT) /* a concurrent change: the next tick retries */
			ingest__reject(g, IC_LIVE, "tick", store_conn_errmsg(c));
		goto out;
	}
	ingest__events(g, c, events);
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
		json_object_set_new(lines, pl_json_str(ev, "line_id"), json_true());
	const char *line_id;
	json_t *v;
	json_object_foreach(lines, line_id, v) {
		json_t *tile = NULL;
		if (line_live_tile(c, line_id, pl_time_now_ms(), false, &tile) == 0)
			ingest__publish(g, "line", pl_json_str(tile, "enterprise_id"), tile);
		json_decref(tile);
	}
out:
	json_decref(events);
	json_decref(lines);
	store_conn_put(c);
}

static void ingest__enc_reset(struct ingest_series *s)
{
	line_block_enc_release(&s->enc);
	line_block_enc_init(&s->enc);
}

/* Appends a point to s's late list (grown geometrically; the callers
 * bound it: at most 2 x LINE_BLOCK_POINTS_MAX). */
static void ingest__late_push(struct ingest_series *s, int64_t t, double v)
{
	if (s->nlate == s->late_cap) {
		s->late_cap = s->late_cap ? 2 * s->late_cap : 16;
		s->late = pl_realloc(s->late, s->late_cap * sizeof(*s->late));
	}
	s->late[s->nlate++] = (struct line_point){ .t = t, .v = v };
}

/* Rebuilds the rollup buckets of s's dirty span (NOTES 11), after its open
 * block is written; nothing to do when the span is empty. */
static int ingest__rollups_dirty(struct store_conn *c, const struct ingest_series *s)
{
	int rc = 0;

	if (s->dirty_lo > s->dirty_hi)
		return 0;
	if ((rc = line_repo_rollups_rebuild(c, s->id, LINE_ROLLUP_MINUTE_MS, s->dirty_lo,
					    s->dirty_hi)) == 0)
		rc = line_repo_rollups_rebuild(c, s->id, LINE_ROLLUP_HOUR_MS, s->dirty_lo, s->dirty_hi);
	return rc;
}

/* A late point at t changed the committed part of s's open block: its
 * buckets are rebuilt at the next flush (NOTES 11). */
static void ingest__dirty(struct ingest_series *s, int64_t t)
{
	if (t < s->dirty_lo)
		s->dirty_lo = t;
	if (t > s->dirty_hi)
		s->dirty_hi = t;
}

/* Commits every dirty open block and its last value in one transaction
 * (NOTES 2), with the rollups of their points (NOTES 11). On failure
 * nothing is forgotten: the next flush retries. */
static void ingest__flush(struct mqtt_ingest *g)
{
	struct store_conn *c = NULL;
	bool *fresh = NULL;
	size_t *first = NULL;
	int rc;

	if (g->pending == 0)
		return;
	if ((rc = store_conn_get(g->opt.store, &c)))
		goto out;
	if ((rc = store_begin(c)))
		goto out;
	fresh = pl_calloc(g->nseries ? g->nseries : 1, sizeof(*fresh));
	for (size_t i = 0; i < g->nseries; i++) {
		struct ingest_series *s = g->series[i];
		/* the encoder lags pts only after a late point went inside it */
		if (s->n == s->n_flushed && s->enc.count == s->n && s->nlate == 0 &&
		    s->dirty_lo > s->dirty_hi)
			continue;
		if (!s->has_id) {
			int64_t stored = INT64_MIN;
			if ((rc = line_repo_series_ensure(c, s->line_id, s->metric, s->id, &stored)))
				goto out;
			fresh[i] = s->has_id = true;
			/* points the store already holds newer ones than: late,
			 * merged below (NOTES 4) */
			size_t k = 0;
			for (size_t j = 0; j < s->n; j++) {
				if (s->pts[j].t > stored) {
					s->pts[k++] = s->pts[j];
				} else {
					ingest__late_push(s, s->pts[j].t, s->pts[j].v);
					atomic_fetch_add(&g->rejects[IC_LATE], 1);
				}
			}
			if (k < s->n)
				ingest__enc_reset(s);
			s->n = k;
		}
		if (s->n > 0 && (s->n != s->n_flushed || s->enc.count != s->n)) {
			/* NOTES 9: encode only the points since the last flush */
			for (size_t j = s->enc.count; j < s->n; j++)
				if ((rc = line_block_enc_add(&s->enc, s->pts[j].t, s->pts[j].v)))
					goto out;
			if ((rc = line_repo_block_put_enc(c, s->id, &s->enc, &g->blk)))
				goto out;
			/* NOTES 11: the points since the last commit are new to
			 * the rollups */
			if (s->n > s->n_flushed &&
			    (rc = line_repo_rollups_add(c, s->id, s->pts + s->n_flushed,
							s->n - s->n_flushed)))
				goto out;
		}
		if ((rc = ingest__rollups_dirty(c, s)))
			goto out;
		if (s->nlate) {
			rc = line_repo_points_merge(c, s->id, s->late, s->nlate, NULL);
			/* a corrupt stored block (or a time the codec refuses, which
			 * ingest__apply's timestamp check rules out) must not stop
			 * ingest: the flush would fail on it forever */
			if (rc == PL_EPARSE || rc == PL_EINVAL) {
				ingest__reject(g, IC_DB, s->metric, "late points could not be merged"
					       " (a stored block is corrupt); dropped");
				g->pending -= s->nlate;
				s->nlate = 0;
				rc = 0;
			}
			if (rc)
				goto out;
		}
	}
	if ((rc = store_commit(c)))
		goto out;
	atomic_fetch_add(&g->points, g->pending);
	atomic_fetch_add(&g->flushes, 1);
	g->pending = 0;
	store_conn_put(c); /* the live step takes its own connection */
	c = NULL;
	first = pl_calloc(g->nseries ? g->nseries : 1, sizeof(*first));
	for (size_t i = 0; i < g->nseries; i++)
		first[i] = g->series[i]->n_flushed;
	ingest__live(g, first);
	for (size_t i = 0; i < g->nseries; i++) {
		struct ingest_series *s = g->series[i];
		s->n_flushed = s->n;
		s->nlate = 0; /* merged and committed */
		s->dirty_lo = INT64_MAX; /* rebuilt and committed (NOTES 11) */
		s->dirty_hi = INT64_MIN;
		if (s->n >= SEAL_POINTS) { /* sealed: the next point opens a new block */
			s->n = s->n_flushed = 0;
			ingest__enc_reset(s);
		}
	}
out:
	if (rc) {
		for (size_t i = 0; fresh && i < g->nseries; i++)
			if (fresh[i])
				g->series[i]->has_id = false; /* its row was rolled back */
		/* encoders may hold rolled-back or late-filtered points: the
		 * next flush encodes those blocks again from pts (NOTES 9) */
		for (size_t i = 0; i < g->nseries; i++)
			if (g->series[i]->enc.count != g->series[i]->n_flushed)
				ingest__enc_reset(g->series[i]);
		ingest__reject(g, IC_DB, "flush", c ? store_conn_errmsg(c) : pl_strerror(rc));
	}
	free(fresh);
	free(first);
	store_conn_put(c); /* rolls back what is still open */
}

/* Room for one more point in the open block (below LINE_BLOCK_POINTS_MAX). */
static void ingest__pts_room(struct ingest_series *s)
{
	if (s->n == s->cap) { /* NOTES 9h: a page first, then geometric growth */
		s->cap = s->cap ? 2 * s->cap : FIRST_POINTS;
		if (s->cap > LINE_BLOCK_POINTS_MAX)
			s->cap = LINE_BLOCK_POINTS_MAX;
		s->pts = pl_realloc(s->pts, s->cap * sizeof(*s->pts));
	}
}

/* A late point (NOTES 4): into the open block when it is not older than
 * the block's first point, else onto the late list for the next flush's
 * merge. Either list full: flush first (a failed flush drops the point,
 * counted db_error). Counted "late", and pending like any point. */
static void ingest__late(struct mqtt_ingest *g, struct ingest_series *s, const char *topic,
			 int64_t t, double v)
{
	if (s->n > 0 && t >= s->pts[0].t) {
		/* the first point not before t; it exists, as t <= last_t =
		 * pts[n-1].t. Scanned from the end: a late point is mostly a
		 * little late, and the block holds at most 4096 points */
		size_t lo = s->n;
		while (lo > 0 && s->pts[lo - 1].t >= t)
			lo--;
		if (s->pts[lo].t == t) {
			s->pts[lo].v = v; /* last write wins */
			if (lo < s->n_flushed)
				ingest__dirty(s, t); /* a committed point changed */
		} else {
			if (s->n == LINE_BLOCK_POINTS_MAX) {
				ingest__flush(g); /* commits; a full block is then sealed */
				if (s->n == LINE_BLOCK_POINTS_MAX) {
					ingest__reject(g, IC_DB, topic, "block full and the flush failed;"
						       " point dropped");
					return;
				}
				ingest__late(g, s, topic, t, v); /* the block moved on: decide again */
				return;
			}
			ingest__pts_room(s);
			memmove(&s->pts[lo + 1], &s->pts[lo], (s->n - lo) * sizeof(*s->pts));
			s->pts[lo] = (struct line_point){ .t = t, .v = v };
			s->n++;
			if (lo < s->n_flushed) {
				s->n_flushed++; /* not replayed into live state (NOTES 4) */
				ingest__dirty(s, t); /* nor added: rebuilt (NOTES 11) */
			}
		}
		if (lo < s->enc.count)
			ingest__enc_reset(s); /* the next flush re-encodes from pts */
	} else {
		if (s->nlate >= LINE_BLOCK_POINTS_MAX) {
			ingest__flush(g);
			if (s->nlate >= LINE_BLOCK_POINTS_MAX) {
				ingest__reject(g, IC_DB, topic, "late points waiting and the flush failed;"
					       " point dropped");
				return;
			}
		}
		ingest__late_push(s, t, v);
	}
	g->pending++;
	atomic_fetch_add(&g->rejects[IC_LATE], 1);
}

/* The series of metric key `metric` of node n, created on first sight;
 * NULL (counted) when the name is too long. */
static struct ingest_series *ingest__series(struct mqtt_ingest *g, struct ingest_node *n,
					    const char *topic, const char *metric)
{
	json_t *ix = json_object_get(n->series, metric);
	struct ingest_series *s;

	if (ix)
		return g->series[json_integer_value(ix)];
	if (strlen(metric) > LINE_METRIC_MAX) {
		ingest__reject(g, IC_BAD_VALUE, topic, "metric name too long");
		return NULL;
	}
	s = pl_calloc(1, sizeof(*s));
	s->metric = pl_strdup(metric);
	pl_strlcpy(s->line_id, n->line_id, sizeof(s->line_id));
	s->last_t = INT64_MIN;
	s->dirty_lo = INT64_MAX; /* none (NOTES 11) */
	s->dirty_hi = INT64_MIN;
	line_block_enc_init(&s->enc);
	g->series = pl_realloc(g->series, (g->nseries + 1) * sizeof(*g->series));
	json_object_set_new(n->series, metric, json_integer((json_int_t)g->nseries));
	g->series[g->nseries++] = s;
	return s;
}

static void ingest__late(struct mqtt_ingest *g, struct ingest_series *s, const char *topic,
			 int64_t t, double v);

static void ingest__point(struct mqtt_ingest *g, struct ingest_series *s, const char *topic,
			  int64_t t, double v)
{
	if (t <= s->last_t) {
		ingest__late(g, s, topic, t, v);
		return;
	}
	if (s->n == LINE_BLOCK_POINTS_MAX) {
		ingest__flush(g);
		if (s->n == LINE_BLOCK_POINTS_MAX) {
			ingest__reject(g, IC_DB, topic, "block full and the flush failed; point dropped");
			return;
		}
	}
	ingest__pts_room(s);
	s->pts[s->n++] = (struct line_point){ .t = t, .v = v };
	s->last_t = t;
	g->pending++;
	/* NOTES 9i: the line this series writes after the current one, long
	 * out of every cache (the array is reused block after block) */
	if (s->n + PREFETCH_POINTS < s->cap)
		__builtin_prefetch(&s->pts[s->n + PREFETCH_POINTS], 1);
}

static void ingest__rebirth(struct mqtt_ingest *g, const struct mqtt_sp_topic *t)
{
	struct mqtt_sp_topic ct = *t;
	char topic[MQTT_SP_TOPIC_MAX + 1];
	struct pl_buf b;

	ct.type = MQTT_SP_NCMD;
	ct.device[0] = '\0';
	pl_buf_init(&b, 4096);
	if (mqtt_sp_topic_format(&ct, topic, sizeof(topic)) == 0 &&
	    mqtt_sp_rebirth_encode(pl_time_now_ms(), &b) == 0 &&
	    mosquitto_publish(g->mosq, NULL, topic, (int)b.len, b.data, 0, false) == MOSQ_ERR_SUCCESS) {
		atomic_fetch_add(&g->rebirths, 1);
		ingest__wake(g);
	}
	pl_buf_release(&b);
}

/* The series of binding b of node n: from the by_index cache (NOTES 9b),
 * else found or created by key and cached. NULL when b is not a series
 * (the session's control metrics, a datatype that is no number, a key
 * too long); that, too, is cached. */
static struct ingest_series *ingest__binding_series(struct mqtt_ingest *g, struct ingest_node *n,
						    const struct mqtt_sp_binding *b,
						    const struct mqtt_sp_value *val, const char *topic)
{
	char key[LINE_METRIC_MAX + 2];
	struct ingest_series *s = NULL;
	double d;

	if (b->index < n->n_by_index && n->by_index[b->index] != SERIES_UNKNOWN)
		return n->by_index[b->index] >= 0 ? g->series[n->by_index[b->index]] : NULL;
	if (b->index >= n->n_by_index) {
		size_t k = n->n_by_index;
		n->n_by_index = (size_t)b->index + 1;
		n->by_index = pl_realloc(n->by_index, n->n_by_index * sizeof(*n->by_index));
		while (k < n->n_by_index)
			n->by_index[k++] = SERIES_UNKNOWN;
	}
	/* the session's own control metrics are not production data; nor
	 * strings, bytes, arrays (the kind follows from the datatype, so one
	 * value decides for the binding) */
	if (!strncmp(b->name, "Node Control/", 13) || !strcmp(b->name, "bdSeq") ||
	    mqtt_sp_value_to_double(val, &d))
		goto none;
	if (*b->device)
		pl_fmt(key, sizeof(key), "%s/", b->device); /* <= MQTT_SP_ID_MAX + 1 bytes */
	else
		key[0] = '\0';
	if (strlen(key) + strlen(b->name) > LINE_METRIC_MAX) {
		ingest__reject(g, IC_BAD_VALUE, topic, "metric name too long");
		goto none;
	}
	pl_strlcpy(key + strlen(key), b->name, sizeof(key) - strlen(key));
	if (!(s = ingest__series(g, n, topic, key)))
		goto none;
	n->by_index[b->index] = (int32_t)json_integer_value(json_object_get(n->series, key));
	return s;
none:
	n->by_index[b->index] = SERIES_NONE;
	return NULL;
}

/* Appends the numeric metrics of an applied message as points. DATA
 * comes with the session check's bindings and values (NOTES 9g); births
 * are resolved here. */
static void ingest__apply(struct mqtt_ingest *g, struct ingest_node *n, const struct mqtt_sp_topic *t,
			  const struct mqtt_sp_payload *p, const struct mqtt_sp_verdict *v,
			  const char *topic, int64_t now)
{
	if (n->by_index_gen != mqtt_sp_node_generation(n->sp)) { /* a birth moved the table */
		for (size_t k = 0; k < n->n_by_index; k++)
			n->by_index[k] = SERIES_UNKNOWN;
		n->by_index_gen = mqtt_sp_node_generation(n->sp);
	}
	for (size_t i = 0; i < p->n_metrics; i++) {
		const struct mqtt_sp_metric *m = &p->metrics[i];
		struct mqtt_sp_binding bb;
		struct mqtt_sp_value vv;
		const struct mqtt_sp_binding *b = &bb;
		const struct mqtt_sp_value *val = &vv;
		double d;

		if (v->bindings && i + PREFETCH_AHEAD < p->n_metrics) { /* NOTES 9i */
			uint32_t ix = v->bindings[i + PREFETCH_AHEAD].index;
			if (ix < n->n_by_index && n->by_index[ix] >= 0)
				__builtin_prefetch(g->series[n->by_index[ix]], 1);
		}
		if (m->is_null)
			continue;
		if (v->bindings) {
			b = &v->bindings[i];
			val = &v->values[i];
		} else if (mqtt_sp_node_resolve(n->sp, t->device, m, &bb) ||
			   mqtt_sp_value_from_raw(bb.datatype, &m->raw, &vv)) {
			continue;
		}
		if (val->kind == MQTT_SP_V_NULL)
			continue; /* never let a null decide the binding's cache entry */
		struct ingest_series *s = ingest__binding_series(g, n, b, val, topic);
		if (!s || mqtt_sp_value_to_double(val, &d))
			continue;
		int64_t ts = m->has_timestamp ? (int64_t)m->timestamp
			     : p->has_timestamp ? (int64_t)p->timestamp : now;
		if ((m->has_timestamp && m->timestamp > (uint64_t)LINE_TIME_ABS_MAX) ||
		    (!m->has_timestamp && p->has_timestamp && p->timestamp > (uint64_t)LINE_TIME_ABS_MAX)) {
			ingest__reject(g, IC_BAD_VALUE, topic, "timestamp out of range");
			continue;
		}
		ingest__point(g, s, topic, ts, d);
	}
}

static void ingest__handle(struct mqtt_ingest *g, const struct ingest_msg *e)
{
	struct mqtt_sp_topic t;
	struct mqtt_sp_payload *p = NULL;
	struct mqtt_sp_verdict v;
	struct mqtt_sp_error err = { .text = "" };
	struct ingest_node *n;
	int64_t now = pl_time_now_ms();
	bool json = e->tlen > strlen(JSON_PREFIX) &&
		    !strncmp(e->topic, JSON_PREFIX, strlen(JSON_PREFIX));
	char sp_topic[MQTT_SP_TOPIC_MAX + 1];
	const char *tp = e->topic; /* the Sparkplug topic to parse */
	size_t tl = e->tlen;

	if (json) { /* NOTES 7: map to the Sparkplug topic it stands for */
		size_t rest = e->tlen - strlen(JSON_PREFIX);
		if (rest + sizeof(MQTT_SP_NAMESPACE) >= sizeof(sp_topic)) {
			ingest__reject(g, IC_TOPIC, e->topic, "topic too long");
			return;
		}
		pl_fmt(sp_topic, sizeof(sp_topic), "%s/%s", MQTT_SP_NAMESPACE,
		       e->topic + strlen(JSON_PREFIX));
		tp = sp_topic;
		tl = strlen(sp_topic);
	}
	if (mqtt_sp_topic_parse(tp, tl, &t)) {
		ingest__reject(g, IC_TOPIC, e->topic, "not a Sparkplug B topic");
		return;
	}
	/* commands (ours included: we subscribe to spBv1.0/#) and host STATE
	 * are not edge data */
	if (t.type == MQTT_SP_STATE || t.type == MQTT_SP_NCMD || t.type == MQTT_SP_DCMD) {
		atomic_fetch_add(&g->rejects[MQTT_SP_C_COMMAND], 1);
		return;
	}
	if (!(n = ingest__node(g, &t)))
		return;
	if (!ingest__node_line(g, n, now)) {
		ingest__reject(g, IC_UNKNOWN_LINE, e->topic, "no line is fed by this edge node");
		return;
	}
	if ((json ? mqtt_sp_from_json(e->payload, e->plen, &p, &err)
		  : mqtt_sp_decode(e->payload, e->plen, &p, &err))) {
		ingest__reject(g, IC_DECODE, e->topic, err.text);
		p = NULL; /* the session sees a bad message: rebirth */
	}
	mqtt_sp_node_feed(n->sp, &t, p, now, &v);
	if (v.cause != MQTT_SP_C_OK)
		ingest__reject(g, v.cause, e->topic, v.detail);
	if (v.rebirth)
		ingest__rebirth(g, &t);
	if (v.apply && p)
		ingest__apply(g, n, &t, p, &v, e->topic, now);
	if (v.stale != MQTT_SP_STALE_NONE) {
		struct store_conn *c = NULL;
		/* pending points would clear the mark again: commit them first */
		ingest__flush(g);
		if (store_conn_get(g->opt.store, &c) == 0) {
			json_t *tile = NULL;
			if (line_repo_mark_stale(c, n->line_id,
						 v.stale == MQTT_SP_STALE_DEVICE ? t.device : "", NULL))
				ingest__reject(g, IC_DB, e->topic, store_conn_errmsg(c));
			else if (line_live_tile(c, n->line_id, now, false, &tile) == 0)
				ingest__publish(g, "line", pl_json_str(tile, "enterprise_id"), tile);
			json_decref(tile);
			store_conn_put(c);
		}
	}
	mqtt_sp_payload_free(p);
}

static void *ingest__worker(void *arg)
{
	struct mqtt_ingest *g = arg;
	int64_t next_flush = pl_time_now_ms() + g->opt.flush_ms;
	int64_t next_tick = pl_time_now_ms() + g->opt.tick_ms;
	int64_t last_flush = pl_time_now_ms();

	for (;;) {
		struct ingest_msg *batch;
		bool stopping, idle;

		pthread_mutex_lock(&g->mu);
		while (!g->head && !g->stop) {
			int64_t due = next_flush;
			if (g->pending > 0 && g->pending < IDLE_FLUSH_POINTS && last_flush + IDLE_FLUSH_MS < due)
				due = last_flush + IDLE_FLUSH_MS;
			int64_t wait = due - pl_time_now_ms();
			if (wait <= 0)
				break;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&g->cv, &g->mu, &ts) == ETIMEDOUT)
				break;
		}
		batch = g->head;
		g->head = g->tail = NULL;
		g->queued = 0;
		stopping = g->stop;
		pthread_cond_broadcast(&g->ack_cv); /* room again for waiting QoS 1 callbacks */
		pthread_mutex_unlock(&g->mu);

		struct ingest_msg *done = NULL, *drop = NULL;
		while (batch) {
			struct ingest_msg *e = batch;
			batch = e->next;
			ingest__handle(g, e);
			if (e->ticket)
				g->handled = e->ticket;
			e->next = done;
			done = e;
		}
		pthread_mutex_lock(&g->mu);
		ingest__spare_locked(g, done, &drop);
		idle = !g->head;
		bool ack_due = g->handled > g->acked; /* NOTES 10: a callback is waiting */
		pthread_mutex_unlock(&g->mu);
		while (drop) {
			struct ingest_msg *e = drop;
			drop = e->next;
			ingest__msg_free(e);
		}
		int64_t now = pl_time_now_ms();
		if (stopping || ack_due || g->pending >= FLUSH_POINTS || now >= next_flush ||
		    (idle && g->pending > 0 && g->pending < IDLE_FLUSH_POINTS &&
		     now - last_flush >= IDLE_FLUSH_MS)) {
			ingest__flush(g);
			last_flush = pl_time_now_ms();
			next_flush = last_flush + g->opt.flush_ms;
		}
		if (ack_due && g->pending == 0) { /* all handled is committed */
			pthread_mutex_lock(&g->mu);
			g->acked = g->handled;
			pthread_cond_broadcast(&g->ack_cv);
			pthread_mutex_unlock(&g->mu);
		}
		if (!stopping && pl_time_now_ms() >= next_tick) {
			ingest__tick(g);
			next_tick = pl_time_now_ms() + g->opt.tick_ms;
		}
		if (stopping)
			return NULL;
	}
}

/* ------------------------------------------------------------ life cycle */

static void ingest__free(struct mqtt_ingest *g)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		mqtt_sp_node_free(g->nodes[i]->sp);
		json_decref(g->nodes[i]->series);
		free(g->nodes[i]->by_index);
		free(g->nodes[i]);
	}
	for (size_t i = 0; i < g->nseries; i++) {
		free(g->series[i]->metric);
		free(g->series[i]->pts);
		free(g->series[i]->late);
		line_block_enc_release(&g->series[i]->enc);
		free(g->series[i]);
	}
	while (g->head) {
		struct ingest_msg *e = g->head;
		g->head = e->next;
		ingest__msg_free(e);
	}
	while (g->spare) {
		struct ingest_msg *e = g->spare;
		g->spare = e->next;
		ingest__msg_free(e);
	}
	free(g->nodes);
	free(g->series);
	pl_buf_release(&g->blk);
	if (g->mosq)
		mosquitto_destroy(g->mosq);
	if (g->wake_fd >= 0)
		close(g->wake_fd);
	pthread_cond_destroy(&g->cv);
	pthread_cond_destroy(&g->ack_cv);
	pthread_mutex_destroy(&g->mu);
	pthread_mutex_destroy(&g->pub_mu);
	free(g);
}

int mqtt_ingest_start(const struct mqtt_ingest_options *opt, struct mqtt_ingest **out)
{
	struct mqtt_ingest *g = pl_calloc(1, sizeof(*g));
	struct mqtt_sp_topic st = { .type = MQTT_SP_STATE };
	char will[64], client_id[MQTT_SP_ID_MAX + 16];
	int rc = PL_EINVAL;

	*out = NULL;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	pthread_cond_init(&g->ack_cv, NULL);
	pthread_mutex_init(&g->pub_mu, NULL);
	g->wake_fd = -1;
	g->opt = *opt;
	pl_buf_init(&g->blk, LINE_BLOCK_BYTES_MAX);
	if (g->opt.tick_ms <= 0)
		g->opt.tick_ms = 1000;
	if (g->opt.flush_ms <= 0)
		g->opt.flush_ms = 250;
	if (g->opt.queue_max == 0)
		g->opt.queue_max = 65536;
	if (mqtt_ingest_url_parse(opt->url, g->host, sizeof(g->host), &g->port))
		goto fail;
	pl_strlcpy(st.node, opt->host_id ? opt->host_id : "parkline", sizeof(st.node));
	if (mqtt_sp_topic_format(&st, g->state_topic, sizeof(g->state_topic)))
		goto fail; /* the host id breaks the topic id rules */
	pl_strlcpy(g->host_id, st.node, sizeof(g->host_id));
	g->birth_ms = pl_time_now_ms();

	rc = PL_EIO;
	mosquitto_lib_init(); /* idempotent; the matching cleanup is left to exit */
	pl_fmt(client_id, sizeof(client_id), "parkline-%s", g->host_id);
	/* a persistent session: the broker keeps QoS 1 messages while we are away */
	g->mosq = mosquitto_new(client_id, false, g);
	if (!g->mosq)
		goto fail;
	if (opt->username && *opt->username &&
	    mosquitto_username_pw_set(g->mosq, opt->username, opt->password) != MOSQ_ERR_SUCCESS)
		goto fail;
	mosquitto_connect_callback_set(g->mosq, ingest__on_connect);
	mosquitto_disconnect_callback_set(g->mosq, ingest__on_disconnect);
	mosquitto_message_callback_set(g->mosq, ingest__on_message);
	mosquitto_reconnect_delay_set(g->mosq, 1, 10, true);
	/* Sparkplug 3.0 host Will: STATE offline with the birth's timestamp */
	mqtt_sp_state_format(false, g->birth_ms, will, sizeof(will));
	if (mosquitto_will_set(g->mosq, g->state_topic, (int)strlen(will), will, 1, true))
		goto fail;
	/* packets are written by our network thread only (NOTES 12) */
	if (mosquitto_threaded_set(g->mosq, true) != MOSQ_ERR_SUCCESS)
		goto fail;
	g->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g->wake_fd < 0)
		goto fail;
	if (pthread_create(&g->worker, NULL, ingest__worker, g))
		goto fail;
	g->worker_started = true;
	/* a broker that is not up yet is fine: the loop keeps reconnecting */
	int crc = mosquitto_connect_async(g->mosq, g->host, g->port, 30);
	if (crc != MOSQ_ERR_SUCCESS && crc != MOSQ_ERR_ERRNO)
		pl_warn(opt->log, "mqtt", "connecting to %s:%d: %s", g->host, g->port,
			mosquitto_strerror(crc));
	if (pthread_create(&g->net, NULL, ingest__net, g))
		goto fail;
	g->net_started = true;
	pthread_setname_np(g->net, "mqtt net"); /* for top -H and bench/line/run.sh */
	*out = g;
	return 0;
fail:
	if (rc == PL_EIO)
		pl_error(opt->log, "mqtt", "cannot start the MQTT ingest (%s)", opt->url);
	mqtt_ingest_stop(g);
	return rc;
}

void mqtt_ingest_stop(struct mqtt_ingest *g)
{
	char state[64];

	if (!g)
		return;
	if (g->net_started) {
		/* a QoS 1 callback waiting for a commit that cannot come now
		 * gives up without acknowledging (NOTES 10) */
		pthread_mutex_lock(&g->mu);
		g->closing = true;
		pthread_cond_broadcast(&g->ack_cv);
		pthread_mutex_unlock(&g->mu);
		if (atomic_load(&g->connected)) {
			mqtt_sp_state_format(false, g->birth_ms, state, sizeof(state));
			mosquitto_publish(g->mosq, NULL, g->state_topic, (int)strlen(state), state, 1, true);
		}
		mosquitto_disconnect(g->mosq);
		atomic_store(&g->net_stop, true);
		ingest__wake(g);
		pthread_join(g->net, NULL);
	}
	if (g->worker_started) {
		pthread_mutex_lock(&g->mu);
		g->stop = true;
		pthread_cond_signal(&g->cv);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->worker, NULL); /* drains the queue and flushes */
	}
	ingest__free(g);
}

int mqtt_ingest_metrics_render(struct mqtt_ingest *g, struct pl_buf *b)
{
	int rc = 0;

	rc |= pl_buf_printf(b, "# HELP parkline_line_ingest_messages_total MQTT messages received\n"
			       "# TYPE parkline_line_ingest_messages_total counter\n"
			       "parkline_line_ingest_messages_total %llu\n",
			    (unsigned long long)atomic_load(&g->messages));
	rc |= pl_buf_printf(b, "# HELP parkline_line_ingest_points_total points committed to the store\n"
			       "# TYPE parkline_line_ingest_points_total counter\n"
			       "parkline_line_ingest_points_total %llu\n",
			    (unsigned long long)atomic_load(&g->points));
	rc |= pl_buf_printf(b, "# HELP parkline_line_ingest_flushes_total committed flush transactions\n"
			       "# TYPE parkline_line_ingest_flushes_total counter\n"
			       "parkline_line_ingest_flushes_total %llu\n",
			    (unsigned long long)atomic_load(&g->flushes));
	rc |= pl_buf_printf(b, "# HELP parkline_line_ingest_rebirths_total Rebirth NCMDs sent\n"
			       "# TYPE parkline_line_ingest_rebirths_total counter\n"
			       "parkline_line_ingest_rebirths_total %llu\n",
			    (unsigned long long)atomic_load(&g->rebirths));
	rc |= pl_buf_printf(b, "# HELP parkline_line_ingest_connected 1 while connected to the broker\n"
			       "# TYPE parkline_line_ingest_connected gauge\n"
			       "parkline_line_ingest_connected %d\n", atomic_load(&g->connected) ? 1 : 0);
	rc |= pl_buf_puts(b, "# HELP parkline_line_ingest_rejects_total messages or points not applied, by cause\n"
			     "# TYPE parkline_line_ingest_rejects_total counter\n");
	for (int i = 1; i < IC_COUNT; i++)
		rc |= pl_buf_printf(b, "parkline_line_ingest_rejects_total{cause=\"%s\"} %llu\n",
				    i < MQTT_SP_C_COUNT ? mqtt_sp_cause_name((enum mqtt_sp_cause)i)
							: ic_names[i],
				    (unsigned long long)atomic_load(&g->rejects[i]));
	return rc ? PL_ETOOBIG : 0;
}
