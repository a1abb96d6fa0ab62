"""Normal variance-mean mixtures: the joint exponential family and the marginal law."""
