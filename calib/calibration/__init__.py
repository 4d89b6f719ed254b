"""Calibration of closure parameters against observations (`calib fit`).

Data flow: case(s) + observation file(s) + settings (`settings`: the case's ``fit:`` section
and the command-line options) -> `problem.build_problem` -> `loss.Problem` (targets on the
model grid per time window, `targets`; the NaN-safe normalised misfit, batched with vmap,
`loss`; the trained parameters in an unconstrained space, `parameters`) ->
`calibrate.calibrate` (`optimise.minimise`: optax L-BFGS or Adam in one compiled step, with
back-off and `checkpoint`s for --resume) -> Laplace uncertainty and sensitivity
(`uncertainty`), loss landscape (`landscape`), monthly SST/MLD errors (`monthly`) -> files
(`outputs`, `plots`). `command.fit_command` runs the whole chain for `calib fit`.
"""
