/* escape.c - UTF-8 validation, JSON and terminal escaping.  See include/pinit/escape.h. */
#include "pinit/escape.h"

#include <string.h>

size_t escape_utf8_len(const char *str, size_t n)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t k;
  if(!n)
    return 0;
  if(s[0] < 0x80)
    return 1;
  if(s[0] >= 0xc2 && s[0] <= 0xdf)
    k = 2;
  else if(s[0] >= 0xe0 && s[0] <= 0xef)
    k = 3;
  else if(s[0] >= 0xf0 && s[0] <= 0xf4)
    k = 4;
  else
    return 0;
  if(k > n)
    return 0;
  for(size_t i = 1; i < k; i++)
    if((s[i] & 0xc0) != 0x80)
      return 0;
  if(k == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
    return 0; /* overlong, or a UTF-16 surrogate */
  if(k == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
    return 0; /* overlong, or above U+10FFFF */
  return k;
}

size_t escape_utf8_trim(const char *str, size_t len)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = len, back = 0;
  while(i > 0 && back < 3 && (s[i - 1] & 0xc0) == 0x80) {
    i--;
    back++;
  }
  if(i > 0 && s[i - 1] >= 0xc0) {
    size_t need = s[i - 1] >= 0xf0 ? 4 : s[i - 1] >= 0xe0 ? 3 : 2;
    if(back + 1 < need)
      return i - 1;
  }
  return len;
}

/* A control character to be escaped: C0, DEL, or C1 (U+0080..U+009F, encoded c2 80..9f). */
static int is_control(const unsigned char *p, size_t k)
{
  return (k == 1 && (p[0] < 0x20 || p[0] == 0x7f)) || (k == 2 && p[0] == 0xc2 && p[1] < 0xa0);
}

static int put(char *out, size_t cap, size_t *len, const char *piece, size_t n)
{
  if(*len + n >= cap)
    return -1;
  memcpy(out + *len, piece, n);
  *len += n;
  return 0;
}

static size_t escape(char *out, size_t cap, const char *s, int json)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t len = 0;

  if(!cap)
    return 0;
  while(*p) {
    size_t k = escape_utf8_len((const char *)p, strnlen((const char *)p, 4));
    char esc[8];
    int r;
    if(!k) {
      r = json ? put(out, cap, &len, "\\ufffd", 6) : put(out, cap, &len, "?", 1);
      k = 1;
    }
    else if(is_control(p, k)) {
      unsigned c = k == 1 ? p[0] : p[1]; /* c2 xx encodes U+00xx */
      memcpy(esc, "\\u00", 4);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      r = json ? put(out, cap, &len, esc, 6) : put(out, cap, &len, "?", 1);
    }
    else if(json && (*p == '"' || *p == '\\')) {
      esc[0] = '\\';
      esc[1] = (char)*p;
      r = put(out, cap, &len, esc, 2);
    }
    else
      r = put(out, cap, &len, (const char *)p, k);
    if(r < 0)
      break;
    p += k;
  }
  out[len] = '\0';
  return len;
}

size_t escape_json(char *out, size_t cap, const char *s)
{
  return escape(out, cap, s, 1);
}

size_t escape_text(char *out, size_t cap, const char *s)
{
  return escape(out, cap, s, 0);
}
