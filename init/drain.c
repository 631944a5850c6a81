/* drain.c - find and signal every descendant of pinit.  See include/pinit/drain.h. */
#include "pinit/drain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DRAIN_MAX 32768

/* Index of pid in all[0..n): binary search when the table is sorted by pid (as /proc
 * lists it), a scan otherwise.  -1 if absent. */
static int find_pid(const struct proc_entry *all, int n, int sorted, pid_t pid)
{
  int lo = 0, hi = n - 1;
  if(!sorted) {
    for(int i = 0; i < n; i++)
      if(all[i].pid == pid)
        return i;
    return -1;
  }
  while(lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if(all[mid].pid == pid)
      return mid;
    if(all[mid].pid < pid)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

int drain_select(const struct proc_entry *all, int n, pid_t root, pid_t *out, int cap)
{
  int count = 0, sorted = 1;
  for(int i = 1; i < n && sorted; i++)
    sorted = all[i - 1].pid < all[i].pid;
  for(int i = 0; i < n; i++) {
    pid_t p = all[i].ppid;
    int hops = 0;
    if(all[i].pid == root || all[i].state == 'Z')
      continue;
    /* climb the parent chain until root, init (0/1), an unknown pid or a loop guard */
    while(p != root && p > 1 && hops++ < n) {
      int j = find_pid(all, n, sorted, p);
      if(j < 0)
        break;
      p = all[j].ppid;
    }
    if(p == root && count < cap)
      out[count++] = all[i].pid;
  }
  return count;
}

/* Parse "pid (comm) S ppid ..." - comm may hold spaces and parentheses. */
static int parse_stat(const char *buf, struct proc_entry *e)
{
  const char *close = strrchr(buf, ')');
  int pid, ppid;
  char st;
  if(!close || sscanf(buf, "%d", &pid) != 1 || sscanf(close + 1, " %c %d", &st, &ppid) != 2)
    return -1;
  e->pid = pid;
  e->ppid = ppid;
  e->state = st;
  return 0;
}

/* Read and parse /proc/<name>/stat.  0, or -1 if it is gone or unreadable. */
static int read_stat(const char *name, struct proc_entry *e)
{
  char path[300], buf[512];
  ssize_t len;
  int fd;

  snprintf(path, sizeof(path), "/proc/%s/stat", name);
  if((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return -1;
  len = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if(len <= 0)
    return -1;
  buf[len] = '\0';
  return parse_stat(buf, e);
}

int drain_read_proc(struct proc_entry *out, int cap)
{
  DIR *d = opendir("/proc");
  struct dirent *de;
  int n = 0;

  if(!d)
    return -1;
  while((de = readdir(d)) && n < cap) {
    if(de->d_name[0] < '1' || de->d_name[0] > '9')
      continue;
    if(read_stat(de->d_name, &out[n]) == 0)
      n++;
  }
  closedir(d);
  return n;
}

int drain_proc_entry(pid_t pid, struct proc_entry *e)
{
  char name[16];
  if(pid <= 0)
    return -1;
  snprintf(name, sizeof(name), "%d", (int)pid);
  return read_stat(name, e) == 0 && e->pid == pid ? 0 : -1;
}

char drain_proc_state(pid_t pid)
{
  struct proc_entry e;
  return drain_proc_entry(pid, &e) == 0 ? e.state : 0;
}

/* 1 if /proc belongs to our PID namespace (it is not, under `unshare --pid` without a
 * new /proc mount): its pid numbers are then ours to signal. */
static int proc_is_ours(void)
{
  char buf[32];
  ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
  if(n <= 0)
    return 0;
  buf[n] = '\0';
  return atoi(buf) == getpid();
}

int drain_signal(int sig, pid_t spare)
{
  struct proc_entry *all;
  pid_t *pids;
  siginfo_t info;
  int n, count = -1;

  /* No children at all (not even zombies): then no descendants either, since every orphan
   * is reparented to pinit (PID 1 or subreaper).  The common case, and no /proc scan. */
  memset(&info, 0, sizeof(info));
  if(waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
    return 0;
  if(!proc_is_ours()) {
    /* a foreign /proc: as PID 1 everything in the namespace is ours, kill(-1) reaches
     * exactly that; otherwise only what can be told apart is left alone */
    if(getpid() == 1 && sig)
      kill(-1, sig);
    if(getpid() == 1 && sig && sig != SIGKILL)
      kill(-1, SIGCONT);
    return 1; /* children remain (waitid above): the caller polls again */
  }
  all = malloc(sizeof(*all) * DRAIN_MAX);
  pids = malloc(sizeof(*pids) * DRAIN_MAX);
  if(all && pids && (n = drain_read_proc(all, DRAIN_MAX)) >= 0) {
    count = drain_select(all, n, getpid(), pids, DRAIN_MAX);
    for(int i = 0; i < count; i++) {
      if(pids[i] == spare || sig == 0)
        continue;
      kill(pids[i], sig);
      if(sig != SIGKILL && sig != SIGCONT)
        kill(pids[i], SIGCONT);
    }
  }
  else if(getpid() == 1 && sig) {
    count = kill(-1, sig) == 0 ? 1 : 0;
    if(count && sig != SIGKILL)
      kill(-1, SIGCONT);
  }
  free(all);
  free(pids);
  return count;
}
