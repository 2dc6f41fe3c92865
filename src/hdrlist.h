/* hdrlist.h - comma-separated HTTP field lists (RFC 9110 section 5.6.1:
 * "#element", optional whitespace, empty elements), tokens, header-name
 * lists. (A script's Vary is merged with corsgate's in cgiresp.c.)
 *
 * Every function here is pure (no allocation unless it says so) and does
 * work bounded by the limits below, whatever the input.
 */
#ifndef CORSGATE_HDRLIST_H
#define CORSGATE_HDRLIST_H

#include <stdbool.h>
#include <stddef.h>

/* A request list longer than this, or with more elements (empty ones
 * counted), is refused unparsed. */
#define HDRLIST_MAX_BYTES 4096
#define HDRLIST_MAX_ELEMENTS 64

enum hdrlist_err {
	HDRLIST_OK = 0,
	HDRLIST_E_TOOLONG, /* over HDRLIST_MAX_BYTES */
	HDRLIST_E_TOOMANY, /* over HDRLIST_MAX_ELEMENTS elements */
	HDRLIST_E_TOKEN,   /* an element that is not a token */
	HDRLIST_E_FULL,	   /* output buffer too small */
	HDRLIST_E_NOMEM,
};

/* A static English phrase. Never NULL. */
const char *hdrlist_strerror(enum hdrlist_err err);

/* Whether s[0..len) is a non-empty RFC 9110 token (tchar+). */
bool hdrlist_is_token(const char *s, size_t len);

/* An element of a list: a view into the list's buffer. */
struct hdrlist_elem {
	const char *s;
	size_t len;
};

/* Splits list[0..len) into its non-empty elements with surrounding OWS
 * (SP / HTAB) removed, into out[0..max). Empty elements are skipped but
 * counted against HDRLIST_MAX_ELEMENTS. Every element must be a token.
 * Returns HDRLIST_OK and sets *n, or an error; on HDRLIST_E_TOKEN *bad (when
 * not NULL) receives the offending element. Work is O(len), at most
 * HDRLIST_MAX_BYTES. max must be >= HDRLIST_MAX_ELEMENTS. */
enum hdrlist_err hdrlist_split(const char *list, size_t len,
			       struct hdrlist_elem *out, size_t max, size_t *n,
			       struct hdrlist_elem *bad);

/* Whether s[0..len) is the NUL-terminated lit, ASCII case-insensitively
 * (no locale). */
bool hdrlist_ieq(const char *s, size_t len, const char *lit);

/* Whether s[0..len) starts with lit, ASCII case-insensitively. */
bool hdrlist_iprefix(const char *s, size_t len, const char *lit);

/* Whether names[0..n) holds name[0..len), ASCII case-insensitively. */
bool hdrlist_contains(const struct hdrlist_elem *names, size_t n,
		      const char *name, size_t len);

/* Fetch "forbidden request-header name" (Host, Cookie, Origin, Proxy-*,
 * Sec-*, ...), case-insensitive: browsers never let a page set these, so a
 * policy that allows them is a mistake. */
bool hdrlist_forbidden_request(const char *name, size_t len);

/* Fetch "forbidden response-header name" (Set-Cookie, Set-Cookie2). */
bool hdrlist_forbidden_response(const char *name, size_t len);

/* Fetch "forbidden method": CONNECT, TRACE, TRACK, case-insensitive. */
bool hdrlist_forbidden_method(const char *method, size_t len);

/* Fetch "CORS-safelisted method": GET, HEAD, POST, case-sensitive. */
bool hdrlist_safelisted_method(const char *method, size_t len);

#endif
