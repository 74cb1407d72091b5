# openwinrm: one Makefile. `make` builds release binaries into build/,
# `make check` builds with AddressSanitizer and UndefinedBehaviorSanitizer
# into build/san/ and runs the whole suite, `make fuzz` builds the libFuzzer
# harnesses. Sources are picked up by folder, so adding a file needs no edit
# (but for libwinrm's files of src/config/, named in CLIENT_SRC).
#
# For distributions: CPPFLAGS, CFLAGS and LDFLAGS are honoured in every
# compile and link (a _FORTIFY_SOURCE in CPPFLAGS replaces ours), WERROR=0
# keeps warnings from failing the build (a newer compiler's new warning
# should not break a package), and `make install` builds only what it
# installs, not the tests.

CC      ?= cc
PREFIX  ?= /usr/local
# Where the libraries go (Debian's package: /usr/lib/<multiarch triplet>).
LIBDIR  ?= $(PREFIX)/lib
BUILD   ?= build
PKGS    := libxml-2.0 openssl libevent_core libevent_openssl krb5 krb5-gssapi libsystemd
WERROR  ?= 1
WARN    := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
FORTIFY := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS)),,-D_FORTIFY_SOURCE=2)
HARDEN  := -fstack-protector-strong -fPIC
ALL_CPPFLAGS := -D_GNU_SOURCE $(FORTIFY) -Isrc $(shell pkg-config --cflags $(PKGS)) $(CPPFLAGS)
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 $(WARN) $(HARDEN) $(CFLAGS)
LDFLAGS ?=
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDFLAGS)
# libcrypt is linked although we never call it: ASan intercepts crypt() at
# start-up and must find it then, not when PAM later loads pam_unix.so.
# wimlib: the XPRESS (MS-XCA LZ77+Huffman) codec of src/psrp/xpress.c.
LIBS    := $(shell pkg-config --libs $(PKGS)) -lhttp_parser -lpam -lcrypt -lwim -lunistring -lseccomp

# Library sources: every module folder except the program mains.
LIB_SRC := $(wildcard src/common/*.c src/ipc/*.c src/config/*.c src/http/*.c \
             src/wsman/*.c src/auth/*.c src/priv/*.c src/net/*.c src/host/*.c \
             src/shell/*.c src/client/*.c src/msgenc/*.c src/psrp/*.c src/credssp/*.c \
             src/audit/*.c src/cim/*.c \
             src/acceptor/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
# Every harness also runs without libFuzzer, fed its corpus by fuzz/replay.c
# (tests/run.py), so the sanitizer build replays each seed and kept crash.
REPLAY_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/replay/%)

# libwinrm, the client library for other programs: the modules a client
# needs, with only the winrm_* functions of client/winrm.h exported. Of
# src/config/ only the client's half, the files config_load needs: the
# schema, the address filters and the stored format's reader. Writing,
# editing and printing the configuration and ntlm_users.c are the daemon's
# and the winrm command's (tests/e2e/test_libwinrm.py fails if they return).
# The service's seccomp filters (common/sandbox.c) are not the clients'.
CLIENT_SRC := $(filter-out src/common/sandbox.c, \
               $(wildcard src/common/*.c src/http/*.c src/wsman/*.c src/client/*.c src/msgenc/*.c \
               src/credssp/*.c)) \
             src/config/config.c src/config/config_filter.c src/config/config_read.c \
             $(wildcard src/shell/*.c) src/cim/cim_ipc.c src/cim/cim_sd.c src/cim/cim_uri.c
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o)
CLIENT_PKGS := libxml-2.0 openssl krb5 krb5-gssapi
LIBWINRM_VERSION := $(shell sed -n 's/^#define OPENWINRM_VERSION "\(.*\)"$$/\1/p' src/common/version.h)

# libpsrpclient, Windows' WSMan client API over libwinrm, for PowerShell
# on Linux (docs/psrpclient.md): libwinrm's modules, src/psrpclient/ and
# the xpress codec of src/psrp/ (PowerShell's stream compression),
# exporting only what libpsrpclient.map names. No soname version: .NET
# loads it by the name libpsrpclient.so. Never unloaded (nodelete): its
# idle worker threads wait in its code after the last handle is closed.
PSRP_SRC := $(wildcard src/psrpclient/*.c) src/psrp/xpress.c
PSRP_OBJ := $(PSRP_SRC:%.c=$(BUILD)/%.o)

PROGS := $(BUILD)/winrmd $(BUILD)/winrm $(BUILD)/winrs $(BUILD)/libwinrm.so $(BUILD)/libwinrm.pc \
         $(BUILD)/libpsrpclient.so

all: $(PROGS) $(UNIT_BIN) $(REPLAY_BIN)

LINK = $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libopenwinrm.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Its roles run it as their own accounts (from a descriptor, so the tree
# may be private, but the file itself must be theirs to execute, whatever
# the builder's umask).
$(BUILD)/winrmd: $(BUILD)/src/daemon/winrmd.o $(BUILD)/src/daemon/check.o $(BUILD)/libopenwinrm.a
	$(LINK)
	chmod 0755 $@

$(BUILD)/winrm: $(BUILD)/src/cli/winrm.o $(BUILD)/src/cli/winrm_remote.o $(BUILD)/src/cli/cli.o \
		$(BUILD)/src/cli/quickconfig.o $(BUILD)/src/cli/diagnose.o $(BUILD)/src/cli/progress.o \
		$(BUILD)/libopenwinrm.a
	$(LINK)

$(BUILD)/winrs: $(BUILD)/src/cli/winrs.o $(BUILD)/src/cli/cli.o $(BUILD)/src/cli/progress.o \
		$(BUILD)/libopenwinrm.a
	$(LINK) -lpthread

# Makefile too: a change to CLIENT_SRC must relink the library.
$(BUILD)/libwinrm.so.0: $(CLIENT_OBJ) src/client/libwinrm.map Makefile
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libwinrm.so.0 -Wl,--version-script=src/client/libwinrm.map \
	  -Wl,-z,relro,-z,now -Wl,-z,defs $(LDFLAGS) -o $@ $(CLIENT_OBJ) $(shell pkg-config --libs $(CLIENT_PKGS)) -lhttp_parser

$(BUILD)/libwinrm.so: $(BUILD)/libwinrm.so.0
	ln -sf libwinrm.so.0 $@

$(BUILD)/libpsrpclient.so: $(CLIENT_OBJ) $(PSRP_OBJ) src/psrpclient/libpsrpclient.map Makefile
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libpsrpclient.so \
	  -Wl,--version-script=src/psrpclient/libpsrpclient.map -Wl,-z,relro,-z,now -Wl,-z,defs \
	  -Wl,-z,nodelete $(LDFLAGS) -o $@ $(CLIENT_OBJ) $(PSRP_OBJ) $(shell pkg-config --libs $(CLIENT_PKGS)) \
	  -lhttp_parser -lwim -lpthread

$(BUILD)/libwinrm.pc: data/libwinrm.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@VERSION@|$(LIBWINRM_VERSION)|g' $< > $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libopenwinrm.a
	@mkdir -p $(dir $@)
	$(LINK)

# The allocation-failure run: our own code's allocations go through its
# failing allocator, in that binary alone.
$(BUILD)/tests/test_alloc_fail: ALL_LDFLAGS += $(foreach f,malloc calloc realloc strdup strndup,-Wl,--wrap=$(f))

$(BUILD)/replay/%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/replay.o $(BUILD)/libopenwinrm.a
	@mkdir -p $(dir $@)
	$(LINK)

# bench/xpress_bench.c: the xpress codec's ratio and speed (docs/performance.md).
$(BUILD)/xpress_bench: $(BUILD)/bench/xpress_bench.o $(BUILD)/libopenwinrm.a
	$(LINK)

bench-xpress: $(BUILD)/xpress_bench
	$(BUILD)/xpress_bench

# Sanitizer build used by the test suite.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
san:
	$(MAKE) BUILD=build/san CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all

check: san
	/usr/bin/python3 tests/run.py --build build/san

# libFuzzer harnesses (clang only), each linked with the library built for fuzzing.
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined
fuzz:
	$(MAKE) CC=clang BUILD=build/fuzz CFLAGS="$(FUZZ_FLAGS)" build/fuzz/libopenwinrm.a
	@mkdir -p build/fuzz/bin
	for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(ALL_CPPFLAGS) $(ALL_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o build/fuzz/bin/$$n $$f \
	    build/fuzz/libopenwinrm.a $(LIBS) || exit 1; done

# Formatting by .clang-format (clang-format 14, Debian 12's). `make format`
# rewrites the files in place; `make format-check` lists those that would
# change and fails (tests/run.py runs it as a test).
CLANG_FORMAT ?= clang-format
FORMAT_SRC := $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/e2e/psrpclient/*.c \
              fuzz/*.c fuzz/*.h bench/*.c)

format:
	$(CLANG_FORMAT) -i $(FORMAT_SRC)

format-check:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "$(CLANG_FORMAT) not found (apt-get install clang-format)"; exit 1; }
	@bad=; for f in $(FORMAT_SRC); do \
	  $(CLANG_FORMAT) --dry-run --Werror "$$f" >/dev/null 2>&1 || bad="$$bad $$f"; done; \
	if [ -n "$$bad" ]; then echo "not formatted as .clang-format says (make format):$$bad"; exit 1; fi

# What `make install` installs, without the tests (debian/rules builds this).
programs: $(PROGS)

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/winrmd $(DESTDIR)$(PREFIX)/sbin/winrmd
	install -m 0755 $(BUILD)/winrm $(DESTDIR)$(PREFIX)/bin/winrm
	install -m 0644 man/winrmd.8 $(DESTDIR)$(PREFIX)/share/man/man8/winrmd.8
	install -m 0644 man/winrm.1 $(DESTDIR)$(PREFIX)/share/man/man1/winrm.1
	install -m 0755 $(BUILD)/winrs $(DESTDIR)$(PREFIX)/bin/winrs
	install -m 0644 man/winrs.1 $(DESTDIR)$(PREFIX)/share/man/man1/winrs.1
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0755 $(BUILD)/libwinrm.so.0 $(DESTDIR)$(LIBDIR)/libwinrm.so.0
	ln -sf libwinrm.so.0 $(DESTDIR)$(LIBDIR)/libwinrm.so
	install -m 0644 src/client/winrm.h $(DESTDIR)$(PREFIX)/include/winrm.h
	install -m 0644 $(BUILD)/libwinrm.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libwinrm.pc
	install -m 0755 $(BUILD)/libpsrpclient.so $(DESTDIR)$(LIBDIR)/libpsrpclient.so
	install -m 0755 scripts/psrpclient-check $(DESTDIR)$(PREFIX)/bin/psrpclient-check
	@# Get-WSManInstance for PowerShell's Get-PSSession -ComputerName, where pwsh
	@# looks for modules (its system-wide module path on Linux and macOS).
	install -d $(DESTDIR)$(PREFIX)/share/powershell/Modules/Microsoft.WSMan.Management
	install -m 0644 share/powershell/Modules/Microsoft.WSMan.Management/Microsoft.WSMan.Management.psd1 \
	  share/powershell/Modules/Microsoft.WSMan.Management/Microsoft.WSMan.Management.psm1 \
	  $(DESTDIR)$(PREFIX)/share/powershell/Modules/Microsoft.WSMan.Management/
	@# PowerShell finds libpsrpclient.so through dlopen: the loader's cache must know it.
	if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

clean:
	rm -rf build

.PHONY: all programs san check fuzz format format-check install clean bench-xpress
.SECONDARY:
-include $(wildcard $(BUILD)/src/*/*.d $(BUILD)/tests/unit/*.d $(BUILD)/fuzz/*.d $(BUILD)/bench/*.d)
