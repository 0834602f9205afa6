/* Injected input for graphical games: key presses and releases, mouse
 * motion, buttons, wheel and text, queued by the control thread for given
 * frames and handed to the game through SDL's event queue
 * (hook-sdl-input.c) or Xlib's (hook-xlib-input.c). One producer (the
 * control thread, or the frame thread replaying), one consumer (the thread
 * reading the game's events); lock-free. */
#ifndef GH_GFXIN_H
#define GH_GFXIN_H

#include <stddef.h>
#include <stdint.h>

#include "../common/gfxkeys.h"
#include "../common/trace.h"

#define GFXIN_RING 4096
#define GFXIN_TEXT 32         /* SDL2's SDL_TEXTINPUTEVENT_TEXT_SIZE */

enum gfx_kind {
	GFX_KEY_PRESS = 1,
	GFX_KEY_RELEASE,
	GFX_MOTION,               /* pointer to x, y (window coordinates) */
	GFX_BUTTON_DOWN,          /* button 1 left, 2 middle, 3 right, ... */
	GFX_BUTTON_UP,
	GFX_WHEEL,                /* wheel clicks, positive away from the user */
	GFX_TEXT,                 /* text input, UTF-8 */
};

struct gfx_event {
	int64_t frame;
	int kind;                 /* enum gfx_kind */
	struct gfx_key key;       /* presses and releases */
	int32_t x, y;             /* where the pointer is (every mouse event) */
	int32_t button, wheel;
	char text[GFXIN_TEXT];    /* NUL-terminated */
};

/* Which library the game takes its events from: decided once at start-up
 * by what it links. */
enum gfx_lib { GFX_NONE, GFX_SDL1, GFX_SDL2, GFX_X11 };
enum gfx_lib gfxin_lib(void);
/* hook-sdl-input.c and hook-xlib-input.c say what they found. */
void gfxin_set_lib(enum gfx_lib lib);
const char *gfxin_lib_name(void);

/* Look up Xlib's event functions and say whether the game reads its
 * events from Xlib itself, not through SDL (hook-xlib-input.c; from
 * real_resolve, after sdl_resolve). */
void x11_resolve(void);

/* --- producer --- */

/* Queue E (its frame set). Returns 0, or -1 when the queue is full. */
int gfxin_push(const struct gfx_event *e);
size_t gfxin_space(void);

/* --- frame thread --- */

/* A snapshot was loaded: drop what is queued (input_reset calls it). */
void gfxin_reset(void);
/* Generation, bumped by every reset: the consumers release what they hold. */
unsigned gfxin_generation(void);

/* --- consumer --- */

/* Take the next event due now (its frame reached) into *e: 1, or 0. */
int gfxin_take(struct gfx_event *e);

/* --- traces --- */

void gfxin_to_trace(const struct gfx_event *e, const char *name,
    struct trace_input *t);
/* Returns 0, or -1 when T is no graphical input. */
int gfxin_from_trace(const struct trace_input *t, int64_t frame,
    struct gfx_event *e);

#endif
