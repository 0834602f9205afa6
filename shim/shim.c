/* The shim's start-up: read the configuration, decide whether this process
 * is the one to drive, open the control socket, and start serving just
 * before the game's main() runs. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fnmatch.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#include "../common/sockpath.h"
#include "capture.h"
#include "context.h"
#include "ctl.h"
#include "frame.h"
#include "input.h"
#include "log.h"
#include "real.h"
#include "record.h"
#include "replay.h"
#include "seed.h"
#include "shim.h"
#include "park.h"
#include "xalloc.h"
#include "snapshot.h"
#include "term.h"
#include "state.h"
#include "vclock.h"
#include "vtimer.h"
#include "wait.h"
#include "wtrack.h"

#define OWNER_ENV "GAMEHOOK_OWNER"

struct shim_config shim_cfg = { .speed = 1.0, .handshake_fd = -1 };
_Atomic int shim_active;
SHIM_TLS int tls_main_thread;
SHIM_TLS int tls_internal;

static _Atomic int started;
static char startup_error[700];   /* fits the handshake's 800 */

/* Record a configuration error: logged, and reported in the handshake. */
static void config_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void
config_error(const char *fmt, ...)
{
	va_list ap;

	if (startup_error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(startup_error, sizeof startup_error, fmt, ap);
	va_end(ap);
}

/* Whether this process is the one to drive: HOOK_TARGET names it, or, by
 * default, it is the first process of the tree (or what that process
 * exec'd into). */
static int
is_target(void)
{
	const char *target = getenv("HOOK_TARGET");
	const char *owner = getenv(OWNER_ENV);

	if (target != NULL && target[0] != '\0') {
		const char *base = strrchr(shim_cfg.exe, '/');
		base = base ? base + 1 : shim_cfg.exe;
		return fnmatch(target, shim_cfg.exe, 0) == 0 ||
		    fnmatch(target, base, 0) == 0;
	}
	if (owner != NULL && atoi(owner) != (int)shim_getpid())
		return 0;
	return 1;
}

static void
read_config(void)
{
	const char *v;

	if ((v = getenv("HOOK_MODE")) != NULL && v[0]) {
		if (strcmp(v, "lockstep") == 0)
			shim_cfg.lockstep = 1;
		else if (strcmp(v, "run") != 0)
			config_error("HOOK_MODE: expected run or lockstep, not '%s'", v);
	}
	/* Lockstep runs as fast as it can unless told otherwise: a step
	 * returns as soon as its frames are computed. */
	shim_cfg.speed = shim_cfg.lockstep ? 0.0 : 1.0;
	if ((v = getenv("HOOK_SPEED")) != NULL && v[0]) {
		char *end;
		double s = strtod(v, &end);
		if (strcmp(v, "max") == 0)
			shim_cfg.speed = 0.0;
		else if (*end || !(s > 0.0) || s > 1e6)
			config_error("HOOK_SPEED: expected a factor or max, not '%s'", v);
		else
			shim_cfg.speed = s;
	}
	shim_cfg.keyboard_real = !shim_cfg.lockstep;
	if ((v = getenv("HOOK_KEYBOARD")) != NULL && v[0]) {
		if (strcmp(v, "real") == 0)
			shim_cfg.keyboard_real = 1;
		else if (strcmp(v, "ignore") == 0)
			shim_cfg.keyboard_real = 0;
		else
			config_error("HOOK_KEYBOARD: expected real or ignore, not '%s'", v);
	}
	if ((v = getenv("HOOK_AUDIO")) != NULL && v[0]) {
		if (strcmp(v, "dummy") == 0)
			shim_cfg.audio_dummy = 1;
		else if (strcmp(v, "real") != 0)
			config_error("HOOK_AUDIO: expected real or dummy, not '%s'", v);
	}
	shim_cfg.frame_rule = FRAME_AUTO;
	if ((v = getenv("HOOK_FRAME")) != NULL && v[0] &&
	    framerule_parse(v, &shim_cfg.frame_rule) != 0) {
		char names[600];
		framerule_list(names, sizeof names);
		config_error("HOOK_FRAME: unknown frame rule '%s' (%s)", v, names);
	}
	if ((v = getenv("HOOK_SOCKET")) != NULL && v[0])
		snprintf(shim_cfg.socket_path, sizeof shim_cfg.socket_path, "%s", v);
	else if (sockpath_for_pid(shim_getpid(), shim_cfg.socket_path,
	    sizeof shim_cfg.socket_path) != 0)
		config_error("socket path too long%s", "");
	if ((v = getenv("HOOK_LOG")) != NULL && v[0])
		snprintf(shim_cfg.log_path, sizeof shim_cfg.log_path, "%s", v);
	else
		sockpath_log(shim_cfg.socket_path, shim_cfg.log_path,
		    sizeof shim_cfg.log_path);
	if ((v = getenv("HOOK_LISTEN")) != NULL && v[0]) {
		snprintf(shim_cfg.listen, sizeof shim_cfg.listen, "%s", v);
		v = getenv("HOOK_TOKEN");
		if (v == NULL || strlen(v) < 8)
			config_error("HOOK_LISTEN needs HOOK_TOKEN (8 characters "
			    "or more): TCP control is never open without one");
		else
			snprintf(shim_cfg.token, sizeof shim_cfg.token, "%s", v);
	}
	if ((v = getenv("HOOK_LAYOUT")) != NULL && v[0])
		snprintf(shim_cfg.layout, sizeof shim_cfg.layout, "%s", v);
	if ((v = getenv("HOOK_TRACE")) != NULL && v[0])
		snprintf(shim_cfg.trace, sizeof shim_cfg.trace, "%s", v);
	if ((v = getenv("HOOK_SCREEN")) != NULL && v[0]) {
		if (strcmp(v, "1") == 0 || strcmp(v, "0") == 0)
			shim_cfg.screen_off = v[0] == '0';
		else
			config_error("HOOK_SCREEN: expected 1 or 0, not '%s'", v);
	}
	if ((v = getenv("HOOK_TRACE_PIXELS")) != NULL && v[0] &&
	    strcmp(v, "0") != 0) {
		if (record_pixels_parse(v, &shim_cfg.trace_pixels_w,
		    &shim_cfg.trace_pixels_h, &shim_cfg.trace_pixels_gray) != 0)
			config_error("HOOK_TRACE_PIXELS: expected 1, full, gray, "
			    "WxH or WxH,gray, not '%s'", v);
		else
			shim_cfg.trace_pixels = 1;
	}
	if ((v = getenv("HOOK_TRACE_SCREEN")) != NULL && v[0]) {
		if (strcmp(v, "1") == 0 || strcmp(v, "0") == 0)
			shim_cfg.trace_screen = v[0] == '1';
		else
			config_error("HOOK_TRACE_SCREEN: expected 1 or 0, not "
			    "'%s'", v);
	}
	shim_cfg.keyframe = TRACE_KEYFRAME_DEFAULT;
	if ((v = getenv("HOOK_KEYFRAME")) != NULL && v[0]) {
		char *end;
		unsigned long k = strtoul(v, &end, 10);
		if (*end || k < 1 || k > 1000000 || v[0] == '-')
			config_error("HOOK_KEYFRAME: expected frames between "
			    "keyframes, 1 to 1000000, not '%s'", v);
		else
			shim_cfg.keyframe = (unsigned)k;
	}
	shim_cfg.track = -1;
	if ((v = getenv("HOOK_TRACK")) != NULL && v[0]) {
		shim_cfg.track = wtrack_parse(v);
		if (shim_cfg.track == -2)
			config_error("HOOK_TRACK: expected auto, wp, soft-dirty or "
			    "off, not '%s'", v);
	}
	if ((v = getenv("HOOK_REPLAY")) != NULL && v[0])
		snprintf(shim_cfg.replay, sizeof shim_cfg.replay, "%s", v);
	if ((v = getenv("HOOK_SEED")) != NULL && v[0]) {
		char *end;
		errno = 0;
		unsigned long long sd = strtoull(v, &end, 0);
		if (*end || errno || v[0] == '-')
			config_error("HOOK_SEED: expected an integer from 0 to "
			    "2^64-1, not '%s'", v);
		else {
			shim_cfg.seeded = 1;
			shim_cfg.seed = sd;
		}
	}
	if ((v = getenv("HOOK_HANDSHAKE_FD")) != NULL && v[0])
		shim_cfg.handshake_fd = atoi(v);
}

/* The main executable's GNU build id, from its PT_NOTE in memory. */
static int
build_id_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const char *name = p + sizeof *nh;
			const unsigned char *desc = (const unsigned char *)
			    (name + ((nh->n_namesz + 3) & ~3u));
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0) {
				size_t n = nh->n_descsz > 20 ? 20 : nh->n_descsz;
				for (size_t k = 0; k < n; k++)
					snprintf(shim_cfg.build_id + 2 * k, 3,
					    "%02x", desc[k]);
				return 1;
			}
			p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 1;   /* the first object is the executable: stop there */
}

/* The wall-clock time a seeded run starts at: 2026-01-01T00:00:00Z. */
#define SEED_EPOCH_NS (1767225600LL * 1000000000LL)

static int aslr_failed;

/* A problem that leaves the game driven but not observed (a bad layout, a
 * trace that cannot be written): the launcher reports it. */
static char start_warning[700];

/* Tell the launcher (hookctl run) how start-up went, then let go of it. */
static void
handshake(void)
{
	char msg[800];
	int n;

	if (shim_cfg.handshake_fd < 0)
		return;
	if (startup_error[0])
		n = snprintf(msg, sizeof msg, "err %s\n", startup_error);
	else if (start_warning[0])
		n = snprintf(msg, sizeof msg, "ok %d %s\t%s\n", (int)shim_getpid(),
		    shim_cfg.socket_path, start_warning);
	else
		n = snprintf(msg, sizeof msg, "ok %d %s\n", (int)shim_getpid(),
		    shim_cfg.socket_path);
	(void)!write(shim_cfg.handshake_fd, msg, (size_t)n);
	close(shim_cfg.handshake_fd);
	shim_cfg.handshake_fd = -1;
}

void
shim_start(void)
{
	if (likely(atomic_load_explicit(&started, memory_order_acquire)))
		return;
	int expected = 0;
	if (!atomic_compare_exchange_strong(&started, &expected, 1))
		return;
	if (atomic_load(&shim_active)) {
		/* Every library is loaded now: the layout can be resolved. */
		char err[600];
		/* The shim's own work: its calls are not the game's (a library
		 * reading /dev/urandom must not take the game's seeded bytes). */
		int was_internal = tls_internal;
		tls_internal = 1;
		state_init(shim_cfg.layout);
		snprintf(start_warning, sizeof start_warning, "%s", state_error());
		if (state_layout() != NULL && capture_init() != 0)
			snprintf(start_warning, sizeof start_warning, "capture: "
			    "out of memory");
		else if (shim_cfg.replay[0] && replay_init(shim_cfg.replay, err,
		    sizeof err) != 0)
			snprintf(start_warning, sizeof start_warning, "%s", err);
		else if (state_layout() != NULL && shim_cfg.trace[0] &&
		    (record_screen(shim_cfg.trace_screen), 1) &&
		    (record_pixels(shim_cfg.trace_pixels, shim_cfg.trace_pixels_w,
		    shim_cfg.trace_pixels_h, shim_cfg.trace_pixels_gray), 1) &&
		    record_open(shim_cfg.trace, shim_cfg.keyframe, err,
		    sizeof err) != 0) {
			hlog("HOOK_TRACE: %s", err);
			snprintf(start_warning, sizeof start_warning, "%s", err);
		}
		tls_internal = was_internal;
	}
	if (atomic_load(&shim_active) && ctl_start() != 0)
		config_error("%s", "could not start the control thread");
	handshake();
}

/* In a forked child: the control thread did not come along. Run untouched
 * (time continuous with what the parent saw). */
static void
atfork_child(void)
{
	if (!atomic_load(&shim_active))
		return;
	ctl_forget();
	log_close();
	frame_detach();
	vclock_detach();
	vtimer_forget();   /* a child inherits no timers */
	input_set_ignore_real(0);
	atomic_store(&started, 1);
}

static void
shim_exit(void)
{
	if (atomic_load(&shim_active)) {
		record_flush_at_exit();
		ctl_unlink();
	}
}

/* Under HOOK_SEED, run the game with address-space randomization off
 * (what `setarch -R` does): re-execute it once, so heap and library
 * addresses, which games keep in their state, repeat from run to run. */
static void
no_aslr_reexec(char **argv)
{
	int p = personality(0xffffffff);
	if (p == -1 || (p & ADDR_NO_RANDOMIZE) || argv == NULL)
		return;
	if (personality((unsigned long)p | ADDR_NO_RANDOMIZE) == -1)
		return;
	execv("/proc/self/exe", argv);
	/* Could not: go on with randomization (logged once the log is open). */
	personality((unsigned long)p);
	aslr_failed = errno;
}

/* glibc passes constructors the program's arguments. */
__attribute__((constructor)) static void
shim_init(int argc, char **argv, char **envp)
{
	char err[256];
	char pid[32];

	tls_main_thread = 1;
	real_resolve();
	ssize_t n = readlink("/proc/self/exe", shim_cfg.exe,
	    sizeof shim_cfg.exe - 1);
	shim_cfg.exe[n > 0 ? n : 0] = '\0';
	if (!is_target()) {
		/* Not ours: every hook passes straight through. */
		return;
	}
	snprintf(pid, sizeof pid, "%d", (int)shim_getpid());
	setenv(OWNER_ENV, pid, 1);
	read_config();
	/* SDL (2 and 1.2) opens the audio driver this names; set before
	 * the game's main(), as the launcher would. */
	if (shim_cfg.audio_dummy && !startup_error[0])
		setenv("SDL_AUDIODRIVER", "dummy", 1);
	context_capture();
	(void)argc;
	(void)envp;
	if (shim_cfg.seeded)
		no_aslr_reexec(argv);
	log_open(shim_cfg.log_path);
	dl_iterate_phdr(build_id_cb, NULL);
	if (startup_error[0]) {
		hlog("configuration error: %s; the game runs untouched",
		    startup_error);
		handshake();
		return;
	}
	if (ctl_listen(err, sizeof err) != 0 ||
	    (shim_cfg.listen[0] && ctl_listen_tcp(err, sizeof err) != 0)) {
		config_error("%s", err);
		hlog("control socket: %s; the game runs untouched", err);
		handshake();
		return;
	}
	if (aslr_failed)
		hlog("HOOK_SEED: could not re-execute without address-space "
		    "randomization (%s); addresses may differ between runs",
		    strerror(aslr_failed));
	/* Under HOOK_SEED the wall clock starts at a fixed instant. */
	vclock_init(shim_cfg.seeded ? SEED_EPOCH_NS : -1);
	vclock_init_threads();
	park_init();
	xalloc_init();
	snapshot_init();
	wtrack_init(shim_cfg.track);
	if (!shim_cfg.screen_off)
		term_init();
	vclock_set_speed(shim_cfg.speed);
	wait_init();
	input_set_ignore_real(!shim_cfg.keyboard_real);
	frame_init(shim_cfg.lockstep, shim_cfg.frame_rule);
	pthread_atfork(NULL, NULL, atfork_child);
	atexit(shim_exit);
	hlog("driving %s (build id %s): socket %s, mode %s, frame rule %s",
	    shim_cfg.exe, shim_cfg.build_id[0] ? shim_cfg.build_id : "none",
	    shim_cfg.socket_path, shim_cfg.lockstep ? "lockstep" : "run",
	    framerule_name(shim_cfg.frame_rule));
	/* Seeded generators from here on: not before a configuration error
	 * could leave the game untouched. */
	if (shim_cfg.seeded)
		seed_init();
	atomic_store(&shim_active, 1);
}

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_main_fn)(main_fn, int, char **, void (*)(void),
    void (*)(void), void (*)(void), void *);

static main_fn game_main;

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
    void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

/* Wraps the game's main(): every constructor has run by now, so starting a
 * thread cannot deadlock on the loader's lock. */
static int
wrapped_main(int argc, char **argv, char **envp)
{
	shim_start();
	return game_main(argc, argv, envp);
}

EXPORT int
__libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
    void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	start_main_fn real = (start_main_fn)dlsym(RTLD_NEXT, "__libc_start_main");
	game_main = main;
	return real(wrapped_main, argc, argv, init, fini, rtld_fini, stack_end);
}
