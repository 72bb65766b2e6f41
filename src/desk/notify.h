/*
 * notify.h - the desk's notifications out and SMS in (prefix desk_notify_ /
 * desk_outbox_; design in docs/notify.md).
 *
 * A desk event (a request dispatched to a specialist, resolved, escalated
 * to the specialist's leader) becomes rows in the durable outbox
 * (notify_outbox, migration 8), written in the SAME transaction as the
 * event, one per recipient and channel, each with a dedupe key unique in
 * the table. A sender thread claims due rows under a lease, sends each
 * through the notifier of its channel (struct desk_notifier_ops: SMS over
 * Aliyun or Tencent Cloud, WeChat template messages, a signed webhook) and
 * marks it sent; failures retry with exponential backoff and jitter, then
 * the row is dead.
 *
 * Exactly once, across crashes: a crash before the send leaves the row
 * pending (or claimed under a lease that runs out), so it is sent later; a
 * crash between the send and the mark-sent resends it with the SAME dedupe
 * key, which every provider request carries (Aliyun OutId, Tencent
 * SessionContext, the webhook's Idempotency-Key header, the WeChat
 * client_msg_id), so the provider - and the fake provider in the tests -
 * drops the duplicate. The outbox alone gives at-least-once; the key on the
 * wire turns it into exactly-once delivery.
 *
 * Threading: struct desk_notify is read-only after desk_notify_new and may
 * be shared by all threads; each send makes its own curl handle.
 */
#ifndef PL_DESK_NOTIFY_H
#define PL_DESK_NOTIFY_H

#include "core/core.h"
#include "store/store.h"

/* ============================================================ notifiers */
enum desk_notify_result {
	DESK_NOTIFY_OK = 0,        /* accepted by the provider (or a duplicate it already had) */
	DESK_NOTIFY_RETRY = 1,     /* transient: network, timeout, 5xx, throttled */
	DESK_NOTIFY_PERMANENT = 2, /* the provider refused it for good (4xx, bad number) */
};

/* One message as a notifier sees it; every pointer is borrowed for the
 * call. The out fields are filled by send. */
struct desk_notify_msg {
	const char *dedupe_key;   /* unique per message; sent as the idempotency key */
	const char *channel;      /* "sms", "wechat", "webhook" */
	const char *address;      /* E.164 phone, WeChat openid, or "" (webhook) */
	const char *template_name;/* logical template, e.g. "request.resolved" */
	const json_t *params;     /* {"no","title",...}: template variables */
	const char *payload;      /* the whole row as JSON text (webhook body) */
	char provider_id[128];    /* out: the provider's message id, "" if none */
	char error[256];          /* out: why it failed, "" on success */
};

/* A notifier driver: chosen at start-up per channel (style rule 13). send
 * does blocking network I/O (bounded by the configured timeout) and must be
 * thread-safe for one ctx. */
struct desk_notifier_ops {
	const char *name;          /* "aliyun", "tencent", "wechat", "webhook" */
	enum desk_notify_result (*send)(void *ctx, struct desk_notify_msg *msg);
};

/* Settings, from the file named by serve's notify_config and PARKLINE_NOTIFY_*
 * variables (docs/notify.md lists the keys). */
struct desk_notify;

/* Reads the settings: path (may be NULL or "": defaults and environment
 * only) and envp (may be NULL). err (>= 200 bytes) names the key or line on
 * failure. Errors: PL_EINVAL, PL_EIO. */
int desk_notify_new(const char *path, char *const *envp, struct desk_notify **out,
		    char *err, size_t errsz);
void desk_notify_free(struct desk_notify *n); /* NULL is a no-op */

/* The driver for channel ("sms", "wechat", "webhook") and its ctx, or
 * PL_ENOTFOUND when that channel is not configured. */
int desk_notify_driver(const struct desk_notify *n, const char *channel,
		       const struct desk_notifier_ops **ops, void **ctx);
/* The shared secret of the inbound SMS webhook ("" when inbound is off). */
const char *desk_notify_inbound_secret(const struct desk_notify *n);

/* ======================================================= signing (pure)
 * Exposed for the tests, which check them against published vectors. */

/* Aliyun RPC percent-encoding (RFC 3986 unreserved kept, everything else
 * %XX upper case; space is %20, '*' %2A, '~' kept). Appends to b. */
int desk_notify_aliyun_encode(struct pl_buf *b, const char *s);
/* Aliyun RPC signature (SignatureVersion 1.0, HMAC-SHA1): the string to
 * sign is METHOD&%2F&enc(sorted "k=v" pairs joined by &), keyed with
 * secret + "&"; out gets base64 (29 bytes incl. NUL suffice; give 64).
 * keys/values: n pairs (any order; sorted here by byte order of the key). */
int desk_notify_aliyun_sign(const char *method, const char *secret, const char *const *keys,
			    const char *const *values, size_t n, char *out, size_t outsz);

/* Tencent Cloud API 3.0 TC3-HMAC-SHA256 Authorization header value for a
 * POST with content-type application/json; charset=utf-8 to host, signed
 * headers content-type;host. timestamp in seconds; the date is its UTC day.
 * out: >= 512 bytes. */
int desk_notify_tc3_auth(const char *secret_id, const char *secret_key, const char *service,
			 const char *host, int64_t timestamp, const char *payload,
			 char *out, size_t outsz);

/* hex(HMAC-SHA256(secret, body[0..len))) into out (65 bytes): the webhook's
 * and the inbound SMS webhook's signature ("sha256=" + this in the header). */
void desk_notify_hmac_hex(const char *secret, const void *body, size_t len, char out[65]);
/* Constant-time check of a "sha256=<hex>" header against body. */
bool desk_notify_hmac_verify(const char *secret, const void *body, size_t len,
			     const char *header);

/* ============================================================== outbox */

/* The hook the desk repository calls right after it appends history event
 * seq (action, e.g. "dispatch", "resolve", "escalate") of request req_id,
 * inside the event's transaction: queues the notifications that event
 * causes (none for most actions). Idempotent per dedupe key (ON CONFLICT
 * DO NOTHING), so it never aborts the caller's transaction on a repeat.
 * Errors: PL_EDB (roll the transaction back). */
int desk_outbox_on_event(struct store_conn *c, const char *req_id, int64_t seq,
			 const char *action, const char *at);

/* The same for a specialist replacement carried out (更换专员): tells the
 * enterprise's contact who its new specialist is (event
 * "enterprise.reassigned", params {"specialist": name}); dedupe key
 * "replacement:<repl_id>:enterprise:<ent>:<channel>". */
int desk_outbox_on_replacement(struct store_conn *c, const char *repl_id, const char *ent,
			       const char *specialist_id, const char *at);

/* Exponential backoff with jitter for the attempt-th failure (1-based):
 * base_ms * 2^(attempt-1), capped at max_ms, then scaled into
 * [1/2, 1] of itself by jitter (0..1). Pure. */
int64_t desk_outbox_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, double jitter);

/* One pass of the sender: claims up to limit due rows (pending and due,
 * or 'sending' whose lease ran out) under a lease of lease_ms, sends each
 * through its channel's driver outside any transaction, and marks it sent,
 * pending again (backoff) or dead (after max_attempts) or skipped (its
 * channel is not configured). *sent / *failed (may be NULL) count this
 * pass. Safe to run from several processes on one PostgreSQL: a claim is a
 * conditional UPDATE. */
struct desk_outbox_policy {
	int64_t lease_ms;      /* a claimed row is ours for this long; > send timeout */
	int max_attempts;      /* then dead */
	int64_t backoff_base_ms;
	int64_t backoff_max_ms;
	int limit;             /* rows per pass */
};
int desk_outbox_pass(struct store *st, const struct desk_notify *n,
		     const struct desk_outbox_policy *pol, int64_t now_ms, int *sent, int *failed);

/* {"items":[{id, dedupe_key, request_id, enterprise_id, event, channel,
 * recipient_kind, recipient_id, address, state, attempts, next_at,
 * created_at, sent_at, provider_id, last_error}], "total"} newest first;
 * state NULL or one of pending, sending, sent, dead, skipped; request_id
 * NULL or an id. limit 1..500. PL_EINVAL for a bad state. */
int desk_outbox_list(struct store_conn *c, const char *state, const char *request_id,
		     int64_t limit, int64_t offset, json_t **out);

/* Sets the notification addresses of a user (phone E.164 normalised here,
 * WeChat openid) and their leader for escalations (NULL: none). For
 * tests, the demo and admin tooling. Errors: PL_EINVAL (bad phone). */
int desk_notify_contact_set(struct store_conn *c, const char *user_id, const char *phone,
			    const char *wechat_openid, const char *leader_id);

/* The sender thread: desk_outbox_pass every poll_ms until stopped. st, n and
 * log are borrowed and must outlive it. */
struct desk_notify_sender;
int desk_notify_sender_start(struct store *st, const struct desk_notify *n,
			     struct pl_log *log, struct desk_notify_sender **out);
void desk_notify_sender_stop(struct desk_notify_sender *s); /* NULL is a no-op */

/* ============================================================ inbound SMS
 * A message from a phone number: when it is an enterprise's contact
 * number, it opens a request for that enterprise (channel "sms"), or, when
 * that enterprise has an SMS request opened in the last 24 hours that is
 * still open, is recorded as a message on it. Deduplicated by
 * (provider, message_id): a replay answers with the first outcome.
 * Runs in the caller's transaction. *out: {"result": "created" | "appended"
 * | "duplicate" | "unknown_sender", "request_id"}. Errors: PL_EINVAL (bad
 * phone or text, named in err), PL_EDB. */
struct desk_svc;
int desk_notify_inbound_sms(const struct desk_svc *svc, struct store_conn *c,
			    const char *provider, const char *message_id, const char *from,
			    const char *text, int64_t now_ms, json_t **out, char *err, size_t errsz);

#endif /* PL_DESK_NOTIFY_H */
