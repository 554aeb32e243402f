"""The office's web app: server-rendered pages in Bahasa Indonesia (English beside it), calling
the same services as the API (CONTRIBUTING.md, Layout)."""
