/* The SDL hooks (see sdlin.h): injected input enters SDL's own event queue
 * at the first event call of the frame it was sent for, the real keyboard
 * and mouse are filtered out while ignored, and the keyboard, modifier and
 * mouse state functions answer from the events the game was given. */
#include <dlfcn.h>
#include <stddef.h>

#include "gfxin.h"
#include "sdlin.h"
#include "shim.h"

/* The hooks' own prototypes (the shim includes no SDL header here). */
#define PROTO(ret, name, params, args) ret name params;
REAL_SDL(PROTO)
#undef PROTO

#define REAL_DEFINE(ret, name, params, args) ret (*real_##name) params;
REAL_SDL(REAL_DEFINE)
#undef REAL_DEFINE

SHIM_TLS int sdl_busy;

static int version;          /* 0 none, 1 SDL 1.2, 2 SDL2 */
static int resolved;
static int installed;
static unsigned seen_gen;

int
sdl_resolve(void)
{
	if (resolved)
		return version;
#define REAL_LOOKUP(ret, name, params, args) \
	if (real_##name == NULL) \
		*(void **)&real_##name = dlsym(RTLD_NEXT, #name);
	/* Probe one name first: dlsym of a missing name costs an error
	 * string, so skip the list when SDL is not loaded at all. */
	*(void **)&real_SDL_PollEvent = dlsym(RTLD_NEXT, "SDL_PollEvent");
	if (real_SDL_PollEvent != NULL) {
		REAL_SDL(REAL_LOOKUP)
		if (dlsym(RTLD_NEXT, "SDL_Linked_Version") != NULL)
			version = 1;
		else if (dlsym(RTLD_NEXT, "SDL_GetVersion") != NULL)
			version = 2;
	}
#undef REAL_LOOKUP
	resolved = 1;
	if (version)
		gfxin_set_lib(version == 1 ? GFX_SDL1 : GFX_SDL2);
	return version;
}

int
sdl_version(void)
{
	return resolved ? version : sdl_resolve();
}

/* Hand the events due now to SDL's queue; pass straight through when the
 * shim is off or the call is its own. */
static void
deliver(void)
{
	struct gfx_event e;

	if (!shim_on() || sdl_busy)
		return;
	unsigned g = gfxin_generation();
	if (g != seen_gen) {
		seen_gen = g;
		if (version == 2)
			sdl2_clear();
		else
			sdl1_clear();
	}
	if (!installed) {
		/* SDL_Init went by unseen (called before the shim started):
		 * the filter goes in at the first event call. */
		installed = 1;
		sdl_busy = 1;
		if (version == 2)
			sdl2_install();
		else
			sdl1_install();
		sdl_busy = 0;
	}
	sdl_busy = 1;
	while (gfxin_take(&e)) {
		if (version == 2)
			sdl2_deliver(&e);
		else
			sdl1_deliver(&e);
	}
	sdl_busy = 0;
}

/* After SDL_Init: put the filter in while the queue is still empty (SDL
 * flushes the queue when a filter is set). Until it is in, the state
 * functions are SDL's own. */
static void
after_init(int r)
{
	if (r < 0 || installed || sdl_busy || !version || !shim_on())
		return;
	installed = 1;
	sdl_busy = 1;
	if (version == 2)
		sdl2_install();
	else
		sdl1_install();
	sdl_busy = 0;
}

#define NEED(name, fail) \
	do { \
		if (unlikely(real_##name == NULL) && \
		    (sdl_resolve(), real_##name == NULL)) \
			return fail; \
	} while (0)

EXPORT int
SDL_Init(uint32_t flags)
{
	NEED(SDL_Init, -1);
	int r = real_SDL_Init(flags);
	after_init(r);
	return r;
}

EXPORT int
SDL_InitSubSystem(uint32_t flags)
{
	NEED(SDL_InitSubSystem, -1);
	int r = real_SDL_InitSubSystem(flags);
	after_init(r);
	return r;
}

EXPORT int
SDL_PollEvent(void *e)
{
	NEED(SDL_PollEvent, 0);
	deliver();
	return real_SDL_PollEvent(e);
}

EXPORT int
SDL_WaitEvent(void *e)
{
	NEED(SDL_WaitEvent, 0);
	deliver();
	return real_SDL_WaitEvent(e);
}

EXPORT int
SDL_WaitEventTimeout(void *e, int timeout)
{
	NEED(SDL_WaitEventTimeout, 0);
	deliver();
	return real_SDL_WaitEventTimeout(e, timeout);
}

/* SDL2 takes a type range, SDL 1.2 a mask: both pass through as given. */
EXPORT int
SDL_PeepEvents(void *e, int n, int action, uint32_t lo, uint32_t hi)
{
	NEED(SDL_PeepEvents, -1);
	deliver();
	return real_SDL_PeepEvents(e, n, action, lo, hi);
}

EXPORT void
SDL_PumpEvents(void)
{
	NEED(SDL_PumpEvents, );
	deliver();
	real_SDL_PumpEvents();
}

/* SDL2 only: whether events are queued, which the events due answer too. */
EXPORT int
SDL_HasEvent(uint32_t type)
{
	NEED(SDL_HasEvent, 0);
	deliver();
	return real_SDL_HasEvent(type);
}

EXPORT int
SDL_HasEvents(uint32_t lo, uint32_t hi)
{
	NEED(SDL_HasEvents, 0);
	deliver();
	return real_SDL_HasEvents(lo, hi);
}

/* SDL2: (filter, userdata); SDL 1.2: (filter). The game's filter runs
 * behind the shim's. */
EXPORT void
SDL_SetEventFilter(void *fn, void *ud)
{
	NEED(SDL_SetEventFilter, );
	if (sdl_busy || !version) {
		real_SDL_SetEventFilter(fn, ud);
		return;
	}
	if (version == 2)
		sdl2_set_filter(fn, ud);
	else
		sdl1_set_filter(fn);
}

/* SDL2: SDL_bool (SDL_EventFilter *, void **); SDL 1.2: SDL_EventFilter
 * (void). */
EXPORT void *
SDL_GetEventFilter(void *fn, void *ud)
{
	NEED(SDL_GetEventFilter, NULL);
	if (sdl_busy || !version || !installed)
		return real_SDL_GetEventFilter(fn, ud);
	if (version == 2)
		return (void *)(intptr_t)sdl2_get_filter(fn, ud);
	return sdl1_get_filter();
}

EXPORT const uint8_t *
SDL_GetKeyboardState(int *n)
{
	NEED(SDL_GetKeyboardState, NULL);
	if (version != 2 || !installed)
		return real_SDL_GetKeyboardState(n);
	return sdl2_keyboard_state(n);
}

EXPORT uint8_t *
SDL_GetKeyState(int *n)
{
	NEED(SDL_GetKeyState, NULL);
	if (version != 1 || !installed)
		return real_SDL_GetKeyState(n);
	return sdl1_key_state(n);
}

EXPORT int
SDL_GetModState(void)
{
	NEED(SDL_GetModState, 0);
	if (!version || !installed)
		return real_SDL_GetModState();
	return version == 2 ? sdl2_mod_state() : sdl1_mod_state();
}

EXPORT uint32_t
SDL_GetMouseState(int *x, int *y)
{
	NEED(SDL_GetMouseState, 0);
	if (!version || !installed)
		return real_SDL_GetMouseState(x, y);
	return version == 2 ? sdl2_mouse_state(x, y) : sdl1_mouse_state(x, y);
}

EXPORT uint32_t
SDL_GetRelativeMouseState(int *x, int *y)
{
	NEED(SDL_GetRelativeMouseState, 0);
	if (!version || !installed)
		return real_SDL_GetRelativeMouseState(x, y);
	return version == 2 ? sdl2_relative_mouse_state(x, y) :
	    sdl1_relative_mouse_state(x, y);
}
