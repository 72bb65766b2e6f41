/*
 * serve.c - `parkline serve`: the daemon. Reads its settings in layers
 * (flag > PARKLINE_* environment > config file > default), opens and
 * migrates the store, optionally seeds the demo park, starts the HTTP
 * server and waits for SIGTERM or SIGINT; then it stops accepting, drains
 * in-flight requests and exits 0.
 *
 * Signals are blocked in every thread (the mask is set before any thread
 * starts, and threads inherit it) and taken synchronously with sigwait in
 * main, so no handler runs in async-signal context and no global flag is
 * needed.
 *
 * Output: the first line on stdout once serving is "parkline: listening on
 * http://HOST:PORT/" - test harnesses start us on port 0 and read the port
 * from it.
 */
#include "cli/cli.h"
#include "http/http.h"
#include "desk/repo.h"
#include "desk/report.h"
#include "trace/trace.h"
#include "mqtt/client.h"
#include "mqtt/leader.h" /* one ingest among several processes */
#include "line/repo.h"
#include "line/live.h"
#include "line/plant.h" /* the demo plant model */
#include "desk/notify.h"
#include "desk/wechat_repo.h" /* the Official Account callback */
#include "park/match.h"
#include "park/park.h"
#include "park/share.h"

#include <signal.h>
#include <errno.h>
#include <strings.h>

static const char serve_usage[] =
	"usage: parkline serve [options]\n"
	"\n"
	"  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080; port 0 picks one)\n"
	"  --db URL             SQLite file path or postgresql://... (default var/parkline.db)\n"
	"  --web-root DIR       built web UI to serve (default web/dist)\n"
	"  --openapi FILE       OpenAPI document to serve (default docs/api/openapi.yaml)\n"
	"  --config FILE        read 'key = value' settings from FILE\n"
	"  --log-level L        debug, info, warn or error (default info)\n"
	"  --log-json           log JSON lines instead of plain text\n"
	"  --threads N          HTTP worker threads, 1..256 (default 4)\n"
	"  --mqtt URL           ingest Sparkplug B from this broker (mqtt://HOST:PORT; default: off;\n"
	"                       on PostgreSQL one of several processes ingests at a time)\n"
	"  --demo               create the demo park and accounts, and print them\n"
	"  --print-config       print each setting, its value and its source, then exit\n"
	"  --print-routes       print the route table as JSON lines, then exit\n"
	"  --help               this text\n"
	"\n"
	"Every setting can also come from the environment as PARKLINE_<KEY> (e.g.\n"
	"PARKLINE_LISTEN) or from the config file; flags win over the environment,\n"
	"which wins over the file. Keys: run 'parkline serve --print-config'.\n";

static const struct pl_config_key serve_keys[] = {
	{ "listen", "127.0.0.1:8080", "address and port to listen on" },
	{ "db", "var/parkline.db", "SQLite path or postgresql:// URL" },
	{ "web_root", "web/dist", "directory of the built web UI" },
	{ "openapi", "docs/api/openapi.yaml", "OpenAPI document (JSON-compatible YAML)" },
	{ "log_level", "info", "debug, info, warn, error" },
	{ "log_json", "false", "JSON-lines logging" },
	{ "threads", "4", "HTTP worker threads" },
	{ "demo", "false", "seed the demo park and print its accounts" },
	{ "pool_size", "8", "store connections" },
	{ "secure_cookies", "false", "mark session cookies Secure (behind TLS)" },
	{ "session_ttl_s", "28800", "idle lifetime of a login session, seconds" },
	{ "login_throttle_max", "5", "failed logins per user per window before 429" },
	{ "hash_cost", "moderate", "Argon2id cost: moderate, interactive (tests: min)" },
	{ "drain_ms", "10000", "how long SIGTERM waits for in-flight requests" },
	{ "sse_heartbeat_ms", "15000", "idle SSE streams get a comment this often" },
	{ "calendar_dir", "data/calendar", "desk: working-calendar files (YYYY.txt)" },
	{ "sla_file", "", "desk: SLA override file (docs/desk.md section 4); empty: defaults" },
	{ "attachments_dir", "", "desk: attachment files; empty: 'attachments' next to the SQLite db (var/attachments for PostgreSQL)" },
	{ "desk_overdue_scan_s", "60", "desk: how often overdue requests are escalated (督办), seconds" },
	{ "notify_enabled", "false", "desk: run the notification outbox sender (docs/notify.md)" },
	{ "notify_config", "", "desk: notifier settings file (SMS, WeChat, webhook; also PARKLINE_NOTIFY_*)" },
	{ "wechat_token", "", "desk: WeChat Official Account callback Token; empty: no callback (docs/desk.md)" },
	{ "wechat_aes_key", "", "desk: the account's 43-character EncodingAESKey (safe mode); empty: plain only" },
	{ "wechat_appid", "", "desk: the account's AppID, checked in every decrypted message" },
	{ "mqtt_url", "", "line: Sparkplug B broker, mqtt://HOST:PORT; empty: no ingest" },
	{ "mqtt_host_id", "parkline", "line: our Sparkplug host id (STATE topic)" },
	{ "mqtt_user", "", "line: broker user (parkline admin mqtt's host user); empty: anonymous" },
	{ "mqtt_password_file", "", "line: file whose first line is the broker password" },
	{ NULL, NULL, NULL },
};

/* Flags that take a value, and the config key each sets. */
static const struct { const char *flag, *key; } serve_value_flags[] = {
	{ "--listen", "listen" },   { "--db", "db" },
	{ "--web-root", "web_root" }, { "--openapi", "openapi" },
	{ "--log-level", "log_level" }, { "--threads", "threads" },
	{ "--mqtt", "mqtt_url" },
};
/* Flags that set a boolean key to true. */
static const struct { const char *flag, *key; } serve_bool_flags[] = {
	{ "--log-json", "log_json" }, { "--demo", "demo" },
};

static int serve__bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") ||
	    !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") ||
		 !strcasecmp(v, "off") || !*v)
		*out = false;
	else
		return PL_EINVAL;
	return 0;
}

struct serve_settings {
	enum pl_log_level level;
	bool log_json, demo, secure;
	int64_t threads, pool, ttl, throttle, drain_ms, hb_ms;
	enum auth_hash_cost cost;
};

/* Validates every value once, so a typo stops us before anything starts. */
static int serve__settings(const struct pl_config *cfg, struct serve_settings *s,
			   const char **bad)
{
	const char *cost = pl_config_get(cfg, "hash_cost");

	*bad = "log_level";
	if (pl_log_level_parse(pl_config_get(cfg, "log_level"), &s->level))
		return PL_EINVAL;
	*bad = "log_json";
	if (serve__bool(pl_config_get(cfg, "log_json"), &s->log_json))
		return PL_EINVAL;
	*bad = "demo";
	if (serve__bool(pl_config_get(cfg, "demo"), &s->demo))
		return PL_EINVAL;
	*bad = "secure_cookies";
	if (serve__bool(pl_config_get(cfg, "secure_cookies"), &s->secure))
		return PL_EINVAL;
	*bad = "threads";
	if (pl_parse_i64(pl_config_get(cfg, "threads"), 1, 256, &s->threads))
		return PL_EINVAL;
	*bad = "pool_size";
	if (pl_parse_i64(pl_config_get(cfg, "pool_size"), 1, 256, &s->pool))
		return PL_EINVAL;
	*bad = "session_ttl_s";
	if (pl_parse_i64(pl_config_get(cfg, "session_ttl_s"), 60, 30 * 86400, &s->ttl))
		return PL_EINVAL;
	*bad = "login_throttle_max";
	if (pl_parse_i64(pl_config_get(cfg, "login_throttle_max"), 1, 10000, &s->throttle))
		return PL_EINVAL;
	*bad = "drain_ms";
	if (pl_parse_i64(pl_config_get(cfg, "drain_ms"), 0, 600000, &s->drain_ms))
		return PL_EINVAL;
	*bad = "sse_heartbeat_ms";
	if (pl_parse_i64(pl_config_get(cfg, "sse_heartbeat_ms"), 100, 600000, &s->hb_ms))
		return PL_EINVAL;
	*bad = "listen";
	if (!http_listen_valid(pl_config_get(cfg, "listen")))
		return PL_EINVAL;
	*bad = "mqtt_url";
	{
		char mh[256];
		int mp;
		const char *mu = pl_config_get(cfg, "mqtt_url");
		if (*mu && mqtt_ingest_url_parse(mu, mh, sizeof(mh), &mp))
			return PL_EINVAL;
	}
	*bad = "hash_cost";
	if (!strcmp(cost, "moderate"))
		s->cost = AUTH_HASH_MODERATE;
	else if (!strcmp(cost, "interactive"))
		s->cost = AUTH_HASH_INTERACTIVE;
	else if (!strcmp(cost, "min"))
		s->cost = AUTH_HASH_MIN;
	else
		return PL_EINVAL;
	*bad = NULL;
	return 0;
}

/* line-ingest: /metrics hook (http_options.metrics_extra). */
static int serve__ingest_metrics(void *ctx, struct pl_buf *b)
{
	return mqtt_leader_metrics_render(ctx, b); /* leader gauge + ingest */
}

/* ingest tiles and alarm changes to the SSE streams. */
static void serve__live_publish(void *ctx, const char *event, const char *enterprise_id,
				const char *data)
{
	http_server_publish(ctx, event, enterprise_id, data);
}

/* Runs the daemon until SIGTERM/SIGINT. Returns the exit status. */
static int serve__run(const struct pl_config *cfg, const struct serve_settings *set)
{
	struct pl_log log;
	struct store *st = NULL;
	struct auth *au = NULL;
	struct http_server *srv = NULL;
	struct desk_svc *desk = NULL;
	struct mqtt_leader *ingest = NULL; /* line-ingest: NULL without --mqtt; scale: elected */
	struct desk_job *desk_job = NULL;
	struct desk_notify *notify = NULL;              /* settings */
	struct desk_notify_sender *notify_sender = NULL; /* NULL unless notify_enabled */
	struct desk_wechat_cfg wechat = { .token = "" }; /* set when wechat_token is */
	struct trace_worker *trace_worker = NULL; /* trace: the capture queue */
	struct store_options so = { .pool_size = (int)set->pool, .busy_timeout_ms = 5000 };
	struct auth_options ao = {
		.session_ttl_s = (int)set->ttl,
		.throttle_max = (int)set->throttle,
		.hash_cost = set->cost,
	};
	sigset_t sigs;
	int applied = 0, sig = 0, rc, status = 1;

	/* before any thread starts, so every thread inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	pl_log_init(&log, stderr, set->level, set->log_json);
	so.log = &log;
	rc = store_open(pl_config_get(cfg, "db"), &so, &st);
	if (rc) {
		pl_error(&log, "serve", "cannot open store %s: %s", pl_config_get(cfg, "db"),
			 pl_strerror(rc));
		goto out;
	}
	rc = store_migrate(st, &applied);
	if (rc) {
		pl_error(&log, "serve", "migrating the store failed: %s", pl_strerror(rc));
		goto out;
	}
	if (applied)
		pl_info(&log, "serve", "applied %d migration(s)", applied);
	{
		/* migration 25's one-time backfill of the stored line rollups,
		 * before any ingest writes them (src/line/repo.h) */
		size_t rolled = 0;
		rc = line_repo_rollups_backfill(st, &rolled);
		if (rolled)
			pl_info(&log, "serve", "rebuilt the rollups of %zu line series", rolled);
		/* not fatal: the points and everything else still work, and the
		 * series left pending are tried again at the next start */
		if (rc)
			pl_warn(&log, "serve", "rebuilding the line rollups failed: %s; the 1m/1h"
				" buckets of some series are incomplete", pl_strerror(rc));
		rc = 0;
	}
	au = auth_new(st, &ao, &log);
	{
		char why[300] = "";
		rc = desk_svc_new(pl_config_get(cfg, "calendar_dir"), pl_config_get(cfg, "sla_file"),
				  &desk, why, sizeof(why));
		if (rc == PL_EIO || rc == PL_ENOTFOUND) {
			/* a missing calendar directory (serve started from another
			 * directory) should not stop the park: deadlines counted in
			 * working days stay empty until it is configured */
			pl_warn(&log, "serve", "%s; working-day deadlines are off (set calendar_dir)", why);
			rc = desk_svc_new(NULL, pl_config_get(cfg, "sla_file"), &desk, why, sizeof(why));
		}
		if (rc) {
			pl_error(&log, "serve", "loading the desk calendar/SLA failed: %s", why);
			goto out;
		}
		if (!*pl_config_get(cfg, "attachments_dir"))
			desk_attach_default_dir(pl_config_get(cfg, "db"), why, sizeof(why));
		else
			pl_strlcpy(why, pl_config_get(cfg, "attachments_dir"), sizeof(why));
		desk_svc_set_attachments_dir(desk, why);
		int64_t scan_s;
		if (pl_parse_i64(pl_config_get(cfg, "desk_overdue_scan_s"), 1, 86400, &scan_s)) {
			pl_error(&log, "serve", "desk_overdue_scan_s must be 1..86400");
			goto out;
		}
		if ((rc = desk_job_start(st, &log, scan_s * 1000, &desk_job))) {
			pl_error(&log, "serve", "cannot start the desk overdue job");
			goto out;
		}
		/* the outbox sender (docs/notify.md) */
		why[0] = '\0';
		bool notify_on = false;
		if (serve__bool(pl_config_get(cfg, "notify_enabled"), &notify_on) ||
		    (rc = desk_notify_new(pl_config_get(cfg, "notify_config"), environ, &notify, why,
					  sizeof(why)))) {
			pl_error(&log, "serve", "notify settings: %s", why[0] ? why : "notify_enabled");
			goto out;
		}
		if (notify_on && (rc = desk_notify_sender_start(st, notify, &log, &notify_sender))) {
			pl_error(&log, "serve", "cannot start the notification sender");
			goto out;
		}
		/* the callback's token and key (docs/desk.md) */
		if (*pl_config_get(cfg, "wechat_token") &&
		    (rc = desk_wechat_cfg_init(&wechat, pl_config_get(cfg, "wechat_token"),
					       pl_config_get(cfg, "wechat_aes_key"),
					       pl_config_get(cfg, "wechat_appid"), why, sizeof(why)))) {
			pl_error(&log, "serve", "wechat settings: %s", why);
			goto out;
		}
	}
	if (set->demo) {
		rc = auth_demo_seed(au, stdout);
		if (rc == 0)
			rc = desk_demo_seed(au, desk, stdout);
		if (rc == 0)
			rc = desk_green_demo_seed(au, desk, stdout); /* green: 绿色通道 */
		if (rc == 0)
			rc = trace_demo_seed(st, stdout); /* the pharma story */
		if (rc == 0)
			rc = line_repo_demo_seed(st, stdout); /* line-ingest: demo lines */
		if (rc == 0)
			rc = line_live_demo_seed(st, stdout); /* plans and alarm rules */
		if (rc == 0) /* line-plant: sites, areas, machines, products */
			rc = line_plant_demo_seed(st, stdout);
		if (rc == 0) /* the registry shaped like the article, shipments */
			rc = park_demo_seed(st, pl_time_now_ms(), stdout);
		if (rc == 0)
			rc = park_match_demo_seed(st, stdout); /* 产业链对接 */
		if (rc == 0) /* demo enterprises share their lines' OEE */
			rc = park_share_demo_seed(st, stdout);
		if (rc == 0) /* a year of requests over every enterprise with a
			      * specialist; keep it after the seeds that add them */
			rc = desk_demo_bulk_seed(st, stdout);
		fflush(stdout);
		if (rc) {
			pl_error(&log, "serve", "seeding the demo park failed: %s", pl_strerror(rc));
			goto out;
		}
	}
	/* trace: after the demo seed, before the server takes captures; jobs
	 * left pending by a crash are run now (src/trace/queue.c) */
	if ((rc = trace_worker_start(st, &log, &trace_worker))) {
		pl_error(&log, "serve", "cannot start the EPCIS capture worker");
		goto out;
	}
	struct http_options ho = {
		.listen = pl_config_get(cfg, "listen"),
		.threads = (int)set->threads,
		.web_root = pl_config_get(cfg, "web_root"),
		.openapi_path = pl_config_get(cfg, "openapi"),
		.sse_heartbeat_ms = (int)set->hb_ms,
		.secure_cookies = set->secure,
		.store = st,
		.auth = au,
		.desk = desk,
		.notify = notify, /* inbound SMS secret */
		.wechat = wechat.token[0] ? &wechat : NULL, /* the callback */
		.log = &log,
	};
	char mqtt_pw[257] = ""; /* the broker password, wiped after start */
	if (*pl_config_get(cfg, "mqtt_url") && *pl_config_get(cfg, "mqtt_password_file")) {
		FILE *pf = fopen(pl_config_get(cfg, "mqtt_password_file"), "r");
		if (!pf || !fgets(mqtt_pw, sizeof(mqtt_pw), pf)) {
			pl_error(&log, "serve", "cannot read mqtt_password_file %s",
				 pl_config_get(cfg, "mqtt_password_file"));
			if (pf)
				fclose(pf);
			goto out;
		}
		fclose(pf);
		mqtt_pw[strcspn(mqtt_pw, "\r\n")] = '\0';
	}
	if (*pl_config_get(cfg, "mqtt_url")) {
		struct mqtt_ingest_options mo = {
			.username = pl_config_get(cfg, "mqtt_user"),
			.password = mqtt_pw,
			.url = pl_config_get(cfg, "mqtt_url"),
			.host_id = pl_config_get(cfg, "mqtt_host_id"),
			.store = st,
			.log = &log,
			.desk = desk, /* safety alarms open desk requests */
		};
		rc = mqtt_leader_start(&mo, &ingest); /* ingests while it leads */
		memset(mqtt_pw, 0, sizeof(mqtt_pw)); /* libmosquitto keeps its own copy */
		if (rc) {
			pl_error(&log, "serve", "cannot start the MQTT ingest: %s", pl_strerror(rc));
			goto out;
		}
		ho.metrics_extra = serve__ingest_metrics;
		ho.metrics_extra_ctx = ingest;
	}
	rc = http_server_new(&ho, &srv);
	if (rc) {
		pl_error(&log, "serve", "cannot serve on %s: %s", ho.listen, pl_strerror(rc));
		goto out;
	}
	{
		const char *l = ho.listen, *colon = strrchr(l, ':');
		char host[64];
		size_t hl = colon ? (size_t)(colon - l) : 0;
		pl_strlcpy(host, l, hl + 1 < sizeof(host) ? hl + 1 : sizeof(host));
		if (!host[0] || !strcmp(host, "0.0.0.0"))
			pl_strlcpy(host, "localhost", sizeof(host));
		mqtt_leader_set_publisher(ingest, serve__live_publish, srv); /* tiles to SSE */
		printf("parkline: listening on http://%s:%u/ (store: %s)\n", host,
		       (unsigned)http_server_port(srv), store_kind_name(st));
		fflush(stdout);
	}
	while (sigwait(&sigs, &sig) != 0)
		;
	pl_info(&log, "serve", "%s: draining (up to %lld ms)", strsignal(sig),
		(long long)set->drain_ms);
	rc = http_server_shutdown(srv, (int)set->drain_ms);
	if (rc)
		pl_warn(&log, "serve", "%d request(s) still running at the drain deadline", rc);
	status = 0;
out:
	mqtt_leader_set_publisher(ingest, NULL, NULL); /* before the hub goes */
	http_server_free(srv);
	mqtt_leader_stop(ingest); /* after the server (its /metrics reads it); commits pending points */
	desk_notify_sender_stop(notify_sender); /* waits for at most one send */
	desk_job_stop(desk_job);
	trace_worker_stop(trace_worker); /* after the server: no new jobs come in */
	auth_free(au);
	desk_svc_free(desk);
	desk_notify_free(notify);
	explicit_bzero(&wechat, sizeof(wechat)); /* token and AES key */
	store_free(st);
	if (status == 0)
		pl_info(&log, "serve", "stopped");
	pl_log_release(&log);
	return status;
}

/* What --print-config shows for a setting: secrets (the WeChat token and
 * key) are replaced by "(set)", so the output can be pasted into a ticket. */
static const char *serve__shown_value(const struct pl_config_entry *e)
{
	static const char *const secret[] = { "wechat_token", "wechat_aes_key" };
	for (size_t k = 0; k < sizeof(secret) / sizeof(secret[0]); k++)
		if (!strcmp(e->key->name, secret[k]) && e->value[0])
			return "(set)";
	return e->value;
}

int cli_serve(int argc, char **argv, char **envp)
{
	struct pl_config cfg;
	struct pl_json_error je = { .text = "" };
	struct serve_settings set;
	const char *config_file = NULL, *bad;
	bool print_config = false, print_routes = false;
	int status = 0;

	pl_config_init(&cfg, serve_keys);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		bool done = false;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(serve_usage, stdout);
			goto out;
		}
		if (!strcmp(a, "--print-config")) {
			print_config = true;
			continue;
		}
		if (!strcmp(a, "--print-routes")) {
			print_routes = true;
			continue;
		}
		for (size_t k = 0; !done && k < sizeof(serve_bool_flags) / sizeof(serve_bool_flags[0]); k++)
			if (!strcmp(a, serve_bool_flags[k].flag)) {
				pl_config_set(&cfg, serve_bool_flags[k].key, "true", PL_CFG_FLAG,
					      serve_bool_flags[k].flag);
				done = true;
			}
		if (done)
			continue;
		bool is_config = nlen == 8 && !strncmp(a, "--config", 8);
		const char *key = NULL, *flag = NULL;
		for (size_t k = 0; k < sizeof(serve_value_flags) / sizeof(serve_value_flags[0]); k++)
			if (strlen(serve_value_flags[k].flag) == nlen &&
			    !strncmp(a, serve_value_flags[k].flag, nlen)) {
				key = serve_value_flags[k].key;
				flag = serve_value_flags[k].flag;
			}
		if (!key && !is_config) {
			status = cli_usage_error("serve", serve_usage, "unknown option '%s'", a);
			goto out;
		}
		const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!val) {
			status = cli_usage_error("serve", serve_usage, "option '%.*s' needs a value",
						 (int)nlen, a);
			goto out;
		}
		if (is_config)
			config_file = val;
		else
			pl_config_set(&cfg, key, val, PL_CFG_FLAG, flag);
	}
	if (!config_file)
		for (char *const *e = envp; e && *e; e++)
			if (!strncmp(*e, "PARKLINE_CONFIG=", 16))
				config_file = *e + 16;
	if (config_file && *config_file && pl_config_load_file(&cfg, config_file, &je)) {
		status = cli_usage_error("serve", serve_usage, "config file %s: %s", config_file,
					 je.text);
		goto out;
	}
	pl_config_load_env(&cfg, envp);
	if (serve__settings(&cfg, &set, &bad)) {
		const char *origin = "";
		for (size_t i = 0; i < cfg.n; i++)
			if (!strcmp(cfg.entries[i].key->name, bad))
				origin = cfg.entries[i].origin;
		status = cli_usage_error("serve", serve_usage, "bad value '%s' for %s (from %s)",
					 pl_config_get(&cfg, bad), bad, origin);
		goto out;
	}
	if (print_routes) {
		http_routes_print(stdout);
		goto out;
	}
	if (print_config) {
		for (size_t i = 0; i < cfg.n; i++)
			printf("%-20s = %-30s # %s\n", cfg.entries[i].key->name,
			       serve__shown_value(&cfg.entries[i]),
			       cfg.entries[i].source == PL_CFG_DEFAULT ? "default"
								   : cfg.entries[i].origin);
		goto out;
	}
	status = serve__run(&cfg, &set);
out:
	pl_config_release(&cfg);
	return status;
}
