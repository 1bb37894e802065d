package org.attentionlab.model.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.attentionlab.model.ExampleConfigs;
import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.weights.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * What the size checks and the memory estimate count is what the layers allocate: every layer's
 * {@link Layer#buffers} are exactly the scratch buffers its {@link Layer#addTasks} asks for, and a model built
 * without weights declares the same parameters as one built with them, allocating none.
 */
class LayerBuffersTest {

    static final Path CONFIGS = Path.of("..", "configs");
    /** The PyTorch twins' configs: token input, gated feed-forward blocks, language-model heads. */
    static final Path TWINS = Path.of("src", "test", "resources", "twins");

    static List<Path> configs() {
        return ExampleConfigs.examplesAndTwins();
    }

    /** Every example and twin config, as it is and with the algorithm and block layout that add buffers, at two shapes. */
    static Stream<Arguments> models() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        for (Path config : configs()) {
            cases.add(Arguments.of(config, List.of(), 2, 16));
            cases.add(Arguments.of(config, List.of("attention_algorithm=chunked", "norm_position=parallel"), 1, 40));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} batch {2} seq {3}")
    @MethodSource("models")
    void buffersAreWhatTheTasksAskFor(Path config, List<String> overrides, int batch, int seqLen) {
        Model model = Model.build(ConfigLoader.load(config, overrides));
        RunShape shape = RunShape.inference(batch, seqLen);
        FloatArray stream = new FloatArray(shape.rows() * Math.max(1, model.inputWidth()));
        for (Layer layer : model.layers()) {
            Map<String, FloatArray> asked = new HashMap<>();
            LayerTasks tasks = new LayerTasks(new TaskGraph("g"), shape, asked, new GridScheduler());
            layer.deviceConstants();
            stream = layer instanceof TokenLayer tokens ? tokens.addTasks(tasks, new IntArray(shape.rows())) : layer.addTasks(tasks, stream);
            TreeSet<String> reported = new TreeSet<>();
            for (Buffer b : layer.buffers(batch, seqLen)) {
                assertTrue(reported.add(b.name() + "#" + Math.max(1, b.elements())), "reported twice: " + b);
            }
            assertEquals(new TreeSet<>(asked.keySet()), reported, layer.describe());
        }
    }

    @Test
    void aModelWithoutWeightsDeclaresTheSameParametersAndAllocatesNone() throws IOException {
        for (Path config : configs()) {
            Model built = Model.build(ConfigLoader.load(config));
            Model described = Model.withoutWeights(ConfigLoader.load(config));
            List<Parameters.Parameter> declared = described.parameters().all();
            assertEquals(built.parameters().all().stream().map(p -> p.name() + p.shapeText()).toList(),
                    declared.stream().map(p -> p.name() + p.shapeText()).toList(), config.toString());
            for (Parameters.Parameter p : declared) {
                assertNull(p.data(), p.name());
            }
            assertEquals(built.flops(2, 24), described.flops(2, 24), config.toString());
            assertEquals(built.memory(2, 24).heapBytes(), described.memory(2, 24).heapBytes(), config.toString());
            assertThrows(IllegalStateException.class, () -> described.prepare(RunShape.inference(1, 4), null));
        }
    }
}
