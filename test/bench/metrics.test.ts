import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  averagePrecision, bootstrapRanking, naiveScale, quantile, rocAuc, scaledErrors, seasonalNaiveForecast, seededRandom,
} from '../../bench/metrics.js';

/** ROC AUC by comparing every positive with every negative, ties counting one half. */
function pairwiseAuc(scores: number[], labels: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((positive, i) => {
    if (!labels[i]) return;
    scores.forEach((negative, j) => {
      if (labels[j]) return;
      pairs += 1;
      if (positive > negative) wins += 1;
      if (positive === negative) wins += 0.5;
    });
  });
  return wins / pairs;
}

describe('seasonal naive', () => {
  it('repeats the last season', () => {
    const history = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
    assert.deepEqual(seasonalNaiveForecast(history, 7, 10), [8, 9, 10, 11, 12, 13, 14, 8, 9, 10]);
  });

  it('rejects a history shorter than a season', () => {
    assert.throws(() => seasonalNaiveForecast([1, 2], 7, 3), RangeError);
  });

  it('scale averages the errors one season back', () => {
    // Differences 1, 0, 0, 0, 0, 0, 2.
    const history = [1, 2, 3, 4, 5, 6, 7, 2, 2, 3, 4, 5, 6, 9];
    assert.deepEqual(naiveScale(history, 7), { meanAbsolute: 3 / 7, meanSquared: 5 / 7 });
  });

  it('scale needs more than one season', () => {
    assert.throws(() => naiveScale([1, 2, 3, 4, 5, 6, 7], 7), RangeError);
  });
});

describe('scaled errors', () => {
  it('MASE and RMSSE divide by the naive scale', () => {
    const errors = scaledErrors([1, 2], [2, 2], { meanAbsolute: 0.5, meanSquared: 0.25 });
    assert.equal(errors.mase, 1);
    assert.equal(errors.rmsse, Math.SQRT2);
  });

  it('rejects windows of different lengths', () => {
    assert.throws(() => scaledErrors([1, 2], [1], { meanAbsolute: 1, meanSquared: 1 }), RangeError);
  });
});

describe('ROC AUC', () => {
  it('matches a hand-counted example', () => {
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered.
    assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  });

  it('ties count one half', () => {
    // Pairs: 0.5 vs 0.5 (½), 0.5 vs 0.1, 0.9 vs 0.5, 0.9 vs 0.1.
    assert.equal(rocAuc([0.5, 0.5, 0.9, 0.1], [true, false, true, false]), 0.875);
  });

  it('all scores equal gives one half', () => {
    assert.equal(rocAuc([3, 3, 3, 3, 3], [true, false, false, true, false]), 0.5);
  });

  it('perfect and reversed rankings give 1 and 0', () => {
    assert.equal(rocAuc([1, 2, 3, 4], [false, false, true, true]), 1);
    assert.equal(rocAuc([4, 3, 2, 1], [false, false, true, true]), 0);
  });

  it('equals the pairwise count on tied random scores', () => {
    const random = seededRandom(7);
    const scores = Array.from({ length: 300 }, () => Math.floor(random() * 20));
    const labels = scores.map((score) => random() < 0.1 + score / 40);
    assert.ok(Math.abs(rocAuc(scores, labels) - pairwiseAuc(scores, labels)) < 1e-12);
  });

  it('is NaN without positives', () => {
    assert.ok(Number.isNaN(rocAuc([1, 2], [false, false])));
  });

  it('rejects NaN scores', () => {
    assert.throws(() => rocAuc([Number.NaN, 1], [true, false]), RangeError);
  });
});

describe('average precision', () => {
  it('matches a hand-computed example', () => {
    // Thresholds 0.8 (precision 1, recall ½), 0.4 (⅔, no gain), 0.35 (⅔, recall 1).
    assert.ok(Math.abs(averagePrecision([0.1, 0.4, 0.35, 0.8], [false, false, true, true]) - (0.5 + 0.5 * (2 / 3))) < 1e-12);
  });

  it('all scores equal gives the prevalence', () => {
    assert.equal(averagePrecision([1, 1, 1, 1], [true, false, false, false]), 0.25);
  });

  it('tied group enters at one threshold', () => {
    // Threshold 0.9 has one positive and one negative: precision ½, recall ½;
    // then 0.1 adds the other positive at precision ⅔.
    assert.ok(Math.abs(averagePrecision([0.9, 0.9, 0.1], [true, false, true]) - (0.25 + 0.5 * (2 / 3))) < 1e-12);
  });
});

describe('bootstrap', () => {
  it('same seed gives the same intervals', () => {
    const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const labels = [false, false, true, false, true, false, true, true];
    const options = { resamples: 200, level: 0.95, seed: 42 };
    assert.deepEqual(bootstrapRanking(scores, labels, options), bootstrapRanking(scores, labels, options));
  });

  it('one resample equals the measures on the drawn items', () => {
    const random = seededRandom(5);
    const scores = Array.from({ length: 60 }, () => Math.floor(random() * 8));
    const labels = scores.map((score) => random() < score / 10);

    // The same draw as the bootstrap makes with seed 9: n indexes from seededRandom(9).
    const draw = seededRandom(9);
    const picks = scores.map(() => Math.floor(draw() * scores.length));
    const drawnScores = picks.map((pick) => scores[pick]!);
    const drawnLabels = picks.map((pick) => labels[pick]!);

    const interval = bootstrapRanking(scores, labels, { resamples: 1, level: 0.95, seed: 9 });
    assert.ok(Math.abs(interval.auc.lower - rocAuc(drawnScores, drawnLabels)) < 1e-12, 'AUC');
    assert.ok(Math.abs(interval.averagePrecision.lower - averagePrecision(drawnScores, drawnLabels)) < 1e-12, 'average precision');
  });

  it('interval surrounds the estimate', () => {
    const random = seededRandom(3);
    const scores = Array.from({ length: 400 }, () => random());
    const labels = scores.map((score) => random() < score * 0.3);
    const interval = bootstrapRanking(scores, labels, { resamples: 300, level: 0.9, seed: 1 });
    const estimate = rocAuc(scores, labels);
    assert.ok(interval.auc.lower < estimate, `lower ${interval.auc.lower} < ${estimate}`);
    assert.ok(estimate < interval.auc.upper, `${estimate} < upper ${interval.auc.upper}`);
    assert.equal(interval.auc.resamples, 300);
  });

  it('quantile interpolates between values', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantile([1, 2, 3, 4], 0), 1);
    assert.equal(quantile([1, 2, 3, 4], 1), 4);
  });
});
