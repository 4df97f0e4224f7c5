"""A tiny static blog generator: Markdown-ish posts with front matter in, HTML out."""

__version__ = "0.5.0"
