/* State of the shim shared by its modules: configuration read once from the
 * environment, activation, and the per-thread flags hooks consult. */
#ifndef GH_SHIM_H
#define GH_SHIM_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "framerule.h"

#define GAMEHOOK_VERSION "0.2.0"

#define SHIM_TLS __thread __attribute__((tls_model("initial-exec")))

/* Marks a hook: the one thing the shim exports. The objects are built with
 * -fvisibility=hidden, and the build derives the version script
 * (build/libhook.map) from the functions this leaves visible, so the code is
 * the only list of hooks (scripts/exports.sh). */
#define EXPORT __attribute__((visibility("default")))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

struct shim_config {
	int lockstep;               /* HOOK_MODE=lockstep */
	double speed;               /* HOOK_SPEED; 0 = max */
	int keyboard_real;          /* real keyboard passes through */
	enum frame_rule frame_rule; /* HOOK_FRAME */
	char socket_path[108];
	char log_path[512];
	char exe[512];              /* /proc/self/exe */
	char build_id[41];          /* hex, "" when the binary has none */
	int handshake_fd;           /* HOOK_HANDSHAKE_FD, -1 when absent */
	char listen[256];           /* HOOK_LISTEN: HOST:PORT, "" for none */
	char token[256];            /* HOOK_TOKEN, required with HOOK_LISTEN */
	char listen_bound[300];     /* where TCP really listens */
	char layout[512];           /* HOOK_LAYOUT, "" for the raw default */
	char trace[512];            /* HOOK_TRACE, "" for none */
	int trace_screen;           /* HOOK_TRACE_SCREEN=1: traces keep the screen */
	int trace_pixels;           /* HOOK_TRACE_PIXELS: traces keep pictures, */
	int trace_pixels_w, trace_pixels_h, trace_pixels_gray; /* of this size */
	int screen_off;             /* HOOK_SCREEN=0: output is not interpreted */
	unsigned keyframe;          /* HOOK_KEYFRAME */
	int track;                  /* HOOK_TRACK: a wtrack method, -1 auto */
	char replay[512];           /* HOOK_REPLAY: a trace to take inputs from */
	int seeded;                 /* HOOK_SEED was given */
	uint64_t seed;              /* HOOK_SEED */
	int audio_dummy;            /* HOOK_AUDIO=dummy: SDL's dummy driver */
};

extern struct shim_config shim_cfg;

/* 1 while the shim drives this process; 0 before start-up, in processes it
 * does not target, in forked children and after `detach`. */
extern _Atomic int shim_active;

/* Set on the game's main thread (the one that ran the constructor). */
extern SHIM_TLS int tls_main_thread;
/* Set on the shim's own threads and inside real calls that must not be
 * virtualised again (a curses call reading the keyboard). */
extern SHIM_TLS int tls_internal;

/* A NULL test the compiler cannot drop: libc declares many of the hooked
 * parameters nonnull, but a game may still pass NULL and expect EFAULT. */
static inline int
is_null(const void *p)
{
	__asm__("" : "+r"(p));
	return p == 0;
}

/* True when a hook on this thread should do the shim's work. */
static inline int
shim_on(void)
{
	return likely(atomic_load_explicit(&shim_active, memory_order_relaxed)) &&
	    !tls_internal;
}

/* The real process id (the shim's own uses), and the one a seeded game
 * reads from getpid() (hook-pid.c). */
pid_t shim_getpid(void);
pid_t shim_fixed_pid(void);
/* What getpid() answers a call from CALLER: the fixed pid for the game's
 * executable under HOOK_SEED, else the real one. */
pid_t shim_pid_for(const void *caller);

/* The stack of each of the shim's own threads. glibc puts the static TLS
 * of every loaded object at its top: ThreadSanitizer's runtime alone has
 * 768 KiB of it. */
#if defined(__SANITIZE_THREAD__)
#define SHIM_STACK_SIZE ((size_t)4 << 20)
#else
#define SHIM_STACK_SIZE ((size_t)256 << 10)
#endif

/* Start the control thread and send the launcher's handshake, once. Called
 * just before the game's main() runs, or at the first frame boundary. */
void shim_start(void);

#endif
