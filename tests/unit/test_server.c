/* Table tests for server_pick(): which slot a newcomer gets, given who holds the others. */
#include "pinit/server.h"
#include "unit.h"

#define OWN 1000u   /* pinit's own uid in these rows */
#define NOBODY 65534u
#define NONE SERVER_UID_NONE
#define NOW 100.0

/* A slot in a row: 'f' free, else held by uid (R root, O own, N nobody, M another uid
 * 1001, T a TCP peer), silent (lower case) or answering (upper case), opened `age`
 * seconds before NOW.  Rows have 4 slots. */
struct cell { char who; double age; };

static const struct {
  const char *what;
  struct server_limits lim;
  struct cell slots[4];
  uid_t uid;
  int want;               /* the slot index, or -1 refused */
} rows[] = {
  { "a free slot for anyone", { 4, 1, 2, 0.25, 1 }, { { 'f', 0 }, { 'f', 0 }, { 'f', 0 }, { 'f', 0 } }, NOBODY, 0 },
  { "the first free one", { 4, 1, 2, 0.25, 1 }, { { 'r', 1 }, { 'f', 0 }, { 'f', 0 }, { 'f', 0 } }, NOBODY, 1 },
  { "the reserved slot is not for nobody", { 4, 1, 0, 0.25, 1 }, { { 'N', 1 }, { 'N', 1 }, { 'N', 1 }, { 'f', 0 } }, NOBODY, -1 },
  { "the reserved slot is for root", { 4, 1, 0, 0.25, 1 }, { { 'N', 1 }, { 'N', 1 }, { 'N', 1 }, { 'f', 0 } }, 0, 3 },
  { "and for pinit's own uid", { 4, 1, 0, 0.25, 1 }, { { 'N', 1 }, { 'N', 1 }, { 'N', 1 }, { 'f', 0 } }, OWN, 3 },
  { "root takes the oldest silent unprivileged slot, however young",
    { 4, 1, 0, 0.25, 1 }, { { 'n', 0.01 }, { 'm', 0.02 }, { 'N', 5 }, { 'r', 9 } }, 0, 1 },
  { "root takes an aged silent root slot when no other is silent",
    { 4, 1, 0, 0.25, 1 }, { { 'N', 9 }, { 'r', 0.1 }, { 'r', 0.5 }, { 'O', 9 } }, 0, 2 },
  { "root is refused when every slot is answering",
    { 4, 1, 0, 0.25, 1 }, { { 'N', 9 }, { 'M', 9 }, { 'R', 9 }, { 'O', 9 } }, 0, -1 },
  { "nobody takes an aged silent unprivileged slot", { 4, 1, 0, 0.25, 1 }, { { 'n', 0.1 }, { 'm', 0.3 }, { 'm', 0.5 }, { 'f', 0 } },
    NOBODY, 2 },
  { "but never a privileged one", { 4, 1, 0, 0.25, 1 }, { { 'r', 9 }, { 'o', 9 }, { 'n', 0.1 }, { 'f', 0 } }, NOBODY, -1 },
  { "per-uid cap: nobody's own oldest silent slot gives way", { 4, 0, 2, 0.25, 1 }, { { 'n', 0.1 }, { 'n', 0.2 }, { 'f', 0 }, { 'f', 0 } },
    NOBODY, 1 },
  { "per-uid cap: refused when none of its own is silent", { 4, 0, 2, 0.25, 1 }, { { 'N', 0.1 }, { 'N', 0.2 }, { 'f', 0 }, { 'f', 0 } },
    NOBODY, -1 },
  { "the cap is not for root", { 4, 0, 1, 0.25, 1 }, { { 'r', 0.1 }, { 'f', 0 }, { 'f', 0 }, { 'f', 0 } }, 0, 1 },
  { "another uid is not capped by nobody's slots", { 4, 0, 2, 0.25, 1 }, { { 'n', 0.1 }, { 'n', 0.2 }, { 'f', 0 }, { 'f', 0 } },
    1001, 2 },
  { "tcp: the oldest silent connection gives way at once", { 4, 0, 0, 0, 0 }, { { 't', 0.02 }, { 'T', 0.5 }, { 't', 0.01 }, { 't', 0.03 } },
    NONE, 3 },
  { "tcp: refused when all are answering", { 4, 0, 0, 0, 0 }, { { 'T', 1 }, { 'T', 1 }, { 'T', 1 }, { 'T', 1 } }, NONE, -1 },
  { "tcp peers are never privileged", { 4, 1, 0, 0, 0 }, { { 'T', 1 }, { 'T', 1 }, { 'T', 1 }, { 'f', 0 } }, NONE, -1 },
};

static uid_t uid_of(char who)
{
  switch(who | 0x20) {
  case 'r': return 0;
  case 'o': return OWN;
  case 'n': return NOBODY;
  case 'm': return 1001;
  default: return NONE;
  }
}

int main(void)
{
  for(size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
    struct server_slot slots[4];
    const char *why = NULL;
    int got;
    for(int i = 0; i < 4; i++) {
      char w = rows[r].slots[i].who;
      slots[i] = (struct server_slot){ .fd = w == 'f' ? -1 : 10 + i, .silent = w >= 'a' && w != 'f',
                                       .uid = uid_of(w), .opened = NOW - rows[r].slots[i].age };
    }
    got = server_pick(slots, &rows[r].lim, rows[r].uid, OWN, NOW, &why);
    if(got != rows[r].want)
      fprintf(stderr, "row %zu (%s): got %d\n", r, rows[r].what, got);
    CHECK_INT(got, rows[r].want);
    if(got < 0)
      CHECK(why != NULL && *why);
  }
  return unit_done("server");
}
