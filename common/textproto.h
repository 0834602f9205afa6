/* The text framing of the control protocol: splitting a command line into
 * words, unescaping `type` text, and JSON string quoting for replies. */
#ifndef GH_TEXTPROTO_H
#define GH_TEXTPROTO_H

#include <stddef.h>

#define TP_LINE_MAX 4096   /* longest command line, newline excluded */
#define TP_WORDS_MAX 66    /* verb plus up to 65 arguments */

/* Why a line is refused before it reaches a command. */
enum tp_status {
	TP_OK = 0,
	TP_EMPTY,          /* blank line: no reply */
	TP_CONTROL_BYTES,  /* NUL or other control bytes: binary junk */
	TP_TOO_MANY_WORDS,
};

/* Whether LINE holds control bytes (other than tab) or DEL. */
int tp_has_control(const char *line);

/* Split LINE in place into words separated by spaces or tabs; words[0] is
 * the verb. Returns a tp_status. */
enum tp_status tp_split(char *line, char **words, int *nwords);

/* The verb of LINE (its first word) copied into VERB (capacity CAP, cut
 * short if longer), without changing LINE. Returns the text after the verb
 * and one separator, untouched (for commands taking the rest of the line),
 * or NULL when the line is blank. */
const char *tp_verb(const char *line, char *verb, size_t cap);

/* Decode the escapes \n \t \r \e \\ \xHH of SRC into DST (at most CAP
 * bytes). Returns the decoded length, or -1 with *bad set to the offending
 * offset when an escape is malformed or DST is too small. */
long tp_unescape(const char *src, unsigned char *dst, size_t cap, size_t *bad);

/* Whether BUF (N bytes) is exactly one line `step` or `step N` (N from 1
 * to 1e9), ending in \n (or \r\n), and nothing more. Returns 0 with *steps
 * set, or -1. The hot path of lockstep control. */
int tp_simple_step(const char *buf, size_t n, unsigned long long *steps);

/* Parse a non-negative decimal integer up to LLONG_MAX; -1 if bad. */
int tp_parse_u64(const char *s, unsigned long long *out);

#endif
