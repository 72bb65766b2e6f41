/* test_attach.c - request attachments (src/desk/attach.c): content
 * sniffing and the declared-type/extension agreement as tables, the
 * content-addressed store (temp file + rename, checksum on read, tamper
 * detection), and the request-level calls on a real store, SQLite and
 * PostgreSQL (tests/unit/support/store_env.h): tenancy, the per-request
 * cap, refused files leave no row, uploads are audited. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desk/repo.h"
#include "support/store_env.h"
#include "support/fixtures.h"

#define T_DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define T_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* A zip with a local header and one central-directory entry per name (all
 * the sniffer reads). *len gets its size; static buffer. */
static const uint8_t *zip_of(const char *const *names, size_t *len)
{
	static uint8_t b[1024];
	size_t n = 0;
	memcpy(b, "PK\x03\x04", 4);
	memset(b + 4, 0, 26);
	n = 30;
	for (; *names; names++) {
		size_t nl = strlen(*names);
		memset(b + n, 0, 46);
		memcpy(b + n, "PK\x01\x02", 4);
		b[n + 28] = (uint8_t)nl;
		memcpy(b + n + 46, *names, nl);
		n += 46 + nl;
	}
	*len = n;
	return b;
}

struct sniff_case {
	const char *what;
	const char *data;
	size_t len;      /* 0: strlen(data) */
	const char *want; /* NULL: refused */
};

Test(desk_attach, sniff)
{
	const struct sniff_case cases[] = {
		{ "png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "image/png" },
		{ "png signature cut short", "\x89PNG\r\n", 0, NULL },
		{ "jpeg", "\xff\xd8\xff\xe0\0\x10JFIF", 10, "image/jpeg" },
		{ "pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 0, "application/pdf" },
		{ "utf-8 text", "营业执照\t第二页\r\n", 0, "text/plain" },
		{ "text with a BOM", "\xef\xbb\xbfhello", 0, "text/plain" },
		{ "csv", "a,b\n1,2\n", 0, "text/plain" },
		{ "html", "  <!DOCTYPE html><p>x", 0, NULL },
		{ "html without doctype", "\n<html><script>", 0, NULL },
		{ "svg", "<svg onload=alert(1)>", 0, NULL },
		{ "xml prolog", "<?xml version=\"1.0\"?>", 0, NULL },
		{ "a NUL byte", "ab\0cd", 5, NULL },
		{ "an escape character", "ab\x1b[31m", 0, NULL },
		{ "overlong UTF-8", "a\xc0\xaf", 0, NULL },
		{ "a UTF-16 surrogate", "a\xed\xa0\x80", 0, NULL },
		{ "truncated UTF-8", "a\xe4\xb8", 0, NULL },
		{ "beyond U+10FFFF", "\xf4\x90\x80\x80", 0, NULL },
		{ "a Windows executable", "MZ\x90\0\x03\0\0\0", 8, NULL },
		{ "an ELF executable", "\x7f" "ELF\x02\x01\x01", 0, NULL },
		{ "a lone '<' is text", "< 5 km", 0, "text/plain" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->data);
		const char *got = desk_attach_sniff((const uint8_t *)c->data, len);
		if (!c->want)
			cr_expect_null(got, "%s: got %s", c->what, got);
		else
			cr_expect(got && !strcmp(got, c->want), "%s: got %s", c->what,
				  got ? got : "NULL");
	}
	size_t n;
	static const char *const docx[] = { "[Content_Types].xml", "_rels/.rels", "word/document.xml", NULL };
	static const char *const xlsx[] = { "[Content_Types].xml", "xl/workbook.xml", NULL };
	static const char *const jar[] = { "META-INF/MANIFEST.MF", "a.class", NULL };
	static const char *const both[] = { "[Content_Types].xml", "word/document.xml",
					    "xl/workbook.xml", NULL };
	static const char *const no_types[] = { "word/document.xml", NULL };
	const uint8_t *z = zip_of(docx, &n);
	cr_expect_str_eq(desk_attach_sniff(z, n), T_DOCX);
	z = zip_of(xlsx, &n);
	cr_expect_str_eq(desk_attach_sniff(z, n), T_XLSX);
	z = zip_of(jar, &n);
	cr_expect_null(desk_attach_sniff(z, n), "a plain zip (jar) is refused");
	z = zip_of(both, &n);
	cr_expect_null(desk_attach_sniff(z, n), "word and excel at once is not OOXML we know");
	z = zip_of(no_types, &n);
	cr_expect_null(desk_attach_sniff(z, n), "OOXML needs [Content_Types].xml");
	cr_expect_null(desk_attach_sniff((const uint8_t *)"", 0));
}

struct check_case {
	const char *name, *declared, *data;
	int rc;
	const char *type;
	const char *why; /* substring of the reason */
};

Test(desk_attach, check)
{
	static const char png[] = "\x89PNG\r\n\x1a\n....";
	const struct check_case cases[] = {
		{ "scan.png", "image/png", png, 0, "image/png", NULL },
		{ "SCAN.PNG", "IMAGE/PNG; x=y", png, 0, "image/png", NULL },
		{ "scan.png", NULL, png, 0, "image/png", NULL },
		{ "scan.png", "application/octet-stream", png, 0, "image/png", NULL },
		{ "说明.txt", "text/plain; charset=utf-8", "第二页", 0, "text/plain", NULL },
		{ "list.csv", "text/csv", "a,b", 0, "text/plain", NULL },
		{ "photo.jpg", "image/jpg", "\xff\xd8\xff\xdb", 0, "image/jpeg", NULL },
		{ "scan.png", "image/png", "<html><script>", PL_EUNSUPPORTED, NULL, "not PNG, JPEG" },
		{ "scan.png", "image/png", "%PDF-1.4", PL_EUNSUPPORTED, NULL, "file name says image/png" },
		{ "doc.pdf", "image/png", "%PDF-1.4", PL_EUNSUPPORTED, NULL, "declared as 'image/png'" },
		{ "note.txt", "text/html", "hello", PL_EUNSUPPORTED, NULL, "declared as 'text/html'" },
		{ "setup.exe", NULL, "MZ", PL_EUNSUPPORTED, NULL, "no accepted extension" },
		{ "noext", NULL, "hello", PL_EUNSUPPORTED, NULL, "no accepted extension" },
		{ "a.png.exe", NULL, png, PL_EUNSUPPORTED, NULL, "no accepted extension" },
		{ "../x.txt", NULL, "hello", PL_EINVAL, NULL, "path separators" },
		{ "a\\b.txt", NULL, "hello", PL_EINVAL, NULL, "path separators" },
		{ "a\nb.txt", NULL, "hello", PL_EINVAL, NULL, "control characters" },
		{ ".hidden.txt", NULL, "hello", PL_EINVAL, NULL, "start with '.'" },
		{ "bad\xff.txt", NULL, "hello", PL_EINVAL, NULL, "not UTF-8" },
		{ "", NULL, "hello", PL_EINVAL, NULL, "1 to 200 bytes" },
		{ "empty.txt", NULL, "", PL_EINVAL, NULL, "empty" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct check_case *c = &cases[i];
		const char *type = "unset";
		char why[200] = "";
		size_t len = c->data == png ? sizeof(png) - 1 : strlen(c->data);
		int rc = desk_attach_check(c->name, c->declared, (const uint8_t *)c->data, len,
					   &type, why, sizeof(why));
		cr_expect_eq(rc, c->rc, "case %zu (%s): rc %d (%s)", i, c->name, rc, why);
		if (c->type)
			cr_expect(type && !strcmp(type, c->type), "case %zu: type %s", i, type);
		else
			cr_expect_null(type, "case %zu: a type on refusal", i);
		if (c->why)
			cr_expect(strstr(why, c->why), "case %zu: '%s' lacks '%s'", i, why, c->why);
	}
	char longname[260];
	memset(longname, 'a', 201);
	memcpy(longname + 197, ".txt", 5);
	const char *type;
	char why[200];
	cr_expect_eq(desk_attach_check(longname, NULL, (const uint8_t *)"x", 1, &type, why,
				       sizeof(why)), PL_EINVAL, "201-byte name");
	uint8_t *big = calloc(1, DESK_ATTACH_MAX + 1);
	memset(big, 'a', DESK_ATTACH_MAX + 1);
	cr_expect_eq(desk_attach_check("big.txt", NULL, big, DESK_ATTACH_MAX + 1, &type, why,
				       sizeof(why)), PL_ETOOBIG);
	cr_expect_eq(desk_attach_check("big.txt", NULL, big, DESK_ATTACH_MAX, &type, why,
				       sizeof(why)), 0, "exactly the cap is allowed");
	free(big);
}

/* Files in dir other than . and ..; *tmp counts leftover temporaries. */
static int files_in(const char *dir, int *tmp)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	*tmp = 0;
	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		*tmp += !strncmp(e->d_name, ".tmp-", 5);
	}
	closedir(d);
	return n;
}

Test(desk_attach, store_put_get)
{
	char base[] = "/tmp/pl-attach-XXXXXX", dir[128], hex[DESK_SHA256_HEX + 1], hex2[65];
	uint8_t *data = NULL;
	size_t len = 0;
	int tmp;

	cr_assert_not_null(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/a/b", base); /* created on first use */
	cr_assert_eq(desk_attach_put(dir, (const uint8_t *)"abc", 3, hex), 0);
	cr_expect_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cr_assert_eq(desk_attach_put(dir, (const uint8_t *)"abc", 3, hex2), 0);
	cr_expect_str_eq(hex2, hex);
	cr_assert_eq(desk_attach_put(dir, (const uint8_t *)"abd", 3, hex2), 0);
	cr_expect_eq(files_in(dir, &tmp), 2, "equal content is stored once");
	cr_expect_eq(tmp, 0, "no temporary file is left");
	struct stat st;
	cr_assert_eq(stat(dir, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0700);

	cr_assert_eq(desk_attach_get(dir, hex, 1024, &data, &len), 0);
	cr_expect_eq(len, 3);
	cr_expect(!memcmp(data, "abc", 3));
	free(data);
	cr_expect_eq(desk_attach_get(dir, hex, 2, &data, &len), PL_ETOOBIG);
	cr_expect_eq(desk_attach_get(dir, "BA7816BF", 1024, &data, &len), PL_EINVAL);
	cr_expect_eq(desk_attach_get(dir, "../../etc/passwd", 1024, &data, &len), PL_EINVAL);
	cr_expect_eq(desk_attach_get(dir, "0000000000000000000000000000000000000000000000000000000000000000",
				     1024, &data, &len), PL_ENOTFOUND);
	/* tampering: the bytes no longer match the name */
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, hex);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	fputs("abX", f);
	fclose(f);
	cr_expect_eq(desk_attach_get(dir, hex, 1024, &data, &len), PL_EIO);
	cr_expect_null(data);
	/* uploading the content again repairs the bad file */
	cr_assert_eq(desk_attach_put(dir, (const uint8_t *)"abc", 3, hex2), 0);
	cr_assert_eq(desk_attach_get(dir, hex, 1024, &data, &len), 0);
	cr_expect(len == 3 && !memcmp(data, "abc", 3));
	free(data);
	data = NULL;
	cr_expect_eq(files_in(dir, &tmp), 2);
	cr_expect_eq(tmp, 0);

	/* an unwritable directory: PL_EIO, nothing under the final name */
	if (geteuid() != 0) {
		char ro[160];
		snprintf(ro, sizeof(ro), "%s/ro", base);
		cr_assert_eq(mkdir(ro, 0500), 0);
		cr_expect_eq(desk_attach_put(ro, (const uint8_t *)"xyz", 3, hex), PL_EIO);
		rmdir(ro);
	}
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	cr_expect_eq(system(cmd), 0);
}

Test(desk_attach, default_dir)
{
	static const char *const cases[][2] = {
		{ "var/parkline.db", "var/attachments" },
		{ "/srv/park/data.db", "/srv/park/attachments" },
		{ "park.db", "attachments" },
		{ "postgresql://u@h/db", "var/attachments" },
		{ "", "var/attachments" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		desk_attach_default_dir(cases[i][0], out, sizeof(out));
		cr_expect_str_eq(out, cases[i][1], "%s", cases[i][0]);
	}
}

/* ------------------------------------------------------------ on a store */

struct fx {
	struct tenv t;
	struct auth *a;
	struct desk_svc *svc;
	char dir[64];
	struct auth_principal spec, ent1, ent2;
};

static bool fx_open(struct fx *f, bool pg)
{
	char why[300] = "";
	memset(f, 0, sizeof(*f));
	if (!tenv_open(&f->t, pg, "attach"))
		return false;
	f->a = tfx_auth_demo(f->t.st);
	tfx_principal(f->a, "specialist1", &f->spec);
	tfx_principal(f->a, "ent1", &f->ent1);
	tfx_principal(f->a, "ent2", &f->ent2);
	cr_assert_eq(desk_svc_new("data/calendar", NULL, &f->svc, why, sizeof(why)), 0, "%s", why);
	pl_strlcpy(f->dir, "/tmp/pl-attrepo-XXXXXX", sizeof(f->dir));
	cr_assert_not_null(mkdtemp(f->dir));
	return true;
}

static void fx_close(struct fx *f)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	cr_expect_eq(system(cmd), 0);
	desk_svc_free(f->svc);
	auth_free(f->a);
	tenv_close(&f->t);
}

static int add(struct fx *f, const struct auth_principal *p, const char *id, const char *name,
	       const char *type, const char *data, char aid[PL_ID_LEN + 1])
{
	struct desk_actor a = { .p = p };
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	cr_assert_eq(store_begin(f->t.c), 0);
	int rc = desk_attach_add(f->svc, f->t.c, &a, id, name, type, (const uint8_t *)data,
				 strlen(data), 1795572000000LL, &o, &e);
	if (rc == 0) {
		cr_assert_eq(store_commit(f->t.c), 0);
		if (aid)
			pl_strlcpy(aid, pl_json_str(o, "id"), PL_ID_LEN + 1);
	} else {
		store_rollback(f->t.c);
	}
	json_decref(o);
	return rc;
}

TENV_TEST(desk_attach, request_attachments)
{
	struct fx f;
	struct desk_err e = { .text = "" };
	char id[PL_ID_LEN + 1], aid[PL_ID_LEN + 1];
	json_t *o = NULL, *meta = NULL;
	uint8_t *data = NULL;
	size_t len = 0;

	if (!fx_open(&f, d->pg))
		return;
	struct desk_actor a = { .p = &f.ent1 };
	struct desk_request_new in = { .channel = "web", .category = "help", .urgency = "normal",
				       .title = "attach", .description = "files" };
	cr_assert_eq(store_begin(f.t.c), 0);
	cr_assert_eq(desk_request_create(f.svc, f.t.c, &a, &in, 1795572000000LL, &o, &e), 0, "%s",
		     e.text);
	cr_assert_eq(store_commit(f.t.c), 0);
	pl_strlcpy(id, pl_json_str(o, "id"), sizeof(id));
	json_decref(o);

	/* not configured: 503, nothing stored */
	cr_expect_eq(add(&f, &f.ent1, id, "a.txt", "text/plain", "hello", NULL), PL_EBUSY);
	cr_assert_eq(desk_svc_set_attachments_dir(f.svc, f.dir), 0);

	cr_assert_eq(add(&f, &f.ent1, id, "说明.txt", "text/plain", "营业执照", aid), 0);
	cr_expect_eq(add(&f, &f.ent2, id, "x.txt", "text/plain", "sneaky", NULL), PL_ENOTFOUND);
	cr_expect_eq(add(&f, &f.ent1, id, "x.png", "image/png", "<html>", NULL), PL_EUNSUPPORTED);
	cr_expect_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM request_attachments WHERE request_id = ?",
			   id), 1, "refused files leave no row");
	cr_expect_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM audit_log WHERE action = ?",
			   "desk.request.attach"), 1);

	cr_assert_eq(desk_attach_list(f.t.c, &f.spec, id, &o, &e), 0, "%s", e.text);
	cr_expect_eq(json_array_size(json_object_get(o, "items")), 1);
	json_decref(o);
	cr_expect_eq(desk_attach_list(f.t.c, &f.ent2, id, &o, &e), PL_ENOTFOUND);

	cr_assert_eq(desk_attach_fetch(f.svc, f.t.c, &f.ent1, id, aid, &meta, &data, &len, &e), 0,
		     "%s", e.text);
	cr_expect_eq(len, strlen("营业执照"));
	cr_expect(!memcmp(data, "营业执照", len));
	cr_expect_str_eq(pl_json_str(meta, "type"), "text/plain");
	free(data);
	json_decref(meta);
	cr_expect_eq(desk_attach_fetch(f.svc, f.t.c, &f.ent2, id, aid, &meta, &data, &len, &e),
		     PL_ENOTFOUND);
	cr_expect_eq(desk_attach_fetch(f.svc, f.t.c, &f.ent1, id, "01M00000000000000000000000",
				       &meta, &data, &len, &e), PL_ENOTFOUND);

	/* up to DESK_ATTACH_PER_REQUEST files, then 409 */
	for (int i = 1; i < DESK_ATTACH_PER_REQUEST; i++) {
		char name[32], body[32];
		snprintf(name, sizeof(name), "f%d.txt", i);
		snprintf(body, sizeof(body), "file %d", i);
		cr_assert_eq(add(&f, &f.spec, id, name, NULL, body, NULL), 0, "file %d", i);
	}
	cr_expect_eq(add(&f, &f.ent1, id, "one-more.txt", NULL, "too many", NULL), PL_ECONFLICT);
	cr_expect_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM request_attachments WHERE request_id = ?",
			   id), DESK_ATTACH_PER_REQUEST);

	/* a corrupted file is refused on download */
	json_t *row = NULL;
	struct store_param q[] = { SP_TEXT(aid) };
	cr_assert_eq(store_query_one(f.t.c, "SELECT sha256 FROM request_attachments WHERE id = ?",
				     q, 1, &row), 0);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", f.dir, pl_json_str(row, "sha256"));
	json_decref(row);
	FILE *fp = fopen(path, "ab");
	cr_assert_not_null(fp);
	fputs("!", fp);
	fclose(fp);
	cr_expect_eq(desk_attach_fetch(f.svc, f.t.c, &f.ent1, id, aid, &meta, &data, &len, &e),
		     PL_EIO);
	fx_close(&f);
}
