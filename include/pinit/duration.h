/* duration.h - durations as operators write them: "250ms", "10s", "2m", "1h", "1m30s".
 * A bare number means seconds.  Pure functions, no allocation, never block. */
#ifndef PINIT_DURATION_H
#define PINIT_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Parse `s` into milliseconds.  Accepts one or more <digits>[.<digits>]<unit> groups,
 * units ms, s, m, h (a lone number = seconds).  Returns 0 and sets *ms, or -1 (with
 * *ms untouched) for anything else: empty, negative, unknown unit, overflow past
 * 30 days. */
int duration_parse(const char *s, int64_t *ms);

/* Format ms the way duration_parse reads it back, shortest exact form ("1m30s",
 * "250ms", "0s") into buf of size cap; returns buf. */
char *duration_format(int64_t ms, char *buf, size_t cap);

#endif
