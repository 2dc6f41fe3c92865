/* park.h - a worker's waiting room: connections whose request has not
 * arrived whole, watched by one thread until it has, so that a slow or
 * hostile peer holds a descriptor, never a connection thread.
 *
 * A connection thread that has waited PARK_AFTER_MS for a connection's
 * first records without getting them whole parks it and goes back to
 * serving. The waiting room watches every parked connection in one
 * edge-triggered epoll(7) set (more bytes, the peer's close) against its
 * deadline; one whose first records are complete and sound is queued for
 * the connection threads (park_ready_fd() is readable), any other is
 * closed with one log line: refused records, a close inside them, or the
 * deadline passed.
 *
 * A kept-alive connection waits here between two requests too, when a
 * new connection wants its thread (worker.c): idle connections then cost
 * a descriptor, and a new one is served instead of being left in the
 * listen backlog.
 */
#ifndef CORSGATE_PARK_H
#define CORSGATE_PARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds a connection thread waits for a request's first records
 * before it parks the connection: far longer than a web server takes to
 * write them after connecting, far shorter than a thread is worth. */
#define PARK_AFTER_MS 10
/* Connections a worker keeps waiting at most (fewer when the open-file
 * limit says so); beyond, a new one that stalls waits in its thread. */
#define PARK_MAX 4096

struct park;

/* Starts a waiting room for at most max connections (at most PARK_MAX)
 * and its thread. io_timeout: seconds, for log lines; params_max: as
 * fcgiwire_check()'s. Returns NULL (logged) when it cannot. */
struct park *park_open(size_t max, int io_timeout, size_t params_max);

/* Readable (POLLIN) while connections are ready for a thread. */
int park_ready_fd(const struct park *p);

/* Parks connection fd until its first records are whole, or deadline
 * (ms, CLOCK_MONOTONIC). bytes: what had arrived (for the log line).
 * idle: a kept-alive connection between two requests, parked so that its
 * thread can serve a connection that waits for one; it is closed without
 * a word when the peer closes it or at deadline, and once its next
 * request begins the rest is due within the I/O timeout. Returns 0 (the
 * waiting room owns fd), or -1 when it is full or failed (logged; fd is
 * still the caller's). */
int park_add(struct park *p, int fd, int64_t deadline, size_t bytes, bool idle);

/* An idle parked connection whose next request has not begun, taken
 * back (for a stopping worker to hand over or close); -1 when there is
 * none. */
int park_take_idle(struct park *p);

/* Connections parked or queued: those a stopping worker still serves
 * once their records are whole (or drops at their deadline). */
size_t park_pending(struct park *p);

/* A connection whose first records are whole and sound, for the caller
 * to serve; -1 when none is ready. */
int park_take(struct park *p);

/* Stops the thread and closes every connection still parked or queued
 * (none when the worker waited for park_pending() to reach 0). NULL is
 * accepted. */
void park_close(struct park *p);

#endif
