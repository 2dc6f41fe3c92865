/* cgi.c - running a CGI/1.1 script for one request. See cgi.h.
 *
 * One thread does it all, without blocking on the script: poll(2) watches
 * the script's stdout and stderr, and its stdin (non-blocking on our side)
 * while request body bytes wait to go in. The body is read from the web
 * server only when the script's stdin has taken everything read before.
 * Output is sent on as it arrives and flushed per read: memory stays
 * bounded whatever the script prints, and a line a second reaches the
 * client a line a second.
 *
 * One rule ties the two together: nothing goes to the web server while
 * part of the body is still there. nginx stops sending the body once it
 * has the response headers, and Apache's CGI writes the whole body before
 * it reads any output; either way a script that prints before it reads
 * would wait forever. So before the first byte of an answer, the rest of
 * the body is read into an unlinked temporary file (bounded by max_body)
 * and the script is fed from there.
 *
 * The script runs under posix_spawn(3) in a new session (its own process
 * group), with stdin/stdout/stderr on pipes, every other descriptor closed,
 * every signal at its default and unblocked, in its own directory, with an
 * environment built here: never a shell, never setenv in the gateway.
 */
#include "cgi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgiresp.h"
#include "log.h"

extern char **environ;

/* Bytes read from the script or the web server at once. */
#define CHUNK ((size_t)64 * 1024)
/* Longest line of a script's stderr logged in one piece. */
#define ERR_LINE 1024

enum phase {
	PH_HEADERS, /* collecting the script's header block */
	PH_WAIT,    /* block complete, no Content-Type: is there a body? */
	PH_BODY,    /* headers sent, streaming */
};

struct run {
	const struct request *r;
	const struct cors_verdict *v;
	const struct config_gateway *g;
	const char *name; /* the script, for log lines */
	bool nph;
	pid_t pid;
	int in, out, err; /* our ends of the pipes, -1 when closed */

	/* the request body */
	long long body_left; /* bytes still to read from the web server */
	int spool;	     /* the rest of the body, once read; -1: none */
	char *inbuf;
	size_t in_off, in_len;

	/* the script's output */
	enum phase phase;
	char *hbuf; /* the header block, then the body that follows it */
	size_t hlen, scanned;
	long block_len;
	struct cgiresp resp;
	char *wbuf; /* rewritten header block, then read buffer */

	/* stderr */
	size_t err_total;
	char eline[ERR_LINE];
	size_t elen;
};

/* ---- small helpers ---------------------------------------------------- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int out_write(const struct request *r, const char *s, size_t n)
{
	return r->io.write(r->io.ctx, s, n);
}

static int out_flush(const struct request *r)
{
	return r->io.flush ? r->io.flush(r->io.ctx) : 0;
}

static bool applies(const struct cors_verdict *v)
{
	return v->kind != CORS_DISABLED;
}

static int answer(const struct request *r, const struct cors_verdict *v,
		  int status, const char *msg)
{
	return request_answer_error(r, v, status, msg);
}

static const char *param(const struct request *r, const char *name)
{
	const char *v = request_param(r, name);
	return v && *v ? v : NULL;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Follows PATH_INFO's segments below the directory f->file to the first
 * regular file; on success rewrites f->file and sets the overrides. */
static void walk_path_info(const struct request *r, struct cgi_found *f,
			   struct cgi_target *t)
{
	const char *pi = param(r, "PATH_INFO");
	const char *sn = request_param(r, "SCRIPT_NAME");
	char path[sizeof(f->file)];
	size_t len = strlen(f->file);

	if (!pi || pi[0] != '/' || !is_dir(f->file))
		return;
	if (len >= sizeof(path))
		return;
	memcpy(path, f->file, len + 1);
	for (const char *seg = pi; *seg == '/';) {
		const char *end = strchr(seg + 1, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (len + n >= sizeof(path))
			return;
		memcpy(path + len, seg, n);
		path[len += n] = '\0';
		seg += n;
		if (is_dir(path))
			continue;
		if (!is_file(path)) {
			if (errno == ENOENT) /* answered 404, not 403 */
				memcpy(f->file, path, len + 1);
			return;
		}
		/* the script is path; what follows seg is its PATH_INFO */
		size_t used = (size_t)(seg - pi);
		int a = snprintf(f->script_name, sizeof(f->script_name),
				 "SCRIPT_NAME=%s%.*s",
				 sn && strcmp(sn, "/") != 0 ? sn : "",
				 (int)used, pi);
		int b = snprintf(f->path_info, sizeof(f->path_info),
				 "PATH_INFO=%s", seg);
		int c = snprintf(f->script_filename, sizeof(f->script_filename),
				 "SCRIPT_FILENAME=%s", path);
		if (a < 0 || b < 0 || c < 0 ||
		    (size_t)a >= sizeof(f->script_name) ||
		    (size_t)b >= sizeof(f->path_info) ||
		    (size_t)c >= sizeof(f->script_filename))
			return;
		memcpy(f->file, path, len + 1);
		f->override[0] = f->script_name;
		f->override[1] = f->path_info;
		f->override[2] = f->script_filename;
		f->override[3] = NULL;
		t->override = f->override;
		return;
	}
}

int cgi_target_from_params(const struct request *r, struct cgi_found *f,
			   struct cgi_target *t)
{
	const char *file = param(r, "SCRIPT_FILENAME");
	int n;

	memset(t, 0, sizeof(*t));
	if (file) {
		n = snprintf(f->file, sizeof(f->file), "%s", file);
	} else {
		const char *root = param(r, "DOCUMENT_ROOT");
		const char *name = param(r, "SCRIPT_NAME");
		if (!root || !name)
			return -1;
		n = snprintf(f->file, sizeof(f->file), "%s%s%s", root,
			     name[0] == '/' ? "" : "/", name);
	}
	if (n < 0 || (size_t)n >= sizeof(f->file))
		return -1;
	t->filename = f->file;
	walk_path_info(r, f, t);
	return 0;
}

/* ---- finding the script ---------------------------------------------- */

/* Resolves file into real[PATH_MAX] and checks it against the cgi_root
 * entries. Returns 0, or the status to answer with *why set (a short
 * phrase for the answer) and, when there is more to say, note[0..size)
 * filled for the log line (else note is ""). */
static int resolve(const struct config_gateway *g, const char *file, char *real,
		   const char **why, char *note, size_t size)
{
	struct stat st;

	note[0] = '\0';
	if (g->ncgi_roots == 0) {
		*why = "[gateway] cgi_root is not set: corsgate runs no "
		       "script without it";
		return 500;
	}
	if (!realpath(file, real)) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*why = "no such script";
			return 404;
		}
		*why = strerror(errno);
		return 403;
	}
	if (stat(real, &st) < 0) {
		*why = strerror(errno);
		return 403;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return 403;
	}
	if (!config_cgi_root_match(g, real)) {
		*why = "outside cgi_root (after resolving symlinks)";
		/* the program entry that would allow it, named as asked:
		 * it resolves to the same file */
		snprintf(note, size,
			 " (resolves to %s; to run it, add to [gateway]: "
			 "cgi_root = %s)",
			 real, file[0] == '/' ? file : real);
		return 403;
	}
	if (faccessat(AT_FDCWD, real, X_OK, AT_EACCESS) < 0) {
		*why = "not executable";
		return 403;
	}
	return 0;
}

/* ---- the environment -------------------------------------------------- */

static bool name_is(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* Whether list (NULL-ended "NAME" or "NAME=value" strings) names the
 * variable of entry ("NAME=value"). */
static bool listed(const char *const *list, const char *entry)
{
	size_t n = strcspn(entry, "=");
	for (; list && *list; list++)
		if (strncmp(*list, entry, n) == 0 &&
		    ((*list)[n] == '=' || (*list)[n] == '\0'))
			return true;
	return false;
}

static bool in_env(char *const *env, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (env[i] && name_is(env[i], name))
			return true;
	return false;
}

/* The script's envp: the web server's params (httpoxy: never HTTP_PROXY),
 * t's overrides, GATEWAY_INTERFACE, and the pass_env variables of our own
 * environment. The strings are borrowed; free only the array. */
static char **build_env(const struct request *r, const struct cgi_target *t,
			const struct config_gateway *g)
{
	size_t nover = 0;
	while (t->override && t->override[nover])
		nover++;
	size_t cap = r->nenv + nover + g->npass_env + 2;
	char **env = calloc(cap, sizeof(*env));
	size_t n = 0;

	if (!env)
		return NULL;
	for (size_t i = 0; i < r->nenv; i++) {
		const char *e = r->env[i];
		if (strncasecmp(e, "HTTP_PROXY=", 11) == 0 ||
		    listed(t->override, e) || listed(t->drop, e))
			continue;
		env[n++] = (char *)(uintptr_t)e;
	}
	for (size_t i = 0; i < nover; i++)
		env[n++] = (char *)(uintptr_t)t->override[i];
	if (!in_env(env, n, "GATEWAY_INTERFACE"))
		env[n++] = (char *)(uintptr_t) "GATEWAY_INTERFACE=CGI/1.1";
	for (size_t i = 0; i < g->npass_env; i++) {
		const char *name = g->pass_env[i];
		if (in_env(env, n, name))
			continue;
		for (char **e = environ; e && *e; e++) {
			if (name_is(*e, name)) {
				env[n++] = *e;
				break;
			}
		}
	}
	env[n] = NULL;
	return env;
}

/* ---- spawning --------------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The signals a process may inherit as ignored (shells ignore SIGINT and
 * SIGQUIT for background jobs, nohup SIGHUP, corsgate SIGPIPE). */
static const int reset_sigs[] = {
    SIGHUP,  SIGINT,  SIGQUIT, SIGPIPE, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2,
    SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ, SIGXCPU, SIGURG,  SIGWINCH};

/* Starts the script. Returns 0, or an errno value (the script did not
 * start: exec failed, bad interpreter, no memory...). */
static int spawn(struct run *run, const char *script, char **envp)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	char dir[PATH_MAX];
	int rc;

	snprintf(dir, sizeof(dir), "%s", script);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0) {
		rc = errno;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawnattr_init(&at);
	/* exec resets caught signals by itself; only ignored ones (SIGPIPE
	 * here, or whatever our own parent ignored) would carry over. */
	sigemptyset(&all);
	for (size_t i = 0; i < sizeof(reset_sigs) / sizeof(reset_sigs[0]); i++)
		sigaddset(&all, reset_sigs[i]);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID |
					  POSIX_SPAWN_SETSIGDEF |
					  POSIX_SPAWN_SETSIGMASK);
	char *argv[] = {(char *)(uintptr_t)script, NULL};
	rc = posix_spawn(&run->pid, script, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc == 0) {
		run->in = pin[1];
		run->out = pout[0];
		run->err = perr[0];
		pin[1] = pout[0] = perr[0] = -1;
		fcntl(run->in, F_SETFL, fcntl(run->in, F_GETFL) | O_NONBLOCK);
	}
out:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	return rc;
}

/* Waits up to `seconds` for the script to exit. Returns true when it did
 * (or was already reaped). */
static bool wait_exit(pid_t pid, double seconds, int *status)
{
	double end = now() + seconds;
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD))
			return true;
		if (w < 0 && errno != EINTR)
			return true;
		if (now() >= end)
			return false;
		struct timespec ts = {0, 20L * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* SIGTERM to process group pid, SIGKILL after the grace period, then
 * reap. */
static void kill_pgroup(pid_t pid, const char *name, const char *why)
{
	int status;
	log_warn("%s: %s: killing its process group", name, why);
	kill(-pid, SIGTERM);
	if (!wait_exit(pid, CGI_KILL_GRACE, &status)) {
		kill(-pid, SIGKILL);
		wait_exit(pid, 60, &status);
	}
	kill(-pid, SIGKILL); /* whatever of its group is left */
}

static void kill_group(struct run *run, const char *why)
{
	if (run->pid <= 0)
		return;
	kill_pgroup(run->pid, run->name, why);
	run->pid = -1;
}

/* A script that goes on after closing its output, reaped in the
 * background. */
struct reaper {
	pid_t pid;
	long timeout;
	char name[256];
};

static void *reap_later(void *arg)
{
	struct reaper *rp = arg;
	int status;
	if (!wait_exit(rp->pid, (double)rp->timeout, &status))
		kill_pgroup(rp->pid, rp->name,
			    "still running script_timeout after closing its "
			    "output");
	free(rp);
	return NULL;
}

/* The script's output has ended, so has its answer. A script that exits
 * then is reaped here; one that goes on working (CGI's "close STDOUT, then
 * the slow part") is reaped by a detached thread, which kills its group
 * after script_timeout, and the answer is not held open meanwhile. */
static void finish_script(struct run *run)
{
	int status;
	pthread_attr_t attr;
	pthread_t tid;

	if (run->pid <= 0)
		return;
	if (wait_exit(run->pid, 0.2, &status)) {
		if (WIFSIGNALED(status))
			log_warn("%s: killed by signal %d", run->name,
				 WTERMSIG(status));
		run->pid = -1;
		return;
	}
	struct reaper *rp = malloc(sizeof(*rp));
	if (rp) {
		rp->pid = run->pid;
		rp->timeout = run->g->script_timeout;
		snprintf(rp->name, sizeof(rp->name), "%s", run->name);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		int err = pthread_create(&tid, &attr, reap_later, rp);
		pthread_attr_destroy(&attr);
		if (err == 0) {
			run->pid = -1;
			return;
		}
		free(rp);
	}
	/* no thread: wait here */
	if (!wait_exit(run->pid, (double)run->g->script_timeout, &status))
		kill_group(run, "still running after closing its output");
	run->pid = -1;
}

/* ---- stderr ----------------------------------------------------------- */

static void err_line_flush(struct run *run)
{
	if (run->elen)
		log_warn("%s: stderr: %.*s", run->name, (int)run->elen,
			 run->eline);
	run->elen = 0;
}

static void take_stderr(struct run *run, const char *buf, size_t n)
{
	if (run->err_total >= CGI_STDERR_MAX)
		return;
	if (n > CGI_STDERR_MAX - run->err_total)
		n = CGI_STDERR_MAX - run->err_total;
	run->err_total += n;
	switch (run->g->script_stderr) {
	case CONFIG_STDERR_DISCARD:
		break;
	case CONFIG_STDERR_FASTCGI:
		if (run->r->io.err_write) {
			run->r->io.err_write(run->r->io.ctx, buf, n);
			break;
		}
		__attribute__((fallthrough)); /* no stderr stream here */
	case CONFIG_STDERR_LOG:
		for (size_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || run->elen == ERR_LINE) {
				err_line_flush(run);
				if (buf[i] == '\n')
					continue;
			}
			run->eline[run->elen++] = buf[i];
		}
		break;
	}
	if (run->err_total == CGI_STDERR_MAX)
		log_warn("%s: stderr over %zu bytes: the rest is dropped",
			 run->name, CGI_STDERR_MAX);
}

/* ---- the body --------------------------------------------------------- */

/* Reads what is left of the body from the web server into an unlinked
 * temporary file, which feeds the script from now on. Returns 0, or -1
 * when the web server's connection failed or no file could be written. */
static int spool_rest(struct run *run)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (run->body_left == 0 || run->spool >= 0)
		return 0;
	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("%s: cannot keep the request body in %s: %s",
			  run->name, dir, strerror(errno));
		return -1;
	}
	while (run->body_left > 0) {
		size_t want = CHUNK;
		if ((long long)want > run->body_left)
			want = (size_t)run->body_left;
		long got = run->r->io.read(run->r->io.ctx, run->wbuf, want);
		if (got < 0)
			goto fail;
		if (got == 0) /* the body ended early */
			break;
		for (size_t off = 0; off < (size_t)got;) {
			ssize_t w =
			    write(fd, run->wbuf + off, (size_t)got - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				log_error("%s: cannot keep the request body: "
					  "%s",
					  run->name, strerror(errno));
				goto fail;
			}
			off += (size_t)w;
		}
		run->body_left -= got;
	}
	run->body_left = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		goto fail;
	run->spool = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

/* The next piece of the body: from the spool once there is one, else from
 * the web server. Returns bytes read, 0 at its end, -1 on error. */
static long next_body(struct run *run)
{
	if (run->spool >= 0) {
		ssize_t n;
		do
			n = read(run->spool, run->inbuf, CHUNK);
		while (n < 0 && errno == EINTR);
		return n;
	}
	if (run->body_left == 0)
		return 0;
	size_t want = CHUNK;
	if ((long long)want > run->body_left)
		want = (size_t)run->body_left;
	long got = run->r->io.read(run->r->io.ctx, run->inbuf, want);
	if (got > 0)
		run->body_left -= got;
	return got;
}

/* Feeds the script's stdin. Returns 0, or -1 when the web server's
 * connection failed. */
static int feed(struct run *run)
{
	if (run->in < 0)
		return 0;
	if (run->in_off == run->in_len) {
		long got = next_body(run);
		if (got <= 0) { /* the end, or the body ended early */
			close_fd(&run->in);
			return got < 0 ? -1 : 0;
		}
		run->in_off = 0;
		run->in_len = (size_t)got;
	}
	ssize_t w =
	    write(run->in, run->inbuf + run->in_off, run->in_len - run->in_off);
	if (w > 0)
		run->in_off += (size_t)w;
	else if (w < 0 && errno != EAGAIN && errno != EINTR)
		close_fd(&run->in); /* EPIPE: the script does not read it */
	return 0;
}

/* ---- output ----------------------------------------------------------- */

/* Sends the rewritten header block, then what followed it. Returns 0 or
 * -1 (client gone). */
static int send_headers(struct run *run, bool has_body)
{
	if (spool_rest(run) < 0)
		return -1;
	struct cgiresp_rewrite rw = {
	    .apply_cors = applies(run->v),
	    .add = run->v->headers,
	    .nadd = run->v->nheaders,
	    .default_content_type = run->g->default_content_type,
	    .has_body = has_body,
	};
	bool added;
	long n = cgiresp_write(&run->resp, &rw, run->wbuf,
			       CGIRESP_MAX_BLOCK + 4096, &added);
	if (n < 0) {
		log_error("%s: rewritten header block too large", run->name);
		return -1;
	}
	if (added)
		log_warn("%s: no Content-Type: sent %s", run->name,
			 run->g->default_content_type);
	if (out_write(run->r, run->wbuf, (size_t)n) < 0)
		return -1;
	size_t rest = run->hlen - (size_t)run->block_len;
	if (rest && out_write(run->r, run->hbuf + run->block_len, rest) < 0)
		return -1;
	run->phase = PH_BODY;
	return out_flush(run->r);
}

/* Whether the header block may be complete: a blank line in the bytes
 * not scanned before, or the buffer full. Keeps parsing linear. */
static bool block_may_end(struct run *run)
{
	size_t from = run->scanned > 2 ? run->scanned - 2 : 0;
	bool found = false;
	for (size_t i = from; i + 1 < run->hlen && !found; i++)
		if (run->hbuf[i] == '\n' &&
		    (run->hbuf[i + 1] == '\n' ||
		     (run->hbuf[i + 1] == '\r' && i + 2 < run->hlen &&
		      run->hbuf[i + 2] == '\n')))
			found = true;
	if (run->hbuf[0] == '\n' ||
	    (run->hlen > 1 && run->hbuf[0] == '\r' && run->hbuf[1] == '\n'))
		found = true;
	run->scanned = run->hlen;
	return found || run->hlen >= CGIRESP_MAX_BLOCK;
}

/* Handles bytes from the script's stdout. Returns 0 to go on, 1 when the
 * script's output is bad (answered 502), -1 when the client is gone. */
static int take_stdout(struct run *run, const char *buf, size_t n)
{
	enum cgiresp_err err;

	if (run->phase == PH_BODY) {
		if (out_write(run->r, buf, n) < 0)
			return -1;
		return out_flush(run->r);
	}
	if (run->phase == PH_WAIT) {
		if (send_headers(run, true) < 0 ||
		    out_write(run->r, buf, n) < 0)
			return -1;
		return out_flush(run->r);
	}
	size_t room = CGIRESP_MAX_BLOCK + CHUNK - run->hlen;
	if (n > room)
		n = room;
	memcpy(run->hbuf + run->hlen, buf, n);
	run->hlen += n;
	if (!block_may_end(run))
		return 0;
	run->block_len =
	    cgiresp_parse(run->hbuf, run->hlen, run->nph, &run->resp, &err);
	if (run->block_len == -2) {
		if (run->hlen < CGIRESP_MAX_BLOCK)
			return 0;
		err = CGIRESP_E_TOOBIG;
		run->block_len = -1;
	}
	if (run->block_len < 0) {
		char what[1024];
		log_error("%s: bad output: %s, %s: answered 502", run->name,
			  cgiresp_strerror(err),
			  cgiresp_describe(run->hbuf, run->hlen,
					   run->resp.bad_off, err, run->nph,
					   what, sizeof(what)));
		return 1;
	}
	if (!run->resp.has_content_type &&
	    run->hlen == (size_t)run->block_len) {
		run->phase = PH_WAIT; /* a body may follow, or not */
		return 0;
	}
	return send_headers(run, run->hlen > (size_t)run->block_len) < 0 ? -1
									 : 0;
}

/* ---- the loop --------------------------------------------------------- */

/* Runs the script until its output ends. Returns 0 (answered), -1 (the
 * client or web server is gone). */
static int pump(struct run *run)
{
	double timeout = (double)run->g->script_timeout;
	double deadline = now() + timeout;

	while (run->out >= 0 || run->err >= 0) {
		struct pollfd p[3];
		int np = 0, iout = -1, ierr = -1, iin = -1;

		if (run->in >= 0 && run->in_off == run->in_len &&
		    feed(run) < 0) {
			kill_group(run, "the web server's connection failed");
			return -1;
		}
		if (run->out >= 0) {
			iout = np;
			p[np++] = (struct pollfd){run->out, POLLIN, 0};
		}
		if (run->err >= 0) {
			ierr = np;
			p[np++] = (struct pollfd){run->err, POLLIN, 0};
		}
		if (run->in >= 0) {
			iin = np;
			p[np++] = (struct pollfd){run->in, POLLOUT, 0};
		}
		double left = deadline - now();
		if (left <= 0) {
			kill_group(run, "no output for script_timeout");
			if (run->phase == PH_HEADERS || run->phase == PH_WAIT) {
				log_error("%s: timed out after %lds: "
					  "answered 504",
					  run->name, run->g->script_timeout);
				return answer(run->r, run->v, 504,
					      "the script timed out");
			}
			return -1; /* headers sent: the answer is cut */
		}
		int rc = poll(p, (nfds_t)np, (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc <= 0)
			continue;
		if (iin >= 0 && p[iin].revents)
			feed(run);
		if (iout >= 0 && p[iout].revents) {
			ssize_t n = read(run->out, run->wbuf, CHUNK);
			if (n > 0) {
				deadline = now() + timeout;
				int t = take_stdout(run, run->wbuf, (size_t)n);
				if (t < 0) {
					kill_group(run, "the client went away");
					return -1;
				}
				if (t > 0) {
					kill_group(run, "bad output");
					return answer(run->r, run->v, 502,
						      "bad output from the "
						      "script");
				}
			} else if (n == 0 || errno != EINTR) {
				close_fd(&run->out);
			}
		}
		if (ierr >= 0 && p[ierr].revents) {
			char buf[4096];
			ssize_t n = read(run->err, buf, sizeof(buf));
			if (n > 0) {
				deadline = now() + timeout;
				take_stderr(run, buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				close_fd(&run->err);
			}
		}
	}
	err_line_flush(run);
	if (run->phase == PH_WAIT)
		return send_headers(run, false);
	if (run->phase == PH_HEADERS) {
		log_error("%s: %s: answered 502", run->name,
			  run->hlen ? cgiresp_strerror(CGIRESP_E_EOF)
				    : "printed nothing");
		return answer(run->r, run->v, 502,
			      "the script ended before its headers");
	}
	return 0;
}

static long long content_length(const struct request *r, bool *bad)
{
	const char *cl = param(r, "CONTENT_LENGTH");
	char *end;
	*bad = false;
	if (!cl)
		return 0;
	errno = 0;
	long long n = strtoll(cl, &end, 10);
	if (*cl < '0' || *cl > '9' || *end || errno || n < 0) {
		*bad = true;
		return 0;
	}
	return n;
}

/* An answer went out while part of the body is still with the web server:
 * the connection cannot be drained (nginx stops sending the body once it
 * has an answer), so it is closed after this request. */
static int unread(int rc, long long body_left)
{
	return rc == 0 && body_left > 0 ? -1 : rc;
}

int cgi_run(const struct request *r, const struct cgi_target *t,
	    const struct cors_verdict *v, const struct config_gateway *g)
{
	char real[PATH_MAX];
	const char *why = NULL;
	struct run run;
	char **envp = NULL;
	int rc = -1;
	bool bad;

	memset(&run, 0, sizeof(run));
	run.r = r;
	run.v = v;
	run.g = g;
	run.name = t->filename;
	run.in = run.out = run.err = run.spool = -1;
	run.pid = -1;

	long long len = content_length(r, &bad);
	if (bad) {
		log_error("%s %s: CONTENT_LENGTH '%s' is not a number: "
			  "answered 400",
			  r->method, t->filename,
			  request_param(r, "CONTENT_LENGTH"));
		/* how much body follows is unknown: close afterwards */
		answer(r, v, 400, "bad Content-Length");
		return -1;
	}
	char note[2 * PATH_MAX + 96];
	int st = resolve(g, t->filename, real, &why, note, sizeof(note));
	if (st) {
		log_error("%s %s: %s%s: answered %d", r->method, t->filename,
			  why, note, st);
		return unread(answer(r, v, st, why), len);
	}
	if (g->max_body > 0 && len > g->max_body) {
		log_error("%s %s: body of %lld bytes over max_body (%lld): "
			  "answered 413",
			  r->method, t->filename, len, g->max_body);
		return unread(answer(r, v, 413, "request body over max_body"),
			      len);
	}
	const char *base = strrchr(t->filename, '/');
	run.nph = strncmp(base ? base + 1 : t->filename, "nph-", 4) == 0;
	run.body_left = len;
	run.inbuf = malloc(CHUNK);
	run.hbuf = malloc(CGIRESP_MAX_BLOCK + CHUNK);
	run.wbuf =
	    malloc(CGIRESP_MAX_BLOCK + 4096 > CHUNK ? CGIRESP_MAX_BLOCK + 4096
						    : CHUNK);
	envp = build_env(r, t, g);
	if (!run.inbuf || !run.hbuf || !run.wbuf || !envp) {
		log_error("%s: out of memory: answered 500", t->filename);
		rc = answer(r, v, 500, "out of memory");
		goto out;
	}
	int err = spawn(&run, real, envp);
	if (err) {
		log_error("%s: cannot run: %s: answered 502", real,
			  strerror(err));
		rc = answer(r, v, 502, "the script cannot be run");
		goto out;
	}
	rc = pump(&run);
	finish_script(&run);
out:
	rc = unread(rc, run.body_left);
	close_fd(&run.in);
	close_fd(&run.out);
	close_fd(&run.err);
	close_fd(&run.spool);
	free(run.inbuf);
	free(run.hbuf);
	free(run.wbuf);
	free(envp);
	return rc;
}
