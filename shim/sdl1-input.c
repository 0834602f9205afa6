/* SDL 1.2's side of the SDL hooks (see sdlin.h): injected input becomes
 * SDL 1.2 events pushed with SDL_PushEvent; the wheel is buttons 4 and 5,
 * text is key presses carrying their unicode character (as SDL 1.2 gives
 * typed text with SDL_EnableUNICODE). The shim's filter, ahead of the
 * game's, drops the real keyboard and mouse while they are ignored and
 * follows them otherwise. Built against SDL 1.2's headers; not linked. */
#include <stdint.h>
#include <string.h>

#include <SDL/SDL.h>

#include "../common/gfxkeys.h"
#include "input.h"
#include "sdlin.h"
#include "shim.h"

static struct {
	Uint8 keys[SDLK_LAST];
	Uint16 mod;
	int x, y, relx, rely;
	Uint8 buttons;
	SDL_EventFilter game_filter;
} s1;

static int
is_input(Uint8 type)
{
	return type == SDL_KEYDOWN || type == SDL_KEYUP ||
	    type == SDL_MOUSEMOTION || type == SDL_MOUSEBUTTONDOWN ||
	    type == SDL_MOUSEBUTTONUP;
}

static void
track(const SDL_Event *e)
{
	switch (e->type) {
	case SDL_KEYDOWN:
	case SDL_KEYUP:
		if (e->key.keysym.sym > 0 && e->key.keysym.sym < SDLK_LAST)
			s1.keys[e->key.keysym.sym] = e->type == SDL_KEYDOWN;
		s1.mod = (Uint16)e->key.keysym.mod;
		break;
	case SDL_MOUSEMOTION:
		s1.x = e->motion.x;
		s1.y = e->motion.y;
		s1.relx += e->motion.xrel;
		s1.rely += e->motion.yrel;
		break;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		if (e->button.button >= 1 && e->button.button <= 8) {
			Uint8 bit = (Uint8)SDL_BUTTON(e->button.button);
			s1.buttons = e->type == SDL_MOUSEBUTTONDOWN ?
			    (Uint8)(s1.buttons | bit) : (Uint8)(s1.buttons & ~bit);
		}
		break;
	default:
		break;
	}
}

static int SDLCALL
shim_filter(const SDL_Event *e)
{
	if (!sdl_busy && is_input(e->type)) {
		if (shim_on() && input_ignore_real())
			return 0;
		track(e);
	}
	if (s1.game_filter != NULL)
		return s1.game_filter(e);
	return 1;
}

void
sdl1_install(void)
{
	SDL_EventFilter f = (SDL_EventFilter)real_SDL_GetEventFilter(NULL, NULL);

	if (f != NULL && f != shim_filter)
		s1.game_filter = f;
	real_SDL_SetEventFilter((void *)shim_filter, NULL);
}

void
sdl1_set_filter(void *fn)
{
	s1.game_filter = (SDL_EventFilter)fn;
}

void *
sdl1_get_filter(void)
{
	return (void *)s1.game_filter;
}

void
sdl1_clear(void)
{
	memset(s1.keys, 0, sizeof s1.keys);
	s1.mod = 0;
	s1.buttons = 0;
	s1.relx = s1.rely = 0;
}

static void
push(SDL_Event *e)
{
	track(e);
	real_SDL_PushEvent(e);
}

static void
key_event(int press, Uint16 sym, Uint16 unicode)
{
	SDL_Event e;
	unsigned bit = gfx_key_sdl1_modbit(sym);

	memset(&e, 0, sizeof e);
	Uint16 mod = s1.mod;
	if (bit)
		mod = press ? (Uint16)(mod | bit) : (Uint16)(mod & ~bit);
	if (sym == SDLK_CAPSLOCK && press)
		mod ^= KMOD_CAPS;
	e.type = press ? SDL_KEYDOWN : SDL_KEYUP;
	e.key.state = press ? SDL_PRESSED : SDL_RELEASED;
	e.key.keysym.sym = (SDLKey)sym;
	e.key.keysym.mod = (SDLMod)mod;
	e.key.keysym.unicode = press ? unicode : 0;
	push(&e);
}

static void
button_event(int down, int button, int x, int y)
{
	SDL_Event e;

	memset(&e, 0, sizeof e);
	e.type = down ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
	e.button.button = (Uint8)button;
	e.button.state = down ? SDL_PRESSED : SDL_RELEASED;
	e.button.x = (Uint16)x;
	e.button.y = (Uint16)y;
	push(&e);
}

/* The next code point of UTF-8 text at *p (advanced), or -1 at its end. */
static long
next_char(const unsigned char **p)
{
	const unsigned char *s = *p;
	long c;
	int more;

	if (*s == 0)
		return -1;
	if (*s < 0x80) {
		*p = s + 1;
		return *s;
	}
	if ((*s & 0xe0) == 0xc0) { c = *s & 0x1f; more = 1; }
	else if ((*s & 0xf0) == 0xe0) { c = *s & 0x0f; more = 2; }
	else if ((*s & 0xf8) == 0xf0) { c = *s & 0x07; more = 3; }
	else { *p = s + 1; return 0xfffd; }
	s++;
	while (more-- > 0) {
		if ((*s & 0xc0) != 0x80) {
			*p = s;
			return 0xfffd;
		}
		c = c << 6 | (*s++ & 0x3f);
	}
	*p = s;
	return c;
}

void
sdl1_deliver(const struct gfx_event *g)
{
	SDL_Event e;

	switch (g->kind) {
	case GFX_KEY_PRESS:
	case GFX_KEY_RELEASE:
		if (g->key.sdl1_sym != 0)
			key_event(g->kind == GFX_KEY_PRESS, g->key.sdl1_sym,
			    (Uint16)(g->key.unicode & 0xffff));
		break;
	case GFX_TEXT: {
		/* Each character a press carrying it and a release. Text is
		 * no key held: the keyboard state is left as it was. */
		const unsigned char *p = (const unsigned char *)g->text;
		long c;
		while ((c = next_char(&p)) >= 0) {
			struct gfx_key k;
			Uint16 sym = c < 128 && gfx_key_for_char((int)c, &k) == 0 ?
			    k.sdl1_sym : 0;
			Uint16 uc = c <= 0xffff ? (Uint16)c : 0xfffd;
			memset(&e, 0, sizeof e);
			e.type = SDL_KEYDOWN;
			e.key.state = SDL_PRESSED;
			e.key.keysym.sym = (SDLKey)sym;
			e.key.keysym.mod = (SDLMod)s1.mod;
			e.key.keysym.unicode = uc;
			real_SDL_PushEvent(&e);
			e.type = SDL_KEYUP;
			e.key.state = SDL_RELEASED;
			e.key.keysym.unicode = 0;
			real_SDL_PushEvent(&e);
		}
		break;
	}
	case GFX_MOTION:
		memset(&e, 0, sizeof e);
		e.type = SDL_MOUSEMOTION;
		e.motion.state = s1.buttons;
		e.motion.x = (Uint16)g->x;
		e.motion.y = (Uint16)g->y;
		e.motion.xrel = (Sint16)(g->x - s1.x);
		e.motion.yrel = (Sint16)(g->y - s1.y);
		push(&e);
		break;
	case GFX_BUTTON_DOWN:
	case GFX_BUTTON_UP:
		s1.x = g->x;
		s1.y = g->y;
		button_event(g->kind == GFX_BUTTON_DOWN, g->button, g->x, g->y);
		break;
	case GFX_WHEEL: {
		int b = g->wheel > 0 ? SDL_BUTTON_WHEELUP : SDL_BUTTON_WHEELDOWN;
		int n = g->wheel > 0 ? g->wheel : -g->wheel;
		for (int i = 0; i < n; i++) {
			button_event(1, b, s1.x, s1.y);
			button_event(0, b, s1.x, s1.y);
		}
		break;
	}
	default:
		break;
	}
}

uint8_t *
sdl1_key_state(int *n)
{
	if (n != NULL)
		*n = SDLK_LAST;
	return s1.keys;
}

int
sdl1_mod_state(void)
{
	return s1.mod;
}

uint32_t
sdl1_mouse_state(int *x, int *y)
{
	if (x != NULL)
		*x = s1.x;
	if (y != NULL)
		*y = s1.y;
	return s1.buttons;
}

uint32_t
sdl1_relative_mouse_state(int *x, int *y)
{
	if (x != NULL)
		*x = s1.relx;
	if (y != NULL)
		*y = s1.rely;
	s1.relx = s1.rely = 0;
	return s1.buttons;
}
