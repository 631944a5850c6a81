/* Table tests for probes/probe.c (parsing) and init/wait.c (list splitting), then each
 * probe kind run for real on a libev loop against loopback listeners. */
#include "pinit/probe.h"
#include "pinit/wait.h"
#include "unit.h"

#include <arpa/inet.h>
#include <ev.h>
#include <fcntl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void test_parse(void)
{
  static const struct {
    const char *in;
    int rc;
    int kind;
    const char *name;   /* or, when rc < 0, a substring of the error */
    const char *spec;
    unsigned port;
  } cases[] = {
    /* tcp */
    { "tcp://jobmanager:6123", 0, PROBE_TCP, "jobmanager:6123", "http://jobmanager:6123/", 6123 },
    { "TCP://jobmanager:6123", 0, PROBE_TCP, "jobmanager:6123", "http://jobmanager:6123/", 6123 },
    { "jobmanager:6123", 0, PROBE_TCP, "jobmanager:6123", "http://jobmanager:6123/", 6123 },
    { "flink_jobmanager_1:1", 0, PROBE_TCP, "flink_jobmanager_1:1", "http://flink_jobmanager_1:1/", 1 },
    { "127.0.0.1:65535", 0, PROBE_TCP, "127.0.0.1:65535", "http://127.0.0.1:65535/", 65535 },
    { "a.b-c.example.org:80", 0, PROBE_TCP, "a.b-c.example.org:80", "http://a.b-c.example.org:80/", 80 },
    { "[::1]:6123", 0, PROBE_TCP, "[::1]:6123", "http://[::1]:6123/", 6123 },
    { "tcp://[::1]:6123", 0, PROBE_TCP, "[::1]:6123", "http://[::1]:6123/", 6123 },
    { "tcp://[fd00::1:2]:80", 0, PROBE_TCP, "[fd00::1:2]:80", "http://[fd00::1:2]:80/", 80 },
    { "tcp://[::ffff:127.0.0.1]:80", 0, PROBE_TCP, "[::ffff:127.0.0.1]:80", "http://[::ffff:127.0.0.1]:80/", 80 },
    { "jobmanager", -1, 0, "missing :PORT", 0, 0 },
    { "jobmanager:", -1, 0, "missing port", 0, 0 },
    { ":6123", -1, 0, "missing host", 0, 0 },
    { "jobmanager:0", -1, 0, "out of range", 0, 0 },
    { "jobmanager:65536", -1, 0, "out of range", 0, 0 },
    { "jobmanager:99999999999999999999", -1, 0, "out of range", 0, 0 },
    { "jobmanager:61a", -1, 0, "bad port", 0, 0 },
    { "jobmanager:+80", -1, 0, "bad port", 0, 0 },
    { "tcp://jobmanager:6123/", -1, 0, "bad port", 0, 0 },
    { "::1:6123", -1, 0, "brackets", 0, 0 },
    { "[::1:6123", -1, 0, "missing ']'", 0, 0 },
    { "[::1]", -1, 0, "missing :PORT", 0, 0 },
    { "[::1]6123", -1, 0, "missing :PORT", 0, 0 },
    { "[]:80", -1, 0, "bad IPv6", 0, 0 },
    { "[nothex::g]:80", -1, 0, "bad IPv6", 0, 0 },
    { "[fe80::1%eth0]:80", -1, 0, "bad IPv6", 0, 0 },
    { "1.2.3.999:80", -1, 0, "bad IPv4", 0, 0 },
    { "300:80", -1, 0, "bad IPv4", 0, 0 },
    { "job manager:80", -1, 0, "bad character", 0, 0 },
    { "-x:80", -1, 0, "cannot start", 0, 0 },
    { "tcp://", -1, 0, "missing HOST:PORT", 0, 0 },
    { "user@host:80", -1, 0, "bad character '@'", 0, 0 },
    { "tcp://exec:12", 0, PROBE_TCP, "tcp://exec:12", "http://exec:12/", 12 },
    { "file:80", 0, PROBE_TCP, "tcp://file:80", "http://file:80/", 80 },
    { "unix:6123", 0, PROBE_TCP, "tcp://unix:6123", "http://unix:6123/", 6123 },
    { "exec:12", 0, PROBE_EXEC, "exec:12", "12", 0 },
    /* http */
    { "http://jobmanager:8081/overview", 0, PROBE_HTTP, "http://jobmanager:8081/overview", "http://jobmanager:8081/overview", 8081 },
    { "http://localhost/", 0, PROBE_HTTP, "http://localhost/", "http://localhost/", 80 },
    { "http://localhost", 0, PROBE_HTTP, "http://localhost", "http://localhost", 80 },
    { "http://[::1]:8081/config?x=1", 0, PROBE_HTTP, "http://[::1]:8081/config?x=1", "http://[::1]:8081/config?x=1", 8081 },
    { "http://admin:s3cret@jm:8081/x", 0, PROBE_HTTP, "http://***@jm:8081/x", "http://admin:s3cret@jm:8081/x", 8081 },
    { "http://jm:8081/a@b", 0, PROBE_HTTP, "http://jm:8081/a@b", "http://jm:8081/a@b", 8081 },
    { "http://", -1, 0, "missing host", 0, 0 },
    { "http:///path", -1, 0, "missing host", 0, 0 },
    { "http://jm:99999/", -1, 0, "bad URL", 0, 0 },
    { "http://jm:8081/a b", -1, 0, "blanks", 0, 0 },
    { "http://jm:8081/\x01", -1, 0, "control character", 0, 0 },
    /* unix, file */
    { "unix:///run/pinit.sock", 0, PROBE_UNIX, "unix:///run/pinit.sock", "/run/pinit.sock", 0 },
    { "unix://@pinit", 0, PROBE_UNIX, "unix://@pinit", "@pinit", 0 },
    { "unix://run/x.sock", -1, 0, "unix:///PATH", 0, 0 },
    { "unix:///", 0, PROBE_UNIX, "unix:///", "/", 0 },
    { "unix://", -1, 0, "unix:///PATH", 0, 0 },
    { "unix://@", -1, 0, "empty abstract", 0, 0 },
    { "unix:/run/x.sock", -1, 0, "unix:///ABSOLUTE/PATH", 0, 0 },
    { "unix:///aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      -1, 0, "too long", 0, 0 },
    { "file:///tmp/ready", 0, PROBE_FILE, "file:///tmp/ready", "/tmp/ready", 0 },
    { "file://tmp/ready", -1, 0, "file:///ABSOLUTE/PATH", 0, 0 },
    { "file:", -1, 0, "missing port", 0, 0 },
    /* exec */
    { "exec:pg_isready -h db", 0, PROBE_EXEC, "exec:pg_isready -h db", "pg_isready\0-h\0db", 0 },
    { "exec:  /bin/true\t ", 0, PROBE_EXEC, "exec:/bin/true", "/bin/true", 0 },
    { "exec:", -1, 0, "missing command", 0, 0 },
    { "exec:   ", -1, 0, "missing command", 0, 0 },
    { "exec:sh -c 'exit 1'", -1, 0, "shell syntax '''", 0, 0 },
    { "exec:curl x | grep y", -1, 0, "shell syntax '|'", 0, 0 },
    { "exec:echo $HOME", -1, 0, "shell syntax '$'", 0, 0 },
    { "exec:a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7", -1, 0, "too many arguments", 0, 0 },
    /* everything else */
    { "", -1, 0, "empty", 0, 0 },
    { "ftp://host/x", -1, 0, "unsupported scheme 'ftp'", 0, 0 },
    { "ws://host:80", -1, 0, "unsupported scheme 'ws'", 0, 0 },
    { "tcp://host:80\n", -1, 0, "control character", 0, 0 },
  };
  struct probe_target t;
  struct probe_error err;

  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    memset(&t, 0x55, sizeof(t));
    err.msg[0] = 0;
    int rc = probe_parse(cases[i].in, &t, &err);
    CHECK_INT(rc, cases[i].rc);
    if(rc != cases[i].rc) {
      fprintf(stderr, "  input \"%s\": %s\n", cases[i].in, rc ? err.msg : t.name);
      continue;
    }
    if(rc) {
      if(!strstr(err.msg, cases[i].name))
        fprintf(stderr, "  input \"%s\": error \"%s\" lacks \"%s\"\n", cases[i].in, err.msg, cases[i].name);
      CHECK(strstr(err.msg, cases[i].name) != NULL);
      CHECK_INT(t.kind, 0x55555555);   /* untouched */
      continue;
    }
    CHECK_INT(t.kind, cases[i].kind);
    CHECK_STR(t.name, cases[i].name);
    CHECK_STR(t.spec, cases[i].spec);
    CHECK_INT(t.port, cases[i].port);
    if(t.kind == PROBE_EXEC) {
      /* the words are NUL-separated: compare them all */
      const char *want = cases[i].spec, *got = t.spec;
      for(int a = 0; a < t.argc; a++) {
        CHECK_STR(got, want);
        got += strlen(got) + 1;
        want += strlen(want) + 1;
      }
    }
  }
  CHECK_INT(probe_parse("exec:pg_isready -h db", &t, &err), 0);
  CHECK_INT(t.argc, 3);
  static const struct { const char *in; int numeric; } num[] = {
    { "127.0.0.1:1", 1 }, { "[::1]:1", 1 }, { "localhost:1", 0 }, { "http://10.0.0.1/", 1 },
    { "http://[::1]:80/", 1 }, { "http://jm:8081/", 0 }, { "http://1.2.3/", 1 } /* libcurl reads it as 1.2.0.3 */,
  };
  for(size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++) {
    CHECK_INT(probe_parse(num[i].in, &t, &err), 0);
    CHECK_INT(t.numeric, num[i].numeric);
  }

  /* long names are cut with "..." */
  char longurl[600] = "http://jm:8081/";
  memset(longurl + 15, 'x', 500);
  longurl[515] = 0;
  CHECK_INT(probe_parse(longurl, &t, &err), 0);
  CHECK_INT(strlen(t.name), PROBE_NAME_MAX - 1);
  CHECK_STR(t.name + PROBE_NAME_MAX - 4, "...");
  CHECK_STR(t.spec, longurl);
  char toolong[PROBE_SPEC_MAX + 10];
  memset(toolong, 'a', sizeof(toolong));
  memcpy(toolong, "http://", 7);
  toolong[sizeof(toolong) - 1] = 0;
  CHECK_INT(probe_parse(toolong, &t, &err), -1);
  CHECK(strstr(err.msg, "too long") != NULL);
  CHECK_STR(probe_kind_name(PROBE_HTTP), "http");
  CHECK_STR(probe_kind_name(PROBE_EXEC), "exec");
}

static void test_list(void)
{
  struct probe_target t[4];
  struct probe_error err;

  CHECK_INT(wait_list_parse("", t, 4, &err), 0);
  CHECK_INT(wait_list_parse(NULL, t, 4, &err), 0);
  CHECK_INT(wait_list_parse("  \t\n ", t, 4, &err), 0);
  CHECK_INT(wait_list_parse("tcp://a:1 http://b/x", t, 4, &err), 2);
  CHECK_STR(t[0].name, "a:1");
  CHECK_STR(t[1].name, "http://b/x");
  CHECK_INT(wait_list_parse("  namenode:50070\tdatanode:50075\n  [::1]:9 ", t, 4, &err), 3);
  CHECK_STR(t[0].name, "namenode:50070");
  CHECK_STR(t[1].name, "datanode:50075");
  CHECK_STR(t[2].name, "[::1]:9");
  CHECK_INT(wait_list_parse("a:1 b:2 c:3 d:4 e:5", t, 4, &err), -1);
  CHECK(strstr(err.msg, "too many targets") != NULL);
  CHECK_INT(wait_list_parse("a:1 b c:3", t, 4, &err), -1);
  CHECK_STR(err.msg, "'b': missing :PORT");
  CHECK_INT(wait_list_parse("a:1 exec:true", t, 4, &err), -1);
  CHECK(strstr(err.msg, "exec targets") != NULL);
}

/* ---- running probes ------------------------------------------------------------------ */

struct result {
  int calls, ok;
  char reason[PROBE_REASON_MAX];
  double at;
};

static void record(struct probe *p, int ok, const char *reason, void *arg)
{
  struct result *r = arg;
  r->calls++;
  r->ok = ok;
  r->at = ev_time();
  snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static int fd_count(void)
{
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  while(d && (e = readdir(d)))
    n++;
  if(d)
    closedir(d);
  return n;
}

/* One attempt of `text` with a timeout; runs the loop until the callback. */
static struct result run_one(struct ev_loop *loop, const char *text, int64_t timeout_ms)
{
  struct probe_target t;
  struct probe_error err;
  struct probe p;
  struct result r = { 0 };

  if(probe_parse(text, &t, &err) < 0) {
    fprintf(stderr, "parse %s: %s\n", text, err.msg);
    r.calls = -1;
    return r;
  }
  probe_init(&p, &t);
  double t0 = ev_time();
  CHECK_INT(probe_start(&p, loop, timeout_ms, record, &r), 0);
  CHECK_INT(r.calls, 0);   /* never from inside probe_start */
  CHECK_INT(probe_running(&p), 1);
  while(!r.calls)
    ev_run(loop, EVRUN_ONCE);
  r.at -= t0;
  CHECK_INT(probe_running(&p), 0);
  probe_free(&p);
  return r;
}

static int tcp_listener(unsigned *port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t len = sizeof(sa);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
    return -1;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

/* A tiny HTTP server in a child process: answers `status` to every request. */
/* Live (not zombie) processes in process group pgid, from /proc/PID/stat: only that group
 * is looked at, so other processes on the machine (tests run side by side) never count. */
static int live_in_group(pid_t pgid)
{
  DIR *d = opendir("/proc");
  struct dirent *de;
  int n = 0;
  if(!d)
    return -1;
  while((de = readdir(d))) {
    char path[300], buf[512], state;
    const char *rp;
    int pgrp, ppid;
    ssize_t len;
    int fd;
    if(de->d_name[0] < '1' || de->d_name[0] > '9')
      continue;
    snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
    if((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
      continue;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if(len <= 0)
      continue;
    buf[len] = '\0';
    rp = strrchr(buf, ')');
    if(rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid && state != 'Z')
      n++;
  }
  closedir(d);
  return n;
}

static pid_t http_server(int lfd, int status)
{
  pid_t pid = fork();
  if(pid)
    return pid;
  signal(SIGPIPE, SIG_IGN);
  for(;;) {
    int c = accept(lfd, NULL, NULL);
    char buf[2048], out[256];
    if(c < 0)
      continue;
    if(read(c, buf, sizeof(buf)) > 0) {
      size_t body = status == 299 ? 1 << 20 : 2;   /* 299: 1 MiB body, more than we read */
      int n = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                       status == 299 ? 200 : status, body);
      if(write(c, out, (size_t)n) < 0)
        _exit(1);
      memset(buf, 'x', sizeof(buf));
      for(size_t sent = 0; sent < body;) {
        ssize_t k = write(c, buf, body - sent < sizeof(buf) ? body - sent : sizeof(buf));
        if(k <= 0)
          break;
        sent += (size_t)k;
      }
    }
    close(c);
  }
}

static void test_run(void)
{
  struct ev_loop *loop = ev_default_loop(0);
  char text[256];
  struct result r;
  unsigned port, dead;

  CHECK_INT(probe_global_init(), 0);
  int before = fd_count();

  /* tcp: up, refused */
  int lfd = tcp_listener(&port);
  CHECK(lfd >= 0);
  int dfd = tcp_listener(&dead);
  close(dfd);   /* nobody listens on `dead` now */
  snprintf(text, sizeof(text), "tcp://127.0.0.1:%u", port);
  r = run_one(loop, text, 2000);
  CHECK_INT(r.ok, 1);
  CHECK_STR(r.reason, "connected");
  snprintf(text, sizeof(text), "localhost:%u", port);
  r = run_one(loop, text, 2000);
  CHECK_INT(r.ok, 1);
  snprintf(text, sizeof(text), "127.0.0.1:%u", dead);
  r = run_one(loop, text, 2000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "connection refused");
  /* A non-routable address: the attempt times out (on the loop, not in connect()). */
  r = run_one(loop, "tcp://192.0.2.1:9", 300);
  CHECK_INT(r.ok, 0);
  CHECK(r.calls == 1);   /* timeout here; refused or unreachable behind some firewalls */
  CHECK(r.at < 1.0);
  r = run_one(loop, "tcp://no-such-host.invalid:80", 3000);
  CHECK_INT(r.ok, 0);
  CHECK(!strcmp(r.reason, "cannot resolve host") || !strcmp(r.reason, "timeout after 3s (resolving)"));
  /* the listen socket accepts; the accepted connections were closed by the probe */

  /* http: 200, 503, 301 (not followed), connection refused */
  int h200 = tcp_listener(&port);
  pid_t s200 = http_server(h200, 200);
  snprintf(text, sizeof(text), "http://127.0.0.1:%u/overview", port);
  r = run_one(loop, text, 2000);
  CHECK_INT(r.ok, 1);
  CHECK_STR(r.reason, "HTTP 200");
  int h503 = tcp_listener(&port);
  pid_t s503 = http_server(h503, 503);
  snprintf(text, sizeof(text), "http://127.0.0.1:%u/", port);
  r = run_one(loop, text, 2000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "HTTP 503");
  int h301 = tcp_listener(&port);
  pid_t s301 = http_server(h301, 301);
  snprintf(text, sizeof(text), "http://127.0.0.1:%u/", port);
  r = run_one(loop, text, 2000);
  CHECK_INT(r.ok, 1);
  CHECK_STR(r.reason, "HTTP 301");
  int hbig = tcp_listener(&port);
  pid_t sbig = http_server(hbig, 299);
  snprintf(text, sizeof(text), "http://127.0.0.1:%u/", port);
  r = run_one(loop, text, 2000);
  CHECK_INT(r.ok, 1);
  CHECK_STR(r.reason, "HTTP 200");   /* body capped at 64 KiB, not an error */
  snprintf(text, sizeof(text), "http://127.0.0.1:%u/", dead);
  r = run_one(loop, text, 2000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "connection refused");
  /* a server that accepts and never answers: our timeout */
  snprintf(text, sizeof(text), "http://127.0.0.1:%u/", (unsigned)0);
  unsigned silent;
  int sfd = tcp_listener(&silent);
  snprintf(text, sizeof(text), "http://127.0.0.1:%u/", silent);
  r = run_one(loop, text, 400);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "timeout after 400ms (waiting for the response)");

  /* reusing one probe: many attempts, no fd growth */
  {
    struct probe_target t;
    struct probe_error err;
    struct probe p;
    struct result rr = { 0 };
    snprintf(text, sizeof(text), "http://127.0.0.1:%u/overview", (unsigned)0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    getsockname(h200, (struct sockaddr *)&sa, &sl);
    snprintf(text, sizeof(text), "http://127.0.0.1:%u/overview", ntohs(sa.sin_port));
    probe_parse(text, &t, &err);
    probe_init(&p, &t);
    int oks = 0;
    for(int i = 0; i < 30; i++) {
      rr.calls = 0;
      probe_start(&p, loop, 2000, record, &rr);
      while(!rr.calls)
        ev_run(loop, EVRUN_ONCE);
      oks += rr.ok;
    }
    CHECK_INT(oks, 30);
    snprintf(text, sizeof(text), "tcp://127.0.0.1:%u", ntohs(sa.sin_port));
    probe_free(&p);
    probe_parse(text, &t, &err);
    probe_init(&p, &t);
    oks = 0;
    for(int i = 0; i < 30; i++) {
      rr.calls = 0;
      probe_start(&p, loop, 2000, record, &rr);
      CHECK_INT(probe_start(&p, loop, 2000, record, &rr), -1);   /* EBUSY */
      while(!rr.calls)
        ev_run(loop, EVRUN_ONCE);
      oks += rr.ok;
    }
    CHECK_INT(oks, 30);
    probe_free(&p);
  }

  /* cancel: nothing is called, nothing is left */
  {
    struct probe_target t;
    struct probe_error err;
    struct probe p;
    struct result rr = { 0 };
    snprintf(text, sizeof(text), "http://127.0.0.1:%u/", silent);
    probe_parse(text, &t, &err);
    probe_init(&p, &t);
    probe_start(&p, loop, 5000, record, &rr);
    for(int i = 0; i < 5; i++)
      ev_run(loop, EVRUN_NOWAIT);
    probe_cancel(&p);
    CHECK_INT(probe_running(&p), 0);
    probe_start(&p, loop, 5000, record, &rr);   /* can start again */
    probe_free(&p);
    ev_run(loop, EVRUN_NOWAIT);
    CHECK_INT(rr.calls, 0);
  }

  /* unix, file */
  char dir[] = "/tmp/pinit-probe-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[100];
  snprintf(path, sizeof(path), "%s/s.sock", dir);
  snprintf(text, sizeof(text), "unix://%s", path);
  r = run_one(loop, text, 1000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "no such socket");
  int ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un su = { .sun_family = AF_UNIX };
  memcpy(su.sun_path, path, strlen(path) + 1);
  CHECK_INT(bind(ufd, (struct sockaddr *)&su, sizeof(su)), 0);
  r = run_one(loop, text, 1000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "connection refused");
  listen(ufd, 8);
  r = run_one(loop, text, 1000);
  CHECK_INT(r.ok, 1);
  CHECK_STR(r.reason, "connected");
  close(ufd);
  unlink(path);
  /* abstract */
  int afd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sab = { .sun_family = AF_UNIX };
  char aname[64];
  snprintf(aname, sizeof(aname), "pinit-test-%d", (int)getpid());
  memcpy(sab.sun_path + 1, aname, strlen(aname));
  CHECK_INT(bind(afd, (struct sockaddr *)&sab, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(aname))), 0);
  listen(afd, 8);
  snprintf(text, sizeof(text), "unix://@%s", aname);
  r = run_one(loop, text, 1000);
  CHECK_INT(r.ok, 1);
  close(afd);
  r = run_one(loop, text, 1000);
  CHECK_INT(r.ok, 0);

  snprintf(path, sizeof(path), "%s/ready", dir);
  snprintf(text, sizeof(text), "file://%s", path);
  r = run_one(loop, text, 1000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "no such file");
  close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  r = run_one(loop, text, 1000);
  CHECK_INT(r.ok, 1);
  CHECK_STR(r.reason, "exists");
  unlink(path);
  rmdir(dir);

  /* exec */
  r = run_one(loop, "exec:true", 2000);
  CHECK_INT(r.ok, 1);
  CHECK_STR(r.reason, "exit 0");
  r = run_one(loop, "exec:false", 2000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "exit 1");
  r = run_one(loop, "exec:ls /nonexistent-pinit", 2000);
  CHECK_INT(r.ok, 0);
  CHECK(!strncmp(r.reason, "exit 2: ls: cannot access", 25));
  r = run_one(loop, "exec:/nonexistent/cmd a", 2000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "exit 127: pinit: exec: /nonexistent/cmd: No such file or directory");
  /* ENOTDIR means "no such command" too: 127, as for the main child (exitcode_exec_failure) */
  r = run_one(loop, "exec:/etc/passwd/cmd", 2000);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "exit 127: pinit: exec: /etc/passwd/cmd: Not a directory");
  {
    char noexec[64];
    snprintf(noexec, sizeof(noexec), "/tmp/pinit-noexec-%d", (int)getpid());
    close(open(noexec, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    snprintf(text, sizeof(text), "exec:%s", noexec);
    r = run_one(loop, text, 2000);
    CHECK_INT(r.ok, 0);
    CHECK(!strncmp(r.reason, "exit 126: ", 10) && strstr(r.reason, "Permission denied"));
    unlink(noexec);
  }
  double t0 = ev_time();
  r = run_one(loop, "exec:sleep 30", 300);
  CHECK_INT(r.ok, 0);
  CHECK_STR(r.reason, "timeout after 300ms");
  CHECK(ev_time() - t0 < 2.0);
  /* the child sees the default mask and dispositions, stdin is /dev/null */
  {
    sigset_t blk, old;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blk, &old);
    signal(SIGUSR2, SIG_IGN);
    r = run_one(loop, "exec:grep -q SigBlk:.0000000000000000 /proc/self/status", 2000);
    CHECK_INT(r.ok, 1);
    r = run_one(loop, "exec:grep -q SigIgn:.0000000000000000 /proc/self/status", 2000);
    CHECK_INT(r.ok, 1);
    r = run_one(loop, "exec:test -c /dev/stdin", 2000);
    CHECK_INT(r.ok, 1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGUSR2, SIG_DFL);
  }
  /* its own process group, killed as a group on timeout: the script writes its group id,
   * and only that group is searched (not every `sleep 31` on a shared machine) */
  {
    char mark[64], grp[80];
    int pgid = 0, live = -1;
    FILE *f;
    snprintf(mark, sizeof(mark), "/tmp/pinit-probe-grp-%d", (int)getpid());
    snprintf(grp, sizeof(grp), "%s.pgid", mark);
    snprintf(text, sizeof(text), "exec:sh %s", mark);
    f = fopen(mark, "w");
    fprintf(f, "cut -d' ' -f5 /proc/$$/stat > %s.tmp && mv %s.tmp %s\nsleep 31 & sleep 32\n", grp, grp, grp);
    fclose(f);
    r = run_one(loop, text, 1000);
    CHECK_STR(r.reason, "timeout after 1s");
    f = fopen(grp, "r");
    CHECK(f && fscanf(f, "%d", &pgid) == 1 && pgid > 1 && pgid != (int)getpgrp());
    if(f)
      fclose(f);
    for(int i = 0; i < 100 && pgid > 1 && (live = live_in_group(pgid)) != 0; i++)
      usleep(20000); /* SIGKILL is delivered asynchronously: up to 2 s */
    CHECK_INT(live, 0);
    unlink(grp);
    unlink(mark);
  }
  /* exec on another loop is refused */
  {
    struct ev_loop *other = ev_loop_new(0);
    struct probe_target t;
    struct probe_error err;
    struct probe p;
    struct result rr = { 0 };
    probe_parse("exec:true", &t, &err);
    probe_init(&p, &t);
    CHECK_INT(probe_start(&p, other, 1000, record, &rr), -1);
    CHECK_INT(probe_start(&p, loop, 0, record, &rr), -1);
    probe_free(&p);
    ev_loop_destroy(other);
  }

  close(lfd);
  close(h200);
  close(h503);
  close(h301);
  close(hbig);
  kill(sbig, SIGKILL);
  close(sfd);
  kill(s200, SIGKILL);
  kill(s503, SIGKILL);
  kill(s301, SIGKILL);
  /* libev reaps them */
  for(int i = 0; i < 20; i++) {
    ev_run(loop, EVRUN_NOWAIT);
    usleep(10000);
  }
  probe_global_cleanup();   /* closes the multi handle's own socketpair */
  int after = fd_count();
  CHECK_INT(after, before);
  if(after != before && system("ls -l /proc/$PPID/fd >&2") < 0)
    CHECK(0);
}

/* ---- the waiter --------------------------------------------------------------------- */

static void wait_done(struct waiter *w, int ok, void *arg)
{
  int *res = arg;
  *res = ok;
}

static void test_wait(void)
{
  struct ev_loop *loop = ev_default_loop(0);
  struct probe_target t[3];
  struct probe_error err;
  struct wait_options o;
  struct waiter w;
  int res;
  unsigned port, dead;
  char list[256], miss[256];

  int lfd = tcp_listener(&port);
  int dfd = tcp_listener(&dead);
  close(dfd);

  /* nothing to wait for: done at once, from the loop */
  wait_options_default(&o);
  CHECK_INT(wait_init(&w, t, 0, &o), 0);
  res = -1;
  CHECK_INT(wait_start(&w, loop, wait_done, &res), 0);
  CHECK_INT(res, -1);
  ev_run(loop, 0);
  CHECK_INT(res, 1);
  wait_free(&w);

  /* one up, one never: timeout, and the missing one is named */
  snprintf(list, sizeof(list), "127.0.0.1:%u 127.0.0.1:%u", port, dead);
  CHECK_INT(wait_list_parse(list, t, 3, &err), 2);
  o.timeout_ms = 700;
  o.interval_ms = 100;
  CHECK_INT(wait_init(&w, t, 2, &o), 0);
  res = -1;
  double t0 = ev_time();
  CHECK_INT(wait_start(&w, loop, wait_done, &res), 0);
  ev_run(loop, 0);
  CHECK_INT(res, 0);
  CHECK(ev_time() - t0 >= 0.6 && ev_time() - t0 < 2.0);
  snprintf(list, sizeof(list), "127.0.0.1:%u", dead);
  CHECK_INT(wait_missing(&w, miss, sizeof(miss)), 1);
  CHECK_STR(miss, list);
  CHECK(w.items[1].attempts >= 5);
  wait_free(&w);

  /* both up */
  snprintf(list, sizeof(list), "127.0.0.1:%u localhost:%u", port, port);
  CHECK_INT(wait_list_parse(list, t, 3, &err), 2);
  CHECK_INT(wait_init(&w, t, 2, &o), 0);
  res = -1;
  CHECK_INT(wait_start(&w, loop, wait_done, &res), 0);
  ev_run(loop, 0);
  CHECK_INT(res, 1);
  CHECK_INT(wait_missing(&w, miss, sizeof(miss)), 0);
  CHECK_STR(miss, "");
  wait_free(&w);

  /* bad options */
  o.interval_ms = 0;
  CHECK_INT(wait_init(&w, t, 2, &o), -1);
  close(lfd);
  probe_global_cleanup();
}

int main(void)
{
  test_parse();
  test_list();
  test_run();
  test_wait();
  return unit_done("probe");
}
