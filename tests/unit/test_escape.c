/* Table tests for escape.h: the same bytes through the JSON and the terminal escaper, UTF-8
 * validation, and cuts that never split a character. */
#include "pinit/escape.h"
#include "unit.h"

static const struct { const char *in, *json, *text; } cases[] = {
  { "", "", "" },
  { "plain ascii 123", "plain ascii 123", "plain ascii 123" },
  { "quote \" and \\ back", "quote \\\" and \\\\ back", "quote \" and \\ back" },
  { "tab\tnl\ncr\r", "tab\\u0009nl\\u000acr\\u000d", "tab?nl?cr?" },
  { "\x1b[31mred\x1b[0m", "\\u001b[31mred\\u001b[0m", "?[31mred?[0m" },
  { "bell\x07 del\x7f", "bell\\u0007 del\\u007f", "bell? del?" },
  { "osc \x1b]0;title\x07", "osc \\u001b]0;title\\u0007", "osc ?]0;title?" },
  { "C1 csi \xc2\x9b" "31m", "C1 csi \\u009b31m", "C1 csi ?31m" },         /* U+009B: an 8-bit CSI */
  { "nbsp \xc2\xa0 ok", "nbsp \xc2\xa0 ok", "nbsp \xc2\xa0 ok" },          /* U+00A0 is printable */
  { "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
    "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80" },
  { "bad \xff byte", "bad \\ufffd byte", "bad ? byte" },
  { "lone \x80 cont", "lone \\ufffd cont", "lone ? cont" },
  { "overlong \xc0\xaf", "overlong \\ufffd\\ufffd", "overlong ??" },
  { "overlong3 \xe0\x80\xaf", "overlong3 \\ufffd\\ufffd\\ufffd", "overlong3 ???" },
  { "surrogate \xed\xa0\x80", "surrogate \\ufffd\\ufffd\\ufffd", "surrogate ???" },
  { "too big \xf4\x90\x80\x80", "too big \\ufffd\\ufffd\\ufffd\\ufffd", "too big ????" },
  { "cut at end \xe6\x97", "cut at end \\ufffd\\ufffd", "cut at end ??" },
};

static const struct { const char *s; size_t n, want; } lens[] = {
  { "a", 1, 1 }, { "\xc3\xa9", 2, 2 }, { "\xc3\xa9", 1, 0 }, { "\xe6\x97\xa5", 3, 3 }, { "\xe6\x97\xa5", 2, 0 },
  { "\xf0\x9f\x98\x80", 4, 4 }, { "\xf0\x9f\x98\x80", 3, 0 }, { "\xc1\x81", 2, 0 }, { "\xf5\x80\x80\x80", 4, 0 },
  { "\x80", 1, 0 }, { "", 0, 0 },
};

static const struct { const char *s; size_t len, want; } trims[] = {
  { "abc", 3, 3 }, { "ab\xc3\xa9", 4, 4 }, { "ab\xc3\xa9", 3, 2 }, { "ab\xe6\x97\xa5", 4, 2 }, { "ab\xe6\x97\xa5", 5, 5 },
  { "ab\xf0\x9f\x98\x80", 5, 2 }, { "ab\xf0\x9f\x98\x80", 6, 6 }, { "", 0, 0 },
};

int main(void)
{
  char out[256];
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    CHECK_INT(escape_json(out, sizeof(out), cases[i].in), strlen(cases[i].json));
    CHECK_STR(out, cases[i].json);
    CHECK_INT(escape_text(out, sizeof(out), cases[i].in), strlen(cases[i].text));
    CHECK_STR(out, cases[i].text);
  }
  for(size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
    CHECK_INT(escape_utf8_len(lens[i].s, lens[i].n), lens[i].want);
  for(size_t i = 0; i < sizeof(trims) / sizeof(trims[0]); i++)
    CHECK_INT(escape_utf8_trim(trims[i].s, trims[i].len), trims[i].want);

  /* a small buffer: never a split character or escape, always NUL-terminated */
  CHECK_INT(escape_json(out, 5, "ab\"cd"), 4);
  CHECK_STR(out, "ab\\\"");
  CHECK_INT(escape_json(out, 5, "abc\"d"), 3);
  CHECK_STR(out, "abc");
  CHECK_INT(escape_json(out, 8, "abc\x01"), 3);
  CHECK_STR(out, "abc");
  CHECK_INT(escape_text(out, 4, "a\xe6\x97\xa5"), 1);
  CHECK_STR(out, "a");
  CHECK_INT(escape_json(out, 1, "abc"), 0);
  CHECK_STR(out, "");
  CHECK_INT(escape_json(out, 0, "abc"), 0);
  CHECK_INT(escape_json(out, sizeof(out), NULL), 0);
  return unit_done("escape");
}
