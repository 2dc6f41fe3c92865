/* test_origin.c - origin parsing and allow_origin pattern matching.
 *
 * Tables: one row per case. Every table test checks every row and prints
 * each row that is wrong before failing, so one run shows all bad rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "origin.h"

/* ---- origin_parse ---- */

struct parse_row {
	const char *in;
	size_t len; /* 0: strlen(in) */
	enum origin_err want;
	const char *host; /* with ORIGIN_OK: expected host, NULL for "null" */
	long port;
};

static const struct parse_row parse_rows[] = {
    /* valid */
    {"https://example.com", 0, ORIGIN_OK, "example.com", -1},
    {"http://example.com", 0, ORIGIN_OK, "example.com", -1},
    {"https://app.example.com:8443", 0, ORIGIN_OK, "app.example.com", 8443},
    {"http://localhost:3000", 0, ORIGIN_OK, "localhost", 3000},
    {"http://localhost", 0, ORIGIN_OK, "localhost", -1},
    {"http://127.0.0.1", 0, ORIGIN_OK, "127.0.0.1", -1},
    {"http://127.0.0.1:8080", 0, ORIGIN_OK, "127.0.0.1", 8080},
    {"https://[::1]", 0, ORIGIN_OK, "[::1]", -1},
    {"https://[::1]:8443", 0, ORIGIN_OK, "[::1]", 8443},
    {"http://[2001:db8::1]", 0, ORIGIN_OK, "[2001:db8::1]", -1},
    {"http://[::ffff:192.0.2.1]", 0, ORIGIN_OK, "[::ffff:192.0.2.1]", -1},
    {"ws://example.com", 0, ORIGIN_OK, "example.com", -1},
    {"wss://example.com:8443", 0, ORIGIN_OK, "example.com", 8443},
    {"http://example.com:443", 0, ORIGIN_OK, "example.com", 443},
    {"https://example.com:80", 0, ORIGIN_OK, "example.com", 80},
    {"ws://example.com:443", 0, ORIGIN_OK, "example.com", 443},
    {"wss://example.com:80", 0, ORIGIN_OK, "example.com", 80},
    {"ftp://example.com:21", 0, ORIGIN_OK, "example.com", 21},
    {"http://x:1", 0, ORIGIN_OK, "x", 1},
    {"http://x:65535", 0, ORIGIN_OK, "x", 65535},
    {"chrome-extension://abcdefghijklmnop", 0, ORIGIN_OK, "abcdefghijklmnop",
     -1},
    {"a+b.c-d://x", 0, ORIGIN_OK, "x", -1},
    {"http://my_host.example", 0, ORIGIN_OK, "my_host.example", -1},
    {"http://a-b.c-d", 0, ORIGIN_OK, "a-b.c-d", -1},
    {"http://a.b.c.d.e.example.com", 0, ORIGIN_OK, "a.b.c.d.e.example.com", -1},
    {"null", 0, ORIGIN_OK, NULL, -1},
    /* empty, "null" look-alikes */
    {"", 0, ORIGIN_E_EMPTY, NULL, 0},
    {"NULL", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    {"Null", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    {"null ", 0, ORIGIN_E_SCHEME, NULL, 0},
    {" null", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"null\0", 5, ORIGIN_E_SCHEME, NULL, 0},
    {"nul", 0, ORIGIN_E_SCHEME, NULL, 0},
    /* uppercase */
    {"HTTPS://example.com", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    {"Https://example.com", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    {"https://Example.com", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    {"https://EXAMPLE.COM", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    {"https://example.coM", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    {"http://[::ABCD]", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    {"http://[::X]", 0, ORIGIN_E_UPPERCASE, NULL, 0},
    /* default ports */
    {"http://example.com:80", 0, ORIGIN_E_DEFAULTPORT, NULL, 0},
    {"https://example.com:443", 0, ORIGIN_E_DEFAULTPORT, NULL, 0},
    {"ws://example.com:80", 0, ORIGIN_E_DEFAULTPORT, NULL, 0},
    {"wss://example.com:443", 0, ORIGIN_E_DEFAULTPORT, NULL, 0},
    {"https://[::1]:443", 0, ORIGIN_E_DEFAULTPORT, NULL, 0},
    /* bad ports */
    {"http://x:0", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:65536", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:99999999999999999999999", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:080", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:00", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:+80", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:-1", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:8a", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://x:8080:90", 0, ORIGIN_E_PORT, NULL, 0},
    {"http://[::1]:", 0, ORIGIN_E_PORT, NULL, 0},
    {"https://example.com:8443 ", 0, ORIGIN_E_HOST, NULL, 0},
    /* userinfo */
    {"http://user@example.com", 0, ORIGIN_E_USERINFO, NULL, 0},
    {"http://user:pass@example.com", 0, ORIGIN_E_USERINFO, NULL, 0},
    {"http://@example.com", 0, ORIGIN_E_USERINFO, NULL, 0},
    {"http://example.com@evil.net", 0, ORIGIN_E_USERINFO, NULL, 0},
    /* path, query, fragment, trailing slash */
    {"https://example.com/", 0, ORIGIN_E_PATH, NULL, 0},
    {"https://example.com/path", 0, ORIGIN_E_PATH, NULL, 0},
    {"https://example.com?q=1", 0, ORIGIN_E_PATH, NULL, 0},
    {"https://example.com#frag", 0, ORIGIN_E_PATH, NULL, 0},
    {"https://example.com:8443/", 0, ORIGIN_E_PATH, NULL, 0},
    {"https://[::1]/", 0, ORIGIN_E_PATH, NULL, 0},
    {"https://example.com/*", 0, ORIGIN_E_PATH, NULL, 0},
    {"https://example.com/@x", 0, ORIGIN_E_PATH, NULL, 0},
    /* hosts */
    {"https://", 0, ORIGIN_E_HOST, NULL, 0},
    {"https:///", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://:8443", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://.example.com", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://example..com", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://example.com.", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://.", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://exa mple.com", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://example.com ", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://example.com\r\n", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://example.com\r\nX-Evil: 1", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://exa\tmple.com", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://ex\x01"
     "ample.com",
     0, ORIGIN_E_HOST, NULL, 0},
    {"https://ex\x7f"
     "ample.com",
     0, ORIGIN_E_HOST, NULL, 0},
    {"https://ex\0ample.com", 20, ORIGIN_E_HOST, NULL, 0},
    {"https://ex\xc3\xa4mple.com", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://xn--exmple-cua.com\xff", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://example.com\\", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://exa%6dple.com", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://[::1", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://[]", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://[1.2.3.4]", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://[::1]x", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://[::g]", 0, ORIGIN_E_HOST, NULL, 0},
    {"https://x[::1]", 0, ORIGIN_E_HOST, NULL, 0},
    /* schemes */
    {"example.com", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"://example.com", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"https:/example.com", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"https:example.com", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"https:", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"1http://x", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"-http://x", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"ht tp://x", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"htt\xc3\xa4://x", 0, ORIGIN_E_SCHEME, NULL, 0},
    {"\x01https://x", 0, ORIGIN_E_SCHEME, NULL, 0},
    /* wildcards are patterns, never origins */
    {"*", 0, ORIGIN_E_WILDCARD, NULL, 0},
    {"https://*.example.com", 0, ORIGIN_E_WILDCARD, NULL, 0},
    {"https://example.com:*", 0, ORIGIN_E_WILDCARD, NULL, 0},
    {"*://example.com", 0, ORIGIN_E_WILDCARD, NULL, 0},
    {"https://ex*ample.com", 0, ORIGIN_E_WILDCARD, NULL, 0},
    {"https://[::*]", 0, ORIGIN_E_WILDCARD, NULL, 0},
};

static int check_parse_row(size_t i, const struct parse_row *r)
{
	size_t len = r->len ? r->len : strlen(r->in);
	struct origin o;
	enum origin_err e;

	memset(&o, 0xa5, sizeof(o));
	e = origin_parse(r->in, len, &o);
	if (e != r->want) {
		print_error("row %zu \"%s\": got %d (%s), want %d (%s)\n", i,
			    r->in, e, origin_strerror(e), r->want,
			    origin_strerror(r->want));
		return 1;
	}
	if (e != ORIGIN_OK)
		return 0;
	if (!r->host) {
		if (o.opaque && o.port == -1)
			return 0;
		print_error("row %zu \"%s\": want opaque\n", i, r->in);
		return 1;
	}
	if (o.opaque || o.port != r->port || o.host_len != strlen(r->host) ||
	    memcmp(o.host, r->host, o.host_len) != 0 || o.scheme != r->in ||
	    o.host < r->in || o.host + o.host_len > r->in + len ||
	    o.host != r->in + o.scheme_len + 3 ||
	    memcmp(r->in + o.scheme_len, "://", 3) != 0) {
		print_error(
		    "row %zu \"%s\": wrong views (host %.*s port %ld)\n", i,
		    r->in, (int)o.host_len, o.host, o.port);
		return 1;
	}
	return 0;
}

static void test_origin_parse_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++)
		bad += check_parse_row(i, &parse_rows[i]);
	assert_int_equal(bad, 0);
}

/* "scheme://" + host of n bytes ("aaa...a.com") + tail, in a new buffer. */
static char *long_origin(const char *scheme, size_t n, const char *tail)
{
	size_t sl = strlen(scheme), tl = strlen(tail);
	char *s = malloc(sl + n + tl + 1);

	assert_non_null(s);
	memcpy(s, scheme, sl);
	memset(s + sl, 'a', n);
	memcpy(s + sl + n - 4, ".com", 4);
	memcpy(s + sl + n, tail, tl + 1);
	return s;
}

struct long_row {
	const char *scheme;
	size_t total; /* whole value length */
	const char *tail;
	enum origin_err want;
};

static const struct long_row long_rows[] = {
    {"https://", ORIGIN_MAX, "", ORIGIN_OK},
    {"https://", ORIGIN_MAX + 1, "", ORIGIN_E_TOOLONG},
    {"https://", 4096, "", ORIGIN_E_TOOLONG},
    {"https://", 65536, "", ORIGIN_E_TOOLONG},
    {"http://", ORIGIN_MAX, ":8080", ORIGIN_OK},
    {"http://", ORIGIN_MAX, "/", ORIGIN_E_PATH},
    /* refused by length before anything else is looked at */
    {"HTTPS://", 4096, "", ORIGIN_E_TOOLONG},
    {"https://", 4096, ":80/x y", ORIGIN_E_TOOLONG},
};

static void test_origin_parse_long(void **state)
{
	struct origin o;

	(void)state;
	for (size_t i = 0; i < sizeof(long_rows) / sizeof(long_rows[0]); i++) {
		const struct long_row *r = &long_rows[i];
		size_t hl = r->total - strlen(r->scheme) - strlen(r->tail);
		char *s = long_origin(r->scheme, hl, r->tail);

		assert_int_equal(strlen(s), r->total);
		assert_int_equal(origin_parse(s, r->total, &o), r->want);
		free(s);
	}
}

/* A 4 KiB value of junk is refused as too long, not scanned. */
static void test_origin_parse_4k_junk(void **state)
{
	char buf[4096];
	struct origin o;

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(origin_parse(buf, sizeof(buf), &o), ORIGIN_E_TOOLONG);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(origin_parse(buf, sizeof(buf), &o), ORIGIN_E_TOOLONG);
	assert_int_equal(origin_parse(buf, 1, &o), ORIGIN_E_SCHEME);
}

/* ---- origin_set: matching ---- */

#define PATS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOPATS ((const char *const[]){NULL})

struct match_row {
	const char *const *pats;
	const char *req;
	const char *want; /* the pattern reported, NULL: no match */
	enum origin_err err;
};

#define W1 PATS("https://*.example.com")
#define W8443 PATS("https://*.example.com:8443")
#define LOCAL PATS("http://localhost:*")
#define BOTH PATS("https://*.example.com:*")
#define EXACT PATS("https://app.example.com")
#define ANY PATS("*")
#define NUL PATS("null")
#define PREC                                                                   \
	PATS("*", "https://*.example.com", "https://*.a.example.com",          \
	     "https://*.example.com:*", "https://x.a.example.com:*",           \
	     "https://x.a.example.com")

static const struct match_row match_rows[] = {
    /* label wildcard: suffix, prefix, scheme and port attacks */
    {W1, "https://a.example.com", "https://*.example.com", ORIGIN_OK},
    {W1, "https://a.b.c.example.com", "https://*.example.com", ORIGIN_OK},
    {W1, "https://_x-1.example.com", "https://*.example.com", ORIGIN_OK},
    {W1, "https://example.com", NULL, ORIGIN_OK},
    {W1, "https://evilexample.com", NULL, ORIGIN_OK},
    {W1, "https://a.evilexample.com", NULL, ORIGIN_OK},
    {W1, "https://example.com.evil.net", NULL, ORIGIN_OK},
    {W1, "https://a.example.com.evil.net", NULL, ORIGIN_OK},
    {W1, "https://a-example.com", NULL, ORIGIN_OK},
    {W1, "https://a.example.co", NULL, ORIGIN_OK},
    {W1, "https://a.example.comm", NULL, ORIGIN_OK},
    {W1, "https://com", NULL, ORIGIN_OK},
    {W1, "http://a.example.com", NULL, ORIGIN_OK},
    {W1, "wss://a.example.com", NULL, ORIGIN_OK},
    {W1, "https://a.example.com:8443", NULL, ORIGIN_OK},
    {W1, "https://a.example.com:443", NULL, ORIGIN_E_DEFAULTPORT},
    {W1, "https://A.example.com", NULL, ORIGIN_E_UPPERCASE},
    {W1, "https://a.example.com/", NULL, ORIGIN_E_PATH},
    {W1, "https://a.example.com.", NULL, ORIGIN_E_HOST},
    {W1, "https://user@a.example.com", NULL, ORIGIN_E_USERINFO},
    {W1, "https://[::1]", NULL, ORIGIN_OK},
    {W1, "null", NULL, ORIGIN_OK},
    {W1, "https://*.example.com", NULL, ORIGIN_E_WILDCARD},
    /* label wildcard with a port */
    {W8443, "https://a.example.com:8443", "https://*.example.com:8443",
     ORIGIN_OK},
    {W8443, "https://a.b.example.com:8443", "https://*.example.com:8443",
     ORIGIN_OK},
    {W8443, "https://a.example.com", NULL, ORIGIN_OK},
    {W8443, "https://a.example.com:8444", NULL, ORIGIN_OK},
    {W8443, "https://a.example.com:18443", NULL, ORIGIN_OK},
    {W8443, "https://example.com:8443", NULL, ORIGIN_OK},
    /* port wildcard */
    {LOCAL, "http://localhost", "http://localhost:*", ORIGIN_OK},
    {LOCAL, "http://localhost:3000", "http://localhost:*", ORIGIN_OK},
    {LOCAL, "http://localhost:65535", "http://localhost:*", ORIGIN_OK},
    {LOCAL, "http://localhost:80", NULL, ORIGIN_E_DEFAULTPORT},
    {LOCAL, "https://localhost:3000", NULL, ORIGIN_OK},
    {LOCAL, "http://localhost.evil.net:3000", NULL, ORIGIN_OK},
    {LOCAL, "http://a.localhost:3000", NULL, ORIGIN_OK},
    {LOCAL, "http://localhos:3000", NULL, ORIGIN_OK},
    {LOCAL, "http://localhost:3000/", NULL, ORIGIN_E_PATH},
    {PATS("http://[::1]:*"), "http://[::1]", "http://[::1]:*", ORIGIN_OK},
    {PATS("http://[::1]:*"), "http://[::1]:5173", "http://[::1]:*", ORIGIN_OK},
    {PATS("http://[::1]:*"), "http://[::2]:5173", NULL, ORIGIN_OK},
    /* both wildcards */
    {BOTH, "https://a.example.com", "https://*.example.com:*", ORIGIN_OK},
    {BOTH, "https://a.b.example.com:8443", "https://*.example.com:*",
     ORIGIN_OK},
    {BOTH, "https://example.com:8443", NULL, ORIGIN_OK},
    {BOTH, "https://example.com", NULL, ORIGIN_OK},
    {BOTH, "http://a.example.com:8443", NULL, ORIGIN_OK},
    {BOTH, "https://a.evilexample.com:8443", NULL, ORIGIN_OK},
    /* exact */
    {EXACT, "https://app.example.com", "https://app.example.com", ORIGIN_OK},
    {EXACT, "https://app.example.com:8443", NULL, ORIGIN_OK},
    {EXACT, "https://app.example.com:443", NULL, ORIGIN_E_DEFAULTPORT},
    {EXACT, "https://app.example.com/", NULL, ORIGIN_E_PATH},
    {EXACT, "https://APP.example.com", NULL, ORIGIN_E_UPPERCASE},
    {EXACT, "http://app.example.com", NULL, ORIGIN_OK},
    {EXACT, "https://x.app.example.com", NULL, ORIGIN_OK},
    {EXACT, "https://app.example.co", NULL, ORIGIN_OK},
    {EXACT, "https://app.example.comx", NULL, ORIGIN_OK},
    {PATS("http://[::1]:8080"), "http://[::1]:8080", "http://[::1]:8080",
     ORIGIN_OK},
    {PATS("http://[::1]:8080"), "http://[::1]", NULL, ORIGIN_OK},
    /* "*" answers everything, invalid values included */
    {ANY, "https://anything.example", "*", ORIGIN_OK},
    {ANY, "null", "*", ORIGIN_OK},
    {ANY, "HTTPS://X.COM", "*", ORIGIN_E_UPPERCASE},
    {ANY, "", "*", ORIGIN_E_EMPTY},
    {ANY, "https://x.com/", "*", ORIGIN_E_PATH},
    {ANY, "https://x.com:443", "*", ORIGIN_E_DEFAULTPORT},
    /* "null" */
    {NUL, "null", "null", ORIGIN_OK},
    {NUL, "https://x.com", NULL, ORIGIN_OK},
    {NUL, "NULL", NULL, ORIGIN_E_UPPERCASE},
    {NUL, "null/", NULL, ORIGIN_E_SCHEME},
    {PATS("null", "*"), "null", "null", ORIGIN_OK},
    {PATS("*", "null"), "null", "null", ORIGIN_OK},
    {PATS("https://*.example.com", "http://x.com:*"), "null", NULL, ORIGIN_OK},
    /* empty set */
    {NOPATS, "https://x.com", NULL, ORIGIN_OK},
    {NOPATS, "null", NULL, ORIGIN_OK},
    {NOPATS, "bogus", NULL, ORIGIN_E_SCHEME},
    /* precedence: exact > port wildcard > label (longest) > "*" */
    {PREC, "https://x.a.example.com", "https://x.a.example.com", ORIGIN_OK},
    {PREC, "https://x.a.example.com:9000", "https://x.a.example.com:*",
     ORIGIN_OK},
    {PREC, "https://y.a.example.com", "https://*.a.example.com", ORIGIN_OK},
    {PREC, "https://z.y.a.example.com", "https://*.a.example.com", ORIGIN_OK},
    {PREC, "https://a.example.com", "https://*.example.com", ORIGIN_OK},
    {PREC, "https://b.example.com", "https://*.example.com", ORIGIN_OK},
    {PREC, "https://b.example.com:9000", "https://*.example.com:*", ORIGIN_OK},
    {PREC, "https://y.a.example.com:9000", "https://*.example.com:*",
     ORIGIN_OK},
    {PREC, "https://other.org", "*", ORIGIN_OK},
    {PREC, "https://example.com", "*", ORIGIN_OK},
    {PREC, "http://b.example.com", "*", ORIGIN_OK},
    {PREC, "null", "*", ORIGIN_OK},
    {PATS("https://*.b.example.com", "https://*.example.com"),
     "https://a.b.example.com", "https://*.b.example.com", ORIGIN_OK},
    {PATS("https://*.example.com", "https://*.b.example.com"),
     "https://a.b.example.com", "https://*.b.example.com", ORIGIN_OK},
    {PATS("https://*.example.com", "https://*.b.example.com"),
     "https://b.example.com", "https://*.example.com", ORIGIN_OK},
    {PATS("https://*.example.com:*", "https://*.b.example.com:*"),
     "https://a.b.example.com:1", "https://*.b.example.com:*", ORIGIN_OK},
    {PATS("https://*.b.example.com:*", "https://*.example.com:*"),
     "https://a.b.example.com", "https://*.b.example.com:*", ORIGIN_OK},
    {PATS("https://*.b.example.com:*", "https://*.example.com"),
     "https://a.b.example.com", "https://*.b.example.com:*", ORIGIN_OK},
    {PATS("https://*.b.example.com", "https://*.example.com:*"),
     "https://a.b.example.com", "https://*.b.example.com", ORIGIN_OK},
    /* same domain, other schemes and ports */
    {PATS("http://*.example.com", "https://*.example.com"),
     "http://a.example.com", "http://*.example.com", ORIGIN_OK},
    {PATS("http://*.example.com", "https://*.example.com"),
     "https://a.example.com", "https://*.example.com", ORIGIN_OK},
    {PATS("https://*.example.com:8443", "https://*.example.com:9443"),
     "https://a.example.com:9443", "https://*.example.com:9443", ORIGIN_OK},
    {PATS("https://example.com:*", "https://*.example.com"),
     "https://example.com:1", "https://example.com:*", ORIGIN_OK},
};

static struct origin_set *set_of(const char *const *pats)
{
	struct origin_set *set = origin_set_new();

	assert_non_null(set);
	for (; *pats; pats++)
		assert_int_equal(origin_set_add(set, *pats, strlen(*pats)),
				 ORIGIN_OK);
	return set;
}

static int check_match_row(size_t i, const struct match_row *r)
{
	struct origin_set *set = set_of(r->pats);
	enum origin_err err = ORIGIN_E_NOMEM;
	size_t len = strlen(r->req);
	const char *got;
	int bad = 0;

	got = origin_set_match(set, r->req, len, &err);
	if ((got == NULL) != (r->want == NULL) ||
	    (got && strcmp(got, r->want) != 0) || err != r->err) {
		print_error("row %zu \"%s\" (first pattern %s): got %s err %d, "
			    "want %s err %d\n",
			    i, r->req, r->pats[0] ? r->pats[0] : "-",
			    got ? got : "NULL", err, r->want ? r->want : "NULL",
			    r->err);
		bad = 1;
	}
	if (origin_set_match(set, r->req, len, NULL) != got) {
		print_error("row %zu: result differs without err\n", i);
		bad = 1;
	}
	origin_set_free(set);
	return bad;
}

static void test_origin_set_match_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++)
		bad += check_match_row(i, &match_rows[i]);
	assert_int_equal(bad, 0);
}

/* Bytes after a matching origin (a NUL, CR LF) make it no match. */
static void test_origin_set_match_trailing_bytes(void **state)
{
	static const char *const tails[] = {"\0", "\r\n", " ", "\n", "/"};
	struct origin_set *set =
	    set_of(PATS("https://app.example.com", "https://*.example.com"));
	char buf[64];
	enum origin_err err;

	(void)state;
	assert_string_equal(
	    origin_set_match(set, "https://app.example.com", 23, &err),
	    "https://app.example.com");
	assert_int_equal(err, ORIGIN_OK);
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		size_t n = strlen(tails[i]) ? strlen(tails[i]) : 1;

		memcpy(buf, "https://app.example.com", 23);
		memcpy(buf + 23, tails[i], n);
		assert_null(origin_set_match(set, buf, 23 + n, &err));
		assert_int_not_equal(err, ORIGIN_OK);
	}
	origin_set_free(set);
}

/* ---- origin_set_add: invalid patterns ---- */

struct bad_row {
	const char *pat;
	enum origin_err want;
};

static const struct bad_row bad_rows[] = {
    {"", ORIGIN_E_EMPTY},
    {"https://*.com", ORIGIN_E_TLDWILD},
    {"https://*.com:*", ORIGIN_E_TLDWILD},
    {"https://*.com:8443", ORIGIN_E_TLDWILD},
    {"https://*.localhost", ORIGIN_E_TLDWILD},
    {"https://*.", ORIGIN_E_WILDCARD},
    {"https://*.:8443", ORIGIN_E_WILDCARD},
    {"https://*", ORIGIN_E_WILDCARD},
    {"https://*:*", ORIGIN_E_WILDCARD},
    {"https://*.*.x.com", ORIGIN_E_WILDCARD},
    {"https://a*.x.com", ORIGIN_E_WILDCARD},
    {"https://*x.com", ORIGIN_E_WILDCARD},
    {"https://x.*.com", ORIGIN_E_WILDCARD},
    {"https://x.com.*", ORIGIN_E_WILDCARD},
    {"*.example.com", ORIGIN_E_WILDCARD},
    {"**", ORIGIN_E_WILDCARD},
    {"* ", ORIGIN_E_WILDCARD},
    {"*://x.com", ORIGIN_E_WILDCARD},
    {"http*://x.com", ORIGIN_E_WILDCARD},
    {"https://x.com:8*", ORIGIN_E_WILDCARD},
    {"https://x.com:**", ORIGIN_E_WILDCARD},
    {"https://x.com:*8", ORIGIN_E_WILDCARD},
    {"https://[::*]", ORIGIN_E_WILDCARD},
    {"https://*.[::1]", ORIGIN_E_HOST},
    {"https://*..x.com", ORIGIN_E_HOST},
    {"https://*.x.com.", ORIGIN_E_HOST},
    {"https://", ORIGIN_E_HOST},
    {"https://x y.com", ORIGIN_E_HOST},
    {"HTTPS://x.com", ORIGIN_E_UPPERCASE},
    {"https://*.Example.com", ORIGIN_E_UPPERCASE},
    {"NULL", ORIGIN_E_UPPERCASE},
    {"https://x.com:443", ORIGIN_E_DEFAULTPORT},
    {"http://x.com:80", ORIGIN_E_DEFAULTPORT},
    {"https://*.x.com:443", ORIGIN_E_DEFAULTPORT},
    {"https://x.com:0", ORIGIN_E_PORT},
    {"https://x.com:", ORIGIN_E_PORT},
    {"https://*.x.com:65536", ORIGIN_E_PORT},
    {"https://u@x.com", ORIGIN_E_USERINFO},
    {"https://u@*.x.com", ORIGIN_E_USERINFO},
    {"https://x.com/", ORIGIN_E_PATH},
    {"https://*.x.com/", ORIGIN_E_PATH},
    {"https://x.com:*/", ORIGIN_E_PATH},
    {"x.com", ORIGIN_E_SCHEME},
    {" *", ORIGIN_E_SCHEME},
    {"null ", ORIGIN_E_SCHEME},
};

static void test_origin_set_add_rejects(void **state)
{
	struct origin_set *set = origin_set_new();
	int bad = 0;

	(void)state;
	assert_non_null(set);
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *r = &bad_rows[i];
		enum origin_err e = origin_set_add(set, r->pat, strlen(r->pat));

		if (e != r->want) {
			print_error("row %zu \"%s\": got %d (%s), want %d\n", i,
				    r->pat, e, origin_strerror(e), r->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_int_equal(origin_set_count(set), 0);
	assert_false(origin_set_has_any(set));
	assert_false(origin_set_has_null(set));
	assert_null(origin_set_match(set, "https://a.x.com", 15, NULL));
	origin_set_free(set);
}

static void test_origin_set_add_toolong(void **state)
{
	struct origin_set *set = origin_set_new();
	char *ok = long_origin("https://", ORIGIN_MAX - 8, "");
	char *over = long_origin("https://", ORIGIN_MAX - 7, "");

	(void)state;
	assert_non_null(set);
	assert_int_equal(origin_set_add(set, over, strlen(over)),
			 ORIGIN_E_TOOLONG);
	assert_int_equal(origin_set_count(set), 0);
	assert_int_equal(origin_set_add(set, ok, strlen(ok)), ORIGIN_OK);
	assert_string_equal(origin_set_match(set, ok, strlen(ok), NULL), ok);
	free(ok);
	free(over);
	origin_set_free(set);
}

/* A host of ~500 one-letter labels under a wildcard domain: every label is
 * walked, the match is still found, the apex still is not. */
static void test_origin_set_match_many_labels(void **state)
{
	struct origin_set *set = set_of(PATS("https://*.example.com"));
	char buf[ORIGIN_MAX];
	size_t n = 0;

	(void)state;
	n += (size_t)sprintf(buf, "https://");
	while (n + 2 + strlen("example.com") <= ORIGIN_MAX) {
		buf[n++] = 'a';
		buf[n++] = '.';
	}
	memcpy(buf + n, "example.com", 11);
	n += 11;
	assert_true(n <= ORIGIN_MAX);
	assert_string_equal(origin_set_match(set, buf, n, NULL),
			    "https://*.example.com");
	buf[n - 1] = 'x'; /* ...example.cox */
	assert_null(origin_set_match(set, buf, n, NULL));
	origin_set_free(set);
}

/* ---- set bookkeeping ---- */

static void test_origin_set_dedup_and_count(void **state)
{
	struct origin_set *set = origin_set_new();
	static const char *const pats[] = {
	    "https://a.com",
	    "https://a.com",
	    "https://*.a.com",
	    "https://*.a.com",
	    "https://a.com:*",
	    "https://*.a.com:*",
	    "https://*.a.com:*",
	    "*",
	    "*",
	    "null",
	    "null",
	    "http://a.com",
	};
	static const size_t want[] = {1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 6, 7};

	(void)state;
	assert_non_null(set);
	assert_int_equal(origin_set_count(set), 0);
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		assert_int_equal(origin_set_add(set, pats[i], strlen(pats[i])),
				 ORIGIN_OK);
		assert_int_equal(origin_set_count(set), want[i]);
	}
	assert_true(origin_set_has_any(set));
	assert_true(origin_set_has_null(set));
	origin_set_free(set);
}

static void test_origin_set_has_any_null(void **state)
{
	struct origin_set *set = set_of(PATS("https://a.com"));

	(void)state;
	assert_false(origin_set_has_any(set));
	assert_false(origin_set_has_null(set));
	assert_int_equal(origin_set_add(set, "null", 4), ORIGIN_OK);
	assert_false(origin_set_has_any(set));
	assert_true(origin_set_has_null(set));
	assert_int_equal(origin_set_add(set, "*", 1), ORIGIN_OK);
	assert_true(origin_set_has_any(set));
	origin_set_free(set);
	origin_set_free(NULL);
}

/* The set keeps its own copy of each pattern, as written. */
static void test_origin_set_copies_patterns(void **state)
{
	struct origin_set *set = origin_set_new();
	char buf[64];
	const char *got;

	(void)state;
	assert_non_null(set);
	strcpy(buf, "https://*.example.com:8443XXXX");
	assert_int_equal(origin_set_add(set, buf, 26), ORIGIN_OK);
	memset(buf, 'Z', sizeof(buf));
	got = origin_set_match(set, "https://a.example.com:8443", 26, NULL);
	assert_non_null(got);
	assert_string_equal(got, "https://*.example.com:8443");
	assert_ptr_not_equal(got, buf);
	origin_set_free(set);
}

struct first_row {
	const char *const *pats;
	const char *want;
};

static const struct first_row first_rows[] = {
    {PATS("https://a.com", "http://*.b.com", "http://c.com"), "http://*.b.com"},
    {PATS("http://c.com", "http://*.b.com"), "http://c.com"},
    {PATS("*", "null", "https://x.com"), NULL},
    {PATS("http://localhost:*"), "http://localhost:*"},
    {PATS("https://x.com", "http://[::1]:8080"), "http://[::1]:8080"},
    {PATS("https://x.com", "ws://x.com", "httpx://x.com"), NULL},
    {NOPATS, NULL},
};

static void test_origin_set_first_http(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(first_rows) / sizeof(first_rows[0]);
	     i++) {
		struct origin_set *set = set_of(first_rows[i].pats);
		const char *got = origin_set_first_http(set);

		if (first_rows[i].want)
			assert_string_equal(got, first_rows[i].want);
		else
			assert_null(got);
		origin_set_free(set);
	}
	assert_null(origin_set_first_http(NULL));
}

/* ---- 10,000 patterns ---- */

#define BIG 10000

/* Pattern i of the big set and a request that it (and only it) matches:
 * exact, label, port and both wildcards in turn. */
static void big_pattern(size_t i, char *pat, char *req, size_t sz)
{
	switch (i % 4) {
	case 0:
		snprintf(pat, sz, "https://h%zu.example.com", i);
		snprintf(req, sz, "https://h%zu.example.com", i);
		break;
	case 1:
		snprintf(pat, sz, "https://*.d%zu.example.org", i);
		snprintf(req, sz, "https://w.d%zu.example.org", i);
		break;
	case 2:
		snprintf(pat, sz, "http://p%zu.test:*", i);
		snprintf(req, sz, "http://p%zu.test:%zu", i, 1000 + i);
		break;
	default:
		snprintf(pat, sz, "https://*.b%zu.example.net:*", i);
		snprintf(req, sz, "https://x.y.b%zu.example.net:8443", i);
		break;
	}
}

static void test_origin_set_10000_patterns(void **state)
{
	struct origin_set *set = origin_set_new();
	char pat[128], req[128];

	(void)state;
	assert_non_null(set);
	for (size_t i = 0; i < BIG; i++) {
		big_pattern(i, pat, req, sizeof(pat));
		assert_int_equal(origin_set_add(set, pat, strlen(pat)),
				 ORIGIN_OK);
	}
	assert_int_equal(origin_set_count(set), BIG);
	for (size_t i = 0; i < BIG; i++) {
		const char *got;

		big_pattern(i, pat, req, sizeof(pat));
		got = origin_set_match(set, req, strlen(req), NULL);
		assert_non_null(got);
		assert_string_equal(got, pat);
		/* exact patterns also match themselves */
		if (i % 4 == 0)
			assert_string_equal(
			    origin_set_match(set, pat, strlen(pat), NULL), pat);
	}
	/* non-members */
	static const char *const miss[] = {
	    "https://h10000.example.com",
	    "https://h1.example.com",
	    "https://d1.example.org",
	    "https://w.d1.example.org:8443",
	    "https://w.d0.example.org",
	    "https://p2.test:3000",
	    "http://p3.test",
	    "https://b3.example.net",
	    "http://x.b3.example.net",
	    "https://x.b4.example.net",
	    "https://h0.example.com:8443",
	    "http://h0.example.com",
	};
	for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
		if (origin_set_match(set, miss[i], strlen(miss[i]), NULL))
			fail_msg("%s matched", miss[i]);
	origin_set_free(set);
}

/* ---- strerror ---- */

static void test_origin_strerror(void **state)
{
	static const struct {
		enum origin_err e;
		const char *word;
	} rows[] = {
	    {ORIGIN_OK, "no error"},
	    {ORIGIN_E_EMPTY, "empty"},
	    {ORIGIN_E_TOOLONG, "too long"},
	    {ORIGIN_E_SCHEME, "scheme"},
	    {ORIGIN_E_UPPERCASE, "uppercase"},
	    {ORIGIN_E_USERINFO, "userinfo"},
	    {ORIGIN_E_HOST, "host"},
	    {ORIGIN_E_PORT, "port"},
	    {ORIGIN_E_DEFAULTPORT, "default port"},
	    {ORIGIN_E_PATH, "path"},
	    {ORIGIN_E_WILDCARD, "wildcard"},
	    {ORIGIN_E_TLDWILD, "top-level domain"},
	    {ORIGIN_E_NOMEM, "memory"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *s = origin_strerror(rows[i].e);

		assert_non_null(s);
		if (!strstr(s, rows[i].word))
			fail_msg("%d: \"%s\" lacks \"%s\"", rows[i].e, s,
				 rows[i].word);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, origin_strerror(rows[j].e));
	}
	assert_non_null(origin_strerror((enum origin_err)999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_origin_parse_table),
	    cmocka_unit_test(test_origin_parse_long),
	    cmocka_unit_test(test_origin_parse_4k_junk),
	    cmocka_unit_test(test_origin_set_match_table),
	    cmocka_unit_test(test_origin_set_match_trailing_bytes),
	    cmocka_unit_test(test_origin_set_add_rejects),
	    cmocka_unit_test(test_origin_set_add_toolong),
	    cmocka_unit_test(test_origin_set_match_many_labels),
	    cmocka_unit_test(test_origin_set_dedup_and_count),
	    cmocka_unit_test(test_origin_set_has_any_null),
	    cmocka_unit_test(test_origin_set_copies_patterns),
	    cmocka_unit_test(test_origin_set_first_http),
	    cmocka_unit_test(test_origin_set_10000_patterns),
	    cmocka_unit_test(test_origin_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
