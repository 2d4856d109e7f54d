package io.longattn.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `plan` of many sequences: from a length list or the run's cu_seqlens, with per-sequence lines and balance. */
class PlanSequencesTest {
    @TempDir
    Path dir;

    @Test
    void lengthListPrintsPerSequenceTotalsAndBalance() {
        String text = PlanCommandTest.stdout("plan", "--lengths", "2048x1000,65536", "--heads", "2", "--dim", "64", "--causal",
                "--partitions", "16");
        assertTrue(text.contains("plan for 1001 sequences: 2,113,536 queries, 2,113,536 keys in all (longest 65,536 x 65,536)"), text);
        assertTrue(text.contains("    sequence 1000: 65,536 x 65,536, 2,147,516,416 unmasked pairs"), text);
        assertTrue(text.contains("    991 sequences more: "), text);
        String json = PlanCommandTest.stdout("plan", "--lengths", "2048x1000,65536", "--heads", "2", "--dim", "64", "--causal",
                "--partitions", "16", "--json");
        assertEquals(1001, PlanCommandTest.field(json, "sequences"));
        double ratio = Double.parseDouble(json.split("\"max_over_mean\": ")[1].split("[,}]")[0]);
        assertTrue(ratio <= 1.05, json);
        // 2 * pairs * Hq * (D + Dv): 1000 causal sequences of 2048 and one of 65536
        double pairs = 1000 * 2048.0 * 2049 / 2 + 65536.0 * 65537 / 2;
        assertEquals(2 * pairs * 2 * 128, PlanCommandTest.field(json, "total_flops"), 1e-6 * pairs);
    }

    @Test
    void cuSeqlensFilesPlanLikeTheRun() {
        String cu = SequencesJobTest.offsets(dir.resolve("cu.npy"), new int[]{5, 0, 300}, true);
        String text = PlanCommandTest.stdout("plan", "--cu-seqlens-q", cu, "--heads", "4", "--kv-heads", "2", "--dim", "16",
                "--partitions", "2");
        assertTrue(text.contains("plan for 3 sequences: 305 queries, 305 keys in all"), text);
        assertTrue(text.contains("    sequence 1: 0 x 0, 0 unmasked pairs, 0 units in 0 partitions"), text);
    }

    @Test
    void badListsAreOneLineErrors() {
        CliErrorsTest.Outcome e = CliErrorsTest.cli("plan", "--lengths", "2048x", "--heads", "2", "--dim", "64");
        assertEquals(2, e.code(), e.err());
        assertTrue(e.err().startsWith("longattn: --lengths: item '2048x' is not a length, expected "), e.err());
        CliErrorsTest.Outcome both = CliErrorsTest.cli("plan", "--lengths", "10", "--seq", "10", "--heads", "2", "--dim", "64");
        assertEquals("longattn: --seq: is given with --lengths, expected the lengths from one of them only", both.err().strip());
        CliErrorsTest.Outcome none = CliErrorsTest.cli("plan", "--heads", "2", "--dim", "64");
        assertEquals("longattn: --seq: is missing, expected the query sequence length, an integer > 0", none.err().strip());
    }
}
