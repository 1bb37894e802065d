package org.attentionlab.tornadoapi.jvm;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.IincInsnNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.VarInsnNode;

/**
 * Writes the split variant of a kernel: a copy of its bytecode that takes two more arguments, {@code part} and
 * {@code parts}, and runs only part {@code part}'s block of the iterations of its outermost {@code @Parallel} loop
 * (or of the {@code @Parallel} loop inside it, see {@link SplitRange#outerParts}). Only two places of each split
 * loop change, in the way TornadoVM rewrites the loop for a device thread; the body, and so every iteration's
 * arithmetic, is the kernel's own:
 *
 * <pre>
 *     ISTORE i                    ISTORE i
 *                                 hi = SplitRange.start(i, bound, inclusive, step, part + 1, parts)
 *                                 i = SplitRange.start(i, bound, inclusive, step, part, parts)
 *  H: ILOAD i [bound] IF_ICMPGE   H: ILOAD i  ILOAD hi  IF_ICMPGE
 * </pre>
 *
 * The variant is defined as a hidden class nested in the kernel's class (a nestmate), so the kernel's private helpers
 * and constants stay accessible to it.
 */
final class SplitVariant {

    private static final String SPLIT_RANGE = Type.getInternalName(SplitRange.class);
    private static final String START_DESCRIPTOR = "(IIIIII)I";
    private static final String OUTER_PARTS_DESCRIPTOR = "(IIIII)I";

    private SplitVariant() {
    }

    /** Thrown when the variant cannot be defined; the message says why, for the log. */
    static final class Undefinable extends Exception {
        Undefinable(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /**
     * Defines the variant of {@code kernel} (a method of {@code ownerNode}, the class file of {@code owner}; both are
     * modified) and returns a handle to it: the kernel's parameters, then {@code int part, int parts}.
     */
    static MethodHandle define(Class<?> owner, ClassNode ownerNode, MethodNode kernel, ParallelLoopFinder.Nest nest) throws Undefinable {
        String descriptor = kernel.desc.replace(")", "II)");
        int argumentSlots = (Type.getArgumentsAndReturnSizes(kernel.desc) >> 2) - 1;
        int part = argumentSlots;
        int parts = argumentSlots + 1;
        shiftLocals(kernel.instructions, argumentSlots, 2);
        int nextLocal = kernel.maxLocals + 2;

        ParallelLoopFinder.Loop outer = nest.outer();
        ParallelLoopFinder.Loop inner = nest.inner();
        if (inner == null) {
            split(kernel.instructions, outer, part, parts, nextLocal);
        } else {
            int outerParts = nextLocal++;
            int innerParts = nextLocal++;
            int outerPart = nextLocal++;
            int innerPart = nextLocal++;
            // Every thread makes the same choice: both loops' bounds are the same for all of them.
            InsnList choose = new InsnList();
            pushLoop(choose, outer);
            choose.add(new VarInsnNode(Opcodes.ILOAD, parts));
            choose.add(new MethodInsnNode(Opcodes.INVOKESTATIC, SPLIT_RANGE, "outerParts", OUTER_PARTS_DESCRIPTOR, false));
            choose.add(new VarInsnNode(Opcodes.ISTORE, outerParts));
            divide(choose, parts, outerParts, Opcodes.IDIV, innerParts);
            divide(choose, part, innerParts, Opcodes.IDIV, outerPart);
            divide(choose, part, innerParts, Opcodes.IREM, innerPart);
            // inserted right after the outer loop's first store, so before that loop's own range code
            split(kernel.instructions, outer, outerPart, outerParts, nextLocal++);
            kernel.instructions.insert(outer.init(), choose);
            split(kernel.instructions, inner, innerPart, innerParts, nextLocal);
        }

        ClassNode variant = new ClassNode();
        variant.version = Math.max(ownerNode.version, Opcodes.V11);
        variant.access = Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_SYNTHETIC;
        variant.name = ownerNode.name + "$ParallelSplit";
        variant.superName = "java/lang/Object";
        variant.sourceFile = ownerNode.sourceFile;
        variant.methods.add(asVariantMethod(kernel, descriptor));
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected ClassLoader getClassLoader() {
                return owner.getClassLoader();
            }
        };
        try {
            variant.accept(writer);
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(owner, MethodHandles.lookup())
                    .defineHiddenClass(writer.toByteArray(), true, MethodHandles.Lookup.ClassOption.NESTMATE);
            return lookup.findStatic(lookup.lookupClass(), kernel.name, MethodType.fromMethodDescriptorString(descriptor, owner.getClassLoader()));
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            throw new Undefinable("its split variant could not be defined: " + e, e);
        }
    }

    /** Makes {@code loop} run only the block {@code [start(part), start(part + 1))} of its iterations. */
    private static void split(InsnList insns, ParallelLoopFinder.Loop loop, int part, int parts, int hi) {
        InsnList range = new InsnList();
        pushLoop(range, loop);
        range.add(new VarInsnNode(Opcodes.ILOAD, part));
        range.add(new InsnNode(Opcodes.ICONST_1));
        range.add(new InsnNode(Opcodes.IADD));
        range.add(new VarInsnNode(Opcodes.ILOAD, parts));
        range.add(new MethodInsnNode(Opcodes.INVOKESTATIC, SPLIT_RANGE, "start", START_DESCRIPTOR, false));
        range.add(new VarInsnNode(Opcodes.ISTORE, hi));
        pushLoop(range, loop);
        range.add(new VarInsnNode(Opcodes.ILOAD, part));
        range.add(new VarInsnNode(Opcodes.ILOAD, parts));
        range.add(new MethodInsnNode(Opcodes.INVOKESTATIC, SPLIT_RANGE, "start", START_DESCRIPTOR, false));
        range.add(new VarInsnNode(Opcodes.ISTORE, loop.init().var));
        insns.insert(loop.init(), range);

        // The condition compares with hi (never beyond the bound) instead of the bound: i < hi.
        for (AbstractInsnNode b : loop.bound()) {
            insns.remove(b);
        }
        insns.insertBefore(loop.exitJump(), new VarInsnNode(Opcodes.ILOAD, hi));
        loop.exitJump().setOpcode(Opcodes.IF_ICMPGE);
    }

    /** Pushes the loop's first value (just stored), bound, inclusiveness and step. */
    private static void pushLoop(InsnList out, ParallelLoopFinder.Loop loop) {
        out.add(new VarInsnNode(Opcodes.ILOAD, loop.init().var));
        if (loop.bound().isEmpty()) {
            out.add(new InsnNode(Opcodes.ICONST_0));
        }
        for (AbstractInsnNode b : loop.bound()) {
            out.add(b.clone(Map.of()));
        }
        out.add(new InsnNode(loop.inclusive() ? Opcodes.ICONST_1 : Opcodes.ICONST_0));
        out.add(new LdcInsnNode(loop.step().incr));
    }

    private static void divide(InsnList out, int dividend, int divisor, int opcode, int result) {
        out.add(new VarInsnNode(Opcodes.ILOAD, dividend));
        out.add(new VarInsnNode(Opcodes.ILOAD, divisor));
        out.add(new InsnNode(opcode));
        out.add(new VarInsnNode(Opcodes.ISTORE, result));
    }

    /** Local variables from {@code first} on move up by {@code by} slots, making room for new parameters. */
    private static void shiftLocals(InsnList insns, int first, int by) {
        for (AbstractInsnNode insn : insns) {
            if (insn instanceof VarInsnNode v && v.var >= first) {
                v.var += by;
            } else if (insn instanceof IincInsnNode inc && inc.var >= first) {
                inc.var += by;
            }
        }
    }

    /** The kernel's method node, renamed and stripped of what described the original signature and locals. */
    private static MethodNode asVariantMethod(MethodNode kernel, String descriptor) {
        kernel.desc = descriptor;
        kernel.access = Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC;
        kernel.signature = null;
        kernel.parameters = null;
        kernel.localVariables = null;
        kernel.visibleLocalVariableAnnotations = null;
        kernel.invisibleLocalVariableAnnotations = null;
        kernel.visibleAnnotations = null;
        kernel.invisibleAnnotations = null;
        kernel.visibleTypeAnnotations = null;
        kernel.invisibleTypeAnnotations = null;
        kernel.visibleParameterAnnotations = null;
        kernel.invisibleParameterAnnotations = null;
        kernel.visibleAnnotableParameterCount = 0;
        kernel.invisibleAnnotableParameterCount = 0;
        kernel.annotationDefault = null;
        kernel.attrs = null;
        return kernel;
    }
}
