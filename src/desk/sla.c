/*
 * sla.c - the SLA table: how long each clock of a request may run, per
 * category (咨询, 求助, 投诉, 建议, 水电气热) and urgency, and the parser
 * for the park's overrides.
 *
 * Three clocks per cell: sign (派单 -> 签收), contact (签收 -> first
 * contact, 响应) and resolve (签收 -> 办结; the handling clock starts at
 * 签收, as the hotline rules say). The defaults below cite the domain note
 * (shared/docs/domain/service-desk.md §2); cells marked "park choice" have
 * no published source and are ours. Parks differ, so every cell can be
 * overridden from a small text file (format in docs/desk.md).
 */
#include "desk.h"

#define M(n) { DESK_UNIT_MINUTES, (n) }
#define H(n) { DESK_UNIT_MINUTES, (n) * 60 }
#define WD(n) { DESK_UNIT_WORKDAYS, (n) }

/* [category][urgency] = { sign, contact, resolve } */
static const struct desk_sla_table sla__defaults = { .cell = {
	[DESK_CAT_CONSULT] = {
		/* 2 h web intake (Beijing draft spec), contact 1 h (Zhongshan
		 * 马上办), 咨询 3 working days (municipal 12345 procedure). */
		[DESK_URG_NORMAL] = { H(2), H(1), WD(3) },
		[DESK_URG_URGENT] = { M(30), H(1), H(24) },
		[DESK_URG_CRITICAL] = { M(10), M(30), H(2) },
	},
	[DESK_CAT_HELP] = {
		/* 求助: closed within 5 working days (Zhongshan). */
		[DESK_URG_NORMAL] = { H(2), H(1), WD(5) },
		[DESK_URG_URGENT] = { M(30), H(1), H(24) },
		[DESK_URG_CRITICAL] = { M(10), M(30), H(2) },
	},
	[DESK_CAT_COMPLAINT] = {
		/* 投诉: 5 working days for enterprises (Zhongshan), tighter than
		 * the 13 of a municipal 12345. */
		[DESK_URG_NORMAL] = { H(2), H(1), WD(5) },
		[DESK_URG_URGENT] = { M(30), H(1), H(24) },
		[DESK_URG_CRITICAL] = { M(10), M(30), H(2) },
	},
	[DESK_CAT_SUGGESTION] = {
		/* 建议: 13 working days (municipal 12345 procedure). */
		[DESK_URG_NORMAL] = { H(2), H(1), WD(13) },
		[DESK_URG_URGENT] = { M(30), H(1), WD(5) },
		[DESK_URG_CRITICAL] = { M(10), M(30), H(24) },
	},
	[DESK_CAT_UTILITY] = {
		/* water-power-gas-heat: 24 h (Beijing draft spec). */
		[DESK_URG_NORMAL] = { H(1), H(1), H(24) },
		[DESK_URG_URGENT] = { M(30), M(30), H(24) },
		[DESK_URG_CRITICAL] = { M(10), M(30), H(2) },
	},
} };
/* Critical everywhere: 10-minute response (Chongqing Dadukou "10 分钟响应"),
 * resolved within 2 h (Beijing: emergencies and risk to life or property);
 * its 30-minute contact and all urgent cells are park choices. */

#undef M
#undef H
#undef WD

static const char *const sla__cats[DESK_CAT_COUNT] = {
	"consult", "help", "complaint", "suggestion", "utility",
};
static const char *const sla__urgs[DESK_URG_COUNT] = { "normal", "urgent", "critical" };
static const char *const sla__clocks[DESK_CLK_COUNT] = { "sign", "contact", "resolve" };

const char *desk_category_name(enum desk_category c)
{
	return (unsigned)c < DESK_CAT_COUNT ? sla__cats[c] : "?";
}

const char *desk_urgency_name(enum desk_urgency u)
{
	return (unsigned)u < DESK_URG_COUNT ? sla__urgs[u] : "?";
}

const char *desk_clock_name(enum desk_clock k)
{
	return (unsigned)k < DESK_CLK_COUNT ? sla__clocks[k] : "?";
}

static int sla__lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int desk_category_parse(const char *s, enum desk_category *out)
{
	int i = sla__lookup(s, sla__cats, DESK_CAT_COUNT);
	if (i < 0)
		return PL_EINVAL;
	*out = (enum desk_category)i;
	return 0;
}

int desk_urgency_parse(const char *s, enum desk_urgency *out)
{
	int i = sla__lookup(s, sla__urgs, DESK_URG_COUNT);
	if (i < 0)
		return PL_EINVAL;
	*out = (enum desk_urgency)i;
	return 0;
}

int desk_clock_parse(const char *s, enum desk_clock *out)
{
	int i = sla__lookup(s, sla__clocks, DESK_CLK_COUNT);
	if (i < 0)
		return PL_EINVAL;
	*out = (enum desk_clock)i;
	return 0;
}

void desk_sla_defaults(struct desk_sla_table *t)
{
	*t = sla__defaults;
}

static int sla__fail(struct desk_cal_error *err, const char *name, int line,
		     int rc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int sla__fail(struct desk_cal_error *err, const char *name, int line,
		     int rc, const char *fmt, ...)
{
	if (err) {
		char msg[sizeof(err->text)];
		char full[sizeof(err->name) + sizeof(msg) + 16];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		pl_strlcpy(err->name, name, sizeof(err->name));
		err->line = line;
		snprintf(full, sizeof(full), "%s:%d: %s", err->name, line, msg);
		pl_strlcpy(err->text, full, sizeof(err->text));
	}
	return rc;
}

#define SLA_LINE_MAX 128

int desk_sla_parse(struct desk_sla_table *t, const char *text, size_t len,
		   const char *name, struct desk_cal_error *err)
{
	struct desk_sla_table work = *t; /* all-or-nothing: edit a copy */
	size_t start = 0;
	int line = 0;

	name = name ? name : "sla";
	if (err) {
		err->name[0] = '\0';
		err->line = 0;
		err->text[0] = '\0';
	}
	if (len > DESK_SLA_FILE_MAX)
		return sla__fail(err, name, 0, PL_ETOOBIG, "larger than %d bytes",
				 DESK_SLA_FILE_MAX);
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t l = end - start;
		char buf[SLA_LINE_MAX + 1], *save = NULL, *w[5];
		int nw = 0;

		line++;
		if (l > SLA_LINE_MAX)
			return sla__fail(err, name, line, PL_ETOOBIG,
					 "line longer than %d bytes", SLA_LINE_MAX);
		memcpy(buf, text + start, l);
		buf[l] = '\0';
		start = end + 1;
		if (strlen(buf) != l)
			return sla__fail(err, name, line, PL_EPARSE, "NUL byte");
		for (char *tok = strtok_r(buf, " \t\r", &save); tok && nw < 5;
		     tok = strtok_r(NULL, " \t\r", &save))
			w[nw++] = tok;
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (nw != 4)
			return sla__fail(err, name, line, PL_EPARSE,
					 "expected '<category|*> <urgency|*> <clock|*> <duration>'");

		int c0 = 0, c1 = DESK_CAT_COUNT, u0 = 0, u1 = DESK_URG_COUNT;
		int k0 = 0, k1 = DESK_CLK_COUNT;
		struct desk_duration d;
		if (strcmp(w[0], "*") != 0) {
			if ((c0 = sla__lookup(w[0], sla__cats, DESK_CAT_COUNT)) < 0)
				return sla__fail(err, name, line, PL_EINVAL,
						 "unknown category '%.32s' (consult, help, complaint, suggestion, utility)",
						 w[0]);
			c1 = c0 + 1;
		}
		if (strcmp(w[1], "*") != 0) {
			if ((u0 = sla__lookup(w[1], sla__urgs, DESK_URG_COUNT)) < 0)
				return sla__fail(err, name, line, PL_EINVAL,
						 "unknown urgency '%.32s' (normal, urgent, critical)",
						 w[1]);
			u1 = u0 + 1;
		}
		if (strcmp(w[2], "*") != 0) {
			if ((k0 = sla__lookup(w[2], sla__clocks, DESK_CLK_COUNT)) < 0)
				return sla__fail(err, name, line, PL_EINVAL,
						 "unknown clock '%.32s' (sign, contact, resolve)",
						 w[2]);
			k1 = k0 + 1;
		}
		if (desk_duration_parse(w[3], &d))
			return sla__fail(err, name, line, PL_EINVAL,
					 "bad duration '%.32s' (like 30m, 2h, 5wd; at most %d days or %d working days)",
					 w[3], DESK_MINUTES_MAX / 1440, DESK_WORKDAYS_MAX);
		for (int c = c0; c < c1; c++)
			for (int u = u0; u < u1; u++)
				for (int k = k0; k < k1; k++)
					work.cell[c][u][k] = d;
	}
	*t = work;
	return 0;
}

int desk_sla_due(const struct desk_sla_table *t, enum desk_category c,
		 enum desk_urgency u, enum desk_clock k, int64_t start_ms,
		 const struct desk_calendar *cal, const struct desk_pause *pauses,
		 size_t npauses, int64_t *due_ms)
{
	if ((unsigned)c >= DESK_CAT_COUNT || (unsigned)u >= DESK_URG_COUNT ||
	    (unsigned)k >= DESK_CLK_COUNT)
		return PL_EINVAL;
	return desk_deadline_add(start_ms, t->cell[c][u][k], cal, pauses, npauses, due_ms);
}
