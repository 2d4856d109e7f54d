package io.longattn.job.cli;

import io.longattn.job.UserError;
import io.longattn.kernels.KernelSelector;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * The command line (picocli). A user mistake prints one line ("longattn: <file or flag>: <what is wrong>,
 * expected <what>") and exits 2; a bug shows its stack trace and exits 1. No command: usage on stderr, 2.
 */
@Command(name = "longattn", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        scope = CommandLine.ScopeType.INHERIT, // every command takes --help (the error lines point to it) and --version
        description = "Exact softmax attention over very long sequences, as a Spark job.",
        subcommands = {RunCommand.class, GenCommand.class, DemoCommand.class, PlanCommand.class, BenchCommand.class, ScaleCommand.class,
                SettingsCommand.class, CommandLine.HelpCommand.class})
public final class Cli implements Callable<Integer> {
    /** Runs a command line and returns the exit status. */
    public static int execute(String... args) {
        // the commands print the kernel and why; JUL's console default would add two INFO lines per fallback
        KernelSelector.logFallbacks(false);
        CommandLine cl = commandLine();
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> handle(ex, parsed.hasMatchedOption("--verbose")
                || java.util.Arrays.asList(args).contains("--verbose"), cmd.getErr()));
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            // picocli quotes the user's arguments as given: escaped like every other error line
            err.println("longattn: " + UserError.printable(parameterMessage(ex)));
            err.flush();
            return 2;
        });
        String unknown = unknownOption(cl, args);
        if (unknown != null) {
            String cmd = args[0] + (args.length > 1 && !args[1].startsWith("-") ? " " + args[1] : "");
            cl.getErr().println("longattn: " + UserError.printable(unknown + ": unknown option for '" + cmd
                    + "', expected one of the options in 'longattn " + cmd + " --help'"));
            cl.getErr().flush();
            return 2;
        }
        return cl.execute(args);
    }

    /** An option the subcommand does not have (picocli would first complain about missing required ones). */
    static String unknownOption(CommandLine cl, String[] args) {
        CommandLine cmd = cl;
        int i = 0;
        while (i < args.length && cmd.getSubcommands().containsKey(args[i])) cmd = cmd.getSubcommands().get(args[i++]);
        if (cmd == cl) return null;
        CommandLine.Model.CommandSpec spec = cmd.getCommandSpec();
        for (; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.equals("--")) continue;
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (spec.findOption(name) == null) return name;
            if (!a.contains("=") && spec.findOption(name).arity().max() > 0) i++; // skip its value
        }
        return null;
    }

    static String parameterMessage(CommandLine.ParameterException ex) {
        String msg = ex.getMessage();
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String cmd = ex.getCommandLine().getCommandName();
            return u.getUnmatched().get(0) + ": unknown option for '" + cmd + "', expected one of the options in 'longattn "
                    + cmd + " --help'";
        }
        if (ex instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()) {
            CommandLine.Model.ArgSpec a = m.getMissing().get(0);
            String name = a instanceof CommandLine.Model.OptionSpec o ? o.longestName() : a.paramLabel();
            return name + ": missing, expected " + a.paramLabel() + " (a required option)";
        }
        return msg.endsWith(".") ? msg.substring(0, msg.length() - 1) : msg;
    }

    static int handle(Exception ex, boolean verbose, PrintWriter err) {
        if (io.longattn.job.Interruption.signal() != null) {
            // Spark stopped under the job because a signal is ending the JVM: its shutdown hook says so
            return 128 + ("SIGINT".equals(io.longattn.job.Interruption.signal()) ? 2 : 15);
        }
        Throwable user = userError(ex);
        if (user != null) {
            err.println("longattn: " + user.getMessage());
            if (verbose) ex.printStackTrace(err);
            err.flush();
            return 2;
        }
        err.println("longattn: internal error (a bug, please report it with this trace):");
        ex.printStackTrace(err);
        err.flush();
        return 1;
    }

    /** A UserError anywhere in the cause chain (Spark wraps task failures) is still a user mistake. */
    static Throwable userError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UserError) return c;
        }
        return null;
    }

    /** The command tree with every option, the generated ones too. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Cli());
        addSettingFlags(cl);
        return cl;
    }

    /** Options generated from setting declarations, on every command that takes some. */
    private static void addSettingFlags(CommandLine cl) {
        if (cl.getCommand() instanceof SettingFlags.Holder h) h.settingFlags().addTo(cl.getCommandSpec());
        for (CommandLine sub : cl.getSubcommands().values()) addSettingFlags(sub);
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return 2;
    }

    /** Version from the build. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws Exception {
            java.util.Properties p = new java.util.Properties();
            try (var in = UserError.class.getResourceAsStream("build.properties")) {
                if (in != null) p.load(in);
            }
            return new String[]{"longattn " + p.getProperty("version", "?") + " (Spark " + p.getProperty("spark", "?")
                    + ", Arrow " + p.getProperty("arrow", "?") + ")"};
        }
    }
}
