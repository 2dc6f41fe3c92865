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
#include <sys/types.h>

#include "log.h"
#include "policy.h"

/* Longest line accepted in a policy file (Debian's libinih reads 200-byte
 * lines; longer ones are refused, never split). */
#define CONFIG_MAX_LINE 196

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

/* What running a script needs, from [gateway]: all cgi_run() is given. */
struct config_script {
	/* cgi_root entries in file order (duplicates once); NULL/0: not
	 * set, corsgate runs no script. */
	struct config_cgi_root *cgi_roots;
	size_t ncgi_roots;
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

/* [gateway]: process settings. Strings are NULL when not set, except those
 * with a default (noted). */
struct config_gateway {
	char *listen; /* "unix:/path", "tcp:127.0.0.1:9000", "tcp:[::1]:9000" */
	long workers; /* 0: not set */
	long threads; /* connections served at once per worker; 0: not set */
	char *user;
	char *group;
	char *socket_mode; /* octal, as written; NULL: not set */
	enum log_level log_level;
	bool log_level_set;
	struct config_script script; /* running scripts */
	/* The status page's policy path (matched as a [path] is, exactly);
	 * NULL: no status page. */
	char *status_path;
};

#define CONFIG_REQUEST_TIMEOUT 600

/* The most worker processes (workers = , -w) and connection threads per
 * worker (threads = ) the server runs. */
#define CONFIG_MAX_WORKERS 256
#define CONFIG_MAX_THREADS 1024

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

/* A listen spec, parsed: a unix socket's path, or a TCP host and port. */
struct config_listen {
	const char *path; /* "unix:/PATH": PATH (in the spec); else NULL */
	char host[256];	  /* "tcp:HOST:PORT", "tcp:[V6]:PORT": HOST, no [] */
	char port[6];	  /* 1 to 65535, digits */
};

/* Parses "unix:/abs/path", "tcp:HOST:PORT" or "tcp:[V6]:PORT" (an IPv6
 * address needs its brackets) into *out: the one reading of listen = and
 * -s. Returns 0, or -1 when spec is not one. */
int config_parse_listen(const char *spec, struct config_listen *out);

/* Parses an octal file mode ("0660", "660"; at most 0777) into *out: the
 * one reading of socket_mode and -m. Returns 0, or -1 when s is not one. */
int config_parse_mode(const char *s, mode_t *out);

/* Frees cfg and everything it owns. NULL is accepted. */
void config_free(struct config *cfg);

/* policy_lookup() over cfg's sections: the policy for a request path.
 * Never NULL. Pure. */
const struct cors_policy *config_lookup(const struct config *cfg,
					const char *path, size_t len);

/* The cgi_root entry that allows the script whose resolved path (realpath)
 * is real: a directory entry real lies under (the directory itself does
 * not count), or a program entry whose resolved path is real. The first
 * match in file order; NULL when none allows it. Pure. */
const struct config_cgi_root *
config_cgi_root_match(const struct config_script *g, const char *real);

#endif
