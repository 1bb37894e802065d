package org.attentionlab.tornadoapi.jvm;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.MethodNode;

/** Reads the class files of loaded classes with ASM. */
final class ClassFiles {

    private ClassFiles() {
    }

    /** Thrown when a class file or a method in it cannot be read; its message says why, for the log. */
    static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message, null, false, false);
        }
    }

    /** The class file {@code type} was loaded from, as a tree, without stack map frames (they are recomputed). */
    static ClassNode read(Class<?> type) throws Unreadable {
        ClassNode node = new ClassNode();
        new ClassReader(bytes(type)).accept(node, ClassReader.SKIP_FRAMES);
        return node;
    }

    static MethodNode method(ClassNode owner, String name, String descriptor) throws Unreadable {
        for (MethodNode m : owner.methods) {
            if (m.name.equals(name) && m.desc.equals(descriptor)) {
                return m;
            }
        }
        throw new Unreadable("the class file of " + owner.name.replace('/', '.') + " has no method " + name + descriptor);
    }

    /**
     * One method of {@code type}'s class file, together with the instruction at {@code bytecodeIndex} (as a stack
     * frame reports it). ASM's tree keeps no bytecode offsets, so the reader places a label before every instruction
     * and remembers its offset.
     */
    static InstructionAt instructionAt(Class<?> type, String name, String descriptor, int bytecodeIndex) throws Unreadable {
        List<OffsetLabel> labels = new ArrayList<>();
        ClassReader reader = new ClassReader(bytes(type)) {
            @Override
            protected Label readLabel(int offset, Label[] methodLabels) {
                if (methodLabels[offset] == null) {
                    // First label of the method: give every offset one, so that every instruction is preceded by
                    // a label that knows its offset (offsets inside an instruction are simply never visited).
                    for (int i = 0; i < methodLabels.length; i++) {
                        if (methodLabels[i] == null) {
                            OffsetLabel label = new OffsetLabel(i);
                            methodLabels[i] = label;
                            labels.add(label);
                        }
                    }
                }
                return methodLabels[offset];
            }
        };
        MethodNode[] found = new MethodNode[1];
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String methodName, String methodDescriptor, String signature, String[] exceptions) {
                if (methodName.equals(name) && methodDescriptor.equals(descriptor)) {
                    found[0] = new MethodNode(access, methodName, methodDescriptor, signature, exceptions);
                    return found[0];
                }
                return null;
            }
        }, ClassReader.SKIP_FRAMES);
        MethodNode method = found[0];
        if (method == null) {
            throw new Unreadable("the class file of " + type.getName() + " has no method " + name + descriptor);
        }
        for (OffsetLabel label : labels) {
            if (label.offset == bytecodeIndex && label.info instanceof LabelNode node) {
                for (AbstractInsnNode insn = node.getNext(); insn != null; insn = insn.getNext()) {
                    if (insn.getOpcode() >= 0) {
                        return new InstructionAt(method, insn);
                    }
                }
            }
        }
        throw new Unreadable("no instruction at bytecode index " + bytecodeIndex + " of " + type.getName() + "." + name
                + " (a method without branches and without debug information)");
    }

    /** A method and one of its instructions. */
    record InstructionAt(MethodNode method, AbstractInsnNode instruction) {
    }

    private static final class OffsetLabel extends Label {
        final int offset;

        OffsetLabel(int offset) {
            this.offset = offset;
        }
    }

    private static byte[] bytes(Class<?> type) throws Unreadable {
        if (type.isHidden() || type.isArray() || type.isPrimitive()) {
            throw new Unreadable(type.getName() + " has no class file");
        }
        String resource = type.getName().substring(type.getName().lastIndexOf('.') + 1) + ".class";
        try (InputStream in = type.getResourceAsStream(resource)) {
            if (in == null) {
                throw new Unreadable("the class file of " + type.getName() + " is not readable through its class loader");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new Unreadable("cannot read the class file of " + type.getName() + ": " + e.getMessage());
        }
    }
}
