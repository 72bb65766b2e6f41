/*
 * repo.h - persistence of the line module (migration 4): plant lines, the
 * series each line's Sparkplug edge node feeds, compressed point blocks
 * (the line.h block codec, one row per block) and the last-value cache.
 *
 * Used by the ingest worker (src/mqtt/client.c, the only writer of
 * points), the HTTP handlers (src/http/api_line.c) and `serve --demo`.
 * Every function works on a connection the caller holds; writers call
 * them inside the caller's transaction, so one flush is one commit.
 */
#ifndef PL_LINE_REPO_H
#define PL_LINE_REPO_H

#include "store/store.h"
#include "line/line.h"

/* Longest metric key ("device/name" or "name") we store, in bytes. */
#define LINE_METRIC_MAX 300
/* Most points one series query returns (more: PL_ETOOBIG). */
#define LINE_QUERY_POINTS_MAX 100000

/* Seeds the demo lines of demo enterprise 1 (Sparkplug group "taiji",
 * edge nodes "fill-1" and "pack-1"); idempotent. Prints one line to
 * print_to (may be NULL). Errors: PL_EDB, PL_ENOTFOUND (no demo
 * enterprise: run auth_demo_seed first). */
int line_repo_demo_seed(struct store *st, FILE *print_to);

/* The line fed by edge node group/node: its id and enterprise id.
 * Errors: PL_ENOTFOUND, PL_EDB. */
int line_repo_line_by_node(struct store_conn *c, const char *group, const char *node,
			   char line_id[PL_ID_LEN + 1], char enterprise_id[PL_ID_LEN + 1]);

/* The id of series (line_id, metric), created when missing. *last_t gets
 * the newest persisted point's time, INT64_MIN when none. Errors:
 * PL_EINVAL (metric empty or over LINE_METRIC_MAX), PL_EDB. */
int line_repo_series_ensure(struct store_conn *c, const char *line_id, const char *metric,
			    char series_id[PL_ID_LEN + 1], int64_t *last_t);

/* Writes pts[0..n) (1..LINE_BLOCK_POINTS_MAX, strictly increasing t) as
 * the block that starts at pts[0].t, replacing the row with that start:
 * the ingest path rewrites its open block on every flush until it is
 * full. Also moves the last value to pts[n-1] and clears stale, unless a
 * newer last value is stored, and keeps the stored rollups right: a new
 * block's points are added to their buckets, a rewritten block's buckets
 * are rebuilt (one extra indexed query tells which). Errors: PL_EINVAL
 * (bad points), PL_EDB. */
int line_repo_block_put(struct store_conn *c, const char *series_id,
			const struct line_point *pts, size_t n);

/* The same for the points an incremental encoder holds (1..
 * LINE_BLOCK_POINTS_MAX; the ingest worker keeps one per open block, so a
 * flush costs the new points, not the whole block). scratch holds the
 * block's bytes; its contents are replaced, its memory reused by the next
 * call. The stored rollups are the caller's (line_repo_rollups_add for
 * the points new since its last committed write). Errors: PL_EINVAL (no
 * points), PL_EDB. */
int line_repo_block_put_enc(struct store_conn *c, const char *series_id,
			    const struct line_block_enc *e, struct pl_buf *scratch);

/* What line_repo_points_merge did. */
struct line_merge_stats {
	size_t points;          /* distinct late points written (equal t within the input: once) */
	size_t replaced;        /* of which replaced a stored point of the same t */
	size_t blocks_read;     /* stored blocks decoded and rewritten */
	size_t blocks_written;  /* blocks written (more than read: splits, gaps) */
	int64_t t_min, t_max;   /* the span of the late points: the rollup buckets
				 * changed lie from bucket(t_min) to bucket(t_max)
				 * (rebuilt by the merge itself) */
};

/* Merges late points pts[0..n) of one series (any order; of equal
 * timestamps within pts the last wins) into its stored blocks (line.h
 * NOTES 3, repo.c NOTES 3): a point goes into the block with the largest
 * t_first <= its t (a point with a stored point's t REPLACES it: last
 * write wins, so a re-sent message is idempotent), points before the
 * first block form new blocks of their own; a block that grows past
 * LINE_BLOCK_POINTS_MAX is split evenly. A block's t_first never changes,
 * so the ingest worker's open block (keyed by its t_first) is never
 * touched by a merge of points older than it. The last value moves only
 * to a point at or after the stored one (an equal t takes the new
 * value). The stored rollups of the late points' buckets are rebuilt
 * from the blocks afterwards (exact: a replaced point counts once). Call
 * inside the caller's transaction. pts is sorted in place.
 * st (may be NULL) gets what was done. Work: one or two indexed queries
 * per block touched, one block decoded and re-encoded each. Errors:
 * PL_EINVAL (n = 0 or a t outside +-LINE_TIME_ABS_MAX; nothing written),
 * PL_EPARSE (a stored block is corrupt), PL_EDB. */
int line_repo_points_merge(struct store_conn *c, const char *series_id,
			   struct line_point *pts, size_t n, struct line_merge_stats *st);

/* The 1-minute, 1-hour (or any width_ms) rollups of series_id over
 * [from, to), computed from every stored point in that span (the stored
 * rows of line_repo_rollups_stored are rebuilt from this: repo.c NOTES 5);
 * give bucket-aligned from/to for whole buckets. out[0..max)
 * gets them in time order, *n their count. Errors: PL_EINVAL (width_ms <=
 * 0), PL_ETOOBIG (more than max buckets; out holds the first max),
 * PL_EPARSE (a corrupt block), PL_EDB. */
int line_repo_rollups(struct store_conn *c, const char *series_id, int64_t from, int64_t to,
		      int64_t width_ms, struct line_rollup *out, size_t max, size_t *n);

/* ------------------------------------------- stored rollups (migration 25)
 * Table line_rollups holds one row per (series, width, bucket) for the two
 * widths below, written in the transaction that writes the points
 * (src/line/repo_rollup.c NOTES). Who keeps them right:
 *   - line_repo_block_put (the HTTP batch path) adds a new block's points,
 *     or rebuilds the buckets of a block it rewrites;
 *   - line_repo_block_put_enc does NOT touch them: its caller (the MQTT
 *     ingest) adds the points new since its last commit with
 *     line_repo_rollups_add, and rebuilds the span of points it changed;
 *   - line_repo_points_merge rebuilds the buckets of its late points. */
#define LINE_ROLLUP_MINUTE_MS ((int64_t)60000)
#define LINE_ROLLUP_HOUR_MS ((int64_t)3600000)
/* Most buckets one stored-rollup query returns (more: PL_ETOOBIG). */
#define LINE_QUERY_BUCKETS_MAX 10000

/* Adds pts[0..n) (strictly increasing t; points the stored rollups do not
 * count yet, e.g. those newer than every stored point) to their 1-minute
 * and 1-hour rows: one upserted row per touched bucket and width (up to 4
 * rows per statement), n, sum, min, max, first and last folded in. Adding a point twice counts it twice:
 * the caller must know which points are new (a rewrite is
 * line_repo_rollups_rebuild's job). n = 0 does nothing. Call inside the
 * caller's transaction. Errors: PL_EINVAL (t not increasing), PL_EDB. */
int line_repo_rollups_add(struct store_conn *c, const char *series_id,
			  const struct line_point *pts, size_t n);

/* Recomputes from the stored blocks every width_ms bucket that overlaps
 * [t_min, t_max] (t_min <= t_max) and replaces those rows (rows of
 * buckets left without points are deleted). Exact whatever the rows held
 * before, so it is the way to repair a span after points in it changed.
 * A width of whole minutes (the hour) is composed from the stored minute
 * rows instead (repo_rollup.c NOTES 6): rebuild the span's minutes first.
 * Work: the blocks overlapping the span, in windows of 1024 buckets; one
 * DELETE per window and one INSERT per 4 buckets. Errors: PL_EINVAL
 * (width_ms <= 0 or over LINE_TIME_ABS_MAX, t_min > t_max, or a time
 * outside +-LINE_TIME_ABS_MAX), PL_EPARSE (a corrupt block), PL_EDB. */
int line_repo_rollups_rebuild(struct store_conn *c, const char *series_id, int64_t width_ms,
			      int64_t t_min, int64_t t_max);

/* The stored width_ms rows of series_id with from <= bucket < to, in time
 * order, into out[0..max); *n their count. Errors: PL_ETOOBIG (more than
 * max; out holds the first max), PL_EDB. */
int line_repo_rollups_stored(struct store_conn *c, const char *series_id, int64_t width_ms,
			     int64_t from, int64_t to, struct line_rollup *out, size_t max,
			     size_t *n);

/* The stored width_ms buckets of (line_id, metric) that overlap [from,
 * to), each aggregated whole, as a new array of {t (bucket start, ms), n,
 * min, max, avg, first, last} (min..last null when the bucket holds only
 * NaN/infinite values, n = 0). Errors: PL_ENOTFOUND (no such metric),
 * PL_ETOOBIG (more than LINE_QUERY_BUCKETS_MAX buckets), PL_EDB. */
int line_repo_rollups_json(struct store_conn *c, const char *line_id, const char *metric,
			   int64_t width_ms, int64_t from, int64_t to, json_t **out);

/* The one-time backfill of migration 25: for each series listed in
 * line_rollups_pending, in one transaction each, rebuilds its rows from
 * its blocks and removes it from the list. Run by serve after
 * store_migrate and before any ingest starts (a rebuild racing an ingest
 * commit on PostgreSQL could lose the commit's increments). Nothing to do
 * costs one query. *done (may be NULL) gets the series rebuilt. Errors:
 * PL_EPARSE (a series has a corrupt block: it stays pending, the others
 * are rebuilt), PL_EDB. */
int line_repo_rollups_backfill(struct store *st, size_t *done);

/* Marks the last values of a line stale (device "" : every series of the
 * line; else only the series of that device). *changed (may be NULL) gets
 * the rows touched. Errors: PL_EDB. */
int line_repo_mark_stale(struct store_conn *c, const char *line_id, const char *device,
			 int64_t *changed);

/* One line as {id, enterprise_id, name, sp_group, sp_node, created_at}
 * (*out new). Errors: PL_ENOTFOUND, PL_EDB. */
int line_repo_line_get(struct store_conn *c, const char *line_id, json_t **out);

/* Last values of a line: a new array of {metric, unit, t (RFC 3339), value
 * (null when not finite), stale (bool)}, ordered by metric. Errors: PL_EDB,
 * PL_ETOOBIG (more than 10000 series). */
int line_repo_metrics(struct store_conn *c, const char *line_id, json_t **out);

/* Points of (line_id, metric) with from <= t < to as a new array of
 * [t_ms, value] pairs (value null when not finite), in time order.
 * Errors: PL_ENOTFOUND (no such metric), PL_ETOOBIG (more than
 * LINE_QUERY_POINTS_MAX), PL_EPARSE (a stored block is corrupt), PL_EDB. */
int line_repo_points(struct store_conn *c, const char *line_id, const char *metric,
		     int64_t from, int64_t to, json_t **out);

#endif /* PL_LINE_REPO_H */
