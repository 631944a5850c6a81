/* drain.h - find and signal every process pinit is responsible for, so that nothing is
 * left for the kernel to SIGKILL when pinit exits.
 *
 * "Descendants" are found through /proc: every process whose parent chain leads to pinit.
 * As PID 1 of a namespace that is every other process; as a subreaper it is exactly the
 * tree below pinit (orphans are reparented to it).  Zombies count as gone. */
#ifndef PINIT_DRAIN_H
#define PINIT_DRAIN_H

#include <sys/types.h>

struct proc_entry {
  pid_t pid, ppid;
  char state; /* 'R', 'S', 'Z', ... as in /proc/PID/stat */
};

/* Pure core: from a process table, write to out[] the live (non-zombie) descendants of
 * `root` (root itself excluded).  Returns how many (at most cap). */
int drain_select(const struct proc_entry *all, int n, pid_t root, pid_t *out, int cap);

/* Read /proc into out[] (at most cap entries).  Returns the count, or -1 with errno if
 * /proc cannot be read.  Reads files: use at stop time only, not in steady state. */
int drain_read_proc(struct proc_entry *out, int cap);

/* Send sig (with SIGCONT after it, so stopped processes can act on it; sig 0 only counts)
 * to every live descendant of pinit, except `spare` (0 for none).  Returns the number of
 * live descendants found, `spare` included (0: nothing left), or -1 when /proc cannot be read
 * (or its tables not allocated) and the PID 1 fallback below does not apply (not PID 1, or
 * sig 0): nothing was signalled.  Shortcuts: no children at all (waitid ECHILD)
 * means nothing is left, without reading /proc; a /proc of another PID namespace is not
 * trusted: as PID 1 the signal goes to kill(-1), and 1 is returned while children remain.
 * Reads /proc and allocates its tables (about 512 KB, freed before it returns): for stop
 * time, not for steady state.  Never reaps (waitid WNOWAIT). */
int drain_signal(int sig, pid_t spare);

/* One process's entry from /proc/PID/stat (pid, parent, state).  0, or -1 if pid <= 0, it
 * is gone or /proc cannot be read.  One small file read; never blocks on the process. */
int drain_proc_entry(pid_t pid, struct proc_entry *e);

/* The state letter of one process in /proc/PID/stat ('R', 'S', 'T' stopped, 'Z' ...), or 0
 * if it is gone or /proc cannot be read.  One small file read; never blocks on the process. */
char drain_proc_state(pid_t pid);

#endif
