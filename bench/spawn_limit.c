/* spawn_limit.c - the spawn limit for bench/cgi.sh: how many times per
 * second this machine can run a CGI script when nothing else is in the way
 * (no web server, no FastCGI, no CORS).
 *
 *   spawn_limit [-t THREADS] [-d SECONDS] SCRIPT
 *
 * THREADS (8) threads each loop for SECONDS (10): pipe2(O_CLOEXEC),
 * posix_spawn(3) of SCRIPT with stdin and stderr on /dev/null and stdout on
 * the pipe, read(2) of all of stdout until end of file, waitpid(2). A run
 * counts when the script exited 0 and printed something. The environment is
 * a small CGI one (a GET of SCRIPT with an Origin), as a gateway would pass.
 *
 * Prints one line, "spawns N seconds S spawns/s R failed F", and exits 0;
 * 1 when the set-up broke (no script, no thread, or no run succeeded).
 * Defines only main (and statics): the Makefile's $(B)/bench/% rule links
 * it with corsgate's modules, which it does not use.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256

static char *script;
static int devnull;
static atomic_int stop;
static char *envp[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin",
	"GATEWAY_INTERFACE=CGI/1.1",
	"SERVER_PROTOCOL=HTTP/1.1",
	"SERVER_SOFTWARE=spawn_limit",
	"REQUEST_METHOD=GET",
	"QUERY_STRING=",
	"SCRIPT_NAME=/hello.sh",
	"REQUEST_URI=/hello.sh",
	"REMOTE_ADDR=127.0.0.1",
	"SERVER_NAME=localhost",
	"SERVER_PORT=80",
	"HTTP_HOST=localhost",
	"HTTP_ORIGIN=http://x.com",
	NULL,
};

struct counts {
	long ok, failed;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One run of the script: 1 when it exited 0 after printing something. */
static int one(void)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { script, NULL };
	char buf[65536];
	int p[2], rc, status;
	long got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	rc = posix_spawn(&pid, script, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return 0;
	}
	while ((n = read(p[0], buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += n;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void *loop(void *arg)
{
	struct counts *c = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (one())
			c->ok++;
		else
			c->failed++;
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: spawn_limit [-t THREADS] [-d SECONDS] SCRIPT\n");
	exit(1);
}

int main(int argc, char **argv)
{
	static pthread_t tid[MAX_THREADS];
	static struct counts counts[MAX_THREADS];
	long threads = 8, started = 0, i, ok = 0, failed = 0;
	double secs = 10, t0, t1;
	struct timespec ts;
	int c;

	while ((c = getopt(argc, argv, "t:d:")) != -1) {
		switch (c) {
		case 't': threads = strtol(optarg, NULL, 10); break;
		case 'd': secs = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || threads < 1 || threads > MAX_THREADS ||
	    !(secs > 0))
		usage();
	script = argv[optind];
	if (access(script, X_OK) != 0) {
		fprintf(stderr, "spawn_limit: %s: %s\n", script, strerror(errno));
		return 1;
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		perror("spawn_limit: /dev/null");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	t0 = now();
	for (i = 0; i < threads; i++) {
		if (pthread_create(&tid[i], NULL, loop, &counts[i]) != 0)
			break;
		started++;
	}
	if (started == 0) {
		fprintf(stderr, "spawn_limit: pthread_create failed\n");
		return 1;
	}
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	atomic_store(&stop, 1);
	for (i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		ok += counts[i].ok;
		failed += counts[i].failed;
	}
	t1 = now();
	printf("spawns %ld seconds %.2f spawns/s %.0f failed %ld\n", ok, t1 - t0,
	       (double)ok / (t1 - t0), failed);
	return ok > 0 ? 0 : 1;
}
