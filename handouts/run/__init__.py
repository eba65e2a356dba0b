"""Running builds: one handout end to end, many at once, on every save, and the catalogue."""
