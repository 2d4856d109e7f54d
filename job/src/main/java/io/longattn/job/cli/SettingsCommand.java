package io.longattn.job.cli;

import io.longattn.job.settings.Settings;
import picocli.CommandLine.Command;

/** Prints the settings table (the README's table is this output). */
@Command(name = "settings", description = "Print every setting (Spark conf key, flag, type, default, allowed values) as a Markdown table.")
final class SettingsCommand implements Runnable {
    @Override
    public void run() {
        System.out.print(Settings.markdownTable());
    }
}
