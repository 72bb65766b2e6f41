/*
 * id.c - EPC URNs, GS1 Digital Link URIs and China drug codes: checked and
 * normalised to one canonical form (see trace_id_parse in trace.h).
 *
 * Why Digital Link is the canonical form: the CBV 2.0 event hash already
 * requires every GS1 key to be rewritten as a canonical Digital Link on
 * https://id.gs1.org, so using the same form for stored identifiers means
 * one normaliser, and a URN captured today matches a Digital Link queried
 * tomorrow. The reverse (DL -> URN) needs the GS1 company prefix length,
 * which a Digital Link does not carry, so it is not offered here.
 *
 * Everything works on fixed-size stack buffers: inputs longer than
 * TRACE_ID_MAX are refused before any copying, and nothing allocates.
 * The URN grammars follow GS1 EPC Tag Data Standard 2.x section 6; the
 * Digital Link grammar follows GS1 Digital Link 1.x (primary key, then
 * key qualifiers in AI/value path pairs).
 */
#include "trace.h"

#include <ctype.h>

/* A bounded string builder over a caller's array: appends past the end set
 * overflow instead of writing, so callers check once at the end. */
struct id__sb {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void sb__init(struct id__sb *sb, char *p, size_t cap)
{
	sb->p = p;
	sb->len = 0;
	sb->cap = cap;
	sb->overflow = cap == 0;
	if (cap)
		p[0] = '\0';
}

static void sb__put(struct id__sb *sb, const char *s, size_t n)
{
	if (sb->overflow || n >= sb->cap - sb->len) {
		sb->overflow = true;
		return;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void sb__puts(struct id__sb *sb, const char *s)
{
	sb__put(sb, s, strlen(s));
}

static void sb__putc(struct id__sb *sb, char c)
{
	sb__put(sb, &c, 1);
}

int trace_gs1_check_digit(const char *d, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		char c = d[n - 1 - i];
		if (c < '0' || c > '9')
			return -1;
		sum += (c - '0') * (i % 2 == 0 ? 3 : 1);
	}
	return (10 - sum % 10) % 10;
}

static bool id__digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Digits d[0..n) whose last digit is the check digit of the others. */
static bool id__check_ok(const char *d, size_t n)
{
	return n >= 2 && id__digits(d, n) &&
	       trace_gs1_check_digit(d, n - 1) == d[n - 1] - '0';
}

static bool id__hex(char c)
{
	return isxdigit((unsigned char)c) != 0;
}

/* GS1 "GS3A3" characters allowed in URN and Digital Link serials, with %HH
 * escapes. Returns the number of characters (an escape counts as one) or
 * -1 on a character outside the set. Whitespace, '/', '?', '#', '"' and
 * non-ASCII never pass, which keeps these values safe inside a path. */
static long id__gs3a3_len(const char *s, size_t n)
{
	static const char extra[] = "!'()*+,-.:;=_";
	long count = 0;

	for (size_t i = 0; i < n; i++, count++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || !id__hex(s[i + 1]) || !id__hex(s[i + 2]))
				return -1;
			i += 2;
			continue;
		}
		if (isalnum(c) || (c && strchr(extra, c)))
			continue;
		return -1;
	}
	return count;
}

/* Writes a URN serial into a Digital Link path segment: the characters the
 * Digital Link standard (table 7-1) wants percent-encoded that URNs allow
 * raw. Existing %HH escapes are kept as they are. */
static void id__dl_encode(struct id__sb *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '!': sb__puts(sb, "%21"); break;
		case '(': sb__puts(sb, "%28"); break;
		case ')': sb__puts(sb, "%29"); break;
		case '*': sb__puts(sb, "%2A"); break;
		case '+': sb__puts(sb, "%2B"); break;
		case ',': sb__puts(sb, "%2C"); break;
		case ':': sb__puts(sb, "%3A"); break;
		default: sb__putc(sb, s[i]); break;
		}
	}
}

/* Appends digits d[0..n) followed by their check digit. */
static void id__put_checked(struct id__sb *sb, const char *d, size_t n)
{
	int c = trace_gs1_check_digit(d, n);
	sb__put(sb, d, n);
	sb__putc(sb, (char)('0' + (c < 0 ? 0 : c)));
}

/* ------------------------------------------------------------- EPC URNs */

/* Splits s[0..n) at the first (k-1) dots into k fields; the last field
 * takes the rest (serials may contain dots). False when fewer dots. */
struct id__field {
	const char *p;
	size_t n;
};

static bool id__split(const char *s, size_t n, struct id__field *f, int k)
{
	size_t start = 0;

	for (int i = 0; i < k - 1; i++) {
		const char *dot = memchr(s + start, '.', n - start);
		if (!dot)
			return false;
		f[i].p = s + start;
		f[i].n = (size_t)(dot - (s + start));
		start = (size_t)(dot - s) + 1;
	}
	f[k - 1].p = s + start;
	f[k - 1].n = n - start;
	return true;
}

/* Company prefix (6..12 digits) + reference (digits) totalling `total`. */
static bool id__cp_ref(const struct id__field *cp, const struct id__field *ref,
		       size_t total)
{
	return cp->n >= 6 && cp->n <= 12 && id__digits(cp->p, cp->n) &&
	       cp->n + ref->n == total && id__digits(ref->p, ref->n);
}

/* GTIN-14 from an SGTIN-style CP + indicator/item reference, into g[15]. */
static void id__gtin(const struct id__field *cp, const struct id__field *ir,
		     char g[15])
{
	char d[13];
	d[0] = ir->p[0];
	memcpy(d + 1, cp->p, cp->n);
	memcpy(d + 1 + cp->n, ir->p + 1, ir->n - 1);
	memcpy(g, d, 13);
	g[13] = (char)('0' + trace_gs1_check_digit(d, 13));
	g[14] = '\0';
}

/* CP + REF concatenated (no indicator shuffling) into d, length returned. */
static size_t id__cat(const struct id__field *a, const struct id__field *b,
		      char *d)
{
	memcpy(d, a->p, a->n);
	memcpy(d + a->n, b->p, b->n);
	return a->n + b->n;
}

#define ID_FAIL(msg) do { *why = (msg); return PL_EINVAL; } while (0)

static int id__urn(const char *s, size_t n, struct trace_id *out,
		   struct id__sb *sb, const char **why)
{
	struct id__field f[5];
	char d[32], g[15];
	size_t dn;
	long sl;

#define BODY(prefix) (n > sizeof(prefix) - 1 && \
		      memcmp(s, prefix, sizeof(prefix) - 1) == 0 ? \
		      (s + sizeof(prefix) - 1) : NULL)
#define BODYLEN(prefix) (n - (sizeof(prefix) - 1))
	const char *b;

	sb__puts(sb, "https://id.gs1.org/");
	if ((b = BODY("urn:epc:id:sgtin:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:sgtin:"), f, 3) ||
		    !id__cp_ref(&f[0], &f[1], 13))
			ID_FAIL("SGTIN needs CompanyPrefix.IndicatorItemRef.Serial with 13 digits before the serial");
		sl = id__gs3a3_len(f[2].p, f[2].n);
		if (sl < 1 || sl > 20)
			ID_FAIL("SGTIN serial must be 1 to 20 GS1 URN characters");
		id__gtin(&f[0], &f[1], g);
		sb__puts(sb, "01/");
		sb__puts(sb, g);
		sb__puts(sb, "/21/");
		id__dl_encode(sb, f[2].p, f[2].n);
		out->kind = TRACE_ID_SGTIN;
	} else if ((b = BODY("urn:epc:class:lgtin:"))) {
		if (!id__split(b, BODYLEN("urn:epc:class:lgtin:"), f, 3) ||
		    !id__cp_ref(&f[0], &f[1], 13))
			ID_FAIL("LGTIN needs CompanyPrefix.IndicatorItemRef.Lot with 13 digits before the lot");
		sl = id__gs3a3_len(f[2].p, f[2].n);
		if (sl < 1 || sl > 20)
			ID_FAIL("LGTIN lot must be 1 to 20 GS1 URN characters");
		id__gtin(&f[0], &f[1], g);
		sb__puts(sb, "01/");
		sb__puts(sb, g);
		sb__puts(sb, "/10/");
		id__dl_encode(sb, f[2].p, f[2].n);
		out->kind = TRACE_ID_LGTIN;
	} else if ((b = BODY("urn:epc:idpat:sgtin:"))) {
		if (!id__split(b, BODYLEN("urn:epc:idpat:sgtin:"), f, 3) ||
		    !id__cp_ref(&f[0], &f[1], 13) || f[2].n != 1 || f[2].p[0] != '*')
			ID_FAIL("SGTIN pattern must be CompanyPrefix.IndicatorItemRef.*");
		id__gtin(&f[0], &f[1], g);
		sb__puts(sb, "01/");
		sb__puts(sb, g);
		out->kind = TRACE_ID_GTIN;
	} else if ((b = BODY("urn:epc:id:upui:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:upui:"), f, 3) ||
		    !id__cp_ref(&f[0], &f[1], 13))
			ID_FAIL("UPUI needs CompanyPrefix.IndicatorItemRef.TPX");
		sl = id__gs3a3_len(f[2].p, f[2].n);
		if (sl < 1 || sl > 28)
			ID_FAIL("UPUI TPX must be 1 to 28 GS1 URN characters");
		id__gtin(&f[0], &f[1], g);
		sb__puts(sb, "01/");
		sb__puts(sb, g);
		sb__puts(sb, "/235/");
		id__dl_encode(sb, f[2].p, f[2].n);
		out->kind = TRACE_ID_UPUI;
	} else if ((b = BODY("urn:epc:id:sscc:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:sscc:"), f, 2) ||
		    !id__cp_ref(&f[0], &f[1], 17))
			ID_FAIL("SSCC needs CompanyPrefix.SerialRef with 17 digits in all");
		/* The serial reference's first digit is the extension digit,
		 * which leads the SSCC. */
		d[0] = f[1].p[0];
		memcpy(d + 1, f[0].p, f[0].n);
		memcpy(d + 1 + f[0].n, f[1].p + 1, f[1].n - 1);
		sb__puts(sb, "00/");
		id__put_checked(sb, d, 17);
		out->kind = TRACE_ID_SSCC;
	} else if ((b = BODY("urn:epc:id:sgln:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:sgln:"), f, 3) ||
		    !id__cp_ref(&f[0], &f[1], 12))
			ID_FAIL("SGLN needs CompanyPrefix.LocationRef.Extension with 12 digits before the extension");
		sl = id__gs3a3_len(f[2].p, f[2].n);
		if (sl < 1 || sl > 20)
			ID_FAIL("SGLN extension must be 1 to 20 GS1 URN characters");
		dn = id__cat(&f[0], &f[1], d);
		sb__puts(sb, "414/");
		id__put_checked(sb, d, dn);
		/* Extension "0" means "no extension" in the URN. */
		if (!(f[2].n == 1 && f[2].p[0] == '0')) {
			sb__puts(sb, "/254/");
			id__dl_encode(sb, f[2].p, f[2].n);
		}
		out->kind = TRACE_ID_SGLN;
	} else if ((b = BODY("urn:epc:id:pgln:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:pgln:"), f, 2) ||
		    !id__cp_ref(&f[0], &f[1], 12))
			ID_FAIL("PGLN needs CompanyPrefix.PartyRef with 12 digits in all");
		dn = id__cat(&f[0], &f[1], d);
		sb__puts(sb, "417/");
		id__put_checked(sb, d, dn);
		out->kind = TRACE_ID_PGLN;
	} else if ((b = BODY("urn:epc:id:grai:")) || (b = BODY("urn:epc:idpat:grai:"))) {
		bool pat = s[8] == 'i' && s[9] == 'd' && s[10] == 'p';
		size_t bl = pat ? BODYLEN("urn:epc:idpat:grai:") : BODYLEN("urn:epc:id:grai:");
		if (!id__split(b, bl, f, 3) || !id__cp_ref(&f[0], &f[1], 12))
			ID_FAIL("GRAI needs CompanyPrefix.AssetType.Serial with 12 digits before the serial");
		sl = id__gs3a3_len(f[2].p, f[2].n);
		if (pat ? (f[2].n != 1 || f[2].p[0] != '*') : (sl < 1 || sl > 16))
			ID_FAIL(pat ? "GRAI pattern must end in .*" :
				"GRAI serial must be 1 to 16 GS1 URN characters");
		d[0] = '0';
		dn = 1 + id__cat(&f[0], &f[1], d + 1);
		sb__puts(sb, "8003/");
		id__put_checked(sb, d, dn);
		if (!pat)
			id__dl_encode(sb, f[2].p, f[2].n);
		out->kind = TRACE_ID_GRAI;
	} else if ((b = BODY("urn:epc:id:giai:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:giai:"), f, 2) ||
		    f[0].n < 6 || f[0].n > 12 || !id__digits(f[0].p, f[0].n))
			ID_FAIL("GIAI needs CompanyPrefix.IndividualAssetRef");
		sl = id__gs3a3_len(f[1].p, f[1].n);
		if (sl < 1 || (size_t)sl + f[0].n > 30)
			ID_FAIL("GIAI must be at most 30 characters with a non-empty asset reference");
		sb__puts(sb, "8004/");
		sb__put(sb, f[0].p, f[0].n);
		id__dl_encode(sb, f[1].p, f[1].n);
		out->kind = TRACE_ID_GIAI;
	} else if ((b = BODY("urn:epc:id:gsrn:")) || (b = BODY("urn:epc:id:gsrnp:"))) {
		bool p = s[15] == 'p';
		size_t bl = p ? BODYLEN("urn:epc:id:gsrnp:") : BODYLEN("urn:epc:id:gsrn:");
		if (!id__split(b, bl, f, 2) || !id__cp_ref(&f[0], &f[1], 17))
			ID_FAIL("GSRN needs CompanyPrefix.ServiceRef with 17 digits in all");
		dn = id__cat(&f[0], &f[1], d);
		sb__puts(sb, p ? "8017/" : "8018/");
		id__put_checked(sb, d, dn);
		out->kind = p ? TRACE_ID_GSRNP : TRACE_ID_GSRN;
	} else if ((b = BODY("urn:epc:id:gdti:")) || (b = BODY("urn:epc:idpat:gdti:"))) {
		bool pat = s[8] == 'i' && s[9] == 'd' && s[10] == 'p';
		size_t bl = pat ? BODYLEN("urn:epc:idpat:gdti:") : BODYLEN("urn:epc:id:gdti:");
		if (!id__split(b, bl, f, 3) || !id__cp_ref(&f[0], &f[1], 12))
			ID_FAIL("GDTI needs CompanyPrefix.DocumentType.Serial with 12 digits before the serial");
		sl = id__gs3a3_len(f[2].p, f[2].n);
		if (pat ? (f[2].n != 1 || f[2].p[0] != '*') : (sl < 0 || sl > 17))
			ID_FAIL(pat ? "GDTI pattern must end in .*" :
				"GDTI serial must be at most 17 GS1 URN characters");
		dn = id__cat(&f[0], &f[1], d);
		sb__puts(sb, "253/");
		id__put_checked(sb, d, dn);
		if (!pat)
			id__dl_encode(sb, f[2].p, f[2].n);
		out->kind = TRACE_ID_GDTI;
	} else if ((b = BODY("urn:epc:id:sgcn:")) || (b = BODY("urn:epc:idpat:sgcn:"))) {
		bool pat = s[8] == 'i' && s[9] == 'd' && s[10] == 'p';
		size_t bl = pat ? BODYLEN("urn:epc:idpat:sgcn:") : BODYLEN("urn:epc:id:sgcn:");
		if (!id__split(b, bl, f, 3) || !id__cp_ref(&f[0], &f[1], 12))
			ID_FAIL("SGCN needs CompanyPrefix.CouponRef.Serial with 12 digits before the serial");
		if (pat ? (f[2].n != 1 || f[2].p[0] != '*') :
			  (f[2].n < 1 || f[2].n > 12 || !id__digits(f[2].p, f[2].n)))
			ID_FAIL(pat ? "SGCN pattern must end in .*" :
				"SGCN serial must be 1 to 12 digits");
		dn = id__cat(&f[0], &f[1], d);
		sb__puts(sb, "255/");
		id__put_checked(sb, d, dn);
		if (!pat)
			sb__put(sb, f[2].p, f[2].n);
		out->kind = TRACE_ID_SGCN;
	} else if ((b = BODY("urn:epc:id:cpi:"))) {
		size_t bl = BODYLEN("urn:epc:id:cpi:");
		const char *last = NULL;
		for (size_t i = 0; i < bl; i++)
			if (b[i] == '.')
				last = b + i;
		if (!id__split(b, bl, f, 2) || !last || last == f[1].p - 1)
			ID_FAIL("CPI needs CompanyPrefix.ComponentPartRef.Serial");
		f[2].p = last + 1;
		f[2].n = (size_t)(b + bl - f[2].p);
		f[1].n = (size_t)(last - f[1].p);
		if (f[0].n < 6 || f[0].n > 12 || !id__digits(f[0].p, f[0].n) ||
		    f[1].n < 1 || f[0].n + f[1].n > 30 ||
		    f[2].n < 1 || f[2].n > 12 || !id__digits(f[2].p, f[2].n))
			ID_FAIL("CPI needs CompanyPrefix.ComponentPartRef.Serial (serial 1 to 12 digits)");
		if (id__gs3a3_len(f[1].p, f[1].n) < 1)
			ID_FAIL("CPI component/part reference has a bad %-escape");
		for (size_t i = 0; i < f[1].n; i++) {
			char c = f[1].p[i];
			if (!(isdigit((unsigned char)c) || (c >= 'A' && c <= 'Z') ||
			      c == '-' || c == '%'))
				ID_FAIL("CPI component/part reference allows 0-9, A-Z, - and escapes only");
		}
		sb__puts(sb, "8010/");
		sb__put(sb, f[0].p, f[0].n);
		sb__put(sb, f[1].p, f[1].n);
		sb__puts(sb, "/8011/");
		sb__put(sb, f[2].p, f[2].n);
		out->kind = TRACE_ID_CPI;
	} else if ((b = BODY("urn:epc:id:ginc:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:ginc:"), f, 2) ||
		    f[0].n < 6 || f[0].n > 12 || !id__digits(f[0].p, f[0].n))
			ID_FAIL("GINC needs CompanyPrefix.ConsignmentRef");
		sl = id__gs3a3_len(f[1].p, f[1].n);
		if (sl < 1 || (size_t)sl + f[0].n > 30)
			ID_FAIL("GINC must be at most 30 characters");
		sb__puts(sb, "401/");
		sb__put(sb, f[0].p, f[0].n);
		id__dl_encode(sb, f[1].p, f[1].n);
		out->kind = TRACE_ID_GINC;
	} else if ((b = BODY("urn:epc:id:gsin:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:gsin:"), f, 2) ||
		    !id__cp_ref(&f[0], &f[1], 16))
			ID_FAIL("GSIN needs CompanyPrefix.ShipperRef with 16 digits in all");
		dn = id__cat(&f[0], &f[1], d);
		sb__puts(sb, "402/");
		id__put_checked(sb, d, dn);
		out->kind = TRACE_ID_GSIN;
	} else if ((b = BODY("urn:epc:id:itip:"))) {
		if (!id__split(b, BODYLEN("urn:epc:id:itip:"), f, 5) ||
		    !id__cp_ref(&f[0], &f[1], 13) ||
		    f[2].n != 2 || !id__digits(f[2].p, 2) ||
		    f[3].n != 2 || !id__digits(f[3].p, 2))
			ID_FAIL("ITIP needs CompanyPrefix.IndicatorItemRef.Piece.Total.Serial");
		sl = id__gs3a3_len(f[4].p, f[4].n);
		if (sl < 1 || sl > 20)
			ID_FAIL("ITIP serial must be 1 to 20 GS1 URN characters");
		id__gtin(&f[0], &f[1], g);
		sb__puts(sb, "8006/");
		sb__puts(sb, g);
		sb__put(sb, f[2].p, 2);
		sb__put(sb, f[3].p, 2);
		sb__puts(sb, "/21/");
		id__dl_encode(sb, f[4].p, f[4].n);
		out->kind = TRACE_ID_ITIP;
	} else {
		ID_FAIL("unsupported EPC URN scheme");
	}
#undef BODY
#undef BODYLEN
	return 0;
}

/* ------------------------------------------------------ GS1 Digital Link */

enum dl__syntax {
	DL_N,      /* exactly n digits with a check digit */
	DL_GTIN,   /* 8, 12, 13 or 14 digits with a check digit, padded to 14 */
	DL_NX,     /* n digits (checked) then 0..m GS3A3 characters */
	DL_NN,     /* n digits (checked) then 0..m digits */
	DL_X,      /* 1..m GS3A3 characters */
	DL_ITIP,   /* GTIN-14 (checked) + 4 digits */
};

struct dl__primary {
	const char *ai;
	enum trace_id_kind kind;
	enum dl__syntax syn;
	size_t n, m;
	const char *quals[4]; /* allowed qualifiers, finest first; NULL ends */
	const char *keep[3];  /* qualifiers kept in the canonical form */
};

static const struct dl__primary dl__primaries[] = {
	{ "00", TRACE_ID_SSCC, DL_N, 18, 0, { NULL }, { NULL } },
	{ "01", TRACE_ID_GTIN, DL_GTIN, 14, 0, { "21", "10", "235", "22" },
	  { "21", "10", "235" } },
	{ "253", TRACE_ID_GDTI, DL_NX, 13, 17, { NULL }, { NULL } },
	{ "255", TRACE_ID_SGCN, DL_NN, 13, 12, { NULL }, { NULL } },
	{ "401", TRACE_ID_GINC, DL_X, 0, 30, { NULL }, { NULL } },
	{ "402", TRACE_ID_GSIN, DL_N, 17, 0, { NULL }, { NULL } },
	{ "414", TRACE_ID_SGLN, DL_N, 13, 0, { "254", "7040" }, { "254" } },
	{ "417", TRACE_ID_PGLN, DL_N, 13, 0, { NULL }, { NULL } },
	{ "8003", TRACE_ID_GRAI, DL_NX, 14, 16, { NULL }, { NULL } },
	{ "8004", TRACE_ID_GIAI, DL_X, 0, 30, { NULL }, { NULL } },
	{ "8006", TRACE_ID_ITIP, DL_ITIP, 18, 0, { "21", "10", "22" }, { "21", "10" } },
	{ "8010", TRACE_ID_CPI, DL_X, 0, 30, { "8011" }, { "8011" } },
	{ "8017", TRACE_ID_GSRNP, DL_N, 18, 0, { NULL }, { NULL } },
	{ "8018", TRACE_ID_GSRN, DL_N, 18, 0, { NULL }, { NULL } },
};

#define DL_SEG_MAX 32

static const struct dl__primary *dl__find(const struct id__field *seg)
{
	for (size_t i = 0; i < sizeof(dl__primaries) / sizeof(dl__primaries[0]); i++)
		if (strlen(dl__primaries[i].ai) == seg->n &&
		    memcmp(dl__primaries[i].ai, seg->p, seg->n) == 0)
			return &dl__primaries[i];
	return NULL;
}

static bool dl__seg_is(const struct id__field *seg, const char *s)
{
	return s && strlen(s) == seg->n && memcmp(s, seg->p, seg->n) == 0;
}

/* Checks the primary key value and writes it (GTINs padded to 14). */
static int dl__key(const struct dl__primary *pk, const struct id__field *v,
		   struct id__sb *sb, const char **why)
{
	long sl;

	switch (pk->syn) {
	case DL_N:
		if (v->n != pk->n || !id__check_ok(v->p, v->n))
			ID_FAIL("Digital Link key has the wrong length or check digit");
		sb__put(sb, v->p, v->n);
		return 0;
	case DL_GTIN:
		if (!(v->n == 8 || v->n == 12 || v->n == 13 || v->n == 14) ||
		    !id__check_ok(v->p, v->n))
			ID_FAIL("GTIN must be 8, 12, 13 or 14 digits with a valid check digit");
		for (size_t i = v->n; i < 14; i++)
			sb__putc(sb, '0');
		sb__put(sb, v->p, v->n);
		return 0;
	case DL_ITIP:
		if (v->n != 18 || !id__digits(v->p, 18) || !id__check_ok(v->p, 14))
			ID_FAIL("ITIP must be a GTIN-14 with a valid check digit plus 4 digits");
		sb__put(sb, v->p, v->n);
		return 0;
	case DL_NX:
	case DL_NN:
		if (v->n < pk->n || !id__check_ok(v->p, pk->n))
			ID_FAIL("Digital Link key has the wrong length or check digit");
		sl = id__gs3a3_len(v->p + pk->n, v->n - pk->n);
		if (sl < 0 || (size_t)sl > pk->m ||
		    (pk->syn == DL_NN && !id__digits(v->p + pk->n, v->n - pk->n)))
			ID_FAIL("Digital Link key has a bad serial part");
		sb__put(sb, v->p, v->n);
		return 0;
	case DL_X:
		sl = id__gs3a3_len(v->p, v->n);
		if (sl < 1 || (size_t)sl > pk->m)
			ID_FAIL("Digital Link key must be 1 to 30 GS1 characters");
		sb__put(sb, v->p, v->n);
		return 0;
	}
	ID_FAIL("Digital Link key syntax unknown");
}

static bool id__ascii_prefix(const char *s, size_t n, const char *pre)
{
	size_t pn = strlen(pre);
	return n >= pn && strncasecmp(s, pre, pn) == 0;
}

/* Maximum characters of a qualifier's value (GS1 General Specifications
 * AI table): serial 21 and lot 10 X..20, TPX 235 X..28, CPV 22 X..20,
 * GLN extension 254 X..20, 7040 X4, CPI serial 8011 N..12. */
static long dl__qual_max(const char *ai)
{
	return !strcmp(ai, "235") ? 28 : !strcmp(ai, "7040") ? 4 :
	       !strcmp(ai, "8011") ? 12 : 20;
}

static int id__dl(const char *s, size_t n, struct trace_id *out,
		  struct id__sb *sb, const char **why)
{
	long sl;
	struct id__field seg[DL_SEG_MAX];
	const struct dl__primary *pk = NULL;
	const char *p, *end;
	size_t nseg = 0, at = 0;
	struct id__field qual[4] = { { NULL, 0 } };
	bool have[4] = { false };

	p = s + (id__ascii_prefix(s, n, "https://") ? 8 : 7);
	end = s + n;
	for (const char *q = p; q < end; q++)
		if (*q == '?' || *q == '#') {
			end = q;
			break;
		}
	p = memchr(p, '/', (size_t)(end - p));
	if (!p)
		return PL_ENOTFOUND;
	/* Split the path into segments; empty ones (a//b, trailing /) are
	 * skipped since no AI or value is empty. */
	while (p < end) {
		const char *q;
		p++;
		q = memchr(p, '/', (size_t)(end - p));
		if (!q)
			q = end;
		if (q > p) {
			if (nseg == DL_SEG_MAX)
				return PL_ENOTFOUND;
			seg[nseg].p = p;
			seg[nseg].n = (size_t)(q - p);
			nseg++;
		}
		p = q;
	}
	for (at = 0; at + 1 < nseg; at++)
		if ((pk = dl__find(&seg[at])))
			break;
	if (!pk)
		return PL_ENOTFOUND;
	if ((nseg - at) % 2 != 0)
		ID_FAIL("Digital Link path after the primary key must be AI/value pairs");
	for (size_t i = at + 2; i < nseg; i += 2) {
		size_t k;
		for (k = 0; k < 4 && pk->quals[k]; k++)
			if (dl__seg_is(&seg[i], pk->quals[k]))
				break;
		if (k == 4 || !pk->quals[k])
			ID_FAIL("Digital Link qualifier not allowed after this primary key");
		if (have[k])
			ID_FAIL("Digital Link qualifier repeated");
		sl = id__gs3a3_len(seg[i + 1].p, seg[i + 1].n);
		/* Limits count characters, an escape being one: a URN serial
		 * grows when encoded and must still parse back. */
		if (sl < 1 || sl > dl__qual_max(pk->quals[k]))
			ID_FAIL("Digital Link qualifier value too long or has characters GS1 does not allow");
		have[k] = true;
		qual[k] = seg[i + 1];
	}
	sb__puts(sb, "https://id.gs1.org/");
	sb__puts(sb, pk->ai);
	sb__putc(sb, '/');
	if (dl__key(pk, &seg[at + 1], sb, why))
		return PL_EINVAL;
	out->kind = pk->kind;
	/* quals[] is finest first: keep the first present one that keep[]
	 * names; the others (a lot next to a serial, a CPV) are dropped. */
	for (size_t k = 0; k < 4 && pk->quals[k]; k++) {
		bool kept = false;
		if (!have[k])
			continue;
		for (size_t j = 0; j < 3 && pk->keep[j]; j++)
			kept |= strcmp(pk->keep[j], pk->quals[k]) == 0;
		if (!kept)
			continue;
		sb__putc(sb, '/');
		sb__puts(sb, pk->quals[k]);
		sb__putc(sb, '/');
		sb__put(sb, qual[k].p, qual[k].n);
		if (pk->kind == TRACE_ID_GTIN)
			out->kind = strcmp(pk->quals[k], "21") == 0 ? TRACE_ID_SGTIN :
				    strcmp(pk->quals[k], "10") == 0 ? TRACE_ID_LGTIN :
								     TRACE_ID_UPUI;
		break;
	}
	return 0;
}

/* --------------------------------------------------- China drug codes */

static int id__cndrug(const char *s, size_t n, struct trace_id *out,
		      struct id__sb *sb, const char **why)
{
	char d[21];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' && k > 0 && i + 1 < n)
			continue;
		if (s[i] < '0' || s[i] > '9' || k == 20)
			ID_FAIL("China drug traceability code must be exactly 20 digits");
		d[k++] = s[i];
	}
	if (k != 20)
		ID_FAIL("China drug traceability code must be exactly 20 digits");
	d[20] = '\0';
	sb__puts(sb, TRACE_CNDRUG_PREFIX);
	sb__puts(sb, d);
	memcpy(out->cn_product, d, 7);
	out->cn_product[7] = '\0';
	memcpy(out->cn_serial, d + 7, 9);
	out->cn_serial[9] = '\0';
	memcpy(out->cn_check, d + 16, 4);
	out->cn_check[4] = '\0';
	out->kind = TRACE_ID_CNDRUG;
	return 0;
}

/* True when s looks like a bare drug code: digits and single spaces only,
 * starting with a digit. Anything else is a URI or nothing. */
static bool id__looks_numeric(const char *s, size_t n)
{
	if (n == 0 || s[0] < '0' || s[0] > '9')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isdigit((unsigned char)s[i]) || s[i] == ' '))
			return false;
	return true;
}

int trace_id_parse(const char *s, struct trace_id *out, const char **why)
{
	const char *dummy;
	struct id__sb sb;
	size_t n;
	int rc;

	if (!why)
		why = &dummy;
	*why = "";
	memset(out, 0, sizeof(*out));
	n = strnlen(s, TRACE_ID_MAX);
	if (n >= TRACE_ID_MAX) {
		*why = "identifier longer than the limit";
		return PL_ETOOBIG;
	}
	sb__init(&sb, out->canon, sizeof(out->canon));
	if (id__ascii_prefix(s, n, TRACE_CNDRUG_PREFIX)) {
		size_t pl = strlen(TRACE_CNDRUG_PREFIX);
		if (!id__digits(s + pl, n - pl))
			ID_FAIL("China drug traceability code must be exactly 20 digits");
		rc = id__cndrug(s + pl, n - pl, out, &sb, why);
	} else if (strncmp(s, "urn:epc:", 8) == 0) {
		rc = id__urn(s, n, out, &sb, why);
	} else if (id__ascii_prefix(s, n, "https://") ||
		   id__ascii_prefix(s, n, "http://")) {
		rc = id__dl(s, n, out, &sb, why);
		if (rc == PL_ENOTFOUND)
			*why = "not a GS1 Digital Link";
	} else if (id__looks_numeric(s, n)) {
		rc = id__cndrug(s, n, out, &sb, why);
	} else {
		*why = "not an EPC URN, GS1 Digital Link or China drug code";
		rc = PL_ENOTFOUND;
	}
	if (rc == 0 && sb.overflow) {
		*why = "canonical identifier longer than the limit";
		rc = PL_ETOOBIG;
	}
	if (rc) {
		out->kind = TRACE_ID_NONE;
		out->canon[0] = '\0';
	}
	return rc;
}

int trace_id_canon_gs1(const char *s, char *out, size_t outsz)
{
	struct trace_id id;
	const char *src = s;

	/* Only GS1 keys are rewritten: China codes are private URIs, and a
	 * bare digit string is a number to the hash, not an identifier. */
	if ((strncmp(s, "urn:epc:", 8) == 0 || strncasecmp(s, "http", 4) == 0) &&
	    trace_id_parse(s, &id, NULL) == 0 && id.kind != TRACE_ID_CNDRUG)
		src = id.canon;
	if (pl_strlcpy(out, src, outsz) >= outsz)
		return PL_ETOOBIG;
	return 0;
}
