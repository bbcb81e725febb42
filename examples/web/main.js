// DKD pose tracking in the browser: init.onnx on the first frame, then step.onnx with the
// pose-kernel state fed back, exactly the loop of dkd_edge.runtime.PoseTracker.
// Preprocessing (letterbox, mean/std, layout) and the skeleton come from manifest.json.
import * as ort from "./node_modules/onnxruntime-web/dist/ort.min.mjs";
import { letterbox, normalise, decodeHeatmaps } from "./pose.js";

ort.env.wasm.wasmPaths = new URL("./node_modules/onnxruntime-web/dist/", location.href).href;
ort.env.wasm.numThreads = 1;

const params = new URLSearchParams(location.search);
const modelDir = (params.get("model") || "model").replace(/\/$/, "");
const framesDir = (params.get("frames") || "frames").replace(/\/$/, "");
const status = document.getElementById("status");
const view = document.getElementById("view");

async function loadImage(url) {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = new OffscreenCanvas(image.naturalWidth, image.naturalHeight);
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  return { image, rgba: context.getImageData(0, 0, canvas.width, canvas.height) };
}

function draw(image, keypoints, skeleton, label) {
  view.width = image.naturalWidth;
  view.height = image.naturalHeight;
  const g = view.getContext("2d");
  g.drawImage(image, 0, 0);
  g.lineWidth = 3;
  g.strokeStyle = "#00aaff";
  for (const [a, b] of skeleton) {
    g.beginPath();
    g.moveTo(keypoints[a][0], keypoints[a][1]);
    g.lineTo(keypoints[b][0], keypoints[b][1]);
    g.stroke();
  }
  g.fillStyle = "#ff8c00";
  for (const [x, y] of keypoints) {
    g.beginPath();
    g.arc(x, y, 3, 0, 2 * Math.PI);
    g.fill();
  }
  g.fillStyle = "#fff";
  g.fillText(label, 4, 12);
}

async function main() {
  const manifest = await (await fetch(`${modelDir}/manifest.json`)).json();
  if (manifest.target !== "onnx") throw new Error(`${modelDir} is a ${manifest.target} artifact, not onnx`);
  const pre = manifest.preprocessing;
  const size = pre.input_size[0];
  const stride = manifest.heatmaps.stride;
  const skeleton = manifest.skeleton;
  const options = { executionProviders: ["wasm"] };
  const init = await ort.InferenceSession.create(`${modelDir}/init.onnx`, options);
  const step = await ort.InferenceSession.create(`${modelDir}/step.onnx`, options);
  const stateShape = manifest.state.shape;
  const names = (await (await fetch(`${framesDir}/frames.json`)).json()).frames;
  const results = [];
  let kernels = null;
  for (let t = 0; t < names.length; t++) {
    const { image, rgba } = await loadImage(`${framesDir}/${names[t]}`);
    const box = letterbox(rgba, size);
    const frame = new ort.Tensor("float32", normalise(box.pixels, size, pre.mean, pre.std),
                                 [1, 3, size, size]);
    const started = performance.now();
    const out = t === 0 ? await init.run({ frame })
                        : await step.run({ frame, kernels });
    const ms = performance.now() - started;
    kernels = new ort.Tensor("float32", (t === 0 ? out.kernels : out.kernels_out).data, stateShape);
    const heatmaps = out.heatmaps;
    const [, joints, h, w] = heatmaps.dims;
    const { coords, scores } = decodeHeatmaps(heatmaps.data, joints, h, w);
    const keypoints = coords.map(([x, y]) => [
      (((x + 0.5) * stride - 0.5) - box.padX) / box.scale,
      (((y + 0.5) * stride - 0.5) - box.padY) / box.scale,
    ]);
    results.push({ graph: t === 0 ? "init" : "step", keypoints, scores, ms });
    draw(image, keypoints, skeleton, `#${t + 1} ${t === 0 ? "init" : "step"} ${ms.toFixed(1)} ms`);
    status.textContent = `frame ${t + 1}/${names.length}`;
  }
  status.textContent = `done: ${names.length} frames`;
  window.dkdResults = { done: true, frames: results };
}

main().catch((error) => {
  status.textContent = `error: ${error.message}`;
  window.dkdResults = { done: true, error: String(error) };
});
