/* evalloc.c - libev's arrays from a static arena first.  See include/pinit/evalloc.h. */
#include "pinit/evalloc.h"

#include <errno.h>
#include <ev.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Each block: a header holding its size, then the bytes, both kept 16-byte aligned. */
#define HDR 16
#define ROUND(n) (((n) + 15) & ~(size_t)15)

/* aligned to its size (a power of two): it never straddles a page, so a plain run touches
 * one page for it, not two */
static _Alignas(EVALLOC_ARENA) unsigned char arena[EVALLOC_ARENA];
static size_t used;

int evalloc_owns(const void *p)
{
  return (uintptr_t)p >= (uintptr_t)arena && (uintptr_t)p < (uintptr_t)(arena + sizeof(arena));
}

static size_t block_size(const unsigned char *p)
{
  size_t n;
  memcpy(&n, p - HDR, sizeof(n));
  return n;
}

static void set_size(unsigned char *p, size_t n)
{
  memcpy(p - HDR, &n, sizeof(n));
}

/* A new arena block of n bytes, or NULL when it does not fit. */
static unsigned char *arena_take(size_t n)
{
  unsigned char *p;
  if(n > sizeof(arena) || HDR + ROUND(n) > sizeof(arena) - used)
    return NULL;
  p = arena + used + HDR;
  used += HDR + ROUND(n);
  set_size(p, n);
  return p;
}

void *evalloc_realloc(void *ptr, long size)
{
  unsigned char *p = ptr, *q;
  size_t n = size > 0 ? (size_t)size : 0, old;

  if(!evalloc_owns(p)) {
    if(!p && n && (q = arena_take(n)))
      return q;
    if(!n) {
      free(p);
      return NULL;
    }
    return realloc(p, n);
  }
  old = block_size(p);
  if(p + ROUND(old) == arena + used) { /* the last block: shrink or grow in place */
    if(!n) {
      used -= HDR + ROUND(old);
      return NULL;
    }
    if(ROUND(n) <= sizeof(arena) - (size_t)(p - arena)) {
      used = (size_t)(p - arena) + ROUND(n);
      set_size(p, n);
      return p;
    }
  }
  else if(n <= old) {
    if(n)
      set_size(p, n);
    return n ? p : NULL; /* freed: stays used */
  }
  q = arena_take(n);
  if(!q && !(q = malloc(n))) {
    errno = ENOMEM;
    return NULL;
  }
  memcpy(q, p, old < n ? old : n);
  if(p + ROUND(old) == arena + used)
    used -= HDR + ROUND(old);
  return q;
}

size_t evalloc_used(void)
{
  return used;
}

void evalloc_install(void)
{
#ifndef PINIT_SANITIZE_BUILD
  ev_set_allocator(evalloc_realloc);
#endif /* a sanitized build keeps libev's arrays on the heap, where ASan checks their bounds */
}
