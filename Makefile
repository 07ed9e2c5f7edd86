# weir: build, test, demo, benchmark, install.
#
#   make            build bin/weir-* (PATH=$PWD/bin:$PATH works after this)
#   make check      install missing Debian packages, build, run every test
#   make demo       install, build, run a batch and a live pipeline
#   make bench      throughput against Miller and jq on 1M generated events
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man
CC       ?= cc
PKGS      = jansson zlib libxxhash libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-missing-field-initializers
ifdef CI
WARN     += -Werror
endif
OPT      ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DWEIR_VERSION='"$(VERSION)"' $(OPT) $(WARN) \
             $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
LDLIBS    = $(PKG_LIBS) -lcsv -lm -pthread

ifndef V
Q = @
endif

LIB_SRC   = $(wildcard lib/*.c)
BIN_SRC   = $(wildcard bin/*.c)

# Kafka (weir-kafka-source, weir-kafka-sink) is an optional feature: built
# when pkg-config finds librdkafka, left out otherwise.
KAFKA_SRC  = bin/weir-kafka-source.c bin/weir-kafka-sink.c
KAFKA     := $(shell pkg-config --exists rdkafka 2>/dev/null && echo yes)
ifeq ($(KAFKA),yes)
KAFKA_CFLAGS := $(shell pkg-config --cflags rdkafka)
KAFKA_LIBS   := $(shell pkg-config --libs rdkafka)
KAFKA_MOCK    = $(BUILD)/kafka-mock
else
BIN_SRC   := $(filter-out $(KAFKA_SRC),$(BIN_SRC))
endif
PROGRAMS  = $(BIN_SRC:.c=)
SCRIPTS   = bin/weir
UNIT_SRC  = $(wildcard tests/unit/test_*.c)

# Each build flavour has its own object directory.
BUILD     = build
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all

.SECONDARY:
.PHONY: all check check-unit check-asan check-bats demo bench install uninstall \
        clean deps lint fuzz soak
all: $(PROGRAMS) bin/weir

deps:
	$(Q)./scripts/install-deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC asan $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(BUILD)/libweir.a: $(LIB_SRC:%.c=$(BUILD)/%.o)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/asan/libweir.a: $(LIB_SRC:%.c=$(BUILD)/asan/%.o)
	$(Q)$(AR) rcs $@ $^

# ThreadSanitizer builds of the programs: the reader thread is checked by tests.
TSAN_FLAGS = -O1 -g -fsanitize=thread
$(BUILD)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC tsan $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -c $< -o $@

$(BUILD)/tsan/libweir.a: $(LIB_SRC:%.c=$(BUILD)/tsan/%.o)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/tsan/bin/weir-%: $(BUILD)/tsan/bin/weir-%.o $(BUILD)/tsan/libweir.a
	$(Q)$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

TSAN_PROGRAMS = $(patsubst bin/%.c,$(BUILD)/tsan/bin/%,$(BIN_SRC))

# AddressSanitizer + UndefinedBehaviorSanitizer builds of the programs: the
# bats suites run a second time against them (WEIR_BIN=build/asan/bin).
$(BUILD)/asan/bin/weir-%: $(BUILD)/asan/bin/weir-%.o $(BUILD)/asan/libweir.a
	$(Q)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/asan/bin/weir: bin/weir
	$(Q)mkdir -p $(dir $@) && cp $< $@

ASAN_PROGRAMS = $(patsubst bin/%.c,$(BUILD)/asan/bin/%,$(BIN_SRC)) $(BUILD)/asan/bin/weir

# The Kafka programs link librdkafka, and nothing else does.
bin/weir-kafka-% $(BUILD)/asan/bin/weir-kafka-% $(BUILD)/tsan/bin/weir-kafka-%: \
    LDLIBS += $(KAFKA_LIBS)
$(BUILD)/bin/weir-kafka-%.o $(BUILD)/asan/bin/weir-kafka-%.o $(BUILD)/tsan/bin/weir-kafka-%.o: \
    ALL_CFLAGS += $(KAFKA_CFLAGS)

# weir-top draws with ncurses, and nothing else does.
NCURSES_CFLAGS := $(shell pkg-config --cflags ncursesw 2>/dev/null)
NCURSES_LIBS   := $(shell pkg-config --libs ncursesw 2>/dev/null)
bin/weir-top $(BUILD)/asan/bin/weir-top $(BUILD)/tsan/bin/weir-top: LDLIBS += $(NCURSES_LIBS)
$(BUILD)/bin/weir-top.o $(BUILD)/asan/bin/weir-top.o $(BUILD)/tsan/bin/weir-top.o: \
    ALL_CFLAGS += $(NCURSES_CFLAGS)

# The mock Kafka cluster the Kafka tests start (tests/lib/kafka-mock.c).
$(BUILD)/kafka-mock: tests/lib/kafka-mock.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(KAFKA_CFLAGS) -o $@ $< $(KAFKA_LIBS)

bin/weir-%: $(BUILD)/bin/weir-%.o $(BUILD)/libweir.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

# The dispatcher is a shell script: weir window ... runs weir-window ...
bin/weir: bin/weir.sh
	$(Q)sed 's/@VERSION@/$(VERSION)/' $< > $@ && chmod +x $@

# Unit tests: plain and under AddressSanitizer + UndefinedBehaviorSanitizer.
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libweir.a
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS) -lcmocka

$(BUILD)/asan/tests/%: $(BUILD)/asan/tests/unit/%.o $(BUILD)/asan/libweir.a
	$(Q)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS) -lcmocka

UNITS      = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
ASAN_UNITS = $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/%,$(UNIT_SRC))

# Fuzz targets (tests/fuzz/fuzz_NAME.c).  `make check` replays each committed
# corpus once under ASan+UBSan (a plain main, no clang needed); `make fuzz`
# runs each under libFuzzer for FUZZ_SECONDS, new inputs kept in build/fuzz.
FUZZ_SRC     = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REGRESS = $(patsubst tests/fuzz/%.c,$(BUILD)/asan/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang

$(BUILD)/asan/fuzz/%: tests/fuzz/%.c tests/fuzz/regress.c $(BUILD)/asan/libweir.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

fuzz: deps
	$(Q)mkdir -p $(BUILD)/fuzz
	$(Q)for src in $(FUZZ_SRC); do \
	    name=$$(basename $$src .c); n=$${name#fuzz_}; \
	    $(FUZZ_CC) -std=c11 -D_GNU_SOURCE -DWEIR_VERSION='"fuzz"' -g -O1 \
	        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(PKG_CFLAGS) \
	        -o $(BUILD)/fuzz/$$name $$src lib/*.c $(PKG_LIBS) -lcsv -lm -pthread || exit 1; \
	    mkdir -p $(BUILD)/fuzz/corpus-$$n; \
	    echo "== $$name for $(FUZZ_SECONDS) s"; \
	    $(BUILD)/fuzz/$$name -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        -print_final_stats=1 $(BUILD)/fuzz/corpus-$$n tests/fuzz/corpus/$$n \
	        2>&1 | grep -E 'stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY' \
	        || exit 1; \
	    test -z "$$(ls crash-* leak-* timeout-* 2>/dev/null)" || exit 1; \
	done

# The fault-injection shim the bats suites preload (tests/lib/faults.c).
$(BUILD)/faults.so: tests/lib/faults.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $< -ldl

# make check builds with a job per processor (the three flavours and the
# tests' binaries are a few hundred objects), then runs the tests.
JOBS     ?= $(shell nproc 2>/dev/null || echo 1)

check: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) CI=1 all $(UNITS) $(ASAN_UNITS) $(TSAN_PROGRAMS) \
	    $(ASAN_PROGRAMS) $(FUZZ_REGRESS) $(BUILD)/faults.so $(KAFKA_MOCK)
	$(Q)WEIR_ASAN_BIN=$(BUILD)/asan/bin ./tests/run $(UNITS) $(ASAN_UNITS) $(FUZZ_REGRESS)

check-asan: deps
	$(Q)$(MAKE) --no-print-directory CI=1 $(ASAN_UNITS)
	$(Q)WEIR_SKIP_BATS=1 ./tests/run $(ASAN_UNITS)

check-unit: deps
	$(Q)$(MAKE) --no-print-directory CI=1 $(UNITS)
	$(Q)WEIR_SKIP_BATS=1 ./tests/run $(UNITS)

check-bats: deps
	$(Q)$(MAKE) --no-print-directory CI=1 all $(TSAN_PROGRAMS) $(BUILD)/faults.so $(KAFKA_MOCK)
	$(Q)./tests/run

lint:
	$(Q)for m in man/*.[17]; do mandoc -T lint -W warning $$m || exit 1; done

soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./scripts/soak

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./scripts/demo

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./bench/run

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(PROGRAMS) bin/weir $(DESTDIR)$(BINDIR)
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	for p in $(notdir $(PROGRAMS)) weir; do \
	    install -m 644 completions/weir.bash \
	        $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p; done
	install -m 644 completions/_weir $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_weir
	install -m 644 completions/weir.fish \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/weir.fish

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS)) weir)

clean:
	rm -rf $(BUILD) $(PROGRAMS) bin/weir

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
