/* A game whose state holds a pointer that goes bad mid-run: from its 20th
 * turn to its 39th the block box_ptr points at is unmapped (the pointer
 * dangles), then a new block is mapped and pointed at. The shim must mark
 * the field unreadable for those frames and never fault. */
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

struct box {
	int32_t value;
	uint32_t turn;
};

struct box *box_ptr;
uint32_t turns;

static struct box *
new_box(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int
main(void)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	box_ptr = new_box();
	for (;;) {
		turns++;
		if (turns == 20)
			munmap(box_ptr, 4096);      /* box_ptr now dangles */
		if (turns == 40)
			box_ptr = new_box();
		if (turns < 20 || turns >= 40) {
			box_ptr->value = (int32_t)turns * 10;
			box_ptr->turn = turns;
		}
		nanosleep(&tick, NULL);
	}
}
