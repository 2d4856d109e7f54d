package io.longattn.job.cli;

import io.longattn.job.settings.Setting;
import io.longattn.job.settings.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line options made from setting declarations (flag, parameter label, meaning, default), so a
 * flag is declared once, in {@link Settings}. The values stay text until the job checks them with the
 * same parser `--conf` goes through.
 */
final class SettingFlags {
    /** A command whose options include settings. */
    interface Holder {
        SettingFlags settingFlags();
    }

    /** The settings run and demo take as flags: every setting that has one. */
    static SettingFlags forJob() {
        return new SettingFlags(Settings.ALL.stream().filter(s -> s.flag() != null).toList());
    }

    private final List<Setting<?>> settings;
    private final Map<String, String> values = new LinkedHashMap<>();

    SettingFlags(List<Setting<?>> settings) {
        this.settings = settings;
    }

    /** Adds one option per setting to a command. */
    void addTo(CommandSpec spec) {
        for (Setting<?> s : settings) {
            // a boolean flag alone means true (--timeline), as picocli's own boolean options do
            boolean bool = s.defaultValue() instanceof Boolean;
            OptionSpec.Builder option = OptionSpec.builder(s.flag()).paramLabel(s.paramLabel()).type(String.class)
                    .arity(bool ? "0..1" : "1");
            if (bool) option.fallbackValue("true");
            spec.addOption(option
                    .description(s.doc() + " Default: " + s.defaultText() + ".")
                    .setter(new CommandLine.Model.ISetter() {
                        @Override
                        public <T> T set(T value) {
                            if (value == null) values.remove(s.key());
                            else values.put(s.key(), value.toString());
                            return null;
                        }
                    }).build());
        }
    }

    /** The flags given, by setting key (text, as --conf would give it). */
    Map<String, String> values() {
        return values;
    }

    /** A setting's value: the flag if given, else its default (checked either way). */
    <T> T get(Setting<T> s) {
        return s.get(values);
    }
}
