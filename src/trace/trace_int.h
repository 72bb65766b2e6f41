/*
 * trace_int.h - internals shared by the trace module's own files: the CBV
 * vocabularies (used by validation to accept bare words and by the hash to
 * expand them), URI and time helpers. Not for other modules.
 */
#ifndef PL_TRACE_INT_H
#define PL_TRACE_INT_H

#include "trace.h"

/* One closed vocabulary: the bare words JSON-LD accepts for a field and
 * the URI prefix each word expands to (word appended). */
struct trace__vocab {
	const char *field;              /* for messages: "bizStep" */
	const char *const *words;       /* static, sorted as in the schema */
	size_t n;
	const char *prefix;             /* "https://ref.gs1.org/cbv/BizStep-" */
};

extern const struct trace__vocab trace__voc_bizstep;
extern const struct trace__vocab trace__voc_disp;
extern const struct trace__vocab trace__voc_btt;
extern const struct trace__vocab trace__voc_sdt;
extern const struct trace__vocab trace__voc_er;
extern const struct trace__vocab trace__voc_meas;   /* sensorReport.type */
extern const struct trace__vocab trace__voc_alert;  /* sensorReport.exception */
extern const struct trace__vocab trace__voc_comp;   /* sensorReport.component */

/* True when w is one of v's bare words. */
bool trace__vocab_has(const struct trace__vocab *v, const char *w);

/* The minimum "format: uri" rule (RFC 3986 scheme, ':' and at least one
 * more character, no whitespace or control bytes). */
bool trace__is_uri(const char *s);

/* Parses an RFC 3339 date-time (any fraction length, Z or +hh:mm/-hh:mm)
 * into UTC seconds since the epoch and the fraction as 0..9999 ten-
 * thousandths (4 digits kept, the 4th for rounding). False when s is not
 * such a time (including impossible dates). */
bool trace__time_parse(const char *s, int64_t *secs, int *frac4);

/* Formats UTC seconds + milliseconds as YYYY-MM-DDTHH:MM:SS.mmmZ into
 * out[32]; false when the year is outside 0..9999. */
bool trace__time_format(int64_t secs, int ms, char out[32]);

/* Expands a CURIE key "prefix:local" through the @context (document
 * context first, then the standard EPCIS context's prefixes) and returns
 * the namespace URI (borrowed from ctx or static) and the local part, or
 * NULL when the prefix is not declared. */
const char *trace__ns_lookup(const json_t *ctx, const char *key,
			     const char **local);

/* Which events an enterprise sees (docs/trace.md, "Tenancy"): its own,
 * and those whose source or destination list names a GLN (party or
 * location) registered to it in trace_party_ids - both parties of a
 * shipment. Binds three parameters, the tenant each time; NULL sees all.
 * Callers alias trace_events as e. */
#define TRACE__VISIBLE_SQL                                                        \
	"(? IS NULL OR e.enterprise_id = ? OR EXISTS (SELECT 1 FROM "             \
	"trace_event_pairs vx JOIN trace_party_ids vp ON vp.value = vx.value "    \
	"WHERE vx.event_row = e.id AND vx.dir IN ('s','d') AND vp.enterprise_id = ?))"
#define TRACE__VISIBLE_P(t) SP_TEXT(t), SP_TEXT(t), SP_TEXT(t)

/* How an event whose eventID is its CBV hash keeps trace_events.event_id
 * (migration 22, repo.c note 9): "ni:" and the row id, a key that sorts
 * after the row's predecessors, instead of the hash again (a random key).
 * TRACE__HASH_ID_SQL is true for such a row, TRACE__EVENT_ID_SQL is the
 * row's eventID either way. Callers alias trace_events as e. */
#define TRACE__HASH_ID_PREFIX "ni:"
#define TRACE__HASH_ID_SQL "e.event_id = ('ni:' || e.id)"
#define TRACE__EVENT_ID_SQL "CASE WHEN " TRACE__HASH_ID_SQL " THEN e.hash ELSE e.event_id END"

/* The row ids of the events whose hash is ? (bound twice; the caller
 * compares e.hash too): trace_event_hashes and trace_hash_pending keep
 * each event's row id under its hash's first 16 hex digits (migration 27,
 * repo.c note 11), the batched and the not yet batched. */
#define TRACE__HASH_ROWS_SQL                                                      \
	"(SELECT event_row FROM trace_event_hashes WHERE h = substr(?, 15, 16) "  \
	"UNION ALL SELECT event_row FROM trace_hash_pending WHERE h = substr(?, 15, 16))"

/* Validates and stores one document as capture job id (repo.c, NOTES 1
 * and 2). queued: the job row and its trace_capture_queue row already exist
 * (queue.c); the queue row is deleted in the transaction that stores the
 * outcome, and *claimed is false when another worker had already done so
 * (then nothing was written). Not queued: the job row is created here.
 * Returns 0 when an outcome (success or a failed job naming every error)
 * was committed; PL_EPARSE / PL_ETOOBIG for an unreadable body when not
 * queued (no job row); PL_EDB / PL_EBUSY from the store. */
int trace__capture_job(struct store_conn *c, const char *tenant, const char *actor,
		       const char *id, const char *created, const char *buf, size_t len,
		       bool xml, bool queued, bool *claimed, struct trace_errors *errs);

/* trace__capture_job in two steps, so that a worker can read, validate and
 * flatten the next document while the store writes this one (queue.c
 * note 7): trace__capture_prep touches no store and leaves its verdict in
 * d (errors in errs); trace__capture_store writes the outcome as
 * trace__capture_job does, with the same errs; trace__capture_doc_free
 * releases d after either. */
struct repo_prep;
struct trace__doc {
	json_t *doc;              /* owned; NULL when unreadable */
	size_t nev;               /* events flattened in prep */
	struct repo_prep *prep;   /* owned: nev flattened events */
	char *ctx_s;              /* owned: the @context serialised, or NULL */
	int rc;                   /* reading and validation's outcome */
	bool fail;                /* the outcome is a failed job naming errs */
};
void trace__capture_prep(const char *buf, size_t len, bool xml, bool queued,
			 struct trace_errors *errs, struct trace__doc *d);
int trace__capture_store(struct store_conn *c, const char *tenant, const char *actor,
			 const char *id, const char *created, bool queued, bool *claimed,
			 struct trace_errors *errs, struct trace__doc *d);
void trace__capture_doc_free(struct trace__doc *d);

/* trace_repo_query without page tokens, for the subscription cursor
 * (subscribe.c note 1): *last_ms / last_row are set to the page's last
 * position when it has events (left alone otherwise), *more when more
 * events follow. */
int trace__repo_query_cursor(struct store_conn *c, const char *tenant,
			     const struct trace_query *q, struct pl_arena *a, json_t **events,
			     json_t **contexts, int64_t *last_ms, char last_row[PL_ID_LEN + 2],
			     bool *more);

/* trace_recall worked out item by item: each chunk's events read by the
 * member/event join, every item's window applied event by event
 * (genealogy.c notes 1-10 without notes 11 and 12). The same contract and
 * the same answer as trace_recall, only slower; for the tests that check
 * the set-wise recall against it. */
int trace__recall_generic(struct store_conn *c, const char *tenant, const char *code,
			  json_t **out);

#endif /* PL_TRACE_INT_H */
