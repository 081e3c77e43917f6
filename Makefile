# tunnelctl - GNU Makefile. `make` builds ./tunnelctl; `make check` runs every test.
CC       ?= cc
FUZZ_CC  ?= clang
PREFIX   ?= /usr/local
DESTDIR  ?=
# only jansson is linked: src/lazylib*.c open the others on first use
PKGS     := libnftables jansson libmicrohttpd libxml-2.0 libsystemd zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null) -ldl

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral -Wconversion -Werror
CPPFLAGS += -std=gnu11 -D_GNU_SOURCE -DTUNNELCTL_VERSION=\"0.1.0\" -Isrc -Ibuild/gen $(PKG_CFLAGS) -MMD -MP
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS     := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
UNITS    := $(patsubst tests/unit/%.c,build/asan/%,$(wildcard tests/unit/test_*.c))
FUZZERS  := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all deps test check unit fuzz bench demo install clean docs man deb check-deb format format-check
all: tunnelctl

# the doctor's message catalogue: one table (src/doctor_catalogue.tsv) -> C rows
GEN_CATALOGUE := build/gen/doctor_catalogue.inc
$(GEN_CATALOGUE): src/doctor_catalogue.tsv scripts/gen-doctor-catalogue.awk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)awk -f scripts/gen-doctor-catalogue.awk $< >$@.tmp && mv $@.tmp $@
build/obj/doctor_events.o build/asan/obj/doctor_events.o build/fuzz/obj/doctor_events.o: $(GEN_CATALOGUE)

# normal build
build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

build/libtc.a: $(patsubst src/%.c,build/obj/%.o,$(LIB_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

tunnelctl: build/obj/main.o build/libtc.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ASan+UBSan build for unit tests
build/asan/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(CPPFLAGS) -O1 -g $(SAN) $(WARN) -c -o $@ $<

build/asan/libtc.a: $(patsubst src/%.c,build/asan/obj/%.o,$(LIB_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

build/asan/test_%: tests/unit/test_%.c build/asan/libtc.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CPPFLAGS) -O1 -g $(SAN) $(WARN) $(LDFLAGS) -o $@ $< build/asan/libtc.a $(PKG_LIBS) -lcmocka

unit: $(UNITS)

# test driver for the web server (tests/lab/test_web.sh, bench/web.sh); not installed
build/webtest: tests/web/webtest.c build/libtc.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< build/libtc.a $(PKG_LIBS)

# a misbehaving charon for the fault harness (tests/fault/test_*.sh); not installed
build/fakevici: tests/fault/fakevici.c build/libtc.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< build/libtc.a $(PKG_LIBS)

# libFuzzer targets link the module objects, built with clang
build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC-FUZZ $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(WARN) -c -o $@ $<

build/fuzz/libtc.a: $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIB_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libtc.a
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined $(WARN) $(LDFLAGS) -o $@ $< build/fuzz/libtc.a $(PKG_LIBS)

fuzz: $(FUZZERS)

check: tunnelctl unit fuzz build/fakevici
	$(Q)tests/run.sh

# README command 2: install what is missing, build, run every test
deps:
	$(Q)scripts/install-deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory check

# docs/doctor-messages.md: its text, then the catalogue's table as `doctor --messages` prints it;
# docs/commands.md: its text, then the options of every command from their option tables
docs: tunnelctl
	$(Q)sed '/^| message (charon/,$$d' docs/doctor-messages.md >docs/doctor-messages.md.tmp
	$(Q)./tunnelctl doctor --messages >>docs/doctor-messages.md.tmp
	$(Q)mv docs/doctor-messages.md.tmp docs/doctor-messages.md
	$(Q)sed '/^## Options of every command$$/,$$d' docs/commands.md >docs/commands.md.tmp
	$(Q)./tunnelctl --md-options >>docs/commands.md.tmp
	$(Q)mv docs/commands.md.tmp docs/commands.md

bench: tunnelctl
	$(Q)for b in bench/*.sh; do bash $$b || exit 1; done

demo: deps
	$(Q)$(MAKE) --no-print-directory tunnelctl
	$(Q)lab/demo.sh

install: tunnelctl
	install -Dm755 tunnelctl $(DESTDIR)$(PREFIX)/bin/tunnelctl
	install -d $(DESTDIR)$(PREFIX)/share/doc/tunnelctl/examples $(DESTDIR)$(PREFIX)/share/tunnelctl/lab
	install -m644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/tunnelctl/
	install -m644 examples/*.conf $(DESTDIR)$(PREFIX)/share/doc/tunnelctl/examples/
	cp -r --no-preserve=mode contrib/ansible contrib/prometheus $(DESTDIR)$(PREFIX)/share/doc/tunnelctl/
	if ls lab/*.sh >/dev/null 2>&1; then install -m755 lab/*.sh $(DESTDIR)$(PREFIX)/share/tunnelctl/lab/; fi
	install -Dm644 man/tunnelctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/tunnelctl.8
	install -Dm644 man/tunnelctl.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/tunnelctl.conf.5
	install -Dm644 contrib/bash-completion/tunnelctl $(DESTDIR)$(PREFIX)/share/bash-completion/completions/tunnelctl
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/bin/tunnelctl|$(PREFIX)/bin/tunnelctl|g' contrib/tunnelctl.service >$(DESTDIR)$(PREFIX)/lib/systemd/system/tunnelctl.service

# man pages, the Debian package and its test (docs/packaging.md). tunnelctl.conf.5 is made
# from docs/tunnel-file.md, tunnelctl.8's option lists from the commands' option tables; the package is built from a copy of the tree in build/deb, so
# dpkg-buildpackage's artifacts land in build/deb, not beside the checkout.
DEB_DIR := build/deb
man: tunnelctl
	$(Q)awk -v date="$$(date -u '+%B %-d, %Y')" -f scripts/gen-man-conf.awk docs/tunnel-file.md >man/tunnelctl.conf.5
	$(Q)./tunnelctl --man-options | awk -f scripts/gen-man-options.awk - man/tunnelctl.8 >man/tunnelctl.8.tmp
	$(Q)mv man/tunnelctl.8.tmp man/tunnelctl.8

deb:
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/tunnelctl
	$(Q){ git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build -prune -o ! -type d -print; } | \
		tar -cf - --ignore-failed-read -T - | tar -xf - -C $(DEB_DIR)/tunnelctl
	$(Q)cd $(DEB_DIR)/tunnelctl && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	$(Q)ls $(DEB_DIR)/*.deb

check-deb: tunnelctl deb
	$(Q)bash tests/pkg/deb.sh $(DEB_DIR)

# formatting is settled by .clang-format (clang-format 14, Debian 12)
FORMAT_SRCS = $(wildcard src/*.c src/*.h tests/unit/*.c tests/fuzz/*.c tests/fault/*.c tests/web/*.c tests/lab/*.c)
format:
	$(Q)clang-format -i $(FORMAT_SRCS)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf build tunnelctl

-include $(shell find build -name '*.d' 2>/dev/null)
