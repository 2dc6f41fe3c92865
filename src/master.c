/* master.c - the FastCGI server's master process. See master.h.
 *
 * Processes (nginx's model). The master binds the socket, keeps its own
 * identity (root, when started so) and the policy, and supervises W
 * worker processes of the current generation: a worker that dies is
 * logged and replaced, with a growing delay when workers die as soon as
 * they start. It never runs a script. Signals are taken with
 * sigtimedwait(2): no handlers. SIGTERM/SIGINT: forward, wait (workers
 * still busy after SHUTDOWN_GRACE_TIMEOUTS I/O timeouts are killed).
 * SIGHUP: load the file once; when it is sound, fork a new generation
 * that inherits it, then retire the old generation (SIGUSR1): it stops
 * accepting, finishes what it has in flight, and passes each kept-alive
 * connection, between two requests, to the new generation over a
 * seqpacket socket pair (SCM_RIGHTS; a datagram pair queues only
 * net.unix.max_dgram_qlen, often 10, messages) - closing it would race with the
 * web server sending on it. SIGCHLD: reap.
 */
#include "master.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "listen.h"
#include "log.h"
#include "stats.h"
#include "worker.h"

/* Seconds a connection may take to send a request, or to accept a
 * response; CORSGATE_IO_TIMEOUT overrides. A kept-alive connection may
 * idle twice as long between requests. */
#define DEFAULT_IO_TIMEOUT 30
#define MAX_IO_TIMEOUT 3600

/* A worker that dies younger than this counts as failing at start; each
 * such failure in a row doubles the delay before the next fork. */
#define RESTART_FAST_MS 1000
#define RESTART_DELAY_MIN_MS 100
#define RESTART_DELAY_MAX_MS 10000

/* How long the master waits for workers to finish at shutdown before
 * SIGKILL, in I/O timeouts. */
#define SHUTDOWN_GRACE_TIMEOUTS 2

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the master ---- */

struct slot {
	pid_t pid; /* 0: empty */
	int64_t started;
};

static void log_exit(pid_t pid, int status, bool expected)
{
	if (WIFSIGNALED(status))
		log_msg(expected ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR,
			"worker %ld killed by signal %d (%s)%s", (long)pid,
			WTERMSIG(status), strsignal(WTERMSIG(status)),
			expected ? "" : "; starting another");
	else if (!expected || WEXITSTATUS(status) != 0)
		log_msg(expected ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR,
			"worker %ld exited with status %d%s", (long)pid,
			WEXITSTATUS(status),
			expected ? "" : "; starting another");
	else
		log_debug("worker %ld exited", (long)pid);
}

struct master {
	const char *config_file;
	long workers;
	struct worker_settings ws; /* what each worker is told */
	struct config *cfg;	   /* the current generation's policy */
	unsigned long gen;	   /* the current generation, from 1 */
	struct slot *slots;	   /* its workers */
	long alive;
	pid_t *old; /* workers of older generations, finishing */
	size_t nold, capold;
	int fast_fails;	   /* workers in a row that died at start */
	int64_t next_fork; /* no fork before this (restart throttling) */
};

static bool forget_old(struct master *m, pid_t pid)
{
	for (size_t i = 0; i < m->nold; i++)
		if (m->old[i] == pid) {
			m->old[i] = m->old[--m->nold];
			return true;
		}
	return false;
}

/* Reaps every exited worker; schedules replacements unless stopping. */
static void master_reap(struct master *m, bool stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int64_t now = now_ms();
		long i;

		stats_slot_release(pid);

		if (forget_old(m, pid)) {
			log_exit(pid, status, true);
			continue;
		}
		for (i = 0; i < m->workers; i++)
			if (m->slots[i].pid == pid)
				break;
		if (i == m->workers)
			continue; /* not a worker */
		m->slots[i].pid = 0;
		m->alive--;
		log_exit(pid, status, stopping);
		if (stopping)
			continue;
		stats_add(STATS_WORKER_RESTARTS);
		if (now - m->slots[i].started < RESTART_FAST_MS) {
			/* 100 ms, 200 ms, 400 ms... up to 10 s */
			int64_t delay = RESTART_DELAY_MIN_MS;
			for (int k = 0;
			     k < m->fast_fails && delay < RESTART_DELAY_MAX_MS;
			     k++)
				delay *= 2;
			if (delay > RESTART_DELAY_MAX_MS)
				delay = RESTART_DELAY_MAX_MS;
			m->fast_fails++;
			m->next_fork = now + delay;
			log_error(
			    "worker %ld lived %lld ms; next start in %lld "
			    "ms",
			    (long)pid, (long long)(now - m->slots[i].started),
			    (long long)delay);
		} else {
			m->fast_fails = 0;
		}
	}
}

/* Forks the missing workers of the current generation. A worker ends in
 * the child with _exit(2). */
static void master_fork(struct master *m)
{
	for (long i = 0; i < m->workers; i++) {
		pid_t pid;

		if (m->slots[i].pid != 0)
			continue;
		if (now_ms() < m->next_fork)
			return;
		int slot = stats_slot_claim();
		pid = fork();
		if (pid < 0) {
			stats_slot_own(slot, -1);
			log_error("fork: %s", strerror(errno));
			m->fast_fails++;
			m->next_fork = now_ms() + RESTART_DELAY_MAX_MS / 10;
			return;
		}
		if (pid == 0) {
			struct worker_settings ws = m->ws;
			stats_slot_use(slot);
			ws.master = getppid();
			ws.gen = m->gen;
			/* the policy is read, never freed, by the worker:
			 * its copy ends with the process */
			_exit(worker_run(&ws, m->cfg));
		}
		stats_slot_own(slot, pid);
		m->slots[i].pid = pid;
		m->slots[i].started = now_ms();
		m->alive++;
	}
}

static void apply_log_level(const struct config *cfg)
{
	if (cfg->gateway.log_level_set)
		log_set_level(cfg->gateway.log_level);
}

/* SIGHUP: the file read once; a new generation on it, then the old one
 * told to finish. */
static void master_reload(struct master *m)
{
	struct config *cfg;
	size_t need = m->nold + (size_t)m->workers;

	log_info("SIGHUP: reloading %s", m->config_file);
	cfg = config_load(m->config_file);
	if (cfg == NULL) {
		stats_add(STATS_RELOAD_FAILED);
		log_error("reload failed, keeping the old policy");
		return;
	}
	if (need > m->capold) {
		pid_t *p = realloc(m->old, need * sizeof(*p));
		if (p == NULL) {
			stats_add(STATS_RELOAD_FAILED);
			log_error("reload failed (out of memory), keeping the "
				  "old policy");
			config_free(cfg);
			return;
		}
		m->old = p;
		m->capold = need;
	}
	apply_log_level(cfg);
	if (cfg->gateway.workers || cfg->gateway.threads ||
	    cfg->gateway.listen || cfg->gateway.user || cfg->gateway.group)
		log_debug("[gateway] listen, workers, threads, user and group "
			  "take effect at the next start");
	size_t first_old = m->nold;
	for (long i = 0; i < m->workers; i++)
		if (m->slots[i].pid > 0) {
			m->old[m->nold++] = m->slots[i].pid;
			m->slots[i].pid = 0;
		}
	m->alive = 0;
	config_free(m->cfg);
	m->cfg = cfg;
	m->gen++;
	stats_add(STATS_RELOAD_OK);
	stats_set_generation(m->gen);
	stats_policy_loaded();
	m->fast_fails = 0;
	m->next_fork = 0;
	master_fork(m);
	/* the new generation is forked: the old one stops accepting, and
	 * hands its kept-alive connections over (SIGUSR1: retire) */
	for (size_t i = first_old; i < m->nold; i++)
		kill(m->old[i], SIGUSR1);
	log_info("policy reloaded: generation %lu, %ld worker%s; %zu of "
		 "older generations finishing",
		 m->gen, m->alive, m->alive == 1 ? "" : "s", m->nold);
}

static void signal_all(const struct master *m, int sig)
{
	for (long i = 0; i < m->workers; i++)
		if (m->slots[i].pid > 0)
			kill(m->slots[i].pid, sig);
	for (size_t i = 0; i < m->nold; i++)
		kill(m->old[i], sig);
}

static void master_stop(struct master *m, const sigset_t *set, int io_timeout)
{
	int grace = io_timeout * SHUTDOWN_GRACE_TIMEOUTS;
	int64_t deadline = now_ms() + (int64_t)grace * 1000;
	bool killed = false;

	log_info("stopping: waiting for %ld worker%s to finish the requests in "
		 "flight",
		 m->alive + (long)m->nold,
		 m->alive + (long)m->nold == 1 ? "" : "s");
	signal_all(m, SIGTERM);
	master_reap(m, true);
	while (m->alive > 0 || m->nold > 0) {
		int64_t left = deadline - now_ms();
		struct timespec ts;

		if (left <= 0 && !killed) {
			log_error("workers still busy after %d s: killing them",
				  grace);
			signal_all(m, SIGKILL);
			killed = true;
		}
		if (left < 100)
			left = 100;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		sigtimedwait(set, NULL, &ts);
		master_reap(m, true);
	}
}

/* Runs the master until SIGTERM/SIGINT. Returns the exit status. */
static int master_run(struct master *m, int io_timeout)
{
	sigset_t set;

	m->slots = calloc((size_t)m->workers, sizeof(*m->slots));
	if (m->slots == NULL) {
		log_error("out of memory");
		return 1;
	}
	m->gen = 1;
	stats_set_generation(m->gen);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		struct timespec ts;
		int sig;

		if (m->alive < m->workers)
			master_fork(m);
		if (m->alive < m->workers) {
			int64_t left = m->next_fork - now_ms();
			if (left < 1)
				left = 1;
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000L;
			sig = sigtimedwait(&set, NULL, &ts);
		} else {
			sig = sigwaitinfo(&set, NULL);
		}
		if (sig == SIGCHLD) {
			master_reap(m, false);
		} else if (sig == SIGHUP) {
			master_reload(m);
		} else if (sig == SIGTERM || sig == SIGINT) {
			master_stop(m, &set, io_timeout);
			break;
		}
	}
	log_info("stopped");
	return 0;
}

/* ---- start ---- */

static int resolve_ids(const char *user, const char *group, uid_t *uid,
		       gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (user) {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL) {
			log_error("user '%s': no such user", user);
			return -1;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (group) {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			log_error("group '%s': no such group", group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* Whether uid:gid (with uid's supplementary groups) may read path, by its
 * mode bits. */
static bool readable_by(const char *path, const char *user, uid_t uid,
			gid_t gid)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	if (uid == 0)
		return true;
	if (st.st_uid == uid)
		return (st.st_mode & S_IRUSR) != 0;
	bool member = st.st_gid == gid;
	if (!member && user) {
		gid_t groups[256];
		int n = 256;
		if (getgrouplist(user, gid, groups, &n) >= 0)
			for (int i = 0; i < n && !member; i++)
				member = groups[i] == st.st_gid;
	}
	if (member)
		return (st.st_mode & S_IRGRP) != 0;
	return (st.st_mode & S_IROTH) != 0;
}

/* Decides who the workers are, and whether the service may start so.
 * Fills ws's identity. Returns 0, or -1 after logging why. */
static int plan_identity(const char *user, const char *group,
			 const char *config_file, struct listener *l,
			 bool allow_root, struct worker_settings *ws)
{
	uid_t uid;
	gid_t gid;

	ws->drop = false;
	if (resolve_ids(user, group, &uid, &gid) < 0)
		return -1;
	if ((user || group) && geteuid() != 0) {
		if ((user && uid != geteuid()) || (group && gid != getegid())) {
			log_error(
			    "cannot switch to %s%s%s: not running as root",
			    user ? user : "", user && group ? ":" : "",
			    group ? group : "");
			return -1;
		}
	} else if (user || group) {
		if (listen_chown(l, uid, group ? gid : (gid_t)-1) < 0)
			return -1;
		ws->drop = true;
		ws->user = user;
		ws->uid = user ? uid : geteuid();
		ws->gid = gid;
	}
	bool worker_root = ws->drop ? ws->uid == 0 : geteuid() == 0;
	if (worker_root && !allow_root) {
		log_error(
		    "refusing to serve as root: give an unprivileged user "
		    "with -u USER (or user = in [gateway]), or pass "
		    "--allow-root");
		return -1;
	}
	if (ws->drop && user && ws->uid != 0) {
		/* the master rereads the file at every reload, as root: say
		 * now whether the scripts can read it too */
		if (readable_by(config_file, user, ws->uid, ws->gid))
			log_warn("%s is readable by %s, the workers' user: "
				 "scripts can read the policy too (chmod 600 "
				 "keeps it to the master, which reloads it as "
				 "root)",
				 config_file, user);
	} else if (geteuid() != 0) {
		log_debug("%s: reloads read it as uid %ld, as at start",
			  config_file, (long)geteuid());
	}
	return 0;
}

static int io_timeout_from_env(void)
{
	const char *s = getenv("CORSGATE_IO_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return DEFAULT_IO_TIMEOUT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > MAX_IO_TIMEOUT) {
		log_warn("CORSGATE_IO_TIMEOUT=%s: not 1..%d seconds; using %d",
			 s, MAX_IO_TIMEOUT, DEFAULT_IO_TIMEOUT);
		return DEFAULT_IO_TIMEOUT;
	}
	return (int)v;
}

static long online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

/* Blocks the signals the master and workers wait for, ignores SIGPIPE,
 * and undoes the handlers FCGX_Init() installs. */
static int setup_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1); /* the master retires a generation */
	sigaddset(&set, SIGUSR2); /* a worker wakes its signal thread */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGUSR1, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	return 0;
}

int master_serve(const struct master_opts *opts)
{
	struct master m;
	struct listener lst;
	const char *listen_spec, *mode, *user, *group;
	bool bound = false;
	int io_timeout, rc = 1;
	long threads;

	memset(&m, 0, sizeof(m));
	m.ws.hand_tx = m.ws.hand_rx = -1;
	memset(&lst, 0, sizeof(lst));
	lst.fd = -1;
	m.config_file = opts->config_file;
	if (FCGX_Init() != 0) {
		log_error("libfcgi: initialisation failed");
		goto fail;
	}
	if (setup_signals() < 0) {
		log_error("signals: %s", strerror(errno));
		goto fail;
	}
	m.cfg = config_load(opts->config_file);
	if (m.cfg == NULL) {
		log_error("%s: not starting", opts->config_file);
		goto fail;
	}
	apply_log_level(m.cfg);
	/* before any worker is forked: every generation counts into it */
	if (stats_init() == 0)
		stats_policy_loaded();
	io_timeout = io_timeout_from_env();
	threads = m.cfg->gateway.threads > 0 ? m.cfg->gateway.threads
					     : WORKER_DEFAULT_THREADS;

	listen_spec = opts->listen ? opts->listen : m.cfg->gateway.listen;
	mode =
	    opts->socket_mode ? opts->socket_mode : m.cfg->gateway.socket_mode;
	user = opts->user ? opts->user : m.cfg->gateway.user;
	group = opts->group ? opts->group : m.cfg->gateway.group;
	if (user || group) { /* fail on an unknown name before binding */
		uid_t uid;
		gid_t gid;
		if (resolve_ids(user, group, &uid, &gid) < 0)
			goto fail;
	}
	if (listen_open(&lst, listen_spec, mode) < 0)
		goto fail;
	bound = true;
	if (mode && lst.kind != LISTEN_UNIX)
		log_warn("socket mode %s ignored: %s is not a unix socket "
			 "bound here",
			 mode, lst.desc);

	/* Under spawn-fcgi or lighttpd the spawner decides how many
	 * processes run: one worker each unless told otherwise. */
	m.workers = opts->workers > 0		 ? opts->workers
		    : m.cfg->gateway.workers > 0 ? m.cfg->gateway.workers
		    : lst.kind == LISTEN_STDIN	 ? 1
						 : online_cpus();
	if (plan_identity(user, group, opts->config_file, &lst,
			  opts->allow_root, &m.ws) < 0)
		goto fail;
	m.ws.listen_fd = lst.fd;
	m.ws.listen_deferred = listen_defer(&lst, io_timeout);
	int hand[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, hand) == 0) {
		m.ws.hand_tx = hand[0];
		m.ws.hand_rx = hand[1];
		/* a receiver never waits on it: poll(2) first */
		fcntl(hand[1], F_SETFL, fcntl(hand[1], F_GETFL) | O_NONBLOCK);
	} else {
		log_warn("socketpair: %s: a reload closes kept-alive "
			 "connections",
			 strerror(errno));
	}
	m.ws.threads = threads;
	m.ws.io_timeout = io_timeout;

	log_info("serving %s on %s: %ld worker%s x %ld threads%s%s",
		 m.config_file, lst.desc, m.workers, m.workers == 1 ? "" : "s",
		 threads, m.ws.drop ? " as " : "",
		 m.ws.drop ? (user ? user : group) : "");
	rc = master_run(&m, io_timeout);
fail:
	if (bound)
		listen_release(&lst, true);
	if (m.ws.hand_tx >= 0) {
		close(m.ws.hand_tx);
		close(m.ws.hand_rx);
	}
	free(m.slots);
	free(m.old);
	config_free(m.cfg);
	return rc;
}
