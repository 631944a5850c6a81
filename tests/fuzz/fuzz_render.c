/* fuzz_render.c - libFuzzer target for the Flink config renderer's pure core.
 *
 * Input: one flags byte (bit 0: legacy format, bit 1: no hostname fallback), then three
 * parts separated by NUL bytes: environment lines "NAME=value", FLINK_PROPERTIES, the base
 * file.  Properties checked on every input:
 *   - render_document() never crashes, leaks or reads out of bounds (ASan/UBSan);
 *   - a rendered config.yaml always loads back (render_check);
 *   - rendering again with the output as the base file gives the same bytes. */
#include "pinit/render.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENV 32

static const uint8_t *part(const uint8_t **p, const uint8_t *end, size_t *len)
{
  const uint8_t *s = *p, *z = s < end ? memchr(s, 0, (size_t)(end - s)) : NULL;
  *len = (size_t)((z ? z : end) - s);
  *p = z ? z + 1 : end;
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *p, *end = data + size, *env, *props, *base;
  size_t env_len, props_len, base_len;
  char *envbuf, *propbuf, *envp[MAX_ENV + 2];
  int n = 0;
  struct render_input in;
  struct render_result res, again;
  struct render_error err;

  if(size < 1)
    return 0;
  p = data + 1;
  env = part(&p, end, &env_len);
  props = part(&p, end, &props_len);
  base = part(&p, end, &base_len);

  /* environment lines; FLINK_PROPERTIES as one more entry (it has no NUL inside) */
  envbuf = malloc(env_len + 1);
  propbuf = malloc(props_len + sizeof("FLINK_PROPERTIES="));
  if(!envbuf || !propbuf)
    abort();
  memcpy(envbuf, env, env_len);
  envbuf[env_len] = 0;
  for(char *line = envbuf, *nl; line && n < MAX_ENV; line = nl) {
    if((nl = strchr(line, '\n')))
      *nl++ = 0;
    if(strchr(line, '=') && line[0] != '=')
      envp[n++] = line;
  }
  memcpy(propbuf, "FLINK_PROPERTIES=", 17);
  memcpy(propbuf + 17, props, props_len);
  propbuf[17 + props_len] = 0;
  envp[n++] = propbuf;
  envp[n] = NULL;

  memset(&in, 0, sizeof(in));
  in.envp = envp;
  in.base = (const char *)base;
  in.base_len = base_len;
  in.format = (data[0] & 1) ? RENDER_LEGACY : RENDER_YAML;
  in.rpc_address = (data[0] & 2) ? NULL : "jm.example";

  if(render_document(&in, &res, &err) == 0) {
    if(in.format == RENDER_YAML && render_check(res.doc, res.len, RENDER_YAML, &err) != 0)
      abort();                          /* the output must load back */
    in.base = res.doc;
    in.base_len = res.len;
    if(render_document(&in, &again, &err) != 0)
      abort();                          /* the output must be a valid base file */
    if(again.len != res.len || memcmp(again.doc, res.doc, res.len))
      abort();                          /* and rendering must be idempotent */
    render_result_free(&again);
    render_result_free(&res);
  }
  free(envbuf);
  free(propbuf);
  return 0;
}
