/*
 * bench_desk.c - `make bench-desk`: the service desk with a million
 * requests stored. Generates the park (enterprises, specialists,
 * assignments) and the requests straight through the store in big
 * transactions (desk_demo_bulk), then times, each over --runs calls:
 *
 *   queue        a specialist's queue: desk_request_list, the function
 *                behind GET /api/v1/desk/requests (first page of 50 and
 *                the total), rotating over the specialists;
 *   queue-or     the same page and total with the single OR condition the
 *                queue used before its two-branch rewrite (repo.c
 *                desk__list_scope, migration 14), run as SQL on the same
 *                data: the before/after comparison;
 *   kpi-month    the KPI report by month over the last 12 months
 *                (desk_report_kpi, group=month), as the park admin;
 *   kpi-1month   the KPI report of one month by specialist, as the admin;
 *   kpi-own      one specialist's own monthly report over 12 months
 *                (kpi-month and kpi-own take their as_of correction from
 *                migration 21's counts per due day, kpi-1month live);
 *   *-scan       each report again by the reference scan
 *                (desk_report_kpi_scan: what the report ran before the
 *                rollup of migration 18), on the same data and as_of; the
 *                first answers of the two paths must be identical (the
 *                benchmark exits 1 otherwise).
 *
 * and prints p50/p99/max in milliseconds, one line per query, for the
 * store named by --url (sqlite:PATH or postgresql://...). A query stops
 * early once it has used --budget seconds (default 30) and run at least 5
 * times, so a slow one reports over fewer runs (the line says how many)
 * instead of taking an hour.
 *
 * --reuse yes keeps a store that already holds generated requests (a
 * SQLite file or a database left by an earlier run): no generation, the
 * specialists are read back, so the same data can be timed again after a
 * change (run.sh always starts from an empty store).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "desk/report.h"

#define MAX_SPEC 2000

static double now_ms_f(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report_line(const char *store, const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
	int i99 = (int)((double)n * 0.99 + 0.999999) - 1;
	if (i99 < 0)
		i99 = 0;
	printf("%-10s %-11s runs %4d  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms\n", store, what, n,
	       t[n / 2], t[i99], t[n - 1]);
	fflush(stdout);
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench-desk: %s: %s\n", what, pl_strerror(rc));
	exit(1);
}

/* The park: n_ent enterprises, n_spec specialists, enterprise i served by
 * specialist i % n_spec. Ids go to spec_ids. */
static void seed_park(struct store_conn *c, int n_ent, int n_spec,
		      char (*spec_ids)[PL_ID_LEN + 1])
{
	char at[PL_TIME_STRLEN], name[64], id[PL_ID_LEN + 1], aid[PL_ID_LEN + 1];
	int rc;

	pl_time_format(pl_time_now_ms() - 400LL * 86400000, at);
	if ((rc = store_begin(c)))
		die("begin", rc);
	for (int i = 0; i < n_spec; i++) {
		pl_id_new(spec_ids[i]);
		snprintf(name, sizeof(name), "bench_spec%d", i);
		struct store_param p[] = { SP_TEXT(spec_ids[i]), SP_TEXT(name), SP_TEXT(name),
					   SP_TEXT(at), SP_TEXT(at) };
		if ((rc = store_exec(c, "INSERT INTO users (id, username, display_name, "
				     "password_hash, role, created_at, updated_at) VALUES "
				     "(?, ?, ?, '!', 'specialist', ?, ?)", p, STORE_NP(p), NULL)))
			die(store_conn_errmsg(c), rc);
	}
	for (int i = 0; i < n_ent; i++) {
		pl_id_new(id);
		pl_id_new(aid);
		snprintf(name, sizeof(name), "基准企业%d", i);
		struct store_param p[] = { SP_TEXT(id), SP_TEXT(name), SP_TEXT(at), SP_TEXT(at) };
		if ((rc = store_exec(c, "INSERT INTO enterprises (id, name_zh, created_at, updated_at)"
				     " VALUES (?, ?, ?, ?)", p, STORE_NP(p), NULL)))
			die(store_conn_errmsg(c), rc);
		struct store_param a[] = { SP_TEXT(aid), SP_TEXT(id), SP_TEXT(spec_ids[i % n_spec]),
					   SP_TEXT(at) };
		if ((rc = store_exec(c, "INSERT INTO assignments (id, enterprise_id, specialist_id, "
				     "started_at, reason) VALUES (?, ?, ?, ?, 'bench')", a,
				     STORE_NP(a), NULL)))
			die(store_conn_errmsg(c), rc);
	}
	if ((rc = store_commit(c)))
		die("commit", rc);
}

int main(int argc, char **argv)
{
	const char *url = NULL, *label = "store";
	int64_t n = 1000000;
	int runs = 200, n_ent = 300, n_spec = 200;
	double budget_ms = 30000;
	static char spec_ids[MAX_SPEC][PL_ID_LEN + 1];
	struct store *st = NULL;
	struct store_conn *c = NULL;
	int rc;
	bool reuse = false;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--url"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--label"))
			label = argv[i + 1];
		else if (!strcmp(argv[i], "--requests"))
			n = strtoll(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--runs"))
			runs = (int)strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--specialists"))
			n_spec = (int)strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--enterprises"))
			n_ent = (int)strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--reuse"))
			reuse = !strcmp(argv[i + 1], "yes");
		else if (!strcmp(argv[i], "--budget"))
			budget_ms = 1000.0 * (double)strtol(argv[i + 1], NULL, 10);
	}
	if (!url || n < 1 || n > DESK_BULK_MAX || runs < 1 || runs > 100000 || n_spec < 1 ||
	    n_spec > MAX_SPEC || n_ent < 1 || n_ent > 100000) {
		fprintf(stderr, "usage: bench_desk --url URL [--label L] [--requests N] [--runs R]"
			" [--budget SECONDS] [--specialists S] [--enterprises E] [--reuse yes]\n");
		return 2;
	}
	struct store_options so = { .pool_size = 2, .busy_timeout_ms = 5000 };
	if ((rc = store_open(url, &so, &st)))
		die("open", rc);
	if ((rc = store_migrate(st, NULL)))
		die("migrate", rc);
	if ((rc = store_conn_get(st, &c)))
		die("connection", rc);

	double t0 = now_ms_f();
	int64_t now = pl_time_now_ms(), done = 0;
	if (reuse) {
		json_t *rows = NULL, *cnt = NULL;
		if ((rc = store_query_json(c, "SELECT id FROM users WHERE username LIKE 'bench_spec%' "
					   "ORDER BY username", NULL, 0, MAX_SPEC, &rows)) ||
		    (rc = store_query_one(c, "SELECT count(*) AS n FROM requests", NULL, 0, &cnt)))
			die("reading the reused store", rc);
		n_spec = (int)json_array_size(rows);
		for (int i = 0; i < n_spec; i++)
			pl_strlcpy(spec_ids[i], pl_json_str(json_array_get(rows, (size_t)i), "id"),
				   sizeof(spec_ids[i]));
		done = n = json_integer_value(json_object_get(cnt, "n"));
		json_decref(rows);
		json_decref(cnt);
		if (n_spec < 1 || n < 1)
			die("--reuse: the store holds no generated requests", PL_ENOTFOUND);
	} else {
		seed_park(c, n_ent, n_spec, spec_ids);
	}
	const int64_t chunk = 100000;
	for (int64_t k = 0; done < n; k++) {
		int64_t part = n - done < chunk ? n - done : chunk, made = 0;
		/* each chunk covers its own slice of the year, so the whole set
		 * is spread evenly over 365 days */
		const int64_t year = 365LL * 86400000;
		int64_t from = now - year + year * done / n, to = now - year + year * (done + part) / n;
		if ((rc = store_begin(c)))
			die("begin", rc);
		if ((rc = desk_demo_bulk(c, part, from, to, (uint64_t)k + 1, now, &made)))
			die(store_conn_errmsg(c), rc);
		if ((rc = store_commit(c)))
			die("commit", rc);
		if (made != part)
			die("generation made fewer requests than asked", PL_EINTERNAL);
		done += made;
	}
	/* PostgreSQL: VACUUM too, so the visibility map is set and index-only
	 * scans skip the heap, as they do once autovacuum has passed over a
	 * table that a live park fills over a year. */
	if ((rc = store_exec(c, store_kind(st) == STORE_POSTGRES ? "VACUUM ANALYZE" : "ANALYZE",
			     NULL, 0, NULL)))
		die("analyze", rc);
	if (reuse)
		printf("%-10s reused a store of %lld requests (%d specialists)\n", label,
		       (long long)done, n_spec);
	else
		printf("%-10s generated %lld requests (%d enterprises, %d specialists) in %.1f s\n",
		       label, (long long)done, n_ent, n_spec, (now_ms_f() - t0) / 1e3);

	double *t = calloc((size_t)runs, sizeof(*t));
	struct auth_principal admin = { .role = AUTH_ROLE_PARK_ADMIN };
	pl_strlcpy(admin.user_id, "bench-admin", sizeof(admin.user_id));
	struct desk_err e = { .text = "" };
	json_t *out = NULL;

	/* queue */
	int done_runs = 0;
	double q0 = now_ms_f();
	for (int i = 0; i < runs; i++) {
		if (i >= 5 && now_ms_f() - q0 > budget_ms)
			break;
		struct auth_principal sp = { .role = AUTH_ROLE_SPECIALIST };
		pl_strlcpy(sp.user_id, spec_ids[i % n_spec], sizeof(sp.user_id));
		struct desk_list_query q = { .limit = 50 };
		double s = now_ms_f();
		if ((rc = desk_request_list(c, &sp, &q, now, &out, &e)))
			die(e.text, rc);
		t[i] = now_ms_f() - s;
		if (i == 0)
			printf("%-10s queue of one specialist: %lld requests\n", label,
			       (long long)json_integer_value(json_object_get(out, "total")));
		json_decref(out);
		done_runs = i + 1;
	}
	report_line(label, "queue", t, done_runs);

	/* queue-or: the query as it was (count, then the page), same data */
	static const char or_where[] =
		" WHERE 1 = 1 AND (r.specialist_id = ? OR r.enterprise_id IN (SELECT enterprise_id "
		"FROM assignments WHERE specialist_id = ? AND ended_at IS NULL))";
	static const char or_cols[] =
		"SELECT r.id, r.no, r.title, r.enterprise_id, e.name_zh AS enterprise_name, "
		"r.category, r.urgency, r.channel, r.state, r.specialist_id, u.display_name AS "
		"specialist_name, r.department, r.sign_due_at, r.contact_due_at, r.due_at, "
		"r.dispatched_at, r.accepted_at, r.escalated_at, r.created_at, r.updated_at, "
		"r.resolved_at, r.park_wide, r.reopened, r.returned FROM requests r LEFT JOIN "
		"enterprises e ON e.id = r.enterprise_id LEFT JOIN users u ON u.id = r.specialist_id";
	char or_count[512], or_page[2048];
	snprintf(or_count, sizeof(or_count), "SELECT count(*) AS n FROM requests r%s", or_where);
	snprintf(or_page, sizeof(or_page), "%s%s ORDER BY r.created_at DESC, r.id DESC LIMIT 50",
		 or_cols, or_where);
	done_runs = 0;
	q0 = now_ms_f();
	for (int i = 0; i < runs; i++) {
		if (i >= 5 && now_ms_f() - q0 > budget_ms)
			break;
		struct store_param op[] = { SP_TEXT(spec_ids[i % n_spec]), SP_TEXT(spec_ids[i % n_spec]) };
		json_t *cnt = NULL;
		double s = now_ms_f();
		if ((rc = store_query_one(c, or_count, op, 2, &cnt)) ||
		    (rc = store_query_json(c, or_page, op, 2, 50, &out)))
			die("queue-or", rc);
		t[i] = now_ms_f() - s;
		json_decref(cnt);
		json_decref(out);
		done_runs = i + 1;
	}
	report_line(label, "queue-or", t, done_runs);

	int32_t today = desk_day_from_ms(now);
	struct { const char *name; const struct auth_principal *p; enum desk_report_group g;
		 int32_t days; } qs[] = {
		{ "kpi-month", &admin, DESK_REPORT_MONTH, 365 },
		{ "kpi-1month", &admin, DESK_REPORT_SPECIALIST, 30 },
		{ "kpi-own", NULL, DESK_REPORT_MONTH, 365 },
	};
	/* Each report twice: from the rollup (desk_report_kpi, what the API
	 * runs) and by the reference scan (desk_report_kpi_scan, what it ran
	 * before migration 18), same data, same as_of; the first answers of
	 * the two must be identical. */
	int differ = 0;
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		json_t *first[2] = { NULL, NULL };
		for (int scan = 0; scan < 2; scan++) {
			char name[32];
			snprintf(name, sizeof(name), "%s%s", qs[k].name, scan ? "-scan" : "");
			done_runs = 0;
			q0 = now_ms_f();
			for (int i = 0; i < runs; i++) {
				if (i >= 5 && now_ms_f() - q0 > budget_ms)
					break;
				struct auth_principal sp = { .role = AUTH_ROLE_SPECIALIST };
				pl_strlcpy(sp.user_id, spec_ids[i % n_spec], sizeof(sp.user_id));
				struct desk_report_query q = { qs[k].g, today - qs[k].days + 1, today };
				double s = now_ms_f();
				rc = scan ? desk_report_kpi_scan(c, qs[k].p ? qs[k].p : &sp, &q, now, &out, &e)
					  : desk_report_kpi(c, qs[k].p ? qs[k].p : &sp, &q, now, &out, &e);
				if (rc)
					die(e.text, rc);
				t[i] = now_ms_f() - s;
				if (i == 0) {
					printf("%-10s %s: %zu rows, total %lld requests\n", label, name,
					       json_array_size(json_object_get(out, "items")),
					       (long long)json_integer_value(json_object_get(
						       json_object_get(out, "total"), "requests")));
					first[scan] = json_incref(out);
				}
				json_decref(out);
				done_runs = i + 1;
			}
			report_line(label, name, t, done_runs);
		}
		printf("%-10s %s: rollup and scan answers %s\n", label, qs[k].name,
		       json_equal(first[0], first[1]) ? "identical" : "DIFFER");
		differ += !json_equal(first[0], first[1]);
		json_decref(first[0]);
		json_decref(first[1]);
	}
	int status = differ ? 1 : 0;
	free(t);
	store_conn_put(c);
	store_free(st);
	return status;
}
