/*
 * park.h - the park module (prefix park_): the registry of the park's
 * enterprises with their certifications, yearly figures and
 * smart-transformation projects; CSV import and export of those; the
 * park's indicators, computed from the rows on every read and never
 * stored, each with its numerator, denominator and the rows it counts;
 * and port-to-plant logistics measured from the trace module's shipping
 * and receiving events (区港联动). docs/park.md describes the
 * definitions; src/http/api_park.c is the HTTP face.
 *
 * Conventions: money is BIGINT yuan (元) everywhere in the store and the
 * API (the UI shows 万元 / 亿元); dates are "YYYY-MM-DD" text (they sort as
 * strings); a certification is valid on date D iff valid_from <= D <=
 * valid_to. Every function takes a store connection the caller owns;
 * writers expect the caller to have begun a transaction and to commit or
 * roll back (a refused import changes nothing because the caller rolls
 * back). Returned JSON is a new reference the caller json_decrefs.
 * Tenancy: functions given a principal filter with auth_tenant_filter
 * under park.data.read / park.data.write; indicator functions are park-wide
 * (park.indicators is checked by the route).
 */
#ifndef PL_PARK_H
#define PL_PARK_H

#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"

/* ------------------------------------------------------------------ CSV
 * RFC 4180 with the usual tolerances: CRLF or LF record ends, an optional
 * UTF-8 byte-order mark, quoted fields with "" for a quote and embedded
 * commas and line breaks, a missing final line break. The input must be
 * valid UTF-8. Limits below are checked before anything is allocated
 * beyond them (style rule 7). */
#define PARK_CSV_MAX_BYTES (8u << 20)  /* body cap of an import */
#define PARK_CSV_MAX_FIELDS 32         /* fields per record */
#define PARK_CSV_MAX_FIELD 4096        /* bytes per field */
#define PARK_CSV_MAX_RECORDS 100000    /* records per file, header included */

struct park_csv_record {
	size_t row;      /* 1-based record number (the header is row 1) */
	size_t n;        /* fields */
	char **f;        /* n NUL-terminated fields, owned by the park_csv */
};
struct park_csv {
	struct park_csv_record *rec; /* owned */
	size_t n, cap;
};
struct park_csv_error {
	size_t row;      /* record where parsing stopped (1-based) */
	char text[160];  /* why */
};
/* Parses buf[0..len) into *out (initialised here; release it with
 * park_csv_release even after an error). Blank lines are skipped. Errors:
 * PL_EPARSE (a bare quote inside an unquoted field, text after a closing
 * quote, an unterminated quote, invalid UTF-8, a NUL byte) and PL_ETOOBIG
 * (a limit above), with err naming the record. */
int park_csv_parse(const char *buf, size_t len, struct park_csv *out,
		   struct park_csv_error *err);
void park_csv_release(struct park_csv *c);
/* Appends s as one field, quoted when it holds a comma, quote, CR or LF,
 * starts/ends with a space or starts with U+FEFF (which would read back
 * as a byte-order mark). PL_ETOOBIG when b's cap is hit. */
int park_csv_put(struct pl_buf *b, const char *s);

/* ------------------------------------------------------------- registry */
enum park_kind {
	PARK_K_ENTERPRISES,
	PARK_K_CERTIFICATIONS,
	PARK_K_YEARLY,
	PARK_K_PROJECTS,
	PARK_K_COUNT
};
const char *park_kind_name(enum park_kind k);          /* "enterprises", ... */
int park_kind_parse(const char *s, enum park_kind *out); /* PL_EINVAL */

/* Certification types (stored as the code; the Chinese name is accepted on
 * import): tech_sme 科技型中小企业, high_tech 高新技术企业, specialized 专精特新. */
#define PARK_CERT_TECH_SME "tech_sme"
#define PARK_CERT_HIGH_TECH "high_tech"
#define PARK_CERT_SPECIALIZED "specialized"
/* Project types: smart_factory 智能工厂, digital_workshop 数字化车间,
 * smart_retrofit 智能化改造, platform 工业互联网平台, other 其他; statuses
 * planned, in_progress, accepted (验收; needs accepted_on). */

/* "YYYY-MM-DD" with a real calendar day; PL_EINVAL otherwise. *days
 * (may be NULL) gets days since 1970-01-01. */
int park_date_parse(const char *s, int64_t *days);
/* The UTC calendar date of ms into out ("YYYY-MM-DD"). */
void park_date_of(int64_t ms, char out[11]);

struct park_actor {
	const struct auth_principal *p; /* NULL: the system (demo, CLI) */
	const char *request_id;         /* may be NULL */
	const char *ip;                 /* may be NULL */
};

#define PARK_IMPORT_ERRORS_MAX 100
/* Imports one CSV file of kind k (docs/park.md lists the columns). Every
 * row is checked before anything is written; when any row is bad, returns
 * PL_EINVAL with *errors a new array of {row, field, reason} (every bad
 * row, at most PARK_IMPORT_ERRORS_MAX; field null for whole-row errors)
 * and writes nothing. Otherwise upserts every row (enterprises by id or
 * uscc, certifications by enterprise+type+cert_no, yearly by
 * enterprise+year, projects by enterprise+name), writes one audit row
 * park.import and returns 0 with *imported the row count. An actor whose
 * scope is OWN may only touch its own enterprise (other enterprises are
 * "unknown", exactly as missing ones) and may not create enterprises.
 * now_ms bounds dates (no later than 50 years ahead). c must be in a
 * transaction. Errors besides PL_EINVAL: PL_EFORBIDDEN, PL_EDB. */
int park_import(struct store_conn *c, const struct park_actor *a, enum park_kind k,
		const char *buf, size_t len, int64_t now_ms, json_t **errors,
		int64_t *imported);
/* Writes kind k as CSV (UTF-8 BOM, header, CRLF) of the rows p may read
 * under park.data.read, in a stable order, into out; what it writes
 * imports back to the same rows. PL_ETOOBIG past out's cap. */
int park_export(struct store_conn *c, const struct auth_principal *p, enum park_kind k,
		struct pl_buf *out);

struct park_ent_query {
	const char *q;        /* NULL: any; substring of names or uscc */
	const char *cert;     /* NULL: any; a certification type valid on date */
	int in_production;    /* -1 any, 0, 1 */
	int64_t limit, offset;
	const char *date;     /* "YYYY-MM-DD" for "valid now" */
};
/* {items:[{id,name_zh,name_en,uscc,industry,in_production,certs:[types
 * valid on date], revenue_last_year}], total} of the enterprises p may
 * read, ordered by name. revenue_last_year is the latest year's revenue
 * (null when none). PL_EFORBIDDEN when p may never read. */
int park_enterprise_list(struct store_conn *c, const struct auth_principal *p,
			 const struct park_ent_query *q, json_t **out);
/* {enterprise, certifications:[..., valid], yearly:[], projects:[]}; valid
 * is on date. PL_ENOTFOUND when missing or not visible to p. */
int park_enterprise_get(struct store_conn *c, const struct auth_principal *p,
			const char *id, const char *date, json_t **out);

/* ----------------------------------------------------------- indicators
 * On date (certifications, projects) and year (yearly figures); year 0
 * means the latest year with figures. *out is
 * {date, year, indicators:[{key,label_zh,label_en,value,unit,numerator,
 * denominator,source}], trend:[{year, values:{key:value}}]} (docs/park.md
 * defines every key). PL_EINVAL for a bad date. */
int park_indicators(struct store_conn *c, const char *date, int year, json_t **out);
/* {key, date, year, rows:[...]}: the rows indicator key counts on
 * date/year. PL_ENOTFOUND for an unknown key. */
int park_indicator_rows(struct store_conn *c, const char *key, const char *date, int year,
			json_t **out);
/* The latest year with yearly figures (0 when none). */
int park_latest_year(struct store_conn *c, int *out);

/* ------------------------------------------------------------ logistics
 * A shipment is a bizTransaction that appears on a port declaration
 * (bizStep departing or shipping) and later on a receiving event of the
 * same enterprise; days = (received - declared) / 86400000, to 0.01. */
#define PARK_SHIPMENTS_MAX 2000
/* {baseline_days, average_days, count, shipments:[{id, enterprise_id,
 * enterprise_name, declared_at, received_at, days, port, plant}]} for
 * declarations in [from_ms, to_ms); average_days null when none. */
int park_logistics(struct store_conn *c, int64_t from_ms, int64_t to_ms, json_t **out);

/* ----------------------------------------------------------------- demo
 * Seeds, idempotently (nothing when the demo's first enterprise exists),
 * a park shaped like the seed article: 240 enterprises (152 in production,
 * including auth's two demo enterprises), certifications valid around
 * now_ms, three years of figures, 72 smart-transformation projects, 200
 * specialist accounts without a usable password, assignments, and a few
 * inbound shipments captured as EPCIS events. With date = today and the
 * latest year the indicators read 138 / 102 / 4.6 % / 53.6 % / 38.4 % /
 * 33 enterprises, 72 projects, 6.7 亿元 / 5 smart factories / 22 digital
 * workshops. Needs auth_demo_seed to have run. */
int park_demo_seed(struct store *st, int64_t now_ms, FILE *print_to);

#endif /* PL_PARK_H */
