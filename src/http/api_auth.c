/*
 * api_auth.c - who is calling: credentials on every request (a pl_session
 * cookie or an Authorization: Bearer API token), and the login, logout and
 * /me handlers. The checks themselves are the auth module's; this file
 * only carries their answers over HTTP: cookies, CSRF token, 401/429.
 */
#include "http/http_int.h"

#include <strings.h>

#define COOKIE_NAME "pl_session"

int http__authenticate(struct http_req *r)
{
	struct auth *a = r->srv->opt.auth;
	const char *authz = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie;
	int rc;

	r->authed = false;
	if (authz) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return http_fail(r, PL_EAUTH, NULL,
					 "the Authorization header must use the Bearer scheme");
		rc = auth_token_check(a, authz + 7, &r->principal);
		if (rc == PL_EAUTH)
			return http_fail(r, rc, NULL,
					 "the bearer token is not valid (unknown, revoked or expired)");
		if (rc)
			return http_fail(r, rc, NULL, "credentials could not be checked: %s",
					 pl_strerror(rc));
		r->authed = true;
		return 0;
	}
	cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE_NAME);
	if (!cookie)
		return 0;
	rc = auth_session_check(a, cookie, &r->principal);
	if (rc == PL_EAUTH)
		return http_fail(r, rc, NULL, "the session has expired or ended; log in again");
	if (rc)
		return http_fail(r, rc, NULL, "credentials could not be checked: %s",
				 pl_strerror(rc));
	r->authed = true;
	return 0;
}

int http__h_login(struct http_req *r)
{
	char token[AUTH_SESSION_TOKEN_MAX], csrf[AUTH_CSRF_MAX];
	struct auth_principal p;
	struct auth_req rq;
	int retry = 0, rc;
	char *cookie;

	http_auth_req(r, &rq);
	rc = auth_login(r->srv->opt.auth, pl_json_str(r->json, "username"),
			pl_json_str(r->json, "password"), &rq, token, csrf, &p, &retry);
	if (rc == PL_EAUTH)
		return http_fail(r, rc, "invalid-credentials",
				 "the username or the password is wrong");
	if (rc == PL_ETHROTTLED) {
		char ra[16];
		pl_fmt(ra, sizeof(ra), "%d", retry > 0 ? retry : 1);
		http_header_add(r, "Retry-After", ra);
		return http_fail(r, rc, NULL,
				 "too many failed logins for this user or address; retry in %s s", ra);
	}
	if (rc)
		return http_fail(r, rc, NULL, "login failed: %s", pl_strerror(rc));
	cookie = pl_arena_printf(r->arena, COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict%s",
				 token, r->srv->opt.secure_cookies ? "; Secure" : "");
	if (!cookie)
		return PL_ETOOBIG;
	http_header_add(r, "Set-Cookie", cookie);
	r->principal = p;
	r->authed = true;
	return http_reply_json(r, 200, json_pack("{s:o, s:s}", "user", auth_principal_json(&p),
						 "csrf_token", csrf));
}

int http__h_logout(struct http_req *r)
{
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE_NAME);
	struct auth_req rq;
	int rc;

	if (!r->principal.via_session || !cookie)
		return http_fail(r, PL_ECONFLICT, NULL,
				 "only cookie sessions log out; revoke an API token with "
				 "DELETE /api/v1/tokens/{id}");
	http_auth_req(r, &rq);
	rc = auth_logout(r->srv->opt.auth, cookie, &rq);
	if (rc && rc != PL_ENOTFOUND) /* already gone is what the caller wants */
		return http_fail(r, rc, NULL, "logout failed: %s", pl_strerror(rc));
	http_header_add(r, "Set-Cookie", COOKIE_NAME "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
	return http_reply_empty(r, 204);
}

int http__h_me(struct http_req *r)
{
	json_t *o = json_pack("{s:o}", "user", auth_principal_json(&r->principal));
	if (r->principal.via_session)
		json_object_set_new(o, "csrf_token", json_string(r->principal.csrf));
	return http_reply_json(r, 200, o);
}
