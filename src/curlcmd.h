/* curlcmd.h - a DevTools "Copy as cURL" (bash form) paste, read the way bash
 * and curl would read it, into the facts of the request it makes.
 *
 * Two steps, both pure (no I/O, no allocation, no globals) and bounded by
 * the limits below whatever the input:
 *   curlcmd_split()  the paste's text -> words, with bash's quoting: '...',
 *                    "...", $'...', backslash escapes and backslash-newline
 *                    continuations. Shell syntax a paste never holds
 *                    (expansions, operators, a second command) is refused,
 *                    never guessed at.
 *   curlcmd_parse()  curl's words -> struct curlcmd_req: -X/--request,
 *                    -H/--header, --data*, -F, -T, -G, -I, -b/--cookie,
 *                    -u/--user, -r, -A, -e and the URL. Every other curl
 *                    option is accepted and ignored (those known to take a
 *                    value skip it).
 * Chromium prints  curl 'URL' -H 'origin: ...' ... --compressed
 * Firefox prints   curl 'URL' -X 'PUT' -H 'Origin: ...' --data-raw '...'
 */
#ifndef CORSGATE_CURLCMD_H
#define CORSGATE_CURLCMD_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds. A paste longer than CURLCMD_MAX_INPUT or with more words is
 * refused; a header line longer than CURLCMD_MAX_HEADER is refused as web
 * servers refuse it (nginx answers 400 past 8 KiB). */
#define CURLCMD_MAX_INPUT (1024UL * 1024)
#define CURLCMD_MAX_WORDS 1024
#define CURLCMD_MAX_HEADERS 128
#define CURLCMD_MAX_HEADER (8UL * 1024)
#define CURLCMD_MAX_URL (16UL * 1024)

enum curlcmd_err {
	CURLCMD_OK = 0,
	CURLCMD_E_EMPTY,       /* nothing but blanks and comments */
	CURLCMD_E_TOOLONG,     /* over CURLCMD_MAX_INPUT bytes */
	CURLCMD_E_TOOMANY,     /* over CURLCMD_MAX_WORDS words */
	CURLCMD_E_NUL,	       /* a NUL byte (raw, or $'\0' / $'\x00') */
	CURLCMD_E_QUOTE,       /* a quote opened and never closed */
	CURLCMD_E_EXPANSION,   /* $VAR, ${...}, $(...), `...`: not a paste */
	CURLCMD_E_OPERATOR,    /* ; | & < > ( ): more than one curl command */
	CURLCMD_E_NEWLINE,     /* a line break without '\': a second command */
	CURLCMD_E_NOTCURL,     /* the first word is not curl */
	CURLCMD_E_NOVALUE,     /* an option at the end, without its value */
	CURLCMD_E_HEADER,      /* -H without "Name: value" (or "Name;") */
	CURLCMD_E_HEADERLONG,  /* a header over CURLCMD_MAX_HEADER bytes */
	CURLCMD_E_TOOMANYHDRS, /* over CURLCMD_MAX_HEADERS headers */
	CURLCMD_E_FILE,	       /* -H @file, -d @file...: a file, not a paste */
	CURLCMD_E_NOURL,       /* no URL */
	CURLCMD_E_TWOURLS,     /* more than one URL */
	CURLCMD_E_URL,	       /* the URL is not http(s)://host/... */
	CURLCMD_E_METHOD,      /* -X with an empty value */
};

/* A static English phrase for err. Never NULL. */
const char *curlcmd_strerror(enum curlcmd_err err);

/* Where an error is: the line and column (from 1) of the paste for
 * curlcmd_split(), the word (a view into the caller's words, or NULL) for
 * curlcmd_parse(). */
struct curlcmd_where {
	int line, col;
	const char *word;
	size_t word_len;
};

/* Splits text[0..len) into words, as bash reads one simple command. The
 * words, NUL-terminated, are written into arena[0..arenasz) (len + 1 bytes
 * always suffice) and words[0..max) point to them; *n receives their
 * number. A '#' starting a word comments out the rest of its line; blanks
 * and line breaks before the first word and after the last are ignored.
 * Returns CURLCMD_OK, or the first error with *where (not NULL) set to its
 * line and column. */
enum curlcmd_err curlcmd_split(const char *text, size_t len, char *arena,
			       size_t arenasz, const char **words, size_t max,
			       size_t *n, struct curlcmd_where *where);

/* A view into one of the words. */
struct curlcmd_str {
	const char *s;
	size_t len;
};

/* One -H header as written: the name, and the value with the blanks after
 * the colon and at the end removed. */
struct curlcmd_header {
	struct curlcmd_str name, value;
};

/* The request a curl command line makes. Every view points into the words
 * given to curlcmd_parse(), valid as long as they are. */
struct curlcmd_req {
	struct curlcmd_str method; /* -X as written; s NULL: not given */
	bool method_implied_post;  /* data or -F and no -X: curl sends POST */
	bool method_implied_head;  /* -I */
	bool method_implied_put;   /* -T */
	bool get_data;		   /* -G: the data goes in the query */
	struct curlcmd_str url;	   /* as written, without a #fragment */
	struct curlcmd_str scheme; /* "http" / "https"; s NULL: a path alone */
	struct curlcmd_str host;   /* the authority as written (host[:port]) */
	struct curlcmd_str path;   /* as written (encoded), never empty: "/" */
	struct curlcmd_str query;  /* after '?'; s NULL: no '?' */
	struct curlcmd_header headers[CURLCMD_MAX_HEADERS]; /* -H, -A, -e, -r */
	size_t nheaders;
	struct curlcmd_str cookie; /* -b; s NULL: none */
	struct curlcmd_str user;   /* -u; s NULL: none */
	size_t data_len;	   /* bytes of every --data* value joined */
	bool data;		   /* some --data*, --json, -F or -T given */
	bool json;		   /* --json: curl adds its content type */
	bool form;		   /* -F: a multipart/form-data body */
	size_t nignored;	   /* options accepted and ignored */
	char range_value[128];	   /* -r's header value, "bytes=..." */
};

/* Reads words[0..n) (words[0] is curl, or a path ending in /curl) as curl
 * reads its command line, into *out. The URL must be http:// or https://
 * (curl's default of http:// for a bare host is refused: a browser always
 * names the scheme). Returns CURLCMD_OK, or the first error with
 * where->word (when where is not NULL) the word at fault. */
enum curlcmd_err curlcmd_parse(const char *const *words, size_t n,
			       struct curlcmd_req *out,
			       struct curlcmd_where *where);

/* Splits a URL (http:// or https://, then an authority, then an optional
 * path and query, a #fragment dropped; or a path alone, starting with '/')
 * into *out's url, scheme, host, path and query.
 * Returns CURLCMD_OK or CURLCMD_E_URL. Used by curlcmd_parse() and for a URL
 * given in place of explain's PATH. */
enum curlcmd_err curlcmd_url(const char *url, size_t len,
			     struct curlcmd_req *out);

#endif
