/* Every way the game waits, on one virtual clock: sleeps, and waits for
 * descriptors or the keyboard with a timeout. A wait on the frame thread may
 * end a frame; its length is added to virtual time (paced at the speed).
 * Other threads wait for virtual time to reach their deadline. */
#ifndef GH_WAIT_H
#define GH_WAIT_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>

#include "shim.h"

/* Sleep D virtual ns; a call of kind KIND (may end a frame). */
void wait_sleep(int64_t d, enum frame_rule kind);

/* Sleep until virtual time TARGET (absolute sleeps). */
void wait_sleep_until(int64_t target, enum frame_rule kind);

/* Whether standard input is the shim's to feed: a terminal whose real keys
 * are ignored, or injected keys are waiting. */
int wait_stdin_managed(void);

/* poll() on the virtual clock. TIMEOUT_NS < 0 waits forever. Injected input
 * makes standard input readable; while the real keyboard is ignored the
 * terminal's own readiness is hidden. SIGMASK as for ppoll (may be NULL).
 * Returns what poll returns, with errno set on -1. */
int wait_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns,
    const sigset_t *sigmask, enum frame_rule kind);

/* Set up: whether fd 0 is a terminal. */
void wait_init(void);

#endif
