/* render.h - the Flink configuration renderer.
 *
 * Writes the file Flink will read, conf/config.yaml (standard YAML; Flink 1.19+ and 2.x)
 * or the legacy conf/flink-conf.yaml (Flink 1.x), from the image's base file and the
 * environment.  Two layers:
 *
 *   render_document()      pure: an environment snapshot and the base file's bytes in,
 *                          the new file's bytes and warnings out.  No I/O, no logging,
 *                          no getenv(); safe to call anywhere.
 *   render_flink_config()  the file layer: picks the file like Flink does, reads it,
 *                          renders, writes it atomically (or into a copy of a read-only
 *                          conf dir), logs.  Blocks on disk I/O.
 *
 * Sources, lowest precedence first.  A later source replaces the value; the key keeps the
 * place it first had (base keys in file order, then new keys in the order first set).
 *
 *   1. the base file: the conf dir's current file (on a container restart that is the
 *      previous output, which is why rendering twice gives the same bytes)
 *   2. defaults, as in the official image:
 *        jobmanager.rpc.address        $JOB_MANAGER_RPC_ADDRESS, or when unset or empty the
 *                                      caller's fallback (hostname -f); no fallback: not set
 *        blob.server.port              6124
 *        query.server.port             6125
 *        taskmanager.numberOfTaskSlots $TASK_MANAGER_NUMBER_OF_TASK_SLOTS, only if non-empty
 *   3. the pipeline's variables (empty counts as unset):
 *        HA_MODE                       high-availability.type
 *        HA_ZOOKEEPER_QUORUM           high-availability.zookeeper.quorum
 *        HA_CLUSTER_ID                 high-availability.cluster-id
 *        HA_STORAGE_DIR                high-availability.storageDir; when HA_MODE is set and
 *                                      not "none", HA_STORAGE_DIR is empty and the base file
 *                                      has no such key: file:///opt/flink/savepoints/ha
 *        JOB_MANAGER_HEAP_SIZE         jobmanager.memory.heap.size
 *        JOB_MANAGER_PROCESS_SIZE      jobmanager.memory.process.size
 *        TASK_MANAGER_PROCESS_SIZE     taskmanager.memory.process.size
 *        PARALLELISM_DEFAULT           parallelism.default
 *        CHECKPOINT_INTERVAL           execution.checkpointing.interval
 *        CHECKPOINT_DIR                execution.checkpointing.dir
 *        SAVEPOINT_DIR                 execution.checkpointing.savepoint-dir
 *   4. FLINK_PROPERTIES: one "key: value" per line (ends: "\n", "\r\n", a lone "\r").  Blank lines and lines
 *      whose first non-blank is '#' are skipped; a line without ':' is ignored with a
 *      warning; a BOM or no-break space around a key is removed with a warning.  Key = text before the first ':', value = everything after it; both trimmed
 *      at the ends only (inner spaces, quotes, '=', '*', further ':' stay literal).  In
 *      values (not keys) ${NAME} and $NAME are replaced from the snapshot as envsubst does
 *      (unset: empty; anything else after '$' stays literal).  Later lines win; a key is
 *      written once.
 *
 * Every value from the environment (2-4, and each ${NAME} substituted) is trimmed at both
 * ends like Java's trim() (bytes <= ' '), in both formats, and dropped with a warning when
 * it is not valid UTF-8.  Inside env.java.opts* tabs and line breaks become spaces.
 *
 * Precedence across names: a later source replaces the option under any of its names
 * (Flink's fallback keys, e.g. state.checkpoints.dir for execution.checkpointing.dir,
 * high-availability for high-availability.type): the earlier source's entry is dropped with
 * a warning.  env.java.opts from the environment next to the base file's env.java.opts.all
 * is appended to it (the image's JVM flags are kept; not again when the base value already
 * ends with it).  One-line warnings for Flink's surprises: yes/no/on/off, 0x/0o/0b numbers,
 * a known key in other case, quotes in FLINK_PROPERTIES, [lists] in flink-conf.yaml, '"' or
 * an unpaired ' in JVM options.
 *
 * Keys from any source that are empty, start or end with '.', contain "..", control
 * characters or invalid UTF-8 are dropped with a warning.
 *
 * config.yaml output (RENDER_YAML): a header comment, then one flat dotted "key: value" line
 * per key (Flink flattens nested maps with '.', so flat keys load the same, and a key that
 * is a prefix of another at a dot, fs.s3a.endpoint next to fs.s3a.endpoint.region, keeps
 * both).  Comments and nesting of the base file are not kept.
 *   - Every value set from the environment is a string.  It is written plain when no YAML
 *     reader (1.2 core schema, nor YAML 1.1 as Flink's SnakeYAML reads it) could type or
 *     misread it (1600m, 50 s, -Xss2m -XX:+UseG1GC, zk1:2181,zk2:2181 stay plain); in single
 *     quotes ('' for a quote) when it looks like a number, bool, null, date, or starts with
 *     an indicator (- ? : , [ ] { } # & * ! | > ' " % @ `), contains ": " or " #", ends in
 *     ':', has blanks at either end, or is empty; in double quotes with escapes when it has
 *     control characters, line breaks or other unprintables.  Values that are not valid
 *     UTF-8 cannot be YAML: dropped with a warning.
 *   - Base values keep their type and, where possible, their text: plain scalars verbatim
 *     (6123 stays an int, true a bool), single-quoted ones single-quoted, double-quoted and
 *     block scalars (| >) double-quoted on one line, explicit tags (!!int "5") kept,
 *     sequences and mappings below a sequence in flow style ([a, b], {k: v}), anchors and
 *     aliases expanded.  A null value (empty, ~, null, !!null), which Flink cannot load, is
 *     not written (warning).  A key set flat and nested ("a.b: 1" and "a: {b: 2}"): the
 *     later one wins, as Flink flattens (warning).
 *   - The deprecated short keys are renamed with a warning, so a nested YAML reader cannot
 *     lose the longer keys: high-availability -> high-availability.type, state.backend ->
 *     state.backend.type, restart-strategy -> restart-strategy.type, env.java.opts ->
 *     env.java.opts.all.  When one source sets both names, the new name wins, like Flink.
 *   - Refused (render_error): YAML syntax errors, a duplicate key in one mapping (both line
 *     numbers), a top level that is not a
 *     mapping, more than one document, unsupported tags (only YAML's own !!tags and simple
 *     local !tags), non-scalar keys, NUL characters, nesting deeper than 64, more than
 *     200000 nodes (alias bombs), a file that is not UTF-8.
 *   - Refused too: an output over 3 Mi code points (snakeyaml-engine's limit; Flink would
 *     not load it).
 *   - Self-check: the output is parsed again with libyaml; every key must come back once,
 *     with the same text, and every value set from the environment as the same string.
 *
 * flink-conf.yaml output (RENDER_LEGACY): a header comment, then "key: value" lines, no
 * quoting and no renames (Flink 1.x before 1.17 does not know the new names).  The base
 * file is read the way Flink reads it: each line cut at the first '#', trimmed, split at
 * the first ": ", lines with an empty key or value skipped, later lines win (a NUL byte is
 * refused).  A '#' in a key or value (Flink would cut the line there), an empty value and a
 * line break cannot be represented: such a key is not written, with a warning (Flink then
 * uses its default).
 *
 * Messages (errors, warnings) name files, line numbers and keys, never values.
 */
#ifndef PINIT_RENDER_H
#define PINIT_RENDER_H

#include <stddef.h>

enum render_format {
  RENDER_AUTO = 0,  /* render_flink_config() only: choose like Flink (render_pick_format) */
  RENDER_YAML,      /* config.yaml */
  RENDER_LEGACY     /* flink-conf.yaml */
};

#define RENDER_WARN_MAX 32

/* One warning, e.g. where "FLINK_PROPERTIES", line 3, msg "no ':' in the line, ignored".
 * line 0: not tied to a line (where is then a variable name or "defaults"). */
struct render_warning {
  char where[64];
  int line;
  char msg[200];
};

/* Why a render failed: file (the base file's name, or "rendered <name>" for the
 * self-check), 1-based line (0: none) and a reason that never contains a value. */
struct render_error {
  char file[64];
  int line;
  char msg[200];
};

struct render_input {
  char *const *envp;        /* environment snapshot, NULL-terminated "NAME=value" (may be
                               NULL); only read during the call */
  const char *base;         /* the base file's bytes, need not be NUL-terminated; NULL
                               (or base_len 0) = no base file */
  size_t base_len;
  const char *base_name;    /* name in messages, e.g. "config.yaml"; NULL: the format's */
  enum render_format format;    /* RENDER_YAML or RENDER_LEGACY (RENDER_AUTO = YAML) */
  const char *rpc_address;  /* fallback for JOB_MANAGER_RPC_ADDRESS (the caller's
                               hostname -f); NULL or "": jobmanager.rpc.address is then
                               left as the base file has it */
  enum render_format base_format;  /* how to read base: RENDER_AUTO = as `format`;
                               RENDER_YAML with format RENDER_LEGACY: a config.yaml is the
                               base of a new flink-conf.yaml (values as Flink reads them) */
  const char *const *pins;  /* NULL-terminated "key: value" set with the defaults (above the
                               base file, below every variable): a role's pinned keys */
};

/* A key of the rendered file and its value as a string, as Flink reads it (a YAML scalar's
 * value, the flow text of a list or map). */
struct render_kv {
  const char *key, *value;
};

struct render_result {
  char *doc;                /* the new file, NUL-terminated, malloc'd: render_result_free() */
  struct render_kv *kv;     /* the keys written, in file order, malloc'd with the result */
  size_t nkv;
  size_t len;               /* bytes in doc, without the NUL */
  size_t nkeys;             /* keys written */
  int nwarn;                /* warn[0..nwarn) are valid, in the order they arose */
  int nwarn_lost;           /* warnings beyond RENDER_WARN_MAX, counted only */
  struct render_warning warn[RENDER_WARN_MAX];
};

/* Render the configuration.  Returns 0 and fills *res; or -1 and fills *err (res->doc is
 * NULL, the warnings so far stay valid; errno ENOMEM when out of memory).  Pure: no I/O,
 * no global state, deterministic (same input, same bytes).  Never blocks. */
int render_document(const struct render_input *in, struct render_result *res,
                    struct render_error *err);

/* Free res->doc and res->kv (safe on a zeroed or already freed result). */
void render_result_free(struct render_result *res);

/* The rendered value of `key` (exact key, as Flink's keys are case-sensitive), or NULL when
 * the file does not set it.  The string lives as long as res.  Pure. */
const char *render_get(const struct render_result *res, const char *key);

/* Check that doc parses as `format` (RENDER_YAML: libyaml loads it as one mapping without
 * duplicate or colliding keys and with the limits above; RENDER_LEGACY: always parses).
 * Returns 0, or -1 and fills *err.  Pure, never blocks. */
int render_check(const char *doc, size_t len, enum render_format format,
                 struct render_error *err);

/* ---- file layer (init/render_file.c) -------------------------------------------------- */

struct render_opts {
  enum render_format format;  /* RENDER_AUTO: render_pick_format() */
  const char *flink_home;     /* NULL: FLINK_HOME from envp when non-empty, else /opt/flink */
  const char *conf_dir;       /* NULL: FLINK_CONF_DIR from envp when non-empty, else
                                 <flink_home>/conf */
  const char *rpc_address;    /* fallback for JOB_MANAGER_RPC_ADDRESS; NULL: computed with
                                 render_default_address() when needed (may block on DNS) */
  const char *runtime_dir;    /* where a read-only conf dir is copied to, as
                                 <runtime_dir>/pinit-flink-conf; NULL: PINIT_RUNTIME_DIR
                                 from envp when non-empty, else /tmp */
  int dry_run;                /* 1: print the rendered file on stdout, write nothing */
  const char *const *pins;    /* render_input.pins */
  struct render_result *result;  /* not NULL: on success receives the rendered result (the
                                 keys Flink will read: render_get); render_result_free() it */
};

/* The file name for a format: "config.yaml" or "flink-conf.yaml" (RENDER_AUTO: the YAML
 * one).  Static string. */
const char *render_file_name(enum render_format format);

/* Flink's version from the name of <flink_home>/lib/flink-dist*.jar (flink-dist-1.20.1.jar,
 * flink-dist_2.12-1.14.6.jar; with several, the first by name).  Returns 0 and sets
 * *major, *minor; -1 with errno ENOENT when there is no such jar or name, or opendir's
 * errno.  Blocks on directory I/O. */
int render_flink_version(const char *flink_home, int *major, int *minor);

/* The format Flink will read.  want RENDER_YAML / RENDER_LEGACY is returned as is (and
 * render_flink_config() refuses the choice when this Flink would not read that file).
 * RENDER_AUTO: Flink 2.x reads only config.yaml -> RENDER_YAML; Flink before 1.19 reads only
 * flink-conf.yaml -> RENDER_LEGACY; 1.19, 1.20 and an unknown version: RENDER_LEGACY when
 * <conf_dir>/flink-conf.yaml exists, else RENDER_YAML.  Never fails; blocks on stat. */
enum render_format render_pick_format(const char *flink_home, const char *conf_dir,
                                      enum render_format want);

/* Replace <dir>/<name> with buf atomically: dir opened once with trusted_path_open()
 * (pinit/trusted_path.h: a link another user planted is refused, ELOOP), then relative to
 * it: a temp file (O_EXCL, the old file's mode and, when root and possible, owner; else
 * 0644), write, fsync, read back and check (render_check for RENDER_YAML), renameat(2)
 * (a link at <name> is replaced, never written through), fsync dir.  Returns 0; or -1 with errno, the old file untouched and the temp
 * file removed (EBADMSG: the written file did not read back the same or did not parse;
 * EROFS/EACCES/EPERM: dir is not writable).  Blocks on disk I/O. */
int render_write_atomic(const char *dir, const char *name, const char *buf, size_t len,
                        enum render_format format);

/* Copy the regular files of src (links followed only as trusted_path_open() allows, so a
 * Kubernetes ConfigMap's root-owned ..data links work and a link another user planted
 * fails the copy with ELOOP; names starting with '.' and subdirectories skipped; a FIFO
 * never blocks) into dst, which is created 0755 or must be a directory owned by the
 * caller's euid (not a symlink).  Modes are kept.  Returns 0, or -1 with errno.  Blocks on
 * disk I/O. */
int render_copy_conf_dir(const char *src, const char *dst);

/* What `hostname -f` prints: the canonical name of gethostname() (getaddrinfo with
 * AI_CANONNAME), else the plain host name.  Returns 0 with buf NUL-terminated, or -1 with
 * errno.  May block on DNS: call it before the event loop runs. */
int render_default_address(char *buf, size_t cap);

/* Render the Flink configuration for a container start: choose the dirs and the file
 * (opts above), open the conf dir once with trusted_path_open() and work relative to it,
 * read the base file (missing: none; a link another user planted or anything but a
 * regular file: error; a forced legacy format with only a config.yaml starts from that
 * file), render_document(), log the warnings,
 * and unless the file already holds exactly those bytes, render_write_atomic() it.  When
 * the conf dir is not writable (EROFS, EACCES, EPERM; EBUSY: the file is a mount), copy it to
 * <runtime_dir>/pinit-flink-conf and render there (warning names the new dir).
 * A forced format Flink would not read is refused: yaml next to an existing flink-conf.yaml on
 * Flink 1.x (Flink reads that one), legacy on Flink 2.x.  A runtime_dir that does not exist
 * yet is created (mode 0755, one level).
 * On success returns 0 and, if out_conf_dir is not NULL, copies the conf dir that holds the
 * result into it: export it as FLINK_CONF_DIR to the child (it differs from the original
 * after a read-only fallback).  On failure logs one line
 *   pinit: error: render: <file>:<line>: <reason>
 * and returns -1 (the caller exits 78); the old file is untouched.  opts may be NULL (all
 * defaults).  Blocks on disk I/O (and DNS, see rpc_address). */
int render_flink_config(char **envp, const struct render_opts *opts, char *out_conf_dir,
                        size_t cap);

#endif
