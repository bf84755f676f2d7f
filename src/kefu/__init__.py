"""kefu (客服): self-hosted intelligent customer service on a local LLM.

Packages, bottom to top (arrows point one way; see docs/architecture.md):
config -> llm -> knowledge / tools / store -> dialog -> train / evaluate -> server / cli.
"""

__version__ = "0.1.0"
