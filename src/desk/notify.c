/*
 * notify.c - the notifier settings, the one libcurl exchange every driver
 * uses, the HMAC helpers, and two of the four drivers: WeChat template
 * messages and the signed webhook (the SMS drivers are in sms.c). See
 * notify.h for the contract and docs/notify.md for the settings.
 *
 * Settings come from a 'key = value' file (serve's notify_config) and
 * PARKLINE_NOTIFY_* variables, through the same layered pl_config as serve,
 * so secrets can stay out of the main config file.
 *
 * The WeChat driver caches its access token (valid 7200 s) in the struct:
 * the only mutable part of struct desk_notify, guarded by its mutex. A
 * token the API reports as invalid or expired (40001, 42001) is dropped and
 * the send is retried by the outbox with the next token.
 */
#include "desk/notify_int.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static const struct pl_config_key notify_keys[] = {
	{ "notify_sms_provider", "", "SMS gateway: aliyun, tencent, or empty (no SMS)" },
	{ "notify_sms_templates", "", "logical template to provider code: name=code,name=code" },
	{ "notify_aliyun_url", "https://dysmsapi.aliyuncs.com/", "Aliyun SMS RPC endpoint" },
	{ "notify_aliyun_access_key_id", "", "Aliyun AccessKeyId" },
	{ "notify_aliyun_access_key_secret", "", "Aliyun AccessKeySecret" },
	{ "notify_aliyun_sign_name", "", "Aliyun approved SignName" },
	{ "notify_aliyun_region", "cn-hangzhou", "Aliyun RegionId" },
	{ "notify_tencent_url", "https://sms.tencentcloudapi.com/", "Tencent Cloud SMS endpoint" },
	{ "notify_tencent_secret_id", "", "Tencent Cloud SecretId" },
	{ "notify_tencent_secret_key", "", "Tencent Cloud SecretKey" },
	{ "notify_tencent_sdk_app_id", "", "Tencent SmsSdkAppId" },
	{ "notify_tencent_sign_name", "", "Tencent approved SignName" },
	{ "notify_tencent_region", "ap-guangzhou", "Tencent X-TC-Region" },
	{ "notify_wechat_api", "https://api.weixin.qq.com", "WeChat API base URL" },
	{ "notify_wechat_app_id", "", "Official Account AppID (empty: no WeChat messages)" },
	{ "notify_wechat_app_secret", "", "Official Account AppSecret" },
	{ "notify_wechat_template_id", "", "template message id for desk notifications" },
	{ "notify_webhook_url", "", "generic webhook (empty: none)" },
	{ "notify_webhook_secret", "", "HMAC-SHA256 key of the X-Parkline-Signature header" },
	{ "notify_inbound_sms_secret", "", "HMAC-SHA256 key of inbound SMS (empty: inbound off)" },
	{ "notify_timeout_ms", "10000", "one provider request, milliseconds (100..60000)" },
	{ "notify_poll_ms", "1000", "sender poll interval, milliseconds (10..60000)" },
	{ "notify_lease_ms", "60000", "a claimed row is the sender's for this long (> 2 x timeout)" },
	{ "notify_max_attempts", "8", "sends before a row is dead (1..100)" },
	{ "notify_backoff_base_ms", "5000", "first retry delay, milliseconds" },
	{ "notify_backoff_max_ms", "3600000", "retry delay cap, milliseconds" },
	{ "notify_batch", "50", "rows claimed per pass (1..1000)" },
	{ NULL, NULL, NULL },
};

struct desk_notify {
	struct pl_config cfg;       /* owned; read-only after desk_notify_new */
	int64_t timeout_ms;
	struct desk_outbox_policy pol;
	int64_t poll_ms;
	pthread_mutex_t mu;         /* guards the two fields below */
	char wechat_token[600];     /* cached access token, "" when none */
	int64_t wechat_token_until; /* ms; refetch after this */
};

const char *desk__notify_get(const struct desk_notify *n, const char *key)
{
	const char *v = pl_config_get(&n->cfg, key);
	return v ? v : "";
}

int64_t desk__notify_timeout_ms(const struct desk_notify *n)
{
	return n->timeout_ms;
}

void desk__notify_policy(const struct desk_notify *n, struct desk_outbox_policy *pol,
			 int64_t *poll_ms)
{
	*pol = n->pol;
	*poll_ms = n->poll_ms;
}

const char *desk_notify_inbound_secret(const struct desk_notify *n)
{
	return n ? desk__notify_get(n, "notify_inbound_sms_secret") : "";
}

static int notify__int(struct desk_notify *n, const char *key, int64_t min, int64_t max,
		       int64_t *out, char *err, size_t errsz)
{
	if (pl_parse_i64(desk__notify_get(n, key), min, max, out) == 0)
		return 0;
	snprintf(err, errsz, "%s must be an integer in %lld..%lld", key, (long long)min,
		 (long long)max);
	return PL_EINVAL;
}

int desk_notify_new(const char *path, char *const *envp, struct desk_notify **out,
		    char *err, size_t errsz)
{
	struct desk_notify *n = pl_calloc(1, sizeof(*n));
	struct pl_json_error je = { .text = "" };
	int64_t v;
	int rc;

	*out = NULL;
	/* before any sender thread exists: libcurl's global set-up is not
	 * guaranteed thread-safe on every build; it is reference-counted, so
	 * other users of libcurl in the process are unaffected */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pl_config_init(&n->cfg, notify_keys);
	pthread_mutex_init(&n->mu, NULL);
	if (path && *path && (rc = pl_config_load_file(&n->cfg, path, &je))) {
		snprintf(err, errsz, "%s: %s", path, je.text);
		goto out;
	}
	pl_config_load_env(&n->cfg, envp);
	const char *prov = desk__notify_get(n, "notify_sms_provider");
	if (*prov && strcmp(prov, "aliyun") && strcmp(prov, "tencent")) {
		snprintf(err, errsz, "notify_sms_provider must be aliyun, tencent or empty");
		rc = PL_EINVAL;
		goto out;
	}
	if ((rc = notify__int(n, "notify_timeout_ms", 100, 60000, &n->timeout_ms, err, errsz)) ||
	    (rc = notify__int(n, "notify_poll_ms", 10, 60000, &n->poll_ms, err, errsz)) ||
	    (rc = notify__int(n, "notify_lease_ms", 1000, 86400000, &n->pol.lease_ms, err, errsz)) ||
	    (rc = notify__int(n, "notify_max_attempts", 1, 100, &v, err, errsz)))
		goto out;
	n->pol.max_attempts = (int)v;
	if ((rc = notify__int(n, "notify_backoff_base_ms", 1, 86400000, &n->pol.backoff_base_ms,
			      err, errsz)) ||
	    (rc = notify__int(n, "notify_backoff_max_ms", 1, 7 * 86400000LL, &n->pol.backoff_max_ms,
			      err, errsz)) ||
	    (rc = notify__int(n, "notify_batch", 1, 1000, &v, err, errsz)))
		goto out;
	n->pol.limit = (int)v;
	/* a lease shorter than a send could let a second sender claim a row
	 * that is still being sent: both would send (the provider dedupes,
	 * but we should not rely on it for the common case) */
	if (n->pol.lease_ms < 2 * n->timeout_ms) {
		snprintf(err, errsz, "notify_lease_ms (%lld) must be at least twice notify_timeout_ms",
			 (long long)n->pol.lease_ms);
		rc = PL_EINVAL;
		goto out;
	}
	*out = n;
	n = NULL;
out:
	desk_notify_free(n);
	return rc;
}

void desk_notify_free(struct desk_notify *n)
{
	if (!n)
		return;
	pl_config_release(&n->cfg);
	pthread_mutex_destroy(&n->mu);
	OPENSSL_cleanse(n->wechat_token, sizeof(n->wechat_token));
	free(n);
	curl_global_cleanup(); /* pairs with the init in desk_notify_new */
}

int desk_notify_driver(const struct desk_notify *n, const char *channel,
		       const struct desk_notifier_ops **ops, void **ctx)
{
	*ops = NULL;
	*ctx = (void *)n;
	if (!n)
		return PL_ENOTFOUND;
	if (!strcmp(channel, "sms")) {
		const char *p = desk__notify_get(n, "notify_sms_provider");
		if (!strcmp(p, "aliyun"))
			*ops = &desk__notify_aliyun;
		else if (!strcmp(p, "tencent"))
			*ops = &desk__notify_tencent;
	} else if (!strcmp(channel, "wechat")) {
		if (*desk__notify_get(n, "notify_wechat_app_id"))
			*ops = &desk__notify_wechat;
	} else if (!strcmp(channel, "webhook")) {
		if (*desk__notify_get(n, "notify_webhook_url"))
			*ops = &desk__notify_webhook;
	}
	return *ops ? 0 : PL_ENOTFOUND;
}

void desk__notify_template(const struct desk_notify *n, const char *name, char *out,
			   size_t outsz)
{
	const char *map = desk__notify_get(n, "notify_sms_templates");
	size_t nl = strlen(name);

	pl_strlcpy(out, name, outsz);
	for (const char *p = map; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && *p == ' ')
			p++, len--;
		if (len > nl + 1 && !memcmp(p, name, nl) && p[nl] == '=') {
			size_t cl = len - nl - 1;
			pl_strlcpy(out, p + nl + 1, cl + 1 < outsz ? cl + 1 : outsz);
			return;
		}
		p = end ? end + 1 : p + len;
	}
}

/* ------------------------------------------------------------------ HTTP */

static size_t notify__write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct pl_buf *b = ud;
	size_t n = size * nmemb;
	/* past the cap: stop the transfer (curl reports a write error) */
	return pl_buf_append(b, data, n) == 0 ? n : 0;
}

enum desk_notify_result desk__notify_by_status(long status)
{
	if (status >= 200 && status < 300)
		return DESK_NOTIFY_OK;
	if (status == 0 || status == 408 || status == 425 || status == 429 || status >= 500)
		return DESK_NOTIFY_RETRY;
	return DESK_NOTIFY_PERMANENT;
}

int desk__notify_http(const struct desk_notify *n, const char *method, const char *url,
		      const char *const *headers, const char *body, struct desk__notify_reply *res)
{
	struct curl_slist *hl = NULL;
	CURL *h = NULL;
	CURLcode cc;
	int rc = PL_EIO;

	res->status = 0;
	res->error[0] = '\0';
	pl_buf_init(&res->body, DESK_NOTIFY_REPLY_MAX);
	if (!(h = curl_easy_init())) {
		pl_strlcpy(res->error, "curl_easy_init failed", sizeof(res->error));
		goto out;
	}
	for (const char *const *p = headers; p && *p; p++)
		hl = curl_slist_append(hl, *p);
	hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)n->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)n->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, notify__write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "parkline-notify/1");
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
	}
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(res->error, sizeof(res->error), "%s", curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	rc = 0;
out:
	curl_slist_free_all(hl);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

/* ------------------------------------------------------------------ HMAC */

void desk_notify_hmac_hex(const char *secret, const void *body, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, md, &mdlen);
	pl_hex(md, 32, out);
}

bool desk_notify_hmac_verify(const char *secret, const void *body, size_t len,
			     const char *header)
{
	char want[65];
	if (!secret || !*secret || !header || strncmp(header, "sha256=", 7) ||
	    strlen(header + 7) != 64)
		return false;
	desk_notify_hmac_hex(secret, body, len, want);
	return CRYPTO_memcmp(want, header + 7, 64) == 0;
}

/* --------------------------------------------------------------- webhook */

/* POSTs the row's JSON with Idempotency-Key (the dedupe key) and
 * X-Parkline-Signature: sha256=hex(HMAC-SHA256(secret, body)). */
static enum desk_notify_result notify__webhook_send(void *ctx, struct desk_notify_msg *m)
{
	const struct desk_notify *n = ctx;
	struct desk__notify_reply res;
	char sig[65], hsig[100], hkey[300];
	enum desk_notify_result out;

	desk_notify_hmac_hex(desk__notify_get(n, "notify_webhook_secret"), m->payload,
			     strlen(m->payload), sig);
	snprintf(hsig, sizeof(hsig), "X-Parkline-Signature: sha256=%s", sig);
	snprintf(hkey, sizeof(hkey), "Idempotency-Key: %s", m->dedupe_key);
	const char *hdrs[] = { "Content-Type: application/json", hsig, hkey, NULL };
	if (desk__notify_http(n, "POST", desk__notify_get(n, "notify_webhook_url"), hdrs,
			      m->payload, &res)) {
		snprintf(m->error, sizeof(m->error), "webhook: %s", res.error);
		out = DESK_NOTIFY_RETRY;
		goto out;
	}
	out = desk__notify_by_status(res.status);
	if (out != DESK_NOTIFY_OK)
		snprintf(m->error, sizeof(m->error), "webhook: HTTP %ld", res.status);
out:
	pl_buf_release(&res.body);
	return out;
}

const struct desk_notifier_ops desk__notify_webhook = { "webhook", notify__webhook_send };

/* ---------------------------------------------------------------- WeChat */

/* The cached access token into tok, fetching one when there is none or it
 * is about to expire. */
static enum desk_notify_result notify__wechat_token(struct desk_notify *n, char *tok,
						    size_t toksz, struct desk_notify_msg *m)
{
	struct desk__notify_reply res = { 0 };
	struct pl_buf url;
	json_t *j = NULL;
	enum desk_notify_result out = DESK_NOTIFY_RETRY;
	int64_t now = pl_time_now_ms();

	pthread_mutex_lock(&n->mu);
	if (n->wechat_token[0] && now < n->wechat_token_until) {
		pl_strlcpy(tok, n->wechat_token, toksz);
		pthread_mutex_unlock(&n->mu);
		return DESK_NOTIFY_OK;
	}
	pthread_mutex_unlock(&n->mu);

	pl_buf_init(&url, 2048);
	pl_buf_printf(&url, "%s/cgi-bin/token?grant_type=client_credential&appid=",
		      desk__notify_get(n, "notify_wechat_api"));
	desk_notify_aliyun_encode(&url, desk__notify_get(n, "notify_wechat_app_id"));
	pl_buf_puts(&url, "&secret=");
	desk_notify_aliyun_encode(&url, desk__notify_get(n, "notify_wechat_app_secret"));
	if (!url.data || desk__notify_http(n, "GET", url.data, NULL, NULL, &res)) {
		snprintf(m->error, sizeof(m->error), "wechat token: %s", res.error);
		goto out;
	}
	if (res.status != 200) {
		out = desk__notify_by_status(res.status);
		snprintf(m->error, sizeof(m->error), "wechat token: HTTP %ld", res.status);
		goto out;
	}
	j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	const char *t = pl_json_str(j, "access_token");
	json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));
	if (!t || !*t || strlen(t) >= sizeof(n->wechat_token)) {
		/* a bad AppSecret (40001/40125) will not fix itself */
		json_int_t code = json_integer_value(json_object_get(j, "errcode"));
		out = code == -1 ? DESK_NOTIFY_RETRY : DESK_NOTIFY_PERMANENT;
		snprintf(m->error, sizeof(m->error), "wechat token: errcode %lld",
			 (long long)code);
		goto out;
	}
	pthread_mutex_lock(&n->mu);
	pl_strlcpy(n->wechat_token, t, sizeof(n->wechat_token));
	/* refresh five minutes early, as WeChat advises */
	n->wechat_token_until = now + ((ttl > 600 ? ttl : 600) - 300) * 1000;
	pthread_mutex_unlock(&n->mu);
	pl_strlcpy(tok, t, toksz);
	out = DESK_NOTIFY_OK;
out:
	json_decref(j);
	pl_buf_release(&url);
	pl_buf_release(&res.body);
	return out;
}

/* Template message (消息模板) to an openid; client_msg_id is the dedupe key,
 * which WeChat uses to drop a repeated send. */
static enum desk_notify_result notify__wechat_send(void *ctx, struct desk_notify_msg *m)
{
	struct desk_notify *n = ctx;
	struct desk__notify_reply res = { 0 };
	struct pl_buf url;
	char tok[600];
	json_t *body = NULL, *data = json_object(), *j = NULL;
	char *text = NULL;
	const char *k;
	json_t *v;
	enum desk_notify_result out;

	pl_buf_init(&url, 2048);
	if ((out = notify__wechat_token(n, tok, sizeof(tok), m)) != DESK_NOTIFY_OK)
		goto out;
	json_object_foreach((json_t *)m->params, k, v)
		if (json_is_string(v))
			json_object_set_new(data, k, json_pack("{s:O}", "value", v));
	body = json_pack("{s:s, s:s, s:s, s:O}", "touser", m->address, "template_id",
			 desk__notify_get(n, "notify_wechat_template_id"), "client_msg_id",
			 m->dedupe_key, "data", data);
	text = pl_json_dump(body);
	pl_buf_printf(&url, "%s/cgi-bin/message/template/send?access_token=",
		      desk__notify_get(n, "notify_wechat_api"));
	desk_notify_aliyun_encode(&url, tok);
	const char *hdrs[] = { "Content-Type: application/json", NULL };
	if (!url.data || desk__notify_http(n, "POST", url.data, hdrs, text, &res)) {
		snprintf(m->error, sizeof(m->error), "wechat: %s", res.error);
		out = DESK_NOTIFY_RETRY;
		goto out;
	}
	if ((out = desk__notify_by_status(res.status)) != DESK_NOTIFY_OK) {
		snprintf(m->error, sizeof(m->error), "wechat: HTTP %ld", res.status);
		goto out;
	}
	j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	json_int_t code = json_integer_value(json_object_get(j, "errcode"));
	if (!j) {
		out = DESK_NOTIFY_RETRY;
		pl_strlcpy(m->error, "wechat: reply is not JSON", sizeof(m->error));
	} else if (code == 0) {
		json_int_t id = json_integer_value(json_object_get(j, "msgid"));
		snprintf(m->provider_id, sizeof(m->provider_id), "%lld", (long long)id);
	} else {
		if (code == 40001 || code == 42001 || code == 40014) {
			pthread_mutex_lock(&n->mu);
			n->wechat_token[0] = '\0';
			pthread_mutex_unlock(&n->mu);
		}
		out = (code == -1 || code == 40001 || code == 42001 || code == 40014 ||
		       code == 45009) ? DESK_NOTIFY_RETRY : DESK_NOTIFY_PERMANENT;
		snprintf(m->error, sizeof(m->error), "wechat: errcode %lld", (long long)code);
	}
out:
	OPENSSL_cleanse(tok, sizeof(tok));
	json_decref(j);
	json_decref(body);
	json_decref(data);
	free(text);
	pl_buf_release(&url);
	pl_buf_release(&res.body);
	return out;
}

const struct desk_notifier_ops desk__notify_wechat = { "wechat", notify__wechat_send };
