/**
 * L2-regularised logistic regression fitted by Newton's method, and
 * stratified k-fold cross-validation, for the backorder-risk evaluation.
 * Features are standardised with the training rows' mean and standard
 * deviation; the intercept is not penalised.
 */
import { seededRandom } from './metrics.js';

export interface LogisticModel {
  means: number[];
  deviations: number[];
  /** Intercept first, then one weight per standardised feature. */
  weights: number[];
}

export interface FitOptions {
  /** Penalty λ in λ/2 · ‖w‖² over the feature weights. */
  l2: number;
  maxIterations?: number;
  /** Stop when no weight moves by more than this in one step. */
  tolerance?: number;
}

/** Fits a model to rows of features and their labels. */
export function fitLogistic(rows: readonly number[][], labels: readonly boolean[], options: FitOptions): LogisticModel {
  const features = rows[0]?.length ?? 0;
  const means = Array.from({ length: features }, (_, j) => average(rows.map((row) => row[j]!)));
  const deviations = means.map((mean, j) => Math.sqrt(average(rows.map((row) => (row[j]! - mean) ** 2))) || 1);
  const design = rows.map((row) => [1, ...row.map((value, j) => (value - means[j]!) / deviations[j]!)]);

  const size = features + 1;
  const weights = new Array<number>(size).fill(0);
  for (let iteration = 0; iteration < (options.maxIterations ?? 100); iteration += 1) {
    const gradient = weights.map((weight, j) => (j === 0 ? 0 : options.l2 * weight));
    const hessian = Array.from({ length: size }, (_, j) => Array.from({ length: size }, (_, k) => (j === k && j > 0 ? options.l2 : 0)));

    design.forEach((x, i) => {
      const p = sigmoid(dot(weights, x));
      const residual = p - (labels[i] ? 1 : 0);
      const curvature = p * (1 - p);
      for (let j = 0; j < size; j += 1) {
        gradient[j]! += residual * x[j]!;
        for (let k = 0; k <= j; k += 1) hessian[j]![k]! += curvature * x[j]! * x[k]!;
      }
    });
    for (let j = 0; j < size; j += 1) for (let k = j + 1; k < size; k += 1) hessian[j]![k] = hessian[k]![j]!;

    const step = solveSymmetric(hessian, gradient);
    let largest = 0;
    step.forEach((delta, j) => {
      weights[j]! -= delta;
      largest = Math.max(largest, Math.abs(delta));
    });
    if (largest < (options.tolerance ?? 1e-9)) break;
  }
  return { means, deviations, weights };
}

/** Returns the model's probability for one row of features. */
export function predictLogistic(model: LogisticModel, row: readonly number[]): number {
  let z = model.weights[0]!;
  row.forEach((value, j) => {
    z += model.weights[j + 1]! * ((value - model.means[j]!) / model.deviations[j]!);
  });
  return sigmoid(z);
}

/**
 * Splits row indexes into `folds` folds with the positives and the
 * negatives each shuffled (seeded) and dealt in turn, so every fold has
 * nearly the same share of positives.
 */
export function stratifiedFolds(labels: readonly boolean[], folds: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const result: number[][] = Array.from({ length: folds }, () => []);
  let next = 0;
  for (const positive of [true, false]) {
    const indexes = labels.flatMap((label, index) => (label === positive ? [index] : []));
    shuffle(indexes, random);
    for (const index of indexes) {
      result[next % folds]!.push(index);
      next += 1;
    }
  }
  return result;
}

/** Returns each row's out-of-fold probability: fitted on the other folds, predicted on its own. */
export function crossValidatedScores(
  rows: readonly number[][],
  labels: readonly boolean[],
  options: FitOptions & { folds: number; seed: number },
): number[] {
  const scores = new Array<number>(rows.length).fill(Number.NaN);
  for (const held of stratifiedFolds(labels, options.folds, options.seed)) {
    const heldOut = new Set(held);
    const trainIndexes = rows.map((_, index) => index).filter((index) => !heldOut.has(index));
    const model = fitLogistic(
      trainIndexes.map((index) => rows[index]!),
      trainIndexes.map((index) => labels[index]!),
      options,
    );
    for (const index of held) scores[index] = predictLogistic(model, rows[index]!);
  }
  return scores;
}

/** Solves A x = b for a symmetric positive definite A by Cholesky decomposition. */
function solveSymmetric(a: readonly number[][], b: readonly number[]): number[] {
  const n = b.length;
  const lower = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = a[i]![j]!;
      for (let k = 0; k < j; k += 1) sum -= lower[i]![k]! * lower[j]![k]!;
      if (i === j) {
        if (!(sum > 0)) throw new Error('The Hessian is not positive definite; raise the L2 penalty.');
        lower[i]![i] = Math.sqrt(sum);
      } else {
        lower[i]![j] = sum / lower[j]![j]!;
      }
    }
  }

  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i += 1) {
    let sum = b[i]!;
    for (let k = 0; k < i; k += 1) sum -= lower[i]![k]! * y[k]!;
    y[i] = sum / lower[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i -= 1) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k += 1) sum -= lower[k]![i]! * x[k]!;
    x[i] = sum / lower[i]![i]!;
  }
  return x;
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i]! * b[i]!;
  return sum;
}

function average(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
