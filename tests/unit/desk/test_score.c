/* test_score.c - satisfaction scores (per relationship, per specialist,
 * overall, windows, rounding, the 基本满意 option), the leaderboard's order,
 * and the replacement rule: who may be chosen after 不满意, until 满意. */
#include <criterion/criterion.h>
#include "desk/desk.h"

#define SAT DESK_GRADE_SATISFIED
#define BAS DESK_GRADE_BASIC
#define UNS DESK_GRADE_UNSATISFIED

static const struct desk_rating ratings[] = {
	{ "E1", "S1", 1, SAT }, { "E1", "S1", 2, UNS }, { "E1", "S1", 3, BAS },
	{ "E2", "S1", 4, SAT }, { "E2", "S1", 5, SAT },
	{ "E1", "S2", 6, SAT }, { "E2", "S2", 7, UNS },
	{ "E1", "S3", 100, SAT },
};
#define NR (sizeof(ratings) / sizeof(ratings[0]))

struct score_case {
	const char *spec, *ent;
	int64_t from, to;
	bool basic;
	size_t rated, sat, bas, uns;
	int32_t bp;
};
static const struct score_case score_cases[] = {
	{ NULL, NULL, 0, 50, false, 7, 4, 1, 2, 5714 },  /* 4/7 = 0.571428 */
	{ NULL, NULL, 0, 50, true, 7, 4, 1, 2, 7143 },   /* 5/7 = 0.714285 rounds up */
	{ "S1", NULL, 0, 50, false, 5, 3, 1, 1, 6000 },
	{ "S1", NULL, 0, 50, true, 5, 3, 1, 1, 8000 },
	{ "S1", "E1", 0, 50, false, 3, 1, 1, 1, 3333 },
	{ "S1", "E1", 0, 50, true, 3, 1, 1, 1, 6667 },
	{ "S1", "E2", 0, 50, false, 2, 2, 0, 0, 10000 },
	{ NULL, "E2", 0, 50, false, 3, 2, 0, 1, 6667 },
	{ "S2", NULL, 0, 50, false, 2, 1, 0, 1, 5000 },
	{ "S3", NULL, 0, 50, false, 0, 0, 0, 0, -1 },    /* not rated: no score */
	{ "S3", NULL, 0, 101, false, 1, 1, 0, 0, 10000 },
	{ NULL, NULL, 1, 2, false, 1, 1, 0, 0, 10000 },   /* [from, to) */
	{ NULL, NULL, 2, 2, false, 0, 0, 0, 0, -1 },
	{ "S9", NULL, 0, 1000, false, 0, 0, 0, 0, -1 },
};

Test(desk_score, compute_table)
{
	for (size_t i = 0; i < sizeof(score_cases) / sizeof(score_cases[0]); i++) {
		const struct score_case *c = &score_cases[i];
		struct desk_score_query q = { c->spec, c->ent, c->from, c->to, c->basic };
		struct desk_score s;
		cr_assert_eq(desk_score_compute(ratings, NR, &q, &s), 0, "case %zu", i);
		cr_expect_eq(s.rated, c->rated, "case %zu rated %zu", i, s.rated);
		cr_expect_eq(s.satisfied, c->sat, "case %zu", i);
		cr_expect_eq(s.basic, c->bas, "case %zu", i);
		cr_expect_eq(s.unsatisfied, c->uns, "case %zu", i);
		cr_expect_eq(s.share_bp, c->bp, "case %zu share %d want %d", i, s.share_bp, c->bp);
	}
}

Test(desk_score, bad_input)
{
	struct desk_score s;
	struct desk_score_query q = { .from_ms = 10, .to_ms = 5 };
	cr_expect_eq(desk_score_compute(ratings, NR, &q, &s), PL_EINVAL);
	struct desk_rating bad[] = { { "E1", "S1", 1, (enum desk_grade)9 } };
	q.from_ms = 0;
	q.to_ms = 10;
	cr_expect_eq(desk_score_compute(bad, 1, &q, &s), PL_EINVAL);
	struct desk_rating noid[] = { { "E1", NULL, 1, SAT } };
	cr_expect_eq(desk_score_compute(noid, 1, &q, &s), PL_EINVAL);
	cr_expect_eq(desk_score_compute(NULL, 0, &q, &s), 0);
	cr_expect_eq(s.share_bp, -1);
}

Test(desk_score, board)
{
	struct desk_board_row *rows, *rel;
	size_t nrows, nrel;
	cr_assert_eq(desk_score_board(ratings, NR, 0, 50, false, &rows, &nrows, &rel, &nrel), 0);
	cr_assert_eq(nrows, 2u);
	cr_expect_str_eq(rows[0].specialist_id, "S1");
	cr_expect_eq(rows[0].score.share_bp, 6000);
	cr_expect_null(rows[0].enterprise_id);
	cr_expect_str_eq(rows[1].specialist_id, "S2");
	cr_expect_eq(rows[1].score.share_bp, 5000);
	static const struct { const char *s, *e; int32_t bp; size_t rated; } want[] = {
		{ "S1", "E1", 3333, 3 }, { "S1", "E2", 10000, 2 },
		{ "S2", "E1", 10000, 1 }, { "S2", "E2", 0, 1 },
	};
	cr_assert_eq(nrel, 4u);
	for (size_t i = 0; i < nrel; i++) {
		cr_expect_str_eq(rel[i].specialist_id, want[i].s, "rel %zu", i);
		cr_expect_str_eq(rel[i].enterprise_id, want[i].e, "rel %zu", i);
		cr_expect_eq(rel[i].score.share_bp, want[i].bp, "rel %zu", i);
		cr_expect_eq(rel[i].score.rated, want[i].rated, "rel %zu", i);
	}
	free(rows);
	free(rel);

	/* Ties: equal share -> more ratings first -> id. */
	static const struct desk_rating tie[] = {
		{ "E1", "S6", 1, SAT }, { "E1", "S5", 1, SAT }, { "E2", "S4", 1, SAT },
		{ "E3", "S4", 1, SAT }, { "E1", "S7", 1, UNS }, { "E1", "S8", 1, BAS },
	};
	cr_assert_eq(desk_score_board(tie, 6, 0, 10, false, &rows, &nrows, &rel, &nrel), 0);
	static const char *const order[] = { "S4", "S5", "S6", "S7", "S8" };
	cr_assert_eq(nrows, 5u);
	for (size_t i = 0; i < nrows; i++)
		cr_expect_str_eq(rows[i].specialist_id, order[i], "row %zu", i);
	free(rows);
	free(rel);
	/* With 基本满意 counted, S8 joins the top. */
	cr_assert_eq(desk_score_board(tie, 6, 0, 10, true, &rows, &nrows, &rel, &nrel), 0);
	static const char *const order2[] = { "S4", "S5", "S6", "S8", "S7" };
	for (size_t i = 0; i < nrows; i++)
		cr_expect_str_eq(rows[i].specialist_id, order2[i], "row %zu", i);
	free(rows);
	free(rel);

	cr_assert_eq(desk_score_board(ratings, NR, 500, 600, false, &rows, &nrows, &rel, &nrel), 0);
	cr_expect_eq(nrows, 0u);
	cr_expect_eq(nrel, 0u);
	free(rows);
	free(rel);
	cr_expect_eq(desk_score_board(ratings, NR, 9, 1, false, &rows, &nrows, &rel, &nrel), PL_EINVAL);
	cr_expect_null(rows);
}

/* ---------------------------------------------------------- replacement */

static const struct desk_assignment hist[] = {
	{ "E1", "S1", 0, 100 },
	{ "E1", "S2", 100, 200 },
	{ "E1", "S3", 200, DESK_OPEN },
	{ "E2", "S4", 0, DESK_OPEN },
};
#define NA (sizeof(hist) / sizeof(hist[0]))

struct repl_case {
	const char *why;
	struct desk_rating extra[2]; /* added to the base ratings */
	size_t nextra;
	int64_t now;
	const char *current;
	bool may;
	int64_t cycle;
	const char *excluded; /* space-separated, in history order */
};

static const struct desk_rating base[] = {
	{ "E1", "S1", 50, SAT },
	{ "E1", "S1", 90, UNS },
	{ "E1", "S2", 150, UNS },
	{ "E1", "S3", 250, UNS },
	{ "E2", "S4", 260, SAT }, /* another enterprise: ignored */
};
#define NB (sizeof(base) / sizeof(base[0]))

static const struct repl_case repl_cases[] = {
	{ "third specialist rated 不满意: everyone since the last 满意 is out",
	  { { 0 } }, 0, 300, "S3", true, 50, "S1 S2 S3" },
	{ "满意 resets the cycle: only the current one is out",
	  { { "E1", "S3", 260, SAT } }, 1, 300, "S3", false, 260, "S3" },
	{ "基本满意 after 不满意 ends the request but not the cycle",
	  { { "E1", "S3", 280, BAS } }, 1, 300, "S3", false, 50, "S1 S2 S3" },
	{ "a new specialist not yet rated may not be replaced on the old one's rating",
	  { { 0 } }, 0, 120, "S2", false, 50, "S1 S2" },
	{ "equal times: the later row wins",
	  { { "E1", "S3", 270, SAT }, { "E1", "S3", 270, UNS } }, 2, 300, "S3", true, 270, "S3" },
	{ "ratings in the future are not seen",
	  { { "E1", "S3", 400, SAT } }, 1, 300, "S3", true, 50, "S1 S2 S3" },
};

Test(desk_score, replacement_state)
{
	for (size_t i = 0; i < sizeof(repl_cases) / sizeof(repl_cases[0]); i++) {
		const struct repl_case *c = &repl_cases[i];
		struct desk_rating all[NB + 2];
		struct desk_replacement st;
		char got[128] = "";
		memcpy(all, base, sizeof(base));
		memcpy(all + NB, c->extra, c->nextra * sizeof(c->extra[0]));
		cr_assert_eq(desk_replacement_state(hist, NA, all, NB + c->nextra, "E1", c->now, &st), 0,
			     "case %zu", i);
		cr_expect_str_eq(st.current ? st.current : "-", c->current, "case %zu (%s)", i, c->why);
		cr_expect_eq(st.may_request, c->may, "case %zu (%s)", i, c->why);
		cr_expect_eq(st.cycle_from_ms, c->cycle, "case %zu (%s)", i, c->why);
		for (size_t k = 0; k < st.nexcluded; k++) {
			size_t l = strlen(got);
			snprintf(got + l, sizeof(got) - l, "%s%s", k ? " " : "", st.excluded[k]);
		}
		cr_expect_str_eq(got, c->excluded, "case %zu (%s)", i, c->why);
	}
}

Test(desk_score, replacement_check_and_suggest)
{
	struct desk_replacement st;
	char text[160];
	cr_assert_eq(desk_replacement_state(hist, NA, base, NB, "E1", 300, &st), 0);
	cr_expect_eq(desk_replacement_check(&st, "S3", text, sizeof(text)), PL_ECONFLICT);
	cr_expect(strstr(text, "current"), "%s", text);
	cr_expect_eq(desk_replacement_check(&st, "S1", text, sizeof(text)), PL_ECONFLICT);
	cr_expect(strstr(text, "since its last 满意"), "%s", text);
	cr_expect_eq(desk_replacement_check(&st, "S4", text, sizeof(text)), 0);
	cr_expect_eq(desk_replacement_check(&st, "", text, sizeof(text)), PL_EINVAL);

	static const char *const cands[] = { "S1", "S2", "S3", "S5", "S4", NULL };
	static const uint32_t loads[] = { 0, 0, 0, 5, 5, 0 };
	size_t idx = 99;
	cr_expect_eq(desk_replacement_suggest(&st, cands, loads, 6, &idx), 0);
	cr_expect_str_eq(cands[idx], "S4", "equal load: lower id");
	static const uint32_t loads2[] = { 0, 0, 0, 1, 5, 0 };
	cr_expect_eq(desk_replacement_suggest(&st, cands, loads2, 6, &idx), 0);
	cr_expect_str_eq(cands[idx], "S5", "lower load wins");
	cr_expect_eq(desk_replacement_suggest(&st, cands, loads, 3, &idx), PL_ENOTFOUND);
}

Test(desk_score, replacement_bad_input)
{
	struct desk_replacement st;
	static const struct desk_assignment two_current[] = {
		{ "E1", "S1", 0, DESK_OPEN }, { "E1", "S2", 10, DESK_OPEN },
	};
	cr_expect_eq(desk_replacement_state(two_current, 2, NULL, 0, "E1", 20, &st), PL_EINVAL);
	static const struct desk_assignment backwards[] = { { "E1", "S1", 10, 5 } };
	cr_expect_eq(desk_replacement_state(backwards, 1, NULL, 0, "E1", 20, &st), PL_EINVAL);
	cr_expect_eq(desk_replacement_state(hist, NA, base, NB, NULL, 20, &st), PL_EINVAL);

	/* No history: nobody current, nothing excluded. */
	cr_expect_eq(desk_replacement_state(hist, NA, base, NB, "E9", 20, &st), 0);
	cr_expect_null(st.current);
	cr_expect(!st.may_request);
	cr_expect_eq(st.nexcluded, 0u);

	/* More distinct specialists to exclude than the cap. */
	struct desk_assignment many[DESK_EXCLUDED_MAX + 1];
	char ids[DESK_EXCLUDED_MAX + 1][16];
	for (unsigned i = 0; i <= DESK_EXCLUDED_MAX; i++) {
		snprintf(ids[i], sizeof(ids[i]), "X%u", i);
		many[i] = (struct desk_assignment){ "E1", ids[i], i * 10, i * 10 + 10 };
	}
	cr_expect_eq(desk_replacement_state(many, DESK_EXCLUDED_MAX + 1, NULL, 0, "E1", 100000, &st),
		     PL_ETOOBIG);
	cr_expect_eq(desk_replacement_state(many, DESK_EXCLUDED_MAX, NULL, 0, "E1", 100000, &st), 0);
}

/* The rule end to end: an enterprise that is never satisfied gets a new
 * person every time; once it rates 满意, earlier specialists may return. */
Test(desk_score, replacement_story)
{
	static const char *const pool[] = { "P1", "P2", "P3", "P4", "P5" };
	uint32_t loads[5] = { 0, 0, 0, 0, 0 };
	struct desk_assignment a[16];
	struct desk_rating r[16];
	size_t na = 0, nr = 0, idx;
	int64_t t = 1000;
	struct desk_replacement st;

	a[na++] = (struct desk_assignment){ "E1", "P1", t, DESK_OPEN };
	loads[0]++;
	for (int round = 0; round < 4; round++) {
		t += 10;
		r[nr++] = (struct desk_rating){ "E1", a[na - 1].specialist_id, t, UNS };
		t += 10;
		cr_assert_eq(desk_replacement_state(a, na, r, nr, "E1", t, &st), 0);
		cr_assert(st.may_request, "round %d", round);
		cr_assert_eq(desk_replacement_suggest(&st, pool, loads, 5, &idx), 0, "round %d", round);
		for (size_t k = 0; k < na; k++)
			cr_expect_str_neq(pool[idx], a[k].specialist_id, "round %d: %s again", round, pool[idx]);
		a[na - 1].to_ms = t;
		a[na++] = (struct desk_assignment){ "E1", pool[idx], t, DESK_OPEN };
		loads[idx]++;
	}
	/* All five have served without a 满意: no one is left. */
	t += 10;
	r[nr++] = (struct desk_rating){ "E1", a[na - 1].specialist_id, t, UNS };
	cr_assert_eq(desk_replacement_state(a, na, r, nr, "E1", t + 1, &st), 0);
	cr_expect_eq(desk_replacement_suggest(&st, pool, loads, 5, &idx), PL_ENOTFOUND);
	/* 满意 at last; a later 不满意 may bring back P1..P4. */
	t += 10;
	r[nr++] = (struct desk_rating){ "E1", a[na - 1].specialist_id, t, SAT };
	t += 10;
	r[nr++] = (struct desk_rating){ "E1", a[na - 1].specialist_id, t, UNS };
	cr_assert_eq(desk_replacement_state(a, na, r, nr, "E1", t + 1, &st), 0);
	cr_expect(st.may_request);
	cr_expect_eq(st.nexcluded, 1u);
	cr_expect_eq(desk_replacement_suggest(&st, pool, loads, 5, &idx), 0);
	cr_expect_str_neq(pool[idx], a[na - 1].specialist_id);
}
