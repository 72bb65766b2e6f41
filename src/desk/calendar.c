/*
 * calendar.c - the working calendar (Chinese public holidays and 调休
 * make-up working days) and SLA deadlines computed on it.
 *
 * China moves working days onto weekends every year (调休), announced by the
 * State Council each November or December, so "Monday to Friday" is wrong
 * several times a year and a deadline rule cannot be written as code: the
 * days are data, one file per year (data/calendar/YYYY.txt), parsed here.
 *
 * NOTES ON THE DESIGN
 *  1. Days are Beijing days. China has one time zone, UTC+8, without
 *     daylight saving, so a day number is floor((ms + 8 h) / 24 h) and no
 *     TZ database is involved.
 *  2. A calendar only answers for the years it has loaded. A day in any
 *     other year is PL_ENOTFOUND rather than a Monday-Friday guess, because
 *     a guessed deadline lands on 国庆 and nobody notices. Operators add
 *     next year's file when the notice is out.
 *  3. A deadline is a walk: the clock consumes counted time (working-day
 *     time, or all time for minute clocks) minus pauses, until the
 *     duration is used up. Work limit: one step per day walked plus one per
 *     pause boundary; working-day walks stop at the first day outside the
 *     loaded years, so they are bounded by DESK_CAL_YEARS_MAX * 366 days.
 *  4. Parsing is all-or-nothing: a file with one bad line adds nothing, so
 *     a calendar is never half a year.
 */
#include "desk.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>

#define DAY_MS (24LL * 3600 * 1000)
#define BEIJING_MS (8LL * 3600 * 1000)
/* Times accepted by the deadline walk: 1970 to the end of 9999, so sums of
 * a time and a duration cannot overflow. */
#define DESK_TIME_MAX 253402300799999LL

/* ------------------------------------------------------------ day numbers */

static int64_t cal__floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int32_t desk_day_from_ms(int64_t ms)
{
	return (int32_t)cal__floordiv(ms + BEIJING_MS, DAY_MS);
}

int64_t desk_day_start_ms(int32_t day)
{
	return (int64_t)day * DAY_MS - BEIJING_MS;
}

static bool cal__leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Howard Hinnant's days_from_civil / civil_from_days (proleptic
 * Gregorian), restricted to years 1..9999 by the callers. */
int desk_day_from_ymd(int y, int m, int d, int32_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && cal__leap(y)))
		return PL_EINVAL;
	int64_t yy = y - (m <= 2);
	int64_t era = yy / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out = (int32_t)(era * 146097 + doe - 719468);
	return 0;
}

void desk_day_to_ymd(int32_t day, int *y, int *m, int *d)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = cal__floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

int desk_day_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday (4). */
	return (int)(((int64_t)day % 7 + 7 + 4) % 7);
}

/* ------------------------------------------------------------- calendar */

void desk_calendar_init(struct desk_calendar *cal)
{
	memset(cal, 0, sizeof(*cal));
}

void desk_calendar_release(struct desk_calendar *cal)
{
	free(cal->days);
	desk_calendar_init(cal);
}

static const struct desk_cal_day *cal__find(const struct desk_calendar *cal,
					    int32_t day)
{
	size_t lo = 0, hi = cal->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < cal->n && cal->days[lo].day == day ? &cal->days[lo] : NULL;
}

static bool cal__has_year(const struct desk_calendar *cal, int y)
{
	for (size_t i = 0; i < cal->nyears; i++)
		if (cal->years[i] == y)
			return true;
	return false;
}

int desk_calendar_is_workday(const struct desk_calendar *cal, int32_t day,
			     bool *out)
{
	const struct desk_cal_day *e;
	int y, m, d;

	desk_day_to_ymd(day, &y, &m, &d);
	if (!cal || !cal__has_year(cal, y))
		return PL_ENOTFOUND;
	e = cal__find(cal, day);
	if (e)
		*out = e->kind == DESK_DAY_WORKDAY;
	else
		*out = desk_day_weekday(day) != 0 && desk_day_weekday(day) != 6;
	return 0;
}

int desk_calendar_workdays_between(const struct desk_calendar *cal, int32_t from,
				   int32_t to, int32_t *out)
{
	int32_t n = 0;

	for (int32_t day = from + 1; day <= to; day++) {
		bool w;
		int rc = desk_calendar_is_workday(cal, day, &w);
		if (rc)
			return rc;
		n += w;
	}
	*out = n;
	return 0;
}

/* --------------------------------------------------------------- parser */

struct cal__parse {
	const char *name;
	struct desk_cal_error *err;
	int line;
	int year;                 /* 0 until the year line */
	bool have_source;
	struct desk_cal_day *days; /* owned until merged */
	size_t n, cap;
};

static int cal__fail(struct cal__parse *p, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cal__fail(struct cal__parse *p, int rc, const char *fmt, ...)
{
	if (p->err) {
		char msg[sizeof(p->err->text)];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		pl_strlcpy(p->err->name, p->name, sizeof(p->err->name));
		p->err->line = p->line;
		/* Composed wide, then cut to the field: a long file name
		 * shortens the message instead of failing. */
		char full[sizeof(p->err->name) + sizeof(msg) + 16];
		if (p->line > 0)
			snprintf(full, sizeof(full), "%s:%d: %s", p->err->name,
				 p->line, msg);
		else
			snprintf(full, sizeof(full), "%s: %s", p->err->name, msg);
		pl_strlcpy(p->err->text, full, sizeof(p->err->text));
	}
	return rc;
}

/* Parses exactly "YYYY-MM-DD" at s[0..len). */
static int cal__date(const char *s, size_t len, int32_t *day, int *year)
{
	int v[3] = { 0, 0, 0 };
	static const size_t at[3] = { 0, 5, 8 }, width[3] = { 4, 2, 2 };

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return PL_EPARSE;
	for (int f = 0; f < 3; f++)
		for (size_t i = 0; i < width[f]; i++) {
			char c = s[at[f] + i];
			if (c < '0' || c > '9')
				return PL_EPARSE;
			v[f] = v[f] * 10 + (c - '0');
		}
	*year = v[0];
	return desk_day_from_ymd(v[0], v[1], v[2], day);
}

static bool cal__declared(const struct desk_calendar *cal,
			  const struct cal__parse *p, int32_t day)
{
	if (cal__find(cal, day))
		return true;
	for (size_t i = 0; i < p->n; i++)
		if (p->days[i].day == day)
			return true;
	return false;
}

static int cal__add(const struct desk_calendar *cal, struct cal__parse *p,
		    int32_t day, enum desk_day_kind kind)
{
	int y, m, d;

	if (cal__declared(cal, p, day)) {
		desk_day_to_ymd(day, &y, &m, &d);
		return cal__fail(p, PL_EINVAL, "%04d-%02d-%02d is declared twice", y, m, d);
	}
	if (cal->n + p->n >= DESK_CAL_DAYS_MAX)
		return cal__fail(p, PL_ETOOBIG, "more than %d declared days",
				 DESK_CAL_DAYS_MAX);
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->days = pl_realloc(p->days, p->cap * sizeof(*p->days));
	}
	p->days[p->n].day = day;
	p->days[p->n].kind = kind;
	p->n++;
	return 0;
}

/* Splits off the next space-separated word of line[*pos..len). */
static void cal__word(const char *line, size_t len, size_t *pos,
		      const char **w, size_t *wlen)
{
	size_t i = *pos;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*w = line + i;
	while (i < len && line[i] != ' ' && line[i] != '\t')
		i++;
	*wlen = (size_t)(line + i - *w);
	*pos = i;
}

static int cal__line(const struct desk_calendar *cal, struct cal__parse *p,
		     const char *line, size_t len)
{
	const char *kw, *arg, *rest;
	size_t kwlen, arglen, pos = 0;
	int rc;

	cal__word(line, len, &pos, &kw, &kwlen);
	if (kwlen == 0 || kw[0] == '#')
		return 0;
	cal__word(line, len, &pos, &arg, &arglen);
	while (pos < len && (line[pos] == ' ' || line[pos] == '\t'))
		pos++;
	rest = line + pos;

	if (kwlen == 4 && memcmp(kw, "year", 4) == 0) {
		int64_t y;
		char tmp[8];
		if (p->year)
			return cal__fail(p, PL_EPARSE, "a second year line");
		if (arglen != 4 || rest != line + len)
			return cal__fail(p, PL_EPARSE, "expected 'year YYYY'");
		memcpy(tmp, arg, 4);
		tmp[4] = '\0';
		if (pl_parse_i64(tmp, 1971, 9998, &y))
			return cal__fail(p, PL_EPARSE, "year '%s' is not a year in 1971..9998", tmp);
		if (cal__has_year(cal, (int)y))
			return cal__fail(p, PL_EINVAL, "year %d is already loaded", (int)y);
		if (cal->nyears >= DESK_CAL_YEARS_MAX)
			return cal__fail(p, PL_ETOOBIG, "more than %d years", DESK_CAL_YEARS_MAX);
		p->year = (int)y;
		return 0;
	}
	if (!p->year)
		return cal__fail(p, PL_EPARSE, "the first line must be 'year YYYY'");
	if (kwlen == 6 && memcmp(kw, "source", 6) == 0) {
		if (arglen == 0)
			return cal__fail(p, PL_EPARSE, "'source' needs the notice it comes from");
		if (p->have_source)
			return cal__fail(p, PL_EPARSE, "a second source line");
		p->have_source = true;
		return 0;
	}
	bool holiday = kwlen == 7 && memcmp(kw, "holiday", 7) == 0;
	bool workday = kwlen == 7 && memcmp(kw, "workday", 7) == 0;
	if (!holiday && !workday)
		return cal__fail(p, PL_EPARSE, "unknown keyword '%.*s' (year, source, holiday, workday)",
				 (int)(kwlen > 32 ? 32 : kwlen), kw);
	if (rest == line + len)
		return cal__fail(p, PL_EPARSE, "%s needs a date and a name",
				 holiday ? "holiday" : "workday");

	int32_t d0, d1;
	int y0, y1;
	const char *dots = arglen > 10 ? arg + 10 : NULL;
	if (dots && holiday) {
		if (arglen != 22 || dots[0] != '.' || dots[1] != '.')
			return cal__fail(p, PL_EPARSE, "expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, got '%.*s'",
					 (int)(arglen > 40 ? 40 : arglen), arg);
		if ((rc = cal__date(arg, 10, &d0, &y0)) || (rc = cal__date(arg + 12, 10, &d1, &y1)))
			return cal__fail(p, PL_EPARSE, "bad date in '%.22s'", arg);
	} else {
		if ((rc = cal__date(arg, arglen, &d0, &y0)))
			return cal__fail(p, PL_EPARSE, "expected a date YYYY-MM-DD, got '%.*s'",
					 (int)(arglen > 40 ? 40 : arglen), arg);
		d1 = d0;
		y1 = y0;
	}
	if (d1 < d0)
		return cal__fail(p, PL_EINVAL, "the range ends before it starts");
	if (d1 - d0 + 1 > DESK_CAL_RANGE_MAX)
		return cal__fail(p, PL_EINVAL, "a range longer than %d days", DESK_CAL_RANGE_MAX);
	/* A holiday range may start in the previous December when it ends in
	 * this year (元旦 ranges do: 2023-12-30..2024-01-01). */
	if (y1 != p->year || (y0 != p->year && !(holiday && y0 == p->year - 1)))
		return cal__fail(p, PL_EINVAL, "date outside year %d", p->year);
	if (workday) {
		int wd = desk_day_weekday(d0);
		if (wd != 0 && wd != 6)
			return cal__fail(p, PL_EINVAL,
					 "workday %.10s is not a Saturday or Sunday: a make-up working day (调休) moves work onto a weekend",
					 arg);
		return cal__add(cal, p, d0, DESK_DAY_WORKDAY);
	}
	for (int32_t day = d0; day <= d1; day++)
		if ((rc = cal__add(cal, p, day, DESK_DAY_HOLIDAY)))
			return rc;
	return 0;
}

static int cal__cmp(const void *a, const void *b)
{
	int32_t x = ((const struct desk_cal_day *)a)->day;
	int32_t y = ((const struct desk_cal_day *)b)->day;
	return (x > y) - (x < y);
}

int desk_calendar_parse(struct desk_calendar *cal, const char *text, size_t len,
			const char *name, struct desk_cal_error *err)
{
	struct cal__parse p = { .name = name ? name : "calendar", .err = err };
	size_t start = 0;
	int rc = 0;

	if (err) {
		err->name[0] = '\0';
		err->line = 0;
		err->text[0] = '\0';
	}
	if (len > DESK_CAL_FILE_MAX) {
		rc = cal__fail(&p, PL_ETOOBIG, "larger than %d bytes", DESK_CAL_FILE_MAX);
		goto out;
	}
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t l = end - start;

		p.line++;
		if (l > DESK_CAL_LINE_MAX) {
			rc = cal__fail(&p, PL_ETOOBIG, "line longer than %d bytes", DESK_CAL_LINE_MAX);
			goto out;
		}
		if (memchr(text + start, '\0', l)) {
			rc = cal__fail(&p, PL_EPARSE, "NUL byte");
			goto out;
		}
		while (l > 0 && (text[start + l - 1] == '\r' || text[start + l - 1] == ' ' ||
				 text[start + l - 1] == '\t'))
			l--;
		if ((rc = cal__line(cal, &p, text + start, l)))
			goto out;
		start = end + 1;
	}
	p.line = 0;
	if (!p.year) {
		rc = cal__fail(&p, PL_EPARSE, "no 'year YYYY' line");
		goto out;
	}
	if (!p.have_source) {
		rc = cal__fail(&p, PL_EPARSE, "no 'source' line naming the State Council notice");
		goto out;
	}

	/* Merge: everything was checked, so from here nothing can fail. */
	if (cal->n + p.n > cal->cap) {
		cal->cap = cal->n + p.n;
		cal->days = pl_realloc(cal->days, cal->cap * sizeof(*cal->days));
	}
	if (p.n)
		memcpy(cal->days + cal->n, p.days, p.n * sizeof(*p.days));
	cal->n += p.n;
	if (cal->n)
		qsort(cal->days, cal->n, sizeof(*cal->days), cal__cmp);
	cal->years[cal->nyears++] = p.year;
out:
	free(p.days);
	return rc;
}

int desk_calendar_load_file(struct desk_calendar *cal, const char *path,
			    struct desk_cal_error *err)
{
	const char *base = strrchr(path, '/');
	char *text = pl_malloc(DESK_CAL_FILE_MAX + 1);
	size_t len;
	FILE *f;
	int rc;

	base = base ? base + 1 : path;
	f = fopen(path, "rb");
	if (!f) {
		if (err) {
			pl_strlcpy(err->name, base, sizeof(err->name));
			err->line = 0;
			snprintf(err->text, sizeof(err->text), "%s: cannot open: %s", path,
				 strerror(errno));
		}
		rc = PL_EIO;
		goto out;
	}
	/* Read one byte past the cap so an oversized file is reported as such. */
	len = fread(text, 1, DESK_CAL_FILE_MAX + 1, f);
	if (ferror(f)) {
		if (err) {
			pl_strlcpy(err->name, base, sizeof(err->name));
			err->line = 0;
			snprintf(err->text, sizeof(err->text), "%s: read error", path);
		}
		rc = PL_EIO;
		goto out_close;
	}
	rc = desk_calendar_parse(cal, text, len, base, err);
out_close:
	fclose(f);
out:
	free(text);
	return rc;
}

/* Names "YYYY.txt" exactly: the files data/calendar/ holds. */
static bool cal__is_year_file(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	return strcmp(name + 4, ".txt") == 0;
}

static int cal__name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int desk_calendar_load_dir(struct desk_calendar *cal, const char *dir,
			   struct desk_cal_error *err)
{
	char names[DESK_CAL_YEARS_MAX][16];
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;

	if (err) {
		err->name[0] = '\0';
		err->line = 0;
		err->text[0] = '\0';
	}
	if (!d) {
		if (err)
			snprintf(err->text, sizeof(err->text), "%s: cannot open: %s", dir,
				 strerror(errno));
		return PL_EIO;
	}
	while ((e = readdir(d)) != NULL) {
		if (!cal__is_year_file(e->d_name))
			continue;
		if (n == DESK_CAL_YEARS_MAX) {
			if (err)
				snprintf(err->text, sizeof(err->text), "%s: more than %d calendar files",
					 dir, DESK_CAL_YEARS_MAX);
			rc = PL_ETOOBIG;
			goto out;
		}
		pl_strlcpy(names[n++], e->d_name, sizeof(names[0]));
	}
	if (n == 0) {
		if (err)
			snprintf(err->text, sizeof(err->text), "%s: no YYYY.txt calendar file", dir);
		rc = PL_ENOTFOUND;
		goto out;
	}
	qsort(names, n, sizeof(names[0]), cal__name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct pl_buf b;
		pl_buf_init(&b, 4096); /* a path longer than this is refused */
		if (pl_buf_printf(&b, "%s/%s", dir, names[i])) {
			pl_buf_release(&b);
			rc = PL_ETOOBIG;
			goto out;
		}
		rc = desk_calendar_load_file(cal, b.data, err);
		pl_buf_release(&b);
		if (rc)
			goto out;
	}
out:
	closedir(d);
	return rc;
}

/* ------------------------------------------------------------ durations */

int desk_duration_parse(const char *s, struct desk_duration *out)
{
	char num[12];
	size_t n = 0;
	int64_t v;
	struct desk_duration d;

	if (!s)
		return PL_EINVAL;
	while (n < sizeof(num) - 1 && s[n] >= '0' && s[n] <= '9') {
		num[n] = s[n];
		n++;
	}
	num[n] = '\0';
	if (n == 0 || pl_parse_i64(num, 1, INT32_MAX, &v))
		return PL_EINVAL;
	if (strcmp(s + n, "m") == 0) {
		d.unit = DESK_UNIT_MINUTES;
	} else if (strcmp(s + n, "h") == 0) {
		d.unit = DESK_UNIT_MINUTES;
		v *= 60;
	} else if (strcmp(s + n, "wd") == 0) {
		d.unit = DESK_UNIT_WORKDAYS;
	} else {
		return PL_EINVAL;
	}
	if (v > (d.unit == DESK_UNIT_MINUTES ? DESK_MINUTES_MAX : DESK_WORKDAYS_MAX))
		return PL_EINVAL;
	d.amount = (int32_t)v;
	*out = d;
	return 0;
}

void desk_duration_format(struct desk_duration d, char out[16])
{
	if (d.unit == DESK_UNIT_WORKDAYS)
		snprintf(out, 16, "%dwd", (int)d.amount);
	else if (d.amount % 60 == 0)
		snprintf(out, 16, "%dh", (int)(d.amount / 60));
	else
		snprintf(out, 16, "%dm", (int)d.amount);
}

/* ------------------------------------------------------------ deadlines */

static int cal__pause_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct desk_pause *)a)->from_ms;
	int64_t y = ((const struct desk_pause *)b)->from_ms;
	return (x > y) - (x < y);
}

int desk_deadline_add(int64_t start_ms, struct desk_duration d,
		      const struct desk_calendar *cal,
		      const struct desk_pause *pauses, size_t npauses,
		      int64_t *due_ms)
{
	struct desk_pause pz[DESK_PAUSES_MAX];
	size_t np = 0, pi = 0;
	int64_t t, remaining;
	bool workdays = d.unit == DESK_UNIT_WORKDAYS;

	if (start_ms < 0 || start_ms > DESK_TIME_MAX)
		return PL_EINVAL;
	if (workdays ? (d.amount < 1 || d.amount > DESK_WORKDAYS_MAX || !cal)
		     : (d.unit != DESK_UNIT_MINUTES || d.amount < 1 ||
			d.amount > DESK_MINUTES_MAX))
		return PL_EINVAL;
	if (npauses > DESK_PAUSES_MAX)
		return PL_ETOOBIG;
	if (npauses && !pauses)
		return PL_EINVAL;

	/* Sort and merge the pauses so the walk sees disjoint intervals in
	 * order; overlapping pauses (two reasons to wait at once) count once. */
	for (size_t i = 0; i < npauses; i++) {
		const struct desk_pause *q = &pauses[i];
		if (q->from_ms < 0 || q->from_ms > DESK_TIME_MAX || q->from_ms >= q->to_ms ||
		    (q->to_ms > DESK_TIME_MAX && q->to_ms != DESK_OPEN))
			return PL_EINVAL;
		pz[i] = *q;
	}
	if (npauses)
		qsort(pz, npauses, sizeof(pz[0]), cal__pause_cmp);
	for (size_t i = 0; i < npauses; i++) {
		if (np && pz[i].from_ms <= pz[np - 1].to_ms) {
			if (pz[i].to_ms > pz[np - 1].to_ms)
				pz[np - 1].to_ms = pz[i].to_ms;
		} else {
			pz[np++] = pz[i];
		}
	}

	if (workdays) {
		t = desk_day_start_ms(desk_day_from_ms(start_ms) + 1);
		remaining = (int64_t)d.amount * DAY_MS;
	} else {
		t = start_ms;
		remaining = (int64_t)d.amount * 60 * 1000;
	}

	for (;;) {
		int64_t seg_end = INT64_MAX;

		if (workdays) {
			int32_t day = desk_day_from_ms(t);
			bool w;
			int rc = desk_calendar_is_workday(cal, day, &w);
			if (rc)
				return rc;
			seg_end = desk_day_start_ms(day + 1);
			if (!w) {
				t = seg_end;
				continue;
			}
		}
		/* Inside [t, seg_end): alternate unpaused runs and pauses. */
		while (t < seg_end) {
			int64_t run_end;

			while (pi < np && pz[pi].to_ms <= t)
				pi++;
			if (pi < np && pz[pi].from_ms <= t) {
				if (pz[pi].to_ms == DESK_OPEN) {
					*due_ms = DESK_NO_DUE;
					return 0;
				}
				t = pz[pi].to_ms < seg_end ? pz[pi].to_ms : seg_end;
				continue;
			}
			run_end = seg_end;
			if (pi < np && pz[pi].from_ms < run_end)
				run_end = pz[pi].from_ms;
			/* run_end may be INT64_MAX (minute clocks, no pause
			 * ahead): compare without forming run_end - t. */
			if (run_end == INT64_MAX || remaining <= run_end - t) {
				*due_ms = t + remaining;
				return 0;
			}
			remaining -= run_end - t;
			t = run_end;
		}
	}
}
