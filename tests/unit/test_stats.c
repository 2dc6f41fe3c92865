/* test_stats.c - the shared counters and the status page: counting across
 * processes, and each format parsed back (text, JSON, OpenMetrics). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stats.h"

/* A snapshot where every figure is different: counter i is 1000 + i. */
static void sample(struct stats_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < STATS_N; i++)
		s->c[i] = 1000 + (uint64_t)i;
	s->workers = 2;
	s->connections = 3;
	s->scripts = 4;
	s->generation = 5;
	s->start_time = 1700000000;
	s->policy_load_time = 1700000100;
}

/* ---- OpenMetrics, parsed line by line ---- */

struct sample_line {
	char name[128];
	char labels[128];
	uint64_t value;
};

/* Parses the page: every line a "# TYPE", "# HELP", a sample of a family
 * declared before it, or the final "# EOF". Returns the samples. */
static size_t parse_openmetrics(const char *page, struct sample_line *out,
				size_t max)
{
	char family[128] = "", type[16] = "";
	size_t n = 0;
	bool eof = false;
	const char *p = page;

	while (*p) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl); /* every line ends with \n */
		char line[512];
		size_t len = (size_t)(nl - p);
		assert_true(len < sizeof(line));
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		assert_false(eof); /* nothing after # EOF */
		if (strcmp(line, "# EOF") == 0) {
			eof = true;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s %15s", family,
						type),
					 2);
			assert_true(strcmp(type, "counter") == 0 ||
				    strcmp(type, "gauge") == 0);
			assert_null(strstr(family, "_total"));
			continue;
		}
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(strncmp(line + 7, family,
						 strlen(family)),
					 0);
			continue;
		}
		assert_true(n < max);
		struct sample_line *s = &out[n++];
		char *sp = strrchr(line, ' ');
		assert_non_null(sp);
		*sp = '\0';
		char *end;
		s->value = strtoull(sp + 1, &end, 10);
		assert_true(*end == '\0' && end != sp + 1);
		char *brace = strchr(line, '{');
		s->labels[0] = '\0';
		if (brace) {
			assert_int_equal(line[strlen(line) - 1], '}');
			line[strlen(line) - 1] = '\0';
			snprintf(s->labels, sizeof(s->labels), "%s", brace + 1);
			*brace = '\0';
		}
		snprintf(s->name, sizeof(s->name), "%s", line);
		/* a counter's samples are FAMILY_total; a gauge's FAMILY */
		char want[160];
		snprintf(want, sizeof(want), "%s%s", family,
			 strcmp(type, "counter") == 0 ? "_total" : "");
		assert_string_equal(s->name, want);
		for (const char *c = s->name; *c; c++)
			assert_true(isalnum((unsigned char)*c) || *c == '_');
	}
	assert_true(eof);
	return n;
}

static uint64_t om_value(const struct sample_line *s, size_t n,
			 const char *name, const char *labels)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0 &&
		    strcmp(s[i].labels, labels) == 0)
			return s[i].value;
	fail_msg("no sample %s{%s}", name, labels);
	return 0;
}

static void test_stats_openmetrics(void **state)
{
	struct stats_snapshot s;
	char page[16384];
	struct sample_line lines[128];

	(void)state;
	sample(&s);
	size_t len = stats_render(&s, STATS_OPENMETRICS, page, sizeof(page));
	assert_true(len < sizeof(page));
	assert_int_equal(len, strlen(page));
	size_t n = parse_openmetrics(page, lines, 128);
	/* every counter once, and the six gauges */
	assert_int_equal(n, (size_t)STATS_N + 6);
	assert_int_equal(om_value(lines, n, "corsgate_requests_total", ""),
			 1000 + STATS_REQUESTS);
	assert_int_equal(om_value(lines, n, "corsgate_preflights_total",
				  "result=\"refused\""),
			 1000 + STATS_PREFLIGHT_REFUSED);
	assert_int_equal(om_value(lines, n, "corsgate_cors_requests_total",
				  "result=\"blocked\""),
			 1000 + STATS_CORS_BLOCKED);
	assert_int_equal(om_value(lines, n, "corsgate_refusals_total",
				  "reason=\"method_denied\""),
			 1000 + STATS_REFUSAL_METHOD_DENIED);
	assert_int_equal(om_value(lines, n, "corsgate_script_failures_total",
				  "reason=\"timeout\""),
			 1000 + STATS_SCRIPT_FAIL_TIMEOUT);
	assert_int_equal(om_value(lines, n, "corsgate_responses_total",
				  "class=\"5xx\""),
			 1000 + STATS_RESP_5XX);
	assert_int_equal(om_value(lines, n, "corsgate_reloads_total",
				  "result=\"failed\""),
			 1000 + STATS_RELOAD_FAILED);
	assert_int_equal(
	    om_value(lines, n, "corsgate_report_only_total",
		     "policy=\"refuse\",script=\"allow\""),
	    1000 + STATS_REPORT_REFUSE_ALLOW);
	assert_int_equal(om_value(lines, n, "corsgate_workers", ""), 2);
	assert_int_equal(om_value(lines, n, "corsgate_scripts_running", ""), 4);
	assert_int_equal(
	    om_value(lines, n, "corsgate_start_time_seconds", ""), 1700000000);
	assert_string_equal(stats_content_type(STATS_OPENMETRICS),
			    "application/openmetrics-text; version=1.0.0; "
			    "charset=utf-8");
}

/* ---- JSON: a small parser for the page's shape (an object of numbers
 * and of objects of numbers) ---- */

struct jv {
	char key[96]; /* "outer.inner" */
	uint64_t value;
};

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n')
		p++;
	return p;
}

static const char *jstring(const char *p, char *out, size_t size)
{
	size_t n = 0;
	assert_int_equal(*p, '"');
	for (p++; *p != '"'; p++) {
		assert_true(*p >= 0x20 && *p != '\\');
		assert_true(n + 1 < size);
		out[n++] = *p;
	}
	out[n] = '\0';
	return p + 1;
}

static const char *jobject(const char *p, const char *prefix, struct jv *out,
			   size_t *n, size_t max)
{
	p = ws(p);
	assert_int_equal(*p, '{');
	p = ws(p + 1);
	while (*p != '}') {
		char key[64], full[96];
		p = jstring(p, key, sizeof(key));
		snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? "." : "",
			 key);
		p = ws(p);
		assert_int_equal(*p, ':');
		p = ws(p + 1);
		if (*p == '{') {
			assert_true(*prefix == '\0'); /* one level only */
			p = jobject(p, full, out, n, max);
		} else {
			char *end;
			assert_true(*n < max);
			out[*n].value = strtoull(p, &end, 10);
			assert_true(end != p);
			snprintf(out[*n].key, sizeof(out[*n].key), "%s", full);
			(*n)++;
			p = end;
		}
		p = ws(p);
		if (*p == ',')
			p = ws(p + 1);
		else
			assert_int_equal(*p, '}');
	}
	return p + 1;
}

static uint64_t jget(const struct jv *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return v[i].value;
	fail_msg("no JSON key %s", key);
	return 0;
}

static void test_stats_json(void **state)
{
	struct stats_snapshot s;
	char page[16384];
	struct jv v[128];
	size_t n = 0;

	(void)state;
	sample(&s);
	stats_render(&s, STATS_JSON, page, sizeof(page));
	const char *end = ws(jobject(page, "", v, &n, 128));
	assert_int_equal(*end, '\0');
	assert_int_equal(n, (size_t)STATS_N + 6);
	assert_int_equal(jget(v, n, "requests"), 1000 + STATS_REQUESTS);
	assert_int_equal(jget(v, n, "preflights.allowed"),
			 1000 + STATS_PREFLIGHT_ALLOWED);
	assert_int_equal(jget(v, n, "refusals.private_network"),
			 1000 + STATS_REFUSAL_PRIVATE_NETWORK);
	assert_int_equal(jget(v, n, "script_failures.killed"),
			 1000 + STATS_SCRIPT_FAIL_KILLED);
	assert_int_equal(jget(v, n, "report_only.policy_allow_script_refuse"),
			 1000 + STATS_REPORT_ALLOW_REFUSE);
	assert_int_equal(jget(v, n, "worker_restarts"),
			 1000 + STATS_WORKER_RESTARTS);
	assert_int_equal(jget(v, n, "connections"), 3);
	assert_int_equal(jget(v, n, "policy_generation"), 5);
}

static void test_stats_text(void **state)
{
	struct stats_snapshot s;
	char page[16384];
	size_t lines = 0;
	bool seen = false;

	(void)state;
	sample(&s);
	stats_render(&s, STATS_TEXT, page, sizeof(page));
	for (char *line = strtok(page, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strrchr(line, ' ');
		assert_non_null(sp);
		lines++;
		if (strncmp(line, "cors_requests refused ", 22) == 0) {
			assert_int_equal(strtoull(sp + 1, NULL, 10),
					 1000 + STATS_CORS_REFUSED);
			seen = true;
		}
	}
	assert_int_equal(lines, (size_t)STATS_N + 6);
	assert_true(seen);
}

/* Truncation: terminated, and the length wanted is returned. */
static void test_stats_render_truncated(void **state)
{
	struct stats_snapshot s;
	char full[16384], small[100];

	(void)state;
	sample(&s);
	size_t n = stats_render(&s, STATS_OPENMETRICS, full, sizeof(full));
	size_t m = stats_render(&s, STATS_OPENMETRICS, small, sizeof(small));
	assert_int_equal(n, m);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, full, sizeof(small) - 1);
}

static void test_stats_query(void **state)
{
	(void)state;
	assert_int_equal(stats_format_from_query(NULL), STATS_TEXT);
	assert_int_equal(stats_format_from_query(""), STATS_TEXT);
	assert_int_equal(stats_format_from_query("json"), STATS_JSON);
	assert_int_equal(stats_format_from_query("json&full"), STATS_JSON);
	assert_int_equal(stats_format_from_query("openmetrics"),
			 STATS_OPENMETRICS);
	assert_int_equal(stats_format_from_query("openmetrics="),
			 STATS_OPENMETRICS);
	assert_int_equal(stats_format_from_query("json=1&x"), STATS_JSON);
	assert_int_equal(stats_format_from_query("jsonx"), STATS_TEXT);
	assert_int_equal(stats_format_from_query("openmetric"), STATS_TEXT);
}

/* Counts from a child process land in the same memory; a released slot's
 * gauges are gone; verdicts map to their counters. */
static void test_stats_shared_across_fork(void **state)
{
	struct stats_snapshot s;
	struct cors_verdict v;

	(void)state;
	stats_snapshot(&s); /* before stats_init: zeros, and counting is a
			       no-op */
	stats_add(STATS_REQUESTS);
	assert_false(stats_enabled());
	assert_int_equal(stats_init(), 0);
	assert_true(stats_enabled());
	stats_snapshot(&s);
	assert_int_equal(s.c[STATS_REQUESTS], 0);

	int slot = stats_slot_claim();
	assert_true(slot >= 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		stats_slot_use(slot);
		for (int i = 0; i < 1000; i++)
			stats_add(STATS_REQUESTS);
		stats_gauge(STATS_G_CONNECTIONS, 7);
		_exit(0);
	}
	stats_slot_own(slot, pid);
	for (int i = 0; i < 500; i++)
		stats_add(STATS_REQUESTS);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	stats_snapshot(&s);
	assert_int_equal(s.c[STATS_REQUESTS], 1500);
	assert_int_equal(s.connections, 7);
	assert_int_equal(s.workers, 1);
	stats_slot_release(pid);
	stats_snapshot(&s);
	assert_int_equal(s.connections, 0);
	assert_int_equal(s.workers, 0);

	memset(&v, 0, sizeof(v));
	v.kind = CORS_ACTUAL_REFUSED;
	v.status = 403;
	v.reason = CORS_R_ORIGIN_DENIED;
	stats_verdict(&v);
	v.kind = CORS_PREFLIGHT_REFUSED;
	v.status = 403;
	v.reason = CORS_R_PNA_DENIED;
	stats_verdict(&v);
	v.kind = CORS_NOT_CORS;
	stats_verdict(&v);
	stats_response(204);
	stats_response(599);
	stats_response(42); /* not a status: nothing */
	stats_snapshot(&s);
	assert_int_equal(s.c[STATS_CORS_BLOCKED], 1);
	assert_int_equal(s.c[STATS_CORS_REFUSED], 0);
	assert_int_equal(s.c[STATS_REFUSAL_ORIGIN_DENIED], 1);
	assert_int_equal(s.c[STATS_PREFLIGHT_REFUSED], 1);
	assert_int_equal(s.c[STATS_REFUSAL_PRIVATE_NETWORK], 1);
	assert_int_equal(s.c[STATS_RESP_2XX], 1);
	assert_int_equal(s.c[STATS_RESP_5XX], 1);
	assert_int_equal(s.c[STATS_RESP_1XX] + s.c[STATS_RESP_3XX] +
			     s.c[STATS_RESP_4XX],
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stats_openmetrics),
	    cmocka_unit_test(test_stats_json),
	    cmocka_unit_test(test_stats_text),
	    cmocka_unit_test(test_stats_render_truncated),
	    cmocka_unit_test(test_stats_query),
	    cmocka_unit_test(test_stats_shared_across_fork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
