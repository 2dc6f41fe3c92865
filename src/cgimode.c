/* cgimode.c - the plain-CGI front. See cgimode.h.
 *
 * Apache's `Action corsgate /path/corsgate.cgi` + `AddHandler corsgate .sh`
 * runs corsgate for a request of /api/x.sh with PATH_INFO=/api/x.sh (the
 * path the browser asked for: the policy path) and PATH_TRANSLATED=the
 * file. The target script then sees itself as the CGI program:
 * SCRIPT_NAME=/api/x.sh, SCRIPT_FILENAME=the file, no PATH_INFO.
 *
 * A request with a path past the file (/api/x.sh/more) comes with
 * PATH_INFO=/api/x.sh/more and PATH_TRANSLATED=the file + "/more" (Apache
 * joins its lookup's file and path info): the file is found by walking
 * back, and the script gets SCRIPT_NAME=/api/x.sh, PATH_INFO=/more.
 */
#include "cgimode.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "cors.h"
#include "gateway.h"
#include "log.h"
#include "request.h"

extern char **environ;

bool cgimode_detect(void)
{
	const char *gi = getenv("GATEWAY_INTERFACE");
	return gi && strncmp(gi, "CGI/", 4) == 0 && FCGX_IsCGI();
}

static long io_read(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	for (;;) {
		ssize_t got = read(STDIN_FILENO, buf, n);
		if (got >= 0 || errno != EINTR)
			return got;
	}
}

/* What has arrived of the body on stdin, never waiting for more. */
static long io_read_some(void *ctx, char *buf, size_t n)
{
	struct pollfd p = {STDIN_FILENO, POLLIN, 0};
	int rc;

	while ((rc = poll(&p, 1, 0)) < 0 && errno == EINTR)
		;
	if (rc == 0)
		return REQUEST_IO_AGAIN;
	return io_read(ctx, buf, n);
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int io_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return write_all(STDOUT_FILENO, buf, n);
}

static int io_err_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return write_all(STDERR_FILENO, buf, n);
}

/* dir(of)/cors.ini into buf, if that file exists. */
static bool beside(const char *of, char *buf, size_t size)
{
	const char *slash = of ? strrchr(of, '/') : NULL;
	if (!slash)
		return false;
	int n = snprintf(buf, size, "%.*s/cors.ini", (int)(slash - of), of);
	return n > 0 && (size_t)n < size && access(buf, R_OK) == 0;
}

static const char *find_config(const char *given, char *buf, size_t size)
{
	char exe[PATH_MAX];
	const char *env = getenv("CORSGATE_CONFIG");

	if (given)
		return given;
	if (env && *env)
		return env;
	if (beside(getenv("SCRIPT_FILENAME"), buf, size))
		return buf;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (beside(exe, buf, size))
			return buf;
	}
	return CORSGATE_CONFIG;
}

/* NAME=value into a fresh string. */
static char *kv(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s=%s", name, value);
	return s;
}

/* The script in PATH_TRANSLATED (translated), which may go on with the
 * request's extra path: cuts it back, at a '/', while a component is not
 * a directory (ENOTDIR), and keeps the cut only when uri_path ends with
 * the same extra path. Writes the file into file[size]; returns the
 * length of the extra path (0: none, file = translated). */
static size_t split_extra(const char *translated, const char *uri_path,
			  char *file, size_t size)
{
	struct stat st;
	size_t tl = strlen(translated), ul = strlen(uri_path);

	if (tl >= size)
		return 0;
	memcpy(file, translated, tl + 1);
	while (stat(file, &st) < 0 && errno == ENOTDIR) {
		char *slash = strrchr(file, '/');
		if (!slash || slash == file)
			break;
		*slash = '\0';
	}
	size_t extra = tl - strlen(file);
	if (extra == 0 || extra >= ul ||
	    strcmp(uri_path + ul - extra, translated + tl - extra) != 0 ||
	    stat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
		memcpy(file, translated, tl + 1);
		return 0;
	}
	return extra;
}

/* The script of an Action handler's request (gateway_front.script):
 * PATH_TRANSLATED, cut back to the file; the script sees itself as the
 * CGI program. */
struct action {
	char script[PATH_MAX];
	char *over[4];
};

static void action_free(struct action *a)
{
	for (int i = 0; i < 3; i++) {
		free(a->over[i]);
		a->over[i] = NULL;
	}
}

static int find_script(void *ctx, const struct request *r, const char *path,
		       size_t len, struct cgi_target *t, enum gateway_fail *f)
{
	/* PATH_INFO: replaced by over[2] when there is an extra path */
	static const char *const drop[] = {"PATH_INFO", "PATH_TRANSLATED",
					   NULL};
	struct action *a = ctx;
	const char *target = request_param(r, "PATH_TRANSLATED");

	if (!target || !*target) {
		log_error("no PATH_TRANSLATED: corsgate runs as an Action "
			  "handler (see etc/apache/htaccess.example): "
			  "answered 500");
		*f = GATEWAY_F_NOT_ACTION;
		return -1;
	}
	size_t extra = split_extra(target, path, a->script, sizeof(a->script));
	char *name = strndup(path, len - extra);
	action_free(a);
	a->over[0] = name ? kv("SCRIPT_NAME", name) : NULL;
	a->over[1] = kv("SCRIPT_FILENAME", a->script);
	if (extra)
		a->over[2] = kv("PATH_INFO", path + len - extra);
	free(name);
	if (!a->over[0] || !a->over[1] || (extra && !a->over[2])) {
		log_error("%s: out of memory: answered 500", a->script);
		*f = GATEWAY_F_NO_MEMORY;
		return -1;
	}
	t->filename = a->script;
	t->override = (const char *const *)a->over;
	t->drop = drop;
	return 0;
}

int cgimode_serve(const char *config_file)
{
	char cfgbuf[PATH_MAX];
	struct request_io io = {io_read,      io_write,	    NULL,	  NULL,
				io_err_write, io_read_some, STDIN_FILENO, NULL};
	struct action act;
	struct gateway_front front = {
	    REQUEST_FRONT_ACTION, find_script, &act, false, 0, 0, NULL, NULL};
	int rc;

	memset(&act, 0, sizeof(act));
	log_set_style(LOG_STYLE_DAEMON);
	/* a script that exits without reading its body must not kill us */
	signal(SIGPIPE, SIG_IGN);
	const char *file = find_config(config_file, cfgbuf, sizeof(cfgbuf));
	struct config *cfg = config_load(file);
	if (!cfg)
		log_error("%s: policy not loaded", file);
	else if (cfg->gateway.log_level_set)
		log_set_level(cfg->gateway.log_level);
	rc = gateway_serve(environ, &io, cfg, &front) < 0;
	if (cgi_reap_pending()) {
		/* the answer is over for the web server once our stdout
		 * closes; the script that goes on is reaped, as in the server
		 */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup3(null, STDOUT_FILENO, O_CLOEXEC);
			close(null);
		}
		cgi_reap_wait(false);
	}
	cgi_thread_end();
	action_free(&act);
	config_free(cfg);
	return rc;
}
