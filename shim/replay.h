/* Replaying a trace's inputs (HOOK_REPLAY=FILE, set by `dumper replay`):
 * the inputs recorded in the trace are delivered again at their frames,
 * by the frame thread, and the control thread's own input commands are
 * refused meanwhile. */
#ifndef GH_REPLAY_H
#define GH_REPLAY_H

#include <stdint.h>

/* Map the inputs file at PATH (common/replayfile.h). Returns 0, or -1
 * with ERR set. */
int replay_init(const char *path, char *err, size_t errlen);
/* True while inputs come from the trace. */
int replay_active(void);
/* Frame thread, at boundary F: deliver what the trace has for frame F+1
 * (keys tagged for it, key holds, `set` writes). */
void replay_feed(int64_t f);

#endif
