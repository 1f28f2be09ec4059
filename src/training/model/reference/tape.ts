/**
 * A minimal float64 reverse-mode autodiff (micrograd's idea on whole tensors): each op computes
 * its output with plain loops and records a closure that adds its inputs' gradients; `backward`
 * runs the closures in reverse. Only the ops the tiny decoder needs, each forward and backward
 * side by side so a reader can check one against the other.
 */
import type { HostTensor } from '../../../contract/index.js';

export class Value {
  readonly grad: Float64Array;
  constructor(
    readonly shape: readonly number[],
    readonly data: Float64Array,
  ) {
    this.grad = new Float64Array(data.length);
  }
  toHost(): HostTensor {
    return { shape: [...this.shape], data: this.data };
  }
  gradHost(): HostTensor {
    return { shape: [...this.shape], data: this.grad };
  }
}

export class Tape {
  private readonly steps: Array<() => void> = [];
  private readonly outputs: Value[] = [];

  leaf(t: HostTensor): Value {
    return new Value(t.shape, Float64Array.from(t.data));
  }

  /** Records an op: `out` computed already, `back` adds into its inputs' grads from out.grad. */
  record(out: Value, back: () => void): Value {
    this.steps.push(back);
    this.outputs.push(out);
    return out;
  }

  /**
   * After `backward`: the largest |gradient| that flowed through any op. The float32 backward of
   * the model under test rounds sums of terms of about this size, so a parameter gradient that
   * cancels to ~0 is still off by u_32 times it, not times itself.
   */
  largestGradient(): number {
    let m = 0;
    for (const v of this.outputs) for (const g of v.grad) if (Number.isFinite(g)) m = Math.max(m, Math.abs(g));
    return m;
  }

  /** Seeds d(loss)/d(loss) = 1 and propagates to every recorded input. */
  backward(loss: Value): void {
    loss.grad[0] = 1;
    for (let n = this.steps.length - 1; n >= 0; n--) this.steps[n]!();
  }

  /**
   * Rounding to an emulated precision: forward round(x), backward round(dy), as the tfjs kernels'
   * roundTensor does, so the same-precision baseline rounds where the model under test rounds.
   */
  round(x: Value, round: (v: number) => number): Value {
    const out = new Value(x.shape, x.data.map(round));
    return this.record(out, () => {
      for (let n = 0; n < out.grad.length; n++) x.grad[n] = x.grad[n]! + round(out.grad[n]!);
    });
  }

  add(a: Value, b: Value): Value {
    const out = new Value(
      a.shape,
      a.data.map((x, n) => x + b.data[n]!),
    );
    return this.record(out, () => {
      for (let n = 0; n < out.grad.length; n++) {
        a.grad[n] = a.grad[n]! + out.grad[n]!;
        b.grad[n] = b.grad[n]! + out.grad[n]!;
      }
    });
  }

  mul(a: Value, b: Value): Value {
    const out = new Value(
      a.shape,
      a.data.map((x, n) => x * b.data[n]!),
    );
    return this.record(out, () => {
      for (let n = 0; n < out.grad.length; n++) {
        a.grad[n] = a.grad[n]! + out.grad[n]! * b.data[n]!;
        b.grad[n] = b.grad[n]! + out.grad[n]! * a.data[n]!;
      }
    });
  }

  /** Elementwise product with a constant (a scale, or a dropout mask already scaled by 1/(1-p)). */
  mulConst(a: Value, c: Float64Array | number): Value {
    const at = (n: number) => (typeof c === 'number' ? c : c[n]!);
    const out = new Value(
      a.shape,
      a.data.map((x, n) => x * at(n)),
    );
    return this.record(out, () => {
      for (let n = 0; n < out.grad.length; n++) a.grad[n] = a.grad[n]! + out.grad[n]! * at(n);
    });
  }

  /** y = x·Wᵀ: x [N, in], W [out, in] -> [N, out].   dx = dy·W,  dW = dyᵀ·x. */
  linear(x: Value, W: Value): Value {
    const [N, inp] = x.shape as [number, number];
    const outF = W.shape[0]!;
    const y = new Float64Array(N * outF);
    for (let n = 0; n < N; n++)
      for (let o = 0; o < outF; o++) {
        let s = 0;
        for (let i = 0; i < inp; i++) s += x.data[n * inp + i]! * W.data[o * inp + i]!;
        y[n * outF + o] = s;
      }
    const out = new Value([N, outF], y);
    return this.record(out, () => {
      for (let n = 0; n < N; n++)
        for (let o = 0; o < outF; o++) {
          const g = out.grad[n * outF + o]!;
          if (g === 0) continue;
          for (let i = 0; i < inp; i++) {
            x.grad[n * inp + i] = x.grad[n * inp + i]! + g * W.data[o * inp + i]!;
            W.grad[o * inp + i] = W.grad[o * inp + i]! + g * x.data[n * inp + i]!;
          }
        }
    });
  }

  /** Rows of the table E [V, d] picked by ids -> [N, d]; the gradient scatters back. */
  embedding(E: Value, ids: Int32Array): Value {
    const d = E.shape[1]!;
    const y = new Float64Array(ids.length * d);
    for (const [n, id] of ids.entries()) y.set(E.data.subarray(id * d, id * d + d), n * d);
    const out = new Value([ids.length, d], y);
    return this.record(out, () => {
      ids.forEach((id, n) => {
        for (let c = 0; c < d; c++) E.grad[id * d + c] = E.grad[id * d + c]! + out.grad[n * d + c]!;
      });
    });
  }

  /**
   * RMSNorm (Zhang & Sennrich 2019): y = x · r · g, r = 1/sqrt(mean(x²) + eps), per row of x [N, d].
   * dg = Σ_n dy·x·r;  dx = r·(g·dy) - x · r³/d · Σ_c (g·dy·x).
   */
  rmsnorm(x: Value, g: Value, eps: number): Value {
    const [N, d] = x.shape as [number, number];
    const r = new Float64Array(N);
    const y = new Float64Array(N * d);
    for (let n = 0; n < N; n++) {
      let ms = 0;
      for (let c = 0; c < d; c++) ms += x.data[n * d + c]! ** 2;
      r[n] = 1 / Math.sqrt(ms / d + eps);
      for (let c = 0; c < d; c++) y[n * d + c] = x.data[n * d + c]! * r[n]! * g.data[c]!;
    }
    const out = new Value([N, d], y);
    return this.record(out, () => {
      for (let n = 0; n < N; n++) {
        let dot = 0;
        for (let c = 0; c < d; c++) {
          const dy = out.grad[n * d + c]!;
          g.grad[c] = g.grad[c]! + dy * x.data[n * d + c]! * r[n]!;
          dot += g.data[c]! * dy * x.data[n * d + c]!;
        }
        for (let c = 0; c < d; c++) {
          const gx = r[n]! * g.data[c]! * out.grad[n * d + c]! - (x.data[n * d + c]! * r[n]! ** 3 * dot) / d;
          x.grad[n * d + c] = x.grad[n * d + c]! + gx;
        }
      }
    });
  }

  /** SiLU x·σ(x);  d/dx = σ(x)·(1 + x·(1 - σ(x))). */
  silu(x: Value): Value {
    const sig = x.data.map((v) => 1 / (1 + Math.exp(-v)));
    const out = new Value(
      x.shape,
      x.data.map((v, n) => v * sig[n]!),
    );
    return this.record(out, () => {
      for (let n = 0; n < out.grad.length; n++) {
        const s = sig[n]!;
        x.grad[n] = x.grad[n]! + out.grad[n]! * s * (1 + x.data[n]! * (1 - s));
      }
    });
  }

  /** Any fixed permutation of elements: out[n] = x[src[n]] (head split and merge). */
  permute(x: Value, shape: readonly number[], src: Int32Array): Value {
    const out = new Value(
      shape,
      Float64Array.from(src, (s) => x.data[s]!),
    );
    return this.record(out, () => {
      src.forEach((s, n) => {
        x.grad[s] = x.grad[s]! + out.grad[n]!;
      });
    });
  }

  /**
   * Mean next-token cross-entropy over rows whose label is not `ignore`: logits [N, V].
   * d logits[n] = (softmax(logits[n]) - onehot(label[n])) / count.
   */
  crossEntropy(logits: Value, labels: Int32Array, ignore: number): Value {
    const [N, V] = logits.shape as [number, number];
    const probs = new Float64Array(N * V);
    let total = 0;
    let count = 0;
    for (let n = 0; n < N; n++) {
      if (labels[n] === ignore) continue;
      const row = logits.data.subarray(n * V, n * V + V);
      const m = Math.max(...row);
      let z = 0;
      for (let c = 0; c < V; c++) z += Math.exp(row[c]! - m);
      for (let c = 0; c < V; c++) probs[n * V + c] = Math.exp(row[c]! - m) / z;
      total += m + Math.log(z) - row[labels[n]!]!;
      count++;
    }
    const out = new Value([], Float64Array.of(count > 0 ? total / count : 0));
    return this.record(out, () => {
      const g = out.grad[0]! / Math.max(count, 1);
      for (let n = 0; n < N; n++) {
        if (labels[n] === ignore) continue;
        for (let c = 0; c < V; c++) {
          const onehot = c === labels[n] ? 1 : 0;
          logits.grad[n * V + c] = logits.grad[n * V + c]! + g * (probs[n * V + c]! - onehot);
        }
      }
    });
  }
}
