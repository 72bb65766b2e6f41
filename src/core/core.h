/*
 * core.h - the public face of Parkline's core module (prefix pl_).
 *
 * Everything else in Parkline stands on these few things: one error
 * convention, allocation that aborts on exhaustion, a growable buffer with
 * a hard cap, a per-request arena, logging, RFC 3339 time, sortable ids,
 * JSON helpers over jansson with a depth cap, and layered configuration.
 * Nothing here keeps mutable global state: every stateful object is a
 * struct the caller owns and passes in.
 */
#ifndef PL_CORE_H
#define PL_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <jansson.h>

#include "banned.h"

/* ---------------------------------------------------------------- errors
 * Fallible functions return 0 or one of these negative codes; results come
 * back through a trailing out-pointer. The HTTP layer maps each code to one
 * status, so pick the code that says what the caller did wrong. */
enum {
	PL_OK = 0,
	PL_EINVAL = -1,      /* malformed or out-of-range input (400) */
	PL_ENOTFOUND = -2,   /* no such object, or not visible to caller (404) */
	PL_EEXIST = -3,      /* unique key already taken (409) */
	PL_ETOOBIG = -4,     /* a size cap was hit (413) */
	PL_EIO = -5,         /* file or socket failure (500) */
	PL_EDB = -6,         /* the store failed (503) */
	PL_EAUTH = -7,       /* no or bad credentials (401) */
	PL_EFORBIDDEN = -8,  /* authenticated but not allowed (403) */
	PL_ECONFLICT = -9,   /* state does not allow this now (409) */
	PL_EPARSE = -10,     /* syntax error in a document (400) */
	PL_ETHROTTLED = -11, /* too many attempts, retry later (429) */
	PL_EUNSUPPORTED = -12, /* media type or feature not supported (415) */
	PL_EBUSY = -13,      /* resource busy, retry (503) */
	PL_ETIMEOUT = -14,   /* deadline passed (504) */
	PL_EINTERNAL = -15,  /* a bug: an invariant did not hold (500) */
};
#define PL_ERR_MIN PL_EINTERNAL

/* Text for an error code; never NULL, static storage. */
const char *pl_strerror(int err);

/* ------------------------------------------------------------ allocation
 * These abort on exhaustion, so call sites stay short. Sizes that come from
 * outside are capped before they reach here (style rule 7). */
void *pl_malloc(size_t n);
void *pl_calloc(size_t nmemb, size_t size);
void *pl_realloc(void *p, size_t n);
char *pl_strdup(const char *s);
char *pl_strndup(const char *s, size_t n);
/* Overflow-checked a*b; returns false when it would overflow. */
bool pl_size_mul(size_t a, size_t b, size_t *out);

/* Bounded copy that always terminates dst (when dstsz > 0); returns the
 * length of src, so truncation is `ret >= dstsz`. */
size_t pl_strlcpy(char *dst, const char *src, size_t dstsz);
/* snprintf that asserts the result fit: for formats whose size we know. */
void pl_fmt(char *dst, size_t dstsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Parse a whole decimal integer in [min,max]; PL_EINVAL otherwise. */
int pl_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* A 64-bit hash of p[0..n) for our own hash tables and caches: eight bytes
 * a step (a byte-wise FNV showed in the recall's and the line ingest's
 * profiles). Not for keys an attacker chooses to collide. Inline: it sits
 * in hot loops. */
static inline uint64_t pl_hash64(const void *p, size_t n)
{
	const unsigned char *k = p;
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n, x;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		__builtin_memcpy(&x, k + i, 8);
		h = (h ^ x) * 0xBF58476D1CE4E5B9ULL;
		h ^= h >> 31;
	}
	x = 0;
	__builtin_memcpy(&x, k + i, n - i);
	h = (h ^ x) * 0x94D049BB133111EBULL;
	return h ^ (h >> 29);
}

/* ---------------------------------------------------------------- buffer
 * One growable byte buffer with a cap: "the maximum size we allow this
 * buffer instance to grow to". data is always NUL-terminated after a
 * successful append. The caller embeds the struct (init/release). */
struct pl_buf {
	char *data;  /* owned; NULL until the first append */
	size_t len;  /* bytes used, excluding the terminating NUL */
	size_t cap;  /* bytes allocated */
	size_t max;  /* hard cap on len; appends past it fail with PL_ETOOBIG */
};
void pl_buf_init(struct pl_buf *b, size_t max);
void pl_buf_release(struct pl_buf *b);
void pl_buf_clear(struct pl_buf *b); /* release then init with the same max */
int pl_buf_append(struct pl_buf *b, const void *p, size_t n);
int pl_buf_puts(struct pl_buf *b, const char *s);
int pl_buf_printf(struct pl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pl_buf_vprintf(struct pl_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Hands the data to the caller (free() it) and re-inits the buffer. Never
 * NULL: an empty buffer yields "". */
char *pl_buf_steal(struct pl_buf *b);

/* ----------------------------------------------------------------- arena
 * A region freed in one go: each HTTP request gets one. Allocations are
 * 16-byte aligned. An arena has a cap; past it allocation returns NULL,
 * which handlers turn into 413 - input must never exhaust memory. */
struct pl_arena;
struct pl_arena *pl_arena_new(size_t cap);
void pl_arena_free(struct pl_arena *a);
void *pl_arena_alloc(struct pl_arena *a, size_t n);        /* NULL past cap */
char *pl_arena_strdup(struct pl_arena *a, const char *s);  /* NULL past cap */
char *pl_arena_strndup(struct pl_arena *a, const char *s, size_t n);
char *pl_arena_printf(struct pl_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
size_t pl_arena_used(const struct pl_arena *a);

/* ------------------------------------------------------------------- log
 * Plain or JSON-lines logging at a level. One struct pl_log lives in the
 * program's context; writes are serialised by its mutex so lines from
 * worker threads never interleave. */
enum pl_log_level { PL_LOG_DEBUG, PL_LOG_INFO, PL_LOG_WARN, PL_LOG_ERROR };
struct pl_log {
	FILE *out;              /* borrowed; stderr by default */
	enum pl_log_level level;
	bool json;              /* JSON lines instead of plain text */
	pthread_mutex_t mu;
};
void pl_log_init(struct pl_log *lg, FILE *out, enum pl_log_level level, bool json);
void pl_log_release(struct pl_log *lg);
int pl_log_level_parse(const char *s, enum pl_log_level *out);
/* Writes one line: time, level, module, message, and optional extra JSON
 * fields (borrowed; may be NULL). lg may be NULL (then nothing is written). */
void pl_log_write(struct pl_log *lg, enum pl_log_level lv, const char *mod,
		  json_t *fields, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define pl_debug(lg, mod, ...) pl_log_write((lg), PL_LOG_DEBUG, (mod), NULL, __VA_ARGS__)
#define pl_info(lg, mod, ...)  pl_log_write((lg), PL_LOG_INFO, (mod), NULL, __VA_ARGS__)
#define pl_warn(lg, mod, ...)  pl_log_write((lg), PL_LOG_WARN, (mod), NULL, __VA_ARGS__)
#define pl_error(lg, mod, ...) pl_log_write((lg), PL_LOG_ERROR, (mod), NULL, __VA_ARGS__)

/* ------------------------------------------------------------------ time
 * Time is int64 milliseconds since the Unix epoch, UTC. Text is RFC 3339
 * with a Z suffix and millisecond precision. */
#define PL_TIME_STRLEN 32
int64_t pl_time_now_ms(void);
int64_t pl_time_mono_ns(void);
void pl_time_format(int64_t ms, char out[PL_TIME_STRLEN]);
/* Accepts RFC 3339 date-times: fractional seconds of any length (truncated
 * to ms), Z or +hh:mm / -hh:mm offsets. PL_EINVAL otherwise. */
int pl_time_parse(const char *s, int64_t *out_ms);

/* ------------------------------------------------------------------- ids
 * Sortable unique ids: 48-bit millisecond time + 80 random bits, in 26
 * Crockford base-32 characters (the ULID layout). Ids made in a later
 * millisecond sort after earlier ones as plain strings. */
#define PL_ID_LEN 26
void pl_id_new(char out[PL_ID_LEN + 1]);
/* A new id that sorts after prev (a valid id, or NULL for any): a fresh
 * one when the clock has moved on, else prev + 1. Ids made in one
 * millisecond sort in no particular order; a run of ids that must keep
 * the order they were made in (a document's events: trace repo.c note 10)
 * is made with this. */
void pl_id_after(const char *prev, char out[PL_ID_LEN + 1]);
bool pl_id_valid(const char *s);
/* Fill buf with cryptographically random bytes (getrandom). */
void pl_random(void *buf, size_t n);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void pl_hex(const void *p, size_t n, char *out);

/* ------------------------------------------------------------------ json
 * Parsing with a depth cap, and field checking that names what is wrong so
 * the HTTP layer can say it in a problem+json detail. */
#define PL_JSON_DEPTH_MAX 32
struct pl_json_error {
	char text[200]; /* a sentence naming the position or field */
	char field[64]; /* offending field name, "" when not field-specific */
	size_t position; /* byte offset for syntax errors */
};
/* Parses exactly one JSON value from buf[0..len). Rejects depth > max_depth,
 * duplicate keys, trailing data and invalid UTF-8. On success *out is a new
 * reference the caller must json_decref. */
int pl_json_parse(const char *buf, size_t len, int max_depth, json_t **out,
		  struct pl_json_error *err);

enum pl_json_type {
	PL_JT_STRING, PL_JT_INTEGER, PL_JT_NUMBER, PL_JT_BOOL, PL_JT_OBJECT,
	PL_JT_ARRAY, PL_JT_ANY,
};
struct pl_json_field {
	const char *name;
	enum pl_json_type type;
	bool required;
	size_t max_len; /* strings: max bytes (0: no cap beyond the body cap) */
};
/* Checks obj is an object whose members are all named in spec (a NULL-name
 * terminated table), that required ones are present and non-null, and that
 * types and string lengths hold. PL_EINVAL with err naming the field. */
int pl_json_check(const json_t *obj, const struct pl_json_field *spec,
		  struct pl_json_error *err);
/* Borrowed string member or NULL when absent/null/not a string. */
const char *pl_json_str(const json_t *obj, const char *key);
/* Serialise compactly (UTF-8, keys in insertion order); caller frees. */
char *pl_json_dump(const json_t *v);

/* ---------------------------------------------------------------- config
 * Layered settings: flag > environment (PARKLINE_<KEY>) > file > default.
 * Keys are declared up front with a default and help text; unknown keys in
 * a file or flag are errors. */
enum pl_config_source { PL_CFG_DEFAULT, PL_CFG_FILE, PL_CFG_ENV, PL_CFG_FLAG };
struct pl_config_key {
	const char *name;   /* lower_snake; env is PARKLINE_ + upper-case name */
	const char *def;    /* default value (may be "") */
	const char *help;
};
struct pl_config_entry {
	const struct pl_config_key *key; /* borrowed from the caller's table */
	char *value;                     /* owned */
	enum pl_config_source source;
	char origin[160];                /* "file app.conf:12", "env PARKLINE_DB"... */
};
struct pl_config {
	struct pl_config_entry *entries; /* owned, one per key */
	size_t n;
};
#define PL_CONFIG_FILE_MAX (256 * 1024)
/* keys: a NULL-name terminated table that must outlive cfg. */
void pl_config_init(struct pl_config *cfg, const struct pl_config_key *keys);
void pl_config_release(struct pl_config *cfg);
/* Sets key from source; a lower-priority source never overrides a higher
 * one. PL_ENOTFOUND for an unknown key. */
int pl_config_set(struct pl_config *cfg, const char *key, const char *value,
		  enum pl_config_source src, const char *origin);
/* Parses "key = value" lines ('#' comments, blank lines, optional double
 * quotes around the value). Errors name the line. All-or-nothing. */
int pl_config_parse(struct pl_config *cfg, const char *text, size_t len,
		    const char *name, struct pl_json_error *err);
int pl_config_load_file(struct pl_config *cfg, const char *path,
			struct pl_json_error *err);
/* Reads PARKLINE_* variables from envp (NULL-terminated). */
void pl_config_load_env(struct pl_config *cfg, char *const *envp);
const char *pl_config_get(const struct pl_config *cfg, const char *key);
const char *pl_config_source_name(enum pl_config_source s);

#endif /* PL_CORE_H */
