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
 *
 * Ownership: every char* parameter is borrowed for the duration of the call
 * only. json_t results are new references the caller must json_decref.
 * Fixed-size out buffers are written NUL-terminated on success only.
 *
 * Threading: one struct auth is shared by all threads; every function here
 * may be called concurrently (the throttle tables have their own mutex, and
 * each call takes its own store connection).
 *
 * docs/security.md describes the role x action table in words; the table
 * itself is auth_scope_of() in src/auth/policy.c and tests/authz/table.json
 * is its machine-readable copy that tests/authz/walk.mjs checks.
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

#define AUTH_DISPLAY_MAX 128       /* bytes of a user's display_name */
#define AUTH_TOKEN_NAME_MAX 127    /* bytes of an API token's name */

/* Who is calling. Filled by auth_session_check / auth_token_check /
 * auth_login. Plain data: copy it freely. */
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
	char display_name[AUTH_DISPLAY_MAX + 1]; /* users: display name; tokens: name */
	char enterprise_name[256];         /* name_zh of enterprise_id, or ""; long
					    * names are cut at a UTF-8 boundary */
};

/* The actions the authorisation table knows. Later modules append theirs
 * (before AUTH_A_COUNT, and a row in src/auth/policy.c, docs/security.md and
 * tests/authz/table.json). Names are the strings `serve --print-routes`
 * prints: "public", "self", "enterprise.list", ... */
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
	AUTH_A_LIVE,              /* the SSE live feed (filtered per caller) */
	/* desk: service requests, ratings, replacements */
	AUTH_A_DESK_REQUEST_READ,   /* list and read requests */
	AUTH_A_DESK_REQUEST_CREATE, /* raise a request */
	AUTH_A_DESK_REQUEST_ACT,    /* take a workflow action (the state table decides which) */
	AUTH_A_DESK_REPLACE_READ,   /* replacement queue, assignment history */
	AUTH_A_DESK_REPLACE_REQUEST, /* ask for a new specialist */
	AUTH_A_DESK_REPLACE_ASSIGN, /* assign / replace a specialist */
	AUTH_A_DESK_SCORES,         /* the satisfaction leaderboard */
	AUTH_A_DESK_GREEN_READ,     /* green-channel projects and their steps */
	AUTH_A_DESK_GREEN_WRITE,    /* open a green-channel project, start/finish its steps */
	/* trace: the EPCIS repository and genealogy */
	AUTH_A_TRACE_CAPTURE,       /* capture EPCIS documents for one's enterprise */
	AUTH_A_TRACE_READ,          /* EPCIS queries, capture jobs, traces, recalls */
	/* line: transparent production */
	AUTH_A_LINE_READ,           /* lines, their last values and series */
	/* later modules: desk reports/settings/outbox, trace subscriptions,
	 * line ingest and alarms, the park */
	AUTH_A_DESK_REPORT,               /* KPI reports and their CSV */
	AUTH_A_DESK_SETTINGS,             /* SLA table and other desk settings */
	AUTH_A_DESK_NOTIFY_READ,          /* the notification outbox */
	AUTH_A_TRACE_SUBSCRIBE,           /* named queries and webhook subscriptions */
	AUTH_A_LINE_INGEST,               /* HTTP batch ingest for one line (device tokens) */
	AUTH_A_LINE_ALARM_ACT,            /* acknowledge / shelve alarms */
	AUTH_A_PARK_INDICATORS,           /* park-wide indicators and dashboard */
	AUTH_A_PARK_DATA_READ,            /* enterprise yearly figures, certifications, projects */
	AUTH_A_PARK_DATA_WRITE,           /* import / edit yearly figures, certifications, projects */
	AUTH_A_PARK_MATCH,                /* supplier matching: declare, suggest, introduce */
	AUTH_A_COUNT
};
const char *auth_action_name(enum auth_action a);
int auth_action_parse(const char *s, enum auth_action *out); /* PL_EINVAL */

/* How far a role may do an action. */
enum auth_scope {
	AUTH_SCOPE_DENY,        /* never: 403 */
	AUTH_SCOPE_ANY,         /* every object */
	AUTH_SCOPE_OWN,         /* objects of the caller's own enterprise */
	AUTH_SCOPE_ASSIGNED,    /* specialists: enterprises assigned to them */
	AUTH_SCOPE_DEPARTMENT,  /* department staff: objects routed to their dept */
};
const char *auth_scope_name(enum auth_scope s); /* "deny", "any", "own", ... */
/* The table itself: pure lookup. Out-of-range inputs give AUTH_SCOPE_DENY. */
enum auth_scope auth_scope_of(enum auth_role r, enum auth_action a);

/* What the caller is acting on. Pass NULL to auth_authorize for
 * collection-level checks (list, create): then any scope but DENY is
 * allowed and the handler filters rows with auth_tenant_filter. */
struct auth_target {
	const char *enterprise_id;  /* tenant of the object; NULL/"": none */
	bool assigned_to_caller;    /* specialists: set by auth_target_for */
	const char *department;     /* department the object is routed to, or NULL */
};

/* The one authorisation function. Returns 0 when allowed, PL_EAUTH when the
 * action needs credentials and p is NULL, PL_EFORBIDDEN when the role may
 * never do this, PL_ENOTFOUND when the object belongs to an enterprise the
 * caller may not see (or to none, for enterprise-scoped roles). Pure: no
 * I/O, no state. */
int auth_authorize(const struct auth_principal *p, enum auth_action a,
		   const struct auth_target *t);

/* Is enterprise_id currently assigned to specialist_user_id (a row in
 * assignments with ended_at IS NULL)? *out set on 0; PL_EDB on failure. */
int auth_is_assigned(struct store_conn *c, const char *specialist_user_id,
		     const char *enterprise_id, bool *out);
/* Fills *out for an object of enterprise_id (borrowed: must outlive *out),
 * looking up the assignment when p is a specialist. */
int auth_target_for(struct store_conn *c, const struct auth_principal *p,
		    const char *enterprise_id, struct auth_target *out);
/* Appends " AND <column> ..." to sql, restricting rows to the enterprises
 * p may see for action a, and the parameters it needs to params[*np...]
 * (room for 1 more is required; *np is advanced). column is a trusted
 * identifier from code such as "e.id". PL_EFORBIDDEN when the scope is
 * DENY; nothing is appended for ANY. */
int auth_tenant_filter(const struct auth_principal *p, enum auth_action a,
		       const char *column, struct pl_buf *sql,
		       struct store_param *params, size_t *np);

/* 0 when p is not a session (bearer tokens need no CSRF) or header equals
 * the session's CSRF token (constant time); PL_EFORBIDDEN otherwise. Call
 * on every cookie-authenticated write. */
int auth_csrf_check(const struct auth_principal *p, const char *header);

/* {"id","username","display_name","role","enterprise_id","enterprise_name",
 * "department"} for /me and login; ids that are "" become null. */
json_t *auth_principal_json(const struct auth_principal *p);

/* ----------------------------------------------------- the auth context */
struct auth;
enum auth_hash_cost {
	AUTH_HASH_MODERATE = 0,   /* production: crypto_pwhash *_MODERATE */
	AUTH_HASH_INTERACTIVE,    /* crypto_pwhash *_INTERACTIVE */
	AUTH_HASH_MIN,            /* unit tests only: *_MIN, instant */
};
struct auth_options {
	int session_ttl_s;       /* idle lifetime of a session; 0: 8 hours */
	int throttle_max;        /* failures per user per window before 429; 0: 5 */
	int throttle_window_s;   /* 0: 300 */
	bool fast_hash;          /* tests only: crypto_pwhash interactive limits */
	/* Added by auth: */
	int throttle_ip_max;     /* failures per client address; 0: 4*throttle_max
				  * (a whole enterprise may sit behind one NAT) */
	enum auth_hash_cost hash_cost; /* wins over fast_hash when not MODERATE */
	int hash_concurrency;    /* Argon2 hashes at once (memory cap); 0: 2 */
	/* Clock in ms since the epoch; NULL: pl_time_now_ms. Tests inject one
	 * so expiry and throttle windows are checked without sleeping. */
	int64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
};
/* st is borrowed and must outlive the auth; opt may be NULL (defaults);
 * log may be NULL. Never NULL (allocation failure aborts). */
struct auth *auth_new(struct store *st, const struct auth_options *opt, struct pl_log *log);
void auth_free(struct auth *a);
struct store *auth_store(struct auth *a);

/* Request context for audit rows; every field may be NULL, and rq may be. */
struct auth_req {
	const char *ip;
	const char *user_agent;
	const char *request_id;
};

/* ------------------------------------------------------------- passwords */
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 1024
#define AUTH_HASH_MAX 128          /* crypto_pwhash_STRBYTES */
/* Argon2id hash of password at a's cost into out. PL_EINVAL when the
 * password is shorter than AUTH_PASSWORD_MIN or longer than _MAX. Waits
 * while hash_concurrency hashes run; aborts if libsodium cannot get its
 * memory (allocation failure aborts everywhere). */
int auth_password_hash(struct auth *a, const char *password, char out[AUTH_HASH_MAX]);
/* 0 when password matches hash; PL_EAUTH otherwise (also for a malformed
 * hash). */
int auth_password_verify(struct auth *a, const char *hash, const char *password);

/* -------------------------------------------------------------- sessions */
#define AUTH_SESSION_TOKEN_MAX 64  /* 43 base64url chars + NUL fit */
#define AUTH_CSRF_MAX 65           /* 64 hex chars + NUL */
/* Checks the throttle, then the password; on success creates a session and
 * writes its token (shown once: only its SHA-256 is stored) to out_token,
 * its CSRF token to out_csrf and the caller to *out. Audited as auth.login,
 * auth.login_failed or auth.login_throttled.
 * Errors: PL_EAUTH (unknown user, wrong password or disabled: the same
 * answer for all, after the same work), PL_ETHROTTLED with *retry_after_s
 * set (>= 1) when the user or the address failed too often in the window,
 * or a store error (PL_EDB, PL_EBUSY). retry_after_s may be NULL.
 * Blocks for one Argon2 hash (about 0.5-1 s at MODERATE cost). */
int auth_login(struct auth *a, const char *username, const char *password,
	       const struct auth_req *rq, char out_token[AUTH_SESSION_TOKEN_MAX],
	       char out_csrf[AUTH_CSRF_MAX], struct auth_principal *out,
	       int *retry_after_s);
/* Deletes the session (audited as auth.logout). PL_ENOTFOUND when there is
 * no such session (already logged out or expired). */
int auth_logout(struct auth *a, const char *token, const struct auth_req *rq);
/* Resolves a pl_session cookie value. Slides the idle expiry forward (at
 * most one store write per minute per session). Errors: PL_EAUTH (unknown,
 * expired - then deleted - or user disabled), PL_EDB. */
int auth_session_check(struct auth *a, const char *token, struct auth_principal *out);

/* ------------------------------------------------------------ API tokens */
#define AUTH_TOKEN_PREFIX "pl_"
#define AUTH_API_TOKEN_MAX 80      /* "pl_" + 43 base64url chars + NUL fit */
struct auth_token_new {
	const char *name;           /* required, 1..AUTH_TOKEN_NAME_MAX bytes */
	const char *role;           /* role name; required */
	const char *enterprise_id;  /* required for enterprise and device roles */
	const char *line_id;        /* optional, device tokens, <= 63 bytes */
	const char *expires_at;     /* optional RFC 3339, must be in the future */
};
/* Creates a token for actor (NULL: the CLI/system, unrestricted). A park
 * admin may create any token; an enterprise user only enterprise or device
 * tokens for its own enterprise; tokens never outrank their creator.
 * out_token (shown once) and out_id are written on success; err (may be
 * NULL) names the bad field on PL_EINVAL. Audited as token.create.
 * Errors: PL_EINVAL (also: enterprise does not exist), PL_EFORBIDDEN,
 * PL_ENOTFOUND (an enterprise user named another enterprise), PL_EDB. */
int auth_token_create(struct auth *a, const struct auth_principal *actor,
		      const struct auth_token_new *in, const struct auth_req *rq,
		      char out_token[AUTH_API_TOKEN_MAX], char out_id[PL_ID_LEN + 1],
		      struct pl_json_error *err);
/* Resolves an Authorization: Bearer value. Errors: PL_EAUTH (malformed,
 * unknown, revoked, expired, or its user disabled), PL_EDB. */
int auth_token_check(struct auth *a, const char *bearer, struct auth_principal *out);
/* Revokes token id (audited as token.revoke). PL_ENOTFOUND when absent,
 * already revoked or not visible to actor (NULL: system). */
int auth_token_revoke(struct auth *a, const struct auth_principal *actor,
		      const char *id, const struct auth_req *rq);
/* {"items":[{id,name,role,enterprise_id,line_id,created_by,created_at,
 * expires_at,revoked_at,last_used_at}],"total":n} of the tokens visible to
 * actor (NULL: all). Never includes hashes. */
int auth_token_list(struct auth *a, const struct auth_principal *actor, json_t **out);

/* ----------------------------------------------------------------- users */
#define AUTH_USERNAME_MIN 3
#define AUTH_USERNAME_MAX 64
struct auth_user_new {
	const char *username;       /* 3..64 of [a-z0-9_.-] */
	const char *password;       /* >= AUTH_PASSWORD_MIN */
	const char *display_name;   /* 1..AUTH_DISPLAY_MAX bytes */
	const char *role;           /* role name; device is not a user role */
	const char *enterprise_id;  /* required (and must exist) for enterprise */
	const char *department;     /* required for department, <= 63 bytes */
};
/* All validation is here; err (may be NULL) names the field on PL_EINVAL.
 * actor NULL: the CLI/system. Audited as user.create.
 * Errors: PL_EINVAL (also: enterprise does not exist), PL_EEXIST (username
 * taken), PL_EFORBIDDEN (actor may not), PL_EDB. */
int auth_user_add(struct auth *a, const struct auth_principal *actor,
		  const struct auth_user_new *in, const struct auth_req *rq,
		  char out_id[PL_ID_LEN + 1], struct pl_json_error *err);
/* {"items":[user...],"total":n}, ordered by username; limit 1..500. */
int auth_user_list(struct auth *a, int limit, int offset, json_t **out);
/* One user by id or username: {id,username,display_name,role,enterprise_id,
 * department,disabled,created_at,updated_at}. PL_ENOTFOUND. */
int auth_user_get(struct auth *a, const char *id_or_username, json_t **out);
struct auth_user_patch {
	const char *display_name;   /* NULL: unchanged */
	const char *password;       /* NULL: unchanged */
	const char *role;           /* NULL: unchanged (same rules as add) */
	int disabled;               /* -1: unchanged, 0 or 1 */
};
/* Updates user id (by id or username). Disabling or a password change ends
 * the user's sessions. Audited as user.update with before/after (never the
 * hash). A role change may not add or drop an enterprise or department
 * binding (create a new user instead). Errors as auth_user_add, plus
 * PL_ENOTFOUND (unknown user) and PL_ECONFLICT (it would leave no active
 * park admin). */
int auth_user_update(struct auth *a, const struct auth_principal *actor,
		     const char *id, const struct auth_user_patch *patch,
		     const struct auth_req *rq, struct pl_json_error *err);
int auth_user_set_password(struct auth *a, const struct auth_principal *actor,
			   const char *id, const char *password,
			   const struct auth_req *rq, struct pl_json_error *err);
int auth_user_disable(struct auth *a, const struct auth_principal *actor,
		      const char *id, bool disabled, const struct auth_req *rq);
/* Syntax checks alone, for CLIs and handlers that want them early. */
bool auth_username_valid(const char *s);

/* ------------------------------------------------------------------ demo */
#define AUTH_DEMO_PASSWORD "parkline-demo"
/* Creates, idempotently, the demo enterprises (1: 重庆太极制药有限公司,
 * 2: 华兰生物疫苗有限公司, with valid USCCs), the accounts admin,
 * specialist1 (assigned to enterprise 1), dept_tax, ent1, ent2, auditor,
 * all with password AUTH_DEMO_PASSWORD, and prints a table of them to
 * print_to (may be NULL). Existing rows are left as they are. */
int auth_demo_seed(struct auth *a, FILE *print_to);
/* The demo enterprises' USCCs (stable, so tests can look them up). */
#define AUTH_DEMO_USCC_1 "91500102203104854Y"
#define AUTH_DEMO_USCC_2 "91500102MA5U4QXR7F"

#endif /* PL_AUTH_H */
