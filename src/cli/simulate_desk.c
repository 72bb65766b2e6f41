/*
 * simulate_desk.c - `parkline simulate desk`: keeps the demo park's service
 * desk moving by driving the real HTTP API as the demo accounts, the way a
 * browser would (session cookie + X-CSRF-Token header on writes, see
 * src/http/api_auth.c and docs/http.md). It is a client only: every change
 * goes through the same routes, checks, history and audit as a person's.
 *
 * NOTES ON THE DESIGN
 * 1. Actors: ent1 / ent2 (enterprise users) raise requests through the
 *    web, phone and WeChat channels with realistic Chinese texts and rate
 *    resolved ones (mostly 满意, now and then 基本满意 or 不满意; after a
 *    不满意 the enterprise asks for another specialist); specialist1 /
 *    specialist2 accept (签收), start (办理) and resolve (办结) the requests
 *    dispatched to them; admin assigns a pending replacement to the other
 *    demo specialist. One session (libcurl easy handle with its own cookie
 *    jar in memory) per actor, logged in when the actor first acts and
 *    again after a 401. Logging in lazily matters at demo start: each
 *    login is an Argon2id verification (seconds of CPU on a busy 2-core
 *    machine), so the first request is raised after one login, not five.
 * 2. Pace: one action per tick, --rate ticks per minute. A tick picks,
 *    from the seeded random stream, either "raise a request" or an order in
 *    which the other actors look for work; the first that finds something
 *    acts. When nobody has work a request is raised, so every tick changes
 *    the desk. The very first tick runs at once and raises a request as
 *    ent1, so a fresh demo shows a moving desk within seconds.
 * 3. Determinism: every choice comes from one xorshift stream seeded by
 *    --seed; given the same server state the same run makes the same calls.
 * 4. Stop: SIGINT/SIGTERM are blocked and the main thread waits for the
 *    next tick in sigtimedwait (no handler, no global flag); an HTTP call
 *    in flight finishes first (each is capped at 10 s). --count K stops
 *    after K actions (tests).
 * 5. Failures of one action (a 409 because someone else moved the request,
 *    a replacement the rule refuses) are logged and the run goes on; only a
 *    failed login ends it (exit 1): wrong password or no daemon.
 *
 * The entry point cli_simulate_desk() is dispatched from simulate.c.
 */
#include "cli/cli.h"
#include "cli/cli_curl.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <time.h>

int cli_simulate_desk(int argc, char **argv, char **envp);

#define DSIM_BODY_MAX (4u << 20) /* a reply we read: a list page of 100 requests is ~100 KiB */
#define DSIM_URL_MAX 1024

static const char desk_usage[] =
	"usage: parkline simulate desk --url URL [options]\n"
	"\n"
	"Keeps the demo service desk moving through the HTTP API as the demo\n"
	"accounts: ent1/ent2 raise requests (web, phone, WeChat) and rate resolved\n"
	"ones, specialist1/specialist2 accept, work and resolve them, admin assigns\n"
	"replacement specialists. One action per tick. Stops on SIGINT/SIGTERM or\n"
	"after --count actions.\n"
	"\n"
	"options:\n"
	"  --url URL           the daemon, http://HOST:PORT (required)\n"
	"  --rate N            actions per minute, 1..600 (default 12)\n"
	"  --seed S            random seed (default 1); same seed, same choices\n"
	"  --count K           stop after K actions (default: run until signalled)\n"
	"  --password P        the demo accounts' password (default: $PARKLINE_PASSWORD,\n"
	"                      else parkline-demo)\n";

/* xorshift64*: the run's random stream (NOTES 3). */
static uint64_t dsim_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}
static size_t dsim_pick(uint64_t *s, size_t n)
{
	return (size_t)(dsim_rand(s) % n);
}
static double dsim_unit(uint64_t *s)
{
	return (double)(dsim_rand(s) >> 11) / 9007199254740992.0;
}

/* What enterprises ask for (category and urgency as the desk knows them). */
static const struct {
	const char *category, *urgency, *title, *desc;
} dsim_asks[] = {
	{ "consult", "normal", "研发费用加计扣除政策咨询", "今年新立项的两个研发项目，费用能否按100%加计扣除？需要准备哪些台账？" },
	{ "consult", "normal", "高新技术企业认定材料咨询", "明年到期需重新认定高新技术企业，请告知知识产权和研发费用占比的要求。" },
	{ "help", "normal", "人才公寓申请", "新引进三名博士，申请园区人才公寓，请协助办理入住手续。" },
	{ "utility", "urgent", "生产线用电增容申请", "新增一条灌装线，需要把变压器容量从800kVA增加到1250kVA。" },
	{ "utility", "urgent", "厂区污水管网堵塞", "东侧污水井冒水，影响车间通道，请尽快安排疏通。" },
	{ "complaint", "normal", "周边道路施工噪音", "夜间十点后仍在施工，影响倒班员工休息，请协调施工时间。" },
	{ "suggestion", "normal", "建议增设园区通勤班车", "早高峰员工通勤困难，建议增加轻轨站到园区的班车。" },
	{ "help", "normal", "专精特新企业申报辅导", "我们计划申报市级专精特新企业，请安排政策辅导。" },
	{ "consult", "urgent", "进口原料通关咨询", "一批进口辅料已到果园港，想走区港联动快速通关，请问流程？" },
	{ "help", "normal", "物流车辆通行证办理", "新增两辆冷链运输车，需要办理园区通行证。" },
	{ "consult", "normal", "员工子女入学政策咨询", "外地引进员工子女秋季入学，请问需要哪些材料？" },
	{ "help", "urgent", "消防验收预约", "新建仓库已完工，请协助预约消防验收。" },
};
#define DSIM_ASKS (sizeof(dsim_asks) / sizeof(dsim_asks[0]))
static const char *const dsim_channels[] = { "web", "web", "phone", "wechat" };
static const char *const dsim_resolutions[] = {
	"已电话回复企业并发送政策原文，企业表示清楚。",
	"已协调相关部门现场处理，问题已解决。",
	"已办结，相关材料已通过园区平台回传企业。",
	"已对接供电公司完成方案审批，按计划实施。",
};
static const char *const dsim_unhappy[] = {
	"处理太慢，问题没有真正解决。",
	"答复不清楚，还需要再跑一趟。",
};

/* One logged-in account (NOTES 1). */
struct dsim_sess {
	const char *user;              /* borrowed literal */
	CURL *h;                       /* owned; its cookie engine holds the session */
	char csrf[160];                /* X-CSRF-Token for writes */
	char id[64];                   /* the user's id, from the login reply */
	char enterprise_id[64];        /* enterprise users only */
};

enum { S_ENT1, S_ENT2, S_SPEC1, S_SPEC2, S_ADMIN, S_N };

struct dsim {
	struct dsim_sess s[S_N];
	const char *base;              /* --url, borrowed from argv, no trailing '/' needed */
	const char *password;          /* borrowed */
	uint64_t rng;
	char tried[16][64];            /* replacements admin already tried (ring) */
	unsigned ntried;
	struct pl_buf body;            /* the last reply */
	bool failed;                   /* a login failed: the run ends (NOTES 5) */
};

/* One exchange as session ss: method GET or POST, body JSON or NULL. The
 * reply is in d->body; *status 0 when there was no answer. */
static int dsim_http(struct dsim *d, struct dsim_sess *ss, const char *path, const char *post,
		     long *status)
{
	struct curl_slist *hdr = NULL;
	char url[DSIM_URL_MAX], csrf[200];
	CURLcode cc;

	pl_buf_clear(&d->body);
	*status = 0;
	snprintf(url, sizeof(url), "%s%s", d->base, path);
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (post) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		if (ss->csrf[0]) {
			snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", ss->csrf);
			hdr = curl_slist_append(hdr, csrf);
		}
	}
	cli_curl_prepare(ss->h, url, hdr, &d->body, 10000L, post);
	if (!post) /* the handle is reused: undo an earlier POST */
		curl_easy_setopt(ss->h, CURLOPT_HTTPGET, 1L);
	cc = curl_easy_perform(ss->h);
	curl_slist_free_all(hdr);
	if (cc != CURLE_OK) {
		pl_buf_clear(&d->body);
		pl_buf_puts(&d->body, curl_easy_strerror(cc));
		return PL_EIO;
	}
	curl_easy_getinfo(ss->h, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* Logs ss in; keeps the CSRF token and the user's ids. */
static int dsim_login(struct dsim *d, struct dsim_sess *ss)
{
	json_t *req = json_pack("{s:s, s:s}", "username", ss->user, "password", d->password);
	char *post = pl_json_dump(req);
	json_t *rep = NULL, *u;
	long st;
	int rc = PL_EIO;

	ss->csrf[0] = 0;
	if (dsim_http(d, ss, "/api/v1/auth/login", post, &st) || st != 200) {
		fprintf(stderr, "parkline simulate desk: login as %s: %ld %s\n", ss->user, st,
			d->body.data ? d->body.data : "");
		goto out;
	}
	rep = json_loads(d->body.data ? d->body.data : "", 0, NULL);
	u = json_object_get(rep, "user");
	if (!pl_json_str(rep, "csrf_token") || !pl_json_str(u, "id")) {
		fprintf(stderr, "parkline simulate desk: login as %s: unexpected reply\n", ss->user);
		goto out;
	}
	snprintf(ss->csrf, sizeof(ss->csrf), "%s", pl_json_str(rep, "csrf_token"));
	snprintf(ss->id, sizeof(ss->id), "%s", pl_json_str(u, "id"));
	snprintf(ss->enterprise_id, sizeof(ss->enterprise_id), "%s",
		 pl_json_str(u, "enterprise_id") ? pl_json_str(u, "enterprise_id") : "");
	rc = 0;
out:
	json_decref(rep);
	json_decref(req);
	free(post);
	return rc;
}

/* dsim_http as ss, logging it in first if it never was (NOTES 1) and again
 * once after a 401 (an expired session). body (may be NULL: a GET) is
 * consumed. The parsed reply goes to *out (the caller decrefs it; NULL if
 * not JSON). Returns the HTTP status, 0 when there was no answer. */
static long dsim_call(struct dsim *d, struct dsim_sess *ss, const char *path, json_t *body,
		      json_t **out)
{
	char *post = body ? pl_json_dump(body) : NULL;
	long st = 0;

	*out = NULL;
	if (!ss->id[0] && dsim_login(d, ss)) { /* NOTES 1: first use */
		d->failed = true;
		goto out;
	}
	if (dsim_http(d, ss, path, post, &st) == 0 && st == 401 && dsim_login(d, ss) == 0)
		dsim_http(d, ss, path, post, &st);
	if (st)
		*out = json_loads(d->body.data ? d->body.data : "", 0, NULL);
out:
	free(post);
	json_decref(body);
	return st;
}

static const char *dsim_detail(json_t *rep)
{
	const char *s = pl_json_str(rep, "detail");
	return s ? s : "";
}

/* An enterprise raises a request (NOTES 1). */
static int dsim_raise(struct dsim *d, struct dsim_sess *ss)
{
	size_t k = dsim_pick(&d->rng, DSIM_ASKS);
	const char *ch = dsim_channels[dsim_pick(&d->rng, sizeof(dsim_channels) / sizeof(dsim_channels[0]))];
	json_t *rep;
	long st = dsim_call(d, ss, "/api/v1/desk/requests",
			    json_pack("{s:s, s:s, s:s, s:s, s:s}", "channel", ch,
				      "category", dsim_asks[k].category, "urgency", dsim_asks[k].urgency,
				      "title", dsim_asks[k].title, "description", dsim_asks[k].desc),
			    &rep);
	if (st == 201 || st == 200)
		fprintf(stderr, "parkline simulate desk: %s raised %s via %s: %s (%s)\n", ss->user,
			pl_json_str(rep, "no") ? pl_json_str(rep, "no") : "?", ch, dsim_asks[k].title,
			pl_json_str(rep, "state") ? pl_json_str(rep, "state") : "?");
	else
		fprintf(stderr, "parkline simulate desk: %s could not raise a request: %ld %s\n",
			ss->user, st, dsim_detail(rep));
	json_decref(rep);
	return st == 201 || st == 200 ? 1 : 0;
}

/* Takes action on request id as ss; extra (consumed, may be NULL) adds
 * fields to the action body. 1 when the desk accepted it. */
static int dsim_act(struct dsim *d, struct dsim_sess *ss, const char *id, const char *no,
		    const char *action, json_t *extra)
{
	char path[256];
	json_t *body = extra ? extra : json_object(), *rep;
	long st;

	json_object_set_new(body, "action", json_string(action));
	snprintf(path, sizeof(path), "/api/v1/desk/requests/%s/actions", id);
	st = dsim_call(d, ss, path, body, &rep);
	if (st == 200)
		fprintf(stderr, "parkline simulate desk: %s %s %s -> %s\n", ss->user, action, no,
			pl_json_str(rep, "state") ? pl_json_str(rep, "state") : "?");
	else
		fprintf(stderr, "parkline simulate desk: %s %s %s: %ld %s\n", ss->user, action, no,
			st, dsim_detail(rep));
	json_decref(rep);
	return st == 200;
}

/* A specialist moves its newest actionable request one step: dispatched /
 * reopened -> accept, accepted / escalated -> start, in_progress -> resolve.
 * 1 if it acted, 0 if it had nothing to do. */
static int dsim_specialist(struct dsim *d, struct dsim_sess *ss)
{
	json_t *rep, *it;
	size_t i;
	int acted = 0;
	long st = dsim_call(d, ss, "/api/v1/desk/requests?limit=100", NULL, &rep);

	if (st != 200)
		goto out;
	json_array_foreach(json_object_get(rep, "items"), i, it) {
		const char *state = pl_json_str(it, "state"), *sp = pl_json_str(it, "specialist_id");
		const char *id = pl_json_str(it, "id"), *no = pl_json_str(it, "no");
		const char *action = NULL;
		json_t *extra = NULL;
		if (!state || !sp || !id || strcmp(sp, ss->id))
			continue;
		if (!strcmp(state, "dispatched") || !strcmp(state, "reopened")) {
			action = "accept";
		} else if (!strcmp(state, "accepted") || !strcmp(state, "escalated")) {
			action = "start";
		} else if (!strcmp(state, "in_progress")) {
			action = "resolve";
			extra = json_pack("{s:s}", "resolution",
					  dsim_resolutions[dsim_pick(&d->rng, sizeof(dsim_resolutions) /
								  sizeof(dsim_resolutions[0]))]);
		} else {
			continue;
		}
		acted = 1;
		dsim_act(d, ss, id, no ? no : id, action, extra);
		break;
	}
out:
	json_decref(rep);
	return acted;
}

/* An enterprise rates its newest resolved request: 75 % 满意, 15 % 基本满意,
 * 10 % 不满意 (with a comment), and after a 不满意 asks for a replacement. */
static int dsim_rate(struct dsim *d, struct dsim_sess *ss)
{
	json_t *rep, *it;
	long st = dsim_call(d, ss, "/api/v1/desk/requests?state=resolved&limit=1", NULL, &rep);
	int acted = 0;

	it = json_array_get(json_object_get(rep, "items"), 0);
	if (st == 200 && pl_json_str(it, "id")) {
		double r = dsim_unit(&d->rng);
		const char *rating = r < 0.75 ? "satisfied" : r < 0.9 ? "basic" : "unsatisfied";
		json_t *extra = json_pack("{s:s}", "rating", rating);
		if (!strcmp(rating, "unsatisfied"))
			json_object_set_new(extra, "comment", json_string(dsim_unhappy[dsim_pick(
				&d->rng, sizeof(dsim_unhappy) / sizeof(dsim_unhappy[0]))]));
		acted = 1;
		if (dsim_act(d, ss, pl_json_str(it, "id"), pl_json_str(it, "no") ? pl_json_str(it, "no") : "?",
			     "rate", extra) && !strcmp(rating, "unsatisfied")) {
			json_t *r2;
			long s2 = dsim_call(d, ss, "/api/v1/desk/replacements",
					    json_pack("{s:s}", "reason", "对本次办理不满意，希望更换服务专员。"), &r2);
			fprintf(stderr, "parkline simulate desk: %s asked for another specialist: %ld %s\n",
				ss->user, s2, s2 / 100 == 2 ? "" : dsim_detail(r2));
			json_decref(r2);
		}
	}
	json_decref(rep);
	return acted;
}

/* admin assigns the newest pending replacement it has not tried yet to the
 * demo specialist that is not the old one (NOTES 1, 5). */
static int dsim_admin(struct dsim *d, struct dsim_sess *ss)
{
	json_t *rep, *it;
	size_t i;
	int acted = 0;
	long st = dsim_call(d, ss, "/api/v1/desk/replacements", NULL, &rep);

	if (st != 200)
		goto out;
	json_array_foreach(json_object_get(rep, "items"), i, it) {
		const char *id = pl_json_str(it, "id"), *old = pl_json_str(it, "old_specialist_id");
		const char *state = pl_json_str(it, "state");
		bool seen = false;
		if (!id || !state || strcmp(state, "pending"))
			continue;
		for (unsigned k = 0; k < sizeof(d->tried) / sizeof(d->tried[0]); k++)
			seen |= !strcmp(d->tried[k], id);
		if (seen)
			continue;
		snprintf(d->tried[d->ntried++ % (sizeof(d->tried) / sizeof(d->tried[0]))],
			 sizeof(d->tried[0]), "%s", id);
		if ((!d->s[S_SPEC1].id[0] && dsim_login(d, &d->s[S_SPEC1])) ||
		    (!d->s[S_SPEC2].id[0] && dsim_login(d, &d->s[S_SPEC2]))) {
			d->failed = true;
			break;
		}
		const struct dsim_sess *to = old && !strcmp(old, d->s[S_SPEC1].id) ? &d->s[S_SPEC2]
										  : &d->s[S_SPEC1];
		char path[256];
		json_t *r2;
		snprintf(path, sizeof(path), "/api/v1/desk/replacements/%s/assign", id);
		long s2 = dsim_call(d, ss, path, json_pack("{s:s}", "specialist_id", to->id), &r2);
		fprintf(stderr, "parkline simulate desk: admin assigned %s to %s's request for another"
			" specialist: %ld %s\n", to->user,
			pl_json_str(it, "enterprise_name") ? pl_json_str(it, "enterprise_name") : "?", s2,
			s2 == 200 ? "" : dsim_detail(r2));
		json_decref(r2);
		acted = 1;
		break;
	}
out:
	json_decref(rep);
	return acted;
}

/* One tick: one action (NOTES 2). The first raises a request as ent1. */
static void dsim_tick(struct dsim *d, bool first_tick)
{
	static const int workers[] = { S_SPEC1, S_SPEC2, S_ENT1, S_ENT2, S_ADMIN };
	size_t nw = sizeof(workers) / sizeof(workers[0]);
	struct dsim_sess *ent = &d->s[dsim_pick(&d->rng, 2) ? S_ENT2 : S_ENT1];

	if (first_tick)
		ent = &d->s[S_ENT1];
	if (dsim_unit(&d->rng) < 0.3 || first_tick) {
		dsim_raise(d, ent);
		return;
	}
	size_t first = dsim_pick(&d->rng, nw);
	for (size_t k = 0; k < nw; k++) {
		int w = workers[(first + k) % nw];
		struct dsim_sess *ss = &d->s[w];
		int acted = w == S_SPEC1 || w == S_SPEC2 ? dsim_specialist(d, ss)
			  : w == S_ADMIN ? dsim_admin(d, ss)
					 : dsim_rate(d, ss);
		if (acted)
			return;
	}
	dsim_raise(d, ent);
}

int cli_simulate_desk(int argc, char **argv, char **envp)
{
	(void)envp;
	static const char *const users[S_N] = { "ent1", "ent2", "specialist1", "specialist2", "admin" };
	const char *url = NULL, *password = getenv("PARKLINE_PASSWORD");
	int64_t seed = 1, count = 0, done = 0;
	double rate = 12;
	struct dsim *d = NULL;
	sigset_t sigs;
	int rc = 1;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(desk_usage, stdout);
			return 0;
		}
		if (!v)
			return cli_usage_error("simulate desk", desk_usage, "%s needs a value", a);
		i++;
		if (!strcmp(a, "--url")) {
			url = v;
		} else if (!strcmp(a, "--rate")) {
			if (cli_parse_double(v, 1, 600, &rate))
				return cli_usage_error("simulate desk", desk_usage, "--rate must be 1..600 per minute");
		} else if (!strcmp(a, "--seed")) {
			if (pl_parse_i64(v, 0, INT64_MAX, &seed))
				return cli_usage_error("simulate desk", desk_usage, "--seed must be a non-negative integer");
		} else if (!strcmp(a, "--count")) {
			if (pl_parse_i64(v, 1, INT64_MAX, &count))
				return cli_usage_error("simulate desk", desk_usage, "--count must be a positive integer");
		} else if (!strcmp(a, "--password")) {
			password = v;
		} else {
			return cli_usage_error("simulate desk", desk_usage, "unknown option '%s'", a);
		}
	}
	if (!url)
		return cli_usage_error("simulate desk", desk_usage, "--url URL is required");
	if ((strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strlen(url) > 512)
		return cli_usage_error("simulate desk", desk_usage, "--url: expected http://HOST:PORT, got '%s'", url);
	if (!password || !*password)
		password = "parkline-demo";

	/* NOTES 4: block before anything else, so only sigtimedwait sees them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "parkline simulate desk: libcurl did not initialise\n");
		return 1;
	}
	d = pl_calloc(1, sizeof(*d));
	d->base = url;
	d->password = password;
	d->rng = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 1;
	pl_buf_init(&d->body, DSIM_BODY_MAX);
	for (int i = 0; i < S_N; i++) {
		d->s[i].user = users[i];
		d->s[i].h = curl_easy_init();
		if (!d->s[i].h)
			goto out;
		curl_easy_setopt(d->s[i].h, CURLOPT_COOKIEFILE, ""); /* in-memory cookie engine */
	}
	fprintf(stderr, "parkline simulate desk: %d demo accounts on %s, %g actions/min\n", S_N,
		url, rate);

	int64_t period_ns = (int64_t)(60e9 / rate);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		dsim_tick(d, done == 0);
		if (d->failed)
			goto out;
		if (++done == count)
			break;
		next.tv_nsec += period_ns % 1000000000;
		next.tv_sec += period_ns / 1000000000 + next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		struct timespec cur, wait;
		clock_gettime(CLOCK_MONOTONIC, &cur);
		int64_t left = (next.tv_sec - cur.tv_sec) * 1000000000LL + (next.tv_nsec - cur.tv_nsec);
		if (left < 0) { /* a slow tick (a login): go on from now, no burst */
			next = cur;
			left = 0;
		}
		wait.tv_sec = left / 1000000000;
		wait.tv_nsec = left % 1000000000;
		int sig = sigtimedwait(&sigs, NULL, &wait);
		if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	rc = 0;
out:
	for (int i = 0; d && i < S_N; i++)
		if (d->s[i].h)
			curl_easy_cleanup(d->s[i].h);
	if (d)
		pl_buf_release(&d->body);
	free(d);
	curl_global_cleanup();
	return rc;
}
