/*
 * attach_repo.c - a request's attachments on the store (repo.h
 * desk_attach_add / _list / _fetch): the request's tenancy (repo_int.h),
 * the per-request cap, the row of migration 7, the history event and the
 * audit row around attach.c's content checks and file storage (whose
 * design notes say why the file is written before the row).
 */
#include "desk/repo_int.h"


static void attach__err(struct desk_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void attach__err(struct desk_err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

#define ATT_COLS "id, request_id, filename, type, size, sha256, uploader_id, uploader_name, " \
		 "created_at"

/* Loads request id into *req when p may do action on it (note 5). */
static int attach__request(struct store_conn *c, const struct auth_principal *p,
			   enum auth_action action, const char *id, json_t **req,
			   struct desk_err *err)
{
	int rc = desk__load(c, id, req);
	if (rc == 0)
		rc = desk__visible(c, p, action, *req);
	if (rc == PL_ENOTFOUND || (rc == PL_EFORBIDDEN && action == AUTH_A_DESK_REQUEST_READ)) {
		attach__err(err, "no request %.40s", id);
		rc = PL_ENOTFOUND;
	} else if (rc == PL_EFORBIDDEN) {
		attach__err(err, "you may not add files to requests");
	} else if (rc) {
		attach__err(err, "reading the request failed: %s", pl_strerror(rc));
	}
	if (rc) {
		json_decref(*req);
		*req = NULL;
	}
	return rc;
}

int desk_attach_add(const struct desk_svc *svc, struct store_conn *c,
		    const struct desk_actor *a, const char *id, const char *filename,
		    const char *declared, const uint8_t *data, size_t len, int64_t now_ms,
		    json_t **out, struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	const char *dir = desk__attach_dir(svc), *type, *state, *uid, *uname;
	char why[200], hex[DESK_SHA256_HEX + 1], aid[PL_ID_LEN + 1], now[PL_TIME_STRLEN];
	json_t *req = NULL, *cnt = NULL, *row = NULL;
	int rc;

	*out = NULL;
	if (!dir) {
		attach__err(err, "attachments are not configured on this server (attachments_dir)");
		return PL_EBUSY;
	}
	if ((rc = attach__request(c, p, AUTH_A_DESK_REQUEST_ACT, id, &req, err)))
		return rc;
	state = pl_json_str(req, "state");
	if (state && !strcmp(state, "closed")) {
		attach__err(err, "the request is closed (归档) and takes no more files");
		rc = PL_ECONFLICT;
		goto out;
	}
	struct store_param q[] = { SP_TEXT(id) };
	if ((rc = store_query_one(c, "SELECT count(*) AS n FROM request_attachments WHERE "
				  "request_id = ?", q, 1, &cnt))) {
		attach__err(err, "counting attachments failed: %s", pl_strerror(rc));
		goto out;
	}
	if (json_integer_value(json_object_get(cnt, "n")) >= DESK_ATTACH_PER_REQUEST) {
		attach__err(err, "the request has %d files already, the most it may have",
			    DESK_ATTACH_PER_REQUEST);
		rc = PL_ECONFLICT;
		goto out;
	}
	if ((rc = desk_attach_check(filename, declared, data, len, &type, why, sizeof(why)))) {
		attach__err(err, "%s", why);
		goto out;
	}
	if ((rc = desk_attach_put(dir, data, len, hex))) {
		attach__err(err, "storing the file failed");
		goto out;
	}
	pl_id_new(aid);
	pl_time_format(now_ms, now);
	uid = !p ? "system" : p->user_id[0] ? p->user_id : p->token_id;
	uname = !p ? "system" : p->name;
	struct store_param ip[] = {
		SP_TEXT(aid), SP_TEXT(id), SP_TEXT(filename), SP_TEXT(type), SP_INT((int64_t)len),
		SP_TEXT(hex), SP_TEXT(uid), SP_TEXT(uname), SP_TEXT(now),
	};
	struct store_param gp[] = { SP_TEXT(aid) };
	if ((rc = store_exec(c, "INSERT INTO request_attachments (" ATT_COLS ") VALUES "
			     "(?, ?, ?, ?, ?, ?, ?, ?, ?)", ip, STORE_NP(ip), NULL)) ||
	    (rc = desk__event(c, a, id, now, "attach", state, state, filename)) ||
	    (rc = store_query_one(c, "SELECT " ATT_COLS " FROM request_attachments WHERE id = ?",
				  gp, 1, &row)) ||
	    (rc = desk__audit(c, a, "desk.request.attach", "request", id,
			      pl_json_str(req, "enterprise_id"), NULL, row))) {
		attach__err(err, "recording the attachment failed: %s", pl_strerror(rc));
		goto out;
	}
	*out = row;
	row = NULL;
out:
	json_decref(req);
	json_decref(cnt);
	json_decref(row);
	return rc;
}

int desk_attach_list(struct store_conn *c, const struct auth_principal *p, const char *id,
		     json_t **out, struct desk_err *err)
{
	json_t *req = NULL, *items = NULL;
	int rc;

	*out = NULL;
	if ((rc = attach__request(c, p, AUTH_A_DESK_REQUEST_READ, id, &req, err)))
		return rc;
	json_decref(req);
	struct store_param q[] = { SP_TEXT(id) };
	if ((rc = store_query_json(c, "SELECT " ATT_COLS " FROM request_attachments WHERE "
				   "request_id = ? ORDER BY created_at, id", q, 1,
				   DESK_ATTACH_PER_REQUEST * 2, &items))) {
		attach__err(err, "listing attachments failed: %s", pl_strerror(rc));
		return rc;
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

int desk_attach_fetch(const struct desk_svc *svc, struct store_conn *c,
		      const struct auth_principal *p, const char *id, const char *aid,
		      json_t **meta, uint8_t **data, size_t *len, struct desk_err *err)
{
	const char *dir = desk__attach_dir(svc);
	json_t *req = NULL, *row = NULL;
	int rc;

	*meta = NULL;
	*data = NULL;
	*len = 0;
	if (!dir) {
		attach__err(err, "attachments are not configured on this server (attachments_dir)");
		return PL_EBUSY;
	}
	if ((rc = attach__request(c, p, AUTH_A_DESK_REQUEST_READ, id, &req, err)))
		return rc;
	json_decref(req);
	if (!pl_id_valid(aid)) {
		attach__err(err, "no attachment %.40s", aid);
		return PL_ENOTFOUND;
	}
	struct store_param q[] = { SP_TEXT(aid), SP_TEXT(id) };
	rc = store_query_one(c, "SELECT " ATT_COLS " FROM request_attachments WHERE id = ? AND "
			     "request_id = ?", q, 2, &row);
	if (rc == PL_ENOTFOUND) {
		attach__err(err, "no attachment %.40s", aid);
		return rc;
	}
	if (rc) {
		attach__err(err, "reading the attachment failed: %s", pl_strerror(rc));
		return rc;
	}
	rc = desk_attach_get(dir, pl_json_str(row, "sha256"), DESK_ATTACH_MAX, data, len);
	if (rc) {
		/* the row exists, so a missing or changed file is our fault */
		attach__err(err, "the stored file of attachment %s is missing or does not match "
			    "its checksum", aid);
		json_decref(row);
		return PL_EIO;
	}
	*meta = row;
	return 0;
}
