/*
 * Collector.java - a TEST FIXTURE standing in for the pipeline's cdc-collector.
 *
 * It is NOT a change-data-capture service.  It exists so that the compose stack and the
 * end-to-end tests have a real Java service under pinit in the cdc-collector container:
 * it really connects to the MySQL-protocol database (MariaDB here, OceanBase in the real
 * deployment) over JDBC, runs a trivial query periodically, and serves on port 8080
 *
 *   GET /health        200 when live and ready, else 503       (JSON)
 *   GET /health/live   200 while the query loop is not stuck   (JSON)
 *   GET /health/ready  200 while the last query succeeded recently, else 503 (JSON)
 *   GET /metrics       Prometheus text format
 *
 * Run (Java 17 single-file source launcher; Debian's libmariadb-java has the driver):
 *
 *   java -cp /usr/share/java/mariadb-java-client.jar Collector.java
 *
 * Environment:
 *   DATABASE_HOST (required), DATABASE_PORT (3306), DATABASE_USERNAME, DATABASE_PASSWORD,
 *   DATABASE_NAME (none), DATABASE_PARAMS (extra JDBC URL parameters, "k=v&k=v"),
 *   COLLECTOR_PORT (8080), COLLECTOR_QUERY_INTERVAL_MS (5000),
 *   COLLECTOR_QUERY ("SELECT 1"), COLLECTOR_HTTP (on; "off": serve nothing, for the case
 *   where pinit's own endpoint answers on 8080 instead).
 *   DATAHUB_ENDPOINT, DATAHUB_ACCESS_ID, DATAHUB_ACCESS_KEY are only reported as set or not.
 * Secrets are never printed.  SIGTERM: stops the HTTP server and the loop, exits 143.
 */

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

public class Collector {
    static final String NAME = "cdc-collector-fixture";

    static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? def : v;
    }

    static void log(String level, String msg) {
        System.out.println(Instant.now() + " " + NAME + ": " + level + ": " + msg);
        System.out.flush();
    }

    // state shared by the query loop and the HTTP handlers
    static final long started = System.currentTimeMillis();
    static final AtomicLong lastTick = new AtomicLong(System.currentTimeMillis());
    static final AtomicLong lastSuccess = new AtomicLong(0);
    static final AtomicLong okTotal = new AtomicLong(0);
    static final AtomicLong errTotal = new AtomicLong(0);
    static final AtomicLong connectsTotal = new AtomicLong(0);
    static final AtomicLong lastQueryNanos = new AtomicLong(0);
    static volatile String lastError = "no query yet";
    static volatile String serverVersion = "";
    static volatile boolean stopping = false;

    static long intervalMs;
    static String url, user, password, query;

    public static void main(String[] args) throws Exception {
        String host = System.getenv("DATABASE_HOST");
        if (host == null || host.isEmpty()) {
            log("error", "DATABASE_HOST is not set");
            System.exit(78);
        }
        String port = env("DATABASE_PORT", "3306");
        String db = env("DATABASE_NAME", "");
        String params = env("DATABASE_PARAMS", "");
        url = "jdbc:mariadb://" + host + ":" + port + "/" + db
                + "?connectTimeout=3000&socketTimeout=5000" + (params.isEmpty() ? "" : "&" + params);
        user = env("DATABASE_USERNAME", "");
        password = env("DATABASE_PASSWORD", "");
        query = env("COLLECTOR_QUERY", "SELECT 1");
        intervalMs = Long.parseLong(env("COLLECTOR_QUERY_INTERVAL_MS", "5000"));
        int httpPort = Integer.parseInt(env("COLLECTOR_PORT", "8080"));
        boolean http = !"off".equalsIgnoreCase(env("COLLECTOR_HTTP", "on"));

        log("info", "TEST FIXTURE, not a real CDC collector: pid " + ProcessHandle.current().pid()
                + ", database " + host + ":" + port + (db.isEmpty() ? "" : "/" + db)
                + " as " + (user.isEmpty() ? "(no user)" : user)
                + ", password " + (password.isEmpty() ? "not set" : "set")
                + ", datahub endpoint " + (System.getenv("DATAHUB_ENDPOINT") == null ? "not set" : "set")
                + ", query every " + intervalMs + " ms");

        HttpServer server = null;
        if (http) {
            server = HttpServer.create(new InetSocketAddress("0.0.0.0", httpPort), 16);
            server.createContext("/", Collector::handle);
            server.setExecutor(Executors.newFixedThreadPool(2));
            server.start();
            log("info", "serving /health, /health/live, /health/ready, /metrics on :" + httpPort);
        } else {
            log("info", "COLLECTOR_HTTP=off: no HTTP endpoint");
        }

        final HttpServer srv = server;
        final Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            log("info", "stopping (signal)");
            if (srv != null)
                srv.stop(0);
            main.interrupt();
        }));

        loop();
    }

    static void loop() {
        Connection conn = null;
        while (!stopping) {
            lastTick.set(System.currentTimeMillis());
            long t0 = System.nanoTime();
            try {
                if (conn == null || conn.isClosed()) {
                    conn = DriverManager.getConnection(url, user, password);
                    connectsTotal.incrementAndGet();
                    serverVersion = conn.getMetaData().getDatabaseProductVersion();
                    log("info", "connected, server version " + serverVersion);
                }
                try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(query)) {
                    while (rs.next()) {
                        // a trivial query: read the rows, nothing else
                    }
                }
                lastQueryNanos.set(System.nanoTime() - t0);
                okTotal.incrementAndGet();
                if (lastSuccess.getAndSet(System.currentTimeMillis()) == 0 || !lastError.isEmpty())
                    log("info", "query ok (" + (System.nanoTime() - t0) / 1000000 + " ms): ready");
                lastError = "";
            } catch (SQLException e) {
                errTotal.incrementAndGet();
                String why = e.getClass().getSimpleName() + ": " + e.getMessage();
                if (!why.equals(lastError))
                    log("warn", "query failed: " + why);
                lastError = why;
                try {
                    if (conn != null)
                        conn.close();
                } catch (SQLException ignored) {
                }
                conn = null;
            }
            try {
                Thread.sleep(intervalMs);
            } catch (InterruptedException e) {
                break;
            }
        }
        try {
            if (conn != null)
                conn.close();
        } catch (SQLException ignored) {
        }
        log("info", "stopped");
    }

    static boolean live() {
        // stuck: the loop did not come round for 3 intervals plus the JDBC timeouts
        return System.currentTimeMillis() - lastTick.get() < 3 * intervalMs + 10000;
    }

    static boolean ready() {
        long s = lastSuccess.get();
        return lastError.isEmpty() && s != 0 && System.currentTimeMillis() - s < 3 * intervalMs + 10000;
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\')
                b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e)
                b.append('?');
            else
                b.append(c);
        }
        return b.toString();
    }

    static void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        int code;
        String body, type = "application/json";
        if (!method.equals("GET") && !method.equals("HEAD")) {
            ex.getResponseHeaders().set("Allow", "GET, HEAD");
            code = 405;
            body = "{\"status\":\"method not allowed\"}\n";
        } else {
            switch (path) {
                case "/health": {
                    boolean ok = live() && ready();
                    code = ok ? 200 : 503;
                    body = "{\"status\":\"" + (ok ? "UP" : "DOWN") + "\",\"fixture\":true"
                            + (ok ? "" : ",\"reason\":\"" + json(live() ? "not ready: " + lastError : "query loop stuck") + "\"")
                            + "}\n";
                    break;
                }
                case "/health/live": {
                    boolean ok = live();
                    code = ok ? 200 : 503;
                    body = "{\"status\":\"" + (ok ? "UP" : "DOWN") + "\",\"fixture\":true}\n";
                    break;
                }
                case "/health/ready": {
                    boolean ok = ready();
                    code = ok ? 200 : 503;
                    body = "{\"status\":\"" + (ok ? "UP" : "DOWN") + "\",\"fixture\":true"
                            + (ok ? "" : ",\"reason\":\"" + json(lastError) + "\"") + "}\n";
                    break;
                }
                case "/metrics":
                    code = 200;
                    type = "text/plain; version=0.0.4; charset=utf-8";
                    body = metrics();
                    break;
                default:
                    code = 404;
                    body = "{\"status\":\"not found\"}\n";
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        if (method.equals("HEAD")) {
            ex.sendResponseHeaders(code, -1);
        } else {
            ex.sendResponseHeaders(code, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        }
        ex.close();
    }

    static String metrics() {
        StringBuilder b = new StringBuilder();
        b.append("# HELP cdc_collector_fixture_info Always 1: this collector is a test fixture.\n");
        b.append("# TYPE cdc_collector_fixture_info gauge\n");
        b.append("cdc_collector_fixture_info{server_version=\"").append(json(serverVersion)).append("\"} 1\n");
        b.append("# HELP cdc_collector_database_up 1 when the last database query succeeded.\n");
        b.append("# TYPE cdc_collector_database_up gauge\n");
        b.append("cdc_collector_database_up ").append(ready() ? 1 : 0).append('\n');
        b.append("# HELP cdc_collector_queries_total Database queries, by result.\n");
        b.append("# TYPE cdc_collector_queries_total counter\n");
        b.append("cdc_collector_queries_total{result=\"success\"} ").append(okTotal.get()).append('\n');
        b.append("cdc_collector_queries_total{result=\"failure\"} ").append(errTotal.get()).append('\n');
        b.append("# HELP cdc_collector_connects_total Database connections opened.\n");
        b.append("# TYPE cdc_collector_connects_total counter\n");
        b.append("cdc_collector_connects_total ").append(connectsTotal.get()).append('\n');
        b.append("# HELP cdc_collector_last_success_timestamp_seconds Unix time of the last successful query.\n");
        b.append("# TYPE cdc_collector_last_success_timestamp_seconds gauge\n");
        b.append("cdc_collector_last_success_timestamp_seconds ").append(lastSuccess.get() / 1000.0).append('\n');
        b.append("# HELP cdc_collector_query_duration_seconds Duration of the last successful query.\n");
        b.append("# TYPE cdc_collector_query_duration_seconds gauge\n");
        b.append("cdc_collector_query_duration_seconds ").append(lastQueryNanos.get() / 1e9).append('\n');
        b.append("# HELP cdc_collector_start_time_seconds Unix time the fixture started.\n");
        b.append("# TYPE cdc_collector_start_time_seconds gauge\n");
        b.append("cdc_collector_start_time_seconds ").append(started / 1000.0).append('\n');
        return b.toString();
    }
}
