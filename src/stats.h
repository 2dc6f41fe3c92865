/* stats.h - counters shared by every worker of every generation, and the
 * status page that shows them (plain text, JSON, OpenMetrics).
 *
 * The master maps one shared anonymous region (stats_init) before it forks
 * any worker: every worker, of every generation, counts into the same
 * memory, which outlives a worker's death and a reload. Counting is one
 * relaxed atomic add: no lock on the request path. Before stats_init (CGI
 * mode, `corsgate explain`, the unit tests) every count is a no-op and
 * stats_enabled() is false.
 *
 * Gauges that belong to one process (connections being served, scripts
 * running) live in a per-worker slot, which the master clears when it reaps
 * the worker, so that a worker killed with SIGKILL leaves no phantom count.
 *
 * Rendering (stats_render) is pure: a snapshot in, bytes out.
 */
#ifndef CORSGATE_STATS_H
#define CORSGATE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cors.h"

/* Every counter; each is one (metric, label) pair of the status page. */
enum stats_counter {
	STATS_REQUESTS, /* every request, CORS or not */
	STATS_PREFLIGHT_ALLOWED,
	STATS_PREFLIGHT_REFUSED,
	STATS_CORS_ALLOWED, /* actual requests with Origin */
	STATS_CORS_REFUSED, /* refused, the script ran (no CORS headers) */
	STATS_CORS_BLOCKED, /* refused and answered 403 (block_disallowed) */
	/* refusals by reason: one per refusing enum cors_reason */
	STATS_REFUSAL_ORIGIN_INVALID,
	STATS_REFUSAL_ORIGIN_DENIED,
	STATS_REFUSAL_METHOD_INVALID,
	STATS_REFUSAL_METHOD_FORBIDDEN,
	STATS_REFUSAL_METHOD_DENIED,
	STATS_REFUSAL_HEADERS_INVALID,
	STATS_REFUSAL_HEADER_DENIED,
	STATS_REFUSAL_AUTHORIZATION,
	STATS_REFUSAL_PRIVATE_NETWORK,
	STATS_SCRIPT_RUNS, /* scripts started */
	/* script failures by reason */
	STATS_SCRIPT_FAIL_SPAWN,      /* could not be run: 502 */
	STATS_SCRIPT_FAIL_BAD_OUTPUT, /* bad header block: 502 */
	STATS_SCRIPT_FAIL_EARLY_END,  /* ended before its headers: 502 */
	STATS_SCRIPT_FAIL_TIMEOUT,    /* no answer in time: 504 */
	STATS_SCRIPT_FAIL_CUT,	      /* killed after its headers went out */
	STATS_SCRIPT_FAIL_KILLED,     /* died of a signal corsgate did not
					 send */
	/* responses by class */
	STATS_RESP_1XX,
	STATS_RESP_2XX,
	STATS_RESP_3XX,
	STATS_RESP_4XX,
	STATS_RESP_5XX,
	/* the master's */
	STATS_RELOAD_OK,
	STATS_RELOAD_FAILED,
	STATS_WORKER_RESTARTS, /* workers that died and were replaced */
	/* report-only comparisons: policy x script */
	STATS_REPORT_ALLOW_ALLOW,
	STATS_REPORT_ALLOW_REFUSE, /* the policy allows, the script refuses */
	STATS_REPORT_REFUSE_ALLOW, /* the policy refuses, the script allows */
	STATS_REPORT_REFUSE_REFUSE,
	STATS_N
};

/* Per-process gauges. */
enum stats_gauge {
	STATS_G_CONNECTIONS,
	STATS_G_SCRIPTS,
	STATS_G_N
};

/* What the status page shows, copied out of the shared region. */
struct stats_snapshot {
	uint64_t c[STATS_N];
	int64_t workers;     /* worker processes alive, all generations */
	int64_t connections; /* connections being served */
	int64_t scripts;     /* scripts running */
	int64_t generation;
	int64_t start_time;	  /* Unix seconds */
	int64_t policy_load_time; /* Unix seconds */
};

enum stats_format {
	STATS_TEXT,
	STATS_JSON,
	STATS_OPENMETRICS,
};

/* The Content-Type of a format's page. Static. */
const char *stats_content_type(enum stats_format f);

/* The format a status request's QUERY_STRING asks for: "json",
 * "openmetrics" (the name of its first '&'-separated element, with or
 * without "=value"), else STATS_TEXT. q may be NULL. Pure. */
enum stats_format stats_format_from_query(const char *q);

/* Maps the shared region and records the start time. The master calls it
 * once, before it forks a worker. Returns 0, or -1 (logged: the server
 * then runs without counters). */
int stats_init(void);

/* Whether stats_init succeeded in this process or its parent. */
bool stats_enabled(void);

/* Adds 1 to c (relaxed; a no-op without stats_init). Any thread. */
void stats_add(enum stats_counter c);

/* Counts a response of status in its class (1xx..5xx). */
void stats_response(int status);

/* Counts an enforced verdict: preflights, actual CORS requests (allowed,
 * refused, blocked) and the refusal's reason. NOT_CORS and DISABLED count
 * nothing. */
void stats_verdict(const struct cors_verdict *v);

/* The report-only counter for a (policy, script) pair. */
void stats_report(bool policy_allows, bool script_allows);

/* Adds delta to this process's gauge g (its worker slot). */
void stats_gauge(enum stats_gauge g, int delta);

/* The master: claims a free worker slot for a worker about to be forked.
 * Returns its index, or -1 when none is free (the worker's gauges then go
 * to a slot that is never cleared). */
int stats_slot_claim(void);

/* The master: slot (from stats_slot_claim) belongs to pid; -1 pid: the
 * fork failed, the slot is free again. */
void stats_slot_own(int slot, pid_t pid);

/* The master: worker pid is reaped: its slot's gauges are cleared. */
void stats_slot_release(pid_t pid);

/* A worker, first thing after fork: its gauges go to slot. */
void stats_slot_use(int slot);

/* The master: the current generation, and the time its policy loaded. */
void stats_set_generation(unsigned long gen);
void stats_policy_loaded(void);

/* Copies the shared figures into *s (zeros without stats_init). */
void stats_snapshot(struct stats_snapshot *s);

/* Renders s as format f into buf[0..size), NUL-terminated, truncated if
 * needed. Returns the length it wanted (like snprintf). Pure. */
size_t stats_render(const struct stats_snapshot *s, enum stats_format f,
		    char *buf, size_t size);

#endif
