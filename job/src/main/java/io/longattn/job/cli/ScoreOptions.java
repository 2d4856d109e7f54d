package io.longattn.job.cli;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** --scale and --softcap, for run and scale (null: the default scale 1/sqrt(D), no soft cap). */
final class ScoreOptions {
    @Option(names = "--scale", paramLabel = "X", description = "Score scale (default 1/sqrt(D)).")
    Double scale;

    @Option(names = "--softcap", paramLabel = "C", description = "Soft-cap scores: C * tanh(s / C).")
    Double softcap;

    /** The flags as `longattn run` takes them: the ones given. */
    List<String> flags() {
        List<String> out = new ArrayList<>();
        if (scale != null) out.addAll(List.of("--scale", String.valueOf(scale)));
        if (softcap != null) out.addAll(List.of("--softcap", String.valueOf(softcap)));
        return out;
    }
}
