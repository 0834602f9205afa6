/* SDL's clocks and delays on the virtual clock, SDL2 and SDL 1.2 alike
 * (the same names and types): SDL_GetTicks(64) count virtual
 * milliseconds since the shim started, SDL_GetPerformanceCounter the
 * virtual raw monotonic clock in nanoseconds (as SDL2's own, frequency
 * 10^9), and SDL_Delay is a sleep (a
 * nanosleep for HOOK_FRAME). SDL's timers (SDL_AddTimer) need nothing of
 * their own: SDL's timer thread waits on a semaphore with a timeout and
 * reads the monotonic clock, both virtual already, so callbacks run at
 * virtual instants. After `detach` the real functions answer. */
#include <dlfcn.h>
#include <stdint.h>
#include <time.h>

#include "shim.h"
#include "vclock.h"
#include "wait.h"

#define RESOLVE(var, name) do { \
	if ((var) == NULL) \
		*(void **)&(var) = dlsym(RTLD_NEXT, name); \
} while (0)

static uint32_t (*real_SDL_GetTicks)(void);
static uint64_t (*real_SDL_GetTicks64)(void);
static uint64_t (*real_SDL_GetPerformanceCounter)(void);
static uint64_t (*real_SDL_GetPerformanceFrequency)(void);
static void (*real_SDL_Delay)(uint32_t);

uint32_t SDL_GetTicks(void);

EXPORT uint32_t
SDL_GetTicks(void)
{
	if (!shim_on() || vclock_detached()) {
		RESOLVE(real_SDL_GetTicks, "SDL_GetTicks");
		return real_SDL_GetTicks ? real_SDL_GetTicks() : 0;
	}
	return (uint32_t)(vclock_now() / 1000000);
}

uint64_t SDL_GetTicks64(void);

EXPORT uint64_t
SDL_GetTicks64(void)
{
	if (!shim_on() || vclock_detached()) {
		RESOLVE(real_SDL_GetTicks64, "SDL_GetTicks64");
		return real_SDL_GetTicks64 ? real_SDL_GetTicks64() : 0;
	}
	return (uint64_t)(vclock_now() / 1000000);
}

uint64_t SDL_GetPerformanceCounter(void);

EXPORT uint64_t
SDL_GetPerformanceCounter(void)
{
	if (!shim_on() || vclock_detached()) {
		RESOLVE(real_SDL_GetPerformanceCounter,
		    "SDL_GetPerformanceCounter");
		return real_SDL_GetPerformanceCounter ?
		    real_SDL_GetPerformanceCounter() : 0;
	}
	/* What SDL2's own counter reads: the raw monotonic clock in ns. */
	struct timespec t;
	vclock_read(CLOCK_MONOTONIC_RAW, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

uint64_t SDL_GetPerformanceFrequency(void);

EXPORT uint64_t
SDL_GetPerformanceFrequency(void)
{
	if (!shim_on() || vclock_detached()) {
		RESOLVE(real_SDL_GetPerformanceFrequency,
		    "SDL_GetPerformanceFrequency");
		return real_SDL_GetPerformanceFrequency ?
		    real_SDL_GetPerformanceFrequency() : 1;
	}
	return 1000000000ULL;
}

void SDL_Delay(uint32_t ms);

EXPORT void
SDL_Delay(uint32_t ms)
{
	if (!shim_on() || vclock_detached()) {
		RESOLVE(real_SDL_Delay, "SDL_Delay");
		if (real_SDL_Delay != NULL)
			real_SDL_Delay(ms);
		return;
	}
	wait_sleep((int64_t)ms * 1000000, FRAME_NANOSLEEP, NULL);
}
