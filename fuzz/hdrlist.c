/* fuzz/hdrlist.c - header lists: hdrlist_split's elements are tokens
 * inside the input, within the limits. */
#include <string.h>

#include "fuzz.h"
#include "hdrlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct hdrlist_elem el[HDRLIST_MAX_ELEMENTS], bad;
	size_t n = 0;

	fuzz_quiet();
	enum hdrlist_err e =
	    hdrlist_split(s, size, el, HDRLIST_MAX_ELEMENTS, &n, &bad);
	if (e == HDRLIST_OK) {
		if (size > HDRLIST_MAX_BYTES || n > HDRLIST_MAX_ELEMENTS)
			fuzz_fail("limits: %zu bytes, %zu elements", size, n);
		for (size_t i = 0; i < n; i++) {
			if (el[i].s < s || el[i].s + el[i].len > s + size)
				fuzz_fail("element %zu outside the input", i);
			if (!hdrlist_is_token(el[i].s, el[i].len))
				fuzz_fail("element %zu not a token", i);
			if (!hdrlist_contains(el, n, el[i].s, el[i].len))
				fuzz_fail("element %zu not found", i);
		}
	} else if (e == HDRLIST_E_TOKEN &&
		   (bad.s < s || bad.s + bad.len > s + size)) {
		fuzz_fail("bad element outside the input");
	}
	(void)hdrlist_forbidden_request(s, size);
	(void)hdrlist_forbidden_method(s, size);
	(void)hdrlist_safelisted_method(s, size);

	return 0;
}
