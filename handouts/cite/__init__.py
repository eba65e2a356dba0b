"""Citing: bibliographies read, citations formatted by the CSL style, references listed."""
