/* cgiresp.c - a CGI script's response header block. See cgiresp.h. */
#include "cgiresp.h"

#include <string.h>

#include "cors.h"
#include "hdrlist.h"

const char *cgiresp_strerror(enum cgiresp_err err)
{
	switch (err) {
	case CGIRESP_OK:
		return "ok";
	case CGIRESP_E_TOOBIG:
		return "header block over 64 KiB or 128 lines";
	case CGIRESP_E_NOCOLON:
		return "a header line without ':'";
	case CGIRESP_E_NAME:
		return "an invalid header name";
	case CGIRESP_E_FOLDED:
		return "a folded header line (starts with whitespace)";
	case CGIRESP_E_BARECR:
		return "a bare CR in the header block";
	case CGIRESP_E_NUL:
		return "a NUL or control byte in a header value";
	case CGIRESP_E_STATUS:
		return "Status is not three digits from 100 to 599, or is "
		       "repeated";
	case CGIRESP_E_NPH:
		return "an nph- script's first line is not an HTTP status "
		       "line";
	case CGIRESP_E_NPH_STATUS:
		return "an nph- script's Status header disagrees with its "
		       "status line";
	case CGIRESP_E_EOF:
		return "the script ended before the end of its headers";
	case CGIRESP_E_EMPTY:
		return "no header (need Content-Type, Location or Status)";
	}
	return "unknown error";
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "NNN" or "NNN reason" with NNN in 100..599. */
static int parse_status(const char *s, size_t len, struct cgiresp *out)
{
	if (len < 3 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]))
		return -1;
	int code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (code < 100 || code > 599)
		return -1;
	if (len > 3 && s[3] != ' ')
		return -1;
	out->status = code;
	out->reason = NULL;
	out->reason_len = 0;
	if (len > 4) {
		out->reason = s + 4;
		out->reason_len = len - 4;
	}
	return 0;
}

/* "HTTP/1.0 NNN reason" or "HTTP/1.1 NNN reason". */
static int parse_nph_line(const char *s, size_t len, struct cgiresp *out)
{
	if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 ||
	    (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return -1;
	return parse_status(s + 9, len - 9, out);
}

/* Checks one line's bytes: a CR only at its end (stripped), no other
 * control byte but HTAB. Returns 0 and sets *len to the line without CR. */
static enum cgiresp_err check_bytes(const char *s, size_t *len)
{
	size_t n = *len;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r')
			return CGIRESP_E_BARECR;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return CGIRESP_E_NUL;
	}
	*len = n;
	return CGIRESP_OK;
}

static long fail(enum cgiresp_err *err, enum cgiresp_err e)
{
	*err = e;
	return -1;
}

long cgiresp_parse(const char *buf, size_t len, bool nph, struct cgiresp *out,
		   enum cgiresp_err *err)
{
	size_t pos = 0;
	bool status_seen = false;
	bool nph_line = false; /* status_seen from the nph status line */
	bool first = true;

	*err = CGIRESP_OK;
	memset(out, 0, sizeof(*out));
	out->status = 200;
	for (;;) {
		size_t avail = len - pos;
		out->bad_off = pos;
		const char *lf = memchr(buf + pos, '\n', avail);
		if (!lf)
			return len >= CGIRESP_MAX_BLOCK
				   ? fail(err, CGIRESP_E_TOOBIG)
				   : -2;
		size_t next = (size_t)(lf - buf) + 1;
		if (next > CGIRESP_MAX_BLOCK)
			return fail(err, CGIRESP_E_TOOBIG);
		const char *line = buf + pos;
		size_t n = (size_t)(lf - line);
		enum cgiresp_err e = check_bytes(line, &n);
		pos = next;
		if (first && nph) {
			first = false;
			if (e != CGIRESP_OK || parse_nph_line(line, n, out) < 0)
				return fail(err, CGIRESP_E_NPH);
			status_seen = nph_line = true;
			continue;
		}
		first = false;
		if (n == 0 && e == CGIRESP_OK) {
			if (out->nheaders == 0 && !status_seen)
				return fail(err, CGIRESP_E_EMPTY);
			if (!status_seen && out->has_location)
				out->status = 302;
			return (long)pos;
		}
		if (is_ows(line[0]))
			return fail(err, CGIRESP_E_FOLDED);
		if (e != CGIRESP_OK)
			return fail(err, e);
		const char *colon = memchr(line, ':', n);
		if (!colon)
			return fail(err, CGIRESP_E_NOCOLON);
		size_t name_len = (size_t)(colon - line);
		if (!hdrlist_is_token(line, name_len))
			return fail(err, CGIRESP_E_NAME);
		const char *v = colon + 1;
		const char *end = line + n;
		while (v < end && is_ows(*v))
			v++;
		while (end > v && is_ows(end[-1]))
			end--;
		size_t vlen = (size_t)(end - v);
		if (hdrlist_ieq(line, name_len, "status")) {
			if (nph_line) { /* CGI.pm's nph: line and header */
				int code = out->status;
				const char *reason = out->reason;
				size_t rlen = out->reason_len;
				if (parse_status(v, vlen, out) < 0)
					return fail(err, CGIRESP_E_STATUS);
				if (out->status != code)
					return fail(err, CGIRESP_E_NPH_STATUS);
				out->reason = reason;
				out->reason_len = rlen;
				nph_line = false; /* a third one is repeated */
				continue;
			}
			if (status_seen || parse_status(v, vlen, out) < 0)
				return fail(err, CGIRESP_E_STATUS);
			status_seen = true;
			continue;
		}
		if (out->nheaders == CGIRESP_MAX_HEADERS)
			return fail(err, CGIRESP_E_TOOBIG);
		struct cgiresp_header *h = &out->headers[out->nheaders++];
		h->name = line;
		h->name_len = name_len;
		h->value = v;
		h->value_len = vlen;
		if (hdrlist_ieq(line, name_len, "content-type"))
			out->has_content_type = true;
		else if (hdrlist_ieq(line, name_len, "location"))
			out->has_location = true;
	}
}

/* A bounded appender into the caller's buffer. */
struct out {
	char *buf;
	size_t size, len;
	bool full;
	size_t need; /* bytes the whole text takes, written or not */
};

static void put(struct out *o, const char *s, size_t n)
{
	o->need += n;
	if (n == 0)
		return;
	if (o->full || n > o->size - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_header(struct out *o, const char *name, size_t nlen,
		       const char *value, size_t vlen)
{
	put(o, name, nlen);
	put(o, ": ", 2);
	put(o, value, vlen);
	put(o, "\r\n", 2);
}

/* Calls fn(token) for each non-empty element of a Vary value. Returns
 * true as soon as fn does. */
typedef bool (*token_fn)(const char *t, size_t n, void *ctx);

static bool each_token(const char *s, size_t len, token_fn fn, void *ctx)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (s[i] == ',' || is_ows(s[i])))
			i++;
		size_t start = i;
		while (i < len && s[i] != ',')
			i++;
		size_t end = i;
		while (end > start && is_ows(s[end - 1]))
			end--;
		if (end > start && fn(s + start, end - start, ctx))
			return true;
	}
	return false;
}

static bool is_star(const char *t, size_t n, void *ctx)
{
	(void)ctx;
	return n == 1 && t[0] == '*';
}

struct find {
	const char *t;
	size_t n;
};

static bool same_token(const char *t, size_t n, void *ctx)
{
	const struct find *f = ctx;
	const struct hdrlist_elem e = {f->t, f->n};
	return hdrlist_contains(&e, 1, t, n);
}

struct emit {
	struct out *o;
	bool first;
};

static bool emit_token(const char *t, size_t n, void *ctx)
{
	struct emit *e = ctx;
	if (!e->first)
		put(e->o, ", ", 2);
	put(e->o, t, n);
	e->first = false;
	return false;
}

/* Whether any Vary of the script holds token t. */
static bool script_varies_on(const struct cgiresp *r, const char *t, size_t n)
{
	struct find f = {t, n};
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct cgiresp_header *h = &r->headers[i];
		if (hdrlist_ieq(h->name, h->name_len, "vary") &&
		    each_token(h->value, h->value_len, same_token, &f))
			return true;
	}
	return false;
}

struct add_ctx {
	const struct cgiresp *r;
	struct emit *e;
};

static bool emit_if_new(const char *t, size_t n, void *ctx)
{
	struct add_ctx *a = ctx;
	if (!script_varies_on(a->r, t, n))
		emit_token(t, n, a->e);
	return false;
}

/* One Vary: the script's tokens in order, then those of add not among
 * them; "*" anywhere makes it "Vary: *". Nothing when both are empty. */
static void put_vary(struct out *o, const struct cgiresp *r,
		     const struct cgiresp_rewrite *rw)
{
	bool any = false, star = false;
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct cgiresp_header *h = &r->headers[i];
		if (!hdrlist_ieq(h->name, h->name_len, "vary"))
			continue;
		any = true;
		star =
		    star || each_token(h->value, h->value_len, is_star, NULL);
	}
	for (size_t i = 0; i < rw->nadd; i++) {
		const struct cors_header *h = &rw->add[i];
		if (strcmp(h->name, "Vary") != 0)
			continue;
		any = true;
		star =
		    star || each_token(h->value, h->value_len, is_star, NULL);
	}
	if (!any)
		return;
	if (star) {
		puts_(o, "Vary: *\r\n");
		return;
	}
	size_t mark = o->len, mark_need = o->need;
	puts_(o, "Vary: ");
	struct emit e = {o, true};
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct cgiresp_header *h = &r->headers[i];
		if (hdrlist_ieq(h->name, h->name_len, "vary"))
			each_token(h->value, h->value_len, emit_token, &e);
	}
	struct add_ctx a = {r, &e};
	for (size_t i = 0; i < rw->nadd; i++) {
		const struct cors_header *h = &rw->add[i];
		if (strcmp(h->name, "Vary") == 0)
			each_token(h->value, h->value_len, emit_if_new, &a);
	}
	if (e.first) { /* only empty Vary values: drop the header */
		o->len = mark;
		o->need = mark_need;
		return;
	}
	put(o, "\r\n", 2);
}

/* Writes the rewritten block into *o (o->need: the size it takes). */
static void write_block(const struct cgiresp *r,
			const struct cgiresp_rewrite *rw, struct out *o,
			bool *added_default)
{
	char code[4] = {(char)('0' + r->status / 100),
			(char)('0' + r->status / 10 % 10),
			(char)('0' + r->status % 10), '\0'};

	*added_default = false;
	puts_(o, "Status: ");
	puts_(o, code);
	if (r->reason) {
		put(o, " ", 1);
		put(o, r->reason, r->reason_len);
	} else if (cors_status_text(r->status)[0]) {
		put(o, " ", 1);
		puts_(o, cors_status_text(r->status));
	}
	put(o, "\r\n", 2);
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct cgiresp_header *h = &r->headers[i];
		if (rw->apply_cors &&
		    (hdrlist_iprefix(h->name, h->name_len, "access-control-") ||
		     hdrlist_ieq(h->name, h->name_len, "vary")))
			continue;
		put_header(o, h->name, h->name_len, h->value, h->value_len);
	}
	if (!r->has_content_type && rw->has_body && rw->default_content_type) {
		puts_(o, "Content-Type: ");
		puts_(o, rw->default_content_type);
		put(o, "\r\n", 2);
		*added_default = true;
	}
	if (rw->apply_cors) {
		for (size_t i = 0; i < rw->nadd; i++) {
			const struct cors_header *h = &rw->add[i];
			if (strcmp(h->name, "Vary") != 0)
				put_header(o, h->name, h->name_len, h->value,
					   h->value_len);
		}
		put_vary(o, r, rw);
	}
	put(o, "\r\n", 2);
}

long cgiresp_write(const struct cgiresp *r, const struct cgiresp_rewrite *rw,
		   char *out, size_t outsz, bool *added_default)
{
	struct out o = {out, outsz, 0, false, 0};
	write_block(r, rw, &o, added_default);
	return o.full ? -1 : (long)o.len;
}

size_t cgiresp_write_size(const struct cgiresp *r,
			  const struct cgiresp_rewrite *rw)
{
	struct out o = {NULL, 0, 0, false, 0};
	bool added;
	write_block(r, rw, &o, &added);
	return o.need;
}

/* ---- describing bad output --------------------------------------------- */

static const char *expected(enum cgiresp_err err, bool nph)
{
	switch (err) {
	case CGIRESP_E_NPH:
		return "expected an nph- script's status line, such as "
		       "\"HTTP/1.1 200 OK\"";
	case CGIRESP_E_NPH_STATUS:
		return "expected a Status header with the status line's code, "
		       "or none";
	case CGIRESP_E_STATUS:
		return "expected one \"Status: NNN reason\", NNN from 100 to "
		       "599";
	case CGIRESP_E_TOOBIG:
		return "expected the header block within 64 KiB and 128 lines";
	default:
		return nph ? "expected the status line, \"Name: value\" header "
			     "lines, then a blank line"
			   : "expected \"Name: value\" header lines (at least "
			     "Content-Type, Location or Status), then a blank "
			     "line";
	}
}

const char *cgiresp_describe(const char *buf, size_t len, size_t at,
			     enum cgiresp_err err, bool nph, char *out,
			     size_t size)
{
	static const char hex[] = "0123456789abcdef";
	struct out o = {out, size ? size - 1 : 0, 0, false, 0};
	size_t line = 1;

	if (size == 0)
		return out;
	if (at > len)
		at = len;
	for (size_t i = 0; i < at; i++)
		line += buf[i] == '\n';
	if (len == 0) {
		puts_(&o, "no output");
	} else {
		char num[24];
		size_t n = 0;
		char tmp[24];
		for (size_t v = line; v; v /= 10)
			tmp[n++] = (char)('0' + v % 10);
		for (size_t k = 0; k < n; k++)
			num[k] = tmp[n - 1 - k];
		puts_(&o, "line ");
		put(&o, num, n);
		puts_(&o, ": \"");
		size_t end =
		    len - at > CGIRESP_QUOTE_MAX ? at + CGIRESP_QUOTE_MAX : len;
		for (size_t i = at; i < end; i++) {
			unsigned char c = (unsigned char)buf[i];
			char e[4] = {'\\', 0, 0, 0};
			size_t el = 2;
			if (c == '\n')
				e[1] = 'n';
			else if (c == '\r')
				e[1] = 'r';
			else if (c == '\t')
				e[1] = 't';
			else if (c == '"' || c == '\\')
				e[1] = (char)c;
			else if (c < 0x20 || c > 0x7e) {
				e[1] = 'x';
				e[2] = hex[c >> 4];
				e[3] = hex[c & 15];
				el = 4;
			} else {
				e[0] = (char)c;
				el = 1;
			}
			if (o.len + el + 8 > o.size) { /* room for "...\"" */
				end = i;
				o.full = true;
				break;
			}
			put(&o, e, el);
		}
		bool cut = end < len || o.full;
		o.full = false;
		puts_(&o, cut ? "...\"" : "\"");
	}
	puts_(&o, "; ");
	puts_(&o, expected(err, nph));
	if (o.full) /* cut at the buffer's end */
		o.full = false;
	out[o.len] = '\0';
	return out;
}
