/**
 * The little numerical code the models need, written out so nothing is fetched and every result is deterministic:
 * least squares through a Cholesky factor, and the normal and Student t quantiles for intervals.
 */

/** An ordinary least-squares fit of y on the columns of X. */
export interface LeastSquares {
  coefficients: number[];
  /** Observations. */
  n: number;
  /** Residual degrees of freedom: n − number of coefficients. */
  df: number;
  /** Standard deviation of the residuals, √(RSS / df). */
  residualSd: number;
  /** vᵀ(XᵀX)⁻¹v: how far a new row v is from the data, for its prediction variance. */
  leverage(v: readonly number[]): number;
}

/**
 * Lower triangular L with A = LLᵀ, or undefined when A is singular: a pivot below 1e-10 of its column's own
 * diagonal means a column is (nearly) a combination of the others, e.g. a weekday never observed.
 */
function cholesky(a: readonly (readonly number[])[]): number[][] | undefined {
  const size = a.length;
  const l = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (let j = 0; j < size; j++) {
    let pivot = a[j]![j]!;
    for (let k = 0; k < j; k++) pivot -= l[j]![k]! ** 2;
    if (!(pivot > 1e-10 * Math.max(a[j]![j]!, Number.MIN_VALUE))) return undefined;
    l[j]![j] = Math.sqrt(pivot);
    for (let i = j + 1; i < size; i++) {
      let sum = a[i]![j]!;
      for (let k = 0; k < j; k++) sum -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = sum / l[j]![j]!;
    }
  }
  return l;
}

/** Solves LLᵀx = b. */
function choleskySolve(l: readonly (readonly number[])[], b: readonly number[]): number[] {
  const size = l.length;
  const y = new Array<number>(size).fill(0);
  for (let i = 0; i < size; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i]![k]! * y[k]!;
    y[i] = sum / l[i]![i]!;
  }
  const x = new Array<number>(size).fill(0);
  for (let i = size - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < size; k++) sum -= l[k]![i]! * x[k]!;
    x[i] = sum / l[i]![i]!;
  }
  return x;
}

/** Least squares of `y` on the rows of `x`; undefined when the columns are collinear or there is no residual freedom. */
export function leastSquares(x: readonly (readonly number[])[], y: readonly number[]): LeastSquares | undefined {
  const n = y.length;
  const p = x[0]?.length ?? 0;
  if (n <= p || p === 0) return undefined;
  const xtx = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const xty = new Array<number>(p).fill(0);
  for (let r = 0; r < n; r++) {
    const row = x[r]!;
    for (let i = 0; i < p; i++) {
      xty[i]! += row[i]! * y[r]!;
      for (let j = 0; j <= i; j++) xtx[i]![j]! += row[i]! * row[j]!;
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) xtx[j]![i] = xtx[i]![j]!;
  const l = cholesky(xtx);
  if (!l) return undefined;
  const coefficients = choleskySolve(l, xty);
  let rss = 0;
  for (let r = 0; r < n; r++) {
    let fitted = 0;
    for (let i = 0; i < p; i++) fitted += x[r]![i]! * coefficients[i]!;
    rss += (y[r]! - fitted) ** 2;
  }
  const df = n - p;
  return {
    coefficients,
    n,
    df,
    residualSd: Math.sqrt(rss / df),
    leverage: (v) => {
      const solved = choleskySolve(l, v);
      return v.reduce((sum, value, i) => sum + value * solved[i]!, 0);
    },
  };
}

/** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

function logGamma(x: number): number {
  // Lanczos, g = 7, n = 9: about 15 significant digits for x > 0.
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = g[0]!;
  for (let i = 1; i < 9; i++) sum += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The regularised incomplete beta function I_x(a, b), by its continued fraction (Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The fraction converges fast only below the mean; above it, use the symmetry I_x(a, b) = 1 − I_{1−x}(b, a).
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x)) / a;
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (const numerator of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) break;
  }
  return front * f;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantiles already found: a run asks for the same few (one level, a few dozen df) thousands of times. */
const tQuantiles = new Map<string, number>();

/** The Student t quantile: bisection on the exact CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be positive, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const key = `${p}/${df}`;
  let quantile = tQuantiles.get(key);
  if (quantile === undefined) {
    quantile = bisectT(p, df);
    if (tQuantiles.size >= 10_000) tQuantiles.clear();
    tQuantiles.set(key, quantile);
  }
  return quantile;
}

function bisectT(p: number, df: number): number {
  let low = 0;
  let high = Math.max(1, normalQuantile(p));
  while (studentTCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}
