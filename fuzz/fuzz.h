/*
 * fuzz.h - what every Parkline libFuzzer target shares: the entry point's
 * prototype (-Wmissing-prototypes stays quiet) and FUZZ_CHECK, which
 * states a property of the code under test. A failed check prints the
 * condition and its line, then traps, so libFuzzer records the input as a
 * crash and scripts/fuzz.sh turns it into a regression input.
 */
#ifndef PL_FUZZ_H
#define PL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: property failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			__builtin_trap();                                    \
		}                                                            \
	} while (0)

#endif /* PL_FUZZ_H */
