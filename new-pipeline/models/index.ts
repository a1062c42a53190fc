export { anomalyOf, detectAnomalies, type Anomaly } from './anomalies.js';
export { backtestSeries, type AccuracyScore, type BacktestReport, type BacktestRow } from './backtest.js';
export { ARIMA_PLUS, arimaPlusPlan, runArimaPlus, type ArimaPlusOptions, type ArimaPlusPlan } from './bigquery-ml.js';
export { forecastCampaigns, horizonDates, type CampaignForecast, type ForecastSettings, type SkippedCampaign } from './forecast.js';
export { buildInsights, clientInsights, type InsightForecast, type Insights } from './insights.js';
export { budgetPacing, type Pacing, type PacingStatus } from './pacing.js';
export {
  ensurePredictionsTable,
  PREDICTION_COMPARISON,
  PREDICTIONS_SPEC,
  predictionRows,
  reconcilePredictions,
  writePredictions,
  type PredictionsReconcileRequest,
} from './predictions.js';
export { BUDGETED_PLATFORMS, marginalReturn, recommendMoves, type MarginalReturn, type Recommendation } from './recommendations.js';
export { runBacktest, runModels, type ClientRunResult, type ModelsRunOptions, type ModelsRunReport } from './run-models.js';
export { SEASONAL_NAIVE, seasonalNaive } from './seasonal-naive.js';
export { SEASONAL_TREND, fitSeasonalTrend, forecastDays, forecastTotal, type SeasonalTrendFit } from './seasonal-trend.js';
export { modelTables, readSeries, type CampaignSeries, type ModelTables } from './series.js';
export { FORECAST_METRICS, type Estimate, type ForecastMetric, type ForecastPoint, type ModelId, type NotEnoughHistory, type Observation, type SeriesKey } from './types.js';
