/*
 * auth.c - the auth context: options, the clock, secrets (random tokens,
 * SHA-256, Argon2id with a concurrency cap) and the login throttle.
 *
 * Design notes:
 *  1. Argon2id cost. Production uses libsodium's MODERATE limits (3 passes,
 *     256 MiB): roughly 0.5-1 s per hash on one core, which makes an offline
 *     guess at a stolen hash cost the same. Because each hash holds 256 MiB,
 *     at most hash_max hashes run at once (a condition variable queues the
 *     rest), so a burst of logins slows down instead of exhausting memory.
 *     Stored hashes carry their own parameters, so a database seeded at a
 *     cheaper cost still verifies; auth_login upgrades such hashes.
 *  2. Sliding-window throttle. Each key remembers the times of its recent
 *     failures (at most AUTH__THROTTLE_SLOTS). A key is throttled while at
 *     least `max` of them fall inside the window; the answer's Retry-After is
 *     when enough of them will have aged out. Keys are per username and per
 *     client address, so neither spraying one password over many accounts
 *     from one address nor guessing one account from many addresses gets
 *     far. The table is bounded (AUTH__THROTTLE_KEYS) and the stalest entry
 *     is reused when it is full.
 *  3. The clock is injectable (auth_options.clock_ms) so tests move time
 *     instead of sleeping.
 */
#include "auth/auth_int.h"

#include <sodium.h>

static int64_t auth__default_clock(void *ctx)
{
	(void)ctx;
	return pl_time_now_ms();
}

struct auth *auth_new(struct store *st, const struct auth_options *opt, struct pl_log *log)
{
	static const struct auth_options defaults;
	struct auth *a = pl_calloc(1, sizeof(*a));

	if (sodium_init() < 0)
		abort(); /* no usable randomness source: nothing here can be safe */
	if (!opt)
		opt = &defaults;
	a->st = st;
	a->log = log;
	a->session_ttl_ms = (int64_t)(opt->session_ttl_s > 0 ? opt->session_ttl_s : 8 * 3600) * 1000;
	a->throttle_user_max = opt->throttle_max > 0 ? opt->throttle_max : 5;
	a->throttle_ip_max = opt->throttle_ip_max > 0 ? opt->throttle_ip_max : 4 * a->throttle_user_max;
	if (a->throttle_user_max > AUTH__THROTTLE_SLOTS)
		a->throttle_user_max = AUTH__THROTTLE_SLOTS;
	if (a->throttle_ip_max > AUTH__THROTTLE_SLOTS)
		a->throttle_ip_max = AUTH__THROTTLE_SLOTS;
	a->throttle_window_ms = (int64_t)(opt->throttle_window_s > 0 ? opt->throttle_window_s : 300) * 1000;
	enum auth_hash_cost cost = opt->hash_cost;
	if (cost == AUTH_HASH_MODERATE && opt->fast_hash)
		cost = AUTH_HASH_INTERACTIVE;
	switch (cost) {
	case AUTH_HASH_MIN:
		a->ops = crypto_pwhash_argon2id_OPSLIMIT_MIN;
		a->mem = crypto_pwhash_argon2id_MEMLIMIT_MIN;
		break;
	case AUTH_HASH_INTERACTIVE:
		a->ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		a->mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
		break;
	case AUTH_HASH_MODERATE:
	default:
		a->ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		a->mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
		break;
	}
	a->hash_max = opt->hash_concurrency > 0 ? opt->hash_concurrency : 2;
	a->clock_ms = opt->clock_ms ? opt->clock_ms : auth__default_clock;
	a->clock_ctx = opt->clock_ms ? opt->clock_ctx : NULL;
	a->twins = pl_calloc(AUTH__THROTTLE_KEYS, sizeof(*a->twins));
	pthread_mutex_init(&a->tmu, NULL);
	pthread_mutex_init(&a->hmu, NULL);
	pthread_cond_init(&a->hcv, NULL);
	return a;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	pthread_cond_destroy(&a->hcv);
	pthread_mutex_destroy(&a->hmu);
	pthread_mutex_destroy(&a->tmu);
	free(a->twins);
	free(a);
}

struct store *auth_store(struct auth *a)
{
	return a->st;
}

int64_t auth__now(struct auth *a)
{
	return a->clock_ms(a->clock_ctx);
}

void auth__random_token(char out[AUTH_SESSION_TOKEN_MAX])
{
	unsigned char raw[32];
	pl_random(raw, sizeof(raw));
	sodium_bin2base64(out, AUTH_SESSION_TOKEN_MAX, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void auth__sha256_hex(const char *s, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	pl_hex(h, sizeof(h), out);
}

/* ------------------------------------------------------------- hashing */

static void auth__hash_enter(struct auth *a)
{
	pthread_mutex_lock(&a->hmu);
	while (a->hash_running >= a->hash_max)
		pthread_cond_wait(&a->hcv, &a->hmu);
	a->hash_running++;
	pthread_mutex_unlock(&a->hmu);
}

static void auth__hash_leave(struct auth *a)
{
	pthread_mutex_lock(&a->hmu);
	a->hash_running--;
	pthread_cond_signal(&a->hcv);
	pthread_mutex_unlock(&a->hmu);
}

int auth_password_hash(struct auth *a, const char *password, char out[AUTH_HASH_MAX])
{
	size_t n = password ? strlen(password) : 0;
	int rc;

	_Static_assert(AUTH_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");
	if (n < AUTH_PASSWORD_MIN || n > AUTH_PASSWORD_MAX)
		return PL_EINVAL;
	auth__hash_enter(a);
	rc = crypto_pwhash_str_alg(out, password, n, a->ops, a->mem,
				   crypto_pwhash_ALG_ARGON2ID13);
	auth__hash_leave(a);
	/* crypto_pwhash only fails when it cannot get its memory: that is
	 * exhaustion, which aborts here like every other allocation. */
	if (rc != 0)
		abort();
	return 0;
}

int auth_password_verify(struct auth *a, const char *hash, const char *password)
{
	size_t n = password ? strlen(password) : 0;
	int rc;

	if (!hash || !password || n > AUTH_PASSWORD_MAX)
		return PL_EAUTH;
	auth__hash_enter(a);
	rc = crypto_pwhash_str_verify(hash, password, n);
	auth__hash_leave(a);
	return rc == 0 ? 0 : PL_EAUTH;
}

/* ------------------------------------------------------------ throttle */

/* Drops failures older than the window. Caller holds tmu. */
static void auth__twin_age(struct auth *a, struct auth__twin *w, int64_t now)
{
	int k = 0;
	while (k < w->n && w->fails[k] <= now - a->throttle_window_ms)
		k++;
	if (k) {
		memmove(w->fails, w->fails + k, (size_t)(w->n - k) * sizeof(w->fails[0]));
		w->n -= k;
	}
}

/* Finds key's entry, or (create) a free or the stalest one. tmu held. */
static struct auth__twin *auth__twin_find(struct auth *a, const char *key, bool create)
{
	struct auth__twin *free_w = NULL, *stale = NULL;
	for (int i = 0; i < AUTH__THROTTLE_KEYS; i++) {
		struct auth__twin *w = &a->twins[i];
		if (!w->key[0]) {
			if (!free_w)
				free_w = w;
			continue;
		}
		if (!strcmp(w->key, key))
			return w;
		if (!stale || w->touched < stale->touched)
			stale = w;
	}
	if (!create)
		return NULL;
	struct auth__twin *w = free_w ? free_w : stale;
	memset(w, 0, sizeof(*w));
	pl_strlcpy(w->key, key, sizeof(w->key));
	return w;
}

int auth__throttle_check(struct auth *a, const char *key, int max, int64_t now, int *retry_s)
{
	int rc = 0;
	pthread_mutex_lock(&a->tmu);
	struct auth__twin *w = auth__twin_find(a, key, false);
	if (w) {
		auth__twin_age(a, w, now);
		if (w->n >= max) {
			/* Allowed again once n-max+1 of the failures aged out,
			 * i.e. when fails[n-max] leaves the window. */
			int64_t wait = w->fails[w->n - max] + a->throttle_window_ms - now;
			int64_t s = (wait + 999) / 1000;
			*retry_s = s < 1 ? 1 : (int)s;
			rc = PL_ETHROTTLED;
		}
	}
	pthread_mutex_unlock(&a->tmu);
	return rc;
}

void auth__throttle_fail(struct auth *a, const char *key, int64_t now)
{
	pthread_mutex_lock(&a->tmu);
	struct auth__twin *w = auth__twin_find(a, key, true);
	auth__twin_age(a, w, now);
	if (w->n == AUTH__THROTTLE_SLOTS) {
		memmove(w->fails, w->fails + 1, (size_t)(w->n - 1) * sizeof(w->fails[0]));
		w->n--;
	}
	w->fails[w->n++] = now;
	w->touched = now;
	pthread_mutex_unlock(&a->tmu);
}

void auth__throttle_reset(struct auth *a, const char *key)
{
	pthread_mutex_lock(&a->tmu);
	struct auth__twin *w = auth__twin_find(a, key, false);
	if (w)
		memset(w, 0, sizeof(*w));
	pthread_mutex_unlock(&a->tmu);
}

/* --------------------------------------------------------------- misc */

int auth__audit(struct store_conn *c, const struct auth_principal *actor,
		const char *action, const char *entity, const char *entity_id,
		const char *enterprise_id, const json_t *before, const json_t *after,
		const struct auth_req *rq)
{
	struct store_audit au = {
		.actor_id = "system",
		.actor_name = "system",
		.action = action,
		.entity = entity,
		.entity_id = entity_id,
		.enterprise_id = enterprise_id && *enterprise_id ? enterprise_id : NULL,
		.before = before,
		.after = after,
		.request_id = rq ? rq->request_id : NULL,
		.ip = rq ? rq->ip : NULL,
	};
	if (actor) {
		/* NULL, not "", when an attempt names no known user */
		au.actor_id = actor->user_id[0] ? actor->user_id
			    : actor->token_id[0] ? actor->token_id : NULL;
		au.actor_name = actor->name;
	}
	return store_audit(c, &au);
}

int auth__field_error(struct pl_json_error *err, const char *field, const char *fmt, ...)
{
	va_list ap;
	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->text, sizeof(err->text), fmt, ap);
		va_end(ap);
		pl_strlcpy(err->field, field, sizeof(err->field));
		err->position = 0;
	}
	return PL_EINVAL;
}

bool auth__text_ok(const char *s, size_t min, size_t max)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			return false;
	}
	/* jansson refuses invalid UTF-8: everything we store ends up in JSON. */
	json_t *j = json_stringn(s, n);
	if (!j)
		return false;
	json_decref(j);
	return true;
}

void auth__copy_text(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (n >= size) {
		n = size - 1;
		/* src[n] is the first byte left out: if it continues a sequence,
		 * back off to that sequence's lead byte and leave it out too. */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int auth__enterprise_exists(struct store_conn *c, const char *id, bool *out)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(id) };
	int rc = store_query(c, "SELECT 1 FROM enterprises WHERE id = ?", p, STORE_NP(p), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	*out = rc == 1;
	rc = 0;
out:
	if (r)
		store_rows_free(r);
	return rc;
}
