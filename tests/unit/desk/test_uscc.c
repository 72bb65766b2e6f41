/* test_uscc.c - 统一社会信用代码 validation (GB 32100-2015) and construction.
 *
 * Valid cases are published codes of well-known enterprises (their check
 * characters verified independently) and codes computed for each
 * authority/type and for the corner values of both check characters
 * ('X' and '0' from GB 11714, '0' from GB 32100). Every failure kind has
 * its own rows, each naming the check and the position it must report. */
#include <criterion/criterion.h>
#include "desk/desk.h"

struct ok_case {
	const char *code;
	const char *what;
};
static const struct ok_case ok_cases[] = {
	{ "914403001922038216", "华为技术有限公司 (published)" },
	{ "91440300708461136T", "深圳市腾讯计算机系统有限公司 (published)" },
	{ "91330100799655058B", "阿里巴巴（中国）有限公司 (published)" },
	{ "91350100M000100Y43", "GB 32100 worked example" },
	{ "12100000400000122T", "机构编制 / 事业单位, national level" },
	{ "51500102MJ0000018Q", "民政 / 社会团体" },
	{ "Y13301060000000197", "其他" },
	{ "N2500102N00123454G", "农业 / 村级集体经济组织" },
	{ "92500102L123456746", "工商 / 个体工商户" },
	{ "93500102MA60K3YD8J", "工商 / 农民专业合作社" },
	{ "35110105G12345678N", "司法行政 / 仲裁委员会" },
	{ "9150010210000018XA", "organisation check character X (remainder 10)" },
	{ "91500102100000040N", "organisation check character 0 (remainder 11)" },
	{ "915001021000004460", "USCC check character 0 (sum divisible by 31)" },
};

Test(desk_uscc, valid_codes)
{
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		struct desk_uscc_error err;
		int rc = desk_uscc_validate(ok_cases[i].code, &err);
		cr_expect_eq(rc, 0, "%s (%s): %s", ok_cases[i].code, ok_cases[i].what, err.text);
		cr_expect_eq(err.check, DESK_USCC_OK);
	}
}

struct bad_case {
	const char *code;
	enum desk_uscc_check check;
	int pos;
	const char *needle; /* must appear in the error text */
};
static const struct bad_case bad_cases[] = {
	{ "", DESK_USCC_LENGTH, 0, "18 characters, got 0" },
	{ "91440300708461136", DESK_USCC_LENGTH, 0, "got 17" },
	{ "91440300708461136TT", DESK_USCC_LENGTH, 0, "more than 18" },
	{ "91440300708461136t", DESK_USCC_CHARSET, 18, "upper case" },
	{ "9144030070846113OT", DESK_USCC_CHARSET, 17, "no I, O, Z, S, V" },
	{ "91440300I08461136T", DESK_USCC_CHARSET, 9, "'I'" },
	{ "914403007084611 6T", DESK_USCC_CHARSET, 16, "not a digit or capital" },
	{ "91440300708461136\xe4", DESK_USCC_CHARSET, 18, "0xe4" },
	{ "B1440300708461136T", DESK_USCC_AUTHORITY, 1, "'B'" },
	{ "01440300708461136T", DESK_USCC_AUTHORITY, 1, "'0'" },
	{ "94440300708461136T", DESK_USCC_ORG_TYPE, 2, "allowed: 123" },
	{ "Y2440300708461136T", DESK_USCC_ORG_TYPE, 2, "authority 'Y'" },
	{ "91990300708461136T", DESK_USCC_REGION, 3, "province prefix 99" },
	{ "91A40300708461136T", DESK_USCC_REGION, 3, "6 digits" },
	{ "914403A0708461136T", DESK_USCC_REGION, 7, "character 7" },
	{ "91100001708461136T", DESK_USCC_REGION, 3, "prefix 10" },
	{ "91440300708461137T", DESK_USCC_ORG_CODE, 17, "expected '6'" },
	{ "91440300708461236T", DESK_USCC_ORG_CODE, 17, "GB 11714" },
	{ "91440300708461136U", DESK_USCC_CHECK, 18, "is 'U', expected 'T'" },
	{ "914403001922038217", DESK_USCC_CHECK, 18, "expected '6'" },
	/* Only the last character differs: GB 11714 passes, GB 32100 does not. */
	{ "91330100799655058C", DESK_USCC_CHECK, 18, "expected 'B'" },
};

Test(desk_uscc, each_failure_is_named)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct desk_uscc_error err;
		int rc = desk_uscc_validate(c->code, &err);
		cr_expect_eq(rc, PL_EINVAL, "case %zu %s: rc %d", i, c->code, rc);
		cr_expect_eq(err.check, c->check, "case %zu %s: check %s, want %s (%s)", i,
			     c->code, desk_uscc_check_name(err.check),
			     desk_uscc_check_name(c->check), err.text);
		cr_expect_eq(err.pos, c->pos, "case %zu %s: pos %d want %d", i, c->code,
			     err.pos, c->pos);
		cr_expect(strstr(err.text, c->needle) != NULL, "case %zu %s: '%s' lacks '%s'", i,
			  c->code, err.text, c->needle);
	}
}

Test(desk_uscc, null_and_no_err_struct)
{
	cr_expect_eq(desk_uscc_validate(NULL, NULL), PL_EINVAL);
	cr_expect_eq(desk_uscc_validate("91440300708461136T", NULL), 0);
	cr_expect_eq(desk_uscc_validate("91440300708461136U", NULL), PL_EINVAL);
}

/* Every single-character substitution of a valid code is caught: the
 * GB 32100 check character detects all single errors (31 is prime). */
Test(desk_uscc, every_single_substitution_fails)
{
	static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	const char *good = "91440300708461136T";
	char buf[DESK_USCC_LEN + 1];
	int tried = 0;

	for (int pos = 0; pos < DESK_USCC_LEN; pos++)
		for (const char *c = set; *c; c++) {
			if (*c == good[pos])
				continue;
			memcpy(buf, good, sizeof(buf));
			buf[pos] = *c;
			cr_expect_eq(desk_uscc_validate(buf, NULL), PL_EINVAL, "%s", buf);
			tried++;
		}
	cr_expect_eq(tried, DESK_USCC_LEN * 30);
}

struct make_case {
	char authority, type;
	const char *region, *org8, *want;
	enum desk_uscc_check check;
};
static const struct make_case make_cases[] = {
	{ '9', '1', "440300", "70846113", "91440300708461136T", DESK_USCC_OK },
	{ '9', '1', "500102", "10000018", "9150010210000018XA", DESK_USCC_OK },
	{ '1', '2', "100000", "40000012", "12100000400000122T", DESK_USCC_OK },
	{ '9', '4', "440300", "70846113", NULL, DESK_USCC_ORG_TYPE },
	{ '9', '1', "990300", "70846113", NULL, DESK_USCC_REGION },
	{ '9', '1', "440300", "7084611O", NULL, DESK_USCC_CHARSET },
	{ '9', '1', "44030", "70846113", NULL, DESK_USCC_LENGTH },
};

Test(desk_uscc, make_table)
{
	for (size_t i = 0; i < sizeof(make_cases) / sizeof(make_cases[0]); i++) {
		const struct make_case *c = &make_cases[i];
		char out[DESK_USCC_LEN + 1] = "";
		struct desk_uscc_error err;
		int rc = desk_uscc_make(c->authority, c->type, c->region, c->org8, out, &err);
		if (c->want) {
			cr_expect_eq(rc, 0, "case %zu: %s", i, err.text);
			cr_expect_str_eq(out, c->want, "case %zu", i);
		} else {
			cr_expect_eq(rc, PL_EINVAL, "case %zu", i);
			cr_expect_eq(err.check, c->check, "case %zu: %s", i, err.text);
		}
	}
}
