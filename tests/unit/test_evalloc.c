/* Table tests for evalloc.c: a script of libev-style calls, each checked for where the
 * block lives (arena or heap), the arena in use afterwards, and that contents survive
 * every move. */
#include "pinit/evalloc.h"
#include "unit.h"

#include <stdint.h>
#include <string.h>

enum where { NONE, ARENA, HEAP };

int main(void)
{
  /* slot: which of the test's pointers; size: the call's size; want: where the result is;
   * used: evalloc_used() afterwards */
  static const struct { int slot; long size; enum where want; size_t used; } steps[] = {
    { 0, 768, ARENA, 784 },          /* epoll's events: the first block */
    { 1, 128, ARENA, 928 },
    { 2, 8, ARENA, 960 },            /* sizes are rounded to 16, plus a 16-byte header */
    { 2, 24, ARENA, 976 },           /* the last block grows in place */
    { 3, 16, ARENA, 1008 },
    { 1, 288, ARENA, 1312 },         /* not the last: moves to a new arena block */
    { 3, 0, NONE, 1312 },            /* not the last: freed, its bytes stay used */
    { 4, 32, ARENA, 1360 },
    { 4, 8, ARENA, 1344 },           /* the last block shrinks in place */
    { 4, 0, NONE, 1312 },            /* the last block freed: its bytes come back */
    { 5, 4000, HEAP, 1312 },         /* larger than the arena: the heap */
    { 5, 8000, HEAP, 1312 },         /* a heap block grows on the heap */
    { 1, 900, ARENA, 1936 },         /* the last block again: grows in place */
    { 1, 1100, HEAP, 1008 },         /* too big for the arena: copied to the heap, arena given back */
    { 6, 600, ARENA, 1632 },
    { 7, 500, HEAP, 1632 },          /* does not fit in what is left */
    { 5, 0, NONE, 1632 },
    { 7, 0, NONE, 1632 },
    { 1, 0, NONE, 1632 },
    { 6, 0, NONE, 1008 },
  };
  void *ptr[8] = { 0 };
  long size[8] = { 0 };
  CHECK_INT((long)evalloc_used(), 0);
  CHECK_INT(EVALLOC_ARENA, 2048); /* the table's figures are for this size */
  for(size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    int s = steps[i].slot;
    long keep = size[s] < steps[i].size ? size[s] : steps[i].size;
    void *p = evalloc_realloc(ptr[s], steps[i].size);
    enum where w = !p ? NONE : evalloc_owns(p) ? ARENA : HEAP;
    CHECK_INT((long)w, (long)steps[i].want);
    CHECK_INT((long)evalloc_used(), (long)steps[i].used);
    for(long b = 0; b < keep; b++) /* the old contents, up to the smaller size */
      if(((unsigned char *)p)[b] != (unsigned char)(s * 31 + b)) {
        CHECK(!"contents kept");
        break;
      }
    if(p)
      CHECK(((uintptr_t)p & 15) == 0);
    for(long b = 0; b < steps[i].size; b++)
      ((unsigned char *)p)[b] = (unsigned char)(s * 31 + b);
    ptr[s] = p;
    size[s] = steps[i].size;
  }
  return unit_done("evalloc");
}
