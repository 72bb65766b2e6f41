/* test_fastpb.c - the hand-written Sparkplug payload reader (src/mqtt/
 * payload.c NOTES ON THE FAST PATH) against protobuf-c, differentially:
 * for every input, mqtt__sp_decode_with(FAST) either declines
 * (PL_EUNSUPPORTED) or gives exactly what mqtt__sp_decode_with(PBC) gives -
 * the same return code, error text and metric index, or the same payload
 * field by field (mqtt__sp_payload_same). Inputs: the hand-made wire cases of test_payload.c and
 * the traps of the domain note, the spec's example messages
 * (spec_examples/, JSON -> protobuf), the bench's NDATA shape, and
 * randomised payloads (valid ones, odd-but-legal encodings, unknown and
 * repeated fields, and byte-level mutations). Tables also say which
 * inputs the fast path must TAKE, so a reader that declines everything
 * cannot pass. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "mqtt/mqtt_int.h"

/* ------------------------------------------------------------ comparison */

enum verdict { V_TAKEN, V_DECLINED };

/* Decodes buf with both decoders and fails the test unless the fast one
 * declined or agreed exactly. */
static enum verdict differ(const char *what, const void *buf, size_t len)
{
	struct mqtt_sp_payload *f = (void *)1, *s = (void *)1;
	struct mqtt_sp_error fe, se;
	memset(&fe, 0x5a, sizeof(fe));
	memset(&se, 0x5a, sizeof(se));
	int frc = mqtt__sp_decode_with(MQTT__DEC_FAST, buf, len, &f, &fe);
	int src = mqtt__sp_decode_with(MQTT__DEC_PBC, buf, len, &s, &se);
	if (frc == PL_EUNSUPPORTED) {
		cr_assert_null(f, "%s: declined with a payload", what);
		mqtt_sp_payload_free(s);
		return V_DECLINED;
	}
	cr_assert_eq(frc, src, "%s: fast rc %d (%s), protobuf-c rc %d (%s)", what, frc,
		     frc ? fe.text : "-", src, src ? se.text : "-");
	if (frc) {
		cr_assert(f == NULL && s == NULL, "%s", what);
		cr_assert_str_eq(fe.text, se.text, "%s", what);
		cr_assert_eq(fe.metric, se.metric, "%s", what);
		return V_TAKEN;
	}
	char why[96];
	cr_assert(mqtt__sp_payload_same(f, s, why, sizeof(why)), "%s: %s", what, why);
	mqtt_sp_payload_free(f);
	mqtt_sp_payload_free(s);
	return V_TAKEN;
}

/* ------------------------------------------------------- hand-made wire */
struct fp_case {
	const char *why;
	const char *bytes;
	size_t n;
	enum verdict want; /* must the fast path take it? */
};
#define W(s) s, sizeof(s) - 1

static const struct fp_case cases[] = {
	/* test_payload.c wire_cases: traps 1 and 5, malformed input */
	{ "trap 1 Java form (5-byte varint)", W("\x12\x08\x20\x01\x50\xff\xff\xff\xff\x0f"), V_TAKEN },
	{ "trap 1 Python form", W("\x12\x05\x20\x01\x50\xff\x01"), V_TAKEN },
	{ "Int16 Java form", W("\x12\x08\x20\x02\x50\xd0\x95\xfe\xff\x0f"), V_TAKEN },
	{ "empty payload (trap 5)", "", 0, V_TAKEN },
	{ "truncated varint", W("\x08\xff"), V_DECLINED },
	{ "length past end", W("\x12\x20\x20\x01"), V_DECLINED },
	{ "wrong wire type for metrics", W("\x10\x01"), V_DECLINED },
	{ "Int8 in long_value", W("\x12\x04\x20\x01\x58\x01"), V_TAKEN },
	{ "datatype 99", W("\x12\x04\x20\x63\x50\x01"), V_TAKEN },
	{ "no value and not is_null", W("\x12\x02\x20\x01"), V_TAKEN },
	{ "is_null with a value", W("\x12\x06\x20\x01\x38\x01\x50\x01"), V_TAKEN },
	{ "uuid not UTF-8", W("\x22\x01\xff"), V_TAKEN },
	{ "malformed Int16Array", W("\x12\x06\x20\x17\x82\x01\x01\x01"), V_TAKEN },
	/* the common case: alias, timestamp, Double; and the other scalars */
	{ "NDATA alias + timestamp + double",
	  W("\x08\x80\x01\x18\x07\x12\x0e\x10\x05\x18\x80\x01\x69\x00\x00\x00\x00\x00\x00\xf0\x3f"), V_TAKEN },
	{ "float", W("\x12\x09\x20\x09\x65\xcd\xcc\x41\x41\x10\x01"), V_TAKEN },
	{ "bool true as 10-byte varint", W("\x12\x0d\x20\x0b\x70\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"), V_TAKEN },
	{ "bool with only bit 64 set (protobuf-c: true)",
	  W("\x12\x0d\x20\x0b\x70\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"), V_TAKEN },
	{ "uint32 int_value from a 10-byte varint", W("\x12\x0d\x20\x07\x50\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), V_TAKEN },
	{ "string with an embedded NUL", W("\x12\x07\x20\x0c\x7a\x03\x61\x00\x62"), V_TAKEN },
	{ "name with an embedded NUL", W("\x12\x09\x0a\x03\x61\x00\x62\x20\x0a\x38\x01"), V_TAKEN },
	{ "empty bytes (NULL, 0)", W("\x12\x05\x20\x11\x82\x01\x00"), V_TAKEN },
	{ "uuid and seq", W("\x18\xff\x01\x22\x03\x61\x62\x63"), V_TAKEN },
	{ "non-minimal length prefix", W("\x12\x82\x00\x38\x01"), V_TAKEN },
	/* what the fast path leaves to protobuf-c */
	{ "template value", W("\x12\x05\x20\x13\x92\x01\x00"), V_DECLINED },
	{ "properties", W("\x12\x04\x4a\x00\x38\x01"), V_DECLINED },
	{ "unknown metric field 20", W("\x12\x05\xa0\x01\x01\x38\x01"), V_DECLINED },
	{ "payload body", W("\x2a\x01\x00"), V_DECLINED },
	{ "payload extension 6", W("\x30\x01"), V_DECLINED },
	{ "timestamp twice (protobuf-c keeps the last)", W("\x08\x01\x08\x02"), V_DECLINED },
	{ "two value fields", W("\x12\x06\x20\x07\x50\x01\x58\x02"), V_DECLINED },
	{ "alias twice", W("\x12\x06\x10\x01\x10\x02\x38\x01"), V_DECLINED },
	{ "group wire type", W("\x0b\x0c"), V_DECLINED },
	{ "3-byte tag", W("\x12\x05\x80\x80\x01\x38\x01"), V_DECLINED },
	{ "double truncated", W("\x12\x05\x20\x0a\x69\x00\x00"), V_DECLINED },
	{ "double with the float wire type", W("\x12\x07\x20\x0a\x6d\x00\x00\x00\x00"), V_DECLINED },
};

Test(mqtt_fastpb, hand_made_wire)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum verdict v = differ(cases[i].why, cases[i].bytes, cases[i].n);
		cr_expect_eq(v, cases[i].want, "%s: fast path %s", cases[i].why,
			     v == V_TAKEN ? "took it" : "declined");
	}
}

/* ----------------------------------------------- spec examples, bench shape */

static char *slurp(const char *name, size_t *n)
{
	const char *root = getenv("PL_ROOT");
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/unit/mqtt/spec_examples/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	char *buf = pl_malloc(65536);
	*n = fread(buf, 1, 65535, f);
	buf[*n] = '\0';
	fclose(f);
	return buf;
}

Test(mqtt_fastpb, spec_examples)
{
	static const char *files[] = { "01_NBIRTH.txt", "02_DBIRTH.txt", "03_NDATA.txt",
				       "04_DDATA.txt", "05_NCMD.txt", "06_DCMD.txt",
				       "07_NDEATH.txt", "08_DDEATH.txt" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t n;
		char *text = slurp(files[i], &n);
		char *json = strchr(text, '{');
		cr_assert_not_null(json, "%s", files[i]);
		/* U+00A0 indentation in the published examples (see test_json.c) */
		for (char *q = strstr(json, "\xc2\xa0"); q; q = strstr(q, "\xc2\xa0"))
			q[0] = ' ', q[1] = ' ';
		struct mqtt_sp_payload *p = NULL;
		struct mqtt_sp_error err;
		cr_assert_eq(mqtt_sp_from_json(json, n - (size_t)(json - text), &p, &err), 0,
			     "%s: %s", files[i], err.text);
		struct pl_buf b;
		pl_buf_init(&b, 1 << 16);
		cr_assert_eq(mqtt_sp_encode(p, &b), 0, "%s", files[i]);
		cr_expect_eq(differ(files[i], b.data, b.len), V_TAKEN, "%s", files[i]);
		pl_buf_release(&b);
		mqtt_sp_payload_free(p);
		free(text);
	}
}

Test(mqtt_fastpb, bench_ndata_and_rebirth)
{
	/* bench/line's NDATA: 50 Doubles by alias with timestamps, seq */
	struct mqtt_sp_metric m[50];
	for (int k = 0; k < 50; k++)
		m[k] = (struct mqtt_sp_metric){ .has_alias = true, .alias = (uint64_t)k + 1,
			.has_timestamp = true, .timestamp = 1764100000000u + (uint64_t)k,
			.raw = { .field = MQTT_SP_F_DOUBLE, .d = k * 0.25 - 3 } };
	struct mqtt_sp_payload in = { .has_timestamp = true, .timestamp = 1764100000000u,
				      .has_seq = true, .seq = 17, .n_metrics = 50, .metrics = m };
	struct pl_buf b;
	pl_buf_init(&b, 1 << 16);
	cr_assert_eq(mqtt_sp_encode(&in, &b), 0);
	cr_expect_eq(differ("bench NDATA", b.data, b.len), V_TAKEN);
	b.len = 0;
	cr_assert_eq(mqtt_sp_rebirth_encode(1700000000000, &b), 0);
	cr_expect_eq(differ("rebirth NCMD", b.data, b.len), V_TAKEN);
	pl_buf_release(&b);
}

Test(mqtt_fastpb, size_limit)
{
	/* 64 KiB of is_null metrics: the fast path takes it; one byte more
	 * goes to protobuf-c (NOTES 3); both agree with the capped decoder. */
	size_t n = 64 * 1024;
	char *big = pl_malloc(n + 4);
	for (size_t i = 0; i + 4 <= n + 4; i += 4)
		memcpy(big + i, "\x12\x02\x38\x01", 4);
	cr_expect_eq(differ("64 KiB", big, n), V_TAKEN);
	cr_expect_eq(differ("64 KiB + 4", big, n + 4), V_DECLINED);
	free(big);
}

/* ------------------------------------------------------------- randomised */

/* xorshift64*: deterministic, so a failure reproduces from its seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void put_varint(struct pl_buf *b, uint64_t v, unsigned pad)
{
	uint8_t tmp[16];
	size_t n = 0;
	do {
		tmp[n++] = (uint8_t)((v & 0x7f) | 0x80);
		v >>= 7;
	} while (v);
	while (pad-- && n < 10) /* non-minimal but legal */
		tmp[n++] = 0x80;
	tmp[n - 1] &= 0x7f;
	pl_buf_append(b, tmp, n);
}

static void put_tag(struct pl_buf *b, unsigned field, unsigned wt)
{
	put_varint(b, (uint64_t)field << 3 | wt, 0);
}

static void put_len(struct pl_buf *b, unsigned field, const void *p, size_t n)
{
	put_tag(b, field, 2);
	put_varint(b, n, 0);
	pl_buf_append(b, p, n);
}

/* A random value for a varint field: small, large, or all ones. */
static uint64_t rnd_num(uint64_t *s)
{
	switch (rnd(s) % 4) {
	case 0: return rnd(s) % 8;
	case 1: return rnd(s) % 300;
	case 2: return rnd(s);
	default: return rnd(s) % 2 ? UINT64_MAX : 0xffffffffu;
	}
}

static void rnd_text(uint64_t *s, char *out, size_t *n)
{
	static const char *pool[] = { "speed", "灌装线", "a\0b", "\xff\xfe", "Node Control/Rebirth",
				      "bdSeq", "", "\xe2\x82" };
	static const size_t lens[] = { 5, 9, 3, 2, 20, 5, 0, 2 };
	size_t k = rnd(s) % 8;
	memcpy(out, pool[k], lens[k]);
	*n = lens[k];
}

/* One random metric: mostly the fields the fast path knows, sometimes
 * what it must leave alone. */
static void rnd_metric(uint64_t *s, struct pl_buf *m)
{
	char txt[32];
	size_t tn;
	unsigned values = 0;

	for (unsigned f = 1; f <= 19; f++) {
		if (rnd(s) % 3)
			continue;
		if (f >= 10 && values++ && rnd(s) % 4)
			continue; /* a second value field, sometimes */
		switch (f) {
		case 1: case 15: case 16:
			rnd_text(s, txt, &tn);
			put_len(m, f, txt, tn);
			break;
		case 12:
			put_tag(m, f, 5);
			{ uint32_t x = (uint32_t)rnd(s); pl_buf_append(m, &x, 4); }
			break;
		case 13:
			put_tag(m, f, 1);
			{ uint64_t x = rnd(s); pl_buf_append(m, &x, 8); }
			break;
		case 8: case 9: case 17: case 18: case 19:
			if (rnd(s) % 4 == 0)
				put_len(m, f, "", 0);
			break;
		case 4:
			put_tag(m, f, 0);
			put_varint(m, rnd(s) % 3 ? rnd(s) % 36 : rnd_num(s), rnd(s) % 8 == 0 ? 2 : 0);
			break;
		default:
			put_tag(m, f, 0);
			put_varint(m, rnd_num(s), rnd(s) % 8 == 0 ? 3 : 0);
			break;
		}
	}
	if (rnd(s) % 10 == 0) { /* a repeated field, or an unknown one */
		put_tag(m, rnd(s) % 2 ? 2 : 25, 0);
		put_varint(m, rnd(s) % 100, 0);
	}
}

static void rnd_payload(uint64_t *s, struct pl_buf *b)
{
	struct pl_buf m;
	char txt[32];
	size_t tn;

	if (rnd(s) % 4) {
		put_tag(b, 1, 0);
		put_varint(b, rnd_num(s), 0);
	}
	unsigned nm = (unsigned)(rnd(s) % 9);
	for (unsigned i = 0; i < nm; i++) {
		pl_buf_init(&m, 4096);
		rnd_metric(s, &m);
		put_len(b, 2, m.data, m.len);
		pl_buf_release(&m);
	}
	if (rnd(s) % 4) {
		put_tag(b, 3, 0);
		put_varint(b, rnd(s) % 300, 0);
	}
	if (rnd(s) % 6 == 0) {
		rnd_text(s, txt, &tn);
		put_len(b, 4, txt, tn);
	}
	if (rnd(s) % 20 == 0)
		put_len(b, 5, "x", 1);
}

/* Byte-level damage: flip, truncate, or insert. */
static void mutate(uint64_t *s, struct pl_buf *b)
{
	if (b->len == 0)
		return;
	size_t at = rnd(s) % b->len;
	switch (rnd(s) % 3) {
	case 0: b->data[at] = (char)(b->data[at] ^ (1 << (rnd(s) % 8))); break;
	case 1: b->len = at; break;
	default: b->data[at] = (char)rnd(s); break;
	}
}

Test(mqtt_fastpb, randomised, .timeout = 60)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull, s = seed;
	unsigned taken = 0, declined = 0, taken_err = 0, taken_ok = 0;
	char what[64];

	for (unsigned i = 0; i < 30000; i++) {
		struct pl_buf b;
		pl_buf_init(&b, 1 << 20);
		rnd_payload(&s, &b);
		if (rnd(&s) % 3 == 0)
			mutate(&s, &b);
		snprintf(what, sizeof(what), "seed %#llx case %u", (unsigned long long)seed, i);
		struct mqtt_sp_payload *p = NULL;
		int rc = mqtt__sp_decode_with(MQTT__DEC_FAST, b.data, b.len, &p, NULL);
		mqtt_sp_payload_free(p);
		if (differ(what, b.data, b.len) == V_TAKEN) {
			taken++;
			if (rc)
				taken_err++;
			else
				taken_ok++;
		} else {
			declined++;
		}
		pl_buf_release(&b);
	}
	/* the generator must exercise all three outcomes substantially */
	cr_expect_gt(taken_ok, 1000u, "taken and decoded: %u", taken_ok);
	cr_expect_gt(taken_err, 1000u, "taken with a rule error: %u", taken_err);
	cr_expect_gt(declined, 1000u, "declined: %u", declined);
	cr_log_info("fast path took %u (%u ok, %u rule errors), declined %u", taken, taken_ok,
		    taken_err, declined);
}
