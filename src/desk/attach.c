/*
 * attach.c - files attached to a 工单: type by content and storage outside
 * the database (desk.h "attachments"). The request-level calls (tenancy,
 * rows, audit) are in attach_repo.c, so this file needs no store and its
 * fuzz target (fuzz/fuzz_desk_attach.c) links only core and libsodium.
 *
 * NOTES ON THE DESIGN
 *  1. The type is the content's. desk_attach_sniff decides from magic
 *     bytes (PNG, JPEG, PDF, OOXML word/spreadsheet zips) or, for text,
 *     from the whole content being UTF-8 without control characters and
 *     not markup. The client's Content-Type and the file name's extension
 *     are claims that must agree with it; a file that disagrees (an .exe or
 *     an HTML page named .png) is refused with 415 and nothing is stored.
 *     Downloads are served with the stored type, "attachment" disposition
 *     and nosniff, so a browser never renders one as a page.
 *  2. Files are content-addressed: <dir>/<sha256-hex>. Equal content is
 *     stored once. A file is written to a temporary name in the same
 *     directory, fsync'ed, renamed and the directory fsync'ed, so after a
 *     crash the final name holds the whole content or does not exist.
 *  3. The database row (migration 7, attach_repo.c) is written after the
 *     file, in the caller's transaction. A rollback or a crash between the
 *     two leaves an unreferenced file, never a row without its file; such
 *     orphans are harmless (content-addressed) and a sweep could remove them.
 *  4. Every download re-hashes the file and refuses one that no longer
 *     matches its checksum (disk corruption, tampering): 500, not bad data.
 *  5. Tenancy and audit are the request's (attach_repo.c, repo_int.h): an
 *     attachment of a request the caller may not see does not exist for them.
 */
#include "desk/desk.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_PNG "image/png"
#define T_JPEG "image/jpeg"
#define T_PDF "application/pdf"
#define T_TEXT "text/plain"
#define T_DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define T_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* File name extensions we accept and the type each means. */
static const struct { const char *ext, *type; } attach__exts[] = {
	{ "png", T_PNG }, { "jpg", T_JPEG }, { "jpeg", T_JPEG }, { "pdf", T_PDF },
	{ "txt", T_TEXT }, { "csv", T_TEXT }, { "log", T_TEXT },
	{ "docx", T_DOCX }, { "xlsx", T_XLSX },
};
/* Declared types that mean one of ours (aliases clients send). */
static const struct { const char *declared, *type; } attach__aliases[] = {
	{ "image/jpg", T_JPEG }, { "image/pjpeg", T_JPEG }, { "text/csv", T_TEXT },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------- sniffing */

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid (overlong
 * forms, surrogates and code points past U+10FFFF are invalid). */
static size_t attach__utf8_len(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool attach__is_text(const uint8_t *d, size_t n)
{
	size_t i = 0, k;

	if (n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf)
		i = 3; /* BOM */
	/* Markup is not plain text: a page or an SVG renamed .txt is refused
	 * rather than stored, whatever a browser might make of it. */
	size_t j = i;
	while (j < n && (d[j] == ' ' || d[j] == '\t' || d[j] == '\r' || d[j] == '\n'))
		j++;
	if (j + 1 < n && d[j] == '<' &&
	    (d[j + 1] == '!' || d[j + 1] == '?' || d[j + 1] == '/' ||
	     ((d[j + 1] | 0x20) >= 'a' && (d[j + 1] | 0x20) <= 'z')))
		return false;
	for (; i < n; i += k) {
		if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\n' && d[i] != '\r' && d[i] != '\f')
			return false;
		if (d[i] == 0x7f)
			return false;
		if (!(k = attach__utf8_len(d + i, n - i)))
			return false;
	}
	return true;
}

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

/* An OOXML package: a zip whose central directory names
 * [Content_Types].xml and word/document.xml or xl/workbook.xml. Walks the
 * central-directory signatures; at most len/46 entries. */
static const char *attach__ooxml(const uint8_t *d, size_t n)
{
	static const uint8_t cdsig[4] = { 'P', 'K', 1, 2 };
	bool types = false, word = false, xl = false;
	const uint8_t *p = d, *end = d + n;

	while ((p = memmem(p, (size_t)(end - p), cdsig, 4)) != NULL) {
		if ((size_t)(end - p) < 46)
			break;
		size_t nl = le16(p + 28);
		if ((size_t)(end - p) < 46 + nl)
			break;
		const char *name = (const char *)p + 46;
		if (nl == 19 && !memcmp(name, "[Content_Types].xml", 19))
			types = true;
		if (nl == 17 && !memcmp(name, "word/document.xml", 17))
			word = true;
		if (nl == 15 && !memcmp(name, "xl/workbook.xml", 15))
			xl = true;
		p += 46 + nl;
	}
	if (!types || word == xl)
		return NULL;
	return word ? T_DOCX : T_XLSX;
}

const char *desk_attach_sniff(const uint8_t *d, size_t n)
{
	static const uint8_t png[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a };

	if (n >= 8 && !memcmp(d, png, 8))
		return T_PNG;
	if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return T_JPEG;
	if (n >= 5 && !memcmp(d, "%PDF-", 5))
		return T_PDF;
	if (n >= 4 && !memcmp(d, "PK\x03\x04", 4))
		return attach__ooxml(d, n);
	if (n > 0 && attach__is_text(d, n))
		return T_TEXT;
	return NULL;
}

/* --------------------------------------------------------------- checks */

static int attach__why(char *why, size_t whysz, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int attach__why(char *why, size_t whysz, int rc, const char *fmt, ...)
{
	va_list ap;
	if (why && whysz) {
		va_start(ap, fmt);
		vsnprintf(why, whysz, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int desk_attach_check(const char *filename, const char *declared, const uint8_t *data,
		      size_t len, const char **type, char *why, size_t whysz)
{
	const char *ext, *ext_type = NULL, *sniffed;
	size_t fl, k;

	*type = NULL;
	fl = filename ? strlen(filename) : 0;
	if (fl == 0 || fl > DESK_ATTACH_NAME_MAX)
		return attach__why(why, whysz, PL_EINVAL, "the file name must be 1 to %d bytes",
				   DESK_ATTACH_NAME_MAX);
	for (size_t i = 0; i < fl; i += k) {
		unsigned char ch = (unsigned char)filename[i];
		if (ch < 0x20 || ch == 0x7f || ch == '/' || ch == '\\')
			return attach__why(why, whysz, PL_EINVAL,
					   "the file name may not contain path separators or "
					   "control characters");
		if (!(k = attach__utf8_len((const uint8_t *)filename + i, fl - i)))
			return attach__why(why, whysz, PL_EINVAL, "the file name is not UTF-8");
	}
	if (filename[0] == '.')
		return attach__why(why, whysz, PL_EINVAL, "the file name may not start with '.'");
	ext = strrchr(filename, '.');
	for (size_t i = 0; ext && i < N_OF(attach__exts); i++)
		if (!strcasecmp(ext + 1, attach__exts[i].ext))
			ext_type = attach__exts[i].type;
	if (!ext_type)
		return attach__why(why, whysz, PL_EUNSUPPORTED,
				   "file name '%.80s' has no accepted extension; accepted: png, jpg, "
				   "jpeg, pdf, txt, csv, log, docx, xlsx", filename);
	if (len == 0)
		return attach__why(why, whysz, PL_EINVAL, "the file is empty");
	if (len > DESK_ATTACH_MAX)
		return attach__why(why, whysz, PL_ETOOBIG, "the file is larger than %u bytes",
				   DESK_ATTACH_MAX);
	sniffed = desk_attach_sniff(data, len);
	if (!sniffed)
		return attach__why(why, whysz, PL_EUNSUPPORTED,
				   "the content is not PNG, JPEG, PDF, Word/Excel (OOXML) or plain "
				   "UTF-8 text");
	if (strcmp(sniffed, ext_type))
		return attach__why(why, whysz, PL_EUNSUPPORTED,
				   "the content is %s but the file name says %s", sniffed, ext_type);
	if (declared && *declared) {
		char d[128];
		size_t n = strcspn(declared, ";");
		while (n > 0 && (declared[n - 1] == ' ' || declared[n - 1] == '\t'))
			n--;
		if (n >= sizeof(d))
			n = sizeof(d) - 1;
		memcpy(d, declared, n);
		d[n] = '\0';
		for (char *c = d; *c; c++)
			*c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
		const char *dt = d;
		for (size_t i = 0; i < N_OF(attach__aliases); i++)
			if (!strcmp(d, attach__aliases[i].declared))
				dt = attach__aliases[i].type;
		if (strcmp(dt, "application/octet-stream") && strcmp(dt, sniffed)) {
			for (char *c = d; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == '\'' || (unsigned char)*c >= 0x7f)
					*c = '?';
			return attach__why(why, whysz, PL_EUNSUPPORTED,
					   "the content is %s but was declared as '%.60s'", sniffed, d);
		}
	}
	*type = sniffed;
	return 0;
}

/* -------------------------------------------------------------- storage */

static void attach__sha256(const uint8_t *data, size_t len, char hex[DESK_SHA256_HEX + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	pl_hex(h, sizeof(h), hex);
}

static bool attach__hex_ok(const char *hex)
{
	if (!hex || strlen(hex) != DESK_SHA256_HEX)
		return false;
	for (const char *c = hex; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

/* "<dir>/<hex>", malloc'd. */
static char *attach__path(const char *dir, const char *hex)
{
	size_t n = strlen(dir) + 1 + DESK_SHA256_HEX + 1;
	char *p = pl_malloc(n);
	snprintf(p, n, "%s/%s", dir, hex);
	return p;
}

/* mkdir -p dir, mode 0700 for what it creates. */
static int attach__mkdirs(const char *dir)
{
	char *p = pl_strdup(dir);
	int rc = 0;

	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char save = *s;
		*s = '\0';
		if (mkdir(p, 0700) && errno != EEXIST) {
			rc = PL_EIO;
			break;
		}
		*s = save;
		if (!save)
			break;
	}
	free(p);
	return rc;
}

int desk_attach_put(const char *dir, const uint8_t *data, size_t len,
		    char hex[DESK_SHA256_HEX + 1])
{
	char *final = NULL, *tmp = NULL;
	int fd = -1, dfd = -1, rc = PL_EIO;
	struct stat st;

	attach__sha256(data, len, hex);
	if (attach__mkdirs(dir))
		return PL_EIO;
	final = attach__path(dir, hex);
	if (stat(final, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
		/* the same content is there (note 2), unless the file went bad:
		 * then it is replaced like a new one */
		uint8_t *old = NULL;
		size_t olen = 0;
		if (desk_attach_get(dir, hex, len, &old, &olen) == 0) {
			free(old);
			rc = 0;
			goto out;
		}
	}
	size_t tl = strlen(dir) + 16;
	tmp = pl_malloc(tl);
	snprintf(tmp, tl, "%s/.tmp-XXXXXX", dir);
	if ((fd = mkstemp(tmp)) < 0) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd) || close(fd)) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, final))
		goto out;
	free(tmp);
	tmp = NULL; /* renamed: nothing to unlink */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd))
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(final);
	return rc;
}

int desk_attach_get(const char *dir, const char *hex, size_t max, uint8_t **data,
		    size_t *len)
{
	char *path = NULL, got[DESK_SHA256_HEX + 1];
	uint8_t *buf = NULL;
	struct stat st;
	size_t off = 0;
	int fd = -1, rc = PL_EIO;

	*data = NULL;
	*len = 0;
	if (!attach__hex_ok(hex))
		return PL_EINVAL;
	path = attach__path(dir, hex);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = errno == ENOENT ? PL_ENOTFOUND : PL_EIO;
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out;
	if ((uint64_t)st.st_size > max) {
		rc = PL_ETOOBIG;
		goto out;
	}
	buf = pl_malloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		off += (size_t)r;
	}
	attach__sha256(buf, off, got);
	if (strcmp(got, hex))
		goto out; /* note 4 */
	*data = buf;
	*len = off;
	buf = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	return rc;
}

void desk_attach_default_dir(const char *db, char *out, size_t outsz)
{
	const char *slash;

	if (!db || !*db || !strncmp(db, "postgres", 8)) {
		pl_strlcpy(out, "var/attachments", outsz);
		return;
	}
	slash = strrchr(db, '/');
	if (!slash)
		pl_strlcpy(out, "attachments", outsz);
	else
		snprintf(out, outsz, "%.*s/attachments", (int)(slash - db), db);
}
