/* fcgidirect.h - a FastCGI request answered without libfcgi.
 *
 * A request with no body whose records are all in the worker's peek
 * window (BEGIN_REQUEST, its PARAMS, its empty STDIN) is served from
 * there: its params are copied out of the window (fcgiwire_params), the
 * gateway writes its answer through fcgidirect's request_io into memory,
 * and fcgidirect_finish() consumes the request's records and sends the
 * answer as STDOUT records, the empty STDOUT and END_REQUEST, in one
 * send(2) when it fits 16 KiB. A preflight, a refusal or the status page
 * costs one recv(2) and one send(2) beyond the peek, and no allocation:
 * the answer is kept in the peek window.
 *
 * Nothing is consumed before fcgidirect_finish(): when the gateway runs
 * a script instead, the front hands the connection to libfcgi, which reads
 * the same records from the socket (worker.c).
 */
#ifndef CORSGATE_FCGIDIRECT_H
#define CORSGATE_FCGIDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fcgiwire.h"
#include "request.h"

/* STDOUT bytes kept in memory at most before they are sent on. */
#define FCGIDIRECT_OUT ((size_t)16 * 1024)
/* The least memory an answer may be kept in. */
#define FCGIDIRECT_MIN_BUF ((size_t)4 * FCGIWIRE_HDR_LEN + 1024)

struct fcgidirect {
	int fd;
	unsigned id;
	int64_t deadline; /* CLOCK_MONOTONIC ms: every send is done by then */
	bool failed;	  /* a send failed: the connection is lost */
	bool sent;	  /* STDOUT went out already */
	/* a STDOUT header, up to room bytes of it, the closing records */
	unsigned char *out;
	size_t room;
	size_t len; /* STDOUT bytes at out + FCGIWIRE_HDR_LEN */
	/* what buf has beyond them: where the request's records are read
	 * to be discarded */
	unsigned char *spare;
	size_t spare_len;
};

/* Starts the answer to request id on connected socket fd, kept in
 * buf[0..bufsz) (at least FCGIDIRECT_MIN_BUF bytes; the worker lends its
 * peek window, free once the params are copied out of it). */
void fcgidirect_begin(struct fcgidirect *d, int fd, unsigned id,
		      int64_t deadline, unsigned char *buf, size_t bufsz);

/* The request's streams: the body is empty (read returns 0), the answer
 * goes to d. No flush, no error stream, no abort: a front that needs
 * them hands the request to libfcgi first. */
struct request_io fcgidirect_io(struct fcgidirect *d);

/* Whether anything was written through d yet. */
bool fcgidirect_written(const struct fcgidirect *d);

/* Consumes the request's first consume bytes from the socket (all of
 * them peeked before: they are there), then sends what is left of the
 * answer, the empty STDOUT and END_REQUEST. Returns 0, or -1 when the
 * connection failed (close it). */
int fcgidirect_finish(struct fcgidirect *d, size_t consume);

#endif
