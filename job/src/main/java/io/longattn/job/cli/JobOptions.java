package io.longattn.job.cli;

import io.longattn.job.UserError;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flags shared by run and demo: the settings (generated from their declarations, see
 * {@link SettingFlags}) and how Spark is reached.
 */
public final class JobOptions {
    final SettingFlags settings = SettingFlags.forJob();

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: local[*], or what spark-submit was given).")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Spark or LongAttn setting; repeatable.")
    List<String> conf = new ArrayList<>();

    @Option(names = "--report", paramLabel = "FILE", description = "Write a JSON report of the run to FILE.")
    String report;

    @Option(names = "--verbose", description = "Show stack traces for user errors too.")
    boolean verbose;

    /** --conf entries, then the setting flags on top. */
    Map<String, String> conf() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String kv : conf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new UserError("--conf", "'" + kv + "' is not KEY=VALUE", "KEY=VALUE such as spark.longattn.kernel=scalar");
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        out.putAll(settings.values());
        return out;
    }
}
