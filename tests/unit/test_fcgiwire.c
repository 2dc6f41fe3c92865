/* test_fcgiwire.c - the FastCGI record checks on bytes.
 *
 * One table, one row per case, hostile rows included. A row's bytes are
 * written in a small notation, built by build() below:
 *   b        BEGIN_REQUEST, id 1, role RESPONDER (b2/b3/b9: role 2, 3, 9;
 *            bk: FCGI_KEEP_CONN; bp: 8 bytes of padding; b#7: id 7;
 *            bl: 9 bytes of content)
 *   p:N=V    a PARAMS record of id 1 with one pair (N=V; "\0" in V is a
 *            NUL byte: write it as '~')
 *   P        the empty PARAMS record (id 1)
 *   s        an empty STDIN record (id 1)
 *   m        a management record (GET_VALUES, id 0, 8 bytes)
 *   o        a PARAMS record of another id (2)
 *   vN       a record of version N
 *   L:N      a PARAMS record whose only pair claims a name of N bytes
 *            (4-byte length) and no value, none of the bytes following
 *   h        a PARAMS record holding only the first byte of a 4-byte
 *            length, then nothing
 *   x:N      N PARAMS records, each with the pair a=b
 *   big:N    one PARAMS record of N bytes holding one pair (k, N-6 x)
 *   cut:N    the bytes so far, less the last N
 * Every row is also fed one byte short of its end and must then ask for
 * more (or already fail the same way).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fcgiwire.h"

#define MAXB (300 * 1024)
#define PMAX (64 * 1024)

static unsigned char bytes[MAXB];

static size_t rec(size_t n, unsigned ver, unsigned type, unsigned id,
		  const unsigned char *c, size_t clen, unsigned pad)
{
	unsigned char *h = bytes + n;
	h[0] = (unsigned char)ver;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(clen >> 8);
	h[5] = (unsigned char)clen;
	h[6] = (unsigned char)pad;
	h[7] = 0;
	if (clen)
		memcpy(h + 8, c, clen);
	memset(h + 8 + clen, 0, pad);
	return n + 8 + clen + pad;
}

static size_t pair(unsigned char *out, const char *nv)
{
	const char *eq = strchr(nv, '=');
	size_t nl = (size_t)(eq - nv), vl = strlen(eq + 1), k = 0;
	out[k++] = (unsigned char)nl;
	out[k++] = (unsigned char)vl;
	memcpy(out + k, nv, nl);
	k += nl;
	for (size_t i = 0; i < vl; i++)
		out[k++] = eq[1 + i] == '~' ? '\0' : (unsigned char)eq[1 + i];
	return k;
}

/* Builds spec into bytes[]; returns the length. */
static size_t build(const char *spec)
{
	static unsigned char c[70000];
	char tok[256];
	size_t n = 0;
	const char *s = spec;

	while (*s) {
		size_t tl = strcspn(s, " ");
		snprintf(tok, sizeof(tok), "%.*s", (int)tl, s);
		s += tl;
		while (*s == ' ')
			s++;
		if (tok[0] == 'b' && tok[1] != 'i') {
			unsigned role = 1, id = 1, pad = 0, flags = 0;
			size_t len = 8;
			if (tok[1] >= '0' && tok[1] <= '9')
				role = (unsigned)(tok[1] - '0');
			if (tok[1] == 'k')
				flags = 1;
			if (tok[1] == 'p')
				pad = 8;
			if (tok[1] == '#')
				id = (unsigned)atoi(tok + 2);
			if (tok[1] == 'l')
				len = 9;
			memset(c, 0, 16);
			c[0] = (unsigned char)(role >> 8);
			c[1] = (unsigned char)role;
			c[2] = (unsigned char)flags;
			n = rec(n, 1, FCGIWIRE_BEGIN_REQUEST, id, c, len, pad);
		} else if (strncmp(tok, "p:", 2) == 0) {
			n = rec(n, 1, FCGIWIRE_PARAMS, 1, c, pair(c, tok + 2),
				0);
		} else if (strcmp(tok, "P") == 0) {
			n = rec(n, 1, FCGIWIRE_PARAMS, 1, NULL, 0, 0);
		} else if (strcmp(tok, "s") == 0) {
			n = rec(n, 1, FCGIWIRE_STDIN, 1, NULL, 0, 0);
		} else if (strcmp(tok, "m") == 0) {
			memset(c, 0, 8);
			n = rec(n, 1, 9, 0, c, 8, 0);
		} else if (strcmp(tok, "o") == 0) {
			n = rec(n, 1, FCGIWIRE_PARAMS, 2, c, pair(c, "a=b"), 0);
		} else if (tok[0] == 'v') {
			n = rec(n, (unsigned)atoi(tok + 1), FCGIWIRE_PARAMS, 1,
				NULL, 0, 0);
		} else if (strncmp(tok, "L:", 2) == 0) {
			unsigned long l = strtoul(tok + 2, NULL, 0);
			c[0] = (unsigned char)(0x80 | (l >> 24));
			c[1] = (unsigned char)(l >> 16);
			c[2] = (unsigned char)(l >> 8);
			c[3] = (unsigned char)l;
			c[4] = 0;
			n = rec(n, 1, FCGIWIRE_PARAMS, 1, c, 5, 0);
		} else if (strcmp(tok, "h") == 0) {
			c[0] = 0x80;
			n = rec(n, 1, FCGIWIRE_PARAMS, 1, c, 1, 0);
		} else if (strncmp(tok, "x:", 2) == 0) {
			long k = atol(tok + 2);
			for (long i = 0; i < k; i++)
				n = rec(n, 1, FCGIWIRE_PARAMS, 1, c,
					pair(c, "a=b"), 0);
		} else if (strncmp(tok, "big:", 4) == 0) {
			size_t len = (size_t)atol(tok + 4), v = len - 6;
			c[0] = 1;
			c[1] = (unsigned char)(0x80 | (v >> 24));
			c[2] = (unsigned char)(v >> 16);
			c[3] = (unsigned char)(v >> 8);
			c[4] = (unsigned char)v;
			c[5] = 'k';
			memset(c + 6, 'x', v);
			n = rec(n, 1, FCGIWIRE_PARAMS, 1, c, len, 0);
		} else if (strncmp(tok, "cut:", 4) == 0) {
			n -= (size_t)atol(tok + 4);
		} else {
			fail_msg("bad token %s", tok);
		}
	}
	return n;
}

struct row {
	const char *spec;
	enum fcgiwire_result want;
	const char *why; /* FCGIWIRE_BAD: a part of the reason */
	size_t recs;	 /* FCGIWIRE_READY: PARAMS records; 0: not checked */
	long pairs;	 /* FCGIWIRE_READY: name-value pairs; -1: not checked */
	long bytes;	 /* FCGIWIRE_READY: their names' and values' bytes */
};

static const struct row rows[] = {
    /* sound */
    {"b p:REQUEST_METHOD=GET P", FCGIWIRE_READY, NULL, 2, 1, 17},
    {"bk p:A=1 p:B=2 P s", FCGIWIRE_READY, NULL, 3, 2, 4},
    {"m b p:A=1 P", FCGIWIRE_READY, NULL, 2, 1, 2},
    {"b o p:A=1 o P", FCGIWIRE_READY, NULL, 2, 1, 2},
    {"b P", FCGIWIRE_READY, NULL, 1, 0, 0},
    {"b#7 P", FCGIWIRE_MORE, NULL, 0, -1, -1}, /* P is id 1: skipped */
    {"b x:10000 P", FCGIWIRE_READY, NULL, 10001, 10000, 20000},
    {"b big:60000 P", FCGIWIRE_READY, NULL, 2, 1, 59995},
    /* D9: a NUL inside a value counts as a byte like any other: the
     * worker finds it by comparing with libfcgi's strings */
    {"b p:HTTP_ORIGIN=http://x.com~.evil.net P", FCGIWIRE_READY, NULL, 2, 1,
     33},
    {"b p:A=~ P", FCGIWIRE_READY, NULL, 2, 1, 2},
    /* incomplete */
    {"", FCGIWIRE_MORE, NULL, 0, -1, -1},
    {"b", FCGIWIRE_MORE, NULL, 0, -1, -1},
    {"b p:A=1", FCGIWIRE_MORE, NULL, 0, -1, -1},
    {"b p:A=1 cut:3", FCGIWIRE_MORE, NULL, 0, -1, -1},
    {"b h", FCGIWIRE_MORE, NULL, 0, -1, -1},
    {"m", FCGIWIRE_MORE, NULL, 0, -1, -1},
    /* hostile */
    {"v0", FCGIWIRE_BAD, "version 0", 0, -1, -1},
    {"v2 b P", FCGIWIRE_BAD, "version 2", 0, -1, -1},
    {"b v0", FCGIWIRE_BAD, "version 0", 0, -1, -1},
    {"p:A=1 P", FCGIWIRE_BAD, "where BEGIN_REQUEST was expected", 0, -1, -1},
    {"s", FCGIWIRE_BAD, "STDIN record", 0, -1, -1},
    {"bl P", FCGIWIRE_BAD, "(9 bytes)", 0, -1, -1},
    {"b2 P", FCGIWIRE_BAD, "AUTHORIZER", 0, -1, -1},
    {"b3 P", FCGIWIRE_BAD, "FILTER", 0, -1, -1},
    {"b9 P", FCGIWIRE_BAD, "unknown FastCGI role 9", 0, -1, -1},
    {"b0 P", FCGIWIRE_BAD, "unknown FastCGI role 0", 0, -1, -1},
    /* D11: libfcgi loses the params after a padded BEGIN_REQUEST */
    {"bp p:A=1 P", FCGIWIRE_BAD, "padding", 0, -1, -1},
    /* nested BEGIN_REQUEST */
    {"b b P", FCGIWIRE_BAD, "BEGIN_REQUEST record before the end of PARAMS", 0,
     -1, -1},
    {"b s", FCGIWIRE_BAD, "STDIN record before the end of PARAMS", 0, -1, -1},
    /* lengths out of bounds */
    {"b L:0x7fffffff", FCGIWIRE_BAD, "params block larger than", 0, -1, -1},
    {"b L:65537", FCGIWIRE_BAD, "params block larger than", 0, -1, -1},
    {"b big:60000 big:10000 P", FCGIWIRE_BAD, "params block larger than", 0, -1,
     -1},
    /* the params end inside a pair */
    {"b L:3 P", FCGIWIRE_BAD, "inside a name-value pair", 0, -1, -1},
    {"b h P", FCGIWIRE_BAD, "inside a name-value pair", 0, -1, -1},
};

static void check_row(const struct row *r, size_t i, int *bad)
{
	struct fcgiwire_preamble pre;
	char why[256] = "";
	size_t n = build(r->spec);
	enum fcgiwire_result got =
	    fcgiwire_check(bytes, n, PMAX, &pre, why, sizeof(why));
	bool ok = got == r->want;

	if (ok && got == FCGIWIRE_BAD)
		ok = strstr(why, r->why) != NULL;
	if (ok && got == FCGIWIRE_READY)
		ok = pre.len == n - (strstr(r->spec, " s") ? 8 : 0) &&
		     (r->pairs < 0 || (pre.params_pairs == (size_t)r->pairs &&
				       pre.params_len == (size_t)r->bytes)) &&
		     (r->recs == 0 || pre.params_recs == r->recs) && pre.id &&
		     pre.keep_conn == (strncmp(r->spec, "bk", 2) == 0);
	if (ok && n > 0) {
		/* one byte short: more is needed, or the same failure */
		enum fcgiwire_result part =
		    fcgiwire_check(bytes, n - 1, PMAX, &pre, why, sizeof(why));
		ok = got == FCGIWIRE_BAD ? part != FCGIWIRE_READY
		     : (r->want == FCGIWIRE_READY && strstr(r->spec, " s"))
			 ? part == FCGIWIRE_READY
			 : part == FCGIWIRE_MORE;
	}
	if (!ok) {
		print_message("row %zu '%s': got %d (%s), want %d\n", i,
			      r->spec, (int)got, why, (int)r->want);
		(*bad)++;
	}
}

static void test_fcgiwire_check_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i], i, &bad);
	assert_int_equal(bad, 0);
}

/* Fed in every split, a sound preamble is never refused and is ready
 * only once whole. */
static void test_fcgiwire_check_every_prefix(void **state)
{
	struct fcgiwire_preamble pre;
	char why[256];
	size_t n =
	    build("m b p:REQUEST_METHOD=GET o p:HTTP_ORIGIN=http://x.com "
		  "big:300 P");

	(void)state;
	for (size_t k = 0; k < n; k++)
		assert_int_equal(
		    fcgiwire_check(bytes, k, PMAX, &pre, why, sizeof(why)),
		    FCGIWIRE_MORE);
	assert_int_equal(fcgiwire_check(bytes, n, PMAX, &pre, why, sizeof(why)),
			 FCGIWIRE_READY);
	assert_int_equal(pre.len, n);
}

/* The params copied out of the records: pairs split anywhere across
 * PARAMS records (a length, a 4-byte length, a name, a value), records of
 * other ids and management records skipped, a NUL byte kept; plain only
 * without those. */
static void test_fcgiwire_params_copied(void **state)
{
	static const unsigned char pairs[] = {
	    4, 3,    'A', 'B', 'C', 'D', 'x', 'y', 'z', /* ABCD=xyz */
	    1, 0x80, 0,	  0,   200, 'L',		/* L=200 x */
	};
	unsigned char v[200 + 6], c[8] = {0, 1, 0, 0, 0, 0, 0, 0};
	struct fcgiwire_preamble pre;
	char why[256], out[4096], *env[4];
	size_t n;

	(void)state;
	memset(v, 'x', 200);
	memcpy(v + 200, "\x02\x02" "ab" "\x00" "c", 6); /* ab=<NUL>c */
	/* split: [4] [3 A B] [C D x y z 1 0x80] [0 0 200 L] [x...] [rest] */
	n = rec(0, 1, 1, 1, c, 8, 0);
	n = rec(n, 1, 4, 1, pairs, 1, 0);
	n = rec(n, 1, 4, 1, pairs + 1, 3, 3);
	n = rec(n, 1, 4, 2, pairs, 4, 0); /* another id: skipped */
	n = rec(n, 1, 4, 1, pairs + 4, 7, 1);
	n = rec(n, 1, 4, 1, pairs + 11, 4, 0);
	n = rec(n, 1, 4, 1, v, 150, 2);
	n = rec(n, 1, 4, 1, v + 150, 56, 0);
	n = rec(n, 1, 4, 1, NULL, 0, 0);
	size_t end = n;
	n = rec(n, 1, 5, 1, NULL, 0, 0);
	assert_int_equal(fcgiwire_check(bytes, n, PMAX, &pre, why, sizeof(why)),
			 FCGIWIRE_READY);
	assert_int_equal(pre.len, end);
	assert_int_equal(pre.params_pairs, 3);
	assert_int_equal(pre.params_len, 7 + 201 + 4);
	assert_false(pre.plain); /* the record of id 2 */
	assert_true(fcgiwire_is_stdin_end(bytes + end, n - end, 1));
	assert_false(fcgiwire_is_stdin_end(bytes + end, n - end - 1, 1));
	assert_false(fcgiwire_is_stdin_end(bytes + end, n - end, 2));
	assert_true(fcgiwire_params_size(&pre) <= sizeof(out));
	fcgiwire_params(bytes, &pre, out, env);
	assert_string_equal(env[0], "ABCD=xyz");
	assert_int_equal(strlen(env[1]), 202);
	assert_memory_equal(env[1], "L=xxxxx", 7);
	assert_int_equal(env[1][201], 'x');
	assert_int_equal(strlen(env[2]), 3); /* "ab=" then the NUL */
	assert_memory_equal(env[2], "ab=\0c", 6);

	n = build("b p:REQUEST_METHOD=GET P s");
	assert_int_equal(fcgiwire_check(bytes, n, PMAX, &pre, why, sizeof(why)),
			 FCGIWIRE_READY);
	assert_true(pre.plain);
	n = build("m b p:REQUEST_METHOD=GET P s");
	assert_int_equal(fcgiwire_check(bytes, n, PMAX, &pre, why, sizeof(why)),
			 FCGIWIRE_READY);
	assert_false(pre.plain);
}

/* The records that carry an answer. */
static void test_fcgiwire_answer_records(void **state)
{
	unsigned char h[8], e[24];
	static const unsigned char want_h[8] = {1,    6,    0x12, 0x34,
						0xff, 0xff, 0,	  0};
	static const unsigned char want_e[24] = {1, 6, 0, 7, 0, 0, 0, 0,
						 1, 3, 0, 7, 0, 8, 0, 0,
						 0, 0, 0, 0, 0, 0, 0, 0};

	(void)state;
	fcgiwire_stdout_header(0x1234, 65535, h);
	assert_memory_equal(h, want_h, 8);
	fcgiwire_end(7, e);
	assert_memory_equal(e, want_e, 24);
}

static void test_fcgiwire_type_names(void **state)
{
	(void)state;
	assert_string_equal(fcgiwire_type_name(1), "BEGIN_REQUEST");
	assert_string_equal(fcgiwire_type_name(11), "UNKNOWN_TYPE");
	assert_string_equal(fcgiwire_type_name(200), "an unknown type");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fcgiwire_check_table),
	    cmocka_unit_test(test_fcgiwire_check_every_prefix),
	    cmocka_unit_test(test_fcgiwire_params_copied),
	    cmocka_unit_test(test_fcgiwire_answer_records),
	    cmocka_unit_test(test_fcgiwire_type_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
