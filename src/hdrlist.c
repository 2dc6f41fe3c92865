/* hdrlist.c - comma-separated HTTP field lists, tokens, forbidden names and
 * methods (Fetch). No locale: bytes are compared with our
 * own ASCII case folding.
 */
#include "hdrlist.h"

#include <string.h>

const char *hdrlist_strerror(enum hdrlist_err err)
{
	switch (err) {
	case HDRLIST_OK:
		return "no error";
	case HDRLIST_E_TOOLONG:
		return "list too long";
	case HDRLIST_E_TOOMANY:
		return "too many elements in list";
	case HDRLIST_E_TOKEN:
		return "element is not a token";
	case HDRLIST_E_FULL:
		return "output buffer too small";
	case HDRLIST_E_NOMEM:
		return "out of memory";
	}
	return "unknown list error";
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Whether a[0..n) and b[0..n) are equal, ASCII case-insensitively. */
static bool ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

bool hdrlist_ieq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && ieq(s, lit, len);
}

bool hdrlist_iprefix(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && ieq(s, lit, n);
}

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool hdrlist_is_token(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether list[0..len) has more than HDRLIST_MAX_ELEMENTS elements (one
 * more than its commas). Stops at the limit. */
static bool too_many(const char *list, size_t len)
{
	size_t commas = 0;

	for (size_t i = 0; i < len; i++)
		if (list[i] == ',' && ++commas >= HDRLIST_MAX_ELEMENTS)
			return true;
	return false;
}

/* s[0..len) without leading and trailing OWS. */
static struct hdrlist_elem trim(const char *s, size_t len)
{
	struct hdrlist_elem e = {s, len};

	while (e.len > 0 && is_ows(e.s[0])) {
		e.s++;
		e.len--;
	}
	while (e.len > 0 && is_ows(e.s[e.len - 1]))
		e.len--;
	return e;
}

enum hdrlist_err hdrlist_split(const char *list, size_t len,
			       struct hdrlist_elem *out, size_t max, size_t *n,
			       struct hdrlist_elem *bad)
{
	const char *p = list, *end = list + len;

	*n = 0;
	if (len > HDRLIST_MAX_BYTES)
		return HDRLIST_E_TOOLONG;
	if (too_many(list, len))
		return HDRLIST_E_TOOMANY;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		struct hdrlist_elem e = trim(p, (size_t)(stop - p));

		p = comma ? comma + 1 : end;
		if (e.len == 0)
			continue;
		if (!hdrlist_is_token(e.s, e.len)) {
			if (bad)
				*bad = e;
			return HDRLIST_E_TOKEN;
		}
		if (*n >= max)
			return HDRLIST_E_FULL;
		out[(*n)++] = e;
	}
	return HDRLIST_OK;
}

bool hdrlist_contains(const struct hdrlist_elem *names, size_t n,
		      const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].len == len && ieq(names[i].s, name, len))
			return true;
	return false;
}

static bool in_list(const char *const *lits, const char *s, size_t len)
{
	for (; *lits; lits++)
		if (hdrlist_ieq(s, len, *lits))
			return true;
	return false;
}

bool hdrlist_forbidden_request(const char *name, size_t len)
{
	static const char *const names[] = {
	    "Accept-Charset",
	    "Accept-Encoding",
	    "Access-Control-Request-Headers",
	    "Access-Control-Request-Method",
	    "Access-Control-Request-Private-Network",
	    "Connection",
	    "Content-Length",
	    "Cookie",
	    "Cookie2",
	    "Date",
	    "DNT",
	    "Expect",
	    "Host",
	    "Keep-Alive",
	    "Origin",
	    "Referer",
	    "Set-Cookie",
	    "TE",
	    "Trailer",
	    "Transfer-Encoding",
	    "Upgrade",
	    "Via",
	    NULL,
	};

	return in_list(names, name, len) ||
	       hdrlist_iprefix(name, len, "Proxy-") ||
	       hdrlist_iprefix(name, len, "Sec-");
}

bool hdrlist_forbidden_response(const char *name, size_t len)
{
	static const char *const names[] = {"Set-Cookie", "Set-Cookie2", NULL};

	return in_list(names, name, len);
}

bool hdrlist_forbidden_method(const char *method, size_t len)
{
	static const char *const names[] = {"CONNECT", "TRACE", "TRACK", NULL};

	return in_list(names, method, len);
}

bool hdrlist_safelisted_method(const char *method, size_t len)
{
	return (len == 3 && (memcmp(method, "GET", 3) == 0)) ||
	       (len == 4 && (memcmp(method, "HEAD", 4) == 0 ||
			     memcmp(method, "POST", 4) == 0));
}
