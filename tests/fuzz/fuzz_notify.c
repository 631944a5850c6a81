/* libFuzzer target for the NOTIFY_SOCKET datagram parser, notify_parse(), on arbitrary
 * bytes (an exact-size heap copy, so ASan sees any read past `len`).  Invariants are
 * checked, not just crashes: the input is not written, the flags are 0/1, and a STATUS=
 * kept is NUL-terminated, valid UTF-8 and free of control bytes. */
#include "pinit/escape.h"
#include "pinit/notify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct notify_msg m;
  char *buf = malloc(size ? size : 1);
  size_t n;

  memcpy(buf, data, size);
  notify_parse(buf, size, &m);
  if(memcmp(buf, data, size))
    abort();
  if((m.ready != 0 && m.ready != 1) || (m.has_status != 0 && m.has_status != 1))
    abort();
  n = strnlen(m.status, sizeof(m.status));
  if(n == sizeof(m.status) || (!m.has_status && n))
    abort();
  for(size_t i = 0; i < n;) {
    size_t k = escape_utf8_len(m.status + i, n - i);
    unsigned char c = (unsigned char)m.status[i];
    if(!k || c < 0x20 || c == 0x7f || (k == 2 && c == 0xc2 && (unsigned char)m.status[i + 1] < 0xa0))
      abort();
    i += k;
  }
  if(m.ready && !memmem(buf, size, "READY=1", 7))
    abort();
  free(buf);
  return 0;
}
