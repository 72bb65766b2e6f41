/*
 * auth.h - users, roles, sessions, API tokens and the one authorisation
 * function every handler calls (prefix auth_). Enterprises are the tenancy
 * root: every object that belongs to an enterprise is checked against the
 * caller's binding, and another enterprise's object is reported as
 * PL_ENOTFOUND (a 404), never PL_EFORBIDDEN, so ids do not leak.
 *
 * Secrets: passwords are hashed with Argon2id (libsodium crypto_pwhash_str);
 * session ids and API tokens are 32 random bytes shown once and stored only
 * as their SHA-256 (crypto_hash_sha256), so a database dump reveals none.
 */
#ifndef PL_AUTH_H
#define PL_AUTH_H

#include "core/core.h"
#include "store/store.h"

enum auth_role {
	AUTH_ROLE_PARK_ADMIN,
	AUTH_ROLE_SPECIALIST,
	AUTH_ROLE_DEPARTMENT,
	AUTH_ROLE_ENTERPRISE,
	AUTH_ROLE_AUDITOR,
	AUTH_ROLE_DEVICE,     /* line/device tokens: publish for one line */
	AUTH_ROLE_COUNT
};
const char *auth_role_name(enum auth_role r);          /* "park_admin" ... */
int auth_role_parse(const char *s, enum auth_role *out); /* PL_EINVAL if unknown */

/* Who is calling. Filled by auth_session_check / auth_token_check. */
struct auth_principal {
	char user_id[PL_ID_LEN + 1];       /* "" for tokens not tied to a user */
	char token_id[PL_ID_LEN + 1];      /* "" for sessions */
	char name[128];                    /* username or token name */
	enum auth_role role;
	char enterprise_id[PL_ID_LEN + 1]; /* "" when not bound to one */
	char department[64];               /* department staff: their department */
	char line_id[64];                  /* device tokens: the one line */
	bool via_session;                  /* cookie session: writes need CSRF */
	char csrf[65];                     /* the session's CSRF token (hex) */
};

/* The actions the authorisation table knows. Later modules append theirs;
 * docs/security.md holds the same table in words and a test walks it. */
enum auth_action {
	AUTH_A_PUBLIC,            /* no credentials needed */
	AUTH_A_SELF,              /* any authenticated caller, about itself */
	AUTH_A_ENTERPRISE_LIST,
	AUTH_A_ENTERPRISE_READ,
	AUTH_A_ENTERPRISE_CREATE,
	AUTH_A_ENTERPRISE_UPDATE,
	AUTH_A_USER_ADMIN,
	AUTH_A_TOKEN_ADMIN,
	AUTH_A_AUDIT_READ,
	AUTH_A_METRICS,
	AUTH_A_COUNT
};
const char *auth_action_name(enum auth_action a);

/* What the caller is acting on: the tenant it belongs to (NULL or "" when
 * the object belongs to no enterprise) and, for specialists, whether the
 * enterprise is assigned to them (looked up by the caller via
 * auth_is_assigned). */
struct auth_target {
	const char *enterprise_id;
	bool assigned_to_caller;
};

/* The one authorisation function. Returns 0 when allowed, PL_EAUTH when the
 * action needs credentials and p is NULL, PL_EFORBIDDEN when the role may
 * never do this, PL_ENOTFOUND when the object belongs to an enterprise the
 * caller may not see. Pure: no I/O, no state. */
int auth_authorize(const struct auth_principal *p, enum auth_action a,
		   const struct auth_target *t);

/* Process-wide auth state: the store and the login throttle tables. */
struct auth;
struct auth_options {
	int session_ttl_s;       /* idle lifetime of a session; 0: 8 hours */
	int throttle_max;        /* failures per window before 429; 0: 5 */
	int throttle_window_s;   /* 0: 300 */
	bool fast_hash;          /* tests only: crypto_pwhash interactive limits */
};
struct auth *auth_new(struct store *st, const struct auth_options *opt, struct pl_log *log);
void auth_free(struct auth *a);

#endif /* PL_AUTH_H */
