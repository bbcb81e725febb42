// DKD pose tracking with LiteRT (TensorFlow Lite): one model.tflite with two signatures,
// "init" on the first frame and "step" on every later frame with the pose-kernel state fed
// back as a plain float buffer.
//
// Made for the artifacts of `dkd-edge convert --target tflite` (fp32 or fp16; the frame is
// NHWC). `DKDContract` holds the I/O names, shapes and preprocessing this file was written
// against; tests/test_app_examples.py checks them against a fresh conversion's manifest.json.
// int8 artifacts take an int8 frame: quantize with the signature input's scale/zero point.

package dev.dkdedge.example

import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.PointF
import android.graphics.Rect
import org.tensorflow.lite.Interpreter
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.FloatBuffer

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
    const val LOCAL_THRESHOLD = 0.05f            // heatmap decode (see decode())
    const val LOCAL_MODE_RADIUS = 2
    const val LOCAL_WINDOW_RADIUS = 16
    val FRAME_SHAPE = intArrayOf(1, 256, 256, 3)
    val HEATMAP_SHAPE = intArrayOf(1, 13, 64, 64)
    val STATE_SHAPE = intArrayOf(1, 13, 40, 1, 1)
    val MEAN = floatArrayOf(0.485f, 0.456f, 0.406f)
    val STD = floatArrayOf(0.229f, 0.224f, 0.225f)
}

data class PoseResult(val keypoints: List<PointF>, val scores: FloatArray, val reinitialized: Boolean)

class DKDPoseTracker(modelFile: File, threads: Int = 2) : AutoCloseable {
    private val interpreter = Interpreter(modelFile, Interpreter.Options().setNumThreads(threads))
    private val stateSize = DKDContract.STATE_SHAPE.reduce { a, b -> a * b }
    private val heatmapSize = DKDContract.HEATMAP_SHAPE.reduce { a, b -> a * b }
    private var state: FloatBuffer? = null
    private var framesSinceInit = 0

    /** Re-initialise every N frames (0: never on a schedule). */
    var reinitEvery = 0
    /** Re-initialise when mean keypoint confidence drops below this (MediaPipe's policy). */
    var minConfidence = 0f

    fun reset() {
        state = null
        framesSinceInit = 0
    }

    fun track(bitmap: Bitmap): PoseResult {
        val (frame, box) = letterbox(bitmap)
        var reinit = state == null || (reinitEvery > 0 && framesSinceInit >= reinitEvery)
        var heatmaps = newFloatBuffer(heatmapSize)
        if (!reinit) {
            val next = newFloatBuffer(stateSize)
            state!!.rewind()
            interpreter.runSignature(
                mapOf(DKDContract.FRAME_INPUT to frame, DKDContract.STATE_INPUT to state!!),
                mapOf(DKDContract.HEATMAPS_OUTPUT to heatmaps, DKDContract.STEP_STATE_OUTPUT to next),
                DKDContract.STEP_SIGNATURE,
            )
            state = next
            val scores = decode(heatmaps).second
            if (!isFinite(next) || (minConfidence > 0f && scores.average() < minConfidence)) {
                reinit = true
            }
        }
        if (reinit) {
            frame.rewind()
            heatmaps = newFloatBuffer(heatmapSize)
            val kernels = newFloatBuffer(stateSize)
            interpreter.runSignature(
                mapOf(DKDContract.FRAME_INPUT to frame),
                mapOf(DKDContract.HEATMAPS_OUTPUT to heatmaps, DKDContract.INIT_STATE_OUTPUT to kernels),
                DKDContract.INIT_SIGNATURE,
            )
            state = kernels
            framesSinceInit = 0
        }
        framesSinceInit += 1
        val (grid, scores) = decode(heatmaps)
        val stride = DKDContract.HEATMAP_STRIDE
        val points = grid.map { p ->
            PointF(((p.x + 0.5f) * stride - 0.5f - box.padX) / box.scale,
                   ((p.y + 0.5f) * stride - 0.5f - box.padY) / box.scale)
        }
        return PoseResult(points, scores, reinit)
    }

    override fun close() = interpreter.close()

    // Preprocessing: letterbox into the square input, (pixel / 255 - mean) / std, NHWC.
    private data class Box(val scale: Float, val padX: Float, val padY: Float)

    private fun letterbox(bitmap: Bitmap): Pair<FloatBuffer, Box> {
        val size = DKDContract.INPUT_SIZE
        val scale = size.toFloat() / maxOf(bitmap.width, bitmap.height)
        val newW = maxOf(1, Math.round(bitmap.width * scale))
        val newH = maxOf(1, Math.round(bitmap.height * scale))
        val padX = (size - newW) / 2
        val padY = (size - newH) / 2
        val square = Bitmap.createBitmap(size, size, Bitmap.Config.ARGB_8888)
        Canvas(square).apply {
            drawColor(Color.BLACK)
            drawBitmap(bitmap, null, Rect(padX, padY, padX + newW, padY + newH),
                       Paint(Paint.FILTER_BITMAP_FLAG))
        }
        val pixels = IntArray(size * size)
        square.getPixels(pixels, 0, size, 0, 0, size, size)
        val frame = newFloatBuffer(size * size * 3)
        for (p in pixels) {
            frame.put(((p shr 16 and 0xFF) / 255f - DKDContract.MEAN[0]) / DKDContract.STD[0])
            frame.put(((p shr 8 and 0xFF) / 255f - DKDContract.MEAN[1]) / DKDContract.STD[1])
            frame.put(((p and 0xFF) / 255f - DKDContract.MEAN[2]) / DKDContract.STD[2])
        }
        frame.rewind()
        return frame to Box(newW.toFloat() / bitmap.width, padX.toFloat(), padY.toFloat())
    }

    // Decoding: the Python runtime's default (dkd_edge.eval.keypoints.decode_heatmaps,
    // "local"): weights max(h - 0.05 * peak, 0); the 5x5 box with the most weight is the
    // mode; the keypoint is the weighted mean cell position within 16 cells of it. The argmax
    // cell when the peak is not positive. Score = the peak value.
    private fun decode(heatmaps: FloatBuffer): Pair<List<PointF>, FloatArray> {
        val (_, joints, h, w) = DKDContract.HEATMAP_SHAPE.toList()
        val points = ArrayList<PointF>(joints)
        val scores = FloatArray(joints)
        val weights = FloatArray(h * w)
        for (j in 0 until joints) {
            val base = j * h * w
            var best = 0
            for (i in 1 until h * w) if (heatmaps.get(base + i) > heatmaps.get(base + best)) best = i
            val peak = heatmaps.get(base + best)
            var x = (best % w).toFloat()
            var y = (best / w).toFloat()
            if (peak > 0f) {
                val floor = DKDContract.LOCAL_THRESHOLD * peak
                for (i in 0 until h * w) weights[i] = maxOf(heatmaps.get(base + i) - floor, 0f)
                var mode = 0
                var modeMass = -1.0
                val r = DKDContract.LOCAL_MODE_RADIUS
                for (my in 0 until h) for (mx in 0 until w) {
                    var mass = 0.0
                    for (yy in maxOf(my - r, 0)..minOf(my + r, h - 1))
                        for (xx in maxOf(mx - r, 0)..minOf(mx + r, w - 1)) mass += weights[yy * w + xx]
                    if (mass > modeMass) {
                        modeMass = mass
                        mode = my * w + mx
                    }
                }
                val window = DKDContract.LOCAL_WINDOW_RADIUS
                val cx = mode % w
                val cy = mode / w
                var total = 0.0
                var sx = 0.0
                var sy = 0.0
                for (yy in maxOf(cy - window, 0)..minOf(cy + window, h - 1))
                    for (xx in maxOf(cx - window, 0)..minOf(cx + window, w - 1)) {
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
            points.add(PointF(x, y))
            scores[j] = peak
        }
        return points to scores
    }

    private fun isFinite(buffer: FloatBuffer): Boolean {
        for (i in 0 until buffer.capacity()) if (!buffer.get(i).isFinite()) return false
        return true
    }

    private fun newFloatBuffer(count: Int): FloatBuffer =
        ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder()).asFloatBuffer()
}
