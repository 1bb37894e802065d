package org.attentionlab.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.attentionlab.model.config.ConfigException;
import org.attentionlab.model.config.YamlNode;
import org.attentionlab.model.spec.Device;

/**
 * A sweep's {@code fpga:} block: how TornadoVM runs the model's tasks on one FPGA device. TornadoVM does not
 * compile for FPGAs at run time: each task runs a precompiled bitstream, named per task
 * ({@code <graph>.<task>}, e.g. {@code forward_0.l0_attention}), and the FPGA's configuration file says which toolchain
 * and board; emulation runs the bitstreams in the vendor's emulator. The block becomes exactly TornadoVM's options
 * ({@link #javaOptions()}) and environment ({@link #environment()}) for the process that runs that device's cells.
 * Untested on FPGA hardware or emulators (none here): the tests check the generated options only.
 *
 * @param bitstreams task name to bitstream path (resolved against the sweep file's directory)
 */
public record Fpga(Device device, Map<String, Path> bitstreams, Path configuration, Emulation emulation) {

    /** No emulation, Intel's OpenCL FPGA emulator, or Xilinx's software emulation. */
    public enum Emulation {
        NONE, INTEL, XILINX
    }

    private static final Pattern TASK = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*");

    static Fpga read(YamlNode node, Path sweepFile) throws ConfigException {
        Map<String, YamlNode> fields = SweepFile.block(node, List.of("device", "bitstreams", "configuration", "emulation"));
        if (!fields.containsKey("device")) {
            throw node.errorAs(node.path() + ".device", "required: the FPGA's TornadoVM device, e.g. tornado:1:0 (scripts/run devices lists them)");
        }
        Device device = SweepFile.device(fields.get("device"));
        if (device.isJvm()) {
            throw fields.get("device").error("an FPGA is a TornadoVM device (tornado:<backend>:<device>), not jvm");
        }
        if (!fields.containsKey("bitstreams")) {
            throw node.errorAs(node.path() + ".bitstreams", "required: the precompiled bitstream of each task, e.g. {forward_0.l0_attention: attention.aocx}");
        }
        Path dir = sweepFile.toAbsolutePath().getParent();
        Map<String, Path> bitstreams = new LinkedHashMap<>();
        for (YamlNode.Field field : fields.get("bitstreams").fields()) {
            if (!TASK.matcher(field.name()).matches()) {
                throw field.key().error("expected a TornadoVM task as <graph>.<task>, such as forward_0.l0_attention");
            }
            bitstreams.put(field.name(), dir.resolve(field.value().text().strip()).normalize());
        }
        if (bitstreams.isEmpty()) {
            throw fields.get("bitstreams").error("needs at least one task: bitstream");
        }
        Path configuration = fields.containsKey("configuration") ? dir.resolve(fields.get("configuration").text().strip()).normalize() : null;
        Emulation emulation = Emulation.NONE;
        if (fields.containsKey("emulation")) {
            emulation = Emulation.valueOf(fields.get("emulation").choice(List.of("none", "intel", "xilinx")).toUpperCase(java.util.Locale.ROOT));
        }
        return new Fpga(device, Map.copyOf(bitstreams), configuration, emulation);
    }

    /** TornadoVM's system properties for this device, in a stable order. */
    public List<String> javaOptions() {
        String binaries = String.join(",", bitstreams.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getValue() + "," + e.getKey() + ".device=" + device.backend() + ":" + device.index()).toList());
        List<String> options = new ArrayList<>();
        options.add("-Dtornado.precompiled.binary=" + binaries);
        if (configuration != null) {
            options.add("-Dtornado.fpga.conf.file=" + configuration);
        }
        return options;
    }

    /** The environment the emulator reads (empty without emulation). */
    public Map<String, String> environment() {
        return switch (emulation) {
        case NONE -> Map.of();
        case INTEL -> Map.of("CL_CONTEXT_EMULATOR_DEVICE_INTELFPGA", "1");
        case XILINX -> Map.of("XCL_EMULATION_MODE", "sw_emu");
        };
    }
}
