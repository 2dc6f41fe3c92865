/* fuzz/hdrlist.c - header lists: hdrlist_split's elements are tokens
 * inside the input, within the limits; hdrlist_vary_merge's output is a
 * list that holds every element merged, or -1. */
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

	/* the Vary merge: the input is the script's Vary, merged with
	 * Origin and the preflight's names */
	static const char *const add[] = {"Origin",
					  "Access-Control-Request-Method"};
	char out[2 * HDRLIST_MAX_BYTES + 128];
	long w = hdrlist_vary_merge(s, size, add, 2, out, sizeof(out));
	if (w >= 0) {
		if ((size_t)w >= sizeof(out) || out[w] != '\0')
			fuzz_fail("merge: not NUL-terminated at its length");
		if (strcmp(out, "*") != 0) {
			struct hdrlist_elem m[HDRLIST_MAX_ELEMENTS + 2];
			size_t mn = 0;
			/* the result may be longer than one list may be */
			for (size_t i = 0, st = 0; i <= (size_t)w; i++)
				if (i == (size_t)w || out[i] == ',') {
					size_t a = st, b = i;
					while (a < b && out[a] == ' ')
						a++;
					if (b > a && mn < sizeof(m) / sizeof(m[0]))
						m[mn++] = (struct hdrlist_elem){
						    out + a, b - a};
					st = i + 1;
				}
			for (size_t k = 0; k < 2; k++)
				if (!hdrlist_contains(m, mn, add[k],
						      strlen(add[k])))
					fuzz_fail("merge lost %s", add[k]);
		}
	}
	return 0;
}
