/* Input for SDL games: hook-sdl-input.c holds the hooks (one per name,
 * shared by SDL2 and SDL 1.2, whose functions are named alike but differ),
 * and hands each call to the module of the version the game links,
 * sdl2-input.c or sdl1-input.c, which know that version's event
 * structures. The shim links neither: the real functions come from
 * dlsym(RTLD_NEXT). */
#ifndef GH_SDLIN_H
#define GH_SDLIN_H

#include <stdint.h>

#include "gfxin.h"
#include "shim.h"

/* The real functions, with generic types; NULL when SDL is not loaded.
 * ret, name, parameters, arguments. */
#define REAL_SDL(X) \
	X(int, SDL_Init, (uint32_t f), (f)) \
	X(int, SDL_InitSubSystem, (uint32_t f), (f)) \
	X(int, SDL_PollEvent, (void *e), (e)) \
	X(int, SDL_WaitEvent, (void *e), (e)) \
	X(int, SDL_WaitEventTimeout, (void *e, int t), (e, t)) \
	X(int, SDL_PeepEvents, (void *e, int n, int a, uint32_t lo, uint32_t hi), \
	    (e, n, a, lo, hi)) \
	X(void, SDL_PumpEvents, (void), ()) \
	X(int, SDL_HasEvent, (uint32_t t), (t)) \
	X(int, SDL_HasEvents, (uint32_t lo, uint32_t hi), (lo, hi)) \
	X(int, SDL_PushEvent, (void *e), (e)) \
	X(void, SDL_SetEventFilter, (void *f, void *u), (f, u)) \
	X(void *, SDL_GetEventFilter, (void *f, void *u), (f, u)) \
	X(const uint8_t *, SDL_GetKeyboardState, (int *n), (n)) \
	X(uint8_t *, SDL_GetKeyState, (int *n), (n)) \
	X(int, SDL_GetModState, (void), ()) \
	X(uint32_t, SDL_GetMouseState, (int *x, int *y), (x, y)) \
	X(uint32_t, SDL_GetRelativeMouseState, (int *x, int *y), (x, y)) \
	X(void *, SDL_GetKeyboardFocus, (void), ()) \
	X(void *, SDL_GetMouseFocus, (void), ()) \
	X(uint32_t, SDL_GetWindowID, (void *w), (w)) \
	X(int, SDL_IsTextInputActive, (void), ())

#define REAL_DECLARE(ret, name, params, args) \
	extern ret (*real_##name) params;
REAL_SDL(REAL_DECLARE)
#undef REAL_DECLARE

/* Look the SDL functions up, and say which SDL the game links (0: none).
 * From real_resolve, once; hooks called earlier resolve first. */
int sdl_resolve(void);
int sdl_version(void);

/* Per version: install the shim's event filter (after SDL_Init), take the
 * game's own filter, deliver one injected event, forget what injected
 * input holds (after a load), and the state functions. */
void sdl2_install(void);
void sdl2_set_filter(void *fn, void *ud);
int sdl2_get_filter(void **fn, void **ud);
void sdl2_deliver(const struct gfx_event *e);
void sdl2_clear(void);
const uint8_t *sdl2_keyboard_state(int *n);
int sdl2_mod_state(void);
uint32_t sdl2_mouse_state(int *x, int *y);
uint32_t sdl2_relative_mouse_state(int *x, int *y);

void sdl1_install(void);
void sdl1_set_filter(void *fn);
void *sdl1_get_filter(void);
void sdl1_deliver(const struct gfx_event *e);
void sdl1_clear(void);
uint8_t *sdl1_key_state(int *n);
int sdl1_mod_state(void);
uint32_t sdl1_mouse_state(int *x, int *y);
uint32_t sdl1_relative_mouse_state(int *x, int *y);

/* True while the shim itself calls into SDL on this thread: the hooks pass
 * straight through, the filter lets the event in. */
extern SHIM_TLS int sdl_busy;

#endif
