package io.longattn.job;

import io.longattn.partitioner.ChunkPlan;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `plan` prints the plan without running anything; its JSON has the documented fields. */
class PlanCommandTest {
    static String stdout(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute(args));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    static long field(String json, String key) {
        String rest = json.substring(json.indexOf("\"" + key + "\": ") + key.length() + 4);
        return (long) Double.parseDouble(rest.split("[,}]")[0]);
    }

    @Test
    void jsonHasTheFieldsAndTheWorkingSetIgnoresSequenceLength() {
        String small = stdout("plan", "--seq", "1048576", "--heads", "8", "--kv-heads", "2", "--dim", "64", "--causal",
                "--partitions", "16", "--json");
        String large = stdout("plan", "--seq", "16777216", "--heads", "8", "--kv-heads", "2", "--dim", "64", "--causal",
                "--partitions", "16", "--json");
        for (String key : new String[]{"q_chunk", "kv_chunk", "units", "partitions", "task_working_set_bytes", "total_flops",
                "max_over_mean", "max_over_mean_contiguous"}) {
            assertTrue(small.contains("\"" + key + "\": "), key + " in " + small);
        }
        assertEquals(field(small, "task_working_set_bytes"), field(large, "task_working_set_bytes"));
        assertEquals(16 * field(small, "units"), field(large, "units"));
        double balanced = Double.parseDouble(small.split("\"max_over_mean\": ")[1].split("[,}]")[0]);
        double contiguous = Double.parseDouble(small.split("\"max_over_mean_contiguous\": ")[1].split("[,}]")[0]);
        assertTrue(balanced <= 1.05, small);
        assertTrue(contiguous > 1.5, small);
    }

    @Test
    void textShowsTheWorkingSetTableAndAnEstimate() {
        String text = stdout("plan", "--seq", "65536", "--heads", "2", "--dim", "64", "--causal", "--partitions", "8", "--gflops", "50");
        assertTrue(text.contains("per-task working set"), text);
        assertTrue(text.contains("Qc*Hg*(Dv+2)*4"), text);
        assertTrue(text.contains("estimated time at 50.0 GFLOP/s"), text);
        assertTrue(text.contains("contiguous (--balance none) max/mean"), text);
    }

    @Test
    void countsAreSingularForOneAndTheTableIsAligned() {
        String text = stdout("plan", "--seq", "100", "--heads", "1", "--dim", "16", "--partitions", "1", "--q-chunk", "128");
        assertTrue(text.contains("-> 1 query chunk x 1 kv group = 1 unit\n"), text);
        assertTrue(text.contains("  1 partition: balanced"), text);
        java.util.List<String> rows = text.lines().filter(l -> l.endsWith(" B") || l.contains(" B (budget")).toList();
        assertTrue(rows.size() >= 5, text);
        java.util.Set<Integer> ends = new java.util.HashSet<>();
        for (String r : rows) ends.add(r.indexOf(" B") );
        assertEquals(1, ends.size(), "the byte column is aligned: " + text);
    }

    @Test
    void kernelThreadsGiveLargerQueryChunksAndTwoKvBlocks() {
        String one = stdout("plan", "--seq", "65536", "--heads", "2", "--dim", "64", "--partitions", "2", "--json");
        String many = stdout("plan", "--seq", "65536", "--heads", "2", "--dim", "64", "--partitions", "2", "--threads", "16", "--json");
        assertEquals(ChunkPlan.DEFAULT_QUERY_CHUNK, field(one, "q_chunk"));
        assertEquals(2048, field(many, "q_chunk")); // 16 threads x 128 rows, one query head per kv head
        String text = stdout("plan", "--seq", "65536", "--heads", "2", "--dim", "64", "--partitions", "2", "--threads", "16");
        assertTrue(text.contains("kv blocks of one head, current + next"), text);
    }
}
