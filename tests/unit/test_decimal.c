/* Table tests for decimal.c: the digits of edge values, and nothing written past them. */
#include "pinit/decimal.h"
#include "unit.h"

#include <string.h>

int main(void)
{
  static const struct { unsigned long long v; const char *want; } table[] = {
    { 0, "0" }, { 7, "7" }, { 10, "10" }, { 255, "255" }, { 4026531836ULL, "4026531836" },
    { 18446744073709551615ULL, "18446744073709551615" },
  };
  for(size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    char out[DECIMAL_MAX + 2];
    size_t n;
    memset(out, '#', sizeof(out));
    n = decimal_put(out, table[i].v);
    CHECK_INT((long)n, (long)strlen(table[i].want));
    CHECK(!memcmp(out, table[i].want, n));
    CHECK(out[n] == '#');
  }
  return unit_done("decimal");
}
