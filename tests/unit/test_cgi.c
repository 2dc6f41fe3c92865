/* test_cgi.c - cgi_run with real scripts in a temporary cgi_root and the
 * request's streams in memory: environment, errors, body pumping,
 * timeouts, killing, reaping, descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "log.h"
#include "request.h"

static char root[64];

/* ---- the request's streams in memory --------------------------------- */

struct mem {
	const char *body; /* the request body the web server sends */
	size_t body_len, body_off;
	char *out; /* what corsgate answers */
	size_t out_len, out_cap;
	size_t fail_after; /* write fails once out_len exceeds it; 0: never */
	bool like_nginx;   /* no body once an answer has begun, as nginx */
	char err[4096];	   /* the FastCGI stderr stream */
	size_t err_len;
	int flushes;
};

static long mem_read(void *ctx, char *buf, size_t n)
{
	struct mem *m = ctx;
	size_t left = m->body_len - m->body_off;
	if (m->like_nginx && m->out_len > 0)
		return -1;
	if (n > left)
		n = left;
	memcpy(buf, m->body + m->body_off, n);
	m->body_off += n;
	return (long)n;
}

static int mem_write(void *ctx, const char *buf, size_t n)
{
	struct mem *m = ctx;
	if (m->fail_after && m->out_len > m->fail_after)
		return -1;
	if (m->out_len + n + 1 > m->out_cap) {
		size_t cap = (m->out_len + n + 1) * 2;
		char *p = realloc(m->out, cap);
		if (!p)
			return -1;
		m->out = p;
		m->out_cap = cap;
	}
	memcpy(m->out + m->out_len, buf, n);
	m->out_len += n;
	m->out[m->out_len] = '\0';
	return 0;
}

static int mem_flush(void *ctx)
{
	((struct mem *)ctx)->flushes++;
	return 0;
}

static int mem_err(void *ctx, const char *buf, size_t n)
{
	struct mem *m = ctx;
	if (n > sizeof(m->err) - 1 - m->err_len)
		n = sizeof(m->err) - 1 - m->err_len;
	memcpy(m->err + m->err_len, buf, n);
	m->err_len += n;
	m->err[m->err_len] = '\0';
	return 0;
}

/* ---- log capture ------------------------------------------------------ */

static char logged[8192];

static void sink(enum log_level l, const char *msg, void *ctx)
{
	(void)l;
	(void)ctx;
	size_t n = strlen(logged);
	snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
}

/* ---- fixtures --------------------------------------------------------- */

static void script(const char *name, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", root, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int setup(void **state)
{
	(void)state;
	char path[256];
	snprintf(root, sizeof(root), "/tmp/corsgate-cgi-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	log_set_sink(sink, NULL);
	signal(SIGPIPE, SIG_IGN); /* as the server and CGI mode do */
	/* as a shell does for a background job, and nohup: a script must
	 * not inherit them ignored either */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	script("env.sh",
	       "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n"
	       "env\necho \"CWD=$(pwd)\"\n"
	       /* read by the shell itself: while dash waits for a child
		* it blocks every signal, so a child would read that mask */
	       "while read -r k v; do case $k in SigIgn:|SigBlk:) "
	       "printf '%s\\t%s\\n' \"$k\" \"$v\";; esac; done "
	       "</proc/$$/status\n"
	       "read -r st </proc/$$/stat; echo \"STAT=$st\"\n",
	       0755);
	script("echo.sh",
	       "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n"
	       "cat\n",
	       0755);
	script("bigfirst.sh",
	       "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n"
	       "head -c 1048576 /dev/zero | tr '\\0' x\n"
	       "echo; echo \"read $(wc -c | tr -d ' ')\"\n",
	       0755);
	script("noexec.sh", "#!/bin/sh\necho hi\n", 0644);
	script("badinterp.sh", "#!/nonexistent/interpreter\n", 0755);
	script("early.sh", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n'\n",
	       0755);
	script("silent.sh", "#!/bin/sh\necho $$ > \"$0.pid\"\nexec sleep 30\n",
	       0755);
	script("chatty.sh",
	       "#!/bin/sh\necho $$ > \"$0.pid\"\n"
	       "printf 'Content-Type: text/plain\\n\\n'\n"
	       "while :; do echo line; sleep 0.05; done\n",
	       0755);
	script(
	    "err.sh",
	    "#!/bin/sh\necho 'oops on stderr' >&2\n"
	    "printf 'Status: 500\\nContent-Type: text/plain\\n\\nfailed\\n'\n",
	    0755);
	script("stray.sh",
	       "#!/bin/sh\nprintf 'Content-Type: text/plain\\n"
	       "Access-Control-Allow-Origin: *\\nVary: Cookie\\n\\nok\\n'\n",
	       0755);
	script("linger.sh",
	       "#!/bin/sh\necho $$ > \"$0.pid\"\n"
	       "printf 'Content-Type: text/plain\\n\\ndone\\n'\n"
	       "exec >&- 2>&-\nread x < \"${0%.sh}.fifo\"\n",
	       0755);
	script("quick.sh",
	       "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nquick\\n'\n",
	       0755);
	script("partial.sh",
	       "#!/bin/sh\necho $$ > \"$0.pid\"\n"
	       "printf 'Content-Type: text/plain\\n\\npart one\\n'\n"
	       "exec sleep 30\n",
	       0755);
	/* exits at once; a grandchild holds stdout and prints later */
	script("late.sh",
	       "#!/bin/sh\necho $$ > \"$0.pid\"\n"
	       "printf 'Content-Type: text/plain\\n\\nearly\\n'\n"
	       "(read x < \"${0%.sh}.fifo\"; echo late) &\nexit 0\n",
	       0755);
	/* exits at once; a grandchild holds stdout and never prints */
	script("holder.sh",
	       "#!/bin/sh\necho $$ > \"$0.pid\"\n"
	       "printf 'Content-Type: text/plain\\n\\nheld\\n'\n"
	       "sleep 30 &\necho $! > \"$0.child\"\nexit 0\n",
	       0755);
	script("notype.sh", "#!/bin/sh\nprintf 'X-A: 1\\n\\nbody\\n'\n", 0755);
	script("nph-old.sh",
	       "#!/bin/sh\nprintf 'HTTP/1.1 202 Accepted\\r\\n"
	       "Content-Type: text/plain\\r\\n\\r\\nnph\\n'\n",
	       0755);
	script("nph-cgipm.sh",
	       "#!/bin/sh\nprintf 'HTTP/1.1 201 Created\\r\\nServer: cmdline"
	       "\\r\\nStatus: 201 Created\\r\\n"
	       "Content-Type: text/plain\\r\\n\\r\\nmade\\n'\n",
	       0755);
	script("nph-disagree.sh",
	       "#!/bin/sh\nprintf 'HTTP/1.1 200 OK\\r\\nStatus: 404\\r\\n"
	       "Content-Type: text/plain\\r\\n\\r\\nx\\n'\n",
	       0755);
	script("alert.sh",
	       "#!/bin/sh\nprintf '<b>Security Alert!</b> The PHP CGI cannot "
	       "be accessed directly.\\n\\n<p>more</p>\\n'\n",
	       0755);
	/* a valid header block of about 61 KiB: 120 lines of 512 bytes */
	script("bighead.sh",
	       "#!/bin/sh\nprintf 'Content-Type: text/plain\\n'\n"
	       "i=0; while [ $i -lt 120 ]; do\n"
	       "printf 'X-Pad-%03d: %0500d\\n' $i 0; i=$((i + 1)); done\n"
	       "printf '\\nbody after a big block\\n'\n",
	       0755);
	/* suEXEC's refusals (D10): modes set explicitly, whatever the
	 * umask */
	static const char ok[] =
	    "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nran\\n'\n";
	script("group-w.sh", ok, 0775);
	script("world-w.sh", ok, 0757);
	script("setuid.sh", ok, 04755);
	script("setgid.sh", ok, 02755);
	snprintf(path, sizeof(path), "%s/gdir", root);
	mkdir(path, 0755);
	chmod(path, 0775);
	script("gdir/ok.sh", ok, 0755);
	snprintf(path, sizeof(path), "%s/wdir", root);
	mkdir(path, 0755);
	chmod(path, 01777); /* sticky does not make it safe */
	script("wdir/ok.sh", ok, 0755);
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/escape.sh", root);
	if (symlink("/bin/true", path) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	log_set_sink(NULL, NULL);
	return system(cmd) == 0 ? 0 : -1;
}

static struct config_script gateway(void)
{
	static char *pass[] = {"PATH", NULL};
	static char real[PATH_MAX];
	static struct config_cgi_root entry;
	struct config_script g;
	memset(&g, 0, sizeof(g));
	assert_non_null(realpath(root, real));
	entry = (struct config_cgi_root){root, real, true, 2};
	g.cgi_roots = &entry;
	g.ncgi_roots = 1;
	g.pass_env = pass;
	g.npass_env = 1;
	g.max_body = 4 * 1024 * 1024;
	g.default_content_type = "application/octet-stream";
	g.script_stderr = CONFIG_STDERR_FASTCGI;
	g.script_timeout = 10;
	return g;
}

/* An allowed actual request's verdict. */
static struct cors_verdict allowed_verdict(void)
{
	struct cors_verdict v;
	memset(&v, 0, sizeof(v));
	v.kind = CORS_ACTUAL_OK;
	v.headers[0] = (struct cors_header){"Access-Control-Allow-Origin", 27,
					    "http://x.com", 12};
	v.headers[1] = (struct cors_header){"Vary", 4, "Origin", 6};
	v.nheaders = 2;
	return v;
}

/* The web server stops sending the body once it has an answer (nginx). */
static bool nginx_mode;

/* Runs script `name` with params and body. */
static int run(const char *name, const char *const *params, const char *body,
	       size_t body_len, const struct config_script *g,
	       const struct cors_verdict *v, struct mem *m)
{
	char file[256];
	char *env[32];
	size_t n = 0;
	struct request r;

	snprintf(file, sizeof(file), "%s/%s", root, name);
	for (; params && params[n]; n++)
		env[n] = (char *)(uintptr_t)params[n];
	env[n] = NULL;
	memset(m, 0, sizeof(*m));
	m->like_nginx = nginx_mode;
	m->body = body;
	m->body_len = body_len;
	struct request_io io = {.read = mem_read,
				.write = mem_write,
				.ctx = m,
				.flush = mem_flush,
				.err_write = mem_err,
				.fd = -1};
	assert_int_equal(request_init(&r, env, &io), REQUEST_OK);
	struct cgi_target t = {file, NULL, NULL};
	logged[0] = '\0';
	int rc = cgi_run(&r, &t, v, g);
	request_free(&r);
	return rc;
}

static const char *const get[] = {"REQUEST_METHOD=GET", "SCRIPT_NAME=/x",
				  "HTTP_PROXY=http://evil", "HTTP_X_CUSTOM=yes",
				  NULL};

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static bool no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static pid_t read_pid(const char *name)
{
	char path[256];
	long pid = 0;
	snprintf(path, sizeof(path), "%s/%s.pid", root, name);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

/* ---- tests ------------------------------------------------------------ */

static void test_cgi_environment(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	setenv("CORSGATE_TEST_SECRET", "1", 1);
	assert_int_equal(run("env.sh", get, "", 0, &g, &v, &m), 0);
	unsetenv("CORSGATE_TEST_SECRET");
	assert_non_null(strstr(m.out, "Status: 200 OK\r\n"));
	assert_non_null(strstr(m.out, "HTTP_X_CUSTOM=yes"));
	assert_non_null(strstr(m.out, "GATEWAY_INTERFACE=CGI/1.1"));
	assert_non_null(strstr(m.out, "\nPATH="));
	assert_null(strstr(m.out, "HTTP_PROXY")); /* httpoxy */
	assert_null(strstr(m.out, "CORSGATE_TEST_SECRET"));
	char cwd[128];
	snprintf(cwd, sizeof(cwd), "CWD=%s\n", root);
	assert_non_null(strstr(m.out, cwd));
	/* every standard signal at its default, none blocked, though we
	 * ignore SIGPIPE (glibc's posix_spawn itself leaves its internal
	 * signals 32 and 33 ignored: masked out) */
	assert_non_null(strstr(m.out, "SigBlk:\t0000000000000000\n"));
	const char *ign = strstr(m.out, "SigIgn:\t");
	assert_non_null(ign);
	unsigned long long mask = strtoull(ign + 8, NULL, 16);
	assert_int_equal(mask & 0x7fffffffULL, 0);
	/* a process group of its own, in our session (not a session of its
	 * own: an autogroup of its own, as much CPU as the whole gateway) */
	const char *st = strstr(m.out, "STAT=");
	assert_non_null(st);
	long pid = strtol(st + 5, NULL, 10), ppid = 0, pgrp = 0, sid = 0;
	const char *after = strstr(st, ") ");
	assert_non_null(after);
	assert_int_equal(
	    sscanf(after + 2, "%*c %ld %ld %ld", &ppid, &pgrp, &sid), 3);
	assert_true(pid > 0);
	assert_int_equal(pgrp, pid);
	assert_int_equal(sid, (long)getsid(0));
	free(m.out);
}

static void test_cgi_rewrites_headers(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	assert_int_equal(run("stray.sh", get, "", 0, &g, &v, &m), 0);
	assert_string_equal(m.out,
			    "Status: 200 OK\r\nContent-Type: text/plain\r\n"
			    "Access-Control-Allow-Origin: http://x.com\r\n"
			    "Vary: Cookie, Origin\r\n\r\nok\n");
	free(m.out);
	/* a disabled path: untouched */
	v.kind = CORS_DISABLED;
	assert_int_equal(run("stray.sh", get, "", 0, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "Access-Control-Allow-Origin: *\r\n"));
	assert_non_null(strstr(m.out, "Vary: Cookie\r\n"));
	assert_null(strstr(m.out, "x.com"));
	free(m.out);
}

static void test_cgi_nph_and_default_type(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	assert_int_equal(run("nph-old.sh", get, "", 0, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "Status: 202 Accepted\r\n"));
	assert_non_null(strstr(m.out, "\r\n\r\nnph\n"));
	free(m.out);
	/* CGI.pm's nph: the status line and an agreeing Status header */
	assert_int_equal(run("nph-cgipm.sh", get, "", 0, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "Status: 201 Created\r\n"));
	assert_null(strstr(m.out, "Status: 201 Created\r\nStatus"));
	assert_non_null(strstr(m.out, "\r\n\r\nmade\n"));
	free(m.out);
	assert_int_equal(run("notype.sh", get, "", 0, &g, &v, &m), 0);
	assert_non_null(
	    strstr(m.out, "Content-Type: application/octet-stream\r\n"));
	assert_non_null(strstr(logged, "no Content-Type"));
	free(m.out);
}

/* D7: a long valid expose_headers list (about 10 KB) and a large valid
 * script header block (about 61 KiB) together exceed the 64 KiB + 4 KiB
 * rewrite buffer: the answer still goes out whole (the buffer grows); it
 * used to be dropped, logged as "the client went away". */
static void test_cgi_big_block_and_long_expose_list(void **state)
{
	(void)state;
	static char expose[10 * 1024];
	size_t n = 0;
	for (int i = 0; n + 32 < sizeof(expose); i++)
		n += (size_t)snprintf(expose + n, sizeof(expose) - n,
				      "%sX-Exposed-Header-%04d", i ? ", " : "",
				      i);
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	v.headers[2] = v.headers[1];
	v.headers[1] = (struct cors_header){"Access-Control-Expose-Headers", 29,
					    expose, n};
	v.nheaders = 3;
	struct mem m;
	int rc = run("bighead.sh", get, "", 0, &g, &v, &m);
	if (rc != 0 || !m.out) {
		print_error("rc %d, answer %s, log: %s\n", rc,
			    m.out ? "partial" : "none", logged);
		fail();
	}
	assert_int_equal(strncmp(m.out, "Status: 200 OK\r\n", 16), 0);
	assert_non_null(strstr(m.out, "X-Pad-119: "));
	assert_non_null(strstr(m.out, "X-Exposed-Header-0000, "));
	assert_non_null(strstr(m.out, "\r\nVary: Origin\r\n\r\n"
				      "body after a big block\n"));
	assert_null(strstr(logged, "went away"));
	free(m.out);
}

struct err_row {
	const char *script;
	int status;
	const char *log;
};

static void test_cgi_errors(void **state)
{
	(void)state;
	static const struct err_row rows[] = {
	    {"missing.sh", 404, "no such script"},
	    {"escape.sh", 403, "outside cgi_root"},
	    {"noexec.sh", 403, "not executable"},
	    {"sub", 403, "not a regular file"},
	    {"badinterp.sh", 502, "No such file or directory"},
	    {"early.sh", 502, "ended before the end of its headers"},
	    /* and what it printed, quoted */
	    {"early.sh", 502, "line 1: \"Content-Type: text/plain\\n\""},
	    {"nph-disagree.sh", 502,
	     "nph-disagree.sh: bad output: an nph- script's Status header "
	     "disagrees with its status line, line 2: \"Status: 404\\r\\n"},
	    {"alert.sh", 502,
	     "alert.sh: bad output: a header line without ':', line 1: "
	     "\"<b>Security Alert!</b> The PHP CGI cannot be accessed "
	     "directly.\\n\\n<p>more</p>\\n\"; expected \"Name: value\" "
	     "header lines"},
	    {"../../etc/passwd", 403, "outside cgi_root"},
	    {"group-w.sh", 403, "writable by group or others ("},
	    {"group-w.sh", 403, "group-w.sh, mode 0775; chmod go-w it)"},
	    {"world-w.sh", 403, "writable by group or others ("},
	    {"setuid.sh", 403, "setuid or setgid ("},
	    {"setuid.sh", 403, "mode 4755: corsgate runs no setuid"},
	    {"setgid.sh", 403, "setuid or setgid ("},
	    {"gdir/ok.sh", 403, "in a directory writable by group or others"},
	    {"gdir/ok.sh", 403, "gdir, mode 0775; chmod go-w it)"},
	    {"wdir/ok.sh", 403, "wdir, mode 1777"},
	};
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char want[64];
		assert_int_equal(run(rows[i].script, get, "", 0, &g, &v, &m),
				 0);
		snprintf(want, sizeof(want), "Status: %d ", rows[i].status);
		if (strncmp(m.out, want, strlen(want)) != 0 ||
		    !strstr(logged, rows[i].log) ||
		    /* the gateway's error still carries the CORS headers */
		    !strstr(m.out,
			    "Access-Control-Allow-Origin: http://x.com")) {
			print_error("%s: got\n%s\nlog: %s\n", rows[i].script,
				    m.out, logged);
			fail();
		}
		free(m.out);
	}
	/* and a safe script in a safe directory runs */
	assert_int_equal(run("sub/../echo.sh", get, "", 0, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "Status: 200 OK\r\n"));
	free(m.out);
	g.ncgi_roots = 0;
	assert_int_equal(run("env.sh", get, "", 0, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "Status: 500 "));
	assert_non_null(strstr(logged, "cgi_root is not set"));
	free(m.out);
	cgi_reap_wait(false);
	assert_true(no_children());
}

/* cgi_root as a list: a directory entry and a program entry outside it,
 * reached directly or through a symlink inside the directory; a sibling of
 * the program stays refused, and the log says how to allow it. */
static void test_cgi_root_list_with_a_program(void **state)
{
	(void)state;
	char out[64], prog[128], other[128], link[256], prog_real[PATH_MAX];
	snprintf(out, sizeof(out), "/tmp/corsgate-prog-XXXXXX");
	assert_non_null(mkdtemp(out));
	snprintf(prog, sizeof(prog), "%s/prog.sh", out);
	snprintf(other, sizeof(other), "%s/other.sh", out);
	const char *files[] = {prog, other};
	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "we");
		assert_non_null(f);
		fputs("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n"
		      "echo program ran\n",
		      f);
		fclose(f);
		chmod(files[i], 0755);
	}
	snprintf(link, sizeof(link), "%s/prog-link", root);
	assert_int_equal(symlink(prog, link), 0);
	snprintf(link, sizeof(link), "%s/other-link", root);
	assert_int_equal(symlink(other, link), 0);
	assert_non_null(realpath(prog, prog_real));

	struct config_script g = gateway();
	struct config_cgi_root entries[2] = {g.cgi_roots[0],
					     {prog, prog_real, false, 3}};
	g.cgi_roots = entries;
	g.ncgi_roots = 2;
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	char rel[160];
	struct {
		const char *name;
		int status;
	} rows[] = {
	    {"prog-link", 200}, /* the program, through a symlink */
	    {NULL, 200},	/* the program, named directly */
	    {"other-link", 403},
	    {"env.sh", 200}, /* the directory entry still counts */
	};
	snprintf(rel, sizeof(rel), "..%s", prog + 4); /* ../corsgate-prog-X */
	rows[1].name = rel;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char want[32];
		assert_int_equal(run(rows[i].name, get, "", 0, &g, &v, &m), 0);
		snprintf(want, sizeof(want), "Status: %d ", rows[i].status);
		if (strncmp(m.out, want, strlen(want)) != 0) {
			print_error("%s: got\n%s\nlog: %s\n", rows[i].name,
				    m.out, logged);
			fail();
		}
		free(m.out);
	}
	/* the refusal's log line: requested path, resolved path, the line
	 * to add */
	assert_int_equal(run("other-link", get, "", 0, &g, &v, &m), 0);
	char want[3 * PATH_MAX], other_real[PATH_MAX];
	assert_non_null(realpath(other, other_real));
	snprintf(want, sizeof(want),
		 "GET %s/other-link: outside cgi_root (after resolving "
		 "symlinks) (resolves to %s; to run it, add to [gateway]: "
		 "cgi_root = %s/other-link): answered 403",
		 root, other_real, root);
	if (!strstr(logged, want)) {
		print_error("want: %s\nlog: %s\n", want, logged);
		fail();
	}
	/* the answer does not tell the client where the file is */
	assert_null(strstr(m.out, out));
	free(m.out);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out);
	assert_int_equal(system(cmd), 0);
	assert_true(no_children());
}

static void test_cgi_body_limits(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	const char *const post[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=5",
				    NULL};
	/* extra bytes are not passed */
	assert_int_equal(run("echo.sh", post, "helloEXTRA", 10, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "\r\n\r\nhello"));
	assert_null(strstr(m.out, "EXTRA"));
	free(m.out);
	/* a body that ends early closes the script's stdin */
	assert_int_equal(run("echo.sh", post, "hi", 2, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "\r\n\r\nhi"));
	free(m.out);
	/* over max_body: 413, the script does not run, and the connection
	 * is closed rather than drained (-1) */
	g.max_body = 4;
	assert_int_equal(run("echo.sh", post, "hello", 5, &g, &v, &m), -1);
	assert_non_null(strstr(m.out, "Status: 413 "));
	free(m.out);
	const char *const bad[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=12x",
				   NULL};
	assert_int_equal(run("echo.sh", bad, "", 0, &g, &v, &m), -1);
	assert_non_null(strstr(m.out, "Status: 400 "));
	free(m.out);
}

static void test_cgi_write_before_read(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	size_t n = 1024 * 1024;
	char *body = malloc(n);
	memset(body, 'b', n);
	const char *const post[] = {"REQUEST_METHOD=POST",
				    "CONTENT_LENGTH=1048576", NULL};
	/* the body must be read before the first byte of the answer */
	nginx_mode = true;
	assert_int_equal(run("bigfirst.sh", post, body, n, &g, &v, &m), 0);
	nginx_mode = false;
	assert_non_null(strstr(m.out + m.out_len - 32, "read 1048576\n"));
	assert_true(m.out_len > n);
	assert_true(m.flushes > 1); /* streamed, not collected */
	free(m.out);
	free(body);
}

static void test_cgi_timeout_kills(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	g.script_timeout = 1;
	assert_int_equal(run("silent.sh", get, "", 0, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "Status: 504 "));
	assert_non_null(strstr(logged, "timed out"));
	pid_t pid = read_pid("silent.sh");
	assert_true(pid > 0);
	cgi_reap_wait(false); /* killed and reaped by the reaper */
	assert_int_equal(kill(pid, 0), -1); /* gone */
	assert_true(no_children());
	free(m.out);
}

static void test_cgi_client_gone_kills(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	char file[256];
	struct request r;
	char *env[] = {"REQUEST_METHOD=GET", NULL};

	snprintf(file, sizeof(file), "%s/chatty.sh", root);
	memset(&m, 0, sizeof(m));
	m.fail_after = 200;
	struct request_io io = {.read = mem_read,
				.write = mem_write,
				.ctx = &m,
				.flush = mem_flush,
				.err_write = mem_err,
				.fd = -1};
	assert_int_equal(request_init(&r, env, &io), REQUEST_OK);
	struct cgi_target t = {file, NULL, NULL};
	assert_int_equal(cgi_run(&r, &t, &v, &g), -1);
	request_free(&r);
	pid_t pid = read_pid("chatty.sh");
	assert_true(pid > 0);
	cgi_reap_wait(false);
	assert_int_equal(kill(pid, 0), -1);
	assert_true(no_children());
	free(m.out);
}

static void test_cgi_stderr_modes(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	assert_int_equal(run("err.sh", get, "", 0, &g, &v, &m), 0);
	assert_non_null(strstr(m.out, "Status: 500 "));
	assert_non_null(strstr(m.out, "Access-Control-Allow-Origin"));
	assert_string_equal(m.err, "oops on stderr\n");
	free(m.out);
	g.script_stderr = CONFIG_STDERR_LOG;
	assert_int_equal(run("err.sh", get, "", 0, &g, &v, &m), 0);
	assert_int_equal(m.err_len, 0);
	assert_non_null(strstr(logged, "stderr: oops on stderr"));
	free(m.out);
	g.script_stderr = CONFIG_STDERR_DISCARD;
	assert_int_equal(run("err.sh", get, "", 0, &g, &v, &m), 0);
	assert_int_equal(m.err_len, 0);
	assert_null(strstr(logged, "oops"));
	free(m.out);
}

static void test_cgi_no_leaks_over_many_runs(void **state)
{
	(void)state;
	static const char *const scripts[] = {"echo.sh",  "missing.sh",
					      "early.sh", "err.sh",
					      "stray.sh", "noexec.sh"};
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	const char *const post[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=3",
				    NULL};
	/* the first run may start the reaper thread (one eventfd, kept) */
	run(scripts[0], post, "abc", 3, &g, &v, &m);
	free(m.out);
	cgi_reap_wait(false);
	int before = count_fds();
	for (int i = 0; i < 300; i++) {
		run(scripts[i % 6], post, "abc", 3, &g, &v, &m);
		free(m.out);
	}
	cgi_reap_wait(false);
	assert_int_equal(count_fds(), before);
	assert_true(no_children());
}

static int count_threads(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Scripts that close their output and go on working (each blocks on a
 * FIFO after closing stdout and stderr): every answer ends at its output's
 * end, as under Apache's mod_cgi, while the script still runs; they all
 * wait in the one reaper thread, not a thread each; and each is reaped
 * once it exits. Ordered by the FIFO, not by the clock. */
static void test_cgi_answer_ends_with_output(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	char fifo[256];
	pid_t pids[5];
	snprintf(fifo, sizeof(fifo), "%s/linger.fifo", root);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int threads = -1;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(run("linger.sh", get, "", 0, &g, &v, &m), 0);
		assert_non_null(strstr(m.out, "\r\n\r\ndone\n"));
		free(m.out);
		pids[i] = read_pid("linger.sh");
		assert_true(pids[i] > 0);
		/* answered while the script runs, blocked on the FIFO */
		assert_int_equal(kill(pids[i], 0), 0);
		if (i == 0)
			threads = count_threads();
	}
	assert_int_equal(cgi_reap_pending(), 5);
	assert_int_equal(count_threads(), threads);
	/* let them all go: a writer opens the FIFO, every reader gets EOF */
	int fd = open(fifo, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	cgi_reap_wait(false);
	for (int i = 0; i < 5; i++)
		assert_int_equal(kill(pids[i], 0), -1);
	assert_true(no_children());
	unlink(fifo);
}

/* ---- the body, a pipe that trickles ------------------------------------ */

struct trickle {
	int rfd, wfd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool answered;		   /* the answer's first bytes came */
	bool answered_before_rest; /* ... before the body's last bytes */
};

static long pipe_read(void *ctx, char *buf, size_t n)
{
	struct trickle *t = ctx;
	ssize_t got;
	while ((got = read(t->rfd, buf, n)) < 0 && errno == EINTR)
		;
	return got;
}

static long pipe_read_some(void *ctx, char *buf, size_t n)
{
	struct trickle *t = ctx;
	struct pollfd p = {t->rfd, POLLIN, 0};
	if (poll(&p, 1, 0) == 0)
		return REQUEST_IO_AGAIN;
	return pipe_read(ctx, buf, n);
}

static int pipe_write_out(void *ctx, const char *buf, size_t n)
{
	struct trickle *t = ctx;
	(void)buf;
	(void)n;
	pthread_mutex_lock(&t->lock);
	t->answered = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* The web server's side: one byte, then the other six only once the
 * answer has come (or after 20 s, so that a run that waits for the whole
 * body ends, and fails). */
static void *trickler(void *arg)
{
	struct trickle *t = arg;
	struct timespec until;
	ssize_t w = write(t->wfd, "a", 1);
	(void)w;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&t->lock);
	while (!t->answered &&
	       pthread_cond_timedwait(&t->cond, &t->lock, &until) == 0)
		;
	t->answered_before_rest = t->answered;
	pthread_mutex_unlock(&t->lock);
	w = write(t->wfd, "bcdefg", 6);
	(void)w;
	return NULL;
}

/* A body that arrives a byte at a time, to a script that answers without
 * reading it: the answer goes out before the body is complete. */
static void test_cgi_trickled_body_does_not_hold_the_answer(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct trickle t;
	int fds[2];
	pthread_t tid;
	char file[256];
	struct request r;
	char *env[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=7", NULL};

	memset(&t, 0, sizeof(t));
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	t.rfd = fds[0];
	t.wfd = fds[1];
	pthread_mutex_init(&t.lock, NULL);
	pthread_cond_init(&t.cond, NULL);
	struct request_io io = {.read = pipe_read,
				.write = pipe_write_out,
				.ctx = &t,
				.read_some = pipe_read_some,
				.fd = t.rfd};
	snprintf(file, sizeof(file), "%s/quick.sh", root);
	assert_int_equal(request_init(&r, env, &io), REQUEST_OK);
	assert_int_equal(pthread_create(&tid, NULL, trickler, &t), 0);
	struct cgi_target tg = {file, NULL, NULL};
	/* CGI_CLOSE when the run ended before the rest came, else CGI_OK */
	int rc = cgi_run(&r, &tg, &v, &g);
	assert_true(rc == CGI_OK || rc == CGI_CLOSE);
	pthread_join(tid, NULL);
	request_free(&r);
	assert_true(t.answered_before_rest);
	cgi_reap_wait(false);
	assert_true(no_children());
	close(fds[0]);
	close(fds[1]);
}

/* A script that times out after its headers went out: the answer is
 * reported as cut short, never as complete, and the script is killed and
 * reaped. */
static void test_cgi_cut_short_is_reported(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	g.script_timeout = 1;
	assert_int_equal(run("partial.sh", get, "", 0, &g, &v, &m), CGI_ABORT);
	assert_non_null(strstr(m.out, "\r\n\r\npart one\n"));
	assert_non_null(strstr(logged, "cut short"));
	pid_t pid = read_pid("partial.sh");
	assert_true(pid > 0);
	cgi_reap_wait(false);
	assert_int_equal(kill(pid, 0), -1);
	assert_true(no_children());
	free(m.out);
	/* a whole answer is not */
	assert_int_equal(run("quick.sh", get, "", 0, &g, &v, &m), CGI_OK);
	free(m.out);
	cgi_reap_wait(false);
}

/* The pid in root/name (not NAME.pid). */
static pid_t read_pid_file(const char *name)
{
	char path[256];
	long pid = 0;
	snprintf(path, sizeof(path), "%s/%s", root, name);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

/* Every way a script can end: exiting before its output ends (a
 * grandchild goes on printing), at it, after it (the linger test), on a
 * timeout (silent.sh), with the client gone (chatty.sh), and with a
 * grandchild that holds its output and never prints: each is reaped, its
 * group killed where it was, and no zombie is left. */
static void test_cgi_every_end_is_reaped(void **state)
{
	(void)state;
	struct config_script g = gateway();
	struct cors_verdict v = allowed_verdict();
	struct mem m;
	char fifo[256];

	/* exits first; its grandchild prints, once told to, and the answer
	 * waits for that output */
	snprintf(fifo, sizeof(fifo), "%s/late.fifo", root);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t opener;
	opener = fork();
	assert_true(opener >= 0);
	if (opener == 0) {
		int fd = open(fifo, O_WRONLY | O_CLOEXEC); /* waits for it */
		if (fd >= 0)
			close(fd);
		_exit(0);
	}
	assert_int_equal(run("late.sh", get, "", 0, &g, &v, &m), CGI_OK);
	assert_non_null(strstr(m.out, "\r\n\r\nearly\nlate\n"));
	free(m.out);
	assert_int_equal(waitpid(opener, NULL, 0), opener);
	unlink(fifo);
	cgi_reap_wait(false);
	assert_int_equal(kill(read_pid_file("late.sh.pid"), 0), -1);
	assert_true(no_children());

	/* its grandchild holds stdout and stays silent: killed with its
	 * group after script_timeout, the answer cut short */
	g.script_timeout = 1;
	assert_int_equal(run("holder.sh", get, "", 0, &g, &v, &m), CGI_ABORT);
	assert_non_null(strstr(m.out, "\r\n\r\nheld\n"));
	free(m.out);
	cgi_reap_wait(false);
	assert_int_equal(kill(read_pid_file("holder.sh.pid"), 0), -1);
	pid_t gc = read_pid_file("holder.sh.child");
	assert_true(gc > 0);
	/* the grandchild went with its group (it is init's to reap) */
	for (int i = 0; i < 100 && kill(gc, 0) == 0; i++) {
		char path[64], st[256] = "";
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)gc);
		FILE *f = fopen(path, "re");
		if (!f)
			break;
		size_t k = fread(st, 1, sizeof(st) - 1, f);
		fclose(f);
		st[k] = '\0';
		const char *rp = strrchr(st, ')');
		if (rp && rp[1] == ' ' && rp[2] == 'Z')
			break; /* a zombie of init's: gone from us */
		usleep(20 * 1000);
	}
	assert_true(no_children());
}

/* A web server that names a directory as the script and the rest of the
 * path as PATH_INFO (lighttpd under a "/" prefix). */
static void test_cgi_target_follows_path_info(void **state)
{
	(void)state;
	char dir[256], sf[300], root_sf[300];
	struct cgi_found f;
	struct cgi_target t;
	struct request r;
	snprintf(dir, sizeof(dir), "%s/sub/deeper", root);
	mkdir(dir, 0755);
	script("sub/deeper/d.sh", "#!/bin/sh\n", 0755);
	snprintf(sf, sizeof(sf), "SCRIPT_FILENAME=%s/sub", root);
	char *env[] = {"REQUEST_METHOD=GET", "SCRIPT_NAME=/sub",
		       "PATH_INFO=/deeper/d.sh/x/y", sf, NULL};
	assert_int_equal(request_init(&r, env, NULL), REQUEST_OK);
	assert_int_equal(cgi_target_from_params(&r, &f, &t), 0);
	char want[300];
	snprintf(want, sizeof(want), "%s/sub/deeper/d.sh", root);
	assert_string_equal(t.filename, want);
	assert_non_null(t.override);
	assert_string_equal(t.override[0], "SCRIPT_NAME=/sub/deeper/d.sh");
	assert_string_equal(t.override[1], "PATH_INFO=/x/y");
	request_free(&r);
	/* a file named directly: untouched, no overrides */
	snprintf(root_sf, sizeof(root_sf), "SCRIPT_FILENAME=%s/env.sh", root);
	char *env2[] = {"REQUEST_METHOD=GET", "PATH_INFO=/a/b", root_sf, NULL};
	assert_int_equal(request_init(&r, env2, NULL), REQUEST_OK);
	assert_int_equal(cgi_target_from_params(&r, &f, &t), 0);
	assert_null(t.override);
	request_free(&r);
	/* DOCUMENT_ROOT + SCRIPT_NAME; nothing at all: -1 */
	char dr[300];
	snprintf(dr, sizeof(dr), "DOCUMENT_ROOT=%s", root);
	char *env3[] = {"REQUEST_METHOD=GET", dr, "SCRIPT_NAME=/env.sh", NULL};
	assert_int_equal(request_init(&r, env3, NULL), REQUEST_OK);
	assert_int_equal(cgi_target_from_params(&r, &f, &t), 0);
	snprintf(want, sizeof(want), "%s/env.sh", root);
	assert_string_equal(t.filename, want);
	request_free(&r);
	char *env4[] = {"REQUEST_METHOD=GET", "SCRIPT_NAME=/env.sh", NULL};
	assert_int_equal(request_init(&r, env4, NULL), REQUEST_OK);
	assert_int_equal(cgi_target_from_params(&r, &f, &t), -1);
	request_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cgi_environment),
	    cmocka_unit_test(test_cgi_rewrites_headers),
	    cmocka_unit_test(test_cgi_nph_and_default_type),
	    cmocka_unit_test(test_cgi_errors),
	    cmocka_unit_test(test_cgi_big_block_and_long_expose_list),
	    cmocka_unit_test(test_cgi_root_list_with_a_program),
	    cmocka_unit_test(test_cgi_body_limits),
	    cmocka_unit_test(test_cgi_write_before_read),
	    cmocka_unit_test(test_cgi_timeout_kills),
	    cmocka_unit_test(test_cgi_client_gone_kills),
	    cmocka_unit_test(test_cgi_stderr_modes),
	    cmocka_unit_test(test_cgi_no_leaks_over_many_runs),
	    cmocka_unit_test(test_cgi_target_follows_path_info),
	    cmocka_unit_test(test_cgi_answer_ends_with_output),
	    cmocka_unit_test(test_cgi_trickled_body_does_not_hold_the_answer),
	    cmocka_unit_test(test_cgi_cut_short_is_reported),
	    cmocka_unit_test(test_cgi_every_end_is_reaped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
