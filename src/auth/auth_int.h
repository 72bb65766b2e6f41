/*
 * auth_int.h - what the auth module's own files share: the struct behind
 * the opaque struct auth, the login throttle, secret helpers and the audit
 * shorthand. Nothing outside src/auth includes this.
 */
#ifndef PL_AUTH_INT_H
#define PL_AUTH_INT_H

#include "auth/auth.h"

/* Login throttle: a bounded table of sliding windows, one per key
 * ("u:<username>" or "a:<address>"). AUTH__THROTTLE_KEYS caps its memory
 * whatever an attacker sends: when full, the entry touched longest ago is
 * reused. AUTH__THROTTLE_SLOTS caps the failures remembered per key (and so
 * throttle_max). Lookups are linear: logins are rare and each costs an
 * Argon2 hash, next to which a scan of 1024 short strings is nothing. */
#define AUTH__THROTTLE_KEYS 1024
#define AUTH__THROTTLE_SLOTS 64
#define AUTH__TKEY_MAX 96
struct auth__twin {
	char key[AUTH__TKEY_MAX];          /* "" = free */
	int64_t fails[AUTH__THROTTLE_SLOTS]; /* failure times, oldest first */
	int n;                             /* used entries in fails */
	int64_t touched;                   /* last failure, for eviction */
};

struct auth {
	struct store *st;        /* borrowed */
	struct pl_log *log;      /* borrowed, may be NULL */
	int64_t session_ttl_ms;
	int throttle_user_max;
	int throttle_ip_max;
	int64_t throttle_window_ms;
	unsigned long long ops;  /* crypto_pwhash opslimit */
	size_t mem;              /* crypto_pwhash memlimit */
	int64_t (*clock_ms)(void *ctx);
	void *clock_ctx;

	pthread_mutex_t tmu;     /* guards twins */
	struct auth__twin *twins; /* AUTH__THROTTLE_KEYS entries, owned */

	/* Argon2 at moderate cost uses 256 MiB per hash: at most hash_max run
	 * at once, the rest wait here, so a login flood cannot exhaust memory. */
	pthread_mutex_t hmu;
	pthread_cond_t hcv;
	int hash_running;
	int hash_max;
	char dummy_hash[AUTH_HASH_MAX]; /* verified for unknown users; "" until made */
};

int64_t auth__now(struct auth *a);
/* 32 random bytes as unpadded base64url (43 chars) into out[64]. */
void auth__random_token(char out[AUTH_SESSION_TOKEN_MAX]);
/* SHA-256 of s as 64 lower-case hex chars into out[65]. */
void auth__sha256_hex(const char *s, char out[65]);

/* Throttle: 0 or PL_ETHROTTLED with *retry_s (ceil seconds, >= 1). */
int auth__throttle_check(struct auth *a, const char *key, int max, int64_t now, int *retry_s);
void auth__throttle_fail(struct auth *a, const char *key, int64_t now);
void auth__throttle_reset(struct auth *a, const char *key);

/* Appends one audit row through store_audit. actor NULL is the CLI/system
 * ("system"). */
int auth__audit(struct store_conn *c, const struct auth_principal *actor,
		const char *action, const char *entity, const char *entity_id,
		const char *enterprise_id, const json_t *before, const json_t *after,
		const struct auth_req *rq);

/* Sets err (may be NULL) to name field and say why; returns PL_EINVAL. */
int auth__field_error(struct pl_json_error *err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* True when s is valid UTF-8 with no control characters, len in [min,max]. */
bool auth__text_ok(const char *s, size_t min, size_t max);
/* Copies src into dst[size], cutting (when it must) before a UTF-8
 * sequence that would not fit whole, so the copy stays valid text. */
void auth__copy_text(char *dst, const char *src, size_t size);
/* Does enterprise id exist? */
int auth__enterprise_exists(struct store_conn *c, const char *id, bool *out);

#endif /* PL_AUTH_INT_H */
