/* Traces (schema/FORMAT.md): the records of schema/trace.proto inside the
 * envelopes of rec.h. The writer's half runs in the game without
 * allocating once set up; the reader's half rebuilds each frame's state
 * from keyframes and deltas and reports damage. */
#ifndef GH_TRACE_H
#define GH_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "rec.h"

#define TRACE_FORMAT_VERSION 1
#define TRACE_KEYFRAME_DEFAULT 120
/* Changed bytes closer than this are sent as one run. */
#define TRACE_RUN_GAP 16
#define TRACE_INPUTS_MAX 256

struct trace_run {
	uint32_t off, len;
};

enum trace_input_kind { TI_KEY = 1, TI_KEYDOWN, TI_KEYUP, TI_SET, TI_SPEED,
	/* graphical games (shim/gfxin.h) */
	TI_KEY_PRESS, TI_KEY_RELEASE, TI_MOUSE_MOVE, TI_MOUSE_DOWN, TI_MOUSE_UP,
	TI_WHEEL, TI_TEXT };

struct trace_input {
	int kind;               /* enum trace_input_kind */
	int code;               /* curses key code */
	char name[64];          /* key name, or the field of a set */
	char value[64];         /* a set's value, a speed */
	uint8_t seq[16];        /* the key's terminal bytes */
	uint8_t seqlen;
	/* graphical input: code is the SDL2 keycode, value the text input */
	int32_t scancode, mod, x, y, button, wheel;
	uint32_t sdl1_sym, x_keysym, unicode;
};

/* A run's launch context (FORMAT.md, "Launch context"): NULL-terminated
 * arrays of strings; cols and rows 0 when the game had no terminal; term
 * NULL when TERM was unset. */
struct trace_context {
	char **argv;
	char **env;             /* NAME=VALUE, the shim's own variables apart */
	char **shim_env;        /* HOOK_*, GAMEHOOK_*, LD_PRELOAD */
	const char *cwd, *term;
	uint32_t cols, rows;
};

struct trace_header_info {
	const char *exe, *build_id, *layout_json, *layout_source, *version;
	uint32_t keyframe_interval, state_size;
	int seeded;
	uint64_t seed;
	double clock_rate;
	int64_t start_frame, start_vtime_ns, start_unix_ns;
	int pid;
	const struct trace_context *ctx;   /* NULL: not known */
};

/* --- writer --- */

/* Differences between OLD and NEW (SIZE bytes) as runs, merged across
 * gaps under TRACE_RUN_GAP. Returns the number of runs, or -1 when there
 * are more than MAX. */
long trace_diff(const uint8_t *old, const uint8_t *cur, size_t size,
    struct trace_run *runs, long max);

uint64_t trace_hash(const uint8_t *state, size_t size);

/* The state's hash is two-level, so a writer rehashes only what changed:
 * XXH3-64 of the sequence of XXH3-64 hashes (little-endian) of the state's
 * TRACE_HASH_BLOCK-byte blocks (the last one shorter). */
#define TRACE_HASH_BLOCK 256

/* A writer's per-block hashes, allocated once for a state of SIZE bytes. */
struct trace_hash_cache {
	uint64_t *h;
	size_t nblocks, size;
	int valid;
};
int trace_hash_cache_init(struct trace_hash_cache *c, size_t size);
void trace_hash_cache_free(struct trace_hash_cache *c);
/* The hash of STATE, rehashing only the blocks NRUNS RUNS touch (all of
 * them when NRUNS < 0 or the cache is new). No allocation. */
uint64_t trace_hash_update(struct trace_hash_cache *c, const uint8_t *state,
    const struct trace_run *runs, long nruns);

/* Bring OLD up to date with CUR (SIZE bytes), finding the runs trace_diff
 * would and copying each as it goes; their offsets get BASE added.
 * Returns the number of runs, or -1 when there were more than MAX (OLD is
 * brought up to date all the same). */
long trace_sync(uint8_t *old, const uint8_t *cur, size_t size, size_t base,
    struct trace_run *runs, long max);

/* The most runs a state of SIZE bytes can have (runs are more than
 * TRACE_RUN_GAP apart): size the run arrays with it. */
long trace_runs_max(size_t size);

/* A frame's screen, for the trace: its height and cursor, and the rows
 * that changed (all of them in a keyframe). */
#define TRACE_SCREEN_ROWS_MAX 256
#define TRACE_SCREEN_BYTES_MAX (256u << 10)   /* the rows' text and attributes */
struct trace_screen_row {
	uint32_t row;
	const char *text;
	const char *attrs;      /* JSON runs, as `screen --attrs`; may be NULL */
};
struct trace_screen {
	uint32_t height;
	uint32_t cursor_row, cursor_col;
	int nrows;
	const struct trace_screen_row *rows;
};

/* A frame's picture, for the trace: W x H x CHANNELS bytes, or their XOR
 * with the previous picture when XOR. */
struct trace_pixels {
	uint32_t width, height, channels;
	int xor;
	int64_t frame;          /* the boundary it was read at */
	const uint8_t *data;
};

/* Scratch for packing frames without allocating: sized once for a state
 * of SIZE bytes. */
struct trace_packer {
	struct rec_packer rec;
	size_t state_size;
	long max_runs;
	uint8_t *proto;         /* serialized protobuf */
	size_t proto_cap;
	uint32_t *gaps, *lens;  /* a delta's runs */
	uint8_t *data;          /* a delta's bytes */
	void *msgs;             /* protobuf-c message structs */
};
int trace_packer_init(struct trace_packer *p, size_t state_size);
void trace_packer_free(struct trace_packer *p);
/* Make room for pictures of up to BYTES in each frame record (before
 * trace_record_bound is asked). Returns 0, or -1 out of memory. */
int trace_packer_pixels(struct trace_packer *p, size_t bytes);
/* Worst-case size of one packed record for this packer. */
size_t trace_record_bound(const struct trace_packer *p);

/* A header record into OUT; returns its size, 0 on error. Its scratch is
 * mapped, not taken from the heap: a game's heap is laid out the same
 * whatever the header's size (its environment, paths). */
size_t trace_pack_header(struct trace_packer *p,
    const struct trace_header_info *h, void *out, size_t cap);

/* One frame to pack. */
struct trace_frame_info {
	int64_t frame, vtime_ns;
	int keyframe;                   /* the full state, not runs of it */
	const uint8_t *state;           /* the whole state (state_size bytes) */
	int has_hash;                   /* HASH is the state's already */
	uint64_t hash;                  /* (by trace_hash_update, say) */
	const struct trace_run *runs;   /* a delta: sorted, not overlapping */
	long nruns;
	const uint32_t *unreadable;     /* the fields unreadable this frame */
	int nunreadable;
	const struct trace_input *inputs;  /* at most TRACE_INPUTS_MAX */
	int ninputs;
	const struct trace_screen *screen; /* NULL: the trace keeps no screen */
	const struct trace_pixels *pixels; /* NULL: no picture this frame */
};

/* A frame record into OUT (CAP bytes): the full state when F->keyframe,
 * else F's runs of it; the state's hash is computed unless F->has_hash.
 * Returns its size, 0 when F is out of bounds or OUT too small. No
 * allocation. */
size_t trace_pack_frame(struct trace_packer *p,
    const struct trace_frame_info *f, void *out, size_t cap);

/* --- reader --- */

enum trace_ev {
	TEV_FRAME,      /* a frame, with its state when state_ok */
	TEV_DAMAGE,     /* a damaged or truncated record, or lost frames */
	TEV_END,
	TEV_ERROR,      /* cannot go on (no header, read error) */
};

struct trace_reader {
	struct rec_reader *rr;
	struct layout *layout;
	char layout_err[512];
	void *header;           /* Gamehook__Trace__Header * */
	uint8_t *state;         /* the state of the last frame */
	size_t state_size;
	uint8_t *unreadable;    /* per field, this frame */
	int state_ok;           /* STATE is this frame's */
	int64_t last_frame;     /* last frame whose state we hold, or -1 */
	void *frame_msg;        /* Gamehook__Trace__Frame * of this frame */
	uint8_t *pix;           /* the last picture, XORs applied */
	size_t pix_cap;
	uint32_t pix_w, pix_h, pix_ch;
	int pix_ok;             /* PIX is whole (no XOR missed) */
	/* this event */
	int64_t frame, vtime_ns;
	int keyframe;
	uint64_t offset;        /* of the record */
	size_t payload_len, data_len;
	char why[256];
	/* totals */
	uint64_t frames, keyframes, damaged, lost, bytes_payload, bytes_data;
};

/* Open over FD and read the header. Returns NULL with ERR set when the
 * stream does not start with a trace header (damage before it is
 * skipped). */
struct trace_reader *trace_open(int fd, char *err, size_t errlen);
void trace_close(struct trace_reader *t);
/* The next event. For TEV_FRAME, state_ok says whether t->state holds the
 * frame's state (a delta after damage does not, until a keyframe). */
enum trace_ev trace_next(struct trace_reader *t);
/* Go on reading FD (the reader's) at OFFSET, a record's envelope: lseek
 * and a fresh rec_reader, whose offsets count from OFFSET. The state is
 * not this frame's until a keyframe. Returns 0, or -1 with errno. */
int trace_seek(struct trace_reader *t, int fd, uint64_t offset);

/* The frame's recorded state hash (0 when it has none). */
uint64_t trace_state_hash(const struct trace_reader *t);

/* Header accessors. */
const char *trace_exe(const struct trace_reader *t);
const char *trace_build_id(const struct trace_reader *t);
uint32_t trace_keyframe_interval(const struct trace_reader *t);
/* Whether the run was seeded, and with what. */
int trace_seed(const struct trace_reader *t, uint64_t *seed);
int64_t trace_start_frame(const struct trace_reader *t);
/* The launch context: 1 with *C filled (its strings live as long as this
 * header, the arrays are malloc'd: trace_context_free), 0 when the trace
 * has none (recorded before it was kept), -1 out of memory. */
int trace_context(const struct trace_reader *t, struct trace_context *c);
void trace_context_free(struct trace_context *c);
/* The frame's inputs, as protobuf-c structs: count, and the I-th. */
/* The screen this frame's record carries: -1 when it carries none (not
 * recorded), else the number of rows it holds (those that changed, or all
 * in a keyframe), with the screen's height and cursor. */
int trace_screen(const struct trace_reader *t, uint32_t *height,
    uint32_t *cursor_row, uint32_t *cursor_col);
/* Row I of those: its text (UTF-8), its index in *ROW, and its attributes
 * (JSON runs; "" when not recorded) in *ATTRS. */
const char *trace_screen_row(const struct trace_reader *t, int i,
    uint32_t *row, const char **attrs);

/* The picture this frame's record carries, rebuilt (W x H x CH bytes,
 * rows top first), and the boundary it was read at in *AT: NULL when the
 * record carries none, or when it is a change against a picture lost to
 * damage (until the next whole one). */
const uint8_t *trace_pixels(const struct trace_reader *t, uint32_t *w,
    uint32_t *h, uint32_t *ch, int64_t *at);

/* Whether this frame's record carries a picture (rebuilt or not). */
int trace_frame_has_pixels(const struct trace_reader *t);

int trace_ninputs(const struct trace_reader *t);
const struct trace_input *trace_input(const struct trace_reader *t, int i,
    struct trace_input *buf);

#endif
