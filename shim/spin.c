/* Busy loops (see spin.h). */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>

#include "frame.h"
#include "log.h"
#include "shim.h"
#include "spin.h"
#include "vclock.h"
#include "wait.h"

static SHIM_TLS int64_t tls_v = -1;
static SHIM_TLS unsigned tls_calls;

/* Call sites already logged, so each is named once. */
#define SPIN_SITES 16
static const void *sites[SPIN_SITES];
static _Atomic int nsites;

static const char *const kind_names[] = {
	[SPIN_CLOCK] = "clock reads", [SPIN_POLL] = "waits that returned at once",
	[SPIN_INPUT] = "non-blocking reads that found nothing",
};

/* Name the loop in the log, once a call site. */
static void
log_site(enum spin_kind why, const void *caller)
{
	int n = atomic_load(&nsites);
	for (int i = 0; i < n && i < SPIN_SITES; i++)
		if (sites[i] == caller)
			return;
	if (n >= SPIN_SITES)
		return;
	sites[n] = caller;
	atomic_store(&nsites, n + 1);
	Dl_info di;
	if (dladdr(caller, &di) && di.dli_fname != NULL)
		hlog("busy loop: %d %s in a row without time passing, from "
		    "%s+0x%lx (%s): the frame ends there, time moves %lld us",
		    SPIN_LIMIT, kind_names[why], di.dli_fname,
		    (unsigned long)((uintptr_t)caller - (uintptr_t)di.dli_fbase),
		    di.dli_sname != NULL ? di.dli_sname : "?",
		    SPIN_FRAME_NS / 1000);
	else
		hlog("busy loop: %d %s in a row without time passing, from %p",
		    SPIN_LIMIT, kind_names[why], caller);
}

void
spin_note(enum spin_kind why, const void *caller)
{
	if (!frame_drives_time())
		return;
	int64_t v = vclock_now();
	if (v != tls_v) {
		tls_v = v;
		tls_calls = 0;
		return;
	}
	if (++tls_calls < SPIN_LIMIT)
		return;
	tls_calls = 0;
	log_site(why, caller);
	if (frame_is_boundary(FRAME_SPIN))
		frame_boundary(0);
	wait_advance(SPIN_FRAME_NS);
	tls_v = vclock_now();
}
