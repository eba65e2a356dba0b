"""Reading: a handout's front matter and Markdown become the document model."""
