// The pure logic of DKD pose tracking (Foundation only): the contract constants, the letterbox
// geometry and normalisation, heatmap decoding, the re-initialisation policy and One-Euro
// smoothing. A line-by-line twin of examples/android/DKDLogic.kt, which is compiled and run
// against golden.npz in the tests (Swift cannot be compiled on the Linux machines that build
// this SDK). The Core ML calls sit behind `PoseModel`; DKDPoseTracker.swift implements it.

import Foundation

/// The I/O contract of the bundled dkd-small artifacts (checked by the test suite).
enum DKDContract {
    static let frameInput = "frame"          // [1, 3, 256, 256] normalised RGB, NCHW
    static let stateInput = "kernels"        // step input: the state from the previous call
    static let heatmapsOutput = "heatmaps"   // [1, 13, 64, 64]
    static let initStateOutput = "kernels"   // init output
    static let stepStateOutput = "kernels_out"
    static let inputSize = 256
    static let heatmapStride = 4
    static let frameShape: [Int] = [1, 3, 256, 256]
    static let heatmapShape: [Int] = [1, 13, 64, 64]
    static let stateShape: [Int] = [1, 13, 40, 1, 1]
    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]
    static let jointCount = 13
    static let localThreshold: Float = 0.05  // heatmap decode (see decodeHeatmaps)
    static let localModeRadius = 2
    static let localWindowRadius = 16
}

/// One call's outputs: heatmaps [1, J, h, w] and the new state, both flat.
struct ModelOutput {
    let heatmaps: [Float]
    let state: [Float]
}

/// The runtime behind the tracker: Core ML on a device, recorded outputs in a test.
protocol PoseModel {
    func initial(_ frame: [Float]) throws -> ModelOutput
    func step(_ frame: [Float], state: [Float]) throws -> ModelOutput
}

struct Point {
    let x: Float
    let y: Float
}

/// Where a frame lies inside the square model input: input = frame * scale + pad.
struct Letterbox {
    let scale: Float
    let padX: Int
    let padY: Int
    let width: Int
    let height: Int

    func toFrame(_ x: Float, _ y: Float) -> Point {
        Point(x: (x - Float(padX)) / scale, y: (y - Float(padY)) / scale)
    }
}

func letterboxGeometry(width: Int, height: Int, size: Int) -> Letterbox {
    let scale = Float(size) / Float(max(width, height))
    let newW = max(1, Int((Float(width) * scale).rounded()))
    let newH = max(1, Int((Float(height) * scale).rounded()))
    return Letterbox(scale: Float(newW) / Float(width), padX: (size - newW) / 2,
                     padY: (size - newH) / 2, width: newW, height: newH)
}

/// RGBA bytes of the square input -> NCHW float32 (pixel / 255 - mean) / std.
func normaliseNCHW(_ rgba: [UInt8], size: Int, mean: [Float] = DKDContract.mean,
                   std: [Float] = DKDContract.std) -> [Float] {
    let plane = size * size
    var out = [Float](repeating: 0, count: 3 * plane)
    for i in 0..<plane {
        for c in 0..<3 {
            out[c * plane + i] = (Float(rgba[i * 4 + c]) / 255 - mean[c]) / std[c]
        }
    }
    return out
}

/// Heatmap shape, decode constants and stride of one artifact (the manifest's).
struct Decoding {
    let joints: Int
    let height: Int
    let width: Int
    var stride = DKDContract.heatmapStride
    var threshold = DKDContract.localThreshold
    var modeRadius = DKDContract.localModeRadius
    var windowRadius = DKDContract.localWindowRadius
}

// Decoding: the Python runtime's default (dkd_edge.keypoints.decode_heatmaps, "local"):
// weights max(h - threshold * peak, 0); the (2 r + 1)^2 box with the most weight is the mode;
// the keypoint is the weighted mean cell within windowRadius cells of it; the argmax cell
// when the peak is not positive. Score = the peak value. Coordinates are heatmap cells.
func decodeHeatmaps(_ heatmaps: [Float], _ d: Decoding) -> ([Point], [Float]) {
    let h = d.height, w = d.width
    var points: [Point] = [], scores: [Float] = []
    var weights = [Float](repeating: 0, count: h * w)
    for j in 0..<d.joints {
        let base = j * h * w
        var best = 0
        for i in 1..<(h * w) where heatmaps[base + i] > heatmaps[base + best] { best = i }
        let peak = heatmaps[base + best]
        var x = Float(best % w), y = Float(best / w)
        if peak > 0 {
            let floor = d.threshold * peak
            for i in 0..<(h * w) { weights[i] = max(heatmaps[base + i] - floor, 0) }
            var mode = 0
            var modeMass = -1.0
            let r = d.modeRadius
            for my in 0..<h {
                for mx in 0..<w {
                    var mass = 0.0
                    for yy in max(my - r, 0)...min(my + r, h - 1) {
                        for xx in max(mx - r, 0)...min(mx + r, w - 1) { mass += Double(weights[yy * w + xx]) }
                    }
                    if mass > modeMass { modeMass = mass; mode = my * w + mx }
                }
            }
            let cx = mode % w, cy = mode / w
            var total = 0.0, sx = 0.0, sy = 0.0
            for yy in max(cy - d.windowRadius, 0)...min(cy + d.windowRadius, h - 1) {
                for xx in max(cx - d.windowRadius, 0)...min(cx + d.windowRadius, w - 1) {
                    let weight = Double(weights[yy * w + xx])
                    total += weight
                    sx += weight * Double(xx)
                    sy += weight * Double(yy)
                }
            }
            if total > 0 { x = Float(sx / total); y = Float(sy / total) }
        }
        points.append(Point(x: x, y: y))
        scores.append(peak)
    }
    return (points, scores)
}

/// One-Euro filter (Casiez et al., CHI 2012) over a fixed number of values, as MediaPipe and
/// dkd_edge.runtime.smoothing.OneEuroFilter smooth keypoints.
final class OneEuroFilter {
    let minCutoff: Float, beta: Float, dCutoff: Float
    private var x: [Float]?
    private var dx: [Float]?

    init(minCutoff: Float = 1.0, beta: Float = 0.05, dCutoff: Float = 1.0) {
        self.minCutoff = minCutoff; self.beta = beta; self.dCutoff = dCutoff
    }

    func reset() { x = nil; dx = nil }

    private func alpha(_ cutoff: Double, _ dt: Double) -> Double {
        let tau = 1.0 / (2 * Double.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)
    }

    func filter(_ values: [Float], dt: Float = 1.0 / 30) -> [Float] {
        guard let last = x, var lastDx = dx else {
            x = values
            dx = [Float](repeating: 0, count: values.count)
            return values
        }
        let aD = alpha(Double(dCutoff), Double(dt))
        var out = [Float](repeating: 0, count: values.count)
        for i in values.indices {
            let speed = Double(values[i] - last[i]) / Double(dt)
            lastDx[i] = Float(aD * speed + (1 - aD) * Double(lastDx[i]))
            let a = alpha(Double(minCutoff) + Double(beta) * Double(abs(lastDx[i])), Double(dt))
            out[i] = Float(a * Double(values[i]) + (1 - a) * Double(last[i]))
        }
        x = out
        dx = lastDx
        return out
    }
}

struct PoseFrame {
    let keypoints: [Point]
    let scores: [Float]
    let reason: String?
    var reinitialized: Bool { reason != nil }
}

/// The tracking loop of dkd_edge.runtime.PoseTracker: init on the first frame, every
/// `reinitEvery` frames, when mean confidence drops below `minConfidence`, or when the state
/// turns non-finite; otherwise step with the previous state.
final class TrackerLogic {
    private let model: PoseModel
    private let decoding: Decoding
    private let smoother: OneEuroFilter?
    var reinitEvery = 0
    var minConfidence: Float = 0
    private var state: [Float]?
    private var sinceInit = 0

    init(model: PoseModel, decoding: Decoding, reinitEvery: Int = 0, minConfidence: Float = 0,
         smoother: OneEuroFilter? = nil) {
        self.model = model; self.decoding = decoding; self.smoother = smoother
        self.reinitEvery = reinitEvery; self.minConfidence = minConfidence
    }

    func reset() {
        state = nil
        sinceInit = 0
        smoother?.reset()
    }

    private func finite(_ values: [Float]) -> Bool { values.allSatisfy { $0.isFinite } }

    /// `frame`: the normalised model input; `box`: where the camera frame lies in it.
    func track(_ frame: [Float], box: Letterbox) throws -> PoseFrame {
        var reason: String?
        if state == nil {
            reason = "first"
        } else if !finite(state!) {
            reason = "state"
        } else if reinitEvery > 0 && sinceInit >= reinitEvery {
            reason = "periodic"
        }
        var output: ModelOutput?
        var decoded: ([Point], [Float])?
        if reason == nil, let previous = state {
            let out = try model.step(frame, state: previous)
            let result = decodeHeatmaps(out.heatmaps, decoding)
            output = out
            decoded = result
            let mean = result.1.reduce(0, +) / Float(result.1.count)
            if !finite(out.state) {
                reason = "state"
            } else if minConfidence > 0 && mean < minConfidence {
                reason = "confidence"
            }
        }
        if reason != nil {
            let out = try model.initial(frame)
            output = out
            decoded = decodeHeatmaps(out.heatmaps, decoding)
            sinceInit = 0
        }
        state = output!.state
        sinceInit += 1
        let stride = Float(decoding.stride)
        var points = decoded!.0.map { p in
            box.toFrame((p.x + 0.5) * stride - 0.5, (p.y + 0.5) * stride - 0.5)
        }
        if let smoother = smoother {
            let smooth = smoother.filter(points.flatMap { [$0.x, $0.y] })
            points = points.indices.map { Point(x: smooth[2 * $0], y: smooth[2 * $0 + 1]) }
        }
        return PoseFrame(keypoints: points, scores: decoded!.1, reason: reason)
    }
}
