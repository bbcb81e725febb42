// Instrumented JUnit test: replay the artifact's golden.npz through LiteRT on the device and
// compare with the torch reference recorded at conversion (what `dkd-edge verify` does on a
// computer). Put model.tflite, golden.npz and manifest.json in src/androidTest/assets. Needs the Android SDK
// (not compiled here); its checks follow test/GoldenTest.kt, which runs on the JVM in CI.

package dev.dkdedge.example

import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import org.json.JSONObject
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import java.io.File

@RunWith(AndroidJUnit4::class)
class GoldenInstrumentedTest {
    private fun asset(name: String): File {
        val context = InstrumentationRegistry.getInstrumentation().context
        val file = File(InstrumentationRegistry.getInstrumentation().targetContext.cacheDir, name)
        context.assets.open(name).use { input -> file.outputStream().use { input.copyTo(it) } }
        return file
    }

    @Test
    fun goldenRolloutMatchesTheReference() {
        val golden = readNpz(asset("golden.npz").path)  // the reader in test/GoldenTest.kt
        val pixels = golden.getValue("pixels")
        val heatmaps = golden.getValue("heatmaps")
        val keypoints = golden.getValue("keypoints").floats!!
        val (frames, joints, h, w) = heatmaps.shape.toList()
        val size = pixels.shape[1]
        val perFrame = joints * h * w
        val decoding = Decoding(joints, h, w)
        val tolerance = JSONObject(asset("manifest.json").readText())
            .getJSONObject("golden").getJSONObject("tolerance")
        val frameLimit = tolerance.getJSONObject("frame").optDouble("max_abs_heatmap", Double.NaN)
        val rolloutAgreement = tolerance.getJSONObject("rollout").optDouble("keypoint_agreement", 0.99)
        LiteRTPoseModel(asset("model.tflite"), threads = 1).use { model ->
            var state = FloatArray(0)
            var agree = 0
            for (f in 0 until frames) {
                val packed = IntArray(size * size) { i ->
                    val base = (f * size * size + i) * 3
                    val r = pixels.bytes!![base].toInt() and 0xFF
                    val g = pixels.bytes[base + 1].toInt() and 0xFF
                    val b = pixels.bytes[base + 2].toInt() and 0xFF
                    (0xFF shl 24) or (r shl 16) or (g shl 8) or b
                }
                val frame = normaliseNHWC(packed)
                val out = if (f == 0) model.init(frame) else model.step(frame, state)
                state = out.state
                val reference = heatmaps.floats!!.copyOfRange(f * perFrame, (f + 1) * perFrame)
                val maxDiff = out.heatmaps.indices.map { Math.abs(out.heatmaps[it] - reference[it]) }.max() ?: 0f
                if (!frameLimit.isNaN()) assertTrue("frame $f: max |dh| $maxDiff", maxDiff <= frameLimit)
                val (points, _) = decodeHeatmaps(out.heatmaps, decoding)
                points.forEachIndexed { j, p ->
                    val dx = p.x - keypoints[(f * joints + j) * 2]
                    val dy = p.y - keypoints[(f * joints + j) * 2 + 1]
                    if (Math.sqrt((dx * dx + dy * dy).toDouble()) <= 1.0) agree += 1
                }
            }
            assertTrue("keypoint agreement", agree.toDouble() / (frames * joints) >= rolloutAgreement)
        }
    }
}
