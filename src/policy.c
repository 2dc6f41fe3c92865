/* policy.c - which policy a request path gets. See policy.h. */
#include "policy.h"

#include <string.h>

const struct cors_policy *policy_lookup(const struct cors_policy *def,
					const struct cors_policy *paths,
					size_t n, const char *path, size_t len)
{
	const struct cors_policy *best = def;
	size_t best_len = 0;

	for (size_t i = 0; i < n; i++) {
		const char *pat = paths[i].pattern;
		size_t plen = strlen(pat);
		if (plen > 0 && pat[plen - 1] == '*') {
			plen--;
			if (plen <= len && memcmp(pat, path, plen) == 0 &&
			    (best == def || plen > best_len)) {
				best = &paths[i];
				best_len = plen;
			}
		} else if (plen == len && memcmp(pat, path, len) == 0) {
			return &paths[i]; /* an exact path wins */
		}
	}
	return best;
}
