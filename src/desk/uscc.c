/*
 * uscc.c - 统一社会信用代码 (unified social credit code) validation per
 * GB 32100-2015, and construction of valid codes.
 *
 * Enterprises register with the park under their credit code, so a typo
 * must be caught at the form, with a message that says which part is
 * wrong: the code has five parts and two check characters, and a clerk
 * fixing one wants to know which. Checks run left to right and stop at the
 * first failure (a wrong length makes every later check meaningless).
 *
 * Tables below come from GB 32100-2015 Appendix A (authority and type
 * codes, including the authorities added after 2015: 外交, 司法行政, 文化,
 * 旅游, 宗教, 工会, 中央军委改革和编制办公室, 农业) and GB/T 2260 (province
 * prefixes; "100000" is the national level, used by codes that central
 * bodies issue).
 */
#include "desk.h"

#include <ctype.h>

/* The 31 characters GB 32100 uses: digits and capitals minus I O Z S V.
 * The index of a character is its value in the check sums. */
static const char uscc__charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Weights 3^i mod 31 for positions 1..17 (GB 32100-2015, 5.3). */
static const int uscc__weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29,
				       25, 13, 8, 24, 10, 30, 28 };

/* GB 11714-1997 weights for the 8 body characters of the organisation code. */
static const int uscc__org_weights[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };

/* Registration authority -> the organisation type codes it may issue. */
static const struct {
	char authority;
	const char *types;
	const char *what;
} uscc__authorities[] = {
	{ '1', "1239", "机构编制" },
	{ '2', "19", "外交" },
	{ '3', "123459", "司法行政" },
	{ '4', "19", "文化" },
	{ '5', "1239", "民政" },
	{ '6', "129", "旅游" },
	{ '7', "129", "宗教" },
	{ '8', "19", "工会" },
	{ '9', "123", "工商/市场监管" },
	{ 'A', "19", "中央军委改革和编制办公室" },
	{ 'N', "1239", "农业" },
	{ 'Y', "1", "其他" },
};

/* GB/T 2260 province-level prefixes. */
static const char *const uscc__provinces[] = {
	"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
	"35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
	"53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
};

#define USCC_NAUTH (sizeof(uscc__authorities) / sizeof(uscc__authorities[0]))
#define USCC_NPROV (sizeof(uscc__provinces) / sizeof(uscc__provinces[0]))

static int uscc__value(char c)
{
	const char *p = c ? strchr(uscc__charset, c) : NULL;
	return p ? (int)(p - uscc__charset) : -1;
}

/* GB 11714 value of a character: digits 0-9, letters A=10 .. Z=35. */
static int uscc__org_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c - 'A' + 10;
}

static char uscc__org_check_char(const char *body8)
{
	int sum = 0;
	for (int i = 0; i < 8; i++)
		sum += uscc__org_value(body8[i]) * uscc__org_weights[i];
	int c = 11 - sum % 11;
	return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

static char uscc__check_char(const char *first17)
{
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += uscc__value(first17[i]) * uscc__weights[i];
	return uscc__charset[(31 - sum % 31) % 31];
}

static int uscc__fail(struct desk_uscc_error *err, enum desk_uscc_check c,
		      int pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int uscc__fail(struct desk_uscc_error *err, enum desk_uscc_check c,
		      int pos, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->check = c;
		err->pos = pos;
		va_start(ap, fmt);
		vsnprintf(err->text, sizeof(err->text), fmt, ap);
		va_end(ap);
	}
	return PL_EINVAL;
}

const char *desk_uscc_check_name(enum desk_uscc_check c)
{
	switch (c) {
	case DESK_USCC_OK: return "ok";
	case DESK_USCC_LENGTH: return "length";
	case DESK_USCC_CHARSET: return "charset";
	case DESK_USCC_AUTHORITY: return "registration_authority";
	case DESK_USCC_ORG_TYPE: return "organisation_type";
	case DESK_USCC_REGION: return "region_code";
	case DESK_USCC_ORG_CODE: return "organisation_code";
	case DESK_USCC_CHECK: return "check_character";
	}
	return "?";
}

int desk_uscc_validate(const char *s, struct desk_uscc_error *err)
{
	size_t len;
	size_t ai;
	char want;

	if (err) {
		err->check = DESK_USCC_OK;
		err->pos = 0;
		err->text[0] = '\0';
	}
	if (!s)
		return uscc__fail(err, DESK_USCC_LENGTH, 0, "credit code is missing");
	/* strnlen: stop early on garbage instead of walking a huge string. */
	len = strnlen(s, DESK_USCC_LEN + 1);
	if (len != DESK_USCC_LEN)
		return uscc__fail(err, DESK_USCC_LENGTH, 0,
				  "credit code must be 18 characters, got %s%zu",
				  len > DESK_USCC_LEN ? "more than " : "",
				  len > DESK_USCC_LEN ? (size_t)DESK_USCC_LEN : len);
	for (int i = 0; i < DESK_USCC_LEN; i++) {
		unsigned char c = (unsigned char)s[i];
		if (uscc__value((char)c) >= 0)
			continue;
		if (islower(c))
			return uscc__fail(err, DESK_USCC_CHARSET, i + 1,
					  "credit code character %d '%c' must be upper case",
					  i + 1, c);
		if (c == 'I' || c == 'O' || c == 'Z' || c == 'S' || c == 'V')
			return uscc__fail(err, DESK_USCC_CHARSET, i + 1,
					  "credit code character %d '%c' is not used by GB 32100 (no I, O, Z, S, V)",
					  i + 1, c);
		if (c >= 0x20 && c < 0x7f)
			return uscc__fail(err, DESK_USCC_CHARSET, i + 1,
					  "credit code character %d '%c' is not a digit or capital letter",
					  i + 1, c);
		return uscc__fail(err, DESK_USCC_CHARSET, i + 1,
				  "credit code character %d (byte 0x%02x) is not a digit or capital letter",
				  i + 1, c);
	}

	for (ai = 0; ai < USCC_NAUTH; ai++)
		if (uscc__authorities[ai].authority == s[0])
			break;
	if (ai == USCC_NAUTH)
		return uscc__fail(err, DESK_USCC_AUTHORITY, 1,
				  "registration authority code '%c' (character 1) is not defined by GB 32100",
				  s[0]);
	if (!strchr(uscc__authorities[ai].types, s[1]))
		return uscc__fail(err, DESK_USCC_ORG_TYPE, 2,
				  "organisation type '%c' (character 2) is not defined for authority '%c' (%s); allowed: %s",
				  s[1], s[0], uscc__authorities[ai].what,
				  uscc__authorities[ai].types);

	for (int i = 2; i < 8; i++)
		if (!isdigit((unsigned char)s[i]))
			return uscc__fail(err, DESK_USCC_REGION, i + 1,
					  "region code (characters 3-8) must be 6 digits; character %d is '%c'",
					  i + 1, s[i]);
	{
		bool ok = memcmp(s + 2, "100000", 6) == 0;
		for (size_t i = 0; !ok && i < USCC_NPROV; i++)
			ok = memcmp(s + 2, uscc__provinces[i], 2) == 0;
		if (!ok)
			return uscc__fail(err, DESK_USCC_REGION, 3,
					  "region code %.6s (characters 3-8) has no GB/T 2260 province prefix %.2s",
					  s + 2, s + 2);
	}

	want = uscc__org_check_char(s + 8);
	if (s[16] != want)
		return uscc__fail(err, DESK_USCC_ORG_CODE, 17,
				  "organisation code %.9s (characters 9-17) fails its GB 11714 check: character 17 is '%c', expected '%c'",
				  s + 8, s[16], want);

	want = uscc__check_char(s);
	if (s[17] != want)
		return uscc__fail(err, DESK_USCC_CHECK, 18,
				  "check character (character 18) is '%c', expected '%c'",
				  s[17], want);
	return 0;
}

int desk_uscc_make(char authority, char type, const char *region6,
		   const char *org8, char out[DESK_USCC_LEN + 1],
		   struct desk_uscc_error *err)
{
	char buf[DESK_USCC_LEN + 1];
	int rc;

	if (!region6 || strnlen(region6, 7) != 6 || !org8 || strnlen(org8, 9) != 8)
		return uscc__fail(err, DESK_USCC_LENGTH, 0,
				  "region must be 6 characters and organisation code body 8");
	buf[0] = authority;
	buf[1] = type;
	memcpy(buf + 2, region6, 6);
	memcpy(buf + 8, org8, 8);
	/* Placeholders from the character set so validation reaches the real
	 * checks; they are replaced by the computed characters below. */
	buf[16] = '0';
	buf[17] = '0';
	buf[18] = '\0';
	for (int i = 0; i < 16; i++)
		if (uscc__value(buf[i]) < 0)
			return desk_uscc_validate(buf, err);
	buf[16] = uscc__org_check_char(buf + 8);
	buf[17] = uscc__check_char(buf);
	rc = desk_uscc_validate(buf, err);
	if (rc == 0)
		memcpy(out, buf, sizeof(buf));
	return rc;
}
