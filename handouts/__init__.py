"""Clinical handouts: Markdown in source/, styled HTML, PDF and DOCX out in output/.

One module per stage:
  load        front matter + body, validated        -> Document
  theme       styles/theme.yaml                     -> Theme (CSS variables, Word settings)
  cite        [@key] against the bibliography, CSL  -> numbered citations + reference list
  render      Python-Markdown + our extensions      -> one semantic HTML page
  pdf_writer  that HTML through WeasyPrint          -> PDF
  docx_writer the same HTML tree through python-docx -> DOCX
  verify      text pulled back out of every output  -> what is missing, where
  pipeline    one document end to end, outputs replaced only when all are complete
"""
