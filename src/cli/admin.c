/*
 * admin.c - `parkline admin`: users, API tokens and database maintenance
 * from the shell, for the person who runs the park's server.
 *
 *   parkline admin [--db URL] user add|list|passwd|disable ...
 *   parkline admin [--db URL] token add|revoke|list ...
 *   parkline admin [--db URL] db migrate|backup FILE|check|kpi-rebuild
 *   parkline admin [--db URL] mqtt --out DIR      (broker access per line)
 *
 * Everything goes through the auth and store modules, so the rules (and
 * the audit rows, actor "system") are exactly those of the HTTP API.
 * Passwords never come from argv (other users can read it in ps): they are
 * read from stdin (--password-stdin, first line) or PARKLINE_PASSWORD.
 * Tokens are printed once, alone on stdout, so `$(parkline admin token
 * add ...)` captures exactly the token; notes go to stderr.
 *
 * Exit status: 0 done, 1 the operation failed (reason on stderr), 2 bad
 * arguments (one-line reason, then the usage).
 */
#include "cli/cli.h"
#include "auth/auth.h"
#include "desk/report.h"

#include <sodium.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char admin_usage[] =
	"usage: parkline admin [--db URL] <group> <command> [options]\n"
	"\n"
	"  user add USERNAME --role ROLE --display-name NAME [--enterprise ID|USCC]\n"
	"           [--department DEPT] (--password-stdin | PARKLINE_PASSWORD)\n"
	"  user list [--json]\n"
	"  user passwd USERNAME (--password-stdin | PARKLINE_PASSWORD)\n"
	"  user disable USERNAME [--enable]\n"
	"  token add --name NAME --role ROLE [--enterprise ID|USCC] [--line LINE]\n"
	"            [--expires RFC3339]          prints the token once, on stdout\n"
	"  token revoke ID\n"
	"  token list [--json]\n"
	"  db migrate                            apply pending schema migrations\n"
	"  db backup FILE                        consistent copy of the database\n"
	"  db check                              integrity checks, as JSON\n"
	"  db kpi-rebuild                        recompute the desk KPI rollup from the requests\n"
	"  mqtt --out DIR [--host-user NAME]     mosquitto password_file, acl_file and\n"
	"                                        credentials (new passwords) per line\n"
	"\n"
	"options:\n"
	"  --db URL      SQLite file path or postgresql://... (default var/parkline.db,\n"
	"                or PARKLINE_DB)\n"
	"  --help        this text (also after any command)\n"
	"\n"
	"Roles: park_admin, specialist, department, enterprise, auditor (tokens also:\n"
	"device). Password hashing cost follows PARKLINE_HASH_COST (moderate,\n"
	"interactive or min), like 'parkline serve'.\n";

#define ADMIN_MAX_OPTS 8

/* One command's options: flags that take a value, and boolean flags. */
struct admin_opt {
	const char *name;     /* "--role" */
	bool has_value;
	const char *value;    /* borrowed from argv; "1" for a boolean seen */
};

struct admin_ctx {
	const char *db;
	enum auth_hash_cost cost;
	char *const *envp;
	const char *cmd;      /* "admin user add", for messages */
};

static const char *admin__env(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (char *const *e = envp; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* Parses argv[from..argc) into opts (matching by name) and up to npos
 * positionals. Returns 0, 1 for --help, or 2 after printing a usage error. */
static int admin__parse(const char *cmd, int argc, char **argv, int from,
			struct admin_opt *opts, const char **pos, int npos, int *got_pos)
{
	*got_pos = 0;
	for (int i = from; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 1;
		if (a[0] == '-' && a[1] == '-') {
			const char *eq = strchr(a, '=');
			size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
			struct admin_opt *o = NULL;
			for (struct admin_opt *k = opts; k && k->name; k++)
				if (strlen(k->name) == nlen && !strncmp(k->name, a, nlen))
					o = k;
			if (!o)
				return cli_usage_error(cmd, admin_usage, "unknown option '%s'", a);
			if (o->value)
				return cli_usage_error(cmd, admin_usage, "option '%s' given twice",
						       o->name);
			if (!o->has_value) {
				if (eq)
					return cli_usage_error(cmd, admin_usage,
							       "option '%s' takes no value", o->name);
				o->value = "1";
				continue;
			}
			const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				return cli_usage_error(cmd, admin_usage, "option '%s' needs a value",
						       o->name);
			o->value = v;
			continue;
		}
		if (*got_pos >= npos)
			return cli_usage_error(cmd, admin_usage, "unexpected argument '%s'", a);
		pos[(*got_pos)++] = a;
	}
	return 0;
}

static const char *admin__opt(const struct admin_opt *opts, const char *name)
{
	for (const struct admin_opt *k = opts; k->name; k++)
		if (!strcmp(k->name, name))
			return k->value;
	return NULL;
}

/* Reads the password: first line of stdin, or PARKLINE_PASSWORD. out gets
 * at most AUTH_PASSWORD_MAX bytes. 0, or 2 after a usage error, or 1. */
static int admin__password(const struct admin_ctx *cx, bool from_stdin,
			   char out[AUTH_PASSWORD_MAX + 2])
{
	if (from_stdin) {
		if (!fgets(out, AUTH_PASSWORD_MAX + 2, stdin)) {
			fprintf(stderr, "parkline %s: no password on stdin\n", cx->cmd);
			return 1;
		}
		size_t n = strlen(out);
		if (n > 0 && out[n - 1] != '\n' && n > AUTH_PASSWORD_MAX) {
			fprintf(stderr, "parkline %s: password longer than %d bytes\n", cx->cmd,
				AUTH_PASSWORD_MAX);
			return 1;
		}
		while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
			out[--n] = '\0';
		return 0;
	}
	const char *env = admin__env(cx->envp, "PARKLINE_PASSWORD");
	if (!env)
		return cli_usage_error(cx->cmd, admin_usage,
				       "give the password on stdin with --password-stdin or in "
				       "PARKLINE_PASSWORD (never as an argument)");
	if (strlen(env) > AUTH_PASSWORD_MAX) {
		fprintf(stderr, "parkline %s: password longer than %d bytes\n", cx->cmd,
			AUTH_PASSWORD_MAX);
		return 1;
	}
	pl_strlcpy(out, env, AUTH_PASSWORD_MAX + 2);
	return 0;
}

/* Opens (and migrates) the store and an auth over it. 0 or 1. */
static int admin__open(const struct admin_ctx *cx, bool migrate, struct store **st,
		       struct auth **au)
{
	int rc = store_open(cx->db, NULL, st);
	if (rc) {
		fprintf(stderr, "parkline %s: cannot open store %s: %s\n", cx->cmd, cx->db,
			pl_strerror(rc));
		return 1;
	}
	if (migrate) {
		rc = store_migrate(*st, NULL);
		if (rc) {
			fprintf(stderr, "parkline %s: migrating %s failed: %s\n", cx->cmd, cx->db,
				pl_strerror(rc));
			store_free(*st);
			*st = NULL;
			return 1;
		}
	}
	if (au) {
		struct auth_options ao = { .hash_cost = cx->cost };
		*au = auth_new(*st, &ao, NULL);
	}
	return 0;
}

static int admin__fail(const struct admin_ctx *cx, int rc, const struct pl_json_error *err)
{
	if (err && err->text[0])
		fprintf(stderr, "parkline %s: %s\n", cx->cmd, err->text);
	else
		fprintf(stderr, "parkline %s: %s\n", cx->cmd, pl_strerror(rc));
	return 1;
}

/* An enterprise given as an id or a USCC; resolved to an id in out. */
static int admin__enterprise(const struct admin_ctx *cx, struct store *st, const char *ref,
			     char out[PL_ID_LEN + 1])
{
	struct store_conn *c = NULL;
	json_t *row = NULL;
	int rc;

	if (pl_id_valid(ref)) {
		pl_strlcpy(out, ref, PL_ID_LEN + 1);
		return 0;
	}
	rc = store_conn_get(st, &c);
	if (rc)
		return admin__fail(cx, rc, NULL);
	struct store_param p[] = { SP_TEXT(ref) };
	rc = store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", p, STORE_NP(p), &row);
	store_conn_put(c);
	if (rc == PL_ENOTFOUND) {
		fprintf(stderr, "parkline %s: no enterprise has id or USCC '%s'\n", cx->cmd, ref);
		return 1;
	}
	if (rc)
		return admin__fail(cx, rc, NULL);
	pl_strlcpy(out, pl_json_str(row, "id"), PL_ID_LEN + 1);
	json_decref(row);
	return 0;
}

static void admin__print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2));
	if (s) {
		puts(s);
		free(s);
	}
}

static const char *admin__s(json_t *o, const char *k)
{
	const char *s = pl_json_str(o, k);
	return s ? s : "-";
}

/* ------------------------------------------------------------- users */

static int admin__user(struct admin_ctx *cx, const char *verb, int argc, char **argv)
{
	struct admin_opt opts[ADMIN_MAX_OPTS] = { { 0 } };
	const char *pos[1] = { NULL };
	int npos = 0, rc, status = 1;
	struct store *st = NULL;
	struct auth *au = NULL;
	char pw[AUTH_PASSWORD_MAX + 2] = "", id[PL_ID_LEN + 1], ent[PL_ID_LEN + 1];
	struct pl_json_error err = { .text = "" };
	json_t *out = NULL;
	char cmdname[64];

	pl_fmt(cmdname, sizeof(cmdname), "admin user %.20s", verb);
	cx->cmd = cmdname;
	if (!strcmp(verb, "add")) {
		opts[0] = (struct admin_opt){ "--role", true, NULL };
		opts[1] = (struct admin_opt){ "--display-name", true, NULL };
		opts[2] = (struct admin_opt){ "--enterprise", true, NULL };
		opts[3] = (struct admin_opt){ "--department", true, NULL };
		opts[4] = (struct admin_opt){ "--password-stdin", false, NULL };
	} else if (!strcmp(verb, "list")) {
		opts[0] = (struct admin_opt){ "--json", false, NULL };
	} else if (!strcmp(verb, "passwd")) {
		opts[0] = (struct admin_opt){ "--password-stdin", false, NULL };
	} else if (!strcmp(verb, "disable")) {
		opts[0] = (struct admin_opt){ "--enable", false, NULL };
	} else {
		return cli_usage_error("admin user", admin_usage, "unknown command '%s'", verb);
	}
	rc = admin__parse(cmdname, argc, argv, 0, opts, pos, 1, &npos);
	if (rc == 1) {
		fputs(admin_usage, stdout);
		return 0;
	}
	if (rc)
		return rc;
	bool need_user = strcmp(verb, "list") != 0;
	if (need_user && npos != 1)
		return cli_usage_error(cmdname, admin_usage, "give exactly one USERNAME");
	if (!need_user && npos != 0)
		return cli_usage_error(cmdname, admin_usage, "unexpected argument '%s'", pos[0]);
	if (!strcmp(verb, "add")) {
		if (!admin__opt(opts, "--role"))
			return cli_usage_error(cmdname, admin_usage, "--role is required");
		if (!admin__opt(opts, "--display-name"))
			return cli_usage_error(cmdname, admin_usage, "--display-name is required");
	}
	if (!strcmp(verb, "add") || !strcmp(verb, "passwd")) {
		rc = admin__password(cx, admin__opt(opts, "--password-stdin") != NULL, pw);
		if (rc)
			return rc;
	}
	if (admin__open(cx, true, &st, &au))
		goto out;

	if (!strcmp(verb, "add")) {
		const char *eref = admin__opt(opts, "--enterprise");
		if (eref && admin__enterprise(cx, st, eref, ent))
			goto out;
		struct auth_user_new in = {
			.username = pos[0], .password = pw,
			.display_name = admin__opt(opts, "--display-name"),
			.role = admin__opt(opts, "--role"),
			.enterprise_id = eref ? ent : NULL,
			.department = admin__opt(opts, "--department"),
		};
		rc = auth_user_add(au, NULL, &in, NULL, id, &err);
		if (rc == PL_EEXIST && !err.text[0])
			pl_fmt(err.text, sizeof(err.text), "username %.64s is taken", pos[0]);
		if (rc) {
			status = admin__fail(cx, rc, &err);
			goto out;
		}
		printf("%s\n", id);
		fprintf(stderr, "user %s created (id %s)\n", pos[0], id);
	} else if (!strcmp(verb, "list")) {
		rc = auth_user_list(au, 500, 0, &out);
		if (rc) {
			status = admin__fail(cx, rc, NULL);
			goto out;
		}
		if (admin__opt(opts, "--json")) {
			admin__print_json(out);
		} else {
			size_t i;
			json_t *u;
			printf("%-26s  %-20s  %-11s  %-26s  %-8s  %s\n", "id", "username", "role",
			       "enterprise_id", "disabled", "display_name");
			json_array_foreach(json_object_get(out, "items"), i, u)
				printf("%-26s  %-20s  %-11s  %-26s  %-8s  %s\n", admin__s(u, "id"),
				       admin__s(u, "username"), admin__s(u, "role"),
				       admin__s(u, "enterprise_id"),
				       json_integer_value(json_object_get(u, "disabled")) ? "yes" : "no",
				       admin__s(u, "display_name"));
		}
	} else if (!strcmp(verb, "passwd")) {
		rc = auth_user_set_password(au, NULL, pos[0], pw, NULL, &err);
		if (rc) {
			status = admin__fail(cx, rc, &err);
			goto out;
		}
		fprintf(stderr, "password of %s changed; its sessions ended\n", pos[0]);
	} else {
		bool enable = admin__opt(opts, "--enable") != NULL;
		rc = auth_user_disable(au, NULL, pos[0], !enable, NULL);
		if (rc == PL_ECONFLICT)
			pl_fmt(err.text, sizeof(err.text), "%.64s is the last active park admin",
			       pos[0]);
		if (rc) {
			status = admin__fail(cx, rc, &err);
			goto out;
		}
		fprintf(stderr, "%s %s\n", pos[0], enable ? "enabled" : "disabled; its sessions ended");
	}
	status = 0;
out:
	json_decref(out);
	auth_free(au);
	store_free(st);
	sodium_memzero(pw, sizeof(pw));
	return status;
}

/* ------------------------------------------------------------ tokens */

static int admin__token(struct admin_ctx *cx, const char *verb, int argc, char **argv)
{
	struct admin_opt opts[ADMIN_MAX_OPTS] = { { 0 } };
	const char *pos[1] = { NULL };
	int npos = 0, rc, status = 1;
	struct store *st = NULL;
	struct auth *au = NULL;
	char tok[AUTH_API_TOKEN_MAX], id[PL_ID_LEN + 1], ent[PL_ID_LEN + 1];
	struct pl_json_error err = { .text = "" };
	json_t *out = NULL;
	char cmdname[64];

	pl_fmt(cmdname, sizeof(cmdname), "admin token %.20s", verb);
	cx->cmd = cmdname;
	int want_pos;
	if (!strcmp(verb, "add")) {
		opts[0] = (struct admin_opt){ "--name", true, NULL };
		opts[1] = (struct admin_opt){ "--role", true, NULL };
		opts[2] = (struct admin_opt){ "--enterprise", true, NULL };
		opts[3] = (struct admin_opt){ "--line", true, NULL };
		opts[4] = (struct admin_opt){ "--expires", true, NULL };
		want_pos = 0;
	} else if (!strcmp(verb, "list")) {
		opts[0] = (struct admin_opt){ "--json", false, NULL };
		want_pos = 0;
	} else if (!strcmp(verb, "revoke")) {
		want_pos = 1;
	} else {
		return cli_usage_error("admin token", admin_usage, "unknown command '%s'", verb);
	}
	rc = admin__parse(cmdname, argc, argv, 0, opts, pos, 1, &npos);
	if (rc == 1) {
		fputs(admin_usage, stdout);
		return 0;
	}
	if (rc)
		return rc;
	if (npos != want_pos)
		return want_pos ? cli_usage_error(cmdname, admin_usage, "give exactly one token ID")
				: cli_usage_error(cmdname, admin_usage, "unexpected argument '%s'",
						  pos[0]);
	if (!strcmp(verb, "add")) {
		if (!admin__opt(opts, "--name"))
			return cli_usage_error(cmdname, admin_usage, "--name is required");
		if (!admin__opt(opts, "--role"))
			return cli_usage_error(cmdname, admin_usage, "--role is required");
	}
	if (admin__open(cx, true, &st, &au))
		goto out;

	if (!strcmp(verb, "add")) {
		const char *eref = admin__opt(opts, "--enterprise");
		if (eref && admin__enterprise(cx, st, eref, ent))
			goto out;
		struct auth_token_new in = {
			.name = admin__opt(opts, "--name"), .role = admin__opt(opts, "--role"),
			.enterprise_id = eref ? ent : NULL, .line_id = admin__opt(opts, "--line"),
			.expires_at = admin__opt(opts, "--expires"),
		};
		rc = auth_token_create(au, NULL, &in, NULL, tok, id, &err);
		if (rc) {
			status = admin__fail(cx, rc, &err);
			goto out;
		}
		printf("%s\n", tok);
		fflush(stdout);
		fprintf(stderr, "token %s created; it is shown only now - store it safely\n", id);
	} else if (!strcmp(verb, "list")) {
		rc = auth_token_list(au, NULL, &out);
		if (rc) {
			status = admin__fail(cx, rc, NULL);
			goto out;
		}
		if (admin__opt(opts, "--json")) {
			admin__print_json(out);
		} else {
			size_t i;
			json_t *t;
			printf("%-26s  %-11s  %-26s  %-10s  %-24s  %-7s  %s\n", "id", "role",
			       "enterprise_id", "line_id", "expires_at", "revoked", "name");
			json_array_foreach(json_object_get(out, "items"), i, t)
				printf("%-26s  %-11s  %-26s  %-10s  %-24s  %-7s  %s\n",
				       admin__s(t, "id"), admin__s(t, "role"),
				       admin__s(t, "enterprise_id"), admin__s(t, "line_id"),
				       admin__s(t, "expires_at"),
				       json_is_null(json_object_get(t, "revoked_at")) ? "no" : "yes",
				       admin__s(t, "name"));
		}
	} else {
		rc = auth_token_revoke(au, NULL, pos[0], NULL);
		if (rc == PL_ENOTFOUND)
			pl_fmt(err.text, sizeof(err.text), "no active token has id %.40s", pos[0]);
		if (rc) {
			status = admin__fail(cx, rc, &err);
			goto out;
		}
		fprintf(stderr, "token %s revoked\n", pos[0]);
	}
	status = 0;
out:
	json_decref(out);
	auth_free(au);
	store_free(st);
	return status;
}

/* ---------------------------------------------------------------- db */

static int admin__db(struct admin_ctx *cx, const char *verb, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	int npos = 0, rc, status = 1, applied = 0, cur = 0, latest = 0;
	struct store *st = NULL;
	json_t *report = NULL;
	char cmdname[64];

	pl_fmt(cmdname, sizeof(cmdname), "admin db %.20s", verb);
	cx->cmd = cmdname;
	int want_pos;
	if (!strcmp(verb, "migrate") || !strcmp(verb, "check") || !strcmp(verb, "kpi-rebuild"))
		want_pos = 0;
	else if (!strcmp(verb, "backup"))
		want_pos = 1;
	else
		return cli_usage_error("admin db", admin_usage, "unknown command '%s'", verb);
	rc = admin__parse(cmdname, argc, argv, 0, NULL, pos, 1, &npos);
	if (rc == 1) {
		fputs(admin_usage, stdout);
		return 0;
	}
	if (rc)
		return rc;
	if (npos != want_pos)
		return want_pos ? cli_usage_error(cmdname, admin_usage, "give the backup FILE")
				: cli_usage_error(cmdname, admin_usage, "unexpected argument '%s'",
						  pos[0]);
	/* check and backup look at the database as it is: no migration. */
	if (admin__open(cx, false, &st, NULL))
		goto out;
	if (!strcmp(verb, "migrate")) {
		rc = store_migrate(st, &applied);
		if (!rc)
			rc = store_schema_version(st, &cur, &latest);
		if (rc) {
			status = admin__fail(cx, rc, NULL);
			goto out;
		}
		printf("applied %d migration(s); schema version %d of %d\n", applied, cur, latest);
	} else if (!strcmp(verb, "backup")) {
		rc = store_backup(st, pos[0]);
		if (rc) {
			status = admin__fail(cx, rc, NULL);
			goto out;
		}
		fprintf(stderr, "backup written to %s\n", pos[0]);
	} else if (!strcmp(verb, "kpi-rebuild")) {
		int64_t rows = 0;
		rc = desk_kpi_rollup_rebuild(st, &rows);
		if (rc) {
			status = admin__fail(cx, rc, NULL);
			goto out;
		}
		printf("rebuilt the desk KPI rollup: %lld rows\n", (long long)rows);
	} else {
		rc = store_check(st, &report);
		if (report)
			admin__print_json(report);
		if (rc) {
			status = admin__fail(cx, rc, NULL);
			goto out;
		}
	}
	status = 0;
out:
	json_decref(report);
	store_free(st);
	return status;
}

/* ------------------------------------------------------------ admin mqtt
 * Broker access per line: every line gets a broker user
 * "line-<group>-<node>" with a new random password, allowed to publish
 * only its own edge node's Sparkplug topics (NBIRTH/NDEATH/NDATA and its
 * devices' DBIRTH/DDEATH/DDATA) and the same under the plain JSON prefix,
 * and to read its NCMD/DCMD and the host STATE; the host user (parkline
 * serve --mqtt) may read and write everything under spBv1.0/ and
 * parkline/json/. Files: password_file (mosquitto's PBKDF2-SHA512 "$7$"
 * format, as mosquitto_passwd writes it, so no password is ever on a
 * command line), acl_file, and credentials (user, password and topics per
 * line, for the devices; mode 0600). Each file is written beside its
 * final name and renamed, so a broker never reads half a file. Running it
 * again issues new passwords for everyone. */
#define MQTT_PW_ITER 101     /* mosquitto_passwd's default */
#define MQTT_PW_SALT 12

/* One Sparkplug id fit for a topic and a user name: 1..64 of [A-Za-z0-9._-]. */
static bool admin__sp_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* Appends "user:$7$101$salt$hash\n" for password pw. */
static int admin__pw_line(struct pl_buf *b, const char *user, const char *pw)
{
	unsigned char salt[MQTT_PW_SALT], hash[64];
	char s64[64], h64[128];
	randombytes_buf(salt, sizeof(salt));
	if (!PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof(salt), MQTT_PW_ITER, EVP_sha512(),
			       sizeof(hash), hash))
		return PL_EIO;
	sodium_bin2base64(s64, sizeof(s64), salt, sizeof(salt), sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(h64, sizeof(h64), hash, sizeof(hash), sodium_base64_VARIANT_ORIGINAL);
	return pl_buf_printf(b, "%s:$7$%d$%s$%s\n", user, MQTT_PW_ITER, s64, h64);
}

/* A new password: 24 random bytes as hex. */
static void admin__pw_new(char out[49])
{
	unsigned char r[24];
	randombytes_buf(r, sizeof(r));
	pl_hex(r, sizeof(r), out);
}

/* Writes data to dir/name via a temp file and rename, with mode. */
static int admin__write(const char *dir, const char *name, const struct pl_buf *b, mode_t mode)
{
	char tmp[4200], dst[4200];
	int fd, rc = PL_EIO;
	pl_fmt(dst, sizeof(dst), "%s/%s", dir, name);
	pl_fmt(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return PL_EIO;
	if (fchmod(fd, mode) == 0 && (b->len == 0 || write(fd, b->data, b->len) == (ssize_t)b->len) &&
	    fsync(fd) == 0)
		rc = 0;
	if (close(fd) != 0)
		rc = PL_EIO;
	if (rc == 0 && rename(tmp, dst) != 0)
		rc = PL_EIO;
	if (rc)
		unlink(tmp);
	return rc;
}

static int admin__mqtt(struct admin_ctx *cx, const char *verb, int argc, char **argv)
{
	struct admin_opt opts[] = { { "--out", true, NULL }, { "--host-user", true, NULL }, { NULL, false, NULL } };
	const char *pos[1];
	int npos = 0, rc, status = 1, n = 0;
	struct store *st = NULL;
	struct store_conn *c = NULL;
	json_t *lines = NULL, *l;
	struct pl_buf pw, acl, cred;
	char hostpw[49];
	size_t i;

	cx->cmd = "admin mqtt";
	pl_buf_init(&pw, 4u << 20);
	pl_buf_init(&acl, 16u << 20);
	pl_buf_init(&cred, 16u << 20);
	/* "admin mqtt --out DIR": the verb slot holds the first option */
	rc = admin__parse(cx->cmd, argc + 1, argv - 1, 0, opts, pos, 0, &npos);
	if (rc == 1) {
		fputs(admin_usage, stdout);
		status = 0;
		goto out;
	}
	(void)verb;
	if (rc) {
		status = rc;
		goto out;
	}
	const char *dir = admin__opt(opts, "--out");
	const char *host = admin__opt(opts, "--host-user") ? admin__opt(opts, "--host-user") : "parkline-host";
	if (!dir || !*dir) {
		status = cli_usage_error(cx->cmd, admin_usage, "--out DIR is required");
		goto out;
	}
	if (!admin__sp_id_ok(host)) {
		status = cli_usage_error(cx->cmd, admin_usage, "--host-user must be 1..64 of A-Z a-z 0-9 . _ -");
		goto out;
	}
	struct stat sb;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "parkline admin mqtt: %s is not a directory\n", dir);
		goto out;
	}
	if (admin__open(cx, true, &st, NULL) || store_conn_get(st, &c))
		goto out;
	if ((rc = store_query_json(c, "SELECT id, sp_group, sp_node, name FROM lines ORDER BY sp_group, sp_node",
				   NULL, 0, 100000, &lines))) {
		status = admin__fail(cx, rc, NULL);
		goto out;
	}
	admin__pw_new(hostpw);
	rc = admin__pw_line(&pw, host, hostpw);
	rc |= pl_buf_printf(&acl, "# written by parkline admin mqtt; one block per broker user\n"
				 "user %s\ntopic readwrite spBv1.0/#\ntopic readwrite parkline/json/#\n", host);
	rc |= pl_buf_printf(&cred, "# user password line_id group/node (mode 0600: keep it secret)\n"
				  "%s %s host -\n", host, hostpw);
	json_array_foreach(lines, i, l) {
		const char *g = pl_json_str(l, "sp_group"), *nd = pl_json_str(l, "sp_node");
		char user[160], p[49];
		if (!g || !nd || !admin__sp_id_ok(g) || !admin__sp_id_ok(nd)) {
			fprintf(stderr, "parkline admin mqtt: line %s skipped: its Sparkplug ids are not"
				" safe in a topic\n", pl_json_str(l, "id"));
			continue;
		}
		pl_fmt(user, sizeof(user), "line-%s-%s", g, nd);
		admin__pw_new(p);
		rc |= admin__pw_line(&pw, user, p);
		rc |= pl_buf_printf(&acl, "\nuser %s\n", user);
		static const char *const own[] = { "NBIRTH", "NDEATH", "NDATA" };
		static const char *const dev[] = { "DBIRTH", "DDEATH", "DDATA" };
		for (int k = 0; k < 3; k++) {
			rc |= pl_buf_printf(&acl, "topic write spBv1.0/%s/%s/%s\n", g, own[k], nd);
			rc |= pl_buf_printf(&acl, "topic write spBv1.0/%s/%s/%s/+\n", g, dev[k], nd);
			rc |= pl_buf_printf(&acl, "topic write parkline/json/%s/%s/%s\n", g, own[k], nd);
			rc |= pl_buf_printf(&acl, "topic write parkline/json/%s/%s/%s/+\n", g, dev[k], nd);
		}
		rc |= pl_buf_printf(&acl, "topic read spBv1.0/%s/NCMD/%s\ntopic read spBv1.0/%s/DCMD/%s/+\n"
					  "topic read spBv1.0/STATE/+\n", g, nd, g, nd);
		rc |= pl_buf_printf(&cred, "%s %s %s %s/%s\n", user, p, pl_json_str(l, "id"), g, nd);
		n++;
	}
	if (rc) {
		fprintf(stderr, "parkline admin mqtt: too many lines for the files' caps\n");
		goto out;
	}
	if (admin__write(dir, "password_file", &pw, 0600) || admin__write(dir, "acl_file", &acl, 0644) ||
	    admin__write(dir, "credentials", &cred, 0600)) {
		fprintf(stderr, "parkline admin mqtt: cannot write the files in %s\n", dir);
		goto out;
	}
	fprintf(stderr, "wrote %s/password_file, acl_file and credentials: %d line user(s) and host"
		" user %s; in mosquitto.conf: password_file %s/password_file, acl_file %s/acl_file,"
		" allow_anonymous false\n", dir, n, host, dir, dir);
	status = 0;
out:
	sodium_memzero(hostpw, sizeof(hostpw));
	if (cred.data)
		sodium_memzero(cred.data, cred.len);
	pl_buf_release(&pw);
	pl_buf_release(&acl);
	pl_buf_release(&cred);
	json_decref(lines);
	store_conn_put(c);
	store_free(st);
	return status;
}

int cli_admin(int argc, char **argv, char **envp)
{
	struct admin_ctx cx = { .db = "var/parkline.db", .envp = envp, .cmd = "admin" };
	const char *env;
	int i = 1;

	if ((env = admin__env(envp, "PARKLINE_DB")) && *env)
		cx.db = env;
	env = admin__env(envp, "PARKLINE_HASH_COST");
	if (env && !strcmp(env, "interactive"))
		cx.cost = AUTH_HASH_INTERACTIVE;
	else if (env && !strcmp(env, "min"))
		cx.cost = AUTH_HASH_MIN;
	else if (env && *env && strcmp(env, "moderate"))
		return cli_usage_error("admin", admin_usage,
				       "PARKLINE_HASH_COST must be moderate, interactive or min");
	/* global options come before the group */
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(admin_usage, stdout);
			return 0;
		}
		if (!strncmp(a, "--db=", 5)) {
			cx.db = a + 5;
		} else if (!strcmp(a, "--db")) {
			if (i + 1 >= argc)
				return cli_usage_error("admin", admin_usage, "option '--db' needs a value");
			cx.db = argv[++i];
		} else {
			return cli_usage_error("admin", admin_usage, "unknown option '%s'", a);
		}
		i++;
	}
	if (!*cx.db)
		return cli_usage_error("admin", admin_usage, "--db is empty");
	if (i >= argc)
		return cli_usage_error("admin", admin_usage, "no group given (user, token or db)");
	const char *group = argv[i++];
	if (i >= argc || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
		if (i < argc) {
			fputs(admin_usage, stdout);
			return 0;
		}
		return cli_usage_error("admin", admin_usage, "no command given after '%s'", group);
	}
	const char *verb = argv[i++];
	if (!strcmp(group, "user"))
		return admin__user(&cx, verb, argc - i, argv + i);
	if (!strcmp(group, "token"))
		return admin__token(&cx, verb, argc - i, argv + i);
	if (!strcmp(group, "db"))
		return admin__db(&cx, verb, argc - i, argv + i);
	if (!strcmp(group, "mqtt")) /* the verb slot holds its first option */
		return admin__mqtt(&cx, verb, argc - i, argv + i);
	return cli_usage_error("admin", admin_usage, "unknown group '%s' (user, token or db)", group);
}
