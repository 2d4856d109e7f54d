package io.longattn.job.scale;

import java.util.List;
import java.util.Locale;

/**
 * DIR/summary.md: the problem, a table of the points' medians (with the machine's ceiling when probed), the output
 * bits, both plots and the definitions.
 */
final class ScaleSummary {
    private ScaleSummary() {
    }

    static String markdown(ScaleRequest req, ResultsTable table, List<ResultsTable.Point> points, MachineCeiling ceiling,
                           String title, String failure, String plotProblem) {
        StringBuilder sb = new StringBuilder();
        ScaleRun any = table.runs().get(0);
        sb.append("# ").append(Character.toUpperCase(title.charAt(0))).append(title.substring(1)).append("\n\n");
        sb.append(String.format(Locale.ROOT, "%s executors of %d %s, %s; kernel %s; %s (medians shown); %s.%n%n",
                String.join(", ", req.executors().stream().map(String::valueOf).toList()), req.coresPerExecutor(),
                req.coresPerExecutor() == 1 ? "core" : "cores",
                req.master() == null ? "a standalone cluster started on this machine" : "master " + req.master(), any.kernel(),
                req.reps() == 1 ? "1 repetition" : req.reps() + " repetitions",
                req.mode() == ScaleMode.STRONG ? "the same problem at every point"
                        : "the work per executor held fixed (" + (req.boundedWindow() ? "lengths grow with N" : "lengths grow with sqrt(N)") + ")"));
        if (failure != null) sb.append("**Incomplete: ").append(failure).append("**\n\n");
        boolean limits = ceiling.measured();
        sb.append("| executors | Sq | Sk | wall s | compute s | overhead s | max/mean | GFLOP/s | efficiency |")
                .append(limits ? " ceiling | of attainable |" : "").append(" output sha256 |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|").append(limits ? "---|---|" : "").append("---|\n");
        for (ResultsTable.Point p : points) {
            double c = ceiling.atExecutors(p.executors());
            sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %.2f | %.2f | %.2f | %.3f | %.1f | %.3f |%s %s |%n", p.executors(),
                    p.shape().seq(), p.shape().kvSeq(), p.wall(), p.compute(), p.overhead(), p.maxOverMean(), p.gflops(),
                    p.efficiency(), limits ? String.format(Locale.ROOT, " %.3f | %.3f |", c, p.efficiency() / c) : "",
                    String.join(" ", p.hashes().stream().map(h -> "`" + h.substring(0, 16) + "`").toList())));
        }
        sb.append('\n');
        sb.append(limits ? "Machine ceiling: the FMA probe's GFLOP/s per busy core with all of a point's executors x cores busy"
                + " at once, against the baseline point's (" + MachineCeiling.FILE + "): the efficiency a job that did nothing but"
                + " compute could reach on these cores. of attainable: efficiency / ceiling.\n\n"
                : "Machine ceiling: not measured (" + ceiling.missing() + ").\n\n");
        if (req.mode() == ScaleMode.STRONG) {
            long distinct = table.runs().stream().map(ScaleRun::outputSha256).distinct().count();
            sb.append(distinct == 1 ? "Output bits identical at every point (sha256 `" + any.outputSha256() + "`).\n\n"
                    : "**Output bits differ between points** (" + distinct + " distinct sha256).\n\n");
        }
        if (plotProblem != null) {
            sb.append("No plots: ").append(plotProblem).append(".\n\n");
        } else {
            sb.append("![time against executors](").append(ScalePlots.TIME).append(")\n\n");
            sb.append("![efficiency against executors](").append(ScalePlots.EFFICIENCY).append(")\n\n");
        }
        sb.append("""
                wall: the job's wall (plan to committed output; Spark context and executor start excluded). compute: \
                the compute tasks' durations summed. overhead: wall minus compute / task slots (the wall if the task \
                time were spread evenly over every slot with nothing outside the tasks). max/mean: the busiest task slot over \
                the mean slot (what each slot ran in all: guided jobs run several tasks per slot). efficiency: work per executor-second against the point with the fewest executors, \
                (W_N / (N T_N)) / (W_b / (N_b T_b)): T1 / (N TN) in strong mode, T1 / TN in weak mode. Every run is \
                a row of results.csv.
                """);
        return sb.toString();
    }
}
