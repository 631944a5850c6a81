// WordCount.java - the small Flink job of the end-to-end tests (the Flink stand-in built from
// PyPI has no examples/ directory).  DataStream API, batch mode: splits a fixed text into
// words, counts them on the cluster, collects the counts back to the client and prints
// "word<TAB>count" lines, which tests/e2e/test_stack.py checks.
//
// Built inside the JobManager container against /opt/flink/lib, with the JDK compiler module
// the runtime carries (no javac needed), then submitted with `flink run`:
//   java -m jdk.compiler/com.sun.tools.javac.Main -cp '/opt/flink/lib/*' -d classes WordCount.java
//   java -m jdk.jartool/sun.tools.jar.Main cf wordcount.jar -C classes .
//   flink run -c WordCount wordcount.jar
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.ReduceFunction;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

public class WordCount {
    static final String[] TEXT = {
        "To be, or not to be, that is the question:",
        "Whether 'tis nobler in the mind to suffer",
        "The slings and arrows of outrageous fortune,",
        "Or to take arms against a sea of troubles",
    };

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        try (CloseableIterator<Tuple2<String, Integer>> it = env.fromData(TEXT)
                .flatMap(new FlatMapFunction<String, Tuple2<String, Integer>>() {
                    @Override
                    public void flatMap(String line, Collector<Tuple2<String, Integer>> out) {
                        for (String w : line.toLowerCase().split("\\W+"))
                            if (!w.isEmpty())
                                out.collect(Tuple2.of(w, 1));
                    }
                })
                .keyBy(new KeySelector<Tuple2<String, Integer>, String>() {
                    @Override
                    public String getKey(Tuple2<String, Integer> t) {
                        return t.f0;
                    }
                })
                .reduce(new ReduceFunction<Tuple2<String, Integer>>() {
                    @Override
                    public Tuple2<String, Integer> reduce(Tuple2<String, Integer> a, Tuple2<String, Integer> b) {
                        return Tuple2.of(a.f0, a.f1 + b.f1);
                    }
                })
                .executeAndCollect("pinit-e2e-wordcount")) {
            while (it.hasNext()) {
                Tuple2<String, Integer> t = it.next();
                System.out.println("WC\t" + t.f0 + "\t" + t.f1);
            }
        }
    }
}
