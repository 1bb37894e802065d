package org.attentionlab.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fpga: block as TornadoVM's exact options (untested on hardware), and the Slurm array script's shape. */
class FpgaAndSlurmTest {

    @TempDir
    Path dir;

    SweepPlan plan(String extra) throws IOException {
        Files.writeString(dir.resolve("base.yaml"), SweepPlanTest.BASE);
        Path file = dir.resolve("sweep.yaml");
        Files.writeString(file, "base: base.yaml\ngrid: {sliding_window: [4, 8, 16]}\nspeed: {lengths: [8]}\n" + extra);
        return SweepPlan.read(file);
    }

    @Test
    void fpgaBlockBecomesTornadoVmOptionsAndEnvironment() throws IOException {
        Fpga fpga = plan("""
                devices: [jvm, tornado:1:0]
                fpga:
                  device: tornado:1:0
                  bitstreams:
                    layer_1.attention: bits/attention.aocx
                    layer_0.qkv_proj: bits/linear.aocx
                  configuration: /opt/tornadovm/etc/intel-fpga.conf
                  emulation: intel
                """).sweep().fpga().orElseThrow();
        assertEquals(List.of("-Dtornado.precompiled.binary=" + dir.resolve("bits/linear.aocx") + ",layer_0.qkv_proj.device=1:0," + dir.resolve("bits/attention.aocx")
                + ",layer_1.attention.device=1:0", "-Dtornado.fpga.conf.file=/opt/tornadovm/etc/intel-fpga.conf"), fpga.javaOptions());
        assertEquals(Map.of("CL_CONTEXT_EMULATOR_DEVICE_INTELFPGA", "1"), fpga.environment());
        Fpga xilinx = plan("""
                devices: [tornado:0:1]
                fpga: {device: tornado:0:1, bitstreams: {layer_0.attention: a.xclbin}, emulation: xilinx}
                """).sweep().fpga().orElseThrow();
        assertEquals(List.of("-Dtornado.precompiled.binary=" + dir.resolve("a.xclbin") + ",layer_0.attention.device=0:1"), xilinx.javaOptions());
        assertEquals(Map.of("XCL_EMULATION_MODE", "sw_emu"), xilinx.environment());
    }

    @Test
    void fpgaMistakesAreOneLineAtTheirPosition() {
        ConfigException e = assertThrows(ConfigException.class, () -> plan("""
                devices: [tornado:1:0]
                fpga: {device: tornado:1:0, bitstreams: {attention: a.aocx}}
                """));
        assertTrue(e.getMessage().contains(":5:42: fpga.bitstreams.attention: expected a TornadoVM task as <graph>.<task>"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> plan("fpga: {device: tornado:1:0, bitstreams: {layer_0.attention: a.aocx}}\n"));
        assertTrue(e.getMessage().contains("names device tornado:1:0, which is not among the sweep's devices"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> plan("devices: [tornado:1:0]\nfpga: {device: tornado:1:0, bitstreams: {layer_0.attention: a}, emulation: altera}\n"));
        assertTrue(e.getMessage().contains("unknown value 'altera'"), e.getMessage());
    }

    @Test
    void slurmScriptRunsOneShardPerArrayTask() throws IOException {
        SweepPlan plan = plan("");
        assertThrows(IllegalArgumentException.class, () -> SlurmScript.write(plan, dir.resolve("out dir"), 2, Path.of("/p")));
        Path out = dir.resolve("out");
        Path script = SlurmScript.write(plan, out, 2, Path.of("/srv/attention-lab"));
        String text = Files.readString(script);
        assertTrue(text.startsWith("#!/usr/bin/env bash\n"), text);
        assertTrue(text.contains("\n#SBATCH --array=0-1\n"), text);
        assertTrue(text.contains("\n#SBATCH --output=" + out.toAbsolutePath() + "/slurm-%A_%a.out\n"), text);
        assertTrue(text.contains("\ncd /srv/attention-lab\n"), text);
        assertTrue(text.contains("exec scripts/run sweep " + dir.resolve("sweep.yaml") + " --out " + out.toAbsolutePath() + " --shard \"${SLURM_ARRAY_TASK_ID}/2\"\n"),
                text);
        assertTrue(Files.getPosixFilePermissions(script).contains(PosixFilePermission.OWNER_EXECUTE));
        assertTrue(SlurmScript.text(plan, out, 50, Path.of("/p")).contains("#SBATCH --array=0-2\n"), "no more tasks than cells");
        try (var files = Files.list(out)) {
            assertEquals(List.of(script), files.toList(), "no temporary file left");
        }
    }
}
