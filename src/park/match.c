/*
 * match.c - supplier matching (强链条): the relevance model (pure), the
 * catalogue on the store, suggestions, and "introduce us" through the
 * service desk. The contract and the model's rules are in match.h; the
 * schema is migration 11 (park_catalog, park_match_profiles,
 * park_introductions).
 *
 * NOTES ON THE DESIGN
 *  1. Terms are fixed-size strings (PARK_MATCH_TERM_MAX bytes): a CJK
 *     bigram is 6 bytes, so only long ASCII words are ever cut, and fixed
 *     slots let one qsort + bsearch count a document's term frequencies
 *     without a hash table.
 *  2. Ranking is two passes over the documents: pass 1 tokenises each
 *     document once and keeps only its length and the frequencies of the
 *     need's (at most PARK_MATCH_QTERMS_MAX) terms; pass 2 turns those into
 *     BM25 with the document frequencies pass 1 counted. Memory is
 *     O(docs x need terms), bounded by the two caps.
 *  3. Only "make" items take part: what an enterprise buys stays between it,
 *     its specialist and the park (park_catalog_get's tenancy), while what
 *     it makes is what it declared in order to be found.
 */
#include "park/match.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#define MATCH_K1 1.2
#define MATCH_B 0.75

typedef char match_term[PARK_MATCH_TERM_MAX + 1];

struct match_terms {
	match_term *t;  /* owned */
	size_t n, cap;
};

static void match__terms_push(struct match_terms *ts, const char *s, size_t len)
{
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 32, bytes;
		if (!pl_size_mul(cap, sizeof(match_term), &bytes))
			abort();
		ts->t = pl_realloc(ts->t, bytes);
		ts->cap = cap;
	}
	if (len > PARK_MATCH_TERM_MAX)
		len = PARK_MATCH_TERM_MAX;
	memcpy(ts->t[ts->n], s, len);
	ts->t[ts->n][len] = '\0';
	ts->n++;
}

/* Decodes one UTF-8 character at s; *len gets its byte length (1 for an
 * invalid byte, which then decodes as U+FFFD and separates runs). */
static uint32_t match__utf8(const unsigned char *s, size_t *len)
{
	uint32_t c = s[0];
	size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	*len = 1;
	if (n == 0)
		return 0xFFFD;
	if (n == 1)
		return c;
	c &= 0x3F >> (n - 1);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		c = (c << 6) | (s[i] & 0x3F);
	}
	*len = n;
	return c;
}

static bool match__cjk(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF);
}

static bool match__alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Rule 1 of match.h: CJK bigrams and lower-cased ASCII words. */
static void match__tokenize(const char *text, struct match_terms *ts)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	const unsigned char *prev = NULL; /* previous CJK character in this run */
	size_t prevlen = 0, runlen = 0;

	while (*s) {
		size_t len;
		uint32_t c = match__utf8(s, &len);
		if (match__cjk(c)) {
			if (prev) {
				match__terms_push(ts, (const char *)prev, prevlen + len);
			}
			prev = s;
			prevlen = len;
			runlen++;
			s += len;
			continue;
		}
		if (runlen == 1) /* a lone ideograph is a term of its own */
			match__terms_push(ts, (const char *)prev, prevlen);
		prev = NULL;
		runlen = 0;
		if (match__alnum(c)) {
			char w[PARK_MATCH_TERM_MAX];
			size_t wl = 0;
			while (*s < 0x80 && match__alnum(*s)) {
				if (wl < sizeof(w))
					w[wl++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
				s++;
			}
			match__terms_push(ts, w, wl);
			continue;
		}
		s += len;
	}
	if (runlen == 1)
		match__terms_push(ts, (const char *)prev, prevlen);
}

int park_match_terms(const char *text, struct pl_buf *b)
{
	struct match_terms ts = { 0 };
	int rc = 0;
	match__tokenize(text, &ts);
	for (size_t i = 0; i < ts.n && rc == 0; i++)
		rc = pl_buf_printf(b, "%s%s", i ? " " : "", ts.t[i]);
	free(ts.t);
	return rc;
}

/* ---------------------------------------------------------- industry codes */

/* GB/T 4754-2017 sections and the 大类 (two-digit divisions) each holds. */
static const struct { char sec; int lo, hi; } match__sections[] = {
	{ 'A', 1, 5 }, { 'B', 6, 12 }, { 'C', 13, 43 }, { 'D', 44, 46 }, { 'E', 47, 50 },
	{ 'F', 51, 52 }, { 'G', 53, 60 }, { 'H', 61, 62 }, { 'I', 63, 65 }, { 'J', 66, 69 },
	{ 'K', 70, 70 }, { 'L', 71, 72 }, { 'M', 73, 75 }, { 'N', 76, 79 }, { 'O', 80, 82 },
	{ 'P', 83, 83 }, { 'Q', 84, 85 }, { 'R', 86, 90 }, { 'S', 91, 97 }, { 'T', 98, 98 },
};

int park_match_code_norm(const char *in, char out[PARK_MATCH_CODE_LEN])
{
	char letter = 0;
	size_t nd = 0;
	const char *s = in;

	out[0] = '\0';
	if (!s)
		return PL_EINVAL;
	if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
		letter = (char)(*s++ & ~0x20);
	for (const char *d = s; *d; d++, nd++)
		if (*d < '0' || *d > '9' || nd >= 4)
			return PL_EINVAL;
	if (nd < 2)
		return PL_EINVAL;
	int div = (s[0] - '0') * 10 + (s[1] - '0');
	for (size_t i = 0; i < sizeof(match__sections) / sizeof(match__sections[0]); i++) {
		if (div < match__sections[i].lo || div > match__sections[i].hi)
			continue;
		if (letter && letter != match__sections[i].sec)
			return PL_EINVAL;
		out[0] = match__sections[i].sec;
		memcpy(out + 1, s, nd);
		out[1 + nd] = '\0';
		return 0;
	}
	return PL_EINVAL;
}

int park_match_code_common(const char *a, const char *b)
{
	int n = 0;
	if (!a || !b || !a[0] || !b[0] || a[0] != b[0])
		return 0;
	for (size_t i = 1; a[i] && b[i] && a[i] == b[i] && i <= 4; i++)
		n++;
	return n >= 2 ? n : 0;
}

/* ------------------------------------------------------------------ rank */

static int match__term_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* Occurrences of term in the sorted terms ts. */
static unsigned match__tf(const struct match_terms *ts, const char *term)
{
	const match_term *hit = bsearch(term, ts->t, ts->n, sizeof(match_term), match__term_cmp);
	if (!hit)
		return 0;
	const match_term *lo = hit, *hi = hit;
	while (lo > ts->t && !strcmp(lo[-1], term))
		lo--;
	while (hi + 1 < ts->t + ts->n && !strcmp(hi[1], term))
		hi++;
	return (unsigned)(hi - lo + 1);
}

struct match_cand {
	size_t doc;
	double score;
};

/* By enterprise, then best score first, then lower index; ctx: the docs. */
static int match__cand_ent_cmp(const void *a, const void *b, void *ctx)
{
	const struct park_match_doc *docs = ctx;
	const struct match_cand *x = a, *y = b;
	int c = strcmp(docs[x->doc].enterprise_id, docs[y->doc].enterprise_id);
	if (c)
		return c;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static int match__cand_score_cmp(const void *a, const void *b)
{
	const struct match_cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

int park_match_rank(const struct park_match_doc *docs, size_t n,
		    const struct park_match_query *q, struct park_match_hit *hits,
		    size_t max, size_t *nhits)
{
	struct match_terms qt = { 0 }, dt = { 0 };
	uint16_t *tf = NULL;
	uint32_t *dl = NULL;
	double *idf = NULL;
	struct match_cand *cand = NULL;
	size_t m = 0, ncand = 0, bytes;
	int rc = 0;

	*nhits = 0;
	if (n > PARK_MATCH_DOCS_MAX)
		return PL_ETOOBIG;
	if (q->ncodes > PARK_MATCH_CODES_MAX)
		return PL_EINVAL;
	/* the need's distinct terms, in order of appearance, capped */
	match__tokenize(q->text, &qt);
	for (size_t i = 0; i < qt.n && m < PARK_MATCH_QTERMS_MAX; i++) {
		bool seen = false;
		for (size_t j = 0; j < m && !seen; j++)
			seen = !strcmp(qt.t[j], qt.t[i]);
		if (!seen)
			memmove(qt.t[m++], qt.t[i], sizeof(match_term));
	}
	if (m == 0 && q->ncodes == 0) {
		rc = PL_EINVAL;
		goto out;
	}
	if (n == 0)
		goto out;
	/* pass 1 (note 2): document lengths and the need's term frequencies */
	if (!pl_size_mul(n, m ? m : 1, &bytes) || !pl_size_mul(bytes, sizeof(*tf), &bytes))
		abort();
	tf = pl_calloc(1, bytes);
	dl = pl_calloc(n, sizeof(*dl));
	idf = pl_calloc(m ? m : 1, sizeof(*idf));
	cand = pl_calloc(n, sizeof(*cand));
	double total = 0;
	for (size_t d = 0; d < n; d++) {
		dt.n = 0;
		match__tokenize(docs[d].product, &dt); /* the name counts twice */
		match__tokenize(docs[d].product, &dt);
		match__tokenize(docs[d].description, &dt);
		qsort(dt.t, dt.n, sizeof(match_term), match__term_cmp);
		dl[d] = (uint32_t)dt.n;
		total += (double)dt.n;
		for (size_t j = 0; j < m; j++) {
			unsigned f = match__tf(&dt, qt.t[j]);
			tf[d * m + j] = (uint16_t)(f > UINT16_MAX ? UINT16_MAX : f);
			if (f)
				idf[j] += 1; /* document frequency for now */
		}
	}
	for (size_t j = 0; j < m; j++)
		idf[j] = log(1.0 + ((double)n - idf[j] + 0.5) / (idf[j] + 0.5));
	double avgdl = total > 0 ? total / (double)n : 1.0;
	/* pass 2: scores; candidates by rule 4 */
	for (size_t d = 0; d < n; d++) {
		if (q->exclude_enterprise_id && !strcmp(docs[d].enterprise_id, q->exclude_enterprise_id))
			continue;
		double text = 0;
		size_t matched = 0;
		for (size_t j = 0; j < m; j++) {
			double f = tf[d * m + j];
			if (f > 0) {
				text += idf[j] * f * (MATCH_K1 + 1) /
					(f + MATCH_K1 * (1 - MATCH_B + MATCH_B * dl[d] / avgdl));
				matched++;
			}
		}
		/* one shared bigram is weak evidence in Chinese (西林瓶 vs
		 * 阿莫西林): ask for two when the need has two */
		if (matched < (m < 2 ? m : 2))
			text = 0;
		int digits = 0;
		for (size_t k = 0; k < q->ncodes; k++) {
			int c = park_match_code_common(q->codes[k], docs[d].industry_code);
			if (c > digits)
				digits = c;
		}
		if (text < PARK_MATCH_MIN_TEXT && digits < 3)
			continue;
		double code = digits == 4 ? 3.0 : digits == 3 ? 2.0 : digits == 2 ? 1.0 : 0.0;
		double base = text + code;
		double score = base + (docs[d].in_park ? PARK_MATCH_PARK_BONUS * base : 0.0);
		cand[ncand++] = (struct match_cand){ d, score };
	}
	/* one per enterprise: its best item */
	qsort_r(cand, ncand, sizeof(*cand), match__cand_ent_cmp, (void *)docs);
	size_t k = 0;
	for (size_t i = 0; i < ncand; i++)
		if (i == 0 || strcmp(docs[cand[i].doc].enterprise_id,
				     docs[cand[k - 1].doc].enterprise_id))
			cand[k++] = cand[i];
	ncand = k;
	qsort(cand, ncand, sizeof(*cand), match__cand_score_cmp);
	for (size_t i = 0; i < ncand && i < max; i++) {
		size_t d = cand[i].doc;
		struct park_match_hit *h = &hits[i];
		*h = (struct park_match_hit){ .doc = d, .score = cand[i].score };
		for (size_t c = 0; c < q->ncodes; c++) {
			int cd = park_match_code_common(q->codes[c], docs[d].industry_code);
			if (cd > h->code_digits)
				h->code_digits = cd;
		}
		h->code_bonus = h->code_digits == 4 ? 3.0 : h->code_digits == 3 ? 2.0
			      : h->code_digits == 2 ? 1.0 : 0.0;
		/* matched terms by their weight here, heaviest first */
		double w[PARK_MATCH_TERMS_SHOWN] = { 0 };
		for (size_t j = 0; j < m; j++) {
			double f = tf[d * m + j];
			if (f <= 0)
				continue;
			double s = idf[j] * f * (MATCH_K1 + 1) /
				   (f + MATCH_K1 * (1 - MATCH_B + MATCH_B * dl[d] / avgdl));
			h->text_score += s;
			size_t at = h->nterms < PARK_MATCH_TERMS_SHOWN ? h->nterms : PARK_MATCH_TERMS_SHOWN;
			while (at > 0 && w[at - 1] < s)
				at--;
			if (at >= PARK_MATCH_TERMS_SHOWN)
				continue;
			size_t last = h->nterms < PARK_MATCH_TERMS_SHOWN ? h->nterms
									 : PARK_MATCH_TERMS_SHOWN - 1;
			for (size_t z = last; z > at; z--) {
				w[z] = w[z - 1];
				memcpy(h->terms[z], h->terms[z - 1], sizeof(h->terms[z]));
			}
			w[at] = s;
			memcpy(h->terms[at], qt.t[j], sizeof(h->terms[at]));
			if (h->nterms < PARK_MATCH_TERMS_SHOWN)
				h->nterms++;
		}
		if (h->nterms < (m < 2 ? m : 2)) { /* the rule of pass 2: no text evidence */
			h->text_score = 0;
			h->nterms = 0;
		}
		h->park_bonus = h->score - h->text_score - h->code_bonus;
		(*nhits)++;
	}
out:
	free(qt.t);
	free(dt.t);
	free(tf);
	free(dl);
	free(idf);
	free(cand);
	return rc;
}

/* ------------------------------------------------------------ the store */

static void match__err(struct park_match_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void match__err(struct park_match_err *err, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
}

static int match__db(struct park_match_err *err, int rc, const char *what)
{
	if (err && !err->text[0])
		match__err(err, "the store failed while %s", what);
	return rc;
}

static bool match__nonempty(const char *s)
{
	return s && s[0];
}

/* Text without control characters and not blank, of at most max bytes
 * (min 0 allows ""). */
static int match__text(const char *field, const char *v, size_t max, bool required,
		       struct park_match_err *err)
{
	bool blank = true;
	if (!v)
		v = "";
	if (strlen(v) > max) {
		match__err(err, "field '%s' is longer than %zu bytes", field, max);
		return PL_EINVAL;
	}
	for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
		if (*s < 0x20 || *s == 0x7f) {
			match__err(err, "field '%s' contains a control character", field);
			return PL_EINVAL;
		}
		blank &= *s == ' ';
	}
	if (required && blank) {
		match__err(err, "field '%s' must not be empty", field);
		return PL_EINVAL;
	}
	return 0;
}

/* Resolves and authorises enterprise id for p under park.match: enterprise
 * users default to their own; a missing or invisible enterprise is
 * PL_ENOTFOUND (as a path id) or PL_EINVAL naming field (as a body or
 * query field, field != NULL). *name (may be NULL) gets name_zh (new). */
static int match__enterprise(struct store_conn *c, const struct auth_principal *p,
			     const char *field, const char **id, json_t **row,
			     struct park_match_err *err)
{
	struct auth_target t;
	int rc;

	*row = NULL;
	if (!match__nonempty(*id) && p && p->role == AUTH_ROLE_ENTERPRISE)
		*id = p->enterprise_id;
	if (!match__nonempty(*id)) {
		match__err(err, "field '%s' is required", field ? field : "id");
		return PL_EINVAL;
	}
	if (pl_id_valid(*id)) {
		struct store_param q[] = { SP_TEXT(*id) };
		rc = store_query_one(c, "SELECT id, name_zh FROM enterprises WHERE id = ?", q, 1, row);
		if (rc && rc != PL_ENOTFOUND)
			return match__db(err, rc, "reading the enterprise");
		if (rc == 0) {
			if ((rc = auth_target_for(c, p, *id, &t)))
				return json_decref(*row), *row = NULL, match__db(err, rc, "checking the assignment");
			rc = p ? auth_authorize(p, AUTH_A_PARK_MATCH, &t) : 0;
			if (rc == 0)
				return 0;
			json_decref(*row);
			*row = NULL;
			if (rc != PL_ENOTFOUND) {
				match__err(err, "you may not do park.match");
				return rc;
			}
		}
	}
	if (field) {
		match__err(err, "field '%s': no enterprise %.40s", field, *id);
		return PL_EINVAL;
	}
	match__err(err, "no enterprise %.40s", *id);
	return PL_ENOTFOUND;
}

/* The catalogue of an enterprise already authorised. */
static int match__catalog(struct store_conn *c, const json_t *ent, json_t **out)
{
	const char *id = pl_json_str(ent, "id");
	json_t *prof = NULL, *items = NULL;
	int rc;

	*out = NULL;
	struct store_param q[] = { SP_TEXT(id) };
	rc = store_query_one(c, "SELECT in_park, updated_at FROM park_match_profiles "
			     "WHERE enterprise_id = ?", q, 1, &prof);
	if (rc && rc != PL_ENOTFOUND)
		return rc;
	if ((rc = store_query_json(c, "SELECT kind, industry_code, product, description "
				   "FROM park_catalog WHERE enterprise_id = ? ORDER BY seq LIMIT 101",
				   q, 1, PARK_MATCH_ITEMS_MAX, &items)))
		goto out;
	*out = json_pack("{s:s, s:O, s:b, s:o, s:O}", "enterprise_id", id, "enterprise_name",
			 json_object_get(ent, "name_zh"), "in_park",
			 prof ? json_integer_value(json_object_get(prof, "in_park")) != 0 : 1,
			 "updated_at", prof ? json_incref(json_object_get(prof, "updated_at")) : json_null(),
			 "items", items);
out:
	json_decref(prof);
	json_decref(items);
	return rc;
}

int park_catalog_get(struct store_conn *c, const struct auth_principal *p,
		     const char *enterprise_id, json_t **out, struct park_match_err *err)
{
	json_t *ent = NULL;
	int rc;

	*out = NULL;
	if ((rc = match__enterprise(c, p, NULL, &enterprise_id, &ent, err)))
		return rc;
	if ((rc = match__catalog(c, ent, out)))
		match__db(err, rc, "reading the catalogue");
	json_decref(ent);
	return rc;
}

int park_catalog_put(struct store_conn *c, const struct desk_actor *a,
		     const char *enterprise_id, const json_t *body, int64_t now_ms,
		     json_t **out, struct park_match_err *err)
{
	const json_t *items = json_object_get(body, "items");
	const json_t *inpark = json_object_get(body, "in_park");
	char codes[PARK_MATCH_ITEMS_MAX][PARK_MATCH_CODE_LEN];
	char now[PL_TIME_STRLEN], field[64];
	json_t *ent = NULL, *before = NULL, *after = NULL;
	size_t n;
	int rc;

	*out = NULL;
	assert(a && a->p);
	if (!json_is_array(items)) {
		match__err(err, "field 'items' must be an array");
		return PL_EINVAL;
	}
	if (inpark && !json_is_null(inpark) && !json_is_boolean(inpark)) {
		match__err(err, "field 'in_park' must be a boolean");
		return PL_EINVAL;
	}
	n = json_array_size(items);
	if (n > PARK_MATCH_ITEMS_MAX) {
		match__err(err, "field 'items' holds %zu items; at most %d", n, PARK_MATCH_ITEMS_MAX);
		return PL_EINVAL;
	}
	/* every item is checked before anything is written */
	for (size_t i = 0; i < n; i++) {
		const json_t *it = json_array_get(items, i);
		const char *kind, *code;
		if (!json_is_object(it)) {
			match__err(err, "field 'items[%zu]' must be an object", i);
			return PL_EINVAL;
		}
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)it, k, v) {
			if (strcmp(k, "kind") && strcmp(k, "industry_code") && strcmp(k, "product") &&
			    strcmp(k, "description")) {
				match__err(err, "field 'items[%zu].%.40s' is not known", i, k);
				return PL_EINVAL;
			}
			if (!json_is_string(v) && !(json_is_null(v) && !strcmp(k, "description"))) {
				match__err(err, "field 'items[%zu].%s' must be a string", i, k);
				return PL_EINVAL;
			}
		}
		kind = pl_json_str(it, "kind");
		if (!kind || (strcmp(kind, "make") && strcmp(kind, "buy"))) {
			match__err(err, "field 'items[%zu].kind' must be make or buy", i);
			return PL_EINVAL;
		}
		code = pl_json_str(it, "industry_code");
		if (park_match_code_norm(code, codes[i])) {
			match__err(err, "field 'items[%zu].industry_code' is not a GB/T 4754 code "
				   "(section letter and 2-4 digits, e.g. C2720)", i);
			return PL_EINVAL;
		}
		pl_fmt(field, sizeof(field), "items[%zu].product", i);
		if ((rc = match__text(field, pl_json_str(it, "product"), PARK_MATCH_PRODUCT_MAX,
				      true, err)))
			return rc;
		pl_fmt(field, sizeof(field), "items[%zu].description", i);
		if ((rc = match__text(field, pl_json_str(it, "description"), PARK_MATCH_DESC_MAX,
				      false, err)))
			return rc;
	}
	if ((rc = match__enterprise(c, a->p, NULL, &enterprise_id, &ent, err)))
		return rc;
	if ((rc = match__catalog(c, ent, &before)))
		goto out;
	pl_time_format(now_ms, now);
	struct store_param q[] = { SP_TEXT(enterprise_id) };
	if ((rc = store_exec(c, "DELETE FROM park_catalog WHERE enterprise_id = ?", q, 1, NULL)) ||
	    (rc = store_exec(c, "DELETE FROM park_match_profiles WHERE enterprise_id = ?", q, 1,
			     NULL)))
		goto out;
	struct store_param pp[] = { SP_TEXT(enterprise_id),
				    SP_INT(json_is_false(inpark) ? 0 : 1), SP_TEXT(now) };
	if ((rc = store_exec(c, "INSERT INTO park_match_profiles (enterprise_id, in_park, "
			     "updated_at) VALUES (?, ?, ?)", pp, STORE_NP(pp), NULL)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const json_t *it = json_array_get(items, i);
		const char *desc = pl_json_str(it, "description");
		char id[PL_ID_LEN + 1];
		pl_id_new(id);
		struct store_param ip[] = {
			SP_TEXT(id), SP_TEXT(enterprise_id), SP_TEXT(pl_json_str(it, "kind")),
			SP_TEXT(codes[i]), SP_TEXT(pl_json_str(it, "product")),
			SP_TEXT(desc ? desc : ""), SP_INT((int64_t)i + 1), SP_TEXT(now),
		};
		if ((rc = store_exec(c, "INSERT INTO park_catalog (id, enterprise_id, kind, "
				     "industry_code, product, description, seq, updated_at) VALUES "
				     "(?, ?, ?, ?, ?, ?, ?, ?)", ip, STORE_NP(ip), NULL)))
			goto out;
	}
	if ((rc = match__catalog(c, ent, &after)))
		goto out;
	struct store_audit au = {
		.actor_id = a->p->user_id[0] ? a->p->user_id : a->p->token_id,
		.actor_name = a->p->name, .action = "park.catalog.update", .entity = "park_catalog",
		.entity_id = enterprise_id, .enterprise_id = enterprise_id, .before = before,
		.after = after, .request_id = a->request_id, .ip = a->ip,
	};
	if ((rc = store_audit(c, &au)))
		goto out;
	*out = after;
	after = NULL;
out:
	if (rc)
		match__db(err, rc, "writing the catalogue");
	json_decref(ent);
	json_decref(before);
	json_decref(after);
	return rc;
}

/* The make items of every enterprise but exclude, for ranking. Strings are
 * owned by *rows (a JSON array kept alive while docs is used). */
static int match__load_docs(struct store_conn *c, const char *exclude, json_t **rows,
			    struct park_match_doc **docs, size_t *n)
{
	int rc;
	struct store_param q[] = { SP_TEXT(exclude) };
	*docs = NULL;
	*n = 0;
	rc = store_query_json(c, "SELECT c.enterprise_id, c.industry_code, c.product, "
			      "c.description, COALESCE(p.in_park, 1) AS in_park "
			      "FROM park_catalog c LEFT JOIN park_match_profiles p "
			      "ON p.enterprise_id = c.enterprise_id "
			      "WHERE c.kind = 'make' AND c.enterprise_id <> ? "
			      "ORDER BY c.enterprise_id, c.seq LIMIT 20001", q, 1,
			      PARK_MATCH_DOCS_MAX, rows);
	if (rc)
		return rc;
	*n = json_array_size(*rows);
	*docs = pl_calloc(*n ? *n : 1, sizeof(**docs));
	for (size_t i = 0; i < *n; i++) {
		const json_t *r = json_array_get(*rows, i);
		(*docs)[i] = (struct park_match_doc){
			.enterprise_id = pl_json_str(r, "enterprise_id"),
			.industry_code = pl_json_str(r, "industry_code"),
			.product = pl_json_str(r, "product"),
			.description = pl_json_str(r, "description"),
			.in_park = json_integer_value(json_object_get(r, "in_park")) != 0,
		};
	}
	return 0;
}

static double match__round(double v)
{
	return round(v * 1000.0) / 1000.0;
}

int park_match_suggest(struct store_conn *c, const struct auth_principal *p,
		       const char *enterprise_id, const char *need, const char *industry,
		       int64_t limit, json_t **out, struct park_match_err *err)
{
	char codes[PARK_MATCH_CODES_MAX][PARK_MATCH_CODE_LEN];
	const char *codep[PARK_MATCH_CODES_MAX];
	struct park_match_doc *docs = NULL;
	struct park_match_hit *hits = NULL;
	struct pl_buf text;
	json_t *ent = NULL, *rows = NULL, *buys = NULL, *items = NULL;
	size_t ncodes = 0, ndocs = 0, nhits = 0;
	int rc;

	*out = NULL;
	pl_buf_init(&text, (size_t)PARK_MATCH_ITEMS_MAX * (PARK_MATCH_PRODUCT_MAX +
							     PARK_MATCH_DESC_MAX + 2));
	if (limit < 1 || limit > PARK_MATCH_LIMIT_MAX) {
		match__err(err, "parameter 'limit' must be 1..%d", PARK_MATCH_LIMIT_MAX);
		rc = PL_EINVAL;
		goto out;
	}
	if ((rc = match__text("need", need, PARK_MATCH_NEED_MAX, false, err)))
		goto out;
	if (match__nonempty(industry)) {
		if (park_match_code_norm(industry, codes[0])) {
			match__err(err, "parameter 'industry' is not a GB/T 4754 code (e.g. C2720)");
			rc = PL_EINVAL;
			goto out;
		}
		codep[ncodes++] = codes[0];
	}
	if ((rc = match__enterprise(c, p, "enterprise_id", &enterprise_id, &ent, err)))
		goto out;
	bool from_catalog = !match__nonempty(need) && ncodes == 0;
	if (from_catalog) {
		/* no need given: the buyer's declared purchases are the need */
		struct store_param q[] = { SP_TEXT(enterprise_id) };
		if ((rc = store_query_json(c, "SELECT industry_code, product, description FROM "
					   "park_catalog WHERE enterprise_id = ? AND kind = 'buy' "
					   "ORDER BY seq LIMIT 101", q, 1, PARK_MATCH_ITEMS_MAX, &buys)))
			goto out;
		size_t i;
		json_t *b;
		json_array_foreach(buys, i, b) {
			pl_buf_printf(&text, "%s %s\n", pl_json_str(b, "product"),
				      pl_json_str(b, "description") ? pl_json_str(b, "description") : "");
			if (ncodes < PARK_MATCH_CODES_MAX &&
			    park_match_code_norm(pl_json_str(b, "industry_code"), codes[ncodes]) == 0) {
				codep[ncodes] = codes[ncodes];
				ncodes++;
			}
		}
		if (json_array_size(buys) == 0) {
			match__err(err, "give 'need' or 'industry', or declare what the enterprise buys");
			rc = PL_EINVAL;
			goto out;
		}
	} else {
		pl_buf_puts(&text, need ? need : "");
	}
	if ((rc = match__load_docs(c, enterprise_id, &rows, &docs, &ndocs))) {
		if (rc == PL_ETOOBIG)
			match__err(err, "the catalogue holds more than %d items", PARK_MATCH_DOCS_MAX);
		goto out;
	}
	hits = pl_calloc((size_t)limit, sizeof(*hits));
	struct park_match_query mq = { text.data ? text.data : "", codep, ncodes, enterprise_id };
	if ((rc = park_match_rank(docs, ndocs, &mq, hits, (size_t)limit, &nhits))) {
		if (rc == PL_EINVAL)
			match__err(err, "the need has no words to match (give Chinese text, "
				   "words or an industry code)");
		goto out;
	}
	items = json_array();
	for (size_t i = 0; i < nhits; i++) {
		const struct park_match_doc *d = &docs[hits[i].doc];
		json_t *name = NULL, *terms = json_array();
		struct store_param q[] = { SP_TEXT(d->enterprise_id) };
		if ((rc = store_query_one(c, "SELECT name_zh FROM enterprises WHERE id = ?", q, 1,
					  &name)))
			goto out;
		for (size_t t = 0; t < hits[i].nterms; t++)
			json_array_append_new(terms, json_string(hits[i].terms[t]));
		int cd = hits[i].code_digits;
		json_array_append_new(items, json_pack(
			"{s:s, s:O, s:b, s:f, s:f, s:f, s:f, s:o, s:o, s:{s:s, s:s, s:s}}",
			"enterprise_id", d->enterprise_id, "enterprise_name",
			json_object_get(name, "name_zh"), "in_park", d->in_park,
			"score", match__round(hits[i].score), "text_score",
			match__round(hits[i].text_score), "code_bonus", match__round(hits[i].code_bonus),
			"park_bonus", match__round(hits[i].park_bonus), "code_match",
			cd == 4 ? json_string("小类") : cd == 3 ? json_string("中类")
				: cd == 2 ? json_string("大类") : json_null(),
			"terms", terms, "item", "industry_code", d->industry_code, "product",
			d->product, "description", d->description ? d->description : ""));
		json_decref(name);
	}
	json_t *codesj = json_array();
	for (size_t i = 0; i < ncodes; i++)
		json_array_append_new(codesj, json_string(codep[i]));
	*out = json_pack("{s:s, s:O, s:s, s:o, s:s, s:b, s:I, s:O}", "enterprise_id", enterprise_id,
			 "enterprise_name", json_object_get(ent, "name_zh"), "need",
			 text.data ? text.data : "", "industry", codesj, "model",
			 "bm25-bigram+gbt4754-prefix+in-park", "from_catalog", from_catalog,
			 "candidates", (json_int_t)ndocs, "items", items);
out:
	if (rc)
		match__db(err, rc, "ranking suppliers");
	pl_buf_release(&text);
	free(docs);
	free(hits);
	json_decref(ent);
	json_decref(rows);
	json_decref(buys);
	json_decref(items);
	return rc;
}

/* Cuts s to at most max bytes at a UTF-8 character boundary, into dst. */
static void match__cut(char *dst, size_t dstsz, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static json_t *match__req_brief(const json_t *req)
{
	return json_pack("{s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(req, "id"), "no",
			 json_object_get(req, "no"), "enterprise_id",
			 json_object_get(req, "enterprise_id"), "state",
			 json_object_get(req, "state"), "specialist_id",
			 json_object_get(req, "specialist_id") ? json_object_get(req, "specialist_id")
							       : json_null());
}

int park_introduce(const struct desk_svc *svc, struct store_conn *c,
		   const struct desk_actor *a, const char *buyer_id, const char *supplier_id,
		   const char *note, int64_t now_ms, json_t **out, struct park_match_err *err)
{
	json_t *buyer = NULL, *supplier = NULL, *breq = NULL, *sreq = NULL, *made = NULL;
	struct desk_err de = { .text = "" };
	char bname[120], sname[120], title[DESK_TITLE_MAX + 1], id[PL_ID_LEN + 1];
	char now[PL_TIME_STRLEN];
	char *desc = NULL;
	int rc;

	*out = NULL;
	assert(a && a->p);
	if (!note)
		note = "";
	if ((rc = match__text("note", note, PARK_MATCH_NOTE_MAX, false, err)))
		return rc;
	if ((rc = match__enterprise(c, a->p, "buyer_id", &buyer_id, &buyer, err)))
		return rc;
	/* the supplier: any enterprise that declared what it makes */
	if (!match__nonempty(supplier_id)) {
		match__err(err, "field 'supplier_id' is required");
		rc = PL_EINVAL;
		goto out;
	}
	if (!strcmp(supplier_id, buyer_id)) {
		match__err(err, "field 'supplier_id' names the buyer itself");
		rc = PL_EINVAL;
		goto out;
	}
	if (pl_id_valid(supplier_id)) {
		struct store_param q[] = { SP_TEXT(supplier_id) };
		rc = store_query_one(c, "SELECT e.id, e.name_zh FROM enterprises e WHERE e.id = ? "
				     "AND EXISTS (SELECT 1 FROM park_catalog c WHERE "
				     "c.enterprise_id = e.id AND c.kind = 'make')", q, 1, &supplier);
		if (rc && rc != PL_ENOTFOUND)
			goto out;
	} else {
		rc = PL_ENOTFOUND;
	}
	if (rc == PL_ENOTFOUND) {
		match__err(err, "field 'supplier_id': no enterprise %.40s that declared what it "
			   "makes", supplier_id);
		rc = PL_EINVAL;
		goto out;
	}
	match__cut(bname, sizeof(bname), pl_json_str(buyer, "name_zh"), 90);
	match__cut(sname, sizeof(sname), pl_json_str(supplier, "name_zh"), 90);
	/* the buyer's request, raised by the caller */
	pl_fmt(title, sizeof(title), "产业链对接：与%s", sname);
	{
		struct pl_buf b;
		pl_buf_init(&b, PARK_MATCH_NOTE_MAX + 1024);
		pl_buf_printf(&b, "园区产业链对接（强链条）：%s 希望与供应方 %s 对接。%s%s", bname,
			      sname, note[0] ? "说明：" : "", note);
		desc = pl_buf_steal(&b);
	}
	struct desk_request_new bn = { buyer_id, "web", "help", "normal", title, desc };
	if ((rc = desk_request_create(svc, c, a, &bn, now_ms, &breq, &de)))
		goto desk;
	free(desc);
	desc = NULL;
	/* the supplier's, raised by Parkline itself (note in match.h) */
	pl_fmt(title, sizeof(title), "产业链对接：与%s", bname);
	{
		struct pl_buf b;
		pl_buf_init(&b, PARK_MATCH_NOTE_MAX + 1024);
		pl_buf_printf(&b, "园区产业链对接（强链条）：采购方 %s 希望与 %s 对接，关联工单 %s。%s%s",
			      bname, sname, pl_json_str(breq, "no"), note[0] ? "说明：" : "", note);
		desc = pl_buf_steal(&b);
	}
	struct desk_actor sys = { NULL, a->request_id, a->ip };
	struct desk_request_new sn = { supplier_id, "web", "help", "normal", title, desc };
	if ((rc = desk_request_create(svc, c, &sys, &sn, now_ms, &sreq, &de)))
		goto desk;
	pl_id_new(id);
	pl_time_format(now_ms, now);
	const char *actor_id = a->p->user_id[0] ? a->p->user_id : a->p->token_id;
	struct store_param ip[] = {
		SP_TEXT(id), SP_TEXT(buyer_id), SP_TEXT(supplier_id),
		SP_TEXT(pl_json_str(breq, "id")), SP_TEXT(pl_json_str(sreq, "id")), SP_TEXT(note),
		SP_TEXT(actor_id), SP_TEXT(now),
	};
	if ((rc = store_exec(c, "INSERT INTO park_introductions (id, buyer_id, supplier_id, "
			     "buyer_request_id, supplier_request_id, note, created_by, created_at) "
			     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ip, STORE_NP(ip), NULL)))
		goto out;
	made = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", id, "buyer_id", buyer_id,
			 "supplier_id", supplier_id, "note", note, "created_at", now,
			 "buyer_request", match__req_brief(breq), "supplier_request",
			 match__req_brief(sreq));
	struct store_audit au = {
		.actor_id = actor_id, .actor_name = a->p->name,
		.action = "park.introduction.create", .entity = "park_introduction",
		.entity_id = id, .enterprise_id = buyer_id, .after = made,
		.request_id = a->request_id, .ip = a->ip,
	};
	if ((rc = store_audit(c, &au)))
		goto out;
	*out = made;
	made = NULL;
	goto out;
desk:
	match__err(err, "%s", de.text[0] ? de.text : pl_strerror(rc));
out:
	if (rc)
		match__db(err, rc, "recording the introduction");
	free(desc);
	json_decref(buyer);
	json_decref(supplier);
	json_decref(breq);
	json_decref(sreq);
	json_decref(made);
	return rc;
}

/* ------------------------------------------------------------------ demo */

struct match_demo_item {
	int ent;                 /* index into the demo's enterprises */
	const char *kind, *code, *product, *description;
};

/* 0, 1: the auth demo's enterprises (by USCC); the rest are suppliers the
 * demo adds, some in the park, some outside it. */
static const struct {
	const char *name_zh, *name_en;
	bool in_park;
} match__demo_ents[] = {
	{ NULL, NULL, true },
	{ NULL, NULL, true },
	{ "渝北药用玻璃制品有限公司", "Yubei Pharmaceutical Glass Co., Ltd.", true },
	{ "江津模制玻璃瓶厂", "Jiangjin Moulded Glass Bottle Works", false },
	{ "两江铝塑包装有限公司", "Liangjiang Aluminium-Plastic Packaging Co., Ltd.", true },
	{ "秀山中药材饮片有限公司", "Xiushan Herbal Pieces Co., Ltd.", false },
	{ "西永冷链物流有限公司", "Xiyong Cold Chain Logistics Co., Ltd.", true },
	{ "璧山制药装备有限公司", "Bishan Pharmaceutical Machinery Co., Ltd.", true },
	{ "永川包装印刷有限公司", "Yongchuan Packaging & Printing Co., Ltd.", true },
	{ "渝中医用胶塞厂", "Yuzhong Medical Rubber Stopper Works", false },
};
#define MATCH_DEMO_NENT (sizeof(match__demo_ents) / sizeof(match__demo_ents[0]))

static const struct match_demo_item match__demo_items[] = {
	{ 0, "make", "C2740", "中成药口服液", "藿香正气口服液等中成药制剂，GMP车间生产" },
	{ 0, "buy", "C3055", "口服液玻璃瓶", "口服液用管制玻璃瓶，年需求约两亿支" },
	{ 0, "buy", "C2730", "中药饮片", "藿香、白芷、厚朴等道地药材饮片" },
	{ 0, "buy", "C3252", "药用铝箔", "泡罩包装用PTP铝箔" },
	{ 1, "make", "C2761", "人用疫苗", "流感疫苗、狂犬病疫苗等生物制品" },
	{ 1, "buy", "C3055", "中硼硅玻璃西林瓶", "疫苗分装用中硼硅玻璃管制注射剂瓶" },
	{ 1, "buy", "G5930", "疫苗冷链仓储配送", "2-8℃冷链仓储和配送" },
	{ 1, "buy", "C2915", "覆膜胶塞", "注射剂瓶用覆膜丁基胶塞" },
	{ 2, "make", "C3055", "中硼硅玻璃管制注射剂瓶（西林瓶）",
	  "中硼硅药用玻璃管制瓶、安瓿，符合YBB标准，用于疫苗和注射剂" },
	{ 2, "make", "C3055", "口服液玻璃瓶", "管制口服液瓶，低硼硅和中硼硅两种" },
	{ 3, "make", "C3055", "钠钙玻璃模制药瓶", "模制药瓶、口服液瓶，钠钙玻璃" },
	{ 4, "make", "C3252", "药用PTP铝箔", "泡罩包装用PTP铝箔和冷冲压成型铝" },
	{ 4, "make", "C2926", "药用PVC硬片", "泡罩包装用聚氯乙烯硬片" },
	{ 5, "make", "C2730", "中药饮片", "道地药材种植与饮片炮制：藿香、白芷、厚朴、黄连" },
	{ 6, "make", "G5930", "医药冷链仓储配送", "疫苗和生物制品2-8℃冷链仓储、温控配送" },
	{ 7, "make", "C3544", "洗烘灌封联动线", "口服液、西林瓶洗烘灌封联动线，无菌灌装设备" },
	{ 8, "make", "C2231", "药品包装纸盒", "药品包装纸盒和说明书印刷" },
	{ 9, "make", "C2915", "覆膜丁基胶塞", "注射剂瓶用卤化丁基橡胶塞，覆膜" },
};

int park_match_demo_seed(struct store *st, FILE *print_to)
{
	struct store_conn *c = NULL;
	json_t *row = NULL;
	char ids[MATCH_DEMO_NENT][PL_ID_LEN + 1], now[PL_TIME_STRLEN];
	const char *usccs[2] = { AUTH_DEMO_USCC_1, AUTH_DEMO_USCC_2 };
	size_t added = 0;
	int rc;

	if ((rc = store_conn_get(st, &c)))
		return rc;
	if ((rc = store_begin(c)))
		goto out;
	rc = store_query_one(c, "SELECT id FROM park_catalog LIMIT 1", NULL, 0, &row);
	json_decref(row);
	row = NULL;
	if (rc == 0) { /* seeded before */
		rc = store_rollback(c);
		goto out;
	}
	if (rc != PL_ENOTFOUND)
		goto out;
	pl_time_format(pl_time_now_ms(), now);
	for (size_t i = 0; i < MATCH_DEMO_NENT; i++) {
		if (i < 2) {
			struct store_param q[] = { SP_TEXT(usccs[i]) };
			if ((rc = store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", q, 1,
						  &row)))
				goto out;
			pl_strlcpy(ids[i], pl_json_str(row, "id"), sizeof(ids[i]));
			json_decref(row);
			row = NULL;
			continue;
		}
		pl_id_new(ids[i]);
		struct store_param ip[] = { SP_TEXT(ids[i]), SP_TEXT(match__demo_ents[i].name_zh),
					    SP_TEXT(match__demo_ents[i].name_en), SP_TEXT(now),
					    SP_TEXT(now) };
		if ((rc = store_exec(c, "INSERT INTO enterprises (id, name_zh, name_en, created_at, "
				     "updated_at) VALUES (?, ?, ?, ?, ?)", ip, STORE_NP(ip), NULL)))
			goto out;
	}
	for (size_t i = 0; i < MATCH_DEMO_NENT; i++) {
		struct store_param pp[] = { SP_TEXT(ids[i]), SP_INT(match__demo_ents[i].in_park),
					    SP_TEXT(now) };
		if ((rc = store_exec(c, "INSERT INTO park_match_profiles (enterprise_id, in_park, "
				     "updated_at) VALUES (?, ?, ?)", pp, STORE_NP(pp), NULL)))
			goto out;
	}
	for (size_t i = 0; i < sizeof(match__demo_items) / sizeof(match__demo_items[0]); i++) {
		const struct match_demo_item *it = &match__demo_items[i];
		char id[PL_ID_LEN + 1];
		pl_id_new(id);
		struct store_param ip[] = {
			SP_TEXT(id), SP_TEXT(ids[it->ent]), SP_TEXT(it->kind), SP_TEXT(it->code),
			SP_TEXT(it->product), SP_TEXT(it->description), SP_INT((int64_t)i + 1),
			SP_TEXT(now),
		};
		if ((rc = store_exec(c, "INSERT INTO park_catalog (id, enterprise_id, kind, "
				     "industry_code, product, description, seq, updated_at) VALUES "
				     "(?, ?, ?, ?, ?, ?, ?, ?)", ip, STORE_NP(ip), NULL)))
			goto out;
		added++;
	}
	if ((rc = store_commit(c)))
		goto out;
	if (print_to)
		fprintf(print_to, "demo supplier matching: %zu catalogue items for %zu enterprises "
			"(产业链对接)\n", added, MATCH_DEMO_NENT);
out:
	json_decref(row);
	store_conn_put(c);
	return rc;
}
