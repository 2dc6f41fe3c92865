/* fuzz/config.c - the policy loader on any bytes, from a memfd (the
 * loader reads a path, as the server does): a load either fails or gives
 * a policy whose lookups work; nothing leaks (ASan) and nothing crashes.
 * Lines starting "cgi_root" are dropped: they would resolve paths of the
 * machine the fuzzer runs on. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	fuzz_quiet();
	if (fd < 0) {
		fd = memfd_create("policy", MFD_CLOEXEC);
		if (fd < 0)
			return 0;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return 0;
	for (size_t off = 0; off < size;) {
		const uint8_t *line = data + off;
		size_t n = fuzz_field(data, size, &off);
		const uint8_t *p = line;
		while (p < line + n && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(line + n - p) >= 8 && memcmp(p, "cgi_root", 8) == 0)
			continue;
		if (write(fd, line, off - (size_t)(line - data)) < 0)
			return 0;
	}
	struct config *cfg = config_load(path);
	if (!cfg)
		return 0;
	static const char *const paths[] = {"/", "/cors", "/a/b", ""};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!config_lookup(cfg, paths[i], strlen(paths[i])))
			fuzz_fail("lookup of '%s' gave NULL", paths[i]);
	for (size_t i = 0; i < cfg->npaths; i++) {
		const char *pat = cfg->paths[i].pattern;
		size_t n = strlen(pat);
		if (n && pat[n - 1] != '*' &&
		    config_lookup(cfg, pat, n) != &cfg->paths[i])
			fuzz_fail("[path %s] does not find itself", pat);
	}
	config_free(cfg);
	return 0;
}
