/* fcgiwire.c - FastCGI record checks on bytes. See fcgiwire.h. */
#include "fcgiwire.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *fcgiwire_type_name(unsigned type)
{
	static const char *const names[] = {
	    "type 0",
	    "BEGIN_REQUEST",
	    "ABORT_REQUEST",
	    "END_REQUEST",
	    "PARAMS",
	    "STDIN",
	    "STDOUT",
	    "STDERR",
	    "DATA",
	    "GET_VALUES",
	    "GET_VALUES_RESULT",
	    "UNKNOWN_TYPE",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type]
						       : "an unknown type";
}

/* The name-value pairs of a params stream, fed in pieces. */
struct pairs {
	int state; /* 0: name length, 1: value length, 2: data */
	unsigned char lb[4];
	int lbn;	 /* bytes of the current length read */
	uint32_t len[2]; /* name, value */
	uint64_t data;	 /* bytes of name + value still to skip */
	uint64_t total;	 /* names + values so far */
	size_t count;	 /* pairs whose lengths have been read */
};

static uint32_t long_len(const unsigned char *s)
{
	return ((uint32_t)(s[0] & 0x7f) << 24) | ((uint32_t)s[1] << 16) |
	       ((uint32_t)s[2] << 8) | s[3];
}

/* Returns 0, or -1 when the pairs exceed max bytes. */
static int pairs_feed(struct pairs *p, const unsigned char *s, size_t n,
		      uint64_t max)
{
	while (n > 0) {
		/* fast path: a whole pair's lengths at hand (the usual case:
		 * a web server sends each pair in one piece) */
		if (p->state == 0 && p->lbn == 0 && n >= 8) {
			uint32_t len[2];
			size_t k = 0;
			for (int j = 0; j < 2; j++) {
				if (s[k] & 0x80) {
					len[j] = long_len(s + k);
					k += 4;
				} else {
					len[j] = s[k++];
				}
			}
			uint64_t data = (uint64_t)len[0] + len[1];
			p->total += data;
			p->count++;
			if (p->total > max)
				return -1;
			s += k;
			n -= k;
			if (data <= n) {
				s += data;
				n -= (size_t)data;
			} else {
				p->data = data - n;
				p->state = 2;
				n = 0;
			}
			continue;
		}
		if (p->state == 2) {
			size_t k = p->data < n ? (size_t)p->data : n;
			p->data -= k;
			s += k;
			n -= k;
			if (p->data == 0)
				p->state = 0;
			continue;
		}
		p->lb[p->lbn++] = *s++;
		n--;
		if (p->lbn == 1 && !(p->lb[0] & 0x80))
			p->len[p->state] = p->lb[0];
		else if (p->lbn == 4)
			p->len[p->state] = long_len(p->lb);
		else
			continue;
		p->lbn = 0;
		if (p->state == 0) {
			p->state = 1;
			continue;
		}
		p->data = (uint64_t)p->len[0] + p->len[1];
		p->total += p->data;
		p->count++;
		if (p->total > max)
			return -1;
		p->state = p->data ? 2 : 0;
	}
	return 0;
}

/* BEGIN_REQUEST's body, whole in h[8..16). */
static enum fcgiwire_result check_begin(const unsigned char *h, char *why,
					size_t whysz)
{
	unsigned role = (unsigned)h[8] << 8 | h[9];

	if (role == FCGIWIRE_ROLE_AUTHORIZER || role == FCGIWIRE_ROLE_FILTER) {
		snprintf(why, whysz,
			 "FastCGI role %s not supported: corsgate is a "
			 "RESPONDER",
			 role == FCGIWIRE_ROLE_FILTER ? "FILTER"
						      : "AUTHORIZER");
		return FCGIWIRE_BAD;
	}
	if (role != FCGIWIRE_ROLE_RESPONDER) {
		snprintf(why, whysz, "unknown FastCGI role %u", role);
		return FCGIWIRE_BAD;
	}
	return FCGIWIRE_READY;
}

enum fcgiwire_result fcgiwire_check(const unsigned char *b, size_t n,
				    size_t params_max,
				    struct fcgiwire_preamble *out, char *why,
				    size_t whysz)
{
	struct pairs pp;
	size_t off = 0, recs = 0;
	unsigned id = 0;
	bool begun = false, keep = false, plain = true;

	memset(&pp, 0, sizeof(pp));
	for (;;) {
		const unsigned char *h = b + off;
		unsigned type, rid, clen, pad;
		size_t end, avail;

		if (n - off < FCGIWIRE_HDR_LEN)
			return FCGIWIRE_MORE;
		type = h[1];
		rid = (unsigned)h[2] << 8 | h[3];
		clen = (unsigned)h[4] << 8 | h[5];
		pad = h[6];
		end = off + FCGIWIRE_HDR_LEN + clen + pad;
		if (h[0] != FCGIWIRE_V1) {
			snprintf(why, whysz,
				 "malformed FastCGI record (version %u, type "
				 "%u)",
				 h[0], type);
			return FCGIWIRE_BAD;
		}
		if (rid == 0 || (begun && rid != id)) {
			/* management records, other request ids: libfcgi
			 * answers or skips them */
			if (end > n)
				return FCGIWIRE_MORE;
			plain = false;
			off = end;
			continue;
		}
		if (!begun) {
			if (type != FCGIWIRE_BEGIN_REQUEST || clen != 8) {
				snprintf(why, whysz,
					 "malformed FastCGI request: %s record "
					 "(%u bytes) where BEGIN_REQUEST was "
					 "expected",
					 fcgiwire_type_name(type), clen);
				return FCGIWIRE_BAD;
			}
			if (pad != 0) {
				snprintf(why, whysz,
					 "malformed FastCGI request: "
					 "BEGIN_REQUEST with %u bytes of "
					 "padding (libfcgi would lose the "
					 "params)",
					 pad);
				return FCGIWIRE_BAD;
			}
			if (n - off < FCGIWIRE_HDR_LEN + 8)
				return FCGIWIRE_MORE;
			if (check_begin(h, why, whysz) != FCGIWIRE_READY)
				return FCGIWIRE_BAD;
			begun = true;
			id = rid;
			keep = (h[10] & 1) != 0;
			off = end;
			continue;
		}
		if (type != FCGIWIRE_PARAMS) {
			snprintf(why, whysz,
				 "malformed FastCGI request: %s record before "
				 "the end of PARAMS",
				 fcgiwire_type_name(type));
			return FCGIWIRE_BAD;
		}
		recs++;
		avail = n - off - FCGIWIRE_HDR_LEN;
		if (avail > clen)
			avail = clen;
		if (pairs_feed(&pp, h + FCGIWIRE_HDR_LEN, avail, params_max) <
		    0) {
			snprintf(why, whysz,
				 "params block larger than %zu bytes",
				 params_max);
			return FCGIWIRE_BAD;
		}
		if (clen == 0) {
			if (pp.state != 0 || pp.lbn != 0) {
				snprintf(
				    why, whysz,
				    "malformed FastCGI request: params end "
				    "inside a name-value pair");
				return FCGIWIRE_BAD;
			}
			if (end > n)
				return FCGIWIRE_MORE;
			out->len = end;
			out->id = id;
			out->keep_conn = keep;
			out->params_len = (size_t)pp.total;
			out->params_pairs = pp.count;
			out->plain = plain;
			out->params_recs = recs;
			return FCGIWIRE_READY;
		}
		if (end > n) {
			/* the rest of this record's content is fed when
			 * more has arrived: the check starts over then */
			return FCGIWIRE_MORE;
		}
		off = end;
	}
}

size_t fcgiwire_params_size(const struct fcgiwire_preamble *pre)
{
	return pre->len + pre->params_len + 2 * pre->params_pairs;
}

/* A pair's length at s (1 or 4 bytes); advances *k. */
static uint32_t pair_len(const unsigned char *s, size_t *k)
{
	if (s[*k] & 0x80) {
		uint32_t l = long_len(s + *k);
		*k += 4;
		return l;
	}
	return s[(*k)++];
}

void fcgiwire_params(const unsigned char *b,
		     const struct fcgiwire_preamble *pre, char *out, char **env)
{
	/* the PARAMS records' contents, gathered after the strings */
	unsigned char *g =
	    (unsigned char *)out + pre->params_len + 2 * pre->params_pairs;
	size_t glen = 0, off = 0;

	while (off + FCGIWIRE_HDR_LEN <= pre->len) {
		const unsigned char *h = b + off;
		unsigned rid = (unsigned)h[2] << 8 | h[3];
		size_t clen = (size_t)h[4] << 8 | h[5];
		if (h[1] == FCGIWIRE_PARAMS && rid == pre->id) {
			memcpy(g + glen, h + FCGIWIRE_HDR_LEN, clen);
			glen += clen;
		}
		off += FCGIWIRE_HDR_LEN + clen + h[6];
	}
	size_t k = 0;
	for (size_t i = 0; i < pre->params_pairs; i++) {
		uint32_t nl = pair_len(g, &k);
		uint32_t vl = pair_len(g, &k);
		env[i] = out;
		memcpy(out, g + k, nl);
		out += nl;
		*out++ = '=';
		memcpy(out, g + k + nl, vl);
		out += vl;
		*out++ = '\0';
		k += (size_t)nl + vl;
	}
}

bool fcgiwire_is_stdin_end(const unsigned char *b, size_t n, unsigned id)
{
	return n >= FCGIWIRE_HDR_LEN && b[0] == FCGIWIRE_V1 &&
	       b[1] == FCGIWIRE_STDIN && ((unsigned)b[2] << 8 | b[3]) == id &&
	       b[4] == 0 && b[5] == 0 && b[6] == 0;
}

static void put_header(unsigned char *h, unsigned type, unsigned id,
		       size_t clen)
{
	h[0] = FCGIWIRE_V1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(clen >> 8);
	h[5] = (unsigned char)clen;
	h[6] = 0;
	h[7] = 0;
}

void fcgiwire_stdout_header(unsigned id, size_t len, unsigned char *out)
{
	put_header(out, FCGIWIRE_STDOUT, id, len);
}

void fcgiwire_end(unsigned id, unsigned char *out)
{
	put_header(out, FCGIWIRE_STDOUT, id, 0);
	put_header(out + FCGIWIRE_HDR_LEN, FCGIWIRE_END_REQUEST, id, 8);
	memset(out + (size_t)2 * FCGIWIRE_HDR_LEN, 0, 8); /* app status 0, COMPLETE */
}
