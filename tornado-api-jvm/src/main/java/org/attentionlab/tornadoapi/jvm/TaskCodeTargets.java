package org.attentionlab.tornadoapi.jvm;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TypeInsnNode;
import org.objectweb.asm.tree.VarInsnNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.AnalyzerException;
import org.objectweb.asm.tree.analysis.Frame;
import org.objectweb.asm.tree.analysis.SourceInterpreter;
import org.objectweb.asm.tree.analysis.SourceValue;

/**
 * Finds the static method behind a task's code. A task's code is a {@code TornadoFunctions.TaskN} made by a lambda
 * or a method reference; TornadoVM compiles the method that the lambda object's {@code apply} calls. On a plain JVM
 * the lambda object's class is hidden and has no class file, so the method is found where the lambda was made: in
 * the class file of the method that called {@code TaskGraph.task}, the call at the stack frame's bytecode index is
 * located, and a data-flow analysis (ASM's {@link SourceInterpreter}) follows the code argument back to the
 * {@code invokedynamic} of {@code LambdaMetafactory} that created it (through local variables and casts), whose
 * implementation method handle names the method. For {@code Kernels::kernel} that is the kernel itself; for a lambda
 * {@code (a, b) -> ...} it is the lambda's body, as for TornadoVM.
 */
final class TaskCodeTargets {

    private static final String LAMBDA_METAFACTORY = "java/lang/invoke/LambdaMetafactory";
    private static final int MAX_DEPTH = 16;

    private TaskCodeTargets() {
    }

    /** Thrown when the target cannot be found; the message says why, for the log. */
    static final class Unresolved extends Exception {
        Unresolved(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The static method that {@code code}, passed as the {@code TaskN} argument of the call at {@code bytecodeIndex}
     * in {@code caller.method} to a task method with {@code arity} task arguments, runs.
     */
    static Method resolve(Class<?> caller, String method, String descriptor, int bytecodeIndex, int arity, Object code) throws Unresolved {
        ClassFiles.InstructionAt at;
        try {
            at = ClassFiles.instructionAt(caller, method, descriptor, bytecodeIndex);
        } catch (ClassFiles.Unreadable e) {
            throw new Unresolved(e.getMessage());
        }
        String where = caller.getName() + "." + method + " at bytecode " + bytecodeIndex;
        if (!(at.instruction() instanceof MethodInsnNode call) || !call.name.equals("task")
                || Type.getArgumentTypes(call.desc).length != arity + 2) {
            throw new Unresolved(where + " is not a call of task(String, TaskN, ...) with " + arity + " arguments");
        }
        MethodNode callerMethod = at.method();
        Frame<SourceValue>[] frames;
        try {
            frames = new Analyzer<>(new SourceInterpreter()).analyze(Type.getInternalName(caller), callerMethod);
        } catch (AnalyzerException e) {
            throw new Unresolved("cannot analyse " + where + ": " + e.getMessage());
        }
        Frame<SourceValue> atCall = frames[callerMethod.instructions.indexOf(call)];
        SourceValue codeArgument = atCall.getStack(atCall.getStackSize() - 1 - arity);
        Handle target = lambdaTarget(codeArgument, callerMethod, frames, where, 0);
        if (target.getTag() != Opcodes.H_INVOKESTATIC) {
            throw new Unresolved("the code of the task at " + where + " runs " + target.getOwner().replace('/', '.') + "." + target.getName()
                    + ", which is not a static method");
        }
        Method found = staticMethod(caller, target, where);
        if (found.getParameterCount() != arity) {
            throw new Unresolved("the code of the task at " + where + " runs " + found + ", whose " + found.getParameterCount()
                    + " parameters are not the task's " + arity + " arguments");
        }
        // The lambda object was made at that call site: LambdaMetafactory defines it as a nestmate of the caller.
        if (!code.getClass().isHidden() || code.getClass().getNestHost() != caller.getNestHost()) {
            throw new Unresolved("the task's code object " + code.getClass().getName() + " was not made by a lambda in " + caller.getName());
        }
        return found;
    }

    private static Handle lambdaTarget(SourceValue value, MethodNode method, Frame<SourceValue>[] frames, String where, int depth) throws Unresolved {
        if (depth > MAX_DEPTH || value.insns.isEmpty()) {
            throw new Unresolved("the code of the task at " + where + " comes from a parameter of " + method.name + " or from too far away");
        }
        Handle found = null;
        for (AbstractInsnNode source : value.insns) {
            Handle h = lambdaTargetOf(source, method, frames, where, depth);
            if (found != null && !found.equals(h)) {
                throw new Unresolved("the code of the task at " + where + " is one of several lambdas");
            }
            found = h;
        }
        return found;
    }

    private static Handle lambdaTargetOf(AbstractInsnNode source, MethodNode method, Frame<SourceValue>[] frames, String where, int depth)
            throws Unresolved {
        Frame<SourceValue> before = frames[method.instructions.indexOf(source)];
        if (before == null) {
            throw new Unresolved("the code of the task at " + where + " comes from unreachable code");
        }
        if (source instanceof InvokeDynamicInsnNode indy) {
            if (!indy.bsm.getOwner().equals(LAMBDA_METAFACTORY) || indy.bsmArgs.length < 2 || !(indy.bsmArgs[1] instanceof Handle target)) {
                throw new Unresolved("the code of the task at " + where + " is made by invokedynamic " + indy.bsm.getOwner() + "." + indy.bsm.getName()
                        + ", not by a lambda");
            }
            if (Type.getArgumentTypes(indy.desc).length > 0) {
                throw new Unresolved("the code of the task at " + where + " is a lambda that captures values");
            }
            return target;
        }
        if (source instanceof VarInsnNode load && load.getOpcode() == Opcodes.ALOAD) {
            return lambdaTarget(before.getLocal(load.var), method, frames, where, depth + 1);
        }
        if ((source instanceof VarInsnNode store && store.getOpcode() == Opcodes.ASTORE)
                || (source instanceof TypeInsnNode cast && cast.getOpcode() == Opcodes.CHECKCAST)) {
            return lambdaTarget(before.getStack(before.getStackSize() - 1), method, frames, where, depth + 1);
        }
        throw new Unresolved("the code of the task at " + where + " is computed (opcode " + source.getOpcode() + "), not made by a lambda there");
    }

    private static Method staticMethod(Class<?> caller, Handle target, String where) throws Unresolved {
        try {
            Class<?> owner = Class.forName(Type.getObjectType(target.getOwner()).getClassName(), false, caller.getClassLoader());
            for (Method m : owner.getDeclaredMethods()) {
                if (Modifier.isStatic(m.getModifiers()) && m.getName().equals(target.getName()) && Type.getMethodDescriptor(m).equals(target.getDesc())) {
                    return m;
                }
            }
        } catch (ClassNotFoundException | LinkageError e) {
            throw new Unresolved("cannot load " + target.getOwner() + " for the task at " + where + ": " + e);
        }
        throw new Unresolved("no static method " + target.getOwner() + "." + target.getName() + target.getDesc() + " for the task at " + where);
    }
}
