/*
 * match.h - supplier matching (强链条, prefix park_match_ and park_catalog_).
 * Enterprises declare what they make and what
 * they buy (a catalogue of items: GB/T 4754 国民经济行业分类 industry code,
 * product name, free Chinese text); a buyer's need is ranked against every
 * other enterprise's "make" items; "introduce us" opens one desk request
 * for each of the two enterprises, so both specialists take it up.
 *
 * Two layers:
 *  - park_match_rank and the helpers above it are pure (no I/O, no
 *    globals): the relevance model, tested on a fixed table
 *    (tests/unit/park/test_match.c);
 *  - park_catalog_* / park_match_suggest / park_introduce read and write
 *    the store (migration 11) in the caller's connection; the HTTP
 *    handlers (src/http/api_park_match.c) are thin wrappers.
 *
 * THE RELEVANCE MODEL (docs/park-matching.md has the worked example)
 *  1. Text is cut into terms: every run of CJK ideographs gives its
 *     character bigrams (Chinese has no spaces; a one-character run gives
 *     that character), every run of ASCII letters/digits one lower-cased
 *     word. Other characters separate runs.
 *  2. Each "make" item is a document: its product name twice (a field
 *     boost: the name says what it is, the description how) plus its
 *     description. BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N-n+0.5)/(n+0.5)))
 *     over all make items of the catalogue scores the need's terms.
 *  3. Industry codes: the longest common prefix of the need's code and the
 *     item's (both canonical: section letter + 2..4 digits) adds 1.0 for
 *     the same 大类 (2 digits), 2.0 for the same 中类 (3), 3.0 for the same
 *     小类 (4).
 *  4. An item is a candidate when its text score is at least
 *     PARK_MATCH_MIN_TEXT (counted only when it shares at least two
 *     distinct terms with a need that has two: one shared bigram, such as
 *     西林 in 西林瓶 and 阿莫西林, is weak evidence) or its code shares at
 *     least the 中类; an
 *     enterprise's score is its best item's; enterprises in the park get
 *     20 % on top (the park prefers local supply, but never turns an
 *     irrelevant supplier into a relevant one). The buyer itself is never
 *     suggested.
 */
#ifndef PL_PARK_MATCH_H
#define PL_PARK_MATCH_H

#include "core/core.h"
#include "store/store.h"
#include "auth/auth.h"
#include "desk/repo.h"

#define PARK_MATCH_ITEMS_MAX 100       /* catalogue items one enterprise declares */
#define PARK_MATCH_PRODUCT_MAX 200     /* bytes of an item's product name */
#define PARK_MATCH_DESC_MAX 1000       /* bytes of an item's description */
#define PARK_MATCH_NEED_MAX 1000       /* bytes of a need's text */
#define PARK_MATCH_NOTE_MAX 2000       /* bytes of an introduction's note */
#define PARK_MATCH_LIMIT_MAX 50        /* suggestions one answer holds */
#define PARK_MATCH_DOCS_MAX 20000      /* make items one ranking reads */
#define PARK_MATCH_QTERMS_MAX 64       /* distinct need terms used (the rest ignored) */
#define PARK_MATCH_CODES_MAX 16        /* industry codes of one need */
#define PARK_MATCH_TERMS_SHOWN 5       /* matched terms reported per hit */
#define PARK_MATCH_TERM_MAX 32         /* bytes of one term (longer words are cut) */
#define PARK_MATCH_MIN_TEXT 1.0        /* BM25 score an item needs without a code match */
#define PARK_MATCH_PARK_BONUS 0.2      /* share added for suppliers in the park */
#define PARK_MATCH_CODE_LEN 6          /* canonical code: letter + up to 4 digits + NUL */

/* ------------------------------------------------------------ pure part */

/* Canonical GB/T 4754-2017 code of in: an optional section letter (A..T,
 * either case) followed by 2..4 digits whose first two name a 大类 of
 * that section ("C2720", "c27", "2720" -> "C2720", "C27", "C2720").
 * PL_EINVAL for anything else (unknown 大类, letter of another section). */
int park_match_code_norm(const char *in, char out[PARK_MATCH_CODE_LEN]);

/* Digits two canonical codes share from the start: 0 (different 大类, or
 * either empty), 2, 3 or 4. */
int park_match_code_common(const char *a, const char *b);

/* The terms of text (rule 1) appended to b separated by single spaces,
 * in order of appearance, duplicates kept. For tests and docs.
 * Errors: PL_ETOOBIG from b's cap. */
int park_match_terms(const char *text, struct pl_buf *b);

/* One catalogue "make" item as the ranking sees it (all borrowed). */
struct park_match_doc {
	const char *enterprise_id;
	const char *industry_code;  /* canonical, or "" */
	const char *product;
	const char *description;    /* may be "" */
	bool in_park;
};

struct park_match_query {
	const char *text;                 /* the need; may be "" when codes are given */
	const char *const *codes;         /* canonical industry codes, ncodes <= _CODES_MAX */
	size_t ncodes;
	const char *exclude_enterprise_id; /* the buyer, never suggested; may be NULL */
};

/* One suggested enterprise: its best item and how the score came about. */
struct park_match_hit {
	size_t doc;            /* index into docs of the best item */
	double score;          /* text_score + code_bonus + park_bonus */
	double text_score;     /* BM25 of the need against the item */
	double code_bonus;     /* rule 3 */
	double park_bonus;     /* rule 4 */
	int code_digits;       /* 0, 2, 3, 4: shared code digits */
	size_t nterms;
	char terms[PARK_MATCH_TERMS_SHOWN][PARK_MATCH_TERM_MAX + 1]; /* matched, by weight */
};

/* Ranks docs[0..n) for q into hits[0..max): at most one hit per
 * enterprise, best first (ties: lower doc index first). *nhits gets the
 * count (0 when nothing is relevant). Work: O(n x terms x log terms).
 * Errors: PL_EINVAL (no terms and no codes in q, or more than
 * PARK_MATCH_CODES_MAX codes), PL_ETOOBIG (n > PARK_MATCH_DOCS_MAX). */
int park_match_rank(const struct park_match_doc *docs, size_t n,
		    const struct park_match_query *q, struct park_match_hit *hits,
		    size_t max, size_t *nhits);

/* ----------------------------------------------------------- store part
 * Conventions as in desk/repo.h: c is the caller's connection (writers
 * inside the caller's transaction; commit on 0, roll back otherwise), json
 * results are new references, err (may be NULL) gets one English sentence
 * for the problem detail, and an enterprise the caller may not see under
 * park.match answers exactly as a missing one. */
struct park_match_err {
	char text[400];
};

/* {"enterprise_id","enterprise_name","in_park","updated_at","items":
 * [{kind:"make"|"buy", industry_code, product, description}]} of
 * enterprise_id (items in declared order; updated_at null and in_park
 * true when nothing was declared). Errors: PL_ENOTFOUND, PL_EFORBIDDEN,
 * PL_EDB. */
int park_catalog_get(struct store_conn *c, const struct auth_principal *p,
		     const char *enterprise_id, json_t **out, struct park_match_err *err);

/* Replaces enterprise_id's catalogue with body = {"items":[...],
 * "in_park":bool (optional, default true)} (borrowed). Every item is
 * checked (kind make|buy, industry_code per park_match_code_norm, product
 * 1..PARK_MATCH_PRODUCT_MAX bytes, description 0..PARK_MATCH_DESC_MAX, no
 * control characters) before anything is written; the first bad one is
 * named as items[i].field. Audited as park.catalog.update with before and
 * after. *out as park_catalog_get. a->p may not be NULL. */
int park_catalog_put(struct store_conn *c, const struct desk_actor *a,
		     const char *enterprise_id, const json_t *body, int64_t now_ms,
		     json_t **out, struct park_match_err *err);

/* Suggestions for buyer enterprise_id (enterprise callers: their own when
 * NULL). need (may be NULL/""): the text; industry (may be NULL/""): one
 * code. When both are empty the buyer's declared "buy" items are the
 * need. limit 1..PARK_MATCH_LIMIT_MAX.
 * {"enterprise_id","need","industry","model","candidates","items":[{
 * enterprise_id, enterprise_name, in_park, score, text_score, code_bonus,
 * park_bonus, code_match ("小类"|"中类"|"大类"|null), terms:[...],
 * item:{industry_code, product, description}}]}. Scores are rounded to
 * 3 decimals. Only "make" items are published to other enterprises.
 * Errors: PL_EINVAL (bad code, text too long, nothing to match), plus
 * those of park_catalog_get. */
int park_match_suggest(struct store_conn *c, const struct auth_principal *p,
		       const char *enterprise_id, const char *need, const char *industry,
		       int64_t limit, json_t **out, struct park_match_err *err);

/* "Introduce us": opens a desk request (channel web, category help, title
 * 产业链对接...) for buyer_id as the caller and one for supplier_id as the
 * system (the caller may not raise requests for another enterprise), each
 * auto-dispatched to that enterprise's specialist and naming the other
 * side and the other request's number, and records the pair in
 * park_introductions. The supplier must have declared something it makes.
 * Audited as park.introduction.create. *out: {id, buyer_id, supplier_id,
 * note, created_at, buyer_request:{id,no,state,specialist_id},
 * supplier_request:{...}}. Errors: PL_EINVAL (fields, named), PL_ENOTFOUND /
 * PL_EFORBIDDEN for a buyer the caller may not act for, those of
 * desk_request_create, PL_EDB. */
int park_introduce(const struct desk_svc *svc, struct store_conn *c,
		   const struct desk_actor *a, const char *buyer_id, const char *supplier_id,
		   const char *note, int64_t now_ms, json_t **out, struct park_match_err *err);

/* Demo for `serve --demo`, idempotent (nothing when any catalogue item
 * exists): catalogues for demo enterprises 1 and 2 (found by their USCCs)
 * and for a handful of supplier enterprises it adds (in and out of the
 * park), so the 产业链对接 page has something to rank. Prints one line. */
int park_match_demo_seed(struct store *st, FILE *print_to);

#endif /* PL_PARK_MATCH_H */
