/*
 * rollup_sql.h - the SQL text of the desk's KPI rollup (migration 18, and
 * migration 21's due-day counts, note 6, held off in bulk since migration
 * 24, note 7): the tables, the triggers that keep them equal to the
 * requests, and the statements that fill them from scratch. Header-only
 * string macros, so the migrations (src/store/migrations.c), the rebuild
 * (src/desk/rollup.c) and the bulk generator (src/desk/demo_bulk.c) run
 * the very same text; docs/desk.md section 15 has the design.
 *
 * NOTES ON THE DESIGN
 * 1. desk_kpi_rollup has one row per (bucket, specialist_id, department):
 *    bucket is a Beijing day as the integer yyyymmdd (20261125) or a
 *    Beijing month as yyyymm (202611); both kinds live in one table and
 *    never collide (a month is < 1000000, a day > 10000000). specialist_id
 *    and department are '' for NULL so the key can be a primary key. Each
 *    request is counted in the day and in the month of its created_at
 *    (Beijing time: 16:00Z starts the next Beijing day), and in each at
 *    three grains: (specialist, department), (specialist, '*') and ('*',
 *    '*'), '*' standing for "all" (no id is '*'). A report reads the
 *    coarsest grain that still has its grouping and scope: the park's
 *    monthly report reads one row per month, not one per month,
 *    specialist and department.
 * 2. The counters are the report's as_of-free counts (report.c) plus four
 *    that let the report derive the as_of-dependent ones: has_due (due_at
 *    set), due_resolved (due_at set and resolved now), late_resolved
 *    (resolved after due_at) and open_due (due_at set, not resolved, not
 *    closed). The report subtracts what is due after as_of, read live.
 * 3. Triggers, not explicit calls: every write of requests or ratings,
 *    including the bulk generator's multi-row INSERTs and rows written by
 *    hand in tests, keeps the rollup exact on both engines. Each trigger
 *    adds the request's new contribution and subtracts its old one, both
 *    computed from the trigger's OLD/NEW values (never re-read from the
 *    table), so PostgreSQL's AFTER triggers of a multi-row statement, which
 *    all see the statement's final state, still add each change once.
 *    - requests: OLD (-1) and NEW (+1), each joined to the rating of its
 *      own round (ratings do not change within a requests statement);
 *    - ratings: a rating only counts when its round is the request's
 *      current round, so its delta is "the request with this rating" minus
 *      "the request with no rating", read from requests (which do not
 *      change within a ratings statement); UNIQUE (request_id, round)
 *      means no other rating can stand in for it.
 * 4. The bucket of a created_at is computed in portable SQL (substr, CAST,
 *    integer arithmetic with the Gregorian month lengths), the same on both
 *    engines, so the fill statement needs no engine-specific date function.
 *    created_at is RFC 3339 UTC text of one width (2026-11-25T10:00:00.000Z).
 * 5. Bulk writes: while desk_kpi_bulk holds a row the triggers do nothing.
 *    desk_demo_bulk inserts one at its start and deletes it at its end, in
 *    the caller's transaction, then adds its requests with one grouped
 *    statement (DESK_KPI_ADD_BULK_SQL) instead of a million row triggers.
 *    The row is never committed, so no other transaction sees it: their
 *    triggers run as usual (SQLite has one writer at a time anyway).
 */
#ifndef PL_DESK_ROLLUP_SQL_H
#define PL_DESK_ROLLUP_SQL_H

/* Parts of an RFC 3339 UTC time X (an SQL expression), as integers. */
#define DKR_Y_(X) "CAST(substr(" X ", 1, 4) AS INTEGER)"
#define DKR_M_(X) "CAST(substr(" X ", 6, 2) AS INTEGER)"
#define DKR_D_(X) "CAST(substr(" X ", 9, 2) AS INTEGER)"
#define DKR_YMD_(X) "(" DKR_Y_(X) " * 10000 + " DKR_M_(X) " * 100 + " DKR_D_(X) ")"
#define DKR_MLEN_(X)                                                                  \
	"(CASE WHEN " DKR_M_(X) " = 2 THEN (CASE WHEN " DKR_Y_(X) " % 4 = 0 AND ("   \
	DKR_Y_(X) " % 100 <> 0 OR " DKR_Y_(X) " % 400 = 0) THEN 29 ELSE 28 END) WHEN " \
	DKR_M_(X) " IN (4, 6, 9, 11) THEN 30 ELSE 31 END)"
/* The Beijing day of X as yyyymmdd: the UTC date, or the next date from
 * 16:00Z on (month and year ends included). */
#define DESK_KPI_BJDAY(X)                                                             \
	"(CASE WHEN substr(" X ", 12, 2) < '16' THEN " DKR_YMD_(X) " WHEN " DKR_D_(X)  \
	" < " DKR_MLEN_(X) " THEN " DKR_YMD_(X) " + 1 WHEN " DKR_M_(X) " < 12 THEN "    \
	DKR_Y_(X) " * 10000 + " DKR_M_(X) " * 100 + 101 ELSE " DKR_Y_(X)               \
	" * 10000 + 10101 END)"

/* The counters, in table order. */
#define DESK_KPI_COLS                                                                 \
	"requests, dispatched, sign_on_time, resolved, resolved_on_time, ever_resolved, " \
	"rated, satisfied, basic, unsatisfied, reopened, returned, has_due, due_resolved, " \
	"late_resolved, open_due"

#define DKR_RN_ "r.resolved_at IS NOT NULL AND r.state IN ('resolved','rated','closed')"
#define DKR_S_(S, COND) ", SUM(" S " * (CASE WHEN " COND " THEN 1 ELSE 0 END))"
/* One request's counters, summed with sign S over rows aliased r whose
 * current-round rating is the expression G (NULL: not rated). */
#define DESK_KPI_VEC(S, G)                                                            \
	"SUM(" S ")"                                                                  \
	DKR_S_(S, "r.dispatched_at IS NOT NULL")                                      \
	DKR_S_(S, "r.dispatched_at IS NOT NULL AND r.accepted_at IS NOT NULL AND "    \
		  "r.sign_due_at IS NOT NULL AND r.accepted_at <= r.sign_due_at")     \
	DKR_S_(S, DKR_RN_)                                                            \
	DKR_S_(S, DKR_RN_ " AND r.due_at IS NOT NULL AND r.resolved_at <= r.due_at")  \
	DKR_S_(S, "r.resolved_at IS NOT NULL")                                        \
	DKR_S_(S, G " IS NOT NULL")                                                   \
	DKR_S_(S, G " = 'satisfied'")                                                 \
	DKR_S_(S, G " = 'basic'")                                                     \
	DKR_S_(S, G " = 'unsatisfied'")                                               \
	DKR_S_(S, "r.resolved_at IS NOT NULL AND r.reopened > 0")                     \
	DKR_S_(S, "r.dispatched_at IS NOT NULL AND r.returned > 0")                   \
	DKR_S_(S, "r.due_at IS NOT NULL")                                             \
	DKR_S_(S, "r.due_at IS NOT NULL AND " DKR_RN_)                                \
	DKR_S_(S, "r.due_at IS NOT NULL AND " DKR_RN_ " AND r.resolved_at > r.due_at") \
	DKR_S_(S, "r.due_at IS NOT NULL AND NOT (" DKR_RN_ ") AND r.state <> 'closed'")

/* INSERT ... SELECT of both buckets (day, month) and the three grains of
 * the rows r FROM ... WHERE ... */
#define DKR_INSERT_W_(S, G, FROM, WHERE)                                              \
	"INSERT INTO desk_kpi_rollup (bucket, specialist_id, department, " DESK_KPI_COLS \
	") SELECT CASE WHEN kk.k = 0 THEN " DESK_KPI_BJDAY("r.created_at")             \
	" ELSE " DESK_KPI_BJDAY("r.created_at") " / 100 END, "                        \
	"CASE WHEN gg.g < 2 THEN COALESCE(r.specialist_id, '') ELSE '*' END, "        \
	"CASE WHEN gg.g = 0 THEN COALESCE(r.department, '') ELSE '*' END, "           \
	DESK_KPI_VEC(S, G) " FROM " FROM                                              \
	" CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 AS k) kk"                      \
	" CROSS JOIN (SELECT 0 AS g UNION ALL SELECT 1 AS g UNION ALL SELECT 2 AS g) gg" \
	" WHERE " WHERE " GROUP BY 1, 2, 3"
#define DKR_INSERT_(S, G, FROM) DKR_INSERT_W_(S, G, FROM, "1 = 1")
#define DKR_UPSERT_                                                                   \
	" ON CONFLICT (bucket, specialist_id, department) DO UPDATE SET "             \
	"requests = desk_kpi_rollup.requests + excluded.requests, "                   \
	"dispatched = desk_kpi_rollup.dispatched + excluded.dispatched, "             \
	"sign_on_time = desk_kpi_rollup.sign_on_time + excluded.sign_on_time, "       \
	"resolved = desk_kpi_rollup.resolved + excluded.resolved, "                   \
	"resolved_on_time = desk_kpi_rollup.resolved_on_time + excluded.resolved_on_time, " \
	"ever_resolved = desk_kpi_rollup.ever_resolved + excluded.ever_resolved, "    \
	"rated = desk_kpi_rollup.rated + excluded.rated, "                            \
	"satisfied = desk_kpi_rollup.satisfied + excluded.satisfied, "                \
	"basic = desk_kpi_rollup.basic + excluded.basic, "                            \
	"unsatisfied = desk_kpi_rollup.unsatisfied + excluded.unsatisfied, "          \
	"reopened = desk_kpi_rollup.reopened + excluded.reopened, "                   \
	"returned = desk_kpi_rollup.returned + excluded.returned, "                   \
	"has_due = desk_kpi_rollup.has_due + excluded.has_due, "                      \
	"due_resolved = desk_kpi_rollup.due_resolved + excluded.due_resolved, "       \
	"late_resolved = desk_kpi_rollup.late_resolved + excluded.late_resolved, "    \
	"open_due = desk_kpi_rollup.open_due + excluded.open_due"

/* Every request, from scratch (into an empty table). */
#define DKR_FROM_ALL_ "requests r LEFT JOIN ratings g ON g.request_id = r.id AND g.round = r.reopened"
#define DESK_KPI_FILL_SQL DKR_INSERT_("1", "g.rating", DKR_FROM_ALL_)
/* The generated requests (no 'DM-...') with ids from ? on, added to the
 * rollup in one statement: what desk_demo_bulk runs at its end, its rows
 * having been written with the triggers held off (note 5). */
#define DESK_KPI_ADD_BULK_SQL                                                         \
	DKR_INSERT_W_("1", "g.rating", DKR_FROM_ALL_, "r.no LIKE 'DM-%' AND r.id >= ?")   \
	DKR_UPSERT_

/* The request columns a trigger row carries, from record P with sign S. */
#define DKR_ROW_(P, S)                                                                \
	"SELECT " P ".id AS id, " P ".created_at AS created_at, " P ".specialist_id AS " \
	"specialist_id, " P ".department AS department, " P ".state AS state, " P       \
	".dispatched_at AS dispatched_at, " P ".accepted_at AS accepted_at, " P         \
	".sign_due_at AS sign_due_at, " P ".resolved_at AS resolved_at, " P             \
	".due_at AS due_at, " P ".reopened AS reopened, " P ".returned AS returned, "   \
	S " AS sgn"
/* Apply the rows ROWS (a UNION of DKR_ROW_) joined to their ratings. */
#define DKR_REQ_APPLY_(ROWS)                                                          \
	DKR_INSERT_("r.sgn", "g.rating", "(" ROWS ") r LEFT JOIN ratings g ON "        \
		    "g.request_id = r.id AND g.round = r.reopened") DKR_UPSERT_
/* A rating record P's request with rating G and sign S, when P's round
 * is the request's current round. */
#define DKR_RATED_ROW_(P, S, G)                                                       \
	"SELECT q.id AS id, q.created_at AS created_at, q.specialist_id AS specialist_id, " \
	"q.department AS department, q.state AS state, q.dispatched_at AS dispatched_at, " \
	"q.accepted_at AS accepted_at, q.sign_due_at AS sign_due_at, q.resolved_at AS "  \
	"resolved_at, q.due_at AS due_at, q.reopened AS reopened, q.returned AS returned, " \
	S " AS sgn, " G " AS rating FROM requests q WHERE q.id = " P ".request_id AND "  \
	"q.reopened = " P ".round"
/* What adding (S = 1) or removing (S = -1) rating record P changes. */
#define DKR_RATING_DELTA_(P, S, NS)                                                   \
	DKR_RATED_ROW_(P, S, "CAST(" P ".rating AS TEXT)") " UNION ALL "               \
	DKR_RATED_ROW_(P, NS, "CAST(NULL AS TEXT)")
#define DKR_RATING_APPLY_(ROWS) DKR_INSERT_("r.sgn", "r.rating", "(" ROWS ") r") DKR_UPSERT_

/* The statements each trigger runs (both engines). */
#define DESK_KPI_REQ_INSERT DKR_REQ_APPLY_(DKR_ROW_("NEW", "1"))
#define DESK_KPI_REQ_UPDATE DKR_REQ_APPLY_(DKR_ROW_("OLD", "-1") " UNION ALL " DKR_ROW_("NEW", "1"))
#define DESK_KPI_REQ_DELETE DKR_REQ_APPLY_(DKR_ROW_("OLD", "-1"))
#define DESK_KPI_RATING_INSERT DKR_RATING_APPLY_(DKR_RATING_DELTA_("NEW", "1", "-1"))
#define DESK_KPI_RATING_UPDATE                                                        \
	DKR_RATING_APPLY_(DKR_RATING_DELTA_("OLD", "-1", "1") " UNION ALL "            \
			  DKR_RATING_DELTA_("NEW", "1", "-1"))
#define DESK_KPI_RATING_DELETE DKR_RATING_APPLY_(DKR_RATING_DELTA_("OLD", "-1", "1"))

/* The request columns a count depends on: an UPDATE that sets none of them
 * fires no trigger (paused_ms, updated_at, escalated_at ...). */
#define DESK_KPI_REQ_COLUMNS                                                          \
	"created_at, specialist_id, department, state, dispatched_at, accepted_at, "  \
	"sign_due_at, resolved_at, due_at, reopened, returned"

/* ----------------------------------------------------------- migration 18 */
#define DKR_TABLE_(TAIL)                                                              \
	"CREATE TABLE desk_kpi_rollup ("                                              \
	" bucket INTEGER NOT NULL, specialist_id TEXT NOT NULL, department TEXT NOT NULL," \
	" requests INTEGER NOT NULL, dispatched INTEGER NOT NULL,"                    \
	" sign_on_time INTEGER NOT NULL, resolved INTEGER NOT NULL,"                  \
	" resolved_on_time INTEGER NOT NULL, ever_resolved INTEGER NOT NULL,"         \
	" rated INTEGER NOT NULL, satisfied INTEGER NOT NULL, basic INTEGER NOT NULL," \
	" unsatisfied INTEGER NOT NULL, reopened INTEGER NOT NULL, returned INTEGER NOT NULL," \
	" has_due INTEGER NOT NULL, due_resolved INTEGER NOT NULL,"                   \
	" late_resolved INTEGER NOT NULL, open_due INTEGER NOT NULL,"                 \
	" PRIMARY KEY (bucket, specialist_id, department))" TAIL ";\n"                \
	DESK_KPI_FILL_SQL ";\n"

#define DESK_KPI_M18_SQL                                                              \
	"CREATE TABLE desk_kpi_bulk (id INTEGER PRIMARY KEY);\n"                      \
	"CREATE INDEX requests_due_kpi_idx ON requests"                               \
	" (due_at, created_at, specialist_id, department, state, resolved_at);\n"     \
	"CREATE INDEX requests_specialist_due_idx ON requests"                        \
	" (specialist_id, due_at, created_at, department, state, resolved_at);\n"

/* SQLite: the table is its primary key (WITHOUT ROWID), so an upsert
 * writes one b-tree, not a table and an index. */
#define DKR_SQLITE_WHEN_ " WHEN NOT EXISTS (SELECT 1 FROM desk_kpi_bulk)"
#define DESK_KPI_M18_SQLITE                                                           \
	DKR_TABLE_(" WITHOUT ROWID")                                                  \
	"CREATE TRIGGER requests_kpi_insert AFTER INSERT ON requests" DKR_SQLITE_WHEN_ \
	" BEGIN " DESK_KPI_REQ_INSERT "; END;\n"                                      \
	"CREATE TRIGGER requests_kpi_update AFTER UPDATE OF " DESK_KPI_REQ_COLUMNS    \
	" ON requests" DKR_SQLITE_WHEN_ " BEGIN " DESK_KPI_REQ_UPDATE "; END;\n"      \
	"CREATE TRIGGER requests_kpi_delete AFTER DELETE ON requests" DKR_SQLITE_WHEN_ \
	" BEGIN " DESK_KPI_REQ_DELETE "; END;\n"                                      \
	"CREATE TRIGGER ratings_kpi_insert AFTER INSERT ON ratings" DKR_SQLITE_WHEN_   \
	" BEGIN " DESK_KPI_RATING_INSERT "; END;\n"                                   \
	"CREATE TRIGGER ratings_kpi_update AFTER UPDATE ON ratings" DKR_SQLITE_WHEN_   \
	" BEGIN " DESK_KPI_RATING_UPDATE "; END;\n"                                   \
	"CREATE TRIGGER ratings_kpi_delete AFTER DELETE ON ratings" DKR_SQLITE_WHEN_   \
	" BEGIN " DESK_KPI_RATING_DELETE "; END;\n"

#define DKR_PG_HOLD_ " IF EXISTS (SELECT 1 FROM desk_kpi_bulk) THEN RETURN NULL; END IF;"
#define DESK_KPI_M18_PG                                                               \
	DKR_TABLE_("")                                                                \
	"CREATE FUNCTION desk_kpi_requests() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN" \
	DKR_PG_HOLD_                                                                  \
	" IF TG_OP = 'INSERT' THEN " DESK_KPI_REQ_INSERT ";"                          \
	" ELSIF TG_OP = 'UPDATE' THEN " DESK_KPI_REQ_UPDATE ";"                       \
	" ELSE " DESK_KPI_REQ_DELETE "; END IF; RETURN NULL; END $$;\n"               \
	"CREATE TRIGGER requests_kpi AFTER INSERT OR DELETE OR UPDATE OF "            \
	DESK_KPI_REQ_COLUMNS " ON requests FOR EACH ROW EXECUTE FUNCTION desk_kpi_requests();\n" \
	"CREATE FUNCTION desk_kpi_ratings() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN" \
	DKR_PG_HOLD_                                                                  \
	" IF TG_OP = 'INSERT' THEN " DESK_KPI_RATING_INSERT ";"                       \
	" ELSIF TG_OP = 'UPDATE' THEN " DESK_KPI_RATING_UPDATE ";"                    \
	" ELSE " DESK_KPI_RATING_DELETE "; END IF; RETURN NULL; END $$;\n"            \
	"CREATE TRIGGER ratings_kpi AFTER INSERT OR DELETE OR UPDATE ON ratings"      \
	" FOR EACH ROW EXECUTE FUNCTION desk_kpi_ratings();\n"

/* ----------------------------------------------------------- migration 21
 * 6. desk_kpi_due: the as_of correction's counts kept per due day, so the
 *    park's and a specialist's own report read the buckets after as_of
 *    instead of every request due after it (rollup.c note 2). One row per
 *    (specialist_id, due_day, created_day) over the requests with a
 *    due_at: due_day and created_day are Beijing days (yyyymmdd) of due_at
 *    and created_at; specialist_id is the request's ('' for NULL) or '*'
 *    for all, the two coarse grains of note 1 (the finer ones are about as
 *    many rows as requests, so reading them would gain nothing: those
 *    reports keep the live read). Leading with specialist_id makes both
 *    reads one index range. has_due counts the requests, due_resolved
 *    those resolved now, open_due those neither resolved nor closed: the
 *    three counts of the correction. The triggers follow note 3 (OLD -1,
 *    NEW +1, from the trigger's values only). A plain table on both
 *    engines: the migration runner's common text runs first.
 * 7. Migration 21 let these triggers fire during bulk generation: two
 *    upserts a request looked cheap, but held off they save about 40 % of
 *    the CPU of generating 100,000 requests on SQLite and 19 % of the
 *    backends' on PostgreSQL (docs/benchmarks.md).
 *    Migration 24 holds them off like migration 18's (note 5): it drops
 *    and recreates them with the same desk_kpi_bulk condition, and
 *    desk_demo_bulk adds its requests' due-day counts at its end with one
 *    grouped statement (DESK_KPI_DUE_ADD_BULK_SQL), as it does for the
 *    rollup. The swap happens inside the migration's transaction and
 *    changes no row: the triggers are exact before and after, so a store
 *    migrated from 21 keeps its counts. On PostgreSQL, DROP TRIGGER locks
 *    requests until the commit, so no write of another process can fall
 *    between the old trigger and the new one. */
#define DKD_COLS_ "specialist_id, due_day, created_day, has_due, due_resolved, open_due"
#define DKD_INSERT_W_(S, FROM, WHERE)                                                 \
	"INSERT INTO desk_kpi_due (" DKD_COLS_ ") SELECT "                            \
	"CASE WHEN gg.g = 0 THEN COALESCE(r.specialist_id, '') ELSE '*' END, "        \
	DESK_KPI_BJDAY("r.due_at") ", " DESK_KPI_BJDAY("r.created_at") ", SUM(" S ")"  \
	DKR_S_(S, DKR_RN_) DKR_S_(S, "NOT (" DKR_RN_ ") AND r.state <> 'closed'")       \
	" FROM " FROM " CROSS JOIN (SELECT 0 AS g UNION ALL SELECT 1 AS g) gg"        \
	" WHERE r.due_at IS NOT NULL AND " WHERE " GROUP BY 1, 2, 3"
#define DKD_INSERT_(S, FROM) DKD_INSERT_W_(S, FROM, "1 = 1")
#define DKD_UPSERT_                                                                   \
	" ON CONFLICT (specialist_id, due_day, created_day) DO UPDATE SET "           \
	"has_due = desk_kpi_due.has_due + excluded.has_due, "                         \
	"due_resolved = desk_kpi_due.due_resolved + excluded.due_resolved, "          \
	"open_due = desk_kpi_due.open_due + excluded.open_due"
/* Every request, from scratch (into an empty table). */
#define DESK_KPI_DUE_FILL_SQL DKD_INSERT_("1", "requests r")
/* The generated requests with ids from ? on (note 7), as
 * DESK_KPI_ADD_BULK_SQL for the rollup: desk_demo_bulk's end. */
#define DESK_KPI_DUE_ADD_BULK_SQL                                                     \
	DKD_INSERT_W_("1", "requests r", "r.no LIKE 'DM-%' AND r.id >= ?") DKD_UPSERT_
#define DKD_APPLY_(ROWS) DKD_INSERT_("r.sgn", "(" ROWS ") r") DKD_UPSERT_
#define DESK_KPI_DUE_INSERT DKD_APPLY_(DKR_ROW_("NEW", "1"))
#define DESK_KPI_DUE_UPDATE DKD_APPLY_(DKR_ROW_("OLD", "-1") " UNION ALL " DKR_ROW_("NEW", "1"))
#define DESK_KPI_DUE_DELETE DKD_APPLY_(DKR_ROW_("OLD", "-1"))
/* The request columns the due counts depend on. */
#define DESK_KPI_DUE_COLUMNS "created_at, specialist_id, state, resolved_at, due_at"

#define DESK_KPI_M21_SQL                                                              \
	"CREATE TABLE desk_kpi_due ("                                                 \
	" specialist_id TEXT NOT NULL, due_day INTEGER NOT NULL, created_day INTEGER NOT NULL," \
	" has_due INTEGER NOT NULL, due_resolved INTEGER NOT NULL, open_due INTEGER NOT NULL," \
	" PRIMARY KEY (specialist_id, due_day, created_day));\n"                      \
	DESK_KPI_DUE_FILL_SQL ";\n"
/* Migration 21's three triggers, each with the condition WHEN (SQLite),
 * and its trigger function, created by CREATE with HOLD at its start
 * (PostgreSQL): migration 24 writes them again with the hold (note 7). */
#define DKD_SQLITE_TRIGGERS_(WHEN)                                                    \
	"CREATE TRIGGER requests_kpi_due_insert AFTER INSERT ON requests" WHEN        \
	" BEGIN " DESK_KPI_DUE_INSERT "; END;\n"                                      \
	"CREATE TRIGGER requests_kpi_due_update AFTER UPDATE OF " DESK_KPI_DUE_COLUMNS \
	" ON requests" WHEN " BEGIN " DESK_KPI_DUE_UPDATE "; END;\n"                  \
	"CREATE TRIGGER requests_kpi_due_delete AFTER DELETE ON requests" WHEN        \
	" BEGIN " DESK_KPI_DUE_DELETE "; END;\n"
#define DKD_PG_TRIGGER_(CREATE, HOLD)                                                 \
	CREATE " desk_kpi_due_requests() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN" \
	HOLD                                                                          \
	" IF TG_OP = 'INSERT' THEN " DESK_KPI_DUE_INSERT ";"                          \
	" ELSIF TG_OP = 'UPDATE' THEN " DESK_KPI_DUE_UPDATE ";"                       \
	" ELSE " DESK_KPI_DUE_DELETE "; END IF; RETURN NULL; END $$;\n"               \
	"CREATE TRIGGER requests_kpi_due AFTER INSERT OR DELETE OR UPDATE OF "        \
	DESK_KPI_DUE_COLUMNS " ON requests FOR EACH ROW EXECUTE FUNCTION desk_kpi_due_requests();\n"
#define DESK_KPI_M21_SQLITE DKD_SQLITE_TRIGGERS_("")
#define DESK_KPI_M21_PG DKD_PG_TRIGGER_("CREATE FUNCTION", "")

/* ----------------------------------------------------------- migration 24
 * Note 7: migration 21's triggers again, held off while desk_kpi_bulk
 * holds a row. The common text clears that table: a row there is never
 * committed (note 5), and one that were would silently stop every trigger
 * of both tables, so the new triggers start from the state they assume
 * (the runner also needs a common text that runs on both engines). */
#define DESK_KPI_M24_SQL "DELETE FROM desk_kpi_bulk;\n"
#define DESK_KPI_M24_SQLITE                                                           \
	"DROP TRIGGER requests_kpi_due_insert;\n"                                     \
	"DROP TRIGGER requests_kpi_due_update;\n"                                     \
	"DROP TRIGGER requests_kpi_due_delete;\n" DKD_SQLITE_TRIGGERS_(DKR_SQLITE_WHEN_)
#define DESK_KPI_M24_PG                                                               \
	"DROP TRIGGER requests_kpi_due ON requests;\n"                                \
	DKD_PG_TRIGGER_("CREATE OR REPLACE FUNCTION", DKR_PG_HOLD_)

#endif /* PL_DESK_ROLLUP_SQL_H */
