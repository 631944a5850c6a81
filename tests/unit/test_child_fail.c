/* Table tests for child_fail.c: the reason texts, and the exact line a child writes for
 * each style and log format (the child is real: fork, stderr into a pipe, _exit). */
#include "pinit/child_fail.h"
#include "pinit/log.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run child_fail_exit(cf, err, code) in a child; returns its exit code, its stderr in out. */
static int run(const struct child_fail *cf, int err, int code, char *out, size_t cap)
{
  int pfd[2], st;
  size_t n = 0;
  ssize_t r;
  if(pipe(pfd) < 0)
    abort();
  pid_t pid = fork();
  if(pid == 0) {
    dup2(pfd[1], 2);
    child_fail_exit(cf, err, code);
  }
  close(pfd[1]);
  while(n + 1 < cap && (r = read(pfd[0], out + n, cap - 1 - n)) > 0)
    n += (size_t)r;
  out[n] = '\0';
  close(pfd[0]);
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
  static const struct { int err; const char *text; } table[] = {
    { ENOENT, "No such file or directory" }, { EACCES, "Permission denied" },
    { ENOEXEC, "Exec format error" },        { ENOTDIR, "Not a directory" },
    { ELOOP, "Too many levels of symbolic links" }, { EPERM, "Operation not permitted" },
    { 0, NULL }, { 9999, NULL },
  };
  struct child_fail cf;
  char out[2048], longname[LOG_LINE_MAX * 2];

  for(size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    const char *got = child_fail_reason(table[i].err);
    if(table[i].text)
      CHECK_STR(got, table[i].text);
    else
      CHECK(got == NULL);
  }

  /* plain: what a probe shows */
  child_fail_prepare(&cf, CHILD_FAIL_PLAIN, "exec", "%s", "/no/such");
  CHECK_INT(run(&cf, ENOENT, 127, out, sizeof(out)), 127);
  CHECK_STR(out, "pinit: exec: /no/such: No such file or directory\n");
  CHECK_INT(run(&cf, 9999, 126, out, sizeof(out)), 126);
  CHECK_STR(out, "pinit: exec: /no/such: errno 9999\n");

  /* a log line, text format */
  log_setup(LOG_WARN, LOG_TEXT);
  child_fail_prepare(&cf, CHILD_FAIL_LOG, "spawn", "cannot switch to uid %d gid %d", 9999, 9999);
  CHECK_INT(run(&cf, EPERM, 126, out, sizeof(out)), 126);
  CHECK_STR(out, "pinit: error: spawn: cannot switch to uid 9999 gid 9999: Operation not permitted\n");

  /* a message holding the mark itself: the reason still goes at the end */
  child_fail_prepare(&cf, CHILD_FAIL_LOG, "exec", "%s", "/x/{reason}");
  CHECK_INT(run(&cf, EACCES, 126, out, sizeof(out)), 126);
  CHECK_STR(out, "pinit: error: exec: /x/{reason}: Permission denied\n");

  /* JSON: escaped by the log module in the parent, the reason inside the message */
  log_setup(LOG_WARN, LOG_JSON);
  child_fail_prepare(&cf, CHILD_FAIL_LOG, "exec", "%s", "/a\"b");
  CHECK_INT(run(&cf, ENOENT, 127, out, sizeof(out)), 127);
  CHECK(!strncmp(out, "{\"time\":\"", 9));
  CHECK(strstr(out, "\"level\":\"error\",\"component\":\"exec\",\"message\":\"/a\\\"b: No such file or directory\"}\n") != NULL);

  /* a cut line is written as is, still one line */
  log_setup(LOG_WARN, LOG_TEXT);
  memset(longname, 'x', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  child_fail_prepare(&cf, CHILD_FAIL_LOG, "exec", "%s", longname);
  CHECK_INT(run(&cf, ENOENT, 127, out, sizeof(out)), 127);
  CHECK(strlen(out) > 100 && out[strlen(out) - 1] == '\n' && !strchr(out, '{'));
  CHECK(strchr(out, '\n') == out + strlen(out) - 1);

  /* prepare_msg is prepare "%s" byte for byte, on its fast path and off it */
  {
    static const char *const msgs[] = { "/bin/true", "cannot enter the working directory", "", "/x/{reason}",
                                        "http://u:p@h/x", "/a\"b\\c", "caf\xc3\xa9", NULL };
    struct child_fail a, b;
    memset(longname, 'x', LOG_LINE_MAX + 10);
    longname[LOG_LINE_MAX + 10] = '\0';
    for(int fmt = LOG_TEXT; fmt <= LOG_JSON; fmt++) {
      log_setup(LOG_WARN, (enum log_format)fmt);
      for(int style = CHILD_FAIL_LOG; style <= CHILD_FAIL_PLAIN; style++)
        for(size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
          const char *m = msgs[i] ? msgs[i] : longname;
          if(fmt == LOG_JSON && style == CHILD_FAIL_LOG) { /* the stamp may tick between the two */
            child_fail_prepare_msg(&a, (enum child_fail_style)style, "exec", m);
            CHECK(strstr(a.line, "\"level\":\"error\"") != NULL);
            continue;
          }
          child_fail_prepare(&a, (enum child_fail_style)style, "exec", "%s", m);
          memset(&b, 0x55, sizeof(b));
          child_fail_prepare_msg(&b, (enum child_fail_style)style, "exec", m);
          CHECK_INT((long)b.len, (long)a.len);
          CHECK_INT((long)b.at, (long)a.at);
          CHECK(a.len == b.len && !memcmp(a.line, b.line, a.len));
        }
    }
    log_setup(LOG_WARN, LOG_TEXT);
  }

  /* errno is kept by prepare */
  errno = ERANGE;
  child_fail_prepare(&cf, CHILD_FAIL_PLAIN, "exec", "x");
  CHECK_INT(errno, ERANGE);
  return unit_done("child_fail");
}
