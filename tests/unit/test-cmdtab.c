/* Proves the control protocol's command table (common/cmdtab.h) is
 * well-formed: indexed by its enum, one non-empty lowercase name per verb,
 * help and synopsis for each, argument bounds the parser can honour, the
 * flags the shim obeys, and cmd_find finds every verb and nothing else. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cmdtab.h"
#include "textproto.h"
#include "unit.h"

static void
table_is_indexed_by_id(void)
{
	for (int i = 0; i < CMD_COUNT; i++)
		if (!CHECK_EQ_INT(cmd_table[i].id, i))
			FAIL("cmd_table[%d] is '%s'", i, cmd_table[i].name);
}

static void
names_are_nonempty_lowercase_words(void)
{
	for (int i = 0; i < CMD_COUNT; i++) {
		const char *name = cmd_table[i].name;
		if (!CHECK(name != NULL) || !CHECK(name[0] != '\0')) {
			FAIL("cmd_table[%d] has no name", i);
			continue;
		}
		for (const char *p = name; *p; p++)
			if (!CHECK(islower((unsigned char)*p)))
				FAIL("'%s' is not a lowercase word", name);
	}
}

static void
names_are_unique(void)
{
	for (int i = 0; i < CMD_COUNT; i++)
		for (int j = i + 1; j < CMD_COUNT; j++)
			if (!CHECK(strcmp(cmd_table[i].name,
			    cmd_table[j].name) != 0))
				FAIL("'%s' twice (%d, %d)", cmd_table[i].name,
				    i, j);
}

static void
help_and_synopsis_are_present(void)
{
	for (int i = 0; i < CMD_COUNT; i++) {
		const struct cmd_entry *e = &cmd_table[i];
		if (!CHECK(e->help != NULL && e->help[0] != '\0'))
			FAIL("'%s' has no help", e->name);
		if (!CHECK(e->args != NULL))
			FAIL("'%s' has no synopsis", e->name);
		/* A verb taking arguments says which. */
		if (e->max_args != 0 && !CHECK(e->args != NULL &&
		    e->args[0] != '\0'))
			FAIL("'%s' takes arguments but shows none", e->name);
	}
}

static void
argument_bounds_are_consistent(void)
{
	for (int i = 0; i < CMD_COUNT; i++) {
		const struct cmd_entry *e = &cmd_table[i];
		CHECK_GE_INT(e->min_args, 0);
		CHECK_GE_INT(e->max_args, -1);
		if (e->max_args >= 0 && !CHECK_LE_INT(e->min_args, e->max_args))
			FAIL("'%s': min_args > max_args", e->name);
		/* tp_split refuses lines with more words than this. */
		if (!CHECK_LT_INT(e->max_args, TP_WORDS_MAX))
			FAIL("'%s' allows more arguments than a line holds",
			    e->name);
		if ((e->flags & CMD_REST_OF_LINE) && (!CHECK_EQ_INT(e->max_args, 1) ||
		    !CHECK_LE_INT(e->min_args, 1)))
			FAIL("'%s' takes the rest of the line: one argument",
			    e->name);
	}
}

static void
find_finds_every_verb(void)
{
	for (int i = 0; i < CMD_COUNT; i++)
		if (!CHECK_EQ_PTR(cmd_find(cmd_table[i].name), &cmd_table[i]))
			FAIL("cmd_find(\"%s\")", cmd_table[i].name);
}

/* Each enum constant is the verb it is named after. */
static void
ids_name_their_verbs(void)
{
	static const char *const want[CMD_COUNT] = {
		[CMD_HELLO] = "hello", [CMD_INFO] = "info", [CMD_HELP] = "help",
		[CMD_PAUSE] = "pause", [CMD_RESUME] = "resume",
		[CMD_STEP] = "step", [CMD_SPEED] = "speed", [CMD_KEY] = "key",
		[CMD_KEYDOWN] = "keydown", [CMD_KEYUP] = "keyup",
		[CMD_TYPE] = "type", [CMD_KEYBOARD] = "keyboard",
		[CMD_SCREEN] = "screen", [CMD_QUIT] = "quit",
		[CMD_DETACH] = "detach", [CMD_AUTH] = "auth",
		[CMD_GET] = "get", [CMD_SET] = "set", [CMD_WATCH] = "watch",
		[CMD_TRACE] = "trace", [CMD_SAVE] = "save", [CMD_LOAD] = "load",
		[CMD_RESET] = "reset", [CMD_DROP] = "drop",
		[CMD_SCREENSHOT] = "screenshot", [CMD_SCAN] = "scan",
		[CMD_MOUSE] = "mouse", [CMD_CLICK] = "click", [CMD_WHEEL] = "wheel",
	};

	for (int i = 0; i < CMD_COUNT; i++) {
		if (!CHECK(want[i] != NULL)) {
			FAIL("enum cmd_id %d is new: add it to this test", i);
			continue;
		}
		CHECK_EQ_STR(cmd_table[i].name, want[i]);
	}
}

/* The flags say what the README's command table does: input commands are
 * refused while replaying, only quit is served after detach, only auth
 * before a TCP client authenticates, and watch is text-only. */
static void
flags_are_the_documented_ones(void)
{
	static const struct {
		int flag;
		const char *verbs;
	} want[] = {
		{ CMD_REST_OF_LINE, " type set " },
		{ CMD_INPUT, " key keydown keyup type set mouse click wheel " },
		{ CMD_WHEN_DETACHED, " quit " },
		{ CMD_NO_AUTH, " auth " },
		{ CMD_TEXT_ONLY, " watch " },
		{ CMD_STREAMS, " watch " },
	};
	int all = 0;

	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		all |= want[k].flag;
		for (int i = 0; i < CMD_COUNT; i++) {
			char word[32];
			snprintf(word, sizeof word, " %s ", cmd_table[i].name);
			int has = (cmd_table[i].flags & want[k].flag) != 0;
			int listed = strstr(want[k].verbs, word) != NULL;
			if (!CHECK_EQ_INT(has, listed))
				FAIL("'%s': flag 0x%x is %s", cmd_table[i].name,
				    want[k].flag, has ? "set" : "missing");
		}
	}
	for (int i = 0; i < CMD_COUNT; i++)
		if (!CHECK_EQ_INT(cmd_table[i].flags & ~all, 0))
			FAIL("'%s' has an unknown flag", cmd_table[i].name);
}

static void
find_refuses_unknown_and_empty_names(void)
{
	static const char *const bad[] = { "", "foo", "hell", "helloo",
	    "hello ", " hello", "HELLO", "key\t", "help me" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!CHECK_EQ_PTR(cmd_find(bad[i]), NULL))
			FAIL("cmd_find(\"%s\") should be NULL", bad[i]);
}

static const struct unit_case cases[] = {
	UNIT_CASE(table_is_indexed_by_id),
	UNIT_CASE(names_are_nonempty_lowercase_words),
	UNIT_CASE(names_are_unique),
	UNIT_CASE(help_and_synopsis_are_present),
	UNIT_CASE(argument_bounds_are_consistent),
	UNIT_CASE(find_finds_every_verb),
	UNIT_CASE(ids_name_their_verbs),
	UNIT_CASE(flags_are_the_documented_ones),
	UNIT_CASE(find_refuses_unknown_and_empty_names),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
