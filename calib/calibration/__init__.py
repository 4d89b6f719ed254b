"""Calibration of closure parameters against observations (what `calib fit` and `calib.fit` do).

Data flow: case(s) + observations + settings (`calib.config.fit`: the case's ``fit:`` section
and the command-line options) -> `problem.build_problem` -> `loss.Problem` (targets on the
model grid per time window, `targets`; the one NaN-safe normalised misfit, batched with vmap,
`loss`; the trained parameters in an unconstrained space, `calib.core.trainable`) ->
`calibrate.calibrate` (`optimise.minimise`: optax L-BFGS or Adam in one compiled step, with
back-off and `resume` files for --resume; or `eki`, derivative-free) -> `result.FitResult` ->
Laplace uncertainty and sensitivity (`uncertainty`), loss landscape (`landscape`), monthly SST
and MLD (`monthly`) -> files (`outputs`, `plots`). `calib.api.fitting` runs the whole chain.
"""
