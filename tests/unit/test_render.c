/* test_render.c - the Flink config renderer: the pure core by table (every worked example
 * of docs flink-notes.md, every rule, the quoting table), then the file layer in temp dirs
 * (atomic write, FLINK_CONF_DIR, version detection, conf dir copy, `pinit render`), then a
 * timing of a 1,000-line FLINK_PROPERTIES. */
#include "pinit/cmd.h"
#include "pinit/render.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#define SECRET "hunter2"      /* a value that must never reach a message */

struct rcase {
  const char *name;
  enum render_format fmt;     /* RENDER_AUTO here means YAML */
  const char *env[12];        /* "NAME=value" */
  const char *props;          /* FLINK_PROPERTIES; NULL: unset */
  const char *base;           /* base file; NULL: none */
  const char *rpc;            /* the hostname -f fallback */
  const char *want[24];       /* lines the output must contain, exactly once each */
  const char *not[6];         /* substrings the output must not contain */
  const char *warn;           /* a warning "where:line: msg" must contain this */
  int err_line;               /* > 0: render must fail at this line */
  const char *err;            /* ... with this in the message */
};

static const struct rcase cases[] = {
  /* ---- flink-notes.md, "Worked examples" ---- */
  { "example: rpc address, ports as strings, base int kept", 0, { "JOB_MANAGER_RPC_ADDRESS=jobmanager" }, NULL,
    "jobmanager:\n  rpc:\n    address: localhost\n    port: 6123\n", "ignored-fallback",
    { "jobmanager.rpc.address: jobmanager", "blob.server.port: '6124'", "query.server.port: '6125'",
      "jobmanager.rpc.port: 6123" }, { "localhost", "ignored-fallback" }, NULL, 0, NULL },
  { "example: empty TASK_MANAGER_NUMBER_OF_TASK_SLOTS keeps the base", 0,
    { "TASK_MANAGER_NUMBER_OF_TASK_SLOTS=" }, NULL, "taskmanager.numberOfTaskSlots: 4\n", NULL,
    { "taskmanager.numberOfTaskSlots: 4" }, { "'4'" }, NULL, 0, NULL },
  { "example: FLINK_PROPERTIES beats JOB_MANAGER_RPC_ADDRESS", 0, { "JOB_MANAGER_RPC_ADDRESS=a" },
    "jobmanager.rpc.address: b", NULL, NULL, { "jobmanager.rpc.address: b" }, { ": a\n" }, NULL, 0, NULL },
  { "example: duplicates, last wins, written once", 0, { NULL }, "parallelism.default: 2\nparallelism.default: 3",
    "parallelism.default: 1\n", NULL, { "parallelism.default: '3'" }, { "'2'", ": 1\n" }, NULL, 0, NULL },
  { "example: key and value trimmed at the ends", 0, { NULL }, "   taskmanager.memory.process.size :   2g   ",
    NULL, NULL, { "taskmanager.memory.process.size: 2g" }, { NULL }, NULL, 0, NULL },
  { "example: inner spaces kept", 0, { NULL }, "env.java.opts.taskmanager: -Xss2m -XX:+UseG1GC", NULL, NULL,
    { "env.java.opts.taskmanager: -Xss2m -XX:+UseG1GC" }, { NULL }, NULL, 0, NULL },
  { "example: value after the first colon", 0, { NULL }, "high-availability.zookeeper.quorum: zk1:2181,zk2:2181",
    NULL, NULL, { "high-availability.zookeeper.quorum: zk1:2181,zk2:2181" }, { NULL }, NULL, 0, NULL },
  { "example: CRLF, blank lines, comments", 0, { NULL },
    "\r\n# rest.port: 9999\r\n   \r\n  # x: y\r\nrest.bind-port: 8081-8090\r\n\r\n", NULL, NULL,
    { "rest.bind-port: '8081-8090'" }, { "rest.port", "9999", "\r", "'#", "x: y" }, NULL, 0, NULL },
  { "example: ${VAR} and unset", 0, { "DATA=/data" }, "io.tmp.dirs: ${DATA}/tmp\nx.y: pre${UNSET}post", NULL, NULL,
    { "io.tmp.dirs: /data/tmp", "x.y: prepost" }, { NULL }, NULL, 0, NULL },

  /* ---- defaults ---- */
  { "defaults: hostname fallback when unset", 0, { NULL }, NULL, NULL, "jm-1.example",
    { "jobmanager.rpc.address: jm-1.example" }, { NULL }, NULL, 0, NULL },
  { "defaults: hostname fallback when empty", 0, { "JOB_MANAGER_RPC_ADDRESS=" }, NULL, NULL, "jm-1",
    { "jobmanager.rpc.address: jm-1" }, { NULL }, NULL, 0, NULL },
  { "defaults: no fallback keeps the base", 0, { NULL }, NULL, "jobmanager.rpc.address: base-host\n", NULL,
    { "jobmanager.rpc.address: base-host" }, { NULL }, NULL, 0, NULL },
  { "defaults: beat the base file", 0, { "TASK_MANAGER_NUMBER_OF_TASK_SLOTS=2" }, NULL,
    "blob.server.port: 7000\ntaskmanager.numberOfTaskSlots: 1\n", NULL,
    { "blob.server.port: '6124'", "taskmanager.numberOfTaskSlots: '2'" }, { "7000" }, NULL, 0, NULL },
  { "defaults: FLINK_PROPERTIES beats them", 0, { "TASK_MANAGER_NUMBER_OF_TASK_SLOTS=2" },
    "blob.server.port: 7001\ntaskmanager.numberOfTaskSlots: 8", NULL, NULL,
    { "blob.server.port: '7001'", "taskmanager.numberOfTaskSlots: '8'" }, { "6124", "'2'" }, NULL, 0, NULL },

  /* ---- the pipeline's variables ---- */
  { "mapped: every variable", 0,
    { "HA_MODE=zookeeper", "HA_ZOOKEEPER_QUORUM=zookeeper:2181", "HA_CLUSTER_ID=/flink-cluster",
      "HA_STORAGE_DIR=s3://b/ha", "JOB_MANAGER_HEAP_SIZE=1024m", "TASK_MANAGER_PROCESS_SIZE=1728m",
      "JOB_MANAGER_PROCESS_SIZE=1600m", "PARALLELISM_DEFAULT=4", "CHECKPOINT_INTERVAL=30 s",
      "CHECKPOINT_DIR=file:///opt/flink/checkpoints", "SAVEPOINT_DIR=file:///opt/flink/savepoints" }, NULL, NULL, NULL,
    { "high-availability.type: zookeeper", "high-availability.zookeeper.quorum: zookeeper:2181",
      "high-availability.cluster-id: /flink-cluster", "high-availability.storageDir: s3://b/ha",
      "jobmanager.memory.heap.size: 1024m", "taskmanager.memory.process.size: 1728m",
      "jobmanager.memory.process.size: 1600m", "parallelism.default: '4'",
      "execution.checkpointing.interval: 30 s", "execution.checkpointing.dir: file:///opt/flink/checkpoints",
      "execution.checkpointing.savepoint-dir: file:///opt/flink/savepoints" }, { "savepoints/ha" }, NULL, 0, NULL },
  { "mapped: HA storage default", 0, { "HA_MODE=zookeeper", "HA_STORAGE_DIR=" }, NULL, NULL, NULL,
    { "high-availability.type: zookeeper", "high-availability.storageDir: file:///opt/flink/savepoints/ha" },
    { NULL }, NULL, 0, NULL },
  { "mapped: no HA storage default for HA_MODE=NONE", 0, { "HA_MODE=NONE" }, NULL, NULL, NULL,
    { "high-availability.type: NONE" }, { "storageDir" }, NULL, 0, NULL },
  { "mapped: no HA storage default over the base file's", 0, { "HA_MODE=zookeeper" }, NULL,
    "high-availability:\n  storageDir: s3://base/ha\n", NULL,
    { "high-availability.storageDir: s3://base/ha", "high-availability.type: zookeeper" }, { "savepoints/ha" }, NULL, 0, NULL },
  { "mapped: empty is unset, base kept", 0, { "PARALLELISM_DEFAULT=", "HA_MODE=" }, NULL, "parallelism.default: 1\n",
    NULL, { "parallelism.default: 1" }, { "high-availability" }, NULL, 0, NULL },
  { "mapped: FLINK_PROPERTIES wins", 0, { "PARALLELISM_DEFAULT=4", "CHECKPOINT_DIR=file:///a" },
    "parallelism.default: 8\nexecution.checkpointing.dir: file:///b", NULL, NULL,
    { "parallelism.default: '8'", "execution.checkpointing.dir: file:///b" }, { "'4'", "file:///a" }, NULL, 0, NULL },

  /* ---- FLINK_PROPERTIES parsing ---- */
  { "props: a line without ':' is ignored with a warning", 0, { NULL }, "a: 1\n" SECRET "\nb: 2", NULL, NULL,
    { "a: '1'", "b: '2'" }, { SECRET }, "FLINK_PROPERTIES:2: no ':'", 0, NULL },
  { "props: bad keys", 0, { NULL }, "a..b: 1\n.lead: 2\ntrail.: 3\n: 4\n  : 5\nok.key: 6", NULL, NULL,
    { "ok.key: '6'" }, { "a..b", "lead", "trail", "'4'", "'5'" }, "FLINK_PROPERTIES:4: key '' empty key", 0, NULL },
  { "props: bad key warning names the line", 0, { NULL }, "x: 1\ntrail.: 3", NULL, NULL, { "x: '1'" }, { NULL },
    "FLINK_PROPERTIES:2: key 'trail.' ends with '.'", 0, NULL },
  { "props: substitution only in values; envsubst's literal cases", 0, { "K=key", "E=", "A_1=v" },
    "${K}.x: $K\nm: cost $5 and ${ and $ and ${K and ${E}|$E|${A_1}$A_1", NULL, NULL,
    { "${K}.x: key", "m: cost $5 and ${ and $ and ${K and ||vv" }, { NULL }, NULL, 0, NULL },
  { "props: '=', '*', quotes and more colons stay literal", 0, { NULL },
    "a: x=y\nb: *\nc: 'x y'\nd: k: v:\ne: -n -e", NULL, NULL,
    { "a: x=y", "b: '*'", "c: '''x y'''", "d: 'k: v:'", "e: -n -e" }, { NULL }, NULL, 0, NULL },
  { "props: secret values never in warnings", 0, { "PW=\xff" SECRET }, "s3.secret-key: ${PW}", NULL, NULL,
    { NULL }, { "secret-key" }, "the value of 's3.secret-key' is not valid UTF-8", 0, NULL },

  /* ---- dot-prefix keys ---- */
  { "renames: all four", 0, { NULL },
    "high-availability: zookeeper\nstate.backend: rocksdb\nrestart-strategy: fixed-delay\nenv.java.opts: -Dx=1\n"
    "high-availability.storageDir: file:///ha\nstate.backend.incremental: true\nrestart-strategy.fixed-delay.attempts: 3\n"
    "env.java.opts.jobmanager: -Dy=2", NULL, NULL,
    { "high-availability.type: zookeeper", "state.backend.type: rocksdb", "restart-strategy.type: fixed-delay",
      "env.java.opts.all: -Dx=1", "high-availability.storageDir: file:///ha", "state.backend.incremental: 'true'",
      "restart-strategy.fixed-delay.attempts: '3'", "env.java.opts.jobmanager: -Dy=2" },
    { "\nhigh-availability:", "\nstate.backend:", "\nrestart-strategy:", "\nenv.java.opts:" },
    "FLINK_PROPERTIES:1: deprecated key 'high-availability' written as 'high-availability.type'", 0, NULL },
  { "renames: in the base file", 0, { NULL }, NULL, "high-availability: zookeeper\nhigh-availability.storageDir: x\n",
    NULL, { "high-availability.type: zookeeper", "high-availability.storageDir: x" }, { NULL },
    "config.yaml:1: deprecated key", 0, NULL },
  { "renames: the current name wins in one source (after)", 0, { NULL },
    "high-availability: zookeeper\nhigh-availability.type: kubernetes", NULL, NULL,
    { "high-availability.type: kubernetes" }, { "zookeeper" }, "current and its deprecated name", 0, NULL },
  { "renames: the current name wins in one source (before)", 0, { NULL },
    "high-availability.type: kubernetes\nhigh-availability: zookeeper", NULL, NULL,
    { "high-availability.type: kubernetes" }, { "zookeeper" }, "current and its deprecated name", 0, NULL },
  { "renames: a later source still wins", 0, { NULL }, "high-availability: zookeeper", "high-availability.type: NONE\n",
    NULL, { "high-availability.type: zookeeper" }, { "NONE" }, NULL, 0, NULL },
  { "prefix conflict: both keys survive as flat keys", 0, { NULL },
    "fs.s3a.endpoint: http://minio:9000\nfs.s3a.endpoint.region: us-east-1", "fs:\n  s3a:\n    path.style.access: true\n",
    NULL, { "fs.s3a.endpoint: http://minio:9000", "fs.s3a.endpoint.region: us-east-1", "fs.s3a.path.style.access: true" },
    { NULL }, NULL, 0, NULL },

  /* ---- the base config.yaml ---- */
  { "base: types and text kept", 0, { NULL }, NULL,
    "i: 6123\nf: 1.5\nb: true\no: 0o17\ny11: yes\noct: 0123\ns: 'x y'\nd: \"q\"\ne: !!str 5\nt: !!int \"5\"\n"
    "l:\n  - a\n  - 'b c'\n  - 1\nfl: [x, {k: v}, [], {}]\nlit: |\n  a\n  b\nfold: >\n  a\n  b\n"
    "loc: !foo bar\nmem: 1600m\nneg: -Xmx1g\n", NULL,
    { "i: 6123", "f: 1.5", "b: true", "o: 0o17", "y11: yes", "oct: 0123", "s: 'x y'", "d: \"q\"", "e: '5'",
      "t: !!int \"5\"", "l: [a, 'b c', 1]", "fl: [x, {k: v}, [], {}]", "lit: \"a\\nb\\n\"",
      "fold: \"a b\\n\"", "loc: !foo bar", "mem: 1600m", "neg: -Xmx1g" }, { NULL }, NULL, 0, NULL },
  { "base: explicit tags found after a BOM, CRLF and multibyte characters", 0, { NULL }, NULL,
    "\xef\xbb\xbfk\xc3\xa9\xc3\xa9: \xe2\x82\xac\r\nb: !!str 12\r\nc: &a !!str 13\r\nd: &b 14\r\ne: *a\r\nf: ! 15\r\n",
    NULL, { "k\xc3\xa9\xc3\xa9: \xe2\x82\xac", "b: '12'", "c: '13'", "d: 14", "e: '13'", "f: '15'" }, { NULL }, NULL, 0, NULL },
  { "base: nested and flat keys mix, order kept", 0, { NULL }, NULL,
    "a:\n  b: 1\n  c:\n    d: 2\na.e: 3\nz: 4\n", NULL, { "a.b: 1", "a.c.d: 2", "a.e: 3", "z: 4" }, { NULL }, NULL, 0, NULL },
  { "base: anchors and aliases expanded", 0, { NULL }, NULL, "a: &x [1, 2]\nb: *x\nc: &s hello\nd: *s\n", NULL,
    { "a: [1, 2]", "b: [1, 2]", "c: hello", "d: hello" }, { "&", "*" }, NULL, 0, NULL },
  { "base: block value under a sequence becomes flow and is quoted", 0, { NULL }, NULL,
    "l:\n  - a,b\n  - x: 1\n    y: [2]\n  - '[q'\n", NULL, { "l: ['a,b', {x: 1, y: [2]}, '[q']" }, { NULL }, NULL, 0, NULL },
  { "base: bad keys dropped with a warning", 0, { NULL }, NULL, "a..b: 1\nok: 2\nx:\n  '': 3\n", NULL, { "ok: 2" },
    { "a..b", "x." }, "config.yaml:1: key 'a..b' contains '..'", 0, NULL },
  { "base: empty and comment-only files", 0, { NULL }, NULL, "# nothing\n\n", NULL, { "blob.server.port: '6124'" },
    { NULL }, NULL, 0, NULL },
  { "base: explicit null document", 0, { NULL }, NULL, "--- ~\n", NULL, { "blob.server.port: '6124'" },
    { NULL }, NULL, 0, NULL },
  { "base: duplicate key, both lines, no value", 0, { NULL }, NULL, "a: " SECRET "\nb: 2\na: " SECRET "2\n", NULL,
    { NULL }, { NULL }, NULL, 3, "duplicate key 'a' (lines 1 and 3)" },
  { "base: nested duplicate key", 0, { NULL }, NULL, "x:\n  y: 1\n  z: 2\n  y: " SECRET "\n", NULL, { NULL }, { NULL },
    NULL, 4, "duplicate key 'x.y' (lines 2 and 4)" },
  { "base: duplicate key holding maps", 0, { NULL }, NULL, "x:\n  y: 1\nx:\n  z: 2\n", NULL, { NULL }, { NULL },
    NULL, 3, "duplicate key 'x' (lines 1 and 3)" },
  { "base: two keys flatten to one: the later wins, as Flink", 0, { NULL }, NULL, "a.b: 1\na:\n  b: 2\nc: 3\n", NULL,
    { "a.b: 2", "c: 3" }, { "a.b: 1" }, "config.yaml:3: 'a.b' is set twice, flat and nested (lines 1 and 3)", 0, NULL },
  { "base: two keys flatten to one: nested first", 0, { NULL }, NULL, "a:\n  b: 2\na.b: 1\n", NULL,
    { "a.b: 1" }, { "a.b: 2" }, "set twice", 0, NULL },
  { "base: null values are not written (Flink cannot load them)", 0, { NULL }, NULL,
    "nul:\nnn: ~\nN: Null\nt: !!null x\nq: 'null'\nok: 1\n", NULL, { "q: 'null'", "ok: 1" },
    { "\nnul", "\nnn:", "\nN:", "\nt:" }, "config.yaml:1: 'nul' has no value (null)", 0, NULL },
  { "base: syntax error", 0, { NULL }, NULL, "a: 1\nb: [1, 2\nc: 3\n", NULL, { NULL }, { NULL }, NULL, 3, "flow sequence" },
  { "base: not a mapping", 0, { NULL }, NULL, "- a\n- b\n", NULL, { NULL }, { NULL }, NULL, 1, "not a mapping" },
  { "base: two documents", 0, { NULL }, NULL, "a: 1\n---\nb: 2\n", NULL, { NULL }, { NULL }, NULL, 3, "more than one" },
  { "base: unsupported tag", 0, { NULL }, NULL, "a: !!set {x}\n", NULL, { NULL }, { NULL }, NULL, 1, "unsupported tag" },
  { "base: non-scalar key", 0, { NULL }, NULL, "? [a]\n: 1\n", NULL, { NULL }, { NULL }, NULL, 1, "not a scalar" },
  { "base: recursive alias", 0, { NULL }, NULL, "a: &r [1, *r]\n", NULL, { NULL }, { NULL }, NULL, 1, "nested deeper" },
  { "base: alias bomb", 0, { NULL }, NULL,
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    NULL, { NULL }, { NULL }, NULL, 6, "nodes" },
  { "base: NUL in a value", 0, { NULL }, NULL, "a: \"x\\0y\"\n", NULL, { NULL }, { NULL }, NULL, 1, "NUL" },
  { "base: control character", 0, { NULL }, NULL, "a: 1\nb: \x01\n", NULL, { NULL }, { NULL }, NULL, 2, "control characters" },

  /* ---- issue 10: trimming, precedence, JVM options, line breaks, surprises ---- */
  { "trim: mapped and default variables in config.yaml", 0,
    { "TASK_MANAGER_NUMBER_OF_TASK_SLOTS=4\n", "JOB_MANAGER_RPC_ADDRESS=jobmanager\n", "PARALLELISM_DEFAULT= 2 " },
    NULL, NULL, NULL, { "taskmanager.numberOfTaskSlots: '4'", "jobmanager.rpc.address: jobmanager",
      "parallelism.default: '2'" }, { "\\n" }, NULL, 0, NULL },
  { "trim: through ${VAR}", 0, { "A=jm\n", "P= 7 " }, "rest.address: ${A}\nx: ${A}:${P}", NULL, NULL,
    { "rest.address: jm", "x: jm:7" }, { "\\n" }, NULL, 0, NULL },
  { "precedence: FLINK_PROPERTIES' deprecated name beats a mapped variable", 0,
    { "CHECKPOINT_DIR=file:///env-cp", "SAVEPOINT_DIR=file:///env-sp", "HA_ZOOKEEPER_QUORUM=env:2181",
      "HA_STORAGE_DIR=file:///env-ha", "HA_MODE=zookeeper" },
    "state.checkpoints.dir: file:///p-cp\nstate.savepoints.dir: file:///p-sp\nrecovery.zookeeper.quorum: p:2181\n"
    "high-availability.zookeeper.storageDir: file:///p-ha", NULL, NULL,
    { "state.checkpoints.dir: file:///p-cp", "state.savepoints.dir: file:///p-sp", "recovery.zookeeper.quorum: p:2181",
      "high-availability.zookeeper.storageDir: file:///p-ha" }, { "env-cp", "env-sp", "env:2181", "env-ha" },
    "FLINK_PROPERTIES:1: 'state.checkpoints.dir' replaces 'execution.checkpointing.dir' from CHECKPOINT_DIR", 0, NULL },
  { "precedence: legacy high-availability: NONE beats HA_MODE", RENDER_LEGACY, { "HA_MODE=zookeeper" },
    "high-availability: NONE", NULL, NULL, { "high-availability: NONE" }, { "high-availability.type", "savepoints/ha" },
    "replaces 'high-availability.type' from HA_MODE", 0, NULL },
  { "precedence: the base file's deprecated name goes too", 0, { "CHECKPOINT_DIR=file:///env" }, NULL,
    "state.checkpoints.dir: file:///base\n", NULL, { "execution.checkpointing.dir: file:///env" }, { "file:///base" },
    NULL, 0, NULL },
  { "java opts: env.java.opts keeps the base file's env.java.opts.all", 0, { NULL }, "env.java.opts: -Dx=1",
    "env:\n  java:\n    opts:\n      all: --add-opens=java.base/java.lang=ALL-UNNAMED\n", NULL,
    { "env.java.opts.all: --add-opens=java.base/java.lang=ALL-UNNAMED -Dx=1" }, { "\nenv.java.opts:" },
    "'env.java.opts' is appended to the base file's 'env.java.opts.all'", 0, NULL },
  { "java opts: the same in flink-conf.yaml", RENDER_LEGACY, { NULL }, "env.java.opts: -Dx=1",
    "env.java.opts.all: --add-opens=a=ALL\n", NULL, { "env.java.opts.all: --add-opens=a=ALL -Dx=1" },
    { "\nenv.java.opts:" }, "appended", 0, NULL },
  { "java opts: an explicit env.java.opts.all replaces", 0, { NULL }, "env.java.opts.all: -Dx=1",
    "env.java.opts.all: --add-opens=a=ALL\n", NULL, { "env.java.opts.all: -Dx=1" }, { "add-opens" }, NULL, 0, NULL },
  { "java opts: tabs and line breaks become spaces", 0, { "O=-Da=1\t-Db=2\n-Dc=3" }, "env.java.opts.taskmanager: ${O}",
    NULL, NULL, { "env.java.opts.taskmanager: -Da=1 -Db=2 -Dc=3" }, { NULL }, "tabs and line breaks in JVM options", 0,
    NULL },
  { "props: a lone CR ends a line", 0, { NULL }, "a: 1\rb: 2\r\nc: 3", NULL, NULL, { "a: '1'", "b: '2'", "c: '3'" },
    { "\\r" }, NULL, 0, NULL },
  { "props: BOM and no-break space around a key removed", 0, { NULL }, "\xef\xbb\xbf" "a.b\xc2\xa0: 1", NULL, NULL,
    { "a.b: '1'" }, { "\xef\xbb\xbf", "\xc2\xa0" }, "FLINK_PROPERTIES:1: a BOM or no-break space around the key 'a.b'", 0,
    NULL },
  { "legacy: invalid UTF-8 dropped with a warning, as in config.yaml", RENDER_LEGACY, { "V=a\xff" }, "k: ${V}\nok: 1",
    NULL, NULL, { "ok: 1" }, { "\nk:" }, "the value of 'k' is not valid UTF-8", 0, NULL },
  { "surprise: yes is not a boolean", 0, { NULL }, "x.enabled: yes", NULL, NULL, { "x.enabled: 'yes'" }, { NULL },
    "Flink's booleans are only true and false", 0, NULL },
  { "surprise: 0x10 is not an int", 0, { NULL }, "parallelism.default: 0x10", NULL, NULL, { NULL }, { NULL },
    "decimal only", 0, NULL },
  { "surprise: keys are case-sensitive", 0, { NULL }, "Rest.Port: 8082", NULL, NULL, { NULL }, { NULL },
    "'Rest.Port' is not 'rest.port'", 0, NULL },
  { "surprise: quotes are literal", 0, { NULL }, "a: 'x'", NULL, NULL, { NULL }, { NULL },
    "quotes in FLINK_PROPERTIES are part of the value", 0, NULL },
  { "surprise: legacy has no flow lists", RENDER_LEGACY, { NULL }, "a: [x, y]", NULL, NULL, { "a: [x, y]" }, { NULL },
    "flink-conf.yaml has no [a, b] lists", 0, NULL },
  { "surprise: JVM options with double quotes", 0, { NULL }, "env.java.opts.all: -Da=\"x y\"", NULL, NULL, { NULL },
    { NULL }, "break Flink's config.sh", 0, NULL },
  { "surprise: JVM options with a lone '", 0, { NULL }, "env.java.opts.jobmanager: -Da=it's", NULL, NULL, { NULL },
    { NULL }, "break Flink's config.sh", 0, NULL },

  /* ---- legacy flink-conf.yaml ---- */
  { "legacy: Flink's reading of the base file", RENDER_LEGACY, { NULL }, NULL,
    "# comment\njobmanager.rpc.port: 6123 # trailing\nbad line\n: nokey\nnovalue: \nk3: a: b\r\nk4:x\n"
    "rest.port: 1\nrest.port: 8081\n   spaced.key   :    v w   \n", NULL,
    { "jobmanager.rpc.port: 6123", "k3: a: b", "rest.port: 8081", "spaced.key: v w" },
    { "# comment", "trailing", "bad line", "nokey", "novalue", "k4" }, "flink-conf.yaml:3: no ': '", 0, NULL },
  { "legacy: no quoting, no renames", RENDER_LEGACY, { "JOB_MANAGER_RPC_ADDRESS=jm" },
    "high-availability: zookeeper\nx: true\ny: 'q'", NULL, NULL,
    { "jobmanager.rpc.address: jm", "blob.server.port: 6124", "query.server.port: 6125",
      "high-availability: zookeeper", "x: true", "y: 'q'" }, { "high-availability.type" }, NULL, 0, NULL },
  { "legacy: '#' in a value cannot be written", RENDER_LEGACY, { NULL }, "a: x#y\nb: #z\nc: 1", "a: old\n", NULL,
    { "c: 1" }, { "a:", "x#y", "b:", "#z", "old" }, "FLINK_PROPERTIES:1: 'a' has '#' in its value", 0, NULL },
  { "legacy: line breaks, empty values, '#' in keys are not written", RENDER_LEGACY, { "NL=a\nb: c" },
    "n: ${NL}\ne:\nk#x: 1\nok: 1", NULL, NULL, { "ok: 1" }, { "n:", "e:", "k#x", "b: c" },
    "FLINK_PROPERTIES:1: 'n' has a line break", 0, NULL },
  { "legacy: values from the environment are trimmed like Flink does", RENDER_LEGACY, { "SP=  v  " }, "s: ${SP}",
    NULL, NULL, { "s: v" }, { NULL }, NULL, 0, NULL },
};

/* ---- the quoting table: FLINK_PROPERTIES "k: ${V}" with V = value -> "k: <want>" ---- */
static const struct { const char *value, *want; } quoting[] = {
  { "6124", "'6124'" }, { "true", "'true'" }, { "True", "'True'" }, { "FALSE", "'FALSE'" }, { "0123", "'0123'" },
  { "null", "'null'" }, { "Null", "'Null'" }, { "~", "'~'" }, { "1e3", "'1e3'" }, { "1.5", "'1.5'" }, { "-1", "'-1'" },
  { "+1", "'+1'" }, { ".5", "'.5'" }, { "0x1F", "'0x1F'" }, { "0o17", "'0o17'" }, { "0b101", "'0b101'" },
  { "1_000", "'1_000'" }, { "12:30", "'12:30'" }, { "2001-12-14", "'2001-12-14'" }, { ".inf", "'.inf'" },
  { "-.Inf", "'-.Inf'" }, { ".NaN", "'.NaN'" }, { "yes", "'yes'" }, { "No", "'No'" }, { "on", "'on'" },
  { "OFF", "'OFF'" }, { "y", "'y'" }, { "n", "'n'" }, { "=", "'='" }, { "<<", "'<<'" }, { "*", "'*'" },
  { "*a", "'*a'" }, { "- x", "'- x'" }, { "-", "'-'" }, { "-x", "-x" }, { "--add-opens=a/b=ALL", "--add-opens=a/b=ALL" },
  { "{a}", "'{a}'" }, { "[a, b]", "'[a, b]'" }, { "]", "']'" }, { "}", "'}'" }, { "@x", "'@x'" }, { "|x", "'|x'" },
  { ">x", "'>x'" }, { "!x", "'!x'" }, { "&x", "'&x'" }, { "%x", "'%x'" }, { "`x`", "'`x`'" }, { "#x", "'#x'" },
  { "\"x\"", "'\"x\"'" }, { "'x'", "'''x'''" }, { "?x", "'?x'" }, { ",x", "',x'" }, { ":x", "':x'" },
  { "---x", "'---x'" }, { "...", "'...'" }, { "a: b", "'a: b'" }, { "a:", "'a:'" }, { "a #b", "'a #b'" },
  { "a#b", "a#b" }, { "a:b", "a:b" }, { " x", "x" }, { "x ", "x" }, { " ", "''" }, { "", "''" },
  { "it's", "it's" }, { "'it's", "'''it''s'" }, { "1600m", "1600m" }, { "50 s", "50 s" }, { "2g", "2g" },
  { "100ms", "100ms" }, { "3 min", "3 min" }, { "a;b", "a;b" }, { "zk1:2181,zk2:2181", "zk1:2181,zk2:2181" },
  { "http://jm:8081/x?a=b&c", "http://jm:8081/x?a=b&c" }, { "EXACTLY_ONCE", "EXACTLY_ONCE" }, { "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9" },
  { "a\tb", "\"a\\tb\"" }, { "a\nb", "\"a\\nb\"" }, { "a\r\n", "a" }, { "\x01", "''" }, { "a\rb", "\"a\\rb\"" },
  { "x\x7f", "\"x\\x7F\"" }, { "\xc2\x85", "\"\\x85\"" }, { "\xe2\x80\xa8", "\"\\u2028\"" },
  { "\xef\xbb\xbfx", "\"\\uFEFFx\"" }, { "'q'\n\"\\", "\"'q'\\n\\\"\\\\\"" },
};

static char **make_env(const struct rcase *c, char **buf, char *props)
{
  int n = 0;
  for(int i = 0; i < 12 && c->env[i]; i++)
    buf[n++] = (char *)c->env[i];
  if(c->props) {
    snprintf(props, 8192, "FLINK_PROPERTIES=%s", c->props);
    buf[n++] = props;
  }
  buf[n] = NULL;
  return buf;
}

/* Number of times `line` is a whole line of doc. */
static int count_line(const char *doc, const char *line)
{
  size_t n = strlen(line);
  int hits = 0;
  for(const char *p = doc; (p = strstr(p, line)); p++)
    if((p == doc || p[-1] == '\n') && p[n] == '\n')
      hits++;
  return hits;
}

static int warned(const struct render_result *r, const char *want)
{
  char line[300];
  for(int i = 0; i < r->nwarn; i++) {
    snprintf(line, sizeof(line), "%s:%d: %s", r->warn[i].where, r->warn[i].line, r->warn[i].msg);
    if(strstr(line, want))
      return 1;
  }
  return 0;
}

static void no_secret_in_messages(const struct render_result *r, const struct render_error *e)
{
  for(int i = 0; i < r->nwarn; i++)
    CHECK(!strstr(r->warn[i].msg, SECRET));
  CHECK(!strstr(e->msg, SECRET));
}

static void run_case(const struct rcase *c)
{
  char *envp[16], props[8192];
  struct render_input in = { 0 };
  struct render_result res, res2;
  struct render_error err;
  int rc, bad = unit_failed;

  in.envp = make_env(c, envp, props);
  in.base = c->base;
  in.base_len = c->base ? strlen(c->base) : 0;
  in.format = c->fmt ? c->fmt : RENDER_YAML;
  in.rpc_address = c->rpc;
  rc = render_document(&in, &res, &err);
  no_secret_in_messages(&res, &err);
  if(c->err_line) {
    CHECK_INT(rc, -1);
    CHECK(res.doc == NULL);
    CHECK_INT(err.line, c->err_line);
    CHECK(c->err && strstr(err.msg, c->err));
    if(unit_failed != bad)
      fprintf(stderr, "  in case \"%s\": error %s:%d: %s\n", c->name, err.file, err.line, err.msg);
    return;
  }
  CHECK_INT(rc, 0);
  if(rc) {
    fprintf(stderr, "  in case \"%s\": error %s:%d: %s\n", c->name, err.file, err.line, err.msg);
    return;
  }
  for(int i = 0; i < 24 && c->want[i]; i++) {
    int hits = count_line(res.doc, c->want[i]);
    CHECK_INT(hits, 1);
    if(hits != 1)
      fprintf(stderr, "  line \"%s\" expected once\n", c->want[i]);
  }
  for(int i = 0; i < 6 && c->not[i]; i++) {
    CHECK(!strstr(res.doc, c->not[i]));
  }
  if(c->warn) {
    CHECK(warned(&res, c->warn));
  }
  CHECK_INT(render_check(res.doc, res.len, in.format, &err), 0);

  /* idempotence: the output as the next base file, same environment -> the same bytes */
  in.base = res.doc;
  in.base_len = res.len;
  CHECK_INT(render_document(&in, &res2, &err), 0);
  CHECK(res2.doc && res2.len == res.len && !memcmp(res2.doc, res.doc, res.len));
  render_result_free(&res2);

  if(unit_failed != bad) {
    fprintf(stderr, "  in case \"%s\"; output:\n%s", c->name, res.doc);
    for(int i = 0; i < res.nwarn; i++)
      fprintf(stderr, "  warning %s:%d: %s\n", res.warn[i].where, res.warn[i].line, res.warn[i].msg);
  }
  render_result_free(&res);
}

/* The value of key k in a YAML doc, read with libyaml's event parser (independent of render.c). */
static int yaml_value(const char *doc, const char *k, char *out, size_t cap)
{
  yaml_parser_t p;
  yaml_event_t ev;
  int depth = 0, is_key = 1, found = 0, want = 0;
  yaml_parser_initialize(&p);
  yaml_parser_set_input_string(&p, (const unsigned char *)doc, strlen(doc));
  for(;;) {
    if(!yaml_parser_parse(&p, &ev))
      break;
    if(ev.type == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if(ev.type == YAML_MAPPING_START_EVENT)
      depth++;
    else if(ev.type == YAML_SCALAR_EVENT && depth == 1) {
      if(is_key)
        want = !strcmp((const char *)ev.data.scalar.value, k);
      else if(want && ev.data.scalar.length < cap) {
        memcpy(out, ev.data.scalar.value, ev.data.scalar.length + 1);
        found = 1;
      }
      is_key = !is_key;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&p);
  return found;
}

/* s without the blanks and control characters at its ends (what the renderer keeps). */
static const char *trimmed(const char *s, char *buf)
{
  size_t n = strlen(s);
  while(n && (unsigned char)s[n - 1] <= ' ')
    n--;
  while(n && (unsigned char)*s <= ' ')
    s++, n--;
  memcpy(buf, s, n);
  buf[n] = 0;
  return buf;
}

static void run_quoting(void)
{
  for(size_t i = 0; i < sizeof(quoting) / sizeof(quoting[0]); i++) {
    char var[256], line[256], got[256];
    char *envp[] = { var, "FLINK_PROPERTIES=k: ${V}", NULL };
    struct render_input in = { 0 };
    struct render_result res;
    struct render_error err;
    int bad = unit_failed;
    snprintf(var, sizeof(var), "V=%s", quoting[i].value);
    snprintf(line, sizeof(line), "k: %s", quoting[i].want);
    in.envp = envp;
    in.format = RENDER_YAML;
    CHECK_INT(render_document(&in, &res, &err), 0);
    if(!res.doc)
      continue;
    CHECK_INT(count_line(res.doc, line), 1);
    CHECK(yaml_value(res.doc, "k", got, sizeof(got)) && !strcmp(got, trimmed(quoting[i].value, var)));
    if(unit_failed != bad)
      fprintf(stderr, "  quoting \"%s\": want \"%s\", output:\n%s", quoting[i].value, line, res.doc);
    render_result_free(&res);
  }
}

/* Keys and long keys: a key that YAML would type, a key over YAML's 1024-character limit. */
static void run_keys(void)
{
  static char props[4000], var[1600];
  char *envp[] = { props, NULL };
  struct render_input in = { 0 };
  struct render_result res;
  struct render_error err;
  memset(var, 'k', 1500);
  var[1500] = 0;
  snprintf(props, sizeof(props), "FLINK_PROPERTIES=6123: a\ntrue: b\nmy key: c\n%s: long\n# x: y", var);
  in.envp = envp;
  in.format = RENDER_YAML;
  CHECK_INT(render_document(&in, &res, &err), 0);
  if(!res.doc)
    return;
  CHECK_INT(count_line(res.doc, "'6123': a"), 1);
  CHECK_INT(count_line(res.doc, "'true': b"), 1);
  CHECK_INT(count_line(res.doc, "my key: c"), 1);
  snprintf(props, sizeof(props), "? %s", var);
  CHECK_INT(count_line(res.doc, props), 1);
  CHECK_INT(count_line(res.doc, ": long"), 1);
  render_result_free(&res);
}

/* The order: base keys in file order, then new keys in the order first set; deterministic. */
static void run_order(void)
{
  char *envp[] = { "FLINK_PROPERTIES=z.new: 1\nb: 2\na.new: 3\nz.new: 4", "JOB_MANAGER_RPC_ADDRESS=jm", NULL };
  const char *base = "b: 0\na: 0\n";
  struct render_input in = { .envp = envp, .base = base, .base_len = strlen(base), .format = RENDER_YAML };
  struct render_result r1, r2;
  struct render_error err;
  CHECK_INT(render_document(&in, &r1, &err), 0);
  CHECK_INT(render_document(&in, &r2, &err), 0);
  CHECK(r1.doc && r2.doc && r1.len == r2.len && !memcmp(r1.doc, r2.doc, r1.len));
  if(r1.doc) {
    const char *p = strstr(r1.doc, "\nb: '2'\na: 0\njobmanager.rpc.address: jm\nblob.server.port: '6124'\n"
                                    "query.server.port: '6125'\nz.new: '4'\na.new: '3'\n");
    CHECK(p != NULL);
    CHECK_INT(r1.nkeys, 7);
  }
  render_result_free(&r1);
  render_result_free(&r2);
}

static void run_warning_cap(void)
{
  static char props[20000];
  char *envp[] = { props, NULL };
  struct render_input in = { 0 };
  struct render_result res;
  struct render_error err;
  size_t n = (size_t)snprintf(props, sizeof(props), "FLINK_PROPERTIES=");
  for(int i = 0; i < 50; i++)
    n += (size_t)snprintf(props + n, sizeof(props) - n, "noline%d\n", i);
  in.envp = envp;
  in.format = RENDER_YAML;
  CHECK_INT(render_document(&in, &res, &err), 0);
  CHECK_INT(res.nwarn, RENDER_WARN_MAX);
  CHECK_INT(res.nwarn_lost, 50 - RENDER_WARN_MAX);
  render_result_free(&res);
}

/* ---- the file layer -------------------------------------------------------------------------- */

static char tmproot[64];

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void rm_rf(const char *path)
{
  nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void put_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if(!f) {
    perror(path);
    exit(2);
  }
  fputs(text, f);
  fclose(f);
}

static char *get_file(const char *path)
{
  static char buf[65536];
  FILE *f = fopen(path, "r");
  size_t n;
  if(!f)
    return NULL;
  n = fread(buf, 1, sizeof(buf) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

/* A FLINK_HOME with lib/<jar> and conf/ (optionally holding files). */
static void make_home(const char *home, const char *jar)
{
  char p[512];
  rm_rf(home);
  mkdir(home, 0755);
  snprintf(p, sizeof(p), "%s/lib", home);
  mkdir(p, 0755);
  snprintf(p, sizeof(p), "%s/conf", home);
  mkdir(p, 0755);
  if(jar) {
    snprintf(p, sizeof(p), "%s/lib/%s", home, jar);
    put_file(p, "");
  }
}

static int temp_files_in(const char *dir)
{
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -q pinit-", dir);
  return system(cmd) == 0;
}

static void run_version(void)
{
  static const struct { const char *jar; int rc, major, minor; } t[] = {
    { "flink-dist-1.20.1.jar", 0, 1, 20 }, { "flink-dist-2.0.0.jar", 0, 2, 0 },
    { "flink-dist_2.12-1.14.6.jar", 0, 1, 14 }, { "flink-dist-1.19-SNAPSHOT.jar", 0, 1, 19 },
    { "flink-table-1.20.1.jar", -1, 0, 0 }, { NULL, -1, 0, 0 },
  };
  char home[128];
  snprintf(home, sizeof(home), "%s/ver", tmproot);
  for(size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    int a = -1, b = -1;
    make_home(home, t[i].jar);
    CHECK_INT(render_flink_version(home, &a, &b), t[i].rc);
    if(!t[i].rc) {
      CHECK_INT(a, t[i].major);
      CHECK_INT(b, t[i].minor);
    }
  }
}

static void run_pick(void)
{
  static const struct {
    const char *jar;
    int legacy_file;
    enum render_format want, got;
  } t[] = {
    { "flink-dist-1.20.1.jar", 1, RENDER_AUTO, RENDER_LEGACY }, { "flink-dist-1.20.1.jar", 0, RENDER_AUTO, RENDER_YAML },
    { "flink-dist-2.0.0.jar", 1, RENDER_AUTO, RENDER_YAML }, { "flink-dist-1.18.1.jar", 0, RENDER_AUTO, RENDER_LEGACY },
    { NULL, 1, RENDER_AUTO, RENDER_LEGACY }, { NULL, 0, RENDER_AUTO, RENDER_YAML },
    { "flink-dist-1.20.1.jar", 1, RENDER_YAML, RENDER_YAML }, { "flink-dist-2.0.0.jar", 0, RENDER_LEGACY, RENDER_LEGACY },
  };
  char home[128], conf[160], p[200];
  snprintf(home, sizeof(home), "%s/pick", tmproot);
  snprintf(conf, sizeof(conf), "%s/conf", home);
  for(size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    make_home(home, t[i].jar);
    if(t[i].legacy_file) {
      snprintf(p, sizeof(p), "%s/flink-conf.yaml", conf);
      put_file(p, "a: b\n");
    }
    CHECK_INT(render_pick_format(home, conf, t[i].want), t[i].got);
  }
}

static void run_atomic(void)
{
  char dir[128], path[200];
  struct stat st;
  const char *old = "a: 1\n";
  snprintf(dir, sizeof(dir), "%s/atomic", tmproot);
  rm_rf(dir);
  mkdir(dir, 0755);
  snprintf(path, sizeof(path), "%s/config.yaml", dir);
  put_file(path, old);
  chmod(path, 0640);

  /* a document that does not parse is never renamed into place */
  errno = 0;
  CHECK_INT(render_write_atomic(dir, "config.yaml", "a: [1\n", 6, RENDER_YAML), -1);
  CHECK_INT(errno, EBADMSG);
  CHECK_STR(get_file(path), old);
  CHECK(!temp_files_in(dir));

  /* success: new bytes, the old mode */
  CHECK_INT(render_write_atomic(dir, "config.yaml", "b: 2\n", 5, RENDER_YAML), 0);
  CHECK_STR(get_file(path), "b: 2\n");
  CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640);
  CHECK(!temp_files_in(dir));

  /* the owner is kept when rendering as root (the flink user must still read it) */
  if(geteuid() == 0 && chown(path, 9999, 9999) == 0) {
    CHECK_INT(render_write_atomic(dir, "config.yaml", "c: 3\n", 5, RENDER_YAML), 0);
    CHECK(stat(path, &st) == 0 && st.st_uid == 9999 && st.st_gid == 9999);
  }

  /* a new file: 0644 */
  snprintf(path, sizeof(path), "%s/flink-conf.yaml", dir);
  CHECK_INT(render_write_atomic(dir, "flink-conf.yaml", "x: y\n", 5, RENDER_LEGACY), 0);
  CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);

  /* a missing dir */
  CHECK_INT(render_write_atomic("/nonexistent-pinit", "config.yaml", "a: 1\n", 5, RENDER_YAML), -1);
  CHECK_INT(errno, ENOENT);
}

static void run_flink_config(void)
{
  char home[128], other[160], path[200], out[256], jm[64];
  char fh[200], fcd[200], *envp[6];
  const char *bad = "a: 1\nb: 2\na: 3\n";
  struct render_opts o = { 0 };
  char *text;

  snprintf(home, sizeof(home), "%s/home", tmproot);
  make_home(home, "flink-dist-1.20.1.jar");
  snprintf(fh, sizeof(fh), "FLINK_HOME=%s", home);
  snprintf(jm, sizeof(jm), "JOB_MANAGER_RPC_ADDRESS=jm");
  envp[0] = fh;
  envp[1] = jm;
  envp[2] = "FLINK_PROPERTIES=parallelism.default: 2";
  envp[3] = NULL;

  /* a corrupt base file: -1, the file byte for byte as it was, no temp file */
  snprintf(path, sizeof(path), "%s/conf/config.yaml", home);
  put_file(path, bad);
  CHECK_INT(render_flink_config(envp, NULL, out, sizeof(out)), -1);
  CHECK_STR(get_file(path), bad);
  snprintf(other, sizeof(other), "%s/conf", home);
  CHECK(!temp_files_in(other));

  /* a good one: rendered in place, out = the conf dir */
  put_file(path, "jobmanager:\n  rpc:\n    port: 6123\n");
  CHECK_INT(render_flink_config(envp, NULL, out, sizeof(out)), 0);
  CHECK_STR(out, other);
  text = get_file(path);
  CHECK(text && strstr(text, "\njobmanager.rpc.port: 6123\njobmanager.rpc.address: jm\n"));
  CHECK(text && strstr(text, "\nparallelism.default: '2'\n"));
  /* again: the same bytes */
  char first[4096];
  snprintf(first, sizeof(first), "%s", text ? text : "");
  CHECK_INT(render_flink_config(envp, NULL, out, sizeof(out)), 0);
  CHECK_STR(get_file(path), first);

  /* legacy picked for 1.20 with a flink-conf.yaml */
  snprintf(path, sizeof(path), "%s/conf/flink-conf.yaml", home);
  put_file(path, "# old\ntaskmanager.numberOfTaskSlots: 2\n");
  CHECK_INT(render_flink_config(envp, NULL, out, sizeof(out)), 0);
  text = get_file(path);
  CHECK(text && strstr(text, "\ntaskmanager.numberOfTaskSlots: 2\njobmanager.rpc.address: jm\nblob.server.port: 6124\n"));
  o.format = RENDER_YAML;    /* the override: Flink 1.20 would read flink-conf.yaml, refused */
  snprintf(path, sizeof(path), "%s/conf/config.yaml", home);
  snprintf(first, sizeof(first), "%s", get_file(path));
  CHECK_INT(render_flink_config(envp, &o, out, sizeof(out)), -1);
  CHECK_STR(get_file(path), first);
  o.format = RENDER_AUTO;

  /* FLINK_CONF_DIR: rendered there, FLINK_HOME/conf untouched */
  snprintf(other, sizeof(other), "%s/other-conf", tmproot);
  rm_rf(other);
  mkdir(other, 0755);
  snprintf(fcd, sizeof(fcd), "FLINK_CONF_DIR=%s", other);
  envp[3] = fcd;
  envp[4] = NULL;
  snprintf(path, sizeof(path), "%s/conf/config.yaml", home);
  snprintf(first, sizeof(first), "%s", get_file(path));
  CHECK_INT(render_flink_config(envp, NULL, out, sizeof(out)), 0);
  CHECK_STR(out, other);
  CHECK_STR(get_file(path), first);
  snprintf(path, sizeof(path), "%s/config.yaml", other);
  text = get_file(path);
  CHECK(text && strstr(text, "\njobmanager.rpc.address: jm\n"));

  /* dry run: nothing written */
  unlink(path);
  o.dry_run = 1;
  fflush(stdout);
  int saved = dup(1), null = open("/dev/null", O_WRONLY);
  dup2(null, 1);
  int rc = render_flink_config(envp, &o, out, sizeof(out));
  dup2(saved, 1);
  close(saved);
  close(null);
  CHECK_INT(rc, 0);
  CHECK(access(path, F_OK) < 0);

  /* out_conf_dir too small */
  o.dry_run = 0;
  CHECK_INT(render_flink_config(envp, &o, out, 4), -1);
}

static void run_copy(void)
{
  char src[128], dst[128], p[256], q[256];
  struct stat st;
  snprintf(src, sizeof(src), "%s/ro-src", tmproot);
  snprintf(dst, sizeof(dst), "%s/copy-dst", tmproot);
  rm_rf(src);
  rm_rf(dst);
  mkdir(src, 0755);
  snprintf(p, sizeof(p), "%s/..data", src);
  mkdir(p, 0755);
  snprintf(p, sizeof(p), "%s/..data/config.yaml", src);
  put_file(p, "a: 1\n");
  snprintf(p, sizeof(p), "%s/config.yaml", src);
  CHECK_INT(symlink("..data/config.yaml", p), 0);     /* a ConfigMap's layout */
  snprintf(p, sizeof(p), "%s/log4j-console.properties", src);
  put_file(p, "rootLogger.level = INFO\n");
  chmod(p, 0600);
  snprintf(p, sizeof(p), "%s/sub", src);
  mkdir(p, 0755);

  CHECK_INT(render_copy_conf_dir(src, dst), 0);
  snprintf(q, sizeof(q), "%s/config.yaml", dst);
  CHECK_STR(get_file(q), "a: 1\n");
  CHECK(lstat(q, &st) == 0 && S_ISREG(st.st_mode));
  snprintf(q, sizeof(q), "%s/log4j-console.properties", dst);
  CHECK_STR(get_file(q), "rootLogger.level = INFO\n");
  CHECK(stat(q, &st) == 0 && (st.st_mode & 0777) == 0600);
  snprintf(q, sizeof(q), "%s/sub", dst);
  CHECK(access(q, F_OK) < 0);
  snprintf(q, sizeof(q), "%s/..data", dst);
  CHECK(access(q, F_OK) < 0);
  /* again over the existing copy */
  CHECK_INT(render_copy_conf_dir(src, dst), 0);
  /* a symlink where the copy should go is refused */
  rm_rf(dst);
  CHECK_INT(symlink(src, dst), 0);
  CHECK_INT(render_copy_conf_dir(src, dst), -1);
  unlink(dst);
}

static void run_cmd(void)
{
  char fh[200], *envp[] = { fh, "JOB_MANAGER_RPC_ADDRESS=jm", NULL };
  char *a1[] = { "render", "--bogus", NULL };
  char *a2[] = { "render", "--format", "toml", NULL };
  char *a3[] = { "render", "--format", NULL };
  char *a4[] = { "render", "--dry-run", "--format=yaml", NULL };
  char *a5[] = { "render", NULL };
  char home[128], path[200];
  snprintf(home, sizeof(home), "%s/cmd", tmproot);
  make_home(home, "flink-dist-2.0.0.jar");
  snprintf(fh, sizeof(fh), "FLINK_HOME=%s", home);
  CHECK_INT(render_cmd(2, a1, envp), 64);
  CHECK_INT(render_cmd(3, a2, envp), 64);
  CHECK_INT(render_cmd(2, a3, envp), 64);
  fflush(stdout);
  int saved = dup(1), null = open("/dev/null", O_WRONLY);
  dup2(null, 1);
  CHECK_INT(render_cmd(3, a4, envp), 0);
  dup2(saved, 1);
  close(saved);
  close(null);
  snprintf(path, sizeof(path), "%s/conf/config.yaml", home);
  CHECK(access(path, F_OK) < 0);
  CHECK_INT(render_cmd(1, a5, envp), 0);
  CHECK(get_file(path) && strstr(get_file(path), "\njobmanager.rpc.address: jm\n"));
  put_file(path, "a: [\n");
  CHECK_INT(render_cmd(1, a5, envp), 78);
  CHECK_STR(get_file(path), "a: [\n");
}

/* ---- timing ---------------------------------------------------------------------------------- */

static void run_bench(void)
{
  static char props[200000];
  char *envp[] = { props, "JOB_MANAGER_RPC_ADDRESS=jm", "DATA=/data", NULL };
  struct render_input in = { 0 };
  struct render_result res;
  struct render_error err;
  struct timespec t0, t1;
  size_t n = (size_t)snprintf(props, sizeof(props), "FLINK_PROPERTIES=");
  for(int i = 0; i < 1000; i++)
    n += (size_t)snprintf(props + n, sizeof(props) - n,
                          i % 10 == 0 ? "# comment %d\n" : "pipeline.key-%d.value: ${DATA}/x -Dy=%d 50 s\n", i, i);
  in.envp = envp;
  in.format = RENDER_YAML;
  double best = 1e9;
  for(int r = 0; r < 20; r++) {
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = render_document(&in, &res, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_INT(rc, 0);
    if(r == 0)
      CHECK_INT(res.nkeys, 900 + 3);
    render_result_free(&res);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    if(ms < best)
      best = ms;
  }
  printf("render: 1,000-line FLINK_PROPERTIES rendered in %.2f ms (best of 20)\n", best);
  CHECK(best < 250);
}

int main(void)
{
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    run_case(&cases[i]);
  run_quoting();
  run_keys();
  run_order();
  run_warning_cap();

  snprintf(tmproot, sizeof(tmproot), "/tmp/pinit-test-render-XXXXXX");
  if(!mkdtemp(tmproot)) {
    perror("mkdtemp");
    return 2;
  }
  run_version();
  run_pick();
  run_atomic();
  run_flink_config();
  run_copy();
  run_cmd();
  rm_rf(tmproot);

  run_bench();
  return unit_done("test_render");
}
