/* clock.h - the two clocks, kept apart by type so the compiler refuses to mix them.
 *
 * struct clock_mono: CLOCK_MONOTONIC in ms.  Every deadline, interval, age and timeout
 *   (back-off, stop timeout, drain, probe intervals, the restart window, "up 42s").  It
 *   never jumps: an NTP step, `date -s` or a VM resume moves the wall clock, not this one.
 * struct clock_wall: CLOCK_REALTIME in ms.  Only what a person reads: log timestamps and
 *   the *_start_time_seconds metrics.  Never compared with a clock_mono.
 *
 * A stored clock_mono with ms == 0 means "not set" (CLOCK_MONOTONIC is past 0 once the
 * machine has been up for a millisecond).  Nothing here blocks, allocates or sets errno;
 * clock_gettime cannot fail for these two clocks on Linux. */
#ifndef PINIT_CLOCK_H
#define PINIT_CLOCK_H

#include <stdint.h>

struct clock_mono {
  int64_t ms;
};

struct clock_wall {
  int64_t ms;
};

#define CLOCK_MONO_UNSET ((struct clock_mono){ 0 })

/* Now, on each clock. */
struct clock_mono clock_mono_now(void);
struct clock_wall clock_wall_now(void);

/* t + ms (ms may be negative). */
static inline struct clock_mono clock_mono_add(struct clock_mono t, int64_t ms)
{
  return (struct clock_mono){ t.ms + ms };
}

/* later - earlier, in ms (negative if `later` is the earlier one). */
static inline int64_t clock_mono_diff(struct clock_mono later, struct clock_mono earlier)
{
  return later.ms - earlier.ms;
}

/* 1 if t was set (ms != 0). */
static inline int clock_mono_is_set(struct clock_mono t)
{
  return t.ms != 0;
}

#endif
