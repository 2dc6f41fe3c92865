/* cgi.c - running a CGI/1.1 script for one request. See cgi.h.
 *
 * One thread does it all, and nothing in it sleeps or waits for one thing
 * while another is ready: one poll(2) set holds the script's stdout, its
 * stderr, its stdin (while body bytes wait to go in), the web server's
 * connection (while body bytes are still to come) and the script's pidfd.
 * Body bytes are taken as they arrive, never waiting for more; output is
 * sent on as it arrives and flushed per read, so memory stays bounded
 * whatever the script prints, and a line a second reaches the client a
 * line a second.
 *
 * One rule ties the two together: the answer waits for the body. nginx
 * stops sending the body once it has the response headers, and Apache
 * writes the whole body before it reads any output; either way a script
 * that prints before it reads would wait forever. So once the script's
 * header block is complete, every body byte that arrives is taken at once
 * (what the script has not read goes to an unlinked temporary file,
 * bounded by max_body), and the headers go out when the body is in - or
 * when nothing more of it has come for CGI_BODY_STALL_MS, for a body that
 * trickles in (the answer is not held for it).
 *
 * The answer ends when the script's output ends, as under Apache's
 * mod_cgi. A script that is still running then (CGI's "close STDOUT, then
 * the slow part"), or one being killed, is handed to the reaper: one
 * thread per process that reaps them all from their pidfds and kills a
 * group whose time is up.
 *
 * The script runs under posix_spawn(3) in a process group of its own
 * (not a session of its own: with the scheduler's autogroups, on by
 * default, every new session is a group that gets an equal share of the
 * CPU, so that eight busy scripts would leave the gateway's threads an
 * eleventh of it and the answers waiting), with stdin/stdout/stderr on
 * pipes, every other descriptor closed, every signal at its default and
 * unblocked, in its own directory, with an
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
#include <stdatomic.h>
#include <stdint.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway.h"
#include "cgiresp.h"
#include "log.h"
#include "report.h"
#include "stats.h"

extern char **environ;

/* Bytes read from the script or the web server at once. */
#define CHUNK ((size_t)64 * 1024)
/* Body bytes on their way to the spool file at once. */
#define BCHUNK ((size_t)16 * 1024)
/* The rewrite buffer (also the read buffer of the body's output): a
 * rewritten block that does not fit gets a buffer of its own. */
#define WBUF_LEN                                                               \
	(CGIRESP_MAX_BLOCK + 4096 > CHUNK ? CGIRESP_MAX_BLOCK + 4096 : CHUNK)
/* Longest line of a script's stderr logged in one piece. */
#define ERR_LINE 1024

enum phase {
	PH_HEADERS, /* collecting the script's header block */
	PH_WAIT,    /* block complete, no Content-Type: is there a body? */
	PH_READY,   /* block complete, to be sent once the body is in */
	PH_BODY,    /* headers sent, streaming */
};

struct run {
	const struct request *r;
	const struct cors_verdict *v;
	const struct config_script *g;
	const char *name; /* the script, for log lines */
	bool nph;
	pid_t pid;	  /* -1 once reaped or handed over */
	pid_t pgid;	  /* its process group: the pid it started with */
	int pidfd;	  /* readable once the script has exited */
	int in, out, err; /* our ends of the pipes, -1 when closed */

	/* the request body: web server -> queue -> script */
	long long body_left; /* bytes still to take from the web server */
	bool body_wait;	     /* the rest has not arrived yet */
	bool in_dead;	     /* the script does not read it: drop it */
	int64_t last_body;   /* ms: when body bytes last came */
	char *inbuf;	     /* queue, first part */
	size_t in_off, in_len;
	int spool; /* queue, the rest: an unlinked file; -1: none */
	long long spool_rd, spool_wr;
	char *bbuf; /* bytes from the web server on their way to the queue */

	/* the script's output */
	enum phase phase;
	bool has_body;	 /* something follows the header block */
	bool bad_block;	 /* its header block is malformed (logged) */
	int64_t last_io; /* ms: when the script last printed or read */
	char *hbuf;	 /* the header block, then the body that follows it */
	size_t hlen, scanned;
	long block_len;
	struct cgiresp resp;
	char *wbuf;   /* rewritten header block, then read buffer */
	char *errbuf; /* 4 KiB: its stderr, read */

	/* stderr */
	size_t err_total;
	char eline[ERR_LINE];
	size_t elen;
};

/* A script run and its buffers, in one heap block: a connection thread's
 * stack stays shallow, and so does its resident part (64 threads a worker,
 * and the compiler's stack-clash probes touch every page of a large
 * frame). */
struct scratch {
	struct run run;
	char inbuf[CHUNK];		      /* the script's output */
	char bbuf[BCHUNK];		      /* body to the spool */
	char hbuf[CGIRESP_MAX_BLOCK + CHUNK]; /* its header block */
	char wbuf[WBUF_LEN];		      /* rewrites, body output */
	char errbuf[4096];		      /* its stderr, read */
	char real[PATH_MAX];		      /* the resolved script */
	char note[2 * PATH_MAX + 96];	      /* more on a refusal */
};

/* ---- small helpers ---------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	return cors_enforced(v);
}

static int answer(const struct request *r, const struct cors_verdict *v,
		  enum gateway_fail f, const char *msg)
{
	return gateway_fail(r, v, f, msg);
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
	/* the path is built where its SCRIPT_FILENAME param goes (no 4 KiB
	 * buffer on a connection thread's stack) */
	static const char sf[] = "SCRIPT_FILENAME=";
	char *path = f->script_filename + sizeof(sf) - 1;
	const size_t path_size = sizeof(f->file);
	size_t len = strlen(f->file);

	_Static_assert(sizeof(f->script_filename) >=
			   sizeof(sf) - 1 + sizeof(f->file),
		       "SCRIPT_FILENAME= and a path");
	if (!pi || pi[0] != '/' || !is_dir(f->file))
		return;
	if (len >= path_size)
		return;
	memcpy(f->script_filename, sf, sizeof(sf) - 1);
	memcpy(path, f->file, len + 1);
	for (const char *seg = pi; *seg == '/';) {
		const char *end = strchr(seg + 1, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (len + n >= path_size)
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
		if (a < 0 || b < 0 || (size_t)a >= sizeof(f->script_name) ||
		    (size_t)b >= sizeof(f->path_info))
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

/* suEXEC's refusals, for the resolved script real (st: its stat): in a
 * directory writable by group or others, writable by group or others
 * itself, setuid or setgid. Returns true with *why and note set when one
 * applies. real is cut at its last slash for a moment, and restored. */
static bool unsafe_mode(char *real, const struct stat *st, const char **why,
			char *note, size_t size)
{
	struct stat ds;
	/* its directory: real cut after its last slash for a moment */
	char *slash = strrchr(real, '/');
	char *cut = slash && slash != real ? slash : real + 1;
	char keep = *cut;

	*cut = '\0';
	bool open_dir =
	    stat(real, &ds) == 0 && (ds.st_mode & (S_IWGRP | S_IWOTH));
	if (open_dir)
		snprintf(note, size, " (%s, mode %04o; chmod go-w it)", real,
			 (unsigned)(ds.st_mode & 07777));
	*cut = keep;
	if (open_dir) {
		*why = "in a directory writable by group or others";
		return true;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		*why = "writable by group or others";
		snprintf(note, size, " (%s, mode %04o; chmod go-w it)", real,
			 (unsigned)(st->st_mode & 07777));
		return true;
	}
	if (st->st_mode & (S_ISUID | S_ISGID)) {
		*why = "setuid or setgid";
		snprintf(note, size,
			 " (%s, mode %04o: corsgate runs no setuid or setgid "
			 "program, as Apache's suEXEC)",
			 real, (unsigned)(st->st_mode & 07777));
		return true;
	}
	return false;
}

/* Resolves file into real[PATH_MAX] and checks it against the cgi_root
 * entries. Returns 0, or -1 with the failure in *f and *why set (a short
 * phrase for the answer) and, when there is more to say, note[0..size)
 * filled for the log line (else note is ""). */
static int resolve(const struct config_script *g, const char *file, char *real,
		   enum gateway_fail *f, const char **why, char *note,
		   size_t size)
{
	struct stat st;

	note[0] = '\0';
	if (g->ncgi_roots == 0) {
		*why = "[gateway] cgi_root is not set: corsgate runs no "
		       "script without it";
		*f = GATEWAY_F_NO_CGI_ROOT;
		return -1;
	}
	if (!realpath(file, real)) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*why = "no such script";
			*f = GATEWAY_F_NOT_FOUND;
			return -1;
		}
		*why = strerror(errno);
		*f = GATEWAY_F_FORBIDDEN;
		return -1;
	}
	if (stat(real, &st) < 0) {
		*why = strerror(errno);
		*f = GATEWAY_F_FORBIDDEN;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		*f = GATEWAY_F_FORBIDDEN;
		return -1;
	}
	if (!config_cgi_root_match(g, real)) {
		*why = "outside cgi_root (after resolving symlinks)";
		/* the program entry that would allow it, named as asked:
		 * it resolves to the same file */
		snprintf(note, size,
			 " (resolves to %s; to run it, add to [gateway]: "
			 "cgi_root = %s)",
			 real, file[0] == '/' ? file : real);
		*f = GATEWAY_F_FORBIDDEN;
		return -1;
	}
	if (unsafe_mode(real, &st, why, note, size)) {
		*f = GATEWAY_F_FORBIDDEN;
		return -1;
	}
	if (faccessat(AT_FDCWD, real, X_OK, AT_EACCESS) < 0) {
		*why = "not executable";
		*f = GATEWAY_F_FORBIDDEN;
		return -1;
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
			const struct config_script *g)
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

/* The signals this process ignores, which a script would inherit as
 * ignored (exec resets caught ones by itself): corsgate's SIGPIPE, and
 * whatever our own parent ignored (shells ignore SIGINT and SIGQUIT for
 * background jobs, nohup SIGHUP). Found once, at the first spawn, when
 * corsgate's own dispositions are set: only these are reset in the child,
 * each one a system call there while the spawning thread waits. */
static sigset_t ignored_sigs;
static pthread_once_t ignored_once = PTHREAD_ONCE_INIT;

static void find_ignored(void)
{
	sigemptyset(&ignored_sigs);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig != SIGKILL && sig != SIGSTOP &&
		    sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			sigaddset(&ignored_sigs, sig);
	}
}

/* Starts the script. Returns 0, or an errno value (the script did not
 * start: exec failed, bad interpreter, no memory...). script is cut at
 * its last slash for a moment, and restored. */
static int spawn(struct run *run, char *script, char **envp)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	int rc;

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
	/* its directory: script cut at its last slash for the call, which
	 * copies it (no PATH_MAX buffer on a connection thread's stack) */
	char *slash = strrchr(script, '/');
	if (slash == script) {
		posix_spawn_file_actions_addchdir_np(&fa, "/");
	} else if (slash) {
		*slash = '\0';
		posix_spawn_file_actions_addchdir_np(&fa, script);
		*slash = '/';
	} else {
		posix_spawn_file_actions_addchdir_np(&fa, script);
	}
	posix_spawnattr_init(&at);
	pthread_once(&ignored_once, find_ignored);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &ignored_sigs);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setpgroup(&at, 0); /* its own: pgid = pid */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					  POSIX_SPAWN_SETSIGDEF |
					  POSIX_SPAWN_SETSIGMASK);
	char *argv[] = {(char *)(uintptr_t)script, NULL};
	rc = posix_spawn(&run->pid, script, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc == 0) {
		run->pgid = run->pid;
		run->in = pin[1];
		run->out = pout[0];
		run->err = perr[0];
		pin[1] = pout[0] = perr[0] = -1;
		/* our ends never block: one poll(2) loop serves all three */
		fcntl(run->in, F_SETFL, fcntl(run->in, F_GETFL) | O_NONBLOCK);
		fcntl(run->out, F_SETFL, fcntl(run->out, F_GETFL) | O_NONBLOCK);
		fcntl(run->err, F_SETFL, fcntl(run->err, F_GETFL) | O_NONBLOCK);
		/* its end is an event in the same poll(2) set (the child is
		 * ours and not reaped: the pid cannot be reused meanwhile) */
		run->pidfd = pidfd_open(run->pid, 0);
		if (run->pidfd < 0) {
			/* at most one line every 10 s: out of descriptors,
			 * every request would say so */
			static _Atomic int64_t said;
			int64_t now = now_ms();
			if (now - said > 10000) {
				said = now;
				log_warn(
				    "%s: pidfd_open: %s: a script's exit is "
				    "seen when its output ends",
				    script, strerror(errno));
			}
		}
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

/* ---- the reaper ------------------------------------------------------- */

/* Scripts whose answer is over but whose process is not reaped yet: one
 * that goes on after closing its output (CGI's "close STDOUT, then the
 * slow part"), and one being killed. One thread per process watches them
 * all in one poll(2) set - their pidfds and what is left of their stderr -
 * reaps each as it exits, and kills a group whose deadline passes:
 * SIGTERM, then SIGKILL CGI_KILL_GRACE seconds later. Request threads hand
 * a script over and go on at once. */

enum reap_stage {
	RS_RUNNING, /* left running: SIGTERM at the deadline */
	RS_TERM,    /* SIGTERM sent: SIGKILL at the deadline */
	RS_KILL,    /* SIGKILL sent */
};

struct reapee {
	pid_t pid;
	int pidfd; /* -1: no pidfd, waitpid(2) at each wake-up */
	int err;   /* the script's stderr, -1 once closed */
	enum reap_stage stage;
	bool hurried;	  /* the worker stops: killed before its deadline */
	size_t pi, ei;	  /* the reaper's poll entries (0: none) */
	int64_t deadline; /* ms, monotonic */
	size_t err_total;
	char name[200];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle;  /* signalled when pending drops to 0 */
	pthread_cond_t freed; /* signalled whenever scripts are reaped */
	int wake;	      /* eventfd: new entries, or "hurry" */
	bool started, hurry;
	struct reapee *in; /* handed over, not yet taken by the thread */
	size_t nin, capin;
	size_t pending; /* handed over and not reaped yet */
} reaper = {PTHREAD_MUTEX_INITIALIZER,
	    PTHREAD_COND_INITIALIZER,
	    PTHREAD_COND_INITIALIZER,
	    -1,
	    false,
	    false,
	    NULL,
	    0,
	    0,
	    0};

/* Logs stderr bytes of a script handed over, line by line. */
static void reapee_stderr(struct reapee *e)
{
	char buf[4096];
	ssize_t n = read(e->err, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close_fd(&e->err);
		return;
	}
	if (n < 0 || e->err_total >= CGI_STDERR_MAX)
		return;
	e->err_total += (size_t)n;
	for (char *p = buf, *end = buf + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len)
			log_warn("%s: stderr: %.*s", e->name,
				 (int)(len > ERR_LINE ? ERR_LINE : len), p);
		p += len + 1;
	}
}

/* Whether e is reaped (and its status logged). */
static bool reapee_reap(struct reapee *e)
{
	int status;
	pid_t w = waitpid(e->pid, &status, WNOHANG);
	if (w == 0 || (w < 0 && errno == EINTR))
		return false;
	stats_gauge(STATS_G_SCRIPTS, -1);
	if (w == e->pid && WIFSIGNALED(status) && e->stage == RS_RUNNING) {
		stats_add(STATS_SCRIPT_FAIL_KILLED);
		log_warn("%s: killed by signal %d", e->name, WTERMSIG(status));
	}
	if (e->stage != RS_RUNNING)
		kill(-e->pid, SIGKILL); /* whatever of its group is left */
	return true;
}

static void reapee_deadline(struct reapee *e, int64_t now)
{
	switch (e->stage) {
	case RS_RUNNING:
		if (e->hurried)
			log_debug("%s: the worker stops: killing the process "
				  "group of a script that outlived its answer",
				  e->name);
		else
			log_warn("%s: still running script_timeout after its "
				 "answer ended: killing its process group",
				 e->name);
		kill(-e->pid, SIGTERM);
		e->stage = RS_TERM;
		e->deadline = now + (int64_t)CGI_KILL_GRACE * 1000;
		break;
	case RS_TERM:
		kill(-e->pid, SIGKILL);
		e->stage = RS_KILL;
		e->deadline = now + (int64_t)60 * 1000;
		break;
	case RS_KILL:
		log_error("%s: pid %ld not gone 60 s after SIGKILL", e->name,
			  (long)e->pid);
		e->deadline = now + (int64_t)60 * 1000;
		break;
	}
}

static void *reaper_thread(void *arg)
{
	struct reapee *v = NULL;
	struct pollfd *p = NULL;
	size_t n = 0, cap = 0;
	(void)arg;

	for (;;) {
		pthread_mutex_lock(&reaper.lock);
		bool hurry = reaper.hurry;
		reaper.hurry = false;
		if (n + reaper.nin > cap) {
			size_t ncap = (n + reaper.nin) * 2 + 8;
			struct reapee *nv = realloc(v, ncap * sizeof(*v));
			struct pollfd *np =
			    nv ? realloc(p, (2 * ncap + 1) * sizeof(*p)) : NULL;
			if (nv)
				v = nv;
			if (np) {
				p = np;
				cap = ncap;
			}
		}
		if (reaper.nin && n + reaper.nin <= cap) {
			memcpy(v + n, reaper.in, reaper.nin * sizeof(*v));
			n += reaper.nin;
			reaper.nin = 0;
		}
		pthread_mutex_unlock(&reaper.lock);

		int64_t now = now_ms(), next = now + 1000;
		size_t np = 0;
		if (p == NULL) { /* no memory yet: try again in a second */
			struct timespec ts = {1, 0};
			nanosleep(&ts, NULL);
			continue;
		}
		/* only open descriptors: poll(2) refuses more entries than
		 * RLIMIT_NOFILE, closed ones (-1) included; ix[] maps them
		 * back (entry i: pidfd at pi[i], stderr at ei[i], 0: none) */
		p[np++] = (struct pollfd){reaper.wake, POLLIN, 0};
		for (size_t i = 0; i < n; i++) {
			if (hurry && v[i].stage == RS_RUNNING) {
				v[i].deadline = now;
				v[i].hurried = true;
			}
			if (v[i].deadline <= now)
				reapee_deadline(&v[i], now);
			if (v[i].deadline < next)
				next = v[i].deadline;
			v[i].pi = v[i].ei = 0;
			if (v[i].pidfd >= 0) {
				v[i].pi = np;
				p[np++] =
				    (struct pollfd){v[i].pidfd, POLLIN, 0};
			}
			if (v[i].err >= 0) {
				v[i].ei = np;
				p[np++] = (struct pollfd){v[i].err, POLLIN, 0};
			}
		}
		int wait = (int)(next - now);
		/* without a pidfd (a kernel before 5.3) exits are looked for
		 * every 100 ms */
		for (size_t i = 0; i < n; i++)
			if (v[i].pidfd < 0 && wait > 100)
				wait = 100;
		if (poll(p, (nfds_t)np, wait < 0 ? 0 : wait) < 0 &&
		    errno != EINTR) {
			log_error("reaper: poll: %s", strerror(errno));
			struct timespec ts = {0, 100 * 1000000L};
			nanosleep(&ts, NULL); /* not in a tight loop */
		}
		if (p[0].revents) {
			uint64_t x;
			ssize_t r = read(reaper.wake, &x, sizeof(x));
			(void)r;
		}
		size_t done = 0, k = 0;
		for (size_t i = 0; i < n; i++) {
			struct reapee *e = &v[i];
			if (e->ei && p[e->ei].revents)
				reapee_stderr(e);
			if ((e->pidfd < 0 || (e->pi && p[e->pi].revents)) &&
			    reapee_reap(e)) {
				/* what it left in its stderr pipe */
				for (int j = 0; j < 16 && e->err >= 0; j++)
					reapee_stderr(e);
				close_fd(&e->err);
				close_fd(&e->pidfd);
				done++;
				continue;
			}
			v[k++] = *e;
		}
		n = k;
		if (done) {
			pthread_mutex_lock(&reaper.lock);
			reaper.pending -= done;
			pthread_cond_broadcast(&reaper.freed);
			if (reaper.pending == 0)
				pthread_cond_broadcast(&reaper.idle);
			pthread_mutex_unlock(&reaper.lock);
		}
	}
	return NULL;
}

static void reaper_poke(void)
{
	uint64_t one = 1;
	ssize_t w = write(reaper.wake, &one, sizeof(one));
	(void)w;
}

/* Starts the reaper thread unless it runs. Call with reaper.lock held.
 * Returns 0, or -1 (logged). */
static int reaper_start(void)
{
	pthread_attr_t attr;
	pthread_t tid;

	if (reaper.started)
		return 0;
	reaper.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (reaper.wake < 0) {
		log_error("reaper: eventfd: %s", strerror(errno));
		return -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, (size_t)128 * 1024);
	int e = pthread_create(&tid, &attr, reaper_thread, NULL);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		log_error("reaper: pthread_create: %s", strerror(e));
		close_fd(&reaper.wake);
		return -1;
	}
	reaper.started = true;
	return 0;
}

int cgi_init(void)
{
	pthread_mutex_lock(&reaper.lock);
	int rc = reaper_start();
	pthread_mutex_unlock(&reaper.lock);
	return rc;
}

/* Hands a script over to the reaper. Returns 0, or -1 when it could not
 * be (no thread, no memory): the caller reaps it itself. */
static int reaper_add(pid_t pid, int *pidfd, int *err, const char *name,
		      enum reap_stage stage, int64_t deadline)
{
	int rc = -1;
	pthread_mutex_lock(&reaper.lock);
	if (reaper_start() < 0)
		goto out;
	if (reaper.nin == reaper.capin) {
		size_t ncap = reaper.capin * 2 + 8;
		struct reapee *nv = realloc(reaper.in, ncap * sizeof(*nv));
		if (!nv)
			goto out;
		reaper.in = nv;
		reaper.capin = ncap;
	}
	struct reapee *e = &reaper.in[reaper.nin++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->pidfd = *pidfd;
	e->err = *err;
	e->stage = stage;
	e->deadline = deadline;
	snprintf(e->name, sizeof(e->name), "%s", name);
	*pidfd = *err = -1;
	reaper.pending++;
	reaper_poke();
	rc = 0;
out:
	pthread_mutex_unlock(&reaper.lock);
	return rc;
}

/* A spawn that ran out of descriptors: waits until the reaper has reaped
 * some of the scripts it holds (each keeps a pidfd and its stderr pipe),
 * at most a second. Returns true when it did. */
static bool reaper_shrink(void)
{
	struct timespec until;
	bool freed = false;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&reaper.lock);
	size_t had = reaper.pending;
	while (had > 0 && reaper.pending >= had &&
	       pthread_cond_timedwait(&reaper.freed, &reaper.lock, &until) == 0)
		;
	freed = reaper.pending < had;
	pthread_mutex_unlock(&reaper.lock);
	return freed;
}

void cgi_reap_wait(bool hurry)
{
	pthread_mutex_lock(&reaper.lock);
	if (hurry && reaper.pending) {
		reaper.hurry = true;
		reaper_poke();
	}
	while (reaper.pending > 0)
		pthread_cond_wait(&reaper.idle, &reaper.lock);
	pthread_mutex_unlock(&reaper.lock);
}

size_t cgi_reap_pending(void)
{
	pthread_mutex_lock(&reaper.lock);
	size_t n = reaper.pending;
	pthread_mutex_unlock(&reaper.lock);
	return n;
}

/* Waits for pid the hard way, for when no reaper can take it. */
static void reap_here(pid_t pid, int timeout_s, bool killing)
{
	int status;
	for (int i = 0; i < timeout_s * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) != 0)
			goto gone;
		struct timespec ts = {0, 100L * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
gone:
	if (killing)
		kill(-pid, SIGKILL);
}

/* The script's process is done with: reaped already, or handed to the
 * reaper (left running until script_timeout, or being killed). */
static void let_go(struct run *run, enum reap_stage stage, long timeout_s)
{
	if (run->pid <= 0)
		return;
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	if (reaper_add(run->pid, &run->pidfd, &run->err, run->name, stage,
		       deadline) < 0) {
		log_error("%s: no reaper thread: waiting for it here",
			  run->name);
		reap_here(run->pid, (int)timeout_s, stage != RS_RUNNING);
		stats_gauge(STATS_G_SCRIPTS, -1);
	}
	run->pid = -1;
}

/* SIGTERM to the script's process group; the reaper sends SIGKILL after
 * the grace period, and reaps it. Nothing here waits. */
static void kill_group(struct run *run, const char *why)
{
	if (run->pid <= 0) {
		/* it exited; what it left in its group holds the pipes */
		if (run->pgid > 0) {
			log_warn("%s: %s: killing what is left of its process "
				 "group",
				 run->name, why);
			kill(-run->pgid, SIGKILL);
		}
		return;
	}
	log_warn("%s: %s: killing its process group", run->name, why);
	kill(-run->pid, SIGTERM);
	let_go(run, RS_TERM, CGI_KILL_GRACE);
}

/* The script's pidfd is readable (or there is none): reaps it if it has
 * exited. */
static void check_exit(struct run *run)
{
	int status;
	if (run->pid <= 0)
		return;
	pid_t w = waitpid(run->pid, &status, WNOHANG);
	if (w == 0 || (w < 0 && errno == EINTR))
		return;
	if (w == run->pid && WIFSIGNALED(status)) {
		stats_add(STATS_SCRIPT_FAIL_KILLED);
		log_warn("%s: killed by signal %d", run->name,
			 WTERMSIG(status));
	}
	stats_gauge(STATS_G_SCRIPTS, -1);
	run->pid = -1;
	close_fd(&run->pidfd);
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

/* Reads what the script's stderr holds now. Returns false at its end. */
static bool read_stderr(struct run *run)
{
	ssize_t n = read(run->err, run->errbuf, 4096);
	if (n > 0) {
		take_stderr(run, run->errbuf, (size_t)n);
		return true;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close_fd(&run->err);
		return false;
	}
	return true;
}

/* ---- the body --------------------------------------------------------- */

/* The body flows web server -> queue -> script's stdin. The queue is
 * inbuf[in_off..in_len), then, when that is busy, an unlinked temporary
 * file read from spool_rd and written at spool_wr. Bytes are taken from
 * the web server as they arrive, never waiting for more: while the
 * script takes them (the queue is empty), and at any pace once an answer
 * is due, so that a web server that sends the whole body before it reads
 * (Apache) is never left blocked. */

static int spool_open(struct run *run)
{
	const char *dir = getenv("TMPDIR");
	if (run->spool >= 0)
		return 0;
	if (!dir || !*dir)
		dir = "/tmp";
	run->spool = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (run->spool < 0) {
		log_error("%s: cannot keep the request body in %s: %s",
			  run->name, dir, strerror(errno));
		return -1;
	}
	run->spool_rd = run->spool_wr = 0;
	return 0;
}

static bool queue_empty(const struct run *run)
{
	return run->in_off == run->in_len && run->spool_rd == run->spool_wr;
}

/* Appends buf[0..n) to the queue. Returns 0, or -1 (logged). */
static int queue_put(struct run *run, const char *buf, size_t n)
{
	if (run->in_dead)
		return 0; /* the script does not read it: dropped */
	if (queue_empty(run) && n <= CHUNK) {
		if (buf != run->inbuf)
			memcpy(run->inbuf, buf, n);
		run->in_off = 0;
		run->in_len = n;
		return 0;
	}
	if (spool_open(run) < 0)
		return -1;
	for (size_t off = 0; off < n;) {
		ssize_t w = pwrite(run->spool, buf + off, n - off,
				   (off_t)run->spool_wr);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_error("%s: cannot keep the request body: %s",
				  run->name, strerror(errno));
			return -1;
		}
		off += (size_t)w;
		run->spool_wr += w;
	}
	return 0;
}

/* Whether the body is to be taken from the web server now. */
static bool want_body(const struct run *run)
{
	return run->body_left > 0 &&
	       (queue_empty(run) || run->in_dead || run->phase >= PH_WAIT);
}

/* Takes the body bytes that have arrived. Returns 0, or -1 when the web
 * server's connection failed (or the body cannot be kept). Sets
 * run->body_wait when the rest is still to come. */
static int pull_body(struct run *run)
{
	const struct request_io *io = &run->r->io;
	run->body_wait = false;
	for (int rounds = 0; rounds < 64 && want_body(run); rounds++) {
		/* straight into inbuf when it is free, else via bbuf */
		bool direct = queue_empty(run) && !run->in_dead;
		char *dst = direct ? run->inbuf : run->bbuf;
		size_t want = direct ? CHUNK : BCHUNK;
		if ((long long)want > run->body_left)
			want = (size_t)run->body_left;
		long got = io->read_some ? io->read_some(io->ctx, dst, want)
					 : io->read(io->ctx, dst, want);
		if (got == REQUEST_IO_AGAIN) {
			run->body_wait = true;
			return 0;
		}
		if (got < 0)
			return -1;
		if (got == 0) { /* the body ended early */
			run->body_left = 0;
			break;
		}
		run->body_left -= got;
		run->last_body = run->last_io = now_ms();
		if (queue_put(run, dst, (size_t)got) < 0)
			return -1;
	}
	return 0;
}

/* Feeds the script's stdin from the queue, as much as it takes now. */
static void feed(struct run *run)
{
	while (run->in >= 0) {
		if (run->in_off == run->in_len) {
			if (run->spool_rd == run->spool_wr) {
				if (run->body_left == 0)
					close_fd(&run->in); /* the end */
				return;
			}
			long long left = run->spool_wr - run->spool_rd;
			ssize_t n = pread(run->spool, run->inbuf,
					  left < (long long)CHUNK ? (size_t)left
								  : CHUNK,
					  (off_t)run->spool_rd);
			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				log_error("%s: cannot read back the request "
					  "body: %s",
					  run->name,
					  n < 0 ? strerror(errno) : "EOF");
				run->in_dead = true;
				close_fd(&run->in);
				return;
			}
			run->spool_rd += n;
			run->in_off = 0;
			run->in_len = (size_t)n;
		}
		ssize_t w = write(run->in, run->inbuf + run->in_off,
				  run->in_len - run->in_off);
		if (w > 0) {
			run->in_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		/* EPIPE: the script does not read it; the rest is dropped */
		run->in_dead = true;
		run->in_off = run->in_len = 0;
		run->spool_rd = run->spool_wr;
		close_fd(&run->in);
	}
}

/* ---- output ----------------------------------------------------------- */

/* Report-only: compares the policy's verdict with the script's answer,
 * logs a disagreement at info (an agreement at debug) and counts it. */
static void report(const struct run *run)
{
	const struct cors_verdict *v = run->v;
	const struct request *r = run->r;
	struct report_result res;
	char line[1536];

	if (v->kind == CORS_NOT_CORS || v->kind == CORS_DISABLED ||
	    cors_enforced(v))
		return;
	bool cred = request_param(r, "HTTP_COOKIE") != NULL ||
		    request_param(r, "HTTP_AUTHORIZATION") != NULL;
	bool differ = report_compare(&run->resp, v, &r->cors, cred, &res);
	stats_report(res.policy_allows, res.script_allows);
	if (log_get_level() < (differ ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG))
		return;
	report_format(&res, v, &r->cors, r->path, r->path_len, line,
		      sizeof(line));
	if (differ)
		log_info("%s", line);
	else
		log_debug("%s", line);
}

/* Sends the rewritten header block, then what followed it. The block is
 * written into wbuf when it fits, else into a buffer of its own size (the
 * script's block is bounded, but the headers added - a long
 * expose_headers list, an echoed origin - are not). Returns 0, -1 (client
 * gone) or 1 when nothing was sent and the request is to be answered 502
 * (logged). */
static int send_headers(struct run *run)
{
	struct cgiresp_rewrite rw = {
	    .apply_cors = applies(run->v),
	    .add = run->v->headers,
	    .nadd = run->v->nheaders,
	    .default_content_type = run->g->default_content_type,
	    .has_body = run->has_body,
	};
	bool added;
	size_t need = cgiresp_write_size(&run->resp, &rw);
	char *buf = run->wbuf, *big = NULL;
	if (need > WBUF_LEN) {
		big = malloc(need);
		if (!big) {
			log_error("%s: out of memory for its rewritten header "
				  "block (%zu bytes): answered 502",
				  run->name, need);
			return 1;
		}
		buf = big;
	}
	long n = cgiresp_write(&run->resp, &rw, buf,
			       need > WBUF_LEN ? need : WBUF_LEN, &added);
	if (n < 0) { /* cannot happen: need is what it takes */
		log_error("%s: rewritten header block over %zu bytes: "
			  "answered 502",
			  run->name, need);
		free(big);
		return 1;
	}
	if (added)
		log_warn("%s: no Content-Type: sent %s", run->name,
			 run->g->default_content_type);
	report(run);
	stats_response(run->resp.status);
	int rc = out_write(run->r, buf, (size_t)n);
	free(big);
	if (rc < 0)
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

/* The header block grew by the bytes at hbuf's end. Returns 0 to go on,
 * 1 when the script's output is bad (to be answered 502). */
static int take_block(struct run *run)
{
	enum cgiresp_err err;

	if (run->phase == PH_WAIT) { /* a body follows the block */
		run->has_body = true;
		run->phase = PH_READY;
		return 0;
	}
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
		run->bad_block = true;
		return 1;
	}
	if (!run->resp.has_content_type &&
	    run->hlen == (size_t)run->block_len) {
		run->phase = PH_WAIT; /* a body may follow, or not */
		return 0;
	}
	run->has_body = run->hlen > (size_t)run->block_len;
	run->phase = PH_READY;
	return 0;
}

/* Reads the script's stdout once. Returns 0 to go on, 1 for bad output,
 * -1 when the client is gone. */
static int read_stdout(struct run *run)
{
	ssize_t n;

	if (run->phase == PH_BODY) {
		n = read(run->out, run->wbuf, CHUNK);
		if (n > 0)
			return out_write(run->r, run->wbuf, (size_t)n) < 0 ||
				       out_flush(run->r) < 0
				   ? -1
				   : 0;
	} else {
		size_t room = CGIRESP_MAX_BLOCK + CHUNK - run->hlen;
		n = read(run->out, run->hbuf + run->hlen, room);
		if (n > 0) {
			run->hlen += (size_t)n;
			return take_block(run);
		}
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		close_fd(&run->out);
	return 0;
}

/* ---- the loop --------------------------------------------------------- */

/* How a run ends. */
enum outcome {
	RUN_DONE,    /* answered whole (or with the gateway's error) */
	RUN_GONE,    /* the client or the web server is gone */
	RUN_CUT,     /* the answer began and was cut short */
	RUN_BAD,     /* bad output before any answer: 502 */
	RUN_TIMEOUT, /* nothing answered in time: 504 */
};

/* Whether the answer may go out now: its block is complete, and the body
 * is all in (or nothing more has arrived for CGI_BODY_STALL_MS: a web
 * server that still sends it does so at once). */
static bool may_answer(const struct run *run, int64_t now)
{
	if (run->phase != PH_READY && !(run->phase == PH_WAIT && run->out < 0))
		return false;
	return run->body_left == 0 ||
	       (run->body_wait && now - run->last_body >= CGI_BODY_STALL_MS);
}

/* Runs the script until its answer is over. */
static enum outcome pump(struct run *run)
{
	const int64_t idle = (int64_t)run->g->script_timeout * 1000;
	const int64_t start = now_ms();
	const int64_t end = run->g->request_timeout > 0
				? start + run->g->request_timeout * 1000
				: INT64_MAX;

	run->last_body = run->last_io = start;
	for (;;) {
		struct pollfd p[5];
		int np = 0, iout = -1, ierr = -1, iin = -1, ibody = -1,
		    ipid = -1;

		/* the body: what has come, on to the script, while it takes
		 * it (bounded: output is served in between) */
		for (int k = 0; k < 16; k++) {
			if (pull_body(run) < 0) {
				kill_group(
				    run, "the web server's connection failed");
				return RUN_GONE;
			}
			feed(run);
			if (!want_body(run) || run->body_wait)
				break;
		}
		int64_t now = now_ms();
		if (may_answer(run, now)) {
			if (run->phase == PH_WAIT)
				run->has_body = false;
			int sent = send_headers(run);
			if (sent < 0) {
				kill_group(run, "the client went away");
				return RUN_GONE;
			}
			if (sent > 0) {
				run->bad_block = true; /* logged */
				kill_group(run, "no answer could be made");
				return RUN_BAD;
			}
		}
		if (run->out < 0 && run->phase == PH_BODY)
			return RUN_DONE;
		if (run->out < 0 && run->phase == PH_HEADERS)
			return RUN_BAD;
		/* stdout: not while an answer waits for the body */
		if (run->out >= 0 && run->phase != PH_READY) {
			iout = np;
			p[np++] = (struct pollfd){run->out, POLLIN, 0};
		}
		if (run->err >= 0) {
			ierr = np;
			p[np++] = (struct pollfd){run->err, POLLIN, 0};
		}
		if (run->in >= 0 && !queue_empty(run)) {
			iin = np;
			p[np++] = (struct pollfd){run->in, POLLOUT, 0};
		}
		bool body_now = false; /* more body to read at once */
		if (want_body(run)) {
			if (run->r->io.read_some) {
				ibody = np;
				p[np++] =
				    (struct pollfd){run->r->io.fd, POLLIN, 0};
			} else {
				body_now = true;
			}
		}
		if (run->pidfd >= 0) {
			ipid = np;
			p[np++] = (struct pollfd){run->pidfd, POLLIN, 0};
		}
		int64_t until =
		    run->last_io + idle < end ? run->last_io + idle : end;
		if (run->phase == PH_READY && run->body_wait &&
		    run->last_body + CGI_BODY_STALL_MS < until)
			until = run->last_body + CGI_BODY_STALL_MS;
		if (now >= run->last_io + idle || now >= end) {
			kill_group(run, now >= end ? "over request_timeout"
						   : "no output for "
						     "script_timeout");
			return run->phase == PH_BODY ? RUN_CUT : RUN_TIMEOUT;
		}
		int rc =
		    poll(p, (nfds_t)np, body_now ? 0 : (int)(until - now) + 1);
		if (rc < 0 && errno != EINTR) {
			kill_group(run, "poll failed");
			return RUN_GONE;
		}
		if (rc <= 0)
			continue;
		if (ipid >= 0 && p[ipid].revents)
			check_exit(run);
		if (ierr >= 0 && p[ierr].revents && read_stderr(run))
			run->last_io = now_ms();
		if (iin >= 0 && p[iin].revents)
			feed(run);
		(void)ibody; /* pull_body() at the top reads what came */
		if (iout >= 0 && p[iout].revents) {
			int t = read_stdout(run);
			run->last_io = now_ms();
			if (t < 0) {
				kill_group(run, "the client went away");
				return RUN_GONE;
			}
			if (t > 0) {
				kill_group(run, "bad output");
				return RUN_BAD;
			}
		}
	}
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
	return rc == CGI_OK && body_left > 0 ? CGI_CLOSE : rc;
}

/* A thread's scratch block, kept for its next script: allocated and freed
 * per run, its 230 KiB went back and forth between malloc's heap and the
 * kernel (mprotect, madvise, page faults) on every request. Only the pages
 * a run touches are resident. */
static _Thread_local struct scratch *kept_scratch;

static struct scratch *scratch_get(void)
{
	struct scratch *m = kept_scratch;
	if (m) {
		kept_scratch = NULL;
		return m;
	}
	return malloc(sizeof(*m));
}

static void scratch_put(struct scratch *m)
{
	if (kept_scratch == NULL)
		kept_scratch = m;
	else
		free(m);
}

void cgi_thread_end(void)
{
	free(kept_scratch);
	kept_scratch = NULL;
}

int cgi_run(const struct request *r, const struct cgi_target *t,
	    const struct cors_verdict *v, const struct config_script *g)
{
	const char *why = NULL;
	char **envp = NULL;
	int rc = CGI_CLOSE;
	bool bad;

	long long len = content_length(r, &bad);
	if (bad) {
		log_error("%s %s: CONTENT_LENGTH '%s' is not a number: "
			  "answered 400",
			  r->method, t->filename,
			  request_param(r, "CONTENT_LENGTH"));
		/* how much body follows is unknown: close afterwards */
		answer(r, v, GATEWAY_F_BAD_LENGTH, "bad Content-Length");
		return CGI_CLOSE;
	}
	struct scratch *mem = scratch_get();
	if (!mem) {
		log_error("%s: out of memory: answered 500", t->filename);
		return unread(answer(r, v, GATEWAY_F_NO_MEMORY, NULL), len);
	}
	struct run *run = &mem->run;
	memset(run, 0, sizeof(*run));
	run->r = r;
	run->v = v;
	run->g = g;
	run->name = t->filename;
	run->in = run->out = run->err = run->spool = run->pidfd = -1;
	run->pid = -1;
	run->errbuf = mem->errbuf;
	char *real = mem->real;
	char *note = mem->note;
	enum gateway_fail fail;
	if (resolve(g, t->filename, real, &fail, &why, note,
		    sizeof(mem->note)) < 0) {
		log_error("%s %s: %s%s: answered %d", r->method, t->filename,
			  why, note, gateway_fail_status(fail));
		rc = unread(answer(r, v, fail, why), len);
		goto out;
	}
	if (g->max_body > 0 && len > g->max_body) {
		log_error("%s %s: body of %lld bytes over max_body (%lld): "
			  "answered 413",
			  r->method, t->filename, len, g->max_body);
		rc = unread(answer(r, v, GATEWAY_F_BODY_TOO_BIG, NULL), len);
		goto out;
	}
	const char *base = strrchr(t->filename, '/');
	run->nph = strncmp(base ? base + 1 : t->filename, "nph-", 4) == 0;
	run->body_left = len;
	envp = build_env(r, t, g);
	if (!envp) {
		log_error("%s: out of memory: answered 500", t->filename);
		rc = answer(r, v, GATEWAY_F_NO_MEMORY, NULL);
		goto out;
	}
	run->inbuf = mem->inbuf;
	run->bbuf = mem->bbuf;
	run->hbuf = mem->hbuf;
	run->wbuf = mem->wbuf;
	int err = spawn(run, real, envp);
	if ((err == EMFILE || err == ENFILE) && reaper_shrink())
		err = spawn(run, real, envp); /* with what the reaper freed */
	if (err) {
		log_error("%s: cannot run: %s: answered 502", real,
			  strerror(err));
		rc = answer(r, v, GATEWAY_F_SPAWN, NULL);
		goto out;
	}
	stats_add(STATS_SCRIPT_RUNS);
	stats_gauge(STATS_G_SCRIPTS, 1);
	switch (pump(run)) {
	case RUN_DONE:
		rc = CGI_OK;
		break;
	case RUN_GONE:
		rc = CGI_CLOSE;
		break;
	case RUN_CUT:
		log_error("%s: the answer was cut short: the web server is "
			  "told it is incomplete",
			  run->name);
		stats_add(STATS_SCRIPT_FAIL_CUT);
		rc = CGI_ABORT;
		break;
	case RUN_BAD:
		if (!run->bad_block && run->hlen == 0) {
			log_error("%s: printed nothing: answered 502",
				  run->name);
		} else if (!run->bad_block) {
			char what[1024];
			log_error("%s: %s, %s: answered 502", run->name,
				  cgiresp_strerror(CGIRESP_E_EOF),
				  cgiresp_describe(run->hbuf, run->hlen, 0,
						   CGIRESP_E_EOF, run->nph,
						   what, sizeof(what)));
		}
		rc = answer(r, v,
			    run->bad_block ? GATEWAY_F_BAD_OUTPUT
					   : GATEWAY_F_EARLY_END,
			    NULL);
		break;
	case RUN_TIMEOUT:
		log_error("%s: timed out after %lds: answered 504", run->name,
			  g->script_timeout);
		rc = answer(r, v, GATEWAY_F_TIMEOUT, NULL);
		break;
	}
	err_line_flush(run);
	/* the answer is over; what the script still has to say on stderr
	 * now, then its process: reaped, or left to the reaper */
	for (int i = 0; i < 16 && run->err >= 0 && read_stderr(run); i++)
		;
	err_line_flush(run);
	check_exit(run);
	if (run->pid > 0)
		let_go(run, RS_RUNNING, g->script_timeout);
out:
	rc = unread(rc, run->body_left);
	close_fd(&run->in);
	close_fd(&run->out);
	close_fd(&run->err);
	close_fd(&run->spool);
	close_fd(&run->pidfd);
	scratch_put(mem);
	free(envp);
	return rc;
}
