/* config.c - the policy file: INI through inih -> validated, immutable
 * policy set. See config.h.
 *
 * Debian's libinih reads lines of at most 200 bytes and does not tell the
 * handler its line number, so the file is fed through our own reader
 * (ini_parse_stream): it counts lines, refuses long lines whole instead of
 * letting inih split them, tracks [sections] and catches syntax errors, so
 * every message carries its line. inih still splits "key = value", strips
 * comments, and hands an indented continuation line to the handler as
 * another value of the same key (so list keys add it, single-valued keys
 * report it as set twice).
 *
 * Parsing fills one `struct build` per section; config_load() then merges
 * each [path] over [cors], checks the combinations and freezes the result.
 * A [path] that inherits a list from [cors] shares its storage; config_free
 * frees shared storage once (pointer comparison with the default).
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "hdrlist.h"
#include "log.h"
#include "origin.h"

enum key {
	K_ORIGIN,
	K_METHODS,
	K_HEADERS,
	K_EXPOSE,
	K_CREDENTIALS,
	K_MAX_AGE,
	K_PREFLIGHT_STATUS,
	K_DENY_STATUS,
	K_BLOCK,
	K_PNA,
	K_ENABLED,
	K_MODE,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "allow_origin",	     "allow_methods",	  "allow_headers",
    "expose_headers",	     "allow_credentials", "max_age",
    "preflight_status",	     "deny_status",	  "block_disallowed",
    "allow_private_network", "enabled",		  "mode",
};

enum gkey {
	G_CGI_ROOT,
	G_LISTEN,
	G_WORKERS,
	G_THREADS,
	G_USER,
	G_GROUP,
	G_SOCKET_MODE,
	G_LOG_LEVEL,
	G_PASS_ENV,
	G_MAX_BODY,
	G_DEFAULT_CT,
	G_SCRIPT_STDERR,
	G_SCRIPT_TIMEOUT,
	G_REQUEST_TIMEOUT,
	G_STATUS_PATH,
	G_COUNT
};

static const char *const gkey_names[G_COUNT] = {
    "cgi_root",
    "listen",
    "workers",
    "threads",
    "user",
    "group",
    "socket_mode",
    "log_level",
    "pass_env",
    "max_body",
    "default_content_type",
    "script_stderr",
    "script_timeout",
    "request_timeout",
    "status_path",
};

/* A list being collected: grows while parsing. */
struct vec {
	struct hdrlist_elem *items;
	size_t n, cap;
	bool star;
	int star_line;
};

/* One [cors] or [path X] section while parsing. */
struct build {
	char *pattern;	  /* NULL for [cors] */
	int line;	  /* of the section header */
	int set[K_COUNT]; /* line where the key was set; 0: not set */
	struct origin_set *origins;
	int any_line, null_line, http_line;
	char http_origin[80]; /* the first plain-http origin, for the warning */
	struct vec methods, headers, expose;
	bool credentials, block, pna, enabled;
	enum policy_mode mode;
	long max_age;
	int preflight_status, deny_status;
};

enum section { SEC_NONE, SEC_GATEWAY, SEC_CORS, SEC_PATH, SEC_BAD };

struct parser {
	const char *file;
	FILE *fp;
	int lineno;
	int errors;
	int syntax_error_line; /* a line our reader already reported */
	enum section sec;
	struct build *cur;
	int gset[G_COUNT];
	int gateway_line, cors_line;
	struct config_gateway gw;
	struct build def;
	struct build **paths;
	size_t npaths, cap;
};

static void perr(struct parser *p, int line, const char *key, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

static void perr(struct parser *p, int line, const char *key, const char *fmt,
		 ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%d: %s: %s", p->file, line, key, msg);
	p->errors++;
}

static void pwarn(struct parser *p, int line, const char *key, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));

static void pwarn(struct parser *p, int line, const char *key, const char *fmt,
		  ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s:%d: %s: %s", p->file, line, key, msg);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

static char *trim(char *s)
{
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void build_init(struct build *b)
{
	memset(b, 0, sizeof(*b));
	b->enabled = true;
	b->max_age = -1;
	b->preflight_status = 204;
	b->deny_status = 403;
}

static void vec_free(struct vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free((char *)(uintptr_t)v->items[i].s);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static void build_free(struct build *b)
{
	free(b->pattern);
	origin_set_free(b->origins);
	vec_free(&b->methods);
	vec_free(&b->headers);
	vec_free(&b->expose);
}

/* ---- the line reader ------------------------------------------------- */

/* A path pattern: "/..." with at most one '*', at the end. */
static bool valid_path_pattern(const char *s)
{
	if (s[0] != '/')
		return false;
	for (const char *c = s; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (u <= 0x20 || u == 0x7f)
			return false;
		if (*c == '*' && c[1] != '\0')
			return false;
	}
	return true;
}

static void enter_section(struct parser *p, char *name)
{
	name = trim(name);
	p->cur = NULL;
	if (strcmp(name, "gateway") == 0) {
		p->sec = SEC_GATEWAY;
		if (p->gateway_line) {
			perr(p, p->lineno, "[gateway]",
			     "section repeated (first at line %d)",
			     p->gateway_line);
			p->sec = SEC_BAD;
		}
		p->gateway_line = p->lineno;
		return;
	}
	if (strcmp(name, "cors") == 0) {
		p->sec = SEC_CORS;
		p->cur = &p->def;
		if (p->cors_line) {
			perr(p, p->lineno, "[cors]",
			     "section repeated (first at line %d)",
			     p->cors_line);
			p->sec = SEC_BAD;
			p->cur = NULL;
		}
		p->cors_line = p->lineno;
		return;
	}
	if (strncmp(name, "path", 4) == 0 && is_space(name[4])) {
		char *pat = trim(name + 4);
		p->sec = SEC_BAD;
		if (!valid_path_pattern(pat)) {
			perr(p, p->lineno, "[path]",
			     "'%s' is not a path pattern (an absolute path, "
			     "or a prefix ending in '*')",
			     pat);
			return;
		}
		for (size_t i = 0; i < p->npaths; i++) {
			if (strcmp(p->paths[i]->pattern, pat) == 0) {
				perr(p, p->lineno, "[path]",
				     "'%s' repeated (first at line %d)", pat,
				     p->paths[i]->line);
				return;
			}
		}
		if (p->npaths == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 8;
			/* an array of pointers */
			const size_t esz = sizeof(struct build *);
			struct build **np = realloc(p->paths, cap * esz);
			if (!np)
				goto nomem;
			p->paths = np;
			p->cap = cap;
		}
		struct build *b = malloc(sizeof(*b));
		if (!b)
			goto nomem;
		build_init(b);
		b->pattern = strdup(pat);
		if (!b->pattern) {
			free(b);
			goto nomem;
		}
		b->line = p->lineno;
		p->paths[p->npaths++] = b;
		p->cur = b;
		p->sec = SEC_PATH;
		return;
	}
	perr(p, p->lineno, name[0] ? name : "[]",
	     "unknown section (expected [gateway], [cors] or [path /...])");
	p->sec = SEC_BAD;
	return;
nomem:
	perr(p, p->lineno, "[path]", "out of memory");
}

/* Checks the shape of one line (after the length check). Returns false when
 * the line is wrong; it was reported then. */
static bool check_line(struct parser *p, char *line)
{
	char *s = line;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n' || *s == '\r' || *s == ';' || *s == '#')
		return true;
	if (*s == '[') {
		char *end = strchr(s, ']');
		if (!end) {
			perr(p, p->lineno, "[",
			     "section header without closing ']'");
			p->sec = SEC_BAD;
			p->cur = NULL;
			return false;
		}
		char *rest = trim(end + 1);
		if (*rest && *rest != ';' && *rest != '#') {
			perr(p, p->lineno, "[",
			     "text after the section header");
			p->sec = SEC_BAD;
			p->cur = NULL;
			return false;
		}
		char name[CONFIG_MAX_LINE + 1];
		size_t n = (size_t)(end - (s + 1));
		memcpy(name, s + 1, n);
		name[n] = '\0';
		enter_section(p, name);
		return true;
	}
	if (s != line)
		return true; /* a continuation line: inih appends it */
	if (!strchr(s, '=')) {
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(s, " \t\r\n"),
			 s);
		perr(p, p->lineno, key, "expected 'key = value'");
		return false;
	}
	if (p->sec == SEC_NONE) {
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(s, " \t=:"), s);
		perr(p, p->lineno, key,
		     "key outside a section (start with [cors])");
		return false;
	}
	return true;
}

/* ini_reader: fgets-like. A line that does not fit, or holds a NUL byte, is
 * read to its end, reported, and handed to inih as an empty line. */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	size_t max = CONFIG_MAX_LINE;
	char buf[CONFIG_MAX_LINE + 2];
	size_t len = 0, total = 0;
	bool nul = false;
	int c;

	if (num < 4)
		return NULL;
	if ((size_t)num - 3 < max)
		max = (size_t)num - 3;
	while ((c = getc(p->fp)) != EOF) {
		if (c == '\n')
			break;
		if (c == '\0')
			nul = true;
		if (total < max + 1)
			buf[len++] = (char)c;
		total++;
	}
	if (c == EOF && total == 0)
		return NULL;
	p->lineno++;
	if (len > 0 && buf[len - 1] == '\r') {
		len--;
		total--;
	}
	buf[len] = '\0';
	memcpy(str, "\n", 2);
	if (total > max) {
		perr(p, p->lineno, "line",
		     "too long (%zu bytes, limit %zu): split it; a list key "
		     "may repeat, each line adds",
		     total, max);
		return str;
	}
	if (nul) {
		perr(p, p->lineno, "line", "contains a NUL byte");
		return str;
	}
	if (!check_line(p, buf)) {
		p->syntax_error_line = p->lineno;
		return str;
	}
	memcpy(str, buf, len);
	memcpy(str + len, "\n", 2);
	return str;
}

/* ---- values ---------------------------------------------------------- */

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* A decimal integer in [min, max], nothing else. */
static int parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int vec_add(struct vec *v, const char *s, size_t len)
{
	if (hdrlist_contains(v->items, v->n, s, len))
		return 0;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		struct hdrlist_elem *ni = realloc(v->items, cap * sizeof(*ni));
		if (!ni)
			return -1;
		v->items = ni;
		v->cap = cap;
	}
	char *copy = strndup(s, len);
	if (!copy)
		return -1;
	v->items[v->n].s = copy;
	v->items[v->n].len = len;
	v->n++;
	return 0;
}

/* Calls fn for each element of a value split at commas and whitespace. */
typedef void (*elem_fn)(struct parser *p, const char *key, const char *s,
			size_t len);

static void each_elem(struct parser *p, const char *key, const char *value,
		      elem_fn fn)
{
	const char *s = value;
	while (*s) {
		while (*s == ',' || is_space(*s))
			s++;
		if (!*s)
			break;
		size_t n = 0;
		while (s[n] && s[n] != ',' && !is_space(s[n]))
			n++;
		if (s[0] == '#') {
			perr(p, p->lineno, key,
			     "'#' after a value is not a comment (use ' ;')");
			return;
		}
		fn(p, key, s, n);
		s += n;
	}
}

/* Whether an origin's host[:port] is loopback: browsers treat those as
 * secure contexts even over http. */
static bool is_loopback(const char *hp, size_t len)
{
	static const char *const hosts[] = {"localhost", "127.0.0.1", "[::1]"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		size_t n = strlen(hosts[i]);
		if (len >= n && memcmp(hp, hosts[i], n) == 0 &&
		    (len == n || hp[n] == ':'))
			return true;
	}
	return false;
}

static void add_origin(struct parser *p, const char *key, const char *s,
		       size_t len)
{
	struct build *b = p->cur;
	enum origin_err err = origin_set_add(b->origins, s, len);
	if (err != ORIGIN_OK) {
		perr(p, p->lineno, key, "'%.*s': %s", (int)len, s,
		     origin_strerror(err));
		return;
	}
	if (len == 1 && s[0] == '*' && !b->any_line)
		b->any_line = p->lineno;
	if (len == 4 && memcmp(s, "null", 4) == 0 && !b->null_line)
		b->null_line = p->lineno;
	if (len > 7 && memcmp(s, "http://", 7) == 0 && !b->http_line &&
	    !is_loopback(s + 7, len - 7)) {
		b->http_line = p->lineno;
		snprintf(b->http_origin, sizeof(b->http_origin), "%.*s",
			 (int)len, s);
	}
}

static void add_method(struct parser *p, const char *key, const char *s,
		       size_t len)
{
	static const char *const std[] = {"delete", "get", "head", "options",
					  "post",   "put", "patch"};
	struct vec *v = &p->cur->methods;
	if (len == 1 && s[0] == '*') {
		v->star = true;
		v->star_line = p->lineno;
		return;
	}
	if (!hdrlist_is_token(s, len)) {
		perr(p, p->lineno, key, "'%.*s' is not a method token",
		     (int)len, s);
		return;
	}
	if (hdrlist_forbidden_method(s, len)) {
		perr(p, p->lineno, key,
		     "'%.*s' is a forbidden method: browsers never send it",
		     (int)len, s);
		return;
	}
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
		if (strlen(std[i]) == len && memcmp(std[i], s, len) == 0)
			pwarn(p, p->lineno, key,
			      "'%.*s': methods are case-sensitive and browsers "
			      "send it in uppercase",
			      (int)len, s);
	}
	if (vec_add(v, s, len) < 0)
		perr(p, p->lineno, key, "out of memory");
}

static void add_header_common(struct parser *p, const char *key, struct vec *v,
			      const char *s, size_t len, bool response)
{
	if (len == 1 && s[0] == '*') {
		v->star = true;
		v->star_line = p->lineno;
		return;
	}
	if (!hdrlist_is_token(s, len)) {
		perr(p, p->lineno, key, "'%.*s' is not a header name", (int)len,
		     s);
		return;
	}
	if (!response && hdrlist_forbidden_request(s, len)) {
		perr(p, p->lineno, key,
		     "'%.*s' is a forbidden request header: browsers never "
		     "let a page send it",
		     (int)len, s);
		return;
	}
	if (response && hdrlist_forbidden_response(s, len)) {
		perr(p, p->lineno, key,
		     "'%.*s' is a forbidden response header: browsers never "
		     "expose it",
		     (int)len, s);
		return;
	}
	if (vec_add(v, s, len) < 0)
		perr(p, p->lineno, key, "out of memory");
}

static void add_header(struct parser *p, const char *key, const char *s,
		       size_t len)
{
	add_header_common(p, key, &p->cur->headers, s, len, false);
}

static void add_expose(struct parser *p, const char *key, const char *s,
		       size_t len)
{
	add_header_common(p, key, &p->cur->expose, s, len, true);
}

static void cors_key(struct parser *p, const char *name, const char *value)
{
	struct build *b = p->cur;
	int k;
	bool flag;
	long n;

	for (k = 0; k < K_COUNT; k++)
		if (strcmp(name, key_names[k]) == 0)
			break;
	if (k == K_COUNT) {
		perr(p, p->lineno, name, "unknown key in [%s]",
		     b->pattern ? "path" : "cors");
		return;
	}
	bool is_list =
	    k == K_ORIGIN || k == K_METHODS || k == K_HEADERS || k == K_EXPOSE;
	if (b->set[k] && !is_list) {
		perr(p, p->lineno, name, "set twice (first at line %d)",
		     b->set[k]);
		return;
	}
	if (!b->set[k])
		b->set[k] = p->lineno;
	switch (k) {
	case K_ORIGIN:
		if (!b->origins && !(b->origins = origin_set_new())) {
			perr(p, p->lineno, name, "out of memory");
			return;
		}
		each_elem(p, name, value, add_origin);
		break;
	case K_METHODS:
		each_elem(p, name, value, add_method);
		break;
	case K_HEADERS:
		each_elem(p, name, value, add_header);
		break;
	case K_EXPOSE:
		each_elem(p, name, value, add_expose);
		break;
	case K_MAX_AGE:
		if (parse_long(value, 0, 86400, &n) < 0)
			perr(p, p->lineno, name,
			     "'%s': expected seconds from 0 to 86400", value);
		else
			b->max_age = n;
		break;
	case K_PREFLIGHT_STATUS:
		if (strcmp(value, "200") == 0 || strcmp(value, "204") == 0)
			b->preflight_status = atoi(value);
		else
			perr(p, p->lineno, name, "'%s': expected 200 or 204",
			     value);
		break;
	case K_MODE:
		if (strcmp(value, "enforce") == 0)
			b->mode = POLICY_ENFORCE;
		else if (strcmp(value, "report-only") == 0)
			b->mode = POLICY_REPORT_ONLY;
		else
			perr(p, p->lineno, name,
			     "'%s': expected enforce or report-only", value);
		break;
	case K_DENY_STATUS:
		if (parse_long(value, 200, 599, &n) < 0)
			perr(p, p->lineno, name,
			     "'%s': expected a status from 200 to 599", value);
		else
			b->deny_status = (int)n;
		break;
	default:
		if (parse_bool(value, &flag) < 0) {
			perr(p, p->lineno, name, "'%s': expected true or false",
			     value);
			break;
		}
		if (k == K_CREDENTIALS)
			b->credentials = flag;
		else if (k == K_BLOCK)
			b->block = flag;
		else if (k == K_PNA)
			b->pna = flag;
		else
			b->enabled = flag;
		break;
	}
}

/* "unix:/abs/path", "tcp:HOST:PORT" or "tcp:[V6]:PORT". */
static bool valid_listen(const char *v)
{
	struct config_listen l;
	return config_parse_listen(v, &l) == 0;
}

/* Bytes, optionally with k, m or g (KiB, MiB, GiB), like nginx's sizes. */
static int parse_size(const char *v, long long *out)
{
	char *end;
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	long long mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1024;
	else if (*end == 'm' || *end == 'M')
		mul = 1024LL * 1024;
	else if (*end == 'g' || *end == 'G')
		mul = 1024LL * 1024 * 1024;
	if (mul != 1)
		end++;
	if (errno || *end || n > (1LL << 50) / mul)
		return -1;
	*out = n * mul;
	return 0;
}

/* type "/" subtype, then anything printable (parameters). */
static bool valid_media_type(const char *v)
{
	const char *slash = strchr(v, '/');
	if (!slash || !hdrlist_is_token(v, (size_t)(slash - v)))
		return false;
	size_t sub = strcspn(slash + 1, "; \t");
	if (!hdrlist_is_token(slash + 1, sub))
		return false;
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
static bool valid_env_name(const char *s, size_t len)
{
	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static void add_pass_env(struct parser *p, const char *key, const char *s,
			 size_t len)
{
	struct config_gateway *g = &p->gw;
	if (!valid_env_name(s, len)) {
		perr(p, p->lineno, key,
		     "'%.*s' is not an environment variable name", (int)len, s);
		return;
	}
	for (size_t i = 0; i < g->script.npass_env; i++)
		if (strlen(g->script.pass_env[i]) == len &&
		    memcmp(g->script.pass_env[i], s, len) == 0)
			return;
	char **np = realloc(g->script.pass_env,
			    (g->script.npass_env + 2) * sizeof(*np));
	if (!np) {
		perr(p, p->lineno, key, "out of memory");
		return;
	}
	g->script.pass_env = np;
	if (!(np[g->script.npass_env] = strndup(s, len))) {
		perr(p, p->lineno, key, "out of memory");
		return;
	}
	np[++g->script.npass_env] = NULL;
}

/* One cgi_root entry: absolute, resolved now (symlinks followed), a
 * directory or an executable regular file. The same resolved path twice is
 * kept once. */
static void add_cgi_root(struct parser *p, const char *key, const char *s,
			 size_t len)
{
	struct config_gateway *g = &p->gw;
	char given[PATH_MAX], real[PATH_MAX];
	struct stat st;

	if (len >= sizeof(given)) {
		perr(p, p->lineno, key, "'%.*s...': path too long", 64, s);
		return;
	}
	memcpy(given, s, len);
	given[len] = '\0';
	if (given[0] != '/') {
		perr(p, p->lineno, key, "'%s': expected an absolute path",
		     given);
		return;
	}
	if (!realpath(given, real) || stat(real, &st) < 0) {
		perr(p, p->lineno, key, "'%s': %s", given, strerror(errno));
		return;
	}
	bool dir = S_ISDIR(st.st_mode);
	if (!dir && !S_ISREG(st.st_mode)) {
		perr(p, p->lineno, key,
		     "'%s': neither a directory nor a regular file", given);
		return;
	}
	if (!dir && !(st.st_mode & 0111)) {
		perr(p, p->lineno, key,
		     "'%s': a program entry must be executable (chmod 755)",
		     given);
		return;
	}
	for (size_t i = 0; i < g->script.ncgi_roots; i++)
		if (strcmp(g->script.cgi_roots[i].real, real) == 0)
			return;
	struct config_cgi_root *nr = realloc(
	    g->script.cgi_roots, (g->script.ncgi_roots + 1) * sizeof(*nr));
	if (!nr) {
		perr(p, p->lineno, key, "out of memory");
		return;
	}
	g->script.cgi_roots = nr;
	struct config_cgi_root *e = &nr[g->script.ncgi_roots];
	e->given = strdup(given);
	e->real = strdup(real);
	e->dir = dir;
	e->line = p->lineno;
	if (!e->given || !e->real) {
		free(e->given);
		free(e->real);
		perr(p, p->lineno, key, "out of memory");
		return;
	}
	g->script.ncgi_roots++;
}

static void gateway_key(struct parser *p, const char *name, const char *value)
{
	struct config_gateway *g = &p->gw;
	char **str = NULL;
	int k;
	long n;

	for (k = 0; k < G_COUNT; k++)
		if (strcmp(name, gkey_names[k]) == 0)
			break;
	if (k == G_COUNT) {
		perr(p, p->lineno, name, "unknown key in [gateway]");
		return;
	}
	if (p->gset[k] && k != G_PASS_ENV && k != G_CGI_ROOT) {
		perr(p, p->lineno, name, "set twice (first at line %d)",
		     p->gset[k]);
		return;
	}
	if (!p->gset[k])
		p->gset[k] = p->lineno;
	switch (k) {
	case G_CGI_ROOT:
		each_elem(p, name, value, add_cgi_root);
		return;
	case G_LISTEN:
		if (!valid_listen(value)) {
			perr(p, p->lineno, name,
			     "'%s': expected unix:/path, tcp:HOST:PORT or "
			     "tcp:[IPV6]:PORT",
			     value);
			return;
		}
		str = &g->listen;
		break;
	case G_WORKERS:
		if (parse_long(value, 1, CONFIG_MAX_WORKERS, &n) < 0)
			perr(p, p->lineno, name, "'%s': expected 1 to %d",
			     value, CONFIG_MAX_WORKERS);
		else
			g->workers = n;
		return;
	case G_THREADS:
		if (parse_long(value, 1, CONFIG_MAX_THREADS, &n) < 0)
			perr(p, p->lineno, name, "'%s': expected 1 to %d",
			     value, CONFIG_MAX_THREADS);
		else
			g->threads = n;
		return;
	case G_USER:
	case G_GROUP:
		if (!value[0]) {
			perr(p, p->lineno, name, "empty name");
			return;
		}
		str = k == G_USER ? &g->user : &g->group;
		break;
	case G_SOCKET_MODE: {
		mode_t mode;
		if (config_parse_mode(value, &mode) < 0) {
			perr(p, p->lineno, name,
			     "'%s': expected an octal mode such as 0660",
			     value);
			return;
		}
		if (mode & S_IWOTH)
			pwarn(p, p->lineno, name,
			      "'%s' is world-writable: any local user can "
			      "connect and send requests as the web server "
			      "(use 0660 with the web server's group)",
			      value);
		str = &g->socket_mode;
		break;
	}
	case G_PASS_ENV:
		each_elem(p, name, value, add_pass_env);
		return;
	case G_MAX_BODY:
		if (parse_size(value, &g->script.max_body) < 0)
			perr(p, p->lineno, name,
			     "'%s': expected bytes, with k, m or g for KiB, "
			     "MiB, GiB (0: no limit)",
			     value);
		return;
	case G_DEFAULT_CT:
		if (!valid_media_type(value)) {
			perr(p, p->lineno, name,
			     "'%s': expected a media type such as "
			     "'text/plain; charset=utf-8'",
			     value);
			return;
		}
		free(g->script.default_content_type);
		str = &g->script.default_content_type;
		break;
	case G_SCRIPT_STDERR:
		if (strcmp(value, "fastcgi") == 0)
			g->script.script_stderr = CONFIG_STDERR_FASTCGI;
		else if (strcmp(value, "log") == 0)
			g->script.script_stderr = CONFIG_STDERR_LOG;
		else if (strcmp(value, "discard") == 0)
			g->script.script_stderr = CONFIG_STDERR_DISCARD;
		else
			perr(p, p->lineno, name,
			     "'%s': expected fastcgi, log or discard", value);
		return;
	case G_SCRIPT_TIMEOUT:
		if (parse_long(value, 1, 86400, &n) < 0)
			perr(p, p->lineno, name,
			     "'%s': expected seconds from 1 to 86400", value);
		else
			g->script.script_timeout = n;
		return;
	case G_REQUEST_TIMEOUT:
		if (parse_long(value, 0, 86400, &n) < 0)
			perr(p, p->lineno, name,
			     "'%s': expected seconds from 0 (no limit) to "
			     "86400",
			     value);
		else
			g->script.request_timeout = n;
		return;
	case G_STATUS_PATH:
		if (value[0] != '/' || strpbrk(value, "?#*") != NULL) {
			perr(p, p->lineno, name,
			     "'%s': expected a path starting with / (no ?, # "
			     "or *), such as /corsgate-status",
			     value);
			return;
		}
		str = &g->status_path;
		break;
	default: /* G_LOG_LEVEL */
		if (log_level_parse(value, &g->log_level) < 0)
			perr(p, p->lineno, name,
			     "'%s': expected error, warn, info or debug",
			     value);
		else
			g->log_level_set = true;
		return;
	}
	*str = strdup(value);
	if (!*str)
		perr(p, p->lineno, name, "out of memory");
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parser *p = user;
	(void)section; /* tracked by the reader, with its line */

	if (p->sec == SEC_BAD || p->sec == SEC_NONE)
		return 1;
	char v[CONFIG_MAX_LINE + 1];
	snprintf(v, sizeof(v), "%s", value);
	if (p->sec == SEC_GATEWAY)
		gateway_key(p, name, trim(v));
	else
		cors_key(p, name, trim(v));
	return 1;
}

/* ---- freezing -------------------------------------------------------- */

/* Moves v into *l, joined as a header value. Returns -1 when out of
 * memory. */
static int list_freeze(struct vec *v, struct policy_list *l)
{
	size_t len = v->star ? 1 : 0;
	for (size_t i = 0; i < v->n; i++)
		len += (len ? 2 : 0) + v->items[i].len;
	char *j = malloc(len + 1);
	if (!j)
		return -1;
	size_t o = 0;
	if (v->star)
		j[o++] = '*';
	for (size_t i = 0; i < v->n; i++) {
		if (o) {
			memcpy(j + o, ", ", 2);
			o += 2;
		}
		memcpy(j + o, v->items[i].s, v->items[i].len);
		o += v->items[i].len;
	}
	j[o] = '\0';
	l->items = v->items;
	l->n = v->n;
	l->star = v->star;
	l->joined = j;
	l->joined_len = o;
	memset(v, 0, sizeof(*v));
	return 0;
}

static void list_free(struct policy_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((char *)(uintptr_t)l->items[i].s);
	free(l->items);
	free(l->joined);
}

/* The lines b sets its keys on, over what *l holds (the default's). */
static void set_lines(const struct build *b, struct policy_lines *l)
{
	if (b->pattern)
		l->section = b->line;
	l->origin = b->set[K_ORIGIN] ? b->set[K_ORIGIN] : l->origin;
	l->methods = b->set[K_METHODS] ? b->set[K_METHODS] : l->methods;
	l->headers = b->set[K_HEADERS] ? b->set[K_HEADERS] : l->headers;
	l->expose = b->set[K_EXPOSE] ? b->set[K_EXPOSE] : l->expose;
	l->credentials =
	    b->set[K_CREDENTIALS] ? b->set[K_CREDENTIALS] : l->credentials;
	l->enabled = b->set[K_ENABLED] ? b->set[K_ENABLED] : l->enabled;
	l->mode = b->set[K_MODE] ? b->set[K_MODE] : l->mode;
}

/* Fills pol from b, taking from def what b does not set. b == def for the
 * default policy. Ownership of b's lists moves to pol. */
static int policy_freeze(struct build *b, const struct cors_policy *def,
			 struct cors_policy *pol)
{
	if (def)
		*pol = *def;
	else
		memset(pol, 0, sizeof(*pol));
	pol->pattern = b->pattern ? b->pattern : "[cors]";
	if (!def || b->set[K_ORIGIN]) {
		if (!b->origins && !(b->origins = origin_set_new()))
			return -1;
		pol->origins = b->origins;
		b->origins = NULL;
	}
	if ((!def || b->set[K_METHODS]) &&
	    list_freeze(&b->methods, &pol->methods) < 0)
		return -1;
	if ((!def || b->set[K_HEADERS]) &&
	    list_freeze(&b->headers, &pol->headers) < 0)
		return -1;
	if ((!def || b->set[K_EXPOSE]) &&
	    list_freeze(&b->expose, &pol->expose) < 0)
		return -1;
	if (!def || b->set[K_CREDENTIALS])
		pol->credentials = b->credentials;
	if (!def || b->set[K_MAX_AGE])
		pol->max_age = b->max_age;
	if (!def || b->set[K_PREFLIGHT_STATUS])
		pol->preflight_status = b->preflight_status;
	if (!def || b->set[K_DENY_STATUS])
		pol->deny_status = b->deny_status;
	if (!def || b->set[K_BLOCK])
		pol->block_disallowed = b->block;
	if (!def || b->set[K_PNA])
		pol->private_network = b->pna;
	if (!def || b->set[K_ENABLED])
		pol->enabled = b->enabled;
	if (!def || b->set[K_MODE])
		pol->mode = b->mode;
	if (pol->max_age >= 0)
		snprintf(pol->max_age_value, sizeof(pol->max_age_value), "%ld",
			 pol->max_age);
	set_lines(b, &pol->lines);
	return 0;
}

/* The line a setting of the merged policy comes from: b's own, else the
 * default's. */
static int line_of(const struct build *b, const struct build *def, int k)
{
	return b->set[k] ? b->set[k] : def->set[k];
}

/* Checks the combinations of a merged policy. Reports a conflict only where
 * b itself sets one of its parts, so an inherited conflict is reported once,
 * at [cors]. */
static void check_policy(struct parser *p, const struct build *b,
			 const struct build *def, const struct cors_policy *pol)
{
	bool own = b == def;
	if (!pol->credentials)
		return;
	bool touches_cred = own || b->set[K_CREDENTIALS];
	int cred_line = line_of(b, def, K_CREDENTIALS);
	if ((touches_cred || b->set[K_ORIGIN]) &&
	    origin_set_has_any(pol->origins)) {
		const struct build *src = b->set[K_ORIGIN] ? b : def;
		perr(p, src->any_line ? src->any_line : cred_line,
		     "allow_origin",
		     "'*' with allow_credentials = true (line %d): browsers "
		     "refuse it; list the origins",
		     cred_line);
	}
	if ((touches_cred || b->set[K_ORIGIN]) &&
	    origin_set_has_null(pol->origins)) {
		const struct build *src = b->set[K_ORIGIN] ? b : def;
		perr(p, src->null_line ? src->null_line : cred_line,
		     "allow_origin",
		     "'null' with allow_credentials = true (line %d): any "
		     "sandboxed page or file would get credentialed access",
		     cred_line);
	}
	if ((touches_cred || b->set[K_EXPOSE]) && pol->expose.star) {
		const struct build *src = b->set[K_EXPOSE] ? b : def;
		perr(p,
		     src->expose.star_line ? src->expose.star_line
					   : line_of(b, def, K_EXPOSE),
		     "expose_headers",
		     "'*' with allow_credentials = true (line %d) is the "
		     "literal name '*': list the headers",
		     cred_line);
	}
	const struct build *osrc = b->set[K_ORIGIN] ? b : def;
	if ((touches_cred || b->set[K_ORIGIN]) && osrc->http_line)
		pwarn(p, osrc->http_line, "allow_origin",
		      "'%s' is plain http with allow_credentials = true "
		      "(line %d): credentials can be read on the wire",
		      osrc->http_origin, cred_line);
}

/* The bytes of the fixed header lines pol makes corsgate send on one
 * answer (what the request echoes - its origin, its header list under
 * '*' with credentials - not counted): an actual request's (merged with
 * the script's own block) or a preflight's, the larger. */
static size_t fixed_lines(const struct cors_policy *pol)
{
	size_t origin = sizeof("Access-Control-Allow-Origin: \r\n") - 1;
	size_t cred = pol->credentials
			  ? sizeof("Access-Control-Allow-Credentials: "
				   "true\r\n") -
				1
			  : 0;
	size_t actual = origin + cred + sizeof("Vary: Origin\r\n") - 1;
	if (pol->expose.star || pol->expose.n)
		actual += sizeof("Access-Control-Expose-Headers: \r\n") - 1 +
			  pol->expose.joined_len;
	size_t hdrs = pol->headers.joined_len;
	size_t pre = origin + cred +
		     sizeof("Access-Control-Allow-Methods: \r\n") - 1 +
		     pol->methods.joined_len +
		     sizeof("Access-Control-Allow-Headers: \r\n") - 1 + hdrs +
		     sizeof("Access-Control-Max-Age: \r\n") - 1 + 24 +
		     sizeof("Vary: Origin, Access-Control-Request-Method, "
			    "Access-Control-Request-Headers\r\n") -
		     1;
	return actual > pre ? actual : pre;
}

/* Warns when pol's header lines come near CONFIG_FIXED_HEADERS_MAX (the
 * whole header block a web server takes by default), once, at the
 * section whose own list makes them long. */
static void check_size(struct parser *p, const struct build *b,
		       const struct build *def, const struct cors_policy *pol)
{
	bool own = b == def;
	if (!pol->enabled || fixed_lines(pol) < CONFIG_FIXED_HEADERS_WARN)
		return;
	int k = pol->expose.joined_len >= pol->methods.joined_len &&
			pol->expose.joined_len >= pol->headers.joined_len
		    ? K_EXPOSE
		: pol->headers.joined_len >= pol->methods.joined_len
		    ? K_HEADERS
		    : K_METHODS;
	static const char *const names[] = {
	    [K_EXPOSE] = "expose_headers",
	    [K_HEADERS] = "allow_headers",
	    [K_METHODS] = "allow_methods",
	};
	if (!own && !b->set[k])
		return; /* inherited: reported at [cors] */
	pwarn(p, line_of(b, def, k) ? line_of(b, def, k) : b->line, names[k],
	      "the fixed header lines this policy adds take %zu bytes per "
	      "answer (plus the origin echoed), and a web server takes "
	      "about %d for a whole header block by default, the script's "
	      "own headers included (nginx: fastcgi_buffer_size, one page; "
	      "beyond it nginx answers 502, \"upstream sent too big "
	      "header\"): shorten the list or raise that buffer",
	      fixed_lines(pol), CONFIG_FIXED_HEADERS_MAX);
}

static void gateway_free_run(struct config_gateway *g)
{
	for (size_t i = 0; i < g->script.ncgi_roots; i++) {
		free(g->script.cgi_roots[i].given);
		free(g->script.cgi_roots[i].real);
	}
	free(g->script.cgi_roots);
	for (size_t i = 0; i < g->script.npass_env; i++)
		free(g->script.pass_env[i]);
	free(g->script.pass_env);
	free(g->script.default_content_type);
	free(g->status_path);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	const struct cors_policy *d = &cfg->def;
	for (size_t i = 0; i < cfg->npaths; i++) {
		struct cors_policy *pol = &cfg->paths[i];
		if (pol->origins != d->origins)
			origin_set_free(pol->origins);
		if (pol->methods.joined != d->methods.joined)
			list_free(&pol->methods);
		if (pol->headers.joined != d->headers.joined)
			list_free(&pol->headers);
		if (pol->expose.joined != d->expose.joined)
			list_free(&pol->expose);
		free((char *)(uintptr_t)pol->pattern);
	}
	free(cfg->paths);
	origin_set_free(cfg->def.origins);
	list_free(&cfg->def.methods);
	list_free(&cfg->def.headers);
	list_free(&cfg->def.expose);
	free(cfg->gateway.listen);
	free(cfg->gateway.user);
	free(cfg->gateway.group);
	free(cfg->gateway.socket_mode);
	gateway_free_run(&cfg->gateway);
	free(cfg->file);
	free(cfg);
}

static void parser_free(struct parser *p)
{
	build_free(&p->def);
	for (size_t i = 0; i < p->npaths; i++) {
		build_free(p->paths[i]);
		free(p->paths[i]);
	}
	free(p->paths);
	free(p->gw.listen);
	free(p->gw.user);
	free(p->gw.group);
	free(p->gw.socket_mode);
	gateway_free_run(&p->gw);
}

/* Fills in the [gateway] settings the file did not set. */
static int gateway_defaults(struct parser *p)
{
	struct config_gateway *g = &p->gw;
	if (!p->gset[G_PASS_ENV]) {
		g->script.pass_env = calloc(2, sizeof(*g->script.pass_env));
		if (!g->script.pass_env ||
		    !(g->script.pass_env[0] = strdup("PATH")))
			return -1;
		g->script.npass_env = 1;
	}
	if (!p->gset[G_MAX_BODY])
		g->script.max_body = 10LL * 1024 * 1024;
	if (!g->script.default_content_type &&
	    !(g->script.default_content_type =
		  strdup("application/octet-stream")))
		return -1;
	if (!p->gset[G_SCRIPT_TIMEOUT])
		g->script.script_timeout = 60;
	if (!p->gset[G_REQUEST_TIMEOUT])
		g->script.request_timeout = CONFIG_REQUEST_TIMEOUT;
	return 0;
}

/* Moves the parsed sections into a new config. Returns NULL when out of
 * memory (logged). */
static struct config *freeze(struct parser *p)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		goto nomem;
	cfg->file = strdup(p->file);
	cfg->paths = calloc(p->npaths ? p->npaths : 1, sizeof(*cfg->paths));
	if (!cfg->file || !cfg->paths)
		goto nomem;
	if (policy_freeze(&p->def, NULL, &cfg->def) < 0)
		goto nomem;
	cfg->def.lines.section = p->cors_line;
	for (size_t i = 0; i < p->npaths; i++) {
		struct build *b = p->paths[i];
		if (policy_freeze(b, &cfg->def, &cfg->paths[i]) < 0)
			goto nomem;
		b->pattern = NULL; /* owned by the policy now */
		cfg->npaths++;
	}
	if (gateway_defaults(p) < 0)
		goto nomem;
	cfg->gateway = p->gw;
	memset(&p->gw, 0, sizeof(p->gw));
	return cfg;
nomem:
	log_error("%s: out of memory", p->file);
	config_free(cfg);
	return NULL;
}

struct config *config_load(const char *file)
{
	struct parser p;
	struct config *cfg = NULL;

	memset(&p, 0, sizeof(p));
	p.file = file;
	build_init(&p.def);
	p.gw.log_level = LOG_LEVEL_INFO;
	p.fp = fopen(file, "re");
	if (!p.fp) {
		log_error("%s: cannot open: %s", file, strerror(errno));
		return NULL;
	}
	int rc = ini_parse_stream(reader, &p, handler, &p);
	if (ferror(p.fp)) {
		log_error("%s: read error: %s", file, strerror(errno));
		p.errors++;
	}
	fclose(p.fp);
	if (rc > 0 && rc != p.syntax_error_line && p.errors == 0)
		perr(&p, rc, "line", "syntax error");
	else if (rc < 0)
		perr(&p, p.lineno, "file", "cannot parse (out of memory)");
	if (p.errors)
		goto out;
	cfg = freeze(&p);
	if (!cfg)
		goto out;
	/* The builds keep their set-lines for the checks below. */
	check_policy(&p, &p.def, &p.def, &cfg->def);
	check_size(&p, &p.def, &p.def, &cfg->def);
	for (size_t i = 0; i < cfg->npaths; i++) {
		check_policy(&p, p.paths[i], &p.def, &cfg->paths[i]);
		check_size(&p, p.paths[i], &p.def, &cfg->paths[i]);
	}
	if (p.errors) {
		config_free(cfg);
		cfg = NULL;
	}
out:
	parser_free(&p);
	return cfg;
}

/* ---- lookup ---------------------------------------------------------- */

int config_parse_listen(const char *spec, struct config_listen *out)
{
	const char *h, *colon, *hend;
	size_t hl, pl;

	memset(out, 0, sizeof(*out));
	if (strncmp(spec, "unix:/", 6) == 0) {
		out->path = spec + 5;
		return spec[6] != '\0' ? 0 : -1;
	}
	if (strncmp(spec, "tcp:", 4) != 0)
		return -1;
	h = spec + 4;
	if (*h == '[') {
		const char *close = strchr(h, ']');
		if (!close || close == h + 1 || close[1] != ':')
			return -1;
		colon = close + 1;
		h++;
		hend = close;
	} else {
		colon = strchr(h, ':');
		if (!colon || colon == h || strchr(colon + 1, ':'))
			return -1; /* an IPv6 address needs its brackets */
		hend = colon;
	}
	hl = (size_t)(hend - h);
	pl = strlen(colon + 1);
	if (hl >= sizeof(out->host) || pl == 0 || pl >= sizeof(out->port))
		return -1;
	long port;
	if (parse_long(colon + 1, 1, 65535, &port) < 0)
		return -1;
	memcpy(out->host, h, hl);
	memcpy(out->port, colon + 1, pl);
	return 0;
}

int config_parse_mode(const char *s, mode_t *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '7')
			return -1;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno != 0 || *end != '\0' || v > 0777)
		return -1;
	*out = (mode_t)v;
	return 0;
}

const struct cors_policy *config_lookup(const struct config *cfg,
					const char *path, size_t len)
{
	return policy_lookup(&cfg->def, cfg->paths, cfg->npaths, path, len);
}

const struct config_cgi_root *
config_cgi_root_match(const struct config_script *g, const char *real)
{
	for (size_t i = 0; i < g->ncgi_roots; i++) {
		const struct config_cgi_root *e = &g->cgi_roots[i];
		if (!e->dir) {
			if (strcmp(real, e->real) == 0)
				return e;
			continue;
		}
		size_t n = strlen(e->real);
		if (strcmp(e->real, "/") == 0) {
			if (real[0] == '/' && real[1] != '\0')
				return e;
		} else if (strncmp(real, e->real, n) == 0 && real[n] == '/' &&
			   real[n + 1] != '\0') {
			return e;
		}
	}
	return NULL;
}
