/* fuzz/cors.c - the CORS decision with its invariants, over a few fixed
 * policies (loaded once, from a memfd) and any request:
 *   - a refused request carries no Access-Control-Allow-* header;
 *   - an allowed credentialed one never answers Allow-Origin '*' (it
 *     echoes the request's origin) and never '*' in Allow-Methods /
 *     Allow-Headers unless the request itself asked for '*';
 *   - Vary always holds Origin, unless the policy is a static '*' (any
 *     origin, no credentials) and the request is not a preflight;
 *   - at most one of each header, and a disabled path adds nothing.
 * Input: byte 0 picks the policy (low 3 bits) and which fields are
 * present (high 5 bits: origin, acrm, acrh, acrpn, method OPTIONS);
 * then the fields, one a line: method, origin, acrm, acrh, acrpn. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "cors.h"
#include "fuzz.h"

static const char *const policies[] = {
    "[cors]\nallow_origin = https://app.example.com https://*.example.org "
    "http://localhost:*\nallow_methods = GET, PUT\nallow_headers = X-A\n"
    "allow_credentials = true\nexpose_headers = X-Total\n",
    "[cors]\nallow_origin = *\nallow_methods = *\nallow_headers = *\n"
    "expose_headers = *\n",
    "[cors]\nallow_origin = https://a.com null\nallow_methods = *\n"
    "allow_headers = *, Authorization\nallow_private_network = true\n"
    "max_age = 600\n",
    "[cors]\nallow_origin = https://a.com https://*.b.com:*\n"
    "allow_credentials = true\nallow_methods = *\nallow_headers = *\n"
    "block_disallowed = true\n",
    "[cors]\nallow_origin = https://a.com\nenabled = false\n",
    "[cors]\n",
    "[cors]\nallow_origin = * \nallow_methods = DELETE\n"
    "preflight_status = 200\ndeny_status = 400\n",
    "[cors]\nallow_origin = https://x.example http://[::1]:8080\n"
    "allow_credentials = true\nallow_headers = *\nexpose_headers = A, B\n",
};
#define NPOL (sizeof(policies) / sizeof(policies[0]))
static struct config *cfgs[NPOL];

static void load_all(void)
{
	for (size_t i = 0; i < NPOL; i++) {
		int fd = memfd_create("policy", MFD_CLOEXEC);
		char path[64];
		if (fd < 0 || write(fd, policies[i], strlen(policies[i])) < 0)
			fuzz_fail("memfd");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		cfgs[i] = config_load(path);
		close(fd);
		if (!cfgs[i])
			fuzz_fail("policy %zu does not load", i);
	}
}

static size_t nheader(const struct cors_verdict *v, const char *name,
		      const struct cors_header **h)
{
	size_t n = 0;
	for (size_t i = 0; i < v->nheaders; i++)
		if (strcmp(v->headers[i].name, name) == 0) {
			n++;
			*h = &v->headers[i];
		}
	return n;
}

/* Whether list[0..len) has the element "*". */
static bool has_star(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '*')
			continue;
		size_t a = i, b = i + 1;
		while (a > 0 && (s[a - 1] == ' ' || s[a - 1] == '\t'))
			a--;
		while (b < len && (s[b] == ' ' || s[b] == '\t'))
			b++;
		if ((a == 0 || s[a - 1] == ',') && (b == len || s[b] == ','))
			return true;
	}
	return false;
}

static bool holds_origin(const char *s, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if (memcmp(s + i, "Origin", 6) == 0 &&
		    (i == 0 || s[i - 1] == ' ' || s[i - 1] == ',') &&
		    (i + 6 == len || s[i + 6] == ','))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cors_request req;
	struct cors_verdict v;
	size_t off = 1;

	fuzz_quiet();
	if (!cfgs[0])
		load_all();
	if (size < 1)
		return 0;
	unsigned flags = data[0] >> 3;
	const struct config *cfg = cfgs[data[0] & 7];
	const struct cors_policy *pol = &cfg->def;
	struct cors_str f[5];
	for (int i = 0; i < 5; i++) {
		const char *s = (const char *)data + off;
		size_t n = fuzz_field(data, size, &off);
		f[i] = (struct cors_str){s, n};
	}
	memset(&req, 0, sizeof(req));
	req.method = flags & 16 ? (struct cors_str){"OPTIONS", 7} : f[0];
	if (flags & 1)
		req.origin = f[1];
	if (flags & 2)
		req.acrm = f[2];
	if (flags & 4)
		req.acrh = f[3];
	if (flags & 8)
		req.acrpn = f[4];
	cors_decide(pol, &req, &v);
	char reason[512];
	cors_reason_format(&v, reason, sizeof(reason));

	static const char *const names[] = {
	    "Access-Control-Allow-Origin",	 "Access-Control-Allow-Credentials",
	    "Access-Control-Allow-Methods",	 "Access-Control-Allow-Headers",
	    "Access-Control-Expose-Headers", "Access-Control-Max-Age",
	    "Vary"};
	const struct cors_header *h = NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (nheader(&v, names[i], &h) > 1)
			fuzz_fail("%s twice", names[i]);
	if (v.kind == CORS_DISABLED && v.nheaders)
		fuzz_fail("a disabled path adds headers");
	if (!cors_allowed(&v))
		for (size_t i = 0; i < v.nheaders; i++)
			if (strncmp(v.headers[i].name, "Access-Control-Allow-",
				    21) == 0)
				fuzz_fail("refused (%s), yet %s", reason,
					  v.headers[i].name);
	bool cred = nheader(&v, "Access-Control-Allow-Credentials", &h) == 1;
	if (cred) {
		if (!pol->credentials || !cors_allowed(&v))
			fuzz_fail("Allow-Credentials where not allowed");
		if (nheader(&v, "Access-Control-Allow-Origin", &h) != 1 ||
		    h->value_len != req.origin.len ||
		    memcmp(h->value, req.origin.s, h->value_len) != 0)
			fuzz_fail("credentialed, Allow-Origin not the origin");
		if (nheader(&v, "Access-Control-Allow-Methods", &h) == 1 &&
		    has_star(h->value, h->value_len) &&
		    !has_star(req.acrm.s, req.acrm.len))
			fuzz_fail("credentialed Allow-Methods: *");
		if (nheader(&v, "Access-Control-Allow-Headers", &h) == 1 &&
		    has_star(h->value, h->value_len) &&
		    !(req.acrh.s && has_star(req.acrh.s, req.acrh.len)))
			fuzz_fail("credentialed Allow-Headers: *");
		if (nheader(&v, "Access-Control-Expose-Headers", &h) == 1 &&
		    has_star(h->value, h->value_len))
			fuzz_fail("credentialed Expose-Headers: *");
	}
	if ((v.kind == CORS_PREFLIGHT_OK || v.kind == CORS_ACTUAL_OK) &&
	    nheader(&v, "Access-Control-Allow-Origin", &h) != 1)
		fuzz_fail("allowed without Allow-Origin");
	bool static_star = origin_set_has_any(pol->origins) && !pol->credentials;
	bool preflight = v.kind == CORS_PREFLIGHT_OK ||
			 v.kind == CORS_PREFLIGHT_REFUSED;
	if (v.kind != CORS_DISABLED && (!static_star || preflight)) {
		if (nheader(&v, "Vary", &h) != 1 ||
		    !holds_origin(h->value, h->value_len))
			fuzz_fail("no Vary: Origin (%s)", reason);
	}
	return 0;
}
