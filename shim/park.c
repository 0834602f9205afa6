/* Threads parked in a wait without a timeout (see park.h).
 *
 * Each tracked thread (one with a slot in the virtual clock) that enters
 * an untimed wait writes where into its slot's entry here, bumps the
 * entry's sequence, and marks its clock slot parked; coming back it marks
 * the slot running and bumps the sequence again. The entries are fixed
 * (one per slot): no allocation, no lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "frame.h"
#include "park.h"
#include "shim.h"
#include "sys.h"
#include "vclock.h"

/* How long a save or a load waits for the threads to park (real time). */
#define PARK_SETTLE_NS (2 * NS_PER_SEC)
#define PARK_POLL_NS (1000 * 1000LL)
/* The most bytes of one object kept across a load. */
#define KEEP_OBJ_MAX 64

static struct {
	struct park_spot spot;
	_Atomic uint32_t seq;
	_Atomic int tid;
} parks[VCLOCK_SLOTS];

static SHIM_TLS int tls_tid;
static int keep_off;

/* The live bytes kept across a load: two objects per parked thread. */
static struct {
	int n;
	struct {
		void *at;
		size_t len;
		unsigned char bytes[KEEP_OBJ_MAX];
	} obj[2 * VCLOCK_SLOTS];
} keep;

void
park_init(void)
{
	const char *k = getenv("HOOK_PARK_KEEP");
	keep_off = k != NULL && strcmp(k, "0") == 0;
}

int
park_begin(const void *obj, size_t objlen, const void *mutex,
    size_t mutexlen, const void *site)
{
	int i = vclock_my_index();
	if (i < 0 || frame_drives_time())
		return -1;
	if (tls_tid == 0)
		tls_tid = (int)sys_call(SYS_gettid);
	parks[i].spot.obj = obj;
	parks[i].spot.mutex = mutex;
	parks[i].spot.site = site;
	parks[i].spot.objlen = (uint16_t)(objlen < KEEP_OBJ_MAX ? objlen :
	    KEEP_OBJ_MAX);
	parks[i].spot.mutexlen = (uint16_t)(mutexlen < KEEP_OBJ_MAX ?
	    mutexlen : KEEP_OBJ_MAX);
	atomic_store(&parks[i].tid, tls_tid);
	atomic_fetch_add(&parks[i].seq, 1);
	return vclock_park(i, 1) ? i : -1;
}

void
park_end(int token)
{
	if (token < 0)
		return;
	vclock_park(token, 0);
	atomic_fetch_add(&parks[token].seq, 1);
}

/* Whether thread TID is blocked in the kernel ('S' in its stat): a
 * thread woken from its wait but not yet back in our hook is runnable. */
static int
blocked_in_kernel(int tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;   /* gone: it is not running our game either */
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "tid (comm) S ...": the comm may hold spaces and parentheses. */
	const char *p = strrchr(buf, ')');
	return p == NULL || p[1] != ' ' || p[2] == 'S' || p[2] == 'D';
}

int
park_settle(void)
{
	int64_t give_up = real_mono_ns() + PARK_SETTLE_NS;
	for (;;) {
		int busy = vclock_settle();
		int n = vclock_nslots();
		for (int i = 0; i < n && busy == 0; i++)
			if (vclock_slot_parked(i) &&
			    !blocked_in_kernel(atomic_load(&parks[i].tid)))
				busy++;
		if (busy == 0 || real_mono_ns() >= give_up)
			return busy;
		struct timespec t = ns_to_ts(PARK_POLL_NS);
		sys_call(SYS_nanosleep, &t, NULL);
	}
}

void
park_save(struct park_snap *s)
{
	s->n = vclock_nslots();
	for (int i = 0; i < s->n; i++) {
		s->seq[i] = atomic_load(&parks[i].seq);
		if (vclock_slot_parked(i))
			s->spot[i] = parks[i].spot;
		else
			memset(&s->spot[i], 0, sizeof s->spot[i]);
	}
}

int
park_unchanged(const struct park_snap *s)
{
	/* One that ran all along (woken between the settle and the save)
	 * never bumped its sequence: it is running now. */
	if (vclock_busy_now() > 0 || vclock_nslots() != s->n)
		return 0;
	for (int i = 0; i < s->n; i++)
		if (atomic_load(&parks[i].seq) != s->seq[i])
			return 0;
	return 1;
}

int
park_check(const struct park_snap *s, char *err, size_t errlen)
{
	int n = vclock_nslots();
	for (int i = 0; i < n; i++) {
		if (!vclock_slot_parked(i))
			continue;
		const struct park_spot *now = &parks[i].spot;
		const struct park_spot *then = i < s->n ? &s->spot[i] : NULL;
		if (then != NULL && then->obj == now->obj &&
		    then->mutex == now->mutex && then->site == now->site)
			continue;
		snprintf(err, errlen, "thread %d of the game waits on %p (from "
		    "%p) now, on %p (from %p) at the save: load refused (its "
		    "work would not be where the snapshot has it)",
		    atomic_load(&parks[i].tid), now->obj, now->site,
		    then ? then->obj : NULL, then ? then->site : NULL);
		return -1;
	}
	return 0;
}

static void
keep_one(const void *at, size_t len)
{
	if (at == NULL || len == 0)
		return;
	for (int i = 0; i < keep.n; i++)
		if (keep.obj[i].at == at)
			return;   /* several threads wait on one object */
	keep.obj[keep.n].at = (void *)at;
	keep.obj[keep.n].len = len;
	memcpy(keep.obj[keep.n].bytes, at, len);
	keep.n++;
}

void
park_keep_take(void)
{
	keep.n = 0;
	if (keep_off)
		return;
	int n = vclock_nslots();
	for (int i = 0; i < n; i++) {
		if (!vclock_slot_parked(i))
			continue;
		keep_one(parks[i].spot.obj, parks[i].spot.objlen);
		keep_one(parks[i].spot.mutex, parks[i].spot.mutexlen);
	}
}

void
park_keep_put(void)
{
	for (int i = 0; i < keep.n; i++)
		memcpy(keep.obj[i].at, keep.obj[i].bytes, keep.obj[i].len);
}
