package io.longattn.job.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every option of every command has a help text, and the README's synopses name every option of run and plan. */
class OptionTextsTest {
    static void forEachCommand(CommandLine cl, java.util.function.Consumer<CommandLine> f) {
        f.accept(cl);
        for (CommandLine sub : cl.getSubcommands().values()) forEachCommand(sub, f);
    }

    @Test
    void everyOptionHasAHelpText() {
        forEachCommand(Cli.commandLine(), cl -> {
            for (OptionSpec o : cl.getCommandSpec().options()) {
                String text = String.join(" ", o.description()).strip();
                assertFalse(text.isEmpty(), cl.getCommandSpec().qualifiedName() + " " + o.longestName() + " has no help text");
            }
        });
    }

    @Test
    void readmeSynopsesNameEveryOptionOfRunAndPlan() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String commands = readme.substring(readme.indexOf("## Commands"), readme.indexOf("### Settings"));
        for (String name : new String[]{"run", "plan"}) {
            String synopsis = commands.substring(commands.indexOf("bin/longattn " + name + " "));
            synopsis = synopsis.substring(0, synopsis.indexOf("\nbin/longattn ", 1));
            for (OptionSpec o : Cli.commandLine().getSubcommands().get(name).getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp()) continue;
                assertTrue(synopsis.contains(o.longestName()), "README synopsis of " + name + " lacks " + o.longestName());
            }
        }
    }
}
