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
	bool nul;	 /* a NUL byte in a name or value */
};

/* A pair's data: skipped, NUL bytes noted. */
static void skip_data(struct pairs *p, const unsigned char *s, size_t k)
{
	if (!p->nul && k > 0 && memchr(s, '\0', k) != NULL)
		p->nul = true;
}

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
			if (p->total > max)
				return -1;
			s += k;
			n -= k;
			if (data <= n) {
				skip_data(p, s, (size_t)data);
				s += data;
				n -= (size_t)data;
			} else {
				skip_data(p, s, n);
				p->data = data - n;
				p->state = 2;
				n = 0;
			}
			continue;
		}
		if (p->state == 2) {
			size_t k = p->data < n ? (size_t)p->data : n;
			skip_data(p, s, k);
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
	bool begun = false, keep = false;

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
			out->nul = pp.nul;
			out->params_len = (size_t)pp.total;
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
