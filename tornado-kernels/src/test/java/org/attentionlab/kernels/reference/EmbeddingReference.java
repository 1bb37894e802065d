package org.attentionlab.kernels.reference;

/** Float64 embedding lookups and their gradients, from the definitions. */
public final class EmbeddingReference {

    private EmbeddingReference() {
    }

    /** {@code out[t, :] = table[ids[t], :]}, zeros for ids outside {@code [0, vocab)}. */
    public static double[] lookup(int[] ids, double[] table, int dim, int vocab) {
        double[] out = new double[ids.length * dim];
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] >= 0 && ids[t] < vocab) {
                System.arraycopy(table, ids[t] * dim, out, t * dim, dim);
            }
        }
        return out;
    }

    /** The table's gradient: the sum of the output gradients of the tokens that looked each row up. */
    public static double[] lookupBackward(int[] ids, double[] dOut, int dim, int vocab) {
        double[] dTable = new double[vocab * dim];
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] < 0 || ids[t] >= vocab) {
                continue;
            }
            for (int j = 0; j < dim; j++) {
                dTable[ids[t] * dim + j] += dOut[t * dim + j];
            }
        }
        return dTable;
    }
}
