/* log.c - the one logger. See log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOG_MSG_MAX 2048

/* Set on reload by the signal thread while request threads read it. */
static _Atomic int cur_level = LOG_LEVEL_INFO;
static enum log_style cur_style = LOG_STYLE_DAEMON;
static log_sink_fn cur_sink;
static void *cur_ctx;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level log_get_level(void)
{
	return (enum log_level)cur_level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level < sizeof(level_names) / sizeof(level_names[0]))
		return level_names[level];
	return "?";
}

void log_set_style(enum log_style style)
{
	cur_style = style;
}

void log_set_sink(log_sink_fn fn, void *ctx)
{
	cur_sink = fn;
	cur_ctx = ctx;
}

/* Rewrites control bytes in place as '?' so that one message stays one
 * line whatever a request put into it. */
static void sanitize(char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			*s = '?';
	}
}

static void write_stderr(enum log_level level, const char *msg)
{
	char line[LOG_MSG_MAX + 64];
	int n;

	if (cur_style == LOG_STYLE_PLAIN)
		n = snprintf(line, sizeof(line), "%s%s\n",
			     level == LOG_LEVEL_WARN ? "warning: " : "", msg);
	else
		n = snprintf(line, sizeof(line), "corsgate[%ld]: %s: %s\n",
			     (long)getpid(), log_level_name(level), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* One write(2) per line: lines from several workers do not mix. */
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;

	if ((int)level > cur_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	if (cur_sink)
		cur_sink(level, msg, cur_ctx);
	else
		write_stderr(level, msg);
}
