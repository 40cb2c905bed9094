"""Evaluation of the bot over a question set: retrieval, answers, citations, refusals, speed."""
