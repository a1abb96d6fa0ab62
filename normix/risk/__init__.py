"""Portfolio risk under a fitted mixture: exact VaR, expected shortfall and Euler contributions.

Losses are positive (L = -wᵀX); see :mod:`normix.risk.measures` for the conventions and
:mod:`normix.risk.tail` for the closed forms.
"""
from normix.risk.measures import expected_shortfall, risk_contributions, tail_risk, value_at_risk
from normix.risk.stress import StressResult, stress

__all__ = ["StressResult", "expected_shortfall", "risk_contributions", "stress", "tail_risk", "value_at_risk"]
