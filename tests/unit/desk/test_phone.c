/* test_phone.c - phone numbers to E.164: the ways people write Chinese
 * mobiles and landlines, foreign numbers, and what is refused (with why). */
#include <criterion/criterion.h>
#include "desk/desk.h"

struct phone_case {
	const char *in, *want; /* want NULL: refused, and why contains need */
	const char *need;
	bool mobile;
};
static const struct phone_case cases[] = {
	{ "13800138000", "+8613800138000", NULL, true },
	{ "138 0013 8000", "+8613800138000", NULL, true },
	{ "138-0013-8000", "+8613800138000", NULL, true },
	{ "+86 138 0013 8000", "+8613800138000", NULL, true },
	{ "  +86-13800138000", "+8613800138000", NULL, true },
	{ "0086 13800138000", "+8613800138000", NULL, true },
	{ "8613800138000", "+8613800138000", NULL, true },
	{ "19912345678", "+8619912345678", NULL, true },
	{ "(023) 6888 1234", "+862368881234", NULL, false },    /* Chongqing */
	{ "023-68881234", "+862368881234", NULL, false },
	{ "010-12345678", "+861012345678", NULL, false },      /* Beijing */
	{ "0571 8765 4321", "+8657187654321", NULL, false },   /* Hangzhou, 3-digit area */
	{ "+86 23 6888 1234", "+862368881234", NULL, false },
	{ "0086 23 6888 1234", "+862368881234", NULL, false },
	{ "+1 (650) 253-0000", "+16502530000", NULL, false },
	{ "+49.30.1234567", "+49301234567", NULL, false },
	{ "12800138000", NULL, "not a Chinese mobile", false },   /* 12x is not mobile */
	{ "1380013800", NULL, "not a Chinese mobile", false },    /* 10 digits */
	{ "138001380001", NULL, "not a Chinese mobile", false },  /* 12 digits */
	{ "6502530000", NULL, "write foreign numbers with +", false },
	{ "+86 0 23 6888 1234", NULL, "not a Chinese", false },
	{ "+86", NULL, "not a Chinese", false },
	{ "023-688", NULL, "not a Chinese", false },
	{ "00 1 650 253 0000", NULL, "not a Chinese", false },
	{ "+0123456789", NULL, "cannot start with 0", false },
	{ "+1234567", NULL, "8 to 15 digits", false },
	{ "+1234567890123456", NULL, "8 to 15 digits", false },
	{ "138 0013 8000 ext 5", NULL, "only digits", false },
	{ "138+0013", NULL, "only digits", false },
	{ "++8613800138000", NULL, "only digits", false },
	{ "", NULL, "no digits", false },
	{ " - ", NULL, "no digits", false },
	{ "123456789012345678901234567890123", NULL, "too many digits", false },
};

Test(desk_phone, normalize_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct phone_case *c = &cases[i];
		char out[DESK_PHONE_MAX] = "", why[160] = "";
		int rc = desk_phone_normalize(c->in, out, why, sizeof(why));
		if (c->want) {
			cr_expect_eq(rc, 0, "'%s': %s", c->in, why);
			cr_expect_str_eq(out, c->want, "'%s'", c->in);
			cr_expect_eq(desk_phone_is_cn_mobile(out), c->mobile, "'%s'", c->in);
		} else {
			cr_expect_eq(rc, PL_EINVAL, "'%s' accepted as %s", c->in, out);
			cr_expect(strstr(why, c->need) != NULL, "'%s': '%s' lacks '%s'", c->in, why, c->need);
		}
	}
	char out[DESK_PHONE_MAX];
	cr_expect_eq(desk_phone_normalize(NULL, out, NULL, 0), PL_EINVAL);
	cr_expect(!desk_phone_is_cn_mobile(NULL));
	cr_expect(!desk_phone_is_cn_mobile("+86138001380x0"));
	cr_expect(!desk_phone_is_cn_mobile("13800138000"));
}

/* Normalising a normalised number changes nothing. */
Test(desk_phone, idempotent)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char once[DESK_PHONE_MAX], twice[DESK_PHONE_MAX];
		if (!cases[i].want)
			continue;
		cr_assert_eq(desk_phone_normalize(cases[i].in, once, NULL, 0), 0);
		cr_assert_eq(desk_phone_normalize(once, twice, NULL, 0), 0, "%s", once);
		cr_expect_str_eq(once, twice);
	}
}
