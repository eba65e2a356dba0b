"""Clinical handouts: Markdown in source/, styled HTML, PDF and DOCX out in output/.

One package per role, one module per stage (as Pandoc: readers -> one model -> writers):
  model.py        the document model: typed blocks and inlines, each block with its line
  diagnostics.py  errors and warnings for people: file, line, what is wrong, what to do
  furniture.py    what every writer and the checker share: document control, labels
  paths.py        where the build may read: files in source/ and styles/, links followed
  cache.py        scaled pictures and cut fonts kept by content in .cache/
  read/           front_matter (validated), markdown (the body -> the model), citations
                  (Pandoc's syntax), images, editions
  cite/           bibliography (BibTeX, biblatex, CSL-JSON, CSL-YAML), format (CSL)
  style/          theme (styles/theme.yaml), stylesheet (styles/handout.css), fonts
  write/html/     page (the model -> one semantic HTML page), fonts (cut to the page)
  write/pdf/      writer (that page through WeasyPrint), font_subset, tags (PDF/UA)
  write/docx/     the model through python-docx, one job per file
  check/          text pulled back out of every output (html, pdf, docx); reading (grades,
                  terms, actionability: the author's warnings)
  run/            project (its folders; what is stale), pipeline (one handout end to end),
                  batch (many, side by side), watch, summary (output/report.json,
                  index.html, the table), archive (released versions kept, withdrawn
                  handouts taken down), leftovers
  messages/       page furniture in the reader's language
"""
