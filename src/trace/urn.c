/*
 * urn.c - canonical GS1 Digital Link -> EPC pure-identity URN (helper
 * "trace"), for clients that want EPCIS 1.x style identifiers.
 *
 * The repository keeps identifiers as canonical Digital Links (id.c), which
 * need no knowledge of company prefixes. The way back to a URN does: the
 * GS1 Company Prefix's length decides where the URN's first '.' goes. The
 * lengths come from a small table (data/gs1/gcp-length.txt: "prefix
 * length" lines, longest prefix wins); a key whose prefix is not in it is
 * PL_ENOTFOUND, and the caller keeps the Digital Link (the documented rule
 * for unknown prefixes). Covered: SGTIN (01+21), SSCC (00), SGLN (414
 * [+254]), GRAI (8003), PGLN (417), LGTIN (01+10, a class URN).
 */
#include "trace_int.h"

#include <string.h>

#define GCP_MAX 512

struct trace_gcp {
	size_t n;
	struct { char prefix[13]; int len; } e[GCP_MAX];
};

int trace_gcp_parse(const char *text, struct trace_gcp **out)
{
	struct trace_gcp *t = pl_calloc(1, sizeof(*t));
	const char *p = text;

	*out = NULL;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		char line[128], pre[32];
		int len = 0;
		if (ll < sizeof(line)) {
			memcpy(line, p, ll);
			line[ll] = '\0';
			char *hash = strchr(line, '#');
			if (hash)
				*hash = '\0';
			int k = sscanf(line, "%31s %d", pre, &len);
			if (k == 2) {
				size_t pl = strlen(pre);
				bool digits = pl >= 1 && pl <= 12 && strspn(pre, "0123456789") == pl;
				if (!digits || len < 6 || len > 12 || t->n == GCP_MAX) {
					free(t);
					return PL_EINVAL;
				}
				pl_strlcpy(t->e[t->n].prefix, pre, sizeof(t->e[t->n].prefix));
				t->e[t->n++].len = len;
			} else if (k == 1) {
				free(t);
				return PL_EINVAL;
			}
		} else {
			free(t);
			return PL_EINVAL;
		}
		p += ll + (eol ? 1 : 0);
	}
	*out = t;
	return 0;
}

void trace_gcp_free(struct trace_gcp *t)
{
	free(t);
}

/* The GCP length for the key digits d (indicator already dropped). */
static int gcp__len(const struct trace_gcp *t, const char *d)
{
	size_t best = 0;
	int len = -1;
	for (size_t i = 0; i < t->n; i++) {
		size_t pl = strlen(t->e[i].prefix);
		if (pl > best && !strncmp(d, t->e[i].prefix, pl)) {
			best = pl;
			len = t->e[i].len;
		}
	}
	return len;
}

/* "https://id.gs1.org/" AI "/" key ["/" AI2 "/" q] split into parts. */
static bool urn__split(const char *dl, char ai[8], char key[64], char ai2[8], char q[128])
{
	static const char base[] = "https://id.gs1.org/";
	ai2[0] = q[0] = '\0';
	if (strncmp(dl, base, sizeof(base) - 1))
		return false;
	return sscanf(dl + sizeof(base) - 1, "%7[0-9]/%63[^/]/%7[0-9]/%127s", ai, key, ai2, q) >= 2;
}

int trace_id_to_urn(const struct trace_gcp *t, const char *canon, char out[TRACE_ID_MAX])
{
	char ai[8], key[64], ai2[8], q[128];
	int g;

	if (!urn__split(canon, ai, key, ai2, q))
		return PL_EINVAL;
	if (!strcmp(ai, "01") && strlen(key) == 14 && (!strcmp(ai2, "21") || !strcmp(ai2, "10"))) {
		/* GTIN-14: indicator, GCP + item reference, check digit */
		if ((g = gcp__len(t, key + 1)) < 0)
			return PL_ENOTFOUND;
		pl_fmt(out, TRACE_ID_MAX, "urn:epc:%s:%.*s.%c%.*s.%s",
		       !strcmp(ai2, "21") ? "id:sgtin" : "class:lgtin", g, key + 1, key[0],
		       12 - g, key + 1 + g, q);
		return 0;
	}
	if (!strcmp(ai, "00") && strlen(key) == 18 && !ai2[0]) {
		if ((g = gcp__len(t, key + 1)) < 0)
			return PL_ENOTFOUND;
		pl_fmt(out, TRACE_ID_MAX, "urn:epc:id:sscc:%.*s.%c%.*s", g, key + 1, key[0],
		       16 - g, key + 1 + g);
		return 0;
	}
	if ((!strcmp(ai, "414") || !strcmp(ai, "417")) && strlen(key) == 13) {
		if ((g = gcp__len(t, key)) < 0)
			return PL_ENOTFOUND;
		if (!strcmp(ai, "417"))
			pl_fmt(out, TRACE_ID_MAX, "urn:epc:id:pgln:%.*s.%.*s", g, key, 12 - g, key + g);
		else
			pl_fmt(out, TRACE_ID_MAX, "urn:epc:id:sgln:%.*s.%.*s.%s", g, key, 12 - g,
			       key + g, !strcmp(ai2, "254") ? q : "0");
		return 0;
	}
	if (!strcmp(ai, "8003") && strlen(key) > 14 && !ai2[0]) {
		/* 0 + GCP + asset type + check digit, then the serial */
		if ((g = gcp__len(t, key + 1)) < 0)
			return PL_ENOTFOUND;
		pl_fmt(out, TRACE_ID_MAX, "urn:epc:id:grai:%.*s.%.*s.%s", g, key + 1, 12 - g,
		       key + 1 + g, key + 14);
		return 0;
	}
	return PL_ENOTFOUND;
}
