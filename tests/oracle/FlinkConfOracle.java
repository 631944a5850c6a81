/* FlinkConfOracle - what Flink itself reads from a conf dir: the test oracle of pinit's
 * renderer (tests/blackbox/flink_oracle.py builds and runs it).
 *
 *   java -cp <this>:flink-dist-1.20.1.jar FlinkConfOracle CONF_DIR
 *
 * Loads CONF_DIR with GlobalConfiguration.loadConfiguration (so Flink picks flink-conf.yaml
 * or config.yaml exactly as it does at start) and prints one JSON object on stdout:
 *   {"keys": {KEY: [JAVA_TYPE, STRING_VALUE], ...},
 *    "options": {OPTION_KEY: {"value": TYPED_VALUE_AS_STRING} | {"unset": true}
 *                            | {"error": MESSAGE}, ...}}
 * keys: every key of the loaded Configuration with the Java class of its stored value and
 * Flink's own string form; options: the typed values (deprecated and fallback keys
 * resolved by Flink) of the options pinit maps or reads.  A file Flink cannot load:
 * {"error": MESSAGE} and exit 2.
 */
import java.lang.reflect.Field;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.configuration.BlobServerOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;

public final class FlinkConfOracle {
  private static final ConfigOption<?>[] OPTIONS = {
    JobManagerOptions.ADDRESS, JobManagerOptions.PORT, RestOptions.PORT, BlobServerOptions.PORT,
    TaskManagerOptions.RPC_PORT, TaskManagerOptions.NUM_TASK_SLOTS,
    TaskManagerOptions.TOTAL_PROCESS_MEMORY, JobManagerOptions.TOTAL_PROCESS_MEMORY,
    JobManagerOptions.JOB_MANAGER_HEAP_MEMORY, CoreOptions.DEFAULT_PARALLELISM,
    CoreOptions.FLINK_JVM_OPTIONS, CoreOptions.FLINK_JM_JVM_OPTIONS, CoreOptions.FLINK_TM_JVM_OPTIONS,
    HighAvailabilityOptions.HA_MODE, HighAvailabilityOptions.HA_ZOOKEEPER_QUORUM,
    HighAvailabilityOptions.HA_CLUSTER_ID, HighAvailabilityOptions.HA_STORAGE_PATH,
    CheckpointingOptions.CHECKPOINTS_DIRECTORY, CheckpointingOptions.SAVEPOINT_DIRECTORY,
    CheckpointingOptions.CHECKPOINTING_INTERVAL, StateBackendOptions.STATE_BACKEND,
  };

  private static String json(Object o) {
    if(o == null)
      return "null";
    String s = o.toString();
    StringBuilder b = new StringBuilder("\"");
    for(int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if(ch == '"' || ch == '\\')
        b.append('\\').append(ch);
      else if(ch < 0x20 || ch == 0x7f || (ch >= 0xd800 && ch <= 0xdfff))
        b.append(String.format("\\u%04x", (int)ch));
      else
        b.append(ch);
    }
    return b.append('"').toString();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> raw(Configuration conf) throws ReflectiveOperationException {
    Field f = Configuration.class.getDeclaredField("confData");
    f.setAccessible(true);
    return (Map<String, Object>)f.get(conf);
  }

  public static void main(String[] args) throws Exception {
    Configuration conf;
    try {
      conf = GlobalConfiguration.loadConfiguration(args[0]);
    }
    catch(RuntimeException e) {
      System.out.println("{\"error\": " + json(e.getClass().getSimpleName() + ": " + e.getMessage()) + "}");
      System.exit(2);
      return;
    }
    StringBuilder out = new StringBuilder("{\"keys\": {");
    Map<String, String> strings = conf.toMap();
    String sep = "";
    for(Map.Entry<String, Object> e : new TreeMap<>(raw(conf)).entrySet()) {
      Object v = e.getValue();
      out.append(sep).append(json(e.getKey())).append(": [")
         .append(json(v == null ? "null" : v.getClass().getSimpleName())).append(", ")
         .append(json(strings.get(e.getKey()))).append(']');
      sep = ", ";
    }
    out.append("}, \"options\": {");
    sep = "";
    for(ConfigOption<?> opt : OPTIONS) {
      out.append(sep).append(json(opt.key())).append(": {");
      try {
        Object v = conf.getOptional(opt).orElse(null);
        out.append(v == null ? "\"unset\": true" : "\"value\": " + json(v));
      }
      catch(RuntimeException e) {
        out.append("\"error\": ").append(json(e.getMessage()));
      }
      out.append('}');
      sep = ", ";
    }
    System.out.println(out.append("}}"));
  }
}
