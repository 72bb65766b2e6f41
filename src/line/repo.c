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
 * 3. Late points (at or before a series' newest stored point) are refused
 *    by the ingest path before they get here, which keeps blocks of one
 *    series from overlapping in time; merging them in (line.h NOTES 3)
 *    is not done yet.
 * 4. SQL is the common subset (store.h); upserts use ON CONFLICT ... DO
 *    UPDATE, which SQLite (>= 3.24) and PostgreSQL both accept.
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

int line_repo_block_put_enc(struct store_conn *c, const char *series_id,
			    const struct line_block_enc *e, struct pl_buf *scratch)
{
	int rc;

	if (e->count == 0)
		return PL_EINVAL;
	scratch->len = 0; /* keep the memory: one flush writes many blocks */
	if ((rc = line_block_enc_peek(e, scratch)))
		return rc;
	struct store_param pb[] = {
		SP_TEXT(series_id), SP_INT(e->t_first), SP_INT(e->t_last), SP_INT((int64_t)e->count),
		SP_BLOB(scratch->data, scratch->len),
	};
	rc = store_exec(c, "INSERT INTO line_series_blocks (series_id, t_first, t_last, count, data)"
			" VALUES (?, ?, ?, ?, ?) ON CONFLICT (series_id, t_first) DO UPDATE SET"
			" t_last = excluded.t_last, count = excluded.count, data = excluded.data",
			pb, STORE_NP(pb), NULL);
	if (rc)
		return rc;
	/* NaN and infinities stay in the block; the cache holds NULL for them
	 * (SQLite cannot store NaN, and JSON cannot carry it) */
	double v;
	memcpy(&v, &e->v_last, sizeof(v));
	struct store_param pl[] = {
		SP_TEXT(series_id), SP_INT(e->t_last), isfinite(v) ? SP_REAL(v) : SP_NULL,
	};
	return store_exec(c, "INSERT INTO line_series_last (series_id, t, value, stale) VALUES (?, ?, ?, 0)"
			  " ON CONFLICT (series_id) DO UPDATE SET t = excluded.t, value = excluded.value,"
			  " stale = 0 WHERE excluded.t >= line_series_last.t", pl, STORE_NP(pl), NULL);
}

int line_repo_block_put(struct store_conn *c, const char *series_id,
			const struct line_point *pts, size_t n)
{
	struct line_block_enc e;
	struct pl_buf blk;
	int rc = 0;

	if (n == 0 || n > LINE_BLOCK_POINTS_MAX)
		return PL_EINVAL;
	line_block_enc_init(&e);
	pl_buf_init(&blk, LINE_BLOCK_BYTES_MAX);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = line_block_enc_add(&e, pts[i].t, pts[i].v);
	if (rc == 0)
		rc = line_repo_block_put_enc(c, series_id, &e, &blk);
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
