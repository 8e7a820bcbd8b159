"""The shapes of a question and its answer, shared by the predictor and the prober."""
