/* config.h - the policy file (INI, through inih) turned into a validated,
 * immutable policy set.
 *
 * Load, validate, freeze: config_load() either returns a complete config or
 * nothing. Every problem is logged (log.h) as "FILE:LINE: KEY: reason" at
 * error level; questionable but valid settings at warn level. A reload builds
 * a new config and swaps it whole; a config is never changed after loading,
 * so any number of threads may read one at once.
 */
#ifndef CORSGATE_CONFIG_H
#define CORSGATE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "hdrlist.h"
#include "log.h"
#include "origin.h"

/* Longest line accepted in a policy file (Debian's libinih reads 200-byte
 * lines; longer ones are refused, never split). */
#define CONFIG_MAX_LINE 196

/* One list-valued setting: the names as written, "*" apart (each item's s
 * is NUL-terminated and owned by the config), whether "*" was given, and the
 * list pre-joined as a header value ("GET, POST, PUT"; "*" first where
 * given; "" when empty). */
struct config_list {
	struct hdrlist_elem *items;
	size_t n;
	bool star;
	char *joined;
	size_t joined_len;
};

/* Where a policy's settings were written (for `corsgate explain`): the
 * policy file's line of each key, 0 where no section set it (the built-in
 * default applies). A [path] carries [cors]'s line for a key it inherits. */
struct config_lines {
	int section; /* the section header; 0: no [cors] in the file */
	int origin, methods, headers, expose, credentials, enabled;
};

/* The CORS policy for one path pattern (or the default from [cors]). */
struct cors_policy {
	const char *pattern; /* "[cors]" for the default, else the path */
	bool enabled;	     /* false: corsgate adds and answers nothing */
	struct origin_set *origins;
	struct config_list methods;
	struct config_list headers;
	struct config_list expose;
	bool credentials;
	long max_age;		/* seconds; -1: no Access-Control-Max-Age */
	char max_age_value[24]; /* max_age as a header value */
	int preflight_status;	/* 200 or 204 */
	int deny_status;	/* status of a refused preflight */
	bool block_disallowed;
	bool private_network;
	struct config_lines lines;
};

/* Where a script's stderr goes. */
enum config_stderr {
	CONFIG_STDERR_FASTCGI, /* the FastCGI stderr stream: the web server's
				  error log */
	CONFIG_STDERR_LOG,     /* corsgate's own log */
	CONFIG_STDERR_DISCARD,
};

/* One [gateway] cgi_root entry, resolved (realpath) when the policy loads:
 * a directory (any script under it) or one program (that file only,
 * however it is named: directly or through a symlink resolving to it). */
struct config_cgi_root {
	char *given; /* as written in the file */
	char *real;  /* the resolved path */
	bool dir;    /* true: a directory; false: one program */
	int line;    /* of the policy file */
};

/* [gateway]: process settings. Strings are NULL when not set, except those
 * with a default (noted). */
struct config_gateway {
	/* cgi_root entries in file order (duplicates once); NULL/0: not
	 * set, corsgate runs no script. */
	struct config_cgi_root *cgi_roots;
	size_t ncgi_roots;
	char *listen; /* "unix:/path", "tcp:127.0.0.1:9000", "tcp:[::1]:9000" */
	long workers; /* 0: not set */
	long threads; /* connections served at once per worker; 0: not set */
	char *user;
	char *group;
	char *socket_mode; /* octal, as written; NULL: not set */
	enum log_level log_level;
	bool log_level_set;
	/* Running scripts. */
	char **pass_env; /* names of corsgate's own environment variables
			    a script gets; default {"PATH"} */
	size_t npass_env;
	long long max_body; /* bytes; larger bodies get 413; default 10 MiB;
			       0: no limit */
	char *default_content_type; /* default "application/octet-stream" */
	enum config_stderr script_stderr; /* default FASTCGI */
	long script_timeout; /* seconds without output; default 60 */
	/* Seconds the whole run of a script may take, body in and answer
	 * out; default CONFIG_REQUEST_TIMEOUT; 0: no limit. */
	long request_timeout;
};

#define CONFIG_REQUEST_TIMEOUT 600

/* The header block a web server takes from a FastCGI backend by default:
 * nginx's fastcgi_buffer_size is one memory page (4 KiB on x86-64), and
 * a larger block is its 502 ("upstream sent too big header"). corsgate
 * itself sends a rewritten block of any size. config_load() warns when
 * the header lines a policy adds reach CONFIG_FIXED_HEADERS_WARN, leaving
 * less than half of it for the script's own. */
#define CONFIG_FIXED_HEADERS_MAX 4096
#define CONFIG_FIXED_HEADERS_WARN 2048

struct config {
	char *file; /* the path it was loaded from */
	struct config_gateway gateway;
	struct cors_policy def;	   /* [cors] */
	struct cors_policy *paths; /* [path ...] sections, in file order */
	size_t npaths;
};

/* Loads and validates file. Returns a config to free with config_free(), or
 * NULL after logging every error found (file:line: key: reason) - nothing is
 * half-loaded. A missing [cors] section means the default policy allows no
 * origin. */
struct config *config_load(const char *file);

/* Frees cfg and everything it owns. NULL is accepted. */
void config_free(struct config *cfg);

/* The policy for a request path (SCRIPT_NAME followed by PATH_INFO):
 * an exact [path X] first, else the longest [path X*] prefix, else [cors].
 * Never NULL. Pure. */
const struct cors_policy *config_lookup(const struct config *cfg,
					const char *path, size_t len);

/* The cgi_root entry that allows the script whose resolved path (realpath)
 * is real: a directory entry real lies under (the directory itself does
 * not count), or a program entry whose resolved path is real. The first
 * match in file order; NULL when none allows it. Pure. */
const struct config_cgi_root *
config_cgi_root_match(const struct config_gateway *g, const char *real);

#endif
