/* bench/hello.c - the compiled CGI script of bench/cgi.sh.
 *
 * With an empty QUERY_STRING it prints the same answer as bench/cgi.sh's
 * shell script: a Content-Type and a short JSON body. With QUERY_STRING
 * "stream" it prints 1 GiB of body in 64 KiB writes ("stream=BYTES" for
 * another size), for the streaming run. Defines only main: the Makefile's
 * $(B)/bench/% rule links it with corsgate's modules, and bench/cgi.sh
 * compiles it on its own with cc.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	static const char hello[] = "Content-Type: application/json\r\n\r\n"
				    "{\"hello\":\"world\",\"from\":\"cgi\"}\n";
	static char chunk[64 * 1024];
	const char *q = getenv("QUERY_STRING");
	unsigned long long left = 1ULL << 30, n;
	const char *p;
	ssize_t w;
	size_t len;

	if (!q || strncmp(q, "stream", 6) != 0)
		return write(1, hello, sizeof(hello) - 1) ==
			       (ssize_t)(sizeof(hello) - 1)
			   ? 0
			   : 1;
	if (q[6] == '=')
		left = strtoull(q + 7, NULL, 10);
	memset(chunk, 'x', sizeof(chunk));
	len = (size_t)snprintf(chunk, sizeof(chunk),
			       "Content-Type: application/octet-stream\r\n"
			       "Content-Length: %llu\r\n\r\n",
			       left);
	if (write(1, chunk, len) != (ssize_t)len)
		return 1;
	memset(chunk, 'x', sizeof(chunk));
	while (left > 0) {
		n = left < sizeof(chunk) ? left : sizeof(chunk);
		for (p = chunk; n > 0; p += w, n -= (unsigned long long)w) {
			w = write(1, p, (size_t)n);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				return 1;
			left -= (unsigned long long)w;
		}
	}
	return 0;
}
