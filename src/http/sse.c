/*
 * sse.c - server-sent events (text/event-stream) for live feeds, and
 * GET /api/v1/live, which for now streams new audit entries visible to the
 * caller plus a heartbeat comment.
 *
 * NOTES ON THE DESIGN
 * 1. No thread ever blocks on a stream. An SSE response is an MHD callback
 *    response; when its client has nothing to send, the reader suspends the
 *    connection (MHD_suspend_connection is allowed from a content reader)
 *    and returns 0. The hub thread resumes it when there is something to
 *    send: an event, a heartbeat that is due, or the end of the stream.
 * 2. Each client has a bounded queue (SSE_QUEUE_MAX events). A client that
 *    falls that far behind is ended; EventSource reconnects by itself, so a
 *    slow reader costs itself a reconnect, never the server memory.
 * 3. The hub polls audit_log for rows newer than the last id it saw
 *    (every sse_poll_ms, only while clients are connected); the cursor
 *    starts at the newest row when a stream connects to an idle hub, so a
 *    client gets every entry written after its request. Polling the
 *    table, rather than hooking writes in this process, means several
 *    `parkline serve` processes on one PostgreSQL all see every write.
 *    Ids are ULIDs: ordered by millisecond, random within one, so a row
 *    committed late within the same millisecond as a newer one can be
 *    missed; a live feed tolerates that, the audit API is the record.
 * 4. Locks: hub->mu guards the client list and is taken before any
 *    client's mu; the reader takes only its client's mu. A client is freed
 *    by MHD's response-free callback, which unlinks it under hub->mu, so
 *    the hub never touches a freed client.
 * 5. Visibility: each row is checked with auth_authorize(AUTH_A_LIVE)
 *    against the row's enterprise, with the specialist's assignment looked
 *    up (auth_target_for), so the feed shows what the audit API would.
 * 6. Live events (http__sse_publish: tiles, alarms) are delivered here and
 *    relayed to the other processes on one PostgreSQL (relay.c), which
 *    deliver them with http__sse_deliver; audit rows are not relayed,
 *    every process polls them (note 3).
 */
#include "http/http_int.h"

#include <assert.h>
#include <errno.h>

#define SSE_QUEUE_MAX 64       /* events held per client before it is ended */
#define SSE_POLL_ROWS 100      /* audit rows read per poll */
#define SSE_BLOCK 4096         /* MHD's buffer for one reader call */

struct sse_client {
	struct sse_client *next, *prev; /* hub list, under hub->mu */
	struct http_sse_hub *hub;
	struct MHD_Connection *conn;     /* valid until the free callback */
	struct auth_principal principal; /* copy: the request's ends with it */
	pthread_mutex_t mu;              /* guards everything below */
	char *q[SSE_QUEUE_MAX];          /* owned event texts, ring buffer */
	size_t qhead, qlen;
	size_t off;                      /* bytes of q[qhead] already sent */
	bool suspended;                  /* reader suspended the connection */
	bool closing;                    /* end the stream after the queue */
	int64_t next_hb_ms;
};

struct http_sse_hub {
	struct http_server *srv;
	pthread_mutex_t mu;
	pthread_cond_t cv;               /* wakes the hub thread; also signals n == 0 */
	struct sse_client *clients;
	size_t n;
	bool stop;
	bool started;
	pthread_t thr;
	char last_id[PL_ID_LEN + 1];     /* newest audit id seen; "" to rebaseline */
	struct http_relay *relay;        /* owned; scale: NULL on SQLite (relay.c) */
};

/* Appends an owned event text; ends the stream when the queue is full.
 * Caller holds c->mu. */
static void sse__push(struct sse_client *c, char *ev)
{
	if (c->closing || c->qlen == SSE_QUEUE_MAX) {
		free(ev);
		c->closing = true; /* design note 2 */
		return;
	}
	c->q[(c->qhead + c->qlen) % SSE_QUEUE_MAX] = ev;
	c->qlen++;
}

/* Caller holds c->mu. Resumes a suspended client that has work. */
static void sse__wake(struct sse_client *c, int64_t now)
{
	if (c->suspended && (c->qlen || c->closing || now >= c->next_hb_ms)) {
		c->suspended = false;
		MHD_resume_connection(c->conn);
	}
}

static ssize_t sse__reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_client *c = cls;
	int64_t now = pl_time_now_ms();
	ssize_t n = 0;

	(void)pos;
	pthread_mutex_lock(&c->mu);
	if (c->qlen) {
		const char *ev = c->q[c->qhead];
		size_t left = strlen(ev) - c->off, k = left < max ? left : max;
		memcpy(buf, ev + c->off, k);
		c->off += k;
		if (c->off == strlen(ev)) {
			free(c->q[c->qhead]);
			c->q[c->qhead] = NULL;
			c->qhead = (c->qhead + 1) % SSE_QUEUE_MAX;
			c->qlen--;
			c->off = 0;
		}
		n = (ssize_t)k;
	} else if (c->closing) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else if (now >= c->next_hb_ms && max >= 16) {
		memcpy(buf, ": heartbeat\n\n", 13);
		n = 13;
		c->next_hb_ms = now + c->hub->srv->opt.sse_heartbeat_ms;
	} else {
		c->suspended = true; /* design note 1 */
		MHD_suspend_connection(c->conn);
	}
	pthread_mutex_unlock(&c->mu);
	return n;
}

static void sse__free_client(void *cls)
{
	struct sse_client *c = cls;
	struct http_sse_hub *h = c->hub;

	pthread_mutex_lock(&h->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->n--;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	for (size_t i = 0; i < c->qlen; i++)
		free(c->q[(c->qhead + i) % SSE_QUEUE_MAX]);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Queues one event to each client allowed to see enterprise_id (design
 * note 5). Caller holds h->mu. O(clients) plus one assignment lookup per
 * specialist client (none without conn: specialists then see nothing). */
static void sse__publish_locked(struct http_sse_hub *h, struct store_conn *conn,
				const char *event, const char *id,
				const char *enterprise_id, const char *data)
{
	for (struct sse_client *c = h->clients; c; c = c->next) {
		/* objects of no enterprise pass only for ANY-scope roles */
		struct auth_target t = { 0 };
		if (enterprise_id) {
			if (!conn && c->principal.role == AUTH_ROLE_SPECIALIST)
				continue;
			if (auth_target_for(conn, &c->principal, enterprise_id, &t))
				continue;
		}
		if (auth_authorize(&c->principal, AUTH_A_LIVE, &t))
			continue;
		struct pl_buf ev;
		pl_buf_init(&ev, 256u << 10);
		if ((id && pl_buf_printf(&ev, "id: %s\n", id)) ||
		    pl_buf_printf(&ev, "event: %s\ndata: %s\n\n", event, data)) {
			pl_buf_release(&ev);
			continue; /* larger than an event may be: dropped */
		}
		pthread_mutex_lock(&c->mu);
		sse__push(c, pl_buf_steal(&ev));
		pthread_mutex_unlock(&c->mu);
	}
}

void http__sse_deliver(struct http_sse_hub *h, struct store_conn *conn, const char *event,
		       const char *id, const char *enterprise_id, const char *data)
{
	int64_t now = pl_time_now_ms();

	pthread_mutex_lock(&h->mu);
	if (!h->stop) {
		sse__publish_locked(h, conn, event, id, enterprise_id, data);
		for (struct sse_client *c = h->clients; c; c = c->next) {
			pthread_mutex_lock(&c->mu);
			sse__wake(c, now);
			pthread_mutex_unlock(&c->mu);
		}
	}
	pthread_mutex_unlock(&h->mu);
}

/* local delivery, then the other processes (relay.c) */
void http__sse_publish(struct http_sse_hub *h, struct store_conn *conn, const char *event,
		       const char *id, const char *enterprise_id, const char *data)
{
	http__sse_deliver(h, conn, event, id, enterprise_id, data);
	http__relay_send(h->relay, conn, event, id, enterprise_id, data);
}

/* Reads new audit rows and queues them to the clients allowed to see them.
 * Runs on the hub thread with h->mu held. */
static void sse__poll(struct http_sse_hub *h)
{
	struct store_conn *conn = NULL;
	json_t *rows = NULL;
	size_t i;
	json_t *row;

	if (store_conn_get(h->srv->opt.store, &conn))
		return;
	if (!h->last_id[0]) { /* normally set by the first stream; start from now */
		json_t *one = NULL;
		if (store_query_one(conn, "SELECT max(id) AS id FROM audit_log", NULL, 0, &one) == 0) {
			const char *id = pl_json_str(one, "id");
			pl_strlcpy(h->last_id, id ? id : "0", sizeof(h->last_id));
		}
		json_decref(one);
		goto out;
	}
	struct store_param p[] = { SP_TEXT(h->last_id) };
	if (store_query_json(conn,
			     "SELECT id, at, actor_name, action, entity, entity_id, enterprise_id "
			     "FROM audit_log WHERE id > ? ORDER BY id LIMIT 100",
			     p, STORE_NP(p), SSE_POLL_ROWS, &rows))
		goto out;
	json_array_foreach(rows, i, row) {
		const char *id = pl_json_str(row, "id");
		char *data = pl_json_dump(row);
		sse__publish_locked(h, conn, "audit", id, pl_json_str(row, "enterprise_id"), data);
		free(data);
		if (id)
			pl_strlcpy(h->last_id, id, sizeof(h->last_id));
	}
out:
	json_decref(rows);
	store_conn_put(conn);
}

static void *sse__thread(void *arg)
{
	struct http_sse_hub *h = arg;
	struct timespec dl;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += (long)h->srv->opt.sse_poll_ms * 1000000L;
		dl.tv_sec += dl.tv_nsec / 1000000000L;
		dl.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&h->cv, &h->mu, &dl);
		if (h->stop)
			break;
		if (!h->n) {
			h->last_id[0] = '\0'; /* rebaseline when the next client comes */
			continue;
		}
		sse__poll(h);
		int64_t now = pl_time_now_ms();
		for (struct sse_client *c = h->clients; c; c = c->next) {
			pthread_mutex_lock(&c->mu);
			sse__wake(c, now);
			pthread_mutex_unlock(&c->mu);
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

int http__sse_hub_new(struct http_server *s, struct http_sse_hub **out)
{
	struct http_sse_hub *h = pl_calloc(1, sizeof(*h));

	h->srv = s;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (pthread_create(&h->thr, NULL, sse__thread, h)) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h);
		*out = NULL;
		return PL_EIO;
	}
	h->started = true;
	/* a relay failing to start leaves this process's feed local */
	if (http__relay_new(h, s->opt.store, s->opt.log, &h->relay))
		pl_warn(s->opt.log, "relay", "cannot start the live relay");
	*out = h;
	return 0;
}

void http__sse_hub_stop(struct http_sse_hub *h)
{
	struct timespec dl;
	bool join;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	join = h->started && !h->stop;
	h->stop = true;
	int64_t now = pl_time_now_ms();
	for (struct sse_client *c = h->clients; c; c = c->next) {
		pthread_mutex_lock(&c->mu);
		c->closing = true;
		sse__wake(c, now);
		pthread_mutex_unlock(&c->mu);
	}
	pthread_cond_broadcast(&h->cv);
	/* wait (bounded) for the streams to end and their clients to be freed */
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	while (h->n > 0)
		if (pthread_cond_timedwait(&h->cv, &h->mu, &dl) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&h->mu);
	if (join)
		pthread_join(h->thr, NULL);
	http__relay_stop(h->relay); /* no deliveries after stop */
}

void http__sse_hub_free(struct http_sse_hub *h)
{
	if (!h)
		return;
	http__sse_hub_stop(h);
	/* MHD_stop_daemon ran before this: every response, and with it every
	 * client, is gone */
	assert(h->n == 0);
	http__relay_free(h->relay);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

size_t http__sse_clients(struct http_sse_hub *h)
{
	size_t n;
	pthread_mutex_lock(&h->mu);
	n = h->n;
	pthread_mutex_unlock(&h->mu);
	return n;
}

int http__h_live(struct http_req *r)
{
	struct http_sse_hub *h = r->srv->hub;
	struct sse_client *c = pl_calloc(1, sizeof(*c));
	struct MHD_Response *resp;
	json_t *hello;

	c->hub = h;
	c->conn = r->conn;
	c->principal = r->principal;
	c->next_hb_ms = pl_time_now_ms() + h->srv->opt.sse_heartbeat_ms;
	pthread_mutex_init(&c->mu, NULL);
	hello = json_pack("{s:s, s:o}", "request_id", r->request_id, "user",
			  auth_principal_json(&r->principal));
	char *data = pl_json_dump(hello);
	json_decref(hello);
	struct pl_buf ev;
	pl_buf_init(&ev, 64u << 10);
	pl_buf_printf(&ev, "retry: 3000\nevent: hello\ndata: %s\n\n", data);
	free(data);
	sse__push(c, pl_buf_steal(&ev));

	/* the stream starts at the newest audit row now, so every entry
	 * written after this request is delivered (design note 3) */
	char newest[PL_ID_LEN + 1] = "0";
	struct store_conn *conn = NULL;
	if (store_conn_get(h->srv->opt.store, &conn) == 0) {
		json_t *one = NULL;
		if (store_query_one(conn, "SELECT max(id) AS id FROM audit_log", NULL, 0, &one) == 0 &&
		    pl_json_str(one, "id"))
			pl_strlcpy(newest, pl_json_str(one, "id"), sizeof(newest));
		json_decref(one);
		store_conn_put(conn);
	}

	pthread_mutex_lock(&h->mu);
	if (!h->last_id[0]) /* no other stream: the hub's cursor starts here */
		pl_strlcpy(h->last_id, newest, sizeof(h->last_id));
	if (h->stop) {
		pthread_mutex_unlock(&h->mu);
		free(c->q[0]);
		pthread_mutex_destroy(&c->mu);
		free(c);
		return http_fail(r, PL_EBUSY, NULL, "the server is shutting down");
	}
	c->next = h->clients;
	if (h->clients)
		h->clients->prev = c;
	h->clients = c;
	h->n++;
	pthread_mutex_unlock(&h->mu);

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse__reader,
						 c, sse__free_client);
	if (!resp) {
		sse__free_client(c);
		return PL_EIO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	return http_reply_response(r, 200, resp);
}
