/*
 * repo.c - the line module's tables (migration 4) behind src/line/repo.h:
 * lines, their series, compressed point blocks and the last-value cache.
 *
 * NOTES ON THE DESIGN
 * 1. One row per block (line.h NOTES 1), keyed (series_id, t_first). The
 *    single ingest worker keeps one open block per series in memory and
 *    rewrites its row (an upsert on the key) on every flush until the
 *    block holds LINE_BLOCK_POINTS_MAX points (or fewer: the worker seals
 *    busy blocks early); then it starts a new one. With an incremental
 *    encoder per open block (line_repo_block_put_enc) a flush encodes only
 *    its new points but still writes the block's bytes whole, and a crash
 *    loses at most what arrived since the last committed flush.
 * 2. The last value only moves forward: the upsert keeps a stored value
 *    whose time is newer, so a late block cannot roll the cache back.
 * 3. Late points (at or before a series' newest point) do not take the
 *    fast path: line_repo_points_merge puts each into its "home" block,
 *    the stored block with the largest t_first <= t, by decoding it,
 *    line_points_merge()-ing (an equal t replaces the stored point) and
 *    re-encoding it in place; a block that grows past
 *    LINE_BLOCK_POINTS_MAX is split evenly into new rows whose t_first
 *    lies before the next block's, and points before the first block
 *    become blocks of their own. So blocks of one series never overlap
 *    in time (a range query's t_first order is time order, without
 *    duplicates), and a block's t_first - its key - never changes: the
 *    ingest worker's open block, newer than every point merged this way
 *    (src/mqtt/client.c NOTES 4), is never rewritten behind its back.
 *    Merging into the home block rather than building a block per late
 *    point keeps one late point from fragmenting a series.
 * 4. SQL is the common subset (store.h); upserts use ON CONFLICT ... DO
 *    UPDATE, which SQLite (>= 3.24) and PostgreSQL both accept.
 * 5. Rollups (1-minute, 1-hour) are stored (migration 25, table
 *    line_rollups, src/line/repo_rollup.c) and kept in the transaction of
 *    the points: line_repo_block_put adds a new block's points to their
 *    buckets (one upsert per bucket) or, when it rewrites a stored block,
 *    rebuilds the block's buckets; line_repo_points_merge rebuilds the
 *    buckets of its late points from the blocks after writing them
 *    (line_repo_rollups computes each bucket from every stored point in
 *    it), so a merged late point or a replaced duplicate changes its
 *    buckets exactly, never by an increment (no double count). The MQTT
 *    worker writes with line_repo_block_put_enc, which leaves the rollups
 *    to it (src/mqtt/client.c NOTES 11).
 */
#include "line/repo.h"
#include "auth/auth.h"

#include <math.h>
#include <string.h>

int line_repo_demo_seed(struct store *st, FILE *print_to)
{
	static const struct { const char *name, *group, *node; } demo[] = {
		{ "灌装线 1 Filling line 1", "taiji", "fill-1" },
		{ "包装线 1 Packing line 1", "taiji", "pack-1" },
	};
	struct store_conn *c = NULL;
	json_t *ent = NULL;
	char now[PL_TIME_STRLEN];
	int rc, made = 0;

	if ((rc = store_conn_get(st, &c)))
		return rc;
	struct store_param pe[] = { SP_TEXT(AUTH_DEMO_USCC_1) };
	if ((rc = store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", pe, 1, &ent)))
		goto out;
	if ((rc = store_begin(c)))
		goto out;
	pl_time_format(pl_time_now_ms(), now);
	for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
		char id[PL_ID_LEN + 1];
		int64_t ch = 0;
		pl_id_new(id);
		/* idempotent: the (sp_group, sp_node) key says the line exists */
		struct store_param p[] = {
			SP_TEXT(id), SP_TEXT(pl_json_str(ent, "id")), SP_TEXT(demo[i].name),
			SP_TEXT(demo[i].group), SP_TEXT(demo[i].node), SP_TEXT(now),
		};
		rc = store_exec(c, "INSERT INTO lines (id, enterprise_id, name, sp_group, sp_node,"
			       " created_at) VALUES (?, ?, ?, ?, ?, ?)"
			       " ON CONFLICT (sp_group, sp_node) DO NOTHING", p, STORE_NP(p), &ch);
		if (rc)
			goto out;
		made += (int)ch;
	}
	if ((rc = store_commit(c)))
		goto out;
	if (print_to)
		fprintf(print_to, "line demo: lines taiji/fill-1 and taiji/pack-1 for enterprise 1"
			" (%d new)\n", made);
out:
	json_decref(ent);
	store_conn_put(c);
	return rc;
}

int line_repo_line_by_node(struct store_conn *c, const char *group, const char *node,
			   char line_id[PL_ID_LEN + 1], char enterprise_id[PL_ID_LEN + 1])
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(group), SP_TEXT(node) };
	int rc = store_query(c, "SELECT id, enterprise_id FROM lines WHERE sp_group = ? AND sp_node = ?",
			     p, STORE_NP(p), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	pl_strlcpy(line_id, store_rows_text(r, 0), PL_ID_LEN + 1);
	pl_strlcpy(enterprise_id, store_rows_text(r, 1), PL_ID_LEN + 1);
	rc = 0;
out:
	store_rows_free(r);
	return rc;
}

/* The series id and its newest stored point time; PL_ENOTFOUND when the
 * series does not exist. */
static int repo__series_find(struct store_conn *c, const char *line_id, const char *metric,
			     char series_id[PL_ID_LEN + 1], int64_t *last_t)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(line_id), SP_TEXT(metric) };
	int rc = store_query(c, "SELECT s.id, l.t FROM line_series s"
			     " LEFT JOIN line_series_last l ON l.series_id = s.id"
			     " WHERE s.line_id = ? AND s.metric = ?", p, STORE_NP(p), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	pl_strlcpy(series_id, store_rows_text(r, 0), PL_ID_LEN + 1);
	if (last_t)
		*last_t = store_rows_isnull(r, 1) ? INT64_MIN : store_rows_int(r, 1);
	rc = 0;
out:
	store_rows_free(r);
	return rc;
}

int line_repo_series_ensure(struct store_conn *c, const char *line_id, const char *metric,
			    char series_id[PL_ID_LEN + 1], int64_t *last_t)
{
	size_t n = strlen(metric);
	int rc;

	if (n == 0 || n > LINE_METRIC_MAX)
		return PL_EINVAL;
	rc = repo__series_find(c, line_id, metric, series_id, last_t);
	if (rc != PL_ENOTFOUND)
		return rc;
	pl_id_new(series_id);
	struct store_param p[] = { SP_TEXT(series_id), SP_TEXT(line_id), SP_TEXT(metric) };
	rc = store_exec(c, "INSERT INTO line_series (id, line_id, metric) VALUES (?, ?, ?)",
			p, STORE_NP(p), NULL);
	if (rc == 0 && last_t)
		*last_t = INT64_MIN;
	return rc;
}

/* Writes one block row, replacing the row with the same start (NOTES 1). */
static int repo__block_upsert(struct store_conn *c, const char *series_id, int64_t t_first,
			      int64_t t_last, size_t count, const struct pl_buf *data)
{
	struct store_param pb[] = {
		SP_TEXT(series_id), SP_INT(t_first), SP_INT(t_last), SP_INT((int64_t)count),
		SP_BLOB(data->data, data->len),
	};
	return store_exec(c, "INSERT INTO line_series_blocks (series_id, t_first, t_last, count, data)"
			  " VALUES (?, ?, ?, ?, ?) ON CONFLICT (series_id, t_first) DO UPDATE SET"
			  " t_last = excluded.t_last, count = excluded.count, data = excluded.data",
			  pb, STORE_NP(pb), NULL);
}

/* Moves the last value to (t, v) and clears stale, unless a newer one is
 * stored (NOTES 2); an equal t takes the new value (last write wins). */
static int repo__last_put(struct store_conn *c, const char *series_id, int64_t t, double v)
{
	/* NaN and infinities stay in the block; the cache holds NULL for them
	 * (SQLite cannot store NaN, and JSON cannot carry it) */
	struct store_param pl[] = {
		SP_TEXT(series_id), SP_INT(t), isfinite(v) ? SP_REAL(v) : SP_NULL,
	};
	return store_exec(c, "INSERT INTO line_series_last (series_id, t, value, stale) VALUES (?, ?, ?, 0)"
			  " ON CONFLICT (series_id) DO UPDATE SET t = excluded.t, value = excluded.value,"
			  " stale = 0 WHERE excluded.t >= line_series_last.t", pl, STORE_NP(pl), NULL);
}

int line_repo_block_put_enc(struct store_conn *c, const char *series_id,
			    const struct line_block_enc *e, struct pl_buf *scratch)
{
	int rc;

	if (e->count == 0)
		return PL_EINVAL;
	scratch->len = 0; /* keep the memory: one flush writes many blocks */
	if ((rc = line_block_enc_peek(e, scratch)))
		return rc;
	if ((rc = repo__block_upsert(c, series_id, e->t_first, e->t_last, e->count, scratch)))
		return rc;
	double v;
	memcpy(&v, &e->v_last, sizeof(v));
	return repo__last_put(c, series_id, e->t_last, v);
}

/* The integer the one-column query sql (parameters series_id, t) gives
 * in its first row into *out; *has = false: no row. The block lookups
 * below are all of this shape. */
static int repo__block_int(struct store_conn *c, const char *sql, const char *series_id,
			   int64_t t, bool *has, int64_t *out)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(series_id), SP_INT(t) };
	int rc = store_query(c, sql, p, STORE_NP(p), &r);
	*has = false;
	if (rc == 0 && (rc = store_rows_next(r)) == 1) {
		*has = true;
		*out = store_rows_int(r, 0);
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* The t_last of the stored block that starts at t_first; *has = false:
 * there is none (the usual case: a block_put writes a new block). */
static int repo__block_at(struct store_conn *c, const char *series_id, int64_t t_first,
			  bool *has, int64_t *t_last)
{
	return repo__block_int(c, "SELECT t_last FROM line_series_blocks WHERE series_id = ?"
			       " AND t_first = ?", series_id, t_first, has, t_last);
}

/* Brings the rollups up to date after pts[0..n) replaced the block that
 * started at pts[0].t and ended at old_last (NOTES 5): its buckets are
 * rebuilt from the blocks, as the old block's points are gone. */
static int repo__rollups_rewrite(struct store_conn *c, const char *series_id,
				 const struct line_point *pts, size_t n, int64_t old_last)
{
	static const int64_t widths[] = { LINE_ROLLUP_MINUTE_MS, LINE_ROLLUP_HOUR_MS };
	int64_t hi = pts[n - 1].t > old_last ? pts[n - 1].t : old_last;
	int rc = 0;

	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]) && rc == 0; w++)
		rc = line_repo_rollups_rebuild(c, series_id, widths[w], pts[0].t, hi);
	return rc;
}

int line_repo_block_put(struct store_conn *c, const char *series_id,
			const struct line_point *pts, size_t n)
{
	struct line_block_enc e;
	struct pl_buf blk;
	bool had = false;
	int64_t old_last = 0;
	int rc = 0;

	if (n == 0 || n > LINE_BLOCK_POINTS_MAX)
		return PL_EINVAL;
	line_block_enc_init(&e);
	pl_buf_init(&blk, LINE_BLOCK_BYTES_MAX);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = line_block_enc_add(&e, pts[i].t, pts[i].v);
	if (rc == 0)
		rc = repo__block_at(c, series_id, pts[0].t, &had, &old_last);
	if (rc == 0)
		rc = line_repo_block_put_enc(c, series_id, &e, &blk);
	/* a new block's points are new to the rollups; a rewritten one's
	 * buckets are recomputed (NOTES 5) */
	if (rc == 0)
		rc = had ? repo__rollups_rewrite(c, series_id, pts, n, old_last)
			 : line_repo_rollups_add(c, series_id, pts, n);
	pl_buf_release(&blk);
	line_block_enc_release(&e);
	return rc;
}

int line_repo_mark_stale(struct store_conn *c, const char *line_id, const char *device,
			 int64_t *changed)
{
	struct pl_buf pat;
	int rc;

	pl_buf_init(&pat, 2 * LINE_METRIC_MAX + 8);
	/* LIKE with an escape so '%' and '_' in a device id match literally */
	for (const char *s = device; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '!')
			pl_buf_append(&pat, "!", 1);
		pl_buf_append(&pat, s, 1);
	}
	if (pl_buf_puts(&pat, *device ? "/%" : "%")) {
		rc = PL_EINVAL;
		goto out;
	}
	struct store_param p[] = { SP_TEXT(line_id), SP_TEXT(pat.data) };
	rc = store_exec(c, "UPDATE line_series_last SET stale = 1 WHERE stale = 0 AND series_id IN"
			" (SELECT id FROM line_series WHERE line_id = ? AND metric LIKE ? ESCAPE '!')",
			p, STORE_NP(p), changed);
out:
	pl_buf_release(&pat);
	return rc;
}

int line_repo_line_get(struct store_conn *c, const char *line_id, json_t **out)
{
	struct store_param p[] = { SP_TEXT(line_id) };
	return store_query_one(c, "SELECT id, enterprise_id, name, sp_group, sp_node, created_at"
			       " FROM lines WHERE id = ?", p, 1, out);
}

int line_repo_metrics(struct store_conn *c, const char *line_id, json_t **out)
{
	struct store_rows *r = NULL;
	json_t *arr = json_array();
	struct store_param p[] = { SP_TEXT(line_id) };
	size_t n = 0;
	int rc = store_query(c, "SELECT s.metric, s.unit, l.t, l.value, l.stale FROM line_series s"
			     " JOIN line_series_last l ON l.series_id = s.id WHERE s.line_id = ?"
			     " ORDER BY s.metric LIMIT 10001", p, 1, &r);
	if (rc)
		goto out;
	while ((rc = store_rows_next(r)) == 1) {
		char t[PL_TIME_STRLEN];
		if (++n > 10000) {
			rc = PL_ETOOBIG;
			goto out;
		}
		pl_time_format(store_rows_int(r, 2), t);
		json_t *o = json_pack("{s:s, s:o, s:s, s:o, s:b}", "metric", store_rows_text(r, 0),
				      "unit", store_rows_isnull(r, 1) ? json_null()
								      : json_string(store_rows_text(r, 1)),
				      "t", t,
				      "value", store_rows_isnull(r, 3) ? json_null()
								       : json_real(store_rows_real(r, 3)),
				      "stale", store_rows_int(r, 4) != 0);
		json_array_append_new(arr, o);
	}
out:
	store_rows_free(r);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int line_repo_points(struct store_conn *c, const char *line_id, const char *metric,
		     int64_t from, int64_t to, json_t **out)
{
	struct store_rows *r = NULL;
	struct line_point *pts = pl_malloc(LINE_BLOCK_POINTS_MAX * sizeof(*pts));
	json_t *arr = json_array();
	char sid[PL_ID_LEN + 1];
	size_t total = 0;
	int rc;

	if ((rc = repo__series_find(c, line_id, metric, sid, NULL)))
		goto out;
	/* blocks never overlap (NOTES 3), so t_first order is time order; the
	 * LIMIT bounds what PostgreSQL holds in memory for one query */
	struct store_param p[] = { SP_TEXT(sid), SP_INT(from), SP_INT(to) };
	rc = store_query(c, "SELECT data FROM line_series_blocks WHERE series_id = ?"
			 " AND t_last >= ? AND t_first < ? ORDER BY t_first LIMIT 1000",
			 p, STORE_NP(p), &r);
	if (rc)
		goto out;
	while ((rc = store_rows_next(r)) == 1) {
		size_t len = 0, n = 0;
		const void *blk = store_rows_blob(r, 0, &len);
		if ((rc = line_block_decode(blk, len, from, to, pts, LINE_BLOCK_POINTS_MAX, &n)))
			goto out;
		total += n;
		if (total > LINE_QUERY_POINTS_MAX) {
			rc = PL_ETOOBIG;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("[I, o]", (json_int_t)pts[i].t,
							     isfinite(pts[i].v) ? json_real(pts[i].v)
										: json_null()));
	}
out:
	store_rows_free(r);
	free(pts);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* ------------------------------------------------ late points (NOTES 3) */

/* Writes pts[0..n) (strictly increasing t, n >= 1) as ceil(n /
 * LINE_BLOCK_POINTS_MAX) blocks of nearly equal size, the first starting
 * at pts[0].t; *written counts them. buf is scratch. */
static int repo__blocks_write(struct store_conn *c, const char *series_id,
			      const struct line_point *pts, size_t n, struct pl_buf *buf,
			      size_t *written)
{
	size_t parts = (n + LINE_BLOCK_POINTS_MAX - 1) / LINE_BLOCK_POINTS_MAX, off = 0;
	int rc = 0;

	for (size_t k = 0; k < parts && rc == 0; k++) {
		size_t len = n / parts + (k < n % parts ? 1 : 0);
		buf->len = 0;
		if ((rc = line_block_encode(pts + off, len, buf)) == 0 &&
		    (rc = repo__block_upsert(c, series_id, pts[off].t, pts[off + len - 1].t, len, buf)) == 0)
			(*written)++;
		off += len;
	}
	return rc;
}

/* The home block of time t: the stored block with the largest t_first <=
 * t, decoded whole into a[0..*na) (*na = 0, *first untouched: none). */
static int repo__home_block(struct store_conn *c, const char *series_id, int64_t t,
			    int64_t *first, struct line_point *a, size_t *na)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(series_id), SP_INT(t) };
	int rc = store_query(c, "SELECT t_first, data FROM line_series_blocks WHERE series_id = ?"
			     " AND t_first <= ? ORDER BY t_first DESC LIMIT 1", p, STORE_NP(p), &r);
	*na = 0;
	if (rc)
		goto out;
	if ((rc = store_rows_next(r)) <= 0)
		goto out; /* 0: no home, or the error */
	size_t len = 0;
	const void *blk = store_rows_blob(r, 1, &len);
	*first = store_rows_int(r, 0);
	/* the whole block: the largest t the codec allows is below INT64_MAX */
	if ((rc = line_block_decode(blk, len, INT64_MIN, INT64_MAX, a, LINE_BLOCK_POINTS_MAX, na)))
		goto out;
	if (*na == 0 || a[0].t != *first) {
		rc = PL_EPARSE; /* the row's key disagrees with its block */
		*na = 0;
	}
out:
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* The t_first of the first block that starts after t; *has = false: none. */
static int repo__next_block(struct store_conn *c, const char *series_id, int64_t t,
			    bool *has, int64_t *next)
{
	return repo__block_int(c, "SELECT t_first FROM line_series_blocks WHERE series_id = ?"
			       " AND t_first > ? ORDER BY t_first LIMIT 1", series_id, t, has, next);
}

/* Rebuilds the width_ms buckets of the merged points b[0..nb) (sorted)
 * (NOTES 5): points whose buckets are the same or adjacent are one span,
 * so sparse late points re-roll their own buckets, not everything in
 * between. */
static int repo__rollups_remerge(struct store_conn *c, const char *series_id, int64_t width_ms,
				 const struct line_point *b, size_t nb)
{
	int rc = 0;

	for (size_t i = 0; i < nb && rc == 0;) {
		size_t j = i + 1;
		while (j < nb && b[j].t - b[j - 1].t < 2 * width_ms)
			j++;
		rc = line_repo_rollups_rebuild(c, series_id, width_ms, b[i].t, b[j - 1].t);
		i = j;
	}
	return rc;
}

int line_repo_points_merge(struct store_conn *c, const char *series_id,
			   struct line_point *pts, size_t n, struct line_merge_stats *st)
{
	struct line_merge_stats s = { 0 };
	struct line_point *b = NULL, *a = NULL, *out = NULL;
	struct pl_buf buf;
	size_t nb = 0;
	int rc = 0;

	if (n == 0)
		return PL_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (pts[i].t > LINE_TIME_ABS_MAX || pts[i].t < -LINE_TIME_ABS_MAX)
			return PL_EINVAL;
	pl_buf_init(&buf, LINE_BLOCK_BYTES_MAX);
	/* sorted, equal timestamps collapsed to the last one given */
	b = pl_malloc(n * sizeof(*b));
	line_points_merge(NULL, 0, pts, n, b, &nb);
	a = pl_malloc(LINE_BLOCK_POINTS_MAX * sizeof(*a));
	out = pl_malloc((LINE_BLOCK_POINTS_MAX + nb) * sizeof(*out));
	s.t_min = b[0].t;
	s.t_max = b[nb - 1].t;
	for (size_t i = 0; i < nb;) {
		size_t na = 0, j = i, m = 0;
		int64_t first = 0, next = 0;
		bool has_next;
		if ((rc = repo__home_block(c, series_id, b[i].t, &first, a, &na)))
			goto out;
		/* no home: b[i] lies before every block, and so do the points up
		 * to the first block, which become blocks of their own */
		if ((rc = repo__next_block(c, series_id, na ? first : b[i].t, &has_next, &next)))
			goto out;
		while (j < nb && (!has_next || b[j].t < next))
			j++;
		line_points_merge(a, na, b + i, j - i, out, &m);
		s.replaced += na + (j - i) - m;
		s.points += j - i;
		s.blocks_read += na ? 1 : 0;
		/* out[0].t = first when there was a home (every b[i..j) >= first):
		 * the home row is rewritten in place, the rest starts before next */
		if ((rc = repo__blocks_write(c, series_id, out, m, &buf, &s.blocks_written)))
			goto out;
		i = j;
	}
	/* the blocks hold every merged point now: their buckets are rebuilt */
	if ((rc = repo__rollups_remerge(c, series_id, LINE_ROLLUP_MINUTE_MS, b, nb)) ||
	    (rc = repo__rollups_remerge(c, series_id, LINE_ROLLUP_HOUR_MS, b, nb)))
		goto out;
	rc = repo__last_put(c, series_id, b[nb - 1].t, b[nb - 1].v);
out:
	if (rc == 0 && st)
		*st = s;
	free(out);
	free(a);
	free(b);
	pl_buf_release(&buf);
	return rc;
}

/* Most blocks one rollup query reads (bounds what PostgreSQL buffers). */
#define ROLLUP_BLOCKS_MAX 10000

int line_repo_rollups(struct store_conn *c, const char *series_id, int64_t from, int64_t to,
		      int64_t width_ms, struct line_rollup *out, size_t max, size_t *n)
{
	struct store_rows *r = NULL;
	struct line_point *pts = NULL;
	struct line_rollup *tmp = NULL;
	size_t k = 0, blocks = 0;
	int rc;

	*n = 0;
	if (width_ms <= 0)
		return PL_EINVAL;
	pts = pl_malloc(LINE_BLOCK_POINTS_MAX * sizeof(*pts));
	tmp = pl_malloc(LINE_BLOCK_POINTS_MAX * sizeof(*tmp));
	/* blocks never overlap (NOTES 3): t_first order is time order, so a
	 * bucket split across two blocks is folded with line_rollup_merge */
	struct store_param p[] = { SP_TEXT(series_id), SP_INT(from), SP_INT(to) };
	rc = store_query(c, "SELECT data FROM line_series_blocks WHERE series_id = ?"
			 " AND t_last >= ? AND t_first < ? ORDER BY t_first LIMIT 10001",
			 p, STORE_NP(p), &r);
	if (rc)
		goto out;
	while ((rc = store_rows_next(r)) == 1) {
		size_t len = 0, np = 0, nt = 0;
		const void *blk = store_rows_blob(r, 0, &len);
		if (++blocks > ROLLUP_BLOCKS_MAX) {
			rc = PL_ETOOBIG;
			goto out;
		}
		if ((rc = line_block_decode(blk, len, from, to, pts, LINE_BLOCK_POINTS_MAX, &np)) ||
		    (rc = line_rollup_points(pts, np, width_ms, tmp, LINE_BLOCK_POINTS_MAX, &nt)))
			goto out;
		for (size_t i = 0; i < nt; i++) {
			if (k && out[k - 1].bucket == tmp[i].bucket) {
				if ((rc = line_rollup_merge(&out[k - 1], &tmp[i])))
					goto out; /* blocks out of order: corrupt */
				continue;
			}
			if (k == max) {
				rc = PL_ETOOBIG;
				goto out;
			}
			out[k++] = tmp[i];
		}
	}
out:
	*n = k;
	store_rows_free(r);
	free(tmp);
	free(pts);
	return rc < 0 ? rc : 0;
}
