// DKD pose tracking with Core ML: init.mlpackage on the first frame, then step.mlpackage on
// every later frame with the pose-kernel state fed back (an explicit MLMultiArray).
//
// Made for the artifacts of `dkd-edge convert --target coreml` (fp32 or fp16; mlprogram,
// iOS 16+). Preprocessing is read from the model's metadata ("dkd_edge.preprocessing"), the
// same values as manifest.json. The contract, decoding, re-init policy and smoothing live in
// DKDLogic.swift; this file adds Core ML (behind `PoseModel`) and CGImage letterboxing.

import CoreML
import CoreGraphics
import Foundation

struct Preprocessing: Decodable {
    let input_size: [Int]
    let mean: [Float]
    let std: [Float]
    let heatmap_stride: Int
}

/// init.mlpackage and step.mlpackage as a `PoseModel`.
final class CoreMLPoseModel: PoseModel {
    let initModel: MLModel
    let stepModel: MLModel

    init(initURL: URL, stepURL: URL) throws {
        let config = MLModelConfiguration()
        config.computeUnits = .all
        initModel = try MLModel(contentsOf: MLModel.compileModel(at: initURL), configuration: config)
        stepModel = try MLModel(contentsOf: MLModel.compileModel(at: stepURL), configuration: config)
    }

    private func array(_ values: [Float], shape: [Int]) throws -> MLMultiArray {
        let out = try MLMultiArray(shape: shape.map { NSNumber(value: $0) }, dataType: .float32)
        let pointer = out.dataPointer.bindMemory(to: Float.self, capacity: values.count)
        for i in values.indices { pointer[i] = values[i] }
        return out
    }

    private func floats(_ array: MLMultiArray) -> [Float] {
        (0..<array.count).map { array[$0].floatValue }
    }

    func initial(_ frame: [Float]) throws -> ModelOutput {
        let inputs = try MLDictionaryFeatureProvider(dictionary: [
            DKDContract.frameInput: try array(frame, shape: DKDContract.frameShape)])
        let out = try initModel.prediction(from: inputs)
        return ModelOutput(
            heatmaps: floats(out.featureValue(for: DKDContract.heatmapsOutput)!.multiArrayValue!),
            state: floats(out.featureValue(for: DKDContract.initStateOutput)!.multiArrayValue!))
    }

    func step(_ frame: [Float], state: [Float]) throws -> ModelOutput {
        let inputs = try MLDictionaryFeatureProvider(dictionary: [
            DKDContract.frameInput: try array(frame, shape: DKDContract.frameShape),
            DKDContract.stateInput: try array(state, shape: DKDContract.stateShape)])
        let out = try stepModel.prediction(from: inputs)
        return ModelOutput(
            heatmaps: floats(out.featureValue(for: DKDContract.heatmapsOutput)!.multiArrayValue!),
            state: floats(out.featureValue(for: DKDContract.stepStateOutput)!.multiArrayValue!))
    }
}

final class DKDPoseTracker {
    private let model: CoreMLPoseModel
    private let pre: Preprocessing
    private let logic: TrackerLogic

    /// Re-initialise every N frames (0: never on a schedule) and when mean confidence drops
    /// below `minConfidence` (MediaPipe's policy); a non-finite state always re-initialises.
    var reinitEvery: Int {
        get { logic.reinitEvery }
        set { logic.reinitEvery = newValue }
    }
    var minConfidence: Float {
        get { logic.minConfidence }
        set { logic.minConfidence = newValue }
    }

    init(initURL: URL, stepURL: URL, smoothing: Bool = false) throws {
        model = try CoreMLPoseModel(initURL: initURL, stepURL: stepURL)
        let metadata = model.initModel.modelDescription.metadata[.creatorDefinedKey] as? [String: String]
        if let json = metadata?["dkd_edge.preprocessing"], let data = json.data(using: .utf8) {
            pre = try JSONDecoder().decode(Preprocessing.self, from: data)
        } else {
            pre = Preprocessing(input_size: [DKDContract.inputSize, DKDContract.inputSize],
                                mean: DKDContract.mean, std: DKDContract.std,
                                heatmap_stride: DKDContract.heatmapStride)
        }
        let shape = DKDContract.heatmapShape
        var decoding = Decoding(joints: shape[1], height: shape[2], width: shape[3])
        decoding.stride = pre.heatmap_stride
        logic = TrackerLogic(model: model, decoding: decoding,
                             smoother: smoothing ? OneEuroFilter() : nil)
    }

    func reset() { logic.reset() }

    /// Track one frame (any size; letterboxed to the model's square input). Keypoints are in
    /// the image's pixels, in the joint order of manifest.json.
    func track(_ image: CGImage) throws -> PoseFrame {
        let size = pre.input_size[0]
        let box = letterboxGeometry(width: image.width, height: image.height, size: size)
        var rgba = [UInt8](repeating: 0, count: size * size * 4)
        let context = CGContext(data: &rgba, width: size, height: size, bitsPerComponent: 8,
                                bytesPerRow: size * 4, space: CGColorSpaceCreateDeviceRGB(),
                                bitmapInfo: CGImageAlphaInfo.noneSkipLast.rawValue)!
        context.interpolationQuality = .medium
        context.setFillColor(red: 0, green: 0, blue: 0, alpha: 1)
        context.fill(CGRect(x: 0, y: 0, width: size, height: size))
        // Core Graphics' origin is bottom-left: place the image at the letterbox's top.
        context.draw(image, in: CGRect(x: box.padX, y: size - box.padY - box.height,
                                       width: box.width, height: box.height))
        return try logic.track(normaliseNCHW(rgba, size: size, mean: pre.mean, std: pre.std),
                               box: box)
    }
}
