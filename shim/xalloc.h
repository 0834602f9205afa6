/* The X libraries' memory, kept out of snapshots: what libX11, libxcb and
 * their siblings (libXext, libXi, libXrandr, libxcb-glx, ...) allocate
 * comes from an arena no save copies and no load rewinds, because their
 * heap holds the connection's request sequence numbers, its reply queue
 * and its resource-id allocator: rewound, the client and the X server no
 * longer agree, and Xlib closes the connection at the next reply.
 *
 * Which calls: malloc, calloc, realloc, reallocarray and free are hooked
 * (hook-malloc.c); a call whose caller's address lies in an X library's
 * code (learnt from the loaded objects, again after the dynamic linker
 * allocated: that is how a dlopen shows) is served here, every other by
 * glibc's __libc_malloc and friends. free and realloc go by the pointer's
 * home, not the caller.
 *
 * Freeing: a chunk a live snapshot may still hold (born before that
 * snapshot, freed after it) is not reused while that snapshot lives; a
 * load of such a snapshot gives it back to the game (it held it then). */
#ifndef GH_XALLOC_H
#define GH_XALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Whether malloc and its family are hooked: not under AddressSanitizer or
 * ThreadSanitizer, whose runtimes own them (the X libraries' memory is
 * then rewound with the rest). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define XALLOC_HOOKS 0
#else
#define XALLOC_HOOKS 1
#endif

/* Once, from the constructor of a driven process: reserve the arena.
 * Before it, and when HOOK_XARENA=0, everything goes to glibc. */
void xalloc_init(void);

/* Whether CALLER (a return address) is in an X library's code. A few
 * compares; may rescan the loaded objects after the dynamic linker
 * allocated. */
int xalloc_caller(const void *caller);
/* Whether P is a chunk of the arena. */
int xalloc_owns(const void *p);

void *xalloc_malloc(size_t n);
void *xalloc_calloc(size_t n, size_t size);
/* P is the arena's (or NULL). */
void *xalloc_realloc(void *p, size_t n);
void xalloc_free(void *p);
size_t xalloc_usable(const void *p);

/* Snapshots (frame thread): a save is about to copy memory; returns its
 * id (chunks allocated from now on are not in it). */
uint32_t xalloc_save_begin(void);
/* Snapshot ID is gone (dropped, or saved over): deferred chunks only it
 * held are reused. */
void xalloc_dropped(uint32_t id);
/* Snapshot ID was loaded: the chunks it held and that were freed since
 * are the game's again. */
void xalloc_loaded(uint32_t id);

/* Figures for `info` and the tests: bytes handed out now, bytes whose
 * free waits for a snapshot, and the X libraries' code ranges known. */
void xalloc_stats(size_t *live, size_t *deferred, int *libs);

#endif
