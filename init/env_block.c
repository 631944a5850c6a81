/* env_block.c - an environment block being built.  See include/pinit/env_block.h. */
#include "pinit/env_block.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *empty[1] = { NULL };

void env_block_init(struct env_block *b, char *const *from)
{
  b->v = from ? (char **)from : empty;
  b->n = 0;
  b->cap = 0;
}

/* The block's own copy, with room for one more entry.  Returns 0 or -1 (ENOMEM), b
 * unchanged on failure. */
static int own(struct env_block *b)
{
  size_t cap = 16, n = 0, have = b->n;
  char **v;

  if(b->cap > b->n + 1)
    return 0;
  if(!b->cap)
    while(b->v[have]) /* borrowed: counted now */
      have++;
  while(cap < have + 2)
    cap *= 2;
  if(b->cap) {
    if(!(v = realloc(b->v, cap * sizeof(*v))))
      return -1;
    b->v = v;
    b->cap = cap;
    return 0;
  }
  if(!(v = malloc(cap * sizeof(*v))))
    return -1;
  for(size_t i = 0; i < have; i++) {
    if(!strchr(b->v[i], '='))
      continue;
    if(!(v[n] = strdup(b->v[i]))) {
      while(n)
        free(v[--n]);
      free(v);
      errno = ENOMEM;
      return -1;
    }
    n++;
  }
  v[n] = NULL;
  b->v = v;
  b->n = n;
  b->cap = cap;
  return 0;
}

static int is_entry(const char *e, const char *name, size_t len)
{
  return !strncmp(e, name, len) && e[len] == '=';
}

int env_block_set(struct env_block *b, const char *name, const char *value)
{
  size_t len = name ? strlen(name) : 0, vlen = value ? strlen(value) : 0, i, j;
  char *s;

  if(!len || strchr(name, '=')) {
    errno = EINVAL;
    return -1;
  }
  if(!(s = malloc(len + vlen + 2)))
    return -1;
  if(own(b) < 0) {
    free(s);
    return -1;
  }
  memcpy(s, name, len);
  s[len] = '=';
  memcpy(s + len + 1, value ? value : "", vlen + 1);
  for(i = 0; i < b->n && !is_entry(b->v[i], name, len); i++)
    ;
  if(i == b->n) {
    b->v[b->n++] = s;
    b->v[b->n] = NULL;
    return 0;
  }
  free(b->v[i]);
  b->v[i] = s;
  for(j = i + 1; j < b->n;) {
    if(is_entry(b->v[j], name, len)) {
      free(b->v[j]);
      memmove(b->v + j, b->v + j + 1, (b->n - j) * sizeof(*b->v)); /* the NULL moves too */
      b->n--;
    }
    else
      j++;
  }
  return 0;
}

void env_block_free(struct env_block *b)
{
  if(b->cap) {
    for(size_t i = 0; i < b->n; i++)
      free(b->v[i]);
    free(b->v);
  }
  env_block_init(b, NULL);
}
