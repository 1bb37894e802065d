package org.attentionlab.model.arch;

import java.util.List;

/** Every architecture a config can name, in the order configs/README.md lists them. A new one is one line here. */
public final class Architectures {

    private static final List<Architecture> ALL = List.of(new RnopeSwa(), new MultiHeadSlidingWindow(), HybridLstmAttention.PLAIN,
            HybridLstmAttention.WITH_MLP, new RnopeSwaHybrid(), new Ape());

    private Architectures() {
    }

    public static List<Architecture> all() {
        return ALL;
    }
}
