/* Table tests for opts.c: tini-compatible options, parsing stops at the first non-option. */
#include "pinit/opts.h"
#include "unit.h"

#include <signal.h>

#define MAXARGS 16
#define PD_RTMIN2 (-2) /* SIGRTMIN+2: not a compile-time constant */

struct opts_case {
  const char *args[MAXARGS];  /* after argv[0] = "pinit", NULL-terminated */
  enum opts_result rc;
  int cmd_index;              /* OPTS_RUN only */
  int subreaper, group, verbosity, warn_reaped, pdeath;
  int remap[4];               /* codes remapped to 0, -1 terminated (at most 3) */
  const char *err;            /* OPTS_ERROR: the exact line */
};

static const struct opts_case cases[] = {
  /* the first non-option is the command */
  { { "ls", "-l" }, OPTS_RUN, 1, 0, 0, 0, 0, 0, { -1 }, NULL },
  { { "-s", "-g", "-v", "-v", "-w", "-e", "143", "-e", "2", "-p", "SIGUSR1", "--", "cmd" },
    OPTS_RUN, 13, 1, 1, 2, 1, SIGUSR1, { 143, 2, -1 }, NULL },
  /* clustered flags */
  { { "-vvg", "cmd" }, OPTS_RUN, 2, 0, 1, 2, 0, 0, { -1 }, NULL },
  { { "-sgvw", "cmd", "arg" }, OPTS_RUN, 2, 1, 1, 1, 1, 0, { -1 }, NULL },
  { { "-ge4", "cmd" }, OPTS_RUN, 2, 0, 1, 0, 0, 0, { 4, -1 }, NULL },   /* flag + attached value */
  { { "-sp", "TERM", "cmd" }, OPTS_RUN, 3, 1, 0, 0, 0, SIGTERM, { -1 }, NULL }, /* value in the next word */
  /* attached values */
  { { "-e143", "cmd" }, OPTS_RUN, 2, 0, 0, 0, 0, 0, { 143, -1 }, NULL },
  { { "-e0", "-e255", "cmd" }, OPTS_RUN, 3, 0, 0, 0, 0, 0, { 0, 255, -1 }, NULL },
  { { "-pUSR2", "cmd" }, OPTS_RUN, 2, 0, 0, 0, 0, SIGUSR2, { -1 }, NULL },
  /* -p forms */
  { { "-p", "USR1", "x" }, OPTS_RUN, 3, 0, 0, 0, 0, SIGUSR1, { -1 }, NULL },
  { { "-p", "usr1", "x" }, OPTS_RUN, 3, 0, 0, 0, 0, SIGUSR1, { -1 }, NULL },
  { { "-p", "10", "x" }, OPTS_RUN, 3, 0, 0, 0, 0, 10, { -1 }, NULL },
  { { "-p", "SIGKILL", "x" }, OPTS_RUN, 3, 0, 0, 0, 0, SIGKILL, { -1 }, NULL },
  { { "-p", "RTMIN+2", "x" }, OPTS_RUN, 3, 0, 0, 0, 0, PD_RTMIN2, { -1 }, NULL },
  /* repeated -e is fine, also the same code twice */
  { { "-e", "3", "-e", "3", "x" }, OPTS_RUN, 5, 0, 0, 0, 0, 0, { 3, -1 }, NULL },
  { { "-e", "08", "x" }, OPTS_RUN, 3, 0, 0, 0, 0, 0, { 8, -1 }, NULL },
  /* "--" ends the options even when an option-looking word follows */
  { { "--", "-e", "4" }, OPTS_RUN, 2, 0, 0, 0, 0, 0, { -1 }, NULL },
  { { "-v", "--", "--help" }, OPTS_RUN, 3, 0, 0, 1, 0, 0, { -1 }, NULL },
  /* a lone "-" is a word, not an option */
  { { "-", "x" }, OPTS_RUN, 1, 0, 0, 0, 0, 0, { -1 }, NULL },
  /* options after the command belong to the command */
  { { "sh", "-c", "x", "-e", "4" }, OPTS_RUN, 1, 0, 0, 0, 0, 0, { -1 }, NULL },
  { { "-g", "sh", "-v", "--version" }, OPTS_RUN, 2, 0, 1, 0, 0, 0, { -1 }, NULL },
  { { "cmd", "--bogus" }, OPTS_RUN, 1, 0, 0, 0, 0, 0, { -1 }, NULL },
  /* version and help */
  { { "--version" }, OPTS_VERSION, 0, 0, 0, 0, 0, 0, { -1 }, NULL },
  { { "--help" }, OPTS_HELP, 0, 0, 0, 0, 0, 0, { -1 }, NULL },
  { { "-h" }, OPTS_HELP, 0, 0, 0, 0, 0, 0, { -1 }, NULL },
  { { "-vh", "cmd" }, OPTS_HELP, 0, 0, 0, 0, 0, 0, { -1 }, NULL },
  { { "-v", "--version", "cmd" }, OPTS_VERSION, 0, 0, 0, 0, 0, 0, { -1 }, NULL },
  { { "-e", "1", "--help" }, OPTS_HELP, 0, 0, 0, 0, 0, 0, { -1 }, NULL },
  /* errors */
  { { "-e", "300", "x" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-e: 300: not an exit code (0-255)" },
  { { "-e", "256", "x" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-e: 256: not an exit code (0-255)" },
  { { "-e", "-1", "x" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-e: -1: not an exit code (0-255)" },
  { { "-e", "x", "cmd" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-e: x: not an exit code (0-255)" },
  { { "-e", "", "cmd" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-e: : not an exit code (0-255)" },
  { { "-e1x", "cmd" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-e: 1x: not an exit code (0-255)" },
  { { "-p", "NOPE", "x" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-p: NOPE: not a signal" },
  { { "-p", "0", "x" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-p: 0: not a signal" },
  { { "-x", "cmd" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-x: unknown option" },
  { { "-vx", "cmd" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-x: unknown option" },
  { { "--bogus", "cmd" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "--bogus: unknown option" },
  { { "-e" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-e: needs a value" },
  { { "-v", "-p" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "-p: needs a value" },
  { { NULL }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "no command given" },
  { { "-v", "-g" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "no command given" },
  { { "--" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "no command given" },
  { { "-e", "2" }, OPTS_ERROR, 0, 0, 0, 0, 0, 0, { -1 }, "no command given" },
};

static void run_case(const struct opts_case *c, unsigned idx)
{
  char *argv[MAXARGS + 2];
  int argc = 0;
  struct run_opts o;
  char err[128];
  enum opts_result rc;

  argv[argc++] = "pinit";
  for(int i = 0; i < MAXARGS && c->args[i]; i++)
    argv[argc++] = (char *)c->args[i];
  argv[argc] = NULL;

  memset(&o, 0x5a, sizeof(o)); /* opts_parse must clear it */
  rc = opts_parse(argc, argv, 1, &o, err, sizeof(err));
  if(rc != c->rc)
    fprintf(stderr, "case %u (%s ...): rc %d, want %d (err \"%s\")\n", idx, argc > 1 ? argv[1] : "", rc, c->rc, err);
  CHECK_INT(rc, c->rc);
  if(c->rc == OPTS_ERROR) {
    CHECK_STR(err, c->err);
    return;
  }
  if(c->rc != OPTS_RUN)
    return;
  CHECK_STR(err, "");
  CHECK_INT(o.cmd_index, c->cmd_index);
  CHECK_INT(o.subreaper, c->subreaper);
  CHECK_INT(o.group, c->group);
  CHECK_INT(o.verbosity, c->verbosity);
  CHECK_INT(o.warn_reaped, c->warn_reaped);
  CHECK_INT(o.pdeath_signal, c->pdeath == PD_RTMIN2 ? SIGRTMIN + 2 : c->pdeath);
  /* exactly the listed codes are remapped, through the public mapping */
  for(int code = 0; code < 256; code++) {
    int listed = 0;
    for(int j = 0; j < 4 && c->remap[j] >= 0; j++)
      listed |= c->remap[j] == code;
    if(exitcode_from_status(code << 8, &o.remap) != (listed ? 0 : code)) {
      fprintf(stderr, "case %u: code %d remapped=%d, want %d\n", idx, code, !listed, listed);
      CHECK(0);
      return;
    }
  }
  CHECK(1);
}

int main(void)
{
  for(unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    run_case(&cases[i], i);

  /* `first` is honoured: "pinit run -v cmd" parsed from index 2 */
  {
    char *argv[] = { "pinit", "run", "-v", "cmd", NULL };
    struct run_opts o;
    char err[64];
    CHECK_INT(opts_parse(4, argv, 2, &o, err, sizeof(err)), OPTS_RUN);
    CHECK_INT(o.cmd_index, 3);
    CHECK_INT(o.verbosity, 1);
  }
  /* a small error buffer is truncated, never overrun */
  {
    char *argv[] = { "pinit", "-e", "123456789", "cmd", NULL };
    struct run_opts o;
    char err[8 + 8];
    memset(err + 8, 'Z', 8);
    CHECK_INT(opts_parse(4, argv, 1, &o, err, 8), OPTS_ERROR);
    CHECK_INT(strlen(err), 7);
    CHECK(err[8] == 'Z' && err[15] == 'Z');
  }
  return unit_done("opts");
}
