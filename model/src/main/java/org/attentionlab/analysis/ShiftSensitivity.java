package org.attentionlab.analysis;

import java.util.ArrayList;
import java.util.List;

/**
 * How much each head's output moves when the same content is shifted in position: the content (length − shift
 * seeded positions) is given once at position 0, followed by seeded filler, and once after the same filler, at
 * position {@code shift}; the value is ‖o_shifted − o_first‖ / ‖o_first‖ over the content positions, where o is the
 * head's attention output before o_proj. 0: the head is blind to where the content is (as NoPE is to a pure shift
 * up to what it attends to); larger: the output depends on absolute position (APE, sinusoidal) or on what comes
 * before.
 */
final class ShiftSensitivity implements Analysis {

    @Override
    public String name() {
        return "shift_sensitivity";
    }

    @Override
    public String description() {
        return "relative change of each head's output on the same content moved later by the shift (filler before it instead of after)";
    }

    @Override
    public String unit() {
        return "relative L2";
    }

    @Override
    public List<List<Double>> measure(AnalysisContext context) {
        int length = context.length();
        int shift = context.shift();
        int content = length - shift;
        AttentionProbe.Input text = context.randomInput(content, 0x5EED);
        AttentionProbe.Input filler = context.randomInput(shift, 0xF111);
        List<AttentionProbe.LayerAttention> first = AttentionProbe.measure(context.model(), concat(text, filler, context.batch()), context.device());
        List<AttentionProbe.LayerAttention> shifted = AttentionProbe.measure(context.model(), concat(filler, text, context.batch()), context.device());
        List<List<Double>> result = new ArrayList<>();
        for (int l = 0; l < first.size(); l++) {
            AttentionProbe.LayerAttention a = first.get(l);
            AttentionProbe.LayerAttention b = shifted.get(l);
            int heads = a.heads();
            int headDim = a.headDim();
            double[] difference = new double[heads];
            double[] norm = new double[heads];
            for (int r = 0; r < context.batch(); r++) {
                for (int p = 0; p < content; p++) {
                    for (int h = 0; h < heads; h++) {
                        int at = ((r * length + p) * heads + h) * headDim;
                        int moved = ((r * length + p + shift) * heads + h) * headDim;
                        for (int d = 0; d < headDim; d++) {
                            double x = a.headOutputs()[at + d];
                            double y = b.headOutputs()[moved + d];
                            difference[h] += (y - x) * (y - x);
                            norm[h] += x * x;
                        }
                    }
                }
            }
            List<Double> values = new ArrayList<>();
            for (int h = 0; h < heads; h++) {
                values.add(norm[h] == 0 ? 0.0 : Math.sqrt(difference[h] / norm[h]));
            }
            result.add(values);
        }
        return result;
    }

    /** Per batch row: {@code a}'s positions, then {@code b}'s. */
    private static AttentionProbe.Input concat(AttentionProbe.Input a, AttentionProbe.Input b, int batch) {
        int length = a.seqLen() + b.seqLen();
        if (a.ids() != null) {
            int[] ids = new int[batch * length];
            for (int r = 0; r < batch; r++) {
                System.arraycopy(a.ids(), r * a.seqLen(), ids, r * length, a.seqLen());
                System.arraycopy(b.ids(), r * b.seqLen(), ids, r * length + a.seqLen(), b.seqLen());
            }
            return new AttentionProbe.Input(batch, length, ids, null);
        }
        int width = a.features().length / (batch * a.seqLen());
        float[] x = new float[batch * length * width];
        for (int r = 0; r < batch; r++) {
            System.arraycopy(a.features(), r * a.seqLen() * width, x, r * length * width, a.seqLen() * width);
            System.arraycopy(b.features(), r * b.seqLen() * width, x, (r * length + a.seqLen()) * width, b.seqLen() * width);
        }
        return new AttentionProbe.Input(batch, length, null, x);
    }
}
