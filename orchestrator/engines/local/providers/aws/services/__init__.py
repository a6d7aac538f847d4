"""One module per pulumi-aws module (`aws:<module>/...` tokens; `lambda_` for `lambda`),
each listing its resource types in `TYPES` and its provider functions in `FUNCTIONS`."""
