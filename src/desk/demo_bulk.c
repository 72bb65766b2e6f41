/*
 * demo_bulk.c - many generated requests, fast: the demo park's year of
 * service (serve --demo) and the million-request benchmark (bench/desk).
 *
 * Requests are spread over every enterprise that has a current
 * specialist, created uniformly over a window, and then walked
 * through a plausible life by a seeded generator: most are signed within
 * the limit and resolved on time, some late; some go to a department and a
 * few come back (退单); most resolved requests are rated, mostly 满意, and
 * a 不满意 reopens the request (重办) for a second round. Requests still
 * young at now_ms stop in the state they would be in, so the demo has
 * requests in every state, and the KPI report has substance.
 *
 * NOTES ON THE DESIGN
 * 1. Speed: rows go in as multi-row INSERTs of BULK_ROWS rows (24
 *    parameters each: 2400 per statement, under SQLite's 32766 and
 *    PostgreSQL's 65535 limits), in the caller's transaction; the same SQL
 *    text is reused, so both drivers' statement caches prepare it once.
 * 2. Generated rows are not anyone's action: no request_events and no
 *    audit rows. Their numbers are "DM-<id>", which never collides with the
 *    GD<date>-NNNN numbers that desk_request_create counts per day.
 * 3. Times use minute clocks (the calendar is not consulted): a normal
 *    request is due about a week after 签收, urgent in 24 h, critical in
 *    2 h, which is what the working-day SLA amounts to on average.
 * 4. The KPI rollup (migration 18) and the due-day counts (migration 21)
 *    are kept by row triggers, which would cost millions of trigger runs
 *    and, on PostgreSQL, several dead rows per request. So the call holds
 *    them off (a desk_kpi_bulk row, never committed: rollup_sql.h notes 5
 *    and 7; migration 24 added the hold to migration 21's triggers) and
 *    adds its own requests to both tables at the end, with one grouped
 *    statement each over the requests numbered DM- with ids from the
 *    call's start on (ids begin with their creation time). Two calls must
 *    therefore not overlap in time on one store.
 */
#include "desk/report.h"
#include "desk/rollup_sql.h"

#define BULK_ROWS 100
#define BULK_COLS 24
#define BULK_TARGETS_MAX 100000 /* enterprise-specialist pairs read */
#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* xorshift64*: small, seeded, good enough for demo data. */
struct bulk_rng {
	uint64_t s;
};
static uint64_t rng_next(struct bulk_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}
/* Uniform in [0, n). */
static int64_t rng_below(struct bulk_rng *r, int64_t n)
{
	return n > 0 ? (int64_t)(rng_next(r) % (uint64_t)n) : 0;
}
/* True with probability pct percent. */
static bool rng_pct(struct bulk_rng *r, int pct)
{
	return rng_below(r, 1000) < pct * 10;
}

struct bulk_target {
	char enterprise_id[PL_ID_LEN + 1];
	char specialist_id[PL_ID_LEN + 1];
};

/* One generated request: the texts its parameters point into. */
enum { T_SIGN_DUE, T_CONTACT_DUE, T_DUE, T_DISPATCHED, T_ACCEPTED, T_ESCALATED, T_CREATED,
       T_UPDATED, T_RESOLVED, T_COUNT };
struct bulk_row {
	char id[PL_ID_LEN + 1];
	char no[PL_ID_LEN + 8];
	const char *title, *category, *urgency, *channel, *state, *department, *resolution;
	const char *specialist_id, *enterprise_id;
	char t[T_COUNT][PL_TIME_STRLEN];
	bool has[T_COUNT];
	int reopened, returned;
	/* ratings: round 0 and, after a reopen, round 1 */
	const char *rating[2];
	char rating_id[2][PL_ID_LEN + 1];
	char rating_at[2][PL_TIME_STRLEN];
};

static const struct {
	const char *category, *title;
} bulk__titles[] = {
	{ "consult", "咨询研发费用加计扣除政策" },
	{ "consult", "咨询高新技术企业认定材料" },
	{ "consult", "员工子女入学政策咨询" },
	{ "help", "申请临时用电扩容" },
	{ "help", "协调办理施工许可" },
	{ "help", "招聘外籍技术人员工作许可" },
	{ "complaint", "周边道路施工噪音扰民" },
	{ "complaint", "园区路灯损坏影响夜班通勤" },
	{ "suggestion", "建议增开园区通勤班车" },
	{ "suggestion", "建议设立共享检测平台" },
	{ "utility", "厂区供水压力不足" },
	{ "utility", "燃气价格协商" },
	{ "utility", "雨后厂区道路积水" },
};
#define NTITLES (sizeof(bulk__titles) / sizeof(bulk__titles[0]))
static const char *const bulk__depts[] = { "construction", "transport", "energy", "tax",
					   "market", "hr" };
static const char *const bulk__channels[] = { "phone", "wechat", "wechat", "web", "sms",
					      "visit", "phone" };

static void bulk__t(struct bulk_row *w, int k, int64_t ms)
{
	pl_time_format(ms, w->t[k]);
	w->has[k] = true;
}

/* Generates one request created at created (note 3). */
static void bulk__gen(struct bulk_rng *g, const struct bulk_target *tg, int64_t created,
		      int64_t now, struct bulk_row *w)
{
	size_t ti = (size_t)rng_below(g, NTITLES);
	int64_t limit, sign_limit, dispatched, accepted, resolved = 0, due;
	int ur = (int)rng_below(g, 100);

	memset(w, 0, sizeof(*w));
	pl_id_new(w->id);
	snprintf(w->no, sizeof(w->no), "DM-%s", w->id);
	w->title = bulk__titles[ti].title;
	w->category = bulk__titles[ti].category;
	w->urgency = ur < 85 ? "normal" : ur < 97 ? "urgent" : "critical";
	limit = ur < 85 ? 7 * DAY_MS : ur < 97 ? DAY_MS : 2 * HOUR_MS;
	sign_limit = ur < 85 ? 2 * HOUR_MS : ur < 97 ? 30 * MIN_MS : 10 * MIN_MS;
	w->channel = bulk__channels[rng_below(g, 7)];
	w->enterprise_id = tg->enterprise_id;
	bulk__t(w, T_CREATED, created);
	bulk__t(w, T_UPDATED, created);
	w->state = "received";
	if (rng_pct(g, 1))
		return; /* never dispatched: 受理 only */

	dispatched = created + rng_below(g, 2 * MIN_MS);
	if (dispatched > now)
		return;
	w->specialist_id = tg->specialist_id;
	w->state = "dispatched";
	bulk__t(w, T_DISPATCHED, dispatched);
	bulk__t(w, T_SIGN_DUE, dispatched + sign_limit);
	bulk__t(w, T_UPDATED, dispatched);
	/* 签收: 92 % within the limit */
	accepted = dispatched + (rng_pct(g, 92) ? 1 + rng_below(g, sign_limit)
					     : sign_limit + 1 + rng_below(g, 3 * sign_limit));
	if (accepted > now)
		return;
	w->state = "in_progress";
	bulk__t(w, T_ACCEPTED, accepted);
	bulk__t(w, T_CONTACT_DUE, accepted + HOUR_MS);
	due = accepted + limit;
	bulk__t(w, T_DUE, due);
	bulk__t(w, T_UPDATED, accepted);
	/* 转办 to a department for 10 %; a third of those come back (退单) */
	if (rng_pct(g, 10)) {
		if (rng_pct(g, 33))
			w->returned = 1;
		else
			w->department = bulk__depts[rng_below(g, 6)];
	}
	/* 办结: 88 % on time */
	resolved = accepted + (rng_pct(g, 88) ? limit / 10 + rng_below(g, limit * 8 / 10)
					      : limit + 1 + rng_below(g, limit));
	if (resolved > now) {
		if (w->department)
			w->state = "transferred";
		if (due < now) {
			w->state = "escalated";
			bulk__t(w, T_ESCALATED, due);
		}
		return;
	}
	w->state = "resolved";
	w->resolution = "已办结：与企业沟通确认解决（演示数据）";
	bulk__t(w, T_RESOLVED, resolved);
	bulk__t(w, T_UPDATED, resolved);
	/* 回访/评价: 85 % rate within 3 days */
	int64_t rated = resolved + rng_below(g, 3 * DAY_MS);
	if (!rng_pct(g, 85) || rated > now) {
		if (now - resolved > 7 * DAY_MS)
			w->state = "closed";
		return;
	}
	int gr = (int)rng_below(g, 100);
	w->rating[0] = gr < 86 ? "satisfied" : gr < 95 ? "basic" : "unsatisfied";
	pl_id_new(w->rating_id[0]);
	pl_time_format(rated, w->rating_at[0]);
	w->state = now - rated > 7 * DAY_MS ? "closed" : "rated";
	bulk__t(w, T_UPDATED, rated);
	if (strcmp(w->rating[0], "unsatisfied"))
		return;
	/* 重办: the second round is resolved in 1-3 days and rated 满意 */
	w->reopened = 1;
	w->state = "reopened";
	int64_t again = rated + DAY_MS + rng_below(g, 2 * DAY_MS);
	if (again > now)
		return;
	w->state = "rated";
	bulk__t(w, T_RESOLVED, again);
	bulk__t(w, T_UPDATED, again);
	w->rating[1] = "satisfied";
	pl_id_new(w->rating_id[1]);
	pl_time_format(again + HOUR_MS, w->rating_at[1]);
}

static struct store_param bulk__opt(const struct bulk_row *w, int k)
{
	return w->has[k] ? SP_TEXT(w->t[k]) : SP_NULL;
}
static struct store_param bulk__s(const char *s)
{
	return s ? SP_TEXT(s) : SP_NULL;
}

/* "INSERT ... VALUES (?,...),(?,...)" for n rows of cols columns. */
static char *bulk__sql(const char *head, size_t n, int cols)
{
	struct pl_buf b;
	pl_buf_init(&b, 256 * 1024);
	pl_buf_puts(&b, head);
	for (size_t i = 0; i < n; i++) {
		pl_buf_puts(&b, i ? ",(" : " VALUES (");
		for (int k = 0; k < cols; k++)
			pl_buf_puts(&b, k ? ",?" : "?");
		pl_buf_puts(&b, ")");
	}
	return pl_buf_steal(&b);
}

static const char BULK_REQ_HEAD[] =
	"INSERT INTO requests (id, no, enterprise_id, title, description, channel, category, "
	"urgency, state, specialist_id, department, created_by, sign_due_at, contact_due_at, "
	"due_at, dispatched_at, accepted_at, escalated_at, created_at, updated_at, resolved_at, "
	"resolution, reopened, returned)";
static const char BULK_RAT_HEAD[] =
	"INSERT INTO ratings (id, request_id, round, enterprise_id, specialist_id, rating, at)";

/* Writes rows[0..n) and their ratings. */
static int bulk__flush(struct store_conn *c, const struct bulk_row *rows, size_t n,
		       struct store_param *prm)
{
	char *sql = bulk__sql(BULK_REQ_HEAD, n, BULK_COLS);
	size_t np = 0, nr = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct bulk_row *w = &rows[i];
		prm[np++] = SP_TEXT(w->id);
		prm[np++] = SP_TEXT(w->no);
		prm[np++] = SP_TEXT(w->enterprise_id);
		prm[np++] = SP_TEXT(w->title);
		prm[np++] = SP_TEXT(w->title);
		prm[np++] = SP_TEXT(w->channel);
		prm[np++] = SP_TEXT(w->category);
		prm[np++] = SP_TEXT(w->urgency);
		prm[np++] = SP_TEXT(w->state);
		prm[np++] = bulk__s(w->specialist_id);
		prm[np++] = bulk__s(w->department);
		prm[np++] = SP_TEXT("demo");
		prm[np++] = bulk__opt(w, T_SIGN_DUE);
		prm[np++] = bulk__opt(w, T_CONTACT_DUE);
		prm[np++] = bulk__opt(w, T_DUE);
		prm[np++] = bulk__opt(w, T_DISPATCHED);
		prm[np++] = bulk__opt(w, T_ACCEPTED);
		prm[np++] = bulk__opt(w, T_ESCALATED);
		prm[np++] = bulk__opt(w, T_CREATED);
		prm[np++] = bulk__opt(w, T_UPDATED);
		prm[np++] = bulk__opt(w, T_RESOLVED);
		prm[np++] = bulk__s(w->resolution);
		prm[np++] = SP_INT(w->reopened);
		prm[np++] = SP_INT(w->returned);
	}
	rc = store_exec(c, sql, prm, np, NULL);
	free(sql);
	if (rc)
		return rc;
	np = 0;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			const struct bulk_row *w = &rows[i];
			if (!w->rating[k])
				continue;
			prm[np++] = SP_TEXT(w->rating_id[k]);
			prm[np++] = SP_TEXT(w->id);
			prm[np++] = SP_INT(k);
			prm[np++] = SP_TEXT(w->enterprise_id);
			prm[np++] = bulk__s(w->specialist_id);
			prm[np++] = SP_TEXT(w->rating[k]);
			prm[np++] = SP_TEXT(w->rating_at[k]);
			nr++;
		}
	if (!nr)
		return 0;
	sql = bulk__sql(BULK_RAT_HEAD, nr, 7);
	rc = store_exec(c, sql, prm, np, NULL);
	free(sql);
	return rc;
}

int desk_demo_bulk(struct store_conn *c, int64_t n, int64_t from_ms, int64_t to_ms,
		   uint64_t seed, int64_t now_ms, int64_t *made)
{
	struct bulk_target *tg = NULL;
	struct bulk_row *rows = NULL;
	struct store_param *prm = NULL;
	struct store_rows *r = NULL;
	struct bulk_rng g = { seed ? seed : 0x9E3779B97F4A7C15ULL };
	size_t ntg = 0, fill = 0;
	char lo[PL_ID_LEN + 1];
	int rc;

	*made = 0;
	if (n < 0 || n > DESK_BULK_MAX || from_ms >= to_ms || to_ms > now_ms)
		return PL_EINVAL;
	rc = store_query(c, "SELECT enterprise_id, specialist_id FROM assignments "
			 "WHERE ended_at IS NULL ORDER BY enterprise_id", NULL, 0, &r);
	if (rc)
		return rc;
	tg = pl_calloc(BULK_TARGETS_MAX, sizeof(*tg));
	while (ntg < BULK_TARGETS_MAX && (rc = store_rows_next(r)) == 1) {
		pl_strlcpy(tg[ntg].enterprise_id, store_rows_text(r, 0), sizeof(tg[ntg].enterprise_id));
		pl_strlcpy(tg[ntg].specialist_id, store_rows_text(r, 1), sizeof(tg[ntg].specialist_id));
		ntg++;
	}
	store_rows_free(r);
	if (rc < 0)
		goto out;
	rc = 0;
	if (ntg == 0)
		goto out;
	/* Note 4: the lowest id this call can make, and the triggers held. */
	pl_id_new(lo);
	memset(lo + 10, '0', PL_ID_LEN - 10);
	if ((rc = store_exec(c, "INSERT INTO desk_kpi_bulk (id) VALUES (1)", NULL, 0, NULL)))
		goto out;
	rows = pl_calloc(BULK_ROWS, sizeof(*rows));
	prm = pl_calloc(BULK_ROWS * BULK_COLS, sizeof(*prm));
	int64_t step = (to_ms - from_ms) / (n ? n : 1);
	for (int64_t i = 0; i < n; i++) {
		/* evenly spread over the window, jittered within each step */
		int64_t created = from_ms + step * i + rng_below(&g, step + 1);
		if (created >= to_ms)
			created = to_ms - 1;
		bulk__gen(&g, &tg[rng_below(&g, (int64_t)ntg)], created, now_ms, &rows[fill++]);
		if (fill == BULK_ROWS) {
			if ((rc = bulk__flush(c, rows, fill, prm)))
				goto out;
			*made += (int64_t)fill;
			fill = 0;
		}
	}
	if (fill) {
		if ((rc = bulk__flush(c, rows, fill, prm)))
			goto out;
		*made += (int64_t)fill;
	}
	struct store_param lp[] = { SP_TEXT(lo) };
	/* The marker goes first: the two statements below then write the
	 * tables the triggers keep, and must not be held themselves. */
	if ((rc = store_exec(c, "DELETE FROM desk_kpi_bulk", NULL, 0, NULL)) ||
	    (rc = store_exec(c, DESK_KPI_ADD_BULK_SQL, lp, 1, NULL)) ||
	    (rc = store_exec(c, DESK_KPI_DUE_ADD_BULK_SQL, lp, 1, NULL)))
		goto out;
	/* On failure the caller rolls back, which removes the marker too. */
out:
	free(prm);
	free(rows);
	free(tg);
	return rc;
}

int desk_demo_bulk_seed(struct store *st, FILE *print_to)
{
	struct store_conn *c = NULL;
	json_t *row = NULL;
	int64_t made = 0;
	int rc;

	if ((rc = store_conn_get(st, &c)))
		return rc;
	if ((rc = store_begin(c)))
		goto out;
	rc = store_query_one(c, "SELECT count(*) AS n FROM requests WHERE no LIKE 'DM-%'",
			     NULL, 0, &row);
	if (rc)
		goto out;
	if (json_integer_value(json_object_get(row, "n")) > 0) {
		rc = store_rollback(c); /* seeded before */
		goto out;
	}
	int64_t now = pl_time_now_ms();
	if ((rc = desk_demo_bulk(c, 3000, now - 365 * DAY_MS, now, 20261125, now, &made)))
		goto out;
	if ((rc = store_commit(c)))
		goto out;
	if (print_to && made)
		fprintf(print_to, "desk: %lld generated requests over the last 12 months "
			"(报表: /desk?tab=reports)\n", (long long)made);
out:
	if (rc && store_in_tx(c))
		store_rollback(c);
	json_decref(row);
	store_conn_put(c);
	return rc;
}
