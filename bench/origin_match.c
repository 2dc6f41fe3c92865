/* origin_match.c - cost of origin_set_match with 10 and 10,000 patterns.
 *
 * Each set holds exact, label-wildcard, port-wildcard and both-wildcard
 * patterns in equal parts. For each size it times a hit on an exact
 * pattern, a hit on a label wildcard (three labels deep) and a miss, and
 * prints ns per match and the ratio 10000/10, which should be about 1:
 * matching costs hash probes per label of the request host, not per
 * pattern. Prints figures only; never fails on speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "origin.h"

#define ITERS 2000000L

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Pattern i: exact, label, port and both wildcards in turn. */
static void pattern(size_t i, char *buf, size_t sz)
{
	switch (i % 4) {
	case 0:
		snprintf(buf, sz, "https://app%zu.example.com", i);
		break;
	case 1:
		snprintf(buf, sz, "https://*.tenant%zu.example.org", i);
		break;
	case 2:
		snprintf(buf, sz, "http://dev%zu.test:*", i);
		break;
	default:
		snprintf(buf, sz, "https://*.zone%zu.example.net:*", i);
		break;
	}
}

static struct origin_set *build(size_t n)
{
	struct origin_set *set = origin_set_new();
	char buf[128];

	if (!set)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		pattern(i, buf, sizeof(buf));
		if (origin_set_add(set, buf, strlen(buf)) != ORIGIN_OK) {
			fprintf(stderr, "origin_match: cannot add %s\n", buf);
			origin_set_free(set);
			return NULL;
		}
	}
	return set;
}

/* ns per origin_set_match of req against set; *hits counts matches. */
static double time_match(const struct origin_set *set, const char *req,
			 long *hits)
{
	size_t len = strlen(req);
	double t0 = now_ns();

	*hits = 0;
	for (long i = 0; i < ITERS; i++)
		if (origin_set_match(set, req, len, NULL))
			(*hits)++;
	return (now_ns() - t0) / (double)ITERS;
}

struct probe {
	const char *what;
	const char *req; /* present in both sets (patterns 0 and 1) */
	long want;	 /* expected hits */
};

static const struct probe probes[] = {
    {"exact hit", "https://app0.example.com", ITERS},
    {"wildcard hit", "https://a.b.c.tenant1.example.org", ITERS},
    {"miss", "https://a.b.c.nowhere.example.com", 0},
};

int main(void)
{
	static const size_t sizes[] = {10, 10000};
	double ns[2][sizeof(probes) / sizeof(probes[0])];

	for (size_t s = 0; s < 2; s++) {
		struct origin_set *set = build(sizes[s]);

		if (!set)
			return 1;
		for (size_t p = 0; p < sizeof(probes) / sizeof(probes[0]);
		     p++) {
			long hits;

			ns[s][p] = time_match(set, probes[p].req, &hits);
			if (hits != probes[p].want)
				fprintf(stderr,
					"origin_match: %s: %ld hits, "
					"expected %ld\n",
					probes[p].what, hits, probes[p].want);
			printf("origin_match %5zu patterns  %-13s %7.1f "
			       "ns/match\n",
			       sizes[s], probes[p].what, ns[s][p]);
		}
		origin_set_free(set);
	}
	for (size_t p = 0; p < sizeof(probes) / sizeof(probes[0]); p++)
		printf("origin_match ratio 10000/10   %-13s %7.2f\n",
		       probes[p].what, ns[1][p] / ns[0][p]);
	return 0;
}
