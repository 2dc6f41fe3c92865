/* fuzz/origin.c - origin_parse and origin_set_add on any bytes: no crash,
 * no read past the input; a parsed origin's views lie inside it. */
#include <string.h>

#include "fuzz.h"
#include "origin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct origin o;

	fuzz_quiet();
	if (origin_parse(s, size, &o) == ORIGIN_OK && !o.opaque) {
		if (o.scheme < s || o.scheme + o.scheme_len > s + size ||
		    o.host < s || o.host + o.host_len > s + size)
			fuzz_fail("views outside the input");
		if (o.port == 0 || o.port > 65535)
			fuzz_fail("port %ld accepted", o.port);
		if (memchr(s, '*', size))
			fuzz_fail("a wildcard parsed as an origin");
	}
	struct origin_set *set = origin_set_new();
	if (!set)
		return 0;
	if (origin_set_add(set, s, size) == ORIGIN_OK) {
		/* a pattern added matches itself when it has no wildcard */
		enum origin_err err;
		if (!memchr(s, '*', size) &&
		    !origin_set_match(set, s, size, &err))
			fuzz_fail("pattern does not match itself");
	}
	origin_set_free(set);
	return 0;
}
