/* decimal.c - an unsigned number in decimal.  See include/pinit/decimal.h. */
#include "pinit/decimal.h"

size_t decimal_put(char *out, unsigned long long v)
{
  char tmp[DECIMAL_MAX];
  size_t n = 0, i = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while(v);
  while(n)
    out[i++] = tmp[--n];
  return i;
}
