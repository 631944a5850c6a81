/* render.c - the Flink config renderer's pure core: environment snapshot + base file ->
 * new file.  See include/pinit/render.h for the rules. */
#include "pinit/render.h"
#include "pinit/env.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_DEPTH 64          /* nesting of mappings and sequences in a YAML file */
#define MAX_NODES 200000      /* nodes visited per file: alias bombs */
#define MAX_VALUE (1 << 20)   /* a FLINK_PROPERTIES value after substitution */
#define MAX_SIMPLE_KEY 1000   /* longer keys are written "? key" (YAML allows 1024) */
#define NONE ((size_t)-1)

#define STR_TAG "tag:yaml.org,2002:str"
#define MAP_TAG "tag:yaml.org,2002:map"
#define SEQ_TAG "tag:yaml.org,2002:seq"
#define YAML_ORG "tag:yaml.org,2002:"

static const char yaml_header[] =
  "# Written by pinit render: flat dotted keys from the base file, the defaults, the\n"
  "# environment and FLINK_PROPERTIES; the base file's comments are not kept.\n";
static const char legacy_header[] =
  "# Written by pinit render from the base file, the defaults, the environment and\n"
  "# FLINK_PROPERTIES; the base file's comments are not kept.\n";

enum layer { L_BASE, L_DEFAULT, L_MAPPED, L_PROPS };

/* ---- memory: one arena per render, one growable buffer type ---------------------------- */

struct blk {
  struct blk *next;
  size_t used, cap;
  char data[];
};

struct buf {
  char *p;
  size_t len, cap;
  int oom;
};

/* A key/value as read from a file: key flattened; text = the YAML text of the value (NULL in
 * a legacy file); raw = the value as a string (NULL for YAML values that are not strings). */
struct leaf {
  const char *key, *text, *raw;
  const char *val;      /* the value as Flink reads it as a string (scalar value or text) */
  int line;
};

struct leaves {
  struct leaf *v;
  size_t n, cap;
};

/* One key of the result. */
struct ent {
  const char *key;
  const char *text;     /* YAML text written; NULL until emitted for values from the env */
  const char *raw;      /* the string value, NULL for a base YAML value that is no string */
  const char *val;      /* the value as Flink reads it as a string (render_result.kv) */
  const char *src;      /* where the value came from, for warnings */
  int line;
  unsigned char layer, renamed;
  unsigned char gone;   /* replaced by another name of the same option: not written */
};

struct ctx {
  const struct render_input *in;
  struct render_result *res;
  struct render_error *err;
  enum render_format fmt;
  const char *base_name;
  struct blk *arena;
  int oom;
  struct ent *ent;      /* the result, in output order */
  size_t nent, capent;
  uint32_t *slot;       /* open addressing: index + 1 into ent, 0 = empty */
  size_t nslot;
  struct buf scratch;
};

static void *amalloc(struct ctx *c, size_t n)
{
  n = (n + 7) & ~(size_t)7;
  if(!c->arena || c->arena->cap - c->arena->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    struct blk *b = malloc(sizeof(*b) + cap);
    if(!b) {
      c->oom = 1;
      return NULL;
    }
    b->next = c->arena;
    b->used = 0;
    b->cap = cap;
    c->arena = b;
  }
  void *p = c->arena->data + c->arena->used;
  c->arena->used += n;
  return p;
}

static char *astrndup(struct ctx *c, const char *s, size_t n)
{
  char *p = amalloc(c, n + 1);
  if(p) {
    memcpy(p, s, n);
    p[n] = 0;
  }
  return p;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
  if(b->oom)
    return;
  if(b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while(cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if(!p) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void buf_adds(struct buf *b, const char *s)
{
  buf_add(b, s, strlen(s));
}

static void buf_addc(struct buf *b, char ch)
{
  buf_add(b, &ch, 1);
}

static int leaves_add(struct ctx *c, struct leaves *l, const char *key, const char *text,
                      const char *raw, const char *val, int line)
{
  if(!key || (l->n == l->cap && c->oom))
    return -1;
  if(l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    struct leaf *v = realloc(l->v, cap * sizeof(*v));
    if(!v) {
      c->oom = 1;
      return -1;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = (struct leaf){ key, text, raw, val, line };
  return 0;
}

/* ---- messages ------------------------------------------------------------------------------ */

/* A key as it may appear in a message: at most 64 bytes, non-ASCII and controls as '?'. */
static const char *kshow(const char *key, char out[72])
{
  size_t i = 0;
  for(; key[i] && i < 64; i++)
    out[i] = (key[i] < 0x20 || key[i] >= 0x7f) ? '?' : key[i];
  if(key[i])
    memcpy(out + i, "...", 4);
  else
    out[i] = 0;
  return out;
}

static void warn(struct ctx *c, const char *where, int line, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
static void warn(struct ctx *c, const char *where, int line, const char *fmt, ...)
{
  struct render_result *r = c->res;
  va_list ap;
  if(!r)
    return;
  if(r->nwarn >= RENDER_WARN_MAX) {
    r->nwarn_lost++;
    return;
  }
  struct render_warning *w = &r->warn[r->nwarn++];
  snprintf(w->where, sizeof(w->where), "%s", where);
  w->line = line;
  va_start(ap, fmt);
  vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
  va_end(ap);
}

static int fail(struct ctx *c, const char *file, int line, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
static int fail(struct ctx *c, const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  if(c->err->msg[0])     /* keep the first reason */
    return -1;
  snprintf(c->err->file, sizeof(c->err->file), "%s", file);
  c->err->line = line;
  va_start(ap, fmt);
  vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
  va_end(ap);
  return -1;
}

/* ---- characters ---------------------------------------------------------------------------- */

/* Decode one UTF-8 character at s[*i] (strict: no overlongs, surrogates or > U+10FFFF).
 * Returns the code point and advances *i, or -1 and advances *i by one byte. */
static long utf8_next(const unsigned char *s, size_t n, size_t *i)
{
  unsigned char b = s[*i];
  long cp;
  size_t need;
  if(b < 0x80) {
    (*i)++;
    return b;
  }
  if(b >= 0xc2 && b <= 0xdf) {
    need = 1;
    cp = b & 0x1f;
  }
  else if(b >= 0xe0 && b <= 0xef) {
    need = 2;
    cp = b & 0x0f;
  }
  else if(b >= 0xf0 && b <= 0xf4) {
    need = 3;
    cp = b & 0x07;
  }
  else {
    (*i)++;
    return -1;
  }
  if(*i + need >= n) {
    (*i)++;
    return -1;
  }
  for(size_t k = 1; k <= need; k++) {
    if((s[*i + k] & 0xc0) != 0x80) {
      (*i)++;
      return -1;
    }
    cp = (cp << 6) | (s[*i + k] & 0x3f);
  }
  if((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
     (need == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
    (*i)++;
    return -1;
  }
  *i += need + 1;
  return cp;
}

static int utf8_valid(const char *s, size_t n)
{
  for(size_t i = 0; i < n;)
    if(utf8_next((const unsigned char *)s, n, &i) < 0)
      return 0;
  return 1;
}

/* Characters that YAML cannot carry as they are (outside double quotes' escapes): controls
 * including tab and line breaks, C1, the Unicode line breaks libyaml and SnakeYAML honour,
 * the BOM, non-characters. */
static int needs_escape(long cp)
{
  if(cp < 0)
    return 1;
  if(cp >= 0x20 && cp <= 0x7e)
    return 0;
  if(cp >= 0xa0 && cp <= 0xd7ff)
    return cp == 0x2028 || cp == 0x2029;
  if(cp >= 0xe000 && cp <= 0xfffd)
    return cp == 0xfeff;
  return !(cp >= 0x10000 && cp <= 0x10ffff);
}

static int needs_double(const char *s, size_t n)
{
  for(size_t i = 0; i < n;)
    if(needs_escape(utf8_next((const unsigned char *)s, n, &i)))
      return 1;
  return 0;
}

/* 1 if some YAML reader could resolve the plain scalar to something other than a string:
 * YAML 1.2 core null/bool/int/float, YAML 1.1 (SnakeYAML, what Flink uses) bool, int, float,
 * sexagesimal, timestamp, merge and value keys.  Errs on the side of "typed": anything
 * that starts like a number and consists only of digits, hex letters and number or date
 * punctuation.  "1600m", "50 s", "-Xss2m" are strings. */
static int looks_typed(const char *s, size_t n)
{
  static const char *const words[] = { "null", "true", "false", "yes", "no", "on", "off", "y",
                                       "n", "~", "=", "<<", ".inf", "+.inf", "-.inf", ".nan" };
  int digit = 0;
  if(n == 0)
    return 1;
  for(size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
    if(strlen(words[w]) == n && !strncasecmp(s, words[w], n))
      return 1;
  if(!((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.'))
    return 0;
  for(size_t i = 0; i < n; i++) {
    if(s[i] >= '0' && s[i] <= '9')
      digit = 1;
    else if(!memchr("abcdefABCDEFxXoO_+-.:tTzZ ", s[i], 26))
      return 0;
  }
  return digit;
}

/* 1 if s can be written as a plain scalar after "key: " (block context) or inside a flow
 * collection (flow = 1) and reads back as the same characters. */
static int plain_ok(const char *s, size_t n, int flow)
{
  if(n == 0 || s[0] == ' ' || s[n - 1] == ' ')
    return 0;
  if(memchr("#,[]{}&*!|>'\"%@`?:", s[0], 19))
    return 0;
  if(s[0] == '-' && (n == 1 || s[1] == ' '))
    return 0;
  if(n >= 3 && (!memcmp(s, "---", 3) || !memcmp(s, "...", 3)))
    return 0;
  for(size_t i = 0; i < n; i++) {
    if(s[i] == ':' && (flow || i + 1 == n || s[i + 1] == ' '))
      return 0;
    if(s[i] == '#' && s[i - 1] == ' ')
      return 0;
    if(flow && memchr(",[]{}", s[i], 5))
      return 0;
  }
  return !needs_double(s, n);
}

static void put_single(struct buf *b, const char *s, size_t n)
{
  buf_addc(b, '\'');
  for(const char *q; n && (q = memchr(s, '\'', n)); n -= (size_t)(q + 1 - s), s = q + 1) {
    buf_add(b, s, (size_t)(q + 1 - s));
    buf_addc(b, '\'');
  }
  buf_add(b, s, n);
  buf_addc(b, '\'');
}

static void put_double(struct buf *b, const char *s, size_t n)
{
  char esc[12];
  buf_addc(b, '"');
  for(size_t i = 0; i < n;) {
    size_t at = i;
    long cp = utf8_next((const unsigned char *)s, n, &i);
    if(cp == '"' || cp == '\\') {
      esc[0] = '\\';
      esc[1] = (char)cp;
      buf_add(b, esc, 2);
    }
    else if(cp == '\n')
      buf_add(b, "\\n", 2);
    else if(cp == '\t')
      buf_add(b, "\\t", 2);
    else if(cp == '\r')
      buf_add(b, "\\r", 2);
    else if(cp < 0)           /* cannot happen for validated input: keep the byte visible */
      buf_add(b, esc, (size_t)snprintf(esc, sizeof(esc), "\\x%02X", (unsigned char)s[at]));
    else if(needs_escape(cp))
      buf_add(b, esc, (size_t)snprintf(esc, sizeof(esc), cp < 0x100 ? "\\x%02lX" :
                                       cp < 0x10000 ? "\\u%04lX" : "\\U%08lX", cp));
    else
      buf_add(b, s + at, i - at);
  }
  buf_addc(b, '"');
}

/* A string as a YAML scalar: plain when safe, else single quotes, else double quotes. */
static void put_string(struct buf *b, const char *s, size_t n, int flow)
{
  if(plain_ok(s, n, flow) && !looks_typed(s, n))
    buf_add(b, s, n);
  else if(!needs_double(s, n))
    put_single(b, s, n);
  else
    put_double(b, s, n);
}

static const char *string_text(struct ctx *c, const char *s, size_t n, int flow)
{
  c->scratch.len = 0;
  put_string(&c->scratch, s, n, flow);
  if(c->scratch.oom) {
    c->oom = 1;
    return NULL;
  }
  return astrndup(c, c->scratch.p, c->scratch.len);
}

static int key_ok(const char *k, const char **why)
{
  size_t n = strlen(k);
  *why = n == 0 ? "empty key" : k[0] == '.' ? "starts with '.'" : k[n - 1] == '.' ? "ends with '.'" :
         strstr(k, "..") ? "contains '..'" : NULL;
  for(size_t i = 0; !*why && i < n; i++)
    if((unsigned char)k[i] < 0x20 || k[i] == 0x7f)
      *why = "contains a control character";
  if(!*why && !utf8_valid(k, n))
    *why = "is not valid UTF-8";
  return !*why;
}

/* ---- the result: keys in order plus a hash index ------------------------------------------ */

static uint32_t hash(const char *s)
{
  uint32_t h = 2166136261u;
  for(; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static size_t find(struct ctx *c, const char *key)
{
  if(!c->nslot)
    return NONE;
  for(size_t i = hash(key) & (c->nslot - 1);; i = (i + 1) & (c->nslot - 1)) {
    if(!c->slot[i])
      return NONE;
    if(!strcmp(c->ent[c->slot[i] - 1].key, key))
      return c->slot[i] - 1;
  }
}

static struct ent *append(struct ctx *c, const char *key)
{
  if(c->nent == c->capent) {
    size_t cap = c->capent ? c->capent * 2 : 64;
    struct ent *v = realloc(c->ent, cap * sizeof(*v));
    if(!v)
      return c->oom = 1, NULL;
    c->ent = v;
    c->capent = cap;
  }
  if((c->nent + 1) * 2 > c->nslot) {
    size_t nslot = c->nslot ? c->nslot * 2 : 128;
    uint32_t *slot = calloc(nslot, sizeof(*slot));
    if(!slot)
      return c->oom = 1, NULL;
    for(size_t e = 0; e < c->nent; e++) {
      size_t i = hash(c->ent[e].key) & (nslot - 1);
      while(slot[i])
        i = (i + 1) & (nslot - 1);
      slot[i] = (uint32_t)(e + 1);
    }
    free(c->slot);
    c->slot = slot;
    c->nslot = nslot;
  }
  size_t i = hash(key) & (c->nslot - 1);
  while(c->slot[i])
    i = (i + 1) & (c->nslot - 1);
  c->slot[i] = (uint32_t)(c->nent + 1);
  struct ent *e = &c->ent[c->nent++];
  memset(e, 0, sizeof(*e));
  e->key = key;
  return e;
}

/* Flink's other names of an option (ConfigOption.fallbackKeys() in 1.20.1), current name
 * first: FLINK_PROPERTIES is the user's last word under any of them. */
static const char *const aliases[][4] = {
  { "execution.checkpointing.dir", "state.checkpoints.dir", "state.backend.fs.checkpointdir", NULL },
  { "execution.checkpointing.savepoint-dir", "state.savepoints.dir", "savepoints.state.backend.fs.dir", NULL },
  { "high-availability.type", "high-availability", "recovery.mode", NULL },
  { "high-availability.zookeeper.quorum", "recovery.zookeeper.quorum", NULL, NULL },
  { "high-availability.storageDir", "high-availability.zookeeper.storageDir", "recovery.zookeeper.storageDir", NULL },
  { "high-availability.cluster-id", "high-availability.zookeeper.path.namespace",
    "recovery.zookeeper.path.namespace", NULL },
  { "env.java.opts.all", "env.java.opts", NULL, NULL },
  { "state.backend.type", "state.backend", NULL, NULL },
  { "restart-strategy.type", "restart-strategy", NULL, NULL },
  { "rest.port", "web.port", NULL, NULL },
};

/* The alias row of key, or -1. */
static int alias_row(const char *key)
{
  for(size_t r = 0; r < sizeof(aliases) / sizeof(aliases[0]); r++)
    for(int j = 0; j < 4 && aliases[r][j]; j++)
      if(!strcmp(aliases[r][j], key))
        return (int)r;
  return -1;
}

/* The entry that gives key's option its value (under any of its names), or NONE. */
static size_t find_option(struct ctx *c, const char *key)
{
  int r = alias_row(key);
  size_t i = find(c, key);
  if(i != NONE && !c->ent[i].gone)
    return i;
  for(int j = 0; r >= 0 && j < 4 && aliases[r][j]; j++)
    if((i = find(c, aliases[r][j])) != NONE && !c->ent[i].gone)
      return i;
  return NONE;
}

/* Set key from one source.  Within one source the current name beats its deprecated short
 * form whatever the order (Flink reads the deprecated one only as a fallback).  A later
 * source replaces the option under every other name it was set by an earlier source. */
static void set(struct ctx *c, const char *key, const char *text, const char *raw, const char *val,
                enum layer layer, int renamed, const char *src, int line)
{
  char k[72], k2[72];
  size_t i;
  struct ent *e;
  int r;
  if(!key || (!raw && !text))
    return;
  i = find(c, key);
  if(i == NONE) {
    if(!(e = append(c, key)))
      return;
  }
  else {
    e = &c->ent[i];
    if(!e->gone && e->layer == layer && e->renamed != renamed) {
      warn(c, src, line, "'%s' is set under its current and its deprecated name: the deprecated "
           "one is ignored", kshow(key, k));
      if(renamed)
        return;
    }
  }
  e->text = text;
  e->raw = raw;
  e->val = val;
  e->src = src;
  e->line = line;
  e->layer = (unsigned char)layer;
  e->renamed = (unsigned char)renamed;
  e->gone = 0;
  if(layer == L_BASE || (r = alias_row(key)) < 0)
    return;
  for(int j = 0; j < 4 && aliases[r][j]; j++) {
    struct ent *o;
    if(!strcmp(aliases[r][j], key) || (i = find(c, aliases[r][j])) == NONE)
      continue;
    o = &c->ent[i];
    if(o->gone || o->layer >= layer)
      continue;
    o->gone = 1;
    warn(c, src, line, "'%s' replaces '%s' from %s (the same Flink option)", kshow(key, k),
         kshow(o->key, k2), o->src);
  }
}

static const char *const renames[][2] = {
  { "high-availability", "high-availability.type" },
  { "state.backend", "state.backend.type" },
  { "restart-strategy", "restart-strategy.type" },
  { "env.java.opts", "env.java.opts.all" },
};

/* env.java.opts from the environment next to the base file's env.java.opts.all: Flink reads
 * only .all, which holds the image's Java 17 --add-opens flags; keep them and add the user's.
 * Returns 1 when handled. */
static int merge_java_opts(struct ctx *c, const char *key, const char *raw, enum layer layer,
                           const char *src, int line)
{
  size_t i;
  struct ent *b;
  char *m;
  size_t bn, n;
  if(layer == L_BASE || !raw || strcmp(key, "env.java.opts") ||
     (i = find(c, "env.java.opts.all")) == NONE || (b = &c->ent[i])->gone || b->layer != L_BASE || !b->val)
    return 0;
  bn = strlen(b->val);
  n = strlen(raw);
  if(bn >= n && !strcmp(b->val + bn - n, raw) && (bn == n || b->val[bn - n - 1] == ' '))
    m = (char *)b->val;        /* a re-render: the previous output already ends with them */
  else if(!(m = amalloc(c, bn + n + 2)))
    return 1;
  else {
    memcpy(m, b->val, bn);
    m[bn] = ' ';
    memcpy(m + bn + 1, raw, n + 1);
  }
  warn(c, src, line, "'env.java.opts' is appended to the base file's 'env.java.opts.all' (Flink reads "
       "only the latter): the image's JVM options are kept");
  set(c, "env.java.opts.all", NULL, m, m, layer, 1, src, line);
  return 1;
}

/* Validate a key, rename it (config.yaml only) and set it; warns instead when it is bad. */
static void set_key(struct ctx *c, const char *key, const char *text, const char *raw, const char *val,
                    enum layer layer, const char *src, int line)
{
  const char *why;
  char k[72], k2[72];
  int renamed = 0;
  if(!key_ok(key, &why)) {
    warn(c, src, line, "key '%s' %s: ignored", kshow(key, k), why);
    return;
  }
  if(merge_java_opts(c, key, raw, layer, src, line))
    return;
  if(c->fmt == RENDER_YAML) {
    for(size_t r = 0; r < sizeof(renames) / sizeof(renames[0]); r++) {
      if(!strcmp(key, renames[r][0])) {
        warn(c, src, line, "deprecated key '%s' written as '%s'", kshow(key, k),
             kshow(renames[r][1], k2));
        key = renames[r][1];
        renamed = 1;
        break;
      }
    }
  }
  set(c, key, text, raw, val, layer, renamed, src, line);
}

/* Keys pinit knows Flink's spelling of (the case-sensitivity warning). */
static const char *const known_keys[] = {
  "jobmanager.rpc.address", "jobmanager.rpc.port", "taskmanager.rpc.port", "taskmanager.numberOfTaskSlots",
  "blob.server.port", "rest.bind-port", "jobmanager.memory.heap.size", "jobmanager.memory.process.size",
  "taskmanager.memory.process.size", "parallelism.default", "execution.checkpointing.interval",
};

static int known_key(const char *key, const char **spelt)
{
  int r;
  for(size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
    if(!strcasecmp(known_keys[i], key))
      return *spelt = known_keys[i], 1;
  for(r = 0; r < (int)(sizeof(aliases) / sizeof(aliases[0])); r++)
    for(int j = 0; j < 4 && aliases[r][j]; j++)
      if(!strcasecmp(aliases[r][j], key))
        return *spelt = aliases[r][j], 1;
  return 0;
}

/* One line for what Flink reads differently from what a person may mean (never the value). */
static void surprises(struct ctx *c, const char *key, const char *v, size_t n, enum layer layer,
                      const char *src, int line)
{
  static const char *const bools[] = { "yes", "no", "on", "off", "y", "n" };
  const char *spelt;
  char k[72], k2[72];
  for(size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
    if(strlen(bools[i]) == n && !strncasecmp(v, bools[i], n))
      warn(c, src, line, "'%s': Flink's booleans are only true and false (yes/no/on/off are not)", kshow(key, k));
  if(n > 2 && v[0] == '0' && strchr("xXoObB", v[1]))
    warn(c, src, line, "'%s': Flink reads integers in decimal only (0x.., 0o.., 0b.. are not numbers)",
         kshow(key, k));
  if(known_key(key, &spelt) && strcmp(spelt, key))
    warn(c, src, line, "'%s' is not '%s': Flink's keys are case-sensitive", kshow(key, k), kshow(spelt, k2));
  if(layer == L_PROPS && n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0])
    warn(c, src, line, "'%s': quotes in FLINK_PROPERTIES are part of the value", kshow(key, k));
  if(c->fmt == RENDER_LEGACY && n >= 2 && v[0] == '[' && v[n - 1] == ']')
    warn(c, src, line, "'%s': flink-conf.yaml has no [a, b] lists, Flink reads the brackets as text "
         "(write a;b)", kshow(key, k));
  if(!strncmp(key, "env.java.opts", 13)) {
    size_t q = 0;
    for(size_t i = 0; i < n; i++)
      q += v[i] == '\'';
    if(memchr(v, '"', n) || q % 2)
      warn(c, src, line, "'%s': double quotes or an unpaired ' in JVM options break Flink's config.sh",
           kshow(key, k));
  }
}

/* Java's String.trim(): drop characters <= ' ' at both ends of (*s, *n). */
static void trim_blanks(const char **s, size_t *n)
{
  while(*n && (unsigned char)(*s)[*n - 1] <= ' ')
    --*n;
  while(*n && (unsigned char)**s <= ' ')
    ++*s, --*n;
}

/* A value from the environment: a string, trimmed at both ends as Flink's entrypoint and its
 * flink-conf.yaml reader do (a trailing newline from a Secret or ConfigMap file).  Neither file
 * can carry invalid UTF-8.  Whitespace inside JVM options becomes a space (config.sh). */
static void set_env(struct ctx *c, const char *key, const char *val, size_t n, enum layer layer,
                    const char *src, int line)
{
  char k[72], *v;
  trim_blanks(&val, &n);
  if(!utf8_valid(val, n)) {
    warn(c, src, line, "the value of '%s' is not valid UTF-8: ignored", kshow(key, k));
    return;
  }
  if(!(v = astrndup(c, val, n)))
    return;
  if(!strncmp(key, "env.java.opts", 13) && strpbrk(v, "\t\r\n\v\f")) {
    for(char *p = v; (p = strpbrk(p, "\t\r\n\v\f")); p++)
      *p = ' ';
    warn(c, src, line, "'%s': tabs and line breaks in JVM options written as spaces (Flink's config.sh "
         "would drop every option)", kshow(key, k));
  }
  surprises(c, key, v, n, layer, src, line);
  set_key(c, key, NULL, v, v, layer, src, line);
}

/* ---- YAML files ---------------------------------------------------------------------------- */

struct yfile {
  struct ctx *c;
  yaml_document_t doc;
  const char *src;      /* the file's bytes, for explicit tags */
  size_t len;
  const char *name;     /* for errors */
  long budget;
  int line;             /* of the top-level key being flattened, for limit errors */
  size_t pos_char, pos_byte;  /* cache for char index -> byte offset */
  struct leaves *out;
};

static int yfail_parser(struct ctx *c, yaml_parser_t *p, const char *name, const char *s, size_t n)
{
  int line = 1;
  if(p->error == YAML_MEMORY_ERROR) {
    c->oom = 1;
    return fail(c, name, 0, "out of memory");
  }
  if(p->error == YAML_READER_ERROR) {
    for(size_t i = 0; i < p->problem_offset && i < n; i++)
      line += s[i] == '\n';
    return fail(c, name, line, "%s", p->problem ? p->problem : "cannot read the file");
  }
  if(p->context)
    return fail(c, name, (int)p->problem_mark.line + 1, "%s %s", p->problem ? p->problem : "syntax error",
                p->context);
  return fail(c, name, (int)p->problem_mark.line + 1, "%s", p->problem ? p->problem : "syntax error");
}

/* Whether a scalar carries an explicit tag ("!!str 5", "! 5", "&a !!str 5"): libyaml gives the
 * resolved tag only, so look at the text at the node's start (mark.index counts characters). */
static int explicit_tag(struct yfile *f, const yaml_node_t *node)
{
  size_t want = node->start_mark.index, ch = f->pos_char, i = f->pos_byte;
  if(want < ch) {
    ch = 0;
    i = (f->len >= 3 && !memcmp(f->src, "\xef\xbb\xbf", 3)) ? 3 : 0;
  }
  while(ch < want && i < f->len) {
    utf8_next((const unsigned char *)f->src, f->len, &i);
    ch++;
  }
  f->pos_char = ch;
  f->pos_byte = i;
  for(int props = 0; props < 2 && i < f->len; props++) {
    if(f->src[i] == '!')
      return 1;
    if(f->src[i] != '&')
      return 0;
    while(i < f->len && !memchr(" \t\r\n", f->src[i], 4))
      i++;
    while(i < f->len && memchr(" \t\r\n", f->src[i], 4))
      i++;
  }
  return 0;
}

static int put_tag(struct yfile *f, struct buf *b, const yaml_node_t *node)
{
  const char *tag = (const char *)node->tag, *s;
  int yorg = !strncmp(tag, YAML_ORG, sizeof(YAML_ORG) - 1);
  s = yorg ? tag + sizeof(YAML_ORG) - 1 : tag[0] == '!' ? tag + 1 : "";
  if(!*s || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(s))
    return fail(f->c, f->name, (int)node->start_mark.line + 1, "unsupported tag");
  buf_adds(b, yorg ? "!!" : "!");
  buf_adds(b, s);
  buf_addc(b, ' ');
  return 0;
}

static int emit_node(struct yfile *f, struct buf *b, int id, int flow, int depth, const char **raw);

static int check_budget(struct yfile *f, const yaml_node_t *node, int depth)
{
  int line = f->line ? f->line : (int)node->start_mark.line + 1;
  if(--f->budget < 0)
    return fail(f->c, f->name, line, "more than %d nodes (aliases?)", MAX_NODES);
  if(depth > MAX_DEPTH)
    return fail(f->c, f->name, line, "nested deeper than %d levels", MAX_DEPTH);
  return 0;
}

static int emit_scalar(struct yfile *f, struct buf *b, const yaml_node_t *node, int flow, const char **raw)
{
  const char *v = (const char *)node->data.scalar.value;
  size_t n = node->data.scalar.length;
  yaml_scalar_style_t style = node->data.scalar.style;
  *raw = NULL;
  if(memchr(v, 0, n))
    return fail(f->c, f->name, (int)node->start_mark.line + 1, "NUL character in a value");
  if(strcmp((const char *)node->tag, STR_TAG)) {
    if(put_tag(f, b, node))
      return -1;
    if(style == YAML_PLAIN_SCALAR_STYLE && plain_ok(v, n, flow))
      buf_add(b, v, n);
    else if(needs_double(v, n) || style != YAML_SINGLE_QUOTED_SCALAR_STYLE)
      put_double(b, v, n);
    else
      put_single(b, v, n);
    return 0;
  }
  if(style == YAML_PLAIN_SCALAR_STYLE && n == 0) {
    buf_adds(b, "null");
    return 0;
  }
  if(style == YAML_PLAIN_SCALAR_STYLE && plain_ok(v, n, flow)) {
    int typed = looks_typed(v, n), tagged = typed && explicit_tag(f, node);
    if(tagged)                  /* !!str 6123: a string that needs quotes */
      put_single(b, v, n);
    else
      buf_add(b, v, n);         /* verbatim: every reader types it as before */
    *raw = typed && !tagged ? NULL : v;
    return 0;
  }
  *raw = v;
  if(style == YAML_PLAIN_SCALAR_STYLE)
    put_string(b, v, n, flow);
  else if(style == YAML_SINGLE_QUOTED_SCALAR_STYLE && !needs_double(v, n))
    put_single(b, v, n);
  else
    put_double(b, v, n);
  return 0;
}

struct kref {
  const char *s;
  int line;
};

static int kref_cmp(const void *a, const void *b)
{
  const struct kref *x = a, *y = b;
  int r = strcmp(x->s, y->s);
  return r ? r : x->line - y->line;
}

/* Refuse non-scalar keys and a key twice in one mapping. */
static int check_keys(struct yfile *f, const yaml_node_t *map, const char *prefix)
{
  size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start), i;
  struct kref *k;
  char p[72], q[72];
  if(n < 2) {
    if(n == 1 && yaml_document_get_node(&f->doc, map->data.mapping.pairs.start->key)->type != YAML_SCALAR_NODE)
      return fail(f->c, f->name, (int)map->start_mark.line + 1, "a key is not a scalar");
    return 0;
  }
  if(!(k = malloc(n * sizeof(*k)))) {
    f->c->oom = 1;
    return fail(f->c, f->name, 0, "out of memory");
  }
  for(i = 0; i < n; i++) {
    yaml_node_t *key = yaml_document_get_node(&f->doc, map->data.mapping.pairs.start[i].key);
    if(key->type != YAML_SCALAR_NODE) {
      free(k);
      return fail(f->c, f->name, (int)key->start_mark.line + 1, "a key is not a scalar");
    }
    k[i].s = (const char *)key->data.scalar.value;
    k[i].line = (int)key->start_mark.line + 1;
  }
  qsort(k, n, sizeof(*k), kref_cmp);
  for(i = 1; i < n; i++) {
    if(!strcmp(k[i - 1].s, k[i].s)) {
      int a = k[i - 1].line, l = k[i].line;
      kshow(prefix, p);
      kshow(k[i].s, q);
      free(k);
      return fail(f->c, f->name, l, "duplicate key '%s%s%s' (lines %d and %d)", p, *p ? "." : "", q, a, l);
    }
  }
  free(k);
  return 0;
}

static int emit_node(struct yfile *f, struct buf *b, int id, int flow, int depth, const char **raw)
{
  yaml_node_t *node = yaml_document_get_node(&f->doc, id);
  *raw = NULL;
  if(check_budget(f, node, depth))
    return -1;
  if(node->type == YAML_SCALAR_NODE)
    return emit_scalar(f, b, node, flow, raw);
  if(node->type == YAML_SEQUENCE_NODE) {
    if(strcmp((const char *)node->tag, SEQ_TAG))
      return fail(f->c, f->name, (int)node->start_mark.line + 1, "unsupported tag");
    buf_addc(b, '[');
    for(yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
      const char *r;
      if(it != node->data.sequence.items.start)
        buf_adds(b, ", ");
      if(emit_node(f, b, *it, 1, depth + 1, &r))
        return -1;
    }
    buf_addc(b, ']');
    return 0;
  }
  if(strcmp((const char *)node->tag, MAP_TAG))
    return fail(f->c, f->name, (int)node->start_mark.line + 1, "unsupported tag");
  if(check_keys(f, node, ""))
    return -1;
  buf_addc(b, '{');
  for(yaml_node_pair_t *pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
    const char *r;
    size_t at, klen;
    if(pr != node->data.mapping.pairs.start)
      buf_adds(b, ", ");
    at = b->len;
    if(emit_node(f, b, pr->key, 1, depth + 1, &r))
      return -1;
    klen = b->len - at;
    if(klen > MAX_SIMPLE_KEY) {       /* too long for an implicit key: "? key: value" */
      buf_add(b, "  ", 2);
      if(!b->oom) {
        memmove(b->p + at + 2, b->p + at, klen);
        memcpy(b->p + at, "? ", 2);
      }
    }
    buf_adds(b, ": ");
    if(emit_node(f, b, pr->value, 1, depth + 1, &r))
      return -1;
  }
  buf_addc(b, '}');
  return 0;
}

/* A null scalar: plain empty, ~, null (any YAML 1.2 case), or tagged !!null. */
static int is_null(const yaml_node_t *n)
{
  const char *v = (const char *)n->data.scalar.value;
  if(n->type != YAML_SCALAR_NODE)
    return 0;
  if(!strcmp((const char *)n->tag, YAML_ORG "null"))
    return 1;
  return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp((const char *)n->tag, STR_TAG) &&
         (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL"));
}

/* Flatten a mapping into f->out: "a: {b: 1}" gives "a.b" -> "1". */
static int walk_map(struct yfile *f, const yaml_node_t *map, const char *prefix, int depth)
{
  struct ctx *c = f->c;
  if(check_budget(f, map, depth) || check_keys(f, map, prefix))
    return -1;
  for(yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *key = yaml_document_get_node(&f->doc, pr->key);
    yaml_node_t *val = yaml_document_get_node(&f->doc, pr->value);
    const char *ks = (const char *)key->data.scalar.value, *raw, *sval;
    size_t kn = key->data.scalar.length, pn = strlen(prefix);
    int line = (int)key->start_mark.line + 1;
    char *full;
    if(!depth)
      f->line = line;
    if(memchr(ks, 0, kn))
      return fail(c, f->name, line, "NUL character in a key");
    if(!(full = amalloc(c, pn + kn + 2)))
      return fail(c, f->name, 0, "out of memory");
    memcpy(full, prefix, pn);
    if(pn)
      full[pn++] = '.';
    memcpy(full + pn, ks, kn + 1);
    if(val->type == YAML_MAPPING_NODE) {
      if(strcmp((const char *)val->tag, MAP_TAG))
        return fail(c, f->name, (int)val->start_mark.line + 1, "unsupported tag");
      if(walk_map(f, val, full, depth + 1))
        return -1;
      continue;
    }
    if(is_null(val)) {            /* Flink 1.20 refuses to load a null value */
      char k[72];
      warn(c, f->name, line, "'%s' has no value (null), which Flink cannot load: not written", kshow(full, k));
      continue;
    }
    c->scratch.len = 0;
    if(emit_node(f, &c->scratch, pr->value, 0, depth + 1, &raw))
      return -1;
    if(raw && !(raw = astrndup(c, raw, strlen(raw))))   /* it lives in the libyaml document */
      return fail(c, f->name, 0, "out of memory");
    sval = val->type == YAML_SCALAR_NODE ? astrndup(c, (const char *)val->data.scalar.value, val->data.scalar.length)
                                         : astrndup(c, c->scratch.p, c->scratch.len);
    if(c->scratch.oom || !sval ||
       leaves_add(c, f->out, full, astrndup(c, c->scratch.p, c->scratch.len), raw, sval, line)) {
      c->oom = 1;
      return fail(c, f->name, 0, "out of memory");
    }
  }
  return 0;
}

/* Two keys that flatten to one ("a.b: 1" and "a: {b: 2}"): Flink uses the later one. */
static int check_flat(struct yfile *f)
{
  struct leaves *l = f->out;
  struct kref *k;
  char q[72];
  if(l->n < 2)
    return 0;
  if(!(k = malloc(l->n * sizeof(*k)))) {
    f->c->oom = 1;
    return fail(f->c, f->name, 0, "out of memory");
  }
  for(size_t i = 0; i < l->n; i++)
    k[i] = (struct kref){ l->v[i].key, l->v[i].line };
  qsort(k, l->n, sizeof(*k), kref_cmp);
  for(size_t i = 1; i < l->n; i++)
    if(!strcmp(k[i - 1].s, k[i].s))
      warn(f->c, f->name, k[i].line, "'%s' is set twice, flat and nested (lines %d and %d): the later "
           "one is used, as Flink does", kshow(k[i].s, q), k[i - 1].line, k[i].line);
  free(k);
  return 0;
}

/* Parse a YAML file and flatten it into out (leaves point into the arena). */
static int yaml_flatten(struct ctx *c, const char *s, size_t n, const char *name, struct leaves *out)
{
  struct yfile f;
  yaml_parser_t p;
  yaml_node_t *root;
  int rc = 0;
  memset(&f, 0, sizeof(f));
  f.c = c;
  f.src = s;
  f.len = n;
  f.name = name;
  f.budget = MAX_NODES;
  f.out = out;
  f.pos_byte = n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3) ? 3 : 0;
  if(!n)
    return 0;
  if(!yaml_parser_initialize(&p)) {
    c->oom = 1;
    return fail(c, name, 0, "out of memory");
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)s, n);
  if(!yaml_parser_load(&p, &f.doc)) {
    rc = yfail_parser(c, &p, name, s, n);
    yaml_parser_delete(&p);
    return rc;
  }
  if(p.encoding != YAML_UTF8_ENCODING)
    rc = fail(c, name, 0, "the file is not UTF-8");
  else if((root = yaml_document_get_root_node(&f.doc))) {
    yaml_document_t more;
    if(!yaml_parser_load(&p, &more))
      rc = yfail_parser(c, &p, name, s, n);
    else {
      yaml_node_t *r2 = yaml_document_get_root_node(&more);
      if(r2)
        rc = fail(c, name, (int)r2->start_mark.line + 1, "more than one YAML document");
      yaml_document_delete(&more);
    }
    if(rc)
      ;
    else if(root->type == YAML_MAPPING_NODE) {
      if(strcmp((const char *)root->tag, MAP_TAG))
        rc = fail(c, name, (int)root->start_mark.line + 1, "unsupported tag");
      else
        rc = walk_map(&f, root, "", 0) ? -1 : check_flat(&f);
    }
    else if(!(root->type == YAML_SCALAR_NODE && root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
              (!root->data.scalar.length || !strcmp((const char *)root->data.scalar.value, "~") ||
               !strcasecmp((const char *)root->data.scalar.value, "null"))))
      rc = fail(c, name, (int)root->start_mark.line + 1, "the top level is not a mapping");
  }
  yaml_document_delete(&f.doc);
  yaml_parser_delete(&p);
  return rc;
}

/* ---- legacy flink-conf.yaml ---------------------------------------------------------------- */

/* Flink's GlobalConfiguration.loadYAMLResource: cut at '#', trim, split at the first ": ",
 * skip an empty key or value.  Lines end at \n, \r or \r\n (Java's readLine). */
static int legacy_parse(struct ctx *c, const char *s, size_t n, const char *name, int quiet,
                        struct leaves *out)
{
  int line = 0;
  for(size_t at = 0; at < n;) {
    size_t end = at, cut, ks, ke, vs, ve;
    const char *sep;
    while(end < n && s[end] != '\n' && s[end] != '\r')
      end++;
    line++;
    if(memchr(s + at, 0, end - at))
      return fail(c, name, line, "NUL character in the line");
    cut = at;
    while(cut < end && s[cut] != '#')
      cut++;
    ks = at;
    while(ks < cut && (unsigned char)s[ks] <= ' ')
      ks++;
    ve = cut;
    while(ve > ks && (unsigned char)s[ve - 1] <= ' ')
      ve--;
    if(ks < ve) {
      sep = memmem(s + ks, ve - ks, ": ", 2);
      if(!sep) {
        if(!quiet)
          warn(c, name, line, "no ': ' in the line: ignored, as Flink does");
      }
      else {
        ke = (size_t)(sep - s);
        vs = ke + 2;
        while(ke > ks && (unsigned char)s[ke - 1] <= ' ')
          ke--;
        while(vs < ve && (unsigned char)s[vs] <= ' ')
          vs++;
        if(ke == ks || vs == ve) {
          if(!quiet)
            warn(c, name, line, "empty key or value: ignored, as Flink does");
        }
        else {
          const char *v = astrndup(c, s + vs, ve - vs);
          if(leaves_add(c, out, astrndup(c, s + ks, ke - ks), NULL, v, v, line) || !v)
            return fail(c, name, 0, "out of memory");
        }
      }
    }
    at = end + (end < n && s[end] == '\r' && end + 1 < n && s[end + 1] == '\n' ? 2 : 1);
  }
  return 0;
}

/* ---- the environment ----------------------------------------------------------------------- */

static int name_char(char ch, int first)
{
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' || (!first && ch >= '0' && ch <= '9');
}

/* envsubst: ${NAME} and $NAME from the snapshot, unset -> empty, anything else literal.
 * Result in c->scratch; -1 when longer than MAX_VALUE. */
static int substitute(struct ctx *c, const char *v, size_t n)
{
  struct buf *b = &c->scratch;
  b->len = 0;
  buf_add(b, "", 0);
  for(size_t i = 0; i < n && b->len <= MAX_VALUE;) {
    size_t s = i + 1, e;
    int brace = 0;
    if(v[i] != '$') {
      const char *d = memchr(v + i, '$', n - i);
      e = d ? (size_t)(d - v) : n;
      buf_add(b, v + i, e - i);
      i = e;
      continue;
    }
    if(s < n && v[s] == '{')
      s++, brace = 1;
    for(e = s; e < n && name_char(v[e], e == s); e++)
      ;
    if(e == s || (brace && (e == n || v[e] != '}'))) {
      buf_addc(b, '$');
      i++;
      continue;
    }
    const char *val = env_getn(c->in->envp, v + s, e - s);
    if(val) {                   /* trimmed, like a whole value from the environment */
      size_t vn = strlen(val);
      trim_blanks(&val, &vn);
      buf_add(b, val, vn);
    }
    i = e + brace;
  }
  if(b->oom) {
    c->oom = 1;
    return 0;
  }
  return b->len > MAX_VALUE ? -1 : 0;
}

/* Blanks around a key: ASCII whitespace, and (with a warning) a BOM or no-break space. */
static int key_blank(const char *p, const char *end, int tail)
{
  static const char ws[] = " \t\r\n\v\f";
  if(tail) {
    if(end - p >= 1 && strchr(ws, end[-1]))
      return 1;
    if(end - p >= 3 && !memcmp(end - 3, "\xef\xbb\xbf", 3))
      return 3;
    return end - p >= 2 && !memcmp(end - 2, "\xc2\xa0", 2) ? 2 : 0;
  }
  if(end - p >= 1 && strchr(ws, *p))
    return 1;
  if(end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
    return 3;
  return end - p >= 2 && !memcmp(p, "\xc2\xa0", 2) ? 2 : 0;
}

/* FLINK_PROPERTIES: lines end at \n, \r\n or a lone \r. */
static void apply_properties(struct ctx *c, const char *fp)
{
  static const char ws[] = " \t\r\n\v\f";
  char k[72];
  int line = 0;
  for(const char *p = fp; *p && !c->oom;) {
    const char *eol = strpbrk(p, "\r\n"), *end = eol ? eol : p + strlen(p), *colon, *ke, *vs, *ve;
    int odd = 0, w;
    line++;
    while(p < end && strchr(ws, *p))
      p++;
    while(end > p && strchr(ws, end[-1]))
      end--;
    if(p < end && *p != '#') {
      if(!(colon = memchr(p, ':', (size_t)(end - p))))
        warn(c, "FLINK_PROPERTIES", line, "no ':' in the line: ignored");
      else {
        for(; (w = key_blank(p, colon, 0)); p += w)
          odd |= w > 1;
        for(ke = colon; (w = key_blank(p, ke, 1)); ke -= w)
          odd |= w > 1;
        for(vs = colon + 1, ve = end; vs < ve && strchr(ws, *vs); vs++)
          ;
        const char *key = astrndup(c, p, (size_t)(ke - p));
        if(!key)
          return;
        if(odd)
          warn(c, "FLINK_PROPERTIES", line, "a BOM or no-break space around the key '%s': removed", kshow(key, k));
        if(substitute(c, vs, (size_t)(ve - vs)))
          warn(c, "FLINK_PROPERTIES", line, "the value of '%s' is longer than %d bytes after "
               "substitution: ignored", kshow(key, k), MAX_VALUE);
        else if(!c->oom)
          set_env(c, key, c->scratch.p, c->scratch.len, L_PROPS, "FLINK_PROPERTIES", line);
      }
    }
    if(!eol)
      break;
    p = eol + (eol[0] == '\r' && eol[1] == '\n' ? 2 : 1);
  }
}

static const char *const mapped[][2] = {
  { "HA_MODE", "high-availability.type" },
  { "HA_ZOOKEEPER_QUORUM", "high-availability.zookeeper.quorum" },
  { "HA_CLUSTER_ID", "high-availability.cluster-id" },
  { "HA_STORAGE_DIR", "high-availability.storageDir" },
  { "JOB_MANAGER_HEAP_SIZE", "jobmanager.memory.heap.size" },
  { "JOB_MANAGER_PROCESS_SIZE", "jobmanager.memory.process.size" },
  { "TASK_MANAGER_PROCESS_SIZE", "taskmanager.memory.process.size" },
  { "PARALLELISM_DEFAULT", "parallelism.default" },
  { "CHECKPOINT_INTERVAL", "execution.checkpointing.interval" },
  { "CHECKPOINT_DIR", "execution.checkpointing.dir" },
  { "SAVEPOINT_DIR", "execution.checkpointing.savepoint-dir" },
};

static void apply_env(struct ctx *c)
{
  char *const *envp = c->in->envp;
  const char *v, *ha;
  size_t storage = NONE, i;

  v = env_value(envp, "JOB_MANAGER_RPC_ADDRESS");
  if(!v && c->in->rpc_address && *c->in->rpc_address)
    v = c->in->rpc_address;
  if(v)
    set_env(c, "jobmanager.rpc.address", v, strlen(v), L_DEFAULT, "JOB_MANAGER_RPC_ADDRESS", 0);
  set_env(c, "blob.server.port", "6124", 4, L_DEFAULT, "defaults", 0);
  set_env(c, "query.server.port", "6125", 4, L_DEFAULT, "defaults", 0);
  if((v = env_value(envp, "TASK_MANAGER_NUMBER_OF_TASK_SLOTS")))
    set_env(c, "taskmanager.numberOfTaskSlots", v, strlen(v), L_DEFAULT, "TASK_MANAGER_NUMBER_OF_TASK_SLOTS", 0);

  for(size_t m = 0; m < sizeof(mapped) / sizeof(mapped[0]); m++)
    if((v = env_value(envp, mapped[m][0])))
      set_env(c, mapped[m][1], v, strlen(v), L_MAPPED, mapped[m][0], 0);
  ha = env_value(envp, "HA_MODE");
  if(ha && strcasecmp(ha, "none") && !env_value(envp, "HA_STORAGE_DIR") &&
     find_option(c, "high-availability.storageDir") == NONE) {
    v = "file:///opt/flink/savepoints/ha";
    set_env(c, "high-availability.storageDir", v, strlen(v), L_MAPPED, "HA_MODE", 0);
    storage = find(c, "high-availability.storageDir");
  }

  for(const char *const *pin = c->in->pins; pin && *pin; pin++) {
    const char *colon = strchr(*pin, ':');
    char *key;
    if(!colon || !(key = astrndup(c, *pin, (size_t)(colon - *pin))))
      continue;
    set_env(c, key, colon + 1, strlen(colon + 1), L_DEFAULT, "pinned", 0);
  }
  if((v = env_getn(envp, "FLINK_PROPERTIES", 16)))
    apply_properties(c, v);
  /* FLINK_PROPERTIES turned HA off: the default storage dir is not the user's */
  if(storage != NONE && c->ent[storage].layer == L_MAPPED && (i = find_option(c, "high-availability.type")) != NONE &&
     c->ent[i].val && !strcasecmp(c->ent[i].val, "none"))
    c->ent[storage].gone = 1;
}

/* ---- output -------------------------------------------------------------------------------- */

static int emit_yaml(struct ctx *c, struct buf *out)
{
  buf_adds(out, yaml_header);
  for(size_t i = 0; i < c->nent; i++) {
    struct ent *e = &c->ent[i];
    const char *key;
    if(e->gone)
      continue;
    if(!e->text && !(e->text = string_text(c, e->raw, strlen(e->raw), 0)))
      break;
    if(!(key = string_text(c, e->key, strlen(e->key), 0)))
      break;
    if(strlen(key) > MAX_SIMPLE_KEY) {
      buf_adds(out, "? ");
      buf_adds(out, key);
      buf_adds(out, "\n: ");
    }
    else {
      buf_adds(out, key);
      buf_adds(out, ": ");
    }
    buf_adds(out, e->text);
    buf_addc(out, '\n');
    c->res->nkeys++;
  }
  return c->oom || out->oom ? -1 : 0;
}

static int emit_legacy(struct ctx *c, struct buf *out)
{
  char k[72];
  buf_adds(out, legacy_header);
  c->res->nkeys = 0;
  for(size_t i = 0; i < c->nent; i++) {
    struct ent *e = &c->ent[i];
    if(e->gone)
      continue;
    const char *why = strchr(e->key, '#') ? "has '#' in its name" : !*e->raw ? "has an empty value" :
                      strchr(e->raw, '#') ? "has '#' in its value (Flink would cut it there)" :
                      strpbrk(e->raw, "\r\n") ? "has a line break in its value" : NULL;
    if(why) {
      warn(c, e->src, e->line, "'%s' %s, which flink-conf.yaml cannot hold: not written", kshow(e->key, k), why);
      e->text = NULL;
      continue;
    }
    e->text = e->raw;       /* marks it written */
    buf_adds(out, e->key);
    buf_adds(out, ": ");
    buf_adds(out, e->raw);
    buf_addc(out, '\n');
    c->res->nkeys++;
  }
  return out->oom ? -1 : 0;
}

/* Parse the output again: every key once, in order, with the text written, values from the
 * environment as the same string. */
static int self_check(struct ctx *c, const char *doc, size_t len)
{
  struct leaves l = { 0 };
  char name[64], k[72];
  size_t j = 0;
  int rc;
  snprintf(name, sizeof(name), "rendered %s", render_file_name(c->fmt));
  rc = c->fmt == RENDER_YAML ? yaml_flatten(c, doc, len, name, &l) : legacy_parse(c, doc, len, name, 1, &l);
  for(size_t i = 0; !rc && i < c->nent; i++) {
    struct ent *e = &c->ent[i];
    struct leaf *f;
    if(!e->text || e->gone)            /* not written */
      continue;
    f = j < l.n ? &l.v[j] : NULL;
    j++;
    if(!f || strcmp(f->key, e->key))
      rc = fail(c, name, f ? f->line : 0, "self-check: key '%s' does not load back", kshow(e->key, k));
    else if(c->fmt == RENDER_YAML ? strcmp(f->text, e->text) || (e->layer != L_BASE && (!f->raw || strcmp(f->raw, e->raw)))
                                  : strcmp(f->raw, e->raw))
      rc = fail(c, name, f->line, "self-check: the value of '%s' does not load back as written", kshow(e->key, k));
  }
  if(!rc && j != l.n)
    rc = fail(c, name, l.v[j].line, "self-check: unexpected key");
  free(l.v);
  return rc;
}

/* snakeyaml-engine's LoadSettings codePointLimit: Flink refuses a longer config.yaml. */
#define YAML_CODE_POINTS_MAX (3 * 1024 * 1024)

static int check_size(struct ctx *c, const char *doc, size_t len)
{
  size_t cps = 0;
  char name[64];
  for(size_t i = 0; i < len; i++)
    cps += ((unsigned char)doc[i] & 0xc0) != 0x80;
  snprintf(name, sizeof(name), "rendered %s", render_file_name(c->fmt));
  if(c->fmt == RENDER_YAML && cps > YAML_CODE_POINTS_MAX)
    return fail(c, name, 0, "%zu characters, more than Flink's YAML reader accepts (%d)", cps,
                YAML_CODE_POINTS_MAX);
  return 0;
}

/* The keys written and their values as Flink reads them, in one malloc'd block. */
static int collect(struct ctx *c, struct render_result *res)
{
  size_t n = 0, bytes = 0;
  char *p;
  for(size_t i = 0; i < c->nent; i++)
    if(c->ent[i].text && !c->ent[i].gone && c->ent[i].val)
      n++, bytes += strlen(c->ent[i].key) + strlen(c->ent[i].val) + 2;
  if(!(res->kv = malloc(n * sizeof(*res->kv) + bytes + 1)))
    return c->oom = 1, -1;
  p = (char *)(res->kv + n);
  for(size_t i = 0; i < c->nent; i++) {
    const struct ent *e = &c->ent[i];
    size_t kn, vn;
    if(!e->text || e->gone || !e->val)
      continue;
    kn = strlen(e->key) + 1;
    vn = strlen(e->val) + 1;
    res->kv[res->nkv].key = memcpy(p, e->key, kn);
    res->kv[res->nkv++].value = memcpy(p + kn, e->val, vn);
    p += kn + vn;
  }
  return 0;
}

const char *render_get(const struct render_result *res, const char *key)
{
  for(size_t i = 0; res && i < res->nkv; i++)
    if(!strcmp(res->kv[i].key, key))
      return res->kv[i].value;
  return NULL;
}

/* ---- entry points -------------------------------------------------------------------------- */

static void ctx_free(struct ctx *c)
{
  while(c->arena) {
    struct blk *b = c->arena;
    c->arena = b->next;
    free(b);
  }
  free(c->ent);
  free(c->slot);
  free(c->scratch.p);
}

const char *render_file_name(enum render_format format)
{
  return format == RENDER_LEGACY ? "flink-conf.yaml" : "config.yaml";
}

int render_document(const struct render_input *in, struct render_result *res, struct render_error *err)
{
  struct ctx c;
  struct leaves base = { 0 };
  struct buf out = { 0 };
  enum render_format bfmt;
  int rc;

  memset(&c, 0, sizeof(c));
  memset(res, 0, sizeof(*res));
  memset(err, 0, sizeof(*err));
  c.in = in;
  c.res = res;
  c.err = err;
  c.fmt = in->format == RENDER_LEGACY ? RENDER_LEGACY : RENDER_YAML;
  c.base_name = in->base_name ? in->base_name : render_file_name(c.fmt);

  bfmt = in->base_format == RENDER_AUTO ? c.fmt : in->base_format == RENDER_LEGACY ? RENDER_LEGACY : RENDER_YAML;
  if(in->base_name)
    c.base_name = in->base_name;
  else if(bfmt != c.fmt)
    c.base_name = render_file_name(bfmt);
  rc = !in->base ? 0 : bfmt == RENDER_YAML ? yaml_flatten(&c, in->base, in->base_len, c.base_name, &base)
                                           : legacy_parse(&c, in->base, in->base_len, c.base_name, 0, &base);
  for(size_t i = 0; !rc && i < base.n; i++) {
    const struct leaf *l = &base.v[i];
    if(bfmt != c.fmt)           /* config.yaml into flink-conf.yaml: the values Flink read */
      set_key(&c, l->key, NULL, l->val, l->val, L_BASE, c.base_name, l->line);
    else
      set_key(&c, l->key, l->text, l->raw, l->val, L_BASE, c.base_name, l->line);
  }
  free(base.v);
  if(!rc) {
    apply_env(&c);
    rc = c.oom ? -1 : c.fmt == RENDER_YAML ? emit_yaml(&c, &out) : emit_legacy(&c, &out);
  }
  if(!rc && !c.oom)
    rc = check_size(&c, out.p, out.len);
  if(!rc && !c.oom)
    rc = self_check(&c, out.p, out.len);
  if(!rc && !c.oom)
    rc = collect(&c, res);
  if(c.oom || out.oom) {
    memset(err, 0, sizeof(*err));
    fail(&c, c.base_name, 0, "out of memory");
    rc = -1;
    errno = ENOMEM;
  }
  ctx_free(&c);
  if(rc) {
    free(out.p);
    free(res->kv);
    res->kv = NULL;
    res->nkv = 0;
    return -1;
  }
  res->doc = out.p;
  res->len = out.len;
  return 0;
}

void render_result_free(struct render_result *res)
{
  free(res->doc);
  free(res->kv);
  res->doc = NULL;
  res->kv = NULL;
  res->len = 0;
  res->nkv = 0;
}

int render_check(const char *doc, size_t len, enum render_format format, struct render_error *err)
{
  struct ctx c;
  struct leaves l = { 0 };
  int rc = 0;
  memset(&c, 0, sizeof(c));
  memset(err, 0, sizeof(*err));
  c.err = err;
  if(format != RENDER_LEGACY) {
    rc = yaml_flatten(&c, doc, len, render_file_name(format), &l);
    if(c.oom)
      errno = ENOMEM;
  }
  free(l.v);
  ctx_free(&c);
  return rc;
}
