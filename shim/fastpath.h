/* The lockstep fast path: one stepping client's reply sent by the frame
 * thread itself, straight to its socket, when its frame is reached (the
 * control thread is not woken on the way); and, while the game is stopped,
 * that client lent to the frame thread, which reads its next plain `step`
 * itself and hands anything else back. One slot, one client at a time. */
#ifndef GH_FASTPATH_H
#define GH_FASTPATH_H

#include <stddef.h>
#include <stdint.h>

/* The slot's states. */
enum { FAST_IDLE, FAST_ARMED, FAST_SENDING, FAST_SENT, FAST_FAILED,
	FAST_LENT, FAST_SERVING, FAST_RETURNED };

/* --- the control thread --- */

/* Have the frame thread send "ok TARGET" to socket FD when frame TARGET is
 * reached. Arm only when idle. */
void fast_arm(int fd, int64_t target);
/* Lend the stepping client to the frame thread once its reply is out
 * (state FAST_LENT): while stopped at the gate it reads the client's next
 * plain `step` itself, and hands anything else back (FAST_RETURNED, with a
 * wake-up). The control thread must have stopped reading the client first.
 * Returns 1 when the lend took, 0 when the reply went out already. */
int fast_lend(void);
/* Take a lent client back (another client came, say). Returns the state
 * it found: FAST_LENT (the slot is idle now and the client the control
 * thread's again), or another state with lending switched off. */
int fast_reclaim(void);
/* The frame the slot's reply is for (the frame thread moves it when it
 * takes a step itself). Read it once the slot is taken back. */
int64_t fast_target(void);
/* Ask for a wake-up on the notify descriptor once the reply is sent (the
 * client has sent more meanwhile). Check the state again after this. */
void fast_want_notify(void);
/* The slot's state: FAST_SENT when the reply went out whole. */
int fast_state(void);
/* Take the slot back (waiting out a send in progress, so the descriptor
 * can be closed). Returns the state it had; for FAST_FAILED, *sent is how
 * much of the reply went out (the rest is the caller's to send). */
int fast_disarm(size_t *sent);
/* The reply the slot sends for TARGET: "ok TARGET\n". */
size_t fast_reply(int64_t target, char *buf, size_t len);

/* --- the frame thread --- */

/* Frame F was announced: send the armed reply if it is due. */
void fast_reached(int64_t f);
/* The lent client's descriptor while it is lent, else -1. */
int fast_lent_fd(void);
/* Stopped at frame F, the lent client has something to read: a plain
 * `step [N]` is taken (the gate runs to F + N, and the reply is armed);
 * anything else is handed back to the control thread untouched. */
void fast_serve(int64_t f);
/* Leaving the gate: a lent client is served only while stopped, so it goes
 * back to the control thread. */
void fast_hand_back(void);

#endif
