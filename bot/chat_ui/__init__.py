"""The Gradio chat's parts: the article panel, HTML rendering, feedback log and warm-up."""
