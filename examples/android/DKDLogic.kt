// The pure logic of DKD pose tracking, with no Android imports: the contract constants, the
// letterbox geometry and normalisation, heatmap decoding, the re-initialisation policy and
// One-Euro smoothing. The interpreter call sits behind `PoseModel`, so the JVM test
// (test/GoldenTest.kt, run by tests/test_kotlin_logic.py) feeds it recorded outputs from an
// artifact's golden.npz. DKDPoseTracker.kt puts LiteRT and Bitmaps around it.

package dev.dkdedge.example

object DKDContract {
    const val INIT_SIGNATURE = "init"
    const val STEP_SIGNATURE = "step"
    const val FRAME_INPUT = "frame"            // [1, 256, 256, 3] normalised RGB, NHWC
    const val STATE_INPUT = "kernels"          // step input
    const val HEATMAPS_OUTPUT = "heatmaps"     // [1, 13, 64, 64]
    const val INIT_STATE_OUTPUT = "kernels"
    const val STEP_STATE_OUTPUT = "kernels_out"
    const val INPUT_SIZE = 256
    const val HEATMAP_STRIDE = 4
    const val LOCAL_THRESHOLD = 0.05f            // heatmap decode (see decodeHeatmaps())
    const val LOCAL_MODE_RADIUS = 2
    const val LOCAL_WINDOW_RADIUS = 16
    val FRAME_SHAPE = intArrayOf(1, 256, 256, 3)
    val HEATMAP_SHAPE = intArrayOf(1, 13, 64, 64)
    val STATE_SHAPE = intArrayOf(1, 13, 40, 1, 1)
    val MEAN = floatArrayOf(0.485f, 0.456f, 0.406f)
    val STD = floatArrayOf(0.229f, 0.224f, 0.225f)
}

/** One call's outputs: heatmaps [1, J, h, w] and the new state, both flat. */
class ModelOutput(val heatmaps: FloatArray, val state: FloatArray)

/** The interpreter behind the tracker: LiteRT on a phone, recorded outputs in a test. */
interface PoseModel {
    fun init(frame: FloatArray): ModelOutput
    fun step(frame: FloatArray, state: FloatArray): ModelOutput
}

class Point(val x: Float, val y: Float)

/** Where a frame lies inside the square model input: input = frame * scale + pad. */
class Letterbox(val scale: Float, val padX: Int, val padY: Int, val width: Int, val height: Int) {
    fun toFrame(x: Float, y: Float) = Point((x - padX) / scale, (y - padY) / scale)
}

fun letterboxGeometry(width: Int, height: Int, size: Int): Letterbox {
    val scale = size.toFloat() / maxOf(width, height)
    val newW = maxOf(1, Math.round(width * scale))
    val newH = maxOf(1, Math.round(height * scale))
    return Letterbox(newW.toFloat() / width, (size - newW) / 2, (size - newH) / 2, newW, newH)
}

/** Packed ARGB pixels of the square input -> NHWC float32 (pixel / 255 - mean) / std. */
fun normaliseNHWC(pixels: IntArray, mean: FloatArray = DKDContract.MEAN,
                  std: FloatArray = DKDContract.STD): FloatArray {
    val out = FloatArray(pixels.size * 3)
    for ((i, p) in pixels.withIndex()) {
        out[3 * i] = ((p shr 16 and 0xFF) / 255f - mean[0]) / std[0]
        out[3 * i + 1] = ((p shr 8 and 0xFF) / 255f - mean[1]) / std[1]
        out[3 * i + 2] = ((p and 0xFF) / 255f - mean[2]) / std[2]
    }
    return out
}

/** Heatmap shape, decode constants and stride of one artifact (the manifest's). */
class Decoding(val joints: Int, val height: Int, val width: Int,
               val stride: Int = DKDContract.HEATMAP_STRIDE,
               val threshold: Float = DKDContract.LOCAL_THRESHOLD,
               val modeRadius: Int = DKDContract.LOCAL_MODE_RADIUS,
               val windowRadius: Int = DKDContract.LOCAL_WINDOW_RADIUS)

// Decoding: the Python runtime's default (dkd_edge.keypoints.decode_heatmaps, "local"):
// weights max(h - threshold * peak, 0); the (2 r + 1)^2 box with the most weight is the mode;
// the keypoint is the weighted mean cell within windowRadius cells of it; the argmax cell
// when the peak is not positive. Score = the peak value. Coordinates are heatmap cells.
fun decodeHeatmaps(heatmaps: FloatArray, d: Decoding): Pair<List<Point>, FloatArray> {
    val h = d.height
    val w = d.width
    val points = ArrayList<Point>(d.joints)
    val scores = FloatArray(d.joints)
    val weights = FloatArray(h * w)
    for (j in 0 until d.joints) {
        val base = j * h * w
        var best = 0
        for (i in 1 until h * w) if (heatmaps[base + i] > heatmaps[base + best]) best = i
        val peak = heatmaps[base + best]
        var x = (best % w).toFloat()
        var y = (best / w).toFloat()
        if (peak > 0f) {
            val floor = d.threshold * peak
            for (i in 0 until h * w) weights[i] = maxOf(heatmaps[base + i] - floor, 0f)
            var mode = 0
            var modeMass = -1.0
            val r = d.modeRadius
            for (my in 0 until h) for (mx in 0 until w) {
                var mass = 0.0
                for (yy in maxOf(my - r, 0)..minOf(my + r, h - 1))
                    for (xx in maxOf(mx - r, 0)..minOf(mx + r, w - 1)) mass += weights[yy * w + xx]
                if (mass > modeMass) {
                    modeMass = mass
                    mode = my * w + mx
                }
            }
            val cx = mode % w
            val cy = mode / w
            var total = 0.0
            var sx = 0.0
            var sy = 0.0
            for (yy in maxOf(cy - d.windowRadius, 0)..minOf(cy + d.windowRadius, h - 1))
                for (xx in maxOf(cx - d.windowRadius, 0)..minOf(cx + d.windowRadius, w - 1)) {
                    val weight = weights[yy * w + xx].toDouble()
                    total += weight
                    sx += weight * xx
                    sy += weight * yy
                }
            if (total > 0.0) {
                x = (sx / total).toFloat()
                y = (sy / total).toFloat()
            }
        }
        points.add(Point(x, y))
        scores[j] = peak
    }
    return points to scores
}

/** One-Euro filter (Casiez et al., CHI 2012) over a fixed number of values, as MediaPipe and
 *  dkd_edge.runtime.smoothing.OneEuroFilter smooth keypoints. */
class OneEuroFilter(val minCutoff: Float = 1.0f, val beta: Float = 0.05f,
                    val dCutoff: Float = 1.0f) {
    private var x: FloatArray? = null
    private var dx: FloatArray? = null

    fun reset() {
        x = null
        dx = null
    }

    private fun alpha(cutoff: Double, dt: Double): Double {
        val tau = 1.0 / (2 * Math.PI * cutoff)
        return 1.0 / (1.0 + tau / dt)
    }

    fun filter(values: FloatArray, dt: Float = 1f / 30): FloatArray {
        val last = x
        val lastDx = dx
        if (last == null || lastDx == null) {
            x = values.copyOf()
            dx = FloatArray(values.size)
            return values.copyOf()
        }
        val aD = alpha(dCutoff.toDouble(), dt.toDouble())
        val out = FloatArray(values.size)
        for (i in values.indices) {
            val speed = (values[i] - last[i]) / dt
            lastDx[i] = (aD * speed + (1 - aD) * lastDx[i]).toFloat()
            val a = alpha(minCutoff + beta * Math.abs(lastDx[i]).toDouble(), dt.toDouble())
            out[i] = (a * values[i] + (1 - a) * last[i]).toFloat()
        }
        x = out.copyOf()
        return out
    }
}

class PoseFrame(val keypoints: List<Point>, val scores: FloatArray, val reason: String?) {
    val reinitialized get() = reason != null
}

/** The tracking loop of dkd_edge.runtime.PoseTracker: init on the first frame, every
 *  `reinitEvery` frames, when mean confidence drops below `minConfidence`, or when the state
 *  turns non-finite; otherwise step with the previous state. */
class TrackerLogic(private val model: PoseModel, private val decoding: Decoding,
                   var reinitEvery: Int = 0, var minConfidence: Float = 0f,
                   private val smoother: OneEuroFilter? = null) {
    private var state: FloatArray? = null
    private var sinceInit = 0

    fun reset() {
        state = null
        sinceInit = 0
        smoother?.reset()
    }

    private fun finite(values: FloatArray) = values.all { it.isFinite() }

    /** `frame`: the normalised model input; `box`: where the camera frame lies in it. */
    fun track(frame: FloatArray, box: Letterbox): PoseFrame {
        val previous = state
        var reason: String? = when {
            previous == null -> "first"
            !finite(previous) -> "state"
            reinitEvery > 0 && sinceInit >= reinitEvery -> "periodic"
            else -> null
        }
        var output: ModelOutput? = null
        var decoded: Pair<List<Point>, FloatArray>? = null
        if (reason == null && previous != null) {
            output = model.step(frame, previous)
            decoded = decodeHeatmaps(output.heatmaps, decoding)
            if (!finite(output.state)) reason = "state"
            else if (minConfidence > 0f && decoded.second.average() < minConfidence) reason = "confidence"
        }
        if (reason != null) {
            output = model.init(frame)
            decoded = decodeHeatmaps(output.heatmaps, decoding)
            sinceInit = 0
        }
        state = output!!.state
        sinceInit += 1
        val stride = decoding.stride
        var points = decoded!!.first.map { p ->
            box.toFrame((p.x + 0.5f) * stride - 0.5f, (p.y + 0.5f) * stride - 0.5f)
        }
        if (smoother != null) {
            val flat = FloatArray(points.size * 2)
            points.forEachIndexed { i, p -> flat[2 * i] = p.x; flat[2 * i + 1] = p.y }
            val smooth = smoother.filter(flat)
            points = points.indices.map { Point(smooth[2 * it], smooth[2 * it + 1]) }
        }
        return PoseFrame(points, decoded.second, reason)
    }
}
