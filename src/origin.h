// origin.h - serialized origins (RFC 6454 / Fetch "ASCII serialization of an
// origin") and the allow_origin pattern set.
//
// A request's Origin is compared byte for byte after the browser's
// serialization: lowercase scheme and host, no default port, no path, no
// trailing slash, no userinfo. Anything else is not what a browser sends and
// never matches.
//
// Patterns (the policy's allow_origin entries):
//   scheme://host[:port]      exact
//   scheme://*.domain[:port]  one or more labels under domain, never domain
//                             itself; domain has at least two labels
//   scheme://host:*           host on any port, the default one included
//   scheme://*.domain:*       both
//   *                         every origin, opaque ones included
//   null                      the literal opaque origin "null"
//
// Matching costs O(labels in the request host) hash probes, whatever the
// number of patterns.
#ifndef CORSGATE_ORIGIN_H
#define CORSGATE_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

/* Longest Origin value considered; longer ones are refused unparsed. */
#define ORIGIN_MAX 1024

enum origin_err {
	ORIGIN_OK = 0,
	ORIGIN_E_EMPTY,	    /* empty value */
	ORIGIN_E_TOOLONG,   /* over ORIGIN_MAX bytes */
	ORIGIN_E_SCHEME,    /* missing or invalid scheme, or no "://" */
	ORIGIN_E_UPPERCASE, /* uppercase letter in scheme or host */
	ORIGIN_E_USERINFO,  /* "user@" before the host */
	ORIGIN_E_HOST,	    /* empty or invalid host */
	ORIGIN_E_PORT,	    /* port not 1..65535, leading zero, or not digits */
	ORIGIN_E_DEFAULTPORT, /* :80 on http/ws, :443 on https/wss */
	ORIGIN_E_PATH,	      /* a path, query, fragment or trailing slash */
	ORIGIN_E_WILDCARD, /* a '*' anywhere but a leading "*." label or ":*" */
	ORIGIN_E_TLDWILD,  /* "*.com": a wildcard directly under one label */
	ORIGIN_E_NOMEM,
};

/* A static English phrase for err ("uppercase letters; browsers send
 * lowercase"). Never NULL. */
const char *origin_strerror(enum origin_err err);

/* Views into the parsed string. */
struct origin {
	const char *scheme;
	size_t scheme_len;
	const char *host; /* "[::1]" keeps its brackets */
	size_t host_len;
	long port;   /* -1 when absent */
	bool opaque; /* the literal "null" */
};

/* Parses s[0..len) as a browser-serialized origin (no wildcards).
 * Returns ORIGIN_OK and fills *out (views into s), or the first error found.
 * Pure: no allocation. */
enum origin_err origin_parse(const char *s, size_t len, struct origin *out);

/* The set of allow_origin patterns of one policy. Opaque type; immutable
 * once the policy is loaded: matching only reads it. */
struct origin_set;

/* Returns an empty set, or NULL when out of memory. Free with
 * origin_set_free(). */
struct origin_set *origin_set_new(void);

/* Frees the set and every pattern copy it holds. NULL is accepted. */
void origin_set_free(struct origin_set *set);

/* Validates pattern s[0..len) and adds a copy of it. Adding a pattern that
 * is already there is not an error. Returns ORIGIN_OK or the reason the
 * pattern is invalid (the set is unchanged then). Not thread-safe: call
 * only while loading the policy. */
enum origin_err origin_set_add(struct origin_set *set, const char *s,
			       size_t len);

/* Whether the set holds "*" / "null"; number of patterns. */
bool origin_set_has_any(const struct origin_set *set);
bool origin_set_has_null(const struct origin_set *set);
size_t origin_set_count(const struct origin_set *set);

/* Returns the first pattern added whose scheme is "http" and that is not
 * "*"/"null", or NULL. Used to warn about plain-http origins with
 * credentials. The string is owned by the set. */
const char *origin_set_first_http(const struct origin_set *set);

/* Matches the request's Origin value origin[0..len) against the set.
 * Returns the matching pattern as written in the policy (owned by the set,
 * valid as long as it) or NULL when nothing matches. When err is not NULL it
 * receives ORIGIN_OK, or the reason the value is not a serialized origin;
 * such a value matches only "*". "null" matches only "null" or "*".
 * An exact pattern is preferred over a port wildcard, over a label
 * wildcard, over "*".
 * Pure: no allocation, no global state, O(labels) hash probes. */
const char *origin_set_match(const struct origin_set *set, const char *origin,
			     size_t len, enum origin_err *err);

#endif
