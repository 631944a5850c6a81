/* evalloc.h - libev's allocator: its first arrays from a small static arena, the rest
 * from the heap.
 *
 * A plain run's loop needs a few hundred bytes of arrays (descriptors, pending events,
 * the timer heap).  Taking them from malloc costs the C library's first-allocation set-up
 * (musl: a meta area and a group, several thousand instructions and pages of anonymous
 * memory) for nothing else; the arena is in .bss, touched only as far as it is used.
 * Whatever does not fit in the arena, and everything once it is full, comes from
 * realloc(3) as before.  Not thread-safe: libev's loops run on pinit's main thread.
 */
#ifndef PINIT_EVALLOC_H
#define PINIT_EVALLOC_H

#include <stddef.h>

#define EVALLOC_ARENA 2048 /* bytes of static arena (a plain run: about 1.4 KB, epoll events included) */

/* libev's allocator contract (ev_set_allocator): like realloc(ptr, size), except that
 * size 0 frees ptr and returns NULL.  A block keeps its contents up to the smaller of its
 * old and new size, wherever it moves (arena to heap included).  Returns NULL only when
 * size is 0 or the heap is exhausted (errno ENOMEM; ptr is then left as it was).  A block
 * freed at the arena's end gives its bytes back; others stay used until exit. */
void *evalloc_realloc(void *ptr, long size);

/* Bytes of the arena in use, headers included (for tests and measurements). */
size_t evalloc_used(void);

/* 1 if p points into the arena (a block evalloc_realloc gave out from it), else 0. */
int evalloc_owns(const void *p);

/* ev_set_allocator(evalloc_realloc): call before the first loop is created.  A sanitized
 * build (PINIT_SANITIZE) installs nothing, so ASan checks libev's arrays on the heap. */
void evalloc_install(void);

#endif
