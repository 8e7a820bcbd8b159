"""Turning the model into kernel objects (namespaces, links, rulesets). Renderers are pure."""
