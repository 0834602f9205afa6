/* The trace record envelope, shared by the writer in the game and every
 * reader. A trace is records back to back in a stream (file, pipe, FIFO),
 * each a 24-byte little-endian envelope followed by its payload:
 *
 *   off size field
 *   0   4    magic "GHR1"
 *   4   1    kind: REC_HEADER, REC_FRAME (readers report others, undecoded)
 *   5   1    flags: REC_KEYFRAME; other bits 0
 *   6   2    reserved, 0
 *   8   8    frame number, int64 (header record: the first frame recorded)
 *   16  4    payload length, at most REC_MAX_PAYLOAD
 *   20  4    zlib crc32 of bytes 0..19 followed by the payload
 *   24  len  one zstd frame, with content size and content checksum, whose
 *            content is a serialized protobuf message (schema/trace.proto)
 */
#ifndef GH_REC_H
#define GH_REC_H

#include <stddef.h>
#include <stdint.h>

#define REC_MAGIC "GHR1"
#define REC_ENVELOPE 24
#define REC_MAX_PAYLOAD (256u << 20)
/* The largest decompressed content a reader accepts. */
#define REC_MAX_DATA (1u << 30)
#define REC_LEVEL_DEFAULT 1

enum rec_kind { REC_HEADER = 1, REC_FRAME = 2 };
#define REC_KEYFRAME 0x01

/* An envelope's fields, as rec_envelope_parse reads them. */
struct rec_envelope {
	int kind, flags;
	int64_t frame;
	uint32_t payload_len;
	uint32_t crc;		/* as written, unchecked */
};

/* Read the REC_ENVELOPE bytes at ENV into OUT (filled in whatever the
 * outcome). Returns 0 when the magic is there and the payload length
 * within REC_MAX_PAYLOAD, -1 on a bad magic, -2 on a length over the
 * limit. The crc is not checked: see rec_envelope_crc. */
int rec_envelope_parse(const uint8_t env[REC_ENVELOPE],
    struct rec_envelope *out);

/* The crc an envelope carries for its first 20 bytes at ENV followed by
 * the LEN-byte PAYLOAD; it checks out when it equals the parsed crc. */
uint32_t rec_envelope_crc(const uint8_t env[REC_ENVELOPE], const void *payload,
    size_t len);

/* The writer side: nothing is allocated after rec_packer_init. */
struct rec_packer {
	struct ZSTD_CCtx_s *cctx;	/* static, over work */
	void *work;
	size_t work_size;
	int level;
};

/* Make P compress at zstd LEVEL. Returns 0, or -1 (bad level, no memory). */
int rec_packer_init(struct rec_packer *p, int level);
void rec_packer_free(struct rec_packer *p);

/* The worst-case size of a whole record holding PROTO_LEN bytes (the
 * envelope and ZSTD_compressBound), or 0 when zstd cannot take that many. */
size_t rec_bound(size_t proto_len);

/* Compress PROTO (LEN bytes) into OUT, of capacity CAP >= rec_bound(LEN),
 * as a whole record of KIND (1..255), FLAGS and FRAME. Returns the record's
 * size, or 0 on error (bad arguments, CAP too small, payload over the
 * limit). */
size_t rec_pack(struct rec_packer *p, int kind, int flags, int64_t frame,
    const void *proto, size_t len, void *out, size_t cap);

/* Write the envelope of the record at REC, whose PAYLOAD_LEN-byte payload
 * already sits at REC + REC_ENVELOPE. Returns the record's size. */
size_t rec_seal(void *rec, int kind, int flags, int64_t frame,
    size_t payload_len);

/* The reader side: sequential, needs no seeking, survives any input. */
struct rec_reader;

/* Read records from FD, which stays the caller's. NULL when out of
 * memory. */
struct rec_reader *rec_reader_open(int fd);
void rec_reader_close(struct rec_reader *r);

enum rec_status {
	REC_OK,		/* a good record */
	REC_END,	/* end of input at a record boundary (again and again) */
	REC_DAMAGED,	/* bytes that are no good record, now skipped */
	REC_TRUNCATED,	/* input ended inside a record; REC_END follows */
	REC_IOERR,	/* read error or no memory; why says which */
};

struct rec {
	int kind, flags;
	int64_t frame;
	uint64_t offset;	/* stream offset of the envelope, or damage */
	const uint8_t *payload;	/* the compressed payload */
	size_t payload_len;
	const uint8_t *data;	/* the protobuf bytes; NULL for other kinds */
	size_t data_len;
	/* For REC_DAMAGED, REC_TRUNCATED and REC_IOERR: */
	char why[160];
	uint64_t skipped;	/* bytes skipped from offset on */
};

/* The next record of R into OUT, whose pointers stay valid until the next
 * call. Blocks until the current record is complete or input ends, never
 * for more. REC_DAMAGED comes once per damaged stretch, after resyncing to
 * the next record whose magic and crc check out (or to end of input); a
 * record whose envelope checks out but whose zstd frame does not is
 * DAMAGED on its own, with skipped its size. */
enum rec_status rec_next(struct rec_reader *r, struct rec *out);

#endif
