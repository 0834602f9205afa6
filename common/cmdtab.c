/* The control protocol's command table (see cmdtab.h). */
#include <string.h>

#include "cmdtab.h"

const struct cmd_entry cmd_table[CMD_COUNT] = {
	[CMD_HELLO] = {
		.id = CMD_HELLO, .name = "hello", .args = "",
		.min_args = 0, .max_args = 0,
		.help = "protocol version, pid, executable, build id, mode, "
		    "frame (JSON)",
	},
	[CMD_INFO] = {
		.id = CMD_INFO, .name = "info", .args = "",
		.min_args = 0, .max_args = 0,
		.help = "hello plus speed, clients, virtual time, keyboard, "
		    "frame rule (JSON)",
	},
	[CMD_HELP] = {
		.id = CMD_HELP, .name = "help", .args = "",
		.min_args = 0, .max_args = 0,
		.help = "list the commands",
	},
	[CMD_PAUSE] = {
		.id = CMD_PAUSE, .name = "pause", .args = "",
		.min_args = 0, .max_args = 0,
		.help = "stop at the next frame boundary; replies with the frame "
		    "once stopped",
	},
	[CMD_RESUME] = {
		.id = CMD_RESUME, .name = "resume", .args = "",
		.min_args = 0, .max_args = 0,
		.help = "run freely again",
	},
	[CMD_STEP] = {
		.id = CMD_STEP, .name = "step", .args = "[N]",
		.min_args = 0, .max_args = 1,
		.help = "run N frames (default 1); replies with the frame number "
		    "when done",
	},
	[CMD_SPEED] = {
		.id = CMD_SPEED, .name = "speed", .args = "X|max",
		.min_args = 1, .max_args = 1,
		.help = "set the virtual-time rate: a factor (0.5, 8) or max",
	},
	[CMD_KEY] = {
		.id = CMD_KEY, .name = "key", .args = "NAME...",
		.min_args = 1, .max_args = 64,
		.flags = CMD_INPUT,
		.help = "tap keys, one per frame from the next frame on",
	},
	[CMD_KEYDOWN] = {
		.id = CMD_KEYDOWN, .name = "keydown", .args = "NAME",
		.min_args = 1, .max_args = 1,
		.flags = CMD_INPUT,
		.help = "hold a key: it is delivered every frame until keyup",
	},
	[CMD_KEYUP] = {
		.id = CMD_KEYUP, .name = "keyup", .args = "NAME",
		.min_args = 1, .max_args = 1,
		.flags = CMD_INPUT,
		.help = "release a held key",
	},
	[CMD_TYPE] = {
		.id = CMD_TYPE, .name = "type", .args = "TEXT",
		.min_args = 1, .max_args = 1,
		.flags = CMD_REST_OF_LINE | CMD_INPUT,
		.help = "deliver TEXT (rest of the line, \\n \\t \\e \\\\ \\xHH "
		    "escapes) on the next frame",
	},
	[CMD_KEYBOARD] = {
		.id = CMD_KEYBOARD, .name = "keyboard", .args = "real|ignore",
		.min_args = 1, .max_args = 1,
		.help = "let the real keyboard through, or ignore it (the "
		    "default in lockstep)",
	},
	[CMD_SCREEN] = {
		.id = CMD_SCREEN, .name = "screen", .args = "[--attrs]",
		.min_args = 0, .max_args = 1,
		.help = "the terminal screen as the game drew it (JSON array of "
		    "rows); --attrs: an object with the cursor, and each row's "
		    "colours and attributes as runs",
	},
	[CMD_QUIT] = {
		.id = CMD_QUIT, .name = "quit", .args = "",
		.min_args = 0, .max_args = 0,
		.flags = CMD_WHEN_DETACHED,
		.help = "close this connection",
	},
	[CMD_DETACH] = {
		.id = CMD_DETACH, .name = "detach", .args = "",
		.min_args = 0, .max_args = 0,
		.help = "go passive: the game runs on untouched at real speed",
	},
	[CMD_AUTH] = {
		.id = CMD_AUTH, .name = "auth", .args = "TOKEN",
		.min_args = 1, .max_args = 1,
		.flags = CMD_NO_AUTH,
		.help = "authenticate a TCP connection (HOOK_LISTEN) with "
		    "HOOK_TOKEN",
	},
	[CMD_GET] = {
		.id = CMD_GET, .name = "get", .args = "[FIELD...]",
		.min_args = 0, .max_args = 64,
		.help = "current values as JSON: the whole state, or the fields named "
		    "(hero.hp, entities[3].x, entities.x)",
	},
	[CMD_SET] = {
		.id = CMD_SET, .name = "set", .args = "FIELD VALUE",
		.min_args = 1, .max_args = 1,
		.flags = CMD_REST_OF_LINE | CMD_INPUT,
		.help = "write one value at the frame boundary (a number, true/false, "
		    "text for strings, hex for byte blocks)",
	},
	[CMD_WATCH] = {
		.id = CMD_WATCH, .name = "watch", .args = "[FIELD...]",
		.min_args = 0, .max_args = 64,
		.flags = CMD_TEXT_ONLY | CMD_STREAMS,
		.help = "stream one JSON line a frame, {\"frame\":N,...}, until the "
		    "connection closes",
	},
	[CMD_TRACE] = {
		.id = CMD_TRACE, .name = "trace",
		.args = "start PATH [--screen] [--pixels[=WxH[,gray]]]|stop",
		.min_args = 1, .max_args = 4,
		.help = "record a trace from the next frame (a path, a FIFO or fd:N; "
		    "--screen: with the screen's changed rows; --pixels: with the "
		    "presented picture, scaled and gray when asked), or stop "
		    "recording",
	},
	[CMD_SAVE] = {
		.id = CMD_SAVE, .name = "save", .args = "NAME",
		.min_args = 1, .max_args = 1,
		.help = "keep the whole game as it is at this frame boundary, in "
		    "memory",
	},
	[CMD_LOAD] = {
		.id = CMD_LOAD, .name = "load", .args = "NAME",
		.min_args = 1, .max_args = 1,
		.help = "bring back the game as it was saved; it stops there",
	},
	[CMD_RESET] = {
		.id = CMD_RESET, .name = "reset", .args = "",
		.min_args = 0, .max_args = 0,
		.help = "load @start: the first frame boundary (lockstep), or what "
		    "`save @start` kept",
	},
	[CMD_DROP] = {
		.id = CMD_DROP, .name = "drop", .args = "NAME",
		.min_args = 1, .max_args = 1,
		.help = "forget a snapshot (its memory goes once no later snapshot "
		    "stands on it)",
	},
	[CMD_SCREENSHOT] = {
		.id = CMD_SCREENSHOT, .name = "screenshot",
		.args = "PATH [--size WxH] [--gray]",
		.min_args = 0, .max_args = 4,
		.help = "the picture a graphical game presented, read at the frame "
		    "boundary, as a PNG file at PATH (the shim writes it), "
		    "downscaled and in grayscale when asked; answers its frame, "
		    "width and height. Binary clients leave PATH out and get the "
		    "pixels in the Response",
	},
	[CMD_SCAN] = {
		.id = CMD_SCAN, .name = "scan",
		.args = "start TYPE [V]|OP [V]|list [N]|layout I [NAME]|info|stop",
		.min_args = 1, .max_args = 7,
		.help = "find a value in the game's memory: start a scan of a type "
		    "(i32, f32, <u2...) or a value, narrow it between frames (= != "
		    "< > range changed unchanged increased decreased), list the "
		    "candidates, print a layout entry for one",
	},
	[CMD_MOUSE] = {
		.id = CMD_MOUSE, .name = "mouse", .args = "move X Y|down BUTTON|up BUTTON",
		.min_args = 2, .max_args = 3,
		.flags = CMD_INPUT,
		.help = "move the pointer to X Y (window coordinates), or press or "
		    "release a button (1-8, left, middle, right) where it is, on the "
		    "next frame (SDL and X11 games)",
	},
	[CMD_CLICK] = {
		.id = CMD_CLICK, .name = "click", .args = "X Y [BUTTON]",
		.min_args = 2, .max_args = 3,
		.flags = CMD_INPUT,
		.help = "move to X Y and press a button (default left) on the next "
		    "frame, release it on the frame after",
	},
	[CMD_WHEEL] = {
		.id = CMD_WHEEL, .name = "wheel", .args = "N",
		.min_args = 1, .max_args = 1,
		.flags = CMD_INPUT,
		.help = "turn the mouse wheel N clicks (positive: away from the "
		    "user) on the next frame",
	},
};

const struct cmd_entry *
cmd_find(const char *name)
{
	for (int i = 0; i < CMD_COUNT; i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	return NULL;
}
