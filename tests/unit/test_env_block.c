/* Table tests for env_block.c: copy, set (replace, append, duplicates), refusals. */
#include "pinit/env_block.h"
#include "pinit/env.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* the block as "A=1 B=2" */
static void joined(const struct env_block *b, char *out, size_t cap)
{
  size_t n = 0, i;
  out[0] = 0;
  for(i = 0; b->v[i] && n < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "", b->v[i]);
  CHECK(!b->cap || (i == b->n && b->v[b->n] == NULL)); /* owned: n counts the entries */
}

static void test_table(void)
{
  static const struct {
    const char *from[6];     /* NULL-terminated */
    const char *name, *value;
    int rc;
    const char *want;        /* the block afterwards */
  } tc[] = {
    { { NULL }, "A", "1", 0, "A=1" },
    { { "A=1", "B=2", NULL }, "C", "3", 0, "A=1 B=2 C=3" },
    { { "A=1", "B=2", NULL }, "A", "9", 0, "A=9 B=2" },
    { { "A=1", "B=2", "A=3", NULL }, "A", "9", 0, "A=9 B=2" },          /* one value for every reader */
    { { "A=1", "A=2", "A=3", "B=", NULL }, "A", "", 0, "A= B=" },
    { { "AB=1", "A=2", NULL }, "A", "x", 0, "AB=1 A=x" },                /* only up to '=' */
    { { "A=1", NULL }, "AB", "x", 0, "A=1 AB=x" },
    { { "A=1", "junk", "B=2", NULL }, "B", "3", 0, "A=1 B=3" },         /* no '=': dropped */
    { { "LD_PRELOAD=/a.so", NULL }, "LD_PRELOAD", "/a.so:/b.so", 0, "LD_PRELOAD=/a.so:/b.so" },
    { { "A=1", NULL }, "", "x", -1, "A=1" },
    { { "A=1", NULL }, "A=B", "x", -1, "A=1" },
    { { "A=1", NULL }, "A", "x=y", 0, "A=x=y" },
  };
  for(size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
    struct env_block b;
    char got[256];
    env_block_init(&b, (char *const *)tc[i].from);
    errno = 0;
    CHECK_INT(env_block_set(&b, tc[i].name, tc[i].value), tc[i].rc);
    if(tc[i].rc)
      CHECK_INT(errno, EINVAL);
    joined(&b, got, sizeof(got));
    if(strcmp(got, tc[i].want))
      fprintf(stderr, "case %zu\n", i);
    CHECK_STR(got, tc[i].want);
    env_block_free(&b);
    CHECK(b.v && !b.v[0] && b.n == 0);
  }
}

static void test_copy_and_growth(void)
{
  char *from[] = { "PATH=/bin", "HOME=/root", NULL };
  struct env_block b;
  char name[16], val[16];

  env_block_init(&b, NULL);
  CHECK_INT(b.n, 0);
  CHECK(b.v && !b.v[0]);
  CHECK_INT(env_block_set(&b, "X", "1"), 0);
  CHECK_STR(env_get(b.v, "X"), "1");
  env_block_free(&b);

  env_block_init(&b, from);
  CHECK(b.v == from && b.cap == 0);          /* borrowed until the first set */
  env_block_free(&b);                        /* frees nothing of from */
  CHECK_STR(from[1], "HOME=/root");
  env_block_init(&b, from);
  CHECK_INT(env_block_set(&b, "HOME", "/home/flink"), 0);
  CHECK(b.v != from && b.v[0] != from[0]);   /* copies, not pointers */
  for(int i = 0; i < 1000; i++) {            /* the array grows */
    snprintf(name, sizeof(name), "V%d", i);
    snprintf(val, sizeof(val), "%d", i * 7);
    CHECK_INT(env_block_set(&b, name, val), 0);
  }
  CHECK_INT(b.n, 1002);
  CHECK_STR(env_get(b.v, "HOME"), "/home/flink");
  CHECK_STR(env_get(b.v, "V999"), "6993");
  CHECK_STR(env_get(b.v, "PATH"), "/bin");
  CHECK_STR(from[0], "PATH=/bin");           /* the source is untouched */
  env_block_free(&b);
}

int main(void)
{
  test_table();
  test_copy_and_growth();
  return unit_done("test_env_block");
}
