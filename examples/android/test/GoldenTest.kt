// JVM test of DKDLogic.kt against an artifact's golden.npz (tests/test_kotlin_logic.py
// compiles and runs it with Debian's kotlinc):
//   java -jar golden-test.jar golden.npz one_euro.csv stride
// 1. decodeHeatmaps on every golden heatmap gives the golden keypoints;
// 2. TrackerLogic over a PoseModel that replays the recorded outputs calls init, then step
//    with the state the previous call returned, and maps keypoints to frame pixels;
// 3. the re-init policy (periodic, confidence, non-finite state);
// 4. normaliseNHWC and OneEuroFilter match the Python runtime's numbers.

package dev.dkdedge.example

import java.io.DataInputStream
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.zip.ZipFile
import kotlin.system.exitProcess

class Npy(val shape: IntArray, val floats: FloatArray?, val bytes: ByteArray?)

/** Reads the arrays of an .npz (uncompressed or deflated .npy members, '<f4' or '|u1'). */
fun readNpz(path: String): Map<String, Npy> {
    val out = HashMap<String, Npy>()
    ZipFile(path).use { zip ->
        for (entry in zip.entries()) {
            val data = DataInputStream(zip.getInputStream(entry)).use { it.readBytes() }
            val headerLen = (data[8].toInt() and 0xFF) or ((data[9].toInt() and 0xFF) shl 8)
            val header = String(data, 10, headerLen)
            val shape = Regex("""'shape': \(([^)]*)\)""").find(header)!!.groupValues[1]
                .split(",").map { it.trim() }.filter { it.isNotEmpty() }.map { it.toInt() }.toIntArray()
            val body = ByteBuffer.wrap(data, 10 + headerLen, data.size - 10 - headerLen)
                .order(ByteOrder.LITTLE_ENDIAN)
            val name = entry.name.removeSuffix(".npy")
            out[name] = when {
                "'<f4'" in header -> Npy(shape, FloatArray(body.remaining() / 4) { body.float }, null)
                "'|u1'" in header -> Npy(shape, null, ByteArray(body.remaining()).also { body.get(it) })
                else -> error("$name: unsupported dtype in $header")
            }
        }
    }
    return out
}

var failures = 0

fun check(ok: Boolean, what: String) {
    println((if (ok) "ok   " else "FAIL ") + what)
    if (!ok) failures += 1
}

fun slice(values: FloatArray, index: Int, size: Int) = values.copyOfRange(index * size, (index + 1) * size)

/** Replays recorded outputs: frame i's heatmaps and state, for init or step alike. */
class RecordedModel(private val heatmaps: FloatArray, private val states: FloatArray,
                    private val heatmapSize: Int, private val stateSize: Int) : PoseModel {
    val calls = ArrayList<String>()
    val statesIn = ArrayList<FloatArray>()
    var poisonAt = -1  // return a non-finite state at this call
    private var frame = 0

    private fun next(kind: String): ModelOutput {
        calls.add(kind)
        val i = frame % (heatmaps.size / heatmapSize)
        frame += 1
        val state = slice(states, i, stateSize)
        if (calls.size - 1 == poisonAt) state[0] = Float.NaN
        return ModelOutput(slice(heatmaps, i, heatmapSize), state)
    }

    override fun init(frame: FloatArray) = next("init")
    override fun step(frame: FloatArray, state: FloatArray): ModelOutput {
        statesIn.add(state)
        return next("step")
    }
}

fun main(args: Array<String>) {
    val golden = readNpz(args[0])
    val stride = args[2].toInt()
    val heatmaps = golden.getValue("heatmaps")
    val states = golden.getValue("states")
    val heatmapValues = heatmaps.floats!!
    val stateValues = states.floats!!
    val keypoints = golden.getValue("keypoints").floats!!
    val pixels = golden.getValue("pixels")
    val (frames, joints, h, w) = heatmaps.shape.toList()
    val heatmapSize = joints * h * w
    val stateSize = stateValues.size / frames
    val decoding = Decoding(joints, h, w, stride)

    // 1. Decoding.
    var worst = 0f
    for (f in 0 until frames) {
        val (points, _) = decodeHeatmaps(slice(heatmapValues, f, heatmapSize), decoding)
        points.forEachIndexed { j, p ->
            worst = maxOf(worst, Math.abs(p.x - keypoints[(f * joints + j) * 2]),
                          Math.abs(p.y - keypoints[(f * joints + j) * 2 + 1]))
        }
    }
    check(worst < 1e-3f, "decodeHeatmaps matches the golden keypoints on $frames frames (max diff $worst cells)")

    // 2. The closed loop over recorded outputs; golden frames are already square.
    val size = pixels.shape[1]
    val box = letterboxGeometry(size, size, size)
    val model = RecordedModel(heatmapValues, stateValues, heatmapSize, stateSize)
    val tracker = TrackerLogic(model, decoding)
    var mapped = 0f
    for (f in 0 until frames) {
        val result = tracker.track(FloatArray(size * size * 3), box)
        result.keypoints.forEachIndexed { j, p ->
            val x = (keypoints[(f * joints + j) * 2] + 0.5f) * stride - 0.5f
            val y = (keypoints[(f * joints + j) * 2 + 1] + 0.5f) * stride - 0.5f
            mapped = maxOf(mapped, Math.abs(p.x - x), Math.abs(p.y - y))
        }
    }
    check(model.calls == listOf("init") + List(frames - 1) { "step" }, "init once, then step: ${model.calls}")
    check((1 until frames).all { model.statesIn[it - 1].contentEquals(slice(stateValues, it - 1, stateSize)) },
          "each step gets the state the previous call returned")
    check(mapped < 1e-3f, "keypoints in frame pixels (max diff $mapped px)")

    // 3. The re-init policy.
    val periodic = RecordedModel(heatmapValues, stateValues, heatmapSize, stateSize)
    val every3 = TrackerLogic(periodic, decoding, reinitEvery = 3)
    repeat(7) { every3.track(FloatArray(size * size * 3), box) }
    check(periodic.calls.withIndex().filter { it.value == "init" }.map { it.index } == listOf(0, 3, 6),
          "reinitEvery = 3 runs init on frames 0, 3, 6")
    val confident = RecordedModel(heatmapValues, stateValues, heatmapSize, stateSize)
    val strict = TrackerLogic(confident, decoding, minConfidence = 1e9f)
    val reasons = (0 until 3).map { strict.track(FloatArray(size * size * 3), box).reason }
    check(reasons == listOf("first", "confidence", "confidence"), "low confidence re-initialises: $reasons")
    val poisoned = RecordedModel(heatmapValues, stateValues, heatmapSize, stateSize)
    poisoned.poisonAt = 1  // the first step returns NaN in its state
    val guarded = TrackerLogic(poisoned, decoding)
    val guardReasons = (0 until 3).map { guarded.track(FloatArray(size * size * 3), box).reason }
    check(guardReasons == listOf("first", "state", null), "a non-finite state re-initialises: $guardReasons")

    // 4. Normalisation and One-Euro against the Python runtime.
    val lines = File(args[1]).readLines()
    val expectedNorm = lines[0].split(",").map { it.toFloat() }
    val packed = IntArray(size * size) { i ->
        val r = pixels.bytes!![3 * i].toInt() and 0xFF
        val g = pixels.bytes[3 * i + 1].toInt() and 0xFF
        val b = pixels.bytes[3 * i + 2].toInt() and 0xFF
        (0xFF shl 24) or (r shl 16) or (g shl 8) or b
    }
    val norm = normaliseNHWC(packed)
    check(expectedNorm.indices.all { Math.abs(norm[it] - expectedNorm[it]) < 1e-5f },
          "normaliseNHWC matches dkd_edge.preprocess on golden frame 0")
    val filter = OneEuroFilter()
    var euro = 0f
    for (line in lines.drop(1)) {
        val (input, expected) = line.split(";").map { part -> part.split(",").map { it.toFloat() }.toFloatArray() }
        val got = filter.filter(input)
        for (i in got.indices) euro = maxOf(euro, Math.abs(got[i] - expected[i]))
    }
    check(euro < 1e-3f, "OneEuroFilter matches dkd_edge.runtime.smoothing over ${lines.size - 1} steps (max diff $euro)")

    println(if (failures == 0) "PASS" else "FAIL: $failures check(s)")
    exitProcess(if (failures == 0) 0 else 1)
}
