/* ALSA's writes on virtual time: a thread that plays samples through
 * libasound (SDL's audio thread, SDL2 and 1.2, on the alsa driver) sleeps
 * on the virtual clock after each write until the samples it has written
 * would have played, outside any lock SDL holds around the game's
 * callback. So its callbacks come once per buffer of virtual time, at the
 * same points of the game in every run, whatever the device does: ALSA's
 * null device takes samples as fast as they come (SDL's thread used to
 * spin, calling the game back millions of times a second), and a sound
 * card's blocking write is followed by the same virtual sleep. Behind by
 * more than that (the first write, a pause), the clock restarts from now.
 * The frame thread's own writes are left alone (its waits would end
 * frames). The shim does not link libasound: the real functions come from
 * dlsym(RTLD_NEXT). */
#include <alloca.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>

#include "frame.h"
#include "shim.h"
#include "vclock.h"

typedef long sframes_t;
typedef unsigned long uframes_t;

#define PCMS 8

/* What is known of each PCM written to: its rate and the virtual instant
 * its samples written so far have played by. */
static struct pcm {
	_Atomic(void *) pcm;
	unsigned rate;
	int64_t until;
} pcms[PCMS];

static sframes_t (*real_snd_pcm_writei)(void *, const void *, uframes_t);
static sframes_t (*real_snd_pcm_writen)(void *, void **, uframes_t);
static int (*real_snd_pcm_close)(void *);
static size_t (*real_snd_pcm_hw_params_sizeof)(void);
static int (*real_snd_pcm_hw_params_current)(void *, void *);
static int (*real_snd_pcm_hw_params_get_rate)(const void *, unsigned *,
    int *);

#define RESOLVE(var, name) do { \
	if ((var) == NULL) \
		*(void **)&(var) = dlsym(RTLD_NEXT, name); \
} while (0)

static void
resolve(void)
{
	RESOLVE(real_snd_pcm_writei, "snd_pcm_writei");
	RESOLVE(real_snd_pcm_writen, "snd_pcm_writen");
	RESOLVE(real_snd_pcm_close, "snd_pcm_close");
	RESOLVE(real_snd_pcm_hw_params_sizeof, "snd_pcm_hw_params_sizeof");
	RESOLVE(real_snd_pcm_hw_params_current, "snd_pcm_hw_params_current");
	RESOLVE(real_snd_pcm_hw_params_get_rate, "snd_pcm_hw_params_get_rate");
}

/* PCM's entry, claimed at its first write; NULL when all are taken. */
static struct pcm *
pcm_entry(void *pcm)
{
	for (int i = 0; i < PCMS; i++)
		if (atomic_load(&pcms[i].pcm) == pcm)
			return &pcms[i];
	for (int i = 0; i < PCMS; i++) {
		void *expected = NULL;
		if (atomic_compare_exchange_strong(&pcms[i].pcm, &expected,
		    pcm)) {
			pcms[i].rate = 0;
			pcms[i].until = 0;
			return &pcms[i];
		}
	}
	return NULL;
}

/* PCM's rate in frames a second, 0 when it cannot be had. */
static unsigned
pcm_rate(void *pcm)
{
	unsigned rate = 0;
	int dir = 0;

	if (real_snd_pcm_hw_params_sizeof == NULL ||
	    real_snd_pcm_hw_params_current == NULL ||
	    real_snd_pcm_hw_params_get_rate == NULL)
		return 0;
	void *p = alloca(real_snd_pcm_hw_params_sizeof());
	if (real_snd_pcm_hw_params_current(pcm, p) != 0 ||
	    real_snd_pcm_hw_params_get_rate(p, &rate, &dir) != 0)
		return 0;
	return rate;
}

/* After FRAMES frames were written to PCM: sleep until they have played. */
static void
pace(void *pcm, sframes_t frames)
{
	if (frames <= 0 || !shim_on() || vclock_detached() ||
	    frame_drives_time())
		return;
	struct pcm *e = pcm_entry(pcm);
	if (e == NULL)
		return;
	if (e->rate == 0 && (e->rate = pcm_rate(pcm)) == 0)
		return;
	int64_t now = vclock_now();
	if (e->until < now)
		e->until = now;
	e->until += (int64_t)frames * NS_PER_SEC / e->rate;
	vclock_wait_until(e->until);
}

sframes_t snd_pcm_writei(void *pcm, const void *buf, uframes_t n);

EXPORT sframes_t
snd_pcm_writei(void *pcm, const void *buf, uframes_t n)
{
	resolve();
	if (real_snd_pcm_writei == NULL)
		return -1;
	sframes_t r = real_snd_pcm_writei(pcm, buf, n);
	pace(pcm, r);
	return r;
}

sframes_t snd_pcm_writen(void *pcm, void **bufs, uframes_t n);

EXPORT sframes_t
snd_pcm_writen(void *pcm, void **bufs, uframes_t n)
{
	resolve();
	if (real_snd_pcm_writen == NULL)
		return -1;
	sframes_t r = real_snd_pcm_writen(pcm, bufs, n);
	pace(pcm, r);
	return r;
}

int snd_pcm_close(void *pcm);

EXPORT int
snd_pcm_close(void *pcm)
{
	resolve();
	for (int i = 0; i < PCMS; i++) {
		void *expected = pcm;
		atomic_compare_exchange_strong(&pcms[i].pcm, &expected, NULL);
	}
	return real_snd_pcm_close != NULL ? real_snd_pcm_close(pcm) : -1;
}
