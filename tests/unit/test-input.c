/* Proves the injected-input queue (shim/input.h): a key queued for frame F
 * is readable only once frame F has begun, keys come out first in first
 * out, as curses codes or as the bytes of their sequences however read()
 * slices them; held keys come once per frame until released; the queue and
 * the held set refuse more than they hold. The module is one global queue,
 * so every case leaves it empty and frames only move forward. */
#include <curses.h>
#include <string.h>

#include "../../shim/input.h"
#include "keys.h"
#include "unit.h"

/* The last frame begun; cases only move it forward. */
static int64_t frame;

static void
begin_frame(int64_t f)
{
	frame = f;
	input_frame_begin(f);
}

static struct key_def
key(const char *name)
{
	struct key_def k;

	if (key_lookup(name, &k) != 0)
		FAIL("test bug: unknown key name '%s'", name);
	return k;
}

static struct key_def
byte_key(unsigned char c)
{
	struct key_def k;

	key_from_byte(c, &k);
	return k;
}

/* A key with its own code, for counting many distinct keys. */
static struct key_def
numbered_key(int n)
{
	struct key_def k = { .code = 1000 + n, .seqlen = 2 };

	k.seq[0] = (unsigned char)(n >> 8);
	k.seq[1] = (unsigned char)n;
	return k;
}

/* At most this many keys can be readable at once; a loop taking more has
 * found a key that never runs out. */
#define TAKE_MAX (INPUT_RING + INPUT_HELD_MAX + KEY_SEQ_MAX)

/* Take everything readable now; the count. */
static int
drain(void)
{
	int code, n = 0;

	while (n <= TAKE_MAX && input_take_code(&code))
		n++;
	return n;
}

/* Every case starts from an empty queue with nothing held. */
static void
starts_empty(void)
{
	int code = -5;
	unsigned char b[4];

	CHECK_EQ_INT(input_pending(), 0);
	CHECK_EQ_INT(input_take_code(&code), 0);
	CHECK_EQ_INT(code, -5);
	CHECK_EQ_INT(input_take_bytes(b, sizeof b), 0);
	CHECK_EQ_INT(input_space(), INPUT_RING);
}

static void
keys_wait_for_their_frame(void)
{
	struct key_def a = byte_key('a'), b = byte_key('b'), c = byte_key('c');
	int code = 0;

	begin_frame(10);
	CHECK_EQ_INT(input_push(&a, 11), 0);
	CHECK_EQ_INT(input_push(&b, 11), 0);
	CHECK_EQ_INT(input_push(&c, 12), 0);
	CHECK_EQ_INT(input_space(), INPUT_RING - 3);
	CHECK_EQ_INT(input_pending(), 0);
	CHECK_EQ_INT(input_take_code(&code), 0);

	begin_frame(11);
	CHECK_EQ_INT(input_pending(), 1);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'a');
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'b');
	CHECK_EQ_INT(input_pending(), 0);        /* 'c' is for frame 12 */
	CHECK_EQ_INT(input_take_code(&code), 0);

	begin_frame(12);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'c');
	CHECK_EQ_INT(input_pending(), 0);
	CHECK_EQ_INT(input_space(), INPUT_RING);
}

static void
keys_for_past_frames_are_readable_now(void)
{
	struct key_def x = byte_key('x');
	int code = 0;

	begin_frame(20);
	CHECK_EQ_INT(input_push(&x, 3), 0);
	CHECK_EQ_INT(input_pending(), 1);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'x');
	CHECK_EQ_INT(drain(), 0);
}

static void
keys_come_out_in_push_order(void)
{
	const char *names[] = { "left", "a", "enter", "f1", "C-c", "z", "up" };
	size_t n = sizeof names / sizeof names[0];
	int code;

	begin_frame(30);
	for (size_t i = 0; i < n; i++) {
		struct key_def k = key(names[i]);
		CHECK_EQ_INT(input_push(&k, 31), 0);
	}
	begin_frame(31);
	for (size_t i = 0; i < n; i++) {
		struct key_def k = key(names[i]);
		if (!CHECK_EQ_INT(input_take_code(&code), 1))
			break;
		if (!CHECK_EQ_INT(code, k.code))
			FAIL("key %zu ('%s') out of order", i, names[i]);
	}
	CHECK_EQ_INT(drain(), 0);
}

static void
take_bytes_gives_sequences(void)
{
	struct key_def left = key("left"), q = byte_key('q'), f5 = key("f5");
	unsigned char buf[32];

	begin_frame(40);
	input_push(&left, 40);
	input_push(&q, 40);
	input_push(&f5, 40);
	CHECK_EQ_INT(input_take_bytes(buf, sizeof buf), 3 + 1 + 5);
	CHECK_EQ_MEM(buf, "\033[Dq\033[15~", 9);
	CHECK_EQ_INT(input_pending(), 0);
	CHECK_EQ_INT(input_take_bytes(buf, sizeof buf), 0);
}

static void
take_bytes_splits_sequence_over_one_byte_reads(void)
{
	struct key_def left = key("left"), q = byte_key('q');
	unsigned char c = 0;

	begin_frame(50);
	input_push(&left, 50);
	input_push(&q, 50);
	CHECK_EQ_INT(input_take_bytes(&c, 1), 1);
	CHECK_EQ_INT(c, 033);
	CHECK_EQ_INT(input_pending(), 1);       /* the rest is still due */
	CHECK_EQ_INT(input_take_bytes(&c, 1), 1);
	CHECK_EQ_INT(c, '[');
	CHECK_EQ_INT(input_take_bytes(&c, 1), 1);
	CHECK_EQ_INT(c, 'D');
	CHECK_EQ_INT(input_take_bytes(&c, 1), 1);
	CHECK_EQ_INT(c, 'q');
	CHECK_EQ_INT(input_pending(), 0);
	CHECK_EQ_INT(input_take_bytes(&c, 1), 0);
}

static void
take_bytes_splits_sequence_over_uneven_reads(void)
{
	struct key_def f5 = key("f5"), up = key("up");
	unsigned char buf[8];

	begin_frame(55);
	input_push(&f5, 55);
	input_push(&up, 55);
	CHECK_EQ_INT(input_take_bytes(buf, 2), 2);
	CHECK_EQ_MEM(buf, "\033[", 2);
	CHECK_EQ_INT(input_take_bytes(buf, 4), 4);
	CHECK_EQ_MEM(buf, "15~\033", 4);
	CHECK_EQ_INT(input_take_bytes(buf, 8), 2);
	CHECK_EQ_MEM(buf, "[A", 2);
	CHECK_EQ_INT(input_take_bytes(buf, 8), 0);
	CHECK_EQ_INT(input_take_bytes(buf, 0), 0);
}

static void
held_key_comes_once_per_frame(void)
{
	struct key_def h = byte_key('h');
	int code = 0;

	begin_frame(60);
	CHECK_EQ_INT(input_hold(&h), 0);
	CHECK_EQ_INT(input_pending(), 1);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'h');
	CHECK_EQ_INT(input_pending(), 0);
	CHECK_EQ_INT(input_take_code(&code), 0);

	begin_frame(61);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'h');
	CHECK_EQ_INT(input_take_code(&code), 0);

	/* Holding it again changes nothing. */
	CHECK_EQ_INT(input_hold(&h), 0);
	CHECK_EQ_INT(input_take_code(&code), 0);
	begin_frame(62);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(input_take_code(&code), 0);
	CHECK_EQ_INT(input_release(&h), 0);
}

static void
held_key_comes_after_queued_keys(void)
{
	struct key_def h = byte_key('h'), q = byte_key('q');
	int code = 0;

	begin_frame(70);
	CHECK_EQ_INT(input_hold(&h), 0);
	CHECK_EQ_INT(drain(), 1);
	input_push(&q, 71);
	input_push(&q, 71);
	begin_frame(71);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'q');
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'q');
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'h');
	CHECK_EQ_INT(input_take_code(&code), 0);

	/* A key queued later in the same frame is still readable. */
	input_push(&q, 71);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, 'q');
	CHECK_EQ_INT(input_take_code(&code), 0);
	CHECK_EQ_INT(input_release(&h), 0);
}

static void
held_key_bytes_come_once_per_frame(void)
{
	struct key_def right = key("right");
	unsigned char buf[16];

	begin_frame(80);
	CHECK_EQ_INT(input_hold(&right), 0);
	CHECK_EQ_INT(input_take_bytes(buf, sizeof buf), 3);
	CHECK_EQ_MEM(buf, "\033[C", 3);
	CHECK_EQ_INT(input_take_bytes(buf, sizeof buf), 0);
	begin_frame(81);
	CHECK_EQ_INT(input_take_bytes(buf, 1), 1);
	CHECK_EQ_INT(buf[0], 033);
	CHECK_EQ_INT(input_take_bytes(buf, sizeof buf), 2);
	CHECK_EQ_MEM(buf, "[C", 2);
	CHECK_EQ_INT(input_take_bytes(buf, sizeof buf), 0);
	CHECK_EQ_INT(input_release(&right), 0);
}

static void
release_stops_held_key(void)
{
	struct key_def h = key("left");
	int code = 0;

	begin_frame(90);
	CHECK_EQ_INT(input_hold(&h), 0);
	CHECK_EQ_INT(input_take_code(&code), 1);
	CHECK_EQ_INT(code, KEY_LEFT);
	CHECK_EQ_INT(input_release(&h), 0);
	begin_frame(91);
	CHECK_EQ_INT(input_pending(), 0);
	CHECK_EQ_INT(input_take_code(&code), 0);
	begin_frame(92);
	CHECK_EQ_INT(input_take_code(&code), 0);
}

static void
release_of_key_not_held_fails(void)
{
	struct key_def a = byte_key('a'), b = byte_key('b');
	struct key_def up = key("up"), down = key("down");

	CHECK_EQ_INT(input_release(&a), -1);
	CHECK_EQ_INT(input_hold(&a), 0);
	CHECK_EQ_INT(input_release(&b), -1);
	CHECK_EQ_INT(input_release(&a), 0);
	CHECK_EQ_INT(input_release(&a), -1);   /* twice */
	/* Same length, different bytes. */
	CHECK_EQ_INT(input_hold(&up), 0);
	CHECK_EQ_INT(input_release(&down), -1);
	CHECK_EQ_INT(input_release(&up), 0);
	begin_frame(100);
	CHECK_EQ_INT(drain(), 0);
}

static void
hold_refuses_more_than_held_max(void)
{
	struct key_def extra = numbered_key(INPUT_HELD_MAX);
	struct key_def first = numbered_key(0);
	int code, seen = 0, taken = 0;

	for (int i = 0; i < INPUT_HELD_MAX; i++) {
		struct key_def k = numbered_key(i);
		CHECK_EQ_INT(input_hold(&k), 0);
	}
	CHECK_EQ_INT(input_hold(&extra), -1);
	CHECK_EQ_INT(input_hold(&first), 0);   /* already held: fine */

	begin_frame(110);
	for (int i = 0; i <= TAKE_MAX && input_take_code(&code); i++) {
		if (!CHECK(code >= 1000 && code < 1000 + INPUT_HELD_MAX))
			break;
		seen |= 1 << (code - 1000);
		taken++;
	}
	CHECK_EQ_INT(taken, INPUT_HELD_MAX);    /* each once */
	CHECK_EQ_INT(seen, (1 << INPUT_HELD_MAX) - 1);

	/* A released slot takes a new key. */
	CHECK_EQ_INT(input_release(&first), 0);
	CHECK_EQ_INT(input_hold(&extra), 0);
	CHECK_EQ_INT(input_release(&extra), 0);
	for (int i = 1; i < INPUT_HELD_MAX; i++) {
		struct key_def k = numbered_key(i);
		CHECK_EQ_INT(input_release(&k), 0);
	}
	begin_frame(111);
	CHECK_EQ_INT(drain(), 0);
}

static void
queue_full_refuses_push(void)
{
	struct key_def k;
	int code, in_order = 1, n = 0;

	begin_frame(120);
	for (int i = 0; i < INPUT_RING; i++) {
		k = numbered_key(i);
		if (!CHECK_EQ_INT(input_push(&k, 121), 0))
			return;
	}
	CHECK_EQ_INT(input_space(), 0);
	k = byte_key('!');
	CHECK_EQ_INT(input_push(&k, 121), -1);
	CHECK_EQ_INT(input_push(&k, 0), -1);
	CHECK_EQ_INT(input_pending(), 0);      /* all for frame 121 */

	begin_frame(121);
	while (n <= TAKE_MAX && input_take_code(&code)) {
		if (code != 1000 + n)
			in_order = 0;
		n++;
	}
	CHECK_EQ_INT(n, INPUT_RING);
	CHECK(in_order);
	CHECK_EQ_INT(input_space(), INPUT_RING);
	CHECK_EQ_INT(input_push(&k, 121), 0);
	CHECK_EQ_INT(drain(), 1);
}

static void
queue_wraps_around(void)
{
	int code, ok = 1;

	/* Walk the indices across the end of the ring a few times. */
	begin_frame(130);
	for (int i = 0; i < 3 * INPUT_RING + 7; i++) {
		struct key_def k = numbered_key(i % 4000);
		if (input_push(&k, 130) != 0 || !input_take_code(&code) ||
		    code != 1000 + i % 4000) {
			ok = 0;
			break;
		}
	}
	CHECK(ok);
	CHECK_EQ_INT(input_space(), INPUT_RING);
	CHECK_EQ_INT(drain(), 0);
}

static void
ignore_real_flag_is_kept(void)
{
	input_set_ignore_real(1);
	CHECK_EQ_INT(input_ignore_real(), 1);
	input_set_ignore_real(0);
	CHECK_EQ_INT(input_ignore_real(), 0);
	input_set_ignore_real(1);
	CHECK_EQ_INT(input_ignore_real(), 1);
	input_set_ignore_real(0);
}

static void
ends_empty(void)
{
	starts_empty();
	CHECK_GE_INT(frame, 130);
}

static const struct unit_case cases[] = {
	UNIT_CASE(starts_empty),
	UNIT_CASE(keys_wait_for_their_frame),
	UNIT_CASE(keys_for_past_frames_are_readable_now),
	UNIT_CASE(keys_come_out_in_push_order),
	UNIT_CASE(take_bytes_gives_sequences),
	UNIT_CASE(take_bytes_splits_sequence_over_one_byte_reads),
	UNIT_CASE(take_bytes_splits_sequence_over_uneven_reads),
	UNIT_CASE(held_key_comes_once_per_frame),
	UNIT_CASE(held_key_comes_after_queued_keys),
	UNIT_CASE(held_key_bytes_come_once_per_frame),
	UNIT_CASE(release_stops_held_key),
	UNIT_CASE(release_of_key_not_held_fails),
	UNIT_CASE(hold_refuses_more_than_held_max),
	UNIT_CASE(queue_full_refuses_push),
	UNIT_CASE(queue_wraps_around),
	UNIT_CASE(ignore_real_flag_is_kept),
	UNIT_CASE(ends_empty),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
