/* Table tests for the PINIT/1 protocol: control_parse_request, control_parse_reply, control_address;
 * and what control.h promises about a path socket: control_server_start removes only a stale
 * socket and never waits, control_request gives up within its timeout. */
#include "pinit/control.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long ms_since(const struct timespec *t0)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A listener on `path` that never accepts, its queue filled: a supervisor whose loop is stuck. */
static int stuck_listener(const char *path)
{
  struct sockaddr_un sa;
  int len = control_address(path, &sa), fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if(fd < 0 || bind(fd, (struct sockaddr *)&sa, (socklen_t)len) < 0 || listen(fd, 0) < 0)
    return -1;
  for(int i = 0; i < 1000; i++) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if(connect(c, (struct sockaddr *)&sa, (socklen_t)len) < 0 && errno == EAGAIN) {
      close(c);
      break;
    } /* the queued ones stay open (and queued) until the test ends */
  }
  return fd;
}

static void path_sockets(void)
{
  char dir[] = "/tmp/pinit-test-control-XXXXXX", path[200], text[CTL_REPLY_MAX];
  static struct control_server s;
  struct ev_loop *loop = ev_loop_new(0);
  struct sockaddr_un sa;
  struct timespec t0;
  struct stat st;
  int fd, len;

  if(!mkdtemp(dir) || !loop)
    return;
  snprintf(path, sizeof(path), "%s/file", dir);
  /* a path that is not a socket is never removed */
  fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  CHECK(fd >= 0 && write(fd, "keep", 4) == 4);
  close(fd);
  errno = 0;
  CHECK_INT(control_server_start(&s, loop, path, NULL, NULL), -1);
  CHECK_INT(errno, EADDRINUSE);
  CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);
  unlink(path);

  /* a stale socket (no listener) is replaced */
  snprintf(path, sizeof(path), "%s/stale", dir);
  len = control_address(path, &sa);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(bind(fd, (struct sockaddr *)&sa, (socklen_t)len) == 0);
  close(fd);
  memset(&s, 0, sizeof(s));
  CHECK_INT(control_server_start(&s, loop, path, NULL, NULL), 0);
  control_server_stop(&s);
  unlink(path);

  /* a live supervisor that accepts nothing: the start does not wait and keeps its socket,
   * a client gives up within its timeout */
  snprintf(path, sizeof(path), "%s/stuck", dir);
  fd = stuck_listener(path);
  CHECK(fd >= 0);
  alarm(10); /* a wait without limit fails the test instead of hanging it */
  memset(&s, 0, sizeof(s));
  clock_gettime(CLOCK_MONOTONIC, &t0);
  errno = 0;
  CHECK_INT(control_server_start(&s, loop, path, NULL, NULL), -1);
  CHECK_INT(errno, EADDRINUSE);
  CHECK(ms_since(&t0) < 1000);
  CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_INT(control_request(path, CTL_LIVE, 300, text, sizeof(text)), -1);
  CHECK(ms_since(&t0) >= 250 && ms_since(&t0) < 2000);
  CHECK(strstr(text, "did not") != NULL);
  alarm(0);
  close(fd);
  unlink(path);
  rmdir(dir);
  ev_loop_destroy(loop);
}

/* Lengths are given explicitly so that NULs and missing newlines can be tested; -1 = strlen. */
static const struct { const char *in; int len; int rc; enum control_verb verb; const char *why; } requests[] = {
  { "PINIT/1 live\n", -1, 0, CTL_LIVE, NULL },
  { "PINIT/1 ready\n", -1, 0, CTL_READY, NULL },
  { "PINIT/1 status\n", -1, 0, CTL_STATUS, NULL },
  { "PINIT/1 status-json\n", -1, 0, CTL_STATUS_JSON, NULL },
  { "PINIT/1 restart\n", -1, 0, CTL_RESTART, NULL },
  { "PINIT/1 stop\n", -1, 0, CTL_STOP, NULL },
  /* CRLF is accepted */
  { "PINIT/1 live\r\n", -1, 0, CTL_LIVE, NULL },
  { "PINIT/1 status-json\r\n", -1, 0, CTL_STATUS_JSON, NULL },
  /* missing newline */
  { "PINIT/1 live", -1, -1, 0, "request must end with a newline" },
  { "PINIT/1 live\r", -1, -1, 0, "request must end with a newline" },
  { "PINIT/1 live\n", 12, -1, 0, "request must end with a newline" },
  /* empty */
  { "", 0, -1, 0, "request must end with a newline" },
  { "\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  { "\r\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  /* wrong protocol */
  { "PINIT/2 live\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  { "pinit/1 live\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  { "PINIT/1\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  { "PINIT/1live\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  { "live\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  { "GET / HTTP/1.1\r\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  { " PINIT/1 live\n", -1, -1, 0, "unknown protocol (want PINIT/1)" },
  /* unknown verbs */
  { "PINIT/1 \n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 \r\n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 LIVE\n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 lives\n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 liv\n", -1, -1, 0, "unknown verb" },
  { "PINIT/1  live\n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 live \n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 live\r\r\n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 status json\n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 shutdown\n", -1, -1, 0, "unknown verb" },
  { "PINIT/1 live\nPINIT/1 stop\n", -1, -1, 0, "unknown verb" }, /* one line per request */
  { "PINIT/1 li\0ve\n", 14, -1, 0, "unknown verb" },
  { "PINIT/1 live\0\n", 14, -1, 0, "unknown verb" },
};

static const struct { const char *in; int len; int rc; const char *text; } replies[] = {
  { "PINIT/1 0 healthy: jm pid 42 up 5s\n", -1, 0, "healthy: jm pid 42 up 5s" },
  { "PINIT/1 1 unhealthy: jm is backoff\n", -1, 1, "unhealthy: jm is backoff" },
  { "PINIT/1 3 jm: done\n", -1, 3, "jm: done" },
  { "PINIT/1 64 unknown verb\n", -1, 64, "unknown verb" },
  { "PINIT/1 77 refused\n", -1, 77, "refused" },
  { "PINIT/1 255 x\n", -1, 255, "x" },
  { "PINIT/1 0 \n", -1, 0, "" },                  /* empty text */
  { "PINIT/1 0  two spaces\n", -1, 0, " two spaces" },
  { "PINIT/1 007 x\n", -1, 7, "x" },
  /* missing text (no space either): the code alone is a valid reply with empty text */
  { "PINIT/1 0\n", -1, 0, "" },
  { "PINIT/1 12\n", -1, 12, "" },
  /* malformed */
  { "PINIT/1 256 x\n", -1, -1, NULL },
  { "PINIT/1 999 x\n", -1, -1, NULL },
  { "PINIT/1 1000 x\n", -1, -1, NULL },
  { "PINIT/1 0255 x\n", -1, -1, NULL },
  { "PINIT/1 -1 x\n", -1, -1, NULL },
  { "PINIT/1 x 0\n", -1, -1, NULL },
  { "PINIT/1 12x\n", -1, -1, NULL },
  { "PINIT/1  0 x\n", -1, -1, NULL },
  { "PINIT/1 \n", -1, -1, NULL },
  { "PINIT/1 0 x", -1, -1, NULL },                /* no newline */
  { "PINIT/1 0", -1, -1, NULL },
  { "PINIT/2 0 x\n", -1, -1, NULL },
  { "PINIT/10 x\n", -1, -1, NULL },
  { "HTTP/1.1 200 OK\n", -1, -1, NULL },
  { "", 0, -1, NULL },
  { "\n", -1, -1, NULL },
  { "PINIT/1 0 a\0b\n", 14, -1, NULL },         /* NUL inside the text */
  { "PINIT/1 0 \0\n", 12, -1, NULL },
  { "PINIT/1 0\0\n", 11, -1, NULL },
};

int main(void)
{
  for(unsigned i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
    size_t len = requests[i].len < 0 ? strlen(requests[i].in) : (size_t)requests[i].len;
    char buf[128];
    enum control_verb verb = (enum control_verb)-1;
    const char *why = NULL;
    int rc;
    memcpy(buf, requests[i].in, len); /* exactly len bytes: no terminator to lean on */
    memset(buf + len, 'X', sizeof(buf) - len);
    rc = control_parse_request(buf, len, &verb, &why);
    if(rc != requests[i].rc)
      fprintf(stderr, "request %u: rc %d, want %d (why %s)\n", i, rc, requests[i].rc, why ? why : "-");
    CHECK_INT(rc, requests[i].rc);
    if(requests[i].rc == 0)
      CHECK_INT(verb, requests[i].verb);
    else
      CHECK_STR(why, requests[i].why);
  }

  /* every code 0..255 round-trips through the reply parser; 256..999 do not */
  for(int code = 0; code < 1000; code++) {
    char buf[64];
    const char *text = NULL;
    int n = snprintf(buf, sizeof(buf), "PINIT/1 %d text %d\n", code, code);
    int rc = control_parse_reply(buf, (size_t)n, &text);
    char want[32];
    snprintf(want, sizeof(want), "text %d", code);
    if(code < 256) {
      CHECK_INT(rc, code);
      CHECK_STR(text, want);
    }
    else
      CHECK_INT(rc, -1);
  }
  for(unsigned i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
    size_t len = replies[i].len < 0 ? strlen(replies[i].in) : (size_t)replies[i].len;
    char buf[128];
    const char *text = NULL;
    int rc;
    memcpy(buf, replies[i].in, len);
    memset(buf + len, 'X', sizeof(buf) - len);
    rc = control_parse_reply(buf, len, &text);
    if(rc != replies[i].rc)
      fprintf(stderr, "reply %u: rc %d, want %d\n", i, rc, replies[i].rc);
    CHECK_INT(rc, replies[i].rc);
    if(replies[i].rc >= 0) {
      CHECK_STR(text, replies[i].text);
      CHECK(text >= buf && text < buf + len); /* in place */
    }
    CHECK(buf[len] == 'X'); /* never writes past len */
  }
  /* the longest reply the server sends parses */
  {
    static char big[CTL_REPLY_MAX];
    const char *text;
    memcpy(big, "PINIT/1 3 ", 10);
    memset(big + 10, 'a', CTL_REPLY_MAX - 11);
    big[CTL_REPLY_MAX - 1] = '\n';
    CHECK_INT(control_parse_reply(big, sizeof(big), &text), 3);
    CHECK_INT(strlen(text), CTL_REPLY_MAX - 11);
  }

  /* the default name: per container, from the PID and mount namespace inodes */
  {
    char name[CTL_NAME_MAX], want[CTL_NAME_MAX];
    struct stat pid_ns, mnt_ns;
    CHECK_STR(control_socket_name("@configured", name, sizeof(name)), "@configured");
    CHECK_STR(control_socket_name("/run/p.sock", name, sizeof(name)), "/run/p.sock");
    if(stat("/proc/self/ns/pid", &pid_ns) == 0 && stat("/proc/self/ns/mnt", &mnt_ns) == 0) {
      snprintf(want, sizeof(want), "@pinit-%llu-%llu", (unsigned long long)pid_ns.st_ino,
               (unsigned long long)mnt_ns.st_ino);
      CHECK_STR(control_socket_name("", name, sizeof(name)), want);
      CHECK_STR(control_socket_name(NULL, name, sizeof(name)), want);
      CHECK(pid_ns.st_ino != mnt_ns.st_ino);
    }
  }

  /* addresses */
  {
    struct sockaddr_un sa;
    char name[200];
    size_t cap = sizeof(sa.sun_path);
    int len;

    len = control_address("@pinit", &sa);
    CHECK_INT(len, (int)(offsetof(struct sockaddr_un, sun_path) + 6));
    CHECK_INT(sa.sun_family, AF_UNIX);
    CHECK(sa.sun_path[0] == '\0' && !memcmp(sa.sun_path + 1, "pinit", 5));

    len = control_address("/run/pinit.sock", &sa);
    CHECK_INT(len, (int)(offsetof(struct sockaddr_un, sun_path) + 16));
    CHECK_STR(sa.sun_path, "/run/pinit.sock");
    CHECK_INT(sa.sun_family, AF_UNIX);

    CHECK_INT(control_address("", &sa), -1);
    CHECK_INT(control_address(NULL, &sa), -1);
    CHECK_INT(control_address("@", &sa), -1);
    CHECK_INT(control_address("/", &sa), -1);

    /* a path needs room for its NUL: cap-1 characters fit, cap do not */
    memset(name, 'p', sizeof(name));
    name[0] = '/';
    name[cap - 1] = '\0';
    CHECK_INT(control_address(name, &sa), (int)(offsetof(struct sockaddr_un, sun_path) + cap));
    CHECK_STR(sa.sun_path, name);
    name[cap - 1] = 'p';
    name[cap] = '\0';
    CHECK_INT(control_address(name, &sa), -1);
    name[150] = '\0';
    CHECK_INT(control_address(name, &sa), -1);
    /* abstract names of up to cap-1 characters after '@' */
    memset(name, 'a', sizeof(name));
    name[0] = '@';
    name[cap - 1] = '\0';
    len = control_address(name, &sa);
    CHECK_INT(len, (int)(offsetof(struct sockaddr_un, sun_path) + cap - 1));
    CHECK(sa.sun_path[0] == '\0' && sa.sun_path[1] == 'a' && sa.sun_path[cap - 2] == 'a');
    name[cap - 1] = 'a';
    name[cap + 5] = '\0';
    CHECK_INT(control_address(name, &sa), -1);
  }
  path_sockets();
  return unit_done("control");
}
