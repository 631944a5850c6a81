/* libFuzzer target for the PINIT/1 protocol parsers: control_parse_request and control_parse_reply
 * on arbitrary bytes (exact-size heap copies, so ASan sees any read past `len`), plus
 * control_address on the bytes as a name.  Invariants are checked, not just crashes. */
#include "pinit/control.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static const char *const verb_words[] = { "live", "ready", "status", "status-json", "restart", "stop" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf;
  enum control_verb verb;
  const char *why = NULL, *text = NULL;
  int rc;

  /* request: never writes, accepts exactly "PINIT/1 <verb>\n" or "...\r\n" */
  buf = malloc(size ? size : 1);
  memcpy(buf, data, size);
  why = NULL;
  rc = control_parse_request(buf, size, &verb, &why);
  if(rc == 0) {
    size_t w;
    if((unsigned)verb >= sizeof(verb_words) / sizeof(verb_words[0]))
      abort();
    w = strlen(verb_words[verb]);
    if(!(size == 8 + w + 1 || (size == 8 + w + 2 && buf[size - 2] == '\r')))
      abort();
    if(memcmp(buf, "PINIT/1 ", 8) || memcmp(buf + 8, verb_words[verb], w) || buf[size - 1] != '\n')
      abort();
  }
  else if(rc != -1 || !why || !*why)
    abort();
  if(memcmp(buf, data, size))
    abort(); /* const input */
  free(buf);

  /* reply: code 0..255 and a NUL-terminated text inside the buffer, or -1 */
  buf = malloc(size ? size : 1);
  memcpy(buf, data, size);
  rc = control_parse_reply(buf, size, &text);
  if(rc >= 0) {
    if(rc > 255 || !text || text < buf || text >= buf + size)
      abort();
    if(!memchr(text, '\0', (size_t)(buf + size - text)))
      abort();
    if(memcmp(data, "PINIT/1 ", 8) || data[size - 1] != '\n')
      abort();
  }
  else if(rc != -1)
    abort();
  free(buf);

  /* address: any NUL-terminated name */
  if(size < 512) {
    struct sockaddr_un sa;
    char *name = malloc(size + 1);
    int len;
    memcpy(name, data, size);
    name[size] = '\0';
    len = control_address(name, &sa);
    if(len >= 0 && ((size_t)len > sizeof(sa) || sa.sun_family != AF_UNIX))
      abort();
    free(name);
  }
  return 0;
}
