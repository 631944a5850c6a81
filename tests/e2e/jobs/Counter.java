// Counter.java - the stateful streaming job of tests/e2e/test_job.py: a checkpointed counter
// source (its next value is operator state), a sink that appends each value as one line to a
// file on the shared data volume (flushed per line), parallelism 1.  After a restore from a
// checkpoint or savepoint the source goes on from the value in that state, so the file shows
// whether a restart resumed (first value after it close to the last one before) or started
// from scratch (0), and whether values went missing (at-least-once: duplicates, no gaps).
//
//   Counter OUTPUT_FILE [VALUES_PER_SECOND]
import java.io.FileWriter;
import java.util.Collections;
import java.util.List;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.checkpoint.ListCheckpointed;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.streaming.api.functions.source.SourceFunction;

public class Counter {
    @SuppressWarnings("deprecation")
    static class CountingSource implements SourceFunction<Long>, ListCheckpointed<Long> {
        private final int perSecond;
        private volatile boolean running = true;
        private long next = 0;

        CountingSource(int perSecond) { this.perSecond = perSecond; }

        @Override
        public void run(SourceContext<Long> ctx) throws Exception {
            while (running) {
                synchronized (ctx.getCheckpointLock()) {
                    ctx.collect(next);
                    next++;
                }
                Thread.sleep(1000 / perSecond);
            }
        }

        @Override
        public void cancel() { running = false; }

        @Override
        public List<Long> snapshotState(long checkpointId, long timestamp) {
            return Collections.singletonList(next);
        }

        @Override
        public void restoreState(List<Long> state) {
            for (Long v : state) next = v;
        }
    }

    @SuppressWarnings("deprecation")
    static class AppendSink extends RichSinkFunction<Long> {
        private final String path;
        private transient FileWriter out;

        AppendSink(String path) { this.path = path; }

        @Override
        public void open(Configuration parameters) throws Exception {
            out = new FileWriter(path, true);
        }

        @Override
        public void invoke(Long value, Context context) throws Exception {
            out.write(value + "\n");
            out.flush();
        }

        @Override
        public void close() throws Exception {
            if (out != null) out.close();
        }
    }

    public static void main(String[] args) throws Exception {
        String file = args.length > 0 ? args[0] : "/opt/flink/data/counter.txt";
        int perSecond = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.addSource(new CountingSource(perSecond)).uid("counter-source").name("counter")
           .addSink(new AppendSink(file)).uid("file-sink").name("append-to-file");
        env.execute("pinit-e2e-counter");
    }
}
