/* backoff.h - restart delay math.  Pure, no state, never blocks.
 *
 * Delay before restart k (k >= 1, the k-th consecutive failure):
 *   min(delay_min * 2^(k-1), delay_max)  =>  1, 2, 4, 8, 16, 30, 30 ... s by default,
 * then jitter takes away up to BACKOFF_JITTER of it (jitter only shortens), and the
 * result is raised so that two spawns are always at least BACKOFF_MIN_GAP_MS apart. */
#ifndef PINIT_BACKOFF_H
#define PINIT_BACKOFF_H

#include <stdint.h>

#define BACKOFF_MIN_GAP_MS 1000
#define BACKOFF_JITTER 0.1

/* The un-jittered curve: delay before restart k (k < 1 is treated as 1), in ms. */
int64_t backoff_curve(int k, int64_t delay_min_ms, int64_t delay_max_ms);

/* The delay to wait now: curve(k), shortened by rand01 * BACKOFF_JITTER of itself
 * (rand01 in [0,1); pass 0 for no jitter), and raised so the next spawn comes no sooner
 * than BACKOFF_MIN_GAP_MS after the previous one (`since_spawn_ms` ago). */
int64_t backoff_delay(int k, int64_t delay_min_ms, int64_t delay_max_ms, double rand01, int64_t since_spawn_ms);

#endif
