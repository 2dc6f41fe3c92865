/* fcgidirect.c - a FastCGI request answered without libfcgi. See
 * fcgidirect.h. */
#include "fcgidirect.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for ev, or d's deadline. Returns 0, or -1. */
static int wait_fd(struct fcgidirect *d, short ev)
{
	for (;;) {
		int64_t left = d->deadline - now_ms();
		struct pollfd p = {d->fd, ev, 0};
		if (left <= 0)
			return -1;
		int rc = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc > 0)
			return (p.revents & (POLLERR | POLLNVAL)) ? -1 : 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static int send_all(struct fcgidirect *d, const unsigned char *p, size_t n)
{
	while (n > 0 && !d->failed) {
		ssize_t k = send(d->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
		} else if (k < 0 && errno == EINTR) {
			continue;
		} else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(d, POLLOUT) < 0)
				d->failed = true;
		} else {
			d->failed = true;
		}
	}
	return d->failed ? -1 : 0;
}

/* Sends the STDOUT bytes in memory as one record. */
static int send_kept(struct fcgidirect *d)
{
	if (d->len == 0)
		return 0;
	fcgiwire_stdout_header(d->id, d->len, d->out);
	int rc = send_all(d, d->out, FCGIWIRE_HDR_LEN + d->len);
	d->len = 0;
	d->sent = true;
	return rc;
}

static long dio_read(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0; /* no body: its STDIN ended with the params */
}

static int dio_write(void *ctx, const char *buf, size_t n)
{
	struct fcgidirect *d = ctx;

	while (n > 0) {
		size_t room = d->room - d->len;
		if (room == 0 && send_kept(d) < 0)
			return -1;
		room = d->room - d->len;
		size_t k = n < room ? n : room;
		memcpy(d->out + FCGIWIRE_HDR_LEN + d->len, buf, k);
		d->len += k;
		buf += k;
		n -= k;
	}
	return d->failed ? -1 : 0;
}

void fcgidirect_begin(struct fcgidirect *d, int fd, unsigned id,
		      int64_t deadline, unsigned char *buf, size_t bufsz)
{
	size_t room = bufsz - (size_t)4 * FCGIWIRE_HDR_LEN;

	d->fd = fd;
	d->id = id;
	d->deadline = deadline;
	d->failed = false;
	d->sent = false;
	d->out = buf;
	d->room = room < FCGIDIRECT_OUT ? room : FCGIDIRECT_OUT;
	d->len = 0;
	d->spare = buf + d->room + (size_t)4 * FCGIWIRE_HDR_LEN;
	d->spare_len = bufsz - d->room - (size_t)4 * FCGIWIRE_HDR_LEN;
}

bool fcgidirect_written(const struct fcgidirect *d)
{
	return d->sent || d->len > 0;
}

struct request_io fcgidirect_io(struct fcgidirect *d)
{
	struct request_io io = {dio_read, dio_write, d,	 NULL,
				NULL,	  NULL,	     -1, NULL};
	return io;
}

int fcgidirect_finish(struct fcgidirect *d, size_t consume)
{
	/* the records are read into buf's spare part; a small buffer here
	 * when there is none (a 4 KiB one would be a resident page more on
	 * every connection thread's stack) */
	unsigned char small[512];
	unsigned char *sink = d->spare_len >= sizeof(small) ? d->spare : small;
	size_t sink_len =
	    d->spare_len >= sizeof(small) ? d->spare_len : sizeof(small);

	while (consume > 0 && !d->failed) {
		ssize_t k =
		    recv(d->fd, sink, consume < sink_len ? consume : sink_len,
			 MSG_DONTWAIT);
		if (k > 0)
			consume -= (size_t)k;
		else if (k < 0 && errno == EINTR)
			continue;
		else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			d->failed = wait_fd(d, POLLIN) < 0;
		else
			d->failed = true;
	}
	if (d->failed)
		return -1;
	/* the closing records after the kept bytes: one send */
	unsigned char *end = d->out + FCGIWIRE_HDR_LEN + d->len;
	fcgiwire_end(d->id, end);
	if (d->len == 0)
		return send_all(d, end, (size_t)3 * FCGIWIRE_HDR_LEN);
	fcgiwire_stdout_header(d->id, d->len, d->out);
	return send_all(d, d->out,
			FCGIWIRE_HDR_LEN + d->len +
			    (size_t)3 * FCGIWIRE_HDR_LEN);
}
