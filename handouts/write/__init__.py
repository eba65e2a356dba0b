"""Writing: the document model as a web page (and from it a PDF) and as a Word file."""
