/* fuzz/fcgiwire.c - the FastCGI record checks: a verdict is one of three,
 * a ready preamble lies inside the input and its params within the
 * bound, a refusal says why, and the verdict is consistent across
 * prefixes: a prefix of a stream that is sound so far is sound so far
 * (never refused, ready only where the whole is ready). */
#include <string.h>

#include "fcgiwire.h"
#include "fuzz.h"

#define MAX_PARAMS ((size_t)64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgiwire_preamble pre, p2;
	char why[256], why2[256];

	fuzz_quiet();
	why[0] = '\0';
	enum fcgiwire_result r =
	    fcgiwire_check(data, size, MAX_PARAMS, &pre, why, sizeof(why));
	if (r != FCGIWIRE_BAD && r != FCGIWIRE_MORE && r != FCGIWIRE_READY)
		fuzz_fail("verdict %d", (int)r);
	if (r == FCGIWIRE_BAD && (why[0] == '\0' || !memchr(why, 0, sizeof(why))))
		fuzz_fail("a refusal without a reason");
	if (r == FCGIWIRE_READY) {
		if (pre.len > size || pre.len < 2 * FCGIWIRE_HDR_LEN + 8)
			fuzz_fail("preamble of %zu bytes in %zu", pre.len, size);
		if (pre.params_len > MAX_PARAMS || pre.params_recs == 0 ||
		    pre.id == 0)
			fuzz_fail("params %zu bytes, %zu records, id %u",
				  pre.params_len, pre.params_recs, pre.id);
		/* the preamble alone is ready, the same */
		if (fcgiwire_check(data, pre.len, MAX_PARAMS, &p2, why2,
				   sizeof(why2)) != FCGIWIRE_READY ||
		    p2.len != pre.len || p2.nul != pre.nul)
			fuzz_fail("the preamble alone is not the same");
		/* one byte short of it: not yet */
		if (fcgiwire_check(data, pre.len - 1, MAX_PARAMS, &p2, why2,
				   sizeof(why2)) != FCGIWIRE_MORE)
			fuzz_fail("ready one byte short");
	}
	if (r == FCGIWIRE_MORE) {
		size_t half = size / 2;
		if (fcgiwire_check(data, half, MAX_PARAMS, &p2, why2,
				   sizeof(why2)) != FCGIWIRE_MORE)
			fuzz_fail("a prefix of a sound stream is not sound");
	}
	return 0;
}
