/* request.c - a request's params, copied. See request.h. */
#include "request.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"

const char *request_strerror(enum request_err err)
{
	switch (err) {
	case REQUEST_OK:
		return "no error";
	case REQUEST_E_TOOBIG:
		return "params larger than the limit";
	case REQUEST_E_NOMETHOD:
		return "no REQUEST_METHOD param";
	case REQUEST_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

const char *request_param(const struct request *r, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < r->nenv; i++) {
		const char *e = r->env[i];
		if (e[0] == name[0] && memcmp(e, name, len) == 0 &&
		    e[len] == '=')
			return e + len + 1;
	}
	return NULL;
}

/* The params the gateway reads on every request, found in the one pass
 * that copies them. */
enum known {
	K_METHOD,
	K_SCRIPT_NAME,
	K_PATH_INFO,
	K_ORIGIN,
	K_ACRM,
	K_ACRH,
	K_ACRPN,
	K_COUNT
};

static const struct {
	const char *name;
	size_t len;
} known_names[K_COUNT] = {
    {"REQUEST_METHOD", 14},
    {"SCRIPT_NAME", 11},
    {"PATH_INFO", 9},
    {"HTTP_ORIGIN", 11},
    {"HTTP_ACCESS_CONTROL_REQUEST_METHOD", 34},
    {"HTTP_ACCESS_CONTROL_REQUEST_HEADERS", 35},
    {"HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", 43},
};

/* Which known param e ("NAME=value", len bytes) is, or K_COUNT: only
 * names starting with R, S, P or H are compared at all. */
static enum known which(const char *e, size_t len)
{
	int k;

	switch (e[0]) {
	case 'R':
		k = K_METHOD;
		break;
	case 'S':
		k = K_SCRIPT_NAME;
		break;
	case 'P':
		k = K_PATH_INFO;
		break;
	case 'H':
		if (len > 11 && e[11] == '=')
			k = K_ORIGIN;
		else if (len > 34 && e[34] == '=')
			k = K_ACRM;
		else if (len > 35 && e[35] == '=')
			k = K_ACRH;
		else
			k = K_ACRPN;
		break;
	default:
		return K_COUNT;
	}
	size_t n = known_names[k].len;
	if (len <= n || e[n] != '=' || memcmp(e, known_names[k].name, n) != 0)
		return K_COUNT;
	return (enum known)k;
}

/* A thread's last request block, kept for its next request: a worker
 * thread serves one request at a time, so the block is reused rather than
 * allocated and freed each time. Blocks over BLOCK_KEEP bytes are not
 * kept. */
#define BLOCK_KEEP ((size_t)16 * 1024)
/* (cppcheck does not see the uses through a _Thread_local variable) */
struct kept_block {
	/* cppcheck-suppress unusedStructMember */
	char *p;
	/* cppcheck-suppress unusedStructMember */
	size_t size;
};
static _Thread_local struct kept_block kept;

/* A block of at least n bytes: the kept one, or a new one. The size is
 * stored in front of it. */
static char *block_get(size_t n)
{
	if (kept.p && kept.size >= n) {
		char *p = kept.p;
		kept.p = NULL;
		return p;
	}
	size_t want = n < 4096 ? 4096 : n;
	char *m = malloc(sizeof(max_align_t) + want);
	if (m == NULL)
		return NULL;
	memcpy(m, &want, sizeof(want));
	return m + sizeof(max_align_t);
}

static void block_put(char *p)
{
	if (p == NULL)
		return;
	char *m = p - sizeof(max_align_t);
	size_t size;
	memcpy(&size, m, sizeof(size));
	if (kept.p == NULL && size <= BLOCK_KEEP) {
		kept.p = p;
		kept.size = size;
		return;
	}
	free(m);
}

static struct cors_str str_of(const char *v, size_t len)
{
	struct cors_str s = {v, len};
	return s;
}

const char *request_path_how_str(enum request_path_how how)
{
	switch (how) {
	case REQUEST_PATH_JOINED:
		return "SCRIPT_NAME followed by PATH_INFO";
	case REQUEST_PATH_SCRIPT_NAME:
		return "SCRIPT_NAME, which already ends with PATH_INFO";
	case REQUEST_PATH_PATH_INFO:
		return "PATH_INFO";
	}
	return "unknown";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether uri's path (up to '?' or '#'), percent-decoded, is exactly
 * a[0..alen) followed by b[0..blen). A %00 or a bad escape never
 * matches. */
static bool decoded_is(const char *uri, const char *a, size_t alen,
		       const char *b, size_t blen)
{
	size_t i = 0, total = alen + blen;
	for (const char *u = uri; *u && *u != '?' && *u != '#'; i++) {
		int c = (unsigned char)*u++;
		if (c == '%') {
			int h = hexval(u[0]), l = h < 0 ? -1 : hexval(u[1]);
			if (l < 0 || (h == 0 && l == 0))
				return false;
			c = h * 16 + l;
			u += 2;
		}
		if (i >= total ||
		    (unsigned char)(i < alen ? a[i] : b[i - alen]) != c)
			return false;
	}
	return i == total;
}

/* The policy path from SCRIPT_NAME sn[0..snl) and PATH_INFO pi[0..pil)
 * (see request_policy_path); uri: REQUEST_URI, looked up through
 * uri_of(r) only when SCRIPT_NAME already ends with PATH_INFO. Writes
 * the path's parts' lengths: the path is sn[0..*use_sn) followed by
 * pi[0..*use_pi). */
static enum request_path_how path_rule(const struct request *r,
				       enum request_front front, const char *sn,
				       size_t snl, const char *pi, size_t pil,
				       size_t *use_sn, size_t *use_pi)
{
	enum request_path_how h = REQUEST_PATH_JOINED;

	if (front == REQUEST_FRONT_ACTION ||
	    (pil && snl == 1 && sn[0] == '/' && pi[0] == '/')) {
		/* CGI mode: PATH_INFO is the path; or lighttpd's
		 * fix-root-scriptname */
		snl = 0;
		h = REQUEST_PATH_PATH_INFO;
	} else if (pil && snl >= pil && memcmp(sn + snl - pil, pi, pil) == 0) {
		/* /git/x with /x: the path, or a script /git/x asked for
		 * /git/x/x? The request line says, when there is one. */
		const char *uri = request_param(r, "REQUEST_URI");
		if (!uri || !decoded_is(uri, sn, snl, pi, pil)) {
			pil = 0;
			h = REQUEST_PATH_SCRIPT_NAME;
		}
	}
	*use_sn = snl;
	*use_pi = pil;
	return h;
}

char *request_policy_path(const struct request *r, enum request_front front,
			  size_t *len, enum request_path_how *how)
{
	const char *sn = request_param(r, "SCRIPT_NAME");
	const char *pi = request_param(r, "PATH_INFO");
	size_t snl, pil;
	if (sn == NULL)
		sn = "";
	if (pi == NULL)
		pi = "";
	enum request_path_how h =
	    path_rule(r, front, sn, strlen(sn), pi, strlen(pi), &snl, &pil);
	char *path = malloc(snl + pil + 1);
	if (path == NULL)
		return NULL;
	if (snl)
		memcpy(path, sn, snl);
	if (pil)
		memcpy(path + snl, pi, pil);
	path[snl + pil] = '\0';
	*len = snl + pil;
	if (how)
		*how = h;
	return path;
}

enum request_err request_init(struct request *r, char *const *params,
			      const struct request_io *io)
{
	size_t n = 0, bytes = 0, total = 0;
	char *block, *p;
	const char *val[K_COUNT] = {NULL};
	size_t vlen[K_COUNT] = {0};

	memset(r, 0, sizeof(*r));
	/* the lengths, kept from the counting pass for the first params */
	size_t lens[64];
	for (char *const *e = params; e && *e; e++) {
		size_t len = strlen(*e);
		if (n < sizeof(lens) / sizeof(lens[0]))
			lens[n] = len;
		/* "NAME=value": the '=' is not counted as params bytes */
		bytes += len ? len - 1 : 0;
		total += len + 1;
		n++;
		if (bytes > REQUEST_PARAMS_MAX)
			return REQUEST_E_TOOBIG;
	}
	/* One block: the pointer array, the strings, then the path (at most
	 * every byte of the params). */
	size_t head = (n + 1) * sizeof(char *);
	block = block_get(head + total + total);
	if (block == NULL)
		return REQUEST_E_NOMEM;
	r->env = (char **)(void *)block;
	p = block + head;
	for (size_t i = 0; i < n; i++) {
		const char *e = params[i];
		size_t len =
		    i < sizeof(lens) / sizeof(lens[0]) ? lens[i] : strlen(e);
		memcpy(p, e, len + 1);
		r->env[i] = p;
		enum known k = which(p, len);
		if (k != K_COUNT && val[k] == NULL) {
			size_t nl = known_names[k].len;
			val[k] = p + nl + 1;
			vlen[k] = len - nl - 1;
		}
		p += len + 1;
	}
	r->env[n] = NULL;
	r->nenv = n;
	r->params_bytes = bytes;
	if (io)
		r->io = *io;

	/* the policy path, in the block (request_policy_path's rule) */
	size_t snl, pil;
	const char *sn = val[K_SCRIPT_NAME] ? val[K_SCRIPT_NAME] : "";
	const char *pi = val[K_PATH_INFO] ? val[K_PATH_INFO] : "";
	path_rule(r, REQUEST_FRONT_FASTCGI, sn, vlen[K_SCRIPT_NAME], pi,
		  vlen[K_PATH_INFO], &snl, &pil);
	r->path = p;
	if (snl)
		memcpy(p, sn, snl);
	if (pil)
		memcpy(p + snl, pi, pil);
	r->path_len = snl + pil;
	p[r->path_len] = '\0';

	r->cors.origin = str_of(val[K_ORIGIN], vlen[K_ORIGIN]);
	r->cors.acrm = str_of(val[K_ACRM], vlen[K_ACRM]);
	r->cors.acrh = str_of(val[K_ACRH], vlen[K_ACRH]);
	r->cors.acrpn = str_of(val[K_ACRPN], vlen[K_ACRPN]);
	r->cors.method = str_of(val[K_METHOD], vlen[K_METHOD]);
	r->method = r->cors.method.s;
	if (r->method == NULL || r->cors.method.len == 0) {
		r->method = "";
		r->cors.method.s = "";
		r->cors.method.len = 0;
		return REQUEST_E_NOMETHOD;
	}
	return REQUEST_OK;
}

void request_free(struct request *r)
{
	block_put((char *)r->env); /* the path lives in the same block */
	memset(r, 0, sizeof(*r));
}

/* ---- answers from the gateway itself ---------------------------------- */

static int put(const struct request *r, const char *s, size_t len)
{
	return r->io.write(r->io.ctx, s, len);
}

/* An answer's header block, built in memory and written at once (a
 * longer one in pieces). 2 KiB holds a preflight's answer many times over,
 * and keeps a connection thread's stack shallow: whatever is called below
 * it touches pages that stay resident, in each of 64 threads. */
struct block {
	char buf[2048];
	size_t len;
	const struct request *r;
	int failed;
};

static inline void add(struct block *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (__builtin_expect(n > sizeof(b->buf) - b->len, 0)) {
		/* a block this long (a long expose_headers list) goes out in
		 * pieces */
		if (put(b->r, b->buf, b->len) < 0 || put(b->r, s, n) < 0)
			b->failed = 1;
		b->len = 0;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

static void add_str(struct block *b, const char *s)
{
	add(b, s, strlen(s));
}

/* Decimal digits of n into the block. */
static void add_num(struct block *b, unsigned long long n)
{
	char d[24];
	size_t i = sizeof(d);
	do
		d[--i] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	add(b, d + i, sizeof(d) - i);
}

static void add_status(struct block *b, int status)
{
	/* the ones a preflight gets, ready-made */
	switch (status) {
	case 204:
		add(b, "Status: 204 No Content\r\n", 24);
		return;
	case 200:
		add(b, "Status: 200 OK\r\n", 16);
		return;
	case 403:
		add(b, "Status: 403 Forbidden\r\n", 23);
		return;
	}
	const char *text = cors_status_text(status);
	add(b, "Status: ", 8);
	add_num(b, (unsigned long long)(status < 0 ? 0 : status));
	if (*text) {
		add(b, " ", 1);
		add_str(b, text);
	}
	add(b, "\r\n", 2);
}

/* Whether the 8 bytes x hold a byte below 0x20 or 0x7f (HTAB included:
 * the caller looks again byte by byte). */
static inline bool word_has_ctl(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t y = x ^ (ones * 0x7f);
	return ((((x - ones * 0x20) & ~x) | ((y - ones) & ~y)) & high) != 0;
}

static bool clean_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* Whether s[0..n) holds no control byte but HTAB: eight bytes at a time
 * (the last word overlapping the one before it), byte by byte only where
 * a word has a byte below 0x20 or 0x7f. */
static bool clean_value(const char *s, size_t n)
{
	uint64_t x;

	if (n < 8)
		return clean_bytes(s, n);
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, s + i, 8);
		if (word_has_ctl(x))
			return clean_bytes(s, n);
	}
	memcpy(&x, s + n - 8, 8);
	return !word_has_ctl(x) || clean_bytes(s + n - 8, 8);
}

/* The verdict's header lines. A value with a control byte (which
 * cors_decide never produces) is dropped rather than sent. */
static void add_headers(struct block *b, const struct cors_verdict *v)
{
	for (size_t i = 0; i < v->nheaders; i++) {
		const struct cors_header *h = &v->headers[i];
		size_t need = h->name_len + 2 + h->value_len + 2;
		if (!clean_value(h->value, h->value_len)) {
			log_error("not sending %s: its value has a control "
				  "character",
				  h->name);
			continue;
		}
		if (b->failed || need > sizeof(b->buf) - b->len) {
			/* the slow way, in pieces */
			add(b, h->name, h->name_len);
			add(b, ": ", 2);
			add(b, h->value, h->value_len);
			add(b, "\r\n", 2);
			continue;
		}
		char *o = b->buf + b->len;
		memcpy(o, h->name, h->name_len);
		o += h->name_len;
		*o++ = ':';
		*o++ = ' ';
		memcpy(o, h->value, h->value_len);
		o += h->value_len;
		*o++ = '\r';
		*o++ = '\n';
		b->len += need;
	}
}

/* Content-Type text/plain, Content-Length, the blank line and body. */
static void add_text(struct block *b, const char *body, size_t len)
{
	add_str(b, "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: ");
	add_num(b, len);
	add(b, "\r\n\r\n", 4);
	add(b, body, len);
}

/* Writes the block. Not flushed: the request ends with it, and the
 * front's end of the request sends it with its last records at once. */
static int send_block(struct block *b)
{
	if (b->failed || (b->len && put(b->r, b->buf, b->len) < 0))
		return -1;
	return 0;
}

int request_answer_verdict(const struct request *r,
			   const struct cors_verdict *v)
{
	static const char refused[] =
	    "corsgate: this origin may not use this resource\n";
	bool preflight =
	    v->kind == CORS_PREFLIGHT_OK || v->kind == CORS_PREFLIGHT_REFUSED;
	struct block b;

	b.len = 0;
	b.r = r;
	b.failed = 0;
	stats_response(v->status);
	add_status(&b, v->status);
	add_headers(&b, v);
	if (preflight)
		add(&b, "Content-Length: 0\r\n\r\n", 21);
	else
		add_text(&b, refused, sizeof(refused) - 1);
	return send_block(&b);
}

int request_answer_error(const struct request *r, const struct cors_verdict *v,
			 int status, const char *msg)
{
	char body[256];
	struct block b;
	int n = snprintf(body, sizeof(body), "corsgate: %d %s: %s\n", status,
			 cors_status_text(status), msg);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	b.len = 0;
	b.r = r;
	b.failed = 0;
	stats_response(status);
	add_status(&b, status);
	if (v && cors_enforced(v))
		add_headers(&b, v);
	add_text(&b, body, (size_t)n);
	return send_block(&b);
}

int request_answer_page(const struct request *r, const char *content_type,
			const char *body, size_t len)
{
	struct block b;

	b.len = 0;
	b.r = r;
	b.failed = 0;
	stats_response(200);
	add_status(&b, 200);
	add_str(&b, "Content-Type: ");
	add_str(&b, content_type);
	add_str(&b, "\r\nCache-Control: no-store\r\nContent-Length: ");
	add_num(&b, len);
	add(&b, "\r\n\r\n", 4);
	if (send_block(&b) < 0)
		return -1;
	return len && put(r, body, len) < 0 ? -1 : 0;
}

static int clamp(size_t n, int max)
{
	return n < (size_t)max ? (int)n : max;
}

void request_log_refused(const struct request *r, const char *path,
			 const struct cors_verdict *v)
{
	char reason[512];

	if (log_get_level() < LOG_LEVEL_INFO)
		return; /* not logged: not formatted */
	cors_reason_format(v, reason, sizeof(reason));
	log_info("%s %.*s origin %.*s: %s", r->method, clamp(strlen(path), 512),
		 path, clamp(r->cors.origin.len, 256),
		 r->cors.origin.s ? r->cors.origin.s : "", reason);
}
