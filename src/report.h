/* report.h - report-only mode: what the policy decided against what the
 * script itself answered.
 *
 * In report-only, corsgate changes nothing: the script answers every
 * request, preflights included, and its headers pass untouched. For each
 * CORS request (preflight or actual) corsgate still decides (cors_decide)
 * and compares the verdict with the script's header block, judged as a
 * browser judges it (Fetch's CORS check and, for a preflight, its method
 * and header checks).
 *
 * Pure: no I/O, no allocation, no globals.
 */
#ifndef CORSGATE_REPORT_H
#define CORSGATE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "cgiresp.h"
#include "cors.h"

struct report_result {
	bool preflight;	    /* the request was a preflight */
	bool policy_allows; /* cors_allowed(v) */
	bool script_allows; /* a browser would go on with its answer */
	/* Why the script's answer lets the browser down: a static phrase,
	 * and a view of the value at fault (may be empty); NULL why when it
	 * allows. */
	const char *why;
	const char *what;
	size_t what_len;
};

/* Compares v (a verdict of kind PREFLIGHT_* or ACTUAL_*, for req) with the
 * script's parsed header block resp, into *out. credentialed: the request
 * carries credentials (Cookie or Authorization; a preflight never does),
 * so that "*" does not pass and Access-Control-Allow-Credentials: true is
 * needed. The script allows when it gives exactly one
 * Access-Control-Allow-Origin that is the request's Origin byte for byte,
 * or "*" (not credentialed); and, for a preflight, when its status is
 * 2xx, Access-Control-Allow-Methods holds the requested method (or "*",
 * not credentialed; GET, HEAD and POST need nothing) and
 * Access-Control-Allow-Headers every requested header (names
 * case-insensitive; "*" when not credentialed, never for Authorization).
 * out's views point into resp and req. Returns whether the two disagree. */
bool report_compare(const struct cgiresp *resp, const struct cors_verdict *v,
		    const struct cors_request *req, bool credentialed,
		    struct report_result *out);

/* Formats the log line for res into buf[0..size), NUL-terminated,
 * truncated if needed:
 *   report-only: PUT /x origin https://a.example: policy refuses (method
 *   PUT not in allow_methods), the script allowed it
 * (a preflight reads "preflight for PUT /x ..."), or, the other way,
 *   ...: policy allows (origin matches https://a.example), the script
 *   refused it (no Access-Control-Allow-Origin)
 * and for an agreement "... : policy and script both allow (...)".
 * path: the policy path. Returns the length it wanted (like snprintf). */
int report_format(const struct report_result *res,
		  const struct cors_verdict *v, const struct cors_request *req,
		  const char *path, size_t path_len, char *buf, size_t size);

#endif
