/*
 * score.c - satisfaction scoring and the replacement rule.
 *
 * The park judges a specialist by one thing: whether the enterprises it
 * serves are satisfied ("考核标准只有一条 ... 不满意就直接换，直到企业满意为止").
 * So the score is the share of 满意 ratings, per enterprise-specialist
 * relationship and per specialist overall, over a window; speed KPIs are
 * reported elsewhere and never enter it. 基本满意 counts as satisfied only
 * when the caller asks (cities differ; the park's own rule is 满意 only).
 *
 * The replacement rule: after a 不满意 of its current specialist an
 * enterprise may ask for a new one, and the admin must pick someone who has
 * not served it since its last 满意 - so it gets a different person each
 * time until it is satisfied, and only then may earlier specialists come
 * back. These functions take the store's rows as arrays and allocate only
 * the leaderboard they return; ids are borrowed strings compared with
 * strcmp.
 */
#include "desk.h"

const char *desk_grade_name(enum desk_grade g)
{
	switch (g) {
	case DESK_GRADE_SATISFIED: return "satisfied";
	case DESK_GRADE_BASIC: return "basic";
	case DESK_GRADE_UNSATISFIED: return "unsatisfied";
	}
	return "?";
}

static bool score__grade_ok(enum desk_grade g)
{
	return g == DESK_GRADE_SATISFIED || g == DESK_GRADE_BASIC ||
	       g == DESK_GRADE_UNSATISFIED;
}

static void score__add(struct desk_score *s, enum desk_grade g)
{
	s->rated++;
	if (g == DESK_GRADE_SATISFIED)
		s->satisfied++;
	else if (g == DESK_GRADE_BASIC)
		s->basic++;
	else
		s->unsatisfied++;
}

/* share in basis points, rounded half up; -1 for "not rated". */
static void score__finish(struct desk_score *s, bool count_basic)
{
	uint64_t good = s->satisfied + (count_basic ? s->basic : 0);

	if (s->rated == 0) {
		s->share_bp = -1;
		return;
	}
	s->share_bp = (int32_t)((good * 20000 + s->rated) / (2 * (uint64_t)s->rated));
}

int desk_score_compute(const struct desk_rating *r, size_t n,
		       const struct desk_score_query *q, struct desk_score *out)
{
	struct desk_score s = { 0 };

	if (q->from_ms > q->to_ms || (n && !r))
		return PL_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!score__grade_ok(r[i].grade) || !r[i].specialist_id || !r[i].enterprise_id)
			return PL_EINVAL;
		if (r[i].at_ms < q->from_ms || r[i].at_ms >= q->to_ms)
			continue;
		if (q->specialist_id && strcmp(q->specialist_id, r[i].specialist_id) != 0)
			continue;
		if (q->enterprise_id && strcmp(q->enterprise_id, r[i].enterprise_id) != 0)
			continue;
		score__add(&s, r[i].grade);
	}
	score__finish(&s, q->count_basic);
	*out = s;
	return 0;
}

/* Orders ratings by specialist, then enterprise, so groups are runs. */
static int score__cmp_pair(const void *a, const void *b)
{
	const struct desk_rating *x = *(const struct desk_rating *const *)a;
	const struct desk_rating *y = *(const struct desk_rating *const *)b;
	int c = strcmp(x->specialist_id, y->specialist_id);
	return c ? c : strcmp(x->enterprise_id, y->enterprise_id);
}

/* Leaderboard order: share high first, then more ratings, then id. */
static int score__cmp_board(const void *a, const void *b)
{
	const struct desk_board_row *x = a, *y = b;

	if (x->score.share_bp != y->score.share_bp)
		return x->score.share_bp > y->score.share_bp ? -1 : 1;
	if (x->score.rated != y->score.rated)
		return x->score.rated > y->score.rated ? -1 : 1;
	return strcmp(x->specialist_id, y->specialist_id);
}

int desk_score_board(const struct desk_rating *r, size_t n, int64_t from_ms,
		     int64_t to_ms, bool count_basic,
		     struct desk_board_row **rows, size_t *nrows,
		     struct desk_board_row **rel, size_t *nrel)
{
	const struct desk_rating **v = NULL;
	struct desk_board_row *ov = NULL, *rv = NULL;
	size_t nv = 0, no = 0, nr = 0;
	int rc = 0;

	*rows = *rel = NULL;
	*nrows = *nrel = 0;
	if (from_ms > to_ms || (n && !r))
		return PL_EINVAL;
	if (n > DESK_BOARD_MAX)
		return PL_ETOOBIG;
	v = pl_calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		if (!score__grade_ok(r[i].grade) || !r[i].specialist_id || !r[i].enterprise_id) {
			rc = PL_EINVAL;
			goto out;
		}
		if (r[i].at_ms >= from_ms && r[i].at_ms < to_ms)
			v[nv++] = &r[i];
	}
	if (nv)
		qsort(v, nv, sizeof(*v), score__cmp_pair);
	/* Each rating starts at most one row of each kind, so nv bounds both. */
	ov = pl_calloc(nv ? nv : 1, sizeof(*ov));
	rv = pl_calloc(nv ? nv : 1, sizeof(*rv));
	for (size_t i = 0; i < nv; i++) {
		bool new_spec = i == 0 || strcmp(v[i]->specialist_id, v[i - 1]->specialist_id) != 0;
		bool new_rel = new_spec || strcmp(v[i]->enterprise_id, v[i - 1]->enterprise_id) != 0;

		if (new_spec)
			ov[no++] = (struct desk_board_row){ .specialist_id = v[i]->specialist_id };
		if (new_rel)
			rv[nr++] = (struct desk_board_row){ .specialist_id = v[i]->specialist_id,
							    .enterprise_id = v[i]->enterprise_id };
		score__add(&ov[no - 1].score, v[i]->grade);
		score__add(&rv[nr - 1].score, v[i]->grade);
	}
	for (size_t i = 0; i < no; i++)
		score__finish(&ov[i].score, count_basic);
	for (size_t i = 0; i < nr; i++)
		score__finish(&rv[i].score, count_basic);
	if (no)
		qsort(ov, no, sizeof(*ov), score__cmp_board);
	*rows = ov;
	*nrows = no;
	*rel = rv;
	*nrel = nr;
	ov = rv = NULL;
out:
	free(rv);
	free(ov);
	free(v);
	return rc;
}

static bool score__excluded(const struct desk_replacement *st, const char *id)
{
	for (size_t i = 0; i < st->nexcluded; i++)
		if (strcmp(st->excluded[i], id) == 0)
			return true;
	return false;
}

int desk_replacement_state(const struct desk_assignment *a, size_t na,
			   const struct desk_rating *r, size_t nr,
			   const char *enterprise_id, int64_t now_ms,
			   struct desk_replacement *out)
{
	struct desk_replacement st = { .cycle_from_ms = INT64_MIN };
	int64_t cur_from = 0, last_at = INT64_MIN;
	enum desk_grade last = DESK_GRADE_SATISFIED;

	if (!enterprise_id || (na && !a) || (nr && !r))
		return PL_EINVAL;
	for (size_t i = 0; i < na; i++) {
		if (!a[i].enterprise_id || !a[i].specialist_id || a[i].from_ms > a[i].to_ms)
			return PL_EINVAL;
		if (strcmp(a[i].enterprise_id, enterprise_id) != 0)
			continue;
		if (a[i].from_ms <= now_ms && now_ms < a[i].to_ms) {
			if (st.current)
				return PL_EINVAL; /* two current specialists */
			st.current = a[i].specialist_id;
			cur_from = a[i].from_ms;
		}
	}
	/* The cycle starts at the enterprise's last 满意, whoever earned it. */
	for (size_t i = 0; i < nr; i++) {
		if (!r[i].enterprise_id || !r[i].specialist_id || !score__grade_ok(r[i].grade))
			return PL_EINVAL;
		if (strcmp(r[i].enterprise_id, enterprise_id) != 0 || r[i].at_ms > now_ms)
			continue;
		if (r[i].grade == DESK_GRADE_SATISFIED && r[i].at_ms > st.cycle_from_ms)
			st.cycle_from_ms = r[i].at_ms;
		/* Latest rating of the current relationship; on equal times the
		 * later row wins, as the store returns them in order. */
		if (st.current && r[i].at_ms >= cur_from && r[i].at_ms >= last_at &&
		    strcmp(r[i].specialist_id, st.current) == 0) {
			last_at = r[i].at_ms;
			last = r[i].grade;
		}
	}
	st.may_request = st.current && last_at != INT64_MIN &&
			 last == DESK_GRADE_UNSATISFIED;
	for (size_t i = 0; i < na; i++) {
		if (strcmp(a[i].enterprise_id, enterprise_id) != 0 ||
		    a[i].to_ms <= st.cycle_from_ms || a[i].from_ms > now_ms ||
		    score__excluded(&st, a[i].specialist_id))
			continue;
		if (st.nexcluded == DESK_EXCLUDED_MAX)
			return PL_ETOOBIG;
		st.excluded[st.nexcluded++] = a[i].specialist_id;
	}
	*out = st;
	return 0;
}

int desk_replacement_check(const struct desk_replacement *st,
			   const char *candidate, char *text, size_t textsz)
{
	if (!candidate || !*candidate) {
		if (text && textsz)
			snprintf(text, textsz, "no specialist given");
		return PL_EINVAL;
	}
	if (st->current && strcmp(st->current, candidate) == 0) {
		if (text && textsz)
			snprintf(text, textsz,
				 "specialist %.64s is the current one; a replacement must be someone else",
				 candidate);
		return PL_ECONFLICT;
	}
	if (score__excluded(st, candidate)) {
		if (text && textsz)
			snprintf(text, textsz,
				 "specialist %.64s already served this enterprise since its last 满意 rating",
				 candidate);
		return PL_ECONFLICT;
	}
	return 0;
}

int desk_replacement_suggest(const struct desk_replacement *st,
			     const char *const *candidates, const uint32_t *loads,
			     size_t n, size_t *idx)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		if (!candidates[i] || desk_replacement_check(st, candidates[i], NULL, 0))
			continue;
		if (best == SIZE_MAX || loads[i] < loads[best] ||
		    (loads[i] == loads[best] && strcmp(candidates[i], candidates[best]) < 0))
			best = i;
	}
	if (best == SIZE_MAX)
		return PL_ENOTFOUND;
	*idx = best;
	return 0;
}
