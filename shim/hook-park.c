/* Hooks on waits without a timeout: a condition variable, a semaphore.
 * They pass straight to libc; around the real call a thread the clock
 * tracks is noted as parked there (park.h), which lets a snapshot be
 * taken while a game's helper threads idle (Mesa's rasterizer and queue
 * threads wait in pthread_cond_wait between frames). */
#include <pthread.h>
#include <semaphore.h>

#include "park.h"
#include "real.h"
#include "shim.h"
#include "vclock.h"

static int
parking(void)
{
	return shim_on() && !vclock_detached();
}

EXPORT int
pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (unlikely(real_pthread_cond_wait == NULL))
		real_resolve();
	if (!parking())
		return real_pthread_cond_wait(c, m);
	int t = park_begin(c, sizeof *c, m, sizeof *m,
	    __builtin_return_address(0));
	int r = real_pthread_cond_wait(c, m);
	park_end(t);
	return r;
}

/* C11's cnd_wait(cnd_t *, mtx_t *): glibc's are a pthread_cond_t and a
 * pthread_mutex_t; it calls its pthread_cond_wait inside libc, past the
 * hook above. (<threads.h> is not included: its types would clash.) */
EXPORT int cnd_wait(void *c, void *m);

EXPORT int
cnd_wait(void *c, void *m)
{
	if (unlikely(real_cnd_wait == NULL))
		real_resolve();
	if (!parking())
		return real_cnd_wait(c, m);
	int t = park_begin(c, sizeof(pthread_cond_t), m,
	    sizeof(pthread_mutex_t), __builtin_return_address(0));
	int r = real_cnd_wait(c, m);
	park_end(t);
	return r;
}

EXPORT int
sem_wait(sem_t *s)
{
	if (unlikely(real_sem_wait == NULL))
		real_resolve();
	if (!parking())
		return real_sem_wait(s);
	int t = park_begin(s, sizeof *s, NULL, 0, __builtin_return_address(0));
	int r = real_sem_wait(s);
	park_end(t);
	return r;
}
