/* Table tests for duration.c */
#include "pinit/duration.h"
#include "unit.h"

int main(void)
{
  static const struct { const char *in; int ok; long long ms; } cases[] = {
    { "250ms", 0, 250 }, { "10s", 0, 10000 }, { "2m", 0, 120000 }, { "1h", 0, 3600000 },
    { "1m30s", 0, 90000 }, { "1.5s", 0, 1500 }, { "0s", 0, 0 }, { "15", 0, 15000 },
    { "0.25", 0, 250 }, { "", -1, 0 }, { "s", -1, 0 }, { "10x", -1, 0 }, { "-1s", -1, 0 },
    { "10 s", -1, 0 }, { "999999h", -1, 0 }, { "5s10", -1, 0 }, { "1d", -1, 0 }, { ".", -1, 0 },
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int64_t ms = -7;
    int rc = duration_parse(cases[i].in, &ms);
    CHECK_INT(rc, cases[i].ok);
    CHECK_INT(ms, rc == 0 ? cases[i].ms : -7);
  }
  static const struct { long long ms; const char *out; } fmts[] = {
    { 0, "0s" }, { 250, "250ms" }, { 90000, "1m30s" }, { 3600000, "1h" }, { 1500, "1s500ms" },
  };
  char buf[32];
  for(size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
    int64_t back;
    CHECK_STR(duration_format(fmts[i].ms, buf, sizeof(buf)), fmts[i].out);
    CHECK_INT(duration_parse(buf, &back), 0);
    CHECK_INT(back, fmts[i].ms);
  }
  return unit_done("duration");
}
