/* explain.h - one fetch() as the browser runs it against corsgate, step by
 * step (Fetch standard, "HTTP fetch" / "CORS-preflight fetch" / "CORS
 * check"): whether the browser preflights, the preflight it sends,
 * corsgate's answer to it, the browser's check of that answer, the actual
 * request, what corsgate adds to the script's answer, the browser's check of
 * that, and the verdict in the words of Chromium's console.
 *
 * corsgate's side is never re-implemented here: every answer comes from
 * config_lookup() and cors_decide(), the functions the server calls. This
 * module plays the browser's side only.
 */
#ifndef CORSGATE_EXPLAIN_H
#define CORSGATE_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "cors.h"
#include "curlcmd.h"

/* The fetch's credentials mode. */
enum explain_creds {
	EXPLAIN_CREDS_AUTO,    /* include with cookies or Authorization, else
				  omit */
	EXPLAIN_CREDS_INCLUDE, /* credentials: 'include' */
	EXPLAIN_CREDS_OMIT,    /* 'omit', or 'same-origin' cross-origin */
};

/* What explain can tell; the values are the command's exit codes. */
enum explain_outcome {
	EXPLAIN_READABLE = 0, /* the page can read the answer */
	EXPLAIN_ERROR = 1,    /* the request cannot be explained */
	EXPLAIN_BLOCKED = 2,  /* the browser blocks it */
	EXPLAIN_DEPENDS = 3,  /* enabled = false: the script's own headers
				 decide */
};

/* Why the browser blocks (Chromium's CorsError, roughly). */
enum explain_block {
	EXPLAIN_B_NONE = 0,
	EXPLAIN_B_FETCH_METHOD,	 /* fetch() refuses CONNECT, TRACE, TRACK */
	EXPLAIN_B_NO_ACAO,	 /* no Access-Control-Allow-Origin */
	EXPLAIN_B_MULTIPLE_ACAO, /* more than one value */
	EXPLAIN_B_ACAO_MISMATCH, /* not the request's origin */
	EXPLAIN_B_WILDCARD,	 /* '*' under credentials 'include' */
	EXPLAIN_B_ACAC,		 /* -Credentials not 'true' under include */
	EXPLAIN_B_STATUS,	 /* preflight answer not 200-299 */
	EXPLAIN_B_METHOD,	 /* method not in -Allow-Methods */
	EXPLAIN_B_HEADER,	 /* header not in -Allow-Headers */
};

/* Where the browser stopped. */
enum explain_stage {
	EXPLAIN_AT_NONE,      /* nowhere: readable, or not decided */
	EXPLAIN_AT_FETCH,     /* fetch() threw before sending anything */
	EXPLAIN_AT_PREFLIGHT, /* the preflight's answer failed the check */
	EXPLAIN_AT_ACTUAL,    /* the actual answer failed the check */
};

/* What the caller asks, beyond the request itself. */
struct explain_opts {
	enum explain_creds creds;
	const char *origin; /* --origin: the page's origin, or NULL */
	const char *source; /* how the request was given, for the first
			       line ("the pasted cURL"); NULL: omitted */
};

/* The result, for the command's exit code and for tests. Strings are
 * NUL-terminated copies, truncated to fit. */
struct explain_result {
	enum explain_outcome outcome;
	enum explain_stage stage;
	enum explain_block block;
	bool cors;	    /* a cross-origin request (else CORS does not
			       apply) */
	bool preflight;	    /* the browser sends a preflight */
	bool include;	    /* credentials mode include */
	bool creds_assumed; /* include/omit was inferred, not given */
	char method[64];    /* as fetch() sends it (normalized) */
	char origin[256];
	char acrh[1024];    /* Access-Control-Request-Headers, "" when none */
	char error[512];    /* EXPLAIN_ERROR: why */
	char console[2048]; /* the browser's message after "blocked by CORS
			       policy: " ("" when readable) */
	char decided[512];  /* "file:line: key ..." */
	char fix[1024];	    /* what would allow it ("" when readable) */
};

/* Explains req (from curlcmd_parse()) under cfg, printing every step to out
 * (NULL: print nothing), into *res. Returns res->outcome. Errors
 * (EXPLAIN_ERROR) are in res->error, never printed. Not reentrant: it
 * keeps its working state (the request's headers, the URL) in static
 * storage, one run at a time per process, as the command line needs. */
enum explain_outcome explain_run(const struct config *cfg,
				 const struct curlcmd_req *req,
				 const struct explain_opts *opts, FILE *out,
				 struct explain_result *res);

/* Whether name[0..nlen) with value[0..vlen) is a CORS-safelisted
 * request-header (Fetch): Accept, Accept-Language, Content-Language,
 * Content-Type, Range with their value rules and the 128-byte limit. When
 * not, *why (if not NULL) receives a static phrase saying why. Pure. */
bool explain_safelisted_header(const char *name, size_t nlen, const char *value,
			       size_t vlen, const char **why);

/* Chromium's console text for block b (what follows "has been blocked by
 * CORS policy: "), with detail the method, header name or header value it
 * names, into buf[0..size). Returns the length it wanted (snprintf). */
int explain_chromium_text(enum explain_block b, enum explain_stage at,
			  const char *detail, char *buf, size_t size);

#endif
