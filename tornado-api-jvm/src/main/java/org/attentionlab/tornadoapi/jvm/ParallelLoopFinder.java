package org.attentionlab.tornadoapi.jvm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.TypeReference;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.IincInsnNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.LineNumberNode;
import org.objectweb.asm.tree.LocalVariableAnnotationNode;
import org.objectweb.asm.tree.LocalVariableNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.TryCatchBlockNode;
import org.objectweb.asm.tree.VarInsnNode;

/**
 * Finds a kernel's {@code @Parallel} loops in its bytecode the way TornadoVM does, and checks that they can be split.
 *
 * <p>{@code @Parallel} targets local variables and type uses, so javac records {@code for (@Parallel int i = ...)} as
 * a runtime-visible type annotation of kind LOCAL_VARIABLE whose live range starts at the loop's condition and ends
 * where the loop exits. From there the loop is recognised in javac's shape:
 *
 * <pre>
 *     [first value]  ISTORE i            the loop variable's store right before the condition
 *  H: ILOAD i  [bound]  IF_ICMPGE X      (i &lt; bound; also i &lt;= bound, bound &gt; i, bound &gt;= i, i &lt; 0)
 *     [body]
 *     IINC i step                        a positive constant step, the only write to i
 *     GOTO H
 *  X:                                    the end of i's live range
 * </pre>
 *
 * A loop in that shape is split only when splitting cannot change the result: its bound is a loop-invariant
 * expression of locals, constants, integer arithmetic and array sizes (it is evaluated once more, before the loop);
 * no {@code break}, {@code return} or jump leaves or enters it; every local variable its iterations write is declared
 * inside it (a variable declared outside would carry values between iterations, as a reduction does); it is not
 * inside another loop (other than the {@code @Parallel} loop around it); and the code that every thread would
 * repeat (outside the split loop) writes no memory. Anything else is {@link Refused} with the reason.
 */
final class ParallelLoopFinder {

    static final String PARALLEL = "Luk/ac/manchester/tornado/api/annotations/Parallel;";
    private static final String TORNADO_TYPES = "uk/ac/manchester/tornado/api/types/";

    private ParallelLoopFinder() {
    }

    /** Why a kernel's {@code @Parallel} loops are not split; the message names the loop and the reason. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * A recognised {@code for (@Parallel int i = first; i < bound; i += step)} loop: {@code init} stores the first
     * value right before the condition, which starts at {@code header} (the back edge's target); {@code bound} are the
     * condition's instructions computing the bound (empty when it is 0, {@code IFGE}); {@code exitJump} leaves the
     * loop for {@code exit}.
     */
    record Loop(String name, int line, VarInsnNode init, LabelNode header, List<AbstractInsnNode> bound, boolean inclusive, JumpInsnNode exitJump,
            IincInsnNode step, LabelNode exit) {

        @Override
        public String toString() {
            return "the @Parallel loop over " + name + (line > 0 ? " (line " + line + ")" : "");
        }
    }

    /**
     * What a variant splits: the outermost {@code @Parallel} loop and, where there is one, the {@code @Parallel}
     * loop directly inside it, which is split instead when the outer loop has too few iterations to share evenly
     * ({@link SplitRange#outerParts}). {@code inner} is null when there is none or it cannot be split
     * ({@code innerRefusal} then says why, or is null when there is no inner {@code @Parallel} loop).
     */
    record Nest(Loop outer, Loop inner, String innerRefusal) {
        String describe() {
            String split = "splits " + outer + " into one block of iterations per thread";
            if (inner != null) {
                return split + ", or " + inner + " inside it when the outer loop has too few iterations to share evenly";
            }
            return innerRefusal == null ? split : split + ", never the @Parallel loop inside it: " + innerRefusal;
        }
    }

    /** The method's {@code @Parallel} loops to split, or null when it has none. */
    static Nest find(MethodNode method) throws Refused {
        List<Loop> loops = new ArrayList<>();
        for (LocalVariableAnnotationNode annotation : parallelAnnotations(method)) {
            loops.add(recognise(method, annotation));
        }
        if (loops.isEmpty()) {
            return null;
        }
        InsnList insns = method.instructions;
        loops.sort(Comparator.comparingInt(l -> insns.indexOf(l.header())));
        List<Loop> outermost = directlyInside(insns, loops, null);
        if (outermost.size() > 1) {
            throw new Refused("it has " + outermost.size() + " @Parallel loops one after another (" + outermost.get(0) + ", " + outermost.get(1)
                    + "); threads would need a barrier between them");
        }
        Loop outer = outermost.get(0);
        checkSplittable(method, outer, null);
        List<Loop> inside = directlyInside(insns, loops, outer);
        if (inside.isEmpty()) {
            return new Nest(outer, null, null);
        }
        if (inside.size() > 1) {
            return new Nest(outer, null, "there are " + inside.size() + " of them, one after another");
        }
        try {
            checkSplittable(method, inside.get(0), outer);
            return new Nest(outer, inside.get(0), null);
        } catch (Refused r) {
            return new Nest(outer, null, r.getMessage());
        }
    }

    private static List<LocalVariableAnnotationNode> parallelAnnotations(MethodNode method) {
        List<LocalVariableAnnotationNode> found = new ArrayList<>();
        for (List<LocalVariableAnnotationNode> list : List.of(nonNull(method.visibleLocalVariableAnnotations), nonNull(method.invisibleLocalVariableAnnotations))) {
            for (LocalVariableAnnotationNode a : list) {
                if (a.desc.equals(PARALLEL) && new TypeReference(a.typeRef).getSort() == TypeReference.LOCAL_VARIABLE) {
                    found.add(a);
                }
            }
        }
        return found;
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }

    /** The loops of {@code loops} inside {@code around} (the method when null) and inside no other loop of them there. */
    private static List<Loop> directlyInside(InsnList insns, List<Loop> loops, Loop around) {
        List<Loop> direct = new ArrayList<>();
        for (Loop l : loops) {
            if (l == around || (around != null && !contains(insns, around, l))) {
                continue;
            }
            boolean nested = false;
            for (Loop other : loops) {
                nested |= other != l && other != around && contains(insns, other, l) && (around == null || contains(insns, around, other));
            }
            if (!nested) {
                direct.add(l);
            }
        }
        return direct;
    }

    private static boolean contains(InsnList insns, Loop outer, Loop inner) {
        return insns.indexOf(outer.header()) < insns.indexOf(inner.header()) && insns.indexOf(inner.exit()) <= insns.indexOf(outer.exit());
    }

    // ---------------------------------------------------------------------------------------------------------
    // The loop's shape.
    // ---------------------------------------------------------------------------------------------------------

    private static Loop recognise(MethodNode method, LocalVariableAnnotationNode annotation) throws Refused {
        if (annotation.index.size() != 1) {
            throw new Refused("a @Parallel variable has " + annotation.index.size() + " live ranges; it is not the variable of one counted loop");
        }
        int slot = annotation.index.get(0);
        LabelNode header = annotation.start.get(0);
        LabelNode end = annotation.end.get(0);
        String name = variableName(method, slot, header);
        String loop = "the @Parallel loop over " + name + lineSuffix(header);

        if (!(previousReal(header) instanceof VarInsnNode init) || init.getOpcode() != Opcodes.ISTORE || init.var != slot) {
            throw new Refused(loop + " is not a counted loop: " + name + " is not stored right before its condition");
        }
        List<AbstractInsnNode> condition = new ArrayList<>();
        AbstractInsnNode insn = header.getNext();
        while (insn != null && !(insn instanceof JumpInsnNode)) {
            if (insn.getOpcode() >= 0) {
                condition.add(insn);
            }
            insn = insn.getNext();
        }
        if (!(insn instanceof JumpInsnNode exitJump) || condition.isEmpty()) {
            throw new Refused(loop + " has no loop condition");
        }
        List<AbstractInsnNode> bound;
        boolean inclusive;
        int op = exitJump.getOpcode();
        if (isLoad(condition.get(0), slot) && condition.size() == 1 && (op == Opcodes.IFGE || op == Opcodes.IFGT)) {
            bound = List.of();
            inclusive = op == Opcodes.IFGT;
        } else if (isLoad(condition.get(0), slot) && condition.size() > 1 && (op == Opcodes.IF_ICMPGE || op == Opcodes.IF_ICMPGT)) {
            bound = List.copyOf(condition.subList(1, condition.size()));
            inclusive = op == Opcodes.IF_ICMPGT;
        } else if (isLoad(condition.get(condition.size() - 1), slot) && condition.size() > 1 && (op == Opcodes.IF_ICMPLE || op == Opcodes.IF_ICMPLT)) {
            bound = List.copyOf(condition.subList(0, condition.size() - 1));
            inclusive = op == Opcodes.IF_ICMPLT;
        } else {
            throw new Refused(loop + " is not a counted loop: its condition is not " + name + " < bound or " + name + " <= bound");
        }
        for (AbstractInsnNode b : bound) {
            if (!isBoundInstruction(b) || isLoad(b, slot)) {
                throw new Refused(loop + " has a bound that is not an expression of locals, constants, integer arithmetic and array sizes");
            }
        }
        LabelNode exit = exitJump.label;
        if (exit != end) {
            throw new Refused(loop + " is not a counted loop: " + name + " lives on after the loop exits");
        }
        if (!(previousReal(exit) instanceof JumpInsnNode back) || back.getOpcode() != Opcodes.GOTO || back.label != header) {
            throw new Refused(loop + " is not a counted loop: it does not end with a jump back to its condition");
        }
        if (!(previousReal(back) instanceof IincInsnNode step) || step.var != slot || step.incr < 1) {
            throw new Refused(loop + " is not a counted loop: its step is not " + name + " += c with a constant c >= 1");
        }
        return new Loop(name, line(header), init, header, bound, inclusive, exitJump, step, exit);
    }

    private static boolean isLoad(AbstractInsnNode insn, int slot) {
        return insn instanceof VarInsnNode v && v.getOpcode() == Opcodes.ILOAD && v.var == slot;
    }

    /** Instructions a bound may consist of: evaluating them once more before the loop changes nothing. */
    private static boolean isBoundInstruction(AbstractInsnNode insn) {
        return switch (insn.getOpcode()) {
            case Opcodes.ILOAD, Opcodes.ALOAD, Opcodes.ICONST_M1, Opcodes.ICONST_0, Opcodes.ICONST_1, Opcodes.ICONST_2, Opcodes.ICONST_3, Opcodes.ICONST_4,
                    Opcodes.ICONST_5, Opcodes.BIPUSH, Opcodes.SIPUSH, Opcodes.IADD, Opcodes.ISUB, Opcodes.IMUL, Opcodes.IDIV, Opcodes.IREM, Opcodes.INEG,
                    Opcodes.ISHL, Opcodes.ISHR, Opcodes.IUSHR, Opcodes.IAND, Opcodes.IOR, Opcodes.IXOR, Opcodes.ARRAYLENGTH -> true;
            case Opcodes.LDC -> ((LdcInsnNode) insn).cst instanceof Integer;
            case Opcodes.INVOKEVIRTUAL -> insn instanceof MethodInsnNode m && m.owner.startsWith(TORNADO_TYPES) && m.name.equals("getSize") && m.desc.equals("()I");
            case Opcodes.INVOKESTATIC -> insn instanceof MethodInsnNode m && (m.owner.equals("java/lang/Math") || m.owner.equals("uk/ac/manchester/tornado/api/math/TornadoMath"))
                    && (m.name.equals("min") || m.name.equals("max")) && m.desc.equals("(II)I");
            default -> false;
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Whether splitting it keeps the result.
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Checks that {@code loop} can be split with every thread running {@code around}'s other code (the method's,
     * when {@code around} is null) for itself.
     */
    private static void checkSplittable(MethodNode method, Loop loop, Loop around) throws Refused {
        InsnList insns = method.instructions;
        int header = insns.indexOf(loop.header());
        int exit = insns.indexOf(loop.exit());
        int bodyStart = insns.indexOf(loop.exitJump()) + 1;
        int stepAt = insns.indexOf(loop.step());
        // The region every thread runs in full: the method, or the body of the loop around.
        int regionStart = around == null ? 0 : insns.indexOf(around.exitJump()) + 1;
        int regionEnd = around == null ? insns.size() : insns.indexOf(around.step());

        for (int i = regionStart; i < regionEnd; i++) {
            AbstractInsnNode insn = insns.get(i);
            boolean inLoop = i >= header && i < exit;
            for (LabelNode target : targets(insn)) {
                int t = insns.indexOf(target);
                if (inLoop && insn != loop.exitJump() && (t < header || t >= exit)) {
                    throw new Refused(loop + " can leave early (a break, or a jump out of it), which splitting would not honour");
                }
                if (!inLoop && t > header && t < exit) {
                    throw new Refused(loop + " is entered other than through its condition");
                }
                if (!inLoop && t <= header && i >= exit) {
                    throw new Refused(loop + " is inside another loop that is not @Parallel; its iterations would need a barrier between them");
                }
            }
            if (inLoop && insn.getOpcode() >= Opcodes.IRETURN && insn.getOpcode() <= Opcodes.RETURN) {
                throw new Refused(loop + " can return from the kernel in an iteration, which splitting would not honour");
            }
            if (inLoop && i >= bodyStart && i < stepAt) {
                checkBodyWrite(method, loop, insn, bodyStart, exit);
            }
            if (!inLoop && writesMemory(insn)) {
                throw new Refused("every thread would repeat the code outside " + loop + ", and it " + describeWrite(insn));
            }
        }
        for (TryCatchBlockNode handler : method.tryCatchBlocks) {
            int from = insns.indexOf(handler.start);
            int to = insns.indexOf(handler.end);
            int at = insns.indexOf(handler.handler);
            boolean overlaps = from < exit && to > header;
            boolean inside = from >= header && to <= exit && at >= header && at < exit;
            if (overlaps && !inside) {
                throw new Refused(loop + " is in a try block whose handler is outside it");
            }
        }
        for (AbstractInsnNode b : loop.bound()) {
            if (b instanceof VarInsnNode load && isWrittenIn(insns, load.var, header, exit)) {
                throw new Refused(loop + " has a bound that changes inside the loop");
            }
        }
    }

    private static boolean isWrittenIn(InsnList insns, int slot, int from, int to) {
        for (int i = from; i < to; i++) {
            if (writtenSlot(insns.get(i)) == slot) {
                return true;
            }
        }
        return false;
    }

    /** An iteration may write only the loop variable (in its step) and variables declared inside the loop. */
    private static void checkBodyWrite(MethodNode method, Loop loop, AbstractInsnNode insn, int bodyStart, int exit) throws Refused {
        int slot = writtenSlot(insn);
        if (slot < 0) {
            return;
        }
        if (slot == loop.init().var) {
            throw new Refused(loop + " assigns " + loop.name() + " in its body");
        }
        InsnList insns = method.instructions;
        int at = insns.indexOf(insn);
        LocalVariableNode variable = null;
        for (LocalVariableNode v : nonNull(method.localVariables)) {
            // javac starts a variable's range right after its first store
            if (v.index == slot && insns.indexOf(v.start) <= at + 1 && insns.indexOf(v.end) > at) {
                variable = v;
            }
        }
        if (variable == null) {
            throw new Refused(loop + " writes local variable slot " + slot + ", which has no debug information (compile with -g)");
        }
        if (insns.indexOf(variable.start) < bodyStart || insns.indexOf(variable.end) > exit) {
            throw new Refused(loop + " updates " + variable.name + ", declared outside it, in its iterations (a reduction, or a value carried "
                    + "from one iteration to the next)");
        }
    }

    private static int writtenSlot(AbstractInsnNode insn) {
        if (insn instanceof IincInsnNode inc) {
            return inc.var;
        }
        if (insn instanceof VarInsnNode v && v.getOpcode() >= Opcodes.ISTORE && v.getOpcode() <= Opcodes.ASTORE) {
            return v.var;
        }
        return -1;
    }

    /**
     * Whether running the instruction on every thread instead of once could change memory others see: stores into
     * arrays and fields, calls of instance methods other than the TornadoVM types' getters, and static calls that
     * return nothing (they exist for their effect; static functions that return a value are taken as pure, as
     * kernels' helpers are).
     */
    private static boolean writesMemory(AbstractInsnNode insn) {
        int op = insn.getOpcode();
        if ((op >= Opcodes.IASTORE && op <= Opcodes.SASTORE) || op == Opcodes.PUTFIELD || op == Opcodes.PUTSTATIC || op == Opcodes.MONITORENTER
                || op == Opcodes.MONITOREXIT || op == Opcodes.INVOKEDYNAMIC) {
            return true;
        }
        if (op == Opcodes.INVOKESTATIC) {
            return Type.getReturnType(((MethodInsnNode) insn).desc) == Type.VOID_TYPE;
        }
        if (op == Opcodes.INVOKEVIRTUAL || op == Opcodes.INVOKEINTERFACE || op == Opcodes.INVOKESPECIAL) {
            MethodInsnNode call = (MethodInsnNode) insn;
            boolean reads = call.owner.startsWith(TORNADO_TYPES) && call.name.startsWith("get");
            return !reads && !call.name.equals("<init>");
        }
        return false;
    }

    private static String describeWrite(AbstractInsnNode insn) {
        if (insn instanceof MethodInsnNode call) {
            return "calls " + call.owner.replace('/', '.') + "." + call.name + lineSuffix(insn);
        }
        return "writes memory (opcode " + insn.getOpcode() + ")" + lineSuffix(insn);
    }

    private static List<LabelNode> targets(AbstractInsnNode insn) {
        if (insn instanceof JumpInsnNode jump) {
            return List.of(jump.label);
        }
        List<LabelNode> labels = new ArrayList<>();
        if (insn instanceof TableSwitchInsnNode table) {
            labels.add(table.dflt);
            labels.addAll(table.labels);
        } else if (insn instanceof LookupSwitchInsnNode lookup) {
            labels.add(lookup.dflt);
            labels.addAll(lookup.labels);
        }
        return labels;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Names and lines for messages.
    // ---------------------------------------------------------------------------------------------------------

    private static AbstractInsnNode previousReal(AbstractInsnNode insn) {
        AbstractInsnNode p = insn.getPrevious();
        while (p != null && p.getOpcode() < 0) {
            p = p.getPrevious();
        }
        return p;
    }

    private static String variableName(MethodNode method, int slot, LabelNode start) {
        for (LocalVariableNode v : nonNull(method.localVariables)) {
            if (v.index == slot && v.start == start) {
                return v.name;
            }
        }
        return "local " + slot;
    }

    private static int line(AbstractInsnNode insn) {
        for (AbstractInsnNode p = insn; p != null; p = p.getPrevious()) {
            if (p instanceof LineNumberNode n) {
                return n.line;
            }
        }
        return 0;
    }

    private static String lineSuffix(AbstractInsnNode insn) {
        int line = line(insn);
        return line > 0 ? " (line " + line + ")" : "";
    }
}
