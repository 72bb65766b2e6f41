/*
 * notify_int.h - what notify.c, sms.c and outbox.c share (prefix
 * desk__notify_). Not for other modules: they
 * use notify.h.
 */
#ifndef PL_DESK_NOTIFY_INT_H
#define PL_DESK_NOTIFY_INT_H

#include "desk/notify.h"

/* A provider's answer, capped: providers answer in a few hundred bytes. */
#define DESK_NOTIFY_REPLY_MAX (64u << 10)

struct desk__notify_reply {
	long status;          /* HTTP status, 0 when the transport failed */
	struct pl_buf body;   /* owned; release with pl_buf_release */
	char error[160];      /* curl's reason when status is 0 */
};

/* One HTTP exchange over libcurl with the configured timeout: method
 * "GET" or "POST", headers a NULL-terminated list ("Name: value"), body
 * (may be NULL for GET). Initialises *res (release its body). Returns 0
 * when an HTTP status came back, PL_EIO otherwise (res->error says why). */
int desk__notify_http(const struct desk_notify *n, const char *method, const char *url,
		      const char *const *headers, const char *body, struct desk__notify_reply *res);

/* The result for an HTTP status: 2xx OK, 408/425/429/5xx RETRY, else
 * PERMANENT. */
enum desk_notify_result desk__notify_by_status(long status);

/* A setting by key (never NULL). */
const char *desk__notify_get(const struct desk_notify *n, const char *key);
/* The provider template code for a logical template: the mapping in
 * notify_sms_templates ("name=code,name=code"), else the name itself.
 * out: >= 64 bytes. */
void desk__notify_template(const struct desk_notify *n, const char *name, char *out,
			   size_t outsz);

/* The drivers (sms.c: aliyun, tencent; notify.c: wechat, webhook). Their
 * ctx is the struct desk_notify itself. */
extern const struct desk_notifier_ops desk__notify_aliyun;
extern const struct desk_notifier_ops desk__notify_tencent;
extern const struct desk_notifier_ops desk__notify_wechat;
extern const struct desk_notifier_ops desk__notify_webhook;

/* Timeout of one provider request, milliseconds. */
int64_t desk__notify_timeout_ms(const struct desk_notify *n);
/* The sender's policy and poll interval from the settings. */
void desk__notify_policy(const struct desk_notify *n, struct desk_outbox_policy *pol,
			 int64_t *poll_ms);

#endif /* PL_DESK_NOTIFY_INT_H */
