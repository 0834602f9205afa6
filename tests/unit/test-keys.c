/* Proves the key names of the control protocol (common/keys.h): each name
 * resolves to the curses code a keypad-mode game reads and to the bytes an
 * xterm would send on standard input; control keys in all three spellings;
 * names are case-insensitive; unknown names are refused; key_describe gives
 * back a name that key_lookup resolves to the same key. */
#include <curses.h>
#include <string.h>

#include "keys.h"
#include "unit.h"

/* Check that NAME resolves to CODE and the bytes SEQ (LEN bytes). */
static void
expect_key(const char *name, int code, const char *seq, size_t len)
{
	struct key_def k;

	memset(&k, 0xee, sizeof k);
	if (!CHECK_EQ_INT(key_lookup(name, &k), 0)) {
		FAIL("key_lookup(\"%s\") failed", name);
		return;
	}
	if (!CHECK_EQ_INT(k.code, code))
		FAIL("wrong code for \"%s\"", name);
	if (CHECK_EQ_INT(k.seqlen, len))
		CHECK_EQ_MEM(k.seq, seq, len);
}

static void
lookup_cursor_keys(void)
{
	expect_key("left", KEY_LEFT, "\033[D", 3);
	expect_key("right", KEY_RIGHT, "\033[C", 3);
	expect_key("up", KEY_UP, "\033[A", 3);
	expect_key("down", KEY_DOWN, "\033[B", 3);
}

static void
lookup_editing_keys(void)
{
	expect_key("home", KEY_HOME, "\033[H", 3);
	expect_key("end", KEY_END, "\033[F", 3);
	expect_key("pgup", KEY_PPAGE, "\033[5~", 4);
	expect_key("pagedown", KEY_NPAGE, "\033[6~", 4);
	expect_key("insert", KEY_IC, "\033[2~", 4);
	expect_key("del", KEY_DC, "\033[3~", 4);
}

static void
lookup_enter_esc_space_tab_backspace(void)
{
	/* Enter is CR, as a terminal sends it (the tty may make it NL). */
	expect_key("enter", '\r', "\r", 1);
	expect_key("return", '\r', "\r", 1);
	expect_key("esc", 27, "\033", 1);
	expect_key("escape", 27, "\033", 1);
	expect_key("space", ' ', " ", 1);
	expect_key("tab", '\t', "\t", 1);
	expect_key("backspace", KEY_BACKSPACE, "\177", 1);
}

static void
lookup_function_keys(void)
{
	expect_key("f1", KEY_F(1), "\033OP", 3);
	expect_key("f4", KEY_F(4), "\033OS", 3);
	expect_key("f5", KEY_F(5), "\033[15~", 5);
	expect_key("f12", KEY_F(12), "\033[24~", 5);
}

static void
lookup_single_chars_are_themselves(void)
{
	expect_key("a", 'a', "a", 1);
	expect_key("Z", 'Z', "Z", 1);
	expect_key("1", '1', "1", 1);
	expect_key("/", '/', "/", 1);
	expect_key("~", '~', "~", 1);
	expect_key("^", '^', "^", 1);
}

static void
lookup_ctrl_keys_in_three_spellings(void)
{
	expect_key("C-a", 1, "\001", 1);
	expect_key("ctrl-c", 3, "\003", 1);
	expect_key("^x", 24, "\030", 1);
	expect_key("^X", 24, "\030", 1);
	expect_key("c-z", 26, "\032", 1);
	expect_key("CTRL-C", 3, "\003", 1);
	expect_key("C-[", 27, "\033", 1);
}

static void
lookup_is_case_insensitive(void)
{
	expect_key("LEFT", KEY_LEFT, "\033[D", 3);
	expect_key("Enter", '\r', "\r", 1);
	expect_key("F12", KEY_F(12), "\033[24~", 5);
	expect_key("PgDn", KEY_NPAGE, "\033[6~", 4);
}

static void
lookup_refuses_unknown_names(void)
{
	static const char *const bad[] = { "foo", "", "f13", "f0", "C-1",
	    "ctrl-", "C-", "^1", "lefty", " ", "\t", "C-ab", "\177" };
	struct key_def k;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (!CHECK_EQ_INT(key_lookup(bad[i], &k), -1))
			FAIL("key_lookup(\"%s\") should fail", bad[i]);
	}
}

static void
from_byte_is_code_and_one_byte(void)
{
	struct key_def k;

	key_from_byte('q', &k);
	CHECK_EQ_INT(k.code, 'q');
	CHECK_EQ_INT(k.seqlen, 1);
	CHECK_EQ_INT(k.seq[0], 'q');
	key_from_byte(0xff, &k);
	CHECK_EQ_INT(k.code, 0xff);
	CHECK_EQ_INT(k.seqlen, 1);
	CHECK_EQ_INT(k.seq[0], 0xff);
	key_from_byte(0, &k);
	CHECK_EQ_INT(k.code, 0);
	CHECK_EQ_INT(k.seqlen, 1);
	CHECK_EQ_INT(k.seq[0], 0);
}

static void
describe_gives_canonical_names(void)
{
	char buf[32];

	CHECK_EQ_STR(key_describe(KEY_LEFT, buf, sizeof buf), "left");
	CHECK_EQ_STR(key_describe(KEY_PPAGE, buf, sizeof buf), "pgup");
	CHECK_EQ_STR(key_describe('\r', buf, sizeof buf), "enter");
	CHECK_EQ_STR(key_describe('\n', buf, sizeof buf), "C-j");
	CHECK_EQ_STR(key_describe('\t', buf, sizeof buf), "tab");
	CHECK_EQ_STR(key_describe(27, buf, sizeof buf), "esc");
	CHECK_EQ_STR(key_describe(' ', buf, sizeof buf), "space");
	CHECK_EQ_STR(key_describe(KEY_F(12), buf, sizeof buf), "f12");
	CHECK_EQ_STR(key_describe('a', buf, sizeof buf), "a");
	CHECK_EQ_STR(key_describe(1, buf, sizeof buf), "C-a");
	CHECK_EQ_STR(key_describe(26, buf, sizeof buf), "C-z");
	CHECK_EQ_STR(key_describe(9999, buf, sizeof buf), "code9999");
	CHECK_EQ_PTR(key_describe('a', buf, sizeof buf), buf);
}

static void
describe_truncates_to_buffer(void)
{
	char buf[8];

	memset(buf, 'x', sizeof buf);
	CHECK_EQ_STR(key_describe(KEY_BACKSPACE, buf, 4), "bac");
	CHECK_EQ_INT(buf[4], 'x');
}

/* Every name key_lookup knows describes back to a name of the same key. */
static void
describe_round_trips_through_lookup(void)
{
	static const char *const names[] = { "left", "right", "up", "down",
	    "home", "end", "pgup", "pageup", "pgdn", "pagedown", "insert", "ins",
	    "delete", "del", "backspace", "enter", "return", "tab", "esc",
	    "escape", "space", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8",
	    "f9", "f10", "f11", "f12", "a", "Z", "1", "/", "C-a", "C-b", "C-m",
	    "C-z", "ctrl-c", "^x" };
	char buf[32];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct key_def k, back;
		if (!CHECK_EQ_INT(key_lookup(names[i], &k), 0))
			continue;
		const char *d = key_describe(k.code, buf, sizeof buf);
		if (!CHECK_EQ_INT(key_lookup(d, &back), 0)) {
			FAIL("\"%s\" described as \"%s\", which is unknown",
			    names[i], d);
			continue;
		}
		if (!CHECK_EQ_INT(back.code, k.code) ||
		    !CHECK_EQ_INT(back.seqlen, k.seqlen) ||
		    !CHECK_EQ_MEM(back.seq, k.seq, k.seqlen))
			FAIL("\"%s\" -> \"%s\" is another key", names[i], d);
	}
}

/* The help list names keys key_lookup knows (ranges such as "f1-f12"
 * aside). */
static void
special_names_resolve(void)
{
	int n = 0;

	for (size_t i = 0; key_special_names[i] != NULL; i++, n++) {
		struct key_def k;
		const char *name = key_special_names[i];
		if (strchr(name, '-') != NULL && strlen(name) > 3)
			continue;
		if (!CHECK_EQ_INT(key_lookup(name, &k), 0))
			FAIL("help lists \"%s\", which is unknown", name);
	}
	CHECK_GT_INT(n, 10);
}

static const struct unit_case cases[] = {
	UNIT_CASE(lookup_cursor_keys),
	UNIT_CASE(lookup_editing_keys),
	UNIT_CASE(lookup_enter_esc_space_tab_backspace),
	UNIT_CASE(lookup_function_keys),
	UNIT_CASE(lookup_single_chars_are_themselves),
	UNIT_CASE(lookup_ctrl_keys_in_three_spellings),
	UNIT_CASE(lookup_is_case_insensitive),
	UNIT_CASE(lookup_refuses_unknown_names),
	UNIT_CASE(from_byte_is_code_and_one_byte),
	UNIT_CASE(describe_gives_canonical_names),
	UNIT_CASE(describe_truncates_to_buffer),
	UNIT_CASE(describe_round_trips_through_lookup),
	UNIT_CASE(special_names_resolve),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
