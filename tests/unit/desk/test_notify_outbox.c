/* test_notify_outbox.c - the notification outbox and inbound SMS
 * (src/desk/outbox.c) on SQLite and PostgreSQL (tests/unit/support/
 * store_env.h), sending through the real drivers over libcurl to the fake
 * provider tests/fakes/notify-fake.mjs, which this test starts on a free
 * loopback port. The fake verifies every signature with its own
 * implementation and counts deliveries per idempotency key, so these tests
 * check the wire format, the retry and dead paths and the exactly-once
 * claim (a row resent after a lost mark-sent is delivered once). The clock
 * is injected (now_ms), so backoff is checked without sleeping.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "desk/notify.h"
#include "desk/repo.h"
#include "support/store_env.h"
#include "support/fixtures.h"

/* 2026-11-25T02:00:00Z = 10:00 Beijing, a working day */
#define T0 1795572000000LL
#define MIN 60000LL

/* ------------------------------------------------------------ the fake */

struct fake {
	pid_t pid;
	int port;
};

static void fake_start(struct fake *f)
{
	int fd[2];
	cr_assert_eq(pipe(fd), 0);
	f->pid = fork();
	cr_assert_neq(f->pid, -1);
	if (f->pid == 0) {
		/* a failed assertion ends the test without fx_close: the fake
		 * must not outlive it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execlp("node", "node", "tests/fakes/notify-fake.mjs", "--port", "0", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	FILE *in = fdopen(fd[0], "r");
	char line[200] = "";
	cr_assert_not_null(fgets(line, sizeof(line), in), "the fake provider did not start");
	fclose(in);
	cr_assert_eq(sscanf(line, "notify-fake: listening on %d", &f->port), 1, "%s", line);
}

static void fake_stop(struct fake *f)
{
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
}

static size_t fake_write(char *p, size_t s, size_t n, void *ud)
{
	pl_buf_append(ud, p, s * n);
	return s * n;
}

/* GET /_stats or POST /_config; *out a new JSON reference. */
static json_t *fake_call(struct fake *f, const char *path, const char *post)
{
	char url[128];
	struct pl_buf b;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
	pl_buf_init(&b, 1u << 20);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fake_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (post)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
	cr_assert_eq(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	json_t *j = json_loadb(b.data, b.len, 0, NULL);
	pl_buf_release(&b);
	cr_assert_not_null(j);
	return j;
}

/* ------------------------------------------------------------ fixture */

struct fx {
	struct tenv t;
	struct auth *a;
	struct desk_svc *svc;
	struct desk_notify *n;
	struct fake fk;
	char ent1[PL_ID_LEN + 1], spec1[PL_ID_LEN + 1], admin[PL_ID_LEN + 1];
	struct auth_principal p_ent1, p_spec1;
};

static void user_id(struct fx *f, const char *name, char out[PL_ID_LEN + 1],
		    struct auth_principal *p)
{
	json_t *u = NULL;
	enum auth_role role;
	cr_assert_eq(auth_user_get(f->a, name, &u), 0);
	pl_strlcpy(out, pl_json_str(u, "id"), PL_ID_LEN + 1);
	if (p) {
		memset(p, 0, sizeof(*p));
		pl_strlcpy(p->user_id, out, sizeof(p->user_id));
		pl_strlcpy(p->name, name, sizeof(p->name));
		cr_assert_eq(auth_role_parse(pl_json_str(u, "role"), &role), 0);
		p->role = role;
		if (pl_json_str(u, "enterprise_id"))
			pl_strlcpy(p->enterprise_id, pl_json_str(u, "enterprise_id"),
				   sizeof(p->enterprise_id));
	}
	json_decref(u);
}

/* The notifier settings pointing every provider at the fake. sms: the SMS
 * provider ("aliyun", "tencent" or ""); secret_ok false: a wrong Aliyun
 * secret (the fake refuses the signature). */
static void fx_notify(struct fx *f, const char *sms, bool secret_ok)
{
	char path[160], err[300] = "";
	snprintf(path, sizeof(path), "/tmp/pl-notify-%d.conf", (int)getpid());
	FILE *o = fopen(path, "w");
	cr_assert_not_null(o);
	fprintf(o,
		"notify_sms_provider = %s\n"
		"notify_sms_templates = request.dispatched=SMS_100,request.resolved=SMS_101\n"
		"notify_aliyun_url = http://127.0.0.1:%d/aliyun/\n"
		"notify_aliyun_access_key_id = testId\n"
		"notify_aliyun_access_key_secret = %s\n"
		"notify_aliyun_sign_name = 园区服务\n"
		"notify_tencent_url = http://127.0.0.1:%d/tencent/\n"
		"notify_tencent_secret_id = AKIDtest\n"
		"notify_tencent_secret_key = tencentTestKey\n"
		"notify_tencent_sdk_app_id = 1400000000\n"
		"notify_tencent_sign_name = 园区服务\n"
		"notify_wechat_api = http://127.0.0.1:%d/wechat\n"
		"notify_wechat_app_id = wxtestappid\n"
		"notify_wechat_app_secret = wechatTestSecret\n"
		"notify_wechat_template_id = TPL1\n"
		"notify_webhook_url = http://127.0.0.1:%d/webhook\n"
		"notify_webhook_secret = webhookTestSecret\n"
		"notify_inbound_sms_secret = in-secret\n"
		"notify_timeout_ms = 3000\n"
		"notify_lease_ms = 10000\n"
		"notify_max_attempts = 3\n"
		"notify_backoff_base_ms = 60000\n"
		"notify_backoff_max_ms = 600000\n",
		sms, f->fk.port, secret_ok ? "testSecret" : "wrongSecret", f->fk.port, f->fk.port,
		f->fk.port);
	fclose(o);
	desk_notify_free(f->n);
	f->n = NULL;
	cr_assert_eq(desk_notify_new(path, NULL, &f->n, err, sizeof(err)), 0, "%s", err);
	unlink(path);
}

static bool fx_open(struct fx *f, bool pg)
{
	char why[300] = "";
	memset(f, 0, sizeof(*f));
	if (!tenv_open(&f->t, pg, "notify"))
		return false;
	f->a = tfx_auth_demo(f->t.st);
	user_id(f, "ent1", f->spec1, &f->p_ent1); /* overwritten below; fills p_ent1 */
	pl_strlcpy(f->ent1, f->p_ent1.enterprise_id, sizeof(f->ent1));
	user_id(f, "specialist1", f->spec1, &f->p_spec1);
	user_id(f, "admin", f->admin, NULL);
	cr_assert_eq(desk_svc_new("data/calendar", NULL, &f->svc, why, sizeof(why)), 0, "%s", why);
	fake_start(&f->fk);
	fx_notify(f, "aliyun", true);
	/* addresses: the specialist by SMS and WeChat, the enterprise's
	 * contact number, and the admin as the specialist's leader */
	cr_assert_eq(desk_notify_contact_set(f->t.c, f->spec1, "138 0013 8000", "o-spec1-openid",
					     f->admin), 0);
	cr_assert_eq(desk_notify_contact_set(f->t.c, f->admin, "+86 139 0000 0001", NULL, NULL), 0);
	struct store_param p[] = { SP_TEXT("0086-13700137000"), SP_TEXT(f->ent1) };
	cr_assert_eq(store_exec(f->t.c, "UPDATE enterprises SET contact_phone = ? WHERE id = ?", p,
				2, NULL), 0);
	return true;
}

static void fx_close(struct fx *f)
{
	fake_stop(&f->fk);
	desk_notify_free(f->n);
	desk_svc_free(f->svc);
	auth_free(f->a);
	tenv_close(&f->t);
}

static int64_t count(struct fx *f, const char *where)
{
	char sql[400];
	json_t *row = NULL;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) AS n FROM notify_outbox WHERE %s", where);
	cr_assert_eq(store_query_one(f->t.c, sql, NULL, 0, &row), 0, "%s", sql);
	int64_t n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n;
}

/* A request raised by ent1 (auto-dispatched to specialist1). */
static void raise_request(struct fx *f, int64_t now, char id[PL_ID_LEN + 1], bool commit)
{
	struct desk_actor a = { .p = &f->p_ent1 };
	struct desk_request_new in = { .channel = "web", .category = "consult", .urgency = "normal",
				       .title = "路灯不亮", .description = "园区东路路灯不亮" };
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	cr_assert_eq(store_begin(f->t.c), 0);
	cr_assert_eq(desk_request_create(f->svc, f->t.c, &a, &in, now, &o, &e), 0, "%s", e.text);
	if (commit)
		cr_assert_eq(store_commit(f->t.c), 0);
	else
		cr_assert_eq(store_rollback(f->t.c), 0);
	pl_strlcpy(id, pl_json_str(o, "id"), PL_ID_LEN + 1);
	json_decref(o);
}

static void act(struct fx *f, const char *id, struct auth_principal *p, const char *action,
		int64_t now)
{
	struct desk_actor a = { .p = p };
	struct desk_action_in in = { .action = action, .resolution = "已修复" };
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	cr_assert_eq(store_begin(f->t.c), 0);
	cr_assert_eq(desk_request_act(f->svc, f->t.c, &a, id, &in, now, &o, &e), 0, "%s: %s",
		     action, e.text);
	cr_assert_eq(store_commit(f->t.c), 0);
	json_decref(o);
}

static struct desk_outbox_policy policy(void)
{
	return (struct desk_outbox_policy){ .lease_ms = 10000, .max_attempts = 3,
					    .backoff_base_ms = MIN, .backoff_max_ms = 10 * MIN,
					    .limit = 50 };
}

/* ---------------------------------------------------------------- tests */

/* Events queue the right rows, once, in the event's transaction. */
TENV_TEST_OPTS(notify_outbox, events_queue_rows, .timeout = 60)
{
	struct fx f;
	if (!fx_open(&f, d->pg))
		return;
	char id[PL_ID_LEN + 1], where[200];

	/* rolled back: the event did not happen, nothing is queued */
	raise_request(&f, T0, id, false);
	cr_expect_eq(count(&f, "1 = 1"), 0);

	raise_request(&f, T0, id, true);
	snprintf(where, sizeof(where), "request_id = '%s' AND event = 'request.dispatched'", id);
	cr_expect_eq(count(&f, where), 3, "sms + wechat + webhook to the specialist");
	snprintf(where, sizeof(where), "request_id = '%s' AND channel = 'sms' AND "
		 "address = '+8613800138000' AND recipient_kind = 'specialist'", id);
	cr_expect_eq(count(&f, where), 1, "the phone is normalised to E.164");

	/* the hook again for the same event: no duplicates (dedupe key) */
	cr_assert_eq(store_begin(f.t.c), 0);
	cr_assert_eq(desk_outbox_on_event(f.t.c, id, 2, "dispatch", "2026-11-25T02:00:00.000Z"), 0);
	cr_assert_eq(store_commit(f.t.c), 0);
	snprintf(where, sizeof(where), "request_id = '%s'", id);
	cr_expect_eq(count(&f, where), 3);

	/* actions that notify nobody add nothing */
	act(&f, id, &f.p_spec1, "accept", T0 + MIN);
	act(&f, id, &f.p_spec1, "start", T0 + MIN + 1000);
	cr_expect_eq(count(&f, where), 3);

	/* resolved: the enterprise's contact number and the webhook */
	act(&f, id, &f.p_spec1, "resolve", T0 + 2 * MIN);
	snprintf(where, sizeof(where), "request_id = '%s' AND event = 'request.resolved' AND "
		 "recipient_kind = 'enterprise'", id);
	cr_expect_eq(count(&f, where), 2);
	snprintf(where, sizeof(where), "request_id = '%s' AND event = 'request.resolved' AND "
		 "channel = 'sms' AND address = '+8613700137000'", id);
	cr_expect_eq(count(&f, where), 1);

	/* overdue escalation: the specialist's leader (the admin) */
	char id2[PL_ID_LEN + 1];
	raise_request(&f, T0, id2, true);
	int n = 0;
	cr_assert_eq(store_begin(f.t.c), 0);
	cr_assert_eq(desk_escalate_overdue(f.t.c, T0 + 30LL * 24 * 60 * MIN, &n), 0);
	cr_assert_eq(store_commit(f.t.c), 0);
	cr_expect_geq(n, 1);
	snprintf(where, sizeof(where), "request_id = '%s' AND event = 'request.escalated' AND "
		 "recipient_kind = 'leader' AND recipient_id = '%s'", id2, f.admin);
	cr_expect_eq(count(&f, where), 2, "leader by SMS and webhook");

	/* a replacement carried out: the enterprise's contact hears of the new
	 * specialist, once however often the hook runs */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(store_begin(f.t.c), 0);
		cr_assert_eq(desk_outbox_on_replacement(f.t.c, "01REPLACEMENT0000000000000", f.ent1,
							f.spec1, "2026-11-25T03:00:00.000Z"), 0);
		cr_assert_eq(store_commit(f.t.c), 0);
	}
	cr_expect_eq(count(&f, "event = 'enterprise.reassigned' AND request_id IS NULL"), 2);
	cr_expect_eq(count(&f, "event = 'enterprise.reassigned' AND channel = 'sms' AND "
			   "address = '+8613700137000' AND params_json LIKE '%Specialist One%'"), 1);

	/* the list: newest first, filtered, states checked */
	json_t *l = NULL;
	cr_assert_eq(desk_outbox_list(f.t.c, "pending", id, 50, 0, &l), 0);
	cr_expect_eq(json_integer_value(json_object_get(l, "total")), 5);
	cr_expect_eq(json_array_size(json_object_get(l, "items")), 5);
	json_decref(l);
	cr_expect_eq(desk_outbox_list(f.t.c, "bogus", NULL, 50, 0, &l), PL_EINVAL);
	cr_expect_eq(desk_outbox_list(f.t.c, NULL, NULL, 0, 0, &l), PL_EINVAL);
	fx_close(&f);
}

/* A pass delivers every row once through each driver (the fake checks each
 * signature), and a resend after a lost mark-sent is not delivered again. */
TENV_TEST_OPTS(notify_outbox, send_exactly_once, .timeout = 60)
{
	static const char *const providers[] = { "aliyun", "tencent" };
	for (size_t k = 0; k < 2; k++) {
		struct fx f;
		if (!fx_open(&f, d->pg))
			return;
		fx_notify(&f, providers[k], true);
		char id[PL_ID_LEN + 1];
		raise_request(&f, T0, id, true);
		struct desk_outbox_policy pol = policy();
		int sent = 0, failed = 0;
		cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, T0 + 1000, &sent, &failed), 0);
		cr_expect_eq(sent, 3, "%s: sent %d failed %d", providers[k], sent, failed);
		cr_expect_eq(count(&f, "state = 'sent' AND provider_id IS NOT NULL OR "
				   "(state = 'sent' AND channel = 'webhook')"), 3);
		json_t *st = fake_call(&f.fk, "/_stats", NULL);
		cr_expect_eq(json_object_size(json_object_get(st, "delivered")), 3);
		cr_expect_eq(json_integer_value(json_object_get(st, "rejected")), 0);
		json_decref(st);

		/* crash between send and mark-sent: the row is back to
		 * 'sending' under a lease that ran out; the next pass resends it
		 * with the same key and the provider drops the duplicate */
		cr_assert_eq(store_exec(f.t.c, "UPDATE notify_outbox SET state = 'sending', "
					"lease_until = '2026-11-25T02:00:01.000Z' WHERE channel = 'sms'",
					NULL, 0, NULL), 0);
		cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, T0 + 20000, &sent, &failed), 0);
		cr_expect_eq(sent, 1);
		st = fake_call(&f.fk, "/_stats", NULL);
		cr_expect_eq(json_object_size(json_object_get(st, "delivered")), 3,
			     "still three messages delivered");
		size_t twice = 0;
		const char *key;
		json_t *v;
		json_object_foreach(json_object_get(st, "attempts"), key, v)
			twice += json_integer_value(v) == 2;
		cr_expect_eq(twice, 1, "the SMS was sent twice and delivered once");
		json_decref(st);
		/* nothing left to do */
		cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, T0 + 30000, &sent, &failed), 0);
		cr_expect_eq(sent + failed, 0);
		fx_close(&f);
	}
}

/* Transient failures back off and retry, permanent ones and the last
 * attempt are dead, an unconfigured channel is skipped. */
TENV_TEST_OPTS(notify_outbox, retry_backoff_dead_skipped, .timeout = 60)
{
	struct fx f;
	if (!fx_open(&f, d->pg))
		return;
	char id[PL_ID_LEN + 1];
	raise_request(&f, T0, id, true);
	struct desk_outbox_policy pol = policy();
	int sent = 0, failed = 0;
	json_decref(fake_call(&f.fk, "/_config", "{\"fail_first\":1}"));

	/* every first attempt gets 503: all three back to pending */
	cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, T0, &sent, &failed), 0);
	cr_expect_eq(sent, 0);
	cr_expect_eq(failed, 3);
	cr_expect_eq(count(&f, "state = 'pending' AND attempts = 1 AND last_error IS NOT NULL"), 3);
	/* not due yet: next_at is at least half the base backoff after now */
	cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, pl_time_now_ms() + MIN / 2 - 2000,
				      &sent, &failed), 0);
	cr_expect_eq(sent + failed, 0);
	/* due after the backoff: delivered */
	cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, pl_time_now_ms() + MIN + 1000,
				      &sent, &failed), 0);
	cr_expect_eq(sent, 3);
	cr_expect_eq(count(&f, "state = 'sent' AND attempts = 2"), 3);

	/* always failing: dead after max_attempts (3) */
	json_decref(fake_call(&f.fk, "/_config", "{\"fail_first\":100}"));
	char id2[PL_ID_LEN + 1], where[200];
	raise_request(&f, T0, id2, true);
	int64_t t = pl_time_now_ms();
	for (int i = 0; i < 3; i++, t += 20 * MIN)
		cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, t, &sent, &failed), 0);
	snprintf(where, sizeof(where), "request_id = '%s' AND state = 'dead' AND attempts = 3", id2);
	cr_expect_eq(count(&f, where), 3);

	/* a wrong secret: the fake refuses the signature (400) - dead at once */
	json_decref(fake_call(&f.fk, "/_config", "{\"fail_first\":0}"));
	fx_notify(&f, "aliyun", false);
	char id3[PL_ID_LEN + 1];
	raise_request(&f, T0, id3, true);
	cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, pl_time_now_ms(), &sent, &failed), 0);
	snprintf(where, sizeof(where), "request_id = '%s' AND channel = 'sms' AND state = 'dead' "
		 "AND attempts = 1", id3);
	cr_expect_eq(count(&f, where), 1);

	/* no SMS provider configured: the SMS row is skipped, the rest sent */
	fx_notify(&f, "", true);
	char id4[PL_ID_LEN + 1];
	raise_request(&f, T0, id4, true);
	cr_assert_eq(desk_outbox_pass(f.t.st, f.n, &pol, pl_time_now_ms(), &sent, &failed), 0);
	snprintf(where, sizeof(where), "request_id = '%s' AND channel = 'sms' AND state = 'skipped'",
		 id4);
	cr_expect_eq(count(&f, where), 1);
	snprintf(where, sizeof(where), "request_id = '%s' AND state = 'sent'", id4);
	cr_expect_eq(count(&f, where), 2);
	fx_close(&f);
}

/* Inbound SMS: the contact number opens a request, a second message joins
 * it, a replay is a duplicate, strangers and bad input change nothing. */
TENV_TEST_OPTS(notify_inbound, sms_opens_or_joins, .timeout = 60)
{
	struct fx f;
	if (!fx_open(&f, d->pg))
		return;
	static const struct {
		const char *mid, *from, *text;
		int rc;
		const char *result; /* NULL: an error */
	} cases[] = {
		{ "m1", "13700137000", "食堂燃气压力低，请尽快处理", 0, "created" },
		{ "m1", "13700137000", "食堂燃气压力低，请尽快处理", 0, "duplicate" },
		{ "m2", "+86 137 0013 7000", "补充：三号楼", 0, "appended" },
		{ "m3", "13911112222", "我是谁", 0, "unknown_sender" },
		{ "m4", "12345", "x", PL_EINVAL, NULL },
		{ "m5", "13700137000", "", PL_EINVAL, NULL },
		{ "m6", "13700137000", "bad\x01text", PL_EINVAL, NULL },
		{ "", "13700137000", "x", PL_EINVAL, NULL },
	};
	char first[PL_ID_LEN + 1] = "";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *o = NULL;
		char err[400];
		cr_assert_eq(store_begin(f.t.c), 0);
		int rc = desk_notify_inbound_sms(f.svc, f.t.c, "generic", cases[i].mid, cases[i].from,
						 cases[i].text, T0 + (int64_t)i * MIN, &o, err,
						 sizeof(err));
		if (rc == 0)
			cr_assert_eq(store_commit(f.t.c), 0);
		else
			store_rollback(f.t.c);
		cr_expect_eq(rc, cases[i].rc, "case %zu: %d %s", i, rc, err);
		if (cases[i].result) {
			cr_expect_str_eq(pl_json_str(o, "result"), cases[i].result, "case %zu", i);
			const char *rid = pl_json_str(o, "request_id");
			if (i == 0)
				pl_strlcpy(first, rid, sizeof(first));
			else if (strcmp(cases[i].result, "unknown_sender"))
				cr_expect_str_eq(rid ? rid : "", first, "case %zu", i);
		} else {
			cr_expect(err[0] != '\0', "case %zu names the problem", i);
		}
		json_decref(o);
	}
	/* one SMS request, on ent1, dispatched to its specialist */
	json_t *row = NULL;
	struct store_param p[] = { SP_TEXT(first) };
	cr_assert_eq(store_query_one(f.t.c, "SELECT enterprise_id, channel, state FROM requests "
				     "WHERE id = ?", p, 1, &row), 0);
	cr_expect_str_eq(pl_json_str(row, "enterprise_id"), f.ent1);
	cr_expect_str_eq(pl_json_str(row, "channel"), "sms");
	cr_expect_str_eq(pl_json_str(row, "state"), "dispatched");
	json_decref(row);
	cr_assert_eq(store_query_one(f.t.c, "SELECT COUNT(*) AS n FROM requests WHERE channel = "
				     "'sms'", NULL, 0, &row), 0);
	cr_expect_eq(json_integer_value(json_object_get(row, "n")), 1);
	json_decref(row);
	fx_close(&f);
}
