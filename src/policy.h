/* policy.h - the CORS policy types, and which policy a request path gets.
 *
 * Pure and below both the decision (cors.h), which reads a policy, and
 * the loader (config.h), which builds and freezes them: a policy never
 * changes once loaded, so any number of threads may read it at once.
 */
#ifndef CORSGATE_POLICY_H
#define CORSGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "hdrlist.h"
#include "origin.h"

/* One list-valued setting: the names as written, "*" apart (each item's s
 * is NUL-terminated and owned by the config), whether "*" was given, and the
 * list pre-joined as a header value ("GET, POST, PUT"; "*" first where
 * given; "" when empty). */
struct policy_list {
	struct hdrlist_elem *items;
	size_t n;
	bool star;
	char *joined;
	size_t joined_len;
};

/* Where a policy's settings were written (for `corsgate explain`): the
 * policy file's line of each key, 0 where no section set it (the built-in
 * default applies). A [path] carries [cors]'s line for a key it inherits. */
struct policy_lines {
	int section; /* the section header; 0: no [cors] in the file */
	int origin, methods, headers, expose, credentials, enabled, mode;
};

/* What corsgate does with its verdict. */
enum policy_mode {
	POLICY_ENFORCE,	    /* answer preflights, rewrite the script's headers */
	POLICY_REPORT_ONLY, /* change nothing: the script answers everything
			       untouched; the verdict is only compared with
			       the script's answer, logged and counted */
};

/* The CORS policy for one path pattern (or the default from [cors]). */
struct cors_policy {
	const char *pattern; /* "[cors]" for the default, else the path */
	bool enabled;	     /* false: corsgate adds and answers nothing */
	enum policy_mode mode; /* with enabled: enforce or report-only */
	struct origin_set *origins;
	struct policy_list methods;
	struct policy_list headers;
	struct policy_list expose;
	bool credentials;
	long max_age;		/* seconds; -1: no Access-Control-Max-Age */
	char max_age_value[24]; /* max_age as a header value */
	int preflight_status;	/* 200 or 204 */
	int deny_status;	/* status of a refused preflight */
	bool block_disallowed;
	bool private_network;
	struct policy_lines lines;
};

/* The policy for a request path (SCRIPT_NAME followed by PATH_INFO) among
 * a file's [path] sections paths[0..n), in file order: an exact [path X]
 * first, else the longest [path X*] prefix, else def ([cors]). Never
 * NULL. Pure. */
const struct cors_policy *policy_lookup(const struct cors_policy *def,
					const struct cors_policy *paths,
					size_t n, const char *path, size_t len);

#endif
