/* ctl.h - the client commands that talk to a running supervisor over the control socket:
 *   pinit check [--live|--ready]   exit 0 healthy/ready, 1 anything else (never 2)
 *   pinit status [--json]          exit 0 child running, 3 not running, 4 unreachable,
 *                                  1 busy, 77 refused (caller outside pinit's PID namespace)
 *   pinit restart | pinit stop     exit 0 accepted, 77 refused, 1 unreachable or busy
 * The socket: PINIT_CONTROL_SOCKET, else the configuration's control.socket, else the
 * per-container default (ctl_socket_name, control.h).
 * Each prints one line on stdout (errors on stderr) and returns the exit code.  They block
 * for at most CTL_DEADLINE_MS in all. */
#ifndef PINIT_CTL_H
#define PINIT_CTL_H

#define CTL_DEADLINE_MS 2000

int cmd_check(int argc, char **argv, char **envp);
int cmd_status(int argc, char **argv, char **envp);
int cmd_restart(int argc, char **argv, char **envp);
int cmd_stop(int argc, char **argv, char **envp);

#endif
