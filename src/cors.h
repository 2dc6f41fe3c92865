/* cors.h - the CORS decision: request facts + policy -> verdict.
 *
 * cors_decide() is a pure function: no I/O, no allocation, no globals. The
 * verdict's strings point into the request and the policy, so it is valid as
 * long as both are. `corsgate explain` and the server call the same
 * function, so explain prints exactly what the server sends.
 */
#ifndef CORSGATE_CORS_H
#define CORSGATE_CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/* A request header's value as a view; s == NULL means the header is absent
 * (an empty value is present and empty). */
struct cors_str {
	const char *s;
	size_t len;
};

/* The request facts the decision needs. */
struct cors_request {
	struct cors_str method; /* REQUEST_METHOD, never absent */
	struct cors_str origin; /* HTTP_ORIGIN */
	struct cors_str acrm;	/* HTTP_ACCESS_CONTROL_REQUEST_METHOD */
	struct cors_str acrh;	/* HTTP_ACCESS_CONTROL_REQUEST_HEADERS */
	struct cors_str acrpn; /* HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK */
};

enum cors_kind {
	CORS_NOT_CORS,	   /* no Origin: not a CORS request; the script runs */
	CORS_PREFLIGHT_OK, /* answered by the gateway with `status` */
	CORS_PREFLIGHT_REFUSED, /* answered by the gateway with `status` */
	CORS_ACTUAL_OK,		/* the script runs; headers are added */
	CORS_ACTUAL_REFUSED,	/* the script runs (or 403 when blocked) */
	CORS_DISABLED, /* enabled = false: the script runs, untouched */
};

/* Why: one value per outcome, detail in cors_verdict.detail. */
enum cors_reason {
	CORS_R_NO_ORIGIN,	 /* no Origin header */
	CORS_R_DISABLED,	 /* detail: the path pattern */
	CORS_R_ORIGIN_MATCH,	 /* detail: the matching pattern */
	CORS_R_ORIGIN_INVALID,	 /* detail: the Origin value; origin_err set */
	CORS_R_ORIGIN_DENIED,	 /* detail: the Origin value */
	CORS_R_METHOD_INVALID,	 /* detail: the requested method */
	CORS_R_METHOD_FORBIDDEN, /* detail: CONNECT, TRACE or TRACK */
	CORS_R_METHOD_DENIED,	 /* detail: the requested method */
	CORS_R_HEADERS_INVALID,	 /* detail: the offending element, or empty */
	CORS_R_HEADER_DENIED,	 /* detail: the header name */
	CORS_R_AUTHORIZATION, /* Authorization asked for, only "*" allows it */
	CORS_R_PNA_DENIED,    /* private network access asked, not allowed */
};

#define CORS_MAX_HEADERS 8

struct cors_header {
	const char *name;  /* static string */
	size_t name_len;   /* strlen(name) */
	const char *value; /* view into the request or the policy */
	size_t value_len;
};

struct cors_verdict {
	enum cors_kind kind;
	/* 0: the script decides the status; else the gateway answers with
	 * this status and the script never runs. */
	int status;
	enum cors_reason reason;
	const char *detail; /* view; see enum cors_reason */
	size_t detail_len;
	enum origin_err origin_err;   /* with CORS_R_ORIGIN_INVALID */
	enum hdrlist_err hdrlist_err; /* with CORS_R_HEADERS_INVALID */
	const struct cors_policy *policy;
	struct cors_header headers[CORS_MAX_HEADERS]; /* to send, in order */
	size_t nheaders;
};

/* Decides what the gateway answers (or adds) for req under policy, into *v.
 * A preflight is OPTIONS with Origin and Access-Control-Request-Method;
 * any other request with Origin is an actual CORS request.
 * Never fails. Pure: no I/O, no allocation, no globals. */
void cors_decide(const struct cors_policy *policy,
		 const struct cors_request *req, struct cors_verdict *v);

/* Whether the verdict lets the browser go on (NOT_CORS and DISABLED count
 * as allowed: nothing was refused). */
bool cors_allowed(const struct cors_verdict *v);

/* Whether corsgate acts on the verdict: false for CORS_DISABLED and for a
 * policy in report-only mode, where the script's answer passes untouched
 * (the verdict is then only compared with it, see report.h). */
bool cors_enforced(const struct cors_verdict *v);

/* Formats the one-line reason ("allowed: origin matches PATTERN",
 * "refused: method PATCH not in allow_methods")
 * into buf[0..size), NUL-terminated, truncated if needed.
 * Returns the length it wanted (like snprintf). */
int cors_reason_format(const struct cors_verdict *v, char *buf, size_t size);

/* The reason phrase for an HTTP status ("No Content"), or "" if unknown. */
const char *cors_status_text(int status);

#endif
