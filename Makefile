# gamehook: one non-recursive Makefile. `make V=1` shows the commands,
# `make SANITIZE=address,undefined` builds with sanitizers.

B := build
PREFIX ?= /usr/local
CC ?= cc
DEPS_STAMP := $(B)/.deps-ok

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wno-unused-parameter \
	-Wno-format-truncation
CFLAGS ?= -O2
ALL_CFLAGS = -std=gnu11 -g -fno-strict-aliasing $(WARN) $(CFLAGS) -MMD -MP \
	-I$(B) -I$(B)/gen -Icommon
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=$(SANITIZE)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKGS := ncursesw libelf libprotobuf-c libzstd jansson zlib libxxhash vterm libpng
pkg = $(shell pkg-config $(1) $(PKGS) 2>/dev/null)
# The shim takes no curses of its own: it reaches the game's through dlsym.
SHIM_LIBS = $(shell pkg-config --libs libelf libprotobuf-c libzstd jansson zlib vterm libpng 2>/dev/null)

COMMON_SRC := common/cmdtab.c common/errcode.c common/keys.c common/textproto.c \
	common/jstr.c common/sbuf.c common/sockpath.c \
	common/layout.c common/layout-resolve.c common/layout-value.c common/trace.c \
	common/rec.c common/libpath.c common/launch.c common/headless.c common/pngfile.c \
	common/gfxkeys.c
# The readers' allocator (the shim has its own: shim/alloc.c).
READER_ALLOC := common/alloc.c
SHIM_SRC := shim/shim.c shim/alloc.c shim/real.c shim/log.c shim/vclock.c shim/frame.c shim/fastpath.c shim/framerule.c \
	shim/input.c shim/wait.c shim/hook-time.c shim/hook-input.c \
	shim/hook-curses.c shim/hook-thread.c shim/screen.c shim/ctl.c shim/ctl-cmd.c shim/ctl-input.c \
	shim/ctl-state.c shim/ring.c shim/state.c shim/capture.c shim/record.c \
	shim/seed.c shim/hook-random.c shim/replay.c shim/snapshot.c shim/snapshot-image.c shim/snapshot-req.c shim/ctl-snapshot.c \
	shim/ctl-binary.c shim/context.c shim/vtimer.c shim/hook-timer.c shim/hook-signal.c shim/spin.c shim/hook-sync.c shim/hook-pid.c shim/tty.c shim/hook-stdio.c \
	shim/sys.c shim/hook-syscall.c \
	shim/term.c shim/hook-output.c shim/wtrack.c shim/wtrack-kernel.c \
	shim/scan.c shim/scan-ptr.c shim/ctl-scan.c \
	shim/xconn.c shim/stall.c shim/pixels.c shim/hook-present.c shim/hook-sdl.c shim/ctl-pixels.c \
	shim/gfxin.c shim/ctl-gfxin.c shim/hook-sdl-input.c shim/sdl2-input.c shim/sdl1-input.c shim/hook-xlib-input.c shim/hook-xevents.c shim/hook-alsa.c \
	shim/park.c shim/hook-park.c shim/xalloc.c shim/hook-malloc.c
HOOKCTL_SRC := hookctl/hookctl.c hookctl/launch.c
DUMPER_SRC := dumper/main.c dumper/dumper.c dumper/cat.c dumper/npy.c dumper/verify.c \
	dumper/replay.c dumper/screen.c dumper/png.c
DEMO_SRC := $(wildcard demo-game/*.c)
DEMO_GFX_SRC := $(wildcard demo-gfx/*.c)
UNIT_SRC := $(wildcard tests/unit/test-*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
pic = $(patsubst %.c,$(B)/pic/%.o,$(1))

# protoc-c generates the trace schema's C code into $(B)/gen at build time.
GEN_H := $(B)/gen/trace.pb-c.h $(B)/gen/control.pb-c.h
GEN_OBJ := $(B)/obj/gen/trace.pb-c.o
GEN_PIC := $(B)/pic/gen/trace.pb-c.o $(B)/pic/gen/control.pb-c.o

UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
# What gamehook ships (make install), what `make` builds besides (the demo
# game and its stripped twin), and what only the tests and benches need.
# The Python package: its sources, and the modules protoc generates for it.
PY_SRC := $(wildcard python/gamehook/*.py)
PY_GEN := $(B)/python/control_pb2.py
PY_GEN += $(B)/python/trace_pb2.py
# The package as pip installs it (pyproject.toml points at it): its sources,
# its generated modules and the shim, staged by `make` under $(B)/pypkg.
PYPKG := $(B)/pypkg/gamehook
PYPKG_STAMP := $(B)/pypkg/.staged
# gamehookd's: dm_env_rpc and gamehook's extensions to it.
PY_GEN += $(B)/python/dm_env_rpc_pb2.py $(B)/python/gamehook_rpc_pb2.py
SHIP := $(B)/libhook.so $(B)/hookctl $(B)/dumper $(PY_GEN) $(B)/gamehookd
PROGS := $(SHIP) $(B)/demo-game $(B)/demo-game.stripped \
	$(B)/demo-gfx $(B)/demo-gfx.stripped
TEST_PROGS := $(B)/demo-game.debug $(B)/demo-gfx.debug \
	$(UNIT_BIN) $(B)/tests/worker-clock $(B)/tests/child-spawn $(B)/tests/ptr-game \
	$(B)/tests/sig-game $(B)/tests/drift-game $(B)/tests/rand-game \
	$(B)/tests/stdin-game $(B)/tests/static-game $(B)/tests/libctor.so \
	$(B)/tests/itimer-game $(B)/tests/alarm-game $(B)/tests/timerfd-game \
	$(B)/tests/ptimer-game $(B)/tests/clock-game $(B)/tests/condvar-game $(B)/tests/park-game \
	$(B)/tests/halfdelay-game $(B)/tests/select-game $(B)/tests/stdio-game \
	$(B)/tests/spin-game $(B)/tests/epoll-game $(B)/tests/handler-game \
	$(B)/tests/acs-game $(B)/tests/esc-game \
	$(B)/tests/map-game $(B)/tests/sdl-game $(B)/tests/sdl12-game $(B)/tests/glx-game \
	$(B)/tests/sdl2-input $(B)/tests/sdl1-input $(B)/tests/x11-input $(B)/tests/x-sender \
	$(B)/tests/egl-game $(B)/tests/gl-thread-game \
	$(B)/tests/x-events
BENCH_PROGS := $(B)/bench-readpixels $(B)/bench-step $(B)/bench-state $(B)/bench-reset \
	$(B)/bench-timer-game $(B)/tests/esc-game $(B)/bench-client $(B)/bench-scan $(B)/tests/sdl2-input
# Write tracking's bench and its games of 16 MiB, 256 MiB and 1 GiB.
BENCH_PROGS += $(B)/bench-track $(B)/bench-track-game-16 \
	$(B)/bench-track-game-256 $(B)/bench-track-game-1024
# EGL and a render thread's frames beside GLX (bench-gfx-egl).
BENCH_PROGS += $(B)/tests/glx-game $(B)/tests/egl-game $(B)/tests/gl-thread-game

# Keep intermediate objects: tests rebuild only what changed.
.SECONDARY:

.PHONY: all deps demo test bench clean install unit tests benches check-programs

# The first rule: `make` builds every program, and nothing only tests need.
all: $(PROGS)
all: $(PYPKG_STAMP)
unit: $(UNIT_BIN)
tests: $(TEST_PROGS)
benches: $(BENCH_PROGS)

# Fails, naming them, when a program `make` promises is missing.
check-programs:
	@missing=""; for p in $(PROGS); do [ -e "$$p" ] || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "make: programs not built:$$missing" >&2; exit 1; fi

# Every top-level target first makes sure the Debian packages are there.
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(B)
	$(Q)sh scripts/deps.sh
	@touch $@

deps: $(DEPS_STAMP)

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: schema/%.proto | $(DEPS_STAMP)
	@mkdir -p $(B)/gen
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)protoc-c --proto_path=schema --c_out=$(B)/gen $<

# The Python client's protocol module, from the same schema.
$(B)/python/control_pb2.py: schema/control.proto | $(DEPS_STAMP)
	@mkdir -p $(B)/python
	@$(if $(Q),echo "  PROTOC  $< (python)")
	$(Q)protoc --proto_path=schema --python_out=$(B)/python $<

# The trace reader's module (gamehook.read_trace), from the trace schema.
$(B)/python/trace_pb2.py: schema/trace.proto | $(DEPS_STAMP)
	@mkdir -p $(B)/python
	@$(if $(Q),echo "  PROTOC  $< (python)")
	$(Q)protoc --proto_path=schema --python_out=$(B)/python $<

# gamehookd's schemas (Python only).
$(B)/python/%_rpc_pb2.py: schema/%_rpc.proto | $(DEPS_STAMP)
	@mkdir -p $(B)/python
	@$(if $(Q),echo "  PROTOC  $< (python)")
	$(Q)protoc --proto_path=schema --python_out=$(B)/python $<

# The installable package, staged whole for `pip install .` (pyproject.toml).
$(PYPKG_STAMP): $(PY_SRC) $(PY_GEN) $(B)/libhook.so
	@$(if $(Q),echo "  STAGE   $(PYPKG)")
	$(Q)rm -rf $(PYPKG) && mkdir -p $(PYPKG) && \
		cp $(PY_SRC) $(PY_GEN) $(B)/libhook.so $(PYPKG)/ && touch $@

$(B)/python/dm_env_rpc_pb2.py: schema/dm_env_rpc.proto | $(DEPS_STAMP)
	@mkdir -p $(B)/python
	@$(if $(Q),echo "  PROTOC  $< (python)")
	$(Q)protoc --proto_path=schema --python_out=$(B)/python $<

# gamehookd: a Python script finding the package in the tree or installed.
$(B)/gamehookd: python/gamehookd
	@mkdir -p $(dir $@)
	$(Q)install -m 0755 $< $@

$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -c $< -o $@

$(B)/pic/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/obj/%.o: %.c | $(DEPS_STAMP) $(GEN_H)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -c $< -o $@

$(B)/pic/%.o: %.c | $(DEPS_STAMP) $(GEN_H)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [so] $<")
	$(Q)$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -fPIC -fvisibility=hidden \
		-ftls-model=initial-exec -c $< -o $@

SHIM_OBJ = $(call pic,$(SHIM_SRC) $(COMMON_SRC)) $(GEN_PIC)

# The version script is derived from the code: every EXPORT-marked function
# (shim/shim.h) and nothing else. After linking, the library's dynamic
# symbols are checked against it, so the build fails if they ever differ.
$(B)/libhook.map: $(SHIM_OBJ) scripts/exports.sh
	@$(if $(Q),echo "  GEN     $@")
	$(Q)sh scripts/exports.sh map $(SHIM_OBJ) > $@.tmp && mv $@.tmp $@

$(B)/libhook.so: $(SHIM_OBJ) $(B)/libhook.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -o $@.tmp $(SHIM_OBJ) \
		-Wl,--version-script=$(B)/libhook.map -Wl,-z,now -Wl,-z,relro \
		$(SAN_LDFLAGS) $(SHIM_LIBS) -ldl -lpthread -lm
	$(Q)sh scripts/exports.sh check $@.tmp $(B)/libhook.map
	$(Q)mv $@.tmp $@

$(B)/hookctl: $(call obj,$(HOOKCTL_SRC) $(COMMON_SRC) $(READER_ALLOC)) $(GEN_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) $(call pkg,--libs)

$(B)/dumper: $(call obj,$(DUMPER_SRC) $(COMMON_SRC) $(READER_ALLOC)) $(GEN_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) $(call pkg,--libs) -lm

# The demo game stands in for a closed binary: no debug info, nothing of
# gamehook's, and a stripped twin.
$(B)/demo-game: $(DEMO_SRC) | $(DEPS_STAMP)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -o $@ $(DEMO_SRC) \
		-lncursesw -ltinfo -lpthread

$(B)/demo-game.stripped: $(B)/demo-game
	$(Q)strip -o $@ $<

# The graphical demo (SDL2, OpenGL), closed the same way, and its twin.
$(B)/demo-gfx: $(DEMO_GFX_SRC) $(wildcard demo-gfx/*.h) | $(DEPS_STAMP)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE \
		$(shell pkg-config --cflags sdl2) -o $@ $(DEMO_GFX_SRC) \
		$(shell pkg-config --libs sdl2 gl) -lm

$(B)/demo-gfx.stripped: $(B)/demo-gfx
	$(Q)strip -o $@ $<

# The graphical demo with debug info, for the test holding its layout.
$(B)/demo-gfx.debug: $(DEMO_GFX_SRC) $(wildcard demo-gfx/*.h) | $(DEPS_STAMP)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE \
		$(shell pkg-config --cflags sdl2) -o $@ $(DEMO_GFX_SRC) \
		$(shell pkg-config --libs sdl2 gl) -lm

# The same game with debug info, for tests that hold layouts against it.
$(B)/demo-game.debug: $(DEMO_SRC) | $(DEPS_STAMP)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -o $@ $(DEMO_SRC) \
		-lncursesw -ltinfo -lpthread

$(B)/tests/test-%: $(call obj,tests/unit/test-%.c) $(GEN_OBJ) $(call obj,$(COMMON_SRC) $(READER_ALLOC) \
		shim/vclock.c shim/stall.c shim/input.c shim/gfxin.c shim/sys.c) $(B)/obj/tests/unit/unit.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) $(call pkg,--libs) -lpthread -lm

# The emulated terminal's unit test: term.c with libvterm, no shim around.
$(B)/tests/test-term: $(call obj,tests/unit/test-term.c shim/term.c) \
		$(B)/obj/tests/unit/unit.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) $(call pkg,--libs) -lpthread

# The memory scan's engine on memory of its own.
$(B)/tests/test-scan: $(call obj,tests/unit/test-scan.c shim/scan.c shim/scan-ptr.c) \
		$(B)/obj/tests/unit/unit.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -ldl -lm

$(B)/tests/%: $(B)/obj/tests/progs/%.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -lpthread

# Curses games ticking on alarm(), on halfdelay and spinning, and the one
# drawing line-drawing characters and colour pairs.
$(B)/tests/alarm-game $(B)/tests/halfdelay-game $(B)/tests/spin-game $(B)/tests/acs-game: $(B)/tests/%: $(B)/obj/tests/progs/%.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -lncursesw -ltinfo

# Graphical test games: SDL2 (renderer, OpenGL, window surface), SDL 1.2
# and plain Xlib with GLX.
$(B)/tests/sdl-game: tests/progs/sdl-game.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -o $@ $< $(shell pkg-config --cflags --libs sdl2) -lGL

$(B)/tests/sdl12-game: tests/progs/sdl12-game.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -o $@ $< $(shell pkg-config --cflags --libs sdl) -lGL

$(B)/tests/glx-game: tests/progs/glx-game.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -o $@ $< -lX11 -lGL

# EGL and OpenGL ES 2 on X11; GLX from a thread that is not main.
$(B)/tests/egl-game: tests/progs/egl-game.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -o $@ $< -lX11 -lEGL -lGLESv2

$(B)/tests/gl-thread-game: tests/progs/gl-thread-game.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -pthread -o $@ $< -lX11 -lGL

# Graphical input: the shim's SDL and Xlib hooks are built against their
# headers (<SDL2/SDL.h>, <SDL/SDL.h>: the structures of each version's
# events), never linked with them; the test programs that print what they
# receive are.
$(B)/obj/tests/progs/sdl2-input.o: ALL_CFLAGS += $(shell pkg-config --cflags sdl2)
$(B)/obj/tests/progs/sdl1-input.o: ALL_CFLAGS += $(shell pkg-config --cflags sdl)
$(B)/tests/sdl2-input: $(B)/obj/tests/progs/sdl2-input.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) $(shell pkg-config --libs sdl2)
$(B)/tests/sdl1-input: $(B)/obj/tests/progs/sdl1-input.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) $(shell pkg-config --libs sdl)
$(B)/tests/x11-input $(B)/tests/x-sender $(B)/tests/x-events: $(B)/tests/%: $(B)/obj/tests/progs/%.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -lX11 -ldl

# A stripped game: its layout finds the state by byte signatures.
$(B)/tests/sig-game: $(B)/obj/tests/progs/sig-game.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS)
	$(Q)strip $@

# A statically linked game: LD_PRELOAD cannot enter it.
$(B)/tests/static-game: tests/progs/worker-clock.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -static -o $@ $< -lpthread

# A library whose constructor sleeps and reads the clock before the shim's.
$(B)/tests/libctor.so: tests/progs/libctor.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -shared -fPIC -o $@ $<

$(B)/bench-step: $(call obj,bench/bench-step.c bench/benchlib.c)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -lpthread -lm

$(B)/bench-client: $(call obj,bench/bench-client.c bench/benchlib.c)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -lpthread -lm

$(B)/bench-readpixels: bench/readpixels.c | $(DEPS_STAMP)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -o $@ $< -lX11 -lGL

$(B)/bench-reset: $(call obj,bench/bench-reset.c bench/benchlib.c)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -lpthread -lm

$(B)/bench-track: $(call obj,bench/bench-track.c bench/benchlib.c)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -lpthread -lm

$(B)/bench-track-game-%: bench/track-game.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -DSTATE_MIB=$* -o $@ $<

$(B)/bench-timer-game: $(call obj,bench/timer-game.c)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS)

$(B)/bench-state: $(call obj,bench/bench-state.c bench/benchlib.c $(COMMON_SRC) $(READER_ALLOC)) $(GEN_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) $(call pkg,--libs) -lpthread -lm

$(B)/bench-scan: $(call obj,bench/bench-scan.c bench/benchlib.c shim/scan.c)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SAN_LDFLAGS) -lpthread -lm

# `make demo DEMO_SIZE=120x40`: the demo game's terminal (80x24 by default).
demo: all
	$(Q)/usr/bin/python3 scripts/demo.py $(if $(DEMO_SIZE),--size $(DEMO_SIZE))

test: all tests
	$(Q)/usr/bin/python3 tests/run.py

bench: all benches
	$(Q)$(B)/bench-step
	$(Q)$(B)/bench-state
	$(Q)$(B)/bench-reset
	$(Q)$(B)/bench-track
	$(Q)/usr/bin/python3 bench/bench-timers.py
	$(Q)/usr/bin/python3 bench/bench-screen.py
	$(Q)/usr/bin/python3 bench/bench-pytrace.py
	$(Q)/usr/bin/python3 bench/bench-env.py
	$(Q)/usr/bin/python3 bench/bench-env-pixels.py
	$(Q)/usr/bin/python3 bench/bench-gfx.py
	$(Q)$(B)/bench-scan
	$(Q)/usr/bin/python3 bench/bench-gfx-fps.py
	$(Q)/usr/bin/python3 bench/bench-gfx-egl.py
	$(Q)/usr/bin/python3 bench/bench-remote.py
	$(Q)/usr/bin/python3 bench/bench-gfx-input.py
	$(Q)/usr/bin/python3 bench/bench-seed-alloc.py

# Installs what gamehook ships, building only that.
install: $(SHIP)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/gamehook
	install -m 0755 $(B)/hookctl $(DESTDIR)$(PREFIX)/bin/hookctl
	install -m 0755 $(B)/dumper $(DESTDIR)$(PREFIX)/bin/dumper
	install -m 0755 $(B)/gamehookd $(DESTDIR)$(PREFIX)/bin/gamehookd
	install -d $(DESTDIR)$(PREFIX)/share/gamehook
	install -m 0644 schema/dm_env_rpc.proto schema/gamehook_rpc.proto \
		$(DESTDIR)$(PREFIX)/share/gamehook/
	install -m 0644 $(B)/libhook.so $(DESTDIR)$(PREFIX)/lib/gamehook/libhook.so
	install -d $(DESTDIR)$(PREFIX)/lib/gamehook/python/gamehook
	install -m 0644 $(PY_SRC) $(PY_GEN) \
		$(DESTDIR)$(PREFIX)/lib/gamehook/python/gamehook/

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
