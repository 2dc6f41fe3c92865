# corsgate - a CORS gateway for FastCGI and CGI.
#
#   make            build build/corsgate
#   make check      install missing Debian packages, build, run every test
#                   (unit, command line, integration), then the unit tests
#                   again under AddressSanitizer + UBSan
#   make demo       corsgate behind nginx on 127.0.0.1:8080 with etc/cors.ini
#   make fuzz       every libFuzzer harness (fuzz/) for FUZZ_S seconds each
#   make bench      benchmarks (figures and ratios, never pass/fail)
#   make install    PREFIX, DESTDIR, SBINDIR, MANDIR, SYSCONFDIR,
#                   SYSTEMDUNITDIR as usual
#   make deb        the Debian package: build/corsgate_VERSION_ARCH.deb
#   make static     build/corsgate-static, linked statically (CGI mode on
#                   shared hosts without libfcgi and libinih)

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# systemd looks here too (/usr/local/lib/systemd/system by default);
# the Debian package: /lib/systemd/system.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
UNITS      = corsgate.service corsgate.socket corsgate@.service corsgate@.socket
VERSION    := 0.1.0

CC      ?= cc
CFLAGS  ?= -O2 -g
PKG_CONFIG ?= pkg-config
B       ?= build

WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla
CG_CPPFLAGS = -D_GNU_SOURCE -DCORSGATE_VERSION='"$(VERSION)"' \
              -DCORSGATE_CONFIG='"$(SYSCONFDIR)/corsgate/cors.ini"'
CG_CFLAGS   = -std=c11 $(WARN) -pthread
# Libraries resolve lazily: `make check` installs them first.
LIBS_CORE   = $(shell $(PKG_CONFIG) --libs inih 2>/dev/null || echo -linih)
LIBS_FCGI   = $(shell $(PKG_CONFIG) --libs fcgi 2>/dev/null || echo -lfcgi)
LIBS_CMOCKA = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

# The pure core, listed first when linking; then the fronts.
CORE  = log origin hdrlist policy config cors
# The program: core + the fronts.
PROG  = $(CORE) $(sort $(basename $(notdir $(filter-out src/main.c $(addprefix src/,$(addsuffix .c,$(CORE))),$(wildcard src/*.c)))))
TESTS = $(basename $(notdir $(wildcard tests/unit/test_*.c)))

PROG_OBJ = $(addprefix $(B)/obj/,$(addsuffix .o,$(PROG)))

.PHONY: all check unit unit-build deps demo bench \
        install uninstall clean lint format deb static fuzz fuzz-build

all: $(B)/corsgate

$(B)/obj/%.o: src/%.c $(wildcard src/*.h) | $(B)/obj
	$(CC) $(CG_CPPFLAGS) $(CPPFLAGS) $(CG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/corsgate: $(PROG_OBJ) $(B)/obj/main.o
	$(CC) $(CG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_CORE)

# The same program linked statically (Debian's libfcgi.a, libinih.a, glibc),
# for CGI mode on a shared host. The linker's warnings about getpwnam,
# getaddrinfo and gethostbyname concern serve's -u and tcp: sockets,
# which CGI mode never uses.
$(B)/corsgate-static: $(PROG_OBJ) $(B)/obj/main.o
	$(CC) $(CG_CFLAGS) $(CFLAGS) $(LDFLAGS) -static -o $@ $^ $(LIBS_FCGI) $(LIBS_CORE)

static: $(B)/corsgate-static

$(B)/tests/%: tests/unit/%.c $(PROG_OBJ) $(wildcard src/*.h) | $(B)/tests
	$(CC) $(CG_CPPFLAGS) -Isrc $(CPPFLAGS) $(CG_CFLAGS) $(CFLAGS) $(LDFLAGS) \
	    -o $@ $< $(PROG_OBJ) $(LIBS_CMOCKA) $(LIBS_FCGI) $(LIBS_CORE)

# Benchmark programs: bench/NAME.c linked with the program's modules.
$(B)/bench/%: bench/%.c $(PROG_OBJ) $(wildcard src/*.h) | $(B)/bench
	$(CC) $(CG_CPPFLAGS) -Isrc $(CPPFLAGS) $(CG_CFLAGS) $(CFLAGS) $(LDFLAGS) \
	    -o $@ $< $(PROG_OBJ) $(LIBS_FCGI) $(LIBS_CORE)

$(B)/obj $(B)/tests $(B)/bench:
	mkdir -p $@

deps:
	scripts/deps.sh

# ---- fuzzing (fuzz/README) ----
# One harness per fuzz/NAME.c, seeds in fuzz/NAME/, dictionary fuzz/NAME.dict.
# To add one: write fuzz/NAME.c (LLVMFuzzerTestOneInput, fuzz/fuzz.h), its
# seeds and dictionary, add NAME here, and its modules to FUZZ_MODULES.
FUZZERS      = origin origin_diff hdrlist cgiresp config cors fcgiwire
FUZZ_MODULES = $(CORE) cgiresp fcgiwire
FUZZ_B      ?= build-fuzz
FUZZ_S      ?= 60
FUZZ_CC     ?= clang
FUZZ_CFLAGS  = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=all
FUZZ_OBJ     = $(addprefix $(FUZZ_B)/obj/,$(addsuffix .o,$(FUZZ_MODULES)))

$(FUZZ_B)/obj/%.o: src/%.c $(wildcard src/*.h) | $(FUZZ_B)/obj
	$(FUZZ_CC) $(CG_CPPFLAGS) $(CG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/fuzz_%: fuzz/%.c fuzz/fuzz.h $(FUZZ_OBJ) $(wildcard src/*.h)
	$(FUZZ_CC) $(CG_CPPFLAGS) -Isrc $(CG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer \
	    -o $@ $< $(FUZZ_OBJ) $(LIBS_FCGI) $(LIBS_CORE)

$(FUZZ_B)/obj:
	mkdir -p $@

fuzz-build: $(addprefix $(FUZZ_B)/fuzz_,$(FUZZERS))

# Every harness for FUZZ_S seconds; fails on any crash (kept under
# $(FUZZ_B)/artifacts/). New corpus entries go to $(FUZZ_B)/corpus/NAME.
fuzz: deps
	$(MAKE) fuzz-build
	scripts/fuzz.sh $(FUZZ_B) $(FUZZ_S) $(FUZZERS)

unit-build: $(addprefix $(B)/tests/,$(TESTS))

# check = deps, lint (cppcheck, clang-tidy: any finding fails), build, every
# suite, then the sanitizer pass. tests/run.sh
# prints one line per suite and closes with "N passed, N failed".
# The sanitizer build has the server too (build-san/corsgate): the fault
# suite sends it hostile FastCGI records. tests/fuzz/ runs each harness
# briefly (FUZZ_SMOKE_S seconds).
check: deps
	$(MAKE) lint
	$(MAKE) all unit-build
	$(MAKE) B=build-san CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' all unit-build
	$(MAKE) fuzz-build
	FUZZ_B=$(FUZZ_B) FUZZERS='$(FUZZERS)' tests/run.sh $(B) build-san

unit: all unit-build
	tests/run.sh --unit-only $(B)

demo: deps all
	scripts/demo.sh $(B)/corsgate

BENCHES = $(basename $(notdir $(wildcard bench/*.c)))

bench: deps all $(addprefix $(B)/bench/,$(BENCHES))
	scripts/deps.sh bench
	bench/run.sh $(B)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(B)/corsgate $(DESTDIR)$(SBINDIR)/corsgate
	install -m 644 man/corsgate.8 $(DESTDIR)$(MANDIR)/man8/corsgate.8
	install -m 644 man/cors.ini.5 $(DESTDIR)$(MANDIR)/man5/cors.ini.5
	test -e $(DESTDIR)$(SYSCONFDIR)/corsgate/cors.ini || \
	    install -D -m 644 etc/cors.ini $(DESTDIR)$(SYSCONFDIR)/corsgate/cors.ini
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(UNITS); do \
	    sed -e 's|/usr/sbin/corsgate|$(SBINDIR)/corsgate|g' \
	        -e 's|/etc/corsgate/|$(SYSCONFDIR)/corsgate/|g' \
	        etc/systemd/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
	    chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/corsgate $(DESTDIR)$(MANDIR)/man8/corsgate.8 \
	    $(DESTDIR)$(MANDIR)/man5/cors.ini.5
	for u in $(UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done

# The Debian package (debian/, debhelper 13). Built from a copy of the
# files it needs in $(B)/deb/corsgate-VERSION, so that debhelper's files
# and the results stay out of the tree; the .deb is copied to $(B)/.
# debian/changelog's version must be $(VERSION).
DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
DEB_ARCH    = $(shell dpkg-architecture -q DEB_HOST_ARCH 2>/dev/null)
DEB_STAGE   = $(B)/deb/corsgate-$(VERSION)
deb:
	@test "$(DEB_VERSION)" = "$(VERSION)" || \
	    { echo "debian/changelog is at '$(DEB_VERSION)', the Makefile at $(VERSION)" >&2; exit 1; }
	rm -rf $(B)/deb
	mkdir -p $(DEB_STAGE)
	tar -cf - Makefile README.md src man etc cgi-bin debian | tar -C $(DEB_STAGE) -xf -
	cd $(DEB_STAGE) && dpkg-buildpackage -b -us -uc
	cp $(B)/deb/corsgate_$(VERSION)_$(DEB_ARCH).deb $(B)/
	@echo "$(B)/corsgate_$(VERSION)_$(DEB_ARCH).deb"

lint:
	cppcheck --quiet --enable=warning,style,performance,portability --std=c11 \
	    --suppress=missingIncludeSystem --inline-suppr --error-exitcode=1 src
	clang-tidy --quiet src/*.c -- $(CG_CPPFLAGS) -std=c11

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c

clean:
	rm -rf build build-san build-fuzz
