/* Proves the one JSON string writer (common/jstr.h) and what is built on
 * it: every byte 0x00-0xff alone is written as jstr.h says (controls and
 * DEL as \u00XX, '"' and '\' escaped, other ASCII as itself, any lone
 * byte 0x80-0xff as \u00XX); well-formed UTF-8 of every length passes
 * through unchanged while overlong forms, surrogates, code points past
 * U+10FFFF, stray continuation bytes and cut sequences are escaped byte by
 * byte; the output is always valid UTF-8; jstr_append never overruns or
 * half-writes its buffer; and the growable buffer (common/sbuf.h) and the
 * layout renderer (|S strings) write exactly the same bytes. */
#include <stdio.h>
#include <string.h>

#include "jstr.h"
#include "layout.h"
#include "sbuf.h"
#include "unit.h"

/* S (N bytes) through jstr_quote, as a NUL-terminated string. */
static const char *
quote(const char *s, size_t n)
{
	static char out[4096];
	size_t len = jstr_quote(out, sizeof out - 1, s, n);
	if (!CHECK_LT_INT(len, sizeof out))
		len = sizeof out - 1;
	out[len] = '\0';
	return out;
}

/* What jstr.h says one byte B alone becomes, worked out here. */
static void
expected_byte(unsigned b, char *out, size_t cap)
{
	if (b == '"' || b == '\\')
		snprintf(out, cap, "\"\\%c\"", (char)b);
	else if (b >= 0x20 && b < 0x7f)
		snprintf(out, cap, "\"%c\"", (char)b);
	else
		snprintf(out, cap, "\"\\u%04x\"", b);
}

static void
every_byte_alone(void)
{
	for (unsigned b = 0; b < 256; b++) {
		char want[16], in = (char)b;
		expected_byte(b, want, sizeof want);
		if (!CHECK_EQ_STR(quote(&in, 1), want))
			FAIL("byte 0x%02x", b);
	}
}

/* Well-formed UTF-8 of each length, at the edges of each range. */
static void
well_formed_utf8_passes_through(void)
{
	static const char *const ok[] = {
		"\xc2\x80", "\xc3\xa9", "\xdf\xbf",            /* U+0080..07FF */
		"\xe0\xa0\x80", "\xe2\x82\xac", "\xed\x9f\xbf", /* ..U+D7FF */
		"\xee\x80\x80", "\xef\xbf\xbf",                /* U+E000..FFFF */
		"\xf0\x90\x80\x80", "\xf0\x9f\x98\x80",         /* U+10000.. */
		"\xf3\xbf\xbf\xbf", "\xf4\x8f\xbf\xbf",         /* ..U+10FFFF */
		"caf\xc3\xa9 \xe2\x94\x80\xe2\x94\x80 ok",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "\"%s\"", ok[i]);
		if (!CHECK_EQ_STR(quote(ok[i], strlen(ok[i])), want))
			FAIL("case %zu", i);
	}
}

static void
ill_formed_utf8_is_escaped_byte_by_byte(void)
{
	static const struct {
		const char *in, *want;
	} bad[] = {
		{ "\xc0\x80", "\"\\u00c0\\u0080\"" },          /* overlong NUL */
		{ "\xc1\xbf", "\"\\u00c1\\u00bf\"" },          /* overlong */
		{ "\xe0\x80\x80", "\"\\u00e0\\u0080\\u0080\"" }, /* overlong */
		{ "\xf0\x80\x80\x80", "\"\\u00f0\\u0080\\u0080\\u0080\"" },
		{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" }, /* surrogate */
		{ "\xed\xbf\xbf", "\"\\u00ed\\u00bf\\u00bf\"" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" },
		{ "\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"" },
		{ "\x80", "\"\\u0080\"" },                     /* stray */
		{ "\xe2\x82", "\"\\u00e2\\u0082\"" },          /* cut short */
		{ "\xe2\x82" "A", "\"\\u00e2\\u0082A\"" },     /* cut by ASCII */
		{ "\xf0\x9f\x98", "\"\\u00f0\\u009f\\u0098\"" },
		{ "\xff\xc3\xa9", "\"\\u00ff\xc3\xa9\"" },     /* good after bad */
		{ "\xc3\xc3\xa9", "\"\\u00c3\xc3\xa9\"" },
		{ "\xe9t\xe9", "\"\\u00e9t\\u00e9\"" },        /* Latin-1 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!CHECK_EQ_STR(quote(bad[i].in, strlen(bad[i].in)), bad[i].want))
			FAIL("case %zu", i);
}

/* The output of any input is valid UTF-8 (checked here by a decoder of
 * its own) with no raw control byte: pairs and triples of every
 * interesting byte. */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		unsigned long cp;
		size_t k;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		static const unsigned long min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k;
	}
	return 1;
}

static void
output_is_always_valid_utf8(void)
{
	static const unsigned char pick[] = { 0x00, 0x1f, 0x22, 0x41, 0x5c,
	    0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0,
	    0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff };
	size_t np = sizeof pick;
	char in[3];

	for (size_t a = 0; a < np; a++)
		for (size_t b = 0; b < np; b++)
			for (size_t c = 0; c < np; c++) {
				in[0] = (char)pick[a];
				in[1] = (char)pick[b];
				in[2] = (char)pick[c];
				const char *q = quote(in, 3);
				if (!CHECK(valid_utf8((const unsigned char *)q,
				    strlen(q))))
					FAIL("%02x %02x %02x -> %s", pick[a],
					    pick[b], pick[c], q);
			}
}

/* The growable buffer and the layout renderer write what jstr_quote
 * does: every byte from 0x01 to 0xff in strings of up to 63 bytes, and
 * mixed UTF-8. */
static void
sbuf_and_layout_write_the_same_bytes(void)
{
	static const char json[] = "{ \"gamehook_layout\": 1, \"fields\": "
	    "{ \"s\": { \"offset\": 0, \"type\": \"|S64\" } } }";
	char err[256], out[1024];
	struct layout *l = layout_parse(json, strlen(json), "test", err,
	    sizeof err);
	struct sbuf b = { 0 };
	char s[64];

	if (!CHECK(l != NULL)) {
		FAIL("layout: %s", err);
		return;
	}
	for (unsigned start = 1; start < 256; start += 63) {
		size_t n = 0;
		uint8_t blob[64] = { 0 };
		for (unsigned c = start; c < 256 && n < 63; c++)
			s[n++] = (char)c;
		if (start == 1 + 63 * 3) {
			memcpy(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff", 10);
		}
		memcpy(blob, s, n);
		const char *want = quote(s, n);
		sb_reset(&b);
		sb_puts(&b, "x");
		sb_json_strn(&b, s, n);
		CHECK(!b.failed);
		if (!CHECK_EQ_STR(b.p + 1, want))
			FAIL("sbuf, bytes from 0x%02x", start);
		long len = layout_json(l, blob, NULL, "s", out, sizeof out, err,
		    sizeof err);
		CHECK_GT_INT(len, 0);
		if (!CHECK_EQ_STR(out, want))
			FAIL("layout, bytes from 0x%02x", start);
	}
	sb_free(&b);
	layout_free(l);
}

static void
sbuf_grows_and_resets(void)
{
	struct sbuf b = { 0 };

	for (int i = 0; i < 1000; i++)
		sb_printf(&b, "%d,", i);
	CHECK(!b.failed);
	CHECK_EQ_INT(b.len, strlen(b.p));
	CHECK(strncmp(b.p, "0,1,2,", 6) == 0);
	CHECK(strcmp(b.p + b.len - 4, "999,") == 0);
	sb_reset(&b);
	CHECK_EQ_INT(b.len, 0);
	CHECK_EQ_STR(b.p, "");
	sb_hex(&b, (const uint8_t *)"\x01\xab", 2);
	sb_json_str(&b, "q\"");
	CHECK_EQ_STR(b.p, "01ab\"q\\\"\"");
	sb_free(&b);
	CHECK(b.p == NULL && b.len == 0);
}

/* ---- jstr_append: a fixed buffer ---- */

static void
append_quotes_plain_text(void)
{
	char buf[32];
	size_t len = 0;

	CHECK_EQ_INT(jstr_append(buf, sizeof buf, &len, "abc", 3), 0);
	CHECK_EQ_STR(buf, "\"abc\"");
	CHECK_EQ_INT(len, 5);
}

static void
append_appends_after_existing_text(void)
{
	char buf[32] = "[";
	size_t len = 1;

	CHECK_EQ_INT(jstr_append(buf, sizeof buf, &len, "a", 1), 0);
	CHECK_EQ_INT(jstr_append(buf, sizeof buf, &len, "", 0), 0);
	CHECK_EQ_STR(buf, "[\"a\"\"\"");
	CHECK_EQ_INT(len, strlen(buf));
}

static void
append_escapes_quote_and_backslash(void)
{
	char buf[32];
	size_t len = 0;

	CHECK_EQ_INT(jstr_append(buf, sizeof buf, &len, "a\"b\\c", 5), 0);
	CHECK_EQ_STR(buf, "\"a\\\"b\\\\c\"");
	CHECK_EQ_INT(len, strlen(buf));
}

static void
append_escapes_control_bytes_as_u00xx(void)
{
	char buf[64];
	size_t len = 0;

	CHECK_EQ_INT(jstr_append(buf, sizeof buf, &len, "\x01\n\x1b\x7f\x1f", 5),
	    0);
	CHECK_EQ_STR(buf, "\"\\u0001\\u000a\\u001b\\u007f\\u001f\"");
	CHECK_EQ_INT(len, strlen(buf));
}

static void
append_escapes_embedded_nul(void)
{
	char buf[32];
	size_t len = 0;

	CHECK_EQ_INT(jstr_append(buf, sizeof buf, &len, "a\0b", 3), 0);
	CHECK_EQ_STR(buf, "\"a\\u0000b\"");
}

static void
append_passes_utf8_through(void)
{
	char buf[32];
	size_t len = 0;

	CHECK_EQ_INT(jstr_append(buf, sizeof buf, &len, "\xe2\x94\x80", 3), 0);
	CHECK_EQ_STR(buf, "\"\xe2\x94\x80\"");
}

static void
append_fits_exactly(void)
{
	char buf[6];
	size_t len = 0;

	/* "abc" quoted is 5 bytes plus the NUL. */
	CHECK_EQ_INT(jstr_append(buf, sizeof buf, &len, "abc", 3), 0);
	CHECK_EQ_STR(buf, "\"abc\"");
	CHECK_EQ_INT(len, 5);
}

static void
append_overflow_restores_old_length(void)
{
	char buf[16];
	size_t len;

	memset(buf, 'Z', sizeof buf);
	memcpy(buf, "xy", 3);
	len = 2;
	CHECK_EQ_INT(jstr_append(buf, 7, &len, "abc", 3), -1);
	CHECK_EQ_INT(len, 2);
	CHECK_EQ_STR(buf, "xy");
	CHECK_EQ_INT(buf[7], 'Z');   /* nothing written past CAP */

	/* An escape that does not fit is not half-written either. */
	len = 2;
	CHECK_EQ_INT(jstr_append(buf, 8, &len, "\x01", 1), -1);
	CHECK_EQ_INT(len, 2);
	CHECK_EQ_STR(buf, "xy");

	len = 0;
	CHECK_EQ_INT(jstr_append(buf, 1, &len, "", 0), -1);
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_STR(buf, "");
}

static const struct unit_case cases[] = {
	UNIT_CASE(every_byte_alone),
	UNIT_CASE(well_formed_utf8_passes_through),
	UNIT_CASE(ill_formed_utf8_is_escaped_byte_by_byte),
	UNIT_CASE(output_is_always_valid_utf8),
	UNIT_CASE(sbuf_and_layout_write_the_same_bytes),
	UNIT_CASE(sbuf_grows_and_resets),
	UNIT_CASE(append_quotes_plain_text),
	UNIT_CASE(append_appends_after_existing_text),
	UNIT_CASE(append_escapes_quote_and_backslash),
	UNIT_CASE(append_escapes_control_bytes_as_u00xx),
	UNIT_CASE(append_escapes_embedded_nul),
	UNIT_CASE(append_passes_utf8_through),
	UNIT_CASE(append_fits_exactly),
	UNIT_CASE(append_overflow_restores_old_length),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
