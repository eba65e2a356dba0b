"""The web page: one standalone, semantic HTML file, which WeasyPrint also prints."""
