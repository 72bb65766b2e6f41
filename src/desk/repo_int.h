/*
 * repo_int.h - what the desk's store-backed files share (not for other
 * modules): repo.c's request loading, visibility check, history and audit
 * helpers, used by attach.c (attachments) so an attachment's tenancy and
 * audit are exactly the request's. Contracts as in repo.c.
 */
#ifndef PL_DESK_REPO_INT_H
#define PL_DESK_REPO_INT_H

#include "desk/repo.h"

/* Loads request id with its joined names into *out (new reference);
 * PL_ENOTFOUND when missing or id is not an id. */
int desk__load(struct store_conn *c, const char *id, json_t **out);
/* Whether p (NULL: system) may do action on request row req: 0,
 * PL_ENOTFOUND (not visible), PL_EFORBIDDEN (the role never may), PL_EDB. */
int desk__visible(struct store_conn *c, const struct auth_principal *p,
		  enum auth_action action, const json_t *req);
/* One audit row by actor a (may be NULL: system). before/after borrowed. */
int desk__audit(struct store_conn *c, const struct desk_actor *a, const char *action,
		const char *entity, const char *entity_id, const char *enterprise_id,
		const json_t *before, const json_t *after);
/* Appends a history event to request req_id (from may be NULL). */
int desk__event(struct store_conn *c, const struct desk_actor *a, const char *req_id,
		const char *at, const char *action, const char *from, const char *to,
		const char *note);
/* The attachments directory (borrowed), NULL when not configured. */
const char *desk__attach_dir(const struct desk_svc *svc);

#endif /* PL_DESK_REPO_INT_H */
