/* curlcmd.c - a "Copy as cURL" paste into the request it makes. See
 * curlcmd.h. Pure: no I/O, no allocation; every loop is bounded by the
 * input's length and the limits in curlcmd.h.
 */
#include "curlcmd.h"

#include <string.h>

#include "hdrlist.h"

const char *curlcmd_strerror(enum curlcmd_err err)
{
	switch (err) {
	case CURLCMD_OK:
		return "ok";
	case CURLCMD_E_EMPTY:
		return "the paste is empty";
	case CURLCMD_E_TOOLONG:
		return "the paste is over 1 MiB";
	case CURLCMD_E_TOOMANY:
		return "the paste has over 1024 words";
	case CURLCMD_E_NUL:
		return "a NUL byte: no header, URL or shell word can hold one";
	case CURLCMD_E_QUOTE:
		return "a quote opened here is never closed (was the paste cut "
		       "short?)";
	case CURLCMD_E_EXPANSION:
		return "a shell expansion ($VAR, ${...}, $(...) or `...`): "
		       "DevTools never writes one; quote it or expand it "
		       "yourself";
	case CURLCMD_E_OPERATOR:
		return "a shell operator (; | & < > ( )): paste one curl "
		       "command, nothing around it";
	case CURLCMD_E_NEWLINE:
		return "a line break without '\\' before it: that starts a "
		       "second command; paste one curl command";
	case CURLCMD_E_NOTCURL:
		return "the paste must start with curl (DevTools: Copy as "
		       "cURL (bash))";
	case CURLCMD_E_NOVALUE:
		return "the option needs a value";
	case CURLCMD_E_HEADER:
		return "expected a header 'Name: value' on one line, Name a "
		       "token";
	case CURLCMD_E_HEADERLONG:
		return "a header over 8 KiB: web servers refuse it (nginx "
		       "answers 400), the browser's request never gets to "
		       "CORS";
	case CURLCMD_E_TOOMANYHDRS:
		return "over 128 headers";
	case CURLCMD_E_FILE:
		return "headers read from a file (@FILE): paste them instead";
	case CURLCMD_E_NOURL:
		return "no URL";
	case CURLCMD_E_TWOURLS:
		return "a second URL (a browser request has one)";
	case CURLCMD_E_URL:
		return "the URL must be http:// or https://, a host, then the "
		       "path";
	case CURLCMD_E_METHOD:
		return "-X needs a method";
	}
	return "unknown error";
}

/* ---- splitting: bash's quoting ------------------------------------- */

static void where_at(const char *text, size_t pos, struct curlcmd_where *w)
{
	int line = 1, col = 1;

	if (!w)
		return;
	for (size_t i = 0; i < pos; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	w->line = line;
	w->col = col;
	w->word = NULL;
	w->word_len = 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether text[i] ends a line: LF, or CR LF. *skip gets its length. */
static bool at_eol(const char *text, size_t len, size_t i, size_t *skip)
{
	if (text[i] == '\n') {
		*skip = 1;
		return true;
	}
	if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') {
		*skip = 2;
		return true;
	}
	return false;
}

/* Whether '$' followed by c starts an expansion in bash. */
static bool expands(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '{' || c == '(' ||
	       c == '@' || c == '*' || c == '#' || c == '?' || c == '$' ||
	       c == '!' || c == '-';
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

/* Appends code point cp as UTF-8. */
static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | ((cp >> 18) & 0x07));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes the $'...' string starting after "$'" at text[*ip] into o.
 * Returns the bytes written, or -1 (unclosed: *ip is left alone) or -2 (a
 * NUL byte: *ip at its escape). The output never outgrows the input. */
static long ansi_c(const char *text, size_t len, size_t *ip, char *o)
{
	size_t i = *ip;
	size_t w = 0;

	while (i < len && text[i] != '\'') {
		if (text[i] != '\\' || i + 1 >= len) {
			o[w++] = text[i++];
			continue;
		}
		size_t esc = i;
		char c = text[i + 1];
		unsigned long v = 0;
		int maxd = 0, base = 0;
		i += 2;
		switch (c) {
		case 'a':
			v = 7;
			break;
		case 'b':
			v = 8;
			break;
		case 'e':
		case 'E':
			v = 27;
			break;
		case 'f':
			v = 12;
			break;
		case 'n':
			v = 10;
			break;
		case 'r':
			v = 13;
			break;
		case 't':
			v = 9;
			break;
		case 'v':
			v = 11;
			break;
		case '\\':
		case '\'':
		case '"':
		case '?':
			v = (unsigned char)c;
			break;
		case 'x':
			base = 16;
			maxd = 2;
			break;
		case 'u':
			base = 16;
			maxd = 4;
			break;
		case 'U':
			base = 16;
			maxd = 8;
			break;
		case 'c':
			if (i < len) {
				v = (unsigned char)text[i++] & 0x1f;
				break;
			}
			o[w++] = '\\';
			o[w++] = 'c';
			continue;
		default:
			if (c >= '0' && c <= '7') {
				base = 8;
				maxd = 3;
				i--; /* the first digit */
				break;
			}
			o[w++] = '\\';
			o[w++] = c;
			continue;
		}
		if (base) {
			int nd = 0;
			while (nd < maxd && i < len) {
				int d = base == 8
					    ? (text[i] >= '0' && text[i] <= '7'
						   ? text[i] - '0'
						   : -1)
					    : hexval(text[i]);
				if (d < 0)
					break;
				v = v * (unsigned long)base + (unsigned long)d;
				nd++;
				i++;
			}
			if (nd == 0) { /* "\x" alone stays as written */
				o[w++] = '\\';
				o[w++] = c;
				continue;
			}
			if (v > 0x10ffff)
				v = 0xfffd;
		}
		if (v == 0) {
			*ip = esc;
			return -2;
		}
		if (c == 'u' || c == 'U')
			w += put_utf8(o + w, v);
		else
			o[w++] = (char)(v & 0xff);
	}
	if (i >= len)
		return -1;
	*ip = i + 1;
	return (long)w;
}

enum curlcmd_err curlcmd_split(const char *text, size_t len, char *arena,
			       size_t arenasz, const char **words, size_t max,
			       size_t *n, struct curlcmd_where *where)
{
	size_t i = 0, w = 0, nw = 0, skip = 0;
	bool in_word = false, newline_seen = false;
	enum curlcmd_err err = CURLCMD_OK;
	size_t err_at = 0;

	*n = 0;
	if (len > CURLCMD_MAX_INPUT) {
		where_at(text, 0, where);
		return CURLCMD_E_TOOLONG;
	}
	if (arenasz < len + 1) {
		where_at(text, 0, where);
		return CURLCMD_E_TOOLONG;
	}
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		where_at(text, (size_t)(nul - text), where);
		return CURLCMD_E_NUL;
	}
	while (i < len) {
		char c = text[i];
		if (!in_word) {
			if (is_blank(c) ||
			    (c == '\r' && !at_eol(text, len, i, &skip))) {
				i++;
				continue;
			}
			if (at_eol(text, len, i, &skip)) {
				if (nw)
					newline_seen = true;
				i += skip;
				continue;
			}
			if (c == '\\' && i + 1 < len &&
			    at_eol(text, len, i + 1, &skip)) {
				i += 1 + skip;
				continue;
			}
			if (c == '#') {
				while (i < len && text[i] != '\n')
					i++;
				continue;
			}
			if (newline_seen) {
				err = CURLCMD_E_NEWLINE;
				err_at = i;
				goto fail;
			}
			if (nw == max) {
				err = CURLCMD_E_TOOMANY;
				err_at = i;
				goto fail;
			}
			words[nw++] = arena + w;
			in_word = true;
		}
		if (is_blank(c) || at_eol(text, len, i, &skip)) {
			arena[w++] = '\0';
			in_word = false;
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= len) {
				arena[w++] = c;
				i++;
			} else if (at_eol(text, len, i + 1, &skip)) {
				i += 1 + skip;
			} else {
				arena[w++] = text[i + 1];
				i += 2;
			}
			continue;
		}
		if (c == '\'') {
			const char *q = memchr(text + i + 1, '\'', len - i - 1);
			if (!q) {
				err = CURLCMD_E_QUOTE;
				err_at = i;
				goto fail;
			}
			size_t k = (size_t)(q - (text + i + 1));
			memcpy(arena + w, text + i + 1, k);
			w += k;
			i += k + 2;
			continue;
		}
		if (c == '$' && i + 1 < len && text[i + 1] == '\'') {
			size_t j = i + 2;
			long k = ansi_c(text, len, &j, arena + w);
			if (k < 0) {
				err = k == -1 ? CURLCMD_E_QUOTE : CURLCMD_E_NUL;
				err_at = k == -1 ? i : j;
				goto fail;
			}
			w += (size_t)k;
			i = j;
			continue;
		}
		if (c == '$' && i + 1 < len && text[i + 1] == '"') {
			i++; /* $"...": a translated string, read as "..." */
			c = '"';
		}
		if (c == '"') {
			size_t open = i;
			i++;
			while (i < len && text[i] != '"') {
				char d = text[i];
				if (d == '\\' && i + 1 < len) {
					char e = text[i + 1];
					if (at_eol(text, len, i + 1, &skip)) {
						i += 1 + skip;
						continue;
					}
					if (e == '$' || e == '`' || e == '"' ||
					    e == '\\') {
						arena[w++] = e;
						i += 2;
						continue;
					}
				}
				if (d == '`' || (d == '$' && i + 1 < len &&
						 expands(text[i + 1]))) {
					err = CURLCMD_E_EXPANSION;
					err_at = i;
					goto fail;
				}
				arena[w++] = d;
				i++;
			}
			if (i >= len) {
				err = CURLCMD_E_QUOTE;
				err_at = open;
				goto fail;
			}
			i++;
			continue;
		}
		if (c == '`' ||
		    (c == '$' && i + 1 < len && expands(text[i + 1]))) {
			err = CURLCMD_E_EXPANSION;
			err_at = i;
			goto fail;
		}
		if (strchr(";|&<>()", c)) {
			err = CURLCMD_E_OPERATOR;
			err_at = i;
			goto fail;
		}
		arena[w++] = c;
		i++;
	}
	if (in_word)
		arena[w++] = '\0';
	if (!nw) {
		where_at(text, len, where);
		return CURLCMD_E_EMPTY;
	}
	*n = nw;
	return CURLCMD_OK;
fail:
	where_at(text, err_at, where);
	return err;
}

/* ---- curl's command line ------------------------------------------- */

enum opt {
	O_IGNORE,     /* a flag, or an option whose value is skipped */
	O_METHOD,     /* -X */
	O_HEADER,     /* -H */
	O_DATA,	      /* -d and the other --data* */
	O_DATA_RAW,   /* --data-raw: no @file */
	O_JSON,	      /* --json */
	O_FORM,	      /* -F */
	O_UPLOAD,     /* -T */
	O_GET,	      /* -G */
	O_HEAD,	      /* -I */
	O_COOKIE,     /* -b */
	O_USER,	      /* -u, --oauth2-bearer: HTTP credentials */
	O_RANGE,      /* -r */
	O_USER_AGENT, /* -A */
	O_REFERER,    /* -e */
	O_URL,	      /* --url */
};

struct optdef {
	const char *name; /* long name without "--" */
	enum opt what;
	char shortname; /* 0: none */
	bool value;	/* takes a value */
};

static const struct optdef opts[] = {
    {"request", O_METHOD, 'X', true},
    {"header", O_HEADER, 'H', true},
    {"data", O_DATA, 'd', true},
    {"data-ascii", O_DATA, 0, true},
    {"data-binary", O_DATA, 0, true},
    {"data-urlencode", O_DATA, 0, true},
    {"data-raw", O_DATA_RAW, 0, true},
    {"json", O_JSON, 0, true},
    {"form", O_FORM, 'F', true},
    {"form-string", O_FORM, 0, true},
    {"upload-file", O_UPLOAD, 'T', true},
    {"get", O_GET, 'G', false},
    {"head", O_HEAD, 'I', false},
    {"cookie", O_COOKIE, 'b', true},
    {"user", O_USER, 'u', true},
    {"oauth2-bearer", O_USER, 0, true},
    {"range", O_RANGE, 'r', true},
    {"user-agent", O_USER_AGENT, 'A', true},
    {"referer", O_REFERER, 'e', true},
    {"url", O_URL, 0, true},
    /* accepted and ignored, with their value */
    {"output", O_IGNORE, 'o', true},
    {"max-time", O_IGNORE, 'm', true},
    {"connect-timeout", O_IGNORE, 0, true},
    {"proxy", O_IGNORE, 'x', true},
    {"proxy-user", O_IGNORE, 'U', true},
    {"proxy-header", O_IGNORE, 0, true},
    {"write-out", O_IGNORE, 'w', true},
    {"resolve", O_IGNORE, 0, true},
    {"connect-to", O_IGNORE, 0, true},
    {"cacert", O_IGNORE, 0, true},
    {"capath", O_IGNORE, 0, true},
    {"cert", O_IGNORE, 'E', true},
    {"cert-type", O_IGNORE, 0, true},
    {"key", O_IGNORE, 0, true},
    {"key-type", O_IGNORE, 0, true},
    {"pass", O_IGNORE, 0, true},
    {"ciphers", O_IGNORE, 0, true},
    {"retry", O_IGNORE, 0, true},
    {"retry-delay", O_IGNORE, 0, true},
    {"retry-max-time", O_IGNORE, 0, true},
    {"limit-rate", O_IGNORE, 0, true},
    {"cookie-jar", O_IGNORE, 'c', true},
    {"dump-header", O_IGNORE, 'D', true},
    {"interface", O_IGNORE, 0, true},
    {"max-redirs", O_IGNORE, 0, true},
    {"speed-time", O_IGNORE, 'y', true},
    {"speed-limit", O_IGNORE, 'Y', true},
    {"time-cond", O_IGNORE, 'z', true},
    {"config", O_IGNORE, 'K', true},
    {"continue-at", O_IGNORE, 'C', true},
    {"quote", O_IGNORE, 'Q', true},
    {"ftp-port", O_IGNORE, 'P', true},
    {"telnet-option", O_IGNORE, 't', true},
    {"trace", O_IGNORE, 0, true},
    {"trace-ascii", O_IGNORE, 0, true},
    {"stderr", O_IGNORE, 0, true},
    {"local-port", O_IGNORE, 0, true},
    {"dns-servers", O_IGNORE, 0, true},
    {"noproxy", O_IGNORE, 0, true},
    {"unix-socket", O_IGNORE, 0, true},
    {"abstract-unix-socket", O_IGNORE, 0, true},
    {"max-filesize", O_IGNORE, 0, true},
    {"expect100-timeout", O_IGNORE, 0, true},
    {"keepalive-time", O_IGNORE, 0, true},
    {"tls-max", O_IGNORE, 0, true},
    {"aws-sigv4", O_IGNORE, 0, true},
    {"request-target", O_IGNORE, 0, true},
    {"url-query", O_IGNORE, 0, true},
    {"variable", O_IGNORE, 0, true},
    {"output-dir", O_IGNORE, 0, true},
    {"netrc-file", O_IGNORE, 0, true},
    {"pinnedpubkey", O_IGNORE, 0, true},
    {"proto", O_IGNORE, 0, true},
    {"proto-redir", O_IGNORE, 0, true},
    {"preproxy", O_IGNORE, 0, true},
    {"socks5", O_IGNORE, 0, true},
    {"socks5-hostname", O_IGNORE, 0, true},
    {"happy-eyeballs-timeout-ms", O_IGNORE, 0, true},
    {"crlfile", O_IGNORE, 0, true},
    {"hsts", O_IGNORE, 0, true},
    {"alt-svc", O_IGNORE, 0, true},
};

static const struct optdef *find_long(const char *name)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

static const struct optdef *find_short(char c)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].shortname == c)
			return &opts[i];
	return NULL;
}

static struct curlcmd_str view(const char *s)
{
	struct curlcmd_str v = {s, strlen(s)};
	return v;
}

static bool ieq_prefix(const char *s, size_t len, const char *lit)
{
	return hdrlist_iprefix(s, len, lit);
}

enum curlcmd_err curlcmd_url(const char *url, size_t len,
			     struct curlcmd_req *out)
{
	size_t skip;

	if (len > CURLCMD_MAX_URL)
		return CURLCMD_E_URL;
	if (len && url[0] == '/') { /* a path alone (explain's own PATH) */
		out->scheme.s = NULL;
		out->scheme.len = 0;
		out->host.s = NULL;
		out->host.len = 0;
		skip = 0;
	} else if (ieq_prefix(url, len, "https://")) {
		out->scheme.s = "https";
		out->scheme.len = 5;
		skip = 8;
	} else if (ieq_prefix(url, len, "http://")) {
		out->scheme.s = "http";
		out->scheme.len = 4;
		skip = 7;
	} else {
		return CURLCMD_E_URL;
	}
	size_t i = skip;
	if (skip) {
		while (i < len && url[i] != '/' && url[i] != '?' &&
		       url[i] != '#')
			i++;
		if (i == skip)
			return CURLCMD_E_URL;
		out->host.s = url + skip;
		out->host.len = i - skip;
		for (size_t k = skip; k < i; k++)
			if ((unsigned char)url[k] <= ' ' || url[k] == 0x7f)
				return CURLCMD_E_URL;
	}
	size_t end = i;
	while (end < len && url[end] != '#')
		end++;
	for (size_t k = i; k < end; k++)
		if ((unsigned char)url[k] < ' ' || url[k] == 0x7f)
			return CURLCMD_E_URL;
	size_t q = i;
	while (q < end && url[q] != '?')
		q++;
	if (q == i) {
		out->path.s = "/";
		out->path.len = 1;
	} else {
		out->path.s = url + i;
		out->path.len = q - i;
	}
	out->query.s = q < end ? url + q + 1 : NULL;
	out->query.len = q < end ? end - q - 1 : 0;
	out->url.s = url;
	out->url.len = end;
	return CURLCMD_OK;
}

/* Adds the -H value h as a header. */
static enum curlcmd_err add_header(struct curlcmd_req *r, const char *h)
{
	size_t nlen;
	const char *v;

	if (!h)
		return CURLCMD_E_NOVALUE;
	size_t len = strlen(h);
	const char *colon = strchr(h, ':');
	const char *semi = strchr(h, ';');
	if (h[0] == '@')
		return CURLCMD_E_FILE;
	if (len > CURLCMD_MAX_HEADER)
		return CURLCMD_E_HEADERLONG;
	if (colon) {
		nlen = (size_t)(colon - h);
		v = colon + 1;
	} else if (semi && semi[1] == '\0') {
		nlen = (size_t)(semi - h); /* curl: "Name;" sends it empty */
		v = semi + 1;
	} else {
		return CURLCMD_E_HEADER;
	}
	if (!hdrlist_is_token(h, nlen))
		return CURLCMD_E_HEADER;
	while (is_blank(*v))
		v++;
	size_t vlen = strlen(v);
	while (vlen && is_blank(v[vlen - 1]))
		vlen--;
	for (size_t k = 0; k < vlen; k++) {
		unsigned char c = (unsigned char)v[k];
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return CURLCMD_E_HEADER;
	}
	if (colon && vlen == 0 && !strchr(colon, ';') && colon[1] == '\0')
		return CURLCMD_OK; /* curl: "Name:" removes a header */
	if (r->nheaders == CURLCMD_MAX_HEADERS)
		return CURLCMD_E_TOOMANYHDRS;
	struct curlcmd_header *o = &r->headers[r->nheaders++];
	o->name.s = h;
	o->name.len = nlen;
	o->value.s = v;
	o->value.len = vlen;
	return CURLCMD_OK;
}

static enum curlcmd_err add_fixed(struct curlcmd_req *r, const char *name,
				  const char *value, size_t vlen)
{
	if (vlen + strlen(name) + 2 > CURLCMD_MAX_HEADER)
		return CURLCMD_E_HEADERLONG;
	if (r->nheaders == CURLCMD_MAX_HEADERS)
		return CURLCMD_E_TOOMANYHDRS;
	struct curlcmd_header *o = &r->headers[r->nheaders++];
	o->name = view(name);
	o->value.s = value;
	o->value.len = vlen;
	return CURLCMD_OK;
}

static enum curlcmd_err take(struct curlcmd_req *r, const struct optdef *d,
			     const char *v)
{
	if (d->value && !v)
		return CURLCMD_E_NOVALUE;
	size_t vlen = v ? strlen(v) : 0;

	switch (d->what) {
	case O_IGNORE:
		r->nignored++;
		return CURLCMD_OK;
	case O_METHOD:
		if (!vlen)
			return CURLCMD_E_METHOD;
		r->method.s = v;
		r->method.len = vlen;
		return CURLCMD_OK;
	case O_HEADER:
		return add_header(r, v);
	case O_DATA:
	case O_DATA_RAW:
	case O_JSON:
	case O_FORM:
	case O_UPLOAD:
		if (r->data && d->what != O_FORM && d->what != O_UPLOAD)
			r->data_len++; /* curl joins them with '&' */
		r->data = true;
		r->data_len += vlen;
		if (d->what == O_JSON)
			r->json = true;
		if (d->what == O_FORM)
			r->form = true;
		if (d->what == O_UPLOAD)
			r->method_implied_put = true;
		else
			r->method_implied_post = true;
		return CURLCMD_OK;
	case O_GET:
		r->get_data = true;
		return CURLCMD_OK;
	case O_HEAD:
		r->method_implied_head = true;
		return CURLCMD_OK;
	case O_COOKIE:
		r->cookie.s = v;
		r->cookie.len = vlen;
		return CURLCMD_OK;
	case O_USER:
		r->user.s = v;
		r->user.len = vlen;
		return CURLCMD_OK;
	case O_RANGE:
		if (!v)
			return CURLCMD_E_NOVALUE;
		if (vlen + 6 >= sizeof(r->range_value))
			return CURLCMD_E_HEADERLONG;
		memcpy(r->range_value, "bytes=", 6);
		memcpy(r->range_value + 6, v, vlen + 1);
		return add_fixed(r, "Range", r->range_value, vlen + 6);
	case O_USER_AGENT:
		return add_fixed(r, "User-Agent", v, vlen);
	case O_REFERER:
		return add_fixed(r, "Referer", v, vlen);
	case O_URL:
		break;
	}
	if (r->url.s)
		return CURLCMD_E_TWOURLS;
	return curlcmd_url(v, vlen, r);
}

static bool is_curl(const char *w)
{
	const char *base = strrchr(w, '/');
	base = base ? base + 1 : w;
	return strcmp(base, "curl") == 0 || strcmp(base, "curl.exe") == 0;
}

enum curlcmd_err curlcmd_parse(const char *const *words, size_t n,
			       struct curlcmd_req *out,
			       struct curlcmd_where *where)
{
	static const struct optdef url_opt = {"url", O_URL, 0, true};
	enum curlcmd_err err = CURLCMD_OK;
	size_t i = 1;
	const char *at = NULL;

	memset(out, 0, sizeof(*out));
	if (where)
		memset(where, 0, sizeof(*where));
	if (n == 0 || !is_curl(words[0])) {
		at = n ? words[0] : NULL;
		err = CURLCMD_E_NOTCURL;
		goto fail;
	}
	if (n > CURLCMD_MAX_WORDS) {
		err = CURLCMD_E_TOOMANY;
		goto fail;
	}
	for (; i < n; i++) {
		const char *w = words[i];
		at = w;
		if (w[0] == '-' && w[1] == '-' && w[2]) {
			const struct optdef *d = find_long(w + 2);
			if (!d) {
				out->nignored++; /* a flag curl knows */
				continue;
			}
			if (d->value && i + 1 >= n) {
				err = CURLCMD_E_NOVALUE;
				goto fail;
			}
			err = take(out, d, d->value ? words[++i] : NULL);
			if (err) {
				at = d->value ? words[i] : w;
				goto fail;
			}
			continue;
		}
		if (w[0] == '-' && w[1]) {
			/* a bundle: -sSk, -XPUT, -sH 'a: b' */
			for (size_t j = 1; w[j]; j++) {
				const struct optdef *d = find_short(w[j]);
				if (!d || !d->value) {
					if (d)
						err = take(out, d, NULL);
					else
						out->nignored++;
					if (err)
						goto fail;
					continue;
				}
				const char *v = w + j + 1;
				if (!*v) {
					if (i + 1 >= n) {
						err = CURLCMD_E_NOVALUE;
						goto fail;
					}
					v = words[++i];
				}
				err = take(out, d, v);
				if (err) {
					at = v;
					goto fail;
				}
				break;
			}
			continue;
		}
		err = take(out, &url_opt, w);
		if (err)
			goto fail;
	}
	if (!out->url.s) {
		at = NULL;
		err = CURLCMD_E_NOURL;
		goto fail;
	}
	return CURLCMD_OK;
fail:
	if (where && at) {
		where->word = at;
		where->word_len = strlen(at);
	}
	return err;
}
