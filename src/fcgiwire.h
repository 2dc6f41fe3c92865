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
#define FCGIWIRE_STDOUT 6
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
	size_t len;	   /* bytes up to the end of the empty PARAMS record */
	unsigned id;	   /* the request id */
	bool keep_conn;	   /* BEGIN_REQUEST's FCGI_KEEP_CONN flag */
	size_t params_len; /* bytes of names and values */
	size_t params_pairs; /* name-value pairs */
	bool plain;	     /* nothing but BEGIN_REQUEST and its PARAMS: no
				management records, no other request ids */
	size_t params_recs;  /* PARAMS records, the empty one included */
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
 * the caller bounds its window. b may be NULL when n is 0.
 * A NUL byte inside a name or value is not looked for here: libfcgi's
 * "NAME=value" strings end at it, so the caller compares params_len and
 * params_pairs with the strings libfcgi hands over, where a NUL shows as
 * missing bytes. */
enum fcgiwire_result fcgiwire_check(const unsigned char *b, size_t n,
				    size_t params_max,
				    struct fcgiwire_preamble *out, char *why,
				    size_t whysz);

/* The bytes fcgiwire_params() needs for pre's params. */
size_t fcgiwire_params_size(const struct fcgiwire_preamble *pre);

/* Copies the params of the preamble at b (fcgiwire_check() said
 * FCGIWIRE_READY with *pre) into out, which holds fcgiwire_params_size(pre)
 * bytes: pre->params_pairs strings "NAME=value", each NUL-terminated, in
 * the order sent, env[i] pointing at the i-th (env holds params_pairs
 * entries). A NUL byte inside a name or value is copied as it is, so that
 * strlen() of that string comes out short, as with libfcgi's. */
void fcgiwire_params(const unsigned char *b,
		     const struct fcgiwire_preamble *pre, char *out,
		     char **env);

/* Whether b[0..n) starts with request id's empty STDIN record (no
 * content, no padding): the end of a request without a body. */
bool fcgiwire_is_stdin_end(const unsigned char *b, size_t n, unsigned id);

/* A STDOUT record's header for len (<= 65535) bytes of request id, into
 * out[0..FCGIWIRE_HDR_LEN). */
void fcgiwire_stdout_header(unsigned id, size_t len, unsigned char *out);

/* The records that end request id's answer, into out[0..24): the empty
 * STDOUT record and END_REQUEST (application status 0,
 * FCGI_REQUEST_COMPLETE). */
void fcgiwire_end(unsigned id, unsigned char *out);

/* The record type's name ("BEGIN_REQUEST", "an unknown type"): static. */
const char *fcgiwire_type_name(unsigned type);

#endif
