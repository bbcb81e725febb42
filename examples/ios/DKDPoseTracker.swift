// DKD pose tracking with Core ML: init.mlpackage on the first frame, then step.mlpackage on
// every later frame with the pose-kernel state fed back (an explicit MLMultiArray).
//
// Made for the artifacts of `dkd-edge convert --target coreml` (fp32 or fp16; mlprogram,
// iOS 16+). Preprocessing is read from the model's metadata ("dkd_edge.preprocessing"), the
// same values as manifest.json; `DKDContract` holds the values this file was written
// against, and tests/test_app_examples.py checks them against a fresh conversion.

import CoreML
import CoreGraphics
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
    static let localThreshold: Float = 0.05  // heatmap decode (see decode(_:))
    static let localModeRadius = 2
    static let localWindowRadius = 16
}

struct Preprocessing: Decodable {
    let input_size: [Int]
    let mean: [Float]
    let std: [Float]
    let heatmap_stride: Int
}

struct PoseResult {
    let keypoints: [CGPoint]   // in the original frame's pixels
    let scores: [Float]        // heatmap peak per joint
    let reinitialized: Bool
}

final class DKDPoseTracker {
    private let initModel: MLModel
    private let stepModel: MLModel
    private let pre: Preprocessing
    private var state: MLMultiArray?
    private var framesSinceInit = 0

    /// Re-initialise every N frames (0: never on a schedule) and when mean confidence drops
    /// below `minConfidence` (MediaPipe's policy); a non-finite state always re-initialises.
    var reinitEvery = 0
    var minConfidence: Float = 0

    init(initURL: URL, stepURL: URL) throws {
        let config = MLModelConfiguration()
        config.computeUnits = .all
        initModel = try MLModel(contentsOf: MLModel.compileModel(at: initURL), configuration: config)
        stepModel = try MLModel(contentsOf: MLModel.compileModel(at: stepURL), configuration: config)
        let metadata = initModel.modelDescription.metadata[.creatorDefinedKey] as? [String: String]
        if let json = metadata?["dkd_edge.preprocessing"], let data = json.data(using: .utf8) {
            pre = try JSONDecoder().decode(Preprocessing.self, from: data)
        } else {
            pre = Preprocessing(input_size: [DKDContract.inputSize, DKDContract.inputSize],
                                mean: DKDContract.mean, std: DKDContract.std,
                                heatmap_stride: DKDContract.heatmapStride)
        }
    }

    func reset() {
        state = nil
        framesSinceInit = 0
    }

    /// Track one frame (any size; letterboxed to the model's square input).
    func track(_ image: CGImage) throws -> PoseResult {
        let (frame, box) = try letterbox(image)
        var reinit = state == nil || (reinitEvery > 0 && framesSinceInit >= reinitEvery)
        var heatmaps: MLMultiArray
        if !reinit, let kernels = state {
            let inputs = try MLDictionaryFeatureProvider(dictionary: [
                DKDContract.frameInput: frame, DKDContract.stateInput: kernels])
            let out = try stepModel.prediction(from: inputs)
            heatmaps = out.featureValue(for: DKDContract.heatmapsOutput)!.multiArrayValue!
            state = out.featureValue(for: DKDContract.stepStateOutput)!.multiArrayValue!
            let (_, scores) = decode(heatmaps)
            let mean = scores.reduce(0, +) / Float(scores.count)
            if !isFinite(state!) || (minConfidence > 0 && mean < minConfidence) { reinit = true }
        } else {
            heatmaps = try MLMultiArray(shape: [1], dataType: .float32)  // replaced below
        }
        if reinit {
            let inputs = try MLDictionaryFeatureProvider(dictionary: [DKDContract.frameInput: frame])
            let out = try initModel.prediction(from: inputs)
            heatmaps = out.featureValue(for: DKDContract.heatmapsOutput)!.multiArrayValue!
            state = out.featureValue(for: DKDContract.initStateOutput)!.multiArrayValue!
            framesSinceInit = 0
        }
        framesSinceInit += 1
        let (grid, scores) = decode(heatmaps)
        let stride = CGFloat(pre.heatmap_stride)
        let points = grid.map { p in
            CGPoint(x: ((p.x + 0.5) * stride - 0.5 - box.padX) / box.scale,
                    y: ((p.y + 0.5) * stride - 0.5 - box.padY) / box.scale)
        }
        return PoseResult(keypoints: points, scores: scores, reinitialized: reinit)
    }

    // MARK: - Preprocessing: letterbox, (pixel / 255 - mean) / std, NCHW

    private struct Box { let scale: CGFloat; let padX: CGFloat; let padY: CGFloat }

    private func letterbox(_ image: CGImage) throws -> (MLMultiArray, Box) {
        let size = pre.input_size[0]
        let scale = CGFloat(size) / CGFloat(max(image.width, image.height))
        let newW = max(1, Int((CGFloat(image.width) * scale).rounded()))
        let newH = max(1, Int((CGFloat(image.height) * scale).rounded()))
        let padX = (size - newW) / 2, padY = (size - newH) / 2
        var rgba = [UInt8](repeating: 0, count: size * size * 4)
        let context = CGContext(data: &rgba, width: size, height: size, bitsPerComponent: 8,
                                bytesPerRow: size * 4, space: CGColorSpaceCreateDeviceRGB(),
                                bitmapInfo: CGImageAlphaInfo.noneSkipLast.rawValue)!
        context.interpolationQuality = .medium
        context.setFillColor(red: 0, green: 0, blue: 0, alpha: 1)
        context.fill(CGRect(x: 0, y: 0, width: size, height: size))
        // Core Graphics' origin is bottom-left: place the image at the letterbox's top.
        context.draw(image, in: CGRect(x: padX, y: size - padY - newH, width: newW, height: newH))
        let frame = try MLMultiArray(shape: DKDContract.frameShape.map { NSNumber(value: $0) },
                                     dataType: .float32)
        let pointer = frame.dataPointer.bindMemory(to: Float.self, capacity: 3 * size * size)
        let plane = size * size
        for i in 0..<plane {
            for c in 0..<3 {
                pointer[c * plane + i] = (Float(rgba[i * 4 + c]) / 255 - pre.mean[c]) / pre.std[c]
            }
        }
        return (frame, Box(scale: CGFloat(newW) / CGFloat(image.width), padX: CGFloat(padX),
                           padY: CGFloat(padY)))
    }

    // MARK: - Decoding: the Python runtime's default (dkd_edge.eval.keypoints.decode_heatmaps,
    // "local"): weights max(h - 0.05 * peak, 0); the 5x5 box with the most weight is the mode;
    // the keypoint is the weighted mean cell position within 16 cells of it. The argmax cell
    // when the peak is not positive. Score = the peak value.
    private func decode(_ heatmaps: MLMultiArray) -> ([CGPoint], [Float]) {
        let joints = heatmaps.shape[1].intValue
        let h = heatmaps.shape[2].intValue, w = heatmaps.shape[3].intValue
        let r = DKDContract.localModeRadius, window = DKDContract.localWindowRadius
        var points: [CGPoint] = [], scores: [Float] = []
        var values = [Float](repeating: 0, count: h * w)
        var weights = [Float](repeating: 0, count: h * w)
        for j in 0..<joints {
            var best = 0
            for i in 0..<(h * w) {
                values[i] = heatmaps[[0, j, i / w, i % w] as [NSNumber]].floatValue
                if values[i] > values[best] { best = i }
            }
            let peak = values[best]
            var x = CGFloat(best % w), y = CGFloat(best / w)
            if peak > 0 {
                let floor = DKDContract.localThreshold * peak
                for i in 0..<(h * w) { weights[i] = max(values[i] - floor, 0) }
                var mode = 0
                var modeMass = -1.0
                for my in 0..<h {
                    for mx in 0..<w {
                        var mass = 0.0
                        for yy in max(my - r, 0)...min(my + r, h - 1) {
                            for xx in max(mx - r, 0)...min(mx + r, w - 1) {
                                mass += Double(weights[yy * w + xx])
                            }
                        }
                        if mass > modeMass { modeMass = mass; mode = my * w + mx }
                    }
                }
                let cx = mode % w, cy = mode / w
                var total = 0.0, sx = 0.0, sy = 0.0
                for yy in max(cy - window, 0)...min(cy + window, h - 1) {
                    for xx in max(cx - window, 0)...min(cx + window, w - 1) {
                        let weight = Double(weights[yy * w + xx])
                        total += weight
                        sx += weight * Double(xx)
                        sy += weight * Double(yy)
                    }
                }
                if total > 0 { x = CGFloat(sx / total); y = CGFloat(sy / total) }
            }
            points.append(CGPoint(x: x, y: y))
            scores.append(peak)
        }
        return (points, scores)
    }

    private func isFinite(_ array: MLMultiArray) -> Bool {
        for i in 0..<array.count where !array[i].floatValue.isFinite { return false }
        return true
    }
}
