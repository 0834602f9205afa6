/* Proves the trace record envelope: records of any size survive rec_pack and
 * rec_next over pipes and files; a live reader gets each record as soon as
 * it is whole; a flipped bit in an envelope or payload costs exactly that
 * record; input cut anywhere in the last record reads as truncated; garbage,
 * fake magic (also inside payloads) and over-long lengths are skipped in
 * bounded memory; a bad zstd checksum or a payload that is not one checked
 * zstd frame is damage; unknown kinds come through undecoded; packing works
 * at every size within its static zstd context; read errors are reported. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "rec.h"
#include "unit.h"

#define MAXREC 128

/* One record to write: its protobuf bytes are gen(len, seed). */
struct plan {
	size_t len;
	uint64_t seed;
	int kind, flags;
	int64_t frame;
};

/* Packed records back to back, with where each one sits. */
struct stream {
	uint8_t *buf;
	size_t len, n;
	size_t off[MAXREC], size[MAXREC];
	struct plan plan[MAXREC];
};

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t
rng(void)
{
	return next_rand(&rng_state);
}

/* LEN bytes made from SEED: random for one seed in three, else compressible
 * text. */
static void
gen(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ull | 1;
	int text = seed % 3 != 0;

	for (size_t i = 0; i < len; i++) {
		uint64_t x = next_rand(&s);

		p[i] = text && (x & 7) != 0 ? (uint8_t)('a' + i / 7 % 26) :
		    (uint8_t)(x >> 32);
	}
}

/* Garbage without the letter G, hence without the magic. */
static void
garbage(uint8_t *p, size_t len, uint64_t *s)
{
	for (size_t i = 0; i < len; i++) {
		p[i] = (uint8_t)(next_rand(s) >> 24);
		if (p[i] == 'G')
			p[i] = 'g';
	}
}

static struct plan
plan_of(size_t i, size_t len)
{
	struct plan pl = {
		.len = len, .seed = rng(),
		.kind = i == 0 ? REC_HEADER : REC_FRAME,
		.flags = i % 5 == 0 ? REC_KEYFRAME : 0,
		.frame = (int64_t)i * 7 - 3,
	};
	return pl;
}

/* A size from 0 bytes to about 1 MiB, mostly small. */
static size_t
random_size(void)
{
	switch (rng() % 4) {
	case 0:
		return rng() % (1u << 20);
	case 1:
		return rng() % 100;
	default:
		return rng() % 70000;
	}
}

/* Pack PL into BUF, which is grown; returns the record's size or 0. */
static size_t
pack_plan(struct rec_packer *p, const struct plan *pl, uint8_t **buf,
    size_t at)
{
	uint8_t *proto = malloc(pl->len + 1);
	size_t bound = rec_bound(pl->len), n;

	*buf = realloc(*buf, at + bound);
	gen(proto, pl->len, pl->seed);
	n = rec_pack(p, pl->kind, pl->flags, pl->frame, proto, pl->len,
	    *buf + at, bound);
	free(proto);
	return n;
}

static int
add(struct stream *s, struct rec_packer *p, struct plan pl)
{
	size_t n = pack_plan(p, &pl, &s->buf, s->len);

	if (!CHECK(n > 0) || !CHECK(s->n < MAXREC))
		return 0;
	s->plan[s->n] = pl;
	s->off[s->n] = s->len;
	s->size[s->n++] = n;
	s->len += n;
	return 1;
}

/* A stream of N records of sizes 0 to MAXLEN - 1 (all MAXLEN - 1 with
 * FIXED; random_size() without MAXLEN). */
static int
build(struct stream *s, size_t n, size_t maxlen, int fixed)
{
	struct rec_packer p;
	int ok = 1;

	memset(s, 0, sizeof *s);
	if (!CHECK_EQ_INT(rec_packer_init(&p, REC_LEVEL_DEFAULT), 0))
		return 0;
	for (size_t i = 0; i < n && ok; i++)
		ok = add(s, &p, plan_of(i, maxlen == 0 ? random_size() :
		    fixed ? maxlen - 1 : rng() % maxlen));
	rec_packer_free(&p);
	return ok;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A descriptor to read DATA from: a memfd, or a closed pipe (LEN must fit
 * in the pipe's buffer). */
static int
input_fd(const void *data, size_t len, int use_pipe)
{
	int fds[2];

	if (use_pipe) {
		if (!CHECK(len <= 60000) || !CHECK_EQ_INT(pipe(fds), 0))
			return -1;
		CHECK_EQ_INT(write_all(fds[1], data, len), 0);
		close(fds[1]);
		return fds[0];
	}
	fds[0] = memfd_create("test-rec", MFD_CLOEXEC);
	if (!CHECK(fds[0] >= 0))
		return -1;
	CHECK_EQ_INT(write_all(fds[0], data, len), 0);
	CHECK_EQ_INT(lseek(fds[0], 0, SEEK_SET), 0);
	return fds[0];
}

/* Whether ST and OUT are the good record PL at OFFSET. */
static int
is_record(enum rec_status st, const struct rec *out, const struct plan *pl,
    uint64_t offset)
{
	uint8_t *want;
	int ok;

	if (!CHECK_EQ_INT(st, REC_OK)) {
		fprintf(stderr, "  status %d at %llu: %s\n", (int)st,
		    (unsigned long long)out->offset, out->why);
		return 0;
	}
	ok = CHECK_EQ_INT(out->kind, pl->kind) &&
	    CHECK_EQ_INT(out->flags, pl->flags) &&
	    CHECK_EQ_INT(out->frame, pl->frame) &&
	    CHECK_EQ_U64(out->offset, offset) &&
	    CHECK_EQ_U64(out->data_len, pl->len) &&
	    CHECK(out->data != NULL);
	if (!ok)
		return 0;
	want = malloc(pl->len + 1);
	gen(want, pl->len, pl->seed);
	ok = CHECK(memcmp(out->data, want, pl->len) == 0);
	free(want);
	return ok;
}

/* Whether the next statuses are records FROM to TO - 1 of S. */
static int
expect_records(struct rec_reader *r, const struct stream *s, size_t from,
    size_t to)
{
	struct rec out;

	for (size_t i = from; i < to; i++)
		if (!is_record(rec_next(r, &out), &out, &s->plan[i],
		    s->off[i]))
			return 0;
	return 1;
}

static int
expect_status(struct rec_reader *r, enum rec_status want, struct rec *out)
{
	enum rec_status st = rec_next(r, out);

	if (!CHECK_EQ_INT(st, want)) {
		fprintf(stderr, "  at %llu: %s\n",
		    (unsigned long long)out->offset, out->why);
		return 0;
	}
	return 1;
}

/* Read S from a file: all its records good, then the end. */
static int
expect_all(const struct stream *s)
{
	struct rec out;
	int fd = input_fd(s->buf, s->len, 0), ok;
	struct rec_reader *r = rec_reader_open(fd);

	ok = CHECK(r != NULL) && expect_records(r, s, 0, s->n) &&
	    expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fd);
	return ok;
}

/* Read S with record BAD damaged in BUF: the others good, BAD reported once
 * with WHY (unless NULL) and skipped whole. */
static int
expect_one_damaged(const struct stream *s, const uint8_t *buf, size_t bad,
    const char *why)
{
	struct rec out;
	int fd = input_fd(buf, s->len, 0), ok;
	struct rec_reader *r = rec_reader_open(fd);

	ok = CHECK(r != NULL) && expect_records(r, s, 0, bad) &&
	    expect_status(r, REC_DAMAGED, &out) &&
	    CHECK_EQ_U64(out.offset, s->off[bad]) &&
	    CHECK_EQ_U64(out.skipped, s->size[bad]) &&
	    (why == NULL || CHECK_EQ_STR(out.why, why)) &&
	    expect_records(r, s, bad + 1, s->n) &&
	    expect_status(r, REC_END, &out);
	if (!ok)
		fprintf(stderr, "  (damage: %s)\n", out.why);
	rec_reader_close(r);
	close(fd);
	return ok;
}

/* The writer end of a pipe: packs PLANS and writes them in random chunks. */
struct writer {
	int fd;
	const struct plan *plans;
	size_t n;
	uint64_t seed;
};

static void *
write_records(void *arg)
{
	struct writer *w = arg;
	struct rec_packer p;
	uint8_t *buf = NULL;

	if (!CHECK_EQ_INT(rec_packer_init(&p, REC_LEVEL_DEFAULT), 0))
		goto out;
	for (size_t i = 0; i < w->n; i++) {
		size_t len = pack_plan(&p, &w->plans[i], &buf, 0), at = 0;

		if (!CHECK(len > 0))
			break;
		while (at < len) {
			size_t chunk = 1 + next_rand(&w->seed) % 100000;

			if (chunk > len - at)
				chunk = len - at;
			if (!CHECK_EQ_INT(write_all(w->fd, buf + at, chunk),
			    0))
				goto out;
			at += chunk;
		}
	}
out:
	rec_packer_free(&p);
	free(buf);
	close(w->fd);
	return NULL;
}

static void
envelope_is_laid_out_as_specified(void)
{
	static const uint8_t head[] = { 'G', 'H', 'R', '1', REC_FRAME,
	    REC_KEYFRAME, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff };
	char proto[3000], back[3000];
	struct rec_packer p;
	uint8_t rec[4000];
	size_t n, len;
	uLong crc;

	memset(proto, 'q', sizeof proto);
	if (!CHECK_EQ_INT(rec_packer_init(&p, REC_LEVEL_DEFAULT), 0))
		return;
	n = rec_pack(&p, REC_FRAME, REC_KEYFRAME, -2, proto, sizeof proto, rec,
	    sizeof rec);
	rec_packer_free(&p);
	if (!CHECK(n > REC_ENVELOPE))
		return;
	len = n - REC_ENVELOPE;
	CHECK_EQ_MEM(rec, head, sizeof head);
	CHECK_EQ_U64(rec[16] | rec[17] << 8 | rec[18] << 16 |
	    (uint32_t)rec[19] << 24, len);
	crc = crc32(crc32(0L, rec, 20), rec + REC_ENVELOPE, (uInt)len);
	CHECK_EQ_U64(rec[20] | rec[21] << 8 | rec[22] << 16 |
	    (uint32_t)rec[23] << 24, crc);
	CHECK_EQ_U64(ZSTD_getFrameContentSize(rec + REC_ENVELOPE, len),
	    sizeof proto);
	CHECK_EQ_U64(ZSTD_findFrameCompressedSize(rec + REC_ENVELOPE, len),
	    len);
	CHECK_EQ_U64(ZSTD_decompress(back, sizeof back, rec + REC_ENVELOPE,
	    len), sizeof proto);
	CHECK_EQ_MEM(back, proto, sizeof proto);
	/* The frame header descriptor's content checksum flag. */
	CHECK((rec[REC_ENVELOPE + 4] & 0x04) != 0);
}

static void
round_trip_over_a_pipe(void)
{
	static struct plan plans[100];
	struct writer w = { .plans = plans, .n = 100, .seed = 42 };
	uint64_t offset = 0;
	struct rec_reader *r;
	struct rec out;
	pthread_t t;
	int fds[2];
	size_t i;

	for (i = 0; i < w.n; i++)
		plans[i] = plan_of(i, random_size());
	if (!CHECK_EQ_INT(pipe(fds), 0))
		return;
	w.fd = fds[1];
	r = rec_reader_open(fds[0]);
	CHECK_EQ_INT(pthread_create(&t, NULL, write_records, &w), 0);
	for (i = 0; i < w.n; i++) {
		if (!is_record(rec_next(r, &out), &out, &plans[i], offset))
			break;
		offset += REC_ENVELOPE + out.payload_len;
	}
	if (i == w.n)
		expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fds[0]);	/* a writer still writing gets EPIPE */
	pthread_join(t, NULL);
}

static void
round_trip_over_a_file(void)
{
	char path[] = "/var/tmp/test-rec.XXXXXX";
	struct stream s;
	struct rec_reader *r;
	struct rec out;
	int fd;

	if (!build(&s, 60, 0, 0))
		return;
	fd = mkstemp(path);
	if (!CHECK(fd >= 0))
		return;
	unlink(path);
	CHECK_EQ_INT(write_all(fd, s.buf, s.len), 0);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_SET), 0);
	r = rec_reader_open(fd);
	if (expect_records(r, &s, 0, s.n))
		expect_status(r, REC_END, &out);
	expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fd);
	free(s.buf);
}

static void
live_reader_gets_each_record_when_whole(void)
{
	struct stream s;
	struct rec_reader *r;
	struct rec out;
	int fds[2];

	/* A reader that waited for more than a record would block forever
	 * here, and the case would time out. */
	if (!build(&s, 3, 2000, 1) || !CHECK_EQ_INT(pipe(fds), 0))
		return;
	r = rec_reader_open(fds[0]);
	CHECK_EQ_INT(write_all(fds[1], s.buf, s.off[1] + 30), 0);
	expect_records(r, &s, 0, 1);
	for (size_t i = s.off[1] + 30; i < s.off[2]; i++)
		CHECK_EQ_INT(write_all(fds[1], s.buf + i, 1), 0);
	expect_records(r, &s, 1, 2);
	CHECK_EQ_INT(write_all(fds[1], s.buf + s.off[2], 10), 0);
	close(fds[1]);
	if (expect_status(r, REC_TRUNCATED, &out)) {
		CHECK_EQ_STR(out.why, "truncated: 10 of 24 bytes");
		CHECK_EQ_U64(out.offset, s.off[2]);
	}
	expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fds[0]);
	free(s.buf);
}

static void
envelope_bit_flips_cost_only_that_record(void)
{
	struct stream s;
	uint8_t *buf;

	if (!build(&s, 5, 300, 0))
		return;
	buf = malloc(s.len);
	for (size_t bit = 0; bit < 8 * REC_ENVELOPE; bit++) {
		memcpy(buf, s.buf, s.len);
		buf[s.off[2] + bit / 8] ^= (uint8_t)(1u << bit % 8);
		if (!expect_one_damaged(&s, buf, 2, NULL)) {
			fprintf(stderr, "  (envelope bit %zu)\n", bit);
			break;
		}
	}
	free(buf);
	free(s.buf);
}

static void
payload_bit_flips_cost_only_that_record(void)
{
	struct stream s;
	uint8_t *buf;

	if (!build(&s, 5, 400, 1))
		return;
	buf = malloc(s.len);
	for (size_t i = s.off[2] + REC_ENVELOPE; i < s.off[3]; i++) {
		memcpy(buf, s.buf, s.len);
		buf[i] ^= (uint8_t)(1u << i % 8);
		if (!expect_one_damaged(&s, buf, 2, "bad checksum")) {
			fprintf(stderr, "  (payload byte %zu)\n", i);
			break;
		}
	}
	free(buf);
	free(s.buf);
}

static void
truncation_anywhere_in_the_last_record(void)
{
	struct stream s;
	char why[64];

	if (!build(&s, 3, 500, 1))
		return;
	for (size_t cut = 0; cut < s.size[2]; cut++) {
		int fd = input_fd(s.buf, s.off[2] + cut, 1), ok;
		struct rec_reader *r = rec_reader_open(fd);
		struct rec out;

		snprintf(why, sizeof why, "truncated: %zu of %zu bytes", cut,
		    cut < REC_ENVELOPE ? (size_t)REC_ENVELOPE : s.size[2]);
		ok = expect_records(r, &s, 0, 2);
		if (ok && cut > 0)
			ok = expect_status(r, REC_TRUNCATED, &out) &&
			    CHECK_EQ_STR(out.why, why) &&
			    CHECK_EQ_U64(out.offset, s.off[2]) &&
			    CHECK_EQ_U64(out.skipped, cut);
		ok = ok && expect_status(r, REC_END, &out) &&
		    expect_status(r, REC_END, &out);
		rec_reader_close(r);
		close(fd);
		if (!ok) {
			fprintf(stderr, "  (cut at %zu)\n", cut);
			break;
		}
	}
	free(s.buf);
}

static void
garbage_and_fake_magic_are_skipped(void)
{
	static const uint8_t fake[] = { 'G', 'H', 'R', '1', 2, 0, 0, 0,
	    1, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 1, 2, 3, 4 };
	uint64_t seed = 7;
	struct stream s;
	uint8_t *buf;
	size_t pre;
	struct rec_reader *r;
	struct rec out;
	int fd;

	/* Garbage, a fake envelope, garbage, then three good records. */
	if (!build(&s, 3, 3000, 0))
		return;
	pre = 1000 + sizeof fake + 100;
	buf = malloc(pre + s.len + 5000);
	garbage(buf, pre, &seed);
	memcpy(buf + 1000, fake, sizeof fake);
	memcpy(buf + pre, s.buf, s.len);
	fd = input_fd(buf, pre + s.len, 0);
	r = rec_reader_open(fd);
	if (expect_status(r, REC_DAMAGED, &out)) {
		CHECK_EQ_U64(out.offset, 0);
		CHECK_EQ_U64(out.skipped, pre);
		CHECK_EQ_STR(out.why, "bad magic");
	}
	for (size_t i = 0; i < s.n; i++)
		s.off[i] += pre;
	if (expect_records(r, &s, 0, s.n))
		expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fd);

	/* Only garbage: damaged once, then the end. */
	garbage(buf, 5000, &seed);
	fd = input_fd(buf, 5000, 0);
	r = rec_reader_open(fd);
	if (expect_status(r, REC_DAMAGED, &out))
		CHECK_EQ_U64(out.skipped, 5000);
	expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fd);

	/* Garbage ending in an envelope whose payload runs past the end. */
	memcpy(buf + 4000, fake, sizeof fake);
	fd = input_fd(buf, 4000 + sizeof fake + 5, 0);
	r = rec_reader_open(fd);
	if (expect_status(r, REC_DAMAGED, &out))
		CHECK_EQ_U64(out.skipped, 4000);
	if (expect_status(r, REC_TRUNCATED, &out))
		CHECK_EQ_STR(out.why, "truncated: 29 of 34 bytes");
	expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fd);

	/* Nothing at all. */
	fd = input_fd(buf, 0, 1);
	r = rec_reader_open(fd);
	expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fd);
	free(buf);
	free(s.buf);
}

static void
fake_magic_inside_a_payload_does_not_fool_resync(void)
{
	static const uint8_t fake[] = { 'G', 'H', 'R', '1', 2, 0, 0, 0,
	    1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rec_packer p;
	struct stream s;
	uint8_t proto[3000], *buf;
	size_t n;

	/* Random bytes stay stored as they are, fake envelope and all. */
	memset(&s, 0, sizeof s);
	for (size_t i = 0; i < sizeof proto; i++)
		proto[i] = (uint8_t)(rng() >> 40);
	memcpy(proto + 1500, fake, sizeof fake);
	if (!CHECK_EQ_INT(rec_packer_init(&p, REC_LEVEL_DEFAULT), 0))
		return;
	add(&s, &p, plan_of(0, 100));
	s.off[1] = s.len;
	s.buf = realloc(s.buf, s.len + rec_bound(sizeof proto));
	n = rec_pack(&p, REC_FRAME, 0, 5, proto, sizeof proto, s.buf + s.len,
	    rec_bound(sizeof proto));
	CHECK(n > 0);
	s.size[1] = n;
	s.n = 2;
	s.len += n;
	add(&s, &p, plan_of(2, 100));
	rec_packer_free(&p);
	CHECK(memmem(s.buf + s.off[1] + REC_ENVELOPE, n, fake,
	    sizeof fake) != NULL);
	buf = malloc(s.len);
	memcpy(buf, s.buf, s.len);
	buf[s.off[1]] ^= 0x10;	/* the magic */
	expect_one_damaged(&s, buf, 1, "bad magic");
	free(buf);
	free(s.buf);
}

static void
length_over_the_limit_is_damage(void)
{
	static const uint32_t lens[] = { 0xffffffffu, REC_MAX_PAYLOAD + 1 };
	struct stream s;
	uint8_t *buf;
	char why[64];

	if (!build(&s, 3, 200, 0))
		return;
	buf = malloc(s.len);
	for (size_t i = 0; i < 2; i++) {
		memcpy(buf, s.buf, s.len);
		for (int k = 0; k < 4; k++)
			buf[s.off[1] + 16 + k] = (uint8_t)(lens[i] >> 8 * k);
		snprintf(why, sizeof why, "length %u over limit", lens[i]);
		expect_one_damaged(&s, buf, 1, why);
	}
	/* A length within the limit but past the end: truncated. */
	memcpy(buf, s.buf, s.len);
	for (int k = 0; k < 4; k++)
		buf[s.off[2] + 16 + k] = (uint8_t)(REC_MAX_PAYLOAD >> 8 * k);
	{
		int fd = input_fd(buf, s.len, 0);
		struct rec_reader *r = rec_reader_open(fd);
		struct rec out;

		expect_records(r, &s, 0, 2);
		if (expect_status(r, REC_TRUNCATED, &out))
			CHECK_EQ_U64(out.skipped, s.size[2]);
		expect_status(r, REC_END, &out);
		rec_reader_close(r);
		close(fd);
	}
	free(buf);
	free(s.buf);
}

/* A copy of S with record 1's payload replaced by PAYLOAD and sealed anew;
 * S's offsets and sizes follow. */
static uint8_t *
replace_payload(struct stream *s, const void *payload, size_t len, int kind)
{
	size_t tail = s->len - s->off[2], rec = REC_ENVELOPE + len;
	uint8_t *buf = malloc(s->off[1] + rec + tail);

	memcpy(buf, s->buf, s->off[1]);
	memcpy(buf + s->off[1] + REC_ENVELOPE, payload, len);
	rec_seal(buf + s->off[1], kind, 0, 99, len);
	memcpy(buf + s->off[1] + rec, s->buf + s->off[2], tail);
	s->len = s->off[1] + rec + tail;
	s->size[1] = rec;
	s->off[2] = s->off[1] + rec;
	return buf;
}

static void
zstd_checksum_mismatch_is_damage(void)
{
	const char *want = "zstd: Restored data doesn't match checksum";
	struct rec_packer p;
	struct stream s;
	uint8_t proto[5000], *rec, *buf;
	size_t n;

	if (!build(&s, 3, 300, 0) ||
	    !CHECK_EQ_INT(rec_packer_init(&p, REC_LEVEL_DEFAULT), 0))
		return;
	rec = malloc(rec_bound(sizeof proto));
	/* Compressible content: flip a bit of zstd's checksum itself. Random
	 * content, stored raw: flip a bit of the content. Either way the
	 * envelope is sealed anew, so only zstd can tell. */
	for (uint64_t seed = 2; seed < 4; seed++) {
		struct stream t = s;

		gen(proto, sizeof proto, seed);
		n = rec_pack(&p, REC_FRAME, 0, 1, proto, sizeof proto, rec,
		    rec_bound(sizeof proto)) - REC_ENVELOPE;
		CHECK(seed == 3 ? n > sizeof proto : n < sizeof proto / 2);
		rec[REC_ENVELOPE + (seed == 3 ? n / 2 : n - 2)] ^= 0x04;
		buf = replace_payload(&t, rec + REC_ENVELOPE, n, REC_FRAME);
		expect_one_damaged(&t, buf, 1, want);
		free(buf);
	}
	rec_packer_free(&p);
	free(rec);
	free(s.buf);
}

static void
payload_must_be_one_checked_zstd_frame(void)
{
	static const uint8_t skippable[] = { 0x50, 0x2a, 0x4d, 0x18, 4, 0, 0,
	    0, 1, 2, 3, 4 };
	/* Single segment, checksum, an 8-byte content size of 2 GiB, then one
	 * raw byte: a frame claiming too much content. */
	static const uint8_t huge[] = { 0x28, 0xb5, 0x2f, 0xfd, 0xe4, 0, 0, 0,
	    0x80, 0, 0, 0, 0, 9, 0, 0, 'x', 1, 2, 3, 4 };
	char text[1000], frames[4000];
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	struct stream s;
	size_t one, nosum, nosize;

	/* A frame with checksum and content size, one without checksum, and
	 * one without content size. */
	memset(text, 'x', sizeof text);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	one = ZSTD_compress2(cc, frames, 1000, text, sizeof text);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0);
	nosum = ZSTD_compress2(cc, frames + 2000, 1000, text, sizeof text);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	nosize = ZSTD_compress2(cc, frames + 3000, 1000, text, sizeof text);
	ZSTD_freeCCtx(cc);
	if (!CHECK(!ZSTD_isError(one) && !ZSTD_isError(nosum) &&
	    !ZSTD_isError(nosize)) || !build(&s, 3, 100, 0))
		return;
	memcpy(frames + one, frames, one);

	const struct {
		const void *p;
		size_t len;
		const char *why;	/* NULL: any */
	} bad[] = {
		{ "hello, world", 12, "zstd: Unknown frame descriptor" },
		{ "", 0, "zstd: short frame header" },
		{ frames, 2 * one, "zstd: payload is not exactly one frame" },
		{ frames, one + 1, "zstd: payload is not exactly one frame" },
		{ frames, one - 1, NULL },
		{ frames + 2000, nosum, "zstd: no checksum" },
		{ frames + 3000, nosize, "zstd: no content size" },
		{ skippable, sizeof skippable, "zstd: skippable frame" },
		{ huge, sizeof huge, "zstd: content size over limit" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct stream t = s;
		uint8_t *buf = replace_payload(&t, bad[i].p, bad[i].len,
		    REC_HEADER);
		int ok = expect_one_damaged(&t, buf, 1, bad[i].why);

		free(buf);
		if (!ok) {
			fprintf(stderr, "  (case %zu)\n", i);
			break;
		}
	}
	free(s.buf);
}

static void
unknown_kinds_come_through_undecoded(void)
{
	struct rec_packer p;
	uint8_t buf[400];
	size_t n, m;
	struct rec_reader *r;
	struct rec out;
	int fd;

	if (!CHECK_EQ_INT(rec_packer_init(&p, REC_LEVEL_DEFAULT), 0))
		return;
	n = rec_pack(&p, 3, REC_KEYFRAME, 12, "abc", 3, buf, sizeof buf);
	memcpy(buf + n + REC_ENVELOPE, "no zstd here", 12);
	m = n + rec_seal(buf + n, 200, 0, -1, 12);
	m += rec_pack(&p, REC_FRAME, 0, 13, "def", 3, buf + m,
	    sizeof buf - m);
	rec_packer_free(&p);
	CHECK(n > 0);
	fd = input_fd(buf, m, 1);
	r = rec_reader_open(fd);
	if (expect_status(r, REC_OK, &out)) {
		CHECK_EQ_INT(out.kind, 3);
		CHECK_EQ_INT(out.flags, REC_KEYFRAME);
		CHECK_EQ_INT(out.frame, 12);
		CHECK_EQ_U64(out.payload_len, n - REC_ENVELOPE);
		CHECK_EQ_PTR(out.data, NULL);
	}
	if (expect_status(r, REC_OK, &out)) {
		CHECK_EQ_INT(out.kind, 200);
		CHECK_EQ_INT(out.frame, -1);
		CHECK_EQ_U64(out.offset, n);
		CHECK_EQ_U64(out.payload_len, 12);
		CHECK_EQ_MEM(out.payload, "no zstd here", 12);
	}
	if (expect_status(r, REC_OK, &out)) {
		CHECK_EQ_INT(out.kind, REC_FRAME);
		CHECK_EQ_U64(out.data_len, 3);
		CHECK_EQ_MEM(out.data, "def", 3);
	}
	expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fd);
}

static void
packing_fits_its_static_context(void)
{
	/* A static zstd context cannot allocate: a workspace too small for
	 * some size would make rec_pack fail here. */
	static const int levels[] = { REC_LEVEL_DEFAULT, 3, -5, 9 };
	static const size_t sizes[] = { 0, 1, 100, 16385, 131073, 262145,
	    3u << 20, 10 };
	size_t max = 3u << 20, cap = rec_bound(max);
	uint8_t *proto = malloc(max), *out = malloc(cap);
	struct rec_packer p;

	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		if (!CHECK_EQ_INT(rec_packer_init(&p, levels[l]), 0))
			continue;
		CHECK(p.work_size > 0);
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
			for (uint64_t seed = 2; seed < 4; seed++) {
				struct stream s = { .n = 1 };
				size_t n;

				s.plan[0] = (struct plan){ sizes[i], seed,
				    REC_FRAME, 0, 1 };
				n = pack_plan(&p, &s.plan[0], &s.buf, 0);
				if (!CHECK(n > 0)) {
					fprintf(stderr, "  level %d size %zu\n",
					    levels[l], sizes[i]);
				} else {
					s.len = s.size[0] = n;
					expect_all(&s);
				}
				free(s.buf);
			}
		/* Bad arguments and short room fail cleanly. */
		gen(proto, 100000, 3);
		CHECK_EQ_U64(rec_pack(&p, 0, 0, 0, proto, 10, out, cap), 0);
		CHECK_EQ_U64(rec_pack(&p, REC_FRAME, 2, 0, proto, 10, out,
		    cap), 0);
		CHECK_EQ_U64(rec_pack(&p, REC_FRAME, 0, 0, proto, 100000, out,
		    50000), 0);
		CHECK_EQ_U64(rec_pack(&p, REC_FRAME, 0, 0, proto, 10, out,
		    10), 0);
		rec_packer_free(&p);
	}
	CHECK_EQ_INT(rec_packer_init(&p, 1000), -1);
	CHECK_EQ_U64(rec_bound(SIZE_MAX), 0);
	CHECK_EQ_U64(rec_bound(100), REC_ENVELOPE + ZSTD_compressBound(100));
	free(proto);
	free(out);
}

/* Resident bytes of this process. */
static long
resident(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

struct garbage_writer {
	int fd;
	size_t len;
	long grew;
};

static void *
write_garbage(void *arg)
{
	struct garbage_writer *w = arg;
	static uint8_t chunk[1 << 16];
	uint64_t seed = 99;
	long before = resident();

	for (size_t at = 0; at < w->len; at += sizeof chunk) {
		garbage(chunk, sizeof chunk, &seed);
		if (write_all(w->fd, chunk, sizeof chunk) != 0)
			break;
	}
	w->grew = resident() - before;
	close(w->fd);
	return NULL;
}

static void
endless_garbage_reads_in_bounded_memory(void)
{
	struct garbage_writer w = { .len = 64u << 20 };
	struct rec_reader *r;
	struct rec out;
	pthread_t t;
	int fds[2];

	if (!CHECK_EQ_INT(pipe(fds), 0))
		return;
	w.fd = fds[1];
	r = rec_reader_open(fds[0]);
	CHECK_EQ_INT(pthread_create(&t, NULL, write_garbage, &w), 0);
	if (expect_status(r, REC_DAMAGED, &out))
		CHECK_EQ_U64(out.skipped, w.len);
	expect_status(r, REC_END, &out);
	rec_reader_close(r);
	close(fds[0]);
	pthread_join(t, NULL);
	CHECK_LT_INT(w.grew, 16l << 20);
}

static void
read_errors_are_reported(void)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	struct rec_reader *r = rec_reader_open(fd);
	struct rec out;

	if (expect_status(r, REC_IOERR, &out))
		CHECK_EQ_STR(out.why, strerror(EISDIR));
	rec_reader_close(r);
	close(fd);
	r = rec_reader_open(-1);
	if (expect_status(r, REC_IOERR, &out))
		CHECK_EQ_STR(out.why, strerror(EBADF));
	rec_reader_close(r);
}

static const struct unit_case cases[] = {
	UNIT_CASE(envelope_is_laid_out_as_specified),
	UNIT_CASE(round_trip_over_a_pipe),
	UNIT_CASE(round_trip_over_a_file),
	UNIT_CASE(live_reader_gets_each_record_when_whole),
	UNIT_CASE(envelope_bit_flips_cost_only_that_record),
	UNIT_CASE(payload_bit_flips_cost_only_that_record),
	UNIT_CASE(truncation_anywhere_in_the_last_record),
	UNIT_CASE(garbage_and_fake_magic_are_skipped),
	UNIT_CASE(fake_magic_inside_a_payload_does_not_fool_resync),
	UNIT_CASE(length_over_the_limit_is_damage),
	UNIT_CASE(zstd_checksum_mismatch_is_damage),
	UNIT_CASE(payload_must_be_one_checked_zstd_frame),
	UNIT_CASE(unknown_kinds_come_through_undecoded),
	UNIT_CASE(packing_fits_its_static_context),
	UNIT_CASE(endless_garbage_reads_in_bounded_memory),
	UNIT_CASE(read_errors_are_reported),
};

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
