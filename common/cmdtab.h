/* The control protocol's verbs as data: one table read by the shim's parser,
 * by `hello`/`help`, and by `hookctl --help`. */
#ifndef GH_CMDTAB_H
#define GH_CMDTAB_H

enum cmd_id {
	CMD_HELLO,
	CMD_INFO,
	CMD_HELP,
	CMD_PAUSE,
	CMD_RESUME,
	CMD_STEP,
	CMD_SPEED,
	CMD_KEY,
	CMD_KEYDOWN,
	CMD_KEYUP,
	CMD_TYPE,
	CMD_KEYBOARD,
	CMD_SCREEN,
	CMD_QUIT,
	CMD_DETACH,
	CMD_AUTH,
	CMD_GET,
	CMD_SET,
	CMD_WATCH,
	CMD_TRACE,
	CMD_SAVE,
	CMD_LOAD,
	CMD_RESET,
	CMD_DROP,
	CMD_SCREENSHOT,
	CMD_SCAN,
	CMD_MOUSE,
	CMD_CLICK,
	CMD_WHEEL,
	CMD_COUNT
};

/* What a verb is allowed, and how its line is read (cmd_entry.flags). */
#define CMD_REST_OF_LINE  0x01 /* the single argument is the rest of the line */
#define CMD_INPUT         0x02 /* feeds the game: refused while replaying */
#define CMD_WHEN_DETACHED 0x04 /* still served after `detach` */
#define CMD_NO_AUTH       0x08 /* served before a TCP client authenticates */
#define CMD_TEXT_ONLY     0x10 /* not over the binary protocol */
#define CMD_STREAMS       0x20 /* after its reply, more lines until the end */

struct cmd_entry {
	enum cmd_id id;
	const char *name;
	const char *args;   /* synopsis of the arguments, "" when none */
	int min_args;       /* words after the verb */
	int max_args;       /* -1: unlimited */
	int flags;          /* CMD_* above */
	const char *help;
};

/* The table, CMD_COUNT entries, indexed by enum cmd_id. */
extern const struct cmd_entry cmd_table[CMD_COUNT];

/* Find a verb by name; NULL when unknown. */
const struct cmd_entry *cmd_find(const char *name);

#endif
