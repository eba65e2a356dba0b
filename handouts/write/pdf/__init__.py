"""The PDF: the web page printed by WeasyPrint, tagged PDF/UA, fonts subset the same everywhere."""
