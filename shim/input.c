/* The injected-input queue (see input.h). */
#include <stdatomic.h>
#include <string.h>

#include "gfxin.h"
#include "input.h"

struct input_event {
	int64_t frame;
	struct key_def key;
};

struct held_key {
	_Atomic int on;
	struct key_def key;
	int64_t last;          /* consumer: last frame it was delivered */
};

static struct {
	struct input_event ring[INPUT_RING];
	_Atomic size_t head;   /* next to write (producer) */
	_Atomic size_t tail;   /* next to read (consumer) */
	struct held_key held[INPUT_HELD_MAX];
	_Atomic int64_t frame; /* the frame whose inputs are readable */
	_Atomic int ignore_real;
	/* consumer only: the rest of a byte sequence read() took in part */
	unsigned char carry[KEY_SEQ_MAX];
	size_t carry_len, carry_off;
} in = { .frame = 0 };

int
input_push(const struct key_def *key, int64_t frame)
{
	size_t h = atomic_load_explicit(&in.head, memory_order_relaxed);
	size_t t = atomic_load_explicit(&in.tail, memory_order_acquire);

	if (h - t >= INPUT_RING)
		return -1;
	in.ring[h % INPUT_RING].frame = frame;
	in.ring[h % INPUT_RING].key = *key;
	atomic_store_explicit(&in.head, h + 1, memory_order_release);
	return 0;
}

void
input_reset(void)
{
	/* The consumer may drop what is queued: [tail, head) is its own. */
	atomic_store_explicit(&in.tail, atomic_load_explicit(&in.head,
	    memory_order_acquire), memory_order_release);
	for (int i = 0; i < INPUT_HELD_MAX; i++)
		atomic_store(&in.held[i].on, 0);
	in.carry_len = in.carry_off = 0;
	gfxin_reset();
}

size_t
input_space(void)
{
	return INPUT_RING - (atomic_load(&in.head) - atomic_load(&in.tail));
}

static int
same_key(const struct key_def *a, const struct key_def *b)
{
	return a->code == b->code && a->seqlen == b->seqlen &&
	    memcmp(a->seq, b->seq, a->seqlen) == 0;
}

int
input_hold(const struct key_def *key)
{
	int free_slot = -1;

	for (int i = 0; i < INPUT_HELD_MAX; i++) {
		if (atomic_load(&in.held[i].on)) {
			if (same_key(&in.held[i].key, key))
				return 0;
		} else if (free_slot < 0) {
			free_slot = i;
		}
	}
	if (free_slot < 0)
		return -1;
	in.held[free_slot].key = *key;
	in.held[free_slot].last = -1;
	atomic_store_explicit(&in.held[free_slot].on, 1, memory_order_release);
	return 0;
}

int
input_release(const struct key_def *key)
{
	for (int i = 0; i < INPUT_HELD_MAX; i++) {
		if (atomic_load(&in.held[i].on) && same_key(&in.held[i].key, key)) {
			atomic_store(&in.held[i].on, 0);
			return 0;
		}
	}
	return -1;
}

void
input_set_ignore_real(int ignore)
{
	atomic_store(&in.ignore_real, ignore);
}

int
input_ignore_real(void)
{
	return atomic_load_explicit(&in.ignore_real, memory_order_relaxed);
}

void
input_frame_begin(int64_t f)
{
	atomic_store_explicit(&in.frame, f, memory_order_release);
}

int64_t
input_frame(void)
{
	return atomic_load_explicit(&in.frame, memory_order_acquire);
}

/* The next queued event readable now, or NULL. */
static const struct input_event *
peek(void)
{
	size_t t = atomic_load_explicit(&in.tail, memory_order_relaxed);
	size_t h = atomic_load_explicit(&in.head, memory_order_acquire);

	if (t == h)
		return NULL;
	const struct input_event *e = &in.ring[t % INPUT_RING];
	return e->frame <= atomic_load_explicit(&in.frame, memory_order_acquire)
	    ? e : NULL;
}

static void
drop(void)
{
	atomic_fetch_add_explicit(&in.tail, 1, memory_order_release);
}

/* A held key due this frame, or NULL. Each held key is delivered once a
 * frame, after the queue's own events. */
static struct held_key *
held_due(void)
{
	int64_t f = atomic_load_explicit(&in.frame, memory_order_acquire);

	for (int i = 0; i < INPUT_HELD_MAX; i++) {
		struct held_key *k = &in.held[i];
		if (atomic_load_explicit(&k->on, memory_order_acquire) &&
		    k->last < f)
			return k;
	}
	return NULL;
}

int
input_pending(void)
{
	return in.carry_off < in.carry_len || peek() != NULL || held_due() != NULL;
}

/* Take the next key readable now into *key; 1 when there was one. */
static int
take(struct key_def *key)
{
	const struct input_event *e = peek();
	if (e != NULL) {
		*key = e->key;
		drop();
		return 1;
	}
	struct held_key *k = held_due();
	if (k != NULL) {
		*key = k->key;
		k->last = atomic_load(&in.frame);
		return 1;
	}
	return 0;
}

int
input_take_code(int *code)
{
	struct key_def k;

	if (in.carry_off < in.carry_len) {
		*code = in.carry[in.carry_off++];
		return 1;
	}
	if (!take(&k))
		return 0;
	*code = k.code;
	return 1;
}

size_t
input_take_bytes(void *buf, size_t n)
{
	unsigned char *out = buf;
	size_t o = 0;
	struct key_def k;

	while (o < n) {
		if (in.carry_off < in.carry_len) {
			out[o++] = in.carry[in.carry_off++];
			continue;
		}
		if (!take(&k))
			break;
		memcpy(in.carry, k.seq, k.seqlen);
		in.carry_len = k.seqlen;
		in.carry_off = 0;
	}
	return o;
}
