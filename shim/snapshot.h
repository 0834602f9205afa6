/* Snapshots of the whole game, kept in memory: `save NAME` copies every
 * writable private mapping of the game (not the shim's own memory, nor its
 * threads') and the frame thread's stack and registers at the boundary;
 * `load NAME` writes them back, puts the virtual clock and the sleeping
 * threads' deadlines back, and resumes the frame thread where it was
 * saved. `reset` loads "@start", taken at the first frame boundary. */
#ifndef GH_SNAPSHOT_H
#define GH_SNAPSHOT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_START "@start"
#define SNAPSHOT_MAX 16
/* The most memory regions a snapshot holds. */
#define SNAPSHOT_REGIONS 1024

/* A range of addresses, [lo, hi). */
struct mrange {
	uintptr_t lo, hi;
};

/* Once, at start-up: the shim's own segments are never saved. */
void snapshot_init(void);

/* Memory the shim owns: never saved or restored. */
void snapshot_exclude(const void *addr, size_t len);
/* Memory at ADDR (as given to snapshot_exclude) is no longer the shim's. */
void snapshot_unexclude(const void *addr);
/* Set ATTR to a stack of SIZE bytes the shim owns (never saved or
 * restored), for one of the shim's own threads: excluded before the
 * thread exists, so no save can catch it half-registered. Returns 0 or
 * -1. */
int snapshot_shim_stack(pthread_attr_t *attr, size_t size);

/* The calling thread's stack (the game's other threads): never saved or
 * restored; forget it when the thread ends. */
void snapshot_exclude_my_stack(void);
void snapshot_forget_my_stack(void);
/* The calling thread allocates for the shim: its malloc arena is the
 * shim's (call after its first malloc). */
void snapshot_exclude_my_arena(const void *allocated);

/* The memory a snapshot covers (and write tracking follows): the game's
 * private writable mappings, less the shim's own memory and the stacks of
 * the game's other threads, in address order, page-aligned, into OUT (at
 * most MAX); the main thread's stack apart, into *STACK. Any thread; no
 * allocation. Returns the count, or -1 with ERR set (maps unreadable, more
 * than MAX regions). */
int snapshot_regions(struct mrange *out, int max, struct mrange *stack,
    char *err, size_t errlen);

/* Frame thread, at a boundary. Save: returns 0 when saved, 1 when a later
 * load came back here (the game is as it was then), -1 with ERR set. */
int snapshot_save(const char *name, int64_t frame, char *err, size_t errlen);
/* Load: returns -1 with ERR set when it cannot (and then changed
 * nothing); on success it does not return here but through
 * snapshot_save. */
int snapshot_load(const char *name, char *err, size_t errlen);

/* Frame thread: forget NAME (its image goes once no other stands on
 * it). Returns 0, or -1 with ERR set (no such snapshot). */
int snapshot_drop(const char *name, char *err, size_t errlen);

/* The request slot between the control thread and the frame thread
 * (snapshot-req.c): a save, a load or a drop is served at one fixed place of the
 * boundary, so that a load comes back through the place its save was made. */
enum { SNAP_SAVE = 1, SNAP_LOAD = 2, SNAP_DROP = 3 };
/* Control thread: ask; returns -1 when a request is in flight already. */
int snapshot_post(int kind, const char *name);
/* Control thread: 1 when the request is done, with its result (0 saved,
 * 1 loaded, -1 failed with ERR) and the frame the game is at now. */
int snapshot_done(int *result, int64_t *frame, char *err, size_t errlen);
/* Frame thread, at the boundary of frame F: serve a posted request, if
 * any. A save returns here at once; a load that works comes back through
 * the save it loads (here, or in snapshot_keep_start). Returns 1 when one
 * was served. */
int snapshot_serve(int64_t f);
/* Frame thread, at the first boundary in lockstep: keep it as
 * SNAPSHOT_START, before any request (a `reset` sent early waits for it).
 * A reset comes back here. */
void snapshot_keep_start(int64_t f);

/* The bytes of game memory the last save or load copied: all of it for a
 * name's first save (or without write tracking), else only the pages
 * written since (see wtrack.h). */
size_t snapshot_last_copied(void);

/* The frame NAME was saved at, its size in bytes; -1 when none. */
int64_t snapshot_frame(const char *name, size_t *bytes);
/* Names and frames as a JSON array into BUF. */
void snapshot_list(char *buf, size_t len);
/* Where their bytes are, as a JSON object into BUF: roots kept (memfds
 * holding full copies, named or stood on), their bytes, children (images
 * standing on a root), and whether a spare image is kept. */
void snapshot_images(char *buf, size_t len);

#endif
