import { describe, expect, it } from 'vitest';
import { leastSquares, normalQuantile, studentTCdf, studentTQuantile } from '../../../new-pipeline/models/stats.js';

describe('the models’ numerics', () => {
  it.each([
    [0.975, 1, 12.7062],
    [0.975, 6, 2.4469],
    [0.95, 10, 1.8125],
    [0.995, 2, 9.9248],
    [0.95, 48, 1.6772],
    [0.05, 20, -1.7247],
  ])('finds the Student t quantile p=%s with %s degrees of freedom as the tables give it', (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 3);
    expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 10);
  });

  it('finds the normal quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.575829, 6);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it('fits an exact line exactly, with no residual spread', () => {
    const fit = leastSquares([[1, 0], [1, 1], [1, 2], [1, 3]], [5, 7, 9, 11])!;
    expect(fit.coefficients[0]).toBeCloseTo(5, 12);
    expect(fit.coefficients[1]).toBeCloseTo(2, 12);
    expect(fit.residualSd).toBeCloseTo(0, 12);
    expect(fit.df).toBe(2);
  });

  it('refuses collinear columns instead of dividing by nothing', () => {
    expect(leastSquares([[1, 2], [1, 2], [1, 2]], [1, 2, 3])).toBeUndefined();
    expect(leastSquares([[1, 0], [1, 1]], [1, 2])).toBeUndefined();
  });
});
