/* opts.c - tini-compatible option parsing.  See include/pinit/opts.h. */
#include "pinit/opts.h"
#include "pinit/signal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_code(const char *s, int *code)
{
  char *end;
  long v = strtol(s, &end, 10);
  if(!*s || *end || v < 0 || v > 255)
    return -1;
  *code = (int)v;
  return 0;
}

enum opts_result opts_parse(int argc, char **argv, int first, struct run_opts *o, char *err, unsigned cap)
{
  int i;

  memset(o, 0, sizeof(*o));
  err[0] = '\0';
  for(i = first; i < argc; i++) {
    const char *a = argv[i];
    if(!strcmp(a, "--")) {
      i++;
      break;
    }
    if(!strcmp(a, "--version"))
      return OPTS_VERSION;
    if(!strcmp(a, "--help"))
      return OPTS_HELP;
    if(a[0] != '-' || !a[1])
      break;
    if(a[1] == '-') {
      snprintf(err, cap, "%s: unknown option", a);
      return OPTS_ERROR;
    }
    for(const char *p = a + 1; *p; p++) {
      const char *val;
      int code;
      if(strchr("sgvwh", *p)) {
        if(*p == 'h')
          return OPTS_HELP;
        o->subreaper |= *p == 's';
        o->group |= *p == 'g';
        o->warn_reaped |= *p == 'w';
        o->verbosity += *p == 'v';
        continue;
      }
      if(*p != 'e' && *p != 'p') {
        snprintf(err, cap, "-%c: unknown option", *p);
        return OPTS_ERROR;
      }
      /* -e and -p take a value: the rest of this word, or the next word */
      val = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
      if(!val) {
        snprintf(err, cap, "-%c: needs a value", *p);
        return OPTS_ERROR;
      }
      if(*p == 'e' && (parse_code(val, &code) || exitcode_remap_add(&o->remap, code))) {
        snprintf(err, cap, "-e: %s: not an exit code (0-255)", val);
        return OPTS_ERROR;
      }
      if(*p == 'p' && (o->pdeath_signal = signal_parse(val)) < 0) {
        snprintf(err, cap, "-p: %s: not a signal", val);
        return OPTS_ERROR;
      }
      break;
    }
  }
  if(i >= argc) {
    snprintf(err, cap, "no command given");
    return OPTS_ERROR;
  }
  o->cmd_index = i;
  return OPTS_RUN;
}
