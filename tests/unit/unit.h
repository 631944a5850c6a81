/* unit.h - the smallest table-test harness: CHECK macros and a closing line
 * "N passed, N failed" that CI reads.  Include once per test program. */
#ifndef PINIT_UNIT_H
#define PINIT_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond) do { \
    if(cond) unit_passed++; \
    else { unit_failed++; fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } \
  } while(0)

#define CHECK_INT(got, want) do { \
    long long g_ = (long long)(got), w_ = (long long)(want); \
    if(g_ == w_) unit_passed++; \
    else { unit_failed++; fprintf(stderr, "%s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); } \
  } while(0)

#define CHECK_STR(got, want) do { \
    const char *g_ = (got), *w_ = (want); \
    if(g_ && w_ && !strcmp(g_, w_)) unit_passed++; \
    else { unit_failed++; fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
                                  g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } \
  } while(0)

static inline int unit_done(const char *name)
{
  printf("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
  return unit_failed ? 1 : 0;
}

#endif
