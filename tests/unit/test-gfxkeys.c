/* Proves the key names for graphical games (common/gfxkeys.h): each name
 * resolves to the SDL2 keycode and scancode, the SDL 1.2 SDLKey and the X11
 * keysym of the same key (checked against SDL's and X's own numbers);
 * characters that need shift on a US keyboard carry it; modifier prefixes
 * in every spelling combine; SDL's key names (spaces as underscores) and
 * scancodes by number resolve; modifier keys know their bit; a control
 * letter types its control character; unknown names are refused. */
#include <string.h>

#include "gfxkeys.h"
#include "unit.h"

/* Resolve NAME, failing the case when it does not. */
static int
get(const char *name, struct gfx_key *k)
{
	memset(k, 0xee, sizeof *k);
	if (!CHECK_EQ_INT(gfx_key_lookup(name, k), 0)) {
		FAIL("gfx_key_lookup(\"%s\") failed", name);
		return 0;
	}
	return 1;
}

static void
letters_digits_punctuation(void)
{
	struct gfx_key k;

	if (get("a", &k)) {
		CHECK_EQ_INT(k.sdl_key, 'a');        /* SDLK_a */
		CHECK_EQ_INT(k.scancode, 4);         /* SDL_SCANCODE_A */
		CHECK_EQ_INT(k.sdl1_sym, 'a');
		CHECK_EQ_INT(k.x_keysym, 0x61);      /* XK_a */
		CHECK_EQ_INT(k.mods, 0);
		CHECK_EQ_INT(k.unicode, 'a');
	}
	if (get("z", &k))
		CHECK_EQ_INT(k.scancode, 29);
	if (get("1", &k))
		CHECK_EQ_INT(k.scancode, 30);
	if (get("0", &k))
		CHECK_EQ_INT(k.scancode, 39);
	if (get("/", &k))
		CHECK_EQ_INT(k.scancode, 56);        /* SDL_SCANCODE_SLASH */
	if (get("-", &k))
		CHECK_EQ_INT(k.scancode, 45);
}

static void
shifted_characters_carry_shift(void)
{
	struct gfx_key k;

	if (get("A", &k)) {
		CHECK_EQ_INT(k.sdl_key, 'a');
		CHECK_EQ_INT(k.scancode, 4);
		CHECK_EQ_INT(k.mods, GK_MOD_LSHIFT);
		CHECK_EQ_INT(k.unicode, 'A');
	}
	if (get("!", &k)) {
		CHECK_EQ_INT(k.scancode, 30);        /* the 1 key */
		CHECK_EQ_INT(k.mods, GK_MOD_LSHIFT);
		CHECK_EQ_INT(k.unicode, '!');
	}
	if (get("?", &k))
		CHECK_EQ_INT(k.scancode, 56);
}

static void
special_keys_in_every_library(void)
{
	struct gfx_key k;

	if (get("left", &k)) {
		CHECK_EQ_INT(k.sdl_key, 0x40000050); /* SDLK_LEFT */
		CHECK_EQ_INT(k.scancode, 80);
		CHECK_EQ_INT(k.sdl1_sym, 276);       /* 1.2 SDLK_LEFT */
		CHECK_EQ_INT(k.x_keysym, 0xff51);    /* XK_Left */
	}
	if (get("enter", &k)) {
		CHECK_EQ_INT(k.sdl_key, 13);
		CHECK_EQ_INT(k.scancode, 40);
		CHECK_EQ_INT(k.x_keysym, 0xff0d);
	}
	if (get("f12", &k)) {
		CHECK_EQ_INT(k.scancode, 69);
		CHECK_EQ_INT(k.sdl1_sym, 293);
		CHECK_EQ_INT(k.x_keysym, 0xffc9);
	}
	if (get("space", &k))
		CHECK_EQ_INT(k.scancode, 44);
	CHECK_NE_INT(gfx_key_lookup("f13", &k), 0);
	CHECK_NE_INT(gfx_key_lookup("f0", &k), 0);
}

static void
sdl_names_and_scancodes(void)
{
	struct gfx_key k, l;

	if (get("Return", &k))
		CHECK_EQ_INT(k.scancode, 40);
	if (get("Left_Shift", &k)) {
		CHECK_EQ_INT(k.scancode, 225);
		CHECK_EQ_INT(k.sdl1_sym, 304);
		CHECK_EQ_INT(k.x_keysym, 0xffe1);
	}
	if (get("Keypad Enter", &k))
		CHECK_EQ_INT(k.scancode, 88);
	if (get("PageDown", &k))
		CHECK_EQ_INT(k.scancode, 78);
	if (get("sc:4", &k) && get("a", &l))
		CHECK(memcmp(&k, &l, sizeof k) == 0);
	if (get("sc:79", &k))
		CHECK_EQ_INT(k.x_keysym, 0xff53);    /* Right */
	if (get("sc:300", &k)) {                 /* a scancode with no name */
		CHECK_EQ_INT(k.scancode, 300);
		CHECK_EQ_INT(k.sdl_key, 0x40000000 | 300);
	}
	CHECK_NE_INT(gfx_key_lookup("sc:0", &k), 0);
	CHECK_NE_INT(gfx_key_lookup("sc:512", &k), 0);
	CHECK_NE_INT(gfx_key_lookup("sc:x", &k), 0);
}

static void
modifier_prefixes_combine(void)
{
	struct gfx_key k;

	if (get("C-S-b", &k)) {
		CHECK_EQ_INT(k.scancode, 5);
		CHECK_EQ_INT(k.mods, GK_MOD_LCTRL | GK_MOD_LSHIFT);
		CHECK_EQ_INT(k.unicode, 2);          /* ^B */
	}
	if (get("ctrl-alt-left", &k)) {
		CHECK_EQ_INT(k.scancode, 80);
		CHECK_EQ_INT(k.mods, GK_MOD_LCTRL | GK_MOD_LALT);
	}
	if (get("^c", &k))
		CHECK_EQ_INT(k.mods, GK_MOD_LCTRL);
	if (get("C--", &k)) {                    /* ctrl and minus */
		CHECK_EQ_INT(k.scancode, 45);
		CHECK_EQ_INT(k.mods, GK_MOD_LCTRL);
	}
	if (get("super-a", &k))
		CHECK_EQ_INT(k.mods, GK_MOD_LGUI);
	if (get("M-x", &k))
		CHECK_EQ_INT(k.mods, GK_MOD_LALT);
	if (get("S", &k))                        /* a letter, no prefix */
		CHECK_EQ_INT(k.mods, GK_MOD_LSHIFT);
}

static void
modifier_keys_know_their_bits(void)
{
	struct gfx_key k;

	CHECK_EQ_INT(gfx_key_modbit(225), GK_MOD_LSHIFT);
	CHECK_EQ_INT(gfx_key_modbit(228), GK_MOD_RCTRL);
	CHECK_EQ_INT(gfx_key_modbit(4), 0);
	gfx_key_for_mod(GK_MOD_LALT, &k);
	CHECK_EQ_INT(k.scancode, 226);
	CHECK_EQ_INT(k.x_keysym, 0xffe9);
	CHECK_EQ_INT(gfx_key_sdl1_modbit(304), GK_MOD_LSHIFT);
	CHECK_EQ_INT(gfx_key_sdl1_modbit(97), 0);
}

static void
unknown_names_are_refused(void)
{
	struct gfx_key k;
	const char *bad[] = { "", "nosuchkey", "C-", "ctrl-", "Left Shiftt",
		"é", "f1x", "C-nosuch" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!CHECK_NE_INT(gfx_key_lookup(bad[i], &k), 0))
			FAIL("\"%s\" was accepted", bad[i]);
}

static const struct unit_case cases[] = {
	UNIT_CASE(letters_digits_punctuation),
	UNIT_CASE(shifted_characters_carry_shift),
	UNIT_CASE(special_keys_in_every_library),
	UNIT_CASE(sdl_names_and_scancodes),
	UNIT_CASE(modifier_prefixes_combine),
	UNIT_CASE(modifier_keys_know_their_bits),
	UNIT_CASE(unknown_names_are_refused),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
