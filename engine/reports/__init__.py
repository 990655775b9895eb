"""Period reports: the report model and its JSON, CSV, XLSX and HTML renderings."""
