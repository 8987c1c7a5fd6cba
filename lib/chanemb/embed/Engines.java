package chanemb.embed;

import chanemb.UserException;

/** Checks that an engine's native library is on the class path before DJL would try to download one. */
public final class Engines {
    private Engines() {
    }

    /** Fails with the Maven coordinates of the missing jar. */
    public static void requireNative(String engine) {
        switch (engine) {
            case "OnnxRuntime" -> {
                require("ai.djl.onnxruntime.engine.OrtEngineProvider", "ai.djl.onnxruntime:onnxruntime-engine:0.36.0");
                require("ai.onnxruntime.OrtEnvironment", "com.microsoft.onnxruntime:onnxruntime:1.21.1");
                if (Engines.class.getClassLoader().getResource("ai/onnxruntime/native/linux-x64/libonnxruntime.so") == null
                        && isLinuxX64()) {
                    throw new UserException("embed.native-missing", engine, "com.microsoft.onnxruntime:onnxruntime:1.21.1");
                }
            }
            case "PyTorch" -> {
                require("ai.djl.pytorch.engine.PtEngineProvider", "ai.djl.pytorch:pytorch-engine:0.36.0");
                if (Engines.class.getClassLoader().getResource("jnilib/pytorch.properties") == null) {
                    throw new UserException("embed.native-missing", engine, "ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0");
                }
                if (Engines.class.getClassLoader().getResource("native/lib/pytorch.properties") == null) {
                    throw new UserException("embed.native-missing", engine,
                            "ai.djl.pytorch:pytorch-native-cpu:2.7.1 (classifier linux-x86_64)");
                }
            }
            default -> throw new UserException("embed.invalid-engine", engine, "OnnxRuntime, PyTorch");
        }
    }

    private static void require(String className, String artifact) {
        try {
            Class.forName(className, false, Engines.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new UserException("embed.native-missing", className, artifact);
        }
    }

    private static boolean isLinuxX64() {
        String arch = System.getProperty("os.arch");
        return System.getProperty("os.name").toLowerCase().contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }
}
