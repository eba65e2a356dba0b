"""The look: styles/theme.yaml, styles/handout.css and the fonts they name."""
