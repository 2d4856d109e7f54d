package io.longattn.job.scale;

import io.longattn.job.cli.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scale command end to end on a standalone cluster it starts here: 1 and 2 executors of one core,
 * strong and weak, on a small problem. Checks the files, the columns and the output bits, not the speed
 * (the suite shares two cores).
 */
class ScaleCommandTest {
    @TempDir
    Path dir;

    record Ran(int status, String log) {
    }

    Ran scale(String mode, Path out, String... more) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            List<String> args = new ArrayList<>(List.of("scale", "--executors", "2,1", "--mode", mode, "--seq", "256", "--heads", "2",
                    "--dim", "16", "--causal", "--kernel", "scalar", "--out", out.toString(), "--conf", "spark.executor.memory=512m",
                    "--conf", "spark.longattn.progressSeconds=0"));
            args.addAll(List.of(more));
            rc = Cli.execute(args.toArray(String[]::new));
        } finally {
            System.setErr(old);
        }
        return new Ran(rc, err.toString(StandardCharsets.UTF_8));
    }

    /** results.csv as maps from column to cell (no cell of this test's runs is quoted). */
    static List<Map<String, String>> rows(Path csv) throws Exception {
        List<String> lines = Files.readAllLines(csv);
        assertEquals(String.join(",", ResultsTable.COLUMNS), lines.get(0));
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            assertEquals(ResultsTable.COLUMNS.size(), cells.length, line);
            Map<String, String> row = new java.util.HashMap<>();
            for (int i = 0; i < cells.length; i++) row.put(ResultsTable.COLUMNS.get(i), cells[i]);
            rows.add(row);
        }
        return rows;
    }

    static void checkPlotsAndSummary(Path out) throws Exception {
        for (String png : List.of(ScalePlots.TIME, ScalePlots.EFFICIENCY)) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(img, png + " decodes");
            assertEquals(800, img.getWidth(), png);
        }
        String summary = Files.readString(out.resolve(ScaleExperiment.SUMMARY));
        assertTrue(summary.contains("](" + ScalePlots.TIME + ")") && summary.contains("](" + ScalePlots.EFFICIENCY + ")"), summary);
    }

    /** probe.csv has a finite, positive peak per point's thread count, the baseline's ceiling 1; the summary and last line show it. */
    static void checkProbe(Path out, String log) throws Exception {
        List<String> lines = Files.readAllLines(out.resolve(MachineCeiling.FILE));
        assertEquals(String.join(",", MachineCeiling.COLUMNS), lines.get(0));
        assertEquals(3, lines.size(), lines.toString());
        double[] ceilings = new double[2];
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            assertEquals(MachineCeiling.COLUMNS.size(), cells.length, lines.get(i));
            assertEquals(i, Integer.parseInt(cells[0]), "one executor of one core, then two: " + lines);
            double gflops = Double.parseDouble(cells[1]), perCore = Double.parseDouble(cells[2]);
            ceilings[i - 1] = Double.parseDouble(cells[3]);
            assertTrue(Double.isFinite(gflops) && gflops > 0 && Double.isFinite(ceilings[i - 1]) && ceilings[i - 1] > 0, lines.get(i));
            assertEquals(gflops / i, perCore, 0.006, lines.get(i)); // both rounded: 2 and 3 decimals
        }
        assertEquals(1.0, ceilings[0], 1e-9);
        String summary = Files.readString(out.resolve(ScaleExperiment.SUMMARY));
        assertTrue(summary.contains("| efficiency | ceiling | of attainable |"), summary);
        assertTrue(summary.contains("Machine ceiling: the FMA probe's GFLOP/s per busy core"), summary);
        String done = log.lines().filter(l -> l.startsWith("longattn: scale done")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("\\(machine ceiling (\\d+\\.\\d\\d)\\)").matcher(done);
        assertTrue(m.find(), done);
        assertEquals(ceilings[1], Double.parseDouble(m.group(1)), 0.0051, done);
        assertTrue(log.contains("longattn: scale machine ceiling | FMA probe at 1, 2 threads"), log);
    }

    /** Nothing the experiment started outlives it: no process names a path under its folder. */
    static void nothingLeftRunning(Path out) {
        List<String> left = ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .map(p -> p.info().commandLine().orElse("")).filter(c -> c.contains(out.toString())).collect(Collectors.toList());
        assertTrue(left.isEmpty(), "still running: " + left);
    }

    @Test
    void strongAndWeakOnOneAndTwoExecutors() throws Exception {
        Path strong = dir.resolve("strong");
        Ran s = scale("strong", strong);
        assertEquals(0, s.status(), s.log());
        assertEquals(2, s.log().lines().filter(l -> l.startsWith("longattn: scale strong point ")).count(), s.log());
        List<Map<String, String>> rows = rows(strong.resolve(ScaleExperiment.RESULTS));
        assertEquals(List.of("1", "2"), rows.stream().map(r -> r.get("executors")).toList());
        for (Map<String, String> r : rows) {
            assertEquals("strong", r.get("mode"));
            assertEquals("256", r.get("seq"));
            assertEquals("scalar", r.get("kernel"));
            assertEquals("true", r.get("causal"));
            assertTrue(r.get("output_sha256").matches("[0-9a-f]{64}"), r.toString());
            assertTrue(Double.parseDouble(r.get("wall_s")) > 0 && Double.parseDouble(r.get("compute_s")) > 0, r.toString());
        }
        assertEquals(1, rows.stream().map(r -> r.get("output_sha256")).distinct().count(), "identical bits: " + rows);
        assertEquals(1.0, Double.parseDouble(rows.get(0).get("efficiency")), 1e-9);
        checkPlotsAndSummary(strong);
        checkProbe(strong, s.log());
        nothingLeftRunning(strong);

        Path weak = dir.resolve("weak");
        // a probe.csv an earlier experiment in the folder left does not describe this one
        Files.createDirectories(weak);
        Files.writeString(weak.resolve(MachineCeiling.FILE), "threads,gflops,per_core,ceiling\n1,1.00,1.000,1.0000\n");
        Ran w = scale("weak", weak, "--no-probe");
        assertEquals(0, w.status(), w.log());
        assertFalse(Files.exists(weak.resolve(MachineCeiling.FILE)));
        assertFalse(w.log().contains("machine ceiling"), w.log());
        assertTrue(Files.readString(weak.resolve(ScaleExperiment.SUMMARY)).contains("Machine ceiling: not measured (--no-probe)."));
        rows = rows(weak.resolve(ScaleExperiment.RESULTS));
        // causal work grows with S^2: S x sqrt(2), rounded to 16 tokens
        assertEquals(List.of("256", "368"), rows.stream().map(r -> r.get("seq")).toList());
        assertEquals(List.of("256", "368"), rows.stream().map(r -> r.get("kv_seq")).toList());
        assertFalse(rows.get(0).get("output_sha256").equals(rows.get(1).get("output_sha256")));
        checkPlotsAndSummary(weak);
        nothingLeftRunning(weak);
    }
}
