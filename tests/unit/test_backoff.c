/* Table tests for backoff.c: the curve, jitter only shortens, the 1 s gap. */
#include "pinit/backoff.h"
#include "unit.h"

int main(void)
{
  static const long long curve[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };
  for(int k = 1; k <= 8; k++)
    CHECK_INT(backoff_curve(k, 1000, 30000), curve[k - 1]);
  CHECK_INT(backoff_curve(0, 1000, 30000), 1000);
  CHECK_INT(backoff_curve(200, 1000, 30000), 30000); /* no overflow for large k */
  CHECK_INT(backoff_curve(3, 250, 60000), 1000);
  CHECK_INT(backoff_curve(1, 5000, 2000), 2000);     /* max caps even the first */

  static const struct { int k; double r; long long since, want; } cases[] = {
    { 1, 0, 5000, 1000 },      /* exact curve without jitter */
    { 6, 0, 5000, 30000 },
    { 6, 0.5, 5000, 28500 },   /* jitter shortens by up to 10% */
    { 6, 0.999, 5000, 27003 },
    { 1, 0.9, 100, 910 },      /* ...but never below the 1 s gap since the last spawn: 1000-100 */
    { 1, 0, 200, 1000 },       /* the curve already exceeds the gap */
    { 1, 0, 0, 1000 },
  };
  for(unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    CHECK_INT(backoff_delay(cases[i].k, 1000, 30000, cases[i].r, cases[i].since), cases[i].want);
  /* zero delays are still spaced by the gap */
  CHECK_INT(backoff_delay(1, 0, 0, 0, 300), 700);
  CHECK_INT(backoff_delay(1, 0, 0, 0, 3000), 0);
  for(int k = 1; k < 12; k++)
    for(double r = 0; r < 1; r += 0.125) {
      long long d = backoff_delay(k, 1000, 30000, r, 10000);
      CHECK(d <= backoff_curve(k, 1000, 30000) && d >= backoff_curve(k, 1000, 30000) * 9 / 10);
    }
  return unit_done("backoff");
}
