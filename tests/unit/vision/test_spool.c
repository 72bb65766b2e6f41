/* test_spool.c - the inspection node's durable outbox (src/vision/spool.c)
 * on a real directory: FIFO order and acknowledgement, records and totals
 * surviving a reopen, the crash between folding an ack and deleting the
 * record (counted once, not resent), records held back until offered,
 * the lock against a second process, leftovers in tmp/, corrupt records,
 * and a table of bad keys and counts that must change nothing. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>
#include "vision/spool.h"

static char dir[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void setup(void)
{
	pl_strlcpy(dir, "/tmp/pl-spool-test-XXXXXX", sizeof(dir));
	cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spool, .init = setup, .fini = teardown);

static struct vis_spool *open_ok(void)
{
	struct vis_spool *sp = NULL;
	char why[256] = "";
	int rc = vis_spool_open(dir, &sp, why, sizeof(why));
	cr_assert_eq(rc, 0, "open: %s (%s)", pl_strerror(rc), why);
	return sp;
}

static void put_ok(struct vis_spool *sp, const char *key, int good, int reject)
{
	json_t *p = json_pack("{s:s}", "unit", key);
	json_t *c = json_pack("{s:i, s:i}", "good", good, "reject", reject);
	int rc = vis_spool_put(sp, key, p, c, true);
	cr_assert_eq(rc, 0, "put %s: %s", key, pl_strerror(rc));
	json_decref(p);
	json_decref(c);
}

static void expect_next(struct vis_spool *sp, const char *want)
{
	char key[VIS_SPOOL_KEY_MAX + 1];
	json_t *p = NULL;
	int rc = vis_spool_next(sp, 0, key, &p);
	if (!want) {
		cr_assert_eq(rc, PL_ETIMEOUT, "expected nothing, got %s", pl_strerror(rc));
		return;
	}
	cr_assert_eq(rc, 0, "next: %s", pl_strerror(rc));
	cr_assert_str_eq(key, want);
	cr_assert_str_eq(pl_json_str(p, "unit"), want);
	json_decref(p);
}

static void expect_counts(struct vis_spool *sp, int good, int reject)
{
	json_t *c = vis_spool_counts(sp);
	cr_assert_eq(json_integer_value(json_object_get(c, "good")), good);
	cr_assert_eq(json_integer_value(json_object_get(c, "reject")), reject);
	json_decref(c);
}

Test(spool, fifo_ack_and_totals)
{
	struct vis_spool *sp = open_ok();
	put_ok(sp, "u-2", 1, 0);
	put_ok(sp, "u-1", 0, 1);
	put_ok(sp, "u-3", 1, 0);
	expect_counts(sp, 2, 1);
	expect_next(sp, "u-2"); /* order of put, not of name */
	expect_next(sp, "u-2"); /* not removed until acked */
	cr_assert_eq(vis_spool_ack(sp, "u-2"), 0);
	expect_next(sp, "u-1");
	cr_assert_eq(vis_spool_ack(sp, "u-1"), 0);
	cr_assert_eq(vis_spool_ack(sp, "u-1"), PL_ENOTFOUND);
	cr_assert_eq(vis_spool_pending(sp), 1);
	expect_counts(sp, 2, 1); /* acked records still count */
	vis_spool_free(sp);
}

Test(spool, reopen_keeps_pending_and_folded)
{
	struct vis_spool *sp = open_ok();
	put_ok(sp, "a", 1, 0);
	put_ok(sp, "b", 0, 1);
	put_ok(sp, "c", 1, 0);
	cr_assert_eq(vis_spool_ack(sp, "a"), 0);
	vis_spool_free(sp);
	sp = open_ok();
	cr_assert_eq(vis_spool_pending(sp), 2);
	expect_counts(sp, 2, 1);
	expect_next(sp, "b");
	/* a new record after reopen still comes after the old ones */
	put_ok(sp, "0-new", 1, 0);
	cr_assert_eq(vis_spool_ack(sp, "b"), 0);
	expect_next(sp, "c");
	cr_assert_eq(vis_spool_ack(sp, "c"), 0);
	expect_next(sp, "0-new");
	expect_counts(sp, 3, 1);
	vis_spool_free(sp);
}

/* The crash the protocol is for: counters.json was rewritten (the ack was
 * folded) but q/KEY.json was not yet unlinked. Reopening must neither
 * resend it nor count it twice. */
Test(spool, crash_between_fold_and_unlink)
{
	char rec[128], saved[128], cmd[512];
	struct vis_spool *sp = open_ok();
	put_ok(sp, "x", 0, 1);
	put_ok(sp, "y", 1, 0);
	snprintf(rec, sizeof(rec), "%s/q/x.json", dir);
	snprintf(saved, sizeof(saved), "%s/x.saved", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", rec, saved);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(vis_spool_ack(sp, "x"), 0);
	vis_spool_free(sp);
	cr_assert_eq(rename(saved, rec), 0); /* as if the unlink never happened */
	sp = open_ok();
	cr_assert_eq(vis_spool_pending(sp), 1);
	cr_assert(!vis_spool_has(sp, "x"));
	cr_assert_eq(access(rec, F_OK), -1, "the folded record is removed on open");
	expect_counts(sp, 1, 1);
	expect_next(sp, "y");
	vis_spool_free(sp);
}

Test(spool, held_back_until_offered)
{
	struct vis_spool *sp = open_ok();
	json_t *p = json_pack("{s:s}", "unit", "h");
	cr_assert_eq(vis_spool_put(sp, "h", p, NULL, false), 0);
	json_decref(p);
	cr_assert(vis_spool_has(sp, "h"));
	expect_next(sp, NULL);
	cr_assert_eq(vis_spool_offer(sp, "h"), 0);
	cr_assert_eq(vis_spool_offer(sp, "nope"), PL_ENOTFOUND);
	expect_next(sp, "h");
	vis_spool_stop(sp);
	char key[VIS_SPOOL_KEY_MAX + 1];
	json_t *q = NULL;
	cr_assert_eq(vis_spool_next(sp, 1000, key, &q), PL_ECONFLICT);
	vis_spool_free(sp);
}

Test(spool, lock_tmp_and_corrupt)
{
	char path[128], why[256];
	struct vis_spool *sp = open_ok(), *sp2 = NULL;
	cr_assert_eq(vis_spool_open(dir, &sp2, why, sizeof(why)), PL_EBUSY);
	cr_assert_null(sp2);
	vis_spool_free(sp);
	/* a half-written put left in tmp/ is not a record */
	snprintf(path, sizeof(path), "%s/tmp/z.json", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("{\"seq\":", f);
	fclose(f);
	sp = open_ok();
	cr_assert_eq(vis_spool_pending(sp), 0);
	cr_assert_eq(access(path, F_OK), -1);
	vis_spool_free(sp);
	/* a corrupt record in q/ stops the open, and stays for a person */
	snprintf(path, sizeof(path), "%s/q/bad.json", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("not json", f);
	fclose(f);
	cr_assert_eq(vis_spool_open(dir, &sp2, why, sizeof(why)), PL_EPARSE);
	cr_assert(strstr(why, "bad.json"), "%s", why);
	cr_assert_eq(access(path, F_OK), 0);
}

Test(spool, bad_input_changes_nothing)
{
	static const struct {
		const char *key, *counts;
		int want;
	} cases[] = {
		{ "", "{}", PL_EINVAL },
		{ ".hidden", "{}", PL_EINVAL },
		{ "a/b", "{}", PL_EINVAL },
		{ "a b", "{}", PL_EINVAL },
		{ "../x", "{}", PL_EINVAL },
		{ "ok", "{\"good\":-1}", PL_EINVAL },
		{ "ok", "{\"good\":1.5}", PL_EINVAL },
		{ "ok", "[1]", PL_EINVAL },
		{ "dup", "{}", PL_EEXIST },
		{ "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789x",
		  "{}", PL_EINVAL },
	};
	struct vis_spool *sp = open_ok();
	json_t *p = json_pack("{s:s}", "unit", "dup");
	cr_assert_eq(vis_spool_put(sp, "dup", p, NULL, true), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *c = json_loads(cases[i].counts, 0, NULL);
		cr_assert(c);
		int rc = vis_spool_put(sp, cases[i].key, p, c, true);
		cr_assert_eq(rc, cases[i].want, "case %zu (%s): got %s", i, cases[i].key, pl_strerror(rc));
		json_decref(c);
	}
	cr_assert_eq(vis_spool_pending(sp), 1);
	json_decref(p);
	vis_spool_free(sp);
}
