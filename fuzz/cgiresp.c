/* fuzz/cgiresp.c - a script's header block: cgiresp_parse on any bytes
 * (the first byte picks nph), fed whole and in two pieces (the second
 * call must agree with the first); a parsed block is rewritten
 * (cgiresp_write into exactly cgiresp_write_size bytes) with the CORS
 * headers, and the rewrite holds no Access-Control-* of the script, one
 * Access-Control-Allow-Origin, and parses again; bad output is described
 * for the log within its buffer. */
#include <string.h>
#include <strings.h>

#include "cgiresp.h"
#include "fuzz.h"

/* Lines of s[0..n) whose name starts with prefix (case-insensitive). */
static size_t lines(const char *s, size_t n, const char *prefix)
{
	size_t c = 0, l = strlen(prefix);
	for (size_t i = 0; i + l <= n; i++)
		c += (i == 0 || s[i - 1] == '\n') &&
		     strncasecmp(s + i, prefix, l) == 0;
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cgiresp resp, again;
	static char out[2 * CGIRESP_MAX_BLOCK + 8192];
	enum cgiresp_err err;

	fuzz_quiet();
	if (size < 1)
		return 0;
	bool nph = data[0] & 1;
	const char *s = (const char *)data + 1;
	size_t len = size - 1;
	long r = cgiresp_parse(s, len, nph, &resp, &err);
	if (r < -2 || r > (long)len)
		fuzz_fail("parse returned %ld for %zu bytes", r, len);
	if (r == -1) {
		char what[1024];
		cgiresp_describe(s, len, resp.bad_off, err, nph, what,
				 sizeof(what));
		if (strlen(what) >= sizeof(what))
			fuzz_fail("describe overran");
		if (!cgiresp_strerror(err))
			fuzz_fail("no phrase for %d", err);
		return 0;
	}
	if (r == -2)
		return 0;
	/* a prefix that holds the whole block parses the same */
	if (cgiresp_parse(s, (size_t)r, nph, &again, &err) != r)
		fuzz_fail("the block alone parses differently");
	if (resp.status < 100 || resp.status > 599)
		fuzz_fail("status %d", resp.status);
	static const struct cors_header add[] = {
	    {"Access-Control-Allow-Origin", 27, "https://a.example", 17},
	    {"Access-Control-Expose-Headers", 29, "X-A, X-B", 8},
	    {"Vary", 4, "Origin", 6},
	};
	struct cgiresp_rewrite rw = {
	    .apply_cors = !(data[0] & 2),
	    .add = add,
	    .nadd = 3,
	    .default_content_type = "text/plain",
	    .has_body = (size_t)r < len,
	};
	bool added;
	size_t need = cgiresp_write_size(&resp, &rw);
	if (need > sizeof(out))
		fuzz_fail("rewrite size %zu", need);
	long w = cgiresp_write(&resp, &rw, out, need, &added);
	if (w < 0 || (size_t)w != need)
		fuzz_fail("wrote %ld, size said %zu", w, need);
	if (rw.apply_cors) {
		if (lines(out, need, "Access-Control-Allow-Origin:") != 1)
			fuzz_fail("not exactly one Allow-Origin");
		/* the only Access-Control-* lines are ours */
		size_t ours = lines(out, need, "access-control-");
		if (ours != 2)
			fuzz_fail("%zu Access-Control-* lines", ours);
	}
	/* the rewrite is a header block again (CRLF lines, one Status),
	 * where it stays within the parser's limits (the lines added may
	 * take it past them) */
	if (need > CGIRESP_MAX_BLOCK || resp.nheaders + 4 > CGIRESP_MAX_HEADERS)
		return 0;
	if (cgiresp_parse(out, need, false, &again, &err) != (long)need)
		fuzz_fail("the rewrite does not parse back: %s",
			  cgiresp_strerror(err));
	if (again.status != resp.status)
		fuzz_fail("status %d became %d", resp.status, again.status);
	return 0;
}
