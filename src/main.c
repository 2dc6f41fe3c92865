/* main.c - the command line (serve, check, explain) and the wiring. The
 * only place that exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgimode.h"
#include "config.h"
#include "cors.h"
#include "curlcmd.h"
#include "explain.h"
#include "listen.h"
#include "master.h"
#include "log.h"
#include "request.h"

/* The explain command takes at most this many -H options, and -p. */
#define EXPLAIN_MAX_HEADERS 64
#define EXPLAIN_MAX_PARAMS 64

static const char usage_text[] =
    "usage: corsgate [serve] [-c FILE] [-s SOCKET] [-m MODE] [-w WORKERS]\n"
    "                [-u USER] [-g GROUP] [--allow-root]\n"
    "       corsgate check [-c FILE]\n"
    "       corsgate explain [-c FILE] [-X METHOD] [-H 'Name: value']... "
    "PATH\n"
    "       corsgate explain [-c FILE] [-X METHOD] [-H 'Name: value']... "
    "[--cgi]\n"
    "                -p NAME=value...\n"
    "       corsgate explain [-c FILE] [--origin ORIGIN] "
    "[--credentials include|omit]\n"
    "                [-X METHOD] [-H 'Name: value']... URL|PATH\n"
    "       corsgate explain [-c FILE] [--origin ORIGIN] "
    "[--credentials include|omit]\n"
    "                -- curl 'URL' ...   (DevTools: Copy as cURL (bash))\n"
    "       corsgate explain [-c FILE] [--origin ORIGIN] "
    "[--credentials include|omit] -\n"
    "       corsgate --help | --version\n";

static const char help_text[] =
    "\n"
    "A CORS gateway for FastCGI and CGI: answers preflights, adds\n"
    "Access-Control-* and Vary to what CGI scripts print.\n"
    "\n"
    "commands:\n"
    "  serve     run the FastCGI responder (the default)\n"
    "  check     validate the policy file; print 'FILE: ok' or every "
    "error\n"
    "  explain   print what corsgate would answer to a request, and why\n"
    "            (exit 0: allowed, 2: refused, 1: error); given a URL, a\n"
    "            pasted cURL (after --, or on stdin with -), --origin or\n"
    "            --credentials: the whole exchange as the browser runs it\n"
    "            (exit 0: the page can read the answer, 2: the browser\n"
    "            blocks it, 3: enabled = false, the script decides, 1:\n"
    "            error)\n"
    "\n"
    "options:\n"
    "  -c FILE       policy file (default $CORSGATE_CONFIG, "
    "else " CORSGATE_CONFIG ")\n"
    "  -s SOCKET     listen on unix:/PATH, tcp:HOST:PORT or "
    "tcp:[IPV6]:PORT\n"
    "                (default: [gateway] listen, systemd's socket, or fd "
    "0)\n"
    "  -m MODE       octal mode of a unix socket (default 0660)\n"
    "  -w WORKERS    worker processes (default: [gateway] workers, else "
    "CPUs)\n"
    "  -u USER       drop to USER after binding (default: [gateway] "
    "user)\n"
    "  -g GROUP      drop to GROUP after binding\n"
    "  --allow-root  serve as root (refused otherwise)\n"
    "  -X METHOD     explain: the request method (default GET)\n"
    "  -H 'N: V'     explain: a request header (repeatable)\n"
    "  -p NAME=V     explain: a param as the web server sends it, instead\n"
    "                of PATH (repeatable): -p SCRIPT_NAME=/git\n"
    "                -p PATH_INFO=/demo.git/info/refs\n"
    "  --cgi         explain: the -p params are CGI mode's (an Action\n"
    "                handler: the policy path is PATH_INFO)\n"
    "  --origin O    explain: the page's origin, when the request has no\n"
    "                Origin header\n"
    "  --credentials include|omit\n"
    "                explain: the fetch's credentials mode (default:\n"
    "                include with cookies or Authorization, else omit)\n"
    "  -h, --help    this text\n"
    "  -V, --version the version\n";

enum cmd { CMD_SERVE, CMD_CHECK, CMD_EXPLAIN };

struct args {
	enum cmd cmd;
	const char *config;
	const char *method;
	const char *headers[EXPLAIN_MAX_HEADERS];
	size_t nheaders;
	char *params[EXPLAIN_MAX_PARAMS + 2];
	size_t nparams;
	bool cgi;
	bool method_given;
	const char *path;
	/* the exchange: a URL, a paste (curl words or stdin), --origin,
	 * --credentials */
	bool exchange;
	char **curl; /* the words after "--" (curl ...), or NULL */
	size_t ncurl;
	bool paste_stdin;
	const char *origin;
	enum explain_creds creds;
	struct master_opts serve;
};

/* Prints "corsgate: MESSAGE" and the usage to stderr. Returns 1. */
static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "corsgate: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	return 1;
}

/* Parses argv into *a. Returns -1 to exit 0 (help/version printed),
 * 0 to go on, 1 on a usage error (printed). */
static int parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_ALLOW_ROOT = 256, OPT_CGI, OPT_ORIGIN, OPT_CREDS };
	static const struct option longopts[] = {
	    {"cgi", no_argument, NULL, OPT_CGI},
	    {"origin", required_argument, NULL, OPT_ORIGIN},
	    {"credentials", required_argument, NULL, OPT_CREDS},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"allow-root", no_argument, NULL, OPT_ALLOW_ROOT},
	    {NULL, 0, NULL, 0},
	};
	int first = 1;
	int c;
	char *end;

	a->cmd = CMD_SERVE;
	a->method = "GET";
	if (argc > 1 && argv[1][0] != '-') {
		if (strcmp(argv[1], "serve") == 0)
			a->cmd = CMD_SERVE;
		else if (strcmp(argv[1], "check") == 0)
			a->cmd = CMD_CHECK;
		else if (strcmp(argv[1], "explain") == 0)
			a->cmd = CMD_EXPLAIN;
		else
			return usage_error("unknown command '%s'", argv[1]);
		first = 2;
	}
	optind = first;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+c:s:m:w:u:g:X:H:p:hV", longopts,
				NULL)) != -1) {
		bool serve_only = (c > 0 && c < 256 && strchr("smwug", c)) ||
				  c == OPT_ALLOW_ROOT;
		if (serve_only && a->cmd != CMD_SERVE)
			return usage_error("option '%s%c' is for serve only",
					   c == OPT_ALLOW_ROOT ? "--allow-root"
							       : "-",
					   c == OPT_ALLOW_ROOT ? '\0' : c);
		if ((c == 'X' || c == 'H' || c == 'p') && a->cmd != CMD_EXPLAIN)
			return usage_error("option '-%c' is for explain only",
					   c);
		if ((c == OPT_CGI || c == OPT_ORIGIN || c == OPT_CREDS) &&
		    a->cmd != CMD_EXPLAIN)
			return usage_error("option '%s' is for explain only",
					   argv[optind - 1]);
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 's':
			a->serve.listen = optarg;
			break;
		case 'm': {
			mode_t m;
			a->serve.socket_mode = optarg;
			/* a bad mode is refused when the socket is made */
			if (config_parse_mode(optarg, &m) == 0 && (m & S_IWOTH))
				log_warn("-m %s: world-writable: any local "
					 "user can connect and send requests "
					 "as the web server (use 0660 with "
					 "the web server's group)",
					 optarg);
			break;
		}
		case 'w':
			a->serve.workers = strtol(optarg, &end, 10);
			if (*end || a->serve.workers < 1 ||
			    a->serve.workers > CONFIG_MAX_WORKERS)
				return usage_error("-w '%s': expected 1 to %d",
						   optarg, CONFIG_MAX_WORKERS);
			break;
		case 'u':
			a->serve.user = optarg;
			break;
		case 'g':
			a->serve.group = optarg;
			break;
		case OPT_ALLOW_ROOT:
			a->serve.allow_root = true;
			break;
		case 'X':
			a->method = optarg;
			a->method_given = true;
			break;
		case OPT_ORIGIN:
			a->origin = optarg;
			a->exchange = true;
			break;
		case OPT_CREDS:
			if (strcmp(optarg, "include") == 0)
				a->creds = EXPLAIN_CREDS_INCLUDE;
			else if (strcmp(optarg, "omit") == 0)
				a->creds = EXPLAIN_CREDS_OMIT;
			else
				return usage_error("--credentials '%s': "
						   "expected include or omit",
						   optarg);
			a->exchange = true;
			break;
		case 'H':
			if (a->nheaders == EXPLAIN_MAX_HEADERS)
				return usage_error("too many -H options");
			a->headers[a->nheaders++] = optarg;
			break;
		case 'p':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return usage_error(
				    "-p '%s': expected NAME=value", optarg);
			if (a->nparams == EXPLAIN_MAX_PARAMS)
				return usage_error("too many -p options");
			a->params[a->nparams++] = optarg;
			break;
		case OPT_CGI:
			a->cgi = true;
			break;
		case 'h':
			printf("%s%s", usage_text, help_text);
			return -1;
		case 'V':
			printf("corsgate %s\n", CORSGATE_VERSION);
			return -1;
		default:
			if (optopt && strchr("csmwugXHp", optopt))
				return usage_error("option '-%c' needs a value",
						   optopt);
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	bool dashdash = optind > first && strcmp(argv[optind - 1], "--") == 0;
	if (a->cmd == CMD_EXPLAIN && optind < argc &&
	    (dashdash || strcmp(argv[optind], "curl") == 0)) {
		/* a pasted cURL command line, split by the user's shell */
		if (a->nparams || a->nheaders || a->method_given || a->cgi)
			return usage_error("a pasted cURL carries its own "
					   "request: no -X, -H, -p or --cgi "
					   "with it");
		a->curl = argv + optind;
		a->ncurl = (size_t)(argc - optind);
		a->exchange = true;
	} else if (a->cmd == CMD_EXPLAIN && optind == argc - 1 &&
		   strcmp(argv[optind], "-") == 0) {
		if (a->nparams || a->nheaders || a->method_given || a->cgi)
			return usage_error("a pasted cURL carries its own "
					   "request: no -X, -H, -p or --cgi "
					   "with it");
		a->paste_stdin = true;
		a->exchange = true;
	} else if (a->cmd == CMD_EXPLAIN && a->exchange && a->nparams) {
		return usage_error("--origin and --credentials take a URL, "
				   "PATH or cURL paste, not -p params");
	} else if (a->cmd == CMD_EXPLAIN && optind == argc - 1 && !a->nparams &&
		   !a->cgi &&
		   (strncasecmp(argv[optind], "http://", 7) == 0 ||
		    strncasecmp(argv[optind], "https://", 8) == 0)) {
		a->path = argv[optind];
		a->exchange = true;
	} else if (a->cmd == CMD_EXPLAIN && a->nparams) {
		if (optind != argc)
			return usage_error("explain takes PATH or -p params, "
					   "not both");
	} else if (a->cmd == CMD_EXPLAIN && a->cgi) {
		return usage_error("--cgi needs -p params");
	} else if (a->cmd == CMD_EXPLAIN) {
		if (optind != argc - 1)
			return usage_error("explain takes one PATH");
		a->path = argv[optind];
		if (a->path[0] != '/')
			return usage_error("PATH '%s' must start with '/'",
					   a->path);
	} else if (optind != argc) {
		return usage_error("unexpected argument '%s'", argv[optind]);
	}
	if (!a->config)
		a->config = getenv("CORSGATE_CONFIG");
	if (!a->config || !a->config[0])
		a->config = CORSGATE_CONFIG;
	return 0;
}

static int cmd_check(const struct args *a)
{
	struct config *cfg = config_load(a->config);
	if (!cfg) {
		fprintf(stderr, "%s: failed\n", a->config);
		return 1;
	}
	printf("%s: ok\n", a->config);
	config_free(cfg);
	return 0;
}

/* A request header given to explain, as the web server would pass it:
 * repeated headers joined with ", ". */
struct explain_hdr {
	const char *name;
	char value[8192];
	size_t len;
	bool present;
};

static int explain_headers(const struct args *a, struct explain_hdr *h,
			   size_t nh)
{
	for (size_t i = 0; i < a->nheaders; i++) {
		const char *arg = a->headers[i];
		const char *colon = strchr(arg, ':');
		if (!colon || colon == arg) {
			fprintf(stderr,
				"corsgate: -H '%s': expected 'Name: value'\n",
				arg);
			return 1;
		}
		size_t nlen = (size_t)(colon - arg);
		const char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t vlen = strlen(v);
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		for (size_t k = 0; k < nh; k++) {
			if (strlen(h[k].name) != nlen ||
			    strncasecmp(h[k].name, arg, nlen) != 0)
				continue;
			size_t need = vlen + (h[k].present ? 2 : 0);
			if (h[k].len + need >= sizeof(h[k].value)) {
				fprintf(stderr, "corsgate: -H %s: too long\n",
					h[k].name);
				return 1;
			}
			if (h[k].present) {
				memcpy(h[k].value + h[k].len, ", ", 2);
				h[k].len += 2;
			}
			memcpy(h[k].value + h[k].len, v, vlen);
			h[k].len += vlen;
			h[k].present = true;
		}
	}
	return 0;
}

static struct cors_str hdr_str(const struct explain_hdr *h)
{
	struct cors_str s = {h->present ? h->value : NULL, h->len};
	return s;
}

static int cmd_explain(const struct args *a)
{
	static struct explain_hdr h[] = {
	    {.name = "Origin"},
	    {.name = "Access-Control-Request-Method"},
	    {.name = "Access-Control-Request-Headers"},
	    {.name = "Access-Control-Request-Private-Network"},
	};
	struct cors_request req;
	struct cors_verdict v;
	char reason[1024];
	struct request r;
	char *path = NULL;
	size_t path_len = 0;
	enum request_path_how made = REQUEST_PATH_JOINED;

	if (explain_headers(a, h, sizeof(h) / sizeof(h[0])))
		return 1;
	struct config *cfg = config_load(a->config);
	if (!cfg)
		return 1;
	if (a->nparams) {
		/* the params as a web server sends them: the policy path
		 * as the server computes it */
		char *params[EXPLAIN_MAX_PARAMS + 2];
		memcpy(params, a->params, a->nparams * sizeof(char *));
		params[a->nparams] = "REQUEST_METHOD=GET";
		params[a->nparams + 1] = NULL;
		if (request_init(&r, params, NULL) != REQUEST_OK) {
			fprintf(stderr, "corsgate: -p: %s\n",
				request_strerror(REQUEST_E_NOMEM));
			config_free(cfg);
			return 1;
		}
		path = request_policy_path(
		    &r, a->cgi ? REQUEST_FRONT_ACTION : REQUEST_FRONT_FASTCGI,
		    &path_len, &made);
		request_free(&r);
		if (!path) {
			fprintf(stderr, "corsgate: out of memory\n");
			config_free(cfg);
			return 1;
		}
	} else {
		path = strdup(a->path);
		path_len = path ? strlen(path) : 0;
		if (!path) {
			config_free(cfg);
			return 1;
		}
	}
	req.method.s = a->method;
	req.method.len = strlen(a->method);
	req.origin = hdr_str(&h[0]);
	req.acrm = hdr_str(&h[1]);
	req.acrh = hdr_str(&h[2]);
	req.acrpn = hdr_str(&h[3]);
	const struct cors_policy *pol = config_lookup(cfg, path, path_len);
	cors_decide(pol, &req, &v);

	if (v.status)
		printf("Status: %d %s\n", v.status, cors_status_text(v.status));
	for (size_t i = 0; i < v.nheaders; i++)
		printf("%s: %.*s\n", v.headers[i].name,
		       (int)v.headers[i].value_len, v.headers[i].value);
	cors_reason_format(&v, reason, sizeof(reason));
	const char *how =
	    v.kind != CORS_DISABLED && !cors_enforced(&v)
		? "mode = report-only: what enforce would do; the script "
		  "runs and answers untouched, and corsgate compares its "
		  "answer with this"
	    : v.status ? "answered by corsgate, the script does not run"
	    : v.kind == CORS_DISABLED ? "the script runs, its answer untouched"
	    : v.nheaders	      ? "the script runs, these headers are "
					"added to its answer"
				      : "the script runs";
	printf("\n%s (policy %s%s%s; %s)\n", reason,
	       pol == &cfg->def ? "" : "[path ", pol->pattern,
	       pol == &cfg->def ? "" : "]", how);
	if (a->nparams)
		printf("path %s (from the params: %s)\n", path,
		       request_path_how_str(made));
	else
		printf("path %s\n", path);
	int rc = cors_allowed(&v) ? 0 : 2;
	free(path);
	config_free(cfg);
	return rc;
}

/* Prints s[0..len) to stderr, quoted, escaped, at most 60 bytes. */
static void print_word(const char *s, size_t len)
{
	fputc('\'', stderr);
	for (size_t i = 0; i < len && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fprintf(stderr, "%s'", len > 60 ? "..." : "");
}

/* Reads the paste from stdin into a new buffer (*len bytes, NUL-terminated
 * past them). Returns NULL after printing why. */
static char *read_paste(size_t *len)
{
	char *buf = malloc(CURLCMD_MAX_INPUT + 2);
	size_t n = 0, k;

	if (!buf) {
		fprintf(stderr, "corsgate: out of memory\n");
		return NULL;
	}
	while (n <= CURLCMD_MAX_INPUT &&
	       (k = fread(buf + n, 1, CURLCMD_MAX_INPUT + 1 - n, stdin)) > 0)
		n += k;
	if (ferror(stdin)) {
		fprintf(stderr, "corsgate: reading the paste from stdin "
				"failed\n");
		free(buf);
		return NULL;
	}
	if (n > CURLCMD_MAX_INPUT) {
		fprintf(stderr, "corsgate: the paste on stdin: %s\n",
			curlcmd_strerror(CURLCMD_E_TOOLONG));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The whole exchange, as the browser runs it: a pasted cURL (argv after
 * "--", or stdin), or explain's own -X/-H with a URL or PATH. */
static int cmd_exchange(const struct args *a)
{
	static struct curlcmd_req req;
	static const char *words[CURLCMD_MAX_WORDS];
	struct explain_result res;
	struct curlcmd_where at;
	struct explain_opts o = {a->creds, a->origin, NULL};
	char *paste = NULL, *arena = NULL;
	const char *const *w;
	size_t n = 0;
	int rc = 1;
	enum curlcmd_err err;
	struct config *cfg = NULL;

	if (a->paste_stdin) {
		size_t len = 0;
		if (!(paste = read_paste(&len)))
			return 1;
		arena = malloc(len + 1);
		if (!arena) {
			fprintf(stderr, "corsgate: out of memory\n");
			goto out;
		}
		err = curlcmd_split(paste, len, arena, len + 1, words,
				    CURLCMD_MAX_WORDS, &n, &at);
		if (err) {
			fprintf(stderr,
				"corsgate: the paste, line %d, column %d: "
				"%s\n",
				at.line, at.col, curlcmd_strerror(err));
			goto out;
		}
		w = words;
		o.source = "the pasted cURL";
	} else if (a->curl) {
		w = (const char *const *)a->curl;
		n = a->ncurl;
		o.source = "the cURL command";
	} else {
		/* explain's own options, as curl words */
		w = words;
		words[n++] = "curl";
		words[n++] = a->path;
		if (a->method_given) {
			words[n++] = "-X";
			words[n++] = a->method;
		}
		for (size_t i = 0; i < a->nheaders; i++) {
			words[n++] = "-H";
			words[n++] = a->headers[i];
		}
	}
	err = curlcmd_parse(w, n, &req, &at);
	if (err) {
		fprintf(stderr,
			"corsgate: %s: ", o.source ? o.source : "the request");
		if (at.word) {
			print_word(at.word, at.word_len);
			fprintf(stderr, ": ");
		}
		fprintf(stderr, "%s\n", curlcmd_strerror(err));
		goto out;
	}
	cfg = config_load(a->config);
	if (!cfg)
		goto out;
	rc = (int)explain_run(cfg, &req, &o, stdout, &res);
	if (rc == EXPLAIN_ERROR)
		fprintf(stderr, "corsgate: %s\n", res.error);
out:
	config_free(cfg);
	free(arena);
	free(paste);
	return rc;
}

/* Opens /dev/null on whichever of fds 0-2 is closed, as slowcgi does: the
 * logger writes to fd 2, and nothing else may land there. (Standard
 * streams: inherited by design, so without O_CLOEXEC.) Returns 0, or -1
 * when one could not be opened. */
static int std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n =
		    open("/dev/null", O_RDWR); // NOLINT(android-cloexec-open)
		if (n != fd) {
			if (n >= 0)
				close(n);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	memset(&a, 0, sizeof(a));
	if (std_fds() < 0)
		exit(1);
	/* Run by a web server as a CGI program (shared hosting): one
	 * request. Its arguments, if any, are a query string's words (RFC 3875
	 * 4.4), never a command line: /x.sh?check must not run `check`. */
	if (cgimode_detect())
		exit(cgimode_serve(NULL));
	int rc = parse_args(argc, argv, &a);
	if (rc)
		exit(rc < 0 ? 0 : 1);
	switch (a.cmd) {
	case CMD_CHECK:
		log_set_style(LOG_STYLE_PLAIN);
		exit(cmd_check(&a));
	case CMD_EXPLAIN:
		log_set_style(LOG_STYLE_PLAIN);
		exit(a.exchange ? cmd_exchange(&a) : cmd_explain(&a));
	case CMD_SERVE:
		break;
	}
	a.serve.config_file = a.config;
	exit(master_serve(&a.serve));
}
