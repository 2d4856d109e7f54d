package io.longattn.kernels;

/** Prints "name|reason" of the standard selector's auto pick (run in a child JVM by KernelSelectorTest). */
public final class SelectorProbeMain {
    private SelectorProbeMain() {
    }

    public static void main(String[] args) {
        KernelSelector.Choice c = KernelSelector.standard().select(null);
        System.out.println(c.name() + "|" + c.reason());
    }
}
