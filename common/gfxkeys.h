/* Key names for graphical games: what `key left` or `key C-S-a` means to an
 * SDL2 game (keycode, scancode, modifiers), an SDL 1.2 game (SDLKey) and an
 * X11 game (keysym). US keyboard layout. */
#ifndef GH_GFXKEYS_H
#define GH_GFXKEYS_H

#include <stddef.h>
#include <stdint.h>

/* SDL's modifier bits (the same in SDL2's SDL_Keymod and SDL 1.2's SDLMod). */
#define GK_MOD_LSHIFT 0x0001
#define GK_MOD_RSHIFT 0x0002
#define GK_MOD_LCTRL  0x0040
#define GK_MOD_RCTRL  0x0080
#define GK_MOD_LALT   0x0100
#define GK_MOD_RALT   0x0200
#define GK_MOD_LGUI   0x0400
#define GK_MOD_RGUI   0x0800
#define GK_MOD_CAPS   0x2000

struct gfx_key {
	int32_t sdl_key;      /* SDL2 SDL_Keycode */
	uint16_t scancode;    /* SDL2 SDL_Scancode (USB usage) */
	uint16_t sdl1_sym;    /* SDL 1.2 SDLKey, 0 when it has none */
	uint32_t x_keysym;    /* X11 KeySym, 0 when none */
	uint16_t mods;        /* modifiers held around the tap (GK_MOD_*) */
	uint32_t unicode;     /* the character it types with those modifiers, or 0 */
};

/* Resolve SPEC into *out: optional modifier prefixes (C- ctrl- S- shift-
 * A- alt- M- meta- G- gui- super-, any order), then a key: a character
 * (a, A, 7, !), one of the terminal key names (left, enter, f1...), an SDL
 * key name (Return, Escape, "Left Shift" written Left_Shift, Keypad_Enter;
 * case ignored), or sc:N, an SDL scancode by number. Returns 0, or -1 when
 * SPEC names no key. */
int gfx_key_lookup(const char *spec, struct gfx_key *out);

/* The modifier bit a key sets while held (a Shift, Ctrl, Alt or GUI key),
 * or 0. */
unsigned gfx_key_modbit(uint16_t scancode);

/* The key that holds modifier bit BIT down (GK_MOD_LSHIFT: Left Shift). */
void gfx_key_for_mod(unsigned bit, struct gfx_key *out);

/* The key typing the ASCII character C on a US keyboard (with shift for
 * 'A' or '!'); -1 when C is not typed by one key. */
int gfx_key_for_char(int c, struct gfx_key *out);

/* The SDL 1.2 modifier bit of a 1.2 SDLKey modifier key, or 0. */
unsigned gfx_key_sdl1_modbit(uint16_t sym);

#endif
