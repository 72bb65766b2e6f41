/*
 * relay.c - live events across `parkline serve` processes on one
 * PostgreSQL (scale-out, docs/scaling.md): what http__sse_publish hands to
 * the SSE streams of this process is also sent with pg_notify on the
 * channel "parkline_live", and a listener thread in every process delivers
 * what the other processes sent to its own streams. So a line tile
 * published by the process that ingests reaches a browser connected to
 * any process behind the load balancer, once.
 *
 * NOTES ON THE DESIGN
 * 1. Exactly once per process. The publishing process delivers to its own
 *    streams at once (http__sse_deliver, no round trip) and tags the
 *    notification with its origin, a random id made at start; listeners
 *    drop notifications carrying their own origin. Every other process
 *    delivers each notification once: PostgreSQL delivers a NOTIFY once
 *    per listening session, in commit order.
 * 2. The listener owns one dedicated libpq session outside the pool
 *    (LISTEN binds to a session, pooled connections are lent to anyone).
 *    It waits in poll() on the session's socket and on a pipe that
 *    http__relay_stop writes to, so it never spins and stops at once.
 *    A lost session is reopened every RELAY_RETRY_MS; events sent while
 *    it was away are lost - a live feed tolerates that (the next tile
 *    carries the full state; the audit feed is polled from the table).
 * 3. Sending uses a pooled connection (the caller's, if it has one) and
 *    `SELECT pg_notify(...)`: one round trip per event, on the ingest
 *    worker's thread, never while the hub's lock is held. A caller's
 *    connection that is inside a transaction is not used (a failing
 *    pg_notify would abort the caller's transaction); a pooled one is
 *    taken instead, so the event goes out at once.
 * 4. Limits: PostgreSQL caps a payload at 8000 bytes; an event whose
 *    envelope is larger (RELAY_PAYLOAD_MAX) is delivered locally only and
 *    counted as dropped. The server's notification queue (8 GB by
 *    default) absorbs a listener that falls behind; ours drains it as
 *    fast as the streams' queues take events (sse.c NOTES 2).
 * 5. On SQLite there is one process, so no relay is started.
 */
#include "http/http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <libpq-fe.h>

#define RELAY_CHANNEL "parkline_live"
#define RELAY_PAYLOAD_MAX 7900  /* PostgreSQL refuses 8000 bytes and more */
#define RELAY_RETRY_MS 1000     /* reconnect interval after a lost session */

struct http_relay {
	struct http_sse_hub *hub;   /* borrowed: the hub that owns us */
	struct store *store;        /* borrowed */
	struct pl_log *log;         /* borrowed, may be NULL */
	const char *conninfo;       /* borrowed from the store */
	char origin[PL_ID_LEN + 1]; /* this process's tag (design note 1) */
	int wake[2];                /* pipe: [1] written by stop, [0] polled */
	pthread_t thr;
	bool started;               /* thr runs and must be joined */
	atomic_bool stop;
	_Atomic uint64_t sent, received, dropped;
};

/* Waits up to ms for the stop pipe; true when stop was asked. */
static bool relay__wait_stop(struct http_relay *r, int ms)
{
	struct pollfd p = { .fd = r->wake[0], .events = POLLIN };
	if (poll(&p, 1, ms) < 0 && errno != EINTR)
		return atomic_load(&r->stop);
	return atomic_load(&r->stop);
}

/* Delivers one notification payload unless it is ours (design note 1). */
static void relay__deliver(struct http_relay *r, struct store_conn *c, const char *payload)
{
	json_t *j = json_loads(payload, 0, NULL);
	const char *o = pl_json_str(j, "o"), *ev = pl_json_str(j, "e"), *d = pl_json_str(j, "d");

	if (!o || !ev || !d || !strcmp(o, r->origin))
		goto out;
	atomic_fetch_add(&r->received, 1);
	http__sse_deliver(r->hub, c, ev, pl_json_str(j, "i"), pl_json_str(j, "n"), d);
out:
	json_decref(j);
}

/* Opens the listening session; NULL (logged) when that fails. */
static PGconn *relay__connect(struct http_relay *r)
{
	/* later keywords override the url's: bounded connect, and a dead link
	 * noticed by keepalives while the session only waits */
	static const char *const keys[] = { "dbname", "connect_timeout", "keepalives_idle",
					    "keepalives_interval", "keepalives_count", NULL };
	const char *vals[] = { r->conninfo, "5", "10", "5", "3", NULL };
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	PGresult *res = NULL;

	if (!pg || PQstatus(pg) != CONNECTION_OK)
		goto fail;
	res = PQexec(pg, "LISTEN " RELAY_CHANNEL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto fail;
	PQclear(res);
	return pg;
fail:
	pl_warn(r->log, "relay", "cannot listen on postgresql: %s",
		pg ? PQerrorMessage(pg) : "out of memory");
	PQclear(res);
	PQfinish(pg);
	return NULL;
}

static void *relay__thread(void *arg)
{
	struct http_relay *r = arg;
	PGconn *pg = NULL;

	while (!atomic_load(&r->stop)) {
		if (!pg) {
			pg = relay__connect(r);
			if (!pg) {
				relay__wait_stop(r, RELAY_RETRY_MS);
				continue;
			}
			pl_debug(r->log, "relay", "listening on %s", RELAY_CHANNEL);
		}
		struct pollfd p[2] = {
			{ .fd = PQsocket(pg), .events = POLLIN },
			{ .fd = r->wake[0], .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!PQconsumeInput(pg)) { /* design note 2: reopen */
			pl_warn(r->log, "relay", "lost the postgresql session: %s", PQerrorMessage(pg));
			PQfinish(pg);
			pg = NULL;
			continue;
		}
		PGnotify *n = PQnotifies(pg);
		if (!n)
			continue;
		/* one pooled connection for the batch: specialists' lookups */
		struct store_conn *c = NULL;
		if (store_conn_get(r->store, &c))
			c = NULL;
		for (; n; n = PQnotifies(pg)) {
			relay__deliver(r, c, n->extra);
			PQfreemem(n);
		}
		store_conn_put(c);
	}
	PQfinish(pg);
	return NULL;
}

int http__relay_new(struct http_sse_hub *h, struct store *st, struct pl_log *log,
		    struct http_relay **out)
{
	struct http_relay *r = NULL;
	int rc = 0;

	*out = NULL;
	if (!store_pg_conninfo(st))
		return 0; /* design note 5 */
	r = pl_calloc(1, sizeof(*r));
	r->hub = h;
	r->store = st;
	r->log = log;
	r->conninfo = store_pg_conninfo(st);
	r->wake[0] = r->wake[1] = -1;
	pl_id_new(r->origin);
	if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK)) {
		rc = PL_EIO;
		goto out;
	}
	if (pthread_create(&r->thr, NULL, relay__thread, r)) {
		rc = PL_EIO;
		goto out;
	}
	r->started = true;
	*out = r;
	r = NULL;
out:
	if (r) {
		if (r->wake[0] >= 0)
			close(r->wake[0]);
		if (r->wake[1] >= 0)
			close(r->wake[1]);
		free(r);
	}
	return rc;
}

void http__relay_send(struct http_relay *r, struct store_conn *conn, const char *event,
		      const char *id, const char *enterprise_id, const char *data)
{
	struct store_conn *own = NULL;
	json_t *env = NULL;
	char *text = NULL;

	if (!r || atomic_load(&r->stop))
		return;
	env = json_pack("{s:s, s:s, s:s?, s:s?, s:s}", "o", r->origin, "e", event, "i", id,
			"n", enterprise_id, "d", data);
	text = env ? json_dumps(env, JSON_COMPACT) : NULL;
	if (!text || strlen(text) > RELAY_PAYLOAD_MAX) { /* design note 4 */
		atomic_fetch_add(&r->dropped, 1);
		goto out;
	}
	/* never inside the caller's transaction: a failed pg_notify would
	 * abort it (design note 3) */
	if (!conn || store_in_tx(conn)) {
		conn = NULL;
		if (store_conn_get(r->store, &own))
			goto fail;
		conn = own;
	}
	struct store_param p[] = { SP_TEXT(text) };
	if (store_exec(conn, "SELECT pg_notify('" RELAY_CHANNEL "', ?)", p, STORE_NP(p), NULL))
		goto fail;
	atomic_fetch_add(&r->sent, 1);
	goto out;
fail:
	atomic_fetch_add(&r->dropped, 1);
	pl_debug(r->log, "relay", "pg_notify failed: %s", conn ? store_conn_errmsg(conn) : "no connection");
out:
	store_conn_put(own);
	free(text);
	json_decref(env);
}

void http__relay_stop(struct http_relay *r)
{
	if (!r || atomic_exchange(&r->stop, true))
		return;
	ssize_t w = write(r->wake[1], "x", 1);
	(void)w; /* a full pipe already wakes the thread */
	if (r->started)
		pthread_join(r->thr, NULL);
	pl_info(r->log, "relay", "stopped: %llu sent, %llu received, %llu dropped",
		(unsigned long long)atomic_load(&r->sent),
		(unsigned long long)atomic_load(&r->received),
		(unsigned long long)atomic_load(&r->dropped));
}

void http__relay_free(struct http_relay *r)
{
	if (!r)
		return;
	http__relay_stop(r);
	close(r->wake[0]);
	close(r->wake[1]);
	free(r);
}
