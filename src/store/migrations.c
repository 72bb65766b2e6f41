/*
 * migrations.c - Parkline's schema, as one ordered list of versioned
 * migrations, and the runner that applies the pending ones on either
 * engine (NOTES ON THE DESIGN 5 in store.c).
 *
 * HOW TO ADD A MIGRATION (later modules: desk, trace, line, park, ...):
 * append one entry to `migrations` below with the next version number and
 * a short name, e.g.
 *     { 2, "desk", DESK_SQL, NULL, NULL },
 * defining its SQL as a string constant above the table, next to the
 * others. Rules that keep both engines and old databases working:
 *   - never edit, renumber or reorder an entry that has shipped: databases
 *     in the field already recorded it; fix mistakes with a new entry;
 *   - write `sql` in the subset both engines accept (TEXT ids and times,
 *     INTEGER 0/1 booleans, BIGINT, DOUBLE PRECISION, BLOB is bytea on
 *     PostgreSQL so put blob columns in sqlite_sql/pg_sql pairs);
 *   - put engine-specific DDL (triggers, functions) in sqlite_sql and
 *     pg_sql; both run in the same transaction as `sql`;
 *   - name every index and trigger <table>_<what> so names never clash.
 * The runner refuses a list whose versions are not 1, 2, 3, ... in order.
 */
#include "store/store_int.h"
/* Migration 18's text (the desk KPI rollup and its triggers) lives with the
 * desk code that reads it, so the rebuild runs the same statements. */
#include "desk/rollup_sql.h"

#include <string.h>

/* Migration 1: the foundation schema every module relies on (tenancy,
 * users, sessions, API tokens, specialist assignments, the audit log). */
static const char M1_SQL[] =
	"CREATE TABLE enterprises ("
	" id TEXT PRIMARY KEY,"
	" name_zh TEXT NOT NULL,"
	" name_en TEXT,"
	" uscc TEXT UNIQUE,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);\n"
	"CREATE TABLE users ("
	" id TEXT PRIMARY KEY,"
	" username TEXT NOT NULL UNIQUE,"
	" display_name TEXT NOT NULL,"
	" password_hash TEXT NOT NULL,"
	" role TEXT NOT NULL CHECK (role IN ('park_admin','specialist','department','enterprise','auditor')),"
	" enterprise_id TEXT REFERENCES enterprises(id),"
	" department TEXT,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);\n"
	"CREATE INDEX users_enterprise_idx ON users (enterprise_id);\n"
	"CREATE TABLE sessions ("
	" id_hash TEXT PRIMARY KEY,"
	" user_id TEXT NOT NULL REFERENCES users(id),"
	" csrf TEXT NOT NULL,"
	" created_at TEXT NOT NULL,"
	" expires_at TEXT NOT NULL,"
	" last_seen_at TEXT NOT NULL,"
	" ip TEXT,"
	" user_agent TEXT);\n"
	"CREATE INDEX sessions_user_idx ON sessions (user_id);\n"
	"CREATE INDEX sessions_expires_idx ON sessions (expires_at);\n"
	"CREATE TABLE api_tokens ("
	" id TEXT PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" token_hash TEXT NOT NULL UNIQUE,"
	" user_id TEXT REFERENCES users(id),"
	" role TEXT NOT NULL,"
	" enterprise_id TEXT REFERENCES enterprises(id),"
	" line_id TEXT,"
	" created_by TEXT,"
	" created_at TEXT NOT NULL,"
	" expires_at TEXT,"
	" revoked_at TEXT,"
	" last_used_at TEXT);\n"
	"CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);\n"
	"CREATE INDEX api_tokens_enterprise_idx ON api_tokens (enterprise_id);\n"
	"CREATE TABLE assignments ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" specialist_id TEXT NOT NULL REFERENCES users(id),"
	" started_at TEXT NOT NULL,"
	" ended_at TEXT,"
	" reason TEXT);\n"
	"CREATE INDEX assignments_enterprise_idx ON assignments (enterprise_id);\n"
	"CREATE INDEX assignments_specialist_idx ON assignments (specialist_id);\n"
	"CREATE TABLE audit_log ("
	" id TEXT PRIMARY KEY,"
	" at TEXT NOT NULL,"
	" actor_id TEXT,"
	" actor_name TEXT,"
	" action TEXT NOT NULL,"
	" entity TEXT,"
	" entity_id TEXT,"
	" enterprise_id TEXT,"
	" before_json TEXT,"
	" after_json TEXT,"
	" request_id TEXT,"
	" ip TEXT);\n"
	"CREATE INDEX audit_log_at_idx ON audit_log (at);\n"
	"CREATE INDEX audit_log_enterprise_at_idx ON audit_log (enterprise_id, at);\n"
	"CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);\n";

/* The audit log is append-only: an UPDATE or DELETE aborts the statement
 * with a trigger error, which the drivers map to PL_EFORBIDDEN. */
static const char M1_SQLITE[] =
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n";

static const char M1_PG[] =
	"CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN RAISE EXCEPTION 'audit_log is append-only'"
	" USING ERRCODE = 'insufficient_privilege'; END $$;\n"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log"
	" FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();\n"
	"CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
	" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();\n";

/* Migration 2: the service desk's tables (issue 3,
 * docs/desk.md). Requests carry their state as the stable names of
 * desk_state_name and their clocks as RFC 3339 times; request_events is the
 * per-request history shown in the UI (the audit log stays the record);
 * ratings are one per request per round (round = times reopened before the
 * rating), so a reopened request can be rated again but never twice in one
 * round. departments is seeded with the park's usual departments. */
static const char M2_DESK_SQL[] =
	"ALTER TABLE enterprises ADD COLUMN address TEXT;\n"
	"ALTER TABLE enterprises ADD COLUMN industry TEXT;\n"
	"ALTER TABLE enterprises ADD COLUMN contact_name TEXT;\n"
	"ALTER TABLE enterprises ADD COLUMN contact_phone TEXT;\n"
	"ALTER TABLE assignments ADD COLUMN end_reason TEXT;\n"
	"CREATE TABLE certifications ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" type TEXT NOT NULL,"
	" cert_no TEXT NOT NULL,"
	" valid_from TEXT,"
	" valid_to TEXT,"
	" created_at TEXT NOT NULL);\n"
	"CREATE INDEX certifications_enterprise_idx ON certifications (enterprise_id);\n"
	"CREATE TABLE departments ("
	" id TEXT PRIMARY KEY,"
	" name_zh TEXT NOT NULL,"
	" name_en TEXT NOT NULL);\n"
	"INSERT INTO departments (id, name_zh, name_en) VALUES"
	" ('construction', '住房城乡建设', 'Housing and construction'),"
	" ('transport', '交通运输', 'Transport'),"
	" ('energy', '能源燃气', 'Energy and gas'),"
	" ('tax', '税务', 'Taxation'),"
	" ('market', '市场监管', 'Market regulation'),"
	" ('hr', '人力资源和社会保障', 'Human resources and social security');\n"
	"CREATE TABLE requests ("
	" id TEXT PRIMARY KEY,"
	" no TEXT NOT NULL UNIQUE,"
	" enterprise_id TEXT REFERENCES enterprises(id),"
	" park_wide INTEGER NOT NULL DEFAULT 0,"
	" title TEXT NOT NULL,"
	" description TEXT NOT NULL,"
	" channel TEXT NOT NULL,"
	" category TEXT NOT NULL,"
	" urgency TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" specialist_id TEXT REFERENCES users(id),"
	" department TEXT REFERENCES departments(id),"
	" created_by TEXT,"
	" sign_due_at TEXT,"
	" contact_due_at TEXT,"
	" due_at TEXT,"
	" dispatched_at TEXT,"
	" accepted_at TEXT,"
	" escalated_at TEXT,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL,"
	" resolved_at TEXT,"
	" resolution TEXT,"
	" paused_ms BIGINT NOT NULL DEFAULT 0,"
	" reopened INTEGER NOT NULL DEFAULT 0,"
	" returned INTEGER NOT NULL DEFAULT 0);\n"
	"CREATE INDEX requests_enterprise_idx ON requests (enterprise_id, created_at);\n"
	"CREATE INDEX requests_specialist_idx ON requests (specialist_id, state);\n"
	"CREATE INDEX requests_department_idx ON requests (department, state);\n"
	"CREATE INDEX requests_state_due_idx ON requests (state, due_at);\n"
	"CREATE TABLE request_links ("
	" request_id TEXT NOT NULL REFERENCES requests(id),"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" PRIMARY KEY (request_id, enterprise_id));\n"
	"CREATE INDEX request_links_enterprise_idx ON request_links (enterprise_id);\n"
	"CREATE TABLE request_events ("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL REFERENCES requests(id),"
	" seq INTEGER NOT NULL,"
	" at TEXT NOT NULL,"
	" actor_id TEXT,"
	" actor_name TEXT,"
	" action TEXT NOT NULL,"
	" from_state TEXT,"
	" to_state TEXT NOT NULL,"
	" note TEXT,"
	" UNIQUE (request_id, seq));\n"
	"CREATE TABLE ratings ("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL REFERENCES requests(id),"
	" round INTEGER NOT NULL,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" specialist_id TEXT REFERENCES users(id),"
	" rating TEXT NOT NULL CHECK (rating IN ('satisfied','basic','unsatisfied')),"
	" comment TEXT,"
	" at TEXT NOT NULL,"
	" UNIQUE (request_id, round));\n"
	"CREATE INDEX ratings_at_idx ON ratings (at);\n"
	"CREATE INDEX ratings_enterprise_idx ON ratings (enterprise_id, at);\n"
	"CREATE TABLE replacements ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" requested_by TEXT,"
	" reason TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending','done')),"
	" due_at TEXT NOT NULL,"
	" old_specialist_id TEXT REFERENCES users(id),"
	" new_specialist_id TEXT REFERENCES users(id),"
	" created_at TEXT NOT NULL,"
	" done_at TEXT);\n"
	"CREATE INDEX replacements_enterprise_idx ON replacements (enterprise_id, state);\n";

/* trace_events' columns as migration 3 made them; migration 27 rebuilds
 * the table with them (and migration 26's empties). */
#define TRACE_EVENTS_M3_COLUMNS \
	" id TEXT PRIMARY KEY," \
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id)," \
	" event_id TEXT NOT NULL," \
	" hash TEXT NOT NULL," \
	" capture_id TEXT NOT NULL," \
	" type TEXT NOT NULL," \
	" action TEXT," \
	" event_time_ms BIGINT NOT NULL," \
	" tz_offset TEXT," \
	" record_time TEXT NOT NULL," \
	" record_time_ms BIGINT NOT NULL," \
	" biz_step TEXT," \
	" disposition TEXT," \
	" read_point TEXT," \
	" biz_location TEXT," \
	" parent_id TEXT," \
	" transformation_id TEXT," \
	" context_json TEXT," \
	" body_json TEXT NOT NULL,"

/* Migration 3: the EPCIS repository (src/trace/repo.c). One row
 * per captured event and tenant (the same event captured by two enterprises
 * is two rows, so neither learns of the other's); identifiers in the side
 * tables are canonical (trace_id_canon_gs1) so queries and the genealogy
 * walk compare plain strings on indexed columns. Times are kept twice: RFC
 * 3339 text as everywhere, and *_ms integers for ordering and ranges. */
static const char M3_SQL[] =
	"CREATE TABLE trace_events ("
	TRACE_EVENTS_M3_COLUMNS
	" UNIQUE (enterprise_id, hash),"
	" UNIQUE (enterprise_id, event_id));\n"
	"CREATE INDEX trace_events_record_idx ON trace_events (record_time_ms, id);\n"
	"CREATE INDEX trace_events_time_idx ON trace_events (event_time_ms, id);\n"
	"CREATE INDEX trace_events_parent_idx ON trace_events (parent_id, event_time_ms);\n"
	"CREATE INDEX trace_events_event_id_idx ON trace_events (event_id);\n"
	"CREATE INDEX trace_events_hash_idx ON trace_events (hash);\n"
	"CREATE TABLE trace_event_epcs ("
	" event_row TEXT NOT NULL REFERENCES trace_events(id),"
	" role TEXT NOT NULL CHECK (role IN ('epc','child','input','output','parent')),"
	" epc TEXT NOT NULL);\n"
	"CREATE INDEX trace_event_epcs_epc_idx ON trace_event_epcs (epc, role);\n"
	"CREATE INDEX trace_event_epcs_row_idx ON trace_event_epcs (event_row);\n"
	"CREATE TABLE trace_event_qty ("
	" event_row TEXT NOT NULL REFERENCES trace_events(id),"
	" role TEXT NOT NULL CHECK (role IN ('epc','child','input','output')),"
	" epc_class TEXT NOT NULL,"
	" quantity DOUBLE PRECISION,"
	" uom TEXT);\n"
	"CREATE INDEX trace_event_qty_class_idx ON trace_event_qty (epc_class, role);\n"
	"CREATE INDEX trace_event_qty_row_idx ON trace_event_qty (event_row);\n"
	"CREATE TABLE trace_event_pairs ("
	" event_row TEXT NOT NULL REFERENCES trace_events(id),"
	" dir TEXT NOT NULL CHECK (dir IN ('b','s','d')),"
	" type TEXT,"
	" value TEXT NOT NULL);\n"
	"CREATE INDEX trace_event_pairs_value_idx ON trace_event_pairs (value, dir);\n"
	"CREATE INDEX trace_event_pairs_row_idx ON trace_event_pairs (event_row);\n"
	"CREATE TABLE trace_capture_jobs ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" created_by TEXT,"
	" created_at TEXT NOT NULL,"
	" finished_at TEXT,"
	" running INTEGER NOT NULL,"
	" success INTEGER NOT NULL,"
	" event_count BIGINT NOT NULL DEFAULT 0,"
	" stored BIGINT NOT NULL DEFAULT 0,"
	" duplicates BIGINT NOT NULL DEFAULT 0,"
	" errors_json TEXT);\n"
	"CREATE INDEX trace_capture_jobs_ent_idx ON trace_capture_jobs (enterprise_id, created_at);\n"
	"CREATE TABLE trace_settings ("
	" name TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);\n";

/* Migration 4: the plant lines fed over Sparkplug
 * and the series store (src/line/repo.c, NOTES there). A line is fed by one
 * Sparkplug edge node (sp_group, sp_node). Points live in compressed blocks
 * (line.h series blocks), one row per block, keyed by series and first
 * timestamp; times are BIGINT ms UTC. The blob column differs per engine. */
static const char M4_LINE_SQL[] =
	"CREATE TABLE lines ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" name TEXT NOT NULL,"
	" sp_group TEXT NOT NULL,"
	" sp_node TEXT NOT NULL,"
	" created_at TEXT NOT NULL,"
	" UNIQUE (sp_group, sp_node));\n"
	"CREATE INDEX lines_enterprise_idx ON lines (enterprise_id);\n"
	"CREATE TABLE line_series ("
	" id TEXT PRIMARY KEY,"
	" line_id TEXT NOT NULL REFERENCES lines(id),"
	" metric TEXT NOT NULL,"
	" unit TEXT,"
	" UNIQUE (line_id, metric));\n"
	"CREATE TABLE line_series_last ("
	" series_id TEXT PRIMARY KEY REFERENCES line_series(id),"
	" t BIGINT NOT NULL,"
	" value DOUBLE PRECISION,"
	" stale INTEGER NOT NULL DEFAULT 0);\n";
static const char M4_LINE_SQLITE[] =
	"CREATE TABLE line_series_blocks ("
	" series_id TEXT NOT NULL REFERENCES line_series(id),"
	" t_first BIGINT NOT NULL,"
	" t_last BIGINT NOT NULL,"
	" count INTEGER NOT NULL,"
	" data BLOB NOT NULL,"
	" PRIMARY KEY (series_id, t_first));\n";
static const char M4_LINE_PG[] =
	"CREATE TABLE line_series_blocks ("
	" series_id TEXT NOT NULL REFERENCES line_series(id),"
	" t_first BIGINT NOT NULL,"
	" t_last BIGINT NOT NULL,"
	" count INTEGER NOT NULL,"
	" data BYTEA NOT NULL,"
	" PRIMARY KEY (series_id, t_first));\n";

/* Migration 5: the green channel (绿色通道,
 * 全程代办). A project is an enterprise's approval chain run by an agent
 * (a specialist); each step records its statutory limit in working days
 * and when it was accepted (受理) and decided, so src/desk/green_repo.c can
 * measure it with desk_green_measure. */
static const char M5_GREEN_SQL[] =
	"CREATE TABLE green_projects ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" name TEXT NOT NULL,"
	" agent_id TEXT REFERENCES users(id),"
	" started_at TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('running','done')));\n"
	"CREATE INDEX green_projects_enterprise_idx ON green_projects (enterprise_id);\n"
	"CREATE TABLE green_steps ("
	" id TEXT PRIMARY KEY,"
	" project_id TEXT NOT NULL REFERENCES green_projects(id),"
	" seq INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" department TEXT NOT NULL,"
	" statutory_days INTEGER NOT NULL CHECK (statutory_days > 0),"
	" started_at TEXT,"
	" finished_at TEXT,"
	" UNIQUE (project_id, seq));\n";

/* Migration 10: the line's production plan
 * (ideal cycle time and shift calendar, so OEE uses planned time), its
 * live tile and machine-state log, and alarm rules that carry their own
 * ISA-18.2 life cycle (src/line/live.c NOTES). Times are BIGINT ms UTC. */
static const char M10_LINE_LIVE_SQL[] =
	"CREATE TABLE line_plans ("
	" line_id TEXT PRIMARY KEY REFERENCES lines(id),"
	" product TEXT NOT NULL,"
	" ideal_cycle_ms DOUBLE PRECISION NOT NULL CHECK (ideal_cycle_ms > 0),"
	" calendar TEXT NOT NULL);\n"
	"CREATE TABLE line_live ("
	" line_id TEXT PRIMARY KEY REFERENCES lines(id),"
	" state TEXT NOT NULL,"
	" state_since BIGINT NOT NULL,"
	" last_t BIGINT NOT NULL,"
	" counter BIGINT,"
	" counter_moved_t BIGINT,"
	" tile TEXT NOT NULL);\n"
	"CREATE TABLE line_state_log ("
	" line_id TEXT NOT NULL REFERENCES lines(id),"
	" t_start BIGINT NOT NULL,"
	" state TEXT NOT NULL,"
	" PRIMARY KEY (line_id, t_start));\n"
	"CREATE TABLE line_alarms ("
	" id TEXT PRIMARY KEY,"
	" line_id TEXT NOT NULL REFERENCES lines(id),"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" name TEXT NOT NULL,"
	" metric TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('high','low','roc','stale')),"
	" category TEXT NOT NULL,"
	" priority INTEGER NOT NULL,"
	" limit_v DOUBLE PRECISION NOT NULL,"
	" deadband DOUBLE PRECISION NOT NULL,"
	" stale_ms BIGINT NOT NULL,"
	" state TEXT NOT NULL,"
	" cond INTEGER NOT NULL,"
	" has_last INTEGER NOT NULL,"
	" last_t BIGINT NOT NULL,"
	" last_v DOUBLE PRECISION NOT NULL,"
	" shelved_until BIGINT NOT NULL,"
	" since BIGINT NOT NULL,"
	" version BIGINT NOT NULL,"
	" desk_request_id TEXT,"
	" created_at TEXT NOT NULL);\n"
	"CREATE INDEX line_alarms_line_idx ON line_alarms (line_id, metric);\n"
	"CREATE TABLE line_alarm_events ("
	" id TEXT PRIMARY KEY,"
	" alarm_id TEXT NOT NULL REFERENCES line_alarms(id),"
	" at BIGINT NOT NULL,"
	" event TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" value DOUBLE PRECISION,"
	" actor TEXT);\n"
	"CREATE INDEX line_alarm_events_alarm_idx ON line_alarm_events (alarm_id, at);\n";

/* Migration 7: the desk workflow's missing parts (docs/desk.md section 14).
 * request_attachments: one row per uploaded file; the bytes live outside
 * the database in the attachments directory, named by their SHA-256
 * (src/desk/attach.c), so the row keeps the checksum a download verifies.
 * request_pauses: the spans a request waited on the enterprise (补充材料);
 * to_at is NULL while it waits. request_extensions: 延期 applications with
 * the deadline asked for and the admin's decision. */
static const char M7_DESK_FLOW_SQL[] =
	"CREATE TABLE request_attachments ("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL REFERENCES requests(id),"
	" filename TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" size BIGINT NOT NULL CHECK (size > 0),"
	" sha256 TEXT NOT NULL,"
	" uploader_id TEXT,"
	" uploader_name TEXT,"
	" created_at TEXT NOT NULL);\n"
	"CREATE INDEX request_attachments_request_idx ON request_attachments (request_id, created_at);\n"
	"CREATE TABLE request_pauses ("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL REFERENCES requests(id),"
	" from_at TEXT NOT NULL,"
	" to_at TEXT,"
	" reason TEXT NOT NULL);\n"
	"CREATE INDEX request_pauses_request_idx ON request_pauses (request_id, from_at);\n"
	"CREATE TABLE request_extensions ("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL REFERENCES requests(id),"
	" reason TEXT NOT NULL,"
	" old_due_at TEXT,"
	" new_due_at TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected')),"
	" requested_by TEXT,"
	" requested_at TEXT NOT NULL,"
	" decided_by TEXT,"
	" decided_at TEXT,"
	" decision_note TEXT);\n"
	"CREATE INDEX request_extensions_request_idx ON request_extensions (request_id, requested_at);\n";

/* Migration 9 (src/trace/queue.c, named.c): the
 * asynchronous capture queue - one row per acknowledged, not yet processed
 * document, deleted in the transaction that stores its outcome, taken in
 * seq order - named EPCIS queries, owned by an enterprise or by the
 * park ('*', for admins and auditors; src/trace/named.c), and the GLNs
 * (canonical party or location Digital Links) each enterprise answers
 * for, so both parties of a shipment see it (src/trace/party.c), and
 * subscriptions to named queries with their delivery cursor
 * (src/trace/subscribe.c). */
static const char M9_TRACE_SQL[] =
	"CREATE TABLE trace_queries ("
	" owner TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" query_json TEXT NOT NULL,"
	" created_by TEXT,"
	" created_at TEXT NOT NULL,"
	" PRIMARY KEY (owner, name));\n"
	"CREATE TABLE trace_party_ids ("
	" value TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" created_at TEXT NOT NULL);\n"
	"CREATE INDEX trace_party_ids_ent_idx ON trace_party_ids (enterprise_id);\n"
	"CREATE TABLE trace_subscriptions ("
	" id TEXT PRIMARY KEY,"
	" owner TEXT NOT NULL,"
	" query_name TEXT NOT NULL,"
	" dest TEXT NOT NULL,"
	" signature_token TEXT,"
	" report_if_empty INTEGER NOT NULL,"
	" stream INTEGER NOT NULL,"
	" schedule_json TEXT,"
	" initial_record_time TEXT,"
	" cursor_ms BIGINT NOT NULL,"
	" cursor_row TEXT NOT NULL,"
	" next_run_ms BIGINT NOT NULL,"
	" attempts INTEGER NOT NULL,"
	" last_error TEXT,"
	" last_delivery_at TEXT,"
	" created_by TEXT,"
	" created_at TEXT NOT NULL,"
	" FOREIGN KEY (owner, query_name) REFERENCES trace_queries (owner, name));\n"
	"CREATE INDEX trace_subscriptions_due_idx ON trace_subscriptions (next_run_ms);\n"
	"CREATE INDEX trace_subscriptions_query_idx ON trace_subscriptions (owner, query_name);\n";
static const char M9_TRACE_SQLITE[] =
	"CREATE TABLE trace_capture_queue ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" job_id TEXT NOT NULL UNIQUE REFERENCES trace_capture_jobs(id),"
	" enterprise_id TEXT NOT NULL,"
	" created_by TEXT,"
	" is_xml INTEGER NOT NULL,"
	" body BLOB NOT NULL);\n";
static const char M9_TRACE_PG[] =
	"CREATE TABLE trace_capture_queue ("
	" seq BIGSERIAL PRIMARY KEY,"
	" job_id TEXT NOT NULL UNIQUE REFERENCES trace_capture_jobs(id),"
	" enterprise_id TEXT NOT NULL,"
	" created_by TEXT,"
	" is_xml INTEGER NOT NULL,"
	" body BYTEA NOT NULL);\n";

/* Migration 6: the park registry (src/park/, docs/park.md).
 * Enterprises gain whether they are in production (投产); yearly figures
 * are one row per enterprise and year, money in BIGINT yuan; projects are
 * smart-transformation projects (type and status codes checked in
 * src/park/registry.c); park_settings holds park-wide settings such as the
 * port-to-plant logistics baseline. Dates are YYYY-MM-DD text. */
static const char M6_PARK_SQL[] =
	"ALTER TABLE enterprises ADD COLUMN in_production INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE INDEX certifications_type_idx ON certifications (type, valid_from, valid_to);\n"
	"CREATE TABLE park_yearly ("
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" year INTEGER NOT NULL,"
	" revenue BIGINT NOT NULL CHECK (revenue >= 0),"
	" industrial_output BIGINT NOT NULL CHECK (industrial_output >= 0),"
	" rd_spending BIGINT NOT NULL CHECK (rd_spending >= 0),"
	" high_tech_output BIGINT NOT NULL CHECK (high_tech_output >= 0),"
	" high_tech_product_revenue BIGINT NOT NULL CHECK (high_tech_product_revenue >= 0),"
	" updated_at TEXT NOT NULL,"
	" PRIMARY KEY (enterprise_id, year));\n"
	"CREATE INDEX park_yearly_year_idx ON park_yearly (year);\n"
	"CREATE TABLE park_projects ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" name TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" investment BIGINT NOT NULL CHECK (investment >= 0),"
	" status TEXT NOT NULL,"
	" started_on TEXT NOT NULL,"
	" accepted_on TEXT,"
	" updated_at TEXT NOT NULL,"
	" UNIQUE (enterprise_id, name));\n"
	"CREATE TABLE park_settings ("
	" name TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);\n"
	"INSERT INTO park_settings (name, value) VALUES ('logistics_baseline_days', '30');\n";

/* Migration 11: supplier matching (强链条,
 * src/park/match.c). park_catalog holds what each enterprise declares it
 * makes and buys (GB/T 4754 industry code in canonical form, product,
 * free text); park_match_profiles whether it sits in the park (the
 * ranking's in-park bonus); park_introductions links the two desk
 * requests an "introduce us" opened. */
static const char M11_PARK_MATCH_SQL[] =
	"CREATE TABLE park_catalog ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" kind TEXT NOT NULL CHECK (kind IN ('make','buy')),"
	" industry_code TEXT NOT NULL,"
	" product TEXT NOT NULL,"
	" description TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" updated_at TEXT NOT NULL,"
	" UNIQUE (enterprise_id, seq));\n"
	"CREATE INDEX park_catalog_kind_idx ON park_catalog (kind, enterprise_id);\n"
	"CREATE TABLE park_match_profiles ("
	" enterprise_id TEXT PRIMARY KEY REFERENCES enterprises(id),"
	" in_park INTEGER NOT NULL DEFAULT 1,"
	" updated_at TEXT NOT NULL);\n"
	"CREATE TABLE park_introductions ("
	" id TEXT PRIMARY KEY,"
	" buyer_id TEXT NOT NULL REFERENCES enterprises(id),"
	" supplier_id TEXT NOT NULL REFERENCES enterprises(id),"
	" buyer_request_id TEXT NOT NULL REFERENCES requests(id),"
	" supplier_request_id TEXT NOT NULL REFERENCES requests(id),"
	" note TEXT NOT NULL,"
	" created_by TEXT NOT NULL,"
	" created_at TEXT NOT NULL);\n"
	"CREATE INDEX park_introductions_buyer_idx ON park_introductions (buyer_id);\n"
	"CREATE INDEX park_introductions_supplier_idx ON park_introductions (supplier_id);\n";

/* Migration 12: desk SLA settings and report indexes (src/desk/
 * sla_repo.c, report.c). desk_sla holds only the cells the park admin set
 * differently from the base table. The indexes serve the KPI report's
 * range over created_at and a specialist's queue (newest first). */
static const char M12_DESK_KPI_SQL[] =
	"CREATE TABLE desk_sla ("
	" category TEXT NOT NULL,"
	" urgency TEXT NOT NULL,"
	" clock TEXT NOT NULL CHECK (clock IN ('sign','contact','resolve')),"
	" duration TEXT NOT NULL,"
	" updated_at TEXT NOT NULL,"
	" updated_by TEXT,"
	" PRIMARY KEY (category, urgency, clock));\n"
	"CREATE INDEX requests_created_idx ON requests (created_at);\n"
	"CREATE INDEX requests_specialist_created_idx ON requests (specialist_id, created_at);\n";

/* Migration 8: the notification outbox
 * (src/desk/outbox.c, docs/notify.md). Rows are written in the same
 * transaction as the desk event that causes them; dedupe_key (request,
 * event seq, recipient, channel) is unique, so an event queues each message
 * once, and the key travels to the provider so a resend after a crash is
 * dropped there. notify_contacts holds the addresses a user is reached at
 * and the leader an escalation goes to; notify_inbound dedupes inbound SMS
 * by the provider's message id. */
static const char M8_NOTIFY_SQL[] =
	"CREATE TABLE notify_outbox ("
	" id TEXT PRIMARY KEY,"
	" dedupe_key TEXT NOT NULL UNIQUE,"
	" request_id TEXT REFERENCES requests(id),"
	" enterprise_id TEXT REFERENCES enterprises(id),"
	" event TEXT NOT NULL,"
	" channel TEXT NOT NULL CHECK (channel IN ('sms','wechat','webhook')),"
	" recipient_kind TEXT NOT NULL,"
	" recipient_id TEXT,"
	" address TEXT NOT NULL,"
	" params_json TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending','sending','sent','dead','skipped')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_at TEXT NOT NULL,"
	" lease_until TEXT,"
	" created_at TEXT NOT NULL,"
	" sent_at TEXT,"
	" provider_id TEXT,"
	" last_error TEXT);\n"
	"CREATE INDEX notify_outbox_due_idx ON notify_outbox (state, next_at);\n"
	"CREATE INDEX notify_outbox_request_idx ON notify_outbox (request_id);\n"
	"CREATE TABLE notify_contacts ("
	" user_id TEXT PRIMARY KEY REFERENCES users(id),"
	" phone TEXT,"
	" wechat_openid TEXT,"
	" leader_id TEXT REFERENCES users(id),"
	" updated_at TEXT NOT NULL);\n"
	"CREATE TABLE notify_inbound ("
	" provider TEXT NOT NULL,"
	" message_id TEXT NOT NULL,"
	" phone TEXT NOT NULL,"
	" enterprise_id TEXT REFERENCES enterprises(id),"
	" request_id TEXT REFERENCES requests(id),"
	" result TEXT NOT NULL,"
	" text TEXT NOT NULL,"
	" received_at TEXT NOT NULL,"
	" PRIMARY KEY (provider, message_id));\n"
	"CREATE INDEX notify_inbound_request_idx ON notify_inbound (request_id);\n";

/* Migration 13 (src/trace/genealogy.c note 8,
 * repo.c): the member tables' id indexes carry the event row, so the set-
 * based genealogy walk (epc IN (...) joined to trace_events) and the
 * MATCH_* EXISTS probes (epc = ? AND event_row = e.id) are answered from
 * the index alone; they replace the (id, role) indexes, so a capture still
 * maintains the same number of b-trees per member row. */
static const char M13_TRACE_PERF_SQL[] =
	"CREATE INDEX trace_event_epcs_epc_row_idx ON trace_event_epcs (epc, event_row, role);\n"
	"DROP INDEX trace_event_epcs_epc_idx;\n"
	"CREATE INDEX trace_event_qty_class_row_idx ON trace_event_qty (epc_class, event_row, role);\n"
	"DROP INDEX trace_event_qty_class_idx;\n";

/* Migration 14: the specialist queue's second
 * branch (docs/desk.md section 15; src/desk/repo.c desk__list_scope):
 * requests of the enterprises assigned to a specialist but held by someone
 * else (or no one). The index covers the branch (filter, order and the id
 * it returns), so it is an index range per assigned enterprise instead of
 * a row read per request; without id in it SQLite reads every row. */
static const char M14_DESK_PERF_SQL[] =
	"CREATE INDEX requests_enterprise_specialist_idx ON requests "
	"(enterprise_id, specialist_id, created_at, id);\n";

/* Migration 15 (src/desk/wechat_repo.c,
 * docs/desk.md "WeChat callback"): which WeChat OpenID is which enterprise
 * contact, and the dedupe key (MsgId, or sender + CreateTime for events)
 * of every message handled, so WeChat's retries change nothing. */
static const char M15_DESK_WECHAT_SQL[] =
	"CREATE TABLE wechat_bindings ("
	" openid TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" contact_name TEXT NOT NULL,"
	" created_by TEXT,"
	" created_at TEXT NOT NULL);\n"
	"CREATE INDEX wechat_bindings_enterprise_idx ON wechat_bindings (enterprise_id);\n"
	"CREATE TABLE wechat_inbound ("
	" dedupe_key TEXT PRIMARY KEY,"
	" openid TEXT NOT NULL,"
	" enterprise_id TEXT REFERENCES enterprises(id),"
	" request_id TEXT REFERENCES requests(id),"
	" result TEXT NOT NULL,"
	" received_at TEXT NOT NULL);\n";

/* Migration 16: what an enterprise shares with
 * the park (docs/park.md section 7). No row means nothing is shared: the
 * park sees a line's OEE only after the enterprise (or the park admin)
 * switches share_production on. */
static const char M16_PARK_SHARE_SQL[] =
	"CREATE TABLE park_sharing ("
	" enterprise_id TEXT PRIMARY KEY REFERENCES enterprises(id),"
	" share_production INTEGER NOT NULL DEFAULT 0 CHECK (share_production IN (0, 1)),"
	" updated_at TEXT NOT NULL,"
	" updated_by TEXT NOT NULL);\n";

/* Migration 17: the ISA-95 plant model around
 * the lines (src/line/plant.c, docs/line.md "Plant model"): an enterprise's
 * sites and their areas, each line in an area, the machines and stations of
 * a line, and products with their ideal cycle time; a line's plan may name
 * the product it runs. Existing lines move into one default site and area
 * per enterprise; their ids are derived from the enterprise id (its first
 * 25 characters and 'S' or 'A'), so the migration needs no id generator
 * and is the same on both engines. Every row carries enterprise_id, so a
 * tenancy check is one lookup. */
static const char M17_LINE_PLANT_SQL[] =
	"CREATE TABLE plant_sites ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" code TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" address TEXT,"
	" created_at TEXT NOT NULL,"
	" UNIQUE (enterprise_id, code));\n"
	"CREATE TABLE plant_areas ("
	" id TEXT PRIMARY KEY,"
	" site_id TEXT NOT NULL REFERENCES plant_sites(id),"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" code TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" created_at TEXT NOT NULL,"
	" UNIQUE (site_id, code));\n"
	"CREATE INDEX plant_areas_enterprise_idx ON plant_areas (enterprise_id);\n"
	"ALTER TABLE lines ADD COLUMN area_id TEXT REFERENCES plant_areas(id);\n"
	"CREATE TABLE line_machines ("
	" id TEXT PRIMARY KEY,"
	" line_id TEXT NOT NULL REFERENCES lines(id),"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" code TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 999),"
	" sp_device TEXT,"
	" created_at TEXT NOT NULL,"
	" UNIQUE (line_id, code));\n"
	"CREATE INDEX line_machines_enterprise_idx ON line_machines (enterprise_id);\n"
	"CREATE TABLE line_products ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" gtin TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" ideal_cycle_ms DOUBLE PRECISION NOT NULL CHECK (ideal_cycle_ms > 0),"
	" created_at TEXT NOT NULL,"
	" UNIQUE (enterprise_id, gtin));\n"
	"ALTER TABLE line_plans ADD COLUMN product_id TEXT REFERENCES line_products(id);\n"
	"INSERT INTO plant_sites (id, enterprise_id, code, name, address, created_at)"
	" SELECT substr(enterprise_id, 1, 25) || 'S', enterprise_id, 'default', '默认厂区', NULL, MIN(created_at)"
	" FROM lines GROUP BY enterprise_id;\n"
	"INSERT INTO plant_areas (id, site_id, enterprise_id, code, name, created_at)"
	" SELECT substr(id, 1, 25) || 'A', id, enterprise_id, 'default', '默认车间', created_at"
	" FROM plant_sites;\n"
	"UPDATE lines SET area_id = substr(enterprise_id, 1, 25) || 'A' WHERE area_id IS NULL;\n";

/* Migration 19 (src/trace/repo.c note 7,
 * docs/trace.md "Capture"): fewer b-tree writes per captured event. The
 * single-column event_id and hash indexes duplicated the UNIQUE
 * (enterprise_id, event_id) / (enterprise_id, hash) ones, and as hash keys
 * every insert dirtied a random leaf page of each; lookups by id now go
 * through the UNIQUE indexes per enterprise. The parent index becomes
 * partial: only aggregation events have a parent (a tenth of a line's
 * events), and every query on it names a parent. Indexes only: no data
 * moves. */
static const char M19_TRACE_PERF_SQL[] =
	"DROP INDEX trace_events_event_id_idx;\n"
	"DROP INDEX trace_events_hash_idx;\n"
	"DROP INDEX trace_events_parent_idx;\n"
	"CREATE INDEX trace_events_parent_idx ON trace_events (parent_id, event_time_ms) "
	"WHERE parent_id IS NOT NULL;\n";

/* Migration 23: a line's plan as a history (src/line/live.c NOTES 6). Each
 * row is the plan in force from valid_from (ms UTC) until the next row's;
 * OEE over a window cuts it at every change, so a product changeover
 * mid-shift weighs each product's count by its own ideal cycle time and a
 * plan changed today does not re-cut last week's reports. line_plans stays
 * the plan in force now. The plans existing at migration time become
 * versions from 0 (since always). product_id is a record, not a foreign
 * key: a product no plan runs now may be deleted, and old versions keep
 * its name and cycle time. */
static const char M23_LINE_PLAN_VERSIONS_SQL[] =
	"CREATE TABLE line_plan_versions ("
	" line_id TEXT NOT NULL REFERENCES lines(id),"
	" valid_from BIGINT NOT NULL,"
	" product TEXT NOT NULL,"
	" product_id TEXT,"
	" ideal_cycle_ms DOUBLE PRECISION NOT NULL CHECK (ideal_cycle_ms > 0),"
	" calendar TEXT NOT NULL,"
	" PRIMARY KEY (line_id, valid_from));\n"
	"CREATE INDEX line_plan_versions_product_idx ON line_plan_versions (product_id)"
	" WHERE product_id IS NOT NULL;\n"
	"INSERT INTO line_plan_versions (line_id, valid_from, product, product_id, ideal_cycle_ms, calendar)"
	" SELECT line_id, 0, product, product_id, ideal_cycle_ms, calendar FROM line_plans;\n";

/* Migration 20: the port-to-plant logistics baseline becomes a setting the
 * park admin edits over the API (src/park/logistics.c, docs/park.md
 * section 4): each park_settings row records when and by whom it was last
 * changed (NULL for rows no one has edited; the history is the audit log). */
static const char M20_PARK_LOGISTICS_SQL[] =
	"ALTER TABLE park_settings ADD COLUMN updated_at TEXT;\n"
	"ALTER TABLE park_settings ADD COLUMN updated_by TEXT;\n";

/* Migration 22: an event whose eventID is its CBV hash keeps "ni:" and its
 * row id in event_id instead of the hash a second time (src/trace/repo.c
 * note 9): UNIQUE (enterprise_id, event_id) then takes appends, not a
 * random leaf page per event. Readers take the hash back through
 * TRACE__EVENT_ID_SQL (src/trace/trace_int.h). Rows only: no index or
 * table changes, the same statement on both engines. */
static const char M22_TRACE_EVENT_ID_SQL[] =
	"UPDATE trace_events SET event_id = 'ni:' || id WHERE event_id = hash;\n";

/* Migration 25: stored rollups of the line series (src/line/repo_rollup.c
 * NOTES). One row per (series, width, bucket) for the 1-minute and 1-hour
 * widths: n finite values, skipped NaN/infinite ones, their sum, min,
 * max, first and last (NULL when n = 0). Written in the transaction that
 * writes the points. The blocks are compressed, so SQL cannot fill the
 * rows of the points already stored: line_rollups_pending lists every
 * series that existed at migration time, and serve rebuilds each from its
 * blocks (line_repo_rollups_backfill, one transaction per series) and
 * deletes its row, so an interrupted backfill resumes. */
static const char M25_LINE_ROLLUPS_SQL[] =
	"CREATE TABLE line_rollups ("
	" series_id TEXT NOT NULL REFERENCES line_series(id),"
	" width_ms BIGINT NOT NULL,"
	" bucket_ms BIGINT NOT NULL,"
	" n BIGINT NOT NULL,"
	" skipped BIGINT NOT NULL,"
	" v_sum DOUBLE PRECISION NOT NULL,"
	" v_min DOUBLE PRECISION,"
	" v_max DOUBLE PRECISION,"
	" first_t BIGINT,"
	" first_v DOUBLE PRECISION,"
	" last_t BIGINT,"
	" last_v DOUBLE PRECISION,"
	" PRIMARY KEY (series_id, width_ms, bucket_ms));\n"
	"CREATE TABLE line_rollups_pending ("
	" series_id TEXT PRIMARY KEY REFERENCES line_series(id));\n"
	"INSERT INTO line_rollups_pending (series_id) SELECT id FROM line_series;\n";

/* Migration 26 (src/trace/genealogy.c notes 14 and 15): the event time in
 * the member tables, so a node's events inside a time window are one index
 * range - (epc, event_time_ms) - instead of every event the node ever had
 * (a tray reused all through a 10 M-event store has ~8,800). The new
 * indexes replace migration 13's (epc, event_row, role) ones (the MATCH_*
 * probes name the time too), so a capture still maintains as many b-trees
 * per member row. trace_events.empties marks the childless DELETEs of a
 * parent, which empty the container (note 2); the partial index on them
 * makes the emptying probe read only those, not every DELETE of a tray.
 * Events are never updated, so the copies cannot drift. */
static const char M26_TRACE_TIME_SQL[] =
	"ALTER TABLE trace_event_epcs ADD COLUMN event_time_ms BIGINT NOT NULL DEFAULT 0;\n"
	"UPDATE trace_event_epcs SET event_time_ms = (SELECT e.event_time_ms FROM trace_events e "
	"WHERE e.id = trace_event_epcs.event_row);\n"
	"CREATE INDEX trace_event_epcs_epc_time_idx ON trace_event_epcs "
	"(epc, event_time_ms, event_row, role);\n"
	"DROP INDEX trace_event_epcs_epc_row_idx;\n"
	"ALTER TABLE trace_event_qty ADD COLUMN event_time_ms BIGINT NOT NULL DEFAULT 0;\n"
	"UPDATE trace_event_qty SET event_time_ms = (SELECT e.event_time_ms FROM trace_events e "
	"WHERE e.id = trace_event_qty.event_row);\n"
	"CREATE INDEX trace_event_qty_class_time_idx ON trace_event_qty "
	"(epc_class, event_time_ms, event_row, role);\n"
	"DROP INDEX trace_event_qty_class_row_idx;\n"
	"ALTER TABLE trace_events ADD COLUMN empties BIGINT NOT NULL DEFAULT 0;\n"
	"UPDATE trace_events SET empties = 1 WHERE parent_id IS NOT NULL AND action = 'DELETE' "
	"AND NOT EXISTS (SELECT 1 FROM trace_event_epcs x WHERE x.event_row = trace_events.id "
	"AND x.role = 'child');\n"
	"CREATE INDEX trace_events_empties_idx ON trace_events (parent_id, event_time_ms) "
	"WHERE empties = 1;\n";

/* Migration 27 (src/trace/repo.c notes 3 and 11, docs/trace.md "Capture"):
 * no random key in a captured event's transaction. Deduplication moves
 * from UNIQUE (enterprise_id, hash) to UNIQUE (enterprise_id,
 * event_time_ms, hash): the same thing, since the CBV hash covers the
 * event time, but a line reports in time order, so the index takes
 * appends instead of a random leaf page per event (half the bytes a
 * captured event wrote). Lookups by hash go through trace_event_hashes,
 * keyed by the hash's first 16 hex digits, which capture does not write:
 * it appends (h, row) to trace_hash_pending, and the capture path moves
 * the pending rows over in one sorted batch once there are enough of them
 * (repo.c note 11); a lookup reads both. On SQLite trace_events is rebuilt
 * (a UNIQUE constraint cannot be dropped in place: foreign keys are off
 * while it runs: migrate__one below) and trace_event_epcs becomes a
 * WITHOUT ROWID table keyed by (event_row, role, epc), which replaces its
 * rowid b-tree and the event_row index. Its role column loses the CHECK
 * of migration 3: with it the benchmark's plain-insert floor ran a fifth
 * slower (docs/benchmarks.md), and the only writer of the column is
 * repo.c's role table. PostgreSQL swaps the constraint and keeps its
 * member tables as they are. */
static const char M27_TRACE_APPEND_SQLITE[] =
	"CREATE TABLE trace_event_hashes ("
	" h TEXT NOT NULL,"
	" event_row TEXT NOT NULL,"
	" PRIMARY KEY (h, event_row)) WITHOUT ROWID;\n"
	"CREATE TABLE trace_events_new ("
	TRACE_EVENTS_M3_COLUMNS
	" empties BIGINT NOT NULL DEFAULT 0,"
	" UNIQUE (enterprise_id, event_time_ms, hash),"
	" UNIQUE (enterprise_id, event_id));\n"
	"INSERT INTO trace_events_new (id, enterprise_id, event_id, hash, capture_id, type, action,"
	" event_time_ms, tz_offset, record_time, record_time_ms, biz_step, disposition, read_point,"
	" biz_location, parent_id, transformation_id, context_json, body_json, empties)"
	" SELECT id, enterprise_id, event_id, hash, capture_id, type, action, event_time_ms,"
	" tz_offset, record_time, record_time_ms, biz_step, disposition, read_point, biz_location,"
	" parent_id, transformation_id, context_json, body_json, empties FROM trace_events"
	" ORDER BY id;\n"
	"DROP TABLE trace_events;\n"
	"ALTER TABLE trace_events_new RENAME TO trace_events;\n"
	"CREATE INDEX trace_events_record_idx ON trace_events (record_time_ms, id);\n"
	"CREATE INDEX trace_events_time_idx ON trace_events (event_time_ms, id);\n"
	"CREATE INDEX trace_events_parent_idx ON trace_events (parent_id, event_time_ms) "
	"WHERE parent_id IS NOT NULL;\n"
	"CREATE INDEX trace_events_empties_idx ON trace_events (parent_id, event_time_ms) "
	"WHERE empties = 1;\n"
	"CREATE TABLE trace_event_epcs_new ("
	" event_row TEXT NOT NULL REFERENCES trace_events(id),"
	" role TEXT NOT NULL,"
	" epc TEXT NOT NULL,"
	" event_time_ms BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY (event_row, role, epc)) WITHOUT ROWID;\n"
	"INSERT OR IGNORE INTO trace_event_epcs_new (event_row, role, epc, event_time_ms)"
	" SELECT event_row, role, epc, event_time_ms FROM trace_event_epcs;\n"
	"DROP TABLE trace_event_epcs;\n"
	"ALTER TABLE trace_event_epcs_new RENAME TO trace_event_epcs;\n"
	"CREATE INDEX trace_event_epcs_epc_time_idx ON trace_event_epcs "
	"(epc, event_time_ms, event_row, role);\n"
	"CREATE TABLE trace_hash_pending ("
	" seq INTEGER PRIMARY KEY,"
	" h TEXT NOT NULL,"
	" event_row TEXT NOT NULL);\n"
	"INSERT INTO trace_event_hashes (h, event_row)"
	" SELECT substr(hash, 15, 16), id FROM trace_events WHERE true ORDER BY 1, 2;\n";
static const char M27_TRACE_APPEND_PG[] =
	"CREATE TABLE trace_event_hashes ("
	" h TEXT NOT NULL,"
	" event_row TEXT NOT NULL,"
	" PRIMARY KEY (h, event_row));\n"
	"ALTER TABLE trace_events DROP CONSTRAINT trace_events_enterprise_id_hash_key;\n"
	"ALTER TABLE trace_events ADD CONSTRAINT trace_events_enterprise_id_event_time_ms_hash_key"
	" UNIQUE (enterprise_id, event_time_ms, hash);\n"
	"CREATE TABLE trace_hash_pending ("
	" seq BIGSERIAL PRIMARY KEY,"
	" h TEXT NOT NULL,"
	" event_row TEXT NOT NULL);\n"
	"INSERT INTO trace_event_hashes (h, event_row)"
	" SELECT substr(hash, 15, 16), id FROM trace_events ORDER BY 1, 2;\n";

static const struct store__migration migrations[] = {
	{ 1, "foundation", M1_SQL, M1_SQLITE, M1_PG, false },
	{ 2, "desk", M2_DESK_SQL, NULL, NULL, false },
	{ 3, "trace", M3_SQL, NULL, NULL, false },
	{ 4, "line", M4_LINE_SQL, M4_LINE_SQLITE, M4_LINE_PG, false },
	{ 5, "green", M5_GREEN_SQL, NULL, NULL, false },
	{ 6, "park", M6_PARK_SQL, NULL, NULL, false },
	{ 7, "desk-flow", M7_DESK_FLOW_SQL, NULL, NULL, false },
	{ 8, "notify", M8_NOTIFY_SQL, NULL, NULL, false },
	{ 9, "trace-queue", M9_TRACE_SQL, M9_TRACE_SQLITE, M9_TRACE_PG, false },
	{ 10, "line-live", M10_LINE_LIVE_SQL, NULL, NULL, false },
	{ 11, "park-match", M11_PARK_MATCH_SQL, NULL, NULL, false },
	{ 12, "desk-kpi", M12_DESK_KPI_SQL, NULL, NULL, false },
	{ 13, "trace-perf", M13_TRACE_PERF_SQL, NULL, NULL, false },
	{ 14, "desk-perf", M14_DESK_PERF_SQL, NULL, NULL, false },
	{ 15, "desk-wechat", M15_DESK_WECHAT_SQL, NULL, NULL, false },
	{ 16, "park-share", M16_PARK_SHARE_SQL, NULL, NULL, false },
	{ 17, "line-plant", M17_LINE_PLANT_SQL, NULL, NULL, false },
	{ 18, "desk-kpi-rollup", DESK_KPI_M18_SQL, DESK_KPI_M18_SQLITE, DESK_KPI_M18_PG, false },
	{ 19, "trace-perf-2", M19_TRACE_PERF_SQL, NULL, NULL, false },
	{ 20, "park-logistics", M20_PARK_LOGISTICS_SQL, NULL, NULL, false },
	/* 21: the KPI report's as_of counts per due day (src/desk/rollup_sql.h note 6). */
	{ 21, "desk-kpi-due", DESK_KPI_M21_SQL, DESK_KPI_M21_SQLITE, DESK_KPI_M21_PG, false },
	/* 22: hash-keyed events' eventID column (src/trace/repo.c note 9). */
	{ 22, "trace-event-id", M22_TRACE_EVENT_ID_SQL, NULL, NULL, false },
	/* 23: a line's plan history (src/line/live.c NOTES 6). */
	{ 23, "line-plan-versions", M23_LINE_PLAN_VERSIONS_SQL, NULL, NULL, false },
	/* 24: migration 21's triggers held off during bulk generation
	 * (src/desk/rollup_sql.h note 7). */
	{ 24, "desk-kpi-due-bulk", DESK_KPI_M24_SQL, DESK_KPI_M24_SQLITE, DESK_KPI_M24_PG, false },
	/* 25: stored 1-minute and 1-hour rollups of the line series, and the
	 * series whose stored points serve backfills (src/line/repo_rollup.c). */
	{ 25, "line-rollups", M25_LINE_ROLLUPS_SQL, NULL, NULL, false },
	/* 26: the event time in the member tables, and the emptying DELETEs
	 * marked (src/trace/genealogy.c notes 14 and 15). */
	{ 26, "trace-member-time", M26_TRACE_TIME_SQL, NULL, NULL, false },
	/* 27: deduplication on an appending key, lookups by hash through a
	 * table filled in batches (src/trace/repo.c note 11); SQLite rebuilds
	 * trace_events and trace_event_epcs, so foreign keys are off. */
	{ 27, "trace-append", "", M27_TRACE_APPEND_SQLITE, M27_TRACE_APPEND_PG,
	  true },
	/* Append new migrations here: { N, "name", SQL, SQLITE_SQL, PG_SQL[, rebuild] }, */
};

const struct store__migration *store__migrations(size_t *n)
{
	*n = sizeof(migrations) / sizeof(migrations[0]);
	return migrations;
}

static const char BOOTSTRAP_SQL[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" applied_at TEXT NOT NULL)";

/* A SQLite table rebuild (m->rebuild) drops a table that others reference,
 * so the connection runs it with foreign keys off (SQLite ignores the
 * pragma inside a transaction: it is set around it) and checks every
 * reference before its commit instead. */
static int migrate__fk_check(struct store_conn *c)
{
	struct store_rows *r = NULL;
	int rc = store_query(c, "PRAGMA foreign_key_check", NULL, 0, &r);
	if (rc)
		return rc;
	rc = store_rows_next(r);
	store_rows_free(r);
	if (rc == 1) {
		pl_fmt(c->errmsg, sizeof(c->errmsg), "the rebuild left a dangling reference");
		return PL_EDB;
	}
	return rc;
}

/* migrate__one's transaction; fk_check: check references before commit. */
static int migrate__apply(struct store_conn *c, const struct store__migration *m, bool fk_check,
			  bool *did)
{
	const struct store_ops *ops = c->st->ops;
	struct store_rows *r = NULL;
	char at[PL_TIME_STRLEN];
	int rc;

	*did = false;
	rc = store_begin(c);
	if (rc)
		return rc;
	if (ops->migrate_lock) {
		rc = ops->migrate_lock(c);
		if (rc)
			goto out;
	}
	rc = ops->script(c, BOOTSTRAP_SQL);
	if (rc)
		goto out;
	struct store_param v[] = { SP_INT(m->version) };
	rc = store_query(c, "SELECT version FROM schema_migrations WHERE version = ?", v,
			 STORE_NP(v), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	store_rows_free(r);
	r = NULL;
	if (rc < 0)
		goto out;
	if (rc == 1) { /* applied earlier, maybe by another process just now */
		rc = 0;
		goto out;
	}
	rc = *m->sql ? ops->script(c, m->sql) : 0;
	if (rc)
		goto out;
	const char *extra = ops->kind == STORE_SQLITE ? m->sqlite_sql : m->pg_sql;
	if (extra) {
		rc = ops->script(c, extra);
		if (rc)
			goto out;
	}
	if (fk_check && (rc = migrate__fk_check(c)) != 0)
		goto out;
	pl_time_format(pl_time_now_ms(), at);
	struct store_param p[] = { SP_INT(m->version), SP_TEXT(m->name), SP_TEXT(at) };
	rc = store_exec(c, "INSERT INTO schema_migrations (version, name, applied_at)"
			" VALUES (?, ?, ?)", p, STORE_NP(p), NULL);
	if (rc)
		goto out;
	rc = store_commit(c);
	if (rc == 0) {
		*did = true;
		pl_info(c->st->log, "store", "applied migration %d (%s)", m->version, m->name);
	}
	return rc;
out:
	store_rollback(c);
	if (rc)
		pl_error(c->st->log, "store", "migration %d (%s) failed: %s", m->version,
			 m->name, c->errmsg);
	return rc;
}

/* Applies m unless it is already recorded; *did says whether it ran. One
 * transaction: lock, bootstrap, check, DDL, record. */
static int migrate__one(struct store_conn *c, const struct store__migration *m, bool *did)
{
	const struct store_ops *ops = c->st->ops;
	bool fk_off = m->rebuild && ops->kind == STORE_SQLITE;
	int rc;

	if (fk_off && (rc = ops->script(c, "PRAGMA foreign_keys=OFF")) != 0)
		return rc;
	rc = migrate__apply(c, m, fk_off, did);
	if (fk_off) {
		int rc2 = ops->script(c, "PRAGMA foreign_keys=ON");
		rc = rc ? rc : rc2;
	}
	return rc;
}

int store_migrate(struct store *st, int *applied)
{
	struct store_conn *c = NULL;
	size_t n;
	const struct store__migration *ms = store__migrations(&n);
	int rc, count = 0;

	if (applied)
		*applied = 0;
	/* Versions rise strictly; a gap is allowed (numbers are handed out
	 * per module and land in any order), a repeat or a step back is not. */
	for (size_t i = 0; i < n; i++)
		if (ms[i].version <= (i ? ms[i - 1].version : 0))
			return PL_EINTERNAL;
	rc = store_conn_get(st, &c);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		bool did = false;
		rc = migrate__one(c, &ms[i], &did);
		if (rc)
			break;
		count += did;
	}
	store_conn_put(c);
	if (applied)
		*applied = count;
	return rc;
}

int store_schema_version(struct store *st, int *current, int *latest)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	size_t n;
	int rc;

	const struct store__migration *ms = store__migrations(&n);
	*latest = n ? ms[n - 1].version : 0;
	*current = 0;
	rc = store_conn_get(st, &c);
	if (rc)
		return rc;
	/* Portable "does the table exist": both engines answer this query
	 * with an error when it does not, so ask the catalogue instead. */
	rc = store_query(c, st->ops->kind == STORE_SQLITE
			 ? "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			   " AND name = 'schema_migrations'"
			 : "SELECT count(*) FROM information_schema.tables"
			   " WHERE table_schema = current_schema()"
			   " AND table_name = 'schema_migrations'",
			 NULL, 0, &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	bool exists = rc == 1 && store_rows_int(r, 0) > 0;
	store_rows_free(r);
	r = NULL;
	rc = 0;
	if (!exists)
		goto out;
	rc = store_query(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
			 NULL, 0, &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	*current = rc == 1 ? (int)store_rows_int(r, 0) : 0;
	rc = 0;
out:
	store_rows_free(r);
	store_conn_put(c);
	return rc;
}
