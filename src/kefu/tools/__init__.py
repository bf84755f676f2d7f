"""Tools the assistant can use: web search with citations, read-only SQL (model-written and
parameterised lookups), structured extraction to validated JSON. See docs/tools.md."""
