package io.longattn.job.scale;

import io.longattn.job.JobLauncher;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How this JVM starts the others: its own java, its classpath (plus the jar holding LongAttn when a
 * class loader, not the classpath, brought it, as spark-submit does) and the JVM flags from the build.
 *
 * @param jobJar the jar holding LongAttn's job classes, or null when they come from a class folder
 */
record JvmLaunch(String java, String classpath, List<String> flags, String jobJar) {

    static JvmLaunch current() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Set<String> cp = new LinkedHashSet<>(Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
        String jar = null;
        try {
            var src = JobLauncher.class.getProtectionDomain().getCodeSource();
            if (src != null) {
                Path own = Path.of(src.getLocation().toURI());
                if (Files.isRegularFile(own)) jar = own.toString();
                if (!cp.contains(own.toString())) {
                    List<String> withOwn = new ArrayList<>(List.of(own.toString()));
                    withOwn.addAll(cp);
                    cp = new LinkedHashSet<>(withOwn);
                }
            }
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            // the classpath alone: right for bin/longattn and the tests
        }
        cp.remove("");
        List<String> flags = Arrays.stream(JobLauncher.jvmFlags().split("\\s+")).filter(s -> !s.isEmpty()).toList();
        return new JvmLaunch(java, String.join(File.pathSeparator, cp), flags, jar);
    }

    /** java, the flags, the extra options, -cp and the main class. */
    List<String> command(List<String> options, String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(flags);
        cmd.addAll(options);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        return cmd;
    }
}
