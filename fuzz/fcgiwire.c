/* fuzz/fcgiwire.c - the FastCGI record checks: a verdict is one of three,
 * a ready preamble lies inside the input and its params within the
 * bound, a refusal says why, and the verdict is consistent across
 * prefixes: a prefix of a stream that is sound so far is sound so far
 * (never refused, ready only where the whole is ready). */
#include <stdlib.h>
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
	if (r == FCGIWIRE_BAD &&
	    (why[0] == '\0' || !memchr(why, 0, sizeof(why))))
		fuzz_fail("a refusal without a reason");
	if (r == FCGIWIRE_READY) {
		if (pre.len > size || pre.len < 2 * FCGIWIRE_HDR_LEN + 8)
			fuzz_fail("preamble of %zu bytes in %zu", pre.len,
				  size);
		if (pre.params_len > MAX_PARAMS || pre.params_recs == 0 ||
		    pre.id == 0)
			fuzz_fail("params %zu bytes, %zu records, id %u",
				  pre.params_len, pre.params_recs, pre.id);
		/* the preamble alone is ready, the same */
		if (fcgiwire_check(data, pre.len, MAX_PARAMS, &p2, why2,
				   sizeof(why2)) != FCGIWIRE_READY ||
		    p2.len != pre.len || p2.params_len != pre.params_len ||
		    p2.params_pairs != pre.params_pairs)
			fuzz_fail("the preamble alone is not the same");
		/* the params copied out: as many strings as pairs, within
		 * the room asked for, as many bytes as the lengths said
		 * (less where a NUL byte cuts a string short) */
		size_t room = fcgiwire_params_size(&pre);
		char *out = malloc(room ? room : 1);
		char **env = malloc((pre.params_pairs + 1) * sizeof(*env));
		if (out == NULL || env == NULL)
			fuzz_fail("out of memory");
		fcgiwire_params(data, &pre, out, env);
		size_t bytes = 0;
		for (size_t i = 0; i < pre.params_pairs; i++) {
			if (env[i] < out || env[i] >= out + room)
				fuzz_fail("param %zu outside its room", i);
			bytes += strlen(env[i]);
		}
		if (bytes > pre.params_len + pre.params_pairs)
			fuzz_fail("%zu bytes copied for %zu", bytes,
				  pre.params_len + pre.params_pairs);
		if (pre.plain && size >= pre.len + FCGIWIRE_HDR_LEN)
			(void)fcgiwire_is_stdin_end(data + pre.len,
						    size - pre.len, pre.id);
		free(out);
		free(env);
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
