/* fcgiwire.h - FastCGI 1.0 records on bytes: the checks a connection's
 * first records pass before libfcgi reads them.
 *
 * Pure: bytes in, verdict out; no I/O, no allocation, no globals. The
 * worker peeks at what a peer has sent and calls fcgiwire_check() on it;
 * only a sound, complete preamble is handed to libfcgi. What is refused
 * here is what libfcgi would misread or what corsgate does not serve, so
 * that the two never read the same bytes two ways.
 */
#ifndef CORSGATE_FCGIWIRE_H
#define CORSGATE_FCGIWIRE_H

#include <stdbool.h>
#include <stddef.h>

/* FastCGI 1.0 (the FastCGI Specification, section 8). */
#define FCGIWIRE_HDR_LEN 8
#define FCGIWIRE_V1 1
#define FCGIWIRE_BEGIN_REQUEST 1
#define FCGIWIRE_ABORT_REQUEST 2
#define FCGIWIRE_END_REQUEST 3
#define FCGIWIRE_PARAMS 4
#define FCGIWIRE_STDIN 5
#define FCGIWIRE_ROLE_RESPONDER 1
#define FCGIWIRE_ROLE_AUTHORIZER 2
#define FCGIWIRE_ROLE_FILTER 3

enum fcgiwire_result {
	FCGIWIRE_BAD = -1,  /* drop the connection; why says why */
	FCGIWIRE_MORE = 0,  /* sound so far; more bytes are needed */
	FCGIWIRE_READY = 1, /* a complete, sound preamble */
};

/* What a complete preamble holds, with FCGIWIRE_READY. */
struct fcgiwire_preamble {
	size_t len;	    /* bytes up to the end of the empty PARAMS record */
	unsigned id;	    /* the request id */
	bool keep_conn;	    /* BEGIN_REQUEST's FCGI_KEEP_CONN flag */
	bool nul;	    /* a param name or value holds a NUL byte: libfcgi
			       would cut it short there */
	size_t params_len;  /* bytes of names and values */
	size_t params_recs; /* PARAMS records, the empty one included */
};

/* Checks the records at the start of b[0..n): management records (id 0)
 * and records of other ids, which libfcgi answers or skips; then
 * BEGIN_REQUEST (8 bytes, no padding - libfcgi does not skip a
 * BEGIN_REQUEST's padding and would lose the params - role RESPONDER);
 * then PARAMS records up to the empty one, whose name-value pairs end at
 * a pair's end and whose names and values total at most params_max
 * bytes. Returns FCGIWIRE_READY (*out filled), FCGIWIRE_MORE, or
 * FCGIWIRE_BAD with a one-line reason in why[0..whysz). A preamble that
 * needs more than n bytes is FCGIWIRE_MORE however large it claims to be:
 * the caller bounds its window. b may be NULL when n is 0. */
enum fcgiwire_result fcgiwire_check(const unsigned char *b, size_t n,
				    size_t params_max,
				    struct fcgiwire_preamble *out, char *why,
				    size_t whysz);

/* The record type's name ("BEGIN_REQUEST", "an unknown type"): static. */
const char *fcgiwire_type_name(unsigned type);

#endif
