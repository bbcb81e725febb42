// DKD pose tracking with LiteRT (TensorFlow Lite): one model.tflite with two signatures,
// "init" on the first frame and "step" on every later frame with the pose-kernel state fed
// back as a plain float buffer.
//
// Made for the artifacts of `dkd-edge convert --target tflite` (fp32 or fp16; the frame is
// NHWC). The contract constants, decoding, re-init policy and smoothing live in DKDLogic.kt
// (no Android imports; compiled and tested on the JVM against golden vectors); this file
// adds the Android parts: Bitmaps and the LiteRT interpreter behind `PoseModel`.
// int8 artifacts take an int8 frame: quantize with the signature input's scale/zero point.

package dev.dkdedge.example

import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.Rect
import org.tensorflow.lite.Interpreter
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.FloatBuffer

/** The two LiteRT signatures as a `PoseModel`. */
class LiteRTPoseModel(modelFile: File, threads: Int = 2) : PoseModel, AutoCloseable {
    private val interpreter = Interpreter(modelFile, Interpreter.Options().setNumThreads(threads))
    private val stateSize = DKDContract.STATE_SHAPE.reduce { a, b -> a * b }
    private val heatmapSize = DKDContract.HEATMAP_SHAPE.reduce { a, b -> a * b }

    override fun init(frame: FloatArray): ModelOutput {
        val heatmaps = newFloatBuffer(heatmapSize)
        val kernels = newFloatBuffer(stateSize)
        interpreter.runSignature(
            mapOf(DKDContract.FRAME_INPUT to FloatBuffer.wrap(frame)),
            mapOf(DKDContract.HEATMAPS_OUTPUT to heatmaps, DKDContract.INIT_STATE_OUTPUT to kernels),
            DKDContract.INIT_SIGNATURE,
        )
        return ModelOutput(heatmaps.toArray(), kernels.toArray())
    }

    override fun step(frame: FloatArray, state: FloatArray): ModelOutput {
        val heatmaps = newFloatBuffer(heatmapSize)
        val next = newFloatBuffer(stateSize)
        interpreter.runSignature(
            mapOf(DKDContract.FRAME_INPUT to FloatBuffer.wrap(frame),
                  DKDContract.STATE_INPUT to FloatBuffer.wrap(state)),
            mapOf(DKDContract.HEATMAPS_OUTPUT to heatmaps, DKDContract.STEP_STATE_OUTPUT to next),
            DKDContract.STEP_SIGNATURE,
        )
        return ModelOutput(heatmaps.toArray(), next.toArray())
    }

    override fun close() = interpreter.close()

    private fun newFloatBuffer(count: Int): FloatBuffer =
        ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder()).asFloatBuffer()

    private fun FloatBuffer.toArray(): FloatArray {
        rewind()
        return FloatArray(capacity()).also { get(it) }
    }
}

class DKDPoseTracker(modelFile: File, threads: Int = 2, smoothing: Boolean = false) : AutoCloseable {
    private val model = LiteRTPoseModel(modelFile, threads)
    private val logic = TrackerLogic(
        model,
        Decoding(DKDContract.HEATMAP_SHAPE[1], DKDContract.HEATMAP_SHAPE[2], DKDContract.HEATMAP_SHAPE[3]),
        smoother = if (smoothing) OneEuroFilter() else null,
    )

    /** Re-initialise every N frames (0: never on a schedule). */
    var reinitEvery: Int
        get() = logic.reinitEvery
        set(value) { logic.reinitEvery = value }

    /** Re-initialise when mean keypoint confidence drops below this (MediaPipe's policy). */
    var minConfidence: Float
        get() = logic.minConfidence
        set(value) { logic.minConfidence = value }

    fun reset() = logic.reset()

    /** Keypoints in the bitmap's pixels, in the joint order of manifest.json. */
    fun track(bitmap: Bitmap): PoseFrame {
        val size = DKDContract.INPUT_SIZE
        val box = letterboxGeometry(bitmap.width, bitmap.height, size)
        val square = Bitmap.createBitmap(size, size, Bitmap.Config.ARGB_8888)
        Canvas(square).apply {
            drawColor(Color.BLACK)
            drawBitmap(bitmap, null, Rect(box.padX, box.padY, box.padX + box.width, box.padY + box.height),
                       Paint(Paint.FILTER_BITMAP_FLAG))
        }
        val pixels = IntArray(size * size)
        square.getPixels(pixels, 0, size, 0, 0, size, size)
        return logic.track(normaliseNHWC(pixels), box)
    }

    override fun close() = model.close()
}
