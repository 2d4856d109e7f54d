package io.longattn.job.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Where a job's wall went: phases with measured start and length, in seconds from the moment the job
 * was handed to the launcher. Driver phases are timed with the monotonic clock; phases that happen on
 * the executors (task set-up, compute) come from the tasks' own wall-clock stamps, which is why the
 * zero is kept on both clocks. Phases may overlap (output written while units still compute).
 */
public final class Timeline {
    /**
     * One measured phase; tasks' compute seconds ride along with the compute phase, and with a device
     * kernel each task's kernel seconds (the device's own time on its launches; null otherwise).
     */
    public record Phase(String name, double start, double seconds, double[] taskSeconds, double[] kernelSeconds) {
        public double end() {
            return start + seconds;
        }
    }

    private final long zeroNanos = System.nanoTime();
    private final long zeroMillis = System.currentTimeMillis();
    private final List<Phase> phases = new ArrayList<>();

    /** Seconds since the zero, on the driver's monotonic clock. */
    public double now() {
        return (System.nanoTime() - zeroNanos) / 1e9;
    }

    /** Seconds since the zero of a wall-clock time in milliseconds (an executor's stamp). */
    public double atMillis(long epochMillis) {
        return (epochMillis - zeroMillis) / 1e3;
    }

    /** Records a phase that began at {@code start} (from {@link #now}) and ends now. */
    public synchronized void since(String name, double start) {
        phases.add(new Phase(name, start, Math.max(0, now() - start), null, null));
    }

    /** Records a phase measured elsewhere; {@code taskSeconds} may be null. */
    public void add(String name, double start, double end, double[] taskSeconds) {
        add(name, start, end, taskSeconds, null);
    }

    /** As {@link #add(String, double, double, double[])} with each task's kernel seconds (null: none measured). */
    public synchronized void add(String name, double start, double end, double[] taskSeconds, double[] kernelSeconds) {
        phases.add(new Phase(name, start, Math.max(0, end - start), taskSeconds, kernelSeconds));
    }

    /** The phases by start time (a stable sort keeps equal starts in recording order). */
    public synchronized List<Phase> phases() {
        List<Phase> out = new ArrayList<>(phases);
        out.sort(Comparator.comparingDouble(Phase::start));
        return out;
    }

    public Phase phase(String name) {
        for (Phase p : phases()) if (p.name().equals(name)) return p;
        return null;
    }

    /** {"phase": {"start": s, "seconds": s[, "task_seconds": [...][, "kernel_seconds": [...]]]}, ...} in start order. */
    public Json toJson() {
        Json out = new Json();
        for (Phase p : phases()) {
            Json j = new Json().put("start", round(p.start())).put("seconds", round(p.seconds()));
            if (p.taskSeconds() != null) j.put("task_seconds", rounded(p.taskSeconds()));
            if (p.kernelSeconds() != null) j.put("kernel_seconds", rounded(p.kernelSeconds()));
            out.put(p.name(), j);
        }
        return out;
    }

    /** "spark_start 1.52 s, ..., compute 5.10 s (tasks 4.90, 4.95 s; kernel 2.01, 2.03 s), ..." for the final line. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (Phase p : phases()) {
            if (sb.length() > 0) sb.append(", ");
            sb.append(String.format(Locale.ROOT, "%s %.2f s", p.name(), p.seconds()));
            if (p.taskSeconds() != null && p.taskSeconds().length > 0) {
                sb.append(" (tasks");
                list(sb, p.taskSeconds());
                if (p.kernelSeconds() != null) {
                    sb.append(" s; kernel");
                    list(sb, p.kernelSeconds());
                }
                sb.append(" s)");
            }
        }
        return sb.toString();
    }

    private static void list(StringBuilder sb, double[] seconds) {
        for (int i = 0; i < seconds.length; i++) sb.append(String.format(Locale.ROOT, i == 0 ? " %.2f" : ", %.2f", seconds[i]));
    }

    private static double[] rounded(double[] seconds) {
        double[] t = seconds.clone();
        for (int i = 0; i < t.length; i++) t[i] = round(t[i]);
        return t;
    }

    private static double round(double s) {
        return Math.round(s * 1e3) / 1e3;
    }
}
