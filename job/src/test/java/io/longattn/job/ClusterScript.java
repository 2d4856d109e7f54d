package io.longattn.job;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bin/local-cluster run by tests, with its state under a test's folder and the test's classpath and JDK. */
final class ClusterScript {
    private ClusterScript() {
    }

    /** Runs the script with args; asserts it ends within 2 minutes with status 0 and returns what it printed. */
    static String run(Path state, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("..", "bin", "local-cluster").toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("LONGATTN_CLUSTER_DIR", state.toString());
        env.put("LONGATTN_CLASSPATH", System.getProperty("java.class.path"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
