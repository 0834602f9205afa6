/* Proves the control protocol's text framing (common/textproto.h): tp_split
 * cuts a line into words, refusing blank lines, control bytes and too many
 * words; tp_verb finds the verb and leaves the rest of the line after it
 * intact, blanks and all; tp_unescape decodes every escape and pinpoints a
 * bad one; tp_parse_u64 takes plain decimal numbers up to
 * LLONG_MAX only. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "textproto.h"
#include "unit.h"

/* ---- tp_split ---- */

static void
split_words_on_spaces(void)
{
	char line[] = "key left right";
	char *w[TP_WORDS_MAX];
	int n = -1;

	CHECK_EQ_INT(tp_split(line, w, &n), TP_OK);
	if (!CHECK_EQ_INT(n, 3))
		return;
	CHECK_EQ_STR(w[0], "key");
	CHECK_EQ_STR(w[1], "left");
	CHECK_EQ_STR(w[2], "right");
}

static void
split_words_on_tabs_and_runs(void)
{
	char line[] = "key\tleft\t \tright";
	char *w[TP_WORDS_MAX];
	int n = -1;

	CHECK_EQ_INT(tp_split(line, w, &n), TP_OK);
	if (!CHECK_EQ_INT(n, 3))
		return;
	CHECK_EQ_STR(w[0], "key");
	CHECK_EQ_STR(w[1], "left");
	CHECK_EQ_STR(w[2], "right");
}

static void
split_ignores_leading_and_trailing_blanks(void)
{
	char line[] = "  \t step   3 \t ";
	char *w[TP_WORDS_MAX];
	int n = -1;

	CHECK_EQ_INT(tp_split(line, w, &n), TP_OK);
	if (!CHECK_EQ_INT(n, 2))
		return;
	CHECK_EQ_STR(w[0], "step");
	CHECK_EQ_STR(w[1], "3");
}

static void
split_single_word(void)
{
	char line[] = "hello";
	char line2[] = "hello ";
	char *w[TP_WORDS_MAX];
	int n = -1;

	CHECK_EQ_INT(tp_split(line, w, &n), TP_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(w[0], "hello");
	CHECK_EQ_INT(tp_split(line2, w, &n), TP_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(w[0], "hello");
}

static void
split_blank_lines_are_empty(void)
{
	char l1[] = "", l2[] = "   ", l3[] = "\t \t";
	char *w[TP_WORDS_MAX];
	int n = -1;

	CHECK_EQ_INT(tp_split(l1, w, &n), TP_EMPTY);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(tp_split(l2, w, &n), TP_EMPTY);
	CHECK_EQ_INT(tp_split(l3, w, &n), TP_EMPTY);
}

static void
split_refuses_control_bytes(void)
{
	char l1[] = "key \x01";
	char l2[] = "key a\x7f";
	char l3[] = "\x1b[A";
	char l4[] = "type a\rb";
	char l5[] = "hello\n";
	char *w[TP_WORDS_MAX];
	int n = -1;

	CHECK_EQ_INT(tp_split(l1, w, &n), TP_CONTROL_BYTES);
	CHECK_EQ_INT(tp_split(l2, w, &n), TP_CONTROL_BYTES);
	CHECK_EQ_INT(tp_split(l3, w, &n), TP_CONTROL_BYTES);
	CHECK_EQ_INT(tp_split(l4, w, &n), TP_CONTROL_BYTES);
	CHECK_EQ_INT(tp_split(l5, w, &n), TP_CONTROL_BYTES);
}

static void
split_passes_high_bytes(void)
{
	char line[] = "type caf\xc3\xa9";
	char *w[TP_WORDS_MAX];
	int n = -1;

	CHECK_EQ_INT(tp_split(line, w, &n), TP_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(w[1], "caf\xc3\xa9");
}

/* A line of COUNT one-letter words. */
static void
make_words(char *line, size_t cap, int count)
{
	size_t o = 0;

	for (int i = 0; i < count && o + 2 < cap; i++) {
		line[o++] = (char)('a' + i % 26);
		line[o++] = ' ';
	}
	line[o] = '\0';
}

static void
split_takes_exactly_words_max(void)
{
	char line[TP_LINE_MAX];
	char *w[TP_WORDS_MAX + 1];
	int n = -1;

	w[TP_WORDS_MAX] = (char *)"sentinel";
	make_words(line, sizeof line, TP_WORDS_MAX);
	CHECK_EQ_INT(tp_split(line, w, &n), TP_OK);
	CHECK_EQ_INT(n, TP_WORDS_MAX);
	CHECK_EQ_STR(w[TP_WORDS_MAX - 1], "n");  /* word 66: 65 % 26 = 13 */
	CHECK_EQ_STR(w[TP_WORDS_MAX], "sentinel");
}

static void
split_refuses_more_than_words_max(void)
{
	char line[TP_LINE_MAX];
	char *w[TP_WORDS_MAX + 1];
	int n = -1;

	w[TP_WORDS_MAX] = (char *)"sentinel";
	make_words(line, sizeof line, TP_WORDS_MAX + 1);
	CHECK_EQ_INT(tp_split(line, w, &n), TP_TOO_MANY_WORDS);
	CHECK_EQ_STR(w[TP_WORDS_MAX], "sentinel");
}

/* ---- tp_verb ---- */

/* `type` takes the rest of the line verbatim, blanks included: only the one
 * separator after the verb is eaten, and the line is left as it was. */
static void
verb_rest_is_whole_line_after_verb(void)
{
	const char *line = "type hello  world\tand more ";
	char verb[16];

	const char *rest = tp_verb(line, verb, sizeof verb);
	CHECK_EQ_STR(verb, "type");
	CHECK_EQ_STR(rest, "hello  world\tand more ");
	CHECK_EQ_PTR(rest, line + 5);
	CHECK_EQ_STR(line, "type hello  world\tand more ");
}

static void
verb_skips_leading_blanks(void)
{
	char verb[16];

	CHECK_EQ_STR(tp_verb(" \t key left", verb, sizeof verb), "left");
	CHECK_EQ_STR(verb, "key");
	CHECK_EQ_STR(tp_verb("type\tx y", verb, sizeof verb), "x y");
	CHECK_EQ_STR(verb, "type");
}

static void
verb_rest_keeps_blanks_after_one_separator(void)
{
	char verb[16];

	CHECK_EQ_STR(tp_verb("type   x ", verb, sizeof verb), "  x ");
	CHECK_EQ_STR(verb, "type");
	CHECK_EQ_STR(tp_verb("type \t", verb, sizeof verb), "\t");
}

static void
verb_alone_has_empty_rest(void)
{
	char verb[16];

	CHECK_EQ_STR(tp_verb("hello", verb, sizeof verb), "");
	CHECK_EQ_STR(verb, "hello");
	CHECK_EQ_STR(tp_verb("  hello ", verb, sizeof verb), "");
	CHECK_EQ_STR(verb, "hello");
}

static void
verb_of_blank_line_is_null(void)
{
	char verb[16] = "untouched";

	CHECK_EQ_PTR(tp_verb("", verb, sizeof verb), NULL);
	CHECK_EQ_PTR(tp_verb("   ", verb, sizeof verb), NULL);
	CHECK_EQ_PTR(tp_verb("\t \t", verb, sizeof verb), NULL);
	CHECK_EQ_STR(verb, "untouched");
}

static void
verb_is_cut_to_capacity(void)
{
	char verb[8];

	memset(verb, 'Z', sizeof verb);
	CHECK_EQ_STR(tp_verb("abcdefghij x", verb, 4), "x");
	CHECK_EQ_STR(verb, "abc");
	CHECK_EQ_INT(verb[4], 'Z');        /* nothing written past CAP */
	CHECK_EQ_STR(tp_verb("abcd", verb, 5), "");
	CHECK_EQ_STR(verb, "abcd");
	memset(verb, 'Z', sizeof verb);
	CHECK_EQ_STR(tp_verb("abc def", verb, 0), "def");
	CHECK_EQ_INT(verb[0], 'Z');
}

/* ---- tp_unescape ---- */

static void
unescape_plain_text_is_copied(void)
{
	unsigned char out[16];
	size_t bad = 99;

	CHECK_EQ_INT(tp_unescape("abc xyz", out, sizeof out, &bad), 7);
	CHECK_EQ_MEM(out, "abc xyz", 7);
	CHECK_EQ_INT(tp_unescape("", out, sizeof out, &bad), 0);
}

static void
unescape_decodes_every_escape(void)
{
	unsigned char out[32];
	size_t bad = 99;
	static const unsigned char want[] = { 'a', '\n', 'b', '\t', 'c', '\r',
	    27, '\\', 'd' };

	long n = tp_unescape("a\\nb\\tc\\r\\e\\\\d", out, sizeof out, &bad);
	if (!CHECK_EQ_INT(n, sizeof want))
		return;
	CHECK_EQ_MEM(out, want, sizeof want);
}

static void
unescape_decodes_hex_bytes(void)
{
	unsigned char out[16];
	size_t bad = 99;
	static const unsigned char want[] = { 'A', 0xff, 0xab, 0x00, 0x1b, '0' };

	long n = tp_unescape("\\x41\\xff\\xAb\\x00\\x1b0", out, sizeof out, &bad);
	if (!CHECK_EQ_INT(n, sizeof want))
		return;
	CHECK_EQ_MEM(out, want, sizeof want);
}

static void
unescape_refuses_short_hex_at_its_offset(void)
{
	unsigned char out[16];
	size_t bad = 99;

	CHECK_EQ_INT(tp_unescape("ab\\x4", out, sizeof out, &bad), -1);
	CHECK_EQ_INT(bad, 2);
	bad = 99;
	CHECK_EQ_INT(tp_unescape("\\x", out, sizeof out, &bad), -1);
	CHECK_EQ_INT(bad, 0);
	bad = 99;
	CHECK_EQ_INT(tp_unescape("x\\x4g", out, sizeof out, &bad), -1);
	CHECK_EQ_INT(bad, 1);
	bad = 99;
	CHECK_EQ_INT(tp_unescape("\\xg4", out, sizeof out, &bad), -1);
	CHECK_EQ_INT(bad, 0);
}

static void
unescape_refuses_unknown_escape_at_its_offset(void)
{
	unsigned char out[16];
	size_t bad = 99;

	CHECK_EQ_INT(tp_unescape("abc\\q", out, sizeof out, &bad), -1);
	CHECK_EQ_INT(bad, 3);
	bad = 99;
	CHECK_EQ_INT(tp_unescape("\\n\\\\\\0", out, sizeof out, &bad), -1);
	CHECK_EQ_INT(bad, 4);
}

static void
unescape_refuses_trailing_backslash(void)
{
	unsigned char out[16];
	size_t bad = 99;

	CHECK_EQ_INT(tp_unescape("ab\\", out, sizeof out, &bad), -1);
	CHECK_EQ_INT(bad, 2);
}

static void
unescape_fills_exactly_to_capacity(void)
{
	unsigned char out[4];
	size_t bad = 99;

	CHECK_EQ_INT(tp_unescape("abcd", out, 4, &bad), 4);
	CHECK_EQ_MEM(out, "abcd", 4);
	/* An escape decodes to one byte of the capacity. */
	CHECK_EQ_INT(tp_unescape("\\x41\\x42", out, 2, &bad), 2);
	CHECK_EQ_MEM(out, "AB", 2);
}

static void
unescape_refuses_overflow_at_first_byte_beyond(void)
{
	unsigned char out[8];
	size_t bad = 99;

	memset(out, 0x5a, sizeof out);
	CHECK_EQ_INT(tp_unescape("abcde", out, 3, &bad), -1);
	CHECK_EQ_INT(bad, 3);
	CHECK_EQ_INT(out[3], 0x5a);   /* nothing written past CAP */
	bad = 99;
	CHECK_EQ_INT(tp_unescape("ab\\n", out, 2, &bad), -1);
	CHECK(bad == 2 || bad == 3);   /* within the escape that overflowed */
	bad = 99;
	CHECK_EQ_INT(tp_unescape("x", out, 0, &bad), -1);
	CHECK_EQ_INT(bad, 0);
}

/* ---- tp_parse_u64 ---- */

static void
parse_u64_accepts_decimal(void)
{
	unsigned long long v = 7;

	CHECK_EQ_INT(tp_parse_u64("0", &v), 0);
	CHECK_EQ_U64(v, 0);
	CHECK_EQ_INT(tp_parse_u64("42", &v), 0);
	CHECK_EQ_U64(v, 42);
	CHECK_EQ_INT(tp_parse_u64("007", &v), 0);
	CHECK_EQ_U64(v, 7);
	CHECK_EQ_INT(tp_parse_u64("4611686018427387904", &v), 0);
	CHECK_EQ_U64(v, 4611686018427387904ULL);
}

/* The header promises any value up to LLONG_MAX. */
static void
parse_u64_accepts_llong_max(void)
{
	unsigned long long v = 7;

	CHECK_EQ_INT(tp_parse_u64("9223372036854775807", &v), 0);
	CHECK_EQ_U64(v, (unsigned long long)LLONG_MAX);
}

static void
parse_u64_refuses_empty_and_signs(void)
{
	unsigned long long v = 7;

	CHECK_EQ_INT(tp_parse_u64("", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("-1", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("-0", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("+5", &v), -1);
	CHECK_EQ_INT(tp_parse_u64(" 5", &v), -1);
	CHECK_EQ_U64(v, 7);   /* untouched on error */
}

static void
parse_u64_refuses_trailing_junk(void)
{
	unsigned long long v = 7;

	CHECK_EQ_INT(tp_parse_u64("12a", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("12 ", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("1.5", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("0x10", &v), -1);
	CHECK_EQ_U64(v, 7);
}

static void
parse_u64_refuses_overflow(void)
{
	unsigned long long v = 7;

	CHECK_EQ_INT(tp_parse_u64("9223372036854775808", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("18446744073709551615", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("18446744073709551616", &v), -1);
	CHECK_EQ_INT(tp_parse_u64("99999999999999999999999", &v), -1);
	CHECK_EQ_U64(v, 7);
}

/* The lockstep hot path takes exactly one plain step line, nothing more. */
static void
simple_step_accepts_plain_lines(void)
{
	unsigned long long n = 0;

	CHECK_EQ_INT(tp_simple_step("step\n", 5, &n), 0);
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_INT(tp_simple_step("step 25\n", 8, &n), 0);
	CHECK_EQ_U64(n, 25);
	CHECK_EQ_INT(tp_simple_step("step 7\r\n", 8, &n), 0);
	CHECK_EQ_U64(n, 7);
	CHECK_EQ_INT(tp_simple_step("step 1000000000\n", 16, &n), 0);
	CHECK_EQ_U64(n, 1000000000ULL);
}

static void
simple_step_refuses_anything_else(void)
{
	unsigned long long n = 99;
	static const char *const bad[] = {
		"step", "step 0\n", "step 1000000001\n", "step -1\n",
		"step x\n", "step  2\n", "step 2 \n", "steps\n", "Step\n",
		"step\nstep\n", "step 3\nhello\n", "hello\n", "step 3",
		"step 12345678901\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_EQ_INT(tp_simple_step(bad[i], strlen(bad[i]), &n), -1);
	CHECK_EQ_U64(n, 99);
}

static const struct unit_case cases[] = {
	UNIT_CASE(split_words_on_spaces),
	UNIT_CASE(split_words_on_tabs_and_runs),
	UNIT_CASE(split_ignores_leading_and_trailing_blanks),
	UNIT_CASE(split_single_word),
	UNIT_CASE(split_blank_lines_are_empty),
	UNIT_CASE(split_refuses_control_bytes),
	UNIT_CASE(split_passes_high_bytes),
	UNIT_CASE(split_takes_exactly_words_max),
	UNIT_CASE(split_refuses_more_than_words_max),
	UNIT_CASE(verb_rest_is_whole_line_after_verb),
	UNIT_CASE(verb_skips_leading_blanks),
	UNIT_CASE(verb_rest_keeps_blanks_after_one_separator),
	UNIT_CASE(verb_alone_has_empty_rest),
	UNIT_CASE(verb_of_blank_line_is_null),
	UNIT_CASE(verb_is_cut_to_capacity),
	UNIT_CASE(unescape_plain_text_is_copied),
	UNIT_CASE(unescape_decodes_every_escape),
	UNIT_CASE(unescape_decodes_hex_bytes),
	UNIT_CASE(unescape_refuses_short_hex_at_its_offset),
	UNIT_CASE(unescape_refuses_unknown_escape_at_its_offset),
	UNIT_CASE(unescape_refuses_trailing_backslash),
	UNIT_CASE(unescape_fills_exactly_to_capacity),
	UNIT_CASE(unescape_refuses_overflow_at_first_byte_beyond),
	UNIT_CASE(parse_u64_accepts_decimal),
	UNIT_CASE(parse_u64_accepts_llong_max),
	UNIT_CASE(parse_u64_refuses_empty_and_signs),
	UNIT_CASE(parse_u64_refuses_trailing_junk),
	UNIT_CASE(parse_u64_refuses_overflow),
	UNIT_CASE(simple_step_accepts_plain_lines),
	UNIT_CASE(simple_step_refuses_anything_else),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
