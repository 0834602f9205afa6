/* Internals shared by the control server (ctl.c) and its commands
 * (ctl-cmd.c): a connected client and the replies sent to it. */
#ifndef GH_CTL_CLIENT_H
#define GH_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/errcode.h"
#include "../common/textproto.h"

enum client_wait {
	WAIT_NONE,
	WAIT_STEP,      /* until frame_current() >= target */
	WAIT_PAUSE,     /* until the game is stopped at the gate */
	WAIT_POST,      /* a request for the frame thread is in flight */
	WAIT_POST_QUEUED, /* waiting for the request slot */
	WAIT_SNAP,      /* a save or load is in flight */
};

struct client {
	int fd;
	struct client *next;
	char in[TP_LINE_MAX + 2];
	size_t inlen;
	int discarding;          /* dropping the rest of an over-long line */
	int seen_bytes;
	char *out;
	size_t outlen, outcap;
	enum client_wait wait;
	int64_t target;
	void (*post_fn)(void *); /* the request to post when the slot frees */
	void (*post_reply)(struct client *);
	int closing;             /* 1: close once flushed; 2: close now */
	int eof;                 /* it sent all it will send */
	int fast;                /* its step reply is the frame thread's */
	int lent;                /* the frame thread reads its steps */
	int need_auth;           /* a TCP client that has not said `auth` */
	char *post_args;         /* the arguments of its frame-thread request */
	char *watch;             /* watched paths, space-separated; NULL: none */
	char snap_name[64];      /* its save or load in flight */
	int binary;              /* speaks schema/control.proto */
	int bin_ready;           /* its opening (magic, version) was read */
	uint64_t req_id;         /* the binary request being answered */
	int observing;           /* a binary step: observe when it is done */
	int obs_all, obs_raw;
	int snap_kind;
	unsigned events;         /* what epoll watches for it now */
	int gone;                /* closed; freed once the epoll batch is done */
	struct client *dead_next; /* in the list of those */
	int shm_fd;              /* memory it shared for pictures; -1: none */
	uint8_t *shm_map;        /* ... mapped, shm_len bytes */
	size_t shm_len;
};

/* Server state the commands read and change. */
struct ctl_state {
	struct client *clients;
	int nclients;
	int64_t sched_until;     /* last frame a step was scheduled to */
	int64_t tap_next;        /* first frame free for the next key tap */
	int detaching;
	int post_busy;           /* a frame-thread request is in flight */
	struct client *post_owner; /* who asked for it; NULL once gone */
	int snap_busy;           /* a save or load is asked for */
	int snap_posted;         /* ... and handed to the frame thread */
	struct client *snap_owner; /* who asked for it; NULL once gone */
};

extern struct ctl_state ctl;

/* Queue a reply line: "ok PAYLOAD" / "err CODE MESSAGE". */
void ctl_ok(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctl_err(struct client *c, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Queue raw bytes (a prepared reply). */
void ctl_send(struct client *c, const char *buf, size_t len);

/* Watch C for what it can do now (reading, writing) in epoll. */
void ctl_set_events(struct client *c);

/* Recompute when the frame thread should wake the server. */
void ctl_update_notify(void);

/* Run one command line from client C. */
void cmd_exec(struct client *c, char *line);

/* Called when the frame thread signalled: complete the waits that are due. */
void cmd_progress(void);

/* Take a client lent to the frame thread back, if any. */
void cmd_reclaim(void);

/* Lend C to the frame thread if it is the only client, stepping a paused
 * game, with nothing else to say. */
void cmd_maybe_lend(struct client *c);

/* Stop the game at its next boundary, now: steps in progress are cut
 * short (their clients get `err state ... interrupted by WHY`). */
void cmd_stop_now(const char *why);

/* Recompute how far the game runs from the steps still awaited. */
void cmd_reschedule(void);

/* Post the next queued frame-thread request, if the slot is free. */
void cmd_post_next(void);

/* Queue FN to run on the frame thread for C, with C->post_args (copied)
 * as its argument; REPLY answers C once it ran. */
void cmd_post_request(struct client *c, void (*fn)(void *),
    void (*reply)(struct client *));

/* The input commands (ctl-input.c). */
struct key_def;
void cmd_key(struct client *c, int argc, char **argv);
void cmd_keydown(struct client *c, char **argv, int down);
void cmd_type(struct client *c, const char *text);
void cmd_keyboard(struct client *c, char **argv);
/* The same for graphical games, and the mouse (ctl-gfxin.c). */
void gfx_cmd_key(struct client *c, int argc, char **argv);
void gfx_cmd_keydown(struct client *c, char **argv, int down);
void gfx_cmd_type(struct client *c, const unsigned char *text, size_t n);
void gfx_cmd_mouse(struct client *c, int argc, char **argv);
void gfx_cmd_click(struct client *c, int argc, char **argv);
void gfx_cmd_wheel(struct client *c, char **argv);
/* A load brought the game back: nothing the controller pressed is held. */
void gfx_cmd_loaded(void);
/* Note an input (enum trace_input_kind KIND) for the trace: applied on
 * frame F. */
void cmd_note_input(int kind, int64_t f, const struct key_def *k,
    const char *name, const char *value);

/* The state commands (ctl-state.c). */
void state_cmd_get(struct client *c, int argc, char **argv);
void state_cmd_set(struct client *c, const char *rest);
void state_cmd_watch(struct client *c, int argc, char **argv);
void state_cmd_trace(struct client *c, int argc, char **argv);
/* The snapshot commands (ctl-snapshot.c). */
void snap_cmd(struct client *c, int kind, const char *name);
/* Finish a save or load in flight, if done. */
void snap_progress(void);

/* Send watchers the frames captured since the last call. */
void state_watch_drain(void);

/* The memory scan (ctl-scan.c). */
void scan_cmd(struct client *c, int argc, char **argv);

/* The binary protocol (ctl-binary.c). */
/* Take the framed requests in C's buffer. */
void bin_process(struct client *c);
/* Answer C's current request: ok with TEXT (CODE is ERR_NONE), or err CODE
 * TEXT. */
void bin_reply(struct client *c, enum err_code code, const char *text);
/* Send a prepared Response (a Gamehook__Control__Response). */
struct Gamehook__Control__Response;
void bin_send_response(struct client *c,
    struct Gamehook__Control__Response *r);
/* Answer C's current step with an observation. */
void bin_reply_observation(struct client *c, const char *json,
    const uint8_t *state, size_t size, const uint8_t *unreadable,
    int nfields, int64_t frame, int64_t vtime);
/* Answer C's binary step with its observation (ctl-state.c): the one the
 * frame thread read as the step ended, when state_observe_arm() had it
 * read; else posted. */
void state_observe(struct client *c);
/* A binary step observing the state will end at frame TARGET: have the
 * frame thread read the state there before it announces the frame. */
void state_observe_arm(int64_t target);

/* C is going away: drop what it held (a watch, request arguments). */
void cmd_client_gone(struct client *c);

#endif
