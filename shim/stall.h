/* Whether the game is stalled: every one of its threads blocked, none of
 * them on the X server. Only then may a sleeping thread move the virtual
 * clock itself (vclock.c): while any thread computes, or waits for a
 * reply that will come on its own, the clock is the frame thread's to
 * move, so a slow start-up or a long frame on a loaded machine never
 * moves it by real time. */
#ifndef GH_STALL_H
#define GH_STALL_H

/* A thread of the game begins or ends a wait on the X server's socket
 * (passed to libc untouched: the server answers in its own time). */
void stall_xwait_begin(void);
void stall_xwait_end(void);

/* 1 when every thread of the process but the caller is asleep in the
 * kernel (state S) and stays so, not having run at all, across two looks
 * STALL_LOOK_GAP_NS apart, and none waits on the X server; else 0. Reads
 * /proc/self/task with system calls into the stack: no allocation. */
int stall_everyone_blocked(void);

/* 1 when thread TID of this process is asleep in the kernel (state S)
 * and stays so, not having run, across two looks GAP_NS apart, or is
 * gone; else 0. */
int stall_thread_blocked(long tid, long gap_ns);

#define STALL_LOOK_GAP_NS (5 * 1000000LL)

#endif
