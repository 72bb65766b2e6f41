/*
 * repo_rollup.c - the stored 1-minute and 1-hour rollups of the line
 * series (migration 25, table line_rollups) behind src/line/repo.h:
 * incremental upserts for new points, exact rebuilds from the blocks for
 * changed ones, the reads the HTTP route serves, and the one-time
 * backfill of the points stored before the table existed.
 *
 * NOTES ON THE DESIGN
 * 1. Two ways to write a row, and which one is right depends on what the
 *    caller knows. Points newer than what the rows count (the fast path:
 *    the MQTT flush's new points, a new HTTP block) are folded in by
 *    line_repo_rollups_add: one upsert per bucket touched, n/sum added,
 *    min/max/first/last compared in SQL, so it costs one row per bucket
 *    and width, not per point, up to 32 rows a statement (an HTTP block
 *    of 4,096 points at 1 s touches 71 buckets; a flush, one statement). Anything else - a
 *    late point merged into a stored block, a point replaced by one of
 *    the same t, a block rewritten - goes through line_repo_rollups_rebuild, which recomputes
 *    the buckets from the blocks (line_repo_rollups, every stored point)
 *    and replaces the rows: exact whatever they held, so a replaced
 *    duplicate is never counted twice and a retried transaction cannot
 *    count anything twice either.
 * 2. Everything runs in the caller's transaction: a rolled-back flush
 *    rolls the rows back with the points, and the caller's memory of what
 *    the rows count (the MQTT worker's n_flushed) only moves on commit.
 * 3. NaN and infinities follow line_rollup_points: counted in `skipped`,
 *    not aggregated; a bucket of only such values is a row with n = 0 and
 *    NULL min/max/first/last (SQLite cannot store NaN).
 * 4. The sum of a row built by increments adds partial sums in another
 *    order than a rebuild does; the two agree to rounding, not bit for
 *    bit (the same holds for line_repo_rollups across blocks).
 * 5. The backfill (migration 25 lists the series that existed) runs at
 *    start-up before any ingest: one transaction per series, so an
 *    interrupted backfill resumes with the series still listed.
 * 6. An hour is rebuilt from its stored minute rows (at most 60), not
 *    from its points: every caller rebuilds the minutes of a span first,
 *    and the minute rows of an hour compose exactly into it (counts and
 *    sums add, min/max/first/last compare). Rebuilding an hour from the
 *    blocks decoded every point of the hour again for each late point; at
 *    full rate (~20,000 points per series an hour in `make bench-line`)
 *    a flush of scattered late points then cost seconds of CPU and the
 *    ingest fell behind.
 */
#include "line/repo.h"

#include <math.h>
#include <string.h>

/* Buckets one rebuild window computes (bounds its memory: 1024 rollups). */
#define REBUILD_WINDOW 1024

static const int64_t roll__widths[] = { LINE_ROLLUP_MINUTE_MS, LINE_ROLLUP_HOUR_MS };

/* The start of t's bucket: floor, so buckets before 1970 line up too
 * (the same rule as src/line/rollup.c). */
static int64_t roll__floor(int64_t t, int64_t w)
{
	int64_t q = t / w;
	if (t % w != 0 && t < 0)
		q--;
	return q * w;
}

/* The upsert of 1..UPSERT_ROWS buckets in one statement: a new bucket is
 * inserted, a stored one folded into (NOTES 1). Every right-hand side
 * reads the old row; a NULL comparison (the new part has no finite value)
 * is false and keeps the old value. The rows of one statement are distinct
 * keys (PostgreSQL refuses to update a row twice in one statement). */
#define UPSERT_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define UPSERT_HEAD "INSERT INTO line_rollups (series_id, width_ms, bucket_ms, n, skipped," \
	" v_sum, v_min, v_max, first_t, first_v, last_t, last_v) VALUES "
#define UPSERT_TAIL " ON CONFLICT (series_id, width_ms, bucket_ms) DO UPDATE SET" \
	" n = line_rollups.n + excluded.n," \
	" skipped = line_rollups.skipped + excluded.skipped," \
	" v_sum = line_rollups.v_sum + excluded.v_sum," \
	" v_min = CASE WHEN line_rollups.n = 0 OR excluded.v_min < line_rollups.v_min" \
	" THEN excluded.v_min ELSE line_rollups.v_min END," \
	" v_max = CASE WHEN line_rollups.n = 0 OR excluded.v_max > line_rollups.v_max" \
	" THEN excluded.v_max ELSE line_rollups.v_max END," \
	" first_t = CASE WHEN line_rollups.n = 0 OR excluded.first_t < line_rollups.first_t" \
	" THEN excluded.first_t ELSE line_rollups.first_t END," \
	" first_v = CASE WHEN line_rollups.n = 0 OR excluded.first_t < line_rollups.first_t" \
	" THEN excluded.first_v ELSE line_rollups.first_v END," \
	" last_t = CASE WHEN line_rollups.n = 0 OR excluded.last_t > line_rollups.last_t" \
	" THEN excluded.last_t ELSE line_rollups.last_t END," \
	" last_v = CASE WHEN line_rollups.n = 0 OR excluded.last_t > line_rollups.last_t" \
	" THEN excluded.last_v ELSE line_rollups.last_v END"
#define UPSERT_COLS 12
/* Rows per statement: up to UPSERT_ROWS at a time, then 4, then the last
 * 1-4 in one (a flush's new points touch two or three buckets: one
 * statement, as before; an HTTP block of 4,096 points at 1 s touches 71 -
 * 69 minutes, 2 hours - four statements, not 18). */
#define UPSERT_ROWS 32

/* The upsert statement of k rows, into sql. */
static void roll__upsert_sql(struct pl_buf *sql, size_t k)
{
	pl_buf_puts(sql, UPSERT_HEAD);
	for (size_t j = 0; j < k; j++)
		pl_buf_puts(sql, j ? ", " UPSERT_ROW : UPSERT_ROW);
	pl_buf_puts(sql, UPSERT_TAIL);
}

/* One bucket of width w in the column order of UPSERT_ROW, into p[0..12). */
static void roll__params(struct store_param *p, const char *series_id, int64_t w,
			 const struct line_rollup *r)
{
	bool has = r->count > 0; /* NOTES 3: no finite value, no min..last */
	struct store_param row[UPSERT_COLS] = {
		SP_TEXT(series_id), SP_INT(w), SP_INT(r->bucket), SP_INT((int64_t)r->count),
		SP_INT((int64_t)r->skipped), SP_REAL(has ? r->sum : 0),
		has ? SP_REAL(r->min) : SP_NULL, has ? SP_REAL(r->max) : SP_NULL,
		has ? SP_INT(r->t_first) : SP_NULL, has ? SP_REAL(r->first) : SP_NULL,
		has ? SP_INT(r->t_last) : SP_NULL, has ? SP_REAL(r->last) : SP_NULL,
	};
	memcpy(p, row, sizeof(row));
}

/* Upserts rows[0..n) (bucket of width widths[i] each), UPSERT_ROWS,
 * then 4, then the rest per statement (NOTES 1). */
static int roll__upsert(struct store_conn *c, const char *series_id, const int64_t *widths,
			const struct line_rollup *rows, size_t n)
{
	struct store_param *p = pl_malloc(UPSERT_ROWS * UPSERT_COLS * sizeof(*p));
	struct pl_buf sql;
	int rc = 0;

	pl_buf_init(&sql, 16 * 1024);
	for (size_t i = 0; i < n && rc == 0;) {
		size_t k = n - i >= UPSERT_ROWS ? UPSERT_ROWS : n - i > 4 ? 4 : n - i;
		sql.len = 0;
		roll__upsert_sql(&sql, k);
		if (!sql.data) {
			rc = PL_ETOOBIG;
			break;
		}
		for (size_t j = 0; j < k; j++)
			roll__params(p + j * UPSERT_COLS, series_id, widths[i + j], &rows[i + j]);
		rc = store_exec(c, sql.data, p, k * UPSERT_COLS, NULL);
		i += k;
	}
	free(p);
	pl_buf_release(&sql);
	return rc;
}

int line_repo_rollups_add(struct store_conn *c, const char *series_id,
			  const struct line_point *pts, size_t n)
{
	struct line_rollup *rows;
	int64_t *widths;
	size_t k = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	/* at most one bucket per point and width */
	rows = pl_malloc(2 * n * sizeof(*rows));
	widths = pl_malloc(2 * n * sizeof(*widths));
	for (size_t w = 0; w < sizeof(roll__widths) / sizeof(roll__widths[0]); w++) {
		size_t m = 0;
		if ((rc = line_rollup_points(pts, n, roll__widths[w], rows + k, n, &m)))
			goto out;
		for (size_t i = 0; i < m; i++)
			widths[k + i] = roll__widths[w];
		k += m;
	}
	rc = roll__upsert(c, series_id, widths, rows, k);
out:
	free(widths);
	free(rows);
	return rc;
}

/* The width_ms buckets over [from, to) (bucket-aligned) composed from the
 * stored minute rows (NOTES 6), into out[0..max); *n gets their count. */
static int roll__from_minutes(struct store_conn *c, const char *series_id, int64_t width_ms,
			      int64_t from, int64_t to, struct line_rollup *out, size_t max, size_t *n)
{
	struct line_rollup *m = pl_malloc(REBUILD_WINDOW * sizeof(*m));
	size_t nm = 0, k = 0;
	int rc = line_repo_rollups_stored(c, series_id, LINE_ROLLUP_MINUTE_MS, from, to, m,
					  REBUILD_WINDOW, &nm);

	for (size_t i = 0; i < nm && rc == 0; i++) {
		int64_t b = roll__floor(m[i].bucket, width_ms);
		if (k == 0 || out[k - 1].bucket != b) {
			if (k == max) {
				rc = PL_ETOOBIG;
				break;
			}
			out[k++] = (struct line_rollup){ .bucket = b };
		}
		struct line_rollup *o = &out[k - 1];
		o->skipped += m[i].skipped;
		if (m[i].count == 0)
			continue; /* NOTES 3: nothing else to fold */
		if (o->count == 0) { /* minute rows come in time order */
			o->min = m[i].min;
			o->max = m[i].max;
			o->t_first = m[i].t_first;
			o->first = m[i].first;
		}
		if (m[i].min < o->min)
			o->min = m[i].min;
		if (m[i].max > o->max)
			o->max = m[i].max;
		o->sum += m[i].sum;
		o->count += m[i].count;
		o->t_last = m[i].t_last;
		o->last = m[i].last;
	}
	*n = k;
	free(m);
	return rc;
}

int line_repo_rollups_rebuild(struct store_conn *c, const char *series_id, int64_t width_ms,
			      int64_t t_min, int64_t t_max)
{
	struct line_rollup *buf;
	int rc = 0;

	/* bounded inputs keep every sum below far from overflow */
	if (width_ms <= 0 || width_ms > LINE_TIME_ABS_MAX || t_min > t_max ||
	    t_min < -LINE_TIME_ABS_MAX || t_max > LINE_TIME_ABS_MAX)
		return PL_EINVAL;
	/* NOTES 6: a width of whole minutes (more than one, at most a window
	 * of them) composes from the minute rows, a window of them at a time */
	int64_t per = width_ms / LINE_ROLLUP_MINUTE_MS;
	bool derived = width_ms % LINE_ROLLUP_MINUTE_MS == 0 && per > 1 && per <= REBUILD_WINDOW;
	int64_t win = derived ? REBUILD_WINDOW / per : REBUILD_WINDOW;
	int64_t from = roll__floor(t_min, width_ms), end = roll__floor(t_max, width_ms) + width_ms;
	buf = pl_malloc(REBUILD_WINDOW * sizeof(*buf));
	while (from < end && rc == 0) {
		int64_t to = (end - from) / width_ms > win ? from + win * width_ms : end;
		size_t k = 0;
		struct store_param p[] = { SP_TEXT(series_id), SP_INT(width_ms), SP_INT(from), SP_INT(to) };
		if ((rc = derived ? roll__from_minutes(c, series_id, width_ms, from, to, buf,
						       REBUILD_WINDOW, &k)
				  : line_repo_rollups(c, series_id, from, to, width_ms, buf, REBUILD_WINDOW,
						      &k)) ||
		    (rc = store_exec(c, "DELETE FROM line_rollups WHERE series_id = ? AND width_ms = ?"
				     " AND bucket_ms >= ? AND bucket_ms < ?", p, STORE_NP(p), NULL)))
			break;
		int64_t ws[UPSERT_ROWS];
		for (size_t i = 0; i < UPSERT_ROWS; i++)
			ws[i] = width_ms;
		for (size_t i = 0; i < k && rc == 0; i += UPSERT_ROWS)
			rc = roll__upsert(c, series_id, ws, &buf[i], k - i < UPSERT_ROWS ? k - i : UPSERT_ROWS);
		from = to;
	}
	free(buf);
	return rc;
}

int line_repo_rollups_stored(struct store_conn *c, const char *series_id, int64_t width_ms,
			     int64_t from, int64_t to, struct line_rollup *out, size_t max,
			     size_t *n)
{
	struct store_rows *r = NULL;
	size_t k = 0;
	struct store_param p[] = {
		SP_TEXT(series_id), SP_INT(width_ms), SP_INT(from), SP_INT(to),
		SP_INT((int64_t)max + 1),
	};
	int rc = store_query(c, "SELECT bucket_ms, n, skipped, v_sum, v_min, v_max, first_t, first_v,"
			     " last_t, last_v FROM line_rollups WHERE series_id = ? AND width_ms = ?"
			     " AND bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms LIMIT ?",
			     p, STORE_NP(p), &r);
	if (rc)
		goto out;
	while ((rc = store_rows_next(r)) == 1) {
		if (k == max) {
			rc = PL_ETOOBIG;
			goto out;
		}
		struct line_rollup *b = &out[k++];
		memset(b, 0, sizeof(*b));
		b->bucket = store_rows_int(r, 0);
		b->count = (uint64_t)store_rows_int(r, 1);
		b->skipped = (uint64_t)store_rows_int(r, 2);
		if (b->count == 0)
			continue; /* NOTES 3: the rest is NULL */
		b->sum = store_rows_real(r, 3);
		b->min = store_rows_real(r, 4);
		b->max = store_rows_real(r, 5);
		b->t_first = store_rows_int(r, 6);
		b->first = store_rows_real(r, 7);
		b->t_last = store_rows_int(r, 8);
		b->last = store_rows_real(r, 9);
	}
out:
	*n = k;
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* The id of series (line_id, metric); PL_ENOTFOUND when there is none. */
static int roll__series_id(struct store_conn *c, const char *line_id, const char *metric,
			   char series_id[PL_ID_LEN + 1])
{
	json_t *o = NULL;
	struct store_param p[] = { SP_TEXT(line_id), SP_TEXT(metric) };
	int rc = store_query_one(c, "SELECT id FROM line_series WHERE line_id = ? AND metric = ?",
				 p, STORE_NP(p), &o);
	if (rc == 0)
		pl_strlcpy(series_id, pl_json_str(o, "id"), PL_ID_LEN + 1);
	json_decref(o);
	return rc;
}

/* A finite double as JSON (it always is: NOTES 3), else null. */
static json_t *roll__num(bool has, double v)
{
	return has && isfinite(v) ? json_real(v) : json_null();
}

int line_repo_rollups_json(struct store_conn *c, const char *line_id, const char *metric,
			   int64_t width_ms, int64_t from, int64_t to, json_t **out)
{
	struct line_rollup *b = NULL;
	char sid[PL_ID_LEN + 1];
	size_t n = 0;
	int rc;

	if (width_ms <= 0 || from >= to)
		return PL_EINVAL;
	if ((rc = roll__series_id(c, line_id, metric, sid)))
		return rc;
	b = pl_malloc(LINE_QUERY_BUCKETS_MAX * sizeof(*b));
	/* the buckets overlapping [from, to): the one holding from onwards */
	if ((rc = line_repo_rollups_stored(c, sid, width_ms, roll__floor(from, width_ms), to, b,
					   LINE_QUERY_BUCKETS_MAX, &n)))
		goto out;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		bool has = b[i].count > 0;
		json_array_append_new(arr, json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}",
						     "t", (json_int_t)b[i].bucket,
						     "n", (json_int_t)b[i].count,
						     "min", roll__num(has, b[i].min),
						     "max", roll__num(has, b[i].max),
						     "avg", roll__num(has, has ? b[i].sum / (double)b[i].count : 0),
						     "first", roll__num(has, b[i].first),
						     "last", roll__num(has, b[i].last)));
	}
	*out = arr;
out:
	free(b);
	return rc;
}

/* Rebuilds every row of one series from its blocks (NOTES 5). */
static int roll__series_rebuild(struct store_conn *c, const char *series_id)
{
	json_t *o = NULL;
	struct store_param p[] = { SP_TEXT(series_id) };
	int rc = store_exec(c, "DELETE FROM line_rollups WHERE series_id = ?", p, 1, NULL);
	if (rc == 0)
		rc = store_query_one(c, "SELECT min(t_first) AS lo, max(t_last) AS hi"
				     " FROM line_series_blocks WHERE series_id = ?", p, 1, &o);
	if (rc)
		goto out;
	json_t *lo = json_object_get(o, "lo"), *hi = json_object_get(o, "hi");
	if (!json_is_integer(lo) || !json_is_integer(hi))
		goto out; /* no blocks: no rows */
	for (size_t w = 0; w < sizeof(roll__widths) / sizeof(roll__widths[0]) && rc == 0; w++)
		rc = line_repo_rollups_rebuild(c, series_id, roll__widths[w], json_integer_value(lo),
					       json_integer_value(hi));
out:
	json_decref(o);
	return rc;
}

int line_repo_rollups_backfill(struct store *st, size_t *done)
{
	struct store_conn *c = NULL;
	json_t *o = NULL;
	char after[PL_ID_LEN + 1] = ""; /* ids sort after "": a cursor past skipped ones */
	size_t k = 0;
	int rc, bad = 0;

	if ((rc = store_conn_get(st, &c)))
		goto out;
	for (;;) {
		json_decref(o);
		o = NULL;
		struct store_param pa[] = { SP_TEXT(after) };
		rc = store_query_one(c, "SELECT series_id FROM line_rollups_pending WHERE series_id > ?"
				     " ORDER BY series_id LIMIT 1", pa, 1, &o);
		if (rc == PL_ENOTFOUND) {
			rc = 0;
			break; /* nothing (left) to do */
		}
		if (rc)
			goto out;
		pl_strlcpy(after, pl_json_str(o, "series_id"), sizeof(after));
		struct store_param p[] = { SP_TEXT(after) };
		if ((rc = store_begin(c)))
			goto out;
		rc = roll__series_rebuild(c, after);
		if (rc == PL_EPARSE) {
			/* a corrupt block: this series stays pending, the rest go on */
			store_rollback(c);
			bad = rc;
			continue;
		}
		if (rc || (rc = store_exec(c, "DELETE FROM line_rollups_pending WHERE series_id = ?",
					   p, 1, NULL)) ||
		    (rc = store_commit(c)))
			goto out;
		k++;
	}
out:
	if (done)
		*done = k;
	json_decref(o);
	store_conn_put(c); /* rolls back what is still open */
	return rc ? rc : bad;
}
