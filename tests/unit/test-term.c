/* Proves the emulated terminal (shim/term.h): bytes fed in pieces come out
 * as the screen a terminal shows (text, DEC line drawing as Unicode
 * glyphs, UTF-8, colours and attributes as runs, the cursor), a pty's size
 * and its change are followed, the ring keeps order across many wraps, a
 * full ring counts what it lost and goes on, threads feeding at once lose
 * nothing; and none of it takes a byte of the heap (libvterm's memory is
 * the shim's own mapping), which is what keeps an observed run identical
 * to an unobserved one. The module is one global terminal: cases run in
 * order and leave it drained. */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../shim/term.h"
#include "unit.h"

/* The shim's log and snapshot registry, which term.c reports to. */
static int logged;
void hlog(const char *fmt, ...);
void snapshot_exclude(const void *addr, size_t len);

void
hlog(const char *fmt, ...)
{
	(void)fmt;
	logged++;
}

void
snapshot_exclude(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

/* Bytes in use on the heap: ASan's count under ASan, else mallinfo2's. */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t
heap_in_use(void)
{
	if (__sanitizer_get_current_allocated_bytes != NULL)
		return __sanitizer_get_current_allocated_bytes();
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}

static void
feed(const char *s)
{
	term_init();    /* once; every case may run alone */
	term_feed(-1, s, strlen(s));
}

static const char *
row(int y)
{
	static char buf[4096];
	term_row(y, buf, sizeof buf);
	return buf;
}

/* Fill the stack below the caller with junk, where the next call's locals
 * will be. */
static __attribute__((noinline)) void
poison_stack(void)
{
	volatile char junk[16384];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = 0x41;
}

static void
heap_measure_sees_an_allocation(void)
{
	/* The control: the measure moves when the heap is used. */
	size_t before = heap_in_use();
	void *volatile p = malloc(100000);
	CHECK_GE_INT(heap_in_use(), before + 100000);
	free(p);
}

static void
text_lines_and_glyphs_without_the_heap(void)
{
	size_t before = heap_in_use();
	term_init();
	feed("\033[2J\033[Hhello");
	feed(" world\r\n\033(0lqqk\033(B x\r\n");
	feed("caf\xc3\xa9 \xe2\x94\x80 end\033[3;20H");   /* UTF-8, split below */
	feed("\xe2");
	feed("\x94\x82");
	term_drain();
	CHECK_EQ_U64(heap_in_use(), before);
	CHECK(term_seen());
	CHECK_EQ_STR(row(0), "hello world");
	CHECK_EQ_STR(row(1), "┌──┐ x");
	CHECK_EQ_STR(row(2), "café ─ end         │");
	CHECK_EQ_STR(row(3), "");
	int rows, cols, cy, cx;
	term_size(&rows, &cols);
	CHECK_EQ_INT(rows, 24);
	CHECK_EQ_INT(cols, 80);
	term_cursor(&cy, &cx);
	CHECK_EQ_INT(cy, 2);
	CHECK_EQ_INT(cx, 20);
}

static void
attrs_as_runs(void)
{
	char buf[8192];
	size_t len = 0;
	size_t before = heap_in_use();

	feed("\033[5;1H\033[1mAB\033[0m\033[41m   \033[0m\033[7m \033[0m"
	    "\033[38;2;1;2;3mx\033[0m");
	term_drain();
	CHECK_EQ_INT(term_row_attrs(4, buf, sizeof buf, &len), 0);
	CHECK_EQ_STR(buf, "[[2,-1,-1,\"b\"],[3,-1,1,\"\"],[1,-1,-1,\"r\"],"
	    "[1,\"#010203\",-1,\"\"],[73,-1,-1,\"\"]]");
	CHECK_EQ_U64(heap_in_use(), before);
	/* Too small a buffer: an error, not an overflow. */
	len = 0;
	CHECK_EQ_INT(term_row_attrs(4, buf, 20, &len), -1);
}

static void
follows_the_ptys_size(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (!CHECK(m >= 0) || !CHECK(grantpt(m) == 0 && unlockpt(m) == 0))
		return;
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (!CHECK(s >= 0))
		return;
	term_init();
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	ioctl(s, TIOCSWINSZ, &ws);
	size_t before = heap_in_use();
	term_feed(s, "\033[30;95Hcorner", 14);
	term_drain();
	int rows, cols;
	term_size(&rows, &cols);
	CHECK_EQ_INT(rows, 30);
	CHECK_EQ_INT(cols, 100);
	CHECK_EQ_STR(row(29) + 94, "corner");
	ws.ws_row = 20;
	ws.ws_col = 60;
	ioctl(s, TIOCSWINSZ, &ws);
	term_feed(s, "\033[20;1Hsmall", 13);
	term_drain();
	term_size(&rows, &cols);
	CHECK_EQ_INT(rows, 20);
	CHECK_EQ_INT(cols, 60);
	CHECK_EQ_STR(row(19), "small");
	CHECK_EQ_U64(heap_in_use(), before);
	/* Back to no terminal (80x24) for the cases after. */
	term_feed(-1, "\033[H", 3);
	close(s);
	close(m);
	term_drain();
}

static void
order_kept_across_wraps(void)
{
	char line[128];
	/* 40,000 lines of ~40 bytes: the 1 MiB ring wraps many times, with a
	 * drain every 1,000 lines. */
	term_init();
	for (int i = 0; i < 40000; i++) {
		int n = snprintf(line, sizeof line, "\033[10;1H\033[Kline %d of "
		    "the long run", i);
		term_feed(-1, line, (size_t)n);
		if (i % 1000 == 999)
			term_drain();
	}
	term_drain();
	CHECK_EQ_STR(row(9), "line 39999 of the long run");
	CHECK_EQ_U64(term_lost(), 0);
}

static void
full_ring_counts_its_losses(void)
{
	static char blob[200000];
	memset(blob, 'z', sizeof blob);
	term_init();
	uint64_t lost = term_lost();
	for (int i = 0; i < 12; i++)    /* 2.4 MB without a drain */
		term_feed(-1, blob, sizeof blob);
	CHECK_GT_INT(term_lost() - lost, 0);
	term_drain();
	feed("\033[2J\033[Hafter");
	term_drain();
	CHECK_EQ_STR(row(0), "after");
}

static void *
feeder(void *arg)
{
	char c = *(char *)arg;
	for (int i = 0; i < 2000; i++)
		term_feed(-1, &c, 1);
	return NULL;
}

static void
threads_feeding_at_once_lose_nothing(void)
{
	static char letters[4] = { 'a', 'b', 'c', 'd' };
	pthread_t t[4];
	uint64_t lost = term_lost();
	feed("\033[2J\033[H\033[?7h");
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, feeder, &letters[i]);
	for (int k = 0; k < 50; k++)
		term_drain();
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	term_drain();
	CHECK_EQ_U64(term_lost(), lost);
	/* 8,000 letters from the top left: exactly 100 rows of 80, so the
	 * screen holds 24 full rows and the cursor waits at the last column;
	 * a byte lost or doubled would move it. */
	int n = 0;
	for (int y = 0; y < 24; y++)
		for (const char *p = row(y); *p; p++)
			n += *p >= 'a' && *p <= 'd';
	CHECK_EQ_INT(n, 24 * 80);
	int cy, cx;
	term_cursor(&cy, &cx);
	CHECK_EQ_INT(cy, 23);
	CHECK_EQ_INT(cx, 79);
}

static void
empty_cells_read_nothing_past_their_end(void)
{
	/* libvterm fills a cell's chars up to their 0 only: an empty cell's
	 * chars[1] is whatever the stack held (found under ASan, as junk
	 * between the blanks of a row). */
	term_init();
	feed("\033[2J\033[8;10HX");
	term_drain();
	poison_stack();
	CHECK_EQ_STR(row(7), "         X");
}

static const struct unit_case cases[] = {
	UNIT_CASE(heap_measure_sees_an_allocation),
	UNIT_CASE(text_lines_and_glyphs_without_the_heap),
	UNIT_CASE(attrs_as_runs),
	UNIT_CASE(follows_the_ptys_size),
	UNIT_CASE(order_kept_across_wraps),
	UNIT_CASE(full_ring_counts_its_losses),
	UNIT_CASE(threads_feeding_at_once_lose_nothing),
	UNIT_CASE(empty_cells_read_nothing_past_their_end),
};

int
main(int argc, char **argv)
{
	(void)logged;
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
