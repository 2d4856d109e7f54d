package io.longattn.job;

import io.longattn.job.settings.Settings;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's settings table is the one Settings generates (`bin/longattn settings`). */
class SettingsReadmeTest {
    @Test
    void readmeHasTheGeneratedSettingsTable() throws Exception {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme);
        assertTrue(text.contains(Settings.markdownTable()),
                "README.md's settings table differs from `bin/longattn settings`; paste its output into the README");
    }
}
