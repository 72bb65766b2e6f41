/*
 * fuzz_config.c - libFuzzer target for pl_config_parse (src/core/config.c),
 * the reader of parkline's config file.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   1. all-or-nothing: when a file is rejected, every value and source is
 *      what it was before the call;
 *   2. an error always names something (err.text is non-empty);
 *   3. parsing an accepted file a second time gives the same values.
 * The key table mirrors the kind of keys serve declares; the fuzzer finds
 * them through the seed corpus.
 */
#include "core/core.h"

#include "fuzz.h"

static const struct pl_config_key fuzz_keys[] = {
	{ "listen", "127.0.0.1:8080", "address to listen on" },
	{ "db", "var/parkline.db", "SQLite path or postgresql:// URL" },
	{ "log_level", "info", "debug, info, warn or error" },
	{ "log_json", "0", "JSON-lines log" },
	{ "web_root", "web/dist", "built web UI" },
	{ "threads", "4", "HTTP worker threads" },
	{ NULL, NULL, NULL },
};

/* Copies every value so a later comparison does not depend on cfg. */
static char **fuzz_snapshot(const struct pl_config *cfg)
{
	char **v = pl_calloc(cfg->n + 1, sizeof(*v));
	for (size_t i = 0; i < cfg->n; i++)
		v[i] = pl_strdup(cfg->entries[i].value);
	return v;
}

static void fuzz_snapshot_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void fuzz_expect_same(const struct pl_config *cfg, char **v,
			     const char *what)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (strcmp(cfg->entries[i].value, v[i]) != 0) {
			fprintf(stderr, "%s: key %s changed\n", what,
				cfg->entries[i].key->name);
			FUZZ_CHECK(!"values unchanged");
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_config cfg;
	struct pl_json_error err;
	char **before;
	int rc;

	pl_config_init(&cfg, fuzz_keys);
	/* A flag set beforehand: a file must never override it. */
	pl_config_set(&cfg, "threads", "8", PL_CFG_FLAG, "flag --threads");
	before = fuzz_snapshot(&cfg);
	memset(&err, 0, sizeof(err));
	rc = pl_config_parse(&cfg, (const char *)data, size, "fuzz.conf", &err);
	if (rc != 0) {
		fuzz_expect_same(&cfg, before, "rejected file");
		FUZZ_CHECK(err.text[0] != '\0');
	} else {
		char **first = fuzz_snapshot(&cfg);
		/* A file never overrides a flag. */
		FUZZ_CHECK(strcmp(pl_config_get(&cfg, "threads"), "8") == 0);
		FUZZ_CHECK(pl_config_parse(&cfg, (const char *)data, size,
					   "fuzz.conf", &err) == 0);
		fuzz_expect_same(&cfg, first, "second parse");
		fuzz_snapshot_free(first, cfg.n);
	}
	fuzz_snapshot_free(before, cfg.n);
	pl_config_release(&cfg);
	return 0;
}
