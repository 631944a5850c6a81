/* Table tests for strbuf.c: whole-or-nothing appends, the sticky cut, the edges. */
#include "pinit/strbuf.h"
#include "unit.h"

#include <errno.h>

int main(void)
{
  /* a sequence of appends into buffers of every size from 0 to 12 */
  static const char *const parts[] = { "ab", "", "cde", "f", "ghij" };
  static const struct { size_t cap; const char *text; int kept; } table[] = {
    { 1, "", 0 },            /* "ab" needs 3 bytes: nothing, cut at once */
    { 2, "", 0 },
    { 3, "ab", 2 },          /* then "" fits, "cde" does not: cut */
    { 5, "ab", 2 },
    { 6, "abcde", 3 },
    { 7, "abcdef", 4 },
    { 10, "abcdef", 4 },     /* "ghij" needs 5 more: dropped whole */
    { 11, "abcdefghij", 5 },
    { 12, "abcdefghij", 5 },
  };
  for(size_t t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
    char buf[16];
    struct strbuf sb;
    int kept = 0;
    memset(buf, 'Z', sizeof(buf));
    strbuf_init(&sb, buf, table[t].cap);
    for(size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
      kept += (i % 2 ? strbuf_add(&sb, parts[i], strlen(parts[i])) : strbuf_printf(&sb, "%s", parts[i])) == 0;
    CHECK_STR(buf, table[t].text);
    CHECK_INT(sb.len, strlen(table[t].text));
    CHECK_INT(kept, table[t].kept);
    CHECK_INT(sb.cut, table[t].kept < 5);
    CHECK(buf[table[t].cap] == 'Z'); /* never past cap */
  }
  /* cap 0: nothing written at all */
  {
    char z = 'Z';
    struct strbuf sb;
    strbuf_init(&sb, &z, 0);
    CHECK_INT(strbuf_printf(&sb, "x"), -1);
    CHECK_INT(strbuf_add(&sb, "", 0), -1);
    CHECK(z == 'Z');
  }
  /* after a cut even a small append is refused: a list never skips an item */
  {
    char buf[8];
    struct strbuf sb;
    strbuf_init(&sb, buf, sizeof(buf));
    CHECK_INT(strbuf_printf(&sb, "%d", 12345), 0);
    CHECK_INT(strbuf_printf(&sb, ", %s", "long"), -1);
    CHECK_INT(strbuf_printf(&sb, ", %s", "b"), -1);
    CHECK_STR(buf, "12345");
    CHECK_INT(sb.cut, 1);
  }
  /* errno untouched */
  {
    char buf[4];
    struct strbuf sb;
    strbuf_init(&sb, buf, sizeof(buf));
    errno = EINTR;
    strbuf_printf(&sb, "%s", "too long");
    CHECK_INT(errno, EINTR);
  }
  return unit_done("strbuf");
}
