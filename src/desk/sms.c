/*
 * sms.c - the two SMS drivers and their request signatures (notify.h):
 *
 *   Aliyun dysmsapi 2017-05-25 SendSms, RPC style: form parameters plus
 *   Signature = base64(HMAC-SHA1(secret + "&", "POST&%2F&" +
 *   enc(sorted, encoded "k=v" pairs joined by "&"))), SignatureVersion 1.0.
 *   OutId carries the dedupe key.
 *
 *   Tencent Cloud sms 2021-01-11 SendSms: JSON body, API 3.0 signature
 *   TC3-HMAC-SHA256 over the canonical request (content-type;host),
 *   derived key HMAC chain TC3+key -> date -> service -> "tc3_request".
 *   SessionContext carries the dedupe key.
 *
 * Both gateways take template variables only (the message text is
 * approved in advance): a logical template maps to a provider template
 * code (notify_sms_templates), and the variables are the request number
 * and title, by name for Aliyun and in that order for Tencent.
 */
#include "desk/notify_int.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* -------------------------------------------------------------- signing */

int desk_notify_aliyun_encode(struct pl_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
		unsigned char ch = *p;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			rc = pl_buf_append(b, p, 1);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			rc = pl_buf_append(b, e, 3);
		}
	}
	return rc;
}

struct sms__kv {
	const char *k, *v;
};

static int sms__kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sms__kv *)a)->k, ((const struct sms__kv *)b)->k);
}

#define SMS_PARAMS_MAX 32

/* The canonicalised query "k=v&k=v" (sorted by key, each part encoded)
 * into q. */
static int sms__aliyun_query(const char *const *keys, const char *const *values, size_t n,
			     struct pl_buf *q)
{
	struct sms__kv kv[SMS_PARAMS_MAX];
	int rc = 0;

	if (n > SMS_PARAMS_MAX)
		return PL_ETOOBIG;
	for (size_t i = 0; i < n; i++)
		kv[i] = (struct sms__kv){ keys[i], values[i] };
	qsort(kv, n, sizeof(kv[0]), sms__kv_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i)
			rc = pl_buf_puts(q, "&");
		if (rc == 0)
			rc = desk_notify_aliyun_encode(q, kv[i].k);
		if (rc == 0)
			rc = pl_buf_puts(q, "=");
		if (rc == 0)
			rc = desk_notify_aliyun_encode(q, kv[i].v);
	}
	return rc;
}

int desk_notify_aliyun_sign(const char *method, const char *secret, const char *const *keys,
			    const char *const *values, size_t n, char *out, size_t outsz)
{
	struct pl_buf q, sts, key;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc;

	pl_buf_init(&q, 64u << 10);
	pl_buf_init(&sts, 200u << 10);
	pl_buf_init(&key, 1024);
	if ((rc = sms__aliyun_query(keys, values, n, &q)) ||
	    (rc = pl_buf_printf(&sts, "%s&%%2F&", method)) ||
	    (rc = desk_notify_aliyun_encode(&sts, q.data ? q.data : "")) ||
	    (rc = pl_buf_printf(&key, "%s&", secret)))
		goto out;
	HMAC(EVP_sha1(), key.data, (int)key.len, (const unsigned char *)sts.data, sts.len, md,
	     &mdlen);
	if (outsz < 4 * ((mdlen + 2) / 3) + 1) {
		rc = PL_ETOOBIG;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
out:
	if (key.data)
		OPENSSL_cleanse(key.data, key.len);
	pl_buf_release(&q);
	pl_buf_release(&sts);
	pl_buf_release(&key);
	return rc;
}

static void sms__sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	pl_hex(md, 32, out);
}

static void sms__hmac256(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int len = 0;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

int desk_notify_tc3_auth(const char *secret_id, const char *secret_key, const char *service,
			 const char *host, int64_t timestamp, const char *payload,
			 char *out, size_t outsz)
{
	char date[PL_TIME_STRLEN], phash[65], chash[65], sig[65];
	unsigned char kdate[32], kservice[32], ksigning[32], s[32];
	struct pl_buf canon, sts, k0;
	int rc;

	pl_time_format(timestamp * 1000, date);
	date[10] = '\0'; /* "YYYY-MM-DD" of the UTC day */
	pl_buf_init(&canon, 4096);
	pl_buf_init(&sts, 4096);
	pl_buf_init(&k0, 1024);
	sms__sha256_hex(payload, strlen(payload), phash);
	if ((rc = pl_buf_printf(&canon, "POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
				"host:%s\n\ncontent-type;host\n%s", host, phash)))
		goto out;
	sms__sha256_hex(canon.data, canon.len, chash);
	if ((rc = pl_buf_printf(&sts, "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s",
				(long long)timestamp, date, service, chash)) ||
	    (rc = pl_buf_printf(&k0, "TC3%s", secret_key)))
		goto out;
	sms__hmac256(k0.data, k0.len, date, kdate);
	sms__hmac256(kdate, 32, service, kservice);
	sms__hmac256(kservice, 32, "tc3_request", ksigning);
	sms__hmac256(ksigning, 32, sts.data, s);
	pl_hex(s, 32, sig);
	int w = snprintf(out, outsz, "TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, "
			 "SignedHeaders=content-type;host, Signature=%s", secret_id, date, service, sig);
	if (w < 0 || (size_t)w >= outsz)
		rc = PL_ETOOBIG;
out:
	if (k0.data)
		OPENSSL_cleanse(k0.data, k0.len);
	OPENSSL_cleanse(kdate, sizeof(kdate));
	OPENSSL_cleanse(kservice, sizeof(kservice));
	OPENSSL_cleanse(ksigning, sizeof(ksigning));
	pl_buf_release(&canon);
	pl_buf_release(&sts);
	pl_buf_release(&k0);
	return rc;
}

/* --------------------------------------------------------------- Aliyun */

static const char *sms__param(const json_t *params, const char *k)
{
	const char *v = pl_json_str(params, k);
	return v ? v : "";
}

static enum desk_notify_result sms__aliyun_send(void *ctx, struct desk_notify_msg *m)
{
	const struct desk_notify *n = ctx;
	struct desk__notify_reply res = { 0 };
	struct pl_buf form;
	char ts[PL_TIME_STRLEN], nonce[33], rnd[16], tpl[64], sig[64];
	char *tparam = pl_json_dump(m->params);
	json_t *j = NULL;
	enum desk_notify_result out = DESK_NOTIFY_RETRY;

	pl_time_format(pl_time_now_ms(), ts);
	memcpy(ts + 19, "Z", 2); /* ISO 8601 without milliseconds, as the API wants */
	pl_random(rnd, sizeof(rnd));
	pl_hex(rnd, sizeof(rnd), nonce);
	desk__notify_template(n, m->template_name, tpl, sizeof(tpl));
	const char *keys[] = {
		"AccessKeyId", "Action", "Format", "OutId", "PhoneNumbers", "RegionId", "SignName",
		"SignatureMethod", "SignatureNonce", "SignatureVersion", "TemplateCode",
		"TemplateParam", "Timestamp", "Version",
	};
	const char *vals[] = {
		desk__notify_get(n, "notify_aliyun_access_key_id"), "SendSms", "JSON", m->dedupe_key,
		m->address, desk__notify_get(n, "notify_aliyun_region"),
		desk__notify_get(n, "notify_aliyun_sign_name"), "HMAC-SHA1", nonce, "1.0", tpl,
		tparam, ts, "2017-05-25",
	};
	size_t np = sizeof(keys) / sizeof(keys[0]);

	pl_buf_init(&form, 64u << 10);
	if (desk_notify_aliyun_sign("POST", desk__notify_get(n, "notify_aliyun_access_key_secret"),
				    keys, vals, np, sig, sizeof(sig)) ||
	    sms__aliyun_query(keys, vals, np, &form) || pl_buf_puts(&form, "&Signature=") ||
	    desk_notify_aliyun_encode(&form, sig)) {
		out = DESK_NOTIFY_PERMANENT;
		pl_strlcpy(m->error, "aliyun: request too large", sizeof(m->error));
		goto out;
	}
	const char *hdrs[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	if (desk__notify_http(n, "POST", desk__notify_get(n, "notify_aliyun_url"), hdrs, form.data,
			      &res)) {
		snprintf(m->error, sizeof(m->error), "aliyun: %s", res.error);
		goto out;
	}
	j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	const char *code = pl_json_str(j, "Code");
	if (res.status == 200 && code && !strcmp(code, "OK")) {
		pl_strlcpy(m->provider_id, sms__param(j, "BizId"), sizeof(m->provider_id));
		out = DESK_NOTIFY_OK;
		goto out;
	}
	out = desk__notify_by_status(res.status);
	/* flow control is transient; a bad number or template is not */
	if (code && (strstr(code, "LIMIT_CONTROL") || !strcmp(code, "Throttling") ||
		     !strcmp(code, "ServiceUnavailable")))
		out = DESK_NOTIFY_RETRY;
	else if (out == DESK_NOTIFY_OK)
		out = DESK_NOTIFY_PERMANENT;
	snprintf(m->error, sizeof(m->error), "aliyun: HTTP %ld %.80s", res.status,
		 code ? code : "");
out:
	json_decref(j);
	free(tparam);
	pl_buf_release(&form);
	pl_buf_release(&res.body);
	return out;
}

const struct desk_notifier_ops desk__notify_aliyun = { "aliyun", sms__aliyun_send };

/* -------------------------------------------------------------- Tencent */

/* host[:port] of an http(s) URL into out. */
static int sms__host(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t len = strcspn(p, "/?#");
	if (len == 0 || len >= outsz)
		return PL_EINVAL;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static enum desk_notify_result sms__tencent_send(void *ctx, struct desk_notify_msg *m)
{
	const struct desk_notify *n = ctx;
	struct desk__notify_reply res = { 0 };
	const char *url = desk__notify_get(n, "notify_tencent_url");
	char host[256], tpl[64], auth[600], h_auth[700], h_host[300], h_ts[64], h_region[128];
	int64_t ts = pl_time_now_ms() / 1000;
	json_t *body = NULL, *j = NULL;
	char *text = NULL;
	enum desk_notify_result out = DESK_NOTIFY_PERMANENT;

	desk__notify_template(n, m->template_name, tpl, sizeof(tpl));
	/* positional variables: the params' string values in their order */
	json_t *set = json_array();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)m->params, k, v)
		if (json_is_string(v))
			json_array_append(set, v);
	body = json_pack("{s:[s], s:s, s:s, s:s, s:o, s:s}",
			 "PhoneNumberSet", m->address,
			 "SmsSdkAppId", desk__notify_get(n, "notify_tencent_sdk_app_id"),
			 "SignName", desk__notify_get(n, "notify_tencent_sign_name"),
			 "TemplateId", tpl,
			 "TemplateParamSet", set,
			 "SessionContext", m->dedupe_key);
	text = body ? pl_json_dump(body) : NULL;
	if (!text || sms__host(url, host, sizeof(host)) ||
	    desk_notify_tc3_auth(desk__notify_get(n, "notify_tencent_secret_id"),
				 desk__notify_get(n, "notify_tencent_secret_key"), "sms", host, ts,
				 text, auth, sizeof(auth))) {
		pl_strlcpy(m->error, "tencent: cannot build the request", sizeof(m->error));
		goto out;
	}
	snprintf(h_auth, sizeof(h_auth), "Authorization: %s", auth);
	snprintf(h_host, sizeof(h_host), "Host: %s", host);
	snprintf(h_ts, sizeof(h_ts), "X-TC-Timestamp: %lld", (long long)ts);
	snprintf(h_region, sizeof(h_region), "X-TC-Region: %s",
		 desk__notify_get(n, "notify_tencent_region"));
	const char *hdrs[] = {
		"Content-Type: application/json; charset=utf-8", h_auth, h_host, h_ts, h_region,
		"X-TC-Action: SendSms", "X-TC-Version: 2021-01-11", NULL,
	};
	if (desk__notify_http(n, "POST", url, hdrs, text, &res)) {
		snprintf(m->error, sizeof(m->error), "tencent: %s", res.error);
		out = DESK_NOTIFY_RETRY;
		goto out;
	}
	if ((out = desk__notify_by_status(res.status)) != DESK_NOTIFY_OK) {
		snprintf(m->error, sizeof(m->error), "tencent: HTTP %ld", res.status);
		goto out;
	}
	/* API 3.0 answers 200 with Response.Error on failure */
	j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	json_t *r = json_object_get(j, "Response");
	const char *ecode = pl_json_str(json_object_get(r, "Error"), "Code");
	json_t *st = json_array_get(json_object_get(r, "SendStatusSet"), 0);
	const char *scode = pl_json_str(st, "Code");
	if (!ecode && scode && !strcmp(scode, "Ok")) {
		pl_strlcpy(m->provider_id, sms__param(st, "SerialNo"), sizeof(m->provider_id));
		goto out;
	}
	const char *code = ecode ? ecode : scode ? scode : "no status";
	out = (strstr(code, "LimitExceeded") || strstr(code, "InternalError") ||
	       strstr(code, "RequestLimitExceeded")) ? DESK_NOTIFY_RETRY : DESK_NOTIFY_PERMANENT;
	snprintf(m->error, sizeof(m->error), "tencent: %.120s", code);
out:
	json_decref(j);
	json_decref(body);
	free(text);
	pl_buf_release(&res.body);
	return out;
}

const struct desk_notifier_ops desk__notify_tencent = { "tencent", sms__tencent_send };
