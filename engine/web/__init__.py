"""Server-rendered web pages (agencies, the standing unit, leadership) on the API's app."""
