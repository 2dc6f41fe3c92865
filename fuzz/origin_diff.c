/* fuzz/origin_diff.c - origin_set_match against a reference matcher
 * written here as plainly as possible (a linear scan over the patterns, by
 * string comparison), from the rules in origin.h:
 *   exact            byte for byte
 *   scheme://host:*  the origin without its port equals scheme://host
 *   *.domain[:port]  same scheme, host ends with "." + domain and has more
 *                    before it, same port (or any with :*)
 *   *                every value, opaque and invalid ones included
 *   null             the value "null"
 * Input: patterns, one a line, then the origin as the last line. The
 * parser decides what is a valid origin (fuzz/origin.c fuzzes it); both
 * matchers must agree on whether it matches, and the pattern returned
 * must match by the reference, an exact one whenever one does. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "origin.h"

#define MAXPAT 16

struct str {
	const char *s;
	size_t n;
};

static bool eq(struct str a, struct str b)
{
	return a.n == b.n && memcmp(a.s, b.s, a.n) == 0;
}

static bool lit(struct str a, const char *l)
{
	return a.n == strlen(l) && memcmp(a.s, l, a.n) == 0;
}

/* Splits "scheme://host[:port]" (host may be "[v6]"). */
static bool split(struct str o, struct str *scheme, struct str *host,
		  struct str *port)
{
	const char *sep = NULL;
	for (size_t i = 0; i + 2 < o.n; i++)
		if (memcmp(o.s + i, "://", 3) == 0) {
			sep = o.s + i;
			break;
		}
	if (!sep)
		return false;
	*scheme = (struct str){o.s, (size_t)(sep - o.s)};
	const char *h = sep + 3, *end = o.s + o.n, *c = h;
	if (c < end && *c == '[') {
		while (c < end && *c != ']')
			c++;
		if (c < end)
			c++;
	} else {
		while (c < end && *c != ':')
			c++;
	}
	*host = (struct str){h, (size_t)(c - h)};
	*port = c < end && *c == ':' ? (struct str){c + 1, (size_t)(end - c - 1)}
				     : (struct str){"", 0};
	return true;
}

/* 2: exact match, 1: a wildcard match, 0: none. */
static int ref_one(struct str pat, struct str org, bool valid)
{
	if (lit(pat, "*"))
		return 1;
	if (lit(pat, "null"))
		return lit(org, "null") ? 2 : 0;
	if (!valid || lit(org, "null"))
		return 0;
	if (eq(pat, org))
		return 2;
	struct str ps, ph, pp, os, oh, op;
	if (!split(pat, &ps, &ph, &pp) || !split(org, &os, &oh, &op))
		return 0;
	if (!eq(ps, os))
		return 0;
	bool anyport = lit(pp, "*");
	if (!anyport && !eq(pp, op))
		return 0;
	if (ph.n >= 2 && ph.s[0] == '*' && ph.s[1] == '.') {
		struct str dom = {ph.s + 1, ph.n - 1}; /* ".domain" */
		return oh.n > dom.n && oh.s[0] != '[' &&
			       memcmp(oh.s + oh.n - dom.n, dom.s, dom.n) == 0
			   ? 1
			   : 0;
	}
	return eq(ph, oh) ? 1 : 0; /* host:* */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str pats[MAXPAT];
	size_t npat = 0, off = 0;
	struct origin_set *set;

	fuzz_quiet();
	/* the last line is the origin */
	size_t last = size;
	while (last > 0 && data[last - 1] != '\n')
		last--;
	struct str org = {(const char *)data + last, size - last};
	if (!(set = origin_set_new()))
		return 0;
	while (off < last && npat < MAXPAT) {
		const char *f = (const char *)data + off;
		size_t n = fuzz_field(data, last, &off);
		if (origin_set_add(set, f, n) == ORIGIN_OK)
			pats[npat++] = (struct str){f, n};
	}
	enum origin_err err;
	struct origin o;
	bool valid = origin_parse(org.s, org.n, &o) == ORIGIN_OK;
	const char *got = origin_set_match(set, org.s, org.n, &err);
	int best = 0;
	for (size_t i = 0; i < npat; i++) {
		int r = ref_one(pats[i], org, valid);
		best = r > best ? r : best;
	}
	if (!got != !best)
		fuzz_fail("origin '%.*s': corsgate %s, reference %s",
			  (int)org.n, org.s, got ? got : "no match",
			  best ? "match" : "no match");
	if (got) {
		struct str g = {got, strlen(got)};
		int r = ref_one(g, org, valid);
		if (!r)
			fuzz_fail("origin '%.*s': corsgate returned '%s', "
				  "which does not match it",
				  (int)org.n, org.s, got);
		if (best == 2 && r != 2)
			fuzz_fail("origin '%.*s': an exact pattern matches, "
				  "corsgate returned '%s'",
				  (int)org.n, org.s, got);
	}
	origin_set_free(set);
	return 0;
}
