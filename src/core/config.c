/*
 * config.c - layered configuration: flag > environment > file > default.
 * The key table is declared by the program (cli), so an unknown key in a
 * file or flag is an error rather than a silent typo. The file format is
 * deliberately small: "key = value" lines with # comments.
 */
#include "core.h"

#include <ctype.h>
#include <errno.h>

void pl_config_init(struct pl_config *cfg, const struct pl_config_key *keys)
{
	size_t n = 0;
	while (keys[n].name)
		n++;
	cfg->entries = pl_calloc(n ? n : 1, sizeof(*cfg->entries));
	cfg->n = n;
	for (size_t i = 0; i < n; i++) {
		cfg->entries[i].key = &keys[i];
		cfg->entries[i].value = pl_strdup(keys[i].def ? keys[i].def : "");
		cfg->entries[i].source = PL_CFG_DEFAULT;
		pl_strlcpy(cfg->entries[i].origin, "default",
			   sizeof(cfg->entries[i].origin));
	}
}

void pl_config_release(struct pl_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++)
		free(cfg->entries[i].value);
	free(cfg->entries);
	cfg->entries = NULL;
	cfg->n = 0;
}

static struct pl_config_entry *config__find(const struct pl_config *cfg,
					    const char *key)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (strcmp(cfg->entries[i].key->name, key) == 0)
			return &cfg->entries[i];
	return NULL;
}

int pl_config_set(struct pl_config *cfg, const char *key, const char *value,
		  enum pl_config_source src, const char *origin)
{
	struct pl_config_entry *e = config__find(cfg, key);
	if (!e)
		return PL_ENOTFOUND;
	if (src < e->source)
		return 0;
	free(e->value);
	e->value = pl_strdup(value);
	e->source = src;
	pl_strlcpy(e->origin, origin ? origin : pl_config_source_name(src),
		   sizeof(e->origin));
	return 0;
}

const char *pl_config_get(const struct pl_config *cfg, const char *key)
{
	struct pl_config_entry *e = config__find(cfg, key);
	return e ? e->value : NULL;
}

const char *pl_config_source_name(enum pl_config_source s)
{
	static const char *const names[] = { "default", "file", "env", "flag" };
	return names[s];
}

static bool config__keychar(char c)
{
	return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '_';
}

/* Parse one line [p, end) into key/value; trims blanks and quotes.
 * Returns 1 for a pair, 0 for a blank/comment line, PL_EINVAL on error. */
static int config__line(const char *p, const char *end, char *key, size_t ksz,
			char *val, size_t vsz, const char **why)
{
	const char *k0, *k1, *v0, *v1;

	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end || *p == '#')
		return 0;
	for (k0 = p; p < end && config__keychar(*p); p++)
		;
	k1 = p;
	if (k1 == k0) {
		*why = "expected a key (lower-case letters, digits, '_')";
		return PL_EINVAL;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != '=') {
		*why = "expected '=' after the key";
		return PL_EINVAL;
	}
	p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	v0 = p;
	v1 = end;
	if (v1 > v0 && *v0 == '"') {
		if (v1 - v0 < 2 || v1[-1] != '"') {
			*why = "unterminated quoted value";
			return PL_EINVAL;
		}
		v0++;
		v1--;
	}
	if ((size_t)(k1 - k0) >= ksz || (size_t)(v1 - v0) >= vsz) {
		*why = "key or value too long";
		return PL_EINVAL;
	}
	for (const char *q = v0; q < v1; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t') {
			*why = "control character in value";
			return PL_EINVAL;
		}
	memcpy(key, k0, (size_t)(k1 - k0));
	key[k1 - k0] = '\0';
	memcpy(val, v0, (size_t)(v1 - v0));
	val[v1 - v0] = '\0';
	return 1;
}

int pl_config_parse(struct pl_config *cfg, const char *text, size_t len,
		    const char *name, struct pl_json_error *err)
{
	struct pl_config staged;
	const char *p = text, *end = text + len, *nl, *why = NULL;
	char key[64], val[1024], origin[160];
	int line = 0, rc = 0;

	if (len > PL_CONFIG_FILE_MAX) {
		snprintf(err->text, sizeof(err->text), "%s: larger than %d bytes",
			 name, PL_CONFIG_FILE_MAX);
		return PL_ETOOBIG;
	}
	/* Stage into a copy so a bad file changes nothing (all-or-nothing). */
	staged.n = cfg->n;
	staged.entries = pl_calloc(cfg->n ? cfg->n : 1, sizeof(*staged.entries));
	for (size_t i = 0; i < cfg->n; i++) {
		staged.entries[i] = cfg->entries[i];
		staged.entries[i].value = pl_strdup(cfg->entries[i].value);
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		line++;
		if (memchr(p, '\0', (size_t)(nl - p))) {
			why = "NUL byte in line";
			rc = PL_EINVAL;
		} else {
			rc = config__line(p, nl, key, sizeof(key), val, sizeof(val), &why);
		}
		if (rc < 0)
			goto fail;
		if (rc == 1) {
			snprintf(origin, sizeof(origin), "file %.100s:%d", name, line);
			if (pl_config_set(&staged, key, val, PL_CFG_FILE, origin) < 0) {
				why = "unknown key";
				rc = PL_EINVAL;
				goto fail;
			}
		}
		p = nl + 1;
	}
	pl_config_release(cfg);
	*cfg = staged;
	return 0;
fail:
	snprintf(err->text, sizeof(err->text), "%.100s:%d: %s", name, line, why);
	err->position = (size_t)line;
	err->field[0] = '\0';
	pl_config_release(&staged);
	return rc;
}

int pl_config_load_file(struct pl_config *cfg, const char *path,
			struct pl_json_error *err)
{
	struct pl_buf b;
	char chunk[4096];
	size_t n;
	int rc = 0;
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(err->text, sizeof(err->text), "cannot open %.100s: %s",
			 path, strerror(errno));
		return PL_EIO;
	}
	pl_buf_init(&b, PL_CONFIG_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if ((rc = pl_buf_append(&b, chunk, n)) < 0) {
			snprintf(err->text, sizeof(err->text),
				 "%.100s: larger than %d bytes", path,
				 PL_CONFIG_FILE_MAX);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err->text, sizeof(err->text), "cannot read %.100s", path);
		rc = PL_EIO;
		goto out;
	}
	rc = pl_config_parse(cfg, b.data ? b.data : "", b.len, path, err);
out:
	pl_buf_release(&b);
	fclose(f);
	return rc;
}

void pl_config_load_env(struct pl_config *cfg, char *const *envp)
{
	char key[64], origin[96];

	for (; envp && *envp; envp++) {
		const char *e = *envp, *eq;
		size_t i, klen;
		if (strncmp(e, "PARKLINE_", 9) != 0 || !(eq = strchr(e, '=')))
			continue;
		klen = (size_t)(eq - e) - 9;
		if (klen == 0 || klen >= sizeof(key))
			continue;
		for (i = 0; i < klen; i++)
			key[i] = (char)tolower((unsigned char)e[9 + i]);
		key[klen] = '\0';
		snprintf(origin, sizeof(origin), "env %.*s", (int)(eq - e), e);
		pl_config_set(cfg, key, eq + 1, PL_CFG_ENV, origin);
	}
}
