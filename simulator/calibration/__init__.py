"""Calibration: fitting the dynamics to recorded logs and carrying what the fit leaves unknown.

priors         the normal prior of each parameter on its unconstrained scale
estimates      what a fit found: one block of estimates per rule and part
fit            penalised maximum likelihood, Laplace covariances, MCMC draws
fitfile        fits as TOML files that scenarios read (`[dynamics] from`)
uncertainties  `[uncertainties]`: distributions, designs, parameter sets of ensembles
sensitivity    Sobol' and Morris indices (SALib) over the uncertainties
discovery      PRIM boxes (EMA Workbench) of where an outcome happens
"""
