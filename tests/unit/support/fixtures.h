/* fixtures.h - the seeding that many store-backed unit tests repeat, kept
 * in one place: the auth module on a test store with the demo park
 * (admin, specialist1, dept_tax, ent1, ent2, auditor) at the cheapest
 * password hash cost, and a demo user as the principal a session for it
 * would carry. Each test file keeps its own struct fx and what is special
 * to it; these only build the common parts. Failures are Criterion
 * assertions (they end the calling test), like store_env.h.
 */
#ifndef PL_TESTS_FIXTURES_H
#define PL_TESTS_FIXTURES_H

#include "auth/auth.h"
#include "store/store.h"

#include <stdint.h>

/* A new auth on st (borrowed; it must outlive the result) with the demo
 * accounts seeded. The caller owns the result and auth_free()s it. */
struct auth *tfx_auth_demo(struct store *st);

/* Fills p (out, zeroed first) with user username's id, name, role,
 * enterprise and department, as a session for that user would. */
void tfx_principal(struct auth *a, const char *username, struct auth_principal *p);

/* The integer column "n" of the one row sql returns on c, with arg (NULL:
 * none) as its one parameter; a failing query fails the test. */
int64_t tfx_count(struct store_conn *c, const char *sql, const char *arg);

/* TFX_ON_EACH_STORE defines `static void on_each_store(void (*fn)(struct
 * fx *))` in a test file that has its own struct fx, `static bool
 * fx_open(struct fx *, bool pg)` (false: PostgreSQL is not configured,
 * skip it) and `static void fx_close(struct fx *)`: fn runs once per store
 * driver, SQLite first, each time on a freshly opened fixture. A macro
 * because struct fx differs per file. */
#define TFX_ON_EACH_STORE                                                       \
	static void on_each_store(void (*fn)(struct fx *))                      \
	{                                                                       \
		for (int pg = 0; pg < 2; pg++) {                                \
			struct fx f;                                            \
			if (!fx_open(&f, pg))                                   \
				continue;                                       \
			fn(&f);                                                 \
			fx_close(&f);                                           \
		}                                                               \
	}

#endif
