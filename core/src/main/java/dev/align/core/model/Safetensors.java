package dev.align.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: 8 bytes little-endian header length N, N bytes of JSON ({@code name ->
 * {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then the raw tensor bytes.
 * Reads F32, F16 and BF16 (converted to float32); writes F32 or BF16.
 */
public final class Safetensors {
    private Safetensors() {}

    /** Storage type on disk. */
    public enum DType {
        F32(4), F16(2), BF16(2);
        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    /** A tensor read into float32, row-major. */
    public record Tensor(long[] shape, float[] data) {
        public long size() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** The header's {@code __metadata__} strings (empty when there are none). */
    public static Map<String, String> metadata(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > 100_000_000L || 8 + headerLen > ch.size()) {
                throw BadInputException.in(file, "truncated or corrupt safetensors header");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonNode header = Json.MAPPER.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8).trim());
            header.path("__metadata__").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
            return out;
        } catch (NoSuchFileException e) {
            throw BadInputException.in(file, "file not found");
        } catch (IOException e) {
            throw BadInputException.in(file, "cannot read: " + e.getMessage());
        }
    }

    /** Reads every tensor into float32; errors name the file and what is wrong. */
    public static Map<String, Tensor> read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw BadInputException.in(file, "truncated safetensors file (" + fileSize + " bytes, no header)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > 100_000_000L || 8 + headerLen > fileSize) {
                throw BadInputException.in(file, "truncated or corrupt safetensors file: header says " + headerLen
                        + " bytes but the file has " + fileSize);
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonNode header;
            try {
                header = Json.MAPPER.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8).trim());
            } catch (IOException e) {
                throw BadInputException.in(file, "corrupt safetensors header: " + e.getMessage());
            }
            if (!header.isObject()) {
                throw BadInputException.in(file, "corrupt safetensors header: not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataSize = fileSize - dataStart;
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                out.put(e.getKey(), readTensor(ch, file, e.getKey(), e.getValue(), dataStart, dataSize));
            }
            return out;
        } catch (NoSuchFileException e) {
            throw BadInputException.in(file, "file not found");
        } catch (IOException e) {
            throw BadInputException.in(file, "cannot read: " + e.getMessage());
        }
    }

    private static Tensor readTensor(FileChannel ch, Path file, String name, JsonNode info, long dataStart,
            long dataSize) throws IOException {
        DType dtype;
        try {
            dtype = DType.valueOf(info.path("dtype").asText());
        } catch (IllegalArgumentException e) {
            throw BadInputException.in(file, "tensor '" + name + "': unsupported dtype '" + info.path("dtype").asText()
                    + "' (supported: F32, F16, BF16)");
        }
        JsonNode shapeNode = info.path("shape");
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
            count *= shape[i];
        }
        long begin = info.path("data_offsets").path(0).asLong(-1);
        long end = info.path("data_offsets").path(1).asLong(-1);
        if (begin < 0 || end < begin || end - begin != count * dtype.bytes) {
            throw BadInputException.in(file, "tensor '" + name + "': data_offsets do not match its shape and dtype");
        }
        if (end > dataSize) {
            throw BadInputException.in(file, "truncated safetensors file: tensor '" + name + "' needs bytes up to "
                    + end + " but only " + dataSize + " data bytes are present");
        }
        if (count > Integer.MAX_VALUE) {
            throw BadInputException.in(file, "tensor '" + name + "' is too large");
        }
        ByteBuffer raw = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, raw, dataStart + begin);
        raw.flip();
        float[] data = new float[(int) count];
        switch (dtype) {
            case F32 -> raw.asFloatBuffer().get(data);
            case BF16 -> {
                for (int i = 0; i < data.length; i++) data[i] = Float.intBitsToFloat((raw.getShort() & 0xffff) << 16);
            }
            case F16 -> {
                for (int i = 0; i < data.length; i++) data[i] = halfToFloat(raw.getShort());
            }
        }
        return new Tensor(shape, data);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new IOException("unexpected end of file");
            pos += n;
        }
    }

    /** Writes tensors in the given order with optional string metadata. */
    public static void write(OutputStream out, Map<String, Tensor> tensors, DType dtype, Map<String, String> metadata)
            throws IOException {
        if (dtype == DType.F16) throw new IllegalArgumentException("writing F16 is not supported; use F32 or BF16");
        ObjectNode header = Json.MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            long bytes = e.getValue().size() * dtype.bytes;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = Json.compact(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // 8-byte alignment, padded with spaces as the reference writer does
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        out.write(head.array());
        for (Tensor t : tensors.values()) {
            float[] d = t.data();
            ByteBuffer buf = ByteBuffer.allocate(d.length * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (dtype == DType.F32) {
                FloatBuffer fb = buf.asFloatBuffer();
                fb.put(d);
            } else {
                for (float f : d) buf.putShort(floatToBf16(f));
            }
            out.write(buf.array());
        }
    }

    /** Round to nearest even, as torch does when casting float32 to bfloat16. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) 0x7fc0;
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            float v = mant / 1024f * (float) Math.pow(2, -14); // subnormal
            return sign != 0 ? -v : v;
        }
        if (exp == 31) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
