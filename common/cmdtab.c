/* The control protocol's command table (see cmdtab.h). */
#include <string.h>

#include "cmdtab.h"

const struct cmd_entry cmd_table[CMD_COUNT] = {
	[CMD_HELLO] = { CMD_HELLO, "hello", "", 0, 0, 0,
		"protocol version, pid, executable, build id, mode, frame (JSON)" },
	[CMD_INFO] = { CMD_INFO, "info", "", 0, 0, 0,
		"hello plus speed, clients, virtual time, keyboard, frame rule (JSON)" },
	[CMD_HELP] = { CMD_HELP, "help", "", 0, 0, 0,
		"list the commands" },
	[CMD_PAUSE] = { CMD_PAUSE, "pause", "", 0, 0, 0,
		"stop at the next frame boundary; replies with the frame once stopped" },
	[CMD_RESUME] = { CMD_RESUME, "resume", "", 0, 0, 0,
		"run freely again" },
	[CMD_STEP] = { CMD_STEP, "step", "[N]", 0, 1, 0,
		"run N frames (default 1); replies with the frame number when done" },
	[CMD_SPEED] = { CMD_SPEED, "speed", "X|max", 1, 1, 0,
		"set the virtual-time rate: a factor (0.5, 8) or max" },
	[CMD_KEY] = { CMD_KEY, "key", "NAME...", 1, 64, 0,
		"tap keys, one per frame from the next frame on" },
	[CMD_KEYDOWN] = { CMD_KEYDOWN, "keydown", "NAME", 1, 1, 0,
		"hold a key: it is delivered every frame until keyup" },
	[CMD_KEYUP] = { CMD_KEYUP, "keyup", "NAME", 1, 1, 0,
		"release a held key" },
	[CMD_TYPE] = { CMD_TYPE, "type", "TEXT", 1, 1, 1,
		"deliver TEXT (rest of the line, \\n \\t \\e \\\\ \\xHH escapes) on the next frame" },
	[CMD_KEYBOARD] = { CMD_KEYBOARD, "keyboard", "real|ignore", 1, 1, 0,
		"let the real keyboard through, or ignore it (the default in lockstep)" },
	[CMD_SCREEN] = { CMD_SCREEN, "screen", "", 0, 0, 0,
		"the terminal screen as the game drew it (JSON array of rows)" },
	[CMD_QUIT] = { CMD_QUIT, "quit", "", 0, 0, 0,
		"close this connection" },
	[CMD_DETACH] = { CMD_DETACH, "detach", "", 0, 0, 0,
		"go passive: the game runs on untouched at real speed" },
	[CMD_AUTH] = { CMD_AUTH, "auth", "TOKEN", 1, 1, 0,
		"authenticate a TCP connection (HOOK_LISTEN) with HOOK_TOKEN" },
	[CMD_GET] = { CMD_GET, "get", "[FIELD...]", 0, 64, 0,
		"current values as JSON: the whole state, or the fields named "
		"(hero.hp, entities[3].x, entities.x)" },
	[CMD_SET] = { CMD_SET, "set", "FIELD VALUE", 1, 1, 1,
		"write one value at the frame boundary (a number, true/false, "
		"text for strings, hex for byte blocks)" },
	[CMD_WATCH] = { CMD_WATCH, "watch", "[FIELD...]", 0, 64, 0,
		"stream one JSON line a frame, {\"frame\":N,...}, until the "
		"connection closes" },
	[CMD_TRACE] = { CMD_TRACE, "trace", "start PATH|stop", 1, 2, 0,
		"record a trace from the next frame (a path, a FIFO or fd:N), "
		"or stop recording" },
	[CMD_SAVE] = { CMD_SAVE, "save", "NAME", 1, 1, 0,
		"keep the whole game as it is at this frame boundary, in memory" },
	[CMD_LOAD] = { CMD_LOAD, "load", "NAME", 1, 1, 0,
		"bring back the game as it was saved; it stops there" },
	[CMD_RESET] = { CMD_RESET, "reset", "", 0, 0, 0,
		"load @start: the first frame boundary (lockstep), or what "
		"`save @start` kept" },
};

const struct cmd_entry *
cmd_find(const char *name)
{
	for (int i = 0; i < CMD_COUNT; i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	return NULL;
}
