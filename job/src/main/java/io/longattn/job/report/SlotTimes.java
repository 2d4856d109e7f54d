package io.longattn.job.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Busy seconds per task slot, from the tasks' start and end stamps on their executors: on each executor, tasks
 * are laid on slots in start order, each on a slot that was free when it started (a new slot when none was). With as
 * many tasks as slots this is each task's time; with more (guided partitions) it is what a slot ran in all,
 * so max/mean over slots says how evenly the work ended, whatever the tasks' sizes.
 */
public final class SlotTimes {
    private SlotTimes() {
    }

    /** One finished task: its executor, and start and end times in milliseconds. */
    public record Span(String executor, long launch, long finish) {
    }

    public static double[] busySeconds(List<Span> tasks) {
        Map<String, List<Span>> byExecutor = new LinkedHashMap<>();
        for (Span t : tasks) byExecutor.computeIfAbsent(t.executor(), e -> new ArrayList<>()).add(t);
        List<Double> busy = new ArrayList<>();
        for (List<Span> spans : byExecutor.values()) {
            spans.sort(Comparator.comparingLong(Span::launch).thenComparingLong(Span::finish));
            List<long[]> slots = new ArrayList<>(); // {free from, busy millis}
            for (Span t : spans) {
                long[] slot = null;
                for (long[] s : slots) {
                    // the slot freed last before this launch: the one this task most likely followed
                    if (s[0] <= t.launch() && (slot == null || s[0] > slot[0])) slot = s;
                }
                if (slot == null) slots.add(slot = new long[2]);
                slot[0] = t.finish();
                slot[1] += t.finish() - t.launch();
            }
            for (long[] s : slots) busy.add(s[1] / 1000.0);
        }
        return busy.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
