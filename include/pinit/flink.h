/* flink.h - `pinit flink ROLE [ARG...]`: the official image's entrypoint, done right.
 *
 * Steps, in the official order: JobManager address default, jemalloc LD_PRELOAD rule,
 * ENABLE_BUILT_IN_PLUGINS links (a missing jar: exit 1 before anything is written), config
 * render (exit 78 on error, the old file kept), then the role runs as the supervised
 * child (as user `flink` when started as root), with per-role defaults:
 *
 *   role            command                                   probes and waits
 *   jobmanager      bin/jobmanager.sh start-foreground ARGS   live GET :REST/config, ready GET :REST/overview
 *   standalone-job  bin/standalone-job.sh start-foreground    same as jobmanager
 *   taskmanager     bin/taskmanager.sh start-foreground       wait tcp JM:6123 (HA: ZooKeeper),
 *                                                             taskmanager.rpc.port pinned to 6122,
 *                                                             live tcp 127.0.0.1:6122
 *   (ports and addresses as the rendered configuration gives them: flink_role_defaults)
 *   history-server  bin/historyserver.sh start-foreground     live GET :8082/config
 *   (HA: with a ZooKeeper quorum every role first waits for it)
 *   help            usage, exit 0
 *   anything else   run unchanged (native Kubernetes sends `bash -c ...`), policy never
 * The four roles restart with policy always.  Every default can be overridden by the INI
 * file or PINIT_* variables.
 */
#ifndef PINIT_FLINK_H
#define PINIT_FLINK_H

#include <stddef.h>

struct render_result;

/* Pure: the role's pinned Flink keys, "key: value" (NULL-terminated, static), set above the
 * base file and below every variable: taskmanager pins taskmanager.rpc.port to 6122.  NULL
 * for other roles. */
const char *const *flink_role_pins(const char *role);

/* Pure: whether the rendered configuration turns HA on (high-availability.type, or its
 * deprecated names, set and not "none" in any case, as Flink reads it): 1 or 0.  *quorum is
 * the ZooKeeper quorum when the type is zookeeper and a quorum is set, else NULL (a string
 * of conf). */
int flink_ha_zookeeper(const struct render_result *conf, const char **quorum);

/* Pure: the role's defaults as "section.key=value" strings into out[0..cap) (NULL-terminated),
 * formatted into the storage `buf`, derived from `conf`, the rendered configuration Flink
 * will read (render_get): rest.bind-port / rest.port (8081), jobmanager.rpc.address and
 * .port (6123), taskmanager.rpc.port (6122 pinned; a range: no TCP probe),
 * historyserver.web.port (8082), HA as flink_ha_zookeeper() says (with HA the TaskManager
 * does not wait for the JobManager's address).  Returns the count, or -1 for a role that is
 * not one of the four or when out/buf are too small. */
int flink_role_defaults(const char *role, const struct render_result *conf, const char **out, size_t cap,
                        char *buf, size_t bufcap);

#endif
