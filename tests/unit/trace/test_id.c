/* test_id.c - identifiers: EPC URNs, GS1 Digital Links and China drug
 * codes, valid and invalid, as tables of {input, result, canonical form}.
 * Expected check digits were computed independently of id.c (by hand /
 * a separate script) and the URN -> Digital Link pairs follow GS1 TDS 2.x
 * and the CBV 2.0 hash vectors. */
#include <criterion/criterion.h>
#include "trace/trace.h"

struct id_case {
	const char *in;
	int rc;
	enum trace_id_kind kind;
	const char *canon; /* expected canonical form when rc == 0 */
};

static const struct id_case id_cases[] = {
	/* EPC URNs -> canonical Digital Link */
	{ "urn:epc:id:sgtin:0614141.107346.2017", 0, TRACE_ID_SGTIN,
	  "https://id.gs1.org/01/10614141073464/21/2017" },
	{ "urn:epc:id:sgtin:4012345.011111.9876", 0, TRACE_ID_SGTIN,
	  "https://id.gs1.org/01/04012345111118/21/9876" },
	{ "urn:epc:id:sgtin:4012345.011111.A(1)*,:", 0, TRACE_ID_SGTIN,
	  "https://id.gs1.org/01/04012345111118/21/A%281%29%2A%2C%3A" },
	{ "urn:epc:id:sgtin:4012345.011111.a%2Fb", 0, TRACE_ID_SGTIN,
	  "https://id.gs1.org/01/04012345111118/21/a%2Fb" },
	{ "urn:epc:class:lgtin:4012345.012345.998877", 0, TRACE_ID_LGTIN,
	  "https://id.gs1.org/01/04012345123456/10/998877" },
	{ "urn:epc:idpat:sgtin:4012345.012345.*", 0, TRACE_ID_GTIN,
	  "https://id.gs1.org/01/04012345123456" },
	{ "urn:epc:id:sscc:4012345.0000000111", 0, TRACE_ID_SSCC,
	  "https://id.gs1.org/00/040123450000001112" },
	{ "urn:epc:id:sscc:0614141.1234567890", 0, TRACE_ID_SSCC,
	  "https://id.gs1.org/00/106141412345678908" },
	{ "urn:epc:id:sgln:4012345.00011.987", 0, TRACE_ID_SGLN,
	  "https://id.gs1.org/414/4012345000115/254/987" },
	{ "urn:epc:id:sgln:0614141.12345.0", 0, TRACE_ID_SGLN,
	  "https://id.gs1.org/414/0614141123452" },
	{ "urn:epc:id:grai:0614141.12345.400", 0, TRACE_ID_GRAI,
	  "https://id.gs1.org/8003/00614141123452400" },
	{ "urn:epc:idpat:grai:0614141.12345.*", 0, TRACE_ID_GRAI,
	  "https://id.gs1.org/8003/00614141123452" },
	{ "urn:epc:id:giai:4000001.111", 0, TRACE_ID_GIAI,
	  "https://id.gs1.org/8004/4000001111" },
	{ "urn:epc:id:gsrn:0614141.1234567890", 0, TRACE_ID_GSRN,
	  "https://id.gs1.org/8018/061414112345678902" },
	{ "urn:epc:id:gsrnp:0614141.1234567890", 0, TRACE_ID_GSRNP,
	  "https://id.gs1.org/8017/061414112345678902" },
	{ "urn:epc:id:gdti:0614141.12345.006847", 0, TRACE_ID_GDTI,
	  "https://id.gs1.org/253/0614141123452006847" },
	{ "urn:epc:id:pgln:0614141.12345", 0, TRACE_ID_PGLN,
	  "https://id.gs1.org/417/0614141123452" },
	{ "urn:epc:id:gsin:0614141.123456789", 0, TRACE_ID_GSIN,
	  "https://id.gs1.org/402/06141411234567890" },
	{ "urn:epc:id:sgcn:4012345.67890.04711", 0, TRACE_ID_SGCN,
	  "https://id.gs1.org/255/401234567890104711" },
	{ "urn:epc:id:itip:4012345.012345.01.02.987", 0, TRACE_ID_ITIP,
	  "https://id.gs1.org/8006/040123451234560102/21/987" },
	{ "urn:epc:id:upui:4012345.012345.51qIgY)%3C%26Jp3*j7'SDB", 0, TRACE_ID_UPUI,
	  "https://id.gs1.org/01/04012345123456/235/51qIgY%29%3C%26Jp3%2Aj7'SDB" },
	/* found by fuzz_trace_id: encoding grows the value, limits count chars */
	{ "urn:epc:id:upui:4012345.012345.51qIg:upui:4012C%26Jp3*j7'SDB", 0, TRACE_ID_UPUI,
	  "https://id.gs1.org/01/04012345123456/235/51qIg%3Aupui%3A4012C%26Jp3%2Aj7'SDB" },
	{ "urn:epc:id:cpi:0614141.123ABC.123456789", 0, TRACE_ID_CPI,
	  "https://id.gs1.org/8010/0614141123ABC/8011/123456789" },
	{ "urn:epc:id:ginc:0614141.xyz47%2F11", 0, TRACE_ID_GINC,
	  "https://id.gs1.org/401/0614141xyz47%2F11" },
	/* Digital Links: any host and path prefix, query dropped, finest key */
	{ "https://id.gs1.org/01/10614141073464/21/2017", 0, TRACE_ID_SGTIN,
	  "https://id.gs1.org/01/10614141073464/21/2017" },
	{ "https://example.com/products/01/10614141073464/10/LOT1/21/2017?17=250101", 0,
	  TRACE_ID_SGTIN, "https://id.gs1.org/01/10614141073464/21/2017" },
	{ "HTTP://id.gs1.de/01/10614141073464/22/2A/10/LOT1#x", 0, TRACE_ID_LGTIN,
	  "https://id.gs1.org/01/10614141073464/10/LOT1" },
	{ "https://id.gs1.org/01/4006381333931", 0, TRACE_ID_GTIN,
	  "https://id.gs1.org/01/04006381333931" },
	{ "https://id.gs1.org/01/96385074", 0, TRACE_ID_GTIN,
	  "https://id.gs1.org/01/00000096385074" },
	{ "https://id.gs1.de/00/040123451111111110", 0, TRACE_ID_SSCC,
	  "https://id.gs1.org/00/040123451111111110" },
	{ "https://id.gs1.de/414/4012345000115", 0, TRACE_ID_SGLN,
	  "https://id.gs1.org/414/4012345000115" },
	{ "https://id.gs1.org/414/4012345000115/254/987", 0, TRACE_ID_SGLN,
	  "https://id.gs1.org/414/4012345000115/254/987" },
	{ "https://id.example.com/253/4012345000054987", 0, TRACE_ID_GDTI,
	  "https://id.gs1.org/253/4012345000054987" },
	{ "https://id.gs1.org/8003/00614141123452400", 0, TRACE_ID_GRAI,
	  "https://id.gs1.org/8003/00614141123452400" },
	{ "https://id.gs1.org/8004/4000001111", 0, TRACE_ID_GIAI,
	  "https://id.gs1.org/8004/4000001111" },
	{ "https://id.gs1.org/417/0614141123452", 0, TRACE_ID_PGLN,
	  "https://id.gs1.org/417/0614141123452" },
	/* China drug traceability codes */
	{ "81234567890123456789", 0, TRACE_ID_CNDRUG,
	  TRACE_CNDRUG_PREFIX "81234567890123456789" },
	{ "81234 56789 01234 56789", 0, TRACE_ID_CNDRUG,
	  TRACE_CNDRUG_PREFIX "81234567890123456789" },
	{ TRACE_CNDRUG_PREFIX "81234567890123456789", 0, TRACE_ID_CNDRUG,
	  TRACE_CNDRUG_PREFIX "81234567890123456789" },
	/* not identifiers at all: callers keep these as plain URIs */
	{ "geo:50.947573340894124,6.922120147375441", PL_ENOTFOUND, TRACE_ID_NONE, NULL },
	{ "http://transaction.acme.com/po/12345678", PL_ENOTFOUND, TRACE_ID_NONE, NULL },
	{ "https://example.com/", PL_ENOTFOUND, TRACE_ID_NONE, NULL },
	{ "urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8", PL_ENOTFOUND, TRACE_ID_NONE, NULL },
	{ "", PL_ENOTFOUND, TRACE_ID_NONE, NULL },
	/* claims to be one, but is not valid */
	{ "urn:epc:id:sgtin:0614141.10734.2017", PL_EINVAL, TRACE_ID_NONE, NULL },  /* 12 digits */
	{ "urn:epc:id:sgtin:06141.1073460.2017", PL_EINVAL, TRACE_ID_NONE, NULL },  /* CP too short */
	{ "urn:epc:id:sgtin:0614141.107346.", PL_EINVAL, TRACE_ID_NONE, NULL },     /* no serial */
	{ "urn:epc:id:sgtin:0614141.107346.123456789012345678901", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "urn:epc:id:sgtin:0614141.107346.a b", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "urn:epc:id:sgtin:0614141.107346.a%2", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "urn:epc:id:sgtin:0614141.1073a6.1", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "urn:epc:id:sscc:0614141.123456789", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "urn:epc:id:sgln:0614141.12345", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "urn:epc:id:frob:0614141.12345", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "urn:epc:id:cpi:0641141.%A.6", PL_EINVAL, TRACE_ID_NONE, NULL },   /* fuzz: bad escape */
	{ "urn:epc:idpat:sgtin:4012345.012345.77", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "https://id.gs1.org/01/10614141073465/21/2017", PL_EINVAL, TRACE_ID_NONE, NULL }, /* check */
	{ "https://id.gs1.org/01/1061414107346/21/2017", PL_EINVAL, TRACE_ID_NONE, NULL },  /* 13 bad */
	{ "https://id.gs1.org/00/040123450000001113", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "https://id.gs1.org/414/4012345000116", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "https://id.gs1.org/01/10614141073464/99/x", PL_EINVAL, TRACE_ID_NONE, NULL },    /* qualifier */
	{ "https://id.gs1.org/01/10614141073464/21", PL_EINVAL, TRACE_ID_NONE, NULL },      /* odd path */
	{ "https://id.gs1.org/01/10614141073464/21/1/21/2", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "https://id.gs1.org/8003/00614141123453400", PL_EINVAL, TRACE_ID_NONE, NULL },
	{ "8123456789012345678", PL_EINVAL, TRACE_ID_NONE, NULL },   /* 19 digits */
	{ "812345678901234567890", PL_EINVAL, TRACE_ID_NONE, NULL }, /* 21 digits */
	{ TRACE_CNDRUG_PREFIX "8123456789012345678X", PL_EINVAL, TRACE_ID_NONE, NULL },
};

Test(trace_id, parse_table)
{
	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		const struct id_case *c = &id_cases[i];
		struct trace_id id;
		const char *why = NULL;
		int rc = trace_id_parse(c->in, &id, &why);

		cr_expect_eq(rc, c->rc, "case %zu '%s': rc %d want %d (%s)", i, c->in, rc, c->rc,
			     why ? why : "");
		cr_expect_not_null(why, "case %zu: why must be set", i);
		if (rc != c->rc)
			continue;
		cr_expect_eq(id.kind, c->kind, "case %zu '%s': kind %d want %d", i, c->in,
			     id.kind, c->kind);
		if (c->canon)
			cr_expect_str_eq(id.canon, c->canon, "case %zu '%s'\n got: %s\nwant: %s",
					 i, c->in, id.canon, c->canon);
		else
			cr_expect_str_eq(id.canon, "", "case %zu: canon must be empty on failure", i);
		if (rc != 0)
			cr_expect_str_neq(why, "", "case %zu: failure needs a reason", i);
	}
}

Test(trace_id, canonical_form_is_idempotent)
{
	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		struct trace_id a, b;
		if (id_cases[i].rc != 0)
			continue;
		cr_assert_eq(trace_id_parse(id_cases[i].in, &a, NULL), 0);
		cr_assert_eq(trace_id_parse(a.canon, &b, NULL), 0, "case %zu: %s", i, a.canon);
		cr_expect_str_eq(a.canon, b.canon, "case %zu", i);
		cr_expect_eq(a.kind, b.kind, "case %zu", i);
	}
}

Test(trace_id, china_code_split)
{
	struct trace_id id;
	cr_assert_eq(trace_id_parse("81234567890123456789", &id, NULL), 0);
	cr_expect_str_eq(id.cn_product, "8123456");
	cr_expect_str_eq(id.cn_serial, "789012345");
	cr_expect_str_eq(id.cn_check, "6789");
}

struct canon_case {
	const char *in, *want;
};

/* trace_id_canon_gs1: GS1 keys rewritten, everything else unchanged. */
static const struct canon_case canon_cases[] = {
	{ "urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017" },
	{ "https://id.gs1.org/01/10614141073465/21/2017", "https://id.gs1.org/01/10614141073465/21/2017" },
	{ "81234567890123456789", "81234567890123456789" },
	{ TRACE_CNDRUG_PREFIX "81234567890123456789", TRACE_CNDRUG_PREFIX "81234567890123456789" },
	{ "geo:1,2", "geo:1,2" },
	{ "urn:epc:id:frob:1", "urn:epc:id:frob:1" },
};

Test(trace_id, canon_gs1_table)
{
	char out[TRACE_ID_MAX], tiny[8];
	for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
		cr_assert_eq(trace_id_canon_gs1(canon_cases[i].in, out, sizeof(out)), 0);
		cr_expect_str_eq(out, canon_cases[i].want, "case %zu", i);
	}
	cr_expect_eq(trace_id_canon_gs1("urn:epc:id:sgtin:0614141.107346.2017", tiny,
					sizeof(tiny)), PL_ETOOBIG);
}

struct cd_case {
	const char *digits;
	int want;
};

static const struct cd_case cd_cases[] = {
	{ "1061414107346", 4 }, { "400638133393", 1 }, { "9638507", 4 },
	{ "04012345000000111", 2 }, { "", 0 }, { "12a", -1 },
};

Test(trace_id, check_digit_table)
{
	for (size_t i = 0; i < sizeof(cd_cases) / sizeof(cd_cases[0]); i++)
		cr_expect_eq(trace_gs1_check_digit(cd_cases[i].digits, strlen(cd_cases[i].digits)),
			     cd_cases[i].want, "case %zu '%s'", i, cd_cases[i].digits);
}

Test(trace_id, overlong_input)
{
	char big[TRACE_ID_MAX + 10];
	struct trace_id id;
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_expect_eq(trace_id_parse(big, &id, NULL), PL_ETOOBIG);
}
