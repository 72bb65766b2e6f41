/*
 * trace.h - the public face of Parkline's trace module (prefix trace_):
 * the pure, store-independent core of the GS1 EPCIS 2.0 repository.
 *
 * Three parts live here today, each with published test vectors:
 *   - identifiers: EPC URNs and GS1 Digital Link URIs checked (check
 *     digits included) and normalised to ONE canonical form, the canonical
 *     GS1 Digital Link on https://id.gs1.org keeping only the finest key;
 *     China's 20-digit drug traceability code gets a private URI form;
 *   - the CBV 2.0 event hash (canonical pre-hash string + SHA-256);
 *   - EPCIS document validation (the JSON schema rules plus the checks
 *     the schema cannot express), all or nothing, every error naming the
 *     event index and field;
 *   - an event normaliser that flattens one validated event into plain
 *     rows for the store (see struct trace_rows).
 * Capture jobs, queries and genealogy will sit on top of these and the
 * store; nothing here touches the store, the network or global state.
 *
 * Ownership: every function borrows its inputs for the duration of the
 * call only; returned memory is described per function.
 */
#ifndef PL_TRACE_H
#define PL_TRACE_H

#include "core/core.h"

/* ----------------------------------------------------------- identifiers */

/* The longest canonical identifier we produce, NUL included. GS1 keys top
 * out near 100 bytes as Digital Links; other URIs are limited to this too
 * so a row column can have a fixed bound. */
#define TRACE_ID_MAX 512

/* China drug traceability codes (药品追溯码, the 20-digit 码上放心 code) are
 * not GS1 keys, so they cannot be Digital Links. They are carried as this
 * private HTTP URI followed by the 20 digits. ".invalid" is reserved
 * (RFC 2606): the URI is an identifier, never resolved. A park that owns a
 * domain changes this one line. */
#define TRACE_CNDRUG_PREFIX "https://id.parkline.invalid/cn-drug/"

enum trace_id_kind {
	TRACE_ID_NONE = 0, /* not a GS1 key: any other URI, kept as is */
	TRACE_ID_SGTIN,    /* 01 + 21: a serialised trade item (a vial) */
	TRACE_ID_LGTIN,    /* 01 + 10: a lot/batch class (urn:epc:class:lgtin) */
	TRACE_ID_GTIN,     /* 01 alone: a product class (urn:epc:idpat:sgtin:..*) */
	TRACE_ID_UPUI,     /* 01 + 235 */
	TRACE_ID_SSCC,     /* 00: a logistic unit (case, pallet) */
	TRACE_ID_SGLN,     /* 414 [+ 254]: a location (station, warehouse) */
	TRACE_ID_PGLN,     /* 417: a party */
	TRACE_ID_GRAI,     /* 8003: a returnable asset (a tray) */
	TRACE_ID_GIAI,     /* 8004: an individual asset (a camera) */
	TRACE_ID_GSRN,     /* 8018 */
	TRACE_ID_GSRNP,    /* 8017 */
	TRACE_ID_GDTI,     /* 253: a document */
	TRACE_ID_SGCN,     /* 255 */
	TRACE_ID_GINC,     /* 401 */
	TRACE_ID_GSIN,     /* 402: a shipment */
	TRACE_ID_ITIP,     /* 8006 */
	TRACE_ID_CPI,      /* 8010 [+ 8011] */
	TRACE_ID_CNDRUG,   /* China 20-digit drug traceability code */
};

struct trace_id {
	enum trace_id_kind kind;
	char canon[TRACE_ID_MAX]; /* canonical form, NUL-terminated */
	/* For TRACE_ID_CNDRUG only: the documented split of the 20 digits. */
	char cn_product[8];       /* 7-digit product identification code */
	char cn_serial[10];       /* 9-digit serial number */
	char cn_check[5];         /* 4 check digits (issuer-verified, see below) */
};

/* Parses one identifier and writes its canonical form.
 *
 * Accepted inputs:
 *   - EPC pure-identity URNs urn:epc:id:{sgtin,sscc,sgln,grai,giai,gsrn,
 *     gsrnp,gdti,sgcn,cpi,ginc,gsin,itip,upui,pgln}:..., the class URN
 *     urn:epc:class:lgtin:... and the patterns urn:epc:idpat:{sgtin,grai,
 *     gdti,sgcn}:CP.REF.* (which name a class: GTIN, GRAI, ...);
 *   - GS1 Digital Link URIs on any host (http or https, any path prefix
 *     before the primary key), query string and fragment ignored;
 *   - China drug codes: 20 ASCII digits (spaces between groups allowed),
 *     or TRACE_CNDRUG_PREFIX + 20 digits.
 * Canonical form: for GS1 keys, "https://id.gs1.org/{AI}/{key}[/{AI}/{q}]"
 * with the key's check digit verified, GTINs as 14 digits, and only the
 * finest qualifier kept (01/21 over 01/10 over 01/235; 414/254; 8006/21
 * over 8006/10; 8010/8011; CPV 22 and 7040 dropped). This is the form the
 * CBV 2.0 hash uses, so stored identifiers, query parameters and hashes all
 * compare as plain strings. China codes: TRACE_CNDRUG_PREFIX + 20 digits.
 * The four China check digits come from the code issuer (发码机构) and their
 * algorithm is not public, so only the structure is checked here.
 *
 * Returns 0; PL_ENOTFOUND when s is not a GS1 key or China code at all (a
 * plain URI such as geo:... or http://acme.com/po/1, which callers keep as
 * is); PL_EINVAL when s claims to be one (urn:epc:..., a Digital Link path,
 * 20 digits) but is malformed or its check digit is wrong; PL_ETOOBIG when
 * the result would not fit. *why (optional) gets a static sentence. */
int trace_id_parse(const char *s, struct trace_id *out, const char **why);

/* Writes the canonical form of any URI value into out[outsz]: a GS1 key is
 * normalised as above, anything else (including malformed keys and China
 * codes) is copied unchanged. This is the hash's rule 6. Returns 0 or
 * PL_ETOOBIG. */
int trace_id_canon_gs1(const char *s, char *out, size_t outsz);

/* GS1 mod-10 check digit of the n data digits at d (weights 3,1,3,...
 * from the right). Returns 0..9, or -1 when a byte is not a digit. */
int trace_gs1_check_digit(const char *d, size_t n);

/* GS1 Company Prefix lengths (urn.c; data/gs1/gcp-length.txt) and the way
 * from a canonical Digital Link back to an EPC URN. */
struct trace_gcp;
/* Parses "prefix length" lines ('#' comments). PL_EINVAL for a bad line. */
int trace_gcp_parse(const char *text, struct trace_gcp **out);
void trace_gcp_free(struct trace_gcp *t);
/* canon (a canonical Digital Link of an SGTIN, LGTIN, SSCC, SGLN, PGLN or
 * GRAI) as its EPC URN. PL_ENOTFOUND when its company prefix is not in t
 * or the key kind is not covered (keep the Digital Link); PL_EINVAL when
 * canon is not a canonical Digital Link. */
int trace_id_to_urn(const struct trace_gcp *t, const char *canon, char out[TRACE_ID_MAX]);

/* ------------------------------------------------------------ event hash */

/* "ni:///sha-256;" + 64 hex + "?ver=CBV2.0" + NUL is 90 bytes. */
#define TRACE_HASH_STRLEN 96
/* Cap on one event's pre-hash string: an event is bounded by the document
 * cap anyway; this keeps a hostile event from doubling memory use. */
#define TRACE_PREHASH_MAX (4u << 20)

/* Builds the CBV 2.0 canonical pre-hash string of one event (see the
 * design notes in hash.c). event is a JSON-LD event object; context is the
 * document's "@context" (used to expand extension prefixes; may be NULL).
 * Both are borrowed. On success *out is a malloc'd NUL-terminated string
 * the caller frees. PL_EINVAL when event is not an object with a string
 * "type"; PL_ETOOBIG past TRACE_PREHASH_MAX. */
int trace_event_prehash(const json_t *event, const json_t *context, char **out);

/* The event hash ID: "ni:///sha-256;<hex>?ver=CBV2.0" of the pre-hash.
 * Same inputs and errors as trace_event_prehash. */
int trace_event_hash(const json_t *event, const json_t *context,
		     char out[TRACE_HASH_STRLEN]);

/* ------------------------------------------------------------ validation */

#define TRACE_DOC_MAX_BYTES (32u << 20) /* a capture body, bytes (413 past) */
#define TRACE_DOC_MAX_EVENTS 10000      /* events per document (413 past) */
#define TRACE_DOC_DEPTH_MAX PL_JSON_DEPTH_MAX
#define TRACE_ERRORS_MAX 100            /* errors kept; the rest are counted */

/* Validation errors, each "path: sentence", e.g.
 * "epcisBody.eventList[3].action: must be ADD, OBSERVE or DELETE". */
struct trace_errors {
	char **msg;     /* owned strings, n of them */
	size_t n;       /* kept */
	size_t cap;     /* allocated slots */
	size_t dropped; /* errors past TRACE_ERRORS_MAX, counted not kept */
};
void trace_errors_init(struct trace_errors *e);
void trace_errors_release(struct trace_errors *e);

/* Parses and validates an EPCISDocument or EPCISQueryDocument (JSON-LD).
 * All or nothing: on success (0) *out_doc is a new reference to the parsed
 * document (json_decref it); on any failure *out_doc is NULL and errs holds
 * every error found (each names its path), up to TRACE_ERRORS_MAX.
 * Returns PL_ETOOBIG (len > TRACE_DOC_MAX_BYTES or more than
 * TRACE_DOC_MAX_EVENTS events), PL_EPARSE (not JSON, or nested deeper than
 * TRACE_DOC_DEPTH_MAX), or PL_EINVAL (schema or rule violations). Repeated
 * member names are accepted, the last one winning, as JSON-LD processors
 * do (GS1's own AssociationEvent-h example repeats "eventID"); repeated
 * eventIDs across events are an error. errs must be initialised
 * by the caller and may already hold errors (new ones are appended). */
int trace_doc_validate(const char *buf, size_t len, json_t **out_doc,
		       struct trace_errors *errs);

/* The validation half of trace_doc_validate, for a document already
 * parsed (or converted from XML by trace_xml_to_doc): same rules, same
 * messages. doc is borrowed. Returns 0, PL_EINVAL or PL_ETOOBIG (too many
 * events); errors are appended to errs. */
int trace_doc_check(const json_t *doc, struct trace_errors *errs);

/* The document's event list (borrowed from doc; NULL when absent): the
 * eventList of an EPCISDocument or of an EPCISQueryDocument's resultsBody. */
const json_t *trace_doc_events(const json_t *doc);

/* ----------------------------------------------------------- XML binding */

/* Converts an EPCIS XML EPCISDocument or EPCISQueryDocument (1.2 or 2.0
 * namespaces) into the equivalent JSON-LD document, for trace_doc_check,
 * the hash and the normaliser; the mapping is described in xml.c. The
 * conversion itself only fails on XML that cannot be read: PL_ETOOBIG
 * (len > TRACE_DOC_MAX_BYTES), PL_EPARSE (malformed, a DTD, nesting deeper
 * than TRACE_DOC_DEPTH_MAX) or PL_EINVAL (not an EPCIS document); errors
 * are appended to errs. Content errors are left to trace_doc_check. On
 * success *out is a new reference the caller must json_decref. */
int trace_xml_to_doc(const char *buf, size_t len, json_t **out,
		     struct trace_errors *errs);

/* Writes doc (a valid EPCISDocument or EPCISQueryDocument, borrowed) as
 * EPCIS 2.0 XML, appended to out; the mapping is described in xmlout.c.
 * Returns 0; PL_EINVAL when doc is not an EPCIS document or holds text XML
 * 1.0 cannot carry; PL_EUNSUPPORTED for an extension event type (no XML
 * binding); PL_ETOOBIG when out's cap is reached. On failure out may hold
 * a partial document: callers discard it. */
int trace_doc_to_xml(const json_t *doc, struct pl_buf *out);

/* --------------------------------------------------------------- queries
 * The REST query parameters of GET /events (EPCIS 2.0 8.2.7.1 / the
 * OpenAPI file), parsed into canonical form (see query.c). Supported
 * today: eventType, GE_/LT_eventTime, GE_/LT_recordTime, EQ_action,
 * EQ_bizStep, EQ_disposition, EQ_readPoint, EQ_bizLocation,
 * EQ_transformationID, EQ_eventID, MATCH_epc, MATCH_parentID,
 * MATCH_inputEPC, MATCH_outputEPC, MATCH_anyEPC, MATCH_[input|output|any]
 * EPCClass, MATCH_epcClass, EQ_bizTransaction_{type}, EQ_source_{type},
 * EQ_destination_{type}, orderBy (eventTime, recordTime), orderDirection,
 * eventCountLimit, maxEventCount, perPage, nextPageToken. Other standard
 * parameters are an ImplementationException (PL_EUNSUPPORTED), unknown
 * ones a QueryParameterException. */
#define TRACE_QUERY_PARAMS_MAX 64
#define TRACE_QUERY_VALUES_MAX 1000 /* values in one pipe-delimited list */
#define TRACE_QUERY_TYPED_MAX 8     /* EQ_bizTransaction_* etc. per query */
#define TRACE_PER_PAGE_DEFAULT 30
#define TRACE_PER_PAGE_MAX 1000
#define TRACE_TOKEN_KEY_BYTES 32    /* crypto_auth_KEYBYTES */
#define TRACE_TOKEN_MAX 800         /* base64url of the sealed token + NUL */

struct trace_query_param {
	const char *name;  /* borrowed, URL-decoded */
	const char *value; /* borrowed, URL-decoded; NULL means "" */
};
struct trace_query_list {
	const char **v;    /* canonical values (arena) */
	size_t n;          /* 0: parameter absent */
};
struct trace_query_typed {
	const char *type[TRACE_QUERY_TYPED_MAX];            /* full URI */
	struct trace_query_list values[TRACE_QUERY_TYPED_MAX];
	size_t n;
};
enum { TRACE_ACTION_ADD = 1, TRACE_ACTION_OBSERVE = 2, TRACE_ACTION_DELETE = 4 };
enum trace_order { TRACE_ORDER_NONE = 0, TRACE_ORDER_EVENT_TIME, TRACE_ORDER_RECORD_TIME };
struct trace_query {
	struct trace_query_list event_type; /* type names or extension URIs */
	bool has_ge_event_time, has_lt_event_time;
	int64_t ge_event_time_ms, lt_event_time_ms;
	bool has_ge_record_time, has_lt_record_time;
	int64_t ge_record_time_ms, lt_record_time_ms;
	unsigned actions;                  /* TRACE_ACTION_* mask; 0: any */
	struct trace_query_list eq_biz_step, eq_disposition; /* full URIs */
	struct trace_query_list eq_read_point, eq_biz_location;
	struct trace_query_list eq_transformation_id, eq_event_id;
	struct trace_query_list match_epc, match_parent_id, match_input_epc;
	struct trace_query_list match_output_epc, match_any_epc;
	struct trace_query_list match_epc_class, match_input_epc_class;
	struct trace_query_list match_output_epc_class, match_any_epc_class;
	struct trace_query_typed eq_biz_transaction, eq_source, eq_destination;
	enum trace_order order_by;
	bool has_order_direction;
	bool order_desc;                   /* default true (DESC) */
	int64_t event_count_limit;         /* 0: none */
	int64_t max_event_count;           /* 0: none */
	bool has_per_page;
	int per_page;                      /* default TRACE_PER_PAGE_DEFAULT */
	bool has_page_token;               /* then start after this position: */
	int64_t after_record_time_ms;
	char after_event_id[TRACE_ID_MAX];
};
struct trace_query_error {
	const char *exception; /* static: "QueryParameterException", ... */
	char text[240];        /* names the parameter */
};
/* Parses n parameters. key verifies nextPageToken (the server's secret).
 * Values live in arena a. Returns 0; PL_EINVAL (QueryParameterException,
 * or ValidationException for a bad token), PL_EUNSUPPORTED
 * (ImplementationException), PL_ETOOBIG (limits or arena); err says which
 * parameter and why. */
int trace_query_parse(const struct trace_query_param *params, size_t n,
		      const unsigned char key[TRACE_TOKEN_KEY_BYTES],
		      struct pl_arena *a, struct trace_query *out,
		      struct trace_query_error *err);
/* An opaque, MAC-sealed page token for "after (record_time_ms, event_id)".
 * PL_EINVAL for an empty or overlong event_id. */
int trace_page_token_encode(const unsigned char key[TRACE_TOKEN_KEY_BYTES],
			    int64_t record_time_ms, const char *event_id,
			    char out[TRACE_TOKEN_MAX]);
/* The inverse; PL_EINVAL for anything this server did not issue with key. */
int trace_page_token_decode(const unsigned char key[TRACE_TOKEN_KEY_BYTES],
			    const char *token, int64_t *record_time_ms,
			    char event_id[TRACE_ID_MAX]);

/* --------------------------------------------------------- normalisation
 * One validated event flattened into rows for the store (migrations 3,
 * 13, 19, 22 and 26 own the DDL; this is the shape fed to it):
 *   trace_events      (id, enterprise_id, event_id, hash, type, action,
 *                      event_time_ms, ..., parent_id, body_json, empties)
 *   trace_event_epcs  (event_row, role, epc, event_time_ms)
 *                      role: epc|child|input|output|parent
 *   trace_event_qty   (event_row, role, epc_class, quantity, uom,
 *                      event_time_ms)
 *   trace_event_pairs (event_row, dir 'b'|'s'|'d', type, value)
 * All identifiers are canonical (trace_id_canon_gs1), all CBV words are
 * full URIs, so queries compare plain strings on indexed columns. */
enum trace_epc_role {
	TRACE_ROLE_EPC, TRACE_ROLE_CHILD, TRACE_ROLE_INPUT, TRACE_ROLE_OUTPUT,
	TRACE_ROLE_PARENT,
};
struct trace_epc_row {
	enum trace_epc_role role;
	const char *epc;        /* canonical; arena-owned */
};
struct trace_qty_row {
	enum trace_epc_role role; /* EPC (quantityList), CHILD, INPUT, OUTPUT */
	const char *epc_class;  /* canonical; arena-owned */
	bool has_quantity;
	double quantity;
	const char *uom;        /* NULL when absent; arena-owned */
};
struct trace_pair_row {
	char dir;               /* 'b' bizTransaction, 's' source, 'd' destination */
	const char *type;       /* full URI, NULL when absent; arena-owned */
	const char *value;      /* canonical; arena-owned */
};
struct trace_rows {
	char event_id[TRACE_ID_MAX]; /* given eventID, else the hash */
	char hash[TRACE_HASH_STRLEN];
	const char *type;        /* "ObjectEvent", ... (arena-owned) */
	const char *action;      /* NULL for TransformationEvent */
	int64_t event_time_ms;   /* UTC */
	const char *tz_offset;
	const char *biz_step;    /* full URI or NULL */
	const char *disposition; /* full URI or NULL */
	const char *read_point;  /* canonical or NULL */
	const char *biz_location;
	const char *transformation_id;
	bool has_error_declaration;
	struct trace_epc_row *epcs;   size_t n_epcs;
	struct trace_qty_row *qtys;   size_t n_qtys;
	struct trace_pair_row *pairs; size_t n_pairs;
};
/* Flattens one event (already validated by trace_doc_validate, with the
 * document's @context for the hash) into *out. Every pointer in *out is
 * allocated from arena a and lives until the arena is freed. Returns 0,
 * PL_EINVAL for an event that does not validate, PL_ETOOBIG when the arena
 * cap is hit. */
int trace_event_rows(const json_t *event, const json_t *context,
		     struct pl_arena *a, struct trace_rows *out);

/* 1 when the event empties its parent - a DELETE with a parentID and no
 * childEPCs (genealogy.c note 2) - else 0: trace_events.empties. */
int trace_rows_empties(const struct trace_rows *r);

/* ------------------------------------------------------------ repository
 * The repository (src/trace/repo.c, genealogy.c, repo_demo.c): the store
 * side. Tables are migration 3 (src/store/migrations.c). Every function
 * takes a store connection the caller owns; tenant is the capturing
 * enterprise's id for writes, and for reads the one enterprise whose
 * events are visible (NULL: every enterprise, for park admins and
 * auditors). Returned JSON is a new reference the caller json_decrefs. */
#include "store/store.h"

/* The page-token key: 32 random bytes kept in trace_settings so every
 * daemon on one store issues tokens the others accept. Created on first
 * use (INSERT ... ON CONFLICT DO NOTHING, then read back). */
int trace_repo_token_key(struct store_conn *c, unsigned char key[TRACE_TOKEN_KEY_BYTES]);

/* Captures one document (JSON-LD, or EPCIS XML when xml is true) for
 * tenant, as actor (a user or token id, for the job row). All or nothing:
 * the events, their rows and the job row are one transaction; an event
 * whose hash this tenant already stored is counted as a duplicate and not
 * stored again. Returns:
 *   0 with *job the CaptureJob ({captureID, createdAt, finishedAt,
 *     running, success, captureErrorBehaviour, errors[], eventCount,
 *     stored, duplicates}); success is false when the document broke a
 *     rule (then nothing but the job row was stored and errors[] names
 *     every rule, "epcisBody.eventList[3].action: ...");
 *   PL_EPARSE / PL_ETOOBIG when the body could not be read at all (no job
 *     row; errs says why); PL_EDB / PL_EBUSY from the store.
 * errs must be initialised by the caller. c must not be in a transaction. */
int trace_repo_capture(struct store_conn *c, const char *tenant, const char *actor,
		       const char *buf, size_t len, bool xml,
		       struct trace_errors *errs, json_t **job);

/* Moves the rows capture left in trace_hash_pending into
 * trace_event_hashes, in one transaction, when at least min_pending are
 * there (repo.c note 11; capture calls it after each document with
 * TRACE_HASH_BATCH). Lookups by hash read both tables, so this changes no
 * answer, only how long a lookup's scan of the pending rows takes. c must
 * not be in a transaction. 0, or PL_EDB / PL_EBUSY from the store. */
#define TRACE_HASH_BATCH 16384
int trace_repo_hashes_merge(struct store_conn *c, int64_t min_pending);

/* One capture job as above; PL_ENOTFOUND when absent or another tenant's. */
int trace_repo_job_get(struct store_conn *c, const char *tenant, const char *id,
		       json_t **job);

/* Runs a parsed query. *events gets the page's events (an array of event
 * objects with eventID and recordTime filled in), *contexts the @context
 * entries their documents declared beyond the standard one (for
 * trace_query_doc); next_token (TRACE_TOKEN_MAX bytes) gets the token of
 * the next page or "" on the last one. PL_ETOOBIG (QueryTooLargeException)
 * when maxEventCount is exceeded. eventCountLimit ends the results after
 * that many events (with perPage, on the first page). */
int trace_repo_query(struct store_conn *c, const char *tenant, const struct trace_query *q,
		     const unsigned char key[TRACE_TOKEN_KEY_BYTES], struct pl_arena *a,
		     json_t **events, json_t **contexts, char next_token[TRACE_TOKEN_MAX]);

/* One event by eventID (or by the 64 hex digits of its hash), and
 * (contexts may be NULL) its extra @context entries as above.
 * PL_ENOTFOUND when absent or not visible. */
int trace_repo_event_get(struct store_conn *c, const char *tenant, const char *event_id,
			 json_t **event, json_t **contexts);

/* ------------------------------------------------- asynchronous capture
 * (queue.c) POST /epcis/capture stores the document as a pending job and
 * answers 202; a worker thread in every daemon takes pending jobs oldest
 * first and runs them; jobs left pending by a crash are taken after the
 * restart. See the design notes in queue.c. */
#define TRACE_WORKER_IDLE_MS 20   /* how often an idle worker looks at the queue */
#define TRACE_WAIT_MAX_MS 30000   /* cap on Prefer: wait */

/* Whether buf can be read at all: PL_ETOOBIG past TRACE_DOC_MAX_BYTES or
 * TRACE_DOC_MAX_EVENTS events, PL_EPARSE for malformed JSON/XML or nesting
 * past TRACE_DOC_DEPTH_MAX; errs says why. Rule violations are left to the
 * job. (validate.c) */
int trace_doc_readable(const char *buf, size_t len, bool xml, struct trace_errors *errs);

/* Stores buf as a pending capture job of tenant (running, success so far)
 * in one transaction: once this returns 0 the job survives a crash. *job
 * is the CaptureJob as trace_repo_job_get returns it. c must not be in a
 * transaction. */
int trace_repo_enqueue(struct store_conn *c, const char *tenant, const char *actor,
		       const char *buf, size_t len, bool xml, json_t **job);

/* Runs the oldest pending job, if any: *did is false when the queue was
 * empty or another daemon took the job first. Returns 0 or a store error
 * (the job then stays pending and is retried). */
int trace_repo_work_one(struct store_conn *c, bool *did);

/* Polls job id until it is no longer running or wait_ms passed, then
 * returns it as trace_repo_job_get does. Polling the store (not an
 * in-process signal) sees jobs finished by any daemon on a shared store. */
int trace_repo_job_wait(struct store *st, const char *tenant, const char *id,
			int64_t wait_ms, json_t **job);

struct trace_worker;
/* Starts the capture worker thread on st (borrowed, must outlive it). */
int trace_worker_start(struct store *st, struct pl_log *log, struct trace_worker **out);
/* Stops it after the job in hand (a job interrupted by a crash instead
 * stays pending); NULL is a no-op. */
void trace_worker_stop(struct trace_worker *w);

/* --------------------------------------------------------- named queries
 * (named.c; see its design notes) tenant is the owning enterprise, or NULL
 * for the park's own namespace (admins and auditors). */
#define TRACE_QUERY_NAME_MAX 64
/* 1..64 of [A-Za-z0-9_.-]: safe in a URL path segment unescaped. */
bool trace_query_name_valid(const char *name);
/* A definition object ({"EQ_bizStep": [...], ...}) as REST parameters, in
 * arena a. PL_EINVAL with err set for a malformed definition. */
int trace_named_params(const json_t *def, struct pl_arena *a,
		       struct trace_query_param **out, size_t *n,
		       struct trace_query_error *err);
/* Stores def under name after checking it as GET /epcis/events would.
 * PL_EINVAL / PL_EUNSUPPORTED with err set; PL_EEXIST when the name is
 * taken. def is borrowed. */
int trace_named_create(struct store_conn *c, const char *tenant, const char *actor,
		       const char *name, const json_t *def,
		       const unsigned char key[TRACE_TOKEN_KEY_BYTES],
		       struct trace_query_error *err);
/* [{name, query, createdAt}] of tenant's queries, by name. */
int trace_named_list(struct store_conn *c, const char *tenant, json_t **out);
/* {name, query, createdAt}; PL_ENOTFOUND when tenant has no such query. */
int trace_named_get(struct store_conn *c, const char *tenant, const char *name, json_t **out);
/* PL_ENOTFOUND when tenant has no such query. */
int trace_named_delete(struct store_conn *c, const char *tenant, const char *name);

/* Registers gln (a PGLN or SGLN in any accepted form) as enterprise_id's,
 * so events naming it in a source or destination list are visible to that
 * enterprise too (party.c). canon gets the canonical form. PL_EINVAL when
 * gln is not a PGLN/SGLN; PL_EEXIST when another enterprise holds it;
 * registering one's own GLN again is a no-op. */
int trace_party_add(struct store_conn *c, const char *enterprise_id, const char *gln,
		    char canon[TRACE_ID_MAX]);
/* [{gln, enterprise_id, created_at}] registered to tenant (NULL: all). */
int trace_party_list(struct store_conn *c, const char *tenant, json_t **out);

/* --------------------------------------------------------- subscriptions
 * (subscribe.c; see its design notes) Pushes of a named query's new
 * results to a webhook, run by the worker thread trace_worker_start also
 * starts. */
#define TRACE_SUB_POLL_MS 500            /* a streaming subscription's poll */
#define TRACE_SUB_SETTLE_MS 1000         /* an event is offered this long after its recordTime */
#define TRACE_SUB_TIMEOUT_MS 5000        /* one webhook POST */
#define TRACE_SUB_BACKOFF_MAX_MS 60000   /* retry delays double up to this */
#define TRACE_SUB_TICK_MS 200            /* how often the worker looks for due ones */
/* Subscribes to tenant's query query_name with body {dest, signatureToken,
 * reportIfEmpty, schedule | stream: true, initialRecordTime} (borrowed).
 * *out = {subscriptionID, createdAt}. PL_EINVAL with err set for a bad
 * body; PL_ENOTFOUND when there is no such query. */
int trace_sub_create(struct store_conn *c, const char *tenant, const char *actor,
		     const char *query_name, const json_t *body, json_t **out,
		     struct trace_query_error *err);
/* The query's subscriptions (never their signature tokens); PL_ENOTFOUND
 * when there is no such query. */
int trace_sub_list(struct store_conn *c, const char *tenant, const char *query_name,
		   json_t **out);
/* PL_ENOTFOUND when tenant's query has no such subscription. */
int trace_sub_delete(struct store_conn *c, const char *tenant, const char *query_name,
		     const char *id);
/* Runs every subscription due now (at most 100); *ran counts them. Returns
 * a store error, or 0 (webhook failures are the subscriptions' state). */
int trace_sub_run_due(struct store_conn *c, int *ran);

/* The event types present for tenant, as a JSON array of names. */
int trace_repo_event_types(struct store_conn *c, const char *tenant, json_t **out);

/* The EPCISQueryDocument wrapping events; steals both references
 * (contexts may be NULL). */
json_t *trace_query_doc(json_t *events, json_t *contexts, const char *query_name);

/* ------------------------------------------------------------- genealogy
 * See the design notes in genealogy.c. Walks stop at these caps; a
 * recall keeps no timeline and has its own, larger cap there
 * (RECALL_MAX_NODES). */
#define TRACE_WALK_MAX_NODES 5000
#define TRACE_WALK_MAX_DEPTH 64
#define TRACE_WALK_MAX_EVENTS 20000
enum trace_walk_dir { TRACE_WALK_BACKWARD, TRACE_WALK_FORWARD };
/* Walks from code (any identifier trace_id_parse accepts, or a plain URI)
 * and returns {root, direction, nodes[{id,kind,label}], edges[{from,to,
 * kind,event_id,time}], events[...], timeline[...], truncated}. PL_EINVAL
 * for a malformed GS1 key; PL_ENOTFOUND when no visible event names it. */
int trace_walk(struct store_conn *c, const char *tenant, const char *code,
	       enum trace_walk_dir dir, json_t **out);
/* Every unit (serialised item) reached forward from code, each with its
 * last known location and disposition: {root, units[{id,label,location,
 * location_time,disposition,disposition_time}], total, by_location{},
 * truncated}. Errors as trace_walk. */
int trace_recall(struct store_conn *c, const char *tenant, const char *code, json_t **out);

/* Captures the demo park's pharma story for demo enterprise 1 (looked up
 * by AUTH_DEMO_USCC_1) and prints a line with a vial to trace (print_to may
 * be NULL). Idempotent: events are deduplicated by hash, and the story's
 * event times are fixed. (repo_demo.c) */
int trace_demo_seed(struct store *st, FILE *print_to);

#endif /* PL_TRACE_H */
