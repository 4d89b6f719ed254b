"""What gradients cost and whether they are right: `calib profile-memory`, `calib check-grad`,
`calib profile-batch`.
"""
