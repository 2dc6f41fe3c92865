/* cgiresp.h - a CGI script's response header block (RFC 3875 section 6):
 * parsing it, and rewriting it with the gateway's CORS headers.
 *
 * Pure: views into the caller's buffer, no allocation, no I/O. The parser
 * works like picohttpparser's phr_parse_headers: call it again with more
 * bytes until it returns the length of the block.
 */
#ifndef CORSGATE_CGIRESP_H
#define CORSGATE_CGIRESP_H

#include <stdbool.h>
#include <stddef.h>

#include "cors.h"

/* A header block longer than this (blank line included) is refused. */
#define CGIRESP_MAX_BLOCK ((size_t)64 * 1024)
/* At most this many header lines. */
#define CGIRESP_MAX_HEADERS 128

enum cgiresp_err {
	CGIRESP_OK = 0,
	CGIRESP_E_TOOBIG,     /* over CGIRESP_MAX_BLOCK bytes or
				 CGIRESP_MAX_HEADERS lines */
	CGIRESP_E_NOCOLON,    /* a line without ':' */
	CGIRESP_E_NAME,	      /* an empty or invalid header name (e.g. a
				 space before the colon) */
	CGIRESP_E_FOLDED,     /* a line starting with SP or HTAB */
	CGIRESP_E_BARECR,     /* a CR not followed by LF */
	CGIRESP_E_NUL,	      /* a NUL or other control byte in a value */
	CGIRESP_E_STATUS,     /* Status not three digits 100-599 [SP reason],
				 or given twice */
	CGIRESP_E_NPH,	      /* an nph- script's first line is not
				 "HTTP/1.x NNN reason" */
	CGIRESP_E_NPH_STATUS, /* an nph- script's Status header gives
				 another code than its status line */
	CGIRESP_E_EOF,	      /* the script ended before the blank line */
	CGIRESP_E_EMPTY,      /* no header at all (a script must print at
				 least Content-Type, Location or Status) */
};

/* A static English phrase. Never NULL. */
const char *cgiresp_strerror(enum cgiresp_err err);

struct cgiresp_header {
	const char *name;
	size_t name_len;
	const char *value; /* OWS trimmed */
	size_t value_len;
};

struct cgiresp {
	int status;	    /* Status:, the nph status line, 302 for a
			       Location without Status, else 200 */
	const char *reason; /* the script's reason phrase, or NULL */
	size_t reason_len;
	bool has_content_type;
	bool has_location;
	/* Every header but Status, in order. */
	struct cgiresp_header headers[CGIRESP_MAX_HEADERS];
	size_t nheaders;
	/* After a -1 from cgiresp_parse: where the line at fault starts. */
	size_t bad_off;
};

/* Parses the header block at buf[0..len). nph: the script's name starts
 * with "nph-", so its first line is an HTTP status line; a Status header
 * may follow it (CGI.pm prints both) when it gives the same code, and is
 * then dropped (the status line's reason is kept); another code is
 * CGIRESP_E_NPH_STATUS.
 * Returns the number of bytes the block takes (the blank line included;
 * the body starts there) and fills *out; -2 when the block is not complete
 * yet (call again with more bytes; at the end of the script's output,
 * that is CGIRESP_E_EOF); -1 when it is malformed, with *err set.
 * *out's strings are views into buf. */
long cgiresp_parse(const char *buf, size_t len, bool nph, struct cgiresp *out,
		   enum cgiresp_err *err);

/* What to do to the script's headers. */
struct cgiresp_rewrite {
	/* Remove the script's Access-Control-* headers, add `add`, and merge
	 * the Vary in `add` into the script's own (one Vary header). false:
	 * the block passes as the script wrote it (Status normalized). */
	bool apply_cors;
	const struct cors_header *add;
	size_t nadd;
	/* Added when the script gave no Content-Type and a body follows;
	 * NULL: never. */
	const char *default_content_type;
	bool has_body;
};

/* Writes the block to send - "Status: NNN Reason\r\n", the headers, a
 * blank line - into out[0..outsz). Returns its length, or -1 when out is
 * too small: cgiresp_write_size() is the size it takes. The script's
 * block is at most CGIRESP_MAX_BLOCK, but the headers added (a long
 * expose_headers list, an echoed origin) have no fixed bound, so
 * CGIRESP_MAX_BLOCK + 4096 is not always enough. Sets *added_default when
 * the default Content-Type was added (for the caller's warning). */
long cgiresp_write(const struct cgiresp *r, const struct cgiresp_rewrite *rw,
		   char *out, size_t outsz, bool *added_default);

/* The exact length cgiresp_write() gives for r and rw (what out must
 * hold). Pure. */
size_t cgiresp_write_size(const struct cgiresp *r,
			  const struct cgiresp_rewrite *rw);

/* Bytes of a script's output quoted in a log line at most. */
#define CGIRESP_QUOTE_MAX 120

/* A one-line description of bad output err for the log, into
 * out[0..size) (always NUL-terminated): which line is at fault (the one
 * starting at buf[at], e.g. struct cgiresp's bad_off; 0 for the whole
 * output), quoted - control bytes, bytes over 0x7e, '"' and '\\' escaped
 * C-style, cut to CGIRESP_QUOTE_MAX bytes of the output with "..." - and
 * what was expected there, e.g.
 *     line 1: "<b>Security Alert!</b> The PHP CGI ..."; expected ...
 * Returns out. Pure. */
const char *cgiresp_describe(const char *buf, size_t len, size_t at,
			     enum cgiresp_err err, bool nph, char *out,
			     size_t size);

#endif
