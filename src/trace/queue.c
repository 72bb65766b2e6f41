/*
 * queue.c - asynchronous EPCIS capture: POST /epcis/capture
 * stores the document as a pending capture job and answers 202; a worker
 * thread validates and stores it later, and the job then reports success
 * or every error (GET /epcis/capture/{id}).
 *
 * NOTES ON THE DESIGN
 *  1. Durable before 202: trace_repo_enqueue writes the job row (running,
 *     success so far) and the document (trace_capture_queue, migration 9)
 *     in one transaction; the handler replies only after that commit, so
 *     an acknowledged capture survives kill -9.
 *  2. Claim = outcome: the worker deletes the queue row inside the very
 *     transaction that stores the events or the failed job
 *     (trace__capture_job in repo.c). A crash before that commit leaves
 *     the row, and the job is run again after the restart; nothing is half
 *     done. Two daemons on one PostgreSQL both may pick the same row: the
 *     second blocks on the first's DELETE and then deletes nothing, rolls
 *     back and moves on. No lease, no clock.
 *  3. Order: rows are taken by seq (an engine-assigned integer), oldest
 *     first, and written one at a time per daemon, so documents from one
 *     client are stored in the order they were acknowledged (ULIDs are not
 *     ordered within one millisecond).
 *  4. Wake-up by polling: the worker looks at the queue every
 *     TRACE_WORKER_IDLE_MS while it is empty and back to back while it is
 *     not. A query on an empty indexed table costs microseconds, and
 *     polling the store is the one signal that also carries jobs queued by
 *     another daemon; an in-process condition variable would not.
 *  5. A job whose run fails on the store (PL_EBUSY, a lost connection) is
 *     left pending and retried after a pause that doubles up to 5 s, so a
 *     poisoned store does not spin a core. Any other failure finishes the
 *     job as failed with the reason (repo.c), so one bad job cannot block
 *     the jobs behind it.
 *  6. The same struct runs a second thread for subscriptions
 *     (subscribe.c), every TRACE_SUB_TICK_MS, so a webhook that takes its
 *     full timeout never delays a capture.
 *  7. Read ahead: while the worker writes one job's transaction, a short-
 *     lived thread reads the next job (seq above it) on its own connection
 *     and validates and flattens it (trace__capture_prep: no store), about
 *     a third of the worker's time per document (docs/benchmarks.md,
 *     "The capture worker reads ahead"). Writes stay
 *     one at a time and in seq order (note 3); a job read ahead whose
 *     predecessor failed on the store, or was taken by another daemon, is
 *     dropped unwritten and read again from the oldest, so no job is
 *     written before one queued ahead of it.
 */
#include "trace_int.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define QUEUE_BACKOFF_MAX_MS 5000

int trace_repo_enqueue(struct store_conn *c, const char *tenant, const char *actor,
		       const char *buf, size_t len, bool xml, json_t **job)
{
	char id[PL_ID_LEN + 1], created[PL_TIME_STRLEN];
	int rc;

	*job = NULL;
	pl_id_new(id);
	pl_time_format(pl_time_now_ms(), created);
	struct store_param pj[] = { SP_TEXT(id), SP_TEXT(tenant), actor ? SP_TEXT(actor) : SP_NULL,
				    SP_TEXT(created) };
	struct store_param pq[] = { SP_TEXT(id), SP_TEXT(tenant), actor ? SP_TEXT(actor) : SP_NULL,
				    SP_INT(xml ? 1 : 0), SP_BLOB(buf, len) };
	if ((rc = store_begin(c)))
		return rc;
	rc = store_exec(c, "INSERT INTO trace_capture_jobs (id, enterprise_id, created_by, "
			   "created_at, running, success, event_count) VALUES (?, ?, ?, ?, 1, 1, 0)",
			pj, STORE_NP(pj), NULL);
	if (rc == 0)
		rc = store_exec(c, "INSERT INTO trace_capture_queue (job_id, enterprise_id, "
				   "created_by, is_xml, body) VALUES (?, ?, ?, ?, ?)",
				pq, STORE_NP(pq), NULL);
	if (rc == 0)
		rc = store_commit(c);
	if (rc) {
		store_rollback(c);
		return rc;
	}
	return trace_repo_job_get(c, tenant, id, job);
}

/* A queued job read from the store, then prepared (note 7). */
struct queue_job {
	char id[PL_ID_LEN + 1], tenant[PL_ID_LEN + 1], actor[PL_ID_LEN + 1];
	char created[PL_TIME_STRLEN];
	bool has_actor, xml;
	char *body;                /* owned */
	size_t len;
	int64_t seq;
	struct trace_errors errs;
	struct trace__doc doc;     /* trace__capture_prep's result */
};

static void queue__job_free(struct queue_job *j)
{
	if (!j)
		return;
	free(j->body);
	trace__capture_doc_free(&j->doc);
	trace_errors_release(&j->errs);
	free(j);
}

/* The oldest queued job whose seq is above `after` (note 3), into *out;
 * NULL when there is none. */
static int queue__fetch(struct store_conn *c, int64_t after, struct queue_job **out)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_INT(after) };
	struct queue_job *j = NULL;
	int rc;

	*out = NULL;
	rc = store_query(c, "SELECT q.seq, q.job_id, q.enterprise_id, q.created_by, q.is_xml, "
			    "q.body, j.created_at FROM trace_capture_queue q JOIN trace_capture_jobs j "
			    "ON j.id = q.job_id WHERE q.seq > ? ORDER BY q.seq LIMIT 1", p, 1, &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc <= 0)
		goto out; /* 0: empty queue */
	j = pl_calloc(1, sizeof(*j));
	trace_errors_init(&j->errs);
	j->seq = store_rows_int(r, 0);
	pl_strlcpy(j->id, store_rows_text(r, 1), sizeof(j->id));
	pl_strlcpy(j->tenant, store_rows_text(r, 2), sizeof(j->tenant));
	j->has_actor = !store_rows_isnull(r, 3);
	pl_strlcpy(j->actor, j->has_actor ? store_rows_text(r, 3) : "", sizeof(j->actor));
	j->xml = store_rows_int(r, 4) != 0;
	{
		const void *b = store_rows_blob(r, 5, &j->len);
		/* copied: the cursor is freed before the capture transaction */
		j->body = pl_malloc(j->len + 1);
		if (j->len)
			memcpy(j->body, b, j->len);
		j->body[j->len] = '\0';
	}
	pl_strlcpy(j->created, store_rows_text(r, 6), sizeof(j->created));
	*out = j;
	rc = 0;
out:
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* Reads, validates and flattens j's document: no store involved. */
static void queue__prep(struct queue_job *j)
{
	trace__capture_prep(j->body, j->len, j->xml, true, &j->errs, &j->doc);
}

/* Writes j's outcome and claims its queue row in one transaction (note 2);
 * *did is false when another worker had claimed it. */
static int queue__store(struct store_conn *c, struct queue_job *j, bool *did)
{
	bool claimed = false;
	int rc = trace__capture_store(c, j->tenant, j->has_actor ? j->actor : NULL, j->id,
				      j->created, true, &claimed, &j->errs, &j->doc);

	*did = rc == 0 && claimed;
	return rc;
}

int trace_repo_work_one(struct store_conn *c, bool *did)
{
	struct queue_job *j = NULL;
	int rc = queue__fetch(c, INT64_MIN, &j);

	*did = false;
	if (rc == 0 && j) {
		queue__prep(j);
		rc = queue__store(c, j, did);
	}
	queue__job_free(j);
	return rc < 0 ? rc : 0;
}

int trace_repo_job_wait(struct store *st, const char *tenant, const char *id,
			int64_t wait_ms, json_t **job)
{
	int64_t deadline = pl_time_mono_ns() / 1000000 + wait_ms;
	int rc;

	*job = NULL;
	for (;;) {
		struct store_conn *c = NULL;
		if ((rc = store_conn_get(st, &c)))
			return rc;
		rc = trace_repo_job_get(c, tenant, id, job);
		store_conn_put(c);
		if (rc || !json_is_true(json_object_get(*job, "running")) ||
		    pl_time_mono_ns() / 1000000 >= deadline)
			return rc;
		json_decref(*job);
		*job = NULL;
		/* the connection goes back to the pool while we wait */
		struct timespec ts = { 0, TRACE_WORKER_IDLE_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------ the worker */

struct trace_worker {
	struct store *st;          /* borrowed */
	struct pl_log *log;        /* borrowed */
	pthread_t thread;
	pthread_t sub_thread;      /* subscriptions (subscribe.c): a slow webhook
				    * must not hold up captures */
	pthread_mutex_t mu;        /* with cv: stop wakes the idle thread */
	pthread_cond_t cv;
	bool stop;                 /* under mu */
};

/* The job after `after`, read and prepared on a connection of its own:
 * run on a second thread while the worker writes the job before it
 * (note 7), and by the worker itself for the first job of a drain. */
struct worker_next {
	struct store *st;
	int64_t after;
	struct queue_job *job;     /* out: owned by the caller after the join */
	int rc;
};

static void *worker__next_main(void *arg)
{
	struct worker_next *n = arg;
	struct store_conn *c = NULL;

	n->rc = store_conn_get(n->st, &c);
	if (n->rc == 0)
		n->rc = queue__fetch(c, n->after, &n->job);
	store_conn_put(c); /* before the CPU work: the pool is shared */
	if (n->job)
		queue__prep(n->job);
	return NULL;
}

/* Writes cur's outcome while a second thread reads and prepares the job
 * after it; *next gets that job (NULL: none, or the thread could not
 * start and it is read on the next turn). */
static int worker__turn(struct trace_worker *w, struct queue_job *cur, bool *did,
			struct queue_job **next)
{
	struct worker_next n = { .st = w->st, .after = cur->seq };
	struct store_conn *c = NULL;
	pthread_t t;
	bool threaded = pthread_create(&t, NULL, worker__next_main, &n) == 0;
	int rc = store_conn_get(w->st, &c);

	if (rc == 0)
		rc = queue__store(c, cur, did);
	store_conn_put(c);
	if (threaded)
		pthread_join(t, NULL);
	*next = n.job;
	if (rc == 0 && n.rc)
		rc = n.rc;
	return rc;
}

/* Runs jobs until the queue is empty; returns how long to wait next. */
static int64_t worker__drain(struct trace_worker *w, int64_t *backoff_ms)
{
	struct worker_next first = { .st = w->st, .after = INT64_MIN };
	int64_t wait_ms = TRACE_WORKER_IDLE_MS;

	worker__next_main(&first);
	struct queue_job *cur = first.job;
	int rc = first.rc;
	while (rc == 0 && cur) {
		struct queue_job *next = NULL;
		bool did = false;
		rc = worker__turn(w, cur, &did, &next);
		queue__job_free(cur);
		cur = next;
		if (rc)
			break;
		if (!did) /* taken by another daemon: start again from the oldest */
			break;
		pthread_mutex_lock(&w->mu);
		bool stop = w->stop;
		pthread_mutex_unlock(&w->mu);
		if (stop) {
			wait_ms = 0;
			break;
		}
		if (!cur) /* the queue looked empty: look again at once (note 4) */
			wait_ms = 0;
	}
	/* a job read ahead but not written stays queued: the next drain
	 * starts from the oldest again, so the order holds (note 3) */
	queue__job_free(cur);
	if (rc) {
		/* note 5 */
		*backoff_ms = *backoff_ms ? *backoff_ms * 2 : 100;
		if (*backoff_ms > QUEUE_BACKOFF_MAX_MS)
			*backoff_ms = QUEUE_BACKOFF_MAX_MS;
		pl_warn(w->log, "trace", "capture worker: %s; retrying in %lld ms",
			pl_strerror(rc), (long long)*backoff_ms);
		return *backoff_ms;
	}
	*backoff_ms = 0;
	return wait_ms;
}

static void *worker__main(void *arg)
{
	struct trace_worker *w = arg;
	int64_t backoff = 0;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		struct timespec ts;
		pthread_mutex_unlock(&w->mu);
		int64_t wait_ms = worker__drain(w, &backoff);
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(wait_ms / 1000);
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Waits up to ms or until stop; returns true when stopping. */
static bool worker__wait(struct trace_worker *w, int64_t ms)
{
	struct timespec ts;
	bool stop;

	pthread_mutex_lock(&w->mu);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT)
		;
	stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return stop;
}

static void *worker__sub_main(void *arg)
{
	struct trace_worker *w = arg;

	do {
		struct store_conn *c = NULL;
		int ran = 0, rc = store_conn_get(w->st, &c);
		if (rc == 0)
			rc = trace_sub_run_due(c, &ran);
		store_conn_put(c);
		if (rc)
			pl_warn(w->log, "trace", "subscription worker: %s", pl_strerror(rc));
	} while (!worker__wait(w, TRACE_SUB_TICK_MS));
	return NULL;
}

int trace_worker_start(struct store *st, struct pl_log *log, struct trace_worker **out)
{
	struct trace_worker *w = pl_calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	*out = NULL;
	w->st = st;
	w->log = log;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, worker__main, w)) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return PL_EIO;
	}
	if (pthread_create(&w->sub_thread, NULL, worker__sub_main, w)) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return PL_EIO;
	}
	*out = w;
	return 0;
}

void trace_worker_stop(struct trace_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv); /* both threads wait on cv */
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_join(w->sub_thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
