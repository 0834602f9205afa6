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

/* Once, at start-up: the shim's own segments are never saved. */
void snapshot_init(void);

/* Memory the shim owns: never saved or restored. */
void snapshot_exclude(const void *addr, size_t len);
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

/* Frame thread, at a boundary. Save: returns 0 when saved, 1 when a later
 * load came back here (the game is as it was then), -1 with ERR set. */
int snapshot_save(const char *name, int64_t frame, char *err, size_t errlen);
/* Load: returns -1 with ERR set when it cannot (and then changed
 * nothing); on success it does not return here but through
 * snapshot_save. */
int snapshot_load(const char *name, char *err, size_t errlen);

/* The frame NAME was saved at, its size in bytes; -1 when none. */
int64_t snapshot_frame(const char *name, size_t *bytes);
/* Names and frames as a JSON array into BUF. */
void snapshot_list(char *buf, size_t len);

#endif
