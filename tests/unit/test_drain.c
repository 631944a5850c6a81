/* Table tests for drain_select: which processes a stop must signal, from hand-made tables. */
#include "pinit/drain.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

#define MAXP 16

struct drain_case {
  const char *what;
  pid_t root;
  struct proc_entry procs[MAXP]; /* pid 0 ends the table */
  pid_t want[MAXP];              /* 0 ends; in table order */
};

static const struct drain_case cases[] = {
  { "empty table", 1, { { 0 } }, { 0 } },
  { "only root", 1, { { 1, 0, 'S' } }, { 0 } },
  { "PID 1: direct children", 1, { { 1, 0, 'S' }, { 2, 1, 'S' }, { 3, 1, 'R' } }, { 2, 3 } },
  { "PID 1: nested tree, every depth", 1,
    { { 1, 0, 'S' }, { 10, 1, 'S' }, { 11, 10, 'S' }, { 12, 11, 'S' }, { 13, 12, 'D' }, { 20, 1, 'T' }, { 21, 20, 'S' } },
    { 10, 11, 12, 13, 20, 21 } },
  { "zombies excluded, their live siblings kept", 1,
    { { 1, 0, 'S' }, { 2, 1, 'Z' }, { 3, 1, 'S' }, { 4, 3, 'Z' }, { 5, 3, 'S' } }, { 3, 5 } },
  { "a live child below a zombie parent still counts", 1,
    { { 1, 0, 'S' }, { 2, 1, 'Z' }, { 3, 2, 'S' } }, { 3 } },
  { "PID 1: processes entered from outside (ppid 0, docker exec) are not ours", 1,
    { { 1, 0, 'S' }, { 2, 1, 'S' }, { 30, 0, 'S' }, { 31, 30, 'S' } }, { 2 } },
  { "subreaper: only the tree below root", 100,
    { { 1, 0, 'S' }, { 50, 1, 'S' }, { 100, 50, 'S' }, { 101, 100, 'S' }, { 102, 101, 'S' }, { 200, 1, 'S' },
      { 201, 200, 'S' }, { 300, 50, 'S' } },
    { 101, 102 } },
  { "subreaper: parent of root and its siblings excluded", 7,
    { { 5, 1, 'S' }, { 6, 5, 'S' }, { 7, 5, 'S' }, { 8, 7, 'S' } }, { 8 } },
  { "unsorted input, deep chain listed backwards", 1,
    { { 40, 30, 'S' }, { 30, 20, 'S' }, { 20, 10, 'S' }, { 10, 1, 'S' }, { 1, 0, 'S' }, { 99, 0, 'S' } },
    { 40, 30, 20, 10 } },
  { "unsorted input, subreaper", 500,
    { { 900, 501, 'S' }, { 3, 1, 'S' }, { 501, 500, 'S' }, { 500, 3, 'S' }, { 7, 3, 'S' }, { 800, 7, 'S' } },
    { 900, 501 } },
  { "parent missing from the table: not ours", 1,
    { { 1, 0, 'S' }, { 60, 55, 'S' }, { 61, 60, 'S' } }, { 0 } },
  { "parent loop not through root terminates and is excluded", 1,
    { { 1, 0, 'S' }, { 70, 71, 'S' }, { 71, 72, 'S' }, { 72, 70, 'S' }, { 73, 1, 'S' } }, { 73 } },
  { "self-parent loop", 1, { { 1, 0, 'S' }, { 80, 80, 'S' }, { 81, 1, 'S' } }, { 81 } },
  { "loop, unsorted", 9, { { 91, 90, 'S' }, { 90, 91, 'S' }, { 9, 1, 'S' }, { 92, 9, 'S' } }, { 92 } },
  { "root is a zombie itself: its live children still selected", 9,
    { { 9, 1, 'Z' }, { 10, 9, 'S' } }, { 10 } },
};

static int count_want(const pid_t *w)
{
  int n = 0;
  while(n < MAXP && w[n])
    n++;
  return n;
}

static int count_procs(const struct proc_entry *p)
{
  int n = 0;
  while(n < MAXP && p[n].pid)
    n++;
  return n;
}

int main(void)
{
  for(unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const struct drain_case *c = &cases[i];
    pid_t out[MAXP + 1];
    int n = count_procs(c->procs), want = count_want(c->want), got;
    out[MAXP] = -7;
    got = drain_select(c->procs, n, c->root, out, MAXP);
    if(got != want)
      fprintf(stderr, "%s: %d selected, want %d\n", c->what, got, want);
    CHECK_INT(got, want);
    for(int j = 0; j < got && j < want; j++)
      CHECK_INT(out[j], c->want[j]);
    CHECK_INT(out[MAXP], -7);
  }

  /* cap: never more than cap written, the first ones in table order */
  {
    struct proc_entry t[] = { { 1, 0, 'S' }, { 2, 1, 'S' }, { 3, 1, 'S' }, { 4, 1, 'S' }, { 5, 1, 'S' } };
    pid_t out[3] = { -1, -1, -7 };
    CHECK_INT(drain_select(t, 5, 1, out, 2), 2);
    CHECK_INT(out[0], 2);
    CHECK_INT(out[1], 3);
    CHECK_INT(out[2], -7);
    CHECK_INT(drain_select(t, 5, 1, out, 0), 0);
    CHECK_INT(out[0], 2);
  }

  /* a large sorted table (binary search path): a chain of 3000, every non-zombie selected */
  {
    enum { N = 3000 };
    struct proc_entry *t = calloc(N, sizeof(*t));
    pid_t *out = calloc(N, sizeof(*out));
    t[0] = (struct proc_entry){ 1, 0, 'S' };
    for(int i = 1; i < N; i++)
      t[i] = (struct proc_entry){ i + 1, i, i % 10 == 9 ? 'Z' : 'S' };
    int got = drain_select(t, N, 1, out, N);
    CHECK_INT(got, N - 1 - (N / 10));
    int ok = 1;
    for(int i = 0, j = 0; i < N - 1; i++) {
      if(t[i + 1].state == 'Z')
        continue;
      ok &= out[j++] == t[i + 1].pid;
    }
    CHECK(ok);
    /* a reversed chain of 400 (linear search path: a scan per hop) selects the same way */
    {
      enum { M = 400 };
      struct proc_entry r[M];
      for(int i = 0; i < M; i++)
        r[i] = (struct proc_entry){ M - i, M - i - 1, (M - i) % 10 == 0 ? 'Z' : 'S' };
      CHECK_INT(drain_select(r, M, 1, out, N), M - 1 - M / 10);
    }
    free(t);
    free(out);
  }

  /* drain_read_proc on the real /proc: finds this process with the right parent */
  {
    static struct proc_entry all[32768];
    int n = drain_read_proc(all, 32768), found = 0;
    CHECK(n > 0);
    for(int i = 0; i < n; i++)
      if(all[i].pid == getpid()) {
        found = 1;
        CHECK_INT(all[i].ppid, getppid());
        CHECK(all[i].state == 'R');
      }
    CHECK(found);
  }
  return unit_done("drain");
}
