/* Table tests for notify_parse(): the NOTIFY_SOCKET datagrams a child may send. */
#include "pinit/notify.h"
#include "unit.h"

static const struct { const char *in; int len; int ready, has_status; const char *status; } rows[] = {
  { "READY=1", -1, 1, 0, "" },
  { "READY=1\n", -1, 1, 0, "" },
  { "READY=1\nSTATUS=serving", -1, 1, 1, "serving" },
  { "STATUS=warming caches\n", -1, 0, 1, "warming caches" },
  { "STATUS=a\nSTATUS=b\n", -1, 0, 1, "b" },                    /* the last one wins */
  { "STATUS=", -1, 0, 1, "" },
  { "READY=0", -1, 0, 0, "" },
  { "READY=11", -1, 0, 0, "" },
  { "ready=1", -1, 0, 0, "" },
  { " READY=1", -1, 0, 0, "" },
  { "WATCHDOG=1\nMAINPID=7\nREADY=1\n", -1, 1, 0, "" },
  { "", 0, 0, 0, "" },
  { "\n\n\n", -1, 0, 0, "" },
  { "READY=1\0garbage", 15, 1, 0, "" },                           /* a NUL ends the message */
  { "STATUS=x\0READY=1", 16, 0, 1, "x" },
  { "READY=1", 6, 0, 0, "" },                                     /* the length counts, not the NUL */
  /* terminal escapes, controls and bytes that are not UTF-8 never survive */
  { "STATUS=\x1b]0;owned\x07\x1b[2Jok", -1, 0, 1, "?]0;owned??[2Jok" },
  { "STATUS=tab\there\r", -1, 0, 1, "tab?here?" },
  { "STATUS=bad \xff caf\xc3\xa9 \xc2\x9b" "1m", -1, 0, 1, "bad ? caf\xc3\xa9 ?1m" },
};

int main(void)
{
  struct notify_msg m;
  char big[600];

  for(size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    size_t len = rows[i].len < 0 ? strlen(rows[i].in) : (size_t)rows[i].len;
    notify_parse(rows[i].in, len, &m);
    CHECK_INT(m.ready, rows[i].ready);
    CHECK_INT(m.has_status, rows[i].has_status);
    CHECK_STR(m.status, rows[i].status);
  }
  /* a long STATUS= is cut to STATUS_MESSAGE_MAX - 1 bytes, never inside a character */
  memset(big, 0, sizeof(big));
  memcpy(big, "STATUS=", 7);
  for(size_t i = 7; i + 2 <= sizeof(big); i += 2)
    memcpy(big + i, "\xc3\xa9", 2);
  notify_parse(big, sizeof(big) - 1, &m);
  CHECK_INT(strlen(m.status), STATUS_MESSAGE_MAX - 2);
  CHECK(m.status[STATUS_MESSAGE_MAX - 3] == '\xa9');
  return unit_done("notify");
}
