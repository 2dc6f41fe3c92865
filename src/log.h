/* log.h - the one logger: levels, stderr (which under FastCGI reaches the web
 * server's error log) or a sink installed by the caller (tests, `check`).
 */
#ifndef CORSGATE_LOG_H
#define CORSGATE_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* A sink receives each message that passes the level filter, already
 * formatted, without a trailing newline. */
typedef void (*log_sink_fn)(enum log_level level, const char *msg, void *ctx);

/* Messages above `level` are dropped. Default: LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "error", "warn", "info" or "debug" into *out.
 * Returns 0 on success, -1 (and leaves *out alone) otherwise. */
int log_level_parse(const char *name, enum log_level *out);

/* "error", "warn", "info", "debug". Never NULL. */
const char *log_level_name(enum log_level level);

/* Style of the default stderr sink:
 * LOG_STYLE_DAEMON  "corsgate[PID]: LEVEL: message"  (serve, the default)
 * LOG_STYLE_PLAIN   "message", warnings as "warning: message" (check, explain)
 */
enum log_style { LOG_STYLE_DAEMON, LOG_STYLE_PLAIN };
void log_set_style(enum log_style style);

/* Replaces the stderr sink with fn (NULL restores stderr). Not thread-safe:
 * call before any thread starts. */
void log_set_sink(log_sink_fn fn, void *ctx);

/* Formats and emits one message (truncated at 2 KiB; newlines and other
 * control bytes in it are escaped so that one call is one line). */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
