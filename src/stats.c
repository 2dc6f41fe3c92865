/* stats.c - counters shared by all workers; the status page. See stats.h. */
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "log.h"

/* Worker slots: more than the workers of two generations at the largest
 * worker count; the last one is for workers that found none free. */
#define SLOTS (2 * 256 + 1)

struct slot {
	_Atomic int pid; /* 0: free; -1: claimed, not forked yet */
	_Atomic int64_t g[STATS_G_N];
};

struct shared {
	_Atomic uint64_t c[STATS_N];
	_Atomic int64_t generation;
	_Atomic int64_t start_time;
	_Atomic int64_t policy_load_time;
	struct slot slots[SLOTS];
};

static struct shared *sh;
static int my_slot = SLOTS - 1;

/* ---- the page's layout ---- */

struct member {
	enum stats_counter c;
	const char *label; /* OpenMetrics labels, without braces; NULL: none */
	const char *key;   /* JSON key / text word; NULL: no labels */
};

struct family {
	const char *name; /* OpenMetrics name, without _total */
	const char *help;
	const char *key; /* JSON key and text heading */
	const struct member *m;
	size_t n;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct member m_requests[] = {{STATS_REQUESTS, NULL, NULL}};
static const struct member m_preflights[] = {
    {STATS_PREFLIGHT_ALLOWED, "result=\"allowed\"", "allowed"},
    {STATS_PREFLIGHT_REFUSED, "result=\"refused\"", "refused"},
};
static const struct member m_cors[] = {
    {STATS_CORS_ALLOWED, "result=\"allowed\"", "allowed"},
    {STATS_CORS_REFUSED, "result=\"refused\"", "refused"},
    {STATS_CORS_BLOCKED, "result=\"blocked\"", "blocked"},
};
static const struct member m_refusals[] = {
    {STATS_REFUSAL_ORIGIN_INVALID, "reason=\"origin_invalid\"",
     "origin_invalid"},
    {STATS_REFUSAL_ORIGIN_DENIED, "reason=\"origin_denied\"", "origin_denied"},
    {STATS_REFUSAL_METHOD_INVALID, "reason=\"method_invalid\"",
     "method_invalid"},
    {STATS_REFUSAL_METHOD_FORBIDDEN, "reason=\"method_forbidden\"",
     "method_forbidden"},
    {STATS_REFUSAL_METHOD_DENIED, "reason=\"method_denied\"", "method_denied"},
    {STATS_REFUSAL_HEADERS_INVALID, "reason=\"headers_invalid\"",
     "headers_invalid"},
    {STATS_REFUSAL_HEADER_DENIED, "reason=\"header_denied\"", "header_denied"},
    {STATS_REFUSAL_AUTHORIZATION, "reason=\"authorization\"", "authorization"},
    {STATS_REFUSAL_PRIVATE_NETWORK, "reason=\"private_network\"",
     "private_network"},
};
static const struct member m_runs[] = {{STATS_SCRIPT_RUNS, NULL, NULL}};
static const struct member m_fails[] = {
    {STATS_SCRIPT_FAIL_SPAWN, "reason=\"spawn\"", "spawn"},
    {STATS_SCRIPT_FAIL_BAD_OUTPUT, "reason=\"bad_output\"", "bad_output"},
    {STATS_SCRIPT_FAIL_EARLY_END, "reason=\"early_end\"", "early_end"},
    {STATS_SCRIPT_FAIL_TIMEOUT, "reason=\"timeout\"", "timeout"},
    {STATS_SCRIPT_FAIL_CUT, "reason=\"cut\"", "cut"},
    {STATS_SCRIPT_FAIL_KILLED, "reason=\"killed\"", "killed"},
};
static const struct member m_responses[] = {
    {STATS_RESP_1XX, "class=\"1xx\"", "1xx"},
    {STATS_RESP_2XX, "class=\"2xx\"", "2xx"},
    {STATS_RESP_3XX, "class=\"3xx\"", "3xx"},
    {STATS_RESP_4XX, "class=\"4xx\"", "4xx"},
    {STATS_RESP_5XX, "class=\"5xx\"", "5xx"},
};
static const struct member m_reloads[] = {
    {STATS_RELOAD_OK, "result=\"ok\"", "ok"},
    {STATS_RELOAD_FAILED, "result=\"failed\"", "failed"},
};
static const struct member m_restarts[] = {
    {STATS_WORKER_RESTARTS, NULL, NULL}};
static const struct member m_report[] = {
    {STATS_REPORT_ALLOW_ALLOW, "policy=\"allow\",script=\"allow\"",
     "policy_allow_script_allow"},
    {STATS_REPORT_ALLOW_REFUSE, "policy=\"allow\",script=\"refuse\"",
     "policy_allow_script_refuse"},
    {STATS_REPORT_REFUSE_ALLOW, "policy=\"refuse\",script=\"allow\"",
     "policy_refuse_script_allow"},
    {STATS_REPORT_REFUSE_REFUSE, "policy=\"refuse\",script=\"refuse\"",
     "policy_refuse_script_refuse"},
};

static const struct family families[] = {
    {"corsgate_requests", "Requests, CORS or not.", "requests", m_requests,
     N(m_requests)},
    {"corsgate_preflights", "CORS preflights answered by corsgate.",
     "preflights", m_preflights, N(m_preflights)},
    {"corsgate_cors_requests",
     "Actual CORS requests (with Origin) under an enforced policy.",
     "cors_requests", m_cors, N(m_cors)},
    {"corsgate_refusals", "Refused CORS requests and preflights, by reason.",
     "refusals", m_refusals, N(m_refusals)},
    {"corsgate_script_runs", "Scripts started.", "script_runs", m_runs,
     N(m_runs)},
    {"corsgate_script_failures", "Scripts that failed, by reason.",
     "script_failures", m_fails, N(m_fails)},
    {"corsgate_responses", "Responses, by status class.", "responses",
     m_responses, N(m_responses)},
    {"corsgate_reloads", "Reloads (SIGHUP), by result.", "reloads", m_reloads,
     N(m_reloads)},
    {"corsgate_worker_restarts", "Workers that died and were replaced.",
     "worker_restarts", m_restarts, N(m_restarts)},
    {"corsgate_report_only",
     "Report-only comparisons: the policy's verdict and the script's.",
     "report_only", m_report, N(m_report)},
};

/* ---- counting ---- */

int stats_init(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_error("mmap of the shared counters: %s: serving without "
			  "them",
			  strerror(errno));
		return -1;
	}
	sh = p; /* zero-filled */
	atomic_store(&sh->start_time, (int64_t)time(NULL));
	return 0;
}

bool stats_enabled(void)
{
	return sh != NULL;
}

void stats_add(enum stats_counter c)
{
	if (sh && (unsigned)c < STATS_N)
		atomic_fetch_add_explicit(&sh->c[c], 1, memory_order_relaxed);
}

void stats_response(int status)
{
	if (status >= 100 && status < 600)
		stats_add((enum stats_counter)(STATS_RESP_1XX + status / 100 -
					       1));
}

static enum stats_counter refusal(enum cors_reason r)
{
	switch (r) {
	case CORS_R_ORIGIN_INVALID:
		return STATS_REFUSAL_ORIGIN_INVALID;
	case CORS_R_ORIGIN_DENIED:
		return STATS_REFUSAL_ORIGIN_DENIED;
	case CORS_R_METHOD_INVALID:
		return STATS_REFUSAL_METHOD_INVALID;
	case CORS_R_METHOD_FORBIDDEN:
		return STATS_REFUSAL_METHOD_FORBIDDEN;
	case CORS_R_METHOD_DENIED:
		return STATS_REFUSAL_METHOD_DENIED;
	case CORS_R_HEADERS_INVALID:
		return STATS_REFUSAL_HEADERS_INVALID;
	case CORS_R_HEADER_DENIED:
		return STATS_REFUSAL_HEADER_DENIED;
	case CORS_R_AUTHORIZATION:
		return STATS_REFUSAL_AUTHORIZATION;
	case CORS_R_PNA_DENIED:
		return STATS_REFUSAL_PRIVATE_NETWORK;
	case CORS_R_NO_ORIGIN:
	case CORS_R_DISABLED:
	case CORS_R_ORIGIN_MATCH:
		break;
	}
	return STATS_N;
}

void stats_verdict(const struct cors_verdict *v)
{
	switch (v->kind) {
	case CORS_PREFLIGHT_OK:
		stats_add(STATS_PREFLIGHT_ALLOWED);
		return;
	case CORS_PREFLIGHT_REFUSED:
		stats_add(STATS_PREFLIGHT_REFUSED);
		break;
	case CORS_ACTUAL_OK:
		stats_add(STATS_CORS_ALLOWED);
		return;
	case CORS_ACTUAL_REFUSED:
		stats_add(v->status != 0 ? STATS_CORS_BLOCKED
					 : STATS_CORS_REFUSED);
		break;
	case CORS_NOT_CORS:
	case CORS_DISABLED:
		return;
	}
	stats_add(refusal(v->reason)); /* STATS_N: a no-op */
}

void stats_report(bool policy_allows, bool script_allows)
{
	stats_add(policy_allows
		      ? (script_allows ? STATS_REPORT_ALLOW_ALLOW
				       : STATS_REPORT_ALLOW_REFUSE)
		      : (script_allows ? STATS_REPORT_REFUSE_ALLOW
				       : STATS_REPORT_REFUSE_REFUSE));
}

void stats_gauge(enum stats_gauge g, int delta)
{
	if (sh && (unsigned)g < STATS_G_N)
		atomic_fetch_add_explicit(&sh->slots[my_slot].g[g], delta,
					  memory_order_relaxed);
}

int stats_slot_claim(void)
{
	if (!sh)
		return -1;
	for (int i = 0; i < SLOTS - 1; i++) {
		int free_pid = 0;
		if (atomic_compare_exchange_strong(&sh->slots[i].pid, &free_pid,
						   -1))
			return i;
	}
	return -1;
}

void stats_slot_own(int slot, pid_t pid)
{
	if (!sh || slot < 0 || slot >= SLOTS - 1)
		return;
	/* not cleared here: the worker may have counted already */
	atomic_store(&sh->slots[slot].pid, pid > 0 ? (int)pid : 0);
}

void stats_slot_release(pid_t pid)
{
	if (!sh || pid <= 0)
		return;
	for (int i = 0; i < SLOTS - 1; i++)
		if (atomic_load(&sh->slots[i].pid) == (int)pid) {
			for (int g = 0; g < STATS_G_N; g++)
				atomic_store(&sh->slots[i].g[g], 0);
			atomic_store(&sh->slots[i].pid, 0);
			return;
		}
}

void stats_slot_use(int slot)
{
	my_slot = slot >= 0 && slot < SLOTS - 1 ? slot : SLOTS - 1;
}

void stats_set_generation(unsigned long gen)
{
	if (sh)
		atomic_store(&sh->generation, (int64_t)gen);
}

void stats_policy_loaded(void)
{
	if (sh)
		atomic_store(&sh->policy_load_time, (int64_t)time(NULL));
}

void stats_snapshot(struct stats_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	if (!sh)
		return;
	for (int i = 0; i < STATS_N; i++)
		s->c[i] =
		    atomic_load_explicit(&sh->c[i], memory_order_relaxed);
	for (int i = 0; i < SLOTS; i++) {
		if (atomic_load(&sh->slots[i].pid) > 0)
			s->workers++;
		s->connections += atomic_load(&sh->slots[i].g[STATS_G_CONNECTIONS]);
		s->scripts += atomic_load(&sh->slots[i].g[STATS_G_SCRIPTS]);
	}
	s->generation = atomic_load(&sh->generation);
	s->start_time = atomic_load(&sh->start_time);
	s->policy_load_time = atomic_load(&sh->policy_load_time);
}

/* ---- rendering ---- */

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->len < o->size ? o->size - o->len : 0;

	va_start(ap, fmt);
	int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* The gauges, in page order. */
static void gauges(const struct stats_snapshot *s, const char *names[6],
		   int64_t values[6])
{
	static const char *const n[6] = {
	    "start_time_seconds", "policy_load_time_seconds",
	    "policy_generation",  "workers",
	    "connections",	  "scripts_running",
	};
	const int64_t v[6] = {s->start_time, s->policy_load_time,
			      s->generation, s->workers,
			      s->connections,	 s->scripts};
	for (int i = 0; i < 6; i++) {
		names[i] = n[i];
		values[i] = v[i];
	}
}

static const char *const gauge_help[6] = {
    "When corsgate started (Unix time).",
    "When the policy in use was loaded (Unix time).",
    "Worker generations started: 1, plus one per successful reload.",
    "Worker processes alive, of every generation.",
    "FastCGI connections being served.",
    "Scripts running.",
};

static void render_text(const struct stats_snapshot *s, struct out *o)
{
	const char *gn[6];
	int64_t gv[6];

	gauges(s, gn, gv);
	for (int i = 0; i < 6; i++)
		put(o, "%-40s %" PRId64 "\n", gn[i], gv[i]);
	for (size_t f = 0; f < N(families); f++)
		for (size_t i = 0; i < families[f].n; i++) {
			char name[80];
			const struct member *m = &families[f].m[i];
			snprintf(name, sizeof(name), "%s%s%s", families[f].key,
				 m->key ? " " : "", m->key ? m->key : "");
			put(o, "%-40s %" PRIu64 "\n", name, s->c[m->c]);
		}
}

static void render_json(const struct stats_snapshot *s, struct out *o)
{
	const char *gn[6];
	int64_t gv[6];

	gauges(s, gn, gv);
	put(o, "{");
	for (int i = 0; i < 6; i++)
		put(o, "%s\"%s\": %" PRId64, i ? ", " : "", gn[i], gv[i]);
	for (size_t f = 0; f < N(families); f++) {
		const struct family *fa = &families[f];
		if (fa->m[0].key == NULL) {
			put(o, ", \"%s\": %" PRIu64, fa->key, s->c[fa->m[0].c]);
			continue;
		}
		put(o, ", \"%s\": {", fa->key);
		for (size_t i = 0; i < fa->n; i++)
			put(o, "%s\"%s\": %" PRIu64, i ? ", " : "",
			    fa->m[i].key, s->c[fa->m[i].c]);
		put(o, "}");
	}
	put(o, "}\n");
}

static void render_openmetrics(const struct stats_snapshot *s, struct out *o)
{
	const char *gn[6];
	int64_t gv[6];

	gauges(s, gn, gv);
	for (int i = 0; i < 6; i++) {
		put(o, "# TYPE corsgate_%s gauge\n", gn[i]);
		put(o, "# HELP corsgate_%s %s\n", gn[i], gauge_help[i]);
		put(o, "corsgate_%s %" PRId64 "\n", gn[i], gv[i]);
	}
	for (size_t f = 0; f < N(families); f++) {
		const struct family *fa = &families[f];
		put(o, "# TYPE %s counter\n", fa->name);
		put(o, "# HELP %s %s\n", fa->name, fa->help);
		for (size_t i = 0; i < fa->n; i++) {
			const struct member *m = &fa->m[i];
			if (m->label)
				put(o, "%s_total{%s} %" PRIu64 "\n", fa->name,
				    m->label, s->c[m->c]);
			else
				put(o, "%s_total %" PRIu64 "\n", fa->name,
				    s->c[m->c]);
		}
	}
	put(o, "# EOF\n");
}

size_t stats_render(const struct stats_snapshot *s, enum stats_format f,
		    char *buf, size_t size)
{
	struct out o = {buf, size, 0};

	if (size)
		buf[0] = '\0';
	if (f == STATS_JSON)
		render_json(s, &o);
	else if (f == STATS_OPENMETRICS)
		render_openmetrics(s, &o);
	else
		render_text(s, &o);
	return o.len;
}

const char *stats_content_type(enum stats_format f)
{
	switch (f) {
	case STATS_JSON:
		return "application/json";
	case STATS_OPENMETRICS:
		return "application/openmetrics-text; version=1.0.0; "
		       "charset=utf-8";
	case STATS_TEXT:
		break;
	}
	return "text/plain; charset=utf-8";
}

enum stats_format stats_format_from_query(const char *q)
{
	size_t n;

	if (q == NULL)
		return STATS_TEXT;
	n = strcspn(q, "&="); /* "openmetrics=" too: Prometheus' params */
	if (n == 4 && memcmp(q, "json", 4) == 0)
		return STATS_JSON;
	if (n == 11 && memcmp(q, "openmetrics", 11) == 0)
		return STATS_OPENMETRICS;
	return STATS_TEXT;
}
