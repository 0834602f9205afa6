/* The process id the game reads. Under HOOK_SEED a game sees the same pid
 * in every run (many seed their generators with getpid()): the game's own
 * getpid() returns a fixed id chosen by the seed, above the kernel's
 * largest possible pid (PID_MAX_LIMIT, 2^22) so it can be no other
 * process's, and the game's kill() and sigqueue() of that id reach itself.
 * Only calls from the game's executable get it: its libraries (Mesa's
 * OpenGL) see the real pid.
 * libc's own calls (raise, abort) and the shim's see the real pid. */
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
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

/* The game executable's mapped range, learnt at the first getpid. */
static uintptr_t exe_lo, exe_hi;
static _Atomic int exe_known;

static int
first_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + p->p_vaddr;
		if (a < lo)
			lo = a;
		if (a + p->p_memsz > hi)
			hi = a + p->p_memsz;
	}
	exe_lo = lo;
	exe_hi = hi;
	return 1;   /* the first object is the executable */
}

/* True when CALLER is in the game's executable. The libraries it loads
 * see the real pid: Mesa's software OpenGL, told a pid that is not its
 * own, presents nothing (a black window, black screenshots). */
static int
from_executable(const void *caller)
{
	if (!atomic_load_explicit(&exe_known, memory_order_acquire)) {
		dl_iterate_phdr(first_object, NULL);
		atomic_store_explicit(&exe_known, 1, memory_order_release);
	}
	uintptr_t a = (uintptr_t)caller;
	return a >= exe_lo && a < exe_hi;
}

pid_t
shim_pid_for(const void *caller)
{
	if (shim_cfg.seeded && shim_on() && from_executable(caller))
		return shim_fixed_pid();
	return shim_getpid();
}

EXPORT pid_t
getpid(void)
{
	return shim_pid_for(__builtin_return_address(0));
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
	info.si_pid = shim_cfg.seeded && shim_on() ? shim_fixed_pid() :
	    shim_getpid();
	info.si_uid = getuid();
	info.si_value = value;
	return (int)sys_call(SYS_rt_sigqueueinfo, real_target(pid), sig, &info);
}
