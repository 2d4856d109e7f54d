package io.longattn.job;

import picocli.CommandLine.Command;

/** Prints the settings table (the README's table is this output). */
@Command(name = "settings", description = "Print every setting (Spark conf key, flag, default) as a Markdown table.")
final class SettingsCommand implements Runnable {
    @Override
    public void run() {
        System.out.print(Settings.markdownTable());
    }
}
