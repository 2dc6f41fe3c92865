/* test_fcgidirect.c - an answer sent without libfcgi, over a socket pair:
 * the request's records consumed to the byte (the next request's left),
 * the answer as STDOUT records of the request's id (several when it is
 * longer than what is kept in memory), then the empty STDOUT and
 * END_REQUEST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fcgidirect.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the records from fd until END_REQUEST of id: the STDOUT content
 * into out (returns its length), how many STDOUT records carried it, and
 * whether the empty STDOUT came before END_REQUEST. */
static size_t read_answer(int fd, unsigned id, unsigned char *out, size_t outsz,
			  int *records, int *ended)
{
	unsigned char h[8], c[65536 + 256];
	size_t len = 0;

	*records = 0;
	*ended = 0;
	for (;;) {
		assert_int_equal(recv(fd, h, 8, MSG_WAITALL), 8);
		size_t clen = (size_t)h[4] << 8 | h[5], pad = h[6];
		assert_int_equal(h[0], 1);
		assert_int_equal((unsigned)h[2] << 8 | h[3], id);
		if (clen + pad)
			assert_int_equal(recv(fd, c, clen + pad, MSG_WAITALL),
					 (ssize_t)(clen + pad));
		if (h[1] == 6 && clen) {
			assert_true(len + clen <= outsz);
			memcpy(out + len, c, clen);
			len += clen;
			(*records)++;
		} else if (h[1] == 6) {
			*ended = 1;
		} else {
			assert_int_equal(h[1], 3);
			assert_int_equal(clen, 8);
			assert_int_equal(c[4], 0); /* FCGI_REQUEST_COMPLETE */
			return len;
		}
	}
}

/* n bytes answered, kept in keep_size bytes: want_records STDOUT
 * records. */
static void answer_of(size_t n, size_t keep_size, int want_records)
{
	static struct fcgidirect d;
	static unsigned char body[100000], got[100000], scratch[4096],
	    keep[FCGIDIRECT_OUT + 64];
	int sv[2], records, ended;
	struct request_io io;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	for (size_t i = 0; i < n; i++)
		body[i] = (unsigned char)('a' + i % 26);
	/* the request (100 bytes), then the next one's first bytes */
	memset(scratch, 'r', 100);
	memcpy(scratch + 100, "NEXT", 4);
	assert_int_equal(send(sv[1], scratch, 104, 0), 104);
	fcgidirect_begin(&d, sv[0], 513, now_ms() + 10000, keep, keep_size);
	io = fcgidirect_io(&d);
	assert_int_equal(io.read(io.ctx, (char *)scratch, 10), 0); /* no body */
	assert_false(fcgidirect_written(&d));
	/* in pieces of 1000 bytes */
	for (size_t off = 0; off < n; off += 1000)
		assert_int_equal(io.write(io.ctx, (const char *)body + off,
					  n - off < 1000 ? n - off : 1000),
				 0);
	assert_int_equal(fcgidirect_written(&d), n > 0);
	assert_int_equal(fcgidirect_finish(&d, 100), 0);
	assert_int_equal(
	    read_answer(sv[1], 513, got, sizeof(got), &records, &ended), n);
	assert_memory_equal(got, body, n);
	assert_int_equal(records, want_records);
	assert_true(ended);
	/* exactly the request was consumed */
	assert_int_equal(recv(sv[0], scratch, sizeof(scratch), MSG_DONTWAIT),
			 4);
	assert_memory_equal(scratch, "NEXT", 4);
	close(sv[0]);
	close(sv[1]);
}

static void test_fcgidirect_answers(void **state)
{
	(void)state;
	size_t big = FCGIDIRECT_OUT + 64, small = FCGIDIRECT_MIN_BUF;
	size_t small_room = small - 32;
	answer_of(0, big, 0);
	answer_of(300, big, 1);
	answer_of(FCGIDIRECT_OUT, big, 1);
	answer_of(FCGIDIRECT_OUT + 1, big, 2);
	answer_of(3 * FCGIDIRECT_OUT + 5, big, 4);
	/* kept in less memory: more records */
	answer_of(small_room, small, 1);
	answer_of(small_room + 1, small, 2);
	answer_of(5 * small_room, small, 5);
}

/* The peer gone: the answer fails, said so, no signal. */
static void test_fcgidirect_peer_gone(void **state)
{
	static struct fcgidirect d;
	static unsigned char keep[FCGIDIRECT_MIN_BUF];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(send(sv[1], "12345678", 8, 0), 8);
	close(sv[1]);
	fcgidirect_begin(&d, sv[0], 1, now_ms() + 10000, keep, sizeof(keep));
	struct request_io io = fcgidirect_io(&d);
	assert_int_equal(io.write(io.ctx, "x", 1), 0);
	assert_int_equal(fcgidirect_finish(&d, 8), -1);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fcgidirect_answers),
	    cmocka_unit_test(test_fcgidirect_peer_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
