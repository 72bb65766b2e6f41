/* test_notify.c - the notifiers' pure parts (src/desk/sms.c, notify.c,
 * outbox.c): request signatures against the providers' published
 * examples, the HMAC helpers against RFC 4231, and the retry backoff as a
 * table.
 *
 * Vectors:
 *  - Aliyun: the SendSms RPC example of the Aliyun SMS signature document
 *    (help.aliyun.com, 短信服务 > 签名机制: AccessKeyId testId, secret
 *    testSecret, GET) whose Signature is zJDF+Lrzhj/ThnlvIToysFRq6t4=.
 *  - Tencent: the API 3.0 signature document's CVM DescribeInstances
 *    example (SecretId AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE, SecretKey
 *    Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, timestamp 1551113065), signature
 *    72e494ea...5168; checked again here with an independent Python
 *    implementation when the test was written.
 *  - HMAC-SHA256: RFC 4231 test case 2.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desk/notify.h"

Test(notify_sign, aliyun_published_example)
{
	const char *keys[] = {
		"AccessKeyId", "Action", "Format", "OutId", "PhoneNumbers", "RegionId", "SignName",
		"SignatureMethod", "SignatureNonce", "SignatureVersion", "TemplateCode",
		"TemplateParam", "Timestamp", "Version",
	};
	const char *vals[] = {
		"testId", "SendSms", "XML", "123", "15300000001", "cn-hangzhou", "阿里云短信测试专用",
		"HMAC-SHA1", "45e25e9b-0a6f-4070-8c85-2956eda1b466", "1.0", "SMS_71390007",
		"{\"customer\":\"test\"}", "2017-07-12T02:42:19Z", "2017-05-25",
	};
	char sig[64];
	cr_assert_eq(desk_notify_aliyun_sign("GET", "testSecret", keys, vals, 14, sig, sizeof(sig)), 0);
	cr_expect_str_eq(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	/* the order given does not matter: the parameters are sorted */
	const char *rk[14], *rv[14];
	for (int i = 0; i < 14; i++) {
		rk[i] = keys[13 - i];
		rv[i] = vals[13 - i];
	}
	cr_assert_eq(desk_notify_aliyun_sign("GET", "testSecret", rk, rv, 14, sig, sizeof(sig)), 0);
	cr_expect_str_eq(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	/* a different secret or method gives another signature */
	cr_assert_eq(desk_notify_aliyun_sign("POST", "testSecret", keys, vals, 14, sig, sizeof(sig)), 0);
	cr_expect_str_neq(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	cr_assert_eq(desk_notify_aliyun_sign("GET", "testSecreT", keys, vals, 14, sig, sizeof(sig)), 0);
	cr_expect_str_neq(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	/* too small an output buffer is refused, not overrun */
	cr_expect_eq(desk_notify_aliyun_sign("GET", "testSecret", keys, vals, 14, sig, 10),
		     PL_ETOOBIG);
}

Test(notify_sign, aliyun_percent_encoding)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "abcXYZ019-_.~", "abcXYZ019-_.~" },  /* unreserved stay */
		{ "a b", "a%20b" },                     /* space is %20, never + */
		{ "*", "%2A" },
		{ "+/=&", "%2B%2F%3D%26" },
		{ "阿", "%E9%98%BF" },                    /* UTF-8 bytes, upper-case hex */
		{ "{\"k\":1}", "%7B%22k%22%3A1%7D" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pl_buf b;
		pl_buf_init(&b, 1024);
		cr_assert_eq(desk_notify_aliyun_encode(&b, cases[i].in), 0);
		cr_expect_str_eq(b.data ? b.data : "", cases[i].out, "case %zu", i);
		pl_buf_release(&b);
	}
}

Test(notify_sign, tencent_tc3_published_example)
{
	char auth[600];
	const char *payload = "{\"Limit\": 1, \"Filters\": [{\"Values\": "
			      "[\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
	cr_assert_eq(desk_notify_tc3_auth("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
					  "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm",
					  "cvm.tencentcloudapi.com", 1551113065, payload, auth,
					  sizeof(auth)), 0);
	cr_expect_str_eq(auth, "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/"
			 "2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, "
			 "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
	/* the payload is signed: one byte changes the signature */
	cr_assert_eq(desk_notify_tc3_auth("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
					  "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm",
					  "cvm.tencentcloudapi.com", 1551113065, "{}", auth,
					  sizeof(auth)), 0);
	cr_expect_null(strstr(auth, "72e494ea"));
	/* a buffer too small for the header is refused */
	cr_expect_eq(desk_notify_tc3_auth("id", "key", "sms", "h", 1551113065, "{}", auth, 50),
		     PL_ETOOBIG);
}

Test(notify_sign, hmac_rfc4231_and_verify)
{
	char hex[65];
	desk_notify_hmac_hex("Jefe", "what do ya want for nothing?", 28, hex);
	cr_expect_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	const char *body = "{\"message_id\":\"m1\"}";
	char good[80];
	desk_notify_hmac_hex("s3cret", body, strlen(body), hex);
	snprintf(good, sizeof(good), "sha256=%s", hex);
	char flipped[80];
	memcpy(flipped, good, sizeof(flipped));
	flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
	static const struct { const char *secret; int hdr; bool ok; } cases[] = {
		{ "s3cret", 0, true },
		{ "s3cret", 1, false },   /* one hex digit changed */
		{ "other", 0, false },    /* wrong secret */
		{ "", 0, false },         /* no secret configured: never valid */
		{ "s3cret", 2, false },   /* no header */
		{ "s3cret", 3, false },   /* hex without the sha256= prefix */
		{ "s3cret", 4, false },   /* truncated */
	};
	const char *hdrs[] = { good, flipped, NULL, good + 7, "sha256=abc" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(desk_notify_hmac_verify(cases[i].secret, body, strlen(body),
						     hdrs[cases[i].hdr]), cases[i].ok, "case %zu", i);
}

Test(notify_outbox, backoff_table)
{
	static const struct {
		int attempt;
		int64_t base, max;
		double jitter;
		int64_t want;
	} cases[] = {
		{ 1, 1000, 60000, 1.0, 1000 },     /* first retry: the base */
		{ 1, 1000, 60000, 0.0, 500 },      /* equal jitter: at least half */
		{ 2, 1000, 60000, 1.0, 2000 },
		{ 3, 1000, 60000, 1.0, 4000 },
		{ 4, 1000, 60000, 0.5, 6000 },     /* 8000: 4000 + half of 4000 */
		{ 7, 1000, 60000, 1.0, 60000 },    /* 64000 capped */
		{ 100, 1000, 60000, 1.0, 60000 },  /* no overflow far out */
		{ 100, 1000, 60000, 0.0, 30000 },
		{ 0, 1000, 60000, 1.0, 1000 },     /* attempt < 1 counts as 1 */
		{ 2, 1000, 60000, 7.0, 2000 },     /* jitter clamped to 0..1 */
		{ 2, 1000, 60000, -1.0, 1000 },
		{ 60, INT64_MAX / 4, INT64_MAX, 1.0, INT64_MAX },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(desk_outbox_backoff_ms(cases[i].attempt, cases[i].base, cases[i].max,
						    cases[i].jitter), cases[i].want,
			     "case %zu: got %lld", i,
			     (long long)desk_outbox_backoff_ms(cases[i].attempt, cases[i].base,
							       cases[i].max, cases[i].jitter));
}

Test(notify_config, settings_are_checked)
{
	static const struct { const char *text; int rc; const char *why; } cases[] = {
		{ "", 0, NULL },
		{ "notify_sms_provider = aliyun\n", 0, NULL },
		{ "notify_sms_provider = twilio\n", PL_EINVAL, "notify_sms_provider" },
		{ "notify_timeout_ms = 5\n", PL_EINVAL, "notify_timeout_ms" },
		{ "notify_timeout_ms = 40000\nnotify_lease_ms = 60000\n", PL_EINVAL, "twice" },
		{ "notify_max_attempts = 0\n", PL_EINVAL, "notify_max_attempts" },
		{ "no_such_key = 1\n", PL_EINVAL, NULL },
	};
	char dir[] = "/tmp/pl-notifycfg-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/notify.conf", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs(cases[i].text, f);
		fclose(f);
		struct desk_notify *n = NULL;
		char err[300] = "";
		int rc = desk_notify_new(path, NULL, &n, err, sizeof(err));
		cr_expect_eq(rc, cases[i].rc, "case %zu: %d (%s)", i, rc, err);
		if (cases[i].why)
			cr_expect_not_null(strstr(err, cases[i].why), "case %zu: %s", i, err);
		if (rc == 0) {
			cr_expect_not_null(n);
			const struct desk_notifier_ops *ops;
			void *ctx;
			bool sms = strstr(cases[i].text, "aliyun") != NULL;
			cr_expect_eq(desk_notify_driver(n, "sms", &ops, &ctx), sms ? 0 : PL_ENOTFOUND);
			if (sms)
				cr_expect_str_eq(ops->name, "aliyun");
			cr_expect_eq(desk_notify_driver(n, "webhook", &ops, &ctx), PL_ENOTFOUND);
		}
		desk_notify_free(n);
	}
	/* the environment overrides the file */
	char *envp[] = { "PARKLINE_NOTIFY_SMS_PROVIDER=tencent", NULL };
	struct desk_notify *n = NULL;
	char err[300] = "";
	cr_assert_eq(desk_notify_new(NULL, envp, &n, err, sizeof(err)), 0, "%s", err);
	const struct desk_notifier_ops *ops;
	void *ctx;
	cr_assert_eq(desk_notify_driver(n, "sms", &ops, &ctx), 0);
	cr_expect_str_eq(ops->name, "tencent");
	desk_notify_free(n);
	unlink(path);
	rmdir(dir);
}
