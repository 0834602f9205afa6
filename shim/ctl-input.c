/* The input commands: `key`, `keydown`, `keyup`, `type`, `keyboard`. Keys
 * are queued for the frame they land on and noted for the trace. */
#include <stdio.h>
#include <string.h>

#include "../common/keys.h"
#include "../common/textproto.h"
#include "capture.h"
#include "ctl-client.h"
#include "frame.h"
#include "gfxin.h"
#include "input.h"
#include "replay.h"

/* Note an input for the trace: applied on frame F. */
void
cmd_note_input(int kind, int64_t f, const struct key_def *k, const char *name,
    const char *value)
{
	struct trace_input in = { .kind = kind };
	if (replay_active())
		return;   /* the frame thread notes what it replays */
	if (k != NULL) {
		in.code = k->code;
		in.seqlen = k->seqlen;
		memcpy(in.seq, k->seq, k->seqlen);
	}
	snprintf(in.name, sizeof in.name, "%s", name ? name : "");
	snprintf(in.value, sizeof in.value, "%s", value ? value : "");
	capture_note_input(f, &in);
}

/* The first frame a newly queued key may be delivered on. */
static int64_t
tap_frame(void)
{
	int64_t next = frame_current() + 1;
	return ctl.tap_next > next ? ctl.tap_next : next;
}

static int
parse_keys(struct client *c, int argc, char **argv, struct key_def *keys)
{
	for (int i = 1; i < argc; i++) {
		if (key_lookup(argv[i], &keys[i - 1]) != 0) {
			ctl_err(c, ERR_USAGE, "unknown key '%s' (names: a, A, 1, "
			    "left, right, up, down, enter, esc, space, tab, "
			    "backspace, f1-f12, C-x, ...)", argv[i]);
			return -1;
		}
	}
	return 0;
}

void
cmd_key(struct client *c, int argc, char **argv)
{
	struct key_def keys[TP_WORDS_MAX];

	if (gfxin_lib() != GFX_NONE) {
		gfx_cmd_key(c, argc, argv);
		return;
	}
	if (parse_keys(c, argc, argv, keys) != 0)
		return;
	if (input_space() < (size_t)(argc - 1)) {
		ctl_err(c, ERR_FULL, "input queue full (%d keys waiting)",
		    INPUT_RING - (int)input_space());
		return;
	}
	int64_t f = tap_frame();
	for (int i = 0; i < argc - 1; i++) {
		input_push(&keys[i], f + i);
		cmd_note_input(TI_KEY, f + i, &keys[i], argv[i + 1], NULL);
	}
	ctl.tap_next = f + argc - 1;
	ctl_ok(c, "%lld", (long long)f);
}

void
cmd_keydown(struct client *c, char **argv, int down)
{
	struct key_def k;

	if (gfxin_lib() != GFX_NONE) {
		gfx_cmd_keydown(c, argv, down);
		return;
	}
	if (parse_keys(c, 2, argv, &k) != 0)
		return;
	if (down && input_hold(&k) != 0) {
		ctl_err(c, ERR_FULL, "%d keys are held already", INPUT_HELD_MAX);
		return;
	}
	if (!down && input_release(&k) != 0) {
		ctl_err(c, ERR_STATE, "key '%s' is not held", argv[1]);
		return;
	}
	cmd_note_input(down ? TI_KEYDOWN : TI_KEYUP, frame_current() + 1, &k,
	    argv[1], NULL);
	ctl_ok(c, "%s", argv[1]);
}

void
cmd_type(struct client *c, const char *text)
{
	unsigned char buf[TP_LINE_MAX];
	size_t bad = 0;
	long n = tp_unescape(text, buf, sizeof buf, &bad);

	if (n < 0) {
		ctl_err(c, ERR_USAGE, "type: bad escape at offset %zu (use \\n "
		    "\\t \\r \\e \\\\ \\xHH)", bad);
		return;
	}
	if (gfxin_lib() != GFX_NONE) {
		gfx_cmd_type(c, buf, (size_t)n);
		return;
	}
	if (input_space() < (size_t)n) {
		ctl_err(c, ERR_FULL, "input queue full");
		return;
	}
	int64_t f = tap_frame();
	for (long i = 0; i < n; i++) {
		struct key_def k;
		char name[32];
		key_from_byte(buf[i], &k);
		input_push(&k, f);
		cmd_note_input(TI_KEY, f, &k, key_describe(k.code, name, sizeof name),
		    NULL);
	}
	ctl.tap_next = f + 1;
	ctl_ok(c, "%lld", (long long)f);
}

void
cmd_keyboard(struct client *c, char **argv)
{
	if (strcmp(argv[1], "real") == 0)
		input_set_ignore_real(0);
	else if (strcmp(argv[1], "ignore") == 0)
		input_set_ignore_real(1);
	else {
		ctl_err(c, ERR_USAGE, "keyboard: expected 'real' or 'ignore'");
		return;
	}
	ctl_ok(c, "%s", argv[1]);
}
