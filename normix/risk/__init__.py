"""Portfolio risk under a fitted mixture: exact VaR, expected shortfall and Euler contributions,
stress scenarios (:mod:`normix.risk.scenarios`), optimal portfolios and the efficient frontier
(:mod:`normix.risk.optimize`, :mod:`normix.risk.frontier`).

Rolling backtests of the forecasts: :func:`~normix.risk.backtest.backtest` and
:func:`~normix.risk.backtest_plot.plot_backtest`.

Losses are positive (L = -wᵀX); see :mod:`normix.risk.measures` for the conventions and
:mod:`normix.risk.tail` for the closed forms.
"""
from normix.risk.backtest import BacktestResult, backtest
from normix.risk.backtest_plot import plot_backtest
from normix.risk.frontier import EfficientFrontier, efficient_frontier
from normix.risk.measures import expected_shortfall, risk_contributions, tail_risk, value_at_risk
from normix.risk.optimize import PortfolioResult, optimize_portfolio
from normix.risk.scenarios import StressResult, stress

__all__ = ["BacktestResult", "EfficientFrontier", "PortfolioResult", "StressResult", "backtest", "efficient_frontier",
           "expected_shortfall", "optimize_portfolio", "plot_backtest", "risk_contributions", "stress", "tail_risk",
           "value_at_risk"]
