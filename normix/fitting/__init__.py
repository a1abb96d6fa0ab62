"""Fitting: Bregman (eta -> theta) solvers and EM fitters."""
