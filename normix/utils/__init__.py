"""Public utilities: constants, Bessel functions, plotting."""
