/* SDL2's side of the SDL hooks (see sdlin.h): injected input becomes SDL2
 * events pushed with SDL_PushEvent (so the game's filter and watchers see
 * them, and every way of reading the queue does), and the shim's filter,
 * ahead of the game's, drops the real keyboard and mouse while they are
 * ignored and follows them otherwise. The state functions answer from what
 * entered the queue. Built against SDL2's headers; not linked with it. */
#include <string.h>

#include <SDL2/SDL.h>

#include "../common/gfxkeys.h"
#include "input.h"
#include "sdlin.h"
#include "shim.h"

static struct {
	Uint8 keys[SDL_NUM_SCANCODES];
	Uint16 mod;
	int x, y, relx, rely;
	Uint32 buttons;
	Uint32 window;               /* the last window an event named */
	SDL_EventFilter game_filter;
	void *game_ud;
} s2;

static int
is_input(Uint32 type)
{
	switch (type) {
	case SDL_KEYDOWN: case SDL_KEYUP: case SDL_TEXTEDITING:
	case SDL_TEXTINPUT: case SDL_MOUSEMOTION: case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP: case SDL_MOUSEWHEEL:
		return 1;
	default:
		return 0;
	}
}

/* Follow an event entering the queue into the state the game reads. */
static void
track(const SDL_Event *e)
{
	switch (e->type) {
	case SDL_KEYDOWN:
	case SDL_KEYUP:
		if (e->key.keysym.scancode < SDL_NUM_SCANCODES)
			s2.keys[e->key.keysym.scancode] = e->type == SDL_KEYDOWN;
		s2.mod = e->key.keysym.mod;
		break;
	case SDL_MOUSEMOTION:
		s2.x = e->motion.x;
		s2.y = e->motion.y;
		s2.relx += e->motion.xrel;
		s2.rely += e->motion.yrel;
		break;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		if (e->button.button >= 1 && e->button.button <= 32) {
			Uint32 bit = SDL_BUTTON(e->button.button);
			s2.buttons = e->type == SDL_MOUSEBUTTONDOWN ?
			    s2.buttons | bit : s2.buttons & ~bit;
		}
		s2.x = e->button.x;
		s2.y = e->button.y;
		break;
	case SDL_WINDOWEVENT:
		if (e->window.windowID)
			s2.window = e->window.windowID;
		break;
	default:
		break;
	}
}

static int SDLCALL
shim_filter(void *ud, SDL_Event *e)
{
	if (!sdl_busy && is_input(e->type)) {
		if (shim_on() && input_ignore_real())
			return 0;
		track(e);
	}
	if (s2.game_filter != NULL)
		return s2.game_filter(s2.game_ud, e);
	return 1;
}

void
sdl2_install(void)
{
	SDL_EventFilter f = NULL;
	void *ud = NULL;

	if (real_SDL_GetEventFilter != NULL &&
	    (int)(intptr_t)real_SDL_GetEventFilter(&f, &ud) &&
	    (void *)f != (void *)shim_filter) {
		s2.game_filter = f;
		s2.game_ud = ud;
	}
	real_SDL_SetEventFilter((void *)shim_filter, NULL);
}

void
sdl2_set_filter(void *fn, void *ud)
{
	s2.game_filter = (SDL_EventFilter)fn;
	s2.game_ud = ud;
}

int
sdl2_get_filter(void **fn, void **ud)
{
	if (fn != NULL)
		*fn = (void *)s2.game_filter;
	if (ud != NULL)
		*ud = s2.game_ud;
	return s2.game_filter != NULL;
}

void
sdl2_clear(void)
{
	memset(s2.keys, 0, sizeof s2.keys);
	s2.mod = 0;
	s2.buttons = 0;
	s2.relx = s2.rely = 0;
}

/* The window input goes to: the one with the keyboard or the mouse, else
 * the last one an event named, else SDL's first. */
static Uint32
target_window(void)
{
	void *w = real_SDL_GetKeyboardFocus ? real_SDL_GetKeyboardFocus() : NULL;
	if (w == NULL && real_SDL_GetMouseFocus)
		w = real_SDL_GetMouseFocus();
	if (w != NULL && real_SDL_GetWindowID)
		return real_SDL_GetWindowID(w);
	return s2.window ? s2.window : 1;
}

/* Code point C as UTF-8 into OUT (at least 5 bytes), NUL-terminated. */
static void
utf8(uint32_t c, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (c < 0x80) {
		*o++ = (unsigned char)c;
	} else if (c < 0x800) {
		*o++ = (unsigned char)(0xc0 | c >> 6);
		*o++ = (unsigned char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (unsigned char)(0xe0 | c >> 12);
		*o++ = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (unsigned char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (unsigned char)(0xf0 | c >> 18);
		*o++ = (unsigned char)(0x80 | (c >> 12 & 0x3f));
		*o++ = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (unsigned char)(0x80 | (c & 0x3f));
	}
	*o = 0;
}

static void
push(SDL_Event *e)
{
	track(e);
	real_SDL_PushEvent(e);
}

void
sdl2_deliver(const struct gfx_event *g)
{
	SDL_Event e;
	Uint32 win = target_window();

	memset(&e, 0, sizeof e);
	switch (g->kind) {
	case GFX_KEY_PRESS:
	case GFX_KEY_RELEASE: {
		int press = g->kind == GFX_KEY_PRESS;
		unsigned bit = gfx_key_modbit(g->key.scancode);
		Uint16 mod = s2.mod;
		if (bit)
			mod = press ? (Uint16)(mod | bit) : (Uint16)(mod & ~bit);
		if (g->key.scancode == SDL_SCANCODE_CAPSLOCK && press)
			mod ^= KMOD_CAPS;
		e.type = press ? SDL_KEYDOWN : SDL_KEYUP;
		e.key.windowID = win;
		e.key.state = press ? SDL_PRESSED : SDL_RELEASED;
		e.key.keysym.scancode = (SDL_Scancode)g->key.scancode;
		e.key.keysym.sym = g->key.sdl_key;
		e.key.keysym.mod = mod;
		push(&e);
		/* A key that types a character gives its text too, as a
		 * keyboard does while text input is on (SDL's default). */
		if (press && g->key.unicode >= 32 && g->key.unicode != 127 &&
		    !(g->key.mods & ~(GK_MOD_LSHIFT | GK_MOD_RSHIFT)) &&
		    (real_SDL_IsTextInputActive == NULL ||
		    (real_SDL_IsTextInputActive() & 0xff))) {
			memset(&e, 0, sizeof e);
			e.type = SDL_TEXTINPUT;
			e.text.windowID = win;
			utf8(g->key.unicode, e.text.text);
			push(&e);
		}
		return;
	}
	case GFX_TEXT:
		e.type = SDL_TEXTINPUT;
		e.text.windowID = win;
		memcpy(e.text.text, g->text, sizeof e.text.text - 1);
		break;
	case GFX_MOTION:
		e.type = SDL_MOUSEMOTION;
		e.motion.windowID = win;
		e.motion.state = s2.buttons;
		e.motion.x = g->x;
		e.motion.y = g->y;
		e.motion.xrel = g->x - s2.x;
		e.motion.yrel = g->y - s2.y;
		break;
	case GFX_BUTTON_DOWN:
	case GFX_BUTTON_UP:
		e.type = g->kind == GFX_BUTTON_DOWN ? SDL_MOUSEBUTTONDOWN :
		    SDL_MOUSEBUTTONUP;
		e.button.windowID = win;
		e.button.button = (Uint8)g->button;
		e.button.state = g->kind == GFX_BUTTON_DOWN ? SDL_PRESSED :
		    SDL_RELEASED;
		e.button.clicks = 1;
		e.button.x = g->x;
		e.button.y = g->y;
		break;
	case GFX_WHEEL:
		e.type = SDL_MOUSEWHEEL;
		e.wheel.windowID = win;
		e.wheel.y = g->wheel;
		e.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
		e.wheel.preciseY = (float)g->wheel;
		break;
	default:
		return;
	}
	push(&e);
}

const uint8_t *
sdl2_keyboard_state(int *n)
{
	if (n != NULL)
		*n = SDL_NUM_SCANCODES;
	return s2.keys;
}

int
sdl2_mod_state(void)
{
	return s2.mod;
}

uint32_t
sdl2_mouse_state(int *x, int *y)
{
	if (x != NULL)
		*x = s2.x;
	if (y != NULL)
		*y = s2.y;
	return s2.buttons;
}

uint32_t
sdl2_relative_mouse_state(int *x, int *y)
{
	if (x != NULL)
		*x = s2.relx;
	if (y != NULL)
		*y = s2.rely;
	s2.relx = s2.rely = 0;
	return s2.buttons;
}
