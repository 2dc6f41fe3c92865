/* fcgi_preflight.c - the raw FastCGI client of bench/callgrind.sh: sends
 * the same CORS preflight N times, one connection per request, to a
 * responder's unix socket, the way nginx does without fastcgi_keep_conn.
 *
 *   fcgi_preflight -n N [-b] [-o ORIGIN] PATH
 *
 * Each request: connect(2), one write of BEGIN_REQUEST (responder, no
 * keep-conn) + PARAMS (nginx's usual parameters for OPTIONS / with Origin,
 * Access-Control-Request-Method: PUT and Access-Control-Request-Headers:
 * X-Custom-Header; with -b only REQUEST_METHOD, HTTP_ORIGIN and
 * HTTP_ACCESS_CONTROL_REQUEST_METHOD) + empty PARAMS + empty STDIN, then
 * read records until END_REQUEST, then until the responder closes (so that
 * it has finished with the connection before the next one opens),
 * close(2). The requests are strictly one after the other: the responder
 * sees the same sequence every run, which is what makes an instruction
 * count repeat.
 *
 * Every answer must carry "Access-Control-Allow-Origin: ORIGIN" (default
 * http://x.com) in its STDOUT. Prints "requests N bad B" and exits 0 when
 * every answer was right, 1 otherwise (the set-up broke). Defines only main
 * (and statics): the Makefile's $(B)/bench/% rule links it with corsgate's
 * modules, which it does not use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FCGI_BEGIN_REQUEST 1
#define FCGI_END_REQUEST 3
#define FCGI_PARAMS 4
#define FCGI_STDIN 5
#define FCGI_STDOUT 6

static unsigned char req[8192];
static size_t req_len;

static void header(int type, size_t len)
{
	unsigned char *h = req + req_len;

	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = 0;
	h[3] = 1; /* request id */
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)(len & 0xff);
	h[6] = 0; /* padding */
	h[7] = 0;
	req_len += 8;
}

static void length(unsigned char **p, size_t n)
{
	if (n < 128) {
		*(*p)++ = (unsigned char)n;
	} else {
		*(*p)++ = (unsigned char)(0x80 | (n >> 24));
		*(*p)++ = (unsigned char)(n >> 16);
		*(*p)++ = (unsigned char)(n >> 8);
		*(*p)++ = (unsigned char)n;
	}
}

/* The request's records, built once. */
static void build(const char *origin, int bare)
{
	static char origin_param[512];
	const char *params[] = {
		"QUERY_STRING", "",
		"REQUEST_METHOD", "OPTIONS",
		"CONTENT_TYPE", "",
		"CONTENT_LENGTH", "",
		"SCRIPT_NAME", "/",
		"SCRIPT_FILENAME", "/srv/www/",
		"REQUEST_URI", "/",
		"DOCUMENT_URI", "/",
		"DOCUMENT_ROOT", "/srv/www",
		"SERVER_PROTOCOL", "HTTP/1.1",
		"REQUEST_SCHEME", "http",
		"GATEWAY_INTERFACE", "CGI/1.1",
		"SERVER_SOFTWARE", "nginx/1.22.1",
		"REMOTE_ADDR", "127.0.0.1",
		"REMOTE_PORT", "41234",
		"SERVER_ADDR", "127.0.0.1",
		"SERVER_PORT", "8080",
		"SERVER_NAME", "",
		"HTTP_HOST", "127.0.0.1:8080",
		"HTTP_ORIGIN", origin_param,
		"HTTP_ACCESS_CONTROL_REQUEST_METHOD", "PUT",
		"HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "X-Custom-Header",
		"HTTP_USER_AGENT", "fcgi_preflight",
		"HTTP_ACCEPT", "*/*",
	};
	const char *bare_params[] = {
		"REQUEST_METHOD", "OPTIONS",
		"HTTP_ORIGIN", origin_param,
		"HTTP_ACCESS_CONTROL_REQUEST_METHOD", "PUT",
	};
	const char **ps = bare ? bare_params : params;
	size_t np = bare ? sizeof bare_params / sizeof bare_params[0]
			 : sizeof params / sizeof params[0];
	unsigned char body[4096], *p = body;
	size_t i, n;

	snprintf(origin_param, sizeof origin_param, "%s", origin);
	header(FCGI_BEGIN_REQUEST, 8);
	memset(req + req_len, 0, 8);
	req[req_len + 1] = 1; /* FCGI_RESPONDER; flags 0: close after */
	req_len += 8;
	for (i = 0; i < np; i += 2) {
		size_t nl = strlen(ps[i]), vl = strlen(ps[i + 1]);

		length(&p, nl);
		length(&p, vl);
		memcpy(p, ps[i], nl);
		p += nl;
		memcpy(p, ps[i + 1], vl);
		p += vl;
	}
	n = (size_t)(p - body);
	header(FCGI_PARAMS, n);
	memcpy(req + req_len, body, n);
	req_len += n;
	header(FCGI_PARAMS, 0);
	header(FCGI_STDIN, 0);
}

static int full_read(int fd, unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One request: 1 when the answer was right. */
static int one(const struct sockaddr_un *sun, const char *want)
{
	static char out[65536];
	unsigned char h[8], content[65536 + 255];
	size_t out_len = 0, off;
	int fd, ended = 0, ok;
	ssize_t w;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)sun, sizeof *sun) != 0) {
		close(fd);
		return 0;
	}
	for (off = 0; off < req_len; off += (size_t)w) {
		w = write(fd, req + off, req_len - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0) {
			close(fd);
			return 0;
		}
	}
	while (!ended) {
		size_t len, pad;

		if (full_read(fd, h, 8) != 0)
			break;
		len = (size_t)h[4] << 8 | h[5];
		pad = h[6];
		if (full_read(fd, content, len + pad) != 0)
			break;
		if (h[1] == FCGI_STDOUT && len > 0 &&
		    out_len + len < sizeof out) {
			memcpy(out + out_len, content, len);
			out_len += len;
		} else if (h[1] == FCGI_END_REQUEST) {
			ended = 1;
		}
	}
	/* Until the responder closes: it is done with this connection. */
	while (ended && read(fd, h, sizeof h) > 0)
		;
	close(fd);
	out[out_len] = '\0';
	ok = ended && strstr(out, want) != NULL;
	return ok;
}

static void usage(void)
{
	fprintf(stderr, "usage: fcgi_preflight -n N [-b] [-o ORIGIN] PATH\n");
	exit(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun;
	const char *origin = "http://x.com";
	char want[600];
	long n = -1, i, bad = 0;
	int c, bare = 0;

	while ((c = getopt(argc, argv, "n:bo:")) != -1) {
		switch (c) {
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'b': bare = 1; break;
		case 'o': origin = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || n < 0 || strlen(origin) > 400)
		usage();
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(argv[optind]) >= sizeof sun.sun_path)
		usage();
	strcpy(sun.sun_path, argv[optind]);
	snprintf(want, sizeof want, "Access-Control-Allow-Origin: %s\r\n",
		 origin);
	build(origin, bare);
	for (i = 0; i < n; i++)
		if (!one(&sun, want))
			bad++;
	printf("requests %ld bad %ld\n", n, bad);
	return bad == 0 ? 0 : 1;
}
