/* hdrlist.c - comma-separated HTTP field lists, tokens, forbidden names and
 * methods (Fetch), and Vary merging. No locale: bytes are compared with our
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

/* ---- Vary ---- */

/* Output being written into a caller's buffer. */
struct out {
	char *p;
	size_t len, cap;
	bool full;
};

/* Appends ", " (unless first) and s[0..n), keeping room for the NUL. */
static void put_elem(struct out *o, const char *s, size_t n)
{
	size_t sep = o->len ? 2 : 0;

	if (o->full || o->cap - o->len <= sep + n) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, ", ", sep);
	memcpy(o->p + o->len + sep, s, n);
	o->len += sep + n;
}

/* Whether add[0..i) holds s[0..n). */
static bool in_adds(const char *const *add, size_t i, const char *s, size_t n)
{
	while (i-- > 0)
		if (hdrlist_ieq(s, n, add[i]))
			return true;
	return false;
}

/* Whether every add is a token; *star when one of them is "*". */
static bool adds_valid(const char *const *add, size_t nadd, bool *star)
{
	for (size_t i = 0; i < nadd; i++) {
		if (!add[i] || !hdrlist_is_token(add[i], strlen(add[i])))
			return false;
		if (strcmp(add[i], "*") == 0)
			*star = true;
	}
	return true;
}

long hdrlist_vary_merge(const char *existing, size_t len,
			const char *const *add, size_t nadd, char *out,
			size_t outsz)
{
	struct hdrlist_elem el[HDRLIST_MAX_ELEMENTS];
	struct out o = {out, 0, outsz, false};
	size_t n = 0;
	bool star = false;

	if (!out || outsz == 0)
		return -1;
	if (len > 0 && hdrlist_split(existing, len, el, HDRLIST_MAX_ELEMENTS,
				     &n, NULL) != HDRLIST_OK)
		return -1;
	if (!adds_valid(add, nadd, &star))
		return -1;
	for (size_t i = 0; i < n; i++)
		star = star || (el[i].len == 1 && el[i].s[0] == '*');
	if (star) {
		put_elem(&o, "*", 1);
	} else {
		for (size_t i = 0; i < n; i++)
			put_elem(&o, el[i].s, el[i].len);
		for (size_t i = 0; i < nadd; i++) {
			size_t alen = strlen(add[i]);

			if (!hdrlist_contains(el, n, add[i], alen) &&
			    !in_adds(add, i, add[i], alen))
				put_elem(&o, add[i], alen);
		}
	}
	if (o.full)
		return -1;
	out[o.len] = '\0';
	return (long)o.len;
}
