// XCTest: replay the artifact's golden rollout through Core ML on a device and compare with
// the torch reference recorded at conversion (what `dkd-edge verify` does on a computer).
//
// Set-up: `dkd-edge verify DKD --export GoldenVectors` writes golden.json, pixels.u8 and
// heatmaps.f32; add the three files and the two .mlpackage folders to the test target.
// Not compiled here (no Swift toolchain on the Linux build machines); its logic follows
// examples/android/test/GoldenTest.kt, which runs in CI.

import XCTest
import CoreML

struct GoldenMeta: Decodable {
    let frames: Int
    let pixels_shape: [Int]
    let heatmaps_shape: [Int]
    let keypoints: [[[Float]]]
    let keypoint_cells: Float
    let tolerance: [String: [String: Float]]
}

final class DKDGoldenTests: XCTestCase {
    func testGoldenRolloutOnDevice() throws {
        let bundle = Bundle(for: Self.self)
        let meta = try JSONDecoder().decode(GoldenMeta.self, from: Data(
            contentsOf: bundle.url(forResource: "golden", withExtension: "json")!))
        let pixels = [UInt8](try Data(contentsOf: bundle.url(forResource: "pixels", withExtension: "u8")!))
        let heatmapData = try Data(contentsOf: bundle.url(forResource: "heatmaps", withExtension: "f32")!)
        let reference = heatmapData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let model = try CoreMLPoseModel(
            initURL: bundle.url(forResource: "init", withExtension: "mlpackage")!,
            stepURL: bundle.url(forResource: "step", withExtension: "mlpackage")!)
        let size = meta.pixels_shape[1]
        let (joints, h, w) = (meta.heatmaps_shape[1], meta.heatmaps_shape[2], meta.heatmaps_shape[3])
        let perFrame = joints * h * w
        let decoding = Decoding(joints: joints, height: h, width: w)
        var state: [Float] = []
        var agree = 0, total = 0
        for f in 0..<meta.frames {
            var rgba = [UInt8](repeating: 255, count: size * size * 4)
            for i in 0..<(size * size) {
                for c in 0..<3 { rgba[i * 4 + c] = pixels[(f * size * size + i) * 3 + c] }
            }
            let frame = normaliseNCHW(rgba, size: size)
            let out = f == 0 ? try model.initial(frame) : try model.step(frame, state: state)
            state = out.state
            let expected = Array(reference[(f * perFrame)..<((f + 1) * perFrame)])
            let maxDiff = zip(out.heatmaps, expected).map { abs($0 - $1) }.max() ?? 0
            if let limit = meta.tolerance["frame"]?["max_abs_heatmap"] {
                XCTAssertLessThanOrEqual(maxDiff, limit, "frame \(f): max |dh| \(maxDiff)")
            }
            let (points, _) = decodeHeatmaps(out.heatmaps, decoding)
            for (j, p) in points.enumerated() {
                let dx = p.x - meta.keypoints[f][j][0], dy = p.y - meta.keypoints[f][j][1]
                if (dx * dx + dy * dy).squareRoot() <= meta.keypoint_cells { agree += 1 }
                total += 1
            }
        }
        if let limit = meta.tolerance["rollout"]?["keypoint_agreement"] {
            XCTAssertGreaterThanOrEqual(Float(agree) / Float(total), limit)
        }
    }
}
