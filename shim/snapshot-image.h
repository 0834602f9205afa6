/* Where snapshots keep the game's memory (snapshot-image.c): an image is
 * the saved regions' bytes laid end to end, then scratch room (the frame
 * thread's stack image). A *root* image is a memfd of its own, mapped
 * shared; a *child* image maps parts of a root's memfd privately
 * (copy-on-write: the pages it never writes stay the root's page cache)
 * and holds only what differs. A root another image maps is never written
 * in place again: its bytes are what its children stand on. Frame thread
 * only (saves and loads); nothing is allocated. */
#ifndef GH_SNAPSHOT_IMAGE_H
#define GH_SNAPSHOT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

struct snap_image {
	uint8_t *mem;               /* NULL: none */
	size_t size;                /* bytes of the mapping */
	int root;                   /* the memfd it maps, -1: none */
	int owner;                  /* it is that memfd's own shared mapping */
};

/* A new root image of SIZE bytes for the regions R[0..N) (laid end to
 * end from offset 0) whose bytes will be those of write tracking's MARK
 * (0: unknown). Returns 0, or -1 with ERR set. */
int simg_new_root(struct snap_image *im, size_t size, const struct mrange *r,
    int n, uint32_t mark, char *err, size_t errlen);

/* The root whose image a new one for R[0..N) would best stand on now: the
 * bytes a child of it copies from the game (written since its mark where
 * its regions cover R, all of the rest) into *COST. -1 when none is
 * usable (none kept, write tracking off). Call after wtrack_sync. */
int simg_best_root(const struct mrange *r, int n, size_t *cost);

/* A new child image of SIZE bytes for R[0..N), standing on root ROOT.
 * Returns 0, or -1 with ERR set (then make a root). */
int simg_new_child(struct snap_image *im, size_t size, int root,
    const struct mrange *r, int n, char *err, size_t errlen);

/* Copy the game's regions R[0..N) into the new image IM: for a child, the
 * pages written since its root's mark where the root covers them, the
 * rest whole; for a root, everything. Returns the bytes copied. */
size_t simg_fill(struct snap_image *im, const struct mrange *r, int n);

/* Copy [LO, HI) of the game to IMG (TO_GAME: from IMG to the game): only
 * the pages written since MARK when write tracking knows them (MARK
 * non-zero), else all. Returns the bytes copied. */
size_t simg_copy(uintptr_t lo, uintptr_t hi, uint8_t *img, uint32_t mark,
    int to_game);

/* Whether IM may be written in place (a save over its name): a child, or
 * a root no child maps. */
int simg_writable(const struct snap_image *im);

/* IM (writable) now holds R[0..N) as of MARK: a root's record follows. */
void simg_saved_in_place(struct snap_image *im, const struct mrange *r,
    int n, uint32_t mark);

/* Unmap IM; a root goes when no image maps it any more. NULL-safe. */
void simg_free(struct snap_image *im);

/* For info: roots kept, the bytes their memfds hold, children. */
void simg_stats(int *roots, size_t *root_bytes, int *children);

#endif
