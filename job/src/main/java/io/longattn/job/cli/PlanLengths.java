package io.longattn.job.cli;

import io.longattn.job.Plural;
import io.longattn.job.UserError;
import io.longattn.job.io.CuSeqlens;
import io.longattn.job.plan.SequenceLayout;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.Sequences;
import io.longattn.partitioner.UnitOfWork;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The sequences `plan` is asked about: --seq (one), --lengths (a list), or the run's cu_seqlens files; and their lines. */
final class PlanLengths {
    private PlanLengths() {
    }

    /** Sequences printed one per line at most; the rest are summed up. */
    static final int SHOWN = 10;

    static Sequences sequences(ShapeOptions shape, String lengths, String cuQ, String cuK) {
        if (lengths != null && cuQ != null) {
            throw new UserError("--lengths", "is given with " + SequenceLayout.CU_Q, "one of them");
        }
        if (lengths == null && cuQ == null) {
            shape.check();
            return Sequences.single(shape.seq, shape.sk());
        }
        if (shape.seq != 0 || shape.kvSeq != null) {
            throw new UserError("--seq", "is given with " + (lengths != null ? "--lengths" : SequenceLayout.CU_Q),
                    "the lengths from one of them only");
        }
        shape.checkHeads();
        Sequences s = lengths != null ? parse(lengths) : fromFiles(cuQ, cuK);
        if (s.totalQ() == 0 || s.totalK() == 0) {
            throw new UserError(lengths != null ? "--lengths" : SequenceLayout.CU_Q, "holds " + s.totalQ() + " queries and "
                    + s.totalK() + " keys in all", "at least one query and one key");
        }
        return s;
    }

    private static Sequences fromFiles(String cuQ, String cuK) {
        int[] q = CuSeqlens.read(SequenceLayout.CU_Q, cuQ, -1, "the packed queries");
        int[] k = cuK == null ? q : CuSeqlens.read(SequenceLayout.CU_K, cuK, -1, "the packed keys");
        if (k.length != q.length) {
            throw new UserError(cuK, "has " + (k.length - 1) + " sequences, " + cuQ + " has " + (q.length - 1), "the same number");
        }
        return new Sequences(q, k);
    }

    /** "2048x1000,4096:8192" : 1000 sequences of 2048 queries and keys, then one of 4096 queries and 8192 keys. */
    static Sequences parse(String list) {
        List<Integer> sq = new ArrayList<>(), sk = new ArrayList<>();
        long total = 0;
        for (String item : list.split(",", -1)) {
            String t = item.trim();
            String[] rep = t.split("x", -1);
            String[] qk = rep[0].split(":", -1);
            try {
                if (rep.length > 2 || qk.length > 2) throw new NumberFormatException();
                int q = Integer.parseInt(qk[0].trim());
                int k = qk.length == 2 ? Integer.parseInt(qk[1].trim()) : q;
                int n = rep.length == 2 ? Integer.parseInt(rep[1].trim()) : 1;
                if (q < 0 || k < 0 || n <= 0) throw new NumberFormatException();
                total += (long) n;
                if (total > 1 << 24) throw new UserError("--lengths", "lists " + total + " sequences", "at most 2^24");
                for (int i = 0; i < n; i++) {
                    sq.add(q);
                    sk.add(k);
                }
            } catch (NumberFormatException e) {
                throw new UserError("--lengths", "item '" + t + "' is not a length", "Sq, Sq:Sk, Sq xN or Sq:Sk xN with"
                        + " Sq, Sk >= 0 and N >= 1, such as 2048x1000,4096:8192");
            }
        }
        try {
            return Sequences.ofLengths(sq.stream().mapToInt(Integer::intValue).toArray(), sk.stream().mapToInt(Integer::intValue).toArray());
        } catch (ArithmeticException e) {
            throw new UserError("--lengths", "adds up to more than 2^31 tokens", "at most " + Integer.MAX_VALUE + " queries and keys");
        }
    }

    /** The costliest sequences, one line each: lengths, unmasked pairs, units and the partitions they run in. */
    static String perSequence(ChunkPlan plan, List<UnitOfWork> units, Assignment bal) {
        Sequences s = plan.sequences();
        int n = s.count();
        long[] cost = new long[n];
        int[] unitCount = new int[n];
        List<java.util.BitSet> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) parts.add(new java.util.BitSet());
        for (UnitOfWork u : units) {
            cost[u.sequence] += u.cost;
            unitCount[u.sequence]++;
            parts.get(u.sequence).set(bal.partitionOf(u.index));
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, Comparator.comparingLong((Integer i) -> -cost[i]).thenComparingInt(i -> i));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "  sequences, costliest first (cost = unmasked pairs x query heads per kv head + unit overhead):%n"));
        long shownCost = 0, all = 0;
        for (long c : cost) all += c;
        for (int r = 0; r < Math.min(SHOWN, n); r++) {
            int i = order[r];
            shownCost += cost[i];
            long pairs = s.sq(i) == 0 || s.sk(i) == 0 ? 0 : plan.sequenceSpec(i).mask().unmaskedPairs(0, s.sq(i));
            sb.append(String.format(Locale.ROOT, "    sequence %d: %,d x %,d, %,d unmasked pairs, %s in %s, %.1f%% of the cost%n",
                    i, s.sq(i), s.sk(i), pairs, Plural.of(unitCount[i], "unit"), Plural.of(parts.get(i).cardinality(), "partition"),
                    100.0 * cost[i] / Math.max(1, all)));
        }
        if (n > SHOWN) {
            sb.append(String.format(Locale.ROOT, "    %s more: %.1f%% of the cost%n", Plural.of(n - SHOWN, "sequence"),
                    100.0 * (all - shownCost) / Math.max(1, all)));
        }
        return sb.toString();
    }
}
