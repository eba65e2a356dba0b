"""Clinical handouts: Markdown in source/, styled HTML, PDF and DOCX out in output/.

One module per stage:
  load        front matter, validated                 -> load.Document
  read        the body through Python-Markdown         -> model.Document (typed blocks, lines)
  theme       styles/theme.yaml                        -> Theme (CSS variables, Word settings)
  cite        citations against the bibliography, CSL  -> formatted citations + reference list
  cite_syntax Pandoc's citation syntax                 -> items: key, prefix, locator, suffix
  bibliography BibTeX, biblatex, CSL-JSON, CSL-YAML    -> CSL-JSON entries, bad ones apart
  render      the model                                -> one semantic HTML page
  pdf_writer  that page through WeasyPrint             -> PDF (fonts subset by font_subset)
  word        the model through python-docx            -> DOCX (a package, one job per file)
  verify      text pulled back out of every output     -> the first block missing, where
  report      reading grades, terms, actionability     -> the author's warnings
  summary     every handout's last good build           -> output/report.json, index.html, table
  pipeline    one document end to end, outputs replaced only when all are complete
"""
