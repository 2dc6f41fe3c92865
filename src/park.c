/* park.c - a worker's waiting room. See park.h. */
#include "park.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fcgiwire.h"
#include "listen.h"
#include "log.h"

struct parked {
	int fd; /* -1: a free slot */
	int64_t deadline;
	size_t bytes; /* what had arrived when last looked at */
	bool idle;    /* kept-alive, its next request not begun */
};

struct park {
	size_t max; /* parked + queued at most */
	int io_timeout;
	size_t params_max;
	int ep;	   /* the parked connections, and stop */
	int ready; /* eventfd (semaphore): connections queued */
	int stop;  /* eventfd: the thread ends */
	pthread_t tid;
	pthread_mutex_t lock; /* slots, nslots, queue */
	struct parked slots[PARK_MAX];
	size_t nparked;
	int queue[PARK_MAX]; /* ready connections, a ring */
	size_t qhead, qlen;
	unsigned char *buf; /* the thread's peek window */
	size_t bufsz;
	atomic_llong last_full; /* last "full" log line, ms */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop(int fd, const char *why)
{
	if (why) {
		char peer[80];
		listen_describe_peer(fd, peer, sizeof(peer));
		log_error("closed a FastCGI connection%s: %s", peer, why);
	}
	shutdown(fd, SHUT_RDWR);
	close(fd);
}

/* Frees slot i (under lock). */
static void unpark(struct park *p, size_t i)
{
	epoll_ctl(p->ep, EPOLL_CTL_DEL, p->slots[i].fd, NULL);
	p->slots[i].fd = -1;
	p->nparked--;
}

/* Looks at slot i's bytes (under lock): ready, bad, or still waiting.
 * closed: the peer has closed its side. */
static void look(struct park *p, size_t i, bool closed)
{
	struct parked *s = &p->slots[i];
	struct fcgiwire_preamble pre;
	char why[256];
	ssize_t n = recv(s->fd, p->buf, p->bufsz, MSG_PEEK | MSG_DONTWAIT);
	int fd = s->fd;

	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return; /* nothing queued, not closed: wait on */
	if (n < 0 && errno == ECONNRESET && s->bytes == 0) {
		unpark(p, i); /* closed (reset) before sending anything */
		drop(fd, NULL);
		return;
	}
	if (n < 0) {
		snprintf(why, sizeof(why), "recv: %s", strerror(errno));
		unpark(p, i);
		drop(fd, why);
		return;
	}
	enum fcgiwire_result r = fcgiwire_check(
	    p->buf, (size_t)n, p->params_max, &pre, why, sizeof(why));
	if (r == FCGIWIRE_READY) {
		unpark(p, i);
		p->queue[(p->qhead + p->qlen++) % PARK_MAX] = fd;
		uint64_t one = 1;
		ssize_t w = write(p->ready, &one, sizeof(one));
		(void)w;
		return;
	}
	if (r == FCGIWIRE_MORE && (size_t)n >= p->bufsz) {
		snprintf(why, sizeof(why),
			 "request's first records larger than %zu bytes",
			 p->bufsz);
		r = FCGIWIRE_BAD;
	}
	if (r == FCGIWIRE_MORE && (closed || n == 0)) {
		if (n == 0) { /* closed before sending anything */
			unpark(p, i);
			drop(fd, NULL);
			return;
		}
		snprintf(why, sizeof(why),
			 "connection closed inside a request's first records "
			 "(%zd bytes)",
			 n);
		r = FCGIWIRE_BAD;
	}
	if (r == FCGIWIRE_BAD) {
		unpark(p, i);
		drop(fd, why);
		return;
	}
	if (s->idle && n > 0) {
		/* its next request has begun: due within the I/O timeout */
		int64_t due = now_ms() + (int64_t)p->io_timeout * 1000;
		s->idle = false;
		if (due < s->deadline)
			s->deadline = due;
	}
	s->bytes = (size_t)n;
}

/* Closes the connections whose deadline has passed (under lock); returns
 * the next deadline. */
static int64_t expire(struct park *p, int64_t now)
{
	int64_t next = now + 1000;
	char why[160];

	for (size_t i = 0; i < PARK_MAX && p->nparked; i++) {
		struct parked *s = &p->slots[i];
		if (s->fd < 0)
			continue;
		if (s->deadline > now) {
			if (s->deadline < next)
				next = s->deadline;
			continue;
		}
		int fd = s->fd;
		if (s->idle) {
			unpark(p, i);
			drop(fd, NULL); /* a kept-alive connection idled out */
			continue;
		}
		if (s->bytes)
			snprintf(why, sizeof(why),
				 "incomplete request after %d s (%zu bytes): "
				 "the peer stalled",
				 p->io_timeout, s->bytes);
		else
			snprintf(why, sizeof(why), "no request within %d s",
				 p->io_timeout);
		unpark(p, i);
		drop(fd, why);
	}
	return next;
}

static void *park_thread(void *arg)
{
	struct park *p = arg;
	struct epoll_event ev[64];

	for (;;) {
		pthread_mutex_lock(&p->lock);
		int64_t now = now_ms();
		int64_t next = expire(p, now);
		pthread_mutex_unlock(&p->lock);
		int n = epoll_wait(p->ep, ev, 64, (int)(next - now));
		if (n < 0 && errno != EINTR) {
			log_error("waiting room: epoll_wait: %s",
				  strerror(errno));
			break;
		}
		pthread_mutex_lock(&p->lock);
		for (int k = 0; k < n; k++) {
			size_t i = ev[k].data.u64;
			if (i == (size_t)-1) {
				pthread_mutex_unlock(&p->lock);
				return NULL;
			}
			if (i < PARK_MAX && p->slots[i].fd >= 0)
				look(p, i,
				     (ev[k].events &
				      (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
		}
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

struct park *park_open(size_t max, int io_timeout, size_t params_max)
{
	struct park *p = calloc(1, sizeof(*p));
	int err;

	if (p == NULL) {
		log_error("out of memory for the waiting room");
		return NULL;
	}
	p->max = max < PARK_MAX ? max : PARK_MAX;
	p->io_timeout = io_timeout;
	p->params_max = params_max;
	p->bufsz = params_max + (size_t)32 * 1024;
	p->buf = malloc(p->bufsz);
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	p->ready = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
	p->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (size_t i = 0; i < PARK_MAX; i++)
		p->slots[i].fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = (uint64_t)-1};
	if (p->buf == NULL || p->ep < 0 || p->ready < 0 || p->stop < 0 ||
	    epoll_ctl(p->ep, EPOLL_CTL_ADD, p->stop, &e) < 0) {
		log_error("waiting room: %s", strerror(errno));
		goto fail;
	}
	err = pthread_create(&p->tid, NULL, park_thread, p);
	if (err != 0) {
		log_error("waiting room: pthread_create: %s", strerror(err));
		goto fail;
	}
	return p;
fail:
	if (p->ep >= 0)
		close(p->ep);
	if (p->ready >= 0)
		close(p->ready);
	if (p->stop >= 0)
		close(p->stop);
	pthread_mutex_destroy(&p->lock);
	free(p->buf);
	free(p);
	return NULL;
}

int park_ready_fd(const struct park *p)
{
	return p->ready;
}

int park_add(struct park *p, int fd, int64_t deadline, size_t bytes, bool idle)
{
	int rc = -1;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < PARK_MAX && p->nparked + p->qlen < p->max; i++) {
		if (p->slots[i].fd >= 0)
			continue;
		struct epoll_event e = {
		    .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = i};
		p->slots[i] = (struct parked){fd, deadline, bytes, idle};
		p->nparked++;
		if (epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
			log_error("waiting room: epoll_ctl: %s",
				  strerror(errno));
			p->slots[i].fd = -1;
			p->nparked--;
			break;
		}
		rc = 0;
		break;
	}
	bool full = p->nparked + p->qlen >= p->max;
	pthread_mutex_unlock(&p->lock);
	if (rc < 0 && full) {
		int64_t now = now_ms();
		if (now - atomic_load(&p->last_full) > 10000) {
			atomic_store(&p->last_full, (long long)now);
			log_warn(
			    "%zu connections wait for their first records: "
			    "new ones that stall wait in their threads",
			    p->max);
		}
	}
	return rc;
}

size_t park_pending(struct park *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->nparked + p->qlen;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int park_take_idle(struct park *p)
{
	int fd = -1;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < PARK_MAX && p->nparked; i++) {
		if (p->slots[i].fd >= 0 && p->slots[i].idle) {
			fd = p->slots[i].fd;
			unpark(p, i);
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return fd;
}

int park_take(struct park *p)
{
	uint64_t one;
	int fd = -1;

	if (read(p->ready, &one, sizeof(one)) != (ssize_t)sizeof(one))
		return -1;
	pthread_mutex_lock(&p->lock);
	if (p->qlen) {
		fd = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % PARK_MAX;
		p->qlen--;
	}
	pthread_mutex_unlock(&p->lock);
	return fd;
}

void park_close(struct park *p)
{
	uint64_t one = 1;
	size_t left;

	if (p == NULL)
		return;
	ssize_t w = write(p->stop, &one, sizeof(one));
	(void)w;
	pthread_join(p->tid, NULL);
	left = p->nparked + p->qlen;
	for (size_t i = 0; i < PARK_MAX; i++)
		if (p->slots[i].fd >= 0)
			drop(p->slots[i].fd, NULL);
	while (p->qlen) {
		drop(p->queue[p->qhead], NULL);
		p->qhead = (p->qhead + 1) % PARK_MAX;
		p->qlen--;
	}
	if (left)
		log_debug("stopping: closed %zu connections whose request had "
			  "not arrived",
			  left);
	close(p->ep);
	close(p->ready);
	close(p->stop);
	pthread_mutex_destroy(&p->lock);
	free(p->buf);
	free(p);
}
