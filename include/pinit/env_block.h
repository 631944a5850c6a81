/* env_block.h - an environment block being built: the child's environment, made
 * explicitly from pinit's own plus what pinit adds (NAME_FILE secrets, HOME and USER of
 * the Flink user, LD_PRELOAD for jemalloc, FLINK_CONF_DIR, NOTIFY_SOCKET), instead of
 * setenv(3) on pinit's process environment, which pinit never changes.
 *
 * b->v is a NULL-terminated "NAME=value" array, ready for execve(2) and for env.h's
 * lookups.  Copy on write: until the first env_block_set() it is the array the block was
 * made from (which must stay valid until then), and nothing is allocated; from the first
 * set on, the block owns a copy of every string.  b->v stays valid until the next
 * env_block_set() or env_block_free() on b.  Not thread-safe; no I/O.
 */
#ifndef PINIT_ENV_BLOCK_H
#define PINIT_ENV_BLOCK_H

#include <stddef.h>

struct env_block {
  char **v;        /* NULL-terminated, never NULL after init */
  size_t n, cap;   /* once owned: entries in v (without the NULL), room in v; both 0 while
                      v is borrowed (nothing counted: a plain run pays nothing) */
};

/* The block of the environment `from` (NULL-terminated; NULL: empty).  Allocates
 * nothing. */
void env_block_init(struct env_block *b, char *const *from);

/* Set NAME to value: the first NAME= entry is replaced, later ones are removed (so every
 * reader sees one value); a missing NAME is appended.  The first set copies the block,
 * dropping entries without '=' (execve would pass them, getenv never finds them).
 * Returns 0; or -1 with errno EINVAL (name empty or containing '=') or ENOMEM, b
 * unchanged. */
int env_block_set(struct env_block *b, const char *name, const char *value);

/* Free what the block owns; b is the empty block afterwards. */
void env_block_free(struct env_block *b);

#endif
