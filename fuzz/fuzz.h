/* fuzz.h - shared by the libFuzzer harnesses in fuzz/ (see fuzz/README).
 *
 * Each harness is one file fuzz/NAME.c defining LLVMFuzzerTestOneInput;
 * `make fuzz` builds it with clang -fsanitize=fuzzer,address,undefined
 * against the core modules and runs it on fuzz/NAME/ (seeds) with
 * fuzz/NAME.dict. An invariant that does not hold calls fuzz_fail(),
 * which aborts: libFuzzer saves the input as a crash.
 */
#ifndef CORSGATE_FUZZ_H
#define CORSGATE_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts (a crash for libFuzzer). */
__attribute__((format(printf, 1, 2), noreturn)) static inline void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: invariant broken: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static void fuzz_quiet_sink(enum log_level l, const char *msg, void *ctx)
{
	(void)l;
	(void)msg;
	(void)ctx;
}

/* Logging off: the loader and the parsers log every bad input. */
static inline void fuzz_quiet(void)
{
	log_set_sink(fuzz_quiet_sink, NULL);
}

/* Splits data at the first '\n' after *off: the field [*off, end), *off
 * moved past it. Returns its length; the field is data + the old *off. */
static inline size_t fuzz_field(const uint8_t *data, size_t size, size_t *off)
{
	size_t start = *off, i = start;
	while (i < size && data[i] != '\n')
		i++;
	*off = i < size ? i + 1 : size;
	return i - start;
}

#endif
