/*
 * leader.c - leader election for the Sparkplug ingest (leader.h): of the
 * `parkline serve` processes on one PostgreSQL, the one holding an
 * advisory lock ingests; the others retry every LEADER_RETRY_MS.
 *
 * NOTES ON THE DESIGN
 * 1. The lock is session-level (pg_try_advisory_lock) on a dedicated
 *    libpq session that is never lent to anyone, so it is held exactly as
 *    long as that session lives. When the leader dies (kill -9, crash,
 *    power) the kernel closes its socket, PostgreSQL ends the session and
 *    frees the lock, and a standby wins within LEADER_RETRY_MS. A leader
 *    cut off from PostgreSQL by the network checks its session every
 *    LEADER_RETRY_MS; with tcp_user_timeout the check fails within about
 *    5 s and the ingest stops. The server keeps the lock until it notices
 *    the session is dead (its tcp_keepalives_* settings), so a partition
 *    gives a gap in ingest, not two ingesting processes.
 * 2. Taking over needs no state handed over: the new leader's ingest
 *    connects with the same MQTT client id (a persistent session, so the
 *    broker kept the QoS 1 messages queued while nobody was connected),
 *    sees NDATA of edge nodes it has no birth for, and the session rules
 *    (mqtt.h) answer with a Rebirth NCMD; the NBIRTH that follows makes
 *    its seq/alias state fresh. Points already committed are skipped as
 *    late (client.c NOTES 4), so a message seen by both leaders is stored
 *    once.
 * 3. Starting and stopping the ingest happen on the election thread,
 *    outside l->mu; l->mu guards only the pointer to the running ingest
 *    and the publisher, and is held while /metrics renders the ingest's
 *    counters, so the ingest is never freed under a reader.
 * 4. On SQLite there is one process: the ingest starts in
 *    mqtt_leader_start and no thread runs.
 */
#include "mqtt/leader.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>

#define LEADER_RETRY_MS 2000
/* The advisory lock key: "pkln_ing" (the migrations use "pkln_mig"). */
#define LEADER_LOCK_KEY "8100687576058916455"

struct mqtt_leader {
	struct mqtt_ingest_options opt; /* strings below are owned copies */
	char *url, *host_id, *username, *password;
	const char *conninfo;           /* borrowed from the store; NULL: SQLite */
	pthread_mutex_t mu;             /* guards ingest, fn, ctx, stop */
	pthread_cond_t cv;              /* signalled by stop (CLOCK_MONOTONIC) */
	struct mqtt_ingest *ingest;     /* owned; non-NULL while leading */
	mqtt_ingest_publish_fn fn;
	void *ctx;
	bool stop;
	bool started;                   /* thr runs and must be joined */
	pthread_t thr;
	_Atomic uint64_t changes;       /* times this process became leader */
};

/* Waits up to ms or until stop; returns true when stop was asked. */
static bool leader__wait(struct mqtt_leader *l, int ms)
{
	struct timespec dl;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	dl.tv_sec += ms / 1000 + dl.tv_nsec / 1000000000L;
	dl.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&l->mu);
	while (!l->stop)
		if (pthread_cond_timedwait(&l->cv, &l->mu, &dl) == ETIMEDOUT)
			break;
	stop = l->stop;
	pthread_mutex_unlock(&l->mu);
	return stop;
}

/* Opens the lock session. connect_timeout bounds a connect to a server
 * that does not answer; tcp_user_timeout bounds a statement on a link that
 * went dead (a partition), so the health check fails within seconds and
 * the ingest stops (design note 1). Later keywords override the url's. */
static PGconn *leader__connect(const char *conninfo)
{
	static const char *const keys[] = { "dbname", "connect_timeout", "tcp_user_timeout",
					    "keepalives_idle", "keepalives_interval",
					    "keepalives_count", NULL };
	const char *vals[] = { conninfo, "5", "5000", "5", "2", "2", NULL };
	return PQconnectdbParams(keys, vals, 1);
}

/* One statement on the lock session; true when it returned one row whose
 * first value is "t" (or, with want_true false, any row). */
static bool leader__ask(PGconn *pg, const char *sql, bool want_true)
{
	PGresult *res = PQexec(pg, sql);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		  (!want_true || !strcmp(PQgetvalue(res, 0, 0), "t"));
	PQclear(res);
	return ok;
}

/* Starts the ingest and hands it the publisher (design note 3). */
static int leader__begin(struct mqtt_leader *l)
{
	struct mqtt_ingest *g = NULL;
	int rc = mqtt_ingest_start(&l->opt, &g);

	if (rc)
		return rc;
	pthread_mutex_lock(&l->mu);
	l->ingest = g;
	mqtt_ingest_set_publisher(g, l->fn, l->ctx);
	pthread_mutex_unlock(&l->mu);
	atomic_fetch_add(&l->changes, 1);
	return 0;
}

/* Stops the ingest, if running; called with l->mu not held. */
static void leader__end(struct mqtt_leader *l)
{
	pthread_mutex_lock(&l->mu);
	struct mqtt_ingest *g = l->ingest;
	l->ingest = NULL;
	mqtt_ingest_set_publisher(g, NULL, NULL);
	pthread_mutex_unlock(&l->mu);
	mqtt_ingest_stop(g);
}

static void *leader__thread(void *arg)
{
	struct mqtt_leader *l = arg;
	PGconn *pg = NULL;
	bool leading = false;

	do {
		if (!pg) {
			pg = leader__connect(l->conninfo);
			if (PQstatus(pg) != CONNECTION_OK) {
				pl_warn(l->opt.log, "leader", "cannot reach postgresql: %s",
					pg ? PQerrorMessage(pg) : "out of memory");
				PQfinish(pg);
				pg = NULL;
				continue;
			}
		}
		if (leading) { /* design note 1: still ours? */
			if (leader__ask(pg, "SELECT 1", false))
				continue;
			pl_warn(l->opt.log, "leader", "lost the lock session; ingest stops");
			leader__end(l);
			leading = false;
			PQfinish(pg);
			pg = NULL;
			continue;
		}
		if (!leader__ask(pg, "SELECT pg_try_advisory_lock(" LEADER_LOCK_KEY ")", true)) {
			if (PQstatus(pg) != CONNECTION_OK) {
				PQfinish(pg);
				pg = NULL;
			}
			continue; /* another process leads */
		}
		int rc = leader__begin(l);
		if (rc) {
			pl_error(l->opt.log, "leader", "won the lock but the ingest failed: %s",
				 pl_strerror(rc));
			/* let another process try */
			PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" LEADER_LOCK_KEY ")"));
			continue;
		}
		leading = true;
		pl_info(l->opt.log, "leader", "this process leads: ingesting from %s", l->url);
	} while (!leader__wait(l, LEADER_RETRY_MS));
	if (leading)
		leader__end(l);
	PQfinish(pg); /* ends the session: the lock is free for another process */
	return NULL;
}

static void leader__free(struct mqtt_leader *l)
{
	free(l->url);
	free(l->host_id);
	free(l->username);
	if (l->password) {
		explicit_bzero(l->password, strlen(l->password));
		free(l->password);
	}
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static char *leader__dup(const char *s)
{
	return s ? pl_strdup(s) : NULL;
}

int mqtt_leader_start(const struct mqtt_ingest_options *opt, struct mqtt_leader **out)
{
	struct mqtt_leader *l = pl_calloc(1, sizeof(*l));
	pthread_condattr_t ca;
	char host[256];
	int port, rc = 0;

	*out = NULL;
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	l->opt = *opt;
	l->opt.url = l->url = leader__dup(opt->url);
	l->opt.host_id = l->host_id = leader__dup(opt->host_id);
	l->opt.username = l->username = leader__dup(opt->username);
	l->opt.password = l->password = leader__dup(opt->password);
	l->conninfo = store_pg_conninfo(opt->store);
	if (!l->url || mqtt_ingest_url_parse(l->url, host, sizeof(host), &port)) {
		rc = PL_EINVAL;
		goto out;
	}
	if (!l->conninfo) { /* design note 4 */
		rc = leader__begin(l);
		goto out;
	}
	if (pthread_create(&l->thr, NULL, leader__thread, l)) {
		rc = PL_EIO;
		goto out;
	}
	l->started = true;
out:
	if (rc) {
		leader__free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void mqtt_leader_set_publisher(struct mqtt_leader *l, mqtt_ingest_publish_fn fn, void *ctx)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->fn = fn;
	l->ctx = ctx;
	mqtt_ingest_set_publisher(l->ingest, fn, ctx);
	pthread_mutex_unlock(&l->mu);
}

bool mqtt_leader_leading(struct mqtt_leader *l)
{
	bool v;

	pthread_mutex_lock(&l->mu);
	v = l->ingest != NULL;
	pthread_mutex_unlock(&l->mu);
	return v;
}

int mqtt_leader_metrics_render(void *ctx, struct pl_buf *b)
{
	struct mqtt_leader *l = ctx;
	int rc;

	pthread_mutex_lock(&l->mu);
	rc = pl_buf_printf(b, "# HELP parkline_ingest_leader 1 while this process ingests Sparkplug\n"
			      "# TYPE parkline_ingest_leader gauge\n"
			      "parkline_ingest_leader %d\n"
			      "# HELP parkline_ingest_leader_changes_total Times this process became the ingest leader\n"
			      "# TYPE parkline_ingest_leader_changes_total counter\n"
			      "parkline_ingest_leader_changes_total %llu\n",
			   l->ingest ? 1 : 0, (unsigned long long)atomic_load(&l->changes));
	if (!rc && l->ingest)
		rc = mqtt_ingest_metrics_render(l->ingest, b);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

void mqtt_leader_stop(struct mqtt_leader *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->started)
		pthread_join(l->thr, NULL);
	else
		leader__end(l);
	leader__free(l);
}
