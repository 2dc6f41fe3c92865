/* origin.c - serialized origins and the allow_origin pattern set.
 *
 * Parsing is one left-to-right scan that reports the first error found.
 * Patterns are parsed by the same code with wildcards allowed.
 *
 * The set keeps four open-addressing hash tables, each keyed by the
 * serialized origin a pattern stands for once its wildcards are removed:
 *
 *   exact  "https://a.example.com:8443"   from the pattern as written
 *   port   "http://localhost"             from "http://localhost:*"
 *   label  "https://example.com"          from "*.example.com" (https)
 *   both   "https://example.com"          from "*.example.com:*" (https)
 *
 * A request is then decided by a constant number of probes plus two per
 * label of its host, whatever the number of patterns.
 *
 * The hash is FNV-1a run over the key from its LAST byte to its first, so
 * that the hash of "scheme://" + host suffix can be extended label by label
 * while walking the request host from right to left: matching never builds
 * a key and never allocates.
 */
#include "origin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)
#define TABLE_MIN 16

/* A pattern as parsed: the origin it stands for, and its wildcards. */
struct pat {
	struct origin o; /* o.host is the domain after "*." when label */
	bool label;	 /* leading "*." */
	bool anyport;	 /* trailing ":*" */
};

struct entry {
	char *key; /* owned, NUL-terminated; NULL: free slot */
	size_t klen;
	uint64_t hash;
	const char *pattern; /* owned by origin_set.pats */
};

struct table {
	struct entry *e;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

struct origin_set {
	struct table exact, port, label, both;
	char **pats; /* every pattern as written, in insertion order */
	size_t npats, cappats;
	const char *any;  /* the "*" pattern, or NULL */
	const char *null; /* the "null" pattern, or NULL */
};

const char *origin_strerror(enum origin_err err)
{
	switch (err) {
	case ORIGIN_OK:
		return "no error";
	case ORIGIN_E_EMPTY:
		return "empty origin";
	case ORIGIN_E_TOOLONG:
		return "origin too long";
	case ORIGIN_E_SCHEME:
		return "missing or invalid scheme (expected scheme://host)";
	case ORIGIN_E_UPPERCASE:
		return "uppercase letters (browsers send lowercase)";
	case ORIGIN_E_USERINFO:
		return "has userinfo (user@host)";
	case ORIGIN_E_HOST:
		return "empty or invalid host";
	case ORIGIN_E_PORT:
		return "invalid port (1-65535, no leading zero)";
	case ORIGIN_E_DEFAULTPORT:
		return "default port given (browsers omit it)";
	case ORIGIN_E_PATH:
		return "has a path or trailing slash";
	case ORIGIN_E_WILDCARD:
		return "misplaced wildcard (only a leading *. label or a :* "
		       "port)";
	case ORIGIN_E_TLDWILD:
		return "wildcard directly under a top-level domain";
	case ORIGIN_E_NOMEM:
		return "out of memory";
	}
	return "unknown origin error";
}

/* ---- bytes (no locale) ---- */

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Control bytes, space, DEL and non-ASCII. */
static bool is_junk(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f;
}

/* ---- parsing ---- */

/* scheme "://" at s; *rest receives the byte after "://". */
static enum origin_err parse_scheme(const char *s, const char *end,
				    struct origin *o, const char **rest)
{
	const char *p;

	for (p = s; p < end && *p != ':'; p++) {
		unsigned char c = (unsigned char)*p;

		if (is_upper(c))
			return ORIGIN_E_UPPERCASE;
		if (c == '*')
			return ORIGIN_E_WILDCARD;
		if (is_lower(c))
			continue;
		if (p == s ||
		    !(is_digit(c) || c == '+' || c == '-' || c == '.'))
			return ORIGIN_E_SCHEME;
	}
	if (p == s || end - p < 3 || p[1] != '/' || p[2] != '/')
		return ORIGIN_E_SCHEME;
	o->scheme = s;
	o->scheme_len = (size_t)(p - s);
	*rest = p + 3;
	return ORIGIN_OK;
}

/* A DNS-ish name [a-z0-9-._] with non-empty labels, ending at ':' or end. */
static enum origin_err parse_name(const char *s, const char *end,
				  const char **after)
{
	const char *p;

	for (p = s; p < end && *p != ':'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (p == s || p[-1] == '.')
				return ORIGIN_E_HOST;
			continue;
		}
		if (is_upper(c))
			return ORIGIN_E_UPPERCASE;
		if (c == '*')
			return ORIGIN_E_WILDCARD;
		if (!is_lower(c) && !is_digit(c) && c != '-' && c != '_')
			return ORIGIN_E_HOST;
	}
	if (p == s || p[-1] == '.')
		return ORIGIN_E_HOST;
	*after = p;
	return ORIGIN_OK;
}

/* "[" lowercase hex, ':' and '.' "]", with at least one ':'. */
static enum origin_err parse_ipv6(const char *s, const char *end,
				  const char **after)
{
	const char *p;
	bool colon = false;

	for (p = s + 1; p < end && *p != ']'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ':')
			colon = true;
		else if (is_upper(c))
			return ORIGIN_E_UPPERCASE;
		else if (c == '*')
			return ORIGIN_E_WILDCARD;
		else if (!is_digit(c) && !(c >= 'a' && c <= 'f') && c != '.')
			return ORIGIN_E_HOST;
	}
	if (p == end || !colon)
		return ORIGIN_E_HOST;
	*after = p + 1;
	return ORIGIN_OK;
}

/* The host in s[0..end) (the authority), with a leading "*." when wild. */
static enum origin_err parse_host(const char *s, const char *end, bool wild,
				  struct pat *pt, const char **after)
{
	enum origin_err e;

	if (wild && end - s >= 2 && s[0] == '*' && s[1] == '.') {
		pt->label = true;
		s += 2;
		if (s == end || *s == ':')
			return ORIGIN_E_WILDCARD;
	}
	if (s < end && *s == '[')
		e = pt->label ? ORIGIN_E_HOST : parse_ipv6(s, end, after);
	else
		e = parse_name(s, end, after);
	if (e != ORIGIN_OK)
		return e;
	if (*after < end && **after != ':')
		return ORIGIN_E_HOST;
	if (pt->label && !memchr(s, '.', (size_t)(*after - s)))
		return ORIGIN_E_TLDWILD;
	pt->o.host = s;
	pt->o.host_len = (size_t)(*after - s);
	return ORIGIN_OK;
}

/* The digits after ':' in s[0..end): 1..65535, no leading zero. */
static enum origin_err parse_port(const char *s, const char *end, long *port)
{
	long v = 0;

	if (s == end)
		return ORIGIN_E_PORT;
	for (const char *p = s; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '*')
			return ORIGIN_E_WILDCARD;
		if (is_junk(c))
			return ORIGIN_E_HOST;
		if (!is_digit(c) || (p == s && c == '0'))
			return ORIGIN_E_PORT;
		v = v * 10 + (c - '0');
		if (v > 65535)
			return ORIGIN_E_PORT;
	}
	*port = v;
	return ORIGIN_OK;
}

static bool is_scheme(const struct origin *o, const char *name)
{
	size_t n = strlen(name);

	return o->scheme_len == n && memcmp(o->scheme, name, n) == 0;
}

static bool is_default_port(const struct origin *o)
{
	if (o->port == 80)
		return is_scheme(o, "http") || is_scheme(o, "ws");
	if (o->port == 443)
		return is_scheme(o, "https") || is_scheme(o, "wss");
	return false;
}

/* ":port" (or ":*" when wild) in s[0..end), or nothing. */
static enum origin_err parse_port_part(const char *s, const char *end,
				       bool wild, struct pat *pt)
{
	enum origin_err e;

	if (s == end)
		return ORIGIN_OK;
	s++; /* ':' */
	if (wild && end - s == 1 && *s == '*') {
		pt->anyport = true;
		return ORIGIN_OK;
	}
	e = parse_port(s, end, &pt->o.port);
	if (e == ORIGIN_OK && is_default_port(&pt->o))
		return ORIGIN_E_DEFAULTPORT;
	return e;
}

/* Where the authority after "://" ends: the first '/', '?', '#' or end. */
static const char *authority_end(const char *s, const char *end)
{
	while (s < end && *s != '/' && *s != '?' && *s != '#')
		s++;
	return s;
}

/* Parses s[0..len); with wild, "*." and ":*" are accepted. */
static enum origin_err parse(const char *s, size_t len, bool wild,
			     struct pat *pt)
{
	const char *end = s + len, *auth, *aend, *after;
	enum origin_err e;

	memset(pt, 0, sizeof(*pt));
	pt->o.port = -1;
	if (len == 0)
		return ORIGIN_E_EMPTY;
	if (len > ORIGIN_MAX)
		return ORIGIN_E_TOOLONG;
	if (len == 4 && memcmp(s, "null", 4) == 0) {
		pt->o.opaque = true;
		return ORIGIN_OK;
	}
	e = parse_scheme(s, end, &pt->o, &auth);
	if (e != ORIGIN_OK)
		return e;
	aend = authority_end(auth, end);
	if (memchr(auth, '@', (size_t)(aend - auth)))
		return ORIGIN_E_USERINFO;
	e = parse_host(auth, aend, wild, pt, &after);
	if (e == ORIGIN_OK)
		e = parse_port_part(after, aend, wild, pt);
	if (e == ORIGIN_OK && aend != end)
		e = ORIGIN_E_PATH;
	return e;
}

enum origin_err origin_parse(const char *s, size_t len, struct origin *out)
{
	struct pat pt;
	enum origin_err e = parse(s, len, false, &pt);

	if (e == ORIGIN_OK)
		*out = pt.o;
	return e;
}

/* ---- hash tables ---- */

/* FNV-1a over s[0..n) from the last byte to the first, continuing h. */
static uint64_t fold(uint64_t h, const char *s, size_t n)
{
	while (n > 0) {
		h ^= (unsigned char)s[--n];
		h *= FNV_PRIME;
	}
	return h;
}

/* The pattern whose key is a[0..alen) + b[0..blen), or NULL. */
static const char *table_find(const struct table *t, uint64_t hash,
			      const char *a, size_t alen, const char *b,
			      size_t blen)
{
	if (t->n == 0)
		return NULL;
	for (size_t i = hash & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		const struct entry *en = &t->e[i];

		if (!en->key)
			return NULL;
		if (en->hash == hash && en->klen == alen + blen &&
		    memcmp(en->key, a, alen) == 0 &&
		    (blen == 0 || memcmp(en->key + alen, b, blen) == 0))
			return en->pattern;
	}
}

/* Places en in e[0..cap), which has a free slot. */
static void place(struct entry *e, size_t cap, const struct entry *en)
{
	size_t i = en->hash & (cap - 1);

	while (e[i].key)
		i = (i + 1) & (cap - 1);
	e[i] = *en;
}

/* Makes room for one more entry, keeping the load at most one half. */
static int table_reserve(struct table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : TABLE_MIN;
	struct entry *ne;

	if ((t->n + 1) * 2 <= t->cap)
		return 0;
	if (ncap < t->cap || ncap > SIZE_MAX / sizeof(*ne))
		return -1;
	ne = calloc(ncap, sizeof(*ne));
	if (!ne)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].key)
			place(ne, ncap, &t->e[i]);
	free(t->e);
	t->e = ne;
	t->cap = ncap;
	return 0;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].key);
	free(t->e);
}

/* ---- the set ---- */

struct origin_set *origin_set_new(void)
{
	return calloc(1, sizeof(struct origin_set));
}

void origin_set_free(struct origin_set *set)
{
	if (!set)
		return;
	table_free(&set->exact);
	table_free(&set->port);
	table_free(&set->label);
	table_free(&set->both);
	for (size_t i = 0; i < set->npats; i++)
		free(set->pats[i]);
	free(set->pats);
	free(set);
}

static int pats_reserve(struct origin_set *set)
{
	size_t ncap = set->cappats ? set->cappats * 2 : TABLE_MIN;
	char **np;

	if (set->npats < set->cappats)
		return 0;
	if (ncap > SIZE_MAX / sizeof(*np))
		return -1;
	np = realloc(set->pats, ncap * sizeof(*np));
	if (!np)
		return -1;
	set->pats = np;
	set->cappats = ncap;
	return 0;
}

/* Appends a copy of s[0..len) to the insertion-ordered list. */
static char *pats_push(struct origin_set *set, const char *s, size_t len)
{
	char *copy;

	if (pats_reserve(set) != 0)
		return NULL;
	copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	set->pats[set->npats++] = copy;
	return copy;
}

/* "*" or "null": remembered in *slot. */
static enum origin_err add_special(struct origin_set *set, const char **slot,
				   const char *s, size_t len)
{
	if (*slot)
		return ORIGIN_OK;
	*slot = pats_push(set, s, len);
	return *slot ? ORIGIN_OK : ORIGIN_E_NOMEM;
}

static struct table *table_for(struct origin_set *set, const struct pat *pt)
{
	if (pt->label)
		return pt->anyport ? &set->both : &set->label;
	return pt->anyport ? &set->port : &set->exact;
}

/* The key: "scheme://" + host (domain for "*.") + ":port" unless ":*".
 * s is the pattern; the port text, when kept, ends it. */
static char *make_key(const char *s, size_t len, const struct pat *pt,
		      size_t *klen)
{
	size_t pre = pt->o.scheme_len + 3;
	const char *hend = pt->o.host + pt->o.host_len;
	size_t tail = pt->anyport ? 0 : (size_t)(s + len - hend);
	char *key = malloc(pre + pt->o.host_len + tail + 1);

	if (!key)
		return NULL;
	memcpy(key, s, pre);
	memcpy(key + pre, pt->o.host, pt->o.host_len + tail);
	*klen = pre + pt->o.host_len + tail;
	key[*klen] = '\0';
	return key;
}

static enum origin_err add_keyed(struct origin_set *set, struct table *t,
				 const char *s, size_t len, struct entry *en)
{
	en->hash = fold(FNV_OFFSET, en->key, en->klen);
	if (table_find(t, en->hash, en->key, en->klen, NULL, 0))
		return ORIGIN_OK; /* already there */
	if (table_reserve(t) != 0)
		return ORIGIN_E_NOMEM;
	en->pattern = pats_push(set, s, len);
	if (!en->pattern)
		return ORIGIN_E_NOMEM;
	place(t->e, t->cap, en);
	t->n++;
	en->key = NULL; /* the table owns it now */
	return ORIGIN_OK;
}

enum origin_err origin_set_add(struct origin_set *set, const char *s,
			       size_t len)
{
	struct pat pt;
	struct entry en = {0};
	enum origin_err e;

	if (len == 1 && s[0] == '*')
		return add_special(set, &set->any, s, len);
	e = parse(s, len, true, &pt);
	if (e != ORIGIN_OK)
		return e;
	if (pt.o.opaque)
		return add_special(set, &set->null, s, len);
	en.key = make_key(s, len, &pt, &en.klen);
	if (!en.key)
		return ORIGIN_E_NOMEM;
	e = add_keyed(set, table_for(set, &pt), s, len, &en);
	free(en.key);
	return e;
}

bool origin_set_has_any(const struct origin_set *set)
{
	return set && set->any;
}

bool origin_set_has_null(const struct origin_set *set)
{
	return set && set->null;
}

size_t origin_set_count(const struct origin_set *set)
{
	return set ? set->npats : 0;
}

const char *origin_set_first_http(const struct origin_set *set)
{
	for (size_t i = 0; set && i < set->npats; i++)
		if (strncmp(set->pats[i], "http://", 7) == 0)
			return set->pats[i];
	return NULL;
}

/* Label wildcards for o, parsed from origin[0..len): walks the host from
 * right to left; at each '.' with a dot to its right, probes "*.suffix:*"
 * then "*.suffix[:port]". The last hit is the longest suffix. */
static const char *match_labels(const struct origin_set *set,
				const char *origin, size_t len,
				const struct origin *o)
{
	size_t pre = o->scheme_len + 3;
	const char *hend = o->host + o->host_len;
	uint64_t hbare = FNV_OFFSET; /* suffix */
	uint64_t htail = fold(FNV_OFFSET, hend, (size_t)(origin + len - hend));
	const char *best = NULL, *hit;
	bool tld = true;

	for (size_t i = o->host_len; i-- > 0;) {
		const char *suf = o->host + i + 1;

		if (o->host[i] == '.' && !tld) {
			hit =
			    table_find(&set->both, fold(hbare, origin, pre),
				       origin, pre, suf, (size_t)(hend - suf));
			best = hit ? hit : best;
			hit = table_find(&set->label, fold(htail, origin, pre),
					 origin, pre, suf,
					 (size_t)(origin + len - suf));
			best = hit ? hit : best;
		}
		if (o->host[i] == '.')
			tld = false;
		hbare = fold(hbare, o->host + i, 1);
		htail = fold(htail, o->host + i, 1);
	}
	return best;
}

const char *origin_set_match(const struct origin_set *set, const char *origin,
			     size_t len, enum origin_err *err)
{
	struct origin o;
	enum origin_err e = origin_parse(origin, len, &o);
	const char *hit;
	size_t hlen;

	if (err)
		*err = e;
	if (!set)
		return NULL;
	if (e != ORIGIN_OK)
		return set->any;
	if (o.opaque)
		return set->null ? set->null : set->any;
	hit = table_find(&set->exact, fold(FNV_OFFSET, origin, len), origin,
			 len, NULL, 0);
	hlen = (size_t)(o.host + o.host_len - origin);
	if (!hit && set->port.n)
		hit = table_find(&set->port, fold(FNV_OFFSET, origin, hlen),
				 origin, hlen, NULL, 0);
	if (!hit && o.host[0] != '[' && (set->label.n || set->both.n))
		hit = match_labels(set, origin, len, &o);
	return hit ? hit : set->any;
}
