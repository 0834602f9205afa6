/* A game whose state lives in memory that comes and goes, for write
 * tracking: a turn a frame (nanosleep), each writing a few words of every
 * area at places that move with the turn, then its own checksum of every
 * area read back (`sum`, so memory a load failed to put back shows in the
 * next frame's sum). On a schedule, by turn:
 *   10, 60  the brk heap grows (sbrk) and `heap` covers the new words too;
 *   20, 70  `fixed` is replaced in place by a new mapping (MAP_FIXED) that
 *           holds other values;
 *   30      `moving` grows with mremap, allowed to move;
 *   40      `gone` is unmapped (the pointer dangles, unreadable);
 *   50      `gone` is mapped anew;
 *   80      `moving` shrinks in place.
 * The three mapped areas sit in slots of a reservation (PROT_NONE
 * between them), so that each is a mapping of its own and the move really
 * moves. Nothing depends on addresses: two runs give the same values. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define BIG_WORDS (1u << 18)       /* 1 MiB in .bss */
#define FIXED_WORDS (4 * PAGE / 4)
#define MOVING_WORDS (4 * PAGE / 4)
#define GONE_WORDS (2 * PAGE / 4)
#define HEAP_STEP (4 * PAGE / 4)

uint32_t turns, sum;
uint32_t big[BIG_WORDS];
uint32_t *fixed, *moving, *heap, *gone;
uint32_t moving_words, heap_words, gone_words;
static uint8_t *slots;

static void *
map(void *at, size_t bytes)
{
	void *p = mmap(at, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | (at ? MAP_FIXED : 0), -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* A few words of A (N words) written, at places set by the turn. */
static void
scribble(uint32_t *a, uint32_t n, uint32_t salt)
{
	for (uint32_t k = 0; k < 4 && n; k++)
		a[(turns * 7919u + k * 1031u + salt) % n] = turns * 31u + k + salt;
}

static uint32_t
fnv(uint32_t h, const uint32_t *a, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

static void
schedule(void)
{
	if (turns == 10 || turns == 60) {
		uint32_t *more = sbrk(HEAP_STEP * 4);
		if (more != (void *)-1 && more == heap + heap_words)
			heap_words += HEAP_STEP;
	}
	if (turns == 20 || turns == 70) {
		fixed = map(fixed, FIXED_WORDS * 4);
		for (uint32_t i = 0; i < FIXED_WORDS; i += 97)
			fixed[i] = turns + i;
	}
	if (turns == 30) {
		void *p = mremap(moving, MOVING_WORDS * 4, 2 * MOVING_WORDS * 4,
		    MREMAP_MAYMOVE);
		if (p != MAP_FAILED) {
			moving = p;
			moving_words = 2 * MOVING_WORDS;
		}
	}
	if (turns == 80 && mremap(moving, 2 * MOVING_WORDS * 4, MOVING_WORDS * 4,
	    0) != MAP_FAILED)
		moving_words = MOVING_WORDS;
	if (turns == 40) {
		munmap(gone, GONE_WORDS * 4);
		gone_words = 0;
	}
	if (turns == 50) {
		gone = map(slots + 20 * PAGE, GONE_WORDS * 4);
		gone_words = GONE_WORDS;
	}
}

int
main(void)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	slots = mmap(NULL, 32 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (slots == MAP_FAILED)
		return 1;
	fixed = map(slots + PAGE, FIXED_WORDS * 4);
	moving = map(slots + 8 * PAGE, MOVING_WORDS * 4);
	gone = map(slots + 20 * PAGE, GONE_WORDS * 4);
	heap = sbrk(HEAP_STEP * 4);
	if (fixed == NULL || moving == NULL || gone == NULL ||
	    heap == (void *)-1)
		return 1;
	memset(heap, 0, HEAP_STEP * 4);
	moving_words = MOVING_WORDS;
	heap_words = HEAP_STEP;
	gone_words = GONE_WORDS;
	for (;;) {
		turns++;
		schedule();
		scribble(big, BIG_WORDS, 1);
		scribble(fixed, FIXED_WORDS, 2);
		scribble(moving, moving_words, 3);
		scribble(heap, heap_words, 4);
		scribble(gone, gone_words, 5);
		uint32_t h = 2166136261u;
		h = fnv(h, big, BIG_WORDS);
		h = fnv(h, fixed, FIXED_WORDS);
		h = fnv(h, moving, moving_words);
		h = fnv(h, heap, heap_words);
		sum = fnv(h, gone, gone_words);
		nanosleep(&tick, NULL);
	}
}
