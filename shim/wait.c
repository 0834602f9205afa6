/* Waits on the virtual clock (see wait.h). */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "frame.h"
#include "input.h"
#include "real.h"
#include "vclock.h"
#include "wait.h"

/* Longest piece of a long wait: each piece checks for input and events. */
#define SLICE_NS (NS_PER_SEC / 60)
/* Real-time granularity of a non-frame thread's wait on descriptors. */
#define POLL_SLICE_MS 20

static int stdin_tty;

void
wait_init(void)
{
	struct termios t;
	stdin_tty = tcgetattr(0, &t) == 0;
}

int
wait_stdin_managed(void)
{
	return (stdin_tty && input_ignore_real()) || input_pending();
}

/* Really sleep D ns (after detach, time is real again). */
static void
kernel_sleep(int64_t d)
{
	if (d <= 0)
		return;
	struct timespec t = ns_to_ts(d);
	while (syscall(SYS_nanosleep, &t, &t) != 0 && errno == EINTR)
		;
}

void
wait_sleep_until(int64_t target, enum frame_rule kind)
{
	if (vclock_detached()) {
		kernel_sleep(target - vclock_now());
		return;
	}
	if (frame_is_boundary(kind))
		frame_boundary(0);
	if (frame_drives_time()) {
		/* The game asked for an instant before the gate held it;
		 * what is left of the wait is what it asked. */
		int64_t d = target - vclock_now();
		if (d > 0)
			vclock_advance(d);
	} else {
		vclock_wait_until(target);
	}
}

void
wait_sleep(int64_t d, enum frame_rule kind)
{
	if (vclock_detached()) {
		kernel_sleep(d);
		return;
	}
	if (frame_is_boundary(kind))
		frame_boundary(0);
	if (frame_drives_time())
		vclock_advance(d);
	else
		vclock_wait_until(vclock_now() + d);
}

/* One real, non-waiting look at the descriptors: a copy of FDS where fd 0
 * is hidden while the shim manages it, merged back with injected input.
 * Returns the ready count, or -1. */
static int
check_ready(struct pollfd *fds, nfds_t n, const sigset_t *sigmask,
    int real_ms)
{
	int managed = wait_stdin_managed();
	int pending = input_pending();
	unsigned char hid[n ? n : 1];
	int r;

	for (nfds_t i = 0; i < n; i++) {
		hid[i] = managed && fds[i].fd == 0;
		if (hid[i])
			fds[i].fd = -1;   /* poll ignores negative fds */
	}
	if (pending && real_ms != 0)
		real_ms = 0;
	struct timespec ts = ns_to_ts((int64_t)real_ms * 1000000);
	/* 8: the kernel's sigset size on Linux. */
	r = (int)syscall(SYS_ppoll, fds, n, real_ms < 0 ? NULL : &ts, sigmask, 8);
	for (nfds_t i = 0; i < n; i++) {
		if (hid[i]) {
			fds[i].fd = 0;
			fds[i].revents = 0;
		}
	}
	if (r < 0)
		return -1;
	for (nfds_t i = 0; i < n; i++) {
		if (fds[i].fd == 0 && pending && (fds[i].events & POLLIN)) {
			if (fds[i].revents == 0)
				r++;
			fds[i].revents |= POLLIN;
		}
	}
	return r;
}

int
wait_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns,
    const sigset_t *sigmask, enum frame_rule kind)
{
	int has_real = 0;
	int r;

	if (vclock_detached())
		return check_ready(fds, n, sigmask,
		    timeout_ns < 0 ? -1 : (int)(timeout_ns / 1000000));
	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd > 0 || (fds[i].fd == 0 && !wait_stdin_managed()))
			has_real = 1;

	if ((r = check_ready(fds, n, sigmask, 0)) != 0 || timeout_ns == 0)
		return r;

	int64_t start = vclock_now();
	int forever = timeout_ns < 0;
	int64_t target = forever ? INT64_MAX : start + timeout_ns;
	int first = 1;

	for (;;) {
		int64_t now = vclock_now();
		if (now >= target)
			return 0;
		if (frame_drives_time()) {
			/* A forever wait ends a frame every slice, so a
			 * turn-based game steps one wait at a time. */
			if ((first || forever) && frame_is_boundary(kind)) {
				frame_boundary(0);
				if ((r = check_ready(fds, n, sigmask, 0)) != 0)
					return r;
			}
			int64_t s = target - vclock_now();
			vclock_advance(s > SLICE_NS ? SLICE_NS : s);
		} else if (!has_real && !wait_stdin_managed()) {
			vclock_wait_until(target);
		} else {
			/* Real events can come at any moment: watch them in
			 * short real slices, checking the virtual deadline. */
			if ((r = check_ready(fds, n, sigmask, POLL_SLICE_MS)) != 0)
				return r;
			first = 0;
			continue;   /* that look was the check */
		}
		first = 0;
		if ((r = check_ready(fds, n, sigmask, 0)) != 0)
			return r;
	}
}
