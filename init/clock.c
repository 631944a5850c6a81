/* clock.c - the monotonic clock for deadlines, the wall clock for display.  See
 * include/pinit/clock.h. */
#include "pinit/clock.h"

#include <time.h>

static int64_t read_ms(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct clock_mono clock_mono_now(void)
{
  return (struct clock_mono){ read_ms(CLOCK_MONOTONIC) };
}

struct clock_wall clock_wall_now(void)
{
  return (struct clock_wall){ read_ms(CLOCK_REALTIME) };
}
