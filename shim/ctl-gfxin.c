/* The input commands for graphical games: `key`, `keydown`, `keyup` and
 * `type` when the game reads SDL's or Xlib's events, and `mouse`, `click`,
 * `wheel`. Each becomes events queued for the frames they land on (a tap:
 * pressed on its frame, released on the next) and noted for the trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/gfxkeys.h"
#include "capture.h"
#include "ctl-client.h"
#include "frame.h"
#include "gfxin.h"
#include "input.h"
#include "replay.h"

#define MOD_ORDER_N 4
static const unsigned mod_order[MOD_ORDER_N] = {
	GK_MOD_LCTRL, GK_MOD_LSHIFT, GK_MOD_LALT, GK_MOD_LGUI };

/* What the controller has pressed and where it put the pointer (control
 * thread only). */
static struct {
	int32_t x, y;
	unsigned buttons;                 /* bit b-1: button b held */
	uint16_t held[INPUT_HELD_MAX];    /* scancodes held by keydown */
	int nheld;
} gp;

/* Queue E and note it for the trace (the replayer notes its own). */
static void
put(struct gfx_event *e, const char *name)
{
	struct trace_input t;

	gfxin_push(e);
	if (replay_active())
		return;
	gfxin_to_trace(e, name, &t);
	capture_note_input(e->frame, &t);
}

/* The first frame a new event may land on: the next, or after the taps
 * queued already (the queue is in frame order). */
static int64_t
tap_frame(void)
{
	int64_t next = frame_current() + 1;
	return ctl.tap_next > next ? ctl.tap_next : next;
}

/* Queue a key's press (with its modifier keys first) or release (theirs
 * after) on frame F. */
static void
put_key(const struct gfx_key *k, const char *name, int press, int64_t f)
{
	struct gfx_event e = { .frame = f, .x = gp.x, .y = gp.y };
	struct gfx_key mk;

	if (press) {
		for (int i = 0; i < MOD_ORDER_N; i++)
			if (k->mods & mod_order[i]) {
				gfx_key_for_mod(mod_order[i], &mk);
				e.kind = GFX_KEY_PRESS;
				e.key = mk;
				put(&e, name);
			}
	}
	e.kind = press ? GFX_KEY_PRESS : GFX_KEY_RELEASE;
	e.key = *k;
	put(&e, name);
	if (!press) {
		for (int i = MOD_ORDER_N - 1; i >= 0; i--)
			if (k->mods & mod_order[i]) {
				gfx_key_for_mod(mod_order[i], &mk);
				e.kind = GFX_KEY_RELEASE;
				e.key = mk;
				put(&e, name);
			}
	}
}

static int
parse_gfx_keys(struct client *c, int n, char **names, struct gfx_key *keys)
{
	for (int i = 0; i < n; i++) {
		if (gfx_key_lookup(names[i], &keys[i]) != 0) {
			ctl_err(c, ERR_USAGE, "unknown key '%s' (names: a, A, 1, !, "
			    "left, enter, esc, space, f1-f12, lshift, SDL names as "
			    "Left_Shift or Keypad_Enter, sc:N for a scancode; "
			    "modifiers C- S- A- G-)", names[i]);
			return -1;
		}
	}
	return 0;
}

static int
room(struct client *c, size_t need)
{
	if (gfxin_space() < need) {
		ctl_err(c, ERR_FULL, "input queue full (%d events waiting)",
		    GFXIN_RING - (int)gfxin_space());
		return 0;
	}
	return 1;
}

void
gfx_cmd_key(struct client *c, int argc, char **argv)
{
	struct gfx_key keys[TP_WORDS_MAX];
	int n = argc - 1;

	if (parse_gfx_keys(c, n, argv + 1, keys) != 0 ||
	    !room(c, (size_t)n * (2 + 2 * MOD_ORDER_N)))
		return;
	int64_t f = tap_frame();
	for (int i = 0; i < n; i++) {
		put_key(&keys[i], argv[i + 1], 1, f + i);
		put_key(&keys[i], argv[i + 1], 0, f + i + 1);
	}
	ctl.tap_next = f + n;
	ctl_ok(c, "%lld", (long long)f);
}

void
gfx_cmd_keydown(struct client *c, char **argv, int down)
{
	struct gfx_key k;
	int at = -1;

	if (parse_gfx_keys(c, 1, argv + 1, &k) != 0 ||
	    !room(c, 1 + MOD_ORDER_N))
		return;
	for (int i = 0; i < gp.nheld; i++)
		if (gp.held[i] == k.scancode)
			at = i;
	if (down && at < 0 && gp.nheld == INPUT_HELD_MAX) {
		ctl_err(c, ERR_FULL, "%d keys are held already", INPUT_HELD_MAX);
		return;
	}
	if (!down && at < 0) {
		ctl_err(c, ERR_STATE, "key '%s' is not held", argv[1]);
		return;
	}
	if (down && at < 0)
		gp.held[gp.nheld++] = k.scancode;
	if (!down)
		gp.held[at] = gp.held[--gp.nheld];
	if (down && at >= 0) {
		ctl_ok(c, "%s", argv[1]);   /* held already */
		return;
	}
	put_key(&k, argv[1], down, tap_frame());
	ctl_ok(c, "%s", argv[1]);
}

void
gfx_cmd_type(struct client *c, const unsigned char *text, size_t n)
{
	struct gfx_event e = { .kind = GFX_TEXT };

	if (!room(c, n / (GFXIN_TEXT - 1) + 1))
		return;
	e.frame = tap_frame();
	for (size_t i = 0; i < n;) {
		/* Cut at a character's start, as SDL does. */
		size_t len = n - i < GFXIN_TEXT - 1 ? n - i : GFXIN_TEXT - 1;
		while (i + len < n && len > 0 && (text[i + len] & 0xc0) == 0x80)
			len--;
		if (len == 0)
			len = n - i < GFXIN_TEXT - 1 ? n - i : GFXIN_TEXT - 1;
		memcpy(e.text, text + i, len);
		e.text[len] = 0;
		put(&e, "type");
		i += len;
	}
	ctl.tap_next = e.frame + 1;
	ctl_ok(c, "%lld", (long long)e.frame);
}

/* A whole number in [lo, hi]; replies and returns -1 otherwise. */
static int
parse_int(struct client *c, const char *what, const char *s, long lo, long hi,
    int32_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end) {
		ctl_err(c, ERR_USAGE, "%s: expected a whole number, not '%s'", what, s);
		return -1;
	}
	if (v < lo || v > hi) {
		ctl_err(c, ERR_RANGE, "%s: %ld is out of range (%ld to %ld)", what,
		    v, lo, hi);
		return -1;
	}
	*out = (int32_t)v;
	return 0;
}

static int
parse_button(struct client *c, const char *s, int32_t *b)
{
	if (strcmp(s, "left") == 0)
		*b = 1;
	else if (strcmp(s, "middle") == 0)
		*b = 2;
	else if (strcmp(s, "right") == 0)
		*b = 3;
	else
		return parse_int(c, "button (1-8, left, middle, right)", s, 1, 8, b);
	return 0;
}

/* The game must read a mouse: SDL or Xlib. */
static int
has_mouse(struct client *c)
{
	if (gfxin_lib() != GFX_NONE)
		return 1;
	ctl_err(c, ERR_UNSUPPORTED, "this game reads no mouse: it uses neither "
	    "SDL nor Xlib");
	return 0;
}

static int
parse_xy(struct client *c, char **argv, int32_t *x, int32_t *y)
{
	return parse_int(c, "x", argv[0], -32768, 32767, x) == 0 &&
	    parse_int(c, "y", argv[1], -32768, 32767, y) == 0 ? 0 : -1;
}

void
gfx_cmd_mouse(struct client *c, int argc, char **argv)
{
	struct gfx_event e = { 0 };

	if (strcmp(argv[1], "move") == 0) {
		if (argc != 4) {
			ctl_err(c, ERR_USAGE, "mouse move X Y");
			return;
		}
		if (parse_xy(c, argv + 2, &e.x, &e.y) != 0 || !has_mouse(c) ||
		    !room(c, 1))
			return;
		e.kind = GFX_MOTION;
		gp.x = e.x;
		gp.y = e.y;
	} else if (strcmp(argv[1], "down") == 0 || strcmp(argv[1], "up") == 0) {
		int down = argv[1][0] == 'd';
		if (argc != 3) {
			ctl_err(c, ERR_USAGE, "mouse %s BUTTON (1-8, left, middle, "
			    "right)", argv[1]);
			return;
		}
		if (parse_button(c, argv[2], &e.button) != 0 || !has_mouse(c) ||
		    !room(c, 1))
			return;
		unsigned bit = 1u << (e.button - 1);
		if (!down && !(gp.buttons & bit)) {
			ctl_err(c, ERR_STATE, "button %d is not down", e.button);
			return;
		}
		gp.buttons = down ? gp.buttons | bit : gp.buttons & ~bit;
		e.kind = down ? GFX_BUTTON_DOWN : GFX_BUTTON_UP;
		e.x = gp.x;
		e.y = gp.y;
	} else {
		ctl_err(c, ERR_USAGE, "mouse: expected move X Y, down BUTTON or "
		    "up BUTTON, not '%s'", argv[1]);
		return;
	}
	e.frame = tap_frame();
	put(&e, "mouse");
	ctl_ok(c, "%lld", (long long)e.frame);
}

void
gfx_cmd_click(struct client *c, int argc, char **argv)
{
	struct gfx_event e = { .kind = GFX_MOTION };
	int32_t b = 1;

	if (parse_xy(c, argv + 1, &e.x, &e.y) != 0 ||
	    (argc > 3 && parse_button(c, argv[3], &b) != 0) || !has_mouse(c) ||
	    !room(c, 3))
		return;
	gp.x = e.x;
	gp.y = e.y;
	e.frame = tap_frame();
	put(&e, "click");
	e.button = b;
	e.kind = GFX_BUTTON_DOWN;
	put(&e, "click");
	e.kind = GFX_BUTTON_UP;
	e.frame++;
	put(&e, "click");
	ctl.tap_next = e.frame;
	ctl_ok(c, "%lld", (long long)e.frame - 1);
}

void
gfx_cmd_wheel(struct client *c, char **argv)
{
	struct gfx_event e = { .kind = GFX_WHEEL };

	if (parse_int(c, "wheel", argv[1], -100, 100, &e.wheel) != 0)
		return;
	if (e.wheel == 0) {
		ctl_err(c, ERR_RANGE, "wheel: 0 clicks turn nothing (-100 to 100, "
		    "positive away from the user)");
		return;
	}
	if (!has_mouse(c) || !room(c, 1))
		return;
	e.x = gp.x;
	e.y = gp.y;
	e.frame = tap_frame();
	put(&e, "wheel");
	ctl_ok(c, "%lld", (long long)e.frame);
}

void
gfx_cmd_loaded(void)
{
	gp.buttons = 0;
	gp.nheld = 0;
}
