/* The trace record envelope: packing records with a static zstd context,
 * and reading them back from a stream, resyncing past damage (see rec.h). */
#define ZSTD_STATIC_LINKING_ONLY
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "alloc.h"
#include "rec.h"

#define READ_CHUNK (64u << 10)

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int
rec_envelope_parse(const uint8_t env[REC_ENVELOPE], struct rec_envelope *out)
{
	out->kind = env[4];
	out->flags = env[5];
	out->frame = (int64_t)get_le(env + 8, 8);
	out->payload_len = (uint32_t)get_le(env + 16, 4);
	out->crc = (uint32_t)get_le(env + 20, 4);
	if (memcmp(env, REC_MAGIC, 4) != 0)
		return -1;
	return out->payload_len > REC_MAX_PAYLOAD ? -2 : 0;
}

uint32_t
rec_envelope_crc(const uint8_t env[REC_ENVELOPE], const void *payload,
    size_t len)
{
	uLong c = crc32(0L, env, 20);

	return (uint32_t)crc32(c, payload, (uInt)len);
}

int
rec_packer_init(struct rec_packer *p, int level)
{
	size_t a, b;

	memset(p, 0, sizeof *p);
	if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
		return -1;
	/* Budgets for any source size. ZSTD_compress2 needs only the CCtx
	 * one in zstd 1.5; the CStream one covers versions that compress
	 * through stream buffers. A static context fails rather than
	 * allocate, so too small a budget would show as rec_pack errors. */
	a = ZSTD_estimateCCtxSize(level);
	b = ZSTD_estimateCStreamSize(level);
	p->work_size = a > b ? a : b;
	if ((p->work = gh_malloc(p->work_size)) == NULL)
		return -1;
	p->cctx = ZSTD_initStaticCCtx(p->work, p->work_size);
	if (p->cctx == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(p->cctx,
	    ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(p->cctx,
	    ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(p->cctx,
	    ZSTD_c_contentSizeFlag, 1))) {
		rec_packer_free(p);
		return -1;
	}
	p->level = level;
	return 0;
}

void
rec_packer_free(struct rec_packer *p)
{
	gh_free(p->work);	/* the static context lives inside it */
	memset(p, 0, sizeof *p);
}

size_t
rec_bound(size_t proto_len)
{
	size_t b = ZSTD_compressBound(proto_len);

	return ZSTD_isError(b) || b > SIZE_MAX - REC_ENVELOPE ? 0 :
	    REC_ENVELOPE + b;
}

size_t
rec_seal(void *rec, int kind, int flags, int64_t frame, size_t payload_len)
{
	uint8_t *b = rec;

	memcpy(b, REC_MAGIC, 4);
	b[4] = (uint8_t)kind;
	b[5] = (uint8_t)flags;
	b[6] = b[7] = 0;
	put_le(b + 8, (uint64_t)frame, 8);
	put_le(b + 16, payload_len, 4);
	put_le(b + 20, rec_envelope_crc(b, b + REC_ENVELOPE, payload_len), 4);
	return REC_ENVELOPE + payload_len;
}

size_t
rec_pack(struct rec_packer *p, int kind, int flags, int64_t frame,
    const void *proto, size_t len, void *out, size_t cap)
{
	size_t z;

	if (p->cctx == NULL || kind < 1 || kind > 255 ||
	    (flags & ~REC_KEYFRAME) != 0 || cap < REC_ENVELOPE)
		return 0;
	z = ZSTD_compress2(p->cctx, (uint8_t *)out + REC_ENVELOPE,
	    cap - REC_ENVELOPE, len > 0 ? proto : "", len);
	if (ZSTD_isError(z) || z > REC_MAX_PAYLOAD)
		return 0;
	return rec_seal(out, kind, flags, frame, z);
}

/* The reader keeps buf[start, end) of the stream, buf[0] being at stream
 * offset base; the record last returned is the next `consume` bytes. */
struct rec_reader {
	int fd, eof;
	uint8_t *buf;
	size_t cap, start, end, consume;
	uint64_t base;
	uint8_t *data;
	size_t data_cap;
	ZSTD_DCtx *dctx;
};

struct rec_reader *
rec_reader_open(int fd)
{
	struct rec_reader *r = gh_calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->fd = fd;
	r->cap = READ_CHUNK;
	r->buf = gh_malloc(r->cap);
	r->dctx = ZSTD_createDCtx();
	if (r->buf == NULL || r->dctx == NULL) {
		rec_reader_close(r);
		return NULL;
	}
	return r;
}

void
rec_reader_close(struct rec_reader *r)
{
	if (r == NULL)
		return;
	ZSTD_freeDCtx(r->dctx);
	gh_free(r->buf);
	gh_free(r->data);
	gh_free(r);
}

/* Read until NEED bytes follow start or input ends, never waiting for
 * more; the buffer grows only as bytes arrive. Returns 0, or -1 with
 * errno. */
static int
fill(struct rec_reader *r, size_t need)
{
	while (r->end - r->start < need && !r->eof) {
		ssize_t n;

		if (r->end == r->cap && r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->base += r->start;
			r->end -= r->start;
			r->start = 0;
		} else if (r->end == r->cap) {
			size_t cap = r->cap * 2 < need ? r->cap * 2 : need;
			uint8_t *b = gh_realloc(r->buf, cap);

			if (b == NULL) {
				errno = ENOMEM;
				return -1;
			}
			r->buf = b;
			r->cap = cap;
		}
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n > 0)
			r->end += (size_t)n;
		else if (n == 0)
			r->eof = 1;
		else if (errno != EINTR)
			return -1;
	}
	return 0;
}

enum { C_VALID, C_INVALID, C_SHORT };

/* What buf[q...] holds: a whole record whose magic and crc check out (of
 * *need bytes), no record (WHY says why), or too little to tell (*need
 * bytes would tell). */
static int
classify(const struct rec_reader *r, size_t q, size_t *need, char *why,
    size_t whylen)
{
	const uint8_t *b = r->buf + q;
	size_t n = r->end - q;
	struct rec_envelope e;

	if (memcmp(b, REC_MAGIC, n < 4 ? n : 4) != 0) {
		snprintf(why, whylen, "bad magic");
		return C_INVALID;
	}
	*need = REC_ENVELOPE;
	if (n < REC_ENVELOPE)
		return C_SHORT;
	if (rec_envelope_parse(b, &e) != 0) {	/* the magic is there */
		snprintf(why, whylen, "length %u over limit", e.payload_len);
		return C_INVALID;
	}
	*need += e.payload_len;
	if (n < *need)
		return C_SHORT;
	if (rec_envelope_crc(b, b + REC_ENVELOPE, e.payload_len) != e.crc) {
		snprintf(why, whylen, "bad checksum");
		return C_INVALID;
	}
	return C_VALID;
}

/* The first position >= FROM where the magic, or a prefix of it ending the
 * data, starts; or the end. */
static size_t
find_magic(const struct rec_reader *r, size_t from)
{
	const uint8_t *m = memmem(r->buf + from, r->end - from, REC_MAGIC, 4);
	size_t q;

	if (m != NULL)
		return (size_t)(m - r->buf);
	for (q = r->end - from > 3 ? r->end - 3 : from; q < r->end; q++)
		if (memcmp(r->buf + q, REC_MAGIC, r->end - q) == 0)
			return q;
	return r->end;
}

/* Move start past the damage there: to the next position holding a whole
 * good envelope, reading on as needed and dropping what was scanned; at end
 * of input, to the first that may be a truncated one, else to the end.
 * Returns 0, or -1 with errno. */
static int
resync(struct rec_reader *r)
{
	size_t q = r->start + 1, need = 0, pend, pneed;
	int c;

	for (;;) {
		pend = r->end;
		pneed = 1;
		for (; (q = find_magic(r, q)) < r->end; q++) {
			if ((c = classify(r, q, &need, NULL, 0)) == C_VALID) {
				r->start = q;
				return 0;
			}
			if (c == C_SHORT && pend == r->end) {
				pend = q;
				pneed = need;
			}
		}
		r->start = pend;
		if (r->eof)
			return 0;
		if (fill(r, pneed) != 0)
			return -1;
		q = r->start;
	}
}

static enum rec_status
fail(struct rec *out, int err)
{
	snprintf(out->why, sizeof out->why, "%s", strerror(err));
	return REC_IOERR;
}

/* Why payload P (LEN bytes) is not one zstd frame with its content size
 * and checksum, or NULL with the content size in *SIZE. */
static const char *
frame_check(const uint8_t *p, size_t len, unsigned long long *size)
{
	ZSTD_frameHeader fh;
	size_t n = ZSTD_getFrameHeader(&fh, p, len);

	if (ZSTD_isError(n))
		return ZSTD_getErrorName(n);
	if (n != 0)
		return "short frame header";
	if (fh.frameType != ZSTD_frame)
		return "skippable frame";
	if (fh.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN)
		return "no content size";
	if (fh.frameContentSize > REC_MAX_DATA)
		return "content size over limit";
	if (!fh.checksumFlag)
		return "no checksum";
	if (ZSTD_isError(n = ZSTD_findFrameCompressedSize(p, len)))
		return ZSTD_getErrorName(n);
	if (n != len)
		return "payload is not exactly one frame";
	*size = fh.frameContentSize;
	return NULL;
}

/* Decompress OUT's payload into OUT's data. Returns 0, -1 when damaged
 * (why set), or -2 when out of memory. */
static int
decode(struct rec_reader *r, struct rec *out)
{
	unsigned long long size = 0;
	const char *why = frame_check(out->payload, out->payload_len, &size);
	size_t n;

	if (why == NULL && (r->data == NULL || r->data_cap < size)) {
		uint8_t *d = gh_realloc(r->data, size > 0 ? size : 1);

		if (d == NULL)
			return -2;
		r->data = d;
		r->data_cap = size;
	}
	if (why == NULL) {
		n = ZSTD_decompressDCtx(r->dctx, r->data, size, out->payload,
		    out->payload_len);
		if (ZSTD_isError(n))
			why = ZSTD_getErrorName(n);
		else if (n != size)
			why = "short content";
	}
	if (why != NULL) {
		snprintf(out->why, sizeof out->why, "zstd: %s", why);
		return -1;
	}
	out->data = r->data;
	out->data_len = size;
	return 0;
}

enum rec_status
rec_next(struct rec_reader *r, struct rec *out)
{
	size_t need = 0, avail;
	struct rec_envelope e;
	int c;

	memset(out, 0, sizeof *out);
	r->start += r->consume;
	r->consume = 0;
	while ((c = classify(r, r->start, &need, out->why,
	    sizeof out->why)) == C_SHORT && !r->eof)
		if (fill(r, need) != 0)
			return fail(out, errno);
	out->offset = r->base + r->start;
	avail = r->end - r->start;
	if (c == C_SHORT) {
		/* Input ended inside a record, unless a later good one shows
		 * that its length was damaged. */
		if (avail == 0)
			return REC_END;
		snprintf(out->why, sizeof out->why,
		    "truncated: %zu of %zu bytes", avail, need);
		(void)resync(r);	/* reads nothing at end of input */
		if (r->start < r->end && classify(r, r->start, &need, NULL,
		    0) == C_VALID) {
			out->skipped = r->base + r->start - out->offset;
			snprintf(out->why, sizeof out->why, "damaged: a record "
			    "that claims more bytes than follow, before a good "
			    "record %llu bytes on",
			    (unsigned long long)out->skipped);
			return REC_DAMAGED;
		}
		r->start = r->end;
		out->skipped = avail;
		return REC_TRUNCATED;
	}
	if (c == C_INVALID) {
		if (resync(r) != 0)
			return fail(out, errno);
		out->skipped = r->base + r->start - out->offset;
		return REC_DAMAGED;
	}
	(void)rec_envelope_parse(r->buf + r->start, &e);	/* classified */
	out->kind = e.kind;
	out->flags = e.flags;
	out->frame = e.frame;
	out->payload = r->buf + r->start + REC_ENVELOPE;
	out->payload_len = need - REC_ENVELOPE;
	r->consume = need;
	if (out->kind != REC_HEADER && out->kind != REC_FRAME)
		return REC_OK;
	switch (decode(r, out)) {
	case 0:
		return REC_OK;
	case -1:
		out->skipped = need;
		return REC_DAMAGED;
	default:
		r->consume = 0;
		return fail(out, ENOMEM);
	}
}
