/* HOOK_SEED's stream: a counter-based generator (splitmix64 over a key
 * derived from the seed and a 64-bit block counter), the mixing of the
 * game's own seeds with HOOK_SEED, and the table of random descriptors
 * the read() hook consults (see seed.h). */
#include <jansson.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "real.h"
#include "seed.h"
#include "shim.h"

#define GOLDEN 0x9e3779b97f4a7c15ull

static uint64_t stream_key;     /* keys the byte stream */
static uint64_t mix_key;        /* keys the mixing of the game's seeds */
static _Atomic uint64_t next_block;

/* Per descriptor: 0, or a key of the file (device, inode, rdev) it was
 * opened on, so a descriptor number reused behind the hooks' back (closed
 * by fclose, or by a dup2 over it) is not taken for a random one. */
static _Atomic uint64_t fd_file[SEED_FDS];

/* splitmix64's finaliser: a bijection that mixes every bit into every bit. */
static inline uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t
block(uint64_t i)
{
	return mix64(stream_key + (i + 1) * GOLDEN);
}

void
seed_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	if (n == 0)
		return;
	uint64_t i = atomic_fetch_add_explicit(&next_block, (n + 7) / 8,
	    memory_order_relaxed);
	for (; n >= 8; n -= 8, p += 8, i++) {
		uint64_t v = block(i);
		for (int k = 0; k < 8; k++)
			p[k] = (unsigned char)(v >> (8 * k));
	}
	if (n > 0) {
		uint64_t v = block(i);
		for (size_t k = 0; k < n; k++)
			p[k] = (unsigned char)(v >> (8 * k));
	}
}

uint64_t
seed_mix64(uint64_t x)
{
	return mix64(mix_key ^ mix64(x + GOLDEN));
}

uint32_t
seed_mix32(uint32_t x)
{
	return (uint32_t)(seed_mix64(x) >> 32);
}

void
seed_init(void)
{
	stream_key = mix64(shim_cfg.seed ^ 0x73656564u);          /* "seed" */
	mix_key = mix64(mix64(shim_cfg.seed) + 0x6d6978u);        /* "mix" */
	atomic_store(&next_block, 0);
	/* jansson seeds its hash function from /dev/urandom on the first
	 * object the shim makes (state_init, on the game's thread before
	 * main): that read would take the game's first bytes. Seed it here,
	 * deterministically, while the hooks are not yet active. */
	json_object_seed((size_t)(seed_mix32(0x6a616e73u) | 1));  /* "jans" */
	/* rand() and random() share glibc's one state, seeded with 1 until
	 * the game seeds it: what the srand hook makes of srand(1). */
	if (real_srandom != NULL)
		real_srandom(seed_mix32(1));
	/* rand48's state starts at 0 in glibc: what seed48({0, 0, 0}) sets
	 * (with the standard multiplier and addend), mixed as the seed48 hook
	 * mixes it. */
	if (real_seed48 != NULL) {
		uint64_t x = seed_mix64(0);
		unsigned short v[3] = { (unsigned short)x,
		    (unsigned short)(x >> 16), (unsigned short)(x >> 32) };
		real_seed48(v);
	}
}

static uint64_t
file_key(const struct stat *st)
{
	return mix64((uint64_t)st->st_dev ^ mix64((uint64_t)st->st_ino ^
	    mix64((uint64_t)st->st_rdev))) | 1;
}

void
seed_mark_fd(int fd)
{
	struct stat st;

	if (fd < 0 || fd >= SEED_FDS)
		return;
	if (fstat(fd, &st) != 0) {
		seed_unmark_fd(fd);
		return;
	}
	atomic_store_explicit(&fd_file[fd], file_key(&st), memory_order_relaxed);
}

void
seed_unmark_fd(int fd)
{
	if (fd < 0 || fd >= SEED_FDS)
		return;
	/* Load first: most descriptors were never marked, and a store would
	 * pull the line into every closing thread's cache for nothing. */
	if (atomic_load_explicit(&fd_file[fd], memory_order_relaxed) != 0)
		atomic_store_explicit(&fd_file[fd], 0, memory_order_relaxed);
}

int
seed_read_fd(int fd, void *buf, size_t n, ssize_t *ret)
{
	struct stat st;

	if ((unsigned)fd >= SEED_FDS)
		return 0;
	uint64_t key = atomic_load_explicit(&fd_file[fd], memory_order_relaxed);
	if (likely(key == 0) || !shim_on() || !shim_cfg.seeded)
		return 0;
	/* Still the file it was marked for? (A syscall, but in place of the
	 * read's own.) */
	if (fstat(fd, &st) != 0 || file_key(&st) != key) {
		atomic_compare_exchange_strong(&fd_file[fd], &key, 0);
		return 0;
	}
	if (n > SEED_IO_MAX)
		n = SEED_IO_MAX;
	if (n > 0 && is_null(buf))
		return 0;     /* the real read() reports EFAULT */
	seed_bytes(buf, n);
	*ret = (ssize_t)n;
	return 1;
}
