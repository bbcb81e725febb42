// Preprocessing and decoding that match dkd_edge.preprocess and dkd_edge.eval.keypoints.

// Pillow's BILINEAR resize (antialiased when shrinking) in 8-bit fixed point, so that the
// browser feeds the model the same pixels as the Python runtime.
const PRECISION_BITS = 32 - 8 - 2;

function coefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1.0);
  const support = 1.0 * filterscale;
  const taps = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const weights = [];
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const arg = Math.abs((x + xmin - center + 0.5) * ss);
      const w = arg < 1.0 ? 1.0 - arg : 0.0;
      weights.push(w);
      total += w;
    }
    const fixed = weights.map((w) => {
      const k = total !== 0 ? w / total : 0;
      return Math.trunc(k < 0 ? -0.5 + k * (1 << PRECISION_BITS) : 0.5 + k * (1 << PRECISION_BITS));
    });
    taps.push({ xmin, fixed });
  }
  return taps;
}

function clip8(value) {
  const v = Math.floor(value / (1 << PRECISION_BITS));
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resize(rgb, width, height, outW, outH) {
  // Horizontal pass, then vertical, as Pillow does (uint8 in between).
  let src = rgb, w = width;
  if (outW !== width) {
    const taps = coefficients(width, outW);
    const tmp = new Uint8Array(outW * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < outW; x++) {
        const { xmin, fixed } = taps[x];
        for (let c = 0; c < 3; c++) {
          let acc = 1 << (PRECISION_BITS - 1);
          for (let k = 0; k < fixed.length; k++) acc += src[(y * w + xmin + k) * 3 + c] * fixed[k];
          tmp[(y * outW + x) * 3 + c] = clip8(acc);
        }
      }
    }
    src = tmp;
    w = outW;
  }
  if (outH !== height) {
    const taps = coefficients(height, outH);
    const tmp = new Uint8Array(outW * outH * 3);
    for (let y = 0; y < outH; y++) {
      const { xmin, fixed } = taps[y];
      for (let x = 0; x < outW; x++) {
        for (let c = 0; c < 3; c++) {
          let acc = 1 << (PRECISION_BITS - 1);
          for (let k = 0; k < fixed.length; k++) acc += src[((xmin + k) * w + x) * 3 + c] * fixed[k];
          tmp[(y * outW + x) * 3 + c] = clip8(acc);
        }
      }
    }
    src = tmp;
  }
  return src;
}

export function letterbox(rgba, size) {
  const { width, height, data } = rgba;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[i * 3] = data[i * 4];
    rgb[i * 3 + 1] = data[i * 4 + 1];
    rgb[i * 3 + 2] = data[i * 4 + 2];
  }
  const scale = size / Math.max(width, height);
  // Python's round() is round-half-even; sizes here never land on .5 in practice.
  const newW = Math.max(1, Math.round(width * scale));
  const newH = Math.max(1, Math.round(height * scale));
  const padX = Math.floor((size - newW) / 2);
  const padY = Math.floor((size - newH) / 2);
  const resized = resize(rgb, width, height, newW, newH);
  const pixels = new Uint8Array(size * size * 3);
  for (let y = 0; y < newH; y++) {
    pixels.set(resized.subarray(y * newW * 3, (y + 1) * newW * 3), ((y + padY) * size + padX) * 3);
  }
  return { pixels, scale: newW / width, padX, padY };
}

export function normalise(pixels, size, mean, std) {
  const out = new Float32Array(3 * size * size);
  const plane = size * size;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      out[c * plane + i] = (Math.fround(pixels[i * 3 + c] * Math.fround(1 / 255)) - mean[c]) / std[c];
    }
  }
  return out;
}

// The Python runtime's default decode (dkd_edge.eval.keypoints.decode_heatmaps, "local"):
// weights max(h - 0.05 * peak, 0); the 5x5 box with the most weight is the mode; the
// keypoint is the weighted mean cell position within 16 cells of it. The argmax cell when
// the peak is not positive. Score = the peak value.
export const LOCAL_THRESHOLD = 0.05;
export const LOCAL_MODE_RADIUS = 2;
export const LOCAL_WINDOW_RADIUS = 16;

export function decodeHeatmaps(data, joints, height, width) {
  const coords = [];
  const scores = [];
  const weights = new Float64Array(height * width);
  for (let j = 0; j < joints; j++) {
    const base = j * height * width;
    let best = 0;
    for (let i = 1; i < height * width; i++) if (data[base + i] > data[base + best]) best = i;
    const peak = data[base + best];
    let x = best % width;
    let y = Math.floor(best / width);
    if (peak > 0) {
      const floor = Math.fround(LOCAL_THRESHOLD * peak);
      for (let i = 0; i < height * width; i++) weights[i] = Math.max(data[base + i] - floor, 0);
      let mode = 0, modeMass = -1;
      for (let my = 0; my < height; my++) {
        for (let mx = 0; mx < width; mx++) {
          let mass = 0;
          for (let yy = Math.max(my - LOCAL_MODE_RADIUS, 0); yy <= Math.min(my + LOCAL_MODE_RADIUS, height - 1); yy++) {
            for (let xx = Math.max(mx - LOCAL_MODE_RADIUS, 0); xx <= Math.min(mx + LOCAL_MODE_RADIUS, width - 1); xx++) {
              mass += weights[yy * width + xx];
            }
          }
          if (mass > modeMass) { modeMass = mass; mode = my * width + mx; }
        }
      }
      const cx = mode % width, cy = Math.floor(mode / width);
      let total = 0, sx = 0, sy = 0;
      for (let yy = Math.max(cy - LOCAL_WINDOW_RADIUS, 0); yy <= Math.min(cy + LOCAL_WINDOW_RADIUS, height - 1); yy++) {
        for (let xx = Math.max(cx - LOCAL_WINDOW_RADIUS, 0); xx <= Math.min(cx + LOCAL_WINDOW_RADIUS, width - 1); xx++) {
          const w = weights[yy * width + xx];
          total += w;
          sx += w * xx;
          sy += w * yy;
        }
      }
      if (total > 0) {
        x = sx / total;
        y = sy / total;
      }
    }
    coords.push([x, y]);
    scores.push(peak);
  }
  return { coords, scores };
}
