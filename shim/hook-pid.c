/* The process id the game reads. Under HOOK_SEED a game sees the same pid
 * in every run (many seed their generators with getpid()): the game's own
 * getpid() returns a fixed id chosen by the seed, above the kernel's
 * largest possible pid (PID_MAX_LIMIT, 2^22) so it can be no other
 * process's, and the game's kill() and sigqueue() of that id reach itself.
 * libc's own calls (raise, abort) and the shim's see the real pid. */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"
#include "shim.h"

/* Above PID_MAX_LIMIT (4,194,304 on 64-bit kernels). */
#define FIXED_PID_BASE 4194305

pid_t
shim_getpid(void)
{
	return (pid_t)sys_call(SYS_getpid);
}

pid_t
shim_fixed_pid(void)
{
	return (pid_t)(FIXED_PID_BASE + (shim_cfg.seed % 1000000));
}

/* The real pid for PID as the game meant it. */
static pid_t
real_target(pid_t pid)
{
	if (shim_cfg.seeded && atomic_load(&shim_active)) {
		if (pid == shim_fixed_pid())
			return shim_getpid();
		if (pid == -shim_fixed_pid())   /* its process group, by pid */
			return -shim_getpid();
	}
	return pid;
}

EXPORT pid_t
getpid(void)
{
	if (shim_cfg.seeded && shim_on())
		return shim_fixed_pid();
	return shim_getpid();
}

EXPORT int
kill(pid_t pid, int sig)
{
	return (int)sys_call(SYS_kill, real_target(pid), sig);
}

EXPORT int
sigqueue(pid_t pid, int sig, const union sigval value)
{
	siginfo_t info = { 0 };

	info.si_signo = sig;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value = value;
	return (int)sys_call(SYS_rt_sigqueueinfo, real_target(pid), sig, &info);
}
