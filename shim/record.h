/* Recording a trace: HOOK_TRACE or `trace start` names where (a path, a
 * FIFO, or fd:N); the frame thread packs each frame's record (header,
 * keyframes, deltas) into a ring, and a writer thread with every signal
 * blocked writes it out at once, so a killed game leaves every completed
 * record readable. */
#ifndef GH_RECORD_H
#define GH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "../common/trace.h"

/* Control thread (or start-up): open DEST and get ready; recording starts
 * with a header and a keyframe at the next capture. Returns 0, or -1 with
 * ERR set. */
int record_open(const char *dest, uint32_t keyframe_interval, char *err,
    size_t errlen);
/* True from record_open until the recording ends: frames are wanted. */
int record_active(void);
/* Frame thread: record frame F whose state BLOB (hashing to HASH) was
 * just brought up to date, NRUNS changes in RUNS (-1: too many, a
 * keyframe is due). */
void record_frame(int64_t f, int64_t vtime, const uint8_t *blob,
    uint64_t hash, const uint8_t *unreadable, const struct trace_run *runs,
    long nruns);
/* Frame thread: NS of real time went into capturing and packing. */
void record_account(int64_t ns);
/* Frame thread: no more frames; the writer drains what is queued. */
void record_end(void);
/* Control thread: wait up to MS for the writer to finish, then release
 * everything. Returns 0 when it finished, -1 when it had to be left
 * behind (a consumer that stopped reading). */
int record_close(int ms);

/* Whether the next recording opened keeps the screen in each record
 * (HOOK_TRACE_SCREEN, `trace start PATH --screen`). */
void record_screen(int on);

/* Whether the next recording opened keeps the presented picture in each
 * record, scaled to W x H (0: its own size) and in GRAY
 * (HOOK_TRACE_PIXELS, `trace start PATH --pixels`). */
void record_pixels(int on, int w, int h, int gray);
/* Read a pictures spec: "" or "full" (own size, RGB), "gray", "WxH",
 * "WxH,gray". Returns 0, or -1 when it is none of these. */
int record_pixels_parse(const char *spec, int *w, int *h, int *gray);

/* True when nothing is recorded and nothing is left to close. */
int record_idle(void);

/* What the recording is doing, for `info` (JSON object into BUF). */
void record_describe(char *buf, size_t len);
/* At exit: let the writer put out what is queued (bounded wait). */
void record_flush_at_exit(void);

#endif
