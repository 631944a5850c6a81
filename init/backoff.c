/* backoff.c - restart delay math.  See include/pinit/backoff.h. */
#include "pinit/backoff.h"

int64_t backoff_curve(int k, int64_t delay_min_ms, int64_t delay_max_ms)
{
  int64_t d = delay_min_ms;
  for(int i = 1; i < k && d < delay_max_ms; i++)
    d *= 2;
  return d < delay_max_ms ? d : delay_max_ms;
}

int64_t backoff_delay(int k, int64_t delay_min_ms, int64_t delay_max_ms, double rand01, int64_t since_spawn_ms)
{
  int64_t d = backoff_curve(k, delay_min_ms, delay_max_ms);
  int64_t floor_ms = BACKOFF_MIN_GAP_MS - since_spawn_ms;

  if(rand01 > 0 && rand01 < 1)
    d -= (int64_t)((double)d * BACKOFF_JITTER * rand01);
  if(d < floor_ms)
    d = floor_ms;
  return d < 0 ? 0 : d;
}
