/* HOOK_SEED: one deterministic stream of bytes keyed by the seed, which
 * every hooked source of randomness (hook-random.c) draws from, and the
 * table of the game's descriptors open on /dev/urandom or /dev/random. */
#ifndef GH_SEED_H
#define GH_SEED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Descriptors below this are tracked; a higher one reads the real device. */
#define SEED_FDS 4096

/* The most one read() or getrandom() transfers on Linux (MAX_RW_COUNT). */
#define SEED_IO_MAX 0x7ffff000ul

/* Derive the keys from shim_cfg.seed and seed libc's generators (rand,
 * random, the rand48 family) as a game that never seeds them would find
 * them. Called once from the constructor, when HOOK_SEED is set, before
 * the hooks are active. */
void seed_init(void);

/* Fill BUF with the next N bytes of the stream. Lock-free: each call
 * reserves its own range of the counter with one atomic add, so callers
 * get disjoint ranges, in the order they make their calls. */
void seed_bytes(void *buf, size_t n);

/* A seed the game gives (srand's, srandom's) mixed with HOOK_SEED: the
 * game's value still matters, and so does HOOK_SEED. */
uint32_t seed_mix32(uint32_t x);

/* The same for wider values (the 48-bit rand48 state). */
uint64_t seed_mix64(uint64_t x);

/* Note that FD was just opened, as the game asked, on /dev/urandom or
 * /dev/random (remembering which file it is), or that it was closed or
 * now names something else. */
void seed_mark_fd(int fd);
void seed_unmark_fd(int fd);

/* For the read() hook: 1 when FD is a marked random descriptor (still open
 * on the file it was marked for) and the shim is seeding, after filling BUF
 * with N bytes of the stream and setting *RET to N; 0 otherwise, when the
 * real read() must run. */
int seed_read_fd(int fd, void *buf, size_t n, ssize_t *ret);

#endif
