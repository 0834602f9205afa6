/* Key names for graphical games (see gfxkeys.h): one table of the keys a US
 * keyboard has, by every name they go by. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gfxkeys.h"

#define SK(sc) ((int32_t)((sc) | 0x40000000))

struct named {
	const char *names;    /* normalized names, '|' between them */
	int32_t key;
	uint16_t sc, sym1;
	uint32_t keysym, ch;
};

static const struct named table[] = {
	{ "enter|return", 13, 40, 13, 0xff0d, '\r' },
	{ "esc|escape", 27, 41, 27, 0xff1b, 27 },
	{ "backspace", 8, 42, 8, 0xff08, 8 },
	{ "tab", 9, 43, 9, 0xff09, '\t' },
	{ "space", ' ', 44, ' ', ' ', ' ' },
	{ "delete|del", 127, 76, 127, 0xffff, 127 },
	{ "capslock", SK(57), 57, 301, 0xffe5, 0 },
	{ "printscreen|print", SK(70), 70, 316, 0xff61, 0 },
	{ "scrolllock", SK(71), 71, 302, 0xff14, 0 },
	{ "pause", SK(72), 72, 19, 0xff13, 0 },
	{ "insert|ins", SK(73), 73, 277, 0xff63, 0 },
	{ "home", SK(74), 74, 278, 0xff50, 0 },
	{ "pgup|pageup", SK(75), 75, 280, 0xff55, 0 },
	{ "end", SK(77), 77, 279, 0xff57, 0 },
	{ "pgdn|pagedown", SK(78), 78, 281, 0xff56, 0 },
	{ "right", SK(79), 79, 275, 0xff53, 0 },
	{ "left", SK(80), 80, 276, 0xff51, 0 },
	{ "down", SK(81), 81, 274, 0xff54, 0 },
	{ "up", SK(82), 82, 273, 0xff52, 0 },
	{ "numlock|numlockclear", SK(83), 83, 300, 0xff7f, 0 },
	{ "keypad_/|kp_divide", SK(84), 84, 267, 0xffaf, '/' },
	{ "keypad_*|kp_multiply", SK(85), 85, 268, 0xffaa, '*' },
	{ "keypad_-|kp_minus", SK(86), 86, 269, 0xffad, '-' },
	{ "keypad_+|kp_plus", SK(87), 87, 270, 0xffab, '+' },
	{ "keypad_enter|kp_enter", SK(88), 88, 271, 0xff8d, '\r' },
	{ "keypad_1|kp_1|kp1", SK(89), 89, 257, 0xffb1, '1' },
	{ "keypad_2|kp_2|kp2", SK(90), 90, 258, 0xffb2, '2' },
	{ "keypad_3|kp_3|kp3", SK(91), 91, 259, 0xffb3, '3' },
	{ "keypad_4|kp_4|kp4", SK(92), 92, 260, 0xffb4, '4' },
	{ "keypad_5|kp_5|kp5", SK(93), 93, 261, 0xffb5, '5' },
	{ "keypad_6|kp_6|kp6", SK(94), 94, 262, 0xffb6, '6' },
	{ "keypad_7|kp_7|kp7", SK(95), 95, 263, 0xffb7, '7' },
	{ "keypad_8|kp_8|kp8", SK(96), 96, 264, 0xffb8, '8' },
	{ "keypad_9|kp_9|kp9", SK(97), 97, 265, 0xffb9, '9' },
	{ "keypad_0|kp_0|kp0", SK(98), 98, 256, 0xffb0, '0' },
	{ "keypad_.|kp_period", SK(99), 99, 266, 0xffae, '.' },
	{ "lctrl|left_ctrl|ctrl", SK(224), 224, 306, 0xffe3, 0 },
	{ "lshift|left_shift|shift", SK(225), 225, 304, 0xffe1, 0 },
	{ "lalt|left_alt|alt", SK(226), 226, 308, 0xffe9, 0 },
	{ "lgui|left_gui|gui|super|lsuper", SK(227), 227, 311, 0xffeb, 0 },
	{ "rctrl|right_ctrl", SK(228), 228, 305, 0xffe4, 0 },
	{ "rshift|right_shift", SK(229), 229, 303, 0xffe2, 0 },
	{ "ralt|right_alt", SK(230), 230, 307, 0xffea, 0 },
	{ "rgui|right_gui|rsuper", SK(231), 231, 312, 0xffec, 0 },
};

/* Scancodes of the unshifted punctuation keys, and what shift makes them. */
static const char punct[] = "-=[]\\;'`,./";
static const uint16_t punct_sc[] = {
	45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56 };
static const char shifted[] = "!@#$%^&*()_+{}|:\"~<>?";
static const char unshifted[] = "1234567890-=[]\\;'`,./";

static const struct {
	const char *prefix;
	unsigned mod;
} mod_prefixes[] = {
	{ "c-", GK_MOD_LCTRL }, { "ctrl-", GK_MOD_LCTRL },
	{ "s-", GK_MOD_LSHIFT }, { "shift-", GK_MOD_LSHIFT },
	{ "a-", GK_MOD_LALT }, { "alt-", GK_MOD_LALT },
	{ "m-", GK_MOD_LALT }, { "meta-", GK_MOD_LALT },
	{ "g-", GK_MOD_LGUI }, { "gui-", GK_MOD_LGUI },
	{ "super-", GK_MOD_LGUI },
};

static const struct {
	unsigned bit;
	uint16_t sc;
} mod_keys[] = {
	{ GK_MOD_LCTRL, 224 }, { GK_MOD_LSHIFT, 225 }, { GK_MOD_LALT, 226 },
	{ GK_MOD_LGUI, 227 }, { GK_MOD_RCTRL, 228 }, { GK_MOD_RSHIFT, 229 },
	{ GK_MOD_RALT, 230 }, { GK_MOD_RGUI, 231 },
};

static void
from_named(const struct named *n, struct gfx_key *out)
{
	memset(out, 0, sizeof *out);
	out->sdl_key = n->key;
	out->scancode = n->sc;
	out->sdl1_sym = n->sym1;
	out->x_keysym = n->keysym;
	out->unicode = n->ch;
}

/* An unshifted character key (a, 7, -). */
static int
plain_char(int c, struct gfx_key *out)
{
	const char *p;

	memset(out, 0, sizeof *out);
	if (c >= 'a' && c <= 'z')
		out->scancode = (uint16_t)(4 + c - 'a');
	else if (c >= '1' && c <= '9')
		out->scancode = (uint16_t)(30 + c - '1');
	else if (c == '0')
		out->scancode = 39;
	else if (c != 0 && (p = strchr(punct, c)) != NULL)
		out->scancode = punct_sc[p - punct];
	else
		return -1;
	out->sdl_key = c;
	out->sdl1_sym = (uint16_t)c;
	out->x_keysym = (uint32_t)c;
	out->unicode = (uint32_t)c;
	return 0;
}

int
gfx_key_for_char(int c, struct gfx_key *out)
{
	const char *p;

	if (c == ' ')
		return gfx_key_lookup("space", out);
	if (c == '\t')
		return gfx_key_lookup("tab", out);
	if (c == '\r' || c == '\n')
		return gfx_key_lookup("enter", out);
	if (c >= 'A' && c <= 'Z') {
		plain_char(c - 'A' + 'a', out);
		out->mods = GK_MOD_LSHIFT;
		out->unicode = (uint32_t)c;
		return 0;
	}
	if (c != 0 && (p = strchr(shifted, c)) != NULL) {
		plain_char(unshifted[p - shifted], out);
		out->mods = GK_MOD_LSHIFT;
		out->unicode = (uint32_t)c;
		return 0;
	}
	return plain_char(c, out);
}

/* Find NAME (normalized) in the table's name lists. */
static const struct named *
find_named(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const char *s = table[i].names;
		while (*s) {
			const char *e = strchr(s, '|');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			if (len == n && memcmp(s, name, n) == 0)
				return &table[i];
			s += len + (e != NULL);
		}
	}
	return NULL;
}

int
gfx_key_lookup(const char *spec, struct gfx_key *out)
{
	char norm[64];
	unsigned mods = 0;
	size_t n = strlen(spec);

	if (n == 0 || n >= sizeof norm)
		return -1;
	for (;;) {
		int found = 0;
		if (n == 2 && spec[0] == '^' && spec[1] != '^') {
			mods |= GK_MOD_LCTRL;
			spec++;
			n--;
			continue;
		}
		for (size_t i = 0; i < sizeof mod_prefixes / sizeof mod_prefixes[0]; i++) {
			size_t pl = strlen(mod_prefixes[i].prefix);
			if (n > pl && strncasecmp(spec, mod_prefixes[i].prefix, pl) == 0) {
				mods |= mod_prefixes[i].mod;
				spec += pl;
				n -= pl;
				found = 1;
				break;
			}
		}
		if (!found)
			break;
	}
	if (n == 1) {
		if (gfx_key_for_char((unsigned char)spec[0], out) != 0)
			return -1;
	} else if (strncasecmp(spec, "sc:", 3) == 0) {
		char *end;
		long sc = strtol(spec + 3, &end, 10);
		if (end == spec + 3 || *end || sc <= 0 || sc >= 512)
			return -1;
		memset(out, 0, sizeof *out);
		for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
			if (table[i].sc == sc)
				from_named(&table[i], out);
		for (int c = 33; c < 127 && out->scancode == 0; c++) {
			struct gfx_key k;
			if (plain_char(c, &k) == 0 && k.scancode == sc)
				*out = k;
		}
		if (out->scancode == 0) {
			out->scancode = (uint16_t)sc;
			out->sdl_key = SK(sc);
		}
	} else {
		for (size_t i = 0; i < n; i++)
			norm[i] = spec[i] == ' ' ? '_' : (char)tolower((unsigned char)spec[i]);
		norm[n] = 0;
		const struct named *k = find_named(norm);
		if (k != NULL)
			from_named(k, out);
		else if (norm[0] == 'f' && isdigit((unsigned char)norm[1]) &&
		    atoi(norm + 1) >= 1 && atoi(norm + 1) <= 12 &&
		    strspn(norm + 1, "0123456789") == n - 1) {
			int i = atoi(norm + 1) - 1;
			memset(out, 0, sizeof *out);
			out->scancode = (uint16_t)(58 + i);
			out->sdl_key = SK(58 + i);
			out->sdl1_sym = (uint16_t)(282 + i);
			out->x_keysym = 0xffbeu + (uint32_t)i;
		} else {
			return -1;
		}
	}
	out->mods |= (uint16_t)mods;
	if ((out->mods & GK_MOD_LCTRL) && out->unicode >= 'a' && out->unicode <= 'z')
		out->unicode &= 0x1f;
	return 0;
}

unsigned
gfx_key_modbit(uint16_t scancode)
{
	for (size_t i = 0; i < sizeof mod_keys / sizeof mod_keys[0]; i++)
		if (mod_keys[i].sc == scancode)
			return mod_keys[i].bit;
	return 0;
}

void
gfx_key_for_mod(unsigned bit, struct gfx_key *out)
{
	for (size_t i = 0; i < sizeof mod_keys / sizeof mod_keys[0]; i++)
		if (mod_keys[i].bit == bit)
			for (size_t j = 0; j < sizeof table / sizeof table[0]; j++)
				if (table[j].sc == mod_keys[i].sc)
					from_named(&table[j], out);
}

unsigned
gfx_key_sdl1_modbit(uint16_t sym)
{
	switch (sym) {
	case 304: return GK_MOD_LSHIFT;
	case 303: return GK_MOD_RSHIFT;
	case 306: return GK_MOD_LCTRL;
	case 305: return GK_MOD_RCTRL;
	case 308: return GK_MOD_LALT;
	case 307: return GK_MOD_RALT;
	case 310: return GK_MOD_LGUI;   /* KMOD_LMETA */
	case 309: return GK_MOD_RGUI;   /* KMOD_RMETA */
	default: return 0;
	}
}
