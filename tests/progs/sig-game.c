/* A game built stripped, whose state a layout can find only by byte
 * signatures: `tagged` by the magic bytes it starts with (a data
 * signature), `counter` through the RIP-relative lea that counter_ref()
 * executes (a code signature with a rel32). Each turn adds 1 to counter
 * and 2 to tagged.score. */
#include <stdint.h>
#include <time.h>

struct tagged {
	char magic[8];
	int32_t score;
	int32_t lives;
};

struct tagged tagged = { "GHSIGNA\001", 0, 3 };
uint32_t counter;

uint32_t *counter_ref(void);

/* movabs $0x1122334455667788, %rax; lea counter(%rip), %rax; ret: the
 * immediate makes the code signature unique. */
__asm__(".text\n"
    ".globl counter_ref\n"
    ".type counter_ref, @function\n"
    "counter_ref:\n"
    "\tmovabsq $0x1122334455667788, %rax\n"
    "\tleaq counter(%rip), %rax\n"
    "\tret\n");

int
main(void)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (;;) {
		*counter_ref() += 1;
		tagged.score += 2;
		nanosleep(&tick, NULL);
	}
}
