package org.attentionlab.model.layers;

import java.util.List;
import java.util.Optional;

import org.attentionlab.kernels.LinearKernels;
import org.attentionlab.kernels.SinusoidalEncoding;
import org.attentionlab.model.exec.Buffer;
import org.attentionlab.model.exec.LayerTasks;
import org.attentionlab.model.exec.TaskKind;
import org.attentionlab.model.exec.TrainableTokenLayer;
import org.attentionlab.model.exec.TrainingTasks;
import org.attentionlab.model.spec.SinusoidalVariant;
import org.attentionlab.model.weights.Parameters;
import org.attentionlab.model.weights.Parameters.Init;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Token ids [batch, seq] → their rows of {@code embed_tokens.weight} [vocab, width] (torch.nn.Embedding, Hugging
 * Face's {@code embed_tokens}), then an optional sinusoidal encoding added to every position. A tied language-model
 * head reads the same table ({@link #table()}).
 */
public final class TokenEmbedding implements TrainableTokenLayer {

    private final int vocabSize;
    private final int width;
    private final FloatArray table;
    private final SinusoidalVariant sinusoidal;

    public TokenEmbedding(Parameters parameters, int vocabSize, int width, Optional<SinusoidalVariant> sinusoidal) {
        this.vocabSize = vocabSize;
        this.width = width;
        this.table = parameters.add("embed_tokens.weight", new Init.Normal(1.0), vocabSize, width);
        this.sinusoidal = sinusoidal.orElse(null);
    }

    /** The embedding table [vocab, width]. */
    FloatArray table() {
        return table;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public String describe() {
        return "embed_tokens " + vocabSize + " x " + width + (sinusoidal == null ? "" : ", sinusoidal encoding (" + sinusoidal.yamlName() + ")");
    }

    @Override
    public List<Object> deviceConstants() {
        return List.of(table);
    }

    @Override
    public int outputWidth() {
        return width;
    }

    @Override
    public FloatArray addTasks(LayerTasks tasks, IntArray tokenIds) {
        int rows = tasks.shape().rows();
        FloatArray x = tasks.scratch("stream", rows * width);
        tasks.graph().task(tasks.name(TaskKind.EMBEDDING, "embed_tokens"), LinearKernels::embedding, tokenIds, table, x, rows, width, vocabSize);
        if (sinusoidal != null) {
            InputEncoding.addSinusoidal(tasks, x, width, sinusoidal);
        }
        return x;
    }

    @Override
    public long weightsRead(int batch, int seqLen) {
        return (long) batch * seqLen * width;
    }

    @Override
    public long flops(int batch, int seqLen) {
        return sinusoidal == null ? 0 : 20L * batch * seqLen * width;
    }

    @Override
    public List<Buffer> buffers(int batch, int seqLen) {
        return List.of(Buffer.of("stream", (long) batch * seqLen, width));
    }

    // ---------------------------------------------------------------- training

    @Override
    public TrainingForward addTrainingForward(TrainingTasks tasks, IntArray tokenIds) {
        int rows = tasks.shape().rows();
        FloatArray x = tasks.keep("stream", rows * width);
        tasks.graph().task(tasks.name("embed_tokens"), LinearKernels::embedding, tokenIds, table, x, rows, width, vocabSize);
        if (sinusoidal != null) {
            tasks.graph().task(tasks.name("sinusoidal"), SinusoidalEncoding::add, x, tasks.shape().batch(), tasks.shape().seqLen(), width, 0,
                    KernelCodes.sinusoidal(sinusoidal));
        }
        return new TrainingForward(x, (t, dOut) -> {
            // The encoding passes the gradient unchanged; each id's row gathers the gradients of its positions.
            t.graph().task(t.name("embed_tokens_backward"), LinearKernels::embeddingBackward, tokenIds, dOut, t.gradient(table), rows, width, vocabSize);
            return null;
        });
    }
}
