"""sirenpde: PDEs with SIRENs."""
