package io.longattn.job;

import io.longattn.job.settings.Settings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/longattn's class-data archive, on a copy of the launcher whose job/target holds this build as jars (CDS
 * refuses class folders): the first launch dumps, the next one checks and uses the archive, and an archive or
 * dump the JVM cannot map (a truncated one kills JDK 17 with SIGBUS), or a cache folder that cannot be made,
 * only means running without one: same output, nothing more on stderr.
 */
class LauncherScriptTest {
    @TempDir
    Path root;
    private Path cds;

    @BeforeEach
    void copyOfTheLauncher() throws IOException {
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("..", "bin", "longattn"), root.resolve("bin/longattn"));
        Files.createDirectories(root.resolve("conf"));
        Files.copy(Path.of("..", "conf", "log4j2.properties"), root.resolve("conf/log4j2.properties"));
        Path target = root.resolve("job/target");
        Files.createDirectories(target.resolve("launcher"));
        jar(Path.of("target", "classes"), target.resolve("longattn-job-test.jar"));
        List<String> cp = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (!Files.isDirectory(p)) {
                cp.add(entry);
            } else if (!p.toAbsolutePath().normalize().equals(Path.of("target", "classes").toAbsolutePath().normalize())) {
                Path j = root.resolve("lib" + n++ + ".jar");
                jar(p, j);
                cp.add(j.toString());
            }
        }
        Files.writeString(target.resolve("launcher/classpath.txt"), String.join(":", cp));
        Files.writeString(target.resolve("launcher/jvm.flags"), JobLauncher.jvmFlags() + "\n");
        cds = target.resolve("cds");
    }

    @Test
    void archiveIsDumpedCheckedAndUsed() throws Exception {
        String table = settings(Map.of());
        assertTrue(table.contains(Settings.markdownTable()), table);
        assertEquals(1, files(".tmp").size(), "the first launch dumps: " + files(""));
        assertEquals(table, settings(Map.of()));
        assertEquals(1, files(".jsa").size(), "the second launch moves the checked dump into place: " + files(""));
        assertTrue(files(".tmp").isEmpty(), files("").toString());
        Path classes = root.resolve("classes.log");
        assertEquals(table, settings(Map.of("LONGATTN_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes)));
        assertTrue(Files.readString(classes).contains("io.longattn.job.Main source: shared objects file"),
                "the third launch maps the archive");
    }

    @Test
    void truncatedArchiveOrDumpOnlyMeansRunningWithoutOne() throws Exception {
        String table = settings(Map.of());
        settings(Map.of());
        Path archive = files(".jsa").get(0);
        // a dump cut short by a JVM that is gone (no such pid): checked, found unusable, removed
        Path dump = cds.resolve(archive.getFileName().toString().replace(".jsa", ".2147483647.tmp"));
        Files.copy(archive, dump);
        truncate(dump);
        Files.createFile(Path.of(dump.toString().replace(".tmp", ".ok"))); // its command succeeded: the archive is checked
        truncate(archive);
        assertEquals(table, settings(Map.of()), "a resized archive is not mapped");
        Files.delete(archive);
        Files.delete(Path.of(archive + ".size"));
        assertEquals(table, settings(Map.of()));
        assertFalse(Files.exists(dump));
        assertTrue(files(".jsa").isEmpty(), files("").toString());
        try (Stream<Path> s = Files.list(root)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")), "the check's crash leaves no hs_err file");
        }
    }

    /** A first launch that failed (a mistyped flag) loaded a fraction of the command's classes: its dump is dropped. */
    @Test
    void aFailedLaunchLeavesNoArchive() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("bin/longattn").toString(), "settings", "--no-such-flag")
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(root.resolve("failed.txt").toFile());
        pb.environment().put("LONGATTN_NO_BUILD", "1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(2, p.exitValue(), Files.readString(root.resolve("failed.txt")));
        assertEquals(1, files(".tmp").size(), files("").toString());
        assertTrue(files(".ok").isEmpty(), files("").toString());
        settings(Map.of());
        assertTrue(files(".jsa").isEmpty(), "the failed launch's dump is not used: " + files(""));
        settings(Map.of());
        assertEquals(1, files(".jsa").size(), "the successful launch's dump is: " + files(""));
    }

    @Test
    void cacheFolderThatCannotBeMadeOnlyMeansRunningWithoutOne() throws Exception {
        Files.writeString(cds, "a file where the cache folder would be");
        String table = settings(Map.of());
        assertTrue(table.contains(Settings.markdownTable()), table);
        assertEquals(table, settings(Map.of("LONGATTN_CDS", "0")));
    }

    private static void truncate(Path file) throws IOException {
        file.toFile().setWritable(true);
        byte[] head = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(head, Math.min(head.length, 4096)));
    }

    /** `bin/longattn settings`: status 0, stderr no more than the JVM's WARNING lines; returns stdout. */
    private String settings(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("bin/longattn").toString(), "settings").directory(root.toFile());
        pb.environment().put("LONGATTN_NO_BUILD", "1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("LONGATTN_JAVA_OPTS");
        pb.environment().putAll(env);
        Path err = root.resolve("err.txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        List<String> errors = Files.readAllLines(err).stream().filter(l -> !l.startsWith("WARNING: ")).collect(Collectors.toList());
        assertEquals(0, p.exitValue(), out + String.join("\n", errors));
        assertEquals(List.of(), errors);
        return out;
    }

    private List<Path> files(String suffix) throws IOException {
        if (!Files.isDirectory(cds)) return List.of();
        try (Stream<Path> s = Files.list(cds)) {
            return s.filter(f -> f.toString().endsWith(suffix)).sorted().collect(Collectors.toList());
        }
    }

    private static void jar(Path classes, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }
}
